//! The phone page /t/{token} on a phone-sized screen: it shows the ticket, follows it to
//! `called` when a clerk calls it, and lets the citizen leave the queue.

use serde_json::json;

use crate::hall::TestHall;
use crate::helpers::Browser;
use crate::kiosk::{check_layout, tap, text};

async fn open(hall: &TestHall, token: &str) -> Browser {
    let b = Browser::start(390, 844).await;
    b.client
        .goto(&format!("{}/t/{token}", hall.base))
        .await
        .expect("navigates");
    b.wait_for("document.body.dataset.ready === '1'", 15).await;
    b
}

#[tokio::test]
async fn the_phone_page_follows_a_ticket_until_it_is_called() {
    let hall = TestHall::spawn().await;
    hall.issue("hj").await;
    let t = hall.issue("hj").await;
    let token = t["token"].as_str().expect("token");
    let b = open(&hall, token).await;

    assert_eq!(
        text(&b, "#number").await,
        t["number"].as_str().expect("number")
    );
    assert_eq!(
        b.wait_for("document.querySelector('#state').dataset.state", 5)
            .await,
        json!("waiting")
    );
    assert!(text(&b, "#ahead").await.contains("您前面还有 1 人等候"));
    check_layout(&b, "phone-1-waiting", "main").await;
    // 更新于 in the hall's clock (the test hall's day starts at 10:00), not the phone's.
    let (_, h) = hall.get("/api/v1/hall", None).await;
    let hall_hhmm = &h["now"].as_str().expect("now")[11..16];
    b.wait_for(
        &format!("document.querySelector('.meta').textContent.includes('更新于 {hall_hhmm}')"),
        5,
    )
    .await;
    // English: the department and queue in English too.
    tap(&b, "#lang").await;
    b.wait_for(
        "document.querySelector('#names').textContent === 'Public Security Bureau · Household registration & ID cards'",
        5,
    )
    .await;
    check_layout(&b, "phone-1b-waiting-english", "main").await;
    tap(&b, "#lang").await;

    // A clerk at window 1 calls twice: the first citizen, then this one.
    let clerk = hall.login("clerk1").await;
    hall.ok(&clerk, 1, "sign-in", json!({})).await;
    hall.ok(&clerk, 1, "call-next", json!({})).await;
    b.wait_for(
        "document.querySelector('#ahead')?.textContent.includes('您前面还有 0 人等候')",
        15,
    )
    .await;
    hall.ok(&clerk, 1, "no-show", json!({"reason": "absent"}))
        .await;
    let called = hall.ok(&clerk, 1, "call-next", json!({})).await;
    assert_eq!(called["current"]["number"], t["number"]);
    b.wait_for(
        "document.querySelector('#state').dataset.state === 'called'",
        15,
    )
    .await;
    assert_eq!(text(&b, "#state").await, "请到 1 号窗口办理");
    check_layout(&b, "phone-2-called", "main").await;
    b.close().await;
}

#[tokio::test]
async fn a_citizen_can_leave_the_queue_from_the_phone() {
    let hall = TestHall::spawn().await;
    let t = hall.issue("hj").await;
    let token = t["token"].as_str().expect("token");
    let b = open(&hall, token).await;
    tap(&b, "#cancel").await;
    b.wait_for("!document.querySelector('#dialog').hidden", 5)
        .await;
    check_layout(&b, "phone-3-confirm-cancel", "body").await;
    tap(&b, "#cancel-yes").await;
    b.wait_for(
        "document.querySelector('#state').dataset.state === 'cancelled'",
        10,
    )
    .await;
    assert!(
        !b.wait_for("!document.querySelector('#cancel')", 5)
            .await
            .is_null(),
        "no cancel button once cancelled"
    );
    let (_, view) = hall.get(&format!("/api/v1/tickets/{token}"), None).await;
    assert_eq!(view["state"], "cancelled");
    check_layout(&b, "phone-4-cancelled", "main").await;

    // An unknown token says so.
    b.client
        .goto(&format!("{}/t/{}", hall.base, "0".repeat(64)))
        .await
        .expect("navigates");
    b.wait_for("document.querySelector('#missing')", 10).await;
    b.close().await;
}

#[tokio::test]
async fn a_citizen_rates_the_visit_from_the_phone_afterwards() {
    let hall = TestHall::spawn().await;
    let c1 = hall.login("clerk1").await;
    hall.ok(&c1, 20, "sign-in", serde_json::json!({})).await;
    let t = hall.issue("xf").await;
    hall.ok(&c1, 20, "call-next", serde_json::json!({})).await;
    hall.ok(&c1, 20, "finish", serde_json::json!({"outcome": "done"}))
        .await;
    let token = t["token"].as_str().expect("token");
    let b = open(&hall, token).await;
    b.wait_for("document.querySelector('#rate .levels')", 10)
        .await;
    b.click("button[data-level='very_dissatisfied']").await;
    b.wait_for(
        "document.querySelector('#rate-submit') && document.querySelector('#rate-submit').disabled",
        5,
    )
    .await;
    b.click("button[data-reason='1']").await;
    b.screenshot("phone-rate").await;
    b.click("#rate-submit").await;
    b.wait_for("document.querySelector('#rate .thanks')", 5)
        .await;
    let (_, v) = hall.get(&format!("/api/v1/tickets/{token}"), None).await;
    assert_eq!(v["rated"], true);
    let m = hall.login("manager").await;
    let (_, list) = hall.get("/api/v1/follow-ups", Some(&m)).await;
    assert_eq!(list[0]["rating"]["source"], "phone");
    assert_eq!(
        list[0]["rating"]["reasons"],
        serde_json::json!(["办理时间太长"])
    );
    b.close().await;
}
