//! Being written.

use crate::AppState;
use axum::Router;

/// Routes.
pub fn routes() -> Router<AppState> {
    Router::new()
}
