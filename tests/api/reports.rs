//! Manager reports: a scripted day on the simulated clock gives exact report numbers;
//! CSV and xlsx exports; the live floor; who may read them.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

/// `tomorrow_at` shifted by whole days.
pub(crate) fn day_at(days: i64, hh: i8, mm: i8) -> jiff::Timestamp {
    tomorrow_at(hh, mm) + jiff::SignedDuration::from_hours(24 * days)
}

pub(crate) fn service_day(days: i64) -> String {
    let tz = jiff::tz::TimeZone::get("Asia/Shanghai").expect("tz");
    tz.to_datetime(day_at(days, 12, 0)).date().to_string()
}

pub(crate) async fn raw(
    hall: &TestHall,
    path: &str,
    token: &str,
) -> (StatusCode, Option<String>, Vec<u8>) {
    let res = hall
        .http
        .get(format!("{}{path}", hall.base))
        .bearer_auth(token)
        .send()
        .await
        .expect("sent");
    let status = res.status();
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    (status, ct, res.bytes().await.expect("body").to_vec())
}

/// A waits report as JSON; panics unless 200.
async fn waits(hall: &TestHall, token: &str, from: &str, to: &str, by: &str) -> Value {
    let path = format!("/api/v1/reports/waits?from={from}&to={to}&by={by}");
    let (s, r) = hall.get(&path, Some(token)).await;
    assert_eq!(s, StatusCode::OK, "{path}: {r}");
    r
}

fn row<'a>(report: &'a Value, key: &str) -> &'a Value {
    report["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["key"] == key)
        .unwrap_or_else(|| panic!("no row {key} in {report}"))
}

/// Insert a rating (and optionally its follow-up) the way the ratings branch stores them.
pub(crate) fn rate(
    hall: &TestHall,
    ticket: &Value,
    level: &str,
    clerk: &str,
    follow_up: Option<&str>,
) {
    let c = rusqlite::Connection::open(&hall.db).expect("db");
    let id = ticket["id"].as_i64().expect("id");
    c.execute(
        "INSERT INTO ratings(ticket_id, level, source, window, clerk, queue, department, service_day, rated_ms)
         SELECT id, ?2, 'evaluator', window, ?3, queue, 'gaj', service_day, finished_ms FROM tickets WHERE id = ?1",
        rusqlite::params![id, level, clerk],
    )
    .expect("rating");
    if let Some(state) = follow_up {
        c.execute(
            "INSERT INTO follow_ups(ticket_id, department, opened_ms, due_ms, state, result)
             VALUES (?1, 'gaj', 0, 1, ?2, CASE ?2 WHEN 'closed' THEN 'rectified' END)",
            rusqlite::params![id, state],
        )
        .expect("follow-up");
    }
}

/// The scripted day at window 20 (消防, which also calls 户籍 as its second tier):
/// t1 waits 10 min, served 5 min (from the call); t2 waits 15, served 10 (from start);
/// t3 waits 30, no-show; t4 waits 31, transferred to 户籍, called again and served 5;
/// t5 cancelled; t6 never called. The window pauses 30 minutes.
pub(crate) async fn scripted_day(hall: &TestHall) -> (String, Vec<Value>) {
    let c1 = hall.login("clerk1").await;
    hall.ok(&c1, 20, "sign-in", json!({})).await;
    let t1 = hall.issue("xf").await;
    let t2 = hall.issue("xf").await;
    hall.set_clock(tomorrow_at(10, 10)).await;
    let v = hall.ok(&c1, 20, "call-next", json!({})).await;
    assert_eq!(v["current"]["number"], t1["number"]);
    hall.set_clock(tomorrow_at(10, 15)).await;
    hall.ok(&c1, 20, "finish", json!({"outcome": "done"})).await;
    hall.ok(&c1, 20, "call-next", json!({})).await;
    hall.set_clock(tomorrow_at(10, 16)).await;
    hall.ok(&c1, 20, "start", json!({})).await;
    hall.set_clock(tomorrow_at(10, 26)).await;
    hall.ok(&c1, 20, "finish", json!({"outcome": "promised"}))
        .await;
    hall.set_clock(tomorrow_at(11, 0)).await;
    let t3 = hall.issue("xf").await;
    let t4 = hall.issue("xf").await;
    hall.set_clock(tomorrow_at(11, 30)).await;
    hall.ok(&c1, 20, "call-next", json!({})).await;
    hall.set_clock(tomorrow_at(11, 31)).await;
    hall.ok(&c1, 20, "no-show", json!({"reason": "not_present"}))
        .await;
    let v = hall.ok(&c1, 20, "call-next", json!({})).await;
    assert_eq!(v["current"]["number"], t4["number"]);
    hall.ok(
        &c1,
        20,
        "transfer",
        json!({"to_queue": "hj", "position": "original"}),
    )
    .await;
    hall.set_clock(tomorrow_at(11, 35)).await;
    let v = hall.ok(&c1, 20, "call-next", json!({})).await;
    assert_eq!(v["current"]["number"], t4["number"]);
    hall.set_clock(tomorrow_at(11, 40)).await;
    hall.ok(&c1, 20, "finish", json!({"outcome": "done"})).await;
    let t5 = hall.issue("xf").await;
    let token = t5["token"].as_str().expect("token");
    let (s, _) = hall
        .post(&format!("/api/v1/tickets/{token}/cancel"), None, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK);
    hall.set_clock(tomorrow_at(11, 45)).await;
    let t6 = hall.issue("xf").await;
    hall.set_clock(tomorrow_at(12, 0)).await;
    hall.ok(&c1, 20, "pause", json!({"reason": "lunch"})).await;
    hall.set_clock(tomorrow_at(12, 30)).await;
    hall.ok(&c1, 20, "resume", json!({})).await;
    hall.set_clock(tomorrow_at(13, 0)).await;
    (c1, vec![t1, t2, t3, t4, t5, t6])
}

#[tokio::test]
async fn a_scripted_day_gives_exact_numbers() {
    let hall = TestHall::spawn().await;
    let (_, t) = scripted_day(&hall).await;
    rate(&hall, &t[0], "very_satisfied", "clerk1", None);
    rate(&hall, &t[1], "dissatisfied", "clerk1", Some("open"));
    let m = hall.login("manager").await;
    let day = service_day(0);

    let r = waits(&hall, &m, &day, &day, "queue").await;
    assert_eq!(r["wait_target_s"], 1200);
    let xf = row(&r, "xf");
    assert_eq!(xf["label"], "消防审批验收");
    for (k, v) in [
        ("issued", json!(6)),
        ("served", json!(2)),
        ("no_show", json!(1)),
        ("transferred", json!(1)),
        ("cancelled", json!(1)),
        ("wait_count", json!(4)),
        ("wait_mean_s", json!(1290)), // (600 + 900 + 1800 + 1860) / 4
        ("wait_p50_s", json!(900)),
        ("wait_p90_s", json!(1860)),
        ("wait_max_s", json!(1860)),
        ("service_mean_s", json!(450)), // 300 (call to finish) and 600 (start to finish)
        ("service_p50_s", json!(300)),
        ("service_p90_s", json!(600)),
        ("over_target", json!(2)),
        ("over_target_share", json!(0.5)),
        ("rated", json!(2)),
        ("rating_coverage", json!(1.0)),
        ("satisfaction_rate", json!(0.5)),
        ("bad_ratings", json!(1)),
    ] {
        assert_eq!(xf[k], v, "xf.{k} in {xf}");
    }
    // The transferred ticket ends in 户籍 and is served there.
    let hj = row(&r, "hj");
    assert_eq!(
        (
            &hj["issued"],
            &hj["served"],
            &hj["service_mean_s"],
            &hj["wait_count"]
        ),
        (&json!(0), &json!(1), &json!(300), &json!(0))
    );
    assert_eq!(r["total"]["issued"], 6);
    assert_eq!(r["total"]["served"], 3);

    let d = waits(&hall, &m, &day, &day, "department").await;
    let gaj = row(&d, "gaj");
    assert_eq!(gaj["label"], "公安局");
    assert_eq!((&gaj["issued"], &gaj["served"]), (&json!(6), &json!(3)));
    assert_eq!(gaj["service_mean_s"], 400);
    assert_eq!(d["rows"].as_array().map(Vec::len), Some(1));

    let h = waits(&hall, &m, &day, &day, "hour").await;
    let ten = row(&h, "10");
    assert_eq!(ten["label"], "10:00-11:00");
    assert_eq!(
        (&ten["issued"], &ten["served"], &ten["wait_mean_s"]),
        (&json!(2), &json!(2), &json!(750))
    );
    let eleven = row(&h, "11");
    assert_eq!(
        (
            &eleven["issued"],
            &eleven["cancelled"],
            &eleven["wait_max_s"]
        ),
        (&json!(4), &json!(1), &json!(1860))
    );

    let w = waits(&hall, &m, &day, &day, "window").await;
    let w20 = row(&w, "20");
    assert_eq!(w20["window_kind"], "resident");
    assert_eq!(w20["label"], "20号窗口 公安消防");
    for (k, v) in [
        ("issued", 4),
        ("served", 3),
        ("no_show", 1),
        ("transferred", 1),
        ("pause_s", 1800),
        ("signed_in_s", 3 * 3600), // 10:00 to 13:00
    ] {
        assert_eq!(w20[k], v, "window 20 {k} in {w20}");
    }

    let k = waits(&hall, &m, &day, &day, "clerk").await;
    let c1 = row(&k, "clerk1");
    assert_eq!(c1["label"], "李红");
    assert_eq!(
        (
            &c1["served"],
            &c1["no_show"],
            &c1["transferred"],
            &c1["wait_mean_s"]
        ),
        (&json!(3), &json!(1), &json!(1), &json!(1120)) // (600 + 900 + 1860) / 3
    );

    // A day with nothing: no rows, an empty total.
    let next = service_day(3);
    let e = waits(&hall, &m, &next, &next, "window").await;
    assert_eq!(e["rows"], json!([]));
    assert_eq!(e["total"]["issued"], 0);
    assert_eq!(e["total"]["wait_mean_s"], Value::Null);
}

#[tokio::test]
async fn a_range_across_midnight_counts_both_days() {
    let hall = TestHall::spawn().await;
    scripted_day(&hall).await;
    // The next morning: yesterday's t6 was abandoned at the day's end.
    hall.set_clock(day_at(1, 9, 30)).await;
    let c1 = hall.login("clerk1").await;
    hall.ok(&c1, 20, "sign-in", json!({})).await;
    hall.issue("xf").await;
    hall.set_clock(day_at(1, 9, 40)).await;
    hall.ok(&c1, 20, "call-next", json!({})).await;
    hall.set_clock(day_at(1, 9, 50)).await;
    hall.ok(&c1, 20, "finish", json!({"outcome": "done"})).await;
    let m = hall.login("manager").await;
    let (d0, d1) = (service_day(0), service_day(1));
    let r = waits(&hall, &m, &d0, &d1, "day").await;
    let rows = r["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["key"], d0);
    assert_eq!(rows[0]["abandoned"], 1);
    assert_eq!(rows[1]["key"], d1);
    assert_eq!(
        (
            &rows[1]["issued"],
            &rows[1]["wait_mean_s"],
            &rows[1]["service_mean_s"]
        ),
        (&json!(1), &json!(600), &json!(600))
    );
    assert_eq!(r["total"]["issued"], 7);
    assert_eq!(r["total"]["served"], 4);
}

#[tokio::test]
async fn a_range_across_a_month_boundary() {
    let hall = TestHall::spawn().await;
    // The last day of next month, then the first of the month after.
    let tz = jiff::tz::TimeZone::get("Asia/Shanghai").expect("tz");
    let tomorrow = tz.to_datetime(tomorrow_at(10, 0)).date();
    let last = tomorrow
        .first_of_month()
        .checked_add(jiff::Span::new().months(1))
        .expect("date")
        .last_of_month();
    let first = last.tomorrow().expect("date");
    let mut served = Vec::new();
    for d in [last, first] {
        hall.set_clock(tz.to_timestamp(d.at(10, 0, 0, 0)).expect("ts"))
            .await;
        let c1 = hall.login("clerk1").await;
        hall.ok(&c1, 20, "sign-in", json!({})).await;
        served.push(hall.issue("xf").await);
        hall.set_clock(tz.to_timestamp(d.at(10, 5, 0, 0)).expect("ts"))
            .await;
        hall.ok(&c1, 20, "call-next", json!({})).await;
        hall.set_clock(tz.to_timestamp(d.at(10, 12, 0, 0)).expect("ts"))
            .await;
        hall.ok(&c1, 20, "finish", json!({"outcome": "done"})).await;
    }
    let m = hall.login("manager").await;
    let r = waits(&hall, &m, &last.to_string(), &first.to_string(), "day").await;
    let keys: Vec<&Value> = r["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| &r["key"])
        .collect();
    assert_eq!(keys, [&json!(last.to_string()), &json!(first.to_string())]);
    assert_eq!(r["total"]["wait_mean_s"], 300);
    for (d, n) in [(last, 1), (first, 1)] {
        let month = format!("{:04}-{:02}", d.year(), d.month());
        let (s, a) = hall
            .get(
                &format!("/api/v1/reports/staff-appraisal?month={month}"),
                Some(&m),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{a}");
        assert_eq!(a["rows"][0]["username"], "clerk1");
        assert_eq!(a["rows"][0]["served"], n, "{month}: {a}");
        assert_eq!(a["rows"][0]["service_mean_s"], 420);
    }
}

#[tokio::test]
async fn the_monthly_appraisal_ranks_and_explains() {
    let hall = TestHall::spawn().await;
    let (_, t) = scripted_day(&hall).await;
    // clerk2 serves one ticket at window 21 (社保) and gets a very good rating.
    let c2 = hall.login("clerk2").await;
    hall.ok(&c2, 21, "sign-in", json!({})).await;
    let s1 = hall.issue("sb").await;
    hall.set_clock(tomorrow_at(13, 5)).await;
    hall.ok(&c2, 21, "call-next", json!({})).await;
    hall.set_clock(tomorrow_at(13, 25)).await;
    hall.ok(&c2, 21, "finish", json!({"outcome": "done"})).await;
    hall.set_clock(tomorrow_at(14, 0)).await;
    rate(&hall, &t[0], "very_satisfied", "clerk1", None);
    rate(&hall, &t[1], "very_dissatisfied", "clerk1", Some("closed"));
    rate(&hall, &t[3], "dissatisfied", "clerk1", None);
    rate(&hall, &s1, "satisfied", "clerk2", None);

    let m = hall.login("manager").await;
    let tz = jiff::tz::TimeZone::get("Asia/Shanghai").expect("tz");
    let d = tz.to_datetime(tomorrow_at(10, 0)).date();
    let month = format!("{:04}-{:02}", d.year(), d.month());
    let (s, a) = hall
        .get(
            &format!("/api/v1/reports/staff-appraisal?month={month}"),
            Some(&m),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{a}");
    assert_eq!(a["month"], month);
    assert_eq!(a["excellent_count"], 1);
    let rows = a["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 2);
    let c1 = rows
        .iter()
        .find(|r| r["username"] == "clerk1")
        .expect("clerk1");
    for (k, v) in [
        ("name", json!("李红")),
        ("served", json!(3)),
        ("service_mean_s", json!(400)),
        ("over_target", json!(1)),
        ("no_show", json!(1)),
        ("transferred", json!(1)),
        ("pause_s", json!(1800)),
        ("signed_in_s", json!(4 * 3600)),
        ("rated", json!(3)),
        ("rating_coverage", json!(1.0)),
        ("satisfaction_rate", json!(0.3333)),
        ("bad_ratings", json!(2)),
        ("bad_open", json!(1)),
        ("bad_closed", json!(1)),
        ("bad_excused", json!(0)),
        ("penalty", json!(10.0)),
    ] {
        assert_eq!(c1[k], v, "clerk1.{k} in {c1}");
    }
    let names: Vec<&str> = c1["components"]
        .as_array()
        .expect("components")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(
        names,
        [
            "volume",
            "service_time",
            "within_target",
            "satisfaction",
            "rating_coverage",
            "attendance"
        ]
    );
    let c2 = rows
        .iter()
        .find(|r| r["username"] == "clerk2")
        .expect("clerk2");
    assert_eq!(c2["served"], 1);
    assert_eq!(c2["satisfaction_rate"], 1.0);
    // Ranks 1 and 2; exactly one excellent (ceil(2 × 20%)), and it is rank 1.
    assert_eq!(rows[0]["rank"], 1);
    assert_eq!(rows[1]["rank"], 2);
    assert_eq!(rows[0]["excellent"], true);
    assert_eq!(rows[1]["excellent"], false);
    assert!(rows[0]["score"].as_f64() >= rows[1]["score"].as_f64());

    let (s, ct, body) = raw(
        &hall,
        &format!("/api/v1/reports/staff-appraisal?month={month}&format=xlsx"),
        &m,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(ct.is_some_and(|c| c.contains("spreadsheetml")));
    assert_eq!(&body[..2], b"PK");
    let (_, _, csv) = raw(
        &hall,
        &format!("/api/v1/reports/staff-appraisal?month={month}&format=csv"),
        &m,
    )
    .await;
    let text = String::from_utf8(csv).expect("utf-8");
    assert!(text.starts_with('\u{feff}'));
    assert!(text.contains("李红"));
    assert!(text.lines().next().is_some_and(|h| h.contains("得分")));
}

/// A workbook's parts by name, read as text.
pub(crate) fn unzip(body: Vec<u8>) -> impl FnMut(&str) -> String {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(body)).expect("a zip");
    move |name: &str| {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut zip.by_name(name).expect(name), &mut s).expect("read");
        s
    }
}

/// Split one CSV line (RFC 4180 quoting).
pub(crate) fn csv_fields(line: &str) -> Vec<String> {
    let (mut out, mut cur, mut quoted, mut chars) =
        (Vec::new(), String::new(), false, line.chars().peekable());
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut cur)),
            (c, _) => cur.push(c),
        }
    }
    out.push(cur);
    out
}

#[tokio::test]
async fn exports_open_in_excel() {
    let hall = TestHall::spawn().await;
    scripted_day(&hall).await;
    let m = hall.login("manager").await;
    let day = service_day(0);

    let (s, ct, body) = raw(
        &hall,
        &format!("/api/v1/reports/waits?from={day}&to={day}&by=queue&format=csv"),
        &m,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(ct.as_deref(), Some("text/csv; charset=utf-8"));
    assert_eq!(&body[..3], b"\xEF\xBB\xBF", "UTF-8 BOM");
    let text = String::from_utf8(body[3..].to_vec()).expect("utf-8");
    let lines: Vec<Vec<String>> = text
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .map(csv_fields)
        .collect();
    let header = &lines[0];
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h.starts_with(name))
            .unwrap_or_else(|| panic!("no {name} in {header:?}"))
    };
    let xf = lines.iter().find(|l| l[0] == "xf").expect("xf line");
    assert_eq!(xf[col("名称")], "消防审批验收");
    assert_eq!(xf[col("取号数")], "6");
    assert_eq!(xf[col("平均等候")], "0:21:30");
    assert_eq!(xf[col("超时等候占比")], "0.5000");
    assert!(header[col("平均等候")].ends_with("（时:分:秒）"));
    assert_eq!(lines.last().expect("total")[0], "total");

    let (s, ct, body) = raw(
        &hall,
        &format!("/api/v1/reports/waits?from={day}&to={day}&by=queue&format=xlsx"),
        &m,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(ct.is_some_and(|c| c.contains("spreadsheetml")));
    assert_eq!(&body[..2], b"PK");
    let mut read = unzip(body);
    let workbook = read("xl/workbook.xml");
    assert!(
        workbook.contains("数据") && workbook.contains("汇总"),
        "{workbook}"
    );
    let sheet = read("xl/worksheets/sheet1.xml");
    assert!(sheet.contains("<pane"), "frozen header");
    assert!(
        read("xl/workbook.xml").contains("_FilterDatabase"),
        "autofilter"
    );
    let strings = read("xl/sharedStrings.xml");
    assert!(strings.contains("消防审批验收") && strings.contains("取号数"));
    // The mean wait of 1290 s is stored as a fraction of a day with a duration format.
    assert!(
        sheet.contains(&format!("<v>{}</v>", 1290.0 / 86_400.0)),
        "{sheet}"
    );
    assert!(read("xl/styles.xml").contains("[h]:mm:ss"));
    // A total row right under the data (outside the autofilter), the wait target a number and
    // the range two Excel dates on the summary sheet.
    let n = waits(&hall, &m, &day, &day, "queue").await["rows"]
        .as_array()
        .expect("rows")
        .len();
    let total_row = format!("<row r=\"{}\"", n + 2);
    assert!(sheet.contains(&total_row), "{total_row} in {sheet}");
    assert!(!sheet.contains(&format!("<row r=\"{}\"", n + 3)));
    assert!(strings.contains("<t>合计</t>"));
    let summary = read("xl/worksheets/sheet2.xml");
    assert!(summary.contains("<v>20</v>"), "wait target: {summary}");
    let serial = jiff::civil::date(1899, 12, 30)
        .until(day.parse::<jiff::civil::Date>().expect("day"))
        .expect("days")
        .get_days();
    assert!(
        summary.contains(&format!("<v>{serial}</v>")),
        "range as dates: {summary}"
    );
    assert!(read("xl/styles.xml").contains("yyyy-mm-dd"));
    assert!(read("xl/charts/chart1.xml").contains("c:barChart"));
}

#[tokio::test]
async fn the_floor_shows_queues_windows_and_alarms() {
    let config = shipped_config().replace("queue_waiting = 30", "queue_waiting = 2");
    let hall = TestHall::spawn_with(&config).await;
    let c1 = hall.login("clerk1").await;
    hall.ok(&c1, 20, "sign-in", json!({})).await;
    hall.issue("xf").await;
    hall.issue("xf").await;
    hall.issue("xf").await;
    hall.set_clock(tomorrow_at(10, 5)).await;
    hall.ok(&c1, 20, "call-next", json!({})).await;
    let c2 = hall.login("clerk2").await;
    hall.ok(&c2, 21, "sign-in", json!({})).await;
    hall.ok(&c2, 21, "pause", json!({"reason": "meeting"}))
        .await;
    hall.set_clock(tomorrow_at(10, 45)).await;
    let m = hall.login("manager").await;
    let (s, f) = hall.get("/api/v1/floor", Some(&m)).await;
    assert_eq!(s, StatusCode::OK, "{f}");
    let xf = f["queues"]
        .as_array()
        .expect("queues")
        .iter()
        .find(|q| q["id"] == "xf")
        .expect("xf");
    assert_eq!(xf["waiting"], 2);
    assert_eq!(xf["longest_wait_s"], 45 * 60);
    assert_eq!(xf["department_name"], "公安局");
    let w = |n: u32| {
        f["windows"]
            .as_array()
            .expect("windows")
            .iter()
            .find(|w| w["number"] == n)
            .expect("window")
            .clone()
    };
    let w20 = w(20);
    assert_eq!(w20["status"], "serving");
    assert_eq!(w20["clerk"]["username"], "clerk1");
    assert_eq!(w20["service_s"], 40 * 60);
    assert_eq!(w(21)["status"], "paused");
    assert_eq!(w(21)["status_s"], 40 * 60);
    assert_eq!(w(1)["status"], "closed");
    let kinds: Vec<(&str, Value)> = f["alarms"]
        .as_array()
        .expect("alarms")
        .iter()
        .map(|a| {
            (
                a["kind"].as_str().unwrap_or(""),
                a.get("queue")
                    .or(a.get("window"))
                    .cloned()
                    .unwrap_or_default(),
            )
        })
        .collect();
    assert!(kinds.contains(&("queue_waiting", json!("xf"))), "{kinds:?}");
    assert!(kinds.contains(&("queue_wait", json!("xf"))), "{kinds:?}");
    assert!(kinds.contains(&("window_paused", json!(21))), "{kinds:?}");
    assert_eq!(f["totals"]["windows_paused"], 1);
    assert_eq!(f["totals"]["windows_serving"], 1);
}

#[tokio::test]
async fn only_managers_read_reports_and_parameters_are_checked() {
    let hall = TestHall::spawn().await;
    let day = service_day(0);
    let waits = format!("/api/v1/reports/waits?from={day}&to={day}&by=window");
    let month = format!("/api/v1/reports/staff-appraisal?month={}", &day[..7]);
    for path in ["/api/v1/floor", waits.as_str(), month.as_str()] {
        let (s, e) = hall.get(path, None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(e["error"]["code"], "unauthenticated");
        let c1 = hall.login("clerk1").await;
        let (s, e) = hall.get(path, Some(&c1)).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{path}");
        assert_eq!(e["error"]["code"], "forbidden");
        let (s, _) = hall.get(path, Some(DISPLAY)).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "a device: {path}");
    }
    let m = hall.login("manager").await;
    for bad in [
        "/api/v1/reports/waits?from=2026-13-01&to=2026-12-31",
        "/api/v1/reports/waits?from=2026-1-1&to=2026-01-31",
        "/api/v1/reports/waits?from=yesterday&to=2026-01-31",
        "/api/v1/reports/waits?to=2026-01-31",
        "/api/v1/reports/waits?from=2026-01-01&to=2026-01-31&by=week",
        "/api/v1/reports/waits?from=2026-01-01&to=2026-01-31&format=pdf",
        "/api/v1/reports/waits?from=2026-01-01&to=2026-01-31&colour=red",
        "/api/v1/reports/staff-appraisal?month=2026-13",
        "/api/v1/reports/staff-appraisal?month=2026-1",
        "/api/v1/reports/staff-appraisal",
    ] {
        let (s, e) = hall.get(bad, Some(&m)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {e}");
        assert_eq!(e["error"]["code"], "bad_request", "{bad}");
        assert!(
            e["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
    for backwards in [
        "/api/v1/reports/waits?from=2026-02-01&to=2026-01-31",
        "/api/v1/reports/waits?from=2010-01-01&to=2026-01-31",
    ] {
        let (s, e) = hall.get(backwards, Some(&m)).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{backwards}");
        assert_eq!(e["error"]["code"], "invalid_range");
    }
}

#[tokio::test]
async fn a_printer_in_trouble_raises_an_alarm_on_the_floor() {
    // kiosk-1 prints on p1, a printer that refuses connections.
    let fake = hallq::printer::fake::FakePrinter::start(hallq::printer::fake::Script::Refuse)
        .await
        .expect("fake printer");
    let hall = TestHall::spawn_with(&config_with_printer(&fake.address())).await;
    let t = hall.issue("xf").await;
    assert_eq!(t["print"]["status"], "failed", "{t}");
    let m = hall.login("manager").await;
    let (s, floor) = hall.get("/api/v1/floor", Some(&m)).await;
    assert_eq!(s, 200, "{floor}");
    let alarms = floor["alarms"].as_array().expect("alarms");
    let p = alarms
        .iter()
        .find(|a| a["kind"] == "printer")
        .expect("a printer alarm");
    assert_eq!(p["printer"], "p1");
    assert!(p["detail"].as_str().is_some_and(|d| !d.is_empty()), "{p}");
}
