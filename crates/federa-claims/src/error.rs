//! The crate's one error type. Parsers in this crate never fail outright: they turn an error
//! into an [`IgnoredClaim`](crate::IgnoredClaim) whose `detail` is the error's message, so a
//! malformed carrier credits nothing and says why (ARCHITECTURE "fail closed on malformed
//! context"). Constructors for local verifications return it directly.

/// Everything that can go wrong when reading or building authentication claims.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClaimsError {
    /// The payload is larger than the cap.
    #[error("payload is {len} bytes, more than the {max}-byte limit")]
    PayloadTooLarge {
        /// Actual size.
        len: usize,
        /// The cap.
        max: usize,
    },
    /// Too many entries in a list.
    #[error("{what} has {count} entries, more than the limit of {max}")]
    TooManyEntries {
        /// Which list.
        what: &'static str,
        /// Actual count.
        count: usize,
        /// The cap.
        max: usize,
    },
    /// The bytes are not JSON of the expected shape (syntax, types, duplicate fields).
    #[error("payload is not a well-formed JSON object of the expected shape: {0}")]
    InvalidJson(String),
    /// A value has the wrong JSON type.
    #[error("{field} must be {expected}")]
    WrongType {
        /// The field (dotted path).
        field: &'static str,
        /// What was expected.
        expected: &'static str,
    },
    /// A required field is missing.
    #[error("{field} is missing")]
    Missing {
        /// The field (dotted path).
        field: &'static str,
    },
    /// A string field has a value outside its enum.
    #[error("{field} has an unknown value '{value}'")]
    UnknownValue {
        /// The field.
        field: &'static str,
        /// The value (truncated).
        value: String,
    },
    /// An authenticator key / method pair has no catalogue entry.
    #[error("no catalogue entry for authenticator '{key}' with method '{method}'")]
    NotInCatalogue {
        /// Authenticator key.
        key: String,
        /// Method type (or `-` when none).
        method: String,
    },
    /// A payload binding field differs from the outer token or assertion.
    #[error("payload {field} '{payload}' does not match the outer value")]
    BindingMismatch {
        /// `iss`, `aud`, `sub` or `engine`.
        field: &'static str,
        /// The payload's value (truncated).
        payload: String,
    },
}
