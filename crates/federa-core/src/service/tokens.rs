//! Admin API tokens: issue (shown once) and authenticate (`SSWS` header, both forms).

use crate::ctx::Ctx;
use crate::error::CoreError;
use crate::model::ApiToken;
use crate::system::sha256_hex;
use base64::Engine as _;
use federa_types::{ApiTokenId, OrgId, Secret};

/// Makes a new token value and its stored record. The value is returned once and never stored.
pub fn mint(ctx: &Ctx, org: &OrgId, name: &str) -> Result<(ApiToken, Secret<String>), CoreError> {
    let name = name.trim();
    if name.is_empty() || name.len() > 100 {
        return Err(CoreError::invalid(
            "name",
            "token name must be 1 to 100 characters",
        ));
    }
    let raw: [u8; 32] = ctx.random();
    let value = format!(
        "00{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
    );
    let token = ApiToken {
        id: ApiTokenId::generate(ctx.rng.as_ref()),
        org_id: org.clone(),
        name: name.to_string(),
        token_hash: sha256_hex(value.as_bytes()),
        created: ctx.clock.now(),
    };
    Ok((token, Secret::new(value)))
}

/// Creates and stores a token for `org`.
pub async fn create(
    ctx: &Ctx,
    org: &OrgId,
    name: &str,
) -> Result<(ApiToken, Secret<String>), CoreError> {
    let (token, value) = mint(ctx, org, name)?;
    ctx.store.create_token(&token).await?;
    Ok((token, value))
}

/// Extracts the token from an `Authorization` header value: `SSWS <token>` or `SSWS<token>`
/// (Okta's Python SDK omits the space).
pub fn parse_ssws(header: &str) -> Option<&str> {
    let rest = header.strip_prefix("SSWS")?;
    let token = rest.trim_start_matches(' ');
    let ok = !token.is_empty()
        && token.len() <= 256
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    ok.then_some(token)
}

/// The token of `org` presented in `authorization`, or [`CoreError::Unauthenticated`]. A token
/// of another org is unknown here, by construction of the lookup.
pub async fn authenticate(
    ctx: &Ctx,
    org: &OrgId,
    authorization: Option<&str>,
) -> Result<ApiToken, CoreError> {
    let value = authorization
        .and_then(parse_ssws)
        .ok_or(CoreError::Unauthenticated)?;
    ctx.store
        .token_by_hash(org, &sha256_hex(value.as_bytes()))
        .await?
        .ok_or(CoreError::Unauthenticated)
}

#[cfg(test)]
mod tests {
    use super::parse_ssws;

    #[test]
    fn both_ssws_forms_are_accepted() {
        assert_eq!(parse_ssws("SSWS 00abc"), Some("00abc"));
        assert_eq!(parse_ssws("SSWS00abc"), Some("00abc"));
        assert_eq!(parse_ssws("Bearer 00abc"), None);
        assert_eq!(parse_ssws("SSWS "), None);
        assert_eq!(parse_ssws("SSWS 00a bc"), None);
    }
}
