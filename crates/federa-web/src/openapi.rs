//! The OpenAPI document, generated from the handlers' annotations and served at
//! `GET /api/v1/openapi.json`. A golden copy lives at `docs/openapi.json` in the repository;
//! a test fails when the code and the golden file disagree.

use crate::AppState;
use axum::Json;
use axum::Router;
use axum::routing::get;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{Modify, OpenApi};

struct Ssws;

impl Modify for Ssws {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "ssws",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Authorization",
                "`SSWS <token>` (also accepted without the space)",
            ))),
        );
    }
}

/// The document.
#[derive(OpenApi)]
#[openapi(
    info(title = "Federa admin API", description = "Okta-shaped management API of a Federa org. The org is chosen by the Host header."),
    paths(
        crate::ops::healthz, crate::ops::readyz, crate::ops::metrics, openapi_json,
        crate::api::users::create_user, crate::api::users::list_users, crate::api::users::get_user,
        crate::api::users::replace_user, crate::api::users::delete_user, crate::api::users::user_lifecycle, crate::api::users::clear_user_sessions,
        crate::api::users::user_groups,
        crate::api::apps::create_app, crate::api::apps::list_apps, crate::api::apps::get_app,
        crate::api::apps::replace_app, crate::api::apps::delete_app, crate::api::apps::app_lifecycle,
        crate::api::groups::create_group, crate::api::groups::list_groups, crate::api::groups::get_group,
        crate::api::groups::delete_group, crate::api::groups::group_members, crate::api::groups::add_member,
        crate::api::groups::remove_member,
        crate::api::authenticators::list_authenticators, crate::api::authenticators::get_authenticator,
        crate::api::authenticators::authenticator_lifecycle,
        crate::api::factors::list_factors, crate::api::factors::enroll_factor, crate::api::factors::list_questions,
        crate::api::factors::get_factor, crate::api::factors::delete_factor, crate::api::factors::activate_factor,
        crate::api::factors::resend_code, crate::api::factors::verify_factor, crate::api::factors::list_outbox,
        crate::api::features::list_features, crate::api::features::get_feature,
        crate::api::features::feature_lifecycle,
        crate::api::policies::list_policies, crate::api::policies::create_policy, crate::api::policies::get_policy,
        crate::api::policies::replace_policy, crate::api::policies::delete_policy, crate::api::policies::policy_lifecycle,
        crate::api::policies::list_rules, crate::api::policies::create_rule, crate::api::policies::get_rule,
        crate::api::policies::replace_rule, crate::api::policies::delete_rule, crate::api::policies::rule_lifecycle,
        crate::api::policies::assign_policy, crate::api::policies::simulate_policy,
        crate::api::logs::list_logs,
        crate::api::keys::rotate_keys,
        crate::api::idps::create_idp, crate::api::idps::list_idps, crate::api::idps::get_idp,
        crate::api::idps::replace_idp, crate::api::idps::delete_idp, crate::api::idps::idp_lifecycle,
        crate::api::idps::create_idp_key, crate::api::idps::list_idp_keys, crate::api::idps::get_idp_key,
        crate::api::idps::delete_idp_key, crate::api::idps::sp_metadata, crate::api::idps::sp_metadata_alias,
        crate::api::idps::sp_jwks,
    ),
    modifiers(&Ssws),
    tags((name = "users"), (name = "apps"), (name = "idps"), (name = "groups"), (name = "authenticators"), (name = "factors"), (name = "outbox"), (name = "features"), (name = "policies"), (name = "logs"), (name = "keys"), (name = "operations"), (name = "meta"))
)]
pub struct ApiDoc;

/// The document as pretty JSON with a trailing newline (the golden file's form).
pub fn document_json() -> String {
    let mut s = ApiDoc::openapi().to_pretty_json().unwrap_or_default();
    s.push('\n');
    s
}

/// Routes.
pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/openapi.json", get(openapi_json))
}

#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta", responses((status = 200, description = "This document")))]
/// The OpenAPI document (public).
pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
