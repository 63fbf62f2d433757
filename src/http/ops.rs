//! Operational endpoints: `GET /metrics` (Prometheus text, for allowed addresses or a token),
//! `GET /readyz` (engine, disk and backup health), and the middleware that times requests.
//! `/healthz` stays in `meta` and stays cheap.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::AppState;
use super::error::ApiError;
use super::openapi::ErrorBody;
use crate::ops::metrics::Scrape;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// How long `/readyz` waits for the engine to answer.
const ENGINE_DEADLINE: Duration = Duration::from_secs(2);

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(show_metrics))
        .routes(routes!(show_readiness))
}

/// Time every routed request by its route template (never the raw path: tokens stay out).
pub async fn time_request(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let method = req.method().as_str().to_string();
    let began = Instant::now();
    let res = next.run(req).await;
    // An event websocket lives for hours; its upgrade answer is what gets timed here.
    st.metrics.observe_request(&method, &route, began.elapsed());
    res
}

fn may_scrape(st: &AppState, peer: SocketAddr, headers: &HeaderMap) -> Result<(), ApiError> {
    if crate::ops::access::allowed(&st.metrics_allow, peer.ip()) {
        return Ok(());
    }
    let token = &st.settings.metrics_token;
    let sent = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    // Digests are compared, so the time taken says nothing about the token.
    match sent {
        Some(s)
            if !token.is_empty()
                && crate::auth::token_hash(s) == crate::auth::token_hash(token) =>
        {
            Ok(())
        }
        Some(_) | None if token.is_empty() => Err(ApiError::forbidden()),
        _ => Err(ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated")),
    }
}

/// Prometheus metrics (text format), for addresses in `[metrics] allow` or the
/// `[metrics] token` as a bearer token.
#[utoipa::path(get, path = "/metrics", tag = "ops", operation_id = "showMetrics",
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "Metrics", content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8", body = String),
        (status = 401, description = "A wrong metrics token (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "An address outside `[metrics] allow` and no token configured (`forbidden`)", body = ErrorBody),
    ))]
async fn show_metrics(
    State(st): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    may_scrape(&st, peer, &headers)?;
    let waiting = st.engine.read(|h, now, _| {
        h.hall_view(now)
            .queues
            .into_iter()
            .map(|q| (q.id, q.waiting))
            .collect::<Vec<_>>()
    });
    let printers = st
        .printers
        .health()
        .into_iter()
        .map(|p| {
            let ok = crate::reports::floor::printer_alarms(std::slice::from_ref(&p)).is_empty();
            (p.id, ok)
        })
        .collect();
    let open = st
        .settings
        .max_streams
        .saturating_sub(st.ws_slots.available_permits());
    let anonymous = st
        .settings
        .max_anonymous_streams
        .saturating_sub(st.ws_anonymous_slots.available_permits());
    let now = jiff::Timestamp::now().as_second();
    let (attempt, _) = st.ops.backups();
    let scrape = Scrape {
        waiting,
        // Anonymous streams are phones and browsers without a device header; the rest are
        // display devices and staff consoles.
        ws_clients: vec![
            ("anonymous".into(), anonymous),
            ("registered".into(), open.saturating_sub(anonymous)),
        ],
        printers,
        last_backup_age_s: st.ops.last_backup_age_s(now).map(|s| s as f64),
        last_backup_failed: attempt.is_some_and(|a| !a.ok),
        uplink: st
            .uplink
            .as_ref()
            .zip(st.settings.uplink_hall_id.as_ref())
            .map(|(u, id)| u.view(id)),
        outbox: st.ops.outbox.views(),
    };
    let text = st.metrics.render(&scrape);
    Ok((
        [(
            CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response())
}

/// One readiness check.
#[derive(ToSchema)]
#[allow(dead_code)]
struct Check {
    ok: bool,
    /// What failed.
    error: Option<String>,
}

/// The checks behind `/readyz`.
#[derive(ToSchema)]
#[allow(dead_code)]
struct Checks {
    engine: Check,
    disk: Check,
    backup: Check,
}

/// `/readyz` when every check passes.
#[derive(ToSchema)]
#[allow(dead_code)]
struct Ready {
    #[schema(pattern = "^ready$")]
    status: String,
    checks: Checks,
}

/// `/readyz` when a check fails: the error shape plus the checks.
#[derive(ToSchema)]
#[allow(dead_code)]
struct NotReady {
    error: super::openapi::ErrorDetail,
    checks: Checks,
}

/// Readiness: the engine answers, the disk takes writes, the backup is recent.
#[utoipa::path(get, path = "/readyz", tag = "ops", operation_id = "showReadiness",
    responses(
        (status = 200, description = "Ready", body = Ready),
        (status = 503, description = "Not ready; `checks` says what failed (`not_ready`)", body = NotReady),
    ))]
async fn show_readiness(State(st): State<AppState>) -> Response {
    let engine = match tokio::time::timeout(ENGINE_DEADLINE, st.engine.ping()).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("no answer within {} s", ENGINE_DEADLINE.as_secs())),
    };
    let reader = st.reader.clone();
    let disk = tokio::task::spawn_blocking(move || reader.probe_disk())
        .await
        .unwrap_or_else(|e| Err(e.to_string()));
    let backup = st.ops.backup_health(jiff::Timestamp::now().as_second());
    let check = |r: &Result<(), String>| match r {
        Ok(()) => json!({"ok": true}),
        Err(e) => json!({"ok": false, "error": e}),
    };
    let checks = json!({"engine": check(&engine), "disk": check(&disk), "backup": check(&backup)});
    if engine.is_ok() && disk.is_ok() && backup.is_ok() {
        return axum::Json(json!({"status": "ready", "checks": checks})).into_response();
    }
    (
        StatusCode::SERVICE_UNAVAILABLE,
        axum::Json(json!({
            "error": {"code": "not_ready", "message": super::error::message_of("not_ready")},
            "checks": checks,
        })),
    )
        .into_response()
}
