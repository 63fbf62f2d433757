//! Accounts, devices and sessions go through the one writer: every change is a stored event
//! with its actor, the audit trail shows who did it, the public stream never carries them, and
//! no server path opens a write connection of its own.

use std::time::Duration;

use serde_json::{Value, json};

use crate::audience::{frames_until, kinds};
use crate::helpers::*;

/// The audit entries of kind `kind` (prefix), newest first.
async fn audit(hall: &TestHall, token: &str, query: &str) -> Vec<Value> {
    let (s, v) = hall
        .get(&format!("/api/v1/audit?{query}"), Some(token))
        .await;
    assert_eq!(s, 200, "{v}");
    v.as_array().expect("entries").clone()
}

#[tokio::test]
async fn every_account_device_and_session_change_is_an_event_with_its_actor() {
    let hall = TestHall::spawn().await;
    let clerk = hall.login("clerk1").await;
    let a = hall.login("admin").await;
    let new =
        json!({"username": "li.na", "name": "李娜", "role": "clerk", "password": "long-enough-1"});
    assert_eq!(hall.post("/api/v1/users", Some(&a), new).await.0, 201);
    let steps = [
        (
            "/api/v1/users/li.na/password",
            json!({"password": "another-pass-2"}),
        ),
        ("/api/v1/users/li.na/scope", json!({"windows": "1-3"})),
        ("/api/v1/users/li.na/disable", json!({})),
        ("/api/v1/users/li.na/enable", json!({})),
        (
            "/api/v1/devices/register",
            json!({"id": "kiosk-9", "kind": "kiosk"}),
        ),
        ("/api/v1/devices/kiosk-9/token", json!({})),
        ("/api/v1/devices/kiosk-9/revoke", json!({})),
    ];
    for (path, body) in steps {
        let (s, v) = hall.post(path, Some(&a), body).await;
        assert!(s.is_success(), "{path}: {s} {v}");
    }
    let (s, v) = hall
        .send(
            reqwest::Method::PATCH,
            "/api/v1/users/li.na",
            Some(&a),
            Some(json!({"name": "李娜娜", "role": "manager"})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        (v["name"].as_str(), v["role"].as_str()),
        (Some("李娜娜"), Some("manager"))
    );
    let (s, _) = hall
        .send(
            reqwest::Method::DELETE,
            "/api/v1/session",
            Some(&clerk),
            None,
        )
        .await;
    assert_eq!(s, 204);

    let m = hall.login("manager").await;
    let by_admin = [
        "user.created",
        "user.password_reset",
        "user.scope_changed",
        "user.disabled",
        "user.enabled",
        "device.registered",
        "device.token_replaced",
        "device.revoked",
        "user.edited",
    ];
    for kind in by_admin {
        let got = audit(&hall, &m, &format!("kind={kind}&subject=li.na")).await;
        let got = if got.is_empty() {
            audit(&hall, &m, &format!("kind={kind}&subject=kiosk-9")).await
        } else {
            got
        };
        assert_eq!(got.len(), 1, "{kind}: {got:?}");
        assert_eq!(got[0]["actor"], "staff:admin", "{kind}: {:?}", got[0]);
    }
    let edited = &audit(&hall, &m, "kind=user.edited").await[0]["details"];
    assert_eq!(edited["previous_role"], "clerk");
    assert_eq!(edited["role"], "manager");
    assert_eq!(edited["previous_name"], "李娜");
    // Logins and logouts: the clerk is the actor.
    let sessions = audit(&hall, &m, "kind=session.&clerk=clerk1").await;
    let kinds: Vec<&str> = sessions.iter().filter_map(|e| e["kind"].as_str()).collect();
    assert_eq!(kinds, ["session.ended", "session.started"], "{sessions:?}");
    // No secret is ever stored in an event.
    let all = audit(&hall, &m, "limit=5000").await;
    let text = serde_json::to_string(&all).expect("json");
    for secret in ["long-enough-1", "another-pass-2", "$argon2", "token_hash"] {
        assert!(!text.contains(secret), "{secret} in the audit trail");
    }
    // The CLI's own set-up of the test hall is in the trail too, with actor `cli`.
    let cli = audit(&hall, &m, "kind=device.registered&subject=kiosk-1").await;
    assert_eq!(cli[0]["actor"], "cli", "{cli:?}");
}

#[tokio::test]
async fn the_audit_says_who_disabled_a_clerk_and_signed_them_out() {
    let hall = TestHall::spawn().await;
    let clerk = hall.login("clerk1").await;
    hall.ok(&clerk, 20, "sign-in", json!({})).await;
    let a = hall.login("admin").await;
    let (s, r) = hall
        .post("/api/v1/users/clerk1/disable", Some(&a), json!({}))
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["signed_out_windows"], json!([20]));
    let m = hall.login("manager").await;
    let got = audit(&hall, &m, "subject=clerk1&kind=user.").await;
    assert_eq!(got[0]["kind"], "user.disabled");
    assert_eq!(got[0]["actor"], "staff:admin");
    assert_eq!(got[0]["details"]["signed_out_windows"], json!([20]));
    // The sign-out is the same commit's, by the admin too.
    let out = audit(&hall, &m, "window=20&kind=window.signed_out").await;
    assert_eq!(out[0]["actor"], "staff:admin");
    assert_eq!(
        out[0]["seq"].as_i64(),
        got[0]["seq"].as_i64().map(|s| s - 1)
    );
}

#[tokio::test]
async fn a_clerk_with_a_ticket_in_hand_is_not_disabled_half_way() {
    let hall = TestHall::spawn().await;
    let clerk = hall.login("clerk1").await;
    hall.ok(&clerk, 20, "sign-in", json!({})).await;
    hall.issue("xf").await;
    hall.ok(&clerk, 20, "call-next", json!({})).await;
    let a = hall.login("admin").await;
    assert_error(
        &hall
            .post("/api/v1/users/clerk1/disable", Some(&a), json!({}))
            .await,
        409,
        "window_busy",
    );
    // Nothing changed: the clerk still works, and no event says otherwise.
    assert_eq!(hall.get("/api/v1/session", Some(&clerk)).await.0, 200);
    let m = hall.login("manager").await;
    assert!(audit(&hall, &m, "kind=user.disabled").await.is_empty());
}

#[tokio::test]
async fn a_public_stream_never_sees_account_events_but_a_staff_stream_does() {
    let hall = TestHall::spawn().await;
    let a = hall.login("admin").await;
    let mut public = hall.ws(None).await;
    let snap = next_json(&mut public).await;
    let mut staff = hall.ws_staff(&a).await;
    let staff_snap = next_json(&mut staff).await;
    assert_eq!(staff_snap["type"], "snapshot");
    let c = hall.login("clerk2").await;
    hall.post(
        "/api/v1/devices/register",
        Some(&a),
        json!({"id": "display-9", "kind": "display"}),
    )
    .await;
    hall.post("/api/v1/users/clerk2/disable", Some(&a), json!({}))
        .await;
    drop(c);
    // Then one public event, so the public stream has something to say.
    hall.issue("xf").await;
    let e = next_json(&mut public).await;
    assert_eq!(e["type"], "ticket.issued", "only the ticket: {e}");
    let last = snap["seq"].as_u64().expect("seq");
    follows(&e, last);
    assert!(
        e["seq"].as_u64() > Some(last + 3),
        "account events lie between: {e}"
    );
    let mut kinds = Vec::new();
    loop {
        let f = next_json(&mut staff).await;
        let kind = f["type"].as_str().expect("type").to_string();
        if kind == "ticket.issued" {
            break;
        }
        kinds.push(kind);
    }
    assert_eq!(
        kinds,
        ["session.started", "device.registered", "user.disabled"]
    );
}

#[tokio::test]
async fn role_and_name_edits_follow_the_permission_rules() {
    let hall = TestHall::spawn().await;
    let a = hall.login("admin").await;
    let m = hall.login("manager").await;
    let patch = |token: String, user: &'static str, body: Value| {
        let hall = &hall;
        async move {
            hall.send(
                reqwest::Method::PATCH,
                &format!("/api/v1/users/{user}"),
                Some(&token),
                Some(body),
            )
            .await
        }
    };
    // A manager raises nobody, themselves included.
    assert_error(
        &patch(m.clone(), "clerk1", json!({"role": "admin"})).await,
        403,
        "forbidden",
    );
    assert_error(
        &patch(m.clone(), "manager", json!({"role": "admin"})).await,
        403,
        "forbidden",
    );
    // An admin does not demote themselves (the hall would be left without one).
    assert_error(
        &patch(a.clone(), "admin", json!({"role": "clerk"})).await,
        409,
        "cannot_change_own_role",
    );
    assert_error(
        &patch(a.clone(), "clerk1", json!({"name": "  "})).await,
        422,
        "invalid_name",
    );
    assert_error(
        &patch(a.clone(), "nobody", json!({"name": "某人"})).await,
        404,
        "not_found",
    );
    assert_error(
        &patch(a.clone(), "clerk1", json!({"role": "boss"})).await,
        400,
        "bad_request",
    );
    // A promotion ends the clerk's sessions: the new role comes with a new login.
    let c1 = hall.login("clerk1").await;
    let (s, v) = patch(
        a.clone(),
        "clerk1",
        json!({"role": "manager", "name": "李红（组长）"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_error(
        &hall.get("/api/v1/session", Some(&c1)).await,
        401,
        "unauthenticated",
    );
    let again = hall.login("clerk1").await;
    let (_, me) = hall.get("/api/v1/session", Some(&again)).await;
    assert_eq!(
        (me["role"].as_str(), me["name"].as_str()),
        (Some("manager"), Some("李红（组长）"))
    );
    assert_eq!(hall.get("/api/v1/floor", Some(&again)).await.0, 200);
    // A name alone keeps the session.
    let (s, _) = patch(a.clone(), "clerk1", json!({"name": "李红"})).await;
    assert_eq!(s, 200);
    assert_eq!(hall.get("/api/v1/session", Some(&again)).await.0, 200);
}

#[tokio::test]
async fn a_replaced_device_token_works_at_once_and_the_old_one_does_not() {
    let hall = TestHall::spawn().await;
    let a = hall.login("admin").await;
    let (s, d) = hall
        .post("/api/v1/devices/kiosk-1/token", Some(&a), json!({}))
        .await;
    assert_eq!(s, 200, "{d}");
    let token = d["token"].as_str().expect("shown once");
    assert_eq!(d["kind"], "kiosk");
    // The technician opens or scans the new setup address on the kiosk.
    let url = d["setup_url"].as_str().expect("a kiosk has a setup URL");
    assert!(url.ends_with(&format!("/kiosk/?device={token}")), "{url}");
    let qr = d["setup_qr_svg"].as_str().expect("and its QR code");
    assert!(qr.contains("<svg") && qr.contains("<path"), "{qr}");
    assert_error(
        &hall
            .post("/api/v1/tickets", Some(KIOSK), json!({"queue": "xf"}))
            .await,
        401,
        "unauthenticated",
    );
    let (s, t) = hall
        .post("/api/v1/tickets", Some(token), json!({"queue": "xf"}))
        .await;
    assert_eq!(s, 201, "{t}");
    assert_error(
        &hall
            .post("/api/v1/devices/nope/token", Some(&a), json!({}))
            .await,
        404,
        "not_found",
    );
}

#[tokio::test]
async fn concurrent_logins_are_still_throttled_and_all_recorded() {
    let hall = TestHall::spawn().await;
    let guesses = (0..12).map(|_| hall.session("clerk1", "wrong-password"));
    let answers = futures_util::future::join_all(guesses).await;
    let refused = answers.iter().filter(|(s, _)| s.as_u16() == 429).count();
    let checked = answers.iter().filter(|(s, _)| s.as_u16() == 401).count();
    assert_eq!(checked, 5, "five checked, the rest held back");
    assert_eq!(refused, 7);
    // Right passwords from this address at once, in parallel: each a session and an event.
    let logins = ["clerk2", "manager", "admin"].map(|u| hall.session(u, PASSWORD));
    for (s, v) in futures_util::future::join_all(logins).await {
        assert_eq!(s, 200, "{v}");
    }
    let m = hall.login("manager").await;
    let started = audit(&hall, &m, "kind=session.started").await;
    assert_eq!(started.len(), 4, "{started:?}");
}

#[tokio::test]
async fn a_cli_change_reaches_a_running_servers_staff_stream() {
    let hall = TestHall::spawn().await;
    let a = hall.login("admin").await;
    let mut staff = hall.ws_staff(&a).await;
    next_json(&mut staff).await;
    assert!(
        hallq::admin::add_device(&hall.db, "kiosk-7", "kiosk", "cli-made-kiosk-token")
            .expect("cli")
    );
    // The next command of anyone brings the CLI's event onto the stream, in seq order.
    hall.issue("xf").await;
    let mut kinds = Vec::new();
    for _ in 0..2 {
        let f = tokio::time::timeout(Duration::from_secs(5), next_json(&mut staff))
            .await
            .expect("a frame");
        kinds.push(f["type"].as_str().expect("type").to_string());
    }
    assert_eq!(kinds, ["device.registered", "ticket.issued"]);
    let (s, _) = hall
        .post(
            "/api/v1/tickets",
            Some("cli-made-kiosk-token"),
            json!({"queue": "xf"}),
        )
        .await;
    assert_eq!(s, 201, "the server knows the device at once");
}

/// No server path opens a write connection of its own: only the engine's store (opened in
/// `App::start`), the CLI (`admin.rs`, `main.rs`), the simulator, backups, archives, the
/// uplink's mark and the notification outbox's delivery marks may. A new
/// `Store::open`/`Connection::open` elsewhere in src/ fails here.
#[test]
fn only_the_engine_and_the_cli_open_a_write_connection() {
    let allowed = [
        "src/lib.rs",          // App::start: the engine's store
        "src/admin.rs",        // the CLI's account writes
        "src/main.rs",         // the CLI
        "src/store/mod.rs",    // the definitions
        "src/store/uplink.rs", // the uplink's shipped mark (one row, its own table)
        "src/store/outbox.rs", // the delivery task's marks on the outbox (its own table)
        "src/store/backup.rs",
        "src/store/archive.rs", // `hallq archive`: refuses while a server holds the database
        "src/store/fixture.rs",
        "src/ops/backup.rs",
        "src/sim/mod.rs",
    ];
    let mut offenders = Vec::new();
    let mut stack = vec![std::path::PathBuf::from("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let name = path.to_string_lossy().replace('\\', "/");
            // Unit-test files, and the benchmarks (tools beside the product, their own hall).
            let beside = name.ends_with("tests.rs") || name.starts_with("src/bench");
            if !name.ends_with(".rs") || beside || allowed.contains(&name.as_str()) {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("read");
            // Unit tests may open scratch databases.
            let code = text.split("#[cfg(test)]").next().unwrap_or("");
            for needle in [
                "Store::open(",
                "Connection::open(",
                "with_writer",
                "SQLITE_OPEN_READ_WRITE",
            ] {
                if code.contains(needle) {
                    offenders.push(format!("{name}: {needle}"));
                }
            }
        }
    }
    let http = std::fs::read_to_string("src/http/mod.rs").expect("http");
    assert!(!http.contains("db_path"), "AppState holds no database path");
    assert!(
        offenders.is_empty(),
        "write connections outside the engine and CLI: {offenders:?}"
    );
}

#[tokio::test]
async fn a_session_past_its_end_is_recorded_once_by_the_system_for_staff_only() {
    let hall = TestHall::spawn().await;
    // Twelve hours from 10:00: clerk1's session ends at 22:00.
    let c1 = hall.login("clerk1").await;
    hall.ok(&c1, 20, "sign-in", json!({})).await;
    hall.set_clock(tomorrow_at(21, 0)).await;
    let m = hall.login("manager").await;
    let mut public = hall.ws(None).await;
    let mut staff = hall.ws_staff(&m).await;
    let mut starts = Vec::new();
    for ws in [&mut public, &mut staff] {
        let snap = next_json(ws).await;
        assert_eq!(snap["type"], "snapshot");
        starts.push(snap["seq"].as_u64().expect("seq"));
    }

    // Before its end the sweep leaves it alone and it works.
    hall.set_clock(tomorrow_at(21, 59)).await;
    assert_eq!(hall.get("/api/v1/session", Some(&c1)).await.0, 200);
    assert_eq!(
        audit(&hall, &m, "kind=session.expired").await,
        Vec::<Value>::new()
    );

    // Past its end: refused, and swept once however often the engine ticks after.
    hall.set_clock(tomorrow_at(22, 1)).await;
    assert_error(
        &hall.get("/api/v1/session", Some(&c1)).await,
        401,
        "unauthenticated",
    );
    hall.set_clock(tomorrow_at(22, 30)).await;
    // The clock move wakes the engine's sweep, which commits on its own: wait for it (bounded).
    let mut got = Vec::new();
    for _ in 0..50 {
        got = audit(&hall, &m, "kind=session.expired").await;
        if !got.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0]["actor"], "system");
    assert_eq!(got[0]["details"]["username"], "clerk1");
    let ended = got[0]["details"]["expired_at"]
        .as_str()
        .expect("expired_at");
    assert!(
        ended.ends_with("+08:00") && ended.contains("T22:00:00"),
        "{ended}"
    );
    // The manager's session, still live, is untouched.
    assert_eq!(hall.get("/api/v1/session", Some(&m)).await.0, 200);
    assert_error(
        &hall.get("/api/v1/session", Some(&c1)).await,
        401,
        "unauthenticated",
    );

    // The audit page says it in Chinese: what, by whom, whose session and when it ended.
    let (s, page) = hall
        .get("/api/v1/reports/audit?kind=session.expired", Some(&m))
        .await;
    assert_eq!(s, 200, "{page}");
    let row = &page["entries"][0];
    assert_eq!(page["total"], 1, "{page}");
    assert_eq!(row["kind_label"], "登录过期");
    assert_eq!(row["actor_name"], "系统");
    let summary = row["summary"].as_str().expect("summary");
    assert!(
        summary.starts_with("账号：李红（clerk1）；到期："),
        "{summary}"
    );
    assert!(summary.contains(" 22:00:00"), "{summary}");

    // As after a logout, the window's sign-in outlives the session: window 20 is still
    // clerk1's until the day ends or a manager signs it out.
    hall.ok(&m, 20, "sign-out", json!({})).await;
    let staff_frames = frames_until(&mut staff, starts[1], "window.signed_out").await;
    let pub_frames = frames_until(&mut public, starts[0], "window.signed_out").await;
    assert_eq!(
        kinds(&staff_frames),
        ["session.expired", "window.signed_out"],
        "{staff_frames:?}"
    );
    assert_eq!(staff_frames[0]["username"], "clerk1");
    assert_eq!(staff_frames[1]["clerk"]["username"], "clerk1");
    assert_eq!(staff_frames[1]["reason"], "manager");
    assert_eq!(kinds(&pub_frames), ["window.signed_out"], "{pub_frames:?}");
    let public_text = serde_json::to_string(&pub_frames).expect("json");
    assert!(!public_text.contains("clerk1"), "{public_text}");
}

/// The `session.expired` entries about `who`.
async fn expired_of(hall: &TestHall, token: &str, who: &str) -> Vec<Value> {
    audit(hall, token, &format!("kind=session.expired&subject={who}")).await
}

#[tokio::test]
async fn an_expiry_is_recorded_once_across_restarts_and_after_downtime() {
    let dir = tempfile::tempdir().expect("dir");
    let t0 = jiff::Timestamp::now();
    let at = |hours: i64| {
        t0.checked_add(jiff::SignedDuration::from_hours(hours))
            .expect("time")
    };

    // clerk1's session ends while the server runs.
    let hall = TestHall::spawn_simulated_on(dir.path()).await;
    hall.login("clerk1").await;
    hall.set_clock(at(13)).await;
    // clerk2's ends while the server is down (at 25 h).
    hall.login("clerk2").await;
    let m = hall.login("manager").await;
    assert_eq!(expired_of(&hall, &m, "clerk1").await.len(), 1);
    hall.stop().await;

    // The next start finds it and records it; the one already recorded is not recorded again.
    let hall = TestHall::spawn_simulated_on(dir.path()).await;
    hall.set_clock(at(26)).await;
    let m = hall.login("manager").await;
    let c2 = expired_of(&hall, &m, "clerk2").await;
    assert_eq!(c2.len(), 1, "{c2:?}");
    assert_eq!(c2[0]["actor"], "system");
    assert_eq!(expired_of(&hall, &m, "clerk1").await.len(), 1);
    hall.stop().await;

    let hall = TestHall::spawn_simulated_on(dir.path()).await;
    hall.set_clock(at(27)).await;
    let m = hall.login("manager").await;
    for who in ["clerk1", "clerk2"] {
        let got = expired_of(&hall, &m, who).await;
        assert_eq!(got.len(), 1, "{who}: {got:?}");
    }
}
