//! Slips on a fake network printer: what it prints, and that no printer fault loses a ticket.

use std::time::Duration;

use hallq::printer::fake::{FakePrinter, Script, decode};
use serde_json::json;

use crate::helpers::*;

async fn hall_with(script: Script) -> (TestHall, FakePrinter) {
    let fake = FakePrinter::start(script).await.expect("fake printer");
    let hall = TestHall::spawn_with(&config_with_printer(&fake.address())).await;
    (hall, fake)
}

#[tokio::test]
async fn a_healthy_printer_prints_the_slip_in_chinese_with_the_qr_code() {
    let (hall, fake) = hall_with(Script::Online).await;
    let t = hall.issue("hj").await;
    assert_eq!(t["print"], json!({"status": "printed"}), "{t}");
    let job = fake.next_job(Duration::from_secs(5)).await.expect("a slip");
    let d = decode(&job).expect("the slip decodes");
    let lines = d.lines();
    let number = t["number"].as_str().expect("number");
    for want in [
        "三都水族自治县政务服务中心",
        t["department_name"].as_str().expect("department"),
        t["queue_name"].as_str().expect("queue"),
        number,
        "您前面还有 0 人等候",
        "过号请重新取号",
    ] {
        assert!(lines.iter().any(|l| l == want), "{want:?} not in {lines:?}");
    }
    assert!(d.chinese_mode);
    assert_eq!(d.cuts, 1);
    assert_eq!(d.qr_model, Some(2));
    assert_eq!(d.qr_level, Some('M'));
    let url = format!("{}{}", hall.base, t["status_url"].as_str().expect("url"));
    assert_eq!(d.qr, vec![url]);
    let big = d
        .runs
        .iter()
        .find(|r| r.text == number)
        .expect("number run");
    assert!(d.runs.iter().all(|r| r.width <= big.width));

    // The second citizen has one person ahead.
    hall.issue("hj").await;
    let d = decode(&fake.next_job(Duration::from_secs(5)).await.expect("slip")).expect("decodes");
    assert!(
        d.lines().iter().any(|l| l == "您前面还有 1 人等候"),
        "{:?}",
        d.lines()
    );
}

#[tokio::test]
async fn no_printer_fault_loses_a_ticket() {
    // A silent or unreachable printer is held back for a while after its fault, so each of
    // those comes last in a hall of its own.
    let faults = [
        (Script::PaperEnd, "paper_out", "paper_out"),
        (Script::CoverOpen, "cover_open", "cover_open"),
        (Script::CloseMidJob, "connection_lost", "offline"),
        (Script::NoReply, "printer_not_responding", "offline"),
    ];
    faults_keep_tickets(&faults).await;
    faults_keep_tickets(&[(Script::Refuse, "printer_unreachable", "unreachable")]).await;
}

async fn faults_keep_tickets(faults: &[(Script, &str, &str)]) {
    let (hall, fake) = hall_with(Script::Online).await;
    let manager = hall.login("manager").await;
    let mut numbers = Vec::new();
    for &(script, error, state) in faults {
        fake.set_script(script);
        let mut t = hall.issue("hj").await;
        if script == Script::Refuse && t["print"]["status"] == "printed" {
            // The listener closes asynchronously after the script changes; once is enough.
            t = hall.issue("hj").await;
        }
        assert_eq!(t["state"], "waiting", "{script:?}: {t}");
        assert_eq!(t["print"]["status"], "failed", "{script:?}: {t}");
        assert_eq!(t["print"]["error"], error, "{script:?}: {t}");
        numbers.push(t["number"].as_str().expect("number").to_string());
        // Committed: the phone page finds it.
        let (s, view) = hall
            .get(
                &format!("/api/v1/tickets/{}", t["token"].as_str().expect("token")),
                None,
            )
            .await;
        assert_eq!(s, 200);
        assert_eq!(view["number"], t["number"]);
        assert_eq!(view["state"], "waiting");
        // The manager sees the printer's state.
        let (s, dev) = hall.get("/api/v1/devices", Some(&manager)).await;
        assert_eq!(s, 200, "{dev}");
        let p1 = dev["printers"]
            .as_array()
            .and_then(|a| a.iter().find(|p| p["id"] == "p1"))
            .expect("p1 listed");
        assert_eq!(p1["state"], state, "{script:?}: {p1}");
        assert!(p1["last_error"].as_str().is_some_and(|e| !e.is_empty()));
        assert!(p1["last_checked"].as_str().is_some());
        assert_eq!(p1["kiosks"], json!(["kiosk-1"]));
    }
    // Gap-free numbers: every fault kept its ticket.
    let (_, hall_view) = hall.get("/api/v1/hall", None).await;
    let hj = hall_view["queues"]
        .as_array()
        .and_then(|q| q.iter().find(|q| q["id"] == "hj"))
        .expect("queue hj");
    let issued = hj["issued"].as_u64().expect("issued") as usize;
    assert!(issued >= numbers.len());
    assert_eq!(hj["waiting"].as_u64(), Some(issued as u64));
    let mut sorted = numbers.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), numbers.len(), "{numbers:?}");
}

#[tokio::test]
async fn reprints_say_so_and_go_where_they_are_sent() {
    let (hall, fake) = hall_with(Script::Online).await;
    let t = hall.issue("hj").await;
    fake.next_job(Duration::from_secs(5))
        .await
        .expect("first slip");
    let id = t["id"].as_i64().expect("id");
    let (s, r) = hall
        .post(
            &format!("/api/v1/tickets/{id}/reprint"),
            Some(KIOSK),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["print"]["status"], "printed");
    // The citizen's capability stays on paper: the reprint reply never carries the token.
    let token = t["token"].as_str().expect("the issuing reply has it");
    assert!(
        r.get("token").is_none() && r.get("status_url").is_none(),
        "{r}"
    );
    assert!(!r.to_string().contains(token), "{r}");
    let d = decode(
        &fake
            .next_job(Duration::from_secs(5))
            .await
            .expect("reprint"),
    )
    .expect("decodes");
    assert_eq!(d.lines()[0], "【补打】");
    assert!(
        d.lines()
            .iter()
            .any(|l| l == t["number"].as_str().expect("n"))
    );

    // Staff at the help desk name a printer, or print nothing.
    let clerk = hall.login("clerk1").await;
    let (s, r) = hall
        .post(
            &format!("/api/v1/tickets/{id}/reprint"),
            Some(&clerk),
            json!({"printer": "p1"}),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["print"]["status"], "printed");
    assert!(
        !r.to_string().contains(token),
        "staff never see the token: {r}"
    );
    let (s, r) = hall
        .send(
            reqwest::Method::POST,
            &format!("/api/v1/tickets/{id}/reprint"),
            Some(&clerk),
            None,
        )
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["print"], json!({"status": "none"}));
    let got = hall
        .post(
            &format!("/api/v1/tickets/{id}/reprint"),
            Some(&clerk),
            json!({"printer": "p9"}),
        )
        .await;
    assert_error(&got, 422, "unknown_printer");
}

#[tokio::test]
async fn devices_are_for_managers() {
    let fake = FakePrinter::start(Script::Online)
        .await
        .expect("fake printer");
    let hall = TestHall::spawn_with(&config_with_printer(&fake.address())).await;
    let clerk = hall.login("clerk1").await;
    assert_error(
        &hall.get("/api/v1/devices", Some(&clerk)).await,
        403,
        "forbidden",
    );
    assert_error(
        &hall.get("/api/v1/devices", Some(KIOSK)).await,
        403,
        "forbidden",
    );
    assert_error(
        &hall.get("/api/v1/devices", None).await,
        401,
        "unauthenticated",
    );
    let manager = hall.login("manager").await;
    let (s, dev) = hall.get("/api/v1/devices", Some(&manager)).await;
    assert_eq!(s, 200);
    let ids: Vec<&str> = dev["printers"]
        .as_array()
        .expect("printers")
        .iter()
        .filter_map(|p| p["id"].as_str())
        .collect();
    assert_eq!(ids, vec!["p1"]);
    assert_eq!(dev["printers"][0]["state"], "unknown");
    let kiosk = dev["devices"]
        .as_array()
        .and_then(|d| d.iter().find(|d| d["id"] == "kiosk-1"))
        .expect("kiosk-1 registered");
    assert_eq!(kiosk["kind"], "kiosk");
    assert_eq!(kiosk["printer"], "p1");
}

#[tokio::test]
async fn a_ticket_has_a_qr_code_and_queues_say_what_they_ask() {
    let hall = TestHall::spawn().await;
    let t = hall.issue("hj").await;
    // The shipped config names no printer for kiosk-1: the number is shown on screen only.
    assert_eq!(t["print"], json!({"status": "none"}), "{t}");
    let token = t["token"].as_str().expect("token");
    let res = hall
        .http
        .get(format!("{}/api/v1/tickets/{token}/qr.svg", hall.base))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .is_ok_and(|c| c.starts_with("image/svg+xml"))
    );
    assert!(res.text().await.expect("body").contains("<svg"));
    let missing = hall
        .get(&format!("/api/v1/tickets/{}/qr.svg", "0".repeat(64)), None)
        .await;
    assert_error(&missing, 404, "not_found");

    let (_, h) = hall.get("/api/v1/hall", None).await;
    let queues = h["queues"].as_array().expect("queues");
    assert!(
        queues
            .iter()
            .all(|q| q["real_name"].is_boolean() && q["ask_phone"].is_boolean())
    );
    assert!(
        queues.iter().any(|q| q["real_name"] == true),
        "the shipped hall has real-name queues"
    );
}

#[tokio::test]
async fn a_trial_run_refuses_printers_beyond_this_machine_without_trying() {
    // A real hall's file names LAN and USB printers; a test hall (simulated clock) must never
    // send them a byte. The addresses are built here so no live key in tests/ names one.
    let lan = format!("tcp://{}:9100", std::net::Ipv4Addr::new(192, 0, 2, 50));
    for address in [lan.as_str(), "file:///dev/usb/lp0"] {
        // refused on purpose
        let hall = TestHall::spawn_with(&config_with_printer(address)).await;
        let started = std::time::Instant::now();
        let t = hall.issue("hj").await;
        assert_eq!(t["state"], "waiting", "{t}");
        assert_eq!(t["print"]["status"], "failed", "{t}");
        assert_eq!(t["print"]["error"], "printer_not_local", "{t}");
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "refused, not tried"
        );
        let manager = hall.login("manager").await;
        let (_, dev) = hall.get("/api/v1/devices", Some(&manager)).await;
        let p1 = &dev["printers"][0];
        assert_eq!(p1["state"], "unreachable", "{p1}");
        assert!(
            p1["last_error"]
                .as_str()
                .is_some_and(|e| e.contains("not tried in a trial run")),
            "{p1}"
        );
    }
}

#[tokio::test]
async fn a_kiosk_and_the_device_list_read_its_printer_and_zone_from_the_plan() {
    let (hall, _fake) = hall_with(Script::Online).await;
    let (s, me) = hall.get("/api/v1/devices/me", Some(KIOSK)).await;
    assert_eq!(s, 200, "{me}");
    assert_eq!(
        (me["printer"].as_str(), me["zone"].as_str()),
        (Some("p1"), Some("A")),
        "{me}"
    );
    let manager = hall.login("manager").await;
    let (s, list) = hall.get("/api/v1/devices", Some(&manager)).await;
    assert_eq!(s, 200, "{list}");
    let kiosk = list["devices"]
        .as_array()
        .and_then(|d| d.iter().find(|d| d["id"] == "kiosk-1"))
        .unwrap_or_else(|| panic!("kiosk-1 listed: {list}"));
    assert_eq!(
        (&kiosk["printer"], &kiosk["zone"]),
        (&json!("p1"), &json!("A"))
    );
}
