//! Day changes never break numbering (issue 13, part 3): the engine against a clock that
//! steps back by an hour or a day, across midnight, and a database that already holds a
//! later day. Each case issues through the real engine and store and reads the numbers back.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use jiff::{SignedDuration, Timestamp};

use super::{Outcome, start};
use crate::clock::{Clock, ClockError};
use crate::domain::hall::{Actor, Command};
use crate::domain::{Plan, Priority};
use crate::store::Store;

/// A machine clock that NTP may set anywhere, backwards included.
struct MachineClock(AtomicI64);

impl MachineClock {
    fn at(t: Timestamp) -> Arc<MachineClock> {
        Arc::new(MachineClock(AtomicI64::new(t.as_millisecond())))
    }
    fn step(&self, by: SignedDuration) {
        self.0.fetch_add(by.as_millis() as i64, Ordering::SeqCst);
    }
}

impl Clock for MachineClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_millisecond(self.0.load(Ordering::SeqCst)).expect("in range")
    }
    fn set(&self, to: Timestamp) -> Result<Timestamp, ClockError> {
        self.0.store(to.as_millisecond(), Ordering::SeqCst);
        Ok(to)
    }
}

fn plan() -> Arc<Plan> {
    let (_, mut plan) =
        crate::config::Config::parse("hall.toml", include_str!("../config/hall.toml"))
            .expect("config");
    plan.rules.always_open = true;
    Arc::new(plan)
}

/// 2026-12-03 at `hh:mm` in the hall's time zone, plus `days`.
fn local(days: i64, hh: i8, mm: i8) -> Timestamp {
    let tz = jiff::tz::TimeZone::get("Asia/Shanghai").expect("tz");
    let day = jiff::civil::date(2026, 12, 3)
        .checked_add(jiff::Span::new().days(days))
        .expect("day");
    tz.to_timestamp(day.at(hh, mm, 0, 0)).expect("time")
}

fn kiosk() -> Actor {
    Actor::Device {
        id: "kiosk-1".into(),
        kind: crate::domain::DeviceKind::Kiosk,
        window: None,
    }
}

async fn issue(engine: &super::EngineHandle) -> String {
    let cmd = Command::Issue {
        queue: "xf".into(),
        priority: Priority::Normal,
        id_number: None,
        phone: None,
        token: super::random_hex(),
    };
    let Outcome::Ticket(t) = engine
        .execute(kiosk(), cmd)
        .await
        .expect("issued, never a 500")
    else {
        panic!("a ticket")
    };
    let id = t.id;
    let day = engine
        .read(move |h, _, _| h.ticket(id).map(|t| t.service_day))
        .expect("the ticket is today's");
    format!("{day} {}", t.number)
}

/// Issue `n` tickets of queue xf: "service-day number" of each.
async fn numbers(engine: &super::EngineHandle, n: usize) -> Vec<String> {
    let mut got = Vec::new();
    for _ in 0..n {
        got.push(issue(engine).await);
    }
    got
}

#[tokio::test]
async fn clock_stepping_back_an_hour_keeps_the_day_and_its_numbering() {
    let dir = tempfile::tempdir().expect("dir");
    let clock = MachineClock::at(local(0, 10, 0));
    let engine = start(
        plan(),
        Store::open(&dir.path().join("h.db")).expect("db"),
        clock.clone(),
    )
    .expect("engine");
    let mut got = numbers(&engine, 2).await;
    clock.step(SignedDuration::from_hours(-1));
    engine.tick().await;
    got.extend(numbers(&engine, 1).await);
    assert_eq!(
        got,
        ["2026-12-03 XF001", "2026-12-03 XF002", "2026-12-03 XF003"]
    );
}

#[tokio::test]
async fn clock_stepping_back_a_day_and_forward_again_never_reuses_a_number() {
    // A clock a day ahead issues on 12-04; NTP sets it back to 12-03; then 12-04 really comes.
    let dir = tempfile::tempdir().expect("dir");
    let clock = MachineClock::at(local(1, 9, 0));
    let engine = start(
        plan(),
        Store::open(&dir.path().join("h.db")).expect("db"),
        clock.clone(),
    )
    .expect("engine");
    let mut got = numbers(&engine, 3).await;
    clock.set(local(0, 9, 5)).expect("set");
    engine.tick().await;
    got.extend(numbers(&engine, 2).await);
    clock.set(local(1, 9, 0)).expect("set");
    engine.tick().await;
    got.extend(numbers(&engine, 1).await);
    assert_eq!(
        got,
        [
            "2026-12-04 XF001",
            "2026-12-04 XF002",
            "2026-12-04 XF003",
            "2026-12-03 XF001",
            "2026-12-03 XF002",
            "2026-12-04 XF004",
        ]
    );
}

#[tokio::test]
async fn clock_stepping_back_an_hour_across_midnight() {
    let dir = tempfile::tempdir().expect("dir");
    let clock = MachineClock::at(local(0, 23, 30));
    let engine = start(
        plan(),
        Store::open(&dir.path().join("h.db")).expect("db"),
        clock.clone(),
    )
    .expect("engine");
    let mut got = numbers(&engine, 1).await;
    clock.step(SignedDuration::from_hours(1)); // 00:30 the next day
    got.extend(numbers(&engine, 2).await);
    clock.step(SignedDuration::from_hours(-1)); // back to 23:30
    got.extend(numbers(&engine, 1).await);
    clock.step(SignedDuration::from_hours(2)); // 01:30 the next day
    got.extend(numbers(&engine, 1).await);
    assert_eq!(
        got,
        [
            "2026-12-03 XF001",
            "2026-12-04 XF001",
            "2026-12-04 XF002",
            "2026-12-03 XF002",
            "2026-12-04 XF003",
        ]
    );
}

#[tokio::test]
async fn a_database_holding_a_future_day_stays_out_of_today_and_numbering_continues_on_it() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("h.db");
    // A server living 12-05 (a simulation run ahead, or a clock two days fast) leaves three
    // tickets waiting.
    {
        let ahead = MachineClock::at(local(2, 9, 0));
        let engine = start(plan(), Store::open(&path).expect("db"), ahead.clone()).expect("e");
        assert_eq!(numbers(&engine, 3).await.len(), 3);
    }
    // Today's server (12-03) on the same database: none of them waits today.
    let clock = MachineClock::at(local(0, 9, 0));
    let engine = start(plan(), Store::open(&path).expect("db"), clock.clone()).expect("e");
    let waiting = engine.read(|h, now, _| {
        h.queue_views(now)
            .into_iter()
            .find(|q| q.id == "xf")
            .map(|q| q.waiting)
    });
    assert_eq!(waiting, Some(0), "a later day's tickets do not wait today");
    let mut got = numbers(&engine, 1).await;
    // The day after passes through; then 12-05 comes, with a tick before the first ticket.
    clock.set(local(1, 9, 0)).expect("set");
    got.extend(numbers(&engine, 1).await);
    clock.set(local(2, 8, 59)).expect("set");
    engine.tick().await;
    got.extend(numbers(&engine, 1).await);
    assert_eq!(
        got,
        ["2026-12-03 XF001", "2026-12-04 XF001", "2026-12-05 XF004"]
    );
}
