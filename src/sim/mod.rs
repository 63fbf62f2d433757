//! `hallq simulate`: a seeded, reproducible hall day run against the real engine and HTTP API
//! on the simulated clock, faster than real time (see `day.rs` for the event loop and
//! `model.rs` for arrivals, services, staffing and behaviour). `bench.rs` holds the benchmarks
//! built on it. Nothing here touches the hall's state except through the API.

pub mod bench;
pub mod crash;
pub mod day;
pub mod load;
pub mod model;
pub mod observe;
pub mod proc;
pub mod rng;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use jiff::civil::Date;

pub use day::{DayResult, End, TicketRecord};
pub use model::Scenario;

use crate::domain::plan::Plan;
use crate::{App, ServeOptions};

/// `hallq simulate` flags.
#[derive(clap::Args, Debug, Clone)]
pub struct SimArgs {
    /// Hall configuration.
    #[arg(long, default_value = "config/hall.toml")]
    pub config: PathBuf,
    /// Leave the day in this database (default: a temporary one, removed afterwards).
    #[arg(long)]
    pub db: Option<PathBuf>,
    /// Seed of the day: the same seed gives the same day.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Service day to simulate, YYYY-MM-DD (default: tomorrow in the hall's time zone; the
    /// simulated clock only moves forward, so the day cannot have started yet).
    #[arg(long)]
    pub day: Option<Date>,
    /// A busy, understaffed day instead of a normal one.
    #[arg(long)]
    pub busy: bool,
    /// Keep serving after the day (on --listen, clock at the day's end) to browse screens
    /// and reports; demo accounts are created. Ctrl-C stops.
    #[arg(long)]
    pub keep: bool,
    /// Where to serve with --keep.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: String,
}

/// A hall started in-process on the simulated clock, with a kiosk and one clerk per staffed
/// window.
pub struct SimHall {
    pub addr: SocketAddr,
    pub plan: Arc<Plan>,
    pub db: PathBuf,
    pub kiosk_token: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl SimHall {
    /// Start the hall on `db` (created if absent) and listen on `listen`.
    pub async fn start(config: &Path, db: &Path, listen: &str) -> anyhow::Result<SimHall> {
        if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let app = App::start(&ServeOptions {
            config: config.to_path_buf(),
            db: db.to_path_buf(),
            demo: false,
            simulated_clock: true,
        })?;
        let plan = Arc::clone(&app.state.plan);
        let kiosk_token = crate::auth::new_token();
        let kiosk_id = format!("sim-kiosk-{}", &crate::engine::random_hex()[..8]);
        crate::admin::add_device(db, &kiosk_id, "kiosk", &kiosk_token)?;
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("listening on {listen}"))?;
        let addr = listener.local_addr()?;
        let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(app.run(listener, async {
            let _ = stop_rx.await;
        }));
        Ok(SimHall {
            addr,
            plan,
            db: db.to_path_buf(),
            kiosk_token,
            stop: Some(stop),
            server,
        })
    }

    /// Clerk accounts `sim-wNNN` for `windows` (created once, one password hash for all, no
    /// one knows the password) and a session token for each, valid through `until_ms`.
    pub fn clerks(&self, windows: &[u32], until_ms: i64) -> anyhow::Result<BTreeMap<u32, String>> {
        make_clerks(&self.db, windows, until_ms)
    }

    /// Stop serving and wait for the server to finish.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        self.server.await?
    }
}

/// Clerk accounts `sim-wNNN` for `windows` in `db` (created once, one password hash for all,
/// no one knows the password) and a session token for each, valid through `until_ms`.
/// Opening the store migrates a new database.
pub fn make_clerks(
    db: &Path,
    windows: &[u32],
    until_ms: i64,
) -> anyhow::Result<BTreeMap<u32, String>> {
    let hash = crate::auth::hash_password(&crate::auth::new_token()).map_err(anyhow::Error::msg)?;
    let now = jiff::Timestamp::now().as_millisecond();
    let mut store = crate::store::Store::open(db)?;
    let mut auth = store.auth();
    let mut out = BTreeMap::new();
    for n in windows {
        let username = format!("sim-w{n:03}");
        auth.add_user(&username, &username, "clerk", &hash, now)?;
        let token = crate::auth::new_token();
        auth.create_session(&crate::auth::token_hash(&token), &username, now, until_ms)?;
        out.insert(*n, token);
    }
    Ok(out)
}

/// One day to run.
#[derive(Debug, Clone)]
pub struct DayOptions {
    pub config: PathBuf,
    /// `None`: a temporary database, removed afterwards.
    pub db: Option<PathBuf>,
    pub seed: u64,
    pub day: Option<Date>,
    pub scenario: Scenario,
}

/// A scratch directory for a throw-away database: in memory (/dev/shm) when the system has
/// it, since a simulation measures the hall's logic, not the disk.
pub fn scratch_dir(what: &str) -> anyhow::Result<PathBuf> {
    let base = Path::new("/dev/shm");
    let base = if base.is_dir() {
        base.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    let dir = base.join(format!(
        "hallq-{what}-{}",
        &crate::engine::random_hex()[..12]
    ));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// The default day: tomorrow in the hall's time zone.
pub fn tomorrow(plan: &Plan) -> Date {
    let today = plan.rules.tz.to_datetime(jiff::Timestamp::now()).date();
    today.tomorrow().unwrap_or(today)
}

/// Start a hall, run one day on it; returns the day and the still running hall.
pub async fn run_day(
    o: &DayOptions,
    listen: &str,
) -> anyhow::Result<(DayResult, SimHall, Option<PathBuf>)> {
    let scratch = match &o.db {
        Some(_) => None,
        None => Some(scratch_dir("sim")?),
    };
    let db = match (&o.db, &scratch) {
        (Some(db), _) => db.clone(),
        (None, Some(dir)) => dir.join("hallq.db"),
        (None, None) => unreachable!("one of the two is set"),
    };
    let hall = SimHall::start(&o.config, &db, listen).await?;
    let plan = Arc::clone(&hall.plan);
    let day = o.day.unwrap_or_else(|| tomorrow(&plan));
    let start = plan
        .rules
        .tz
        .to_timestamp(day.at(8, 30, 0, 0))
        .context("day start")?;
    if start < jiff::Timestamp::now() {
        bail!("--day {day} has already started; the simulated clock only moves forward");
    }
    let mut rng = rng::Rng::new(o.seed).fork(3);
    let staffed = model::staff(&plan, &o.scenario, &mut rng);
    let queues = model::queues(&plan, &staffed, &o.scenario, &mut rng);
    let until = start.as_millisecond() + 7 * 24 * 3_600_000;
    let clerks = hall.clerks(&staffed, until)?;
    let setup = day::DaySetup {
        addr: hall.addr,
        plan,
        kiosk_token: &hall.kiosk_token.clone(),
        clerks,
        day,
        seed: o.seed,
        scenario: o.scenario.clone(),
        queues,
    };
    let result = day::run(setup).await?;
    Ok((result, hall, scratch))
}

/// `hallq simulate`.
pub async fn simulate(a: SimArgs) -> anyhow::Result<()> {
    let o = DayOptions {
        config: a.config,
        db: a.db.clone(),
        seed: a.seed,
        day: a.day,
        scenario: if a.busy {
            Scenario::busy()
        } else {
            Scenario::normal()
        },
    };
    let listen = if a.keep {
        a.listen.as_str()
    } else {
        "127.0.0.1:0"
    };
    let (r, hall, scratch) = run_day(&o, listen).await?;
    print!("{}", summary(&r));
    if a.keep {
        let creds = crate::admin::ensure_demo(&hall.db)?;
        let base = format!("http://{}", hall.addr);
        println!("{}", crate::admin::demo_banner(&base, &creds, &hall.plan));
        println!(
            "the hall's clock stays at the end of {}: reports for that day show it (Ctrl-C stops)",
            r.day
        );
        let _ = tokio::signal::ctrl_c().await;
    }
    hall.stop().await?;
    if let Some(dir) = scratch {
        let _ = std::fs::remove_dir_all(dir);
    } else if let Some(db) = &a.db {
        println!(
            "the day is in {}: `hallq serve --demo --db {}` and open reports for {}",
            db.display(),
            db.display(),
            r.day
        );
    }
    Ok(())
}

fn stats(mut v: Vec<f64>) -> (f64, f64, f64, f64) {
    if v.is_empty() {
        return (0.0, 0.0, 0.0, 0.0);
    }
    v.sort_by(f64::total_cmp);
    let pct = |p: f64| v[((v.len() as f64 * p).ceil() as usize).clamp(1, v.len()) - 1];
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    (mean, pct(0.5), pct(0.9), v[v.len() - 1])
}

/// The printed summary of a day.
pub fn summary(r: &DayResult) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let count = |e: End| r.tickets.iter().filter(|t| t.end == e).count();
    let span_ms = (r.last_ms - r.first_ms).max(0) as f64;
    let _ = writeln!(
        out,
        "hallq simulate: {} ({} day, seed {}), {} of {} windows staffed",
        r.day,
        r.scenario.name,
        r.seed,
        r.staffed,
        r.plan.windows.len()
    );
    let _ = writeln!(
        out,
        "tickets: issued {}, refused {}; served {}, no-show {}, cancelled {}, still waiting {}; transferred {}, green channel {}",
        r.tickets.len(),
        r.refused,
        count(End::Done),
        count(End::NoShow),
        count(End::Cancelled),
        count(End::Waiting),
        r.tickets.iter().filter(|t| t.transferred).count(),
        r.tickets.iter().filter(|t| t.green).count(),
    );
    let waits: Vec<f64> = r.tickets.iter().filter_map(TicketRecord::wait_s).collect();
    let (mean, p50, p90, max) = stats(waits.iter().map(|w| w / 60.0).collect());
    let services: Vec<f64> = r.tickets.iter().filter_map(|t| t.service_s).collect();
    let (smean, _, _, _) = stats(services.iter().map(|s| s / 60.0).collect());
    let _ = writeln!(
        out,
        "wait (issue to first call): mean {mean:.1} min, p50 {p50:.1}, p90 {p90:.1}, max {max:.1}; service mean {smean:.1} min"
    );
    let _ = writeln!(
        out,
        "server states: {}",
        r.server_states
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(
        out,
        "simulated {} in {:.1} s real ({:.0}x), {} requests, {} errors",
        day_span(r),
        r.elapsed.as_secs_f64(),
        span_ms / 1000.0 / r.elapsed.as_secs_f64().max(1e-9),
        r.requests,
        r.errors
    );
    let _ = writeln!(
        out,
        "\n{:<16} {:>6} {:>6} {:>7} {:>6} {:>9} {:>8} {:>8}",
        "department", "issued", "served", "no-show", "cancel", "wait min", "wait p90", "svc min"
    );
    for d in &r.plan.departments {
        let ts: Vec<&TicketRecord> = r.tickets.iter().filter(|t| t.department == d.id).collect();
        if ts.is_empty() {
            continue;
        }
        let n = |e: End| ts.iter().filter(|t| t.end == e).count();
        let (wm, _, w90, _) = stats(
            ts.iter()
                .filter_map(|t| t.wait_s())
                .map(|w| w / 60.0)
                .collect(),
        );
        let (sm, _, _, _) = stats(
            ts.iter()
                .filter_map(|t| t.service_s)
                .map(|s| s / 60.0)
                .collect(),
        );
        let _ = writeln!(
            out,
            "{:<16} {:>6} {:>6} {:>7} {:>6} {:>9.1} {:>8.1} {:>8.1}",
            pad(&d.name, 16),
            ts.len(),
            n(End::Done),
            n(End::NoShow),
            n(End::Cancelled),
            wm,
            w90,
            sm
        );
    }
    out
}

/// The day's first and last event as local HH:MM.
fn day_span(r: &DayResult) -> String {
    let tz = &r.plan.rules.tz;
    let local = |ms: i64| {
        jiff::Timestamp::from_millisecond(ms)
            .map(|t| tz.to_datetime(t).time().strftime("%H:%M").to_string())
            .unwrap_or_default()
    };
    format!("{}-{}", local(r.first_ms), local(r.last_ms))
}

/// `s` left-aligned to `width` columns, counting a CJK character as two.
pub fn pad(s: &str, width: usize) -> String {
    let cols: usize = s.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum();
    format!("{s}{}", " ".repeat(width.saturating_sub(cols)))
}
