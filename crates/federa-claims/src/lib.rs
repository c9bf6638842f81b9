//! federa-claims: the domain core that says what an upstream message proves.
//!
//! It owns the authenticator catalogue and characteristics (CONTRACT §7), the AMR tables
//! (reference `okta-claims-sharing.md` §1.11, §3.1), the [`FactorVerification`] model, the
//! parsers that turn every carrier (`okta_auth` / `OktaAuth` payloads, OIDC `amr`, SAML
//! `session.amr`, the legacy `mapAMRClaims` mapping) into credited verifications and
//! [`IgnoredClaim`]s, the trust rules (`trustClaims` vs `mapAMRClaims`, org features), and the
//! `amr` values an IdP org emits (CONTRACT §4).
//!
//! Pure: no IO, no clock (times come in as [`Timestamp`] arguments), no crypto (the caller
//! decrypts JWEs and hands over the plaintext).

pub mod amr;
pub mod catalogue;
pub mod emit;
pub mod error;
pub mod model;
pub mod okta_auth;
pub mod trust;

pub use amr::{AmrContext, AmrTable, parse_oidc_amr, parse_saml_session_amr};
pub use catalogue::{CatalogueEntry, MethodFlags, local_verification};
pub use emit::{amr_for, amr_strings};
pub use error::ClaimsError;
pub use model::*;
pub use okta_auth::{OktaAuthInput, OktaAuthPayload, OuterBinding, parse_okta_auth};
pub use trust::{
    Feature, IdpKind, IdpTrustConfig, OrgFeatures, Protocol, TrustInput, TrustMode, TrustOutcome,
    UpstreamClaims, evaluate,
};
