//! What the screens need from the API beyond the window operations: a pause's return time
//! (午休，13:30恢复) in the reply, the public stream and snapshots, and its refusals.

use serde_json::json;

use crate::helpers::{TestHall, assert_error, next_json, snapshot_window};

#[tokio::test]
async fn a_pause_carries_its_return_time_to_the_public_screens() {
    // The test hall's clock stands at 10:00 tomorrow (Asia/Shanghai).
    let hall = TestHall::spawn().await;
    // Screens read the reason's words from the one list (public).
    let (s, reasons) = hall.get("/api/v1/reasons", None).await;
    assert_eq!(s, 200, "{reasons}");
    let lunch = reasons
        .as_array()
        .expect("a list")
        .iter()
        .find(|r| r["code"] == "lunch")
        .expect("lunch");
    assert_eq!(
        (&lunch["zh"], &lunch["for"]),
        (&json!("午休"), &json!(["pause"]))
    );
    let c1 = hall.login("clerk1").await;
    hall.ok(&c1, 20, "sign-in", json!({})).await;
    let mut ws = hall.ws(None).await;
    assert_eq!(next_json(&mut ws).await["type"], "snapshot");

    // Past, now, tomorrow and nonsense are refused and leave the window open.
    for until in [
        "09:30",
        "10:00",
        "24:00",
        "13:75",
        "soon",
        "2999-01-01T13:30:00+08:00",
    ] {
        let got = hall
            .op(
                &c1,
                20,
                "pause",
                json!({"reason_code": "lunch", "until": until}),
            )
            .await;
        assert_error(&got, 422, "invalid_until");
    }
    let (_, w) = hall.get("/api/v1/windows/20", Some(&c1)).await;
    assert_eq!(w["status"], "open", "{w}");

    let w = hall
        .ok(
            &c1,
            20,
            "pause",
            json!({"reason_code": "lunch", "until": "13:30"}),
        )
        .await;
    assert_eq!(w["status"], "paused");
    assert_eq!(w["pause_reason"], "lunch");
    let until = w["pause_until"].as_str().expect("pause_until").to_string();
    assert!(until.ends_with("T13:30:00.000+08:00"), "{until}");

    // The public frame: the code and the time, never the clerk's words.
    let e = next_json(&mut ws).await;
    assert_eq!(e["type"], "window.paused", "{e}");
    assert_eq!(
        (&e["reason"], &e["until"]),
        (&json!("lunch"), &json!(until))
    );
    // A fresh screen's snapshot says the same.
    let mut fresh = hall.ws(None).await;
    let snap = next_json(&mut fresh).await;
    let w20 = snapshot_window(&snap, 20);
    assert_eq!(
        (&w20["status"], &w20["pause_reason"], &w20["pause_until"]),
        (&json!("paused"), &json!("lunch"), &json!(until))
    );

    // Back early: resume clears it; a pause with no time says none.
    hall.ok(&c1, 20, "resume", json!({})).await;
    let w = hall
        .ok(&c1, 20, "pause", json!({"reason": "meeting"}))
        .await;
    assert!(w.get("pause_until").is_none(), "{w}");
}
