//! Protocol endpoints (CONTRACT §3): the OpenID Provider and the SAML IdP. Errors here follow
//! the protocols (OAuth error responses, SAML status or a readable page), never the admin
//! API's error objects.

pub mod broker;
pub mod oidc;
pub mod saml;

use crate::AppState;
use axum::Router;

/// Routes of the protocol endpoints.
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(oidc::routes())
        .merge(saml::routes())
        .merge(broker::routes())
}
