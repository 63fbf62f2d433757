//! /api/openapi.json is the committed, generated document, and every operation it describes
//! is routed. (That no route escapes the document is a unit test in src/http/openapi.rs: the
//! document is derived from the handlers' attributes.)

use crate::helpers::*;

#[tokio::test]
async fn the_document_and_the_router_agree() {
    let hall = TestHall::spawn().await;
    let (s, doc) = hall.get("/api/openapi.json", None).await;
    assert_eq!(s, 200);
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    let committed: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/src/http/openapi.json"
        ))
        .expect("src/http/openapi.json"),
    )
    .expect("JSON");
    assert_eq!(
        doc, committed,
        "the served document differs from src/http/openapi.json; regenerate it with \
         HALLQ_WRITE_OPENAPI=1 cargo test --lib openapi"
    );
    let paths = doc["paths"].as_object().expect("paths");
    let mut documented = Vec::new();
    for (path, item) in paths {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                documented.push((method.to_string(), path.clone()));
            }
        }
    }
    assert!(
        documented.len() >= 62,
        "only {} operations",
        documented.len()
    );
    for (m, p) in &documented {
        // The route exists: neither the 404 fallback nor 405.
        let concrete = p
            .replace("{number}", "20")
            .replace("{key}", &"0".repeat(64))
            .replace("{id}", "1")
            .replace("{username}", "clerk1")
            .replace("{token}", &"0".repeat(64));
        let method = reqwest::Method::from_bytes(m.to_uppercase().as_bytes()).expect("method");
        let (status, body) = hall.send(method, &concrete, None, None).await;
        assert_ne!(status.as_u16(), 405, "{m} {p}");
        let fallback = status == 404
            && body["error"]["message"]
                .as_str()
                .is_some_and(|msg| msg.contains(&concrete));
        assert!(!fallback, "{m} {p} is documented but not routed");
    }
}
