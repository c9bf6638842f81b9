//! Use cases, one module per resource. Handlers call exactly one function here.

pub mod authenticators;
pub mod defaults;
pub mod features;
pub mod groups;
pub mod orgs;
pub mod policies;
pub mod simulate;
pub mod tokens;
pub mod users;
