//! Identifiers the policy documents refer to that `federa-types` does not (yet) define: policies,
//! rules, network zones, apps and authenticators. Users and groups use `federa-types`' strict
//! ids; IdPs use `federa-claims`' [`IdpId`]. These are opaque Okta-style ids (`00p...`,
//! `0pr...`, `nzo...`, `0oa...`, `aut...`); the wire check is deliberately loose (1..=64 ASCII
//! letters, digits, `_` or `-`) so ids minted by other crates keep parsing.
//! TODO(types): move to `federa-types` once it grows these kinds.

use crate::error::{PolicyError, Result, clip};
use federa_claims::IdpId;
use federa_types::{GroupId, UserId};
use serde::{Deserialize, Serialize};
use std::fmt;

fn loose_ok(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

macro_rules! loose_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// What this id names, for messages.
            pub const KIND: &'static str = $kind;

            /// Checks the loose id syntax.
            pub fn parse(s: &str) -> Option<Self> {
                loose_ok(s).then(|| Self(s.to_owned()))
            }

            /// Wraps an id the caller already trusts (from its own storage). Not re-checked.
            pub fn new(s: impl Into<String>) -> Self {
                Self(s.into())
            }

            /// The id as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }
    };
}

loose_id!(
    /// A policy (`00p...`).
    PolicyId, "policy");
loose_id!(
    /// A policy rule (`0pr...`).
    RuleId, "rule");
loose_id!(
    /// A network zone (`nzo...`).
    ZoneId, "network zone");
loose_id!(
    /// An app (`0oa...`).
    AppId, "app");
loose_id!(
    /// An authenticator (`aut...`).
    AuthenticatorId, "authenticator");

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
parse_id_loose!(PolicyId, RuleId, ZoneId, AppId, AuthenticatorId);

impl ParseId for IdpId {
    const KIND: &'static str = "identity provider";
    fn parse_id(s: &str) -> Option<Self> {
        loose_ok(s).then(|| IdpId::new(s))
    }
}

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
