//! hallq: queue, kiosk and wall-screen server for a county government service hall.
//!
//! Crate map:
//! - `domain/`: the pure hall (tickets, routing, numbering, quotas); no IO.
//! - `config`: config/hall.toml and its validation into a `domain::Plan`.
//! - `store/`: SQLite, the only place with SQL.
//! - `engine`: the single writer thread: decide, commit, broadcast, reply.
//! - `reports/`: manager reports (floor, waits, staff appraisal) and their exports.
//! - `http/`: the JSON API, the event websocket and the static screens.
//! - `printer/`: ticket slips in ESC/POS, printer transports and health.
//! - `clock`: real or simulated time.
//! - `central/`: the uplink to a central PostgreSQL and the cross-hall report server.
#![forbid(unsafe_code)]

pub mod admin;
pub mod auth;
pub mod bench;
pub mod central;
pub mod clock;
pub mod config;
pub mod domain;
pub mod engine;
pub mod http;
pub mod printer;
pub mod reports;
pub mod sim;
pub mod store;

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;

use crate::clock::{Clock, SimulatedClock, SystemClock};
use crate::config::Config;
use crate::engine::EngineHandle;

/// How to start a hall server.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub config: PathBuf,
    pub db: PathBuf,
    /// Demo mode: every queue issues at any hour.
    pub demo: bool,
    /// A clock that `POST /api/v1/_clock` moves forward.
    pub simulated_clock: bool,
}

/// A hall ready to serve: config loaded, database open, engine running.
pub struct App {
    pub state: http::AppState,
    /// Tells the event streams that the server is going down.
    closing: tokio::sync::watch::Sender<bool>,
}

impl App {
    /// Load the config, open and migrate the database, restore and start the engine.
    pub fn start(opts: &ServeOptions) -> anyhow::Result<App> {
        let (config, mut plan) = Config::load(&opts.config)?;
        plan.rules.always_open = opts.demo;
        let plan = Arc::new(plan);
        let store = store::Store::open(&opts.db)
            .with_context(|| format!("opening {}", opts.db.display()))?;
        let clock: Arc<dyn Clock> = if opts.simulated_clock {
            Arc::new(SimulatedClock::default())
        } else {
            Arc::new(SystemClock)
        };
        let engine: EngineHandle = engine::start(Arc::clone(&plan), store, clock)?;
        let voice_pack = voice_pack(&opts.config, &config)?;
        let (closing, closing_rx) = tokio::sync::watch::channel(false);
        let uplink = config.uplink.as_ref().map(|_| Arc::default());
        let state = http::AppState {
            engine,
            reader: store::Reader::new(&opts.db),
            db_path: Arc::new(opts.db.clone()),
            plan,
            printers: printer::Printers::from_config(&config, opts.demo || opts.simulated_clock),
            config: Arc::new(config),
            simulated_clock: opts.simulated_clock,
            ws_slots: Arc::new(tokio::sync::Semaphore::new(http::MAX_EVENT_CLIENTS)),
            auth_cache: Arc::default(),
            login_guard: Arc::default(),
            voice_pack,
            closing: closing_rx,
            uplink,
        };
        Ok(App { state, closing })
    }

    /// Serve on `listener` until `shutdown` resolves.
    pub async fn run(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let engine = self.state.engine.clone();
        // Printer health for the floor, without waiting for a ticket.
        let printers = self.state.printers.clone();
        let prober = tokio::spawn(async move {
            let every = std::time::Duration::from_secs(60);
            let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
            loop {
                tick.tick().await;
                printers.probe_all().await;
            }
        });
        // Let the day roll over even when nobody presses a button.
        let ticker = tokio::spawn(async move {
            let mut every = tokio::time::interval(std::time::Duration::from_secs(30));
            loop {
                every.tick().await;
                engine.tick().await;
            }
        });
        // Ship events to the central database, off the writer, for as long as we serve.
        let uplink = match (&self.state.config.uplink, &self.state.uplink) {
            (Some(section), Some(status)) => Some(tokio::spawn(
                central::uplink_for(section, &self.state.plan, &self.state.db_path, status.clone())
                    .run(),
            )),
            _ => None,
        };
        let app = http::router(self.state);
        let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
        let closing = self.closing;
        let out = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                shutdown.await;
                // Screens are told to go (close 1001) and reconnect to the next server.
                let _ = closing.send(true);
            })
            .await;
        ticker.abort();
        prober.abort();
        if let Some(u) = uplink {
            u.abort();
        }
        out.context("serving HTTP")
    }
}

/// The recorded voice pack named by `[voice] pack`, relative to the config file.
fn voice_pack(
    config_path: &std::path::Path,
    config: &Config,
) -> anyhow::Result<Option<Arc<PathBuf>>> {
    let Some(pack) = &config.voice.pack else {
        return Ok(None);
    };
    let dir = config_path
        .parent()
        .unwrap_or(std::path::Path::new("."))
        .join(pack);
    anyhow::ensure!(
        dir.join("manifest.json").is_file(),
        "[voice] pack: {} has no manifest.json",
        dir.display()
    );
    Ok(Some(Arc::new(dir)))
}
