//! Administration: staff accounts and devices (admin), and the audit trail (manager).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::auth::{Principal, Staff};
use super::error::{ApiError, Json, Path, Query};
use super::openapi::ErrorBody;
use crate::domain::accounts::{AccountCommand, AccountReply, UserFacts};
use crate::domain::scope::Scope;
use crate::domain::{DeviceKind, Role};
use crate::store::audit::{AuditEntry, AuditFilter};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, add_user))
        .routes(routes!(disable_user))
        .routes(routes!(enable_user))
        .routes(routes!(reset_password))
        .routes(routes!(set_scope))
        .routes(routes!(edit_user))
        .routes(routes!(register_device))
        .routes(routes!(revoke_device))
        .routes(routes!(replace_device_token))
        .routes(routes!(search_audit))
}

#[derive(Serialize, ToSchema)]
struct UserDto {
    username: String,
    name: String,
    role: Role,
    disabled: bool,
    /// Windows the clerk may work at, e.g. `1-11,20` (null: any).
    windows: Option<String>,
    /// Departments whose windows the clerk may work at (null: any).
    departments: Option<String>,
}

impl From<UserFacts> for UserDto {
    fn from(u: UserFacts) -> Self {
        UserDto {
            username: u.username,
            name: u.name,
            role: u.role,
            disabled: u.disabled,
            windows: u.windows,
            departments: u.departments,
        }
    }
}

/// `{"username"}`: the account changed.
#[derive(ToSchema)]
#[allow(dead_code)]
struct UsernameReply {
    username: String,
}

/// An account disabled or enabled.
#[derive(ToSchema)]
#[allow(dead_code)]
struct DisabledReply {
    username: String,
    disabled: bool,
    /// Windows the disabled clerk was signed out of.
    signed_out_windows: Vec<u32>,
}

/// A clerk's scope as stored.
#[derive(ToSchema)]
#[allow(dead_code)]
struct ScopeReply {
    username: String,
    windows: Option<String>,
    departments: Option<String>,
}

/// A device revoked.
#[derive(ToSchema)]
#[allow(dead_code)]
struct RevokedReply {
    id: String,
    revoked: bool,
}

/// Every staff account (admin).
#[utoipa::path(get, path = "/api/v1/users", tag = "admin", operation_id = "listUsers",
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "Accounts", body = Vec<UserDto>), (status = 403, description = "Not an admin (`forbidden`)", body = ErrorBody),))]
async fn list_users(State(st): State<AppState>, Staff(who): Staff) -> Result<Response, ApiError> {
    who.require(&[Role::Admin])?;
    let users: Vec<UserDto> = st
        .accounts
        .users()
        .await?
        .into_iter()
        .map(UserDto::from)
        .collect();
    Ok(axum::Json(users).into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewUser {
    /// 2-32 lowercase letters, digits or `. _ -`.
    #[schema(pattern = "^[a-z0-9._-]{2,32}$", example = "clerk9")]
    username: String,
    name: String,
    role: Role,
    /// 8 to 256 characters.
    #[schema(min_length = 8, max_length = 256, format = Password, example = "a-long-password")]
    password: String,
    #[serde(default)]
    windows: String,
    #[serde(default)]
    departments: String,
}

/// Windows or departments the hall does not have (422: the request is well-formed).
fn invalid_scope(e: String) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_scope").with(e)
}

fn check_password(p: &str) -> Result<(), ApiError> {
    if p.chars().count() < crate::auth::MIN_PASSWORD || p.chars().count() > 256 {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_password",
        ));
    }
    Ok(())
}

/// Create a staff account (admin).
#[utoipa::path(post, path = "/api/v1/users", tag = "admin", operation_id = "addUser",
    request_body(content = NewUser, example = json!({"username": "clerk9", "name": "王五", "role": "clerk", "password": "a-long-password", "windows": "20-22"})),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 201, description = "Created", body = UsernameReply),
        (status = 403, description = "Not an admin (`forbidden`)", body = ErrorBody),
        (status = 409, description = "The username is taken (`user_exists`)", body = ErrorBody),
        (status = 422, description = "A bad username, name, password or scope (`invalid_username`, `invalid_name`, `invalid_password`, `invalid_scope`)", body = ErrorBody),
    ))]
async fn add_user(
    State(st): State<AppState>,
    Staff(who): Staff,
    Json(u): Json<NewUser>,
) -> Result<Response, ApiError> {
    who.require(&[Role::Admin])?;
    check_password(&u.password)?;
    let scope = Scope::parse(&st.plan, &u.windows, &u.departments).map_err(invalid_scope)?;
    let new = super::accounts::NewUser {
        username: u.username,
        name: u.name,
        role: u.role,
        password: u.password,
        windows: scope.windows_text(),
        departments: scope.departments_text(),
    };
    let user = st.accounts.add_user(who.actor(), new).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(serde_json::json!({"username": user.username})),
    )
        .into_response())
}

/// One account command for `who`, forgetting the account's cached sessions after it.
async fn run_on_user(
    st: &AppState,
    who: &Principal,
    cmd: AccountCommand,
) -> Result<(UserFacts, Vec<u32>), ApiError> {
    who.require(&[Role::Admin])?;
    let reply = st.accounts.run(who.actor(), cmd).await?;
    let AccountReply::User {
        user,
        signed_out_windows,
    } = reply
    else {
        return Err(ApiError::internal(format!(
            "a user command answered {reply:?}"
        )));
    };
    st.auth_cache.forget_user(&user.username);
    Ok((user, signed_out_windows))
}

async fn set_disabled(
    st: AppState,
    who: Principal,
    username: String,
    disabled: bool,
) -> Result<Response, ApiError> {
    // A disabled clerk leaves the floor at once: the same command signs them out of every
    // window they hold (by the admin, so the audit trail says who).
    let cmd = AccountCommand::SetDisabled { username, disabled };
    let (user, signed_out) = run_on_user(&st, &who, cmd).await?;
    Ok(axum::Json(serde_json::json!({
        "username": user.username,
        "disabled": user.disabled,
        "signed_out_windows": signed_out,
    }))
    .into_response())
}

/// Disable an account: its sessions end and its clerk is signed out of every window (admin).
#[utoipa::path(post, path = "/api/v1/users/{username}/disable", tag = "admin", operation_id = "disableUser",
    params(("username" = String, Path, description = "The account's username", example = "clerk9")),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "Done", body = DisabledReply),
        (status = 403, description = "Not an admin (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such account (`not_found`)", body = ErrorBody),
        (status = 409, description = "An admin cannot disable themself (`cannot_disable_self`)", body = ErrorBody),
    ))]
async fn disable_user(
    State(st): State<AppState>,
    Staff(who): Staff,
    Path(u): Path<String>,
) -> Result<Response, ApiError> {
    set_disabled(st, who, u, true).await
}

/// Enable an account again (admin).
#[utoipa::path(post, path = "/api/v1/users/{username}/enable", tag = "admin", operation_id = "enableUser",
    params(("username" = String, Path, description = "The account's username", example = "clerk9")),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "Done", body = DisabledReply),
        (status = 403, description = "Not an admin (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such account (`not_found`)", body = ErrorBody),
    ))]
async fn enable_user(
    State(st): State<AppState>,
    Staff(who): Staff,
    Path(u): Path<String>,
) -> Result<Response, ApiError> {
    set_disabled(st, who, u, false).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PasswordBody {
    /// 8 to 256 characters.
    #[schema(min_length = 8, max_length = 256, format = Password, example = "a-new-password")]
    password: String,
}

/// Set a new password: the account's sessions end (admin).
#[utoipa::path(post, path = "/api/v1/users/{username}/password", tag = "admin", operation_id = "resetPassword",
    params(("username" = String, Path, description = "The account's username", example = "clerk9")),
    request_body(content = PasswordBody, example = json!({"password": "a-new-password"})),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "Done", body = UsernameReply),
        (status = 403, description = "Not an admin (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such account (`not_found`)", body = ErrorBody),
        (status = 422, description = "Too short or too long (`invalid_password`)", body = ErrorBody),
    ))]
async fn reset_password(
    State(st): State<AppState>,
    Staff(who): Staff,
    Path(username): Path<String>,
    Json(b): Json<PasswordBody>,
) -> Result<Response, ApiError> {
    who.require(&[Role::Admin])?;
    check_password(&b.password)?;
    let user = st
        .accounts
        .reset_password(who.actor(), username, &b.password)
        .await?;
    st.auth_cache.forget_user(&user.username);
    Ok(axum::Json(serde_json::json!({"username": user.username})).into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ScopeBody {
    #[serde(default)]
    windows: String,
    #[serde(default)]
    departments: String,
}

/// Where a clerk may sign in: windows and departments (blank: anywhere) (admin).
#[utoipa::path(post, path = "/api/v1/users/{username}/scope", tag = "admin", operation_id = "setScope",
    params(("username" = String, Path, description = "The account's username", example = "clerk9")),
    request_body(content = ScopeBody, example = json!({"windows": "1-11,20", "departments": ""})),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The scope as stored", body = ScopeReply),
        (status = 403, description = "Not an admin (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such account (`not_found`)", body = ErrorBody),
        (status = 422, description = "Windows or departments the hall does not have (`invalid_scope`)", body = ErrorBody),
    ))]
async fn set_scope(
    State(st): State<AppState>,
    Staff(who): Staff,
    Path(username): Path<String>,
    Json(b): Json<ScopeBody>,
) -> Result<Response, ApiError> {
    let scope = Scope::parse(&st.plan, &b.windows, &b.departments).map_err(invalid_scope)?;
    let cmd = AccountCommand::SetScope {
        username,
        windows: scope.windows_text(),
        departments: scope.departments_text(),
    };
    let (user, _) = run_on_user(&st, &who, cmd).await?;
    let body = serde_json::json!({
        "username": user.username,
        "windows": scope.windows_text(),
        "departments": scope.departments_text(),
    });
    Ok(axum::Json(body).into_response())
}

/// A new display name and/or role; absent fields stay as they are.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct UserEdit {
    name: Option<String>,
    role: Option<Role>,
}

/// Change an account's display name or role; absent fields stay (admin; not one's own role).
#[utoipa::path(patch, path = "/api/v1/users/{username}", tag = "admin", operation_id = "editUser",
    params(("username" = String, Path, description = "The account's username", example = "clerk9")),
    request_body(content = UserEdit, example = json!({"name": "王小五"})),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The account", body = UserDto),
        (status = 403, description = "Not an admin (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such account (`not_found`)", body = ErrorBody),
        (status = 409, description = "An admin cannot change their own role (`cannot_change_own_role`)", body = ErrorBody),
        (status = 422, description = "A bad name (`invalid_name`)", body = ErrorBody),
    ))]
async fn edit_user(
    State(st): State<AppState>,
    Staff(who): Staff,
    Path(username): Path<String>,
    Json(b): Json<UserEdit>,
) -> Result<Response, ApiError> {
    let cmd = AccountCommand::EditUser {
        username,
        name: b.name,
        role: b.role,
    };
    let (user, _) = run_on_user(&st, &who, cmd).await?;
    Ok(axum::Json(UserDto::from(user)).into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewDevice {
    id: String,
    kind: DeviceKind,
    #[schema(value_type = Option<u64>, minimum = 1, maximum = 4294967295_u64)]
    window: Option<u32>,
}

#[derive(Serialize, ToSchema)]
struct IssuedDevice {
    id: String,
    kind: DeviceKind,
    window: Option<u32>,
    /// The bearer token, shown this once (stored hashed).
    token: String,
    /// Where the device opens once to keep its token (kiosks, evaluators, floor TVs; none for
    /// an integrator), so nobody types 64 hex digits on a tablet.
    setup_url: Option<String>,
    /// That address as a QR code (SVG text) for the technician to scan on the device.
    setup_qr_svg: Option<String>,
}

/// The reply that shows a device's new token once, with its setup address and QR code.
fn issued(
    st: &AppState,
    headers: &axum::http::HeaderMap,
    device: crate::domain::accounts::DeviceFacts,
    token: String,
) -> Result<IssuedDevice, ApiError> {
    let base = super::tickets::public_base(st, headers);
    let setup_url = match device.kind {
        DeviceKind::Kiosk => Some(format!("{base}/kiosk/?device={token}")),
        DeviceKind::Evaluator => device
            .window
            .map(|w| format!("{base}/display/window.html?n={w}&evaluator=1&device={token}")),
        DeviceKind::Display => Some(format!("{base}/display/floor.html?device={token}")),
        _ => None,
    };
    let setup_qr_svg = setup_url
        .as_deref()
        .map(super::tickets::qr_svg_text)
        .transpose()?;
    Ok(IssuedDevice {
        id: device.id,
        kind: device.kind,
        window: device.window,
        token,
        setup_url,
        setup_qr_svg,
    })
}

/// Register a kiosk, screen, evaluator or integrator; its token is shown once (admin).
#[utoipa::path(post, path = "/api/v1/devices/register", tag = "admin", operation_id = "registerDevice",
    request_body(content = NewDevice, example = json!({"id": "kiosk-9", "kind": "kiosk"})),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 201, description = "Registered", body = IssuedDevice),
        (status = 403, description = "Not an admin (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such window (`unknown_window`)", body = ErrorBody),
        (status = 409, description = "The id is taken (`device_exists`)", body = ErrorBody),
        (status = 422, description = "A bad id, or an evaluator without its window (`invalid_device_id`, `window_required`)", body = ErrorBody),
    ))]
async fn register_device(
    State(st): State<AppState>,
    Staff(who): Staff,
    headers: axum::http::HeaderMap,
    Json(d): Json<NewDevice>,
) -> Result<Response, ApiError> {
    who.require(&[Role::Admin])?;
    let (device, token) = st
        .accounts
        .register_device(who.actor(), d.id, d.kind, d.window)
        .await?;
    let body = issued(&st, &headers, device, token)?;
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

/// Give a device a new token (the old one stops working); shown once (admin).
#[utoipa::path(post, path = "/api/v1/devices/{id}/token", tag = "admin", operation_id = "replaceDeviceToken",
    params(("id" = String, Path, description = "The device's id", example = "kiosk-9")),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The new token", body = IssuedDevice),
        (status = 403, description = "Not an admin (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such device (`not_found`)", body = ErrorBody),
        (status = 409, description = "The device is revoked; register it again (`device_revoked`)", body = ErrorBody),
    ))]
async fn replace_device_token(
    State(st): State<AppState>,
    Staff(who): Staff,
    headers: axum::http::HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    who.require(&[Role::Admin])?;
    let (device, token) = st.accounts.replace_device_token(who.actor(), id).await?;
    st.auth_cache.forget_device(&device.id);
    let body = issued(&st, &headers, device, token)?;
    Ok(axum::Json(body).into_response())
}

/// Revoke a device's token (admin).
#[utoipa::path(post, path = "/api/v1/devices/{id}/revoke", tag = "admin", operation_id = "revokeDevice",
    params(("id" = String, Path, description = "The device's id", example = "kiosk-9")),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "Revoked", body = RevokedReply),
        (status = 403, description = "Not an admin (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such device (`not_found`)", body = ErrorBody),
    ))]
async fn revoke_device(
    State(st): State<AppState>,
    Staff(who): Staff,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    who.require(&[Role::Admin])?;
    let reply = st
        .accounts
        .run(who.actor(), AccountCommand::RevokeDevice { id })
        .await?;
    let AccountReply::Device(device) = reply else {
        return Err(ApiError::internal(format!("a revoke answered {reply:?}")));
    };
    st.auth_cache.forget_device(&device.id);
    Ok(axum::Json(serde_json::json!({"id": device.id, "revoked": true})).into_response())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct AuditQuery {
    /// A service day, YYYY-MM-DD, in the hall's time zone.
    #[param(pattern = "^(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$", format = Date)]
    day: Option<String>,
    #[param(value_type = Option<u64>, minimum = 0, maximum = 4294967295_u64)]
    window: Option<u32>,
    /// A clerk's username: what they did.
    clerk: Option<String>,
    /// A username or device id: what was done to or about them.
    subject: Option<String>,
    /// A ticket number (with `day`) or a ticket id.
    ticket: Option<String>,
    /// An event type or prefix, e.g. `ticket.no_show` or `window.`.
    kind: Option<String>,
    /// At most this many (default 500, at most 5000).
    #[param(minimum = 0, maximum = 18446744073709551615_u64)]
    limit: Option<usize>,
}

/// The audit trail: every command's events with actor, window, time and details (manager).
#[utoipa::path(get, path = "/api/v1/audit", tag = "admin", operation_id = "searchAudit",
    params(AuditQuery),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "Entries, newest first", body = Vec<AuditEntry>),
        (status = 403, description = "Not a manager or admin (`forbidden`)", body = ErrorBody),
        (status = 422, description = "A day past the calendar's range (`invalid_date`)", body = ErrorBody),
    ))]
async fn search_audit(
    State(st): State<AppState>,
    Staff(who): Staff,
    Query(q): Query<AuditQuery>,
) -> Result<Response, ApiError> {
    who.require(&[Role::Manager, Role::Admin])?;
    let mut f = AuditFilter {
        window: q.window,
        actor: q.clerk.map(|c| format!("staff:{c}")),
        kind: q.kind,
        subject: q.subject,
        limit: q.limit.unwrap_or(500).min(5000),
        ..AuditFilter::default()
    };
    let day = match &q.day {
        Some(d) => {
            let date = super::manager::date("day", d)?;
            let tz = &st.plan.rules.tz;
            let start = |d: jiff::civil::Date| {
                tz.to_timestamp(d.to_datetime(jiff::civil::Time::midnight()))
                    .map(|t| t.as_millisecond())
                    .map_err(ApiError::internal)
            };
            let next = date.tomorrow().map_err(ApiError::internal)?;
            (f.from_ms, f.to_ms) = (Some(start(date)?), Some(start(next)?));
            Some(date.to_string())
        }
        None => None,
    };
    let reader = st.reader.clone();
    let entries: Vec<AuditEntry> =
        tokio::task::spawn_blocking(move || reader.audit(&f, q.ticket.as_deref(), day.as_deref()))
            .await??;
    Ok(axum::Json(entries).into_response())
}
