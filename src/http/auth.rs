//! Who is asking: staff sessions (cookie or bearer) and device tokens, and the session routes.

use axum::Router;
use axum::extract::{FromRequestParts, State};
use axum::http::header::{AUTHORIZATION, COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::error::{ApiError, Json};
use crate::domain::DeviceKind;
use crate::domain::hall::{Actor, Role};
use crate::domain::scope::Scope;

/// Session cookie name.
pub const COOKIE_NAME: &str = "hallq_session";
/// How long a staff session lasts.
const SESSION_HOURS: i64 = 12;

/// An authenticated caller.
#[derive(Debug, Clone)]
pub enum Principal {
    Staff {
        username: String,
        name: String,
        role: Role,
        /// Where a clerk may sign in.
        scope: Scope,
    },
    Device {
        id: String,
        kind: DeviceKind,
        /// The window of an evaluator.
        window: Option<u32>,
    },
}

impl Principal {
    pub fn actor(&self) -> Actor {
        match self.clone() {
            Principal::Staff {
                username,
                name,
                role,
                ..
            } => Actor::Staff {
                username,
                name,
                role,
            },
            Principal::Device { id, kind, window } => Actor::Device { id, kind, window },
        }
    }
}

/// The bearer token or session cookie of a request.
pub(crate) fn presented_token(headers: &HeaderMap) -> Option<String> {
    if let Some(v) = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        return v.strip_prefix("Bearer ").map(|t| t.trim().to_string());
    }
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            c.trim()
                .strip_prefix(COOKIE_NAME)?
                .strip_prefix('=')
                .map(str::to_string)
        })
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = presented_token(&parts.headers).ok_or_else(ApiError::unauthenticated)?;
        if token.is_empty() || token.len() > 128 {
            return Err(ApiError::unauthenticated());
        }
        let hash = crate::auth::token_hash(&token);
        let now_ms = state.engine.clock().now().as_millisecond();
        if let Some(p) = state.auth_cache.get(&hash, now_ms) {
            return Ok(p);
        }
        let key = hash.clone();
        let reader = state.reader.clone();
        let plan = state.plan.clone();
        let found = tokio::task::spawn_blocking(move || {
            // A role or kind this server does not know is a damaged row (an error), not a clerk.
            if let Some(s) = reader.session(&hash, now_ms)? {
                let u = s.user;
                let p = Principal::Staff {
                    role: u.role,
                    scope: Scope::from_stored(
                        &plan,
                        u.windows.as_deref(),
                        u.departments.as_deref(),
                    ),
                    username: u.username,
                    name: u.name,
                };
                return Ok(Some((p, s.expires_ms)));
            }
            Ok::<_, crate::store::StoreError>(reader.device(&hash)?.map(|d| {
                let p = Principal::Device {
                    id: d.id,
                    kind: d.kind,
                    window: d.window,
                };
                (p, i64::MAX)
            }))
        })
        .await??;
        let (p, expires_ms) = found.ok_or_else(ApiError::unauthenticated)?;
        state.auth_cache.put(key, p.clone(), expires_ms);
        Ok(p)
    }
}

/// Recently verified tokens, so a busy kiosk or console does not hit the database on every
/// request. Entries live a few seconds: a device revoked or a user disabled from another
/// process is refused within `AuthCache::TTL`; a logout here is refused at once.
#[derive(Default)]
pub struct AuthCache {
    /// token hash → (who, when verified, session end on the hall clock in ms)
    entries:
        std::sync::Mutex<std::collections::HashMap<String, (Principal, std::time::Instant, i64)>>,
}

impl AuthCache {
    pub const TTL: std::time::Duration = std::time::Duration::from_secs(10);
    const MAX: usize = 10_000;

    fn get(&self, hash: &str, now_ms: i64) -> Option<Principal> {
        let map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        map.get(hash)
            .filter(|(_, at, expires)| at.elapsed() < Self::TTL && now_ms < *expires)
            .map(|(p, _, _)| p.clone())
    }

    fn put(&self, hash: String, p: Principal, expires_ms: i64) {
        let mut map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= Self::MAX {
            map.retain(|_, (_, at, _)| at.elapsed() < Self::TTL);
        }
        map.insert(hash, (p, std::time::Instant::now(), expires_ms));
    }

    /// Forget every token of a user (disabled, new password).
    pub fn forget_user(&self, username: &str) {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(
                |_, (p, _, _)| !matches!(p, Principal::Staff { username: u, .. } if u == username),
            );
    }

    /// Forget a device's token (revoked).
    pub fn forget_device(&self, id: &str) {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|_, (p, _, _)| !matches!(p, Principal::Device { id: d, .. } if d == id));
    }

    /// Forget a token at once (logout).
    pub fn forget(&self, hash: &str) {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(hash);
    }
}

impl Principal {
    /// 403 unless a staff member with one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        match self {
            Principal::Staff { role, .. } if roles.contains(role) => Ok(()),
            _ => Err(ApiError::forbidden()),
        }
    }

    /// 403 unless a manager or an admin.
    pub fn require_manager(&self) -> Result<(), ApiError> {
        self.require(&[Role::Manager, Role::Admin])
    }
}

/// A staff member (a device is refused with 403).
pub struct Staff(pub Principal);

impl FromRequestParts<AppState> for Staff {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match Principal::from_request_parts(parts, state).await? {
            p @ Principal::Staff { .. } => Ok(Staff(p)),
            Principal::Device { .. } => Err(ApiError::forbidden()),
        }
    }
}

pub fn routes() -> Router<AppState> {
    Router::new().route(
        "/api/v1/session",
        post(log_in).get(current_session).delete(log_out),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LoginRequest {
    pub(super) username: String,
    pub(super) password: String,
}

#[derive(Serialize)]
struct UserDto {
    username: String,
    name: String,
    role: Role,
}

#[derive(Serialize)]
struct SessionDto {
    token: String,
    user: UserDto,
}

async fn log_in(
    State(st): State<AppState>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    Json(req): Json<LoginRequest>,
) -> Result<Response, ApiError> {
    let ip = crate::net::client_ip(peer, &headers, &st.config.http.trusted_proxies);
    let Some(attempt) = st.login_throttle.begin(&req.username, ip) else {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_attempts",
        ));
    };
    let lasts_ms = SESSION_HOURS * 3_600_000;
    let session = match st
        .accounts
        .log_in(&req.username, &req.password, lasts_ms)
        .await
    {
        Ok(s) => s,
        Err(e) => {
            // Dropping the attempt counts it as a failure.
            drop(attempt);
            tracing::warn!(addr = %ip, "failed staff login");
            return Err(e.into());
        }
    };
    attempt.succeeded();
    let cookie = format!(
        "{COOKIE_NAME}={}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}",
        session.token,
        SESSION_HOURS * 3600
    );
    let body = SessionDto {
        token: session.token,
        user: UserDto {
            username: session.user.username,
            name: session.user.name,
            role: session.user.role,
        },
    };
    Ok(([(SET_COOKIE, cookie)], axum::Json(body)).into_response())
}

/// An argon2id hash of a random string, so unknown names cost as much as wrong passwords.
pub(super) static DUMMY_HASH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    crate::auth::hash_password(&crate::auth::new_token()).unwrap_or_default()
});

async fn current_session(Staff(p): Staff) -> Result<Response, ApiError> {
    let Principal::Staff {
        username,
        name,
        role,
        ..
    } = p
    else {
        return Err(ApiError::forbidden());
    };
    Ok(axum::Json(UserDto {
        username,
        name,
        role,
    })
    .into_response())
}

async fn log_out(
    State(st): State<AppState>,
    Staff(who): Staff,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let token = presented_token(&headers).ok_or_else(ApiError::unauthenticated)?;
    st.auth_cache.forget(&crate::auth::token_hash(&token));
    st.accounts.log_out(who.actor(), &token).await?;
    let clear = format!("{COOKIE_NAME}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
    Ok((StatusCode::NO_CONTENT, [(SET_COOKIE, clear)]).into_response())
}
