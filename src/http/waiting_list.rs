//! `GET /api/v1/windows/{number}/waiting-list`: the tickets a window would call, in the order
//! it would call them, with how long each has waited (the clerk console's 等候名单, from which
//! a clerk picks a 特呼). Any staff role; the list names no person.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde::Serialize;

use super::AppState;
use super::auth::Staff;
use super::error::{ApiError, Path};
use crate::domain::event::rfc3339;
use crate::domain::ticket::{Priority, TicketId};

/// The longest list a console shows.
const MAX: usize = 50;

pub fn routes() -> Router<AppState> {
    Router::new().route(
        "/api/v1/windows/{number}/waiting-list",
        get(show_waiting_list),
    )
}

#[derive(Serialize)]
struct Waiting {
    id: TicketId,
    number: String,
    queue: String,
    priority: Priority,
    /// Transferred to this very window.
    transferred_here: bool,
    issued_at: String,
    /// Seconds since issue (across transfers).
    waited_s: i64,
}

#[derive(Serialize)]
struct WaitingList {
    window: u32,
    tickets: Vec<Waiting>,
}

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
