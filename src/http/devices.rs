//! Devices for managers: every printer with its health (ok, paper out, cover open, offline,
//! unreachable, last error, last checked) and every registered kiosk, screen and evaluator.

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;

use super::AppState;
use super::auth::Staff;
use super::error::ApiError;
use crate::domain::event::rfc3339;
use crate::printer::HealthState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/devices", get(list_devices))
}

#[derive(Serialize)]
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

#[derive(Serialize)]
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
}

#[derive(Serialize)]
struct DevicesDto {
    printers: Vec<PrinterDto>,
    devices: Vec<DeviceDto>,
}

async fn list_devices(State(st): State<AppState>, Staff(who): Staff) -> Result<Response, ApiError> {
    who.require_manager()?;
    let reader = st.reader.clone();
    let rows = tokio::task::spawn_blocking(move || reader.devices()).await??;
    let tz = &st.plan.rules.tz;
    let at = |t: Option<jiff::Timestamp>| t.map(|t| rfc3339(t, tz));
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
            DeviceDto {
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
