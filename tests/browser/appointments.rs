//! 预约签到 at the kiosk in Chromium: a booking made through the API is checked in with its
//! code on the keypad, the ticket shows 预约, a too-early code shows from when, and the clerk's
//! next call takes the appointment ahead of an older walk-in once its slot has begun.

use serde_json::{Value, json};

use crate::hall::{KIOSK, TestHall, every_day_config, id_number, tomorrow_at};
use crate::helpers::Browser;
use crate::kiosk::{check_layout, tap, text};

pub async fn book(hall: &TestHall, start: &str, who: u32) -> Value {
    crate::hall::book_crj_today(hall, start, who).await
}

/// Click the button under `list` whose text contains `label`.
async fn click_text(b: &Browser, list: &str, label: &str) {
    let js = format!(
        "[...document.querySelectorAll('{list} button')].find(e => e.textContent.includes({label:?}))"
    );
    b.wait_for(&js, 10).await;
    b.client
        .execute(&format!("{js}.click()"), vec![])
        .await
        .expect("click");
}

async fn type_code(b: &Browser, code: &str) {
    for d in code.chars() {
        tap(b, &format!("button[data-act=key][data-arg='{d}']")).await;
    }
    tap(b, "#enter").await;
}

#[tokio::test]
async fn check_in_at_the_kiosk_with_the_code_and_be_called_first() {
    let hall = TestHall::spawn_with(&every_day_config()).await;
    let now = book(&hall, "10:30", 1).await;
    let later = book(&hall, "11:30", 2).await;
    let walk_in = hall
        .issue_with(json!({"queue": "crj", "id_number": id_number(40)}))
        .await;

    let b = Browser::start(1080, 1920).await;
    b.client
        .goto(&format!("{}/kiosk/?device={KIOSK}", hall.base))
        .await
        .expect("navigates");
    b.wait_for("document.body.dataset.ready === '1'", 15).await;
    b.wait_for("document.body.dataset.screen === 'home'", 10)
        .await;
    assert!(text(&b, "#checkin").await.starts_with("预约签到"));
    check_layout(&b, "appointments-1-home", "#app").await;

    tap(&b, "#checkin").await;
    b.wait_for("document.body.dataset.screen === 'checkin'", 10)
        .await;
    // Too early: the kiosk says from when.
    type_code(&b, later["code"].as_str().expect("code")).await;
    let msg = text(&b, "#message").await;
    assert!(msg.contains("11:00"), "{msg}");
    check_layout(&b, "appointments-2-too-early", "#app").await;

    tap(&b, "button[data-act=clear]").await;
    type_code(&b, now["code"].as_str().expect("code")).await;
    b.wait_for("document.body.dataset.screen === 'ticket'", 10)
        .await;
    let number = text(&b, "#number").await;
    assert!(number.starts_with("CR"), "{number}");
    assert_eq!(text(&b, "#appointment-mark").await, "预约");
    check_layout(&b, "appointments-3-ticket", "#app").await;
    b.close().await;

    let clerk = hall.login("clerk1").await;
    hall.ok(&clerk, 12, "sign-in", json!({})).await;
    hall.set_clock(tomorrow_at(10, 30)).await;
    let called = hall.ok(&clerk, 12, "call-next", json!({})).await;
    assert_eq!(called["current"]["number"], number.as_str());
    assert_eq!(called["reason"], "appointment");
    assert_ne!(called["current"]["number"], walk_in["number"]);
}

#[tokio::test]
async fn book_on_the_phone_check_in_at_the_kiosk_and_be_called() {
    let hall = TestHall::spawn_with(&every_day_config()).await;
    let b = Browser::start(390, 844).await;
    b.client
        .goto(&format!("{}/book/", hall.base))
        .await
        .expect("navigates");
    b.wait_for("document.body.dataset.ready === '1'", 15).await;
    check_layout(&b, "book-1-departments", "main").await;
    click_text(&b, "#depts", "公安局").await;
    click_text(&b, "#queues", "出入境证件").await;
    b.wait_for(
        "document.querySelector('#slots button:not([disabled])')",
        10,
    )
    .await;
    check_layout(&b, "book-2-slots", "main").await;
    // The first free slot of the first day: 10:30 (the clock stands at 10:00).
    let first = text(&b, "#slots button:not([disabled])").await;
    assert!(
        first.starts_with("10:30-11:00") && first.contains("余 2 个"),
        "{first}"
    );
    tap(&b, "#slots button:not([disabled])").await;
    b.type_into("#id-number", &id_number(7)).await;
    b.type_into("#phone", "13800138000").await;
    check_layout(&b, "book-3-form", "main").await;
    tap(&b, "#submit").await;
    b.wait_for(
        "location.pathname.startsWith('/a/') && document.querySelector('#code')",
        10,
    )
    .await;
    let code = text(&b, "#code").await;
    assert_eq!(code.len(), 6, "{code}");
    assert_eq!(text(&b, "#state").await, "已预约");
    assert!(text(&b, "#how").await.contains("10:00-10:45"));
    assert!(text(&b, "#notice").await.contains("身份证"));
    b.wait_for(
        "document.querySelector('#qr').complete && document.querySelector('#qr').naturalWidth > 0",
        10,
    )
    .await;
    // The booking page scrolls on a phone: the screenshot, but no fits-the-screen check.
    b.screenshot("book-4-booking").await;
    let booking_url = b.client.current_url().await.expect("url").to_string();

    // At the kiosk with the code.
    b.client
        .goto(&format!("{}/kiosk/?device={KIOSK}", hall.base))
        .await
        .expect("navigates");
    b.wait_for("document.body.dataset.ready === '1'", 15).await;
    tap(&b, "#checkin").await;
    type_code(&b, &code).await;
    b.wait_for("document.body.dataset.screen === 'ticket'", 10)
        .await;
    let number = text(&b, "#number").await;

    // The booking page follows.
    b.client.goto(&booking_url).await.expect("navigates");
    b.wait_for("document.querySelector('#ticket')", 10).await;
    assert_eq!(text(&b, "#state").await, "已签到");
    assert_eq!(text(&b, "#ticket").await, number);
    b.close().await;

    hall.issue_with(json!({"queue": "crj", "id_number": id_number(41)}))
        .await;
    let clerk = hall.login("clerk1").await;
    hall.ok(&clerk, 12, "sign-in", json!({})).await;
    hall.set_clock(tomorrow_at(10, 30)).await;
    let called = hall.ok(&clerk, 12, "call-next", json!({})).await;
    assert_eq!(called["current"]["number"], number.as_str());
    assert_eq!(called["reason"], "appointment");
}
