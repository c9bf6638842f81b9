//! Use cases, one module per resource. Handlers call exactly one function here.

pub mod apps;
pub mod authenticators;
pub mod broker;
pub mod defaults;
pub mod factors;
pub mod features;
pub mod groups;
pub mod housekeeping;
pub mod idps;
pub mod keys;
pub mod oauth;
pub mod orgs;
pub mod policies;
pub mod ratelimit;
pub mod remote_keys;
pub mod saml_idp;
pub mod sessions;
pub mod signin;
pub mod simulate;
pub mod syslog;
pub mod tokens;
pub mod users;
pub mod webauthn;
