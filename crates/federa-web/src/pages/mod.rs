//! Server-rendered pages (CONTRACT §6): the sign-in flow, sign-out, the end-user session page,
//! and `GET/DELETE /api/v1/sessions/me`. Pages work without JavaScript, every form carries a
//! CSRF token, labels are visible, and errors appear in `role="alert"` without revealing
//! whether a user exists. One template per page under `templates/`; handlers only extract, call
//! one use case and render.

pub mod demo;
pub mod login;
pub mod me;
pub mod render;
pub mod web;

use crate::AppState;
use axum::Router;
use axum::routing::{get, post};

/// Routes of the pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(login::root))
        .route("/login", get(login::page))
        .route("/login/identify", post(login::identify))
        .route("/login/password", post(login::password))
        .route("/login/choose", post(login::choose))
        .route("/login/verify", post(login::verify))
        .route("/login/enroll", post(login::enroll))
        .route("/login/back", post(login::back))
        .route("/login/passkey/options", post(login::passkey_options))
        .route("/login/passkey", post(login::passkey))
        .route("/logout", get(me::logout_page).post(me::logout))
        .route("/me", get(me::page))
        .route("/demo", get(demo::start))
        .route("/demo/callback", get(demo::callback))
        .route("/me/factors/totp", post(me::add_totp))
        .route("/me/factors/{id}/activate", post(me::activate_factor))
        .route("/me/factors/{id}/delete", post(me::delete_factor))
        .route("/me/passkeys/options", post(me::passkey_options))
        .route("/me/passkeys", post(me::add_passkey))
        .route("/me/passkeys/{id}/delete", post(me::delete_passkey))
        .route(
            "/api/v1/sessions/me",
            get(me::session_json).delete(me::session_delete),
        )
}
