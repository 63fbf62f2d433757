//! A 补办件 return visit at the window that booked it: what the window screen shows (the code,
//! the day and slot, the documents to bring) and the slip a clerk prints for the citizen.
//! The booking itself is made by `finish` (`appointments::finish_with_return`); who may read
//! a window's return is decided in the domain (`Hall::window_return_for`).

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::auth::{Principal, Staff};
use super::error::{ApiError, Json, Path};
use super::openapi::ErrorBody;
use super::tickets::{PrintStatus, desk_printer, public_base};
use crate::domain::DomainError;
use crate::domain::hall::BookingView;
use crate::printer::return_slip::ReturnSlip;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(show_window_return))
        .routes(routes!(print_window_return))
}

/// Print the slip of return visit `b` on `printer`; the booking stands whatever the printer
/// does.
pub(super) async fn print_return_slip(
    st: &AppState,
    printer: &str,
    b: &BookingView,
    base: &str,
    reprint: bool,
) -> PrintStatus {
    let slip = ReturnSlip::for_booking(b, &st.plan.rules.name, format!("{base}{}", b.url), reprint);
    let result = st
        .printers
        .print_encoded(printer, |paper| slip.encode(paper))
        .await;
    if let Err(e) = &result {
        tracing::warn!(%printer, booking = b.id.0, error = %e, "return slip not printed");
    }
    PrintStatus::of(result)
}

/// The return visit a window is showing, if any.
#[derive(Serialize, ToSchema)]
struct WindowReturn {
    window: u32,
    /// Booked at this window within the last 10 minutes and before it called anyone else;
    /// `null` otherwise.
    #[serde(rename = "return")]
    return_visit: Option<BookingView>,
}

/// The return visit (补办件) this window booked for the citizen still at its counter: the
/// window screen shows the code and documents. The window's clerk, a manager, the window's
/// evaluator or a display device.
#[utoipa::path(get, path = "/api/v1/windows/{number}/return", tag = "appointments", operation_id = "showWindowReturn",
    params(("number" = u64, Path, description = "The window number", minimum = 1, maximum = 4294967295_u64)),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The window's return visit, or null", body = WindowReturn),
        (status = 401, description = "No credentials (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "Another window's clerk or evaluator, a kiosk or an integrator (`forbidden`, `not_your_window`)", body = ErrorBody),
        (status = 404, description = "No such window (`unknown_window`)", body = ErrorBody),
    ))]
async fn show_window_return(
    State(st): State<AppState>,
    who: Principal,
    Path(n): Path<u32>,
) -> Result<Response, ApiError> {
    let actor = who.actor();
    let now = st.engine.clock().now();
    let shown = st
        .engine
        .read(move |h, _, _| h.window_return_for(&actor, n, now))?;
    Ok(axum::Json(WindowReturn {
        window: n,
        return_visit: shown,
    })
    .into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PrintReturnBody {
    /// The printer at hand (`GET /api/v1/desk/printers`).
    #[schema(min_length = 1, max_length = 64)]
    printer: String,
}

#[derive(Serialize, ToSchema)]
struct PrintedReturn {
    #[serde(rename = "return")]
    return_visit: BookingView,
    print: PrintStatus,
}

/// Print (again) the slip of the return visit this window is showing, marked 补打 (staff).
#[utoipa::path(post, path = "/api/v1/windows/{number}/return/print", tag = "appointments", operation_id = "printWindowReturn",
    params(("number" = u64, Path, description = "The window number", minimum = 1, maximum = 4294967295_u64)),
    request_body(content = PrintReturnBody),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "Sent to the printer (or `print.status = failed`)", body = PrintedReturn),
        (status = 403, description = "Not staff, or another window's clerk (`forbidden`, `not_your_window`)", body = ErrorBody),
        (status = 404, description = "No such window, or it shows no return visit (`unknown_window`, `unknown_appointment`)", body = ErrorBody),
        (status = 422, description = "No such printer (`unknown_printer`)", body = ErrorBody),
    ))]
async fn print_window_return(
    State(st): State<AppState>,
    Staff(who): Staff,
    headers: HeaderMap,
    Path(n): Path<u32>,
    Json(body): Json<PrintReturnBody>,
) -> Result<Response, ApiError> {
    let printer = desk_printer(&st, &who, Some(body.printer))?
        .ok_or_else(|| ApiError::bad_request("printer"))?;
    let actor = who.actor();
    let now = st.engine.clock().now();
    let shown = st
        .engine
        .read(move |h, _, _| h.window_return_for(&actor, n, now))?
        .ok_or(DomainError::UnknownAppointment)?;
    let print = print_return_slip(&st, &printer, &shown, &public_base(&st, &headers), true).await;
    Ok(axum::Json(PrintedReturn {
        return_visit: shown,
        print,
    })
    .into_response())
}
