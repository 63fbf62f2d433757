//! The window's evaluator (评价器) in headless Chromium: after 办结 it asks, a bad rating asks
//! why, skipping returns to idle; the rating and its follow-up reach the server.

use serde_json::json;

use crate::hall::{EVALUATOR, TestHall};
use crate::helpers::Browser;

#[tokio::test]
async fn the_citizen_rates_at_the_window_after_the_service() {
    let hall = TestHall::spawn().await;
    let c1 = hall.login("clerk1").await;
    hall.ok(&c1, 20, "sign-in", json!({})).await;
    let a = hall.issue("xf").await;
    let b_ticket = hall.issue("xf").await;

    let b = Browser::start(1024, 600).await;
    let url = format!(
        "{}/display/window.html?n=20&evaluator=1&device={EVALUATOR}",
        hall.base
    );
    b.client.goto(&url).await.expect("navigates");
    b.wait_for(
        "window.hallqEvaluator && document.querySelector('#evaluator').dataset.mode === 'idle'",
        10,
    )
    .await;
    b.wait_for("window.hallqLive && window.hallqLive.online === true", 10)
        .await;

    hall.ok(&c1, 20, "call-next", json!({})).await;
    hall.ok(&c1, 20, "finish", json!({"outcome": "done"})).await;
    b.wait_for(
        "document.querySelector('#evaluator').dataset.mode === 'ask'",
        5,
    )
    .await;
    let title = b
        .wait_for("document.querySelector('#evaluator h2').innerText", 5)
        .await;
    assert!(
        title
            .as_str()
            .is_some_and(|t| t.contains(a["number"].as_str().expect("n"))),
        "{title}"
    );
    b.screenshot("evaluator-1-ask").await;
    b.click("button[data-level='dissatisfied']").await;
    b.wait_for(
        "document.querySelector('#evaluator').dataset.mode === 'reasons'",
        5,
    )
    .await;
    let submit_disabled = b
        .wait_for(
            "document.querySelector('.evaluator-submit').disabled === true",
            5,
        )
        .await;
    assert_eq!(submit_disabled, json!(true), "a reason is needed first");
    b.click(".evaluator-reason").await;
    b.screenshot("evaluator-2-reasons").await;
    b.click(".evaluator-submit").await;
    b.wait_for(
        "document.querySelector('#evaluator').dataset.mode === 'thanks'",
        5,
    )
    .await;

    let (_, v) = hall
        .get(
            &format!("/api/v1/tickets/{}", a["token"].as_str().expect("t")),
            None,
        )
        .await;
    assert_eq!(v["rated"], true);
    let m = hall.login("manager").await;
    let (_, list) = hall.get("/api/v1/follow-ups?state=open", Some(&m)).await;
    assert_eq!(
        list.as_array().map(Vec::len),
        Some(1),
        "the bad rating opened a follow-up"
    );
    assert_eq!(list[0]["rating"]["source"], "evaluator");

    // The next citizen skips.
    hall.ok(&c1, 20, "call-next", json!({})).await;
    hall.ok(&c1, 20, "finish", json!({"outcome": "consultation"}))
        .await;
    b.wait_for(
        "document.querySelector('#evaluator').dataset.mode === 'ask'",
        10,
    )
    .await;
    b.click(".evaluator-skip").await;
    b.wait_for(
        "document.querySelector('#evaluator').dataset.mode === 'idle'",
        5,
    )
    .await;
    let (_, v) = hall
        .get(
            &format!("/api/v1/tickets/{}", b_ticket["token"].as_str().expect("t")),
            None,
        )
        .await;
    assert_eq!(v["rated"], false, "skipping is allowed");
    b.close().await;
}

#[tokio::test]
async fn the_evaluator_in_portrait_shows_the_whole_number_and_every_level() {
    let hall = TestHall::spawn().await;
    let c1 = hall.login("clerk1").await;
    hall.ok(&c1, 20, "sign-in", json!({})).await;
    let t = hall.issue_at_desk(&c1, json!({"queue": "xf"})).await;
    let b = Browser::start(800, 1280).await;
    b.client
        .goto(&format!(
            "{}/display/window.html?n=20&evaluator=1&device={EVALUATOR}",
            hall.base
        ))
        .await
        .expect("navigates");
    b.wait_for("window.hallqLive && window.hallqLive.online === true", 10)
        .await;
    hall.ok(&c1, 20, "call-next", json!({})).await;
    let want = format!("请{}号", t["number"].as_str().expect("number"));
    b.wait_for(
        &format!("document.querySelector('#status-text').textContent === {want:?}"),
        5,
    )
    .await;
    crate::kiosk::check_layout(&b, "evaluator-portrait-0-called", ".stage").await;
    hall.ok(&c1, 20, "finish", json!({"outcome": "done"})).await;
    b.wait_for(
        "document.querySelector('#evaluator').dataset.mode === 'ask'",
        5,
    )
    .await;
    crate::kiosk::check_layout(&b, "evaluator-portrait-1-ask", "#evaluator").await;
    b.close().await;
}

#[tokio::test]
async fn an_evaluator_opened_at_another_window_says_whose_it_is() {
    // evaluator-20 belongs to window 20; opened above window 12 it must not ask for ratings
    // the server would refuse (the citizen's tap would be lost).
    let hall = TestHall::spawn().await;
    let m = hall.login("manager").await;
    hall.ok(&m, 12, "sign-in", json!({})).await;
    let b = Browser::start(1024, 600).await;
    let url = format!(
        "{}/display/window.html?n=12&evaluator=1&device={EVALUATOR}",
        hall.base
    );
    b.client.goto(&url).await.expect("navigates");
    let said = b
        .wait_for(
            "document.querySelector('#evaluator').dataset.mode === 'unbound' && document.querySelector('#evaluator-binding').innerText",
            10,
        )
        .await;
    assert!(
        said.as_str()
            .is_some_and(|s| s.starts_with("本评价器属于20号窗口")),
        "{said}"
    );
    b.screenshot("evaluator-wrong-window").await;
    // A service finished at window 12 does not open a rating prompt here.
    hall.issue("hj").await;
    hall.ok(&m, 12, "call-next", json!({})).await;
    b.wait_for(
        "document.querySelector('#status-text').textContent.startsWith('请')",
        5,
    )
    .await;
    hall.ok(&m, 12, "finish", json!({"outcome": "done"})).await;
    // The screen has taken the finish (the window is idle again) before the evaluator is read.
    b.wait_for(
        "document.querySelector('#status-text').textContent === '欢迎您'",
        5,
    )
    .await;
    let mode = b
        .wait_for("document.querySelector('#evaluator').dataset.mode", 2)
        .await;
    assert_eq!(mode, "unbound");
}

/// The link is down when the citizen taps: the tap is kept on the device and sent when the
/// link is back. A second tap whose answer was lost on the way back is resent with its
/// idempotency key and counted once.
#[tokio::test]
async fn a_tap_while_offline_is_kept_and_sent_once_when_back() {
    let hall = TestHall::spawn().await;
    let c1 = hall.login("clerk1").await;
    hall.ok(&c1, 20, "sign-in", json!({})).await;
    let a = hall.issue("xf").await;
    let b_ticket = hall.issue("xf").await;
    let b = Browser::start(1024, 600).await;
    let url = format!(
        "{}/display/window.html?n=20&evaluator=1&device={EVALUATOR}",
        hall.base
    );
    b.client.goto(&url).await.expect("navigates");
    b.wait_for("window.hallqLive && window.hallqLive.online === true", 10)
        .await;
    let rated = |t: &serde_json::Value| {
        let token = t["token"].as_str().expect("token").to_string();
        let hall = &hall;
        async move {
            let (_, v) = hall.get(&format!("/api/v1/tickets/{token}"), None).await;
            v["rated"] == json!(true)
        }
    };

    // 1. No link at all: the rating request cannot leave the device.
    b.client
        .execute(
            "window.realFetch = window.fetch; window.fetch = (u, o) => String(u).includes('/api/v1/ratings') ? Promise.reject(new TypeError('Failed to fetch')) : window.realFetch(u, o);",
            vec![],
        )
        .await
        .expect("cut the link");
    hall.ok(&c1, 20, "call-next", json!({})).await;
    hall.ok(&c1, 20, "finish", json!({"outcome": "done"})).await;
    b.wait_for(
        "document.querySelector('#evaluator').dataset.mode === 'ask'",
        5,
    )
    .await;
    b.click("button[data-level='very_satisfied']").await;
    b.wait_for(
        "document.querySelector('#evaluator').dataset.mode === 'saved'",
        5,
    )
    .await;
    b.screenshot("evaluator-3-saved-offline").await;
    let kept = b
        .wait_for(
            "JSON.parse(localStorage.getItem('hallq-evaluator-outbox-20') || '[]').length",
            5,
        )
        .await;
    assert_eq!(kept, json!(1));
    assert!(!rated(&a).await, "nothing reached the server");
    // A reload while offline keeps the tap (localStorage), and the link comes back.
    b.client.goto(&url).await.expect("reloads");
    b.wait_for("window.hallqEvaluator !== undefined", 10).await;
    b.wait_for(
        "(JSON.parse(localStorage.getItem('hallq-evaluator-outbox-20') || '[]').length === 0)",
        10,
    )
    .await;
    assert!(rated(&a).await, "sent when back");

    // 2. The request arrives but its answer is lost: the tap stays and is resent.
    b.client
        .execute(
            "window.realFetch = window.fetch; window.fetch = async (u, o) => { const r = await window.realFetch(u, o); if (String(u).includes('/api/v1/ratings')) throw new TypeError('connection reset'); return r; };",
            vec![],
        )
        .await
        .expect("lose the answers");
    hall.ok(&c1, 20, "call-next", json!({})).await;
    hall.ok(&c1, 20, "finish", json!({"outcome": "done"})).await;
    b.wait_for(
        "document.querySelector('#evaluator').dataset.mode === 'ask'",
        5,
    )
    .await;
    b.click("button[data-level='satisfied']").await;
    b.wait_for(
        "document.querySelector('#evaluator').dataset.mode === 'saved'",
        5,
    )
    .await;
    assert!(rated(&b_ticket).await, "the first send was stored");
    b.client
        .execute("window.fetch = window.realFetch;", vec![])
        .await
        .expect("the link is back");
    b.wait_for(
        "(JSON.parse(localStorage.getItem('hallq-evaluator-outbox-20') || '[]').length === 0)",
        10,
    )
    .await;
    let db = rusqlite::Connection::open(&hall.db).expect("db");
    let n: i64 = db
        .query_row("SELECT COUNT(*) FROM ratings", [], |r| r.get(0))
        .expect("count");
    assert_eq!(n, 2, "each tap counted once");
    b.close().await;
}
