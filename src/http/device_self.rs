//! `GET /api/v1/devices/me`: a device asks who it is. A kiosk, screen or evaluator checks its
//! token at load and shows a setup screen when the token is missing, wrong or revoked, instead
//! of letting a citizen go through the whole flow first.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde::Serialize;

use super::AppState;
use super::auth::Principal;
use super::error::ApiError;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/devices/me", get(show_device_self))
}

/// The calling device as the hall knows it.
#[derive(Debug, Serialize)]
struct DeviceSelf {
    id: String,
    kind: crate::domain::DeviceKind,
    /// An evaluator's window.
    window: Option<u32>,
    /// A kiosk's printer and zone from the config.
    printer: Option<String>,
    zone: Option<String>,
}

async fn show_device_self(
    State(st): State<AppState>,
    who: Principal,
) -> Result<Json<DeviceSelf>, ApiError> {
    let Principal::Device { id, kind, window } = who else {
        return Err(ApiError::forbidden());
    };
    let kiosk = st
        .plan
        .kiosks
        .iter()
        .find(|k| kind == crate::domain::DeviceKind::Kiosk && k.id == id);
    Ok(Json(DeviceSelf {
        printer: kiosk.and_then(|k| k.printer.clone()),
        zone: kiosk.and_then(|k| k.zone.clone()),
        id,
        kind,
        window,
    }))
}
