//! Manager pages in Chromium: the live floor, the waits report with its charts, the appraisal.

use fantoccini::Locator;
use serde_json::json;

use crate::hall::{TestHall, tomorrow_at};
use crate::helpers::Browser;

/// A little history: three tickets at window 20, two served, one waiting; window 21 paused.
async fn some_history(hall: &TestHall) {
    let c1 = hall.login("clerk1").await;
    hall.ok(&c1, 20, "sign-in", json!({})).await;
    for _ in 0..3 {
        hall.issue("xf").await;
    }
    hall.issue("sb").await;
    hall.set_clock(tomorrow_at(10, 12)).await;
    hall.ok(&c1, 20, "call-next", json!({})).await;
    hall.set_clock(tomorrow_at(10, 20)).await;
    hall.ok(&c1, 20, "finish", json!({"outcome": "done"})).await;
    hall.ok(&c1, 20, "call-next", json!({})).await;
    hall.set_clock(tomorrow_at(10, 31)).await;
    hall.ok(&c1, 20, "finish", json!({"outcome": "done"})).await;
    hall.ok(&c1, 20, "call-next", json!({})).await;
    let c2 = hall.login("clerk2").await;
    hall.ok(&c2, 21, "sign-in", json!({})).await;
    hall.ok(&c2, 21, "pause", json!({"reason": "meeting"}))
        .await;
    hall.set_clock(tomorrow_at(11, 5)).await;
}

#[tokio::test]
async fn a_manager_reads_the_floor_the_reports_and_the_appraisal() {
    let hall = TestHall::spawn().await;
    some_history(&hall).await;
    let tz = jiff::tz::TimeZone::get("Asia/Shanghai").expect("tz");
    let day = tz.to_datetime(tomorrow_at(10, 0)).date();
    let b = Browser::start(1366, 900).await;
    let c = &b.client;
    c.goto(&format!("{}/staff/floor", hall.base))
        .await
        .expect("goto");
    b.wait_for("document.querySelector('#username')", 10).await;
    for (id, text) in [("#username", "manager"), ("#password", "test-password")] {
        c.find(Locator::Css(id))
            .await
            .expect("login field")
            .send_keys(text)
            .await
            .expect("typed");
    }
    c.find(Locator::Css("#login"))
        .await
        .expect("login button")
        .click()
        .await
        .expect("clicked");
    b.wait_for(
        "document.querySelectorAll('.window-tiles .tile').length === 118",
        10,
    )
    .await;
    let waiting = b
        .wait_for("document.getElementById('total-waiting').textContent", 5)
        .await;
    assert_eq!(waiting, json!("1"), "the sb ticket waits");
    let tile = b
        .wait_for("document.querySelector('.tile.serving') && document.querySelector('.tile.serving').textContent", 5)
        .await;
    assert!(
        tile.as_str()
            .is_some_and(|t| t.contains("20") && t.contains("李红")),
        "{tile}"
    );
    assert!(
        b.wait_for("document.querySelector('.tile.paused') !== null", 5)
            .await
            == json!(true)
    );
    b.screenshot("floor").await;

    // The floor follows the event stream: a new ticket shows up without a reload.
    hall.issue("xf").await;
    b.wait_for(
        "document.getElementById('total-waiting').textContent === '2'",
        10,
    )
    .await;
    c.goto(&format!("{}/staff/floor?tv", hall.base))
        .await
        .expect("goto");
    b.wait_for("document.body.classList.contains('tv') && document.querySelectorAll('.tile').length === 118", 10)
        .await;
    b.screenshot("floor-tv").await;

    c.goto(&format!(
        "{}/staff/reports?from={day}&to={day}&by=queue",
        hall.base
    ))
    .await
    .expect("goto");
    b.wait_for(
        "document.querySelectorAll('#waits-table tbody tr').length >= 2",
        10,
    )
    .await;
    let cells = b
        .wait_for("Array.from(document.querySelectorAll('#waits-table tbody tr')).map(r => r.textContent).join('|')", 5)
        .await;
    assert!(
        cells.as_str().is_some_and(|t| t.contains("消防审批验收")),
        "{cells}"
    );
    for id in ["chart-hours", "chart-waits", "chart-depts"] {
        let drawn = b
            .wait_for(&format!("window.Chart && Chart.getChart('{id}') && Chart.getChart('{id}').data.datasets[0].data.length > 0"), 10)
            .await;
        assert_eq!(drawn, json!(true), "{id}");
    }
    let href = b
        .wait_for("document.getElementById('xlsx').getAttribute('href')", 5)
        .await;
    assert_eq!(
        href,
        json!(format!(
            "/api/v1/reports/waits?from={day}&to={day}&by=queue&format=xlsx"
        ))
    );
    assert!(
        b.wait_for(
            "document.body.textContent.includes('首次取号到首次叫号')",
            5
        )
        .await
            == json!(true)
    );
    let head = b
        .wait_for("document.querySelector('#waits-table thead').innerText", 5)
        .await;
    assert!(
        head.as_str()
            .is_some_and(|t| t.contains("平均等候（时:分:秒）")),
        "{head}"
    );
    b.screenshot("reports").await;

    let month = format!("{:04}-{:02}", day.year(), day.month());
    c.goto(&format!("{}/staff/appraisal?month={month}", hall.base))
        .await
        .expect("goto");
    b.wait_for(
        "document.querySelectorAll('#appraisal-table tbody tr.clickable').length === 1",
        10,
    )
    .await;
    c.execute(
        "document.querySelector('#appraisal-table tbody tr.clickable').click()",
        vec![],
    )
    .await
    .expect("open the breakdown");
    b.wait_for("document.querySelector('table.components')", 5)
        .await;
    assert!(
        b.wait_for("document.querySelector('.badge') !== null", 5)
            .await
            == json!(true)
    );
    // clerk2 signed in and paused but served nobody: listed apart, not ranked.
    let apart = b
        .wait_for(
            "document.querySelector('#unranked-table tbody')?.innerText",
            5,
        )
        .await;
    assert!(
        apart
            .as_str()
            .is_some_and(|t| t.contains("clerk2") && t.contains("本月无办结业务")),
        "{apart}"
    );
    let breakdown = b
        .wait_for("document.querySelector('table.components').innerText", 5)
        .await;
    assert!(
        breakdown
            .as_str()
            .is_some_and(|t| t.contains("超时扣分") && t.contains("在岗（签到减暂停）1:0")),
        "{breakdown}"
    );
    let head = b
        .wait_for(
            "document.querySelector('#appraisal-table thead').innerText",
            5,
        )
        .await;
    assert!(
        head.as_str()
            .is_some_and(|t| t.contains("签到时长（时:分:秒）")),
        "{head}"
    );
    b.screenshot("appraisal").await;
    b.close().await;
}
