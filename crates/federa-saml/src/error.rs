//! The crate's one error type, [`SamlError`]. Every variant carries a message that says what was
//! wrong with the message or the key, written for the log (the web layer decides what the client
//! sees). Nothing here names HTTP.

use thiserror::Error;

/// Everything that can go wrong while reading, verifying, building or signing SAML messages.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SamlError {
    /// The input is larger than the configured cap (raw or after inflating).
    #[error("{what} is too large: more than {limit} bytes")]
    TooLarge {
        /// What was measured (e.g. "inflated SAMLRequest").
        what: &'static str,
        /// The cap in bytes.
        limit: usize,
    },
    /// The XML carries a document type declaration; DTDs are refused outright.
    #[error("XML with a document type declaration (<!DOCTYPE) is refused")]
    DtdForbidden,
    /// Base64 that is not strict standard base64 (alphabet, padding, trailing bits).
    #[error("invalid base64 in {what}: {detail}")]
    Base64 {
        /// Which field.
        what: &'static str,
        /// Decoder message.
        detail: String,
    },
    /// The Redirect-binding payload is not a valid raw DEFLATE stream.
    #[error("SAMLRequest is not valid raw DEFLATE data: {0}")]
    Inflate(String),
    /// Bytes that should be UTF-8 XML are not.
    #[error("{what} is not valid UTF-8")]
    Utf8 {
        /// Which field.
        what: &'static str,
    },
    /// The XML does not parse.
    #[error("malformed XML: {0}")]
    Xml(String),
    /// A query string or form is malformed (missing or repeated parameter, bad escape).
    #[error("malformed binding parameters: {0}")]
    Binding(String),
    /// The message is well-formed XML but not a valid SAML message of the expected kind.
    #[error("invalid SAML message: {0}")]
    Invalid(String),
    /// A required signature is absent.
    #[error("the {0} is not signed, and a signature is required")]
    SignatureRequired(&'static str),
    /// A signature algorithm we do not accept (e.g. RSA-SHA1).
    #[error("signature algorithm not accepted: {0}")]
    UnsupportedAlgorithm(String),
    /// The signature does not verify against any trusted certificate.
    #[error("signature verification failed: {0}")]
    SignatureInvalid(String),
    /// A key or certificate could not be loaded, generated or used.
    #[error("key or certificate error: {0}")]
    Key(String),
    /// Signing or encryption failed.
    #[error("cryptographic operation failed: {0}")]
    Crypto(String),
    /// A value the builder was given cannot be emitted (e.g. an empty issuer).
    #[error("cannot build SAML message: {0}")]
    Build(String),
}

impl SamlError {
    pub(crate) fn invalid(msg: impl Into<String>) -> Self {
        SamlError::Invalid(msg.into())
    }
}

pub(crate) type Result<T> = std::result::Result<T, SamlError>;
