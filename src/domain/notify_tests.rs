//! What each event owes the gateways, on the shipped hall and an explicit clock.

use std::sync::Arc;

use super::*;
use crate::domain::hall::{Actor, AppointmentCommand, Command, Reply, Restored, Role};
use crate::domain::ticket::Priority;

/// Monday 2026-11-30, local time.
fn mon(hm: &str) -> Timestamp {
    format!("2026-11-30T{hm}:00+08:00").parse().expect("ts")
}

fn id(n: u32) -> String {
    let body = format!("52273219800101{n:03}");
    let c = crate::domain::idcard::check_char(&body).expect("check char");
    format!("{body}{}", c as char)
}

struct Fx {
    hall: Hall,
    notifier: Notifier,
    seq: u64,
    now: Timestamp,
}

impl Fx {
    fn new(kinds: &[NoteKind]) -> Fx {
        let (_, mut plan) =
            crate::config::Config::parse("hall.toml", include_str!("../../config/hall.toml"))
                .expect("shipped config");
        plan.rules.always_open = true;
        let now = mon("10:00");
        Fx {
            hall: Hall::restore(Arc::new(plan), b"k".to_vec(), now, Restored::default()),
            notifier: Notifier::new(NotifyPlan {
                targets: vec![Target {
                    name: "sms".into(),
                    kinds: kinds.iter().copied().collect(),
                }],
                ahead: 2,
                day_before_at: Some(Time::constant(18, 0, 0, 0)),
                hour_before_minutes: 60,
                public_url: Some("https://hall.example/".into()),
            }),
            seq: 0,
            now,
        }
    }

    /// Run `cmd` as `actor` and derive what the batch owes.
    fn run(&mut self, actor: &Actor, cmd: Command) -> (Reply, Vec<OutboxWrite>) {
        let (reply, events) = self.hall.handle(actor, cmd, self.now).expect("accepted");
        let records: Vec<(EventRecord, String, i64)> = events
            .into_iter()
            .map(|event| {
                self.seq += 1;
                let rec = EventRecord {
                    seq: self.seq,
                    at: String::new(),
                    event,
                };
                (rec, String::new(), self.now.as_millisecond())
            })
            .collect();
        let w = self.notifier.derive(&records, &self.hall);
        (reply, w)
    }

    fn book(&mut self, who: u32) -> (BookingId, Vec<OutboxWrite>) {
        let cmd = Command::Appointment(Box::new(AppointmentCommand::Book {
            queue: "crj".into(),
            day: "2026-12-01".parse().expect("day"),
            start: Time::constant(10, 0, 0, 0),
            id_number: id(who),
            phone: "13800138000".into(),
            external_id: None,
            token: format!("bk{who}"),
            entropy: u64::from(who) * 7919,
        }));
        match self.run(&Actor::Citizen, cmd) {
            (Reply::Booking { id, .. }, w) => (id, w),
            other => panic!("{other:?}"),
        }
    }

    fn issue(&mut self, queue: &str, phone: Option<&str>) -> Vec<OutboxWrite> {
        let cmd = Command::Issue {
            queue: queue.into(),
            priority: Priority::Normal,
            id_number: None,
            phone: phone.map(Into::into),
            token: format!("t{}", self.seq),
        };
        let kiosk = Actor::Device {
            id: "kiosk-1".into(),
            kind: crate::domain::accounts::DeviceKind::Kiosk,
            window: None,
        };
        self.run(&kiosk, cmd).1
    }
}

fn notes(w: &[OutboxWrite]) -> Vec<(&str, NoteKind, i64)> {
    w.iter()
        .filter_map(|w| match w {
            OutboxWrite::Enqueue(n) => Some((n.key.as_str(), n.kind, n.due_ms)),
            OutboxWrite::DropReminders(_) => None,
        })
        .collect()
}

#[test]
fn no_gateway_no_writes() {
    let mut fx = Fx::new(&[]);
    fx.notifier = Notifier::new(NotifyPlan::default());
    let (_, w) = fx.book(1);
    assert!(w.is_empty());
}

#[test]
fn a_booking_is_confirmed_now_and_reminded_the_evening_before_and_an_hour_before() {
    let mut fx = Fx::new(&NoteKind::ALL);
    let (b, w) = fx.book(1);
    let got = notes(&w);
    let n = b.0;
    assert_eq!(
        got,
        vec![
            (
                format!("booking-{n}-confirmed").as_str(),
                NoteKind::BookingConfirmed,
                mon("10:00").as_millisecond()
            ),
            (
                format!("booking-{n}-reminder-day").as_str(),
                NoteKind::ReminderDayBefore,
                mon("18:00").as_millisecond()
            ),
            (
                format!("booking-{n}-reminder-hour").as_str(),
                NoteKind::ReminderHourBefore,
                "2026-12-01T09:00:00+08:00"
                    .parse::<Timestamp>()
                    .expect("ts")
                    .as_millisecond()
            ),
        ]
    );
    let OutboxWrite::Enqueue(first) = &w[0] else {
        panic!("enqueue")
    };
    assert_eq!(first.phone, "13800138000");
    assert!(
        first.body.get("phone").is_none(),
        "the phone is added when sent"
    );
    assert_eq!(first.body["id"], first.key.as_str());
    assert_eq!(first.body["appointment"]["start"], "10:00");
    assert_eq!(
        first.body["appointment"]["url"],
        format!("https://hall.example/a/bk1")
    );
    // Cancelling drops the reminders and says so.
    let (_, w) = fx.run(
        &Actor::Citizen,
        Command::Appointment(Box::new(AppointmentCommand::Cancel {
            token: "bk1".into(),
        })),
    );
    assert_eq!(w[0], OutboxWrite::DropReminders(b));
    assert_eq!(notes(&w)[0].1, NoteKind::BookingCancelled);
}

#[test]
fn a_booking_made_late_gets_no_reminder_already_past() {
    let mut fx = Fx::new(&NoteKind::ALL);
    fx.now = mon("20:00");
    let (_, w) = fx.book(2);
    let kinds: Vec<NoteKind> = notes(&w).into_iter().map(|n| n.1).collect();
    assert_eq!(
        kinds,
        [NoteKind::BookingConfirmed, NoteKind::ReminderHourBefore]
    );
}

#[test]
fn only_the_kinds_a_gateway_takes_and_only_citizens_with_a_phone() {
    let mut fx = Fx::new(&[NoteKind::Called, NoteKind::Ahead]);
    let (_, w) = fx.book(3);
    assert!(w.is_empty(), "{w:?}");
    let clerk = Actor::Staff {
        username: "c1".into(),
        name: "李红".into(),
        role: Role::Clerk,
    };
    fx.run(
        &clerk,
        Command::SignIn {
            window: 20,
            scope: Default::default(),
        },
    );
    // Four tickets: the 1st and 2nd have 0 and 1 ahead (told at once), the 4th 3 (not yet).
    let mut all = Vec::new();
    for phone in [
        Some("13900000001"),
        Some("13900000002"),
        None,
        Some("13900000004"),
    ] {
        all.extend(fx.issue("xf", phone));
    }
    let keys: Vec<String> = notes(&all).iter().map(|n| n.0.to_string()).collect();
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert!(keys.iter().all(|k| k.ends_with("-ahead")));
    // The first call: "called" for XF001, and the 4th now has 2 ahead.
    let (_, w) = fx.run(&clerk, Command::CallNext { window: 20 });
    let got: Vec<NoteKind> = notes(&w).into_iter().map(|n| n.1).collect();
    assert_eq!(got, [NoteKind::Called, NoteKind::Ahead], "{w:?}");
    let OutboxWrite::Enqueue(called) = &w[0] else {
        panic!("enqueue")
    };
    assert_eq!(called.body["ticket"]["number"], "XF001");
    assert_eq!(called.body["window"]["number"], 20);
    // Nobody is told "ahead" twice.
    let w = fx.issue("xf", None);
    assert!(w.is_empty(), "{w:?}");
}

#[test]
fn a_batch_that_was_not_committed_owes_its_ahead_again() {
    let mut fx = Fx::new(&[NoteKind::Ahead]);
    let w = fx.issue("xf", Some("13900000001"));
    assert_eq!(notes(&w).len(), 1);
    // The commit failed: the next batch touching the line derives it again (same key).
    fx.notifier.not_committed(&w);
    let again = fx.issue("xf", None);
    assert_eq!(notes(&again), notes(&w));
}
