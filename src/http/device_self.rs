//! `GET /api/v1/devices/me`: a device asks who it is. A kiosk, screen or evaluator checks its
//! token at load and shows a setup screen when the token is missing, wrong or revoked, instead
//! of letting a citizen go through the whole flow first, and asks again every minute: that is
//! its heartbeat, the admin's device list shows when each device was last seen.

use axum::Json;
use axum::extract::State;
use serde::Serialize;

use super::AppState;
use super::auth::Principal;
use super::error::ApiError;
use super::openapi::ErrorBody;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(show_device_self))
}

/// The calling device as the hall knows it.
#[derive(Debug, Serialize, ToSchema)]
struct DeviceSelf {
    id: String,
    kind: crate::domain::DeviceKind,
    /// An evaluator's window.
    window: Option<u32>,
    /// A kiosk's printer and zone from the config.
    printer: Option<String>,
    zone: Option<String>,
}

/// The calling device as the hall knows it (a screen checks its token at load).
#[utoipa::path(get, path = "/api/v1/devices/me", tag = "devices", operation_id = "showDeviceSelf",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The device", body = DeviceSelf),
        (status = 403, description = "A staff session, not a device (`forbidden`)", body = ErrorBody),
    ))]
async fn show_device_self(
    State(st): State<AppState>,
    who: Principal,
) -> Result<Json<DeviceSelf>, ApiError> {
    let Principal::Device { id, kind, window } = who else {
        return Err(ApiError::forbidden());
    };
    // This is also the devices' heartbeat (every minute), for the admin's list.
    st.device_seen.touch(&id, st.engine.clock().now());
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
