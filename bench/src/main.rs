//! `hallq-bench …`: benchmarks that print figures (never asserted by tests), beside the hallq
//! server rather than inside it. Each bench starts its own servers on 127.0.0.1:0, in process
//! (through the hallq library) or as a `hallq serve --demo --no-demo-printer` child, with the
//! quotas and the per-kiosk limit lifted ([limits] 0). This file holds the command line and what
//! the benches share (figures, the bare commit loop, the lifted config); one file per bench.

#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use hallq::sim::client::Client;
use hallq::{App, ServeOptions};
use rusqlite::{Connection, params};

mod appointments;
mod backup;
mod baselines;
mod central;
mod crash;
mod estimates;
mod fanout;
mod history;
mod load;
mod proc;
mod reports;
mod streams;

/// `hallq-bench`: measure a hall server.
#[derive(Parser, Debug)]
#[command(
    name = "hallq-bench",
    version,
    about = "Benchmarks of the hallq server (figures, not tests)"
)]
struct Cli {
    /// The hallq binary that `load` and `crash` start as a child (default: the `hallq` beside
    /// this binary, e.g. target/release/hallq after `cargo build --release --workspace`).
    #[arg(long, global = true)]
    hallq: Option<PathBuf>,
    #[command(subcommand)]
    bench: Bench,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(run(cli.bench, cli.hallq))
}

#[derive(clap::Subcommand, Debug, Clone)]
enum Bench {
    /// Durable ticket issues per second over HTTP, beside a bare rusqlite commit loop.
    Issue {
        /// Seconds each measurement runs.
        #[arg(long, default_value_t = 5)]
        seconds: u64,
        /// Concurrent HTTP clients (kiosks).
        #[arg(long, default_value_t = 8)]
        clients: usize,
        /// Hall configuration to bench with (quotas are lifted).
        #[arg(long, default_value = "config/hall.toml")]
        config: PathBuf,
    },
    /// Wall-screen fan-out: N websocket screens, E calls a second through the engine; latency
    /// from each call's commit to each screen's receipt, beside a bare axum + tokio broadcast
    /// echo server measured in the same run.
    Fanout {
        /// Screen counts to measure, comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "300,2000")]
        clients: Vec<usize>,
        /// Calls per second.
        #[arg(long, default_value_t = 20.0)]
        rate: f64,
        /// Seconds each measurement runs.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Hall configuration to bench with (quotas are lifted).
        #[arg(long, default_value = "config/hall.toml")]
        config: PathBuf,
    },
    /// Issue latency at a kiosk whose printer is healthy, out of paper, refusing or silent
    /// (the in-repo fake printer plays each part).
    Print {
        /// Tickets issued per printer state, one after another.
        #[arg(long, default_value_t = 50)]
        tickets: usize,
        /// Hall configuration to bench with (quotas are lifted; kiosk-1 prints on p1).
        #[arg(long, default_value = "config/hall.toml")]
        config: PathBuf,
    },
    /// A year of generated history, then the monthly appraisal and a one-year waits report.
    Reports {
        /// Tickets to generate over the year's working days.
        #[arg(long, default_value_t = 1_500_000)]
        tickets: usize,
        /// Timed runs of each report (the median is printed).
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// Hall configuration (queues, windows) the history is made for.
        #[arg(long, default_value = "config/hall.toml")]
        config: PathBuf,
        /// Keep the generated database at this path (reused as it is when it exists).
        #[arg(long)]
        keep: Option<PathBuf>,
    },
    /// Accuracy of wait estimates (hallq vs QL, LES, HOL) on simulated normal, busy, cold-morning
    /// (quick enquiries first) and no-clerk-at-opening days.
    Estimates {
        /// Seeds per kind of day.
        #[arg(long, default_value_t = 3)]
        seeds: u64,
        #[arg(long, default_value = "config/hall.toml")]
        config: PathBuf,
    },
    /// On-time share of appointments and the walk-ins' extra wait on busy simulated days with
    /// bookings, beside the same days without.
    Appointments {
        /// Seeds (each a day with bookings and the same day without).
        #[arg(long, default_value_t = 3)]
        seeds: u64,
        /// Share of the visits to queues that take bookings that book ahead.
        #[arg(long, default_value_t = 0.3)]
        share: f64,
        /// Places per slot in every queue that takes bookings, instead of the config's own
        /// (`capacity` or `staffed_percent`); 0: what each queue's own windows serve in a slot.
        #[arg(long)]
        capacity: Option<u32>,
        /// Every queue's places as this share of its staffing (`staffed_percent`) instead.
        #[arg(long, conflicts_with = "capacity")]
        staffed_percent: Option<u32>,
        /// Set an `[appointments]` key, e.g. `--rule due_minutes=0` (repeatable).
        #[arg(long = "rule", value_parser = appointments::key_value)]
        rules: Vec<(String, String)>,
        #[arg(long, default_value = "config/hall.toml")]
        config: PathBuf,
    },
    /// Kiosks, clerks and websocket screens at 10x a peak morning, against a `hallq serve`
    /// child process; latencies, event delivery, errors, RSS, beside bare SQLite commits.
    Load(load::LoadArgs),
    /// A verified backup's time and size, and the issue rate while one runs beside the rate
    /// without (e.g. on the year `bench reports --keep FILE` generates).
    Backup {
        /// The database to serve and back up (a fresh one when absent).
        #[arg(long)]
        db: Option<PathBuf>,
        /// Backups taken, each beside an equal time without one.
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        /// Concurrent HTTP clients (kiosks).
        #[arg(long, default_value_t = 8)]
        clients: usize,
        #[arg(long, default_value = "config/hall.toml")]
        config: PathBuf,
    },
    /// Rounds of kill -9 during a burst of issues and calls; every acknowledged ticket and
    /// state change must survive, numbers gap-free and unique.
    Crash {
        #[arg(long, default_value_t = 100)]
        rounds: u32,
        #[arg(long, default_value = "config/hall.toml")]
        config: PathBuf,
    },
    /// The server's memory with many phones' event streams open and after they close, with the
    /// heap trim off (baseline) and on, in one run (streams from many 127.0.x.y addresses).
    Streams {
        #[arg(long, default_value_t = 1000)]
        streams: usize,
        /// Streams from one address: at most the hall's `[events] max_anonymous_per_address`.
        #[arg(long, default_value_t = 8)]
        per_address: usize,
        #[arg(long, default_value = "config/hall.toml")]
        config: PathBuf,
    },
    /// Halls × days of events through the uplink's central path beside a bare COPY of the same
    /// rows; the one-year all-halls and one-month one-hall central reports (PostgreSQL).
    Central(central::CentralArgs),
}

async fn run(b: Bench, hallq: Option<PathBuf>) -> anyhow::Result<()> {
    match b {
        Bench::Load(a) => load::load_bench(a, &proc::hallq_bin(hallq)?).await,
        Bench::Backup {
            db,
            rounds,
            clients,
            config,
        } => backup::run(db.as_deref(), rounds, clients, &config).await,
        Bench::Crash { rounds, config } => {
            crash::crash_bench(rounds, &config, &proc::hallq_bin(hallq)?).await
        }
        Bench::Estimates { seeds, config } => estimates::estimates_bench(&config, seeds).await,
        Bench::Appointments {
            seeds,
            share,
            capacity,
            staffed_percent,
            rules,
            config,
        } => {
            let o = appointments::Overrides {
                capacity,
                staffed_percent,
                rules,
            };
            appointments::run(&config, seeds, share, &o).await
        }
        Bench::Issue {
            seconds,
            clients,
            config,
        } => issue(seconds, clients, &config).await,
        Bench::Fanout {
            clients,
            rate,
            seconds,
            config,
        } => fanout::run(&clients, rate, seconds, &config).await,
        Bench::Print { tickets, config } => print(tickets, &config).await,
        Bench::Central(a) => central::run(a).await,
        Bench::Streams {
            streams,
            per_address,
            config,
        } => streams::run(streams, per_address, &config, &proc::hallq_bin(hallq)?).await,
        Bench::Reports {
            tickets,
            runs,
            config,
            keep,
        } => {
            tokio::task::spawn_blocking(move || reports::run(tickets, runs, &config, keep)).await?
        }
    }
}

/// Latency figures of one run.
struct Figures {
    ops: usize,
    errors: usize,
    elapsed: Duration,
    lat: Vec<Duration>,
}

impl Figures {
    fn empty() -> Figures {
        Figures {
            ops: 0,
            errors: 0,
            elapsed: Duration::ZERO,
            lat: Vec::new(),
        }
    }

    /// Add another slice of the same measurement.
    fn absorb(&mut self, other: Figures) {
        self.ops += other.ops;
        self.errors += other.errors;
        self.elapsed += other.elapsed;
        self.lat.extend(other.lat);
    }

    fn rate(&self) -> f64 {
        self.ops as f64 / self.elapsed.as_secs_f64()
    }
    fn pct(&mut self, p: f64) -> f64 {
        if self.lat.is_empty() {
            return 0.0;
        }
        self.lat.sort_unstable();
        let i = ((self.lat.len() as f64 * p).ceil() as usize).clamp(1, self.lat.len()) - 1;
        self.lat[i].as_secs_f64() * 1000.0
    }
    fn line(&mut self, what: &str, unit: &str) -> String {
        format!(
            "{what:<34} {:>8.0} {unit}/s   p50 {:>6.2} ms   p99 {:>6.2} ms   errors {}",
            self.rate(),
            self.pct(0.50),
            self.pct(0.99),
            self.errors
        )
    }
}

/// The bare baseline: the same pragmas, one transaction per ticket, nothing else.
fn bare_loop(dir: &Path, secs: u64) -> anyhow::Result<Figures> {
    let conn = Connection::open(dir.join("bare.db"))?;
    conn.query_row("PRAGMA journal_mode=WAL", [], |_| Ok(()))?;
    conn.execute_batch(
        "PRAGMA synchronous=FULL;
         CREATE TABLE IF NOT EXISTS counters(day TEXT, queue TEXT, last INTEGER, PRIMARY KEY(day, queue));
         CREATE TABLE IF NOT EXISTS tickets(id INTEGER PRIMARY KEY, day TEXT, queue TEXT, seq INTEGER, number TEXT, issued_ms INTEGER);",
    )?;
    let start = Instant::now();
    let mut lat = Vec::new();
    let mut n = 0u64;
    while start.elapsed() < Duration::from_secs(secs) {
        let t0 = Instant::now();
        conn.execute_batch("BEGIN IMMEDIATE")?;
        let seq: i64 = conn.query_row(
            "INSERT INTO counters VALUES ('2026-11-27', 'q', 1)
             ON CONFLICT(day, queue) DO UPDATE SET last = last + 1 RETURNING last",
            [],
            |r| r.get(0),
        )?;
        conn.execute(
            "INSERT INTO tickets(day, queue, seq, number, issued_ms) VALUES ('2026-11-27', 'q', ?1, ?2, ?3)",
            params![seq, format!("A{seq:03}"), n as i64],
        )?;
        conn.execute_batch("COMMIT")?;
        lat.push(t0.elapsed());
        n += 1;
    }
    Ok(Figures {
        ops: lat.len(),
        errors: 0,
        elapsed: start.elapsed(),
        lat,
    })
}

/// A copy of `config` in `dir` with quotas (and time bands) lifted, so a run measures the
/// engine, not refusals.
fn lifted_config(dir: &Path, config: &Path) -> anyhow::Result<PathBuf> {
    let cfg = dir.join("hall.toml");
    std::fs::write(&cfg, toml::to_string(&unlimited(config)?)?)?;
    Ok(cfg)
}

async fn issue(secs: u64, clients: usize, config: &Path) -> anyhow::Result<()> {
    let scratch = scratch()?;
    let dir = scratch.path().to_path_buf();
    let cfg = lifted_config(&dir, config)?;

    println!(
        "bench issue: {secs} s per run in one-second slices taken in turn (bare, 1 client, \
         {clients} clients), so a noisy disk or CPU falls on all alike; synchronous=FULL in WAL, {} cores",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );

    let db = dir.join("hallq.db");
    let opts = ServeOptions {
        config: cfg,
        db: db.clone(),
        demo: true,
        simulated_clock: false,
    };
    let app = App::start(&opts)?;
    let queues = anonymous_queues(&app.state.plan);
    let token = "bench-kiosk-token";
    hallq::admin::add_device(&db, "bench-kiosk", "kiosk", token)?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run(listener, async {
        let _ = stop_rx.await;
    }));

    let (mut bare, mut one, mut many) = (Figures::empty(), Figures::empty(), Figures::empty());
    for _ in 0..secs.max(1) {
        let d = dir.clone();
        bare.absorb(tokio::task::spawn_blocking(move || bare_loop(&d, 1)).await??);
        one.absorb(http_issue(addr, 1, 1, &queues, token).await?);
        many.absorb(http_issue(addr, clients, 1, &queues, token).await?);
    }
    let _ = stop_tx.send(());
    let _ = server.await;

    println!("{}", bare.line("bare rusqlite commit loop", "commits"));
    println!(
        "{}",
        one.line("hallq POST /api/v1/tickets, 1 client", "tickets")
    );
    println!(
        "{}",
        many.line(
            &format!("hallq POST /api/v1/tickets, {clients} clients"),
            "tickets"
        )
    );
    println!(
        "ratio vs bare: 1 client {:.2}x, {clients} clients {:.2}x (goal >= 0.5x; p99 goal <= 20 ms)",
        one.rate() / bare.rate(),
        many.rate() / bare.rate()
    );
    Ok(())
}

/// Connections one address may hold in a bench: more than any bench opens (2,000 screens).
const BENCH_CONNECTIONS: i64 = 100_000;

/// A config with quotas (and time bands) lifted, so a run measures the engine, not refusals.
fn unlimited(config: &Path) -> anyhow::Result<toml::Table> {
    let text =
        std::fs::read_to_string(config).with_context(|| format!("reading {}", config.display()))?;
    let mut doc: toml::Table = toml::from_str(&text)?;
    if let Some(toml::Value::Array(queues)) = doc.get_mut("queues") {
        for q in queues.iter_mut().filter_map(toml::Value::as_table_mut) {
            q.insert("daily_quota".into(), toml::Value::Integer(9999));
            q.remove("bands");
        }
    }
    // Every bench screen and client shares 127.0.0.1: no per-address caps.
    for (table, key) in [
        ("http", "max_connections_per_address"),
        ("events", "max_anonymous_per_address"),
    ] {
        if let toml::Value::Table(t) = doc
            .entry(table)
            .or_insert_with(|| toml::Value::Table(toml::Table::new()))
        {
            t.insert(key.into(), toml::Value::Integer(100_000));
        }
    }
    // One bench kiosk issues for the whole hall: no per-kiosk limit.
    doc.insert(
        "limits".into(),
        toml::Value::Table(toml::Table::from_iter([(
            "kiosk_tickets_per_minute".to_string(),
            toml::Value::Integer(0),
        )])),
    );
    // Every screen, phone, kiosk and clerk of a bench connects from 127.0.0.1: the hall's
    // per-address cap (meant for one device per address) would refuse all but the first 32.
    if let toml::Value::Table(http) = doc
        .entry("http")
        .or_insert_with(|| toml::Value::Table(toml::Table::new()))
    {
        http.insert(
            "max_connections_per_address".into(),
            toml::Value::Integer(BENCH_CONNECTIONS),
        );
    }
    Ok(doc)
}

async fn print(tickets: usize, config: &Path) -> anyhow::Result<()> {
    use hallq::printer::fake::{FakePrinter, Script};
    let doc = unlimited(config)?;
    println!("bench print: POST /api/v1/tickets at kiosk-1, {tickets} tickets per printer state");
    for (what, script) in [
        ("healthy printer", Script::Online),
        ("paper out", Script::PaperEnd),
        ("cover open", Script::CoverOpen),
        ("unreachable (connection refused)", Script::Refuse),
        ("silent (accepts, never answers)", Script::NoReply),
    ] {
        let fake = FakePrinter::start(script).await?;
        let mut doc = doc.clone();
        let printer = toml::Table::from_iter([
            ("id".to_string(), toml::Value::from("p1")),
            ("address".to_string(), toml::Value::from(fake.address())),
            ("width_mm".to_string(), toml::Value::from(80)),
        ]);
        doc.insert(
            "printers".into(),
            toml::Value::Array(vec![toml::Value::Table(printer)]),
        );
        let kiosk = toml::Table::from_iter([
            ("id".to_string(), toml::Value::from("kiosk-1")),
            ("printer".to_string(), toml::Value::from("p1")),
        ]);
        doc.insert(
            "kiosks".into(),
            toml::Value::Array(vec![toml::Value::Table(kiosk)]),
        );
        let scratch = scratch()?;
        let dir = scratch.path();
        let cfg = dir.join("hall.toml");
        std::fs::write(&cfg, toml::to_string(&doc)?)?;
        let db = dir.join("hallq.db");
        let app = App::start(&ServeOptions {
            config: cfg,
            db: db.clone(),
            demo: true,
            simulated_clock: false,
        })?;
        let token = "bench-kiosk-token";
        hallq::admin::add_device(&db, "kiosk-1", "kiosk", token)?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(app.run(listener, async {
            let _ = stop_rx.await;
        }));
        let mut client = Client::connect(addr).await?;
        let mut lat = Vec::new();
        let mut outcomes = std::collections::BTreeMap::<String, usize>::new();
        for _ in 0..tickets {
            let t0 = Instant::now();
            let (status, body) = client
                .request("POST", "/api/v1/tickets", token, "{\"queue\":\"hj\"}")
                .await?;
            lat.push(t0.elapsed());
            anyhow::ensure!(status == 201, "issue failed: {status} {body}");
            let v: serde_json::Value = serde_json::from_str(&body)?;
            let print = &v["print"];
            let key = match print["error"].as_str() {
                Some(e) => format!("{} {e}", print["status"].as_str().unwrap_or("?")),
                None => print["status"].as_str().unwrap_or("?").to_string(),
            };
            *outcomes.entry(key).or_default() += 1;
        }
        let first = lat.first().copied().unwrap_or_default();
        let mut f = Figures {
            ops: lat.len(),
            errors: 0,
            elapsed: lat.iter().sum(),
            lat,
        };
        println!(
            "{what:<34} first {:>7.1} ms   p50 {:>7.1} ms   p99 {:>7.1} ms   {outcomes:?}",
            first.as_secs_f64() * 1000.0,
            f.pct(0.50),
            f.pct(0.99),
        );
        let _ = stop_tx.send(());
        let _ = server.await;
    }
    Ok(())
}

async fn http_issue(
    addr: std::net::SocketAddr,
    clients: usize,
    secs: u64,
    queues: &[String],
    token: &str,
) -> anyhow::Result<Figures> {
    http_issue_for(addr, clients, Duration::from_secs(secs), queues, token).await
}

/// `clients` kiosks issuing over HTTP for `how_long`.
async fn http_issue_for(
    addr: std::net::SocketAddr,
    clients: usize,
    how_long: Duration,
    queues: &[String],
    token: &str,
) -> anyhow::Result<Figures> {
    http_issue_paced(addr, clients, how_long, None, queues, token).await
}

/// `clients` kiosks issuing over HTTP for `how_long`: back to back, or each every `every`
/// (the clients offset from each other), latency then counted from each request's planned
/// time, so a request held up by the one before it counts the wait.
async fn http_issue_paced(
    addr: std::net::SocketAddr,
    clients: usize,
    how_long: Duration,
    every: Option<Duration>,
    queues: &[String],
    token: &str,
) -> anyhow::Result<Figures> {
    let start = Instant::now();
    let deadline = start + how_long;
    let mut tasks = Vec::new();
    for c in 0..clients {
        let queues = queues.to_vec();
        let token = token.to_string();
        tasks.push(tokio::spawn(async move {
            let mut client = Client::connect(addr).await?;
            let (mut lat, mut errors, mut i) = (Vec::new(), 0usize, c);
            let offset = every.map(|e| e.mul_f64(c as f64 / clients.max(1) as f64));
            let mut planned = start + offset.unwrap_or_default();
            while planned < deadline && Instant::now() < deadline {
                if every.is_some() {
                    tokio::time::sleep_until(planned.into()).await;
                } else {
                    planned = Instant::now();
                }
                let body = format!("{{\"queue\":\"{}\"}}", queues[i % queues.len()]);
                i += 1;
                let (status, _) = client
                    .request("POST", "/api/v1/tickets", &token, &body)
                    .await?;
                if status == 201 {
                    lat.push(planned.elapsed());
                } else {
                    errors += 1;
                }
                planned += every.unwrap_or_default();
            }
            Ok::<_, anyhow::Error>((lat, errors))
        }));
    }
    let mut all = Figures::empty();
    for t in tasks {
        let (lat, errors) = t.await??;
        all.ops += lat.len();
        all.errors += errors;
        all.lat.extend(lat);
    }
    all.elapsed = start.elapsed();
    Ok(all)
}

/// Queues a bench kiosk can issue in without an ID number (real-name queues need one per
/// person; the benches issue anonymous tickets).
fn anonymous_queues(plan: &hallq::domain::Plan) -> Vec<String> {
    plan.queues
        .iter()
        .filter(|q| !q.real_name)
        .map(|q| q.id.clone())
        .collect()
}

/// A hall served by this process on a loopback port (demo accounts, `config` taken as is),
/// with one kiosk device `bench-{name}-kiosk` for the bench's HTTP clients.
struct InProcessHall {
    addr: std::net::SocketAddr,
    queues: Vec<String>,
    token: String,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl InProcessHall {
    async fn start(name: &str, config: PathBuf, db: &Path) -> anyhow::Result<Self> {
        let app = hallq::App::start(&hallq::ServeOptions {
            config,
            db: db.to_path_buf(),
            demo: true,
            simulated_clock: false,
        })?;
        let queues = anonymous_queues(&app.state.plan);
        let token = format!("bench-{name}-kiosk-token");
        hallq::admin::add_device(db, &format!("bench-{name}-kiosk"), "kiosk", &token)?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(app.run(listener, async {
            let _ = stop_rx.await;
        }));
        Ok(Self {
            addr,
            queues,
            token,
            stop,
            server,
        })
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.server.await;
    }
}

/// A fresh directory under the system temp dir, removed when dropped.
fn scratch() -> anyhow::Result<tempfile::TempDir> {
    Ok(tempfile::Builder::new().prefix("hallq-bench-").tempdir()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lifted_config_loads_with_quotas_the_kiosk_limit_and_the_address_cap_lifted() {
        let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/hall.toml");
        let dir = scratch().expect("scratch");
        let (config, plan) =
            hallq::config::Config::load(&lifted_config(dir.path(), &shipped).expect("lifted"))
                .expect("a valid hall");
        assert_eq!(config.limits.kiosk_tickets_per_minute, 0);
        assert_eq!(
            config.http.max_connections_per_address as i64,
            BENCH_CONNECTIONS
        );
        assert!(plan.queues.iter().all(|q| q.daily_quota == 9999));
        assert!(!anonymous_queues(&plan).is_empty());
    }
}
