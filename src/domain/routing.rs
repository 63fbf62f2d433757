//! Who is called next at a window, and why (DOMAIN.md "Who is called next at window W").
//!
//! Candidates are today's waiting tickets whose queue the window serves, or that were
//! transferred to it. Order: (1) transferred to this window; (2) the window's queue tier: a
//! lower tier is reached only when no ticket of a higher tier waits; (3) inside that tier the
//! priority class (green channel first, then checked-in appointments whose slot has begun,
//! both kept from starving ordinary tickets of the same tier by a ratio per class, except that
//! an appointment owed a call for `due_ms` is never held back by it: `CallingRules`); (4) the
//! ticket's place in its queue (issue time, or where a transfer put it; for a begun
//! appointment the later of slot start and check-in); (5) number. So a green-channel citizen
//! of another department waits for that department's own windows: priority never pulls a
//! window away from its own tier.

use super::event::CallReason;
use super::plan::WindowPlan;
use super::ticket::{Priority, Ticket, TicketId};

/// How priority classes share a window with the ordinary tickets of the same tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CallingRules {
    /// Priority calls in a row a window may make while ordinary tickets of the tier wait, when
    /// the next in line is green channel (0 = no limit).
    pub green_ratio: u32,
    /// The same when the next in line is an appointment (0 = no limit).
    pub appointment_ratio: u32,
    /// A begun appointment owed a call for this long (ms, from the later of its slot start and
    /// its check-in: its `queue_key`) is called even on the ratio's ordinary turn, so that
    /// the ratio never makes a booking late (0 = off).
    pub appointment_due_ms: i64,
}

impl CallingRules {
    /// The rules with one ratio for both classes and no due rule (the tests' plain hall).
    #[cfg(test)]
    pub fn ratio(ratio: u32) -> CallingRules {
        CallingRules {
            green_ratio: ratio,
            appointment_ratio: ratio,
            appointment_due_ms: 0,
        }
    }

    fn limit(&self, p: Priority) -> u32 {
        match p {
            Priority::Appointment => self.appointment_ratio,
            _ => self.green_ratio,
        }
    }

    /// Whether appointment `c` has waited long enough to pass the ratio at `now_ms`.
    fn due(&self, c: &Candidate<'_>, now_ms: i64) -> bool {
        self.appointment_due_ms > 0 && now_ms.saturating_sub(c.queue_key) >= self.appointment_due_ms
    }
}

/// What the router needs to know about one waiting ticket.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    pub id: TicketId,
    pub queue: &'a str,
    pub priority: Priority,
    pub target_window: Option<u32>,
    pub queue_key: i64,
    pub seq_no: u32,
}

impl<'a> From<&'a Ticket> for Candidate<'a> {
    fn from(t: &'a Ticket) -> Self {
        Candidate {
            id: t.id,
            queue: &t.queue,
            priority: t.priority,
            target_window: t.target_window,
            queue_key: t.queue_key,
            seq_no: t.seq_no,
        }
    }
}

/// Whether window `w` may call this ticket at all.
pub fn callable_at(w: &WindowPlan, c: &Candidate<'_>) -> bool {
    match c.target_window {
        Some(n) => n == w.number,
        None => w.tier_of(c.queue).is_some(),
    }
}

/// The rank of a ticket's priority class inside its tier among the classes called ahead of
/// ordinary tickets (and so counted by the anti-starvation ratio); `None` for ordinary.
///
/// The green channel comes first, then a checked-in appointment whose slot has begun
/// (DOMAIN.md; the hall presents one whose slot has not begun as `Normal`), then walk-ins.
fn priority_rank(p: Priority) -> Option<u8> {
    match p {
        Priority::GreenChannel => Some(0),
        Priority::Appointment => Some(1),
        Priority::Normal => None,
    }
}

/// The best candidates of one tier: the first priority ticket, the first appointment and the
/// first ordinary one.
#[derive(Default, Clone, Copy)]
struct TierBest<'a> {
    priority: Option<Candidate<'a>>,
    appointment: Option<Candidate<'a>>,
    ordinary: Option<Candidate<'a>>,
}

fn place(c: &Candidate<'_>) -> (i64, u32, TicketId) {
    (c.queue_key, c.seq_no, c.id)
}

fn keep_first<'a>(slot: &mut Option<Candidate<'a>>, c: Candidate<'a>) {
    if slot.is_none_or(|b| place(&c) < place(&b)) {
        *slot = Some(c);
    }
}

/// The ticket to call next at `w`, with the reason, or `None` when nobody waits for it.
///
/// `green_streak` is how many priority tickets (green channel or appointment) this window
/// called in a row; `rules` how many it may call in a row while ordinary tickets of the same
/// tier wait, and when an appointment passes that limit; `now_ms` the hall clock.
pub fn choose_next<'a, I>(
    w: &WindowPlan,
    green_streak: u32,
    rules: &CallingRules,
    now_ms: i64,
    tickets: I,
) -> Option<(TicketId, CallReason)>
where
    I: IntoIterator<Item = Candidate<'a>>,
{
    let mut transferred: Option<Candidate<'_>> = None;
    let mut tiers: Vec<TierBest<'_>> = vec![TierBest::default(); w.tiers.len()];
    // The first ticket (any class) of each tier, to tell `Tier` from `Oldest`.
    let mut first_of: Vec<Option<Candidate<'_>>> = vec![None; w.tiers.len()];

    for c in tickets.into_iter().filter(|c| callable_at(w, c)) {
        if c.target_window == Some(w.number) {
            keep_first(&mut transferred, c);
            continue;
        }
        let Some(tier) = w.tier_of(c.queue) else {
            continue;
        };
        let best = &mut tiers[tier];
        if c.priority == Priority::Appointment {
            keep_first(&mut best.appointment, c);
        }
        if let Some(rank) = priority_rank(c.priority) {
            if best.priority.is_none_or(|b| {
                (rank, place(&c)) < (priority_rank(b.priority).unwrap_or(rank), place(&b))
            }) {
                best.priority = Some(c);
            }
        } else {
            keep_first(&mut best.ordinary, c);
        }
        keep_first(&mut first_of[tier], c);
    }

    if let Some(t) = transferred {
        return Some((t.id, CallReason::Transferred));
    }
    let tier = tiers
        .iter()
        .position(|b| b.priority.is_some() || b.ordinary.is_some())?;
    let best = tiers[tier];
    match (best.priority, best.ordinary) {
        (Some(p), Some(o))
            if rules.limit(p.priority) > 0 && green_streak >= rules.limit(p.priority) =>
        {
            // The ordinary turn, unless an appointment's call is due (it is owed longest).
            match best.appointment.filter(|a| rules.due(a, now_ms)) {
                Some(a) => Some((a.id, CallReason::Appointment)),
                None => Some((o.id, CallReason::Fairness)),
            }
        }
        (Some(p), _) => {
            let reason = match p.priority {
                Priority::Appointment => CallReason::Appointment,
                _ => CallReason::GreenChannel,
            };
            Some((p.id, reason))
        }
        (None, Some(o)) => {
            // `Tier` when an older ticket of a lower tier was passed over for this one.
            let passed_over = first_of[tier + 1..]
                .iter()
                .flatten()
                .any(|l| place(l) < place(&o));
            let reason = if passed_over {
                CallReason::Tier
            } else {
                CallReason::Oldest
            };
            Some((o.id, reason))
        }
        (None, None) => None,
    }
}

/// The window's green streak after calling a ticket of `priority` for `reason`.
pub fn next_green_streak(streak: u32, priority: Priority, reason: CallReason) -> u32 {
    match (reason, priority) {
        (CallReason::GreenChannel | CallReason::Appointment, _) => streak + 1,
        // Transfers, call-backs and specific calls do not count either way.
        (CallReason::Transferred | CallReason::CallBack | CallReason::Specific, _) => streak,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::plan::WindowKind;

    fn window(tiers: &[&[&str]]) -> WindowPlan {
        WindowPlan {
            number: 5,
            name: "五号".into(),
            kind: WindowKind::Resident,
            zone: "A".into(),
            tiers: tiers
                .iter()
                .map(|t| t.iter().map(|q| q.to_string()).collect())
                .collect(),
        }
    }

    fn c(
        id: i64,
        queue: &'static str,
        green: bool,
        target: Option<u32>,
        key: i64,
    ) -> Candidate<'static> {
        Candidate {
            id: TicketId(id),
            queue,
            priority: if green {
                Priority::GreenChannel
            } else {
                Priority::Normal
            },
            target_window: target,
            queue_key: key,
            seq_no: id as u32,
        }
    }

    #[test]
    fn routing_rules() {
        let w = window(&[&["a", "b"], &["c"]]);
        // (name, streak, ratio, candidates, expected)
        type Case = (
            &'static str,
            u32,
            u32,
            Vec<Candidate<'static>>,
            Option<(i64, CallReason)>,
        );
        let cases: Vec<Case> = vec![
            ("nobody waits", 0, 3, vec![], None),
            (
                "other queue only",
                0,
                3,
                vec![c(1, "x", false, None, 1)],
                None,
            ),
            (
                "oldest in tier 1",
                0,
                3,
                vec![c(1, "a", false, None, 20), c(2, "b", false, None, 10)],
                Some((2, CallReason::Oldest)),
            ),
            (
                "tier beats age",
                0,
                3,
                vec![c(1, "c", false, None, 1), c(2, "a", false, None, 50)],
                Some((2, CallReason::Tier)),
            ),
            (
                "lower tier when upper is empty",
                0,
                3,
                vec![c(1, "c", false, None, 1)],
                Some((1, CallReason::Oldest)),
            ),
            (
                "green first",
                0,
                3,
                vec![c(1, "a", false, None, 1), c(2, "b", true, None, 9)],
                Some((2, CallReason::GreenChannel)),
            ),
            (
                "green of a lower tier waits while the window's tier has tickets",
                0,
                3,
                vec![c(1, "a", false, None, 9), c(2, "c", true, None, 1)],
                Some((1, CallReason::Tier)),
            ),
            (
                "green of a lower tier first once the upper tier is empty",
                0,
                3,
                vec![c(1, "c", false, None, 1), c(2, "c", true, None, 9)],
                Some((2, CallReason::GreenChannel)),
            ),
            (
                "ratio counts inside the tier: only lower-tier ordinary waits",
                3,
                3,
                vec![c(1, "c", false, None, 1), c(2, "b", true, None, 9)],
                Some((2, CallReason::GreenChannel)),
            ),
            (
                "ratio reached in the lower tier",
                3,
                3,
                vec![c(1, "c", false, None, 5), c(2, "c", true, None, 1)],
                Some((1, CallReason::Fairness)),
            ),
            (
                "ratio reached: an ordinary one",
                3,
                3,
                vec![c(1, "a", false, None, 5), c(2, "b", true, None, 1)],
                Some((1, CallReason::Fairness)),
            ),
            (
                "ratio reached but only green waits",
                3,
                3,
                vec![c(2, "b", true, None, 1)],
                Some((2, CallReason::GreenChannel)),
            ),
            (
                "ratio 0 means green always first",
                9,
                0,
                vec![c(1, "a", false, None, 5), c(2, "b", true, None, 7)],
                Some((2, CallReason::GreenChannel)),
            ),
            (
                "transferred to this window beats green",
                0,
                3,
                vec![c(1, "a", true, None, 1), c(2, "x", false, Some(5), 99)],
                Some((2, CallReason::Transferred)),
            ),
            (
                "transferred to another window is not ours",
                0,
                3,
                vec![c(1, "a", false, Some(6), 1), c(2, "a", false, None, 99)],
                Some((2, CallReason::Oldest)),
            ),
            (
                "same key: lower number",
                0,
                3,
                vec![c(3, "a", false, None, 5), c(2, "b", false, None, 5)],
                Some((2, CallReason::Oldest)),
            ),
            (
                "front transfer (negative key) beats older",
                0,
                3,
                vec![c(1, "a", false, None, 100), c(2, "a", false, None, -5)],
                Some((2, CallReason::Oldest)),
            ),
        ];
        for (name, streak, ratio, cands, want) in cases {
            let got = choose_next(&w, streak, &CallingRules::ratio(ratio), 0, cands)
                .map(|(id, r)| (id.0, r));
            assert_eq!(got, want, "{name}");
        }
    }

    fn appt(id: i64, queue: &'static str, key: i64) -> Candidate<'static> {
        Candidate {
            priority: Priority::Appointment,
            ..c(id, queue, false, None, key)
        }
    }

    #[test]
    fn appointments_after_green_before_walk_ins_under_the_ratio() {
        let w = window(&[&["a", "b"], &["c"]]);
        type Case = (
            &'static str,
            u32,
            Vec<Candidate<'static>>,
            Option<(i64, CallReason)>,
        );
        let cases: Vec<Case> = vec![
            (
                "appointment before an older walk-in",
                0,
                vec![c(1, "a", false, None, 1), appt(2, "a", 50)],
                Some((2, CallReason::Appointment)),
            ),
            (
                "green before appointment",
                0,
                vec![appt(1, "a", 1), c(2, "b", true, None, 50)],
                Some((2, CallReason::GreenChannel)),
            ),
            (
                "ratio reached: a walk-in",
                3,
                vec![c(1, "a", false, None, 9), appt(2, "a", 1)],
                Some((1, CallReason::Fairness)),
            ),
            (
                "ratio reached but only appointments wait",
                3,
                vec![appt(2, "a", 1)],
                Some((2, CallReason::Appointment)),
            ),
            (
                "older appointment first",
                0,
                vec![appt(3, "a", 9), appt(4, "b", 2)],
                Some((4, CallReason::Appointment)),
            ),
        ];
        for (name, streak, cands, want) in cases {
            let got =
                choose_next(&w, streak, &CallingRules::ratio(3), 0, cands).map(|(id, r)| (id.0, r));
            assert_eq!(got, want, "{name}");
        }
        assert_eq!(
            next_green_streak(1, Priority::Appointment, CallReason::Appointment),
            2,
            "appointment calls count toward the same ratio"
        );
    }

    #[test]
    fn a_due_appointment_passes_the_ratio_and_each_class_has_its_own() {
        let w = window(&[&["a", "b"], &["c"]]);
        let min = 60_000;
        // Due after 5 minutes; appointments may take 2 calls in a row, green channel 3.
        let rules = CallingRules {
            green_ratio: 3,
            appointment_ratio: 2,
            appointment_due_ms: 5 * min,
        };
        let now = 100 * min;
        // (name, streak, candidates, expected): keys are ms, an appointment's key is when it
        // is owed a call from (the later of slot start and check-in).
        type Case = (
            &'static str,
            u32,
            Vec<Candidate<'static>>,
            Option<(i64, CallReason)>,
        );
        let cases: Vec<Case> = vec![
            (
                "appointment ratio reached, appointment owed 4 min: the walk-in's turn",
                2,
                vec![c(1, "a", false, None, 10 * min), appt(2, "a", 96 * min)],
                Some((1, CallReason::Fairness)),
            ),
            (
                "appointment ratio reached, appointment owed 5 min: due, it goes first",
                2,
                vec![c(1, "a", false, None, 10 * min), appt(2, "a", 95 * min)],
                Some((2, CallReason::Appointment)),
            ),
            (
                "the one owed longest is the due one",
                5,
                vec![
                    c(1, "a", false, None, 10 * min),
                    appt(2, "a", 99 * min),
                    appt(3, "b", 90 * min),
                ],
                Some((3, CallReason::Appointment)),
            ),
            (
                "green's own ratio: streak 2 still calls green",
                2,
                vec![
                    c(1, "a", false, None, 10 * min),
                    c(2, "a", true, None, 50 * min),
                ],
                Some((2, CallReason::GreenChannel)),
            ),
            (
                "green ratio reached: a due appointment takes the ordinary turn",
                3,
                vec![
                    c(1, "a", false, None, 10 * min),
                    c(2, "a", true, None, 50 * min),
                    appt(3, "a", 80 * min),
                ],
                Some((3, CallReason::Appointment)),
            ),
            (
                "green ratio reached, appointment not due: the walk-in",
                3,
                vec![
                    c(1, "a", false, None, 10 * min),
                    c(2, "a", true, None, 50 * min),
                    appt(3, "a", 98 * min),
                ],
                Some((1, CallReason::Fairness)),
            ),
            (
                "below the ratio green still goes before a due appointment",
                0,
                vec![c(2, "a", true, None, 99 * min), appt(3, "a", 10 * min)],
                Some((2, CallReason::GreenChannel)),
            ),
            (
                "a due appointment of a lower tier waits for the window's own tier",
                9,
                vec![c(1, "a", false, None, 99 * min), appt(3, "c", 10 * min)],
                Some((1, CallReason::Tier)),
            ),
            (
                "a transfer still comes first",
                9,
                vec![appt(3, "a", 10 * min), c(4, "x", false, Some(5), 99 * min)],
                Some((4, CallReason::Transferred)),
            ),
        ];
        for (name, streak, cands, want) in cases {
            let got = choose_next(&w, streak, &rules, now, cands).map(|(id, r)| (id.0, r));
            assert_eq!(got, want, "{name}");
        }
        // With the due rule off, the ratio alone decides.
        let off = CallingRules {
            appointment_due_ms: 0,
            ..rules
        };
        let cands = vec![c(1, "a", false, None, 10 * min), appt(2, "a", 10 * min)];
        assert_eq!(
            choose_next(&w, 2, &off, now, cands).map(|(id, r)| (id.0, r)),
            Some((1, CallReason::Fairness))
        );
    }

    #[test]
    fn window_12_calls_its_own_crj_before_a_green_hj() {
        // Issue 13: window 12 (出入境, queues=["crj"], secondary_queues=["hj"]) pressed 叫号
        // and got H0006 (户籍, green channel) while CR001-CR003 waited.
        let w = WindowPlan {
            number: 12,
            tiers: vec![vec!["crj".into()], vec!["hj".into()]],
            ..window(&[])
        };
        let mut waiting = vec![
            c(1, "hj", false, None, 1),
            c(2, "crj", false, None, 2),
            c(3, "crj", false, None, 3),
            c(4, "crj", false, None, 4),
            c(6, "hj", true, None, 6),
        ];
        let mut calls = Vec::new();
        let mut streak = 0;
        while let Some((id, reason)) = choose_next(
            &w,
            streak,
            &CallingRules::ratio(3),
            0,
            waiting.iter().copied(),
        ) {
            let pos = waiting
                .iter()
                .position(|x| x.id == id)
                .expect("chosen waits");
            streak = next_green_streak(streak, waiting[pos].priority, reason);
            waiting.remove(pos);
            calls.push((id.0, reason));
        }
        use CallReason::*;
        assert_eq!(
            calls,
            vec![
                (2, Tier),
                (3, Tier),
                (4, Tier),
                (6, GreenChannel),
                (1, Oldest)
            ]
        );
    }

    #[test]
    fn green_streak_counts_only_green_choices() {
        use CallReason::*;
        assert_eq!(
            next_green_streak(2, Priority::GreenChannel, GreenChannel),
            3
        );
        assert_eq!(next_green_streak(3, Priority::Normal, Fairness), 0);
        assert_eq!(next_green_streak(2, Priority::Normal, Oldest), 0);
        assert_eq!(next_green_streak(2, Priority::Normal, Transferred), 2);
        assert_eq!(next_green_streak(2, Priority::GreenChannel, Specific), 2);
    }
}
