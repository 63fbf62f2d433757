//! Who may do what: the 401/403 matrix, accounts and devices, throttled logins, the audit trail.

use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn the_401_403_matrix() {
    let hall = TestHall::spawn().await;
    let c1 = hall.login("clerk1").await;
    let c2 = hall.login("clerk2").await;
    let m = hall.login("manager").await;
    let a = hall.login("admin").await;
    hall.ok(&c1, 20, "sign-in", json!({})).await;

    // (method, path, body, who, status, code)
    let window_op = ("POST", "/api/v1/windows/20/call-next");
    let cases: Vec<(&str, &str, Option<&str>, u16, &str)> = vec![
        (window_op.0, window_op.1, None, 401, "unauthenticated"),
        (
            window_op.0,
            window_op.1,
            Some("garbage"),
            401,
            "unauthenticated",
        ),
        (window_op.0, window_op.1, Some(KIOSK), 403, "forbidden"),
        (window_op.0, window_op.1, Some(DISPLAY), 403, "forbidden"),
        (window_op.0, window_op.1, Some(EVALUATOR), 403, "forbidden"),
        (window_op.0, window_op.1, Some(&c2), 403, "not_your_window"),
        ("GET", "/api/v1/windows/20", None, 401, "unauthenticated"),
        ("POST", "/api/v1/tickets", None, 401, "unauthenticated"),
        ("POST", "/api/v1/tickets", Some(DISPLAY), 403, "forbidden"),
        ("POST", "/api/v1/tickets", Some(EVALUATOR), 403, "forbidden"),
        ("GET", "/api/v1/follow-ups", None, 401, "unauthenticated"),
        ("GET", "/api/v1/follow-ups", Some(KIOSK), 403, "forbidden"),
        ("GET", "/api/v1/follow-ups", Some(&c1), 403, "forbidden"),
        ("GET", "/api/v1/audit", Some(&c1), 403, "forbidden"),
        ("GET", "/api/v1/audit", Some(EVALUATOR), 403, "forbidden"),
        ("GET", "/api/v1/users", Some(&m), 403, "forbidden"),
        ("GET", "/api/v1/users", Some(&c1), 403, "forbidden"),
        ("GET", "/api/v1/users", None, 401, "unauthenticated"),
        (
            "POST",
            "/api/v1/devices/register",
            Some(&m),
            403,
            "forbidden",
        ),
        ("GET", "/api/v1/session", Some(KIOSK), 403, "forbidden"),
    ];
    for (method, path, who, status, code) in cases {
        let body = match path {
            "/api/v1/tickets" => Some(json!({"queue": "xf"})),
            "/api/v1/devices/register" => Some(json!({"id": "x1", "kind": "kiosk"})),
            _ => (method == "POST").then(|| json!({})),
        };
        let got = hall
            .send(
                Method::from_bytes(method.as_bytes()).expect("m"),
                path,
                who,
                body,
            )
            .await;
        assert_eq!(
            got.0.as_u16(),
            status,
            "{method} {path} as {who:?}: {}",
            got.1
        );
        assert_eq!(got.1["error"]["code"], code, "{method} {path} as {who:?}");
    }
    // And the allowed side of each line.
    assert_eq!(hall.get("/api/v1/follow-ups", Some(&m)).await.0, 200);
    assert_eq!(hall.get("/api/v1/audit", Some(&m)).await.0, 200);
    assert_eq!(hall.get("/api/v1/users", Some(&a)).await.0, 200);
    assert_eq!(hall.get("/api/v1/windows/20", Some(DISPLAY)).await.0, 200);
    assert_eq!(
        hall.post("/api/v1/tickets", Some(&c2), json!({"queue": "xf"}))
            .await
            .0,
        201
    );

    // An evaluator rates only at its own window.
    hall.ok(&c2, 21, "sign-in", json!({})).await;
    let t = hall.issue("sb").await;
    hall.ok(&c2, 21, "call-next", json!({})).await;
    hall.ok(&c2, 21, "finish", json!({"outcome": "done"})).await;
    let other = hall
        .post(
            "/api/v1/ratings",
            Some(EVALUATOR),
            json!({"ticket": t["id"], "level": "satisfied"}),
        )
        .await;
    assert_error(&other, 403, "forbidden");

    // A disabled account: its live session stops working, and it cannot log in.
    let (s, v) = hall
        .post("/api/v1/users/clerk2/disable", Some(&a), json!({}))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_error(
        &hall.get("/api/v1/session", Some(&c2)).await,
        401,
        "unauthenticated",
    );
    let login = hall
        .post(
            "/api/v1/session",
            None,
            json!({"username": "clerk2", "password": PASSWORD}),
        )
        .await;
    assert_error(&login, 401, "unauthenticated");
    assert_error(
        &hall
            .post("/api/v1/users/admin/disable", Some(&a), json!({}))
            .await,
        409,
        "cannot_disable_self",
    );

    // An expired session (12 hours on the hall clock).
    hall.set_clock(tomorrow_at(23, 0)).await;
    assert_error(
        &hall.get("/api/v1/session", Some(&c1)).await,
        401,
        "unauthenticated",
    );
}

#[tokio::test]
async fn secrets_are_stored_only_as_hashes() {
    let hall = TestHall::spawn().await;
    let token = hall.login("clerk1").await;
    let conn = rusqlite::Connection::open(&hall.db).expect("db");
    let hash: String = conn
        .query_row(
            "SELECT password_hash FROM users WHERE username = 'clerk1'",
            [],
            |r| r.get(0),
        )
        .expect("row");
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(!hash.contains(PASSWORD));
    let sessions: Vec<String> = conn
        .prepare("SELECT token_hash FROM sessions")
        .expect("sql")
        .query_map([], |r| r.get(0))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("all");
    assert!(!sessions.is_empty() && sessions.iter().all(|h| h != &token && h.len() == 64));
    let devices: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM devices WHERE token_hash = ?1",
            [KIOSK],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(devices, 0, "device tokens are stored hashed");
}

#[tokio::test]
async fn repeated_bad_passwords_are_slowed_down() {
    let hall = TestHall::spawn().await;
    for _ in 0..5 {
        let got = hall
            .post(
                "/api/v1/session",
                None,
                json!({"username": "clerk1", "password": "wrong-wrong"}),
            )
            .await;
        assert_error(&got, 401, "unauthenticated");
    }
    // Now even the right password has to wait.
    let got = hall
        .post(
            "/api/v1/session",
            None,
            json!({"username": "clerk1", "password": PASSWORD}),
        )
        .await;
    assert_error(&got, 429, "too_many_attempts");
    // Another account from the same address (a NAT, a proxy) is not held back.
    let got = hall
        .post(
            "/api/v1/session",
            None,
            json!({"username": "clerk2", "password": PASSWORD}),
        )
        .await;
    assert_eq!(got.0, 200, "{}", got.1);
}

#[tokio::test]
async fn an_admin_manages_accounts_and_devices() {
    let hall = TestHall::spawn().await;
    let a = hall.login("admin").await;
    let new = json!({"username": "li.hong", "name": "李红", "role": "clerk", "password": "long-enough-1"});
    let (s, v) = hall.post("/api/v1/users", Some(&a), new.clone()).await;
    assert_eq!(s, 201, "{v}");
    assert_error(
        &hall.post("/api/v1/users", Some(&a), new).await,
        409,
        "user_exists",
    );
    let weak = json!({"username": "wang", "name": "王", "role": "clerk", "password": "short"});
    assert_error(
        &hall.post("/api/v1/users", Some(&a), weak).await,
        422,
        "invalid_password",
    );
    let bad_role =
        json!({"username": "wang", "name": "王", "role": "boss", "password": "long-enough-1"});
    assert_error(
        &hall.post("/api/v1/users", Some(&a), bad_role).await,
        400,
        "bad_request",
    );
    let (s, v) = hall
        .post(
            "/api/v1/session",
            None,
            json!({"username": "li.hong", "password": "long-enough-1"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let old = v["token"].as_str().expect("token").to_string();
    let (s, _) = hall
        .post(
            "/api/v1/users/li.hong/password",
            Some(&a),
            json!({"password": "another-pass-2"}),
        )
        .await;
    assert_eq!(s, 200);
    assert_error(
        &hall.get("/api/v1/session", Some(&old)).await,
        401,
        "unauthenticated",
    );
    let (s, _) = hall
        .post(
            "/api/v1/session",
            None,
            json!({"username": "li.hong", "password": "another-pass-2"}),
        )
        .await;
    assert_eq!(s, 200);
    let (_, users) = hall.get("/api/v1/users", Some(&a)).await;
    let lh = users
        .as_array()
        .expect("list")
        .iter()
        .find(|u| u["username"] == "li.hong")
        .expect("listed")
        .clone();
    assert_eq!(lh["role"], "clerk");
    assert!(lh.get("password_hash").is_none());

    let no_window = hall
        .post(
            "/api/v1/devices/register",
            Some(&a),
            json!({"id": "ev-5", "kind": "evaluator"}),
        )
        .await;
    assert_error(&no_window, 422, "window_required");
    let (s, d) = hall
        .post(
            "/api/v1/devices/register",
            Some(&a),
            json!({"id": "ev-5", "kind": "evaluator", "window": 5}),
        )
        .await;
    assert_eq!(s, 201, "{d}");
    let token = d["token"].as_str().expect("shown once").to_string();
    assert_eq!(hall.get("/api/v1/windows/5", Some(&token)).await.0, 200);
    let (s, _) = hall
        .post("/api/v1/devices/ev-5/revoke", Some(&a), json!({}))
        .await;
    assert_eq!(s, 200);
    assert_error(
        &hall.get("/api/v1/windows/5", Some(&token)).await,
        401,
        "unauthenticated",
    );
    assert_error(
        &hall
            .post("/api/v1/devices/nope/revoke", Some(&a), json!({}))
            .await,
        404,
        "not_found",
    );
}

#[tokio::test]
async fn the_audit_trail_names_actor_window_time_and_reasons() {
    let hall = TestHall::spawn().await;
    let c1 = hall.login("clerk1").await;
    let m = hall.login("manager").await;
    hall.ok(&c1, 20, "sign-in", json!({})).await;
    let t1 = hall.issue("xf").await;
    let t2 = hall.issue("xf").await;
    hall.ok(
        &c1,
        20,
        "call",
        json!({"ticket": t2["number"], "reason": "appointment"}),
    )
    .await;
    hall.ok(&c1, 20, "no-show", json!({"reason": "left"})).await;
    hall.ok(&c1, 20, "pause", json!({"reason": "lunch"})).await;

    let day = tomorrow_at(10, 0)
        .to_zoned_datetime(jiff::tz::TimeZone::get("Asia/Shanghai").expect("tz"))
        .date();
    let (s, entries) = hall
        .get(&format!("/api/v1/audit?day={day}&window=20"), Some(&m))
        .await;
    assert_eq!(s, 200, "{entries}");
    let entries = entries.as_array().expect("list").clone();
    let kinds: Vec<&str> = entries.iter().filter_map(|e| e["kind"].as_str()).collect();
    assert_eq!(
        kinds,
        [
            "window.paused",
            "ticket.no_show",
            "ticket.called",
            "window.signed_in"
        ],
        "newest first"
    );
    let called = &entries[2];
    assert_eq!(called["actor"], "staff:clerk1");
    assert_eq!(called["window"], 20);
    assert_eq!(called["details"]["reason"], "specific");
    assert_eq!(called["details"]["note"], "appointment");
    assert!(called["at"].as_str().is_some_and(|a| a.ends_with("+08:00")));
    assert_eq!(entries[1]["details"]["reason"], "left");
    assert_eq!(entries[0]["details"]["reason"], "lunch");
    // An event about no ticket has no `ticket_id` at all, never a null one (a client following
    // it to /api/v1/desk/tickets/{id} must only find real ids).
    assert!(called["ticket_id"].is_i64(), "{called}");
    assert!(entries[0].get("ticket_id").is_none(), "{}", entries[0]);

    // By ticket number on a day, and by clerk.
    let (_, by_ticket) = hall
        .get(
            &format!(
                "/api/v1/audit?day={day}&ticket={}",
                t1["number"].as_str().expect("n")
            ),
            Some(&m),
        )
        .await;
    let kinds: Vec<&str> = by_ticket
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["ticket.issued"]);
    assert_eq!(by_ticket[0]["actor"], "device:kiosk-1");
    let (_, by_clerk) = hall
        .get("/api/v1/audit?clerk=clerk1&kind=ticket.", Some(&m))
        .await;
    assert_eq!(by_clerk.as_array().expect("list").len(), 2);
    assert_error(
        &hall.get("/api/v1/audit?day=yesterday", Some(&m)).await,
        400,
        "bad_request",
    );
}

#[tokio::test]
async fn a_clerk_may_be_limited_to_some_windows_or_departments() {
    let hall = TestHall::spawn().await;
    let a = hall.login("admin").await;
    let new = json!({"username": "hu.jie", "name": "胡杰", "role": "clerk", "password": "long-enough-1", "windows": "1-11"});
    let (s, v) = hall.post("/api/v1/users", Some(&a), new).await;
    assert_eq!(s, 201, "{v}");
    let (_, v) = hall
        .post(
            "/api/v1/session",
            None,
            json!({"username": "hu.jie", "password": "long-enough-1"}),
        )
        .await;
    let t = v["token"].as_str().expect("token").to_string();
    assert_error(
        &hall.op(&t, 20, "sign-in", json!({})).await,
        403,
        "outside_scope",
    );
    hall.ok(&t, 5, "sign-in", json!({})).await;
    hall.ok(&t, 5, "sign-out", json!({})).await;
    // Now by department: 公安局 (gaj) has windows 1-20.
    let (s, v) = hall
        .post(
            "/api/v1/users/hu.jie/scope",
            Some(&a),
            json!({"departments": "gaj"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    hall.ok(&t, 13, "sign-in", json!({})).await;
    hall.ok(&t, 13, "sign-out", json!({})).await;
    assert_error(
        &hall.op(&t, 21, "sign-in", json!({})).await,
        403,
        "outside_scope",
    );
    let bad = hall
        .post(
            "/api/v1/users/hu.jie/scope",
            Some(&a),
            json!({"windows": "500"}),
        )
        .await;
    assert_error(&bad, 422, "invalid_scope");
    let (_, users) = hall.get("/api/v1/users", Some(&a)).await;
    let u = users
        .as_array()
        .expect("list")
        .iter()
        .find(|u| u["username"] == "hu.jie")
        .expect("listed")
        .clone();
    assert_eq!(u["departments"], "gaj");
    assert!(u["windows"].is_null());
}

#[tokio::test]
async fn the_device_list_shows_an_evaluators_window() {
    let hall = TestHall::spawn().await;
    let m = hall.login("manager").await;
    let (status, body) = hall.get("/api/v1/devices", Some(&m)).await;
    assert_eq!(status, 200, "{body}");
    let device = |id: &str| {
        body["devices"]
            .as_array()
            .expect("devices")
            .iter()
            .find(|d| d["id"] == id)
            .cloned()
            .expect("listed")
    };
    assert_eq!(device("evaluator-20")["window"], 20);
    assert_eq!(device("kiosk-1")["window"], serde_json::Value::Null);
}

#[tokio::test]
async fn a_damaged_stored_role_is_an_error_not_a_clerk() {
    let hall = TestHall::spawn().await;
    let conn = rusqlite::Connection::open(&hall.db).expect("db");
    conn.execute(
        "UPDATE users SET role = 'boss' WHERE username = 'clerk2'",
        [],
    )
    .expect("damaged");
    let (s, v) = hall.session("clerk2", PASSWORD).await;
    assert_eq!(s, 500, "{v}");
    assert_eq!(v["error"]["code"], "internal");
    assert!(v.get("token").is_none());
}

#[tokio::test]
async fn a_disabled_clerk_leaves_the_window_at_once() {
    let hall = TestHall::spawn().await;
    let clerk = hall.login("clerk1").await;
    hall.ok(&clerk, 20, "sign-in", json!({})).await;
    let admin = hall.login("admin").await;
    let (s, r) = hall
        .post("/api/v1/users/clerk1/disable", Some(&admin), json!({}))
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["signed_out_windows"], json!([20]));
    let (_, w) = hall.get("/api/v1/windows/20", Some(&admin)).await;
    assert_eq!(w["status"], "closed", "{w}");
    assert!(w["clerk"].is_null(), "{w}");
    // And the clerk's session no longer works.
    let got = hall.op(&clerk, 20, "sign-in", json!({})).await;
    assert_eq!(got.0, 401, "{:?}", got.1);
}
