//! The browser harness itself: Chromium renders a page served by the hall, with a CJK font.

use crate::hall::TestHall;
use crate::helpers::Browser;

#[tokio::test]
async fn chromium_renders_a_screen_served_by_the_hall() {
    let hall = TestHall::spawn().await;
    let b = Browser::start(1280, 800).await;
    b.client
        .goto(&format!("{}/kiosk/", hall.base))
        .await
        .expect("navigates");
    let ready = b.wait_for("document.readyState === 'complete'", 10).await;
    assert_eq!(ready, serde_json::json!(true));
    let (w, h) = (
        b.wait_for("window.innerWidth", 5).await,
        b.wait_for("window.innerHeight", 5).await,
    );
    assert_eq!((w, h), (serde_json::json!(1280), serde_json::json!(800)));
    b.close().await;
}
