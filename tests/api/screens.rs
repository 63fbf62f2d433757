//! What the screens need from the API beyond the window operations: a pause's return time
//! (午休，13:30恢复) in the reply, the public stream and snapshots, and its refusals; the help
//! desk's look-up of today's bookings and their check-in on a chosen printer; each device's last
//! heartbeat and health on the device list.

use std::time::Duration;

use hallq::printer::fake::{FakePrinter, Script, decode};
use serde_json::json;

use crate::helpers::{
    KIOSK, TestHall, assert_error, book_crj_today, every_day_config, id_number, next_json,
    snapshot_window, tomorrow_at, with_printer,
};

#[tokio::test]
async fn a_pause_carries_its_return_time_to_the_public_screens() {
    // The test hall's clock stands at 10:00 tomorrow (Asia/Shanghai).
    let hall = TestHall::spawn().await;
    // Screens read the reason's words from the one list (public).
    let (s, reasons) = hall.get("/api/v1/reasons", None).await;
    assert_eq!(s, 200, "{reasons}");
    let lunch = reasons
        .as_array()
        .expect("a list")
        .iter()
        .find(|r| r["code"] == "lunch")
        .expect("lunch");
    assert_eq!(
        (&lunch["zh"], &lunch["for"]),
        (&json!("午休"), &json!(["pause"]))
    );
    let c1 = hall.login("clerk1").await;
    hall.ok(&c1, 20, "sign-in", json!({})).await;
    let mut ws = hall.ws(None).await;
    assert_eq!(next_json(&mut ws).await["type"], "snapshot");

    // Past, now, tomorrow and nonsense are refused and leave the window open.
    for until in [
        "09:30",
        "10:00",
        "24:00",
        "13:75",
        "soon",
        "2999-01-01T13:30:00+08:00",
    ] {
        let got = hall
            .op(
                &c1,
                20,
                "pause",
                json!({"reason_code": "lunch", "until": until}),
            )
            .await;
        assert_error(&got, 422, "invalid_until");
    }
    let (_, w) = hall.get("/api/v1/windows/20", Some(&c1)).await;
    assert_eq!(w["status"], "open", "{w}");

    let w = hall
        .ok(
            &c1,
            20,
            "pause",
            json!({"reason_code": "lunch", "until": "13:30"}),
        )
        .await;
    assert_eq!(w["status"], "paused");
    assert_eq!(w["pause_reason"], "lunch");
    let until = w["pause_until"].as_str().expect("pause_until").to_string();
    assert!(until.ends_with("T13:30:00.000+08:00"), "{until}");

    // The public frame: the code and the time, never the clerk's words.
    let e = next_json(&mut ws).await;
    assert_eq!(e["type"], "window.paused", "{e}");
    assert_eq!(
        (&e["reason"], &e["until"]),
        (&json!("lunch"), &json!(until))
    );
    // A fresh screen's snapshot says the same.
    let mut fresh = hall.ws(None).await;
    let snap = next_json(&mut fresh).await;
    let w20 = snapshot_window(&snap, 20);
    assert_eq!(
        (&w20["status"], &w20["pause_reason"], &w20["pause_until"]),
        (&json!("paused"), &json!("lunch"), &json!(until))
    );

    // Back early: resume clears it; a pause with no time says none.
    hall.ok(&c1, 20, "resume", json!({})).await;
    let w = hall
        .ok(&c1, 20, "pause", json!({"reason": "meeting"}))
        .await;
    assert!(w.get("pause_until").is_none(), "{w}");
}

/// The shipped hall taking bookings every day, with printer p1 on a fake printer.
async fn booking_hall() -> (TestHall, FakePrinter) {
    let fake = FakePrinter::start(Script::Online)
        .await
        .expect("fake printer");
    let hall = TestHall::spawn_with(&with_printer(every_day_config(), &fake.address())).await;
    (hall, fake)
}

#[tokio::test]
async fn the_desk_finds_a_booking_by_code_or_id_and_checks_it_in_on_its_printer() {
    let (hall, fake) = booking_hall().await;
    let desk = hall.login("clerk2").await;
    let b = book_crj_today(&hall, "10:30", 7).await;
    let code = b["code"].as_str().expect("code");

    // By code and by ID: the same booking, the ID masked, no name, no code or token echoed.
    let (s, by_code) = hall
        .get(&format!("/api/v1/desk/appointments?q={code}"), Some(&desk))
        .await;
    assert_eq!(s, 200, "{by_code}");
    let (_, by_id) = hall
        .get(
            &format!("/api/v1/desk/appointments?q={}", id_number(7)),
            Some(&desk),
        )
        .await;
    assert_eq!(by_code, by_id);
    let row = &by_code["appointments"][0];
    assert_eq!(
        (&row["id"], &row["state"], &row["queue_name"], &row["start"]),
        (
            &b["id"],
            &json!("booked"),
            &json!("出入境证件"),
            &json!("10:30")
        )
    );
    let last4 = &id_number(7)[14..];
    assert_eq!(row["id_number"], format!("****{last4}"));
    let text = by_code.to_string();
    assert!(!text.contains(code) && !text.contains(b["token"].as_str().expect("t")));
    // Nothing found, a bad ID, no session.
    let (_, none) = hall
        .get("/api/v1/desk/appointments?q=000000", Some(&desk))
        .await;
    assert_eq!(none["appointments"], json!([]));
    assert_error(
        &hall
            .get("/api/v1/desk/appointments?q=12345", Some(&desk))
            .await,
        422,
        "invalid_id_number",
    );
    assert_error(
        &hall
            .get(&format!("/api/v1/desk/appointments?q={code}"), None)
            .await,
        401,
        "unauthenticated",
    );

    // Check-in names an unknown printer: refused, nothing checked in.
    let bad = hall
        .post(
            "/api/v1/appointments/check-in",
            Some(&desk),
            json!({"code": code, "printer": "nope"}),
        )
        .await;
    assert_error(&bad, 422, "unknown_printer");
    // On p1: the ticket is 预约 and its slip prints there.
    let (s, t) = hall
        .post(
            "/api/v1/appointments/check-in",
            Some(&desk),
            json!({"code": code, "printer": "p1"}),
        )
        .await;
    assert_eq!(s, 201, "{t}");
    assert_eq!(
        (&t["priority"], &t["print"]["status"]),
        (&json!("appointment"), &json!("printed"))
    );
    let slip = decode(&fake.next_job(Duration::from_secs(5)).await.expect("a slip"))
        .expect("decodes")
        .text();
    assert!(
        slip.contains(t["number"].as_str().expect("n")) && slip.contains("预约"),
        "{slip}"
    );
    let (_, after) = hall
        .get(&format!("/api/v1/desk/appointments?q={code}"), Some(&desk))
        .await;
    assert_eq!(
        (
            &after["appointments"][0]["state"],
            &after["appointments"][0]["ticket"]
        ),
        (&json!("checked_in"), &t["number"])
    );
    // A kiosk may not pick a printer.
    let b2 = book_crj_today(&hall, "10:30", 8).await;
    assert_error(
        &hall
            .post(
                "/api/v1/appointments/check-in",
                Some(crate::helpers::KIOSK),
                json!({"code": b2["code"], "printer": "p1"}),
            )
            .await,
        403,
        "forbidden",
    );
}

#[tokio::test]
async fn the_device_list_says_when_each_device_was_last_seen() {
    let hall = TestHall::spawn().await;
    let admin = hall.login("admin").await;
    let device = |list: &serde_json::Value, id: &str| {
        list["devices"]
            .as_array()
            .expect("devices")
            .iter()
            .find(|d| d["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("{id} listed: {list}"))
    };
    let (_, list) = hall.get("/api/v1/devices", Some(&admin)).await;
    let kiosk = device(&list, "kiosk-1");
    assert_eq!(
        (&kiosk["health"], &kiosk["last_seen"]),
        (&json!("unseen"), &json!(null))
    );

    // The kiosk's heartbeat: online, seen at the hall's clock (10:00).
    let (s, _) = hall.get("/api/v1/devices/me", Some(KIOSK)).await;
    assert_eq!(s, 200);
    let (_, list) = hall.get("/api/v1/devices", Some(&admin)).await;
    let kiosk = device(&list, "kiosk-1");
    assert_eq!(kiosk["health"], "online", "{kiosk}");
    assert!(
        kiosk["last_seen"]
            .as_str()
            .is_some_and(|t| t.contains("T10:00")),
        "{kiosk}"
    );

    // Four minutes without a heartbeat: silent.
    hall.set_clock(tomorrow_at(10, 4)).await;
    let (_, list) = hall.get("/api/v1/devices", Some(&admin)).await;
    assert_eq!(device(&list, "kiosk-1")["health"], "silent");
}
