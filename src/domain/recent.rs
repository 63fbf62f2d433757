//! The wall screens' recent calls: the last few of each zone, oldest first, so that a quiet
//! zone's screen keeps its own calls however busy the rest of the hall is. Owns only the
//! keeping rule; the calls themselves are made by the hall.

use std::collections::VecDeque;

use super::view::RecentCall;

/// How many recent calls each zone keeps.
pub const PER_ZONE: usize = 12;

/// Append `call` (the newest), dropping its zone's oldest call when the zone is full.
pub fn push(calls: &mut VecDeque<RecentCall>, call: RecentCall) {
    let zone = &call.window.zone;
    let in_zone = calls.iter().filter(|c| &c.window.zone == zone).count();
    if in_zone >= PER_ZONE
        && let Some(i) = calls.iter().position(|c| &c.window.zone == zone)
    {
        calls.remove(i);
    }
    calls.push_back(call);
}

/// Keep the newest `PER_ZONE` of each zone from `calls` (oldest first), in the same order.
pub fn keep(calls: Vec<RecentCall>) -> VecDeque<RecentCall> {
    let mut kept = VecDeque::new();
    for c in calls {
        push(&mut kept, c);
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::event::{TicketRef, WindowRef};
    use crate::domain::ticket::{Priority, TicketId};

    fn call(n: u32, zone: &str) -> RecentCall {
        RecentCall {
            ticket: TicketRef {
                id: TicketId(i64::from(n)),
                number: format!("A{n:03}"),
                queue: "q".into(),
                priority: Priority::Normal,
            },
            window: WindowRef {
                number: 1,
                name: "w".into(),
                zone: zone.into(),
            },
            at: String::new(),
            text: String::new(),
        }
    }

    fn numbers(calls: &VecDeque<RecentCall>, zone: &str) -> Vec<String> {
        calls
            .iter()
            .filter(|c| c.window.zone == zone)
            .map(|c| c.ticket.number.clone())
            .collect()
    }

    #[test]
    fn a_busy_zone_never_pushes_out_a_quiet_zones_calls() {
        let mut calls = VecDeque::new();
        push(&mut calls, call(1, "D"));
        for n in 2..40 {
            push(&mut calls, call(n, "A"));
        }
        assert_eq!(numbers(&calls, "D"), ["A001"]);
        let a = numbers(&calls, "A");
        assert_eq!(a.len(), PER_ZONE);
        assert_eq!(
            a.first().map(String::as_str),
            Some("A028"),
            "the oldest kept"
        );
        assert_eq!(
            a.last().map(String::as_str),
            Some("A039"),
            "the newest last"
        );
    }

    #[test]
    fn keep_takes_the_newest_of_each_zone_in_order() {
        let all: Vec<RecentCall> = (1..=30)
            .map(|n| call(n, if n % 10 == 0 { "B" } else { "A" }))
            .collect();
        let kept = keep(all);
        assert_eq!(numbers(&kept, "B"), ["A010", "A020", "A030"]);
        assert_eq!(numbers(&kept, "A").len(), PER_ZONE);
        assert_eq!(kept.back().map(|c| c.ticket.number.as_str()), Some("A030"));
    }
}
