//! Ratings (好差评) from the window's evaluator or the phone page, and managers' follow-ups.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::AppState;
use super::auth::{Principal, Staff};
use super::error::{ApiError, Json, Path, Query};
use super::openapi::ErrorBody;
use crate::domain::hall::{Actor, Command, RateTarget};
use crate::domain::rating::{FollowUpResult, RatingLevel};
use crate::domain::ticket::TicketId;
use crate::engine::{Rated, Rating};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(submit_rating))
        .routes(routes!(list_follow_ups))
        .routes(routes!(verify_follow_up))
        .routes(routes!(close_follow_up))
        .routes(routes!(decide_appeal))
}

/// Most reasons and characters a rating may carry.
const MAX_REASONS: usize = 10;
const MAX_TEXT: usize = 500;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RatingRequest {
    /// The ticket id (evaluator) or its token (phone page).
    #[schema(schema_with = super::openapi::schemas::ticket_id_or_token)]
    ticket: serde_json::Value,
    level: RatingLevel,
    /// From `[ratings] bad_reasons` (`rating_reasons` in `GET /api/v1/hall`); the last two
    /// levels need one.
    #[serde(default)]
    #[schema(schema_with = super::openapi::schemas::rating_reasons)]
    reasons: Vec<String>,
    /// The citizen's own words.
    #[schema(
        max_length = 500,
        pattern = r"^[^\x00-\x09\x0B-\x1F\x7F-\x9F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]*$"
    )]
    comment: Option<String>,
    /// An idempotency key chosen by the client (an evaluator resending a tap it kept while
    /// offline). A resend of a rating already stored, with the same level, reasons and
    /// comment, answers 200 with `"replayed": true` and stores nothing; without a key a second
    /// rating is 409 `already_rated` as before.
    #[schema(pattern = r"^[A-Za-z0-9_-]{1,64}$")]
    key: Option<String>,
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

/// What a rating's reply says.
#[derive(ToSchema)]
#[allow(dead_code)]
struct RatingReply {
    ticket: crate::domain::TicketId,
    level: RatingLevel,
    /// GB/T 39046 code (1 = 非常满意).
    #[schema(minimum = 1, maximum = 5)]
    gbt39046_code: u8,
    /// The provincial code (5 = 非常满意).
    #[schema(minimum = 1, maximum = 5)]
    provincial_code: u8,
    /// The follow-up a bad rating opened.
    follow_up: Option<i64>,
}

/// Rate a finished visit (好差评): the window's evaluator (bearer, by ticket id) or the phone
/// page (no credentials, by the ticket's token, within `[ratings] later_hours`).
#[utoipa::path(post, path = "/api/v1/ratings", tag = "ratings", operation_id = "submitRating",
    request_body(content = RatingRequest, example = json!({"ticket": 1, "level": "satisfied"})),
    security((), ("bearer" = [])),
    responses(
        (status = 201, description = "Rated", body = RatingReply),
        (status = 401, description = "A bearer token that is unknown (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "Staff may not rate, an evaluator of another window (`forbidden`, `not_your_window`)", body = ErrorBody),
        (status = 404, description = "No such ticket (`unknown_ticket`)", body = ErrorBody),
        (status = 409, description = "Not rateable now (`already_rated`, `not_finished`, `rating_closed`)", body = ErrorBody),
        (status = 422, description = "A reason is needed, unknown or the text is bad (`reason_required`, `invalid_reason`, `invalid_text`)", body = ErrorBody),
    ))]
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
        return Err(ApiError::bad_input("rating_too_long", &[]));
    }
    if r.key.as_deref().is_some_and(|k| {
        k.is_empty()
            || k.len() > 64
            || !k
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    }) {
        return Err(ApiError::bad_input("rating_key", &[]));
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
        _ => return Err(ApiError::bad_input("rating_ticket", &[])),
    };
    let rating = Rating {
        ticket: target,
        level: r.level,
        reasons: r.reasons,
        comment: r.comment,
        keyed: r.key.is_some(),
    };
    let level = rating.level;
    let (status, ticket, follow_up, replayed) = match st.engine.rate(actor, rating).await? {
        Rated::New { ticket, follow_up } => (StatusCode::CREATED, ticket, follow_up, false),
        Rated::Replayed { ticket, follow_up } => (StatusCode::OK, ticket, follow_up, true),
    };
    let mut body = serde_json::json!({
        "ticket": ticket,
        "level": level,
        "gbt39046_code": level.gbt39046_code(),
        "provincial_code": level.provincial_code(),
        "follow_up": follow_up,
    });
    if replayed {
        body["replayed"] = serde_json::Value::Bool(true);
    }
    Ok((status, axum::Json(body)).into_response())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct FollowUpQuery {
    /// `open`, `verified` or `closed`.
    #[param(pattern = "^(open|verified|appealing|closed)$")]
    state: Option<String>,
    /// A department id.
    department: Option<String>,
    /// At most this many (default 200, at most 1000).
    #[param(minimum = 0, maximum = 18446744073709551615_u64)]
    limit: Option<usize>,
}

/// Follow-ups of bad ratings (manager).
#[utoipa::path(get, path = "/api/v1/follow-ups", tag = "ratings", operation_id = "listFollowUps",
    params(FollowUpQuery),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "Follow-ups, newest first", body = Vec<crate::store::feedback::FollowUpRow>),
        (status = 403, description = "Not a manager or admin (`forbidden`)", body = ErrorBody),
    ))]
async fn list_follow_ups(
    State(st): State<AppState>,
    Staff(who): Staff,
    Query(q): Query<FollowUpQuery>,
) -> Result<Response, ApiError> {
    who.require_manager()?;
    if let Some(s) = &q.state
        && crate::domain::rating::FollowUpState::parse(s).is_none()
    {
        return Err(ApiError::bad_input("follow_up_state", &[]));
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

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct VerifyBody {
    /// What the manager found when checking.
    #[schema(
        max_length = 500,
        pattern = r"^[^\x00-\x09\x0B-\x1F\x7F-\x9F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]*[^\s\x00-\x09\x0B-\x1F\x7F-\x9F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069][^\x00-\x09\x0B-\x1F\x7F-\x9F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]*$"
    )]
    verification: String,
}

/// Record what checking the complaint found (manager).
#[utoipa::path(post, path = "/api/v1/follow-ups/{id}/verify", tag = "ratings", operation_id = "verifyFollowUp",
    params(("id" = i64, Path, description = "The follow-up's id", example = 1)),
    request_body(content = VerifyBody, example = json!({"verification": "已核实"})),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The follow-up", body = crate::store::feedback::FollowUpRow),
        (status = 403, description = "Not a manager or admin (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such follow-up (`unknown_follow_up`)", body = ErrorBody),
        (status = 409, description = "Not in a state for this (`invalid_state`)", body = ErrorBody),
        (status = 422, description = "Bad text (`invalid_text`, `reason_required`)", body = ErrorBody),
    ))]
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

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CloseBody {
    result: FollowUpResult,
    #[schema(
        max_length = 500,
        pattern = r"^[^\x00-\x09\x0B-\x1F\x7F-\x9F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]*$"
    )]
    note: Option<String>,
}

/// Close a follow-up with its result (manager). `appealed` files an appeal (申诉) instead:
/// the note gives its grounds (required), the state becomes `appealing`, and a second manager
/// decides it (`decide-appeal`).
#[utoipa::path(post, path = "/api/v1/follow-ups/{id}/close", tag = "ratings", operation_id = "closeFollowUp",
    params(("id" = i64, Path, description = "The follow-up's id", example = 1)),
    request_body(content = CloseBody, example = json!({"result": "rectified", "note": "已整改"})),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The follow-up", body = crate::store::feedback::FollowUpRow),
        (status = 403, description = "Not a manager or admin (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such follow-up (`unknown_follow_up`)", body = ErrorBody),
        (status = 409, description = "Not in a state for this (`invalid_state`)", body = ErrorBody),
        (status = 422, description = "Bad text (`invalid_text`, `reason_required`)", body = ErrorBody),
    ))]
async fn close_follow_up(
    State(st): State<AppState>,
    Staff(who): Staff,
    Path(id): Path<i64>,
    Json(b): Json<CloseBody>,
) -> Result<Response, ApiError> {
    who.require_manager()?;
    note_fits(b.note.as_deref())?;
    let cmd = Command::CloseFollowUp {
        id,
        result: b.result,
        note: b.note,
    };
    follow_up_reply(&st, who, cmd, id).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct AppealDecisionBody {
    /// true: the appeal stands (the follow-up closes as `appealed`); false: rejected.
    approve: bool,
    /// Why (required to reject).
    #[schema(
        max_length = 500,
        pattern = r"^[^\x00-\x09\x0B-\x1F\x7F-\x9F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]*$"
    )]
    note: Option<String>,
}

/// Approve or reject an appeal (申诉) filed by closing a follow-up as `appealed`: a manager
/// other than the one who filed it decides. Until approved the bad rating counts in the
/// appraisal; a rejected appeal goes back to `verified`, to be rectified or explained.
#[utoipa::path(post, path = "/api/v1/follow-ups/{id}/decide-appeal", tag = "ratings", operation_id = "decideAppeal",
    params(("id" = i64, Path, description = "The follow-up's id")),
    request_body(content = AppealDecisionBody),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The follow-up", body = crate::store::feedback::FollowUpRow),
        (status = 403, description = "Not a manager or admin (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such follow-up (`unknown_follow_up`)", body = ErrorBody),
        (status = 409, description = "No appeal waits (`invalid_state`), or the manager who filed it asks (`second_manager_required`)", body = ErrorBody),
        (status = 422, description = "A rejection without its reason (`reason_required`), bad text (`invalid_text`)", body = ErrorBody),
    ))]
async fn decide_appeal(
    State(st): State<AppState>,
    Staff(who): Staff,
    Path(id): Path<i64>,
    Json(b): Json<AppealDecisionBody>,
) -> Result<Response, ApiError> {
    who.require_manager()?;
    note_fits(b.note.as_deref())?;
    let cmd = Command::DecideAppeal {
        id,
        approve: b.approve,
        note: b.note,
    };
    follow_up_reply(&st, who, cmd, id).await
}

/// A follow-up's note is at most `MAX_TEXT` characters.
fn note_fits(note: Option<&str>) -> Result<(), ApiError> {
    match note {
        Some(n) if n.chars().count() > MAX_TEXT => Err(ApiError::bad_input("note_too_long", &[])),
        _ => Ok(()),
    }
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
