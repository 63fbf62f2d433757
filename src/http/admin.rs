//! Administration: staff accounts and devices (admin), and the audit trail (manager).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::auth::{Principal, Staff};
use super::error::{ApiError, Json, Path, Query};
use super::openapi::ErrorBody;
use crate::domain::Role;
use crate::domain::scope::Scope;
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
        .routes(routes!(register_device))
        .routes(routes!(revoke_device))
        .routes(routes!(search_audit))
}

#[derive(Serialize, ToSchema)]
struct UserDto {
    username: String,
    name: String,
    #[schema(schema_with = super::openapi::schemas::role)]
    role: String,
    disabled: bool,
    /// Windows the clerk may work at, e.g. `1-11,20` (null: any).
    windows: Option<String>,
    /// Departments whose windows the clerk may work at (null: any).
    departments: Option<String>,
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

/// A device registered: its token, shown this once.
#[derive(ToSchema)]
#[allow(dead_code)]
struct NewDeviceReply {
    id: String,
    #[schema(schema_with = super::openapi::schemas::device_kind)]
    kind: String,
    window: Option<u32>,
    /// The device token, shown once (stored hashed).
    #[schema(pattern = "^[0-9a-f]{64}$")]
    token: String,
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
    let db = st.db_path.clone();
    let users = tokio::task::spawn_blocking(move || crate::admin::users(&db)).await??;
    let users: Vec<UserDto> = users
        .into_iter()
        .map(|u| UserDto {
            username: u.username,
            name: u.name,
            role: u.role,
            disabled: u.disabled,
            windows: u.scope_windows,
            departments: u.scope_departments,
        })
        .collect();
    Ok(axum::Json(users).into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewUser {
    /// 2-32 lowercase letters, digits or `. _ -`.
    #[schema(pattern = "^[a-z0-9._-]{2,32}$", example = "clerk9")]
    username: String,
    /// 1-32 characters after trimming.
    #[schema(min_length = 1, max_length = 32, pattern = r"\S", example = "王五")]
    name: String,
    #[schema(schema_with = super::openapi::schemas::role)]
    role: String,
    /// 8 to 256 characters.
    #[schema(min_length = 8, max_length = 256, format = Password, example = "a-long-password")]
    password: String,
    /// Windows a clerk may work at, e.g. `1-11,20` (blank: any).
    #[serde(default)]
    #[schema(pattern = "^[0-9, -]*$")]
    windows: String,
    /// Department ids, comma separated (blank: any).
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
        (status = 422, description = "A bad username, password or scope (`invalid_username`, `invalid_password`, `invalid_scope`)", body = ErrorBody),
    ))]
async fn add_user(
    State(st): State<AppState>,
    Staff(who): Staff,
    Json(u): Json<NewUser>,
) -> Result<Response, ApiError> {
    who.require(&[Role::Admin])?;
    if !crate::admin::valid_username(&u.username) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_username",
        ));
    }
    let name = u.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 32 {
        return Err(ApiError::bad_request("姓名应为1-32个字"));
    }
    let role = Role::parse(&u.role)
        .ok_or_else(|| ApiError::bad_request("role 应为 clerk、manager 或 admin"))?;
    check_password(&u.password)?;
    let scope = Scope::parse(&st.plan, &u.windows, &u.departments).map_err(invalid_scope)?;
    let db = st.db_path.clone();
    let username = u.username.clone();
    let created = tokio::task::spawn_blocking(move || {
        let created = crate::admin::add_user(&db, &username, &name, role, &u.password)?;
        if created && !scope.is_unlimited() {
            crate::admin::set_scope(&db, &username, &scope)?;
        }
        Ok::<_, anyhow::Error>(created)
    })
    .await?
    .map_err(ApiError::internal)?;
    if !created {
        return Err(ApiError::new(StatusCode::CONFLICT, "user_exists").with(u.username));
    }
    Ok((
        StatusCode::CREATED,
        axum::Json(serde_json::json!({"username": u.username})),
    )
        .into_response())
}

async fn set_disabled(
    st: AppState,
    who: Principal,
    username: String,
    disabled: bool,
) -> Result<Response, ApiError> {
    who.require(&[Role::Admin])?;
    if let Principal::Staff { username: me, .. } = &who
        && me == &username
        && disabled
    {
        return Err(ApiError::new(StatusCode::CONFLICT, "cannot_disable_self"));
    }
    let db = st.db_path.clone();
    let u = username.clone();
    let found = tokio::task::spawn_blocking(move || crate::admin::set_disabled(&db, &u, disabled))
        .await??;
    if !found {
        return Err(ApiError::not_found().with(username));
    }
    st.auth_cache.forget_user(&username);
    // A disabled clerk leaves the floor at once: every window they are signed in at is signed
    // out (by the admin, so the audit trail says who).
    let signed_out = if disabled {
        let u = username.clone();
        let windows: Vec<u32> = st.engine.read(move |h, _, _| {
            h.plan()
                .windows
                .iter()
                .filter_map(|w| h.window_view(w.number))
                .filter(|v| v.clerk.as_ref().is_some_and(|c| c.username == u))
                .map(|v| v.number)
                .collect()
        });
        for &window in &windows {
            st.engine
                .execute(
                    who.actor(),
                    crate::domain::hall::Command::SignOut { window },
                )
                .await?;
        }
        windows
    } else {
        Vec::new()
    };
    Ok(axum::Json(serde_json::json!({
        "username": username,
        "disabled": disabled,
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
    let db = st.db_path.clone();
    let u = username.clone();
    let found =
        tokio::task::spawn_blocking(move || crate::admin::reset_password(&db, &u, &b.password))
            .await?
            .map_err(ApiError::internal)?;
    if !found {
        return Err(ApiError::not_found().with(username));
    }
    st.auth_cache.forget_user(&username);
    Ok(axum::Json(serde_json::json!({"username": username})).into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ScopeBody {
    /// Windows a clerk may work at, e.g. `1-11,20` (blank: any).
    #[serde(default)]
    #[schema(pattern = "^[0-9, -]*$")]
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
    who.require(&[Role::Admin])?;
    let scope = Scope::parse(&st.plan, &b.windows, &b.departments).map_err(invalid_scope)?;
    let db = st.db_path.clone();
    let u = username.clone();
    let s = scope.clone();
    let found = tokio::task::spawn_blocking(move || crate::admin::set_scope(&db, &u, &s)).await??;
    if !found {
        return Err(ApiError::not_found().with(username));
    }
    st.auth_cache.forget_user(&username);
    let body = serde_json::json!({
        "username": username,
        "windows": scope.windows_text(),
        "departments": scope.departments_text(),
    });
    Ok(axum::Json(body).into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewDevice {
    /// 2-32 lowercase letters, digits or `. _ -`.
    #[schema(pattern = "^[a-z0-9._-]{2,32}$", example = "kiosk-9")]
    id: String,
    #[schema(schema_with = super::openapi::schemas::device_kind)]
    kind: String,
    /// An evaluator's window (required for one).
    #[schema(value_type = Option<u64>, minimum = 1, maximum = 4294967295_u64)]
    window: Option<u32>,
}

/// Register a kiosk, screen, evaluator or integrator; its token is shown once (admin).
#[utoipa::path(post, path = "/api/v1/devices/register", tag = "admin", operation_id = "registerDevice",
    request_body(content = NewDevice, example = json!({"id": "kiosk-9", "kind": "kiosk"})),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 201, description = "Registered", body = NewDeviceReply),
        (status = 403, description = "Not an admin (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such window (`unknown_window`)", body = ErrorBody),
        (status = 409, description = "The id is taken (`device_exists`)", body = ErrorBody),
        (status = 422, description = "An evaluator without its window (`window_required`)", body = ErrorBody),
    ))]
async fn register_device(
    State(st): State<AppState>,
    Staff(who): Staff,
    Json(d): Json<NewDevice>,
) -> Result<Response, ApiError> {
    who.require(&[Role::Admin])?;
    if !["kiosk", "display", "evaluator", "integrator"].contains(&d.kind.as_str()) {
        return Err(ApiError::bad_request(
            "kind 应为 kiosk、display 或 evaluator",
        ));
    }
    if !crate::admin::valid_username(&d.id) {
        return Err(ApiError::bad_request(
            "设备编号应为2-32位小写字母、数字或 . _ -",
        ));
    }
    match (d.kind.as_str(), d.window) {
        ("evaluator", None) => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "window_required",
            ));
        }
        (_, Some(n)) if st.plan.window(n).is_none() => {
            return Err(ApiError::from(crate::domain::DomainError::UnknownWindow(n)));
        }
        _ => {}
    }
    let token = crate::auth::new_token();
    let db = st.db_path.clone();
    let (id, kind, t) = (d.id.clone(), d.kind.clone(), token.clone());
    let created = tokio::task::spawn_blocking(move || {
        crate::admin::add_device_at(&db, &id, &kind, d.window, &t)
    })
    .await??;
    if !created {
        return Err(ApiError::new(StatusCode::CONFLICT, "device_exists").with(d.id));
    }
    let body = serde_json::json!({"id": d.id, "kind": d.kind, "window": d.window, "token": token});
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
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
    let db = st.db_path.clone();
    let i = id.clone();
    let found = tokio::task::spawn_blocking(move || crate::admin::revoke_device(&db, &i)).await??;
    if !found {
        return Err(ApiError::not_found().with(id));
    }
    st.auth_cache.forget_device(&id);
    Ok(axum::Json(serde_json::json!({"id": id, "revoked": true})).into_response())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct AuditQuery {
    /// A service day, YYYY-MM-DD, in the hall's time zone (years 1-9998).
    #[param(pattern = "^(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$", format = Date)]
    day: Option<String>,
    #[param(value_type = Option<u64>, minimum = 0, maximum = 4294967295_u64)]
    window: Option<u32>,
    /// A clerk's username.
    clerk: Option<String>,
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
    let tz = st.plan.rules.tz.clone();
    let mut f = AuditFilter {
        window: q.window,
        actor: q.clerk.map(|c| format!("staff:{c}")),
        kind: q.kind,
        limit: q.limit.unwrap_or(500).min(5000),
        ..AuditFilter::default()
    };
    let day = match &q.day {
        Some(d) => {
            let date: jiff::civil::Date = d
                .parse()
                .map_err(|_| ApiError::bad_request("day 应为 YYYY-MM-DD"))?;
            let date = super::manager::in_range(date)?;
            let start = tz
                .to_timestamp(date.to_datetime(jiff::civil::Time::midnight()))
                .map_err(ApiError::internal)?;
            let next = date.tomorrow().map_err(ApiError::internal)?;
            let end = tz
                .to_timestamp(next.to_datetime(jiff::civil::Time::midnight()))
                .map_err(ApiError::internal)?;
            f.from_ms = Some(start.as_millisecond());
            f.to_ms = Some(end.as_millisecond());
            Some(date.to_string())
        }
        None => None,
    };
    let reader = st.reader.clone();
    let ticket = q.ticket;
    let entries: Vec<AuditEntry> = tokio::task::spawn_blocking(move || {
        reader.with(|c| {
            if let Some(t) = &ticket {
                let ids = match t.parse::<i64>() {
                    Ok(id) => vec![id],
                    Err(_) => {
                        let day = day.clone().unwrap_or_default();
                        crate::store::audit::tickets_numbered(c, &day, &t.to_ascii_uppercase())?
                    }
                };
                let mut all = Vec::new();
                for id in ids {
                    all.extend(crate::store::audit::search(
                        c,
                        &AuditFilter {
                            ticket_id: Some(id),
                            ..f.clone()
                        },
                    )?);
                }
                all.sort_by_key(|e| std::cmp::Reverse(e.seq));
                return Ok(all);
            }
            crate::store::audit::search(c, &f)
        })
    })
    .await??;
    Ok(axum::Json(entries).into_response())
}
