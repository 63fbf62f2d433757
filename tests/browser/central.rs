//! The central server's page (多厅统计) in Chromium: two halls ship a morning each to a private
//! PostgreSQL; a manager logs in, sees both halls shipped and in the reports, and reads the
//! waits by hall for that day, in the hall report's formats.

use serde_json::json;

use crate::hall::{TestHall, caught_up, spawn_central, tomorrow_at, tz_day, uplinked};
use crate::helpers::Browser;
use crate::pg::Pg;

/// `n` tickets of 消防 issued at opening and served one after another at window 20.
async fn a_morning(hall: &TestHall, n: i8) {
    let c1 = hall.login("clerk1").await;
    hall.ok(&c1, 20, "sign-in", json!({})).await;
    for _ in 0..n {
        hall.issue("xf").await;
    }
    for i in 0..n {
        hall.set_clock(tomorrow_at(10, 5 + 9 * i)).await;
        hall.ok(&c1, 20, "call-next", json!({})).await;
        hall.set_clock(tomorrow_at(10, 9 + 9 * i)).await;
        hall.ok(&c1, 20, "finish", json!({"outcome": "done"})).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_central_manager_reads_the_waits_by_hall() {
    let (_pg, url) = Pg::fresh().await;
    let sandu = TestHall::spawn_with(&uplinked(&url, "sandu")).await;
    let duyun = TestHall::spawn_with(&uplinked(&url, "duyun")).await;
    a_morning(&sandu, 3).await;
    a_morning(&duyun, 2).await;
    caught_up(&sandu, &url, "sandu").await;
    caught_up(&duyun, &url, "duyun").await;

    let base = spawn_central(&url).await;

    let b = Browser::start(1366, 900).await;
    b.client
        .goto(&format!("{base}/central/"))
        .await
        .expect("navigates");
    b.wait_for("!document.getElementById('login').hidden", 10)
        .await;
    let log_in = |password: &'static str| {
        let b = &b;
        async move {
            b.client
                .execute(
                    "const f = document.getElementById('login'); f.username.value = 'chief'; f.password.value = arguments[0];",
                    vec![json!(password)],
                )
                .await
                .expect("fill the form");
            b.click("#login button").await;
        }
    };
    // A wrong password is said as the server says it, and the form stays.
    log_in("not-the-password").await;
    let said = b
        .wait_for("document.getElementById('error').textContent", 10)
        .await;
    assert_ne!(said, json!("请登录 Please log in"));
    // The form stays (a wait that fails the test if it does not).
    b.wait_for("!document.getElementById('login').hidden", 5)
        .await;
    log_in("central-pass").await;
    // Both halls, every event shipped and in the reports.
    let halls = b
        .wait_for(
            "document.querySelectorAll('#halls tr').length === 3 && [...document.querySelectorAll('#halls tr')].slice(1).map(r => [...r.cells].map(c => c.textContent))",
            15,
        )
        .await;
    let rows = halls.as_array().expect("rows");
    assert_eq!(rows[0][0], "duyun");
    assert_eq!(rows[1][0], "sandu");
    for r in rows {
        assert_eq!(r[5], "0", "nothing left to ship: {r}");
        assert_eq!(r[7], "0", "nothing left out of the reports: {r}");
        let shipped = r[4].as_str().expect("time");
        assert!(
            shipped.len() == 19 && shipped.as_bytes()[10] == b' ',
            "a local date and time, not {shipped}"
        );
    }

    // Their day, by hall: the rows, the total, the chart and the downloads.
    let day = tz_day();
    b.client
        .execute(
            "const f = document.getElementById('query'); f.from.value = arguments[0]; f.to.value = arguments[0]; f.by.value = 'hall';",
            vec![json!(day)],
        )
        .await
        .expect("set the range");
    b.click("#query button").await;
    let report = b
        .wait_for(
            "document.querySelectorAll('#report tr').length === 4 && [...document.querySelectorAll('#report tr')].map(r => [...r.cells].map(c => c.textContent))",
            15,
        )
        .await;
    let report = report.as_array().expect("rows");
    assert_eq!(report[0][2], "取号（张）");
    assert_eq!(report[0][7], "平均等候（时:分:秒）");
    assert_eq!(
        (report[1][0].as_str(), report[1][2].as_str()),
        (Some("duyun"), Some("2"))
    );
    assert_eq!(
        (report[2][0].as_str(), report[2][2].as_str()),
        (Some("sandu"), Some("3"))
    );
    assert_eq!(
        (report[3][0].as_str(), report[3][2].as_str()),
        (Some("合计"), Some("5"))
    );
    // Everyone served waited 5 minutes or more: 时:分:秒, and shares as percentages, 0 too.
    let mean = report[3][7].as_str().expect("mean wait");
    assert!(mean.starts_with("0:") && mean.len() == 7, "{mean}");
    assert!(
        report[3][13].as_str().expect("share").ends_with('%'),
        "{:?}",
        report[3]
    );
    let drawn = b
        .wait_for(
            "window.Chart && ['chart', 'chart2'].map(id => Chart.getChart(document.getElementById(id))?.data.labels.length)",
            10,
        )
        .await;
    assert_eq!(drawn, json!([2, 2]), "both charts, a bar per hall");
    let served = b
        .client
        .execute(
            "return Chart.getChart(document.getElementById('chart2')).data.datasets[0].data",
            vec![],
        )
        .await
        .expect("served");
    assert_eq!(served, json!([2, 3]));
    let csv = b
        .client
        .execute("return document.getElementById('csv').href", vec![])
        .await
        .expect("href");
    assert!(
        csv.as_str()
            .expect("href")
            .contains(&format!("from={day}&to={day}&by=hall")),
        "{csv}"
    );
    let width = b
        .client
        .execute(
            "return [document.documentElement.scrollWidth, innerWidth]",
            vec![],
        )
        .await
        .expect("width");
    assert!(
        width[0].as_i64() <= width[1].as_i64(),
        "the page is wider than the screen: {width}"
    );
    // Logged in: no login form, no error left from before, whose session it is.
    let state = b
        .client
        .execute(
            "return [getComputedStyle(document.getElementById('login')).display, document.getElementById('error').textContent, document.getElementById('who').textContent]",
            vec![],
        )
        .await
        .expect("state");
    assert_eq!(state, json!(["none", "", "总台（chief）"]));
    b.screenshot("central-1-waits-by-hall").await;
    b.click("#logout").await;
    b.wait_for(
        "getComputedStyle(document.getElementById('login')).display !== 'none' && document.getElementById('main').hidden",
        10,
    )
    .await;
    let left = b
        .client
        .execute(
            "return document.getElementById('login').password.value",
            vec![],
        )
        .await
        .expect("form");
    assert_eq!(left, json!(""), "the password is not left in the form");
    b.close().await;
}
