//! `hallq bench appointments`: the on-time share of appointments and the walk-ins' extra wait
//! on busy days with bookings, beside the same days without (see `booking.rs`).
//! `hallq bench estimates`: the accuracy of wait estimates on simulated days. For every ticket
//! that was called, the estimate it got at issue (hallq's `estimated_wait_s` from the issue
//! reply, and the QL, LES and HOL baselines the simulator computed at the same instant, see
//! `observe.rs`) against the wait that followed (issue to first call).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

use super::{DayOptions, DayResult, Scenario, TicketRecord, pad, run_day_once};

/// The estimators compared, in print order.
const NAMES: [&str; 4] = ["hallq", "QL", "LES", "HOL"];

/// The four estimates a ticket got, or `None` when hallq promised no number (no open
/// window): such tickets are counted apart, not compared.
fn estimates(t: &TicketRecord) -> Option<[f64; 4]> {
    Some([
        t.estimate_s?,
        t.baselines.ql,
        t.baselines.les,
        t.baselines.hol,
    ])
}

/// Error figures of one estimator over a set of tickets (minutes).
#[derive(Debug, Clone, Copy, Default)]
pub struct Accuracy {
    pub n: usize,
    pub mae: f64,
    pub rmse: f64,
    /// Mean of estimate minus actual: negative means it promises too short a wait.
    pub bias: f64,
    /// Share of tickets that waited more than 5 minutes longer than promised.
    pub under5: f64,
    /// Share of tickets whose estimate was off by more than 10 minutes either way.
    pub off10: f64,
    /// Called tickets that got no number at issue (no open window): left out of the above.
    pub unpromised: usize,
}

/// Accuracy of each estimator over `tickets` (those never called are left out).
pub fn accuracy<'a>(tickets: impl IntoIterator<Item = &'a TicketRecord>) -> [Accuracy; 4] {
    let mut sums = [(0.0f64, 0.0f64, 0.0f64, 0usize, 0usize); 4];
    let (mut n, mut unpromised) = (0, 0);
    for t in tickets {
        let Some(wait) = t.wait_s() else { continue };
        let Some(ests) = estimates(t) else {
            unpromised += 1;
            continue;
        };
        n += 1;
        for (i, est) in ests.into_iter().enumerate() {
            let e = (est - wait) / 60.0;
            sums[i].0 += e.abs();
            sums[i].1 += e * e;
            sums[i].2 += e;
            if e < -5.0 {
                sums[i].3 += 1;
            }
            if e.abs() > 10.0 {
                sums[i].4 += 1;
            }
        }
    }
    let d = n.max(1) as f64;
    sums.map(|(a, s, b, u, o)| Accuracy {
        n,
        mae: a / d,
        rmse: (s / d).sqrt(),
        bias: b / d,
        under5: u as f64 / d,
        off10: o as f64 / d,
        unpromised,
    })
}

fn line(label: &str, acc: &[Accuracy; 4]) -> String {
    let mut s = format!(
        "{} {:>5} {:>5}",
        pad(label, 18),
        acc[0].n,
        acc[0].unpromised
    );
    for a in acc {
        let _ = write!(
            s,
            "  {:>5.2} {:>5.2} {:>+6.2} {:>4.0}% {:>4.0}%",
            a.mae,
            a.rmse,
            a.bias,
            a.under5 * 100.0,
            a.off10 * 100.0
        );
    }
    s
}

fn header() -> String {
    let mut s = format!("{} {:>5} {:>5}", pad("", 18), "n", "null");
    for n in NAMES {
        let _ = write!(s, "  {:<30}", format!("{n}: MAE RMSE bias >5m off>10m"));
    }
    s
}

/// `hallq bench estimates`.
pub async fn estimates_bench(config: &Path, seeds: u64) -> anyhow::Result<()> {
    println!(
        "bench estimates: {seeds} seeds x (normal, busy) days; minutes; error = estimate - actual wait (issue to first call)"
    );
    let mut busy_days: Vec<DayResult> = Vec::new();
    println!("{}", header());
    for scenario in [Scenario::normal(), Scenario::busy()] {
        for seed in 1..=seeds {
            let o = DayOptions {
                config: config.to_path_buf(),
                db: None,
                seed,
                day: None,
                scenario: scenario.clone(),
            };
            let r = run_day_once(&o).await?;
            let acc = accuracy(&r.tickets);
            println!("{}", line(&format!("{} seed {seed}", scenario.name), &acc));
            if scenario.name == "busy" {
                busy_days.push(r);
            }
        }
    }
    let all: Vec<&TicketRecord> = busy_days.iter().flat_map(|r| &r.tickets).collect();
    let acc = accuracy(all.iter().copied());
    println!("{}", line("busy, all seeds", &acc));
    // The cold first hour of each busy day: tickets issued within an hour of its first.
    let cold: Vec<&TicketRecord> = busy_days
        .iter()
        .flat_map(|r| {
            let first = r.tickets.iter().map(|t| t.issued_ms).min().unwrap_or(0);
            r.tickets
                .iter()
                .filter(move |t| t.issued_ms < first + 3_600_000)
        })
        .collect();
    let cold_acc = accuracy(cold.iter().copied());
    println!("{}", line("busy, first hour", &cold_acc));
    println!(
        "cold first hour goal: hallq MAE {:.2} = {:.2}x HOL's {:.2} (goal <= 1.0x)",
        cold_acc[0].mae,
        cold_acc[0].mae / cold_acc[3].mae.max(1e-9),
        cold_acc[3].mae
    );
    let best = acc[2].mae.min(acc[3].mae);
    println!(
        "busy day goal: hallq MAE {:.2} = {:.2}x the better of LES/HOL ({:.2}; goal <= 0.8x), bias {:+.2} min (goal |bias| <= 0.5)",
        acc[0].mae,
        acc[0].mae / best.max(1e-9),
        best,
        acc[0].bias
    );
    if let Some(r) = busy_days.first() {
        println!("\nbusy days by department (all seeds):\n{}", header());
        let mut by: BTreeMap<usize, Vec<&TicketRecord>> = BTreeMap::new();
        for t in &all {
            if let Some(i) = r.plan.departments.iter().position(|d| d.id == t.department) {
                by.entry(i).or_default().push(t);
            }
        }
        for (i, ts) in by {
            println!("{}", line(&r.plan.departments[i].name, &accuracy(ts)));
        }
    }
    Ok(())
}

/// `hallq bench appointments`: busy days with `share` of the visits to queues that take
/// bookings booked (capacity raised to `capacity` per slot so that the share fits), beside the
/// same seeds with nobody booked.
pub async fn appointments_bench(
    config: &Path,
    seeds: u64,
    share: f64,
    capacity: u32,
) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(config)?;
    let raised: String = text
        .lines()
        .map(|l| match l.strip_prefix("capacity = ") {
            Some(n) if n.trim().parse::<u32>().is_ok() => format!("capacity = {capacity}"),
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    let dir = super::scratch_dir("bench-appointments")?;
    let cfg = dir.join("hall.toml");
    std::fs::write(&cfg, raised)?;
    println!(
        "bench appointments: busy days, {:.0}% of the visits to queues that take bookings booked (capacity {capacity} a slot), beside the same seeds with none booked; minutes",
        share * 100.0
    );
    println!(
        "{:<8} {:>6} {:>7} {:>8} {:>9} {:>12} {:>12} {:>8} {:>8} {:>8}",
        "seed",
        "booked",
        "share",
        "on time",
        "appt wait",
        "walk-in wait",
        "without",
        "extra",
        "allowed",
        "hall +"
    );
    let mut tot = [0.0f64; 6];
    for seed in 1..=seeds {
        let day = |booked| DayOptions {
            config: cfg.clone(),
            db: None,
            seed,
            day: None,
            scenario: Scenario {
                booked,
                ..Scenario::busy()
            },
        };
        let with = super::appointment_figures(&run_day_once(&day(share)).await?);
        let without = super::appointment_figures(&run_day_once(&day(0.0)).await?);
        let booked_share = with.booked as f64 / with.visits.max(1) as f64;
        let extra = (with.walk_in_wait_s - without.walk_in_wait_s) / 60.0;
        let allowed = booked_share * with.service_s / 60.0;
        let hall = (with.all_walk_in_wait_s - without.all_walk_in_wait_s) / 60.0;
        println!(
            "{:<8} {:>6} {:>6.1}% {:>7.1}% {:>9.1} {:>12.1} {:>12.1} {:>+8.2} {:>8.2} {:>+8.2}",
            seed,
            with.booked,
            100.0 * booked_share,
            100.0 * with.on_time_share,
            with.appointment_wait_s / 60.0,
            with.walk_in_wait_s / 60.0,
            without.walk_in_wait_s / 60.0,
            extra,
            allowed,
            hall
        );
        for (t, v) in tot.iter_mut().zip([
            with.on_time_share,
            booked_share,
            extra,
            allowed,
            with.walk_in_wait_s / 60.0,
            without.walk_in_wait_s / 60.0,
        ]) {
            *t += v / seeds as f64;
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "mean: on time {:.1}% (goal >= 90%); booked {:.1}%; walk-ins in those queues wait {:.1} min vs {:.1} without: {:+.2} min (goal <= booked share x mean service = {:.2})",
        100.0 * tot[0],
        100.0 * tot[1],
        tot[4],
        tot[5],
        tot[2],
        tot[3]
    );
    Ok(())
}
