//! AuthnRequest verification (CONTRACT §3 "SAML IdP"; SAML Core §3.4.1, Bindings §3.4–3.5):
//! a decoded request is checked against the app before anything else: signature per the app's
//! `spCertificate` and `samlSignedRequestEnabled`, `Issuer` = the app's audience,
//! `AssertionConsumerServiceURL`, `ProtocolBinding` and `Destination` when given, RelayState
//! size, `IssueInstant` freshness, and the request `ID` used once.

use super::{CLOCK_SKEW, MAX_RELAY_STATE, MAX_REQUEST_AGE, odt, sso_url};
use crate::ctx::Ctx;
use crate::error::CoreError;
use crate::model::Org;
use crate::model::app::SamlSp;
use crate::service::apps::App;
use federa_saml::{AuthnRequest, Certificate, SignaturePolicy, UnverifiedAuthnRequest, ns};
use federa_types::Timestamp;

type Refusal = (&'static str, String);

/// Verifies an AuthnRequest against the app.
pub(super) async fn check_request(
    ctx: &Ctx,
    org: &Org,
    issuer: &str,
    app: &App,
    sp: &SamlSp,
    unverified: UnverifiedAuthnRequest,
) -> Result<Result<AuthnRequest, Refusal>, CoreError> {
    let bad = |why: &'static str, detail: String| Ok(Err((why, detail)));
    let certs = match sp.sp_certificate.as_deref().map(Certificate::from_base64) {
        None => Vec::new(),
        Some(Ok(c)) => vec![c],
        Some(Err(e)) => {
            return bad(
                "The app's SP certificate is not usable; ask an administrator.",
                e.to_string(),
            );
        }
    };
    let policy = SignaturePolicy {
        certs: &certs,
        require_signature: sp.signed_requests_required,
    };
    let req = match unverified.verify(&policy) {
        Ok(r) => r,
        Err(e) => {
            return bad(
                "The sign-in request from the app is not signed correctly.",
                e.to_string(),
            );
        }
    };
    let f = &req.fields;
    if f.issuer != sp.audience {
        return bad(
            "The sign-in request comes from an app this org does not know.",
            format!("Issuer {:?} is not the app's audience", f.issuer),
        );
    }
    if let Some(acs) = &f.assertion_consumer_service_url
        && acs != &sp.acs_url
    {
        return bad(
            "The sign-in request names an address this app is not registered with.",
            format!("AssertionConsumerServiceURL {acs:?} is not the app's ACS URL"),
        );
    }
    if let Some(b) = &f.protocol_binding
        && b != ns::BINDING_POST
    {
        return bad(
            "The sign-in request asks for a response binding Federa does not use.",
            format!("ProtocolBinding {b:?}"),
        );
    }
    let here = sso_url(issuer, &app.name, app.id.as_str());
    if let Some(d) = &f.destination
        && d != &here
    {
        return bad(
            "The sign-in request was meant for another address.",
            format!("Destination {d:?} is not {here:?}"),
        );
    }
    if req
        .relay_state
        .as_ref()
        .is_some_and(|r| r.len() > MAX_RELAY_STATE)
    {
        return bad(
            "The RelayState is too long.",
            "RelayState over the limit".into(),
        );
    }
    let now = ctx.clock.now();
    if let Err(e) = req.check_issue_instant(odt(now)?, CLOCK_SKEW, MAX_REQUEST_AGE) {
        return bad(
            "The sign-in request has expired. Start again from the app.",
            e.to_string(),
        );
    }
    let until = f.issue_instant + MAX_REQUEST_AGE + CLOCK_SKEW;
    let until =
        Timestamp(i64::try_from(until.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX));
    let key = format!("{}|{}", app.id, f.id);
    if !ctx
        .store
        .remember_once(
            &org.id,
            "saml-request",
            &key,
            until.max(now.plus_millis(1)),
            now,
        )
        .await?
    {
        return bad(
            "This sign-in request was already used. Start again from the app.",
            format!("AuthnRequest ID {} replayed", f.id),
        );
    }
    Ok(Ok(req))
}
