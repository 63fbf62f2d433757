//! Managers' follow-ups and audit trail, and the admin page, in headless Chromium.

use serde_json::json;

use crate::hall::{PASSWORD, TestHall};
use crate::helpers::Browser;

#[tokio::test]
async fn a_manager_verifies_a_bad_rating_and_reads_the_audit_trail() {
    let hall = TestHall::spawn().await;
    let c1 = hall.login("clerk1").await;
    hall.ok(&c1, 20, "sign-in", json!({})).await;
    let t = hall.issue("xf").await;
    hall.ok(&c1, 20, "call-next", json!({})).await;
    hall.ok(&c1, 20, "finish", json!({"outcome": "done"})).await;
    let (s, v) = hall
        .post(
            "/api/v1/ratings",
            None,
            json!({"ticket": t["token"], "level": "dissatisfied", "reasons": ["办理时间太长"]}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let id = v["follow_up"].as_i64().expect("follow-up");
    // A busy morning: more entries than one page of the audit trail holds.
    for _ in 0..100 {
        hall.issue("hj").await;
    }
    hall.ok(&c1, 20, "pause", json!({"reason": "午休"})).await;

    let b = Browser::start(1366, 768).await;
    b.log_in_at(&format!("{}/staff/quality", hall.base), "manager", PASSWORD)
        .await;
    b.wait_for(
        &format!("document.querySelector('#follow-ups tr[data-id=\"{id}\"]')"),
        10,
    )
    .await;
    let row = b
        .wait_for(
            "document.querySelector('#follow-ups tbody tr').innerText",
            5,
        )
        .await;
    assert!(
        row.as_str().is_some_and(|r| r.contains("XF001")
            && r.contains("不满意")
            && r.contains("办理时间太长")),
        "{row}"
    );
    b.wait_for(
        "document.querySelectorAll('#audit tbody tr').length >= 4",
        10,
    )
    .await;
    // Paged with the total in sight (107 events and the two logins), every code and actor in
    // Chinese.
    let count = b
        .wait_for("document.getElementById('audit-count')?.textContent", 5)
        .await;
    assert!(
        count
            .as_str()
            .is_some_and(|c| c.contains("显示第 1–100 条，共 109 条")),
        "{count}"
    );
    let text = b
        .wait_for("document.querySelector('#audit tbody').innerText", 5)
        .await;
    let text = text.as_str().unwrap_or_default();
    assert!(
        text.contains("暂停服务") && text.contains("原因：午休") && text.contains("李红（clerk1）"),
        "{text}"
    );
    for code in ["lunch", "staff:", "device:", "window.paused", "not_present"] {
        assert!(!text.contains(code), "{code} shown");
    }
    b.screenshot("quality-1-follow-up-and-audit").await;
    b.click("#audit-next").await;
    b.wait_for(
        "document.getElementById('audit-count')?.textContent.includes('显示第 101–109 条，共 109 条')",
        5,
    )
    .await;
    b.screenshot("quality-1b-audit-page-2").await;
    b.click(&format!("#follow-ups tr[data-id=\"{id}\"] button"))
        .await;
    b.type_into(
        &format!("#follow-ups tr[data-id=\"{id}\"] input"),
        "已调取录像核实",
    )
    .await;
    b.click(&format!("#follow-ups tr[data-id=\"{id}\"] button.primary"))
        .await;
    let m = hall.login("manager").await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (_, list) = hall
            .get("/api/v1/follow-ups?state=verified", Some(&m))
            .await;
        if list
            .as_array()
            .is_some_and(|l| l.iter().any(|f| f["id"] == id))
        {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "verification not recorded"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // Closed follow-ups keep their close note, and every row its service date.
    let (s, closed) = hall
        .post(
            &format!("/api/v1/follow-ups/{id}/close"),
            Some(&m),
            json!({"result": "explained", "note": "已向群众解释办理时限"}),
        )
        .await;
    assert_eq!(s, 200, "{closed}");
    b.client
        .goto(&format!("{}/staff/quality", hall.base))
        .await
        .expect("navigates");
    b.click(".quality-tabs button:last-child").await;
    let row = b
        .wait_for(
            &format!("document.querySelector('#follow-ups tr[data-id=\"{id}\"] .follow-up-close')?.textContent"),
            10,
        )
        .await;
    assert!(
        row.as_str()
            .is_some_and(|r| r.contains("已向群众解释办理时限")),
        "{row}"
    );
    let day = b
        .wait_for(
            &format!("document.querySelector('#follow-ups tr[data-id=\"{id}\"] .follow-up-day')?.textContent"),
            5,
        )
        .await;
    assert!(
        day.as_str()
            .is_some_and(|d| d.len() == 10 && d.starts_with("20")),
        "{day}"
    );
    b.screenshot("quality-2-closed").await;
    // The follow-up's ticket opens that ticket's whole trail, its follow-up included.
    b.click(&format!("#follow-ups tr[data-id=\"{id}\"] a.ticket-link"))
        .await;
    let trail = b
        .wait_for(
            "document.getElementById('audit-count')?.textContent.includes('号票 XF001') && document.querySelector('#audit tbody').innerText",
            10,
        )
        .await;
    let trail = trail.as_str().unwrap_or_default();
    assert!(
        trail.contains("取号")
            && trail.contains("差评核实")
            && trail.contains("差评办结")
            && trail.contains("结果：解释"),
        "{trail}"
    );
    b.screenshot("quality-3-ticket-trail").await;
    b.close().await;
}

#[tokio::test]
async fn an_admin_adds_an_account_and_registers_an_evaluator() {
    // kiosk-1 prints on p1, a fake printer on loopback (the shipped file names none).
    let fake = hallq::printer::fake::FakePrinter::start(hallq::printer::fake::Script::Online)
        .await
        .expect("fake printer");
    let hall = TestHall::spawn_with(&crate::hall::config_with_printer(&fake.address())).await;
    let b = Browser::start(1366, 768).await;
    b.log_in_at(&format!("{}/staff/admin", hall.base), "admin", PASSWORD)
        .await;
    b.wait_for(
        "document.querySelector('#users tr[data-user=\"clerk1\"]')",
        10,
    )
    .await;
    b.type_into(".admin-add input[placeholder='用户名']", "zhao.min")
        .await;
    b.type_into(".admin-add input[placeholder='姓名']", "赵敏")
        .await;
    b.type_into(".admin-add input[type=password]", "long-enough-9")
        .await;
    b.click(".admin-add button.primary").await;
    b.wait_for(
        "document.querySelector('#users tr[data-user=\"zhao.min\"]')",
        10,
    )
    .await;
    b.screenshot("admin-1-accounts").await;
    let (s, _) = hall
        .post(
            "/api/v1/session",
            None,
            json!({"username": "zhao.min", "password": "long-enough-9"}),
        )
        .await;
    assert_eq!(s, 200, "the new clerk can log in");

    // Search, then limit clerk1 to windows 1-11.
    b.type_into("#user-search", "李").await;
    b.wait_for(
        "document.querySelectorAll('#users tbody tr').length === 1 && document.querySelector('#users tr[data-user=\"clerk1\"]')",
        5,
    )
    .await;
    b.click("#users tr[data-user=\"clerk1\"] .scope-edit").await;
    b.type_into("#scope-windows", "1-11").await;
    b.click("#scope-save").await;
    b.wait_for(
        "document.querySelector('#users tr[data-user=\"clerk1\"] .user-scope')?.textContent.includes('窗口 1-11')",
        5,
    )
    .await;
    let c1 = hall.login("clerk1").await;
    let (s, _) = hall
        .post("/api/v1/windows/20/sign-in", Some(&c1), json!({}))
        .await;
    assert_eq!(s, 403, "outside the new scope");

    // Name and role: clerk1 becomes a team leader with the manager's rights.
    b.click("#users tr[data-user=\"clerk1\"] .user-edit").await;
    b.client
        .execute(
            "const n = document.querySelector('#edit-name'); n.value = '李红（组长）'; n.dispatchEvent(new Event('input', {bubbles: true})); const r = document.querySelector('#edit-role'); r.value = 'manager'; r.dispatchEvent(new Event('change', {bubbles: true}));",
            vec![],
        )
        .await
        .expect("fills the edit form");
    b.screenshot("admin-1b-edit-user").await;
    b.click("#edit-save").await;
    b.wait_for(
        "document.querySelector('#users tr[data-user=\"clerk1\"] .user-role')?.textContent.includes('管理人员') && document.querySelector('#users tr[data-user=\"clerk1\"] .user-name')?.textContent === '李红（组长）'",
        5,
    )
    .await;
    let (s, _) = hall.get("/api/v1/session", Some(&c1)).await;
    assert_eq!(s, 401, "a new role needs a new login");

    // Devices: the list with the kiosk's printer; a new display gets a setup URL.
    b.wait_for(
        "document.querySelector('#devices tr[data-device=\"kiosk-1\"]')?.textContent.includes('p1') && document.querySelector('#devices tr[data-device=\"evaluator-20\"]')?.textContent.includes('20号窗口')",
        5,
    )
    .await;
    b.type_into(
        ".admin-add input[placeholder='设备编号，如 kiosk-2']",
        "tv-1",
    )
    .await;
    b.client
        .execute(
            "const s = [...document.querySelectorAll('.admin-add select')].pop(); s.value = 'display'; s.dispatchEvent(new Event('change', {bubbles: true}));",
            vec![],
        )
        .await
        .expect("picks display");
    b.click("#devices ~ .admin-add button.primary").await;
    let url = b
        .wait_for(
            "document.querySelector('#device-setup-url')?.textContent",
            5,
        )
        .await;
    let url = url.as_str().expect("url");
    assert!(url.contains("/display/floor.html?device="), "{url}");
    let token = url.split("device=").nth(1).expect("token");
    let (s, _) = hall.get("/api/v1/floor/wall", Some(token)).await;
    assert_eq!(s, 200, "the new display's token reads the floor wall");
    b.screenshot("admin-2-devices").await;
    // A new token for the display: the old one stops, the new setup URL works.
    b.client
        .execute("window.confirm = () => true;", vec![])
        .await
        .expect("confirms");
    b.click("#devices tr[data-device=\"tv-1\"] .device-token")
        .await;
    let again = b
        .wait_for(
            &format!("(() => {{ const u = document.querySelector('#device-setup-url')?.textContent; return u && !u.endsWith('{token}') ? u : null; }})()"),
            5,
        )
        .await;
    let fresh = again
        .as_str()
        .expect("url")
        .split("device=")
        .nth(1)
        .expect("token");
    assert_eq!(hall.get("/api/v1/floor/wall", Some(token)).await.0, 401);
    assert_eq!(hall.get("/api/v1/floor/wall", Some(fresh)).await.0, 200);
    let qr = b
        .wait_for(
            "(() => { const i = document.querySelector('#device-setup-qr'); return i && i.complete && i.naturalWidth > 0 ? i.naturalWidth : null; })()",
            5,
        )
        .await;
    assert!(
        qr.as_u64().unwrap_or(0) > 0,
        "the new setup URL's QR code is shown: {qr}"
    );
    b.screenshot("admin-3-token-replaced").await;
    b.click("#devices tr[data-device=\"tv-1\"] .device-revoke")
        .await;
    b.wait_for(
        "document.querySelector('#devices tr[data-device=\"tv-1\"]')?.textContent.includes('已吊销')",
        5,
    )
    .await;
    b.close().await;
}
