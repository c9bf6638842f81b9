//! The signed-in pages: `/me` (this session's verifications and where they came from, the
//! user's factors, adding a TOTP app and removing factors), sign-out, and the Sessions API
//! `GET/DELETE /api/v1/sessions/me` (CONTRACT §2) authenticated by the session cookie.

use super::render::PageError;
use super::web::{PageForm, PageOrg, see_other, set_cookie};
use crate::AppState;
use crate::error::ApiError;
use crate::wire::rfc3339;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use federa_claims::{FactorVerification, Source, amr_strings};
use federa_core::model::factor::{FactorProvider, FactorType};
use federa_core::model::session::Session;
use federa_core::service::factors::{self, Activation, EnrollFactor, EnrolledFactor};
use federa_core::service::sessions::{self, SESSION_COOKIE};
use federa_core::service::{users, webauthn};
use federa_core::system::constant_time_eq;
use minijinja::value::Serde;
use minijinja::{Value, context};
use serde::Serialize;

async fn signed_in(s: &AppState, po: &PageOrg) -> Result<Option<Session>, PageError> {
    Ok(sessions::current(&s.ctx, &po.org.id, po.cookie(SESSION_COOKIE)).await?)
}

fn check_csrf(session: &Session, form: &PageForm) -> Result<(), PageError> {
    if constant_time_eq(session.csrf.as_bytes(), form.get("csrf").as_bytes()) {
        Ok(())
    } else {
        Err(PageError::bad_request(
            "The form expired or did not come from this site. Reload the page and try again.",
        ))
    }
}

#[derive(Serialize)]
pub(crate) struct VerificationRow {
    authenticator: String,
    method: String,
    source: String,
    at: String,
}

pub(crate) fn rows(vs: &[FactorVerification]) -> Vec<VerificationRow> {
    vs.iter()
        .map(|v| VerificationRow {
            authenticator: v
                .authenticator_key
                .as_ref()
                .map(|k| k.as_str().to_string())
                .or_else(|| v.amr.as_ref().map(|a| format!("amr {}", a.as_str())))
                .unwrap_or_else(|| "MFA".into()),
            method: v
                .method
                .as_ref()
                .map(|m| m.as_str().to_string())
                .unwrap_or_default(),
            source: match &v.source {
                Source::Local => "this organization".into(),
                Source::Federated {
                    idp_id, carrier, ..
                } => format!("identity provider {idp_id} ({carrier:?})"),
            },
            at: rfc3339(v.verified_at),
        })
        .collect()
}

#[derive(Serialize)]
struct FactorRow {
    id: String,
    label: String,
    status: String,
}

async fn render_me(
    s: &AppState,
    po: &PageOrg,
    session: &Session,
    totp: Option<&EnrolledFactor>,
    error: Option<String>,
) -> Result<Response, PageError> {
    let user = users::get(&s.ctx, &po.org.id, session.user_id.as_str()).await?;
    let fs = factors::list(&s.ctx, &po.org.id, &session.user_id).await?;
    let factor_rows: Vec<FactorRow> = fs
        .iter()
        .map(|f| FactorRow {
            id: f.id.to_string(),
            label: f.factor_type.as_str().to_string(),
            status: f.status.as_str().to_string(),
        })
        .collect();
    let passkeys: Vec<FactorRow> = webauthn::list(&s.ctx, &po.org.id, &session.user_id)
        .await?
        .iter()
        .map(|p| FactorRow {
            id: p.id.to_string(),
            label: format!("passkey (added {})", rfc3339(p.created)),
            status: "ACTIVE".into(),
        })
        .collect();
    let totp_setup = totp.and_then(|e| match &e.activation {
        Activation::Totp { shared_secret, qr_svg, .. } => Some(context! {
            id => e.factor.id.to_string(), secret => shared_secret.expose().clone(), qr_svg => qr_svg.expose().clone()
        }),
        _ => None,
    });
    let html = s.templates.render(
        "me.html",
        context! {
            org_name => po.org.name.clone(), csrf => session.csrf.clone(), error, login => user.profile.login,
            verifications => Value::from(Serde(rows(&session.verifications))), factors => Value::from(Serde(factor_rows)), passkeys => Value::from(Serde(passkeys)), totp_setup,
        },
    )?;
    let mut res = Html(html).into_response();
    res.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(res)
}

/// `GET /me`.
pub async fn page(State(s): State<AppState>, po: PageOrg) -> Result<Response, PageError> {
    match signed_in(&s, &po).await? {
        Some(session) => render_me(&s, &po, &session, None, None).await,
        None => Ok(see_other("/login?return_to=/me", vec![])),
    }
}

/// `POST /me/factors/totp`: starts enrolling an authenticator app.
pub async fn add_totp(
    State(s): State<AppState>,
    po: PageOrg,
    form: PageForm,
) -> Result<Response, PageError> {
    let Some(session) = signed_in(&s, &po).await? else {
        return Ok(see_other("/login?return_to=/me", vec![]));
    };
    check_csrf(&session, &form)?;
    let input = EnrollFactor {
        factor_type: FactorType::Totp,
        provider: FactorProvider::Google,
        profile: Default::default(),
        answer: None,
    };
    match factors::enroll(&s.ctx, &po.org.id, &session.user_id, input).await {
        Ok(e) => render_me(&s, &po, &session, Some(&e), None).await,
        Err(federa_core::CoreError::Validation(errs)) => {
            let msg = errs.first().map(|e| e.message.clone()).unwrap_or_default();
            render_me(&s, &po, &session, None, Some(msg)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /me/factors/{id}/activate`.
pub async fn activate_factor(
    State(s): State<AppState>,
    po: PageOrg,
    Path(id): Path<String>,
    form: PageForm,
) -> Result<Response, PageError> {
    let Some(session) = signed_in(&s, &po).await? else {
        return Ok(see_other("/login?return_to=/me", vec![]));
    };
    check_csrf(&session, &form)?;
    match factors::activate(
        &s.ctx,
        &po.org.id,
        &session.user_id,
        &id,
        form.get("answer").trim(),
    )
    .await
    {
        Ok(_) => Ok(see_other("/me", vec![])),
        Err(federa_core::CoreError::InvalidPasscode) => {
            render_me(
                &s,
                &po,
                &session,
                None,
                Some("That code did not work. Add the app again and retry.".into()),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /me/factors/{id}/delete`.
pub async fn delete_factor(
    State(s): State<AppState>,
    po: PageOrg,
    Path(id): Path<String>,
    form: PageForm,
) -> Result<Response, PageError> {
    let Some(session) = signed_in(&s, &po).await? else {
        return Ok(see_other("/login?return_to=/me", vec![]));
    };
    check_csrf(&session, &form)?;
    factors::delete(&s.ctx, &po.org.id, &session.user_id, &id).await?;
    Ok(see_other("/me", vec![]))
}

/// `GET /logout`: a sign-out button when signed in.
pub async fn logout_page(State(s): State<AppState>, po: PageOrg) -> Result<Response, PageError> {
    match signed_in(&s, &po).await? {
        Some(session) => render_me(&s, &po, &session, None, None).await,
        None => Ok(Html(s.templates.render(
            "signed_out.html",
            context! { org_name => po.org.name.clone(), error => () },
        )?)
        .into_response()),
    }
}

/// `POST /logout`: ends the session.
pub async fn logout(
    State(s): State<AppState>,
    po: PageOrg,
    form: PageForm,
) -> Result<Response, PageError> {
    if let Some(session) = signed_in(&s, &po).await? {
        check_csrf(&session, &form)?;
        sessions::end(&s.ctx, &po.org.id, po.cookie(SESSION_COOKIE)).await?;
    }
    let html = s.templates.render(
        "signed_out.html",
        context! { org_name => po.org.name.clone(), error => () },
    )?;
    let mut res = Html(html).into_response();
    res.headers_mut().append(
        axum::http::header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, None, po.secure),
    );
    Ok(res)
}

/// The Sessions API object (Okta's shape plus `factorVerifications`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionOut {
    /// Session id.
    pub id: String,
    /// User id.
    pub user_id: String,
    /// Login.
    pub login: String,
    /// `ACTIVE`.
    pub status: String,
    /// Created.
    pub created_at: String,
    /// Expires if idle from now.
    pub expires_at: String,
    /// Last password verification.
    pub last_password_verification: Option<String>,
    /// Last other factor verification.
    pub last_factor_verification: Option<String>,
    /// Authentication methods (RFC 8176 values).
    pub amr: Vec<String>,
    /// (ext) Every verification with its source.
    #[schema(value_type = Vec<Object>)]
    pub factor_verifications: Vec<FactorVerification>,
}

async fn session_out(s: &AppState, session: &Session) -> Result<SessionOut, ApiError> {
    let user = users::get(&s.ctx, &session.org_id, session.user_id.as_str()).await?;
    let last = |pwd: bool| {
        session
            .verifications
            .iter()
            .filter(|v| (v.method.as_ref().map(|m| m.as_str()) == Some("password")) == pwd)
            .map(|v| v.verified_at)
            .max()
            .map(rfc3339)
    };
    Ok(SessionOut {
        id: session.public_id.clone(),
        user_id: session.user_id.to_string(),
        login: user.profile.login,
        status: session.status.clone(),
        created_at: rfc3339(session.created),
        expires_at: rfc3339(session.expires()),
        last_password_verification: last(true),
        last_factor_verification: last(false),
        amr: amr_strings(&session.verifications),
        factor_verifications: session.verifications.clone(),
    })
}

fn no_session() -> ApiError {
    ApiError::not_found("session")
}

/// `GET /api/v1/sessions/me`.
#[utoipa::path(get, path = "/api/v1/sessions/me", tag = "sessions",
    responses((status = 200, body = SessionOut), (status = 404, body = crate::error::ErrorObject)))]
pub async fn session_json(
    State(s): State<AppState>,
    po: PageOrg,
) -> Result<Json<SessionOut>, ApiError> {
    let session = sessions::current(&s.ctx, &po.org.id, po.cookie(SESSION_COOKIE))
        .await?
        .ok_or_else(no_session)?;
    Ok(Json(session_out(&s, &session).await?))
}

/// `DELETE /api/v1/sessions/me`.
#[utoipa::path(delete, path = "/api/v1/sessions/me", tag = "sessions",
    responses((status = 204, description = "Signed out"), (status = 404, body = crate::error::ErrorObject)))]
pub async fn session_delete(State(s): State<AppState>, po: PageOrg) -> Result<Response, ApiError> {
    sessions::current(&s.ctx, &po.org.id, po.cookie(SESSION_COOKIE))
        .await?
        .ok_or_else(no_session)?;
    sessions::end(&s.ctx, &po.org.id, po.cookie(SESSION_COOKIE)).await?;
    let mut res = StatusCode::NO_CONTENT.into_response();
    res.headers_mut().append(
        axum::http::header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, None, po.secure),
    );
    Ok(res)
}

/// `POST /me/passkeys/options`: starts registering a passkey (JSON for the page's script).
pub async fn passkey_options(
    State(s): State<AppState>,
    po: PageOrg,
    form: PageForm,
) -> Result<Response, PageError> {
    let Some(session) = signed_in(&s, &po).await? else {
        return Ok(see_other("/login?return_to=/me", vec![]));
    };
    check_csrf(&session, &form)?;
    let (ceremony, options) =
        webauthn::start_registration(&s.ctx, &po.org.id, &session.user_id, &po.relying_party())
            .await?;
    Ok(
        Json(serde_json::json!({ "ceremony": ceremony.as_str(), "options": options }))
            .into_response(),
    )
}

/// `POST /me/passkeys`: finishes registering a passkey.
pub async fn add_passkey(
    State(s): State<AppState>,
    po: PageOrg,
    form: PageForm,
) -> Result<Response, PageError> {
    let Some(session) = signed_in(&s, &po).await? else {
        return Ok(see_other("/login?return_to=/me", vec![]));
    };
    check_csrf(&session, &form)?;
    let credential: serde_json::Value = serde_json::from_str(form.get("credential"))
        .map_err(|_| PageError::bad_request("The passkey did not come back from the browser."))?;
    let ceremony = webauthn::CeremonyId::new(form.get("ceremony"));
    match webauthn::finish_registration(
        &s.ctx,
        &po.org.id,
        &session.user_id,
        &po.relying_party(),
        &ceremony,
        &credential,
    )
    .await
    {
        Ok(_) => Ok(see_other("/me", vec![])),
        Err(federa_core::CoreError::Validation(_) | federa_core::CoreError::Conflict(_)) => {
            render_me(
                &s,
                &po,
                &session,
                None,
                Some("The passkey could not be added. Try again.".into()),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /me/passkeys/{id}/delete`.
pub async fn delete_passkey(
    State(s): State<AppState>,
    po: PageOrg,
    Path(id): Path<String>,
    form: PageForm,
) -> Result<Response, PageError> {
    let Some(session) = signed_in(&s, &po).await? else {
        return Ok(see_other("/login?return_to=/me", vec![]));
    };
    check_csrf(&session, &form)?;
    webauthn::delete(&s.ctx, &po.org.id, &session.user_id, &id).await?;
    Ok(see_other("/me", vec![]))
}
