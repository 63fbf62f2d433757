//! /api/openapi.json is the committed, generated document, and every operation it describes
//! is routed. (That no route escapes the document is a unit test in src/http/openapi.rs: the
//! document is derived from the handlers' attributes.)

use serde_json::{Value, json};

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

/// Who sends a documented example.
#[derive(Clone, Copy, Debug)]
enum Caller {
    Nobody,
    Kiosk,
    Clerk,
    Manager,
    Admin,
    Evaluator,
}

/// The hall's day in which every documented example runs, in order: (operationId, caller).
/// An example that needs a state (a called ticket, a follow-up) comes after the examples or
/// the setup steps (`setup`) that make it.
const DAY: &[(&str, Caller)] = &[
    ("health", Caller::Nobody),
    ("logIn", Caller::Nobody),
    ("issueTicket", Caller::Kiosk),
    ("signIn", Caller::Clerk),
    ("showWindow", Caller::Clerk),
    ("showWaitingList", Caller::Clerk),
    ("pauseWindow", Caller::Clerk),
    ("resumeWindow", Caller::Clerk),
    ("callNext", Caller::Clerk),
    ("recallTicket", Caller::Clerk),
    ("startService", Caller::Clerk),
    ("finishService", Caller::Clerk),
    ("submitRating", Caller::Evaluator),
    ("callTicket", Caller::Clerk),
    ("holdTicket", Caller::Clerk),
    ("callBack", Caller::Clerk),
    ("markNoShow", Caller::Clerk),
    ("transferTicket", Caller::Clerk),
    ("verifyFollowUp", Caller::Manager),
    ("closeFollowUp", Caller::Manager),
    ("signOut", Caller::Clerk),
    ("addUser", Caller::Admin),
    ("resetPassword", Caller::Admin),
    ("setScope", Caller::Admin),
    ("disableUser", Caller::Admin),
    ("enableUser", Caller::Admin),
    ("editUser", Caller::Admin),
    ("registerDevice", Caller::Admin),
    ("replaceDeviceToken", Caller::Admin),
    ("revokeDevice", Caller::Admin),
    ("reportWaits", Caller::Manager),
    ("reportAppointments", Caller::Manager),
    ("reportStaffAppraisal", Caller::Manager),
    ("listSlots", Caller::Nobody),
];

/// The documented operation with this id: (method, path, operation).
fn operation<'a>(doc: &'a Value, id: &str) -> (String, String, &'a Value) {
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            if op["operationId"] == id {
                return (method.clone(), path.clone(), op);
            }
        }
    }
    panic!("no operation {id} in the document");
}

/// Whether an operation documents an example (a body, a parameter or a success reply).
fn has_example(op: &Value) -> bool {
    let body = op["requestBody"]["content"]
        .as_object()
        .is_some_and(|c| c.values().any(|m| m.get("example").is_some()));
    let param = op["parameters"].as_array().is_some_and(|ps| {
        ps.iter()
            .any(|p| p.get("example").is_some() || p["schema"].get("example").is_some())
    });
    let reply = op["responses"].as_object().is_some_and(|rs| {
        rs.iter().any(|(s, r)| {
            s.starts_with('2')
                && r["content"]
                    .as_object()
                    .is_some_and(|c| c.values().any(|m| m.get("example").is_some()))
        })
    });
    body || param || reply
}

/// The schema behind a `$ref` (or the schema itself).
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => {
            let name = r.trim_start_matches("#/components/schemas/");
            &doc["components"]["schemas"][name]
        }
        None => schema,
    }
}

/// The properties a reply must carry by its documented schema (through `allOf`).
fn required_keys(doc: &Value, schema: &Value) -> Vec<String> {
    let s = resolve(doc, schema);
    let mut keys: Vec<String> = s["required"]
        .as_array()
        .map(|r| {
            r.iter()
                .filter_map(|k| k.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    for part in s["allOf"].as_array().into_iter().flatten() {
        keys.extend(required_keys(doc, part));
    }
    keys
}

/// Every example in the document runs through the server, in a hall's day, and answers the
/// documented success status with the documented shape (or the documented reply itself).
#[tokio::test]
async fn every_documented_example_runs() {
    let hall = TestHall::spawn().await;
    let (_, doc) = hall.get("/api/openapi.json", None).await;
    // Every operation with an example has its place in the day, and only those.
    for (_, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let id = op["operationId"].as_str().expect("operationId");
            let listed = DAY.iter().any(|(d, _)| *d == id);
            assert_eq!(
                has_example(op),
                listed,
                "{method} {id}: an operation with a documented example must run in DAY (and \
                 one in DAY must document an example)"
            );
        }
    }
    // The documented login is the demo's: the manager's password is the demo password.
    hallq::admin::reset_password(&hall.db, "manager", "hallq-demo").expect("password set");
    hallq::admin::add_device_at(
        &hall.db,
        "evaluator-5",
        hallq::domain::DeviceKind::Evaluator,
        Some(5),
        "test-eval-5",
    )
    .expect("evaluator added");
    let clerk = hall.login("clerk1").await;
    let admin = hall.login("admin").await;
    let mut manager = String::new();
    for (id, caller) in DAY {
        let (method, path, op) = operation(&doc, id);
        setup(&hall, id, &clerk).await;
        let mut url = path.clone();
        let mut query = Vec::new();
        for p in op["parameters"].as_array().into_iter().flatten() {
            let name = p["name"].as_str().expect("name");
            let Some(example) = p.get("example").or_else(|| p["schema"].get("example")) else {
                continue;
            };
            let value = match example {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            match p["in"].as_str() {
                Some("path") => url = url.replace(&format!("{{{name}}}"), &value),
                _ => query.push(format!("{name}={value}")),
            }
        }
        assert!(
            !url.contains('{'),
            "{id}: a path parameter without an example"
        );
        if !query.is_empty() {
            url = format!("{url}?{}", query.join("&"));
        }
        let body = op["requestBody"]["content"]["application/json"]
            .get("example")
            .cloned();
        let token = match caller {
            Caller::Nobody => None,
            Caller::Kiosk => Some(KIOSK),
            Caller::Clerk => Some(clerk.as_str()),
            Caller::Manager => Some(manager.as_str()),
            Caller::Admin => Some(admin.as_str()),
            Caller::Evaluator => Some("test-eval-5"),
        };
        let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
        let (status, reply) = hall.send(method, &url, token, body).await;
        let (expected, documented) = op["responses"]
            .as_object()
            .expect("responses")
            .iter()
            .filter(|(s, _)| s.starts_with('2'))
            // A first request creates (201) where a resend would answer 200.
            .max_by_key(|(s, _)| s.as_str())
            .expect("a success response");
        assert_eq!(status.as_str(), expected, "{id} {url}: {reply}");
        let media = &documented["content"]["application/json"];
        if let Some(example) = media.get("example") {
            assert_eq!(&reply, example, "{id}: the documented reply");
        } else if let Some(schema) = media.get("schema") {
            for key in required_keys(&doc, schema) {
                assert!(reply.get(&key).is_some(), "{id}: no {key} in {reply}");
            }
        }
        if *id == "logIn" {
            manager = reply["token"].as_str().expect("token").to_string();
        }
    }
}

/// What an example in `DAY` needs that no earlier example made.
async fn setup(hall: &TestHall, id: &str, clerk: &str) {
    match id {
        // H0001 is the example's; H0002 and H0003 wait behind it.
        "signIn" => {
            hall.issue("hj").await;
            hall.issue("hj").await;
        }
        // The follow-up the examples verify and close: a bad rating of H0004.
        "verifyFollowUp" => {
            hall.issue("hj").await;
            let v = hall.ok(clerk, 5, "call-next", json!({})).await;
            assert_eq!(v["current"]["number"], "H0004", "{v}");
            hall.ok(clerk, 5, "start", json!({})).await;
            hall.ok(clerk, 5, "finish", json!({"outcome": "done"}))
                .await;
            let id = v["current"]["id"].clone();
            let (s, r) = hall
                .post(
                    "/api/v1/ratings",
                    Some("test-eval-5"),
                    json!({"ticket": id, "level": "very_dissatisfied", "reasons": ["服务态度不好"]}),
                )
                .await;
            assert_eq!(s, 201, "{r}");
            assert_eq!(r["follow_up"], 1, "{r}");
        }
        // The example calls H0002 next, and transfers it.
        "transferTicket" => {
            hall.ok(clerk, 5, "call-next", json!({})).await;
        }
        _ => {}
    }
}

/// Two readings the contract fuzzer asked for: JSON `null` as an optional body is no body, and
/// a whole number written as a float (`20.0`) is that integer.
#[tokio::test]
async fn a_null_body_is_no_body_and_whole_floats_are_integers() {
    let hall = TestHall::spawn().await;
    let clerk = hall.login("clerk1").await;
    hall.ok(&clerk, 5, "sign-in", json!({})).await;
    let paused = hall
        .send(
            reqwest::Method::POST,
            "/api/v1/windows/5/pause",
            Some(&clerk),
            Some(Value::Null),
        )
        .await;
    // Read as no body at all: a pause without a reason.
    assert_error(&paused, 422, "reason_required");
    let admin = hall.login("admin").await;
    let (s, d) = hall
        .post(
            "/api/v1/devices/register",
            Some(&admin),
            json!({"id": "evaluator-7", "kind": "evaluator", "window": 7.0}),
        )
        .await;
    assert_eq!(s, 201, "{d}");
    assert_eq!(d["window"], 7);
    let (s, d) = hall
        .post(
            "/api/v1/devices/register",
            Some(&admin),
            json!({"id": "evaluator-8", "kind": "evaluator", "window": 7.5}),
        )
        .await;
    assert_error(&(s, d), 400, "bad_request");
}
