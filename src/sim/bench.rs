//! `hallq bench estimates`: the accuracy of wait estimates on simulated days. For every ticket
//! that was called, the estimate it got at issue (hallq's `estimated_wait_s` from the issue
//! reply, and the QL, LES and HOL baselines the simulator computed at the same instant, see
//! `observe.rs`) against the wait that followed (issue to first call).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

use super::{DayOptions, DayResult, Scenario, TicketRecord, pad, run_day};

/// The estimators compared, in print order.
const NAMES: [&str; 4] = ["hallq", "QL", "LES", "HOL"];

fn estimates(t: &TicketRecord) -> [f64; 4] {
    [
        t.estimate_s,
        t.baselines.ql,
        t.baselines.les,
        t.baselines.hol,
    ]
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
}

/// Accuracy of each estimator over `tickets` (those never called are left out).
pub fn accuracy<'a>(tickets: impl IntoIterator<Item = &'a TicketRecord>) -> [Accuracy; 4] {
    let mut sums = [(0.0f64, 0.0f64, 0.0f64, 0usize); 4];
    let mut n = 0;
    for t in tickets {
        let Some(wait) = t.wait_s() else { continue };
        n += 1;
        for (i, est) in estimates(t).into_iter().enumerate() {
            let e = (est - wait) / 60.0;
            sums[i].0 += e.abs();
            sums[i].1 += e * e;
            sums[i].2 += e;
            if e < -5.0 {
                sums[i].3 += 1;
            }
        }
    }
    let d = n.max(1) as f64;
    sums.map(|(a, s, b, u)| Accuracy {
        n,
        mae: a / d,
        rmse: (s / d).sqrt(),
        bias: b / d,
        under5: u as f64 / d,
    })
}

fn line(label: &str, acc: &[Accuracy; 4]) -> String {
    let mut s = format!("{} {:>5}", pad(label, 18), acc[0].n);
    for a in acc {
        let _ = write!(
            s,
            "  {:>5.2} {:>5.2} {:>+6.2} {:>4.0}%",
            a.mae,
            a.rmse,
            a.bias,
            a.under5 * 100.0
        );
    }
    s
}

fn header() -> String {
    let mut s = format!("{} {:>5}", pad("", 18), "n");
    for n in NAMES {
        let _ = write!(s, "  {:<24}", format!("{n}: MAE RMSE bias >5m"));
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
            let (r, hall, scratch) = run_day(&o, "127.0.0.1:0").await?;
            hall.stop().await?;
            if let Some(d) = scratch {
                let _ = std::fs::remove_dir_all(d);
            }
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
