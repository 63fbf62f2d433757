//! The hall's copies (the engine's read model) and its indexes: a copy is a snapshot that later
//! commands leave as it was, and window views built from the indexes agree with a scan of
//! every ticket, step after step.

use super::*;
use crate::domain::routing::{Candidate, callable_at};

#[test]
fn a_copy_is_a_snapshot_that_later_commands_leave_alone() {
    let mut f = Fx::new();
    let a = f.issue("a");
    let b = f.issue("a");
    f.sign_in(&c1(), 1);
    let before = f.h.clone();
    f.call_next(&c1(), 1);
    f.ok(&c1(), Command::Hold { window: 1 });

    let then = before.window_view(1).expect("window 1");
    assert_eq!(before.ticket(a).expect("a").state, TicketState::Waiting);
    assert!(then.current.is_none() && then.held.is_empty());
    assert_eq!(then.waiting, 2);
    let tb = before.ticket(b).expect("b");
    assert_eq!(before.public_ticket(tb).waiting_ahead, 1);

    let now = f.h.window_view(1).expect("window 1");
    assert_eq!(f.t(a).state, TicketState::Held);
    assert_eq!(now.waiting, 1);
    assert_eq!(
        now.held.iter().map(|t| &t.number).collect::<Vec<_>>(),
        ["A001"]
    );
    assert_eq!(f.h.public_ticket(f.t(b)).waiting_ahead, 0);
    // A copy taken now shows exactly what the hall shows.
    let copy = f.h.clone();
    let snap = |h: &Hall| serde_json::to_value(h.snapshot(7, f.now)).expect("json");
    assert_eq!(snap(&copy), snap(&f.h));
}

/// A window's waiting count and held tickets by a scan of every ticket (how they were found
/// before the indexes).
fn scanned(h: &Hall, window: u32) -> (u32, Vec<String>) {
    let plan = h.plan().window(window).expect("window");
    let all: Vec<&Ticket> = h.tickets.values().collect();
    let waiting = all
        .iter()
        .filter(|t| t.state == TicketState::Waiting && callable_at(plan, &Candidate::from(**t)))
        .count() as u32;
    let held = all
        .iter()
        .filter(|t| t.state == TicketState::Held && t.window == Some(window))
        .map(|t| t.number.clone())
        .collect();
    (waiting, held)
}

#[test]
fn window_views_from_the_indexes_agree_with_a_scan_at_every_step() {
    let mut f = Fx::new();
    let clerks = [c1(), c2(), c3(), staff("c4", "刘洋", Role::Clerk)];
    for (i, c) in clerks.iter().enumerate() {
        f.sign_in(c, i as u32 + 1);
    }
    // A fixed pseudo-random walk over the commands that move tickets between indexes.
    let mut x: u64 = 7;
    let mut next = |n: u64| {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (x >> 33) % n
    };
    for step in 0..400 {
        let w = next(4) as u32 + 1;
        let who = clerks[w as usize - 1].clone();
        let held = f.h.window_view(w).expect("window").held;
        let cmd = match next(9) {
            0 | 1 => issue_cmd(["a", "b", "r", "h"][next(4) as usize], &format!("s{step}")),
            2 | 3 => Command::CallNext { window: w },
            4 => Command::Finish {
                window: w,
                outcome: Outcome::Done,
                note: None,
            },
            5 => Command::Hold { window: w },
            6 => match held.first() {
                Some(t) => Command::CallBack {
                    window: w,
                    number: t.number.clone(),
                },
                None => Command::NoShow {
                    window: w,
                    reason: None,
                },
            },
            7 => Command::Transfer {
                window: w,
                to_queue: None,
                to_window: Some(next(4) as u32 + 1),
                position: Position::Back,
                reason: None,
            },
            _ => Command::Cancel {
                token: format!("s{}", next(step + 1)),
            },
        };
        let actor = if matches!(cmd, Command::Issue { .. }) {
            kiosk()
        } else if matches!(cmd, Command::Cancel { .. }) {
            citizen()
        } else {
            who
        };
        // Refusals are part of the walk: they must leave the indexes as they were, too.
        let _ = f.h.handle(&actor, cmd, f.now);
        f.later(5);
        for n in 1..=4 {
            let v = f.h.window_view(n).expect("window");
            let held: Vec<String> = v.held.iter().map(|t| t.number.clone()).collect();
            assert_eq!(
                (v.waiting, held),
                scanned(&f.h, n),
                "window {n} after step {step}"
            );
        }
    }
}
