//! SAML 2.0 for Federa — the IdP side today, designed so the SP-side validator slots in next to
//! it. Pure: no IO, no clock, no global state; time (`time::OffsetDateTime`) and randomness
//! ([`federa_types::Rng`]) come in as arguments.
//!
//! - [`hardening`]: DTD ban, size caps, strict base64, bounded inflate (applied before parsing).
//! - [`bindings`]: HTTP-Redirect (raw query string, DEFLATE, query signature) and HTTP-POST.
//! - [`authn_request`]: `UnverifiedAuthnRequest` → `AuthnRequest` with the SP's signature policy.
//! - [`request_builder`]: AuthnRequest XML for the SP side (and tests).
//! - [`response`]: the signed (optionally encrypted) Response, with the `OktaAuth` extension.
//! - [`sp`]: the SP-side Response validator (`UnverifiedResponse` → `ValidatedAssertion`).
//! - [`metadata`]: IdP metadata out, SP metadata in.
//! - [`identity`] / [`cert`]: the IdP's RSA key + certificate; peer certificates.
//! - [`dsig`] / [`xmlenc`]: XML-DSig and XML-Enc profiles on top of bergshamra and aws-lc.

pub mod authn_request;
pub mod bindings;
pub mod cert;
pub mod dsig;
mod error;
pub mod hardening;
pub mod identity;
pub mod metadata;
pub mod ns;
pub mod request_builder;
pub mod response;
pub mod sp;
pub mod xml;
pub mod xmlenc;

pub use authn_request::{
    AuthnContextComparison, AuthnRequest, AuthnRequestFields, NameIdPolicy, RequestedAuthnContext,
    SignaturePolicy, UnverifiedAuthnRequest,
};
pub use bindings::{Binding, MessageParam, RedirectMessage, RedirectSignature};
pub use cert::Certificate;
pub use error::SamlError;
pub use hardening::Limits;
pub use identity::SigningIdentity;
pub use metadata::{
    AssertionConsumerService, IdpMetadata, SpMetadata, idp_metadata_xml, parse_sp_metadata,
};
pub use request_builder::{AuthnRequestParams, build_authn_request};
pub use response::{
    Attribute, BuiltResponse, NameId, ResponseOptions, ResponseParams, SignMode, build_response,
};
pub use sp::{DecryptionKey, SpExpectations, UnverifiedResponse, ValidatedAssertion};
pub use xmlenc::{Encryption, KeyTransport};
