//! Administration: staff accounts and devices (admin), and the audit trail (manager).

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::auth::{Principal, Staff};
use super::error::{ApiError, Json, Path, Query};
use crate::domain::accounts::{AccountCommand, AccountReply, UserFacts};
use crate::domain::scope::Scope;
use crate::domain::{DeviceKind, Role};
use crate::store::audit::{AuditEntry, AuditFilter};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/users", get(list_users).post(add_user))
        .route("/api/v1/users/{username}/disable", post(disable_user))
        .route("/api/v1/users/{username}/enable", post(enable_user))
        .route("/api/v1/users/{username}/password", post(reset_password))
        .route("/api/v1/users/{username}/scope", post(set_scope))
        .route("/api/v1/users/{username}", patch(edit_user))
        .route("/api/v1/devices/register", post(register_device))
        .route("/api/v1/devices/{id}/revoke", post(revoke_device))
        .route("/api/v1/devices/{id}/token", post(replace_device_token))
        .route("/api/v1/audit", get(search_audit))
}

#[derive(Serialize)]
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewUser {
    username: String,
    name: String,
    role: Role,
    password: String,
    #[serde(default)]
    windows: String,
    #[serde(default)]
    departments: String,
}

fn check_password(p: &str) -> Result<(), ApiError> {
    if p.chars().count() < crate::auth::MIN_PASSWORD || p.len() > 256 {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_password",
        ));
    }
    Ok(())
}

async fn add_user(
    State(st): State<AppState>,
    Staff(who): Staff,
    Json(u): Json<NewUser>,
) -> Result<Response, ApiError> {
    who.require(&[Role::Admin])?;
    check_password(&u.password)?;
    let scope =
        Scope::parse(&st.plan, &u.windows, &u.departments).map_err(ApiError::bad_request)?;
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

async fn disable_user(
    State(st): State<AppState>,
    Staff(who): Staff,
    Path(u): Path<String>,
) -> Result<Response, ApiError> {
    set_disabled(st, who, u, true).await
}

async fn enable_user(
    State(st): State<AppState>,
    Staff(who): Staff,
    Path(u): Path<String>,
) -> Result<Response, ApiError> {
    set_disabled(st, who, u, false).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasswordBody {
    password: String,
}

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScopeBody {
    #[serde(default)]
    windows: String,
    #[serde(default)]
    departments: String,
}

async fn set_scope(
    State(st): State<AppState>,
    Staff(who): Staff,
    Path(username): Path<String>,
    Json(b): Json<ScopeBody>,
) -> Result<Response, ApiError> {
    let scope =
        Scope::parse(&st.plan, &b.windows, &b.departments).map_err(ApiError::bad_request)?;
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
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UserEdit {
    name: Option<String>,
    role: Option<Role>,
}

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewDevice {
    id: String,
    kind: DeviceKind,
    window: Option<u32>,
}

#[derive(Serialize)]
struct IssuedDevice {
    id: String,
    kind: DeviceKind,
    window: Option<u32>,
    /// The bearer token, shown this once (stored hashed).
    token: String,
}

async fn register_device(
    State(st): State<AppState>,
    Staff(who): Staff,
    Json(d): Json<NewDevice>,
) -> Result<Response, ApiError> {
    who.require(&[Role::Admin])?;
    let (device, token) = st
        .accounts
        .register_device(who.actor(), d.id, d.kind, d.window)
        .await?;
    let body = IssuedDevice {
        id: device.id,
        kind: device.kind,
        window: device.window,
        token,
    };
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

async fn replace_device_token(
    State(st): State<AppState>,
    Staff(who): Staff,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    who.require(&[Role::Admin])?;
    let (device, token) = st.accounts.replace_device_token(who.actor(), id).await?;
    st.auth_cache.forget_device(&device.id);
    let body = IssuedDevice {
        id: device.id,
        kind: device.kind,
        window: device.window,
        token,
    };
    Ok(axum::Json(body).into_response())
}

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditQuery {
    /// A service day, YYYY-MM-DD, in the hall's time zone.
    day: Option<String>,
    window: Option<u32>,
    /// A clerk's username: what they did.
    clerk: Option<String>,
    /// A username or device id: what was done to or about them.
    subject: Option<String>,
    /// A ticket number (with `day`) or a ticket id.
    ticket: Option<String>,
    /// An event type or prefix, e.g. `ticket.no_show` or `window.`.
    kind: Option<String>,
    limit: Option<usize>,
}

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
