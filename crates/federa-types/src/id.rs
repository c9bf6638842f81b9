//! Typed identifiers. Each resource has its own newtype so an org id can never be passed where a
//! user id is expected. The wire form follows Okta: a three-character prefix naming the kind
//! (`00u` users, `00g` groups, `00o` orgs, `00T` API tokens) and 17 base62 characters, checked
//! strictly on input. Kinds that other systems also mint (policies, rules, zones, apps,
//! authenticators, IdPs) are opaque: Federa mints them in the same form but accepts any id of
//! the loose syntax of [`opaque_id_ok`].

use crate::Rng;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A string that is not a well-formed identifier of the expected kind.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("'{value}' is not a valid {kind} id")]
pub struct IdError {
    /// The kind of id that was expected.
    pub kind: &'static str,
    /// The rejected value (truncated to 64 characters).
    pub value: String,
}

const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const RANDOM_LEN: usize = 17;

/// Random base62 characters (17 of them ≈ 101 bits) drawn from `rng` without modulo bias.
pub fn random_base62(rng: &dyn Rng, len: usize) -> String {
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        rng.fill(&mut buf);
        for b in buf {
            // 248 = 4 * 62: reject bytes above it so every character is equally likely.
            if b < 248 && out.len() < len {
                out.push(ALPHABET[(b % 62) as usize] as char);
            }
        }
    }
    out
}

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal, $kind:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// The prefix every id of this kind starts with.
            pub const PREFIX: &'static str = $prefix;

            /// A fresh random id.
            pub fn generate(rng: &dyn Rng) -> Self {
                Self(format!("{}{}", $prefix, random_base62(rng, RANDOM_LEN)))
            }

            /// Parses an id, checking its prefix, length and alphabet.
            pub fn parse(s: &str) -> Result<Self, IdError> {
                let ok = s.len() == $prefix.len() + RANDOM_LEN
                    && s.starts_with($prefix)
                    && s.bytes().all(|b| b.is_ascii_alphanumeric());
                if ok {
                    Ok(Self(s.to_owned()))
                } else {
                    Err(IdError { kind: $kind, value: s.chars().take(64).collect() })
                }
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

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, IdError> {
                Self::parse(&s)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }
    };
}

typed_id!(
    /// An org (tenant).
    OrgId, "00o", "org");
typed_id!(
    /// A user of one org.
    UserId, "00u", "user");
typed_id!(
    /// A group of one org.
    GroupId, "00g", "group");
typed_id!(
    /// An admin API token.
    ApiTokenId, "00T", "API token");

/// The syntax every [`opaque_id!`] id accepts: 1 to 64 ASCII letters, digits, `_` or `-`.
/// Deliberately loose, because ids of these kinds can be minted by other Okta-compatible
/// systems (an upstream org's app id, a zone id in an imported policy).
pub fn opaque_id_ok(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

macro_rules! opaque_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal, $kind:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// What this id names, for messages.
            pub const KIND: &'static str = $kind;
            /// The prefix of ids Federa mints of this kind.
            pub const PREFIX: &'static str = $prefix;

            /// A fresh random id (prefix and 17 base62 characters, as Okta's).
            pub fn generate(rng: &dyn Rng) -> Self {
                Self(format!("{}{}", $prefix, random_base62(rng, RANDOM_LEN)))
            }

            /// Checks the loose syntax of [`opaque_id_ok`].
            pub fn parse(s: &str) -> Option<Self> {
                opaque_id_ok(s).then(|| Self(s.to_owned()))
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

opaque_id!(
    /// A policy (`00p...`).
    PolicyId, "00p", "policy");
opaque_id!(
    /// A policy rule (`0pr...`).
    RuleId, "0pr", "rule");
opaque_id!(
    /// A network zone (`nzo...`).
    ZoneId, "nzo", "network zone");
opaque_id!(
    /// An app (`0oa...`).
    AppId, "0oa", "app");
opaque_id!(
    /// An authenticator (`aut...`).
    AuthenticatorId, "aut", "authenticator");
opaque_id!(
    /// A user's enrolled factor (`mfa...`).
    FactorId, "mfa", "factor");
opaque_id!(
    /// An IdP object in the SP org (`0oa...`, as Okta numbers IdPs like apps).
    IdpId, "0oa", "identity provider");

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU8, Ordering};

    struct Counter(AtomicU8);
    impl Rng for Counter {
        fn fill(&self, buf: &mut [u8]) {
            for b in buf {
                *b = self.0.fetch_add(7, Ordering::Relaxed);
            }
        }
    }

    #[test]
    fn generated_ids_parse_and_keep_their_kind() {
        let rng = Counter(AtomicU8::new(0));
        let u = UserId::generate(&rng);
        assert!(u.as_str().starts_with("00u"));
        assert_eq!(u.as_str().len(), 20);
        assert_eq!(UserId::parse(u.as_str()), Ok(u.clone()));
        assert!(
            GroupId::parse(u.as_str()).is_err(),
            "a user id is not a group id"
        );
    }

    #[test]
    fn malformed_ids_are_rejected() {
        for bad in [
            "",
            "00u",
            "00uAAAAAAAAAAAAAAAA!",
            "00uAAAAAAAAAAAAAAAAAA",
            "../../etc/passwd",
        ] {
            assert!(UserId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ids_serialize_as_strings() {
        let id = OrgId::parse("00oABCDEFGHIJKLMNOPQ").map_err(|e| e.to_string());
        let id = id.unwrap_or_else(|e| panic!("{e}"));
        let json = serde_json::to_string(&id).unwrap_or_default();
        assert_eq!(json, "\"00oABCDEFGHIJKLMNOPQ\"");
        assert!(serde_json::from_str::<OrgId>("\"nope\"").is_err());
    }
}
