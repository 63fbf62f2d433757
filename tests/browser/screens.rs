//! A paused window as the hall reads it: the window screen (landscape 1280x720 and portrait
//! 720x1280) and the zone wall (1920x1080) say 午休，13:30恢复 from the reason code's label and
//! the clerk's return time, and drop the time once the clerk is back.

use serde_json::json;

use crate::display::open;
use crate::hall::TestHall;
use crate::helpers::Browser;
use crate::kiosk::check_layout;

#[tokio::test]
async fn a_paused_window_says_when_its_clerk_is_back() {
    // The test hall's clock is 10:00 tomorrow.
    let hall = TestHall::spawn().await;
    let c1 = hall.login("clerk1").await;
    hall.ok(&c1, 5, "sign-in", json!({})).await;
    hall.ok(
        &c1,
        5,
        "pause",
        json!({"reason_code": "lunch", "until": "13:30"}),
    )
    .await;
    let sub = "document.querySelector('#status-sub').textContent";
    for (w, h, name) in [
        (1280, 720, "screens-window-paused-until"),
        (720, 1280, "screens-window-paused-until-portrait"),
    ] {
        let b = Browser::start(w, h).await;
        open(&b, &hall, "/display/window.html?n=5").await;
        b.wait_for(
            &format!("{sub} === '午休，13:30恢复 · Lunch break, back at 13:30'"),
            5,
        )
        .await;
        check_layout(&b, name, "body").await;
        b.close().await;
    }

    let b = Browser::start(1920, 1080).await;
    open(&b, &hall, "/display/?zone=A").await;
    let tile = "document.querySelector('.tile[data-window=\"5\"] .cur')?.textContent";
    b.wait_for(
        &format!("{tile} === '午休 13:30恢复' && !document.body.classList.contains('stale')"),
        5,
    )
    .await;
    check_layout(&b, "screens-wall-paused-until", "main section").await;
    // A pause with no time says the reason alone; a meeting reads as 会议.
    hall.ok(&c1, 5, "resume", json!({})).await;
    hall.ok(&c1, 5, "pause", json!({"reason_code": "meeting"}))
        .await;
    b.wait_for(&format!("{tile} === '会议'"), 5).await;
    b.close().await;
}
