//! `hallq bench …`: benchmarks that print figures (never asserted by tests).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use rusqlite::{Connection, params};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::{App, ServeOptions};

mod backup;
mod central;
mod fanout;
mod reports;

#[derive(clap::Subcommand, Debug, Clone)]
pub enum Bench {
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
    /// Accuracy of wait estimates (hallq vs QL, LES, HOL) on simulated normal and busy days.
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
        /// Places per slot in every queue that takes bookings (so that the share fits).
        #[arg(long, default_value_t = 6)]
        capacity: u32,
        #[arg(long, default_value = "config/hall.toml")]
        config: PathBuf,
    },
    /// Kiosks, clerks and websocket screens at 10x a peak morning, against a `hallq serve`
    /// child process; latencies, event delivery, errors, RSS, beside bare SQLite commits.
    Load(crate::sim::load::LoadArgs),
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
    /// Halls × days of events through the uplink's central path beside a bare COPY of the same
    /// rows; the one-year all-halls and one-month one-hall central reports (PostgreSQL).
    Central(central::CentralArgs),
}

pub async fn run(b: Bench) -> anyhow::Result<()> {
    match b {
        Bench::Load(a) => crate::sim::load::load_bench(a).await,
        Bench::Backup {
            db,
            rounds,
            clients,
            config,
        } => backup::run(db.as_deref(), rounds, clients, &config).await,
        Bench::Crash { rounds, config } => crate::sim::crash::crash_bench(rounds, &config).await,
        Bench::Appointments {
            seeds,
            share,
            capacity,
            config,
        } => crate::sim::bench::appointments_bench(&config, seeds, share, capacity).await,
        Bench::Estimates { seeds, config } => {
            crate::sim::bench::estimates_bench(&config, seeds).await
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
pub(crate) struct Figures {
    pub(crate) ops: usize,
    pub(crate) errors: usize,
    pub(crate) elapsed: Duration,
    pub(crate) lat: Vec<Duration>,
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

    pub(crate) fn rate(&self) -> f64 {
        self.ops as f64 / self.elapsed.as_secs_f64()
    }
    pub(crate) fn pct(&mut self, p: f64) -> f64 {
        if self.lat.is_empty() {
            return 0.0;
        }
        self.lat.sort_unstable();
        let i = ((self.lat.len() as f64 * p).ceil() as usize).clamp(1, self.lat.len()) - 1;
        self.lat[i].as_secs_f64() * 1000.0
    }
    pub(crate) fn line(&mut self, what: &str, unit: &str) -> String {
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
pub(crate) fn bare_loop(dir: &std::path::Path, secs: u64) -> anyhow::Result<Figures> {
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

/// A minimal keep-alive HTTP/1.1 client: enough for a benchmark, no dependency.
pub struct RawClient {
    stream: BufReader<TcpStream>,
    host: String,
}

impl RawClient {
    pub async fn connect(addr: std::net::SocketAddr) -> anyhow::Result<RawClient> {
        let s = TcpStream::connect(addr).await?;
        s.set_nodelay(true)?;
        Ok(RawClient {
            stream: BufReader::new(s),
            host: addr.to_string(),
        })
    }

    /// Send one request, return (status, body). An empty `token` sends no Authorization.
    pub async fn request(
        &mut self,
        method: &str,
        path: &str,
        token: &str,
        body: &str,
    ) -> anyhow::Result<(u16, String)> {
        // An empty token sends no credentials (a citizen's phone).
        let auth = if token.is_empty() {
            String::new()
        } else {
            format!("Authorization: Bearer {token}\r\n")
        };
        let req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            self.host,
            body.len()
        );
        self.stream.get_mut().write_all(req.as_bytes()).await?;
        let mut line = String::new();
        self.stream.read_line(&mut line).await?;
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .context("status line")?
            .parse()?;
        let mut len = 0usize;
        loop {
            line.clear();
            self.stream.read_line(&mut line).await?;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                len = v.trim().parse()?;
            }
        }
        let mut body = vec![0u8; len];
        self.stream.read_exact(&mut body).await?;
        Ok((status, String::from_utf8_lossy(&body).into_owned()))
    }
}

/// A copy of `config` in `dir` with quotas (and time bands) lifted, so a run measures the
/// engine, not refusals.
pub(crate) fn lifted_config(
    dir: &std::path::Path,
    config: &std::path::Path,
) -> anyhow::Result<PathBuf> {
    let cfg = dir.join("hall.toml");
    std::fs::write(&cfg, toml::to_string(&unlimited(config)?)?)?;
    Ok(cfg)
}

async fn issue(secs: u64, clients: usize, config: &std::path::Path) -> anyhow::Result<()> {
    let dir = tempfile_dir()?;
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
    crate::admin::add_device(&db, "bench-kiosk", "kiosk", token)?;
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
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// A config with quotas (and time bands) lifted, so a run measures the engine, not refusals.
fn unlimited(config: &std::path::Path) -> anyhow::Result<toml::Table> {
    let text =
        std::fs::read_to_string(config).with_context(|| format!("reading {}", config.display()))?;
    let mut doc: toml::Table = toml::from_str(&text)?;
    if let Some(toml::Value::Array(queues)) = doc.get_mut("queues") {
        for q in queues.iter_mut().filter_map(toml::Value::as_table_mut) {
            q.insert("daily_quota".into(), toml::Value::Integer(9999));
            q.remove("bands");
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
    Ok(doc)
}

async fn print(tickets: usize, config: &std::path::Path) -> anyhow::Result<()> {
    use crate::printer::fake::{FakePrinter, Script};
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
        let dir = tempfile_dir()?;
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
        crate::admin::add_device(&db, "kiosk-1", "kiosk", token)?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(app.run(listener, async {
            let _ = stop_rx.await;
        }));
        let mut client = RawClient::connect(addr).await?;
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
        let _ = std::fs::remove_dir_all(&dir);
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
    let start = Instant::now();
    let deadline = start + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for c in 0..clients {
        let queues = queues.to_vec();
        let token = token.to_string();
        tasks.push(tokio::spawn(async move {
            let mut client = RawClient::connect(addr).await?;
            let (mut lat, mut errors, mut i) = (Vec::new(), 0usize, c);
            while Instant::now() < deadline {
                let body = format!("{{\"queue\":\"{}\"}}", queues[i % queues.len()]);
                i += 1;
                let t0 = Instant::now();
                let (status, _) = client
                    .request("POST", "/api/v1/tickets", &token, &body)
                    .await?;
                if status == 201 {
                    lat.push(t0.elapsed());
                } else {
                    errors += 1;
                }
            }
            Ok::<_, anyhow::Error>((lat, errors))
        }));
    }
    let mut all = Figures {
        ops: 0,
        errors: 0,
        elapsed: Duration::ZERO,
        lat: Vec::new(),
    };
    for t in tasks {
        let (lat, errors) = t.await??;
        all.ops += lat.len();
        all.errors += errors;
        all.lat.extend(lat);
    }
    all.elapsed = start.elapsed();
    Ok(all)
}

/// A fresh directory under the system temp dir.
/// Queues a bench kiosk can issue in without an ID number (real-name queues need one per
/// person; the benches issue anonymous tickets).
pub(crate) fn anonymous_queues(plan: &crate::domain::Plan) -> Vec<String> {
    plan.queues
        .iter()
        .filter(|q| !q.real_name)
        .map(|q| q.id.clone())
        .collect()
}

pub(crate) fn tempfile_dir() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!(
        "hallq-bench-{}",
        crate::engine::random_hex()[..12].to_owned()
    ));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
