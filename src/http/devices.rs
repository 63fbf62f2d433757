//! Devices for managers: every printer with its health (ok, paper out, cover open, offline,
//! unreachable, last error, last checked) and every registered kiosk, screen and evaluator with
//! its last heartbeat and health.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::AppState;
use super::auth::Staff;
use super::error::ApiError;
use super::openapi::ErrorBody;
use crate::domain::event::rfc3339;
use crate::printer::HealthState;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_devices))
}

#[derive(Serialize, ToSchema)]
struct PrinterDto {
    id: String,
    address: String,
    width_mm: u32,
    kiosks: Vec<String>,
    state: HealthState,
    paper_near_end: bool,
    last_error: Option<String>,
    last_error_at: Option<String>,
    last_checked: Option<String>,
    last_printed: Option<String>,
}

#[derive(Serialize, ToSchema)]
struct DeviceDto {
    id: String,
    kind: crate::domain::DeviceKind,
    revoked: bool,
    /// The window an evaluator belongs to (本评价器属于N号窗口).
    window: Option<u32>,
    /// A kiosk's printer from the config.
    printer: Option<String>,
    /// A kiosk's zone from the config.
    zone: Option<String>,
    /// Its last heartbeat (`GET /api/v1/devices/me`), since the server started.
    last_seen: Option<String>,
    health: super::device_seen::DeviceHealth,
}

#[derive(Serialize, ToSchema)]
struct DevicesDto {
    printers: Vec<PrinterDto>,
    devices: Vec<DeviceDto>,
}

/// Every printer with its health and every registered device (manager).
#[utoipa::path(get, path = "/api/v1/devices", tag = "devices", operation_id = "listDevices",
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "Printers and devices", body = DevicesDto),
        (status = 403, description = "Not a manager or admin (`forbidden`)", body = ErrorBody),
    ))]
async fn list_devices(State(st): State<AppState>, Staff(who): Staff) -> Result<Response, ApiError> {
    who.require_manager()?;
    let reader = st.reader.clone();
    let rows = tokio::task::spawn_blocking(move || reader.devices()).await??;
    let tz = &st.plan.rules.tz;
    let at = |t: Option<jiff::Timestamp>| t.map(|t| rfc3339(t, tz));
    let now = st.engine.clock().now();
    let printers = st
        .printers
        .health()
        .into_iter()
        .map(|p| PrinterDto {
            id: p.id,
            address: p.address,
            width_mm: p.width_mm,
            kiosks: p.kiosks,
            state: p.health.state,
            paper_near_end: p.health.paper_near_end,
            last_error: p.health.last_error,
            last_error_at: at(p.health.last_error_at),
            last_checked: at(p.health.last_checked),
            last_printed: at(p.health.last_printed),
        })
        .collect();
    let devices = rows
        .into_iter()
        .map(|d| {
            let kiosk = (d.kind == crate::domain::DeviceKind::Kiosk)
                .then(|| st.plan.kiosks.iter().find(|k| k.id == d.id))
                .flatten();
            let (seen, health) = st.device_seen.health(&d.id, d.revoked, now);
            DeviceDto {
                last_seen: at(seen),
                health,
                printer: kiosk.and_then(|k| k.printer.clone()),
                zone: kiosk.and_then(|k| k.zone.clone()),
                id: d.id,
                kind: d.kind,
                revoked: d.revoked,
                window: d.window,
            }
        })
        .collect();
    Ok(axum::Json(DevicesDto { printers, devices }).into_response())
}
