//! Clerk routes: every window operation, each answering the window's new state.

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::AppState;
use super::auth::{Principal, Staff};
use super::error::{ApiError, Json, OptionalJson, Path};
use crate::domain::event::Position;
use crate::domain::hall::Command;
use crate::domain::reason::{Reason, ReasonCode};
use crate::domain::ticket::Outcome as ServiceOutcome;
use crate::engine::Outcome;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/windows", get(list_windows))
        .route("/api/v1/windows/{number}", get(show_window))
        .route("/api/v1/windows/{number}/sign-in", post(sign_in))
        .route("/api/v1/windows/{number}/sign-out", post(sign_out))
        .route("/api/v1/windows/{number}/pause", post(pause_window))
        .route("/api/v1/windows/{number}/resume", post(resume_window))
        .route("/api/v1/windows/{number}/call-next", post(call_next))
        .route("/api/v1/windows/{number}/recall", post(recall_ticket))
        .route("/api/v1/windows/{number}/call", post(call_ticket))
        .route("/api/v1/windows/{number}/no-show", post(mark_no_show))
        .route("/api/v1/windows/{number}/start", post(start_service))
        .route("/api/v1/windows/{number}/finish", post(finish_service))
        .route("/api/v1/windows/{number}/hold", post(hold_ticket))
        .route("/api/v1/windows/{number}/call-back", post(call_back))
        .route("/api/v1/windows/{number}/transfer", post(transfer_ticket))
}

async fn run(st: &AppState, who: Principal, cmd: Command) -> Result<Response, ApiError> {
    match st.engine.execute(who.actor(), cmd).await? {
        Outcome::Window(v) => Ok(axum::Json(*v).into_response()),
        _ => Err(ApiError::internal(
            "engine answered a window command with a ticket",
        )),
    }
}

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

async fn show_window(
    State(st): State<AppState>,
    _who: Principal,
    Path(n): Path<u32>,
) -> Result<Response, ApiError> {
    let view = st.engine.read(move |h, _, _| h.window_view(n));
    let view = view.ok_or_else(|| ApiError::from(crate::domain::DomainError::UnknownWindow(n)))?;
    Ok(axum::Json(view).into_response())
}

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

async fn sign_out(
    State(st): State<AppState>,
    Staff(who): Staff,
    Path(n): Path<u32>,
) -> Result<Response, ApiError> {
    run(&st, who, Command::SignOut { window: n }).await
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ReasonBody {
    #[serde(default)]
    reason: String,
    reason_code: Option<ReasonCode>,
    reason_text: Option<String>,
}

/// A reason in its one wire form (`code` or `code: text`), from either shape a client sends:
/// `"reason": "lunch" | "other: 看病" | free text`, or `"reason_code"` with `"reason_text"`.
fn given_reason(
    reason: Option<String>,
    code: Option<ReasonCode>,
    text: Option<String>,
) -> Result<Option<String>, ApiError> {
    match code {
        Some(code) => Ok(Some(Reason::from_parts(code, text.as_deref())?.to_string())),
        None => Ok(reason),
    }
}

async fn pause_window(
    State(st): State<AppState>,
    Staff(who): Staff,
    Path(n): Path<u32>,
    OptionalJson(b): OptionalJson<ReasonBody>,
) -> Result<Response, ApiError> {
    run(
        &st,
        who,
        Command::Pause {
            window: n,
            reason: given_reason(Some(b.reason), b.reason_code, b.reason_text)?.unwrap_or_default(),
        },
    )
    .await
}

async fn resume_window(
    State(st): State<AppState>,
    Staff(who): Staff,
    Path(n): Path<u32>,
) -> Result<Response, ApiError> {
    run(&st, who, Command::Resume { window: n }).await
}

async fn call_next(
    State(st): State<AppState>,
    Staff(who): Staff,
    Path(n): Path<u32>,
) -> Result<Response, ApiError> {
    run(&st, who, Command::CallNext { window: n }).await
}

async fn recall_ticket(
    State(st): State<AppState>,
    Staff(who): Staff,
    Path(n): Path<u32>,
) -> Result<Response, ApiError> {
    run(&st, who, Command::Recall { window: n }).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CallBody {
    ticket: String,
    #[serde(default)]
    reason: String,
    reason_code: Option<ReasonCode>,
    reason_text: Option<String>,
}

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

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct NoShowBody {
    reason: Option<String>,
    reason_code: Option<ReasonCode>,
    reason_text: Option<String>,
}

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

async fn start_service(
    State(st): State<AppState>,
    Staff(who): Staff,
    Path(n): Path<u32>,
) -> Result<Response, ApiError> {
    run(&st, who, Command::Start { window: n }).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FinishBody {
    outcome: ServiceOutcome,
    note: Option<String>,
    /// APPOINTMENTS HOOK (issue 15): 补办件 with a return visit `{"day","start"}`.
    #[serde(rename = "return")]
    return_visit: Option<ReturnVisit>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReturnVisit {
    day: String,
    start: String,
}

async fn finish_service(
    State(st): State<AppState>,
    Staff(who): Staff,
    Path(n): Path<u32>,
    Json(b): Json<FinishBody>,
) -> Result<Response, ApiError> {
    if b.note.as_ref().is_some_and(|n| n.chars().count() > 500) {
        return Err(ApiError::bad_request("备注不能超过500字"));
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

async fn hold_ticket(
    State(st): State<AppState>,
    Staff(who): Staff,
    Path(n): Path<u32>,
) -> Result<Response, ApiError> {
    run(&st, who, Command::Hold { window: n }).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CallBackBody {
    ticket: String,
}

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TransferBody {
    to_queue: Option<String>,
    to_window: Option<u32>,
    #[serde(default = "default_position")]
    position: Position,
    reason: Option<String>,
    reason_code: Option<ReasonCode>,
    reason_text: Option<String>,
}

fn default_position() -> Position {
    Position::Original
}

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
