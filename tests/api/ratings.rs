//! 好差评: who may rate, when, once; bad ratings open a follow-up that managers close.

use serde_json::{Value, json};

use crate::helpers::*;

/// Serve one ticket of 消防 at window 20 to the end; returns the issued ticket.
async fn served(hall: &TestHall, clerk: &str) -> Value {
    let t = hall.issue("xf").await;
    hall.ok(clerk, 20, "call-next", json!({})).await;
    hall.ok(clerk, 20, "finish", json!({"outcome": "done"}))
        .await;
    t
}

#[tokio::test]
async fn the_evaluator_at_the_window_rates_once_after_the_service() {
    let hall = TestHall::spawn().await;
    let c1 = hall.login("clerk1").await;
    let m = hall.login("manager").await;
    hall.ok(&c1, 20, "sign-in", json!({})).await;
    // Rating levels are for staff (the public stream never carries them).
    let mut ws = hall.ws_staff(&m).await;
    next_json(&mut ws).await; // snapshot

    let waiting = hall.issue("xf").await;
    let early = hall
        .post(
            "/api/v1/ratings",
            Some(EVALUATOR),
            json!({"ticket": waiting["id"], "level": "satisfied"}),
        )
        .await;
    assert_error(&early, 409, "not_finished");
    hall.ok(&c1, 20, "call-next", json!({})).await;
    hall.ok(&c1, 20, "finish", json!({"outcome": "done"})).await;

    // Nobody but the citizen rates: not the clerk, not a kiosk, not another window's evaluator.
    let body = json!({"ticket": waiting["id"], "level": "very_satisfied"});
    assert_error(
        &hall.post("/api/v1/ratings", Some(&c1), body.clone()).await,
        403,
        "forbidden",
    );
    assert_error(
        &hall.post("/api/v1/ratings", Some(&m), body.clone()).await,
        403,
        "forbidden",
    );
    assert_error(
        &hall
            .post("/api/v1/ratings", Some(KIOSK), body.clone())
            .await,
        403,
        "forbidden",
    );
    assert_error(
        &hall.post("/api/v1/ratings", None, body.clone()).await,
        403,
        "forbidden",
    );
    assert_error(
        &hall
            .post("/api/v1/ratings", Some("not-a-token"), body.clone())
            .await,
        401,
        "unauthenticated",
    );
    // A clerk who got hold of the citizen's token still cannot rate as the citizen: not with
    // the session as a bearer token, not from the console with its cookie.
    let by_token = json!({"ticket": waiting["token"], "level": "very_dissatisfied",
        "reasons": ["服务态度不好"]});
    assert_error(
        &hall
            .post("/api/v1/ratings", Some(&c1), by_token.clone())
            .await,
        403,
        "forbidden",
    );
    let from_console = hall
        .http
        .post(format!("{}/api/v1/ratings", hall.base))
        .header("cookie", format!("hallq_session={c1}"))
        .header("sec-fetch-site", "same-origin")
        .json(&by_token)
        .send()
        .await
        .expect("answered");
    assert_eq!(from_console.status(), 403);

    let (s, v) = hall
        .post("/api/v1/ratings", Some(EVALUATOR), body.clone())
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["level"], "very_satisfied");
    assert_eq!(v["gbt39046_code"], 1);
    assert_eq!(v["provincial_code"], 5);
    assert!(v["follow_up"].is_null());
    assert_error(
        &hall.post("/api/v1/ratings", Some(EVALUATOR), body).await,
        409,
        "already_rated",
    );

    // The events: called, finished … then the rating (no comment, no personal data).
    let mut kinds = Vec::new();
    loop {
        let e = next_json(&mut ws).await;
        kinds.push(e["type"].as_str().expect("type").to_string());
        if e["type"] == "rating.submitted" {
            assert_eq!(e["level"], "very_satisfied");
            assert_eq!(e["window"], 20);
            assert_eq!(e["source"], "evaluator");
            break;
        }
    }
    assert!(kinds.contains(&"ticket.finished".to_string()));
    let (_, public) = hall
        .get(
            &format!("/api/v1/tickets/{}", waiting["token"].as_str().expect("t")),
            None,
        )
        .await;
    assert_eq!(public["rated"], true);
}

#[tokio::test]
async fn a_bad_rating_needs_a_reason_and_opens_a_follow_up() {
    let hall = TestHall::spawn().await;
    let c1 = hall.login("clerk1").await;
    let m = hall.login("manager").await;
    hall.ok(&c1, 20, "sign-in", json!({})).await;
    let t = served(&hall, &c1).await;
    let token = t["token"].as_str().expect("token");

    let bare = hall
        .post(
            "/api/v1/ratings",
            None,
            json!({"ticket": token, "level": "dissatisfied"}),
        )
        .await;
    assert_error(&bare, 422, "reason_required");
    let bad_level = hall
        .post(
            "/api/v1/ratings",
            None,
            json!({"ticket": token, "level": "meh"}),
        )
        .await;
    assert_error(&bad_level, 400, "bad_request");
    let (s, v) = hall
        .post(
            "/api/v1/ratings",
            None,
            json!({"ticket": token, "level": "very_dissatisfied", "reasons": ["办理时间太长"], "comment": "等了很久"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let id = v["follow_up"].as_i64().expect("a follow-up was opened");

    assert_error(
        &hall.get("/api/v1/follow-ups", Some(&c1)).await,
        403,
        "forbidden",
    );
    assert_error(
        &hall.get("/api/v1/follow-ups", None).await,
        401,
        "unauthenticated",
    );
    let (s, list) = hall.get("/api/v1/follow-ups?state=open", Some(&m)).await;
    assert_eq!(s, 200);
    let f = list
        .as_array()
        .expect("list")
        .iter()
        .find(|f| f["id"] == id)
        .expect("listed")
        .clone();
    assert_eq!(
        f["department"], "gaj",
        "assigned to the ticket's department"
    );
    assert_eq!(f["rating"]["level"], "very_dissatisfied");
    assert_eq!(f["rating"]["reasons"], json!(["办理时间太长"]));
    assert_eq!(f["rating"]["clerk"], "clerk1");
    assert_eq!(f["rating"]["gbt39046_code"], 5);
    assert_eq!(f["rating"]["provincial_code"], 1);
    assert!(f["due_ms"].as_i64().expect("due") > f["opened_ms"].as_i64().expect("opened"));

    let early_close = hall
        .post(
            &format!("/api/v1/follow-ups/{id}/close"),
            Some(&m),
            json!({"result": "explained"}),
        )
        .await;
    assert_error(&early_close, 409, "invalid_state");
    assert_error(
        &hall
            .post(
                &format!("/api/v1/follow-ups/{id}/verify"),
                Some(&c1),
                json!({"verification": "x"}),
            )
            .await,
        403,
        "forbidden",
    );
    let (s, v) = hall
        .post(
            &format!("/api/v1/follow-ups/{id}/verify"),
            Some(&m),
            json!({"verification": "调取录像，确认排队时间过长"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["state"], "verified");
    let (s, v) = hall
        .post(
            &format!("/api/v1/follow-ups/{id}/close"),
            Some(&m),
            json!({"result": "rectified", "note": "高峰期增开窗口"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["state"], "closed");
    assert_eq!(v["result"], "rectified");
    assert_eq!(v["closed_by"], "staff:manager");
    assert_error(
        &hall
            .post(
                "/api/v1/follow-ups/9999/verify",
                Some(&m),
                json!({"verification": "x"}),
            )
            .await,
        404,
        "unknown_follow_up",
    );
}

#[tokio::test]
async fn the_phone_page_may_rate_later_within_the_period() {
    let hall = TestHall::spawn().await;
    let c1 = hall.login("clerk1").await;
    hall.ok(&c1, 20, "sign-in", json!({})).await;
    let a = served(&hall, &c1).await;
    let b = served(&hall, &c1).await;
    // The next day (the tickets are no longer in the hall's day): still within 72 hours.
    hall.set_clock(
        tomorrow_at(10, 0)
            .checked_add(jiff::SignedDuration::from_hours(24))
            .expect("t"),
    )
    .await;
    let (s, v) = hall
        .post(
            "/api/v1/ratings",
            None,
            json!({"ticket": a["token"], "level": "satisfied"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let again = hall
        .post(
            "/api/v1/ratings",
            None,
            json!({"ticket": a["token"], "level": "satisfied"}),
        )
        .await;
    assert_error(&again, 409, "already_rated");
    // Four days later: too late.
    hall.set_clock(
        tomorrow_at(10, 0)
            .checked_add(jiff::SignedDuration::from_hours(96))
            .expect("t"),
    )
    .await;
    let late = hall
        .post(
            "/api/v1/ratings",
            None,
            json!({"ticket": b["token"], "level": "satisfied"}),
        )
        .await;
    assert_error(&late, 409, "rating_closed");
    let unknown = hall
        .post(
            "/api/v1/ratings",
            None,
            json!({"ticket": "ab".repeat(32), "level": "satisfied"}),
        )
        .await;
    assert_error(&unknown, 404, "unknown_ticket");
}

#[tokio::test]
async fn control_and_direction_characters_are_refused_in_free_text() {
    let hall = TestHall::spawn().await;
    let clerk = hall.login("clerk1").await;
    hall.ok(&clerk, 20, "sign-in", json!({})).await;
    // A pause reason that would reorder what the audit trail shows.
    let got = hall
        .op(
            &clerk,
            20,
            "pause",
            json!({"reason": "other: 午休\u{202E}tset"}),
        )
        .await;
    assert_error(&got, 422, "invalid_text");
    let t = hall.issue("xf").await;
    hall.ok(&clerk, 20, "call-next", json!({})).await;
    hall.ok(&clerk, 20, "finish", json!({"outcome": "done"}))
        .await;
    // A rating with a hidden direction override in its reason is refused, and nothing is kept:
    // the same rating without it is then accepted.
    let token = t["token"].as_str().expect("token");
    let bad =
        json!({"ticket": token, "level": "dissatisfied", "reasons": ["办理时间太长\u{2066}"]});
    assert_error(
        &hall.post("/api/v1/ratings", None, bad).await,
        422,
        "invalid_text",
    );
    // Reasons come from the hall's list; the citizen's own words go in the comment.
    let invented =
        json!({"ticket": token, "level": "dissatisfied", "reasons": ["窗口人员是我邻居"]});
    assert_error(
        &hall.post("/api/v1/ratings", None, invented).await,
        422,
        "invalid_reason",
    );
    let good = json!({"ticket": token, "level": "dissatisfied", "reasons": ["办理时间太长"], "comment": "第一行\n第二行"});
    let (s, r) = hall.post("/api/v1/ratings", None, good).await;
    assert_eq!(s, 201, "{r}");
}

/// `body` sent again answers 200 with the first answer and `replayed: true`.
async fn assert_replayed(hall: &TestHall, body: Value, first: Value) {
    let (s, again) = hall.post("/api/v1/ratings", None, body).await;
    assert_eq!(s, 200, "{again}");
    assert_eq!(again["replayed"], true);
    assert_eq!(again["follow_up"], first["follow_up"]);
    assert_eq!(again["ticket"], first["ticket"]);
    assert_eq!(again["level"], "dissatisfied");
    assert_eq!(again["gbt39046_code"], 4);
}

/// An evaluator that lost the link keeps the tap and sends it again when back: the resend,
/// with the same idempotency key, answers 200 `replayed` and nothing is counted twice, also
/// after the server restarts (the key is stored with the rating). The same key with another
/// rating is 409 `rating_key_reused`; another key, or none, is 409 `already_rated`.
#[tokio::test]
async fn a_resent_rating_counts_once() {
    let dir = tempfile::tempdir().expect("dir");
    let hall = TestHall::spawn_on(dir.path()).await;
    let c1 = hall.login("clerk1").await;
    hall.ok(&c1, 20, "sign-in", json!({})).await;
    let t = served(&hall, &c1).await;
    let token = t["token"].as_str().expect("token");
    let body = json!({"ticket": token, "level": "dissatisfied", "reasons": ["办理时间太长"], "comment": "等太久", "key": "tap-20-1733"});
    let (s, first) = hall.post("/api/v1/ratings", None, body.clone()).await;
    assert_eq!(s, 201, "{first}");
    assert!(first.get("replayed").is_none(), "{first}");
    for _ in 0..2 {
        assert_replayed(&hall, body.clone(), first.clone()).await;
    }
    // Blanks around the words are trimmed as when stored: still the same rating.
    let mut spaced = body.clone();
    spaced["comment"] = json!("  等太久 ");
    assert_replayed(&hall, spaced, first.clone()).await;
    let counts = |db: &std::path::Path| -> [i64; 4] {
        let db = rusqlite::Connection::open(db).expect("db");
        let count = |sql: &str| -> i64 { db.query_row(sql, [], |r| r.get(0)).expect("count") };
        [
            count("SELECT COUNT(*) FROM ratings"),
            count("SELECT COUNT(*) FROM ratings WHERE idempotency_key = 'tap-20-1733'"),
            count("SELECT COUNT(*) FROM follow_ups"),
            count("SELECT COUNT(*) FROM events WHERE kind = 'rating.submitted'"),
        ]
    };
    assert_eq!(counts(&hall.db), [1, 1, 1, 1]);
    // The same key saying something else is a client's mistake, named as such.
    for change in [
        json!({"level": "very_dissatisfied"}),
        json!({"reasons": ["服务态度不好"]}),
        json!({"comment": null}),
    ] {
        let mut b = body.clone();
        for (k, v) in change.as_object().expect("object") {
            b[k] = v.clone();
        }
        assert_error(
            &hall.post("/api/v1/ratings", None, b).await,
            409,
            "rating_key_reused",
        );
    }
    // Another key, or none, is a second rating of the visit, even word for word.
    let mut other_key = body.clone();
    other_key["key"] = json!("tap-20-1734");
    assert_error(
        &hall.post("/api/v1/ratings", None, other_key.clone()).await,
        409,
        "already_rated",
    );
    let mut keyless = body.clone();
    keyless.as_object_mut().expect("object").remove("key");
    assert_error(
        &hall.post("/api/v1/ratings", None, keyless).await,
        409,
        "already_rated",
    );
    assert_eq!(counts(&hall.db), [1, 1, 1, 1]);
    // After a restart the key is still known: the resend is a replay, nothing is added.
    let hall = hall.restart(dir.path()).await;
    assert_replayed(&hall, body.clone(), first.clone()).await;
    assert_error(
        &hall.post("/api/v1/ratings", None, other_key).await,
        409,
        "already_rated",
    );
    assert_eq!(counts(&hall.db), [1, 1, 1, 1]);
    for bad in ["", "has space", &"k".repeat(65)] {
        let mut b = body.clone();
        b["key"] = json!(bad);
        assert_error(
            &hall.post("/api/v1/ratings", None, b).await,
            400,
            "bad_request",
        );
    }
}
