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
    /// SP side: the IdP answered with a status other than Success (SAML Core §3.2.2.2). The
    /// codes are the top-level code first, then each nested code (e.g. `...:Responder`,
    /// `...:NoPassive`).
    #[error("the IdP answered with status {codes:?}{}", message.as_deref().map(|m| format!(": {m}")).unwrap_or_default())]
    Status {
        /// StatusCode values, outermost first.
        codes: Vec<String>,
        /// `StatusMessage`, if any (IdP-supplied text: log it, do not show it as trusted).
        message: Option<String>,
    },
    /// SAML `Version` other than 2.0 on the Response or the Assertion.
    #[error("SAML Version {0:?} is not supported; 2.0 is required")]
    UnsupportedVersion(String),
    /// Signature wrapping (XSW): an extra or misplaced Response, Assertion or Signature, or a
    /// signature that does not cover the element that would be consumed.
    #[error("signature wrapping refused: {0}")]
    Wrapping(String),
    /// Two elements carry the same ID (or a namespaced ID attribute was used).
    #[error("duplicate or ambiguous ID attribute {0:?}: IDs must be unique and unprefixed")]
    DuplicateId(String),
    /// A comment or processing instruction inside the message (comment injection can truncate
    /// the text a parser returns while leaving the signature valid).
    #[error("a {kind} inside <{element}> is refused")]
    ForbiddenNode {
        /// `comment` or `processing instruction`.
        kind: &'static str,
        /// The element it was found in.
        element: String,
    },
    /// The Response carries no Assertion or EncryptedAssertion.
    #[error("the Response carries no assertion")]
    NoAssertion,
    /// An issuer other than the configured IdP.
    #[error("issuer {found:?} is not the expected IdP {expected:?}")]
    IssuerMismatch {
        /// The configured IdP entity id.
        expected: String,
        /// What the message said.
        found: String,
    },
    /// `Response/@Destination` is not the ACS URL.
    #[error("Destination {found:?} is not this ACS URL {expected:?}")]
    DestinationMismatch {
        /// The ACS URL.
        expected: String,
        /// What the Response said (None: absent on a signed Response).
        found: Option<String>,
    },
    /// `SubjectConfirmationData/@Recipient` is not the ACS URL.
    #[error("SubjectConfirmationData Recipient {found:?} is not this ACS URL {expected:?}")]
    RecipientMismatch {
        /// The ACS URL.
        expected: String,
        /// What the assertion said.
        found: Option<String>,
    },
    /// The SP entity id is not among the audiences of an AudienceRestriction.
    #[error("audience {expected:?} is not in the AudienceRestriction {found:?}")]
    AudienceMismatch {
        /// The SP entity id.
        expected: String,
        /// The audiences of the failing restriction.
        found: Vec<String>,
    },
    /// `InResponseTo` does not match the request this SP sent.
    #[error("InResponseTo {found:?} does not match the outstanding request {expected:?}")]
    InResponseToMismatch {
        /// The request id the SP expects (None: no request outstanding).
        expected: Option<String>,
        /// What the message said.
        found: Option<String>,
    },
    /// An IdP-initiated (unsolicited) response while those are not allowed.
    #[error(
        "unsolicited (IdP-initiated) response refused: no request is outstanding and unsolicited responses are not allowed"
    )]
    Unsolicited,
    /// No SubjectConfirmation satisfies the bearer rules (method, Recipient, times).
    #[error("subject confirmation refused: {0}")]
    SubjectConfirmation(String),
    /// A validity window ended (beyond the allowed clock skew).
    #[error("{what} expired at {at}")]
    Expired {
        /// Which instant (e.g. `Conditions/@NotOnOrAfter`).
        what: &'static str,
        /// The instant, as written.
        at: String,
    },
    /// A validity window has not started yet (beyond the allowed clock skew).
    #[error("{what} is in the future ({at})")]
    NotYetValid {
        /// Which instant (e.g. `Conditions/@NotBefore`).
        what: &'static str,
        /// The instant, as written.
        at: String,
    },
    /// An EncryptedAssertion that cannot be decrypted with the SP's keys.
    #[error("EncryptedAssertion cannot be decrypted: {0}")]
    Decryption(String),
}

impl SamlError {
    pub(crate) fn invalid(msg: impl Into<String>) -> Self {
        SamlError::Invalid(msg.into())
    }
}

pub(crate) type Result<T> = std::result::Result<T, SamlError>;
