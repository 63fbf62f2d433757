//! The OpenAPI document, derived: each handler's `#[utoipa::path]` attribute and each DTO's
//! `ToSchema` derive make it, and `utoipa_axum::routes!` registers the same handler at the
//! same path, so a route cannot exist without its entry. What every route shares (the error
//! shape, the 400/401/413/503 that the extractors and the engine can answer, and the example
//! error bodies, whose messages come from config/messages.toml) is added here once.
//! The served document is generated at start; src/http/openapi.json is the committed copy,
//! and a test fails when the two differ.

use std::sync::LazyLock;

use axum::Router;
use serde_json::{Map, Value, json};
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;

use super::AppState;

/// The committed document (what `GET /api/openapi.json` must serve).
pub const COMMITTED_PATH: &str = "src/http/openapi.json";

/// The API's error shape: `{"error": {"code", "message"}}` (API.md "Conventions").
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ErrorBody {
    error: ErrorDetail,
}

/// A refusal: a stable code for programs and a message for a person (zh-CN).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ErrorDetail {
    #[schema(pattern = "^[a-z][a-z0-9_]*$", example = "unknown_queue")]
    code: String,
    #[schema(example = "没有这个事项")]
    message: String,
}

/// Schemas narrower than their Rust type (`#[schema(schema_with = ...)]`).
pub mod schemas {
    use utoipa::openapi::schema::{Object, ObjectBuilder, Type};

    fn one_of_strings(values: &[&str]) -> Object {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(values.iter().copied()))
            .build()
    }

    /// A staff role.
    pub fn role() -> Object {
        one_of_strings(&["clerk", "manager", "admin"])
    }

    /// A device's kind.
    pub fn device_kind() -> Object {
        one_of_strings(&["kiosk", "display", "evaluator", "integrator"])
    }

    /// A ticket named by its id (a number or a string of digits) or its token (64 hex).
    pub fn ticket_id_or_token() -> Object {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some("^([0-9]{1,18}|[0-9a-fA-F]{64})$"))
            .build()
    }

    /// A rating's reasons: at most 10, each at most 100 characters.
    pub fn rating_reasons() -> utoipa::openapi::schema::Array {
        utoipa::openapi::schema::ArrayBuilder::new()
            .items(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .max_length(Some(100)),
            )
            .max_items(Some(10))
            .build()
    }

    /// A walk-in's priority: `appointment` comes only from a check-in.
    pub fn walk_in_priority() -> Object {
        one_of_strings(&["normal", "green_channel"])
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "hallq",
        description = "Queue, kiosk and wall-screen server of a county government service hall \
            (政务服务中心). JSON in and out; times are RFC 3339 with offset; durations are whole \
            seconds (`*_s`). Every refusal is `{\"error\": {\"code\", \"message\"}}`. Staff send \
            their session token as `Authorization: Bearer` or the `hallq_session` cookie; \
            devices send their device token as a bearer token. A state-changing request that \
            carries the session cookie must come from the same site (else 403 \
            `cross_site_request`).",
        license(name = "MIT OR Apache-2.0"),
    ),
    tags(
        (name = "meta", description = "Health, the hall overview, version, this document"),
        (name = "session", description = "Staff log in and out"),
        (name = "tickets", description = "Issue, follow, cancel and reprint tickets"),
        (name = "windows", description = "The clerk's window operations"),
        (name = "events", description = "The live event stream (WebSocket)"),
        (name = "ratings", description = "Ratings (好差评) and follow-ups"),
        (name = "appointments", description = "Appointments (预约)"),
        (name = "desk", description = "The help desk (服务台)"),
        (name = "devices", description = "Kiosks, screens, evaluators and printers"),
        (name = "manager", description = "The live floor and reports"),
        (name = "admin", description = "Staff accounts, devices and the audit trail"),
        (name = "ops", description = "Monitoring"),
    ),
    components(schemas(ErrorBody))
)]
struct ApiDoc;

/// Every documented route with its handler, and the raw document they make.
pub fn parts() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(super::api_routes())
        .split_for_parts()
}

/// The served document, generated once.
pub static DOCUMENT: LazyLock<String> = LazyLock::new(|| {
    let mut doc = serde_json::to_value(parts().1).expect("the OpenAPI document serializes");
    conventions(&mut doc);
    let mut text = serde_json::to_string_pretty(&doc).expect("JSON values serialize");
    text.push('\n');
    text
});

const WRITES: [&str; 3] = ["post", "put", "delete"];

/// What every route shares, added to each operation that lacks it.
fn conventions(doc: &mut Value) {
    doc["info"]["version"] = json!(env!("CARGO_PKG_VERSION"));
    doc["components"]["securitySchemes"] = json!({
        "bearer": {
            "type": "http",
            "scheme": "bearer",
            "description": "A staff session token (from POST /api/v1/session) or a device token \
                (`hallq device add`)."
        },
        "cookie": {
            "type": "apiKey",
            "in": "cookie",
            "name": "hallq_session",
            "description": "The staff session cookie set by POST /api/v1/session. Ignored when \
                an Authorization header is sent."
        }
    });
    let Some(paths) = doc["paths"].as_object_mut() else {
        return;
    };
    for item in paths.values_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, op) in item.iter_mut() {
            let write = WRITES.contains(&method.as_str());
            add_shared_responses(op, write);
            for response in op["responses"]
                .as_object_mut()
                .into_iter()
                .flat_map(|r| r.values_mut())
            {
                add_error_examples(response);
            }
        }
    }
}

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    })
}

fn add_shared_responses(op: &mut Value, write: bool) {
    let has_input = op.get("requestBody").is_some()
        || op
            .get("parameters")
            .and_then(Value::as_array)
            .is_some_and(|p| !p.is_empty());
    // An operation that allows no credentials lists an empty requirement.
    let secured = op
        .get("security")
        .and_then(Value::as_array)
        .is_some_and(|s| {
            !s.is_empty()
                && s.iter()
                    .all(|r| r.as_object().is_some_and(|o| !o.is_empty()))
        });
    let has_body = op.get("requestBody").is_some();
    let Some(responses) = op["responses"].as_object_mut() else {
        return;
    };
    let mut add = |status: &str, description: &str| {
        responses
            .entry(status.to_string())
            .or_insert_with(|| error_response(description));
    };
    if has_input {
        add(
            "400",
            "Malformed input: bad JSON, a wrong type, an unknown field or a bad parameter \
             (`bad_request`)",
        );
    }
    if has_body {
        add("413", "The body is over 16 KiB (`payload_too_large`)");
    }
    if secured {
        add(
            "401",
            "Missing, unknown or expired credentials (`unauthenticated`)",
        );
    }
    if write {
        add(
            "503",
            "The hall cannot write now (`unavailable`, `storage_read_only`, `storage_busy`)",
        );
        add(
            "507",
            "The disk is full; nothing was written (`storage_full`)",
        );
        match responses.get_mut("403") {
            Some(r) => {
                let d = r["description"].as_str().unwrap_or_default().to_string();
                if !d.contains("cross_site_request") {
                    r["description"] = json!(format!(
                        "{d}; or a cookie request from another site (`cross_site_request`)"
                    ));
                }
            }
            None => {
                responses.insert(
                    "403".into(),
                    error_response(
                        "A request with the session cookie from another site \
                         (`cross_site_request`)",
                    ),
                );
            }
        }
    }
}

/// The error codes a response description names in backticks, in its last parentheses.
pub fn named_codes(description: &str) -> Vec<String> {
    let tail = description.rsplit_once('(').map_or("", |(_, t)| t);
    tail.split('`')
        .skip(1)
        .step_by(2)
        .filter(|c| !c.is_empty() && c.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
        .map(str::to_string)
        .collect()
}

/// One example body per code an error response names, with the message the server sends.
fn add_error_examples(response: &mut Value) {
    let Some(description) = response["description"].as_str() else {
        return;
    };
    let codes = named_codes(description);
    let Some(media) = response
        .get_mut("content")
        .and_then(|c| c.get_mut("application/json"))
    else {
        return;
    };
    let is_error = media["schema"]["$ref"] == json!("#/components/schemas/ErrorBody");
    if !is_error || codes.is_empty() || media.get("examples").is_some() {
        return;
    }
    let mut examples = Map::new();
    for code in codes {
        let message = super::error::message_of(&code).unwrap_or_default();
        examples.insert(
            code.clone(),
            json!({"value": {"error": {"code": code, "message": message}}}),
        );
    }
    media["examples"] = Value::Object(examples);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn committed() -> String {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(COMMITTED_PATH);
        std::fs::read_to_string(path).unwrap_or_default()
    }

    /// The committed document is the generated one. Regenerate it with
    /// `HALLQ_WRITE_OPENAPI=1 cargo test --lib openapi`.
    #[test]
    fn the_committed_document_is_the_generated_one() {
        let generated = DOCUMENT.as_str();
        if std::env::var_os("HALLQ_WRITE_OPENAPI").is_some() {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(COMMITTED_PATH);
            std::fs::write(&path, generated).expect("write src/http/openapi.json");
            return;
        }
        let committed = committed();
        if committed != generated {
            let line = committed
                .lines()
                .zip(generated.lines())
                .position(|(a, b)| a != b)
                .unwrap_or_else(|| committed.lines().count().min(generated.lines().count()));
            panic!(
                "{COMMITTED_PATH} is not what the handlers and types generate (first \
                 difference at line {}: committed {:?}, generated {:?}).\nRegenerate it with \
                 `HALLQ_WRITE_OPENAPI=1 cargo test --lib openapi` and commit it.",
                line + 1,
                committed.lines().nth(line).unwrap_or("<end>"),
                generated.lines().nth(line).unwrap_or("<end>"),
            );
        }
    }

    /// Every error code the document names has a message (and so is a real code).
    #[test]
    fn every_named_code_has_a_message() {
        let doc: Value = serde_json::from_str(&DOCUMENT).expect("JSON");
        let mut seen = 0;
        for item in doc["paths"].as_object().expect("paths").values() {
            for op in item.as_object().expect("path item").values() {
                for (status, r) in op["responses"].as_object().expect("responses") {
                    if !status.starts_with('4') && !status.starts_with('5') {
                        continue;
                    }
                    let d = r["description"].as_str().unwrap_or_default();
                    let codes = named_codes(d);
                    assert!(!codes.is_empty(), "{status} {d:?} names no error code");
                    for code in codes {
                        seen += 1;
                        assert!(
                            crate::http::error::message_of(&code).is_some(),
                            "{code} (in {d:?}) has no message in config/messages.toml"
                        );
                    }
                }
            }
        }
        assert!(seen > 100, "only {seen} codes named");
    }

    /// No API route is registered past the document: every `.route("/api...")` in src/http is
    /// a route utoipa never sees. Register it with `routes!(handler)` and a
    /// `#[utoipa::path]` instead.
    #[test]
    fn no_api_route_is_left_out() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http");
        let mut undocumented = Vec::new();
        for entry in std::fs::read_dir(&dir).expect("src/http") {
            let path = entry.expect("entry").path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            // The central server is another program with its own routes (`hallq central serve`).
            if !name.ends_with(".rs") || name == "central.rs" || name == "openapi.rs" {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("read");
            let flat: String = text.split_whitespace().collect();
            for part in flat.split(".route(\"").skip(1) {
                let route = part.split('"').next().unwrap_or_default();
                let api = ["/api", "/healthz", "/readyz", "/metrics"]
                    .iter()
                    .any(|p| route.starts_with(p));
                if api {
                    undocumented.push(format!("{name}: {route}"));
                }
            }
        }
        assert!(
            undocumented.is_empty(),
            "routes registered with .route() are missing from the OpenAPI document: \
             {undocumented:?}; register them with utoipa_axum::routes!(handler) and give the \
             handler a #[utoipa::path] attribute"
        );
    }
}
