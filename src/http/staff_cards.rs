//! The clerk's card on the window screen (工号 and photo): an admin sets the staff number and
//! uploads the photo (`/api/v1/users/{username}/staff-no|photo`, `GET /api/v1/staff-cards`);
//! the window screen reads the card of whoever is signed in at its window
//! (`/api/v1/windows/{number}/clerk-card|clerk-photo`) with a display device token, the
//! window's own evaluator token or a staff session. Photos never go to anonymous callers and
//! are served with their own type, an ETag and `private` caching. Public events carry no card.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH, VARY};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::auth::{Principal, Staff};
use super::error::{ApiError, Json, Path};
use super::openapi::ErrorBody;
use crate::domain::accounts::{AccountCommand, AccountReply};
use crate::domain::staff_card::{self, MAX_PHOTO_BYTES};
use crate::domain::{DeviceKind, Role};
use crate::store::staff_cards::{CardRow, PhotoBytes};
use utoipa::ToSchema;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_staff_cards))
        .routes(routes!(set_staff_no))
        // The photo's own limit: the hall's 16 KiB JSON limit would refuse every photo.
        .routes(
            routes!(set_photo, remove_photo, show_user_photo)
                .layer(DefaultBodyLimit::max(MAX_PHOTO_BYTES + 1024)),
        )
        .routes(routes!(show_clerk_card))
        .routes(routes!(show_clerk_photo))
}

/// A stored photo's description (its bytes at `url`).
#[derive(Debug, Serialize, ToSchema)]
struct PhotoDto {
    /// `image/jpeg` or `image/png`.
    #[schema(example = "image/jpeg")]
    r#type: &'static str,
    width: u32,
    height: u32,
    /// Changes whenever the photo does.
    etag: String,
    /// Where staff read it.
    url: String,
}

/// A clerk's card as the admin page shows it.
#[derive(Debug, Serialize, ToSchema)]
struct CardDto {
    username: String,
    /// 工号 (null: none set).
    staff_no: Option<String>,
    photo: Option<PhotoDto>,
}

impl From<CardRow> for CardDto {
    fn from(c: CardRow) -> CardDto {
        CardDto {
            photo: c.photo.map(|p| PhotoDto {
                r#type: p.kind.mime(),
                width: p.width,
                height: p.height,
                url: format!("/api/v1/users/{}/photo?v={}", c.username, p.etag),
                etag: p.etag,
            }),
            username: c.username,
            staff_no: c.staff_no,
        }
    }
}

async fn card_of(st: &AppState, username: String) -> Result<CardDto, ApiError> {
    let reader = st.reader.clone();
    let name = username.clone();
    let row = tokio::task::spawn_blocking(move || reader.staff_card(&name)).await??;
    Ok(row
        .unwrap_or(CardRow {
            username,
            staff_no: None,
            photo: None,
        })
        .into())
}

/// Every clerk's card that has a staff number or a photo (admin).
#[utoipa::path(get, path = "/api/v1/staff-cards", tag = "admin", operation_id = "listStaffCards",
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The cards, by username", body = Vec<CardDto>),
        (status = 403, description = "Not an admin (`forbidden`)", body = ErrorBody),
    ))]
async fn list_staff_cards(
    State(st): State<AppState>,
    Staff(who): Staff,
) -> Result<axum::Json<Vec<CardDto>>, ApiError> {
    who.require(&[Role::Admin])?;
    let reader = st.reader.clone();
    let rows = tokio::task::spawn_blocking(move || reader.staff_cards()).await??;
    Ok(axum::Json(rows.into_iter().map(CardDto::from).collect()))
}

/// `{"staff_no"}`: the new staff number; null or blank clears it.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct StaffNoBody {
    #[schema(max_length = 16, pattern = "^[A-Za-z0-9-]*$")]
    staff_no: Option<String>,
}

/// One account command on a user's card, then the card as it now stands.
async fn run_on_card(
    st: &AppState,
    who: &Principal,
    cmd: AccountCommand,
) -> Result<CardDto, ApiError> {
    who.require(&[Role::Admin])?;
    match st.accounts.run(who.actor(), cmd).await? {
        AccountReply::User { user, .. } => card_of(st, user.username).await,
        other => Err(ApiError::internal(format!(
            "a card command answered {other:?}"
        ))),
    }
}

/// Set or clear a user's staff number (工号), shown on their window's screen (admin).
#[utoipa::path(put, path = "/api/v1/users/{username}/staff-no", tag = "admin", operation_id = "setStaffNo",
    params(("username" = String, Path, description = "The account's username")),
    request_body(content = StaffNoBody),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The card", body = CardDto),
        (status = 403, description = "Not an admin (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such account (`not_found`)", body = ErrorBody),
        (status = 422, description = "Not 1-16 of A-Z, a-z, 0-9, - (`invalid_staff_no`)", body = ErrorBody),
        (status = 409, description = "Another user's card carries this staff number (`staff_no_taken`)", body = ErrorBody),
    ))]
async fn set_staff_no(
    State(st): State<AppState>,
    Staff(who): Staff,
    Path(username): Path<String>,
    Json(b): Json<StaffNoBody>,
) -> Result<axum::Json<CardDto>, ApiError> {
    who.require(&[Role::Admin])?;
    let staff_no = staff_card::checked_staff_no(b.staff_no.as_deref().unwrap_or(""))?;
    let cmd = AccountCommand::SetStaffNo { username, staff_no };
    Ok(axum::Json(run_on_card(&st, &who, cmd).await?))
}

/// Upload a user's photo: the body is the JPEG or PNG itself, at most 512 KiB, each side
/// 120-2400 px, upright or square (admin).
#[utoipa::path(put, path = "/api/v1/users/{username}/photo", tag = "admin", operation_id = "setStaffPhoto",
    params(("username" = String, Path, description = "The account's username")),
    request_body(content = Vec<u8>, content_type = "image/jpeg", description = "The photo (`image/jpeg` or `image/png`)"),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The card", body = CardDto),
        (status = 403, description = "Not an admin (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such account (`not_found`)", body = ErrorBody),
        (status = 413, description = "Over 512 KiB (`photo_too_large`)", body = ErrorBody),
        (status = 415, description = "Not a JPEG or PNG, or not what the Content-Type says (`unsupported_photo_type`)", body = ErrorBody),
        (status = 422, description = "A side under 120 or over 2400 px, or wider than 4:3 (`invalid_photo`)", body = ErrorBody),
    ))]
async fn set_photo(
    State(st): State<AppState>,
    Staff(who): Staff,
    Path(username): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<axum::Json<CardDto>, ApiError> {
    who.require(&[Role::Admin])?;
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            crate::domain::DomainError::PhotoTooLarge.into()
        } else {
            ApiError::bad_request(e.body_text())
        }
    })?;
    let declared = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let photo = staff_card::check_photo(declared, body.to_vec())?;
    let cmd = AccountCommand::SetPhoto {
        username,
        photo: Some(Box::new(photo)),
    };
    Ok(axum::Json(run_on_card(&st, &who, cmd).await?))
}

/// Remove a user's photo (admin).
#[utoipa::path(delete, path = "/api/v1/users/{username}/photo", tag = "admin", operation_id = "removeStaffPhoto",
    params(("username" = String, Path, description = "The account's username")),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The card", body = CardDto),
        (status = 403, description = "Not an admin (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such account (`not_found`)", body = ErrorBody),
    ))]
async fn remove_photo(
    State(st): State<AppState>,
    Staff(who): Staff,
    Path(username): Path<String>,
) -> Result<axum::Json<CardDto>, ApiError> {
    let cmd = AccountCommand::SetPhoto {
        username,
        photo: None,
    };
    Ok(axum::Json(run_on_card(&st, &who, cmd).await?))
}

/// The photo's bytes with its type, its ETag and `private, no-cache` (the browser keeps it
/// and asks again with `If-None-Match`; no shared cache ever holds it); 304 when unchanged.
fn photo_reply(photo: PhotoBytes, headers: &HeaderMap) -> Response {
    let etag = format!("\"{}\"", photo.etag);
    let mut out = if headers
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag))
    {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(CONTENT_TYPE, photo.kind.mime())], photo.bytes).into_response()
    };
    let h = out.headers_mut();
    h.insert(CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
    h.insert(VARY, HeaderValue::from_static("Authorization, Cookie"));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(ETAG, v);
    }
    out
}

async fn photo_of(st: &AppState, username: String) -> Result<Option<PhotoBytes>, ApiError> {
    let reader = st.reader.clone();
    Ok(tokio::task::spawn_blocking(move || reader.staff_photo(&username)).await??)
}

fn no_photo() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "no_photo")
}

/// A user's photo (staff only).
#[utoipa::path(get, path = "/api/v1/users/{username}/photo", tag = "admin", operation_id = "showStaffPhoto",
    params(("username" = String, Path, description = "The account's username")),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The photo (`image/jpeg` or `image/png`)", content_type = "image/jpeg", body = Vec<u8>),
        (status = 304, description = "Unchanged since the ETag sent in `If-None-Match`"),
        (status = 403, description = "Not staff (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No photo (`no_photo`)", body = ErrorBody),
    ))]
async fn show_user_photo(
    State(st): State<AppState>,
    Staff(_who): Staff,
    Path(username): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let photo = photo_of(&st, username).await?.ok_or_else(no_photo)?;
    Ok(photo_reply(photo, &headers))
}

/// Who may read a window's card: staff, any display device, the window's own evaluator.
fn may_read_window(st: &AppState, who: &Principal, n: u32) -> Result<(), ApiError> {
    match who {
        Principal::Staff { .. } => Ok(()),
        Principal::Device {
            kind: DeviceKind::Display,
            id,
            ..
        } => {
            // The window screen asks now and then: that is its heartbeat for the device list.
            st.device_seen.touch(id, st.engine.clock().now());
            Ok(())
        }
        Principal::Device {
            kind: DeviceKind::Evaluator,
            window: Some(w),
            ..
        } if *w == n => Ok(()),
        Principal::Device { .. } => Err(ApiError::forbidden()),
    }
}

/// The username and display name of whoever is signed in at window `n`.
fn signed_in(st: &AppState, n: u32) -> Result<Option<(String, String)>, ApiError> {
    let view = st
        .engine
        .read(move |h, _, _| h.window_view(n))
        .ok_or(crate::domain::DomainError::UnknownWindow(n))?;
    Ok(view.clerk.map(|c| (c.username, c.name)))
}

/// The card a window screen shows.
#[derive(Debug, Serialize, ToSchema)]
struct WindowCard {
    window: u32,
    /// null: nobody is signed in.
    clerk: Option<WindowClerk>,
}

/// The signed-in clerk as the window screen shows them.
#[derive(Debug, Serialize, ToSchema)]
struct WindowClerk {
    /// The display name (null when the hall's `[events] show_clerk_name` is off).
    name: Option<String>,
    /// 工号, if set.
    staff_no: Option<String>,
    /// Where the screen reads the photo (null: none); it changes with the photo.
    photo_url: Option<String>,
}

/// The card of the clerk signed in at a window, for its screen: a display device, the window's
/// own evaluator, or staff.
#[utoipa::path(get, path = "/api/v1/windows/{number}/clerk-card", tag = "devices", operation_id = "showClerkCard",
    params(("number" = u32, Path, description = "The window's number", minimum = 1)),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The card", body = WindowCard),
        (status = 403, description = "Not a display device, this window's evaluator or staff (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such window (`unknown_window`)", body = ErrorBody),
    ))]
async fn show_clerk_card(
    State(st): State<AppState>,
    who: Principal,
    Path(n): Path<u32>,
) -> Result<axum::Json<WindowCard>, ApiError> {
    may_read_window(&st, &who, n)?;
    let Some((username, name)) = signed_in(&st, n)? else {
        return Ok(axum::Json(WindowCard {
            window: n,
            clerk: None,
        }));
    };
    let card = card_of(&st, username).await?;
    Ok(axum::Json(WindowCard {
        window: n,
        clerk: Some(WindowClerk {
            name: st.engine.public_options().show_clerk_name.then_some(name),
            staff_no: card.staff_no,
            photo_url: card
                .photo
                .map(|p| format!("/api/v1/windows/{n}/clerk-photo?v={}", p.etag)),
        }),
    }))
}

/// The photo of the clerk signed in at a window (same callers as its card).
#[utoipa::path(get, path = "/api/v1/windows/{number}/clerk-photo", tag = "devices", operation_id = "showClerkPhoto",
    params(("number" = u32, Path, description = "The window's number", minimum = 1)),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The photo (`image/jpeg` or `image/png`)", content_type = "image/jpeg", body = Vec<u8>),
        (status = 304, description = "Unchanged since the ETag sent in `If-None-Match`"),
        (status = 403, description = "Not a display device, this window's evaluator or staff (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such window (`unknown_window`), or nobody with a photo signed in (`no_photo`)", body = ErrorBody),
    ))]
async fn show_clerk_photo(
    State(st): State<AppState>,
    who: Principal,
    Path(n): Path<u32>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    may_read_window(&st, &who, n)?;
    let (username, _) = signed_in(&st, n)?.ok_or_else(no_photo)?;
    let photo = photo_of(&st, username).await?.ok_or_else(no_photo)?;
    Ok(photo_reply(photo, &headers))
}
