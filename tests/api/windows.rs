//! Clerk operations at windows, the rules on who may act where, and concurrent calls.

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn a_clerk_serves_citizens_through_every_operation() {
    let hall = TestHall::spawn().await;
    let c1 = hall.login("clerk1").await;
    let w = hall.ok(&c1, 20, "sign-in", json!({})).await;
    assert_eq!(w["status"], "open");
    assert_eq!(w["clerk"]["username"], "clerk1");
    assert!(w["current"].is_null());

    // Nobody waits: call-next answers with no current ticket.
    let w = hall.ok(&c1, 20, "call-next", json!({})).await;
    assert!(w["current"].is_null());

    let t1 = hall.issue("xf").await;
    let t2 = hall.issue("xf").await;
    let t3 = hall.issue("xf").await;
    let w = hall.ok(&c1, 20, "call-next", json!({})).await;
    assert_eq!(w["current"]["number"], t1["number"]);
    assert_eq!(w["current"]["state"], "called");
    assert_eq!(w["reason"], "oldest");
    assert_eq!(w["waiting"], 2);

    // Recall up to the limit, then no-show with a reason.
    for n in 1..=3 {
        assert_eq!(
            hall.ok(&c1, 20, "recall", json!({})).await["current"]["recall_count"],
            n
        );
    }
    assert_error(
        &hall.op(&c1, 20, "recall", json!({})).await,
        409,
        "recall_limit",
    );
    assert!(
        hall.ok(&c1, 20, "no-show", json!({"reason": "not_present"}))
            .await["current"]
            .is_null()
    );
    let (_, v) = hall
        .get(
            &format!("/api/v1/tickets/{}", t1["token"].as_str().expect("t")),
            None,
        )
        .await;
    assert_eq!(v["state"], "no_show");

    // Call a specific number (特呼) needs a reason.
    assert_error(
        &hall
            .op(&c1, 20, "call", json!({"ticket": t3["number"]}))
            .await,
        422,
        "reason_required",
    );
    let w = hall
        .ok(
            &c1,
            20,
            "call",
            json!({"ticket": t3["number"], "reason": "elderly, came back"}),
        )
        .await;
    assert_eq!(w["current"]["number"], t3["number"]);
    assert_eq!(w["reason"], "specific");
    assert_error(
        &hall.op(&c1, 20, "call-next", json!({})).await,
        409,
        "window_busy",
    );

    // Start, hold (went to copy a document), serve the next one, call back, finish.
    hall.ok(&c1, 20, "start", json!({})).await;
    assert_error(
        &hall.op(&c1, 20, "no-show", json!({})).await,
        409,
        "invalid_state",
    );
    let w = hall.ok(&c1, 20, "hold", json!({})).await;
    assert!(w["current"].is_null());
    assert_eq!(w["held"][0]["number"], t3["number"]);
    hall.ok(&c1, 20, "call-next", json!({})).await;
    let w = hall.ok(&c1, 20, "finish", json!({"outcome": "done"})).await;
    assert!(w["current"].is_null());
    assert_error(
        &hall.op(&c1, 20, "finish", json!({"outcome": "done"})).await,
        409,
        "no_current_ticket",
    );
    assert_error(
        &hall
            .op(&c1, 20, "call-back", json!({"ticket": t2["number"]}))
            .await,
        409,
        "ticket_not_held",
    );
    let w = hall
        .ok(&c1, 20, "call-back", json!({"ticket": t3["number"]}))
        .await;
    assert_eq!(w["current"]["number"], t3["number"]);
    assert_eq!(w["reason"], "call_back");
    let bad = hall
        .op(&c1, 20, "finish", json!({"outcome": "maybe"}))
        .await;
    assert_error(&bad, 400, "bad_request");
    hall.ok(
        &c1,
        20,
        "finish",
        json!({"outcome": "supplement", "note": "缺户口本复印件"}),
    )
    .await;
    let (_, v) = hall
        .get(
            &format!("/api/v1/tickets/{}", t3["token"].as_str().expect("t")),
            None,
        )
        .await;
    assert_eq!(v["state"], "done");

    // Pause needs a reason; a paused window cannot call; resume; sign out.
    assert_error(
        &hall.op(&c1, 20, "pause", json!({})).await,
        422,
        "reason_required",
    );
    let w = hall.ok(&c1, 20, "pause", json!({"reason": "lunch"})).await;
    assert_eq!(w["status"], "paused");
    assert_eq!(w["pause_reason"], "lunch");
    assert_error(
        &hall.op(&c1, 20, "call-next", json!({})).await,
        409,
        "window_paused",
    );
    assert_eq!(
        hall.ok(&c1, 20, "resume", json!({})).await["status"],
        "open"
    );
    assert_error(
        &hall.op(&c1, 20, "resume", json!({})).await,
        409,
        "invalid_state",
    );
    assert_eq!(
        hall.ok(&c1, 20, "sign-out", json!({})).await["status"],
        "closed"
    );
    assert_error(
        &hall.op(&c1, 20, "call-next", json!({})).await,
        409,
        "window_not_open",
    );
    let (s, v) = hall.get("/api/v1/windows/20", Some(&c1)).await;
    assert_eq!(s, 200);
    assert_eq!(v["status"], "closed");
}

#[tokio::test]
async fn transfers_keep_the_number_and_honour_the_position() {
    let hall = TestHall::spawn().await;
    let c1 = hall.login("clerk1").await;
    let c2 = hall.login("clerk2").await;
    hall.ok(&c1, 102, "sign-in", json!({})).await; // comprehensive window
    hall.ok(&c2, 20, "sign-in", json!({})).await; // 消防

    let x1 = hall.issue("xf").await;
    let x2 = hall.issue("xf").await;
    let s1 = hall.issue("swfw").await;
    hall.ok(&c1, 102, "call-next", json!({})).await;

    // Transfer the comprehensive window's citizen to the 消防 queue, at the front.
    assert_error(
        &hall
            .op(&c1, 102, "transfer", json!({"position": "front"}))
            .await,
        422,
        "transfer_target_required",
    );
    assert_error(
        &hall
            .op(&c1, 102, "transfer", json!({"to_queue": "zz_nope"}))
            .await,
        404,
        "unknown_queue",
    );
    let w = hall
        .ok(
            &c1,
            102,
            "transfer",
            json!({"to_queue": "xf", "position": "front", "reason": "wrong queue"}),
        )
        .await;
    assert!(w["current"].is_null());
    let w = hall.ok(&c2, 20, "call-next", json!({})).await;
    assert_eq!(
        w["current"]["number"], s1["number"],
        "front of the line, same number"
    );
    assert_eq!(w["current"]["transfer_count"], 1);
    // Back of the line.
    hall.ok(
        &c2,
        20,
        "transfer",
        json!({"to_queue": "xf", "position": "back"}),
    )
    .await;
    assert_eq!(
        hall.ok(&c2, 20, "call-next", json!({})).await["current"]["number"],
        x1["number"]
    );
    // To one specific window: called first there, whatever else waits.
    hall.ok(
        &c2,
        20,
        "transfer",
        json!({"to_window": 102, "position": "original"}),
    )
    .await;
    let w = hall.ok(&c1, 102, "call-next", json!({})).await;
    assert_eq!(w["current"]["number"], x1["number"]);
    assert_eq!(w["reason"], "transferred");
    // Wait counts from the first issue to the first call, across transfers.
    assert!(w["current"]["wait_s"].as_i64().expect("wait") >= 0);
    // At 消防, x2 (issued before s1 was sent to the back) comes before s1.
    let next = hall.ok(&c2, 20, "call-next", json!({})).await;
    assert_eq!(next["current"]["number"], x2["number"]);
    hall.ok(&c2, 20, "finish", json!({"outcome": "consultation"}))
        .await;
    assert_eq!(
        hall.ok(&c2, 20, "call-next", json!({})).await["current"]["number"],
        s1["number"]
    );
}

#[tokio::test]
async fn green_channel_first_but_never_starving_others() {
    let hall = TestHall::spawn().await;
    let c1 = hall.login("clerk1").await;
    hall.ok(&c1, 20, "sign-in", json!({})).await;
    let normal = hall.issue("xf").await;
    let mut greens = Vec::new();
    for _ in 0..4 {
        greens.push(
            hall.issue_with(json!({"queue": "xf", "priority": "green_channel"}))
                .await,
        );
    }
    let mut order = Vec::new();
    for _ in 0..5 {
        let w = hall.ok(&c1, 20, "call-next", json!({})).await;
        order.push((
            w["current"]["number"].as_str().expect("n").to_string(),
            w["reason"].clone(),
        ));
        hall.ok(&c1, 20, "finish", json!({"outcome": "done"})).await;
    }
    // Ratio 3 in the shipped config: three green, then the ordinary ticket, then green again.
    assert_eq!(
        order[0],
        (
            greens[0]["number"].as_str().expect("n").into(),
            json!("green_channel")
        )
    );
    assert_eq!(order[2].1, json!("green_channel"));
    assert_eq!(
        order[3],
        (
            normal["number"].as_str().expect("n").into(),
            json!("fairness")
        )
    );
    assert_eq!(order[4].1, json!("green_channel"));
}

#[tokio::test]
async fn who_may_act_where() {
    let hall = TestHall::spawn().await;
    let c1 = hall.login("clerk1").await;
    let c2 = hall.login("clerk2").await;
    let m = hall.login("manager").await;
    assert_error(
        &hall.op("bogus", 20, "sign-in", json!({})).await,
        401,
        "unauthenticated",
    );
    assert_error(
        &hall
            .post("/api/v1/windows/20/sign-in", None, json!({}))
            .await,
        401,
        "unauthenticated",
    );
    assert_error(
        &hall.op(KIOSK, 20, "sign-in", json!({})).await,
        403,
        "forbidden",
    );
    assert_error(
        &hall
            .post("/api/v1/tickets", Some(DISPLAY), json!({"queue": "xf"}))
            .await,
        403,
        "forbidden",
    );
    assert_error(
        &hall.op(&c1, 999, "sign-in", json!({})).await,
        404,
        "unknown_window",
    );

    hall.ok(&c1, 20, "sign-in", json!({})).await;
    hall.ok(&c1, 20, "sign-in", json!({})).await; // again: harmless
    assert_error(
        &hall.op(&c2, 20, "sign-in", json!({})).await,
        409,
        "window_taken",
    );
    assert_error(
        &hall.op(&c1, 21, "sign-in", json!({})).await,
        409,
        "clerk_elsewhere",
    );
    hall.issue("xf").await;
    assert_error(
        &hall.op(&c2, 20, "call-next", json!({})).await,
        403,
        "not_your_window",
    );
    // A manager may act at any window (e.g. sign out a clerk who left).
    hall.ok(&m, 20, "call-next", json!({})).await;
    assert_error(
        &hall.op(&m, 20, "sign-out", json!({})).await,
        409,
        "window_busy",
    );
    hall.ok(&m, 20, "finish", json!({"outcome": "done"})).await;
    hall.ok(&m, 20, "sign-out", json!({})).await;
    hall.ok(&c2, 20, "sign-in", json!({})).await;

    // Logging out ends the session.
    let (s, _) = hall
        .send(reqwest::Method::DELETE, "/api/v1/session", Some(&c1), None)
        .await;
    assert_eq!(s, 204);
    assert_error(
        &hall.get("/api/v1/session", Some(&c1)).await,
        401,
        "unauthenticated",
    );
    let (s, me) = hall.get("/api/v1/session", Some(&c2)).await;
    assert_eq!(s, 200);
    assert_eq!(me["username"], "clerk2");
    let wrong = hall
        .post(
            "/api/v1/session",
            None,
            json!({"username": "clerk1", "password": "nope-nope"}),
        )
        .await;
    assert_error(&wrong, 401, "unauthenticated");
}

#[tokio::test]
async fn the_session_cookie_works_like_the_bearer_token() {
    let hall = TestHall::spawn().await;
    let res = hall
        .http
        .post(format!("{}/api/v1/session", hall.base))
        .json(&json!({"username": "clerk1", "password": PASSWORD}))
        .send()
        .await
        .expect("sent");
    let cookie = res
        .headers()
        .get("set-cookie")
        .expect("cookie")
        .to_str()
        .expect("ascii")
        .to_string();
    assert!(cookie.contains("HttpOnly"));
    let pair = cookie.split(';').next().expect("pair").to_string();
    let res = hall
        .http
        .post(format!("{}/api/v1/windows/20/sign-in", hall.base))
        .header("cookie", pair)
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn two_windows_calling_at_once_never_get_the_same_ticket() {
    let hall = TestHall::spawn().await;
    let tokens = [hall.login("clerk1").await, hall.login("clerk2").await];
    // Windows 14-19 call 交警 first; use two of them.
    for (t, w) in tokens.iter().zip([14u32, 15]) {
        hall.ok(t, w, "sign-in", json!({})).await;
    }
    let n = 40;
    for _ in 0..n {
        hall.issue("jgcjg").await;
    }
    let hall = std::sync::Arc::new(hall);
    let mut tasks = Vec::new();
    for (t, w) in tokens.into_iter().zip([14u32, 15]) {
        let hall = hall.clone();
        tasks.push(tokio::spawn(async move {
            let mut got = Vec::new();
            loop {
                let v: Value = hall.ok(&t, w, "call-next", json!({})).await;
                let Some(num) = v["current"]["number"].as_str() else {
                    break;
                };
                got.push(num.to_string());
                hall.ok(&t, w, "finish", json!({"outcome": "done"})).await;
            }
            got
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("task"));
    }
    let unique: HashSet<_> = all.iter().collect();
    assert_eq!(all.len(), n, "every ticket called once");
    assert_eq!(unique.len(), n, "never twice");
}

#[tokio::test]
async fn an_overlong_reason_is_refused_before_anything_changes() {
    let hall = TestHall::spawn().await;
    let c1 = hall.login("clerk1").await;
    hall.ok(&c1, 20, "sign-in", json!({})).await;
    let long = "很".repeat(101);
    assert_error(
        &hall.op(&c1, 20, "pause", json!({"reason": long})).await,
        422,
        "reason_too_long",
    );
    hall.issue("xf").await;
    hall.ok(&c1, 20, "call-next", json!({})).await;
    let bad = hall
        .op(
            &c1,
            20,
            "transfer",
            json!({"to_window": 21, "reason": long}),
        )
        .await;
    assert_error(&bad, 422, "reason_too_long");
    assert_error(
        &hall.op(&c1, 20, "no-show", json!({"reason": long})).await,
        422,
        "reason_too_long",
    );
    let (_, w) = hall.get("/api/v1/windows/20", Some(&c1)).await;
    assert_eq!(w["status"], "open");
    assert_eq!(
        w["current"]["state"], "called",
        "the ticket is still in hand, untouched"
    );
}

#[tokio::test]
async fn the_waiting_list_is_the_calling_order() {
    let hall = TestHall::spawn().await;
    let c1 = hall.login("clerk1").await;
    hall.ok(&c1, 20, "sign-in", json!({})).await;
    let a = hall.issue_at_desk(&c1, json!({"queue": "xf"})).await;
    let b = hall.issue_at_desk(&c1, json!({"queue": "xf"})).await;
    let g = hall
        .issue_at_desk(&c1, json!({"queue": "xf", "priority": "green_channel"}))
        .await;
    let (s, list) = hall.get("/api/v1/windows/20/waiting-list", Some(&c1)).await;
    assert_eq!(s, 200, "{list}");
    let order: Vec<&str> = list["tickets"]
        .as_array()
        .expect("tickets")
        .iter()
        .filter_map(|t| t["number"].as_str())
        .collect();
    let want = [&g, &a, &b].map(|t| t["number"].as_str().expect("number"));
    assert_eq!(order, want, "green channel first, then by issue");
    // And the window calls exactly that first.
    let w = hall.ok(&c1, 20, "call-next", json!({})).await;
    assert_eq!(w["current"]["number"], g["number"]);
    assert!(list["tickets"][0]["waited_s"].as_i64().is_some());
    assert_error(
        &hall
            .get("/api/v1/windows/999/waiting-list", Some(&c1))
            .await,
        404,
        "not_found",
    );
    assert_error(
        &hall.get("/api/v1/windows/20/waiting-list", None).await,
        401,
        "unauthenticated",
    );
}

#[tokio::test]
async fn window_12_calls_its_own_queue_before_a_green_channel_citizen_of_another() {
    // Issue 13: window 12 (出入境, queues crj, secondary hj) got H0006 (户籍, green channel)
    // while CR001-CR003 of its own queue waited. Tier first: the green hj ticket waits for
    // the window's own tier to empty.
    let hall = TestHall::spawn().await;
    let m = hall.login("manager").await;
    hall.ok(&m, 12, "sign-in", json!({})).await;
    let h1 = hall.issue("hj").await;
    let mut own = Vec::new();
    for n in 1..=3 {
        // 出入境 issues by real name: three people.
        let body = format!("1101051949123100{n}");
        let check = hallq::domain::idcard::check_char(&body).expect("17 digits") as char;
        own.push(
            hall.issue_with(json!({"queue": "crj", "id_number": format!("{body}{check}")}))
                .await,
        );
    }
    let green = hall
        .issue_with(json!({"queue": "hj", "priority": "green_channel"}))
        .await;
    let mut order = Vec::new();
    for _ in 0..5 {
        let w = hall.ok(&m, 12, "call-next", json!({})).await;
        order.push(json!([w["current"]["number"], w["reason"]]));
        hall.ok(&m, 12, "finish", json!({"outcome": "done"})).await;
    }
    let want = vec![
        json!([own[0]["number"], "tier"]),
        json!([own[1]["number"], "tier"]),
        json!([own[2]["number"], "tier"]),
        json!([green["number"], "green_channel"]),
        json!([h1["number"], "oldest"]),
    ];
    assert_eq!(order, want);
}
