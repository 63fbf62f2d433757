//! The floor wall's feed (`GET /api/v1/floor/wall`, for /display/floor.html): the manager's
//! live floor for a TV that runs on a display device token, so nothing expires and nobody
//! logs in. The same figures, without usernames or the clerks' pause reasons (a TV can be seen
//! by anyone passing). A manager's session may read it too.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde::Serialize;

use super::AppState;
use super::auth::Principal;
use super::error::ApiError;
use crate::reports::floor::{Alarm, Floor, FloorQueue, FloorTotals};

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/floor/wall", get(show_floor_wall))
}

/// A window on the floor wall.
#[derive(Debug, Serialize)]
struct WallWindow {
    number: u32,
    name: String,
    zone: String,
    /// `closed`, `open` (idle), `serving` or `paused`, as on the manager's floor.
    status: &'static str,
    status_s: i64,
    /// The clerk's display name.
    clerk_name: Option<String>,
    current: Option<String>,
    service_s: Option<i64>,
    waiting: u32,
    alarm: bool,
}

/// `GET /api/v1/floor/wall`.
#[derive(Debug, Serialize)]
struct FloorWall {
    at: String,
    seq: u64,
    service_day: String,
    totals: FloorTotals,
    alarms: Vec<Alarm>,
    queues: Vec<FloorQueue>,
    windows: Vec<WallWindow>,
}

impl From<Floor> for FloorWall {
    fn from(f: Floor) -> FloorWall {
        FloorWall {
            at: f.at,
            seq: f.seq,
            service_day: f.service_day,
            totals: f.totals,
            alarms: f.alarms,
            queues: f.queues,
            windows: f
                .windows
                .into_iter()
                .map(|w| WallWindow {
                    number: w.number,
                    name: w.name,
                    zone: w.zone,
                    status: w.status,
                    status_s: w.status_s,
                    clerk_name: w.clerk.map(|c| c.name),
                    current: w.current,
                    service_s: w.service_s,
                    waiting: w.waiting,
                    alarm: w.alarm,
                })
                .collect(),
        }
    }
}

async fn show_floor_wall(
    State(st): State<AppState>,
    who: Principal,
) -> Result<Json<FloorWall>, ApiError> {
    match &who {
        Principal::Device {
            kind: crate::domain::DeviceKind::Display,
            ..
        } => {}
        Principal::Device { .. } => return Err(ApiError::forbidden()),
        Principal::Staff { .. } => who.require_manager()?,
    }
    Ok(Json(super::manager::floor_now(&st).await?.into()))
}
