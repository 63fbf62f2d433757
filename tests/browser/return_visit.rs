//! A 补办件 return visit in Chromium: the clerk finishes with 补办件 in the console, books the
//! return with a slot and the window's printer, and sees the code; the window screen above the
//! counter (1280x720, and portrait 720x1280) shows the same code, the day and the documents
//! live, and the fake printer on loopback received the slip with that code.

use serde_json::json;

use hallq::printer::fake::{FakePrinter, Script, decode};

use crate::console::{click, type_into};
use crate::display::open;
use crate::hall::{DISPLAY, PASSWORD, TestHall, every_day_config, id_number, with_printer};
use crate::helpers::Browser;
use crate::kiosk::check_layout;

#[tokio::test]
async fn a_clerk_books_a_return_and_the_window_screen_and_slip_carry_its_code() {
    let fake = FakePrinter::start(Script::Online)
        .await
        .expect("fake printer");
    let hall = TestHall::spawn_with(&with_printer(every_day_config(), &fake.address())).await;
    hall.issue_with(json!({"queue": "crj", "id_number": id_number(9)}))
        .await;
    fake.next_job(std::time::Duration::from_secs(5))
        .await
        .expect("the ticket's own slip");
    let api = hall.login("clerk1").await;
    hall.ok(&api, 12, "sign-in", json!({})).await;
    hall.ok(&api, 12, "call-next", json!({})).await;

    // The window screen, given a display token once.
    let screen = Browser::start(1280, 720).await;
    open(
        &screen,
        &hall,
        &format!("/display/window.html?n=12&device={DISPLAY}"),
    )
    .await;
    let url = screen.client.current_url().await.expect("url");
    assert!(
        !url.as_str().contains(DISPLAY),
        "the token leaves the address bar: {url}"
    );

    // The console: already signed in at 12, so it opens there.
    let b = Browser::start(1366, 768).await;
    b.client
        .goto(&format!("{}/staff/", hall.base))
        .await
        .expect("navigates");
    type_into(&b, "#username", "clerk1").await;
    type_into(&b, "#password", PASSWORD).await;
    click(&b, "#login").await;
    click(&b, "#console-op-finish").await;
    click(&b, "[data-choice=outcome] [data-code=supplement]").await;
    type_into(
        &b,
        "#console-note",
        "户口簿原件及复印件；近期免冠彩色照片两张",
    )
    .await;
    click(&b, "#console-return-on").await;
    // Until a slot is picked, the return cannot be booked.
    b.wait_for(
        "document.querySelector('[data-choice=return-slot] button')",
        10,
    )
    .await;
    let blocked = b
        .wait_for(
            "document.querySelector('#console-dialog-ok').disabled ? 'blocked' : 'open'",
            5,
        )
        .await;
    assert_eq!(blocked, json!("blocked"));
    click(&b, "[data-choice=return-slot] button").await;
    b.wait_for("[...document.querySelectorAll('#console-return-printer option')].some(o => o.value === 'p1')", 10)
        .await;
    b.client
        .execute(
            "const s = document.querySelector('#console-return-printer'); s.value = 'p1'; s.dispatchEvent(new Event('change', { bubbles: true })); return true;",
            vec![],
        )
        .await
        .expect("pick the printer");
    b.screenshot("return-1-finish-dialog").await;
    click(&b, "#console-dialog-ok").await;
    let code = b
        .wait_for(
            "document.querySelector('#console-return-card')?.dataset.code",
            10,
        )
        .await;
    let code = code.as_str().expect("code").to_string();
    assert_eq!(code.len(), 6);
    b.wait_for(
        "document.querySelector('#console-return-card').textContent.includes('回执已打印')",
        10,
    )
    .await;
    b.screenshot("return-2-console-card").await;
    b.close().await;

    // The window screen shows it, live.
    screen
        .wait_for(
            &format!("document.querySelector('#return-visit-code')?.textContent === {code:?}"),
            10,
        )
        .await;
    let docs = screen
        .wait_for(
            "document.querySelector('#return-visit-documents')?.textContent",
            5,
        )
        .await;
    assert_eq!(docs, json!("户口簿原件及复印件；近期免冠彩色照片两张"));
    check_layout(&screen, "return-3-window-screen", "#return-visit").await;
    screen.close().await;
    // A portrait screen opened now shows it from the start (each test browser has its own
    // profile, so this one is given the token too).
    let portrait = Browser::start(720, 1280).await;
    open(
        &portrait,
        &hall,
        &format!("/display/window.html?n=12&device={DISPLAY}"),
    )
    .await;
    portrait
        .wait_for(
            &format!("document.querySelector('#return-visit-code')?.textContent === {code:?}"),
            10,
        )
        .await;
    check_layout(&portrait, "return-4-window-portrait", "#return-visit").await;
    portrait.close().await;

    // The slip the printer received carries the same code.
    let job = fake
        .next_job(std::time::Duration::from_secs(5))
        .await
        .expect("the return slip");
    let d = decode(&job).expect("decodes");
    assert!(d.lines().iter().any(|l| l == &code), "{}", d.text());

    // The next call takes it off the screen (checked through the API the screen uses).
    hall.issue_with(json!({"queue": "crj", "id_number": id_number(10)}))
        .await;
    hall.ok(&api, 12, "call-next", json!({})).await;
    let (_, r) = hall.get("/api/v1/windows/12/return", Some(DISPLAY)).await;
    assert!(r["return"].is_null(), "{r}");
}
