//! Administration: staff accounts and devices (admin), and the audit trail (manager).

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::auth::{Principal, Staff};
use super::error::{ApiError, Json, Path, Query};
use crate::domain::Role;
use crate::domain::scope::Scope;
use crate::store::audit::{AuditEntry, AuditFilter};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/users", get(list_users).post(add_user))
        .route("/api/v1/users/{username}/disable", post(disable_user))
        .route("/api/v1/users/{username}/enable", post(enable_user))
        .route("/api/v1/users/{username}/password", post(reset_password))
        .route("/api/v1/users/{username}/scope", post(set_scope))
        .route("/api/v1/devices/register", post(register_device))
        .route("/api/v1/devices/{id}/revoke", post(revoke_device))
        .route("/api/v1/audit", get(search_audit))
}

#[derive(Serialize)]
struct UserDto {
    username: String,
    name: String,
    role: String,
    disabled: bool,
    /// Windows the clerk may work at, e.g. `1-11,20` (null: any).
    windows: Option<String>,
    /// Departments whose windows the clerk may work at (null: any).
    departments: Option<String>,
}

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewUser {
    username: String,
    name: String,
    role: String,
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
    let scope =
        Scope::parse(&st.plan, &u.windows, &u.departments).map_err(ApiError::bad_request)?;
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
    who.require(&[Role::Admin])?;
    let scope =
        Scope::parse(&st.plan, &b.windows, &b.departments).map_err(ApiError::bad_request)?;
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewDevice {
    id: String,
    kind: String,
    window: Option<u32>,
}

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
        ("evaluator", None) => return Err(ApiError::bad_request("评价器须指定所在窗口 window")),
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditQuery {
    /// A service day, YYYY-MM-DD, in the hall's time zone.
    day: Option<String>,
    window: Option<u32>,
    /// A clerk's username.
    clerk: Option<String>,
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
