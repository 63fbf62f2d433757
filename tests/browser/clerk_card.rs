//! The clerk's card in headless Chromium: an admin sets the 工号 and uploads the photo from the
//! admin page; the window screen on a display token shows the signed-in clerk's photo and 工号
//! (landscape and portrait, nothing cut), and the placeholder again after the clerk signs out.

use serde_json::json;

use crate::hall::{DISPLAY, PASSWORD, TestHall};
use crate::helpers::Browser;

const PHOTO: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/clerk-photo.png"
);

#[tokio::test]
async fn an_admin_posts_the_clerks_photo_and_number_on_the_window_screen() {
    let hall = TestHall::spawn().await;

    // The admin page: 工号 typed, photo chosen from a file.
    let b = Browser::start(1366, 768).await;
    b.log_in_at(&format!("{}/staff/admin", hall.base), "admin", PASSWORD)
        .await;
    b.click("#users tr[data-user=\"clerk1\"] .card-edit").await;
    b.type_into("#card-staff-no", "SD-0123").await;
    b.click("#card-save").await;
    b.wait_for(
        "document.querySelector('#users tr[data-user=\"clerk1\"] .user-staff-no').textContent === 'SD-0123'",
        10,
    )
    .await;
    b.wait_for("document.querySelector('#card-photo')", 10)
        .await;
    let input = b
        .client
        .find(fantoccini::Locator::Css("#card-photo"))
        .await
        .expect("file input");
    input.send_keys(PHOTO).await.expect("file chosen");
    // The thumbnail is the uploaded photo, drawn (not a broken image).
    b.wait_for(
        "(i => i && i.complete && i.naturalWidth === 300 && i.naturalHeight === 400)(document.querySelector('#users tr[data-user=\"clerk1\"] img.user-photo'))",
        10,
    )
    .await;
    let msg = b
        .wait_for("document.querySelector('.ok')?.textContent", 5)
        .await;
    assert!(
        msg.as_str().is_some_and(|m| m.contains("已更换照片")),
        "{msg}"
    );
    b.screenshot("admin-4-clerk-card").await;
    b.close().await;

    let c1 = hall.login("clerk1").await;
    hall.ok(&c1, 20, "sign-in", json!({})).await;
    let t = hall.issue_at_desk(&c1, json!({"queue": "hj"})).await;
    hall.ok(&c1, 20, "call-next", json!({})).await;
    let want = format!("请{}号", t["number"].as_str().expect("number"));
    for (w, h, name) in [(1280, 720, "landscape"), (800, 1280, "portrait")] {
        let s = Browser::start(w, h).await;
        s.client
            .goto(&format!(
                "{}/display/window.html?n=20&device={DISPLAY}",
                hall.base
            ))
            .await
            .expect("navigates");
        s.wait_for(
            &format!("document.querySelector('#status-text').textContent === {want:?}"),
            10,
        )
        .await;
        s.wait_for(
            "(i => i.src.startsWith('blob:') && i.complete && i.naturalWidth === 300)(document.querySelector('#clerk img'))",
            10,
        )
        .await;
        let no = s
            .wait_for("document.querySelector('#clerk-no').textContent", 5)
            .await;
        assert_eq!(no, json!("工号 SD-0123"));
        let name_shown = s
            .wait_for("document.querySelector('#clerk-name').textContent", 5)
            .await;
        assert_eq!(name_shown, json!("李红"));
        crate::kiosk::check_layout(&s, &format!("display-window-{name}-clerk-card"), ".stage")
            .await;
        crate::kiosk::check_layout(&s, &format!("display-window-{name}-clerk-card"), "header")
            .await;
        if name == "portrait" {
            // Signed out: the card goes with the clerk.
            hall.ok(&c1, 20, "finish", json!({"outcome": "done"})).await;
            hall.ok(&c1, 20, "sign-out", json!({})).await;
            s.wait_for(
                "document.querySelector('#clerk img').getAttribute('src') === 'img/clerk-placeholder.svg' && document.querySelector('#clerk-no').hidden",
                10,
            )
            .await;
            s.screenshot("display-window-portrait-clerk-gone").await;
        }
        s.close().await;
    }
    hall.stop().await;
}
