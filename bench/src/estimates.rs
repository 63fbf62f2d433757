//! `hallq-bench estimates`: the accuracy of wait estimates on simulated days. For every ticket
//! that was called, the estimate it got at issue (hallq's `estimated_wait_s` from the issue
//! reply, and the QL, LES and HOL baselines at the same instant, replayed from the simulator's
//! observations in `baselines.rs`) against the wait that followed (issue to first call).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

use hallq::sim::{DayOptions, DayResult, Scenario, TicketRecord, pad, run_day_once};

use crate::baselines::{self, Baselines};

/// A ticket and the baselines it got at issue.
type Promised<'a> = (&'a TicketRecord, &'a Baselines);

/// A simulated day and each ticket's baselines (indexed like its tickets).
type Day = (DayResult, Vec<Baselines>);

/// The day's tickets, each with its baselines.
fn promised(d: &Day) -> impl Iterator<Item = Promised<'_>> {
    d.0.tickets.iter().zip(&d.1)
}

/// The estimators compared, in print order.
const NAMES: [&str; 4] = ["hallq", "QL", "LES", "HOL"];

/// The four estimates a ticket got, or `None` when hallq promised no number (no open
/// window): such tickets are counted apart, not compared.
fn estimates((t, b): Promised<'_>) -> Option<[f64; 4]> {
    Some([t.estimate_s?, b.ql, b.les, b.hol])
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
pub fn accuracy<'a>(tickets: impl IntoIterator<Item = Promised<'a>>) -> [Accuracy; 4] {
    let mut sums = [(0.0f64, 0.0f64, 0.0f64, 0usize, 0usize); 4];
    let (mut n, mut unpromised) = (0, 0);
    for p in tickets {
        let Some(wait) = p.0.wait_s() else { continue };
        let Some(ests) = estimates(p) else {
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

/// Tickets issued within an hour of each day's first.
fn first_hour(days: &[Day]) -> Vec<Promised<'_>> {
    days.iter()
        .flat_map(|d| {
            let first = d.0.tickets.iter().map(|t| t.issued_ms).min().unwrap_or(0);
            promised(d).filter(move |(t, _)| t.issued_ms < first + 3_600_000)
        })
        .collect()
}

/// Tickets issued before any clerk could have signed in (8:50 plus the scenario's delay):
/// no window was open, so none may carry a number.
fn before_any_window(r: &DayResult) -> impl Iterator<Item = &TicketRecord> {
    let earliest = r
        .plan
        .rules
        .tz
        .to_timestamp(r.day.at(8, 50, 0, 0))
        .map_or(0, |t| t.as_millisecond())
        + (r.scenario.sign_in_delay_min * 60_000.0) as i64;
    r.tickets.iter().filter(move |t| t.issued_ms < earliest)
}

fn ratio_line(label: &str, acc: &[Accuracy; 4], against: f64, goal: &str) -> String {
    format!(
        "{label}: hallq MAE {:.2} = {:.2}x ({against:.2}; goal {goal}), bias {:+.2} min; off by >10 min: hallq {:.0}%, QL {:.0}%, LES {:.0}%, HOL {:.0}%",
        acc[0].mae,
        acc[0].mae / against.max(1e-9),
        acc[0].bias,
        acc[0].off10 * 100.0,
        acc[1].off10 * 100.0,
        acc[2].off10 * 100.0,
        acc[3].off10 * 100.0,
    )
}

/// `hallq-bench estimates`.
pub async fn estimates_bench(config: &Path, seeds: u64) -> anyhow::Result<()> {
    let scenarios = [
        Scenario::normal(),
        Scenario::busy(),
        Scenario::cold(),
        Scenario::no_clerk(),
    ];
    println!(
        "bench estimates: {seeds} seeds x (normal, busy, cold, no-clerk) days; minutes; error = estimate - actual wait (issue to first call)"
    );
    let mut days: BTreeMap<&str, Vec<Day>> = BTreeMap::new();
    println!("{}", header());
    for scenario in scenarios {
        for seed in 1..=seeds {
            let o = DayOptions {
                config: config.to_path_buf(),
                db: None,
                seed,
                day: None,
                scenario: scenario.clone(),
            };
            let r = run_day_once(&o).await?;
            let b = baselines::of_day(&r);
            let day: Day = (r, b);
            let acc = accuracy(promised(&day));
            println!("{}", line(&format!("{} seed {seed}", scenario.name), &acc));
            days.entry(scenario.name).or_default().push(day);
        }
    }
    let all = |name: &str| -> Vec<Promised<'_>> {
        days.get(name)
            .map(|d| d.iter().flat_map(promised).collect())
            .unwrap_or_default()
    };
    let hour = |name: &str| days.get(name).map(|d| first_hour(d)).unwrap_or_default();
    let mut summary = Vec::new();
    for (label, tickets) in [
        ("normal, all seeds", all("normal")),
        ("busy, all seeds", all("busy")),
        ("busy, first hour", hour("busy")),
        ("cold, first hour", hour("cold")),
        ("no-clerk, all seeds", all("no-clerk")),
        ("no-clerk, first hour", hour("no-clerk")),
    ] {
        let acc = accuracy(tickets.iter().copied());
        println!("{}", line(label, &acc));
        summary.push((label, acc));
    }
    println!();
    for (label, acc) in &summary {
        let best = acc[2].mae.min(acc[3].mae);
        if label.ends_with("first hour") {
            println!("{}", ratio_line(label, acc, acc[3].mae, "<= 1.0x HOL"));
        } else {
            println!(
                "{}",
                ratio_line(
                    label,
                    acc,
                    best,
                    "steady <= 0.7x the better of LES/HOL, |bias| <= 0.5"
                )
            );
        }
    }
    let (mut before, mut finite) = (0, 0);
    for (r, _) in days.get("no-clerk").into_iter().flatten() {
        for t in before_any_window(r) {
            before += 1;
            finite += usize::from(t.estimate_s.is_some());
        }
    }
    println!(
        "no-clerk: {before} tickets issued before any window could open, {finite} with a finite estimate (goal 0)"
    );
    if let Some((r, _)) = days.get("busy").and_then(|d| d.first()) {
        println!("\nbusy days by department (all seeds):\n{}", header());
        let mut by: BTreeMap<usize, Vec<Promised<'_>>> = BTreeMap::new();
        for p in all("busy") {
            if let Some(i) = r
                .plan
                .departments
                .iter()
                .position(|d| d.id == p.0.department)
            {
                by.entry(i).or_default().push(p);
            }
        }
        for (i, ts) in by {
            println!("{}", line(&r.plan.departments[i].name, &accuracy(ts)));
        }
    }
    Ok(())
}
