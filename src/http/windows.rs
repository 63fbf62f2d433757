//! Clerk routes: every window operation, each answering the window's new state.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::auth::{Principal, Staff};
use super::error::{ApiError, Json, OptionalJson, Path};
use super::openapi::ErrorBody;
use crate::domain::event::Position;
use crate::domain::hall::Command;
use crate::domain::reason::{Reason, ReasonCode};
use crate::domain::ticket::Outcome as ServiceOutcome;
use crate::domain::view::WindowView;
use crate::engine::Outcome;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_windows))
        .routes(routes!(show_window))
        .routes(routes!(sign_in))
        .routes(routes!(sign_out))
        .routes(routes!(pause_window))
        .routes(routes!(resume_window))
        .routes(routes!(call_next))
        .routes(routes!(recall_ticket))
        .routes(routes!(call_ticket))
        .routes(routes!(mark_no_show))
        .routes(routes!(start_service))
        .routes(routes!(finish_service))
        .routes(routes!(hold_ticket))
        .routes(routes!(call_back))
        .routes(routes!(transfer_ticket))
}

async fn run(st: &AppState, who: Principal, cmd: Command) -> Result<Response, ApiError> {
    match st.engine.execute(who.actor(), cmd).await? {
        Outcome::Window(v) => Ok(axum::Json(*v).into_response()),
        _ => Err(ApiError::internal(
            "engine answered a window command with a ticket",
        )),
    }
}

/// Every window's state.
#[utoipa::path(get, path = "/api/v1/windows", tag = "windows", operation_id = "listWindows",
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "Every window", body = Vec<WindowView>)))]
async fn list_windows(State(st): State<AppState>, _who: Principal) -> Result<Response, ApiError> {
    let views = st.engine.read(|h, _, _| {
        h.plan()
            .windows
            .iter()
            .filter_map(|w| h.window_view(w.number))
            .collect::<Vec<_>>()
    });
    Ok(axum::Json(views).into_response())
}

/// One window's state.
#[utoipa::path(get, path = "/api/v1/windows/{number}", tag = "windows", operation_id = "showWindow",
    params(("number" = u64, Path, description = "The window number", minimum = 1, maximum = 4294967295_u64, example = 5)),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The window", body = WindowView),
        (status = 404, description = "No such window (`unknown_window`)", body = ErrorBody),
    ))]
async fn show_window(
    State(st): State<AppState>,
    _who: Principal,
    Path(n): Path<u32>,
) -> Result<Response, ApiError> {
    let view = st.engine.read(move |h, _, _| h.window_view(n));
    let view = view.ok_or_else(|| ApiError::from(crate::domain::DomainError::UnknownWindow(n)))?;
    Ok(axum::Json(view).into_response())
}

/// Sign in at the window (a clerk within their scope; managers anywhere).
#[utoipa::path(post, path = "/api/v1/windows/{number}/sign-in", tag = "windows", operation_id = "signIn",
    params(("number" = u64, Path, description = "The window number", minimum = 1, maximum = 4294967295_u64, example = 5)),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The window's new state", body = WindowView),
        (status = 404, description = "No such window (`unknown_window`)", body = ErrorBody),
        (status = 403, description = "Not staff, or outside the clerk's scope (`forbidden`, `outside_scope`)", body = ErrorBody),
        (status = 409, description = "Refused in the window's state (`window_taken`, `clerk_elsewhere`)", body = ErrorBody),
    ))]
async fn sign_in(
    State(st): State<AppState>,
    Staff(who): Staff,
    Path(n): Path<u32>,
) -> Result<Response, ApiError> {
    let scope = match &who {
        Principal::Staff { scope, .. } => scope.clone(),
        Principal::Device { .. } => Default::default(),
    };
    run(&st, who, Command::SignIn { window: n, scope }).await
}

/// Sign out of the window.
#[utoipa::path(post, path = "/api/v1/windows/{number}/sign-out", tag = "windows", operation_id = "signOut",
    params(("number" = u64, Path, description = "The window number", minimum = 1, maximum = 4294967295_u64, example = 5)),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The window's new state", body = WindowView),
        (status = 404, description = "No such window (`unknown_window`)", body = ErrorBody),
        (status = 403, description = "Not staff, or not this clerk's window (`forbidden`, `not_your_window`)", body = ErrorBody),
        (status = 409, description = "Refused in the window's state (`window_not_open`, `window_busy`)", body = ErrorBody),
    ))]
async fn sign_out(
    State(st): State<AppState>,
    Staff(who): Staff,
    Path(n): Path<u32>,
) -> Result<Response, ApiError> {
    run(&st, who, Command::SignOut { window: n }).await
}

#[derive(Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
struct PauseBody {
    /// `code`, `code: words` or words alone (an `other` reason).
    #[serde(default)]
    #[schema(
        max_length = 100,
        pattern = r"^[^\x00-\x1F\x7F-\x9F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]*$"
    )]
    reason: String,
    reason_code: Option<ReasonCode>,
    /// Words with `reason_code`.
    #[schema(
        max_length = 100,
        pattern = r"^[^\x00-\x1F\x7F-\x9F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]*$"
    )]
    reason_text: Option<String>,
    /// When the clerk will be back: `HH:MM` today (hall clock) or RFC 3339; later today.
    #[schema(max_length = 40)]
    until: Option<String>,
}

/// A reason in its one wire form (`code` or `code: text`), from either shape a client sends:
/// `"reason": "lunch" | "other: 看病" | free text`, or `"reason_code"` with `"reason_text"`.
/// A Chinese label (`午休`) is stored as its code, as the console sends it.
fn given_reason(
    reason: Option<String>,
    code: Option<ReasonCode>,
    text: Option<String>,
) -> Result<Option<String>, ApiError> {
    match code {
        Some(code) => Ok(Some(Reason::from_parts(code, text.as_deref())?.to_string())),
        None => Ok(reason.map(|r| crate::reports::labels::reason_from_words(&r))),
    }
}

/// Pause the window (暂停), with a reason code and optional words.
#[utoipa::path(post, path = "/api/v1/windows/{number}/pause", tag = "windows", operation_id = "pauseWindow",
    params(("number" = u64, Path, description = "The window number", minimum = 1, maximum = 4294967295_u64, example = 5)),
    request_body(content = Option<PauseBody>, description = "Optional", example = json!({"reason_code": "lunch", "until": "13:30"})),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The window's new state", body = WindowView),
        (status = 404, description = "No such window (`unknown_window`)", body = ErrorBody),
        (status = 403, description = "Not staff, or not this clerk's window (`forbidden`, `not_your_window`)", body = ErrorBody),
        (status = 409, description = "Refused in the window's state (`window_not_open`, `window_busy`, `window_paused`)", body = ErrorBody),
        (status = 422, description = "A reason is missing, too long or has control characters or a return time not later today (`reason_required`, `reason_too_long`, `invalid_text`, `invalid_until`)", body = ErrorBody),
    ))]
async fn pause_window(
    State(st): State<AppState>,
    Staff(who): Staff,
    Path(n): Path<u32>,
    OptionalJson(b): OptionalJson<PauseBody>,
) -> Result<Response, ApiError> {
    run(
        &st,
        who,
        Command::Pause {
            window: n,
            reason: given_reason(Some(b.reason), b.reason_code, b.reason_text)?.unwrap_or_default(),
            until: b.until,
        },
    )
    .await
}

/// Resume a paused window.
#[utoipa::path(post, path = "/api/v1/windows/{number}/resume", tag = "windows", operation_id = "resumeWindow",
    params(("number" = u64, Path, description = "The window number", minimum = 1, maximum = 4294967295_u64, example = 5)),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The window's new state", body = WindowView),
        (status = 404, description = "No such window (`unknown_window`)", body = ErrorBody),
        (status = 403, description = "Not staff, or not this clerk's window (`forbidden`, `not_your_window`)", body = ErrorBody),
        (status = 409, description = "Refused in the window's state (`window_not_open`, `invalid_state`)", body = ErrorBody),
    ))]
async fn resume_window(
    State(st): State<AppState>,
    Staff(who): Staff,
    Path(n): Path<u32>,
) -> Result<Response, ApiError> {
    run(&st, who, Command::Resume { window: n }).await
}

/// Call the next ticket in the window's order; `reason` says why this one, `current` is null when nobody waits.
#[utoipa::path(post, path = "/api/v1/windows/{number}/call-next", tag = "windows", operation_id = "callNext",
    params(("number" = u64, Path, description = "The window number", minimum = 1, maximum = 4294967295_u64, example = 5)),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The window's new state", body = WindowView),
        (status = 404, description = "No such window (`unknown_window`)", body = ErrorBody),
        (status = 403, description = "Not staff, or not this clerk's window (`forbidden`, `not_your_window`)", body = ErrorBody),
        (status = 409, description = "Refused in the window's state (`window_not_open`, `window_paused`, `window_busy`)", body = ErrorBody),
    ))]
async fn call_next(
    State(st): State<AppState>,
    Staff(who): Staff,
    Path(n): Path<u32>,
) -> Result<Response, ApiError> {
    run(&st, who, Command::CallNext { window: n }).await
}

/// Call the current ticket again (重呼).
#[utoipa::path(post, path = "/api/v1/windows/{number}/recall", tag = "windows", operation_id = "recallTicket",
    params(("number" = u64, Path, description = "The window number", minimum = 1, maximum = 4294967295_u64, example = 5)),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The window's new state", body = WindowView),
        (status = 404, description = "No such window (`unknown_window`)", body = ErrorBody),
        (status = 403, description = "Not staff, or not this clerk's window (`forbidden`, `not_your_window`)", body = ErrorBody),
        (status = 409, description = "Refused in the window's state (`window_not_open`, `no_current_ticket`, `recall_limit`, `invalid_state`)", body = ErrorBody),
    ))]
async fn recall_ticket(
    State(st): State<AppState>,
    Staff(who): Staff,
    Path(n): Path<u32>,
) -> Result<Response, ApiError> {
    run(&st, who, Command::Recall { window: n }).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CallBody {
    /// The ticket's number, e.g. `A012`.
    #[schema(example = "A012")]
    ticket: String,
    /// `code`, `code: words` or words alone (an `other` reason).
    #[serde(default)]
    #[schema(
        max_length = 100,
        pattern = r"^[^\x00-\x1F\x7F-\x9F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]*$"
    )]
    reason: String,
    reason_code: Option<ReasonCode>,
    /// Words with `reason_code`.
    #[schema(
        max_length = 100,
        pattern = r"^[^\x00-\x1F\x7F-\x9F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]*$"
    )]
    reason_text: Option<String>,
}

/// Call one waiting ticket by number, out of order (特呼), with a reason.
#[utoipa::path(post, path = "/api/v1/windows/{number}/call", tag = "windows", operation_id = "callTicket",
    params(("number" = u64, Path, description = "The window number", minimum = 1, maximum = 4294967295_u64, example = 5)),
    request_body(content = CallBody, example = json!({"ticket": "H0003", "reason_code": "materials_back"})),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The window's new state", body = WindowView),
        (status = 403, description = "Not staff, or not this clerk's window (`forbidden`, `not_your_window`)", body = ErrorBody),
        (status = 404, description = "No such ticket today (`unknown_window`, `unknown_ticket`)", body = ErrorBody),
        (status = 409, description = "Refused in the window's or the ticket's state (`window_not_open`, `window_paused`, `window_busy`, `ticket_not_callable`)", body = ErrorBody),
        (status = 422, description = "A reason is missing, too long or has control characters (`reason_required`, `reason_too_long`, `invalid_text`)", body = ErrorBody),
    ))]
async fn call_ticket(
    State(st): State<AppState>,
    Staff(who): Staff,
    Path(n): Path<u32>,
    Json(b): Json<CallBody>,
) -> Result<Response, ApiError> {
    run(
        &st,
        who,
        Command::Call {
            window: n,
            number: b.ticket,
            reason: given_reason(Some(b.reason), b.reason_code, b.reason_text)?.unwrap_or_default(),
        },
    )
    .await
}

#[derive(Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
struct NoShowBody {
    /// `code`, `code: words` or words alone (an `other` reason).
    #[schema(
        max_length = 100,
        pattern = r"^[^\x00-\x1F\x7F-\x9F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]*$"
    )]
    reason: Option<String>,
    reason_code: Option<ReasonCode>,
    /// Words with `reason_code`.
    #[schema(
        max_length = 100,
        pattern = r"^[^\x00-\x1F\x7F-\x9F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]*$"
    )]
    reason_text: Option<String>,
}

/// The called citizen did not come (过号), with an optional reason.
#[utoipa::path(post, path = "/api/v1/windows/{number}/no-show", tag = "windows", operation_id = "markNoShow",
    params(("number" = u64, Path, description = "The window number", minimum = 1, maximum = 4294967295_u64, example = 5)),
    request_body(content = Option<NoShowBody>, description = "Optional"),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The window's new state", body = WindowView),
        (status = 404, description = "No such window (`unknown_window`)", body = ErrorBody),
        (status = 403, description = "Not staff, or not this clerk's window (`forbidden`, `not_your_window`)", body = ErrorBody),
        (status = 409, description = "Refused in the window's state (`window_not_open`, `no_current_ticket`, `invalid_state`)", body = ErrorBody),
        (status = 422, description = "A reason too long or with control characters (`reason_too_long`, `invalid_text`)", body = ErrorBody),
    ))]
async fn mark_no_show(
    State(st): State<AppState>,
    Staff(who): Staff,
    Path(n): Path<u32>,
    OptionalJson(b): OptionalJson<NoShowBody>,
) -> Result<Response, ApiError> {
    run(
        &st,
        who,
        Command::NoShow {
            window: n,
            reason: given_reason(b.reason, b.reason_code, b.reason_text)?,
        },
    )
    .await
}

/// The citizen arrived: service starts.
#[utoipa::path(post, path = "/api/v1/windows/{number}/start", tag = "windows", operation_id = "startService",
    params(("number" = u64, Path, description = "The window number", minimum = 1, maximum = 4294967295_u64, example = 5)),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The window's new state", body = WindowView),
        (status = 404, description = "No such window (`unknown_window`)", body = ErrorBody),
        (status = 403, description = "Not staff, or not this clerk's window (`forbidden`, `not_your_window`)", body = ErrorBody),
        (status = 409, description = "Refused in the window's state (`window_not_open`, `no_current_ticket`, `invalid_state`)", body = ErrorBody),
    ))]
async fn start_service(
    State(st): State<AppState>,
    Staff(who): Staff,
    Path(n): Path<u32>,
) -> Result<Response, ApiError> {
    run(&st, who, Command::Start { window: n }).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct FinishBody {
    outcome: ServiceOutcome,
    /// Needed for 补办件 (`supplement`) and 退回件 (`returned`).
    #[schema(
        max_length = 500,
        pattern = r"^[^\x00-\x09\x0B-\x1F\x7F-\x9F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]*$"
    )]
    note: Option<String>,
    /// APPOINTMENTS HOOK (issue 15): 补办件 with a return visit `{"day","start"}`.
    #[serde(rename = "return")]
    return_visit: Option<ReturnVisit>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ReturnVisit {
    #[schema(format = Date, pattern = "^(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$", example = "2026-12-08")]
    day: String,
    #[schema(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$", example = "09:00")]
    start: String,
}

/// Finish the service (办结) with its outcome; 补办件 may book a return visit.
#[utoipa::path(post, path = "/api/v1/windows/{number}/finish", tag = "windows", operation_id = "finishService",
    params(("number" = u64, Path, description = "The window number", minimum = 1, maximum = 4294967295_u64, example = 5)),
    request_body(content = FinishBody, example = json!({"outcome": "done"})),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The window's new state", body = WindowView),
        (status = 404, description = "No such window (`unknown_window`)", body = ErrorBody),
        (status = 403, description = "Not staff, or not this clerk's window (`forbidden`, `not_your_window`)", body = ErrorBody),
        (status = 409, description = "Refused in the window's state, or the return slot (`window_not_open`, `no_current_ticket`, `invalid_state`, `appointments_not_offered`, `slot_unavailable`)", body = ErrorBody),
        (status = 422, description = "A note is required for this outcome, has control characters, or a return visit without 补办件 (`reason_required`, `invalid_text`, `return_needs_supplement`)", body = ErrorBody),
    ))]
async fn finish_service(
    State(st): State<AppState>,
    Staff(who): Staff,
    Path(n): Path<u32>,
    Json(b): Json<FinishBody>,
) -> Result<Response, ApiError> {
    if b.note.as_ref().is_some_and(|n| n.chars().count() > 500) {
        return Err(ApiError::bad_input("note_too_long", &[]));
    }
    if let Some(r) = b.return_visit {
        return super::appointments::finish_with_return(
            &st, who, n, b.outcome, b.note, &r.day, &r.start,
        )
        .await;
    }
    run(
        &st,
        who,
        Command::Finish {
            window: n,
            outcome: b.outcome,
            note: b.note,
        },
    )
    .await
}

/// Hold the current ticket (挂起) to call it back later.
#[utoipa::path(post, path = "/api/v1/windows/{number}/hold", tag = "windows", operation_id = "holdTicket",
    params(("number" = u64, Path, description = "The window number", minimum = 1, maximum = 4294967295_u64, example = 5)),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The window's new state", body = WindowView),
        (status = 404, description = "No such window (`unknown_window`)", body = ErrorBody),
        (status = 403, description = "Not staff, or not this clerk's window (`forbidden`, `not_your_window`)", body = ErrorBody),
        (status = 409, description = "Refused in the window's state (`window_not_open`, `no_current_ticket`, `invalid_state`)", body = ErrorBody),
    ))]
async fn hold_ticket(
    State(st): State<AppState>,
    Staff(who): Staff,
    Path(n): Path<u32>,
) -> Result<Response, ApiError> {
    run(&st, who, Command::Hold { window: n }).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CallBackBody {
    /// The held ticket's number.
    #[schema(example = "A012")]
    ticket: String,
}

/// Call a held ticket back (回呼).
#[utoipa::path(post, path = "/api/v1/windows/{number}/call-back", tag = "windows", operation_id = "callBack",
    params(("number" = u64, Path, description = "The window number", minimum = 1, maximum = 4294967295_u64, example = 5)),
    request_body(content = CallBackBody, example = json!({"ticket": "H0003"})),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The window's new state", body = WindowView),
        (status = 403, description = "Not staff, or not this clerk's window (`forbidden`, `not_your_window`)", body = ErrorBody),
        (status = 404, description = "No such ticket today (`unknown_window`, `unknown_ticket`)", body = ErrorBody),
        (status = 409, description = "Refused in the window's or ticket's state (`window_not_open`, `window_busy`, `ticket_not_held`)", body = ErrorBody),
    ))]
async fn call_back(
    State(st): State<AppState>,
    Staff(who): Staff,
    Path(n): Path<u32>,
    Json(b): Json<CallBackBody>,
) -> Result<Response, ApiError> {
    run(
        &st,
        who,
        Command::CallBack {
            window: n,
            number: b.ticket,
        },
    )
    .await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct TransferBody {
    to_queue: Option<String>,
    #[schema(value_type = Option<u64>, minimum = 1, maximum = 4294967295_u64)]
    to_window: Option<u32>,
    #[serde(default = "default_position")]
    #[schema(default = "original")]
    position: Position,
    /// `code`, `code: words` or words alone (an `other` reason).
    #[schema(
        max_length = 100,
        pattern = r"^[^\x00-\x1F\x7F-\x9F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]*$"
    )]
    reason: Option<String>,
    reason_code: Option<ReasonCode>,
    /// Words with `reason_code`.
    #[schema(
        max_length = 100,
        pattern = r"^[^\x00-\x1F\x7F-\x9F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]*$"
    )]
    reason_text: Option<String>,
}

fn default_position() -> Position {
    Position::Original
}

/// Transfer the current ticket to another queue or window, at the front, its original place or the back.
#[utoipa::path(post, path = "/api/v1/windows/{number}/transfer", tag = "windows", operation_id = "transferTicket",
    params(("number" = u64, Path, description = "The window number", minimum = 1, maximum = 4294967295_u64, example = 5)),
    request_body(content = TransferBody, example = json!({"to_queue": "crj", "position": "back"})),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The window's new state", body = WindowView),
        (status = 403, description = "Not staff, or not this clerk's window (`forbidden`, `not_your_window`)", body = ErrorBody),
        (status = 404, description = "No such queue or window (`unknown_window`, `unknown_queue`)", body = ErrorBody),
        (status = 409, description = "Refused in the window's state (`window_not_open`, `no_current_ticket`, `invalid_state`)", body = ErrorBody),
        (status = 422, description = "No target, or a bad reason (`transfer_target_required`, `reason_too_long`, `invalid_text`)", body = ErrorBody),
    ))]
async fn transfer_ticket(
    State(st): State<AppState>,
    Staff(who): Staff,
    Path(n): Path<u32>,
    Json(b): Json<TransferBody>,
) -> Result<Response, ApiError> {
    let cmd = Command::Transfer {
        window: n,
        to_queue: b.to_queue,
        to_window: b.to_window,
        position: b.position,
        reason: given_reason(b.reason, b.reason_code, b.reason_text)?,
    };
    run(&st, who, cmd).await
}
