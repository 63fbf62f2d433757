//! One kiosk token cannot empty a queue: `[limits] kiosk_tickets_per_minute` holds a kiosk to
//! its rate with 429 `too_many_requests`, and the floor names the kiosk.

use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn a_kiosk_past_its_rate_is_refused_and_the_floor_says_which() {
    let config = shipped_config().replace(
        "kiosk_tickets_per_minute = 20",
        "kiosk_tickets_per_minute = 3",
    );
    let hall = TestHall::spawn_with(&config).await;
    for _ in 0..3 {
        hall.issue("hj").await;
    }
    let refused = hall
        .post("/api/v1/tickets", Some(KIOSK), json!({"queue": "hj"}))
        .await;
    assert_error(&refused, 429, "too_many_requests");
    // Nothing was issued by the refusal.
    let (_, h) = hall.get("/api/v1/hall", None).await;
    let hj = h["queues"]
        .as_array()
        .and_then(|q| q.iter().find(|q| q["id"] == "hj"))
        .expect("hj");
    assert_eq!(hj["issued"], 3);
    // The help desk (staff) is not a kiosk and keeps issuing.
    let clerk = hall.login("clerk1").await;
    let (s, t) = hall
        .post("/api/v1/tickets", Some(&clerk), json!({"queue": "hj"}))
        .await;
    assert_eq!(s, 201, "{t}");
    let manager = hall.login("manager").await;
    let (_, floor) = hall.get("/api/v1/floor", Some(&manager)).await;
    let alarm = floor["alarms"]
        .as_array()
        .and_then(|a| a.iter().find(|a| a["kind"] == "kiosk_rate"))
        .unwrap_or_else(|| panic!("a kiosk alarm: {floor}"));
    assert_eq!(alarm["detail"], "kiosk-1");
    assert_eq!(alarm["value"], 1);
    assert_eq!(alarm["threshold"], 3);
}
