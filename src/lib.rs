//! hallq: queue, kiosk and wall-screen server for a county government service hall.
//!
//! Crate map:
//! - `domain/`: the pure hall (tickets, routing, numbering, quotas); no IO.
//! - `config`: config/hall.toml and its validation into a `domain::Plan` (the hall) and
//!   `settings::ServerSettings` (the server's own settings, what handlers read).
//! - `store/`: SQLite, the only place with SQL.
//! - `engine`: the single writer thread: decide, commit, broadcast, reply.
//! - `reports/`: manager reports (floor, waits, staff appraisal) and their exports.
//! - `http/`: the JSON API, the event websocket and the static screens.
//! - `printer/`: ticket slips in ESC/POS, printer transports and health.
//! - `clock`: real or simulated time.
//! - `heap`: gives memory freed by closed connections back to the system.
//! - `central/`: the uplink to a central PostgreSQL and the cross-hall report server.
//! - `notify`: delivers the notifications outbox to the hall's SMS/WeChat gateways.
//! - `sim/`: `hallq simulate`, a seeded hall day over the real API (the benchmarks built on it
//!   are the `hallq-bench` workspace member, bench/).
// `deny`, not `forbid`: heap.rs holds the one allowed line (glibc's `malloc_trim`).
#![deny(unsafe_code)]

pub mod admin;
pub mod auth;
pub mod central;
pub mod clock;
pub mod config;
pub mod domain;
pub mod engine;
pub mod heap;
pub mod http;
pub mod net;
pub mod notify;
pub mod ops;
pub mod printer;
pub mod read_model;
pub mod reports;
pub mod settings;
pub mod sim;
pub mod store;
pub mod tls;

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
    /// This server's claim on its database, held until `run` ends.
    _claim: ops::lock::DbLock,
    /// The nightly backup, unless `[backup] dir = ""`.
    nightly: Option<ops::backup::Nightly>,
    /// `[tls]`: connections are served over HTTPS.
    tls: Option<Arc<tokio_rustls::rustls::ServerConfig>>,
    /// The database file (the uplink reads it); handlers never see it.
    db: PathBuf,
    /// TLS for the `https://` `[[notify]]` gateways, in their order.
    notify_tls: Vec<Option<tokio_rustls::TlsConnector>>,
    /// The config file as read: the serving loop, the uplink and the gateways start from it;
    /// handlers see the plan and `ServerSettings` only.
    config: Config,
}

impl App {
    /// Load the config, open and migrate the database, restore and start the engine.
    pub fn start(opts: &ServeOptions) -> anyhow::Result<App> {
        let clock: Arc<dyn Clock> = if opts.simulated_clock {
            Arc::new(SimulatedClock::default())
        } else {
            Arc::new(SystemClock)
        };
        Self::start_with_clock(opts, clock)
    }

    /// `start` on a clock of the caller's (`hallq simulate` starts its clock on a past day).
    pub fn start_with_clock(opts: &ServeOptions, clock: Arc<dyn Clock>) -> anyhow::Result<App> {
        let (config, mut plan) = Config::load(&opts.config)?;
        let tls = config
            .tls
            .as_ref()
            .map(|t| tls::server_config(t, &opts.config))
            .transpose()
            .map_err(anyhow::Error::msg)?;
        let notify_tls =
            notify::tls::connectors(&config.notify, &opts.config).map_err(anyhow::Error::msg)?;
        plan.rules.always_open = opts.demo;
        let plan = Arc::new(plan);
        let claim = ops::lock::DbLock::acquire(&opts.db)?;
        let backups = ops::backup::backup_dir(&opts.db, &config.backup.dir);
        if let Some(s) = ops::backup::before_migrate(&opts.db, &backups, jiff::Timestamp::now())
            .with_context(|| format!("opening {}", opts.db.display()))?
        {
            tracing::warn!(file = %s.path.display(), from = s.schema, "copied the database before upgrading its schema");
        }
        let nightly = (!config.backup.dir.is_empty())
            .then(|| -> anyhow::Result<ops::backup::Nightly> {
                Ok(ops::backup::Nightly {
                    db: opts.db.clone(),
                    dir: backups.clone(),
                    at: config.backup.at_time().map_err(anyhow::Error::msg)?,
                    keep: config.backup.keep as usize,
                    tz: plan.rules.tz.clone(),
                })
            })
            .transpose()?;
        let store = store::Store::open(&opts.db)
            .with_context(|| format!("opening {}", opts.db.display()))?;
        let notify_plan = config
            .notify_plan()
            .map_err(|(t, _, k, m)| anyhow::anyhow!("{t}.{k}: {m}"))?;
        let settings = Arc::new(settings::ServerSettings::new(&config, &notify_plan));
        let engine_opts = engine::EngineOptions {
            broadcast_capacity: config.events.buffer,
            public: config.events.public(),
            notify: notify_plan,
        };
        let engine: EngineHandle =
            engine::start_with(Arc::clone(&plan), store, clock, engine_opts)?;
        let voice_pack = voice_pack(&opts.config, &config)?;
        let (closing, closing_rx) = tokio::sync::watch::channel(false);
        let ws = &config.events;
        let (ws_slots, ws_anonymous_slots) = (
            Arc::new(tokio::sync::Semaphore::new(ws.max_clients)),
            Arc::new(tokio::sync::Semaphore::new(ws.max_anonymous_clients)),
        );
        let ws_per_address = http::stream_quota::StreamQuota::new(ws.max_anonymous_per_address);
        let metrics = Arc::new(ops::metrics::Metrics::with_queues(
            plan.queues.iter().map(|q| q.id.as_str()),
        ));
        let metrics_allow = Arc::new(config.metrics.blocks().map_err(anyhow::Error::msg)?);
        let uplink = config.uplink.as_ref().map(|_| Arc::default());
        let outbox = Arc::new(notify::OutboxStatus::new(
            config.notify.iter().map(|n| n.name.clone()),
            config.notifications.alarm_after_minutes,
        ));
        let reader = store::Reader::new(&opts.db);
        let printers = printer::Printers::from_plan(&plan, opts.demo || opts.simulated_clock);
        let state = http::AppState {
            accounts: http::Accounts::new(
                engine.clone(),
                reader.clone(),
                http::guard::PasswordChecker::start(),
            ),
            engine,
            reader,
            plan,
            printers,
            device_seen: Arc::default(),
            kiosk_limits: Arc::new(http::limits::KioskLimits::new(
                config.limits.kiosk_tickets_per_minute,
            )),
            settings,
            simulated_clock: opts.simulated_clock,
            ws_slots,
            ws_anonymous_slots,
            ws_per_address,
            auth_cache: Arc::default(),
            login_throttle: Arc::default(),
            voice_pack,
            closing: closing_rx,
            ops: Arc::new(
                ops::status::OpsStatus::new(nightly.is_some(), jiff::Timestamp::now().as_second())
                    .with_outbox(outbox),
            ),
            metrics,
            metrics_allow,
            uplink,
        };
        Ok(App {
            state,
            db: opts.db.clone(),
            config,
            closing,
            _claim: claim,
            nightly,
            tls,
            notify_tls,
        })
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
        let clock_watch = tokio::spawn(ops::status::watch_clock(
            self.state.reader.clone(),
            Arc::clone(self.state.engine.clock()),
            Arc::clone(&self.state.ops),
            !self.state.simulated_clock,
        ));
        let metrics =
            tokio::spawn(Arc::clone(&self.state.metrics).follow(self.state.engine.subscribe()));
        let nightly = self
            .nightly
            .map(|n| tokio::spawn(n.run(Arc::clone(&self.state.ops))));
        let http_cfg = self.config.http.clone();
        // Ship events to the central database, off the writer, for as long as we serve.
        let uplink = match (&self.config.uplink, &self.state.uplink) {
            (Some(section), Some(status)) => Some(tokio::spawn(
                central::uplink_for(section, &self.state.plan, &self.db, status.clone()).run(),
            )),
            _ => None,
        };
        // Notifications to the hall's gateways, off the writer (none without `[[notify]]`).
        let engine = self.state.engine.clone();
        let deliveries = notify::start(
            &self.config.notify,
            &self.notify_tls,
            notify::Wiring {
                reader: &self.state.reader,
                db: &self.db,
                clock: self.state.engine.clock(),
                status: &self.state.ops.outbox,
                local_only: self.state.simulated_clock || self.state.plan.rules.always_open,
            },
            || engine.subscribe(),
        );
        let app = http::router(self.state);
        let closing = self.closing;
        let out = net::serve(listener, app, &http_cfg, self.tls, async move {
            shutdown.await;
            // Screens are told to go (close 1001) and reconnect to the next server.
            let _ = closing.send(true);
        })
        .await;
        ticker.abort();
        prober.abort();
        metrics.abort();
        clock_watch.abort();
        if let Some(n) = nightly {
            n.abort();
        }
        if let Some(u) = uplink {
            u.abort();
        }
        for d in deliveries {
            d.abort();
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
