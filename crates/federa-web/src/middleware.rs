//! Request middleware: a request id on every request, response and log line (the span field
//! `request_id`); access log; metrics; and completion of error bodies (their `errorId` is the
//! request id, and the internal detail of a 500 is logged, never sent).

use crate::AppState;
use crate::error::ApiError;
use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::time::Instant;
use tracing::Instrument;

/// The id of the current request (a request extension).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Header carrying the request id (Okta's name).
pub const OKTA_REQUEST_ID: &str = "x-okta-request-id";

/// The route template that served a response (a response extension), for metrics labels that
/// do not explode with ids.
#[derive(Debug, Clone)]
pub struct RouteLabel(pub String);

/// Runs after routing (as a route layer): labels the response with its route template.
pub async fn label_route(path: Option<MatchedPath>, req: Request, next: Next) -> Response {
    let label = path.map(|p| p.as_str().to_string());
    let mut res = next.run(req).await;
    if let Some(l) = label {
        res.extensions_mut().insert(RouteLabel(l));
    }
    res
}

/// Wraps every request.
pub async fn observe(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let id = federa_types::id::random_base62(state.ctx.rng.as_ref(), 20);
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    req.extensions_mut().insert(RequestId(id.clone()));
    let span = tracing::info_span!("request", request_id = %id, method = %method, path = %path);
    let started = Instant::now();
    let mut res = next.run(req).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let route = res
        .extensions()
        .get::<RouteLabel>()
        .map(|r| r.0.clone())
        .unwrap_or_else(|| "unmatched".to_string());

    if let Some(err) = res.extensions_mut().remove::<ApiError>() {
        let mut body = err.body.clone();
        body.error_id = id.clone();
        if let Some(detail) = &err.detail {
            span.in_scope(|| tracing::error!(error = %detail, "request failed"));
        }
        let headers = std::mem::take(res.headers_mut());
        res = (err.status, axum::Json(body)).into_response();
        for (k, v) in headers.iter() {
            if k != axum::http::header::CONTENT_LENGTH && k != axum::http::header::CONTENT_TYPE {
                res.headers_mut().insert(k, v.clone());
            }
        }
    }
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(OKTA_REQUEST_ID, v.clone());
        res.headers_mut().insert("x-request-id", v);
    }
    let status = res.status();
    state
        .metrics
        .observe(&route, method.as_str(), status.as_u16(), elapsed);
    span.in_scope(|| {
        tracing::info!(status = status.as_u16(), route = %route, elapsed_ms = elapsed.as_secs_f64() * 1000.0, "request")
    });
    res
}

/// The response when a handler panicked: an Okta 500 (the panic message stays in the log).
pub fn panic_response(err: Box<dyn std::any::Any + Send + 'static>) -> Response<Body> {
    let msg = err
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "panic".into());
    tracing::error!(panic = %msg, "handler panicked");
    let mut e = ApiError::internal(msg);
    e.status = StatusCode::INTERNAL_SERVER_ERROR;
    e.into_response()
}
