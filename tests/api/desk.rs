//! The help desk routes: find by number or ID, cancel on request, printers without addresses,
//! issue on a citizen's behalf on a chosen printer.

use serde_json::json;

use hallq::printer::fake::{FakePrinter, Script};

use crate::helpers::{KIOSK, TestHall, assert_error, config_with_printer};

#[tokio::test]
async fn the_desk_finds_cancels_and_issues_for_a_citizen() {
    // p1 prints on a fake printer on loopback.
    let fake = FakePrinter::start(Script::Online)
        .await
        .expect("fake printer");
    let hall = TestHall::spawn_with(&config_with_printer(&fake.address())).await;
    let desk = hall.login("clerk2").await;
    let id = "110105194912310021";
    let mine = hall
        .issue_with(json!({"queue": "crj", "id_number": "11010519491231002X"}))
        .await;
    let other = hall.issue("hj").await;

    // By number, and by ID (last 4 only in the answer).
    let (s, by_number) = hall
        .get(
            &format!(
                "/api/v1/desk/tickets?q={}",
                other["number"].as_str().expect("n").to_lowercase()
            ),
            Some(&desk),
        )
        .await;
    assert_eq!(s, 200, "{by_number}");
    assert_eq!(by_number["tickets"][0]["number"], other["number"]);
    assert_eq!(by_number["tickets"][0]["queue_name"], "户籍与身份证");
    let (s, by_id) = hall
        .get("/api/v1/desk/tickets?q=11010519491231002X", Some(&desk))
        .await;
    assert_eq!(s, 200, "{by_id}");
    assert_eq!(by_id["tickets"].as_array().map(Vec::len), Some(1));
    assert_eq!(by_id["tickets"][0]["number"], mine["number"]);
    assert_eq!(by_id["tickets"][0]["id_last4"], "002X");
    assert!(
        !by_id
            .to_string()
            .contains(mine["token"].as_str().expect("token"))
    );
    let (_, none) = hall.get("/api/v1/desk/tickets?q=ZZ999", Some(&desk)).await;
    assert_eq!(none["tickets"], json!([]));
    assert_error(
        &hall
            .get(&format!("/api/v1/desk/tickets?q={id}"), Some(&desk))
            .await,
        422,
        "invalid_id_number",
    );
    assert_error(
        &hall.get("/api/v1/desk/tickets?q=A001", None).await,
        401,
        "unauthenticated",
    );
    assert_error(
        &hall.get("/api/v1/desk/tickets?q=A001", Some(KIOSK)).await,
        403,
        "forbidden",
    );

    // Cancel at the citizen's request, by id; twice is refused.
    let path = format!("/api/v1/desk/tickets/{}/cancel", other["id"]);
    let (s, c) = hall.post(&path, Some(&desk), json!({})).await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(c["state"], "cancelled");
    let again = hall.post(&path, Some(&desk), json!({})).await;
    assert_eq!(again.0.as_u16(), 409, "{}", again.1);

    // Printers: ids and health, never an address.
    let (s, printers) = hall.get("/api/v1/desk/printers", Some(&desk)).await;
    assert_eq!(s, 200);
    assert!(
        printers
            .as_array()
            .is_some_and(|p| p.iter().any(|p| p["id"] == "p1"))
    );
    assert!(!printers.to_string().contains("tcp://"), "{printers}");
    let printer = "p1";

    // Issue for a citizen on the desk's printer; a device may not name one.
    let (s, t) = hall
        .post(
            "/api/v1/tickets",
            Some(&desk),
            json!({"queue": "hj", "printer": printer}),
        )
        .await;
    assert_eq!(s, 201, "{t}");
    assert_eq!(t["print"]["status"], "printed", "{t}");
    assert_error(
        &hall
            .post(
                "/api/v1/tickets",
                Some(&desk),
                json!({"queue": "hj", "printer": "nope"}),
            )
            .await,
        422,
        "unknown_printer",
    );
    assert_error(
        &hall
            .post(
                "/api/v1/tickets",
                Some(KIOSK),
                json!({"queue": "hj", "printer": printer}),
            )
            .await,
        403,
        "forbidden",
    );
}
