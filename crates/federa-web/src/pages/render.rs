//! The template environment (templates compiled into the binary, auto-escaped) and the page
//! error type: every failure of a page renders a readable page, never JSON or a bare 500.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use federa_core::CoreError;
use minijinja::Environment;

/// The page templates.
#[derive(Debug)]
pub struct Templates {
    env: Environment<'static>,
}

const TEMPLATES: [(&str, &str); 13] = [
    ("demo.html", include_str!("../../templates/demo.html")),
    ("base.html", include_str!("../../templates/base.html")),
    (
        "identify.html",
        include_str!("../../templates/identify.html"),
    ),
    (
        "password.html",
        include_str!("../../templates/password.html"),
    ),
    ("choose.html", include_str!("../../templates/choose.html")),
    ("verify.html", include_str!("../../templates/verify.html")),
    ("enroll.html", include_str!("../../templates/enroll.html")),
    ("denied.html", include_str!("../../templates/denied.html")),
    ("error.html", include_str!("../../templates/error.html")),
    (
        "signed_out.html",
        include_str!("../../templates/signed_out.html"),
    ),
    ("me.html", include_str!("../../templates/me.html")),
    ("passkey.html", include_str!("../../templates/passkey.html")),
    (
        "saml_post.html",
        include_str!("../../templates/saml_post.html"),
    ),
];

impl Templates {
    /// Loads every template; a broken template is a startup error, not a request error.
    pub fn new() -> Result<Self, String> {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
        for (name, src) in TEMPLATES {
            env.add_template(name, src)
                .map_err(|e| format!("template {name}: {e}"))?;
        }
        Ok(Self { env })
    }

    /// Renders `name` with `ctx`.
    pub fn render(&self, name: &str, ctx: minijinja::Value) -> Result<String, PageError> {
        self.env
            .get_template(name)
            .and_then(|t| t.render(ctx))
            .map_err(|e| PageError::internal(format!("rendering {name}: {e}")))
    }
}

/// A page that could not be served, shown as a readable page with a status.
#[derive(Debug)]
pub struct PageError {
    /// Status.
    pub status: StatusCode,
    /// Heading.
    pub title: &'static str,
    /// Message for the person.
    pub message: String,
    /// Detail for the log (500s).
    pub detail: Option<String>,
}

impl PageError {
    /// 500 with a detail for the log.
    pub fn internal(detail: impl Into<String>) -> Self {
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            title: "Something went wrong",
            message: "Something went wrong on our side. Try again in a moment.".into(),
            detail: Some(detail.into()),
        }
    }

    /// 400 with a message.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            title: "That did not work",
            message: message.into(),
            detail: None,
        }
    }
}

impl From<CoreError> for PageError {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::Validation(errs) => Self::bad_request(
                errs.first()
                    .map(|f| f.message.clone())
                    .unwrap_or_else(|| "The request was not valid.".into()),
            ),
            CoreError::NotFound(what) => Self {
                status: StatusCode::NOT_FOUND,
                title: "Not found",
                message: format!("Not found: {what}"),
                detail: None,
            },
            CoreError::Conflict(msg) => Self {
                status: StatusCode::CONFLICT,
                title: "That did not work",
                message: msg,
                detail: None,
            },
            CoreError::TrustClaimsInUse { message, .. } => Self {
                status: StatusCode::FORBIDDEN,
                title: "Not allowed",
                message,
                detail: None,
            },
            CoreError::InvalidPasscode => {
                Self::bad_request("That code or answer did not work. Try again.")
            }
            CoreError::Unauthenticated => Self {
                status: StatusCode::UNAUTHORIZED,
                title: "Sign in first",
                message: "Sign in to continue.".into(),
                detail: None,
            },
            other => Self::internal(other.to_string()),
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        if let Some(d) = &self.detail {
            tracing::error!(error = %d, "page failed");
        }
        let body = format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title></head><body><main><h1>{t}</h1><div role=\"alert\">{m}</div><p><a href=\"/login?restart=1\">Start again</a></p></main></body></html>",
            t = escape(self.title),
            m = escape(&self.message)
        );
        (self.status, Html(body)).into_response()
    }
}

/// Escapes text for HTML.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
