//! The clerk console (/staff/) in headless Chromium at 1366x768: log in, sign in to window 20,
//! see tickets arrive live, call (button and F1), start, finish with an outcome and a note,
//! a refusal shown in the dialog, pause and resume, sign out; each step cross-checked by the API.

use fantoccini::Locator;
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use serde_json::{Value, json};

use crate::hall::TestHall;
use crate::helpers::Browser;

async fn click(b: &Browser, css: &str) {
    b.wait_for(
        &format!("(e => e && !e.disabled)(document.querySelector({css:?}))"),
        10,
    )
    .await;
    b.client
        .find(Locator::Css(css))
        .await
        .expect("element")
        .click()
        .await
        .expect("click");
}

async fn type_into(b: &Browser, css: &str, text: &str) {
    b.wait_for(&format!("document.querySelector({css:?})"), 10)
        .await;
    b.client
        .find(Locator::Css(css))
        .await
        .expect("element")
        .send_keys(text)
        .await
        .expect("type");
}

async fn press(b: &Browser, key: Key) {
    let keys = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: key.into() })
        .then(KeyAction::Up { value: key.into() });
    b.client.perform_actions(keys).await.expect("key press");
}

/// A 1366x768 browser on /staff/, logged in through the form.
async fn open_console(hall: &TestHall, username: &str) -> Browser {
    let b = Browser::start(1366, 768).await;
    b.client
        .goto(&format!("{}/staff/", hall.base))
        .await
        .expect("navigates");
    log_in(&b, username).await;
    b
}

async fn log_in(b: &Browser, username: &str) {
    type_into(b, "#username", username).await;
    type_into(b, "#password", crate::hall::PASSWORD).await;
    click(b, "#login").await;
}

/// Wait until the console shows `number` as the current ticket (or none for "").
async fn shows_current(b: &Browser, number: &str) {
    b.wait_for(
        &format!("document.querySelector('#console-current')?.dataset.number === {number:?}"),
        10,
    )
    .await;
}

async fn window_20(hall: &TestHall, token: &str) -> Value {
    let (s, w) = hall.get("/api/v1/windows/20", Some(token)).await;
    assert_eq!(s, 200, "{w}");
    w
}

/// The page fits the viewport: no scroll bars at 1366x768.
async fn fits(b: &Browser) {
    let size = b
        .wait_for(
            "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]",
            5,
        )
        .await;
    assert!(
        size[0].as_u64() <= Some(1366) && size[1].as_u64() <= Some(768),
        "page overflows the 1366x768 viewport: {size}"
    );
}

#[tokio::test]
async fn a_clerk_works_a_window_from_the_console() {
    let hall = TestHall::spawn().await;
    let api = hall.login("manager").await;
    // Log in through the form, then pick window 20 from the picker.
    let b = open_console(&hall, "clerk1").await;
    b.wait_for("document.querySelector('#console-pick-20')", 10)
        .await;
    b.screenshot("console-1-picker").await;
    click(&b, "#console-pick-20").await;
    b.wait_for(
        "document.querySelector('#console-status')?.dataset.status === 'open'",
        10,
    )
    .await;
    b.wait_for(
        "document.querySelector('#console-conn')?.dataset.online === 'true'",
        10,
    )
    .await;
    let w = window_20(&hall, &api).await;
    assert_eq!(
        (w["status"].as_str(), w["clerk"]["username"].as_str()),
        (Some("open"), Some("clerk1"))
    );

    // Two tickets arrive at the kiosk: the counts update live, without a reload.
    b.client
        .execute("window.__noReload = true; return true;", vec![])
        .await
        .expect("mark the page");
    hall.issue("xf").await;
    hall.issue("xf").await;
    b.wait_for(
        "document.querySelector('#console-waiting-xf')?.dataset.waiting === '2'",
        10,
    )
    .await;
    b.wait_for(
        "document.querySelector('#console-window-waiting')?.dataset.waiting === '2'",
        10,
    )
    .await;
    // The waiting list, in calling order, with waits.
    b.wait_for(
        "[...document.querySelectorAll('#console-waiting-list li')].map(l => l.dataset.waitingTicket).join(',') === 'XF001,XF002'",
        10,
    )
    .await;
    b.screenshot("console-2-waiting").await;
    fits(&b).await;

    // 叫号 by the button; 开始; 办结 as 补办件, whose note is required.
    click(&b, "#console-op-call-next").await;
    shows_current(&b, "XF001").await;
    let w = window_20(&hall, &api).await;
    assert_eq!(w["current"]["number"], "XF001");
    assert_eq!(w["current"]["state"], "called");
    b.screenshot("console-3-called").await;
    click(&b, "#console-op-start").await;
    b.wait_for(
        "document.querySelector('#console-current')?.dataset.state === 'serving'",
        10,
    )
    .await;
    assert_eq!(window_20(&hall, &api).await["current"]["state"], "serving");
    b.screenshot("console-4-serving").await;
    fits(&b).await;

    // The 办结 button asks for the outcome, the window's usual one picked.
    click(&b, "#console-op-finish").await;
    b.wait_for(
        "document.querySelector('#console-dialog')?.dataset.dialog === 'finish' && document.querySelector('[data-choice=outcome] [data-code=done]').getAttribute('aria-checked') === 'true'",
        10,
    )
    .await;
    click(&b, "[data-choice=outcome] [data-code=supplement]").await;
    let blocked = b
        .wait_for(
            "document.querySelector('#console-dialog-ok').disabled ? 'blocked' : 'open'",
            5,
        )
        .await;
    assert_eq!(blocked, json!("blocked"), "补办件 needs its note");
    type_into(&b, "#console-note", "缺营业执照副本").await;
    b.screenshot("console-5-finish-dialog").await;
    click(&b, "#console-dialog-ok").await;
    shows_current(&b, "").await;
    let w = window_20(&hall, &api).await;
    assert!(w["current"].is_null(), "{w}");
    assert_eq!(w["waiting"], 1);

    // 叫号 by F1; F5 opens the no-show dialog instead of reloading the page.
    press(&b, Key::F1).await;
    shows_current(&b, "XF002").await;
    assert_eq!(window_20(&hall, &api).await["current"]["number"], "XF002");
    press(&b, Key::F5).await;
    b.wait_for(
        "document.querySelector('#console-dialog')?.dataset.dialog === 'no-show'",
        10,
    )
    .await;
    click(&b, "#console-dialog-cancel").await;
    // F4 alone finishes, with the window's usual outcome (补办件 needs a note: never usual).
    press(&b, Key::F4).await;
    shows_current(&b, "").await;
    assert!(window_20(&hall, &api).await["current"].is_null());
    let info = b
        .wait_for("document.querySelector('#console-info').textContent", 5)
        .await;
    assert!(
        info.as_str().is_some_and(|t| t.contains("即办件")),
        "{info}"
    );

    // A refusal is shown: 特呼 of a number nobody holds.
    click(&b, "#console-op-call").await;
    type_into(&b, "#console-call-ticket", "XF099").await;
    click(&b, "[data-choice=call-reason] [data-code=appointment]").await;
    click(&b, "#console-dialog-ok").await;
    let refusal = b
        .wait_for(
            "document.querySelector('.console-dialog-error')?.textContent",
            10,
        )
        .await;
    assert!(!refusal.as_str().unwrap_or("").is_empty(), "{refusal}");
    b.screenshot("console-6-refusal").await;
    click(&b, "#console-dialog-cancel").await;

    // 暂停 with a reason and a return time picked from the hall's clock (+30 min), then 恢复.
    press(&b, Key::F8).await;
    click(&b, "[data-choice=pause-reason] [data-code=lunch]").await;
    click(&b, "[data-choice=pause-until] button:nth-child(3)").await;
    let picked = b
        .wait_for("document.querySelector('#console-pause-until').value", 5)
        .await;
    b.screenshot("console-7-pause-dialog").await;
    click(&b, "#console-dialog-ok").await;
    b.wait_for(
        "document.querySelector('#console-status')?.dataset.status === 'paused'",
        10,
    )
    .await;
    let shown = b
        .wait_for(
            "document.querySelector('#console-pause-reason')?.textContent",
            5,
        )
        .await;
    let picked = picked.as_str().expect("a time").to_string();
    assert_eq!(
        shown.as_str(),
        Some(format!("：午休，{picked}恢复").as_str()),
        "{shown}"
    );
    let w = window_20(&hall, &api).await;
    assert_eq!(
        (w["status"].as_str(), w["pause_reason"].as_str()),
        (Some("paused"), Some("lunch"))
    );
    assert_eq!(
        w["pause_until"].as_str().map(|u| &u[11..16]),
        Some(picked.as_str()),
        "{w}"
    );
    b.screenshot("console-7-paused").await;
    fits(&b).await;
    click(&b, "#console-op-pause-resume").await;
    b.wait_for(
        "document.querySelector('#console-status')?.dataset.status === 'open'",
        10,
    )
    .await;
    assert_eq!(window_20(&hall, &api).await["status"], "open");

    // 签退: back at the picker, window 20 free again; the page was never reloaded.
    click(&b, "#console-op-sign-out").await;
    b.wait_for(
        "document.querySelector('#console-pick-20')?.dataset.free === 'true'",
        10,
    )
    .await;
    let w = window_20(&hall, &api).await;
    assert_eq!(w["status"], "closed");
    assert!(w["clerk"].is_null(), "{w}");
    let kept = b.wait_for("window.__noReload === true", 5).await;
    assert_eq!(kept, json!(true));
    b.screenshot("console-8-signed-out").await;
    b.close().await;
}

#[tokio::test]
async fn hold_call_back_transfer_and_no_show_from_the_console() {
    let hall = TestHall::spawn().await;
    let api = hall.login("manager").await;
    // Already signed in at window 20 (say, from another computer): the console goes straight there.
    let clerk = hall.login("clerk2").await;
    hall.ok(&clerk, 20, "sign-in", json!({})).await;
    for _ in 0..3 {
        hall.issue("xf").await;
    }
    let b = open_console(&hall, "clerk2").await;
    b.wait_for(
        "document.querySelector('#console-window-waiting')?.dataset.waiting === '3'",
        10,
    )
    .await;

    // 挂起 XF001, call XF002 and transfer it to window 21 at the front of its line.
    press(&b, Key::F1).await;
    shows_current(&b, "XF001").await;
    press(&b, Key::F6).await;
    b.wait_for("document.querySelector('[data-held=XF001]')", 10)
        .await;
    assert_eq!(window_20(&hall, &api).await["held"][0]["number"], "XF001");
    press(&b, Key::F1).await;
    shows_current(&b, "XF002").await;
    press(&b, Key::F7).await;
    click(&b, "[data-choice=transfer-to] [data-code=window]").await;
    type_into(&b, "#console-transfer-window", "21").await;
    click(&b, "[data-choice=position] [data-code=front]").await;
    type_into(&b, "#console-transfer-reason", "社保业务").await;
    b.screenshot("console-9-transfer").await;
    click(&b, "#console-dialog-ok").await;
    shows_current(&b, "").await;
    let (_, w21) = hall.get("/api/v1/windows/21", Some(&api)).await;
    assert_eq!(w21["waiting"], 1, "{w21}");

    // 回呼 XF001 from the held list, 重呼 it, then 过号 with a reason code.
    click(&b, "[data-held=XF001] button").await;
    shows_current(&b, "XF001").await;
    press(&b, Key::F2).await;
    b.wait_for(
        "document.querySelector('#console-info')?.textContent.includes('重呼')",
        10,
    )
    .await;
    assert_eq!(window_20(&hall, &api).await["current"]["recall_count"], 1);
    b.screenshot("console-10-recalled").await;
    press(&b, Key::F5).await;
    click(&b, "[data-choice=no-show-reason] [data-code=left]").await;
    click(&b, "#console-dialog-ok").await;
    shows_current(&b, "").await;
    let w = window_20(&hall, &api).await;
    assert!(w["current"].is_null() && w["held"] == json!([]), "{w}");
    assert_eq!(w["waiting"], 1);
    b.close().await;
}

#[tokio::test]
async fn a_clerk_picks_from_the_waiting_list_as_a_special_call() {
    let hall = TestHall::spawn().await;
    let api = hall.login("manager").await;
    for _ in 0..3 {
        hall.issue_at_desk(&api, json!({"queue": "xf"})).await;
    }
    let b = open_console(&hall, "clerk1").await;
    click(&b, "#console-pick-20").await;
    b.wait_for(
        "document.querySelector('#console-conn')?.dataset.online === 'true' && document.querySelectorAll('#console-waiting-list li').length === 3",
        10,
    )
    .await;
    // The third in line, picked: 特呼 asks only for the reason.
    click(
        &b,
        "#console-waiting-list li[data-waiting-ticket=XF003] button",
    )
    .await;
    b.wait_for(
        "document.querySelector('#console-call-ticket')?.value === 'XF003'",
        5,
    )
    .await;
    click(&b, "[data-choice=call-reason] [data-code=materials_back]").await;
    click(&b, "#console-dialog-ok").await;
    shows_current(&b, "XF003").await;
    let w = window_20(&hall, &api).await;
    assert_eq!(w["current"]["number"], "XF003");
    b.wait_for(
        "[...document.querySelectorAll('#console-waiting-list li')].map(l => l.dataset.waitingTicket).join(',') === 'XF001,XF002'",
        10,
    )
    .await;
    b.screenshot("console-6-picked-from-list").await;
    b.close().await;
}

#[tokio::test]
async fn the_console_disables_its_buttons_while_offline_and_the_timer_ticks() {
    let hall = TestHall::spawn().await;
    hall.issue("xf").await;
    let b = open_console(&hall, "clerk1").await;
    b.wait_for("document.querySelector('#console-pick-20')", 10)
        .await;
    // Keep a hand on the console's event sockets, to cut the link from the page's side.
    b.client
        .execute(
            "const W = WebSocket; window.__sockets = []; window.__cut = false; \
             window.WebSocket = function (url) { const w = new W(window.__cut ? 'ws://127.0.0.1:9/' : url); __sockets.push(w); return w; }; \
             return true;",
            vec![],
        )
        .await
        .expect("wrap WebSocket");
    click(&b, "#console-pick-20").await;
    b.wait_for(
        "document.querySelector('#console-conn')?.dataset.online === 'true'",
        10,
    )
    .await;
    // Live: 叫号 can be pressed, and the window's state timer moves on by itself.
    let enabled =
        "[...document.querySelectorAll('.console-buttons button')].filter(x => !x.disabled).length";
    assert!(b.wait_for(enabled, 5).await.as_u64() >= Some(1));
    let first = b
        .wait_for("document.querySelector('#console-status')?.textContent", 5)
        .await;
    let later = b
        .wait_for(
            &format!(
                "(t => t !== {first} && t)(document.querySelector('#console-status')?.textContent)"
            ),
            5,
        )
        .await;
    assert_ne!(first, later, "the timer ticks");
    // The link is cut (and every reconnect fails): the badge says so and no button can be
    // pressed.
    b.client
        .execute(
            "window.__cut = true; __sockets.forEach((w) => w.close()); return true;",
            vec![],
        )
        .await
        .expect("cut");
    b.wait_for(
        "document.querySelector('#console-conn')?.dataset.online !== 'true' && document.querySelector('#console-conn').textContent.includes('重连中')",
        20,
    )
    .await;
    assert_eq!(
        b.wait_for(&format!("{enabled} === 0"), 5).await,
        json!(true)
    );
    b.screenshot("console-11-offline").await;
    // Back: the buttons work again.
    b.client
        .execute("window.__cut = false; return true;", vec![])
        .await
        .expect("mend");
    b.wait_for(
        &format!(
            "document.querySelector('#console-conn')?.dataset.online === 'true' && {enabled} > 0"
        ),
        20,
    )
    .await;
    b.close().await;
    hall.stop().await;
}
