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
    b.screenshot("quality-1-follow-up-and-audit").await;
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
    b.close().await;
}

#[tokio::test]
async fn an_admin_adds_an_account_and_registers_an_evaluator() {
    let hall = TestHall::spawn().await;
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
    b.close().await;
}
