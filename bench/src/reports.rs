//! `hallq-bench reports`: a year of generated history written straight into a fresh database
//! (a generator, not the engine), then the monthly staff appraisal and a one-year
//! by-department waits report, timed on read-only connections.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use jiff::civil::{Date, Weekday};

use hallq::config::Config;
use hallq::domain::Plan;
use hallq::reports::{GroupBy, query};
use hallq::store::{Reader, Store};

use crate::history::{Batch, BulkEvent, BulkRating, BulkTicket};

/// A small deterministic generator (xorshift64*), so runs are comparable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// The year generated: 2025, working days only.
const YEAR: i16 = 2025;
const MIN_MS: i64 = 60_000;

pub fn run(
    tickets: usize,
    runs: usize,
    config: &Path,
    keep: Option<PathBuf>,
) -> anyhow::Result<()> {
    let (_, plan) = Config::load(config)?;
    let scratch = super::scratch()?;
    let dir = scratch.path();
    let db = keep.clone().unwrap_or_else(|| dir.join("reports.db"));
    if db.exists() {
        println!("bench reports: reusing {}", db.display());
    } else {
        println!(
            "bench reports: generating {tickets} tickets over {} windows into {}",
            plan.windows.len(),
            db.display()
        );
        let t0 = Instant::now();
        let counts = generate(&plan, &db, tickets)?;
        let size = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0)
            + std::fs::metadata(db.with_extension("db-wal")).map_or(0, |m| m.len());
        println!(
            "generated in {:.1} s: {} tickets, {} ratings, {} events on {} working days; database {:.0} MiB",
            t0.elapsed().as_secs_f64(),
            counts.tickets,
            counts.ratings,
            counts.events,
            counts.days,
            size as f64 / (1024.0 * 1024.0)
        );
    }
    let reader = Reader::new(&db);
    let weights = hallq::reports::appraisal::Weights::default();
    let now = jiff::Timestamp::now();
    let june = Date::new(YEAR, 6, 1)?;
    let (first, last) = (Date::new(YEAR, 1, 1)?, Date::new(YEAR, 12, 31)?);
    println!(
        "{:<46} {:>12} {:>16} {:>8}",
        "(median of runs; goal <= 1000 ms)", "wall", "cpu (thread)", "rows"
    );
    let timed = |what: &str, f: &mut dyn FnMut() -> anyhow::Result<usize>| -> anyhow::Result<()> {
        let (mut wall, mut cpu) = (Vec::new(), Vec::new());
        let mut rows = 0;
        for _ in 0..runs.max(1) {
            let (t, c) = (Instant::now(), thread_cpu());
            rows = f()?;
            wall.push(t.elapsed());
            cpu.push(thread_cpu().zip(c).map(|(b, a)| b.saturating_sub(a)));
        }
        wall.sort();
        cpu.sort();
        let cpu = cpu[cpu.len() / 2].map_or("n/a".to_string(), |d| format!("{:.1} ms", ms(d)));
        println!(
            "{what:<46} {:>9.1} ms {cpu:>16} {rows:>8}",
            ms(wall[wall.len() / 2])
        );
        Ok(())
    };
    timed("read one year of ticket rows (no aggregation)", &mut || {
        let mut n = 0;
        reader.report(|v| v.ticket_facts("2025-01-01", "2025-12-31", |_| n += 1))?;
        Ok(n)
    })?;
    timed("staff appraisal, one month (2025-06)", &mut || {
        Ok(query::staff_appraisal(&reader, &plan, &weights, june, now)?
            .rows
            .len())
    })?;
    for by in [
        GroupBy::Department,
        GroupBy::Window,
        GroupBy::Clerk,
        GroupBy::Hour,
    ] {
        timed(&format!("waits by {}, one year", by.as_str()), &mut || {
            let r = query::waits(&reader, &plan, by, first, last, now)?;
            // The handler serializes too; count it.
            Ok(serde_json::to_vec(&r).map(|_| r.rows.len())?)
        })?;
    }
    timed("waits by department, one month (2025-06)", &mut || {
        Ok(query::waits(
            &reader,
            &plan,
            GroupBy::Department,
            june,
            june.last_of_month(),
            now,
        )?
        .rows
        .len())
    })?;
    println!(
        "indexes: tickets_report (covering: service_day, original_queue, queue, state, window, clerk, \
         times, transfer_count), events_kind_at (kind, at_ms); no pre-aggregation"
    );
    Ok(())
}

/// CPU time of this thread so far (Linux: /proc/thread-self/schedstat), so figures on a
/// shared, busy machine can be told apart from waiting for a core.
fn thread_cpu() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = s.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[derive(Default)]
struct Counts {
    tickets: usize,
    ratings: usize,
    events: usize,
    days: usize,
}

/// Per window: who works there and which queues it serves.
struct Desk<'a> {
    number: u32,
    clerk: String,
    queues: Vec<&'a str>,
}

fn generate(plan: &Plan, db: &Path, tickets: usize) -> anyhow::Result<Counts> {
    // The server makes the tables (and migrates); the rows go in beside it.
    drop(Store::open(db).context("creating the bench database")?);
    let mut conn = rusqlite::Connection::open(db)?;
    let desks: Vec<Desk<'_>> = plan
        .windows
        .iter()
        .map(|w| Desk {
            number: w.number,
            clerk: format!("c{:03}", w.number),
            queues: w
                .tiers
                .first()
                .map(|t| t.iter().map(String::as_str).collect())
                .unwrap_or_default(),
        })
        .collect();
    let dept: HashMap<&str, &str> = plan
        .queues
        .iter()
        .map(|q| (q.id.as_str(), q.department.as_str()))
        .collect();
    let prefix: HashMap<&str, &str> = plan
        .queues
        .iter()
        .map(|q| (q.id.as_str(), q.prefix.as_str()))
        .collect();
    let mut days = Vec::new();
    let mut d = Date::new(YEAR, 1, 1)?;
    while d.year() == YEAR {
        if !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday) {
            days.push(d);
        }
        d = d.tomorrow()?;
    }
    let per_day = tickets.div_ceil(days.len());
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut counts = Counts {
        days: days.len(),
        ..Counts::default()
    };
    let (mut id, mut seq) = (0i64, 0i64);
    for day in &days {
        let open_ms = plan
            .rules
            .tz
            .to_timestamp(day.at(9, 0, 0, 0))?
            .as_millisecond();
        let day_s = day.to_string();
        let mut b = Batch::default();
        let mut event =
            |b: &mut Batch, at_ms: i64, kind: &str, desk: &Desk<'_>, ticket: Option<i64>| {
                seq += 1;
                b.events.push(BulkEvent {
                    seq,
                    at_ms,
                    kind: kind.into(),
                    actor: format!("staff:{}", desk.clerk),
                    window: Some(desk.number),
                    ticket_id: ticket,
                    payload: format!(
                        r#"{{"type":"{kind}","clerk":{{"username":"{}","name":"{}"}}}}"#,
                        desk.clerk, desk.clerk
                    ),
                });
            };
        for desk in &desks {
            let lunch = open_ms + (180 + rng.below(60) as i64) * MIN_MS;
            event(&mut b, open_ms - 5 * MIN_MS, "window.signed_in", desk, None);
            event(&mut b, lunch, "window.paused", desk, None);
            event(
                &mut b,
                lunch + (20 + rng.below(40) as i64) * MIN_MS,
                "window.resumed",
                desk,
                None,
            );
            event(
                &mut b,
                open_ms + 485 * MIN_MS,
                "window.signed_out",
                desk,
                None,
            );
        }
        let mut seq_no: HashMap<&str, u32> = HashMap::new();
        for _ in 0..per_day.min(tickets - counts.tickets) {
            id += 1;
            let desk = &desks[rng.below(desks.len())];
            let queue = desk.queues[rng.below(desk.queues.len())];
            let roll = rng.below(1000);
            // 2% arrive here by transfer from another queue (numbered in that queue).
            let orig = if (80..100).contains(&roll) {
                plan.queues[rng.below(plan.queues.len())].id.as_str()
            } else {
                queue
            };
            let n = seq_no.entry(orig).or_default();
            *n += 1;
            let issued = open_ms + (rng.unit() * 450.0 * MIN_MS as f64) as i64;
            let wait = (rng.unit().powi(2) * 70.0 * MIN_MS as f64) as i64;
            let called = issued + wait;
            let mut t = BulkTicket {
                id,
                service_day: day_s.clone(),
                queue: queue.into(),
                original_queue: orig.into(),
                seq_no: *n,
                number: format!("{}{:04}", prefix.get(orig).copied().unwrap_or("X"), n),
                state: "done".into(),
                issued_ms: issued,
                ..BulkTicket::default()
            };
            match roll {
                0..30 => t.state = "cancelled".into(),
                30..40 => t.state = "abandoned".into(),
                _ => {
                    t.window = Some(desk.number);
                    t.first_called_ms = Some(called);
                    t.called_ms = Some(called);
                    if roll < 80 {
                        t.state = "no_show".into();
                        t.finished_ms = Some(called + 3 * MIN_MS);
                        event(
                            &mut b,
                            called + 3 * MIN_MS,
                            "ticket.no_show",
                            desk,
                            Some(id),
                        );
                    } else {
                        let service = (2.0 + rng.unit() * 18.0) * MIN_MS as f64;
                        if rng.below(2) == 0 {
                            t.started_ms = Some(called + 30_000);
                        }
                        t.finished_ms = Some(t.started_ms.unwrap_or(called) + service as i64);
                        t.clerk = Some(desk.clerk.clone());
                        if roll < 100 {
                            t.transfer_count = 1;
                            event(
                                &mut b,
                                called - MIN_MS,
                                "ticket.transferred",
                                desk,
                                Some(id),
                            );
                        }
                        if rng.below(10) < 3 {
                            let level = match rng.below(100) {
                                0..70 => "very_satisfied",
                                70..90 => "satisfied",
                                90..97 => "basically_satisfied",
                                97..99 => "dissatisfied",
                                _ => "very_dissatisfied",
                            };
                            let department = dept.get(queue).copied().unwrap_or("").to_string();
                            if level.ends_with("dissatisfied") && !level.starts_with("basically") {
                                let (state, result) = match rng.below(4) {
                                    0 => ("open", None),
                                    1 => ("closed", Some("rectified")),
                                    2 => ("closed", Some("explained")),
                                    _ => ("closed", Some("appealed")),
                                };
                                b.follow_ups.push((
                                    id,
                                    department.clone(),
                                    state.into(),
                                    result.map(Into::into),
                                ));
                            }
                            b.ratings.push(BulkRating {
                                ticket_id: id,
                                level: level.into(),
                                window: Some(desk.number),
                                clerk: t.clerk.clone(),
                                queue: queue.into(),
                                department,
                                service_day: day_s.clone(),
                                rated_ms: t.finished_ms.unwrap_or(called) + MIN_MS,
                            });
                        }
                    }
                }
            }
            b.tickets.push(t);
            counts.tickets += 1;
        }
        counts.ratings += b.ratings.len();
        counts.events += b.events.len();
        b.insert(&mut conn)?;
    }
    Ok(counts)
}
