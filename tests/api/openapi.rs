//! /api/openapi.json describes every route, and every route it describes exists.

use crate::helpers::*;

/// Every route the server has (method, path template).
const ROUTES: &[(&str, &str)] = &[
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
    ("get", "/api/v1/hall"),
    ("get", "/api/openapi.json"),
    ("post", "/api/v1/_clock"),
    ("post", "/api/v1/session"),
    ("get", "/api/v1/session"),
    ("delete", "/api/v1/session"),
    ("post", "/api/v1/tickets"),
    ("get", "/api/v1/tickets/{key}"),
    ("post", "/api/v1/tickets/{key}/cancel"),
    ("post", "/api/v1/tickets/{key}/reprint"),
    ("get", "/api/v1/tickets/{key}/qr.svg"),
    ("get", "/api/v1/devices"),
    ("get", "/api/v1/devices/me"),
    ("get", "/api/v1/windows"),
    ("get", "/api/v1/windows/{number}"),
    ("post", "/api/v1/windows/{number}/sign-in"),
    ("post", "/api/v1/windows/{number}/sign-out"),
    ("post", "/api/v1/windows/{number}/pause"),
    ("post", "/api/v1/windows/{number}/resume"),
    ("post", "/api/v1/windows/{number}/call-next"),
    ("post", "/api/v1/windows/{number}/recall"),
    ("post", "/api/v1/windows/{number}/call"),
    ("post", "/api/v1/windows/{number}/no-show"),
    ("post", "/api/v1/windows/{number}/start"),
    ("post", "/api/v1/windows/{number}/finish"),
    ("post", "/api/v1/windows/{number}/hold"),
    ("post", "/api/v1/windows/{number}/call-back"),
    ("post", "/api/v1/windows/{number}/transfer"),
    ("get", "/api/v1/events"),
    ("get", "/api/v1/version"),
    ("post", "/api/v1/ratings"),
    ("get", "/api/v1/follow-ups"),
    ("post", "/api/v1/follow-ups/{id}/verify"),
    ("post", "/api/v1/follow-ups/{id}/close"),
    ("get", "/api/v1/users"),
    ("post", "/api/v1/users"),
    ("post", "/api/v1/users/{username}/disable"),
    ("post", "/api/v1/users/{username}/enable"),
    ("post", "/api/v1/users/{username}/password"),
    ("post", "/api/v1/users/{username}/scope"),
    ("patch", "/api/v1/users/{username}"),
    ("post", "/api/v1/devices/{id}/token"),
    ("post", "/api/v1/devices/register"),
    ("post", "/api/v1/devices/{id}/revoke"),
    ("get", "/api/v1/audit"),
    ("get", "/api/v1/floor"),
    ("get", "/api/v1/floor/wall"),
    ("get", "/api/v1/desk/tickets"),
    ("post", "/api/v1/desk/tickets/{id}/cancel"),
    ("get", "/api/v1/desk/printers"),
    ("get", "/api/v1/windows/{number}/waiting-list"),
    ("get", "/api/v1/reports/waits"),
    ("get", "/api/v1/reports/staff-appraisal"),
    ("get", "/api/v1/reports/appointments"),
    ("get", "/api/v1/appointments/slots"),
    ("post", "/api/v1/appointments"),
    ("get", "/api/v1/appointments"),
    ("get", "/api/v1/appointments/{token}"),
    ("post", "/api/v1/appointments/{token}/cancel"),
    ("post", "/api/v1/appointments/check-in"),
    ("get", "/api/v1/appointments/{token}/qr.svg"),
];

#[tokio::test]
async fn the_document_and_the_router_agree() {
    let hall = TestHall::spawn().await;
    let (s, doc) = hall.get("/api/openapi.json", None).await;
    assert_eq!(s, 200);
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    let paths = doc["paths"].as_object().expect("paths");
    let mut documented = Vec::new();
    for (path, item) in paths {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                documented.push((method.to_string(), path.clone()));
            }
        }
    }
    for (m, p) in ROUTES {
        assert!(
            documented.contains(&(m.to_string(), p.to_string())),
            "{m} {p} is not in openapi.json"
        );
    }
    for (m, p) in &documented {
        assert!(
            ROUTES.contains(&(m.as_str(), p.as_str())),
            "openapi.json lists {m} {p}, which the test does not know"
        );
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
