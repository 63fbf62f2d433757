//! HTTP: one router per audience, the API error shape, the event websocket.
//! The only module that knows status codes. Handlers call one engine or store method each.

mod accounts;
mod admin;
mod appointments;
mod assets;
mod auth;
pub mod central;
mod desk;
mod device_seen;
mod device_self;
mod devices;
pub mod error;
mod events;
mod feedback;
mod floor_wall;
pub mod guard;
pub mod limits;
mod manager;
mod meta;
pub mod openapi;
mod ops;
mod reasons;
mod shield;
mod staff_cards;
pub mod stream_quota;
mod tickets;
mod waiting_list;
mod windows;

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{Method, StatusCode, Uri};
use tokio::sync::Semaphore;

pub use accounts::Accounts;
pub use assets::UI_VERSION;
pub use auth::Principal;
use error::ApiError;

use crate::domain::Plan;
use crate::engine::EngineHandle;
use crate::store::Reader;

/// Largest JSON body accepted.
pub const MAX_BODY: usize = 16 * 1024;

/// Cheap handles shared by every handler.
#[derive(Clone)]
pub struct AppState {
    pub engine: EngineHandle,
    pub reader: Reader,
    /// Logins, logouts and the admin routes: Argon2 first, then one engine command.
    pub accounts: accounts::Accounts,
    /// The hall: the runtime model of config/hall.toml (queues, windows, rules, printers,
    /// kiosks, alarm thresholds, appraisal weights).
    pub plan: Arc<Plan>,
    /// The server's own settings (`[http]`, `[tls]`, `[events]`, `[metrics]`, `[uplink]`,
    /// `[[notify]]`), typed once at start; handlers never see the raw config.
    pub settings: Arc<crate::settings::ServerSettings>,
    /// Slip printers and their health.
    pub printers: crate::printer::Printers,
    /// `--simulated-clock`: `POST /api/v1/_clock` exists.
    pub simulated_clock: bool,
    /// Event streams open at once (`[events] max_clients`).
    pub ws_slots: Arc<Semaphore>,
    /// Of those, what clients without credentials may hold (`[events] max_anonymous_clients`).
    pub ws_anonymous_slots: Arc<Semaphore>,
    /// And what one address may hold of those (`[events] max_anonymous_per_address`).
    pub ws_per_address: Arc<stream_quota::StreamQuota>,
    pub auth_cache: Arc<auth::AuthCache>,
    /// Password guessing: throttle per (account, address) and per account.
    pub login_throttle: Arc<guard::LoginThrottle>,
    /// `[voice] pack`: a recorded clip folder served at /display/voice/ (else the built-in one).
    pub voice_pack: Option<Arc<PathBuf>>,
    /// Becomes true when the server shuts down: event streams close so screens reconnect.
    pub closing: tokio::sync::watch::Receiver<bool>,
    /// Backups and other operational health (floor alarms, `/readyz`).
    pub ops: Arc<crate::ops::status::OpsStatus>,
    /// Prometheus metrics (`GET /metrics`).
    pub metrics: Arc<crate::ops::metrics::Metrics>,
    /// `[metrics] allow`, parsed.
    pub metrics_allow: Arc<Vec<crate::ops::access::Cidr>>,
    /// Per-kiosk issuing limits (`[limits]`).
    pub kiosk_limits: Arc<limits::KioskLimits>,
    /// Each device's last heartbeat (the admin's device list).
    pub device_seen: Arc<device_seen::DeviceSeen>,
    /// The uplink to the central database, when `[uplink]` is configured.
    pub uplink: Option<Arc<crate::central::uplink::UplinkStatus>>,
}

/// Every API route, each registered with its OpenAPI entry (`utoipa_axum::routes!`).
fn api_routes() -> utoipa_axum::router::OpenApiRouter<AppState> {
    utoipa_axum::router::OpenApiRouter::new()
        .merge(meta::routes())
        .merge(auth::routes())
        .merge(tickets::routes())
        .merge(devices::routes())
        .merge(device_self::routes())
        .merge(windows::routes())
        .merge(waiting_list::routes())
        .merge(events::routes())
        .merge(feedback::routes())
        .merge(admin::routes())
        .merge(manager::routes())
        .merge(appointments::routes())
        .merge(floor_wall::routes())
        .merge(desk::routes())
        .merge(reasons::routes())
        .merge(staff_cards::routes())
        .merge(ops::routes())
}

/// The whole application router: the documented API and the screens' static files.
pub fn router(state: AppState) -> Router {
    let (api, _doc) = openapi::parts();
    api.merge(assets::routes())
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            ops::time_request,
        ))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(axum::middleware::from_fn(shield::shield))
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

async fn not_found(uri: Uri) -> ApiError {
    ApiError::not_found().with(uri.path().to_string())
}

async fn method_not_allowed(method: Method) -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").with(method.to_string())
}
