//! Appointments through the hall's one door on an explicit clock: booking refusals, capacity,
//! check-in windows, missed bookings on the clock, the miss rule, calling order, 延时服务.

use super::*;
use crate::domain::appointments::{AppointmentPlan, MissRule, Spans};
use crate::domain::idcard::check_char;

fn t(h: i8, m: i8) -> Time {
    Time::constant(h, m, 0, 0)
}

/// A valid ID number ending in `n`.
fn id(n: u32) -> String {
    let body = format!("52273219800101{n:03}");
    let c = check_char(&body).expect("check char");
    format!("{body}{}", c as char)
}

/// Monday 2026-11-30, local time.
fn mon(hm: &str) -> Timestamp {
    format!("2026-11-30T{hm}:00+08:00").parse().expect("ts")
}

fn day(s: &str) -> Date {
    s.parse().expect("date")
}

fn plan() -> Plan {
    let (_, mut p) =
        crate::config::Config::parse("hall.toml", include_str!("../../../../config/hall.toml"))
            .expect("shipped config");
    let mut hours: [Spans; 7] = Default::default();
    hours[0] = vec![(t(9, 0), t(12, 0))];
    hours[1] = hours[0].clone();
    let mut extended: [Spans; 7] = Default::default();
    extended[0] = vec![(t(17, 0), t(18, 0))];
    let q = p.queues.iter_mut().find(|q| q.id == "sb").expect("sb");
    q.appointments = Some(AppointmentPlan {
        slot_minutes: 30,
        capacity: 2,
        staffed_percent: None,
        reduced: Vec::new(),
        days_ahead: 7,
        early_minutes: 30,
        late_minutes: 15,
        hours,
        extended,
        notice: Some("请携带身份证".into()),
    });
    p.rules.miss_rule = MissRule {
        misses: 2,
        within_days: 30,
        suspend_days: 10,
    };
    p
}

struct Fx {
    h: Hall,
    now: Timestamp,
    n: u64,
}

fn kiosk() -> Actor {
    Actor::Device {
        id: "kiosk-1".into(),
        kind: DeviceKind::Kiosk,
        window: None,
    }
}

fn integrator() -> Actor {
    Actor::Device {
        id: "wsbsdt".into(),
        kind: DeviceKind::Integrator,
        window: None,
    }
}

fn clerk() -> Actor {
    Actor::Staff {
        username: "c1".into(),
        name: "李红".into(),
        role: Role::Clerk,
    }
}

impl Fx {
    fn new(now: Timestamp) -> Fx {
        Fx {
            h: Hall::restore(Arc::new(plan()), b"key".to_vec(), now, Restored::default()),
            now,
            n: 0,
        }
    }

    fn run(&mut self, actor: &Actor, cmd: Command) -> Result<(Reply, Vec<Event>), DomainError> {
        let mut events = self.h.tick(self.now);
        let (r, e) = self.h.handle(actor, cmd, self.now)?;
        events.extend(e);
        Ok((r, events))
    }

    fn book_as(
        &mut self,
        actor: &Actor,
        d: &str,
        start: &str,
        who: u32,
        external: Option<&str>,
    ) -> Result<BookingId, DomainError> {
        self.n += 1;
        let cmd = Command::Appointment(Box::new(AppointmentCommand::Book {
            queue: "sb".into(),
            day: day(d),
            start: start.parse().expect("time"),
            id_number: id(who),
            phone: "13800138000".into(),
            external_id: external.map(Into::into),
            token: format!("bk{}", self.n),
            entropy: self.n * 7919,
        }));
        match self.run(actor, cmd)?.0 {
            Reply::Booking { id, .. } => Ok(id),
            other => panic!("{other:?}"),
        }
    }

    fn book(&mut self, d: &str, start: &str, who: u32) -> Result<BookingId, DomainError> {
        self.book_as(&Actor::Citizen, d, start, who, None)
    }

    /// The clerk signs in at the first window serving `sb`; its number.
    fn sign_in_at_sb(&mut self) -> u32 {
        let window = self
            .h
            .plan
            .windows_serving("sb")
            .next()
            .expect("window")
            .number;
        self.run(
            &clerk(),
            Command::SignIn {
                window,
                scope: Default::default(),
            },
        )
        .expect("signed in");
        window
    }

    /// Call the next citizen at `window` and finish at once: who was called, and why.
    fn call_and_finish(&mut self, window: u32) -> (TicketId, CallReason) {
        let (r, _) = self
            .run(&clerk(), Command::CallNext { window })
            .expect("called");
        let Reply::Window { reason, .. } = r else {
            panic!("window reply")
        };
        let id = self
            .h
            .windows
            .get(window)
            .and_then(|w| w.current)
            .expect("current");
        let finish = Command::Finish {
            window,
            outcome: crate::domain::ticket::Outcome::Done,
            note: None,
        };
        self.run(&clerk(), finish).expect("finished");
        (id, reason.expect("reason"))
    }

    fn code(&self, b: BookingId) -> String {
        self.h.booking(b).expect("booking").code.clone()
    }

    fn check_in(&mut self, key: CheckInKey) -> Result<TicketId, DomainError> {
        self.n += 1;
        let cmd = Command::Appointment(Box::new(AppointmentCommand::CheckIn {
            key,
            token: format!("tk{}", self.n),
        }));
        match self.run(&kiosk(), cmd)?.0 {
            Reply::CheckedIn { ticket, .. } => Ok(ticket),
            other => panic!("{other:?}"),
        }
    }
}

fn code_of<T>(r: Result<T, DomainError>) -> &'static str {
    r.map_or_else(|e| e.code(), |_| "ok")
}

#[test]
fn booking_refusals() {
    let mut f = Fx::new(mon("10:10"));
    // (name, day, start, person, expected)
    let cases = [
        ("ok", "2026-12-01", "09:00", 1, "ok"),
        ("second place", "2026-12-01", "09:00", 2, "ok"),
        ("full", "2026-12-01", "09:00", 3, "slot_full"),
        (
            "same person same day",
            "2026-12-01",
            "10:00",
            1,
            "already_booked",
        ),
        ("same person other day", "2026-11-30", "11:00", 1, "ok"),
        (
            "slot already begun",
            "2026-11-30",
            "10:00",
            4,
            "slot_unavailable",
        ),
        ("past day", "2026-11-29", "10:00", 4, "slot_unavailable"),
        (
            "too far ahead",
            "2026-12-08",
            "10:00",
            4,
            "slot_unavailable",
        ),
        (
            "closed day (Wednesday)",
            "2026-12-02",
            "10:00",
            4,
            "slot_unavailable",
        ),
        (
            "not a slot start",
            "2026-12-01",
            "09:10",
            4,
            "slot_unavailable",
        ),
        ("extended slot", "2026-11-30", "17:30", 4, "ok"),
    ];
    for (name, d, start, who, want) in cases {
        assert_eq!(code_of(f.book(d, start, who)), want, "{name}");
    }
    let bad = |f: &mut Fx, queue: &str, id_number: &str, phone: &str| {
        let cmd = Command::Appointment(Box::new(AppointmentCommand::Book {
            queue: queue.into(),
            day: day("2026-12-01"),
            start: t(10, 0),
            id_number: id_number.into(),
            phone: phone.into(),
            external_id: None,
            token: "x".into(),
            entropy: 1,
        }));
        code_of(f.run(&Actor::Citizen, cmd))
    };
    assert_eq!(bad(&mut f, "nope", &id(9), "13800138000"), "unknown_queue");
    assert_eq!(
        bad(&mut f, "hj", &id(9), "13800138000"),
        "appointments_not_offered"
    );
    assert_eq!(
        bad(&mut f, "sb", "52273219800101009X", "13800138000"),
        "invalid_id_number"
    );
    assert_eq!(bad(&mut f, "sb", &id(9), "12345"), "invalid_phone");
    // A refusal leaves no trace.
    assert_eq!(f.h.take_changes().bookings.len(), 4);
    assert_eq!(bad(&mut f, "sb", &id(9), "12345"), "invalid_phone");
    assert!(f.h.take_changes().bookings.is_empty());
    // Codes are unique among the day's active bookings.
    let codes: std::collections::BTreeSet<String> =
        f.h.bookings
            .iter()
            .filter(|b| b.day == day("2026-12-01"))
            .map(|b| b.code.clone())
            .collect();
    assert_eq!(codes.len(), 2);
}

#[test]
fn integrator_external_id_is_idempotent_and_only_for_integrators() {
    let mut f = Fx::new(mon("08:00"));
    let a = f
        .book_as(&integrator(), "2026-12-01", "09:00", 1, Some("gz-1"))
        .expect("booked");
    let (r, events) = f
        .run(
            &integrator(),
            Command::Appointment(Box::new(AppointmentCommand::Book {
                queue: "sb".into(),
                day: day("2026-12-01"),
                start: t(9, 0),
                id_number: id(1),
                phone: "13800138000".into(),
                external_id: Some("gz-1".into()),
                token: "other".into(),
                entropy: 3,
            })),
        )
        .expect("same booking");
    assert!(matches!(r, Reply::Booking { id, created: false } if id == a));
    assert!(events.is_empty());
    assert_eq!(
        code_of(f.book_as(&Actor::Citizen, "2026-12-01", "09:30", 2, Some("gz-1"))),
        "forbidden",
        "a citizen cannot fetch a booking by someone's external id"
    );
    assert_eq!(
        code_of(f.book_as(&kiosk(), "2026-12-01", "09:30", 2, None)),
        "forbidden"
    );
}

#[test]
fn check_in_window_issues_a_marked_ticket_and_missed_bookings_expire_on_the_clock() {
    let mut f = Fx::new(mon("08:00"));
    let a = f.book("2026-11-30", "10:00", 1).expect("booked");
    let b = f.book("2026-11-30", "10:00", 2).expect("booked");
    let c = f.book("2026-11-30", "11:00", 3).expect("booked");
    f.now = mon("09:29");
    let e = f
        .check_in(CheckInKey::Code(f.code(a)))
        .expect_err("too early");
    assert_eq!(e, DomainError::TooEarly("09:30".into()));
    assert_eq!(
        code_of(f.check_in(CheckInKey::Code("000000".into()))),
        "unknown_appointment"
    );
    f.now = mon("09:30");
    let ticket = f.check_in(CheckInKey::Code(f.code(a))).expect("checked in");
    let tk = f.h.ticket(ticket).expect("ticket");
    assert_eq!(tk.priority, Priority::Appointment);
    assert!(tk.number.starts_with('S'), "{}", tk.number);
    assert_eq!(
        f.h.booking(a).map(|b| b.state),
        Some(BookingState::CheckedIn)
    );
    assert_eq!(
        code_of(f.check_in(CheckInKey::Code(f.code(a)))),
        "invalid_state",
        "one check-in per booking"
    );
    // By ID number, at the last minute of the late allowance.
    f.now = mon("10:15");
    f.check_in(CheckInKey::IdNumber(id(2)))
        .expect("checked in by ID");
    // Nobody asks: the clock alone makes booking c missed after 11:15.
    f.now = mon("11:15");
    assert!(f.h.tick(f.now).is_empty());
    f.now = "2026-11-30T11:15:01+08:00".parse().expect("ts");
    let events = f.h.tick(f.now);
    assert_eq!(
        events.iter().map(Event::kind).collect::<Vec<_>>(),
        vec!["appointment.missed"]
    );
    assert_eq!(f.h.booking(c).map(|b| b.state), Some(BookingState::Missed));
    assert_eq!(
        f.h.booking(b).map(|b| b.state),
        Some(BookingState::CheckedIn)
    );
    assert_eq!(
        code_of(f.check_in(CheckInKey::IdNumber(id(3)))),
        "unknown_appointment"
    );
}

#[test]
fn too_late_check_in_is_refused_before_the_tick_marks_it() {
    let mut f = Fx::new(mon("08:00"));
    let a = f.book("2026-11-30", "10:00", 1).expect("booked");
    f.now = "2026-11-30T10:15:30+08:00".parse().expect("ts");
    // Straight to the hall without the engine's tick: the window itself refuses.
    let cmd = Command::Appointment(Box::new(AppointmentCommand::CheckIn {
        key: CheckInKey::Code(f.code(a)),
        token: "late".into(),
    }));
    assert_eq!(code_of(f.h.handle(&kiosk(), cmd, f.now)), "too_late");
}

#[test]
fn repeated_misses_suspend_booking() {
    let mut f = Fx::new(mon("08:00"));
    f.book("2026-11-30", "09:00", 1).expect("booked");
    f.book("2026-12-01", "09:00", 1).expect("booked");
    // Both missed.
    f.now = "2026-12-01T12:00:00+08:00".parse().expect("ts");
    f.h.tick(f.now);
    let e = f.book("2026-12-07", "09:00", 1).expect_err("suspended");
    assert_eq!(e, DomainError::BookingSuspended("2026-12-11".into()));
    // Someone else is not affected.
    assert_eq!(code_of(f.book("2026-12-07", "09:00", 2)), "ok");
}

#[test]
fn checked_in_appointments_go_before_walk_ins_once_their_slot_has_begun() {
    // Three walk-ins, then a check-in at 09:40 for 10:00; one window calls every 5 minutes
    // from 09:50. Before its slot (less the call-ahead) the appointment waits like a walk-in
    // who came at 09:40; from then on it goes before the older walk-ins.
    // (call-ahead minutes, who is called at 09:50, 09:55, 10:00, 10:05)
    let cases = [
        (0, ["w1", "w2", "a", "w3"]),
        (5, ["w1", "a", "w2", "w3"]),
        (10, ["a", "w1", "w2", "w3"]),
    ];
    for (ahead, order) in cases {
        let mut p = plan();
        p.rules.appointment_calling.ahead_s = ahead * 60;
        let now = mon("08:00");
        let mut f = Fx {
            h: Hall::restore(Arc::new(p), b"key".to_vec(), now, Restored::default()),
            now,
            n: 0,
        };
        let a = f.book("2026-11-30", "10:00", 1).expect("booked");
        let walk_in = |f: &mut Fx, tok: &str| {
            let cmd = Command::Issue {
                queue: "sb".into(),
                priority: Priority::Normal,
                id_number: None,
                phone: None,
                token: tok.into(),
            };
            match f.run(&kiosk(), cmd).expect("issued").0 {
                Reply::Ticket(t) => t,
                other => panic!("{other:?}"),
            }
        };
        let mut who = std::collections::HashMap::new();
        for (hm, tok) in [("09:31", "w1"), ("09:35", "w2"), ("09:36", "w3")] {
            f.now = mon(hm);
            who.insert(walk_in(&mut f, tok), tok);
        }
        f.now = mon("09:40");
        let appt = f.check_in(CheckInKey::Code(f.code(a))).expect("checked in");
        who.insert(appt, "a");
        let window = f.sign_in_at_sb();
        let called: Vec<(&str, CallReason)> = ["09:50", "09:55", "10:00", "10:05"]
            .into_iter()
            .map(|hm| {
                f.now = mon(hm);
                let (id, reason) = f.call_and_finish(window);
                (who[&id], reason)
            })
            .collect();
        let want: Vec<(&str, CallReason)> = order
            .iter()
            .map(|w| {
                let r = if *w == "a" {
                    CallReason::Appointment
                } else {
                    CallReason::Oldest
                };
                (*w, r)
            })
            .collect();
        assert_eq!(called, want, "call-ahead {ahead}");
    }
}

#[test]
fn extended_hours_issue_only_check_ins() {
    let mut f = Fx::new(mon("08:00"));
    let a = f.book("2026-11-30", "17:30", 1).expect("booked");
    assert!(f.h.booking(a).is_some_and(|b| b.extended));
    f.now = mon("17:10");
    let cmd = Command::Issue {
        queue: "sb".into(),
        priority: Priority::Normal,
        id_number: None,
        phone: None,
        token: "walk".into(),
    };
    assert_eq!(code_of(f.run(&kiosk(), cmd)), "appointments_only");
    let q =
        f.h.queue_views(f.now)
            .into_iter()
            .find(|q| q.id == "sb")
            .expect("sb");
    assert_eq!(q.closed_reason, Some("appointments_only"));
    // Another queue without extended hours is simply closed.
    let hj =
        f.h.queue_views(f.now)
            .into_iter()
            .find(|q| q.id == "hj")
            .expect("hj");
    assert_eq!(hj.closed_reason, Some("queue_closed"));
    let ticket = f
        .check_in(CheckInKey::IdNumber(id(1)))
        .expect("checked in at 17:10");
    assert_eq!(
        f.h.ticket(ticket).map(|t| t.priority),
        Some(Priority::Appointment)
    );
    // Asking for the appointment priority at the kiosk is refused.
    let cmd = Command::Issue {
        queue: "hj".into(),
        priority: Priority::Appointment,
        id_number: None,
        phone: None,
        token: "sneak".into(),
    };
    assert_eq!(code_of(f.run(&kiosk(), cmd)), "invalid_priority");
}

#[test]
fn the_read_models_copy_keeps_its_bookings_and_late_appointments_are_listed() {
    let mut f = Fx::new(mon("08:00"));
    let a = f.book("2026-11-30", "10:00", 1).expect("booked");
    let b = f.book("2026-11-30", "10:30", 2).expect("booked");
    f.now = mon("10:05");
    let copy = f.h.clone();
    let ta = f.check_in(CheckInKey::Code(f.code(a))).expect("checked in");
    let tb = f.check_in(CheckInKey::Code(f.code(b))).expect("checked in");
    // The copy published before the check-ins is left as it was (copy-on-write).
    assert_eq!(copy.booking(a).map(|x| x.state), Some(BookingState::Booked));
    assert!(copy.waiting_appointments(f.now).is_empty());
    // Oldest slot first, with the seconds since each slot began.
    let late: Vec<(TicketId, i64)> =
        f.h.waiting_appointments(mon("10:40"))
            .into_iter()
            .map(|(t, s)| (t.id, s))
            .collect();
    assert_eq!(late, vec![(ta, 40 * 60), (tb, 10 * 60)]);
}

#[test]
fn a_return_visit_needs_its_documents_and_shows_on_its_window_until_the_next_call() {
    let mut f = Fx::new(mon("09:00"));
    let window = f.sign_in_at_sb();
    for (tok, id_number) in [("w1", Some(id(7))), ("w2", None)] {
        let cmd = Command::Issue {
            queue: "sb".into(),
            priority: Priority::Normal,
            id_number,
            phone: None,
            token: tok.into(),
        };
        f.run(&kiosk(), cmd).expect("issued");
    }
    f.run(&clerk(), Command::CallNext { window })
        .expect("called");
    let ret = |f: &mut Fx, note: Option<&str>| {
        f.n += 1;
        let cmd = Command::Appointment(Box::new(AppointmentCommand::FinishWithReturn {
            window,
            note: note.map(Into::into),
            day: day("2026-12-01"),
            start: t(9, 30),
            token: format!("rt{}", f.n),
            entropy: f.n * 104_729,
        }));
        f.run(&clerk(), cmd).map(|(r, _)| r)
    };
    // No list of what to bring: refused, and the citizen is still at the window.
    assert_eq!(code_of(ret(&mut f, None)), "reason_required");
    assert_eq!(code_of(ret(&mut f, Some("  "))), "reason_required");
    assert!(f.h.window_return(window, f.now).is_none());
    assert!(f.h.windows.get(window).and_then(|w| w.current).is_some());
    let Reply::Returned { booking, .. } = ret(&mut f, Some(" 户口簿原件 ")).expect("returned")
    else {
        panic!("return reply")
    };
    let shown =
        f.h.window_return(window, f.now)
            .expect("shown at its window");
    assert_eq!(shown.id, booking);
    assert_eq!(shown.documents.as_deref(), Some("户口簿原件"));
    assert_eq!(shown.from_window, Some(window));
    assert!(shown.return_visit);
    assert_eq!(shown.code.len(), 6);
    // Only at the window that booked it.
    assert!(f.h.window_return(window + 1, f.now).is_none());
    // Nine minutes later it still shows; ten and a bit, it is gone.
    assert!(f.h.window_return(window, mon("09:09")).is_some());
    assert!(f.h.window_return(window, mon("09:11")).is_none());
    // Calling the next citizen takes it off the screen at once.
    f.now = mon("09:02");
    f.run(&clerk(), Command::CallNext { window })
        .expect("called");
    assert!(f.h.window_return(window, f.now).is_none());
}

#[test]
fn begun_appointments_are_called_in_the_order_they_are_owed_a_call() {
    let mut f = Fx::new(mon("08:00"));
    let later_slot = f.book("2026-11-30", "10:00", 1).expect("booked");
    let earlier_slot = f.book("2026-11-30", "09:30", 2).expect("booked");
    // Checked in 25 minutes early for 10:00; and 14 minutes late for 09:30.
    f.now = mon("09:35");
    let a = f
        .check_in(CheckInKey::Code(f.code(later_slot)))
        .expect("checked in");
    f.now = mon("09:44");
    let b = f
        .check_in(CheckInKey::Code(f.code(earlier_slot)))
        .expect("checked in");
    f.now = mon("10:00");
    let window = f.sign_in_at_sb();
    let called: Vec<_> = (0..2).map(|_| f.call_and_finish(window)).collect();
    // 09:30's citizen is owed a call from 09:44, 10:00's from 10:00: in that order, although
    // the second checked in first.
    assert_eq!(
        called,
        vec![(b, CallReason::Appointment), (a, CallReason::Appointment)]
    );
}

#[test]
fn a_due_appointment_is_not_held_back_by_the_ratio() {
    // Four bookings checked in for 09:30 and 10:00 (two places each), a walk-in waiting since
    // 09:00, ratio 3. The first three calls go to appointments; the fourth is the ratio's
    // walk-in turn unless the last appointment (owed from 10:00) is due by then.
    // (name, due minutes, time of the fourth call, expected reason of the fourth call)
    let cases = [
        ("not due yet at 10:04", 5, "10:04", CallReason::Fairness),
        ("due at 10:05", 5, "10:05", CallReason::Appointment),
        ("the due rule off", 0, "10:30", CallReason::Fairness),
        ("due after 1 minute", 1, "10:01", CallReason::Appointment),
    ];
    for (name, due, fourth, want) in cases {
        let mut p = plan();
        p.rules.green_channel_ratio = 3;
        p.rules.appointment_calling = crate::domain::appointments::AppointmentCalling {
            ratio: None,
            due_s: due * 60,
            ahead_s: 0,
        };
        let now = mon("08:00");
        let mut f = Fx {
            h: Hall::restore(Arc::new(p), b"key".to_vec(), now, Restored::default()),
            now,
            n: 0,
        };
        let booked: Vec<BookingId> = [("09:30", 1), ("09:30", 2), ("10:00", 3), ("10:00", 4)]
            .into_iter()
            .map(|(s, who)| f.book("2026-11-30", s, who).expect(name))
            .collect();
        f.now = mon("09:00");
        let walk_in = Command::Issue {
            queue: "sb".into(),
            priority: Priority::Normal,
            id_number: None,
            phone: None,
            token: "w1".into(),
        };
        let Reply::Ticket(w1) = f.run(&kiosk(), walk_in).expect(name).0 else {
            panic!("{name}: a ticket")
        };
        f.now = mon("09:40");
        let appts: Vec<TicketId> = booked
            .iter()
            .map(|b| f.check_in(CheckInKey::Code(f.code(*b))).expect(name))
            .collect();
        f.now = mon("10:00");
        let window = f.sign_in_at_sb();
        let first: Vec<_> = (0..3).map(|_| f.call_and_finish(window)).collect();
        let want_first: Vec<_> = appts[..3]
            .iter()
            .map(|a| (*a, CallReason::Appointment))
            .collect();
        assert_eq!(first, want_first, "{name}");
        f.now = mon(fourth);
        let (id, reason) = f.call_and_finish(window);
        assert_eq!(reason, want, "{name}");
        let who = if want == CallReason::Fairness {
            w1
        } else {
            appts[3]
        };
        assert_eq!(id, who, "{name}");
    }
}
