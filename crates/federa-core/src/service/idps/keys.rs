//! The org's IdP trust store (CONTRACT §2 "IdPs", `/api/v1/idps/credentials/keys`): add, read,
//! list and delete of the X.509 certificates that verify upstream SAML signatures, and the
//! certificates a given IdP trusts.

use super::{Idp, internal};
use crate::ctx::Ctx;
use crate::error::CoreError;
use crate::model::idp::IdpKeyCredential;
use crate::page::{Page, PageRequest};
use crate::ports::{IdpKeyDelete, StoreError, StoredIdpKey};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use federa_saml::Certificate;
use federa_types::{OrgId, Timestamp};

/// The DER certificates of the trust store that verify this IdP's SAML signatures
/// (`protocol.credentials.trust.kid`, then `additionalKids`). Empty for OIDC IdPs.
pub async fn trusted_certificates(ctx: &Ctx, idp: &Idp) -> Result<Vec<Vec<u8>>, CoreError> {
    let Some(saml) = &idp.saml else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for kid in &saml.trust_kids {
        if let Some(k) = ctx.store.idp_key(&idp.org_id, kid).await? {
            out.push(STANDARD.decode(&k.x5c).map_err(internal)?);
        }
    }
    Ok(out)
}

fn key_from_stored(k: StoredIdpKey) -> Result<IdpKeyCredential, CoreError> {
    Ok(IdpKeyCredential {
        cert_der: STANDARD.decode(&k.x5c).map_err(internal)?,
        kid: k.kid,
        org_id: k.org_id,
        kty: k.kty,
        x5t_s256: k.x5t_s256,
        created: k.created,
        expires_at: k.expires_at,
    })
}

fn not_after(der: &[u8]) -> Option<Timestamp> {
    use x509_cert::der::Decode as _;
    let cert = x509_cert::Certificate::from_der(der).ok()?;
    let t = cert.tbs_certificate.validity.not_after.to_unix_duration();
    i64::try_from(t.as_millis()).ok().map(Timestamp)
}

/// Adds a certificate (`x5c[0]`, base64 DER) to the org's IdP trust store.
pub async fn add_key(
    ctx: &Ctx,
    org: &OrgId,
    x5c: &[String],
) -> Result<IdpKeyCredential, CoreError> {
    let first = match x5c {
        [] => {
            return Err(CoreError::invalid(
                "x5c",
                "one base64 DER certificate is required",
            ));
        }
        [one] => one,
        _ => {
            return Err(CoreError::invalid(
                "x5c",
                "exactly one certificate is accepted",
            ));
        }
    };
    if first.len() > 64 * 1024 {
        return Err(CoreError::invalid("x5c[0]", "the certificate is too large"));
    }
    let cert = Certificate::from_base64(first)
        .map_err(|e| CoreError::invalid("x5c[0]", format!("not a usable certificate: {e}")))?;
    let der = cert.der().to_vec();
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &der);
    let x5t = URL_SAFE_NO_PAD.encode(digest.as_ref());
    let kid = {
        let b: [u8; 16] = ctx.random();
        b.iter().map(|x| format!("{x:02x}")).collect::<String>()
    };
    let stored = StoredIdpKey {
        kid,
        org_id: org.clone(),
        kty: "RSA".into(),
        x5c: STANDARD.encode(&der),
        x5t_s256: x5t,
        created: ctx.clock.now(),
        expires_at: not_after(&der),
    };
    ctx.store.add_idp_key(&stored).await.map_err(|e| match e {
        StoreError::Conflict(_) => {
            CoreError::invalid("x5c[0]", "this certificate is already in the IdP key store")
        }
        other => other.into(),
    })?;
    key_from_stored(stored)
}

fn check_kid(kid: &str) -> Result<(), CoreError> {
    if kid.is_empty() || kid.len() > 255 {
        return Err(CoreError::NotFound("key".into()));
    }
    Ok(())
}

/// One trust-store certificate.
pub async fn get_key(ctx: &Ctx, org: &OrgId, kid: &str) -> Result<IdpKeyCredential, CoreError> {
    check_kid(kid)?;
    let k = ctx.store.idp_key(org, kid).await?.ok_or_else(|| {
        CoreError::NotFound(format!(
            "key '{}'",
            kid.chars().take(64).collect::<String>()
        ))
    })?;
    key_from_stored(k)
}

/// A page of the trust store, oldest first.
pub async fn list_keys(
    ctx: &Ctx,
    org: &OrgId,
    page: &PageRequest,
) -> Result<Page<IdpKeyCredential>, CoreError> {
    let rows = ctx
        .store
        .list_idp_keys(org, page.after.as_deref(), i64::from(page.limit) + 1)
        .await?;
    let items = rows
        .into_iter()
        .map(key_from_stored)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_overfetch(items, page.limit, |k| k.kid.clone()))
}

/// Deletes a trust-store certificate unless an IdP uses it.
pub async fn delete_key(ctx: &Ctx, org: &OrgId, kid: &str) -> Result<(), CoreError> {
    check_kid(kid)?;
    match ctx.store.delete_idp_key(org, kid).await? {
        IdpKeyDelete::Deleted => Ok(()),
        IdpKeyDelete::InUse => Err(CoreError::invalid(
            "kid",
            "the key is used by an identity provider; change or delete the IdP first",
        )),
        IdpKeyDelete::Missing => Err(CoreError::NotFound(format!(
            "key '{}'",
            kid.chars().take(64).collect::<String>()
        ))),
    }
}
