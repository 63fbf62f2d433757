//! Appointment routes (API.md v2 "Appointments"): the public slot list, booking, the
//! booking's own page data and cancel; check-in at a kiosk or the help desk; the staff list.
//! Each handler parses, calls one engine method and maps the answer; the rules are in
//! `domain/appointments.rs` and `domain/hall/appointments.rs`.

use axum::extract::{FromRequestParts, State};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use jiff::civil::{Date, Time};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::auth::{Principal, Staff};
use super::error::{ApiError, Json, Path, Query};
use super::openapi::ErrorBody;
use super::tickets::{
    PrintStatus, TicketDto, print_slip, public_base, qr_svg, ticket_dto, valid_token,
};
use crate::domain::hall::{Actor, AppointmentCommand, BookingView, CheckInKey, Command, SlotView};
use crate::engine::Outcome;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(book_appointment, list_appointments))
        .routes(routes!(list_slots))
        .routes(routes!(check_in))
        .routes(routes!(show_appointment))
        .routes(routes!(cancel_appointment))
        .routes(routes!(appointment_qr))
}

/// The caller's credentials when it presented any (integrators), else a citizen.
struct MaybePrincipal(Option<Principal>);

impl FromRequestParts<AppState> for MaybePrincipal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, ApiError> {
        if !parts.headers.contains_key(AUTHORIZATION) {
            return Ok(MaybePrincipal(None));
        }
        Principal::from_request_parts(parts, st)
            .await
            .map(|p| MaybePrincipal(Some(p)))
    }
}

fn day(name: &str, s: &str) -> Result<Date, ApiError> {
    s.parse::<Date>()
        .map_err(|_| ApiError::bad_input("date", &[name]))
}

fn hhmm(s: &str) -> Result<Time, ApiError> {
    let ok = s.len() == 5 && s.as_bytes()[2] == b':';
    ok.then(|| s.parse::<Time>().ok())
        .flatten()
        .ok_or_else(|| ApiError::bad_input("time", &["start"]))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct SlotsParams {
    /// A queue id.
    #[param(example = "crj")]
    queue: String,
    /// First day (default today).
    #[param(pattern = "^(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$", format = Date)]
    from: Option<String>,
    /// Last day (default: 92 days from `from`; at most 92 days).
    #[param(pattern = "^(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$", format = Date)]
    to: Option<String>,
}

#[derive(Serialize, ToSchema)]
struct SlotsDto {
    queue: String,
    slots: Vec<SlotView>,
}

/// Most days one slot listing may span.
const MAX_SLOT_DAYS: i64 = 92;

/// A queue's appointment slots with what is left (public).
#[utoipa::path(get, path = "/api/v1/appointments/slots", tag = "appointments", operation_id = "listSlots",
    params(SlotsParams),
    responses(
        (status = 200, description = "Slots", body = SlotsDto),
        (status = 404, description = "No such queue (`unknown_queue`)", body = ErrorBody),
        (status = 409, description = "The queue takes no bookings (`appointments_not_offered`)", body = ErrorBody),
        (status = 422, description = "A range backwards or over 92 days (`invalid_range`)", body = ErrorBody),
    ))]
async fn list_slots(
    State(st): State<AppState>,
    Query(p): Query<SlotsParams>,
) -> Result<Response, ApiError> {
    let today = crate::domain::hall::local_day(&st.plan, st.engine.clock().now());
    let from = p
        .from
        .as_deref()
        .map(|s| day("from", s))
        .transpose()?
        .unwrap_or(today);
    let to = match p.to.as_deref() {
        Some(s) => day("to", s)?,
        None => from
            .checked_add(jiff::Span::new().days(MAX_SLOT_DAYS - 1))
            .map_err(ApiError::internal)?,
    };
    if to < from || (to - from).get_days() as i64 >= MAX_SLOT_DAYS {
        return Err(
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_range")
                .with(MAX_SLOT_DAYS.to_string()),
        );
    }
    let queue = p.queue.clone();
    let slots = st
        .engine
        .read(move |h, now, _| h.slot_views(&queue, from, to, now))?;
    Ok(axum::Json(SlotsDto {
        queue: p.queue,
        slots,
    })
    .into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct BookRequest {
    #[schema(example = "crj")]
    queue: String,
    #[schema(pattern = "^(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$", format = Date, example = "2026-12-02")]
    day: String,
    /// A slot's start, HH:MM.
    #[schema(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$", example = "09:00")]
    start: String,
    /// An 18-character resident ID (check character verified).
    #[schema(pattern = r"^\s*[0-9]{17}[0-9Xx]\s*$")]
    id_number: String,
    /// A mainland mobile number.
    #[schema(pattern = r"^\s*1[3-9][0-9]{9}\s*$")]
    phone: String,
    /// An integrator's own id for the booking: the same id answers the same booking (200).
    external_id: Option<String>,
}

fn expect_booking(o: Outcome) -> Result<(BookingView, bool), ApiError> {
    match o {
        Outcome::Booking { booking, created } => Ok((*booking, created)),
        _ => Err(ApiError::internal(
            "engine answered a booking with something else",
        )),
    }
}

fn entropy() -> u64 {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).expect("the OS random source is available");
    u64::from_le_bytes(b)
}

/// Book a slot (public, or an integrator device with `external_id`).
#[utoipa::path(post, path = "/api/v1/appointments", tag = "appointments", operation_id = "bookAppointment",
    request_body(content = BookRequest),
    security((), ("bearer" = [])),
    responses(
        (status = 201, description = "Booked", body = BookingView),
        (status = 200, description = "The same `external_id` again: the same booking", body = BookingView),
        (status = 401, description = "An unknown bearer token (`unauthenticated`)", body = ErrorBody),
        (status = 404, description = "No such queue (`unknown_queue`)", body = ErrorBody),
        (status = 409, description = "Not bookable (`appointments_not_offered`, `slot_full`, `slot_unavailable`, `already_booked`, `booking_suspended`)", body = ErrorBody),
        (status = 422, description = "Bad personal data (`invalid_id_number`, `invalid_phone`)", body = ErrorBody),
    ))]
async fn book_appointment(
    State(st): State<AppState>,
    MaybePrincipal(who): MaybePrincipal,
    Json(req): Json<BookRequest>,
) -> Result<Response, ApiError> {
    let cmd = AppointmentCommand::Book {
        queue: req.queue,
        day: day("day", &req.day)?,
        start: hhmm(&req.start)?,
        id_number: req.id_number,
        phone: req.phone,
        external_id: req.external_id,
        token: crate::engine::random_hex(),
        entropy: entropy(),
    };
    let actor = who.map_or(Actor::Citizen, |p| p.actor());
    let (b, created) = expect_booking(
        st.engine
            .execute(actor, Command::Appointment(Box::new(cmd)))
            .await?,
    )?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, axum::Json(b)).into_response())
}

/// A booking by its token (public): its state and, once checked in, its ticket.
#[utoipa::path(get, path = "/api/v1/appointments/{token}", tag = "appointments", operation_id = "showAppointment",
    params(("token" = String, Path, description = "The booking's token (64 hex)", pattern = "^[0-9a-fA-F]{64}$")),
    responses(
        (status = 200, description = "The booking", body = BookingView),
        (status = 404, description = "No booking has that token (`not_found`)", body = ErrorBody),
    ))]
async fn show_appointment(
    State(st): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    if !valid_token(&token) {
        return Err(ApiError::not_found());
    }
    let view = st
        .engine
        .read(move |h, _, _| h.booking_by_token(&token).map(|b| h.booking_view(b)))
        .ok_or_else(ApiError::not_found)?;
    Ok(axum::Json(view).into_response())
}

/// The QR code of a booking's own page `/a/{token}`, as SVG.
/// The QR code of a booking's page, as SVG.
#[utoipa::path(get, path = "/api/v1/appointments/{token}/qr.svg", tag = "appointments", operation_id = "appointmentQr",
    params(("token" = String, Path, description = "The booking's token (64 hex)", pattern = "^[0-9a-fA-F]{64}$")),
    responses(
        (status = 200, description = "An SVG image", content_type = "image/svg+xml", body = String),
        (status = 404, description = "No booking has that token (`not_found`)", body = ErrorBody),
    ))]
async fn appointment_qr(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    if !valid_token(&token) {
        return Err(ApiError::not_found());
    }
    let t = token.clone();
    st.engine
        .read(move |h, _, _| h.booking_by_token(&t).is_some())
        .then_some(())
        .ok_or_else(ApiError::not_found)?;
    qr_svg(&format!("{}/a/{token}", public_base(&st, &headers)))
}

/// Cancel a booking (only while booked).
#[utoipa::path(post, path = "/api/v1/appointments/{token}/cancel", tag = "appointments", operation_id = "cancelAppointment",
    params(("token" = String, Path, description = "The booking's token (64 hex)", pattern = "^[0-9a-fA-F]{64}$")),
    responses(
        (status = 200, description = "Cancelled", body = BookingView),
        (status = 404, description = "No booking has that token (`not_found`, `unknown_appointment`)", body = ErrorBody),
        (status = 409, description = "No longer booked (`invalid_state`)", body = ErrorBody),
    ))]
async fn cancel_appointment(
    State(st): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    if !valid_token(&token) {
        return Err(ApiError::not_found());
    }
    let cmd = AppointmentCommand::Cancel { token };
    let (b, _) = expect_booking(
        st.engine
            .execute(Actor::Citizen, Command::Appointment(Box::new(cmd)))
            .await?,
    )?;
    Ok(axum::Json(b).into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(min_properties = 1, max_properties = 2)]
struct CheckInRequest {
    /// The booking's 6-digit code (give this or `id_number`, not both).
    #[schema(value_type = String, required = false, pattern = r"^\s*[0-9]{6}\s*$")]
    code: Option<String>,
    /// The booked citizen's ID number.
    #[schema(value_type = String, required = false, pattern = r"^\s*[0-9]{17}[0-9Xx]\s*$")]
    id_number: Option<String>,
    /// The help desk names the printer for the slip (a kiosk prints on its own).
    printer: Option<String>,
}

/// The slot of the booking a check-in used.
#[derive(Serialize, ToSchema)]
struct CheckInAppointment {
    id: crate::domain::appointments::BookingId,
    day: String,
    start: String,
    end: String,
}

#[derive(Serialize, ToSchema)]
struct CheckInDto {
    #[serde(flatten)]
    ticket: TicketDto,
    appointment: CheckInAppointment,
}

/// Check in a booking at a kiosk or the desk, by code or ID number: a ticket of priority
/// `appointment`, printed like any other.
#[utoipa::path(post, path = "/api/v1/appointments/check-in", tag = "appointments", operation_id = "checkIn",
    request_body(content = CheckInRequest),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 201, description = "Checked in", body = CheckInDto),
        (status = 403, description = "Neither a kiosk nor staff (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No active booking today for that code or ID (`unknown_appointment`)", body = ErrorBody),
        (status = 409, description = "Too early or too late (`too_early`, `too_late`)", body = ErrorBody),
        (status = 422, description = "A bad ID number (`invalid_id_number`)", body = ErrorBody),
    ))]
async fn check_in(
    State(st): State<AppState>,
    who: Principal,
    headers: HeaderMap,
    Json(req): Json<CheckInRequest>,
) -> Result<Response, ApiError> {
    let filled = |s: Option<String>| s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let req_printer = super::tickets::desk_printer(&st, &who, req.printer)?;
    let key = match (filled(req.code), filled(req.id_number)) {
        (Some(c), None) => CheckInKey::Code(c),
        (None, Some(i)) => CheckInKey::IdNumber(i),
        _ => return Err(ApiError::bad_input("code_or_id_number", &[])),
    };
    let cmd = AppointmentCommand::CheckIn {
        key,
        token: crate::engine::random_hex(),
    };
    let (t, b) = match st
        .engine
        .execute(who.actor(), Command::Appointment(Box::new(cmd)))
        .await?
    {
        Outcome::CheckedIn { ticket, booking } => (*ticket, *booking),
        _ => {
            return Err(ApiError::internal(
                "engine answered a check-in with something else",
            ));
        }
    };
    // Committed first: whatever the printer does, the ticket exists.
    let print: PrintStatus = print_slip(
        &st,
        &who,
        req_printer,
        &t,
        &public_base(&st, &headers),
        false,
    )
    .await;
    let dto = CheckInDto {
        ticket: ticket_dto(t, print),
        appointment: CheckInAppointment {
            id: b.id,
            day: b.day,
            start: b.start,
            end: b.end,
        },
    };
    Ok((StatusCode::CREATED, axum::Json(dto)).into_response())
}

/// `finish {"outcome":"supplement","return":{"day","start"}}`: the window's reply carries
/// `"return": booking`.
pub(super) async fn finish_with_return(
    st: &AppState,
    who: Principal,
    window: u32,
    outcome: crate::domain::Outcome,
    note: Option<String>,
    d: &str,
    start: &str,
) -> Result<Response, ApiError> {
    if outcome != crate::domain::Outcome::Supplement {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "return_needs_supplement",
        ));
    }
    let cmd = AppointmentCommand::FinishWithReturn {
        window,
        note,
        day: day("return.day", d)?,
        start: hhmm(start)?,
        token: crate::engine::random_hex(),
        entropy: entropy(),
    };
    match st
        .engine
        .execute(who.actor(), Command::Appointment(Box::new(cmd)))
        .await?
    {
        Outcome::Returned { window, booking } => {
            let mut v = serde_json::to_value(*window).map_err(ApiError::internal)?;
            v["return"] = serde_json::to_value(*booking).map_err(ApiError::internal)?;
            Ok(axum::Json(v).into_response())
        }
        _ => Err(ApiError::internal(
            "engine answered a finish with something else",
        )),
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListParams {
    /// The day (default today).
    #[param(pattern = "^(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$", format = Date)]
    day: Option<String>,
    queue: Option<String>,
}

/// The day's bookings as staff see them.
#[derive(ToSchema)]
#[allow(dead_code)]
struct StaffBookings {
    #[schema(format = Date)]
    day: String,
    appointments: Vec<crate::domain::hall::StaffBookingView>,
}

/// The day's bookings, ID numbers masked to the last 4 (staff).
#[utoipa::path(get, path = "/api/v1/appointments", tag = "appointments", operation_id = "listAppointments",
    params(ListParams),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "Bookings", body = StaffBookings),
        (status = 403, description = "A device, not staff (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such queue (`unknown_queue`)", body = ErrorBody),
    ))]
async fn list_appointments(
    State(st): State<AppState>,
    Staff(_who): Staff,
    Query(p): Query<ListParams>,
) -> Result<Response, ApiError> {
    let today = crate::domain::hall::local_day(&st.plan, st.engine.clock().now());
    let d = p
        .day
        .as_deref()
        .map(|s| day("day", s))
        .transpose()?
        .unwrap_or(today);
    if let Some(q) = &p.queue
        && st.plan.queue(q).is_none()
    {
        return Err(crate::domain::DomainError::UnknownQueue(q.clone()).into());
    }
    let queue = p.queue;
    let rows = st
        .engine
        .read(move |h, _, _| h.staff_bookings(d, queue.as_deref()));
    Ok(axum::Json(serde_json::json!({"day": d.to_string(), "appointments": rows})).into_response())
}
