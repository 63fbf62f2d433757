//! What a simulated day looks like: who comes when, how long services take, who staffs which
//! window, how citizens behave. Pure numbers; the event loop lives in `day.rs`.

use std::collections::BTreeMap;

use jiff::civil::Time;

use super::rng::Rng;
use crate::domain::plan::{Plan, WindowKind};

/// The knobs of one kind of day.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: &'static str,
    /// Share of each window group that is staffed (at least one window per group).
    pub staffed: f64,
    /// Offered load against the staffed capacity over the day (peaks go above it).
    pub load: f64,
    /// Coefficient of variation of service times (lognormal).
    pub service_cv: f64,
    /// Spread of the true per-department mean around the configured one (lognormal CV).
    pub department_spread: f64,
    /// Mean patience in minutes before a waiting citizen gives up and leaves.
    pub patience_min: f64,
    /// Share of citizens who leave soon after taking a ticket (plain no-shows).
    pub no_show: f64,
    /// Share of those who give up that cancel from the phone page instead of just leaving.
    pub cancel_on_leave: f64,
    pub green_channel: f64,
    /// Share of services at comprehensive windows that end in a transfer to a resident queue.
    pub transfer: f64,
    /// Share of finished citizens who rate the service from their phone.
    pub rate: f64,
    /// Minutes of lunch in a hall without a `[[rota]]` (one with a rota follows it).
    pub lunch_min: f64,
    /// Minutes after the usual time (8:50-9:06) that clerks sign in: a morning that starts with
    /// nobody at the windows while citizens take tickets.
    pub sign_in_delay_min: f64,
    /// Services begun before this many minutes after 9:00 are quick enquiries (咨询) of
    /// about `quick_service_s` seconds: a cold morning that starts fast (0 = none).
    pub quick_until_min: f64,
    pub quick_service_s: f64,
    /// Share of the visits to queues that take bookings that are booked ahead (预约), up to
    /// the slots' capacity; the rest walk in.
    pub booked: f64,
}

impl Scenario {
    pub fn normal() -> Scenario {
        Scenario {
            name: "normal",
            staffed: 0.85,
            load: 0.75,
            service_cv: 0.6,
            department_spread: 0.25,
            patience_min: 150.0,
            no_show: 0.03,
            cancel_on_leave: 0.3,
            green_channel: 0.04,
            transfer: 0.08,
            rate: 0.35,
            lunch_min: 60.0,
            sign_in_delay_min: 0.0,
            quick_until_min: 0.0,
            quick_service_s: 65.0,
            booked: 0.3,
        }
    }

    /// A cold morning: the first services are quick enquiries (about 65 s for the first 25
    /// minutes), then the day's real mix; measured over its first hour.
    pub fn cold() -> Scenario {
        Scenario {
            name: "cold",
            quick_until_min: 25.0,
            ..Scenario::normal()
        }
    }

    /// A day that starts with no clerk signed in: everyone 40 minutes late, citizens arriving.
    pub fn no_clerk() -> Scenario {
        Scenario {
            name: "no-clerk",
            sign_in_delay_min: 40.0,
            ..Scenario::normal()
        }
    }

    /// A busy, understaffed day: fewer windows open, more citizens than they can serve at peaks.
    pub fn busy() -> Scenario {
        Scenario {
            name: "busy",
            staffed: 0.6,
            load: 0.97,
            patience_min: 100.0,
            ..Scenario::normal()
        }
    }
}

/// Relative arrival intensity by local time of day: a morning peak, a lunch dip, an afternoon
/// peak (piecewise linear between the knots, in minutes after midnight).
const PROFILE: &[(f64, f64)] = &[
    (8.5 * 60.0, 0.6),
    (9.0 * 60.0, 1.1),
    (9.5 * 60.0, 1.7),
    (10.5 * 60.0, 1.8),
    (11.5 * 60.0, 1.1),
    (12.0 * 60.0, 0.5),
    (13.5 * 60.0, 0.45),
    (14.0 * 60.0, 1.2),
    (15.0 * 60.0, 1.4),
    (16.0 * 60.0, 0.9),
    (17.0 * 60.0, 0.4),
];

/// The intensity shape at `minute` (after local midnight).
pub fn shape(minute: f64) -> f64 {
    let first = PROFILE[0];
    if minute <= first.0 {
        return first.1;
    }
    for w in PROFILE.windows(2) {
        let ((a, ya), (b, yb)) = (w[0], w[1]);
        if minute <= b {
            return ya + (yb - ya) * (minute - a) / (b - a);
        }
    }
    PROFILE[PROFILE.len() - 1].1
}

/// The highest value of `shape` (for thinning).
pub fn shape_max() -> f64 {
    PROFILE.iter().map(|p| p.1).fold(0.0, f64::max)
}

fn minutes(t: Time) -> f64 {
    f64::from(t.hour()) * 60.0 + f64::from(t.minute())
}

/// The day's demand and service for one queue.
#[derive(Debug, Clone)]
pub struct QueueModel {
    pub id: String,
    pub department: String,
    /// Peak arrivals per minute (intensity = peak_rate * shape / shape_max).
    pub peak_rate: f64,
    /// Issuing hours in minutes after midnight.
    pub from_min: f64,
    pub to_min: f64,
    /// True mean service time in seconds (the config's guess times a department factor).
    pub service_mean_s: f64,
    pub real_name: bool,
    /// Expected arrivals over the day.
    pub expected: f64,
    /// Share of its arrivals that walk in; the rest booked ahead (`booking::plan`).
    pub walk_in_share: f64,
}

/// Which windows have a clerk today.
pub fn staff(plan: &Plan, sc: &Scenario, rng: &mut Rng) -> Vec<u32> {
    let mut groups: BTreeMap<(String, Vec<Vec<String>>), Vec<u32>> = BTreeMap::new();
    for w in &plan.windows {
        groups
            .entry((w.name.clone(), w.tiers.clone()))
            .or_default()
            .push(w.number);
    }
    let mut staffed = Vec::new();
    for numbers in groups.values() {
        let want = ((numbers.len() as f64 * sc.staffed).round() as usize).clamp(1, numbers.len());
        let mut pool = numbers.clone();
        for _ in 0..want {
            staffed.push(pool.remove(rng.below(pool.len())));
        }
    }
    staffed.sort_unstable();
    staffed
}

/// Demand per queue: the offered load against the tier-1 capacity staffed for it (a window
/// serving k queues in its first tier gives each 1/k), capped below the daily quota.
pub fn queues(plan: &Plan, staffed: &[u32], sc: &Scenario, rng: &mut Rng) -> Vec<QueueModel> {
    let mut factor: BTreeMap<&str, f64> = BTreeMap::new();
    for d in &plan.departments {
        factor.insert(&d.id, rng.lognormal(1.0, sc.department_spread));
    }
    let mean_shape = {
        let (a, b) = (9.0 * 60.0, 16.5 * 60.0);
        let n = 450;
        (0..n)
            .map(|i| shape(a + (b - a) * (f64::from(i) + 0.5) / f64::from(n)))
            .sum::<f64>()
            / f64::from(n)
    };
    plan.queues
        .iter()
        .map(|q| {
            // Window-minutes for the queue: clerks work the opening hours less their breaks
            // (the rota's, or an hour's lunch in a hall without one).
            let work_min = |n: u32| {
                let away: f64 = if plan.rota.is_empty() {
                    sc.lunch_min
                } else {
                    crate::domain::rota::of_window(plan, n)
                        .map(|a| a.len_s() as f64 / 60.0)
                        .sum()
                };
                (17.0 * 60.0 - 9.0 * 60.0) - away
            };
            let capacity_min: f64 = plan
                .windows
                .iter()
                .filter(|w| staffed.contains(&w.number))
                .filter_map(|w| {
                    let first = w.tiers.first()?;
                    first
                        .iter()
                        .any(|x| x == &q.id)
                        .then(|| work_min(w.number) / first.len() as f64)
                })
                .sum();
            let service_mean_s =
                f64::from(q.service_s) * factor.get(q.department.as_str()).copied().unwrap_or(1.0);
            let (from_min, to_min) = (minutes(q.opens), minutes(q.last_issue));
            let served = capacity_min * 60.0 / service_mean_s;
            let expected = (sc.load * served).min(0.9 * f64::from(q.daily_quota));
            let span = (to_min - from_min).max(1.0);
            let peak_rate = expected / (span * mean_shape) * shape_max();
            QueueModel {
                id: q.id.clone(),
                department: q.department.clone(),
                peak_rate,
                from_min,
                to_min,
                service_mean_s,
                real_name: q.real_name,
                expected,
                walk_in_share: 1.0,
            }
        })
        .collect()
}

/// Resident queues a comprehensive window may send a citizen on to.
pub fn transfer_targets(plan: &Plan) -> Vec<String> {
    let mut out: Vec<String> = plan
        .windows
        .iter()
        .filter(|w| w.kind == WindowKind::Resident)
        .filter_map(|w| w.tiers.first().and_then(|t| t.first()).cloned())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// An outcome for a finished service, weighted as a county hall's day.
pub fn outcome(rng: &mut Rng) -> &'static str {
    const O: &[(&str, f64)] = &[
        ("done", 0.70),
        ("promised", 0.12),
        ("supplement", 0.08),
        ("consultation", 0.06),
        ("joint", 0.02),
        ("reported", 0.01),
        ("returned", 0.01),
    ];
    let w: Vec<f64> = O.iter().map(|o| o.1).collect();
    O[rng.weighted(&w)].0
}

/// A rating level for the phone page.
pub fn rating(rng: &mut Rng) -> &'static str {
    const L: &[(&str, f64)] = &[
        ("very_satisfied", 0.72),
        ("satisfied", 0.19),
        ("basically_satisfied", 0.06),
        ("dissatisfied", 0.02),
        ("very_dissatisfied", 0.01),
    ];
    let w: Vec<f64> = L.iter().map(|o| o.1).collect();
    L[rng.weighted(&w)].0
}

/// A valid 18-digit resident ID number (三都 522732, ISO 7064 MOD 11-2 check character).
pub fn id_number(rng: &mut Rng) -> String {
    let year = 1950 + rng.below(55);
    let month = 1 + rng.below(12);
    let day = 1 + rng.below(28);
    let seq = rng.below(1000);
    let body = format!("522732{year:04}{month:02}{day:02}{seq:03}");
    let check = crate::domain::idcard::check_char(&body).expect("17 digits");
    format!("{body}{}", check as char)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_valid_and_the_profile_has_two_peaks_and_a_dip() {
        let mut r = Rng::new(3);
        for _ in 0..100 {
            let id = id_number(&mut r);
            assert!(
                crate::domain::idcard::IdNumber::parse(&id).is_some(),
                "{id}"
            );
        }
        assert!(shape(10.0 * 60.0) > shape(12.5 * 60.0));
        assert!(shape(15.0 * 60.0) > shape(12.5 * 60.0));
        assert!(shape(15.0 * 60.0) > shape(16.5 * 60.0));
    }
}
