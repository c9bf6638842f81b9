//! The one place where errors become HTTP responses: Okta's error object
//! `{errorCode, errorSummary, errorLink, errorId, errorCauses[{errorSummary}]}` with the
//! matching status. The `errorId` is the request id, filled in by the request middleware, which
//! also logs the internal detail of 500s (never sent to the client).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use federa_core::CoreError;
use serde::Serialize;

/// Okta's error object.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorObject {
    /// Okta error code, e.g. `E0000001`.
    pub error_code: String,
    /// Summary sentence.
    pub error_summary: String,
    /// Repeats the code.
    pub error_link: String,
    /// The request id; the same id is in the logs.
    pub error_id: String,
    /// Field-level causes.
    pub error_causes: Vec<ErrorCause>,
}

/// One cause of an error.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorCause {
    /// What is wrong, naming the field.
    pub error_summary: String,
}

/// An error on its way to the client. `detail` is for the log only.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// The body (errorId filled in later); boxed to keep `Result<_, ApiError>` small.
    pub body: Box<ErrorObject>,
    /// Internal detail to log (500s).
    pub detail: Option<String>,
}

impl ApiError {
    /// An error with `code`, `summary` and causes.
    pub fn new(
        status: StatusCode,
        code: &str,
        summary: impl Into<String>,
        causes: Vec<String>,
    ) -> Self {
        Self {
            status,
            body: Box::new(ErrorObject {
                error_code: code.to_string(),
                error_summary: summary.into(),
                error_link: code.to_string(),
                error_id: String::new(),
                error_causes: causes
                    .into_iter()
                    .map(|c| ErrorCause { error_summary: c })
                    .collect(),
            }),
            detail: None,
        }
    }

    /// 400 E0000001 with one cause.
    pub fn validation(cause: impl Into<String>) -> Self {
        let cause = cause.into();
        Self::new(
            StatusCode::BAD_REQUEST,
            "E0000001",
            format!("Api validation failed: {cause}"),
            vec![cause],
        )
    }

    /// 404 E0000007.
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "E0000007",
            format!("Not found: Resource not found: {} ", what.into())
                .trim_end()
                .to_string(),
            vec![],
        )
    }

    /// 401 E0000011.
    pub fn invalid_token() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "E0000011",
            "Invalid token provided",
            vec![],
        )
    }

    /// 500 E0000009 with a detail for the log.
    pub fn internal(detail: impl Into<String>) -> Self {
        let mut e = Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "E0000009",
            "Internal Server Error",
            vec![],
        );
        e.detail = Some(detail.into());
        e
    }
}

impl From<CoreError> for ApiError {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::Validation(errs) => {
                let causes: Vec<String> = errs
                    .iter()
                    .map(|f| format!("{}: {}", f.field, f.message))
                    .collect();
                let first = causes.first().cloned().unwrap_or_default();
                Self::new(
                    StatusCode::BAD_REQUEST,
                    "E0000001",
                    format!("Api validation failed: {first}"),
                    causes,
                )
            }
            CoreError::NotFound(what) => Self::not_found(what),
            CoreError::Conflict(msg) => Self::new(
                StatusCode::CONFLICT,
                "E0000195",
                format!("Api validation failed due to conflict: {msg}"),
                vec![msg],
            ),
            CoreError::TrustClaimsInUse { code, message } => {
                Self::new(StatusCode::FORBIDDEN, &code, message.clone(), vec![message])
            }
            CoreError::Unauthenticated => Self::invalid_token(),
            CoreError::InvalidPasscode => Self::new(
                StatusCode::FORBIDDEN,
                "E0000068",
                "Invalid Passcode/Answer",
                vec!["Your passcode doesn't match our records. Please try again.".into()],
            ),
            CoreError::Store(s) => Self::internal(s.to_string()),
            CoreError::Internal(s) => Self::internal(s),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // The body is serialised by the request middleware once it has set errorId; a response
        // that bypasses it (it never should) still carries a complete error object.
        let mut res = (self.status, axum::Json(self.body.clone())).into_response();
        res.extensions_mut().insert(self);
        res
    }
}
