//! Who is asking: staff sessions (cookie or bearer) and device tokens, and the session routes.

use axum::extract::{FromRequestParts, State};
use axum::http::header::{AUTHORIZATION, COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::error::{ApiError, Json};
use super::openapi::ErrorBody;
use crate::domain::DeviceKind;
use crate::domain::hall::{Actor, Role};
use crate::domain::scope::Scope;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

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

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(log_in, current_session, log_out))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct LoginRequest {
    #[schema(example = "clerk1", max_length = 256)]
    pub(super) username: String,
    #[schema(example = "hallq-demo", max_length = 1024, format = Password)]
    pub(super) password: String,
}

#[derive(Serialize, ToSchema)]
struct UserDto {
    username: String,
    name: String,
    role: Role,
}

#[derive(Serialize, ToSchema)]
struct SessionDto {
    token: String,
    user: UserDto,
}

/// With `[tls]` the session cookie is only ever sent over HTTPS.
fn secure(st: &AppState) -> &'static str {
    if st.settings.https { "; Secure" } else { "" }
}

/// Log in (staff): a session token for `Authorization: Bearer` and an HttpOnly cookie. Five
/// wrong passwords from an address hold that address back (429).
#[utoipa::path(post, path = "/api/v1/session", tag = "session", operation_id = "logIn",
    request_body(content = LoginRequest, example = json!({"username": "manager", "password": "hallq-demo"})),
    responses(
        (status = 200, description = "Logged in; the cookie is set too", body = SessionDto),
        (status = 401, description = "Wrong username or password, or a disabled account (`unauthenticated`)", body = ErrorBody),
        (status = 429, description = "Too many failed logins; wait (`too_many_attempts`)", body = ErrorBody),
    ))]
async fn log_in(
    State(st): State<AppState>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    Json(req): Json<LoginRequest>,
) -> Result<Response, ApiError> {
    let ip = crate::net::client_ip(peer, &headers, &st.settings.trusted_proxies);
    let lasts_ms = SESSION_HOURS * 3_600_000;
    let login = st.accounts.log_in(&req.username, &req.password, lasts_ms);
    let session = super::guard::guarded(&st.login_throttle, &req.username, ip, login).await??;
    let cookie = format!(
        "{COOKIE_NAME}={}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{}",
        session.token,
        SESSION_HOURS * 3600,
        secure(&st)
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

/// Who the session belongs to.
#[utoipa::path(get, path = "/api/v1/session", tag = "session", operation_id = "currentSession",
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The logged-in user", body = UserDto),
        (status = 403, description = "A device token, not a session (`forbidden`)", body = ErrorBody),
    ))]
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

/// Log out: the session ends and the cookie is cleared.
#[utoipa::path(delete, path = "/api/v1/session", tag = "session", operation_id = "logOut",
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 204, description = "Logged out"),
        (status = 401, description = "No such session (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "A device token, not a session (`forbidden`)", body = ErrorBody),
    ))]
async fn log_out(
    State(st): State<AppState>,
    Staff(who): Staff,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let token = presented_token(&headers).ok_or_else(ApiError::unauthenticated)?;
    st.auth_cache.forget(&crate::auth::token_hash(&token));
    st.accounts.log_out(who.actor(), &token).await?;
    let clear = format!(
        "{COOKIE_NAME}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0{}",
        secure(&st)
    );
    Ok((StatusCode::NO_CONTENT, [(SET_COOKIE, clear)]).into_response())
}
