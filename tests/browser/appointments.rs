//! 预约签到 at the kiosk in Chromium: a booking made through the API is checked in with its
//! code on the keypad, the ticket shows 预约, a too-early code shows from when, and the clerk's
//! next call takes the appointment ahead of an older walk-in once its slot has begun.

use serde_json::{Value, json};

use crate::hall::{KIOSK, TestHall, every_day_config, id_number, tomorrow_at};
use crate::helpers::Browser;
use crate::kiosk::{check_layout, tap, text};

async fn book(hall: &TestHall, start: &str, who: u32) -> Value {
    let tz = jiff::tz::TimeZone::get("Asia/Shanghai").expect("tz");
    let day = tz.to_datetime(tomorrow_at(10, 0)).date().to_string();
    let (s, b) = hall
        .post(
            "/api/v1/appointments",
            None,
            json!({"queue": "crj", "day": day, "start": start, "id_number": id_number(who), "phone": "13800138000"}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    b
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
    b.wait_for("document.body.dataset.screen === 'home'", 10).await;
    assert!(text(&b, "#checkin").await.starts_with("预约签到"));
    check_layout(&b, "appointments-1-home", "#app").await;

    tap(&b, "#checkin").await;
    b.wait_for("document.body.dataset.screen === 'checkin'", 10).await;
    // Too early: the kiosk says from when.
    type_code(&b, later["code"].as_str().expect("code")).await;
    let msg = text(&b, "#message").await;
    assert!(msg.contains("11:00"), "{msg}");
    check_layout(&b, "appointments-2-too-early", "#app").await;

    tap(&b, "button[data-act=clear]").await;
    type_code(&b, now["code"].as_str().expect("code")).await;
    b.wait_for("document.body.dataset.screen === 'ticket'", 10).await;
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
