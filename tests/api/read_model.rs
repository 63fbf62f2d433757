//! The read model: phone pages, `/hall`, window views, the floor and wall-screen snapshots are
//! read from the view the engine publishes after each commit, and show a command's effect as
//! soon as its reply has come.

use serde_json::{Value, json};

use crate::helpers::*;

/// Waiting count of queue `q` on `/api/v1/hall`.
async fn hall_waiting(hall: &TestHall, q: &str) -> Value {
    let (s, v) = hall.get("/api/v1/hall", None).await;
    assert_eq!(s, 200);
    let queues = v["queues"].as_array().expect("queues");
    queues.iter().find(|x| x["id"] == q).expect("queue")["waiting"].clone()
}

async fn phone(hall: &TestHall, t: &Value) -> Value {
    let path = format!("/api/v1/tickets/{}", t["token"].as_str().expect("token"));
    let (s, v) = hall.get(&path, None).await;
    assert_eq!(s, 200, "{v}");
    v
}

#[tokio::test]
async fn every_read_shows_a_command_once_its_reply_has_come() {
    let hall = TestHall::spawn().await;
    let c1 = hall.login("clerk1").await;
    let mgr = hall.login("manager").await;
    hall.ok(&c1, 20, "sign-in", json!({})).await;
    for round in 0..10 {
        let a = hall.issue("xf").await;
        let b = hall.issue("xf").await;
        // Issued: waiting on the phone, counted on /hall and at the window.
        assert_eq!(phone(&hall, &b).await["waiting_ahead"], 1, "round {round}");
        assert_eq!(hall_waiting(&hall, "xf").await, 2);
        let (_, w) = hall.get("/api/v1/windows/20", Some(&c1)).await;
        assert_eq!(w["waiting"], 2);

        let w = hall.ok(&c1, 20, "call-next", json!({})).await;
        assert_eq!(w["current"]["number"], a["number"]);
        // Called: the very next reads show it, on every route.
        let pa = phone(&hall, &a).await;
        assert_eq!(
            (&pa["state"], &pa["window"]),
            (&json!("called"), &json!(20))
        );
        assert_eq!(phone(&hall, &b).await["waiting_ahead"], 0);
        assert_eq!(hall_waiting(&hall, "xf").await, 1);
        let (_, list) = hall.get("/api/v1/windows", Some(&c1)).await;
        let w20 = &list.as_array().expect("windows")[19];
        assert_eq!(w20["current"]["number"], a["number"]);
        assert_eq!(w20["waiting"], 1);
        let (s, floor) = hall.get("/api/v1/floor", Some(&mgr)).await;
        assert_eq!(s, 200, "{floor}");
        let mut ws = hall.ws(None).await;
        let snap = next_json(&mut ws).await;
        assert_eq!(snap["type"], "snapshot");
        let snap_w20 = snapshot_window(&snap, 20);
        assert_eq!(snap_w20["current"]["number"], a["number"]);

        // Held, then called back, then finished: each shows at once.
        hall.ok(&c1, 20, "hold", json!({})).await;
        assert_eq!(phone(&hall, &a).await["state"], "held");
        let (_, w) = hall.get("/api/v1/windows/20", Some(&c1)).await;
        assert_eq!(w["held"][0]["number"], a["number"]);
        // The wall screen that was following hears of the hold after its snapshot.
        let ev = next_json(&mut ws).await;
        assert_eq!(ev["type"], "ticket.held");
        assert_eq!(ev["seq"].as_u64(), snap["seq"].as_u64().map(|s| s + 1));
        let body = json!({"ticket": a["number"]});
        hall.ok(&c1, 20, "call-back", body).await;
        assert_eq!(phone(&hall, &a).await["state"], "called");
        hall.ok(&c1, 20, "finish", json!({"outcome": "done"})).await;
        assert_eq!(phone(&hall, &a).await["state"], "done");
        let (_, w) = hall.get("/api/v1/windows/20", Some(&c1)).await;
        assert!(w["current"].is_null() && w["held"] == json!([]));

        // Clear the other one so every round starts alike.
        hall.ok(&c1, 20, "call-next", json!({})).await;
        hall.ok(&c1, 20, "finish", json!({"outcome": "done"})).await;
        assert_eq!(phone(&hall, &b).await["state"], "done");
        assert_eq!(hall_waiting(&hall, "xf").await, 0);
    }
}
