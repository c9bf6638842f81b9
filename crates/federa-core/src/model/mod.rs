//! Domain records of the foundation: orgs and their hosts, admin API tokens, users and groups.

pub mod app;
pub mod engine;
pub mod factor;
pub mod group;
pub mod idp;
pub mod org;
pub mod session;
pub mod token;
pub mod user;

pub use engine::{
    Authenticator, FeatureState, LifecycleStatus, OrgDefaults, StoredPolicy, StoredRule,
};
pub use factor::{
    Channel, DeliveryStatus, FactorProfile, FactorProvider, FactorStatus, FactorType, OneTimeCode,
    OutboxEntry, UserFactor,
};
pub use group::{Group, GroupProfile};
pub use org::{Engine, Org};
pub use token::ApiToken;
pub use user::{User, UserProfile, UserQuery, UserSearch, UserStatus};
