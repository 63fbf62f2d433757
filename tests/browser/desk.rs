//! The help desk page (/staff/desk) in Chromium: a desk clerk finds a ticket by number and by
//! ID, reprints it on the desk's printer (the slip says 补打), cancels one at the citizen's
//! request and issues one on a citizen's behalf. No ticket token reaches the page.

use std::time::Duration;

use hallq::printer::fake::{FakePrinter, Script, decode};
use serde_json::json;

use crate::hall::{PASSWORD, TestHall, config_with_printer};
use crate::helpers::Browser;

#[tokio::test]
async fn a_desk_clerk_finds_reprints_cancels_and_issues() {
    let fake = FakePrinter::start(Script::Online)
        .await
        .expect("fake printer");
    let hall = TestHall::spawn_with(&config_with_printer(&fake.address())).await;
    let mine = hall
        .issue_with(json!({"queue": "crj", "id_number": "11010519491231002X"}))
        .await;
    let other = hall.issue("hj").await;
    fake.take_jobs().await;

    let b = Browser::start(1280, 800).await;
    b.log_in_at(&format!("{}/staff/desk", hall.base), "clerk2", PASSWORD)
        .await;
    b.wait_for(
        "document.querySelector('#desk-printer')?.value === 'p1'",
        10,
    )
    .await;

    // By number: found, reprinted on p1, marked 补打.
    let number = other["number"].as_str().expect("number");
    b.type_into("#desk-q", number).await;
    b.click("#desk-find").await;
    b.wait_for(
        &format!("document.querySelector('#desk-results tr[data-ticket={number:?}]')"),
        5,
    )
    .await;
    b.click(".desk-reprint").await;
    let msg = b
        .wait_for("document.querySelector('#desk-msg')?.textContent", 10)
        .await;
    assert!(
        msg.as_str()
            .is_some_and(|m| m.contains("已在打印机 p1 打印")),
        "{msg}"
    );
    let slip = fake
        .next_job(Duration::from_secs(5))
        .await
        .expect("a reprinted slip");
    let text = decode(&slip).expect("ESC/POS").text();
    assert!(text.contains(number) && text.contains("补打"), "{text}");

    // Cancel at the citizen's request: asked once more, then done.
    b.click(".desk-cancel").await;
    b.click(".desk-cancel-yes").await;
    b.wait_for(
        "document.querySelector('#desk-results .desk-state')?.textContent.startsWith('已取消')",
        5,
    )
    .await;
    let (_, t) = hall
        .get(
            &format!(
                "/api/v1/tickets/{}",
                other["token"].as_str().expect("token")
            ),
            None,
        )
        .await;
    assert_eq!(t["state"], "cancelled");

    // By ID: the last 4 only.
    b.client
        .execute("document.querySelector('#desk-q').value = ''", vec![])
        .await
        .expect("clears");
    b.type_into("#desk-q", "11010519491231002X").await;
    b.click("#desk-find").await;
    let row = b
        .wait_for(
            &format!(
                "document.querySelector('#desk-results tr[data-ticket={:?}]')?.textContent",
                mine["number"].as_str().expect("number")
            ),
            5,
        )
        .await;
    assert!(
        row.as_str().is_some_and(|r| r.contains("****002X")),
        "{row}"
    );
    b.screenshot("desk-1-found").await;

    // Issue for a citizen, printed on the desk's printer.
    b.client
        .execute(
            "const s = document.querySelector('#desk-queue'); s.value = 'hj'; s.dispatchEvent(new Event('change', {bubbles: true}));",
            vec![],
        )
        .await
        .expect("picks a queue");
    b.click("#desk-issue").await;
    let issued = b
        .wait_for("document.querySelector('#desk-issued')?.textContent", 10)
        .await;
    assert!(
        issued.as_str().is_some_and(|n| n.starts_with('H')),
        "{issued}"
    );
    assert!(
        fake.next_job(Duration::from_secs(5)).await.is_some(),
        "the slip printed"
    );
    let page = b.wait_for("document.body.innerHTML", 2).await;
    for token in [&mine["token"], &other["token"]] {
        assert!(
            !page
                .as_str()
                .unwrap_or_default()
                .contains(token.as_str().expect("token"))
        );
    }
    b.screenshot("desk-2-issued").await;
    b.close().await;
}
