//! `hallq-bench central`: N halls × D days of generated events through the uplink's central
//! path (`ingest::ship`, batches of `uplink::BATCH`, one transaction each) beside a bare COPY
//! of the same rows into an unindexed table, in the same run; then the one-year all-halls
//! by-department report and a one-month one-hall report. Needs a PostgreSQL on loopback.

use std::time::Instant;

use anyhow::Context;
use futures_util::SinkExt;

use hallq::central::fact::Shipped;
use hallq::central::ingest::{self, HallInfo};
use hallq::central::report::{self, CentralBy};
use hallq::central::uplink::BATCH;

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
    #[arg(long, default_value = "config/hall.toml")]
    pub config: std::path::PathBuf,
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
    client
        .batch_execute(
            "CREATE TABLE bare_events (hall_id text, seq int8, at_ms int8, day date, kind text,
                 ticket_id int8, queue text, department text, win int4, outcome text, level text)",
        )
        .await?;
    let queues: Vec<(String, String)> = plan
        .queues
        .iter()
        .map(|q| (q.id.clone(), q.department.clone()))
        .collect();
    let end = jiff::civil::date(2026, 11, 30);
    let start = end.checked_sub(jiff::Span::new().days(a.days as i64 - 1))?;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut uplink_s, mut copy_s, mut events) = (0.0f64, 0.0f64, 0usize);
    for h in 0..a.halls {
        let hall = HallInfo::from_plan(&format!("hall{h:02}"), &plan);
        ingest::register(&mut client, &hall).await?;
        let (mut seq, mut tid) = (0i64, 0i64);
        let mut pending: Vec<Shipped> = Vec::new();
        for d in 0..a.days {
            let day = start.checked_add(jiff::Span::new().days(d as i64))?;
            pending.extend(day_events(
                &mut rng, &queues, day, a.tickets, &mut seq, &mut tid,
            ));
            if pending.len() < BATCH * 5 && d + 1 < a.days {
                continue;
            }
            events += pending.len();
            let t = Instant::now();
            for batch in pending.chunks(BATCH) {
                ingest::ship(&mut client, &hall, batch, seq).await?;
            }
            uplink_s += t.elapsed().as_secs_f64();
            let t = Instant::now();
            copy_bare(&client, &hall.hall_id, &pending).await?;
            copy_s += t.elapsed().as_secs_f64();
            pending.clear();
        }
    }
    client.batch_execute("ANALYZE").await?;
    println!(
        "central ingest: {} halls × {} days × {} tickets/day = {events} events",
        a.halls, a.days, a.tickets
    );
    println!(
        "  uplink path (events, tickets, ratings, rollups; {BATCH}/transaction): {:.0} events/s",
        events as f64 / uplink_s
    );
    println!(
        "  bare COPY of the same rows (no index):                         {:.0} events/s  (uplink = {:.2}× COPY)",
        events as f64 / copy_s,
        copy_s / uplink_s
    );
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
    admin
        .batch_execute("DROP DATABASE IF EXISTS hallq_bench WITH (FORCE)")
        .await?;
    Ok(())
}

/// The same rows by COPY into a table with no index or constraint: the floor to compare with.
async fn copy_bare(
    client: &tokio_postgres::Client,
    hall: &str,
    rows: &[Shipped],
) -> anyhow::Result<()> {
    use std::fmt::Write;
    let mut text = String::with_capacity(rows.len() * 80);
    let opt = |o: Option<&str>| o.unwrap_or("\\N").to_string();
    for e in rows {
        let _ = writeln!(
            text,
            "{hall}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            e.seq,
            e.at_ms,
            e.day,
            e.kind,
            e.ticket_id.map_or("\\N".into(), |t| t.to_string()),
            opt(e.queue.as_deref()),
            opt(e.department.as_deref()),
            e.window.map_or("\\N".into(), |w| w.to_string()),
            opt(e.outcome),
            opt(e.level),
        );
    }
    let sink = client
        .copy_in::<_, std::io::Cursor<Vec<u8>>>("COPY bare_events FROM STDIN")
        .await?;
    futures_util::pin_mut!(sink);
    sink.send(std::io::Cursor::new(text.into_bytes())).await?;
    sink.finish().await?;
    Ok(())
}
