//! Federa's use cases and ports. The admin services (orgs, API tokens, users, groups) live in
//! [`service`]; the repository traits the store implements live in [`ports`]; [`Ctx`] carries the
//! store, clock, randomness and password hasher into every use case. No HTTP and no SQL here:
//! status codes belong to `federa-web`, queries to `federa-store`.

pub mod cache;
pub mod ctx;
pub mod error;
pub mod fetch;
pub mod model;
pub mod notify;
pub mod page;
pub mod password;
pub mod ports;
pub mod secretbox;
pub mod service;
pub mod system;

pub use ctx::Ctx;
pub use error::{CoreError, FieldError};
