//! The help desk (服务台, /staff/desk): look a ticket up by its number or by the citizen's ID
//! number, list the printers to reprint on (ids and health, never addresses), and cancel a
//! ticket at the citizen's request. Issuing on a citizen's behalf and reprinting use the
//! ticket routes with the desk clerk's session. Today's bookings are found by check-in code or ID
//! number and checked in through `POST /api/v1/appointments/check-in`. Any staff role.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::auth::Staff;
use super::error::{ApiError, Path, Query};
use super::openapi::ErrorBody;
use crate::domain::hall::Command;
use crate::domain::ticket::TicketId;
use crate::domain::view::TicketView;
use crate::printer::HealthState;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(find_tickets))
        .routes(routes!(cancel_ticket))
        .routes(routes!(list_printers))
        .routes(routes!(find_appointments))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct FindParams {
    /// A ticket number (`XF003`) or an 18-character ID number.
    #[param(min_length = 1, max_length = 32, pattern = r"\S")]
    q: String,
}

/// A ticket as the desk sees it: the staff view, names to read, the ID's last 4 at most.
#[derive(Serialize, ToSchema)]
struct DeskTicket {
    #[serde(flatten)]
    ticket: TicketView,
    queue_name: String,
    id_last4: Option<String>,
}

#[derive(Serialize, ToSchema)]
struct DeskTickets {
    tickets: Vec<DeskTicket>,
}

/// Find today's tickets by number (`XF003`) or a citizen's ID number (any staff).
#[utoipa::path(get, path = "/api/v1/desk/tickets", tag = "desk", operation_id = "findTickets",
    params(FindParams),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "Matching tickets (ID shown as its last 4 at most)", body = DeskTickets),
        (status = 403, description = "A device, not staff (`forbidden`)", body = ErrorBody),
        (status = 422, description = "An 18-character query that is no valid ID (`invalid_id_number`)", body = ErrorBody),
    ))]
async fn find_tickets(
    State(st): State<AppState>,
    Staff(_who): Staff,
    Query(p): Query<FindParams>,
) -> Result<Json<DeskTickets>, ApiError> {
    if p.q.trim().is_empty() || p.q.chars().count() > 32 {
        return Err(ApiError::bad_input("number_or_id_number", &[]));
    }
    let tickets = st.engine.read(move |h, _, _| {
        h.find_tickets(&p.q).map(|ts| {
            ts.into_iter()
                .map(|t| DeskTicket {
                    ticket: h.ticket_view(t),
                    queue_name: h
                        .plan()
                        .queue(&t.queue)
                        .map(|q| q.name.clone())
                        .unwrap_or_default(),
                    id_last4: t.id_last4.clone(),
                })
                .collect::<Vec<_>>()
        })
    })?;
    Ok(Json(DeskTickets { tickets }))
}

/// Cancel a waiting ticket at the citizen's request, by id.
#[utoipa::path(post, path = "/api/v1/desk/tickets/{id}/cancel", tag = "desk", operation_id = "deskCancelTicket",
    params(("id" = String, Path, description = "The ticket's id", pattern = "^[0-9]{1,18}$")),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "Cancelled", body = TicketView),
        (status = 403, description = "A device, not staff (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such ticket today (`not_found`)", body = ErrorBody),
        (status = 409, description = "The ticket no longer waits (`invalid_state`)", body = ErrorBody),
    ))]
async fn cancel_ticket(
    State(st): State<AppState>,
    Staff(who): Staff,
    Path(id): Path<String>,
) -> Result<Json<TicketView>, ApiError> {
    let id = TicketId(
        id.parse()
            .map_err(|_| ApiError::bad_input("ticket_id", &[]))?,
    );
    // The ticket's token stays on the server: the desk names the ticket by id.
    let token = st
        .engine
        .read(move |h, _, _| h.ticket(id).map(|t| t.token.clone()))
        .ok_or_else(ApiError::not_found)?;
    st.engine
        .execute(who.actor(), Command::Cancel { token })
        .await?;
    st.engine
        .read(move |h, _, _| h.ticket(id).map(|t| h.ticket_view(t)))
        .map(Json)
        .ok_or_else(ApiError::not_found)
}

#[derive(Serialize, ToSchema)]
struct DeskPrinter {
    id: String,
    state: HealthState,
    paper_near_end: bool,
}

/// The printers to reprint on: ids and health, never addresses.
#[utoipa::path(get, path = "/api/v1/desk/printers", tag = "desk", operation_id = "listDeskPrinters",
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "Printers", body = Vec<DeskPrinter>),
        (status = 403, description = "A device, not staff (`forbidden`)", body = ErrorBody),
    ))]
async fn list_printers(
    State(st): State<AppState>,
    Staff(_who): Staff,
) -> Result<Json<Vec<DeskPrinter>>, ApiError> {
    Ok(Json(
        st.printers
            .health()
            .into_iter()
            .map(|p| DeskPrinter {
                id: p.id,
                state: p.health.state,
                paper_near_end: p.health.paper_near_end,
            })
            .collect(),
    ))
}

#[derive(Serialize, ToSchema)]
struct DeskBooking {
    #[serde(flatten)]
    booking: crate::domain::hall::StaffBookingView,
    queue_name: String,
}

#[derive(Serialize, ToSchema)]
struct DeskBookings {
    appointments: Vec<DeskBooking>,
}

/// Today's bookings for a check-in code (6 digits) or an ID number; IDs masked to the last 4.
#[utoipa::path(get, path = "/api/v1/desk/appointments", tag = "desk", operation_id = "findAppointments",
    params(FindParams),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "Today's matching bookings (ID masked; never the code or the booking's token)", body = DeskBookings),
        (status = 403, description = "A device, not staff (`forbidden`)", body = ErrorBody),
        (status = 422, description = "An 18-character query that is no valid ID (`invalid_id_number`)", body = ErrorBody),
    ))]
async fn find_appointments(
    State(st): State<AppState>,
    Staff(_who): Staff,
    Query(p): Query<FindParams>,
) -> Result<Json<DeskBookings>, ApiError> {
    if p.q.trim().is_empty() || p.q.chars().count() > 32 {
        return Err(ApiError::bad_input("check_in_code_or_id_number", &[]));
    }
    let appointments = st.engine.read(move |h, now, _| {
        h.find_bookings(&p.q, now).map(|bs| {
            bs.into_iter()
                .map(|b| DeskBooking {
                    booking: h.staff_booking_view(b),
                    queue_name: h
                        .plan()
                        .queue(&b.queue)
                        .map(|q| q.name.clone())
                        .unwrap_or_default(),
                })
                .collect()
        })
    })?;
    Ok(Json(DeskBookings { appointments }))
}
