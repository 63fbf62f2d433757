//! Kiosk and citizen routes: issue a ticket, follow it by token, cancel, reprint.

use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, HOST};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::auth::Principal;
use super::error::{ApiError, Json, OptionalJson, Path};
use super::openapi::{ErrorBody, schemas};
use crate::domain::DeviceKind;
use crate::domain::hall::Command;
use crate::domain::ticket::{Priority, TicketId};
use crate::domain::view::{IssuedTicket, PublicTicket};
use crate::engine::Outcome;
use crate::printer::Slip;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(issue_ticket))
        .routes(routes!(show_ticket))
        .routes(routes!(cancel_ticket))
        .routes(routes!(reprint_ticket))
        .routes(routes!(ticket_qr))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct IssueRequest {
    /// A queue id from `GET /api/v1/hall`.
    #[schema(example = "hj")]
    queue: String,
    /// `appointment` is not taken here: an appointment checks in.
    #[serde(default)]
    #[schema(schema_with = schemas::walk_in_priority)]
    priority: Priority,
    /// An 18-character resident ID (check character verified); needed where the queue is
    /// real-name (`real_name`). Blank means none.
    #[schema(pattern = r"^\s*([0-9]{17}[0-9Xx])?\s*$")]
    id_number: Option<String>,
    /// A mainland mobile number, for a notice before the call. Blank means none.
    #[schema(pattern = r"^\s*(1[3-9][0-9]{9})?\s*$")]
    phone: Option<String>,
    /// The help desk's printer for the slip (staff sessions only; a kiosk prints on its own).
    printer: Option<String>,
}

/// How printing went (the slip itself is the printer's business).
#[derive(Serialize, ToSchema)]
pub(super) struct PrintStatus {
    #[schema(value_type = String, pattern = "^(printed|failed|none)$")]
    status: &'static str,
    /// The printer's fault code when `failed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// A ticket just issued: the only reply that carries its token (the citizen's capability).
#[derive(Serialize, ToSchema)]
pub(super) struct TicketDto {
    #[serde(flatten)]
    ticket: IssuedTicket,
    status_url: String,
    print: PrintStatus,
}

pub(super) fn ticket_dto(t: IssuedTicket, print: PrintStatus) -> TicketDto {
    let status_url = format!("/t/{}", t.token);
    TicketDto {
        ticket: t,
        status_url,
        print,
    }
}

/// Where phones reach this server: `[hall] public_url`, else the address the caller used.
pub(super) fn public_base(st: &AppState, headers: &HeaderMap) -> String {
    if let Some(u) = &st.plan.public_url {
        return u.trim_end_matches('/').to_string();
    }
    let host = headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        })
        .unwrap_or("localhost");
    format!("http://{host}")
}

/// Print the slip of a committed ticket on `printer` (or the calling kiosk's printer).
/// Never fails the request: the outcome is reported in `print`.
/// The printer a staff member names for a slip (the help desk); a device prints on its own.
pub(super) fn desk_printer(
    st: &AppState,
    who: &Principal,
    printer: Option<String>,
) -> Result<Option<String>, ApiError> {
    match (who, printer) {
        (Principal::Staff { .. }, Some(p)) if st.printers.exists(&p) => Ok(Some(p)),
        (Principal::Staff { .. }, Some(p)) => {
            Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "unknown_printer").with(p))
        }
        (_, Some(_)) => Err(ApiError::forbidden()),
        (_, None) => Ok(None),
    }
}

pub(super) async fn print_slip(
    st: &AppState,
    who: &Principal,
    printer: Option<String>,
    t: &IssuedTicket,
    base: &str,
    reprint: bool,
) -> PrintStatus {
    let printer = printer.or_else(|| match who {
        Principal::Device {
            id,
            kind: DeviceKind::Kiosk,
            ..
        } => st.printers.for_kiosk(id).map(str::to_string),
        _ => None,
    });
    let Some(printer) = printer else {
        return PrintStatus {
            status: "none",
            error: None,
        };
    };
    let slip = Slip::for_ticket(
        t,
        &st.plan.rules.name,
        &st.plan.texts.slip_footer,
        format!("{base}/t/{}", t.token),
        reprint,
    );
    match st.printers.print(&printer, &slip).await {
        Ok(()) => PrintStatus {
            status: "printed",
            error: None,
        },
        Err(e) => {
            tracing::warn!(%printer, number = %t.number, error = %e, "slip not printed");
            PrintStatus {
                status: "failed",
                error: Some(e.code().to_string()),
            }
        }
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

/// Issue a ticket (取号): a kiosk, or staff at the help desk. The ticket is committed first,
/// then the slip printed; a printer fault never loses the ticket (`print.status = failed`).
#[utoipa::path(post, path = "/api/v1/tickets", tag = "tickets", operation_id = "issueTicket",
    request_body(content = IssueRequest, example = json!({"queue": "hj"})),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 201, description = "Issued", body = TicketDto),
        (status = 403, description = "Neither a kiosk nor staff, or a kiosk naming a printer (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such queue (`unknown_queue`)", body = ErrorBody),
        (status = 409, description = "Not issuing now (`queue_closed`, `quota_exhausted`, `duplicate_ticket`)", body = ErrorBody),
        (status = 422, description = "Bad personal data or printer (`invalid_id_number`, `id_number_required`, `invalid_phone`, `invalid_priority`, `unknown_printer`)", body = ErrorBody),
        (status = 429, description = "This kiosk issued past `[limits] kiosk_tickets_per_minute` (`too_many_requests`)", body = ErrorBody),
    ))]
async fn issue_ticket(
    State(st): State<AppState>,
    who: Principal,
    headers: HeaderMap,
    Json(req): Json<IssueRequest>,
) -> Result<Response, ApiError> {
    let printer = desk_printer(&st, &who, req.printer)?;
    if let Principal::Device {
        id,
        kind: DeviceKind::Kiosk,
        ..
    } = &who
        && !st.kiosk_limits.allow(id, std::time::Instant::now())
    {
        tracing::warn!(kiosk = %id, "kiosk issuing past [limits] kiosk_tickets_per_minute");
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
        ));
    }
    let cmd = Command::Issue {
        queue: req.queue,
        priority: req.priority,
        id_number: req.id_number,
        phone: req.phone,
        token: crate::engine::random_hex(),
    };
    // Committed first: whatever the printer does, the ticket exists.
    let t = expect_ticket(st.engine.execute(who.actor(), cmd).await?)?;
    let print = print_slip(&st, &who, printer, &t, &public_base(&st, &headers), false).await;
    Ok((StatusCode::CREATED, axum::Json(ticket_dto(t, print))).into_response())
}

/// Tokens are 64 hex characters; anything else is not one.
pub(super) fn valid_token(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The citizen's view of one ticket (the phone page), by its token.
#[utoipa::path(get, path = "/api/v1/tickets/{key}", tag = "tickets", operation_id = "showTicket",
    params(("key" = String, Path, description = "The ticket's token (64 hex)", pattern = "^[0-9a-fA-F]{64}$")),
    responses(
        (status = 200, description = "The ticket", body = PublicTicket),
        (status = 404, description = "No ticket has that token (`not_found`)", body = ErrorBody),
    ))]
async fn show_ticket(
    State(st): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    let view = find_ticket(&st, token).await?;
    Ok(axum::Json(view).into_response())
}

/// The citizen's view of a ticket by token: today's from the hall, older ones from the store.
async fn find_ticket(st: &AppState, token: String) -> Result<PublicTicket, ApiError> {
    if !valid_token(&token) {
        return Err(ApiError::not_found());
    }
    st.engine
        .phone_ticket(token)
        .await?
        .ok_or_else(ApiError::not_found)
}

/// The QR code of a ticket's phone page, as SVG (shown on the kiosk's ticket screen).
#[utoipa::path(get, path = "/api/v1/tickets/{key}/qr.svg", tag = "tickets", operation_id = "ticketQr",
    params(("key" = String, Path, description = "The ticket's token (64 hex)", pattern = "^[0-9a-fA-F]{64}$")),
    responses(
        (status = 200, description = "An SVG image", content_type = "image/svg+xml", body = String),
        (status = 404, description = "No ticket has that token (`not_found`)", body = ErrorBody),
    ))]
async fn ticket_qr(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    find_ticket(&st, token.clone()).await?;
    qr_svg(&format!("{}/t/{token}", public_base(&st, &headers)))
}

/// A QR code of `url` as SVG text.
pub(super) fn qr_svg_text(url: &str) -> Result<String, ApiError> {
    let code = qrcode::QrCode::with_error_correction_level(url.as_bytes(), qrcode::EcLevel::M)
        .map_err(ApiError::internal)?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(240, 240)
        .build())
}

/// A QR code of `url` as an SVG response.
pub(super) fn qr_svg(url: &str) -> Result<Response, ApiError> {
    let svg = qr_svg_text(url)?;
    Ok((
        [
            (CONTENT_TYPE, "image/svg+xml; charset=utf-8"),
            (CACHE_CONTROL, "max-age=86400"),
        ],
        svg,
    )
        .into_response())
}

/// Cancel a ticket from the phone page (only while it waits).
#[utoipa::path(post, path = "/api/v1/tickets/{key}/cancel", tag = "tickets", operation_id = "cancelTicket",
    params(("key" = String, Path, description = "The ticket's token (64 hex)", pattern = "^[0-9a-fA-F]{64}$")),
    responses(
        (status = 200, description = "Cancelled", body = PublicTicket),
        (status = 404, description = "No ticket has that token (`not_found`, `unknown_ticket`)", body = ErrorBody),
        (status = 409, description = "The ticket no longer waits (`invalid_state`)", body = ErrorBody),
    ))]
async fn cancel_ticket(
    State(st): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    if !valid_token(&token) {
        return Err(ApiError::not_found());
    }
    let view = st.engine.cancel_by_token(token).await?;
    Ok(axum::Json(view).into_response())
}

/// `POST /api/v1/tickets/{id}/reprint` body: staff at the help desk name the printer.
#[derive(Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
struct ReprintRequest {
    /// A printer id (`GET /api/v1/desk/printers`); default: the calling kiosk's printer.
    printer: Option<String>,
}

/// A reprinted ticket: the issued ticket without its token or status URL (those go on paper).
#[derive(ToSchema)]
#[allow(dead_code)]
struct ReprintedTicket {
    id: TicketId,
    number: String,
    queue: String,
    queue_name: String,
    department: String,
    department_name: String,
    priority: Priority,
    state: crate::domain::TicketState,
    #[schema(format = DateTime)]
    issued_at: String,
    waiting_ahead: u32,
    estimated_wait_s: Option<u32>,
    estimate_note: Option<String>,
    windows: Vec<u32>,
    print: PrintStatus,
}

/// Reprint a ticket's slip (补打) by its id: a kiosk on its printer, staff on a named one.
#[utoipa::path(post, path = "/api/v1/tickets/{key}/reprint", tag = "tickets", operation_id = "reprintTicket",
    params(("key" = String, Path, description = "The ticket's id", pattern = "^[0-9]{1,18}$")),
    request_body(content = Option<ReprintRequest>, description = "Optional"),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "Reprinted (or `print.status` says why not)", body = ReprintedTicket),
        (status = 404, description = "No such ticket (`unknown_ticket`)", body = ErrorBody),
        (status = 422, description = "No such printer (`unknown_printer`)", body = ErrorBody),
    ))]
async fn reprint_ticket(
    State(st): State<AppState>,
    who: Principal,
    headers: HeaderMap,
    Path(id): Path<String>,
    OptionalJson(req): OptionalJson<ReprintRequest>,
) -> Result<Response, ApiError> {
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::bad_input("ticket_id", &[]))?;
    if let Some(p) = &req.printer
        && !st.printers.exists(p)
    {
        return Err(
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "unknown_printer").with(p.clone()),
        );
    }
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
    let base = public_base(&st, &headers);
    let print = print_slip(&st, &who, req.printer, &t, &base, true).await;
    // The token is the citizen's capability (cancel, rate): only the issuing reply carries
    // it. A reprint prints it on paper, in the QR code, and tells the caller nothing of it.
    let mut body = serde_json::to_value(ticket_dto(t, print)).map_err(ApiError::internal)?;
    if let Some(o) = body.as_object_mut() {
        o.remove("token");
        o.remove("status_url");
    }
    Ok(axum::Json(body).into_response())
}
