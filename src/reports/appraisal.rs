//! The monthly staff appraisal (量化考评): per clerk, the month's work, a score made of
//! weighted components, a rank, and `excellent` for the top share (20% in the seed plan).
//!
//! Each component is worth 0-100 points:
//! - `volume`: tickets served, relative to the clerk who served most;
//! - `service_time`: expected / actual mean service time, capped at 100, where "expected" is
//!   the month's hall-wide mean service time of the queues this clerk served (so a clerk of a
//!   slow queue is not punished for the queue);
//! - `within_target`: share of the served citizens who waited no longer than the target;
//! - `satisfaction`: satisfaction rate of the clerk's ratings (the month's hall-wide rate when
//!   nobody rated the clerk; 100 when nobody rated anyone);
//! - `rating_coverage`: rated / served, capped at 100;
//! - `attendance`: signed-in time minus paused time, relative to the most present clerk.
//!
//! score = Σ weight × points / Σ weight − `bad_rating_points` × bad ratings not excused
//! (a bad rating is excused when its follow-up is closed with a result listed in
//! `excused_results`) − `over_target_points` × percent of waits over target, never below 0,
//! rounded to 2 decimals.
//!
//! Who is ranked: clerks (role clerk) who finished at least one ticket in the month. The
//! relative components (volume, attendance) compare only them. Everyone else who worked at a
//! window is listed apart (`unranked`) with why: a manager covering a window, a clerk who served
//! nobody.
//!
//! Rank: score descending; ties broken by more tickets served, then higher satisfaction rate,
//! then username (alphabetical), so ranks are distinct and exactly ceil(n × share) clerks are
//! excellent.

use std::collections::HashMap;

use serde::Serialize;

use super::round4;

/// Exported columns, in order.
pub const COLUMNS: &[&str] = &[
    "rank",
    "username",
    "name",
    "score",
    "excellent",
    "served",
    "service_mean_s",
    "service_vs_expected",
    "over_target_share",
    "no_show",
    "transferred",
    "signed_in_s",
    "pause_s",
    "rated",
    "rating_coverage",
    "satisfaction_rate",
    "bad_ratings",
    "bad_open",
    "bad_closed",
    "bad_excused",
    "penalty",
    "over_target_penalty",
    "points_volume",
    "points_service_time",
    "points_within_target",
    "points_satisfaction",
    "points_rating_coverage",
    "points_attendance",
    "unranked",
];

pub use crate::domain::policy::Weights;

/// One clerk's month, as measured.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClerkMonth {
    pub username: String,
    pub name: String,
    /// A window clerk's account (role clerk, or an account no longer known); false for a
    /// manager or admin who covered a window.
    pub clerk: bool,
    pub served: u64,
    pub service_mean_s: Option<u32>,
    /// Mean service time of the same queues over the whole hall this month.
    pub expected_service_s: Option<u32>,
    /// Served tickets that were called (have a wait).
    pub waits: u64,
    pub over_target: u64,
    pub no_show: u64,
    pub transferred: u64,
    pub signed_in_s: u64,
    pub pause_s: u64,
    pub rated: u64,
    pub satisfied: u64,
    pub bad_ratings: u64,
    /// Bad ratings whose follow-up is not closed (or was never opened).
    pub bad_open: u64,
    pub bad_closed: u64,
    /// Closed with a result listed in `excused_results`.
    pub bad_excused: u64,
}

/// One part of a score.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Component {
    #[schema(value_type = String)]
    pub name: &'static str,
    /// The measure it is made from (a count, a ratio or seconds).
    pub value: Option<f64>,
    /// 0-100.
    pub points: f64,
    pub weight: u32,
}

/// A clerk's line of the appraisal.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AppraisalRow {
    pub rank: u32,
    pub username: String,
    pub name: String,
    pub score: f64,
    pub excellent: bool,
    pub served: u64,
    pub service_mean_s: Option<u32>,
    pub expected_service_s: Option<u32>,
    /// actual / expected mean service time.
    pub service_vs_expected: Option<f64>,
    pub over_target: u64,
    pub over_target_share: Option<f64>,
    pub no_show: u64,
    pub transferred: u64,
    pub signed_in_s: u64,
    pub pause_s: u64,
    pub rated: u64,
    pub rating_coverage: Option<f64>,
    pub satisfaction_rate: Option<f64>,
    pub bad_ratings: u64,
    pub bad_open: u64,
    pub bad_closed: u64,
    pub bad_excused: u64,
    /// Points taken off for bad ratings.
    pub penalty: f64,
    /// Points taken off for waits over target (`over_target_points`).
    pub over_target_penalty: f64,
    pub components: Vec<Component>,
    /// Each component's points as columns of the exports.
    #[serde(flatten)]
    pub points: Points,
}

/// The components' points (0-100), one field each, for the exports' breakdown columns.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Points {
    pub points_volume: f64,
    pub points_service_time: f64,
    pub points_within_target: f64,
    pub points_satisfaction: f64,
    pub points_rating_coverage: f64,
    pub points_attendance: f64,
}

impl Points {
    fn of(components: &[Component]) -> Points {
        let p = |name: &str| {
            components
                .iter()
                .find(|c| c.name == name)
                .map_or(0.0, |c| c.points)
        };
        Points {
            points_volume: p("volume"),
            points_service_time: p("service_time"),
            points_within_target: p("within_target"),
            points_satisfaction: p("satisfaction"),
            points_rating_coverage: p("rating_coverage"),
            points_attendance: p("attendance"),
        }
    }
}

/// Someone who worked at a window in the month but is not ranked, and why.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Unranked {
    pub username: String,
    pub name: String,
    /// `no_service` (finished no ticket) or `not_a_clerk` (a manager or admin covering).
    pub reason: String,
    pub served: u64,
    pub no_show: u64,
    pub transferred: u64,
    pub signed_in_s: u64,
    pub pause_s: u64,
}

/// The ranked clerks' month added up.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Total {
    pub served: u64,
    pub over_target: u64,
    pub over_target_share: Option<f64>,
    pub no_show: u64,
    pub transferred: u64,
    pub signed_in_s: u64,
    pub pause_s: u64,
    pub rated: u64,
    pub rating_coverage: Option<f64>,
    pub satisfaction_rate: Option<f64>,
    pub bad_ratings: u64,
    pub bad_open: u64,
    pub bad_closed: u64,
    pub bad_excused: u64,
}

/// The sums of `clerks`.
pub fn total(clerks: &[ClerkMonth]) -> Total {
    let sum = |f: fn(&ClerkMonth) -> u64| clerks.iter().map(f).sum::<u64>();
    let (served, rated, waits, over) = (
        sum(|c| c.served),
        sum(|c| c.rated),
        sum(|c| c.waits),
        sum(|c| c.over_target),
    );
    Total {
        served,
        over_target: over,
        over_target_share: ratio(over, waits).map(round4),
        no_show: sum(|c| c.no_show),
        transferred: sum(|c| c.transferred),
        signed_in_s: sum(|c| c.signed_in_s),
        pause_s: sum(|c| c.pause_s),
        rated,
        rating_coverage: ratio(rated, served).map(round4),
        satisfaction_rate: ratio(sum(|c| c.satisfied), rated).map(round4),
        bad_ratings: sum(|c| c.bad_ratings),
        bad_open: sum(|c| c.bad_open),
        bad_closed: sum(|c| c.bad_closed),
        bad_excused: sum(|c| c.bad_excused),
    }
}

/// Split the month's people into those ranked (clerks with service) and the rest.
pub fn ranked_and_not(people: Vec<ClerkMonth>) -> (Vec<ClerkMonth>, Vec<Unranked>) {
    let (ranked, rest): (Vec<_>, Vec<_>) =
        people.into_iter().partition(|c| c.clerk && c.served > 0);
    let rest = rest
        .into_iter()
        .map(|c| Unranked {
            reason: if c.clerk { "no_service" } else { "not_a_clerk" }.into(),
            username: c.username,
            name: c.name,
            served: c.served,
            no_show: c.no_show,
            transferred: c.transferred,
            signed_in_s: c.signed_in_s,
            pause_s: c.pause_s,
        })
        .collect();
    (ranked, rest)
}

/// The month's appraisal.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Appraisal {
    pub month: String,
    pub from: String,
    pub to: String,
    pub wait_target_s: u32,
    pub weights: Weights,
    pub excellent_count: usize,
    /// Ranked clerks, best first.
    pub rows: Vec<AppraisalRow>,
    /// The ranked clerks added up.
    pub total: Total,
    /// Who worked at a window but is not ranked.
    pub unranked: Vec<Unranked>,
}

/// How many of `n` clerks are excellent: ceil(n × percent / 100).
pub fn excellent_count(n: usize, percent: u32) -> usize {
    (n * percent as usize).div_ceil(100)
}

fn ratio(a: u64, b: u64) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Score, rank and flag every clerk.
pub fn appraise(clerks: Vec<ClerkMonth>, w: &Weights) -> Vec<AppraisalRow> {
    let max_served = clerks.iter().map(|c| c.served).max().unwrap_or(0);
    let present = |c: &ClerkMonth| c.signed_in_s.saturating_sub(c.pause_s);
    let max_present = clerks.iter().map(present).max().unwrap_or(0);
    let (all_rated, all_satisfied) = clerks
        .iter()
        .fold((0, 0), |(r, s), c| (r + c.rated, s + c.satisfied));
    let hall_rate = ratio(all_satisfied, all_rated).unwrap_or(1.0);
    let weight_sum = f64::from(
        w.volume
            + w.service_time
            + w.within_target
            + w.satisfaction
            + w.rating_coverage
            + w.attendance,
    );
    let mut rows: Vec<AppraisalRow> = clerks
        .into_iter()
        .map(|c| {
            let vs_expected = match (c.service_mean_s, c.expected_service_s) {
                (Some(a), Some(e)) if e > 0 => Some(f64::from(a) / f64::from(e)),
                _ => None,
            };
            let over_share = ratio(c.over_target, c.waits);
            let coverage = ratio(c.rated, c.served);
            let rate = ratio(c.satisfied, c.rated);
            let components = vec![
                Component {
                    name: "volume",
                    value: Some(c.served as f64),
                    points: ratio(c.served, max_served).map_or(0.0, |r| r * 100.0),
                    weight: w.volume,
                },
                Component {
                    name: "service_time",
                    value: vs_expected.map(round4),
                    points: match vs_expected {
                        Some(v) if v > 0.0 => (100.0 / v).min(100.0),
                        Some(_) => 100.0,
                        None => 0.0,
                    },
                    weight: w.service_time,
                },
                Component {
                    name: "within_target",
                    value: over_share.map(round4),
                    points: over_share.map_or(0.0, |s| (1.0 - s) * 100.0),
                    weight: w.within_target,
                },
                Component {
                    name: "satisfaction",
                    value: rate.map(round4),
                    points: rate.unwrap_or(hall_rate) * 100.0,
                    weight: w.satisfaction,
                },
                Component {
                    name: "rating_coverage",
                    value: coverage.map(round4),
                    points: coverage.map_or(0.0, |r| r.min(1.0) * 100.0),
                    weight: w.rating_coverage,
                },
                Component {
                    name: "attendance",
                    value: Some(present(&c) as f64),
                    points: ratio(present(&c), max_present).map_or(0.0, |r| r * 100.0),
                    weight: w.attendance,
                },
            ];
            let components: Vec<Component> = components
                .into_iter()
                .map(|mut x| {
                    x.points = round2(x.points);
                    x
                })
                .collect();
            let weighted = if weight_sum > 0.0 {
                components
                    .iter()
                    .map(|x| f64::from(x.weight) * x.points)
                    .sum::<f64>()
                    / weight_sum
            } else {
                0.0
            };
            let penalty =
                w.bad_rating_points * (c.bad_ratings - c.bad_excused.min(c.bad_ratings)) as f64;
            let over_target_penalty =
                round2(w.over_target_points * over_share.map_or(0.0, |s| round4(s) * 100.0));
            AppraisalRow {
                rank: 0,
                score: round2((weighted - penalty - over_target_penalty).max(0.0)),
                excellent: false,
                served: c.served,
                service_mean_s: c.service_mean_s,
                expected_service_s: c.expected_service_s,
                service_vs_expected: vs_expected.map(round4),
                over_target: c.over_target,
                over_target_share: over_share.map(round4),
                no_show: c.no_show,
                transferred: c.transferred,
                signed_in_s: c.signed_in_s,
                pause_s: c.pause_s,
                rated: c.rated,
                rating_coverage: coverage.map(round4),
                satisfaction_rate: rate.map(round4),
                bad_ratings: c.bad_ratings,
                bad_open: c.bad_open,
                bad_closed: c.bad_closed,
                bad_excused: c.bad_excused,
                penalty: round2(penalty),
                over_target_penalty,
                points: Points::of(&components),
                components,
                username: c.username,
                name: c.name,
            }
        })
        .collect();
    rank(&mut rows, w.excellent_percent);
    rows
}

/// Order by score (ties: served, satisfaction rate, username), number from 1, flag the top.
pub fn rank(rows: &mut [AppraisalRow], excellent_percent: u32) {
    rows.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(b.served.cmp(&a.served))
            .then(
                b.satisfaction_rate
                    .unwrap_or(-1.0)
                    .total_cmp(&a.satisfaction_rate.unwrap_or(-1.0)),
            )
            .then(a.username.cmp(&b.username))
    });
    let top = excellent_count(rows.len(), excellent_percent);
    for (i, r) in rows.iter_mut().enumerate() {
        r.rank = i as u32 + 1;
        r.excellent = i < top;
    }
}

/// Per-queue service-time means, to weigh a clerk's mix of queues.
#[derive(Debug, Default)]
pub struct QueueMeans {
    sums: HashMap<String, (u64, u64)>,
}

impl QueueMeans {
    pub fn add(&mut self, queue: &str, service_s: u32) {
        if let Some(e) = self.sums.get_mut(queue) {
            e.0 += u64::from(service_s);
            e.1 += 1;
        } else {
            self.sums
                .insert(queue.to_string(), (u64::from(service_s), 1));
        }
    }

    /// The expected mean for a mix of `(queue, tickets)`.
    pub fn expected(&self, mix: &HashMap<String, u64>) -> Option<u32> {
        let (mut sum, mut n) = (0.0, 0u64);
        for (q, count) in mix {
            if let Some((s, c)) = self.sums.get(q).filter(|(_, c)| *c > 0) {
                sum += *s as f64 / *c as f64 * *count as f64;
                n += count;
            }
        }
        (n > 0).then(|| (sum / n as f64).round() as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clerk(name: &str, served: u64) -> ClerkMonth {
        ClerkMonth {
            username: name.into(),
            name: name.into(),
            clerk: true,
            served,
            service_mean_s: Some(600),
            expected_service_s: Some(600),
            waits: served,
            signed_in_s: 8 * 3600,
            ..Default::default()
        }
    }

    #[test]
    fn top_twenty_percent_is_the_ceiling() {
        for (n, top) in [(0, 0), (1, 1), (4, 1), (5, 1), (6, 2), (10, 2), (11, 3)] {
            assert_eq!(excellent_count(n, 20), top, "{n} clerks");
            let rows = appraise(
                (0..n)
                    .map(|i| clerk(&format!("c{i:02}"), 10 + i as u64))
                    .collect(),
                &Weights::default(),
            );
            assert_eq!(rows.iter().filter(|r| r.excellent).count(), top);
            let ranks: Vec<u32> = rows.iter().map(|r| r.rank).collect();
            assert_eq!(ranks, (1..=n as u32).collect::<Vec<_>>());
            if n > 0 {
                // The busiest clerk (all else equal) ranks first.
                assert_eq!(rows[0].username, format!("c{:02}", n - 1));
            }
        }
    }

    #[test]
    fn ties_break_by_served_then_satisfaction_then_username() {
        let w = Weights {
            volume: 0,
            service_time: 0,
            within_target: 0,
            satisfaction: 0,
            rating_coverage: 0,
            attendance: 1,
            ..Weights::default()
        };
        // Same attendance, so the same score for all.
        let mut a = clerk("a", 10);
        let mut b = clerk("b", 10);
        let c = clerk("c", 12);
        let d = clerk("d", 10);
        a.rated = 2;
        a.satisfied = 1;
        b.rated = 2;
        b.satisfied = 2;
        let rows = appraise(vec![d, a, b, c], &w);
        assert!(rows.iter().all(|r| r.score == 100.0));
        let order: Vec<&str> = rows.iter().map(|r| r.username.as_str()).collect();
        // c served most; b beats a on satisfaction; d (unrated) after them.
        assert_eq!(order, ["c", "b", "a", "d"]);
        assert!(rows[0].excellent && !rows[1].excellent);
    }

    #[test]
    fn score_is_the_weighted_mean_minus_penalties() {
        let w = Weights::default();
        let mut a = clerk("a", 100);
        a.over_target = 25; // 75 points
        a.rated = 50; // coverage 50 points
        a.satisfied = 45; // 90 points
        a.bad_ratings = 3;
        a.bad_excused = 1; // 2 count: -10
        a.service_mean_s = Some(750); // expected 600: 80 points
        let mut b = clerk("b", 50); // volume 50
        b.signed_in_s = 4 * 3600;
        b.pause_s = 3600; // present 3 h of a's 8 h: 37.5
        let rows = appraise(vec![a, b], &w);
        let a = rows.iter().find(|r| r.username == "a").expect("a");
        let points: Vec<f64> = a.components.iter().map(|c| c.points).collect();
        assert_eq!(points, [100.0, 80.0, 75.0, 90.0, 50.0, 100.0]);
        let expected =
            (30.0 * 100.0 + 15.0 * 80.0 + 15.0 * 75.0 + 25.0 * 90.0 + 5.0 * 50.0 + 10.0 * 100.0)
                / 100.0
                - 10.0;
        assert_eq!(a.score, round2(expected));
        assert_eq!(a.penalty, 10.0);
        let b = rows.iter().find(|r| r.username == "b").expect("b");
        assert_eq!(b.components[0].points, 50.0);
        assert_eq!(b.components[5].points, 37.5);
        // b has no ratings: satisfaction falls back to the hall-wide rate (45/50).
        assert_eq!(b.components[3].points, 90.0);
        assert_eq!(b.satisfaction_rate, None);
    }

    #[test]
    fn score_never_goes_below_zero() {
        let mut a = clerk("a", 1);
        a.bad_ratings = 100;
        let rows = appraise(vec![a], &Weights::default());
        assert_eq!(rows[0].score, 0.0);
        assert_eq!(rows[0].penalty, 500.0);
    }

    #[test]
    fn expected_service_weighs_the_queue_mix() {
        let mut m = QueueMeans::default();
        m.add("slow", 1200);
        m.add("slow", 1000);
        m.add("fast", 300);
        let mix = HashMap::from([("slow".to_string(), 1), ("fast".to_string(), 3)]);
        // (1100 + 3 * 300) / 4
        assert_eq!(m.expected(&mix), Some(500));
        assert_eq!(m.expected(&HashMap::new()), None);
    }

    #[test]
    fn only_clerks_with_service_are_ranked() {
        let mut boss = clerk("boss", 0);
        boss.clerk = false;
        boss.signed_in_s = 60;
        let mut covering = clerk("cover", 2);
        covering.clerk = false;
        let idle = clerk("idle", 0);
        let (ranked, rest) =
            ranked_and_not(vec![clerk("a", 10), boss, covering, idle, clerk("b", 5)]);
        let names: Vec<&str> = ranked.iter().map(|c| c.username.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        let why: Vec<(&str, &str)> = rest
            .iter()
            .map(|u| (u.username.as_str(), u.reason.as_str()))
            .collect();
        assert_eq!(
            why,
            [
                ("boss", "not_a_clerk"),
                ("cover", "not_a_clerk"),
                ("idle", "no_service")
            ]
        );
        let t = total(&ranked);
        assert_eq!((t.served, t.signed_in_s), (15, 16 * 3600));
    }

    /// Clerks with 63-65% of waits over target came out 优秀 on volume alone; with
    /// `over_target_points` the hall makes the share count.
    #[test]
    fn over_target_points_weigh_long_waits() {
        let mut fast = clerk("fast", 100);
        fast.over_target = 64; // 64% over target
        let mut steady = clerk("steady", 70);
        steady.over_target = 7; // 10%
        let people = || {
            vec![
                fast.clone(),
                steady.clone(),
                clerk("c", 10),
                clerk("d", 10),
                clerk("e", 10),
            ]
        };
        let rows = appraise(people(), &Weights::default());
        assert_eq!(rows[0].username, "fast");
        assert!(rows[0].excellent);
        let fast_row = rows.iter().find(|r| r.username == "fast").expect("fast");
        assert_eq!(fast_row.points.points_within_target, 36.0);
        assert_eq!(fast_row.over_target_penalty, 0.0);
        let w = Weights {
            over_target_points: 0.5,
            ..Weights::default()
        };
        let rows = appraise(people(), &w);
        let fast_row = rows.iter().find(|r| r.username == "fast").expect("fast");
        assert_eq!(fast_row.over_target_penalty, 32.0);
        assert_eq!(rows[0].username, "steady");
        assert!(!fast_row.excellent);
        // The breakdown adds up: weighted points − penalties = score.
        let weighted: f64 = fast_row
            .components
            .iter()
            .map(|c| f64::from(c.weight) * c.points)
            .sum::<f64>()
            / 100.0;
        assert_eq!(fast_row.score, round2(weighted - 32.0));
    }
}
