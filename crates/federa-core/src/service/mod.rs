//! Use cases, one module per resource. Handlers call exactly one function here.

pub mod groups;
pub mod orgs;
pub mod tokens;
pub mod users;
