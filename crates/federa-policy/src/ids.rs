//! Identifiers the policy documents refer to, all defined in `federa-types` (strict for users and
//! groups, opaque for policies, rules, zones, apps, authenticators and IdPs), and [`ParseId`],
//! which reads one of them from a wire list and names the field path when it is malformed.

use crate::error::{PolicyError, Result, clip};
use federa_types::{GroupId, IdpId, UserId};

pub use federa_types::{AppId, AuthenticatorId, PolicyId, RuleId, ZoneId};

/// Parses one id of a wire list, naming `path` when it is malformed.
pub(crate) trait ParseId: Sized {
    const KIND: &'static str;
    fn parse_id(s: &str) -> Option<Self>;

    fn at(s: &str, path: &str) -> Result<Self> {
        Self::parse_id(s).ok_or_else(|| {
            PolicyError::invalid(
                path,
                format!("'{}' is not a valid {} id", clip(s), Self::KIND),
            )
        })
    }
}

macro_rules! parse_id_loose {
    ($($t:ty),+) => { $(
        impl ParseId for $t {
            const KIND: &'static str = <$t>::KIND;
            fn parse_id(s: &str) -> Option<Self> { <$t>::parse(s) }
        }
    )+ };
}
parse_id_loose!(PolicyId, RuleId, ZoneId, AppId, AuthenticatorId, IdpId);

impl ParseId for UserId {
    const KIND: &'static str = "user";
    fn parse_id(s: &str) -> Option<Self> {
        UserId::parse(s).ok()
    }
}

impl ParseId for GroupId {
    const KIND: &'static str = "group";
    fn parse_id(s: &str) -> Option<Self> {
        GroupId::parse(s).ok()
    }
}
