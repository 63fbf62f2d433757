//! The event stream: snapshot, gap-free seq in commit order, replay with `since`.

use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn snapshot_then_every_change_in_order() {
    let hall = TestHall::spawn().await;
    let mut ws = hall.ws(None).await;
    let snap = next_json(&mut ws).await;
    assert_eq!(snap["type"], "snapshot");
    let mut seq = snap["seq"].as_u64().expect("seq");
    assert_eq!(snap["windows"].as_array().expect("windows").len(), 118);
    assert!(snap["queues"].as_array().is_some_and(|q| q.len() > 26));
    assert!(snap["recent_calls"].is_array());

    let c1 = hall.login("clerk1").await;
    hall.ok(&c1, 20, "sign-in", json!({})).await;
    hall.issue_with(
        json!({"queue": "xf", "id_number": "11010519491231002X", "phone": "13812345678"}),
    )
    .await;
    hall.ok(&c1, 20, "call-next", json!({})).await;
    hall.ok(&c1, 20, "recall", json!({})).await;
    hall.ok(&c1, 20, "start", json!({})).await;
    hall.ok(&c1, 20, "finish", json!({"outcome": "done"})).await;
    hall.ok(&c1, 20, "pause", json!({"reason": "meeting"}))
        .await;
    hall.ok(&c1, 20, "resume", json!({})).await;
    hall.ok(&c1, 20, "sign-out", json!({})).await;

    let want = [
        "window.signed_in",
        "ticket.issued",
        "ticket.called",
        "ticket.recalled",
        "ticket.started",
        "ticket.finished",
        "window.paused",
        "window.resumed",
        "window.signed_out",
    ];
    let mut got: Vec<Value> = Vec::new();
    for kind in want {
        let e = next_json(&mut ws).await;
        // A login between (staff only) leaves a hole the public frame's `prev` spans.
        seq = follows(&e, seq);
        assert_eq!(e["type"], kind, "{e}");
        assert!(e["at"].as_str().is_some_and(|a| a.ends_with("+08:00")));
        let text = e.to_string();
        assert!(
            !text.contains("110105") && !text.contains("13812345678"),
            "no personal data: {text}"
        );
        got.push(e);
    }
    let called = &got[2];
    assert_eq!(called["ticket"]["number"], "XF001");
    assert_eq!(called["ticket"]["queue"], "xf");
    assert_eq!(called["window"]["number"], 20);
    assert!(called["window"]["name"].is_string() && called["window"]["zone"] == "A");
    assert_eq!(called["announce"]["text"], "请XF001号到20号窗口办理");
    let clips: Vec<&str> = called["announce"]["clips"]
        .as_array()
        .expect("clips")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(clips[0], "chime");
    assert_eq!(
        &clips[1..12],
        [
            "qing",
            "letter_x",
            "letter_f",
            "d0",
            "d0",
            "d1",
            "hao",
            "dao",
            "d2",
            "shi",
            "hao_chuangkou"
        ]
    );
    assert!(
        got[3]["announce"]["clips"].is_array(),
        "a recall is spoken again"
    );
}

#[tokio::test]
async fn reconnecting_with_since_replays_exactly_what_was_missed() {
    let hall = TestHall::spawn().await;
    let mut ws = hall.ws(None).await;
    let snap = next_json(&mut ws).await;
    let start = snap["seq"].as_u64().expect("seq");
    hall.issue("xf").await;
    let first = next_json(&mut ws).await;
    // Accounts the set-up added (staff only) may lie between the snapshot and this frame.
    let start = follows(&first, start) - 1;
    drop(ws);

    // Missed while away:
    for _ in 0..5 {
        hall.issue("xf").await;
    }
    let mut ws = hall.ws(Some(start + 1)).await;
    for i in 0..5u64 {
        let e = next_json(&mut ws).await;
        assert_eq!(e["seq"], start + 2 + i, "{e}");
        assert_eq!(e["type"], "ticket.issued");
    }
    // And then live again, without a gap.
    hall.issue("xf").await;
    let e = next_json(&mut ws).await;
    assert_eq!(e["seq"], start + 7);

    // A `since` the server never reached (another database): a snapshot instead.
    let mut ws = hall.ws(Some(1_000_000)).await;
    assert_eq!(next_json(&mut ws).await["type"], "snapshot");
    // Up to date: nothing replayed, next event live.
    let mut ws = hall.ws(Some(start + 7)).await;
    hall.issue("xf").await;
    assert_eq!(next_json(&mut ws).await["seq"], start + 8);
}

#[tokio::test]
async fn many_clients_all_see_every_event() {
    let hall = TestHall::spawn().await;
    let mut clients = Vec::new();
    for _ in 0..20 {
        let mut ws = hall.ws(None).await;
        let snap = next_json(&mut ws).await;
        clients.push((ws, snap["seq"].as_u64().expect("seq")));
    }
    for _ in 0..30 {
        hall.issue("hj").await;
    }
    for (ws, start) in clients.iter_mut() {
        let mut last = *start;
        for _ in 1..=30u64 {
            let e = next_json(ws).await;
            last = follows(&e, last);
        }
    }
}
