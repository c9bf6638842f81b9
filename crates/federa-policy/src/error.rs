//! The crate's one error type, [`PolicyError`]. It owns the mapping from a failed policy
//! operation to the Okta error code the API layer answers with (reference §2.12): validation and
//! save-time failures are `E0000001` with a cause naming the field path; the trust-claims
//! lifecycle guard of reference §1.14 is `E0000250` / `E0000251` / `E0000252`. No HTTP types here:
//! `federa-web` maps codes to statuses.

use serde::Serialize;

/// Which of the three trust-claims guard codes of reference §1.14 applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum TrustGuardCode {
    /// `E0000250`: both app sign-in (ACCESS_POLICY) and global session (OKTA_SIGN_ON) policies
    /// depend on trusted claims.
    #[serde(rename = "E0000250")]
    AccessAndSignOn,
    /// `E0000251`: only global session policies depend on trusted claims.
    #[serde(rename = "E0000251")]
    SignOnOnly,
    /// `E0000252`: only app sign-in policies depend on trusted claims.
    #[serde(rename = "E0000252")]
    AccessOnly,
}

impl TrustGuardCode {
    /// The Okta error code.
    pub fn as_str(self) -> &'static str {
        match self {
            TrustGuardCode::AccessAndSignOn => "E0000250",
            TrustGuardCode::SignOnOnly => "E0000251",
            TrustGuardCode::AccessOnly => "E0000252",
        }
    }
}

/// Everything that can go wrong when reading, validating or changing policies.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// The document is malformed, has a wrong type, an unknown enum value, an out-of-range number
    /// or a contradiction. API: 400 `E0000001`, cause = this message.
    #[error("{path}: {message}")]
    Invalid {
        /// Dotted field path inside the policy or rule document, e.g.
        /// `actions.appSignOn.verificationMethod.constraints[0].possession.phishingResistant`.
        path: String,
        /// What is wrong, for the client.
        message: String,
    },
    /// The document names a group, user, zone, IdP, app or authenticator that does not exist
    /// (or is not active). API: 400 `E0000001`.
    #[error("{path}: {kind} '{id}' does not exist or is not active in this org")]
    UnknownReference {
        /// Field path of the reference.
        path: String,
        /// What kind of object was referenced (`group`, `network zone`, ...).
        kind: &'static str,
        /// The id (truncated to 64 characters).
        id: String,
    },
    /// A save-time rule refuses the change because the policy could never be met (reference
    /// §1.12: a GSP rule requiring MFA with only the password authenticator and no trusting IdP).
    /// API: 400 `E0000001`.
    #[error("{path}: {message}")]
    Unsatisfiable {
        /// Field path that makes the rule unsatisfiable.
        path: String,
        /// Why, for the client.
        message: String,
    },
    /// The trust-claims lifecycle guard (reference §1.14). API: 403 with [`TrustGuardCode`].
    #[error("{message}")]
    TrustClaimsInUse {
        /// Which code applies.
        code: TrustGuardCode,
        /// The full summary, with the IdP and policy names filled in.
        message: String,
        /// Names of the global session policies that depend on trusted claims.
        sign_on_policies: Vec<String>,
        /// Names of the app sign-in policies that depend on trusted claims.
        access_policies: Vec<String>,
    },
}

impl PolicyError {
    /// The Okta error code the API answers with.
    pub fn error_code(&self) -> &'static str {
        match self {
            PolicyError::Invalid { .. }
            | PolicyError::UnknownReference { .. }
            | PolicyError::Unsatisfiable { .. } => "E0000001",
            PolicyError::TrustClaimsInUse { code, .. } => code.as_str(),
        }
    }

    /// The field path, for the errors that have one.
    pub fn path(&self) -> Option<&str> {
        match self {
            PolicyError::Invalid { path, .. }
            | PolicyError::UnknownReference { path, .. }
            | PolicyError::Unsatisfiable { path, .. } => Some(path),
            PolicyError::TrustClaimsInUse { .. } => None,
        }
    }

    pub(crate) fn invalid(path: impl Into<String>, message: impl Into<String>) -> Self {
        PolicyError::Invalid {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// The crate's result type.
pub type Result<T, E = PolicyError> = std::result::Result<T, E>;

/// `s` cut to 64 characters with control characters replaced, for echoing input in messages.
pub(crate) fn clip(s: &str) -> String {
    s.chars()
        .take(64)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}
