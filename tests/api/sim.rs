//! A short simulated day runs over the real API and its invariants hold.

use std::path::PathBuf;

use hallq::sim::{DayOptions, End, Scenario};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_simulated_day_adds_up() {
    let dir = tempfile::tempdir().expect("temp dir");
    let o = DayOptions {
        config: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config/hall.toml"),
        db: Some(dir.path().join("hallq.db")),
        seed: 11,
        day: None,
        // A quiet day keeps the test short; every behaviour still happens.
        scenario: Scenario {
            load: 0.12,
            transfer: 0.5,
            green_channel: 0.1,
            no_show: 0.1,
            ..Scenario::busy()
        },
    };
    let (r, hall, _) = hallq::sim::run_day(&o, "127.0.0.1:0")
        .await
        .expect("the day runs");
    let kiosk = hall.kiosk_id.clone();
    hall.stop().await.expect("server stops");

    // A past day (yesterday on a fresh database), marked simulated; what it created is off.
    let tz = jiff::tz::TimeZone::get("Asia/Shanghai").expect("tz");
    let today = tz.to_datetime(jiff::Timestamp::now()).date();
    assert_eq!(r.day, today.yesterday().expect("day"));
    let db = dir.path().join("hallq.db");
    let store = hallq::store::Store::open(&db).expect("open");
    assert_eq!(
        store.ticket_days().expect("days"),
        [(r.day.to_string(), true)]
    );
    let users = hallq::admin::users(&db).expect("users");
    assert!(users.iter().any(|u| u.username.starts_with("sim-w")));
    assert!(
        users
            .iter()
            .filter(|u| u.username.starts_with("sim-w"))
            .all(|u| u.disabled),
        "every sim-w* account is disabled"
    );
    let devices = hallq::admin::devices(&db).expect("devices");
    assert!(
        devices.iter().any(|d| d.id == kiosk && d.revoked),
        "the simulator's kiosk is revoked"
    );

    assert!(r.tickets.len() > 100, "issued {}", r.tickets.len());
    assert_eq!(r.errors, 0, "unexpected API replies");
    // Every issued ticket ended in a final state or still waits, on the server and in the
    // simulator's view, and the two agree.
    let total: usize = r.server_states.values().sum();
    assert_eq!(total, r.tickets.len());
    for state in r.server_states.keys() {
        assert!(
            ["done", "no_show", "cancelled", "waiting"].contains(&state.as_str()),
            "ticket left in state {state}"
        );
    }
    let count = |e: End| r.tickets.iter().filter(|t| t.end == e).count();
    let server = |s: &str| r.server_states.get(s).copied().unwrap_or(0);
    assert_eq!(count(End::Done), server("done"));
    assert_eq!(count(End::NoShow), server("no_show"));
    assert_eq!(count(End::Cancelled), server("cancelled"));
    assert_eq!(count(End::Waiting), server("waiting"));
    // Something of everything happened.
    assert!(count(End::Done) > 0 && count(End::NoShow) > 0);
    assert!(r.tickets.iter().any(|t| t.transferred));
    assert!(r.tickets.iter().any(|t| t.green));
    // Waits are never negative, on either side.
    assert!(
        r.tickets
            .iter()
            .filter_map(|t| t.wait_s())
            .all(|w| w >= 0.0)
    );
    assert!(r.server_waits.iter().all(|w| *w >= 0));
    // Every called ticket was called after it was issued; served ones have a service time.
    for t in &r.tickets {
        assert_eq!(t.end == End::Done, t.service_s.is_some(), "{}", t.number);
        if matches!(t.end, End::Done | End::NoShow) {
            assert!(t.called_ms.is_some(), "{} ended without a call", t.number);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_seed_gives_the_same_day() {
    let run = |seed| async move {
        let o = DayOptions {
            config: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config/hall.toml"),
            db: None,
            seed,
            day: None,
            scenario: Scenario {
                load: 0.05,
                ..Scenario::normal()
            },
        };
        let (r, hall, scratch) = hallq::sim::run_day(&o, "127.0.0.1:0").await.expect("runs");
        hall.stop().await.expect("stops");
        if let Some(d) = scratch {
            let _ = std::fs::remove_dir_all(d);
        }
        r.tickets
            .iter()
            .map(|t| (t.number.clone(), t.issued_ms, t.called_ms, t.end))
            .collect::<Vec<_>>()
    };
    let a = run(5).await;
    assert!(!a.is_empty());
    assert_eq!(a, run(5).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_simulated_day_books_ahead_checks_in_and_misses_as_the_server_does() {
    let dir = tempfile::tempdir().expect("temp dir");
    // The latest weekday before today: the shipped queues take bookings Monday to Friday.
    let tz = jiff::tz::TimeZone::get("Asia/Shanghai").expect("tz");
    let mut day = tz
        .to_datetime(jiff::Timestamp::now())
        .date()
        .yesterday()
        .expect("day");
    while matches!(
        day.weekday(),
        jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday
    ) {
        day = day.yesterday().expect("day");
    }
    let o = DayOptions {
        config: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config/hall.toml"),
        db: Some(dir.path().join("hallq.db")),
        seed: 4,
        day: Some(day),
        scenario: Scenario {
            load: 0.4,
            booked: 0.6,
            ..Scenario::busy()
        },
    };
    let (r, hall, _) = hallq::sim::run_day(&o, "127.0.0.1:0")
        .await
        .expect("the day runs");
    hall.stop().await.expect("server stops");
    assert_eq!(r.errors, 0, "unexpected API replies");
    use hallq::sim::booking::Fate;
    let n = |f: &dyn Fn(&Fate) -> bool| r.bookings.iter().filter(|b| f(&b.fate)).count();
    let checked_in = n(&|f| matches!(f, Fate::CheckedIn(_)));
    let missed = n(&|f| matches!(f, Fate::NoShow | Fate::TooLate));
    assert!(checked_in > 5, "{:?}", r.bookings.len());
    assert!(
        r.bookings.iter().any(|b| b.plan.arrives_ms.is_none()),
        "some never come ({} bookings)",
        r.bookings.len()
    );
    // The server's bookings end as the simulator saw them: checked in, or missed on the
    // hall clock alone (nobody told it).
    let conn = rusqlite::Connection::open(dir.path().join("hallq.db")).expect("db");
    let count = |sql: &str| -> usize {
        conn.query_row(sql, [], |row| row.get::<_, i64>(0))
            .expect("count") as usize
    };
    assert_eq!(
        count("SELECT COUNT(*) FROM appointments WHERE state = 'checked_in'"),
        checked_in
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM appointments WHERE state = 'missed'"),
        missed
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM tickets WHERE priority = 'appointment'"),
        checked_in
    );
    // Each checked-in ticket is the simulator's, marked as its booking's.
    for b in &r.bookings {
        if let Fate::CheckedIn(i) = b.fate {
            let t = &r.tickets[i];
            assert_eq!(t.queue, b.plan.queue);
            assert!(t.booking.is_some());
            assert!(t.issued_ms >= b.plan.slot_ms - 30 * 60_000, "{}", t.number);
        }
    }
    let f = hallq::sim::appointment_figures(&r);
    assert_eq!(f.checked_in, checked_in);
    assert!(f.on_time_share > 0.0 && f.on_time_share <= 1.0, "{f:?}");
}
