//! Domain records of the foundation: orgs and their hosts, admin API tokens, users and groups.

pub mod group;
pub mod org;
pub mod token;
pub mod user;

pub use group::{Group, GroupProfile};
pub use org::{Engine, Org};
pub use token::ApiToken;
pub use user::{User, UserProfile, UserQuery, UserSearch, UserStatus};
