//! Wait estimates with a staffing rota (`[[rota]]`): a window due for its scheduled break
//! stops calling when it begins (after its current citizen) and is back when it ends; a clerk
//! on the break is expected back at its end; a clerk who has not gone is expected to go as
//! soon as free until the break's end has passed; a break taken is not taken twice.

use super::*;
use crate::domain::reason::ReasonCode;
use crate::domain::rota::Away;

/// The small hall at `hm` with window 2 ([b]) scheduled away 12:00-13:00 for lunch, and
/// window 2's clerk signed in (queue b's only open window; 600 s configured, no band quota).
fn lunch_at_noon(hm: &str) -> Fx {
    let mut f = Fx::with(
        |p| {
            // No morning band quota: b issues freely.
            for q in &mut p.queues {
                q.bands.clear();
            }
            p.rota = vec![Away {
                window: 2,
                from: time(12, 0, 0, 0),
                to: time(13, 0, 0, 0),
                reason: ReasonCode::Lunch,
            }]
        },
        at(hm),
    );
    f.sign_in(&c2(), 2);
    f
}

fn pause(window: u32, reason: &str) -> Command {
    Command::Pause {
        window,
        reason: reason.into(),
        until: None,
    }
}

/// A newcomer's estimate in queue b.
fn newcomer_b(f: &Fx) -> Option<u32> {
    f.h.queue_views(f.now)
        .into_iter()
        .find(|q| q.id == "b")
        .and_then(|q| q.estimated_wait_s)
}

#[test]
fn a_window_due_for_its_break_stops_calling_and_is_back_at_its_end() {
    // (clock, tickets of b before mine called at once by window 2, my estimate in s)
    let cases = [
        // 11:40:01: window 2 free at 600 (11:50:01) calls me, before the break.
        ("11:40", 1, 600),
        // 11:50:01: window 2 free at 600 (12:00:01), when the break is due: it goes and is
        // back at 13:00:01, a whole hour after going (not at 13:00:00).
        ("11:50", 1, 4200),
        // 11:40:02: one more ahead: called at 599 (11:50:01), free at 1199 (12:00:01), gone
        // until 13:00:01: 4799.
        ("11:40", 2, 4799),
        // 13:00:01, after the break's end: it is skipped; the window calls me at 600.
        ("13:00", 1, 600),
    ];
    for (hm, ahead, want) in cases {
        let mut f = lunch_at_noon(hm);
        f.issue("b");
        f.call_next(&c2(), 2);
        for _ in 1..ahead {
            f.issue("b");
        }
        let mine = f.issue("b");
        assert_eq!(f.h.estimated_wait(f.t(mine)), Some(want), "{hm} {ahead}");
    }
}

#[test]
fn a_clerk_on_the_scheduled_break_is_expected_back_at_its_end() {
    // (went at, asked at, reason, newcomer's estimate in s)
    let cases: [(&str, &str, &str, Option<u32>); 6] = [
        // Went 5 minutes early: back at 13:00 as scheduled.
        ("11:55", "12:00", "lunch", Some(3600)),
        // Went 5 minutes late: a whole hour, back at 13:05.
        ("12:05", "12:06", "lunch", Some(3540)),
        // Lunch with a note is still lunch.
        ("12:00", "12:30", "lunch: 食堂", Some(1800)),
        // Past 13:05 and not back: expected any moment (the rota promised no more).
        ("12:05", "13:10", "lunch", Some(0)),
        // A meeting is not the break: no pause of that kind has ended today, so nobody is
        // counted and the estimate falls back to one window's service.
        ("12:00", "12:30", "meeting", Some(600)),
        // Lunch at 10:00 is not this break either (more than an hour before it).
        ("10:00", "10:30", "lunch", Some(600)),
    ];
    for (went, asked, reason, want) in cases {
        let mut f = lunch_at_noon(went);
        f.ok(&c2(), pause(2, reason));
        f.set(asked);
        f.issue("a"); // a change of the hall at `asked`; b is still empty
        assert_eq!(newcomer_b(&f), want, "{went} {asked} {reason}");
    }
}

#[test]
fn a_clerk_who_has_not_gone_is_expected_to_go_until_the_break_is_over() {
    // (asked at, newcomer's estimate in s): window 2 is open and idle, its break not taken.
    let cases = [
        // Before the break: called at once.
        ("11:59", 0),
        // The break is due: the clerk goes now (12:10) and is back a whole hour later.
        ("12:10", 3600),
        ("12:59", 3600),
        // Not gone by its end: skipped.
        ("13:00", 0),
    ];
    for (asked, want) in cases {
        let mut f = lunch_at_noon(asked);
        f.issue("a");
        assert_eq!(newcomer_b(&f), Some(want), "{asked}");
    }
}

#[test]
fn a_break_taken_is_not_expected_again() {
    // (went, back, reason, newcomer's estimate at 12:31 in s)
    let cases = [
        // Took lunch 11:25-12:25 (early, within an hour before it): done.
        ("11:25", "12:25", "lunch", 0),
        // A 5-minute break for something else: lunch is still to come, due now: 3600.
        ("12:20", "12:25", "away", 3600),
    ];
    for (went, back, reason, want) in cases {
        let mut f = lunch_at_noon(went);
        f.ok(&c2(), pause(2, reason));
        f.set(back);
        f.ok(&c2(), Command::Resume { window: 2 });
        f.set("12:31");
        f.issue("a");
        assert_eq!(newcomer_b(&f), Some(want), "{went}-{back} {reason}");
    }
}

#[test]
fn learned_pause_lengths_come_back_after_a_restart() {
    // No rota: window 2's clerk met 14:00-14:30 (today's mean meeting: 1800 s) and at 14:30
    // goes to another: expected back at 15:00.
    let mut f = Fx::new();
    f.sign_in(&c2(), 2);
    let mut events = Vec::new();
    for (hm, cmd) in [
        ("14:00", pause(2, "meeting")),
        ("14:30", Command::Resume { window: 2 }),
        ("14:30", pause(2, "meeting")),
    ] {
        f.set(hm);
        let now = f.now;
        events.extend(f.ok(&c2(), cmd).into_iter().map(|e| (now, e)));
    }
    assert_eq!(newcomer_b(&f), Some(1800));
    let windows = f.h.take_changes().windows;
    let restart = |window_events| {
        let plan = Arc::new(f.h.plan().clone());
        let restored = Restored {
            windows: windows.clone(),
            window_events,
            ..Restored::default()
        };
        Hall::restore(plan, b"key".to_vec(), at("14:31"), restored)
    };
    let b = |h: &Hall| {
        h.queue_views(at("14:31"))
            .into_iter()
            .find(|q| q.id == "b")
            .and_then(|q| q.estimated_wait_s)
    };
    // Restored with today's window events: the same 1800 s.
    assert_eq!(b(&restart(events)), Some(1800));
    // Without them no meeting has ended today: window 2 is not counted, one service is
    // assumed.
    assert_eq!(b(&restart(Vec::new())), Some(600));
}
