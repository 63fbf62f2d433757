//! Ratings (好差评) from the window's evaluator or the phone page, and managers' follow-ups.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::AppState;
use super::auth::{Principal, Staff};
use super::error::{ApiError, Json, Path, Query};
use crate::domain::DomainError;
use crate::domain::hall::{Actor, Command, RateTarget};
use crate::domain::rating::{FollowUpResult, RatingLevel};
use crate::domain::ticket::TicketId;
use crate::engine::{EngineError, Outcome};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/ratings", post(submit_rating))
        .route("/api/v1/follow-ups", get(list_follow_ups))
        .route("/api/v1/follow-ups/{id}/verify", post(verify_follow_up))
        .route("/api/v1/follow-ups/{id}/close", post(close_follow_up))
}

/// Most reasons and characters a rating may carry.
const MAX_REASONS: usize = 10;
const MAX_TEXT: usize = 500;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RatingRequest {
    /// The ticket id (evaluator) or its token (phone page).
    ticket: serde_json::Value,
    level: RatingLevel,
    #[serde(default)]
    reasons: Vec<String>,
    comment: Option<String>,
}

/// The caller behind a rating: an evaluator device (bearer) or the token holder (no credentials).
async fn rating_actor(
    st: &AppState,
    parts: &mut axum::http::request::Parts,
) -> Result<Actor, ApiError> {
    use axum::extract::FromRequestParts;
    if parts
        .headers
        .contains_key(axum::http::header::AUTHORIZATION)
        || parts.headers.contains_key(axum::http::header::COOKIE)
    {
        match Principal::from_request_parts(parts, st).await {
            Ok(p) => return Ok(p.actor()),
            // A stale staff cookie must not stop a citizen's phone rating.
            Err(_)
                if !parts
                    .headers
                    .contains_key(axum::http::header::AUTHORIZATION) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(Actor::Citizen)
}

async fn submit_rating(
    State(st): State<AppState>,
    req: axum::extract::Request,
) -> Result<Response, ApiError> {
    use axum::extract::FromRequest;
    let (mut parts, body) = req.into_parts();
    let actor = rating_actor(&st, &mut parts).await?;
    let Json(r) =
        Json::<RatingRequest>::from_request(axum::extract::Request::from_parts(parts, body), &st)
            .await?;
    if r.reasons.len() > MAX_REASONS
        || r.reasons.iter().any(|x| x.chars().count() > 100)
        || r.comment
            .as_ref()
            .is_some_and(|c| c.chars().count() > MAX_TEXT)
    {
        return Err(ApiError::bad_request("评价原因或意见过长"));
    }
    let target = match &r.ticket {
        serde_json::Value::Number(n) => RateTarget::Id(TicketId(
            n.as_i64().ok_or_else(|| ApiError::bad_request("ticket"))?,
        )),
        serde_json::Value::String(s)
            if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            RateTarget::Token(s.clone())
        }
        serde_json::Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            RateTarget::Id(TicketId(
                s.parse().map_err(|_| ApiError::bad_request("ticket"))?,
            ))
        }
        _ => return Err(ApiError::bad_request("ticket 应为号票 id 或号票令牌")),
    };
    let command = |earlier| Command::Rate {
        ticket: target.clone(),
        level: r.level,
        reasons: r.reasons.clone(),
        comment: r.comment.clone(),
        earlier,
    };
    let mut result = st.engine.execute(actor.clone(), command(None)).await;
    if let Err(EngineError::Domain(DomainError::UnknownTicket(_))) = &result {
        // An earlier day's ticket (rated later from the phone): bring its row along.
        let reader = st.reader.clone();
        let t = target.clone();
        let row = tokio::task::spawn_blocking(move || match t {
            RateTarget::Token(tok) => reader.ticket_by_token(&tok),
            RateTarget::Id(id) => reader.ticket_by_id(id.0),
        })
        .await??;
        if let Some(row) = row {
            result = st.engine.execute(actor, command(Some(Box::new(row)))).await;
        }
    }
    match result? {
        Outcome::Rated { ticket, follow_up } => Ok((
            StatusCode::CREATED,
            axum::Json(serde_json::json!({
                "ticket": ticket,
                "level": r.level,
                "gbt39046_code": r.level.gbt39046_code(),
                "provincial_code": r.level.provincial_code(),
                "follow_up": follow_up,
            })),
        )
            .into_response()),
        _ => Err(ApiError::internal(
            "engine answered a rating with something else",
        )),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FollowUpQuery {
    state: Option<String>,
    department: Option<String>,
    limit: Option<usize>,
}

async fn list_follow_ups(
    State(st): State<AppState>,
    Staff(who): Staff,
    Query(q): Query<FollowUpQuery>,
) -> Result<Response, ApiError> {
    who.require_manager()?;
    if let Some(s) = &q.state
        && !["open", "verified", "closed"].contains(&s.as_str())
    {
        return Err(ApiError::bad_request("state 应为 open、verified 或 closed"));
    }
    let reader = st.reader.clone();
    let now_ms = st.engine.clock().now().as_millisecond();
    let limit = q.limit.unwrap_or(200).min(1000);
    let rows = tokio::task::spawn_blocking(move || {
        reader.follow_ups(q.state.as_deref(), q.department.as_deref(), now_ms, limit)
    })
    .await??;
    Ok(axum::Json(rows).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyBody {
    verification: String,
}

async fn verify_follow_up(
    State(st): State<AppState>,
    Staff(who): Staff,
    Path(id): Path<i64>,
    Json(b): Json<VerifyBody>,
) -> Result<Response, ApiError> {
    who.require_manager()?;
    let cmd = Command::VerifyFollowUp {
        id,
        verification: b.verification,
    };
    follow_up_reply(&st, who, cmd, id).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CloseBody {
    result: FollowUpResult,
    note: Option<String>,
}

async fn close_follow_up(
    State(st): State<AppState>,
    Staff(who): Staff,
    Path(id): Path<i64>,
    Json(b): Json<CloseBody>,
) -> Result<Response, ApiError> {
    who.require_manager()?;
    if b.note
        .as_ref()
        .is_some_and(|n| n.chars().count() > MAX_TEXT)
    {
        return Err(ApiError::bad_request("备注不能超过500字"));
    }
    let cmd = Command::CloseFollowUp {
        id,
        result: b.result,
        note: b.note,
    };
    follow_up_reply(&st, who, cmd, id).await
}

/// Run a follow-up command and answer with the follow-up as stored.
async fn follow_up_reply(
    st: &AppState,
    who: Principal,
    cmd: Command,
    id: i64,
) -> Result<Response, ApiError> {
    st.engine.execute(who.actor(), cmd).await?;
    let reader = st.reader.clone();
    let now_ms = st.engine.clock().now().as_millisecond();
    let row = tokio::task::spawn_blocking(move || reader.follow_up(id, now_ms))
        .await??
        .ok_or_else(ApiError::not_found)?;
    Ok(axum::Json(row).into_response())
}
