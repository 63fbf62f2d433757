//! The central server's routes: staff login with central accounts, the halls and their lag,
//! the cross-hall waits report (JSON, CSV, xlsx) and its page. Errors in the API.md shape.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, FromRef, FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::header::{CONTENT_TYPE, SET_COOKIE};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use super::auth::LoginRequest;
use super::auth::{COOKIE_NAME, presented_token};
use super::error::{ApiError, Json, Query};
use super::guard::{LoginThrottle, PasswordChecker, guarded};
use super::manager::{Format, date_range, respond};
use crate::central::Central;
use crate::central::accounts;
use crate::central::report::{self, CentralBy, CentralWaits};
use crate::reports::export;

/// What the central routes share: the database and the login guard (the hall's own design:
/// a throttle per account and address, Argon2 on a small pool of threads).
#[derive(Clone)]
pub struct CentralState {
    central: Arc<Central>,
    throttle: Arc<LoginThrottle>,
    passwords: Arc<PasswordChecker>,
    /// Served over HTTPS (`--tls-cert`): the session cookie is marked `Secure`.
    secure: bool,
}

impl FromRef<CentralState> for Arc<Central> {
    fn from_ref(s: &CentralState) -> Arc<Central> {
        Arc::clone(&s.central)
    }
}

/// The central server's router (serve it with `ConnectInfo<SocketAddr>`: logins are throttled
/// per address). `secure`: it is served over HTTPS, so the session cookie is `Secure`.
pub fn router(central: Arc<Central>, secure: bool) -> Router {
    let state = CentralState {
        central,
        throttle: Arc::default(),
        passwords: PasswordChecker::start(),
        secure,
    };
    Router::new()
        .route(
            "/api/v1/session",
            post(log_in).get(current_session).delete(log_out),
        )
        .route("/api/v1/central/halls", get(list_halls))
        .route("/api/v1/central/reports/waits", get(report_waits))
        .route(
            "/",
            get(|| async { axum::response::Redirect::to("/central/") }),
        )
        .route("/central/", get(page))
        .route("/central/central.js", get(script))
        .route("/central/chart.umd.min.js", get(chart_js))
        .fallback(|| async { ApiError::not_found() })
        // The hall's browser defences: cross-site cookie requests refused, JSON bodies only,
        // CSP, no framing, nosniff, no referrer, API replies not stored.
        .layer(axum::middleware::from_fn(super::shield::shield))
        .with_state(state)
}

impl From<tokio_postgres::Error> for ApiError {
    fn from(e: tokio_postgres::Error) -> Self {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "database_unavailable").with({
            tracing::error!(error = %e, "central database");
            "central database"
        })
    }
}

/// A signed-in central manager or admin.
struct CentralStaff(accounts::CentralUser);

impl FromRequestParts<CentralState> for CentralStaff {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, s: &CentralState) -> Result<Self, ApiError> {
        let c = &s.central;
        let token = presented_token(&parts.headers).ok_or_else(ApiError::unauthenticated)?;
        let client = c.client().await?;
        let user = accounts::session(&client, &crate::auth::token_hash(&token))
            .await?
            .ok_or_else(ApiError::unauthenticated)?;
        if !accounts::ROLES.contains(&user.role.as_str()) {
            return Err(ApiError::forbidden());
        }
        Ok(CentralStaff(user))
    }
}

#[derive(Serialize)]
struct UserDto {
    username: String,
    name: String,
    role: String,
}

#[derive(Serialize)]
struct SessionDto {
    token: String,
    user: UserDto,
}

async fn log_in(
    State(s): State<CentralState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Json(req): Json<LoginRequest>,
) -> Result<Response, ApiError> {
    let client = s.central.client().await?;
    let check = async {
        let found = accounts::user(&client, &req.username).await?;
        let phc = found
            .as_ref()
            .filter(|u| !u.disabled)
            .map(|u| u.password_hash.as_str());
        // Unknown and disabled names cost a check too (against a dummy hash).
        let right = s.passwords.verify(&req.password, phc).await;
        found
            .filter(|u| right && !u.disabled)
            .ok_or_else(ApiError::unauthenticated)
    };
    let user = guarded(&s.throttle, &req.username, peer.ip(), check).await??;
    let token = crate::auth::new_token();
    accounts::create_session(&client, &crate::auth::token_hash(&token), &user.username).await?;
    let cookie = format!(
        "{COOKIE_NAME}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{}",
        accounts::SESSION_HOURS * 3600,
        if s.secure { "; Secure" } else { "" }
    );
    let body = SessionDto {
        token,
        user: UserDto {
            username: user.username,
            name: user.name,
            role: user.role,
        },
    };
    Ok(([(SET_COOKIE, cookie)], axum::Json(body)).into_response())
}

async fn current_session(CentralStaff(u): CentralStaff) -> Response {
    axum::Json(UserDto {
        username: u.username,
        name: u.name,
        role: u.role,
    })
    .into_response()
}

async fn log_out(
    State(c): State<Arc<Central>>,
    headers: axum::http::HeaderMap,
) -> Result<StatusCode, ApiError> {
    // As in a hall: a missing or unknown token is 401, not a silent 204.
    let token = presented_token(&headers).ok_or_else(ApiError::unauthenticated)?;
    let client = c.client().await?;
    if accounts::delete_session(&client, &crate::auth::token_hash(&token)).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::unauthenticated())
    }
}

async fn list_halls(
    State(c): State<Arc<Central>>,
    _who: CentralStaff,
) -> Result<Response, ApiError> {
    let client = c.client().await?;
    let halls = report::halls(&client).await?;
    Ok(axum::Json(serde_json::json!({ "halls": halls })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WaitsParams {
    from: String,
    to: String,
    #[serde(default = "default_by")]
    by: CentralBy,
    #[serde(default)]
    halls: String,
    #[serde(default)]
    format: Format,
}

fn default_by() -> CentralBy {
    CentralBy::Hall
}

async fn report_waits(
    State(c): State<Arc<Central>>,
    _who: CentralStaff,
    Query(p): Query<WaitsParams>,
) -> Result<Response, ApiError> {
    let (from, to) = date_range(&p.from, &p.to)?;
    let halls: Vec<String> = p
        .halls
        .split(',')
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .map(str::to_string)
        .collect();
    let client = c.client().await?;
    let r = report::waits(&client, p.by, &from.to_string(), &to.to_string(), &halls).await?;
    let generated = jiff::Timestamp::now().to_string();
    let name = format!("central-waits-{}-{from}-{to}", p.by.as_str());
    respond(&r, p.format, &name, waits_csv, |r| {
        waits_xlsx(r, &generated)
    })
}

fn waits_csv(r: &CentralWaits) -> Vec<u8> {
    let mut rows = r.rows.clone();
    rows.push(report::CentralRow {
        hall_id: None,
        row: r.total.clone(),
    });
    export::csv(&export::table(&rows, &report::columns()))
}

fn waits_xlsx(r: &CentralWaits, generated: &str) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use crate::reports::TEXTS;
    let summary = export::Summary {
        title: TEXTS.sheet("waits_title").to_string(),
        lines: {
            use export::Cell;
            let mut lines = export::head_lines(&r.from, &r.to, generated);
            lines.push(export::line(
                TEXTS.sheet("grouping"),
                Cell::Text(r.by.as_str().into()),
            ));
            lines.push(export::line("halls", Cell::Text(r.halls.join(", "))));
            lines
        },
        total: Some(export::table(
            std::slice::from_ref(&r.total),
            crate::reports::waits::COLUMNS,
        )),
        chart: vec!["issued", "served"],
        after: None,
        definitions: [
            "definition_wait",
            "definition_service",
            "definition_counts",
            "definition_satisfaction",
        ]
        .iter()
        .map(|k| TEXTS.sheet(k).to_string())
        .collect(),
    };
    export::xlsx(&export::table(&r.rows, &report::columns()), &summary)
}

async fn page() -> Response {
    (
        [(CONTENT_TYPE, "text/html; charset=utf-8")],
        include_str!("../../staff-ui/central/index.html"),
    )
        .into_response()
}

async fn script() -> Response {
    (
        [(CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../../staff-ui/central/central.js"),
    )
        .into_response()
}

async fn chart_js() -> Response {
    (
        [(CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../../staff-ui/vendor/chart.umd.min.js"),
    )
        .into_response()
}
