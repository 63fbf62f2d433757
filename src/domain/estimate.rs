//! Wait estimates shown at issue, on the phone page and in the hall overview.
//!
//! The method (a queue-length estimator, Ibrahim & Whitt 2009, in its Erlang-A form):
//!
//!   E[wait | n ahead] = sum over k = 0..=n of 1 / (s·mu + k·theta)
//!
//! which is QL = (n + 1) / (s·mu) when nobody gives up (theta = 0). The inputs:
//! - n: tickets that will be called before this one in its queue (`Hall::waiting_ahead`).
//! - s: windows open now for the queue, each counted by the share of its capacity the queue
//!   gets. A window serving several queues (a comprehensive window, or a resident window with
//!   secondary queues) splits its capacity in proportion to waiting load: the queue's share at
//!   window w is (waiting in the queue) / (waiting in every queue w calls at the same or a
//!   higher tier). Nine queues pooled oldest-first at 16 comprehensive windows thus give a
//!   ticket (all pooled tickets ahead + 1) / (16·mu), which is what the pool does.
//! - 1/mu: the mean time a window spends on one ticket of the queue, learned online from the
//!   queue's last `RECENT` calls: call to finish, or call to no-show (a citizen who left costs
//!   the recalls), plus the clerk's turnaround before the call (time since the window let go
//!   of its previous ticket, when this one was already waiting: not idleness). It is a
//!   Bayesian mean: the configured typical time is a prior worth `PRIOR_SERVICES` services,
//!   so two quick enquiries at opening move it only a little, and twenty observations
//!   outweigh it four to one. The prior is the configured time times the department's pace
//!   (how its other queues ran against their configured times today, itself a Bayesian mean
//!   around 1), so one department's queues stay consistent with each other. Everything it
//!   uses is in the stored tickets, so a restart learns the same value.
//! - theta: the rate at which a waiting citizen gives up and cancels, estimated over the day as
//!   (tickets cancelled while waiting) / (seconds waited by tickets called so far). Citizens
//!   who leave without cancelling stay in n and cost a no-show cycle, which 1/mu includes.
//!
//! The hall applies it exactly rather than in shares (`simulate_calls`): the open windows
//! that can call the ticket, and every window sharing a queue with them, call the waiting
//! tickets in the router's own order (tier first, green channel and begun appointments,
//! transfers to a window), each call taking its queue's mean window time; a window busy now
//! is free after its ticket's expected remaining time (`mean_residual_s`), a paused one when
//! its clerk said or after today's mean pause of that kind, and today's bookings not yet
//! checked in come at their slots as often as today's have been kept. The formula above is
//! the fallback when no such window is open (everyone paused for a kind of pause that has not
//! ended yet today).
//!
//! `hallq-bench estimates` measures this against QL, LES and HOL on simulated days.

use super::plan::WindowPlan;
use super::routing::{self, CallingRules, Candidate};
use super::ticket::{Priority, TicketId};

/// How many recent calls the mean window time is taken over.
pub const RECENT: usize = 20;

/// How many services the configured typical time counts for in the mean window time.
pub const PRIOR_SERVICES: f64 = 5.0;

/// Estimated seconds until a ticket with `ahead` tickets before it is called, with `capacity`
/// windows' worth of service for its queue, `mean_service_s` per ticket and abandonment rate
/// `theta` (per waiting ticket per second).
pub fn estimate_wait_s(ahead: u32, capacity: f64, mean_service_s: f64, theta: f64) -> u32 {
    if ahead == 0 && capacity > 0.0 {
        return 0;
    }
    // Nobody open for the queue (before sign-in, everyone at lunch): assume one window.
    let s = if capacity > 0.0 { capacity } else { 1.0 };
    let secs = erlang_a_wait_s(ahead, s / mean_service_s.max(1.0), theta);
    secs.round().clamp(0.0, f64::from(u32::MAX)) as u32
}

/// sum over k = 0..=ahead of 1 / (rate + k·theta): the expected time until `ahead + 1`
/// departures from a queue served at total `rate` where each waiting ticket leaves at `theta`.
pub fn erlang_a_wait_s(ahead: u32, rate: f64, theta: f64) -> f64 {
    if theta <= 0.0 {
        return (f64::from(ahead) + 1.0) / rate;
    }
    (0..=ahead)
        .map(|k| 1.0 / (rate + f64::from(k) * theta))
        .sum()
}

/// The share of one window's capacity a queue gets: its waiting tickets over the waiting
/// tickets of every queue the window calls at the same or a higher tier (`competing`, which
/// includes the queue's own). An empty window gives a newcomer all of it.
pub fn window_share(waiting: u32, competing: u32) -> f64 {
    if competing == 0 {
        1.0
    } else {
        f64::from(waiting.min(competing)) / f64::from(competing)
    }
}

/// The Bayesian mean window time: the prior `prior_s` (the configured typical time, scaled by
/// the department's pace) worth `PRIOR_SERVICES` observations, blended with the last `RECENT`
/// observed window times.
pub fn mean_service_s(recent: &[i64], prior_s: f64) -> f64 {
    let recent = &recent[recent.len().saturating_sub(RECENT)..];
    let observed: f64 = recent.iter().map(|&s| s.max(0) as f64).sum();
    (PRIOR_SERVICES * prior_s + observed) / (PRIOR_SERVICES + recent.len() as f64)
}

/// A department's pace today: the mean of observed / configured window time over the recent
/// calls of its queues (`(recent, configured_s)` each), with a prior of 1 (as configured)
/// worth `PRIOR_SERVICES` observations. Never below 0.1 or above 10.
pub fn department_pace(queues: &[(Vec<i64>, u32)]) -> f64 {
    let (mut sum, mut n) = (0.0, 0.0);
    for (recent, configured) in queues {
        let recent = &recent[recent.len().saturating_sub(RECENT)..];
        for &s in recent {
            sum += s.max(0) as f64 / f64::from((*configured).max(1));
            n += 1.0;
        }
    }
    ((PRIOR_SERVICES + sum) / (PRIOR_SERVICES + n)).clamp(0.1, 10.0)
}

/// The mean time still to come of a window time that has already run `elapsed_s`:
/// E[S - a | S > a] over the queue's recent window times and the prior (worth
/// `PRIOR_SERVICES` of them). A window that has run past every one of them is given a whole
/// mean window time more (nothing is known about such a long service).
pub fn mean_residual_s(recent: &[i64], prior_s: f64, elapsed_s: f64) -> f64 {
    let recent = &recent[recent.len().saturating_sub(RECENT)..];
    let (mut sum, mut n) = (0.0, 0.0);
    if prior_s > elapsed_s {
        sum += PRIOR_SERVICES * (prior_s - elapsed_s);
        n += PRIOR_SERVICES;
    }
    for &s in recent {
        let s = s.max(0) as f64;
        if s > elapsed_s {
            sum += s - elapsed_s;
            n += 1.0;
        }
    }
    if n > 0.0 {
        sum / n
    } else {
        mean_service_s(recent, prior_s)
    }
}

/// One window in the calling simulation: when it is next free to call, and its calling
/// order (`WindowPlan`, the router's `choose_next`).
#[derive(Debug, Clone)]
pub struct Server<'a> {
    pub plan: &'a WindowPlan,
    /// Seconds from now until the window calls again (its current ticket's expected
    /// remaining time, or when a paused clerk is expected back).
    pub free_in_s: f64,
    pub green_streak: u32,
    /// Breaks the rota still has for it (`domain::rota`), earliest first.
    pub breaks: Vec<Break>,
}

/// A scheduled break still to come, in seconds from now: the clerk goes when first free at
/// or after `from_s` (negative: it is already due) and is back at `until_s`, or a whole
/// `len_s` after going if that is later (a clerk who went late takes the whole break).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Break {
    pub from_s: f64,
    pub until_s: f64,
    pub len_s: f64,
}

impl Break {
    /// When a clerk who goes at `t` is back.
    pub fn back_s(&self, t: f64) -> f64 {
        self.until_s.max(t + self.len_s)
    }
}

/// A ticket in the calling simulation: waiting now, or one the hall knows will come (a
/// booking of today not yet checked in).
#[derive(Debug, Clone, Copy)]
pub struct Pending<'a> {
    pub ticket: Candidate<'a>,
    /// Seconds from now until it can be called (0: waiting now).
    pub from_s: f64,
    /// Seconds from now until it is called as an appointment (its slot begins, or the call-ahead
    /// before it), if later, and the place it then takes (its slot start, ms: owed from then).
    pub promoted: Option<(f64, i64)>,
    /// The chance it is there when called (a booking's chance of being kept).
    pub weight: f64,
}

impl<'a> Pending<'a> {
    /// A ticket waiting now.
    pub fn now(ticket: Candidate<'a>) -> Pending<'a> {
        Pending {
            ticket,
            from_s: 0.0,
            promoted: None,
            weight: 1.0,
        }
    }

    /// The ticket as the router sees it `t` seconds from now: once promoted, an appointment
    /// owed a call from the later of its slot start and its check-in.
    fn at(&self, t: f64) -> Candidate<'a> {
        match self.promoted {
            Some((p, key)) if p <= t => Candidate {
                priority: Priority::Appointment,
                queue_key: self.ticket.queue_key.max(key),
                ..self.ticket
            },
            _ => self.ticket,
        }
    }
}

/// Seconds until the ticket `mine` is called when the `servers` call the `pending` tickets
/// (`mine` among them) in the router's own order, each call taking the mean window time of
/// the called ticket's queue (`mean_of`) times the chance the citizen is still there: a
/// booking's `weight`, and exp(-theta · t) for one who waits until t (one who gave up costs
/// nothing). This is the Erlang-A estimate above made exact about who calls whom: windows
/// that serve several queues or tiers, green-channel and appointment tickets ahead
/// (appointments as their slots begin, bookings of today as they come), transfers to a
/// window, and windows still busy or paused. `None` when no server ever calls `mine`.
pub fn simulate_calls<'a>(
    mut servers: Vec<Server<'a>>,
    pending: &[Pending<'a>],
    mine: TicketId,
    rules: &CallingRules,
    now_ms: i64,
    mean_of: impl Fn(&str) -> f64,
    theta: f64,
) -> Option<f64> {
    let mut left: Vec<Pending<'a>> = pending.to_vec();
    loop {
        // The window free first (lowest number on a tie, as the hall has no other order).
        let i = (0..servers.len()).min_by(|&a, &b| {
            servers[a]
                .free_in_s
                .total_cmp(&servers[b].free_in_s)
                .then(servers[a].plan.number.cmp(&servers[b].plan.number))
        })?;
        let s = &mut servers[i];
        let t = s.free_in_s;
        // Free when a break is due: the clerk goes instead of calling.
        if let Some(k) = s.breaks.iter().position(|b| b.from_s <= t) {
            let b = s.breaks.remove(k);
            s.free_in_s = b.back_s(t);
            continue;
        }
        let at_ms = now_ms + (t * 1000.0) as i64;
        let visible = left.iter().filter(|p| p.from_s <= t).map(|p| p.at(t));
        let Some((id, reason)) =
            routing::choose_next(s.plan, s.green_streak, rules, at_ms, visible)
        else {
            // Nothing this window calls waits now: it calls when the next one comes, or is
            // out of the picture.
            let next = left
                .iter()
                .filter(|p| p.from_s > t && routing::callable_at(s.plan, &p.ticket))
                .map(|p| p.from_s)
                .min_by(f64::total_cmp);
            match next {
                Some(from) => s.free_in_s = from,
                None => {
                    servers.swap_remove(i);
                }
            }
            continue;
        };
        if id == mine {
            return Some(t);
        }
        let k = left.iter().position(|p| p.ticket.id == id)?;
        let p = left.swap_remove(k);
        s.green_streak = routing::next_green_streak(s.green_streak, p.at(t).priority, reason);
        let still_there = p.weight * (-theta * (t - p.from_s)).exp();
        s.free_in_s += still_there * mean_of(p.ticket.queue);
    }
}

/// Waiting citizens who give up: counted over the service day.
#[derive(Debug, Clone, Default)]
pub struct Abandonment {
    /// Tickets cancelled while waiting.
    pub left: u32,
    /// Seconds waited by tickets called so far (a cancelled ticket's wait is not stored).
    pub waited_s: f64,
}

impl Abandonment {
    /// A ticket was called after `waited_s`, or (`left`) gave up.
    pub fn record(&mut self, waited_s: f64, left: bool) {
        self.waited_s += waited_s.max(0.0);
        if left {
            self.left += 1;
        }
    }

    /// theta, per waiting ticket per second (0 until an hour of waiting has been seen).
    pub fn theta(&self) -> f64 {
        if self.waited_s < 3600.0 {
            0.0
        } else {
            f64::from(self.left) / self.waited_s
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ql_on_hand_made_cases() {
        assert_eq!(estimate_wait_s(0, 2.0, 600.0, 0.0), 0);
        assert_eq!(estimate_wait_s(3, 2.0, 600.0, 0.0), 1200);
        assert_eq!(estimate_wait_s(0, 0.0, 600.0, 0.0), 600); // nobody open yet: one service
        assert_eq!(estimate_wait_s(9, 1.0, 60.0, 0.0), 600);
    }

    #[test]
    fn service_time_is_a_bayesian_blend_with_the_configured_time() {
        // Nothing observed: the configured time.
        assert_eq!(mean_service_s(&[], 480.0), 480.0);
        // Two quick 65 s services after opening (户籍, configured 8 min) move it only a
        // little: (5 x 480 + 130) / 7 = 361.4 s, not 65 s.
        let two = mean_service_s(&[65, 65], 480.0);
        assert!((two - 2530.0 / 7.0).abs() < 1e-9, "{two}");
        // So 20 people ahead at 2 windows are about 60 minutes, not "约 3 分钟".
        assert_eq!(estimate_wait_s(20, 2.0, two, 0.0), 3795);
        // Twenty observations outweigh the prior four to one; older ones are forgotten.
        let many: Vec<i64> = (0..100).map(|i| if i < 80 { 1000 } else { 10 }).collect();
        assert_eq!(mean_service_s(&many, 480.0), (5.0 * 480.0 + 200.0) / 25.0);
    }

    #[test]
    fn erlang_a_form_on_hand_made_cases() {
        // No abandonment: (n + 1) / rate.
        assert_eq!(erlang_a_wait_s(2, 0.01, 0.0), 300.0);
        // rate 1/100 s, theta 1/100 s: 100 + 50 + 33.3 (k = 0, 1, 2).
        let w = erlang_a_wait_s(2, 0.01, 0.01);
        assert!((w - (100.0 + 50.0 + 100.0 / 3.0)).abs() < 1e-9, "{w}");
        // Abandonment only ever shortens the wait, and the more the shorter.
        assert!(erlang_a_wait_s(10, 0.01, 0.001) < erlang_a_wait_s(10, 0.01, 0.0));
        assert!(erlang_a_wait_s(10, 0.01, 0.002) < erlang_a_wait_s(10, 0.01, 0.001));
        // Two windows of 600 s, 3 ahead, theta 1/3600: sum of 1/(1/300 + k/3600), k = 0..=3.
        let want: f64 = (0..=3)
            .map(|k| 1.0 / (1.0 / 300.0 + f64::from(k) / 3600.0))
            .sum();
        assert_eq!(
            estimate_wait_s(3, 2.0, 600.0, 1.0 / 3600.0),
            want.round() as u32
        );
    }

    #[test]
    fn a_window_shares_its_capacity_by_waiting_load() {
        // A pool of 9 queues at 16 windows: 2 of 20 waiting tickets are this queue's.
        let s = 16.0 * window_share(2, 20);
        assert!((s - 1.6).abs() < 1e-9);
        // So 1 ahead in the queue means (20 pooled) windows' worth of work: 20 / 16 services.
        assert_eq!(estimate_wait_s(1, s, 600.0, 0.0), 750);
        assert_eq!(window_share(0, 0), 1.0);
        assert_eq!(window_share(5, 5), 1.0);
        assert_eq!(window_share(1, 4), 0.25);
    }

    #[test]
    fn the_time_still_to_come_of_a_running_service() {
        // Prior 500 s (worth 5) and three window times; 300 s have run: the prior's 200 s
        // five times, and 100 and 400 more for 400 and 700: 1500 / 7.
        let r = mean_residual_s(&[100, 400, 700], 500.0, 300.0);
        assert!((r - 1500.0 / 7.0).abs() < 1e-9, "{r}");
        // Longer than every one of them: a whole mean window time more, (2500 + 1200) / 8.
        assert_eq!(mean_residual_s(&[100, 400, 700], 500.0, 800.0), 462.5);
        // Nothing run yet and nothing observed: the prior.
        assert_eq!(mean_residual_s(&[], 600.0, 0.0), 600.0);
    }

    fn window(number: u32, tiers: &[&[&str]]) -> WindowPlan {
        WindowPlan {
            number,
            name: format!("{number}号窗口"),
            kind: crate::domain::plan::WindowKind::Resident,
            zone: "z1".into(),
            tiers: tiers
                .iter()
                .map(|t| t.iter().map(|q| q.to_string()).collect())
                .collect(),
        }
    }

    fn ticket(id: i64, queue: &'static str, priority: Priority, key: i64) -> Candidate<'static> {
        Candidate {
            id: TicketId(id),
            queue,
            priority,
            target_window: None,
            queue_key: key,
            seq_no: id as u32,
        }
    }

    #[test]
    fn the_calling_simulation_on_hand_made_halls() {
        use Priority::*;
        let w1 = window(1, &[&["a"], &["b"]]);
        let w2 = window(2, &[&["b"]]);
        let server = |plan, free_in_s| Server {
            plan,
            free_in_s,
            green_streak: 0,
            breaks: Vec::new(),
        };
        let mean = |q: &str| if q == "a" { 300.0 } else { 600.0 };
        let now = |c| Pending::now(c);
        // Window 1 (free now) calls a1 first (its own tier), window 2 (free in 100) calls the
        // older b1, and window 1 calls b2 when free again at 300.
        let waiting = [
            now(ticket(1, "a", Normal, 3)),
            now(ticket(2, "b", Normal, 1)),
            now(ticket(3, "b", Normal, 2)),
        ];
        let sim = |servers, mine| {
            simulate_calls(
                servers,
                &waiting,
                TicketId(mine),
                &CallingRules::ratio(2),
                0,
                mean,
                0.0,
            )
        };
        assert_eq!(
            sim(vec![server(&w1, 0.0), server(&w2, 100.0)], 3),
            Some(300.0)
        );
        assert_eq!(
            sim(vec![server(&w1, 0.0), server(&w2, 100.0)], 1),
            Some(0.0)
        );
        // Window 1 alone: a1, then b1 (600 s), then b2 at 300 + 600.
        assert_eq!(sim(vec![server(&w1, 0.0)], 3), Some(900.0));
        // No window that calls b: no number.
        let wa = window(3, &[&["a"]]);
        assert_eq!(sim(vec![server(&wa, 0.0)], 3), None);
        // The green channel goes first; the oldest ordinary ticket next.
        let waiting = [
            now(ticket(1, "b", Normal, 1)),
            now(ticket(2, "b", GreenChannel, 5)),
        ];
        assert_eq!(
            simulate_calls(
                vec![server(&w2, 0.0)],
                &waiting,
                TicketId(1),
                &CallingRules::ratio(2),
                0,
                mean,
                0.0
            ),
            Some(600.0)
        );
        // A booking of today comes at 200 s and is kept half the time: called first (an
        // appointment) when window 2 is free at 300, it costs 0.5 × 600.
        let booked = Pending {
            ticket: ticket(9, "b", Appointment, 200_000),
            from_s: 200.0,
            promoted: None,
            weight: 0.5,
        };
        let waiting = [now(ticket(1, "b", Normal, 1)), booked];
        assert_eq!(
            simulate_calls(
                vec![server(&w2, 300.0)],
                &waiting,
                TicketId(1),
                &CallingRules::ratio(2),
                0,
                mean,
                0.0
            ),
            Some(600.0)
        );
        // A checked-in appointment counts as one only once its slot has begun: at 100 s it
        // has not (1 is older and called first), at 300 s it has.
        let early = Pending {
            ticket: ticket(9, "b", Normal, 5),
            from_s: 0.0,
            promoted: Some((200.0, 200_000)),
            weight: 1.0,
        };
        let waiting = [now(ticket(1, "b", Normal, 1)), early];
        let first = |free| {
            simulate_calls(
                vec![server(&w2, free)],
                &waiting,
                TicketId(1),
                &CallingRules::ratio(2),
                0,
                mean,
                0.0,
            )
        };
        assert_eq!(first(100.0), Some(100.0));
        assert_eq!(first(300.0), Some(900.0));
        // Giving up: at 100 s with theta = ln 2 / 100, b1 is there half the time.
        let waiting = [
            now(ticket(1, "b", Normal, 1)),
            now(ticket(2, "b", Normal, 2)),
        ];
        let theta = std::f64::consts::LN_2 / 100.0;
        let w = simulate_calls(
            vec![server(&w2, 100.0)],
            &waiting,
            TicketId(2),
            &CallingRules::ratio(2),
            0,
            mean,
            theta,
        )
        .expect("called");
        assert!((w - 400.0).abs() < 1e-9, "{w}");
    }

    #[test]
    fn the_simulation_calls_a_due_appointment_on_the_ratios_walk_in_turn() {
        use Priority::*;
        let w = window(2, &[&["b"]]);
        let mean = |_: &str| 600.0;
        // The window has called 2 priority tickets in a row (its ratio). Now is 1,000,000 ms;
        // the appointment is owed a call since 240 s ago, the walk-in waits since long before.
        let now_ms = 1_000_000;
        let waiting = [
            Pending::now(ticket(1, "b", Normal, 0)),
            Pending::now(ticket(2, "b", Appointment, now_ms - 240_000)),
        ];
        let rules = |due_s: i64| CallingRules {
            green_ratio: 2,
            appointment_ratio: 2,
            appointment_due_ms: due_s * 1000,
        };
        let walk_in_at = |due_s, free_in_s| {
            let server = Server {
                plan: &w,
                free_in_s,
                green_streak: 2,
                breaks: Vec::new(),
            };
            simulate_calls(
                vec![server],
                &waiting,
                TicketId(1),
                &rules(due_s),
                now_ms,
                mean,
                0.0,
            )
        };
        // (due after, window free in, walk-in called at): the router's own choice, replayed
        // on the simulated clock: due after 300 s, the appointment is due 60 s from now.
        let cases = [
            (0, 0.0, 0.0),
            (300, 0.0, 0.0),
            (300, 60.0, 660.0),
            (240, 0.0, 600.0),
        ];
        for (due, free, want) in cases {
            assert_eq!(walk_in_at(due, free), Some(want), "due {due} free {free}");
        }
    }

    #[test]
    fn abandonment_rate_from_the_day() {
        let mut a = Abandonment::default();
        a.record(1800.0, false);
        assert_eq!(a.theta(), 0.0); // too little seen yet
        a.record(1800.0, true);
        a.record(3600.0, false);
        assert_eq!(a.theta(), 1.0 / 7200.0);
    }
}
