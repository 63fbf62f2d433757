//! Kiosk and citizen routes: issue a ticket, follow it by token, cancel, reprint.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::auth::Principal;
use super::error::{ApiError, Json, Path};
use crate::domain::hall::{Actor, Command};
use crate::domain::ticket::{Priority, TicketId};
use crate::domain::view::IssuedTicket;
use crate::engine::Outcome;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/tickets", post(issue_ticket))
        .route("/api/v1/tickets/{key}", get(show_ticket))
        .route("/api/v1/tickets/{key}/cancel", post(cancel_ticket))
        .route("/api/v1/tickets/{key}/reprint", post(reprint_ticket))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IssueRequest {
    queue: String,
    #[serde(default)]
    priority: Priority,
    id_number: Option<String>,
    phone: Option<String>,
}

/// How printing went (the slip itself is the printer's business).
#[derive(Serialize)]
struct PrintStatus {
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Serialize)]
struct TicketDto {
    #[serde(flatten)]
    ticket: IssuedTicket,
    status_url: String,
    print: PrintStatus,
}

fn ticket_dto(t: IssuedTicket) -> TicketDto {
    let status_url = format!("/t/{}", t.token);
    TicketDto {
        ticket: t,
        status_url,
        print: PrintStatus {
            status: "none",
            error: None,
        },
    }
}

fn expect_ticket(o: Outcome) -> Result<IssuedTicket, ApiError> {
    match o {
        Outcome::Ticket(t) => Ok(*t),
        _ => Err(ApiError::internal(
            "engine answered a ticket command with a window",
        )),
    }
}

async fn issue_ticket(
    State(st): State<AppState>,
    who: Principal,
    Json(req): Json<IssueRequest>,
) -> Result<Response, ApiError> {
    let cmd = Command::Issue {
        queue: req.queue,
        priority: req.priority,
        id_number: req.id_number,
        phone: req.phone,
        token: crate::engine::random_hex(),
    };
    let t = expect_ticket(st.engine.execute(who.actor(), cmd).await?)?;
    Ok((StatusCode::CREATED, axum::Json(ticket_dto(t))).into_response())
}

/// Tokens are 64 hex characters; anything else is not one.
fn valid_token(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

async fn show_ticket(
    State(st): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    if !valid_token(&token) {
        return Err(ApiError::not_found());
    }
    let t = token.clone();
    let live = st
        .engine
        .query(move |h, _, _| h.ticket_by_token(&t).map(|t| h.public_ticket(t)))
        .await?;
    if let Some(view) = live {
        return Ok(axum::Json(view).into_response());
    }
    // An earlier day's ticket: from the database, shown with today's plan.
    let reader = st.reader.clone();
    let old = tokio::task::spawn_blocking(move || reader.ticket_by_token(&token)).await??;
    let Some(old) = old else {
        return Err(ApiError::not_found());
    };
    let view = st
        .engine
        .query(move |h, _, _| h.public_ticket(&old))
        .await?;
    Ok(axum::Json(view).into_response())
}

async fn cancel_ticket(
    State(st): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    if !valid_token(&token) {
        return Err(ApiError::not_found());
    }
    let t = expect_ticket(
        st.engine
            .execute(Actor::Citizen, Command::Cancel { token })
            .await?,
    )?;
    let view = st
        .engine
        .query(move |h, _, _| h.ticket(t.id).map(|t| h.public_ticket(t)))
        .await?;
    Ok(axum::Json(view).into_response())
}

async fn reprint_ticket(
    State(st): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::bad_request("号票 id 应为整数"))?;
    let t = expect_ticket(
        st.engine
            .execute(
                who.actor(),
                Command::Reprint {
                    ticket: TicketId(id),
                },
            )
            .await?,
    )?;
    Ok(axum::Json(ticket_dto(t)).into_response())
}
