//! Store round-trips, and faults that must leave nothing half-written.

use jiff::Timestamp;

use super::*;
use crate::domain::event::{ClerkRef, Event, TicketRef};
use crate::domain::hall::{Changes, WindowState, WindowStatus};
use crate::domain::rating::{FollowUp, FollowUpState, Rating, RatingLevel, RatingSource};
use crate::domain::ticket::{Outcome, Priority, Ticket, TicketId, TicketState};

fn ts(s: &str) -> Timestamp {
    s.parse().expect("valid time")
}

fn ticket(id: i64, seq: u32) -> Ticket {
    Ticket {
        id: TicketId(id),
        token: format!("{id:064x}"),
        service_day: "2026-11-27".parse().expect("date"),
        queue: "xf".into(),
        original_queue: "xf".into(),
        seq_no: seq,
        number: format!("XF{seq:03}"),
        priority: Priority::GreenChannel,
        state: TicketState::Done,
        issued_at: ts("2026-11-27T02:00:00Z"),
        queue_key: 1_764_208_800_000,
        target_window: Some(7),
        window: Some(20),
        first_called_at: Some(ts("2026-11-27T02:10:00Z")),
        called_at: Some(ts("2026-11-27T02:11:00Z")),
        started_at: Some(ts("2026-11-27T02:12:00Z")),
        finished_at: Some(ts("2026-11-27T02:20:00Z")),
        recall_count: 2,
        transfer_count: 1,
        outcome: Some(Outcome::Supplement),
        note: Some("缺材料".into()),
        id_hash: Some("ab".repeat(32)),
        id_last4: Some("002X".into()),
        phone: Some("13812345678".into()),
        clerk: Some("clerk1".into()),
        issued_by: "device:kiosk-1".into(),
    }
}

fn record(seq: u64, t: &Ticket) -> (EventRecord, String, i64) {
    let event = Event::TicketCancelled {
        ticket: TicketRef {
            id: t.id,
            number: t.number.clone(),
            queue: t.queue.clone(),
            priority: t.priority,
        },
    };
    (
        EventRecord {
            seq,
            at: "2026-11-27T10:00:00.000+08:00".into(),
            event,
        },
        "system".into(),
        0,
    )
}

#[test]
fn every_row_type_round_trips() {
    let dir = tempfile::tempdir().expect("dir");
    let mut store = Store::open(&dir.path().join("h.db")).expect("open");
    let t = ticket(1, 1);
    let w = WindowState {
        number: 20,
        status: WindowStatus::Paused,
        clerk: Some(ClerkRef {
            username: "clerk1".into(),
            name: "李红".into(),
        }),
        current: None,
        pause_reason: Some("午休".into()),
        pause_until: Some(ts("2026-11-27T05:30:00Z")),
        since: ts("2026-11-27T04:00:00Z"),
        green_streak: 2,
    };
    let rating = Rating {
        ticket: t.id,
        level: RatingLevel::Dissatisfied,
        reasons: vec!["办理时间太长".into()],
        comment: Some("等太久".into()),
        source: RatingSource::Evaluator,
        window: Some(20),
        clerk: Some("clerk1".into()),
        queue: "xf".into(),
        department: "gaj".into(),
        service_day: t.service_day,
        rated_at: ts("2026-11-27T02:21:00Z"),
        key: Some("w20-t1-tap".into()),
    };
    let follow_up = FollowUp {
        id: 1,
        ticket: t.id,
        department: "gaj".into(),
        opened_at: ts("2026-11-27T02:21:00Z"),
        due_at: ts("2026-12-02T09:00:00Z"),
        state: FollowUpState::Verified,
        verification: Some("属实".into()),
        result: None,
        note: None,
        closed_by: None,
        closed_at: None,
        appeal_by: None,
        appeal_note: None,
    };
    let changes = Changes {
        tickets: vec![t.clone()],
        windows: vec![w.clone()],
        counters: vec![(t.service_day, "xf".into(), 1)],
        ratings: vec![rating.clone()],
        follow_ups: vec![follow_up.clone()],
        bookings: Vec::new(),
        outbox: Vec::new(),
        accounts: Vec::new(),
    };
    store
        .commit(&mut [record(1, &t)], &changes)
        .expect("commit");
    let back = store
        .restore(t.service_day, t.service_day)
        .expect("restore");
    assert_eq!(back.tickets, vec![t.clone()]);
    assert_eq!(back.windows, vec![w]);
    assert_eq!(back.counters, vec![(t.service_day, "xf".to_string(), 1)]);
    assert_eq!(back.next_ticket_id, 2);
    assert_eq!(back.rated, vec![t.id]);
    assert_eq!(back.follow_ups, vec![follow_up.clone()]);
    assert_eq!(back.next_follow_up_id, 2);
    let listed = Reader::new(&dir.path().join("h.db"))
        .with(|c| feedback::follow_ups(c, Some("verified"), None, 0, 10))
        .expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].rating.reasons, rating.reasons);
    assert_eq!(listed[0].rating.comment, rating.comment);
    assert_eq!(listed[0].rating.number, "XF001");
    assert_eq!(listed[0].verification.as_deref(), Some("属实"));
    let key = Reader::new(&dir.path().join("h.db"))
        .with(|c| feedback::rating_key_of(c, t.id.0))
        .expect("key");
    assert_eq!(key, Some(Some("w20-t1-tap".to_string())));
    let none = Reader::new(&dir.path().join("h.db"))
        .with(|c| feedback::rating_key_of(c, t.id.0 + 1))
        .expect("key");
    assert_eq!(none, None);
    assert_eq!(store.last_seq().expect("seq"), 1);

    let reader = Reader::new(&dir.path().join("h.db"));
    let events = reader.events_since(0, 10).expect("events");
    assert_eq!(events, vec![record(1, &t).0]);
    // Readers hold no key: the phone stays sealed in the database, and only sealed.
    assert_eq!(
        reader.ticket_by_token(&t.token).expect("read"),
        Some(Ticket {
            phone: None,
            ..t.clone()
        })
    );
    assert_eq!(reader.ticket_by_token("nope").expect("read"), None);
    let stored: String = store
        .conn
        .query_row("SELECT phone FROM tickets WHERE id = 1", [], |r| r.get(0))
        .expect("phone");
    let phone = t.phone.as_deref().expect("the test ticket has a phone");
    assert!(
        seal::is_sealed(&stored) && !stored.contains(phone),
        "{stored}"
    );

    // An open ticket of an earlier day comes back too (to be abandoned); a final one does not.
    let mut old = ticket(2, 1);
    old.service_day = "2026-11-26".parse().expect("date");
    old.token = "old".into();
    old.state = TicketState::Waiting;
    let mut old_done = ticket(3, 2);
    old_done.service_day = old.service_day;
    old_done.token = "old-done".into();
    let changes = Changes {
        tickets: vec![old.clone(), old_done],
        ..Default::default()
    };
    store.commit(&mut [], &changes).expect("commit");
    let back = store
        .restore(t.service_day, t.service_day)
        .expect("restore");
    assert_eq!(back.tickets.len(), 2);
    assert!(back.tickets.contains(&old));

    // Secrets are created once and kept.
    let k1 = store.secret("k", || "first".into()).expect("secret");
    let k2 = store.secret("k", || "second".into()).expect("secret");
    assert_eq!((k1.as_str(), k2.as_str()), ("first", "first"));
}

#[test]
fn the_same_number_twice_is_refused_and_nothing_is_half_written() {
    let dir = tempfile::tempdir().expect("dir");
    let mut store = Store::open(&dir.path().join("h.db")).expect("open");
    let a = ticket(1, 1);
    store
        .commit(
            &mut [record(1, &a)],
            &Changes {
                tickets: vec![a.clone()],
                ..Default::default()
            },
        )
        .expect("commit");
    // A second ticket with another id but the same day and number: the batch fails as a whole.
    let mut b = ticket(2, 1);
    b.token = "other".into();
    let c = ticket(3, 3);
    let batch = Changes {
        tickets: vec![c.clone(), b],
        ..Default::default()
    };
    assert!(store.commit(&mut [record(2, &c)], &batch).is_err());
    let back = store
        .restore(a.service_day, a.service_day)
        .expect("restore");
    assert_eq!(back.tickets, vec![a]);
    assert_eq!(
        store.last_seq().expect("seq"),
        1,
        "the batch's event was not kept either"
    );
}

#[test]
fn a_full_database_says_so_and_keeps_what_was_committed() {
    let dir = tempfile::tempdir().expect("dir");
    let mut store = Store::open(&dir.path().join("h.db")).expect("open");
    let pages: i64 = store
        .conn
        .query_row("PRAGMA page_count", [], |r| r.get(0))
        .expect("pages");
    store
        .conn
        .query_row(
            &format!("PRAGMA max_page_count = {}", pages + 2),
            [],
            |_| Ok(()),
        )
        .expect("limit");
    let mut committed = 0;
    let err = loop {
        let mut batch = Vec::new();
        for _ in 0..50 {
            committed += 1;
            let mut t = ticket(committed, committed as u32);
            t.note = Some("备注".repeat(200));
            batch.push(t);
        }
        let first = committed - 49;
        match store.commit(
            &mut [],
            &Changes {
                tickets: batch,
                ..Default::default()
            },
        ) {
            Ok(_) => continue,
            Err(e) => break (e, first),
        }
    };
    assert!(matches!(err.0, StoreError::Full(_)), "{:?}", err.0);
    let n: i64 = store
        .conn
        .query_row("SELECT COUNT(*) FROM tickets", [], |r| r.get(0))
        .expect("count");
    assert_eq!(
        n,
        err.1 - 1,
        "every earlier batch kept, none of the failed one"
    );
}

#[test]
fn a_read_only_database_says_so() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("h.db");
    let keys = Store::open(&path).expect("create").keys;
    let conn =
        Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY).expect("open ro");
    let mut store = Store {
        conn,
        path: path.clone(),
        keys,
    };
    let t = ticket(1, 1);
    let err = store
        .commit(
            &mut [record(1, &t)],
            &Changes {
                tickets: vec![t],
                ..Default::default()
            },
        )
        .expect_err("read-only");
    assert!(matches!(err, StoreError::ReadOnly(_)), "{err:?}");
}

#[test]
fn migrations_run_once_and_record_the_version() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("h.db");
    drop(Store::open(&path).expect("create"));
    let store = Store::open(&path).expect("reopen: migrations are not run twice");
    let v: i64 = store
        .conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("version");
    assert!(v >= 1);
    let mode: String = store
        .conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .expect("mode");
    assert_eq!(mode, "wal");
    let sync: i64 = store
        .conn
        .query_row("PRAGMA synchronous", [], |r| r.get(0))
        .expect("sync");
    assert_eq!(sync, 2, "synchronous=FULL");
}

#[test]
fn todays_window_pauses_come_back_for_the_estimator() {
    use crate::domain::event::WindowRef;
    use crate::domain::reason::{Reason, ReasonCode};
    let dir = tempfile::tempdir().expect("dir");
    let mut store = Store::open(&dir.path().join("h.db")).expect("open");
    let w = WindowRef {
        number: 20,
        name: "公安消防".into(),
        zone: "A".into(),
    };
    let paused = Event::WindowPaused {
        window: w.clone(),
        reason: Reason::code(ReasonCode::Lunch),
        until: None,
    };
    let resumed = Event::WindowResumed { window: w.clone() };
    // (local time, event): one of the day before, then today's pause and resume, and an
    // event of another kind.
    let steps = [
        ("2026-11-26T12:00:00.000+08:00", paused.clone()),
        ("2026-11-27T00:10:00.000+08:00", paused.clone()),
        ("2026-11-27T12:00:00.000+08:00", resumed.clone()),
        (
            "2026-11-27T12:01:00.000+08:00",
            Event::WindowSignedIn {
                window: w.clone(),
                clerk: ClerkRef {
                    username: "clerk1".into(),
                    name: "张三".into(),
                },
            },
        ),
    ];
    let mut batch: Vec<(EventRecord, String, i64)> = steps
        .iter()
        .enumerate()
        .map(|(i, (at, e))| {
            (
                EventRecord {
                    seq: i as u64 + 1,
                    at: (*at).into(),
                    event: e.clone(),
                },
                "staff:clerk1".into(),
                ts(at).as_millisecond(),
            )
        })
        .collect();
    store
        .commit(&mut batch, &Changes::default())
        .expect("commit");
    let day = "2026-11-27".parse().expect("date");
    let back = store.restore(day, day).expect("restore").window_events;
    assert_eq!(
        back,
        vec![
            (ts("2026-11-27T00:10:00+08:00"), paused),
            (ts("2026-11-27T12:00:00+08:00"), resumed),
        ]
    );
}
