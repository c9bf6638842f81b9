//! The authorization response: where the browser goes after `/authorize`.
//!
//! Owns the success response of RFC 6749 §4.1.2 (`code`, `state`) and the error response of
//! §4.1.2.1 (`error`, `error_description`, `state`), both with the `iss` parameter of RFC 9207
//! (mix-up defence, threat catalogue D.5), delivered as a query-string redirect or as form
//! fields for the Form Post Response Mode. URLs are built with `url::Url` only: response
//! parameters are appended to any query the registered redirect URI already has, and encoded.

use url::Url;

use crate::authorize::{AuthorizeRequest, ResponseMode};
use crate::error::{AuthorizeErrorCode, OidcError, wire_description};
use crate::params::{Issuer, RedirectUri, State};

/// How to deliver an authorization response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizeResponse {
    /// `302 Found` to this URL.
    Redirect(Url),
    /// Render an auto-submitting form that POSTs `fields` to `action` (HTML-escape both).
    FormPost {
        /// The redirect URI.
        action: Url,
        /// The response parameters, in order.
        fields: Vec<(&'static str, String)>,
    },
}

fn deliver(
    redirect_uri: &RedirectUri,
    mode: ResponseMode,
    fields: Vec<(&'static str, String)>,
) -> AuthorizeResponse {
    let mut url = redirect_uri.url().clone();
    url.set_fragment(None);
    match mode {
        ResponseMode::Query => {
            {
                let mut query = url.query_pairs_mut();
                for (name, value) in &fields {
                    query.append_pair(name, value);
                }
            }
            AuthorizeResponse::Redirect(url)
        }
        ResponseMode::FormPost => AuthorizeResponse::FormPost {
            action: url,
            fields,
        },
    }
}

/// The success response: `code`, `state` (if the request had one) and `iss`.
#[must_use]
pub fn success(request: &AuthorizeRequest, code: &str, issuer: &Issuer) -> AuthorizeResponse {
    let mut fields = vec![("code", code.to_owned())];
    if let Some(state) = &request.state {
        fields.push(("state", state.as_str().to_owned()));
    }
    fields.push(("iss", issuer.as_str().to_owned()));
    deliver(&request.redirect_uri, request.response_mode, fields)
}

/// An error that goes back to the client's redirect URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizeErrorRedirect {
    /// Where to send it.
    pub redirect_uri: RedirectUri,
    /// How.
    pub response_mode: ResponseMode,
    /// The request's `state`, if it had a usable one.
    pub state: Option<State>,
    /// The error code.
    pub error: AuthorizeErrorCode,
    /// A human-readable description (made RFC 6749-safe when sent).
    pub description: String,
}

impl AuthorizeErrorRedirect {
    /// From a validation error of the request.
    #[must_use]
    pub fn from_error(
        redirect_uri: RedirectUri,
        response_mode: ResponseMode,
        state: Option<State>,
        error: &OidcError,
    ) -> Self {
        AuthorizeErrorRedirect {
            redirect_uri,
            response_mode,
            state,
            error: error.authorize_error_code(),
            description: error.to_string(),
        }
    }

    /// For a decision taken after validation (e.g. `login_required` from
    /// [`crate::session_check`], `access_denied`, `unmet_authentication_requirements`).
    #[must_use]
    pub fn for_request(
        request: &AuthorizeRequest,
        error: AuthorizeErrorCode,
        description: impl Into<String>,
    ) -> Self {
        AuthorizeErrorRedirect {
            redirect_uri: request.redirect_uri.clone(),
            response_mode: request.response_mode,
            state: request.state.clone(),
            error,
            description: description.into(),
        }
    }

    /// The response: `error`, `error_description`, `state`, `iss`.
    #[must_use]
    pub fn response(&self, issuer: &Issuer) -> AuthorizeResponse {
        let mut fields = vec![
            ("error", self.error.as_str().to_owned()),
            ("error_description", wire_description(&self.description)),
        ];
        if let Some(state) = &self.state {
            fields.push(("state", state.as_str().to_owned()));
        }
        fields.push(("iss", issuer.as_str().to_owned()));
        deliver(&self.redirect_uri, self.response_mode, fields)
    }
}
