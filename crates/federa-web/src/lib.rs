//! `federa-web`: the HTTP face of Federa on axum. Routes, extractors, the one mapping from
//! `CoreError` to HTTP responses (Okta error objects), request ids, metrics, and the OpenAPI
//! document. Handlers are thin: extract, call one use case in `federa-core`, render.

pub mod api;
pub mod error;
pub mod extract;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod ops;
pub mod pages;
pub mod protocol;
pub mod wire;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use federa_core::Ctx;
use std::sync::Arc;

/// Settings of the HTTP layer.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Largest accepted request body in bytes.
    pub body_limit_bytes: usize,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            body_limit_bytes: 1024 * 1024,
        }
    }
}

/// Shared state of every handler: one allocation shared by reference count, because axum
/// clones the state for every extractor and middleware of every request (a deep clone of the
/// context is some twenty reference counts up and down each time).
#[derive(Clone, Debug)]
pub struct AppState(Arc<AppStateInner>);

impl std::ops::Deref for AppState {
    type Target = AppStateInner;
    fn deref(&self) -> &AppStateInner {
        &self.0
    }
}

/// What [`AppState`] holds.
#[derive(Debug)]
pub struct AppStateInner {
    /// Use-case context.
    pub ctx: Ctx,
    /// HTTP metrics.
    pub metrics: Arc<metrics::Metrics>,
    /// Settings.
    pub config: Arc<WebConfig>,
    /// Page templates.
    pub templates: Arc<pages::render::Templates>,
}

impl AppState {
    /// State over `ctx`.
    pub fn new(ctx: Ctx, config: WebConfig) -> Result<Self, String> {
        Ok(Self(Arc::new(AppStateInner {
            ctx,
            metrics: Arc::new(metrics::Metrics::default()),
            config: Arc::new(config),
            templates: Arc::new(pages::render::Templates::new()?),
        })))
    }
}

/// The complete application router.
pub fn router(state: AppState) -> Router {
    let limit = state.config.body_limit_bytes;
    Router::new()
        .merge(ops::routes())
        .merge(api::routes())
        .merge(pages::routes())
        .merge(protocol::routes())
        .route_layer(axum::middleware::from_fn(middleware::label_route))
        .fallback(ops::not_found)
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::observe,
        ))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            middleware::panic_response,
        ))
        .with_state(state)
}
