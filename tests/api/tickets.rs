//! Issuing, following and cancelling tickets; numbering, quotas, hours, real names.

use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn health_and_hall_overview() {
    let hall = TestHall::spawn().await;
    let (s, v) = hall.get("/healthz", None).await;
    assert_eq!(s, 200);
    assert_eq!(v, json!({"status": "ok"}));
    let (s, v) = hall.get("/api/v1/hall", None).await;
    assert_eq!(s, 200);
    assert_eq!(v["name"], "三都水族自治县政务服务中心");
    assert_eq!(v["timezone"], "Asia/Shanghai");
    assert_eq!(v["departments"].as_array().expect("list").len(), 41);
    assert_eq!(v["windows"].as_array().expect("list").len(), 118);
    let queues = v["queues"].as_array().expect("list");
    assert!(queues.len() > 26);
    for q in queues {
        for key in [
            "id",
            "name",
            "prefix",
            "department",
            "open",
            "waiting",
            "estimated_wait_s",
        ] {
            assert!(q.get(key).is_some(), "queue lacks {key}: {q}");
        }
    }
    let w5 = &v["windows"][4];
    assert_eq!(w5["number"], 5);
    assert!(w5["queues"].as_array().is_some_and(|q| !q.is_empty()));
}

#[tokio::test]
async fn issue_follow_and_cancel() {
    let hall = TestHall::spawn().await;
    let a = hall.issue("xf").await;
    assert_eq!(a["number"], "XF001");
    assert_eq!(a["queue"], "xf");
    assert_eq!(a["department"], "gaj");
    assert_eq!(a["priority"], "normal");
    assert_eq!(a["state"], "waiting");
    assert_eq!(a["waiting_ahead"], 0);
    assert_eq!(a["windows"], json!([20]));
    // The shipped config names no printer for kiosk-1 (the installer sets one).
    assert_eq!(a["print"]["status"], "none");
    let token = a["token"].as_str().expect("token");
    assert!(token.len() >= 32, "at least 128 bits");
    assert_eq!(a["status_url"], format!("/t/{token}"));
    assert!(a["issued_at"].as_str().expect("time").ends_with("+08:00"));

    let b = hall.issue("xf").await;
    assert_eq!(b["number"], "XF002");
    assert_eq!(b["waiting_ahead"], 1);
    // No window of 消防 is open: no number is promised (API.md v2).
    assert_eq!(b["estimated_wait_s"], Value::Null);

    // 4-digit numbers when the quota passes 999.
    assert_eq!(hall.issue("hj").await["number"], "H0001");

    let (s, v) = hall
        .get(
            &format!("/api/v1/tickets/{}", b["token"].as_str().expect("token")),
            None,
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(v["number"], "XF002");
    assert_eq!(v["state"], "waiting");
    assert_eq!(v["waiting_ahead"], 1);
    for key in [
        "number",
        "queue",
        "state",
        "waiting_ahead",
        "estimated_wait_s",
        "window",
        "issued_at",
    ] {
        assert!(v.get(key).is_some(), "public view lacks {key}");
    }
    assert!(v.get("token").is_none() && v.get("phone").is_none());

    let (s, v) = hall
        .post(&format!("/api/v1/tickets/{token}/cancel"), None, json!({}))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["state"], "cancelled");
    // B moves up once A is gone.
    let (_, v) = hall
        .get(
            &format!("/api/v1/tickets/{}", b["token"].as_str().expect("token")),
            None,
        )
        .await;
    assert_eq!(v["waiting_ahead"], 0);
    let again = hall
        .post(&format!("/api/v1/tickets/{token}/cancel"), None, json!({}))
        .await;
    assert_error(&again, 409, "invalid_state");

    let unknown = hall
        .get(&format!("/api/v1/tickets/{}", "0".repeat(64)), None)
        .await;
    assert_error(&unknown, 404, "not_found");
    let junk = hall.get("/api/v1/tickets/not-a-token", None).await;
    assert_error(&junk, 404, "not_found");
}

#[tokio::test]
async fn staff_can_issue_at_the_help_desk_and_reprint() {
    let hall = TestHall::spawn().await;
    let m = hall.login("manager").await;
    let (s, t) = hall
        .post(
            "/api/v1/tickets",
            Some(&m),
            json!({"queue": "xf", "priority": "green_channel"}),
        )
        .await;
    assert_eq!(s, 201, "{t}");
    assert_eq!(t["priority"], "green_channel");
    let id = t["id"].as_i64().expect("id");
    let (s, r) = hall
        .post(
            &format!("/api/v1/tickets/{id}/reprint"),
            Some(KIOSK),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["number"], t["number"]);
    let missing = hall
        .post("/api/v1/tickets/999999/reprint", Some(KIOSK), json!({}))
        .await;
    assert_error(&missing, 404, "unknown_ticket");
}

#[tokio::test]
async fn refusals_say_why() {
    let config = shipped_config().replacen(
        "prefix = \"XF\"\ndepartment = \"gaj\"\ndaily_quota = 40",
        "prefix = \"XF\"\ndepartment = \"gaj\"\ndaily_quota = 2",
        1,
    );
    assert_ne!(config, shipped_config(), "fixture must apply");
    let hall = TestHall::spawn_with(&config).await;

    assert_error(
        &hall
            .post("/api/v1/tickets", Some(KIOSK), json!({"queue": "nope"}))
            .await,
        404,
        "unknown_queue",
    );

    hall.issue("xf").await;
    hall.issue("xf").await;
    assert_error(
        &hall
            .post("/api/v1/tickets", Some(KIOSK), json!({"queue": "xf"}))
            .await,
        409,
        "quota_exhausted",
    );

    // Real-name queue: ID needed, checked, one open ticket per person.
    assert_error(
        &hall
            .post("/api/v1/tickets", Some(KIOSK), json!({"queue": "crj"}))
            .await,
        422,
        "id_number_required",
    );
    let bad = hall
        .post(
            "/api/v1/tickets",
            Some(KIOSK),
            json!({"queue": "crj", "id_number": "110105194912310021"}),
        )
        .await;
    assert_error(&bad, 422, "invalid_id_number");
    let ok = hall
        .issue_with(json!({"queue": "crj", "id_number": "11010519491231002X"}))
        .await;
    assert_eq!(ok["number"], "CR001");
    let dup = hall
        .post(
            "/api/v1/tickets",
            Some(KIOSK),
            json!({"queue": "crj", "id_number": "11010519491231002x"}),
        )
        .await;
    assert_error(&dup, 409, "duplicate_ticket");
    let phone = hall
        .post(
            "/api/v1/tickets",
            Some(KIOSK),
            json!({"queue": "hj", "phone": "12345"}),
        )
        .await;
    assert_error(&phone, 422, "invalid_phone");

    // The ID number is stored only as a keyed hash.
    let conn = rusqlite::Connection::open(&hall.db).expect("open db");
    let stored: String = conn
        .query_row(
            "SELECT id_hash FROM tickets WHERE number = 'CR001'",
            [],
            |r| r.get(0),
        )
        .expect("row");
    assert!(!stored.contains("110105"));
    let leaked: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM events WHERE payload LIKE '%110105%'",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(leaked, 0);

    // Past the cut-off (16:30) the queue is closed; 出入境 closes at 16:00 - 30 min.
    hall.set_clock(tomorrow_at(15, 45)).await;
    let crj = hall
        .post(
            "/api/v1/tickets",
            Some(KIOSK),
            json!({"queue": "crj", "id_number": "11010519491231002X"}),
        )
        .await;
    assert_error(&crj, 409, "queue_closed");
    hall.set_clock(tomorrow_at(16, 45)).await;
    assert_error(
        &hall
            .post("/api/v1/tickets", Some(KIOSK), json!({"queue": "hj"}))
            .await,
        409,
        "queue_closed",
    );
    let (_, v) = hall.get("/api/v1/hall", None).await;
    let hj = v["queues"]
        .as_array()
        .expect("queues")
        .iter()
        .find(|q| q["id"] == "hj")
        .expect("hj")
        .clone();
    assert_eq!(hj["open"], false);
    assert_eq!(hj["closed_reason"], "queue_closed");
}

#[tokio::test]
async fn numbers_restart_each_service_day() {
    let hall = TestHall::spawn().await;
    assert_eq!(hall.issue("xf").await["number"], "XF001");
    let held = hall.issue("xf").await;
    // Next morning in Asia/Shanghai: numbering restarts, yesterday's open ticket is abandoned.
    hall.set_clock(
        tomorrow_at(10, 0)
            .checked_add(jiff::SignedDuration::from_hours(24))
            .expect("in range"),
    )
    .await;
    assert_eq!(hall.issue("xf").await["number"], "XF001");
    let (s, v) = hall
        .get(
            &format!("/api/v1/tickets/{}", held["token"].as_str().expect("token")),
            None,
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(v["state"], "abandoned");
}

#[tokio::test]
async fn no_wait_is_promised_while_no_open_window_serves_the_queue() {
    let hall = TestHall::spawn().await;
    let note = "暂无窗口办理，开窗后开始计时";
    // Nobody signed in anywhere: no number, a reason in words, on every surface.
    let t = hall.issue("xf").await;
    assert_eq!(t["estimated_wait_s"], Value::Null, "{t}");
    assert_eq!(t["estimate_note"], note);
    let token = t["token"].as_str().expect("token");
    let (_, phone) = hall.get(&format!("/api/v1/tickets/{token}"), None).await;
    assert_eq!(phone["estimated_wait_s"], Value::Null);
    assert_eq!(phone["estimate_note"], note);
    let (_, h) = hall.get("/api/v1/hall", None).await;
    let xf = |h: &Value| {
        h["queues"]
            .as_array()
            .expect("queues")
            .iter()
            .find(|q| q["id"] == "xf")
            .cloned()
            .expect("xf")
    };
    assert_eq!(xf(&h)["estimated_wait_s"], Value::Null);
    assert_eq!(xf(&h)["estimate_note"], note);
    // Window 20 (消防, queue xf) opens: a number (1 ahead, the configured time) and no note.
    let c1 = hall.login("clerk1").await;
    hall.ok(&c1, 20, "sign-in", json!({})).await;
    let t2 = hall.issue("xf").await;
    assert!(
        t2["estimated_wait_s"].as_u64().expect("a number") > 0,
        "{t2}"
    );
    assert!(t2.get("estimate_note").is_none(), "{t2}");
    let (_, h) = hall.get("/api/v1/hall", None).await;
    assert!(xf(&h)["estimated_wait_s"].is_u64());
    // Paused for lunch is still staffed; signed out is not.
    hall.ok(&c1, 20, "pause", json!({"reason": "午休"})).await;
    let (_, phone) = hall.get(&format!("/api/v1/tickets/{token}"), None).await;
    assert!(phone["estimated_wait_s"].is_u64(), "{phone}");
    hall.ok(&c1, 20, "resume", json!({})).await;
    hall.ok(&c1, 20, "sign-out", json!({})).await;
    let (_, phone) = hall.get(&format!("/api/v1/tickets/{token}"), None).await;
    assert_eq!(phone["estimated_wait_s"], Value::Null);
}
