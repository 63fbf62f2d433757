//! `GET /api/v1/windows/{number}/waiting-list`: the tickets a window would call, in the order
//! it would call them, with how long each has waited (the clerk console's 等候名单, from which
//! a clerk picks a 特呼). Any staff role; the list names no person.

use axum::Json;
use axum::extract::State;
use serde::Serialize;

use super::AppState;
use super::auth::Staff;
use super::error::{ApiError, Path};
use super::openapi::ErrorBody;
use crate::domain::event::rfc3339;
use crate::domain::ticket::{Priority, TicketId};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The longest list a console shows.
const MAX: usize = 50;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(show_waiting_list))
}

#[derive(Serialize, ToSchema)]
struct Waiting {
    id: TicketId,
    number: String,
    queue: String,
    priority: Priority,
    /// Transferred to this very window.
    transferred_here: bool,
    #[schema(format = DateTime)]
    issued_at: String,
    /// Seconds since issue (across transfers).
    waited_s: i64,
}

#[derive(Serialize, ToSchema)]
struct WaitingList {
    window: u32,
    tickets: Vec<Waiting>,
}

/// The tickets this window would call, in its calling order (at most 50).
#[utoipa::path(get, path = "/api/v1/windows/{number}/waiting-list", tag = "windows", operation_id = "showWaitingList",
    params(("number" = u64, Path, description = "The window number", minimum = 1, maximum = 4294967295_u64, example = 5)),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The waiting list", body = WaitingList),
        (status = 403, description = "A device, not staff (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such window (`not_found`)", body = ErrorBody),
    ))]
async fn show_waiting_list(
    State(st): State<AppState>,
    Staff(_who): Staff,
    Path(number): Path<u32>,
) -> Result<Json<WaitingList>, ApiError> {
    if st.plan.window(number).is_none() {
        return Err(ApiError::not_found().with(format!("window {number}")));
    }
    let tz = st.plan.rules.tz.clone();
    let tickets = st.engine.read(move |h, now, _| {
        h.call_order(number, MAX, now)
            .into_iter()
            .map(|t| Waiting {
                id: t.id,
                number: t.number.clone(),
                queue: t.queue.clone(),
                priority: t.priority,
                transferred_here: t.target_window == Some(number),
                issued_at: rfc3339(t.issued_at, &tz),
                waited_s: (now.as_second() - t.issued_at.as_second()).max(0),
            })
            .collect()
    });
    Ok(Json(WaitingList {
        window: number,
        tickets,
    }))
}
