//! The hall screen and the window screen in headless Chromium: calls show up at once, the
//! voice queue schedules the server's clip list in order, pause shows 暂停服务, the link
//! recovers by itself. Screenshots of both hall layouts and the window screen.

use serde_json::{Value, json};

use crate::hall::{TestHall, Ws, next_json};
use crate::helpers::Browser;

/// Open `path` and wait until the screen is live (snapshot applied, link up).
pub async fn open(b: &Browser, hall: &TestHall, path: &str) {
    b.client
        .goto(&format!("{}{path}", hall.base))
        .await
        .expect("navigates");
    b.wait_for(
        "window.hallqLive && window.hallqLive.online && window.hallqFloor.windows.size > 0",
        10,
    )
    .await;
}

/// The next event of `kind` on a test's own event stream.
async fn next_of(ws: &mut Ws, kind: &str) -> Value {
    loop {
        let e = next_json(ws).await;
        if e["type"] == kind {
            return e;
        }
    }
}

fn js_str(s: &str) -> String {
    serde_json::to_string(s).expect("a string")
}

#[tokio::test]
async fn hall_screen_shows_and_announces_calls_in_order() {
    let hall = TestHall::spawn().await;
    let c1 = hall.login("clerk1").await;
    let c2 = hall.login("clerk2").await;
    hall.ok(&c1, 5, "sign-in", json!({})).await;
    hall.ok(&c2, 6, "sign-in", json!({})).await;
    for _ in 0..3 {
        hall.issue("hj").await;
    }
    hall.issue_with(json!({"queue": "hj", "priority": "green_channel"}))
        .await;
    let mut events = hall.ws(None).await;
    next_json(&mut events).await; // snapshot

    let b = Browser::start(1920, 1080).await;
    open(&b, &hall, "/display/?zone=A").await;
    b.wait_for(
        "document.querySelector('#queues li[data-queue=hj] b')?.textContent === '4'",
        5,
    )
    .await;
    b.wait_for(
        "window.hallqVoice && window.hallqVoice.buffers.size > 40",
        10,
    )
    .await;

    // The green-channel ticket goes first.
    hall.ok(&c1, 5, "call-next", json!({})).await;
    b.wait_for(
        "document.querySelector('#latest')?.dataset.number === 'H0004'",
        1,
    )
    .await;
    let called = next_of(&mut events, "ticket.called").await;
    let text = b
        .wait_for("document.querySelector('#latest').textContent", 1)
        .await;
    let text = text.as_str().expect("text");
    assert!(text.contains("请 H0004 到 5 号窗口办理"), "{text}");
    assert!(text.contains("绿色通道"), "green-channel badge: {text}");
    b.wait_for(
        "document.querySelector('#windows [data-window=\"5\"]').textContent.includes('H0004')",
        1,
    )
    .await;
    b.wait_for(
        "document.querySelector('#queues li[data-queue=hj] b').textContent === '3'",
        1,
    )
    .await;

    // Two calls and a recall: announced one after another, each with the server's clips.
    hall.ok(&c2, 6, "call-next", json!({})).await;
    let second = next_of(&mut events, "ticket.called").await;
    hall.ok(&c1, 5, "recall", json!({})).await;
    let recall = next_of(&mut events, "ticket.recalled").await;
    let log = b
        .wait_for(
            "window.hallqVoice.log.length >= 3 && window.hallqVoice.log",
            5,
        )
        .await;
    let want: Vec<&Value> = [&called, &second, &recall]
        .iter()
        .map(|e| &e["announce"]["clips"])
        .collect();
    let got: Vec<&Value> = log.as_array().expect("log").iter().collect();
    assert_eq!(got, want, "scheduled clips, in call order");
    assert_eq!(got[0][0], "chime");
    let missing = b
        .wait_for("JSON.stringify(window.hallqVoice.missing)", 1)
        .await;
    assert_eq!(missing, "[]", "every clip the server names is in the pack");
    // The newest call is on top, the others listed below it.
    b.wait_for(
        "document.querySelector('#latest').dataset.number === 'H0004'",
        2,
    )
    .await;
    b.wait_for(
        "document.querySelector('#calls li')?.dataset.number === 'H0001'",
        2,
    )
    .await;

    // The date and time are shown, in the hall's clock.
    b.wait_for(
        "/\\d{2}:\\d{2}:\\d{2}/.test(document.querySelector('#time').textContent)",
        3,
    )
    .await;
    b.wait_for(
        "document.querySelector('#notice').textContent.includes('取号后请在休息区等候')",
        1,
    )
    .await;
    b.screenshot("display-hall-landscape").await;
    b.close().await;
}

#[tokio::test]
async fn hall_screen_portrait_layout_fits() {
    let hall = TestHall::spawn().await;
    let clerks = [hall.login("clerk1").await, hall.login("clerk2").await];
    for (i, c) in clerks.iter().enumerate() {
        hall.ok(c, 1 + i as u32, "sign-in", json!({})).await;
    }
    for q in ["hj", "hj", "jgcjg", "xf"] {
        hall.issue(q).await;
    }
    hall.ok(&clerks[0], 1, "call-next", json!({})).await;
    hall.ok(&clerks[1], 2, "call-next", json!({})).await;
    hall.ok(&clerks[1], 2, "start", json!({})).await;
    let b = Browser::start(1080, 1920).await;
    open(&b, &hall, "/display/?zone=A").await;
    // Zone A's 39 windows on pages (walls.rs turns them all).
    b.wait_for(
        "document.querySelectorAll('#windows .tile').length > 0 && document.querySelector('#windows-page').textContent.startsWith('1–')",
        5,
    )
    .await;
    // Every window tile is inside the viewport, none cut off.
    let fits = b
        .wait_for(
            "[...document.querySelectorAll('#windows .tile')].every(t => { const r = t.getBoundingClientRect(); const p = document.querySelector('#windows').getBoundingClientRect(); return r.bottom <= p.bottom + 1 && r.right <= p.right + 1; }) ? 'yes' : 'no'",
            2,
        )
        .await;
    b.screenshot("display-hall-portrait").await;
    assert_eq!(fits, "yes");
    b.wait_for(
        "document.querySelector('#latest')?.dataset.number === 'H0002'",
        2,
    )
    .await;
    b.screenshot("display-hall-portrait").await;
    b.close().await;
}

#[tokio::test]
async fn window_screen_follows_its_window() {
    let hall = TestHall::spawn().await;
    let c1 = hall.login("clerk1").await;
    let b = Browser::start(1280, 720).await;
    open(&b, &hall, "/display/window.html?n=5").await;
    let status = "document.querySelector('#status-text').textContent";
    // Nobody signed in: closed, which reads differently from a break.
    b.wait_for(&format!("{status} === '本窗口未开放'"), 2).await;
    b.screenshot("display-window-closed").await;
    b.wait_for(
        "document.querySelector('#department').textContent === '公安局'",
        2,
    )
    .await;
    b.wait_for(
        "document.querySelector('#window-number').textContent === '5号窗口'",
        2,
    )
    .await;

    hall.ok(&c1, 5, "sign-in", json!({})).await;
    b.wait_for(&format!("{status} === '欢迎您'"), 1).await;
    b.wait_for(
        "document.querySelector('#clerk-name').textContent === '李红'",
        1,
    )
    .await;
    hall.issue("hj").await;
    hall.ok(&c1, 5, "call-next", json!({})).await;
    b.wait_for(&format!("{status} === '请H0001号'"), 1).await;
    b.screenshot("display-window-calling").await;
    hall.ok(&c1, 5, "start", json!({})).await;
    b.wait_for(&format!("{status} === 'H0001'"), 1).await;
    hall.ok(&c1, 5, "finish", json!({"outcome": "done"})).await;
    b.wait_for(&format!("{status} === '欢迎您'"), 1).await;
    hall.ok(&c1, 5, "pause", json!({"reason": "lunch"})).await;
    b.wait_for(&format!("{status} === '暂停服务'"), 1).await;
    b.wait_for(
        "document.querySelector('#status-sub').textContent.startsWith('午休')",
        1,
    )
    .await;
    b.screenshot("display-window-paused").await;
    hall.ok(&c1, 5, "resume", json!({})).await;
    b.wait_for(&format!("{status} === '欢迎您'"), 1).await;
    b.close().await;
}

#[tokio::test]
async fn a_screen_recovers_from_a_cut_without_losing_a_call() {
    let hall = TestHall::spawn().await;
    let c1 = hall.login("clerk1").await;
    hall.ok(&c1, 5, "sign-in", json!({})).await;
    hall.issue("hj").await;
    let b = Browser::start(1280, 720).await;
    open(&b, &hall, "/display/?zone=A").await;

    // Cut the link from the page's side; a call happens while it is down.
    b.client
        .execute("window.hallqLive.ws.close(); return true;", vec![])
        .await
        .expect("script runs");
    b.wait_for(
        "!document.querySelector('#offline').hidden && document.body.classList.contains('stale')",
        2,
    )
    .await;
    hall.ok(&c1, 5, "call-next", json!({})).await;
    // It comes back by itself, resumes from its last seq, and the missed call is there.
    b.wait_for(
        "window.hallqLive.online && window.hallqLive.reconnects >= 1",
        10,
    )
    .await;
    b.wait_for(
        "document.querySelector('#offline').hidden && !document.body.classList.contains('stale')",
        2,
    )
    .await;
    b.wait_for(
        &format!(
            "document.querySelector('#latest').dataset.number === {}",
            js_str("H0001")
        ),
        2,
    )
    .await;
    let log = b
        .wait_for(
            "window.hallqVoice.log.length === 1 && window.hallqVoice.log",
            5,
        )
        .await;
    assert_eq!(
        log[0][0], "chime",
        "a call missed for a moment is still announced"
    );
    b.close().await;
}

#[tokio::test]
async fn screens_come_back_after_a_server_restart_without_losing_a_call() {
    let dir = tempfile::tempdir().expect("temp dir");
    let hall = TestHall::spawn_on(dir.path()).await;
    let c1 = hall.login("clerk1").await;
    hall.ok(&c1, 5, "sign-in", json!({})).await;
    for _ in 0..2 {
        hall.issue("hj").await;
    }
    let b = Browser::start(1280, 720).await;
    open(&b, &hall, "/display/?zone=A").await;
    let w = Browser::start(1280, 720).await;
    open(&w, &hall, "/display/window.html?n=5").await;

    // A call lands just before the server goes down; the screens may or may not see it live.
    hall.ok(&c1, 5, "call-next", json!({})).await;
    let hall = hall.restart(dir.path()).await;
    let offline = "!document.querySelector('#offline').hidden";
    b.wait_for(
        &format!("({offline}) || window.hallqLive.reconnects >= 1"),
        10,
    )
    .await;
    // Another call on the new server while the screens are still reconnecting.
    let c1 = hall.login("clerk1").await;
    hall.ok(&c1, 5, "finish", json!({"outcome": "done"})).await;
    hall.ok(&c1, 5, "call-next", json!({})).await;

    b.wait_for(
        "window.hallqLive.online && window.hallqLive.reconnects >= 1",
        15,
    )
    .await;
    b.wait_for(
        "document.querySelector('#latest').dataset.number === 'H0002'",
        5,
    )
    .await;
    b.wait_for(
        "document.querySelector('#calls li')?.dataset.number === 'H0001'",
        2,
    )
    .await;
    let log = b
        .wait_for(
            "window.hallqVoice.log.length === 2 && window.hallqVoice.log",
            5,
        )
        .await;
    assert_eq!(
        (&log[0][6], &log[1][6]),
        (&json!("d1"), &json!("d2")),
        "both calls announced, in order: {log}"
    );
    w.wait_for("window.hallqLive.online && document.querySelector('#status-text').textContent === '请H0002号'", 15)
        .await;
    b.close().await;
    w.close().await;
    hall.stop().await;
}

#[tokio::test]
async fn window_screen_in_portrait_shows_the_whole_number() {
    let hall = TestHall::spawn().await;
    let c1 = hall.login("clerk1").await;
    hall.ok(&c1, 20, "sign-in", json!({})).await;
    let t = hall.issue_at_desk(&c1, json!({"queue": "hj"})).await;
    hall.ok(&c1, 20, "call-next", json!({})).await;
    for (w, h, name) in [(800, 1280, "portrait"), (1280, 720, "landscape")] {
        let b = Browser::start(w, h).await;
        open(&b, &hall, "/display/window.html?n=20").await;
        let want = format!("请{}号", t["number"].as_str().expect("number"));
        b.wait_for(
            &format!("document.querySelector('#status-text').textContent === {want:?}"),
            2,
        )
        .await;
        crate::kiosk::check_layout(&b, &format!("display-window-{name}-called"), ".stage").await;
        crate::kiosk::check_layout(&b, &format!("display-window-{name}-called"), "header").await;
        b.close().await;
    }
}
