//! The floor wall (/display/floor.html) on a TV: it runs on a display device token, shows
//! every one of the 118 windows on its pages with nothing cut and no button, keeps the token
//! out of the address bar, and shows a setup screen without a working token.

use serde_json::json;

use crate::hall::{DISPLAY, TestHall};
use crate::helpers::Browser;
use crate::walls::{busy_hall, every_page};

#[tokio::test]
async fn the_floor_wall_shows_every_window_on_a_display_token() {
    let hall = TestHall::spawn().await;
    let all = busy_hall(&hall).await;
    for (w, h, name) in [
        (1920, 1080, "floor-wall-landscape"),
        (1080, 1920, "floor-wall-portrait"),
    ] {
        let b = Browser::start(w, h).await;
        b.client
            .goto(&format!(
                // The test turns the pages itself (see walls.rs).
                "{}/display/floor.html?device={DISPLAY}&page_s=3600",
                hall.base
            ))
            .await
            .expect("navigates");
        b.wait_for(
            "document.querySelectorAll('#windows .tile').length > 0 && !document.body.classList.contains('stale')",
            15,
        )
        .await;
        let url = b.client.current_url().await.expect("url");
        assert!(
            !url.as_str().contains(DISPLAY),
            "token left in the address: {url}"
        );
        let buttons = b
            .wait_for(
                "String(document.querySelectorAll('button, a, input').length)",
                2,
            )
            .await;
        assert_eq!(buttons, json!("0"), "nothing to press on a TV");
        let seen = every_page(&b, name).await;
        assert_eq!(seen, all, "{name}: every window on some page");
        // A reload keeps working from the token kept on the device.
        b.client
            .goto(&format!("{}/display/floor.html", hall.base))
            .await
            .expect("navigates");
        b.wait_for("document.querySelectorAll('#windows .tile').length > 0", 10)
            .await;
        b.close().await;
    }
}

#[tokio::test]
async fn the_floor_wall_asks_to_be_set_up_without_a_working_token() {
    let hall = TestHall::spawn().await;
    let b = Browser::start(1920, 1080).await;
    b.client
        .goto(&format!("{}/display/floor.html", hall.base))
        .await
        .expect("navigates");
    b.wait_for("document.body.dataset.setup === '1'", 10).await;
    b.screenshot("floor-wall-setup").await;
    b.client
        .goto(&format!(
            "{}/display/floor.html?device=wrong-token",
            hall.base
        ))
        .await
        .expect("navigates");
    let why = b
        .wait_for(
            "document.body.dataset.setup === '1' && document.querySelector('#setup-why').textContent",
            10,
        )
        .await;
    assert!(why.as_str().is_some_and(|w| w.contains("无效")), "{why}");
    b.close().await;
}
