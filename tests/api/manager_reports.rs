//! What managers read beyond the waits report: the audit trail paged with its total, in
//! Chinese, with follow-ups linked to their ticket and exports; who the appraisal ranks; pause
//! reasons stored the same from every client; the one label table.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::reports::{raw, scripted_day, service_day, unzip};

async fn audit(hall: &TestHall, token: &str, query: &str) -> Value {
    let path = format!("/api/v1/reports/audit?{query}");
    let (s, v) = hall.get(&path, Some(token)).await;
    assert_eq!(s, StatusCode::OK, "{path}: {v}");
    v
}

fn entries(page: &Value) -> &Vec<Value> {
    page["entries"].as_array().expect("entries")
}

fn seqs(page: &Value) -> Vec<i64> {
    entries(page)
        .iter()
        .map(|e| e["seq"].as_i64().expect("seq"))
        .collect()
}

#[tokio::test]
async fn the_audit_pages_with_a_total_and_reads_in_chinese() {
    let hall = TestHall::spawn().await;
    let (c1, t) = scripted_day(&hall).await;
    // A pause given in Chinese words (as the API's own example did) is stored as its code.
    hall.ok(&c1, 20, "pause", json!({"reason": "午休"})).await;
    hall.ok(&c1, 20, "resume", json!({})).await;
    let m = hall.login("manager").await;
    let day = service_day(0);

    let all = audit(&hall, &m, &format!("day={day}&limit=1000")).await;
    // 21 events of the scripted day, two logins (clerk1, manager) and the second pause and
    // resume.
    assert_eq!(all["total"], 25, "{all}");
    assert_eq!(entries(&all).len(), 25);
    let every = seqs(&all);
    assert!(every.windows(2).all(|w| w[0] > w[1]), "newest first");

    let first = audit(&hall, &m, &format!("day={day}&limit=10")).await;
    assert_eq!(
        (
            first["total"].clone(),
            first["offset"].clone(),
            first["limit"].clone()
        ),
        (json!(25), json!(0), json!(10))
    );
    assert_eq!(seqs(&first), every[..10]);
    let last = audit(&hall, &m, &format!("day={day}&limit=10&offset=20")).await;
    assert_eq!(last["total"], 25);
    assert_eq!(seqs(&last), every[20..]);
    // The default page is 100 entries; a bigger limit is capped, a day without events is empty.
    assert_eq!(audit(&hall, &m, &format!("day={day}")).await["limit"], 100);
    assert_eq!(
        audit(&hall, &m, &format!("day={day}&limit=99999")).await["limit"],
        1000
    );
    let empty = audit(&hall, &m, &format!("day={}", service_day(-30))).await;
    assert_eq!(
        (empty["total"].clone(), entries(&empty).len()),
        (json!(0), 0)
    );

    // A kind with an underscore is matched as written (it once lost its `_`).
    let skipped = audit(&hall, &m, &format!("day={day}&kind=ticket.no_show")).await;
    assert_eq!(skipped["total"], 1);
    let es = entries(&all);
    let pauses: Vec<&Value> = es.iter().filter(|e| e["kind"] == "window.paused").collect();
    assert_eq!(pauses.len(), 2);
    for p in &pauses {
        assert_eq!(p["details"]["reason"], "lunch", "stored as the code: {p}");
        assert_eq!(p["summary"], "原因：午休");
        assert_eq!(p["kind_label"], "暂停服务");
        assert_eq!(p["actor_name"], "李红（clerk1）");
    }
    let no_show = es
        .iter()
        .find(|e| e["kind"] == "ticket.no_show")
        .expect("no-show");
    assert_eq!(no_show["summary"], "原因：未到");
    assert_eq!(no_show["kind_label"], "过号");
    assert_eq!(no_show["ticket_number"], t[2]["number"]);
    let issued = es
        .iter()
        .find(|e| e["kind"] == "ticket.issued")
        .expect("issued");
    assert_eq!(issued["kind_label"], "取号");
    assert!(
        issued["actor_name"]
            .as_str()
            .is_some_and(|a| a.starts_with("取号机 ")),
        "{issued}"
    );
    for e in es {
        let shown = format!("{} {} {}", e["kind_label"], e["actor_name"], e["summary"]);
        for raw_code in [
            "lunch",
            "not_present",
            "specific",
            "staff:",
            "device:",
            "ticket.",
            "window.",
        ] {
            assert!(!shown.contains(raw_code), "{raw_code} shown in {shown}");
        }
    }

    // One ticket's trail by its number: issued, called, transferred, called again, finished.
    let t4 = audit(
        &hall,
        &m,
        &format!(
            "day={day}&ticket={}",
            t[3]["number"].as_str().expect("number")
        ),
    )
    .await;
    let kinds: Vec<&str> = entries(&t4)
        .iter()
        .rev()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert_eq!(
        kinds,
        [
            "ticket.issued",
            "ticket.called",
            "ticket.transferred",
            "ticket.called",
            "ticket.finished"
        ]
    );
    assert!(
        entries(&t4)
            .iter()
            .all(|e| e["ticket_number"] == t[3]["number"])
    );
    let moved = entries(&t4)
        .iter()
        .find(|e| e["kind"] == "ticket.transferred")
        .expect("transfer");
    assert!(
        moved["summary"]
            .as_str()
            .is_some_and(|s| s.contains("转至：户籍")),
        "{moved}"
    );

    let bad = [
        "day=2026-13-01",
        "window=x",
        "limit=-1",
        "colour=red",
        "format=pdf",
    ];
    for q in bad {
        let (s, e) = hall
            .get(&format!("/api/v1/reports/audit?{q}"), Some(&m))
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{q}: {e}");
    }
    assert_error(
        &hall.get("/api/v1/reports/audit", Some(&c1)).await,
        403,
        "forbidden",
    );
}

#[tokio::test]
async fn follow_up_events_belong_to_their_ticket() {
    let hall = TestHall::spawn().await;
    let c1 = hall.login("clerk1").await;
    let m = hall.login("manager").await;
    hall.ok(&c1, 20, "sign-in", json!({})).await;
    let t = hall.issue("xf").await;
    hall.ok(&c1, 20, "call-next", json!({})).await;
    hall.ok(&c1, 20, "finish", json!({"outcome": "done"})).await;
    let token = t["token"].as_str().expect("token");
    let (s, v) = hall
        .post(
            "/api/v1/ratings",
            None,
            json!({"ticket": token, "level": "very_dissatisfied", "reasons": ["办理时间太长"]}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let id = v["follow_up"].as_i64().expect("follow-up");
    // The manager appeals; a second manager (the admin) approves.
    let admin = hall.login("admin").await;
    for (op, body, who) in [
        ("verify", json!({"verification": "属实"}), &m),
        (
            "close",
            json!({"result": "appealed", "note": "申诉成立"}),
            &m,
        ),
        ("decide-appeal", json!({"approve": true}), &admin),
    ] {
        let (s, v) = hall
            .post(&format!("/api/v1/follow-ups/{id}/{op}"), Some(who), body)
            .await;
        assert_eq!(s, 200, "{v}");
    }
    let day = service_day(0);
    let number = t["number"].as_str().expect("number");
    let trail = audit(&hall, &m, &format!("day={day}&ticket={number}")).await;
    let kinds: Vec<&str> = entries(&trail)
        .iter()
        .rev()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert_eq!(
        kinds,
        [
            "ticket.issued",
            "ticket.called",
            "ticket.finished",
            "rating.submitted",
            "follow_up.opened",
            "follow_up.verified",
            "follow_up.appealed",
            "follow_up.appeal_decided",
            "follow_up.closed"
        ]
    );
    for e in entries(&trail) {
        assert_eq!(e["ticket_number"], number, "{e}");
        assert_eq!(e["ticket_id"], t["id"], "{e}");
    }
    let closed = &entries(&trail)[0];
    assert_eq!(closed["summary"], "结果：申诉");
    assert_eq!(closed["kind_label"], "差评办结");
    // The same link by the ticket's id, and in a search by kind.
    let by_id = audit(&hall, &m, &format!("ticket={}", t["id"])).await;
    assert_eq!(by_id["total"], 9);
    let follow_ups = audit(&hall, &m, &format!("day={day}&kind=follow_up.")).await;
    assert_eq!(follow_ups["total"], 5);
    assert!(
        entries(&follow_ups)
            .iter()
            .all(|e| e["ticket_number"] == number)
    );
}

#[tokio::test]
async fn the_audit_exports_every_match() {
    let hall = TestHall::spawn().await;
    scripted_day(&hall).await;
    let m = hall.login("manager").await;
    let day = service_day(0);
    let (s, ct, body) = raw(
        &hall,
        &format!("/api/v1/reports/audit?day={day}&limit=5&format=csv"),
        &m,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(ct.as_deref(), Some("text/csv; charset=utf-8"));
    let text = String::from_utf8(body[3..].to_vec()).expect("utf-8");
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    // Every match (the page's limit is for pages), under one header: the scripted day's 21
    // events and two logins.
    assert_eq!(lines.len(), 1 + 23);
    assert!(
        lines[0].starts_with("序号 (seq),时间 (time),操作 (event),操作者 (actor)"),
        "{}",
        lines[0]
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("暂停服务") && l.contains("原因：午休"))
    );
    assert!(lines[1].contains(&format!("{day} 13:00:00")) || lines[1].contains(&day));

    let (s, ct, body) = raw(
        &hall,
        &format!("/api/v1/reports/audit?day={day}&format=xlsx"),
        &m,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(ct.is_some_and(|c| c.contains("spreadsheetml")));
    let mut read = unzip(body);
    assert!(
        read("xl/styles.xml").contains("yyyy-mm-dd hh:mm:ss"),
        "times are dates"
    );
    let strings = read("xl/sharedStrings.xml");
    assert!(strings.contains("李红（clerk1）") && strings.contains("过号"));
    // 23 entries under the header: rows 2-24.
    let sheet = read("xl/worksheets/sheet1.xml");
    assert!(sheet.contains("<row r=\"24\"") && !sheet.contains("<row r=\"25\""));
}

#[tokio::test]
async fn the_appraisal_ranks_only_clerks_who_served() {
    let hall = TestHall::spawn().await;
    scripted_day(&hall).await;
    // The manager covers window 22 for a minute and serves nobody; clerk2 signs in and
    // serves nobody either.
    let m = hall.login("manager").await;
    let c2 = hall.login("clerk2").await;
    hall.ok(&m, 22, "sign-in", json!({})).await;
    hall.ok(&c2, 21, "sign-in", json!({})).await;
    hall.set_clock(tomorrow_at(13, 1)).await;
    hall.ok(&m, 22, "sign-out", json!({})).await;
    hall.set_clock(tomorrow_at(14, 0)).await;
    let month = &service_day(0)[..7];
    let (s, a) = hall
        .get(
            &format!("/api/v1/reports/staff-appraisal?month={month}"),
            Some(&m),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{a}");
    let ranked: Vec<&str> = a["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r["username"].as_str())
        .collect();
    assert_eq!(ranked, ["clerk1"]);
    assert_eq!(a["excellent_count"], 1);
    let unranked: Vec<(&str, &str, i64)> = a["unranked"]
        .as_array()
        .expect("unranked")
        .iter()
        .map(|u| {
            (
                u["username"].as_str().expect("username"),
                u["reason"].as_str().expect("reason"),
                u["signed_in_s"].as_i64().expect("signed in"),
            )
        })
        .collect();
    assert_eq!(
        unranked,
        [
            ("clerk2", "no_service", 3600),
            ("manager", "not_a_clerk", 60)
        ]
    );
    assert_eq!(a["total"]["served"], 3);
    // The ranked clerks added up.
    assert_eq!(a["total"]["signed_in_s"], 4 * 3600);
    // The breakdown: every component's points, and both penalties.
    let c1 = &a["rows"][0];
    assert_eq!(c1["points_volume"], 100.0);
    assert_eq!(c1["over_target_penalty"], 0.0);
    assert_eq!(a["weights"]["over_target_points"], 0.0);

    let (_, _, csv) = raw(
        &hall,
        &format!("/api/v1/reports/staff-appraisal?month={month}&format=csv"),
        &m,
    )
    .await;
    let text = String::from_utf8(csv[3..].to_vec()).expect("utf-8");
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    // Header, clerk1, the total, then clerk2 and the manager apart with why.
    assert_eq!(lines.len(), 5, "{text}");
    assert!(lines[1].starts_with("1,clerk1,李红,"));
    assert!(lines[2].contains(",合计,"), "{}", lines[2]);
    assert!(lines[3].contains("clerk2") && lines[3].ends_with("本月无办结业务"));
    assert!(lines[4].contains("manager") && lines[4].contains("非窗口工作人员"));
    assert!(lines[0].contains("签到时长 (signed in)（时:分:秒）"));
    assert!(lines[1].contains(",4:00:00,0:30:00,"), "{}", lines[1]);
}

#[tokio::test]
async fn over_target_points_come_from_config() {
    let config = shipped_config().replace("over_target_points = 0", "over_target_points = 0.5");
    let hall = TestHall::spawn_with(&config).await;
    scripted_day(&hall).await;
    let m = hall.login("manager").await;
    let month = &service_day(0)[..7];
    let (_, a) = hall
        .get(
            &format!("/api/v1/reports/staff-appraisal?month={month}"),
            Some(&m),
        )
        .await;
    // clerk1: 1 of 3 waits over target = 33.33% × 0.5.
    assert_eq!(a["rows"][0]["over_target_share"], 0.3333);
    assert_eq!(a["rows"][0]["over_target_penalty"], 16.67);
    assert_eq!(a["weights"]["over_target_points"], 0.5);
}

#[tokio::test]
async fn one_label_table_for_every_page() {
    let hall = TestHall::spawn().await;
    let m = hall.login("manager").await;
    let (s, l) = hall.get("/api/v1/reports/labels", Some(&m)).await;
    assert_eq!(s, 200);
    assert_eq!(l["reasons"]["lunch"], "午休");
    assert_eq!(l["call_reasons"]["specific"], "特呼");
    assert_eq!(l["follow_up_results"]["appealed"], "申诉");
    assert_eq!(l["events"]["ticket.no_show"], "过号");
    assert_eq!(l["devices"]["kiosk"], "取号机");
    assert_eq!(l["staff"]["clerk1"], "李红");
    let c1 = hall.login("clerk1").await;
    assert_error(
        &hall.get("/api/v1/reports/labels", Some(&c1)).await,
        403,
        "forbidden",
    );
}
