//! The one error type of the use cases. Each variant says what went wrong in words a client can
//! be shown; `federa-web` maps variants to HTTP statuses and Okta error codes in one place.

use crate::ports::StoreError;

/// A field-level validation problem: which field (as a JSON path) and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Path of the offending field, e.g. `profile.login`.
    pub field: String,
    /// What is wrong, in a sentence.
    pub message: String,
}

impl FieldError {
    /// A problem with `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Why a use case did not complete.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// The input is invalid; nothing was changed.
    #[error("validation failed: {}", .0.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; "))]
    Validation(Vec<FieldError>),
    /// The named resource does not exist in this org.
    #[error("not found: {0}")]
    NotFound(String),
    /// The change conflicts with the resource's current state (e.g. a lifecycle transition
    /// that is not allowed).
    #[error("conflict: {0}")]
    Conflict(String),
    /// A change refused because trusted IdP claims are in use (reference §1.14): `code` is
    /// `E0000250`, `E0000251` or `E0000252`.
    #[error("{message}")]
    TrustClaimsInUse {
        /// Okta error code.
        code: String,
        /// What depends on the trusted claims.
        message: String,
    },
    /// The caller did not present valid credentials.
    #[error("invalid token provided")]
    Unauthenticated,
    /// A factor's passcode or answer is wrong, expired, already used, or the factor is locked
    /// after too many attempts (one message for all, so nothing is revealed).
    #[error("Your passcode doesn't match our records. Please try again.")]
    InvalidPasscode,
    /// The storage backend failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An internal invariant failed (a bug, or a broken dependency such as the hasher).
    #[error("internal error: {0}")]
    Internal(String),
}

impl CoreError {
    /// A single-field validation error.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }
}
