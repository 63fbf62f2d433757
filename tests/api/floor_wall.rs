//! `GET /api/v1/floor/wall`: the floor for a TV on a display token (or a manager), with the
//! clerk's display name but never a username or a pause reason.

use serde_json::json;

use crate::helpers::{DISPLAY, KIOSK, TestHall, assert_error};

#[tokio::test]
async fn the_floor_wall_reads_on_a_display_token_without_usernames() {
    let hall = TestHall::spawn().await;
    let c1 = hall.login("clerk1").await;
    hall.ok(&c1, 5, "sign-in", json!({})).await;
    hall.ok(&c1, 5, "pause", json!({"reason": "lunch"})).await;
    hall.issue_at_desk(&c1, json!({"queue": "hj"})).await;

    let (s, f) = hall.get("/api/v1/floor/wall", Some(DISPLAY)).await;
    assert_eq!(s, 200, "{f}");
    assert_eq!(f["windows"].as_array().map(Vec::len), Some(118));
    let w5 = f["windows"]
        .as_array()
        .and_then(|ws| ws.iter().find(|w| w["number"] == 5))
        .expect("window 5");
    assert_eq!(w5["status"], "paused");
    assert_eq!(w5["clerk_name"], "李红");
    let text = f.to_string();
    assert!(!text.contains("clerk1"), "a username on the wall: {text}");
    assert!(
        !text.contains("lunch"),
        "a pause reason on the wall: {text}"
    );
    assert_eq!(f["totals"]["waiting"], 1);

    let manager = hall.login("manager").await;
    let (s, _) = hall.get("/api/v1/floor/wall", Some(&manager)).await;
    assert_eq!(s, 200);
    assert_error(
        &hall.get("/api/v1/floor/wall", None).await,
        401,
        "unauthenticated",
    );
    assert_error(
        &hall.get("/api/v1/floor/wall", Some(KIOSK)).await,
        403,
        "forbidden",
    );
    assert_error(
        &hall.get("/api/v1/floor/wall", Some(&c1)).await,
        403,
        "forbidden",
    );
}
