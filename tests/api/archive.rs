//! `hallq archive`: closed days leave the live database for an archive file, and every report
//! over a range that covers them gives exactly the figures it gave before; open days, a
//! running server and a second run change nothing.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;

/// Every report a manager reads over `from..=to` (and the month of `from`), as JSON.
async fn reports(hall: &TestHall, from: &str, to: &str) -> Vec<(String, Value)> {
    let m = hall.login("manager").await;
    let mut paths: Vec<String> = [
        "queue",
        "department",
        "window",
        "window_kind",
        "clerk",
        "hour",
        "day",
        "arrival",
    ]
    .iter()
    .map(|by| format!("/api/v1/reports/waits?from={from}&to={to}&by={by}"))
    .collect();
    paths.push(format!(
        "/api/v1/reports/staff-appraisal?month={}",
        &from[..7]
    ));
    paths.push(format!(
        "/api/v1/reports/appointments?from={from}&to={to}&by=queue"
    ));
    let mut out = Vec::new();
    for p in paths {
        let (s, mut v) = hall.get(&p, Some(&m)).await;
        assert_eq!(s, StatusCode::OK, "{p}: {v}");
        if let Some(o) = v.as_object_mut() {
            o.retain(|k, _| !k.starts_with("generated"));
        }
        out.push((p, v));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn archived_days_leave_the_live_database_and_reports_stay_the_same() {
    let dir = tempfile::tempdir().expect("dir");
    let hall = TestHall::spawn_simulated_on(dir.path()).await;
    hall.set_clock(tomorrow_at(10, 0)).await;
    crate::central::a_day(&hall, 2).await;
    let tz = jiff::tz::TimeZone::get("Asia/Shanghai").expect("tz");
    let day = tz.to_datetime(tomorrow_at(10, 0)).date();
    let later = day.checked_add(jiff::Span::new().days(4)).expect("date");
    let later_at = tz.to_timestamp(later.at(10, 0, 0, 0)).expect("time");
    hall.set_clock(later_at).await;
    hall.issue("xf").await;
    // A bad rating's follow-up keeps its day open until a manager closes it.
    let m = hall.login("manager").await;
    let (_, list) = hall.get("/api/v1/follow-ups?state=open", Some(&m)).await;
    for f in list.as_array().expect("follow-ups") {
        let id = &f["id"];
        let (s, v) = hall
            .post(
                &format!("/api/v1/follow-ups/{id}/verify"),
                Some(&m),
                serde_json::json!({"verification": "调取录像"}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (s, v) = hall
            .post(
                &format!("/api/v1/follow-ups/{id}/close"),
                Some(&m),
                serde_json::json!({"result": "explained"}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    let (from, to) = (day.to_string(), later.to_string());
    let before = reports(&hall, &from, &to).await;
    let issued = before[0].1["total"]["issued"].as_u64().expect("issued");
    assert!(issued >= 8, "{}", before[0].1);

    let (_, plan) = hallq::config::Config::load(&dir.path().join("hall.toml")).expect("config");
    let to_file = dir.path().join("archive-1.db");
    let next = day.tomorrow().expect("day");
    let db = hall.db.clone();
    let archive = |before: jiff::civil::Date| {
        hallq::ops::archive::run(&db, &to_file, before, &plan, later_at)
    };
    // The server holds the database: nothing happens.
    assert!(archive(next).is_err(), "archived under a running server");
    hall.stop().await;
    let live = |sql: &str| -> i64 {
        rusqlite::Connection::open(&db)
            .expect("db")
            .query_row(sql, [], |r| r.get(0))
            .expect(sql)
    };
    let tickets_before = live("SELECT COUNT(*) FROM tickets");
    // The day of the hall's clock is not closed (a ticket waits; phone ratings still come).
    let refused = archive(later.tomorrow().expect("day"))
        .expect("ran")
        .expect_err("an open day archived");
    assert!(refused.contains("not closed"), "{refused}");
    assert_eq!(live("SELECT COUNT(*) FROM tickets"), tickets_before);

    let moved = archive(next).expect("ran").expect("archived");
    assert_eq!(moved.tickets as i64 + 1, tickets_before, "{moved:?}");
    assert!(
        moved.ratings >= 2 && moved.events > moved.tickets,
        "{moved:?}"
    );
    assert_eq!(
        live(&format!(
            "SELECT COUNT(*) FROM tickets WHERE service_day < '{next}'"
        )),
        0
    );
    assert_eq!(live("SELECT COUNT(*) FROM archives"), 1);
    let held: i64 = rusqlite::Connection::open(&to_file)
        .expect("archive")
        .query_row("SELECT COUNT(*) FROM tickets", [], |r| r.get(0))
        .expect("count");
    assert_eq!(held as u64, moved.tickets);
    // A second run moves nothing and loses nothing.
    let again = archive(next).expect("ran").expect("idempotent");
    assert_eq!((again.tickets, again.events), (0, 0), "{again:?}");

    let hall = TestHall::spawn_simulated_on(dir.path()).await;
    hall.set_clock(later_at + jiff::SignedDuration::from_mins(5))
        .await;
    let after = reports(&hall, &from, &to).await;
    for ((path, was), (_, is)) in before.iter().zip(&after) {
        assert_eq!(was, is, "{path} changed by archiving");
    }
    // Without its archive file, a report that needs it says so rather than count less.
    std::fs::rename(&to_file, dir.path().join("moved-away.db")).expect("move");
    hall.stop().await;
    let hall = TestHall::spawn_simulated_on(dir.path()).await;
    let m = hall.login("manager").await;
    let (s, _) = hall
        .get(
            &format!("/api/v1/reports/waits?from={from}&to={to}&by=queue"),
            Some(&m),
        )
        .await;
    assert_ne!(s, StatusCode::OK);
    let (s, v) = hall
        .get(
            &format!("/api/v1/reports/waits?from={to}&to={to}&by=queue"),
            Some(&m),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    hall.stop().await;
}
