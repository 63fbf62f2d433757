//! Wall screens at the busiest moment of a day (every window staffed but a few, each with a
//! number called or served, some paused): zone and whole hall, landscape 1920x1080 and
//! portrait 1080x1920. Nothing is cut, numbers and names keep the readable minimum, every
//! window shows on some page, the legend is there, an unknown zone says so, the offline badge
//! and the voice prompt leave the wall readable, and a quiet zone keeps its own calls.

use serde_json::{Value, json};

use crate::hall::TestHall;
use crate::helpers::Browser;
use crate::kiosk::check_layout;

/// Staff every window but each ninth (closed); pause each thirteenth; at the others issue two
/// tickets of the window's first queue and call one, and start the service at even windows.
/// Window 88 (zone D) calls first, so that zone A's many later calls come after it.
pub async fn busy_hall(hall: &TestHall) -> Vec<u32> {
    let (_, h) = hall.get("/api/v1/hall", None).await;
    let windows: Vec<&Value> = h["windows"].as_array().expect("windows").iter().collect();
    let mut numbers: Vec<u32> = windows
        .iter()
        .map(|w| w["number"].as_u64().expect("number") as u32)
        .collect();
    // Past the test hall's clock (10:00 tomorrow, up to 34 h from now) whatever the hour.
    let until = jiff::Timestamp::now().as_millisecond() + 3 * 86_400_000;
    let tokens = hallq::sim::make_clerks(&hall.db, &numbers, until).expect("clerks");
    // The window's first queue that issues without an ID number.
    let first_queue = |n: u32| {
        let w = windows.iter().find(|w| w["number"] == n).expect("window");
        w["queues"]
            .as_array()
            .expect("queues")
            .iter()
            .filter_map(Value::as_str)
            .find(|q| {
                h["queues"]
                    .as_array()
                    .and_then(|qs| qs.iter().find(|x| x["id"] == *q))
                    .is_some_and(|x| x["real_name"] != true)
            })
            .map(str::to_string)
    };
    numbers.sort_by_key(|&n| (n != 88, n));
    for &n in &numbers {
        if n % 9 == 0 {
            continue;
        }
        let t = &tokens[&n];
        hall.ok(t, n, "sign-in", json!({})).await;
        if n % 13 == 0 {
            hall.ok(t, n, "pause", json!({"reason": "lunch", "until": "13:30"}))
                .await;
            continue;
        }
        let Some(q) = first_queue(n) else { continue };
        hall.issue_at_desk(t, json!({"queue": q})).await;
        hall.issue_at_desk(t, json!({"queue": q})).await;
        hall.ok(t, n, "call-next", json!({})).await;
        if n % 2 == 0 {
            hall.ok(t, n, "start", json!({})).await;
        }
    }
    numbers.sort();
    numbers
}

async fn open(hall: &TestHall, path: &str, w: u32, h: u32) -> Browser {
    let b = Browser::start(w, h).await;
    b.client
        .goto(&format!("{}{path}", hall.base))
        .await
        .expect("navigates");
    b.wait_for(
        "window.hallqLive && window.hallqLive.online && document.querySelectorAll('#windows .tile').length > 0 && !document.body.classList.contains('stale')",
        15,
    )
    .await;
    b
}

/// Font sizes below the readable minimum (hall.css: 5.2vmin numbers, 3vmin names).
const TOO_SMALL: &str = r#"(() => {
  const vmin = Math.min(innerWidth, innerHeight) / 100;
  const bad = [];
  const check = (sel, min) => { for (const e of document.querySelectorAll(sel)) {
    const px = parseFloat(getComputedStyle(e).fontSize);
    if (px + 0.5 < min) bad.push(`${sel} "${e.textContent.trim().slice(0, 12)}" ${px.toFixed(1)}px < ${min.toFixed(1)}px`);
  } };
  check('.tile.called .cur, .tile.serving .cur', 5.2 * vmin);
  check('.tile .head, .tile.idle .cur, .tile.paused .cur, #calls li, #queues li', 3 * vmin);
  check('#latest .text', 5.2 * vmin);
  return bad;
})()"#;

/// Check the page showing now, turn pages until every window has been seen; returns the
/// window numbers seen.
pub async fn every_page(b: &Browser, name: &str) -> Vec<u32> {
    let mut seen = Vec::new();
    for page in 0..20 {
        check_layout(b, &format!("{name}-p{page}"), "main section").await;
        check_layout(b, &format!("{name}-p{page}"), "header").await;
        let small = b
            .client
            .execute(&format!("return {TOO_SMALL};"), vec![])
            .await
            .expect("runs");
        assert_eq!(small, json!([]), "{name}: text below the readable minimum");
        let shown = b
            .client
            .execute(
                "return [...document.querySelectorAll('#windows .tile')].map(t => Number(t.dataset.window))",
                vec![],
            )
            .await
            .expect("runs");
        let shown: Vec<u32> = serde_json::from_value(shown).expect("numbers");
        if seen.contains(&shown[0]) {
            break;
        }
        seen.extend(shown);
        b.client
            .execute("window.hallqTurnPage()", vec![])
            .await
            .expect("turns");
    }
    seen.sort();
    seen
}

#[tokio::test]
async fn busy_walls_cut_nothing_and_show_every_window() {
    let hall = TestHall::spawn().await;
    let all = busy_hall(&hall).await;
    assert_eq!(all.len(), 118);
    let zone = |z: &str, n: u32| match z {
        "A" => (1..=39).contains(&n),
        "D" => (88..=118).contains(&n),
        _ => true,
    };
    // The test turns the pages itself: the wall's own page timer (page_s) must not turn one
    // between reading it and turning it, or a page goes unseen on a loaded machine.
    for (path, z, w, h, name) in [
        (
            "/display/?page_s=3600",
            "",
            1920,
            1080,
            "wall-hall-landscape",
        ),
        (
            "/display/?page_s=3600",
            "",
            1080,
            1920,
            "wall-hall-portrait",
        ),
        (
            "/display/?zone=A&page_s=3600",
            "A",
            1920,
            1080,
            "wall-zone-a-landscape",
        ),
        (
            "/display/?zone=D&page_s=3600",
            "D",
            1080,
            1920,
            "wall-zone-d-portrait",
        ),
    ] {
        let b = open(&hall, path, w, h).await;
        b.wait_for("document.querySelector('#latest .text')", 5)
            .await;
        let legend = b
            .wait_for("document.querySelector('.legend').textContent", 2)
            .await;
        assert!(
            legend
                .as_str()
                .is_some_and(|l| l.contains("叫号中") && l.contains("办理中")),
            "{legend}"
        );
        let seen = every_page(&b, name).await;
        let want: Vec<u32> = all.iter().copied().filter(|&n| zone(z, n)).collect();
        assert_eq!(seen, want, "{name}: every window on some page");
        b.close().await;
    }
}

#[tokio::test]
async fn a_wall_can_hide_unstaffed_windows() {
    let hall = TestHall::spawn().await;
    let c1 = hall.login("clerk1").await;
    hall.ok(&c1, 5, "sign-in", json!({})).await;
    let b = open(&hall, "/display/?zone=A&unstaffed=hide", 1920, 1080).await;
    let shown = b
        .wait_for(
            "[...document.querySelectorAll('#windows .tile')].map(t => t.dataset.window).join(',')",
            5,
        )
        .await;
    assert_eq!(shown, "5");
    let c2 = hall.login("clerk2").await;
    hall.ok(&c2, 6, "sign-in", json!({})).await;
    b.wait_for(
        "[...document.querySelectorAll('#windows .tile')].map(t => t.dataset.window).join(',') === '5,6'",
        3,
    )
    .await;
    check_layout(&b, "wall-unstaffed-hidden", "main section").await;
    b.close().await;
}

#[tokio::test]
async fn an_unknown_zone_says_so() {
    let hall = TestHall::spawn().await;
    let b = Browser::start(1920, 1080).await;
    b.client
        .goto(&format!("{}/display/?zone=Z", hall.base))
        .await
        .expect("navigates");
    b.wait_for("document.body.dataset.error === 'unknown_zone'", 10)
        .await;
    let text = b
        .wait_for("document.querySelector('#bad-zone').textContent", 2)
        .await;
    let text = text.as_str().expect("text");
    assert!(
        text.contains("“Z”") && text.contains("?zone=A · 一楼A区"),
        "{text}"
    );
    b.screenshot("wall-unknown-zone").await;
    b.close().await;
}

/// Whether the rectangles of two elements overlap.
const OVERLAP: &str = r#"((a, b) => { const r = document.querySelector(a).getBoundingClientRect(), s = document.querySelector(b).getBoundingClientRect();
  return r.left < s.right && s.left < r.right && r.top < s.bottom && s.top < r.bottom; })"#;

#[tokio::test]
async fn the_offline_badge_and_voice_prompt_leave_the_wall_readable() {
    let hall = TestHall::spawn().await;
    let c1 = hall.login("clerk1").await;
    hall.ok(&c1, 5, "sign-in", json!({})).await;
    hall.issue_at_desk(&c1, json!({"queue": "hj"})).await;
    hall.ok(&c1, 5, "call-next", json!({})).await;
    for (w, h, name) in [(1920, 1080, "landscape"), (1080, 1920, "portrait")] {
        let b = open(&hall, "/display/?zone=A", w, h).await;
        // The link's own status handler, as a cut would call it.
        b.client
            .execute("window.hallqLive.h.status(false)", vec![])
            .await
            .expect("runs");
        b.wait_for("!document.querySelector('#offline').hidden", 2)
            .await;
        // The voice prompt as a browser that blocks autoplay shows it.
        b.client
            .execute(
                "document.querySelector('#enable-voice').hidden = false",
                vec![],
            )
            .await
            .expect("runs");
        b.screenshot(&format!("wall-offline-voice-{name}")).await;
        for other in ["#zone-name", "#hall-name", "#time"] {
            let hit = b
                .client
                .execute(&format!("return {OVERLAP}('#offline', '{other}');"), vec![])
                .await
                .expect("runs");
            assert_eq!(
                hit,
                json!(false),
                "{name}: the offline badge covers {other}"
            );
        }
        for other in ["#latest", "#windows", "#zone-name"] {
            let hit = b
                .client
                .execute(
                    &format!("return {OVERLAP}('#enable-voice', '{other}');"),
                    vec![],
                )
                .await
                .expect("runs");
            assert_eq!(hit, json!(false), "{name}: the voice prompt covers {other}");
        }
        let share = b
            .wait_for(
                "(r => r.width * r.height / (innerWidth * innerHeight))(document.querySelector('#enable-voice').getBoundingClientRect())",
                2,
            )
            .await;
        assert!(
            share.as_f64().expect("share") < 0.03,
            "{name}: prompt takes {share}"
        );
        b.close().await;
    }
}

#[tokio::test]
async fn a_quiet_zone_keeps_its_own_recent_calls() {
    let hall = TestHall::spawn().await;
    let c1 = hall.login("clerk1").await;
    let c2 = hall.login("clerk2").await;
    hall.ok(&c1, 88, "sign-in", json!({})).await;
    hall.ok(&c2, 5, "sign-in", json!({})).await;
    let (_, h) = hall.get("/api/v1/hall", None).await;
    let q88 = h["windows"]
        .as_array()
        .and_then(|ws| ws.iter().find(|w| w["number"] == 88))
        .and_then(|w| w["queues"][0].as_str())
        .expect("window 88's queue")
        .to_string();
    let quiet = hall.issue_at_desk(&c1, json!({"queue": q88})).await;
    hall.ok(&c1, 88, "call-next", json!({})).await;
    // Zone A then calls more than a screen keeps.
    for _ in 0..14 {
        hall.issue_at_desk(&c2, json!({"queue": "hj"})).await;
        hall.ok(&c2, 5, "call-next", json!({})).await;
        hall.ok(&c2, 5, "start", json!({})).await;
        hall.ok(&c2, 5, "finish", json!({"outcome": "done"})).await;
    }
    // A zone D screen that joins now still shows its own call.
    let b = open(&hall, "/display/?zone=D", 1920, 1080).await;
    let latest = b
        .wait_for("document.querySelector('#latest').dataset.number", 5)
        .await;
    assert_eq!(latest, quiet["number"]);
    b.close().await;
}
