//! Health, the hall overview, the OpenAPI document and the simulated clock.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::AppState;
use super::error::{ApiError, Json};
use crate::clock::ClockError;

/// The OpenAPI 3 document of every route (kept true by a test).
pub const OPENAPI: &str = include_str!("openapi.json");

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(health))
        .route("/api/v1/hall", get(show_hall))
        .route("/api/v1/version", get(show_version))
        .route("/api/openapi.json", get(openapi))
        .route("/api/v1/_clock", post(set_clock))
}

async fn health() -> Response {
    axum::Json(serde_json::json!({"status": "ok"})).into_response()
}

async fn show_hall(State(st): State<AppState>) -> Result<Response, ApiError> {
    let view = st.engine.read(|h, now, _| h.hall_view(now));
    let mut body = serde_json::to_value(view).map_err(|e| ApiError::internal(&e))?;
    // What the hall's gateways take: screens promise a message only when one will be sent.
    let kinds = st.config.notify_plan().map(|p| {
        p.targets
            .iter()
            .flat_map(|t| t.kinds.iter().map(|k| k.as_str()))
            .collect::<std::collections::BTreeSet<_>>()
    });
    let kinds = kinds.unwrap_or_default();
    body["notifications"] = serde_json::json!({
        "sms": kinds.contains("ahead"),
        "kinds": kinds,
    });
    Ok(axum::Json(body).into_response())
}

async fn show_version() -> Response {
    axum::Json(serde_json::json!({
        "version": env!("CARGO_PKG_VERSION"),
        "ui_version": super::UI_VERSION.as_str(),
    }))
    .into_response()
}

async fn openapi() -> Response {
    ([(CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockRequest {
    now: String,
}

async fn set_clock(
    State(st): State<AppState>,
    Json(req): Json<ClockRequest>,
) -> Result<Response, ApiError> {
    if !st.simulated_clock {
        return Err(ApiError::not_found());
    }
    let to: jiff::Timestamp = req
        .now
        .parse()
        .map_err(|e| ApiError::bad_request(format!("now 应为 RFC 3339 时间：{e}")))?;
    match st.engine.clock().set(to) {
        Ok(t) => {
            st.engine.tick().await;
            let now = crate::domain::event::rfc3339(t, &st.plan.rules.tz);
            Ok(axum::Json(serde_json::json!({"now": now})).into_response())
        }
        Err(ClockError::Backwards(_)) => {
            Err(ApiError::new(StatusCode::CONFLICT, "clock_backwards"))
        }
        Err(ClockError::NotSimulated) => Err(ApiError::not_found()),
    }
}
