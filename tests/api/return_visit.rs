//! A 补办件 return visit at its window: the finish reply, the slip printed on a fake printer on
//! loopback (decoded from the bytes it received), what the window screen may read and who may
//! read it, and the documents the citizen must bring on the booking's own page.

use reqwest::StatusCode;
use serde_json::{Value, json};

use hallq::printer::fake::{FakePrinter, Script, decode};

use crate::helpers::*;

const EVALUATOR_12: &str = "test-evaluator-12-token";

fn next_day() -> String {
    let tz = jiff::tz::TimeZone::get("Asia/Shanghai").expect("tz");
    let d = tz.to_datetime(tomorrow_at(10, 0)).date();
    d.checked_add(jiff::Span::new().days(1))
        .expect("day")
        .to_string()
}

async fn hall_with_printer(fake: &FakePrinter) -> TestHall {
    let hall = TestHall::spawn_with(&with_printer(every_day_config(), &fake.address())).await;
    hallq::admin::add_device_at(
        &hall.db,
        "evaluator-12",
        hallq::domain::DeviceKind::Evaluator,
        Some(12),
        EVALUATOR_12,
    )
    .expect("evaluator");
    hall
}

async fn shown(hall: &TestHall, token: Option<&str>) -> (StatusCode, Value) {
    hall.get("/api/v1/windows/12/return", token).await
}

#[tokio::test]
async fn the_return_code_reaches_the_window_screen_and_the_printed_slip() {
    let fake = FakePrinter::start(Script::Online)
        .await
        .expect("fake printer");
    let hall = hall_with_printer(&fake).await;
    let next = next_day();
    let t = hall
        .issue_with(json!({"queue": "crj", "id_number": id_number(5)}))
        .await;
    // The kiosk's own ticket slip comes first on p1.
    let ticket_slip = fake
        .next_job(std::time::Duration::from_secs(5))
        .await
        .expect("the ticket's slip");
    assert!(
        decode(&ticket_slip)
            .expect("decodes")
            .text()
            .contains(t["number"].as_str().expect("n"))
    );
    let clerk = hall.login("clerk1").await;
    hall.ok(&clerk, 12, "sign-in", json!({})).await;
    hall.ok(&clerk, 12, "call-next", json!({})).await;
    assert_eq!(shown(&hall, Some(&clerk)).await.1["return"], Value::Null);

    // Without the list of what to bring, no return is booked and the citizen stays.
    let finish = |body: Value| hall.op(&clerk, 12, "finish", body);
    assert_error(
        &finish(json!({"outcome": "supplement", "return": {"day": next, "start": "09:00"}})).await,
        422,
        "reason_required",
    );
    assert_error(
        &finish(json!({"outcome": "supplement", "note": "缺照片",
            "return": {"day": next, "start": "09:00", "printer": "nope"}}))
        .await,
        422,
        "unknown_printer",
    );
    let (_, w) = hall.get("/api/v1/windows/12", Some(&clerk)).await;
    assert_eq!(w["current"]["number"], t["number"]);
    assert_eq!(shown(&hall, Some(&clerk)).await.1["return"], Value::Null);

    let documents = "户口簿原件及复印件；近期免冠彩色照片两张（白底，2寸）";
    let (s, w) = finish(json!({"outcome": "supplement", "note": documents,
        "return": {"day": next, "start": "09:00", "printer": "p1"}}))
    .await;
    assert_eq!(s, StatusCode::OK, "{w}");
    let r = &w["return"];
    assert_eq!(r["print"]["status"], "printed", "{w}");
    assert_eq!(r["documents"], documents);
    assert_eq!(r["from_window"], 12);
    let code = r["code"].as_str().expect("code").to_string();
    let token = r["token"].as_str().expect("token").to_string();

    // The slip the printer received: the code largest, the day, the documents, the page.
    let job = fake
        .next_job(std::time::Duration::from_secs(5))
        .await
        .expect("a slip was printed");
    let d = decode(&job).expect("decodes");
    let text = d.lines().concat();
    assert!(d.lines().iter().any(|l| l == &code), "{text}");
    assert!(text.contains("补办件回访预约凭条"), "{text}");
    let day: jiff::civil::Date = next.parse().expect("d");
    let day_words = format!("{}年{}月{}日", day.year(), day.month(), day.day());
    assert!(
        text.contains(&day_words) && text.contains("09:00-09:30"),
        "{text}"
    );
    assert!(text.contains(documents), "{text}");
    assert!(text.contains("受理窗口 12 号窗口"), "{text}");
    assert_eq!(d.qr.len(), 1);
    assert!(d.qr[0].ends_with(&format!("/a/{token}")), "{:?}", d.qr);
    let big = d.runs.iter().find(|r| r.text == code).expect("code run");
    assert!(big.width >= 4 && big.bold);

    // The window screen: the window's clerk, a manager, its own evaluator and a display may
    // read it; another window's evaluator, a kiosk and anonymous callers may not.
    for who in [Some(clerk.as_str()), Some(EVALUATOR_12), Some(DISPLAY)] {
        let (s, body) = shown(&hall, who).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert_eq!(body["return"]["code"], code.as_str());
        assert_eq!(body["return"]["documents"], documents);
    }
    let manager = hall.login("manager").await;
    assert_eq!(
        shown(&hall, Some(&manager)).await.1["return"]["code"],
        code.as_str()
    );
    assert_error(&shown(&hall, Some(EVALUATOR)).await, 403, "forbidden");
    assert_error(&shown(&hall, Some(KIOSK)).await, 403, "forbidden");
    assert_error(&shown(&hall, None).await, 401, "unauthenticated");
    let clerk2 = hall.login("clerk2").await;
    assert_error(&shown(&hall, Some(&clerk2)).await, 403, "not_your_window");
    assert_error(
        &hall.get("/api/v1/windows/999/return", Some(&manager)).await,
        404,
        "unknown_window",
    );
    // The code never reaches the public stream.
    let mut ws = hall.ws(None).await;
    let snap = next_json(&mut ws).await;
    assert!(!snap.to_string().contains(&code), "{snap}");

    // 补打: a second copy marked as such; a bad printer is refused.
    let (s, again) = hall
        .post(
            "/api/v1/windows/12/return/print",
            Some(&clerk),
            json!({"printer": "p1"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{again}");
    assert_eq!(again["print"]["status"], "printed");
    let job = fake
        .next_job(std::time::Duration::from_secs(5))
        .await
        .expect("a second slip");
    let d = decode(&job).expect("decodes");
    assert_eq!(d.lines()[0], "【补打】");
    assert!(d.lines().iter().any(|l| l == &code));
    assert_error(
        &hall
            .post(
                "/api/v1/windows/12/return/print",
                Some(&clerk),
                json!({"printer": "nope"}),
            )
            .await,
        422,
        "unknown_printer",
    );
    assert_error(
        &hall
            .post(
                "/api/v1/windows/12/return/print",
                Some(EVALUATOR_12),
                json!({"printer": "p1"}),
            )
            .await,
        403,
        "forbidden",
    );

    // The booking's own page lists the documents too.
    let (s, page) = hall
        .get(&format!("/api/v1/appointments/{token}"), None)
        .await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert_eq!(page["documents"], documents);

    // Calling the next citizen takes it off the window screen; nothing left to reprint.
    hall.issue_with(json!({"queue": "crj", "id_number": id_number(8)}))
        .await;
    hall.ok(&clerk, 12, "call-next", json!({})).await;
    assert_eq!(
        shown(&hall, Some(EVALUATOR_12)).await.1["return"],
        Value::Null
    );
    assert_error(
        &hall
            .post(
                "/api/v1/windows/12/return/print",
                Some(&clerk),
                json!({"printer": "p1"}),
            )
            .await,
        404,
        "unknown_appointment",
    );
}

#[tokio::test]
async fn a_return_shown_at_its_window_goes_off_after_ten_minutes() {
    let hall = TestHall::spawn_with(&every_day_config()).await;
    let next = next_day();
    hall.issue_with(json!({"queue": "crj", "id_number": id_number(6)}))
        .await;
    let clerk = hall.login("clerk1").await;
    hall.ok(&clerk, 12, "sign-in", json!({})).await;
    hall.ok(&clerk, 12, "call-next", json!({})).await;
    let (s, w) = hall
        .op(
            &clerk,
            12,
            "finish",
            json!({"outcome": "supplement", "note": "营业执照副本",
            "return": {"day": next, "start": "14:00"}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{w}");
    // No printer named: nothing printed, the return is booked all the same.
    assert_eq!(w["return"]["print"]["status"], "none");
    hall.set_clock(tomorrow_at(10, 9)).await;
    assert_eq!(
        shown(&hall, Some(&clerk)).await.1["return"]["documents"],
        "营业执照副本"
    );
    hall.set_clock(tomorrow_at(10, 11)).await;
    assert_eq!(shown(&hall, Some(&clerk)).await.1["return"], Value::Null);
}
