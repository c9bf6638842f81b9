//! The answer to a verified SSO request (CONTRACT §3 "SAML IdP", §4 `OktaAuth`; SAML Core
//! §3.2.2, §2.7.2): the session check (`ForceAuthn`, `IsPassive`) and the policy decision, the
//! sign-in or step-up they lead to, and the Response: NameID and attributes from the app's
//! templates, `AuthnContextClassRef`, signing and encryption per the app, the org2org
//! `OktaAuth` JWE, or an error Response (`Responder`/`NoPassive`, `RequestDenied`).

use super::{
    AC_REFEDS_MFA, LogCtx, MAX_SP_METADATA, PageKind, PostBack, Resume, SESSION_AMR_ATTRIBUTE,
    STATUS_NO_PASSIVE, STATUS_REQUEST_DENIED, STATUS_RESPONDER, SsoOutcome, entity_id, log_sso,
    new_resume, odt, page, resume_url,
};
use crate::ctx::Ctx;
use crate::error::CoreError;
use crate::model::app::SamlSp;
use crate::model::session::Session;
use crate::model::{Engine as OrgEngine, Org, User, UserStatus};
use crate::service::signin::{self, Advance, AppSignIn};
use crate::service::syslog::OutcomeResult;
use crate::service::{keys, sessions, users};
use base64::Engine as _;
use federa_claims::Engine;
use federa_claims::okta_auth::{PayloadHeader, build_payload};
use federa_policy::eval::Decision;
use federa_saml::{
    Attribute, Certificate, Encryption, KeyTransport, Limits, NameId, ResponseOptions,
    ResponseParams, SignMode, ns,
};

/// The session check, the policy, and the Response.
pub(super) async fn respond(
    ctx: &Ctx,
    l: &LogCtx<'_>,
    sp: &SamlSp,
    resume: Resume,
    session_cookie: Option<&str>,
) -> Result<SsoOutcome, CoreError> {
    let (org, app) = (l.org, l.app);
    let now = ctx.clock.now();
    let session = sessions::current(ctx, &org.id, session_cookie).await?;
    let req = resume.req.clone();
    let passive = req.as_ref().is_some_and(|r| r.is_passive);
    let force = req.as_ref().is_some_and(|r| r.force_authn)
        && sp.honor_force_authn
        && !app.force_authn_disabled();
    let fresh = |s: &Session| resume.login_after.is_some_and(|t| s.created.0 >= t);
    let again = |login_after: Option<i64>| {
        let mut r = new_resume(ctx, app, req.clone(), resume.relay.clone(), login_after);
        r.login_after = login_after;
        resume_url(ctx, app, &r)
    };
    let session = match session {
        Some(s) if !force || fresh(&s) => s,
        _ if passive => {
            return status_response(
                ctx,
                l,
                sp,
                &resume,
                None,
                STATUS_NO_PASSIVE,
                "The user is not signed in.",
            )
            .await;
        }
        _ => {
            let back = again(Some(now.0))?;
            let (cookie, _, _) = signin::start_for_app(
                ctx,
                org,
                &app.id,
                &back,
                AppSignIn::Fresh { login_hint: None },
                l.client,
            )
            .await?;
            return Ok(SsoOutcome::SignIn(cookie));
        }
    };
    let user = users::get(ctx, &org.id, session.user_id.as_str()).await?;
    if user.status != UserStatus::Active {
        return status_response(
            ctx,
            l,
            sp,
            &resume,
            Some(&user),
            STATUS_REQUEST_DENIED,
            "The user is not active.",
        )
        .await;
    }
    let (decision, _) =
        signin::evaluate_for(ctx, org, &user, &session.verifications, None, Some(&app.id)).await?;
    match decision {
        Decision::Allow => {}
        Decision::Deny { reason, .. } => {
            return status_response(
                ctx,
                l,
                sp,
                &resume,
                Some(&user),
                STATUS_REQUEST_DENIED,
                &reason,
            )
            .await;
        }
        Decision::Challenge { .. } if passive => {
            return status_response(
                ctx,
                l,
                sp,
                &resume,
                Some(&user),
                STATUS_NO_PASSIVE,
                "The app's sign-in policy needs another factor.",
            )
            .await;
        }
        Decision::Challenge { .. } => {
            let back = again(resume.login_after)?;
            let (cookie, _, advance) = signin::start_for_app(
                ctx,
                org,
                &app.id,
                &back,
                AppSignIn::StepUp(&session),
                l.client,
            )
            .await?;
            return Ok(match advance {
                Advance::Done { cookie, redirect } => SsoOutcome::Reload {
                    session_cookie: cookie,
                    location: redirect,
                },
                _ => SsoOutcome::SignIn(cookie),
            });
        }
    }
    success(ctx, l, sp, &resume, &session, &user).await
}

fn engine_of(org: &Org) -> Engine {
    match org.engine {
        OrgEngine::Identity => Engine::Identity,
        OrgEngine::Classic => Engine::Classic,
    }
}

/// `${user.x}` substitution in attribute values and the NameID template.
pub fn expand(template: &str, user: &User) -> String {
    let p = &user.profile;
    template
        .replace("${user.userName}", &p.login)
        .replace("${user.login}", &p.login)
        .replace("${user.email}", &p.email)
        .replace("${user.firstName}", p.first_name.as_deref().unwrap_or(""))
        .replace("${user.lastName}", p.last_name.as_deref().unwrap_or(""))
}

/// The SP org's metadata encryption certificate (org2org), or why there is none.
async fn sp_encryption_cert(ctx: &Ctx, sp: &SamlSp) -> Result<Certificate, String> {
    let url = sp
        .metadata_url
        .as_deref()
        .ok_or_else(|| "the app has no SP metadata URL".to_string())?;
    let body = ctx
        .fetch
        .get(url, MAX_SP_METADATA)
        .await
        .map_err(|e| e.to_string())?;
    let text = std::str::from_utf8(&body).map_err(|_| "SP metadata is not UTF-8".to_string())?;
    let md = federa_saml::parse_sp_metadata(text, &Limits::default()).map_err(|e| e.to_string())?;
    md.encryption_certs
        .into_iter()
        .next()
        .ok_or_else(|| "SP metadata has no encryption certificate".to_string())
}

fn okta_auth_jwe(
    ctx: &Ctx,
    cert: &Certificate,
    session: &Session,
    header: &PayloadHeader<'_>,
) -> Result<String, String> {
    let key =
        federa_jose::RsaEncryptionKey::from_spki_der(cert.spki_der()).map_err(|e| e.to_string())?;
    let payload = build_payload(&session.verifications, header);
    let plain = serde_json::to_vec(&payload).map_err(|e| e.to_string())?;
    federa_jose::jwe::encrypt(
        &key,
        &plain,
        &federa_jose::EncryptOptions::new(),
        ctx.rng.as_ref(),
    )
    .map_err(|e| e.to_string())
}

async fn success(
    ctx: &Ctx,
    l: &LogCtx<'_>,
    sp: &SamlSp,
    resume: &Resume,
    session: &Session,
    user: &User,
) -> Result<SsoOutcome, CoreError> {
    let (org, app) = (l.org, l.app);
    let issuer = idp_issuer(l);
    let now = ctx.clock.now();
    let amr = federa_claims::amr_strings(&session.verifications);
    let mut name_value = expand(&sp.name_id_template, user);
    if name_value.trim().is_empty() || name_value.contains("${") {
        name_value = user.profile.login.clone();
    }
    let class_ref = sp.authn_context_class_ref.clone().unwrap_or_else(|| {
        if amr.iter().any(|a| a == "mfa") {
            AC_REFEDS_MFA.to_string()
        } else {
            ns::AC_PASSWORD_PROTECTED_TRANSPORT.to_string()
        }
    });
    let mut params = ResponseParams::new(
        issuer.clone(),
        sp.acs_url.clone(),
        sp.audience.clone(),
        NameId {
            value: name_value.clone(),
            format: sp.name_id_format.clone(),
        },
        session.public_id.clone(),
        odt(session.created)?,
        class_ref.clone(),
    );
    params.destination = sp.destination.clone();
    params.recipient = sp.recipient.clone();
    params.in_response_to = resume.req.as_ref().map(|r| r.id.clone());
    params.attributes = sp
        .attributes
        .iter()
        .map(|a| Attribute {
            name: a.name.clone(),
            name_format: Some(a.namespace.clone()),
            values: a.values.iter().map(|v| expand(v, user)).collect(),
        })
        .collect();
    if sp.include_session_amr {
        params.attributes.push(Attribute {
            name: SESSION_AMR_ATTRIBUTE.into(),
            name_format: Some(ns::ATTRNAME_UNSPECIFIED.into()),
            values: amr.clone(),
        });
    }
    let mut debug = serde_json::Map::new();
    debug.insert("sessionId".into(), session.public_id.clone().into());
    debug.insert("amr".into(), serde_json::Value::from(amr.clone()));
    debug.insert("authnContextClassRef".into(), class_ref.into());
    debug.insert(
        "initiatedBy".into(),
        if resume.req.is_some() { "SP" } else { "IDP" }.into(),
    );
    // The org2org app: the SP org's encryption certificate, for OktaAuth (and the assertion).
    let mut sp_enc: Option<Certificate> = None;
    if app.is_org2org() {
        match sp_encryption_cert(ctx, sp).await {
            Ok(cert) => {
                let header = PayloadHeader {
                    iss: &issuer,
                    aud: &sp.audience,
                    sub: &name_value,
                    iat: now.seconds(),
                    engine: engine_of(org),
                };
                match okta_auth_jwe(ctx, &cert, session, &header) {
                    Ok(jwe) => {
                        params.okta_auth = Some(jwe);
                        debug.insert("oktaAuth".into(), "included".into());
                    }
                    Err(e) => {
                        tracing::warn!(app = %app.id, error = %e, "OktaAuth not included");
                        debug.insert("oktaAuth".into(), format!("omitted: {e}").into());
                    }
                }
                sp_enc = Some(cert);
            }
            Err(e) => {
                tracing::warn!(app = %app.id, error = %e, "SP metadata unavailable; OktaAuth not included");
                debug.insert("oktaAuth".into(), format!("omitted: {e}").into());
            }
        }
    }
    let configured_cert = match sp.sp_certificate.as_deref().map(Certificate::from_base64) {
        Some(Ok(c)) => Some(c),
        Some(Err(e)) => {
            tracing::warn!(app = %app.id, error = %e, "spCertificate unusable");
            None
        }
        None => None,
    };
    let enc_cert = sp_enc.or(configured_cert);
    let encrypt = if sp.assertion_encrypted {
        match &enc_cert {
            Some(c) => Some(Encryption {
                recipient: c,
                key_transport: KeyTransport::default(),
            }),
            None => {
                log_sso(
                    ctx,
                    l,
                    Some(user),
                    OutcomeResult::Failure,
                    Some("no certificate to encrypt the assertion to"),
                    debug,
                )
                .await?;
                return Ok(page(
                    PageKind::BadRequest,
                    "The app wants encrypted assertions but has no usable SP certificate; ask an administrator.",
                ));
            }
        }
    } else {
        None
    };
    let sign = match (sp.response_signed, sp.assertion_signed) {
        (true, true) => SignMode::Both,
        (true, false) => SignMode::Response,
        // Never unsigned: an app that asks for neither gets a signed assertion.
        _ => SignMode::Assertion,
    };
    let identity = keys::saml_identity(ctx, &org.id).await?;
    let built = federa_saml::build_response(
        &params,
        &ResponseOptions { sign, encrypt },
        &identity,
        odt(now)?,
        ctx.rng.as_ref(),
    );
    let built = match built {
        Ok(b) => b,
        Err(e) => {
            log_sso(
                ctx,
                l,
                Some(user),
                OutcomeResult::Failure,
                Some("the response could not be built"),
                debug,
            )
            .await?;
            return Ok(page(
                PageKind::BadRequest,
                format!("The response for this app could not be built: {e}"),
            ));
        }
    };
    debug.insert("responseId".into(), built.response_id.clone().into());
    debug.insert("assertionId".into(), built.assertion_id.clone().into());
    log_sso(ctx, l, Some(user), OutcomeResult::Success, None, debug).await?;
    Ok(SsoOutcome::Post(PostBack {
        acs_url: sp.acs_url.clone(),
        saml_response: built.to_post_base64(),
        relay_state: resume.relay.clone(),
        app_label: app.label.clone(),
    }))
}

/// The IdP entity id for this attempt.
fn idp_issuer(l: &LogCtx<'_>) -> String {
    entity_id(l.issuer, l.app.id.as_str())
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c if c < '\u{20}' && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// An error Response (SAML Core §3.2.2.2): top-level `Responder`, second-level `status`, an
/// explanation; no assertion, so nothing to sign.
async fn status_response(
    ctx: &Ctx,
    l: &LogCtx<'_>,
    sp: &SamlSp,
    resume: &Resume,
    user: Option<&User>,
    status: &str,
    message: &str,
) -> Result<SsoOutcome, CoreError> {
    let now = ctx.clock.now();
    let id = federa_saml::xml::new_id(ctx.rng.as_ref());
    let mut xml = format!(
        r#"<samlp:Response xmlns:samlp="{}" xmlns:saml="{}" ID="{}" Version="2.0" IssueInstant="{}" Destination="{}""#,
        ns::PROTOCOL,
        ns::ASSERTION,
        id,
        federa_saml::xml::format_instant(odt(now)?),
        xml_escape(&sp.destination),
    );
    if let Some(r) = &resume.req {
        xml.push_str(&format!(r#" InResponseTo="{}""#, xml_escape(&r.id)));
    }
    xml.push_str(&format!(
        concat!(
            r#"><saml:Issuer Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity">{}</saml:Issuer>"#,
            r#"<samlp:Status><samlp:StatusCode Value="{}"><samlp:StatusCode Value="{}"/></samlp:StatusCode>"#,
            r#"<samlp:StatusMessage>{}</samlp:StatusMessage></samlp:Status></samlp:Response>"#
        ),
        xml_escape(&idp_issuer(l)),
        STATUS_RESPONDER,
        status,
        xml_escape(message),
    ));
    let mut debug = serde_json::Map::new();
    debug.insert("status".into(), status.into());
    debug.insert("responseId".into(), id.into());
    log_sso(ctx, l, user, OutcomeResult::Failure, Some(message), debug).await?;
    Ok(SsoOutcome::Post(PostBack {
        acs_url: sp.acs_url.clone(),
        saml_response: base64::engine::general_purpose::STANDARD.encode(xml.as_bytes()),
        relay_state: resume.relay.clone(),
        app_label: l.app.label.clone(),
    }))
}
