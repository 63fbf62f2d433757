//! Central reporting against a real PostgreSQL: the uplink ships exactly once across hall
//! restarts, a forgotten mark, a failed batch and a crashed database; the hall keeps issuing
//! while the centre is down; two halls with the same queue ids stay apart; the central report
//! of one hall equals that hall's own report.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::pg::Pg;

const PHONE: &str = "13800138000";

async fn central_count(url: &str, sql: &str) -> i64 {
    let c = hallq::central::connect(url).await.expect("central db");
    c.query_one(sql, &[]).await.expect(sql).get(0)
}

/// The centre's counts for one hall equal the hall's own, once.
async fn assert_same_counts(hall: &TestHall, url: &str, hall_id: &str) {
    let q = |t: &str| format!("SELECT COUNT(*) FROM {t} WHERE hall_id = '{hall_id}'");
    assert_eq!(
        central_count(url, &q("events")).await,
        hall_count(hall, "SELECT COUNT(*) FROM events")
    );
    assert_eq!(
        central_count(url, &q("tickets")).await,
        hall_count(hall, "SELECT COUNT(*) FROM tickets")
    );
    for (col, state) in [
        ("issued", None),
        ("served", Some("done")),
        ("cancelled", Some("cancelled")),
    ] {
        let central = central_count(
            url,
            &format!(
                "SELECT COALESCE(SUM({col}), 0)::int8 FROM day_queue WHERE hall_id = '{hall_id}'"
            ),
        )
        .await;
        let own = match state {
            None => hall_count(hall, "SELECT COUNT(*) FROM tickets"),
            Some(s) => hall_count(
                hall,
                &format!("SELECT COUNT(*) FROM tickets WHERE state = '{s}'"),
            ),
        };
        assert_eq!(central, own, "{col}");
    }
    assert_eq!(
        central_count(
            url,
            &format!(
                "SELECT COALESCE(SUM(x), 0)::int8 FROM day_queue, UNNEST(ratings) AS x
                 WHERE hall_id = '{hall_id}'"
            )
        )
        .await,
        hall_count(hall, "SELECT COUNT(*) FROM ratings"),
        "ratings"
    );
    assert_eq!(
        central_count(url, &q("ratings")).await,
        hall_count(hall, "SELECT COUNT(*) FROM ratings"),
        "ratings rebuilt"
    );
}

/// Issue `n` tickets of `queue`; each issue must answer within a second.
async fn issue_quickly(hall: &TestHall, queue: &str, n: usize) {
    for _ in 0..n {
        let t = Instant::now();
        hall.issue(queue).await;
        assert!(
            t.elapsed() < Duration::from_secs(1),
            "issue took {:?}",
            t.elapsed()
        );
    }
}

async fn serve_some(hall: &TestHall, token: &str, n: usize) {
    for _ in 0..n {
        let v = hall.ok(token, 20, "call-next", json!({})).await;
        hall.ok(token, 20, "finish", json!({"outcome": "done"}))
            .await;
        let body = json!({"ticket": v["current"]["id"], "level": "satisfied"});
        let (s, r) = hall.post("/api/v1/ratings", Some(EVALUATOR), body).await;
        assert_eq!(s, 201, "{r}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uplink_ships_exactly_once_across_restarts_a_failed_batch_and_a_crash() {
    let pg = Pg::start();
    let dir = tempfile::tempdir().expect("dir");
    let cfg = uplinked(&pg.url, "sandu");
    let hall = TestHall::spawn_in(dir.path(), &cfg).await;
    let c1 = hall.login("clerk1").await;
    hall.ok(&c1, 20, "sign-in", json!({})).await;
    issue_quickly(&hall, "xf", 20).await;
    serve_some(&hall, &c1, 5).await;
    caught_up(&hall, &pg.url, "sandu").await;
    assert_same_counts(&hall, &pg.url, "sandu").await;

    // A batch that fails at its very end (the hall row is the last write) leaves nothing.
    let admin = hallq::central::connect(&pg.url).await.expect("connect");
    admin
        .batch_execute(
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS
                 $$ BEGIN RAISE EXCEPTION 'refused for the test'; END $$;
             CREATE TRIGGER refuse BEFORE UPDATE ON halls FOR EACH ROW EXECUTE FUNCTION refuse();",
        )
        .await
        .expect("trigger");
    issue_quickly(&hall, "hj", 10).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while hall_count(
        &hall,
        "SELECT COALESCE(MAX(shipped_seq), 0) FROM uplink_mark",
    ) >= hall_count(&hall, "SELECT MAX(seq) FROM events")
    {
        assert!(
            Instant::now() < deadline,
            "the mark moved past a refused batch"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        central_count(&pg.url, "SELECT COUNT(*) FROM tickets WHERE queue = 'hj'").await,
        0,
        "a failed batch leaves no ticket behind"
    );
    admin
        .batch_execute("DROP TRIGGER refuse ON halls")
        .await
        .expect("drop trigger");
    caught_up(&hall, &pg.url, "sandu").await;
    assert_same_counts(&hall, &pg.url, "sandu").await;

    // The centre crashes in the middle of a batch: a trigger holds the batch's update of the
    // hall row (after its events and tickets went in) until the server is seen waiting in it.
    admin
        .batch_execute(
            "SET synchronous_commit = on; -- the hold must outlive the crash
             CREATE TABLE hold (x int); INSERT INTO hold VALUES (1);
             CREATE FUNCTION hold_batch() RETURNS trigger LANGUAGE plpgsql AS
                 $$ BEGIN WHILE EXISTS (SELECT 1 FROM hold) LOOP PERFORM pg_sleep(0.05);
                    END LOOP; RETURN NEW; END $$;
             CREATE TRIGGER hold BEFORE UPDATE ON halls FOR EACH ROW EXECUTE FUNCTION hold_batch();",
        )
        .await
        .expect("hold trigger");
    issue_quickly(&hall, "hj", 5).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while central_count(
        &pg.url,
        "SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep'",
    )
    .await
        == 0
    {
        assert!(Instant::now() < deadline, "no batch reached the hold");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(admin);
    // The hall keeps issuing and serving, and its floor shows the lag.
    pg.stop();
    issue_quickly(&hall, "hj", 30).await;
    serve_some(&hall, &c1, 5).await;
    let m = hall.login("manager").await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (s, floor) = hall.get("/api/v1/floor", Some(&m)).await;
        assert_eq!(s, StatusCode::OK, "{floor}");
        let up = &floor["uplink"];
        assert_eq!(up["hall_id"], "sandu");
        if up["connected"] == false && up["lag_events"].as_u64().is_some_and(|n| n >= 30) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the floor never showed the lag: {up}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // ...and so do its metrics.
    let metrics = hall
        .http
        .get(format!("{}/metrics", hall.base))
        .send()
        .await
        .expect("scraped")
        .text()
        .await
        .expect("text");
    let lag: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("hallq_uplink_lag_events "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no uplink lag in\n{metrics}"));
    assert!(lag >= 30, "lag {lag}");
    assert!(metrics.contains("hallq_uplink_connected 0"), "{metrics}");
    // The hall restarts and forgets how far it had shipped: everything is sent again.
    hall.stop().await;
    rusqlite::Connection::open(dir.path().join("hallq.db"))
        .expect("db")
        .execute("UPDATE uplink_mark SET shipped_seq = 0", [])
        .expect("forget the mark");
    let hall = TestHall::spawn_in(dir.path(), &cfg).await;
    let c1 = hall.login("clerk1").await;
    serve_some(&hall, &c1, 3).await;
    pg.restart();
    let admin = hallq::central::connect(&pg.url).await.expect("connect");
    admin
        .batch_execute("DELETE FROM hold")
        .await
        .expect("release");
    caught_up(&hall, &pg.url, "sandu").await;
    admin
        .batch_execute("DROP TRIGGER hold ON halls")
        .await
        .expect("drop hold");
    assert_same_counts(&hall, &pg.url, "sandu").await;
    assert_eq!(
        hall_count(
            &hall,
            "SELECT shipped_seq FROM uplink_mark WHERE hall_id = 'sandu'"
        ),
        hall_count(&hall, "SELECT MAX(seq) FROM events")
    );
    hall.stop().await;
}

/// A day in one hall on its simulated clock: waits, a start, a transfer, a no-show, a
/// cancellation and ratings.
pub(crate) async fn a_day(hall: &TestHall, extra_xf: usize) {
    let c1 = hall.login("clerk1").await;
    hall.ok(&c1, 20, "sign-in", json!({})).await;
    let mut tickets = Vec::new();
    for _ in 0..(4 + extra_xf) {
        tickets.push(hall.issue("xf").await);
    }
    tickets.push(hall.issue("hj").await);
    let mut minute = 0;
    let mut at = |m: i8| {
        minute += i64::from(m);
        tomorrow_at(10, 0) + jiff::SignedDuration::from_mins(minute)
    };
    hall.set_clock(at(7)).await;
    hall.ok(&c1, 20, "call-next", json!({})).await;
    hall.set_clock(at(4)).await;
    hall.ok(&c1, 20, "finish", json!({"outcome": "done"})).await;
    hall.ok(&c1, 20, "call-next", json!({})).await;
    hall.set_clock(at(2)).await;
    hall.ok(&c1, 20, "start", json!({})).await;
    hall.set_clock(at(9)).await;
    hall.ok(&c1, 20, "finish", json!({"outcome": "promised"}))
        .await;
    hall.set_clock(at(15)).await;
    hall.ok(&c1, 20, "call-next", json!({})).await;
    hall.ok(&c1, 20, "no-show", json!({"reason": "not_present"}))
        .await;
    hall.set_clock(at(3)).await;
    hall.ok(&c1, 20, "call-next", json!({})).await;
    hall.ok(
        &c1,
        20,
        "transfer",
        json!({"to_queue": "hj", "position": "original"}),
    )
    .await;
    let token = tickets.last().expect("hj")["token"]
        .as_str()
        .expect("token")
        .to_string();
    let (s, _) = hall
        .post(&format!("/api/v1/tickets/{token}/cancel"), None, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK);
    for i in 0..(extra_xf as i8 + 1).min(3) {
        hall.set_clock(at(6 + i)).await;
        let v = hall.ok(&c1, 20, "call-next", json!({})).await;
        hall.set_clock(at(3 * i + 2)).await;
        hall.ok(&c1, 20, "finish", json!({"outcome": "done"})).await;
        let level = ["very_satisfied", "dissatisfied", "satisfied"][i as usize];
        let mut body = json!({"ticket": v["current"]["id"], "level": level});
        if level == "dissatisfied" {
            body["reasons"] = json!(["办理时间太长"]);
        }
        let (s, r) = hall.post("/api/v1/ratings", Some(EVALUATOR), body).await;
        assert_eq!(s, 201, "{r}");
    }
}

/// Derived rows dropped by `central rebuild` come back from the events alone, once each: by
/// the command's own pass, and by the central server's, with the lag shown until then; the
/// hall's uplink, idle meanwhile, takes no part.
#[tokio::test(flavor = "multi_thread")]
async fn rebuilt_rollups_come_back_from_the_events_once() {
    let (_pg, url) = Pg::fresh().await;
    let a = TestHall::spawn_with(&uplinked(&url, "a")).await;
    let b = TestHall::spawn_with(&uplinked(&url, "b")).await;
    a_day(&a, 2).await;
    a_day(&b, 0).await;
    caught_up(&a, &url, "a").await;
    caught_up(&b, &url, "b").await;
    assert_same_counts(&a, &url, "a").await;
    let derived = "SELECT (SELECT COUNT(*) FROM tickets) + (SELECT COUNT(*) FROM ratings)
                   + (SELECT COUNT(*) FROM day_queue) + (SELECT COUNT(*) FROM month_queue)";
    let before = central_count(&url, derived).await;
    let run = |args: &[&str]| {
        let mut all = vec!["central", "rebuild", "--pg", url.as_str()];
        all.extend_from_slice(args);
        crate::cli::run(&all)
    };
    let (code, _, err) = run(&["--halls", "a,nowhere"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no such hall: a, nowhere"), "{err}");
    assert_eq!(
        central_count(&url, derived).await,
        before,
        "nothing dropped"
    );

    // Hall a, rebuilt here and now.
    let (code, out, err) = run(&["--halls", "a,a", "--now"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("derived rows dropped for a") && out.contains("rebuilt"),
        "{out}"
    );
    assert_same_counts(&a, &url, "a").await;
    assert_eq!(central_count(&url, derived).await, before);

    // Every hall, left to the central server, which shows the lag until it has caught up.
    let (code, out, err) = run(&[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("derived rows dropped for a, b"), "{out}");
    // (An uplink that ships a stray event meanwhile rolls its own hall up again: both are
    // right, so these look for the drop, not for its size.)
    assert!(central_count(&url, derived).await < before);
    let lagging = "SELECT COUNT(*) FROM halls h JOIN rollup_marks m USING (hall_id)
                   WHERE m.rolled_seq = 0 AND h.last_seq > 0";
    assert!(central_count(&url, lagging).await >= 1);
    let base = spawn_central(&url).await;
    let token = central_login(&base).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (s, body, _) = central_get(&base, Some(&token), "/api/v1/central/halls").await;
        assert_eq!(s, StatusCode::OK);
        let halls: Value = serde_json::from_slice(&body).expect("json");
        let lag: i64 = halls["halls"]
            .as_array()
            .expect("halls")
            .iter()
            .map(|h| h["rollup_lag_events"].as_i64().expect("rollup lag"))
            .sum();
        if lag == 0 {
            assert_eq!(
                halls["halls"][0]["rolled_seq"],
                halls["halls"][0]["last_seq"]
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "rollups never caught up: {halls}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_same_counts(&a, &url, "a").await;
    assert_same_counts(&b, &url, "b").await;
    assert_eq!(central_count(&url, derived).await, before);
}

/// A fault in the derived tables does not stop the events: they land, the rollups wait, and
/// once the fault is gone they catch up, each event once.
#[tokio::test(flavor = "multi_thread")]
async fn events_land_while_the_rollups_fail() {
    let (_pg, url) = Pg::fresh().await;
    let a = TestHall::spawn_with(&uplinked(&url, "a")).await;
    a.issue("xf").await;
    caught_up(&a, &url, "a").await;
    let c = hallq::central::connect(&url).await.expect("central db");
    c.batch_execute(
        "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS
             $$ BEGIN RAISE EXCEPTION 'tickets are read-only today'; END $$;
         CREATE TRIGGER refuse BEFORE INSERT ON tickets FOR EACH ROW EXECUTE FUNCTION refuse();",
    )
    .await
    .expect("break the tickets table");
    for _ in 0..3 {
        a.issue("xf").await;
    }
    let want = hall_count(&a, "SELECT COALESCE(MAX(seq), 0) FROM events");
    let marks = "SELECT h.last_seq, m.rolled_seq FROM halls h JOIN rollup_marks m USING (hall_id)";
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let r = c.query_one(marks, &[]).await.expect("marks");
        let (last, rolled): (i64, i64) = (r.get(0), r.get(1));
        if last >= want {
            assert!(
                rolled < last,
                "the rollups cannot have moved: {rolled} of {last}"
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the events stopped at {last} of {want}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    c.batch_execute("DROP TRIGGER refuse ON tickets")
        .await
        .expect("mend");
    // The uplink tries its rollups again only after a while; the central server, within
    // seconds. Meanwhile the hall goes on issuing and shipping.
    let _central = spawn_central(&url).await;
    a.issue("xf").await;
    caught_up(&a, &url, "a").await;
    assert_same_counts(&a, &url, "a").await;
}

/// A hall still on a hallq from before the rollups followed the events writes them in the
/// same transaction as its events and moves only `last_seq`: the rollup mark follows while it
/// stood at the old mark, and such a batch is refused while the rollups trail, so no event is
/// counted twice or not at all across a rolling upgrade.
#[tokio::test(flavor = "multi_thread")]
async fn an_older_hallqs_batches_keep_the_rollup_mark_true() {
    use hallq::central::fact::Shipped;
    use hallq::central::ingest::{self, HallInfo};
    let (_pg, url) = Pg::fresh().await;
    let mut c = hallq::central::connect(&url).await.expect("central db");
    hallq::central::schema::migrate(&mut c)
        .await
        .expect("migrate");
    let hall = HallInfo {
        hall_id: "old".into(),
        name: "旧版大厅".into(),
        wait_target_s: 1800,
        queues: Vec::new(),
    };
    assert_eq!(ingest::register(&mut c, &hall).await.expect("register"), 0);
    let mark = "SELECT rolled_seq FROM rollup_marks WHERE hall_id = 'old'";
    // An older hallq's batch (its rows and rollups went in beside this).
    c.batch_execute("UPDATE halls SET last_seq = 40 WHERE hall_id = 'old'")
        .await
        .expect("old batch");
    assert_eq!(central_count(&url, mark).await, 40);
    // This hallq's batch: the events alone.
    let issued = |seq: i64| Shipped {
        seq,
        at_ms: 1_796_000_000_000 + seq,
        day: "2026-12-01".into(),
        kind: "ticket.issued",
        ticket_id: Some(seq),
        queue: Some("xf".into()),
        department: Some("gaj".into()),
        window: None,
        outcome: None,
        level: None,
    };
    let batch = vec![issued(41), issued(42)];
    let s = ingest::ship(&mut c, &hall, &batch, 42).await.expect("ship");
    assert_eq!((s.before, s.upto, s.fresh), (40, 42, 2));
    assert_eq!(central_count(&url, mark).await, 40);
    // An older hallq's batch now would leave 41 and 42 out of the rollups: refused.
    let e = c
        .batch_execute("UPDATE halls SET last_seq = 50 WHERE hall_id = 'old'")
        .await
        .expect_err("refused");
    let msg = e
        .as_db_error()
        .map(|d| d.message().to_string())
        .unwrap_or_default();
    assert!(msg.contains("upgrade the hall"), "{e}");
    assert_eq!(
        ingest::materialize(&mut c, "old", 100, None)
            .await
            .expect("roll"),
        2
    );
    assert_eq!(central_count(&url, mark).await, 42);
    c.batch_execute("UPDATE halls SET last_seq = 50 WHERE hall_id = 'old'")
        .await
        .expect("old batch after the rollups caught up");
    assert_eq!(central_count(&url, mark).await, 50);
    // A hall an older hallq registered after the upgrade has no mark: it starts at last_seq.
    c.batch_execute(
        "INSERT INTO halls(hall_id, name, wait_target_s, last_seq) VALUES ('older', '更旧', 1800, 77)",
    )
    .await
    .expect("old register");
    let older = HallInfo {
        hall_id: "older".into(),
        ..hall
    };
    assert_eq!(
        ingest::register(&mut c, &older).await.expect("register"),
        77
    );
    assert_eq!(
        central_count(
            &url,
            "SELECT rolled_seq FROM rollup_marks WHERE hall_id = 'older'"
        )
        .await,
        77
    );
}

async fn central_login(base: &str) -> String {
    let res = reqwest::Client::new()
        .post(format!("{base}/api/v1/session"))
        .json(&json!({"username": "chief", "password": "central-pass"}))
        .send()
        .await
        .expect("login");
    assert_eq!(res.status(), StatusCode::OK);
    let v: Value = res.json().await.expect("json");
    v["token"].as_str().expect("token").to_string()
}

async fn central_get(base: &str, token: Option<&str>, path: &str) -> (StatusCode, Vec<u8>, String) {
    let mut req = reqwest::Client::new().get(format!("{base}{path}"));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.expect("sent");
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (res.status(), res.bytes().await.expect("body").to_vec(), ct)
}

/// The columns of a hall's waits row that a central row must equal.
const SAME: &[&str] = &[
    "issued",
    "served",
    "no_show",
    "transferred",
    "cancelled",
    "abandoned",
    "wait_count",
    "wait_mean_s",
    "wait_max_s",
    "service_mean_s",
    "over_target",
    "over_target_share",
    "rated",
    "rating_coverage",
    "satisfaction_rate",
    "bad_ratings",
];

/// Percentiles: the centre reads them from its rollups' log-linear histograms, within 1/32
/// of the hall's exact nearest-rank value (`central::pct`), and equal below 32 s.
const NEAR: &[&str] = &["wait_p50_s", "wait_p90_s", "service_p50_s", "service_p90_s"];

fn assert_rows_equal(own: &Value, central: &Value, what: &str) {
    for c in SAME {
        assert_eq!(
            own[c], central[c],
            "{what}: {c}\nhall: {own}\ncentral: {central}"
        );
    }
    for c in NEAR {
        match (own[c].as_u64(), central[c].as_u64()) {
            (Some(o), Some(x)) => assert!(
                o.abs_diff(x) * 32 <= o && (o >= 32 || o == x),
                "{what}: {c} {x} is not within 1/32 of {o}\nhall: {own}\ncentral: {central}"
            ),
            _ => assert_eq!(own[c], central[c], "{what}: {c}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_halls_stay_apart_and_the_central_report_equals_each_halls_own() {
    let (_pg, url) = Pg::fresh().await;
    // A database whose dates print day first: the centre must not read its own days as text.
    hallq::central::connect(&url)
        .await
        .expect("connect")
        .batch_execute(
            "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET datestyle = %L',
                 current_database(), 'SQL, DMY'); END $$",
        )
        .await
        .expect("datestyle");
    let a = TestHall::spawn_with(&uplinked(&url, "a")).await;
    let b = TestHall::spawn_with(&uplinked(&url, "b")).await;
    a_day(&a, 3).await;
    a_day(&b, 0).await;
    caught_up(&a, &url, "a").await;
    caught_up(&b, &url, "b").await;

    let base = spawn_central(&url).await;
    let (s, _, _) = central_get(&base, None, "/api/v1/central/halls").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let token = central_login(&base).await;
    let (s, body, _) = central_get(&base, Some(&token), "/api/v1/central/halls").await;
    assert_eq!(s, StatusCode::OK);
    let halls: Value = serde_json::from_slice(&body).expect("json");
    let ids: Vec<&str> = halls["halls"]
        .as_array()
        .expect("halls")
        .iter()
        .map(|h| h["hall_id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, ["a", "b"]);
    assert_eq!(halls["halls"][0]["lag_events"], 0);

    let m = a.login("manager").await;
    let day = tz_day();
    for by in ["queue", "department", "day"] {
        let path = format!("/api/v1/reports/waits?from={day}&to={day}&by={by}");
        let (s, own) = a.get(&path, Some(&m)).await;
        assert_eq!(s, StatusCode::OK, "{own}");
        let (s, body, _) = central_get(
            &base,
            Some(&token),
            &format!("/api/v1/central/reports/waits?from={day}&to={day}&by={by}&halls=a"),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
        let c: Value = serde_json::from_slice(&body).expect("json");
        let own_rows = own["rows"].as_array().expect("rows");
        let c_rows = c["rows"].as_array().expect("rows");
        assert_eq!(own_rows.len(), c_rows.len(), "{by}: {own} vs {c}");
        for row in own_rows {
            let twin = c_rows
                .iter()
                .find(|r| r["key"] == row["key"])
                .unwrap_or_else(|| panic!("{by}: no {} centrally", row["key"]));
            assert_rows_equal(row, twin, by);
        }
        assert_rows_equal(&own["total"], &c["total"], "total");
        assert_eq!(own["wait_histogram"], c["wait_histogram"]);
    }
    // A whole month (read from the monthly rollups) and a range across two months (a month's
    // days from the daily rollups) give the hall's own numbers too.
    let d: jiff::civil::Date = day.parse().expect("day");
    let next_end = d
        .first_of_month()
        .saturating_add(jiff::Span::new().months(1));
    for (from, to) in [
        (d.first_of_month(), d.last_of_month()),
        (d, next_end.last_of_month()),
    ] {
        let path = format!("/api/v1/reports/waits?from={from}&to={to}&by=queue");
        let (s, own) = a.get(&path, Some(&m)).await;
        assert_eq!(s, StatusCode::OK, "{own}");
        let (s, body, _) = central_get(
            &base,
            Some(&token),
            &format!("/api/v1/central/reports/waits?from={from}&to={to}&by=queue&halls=a"),
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        let c: Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(
            own["rows"].as_array().map(Vec::len),
            c["rows"].as_array().map(Vec::len)
        );
        for row in own["rows"].as_array().expect("rows") {
            let twin = c["rows"]
                .as_array()
                .expect("rows")
                .iter()
                .find(|r| r["key"] == row["key"])
                .unwrap_or_else(|| panic!("{from}..{to}: no {} centrally", row["key"]));
            assert_rows_equal(row, twin, &format!("{from}..{to}"));
        }
        assert_rows_equal(&own["total"], &c["total"], "month total");
        assert_eq!(own["wait_histogram"], c["wait_histogram"]);
    }

    // Both halls have 消防 (xf): two rows, each its own hall's numbers.
    let (_, body, _) = central_get(
        &base,
        Some(&token),
        &format!("/api/v1/central/reports/waits?from={day}&to={day}&by=queue"),
    )
    .await;
    let c: Value = serde_json::from_slice(&body).expect("json");
    let xf: Vec<(&str, u64)> = c["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter(|r| r["key"] == "xf")
        .map(|r| {
            (
                r["hall_id"].as_str().expect("hall"),
                r["issued"].as_u64().expect("n"),
            )
        })
        .collect();
    assert_eq!(xf, [("a", 7), ("b", 4)]);
    let (_, body, _) = central_get(
        &base,
        Some(&token),
        &format!("/api/v1/central/reports/waits?from={day}&to={day}&by=hall"),
    )
    .await;
    let c: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(c["rows"][0]["issued"], 8);
    assert_eq!(c["rows"][1]["issued"], 5);
    assert_eq!(c["total"]["issued"], 13);
    // By hall: each row is that hall's own total, and the all-halls total is their sum.
    let path = format!("/api/v1/reports/waits?from={day}&to={day}&by=queue");
    let (_, own_a) = a.get(&path, Some(&m)).await;
    let mb = b.login("manager").await;
    let (_, own_b) = b.get(&path, Some(&mb)).await;
    assert_rows_equal(&own_a["total"], &c["rows"][0], "hall a");
    assert_rows_equal(&own_b["total"], &c["rows"][1], "hall b");
    for col in [
        "issued",
        "served",
        "no_show",
        "transferred",
        "cancelled",
        "over_target",
    ] {
        assert_eq!(
            c["total"][col].as_u64(),
            Some(
                own_a["total"][col].as_u64().expect(col) + own_b["total"][col].as_u64().expect(col)
            ),
            "{col}: the all-halls total is the sum of the halls'"
        );
    }

    let q = format!("/api/v1/central/reports/waits?from={day}&to={day}&by=department");
    let (s, csv, ct) = central_get(&base, Some(&token), &format!("{q}&format=csv")).await;
    assert_eq!(
        (s, ct.as_str()),
        (StatusCode::OK, "text/csv; charset=utf-8")
    );
    assert!(String::from_utf8_lossy(&csv).lines().count() >= 3);
    let (s, xlsx, _) = central_get(&base, Some(&token), &format!("{q}&format=xlsx")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(xlsx.starts_with(b"PK"), "an xlsx is a zip");
    let (s, _, _) = central_get(
        &base,
        Some(&token),
        "/api/v1/central/reports/waits?from=2027-02-30&to=2027-03-01",
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, page, _) = central_get(&base, None, "/central/").await;
    assert_eq!(s, StatusCode::OK);
    assert!(String::from_utf8_lossy(&page).contains("chart.umd.min.js"));
}

/// The central server throttles password guessing as the hall does (the same guard): five
/// wrong passwords from one address, then even the right one must wait.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn central_logins_are_throttled_like_the_halls() {
    let (_pg, url) = Pg::fresh().await;
    let base = spawn_central(&url).await;
    let login = |password: &'static str| {
        let base = base.clone();
        async move {
            let res = reqwest::Client::new()
                .post(format!("{base}/api/v1/session"))
                .json(&json!({"username": "chief", "password": password}))
                .send()
                .await
                .expect("login");
            let status = res.status();
            let body: Value = res.json().await.expect("json");
            (status, body)
        }
    };
    assert_eq!(login("central-pass").await.0, StatusCode::OK);
    for _ in 0..5 {
        let (s, body) = login("guess").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{body}");
    }
    let (s, body) = login("central-pass").await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["error"]["code"], "too_many_attempts", "{body}");
}

/// Schema step 2 backfills older rollups' percentile buckets in SQL: its bucket function
/// agrees with the uplink's (`central::pct::bucket`) on every second up to past the top.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_backfills_buckets_are_the_uplinks() {
    let (_pg, url) = Pg::fresh().await;
    let mut c = hallq::central::connect(&url).await.expect("connect");
    hallq::central::schema::migrate(&mut c)
        .await
        .expect("migrate");
    let rows = c
        .query(
            "SELECT v, hallq_pct_bucket(v) FROM generate_series(0::int8, 70000::int8) v",
            &[],
        )
        .await
        .expect("buckets");
    assert_eq!(rows.len(), 70_001);
    for r in rows {
        let (v, b): (i64, i32) = (r.get(0), r.get(1));
        assert_eq!(b as usize, hallq::central::pct::bucket(v as u32), "{v}");
    }
}

/// The central server is on a network too: a page on another origin cannot use a manager's
/// cookie to change anything, form posts are refused, nothing frames its pages, and a logout
/// with a token that is no session's answers 401 (not a silent 204).
#[tokio::test]
async fn the_central_server_refuses_cross_site_requests_framing_and_bogus_logouts() {
    let (_pg, url) = Pg::fresh().await;
    let base = spawn_central(&url).await;
    let http = reqwest::Client::new();
    let page = http
        .get(format!("{base}/central/"))
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), StatusCode::OK);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .expect("csp");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    assert_eq!(page.headers()["x-content-type-options"], "nosniff");

    // A login form posted from anywhere: JSON only.
    let form = http
        .post(format!("{base}/api/v1/session"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("username=chief&password=central-pass")
        .send()
        .await
        .expect("form");
    assert_eq!(form.status(), StatusCode::BAD_REQUEST);

    // Another origin logging the manager out through their cookie.
    let token = central_login(&base).await;
    let cross = http
        .delete(format!("{base}/api/v1/session"))
        .header("cookie", format!("hallq_session={token}"))
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .expect("cross-site");
    assert_eq!(cross.status(), StatusCode::FORBIDDEN);
    let (s, _, _) = central_get(&base, Some(&token), "/api/v1/central/halls").await;
    assert_eq!(s, StatusCode::OK, "the session outlived the forged logout");
    let api = http
        .get(format!("{base}/api/v1/central/halls"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("halls");
    assert_eq!(api.headers()["cache-control"], "no-store");

    // Logouts: a bogus token and none at all are 401; the real one 204, then 401.
    for bearer in [Some("0".repeat(64)), None] {
        let mut req = http.delete(format!("{base}/api/v1/session"));
        if let Some(b) = bearer {
            req = req.bearer_auth(b);
        }
        assert_eq!(
            req.send().await.expect("logout").status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let out = |t: &str| {
        http.delete(format!("{base}/api/v1/session"))
            .bearer_auth(t.to_string())
            .send()
    };
    assert_eq!(
        out(&token).await.expect("logout").status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        out(&token).await.expect("again").status(),
        StatusCode::UNAUTHORIZED
    );
}

/// README's "Many halls", as processes: two halls configured as its loop configures them (the
/// shipped config plus the `[uplink]` lines its `printf` appends), `hallq central serve --demo`,
/// and the demo manager reading the waits by hall from the central server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readmes_two_halls_and_central_server() {
    const BIN: &str = env!("CARGO_BIN_EXE_hallq");
    let (_pg, url) = Pg::fresh().await;
    let dir = tempfile::tempdir().expect("dir");
    let http = reqwest::Client::new();
    let mut halls = Vec::new();
    for (h, n) in [("sandu", 2), ("duyun", 1)] {
        let cfg = dir.path().join(format!("local-{h}.toml"));
        std::fs::write(
            &cfg,
            format!(
                "{}\n[uplink]\nurl = \"{url}\"\nhall_id = \"{h}\"\n",
                shipped_config()
            ),
        )
        .expect("config");
        let db = dir.path().join(format!("{h}.db"));
        let out = std::process::Command::new(BIN)
            .args([
                "device", "add", "--kind", "kiosk", "--id", "kiosk-1", "--db",
            ])
            .arg(&db)
            .output()
            .expect("device add runs");
        assert!(out.status.success(), "{out:?}");
        let token = String::from_utf8(out.stdout)
            .expect("utf-8")
            .lines()
            .last()
            .expect("token line")
            .trim()
            .to_string();
        let (child, base) = crate::durability::start_server(&cfg, &db).await;
        for i in 0..n {
            // Sandu's second visitor gives a phone and an ID number: neither may leave.
            let body = if i == 1 {
                json!({"queue": "qydj", "phone": PHONE, "id_number": id_number(7)})
            } else {
                json!({"queue": "hj"})
            };
            let res = http
                .post(format!("{base}/api/v1/tickets"))
                .bearer_auth(&token)
                .json(&body)
                .send()
                .await
                .expect("issued");
            assert_eq!(res.status(), StatusCode::CREATED);
        }
        halls.push((child, db));
    }
    let mut central = tokio::process::Command::new(BIN)
        .args([
            "central",
            "serve",
            "--pg",
            &url,
            "--listen",
            "127.0.0.1:0",
            "--demo",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("central serve starts");
    let mut lines = tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(
        central.stdout.take().expect("stdout"),
    ));
    let base = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.expect("stdout") {
            if let Some(rest) = line.strip_prefix("hallq central listening on ") {
                return rest.trim().trim_end_matches("/central/").to_string();
            }
        }
        panic!("central serve exited before listening")
    })
    .await
    .expect("listening within 60 s");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let res = http
        .post(format!("{base}/api/v1/session"))
        .json(&json!({"username": "manager", "password": "hallq-demo"}))
        .send()
        .await
        .expect("login");
    assert_eq!(res.status(), StatusCode::OK);
    let token = res.json::<Value>().await.expect("json")["token"]
        .as_str()
        .expect("token")
        .to_string();
    // The halls run on the real clock: a range around today in the hall's zone.
    let today = jiff::tz::TimeZone::get("Asia/Shanghai")
        .expect("tz")
        .to_datetime(jiff::Timestamp::now())
        .date();
    let (from, to) = (
        today.yesterday().expect("day"),
        today.tomorrow().expect("day"),
    );
    // The halls ship in the background: read the report until it holds every ticket.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (s, body, _) = central_get(
            &base,
            Some(&token),
            &format!("/api/v1/central/reports/waits?from={from}&to={to}&by=hall"),
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        let v: Value = serde_json::from_slice(&body).expect("json");
        let rows: Vec<(&str, u64)> = v["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .map(|r| {
                (
                    r["hall_id"].as_str().expect("hall"),
                    r["issued"].as_u64().expect("n"),
                )
            })
            .collect();
        if rows == [("duyun", 1), ("sandu", 2)] {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the centre never had both halls' tickets: {v}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (s, body, _) = central_get(&base, Some(&token), "/api/v1/central/halls").await;
    assert_eq!(s, StatusCode::OK);
    let v: Value = serde_json::from_slice(&body).expect("json");
    let ids: Vec<&str> = v["halls"]
        .as_array()
        .expect("halls")
        .iter()
        .map(|h| h["hall_id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, ["duyun", "sandu"], "{v}");
    // Nothing personal reached the centre: not the phone, the ID number or the hall's hash.
    let hash: String = rusqlite::Connection::open(&halls[0].1)
        .expect("hall db")
        .query_row(
            "SELECT id_hash FROM tickets WHERE id_hash IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .expect("the real-name ticket's hash");
    for secret in [PHONE.to_string(), id_number(7), hash] {
        for table in ["events", "tickets", "ratings", "day_queue", "month_queue"] {
            assert_eq!(
                central_count(
                    &url,
                    &format!("SELECT COUNT(*) FROM {table} t WHERE t::text LIKE '%{secret}%'")
                )
                .await,
                0,
                "{table} holds {secret}"
            );
        }
    }
    drop(halls);
}
