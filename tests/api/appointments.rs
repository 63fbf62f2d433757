//! Appointments (API.md v2): slots, booking and every refusal, the race for the last place,
//! idempotent integrator posts, check-in at the kiosk, calling ahead of walk-ins, bookings
//! missed on the hall clock alone, 延时服务, cancel, the staff list, the appointments report,
//! the waits report by arrival and the floor alarm for an appointment waiting past its slot.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

const INTEGRATOR: &str = "test-integrator-token";

async fn spawn() -> TestHall {
    let hall = TestHall::spawn_with(&every_day_config()).await;
    hallq::admin::add_device(&hall.db, "wsbsdt", "integrator", INTEGRATOR).expect("integrator");
    hall
}

fn day() -> String {
    jiff::tz::TimeZone::get("Asia/Shanghai")
        .expect("tz")
        .to_datetime(tomorrow_at(10, 0))
        .date()
        .to_string()
}

fn day_after(n: i64) -> String {
    let d: jiff::civil::Date = day().parse().expect("day");
    d.checked_add(jiff::Span::new().days(n))
        .expect("day")
        .to_string()
}

fn at(hh: i8, mm: i8) -> jiff::Timestamp {
    tomorrow_at(hh, mm)
}

async fn book(hall: &TestHall, d: &str, start: &str, who: u32) -> (StatusCode, Value) {
    hall.post(
        "/api/v1/appointments",
        None,
        json!({"queue": "crj", "day": d, "start": start, "id_number": id_number(who), "phone": "13800138000"}),
    )
    .await
}

async fn booked(hall: &TestHall, d: &str, start: &str, who: u32) -> Value {
    let (s, b) = book(hall, d, start, who).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b
}

#[tokio::test]
async fn slots_booking_and_every_refusal() {
    let hall = spawn().await;
    let d = day();
    // The hall lists the terms; queues without appointments say null.
    let (_, h) = hall.get("/api/v1/hall", None).await;
    let q = |id: &str| {
        h["queues"]
            .as_array()
            .expect("queues")
            .iter()
            .find(|q| q["id"] == id)
            .cloned()
            .expect("queue")
    };
    assert_eq!(q("crj")["appointments"]["slot_minutes"], 30);
    assert!(q("hj")["appointments"].is_null());

    let (s, slots) = hall
        .get(
            &format!("/api/v1/appointments/slots?queue=crj&from={d}&to={d}"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{slots}");
    let list = slots["slots"].as_array().expect("slots");
    // 10:00 now: 10:00 has begun; 10:30..11:30, 14:00..15:30 and three extended slots remain.
    assert_eq!(
        list.first().map(|s| s["start"].clone()),
        Some(json!("10:30"))
    );
    assert_eq!(list.len(), 3 + 4 + 3);
    assert_eq!(list[0]["capacity"], 2);
    assert_eq!(list[0]["available"], 2);
    assert!(
        list.iter()
            .any(|s| s["extended"] == true && s["start"] == "17:00")
    );

    let b = booked(&hall, &d, "10:30", 1).await;
    assert_eq!(b["state"], "booked");
    assert_eq!(b["end"], "11:00");
    assert_eq!(b["extended"], false);
    let code = b["code"].as_str().expect("code");
    assert!(
        code.len() == 6 && code.bytes().all(|c| c.is_ascii_digit()),
        "{code}"
    );
    assert_eq!(b["token"].as_str().map(str::len), Some(64));
    assert!(b["notice"].as_str().is_some_and(|n| n.contains("身份证")));
    let (s, again) = hall
        .get(
            &format!("/api/v1/appointments/{}", b["token"].as_str().expect("t")),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(again["code"], b["code"]);
    // The ID number is never in the answer.
    assert!(!again.to_string().contains(&id_number(1)));

    booked(&hall, &d, "10:30", 2).await;
    let (_, slots) = hall
        .get(
            &format!("/api/v1/appointments/slots?queue=crj&from={d}&to={d}"),
            None,
        )
        .await;
    assert_eq!(slots["slots"][0]["available"], 0);
    assert_eq!(slots["slots"][0]["booked"], 2);

    assert_error(&book(&hall, &d, "10:30", 3).await, 409, "slot_full");
    assert_error(&book(&hall, &d, "11:00", 1).await, 409, "already_booked");
    assert_error(&book(&hall, &d, "10:45", 3).await, 409, "slot_unavailable");
    assert_error(&book(&hall, &d, "10:00", 3).await, 409, "slot_unavailable");
    assert_error(
        &book(&hall, &day_after(8), "10:00", 3).await,
        409,
        "slot_unavailable",
    );
    assert_error(
        &book(&hall, &day_after(-1), "10:00", 3).await,
        409,
        "slot_unavailable",
    );
    let other = |queue: &str, id_number: String, phone: &str| json!({"queue": queue, "day": d, "start": "11:00", "id_number": id_number, "phone": phone});
    let post = |body: Value| hall.post("/api/v1/appointments", None, body);
    assert_error(
        &post(other("nope", id_number(3), "13800138000")).await,
        404,
        "unknown_queue",
    );
    assert_error(
        &post(other("hj", id_number(3), "13800138000")).await,
        409,
        "appointments_not_offered",
    );
    assert_error(
        &post(other("crj", "123".into(), "13800138000")).await,
        422,
        "invalid_id_number",
    );
    assert_error(
        &post(other("crj", id_number(3), "555")).await,
        422,
        "invalid_phone",
    );
    assert_error(&post(json!({"queue": "crj"})).await, 400, "bad_request");
    assert_error(&post(json!({"queue": "crj", "day": d, "start": "11:00", "id_number": id_number(3), "phone": "13800138000", "x": 1})).await, 400, "bad_request");
    assert_error(&post(json!({"queue": "crj", "day": "tomorrow", "start": "11:00", "id_number": id_number(3), "phone": "13800138000"})).await, 400, "bad_request");
    assert_error(
        &hall.get("/api/v1/appointments/slots?queue=hj", None).await,
        409,
        "appointments_not_offered",
    );
    assert_error(
        &hall
            .get(&format!("/api/v1/appointments/{}", "0".repeat(64)), None)
            .await,
        404,
        "not_found",
    );
}

#[tokio::test]
async fn cancel_frees_the_place_once() {
    let hall = spawn().await;
    let d = day();
    let b = booked(&hall, &d, "11:00", 1).await;
    let token = b["token"].as_str().expect("token");
    let (s, c) = hall
        .post(
            &format!("/api/v1/appointments/{token}/cancel"),
            None,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    assert_eq!(c["state"], "cancelled");
    assert_error(
        &hall
            .post(
                &format!("/api/v1/appointments/{token}/cancel"),
                None,
                json!({}),
            )
            .await,
        409,
        "invalid_state",
    );
    // The person may book again, and the place is free.
    let again = booked(&hall, &d, "11:00", 1).await;
    assert_ne!(again["token"], b["token"]);
}

#[tokio::test]
async fn two_citizens_racing_for_the_last_place_get_one_booking_and_one_slot_full() {
    let hall = spawn().await;
    let d = day();
    booked(&hall, &d, "11:30", 1).await;
    for round in 0..5u32 {
        let start = ["14:00", "14:30", "15:00", "15:30", "17:00"][round as usize];
        booked(&hall, &d, start, 10 + round).await;
        let (a, b) = tokio::join!(
            book(&hall, &d, start, 20 + round),
            book(&hall, &d, start, 30 + round)
        );
        let mut statuses = [a.0.as_u16(), b.0.as_u16()];
        statuses.sort();
        assert_eq!(statuses, [201, 409], "round {round}: {} / {}", a.1, b.1);
        let loser = if a.0 == StatusCode::CONFLICT { a } else { b };
        assert_error(&loser, 409, "slot_full");
    }
}

#[tokio::test]
async fn an_integrators_external_id_makes_booking_idempotent() {
    let hall = spawn().await;
    let body = json!({"queue": "crj", "day": day(), "start": "14:00", "id_number": id_number(5),
        "phone": "13800138000", "external_id": "gzzwfw-20261201-0001"});
    let (s1, first) = hall
        .post("/api/v1/appointments", Some(INTEGRATOR), body.clone())
        .await;
    assert_eq!(s1, StatusCode::CREATED, "{first}");
    let (s2, second) = hall
        .post("/api/v1/appointments", Some(INTEGRATOR), body.clone())
        .await;
    assert_eq!(s2, StatusCode::OK, "{second}");
    assert_eq!(first["id"], second["id"]);
    assert_eq!(first["token"], second["token"]);
    // Without the integrator's credentials an external id is not accepted.
    assert_error(
        &hall.post("/api/v1/appointments", None, body.clone()).await,
        403,
        "forbidden",
    );
    // A kiosk may not book.
    let mut k = body;
    k["external_id"] = Value::Null;
    assert_error(
        &hall.post("/api/v1/appointments", Some(KIOSK), k).await,
        403,
        "forbidden",
    );
}

#[tokio::test]
async fn check_in_at_the_kiosk_and_be_called_ahead_of_walk_ins() {
    let hall = spawn().await;
    let d = day();
    let b = booked(&hall, &d, "10:30", 1).await;
    let later = booked(&hall, &d, "11:30", 2).await;
    let code = b["code"].as_str().expect("code").to_string();
    let check_in = |body: Value| hall.post("/api/v1/appointments/check-in", Some(KIOSK), body);
    let early = check_in(json!({"code": later["code"]})).await;
    assert_error(&early, 409, "too_early");
    assert!(
        early.1["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("11:00")),
        "{}",
        early.1
    );
    assert_error(
        &check_in(json!({"code": "000000"})).await,
        404,
        "unknown_appointment",
    );
    assert_error(&check_in(json!({})).await, 400, "bad_request");
    assert_error(
        &hall
            .post("/api/v1/appointments/check-in", None, json!({"code": code}))
            .await,
        401,
        "unauthenticated",
    );
    // Walk-ins before the check-in.
    let walk_in = |n: u32| hall.issue_with(json!({"queue": "crj", "id_number": id_number(n)}));
    let w1 = walk_in(51).await;
    let (s, t) = check_in(json!({"code": code})).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    assert_eq!(t["priority"], "appointment");
    assert!(
        t["number"].as_str().is_some_and(|n| n.starts_with("CR")),
        "{t}"
    );
    assert_eq!(t["appointment"]["start"], "10:30");
    assert_eq!(t["state"], "waiting");
    assert!(
        t["status_url"]
            .as_str()
            .is_some_and(|u| u.starts_with("/t/"))
    );
    let (_, view) = hall
        .get(
            &format!("/api/v1/appointments/{}", b["token"].as_str().expect("t")),
            None,
        )
        .await;
    assert_eq!(view["state"], "checked_in");
    assert_eq!(view["ticket"]["number"], t["number"]);
    assert_error(&check_in(json!({"code": code})).await, 409, "invalid_state");

    let clerk = hall.login("clerk1").await;
    hall.ok(&clerk, 12, "sign-in", json!({})).await;
    // Before 10:30 the appointment waits behind the older walk-in.
    let first = hall.ok(&clerk, 12, "call-next", json!({})).await;
    assert_eq!(first["current"]["number"], w1["number"]);
    hall.ok(&clerk, 12, "finish", json!({"outcome": "done"}))
        .await;
    walk_in(52).await;
    hall.set_clock(at(10, 30)).await;
    walk_in(53).await;
    let second = hall.ok(&clerk, 12, "call-next", json!({})).await;
    assert_eq!(second["current"]["number"], t["number"]);
    assert_eq!(second["reason"], "appointment");

    // The help desk checks someone in by ID number, too late: refused.
    hall.set_clock(at(11, 46)).await;
    let desk = hall.login("manager").await;
    assert_error(
        &hall
            .post(
                "/api/v1/appointments/check-in",
                Some(&desk),
                json!({"id_number": id_number(2)}),
            )
            .await,
        404,
        "unknown_appointment",
    );
    let (_, later_view) = hall
        .get(
            &format!(
                "/api/v1/appointments/{}",
                later["token"].as_str().expect("t")
            ),
            None,
        )
        .await;
    assert_eq!(later_view["state"], "missed", "missed by the clock alone");

    // The appointments report: one booking checked in and called on time, one missed.
    let path = format!("/api/v1/reports/appointments?from={d}&to={d}&by=queue");
    assert_error(&hall.get(&path, Some(&clerk)).await, 403, "forbidden");
    let (s, r) = hall.get(&path, Some(&desk)).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let crj = r["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|row| row["key"] == "crj")
        .expect("crj row")
        .clone();
    assert_eq!(crj["booked"], 2, "{r}");
    assert_eq!(crj["checked_in"], 1);
    assert_eq!(crj["missed"], 1);
    assert_eq!(crj["cancelled"], 0);
    assert_eq!(
        crj["on_time_share"], 1.0,
        "called at 10:30, the slot's start"
    );
    assert!(crj["wait_after_check_in_mean_s"].as_u64().is_some(), "{r}");
    assert_eq!(r["total"]["booked"], 2);
    // The waits report splits appointments from walk-ins.
    let (s, w) = hall
        .get(
            &format!("/api/v1/reports/waits?from={d}&to={d}&by=arrival"),
            Some(&desk),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{w}");
    let rows: Vec<(String, u64)> = w["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            (
                r["key"].as_str().expect("key").to_string(),
                r["issued"].as_u64().expect("n"),
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![("walk_in".to_string(), 3), ("appointment".to_string(), 1)],
        "{w}"
    );
    let bad = format!("/api/v1/reports/appointments?from={d}&to={d}&by=window");
    assert_error(&hall.get(&bad, Some(&desk)).await, 400, "bad_request");
    for (format, mime, magic) in [
        ("csv", "text/csv", &b"\xEF\xBB\xBF"[..]),
        ("xlsx", "spreadsheetml", &b"PK"[..]),
    ] {
        let res = hall
            .http
            .get(format!("{}{path}&format={format}", hall.base))
            .bearer_auth(&desk)
            .send()
            .await
            .expect("sent");
        assert_eq!(res.status(), StatusCode::OK);
        let ct = res.headers()["content-type"]
            .to_str()
            .expect("ct")
            .to_string();
        assert!(ct.contains(mime), "{ct}");
        let body = res.bytes().await.expect("body");
        assert!(body.starts_with(magic), "{format}");
        if format == "csv" {
            let text = String::from_utf8(body[3..].to_vec()).expect("utf-8");
            assert!(
                text.contains("预约数") && text.contains("准时叫号占比"),
                "{text}"
            );
        }
    }
}

#[tokio::test]
async fn a_booking_is_missed_on_the_hall_clock_with_no_request_and_misses_suspend() {
    let hall = spawn().await;
    let mut ws = hall.ws(None).await;
    let _snapshot = next_json(&mut ws).await;
    let b = booked(&hall, &day(), "10:30", 7).await;
    let booked_frame = next_json(&mut ws).await;
    assert_eq!(booked_frame["type"], "appointment.booked");
    assert!(!booked_frame.to_string().contains(&id_number(7)));
    assert!(
        !booked_frame
            .to_string()
            .contains(b["code"].as_str().expect("code"))
    );
    // Only the clock moves; nobody asks anything of the booking.
    hall.set_clock(at(10, 45)).await;
    hall.set_clock(at(10, 46)).await;
    let missed = next_json(&mut ws).await;
    assert_eq!(missed["type"], "appointment.missed");
    // The public stream names the slot, never the booking or the person.
    assert_eq!(
        (&missed["queue"], &missed["day"], &missed["start"]),
        (&b["queue"], &b["day"], &b["start"]),
        "{missed}"
    );
    assert!(missed.get("appointment").is_none(), "{missed}");
    let (_, view) = hall
        .get(
            &format!("/api/v1/appointments/{}", b["token"].as_str().expect("t")),
            None,
        )
        .await;
    assert_eq!(view["state"], "missed");
    // Two more misses on the next days: booking is suspended (3 in 30 days).
    booked(&hall, &day_after(1), "09:00", 7).await;
    booked(&hall, &day_after(2), "09:00", 7).await;
    let d2: jiff::civil::Date = day_after(2).parse().expect("d");
    let tz = jiff::tz::TimeZone::get("Asia/Shanghai").expect("tz");
    hall.set_clock(tz.to_timestamp(d2.at(12, 0, 0, 0)).expect("ts"))
        .await;
    assert_error(
        &book(&hall, &day_after(3), "09:00", 7).await,
        409,
        "booking_suspended",
    );
    booked(&hall, &day_after(3), "09:00", 8).await;
}

#[tokio::test]
async fn extended_hours_issue_tickets_only_to_check_ins() {
    let hall = spawn().await;
    let b = booked(&hall, &day(), "17:30", 3).await;
    assert_eq!(b["extended"], true);
    hall.set_clock(at(17, 10)).await;
    let walk_in = hall
        .post(
            "/api/v1/tickets",
            Some(KIOSK),
            json!({"queue": "crj", "id_number": id_number(60)}),
        )
        .await;
    assert_error(&walk_in, 409, "appointments_only");
    assert!(
        walk_in.1["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("延时服务"))
    );
    let (_, h) = hall.get("/api/v1/hall", None).await;
    let crj = h["queues"]
        .as_array()
        .expect("q")
        .iter()
        .find(|q| q["id"] == "crj")
        .cloned()
        .expect("crj");
    assert_eq!(crj["closed_reason"], "appointments_only");
    let (s, t) = hall
        .post(
            "/api/v1/appointments/check-in",
            Some(KIOSK),
            json!({"id_number": id_number(3)}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    assert_eq!(t["priority"], "appointment");
    assert_error(
        &hall
            .post(
                "/api/v1/tickets",
                Some(KIOSK),
                json!({"queue": "hj", "priority": "appointment"}),
            )
            .await,
        422,
        "invalid_priority",
    );
}

#[tokio::test]
async fn staff_list_masks_ids_and_shows_no_names() {
    let hall = spawn().await;
    let d = day();
    booked(&hall, &d, "11:00", 1).await;
    booked(&hall, &d, "14:00", 2).await;
    assert_error(
        &hall.get("/api/v1/appointments", None).await,
        401,
        "unauthenticated",
    );
    let clerk = hall.login("clerk1").await;
    let (s, list) = hall
        .get(
            &format!("/api/v1/appointments?day={d}&queue=crj"),
            Some(&clerk),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let rows = list["appointments"].as_array().expect("rows");
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["start"], "11:00");
    let masked = rows[0]["id_number"].as_str().expect("masked");
    assert_eq!(masked, format!("****{}", &id_number(1)[14..]));
    assert!(!list.to_string().contains(&id_number(1)));
    assert!(!list.to_string().contains("13800138000"));
    assert_error(
        &hall
            .get(
                &format!("/api/v1/appointments?day={d}&queue=nope"),
                Some(&clerk),
            )
            .await,
        404,
        "unknown_queue",
    );
}

#[tokio::test]
async fn a_supplement_finish_books_a_protected_return_visit() {
    let hall = spawn().await;
    let next = day_after(1);
    // The slot is full for ordinary bookings.
    booked(&hall, &next, "09:00", 1).await;
    booked(&hall, &next, "09:00", 2).await;
    let t = hall
        .issue_with(json!({"queue": "crj", "id_number": id_number(3)}))
        .await;
    let clerk = hall.login("clerk1").await;
    hall.ok(&clerk, 12, "sign-in", json!({})).await;
    hall.ok(&clerk, 12, "call-next", json!({})).await;
    let finish = |body: Value| hall.op(&clerk, 12, "finish", body);
    assert_error(
        &finish(json!({"outcome": "done", "return": {"day": next, "start": "09:00"}})).await,
        422,
        "return_needs_supplement",
    );
    // Not today, and not a slot start: refused, and the citizen is still at the window.
    assert_error(
        &finish(json!({"outcome": "supplement", "note": "缺户口簿", "return": {"day": day(), "start": "14:00"}})).await,
        409,
        "slot_unavailable",
    );
    assert_error(
        &finish(json!({"outcome": "supplement", "note": "缺户口簿", "return": {"day": next, "start": "09:10"}})).await,
        409,
        "slot_unavailable",
    );
    let (_, w) = hall.get("/api/v1/windows/12", Some(&clerk)).await;
    assert_eq!(w["current"]["number"], t["number"]);
    let (s, w) = finish(json!({"outcome": "supplement", "note": "缺户口簿",
        "return": {"day": next, "start": "09:00"}}))
    .await;
    assert_eq!(s, StatusCode::OK, "{w}");
    assert!(w["current"].is_null());
    let r = &w["return"];
    assert_eq!(r["state"], "booked");
    assert_eq!(r["return_visit"], true);
    assert_eq!(r["day"], next);
    assert_eq!(r["start"], "09:00");
    assert!(r["notice"].as_str().is_some_and(|n| !n.is_empty()));
    let code = r["code"].as_str().expect("code");
    assert_eq!(code.len(), 6);
    // Outside capacity: the slot still shows two of two booked.
    let (_, slots) = hall
        .get(
            &format!("/api/v1/appointments/slots?queue=crj&from={next}&to={next}"),
            None,
        )
        .await;
    assert_eq!(slots["slots"][0]["booked"], 2);
    // Next day the citizen checks in with the ID number the ticket was issued with.
    let tz = jiff::tz::TimeZone::get("Asia/Shanghai").expect("tz");
    let d: jiff::civil::Date = next.parse().expect("d");
    hall.set_clock(tz.to_timestamp(d.at(8, 45, 0, 0)).expect("ts"))
        .await;
    let (s, checked) = hall
        .post(
            "/api/v1/appointments/check-in",
            Some(KIOSK),
            json!({"code": code}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{checked}");
    assert_eq!(checked["priority"], "appointment");
}

#[tokio::test]
async fn the_floor_raises_an_alarm_for_a_checked_in_appointment_waiting_past_its_slot() {
    let hall = spawn().await;
    let b = booked(&hall, &day(), "10:30", 4).await;
    hall.set_clock(at(10, 15)).await;
    let (s, t) = hall
        .post(
            "/api/v1/appointments/check-in",
            Some(KIOSK),
            json!({"code": b["code"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let manager = hall.login("manager").await;
    let late = |floor: &Value| -> Vec<Value> {
        floor["alarms"]
            .as_array()
            .expect("alarms")
            .iter()
            .filter(|a| a["kind"] == "appointment_late")
            .cloned()
            .collect()
    };
    // Within 10 minutes of the slot's start: no alarm.
    hall.set_clock(at(10, 39)).await;
    let (_, floor) = hall.get("/api/v1/floor", Some(&manager)).await;
    assert!(late(&floor).is_empty(), "{floor}");
    assert_eq!(floor["thresholds"]["appointment_late_s"], 600);
    hall.set_clock(at(10, 41)).await;
    let (_, floor) = hall.get("/api/v1/floor", Some(&manager)).await;
    let alarms = late(&floor);
    assert_eq!(alarms.len(), 1, "{floor}");
    assert_eq!(alarms[0]["queue"], "crj");
    assert_eq!(alarms[0]["detail"], t["number"]);
    assert_eq!(alarms[0]["value"], 660);
    // Called: the alarm is gone.
    let clerk = hall.login("clerk1").await;
    hall.ok(&clerk, 12, "sign-in", json!({})).await;
    let called = hall.ok(&clerk, 12, "call-next", json!({})).await;
    assert_eq!(called["current"]["number"], t["number"]);
    let (_, floor) = hall.get("/api/v1/floor", Some(&manager)).await;
    assert!(late(&floor).is_empty(), "{floor}");
}
