//! The floor wall's feed (`GET /api/v1/floor/wall`, for /display/floor.html): the manager's
//! live floor for a TV that runs on a display device token, so nothing expires and nobody
//! logs in. The same figures, without usernames or the clerks' pause reasons (a TV can be seen
//! by anyone passing). A manager's session may read it too.

use axum::Json;
use axum::extract::State;
use serde::Serialize;

use super::AppState;
use super::auth::Principal;
use super::error::ApiError;
use super::openapi::ErrorBody;
use crate::reports::floor::{Alarm, Floor, FloorQueue, FloorTotals};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(show_floor_wall))
}

/// A window on the floor wall.
#[derive(Debug, Serialize, ToSchema)]
struct WallWindow {
    number: u32,
    name: String,
    zone: String,
    /// `closed`, `open` (idle), `serving` or `paused`, as on the manager's floor.
    #[schema(value_type = String, pattern = "^(closed|open|serving|paused)$")]
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
#[derive(Debug, Serialize, ToSchema)]
struct FloorWall {
    #[schema(format = DateTime)]
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

/// The floor for a wall TV: a display device token or a manager's session; no usernames or
/// pause words.
#[utoipa::path(get, path = "/api/v1/floor/wall", tag = "manager", operation_id = "showFloorWall",
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The floor", body = FloorWall),
        (status = 403, description = "Neither a display device nor a manager (`forbidden`)", body = ErrorBody),
    ))]
async fn show_floor_wall(
    State(st): State<AppState>,
    who: Principal,
) -> Result<Json<FloorWall>, ApiError> {
    match &who {
        // The TV asks every few seconds: that is its heartbeat for the device list.
        Principal::Device {
            kind: crate::domain::DeviceKind::Display,
            id,
            ..
        } => st.device_seen.touch(id, st.engine.clock().now()),
        Principal::Device { .. } => return Err(ApiError::forbidden()),
        Principal::Staff { .. } => who.require_manager()?,
    }
    Ok(Json(super::manager::floor_now(&st).await?.into()))
}
