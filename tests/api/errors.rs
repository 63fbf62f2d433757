//! Bad input never gets a 500 and always has the API's error shape.

use serde_json::json;

use crate::helpers::*;

async fn raw(
    hall: &TestHall,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (reqwest::StatusCode, serde_json::Value) {
    let res = hall
        .http
        .post(format!("{}{path}", hall.base))
        .bearer_auth(KIOSK)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("sent");
    let status = res.status();
    (status, res.json().await.expect("JSON error body"))
}

#[tokio::test]
async fn malformed_wrong_and_oversized_bodies() {
    let hall = TestHall::spawn().await;
    let cases: Vec<(&str, &str, Vec<u8>, u16, &str)> = vec![
        (
            "not JSON",
            "application/json",
            b"{queue:".to_vec(),
            400,
            "bad_request",
        ),
        (
            "wrong type",
            "application/json",
            br#"{"queue": 5}"#.to_vec(),
            400,
            "bad_request",
        ),
        (
            "unknown field",
            "application/json",
            br#"{"queue": "xf", "vip": true}"#.to_vec(),
            400,
            "bad_request",
        ),
        (
            "missing field",
            "application/json",
            br#"{}"#.to_vec(),
            400,
            "bad_request",
        ),
        (
            "bad enum",
            "application/json",
            br#"{"queue": "xf", "priority": "vip"}"#.to_vec(),
            400,
            "bad_request",
        ),
        (
            // serde would fill the struct from an array, field by field.
            "an array for the object",
            "application/json",
            br#"["xf", "normal", null, null, null]"#.to_vec(),
            400,
            "bad_request",
        ),
        (
            "not JSON content type",
            "text/plain",
            br#"{"queue": "xf"}"#.to_vec(),
            400,
            "bad_request",
        ),
        (
            "oversized",
            "application/json",
            format!(r#"{{"queue": "{}"}}"#, "x".repeat(100_000)).into_bytes(),
            413,
            "payload_too_large",
        ),
    ];
    for (name, ct, body, status, code) in cases {
        let got = raw(&hall, "/api/v1/tickets", ct, body).await;
        assert_eq!(got.0.as_u16(), status, "{name}: {}", got.1);
        assert_eq!(got.1["error"]["code"], code, "{name}");
    }
    // Nothing was issued by any of them.
    assert_eq!(hall.issue("xf").await["number"], "XF001");
}

#[tokio::test]
async fn unknown_routes_methods_and_path_values() {
    let hall = TestHall::spawn().await;
    let c1 = hall.login("clerk1").await;
    assert_error(
        &hall.get("/api/v1/nothing-here", None).await,
        404,
        "not_found",
    );
    assert_error(
        &hall
            .send(reqwest::Method::DELETE, "/api/v1/hall", None, None)
            .await,
        405,
        "method_not_allowed",
    );
    assert_error(
        &hall.op(&c1, 0, "sign-in", json!({})).await,
        404,
        "unknown_window",
    );
    assert_error(
        &hall
            .post("/api/v1/windows/abc/sign-in", Some(&c1), json!({}))
            .await,
        400,
        "bad_request",
    );
    assert_error(
        &hall.get("/api/v1/events?since=minus", None).await,
        400,
        "bad_request",
    );
    // The clock route exists only with --simulated-clock (it is on here) and never goes back.
    let back = hall
        .post(
            "/api/v1/_clock",
            None,
            json!({"now": "2001-01-01T00:00:00Z"}),
        )
        .await;
    assert_error(&back, 409, "clock_backwards");
    assert_error(
        &hall
            .post("/api/v1/_clock", None, json!({"now": "yesterday"}))
            .await,
        400,
        "bad_request",
    );
}
