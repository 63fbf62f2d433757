//! `GET /api/v1/reasons` (public): the reason codes a clerk picks, with their labels from
//! config/reasons.toml and the operations that offer them, so the console, the wall and the
//! window screen (午休，13:30恢复) all say the same words for the one stored code.

use std::collections::HashMap;
use std::sync::LazyLock;

use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use crate::domain::reason::{ReasonCode, ReasonUse};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Label {
    zh: String,
    en: String,
}

static LABELS: LazyLock<HashMap<String, Label>> = LazyLock::new(|| {
    toml::from_str(include_str!("../../config/reasons.toml")).expect("config/reasons.toml parses")
});

/// One code as screens list it.
#[derive(Serialize, utoipa::ToSchema)]
struct ReasonLabel {
    code: ReasonCode,
    zh: &'static str,
    en: &'static str,
    /// The clerk operations that offer this code.
    #[serde(rename = "for")]
    #[schema(value_type = Vec<ReasonUse>)]
    offered_for: &'static [ReasonUse],
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_reasons))
}

fn labels() -> Vec<ReasonLabel> {
    ReasonCode::ALL
        .iter()
        .map(|&code| {
            let label = LABELS.get(&code.name());
            ReasonLabel {
                code,
                zh: label.map_or("", |l| l.zh.as_str()),
                en: label.map_or("", |l| l.en.as_str()),
                offered_for: code.offered_for(),
            }
        })
        .collect()
}

/// The reason codes with their Chinese and English labels (public).
#[utoipa::path(get, path = "/api/v1/reasons", tag = "windows", operation_id = "listReasons",
    responses((status = 200, description = "Every reason code, its labels and the operations that offer it", body = Vec<ReasonLabel>)))]
async fn list_reasons() -> Response {
    axum::Json(labels()).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_both_labels_and_no_label_is_stray() {
        for l in labels() {
            assert!(!l.zh.is_empty() && !l.en.is_empty(), "{:?}", l.code);
            assert!(!l.offered_for.is_empty(), "{:?}", l.code);
        }
        let codes: Vec<String> = ReasonCode::ALL.iter().map(|c| c.name()).collect();
        for k in LABELS.keys() {
            assert!(codes.contains(k), "config/reasons.toml names no code {k}");
        }
    }
}
