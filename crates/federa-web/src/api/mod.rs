//! The admin API (`/api/v1`), Okta-shaped: one module per resource.

pub mod apps;
pub mod authenticators;
pub mod factors;
pub mod features;
pub mod groups;
pub mod idps;
pub mod keys;
pub mod logs;
pub mod policies;
pub mod users;

use crate::AppState;
use crate::error::ApiError;
use axum::Router;
use federa_core::page::PageRequest;

/// Routes of the admin API.
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(users::routes())
        .merge(apps::routes())
        .merge(idps::routes())
        .merge(groups::routes())
        .merge(authenticators::routes())
        .merge(factors::routes())
        .merge(features::routes())
        .merge(policies::routes())
        .merge(logs::routes())
        .merge(keys::routes())
        .merge(crate::openapi::routes())
}

/// Parses `limit` and `after` query parameters.
pub fn page_request(limit: Option<&str>, after: Option<String>) -> Result<PageRequest, ApiError> {
    let limit = match limit {
        None | Some("") => None,
        Some(s) => Some(
            s.parse::<i64>()
                .map_err(|_| ApiError::validation("limit: must be an integer"))?,
        ),
    };
    Ok(PageRequest::new(limit, after)?)
}

/// Parses a boolean query parameter (`true`/`false`).
pub fn bool_param(name: &str, v: Option<&str>, default: bool) -> Result<bool, ApiError> {
    match v {
        None | Some("") => Ok(default),
        Some("true") => Ok(true),
        Some("false") => Ok(false),
        Some(_) => Err(ApiError::validation(format!(
            "{name}: must be true or false"
        ))),
    }
}
