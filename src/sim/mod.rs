//! `hallq simulate`: a seeded, reproducible hall day run against the real engine and HTTP API
//! on the simulated clock, faster than real time (see `day.rs` for the event loop,
//! `model.rs` for arrivals, services, staffing and behaviour, `client.rs` for its HTTP
//! client, `observe.rs` for the neutral record of what it saw). The benchmarks built on it
//! (and the estimate baselines replayed from that record) live in the `hallq-bench` workspace
//! member (bench/).
//! Nothing here touches the hall's state except through the API.

pub mod booking;
pub mod client;
pub mod day;
pub mod model;
pub mod observe;
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
    /// Leave the day in this database (default: a fresh temporary one, removed afterwards).
    /// A database that holds real tickets is refused unless --force.
    #[arg(long)]
    pub db: Option<PathBuf>,
    /// Write into a --db that already holds real tickets (the simulated day is still a past
    /// day of its own, marked simulated).
    #[arg(long)]
    pub force: bool,
    /// Seed of the day: the same seed gives the same day.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Service day to simulate, YYYY-MM-DD, before today (default: the latest day before today
    /// that holds no tickets in the database). A past day never enters a live day's numbering.
    #[arg(long)]
    pub day: Option<Date>,
    /// A busy, understaffed day instead of a normal one.
    #[arg(long)]
    pub busy: bool,
    /// Share of the visits to queues that take bookings (预约) that are booked ahead, up to
    /// the slots' capacity (0 = everyone walks in).
    #[arg(long, default_value_t = 0.3)]
    pub booked: f64,
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
    pub kiosk_id: String,
    pub kiosk_token: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl SimHall {
    /// Start the hall on `db` (created if absent) with its simulated clock at `clock_start`,
    /// and listen on `listen`.
    pub async fn start(
        config: &Path,
        db: &Path,
        listen: &str,
        clock_start: jiff::Timestamp,
    ) -> anyhow::Result<SimHall> {
        if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let app = App::start_with_clock(
            &ServeOptions {
                config: config.to_path_buf(),
                db: db.to_path_buf(),
                demo: false,
                simulated_clock: true,
            },
            Arc::new(crate::clock::SimulatedClock::starting_at(clock_start)),
        )?;
        // One simulated kiosk issues for the whole hall, faster than real time: the hall's
        // per-kiosk limit (a real-time token bucket) does not apply to a simulation.
        let mut app = app;
        app.state.kiosk_limits = Arc::new(crate::http::limits::KioskLimits::new(0));
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
            kiosk_id,
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

    /// Stop serving and wait for the server to finish; then disable the `sim-w*` accounts
    /// and revoke the kiosk this simulation created, so nothing it made can act on the hall.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        self.server.await??;
        let mut store = crate::store::Store::open(&self.db)?;
        let mut auth = store.auth();
        for u in auth.users()? {
            if u.user.username.starts_with(SIM_CLERK_PREFIX) {
                auth.set_disabled(&u.user.username, true)?;
            }
        }
        auth.revoke_device(&self.kiosk_id)?;
        Ok(())
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
        let username = format!("{SIM_CLERK_PREFIX}{n:03}");
        auth.add_user(&username, &username, crate::domain::Role::Clerk, &hash, now)?;
        // An account an earlier simulation disabled at its end serves this one again.
        auth.set_disabled(&username, false)?;
        let token = crate::auth::new_token();
        auth.create_session(&crate::auth::token_hash(&token), &username, now, until_ms)?;
        out.insert(*n, token);
    }
    Ok(out)
}

/// Usernames of the simulator's clerks: `sim-w001` for window 1.
const SIM_CLERK_PREFIX: &str = "sim-w";

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

/// The day to simulate: `wanted` (which must be before `today`), or the latest day before
/// `today` that holds no tickets. A day that holds real tickets is never shared.
pub fn pick_day(
    wanted: Option<Date>,
    today: Date,
    ticket_days: &[(String, bool)],
) -> anyhow::Result<Date> {
    let held = |d: Date| ticket_days.iter().find(|(day, _)| *day == d.to_string());
    let day = match wanted {
        Some(d) if d >= today => bail!(
            "--day {d} is not in the past: a simulated day is lived before today ({today}) so it never enters a live day's numbering"
        ),
        Some(d) => d,
        None => {
            let mut d = today.yesterday()?;
            while held(d).is_some() {
                d = d.yesterday()?;
            }
            d
        }
    };
    if let Some((_, false)) = held(day) {
        bail!(
            "{day} holds real tickets: a simulation never shares a day with them; pick another --day"
        );
    }
    Ok(day)
}

/// Refuse a database that holds real tickets (days not lived by the simulator) unless `force`.
pub fn check_db(ticket_days: &[(String, bool)], db: &Path, force: bool) -> anyhow::Result<()> {
    let real: Vec<&str> = ticket_days
        .iter()
        .filter(|(_, simulated)| !simulated)
        .map(|(d, _)| d.as_str())
        .collect();
    if let (Some(first), Some(last)) = (real.first(), real.last())
        && !force
    {
        bail!(
            "{} holds real tickets ({} days, {first} to {last}): simulate into a fresh database (leave out --db) or pass --force",
            db.display(),
            real.len(),
        );
    }
    Ok(())
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
    let (_, plan) = crate::config::Config::load(&o.config)?;
    let today = plan.rules.tz.to_datetime(jiff::Timestamp::now()).date();
    let mut store = crate::store::Store::open(&db)?;
    let day = pick_day(o.day, today, &store.ticket_days()?)?;
    store.mark_simulated(
        &day.to_string(),
        o.seed,
        jiff::Timestamp::now().as_millisecond(),
    )?;
    drop(store);
    let local = |h: i8, m: i8| plan.rules.tz.to_timestamp(day.at(h, m, 0, 0));
    let start = local(8, 30).context("day start")?;
    let hall = SimHall::start(&o.config, &db, listen, local(7, 0)?).await?;
    let plan = Arc::clone(&hall.plan);
    let mut rng = rng::Rng::new(o.seed).fork(3);
    let staffed = model::staff(&plan, &o.scenario, &mut rng);
    let queues = model::queues(&plan, &staffed, &o.scenario, &mut rng);
    let until = start.as_millisecond() + 7 * 24 * 3_600_000;
    let clerks = hall.clerks(&staffed, until)?;
    let mut queues = queues;
    let midnight = local(0, 0).context("day start")?.as_millisecond();
    let bookings = booking::plan(
        &plan,
        day,
        &mut queues,
        o.scenario.booked,
        midnight,
        &mut rng,
    );
    let setup = day::DaySetup {
        addr: hall.addr,
        plan,
        kiosk_token: &hall.kiosk_token.clone(),
        clerks,
        day,
        seed: o.seed,
        scenario: o.scenario.clone(),
        queues,
        bookings,
    };
    let result = day::run(setup).await?;
    Ok((result, hall, scratch))
}

/// Run one day on a throw-away database and stop its hall (benchmarks).
pub async fn run_day_once(o: &DayOptions) -> anyhow::Result<DayResult> {
    let (r, hall, scratch) = run_day(o, "127.0.0.1:0").await?;
    hall.stop().await?;
    if let Some(d) = scratch {
        let _ = std::fs::remove_dir_all(d);
    }
    Ok(r)
}

/// `hallq simulate`.
pub async fn simulate(a: SimArgs) -> anyhow::Result<()> {
    if let Some(db) = a.db.as_ref().filter(|db| db.exists()) {
        let days = crate::store::Store::open(db)?.ticket_days()?;
        check_db(&days, db, a.force)?;
    }
    let o = DayOptions {
        config: a.config,
        db: a.db.clone(),
        seed: a.seed,
        day: a.day,
        scenario: Scenario {
            booked: a.booked.clamp(0.0, 1.0),
            ..if a.busy {
                Scenario::busy()
            } else {
                Scenario::normal()
            }
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
        let everyone = hall.addr.ip().is_unspecified() || !hall.addr.ip().is_loopback();
        println!(
            "WARNING: this is a simulated clock: anyone who can reach {} can move it with POST \
             /api/v1/_clock, and the demo accounts above have a published password. {}",
            hall.addr,
            if everyone {
                "It listens beyond this machine: stop it when you are done."
            } else {
                "It listens on loopback only (give --listen to change that)."
            }
        );
        let _ = tokio::signal::ctrl_c().await;
    }
    hall.stop().await?;
    if let Some(dir) = scratch {
        let _ = std::fs::remove_dir_all(dir);
    } else if let Some(db) = &a.db {
        println!(
            "the day is in {}, marked simulated; its sim-w* accounts and kiosk are disabled. Browse it: `hallq serve --demo --db {}`, then /staff/reports from {} to {}",
            db.display(),
            db.display(),
            r.day,
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
    let f = appointment_figures(r);
    if f.booked > 0 {
        let _ = writeln!(
            out,
            "appointments: booked {} ({:.0}% of {} visits to queues that take bookings), checked in {}, no-show {}, too late {}; on time {:.1}% (called within {} min of the later of slot start and check-in), wait after that mean {:.1} min; walk-ins there wait {:.1} min",
            f.booked,
            100.0 * f.booked as f64 / f.visits.max(1) as f64,
            f.visits,
            f.checked_in,
            f.no_show,
            f.too_late,
            100.0 * f.on_time_share,
            booking::ON_TIME_S / 60.0,
            f.appointment_wait_s / 60.0,
            f.walk_in_wait_s / 60.0,
        );
    }
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

/// The day's appointment figures (`booking::figures` over the queues that take bookings).
pub fn appointment_figures(r: &DayResult) -> booking::Figures {
    let queues: Vec<String> = r
        .plan
        .queues
        .iter()
        .filter(|q| q.appointments.is_some())
        .map(|q| q.id.clone())
        .collect();
    booking::figures(&r.tickets, &r.bookings, &queues)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn days(list: &[(&str, bool)]) -> Vec<(String, bool)> {
        list.iter().map(|(d, s)| (d.to_string(), *s)).collect()
    }

    #[test]
    fn the_simulated_day_is_a_past_day_that_holds_no_real_tickets() {
        let today = jiff::civil::date(2026, 12, 3);
        let d = |s: &str| s.parse::<Date>().expect("date");
        // Fresh database: yesterday.
        assert_eq!(pick_day(None, today, &[]).expect("day"), d("2026-12-02"));
        // Days already holding tickets (real or simulated) are stepped over.
        let held = days(&[("2026-12-02", true), ("2026-12-01", false)]);
        assert_eq!(pick_day(None, today, &held).expect("day"), d("2026-11-30"));
        // Asked for: a past day, even an earlier simulated one, never today or later, never a
        // day with real tickets.
        assert_eq!(
            pick_day(Some(d("2026-12-02")), today, &held).expect("day"),
            d("2026-12-02")
        );
        for bad in ["2026-12-03", "2026-12-04", "2026-12-01"] {
            assert!(pick_day(Some(d(bad)), today, &held).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_database_with_real_tickets_is_refused_unless_forced() {
        let db = Path::new("data/hallq.db");
        let sim_only = days(&[("2026-12-02", true)]);
        let real = days(&[
            ("2026-11-30", false),
            ("2026-12-01", false),
            ("2026-12-02", true),
        ]);
        assert!(check_db(&[], db, false).is_ok());
        assert!(check_db(&sim_only, db, false).is_ok());
        let err = check_db(&real, db, false).expect_err("refused").to_string();
        assert!(
            err.contains("holds real tickets (2 days, 2026-11-30 to 2026-12-01)"),
            "{err}"
        );
        assert!(check_db(&real, db, true).is_ok());
    }
}
