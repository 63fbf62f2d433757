//! Appointment routes (API.md v2 "Appointments"): the public slot list, booking, the
//! booking's own page data and cancel; check-in at a kiosk or the help desk; the staff list.
//! Each handler parses, calls one engine method and maps the answer; the rules are in
//! `domain/appointments.rs` and `domain/hall/appointments.rs`.

use axum::Router;
use axum::extract::{FromRequestParts, State};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use jiff::civil::{Date, Time};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::auth::{Principal, Staff};
use super::error::{ApiError, Json, Path, Query};
use super::tickets::{
    PrintStatus, TicketDto, print_slip, public_base, qr_svg, ticket_dto, valid_token,
};
use crate::domain::hall::{Actor, AppointmentCommand, BookingView, CheckInKey, Command, SlotView};
use crate::engine::Outcome;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/appointments",
            post(book_appointment).get(list_appointments),
        )
        .route("/api/v1/appointments/slots", get(list_slots))
        .route("/api/v1/appointments/check-in", post(check_in))
        .route("/api/v1/appointments/{token}", get(show_appointment))
        .route(
            "/api/v1/appointments/{token}/cancel",
            post(cancel_appointment),
        )
        .route("/api/v1/appointments/{token}/qr.svg", get(appointment_qr))
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
        .map_err(|_| ApiError::bad_request(format!("{name} 应为 YYYY-MM-DD")))
}

fn hhmm(s: &str) -> Result<Time, ApiError> {
    let ok = s.len() == 5 && s.as_bytes()[2] == b':';
    ok.then(|| s.parse::<Time>().ok())
        .flatten()
        .ok_or_else(|| ApiError::bad_request("start 应为 HH:MM"))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SlotsParams {
    queue: String,
    from: Option<String>,
    to: Option<String>,
}

#[derive(Serialize)]
struct SlotsDto {
    queue: String,
    slots: Vec<SlotView>,
}

/// Most days one slot listing may span.
const MAX_SLOT_DAYS: i64 = 92;

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BookRequest {
    queue: String,
    day: String,
    start: String,
    id_number: String,
    phone: String,
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckInRequest {
    code: Option<String>,
    id_number: Option<String>,
    /// The help desk names the printer for the slip (a kiosk prints on its own).
    printer: Option<String>,
}

/// The slot of the booking a check-in used.
#[derive(Serialize)]
struct CheckInAppointment {
    id: crate::domain::appointments::BookingId,
    day: String,
    start: String,
    end: String,
}

#[derive(Serialize)]
struct CheckInDto {
    #[serde(flatten)]
    ticket: TicketDto,
    appointment: CheckInAppointment,
}

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
        _ => return Err(ApiError::bad_request("请提供 code 或 id_number 之一")),
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
        return Err(ApiError::bad_request(
            "只有补办件（supplement）可以预约回访",
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListParams {
    day: Option<String>,
    queue: Option<String>,
}

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
