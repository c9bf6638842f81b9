//! `/api/v1/users/{id}/factors` (CONTRACT §2 user factors, Okta's User Factors API): list,
//! enroll, get, activate, resend, verify and delete TOTP, SMS, voice, email and
//! security-question factors; and the operators' outbox `GET /api/v1/outbox` **(ext)**.
//! Secrets (TOTP seed, codes, answers) appear only in the enrollment response of a TOTP factor
//! and, for codes, in the outbox; never in a factor read back.

use super::page_request;
use super::users::with_link;
use crate::AppState;
use crate::error::{ApiError, ErrorObject};
use crate::extract::{Admin, ApiJson, ApiQuery, parse_json};
use crate::wire::{Links, link, link_header, rfc3339};
use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use federa_core::model::FactorProfile;
use federa_core::notify;
use federa_core::service::factors::{self, Activation, EnrollFactor, FactorStatus, UserFactor};
use federa_core::service::users;
use federa_types::Secret;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/users/{id}/factors",
            get(list_factors).post(enroll_factor),
        )
        .route("/api/v1/users/{id}/factors/questions", get(list_questions))
        .route(
            "/api/v1/users/{id}/factors/{fid}",
            get(get_factor).delete(delete_factor),
        )
        .route(
            "/api/v1/users/{id}/factors/{fid}/lifecycle/activate",
            post(activate_factor),
        )
        .route("/api/v1/users/{id}/factors/{fid}/resend", post(resend_code))
        .route(
            "/api/v1/users/{id}/factors/{fid}/verify",
            post(verify_factor),
        )
        .route("/api/v1/outbox", get(list_outbox))
}

/// `profile` of an enrollment request.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProfileIn {
    /// `sms`, `call`: the phone number (E.164, e.g. `+14155550100`).
    #[serde(default)]
    pub phone_number: Option<String>,
    /// `email`: the address (default: the user's primary email).
    #[serde(default)]
    pub email: Option<String>,
    /// `question`: the question key (`GET .../factors/questions`), or `custom`.
    #[serde(default)]
    pub question: Option<String>,
    /// `question` with `custom`: the question text.
    #[serde(default)]
    pub question_text: Option<String>,
    /// `question`: the answer (at least 4 characters; case and spacing do not matter).
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Password)]
    pub answer: Option<Secret<String>>,
    /// `token:software:totp`: ignored (the user's login is used).
    #[serde(default)]
    pub credential_id: Option<String>,
}

/// Body of `POST /api/v1/users/{id}/factors`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnrollIn {
    /// `token:software:totp`, `sms`, `call`, `email` or `question`.
    pub factor_type: String,
    /// `OKTA` (default) or `GOOGLE` (TOTP only).
    #[serde(default)]
    pub provider: Option<String>,
    /// Type-specific profile.
    #[serde(default)]
    pub profile: Option<ProfileIn>,
}

/// Body of activate and verify.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PassCodeIn {
    /// The code (TOTP, SMS, voice, email).
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Password)]
    pub pass_code: Option<Secret<String>>,
    /// The security answer.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Password)]
    pub answer: Option<Secret<String>>,
}

/// A link with a media type.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TypedLink {
    /// Target (a `data:` URI for QR codes).
    pub href: String,
    /// Media type.
    #[serde(rename = "type")]
    pub kind: String,
}

/// `_links` of a TOTP activation.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActivationLinks {
    /// The otpauth URI as a QR code (SVG).
    pub qrcode: TypedLink,
}

/// Activation data returned once, when a factor is enrolled.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ActivationOut {
    /// TOTP: the base32 seed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shared_secret: Option<String>,
    /// TOTP: `base32`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    /// TOTP: digits of a code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_length: Option<u8>,
    /// TOTP: seconds per code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_step: Option<u64>,
    /// TOTP: the `otpauth://` URI **(ext)**.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub otpauth_uri: Option<String>,
    /// SMS, voice, email: when the sent code expires **(ext)**.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// TOTP: the QR code.
    #[serde(rename = "_links", skip_serializing_if = "Option::is_none")]
    pub links: Option<ActivationLinks>,
}

/// `_embedded` of an enrollment response.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FactorEmbedded {
    /// Activation data.
    pub activation: ActivationOut,
}

/// A factor as the API returns it (Okta's UserFactor).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FactorOut {
    /// Id.
    pub id: String,
    /// `token:software:totp`, `sms`, `call`, `email` or `question`.
    pub factor_type: String,
    /// `OKTA` or `GOOGLE`.
    pub provider: String,
    /// Same as provider.
    pub vendor_name: String,
    /// `PENDING_ACTIVATION` or `ACTIVE`.
    pub status: String,
    /// Created.
    pub created: String,
    /// Last change.
    pub last_updated: String,
    /// Public profile (never a secret).
    #[schema(value_type = Object)]
    pub profile: FactorProfile,
    /// Links: `self`, `user`, and `activate` + `resend` or `verify`.
    #[serde(rename = "_links")]
    pub links: Links,
    /// Activation data, only in the enrollment response.
    #[serde(rename = "_embedded", skip_serializing_if = "Option::is_none")]
    pub embedded: Option<FactorEmbedded>,
}

impl FactorOut {
    /// From a stored factor.
    pub fn from_factor(f: &UserFactor, base: &url::Url) -> Self {
        let user = format!("api/v1/users/{}", f.user_id);
        let me = format!("{user}/factors/{}", f.id);
        let mut links = Links::new();
        links.insert("self".into(), link(base, &me));
        links.insert("user".into(), link(base, &user));
        match f.status {
            FactorStatus::PendingActivation => {
                links.insert(
                    "activate".into(),
                    link(base, &format!("{me}/lifecycle/activate")),
                );
            }
            FactorStatus::Active => {
                links.insert("verify".into(), link(base, &format!("{me}/verify")));
            }
        }
        if f.factor_type.sends_codes() {
            links.insert("resend".into(), link(base, &format!("{me}/resend")));
        }
        Self {
            id: f.id.to_string(),
            factor_type: f.factor_type.as_str().into(),
            provider: f.provider.as_str().into(),
            vendor_name: f.provider.as_str().into(),
            status: f.status.as_str().into(),
            created: rfc3339(f.created),
            last_updated: rfc3339(f.last_updated),
            profile: f.profile.clone(),
            links,
            embedded: None,
        }
    }
}

fn activation_out(a: &Activation) -> Option<ActivationOut> {
    match a {
        Activation::Totp {
            shared_secret,
            otpauth_uri,
            qr_svg,
        } => Some(ActivationOut {
            shared_secret: Some(shared_secret.expose().clone()),
            encoding: Some("base32".into()),
            key_length: Some(factors::TOTP_DIGITS),
            time_step: Some(factors::TOTP_STEP_SECONDS),
            otpauth_uri: Some(otpauth_uri.expose().clone()),
            expires_at: None,
            links: Some(ActivationLinks {
                qrcode: TypedLink {
                    href: factors::svg_data_uri(qr_svg.expose()),
                    kind: "image/svg+xml".into(),
                },
            }),
        }),
        Activation::CodeSent { expires_at, .. } => Some(ActivationOut {
            shared_secret: None,
            encoding: None,
            key_length: None,
            time_step: None,
            otpauth_uri: None,
            expires_at: Some(rfc3339(*expires_at)),
            links: None,
        }),
        Activation::None => None,
    }
}

/// `{"factorResult": ...}`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FactorResult {
    /// `SUCCESS`, or `CHALLENGE` when a code was sent.
    pub factor_result: String,
}

/// A security question.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QuestionOut {
    /// Key to enroll with.
    pub question: String,
    /// Text shown to the user.
    pub question_text: String,
}

/// An outbox message **(ext)**.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OutboxOut {
    /// Id.
    pub id: String,
    /// `email`, `sms` or `voice`.
    pub channel: String,
    /// Recipient.
    pub to: String,
    /// Subject.
    pub subject: String,
    /// Text.
    pub body: String,
    /// Written.
    pub created: String,
    /// `PENDING`, `DELIVERED`, `FAILED` or `STORED` (no transport configured).
    pub status: String,
    /// Why delivery failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Query of `GET /api/v1/outbox`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct OutboxQuery {
    /// Page size, 1..=200 (default 200).
    pub limit: Option<String>,
    /// Cursor from the `next` link.
    pub after: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/users/{id}/factors", tag = "factors",
    params(("id" = String, Path, description = "User id or login")),
    responses((status = 200, body = Vec<FactorOut>), (status = 404, body = ErrorObject)),
    security(("ssws" = [])))]
/// Lists a user's factors.
pub async fn list_factors(
    State(s): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
) -> Result<Json<Vec<FactorOut>>, ApiError> {
    let user = users::get(&s.ctx, &admin.org.id, &id).await?;
    let all = factors::list(&s.ctx, &admin.org.id, &user.id).await?;
    Ok(Json(
        all.iter()
            .map(|f| FactorOut::from_factor(f, &admin.base))
            .collect(),
    ))
}

#[utoipa::path(post, path = "/api/v1/users/{id}/factors", tag = "factors",
    params(("id" = String, Path, description = "User id or login")), request_body = EnrollIn,
    responses((status = 200, body = FactorOut, description = "Enrolled; TOTP factors carry `_embedded.activation` once"),
        (status = 400, body = ErrorObject, description = "Unknown factorType or provider, bad profile, inactive authenticator, or already enrolled"),
        (status = 404, body = ErrorObject)),
    security(("ssws" = [])))]
/// Enrolls a factor (security questions are active at once; others wait for activation).
pub async fn enroll_factor(
    State(s): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<EnrollIn>,
) -> Result<Json<FactorOut>, ApiError> {
    let p = body.profile.unwrap_or_default();
    let input = EnrollFactor::parse(
        &body.factor_type,
        body.provider.as_deref(),
        FactorProfile {
            phone_number: p.phone_number,
            email: p.email,
            question: p.question,
            question_text: p.question_text,
            credential_id: None,
        },
        p.answer,
    )?;
    let user = users::get(&s.ctx, &admin.org.id, &id).await?;
    let enrolled = factors::enroll(&s.ctx, &admin.org.id, &user.id, input).await?;
    let mut out = FactorOut::from_factor(&enrolled.factor, &admin.base);
    out.embedded =
        activation_out(&enrolled.activation).map(|activation| FactorEmbedded { activation });
    Ok(Json(out))
}

#[utoipa::path(get, path = "/api/v1/users/{id}/factors/questions", tag = "factors",
    params(("id" = String, Path, description = "User id or login")),
    responses((status = 200, body = Vec<QuestionOut>), (status = 404, body = ErrorObject)),
    security(("ssws" = [])))]
/// The security questions a user can enroll.
pub async fn list_questions(
    State(s): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
) -> Result<Json<Vec<QuestionOut>>, ApiError> {
    users::get(&s.ctx, &admin.org.id, &id).await?;
    Ok(Json(
        factors::QUESTIONS
            .iter()
            .map(|(k, t)| QuestionOut {
                question: (*k).into(),
                question_text: (*t).into(),
            })
            .collect(),
    ))
}

#[utoipa::path(get, path = "/api/v1/users/{id}/factors/{fid}", tag = "factors",
    params(("id" = String, Path, description = "User id or login"), ("fid" = String, Path, description = "Factor id")),
    responses((status = 200, body = FactorOut), (status = 404, body = ErrorObject)),
    security(("ssws" = [])))]
/// Gets a factor.
pub async fn get_factor(
    State(s): State<AppState>,
    admin: Admin,
    Path((id, fid)): Path<(String, String)>,
) -> Result<Json<FactorOut>, ApiError> {
    let user = users::get(&s.ctx, &admin.org.id, &id).await?;
    let f = factors::get(&s.ctx, &admin.org.id, &user.id, &fid).await?;
    Ok(Json(FactorOut::from_factor(&f, &admin.base)))
}

#[utoipa::path(delete, path = "/api/v1/users/{id}/factors/{fid}", tag = "factors",
    params(("id" = String, Path), ("fid" = String, Path)),
    responses((status = 204, description = "Removed"), (status = 404, body = ErrorObject)),
    security(("ssws" = [])))]
/// Removes a factor.
pub async fn delete_factor(
    State(s): State<AppState>,
    admin: Admin,
    Path((id, fid)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let user = users::get(&s.ctx, &admin.org.id, &id).await?;
    factors::delete(&s.ctx, &admin.org.id, &user.id, &fid).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn required(v: Option<Secret<String>>, field: &str) -> Result<Secret<String>, ApiError> {
    v.filter(|s| !s.expose().trim().is_empty())
        .ok_or_else(|| ApiError::validation(format!("{field}: is required")))
}

#[utoipa::path(post, path = "/api/v1/users/{id}/factors/{fid}/lifecycle/activate", tag = "factors",
    params(("id" = String, Path), ("fid" = String, Path)), request_body = PassCodeIn,
    responses((status = 200, body = FactorOut),
        (status = 400, body = ErrorObject, description = "passCode missing"),
        (status = 403, body = ErrorObject, description = "E0000068: wrong, expired or reused code"),
        (status = 404, body = ErrorObject), (status = 409, body = ErrorObject, description = "Already active")),
    security(("ssws" = [])))]
/// Activates a pending factor with its first code.
pub async fn activate_factor(
    State(s): State<AppState>,
    admin: Admin,
    Path((id, fid)): Path<(String, String)>,
    ApiJson(body): ApiJson<PassCodeIn>,
) -> Result<Json<FactorOut>, ApiError> {
    let code = required(body.pass_code, "passCode")?;
    let user = users::get(&s.ctx, &admin.org.id, &id).await?;
    let f = factors::activate(&s.ctx, &admin.org.id, &user.id, &fid, code.expose()).await?;
    Ok(Json(FactorOut::from_factor(&f, &admin.base)))
}

#[utoipa::path(post, path = "/api/v1/users/{id}/factors/{fid}/resend", tag = "factors",
    params(("id" = String, Path), ("fid" = String, Path)),
    responses((status = 200, body = FactorOut, description = "A new code was sent (SMS, voice, email)"), (status = 404, body = ErrorObject)),
    security(("ssws" = [])))]
/// Sends a new code, superseding the previous one.
pub async fn resend_code(
    State(s): State<AppState>,
    admin: Admin,
    Path((id, fid)): Path<(String, String)>,
) -> Result<Json<FactorOut>, ApiError> {
    let user = users::get(&s.ctx, &admin.org.id, &id).await?;
    factors::challenge(&s.ctx, &admin.org.id, &user.id, &fid).await?;
    let f = factors::get(&s.ctx, &admin.org.id, &user.id, &fid).await?;
    Ok(Json(FactorOut::from_factor(&f, &admin.base)))
}

#[utoipa::path(post, path = "/api/v1/users/{id}/factors/{fid}/verify", tag = "factors",
    params(("id" = String, Path), ("fid" = String, Path)), request_body = PassCodeIn,
    responses((status = 200, body = FactorResult, description = "SUCCESS"),
        (status = 201, body = FactorResult, description = "CHALLENGE: no code given, a new one was sent (SMS, voice, email)"),
        (status = 400, body = ErrorObject),
        (status = 403, body = ErrorObject, description = "E0000068: wrong, expired or reused code, or too many attempts"),
        (status = 404, body = ErrorObject), (status = 409, body = ErrorObject, description = "Not active yet")),
    security(("ssws" = [])))]
/// Verifies a code or answer; without one, sends a code (SMS, voice, email).
pub async fn verify_factor(
    State(s): State<AppState>,
    admin: Admin,
    Path((id, fid)): Path<(String, String)>,
    raw: Bytes,
) -> Result<Response, ApiError> {
    // Okta clients send no body to ask for a code.
    let body: PassCodeIn = if raw.iter().all(u8::is_ascii_whitespace) {
        PassCodeIn::default()
    } else {
        parse_json(&raw)?
    };
    let user = users::get(&s.ctx, &admin.org.id, &id).await?;
    let given = body
        .pass_code
        .or(body.answer)
        .filter(|v| !v.expose().trim().is_empty());
    let Some(answer) = given else {
        let f = factors::get(&s.ctx, &admin.org.id, &user.id, &fid).await?;
        if !f.factor_type.sends_codes() {
            let field = if f.factor_type == factors::FactorType::Question {
                "answer"
            } else {
                "passCode"
            };
            return Err(ApiError::validation(format!("{field}: is required")));
        }
        factors::challenge(&s.ctx, &admin.org.id, &user.id, &fid).await?;
        let out = FactorResult {
            factor_result: "CHALLENGE".into(),
        };
        return Ok((StatusCode::CREATED, Json(out)).into_response());
    };
    match factors::verify(&s.ctx, &admin.org.id, &user.id, &fid, answer.expose()).await? {
        Some(_) => Ok(Json(FactorResult {
            factor_result: "SUCCESS".into(),
        })
        .into_response()),
        None => Err(federa_core::CoreError::InvalidPasscode.into()),
    }
}

#[utoipa::path(get, path = "/api/v1/outbox", tag = "outbox", params(OutboxQuery),
    responses((status = 200, body = Vec<OutboxOut>, description = "Newest first"), (status = 400, body = ErrorObject), (status = 401, body = ErrorObject)),
    security(("ssws" = [])))]
/// The org's notification outbox, newest first **(ext)**: every code sent by email, SMS or
/// voice, with its delivery status. For operators and tests.
pub async fn list_outbox(
    State(s): State<AppState>,
    admin: Admin,
    ApiQuery(q): ApiQuery<OutboxQuery>,
) -> Result<Response, ApiError> {
    let page = page_request(q.limit.as_deref(), q.after.clone())?;
    let result = notify::outbox(&s.ctx, &admin.org.id, &page).await?;
    let link = link_header(&admin.base, "/api/v1/outbox", page.limit, &[], &result);
    let body: Vec<OutboxOut> = result
        .items
        .iter()
        .map(|m| OutboxOut {
            id: m.id.clone(),
            channel: m.channel.as_str().into(),
            to: m.to.clone(),
            subject: m.subject.clone(),
            body: m.body.expose().clone(),
            created: rfc3339(m.created),
            status: m.status.as_str().into(),
            error: m.error.clone(),
        })
        .collect();
    Ok(with_link(Json(body).into_response(), &link))
}
