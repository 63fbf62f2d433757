//! `hallq-bench estimates`: the accuracy of wait estimates on simulated days. For every ticket
//! that was called, the estimate it got at issue (hallq's `estimated_wait_s` from the issue
//! reply, and the QL, LES and HOL baselines the simulator computed at the same instant, see
//! `observe.rs`) against the wait that followed (issue to first call).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

use hallq::sim::{DayOptions, DayResult, Scenario, TicketRecord, pad, run_day_once};

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

/// `hallq-bench estimates`.
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
