//! The hall's staffing rota (排班): when each window is scheduled away during opening hours,
//! e.g. a staggered lunch (错时午休) that keeps the hall open at noon. Built from config
//! `[[rota]]`; read by the wait estimator (a window is expected to leave and come back as
//! scheduled) and by check-config (a queue the rota leaves with no window). Pure: times of
//! day in, no clock.

use jiff::civil::Time;

use super::plan::Plan;
use super::reason::{Reason, ReasonCode};

/// One scheduled absence of one window: away from `from` until `to` (local time), for
/// `reason` (a pause code: lunch, meeting, training, away).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Away {
    pub window: u32,
    pub from: Time,
    pub to: Time,
    pub reason: ReasonCode,
}

impl Away {
    /// Its scheduled length in seconds.
    pub fn len_s(&self) -> i64 {
        self.to.duration_since(self.from).as_secs()
    }

    /// Whether a pause given `reason` (as stored: `"lunch"`, `"lunch: 食堂"`) is one of this
    /// kind.
    pub fn is_kind_of(&self, reason: Option<&str>) -> bool {
        reason
            .and_then(|r| Reason::parse(r).ok().flatten())
            .is_some_and(|r| r.code == self.reason)
    }

    /// Whether a pause of this kind begun at `since` (local time) is this break taken: begun
    /// no earlier than one break length before it starts and before it ends (a clerk who
    /// went a little early or late, not one who paused for the same reason in the morning).
    pub fn taken_by(&self, since: Time) -> bool {
        let earliest = self
            .from
            .checked_sub(self.to.duration_since(self.from))
            .unwrap_or(Time::midnight());
        earliest <= since && since < self.to
    }
}

/// The pause codes a rota may schedule.
pub const SCHEDULABLE: [ReasonCode; 4] = [
    ReasonCode::Lunch,
    ReasonCode::Meeting,
    ReasonCode::Training,
    ReasonCode::Away,
];

/// The scheduled absences of `window`, earliest first.
pub fn of_window(plan: &Plan, window: u32) -> impl Iterator<Item = &Away> {
    plan.rota.iter().filter(move |a| a.window == window)
}

/// Spans of `opens..closes` in which `rota` sends every one of `windows` (those that call a
/// queue, at any tier) away: `(from, to)`, in time order. A window the rota never sends away
/// covers the whole day.
pub fn uncovered(windows: &[u32], rota: &[Away], opens: Time, closes: Time) -> Vec<(Time, Time)> {
    // Every instant where coverage can change.
    let mut marks: Vec<Time> = vec![opens, closes];
    for a in rota.iter().filter(|a| windows.contains(&a.window)) {
        marks.extend([a.from, a.to]);
    }
    marks.retain(|t| opens <= *t && *t <= closes);
    marks.sort();
    marks.dedup();
    let away = |w: u32, t: Time| {
        rota.iter()
            .any(|a| a.window == w && a.from <= t && t < a.to)
    };
    let mut spans: Vec<(Time, Time)> = Vec::new();
    for pair in marks.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        if !windows.iter().all(|&w| away(w, a)) {
            continue;
        }
        match spans.last_mut() {
            Some(last) if last.1 == a => last.1 = b,
            _ => spans.push((a, b)),
        }
    }
    spans
}

/// check-config's warnings about the rota: every queue it leaves with no window for a while.
pub fn warnings(plan: &Plan) -> Vec<String> {
    let mut out = Vec::new();
    for q in &plan.queues {
        let windows: Vec<u32> = plan.windows_serving(&q.id).map(|w| w.number).collect();
        for (from, to) in uncovered(&windows, &plan.rota, q.opens, plan.rules.closes) {
            out.push(format!(
                "warning: [[rota]] leaves queue {:?} with no window {}-{}: citizens then wait until one is back",
                q.id,
                hhmm(from),
                hhmm(to)
            ));
        }
    }
    out
}

fn hhmm(t: Time) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(h: i8, m: i8) -> Time {
        Time::constant(h, m, 0, 0)
    }

    fn away(window: u32, from: Time, to: Time) -> Away {
        Away {
            window,
            from,
            to,
            reason: ReasonCode::Lunch,
        }
    }

    #[test]
    #[allow(clippy::type_complexity)] // case tables read best inline
    fn queues_left_with_no_window_by_the_rota() {
        let (o, c) = (t(9, 0), t(17, 0));
        // Queue "a" is called by windows 1 and 2, and by 3 as its second tier.
        let a = [1, 2, 3];
        // (rota, uncovered spans of queue "a")
        let cases: Vec<(Vec<Away>, Vec<(Time, Time)>)> = vec![
            // No rota: always covered.
            (vec![], vec![]),
            // Staggered lunch: 1 early, 2 late; 3 never away.
            (
                vec![away(1, t(11, 30), t(12, 30)), away(2, t(12, 30), t(13, 30))],
                vec![],
            ),
            // 1 and 2 early, 3 (secondary) overlapping: a hole of 12:00-12:30.
            (
                vec![
                    away(1, t(11, 30), t(12, 30)),
                    away(2, t(11, 30), t(12, 30)),
                    away(3, t(12, 0), t(13, 0)),
                ],
                vec![(t(12, 0), t(12, 30))],
            ),
            // Back to back holes merge into one span.
            (
                vec![
                    away(1, t(12, 0), t(13, 0)),
                    away(2, t(12, 0), t(12, 30)),
                    away(2, t(12, 30), t(13, 0)),
                    away(3, t(11, 0), t(14, 0)),
                ],
                vec![(t(12, 0), t(13, 0))],
            ),
        ];
        for (rota, want) in cases {
            assert_eq!(uncovered(&a, &rota, o, c), want, "{rota:?}");
        }
        // Outside opening hours nothing counts.
        let early = [away(1, t(8, 0), t(9, 30))];
        assert_eq!(uncovered(&[1], &early, o, c), vec![(t(9, 0), t(9, 30))]);
    }

    #[test]
    fn which_pause_is_the_scheduled_break() {
        let b = away(1, t(12, 0), t(13, 0));
        assert_eq!(b.len_s(), 3600);
        // (pause reason as stored, begun at, is it this break)
        let cases = [
            (Some("lunch"), t(12, 0), true),
            (Some("lunch: 食堂"), t(11, 5), true),
            (Some("lunch"), t(12, 59), true),
            (Some("lunch"), t(10, 59), false), // an hour before the hour before it
            (Some("lunch"), t(13, 0), false),  // after it ended
            (Some("meeting"), t(12, 0), false),
            (None, t(12, 0), false),
        ];
        for (reason, since, want) in cases {
            assert_eq!(
                b.is_kind_of(reason) && b.taken_by(since),
                want,
                "{reason:?} {since}"
            );
        }
    }
}
