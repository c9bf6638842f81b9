//! The SP side of an IdP (CONTRACT §2 "SP metadata"): our SP endpoints for it (entity id, ACS,
//! OIDC redirect URI, sign-in start, metadata URL), its per-IdP SP key pair (unsealed for JWE
//! and SAML decryption and for signing, published as a JWK Set and in SAML SP metadata), and
//! the unsealed upstream client secret.

use super::{CLIENT_SECRET_PURPOSE, Idp, NAMEID_UNSPECIFIED, SP_KEY_PURPOSE, internal};
use crate::ctx::Ctx;
use crate::error::CoreError;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use federa_jose::{DecryptionKeySet, Jwks, RsaDecryptionKey};
use federa_saml::{Certificate, SigningIdentity};
use federa_types::{IdpId, Secret};
use std::sync::Arc;

/// `{base}/saml2/service-provider/{idpId}`: our SAML SP entity id for this IdP (the audience an
/// org2org app in the IdP org derives, see `service::apps`).
pub fn sp_entity_id(base: &str, idp: &IdpId) -> String {
    format!(
        "{}/saml2/service-provider/{}",
        base.trim_end_matches('/'),
        idp
    )
}

/// `{base}/sso/saml2/{idpId}`: our ACS for this IdP.
pub fn acs_url(base: &str, idp: &IdpId) -> String {
    format!("{}/sso/saml2/{}", base.trim_end_matches('/'), idp)
}

/// `{base}/oauth2/v1/authorize/callback`: our OIDC redirect URI (one for all IdPs).
pub fn redirect_uri(base: &str) -> String {
    format!(
        "{}/oauth2/v1/authorize/callback",
        base.trim_end_matches('/')
    )
}

/// `{base}/sso/idps/{idpId}`: where a browser starts sign-in with this IdP.
pub fn authorize_url(base: &str, idp: &IdpId) -> String {
    format!("{}/sso/idps/{}", base.trim_end_matches('/'), idp)
}

/// `{base}/api/v1/idps/{idpId}/metadata.xml`.
pub fn metadata_url(base: &str, idp: &IdpId) -> String {
    format!(
        "{}/api/v1/idps/{}/metadata.xml",
        base.trim_end_matches('/'),
        idp
    )
}

/// The upstream client secret, unsealed.
pub async fn client_secret(ctx: &Ctx, idp: &Idp) -> Result<Option<Secret<String>>, CoreError> {
    idp.sealed_client_secret
        .as_ref()
        .map(|s| {
            let raw = ctx.secrets.open(CLIENT_SECRET_PURPOSE, s)?;
            String::from_utf8(raw.expose().clone())
                .map(Secret::new)
                .map_err(|_| internal("a stored IdP client secret is not UTF-8"))
        })
        .transpose()
}

/// The per-IdP SP private key (PKCS#8 DER), unsealed: decrypts SAML `EncryptedAssertion`s and
/// signs AuthnRequests and `private_key_jwt` client assertions.
pub async fn sp_private_key_pkcs8(ctx: &Ctx, idp: &Idp) -> Result<Secret<Vec<u8>>, CoreError> {
    ctx.secrets.open(SP_KEY_PURPOSE, &idp.sealed_sp_key)
}

/// What an opened SP key is cached under: the org, the IdP and the sealed key (and
/// certificate) it was opened from, so a new key is a new entry.
fn sp_key_digest(idp: &Idp, with_cert: bool) -> [u8; 32] {
    let mut h = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    for part in [
        idp.org_id.as_str().as_bytes(),
        idp.id.as_str().as_bytes(),
        idp.sealed_sp_key.as_bytes(),
    ] {
        h.update(&(part.len() as u64).to_be_bytes());
        h.update(part);
    }
    if with_cert {
        h.update(idp.sp_cert_b64.as_bytes());
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(h.finish().as_ref());
    out
}

/// The per-IdP SP key as a JWE decryption key set (one key, kid = RFC 7638 thumbprint),
/// opened once per process.
pub async fn sp_decryption_keys(ctx: &Ctx, idp: &Idp) -> Result<Arc<DecryptionKeySet>, CoreError> {
    let digest = sp_key_digest(idp, false);
    if let Some(k) = ctx.caches.sp_decryption(&digest) {
        return Ok(k);
    }
    let der = sp_private_key_pkcs8(ctx, idp).await?;
    let key = RsaDecryptionKey::from_pkcs8_der(der.expose()).map_err(internal)?;
    let set = Arc::new(DecryptionKeySet::from_keys([key]).map_err(internal)?);
    ctx.caches.put_sp_decryption(digest, set.clone());
    Ok(set)
}

/// The per-IdP SP key for SAML `EncryptedAssertion`s, opened once per process.
pub async fn sp_saml_decryption_keys(
    ctx: &Ctx,
    idp: &Idp,
) -> Result<Arc<Vec<federa_saml::DecryptionKey>>, CoreError> {
    // Another domain than the JOSE set's digest (same sealed key, another parsed form).
    let mut digest = sp_key_digest(idp, false);
    digest[0] ^= 0x5a;
    if let Some(k) = ctx.caches.sp_saml_decryption(&digest) {
        return Ok(k);
    }
    let der = sp_private_key_pkcs8(ctx, idp).await?;
    let key = federa_saml::DecryptionKey::from_pkcs8_der(der.expose()).map_err(internal)?;
    let keys = Arc::new(vec![key]);
    ctx.caches.put_sp_saml_decryption(digest, keys.clone());
    Ok(keys)
}

/// The per-IdP SP key with its certificate, for SAML signing and decryption, opened once per
/// process.
pub async fn sp_identity(ctx: &Ctx, idp: &Idp) -> Result<Arc<SigningIdentity>, CoreError> {
    let digest = sp_key_digest(idp, true);
    if let Some(k) = ctx.caches.sp_identity(&digest) {
        return Ok(k);
    }
    let der = sp_private_key_pkcs8(ctx, idp).await?;
    let cert = sp_certificate_der(ctx, idp).await?;
    let id = Arc::new(SigningIdentity::from_parts(der.expose(), &cert).map_err(internal)?);
    ctx.caches.put_sp_identity(digest, id.clone());
    Ok(id)
}

/// The SP key's self-signed certificate (DER).
pub async fn sp_certificate_der(_ctx: &Ctx, idp: &Idp) -> Result<Vec<u8>, CoreError> {
    STANDARD.decode(&idp.sp_cert_b64).map_err(internal)
}

/// The public half of the SP key as a JWK Set (`use: enc`, `alg: RSA-OAEP-256`).
pub async fn sp_jwks(ctx: &Ctx, idp: &Idp) -> Result<Jwks, CoreError> {
    Ok(sp_decryption_keys(ctx, idp).await?.public_jwks())
}

/// The SAML SP metadata of an IdP: entity id, ACS (HTTP-POST), and the SP certificate as both
/// signing and encryption key. `base` is the org's URL.
pub async fn sp_metadata(ctx: &Ctx, idp: &Idp, base: &str) -> Result<String, CoreError> {
    let cert = Certificate::from_der(&sp_certificate_der(ctx, idp).await?).map_err(internal)?;
    let name_id_formats = match &idp.saml {
        Some(s) => vec![s.name_format.clone()],
        None => vec![NAMEID_UNSPECIFIED.to_string()],
    };
    federa_saml::metadata::sp_metadata_xml(&federa_saml::metadata::SpMetadataOut {
        entity_id: sp_entity_id(base, &idp.id),
        acs_url: acs_url(base, &idp.id),
        signing_certs: vec![cert.clone()],
        encryption_certs: vec![cert],
        name_id_formats,
        authn_requests_signed: idp.saml.as_ref().is_some_and(|s| s.request_signed),
        want_assertions_signed: true,
    })
    .map_err(internal)
}
