//! The clerk's card on the window screen: an admin sets the 工号 and uploads the photo (checked
//! by type, size and dimensions); the window screen reads the signed-in clerk's card and photo
//! with a display token; nobody else gets the photo, and public events never carry it.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{DISPLAY, EVALUATOR, KIOSK, TestHall, assert_error, next_json};

const PHOTO: &[u8] = include_bytes!("../fixtures/clerk-photo.png");

async fn put_photo(
    hall: &TestHall,
    token: &str,
    user: &str,
    ct: &str,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let res = hall
        .http
        .put(format!("{}/api/v1/users/{user}/photo", hall.base))
        .bearer_auth(token)
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .expect("sent");
    let status = res.status();
    let text = res.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn get_bytes(
    hall: &TestHall,
    path: &str,
    token: Option<&str>,
    etag: Option<&str>,
) -> reqwest::Response {
    let mut req = hall.http.get(format!("{}{path}", hall.base));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(e) = etag {
        req = req.header("if-none-match", e);
    }
    req.send().await.expect("sent")
}

/// A PNG of `w`×`h` as far as the server reads one (signature, IHDR, IEND).
fn png_header(w: u32, h: u32) -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    b.extend(w.to_be_bytes());
    b.extend(h.to_be_bytes());
    b.extend([8, 2, 0, 0, 0, 0, 0, 0, 0]);
    b.extend(b"\0\0\0\0IEND\xAE\x42\x60\x82");
    b
}

#[tokio::test]
async fn an_admin_sets_the_card_and_only_the_screens_and_staff_see_the_photo() {
    let hall = TestHall::spawn().await;
    let admin = hall.login("admin").await;
    let manager = hall.login("manager").await;
    let clerk = hall.login("clerk1").await;

    // Refusals leave nothing behind: wrong type, lying type, too large, too small, landscape,
    // a manager, an unknown user, a bad 工号.
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        ("image/gif", PHOTO.to_vec(), 415, "unsupported_photo_type"),
        ("image/jpeg", PHOTO.to_vec(), 415, "unsupported_photo_type"),
        ("image/png", vec![0u8; 600 * 1024], 413, "photo_too_large"),
        ("image/png", png_header(60, 80), 422, "invalid_photo"),
        ("image/png", png_header(800, 300), 422, "invalid_photo"),
        (
            "image/png",
            PHOTO[..PHOTO.len() - 12].to_vec(),
            422,
            "invalid_photo",
        ),
        ("text/plain", PHOTO.to_vec(), 400, "bad_request"),
    ];
    for (ct, body, status, code) in cases {
        let got = put_photo(&hall, &admin, "clerk1", ct, body).await;
        assert_error(&got, status, code);
    }
    let got = put_photo(&hall, &manager, "clerk1", "image/png", PHOTO.to_vec()).await;
    assert_error(&got, 403, "forbidden");
    let got = put_photo(&hall, &admin, "nobody", "image/png", PHOTO.to_vec()).await;
    assert_error(&got, 404, "not_found");
    for bad in [
        json!({"staff_no": "工号 1"}),
        json!({"staff_no": "12345678901234567"}),
    ] {
        let got = hall
            .send(
                reqwest::Method::PUT,
                "/api/v1/users/clerk1/staff-no",
                Some(&admin),
                Some(bad),
            )
            .await;
        assert_error(&got, 422, "invalid_staff_no");
    }
    let (s, cards) = hall.get("/api/v1/staff-cards", Some(&admin)).await;
    assert_eq!(
        (s, cards),
        (StatusCode::OK, json!([])),
        "no trace of a refusal"
    );

    // The card is set.
    let (s, card) = hall
        .send(
            reqwest::Method::PUT,
            "/api/v1/users/clerk1/staff-no",
            Some(&admin),
            Some(json!({"staff_no": " SD-0123 "})),
        )
        .await;
    assert_eq!(s, 200, "{card}");
    assert_eq!(
        (&card["staff_no"], &card["photo"]),
        (&json!("SD-0123"), &Value::Null)
    );
    // One 工号, one person; setting it again on its own holder is no change of owner.
    for (user, status) in [("clerk2", 409), ("clerk1", 200)] {
        let path = format!("/api/v1/users/{user}/staff-no");
        let body = json!({"staff_no": "SD-0123"});
        let got = hall
            .send(reqwest::Method::PUT, &path, Some(&admin), Some(body))
            .await;
        assert_eq!(got.0.as_u16(), status, "{}", got.1);
        if status == 409 {
            assert_error(&got, 409, "staff_no_taken");
            let message = got.1["error"]["message"].as_str().unwrap_or_default();
            assert!(message.contains("clerk1"), "{message}");
        }
    }
    let (s, card) = put_photo(&hall, &admin, "clerk1", "image/png", PHOTO.to_vec()).await;
    assert_eq!(s, 200, "{card}");
    assert_eq!(
        (
            &card["photo"]["type"],
            &card["photo"]["width"],
            &card["photo"]["height"]
        ),
        (&json!("image/png"), &json!(300), &json!(400))
    );
    let etag = card["photo"]["etag"].as_str().expect("etag").to_string();
    let (_, cards) = hall.get("/api/v1/staff-cards", Some(&admin)).await;
    assert_eq!(cards.as_array().map(Vec::len), Some(1), "{cards}");
    let (_, cards) = hall.get("/api/v1/staff-cards", Some(&manager)).await;
    assert_eq!(cards["error"]["code"], "forbidden");

    // The audit names the admin; the public stream never hears of it.
    let (_, audit) = hall.get("/api/v1/audit?kind=user.", Some(&admin)).await;
    let text = audit.to_string();
    assert!(
        text.contains("user.photo_set") && text.contains("user.staff_no_set"),
        "{audit}"
    );

    // The window screen: nobody signed in at 20, then clerk1.
    let (s, w) = hall
        .get("/api/v1/windows/20/clerk-card", Some(DISPLAY))
        .await;
    assert_eq!(
        (s, w),
        (StatusCode::OK, json!({"window": 20, "clerk": null}))
    );
    let mut public = hall.ws(None).await;
    assert_eq!(next_json(&mut public).await["type"], "snapshot");
    hall.ok(&clerk, 20, "sign-in", json!({})).await;
    let signed_in = next_json(&mut public).await;
    assert_eq!(signed_in["type"], "window.signed_in");
    assert!(!signed_in.to_string().contains("SD-0123"), "{signed_in}");

    let (s, w) = hall
        .get("/api/v1/windows/20/clerk-card", Some(DISPLAY))
        .await;
    assert_eq!(s, 200, "{w}");
    assert_eq!(
        w["clerk"],
        json!({"name": "李红", "staff_no": "SD-0123",
               "photo_url": format!("/api/v1/windows/20/clerk-photo?v={etag}")})
    );
    // The window's own evaluator and staff read it too; a kiosk, nobody and window 21's card
    // for window 20's evaluator do not.
    let (s, _) = hall
        .get("/api/v1/windows/20/clerk-card", Some(EVALUATOR))
        .await;
    assert_eq!(s, 200);
    let (s, _) = hall
        .get("/api/v1/windows/20/clerk-card", Some(&clerk))
        .await;
    assert_eq!(s, 200);
    for (path, token, status, code) in [
        (
            "/api/v1/windows/20/clerk-card",
            Some(KIOSK),
            403,
            "forbidden",
        ),
        (
            "/api/v1/windows/21/clerk-card",
            Some(EVALUATOR),
            403,
            "forbidden",
        ),
        (
            "/api/v1/windows/20/clerk-card",
            None,
            401,
            "unauthenticated",
        ),
        (
            "/api/v1/windows/999/clerk-card",
            Some(DISPLAY),
            404,
            "unknown_window",
        ),
        (
            "/api/v1/windows/20/clerk-photo",
            None,
            401,
            "unauthenticated",
        ),
        (
            "/api/v1/windows/20/clerk-photo",
            Some(KIOSK),
            403,
            "forbidden",
        ),
        (
            "/api/v1/windows/21/clerk-photo",
            Some(DISPLAY),
            404,
            "no_photo",
        ),
        ("/api/v1/users/clerk1/photo", None, 401, "unauthenticated"),
        (
            "/api/v1/users/clerk1/photo",
            Some(DISPLAY),
            403,
            "forbidden",
        ),
    ] {
        assert_error(&hall.get(path, token).await, status, code);
    }

    // The photo itself: its own type, private caching, its ETag, and 304 when unchanged.
    let res = get_bytes(&hall, "/api/v1/windows/20/clerk-photo", Some(DISPLAY), None).await;
    assert_eq!(res.status(), 200);
    let h = res.headers().clone();
    assert_eq!(h["content-type"], "image/png");
    assert_eq!(h["cache-control"], "private, no-cache");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(
        h["etag"].to_str().ok(),
        Some(format!("\"{etag}\"").as_str())
    );
    assert_eq!(res.bytes().await.expect("bytes").as_ref(), PHOTO);
    let res = get_bytes(
        &hall,
        "/api/v1/windows/20/clerk-photo",
        Some(DISPLAY),
        Some(&format!("\"{etag}\"")),
    )
    .await;
    assert_eq!(res.status(), 304);
    let res = get_bytes(&hall, "/api/v1/users/clerk1/photo", Some(&manager), None).await;
    assert_eq!(res.status(), 200);

    // Removed: the card says so and the photo is gone.
    let (s, card) = hall
        .send(
            reqwest::Method::DELETE,
            "/api/v1/users/clerk1/photo",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(
        (s, &card["photo"], &card["staff_no"]),
        (StatusCode::OK, &Value::Null, &json!("SD-0123"))
    );
    let (_, w) = hall
        .get("/api/v1/windows/20/clerk-card", Some(DISPLAY))
        .await;
    assert_eq!(w["clerk"]["photo_url"], Value::Null, "{w}");
    assert_error(
        &hall
            .get("/api/v1/windows/20/clerk-photo", Some(DISPLAY))
            .await,
        404,
        "no_photo",
    );
    // A blank 工号 clears it.
    let (_, card) = hall
        .send(
            reqwest::Method::PUT,
            "/api/v1/users/clerk1/staff-no",
            Some(&admin),
            Some(json!({"staff_no": ""})),
        )
        .await;
    assert_eq!(card["staff_no"], Value::Null, "{card}");
}

#[tokio::test]
async fn the_hall_can_keep_the_name_off_the_window_card() {
    let config = crate::helpers::shipped_config()
        .replace("show_clerk_name = true", "show_clerk_name = false");
    let hall = TestHall::spawn_with(&config).await;
    let admin = hall.login("admin").await;
    let (s, _) = hall
        .send(
            reqwest::Method::PUT,
            "/api/v1/users/clerk1/staff-no",
            Some(&admin),
            Some(json!({"staff_no": "0042"})),
        )
        .await;
    assert_eq!(s, 200);
    let clerk = hall.login("clerk1").await;
    hall.ok(&clerk, 20, "sign-in", json!({})).await;
    let (_, w) = hall
        .get("/api/v1/windows/20/clerk-card", Some(DISPLAY))
        .await;
    assert_eq!(
        w["clerk"],
        json!({"name": null, "staff_no": "0042", "photo_url": null})
    );
}
