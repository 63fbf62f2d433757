//! An appeal (申诉) on the quality page in headless Chromium: a manager files it with its
//! grounds and is told a second manager must decide; the admin approves it.

use serde_json::json;

use crate::hall::{PASSWORD, TestHall};
use crate::helpers::Browser;

#[tokio::test]
async fn a_manager_appeals_and_a_second_manager_approves() {
    let hall = TestHall::spawn().await;
    let (_, id) = hall.rated_badly("very_dissatisfied", "服务态度不好").await;
    let m = hall.login("manager").await;
    let (s, _) = hall
        .post(
            &format!("/api/v1/follow-ups/{id}/verify"),
            Some(&m),
            json!({"verification": "已调取录像"}),
        )
        .await;
    assert_eq!(s, 200);
    let row = format!("#follow-ups tr[data-id=\"{id}\"]");

    // The manager files the appeal from the verified tab.
    let b = Browser::start(1366, 768).await;
    b.log_in_at(&format!("{}/staff/quality", hall.base), "manager", PASSWORD)
        .await;
    b.wait_for("document.querySelector('.quality-tabs')", 10)
        .await;
    b.client
        .execute("[...document.querySelectorAll('.quality-tabs button')].find(x => x.textContent === '已核实').click()", vec![])
        .await
        .expect("tab");
    b.click(&format!("{row} button.follow-up-act")).await;
    b.client
        .execute(
            &format!("const s = document.querySelector('{row} select'); s.value = 'appealed'; s.dispatchEvent(new Event('change', {{bubbles: true}}));"),
            vec![],
        )
        .await
        .expect("pick 申诉");
    b.wait_for(
        &format!("document.querySelector('{row} button.primary').textContent === '提出申诉'"),
        5,
    )
    .await;
    b.type_into(&format!("{row} input"), "评价人系误评，录像为证")
        .await;
    b.click(&format!("{row} button.primary")).await;
    b.wait_for(&format!("!document.querySelector('{row}')"), 10)
        .await;
    b.client
        .execute("[...document.querySelectorAll('.quality-tabs button')].find(x => x.textContent === '申诉待审批').click()", vec![])
        .await
        .expect("tab");
    let mine = b
        .wait_for(
            &format!("document.querySelector('{row} .appeal-mine')?.textContent"),
            10,
        )
        .await;
    assert_eq!(mine, json!("您提出的申诉须由另一位管理人员审批"));
    assert!(
        b.wait_for(
            &format!("document.querySelector('{row} .follow-up-appeal').textContent"),
            5
        )
        .await
        .as_str()
        .is_some_and(|t| t.contains("评价人系误评，录像为证") && t.contains("王主任（manager）"))
    );
    b.screenshot("quality-2-appeal-filed").await;
    b.close().await;

    // The admin approves it.
    let a = Browser::start(1366, 768).await;
    a.log_in_at(&format!("{}/staff/quality", hall.base), "admin", PASSWORD)
        .await;
    a.wait_for("document.querySelector('.quality-tabs')", 10)
        .await;
    a.client
        .execute("[...document.querySelectorAll('.quality-tabs button')].find(x => x.textContent === '申诉待审批').click()", vec![])
        .await
        .expect("tab");
    a.click(&format!("{row} button.follow-up-act")).await;
    a.wait_for("document.querySelector('#appeal-decision')", 5)
        .await;
    a.screenshot("quality-3-appeal-to-decide").await;
    a.click(&format!("{row} button.primary")).await;
    a.wait_for(&format!("!document.querySelector('{row}')"), 10)
        .await;
    let (_, f) = hall.get("/api/v1/follow-ups?state=closed", Some(&m)).await;
    assert_eq!(
        (&f[0]["result"], &f[0]["closed_by"]),
        (&json!("appealed"), &json!("staff:admin")),
        "{f}"
    );
    a.close().await;
    hall.stop().await;
}
