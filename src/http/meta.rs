//! Health, the hall overview, the OpenAPI document and the simulated clock.

use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::error::{ApiError, Json};
use super::openapi::ErrorBody;
use crate::clock::ClockError;
use crate::domain::view::HallView;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(health))
        .routes(routes!(show_hall))
        .routes(routes!(show_version))
        .routes(routes!(openapi))
        .routes(routes!(set_clock))
}

/// `GET /healthz`.
#[derive(Serialize, ToSchema)]
struct Health {
    #[schema(pattern = "^ok$")]
    status: &'static str,
}

/// Liveness: the process answers (cheap; see `/readyz` for the engine and the disk).
#[utoipa::path(get, path = "/healthz", tag = "meta", operation_id = "health",
    responses((status = 200, description = "Alive", body = Health,
        example = json!({"status": "ok"}))))]
async fn health() -> Response {
    axum::Json(Health { status: "ok" }).into_response()
}

/// The hall overview: departments, queues with waiting counts and estimates, windows, zones
/// and the kiosk's texts.
#[utoipa::path(get, path = "/api/v1/hall", tag = "meta", operation_id = "showHall",
    responses((status = 200, description = "The hall now", body = HallView)))]
async fn show_hall(State(st): State<AppState>) -> Result<Response, ApiError> {
    let view = st.engine.read(|h, now, _| h.hall_view(now));
    let mut body = serde_json::to_value(view).map_err(|e| ApiError::internal(&e))?;
    // What the hall's gateways take: screens promise a message only when one will be sent.
    let kinds = &st.settings.notify_kinds;
    body["notifications"] = serde_json::json!({
        "sms": kinds.contains("ahead"),
        "kinds": kinds,
    });
    Ok(axum::Json(body).into_response())
}

/// `GET /api/v1/version`.
#[derive(Serialize, ToSchema)]
struct Version {
    /// The server's version.
    version: &'static str,
    /// Changes whenever the screens' files change: a screen reloads when it does.
    ui_version: &'static str,
}

/// The server's version and the screens' version (screens reload when it changes).
#[utoipa::path(get, path = "/api/v1/version", tag = "meta", operation_id = "showVersion",
    responses((status = 200, description = "Versions", body = Version)))]
async fn show_version() -> Response {
    axum::Json(Version {
        version: env!("CARGO_PKG_VERSION"),
        ui_version: super::UI_VERSION.as_str(),
    })
    .into_response()
}

/// This document (OpenAPI 3.1), generated from the handlers and types.
#[utoipa::path(get, path = "/api/openapi.json", tag = "meta", operation_id = "openapi",
    responses((status = 200, description = "The OpenAPI document", body = Object)))]
async fn openapi() -> Response {
    (
        [(CONTENT_TYPE, "application/json")],
        super::openapi::DOCUMENT.as_str(),
    )
        .into_response()
}

/// `POST /api/v1/_clock`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ClockRequest {
    /// The new hall time, RFC 3339 (never earlier than the clock).
    #[schema(format = DateTime, example = "2026-12-01T09:30:00+08:00")]
    now: String,
}

/// The hall clock after a move.
#[derive(Serialize, ToSchema)]
struct ClockReply {
    #[schema(format = DateTime)]
    now: String,
}

/// Move the simulated hall clock forward (only under `--simulated-clock`; else 404).
#[utoipa::path(post, path = "/api/v1/_clock", tag = "meta", operation_id = "setClock",
    request_body = ClockRequest,
    responses(
        (status = 200, description = "The clock moved", body = ClockReply),
        (status = 404, description = "The server runs on the real clock (`not_found`)", body = ErrorBody),
        (status = 409, description = "That time is earlier than the clock (`clock_backwards`)", body = ErrorBody),
    ))]
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
        .map_err(|e: jiff::Error| ApiError::bad_input("clock_now", &[&e.to_string()]))?;
    match st.engine.clock().set(to) {
        Ok(t) => {
            st.engine.tick().await;
            let now = crate::domain::event::rfc3339(t, &st.plan.rules.tz);
            Ok(axum::Json(ClockReply { now }).into_response())
        }
        Err(ClockError::Backwards(_)) => {
            Err(ApiError::new(StatusCode::CONFLICT, "clock_backwards"))
        }
        Err(ClockError::NotSimulated) => Err(ApiError::not_found()),
    }
}
