//! `hallq-bench central`: N halls × D days of generated events through the uplink's central
//! path (`ingest::ship`, batches of `uplink::BATCH`, one transaction each; then
//! `ingest::materialize`, the rollups brought up to them) beside, in the same
//! run, a bare binary COPY of the same rows by the same encoder into a table of the events'
//! shape without key or index (the baseline), and into one with the events' primary key (what
//! the key alone costs); the same for a few days of one hall at a real hall's density; then
//! the one-year all-halls by-department report and a one-month one-hall report; last, a hall's
//! issue latency while its uplink ships a backlog, beside the same hall with the uplink
//! stopped, in alternating slices of equal length. Needs a PostgreSQL on loopback.

use std::time::{Duration, Instant};

use anyhow::Context;

use hallq::central::fact::Shipped;
use hallq::central::ingest::{self, HallInfo};
use hallq::central::report::{self, CentralBy};
use hallq::central::stages::Stages;
use hallq::central::uplink::{BATCH, ROLL_BATCH};

/// Arguments of the bench.
#[derive(Debug, Clone, clap::Args)]
pub struct CentralArgs {
    /// PostgreSQL on loopback; the bench uses (and empties) a database `hallq_bench` there.
    #[arg(long)]
    pub pg: String,
    #[arg(long, default_value_t = 2)]
    pub halls: usize,
    #[arg(long, default_value_t = 365)]
    pub days: usize,
    /// Tickets per hall per day.
    #[arg(long, default_value_t = 150)]
    pub tickets: usize,
    /// Tickets per day of the dense hall (the issue's 30 M tickets / 20 halls / 365 days).
    #[arg(long, default_value_t = 4_100)]
    pub dense_tickets: usize,
    /// Days of the dense hall.
    #[arg(long, default_value_t = 5)]
    pub dense_days: usize,
    /// Seconds the hall's kiosks issue to build the backlog its uplink then ships (0: skip).
    #[arg(long, default_value_t = 20)]
    pub backlog_secs: u64,
    /// Rounds of calm and shipping slices in turn (each round ships the backlog afresh; the
    /// figure is the median of the rounds' p99 ratios), and HTTP clients issuing.
    #[arg(long, default_value_t = 5)]
    pub rounds: usize,
    /// Pairs of 2 s slices (one calm, one shipping) per round; a round also ends once the
    /// backlog is shipped.
    #[arg(long, default_value_t = 3)]
    pub pairs: usize,
    #[arg(long, default_value_t = 4)]
    pub clients: usize,
    /// Tickets per second the kiosks issue while latency is measured, spread over the clients
    /// on a fixed schedule (latency counts from each request's planned time); 0: every client
    /// issues back to back, which keeps the cores busy on its own.
    #[arg(long, default_value_t = 40)]
    pub issue_rate: u32,
    /// Events per central transaction in the ingest measure.
    #[arg(long, default_value_t = BATCH)]
    pub batch: usize,
    #[arg(long, default_value = "config/hall.toml")]
    pub config: std::path::PathBuf,
    /// The rollups read the shipped events back from the centre, as the central server's own
    /// pass does (the uplink rolls up the events it just shipped, still in memory).
    #[arg(long)]
    pub read_back: bool,
    /// Also print where the uplink path's time went, stage by stage.
    #[arg(long)]
    pub breakdown: bool,
}

/// A small deterministic generator (xorshift), so runs are comparable.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

/// One hall-day of events: each ticket issued, called, finished (or a no-show), a third rated.
fn day_events(
    rng: &mut Rng,
    queues: &[(String, String)],
    day: jiff::civil::Date,
    tickets: usize,
    seq: &mut i64,
    ticket_id: &mut i64,
) -> Vec<Shipped> {
    let tz = jiff::tz::TimeZone::get("Asia/Shanghai").expect("bundled tz");
    let open = tz
        .to_timestamp(day.at(9, 0, 0, 0))
        .expect("valid time")
        .as_millisecond();
    let mut out = Vec::with_capacity(tickets * 4);
    let day_s = day.to_string();
    let mut ev = |at_ms: i64, kind: &'static str, id: i64, q: &(String, String)| {
        *seq += 1;
        Shipped {
            seq: *seq,
            at_ms,
            day: day_s.clone(),
            kind,
            ticket_id: Some(id),
            queue: Some(q.0.clone()),
            department: (kind == "ticket.issued").then(|| q.1.clone()),
            window: (kind != "ticket.issued").then_some(1 + (id % 118) as i32),
            outcome: (kind == "ticket.finished").then_some("done"),
            level: (kind == "rating.submitted").then_some("satisfied"),
        }
    };
    for i in 0..tickets {
        *ticket_id += 1;
        let id = *ticket_id;
        let q = &queues[rng.below(queues.len() as u64) as usize];
        let issued = open + (i as i64) * 8 * 3_600_000 / tickets.max(1) as i64;
        let called = issued + rng.below(40 * 60_000) as i64;
        let finished = called + 60_000 + rng.below(15 * 60_000) as i64;
        out.push(ev(issued, "ticket.issued", id, q));
        out.push(ev(called, "ticket.called", id, q));
        if rng.below(20) == 0 {
            out.push(ev(called + 60_000, "ticket.no_show", id, q));
        } else {
            out.push(ev(finished, "ticket.finished", id, q));
            if rng.below(3) == 0 {
                out.push(ev(finished + 5_000, "rating.submitted", id, q));
            }
        }
    }
    // Events are committed in time order in a hall.
    out.sort_by_key(|e| e.at_ms);
    let first = *seq - out.len() as i64;
    for (i, e) in out.iter_mut().enumerate() {
        e.seq = first + 1 + i as i64;
    }
    out
}

/// Run the bench and print its figures.
pub async fn run(a: CentralArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        a.pg.contains("@127.0.0.1:") || a.pg.contains("@localhost:") || a.pg.contains("@[::1]:"),
        "--pg must be a PostgreSQL on loopback"
    );
    let (_, plan) = hallq::config::Config::load(&a.config)?;
    let admin = hallq::central::connect(&a.pg)
        .await
        .context("connect --pg")?;
    admin
        .batch_execute("DROP DATABASE IF EXISTS hallq_bench WITH (FORCE)")
        .await?;
    admin.batch_execute("CREATE DATABASE hallq_bench").await?;
    let (head, _) = a.pg.rsplit_once('/').context("--pg names a database")?;
    let url = format!("{head}/hallq_bench");
    let mut client = hallq::central::connect(&url).await?;
    hallq::central::schema::migrate(&mut client).await?;
    // The baseline: the events' columns and types, no key, no index. And the same with only
    // the events' primary key, to show what the key alone costs.
    client
        .batch_execute(
            "CREATE TABLE bare_events (LIKE events);
             CREATE TABLE keyed_events (LIKE events INCLUDING INDEXES);
             DROP INDEX IF EXISTS keyed_events_day_idx;",
        )
        .await?;
    let end = jiff::civil::date(2026, 11, 30);
    let start = end.checked_sub(jiff::Span::new().days(a.days as i64 - 1))?;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let sparse = ingest_halls(
        &mut client,
        a.batch,
        a.read_back,
        &plan,
        &mut rng,
        "hall",
        a.halls,
        start,
        a.days,
        a.tickets,
    )
    .await?;
    let dense_start = end.checked_sub(jiff::Span::new().days(a.dense_days as i64 - 1))?;
    let dense = ingest_halls(
        &mut client,
        a.batch,
        a.read_back,
        &plan,
        &mut rng,
        "dense",
        1,
        dense_start,
        a.dense_days,
        a.dense_tickets,
    )
    .await?;
    client.batch_execute("ANALYZE").await?;
    println!(
        "central ingest: the uplink's path (events and the hall's mark; {} events/transaction) beside a bare binary COPY of the same rows into a table of the events' shape without key or index, and into one with the events' primary key (hall_id, seq), the table the centre stores them in, without its BRIN index on day; then the rollups brought up to the events (tickets, ratings, day and month rollups; up to {} events/transaction), and the two together:",
        a.batch,
        hallq::central::uplink::ROLL_BATCH
    );
    for (what, t) in [
        (
            format!(
                "{} halls × {} days × {} tickets/day",
                a.halls, a.days, a.tickets
            ),
            sparse,
        ),
        (
            format!(
                "1 hall × {} days × {} tickets/day",
                a.dense_days, a.dense_tickets
            ),
            dense,
        ),
    ] {
        let rate = |s: f64| t.events as f64 / s;
        let both = t.uplink_s + t.roll_s;
        println!(
            "  {what}: {} events; bare COPY {:.0} events/s; COPY with the key {:.0} events/s ({:.2}× bare)",
            t.events,
            rate(t.bare_s),
            rate(t.keyed_s),
            t.bare_s / t.keyed_s,
        );
        println!(
            "    ingest (uplink): {:.0} events/s = {:.2}× bare, {:.2}× keyed",
            rate(t.uplink_s),
            t.bare_s / t.uplink_s,
            t.keyed_s / t.uplink_s,
        );
        println!(
            "    rollups: {:.0} events/s; ingest and rollups together: {:.0} events/s = {:.2}× bare, {:.2}× keyed",
            rate(t.roll_s),
            rate(both),
            t.bare_s / both,
            t.keyed_s / both,
        );
        if a.breakdown {
            println!("    ingest by stage:");
            print_stages(&t.stages, t.events);
            println!("    rollups by stage:");
            print_stages(&t.roll_stages, t.events);
        }
    }
    let (from, to) = (start.to_string(), end.to_string());
    let t = Instant::now();
    let r = report::waits(&client, CentralBy::Department, &from, &to, &[]).await?;
    println!(
        "  {}-day all-halls report by department: {:.0} ms ({} rows, {} tickets)",
        a.days,
        t.elapsed().as_secs_f64() * 1e3,
        r.rows.len(),
        r.total.issued
    );
    let month_from = end.checked_sub(jiff::Span::new().days(29))?.to_string();
    let t = Instant::now();
    let r = report::waits(
        &client,
        CentralBy::Queue,
        &month_from,
        &to,
        &["hall00".into()],
    )
    .await?;
    println!(
        "  one-month one-hall report by queue: {:.0} ms ({} rows, {} tickets)",
        t.elapsed().as_secs_f64() * 1e3,
        r.rows.len(),
        r.total.issued
    );
    drop(client);
    if a.backlog_secs > 0 {
        hall_while_shipping(&a, &plan, &url).await?;
    }
    admin
        .batch_execute("DROP DATABASE IF EXISTS hallq_bench WITH (FORCE)")
        .await?;
    Ok(())
}

/// Seconds spent on the same events three ways, the rollups', and both paths' by stage.
struct IngestTimes {
    events: usize,
    uplink_s: f64,
    roll_s: f64,
    bare_s: f64,
    keyed_s: f64,
    stages: Stages,
    roll_stages: Stages,
}

/// Each stage's total, its share and its cost per event.
fn print_stages(stages: &Stages, events: usize) {
    let total = stages.total().as_secs_f64().max(f64::MIN_POSITIVE);
    for (name, d) in stages.items() {
        let s = d.as_secs_f64();
        println!(
            "      {name:<40} {:>8.1} ms {:>5.1} % {:>6.2} µs/event",
            s * 1e3,
            100.0 * s / total,
            s * 1e6 / events.max(1) as f64
        );
    }
}

/// Ship `halls` halls named `{prefix}NN` × `days` days from `start` × `tickets` a day through
/// `ingest::ship` in batches of `batch`, and the same rows by bare COPY, each hall's pending
/// rows in one COPY and one transaction (into the keyless table, then the keyed one).
#[allow(clippy::too_many_arguments)]
async fn ingest_halls(
    client: &mut tokio_postgres::Client,
    batch: usize,
    read_back: bool,
    plan: &hallq::domain::Plan,
    rng: &mut Rng,
    prefix: &str,
    halls: usize,
    start: jiff::civil::Date,
    days: usize,
    tickets: usize,
) -> anyhow::Result<IngestTimes> {
    let queues: Vec<(String, String)> = plan
        .queues
        .iter()
        .map(|q| (q.id.clone(), q.department.clone()))
        .collect();
    let mut t = IngestTimes {
        events: 0,
        uplink_s: 0.0,
        roll_s: 0.0,
        bare_s: 0.0,
        keyed_s: 0.0,
        stages: Stages::default(),
        roll_stages: Stages::default(),
    };
    let batch = batch.max(1);
    for h in 0..halls {
        let hall = HallInfo::from_plan(&format!("{prefix}{h:02}"), plan);
        ingest::register(client, &hall).await?;
        let (mut seq, mut tid) = (0i64, 0i64);
        let mut pending: Vec<Shipped> = Vec::new();
        for d in 0..days {
            let day = start.checked_add(jiff::Span::new().days(d as i64))?;
            pending.extend(day_events(rng, &queues, day, tickets, &mut seq, &mut tid));
            if pending.len() < batch * 5 && d + 1 < days {
                continue;
            }
            t.events += pending.len();
            let chunks: Vec<Vec<Shipped>> = pending.chunks(batch).map(<[_]>::to_vec).collect();
            let started = Instant::now();
            let mut held = ingest::Held::default();
            for chunk in chunks {
                let s = ingest::ship_timed(client, &hall, &chunk, seq, &mut t.stages).await?;
                held.add(s, chunk);
            }
            t.uplink_s += started.elapsed().as_secs_f64();
            // As the uplink does once a backlog of `ROLL_BATCH` is shipped: from the events it
            // holds (with `--read-back`, read back from the centre as its own server does).
            let started = Instant::now();
            let mut held = (!read_back).then_some(&mut held);
            while ingest::materialize_timed(
                client,
                &hall.hall_id,
                ROLL_BATCH,
                held.as_deref_mut(),
                &mut t.roll_stages,
            )
            .await?
                == ROLL_BATCH
            {}
            t.roll_s += started.elapsed().as_secs_f64();
            for (table, secs) in [
                ("bare_events", &mut t.bare_s),
                ("keyed_events", &mut t.keyed_s),
            ] {
                let started = Instant::now();
                let tx = client.transaction().await?;
                ingest::copy_events(&tx, table, &hall.hall_id, &pending).await?;
                tx.commit().await?;
                *secs += started.elapsed().as_secs_f64();
            }
            pending.clear();
        }
    }
    Ok(t)
}

/// Length of one calm or shipping slice.
const SLICE: Duration = Duration::from_secs(2);

/// A hall whose kiosks issued for `backlog_secs` with no uplink: kiosks go on issuing over
/// HTTP (`issue_rate` a second, or back to back) in rounds of `pairs` alternating calm and
/// shipping slices (fewer if the backlog is shipped); issue latency in each, and the median
/// of the rounds' p99 ratios, so one round disturbed by the machine's other load does not
/// make the figure. Between rounds the centre
/// forgets the hall and the hall its mark, so each round ships the whole backlog again.
async fn hall_while_shipping(
    a: &CentralArgs,
    plan: &hallq::domain::Plan,
    url: &str,
) -> anyhow::Result<()> {
    let scratch = super::scratch()?;
    let dir = scratch.path();
    let cfg = super::lifted_config(dir, &a.config)?;
    let db = dir.join("hallq.db");
    let hall = super::InProcessHall::start("central", cfg, &db).await?;
    let (addr, queues, token) = (hall.addr, hall.queues.clone(), hall.token.clone());
    let token = token.as_str();
    let backlog = super::http_issue(addr, a.clients, a.backlog_secs, &queues, token).await?;
    let load = if a.issue_rate == 0 {
        "back to back".to_string()
    } else {
        format!("{} tickets/s on a fixed schedule", a.issue_rate)
    };
    println!(
        "hall issue latency while its uplink ships a backlog ({} tickets issued over HTTP first), {} HTTP clients issuing {load}, {} rounds of up to {} pairs of 2 s calm and shipping slices in turn; PostgreSQL shares the {} cores:",
        backlog.ops,
        a.clients,
        a.rounds,
        a.pairs.max(1),
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    hall_side_read(&db)?;
    let section = hallq::config::UplinkSection {
        url: url.to_string(),
        hall_id: "backlog".into(),
    };
    let mut central = hallq::central::connect(url).await?;
    let (mut quiet, mut busy) = (super::Figures::empty(), super::Figures::empty());
    let (mut shipped, mut shipping_s) = (0u64, 0.0f64);
    let mut ratios: Vec<f64> = Vec::new();
    for round in 1..=a.rounds.max(1) {
        forget_backlog(&mut central, &db).await?;
        // Pairs of slices, one calm and one shipping, in alternating order, so the other
        // load on the machine falls on both alike; the uplink is started for each shipping
        // slice and stopped after it (it resumes from the hall's mark).
        let status = std::sync::Arc::new(hallq::central::uplink::UplinkStatus::default());
        let (mut q, mut b) = (super::Figures::empty(), super::Figures::empty());
        for pair in 0.. {
            for shipping in [pair % 2 == 1, pair % 2 == 0] {
                if !shipping {
                    q.absorb(issue(a, addr, SLICE, &queues, token).await?);
                    continue;
                }
                let uplink =
                    hallq::central::uplink_for(&section, plan, &db, std::sync::Arc::clone(&status));
                let task = tokio::spawn(uplink.run());
                b.absorb(issue(a, addr, SLICE, &queues, token).await?);
                task.abort();
                let _ = task.await;
                // Let the uplink's thread finish the batch it was in.
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
            let v = status.view("backlog");
            if v.shipped_seq > 0 && v.lag_events < 100 || pair + 1 >= a.pairs.max(1) {
                shipped += v.shipped_seq;
                break;
            }
        }
        shipping_s += b.elapsed.as_secs_f64();
        ratios.push(b.pct(0.99) / q.pct(0.99).max(f64::MIN_POSITIVE));
        println!(
            "  round {round}: calm {:.1} s p99 {:.2} ms, shipping {:.1} s p99 {:.2} ms ({:.2}×)",
            q.elapsed.as_secs_f64(),
            q.pct(0.99),
            b.elapsed.as_secs_f64(),
            b.pct(0.99),
            b.pct(0.99) / q.pct(0.99).max(f64::MIN_POSITIVE)
        );
        quiet.absorb(q);
        busy.absorb(b);
    }
    println!("{}", quiet.line("  issue, uplink stopped", "tickets"));
    println!("{}", busy.line("  issue, uplink shipping", "tickets"));
    println!(
        "  shipped {shipped} events in {shipping_s:.1} s ({:.0} events/s, while the kiosks issued)",
        shipped as f64 / shipping_s.max(f64::MIN_POSITIVE),
    );
    ratios.sort_by(f64::total_cmp);
    let median = match ratios.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => ratios[n / 2],
        n => (ratios[n / 2 - 1] + ratios[n / 2]) / 2.0,
    };
    let each: Vec<String> = ratios.iter().map(|r| format!("{r:.2}×")).collect();
    println!(
        "  issue p99 while shipping: median of the rounds {median:.2}× the p99 with the uplink stopped (rounds, sorted: {}; all slices pooled: {:.2}×; goal: within 10 %)",
        each.join(", "),
        busy.pct(0.99) / quiet.pct(0.99).max(f64::MIN_POSITIVE)
    );
    // The backlog once more from the start with the kiosks stopped: the whole uplink (the
    // hall's reads, each ahead of its turn, and the centre's ingest), end to end.
    forget_backlog(&mut central, &db).await?;
    let (count, newest): (i64, i64) = rusqlite::Connection::open(&db)?.query_row(
        "SELECT COUNT(*), COALESCE(MAX(seq), 0) FROM events",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let status = std::sync::Arc::new(hallq::central::uplink::UplinkStatus::default());
    let started = Instant::now();
    let task = tokio::spawn(
        hallq::central::uplink_for(&section, plan, &db, std::sync::Arc::clone(&status)).run(),
    );
    while status.view("backlog").shipped_seq < newest as u64 {
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(300),
            "the uplink did not catch up in 5 minutes"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let took = started.elapsed().as_secs_f64();
    // And until the reports hold them: the uplink's rollups of what it shipped.
    let rolled = "SELECT rolled_seq FROM rollup_marks WHERE hall_id = 'backlog'";
    while central.query_one(rolled, &[]).await?.get::<_, i64>(0) < newest {
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(300),
            "the rollups did not catch up in 5 minutes"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let reported = started.elapsed().as_secs_f64();
    task.abort();
    let _ = task.await;
    let issued: i64 = central
        .query_one(
            "SELECT COALESCE(SUM(issued), 0)::int8 FROM day_queue WHERE hall_id = 'backlog'",
            &[],
        )
        .await?
        .get(0);
    let tickets: i64 =
        rusqlite::Connection::open(&db)?
            .query_row("SELECT COUNT(*) FROM tickets", [], |r| r.get(0))?;
    anyhow::ensure!(
        issued == tickets,
        "the centre's rollups count {issued} tickets, the hall {tickets}"
    );
    let row = central
        .query_one(
            "SELECT COUNT(*), COUNT(DISTINCT seq), COALESCE(MAX(seq), 0) FROM events WHERE hall_id = 'backlog'",
            &[],
        )
        .await?;
    let (stored, distinct, last): (i64, i64, i64) = (row.get(0), row.get(1), row.get(2));
    anyhow::ensure!(
        stored == count && distinct == count && last == newest,
        "the centre holds {stored} events ({distinct} distinct, last {last}), the hall {count} (last {newest})"
    );
    println!(
        "  catch-up with the kiosks stopped: {count} events shipped in {took:.2} s ({:.0} events/s, reading the hall's database included), each stored once; in the rollups after {reported:.2} s ({:.0} events/s), {tickets} tickets counted once",
        count as f64 / took.max(f64::MIN_POSITIVE),
        count as f64 / reported.max(f64::MIN_POSITIVE)
    );
    hall.stop().await;
    Ok(())
}

/// Make the centre forget the `backlog` hall's events and the hall its mark, so the next
/// uplink ships its whole log again.
async fn forget_backlog(
    central: &mut tokio_postgres::Client,
    db: &std::path::Path,
) -> anyhow::Result<()> {
    // Its tickets, ratings, rollups and rollup mark as `central rebuild` drops them (nothing
    // before the first round), then its events and event mark.
    ingest::forget_derived(central, &["backlog".to_string()]).await?;
    central
        .batch_execute(
            "DELETE FROM events WHERE hall_id = 'backlog';
             UPDATE halls SET last_seq = 0 WHERE hall_id = 'backlog';",
        )
        .await
        .or_else(|e| {
            if e.as_db_error().is_some() {
                Ok(())
            } else {
                Err(e)
            }
        })?;
    // The mark never moves back through the uplink's own door: reset it by hand.
    rusqlite::Connection::open(db)?.execute(
        "INSERT INTO uplink_mark(hall_id, shipped_seq, shipped_ms) VALUES ('backlog', 0, 0)
         ON CONFLICT (hall_id) DO UPDATE SET shipped_seq = 0",
        [],
    )?;
    Ok(())
}

/// The hall's side of shipping, apart from the centre: the backlog read from the hall's
/// database in the uplink's batches and projected to what leaves the hall.
fn hall_side_read(db: &std::path::Path) -> anyhow::Result<()> {
    let reader = hallq::store::Reader::new(db);
    let (mut since, mut events) = (0u64, 0usize);
    let (mut read_s, mut decode_s) = (0.0f64, 0.0f64);
    loop {
        let t = Instant::now();
        let records = reader.events_since(since, BATCH)?;
        read_s += t.elapsed().as_secs_f64();
        let Some(last) = records.last().map(|r| r.seq) else {
            break;
        };
        let t = Instant::now();
        let shipped: Vec<Shipped> = records.iter().filter_map(Shipped::from_record).collect();
        decode_s += t.elapsed().as_secs_f64();
        events += shipped.len();
        since = last;
    }
    let per = |s: f64| s * 1e6 / events.max(1) as f64;
    println!(
        "  hall side, {events} events in batches of {BATCH}: SQLite read and decode {:.0} ms ({:.2} µs/event), projection to what leaves the hall {:.0} ms ({:.2} µs/event)",
        read_s * 1e3,
        per(read_s),
        decode_s * 1e3,
        per(decode_s)
    );
    Ok(())
}

/// Kiosks issuing for `how_long`: paced at `issue_rate`, or back to back when it is 0.
async fn issue(
    a: &CentralArgs,
    addr: std::net::SocketAddr,
    how_long: Duration,
    queues: &[String],
    token: &str,
) -> anyhow::Result<super::Figures> {
    // Each client issues every `every`, so all of them together `issue_rate` a second.
    let every = (a.issue_rate > 0)
        .then(|| Duration::from_secs_f64(a.clients.max(1) as f64 / f64::from(a.issue_rate)));
    super::http_issue_paced(addr, a.clients, how_long, every, queues, token).await
}
