//! Manager reports: the live floor, waits and service times by group, the monthly staff
//! appraisal (量化考评) and their CSV/xlsx exports.
//!
//! Aggregation here is pure (rows in, report out); the SQL lives in `store::reports` and is
//! run by `query` through `store::ReportView` (typed rows from a read-only connection this
//! module never sees), never on the engine's thread.

pub mod appointments;
pub mod appraisal;
pub mod attendance;
pub mod audit;
pub mod export;
pub mod floor;
pub mod labels;
pub mod query;
pub mod stats;
pub mod waits;

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

/// Texts of the exports, from config/reports.toml (compiled in).
#[derive(Debug, Deserialize)]
pub struct Texts {
    pub columns: HashMap<String, String>,
    pub window_kinds: HashMap<String, String>,
    pub groupings: HashMap<String, String>,
    pub sheets: HashMap<String, String>,
    pub labels: HashMap<String, String>,
    pub components: HashMap<String, String>,
    /// Chinese labels of stored codes, by table (`events`, `reasons`, `outcomes`, ...).
    pub codes: HashMap<String, HashMap<String, String>>,
}

/// The export texts.
pub static TEXTS: LazyLock<Texts> = LazyLock::new(|| {
    toml::from_str(include_str!("../../config/reports.toml"))
        .expect("config/reports.toml has the tables columns, window_kinds, groupings, sheets, labels, components, codes")
});

impl Texts {
    fn get<'a>(map: &'a HashMap<String, String>, key: &'a str) -> &'a str {
        map.get(key).map_or(key, String::as_str)
    }
    /// A column header (the field name when none is configured).
    pub fn column<'a>(&'a self, field: &'a str) -> &'a str {
        Self::get(&self.columns, field)
    }
    pub fn sheet<'a>(&'a self, key: &'a str) -> &'a str {
        Self::get(&self.sheets, key)
    }
    pub fn label<'a>(&'a self, key: &'a str) -> &'a str {
        Self::get(&self.labels, key)
    }
    pub fn window_kind<'a>(&'a self, key: &'a str) -> &'a str {
        Self::get(&self.window_kinds, key)
    }
    pub fn component<'a>(&'a self, key: &'a str) -> &'a str {
        Self::get(&self.components, key)
    }
    pub fn grouping<'a>(&'a self, key: &'a str) -> &'a str {
        Self::get(&self.groupings, key)
    }
    /// The label of a stored code in one of the `[codes.*]` tables (the code when none).
    pub fn code<'a>(&'a self, table: &str, key: &'a str) -> &'a str {
        self.codes
            .get(table)
            .and_then(|m| m.get(key))
            .map_or(key, String::as_str)
    }
}

/// How the waits report groups tickets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    Window,
    WindowKind,
    Queue,
    Department,
    Clerk,
    Hour,
    Day,
    /// Walk-ins versus checked-in appointments (预约).
    Arrival,
}

impl GroupBy {
    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::Window => "window",
            GroupBy::WindowKind => "window_kind",
            GroupBy::Queue => "queue",
            GroupBy::Department => "department",
            GroupBy::Clerk => "clerk",
            GroupBy::Hour => "hour",
            GroupBy::Day => "day",
            GroupBy::Arrival => "arrival",
        }
    }
}

/// Round a share to four decimals (0.3333), as reports show it.
pub fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_exported_column_has_a_header() {
        for field in waits::COLUMNS
            .iter()
            .chain(appraisal::COLUMNS)
            .chain(appointments::COLUMNS)
        {
            assert!(TEXTS.columns.contains_key(*field), "no header for {field}");
        }
        for k in ["resident", "comprehensive", "poverty_alleviation"] {
            assert!(TEXTS.window_kinds.contains_key(k));
        }
        for g in [
            GroupBy::Window,
            GroupBy::WindowKind,
            GroupBy::Queue,
            GroupBy::Department,
            GroupBy::Clerk,
            GroupBy::Hour,
            GroupBy::Day,
            GroupBy::Arrival,
        ] {
            assert!(TEXTS.groupings.contains_key(g.as_str()));
        }
    }
}
