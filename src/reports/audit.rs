//! The audit trail as managers read it: a page of entries with the total that match, every code
//! in Chinese from the one label table (`[codes.*]` in config/reports.toml), actors by their
//! display names, follow-up events linked to their ticket, and the CSV/xlsx export of the
//! whole search. The SQL is `store::audit`; the words are built here, purely.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::Value;

use super::TEXTS;
use super::export::{self, Cell, Summary, Table, hms, local_time};
use super::labels::reason_label;
use crate::domain::Plan;
use crate::store::audit::{AuditFilter, AuditLine};
use crate::store::{Reader, Result};

/// Most entries one page shows.
pub const MAX_PAGE: usize = 1000;
/// Most entries one export holds (a busy month); the summary sheet says when it was cut.
pub const MAX_EXPORT: usize = 200_000;

/// Exported columns, in order.
pub const COLUMNS: &[&str] = &[
    "seq",
    "at",
    "kind_label",
    "actor_name",
    "window",
    "ticket_number",
    "summary",
    "kind",
    "actor",
];

/// One entry as a manager reads it.
#[derive(Debug, Clone, Serialize)]
pub struct AuditRow {
    pub seq: i64,
    /// RFC 3339, the hall's offset.
    pub at: String,
    /// The event kind (`ticket.no_show`) and its label (过号).
    pub kind: String,
    pub kind_label: String,
    /// The audit label (`staff:clerk1`, `device:kiosk-1`) and its display name.
    pub actor: String,
    pub actor_name: String,
    pub window: Option<u32>,
    /// The ticket the entry belongs to (a follow-up's is its rating's ticket).
    pub ticket_id: Option<i64>,
    pub ticket_number: Option<String>,
    /// What happened, in Chinese: reasons, outcome, transfer, rating, follow-up result.
    pub summary: String,
    /// The event as committed.
    pub details: Value,
}

/// A page of the audit trail.
#[derive(Debug, Clone, Serialize)]
pub struct AuditPage {
    /// Entries that match the search.
    pub total: u64,
    pub offset: u64,
    pub limit: usize,
    /// Newest first.
    pub entries: Vec<AuditRow>,
}

/// Display names: staff by username, devices' kinds by id, queues by id.
#[derive(Debug, Default)]
pub struct Names {
    pub staff: HashMap<String, String>,
    pub devices: HashMap<String, String>,
    pub queues: HashMap<String, String>,
}

impl Names {
    /// An actor's display name: `李红（clerk1）`, `取号机 kiosk-1`, `群众（手机）`, `系统`.
    pub fn actor(&self, actor: &str) -> String {
        if let Some(u) = actor.strip_prefix("staff:") {
            return match self.staff.get(u) {
                Some(name) => format!("{name}（{u}）"),
                None => u.to_string(),
            };
        }
        if let Some(id) = actor.strip_prefix("device:") {
            return match self.devices.get(id) {
                Some(kind) => format!("{} {id}", TEXTS.code("devices", kind)),
                None => id.to_string(),
            };
        }
        TEXTS.code("actors", actor).to_string()
    }

    fn queue(&self, id: &str) -> String {
        self.queues
            .get(id)
            .cloned()
            .unwrap_or_else(|| id.to_string())
    }
}

fn put(parts: &mut Vec<String>, line: &str, x: &str) {
    parts.push(TEXTS.code("audit", line).replace("{x}", x));
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

/// What an entry says, in Chinese.
pub fn summary(kind: &str, d: &Value, names: &Names) -> String {
    let mut parts = Vec::new();
    match (kind, text(d, "reason")) {
        ("ticket.called", Some(r)) => put(&mut parts, "reason", TEXTS.code("call_reasons", &r)),
        ("window.signed_out", Some(r)) => put(&mut parts, "sign_out", TEXTS.code("sign_out", &r)),
        (_, Some(r)) => put(&mut parts, "reason", &reason_label(&r)),
        _ => {}
    }
    if let Some(n) = text(d, "note") {
        put(&mut parts, "note", &reason_label(&n));
    }
    if let Some(o) = text(d, "outcome") {
        put(&mut parts, "outcome", TEXTS.code("outcomes", &o));
    }
    if let Some(s) = d.get("service_s").and_then(Value::as_u64) {
        put(&mut parts, "service", &hms(s));
    }
    if let Some(q) = text(d, "to_queue") {
        let mut to = names.queue(&q);
        if let Some(w) = d.get("to_window").and_then(Value::as_u64) {
            to = format!(
                "{to} {}",
                TEXTS.code("audit", "window").replace("{x}", &w.to_string())
            );
        }
        put(&mut parts, "to", &to);
    }
    if let Some(p) = text(d, "position") {
        put(&mut parts, "position", TEXTS.code("positions", &p));
    }
    if let Some(n) = d.get("recall_count").and_then(Value::as_u64) {
        put(&mut parts, "recall", &n.to_string());
    }
    if let Some(name) = d.pointer("/clerk/name").and_then(Value::as_str) {
        put(&mut parts, "clerk", name);
    }
    if let Some(l) = text(d, "level") {
        put(&mut parts, "level", TEXTS.code("levels", &l));
    }
    if let Some(r) = text(d, "result") {
        put(&mut parts, "result", TEXTS.code("follow_up_results", &r));
    }
    if let Some(due) = text(d, "due_at") {
        put(&mut parts, "due", &local_time(&due));
    }
    if let (Some(day), Some(start)) = (
        d.pointer("/appointment/day").and_then(Value::as_str),
        d.pointer("/appointment/start").and_then(Value::as_str),
    ) {
        put(&mut parts, "slot", &format!("{day} {start}"));
    }
    parts.join("；")
}

/// An entry for a manager.
pub fn row(line: AuditLine, names: &Names) -> AuditRow {
    let e = line.entry;
    AuditRow {
        kind_label: TEXTS.code("events", &e.kind).to_string(),
        actor_name: names.actor(&e.actor),
        summary: summary(&e.kind, &e.details, names),
        seq: e.seq,
        at: e.at,
        kind: e.kind,
        actor: e.actor,
        window: e.window,
        ticket_id: e.ticket_id,
        ticket_number: line.ticket_number,
        details: e.details,
    }
}

/// What to look for.
#[derive(Debug, Clone, Default)]
pub struct Search {
    pub filter: AuditFilter,
    /// A ticket number on this service day (`YYYY-MM-DD`), when the filter has no ticket id.
    pub ticket_number: Option<(String, String)>,
    pub offset: u64,
}

/// A page of the audit trail.
pub fn page(reader: &Reader, plan: &Plan, search: Search) -> Result<AuditPage> {
    reader.report(|c| {
        let mut f = search.filter.clone();
        if let Some((day, number)) = &search.ticket_number {
            // An unknown number matches nothing (id 0 is never a ticket's).
            f.ticket_id = Some(
                c.tickets_numbered(day, &number.to_ascii_uppercase())?
                    .first()
                    .copied()
                    .unwrap_or(0),
            );
        }
        let names = Names {
            staff: c
                .staff_names()?
                .into_iter()
                .map(|s| (s.username, s.name))
                .collect(),
            devices: c.device_kinds()?.into_iter().collect(),
            queues: plan
                .queues
                .iter()
                .map(|q| (q.id.clone(), q.name.clone()))
                .collect(),
        };
        let p = c.audit_page(&f, search.offset)?;
        Ok(AuditPage {
            total: p.total,
            offset: search.offset,
            limit: f.limit,
            entries: p.lines.into_iter().map(|l| row(l, &names)).collect(),
        })
    })
}

fn table(p: &AuditPage) -> Table {
    let rows = p
        .entries
        .iter()
        .map(|e| {
            COLUMNS
                .iter()
                .map(|c| match *c {
                    "seq" => Cell::Int(e.seq),
                    "at" => Cell::DateTime(local_time(&e.at)),
                    "kind_label" => Cell::Text(e.kind_label.clone()),
                    "actor_name" => Cell::Text(e.actor_name.clone()),
                    "window" => e.window.map_or(Cell::Empty, |w| Cell::Int(i64::from(w))),
                    "ticket_number" => e.ticket_number.clone().map_or(Cell::Empty, Cell::Text),
                    "summary" => Cell::Text(e.summary.clone()),
                    "kind" => Cell::Text(e.kind.clone()),
                    _ => Cell::Text(e.actor.clone()),
                })
                .collect()
        })
        .collect();
    Table {
        columns: COLUMNS.to_vec(),
        rows,
    }
}

/// The search as CSV.
pub fn csv(p: &AuditPage) -> Vec<u8> {
    export::csv(&table(p))
}

/// The search as a workbook; `what` names the search on the summary sheet.
pub fn xlsx(
    p: &AuditPage,
    what: &str,
    generated: &str,
) -> std::result::Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let lines = vec![
        export::line(TEXTS.sheet("audit_search"), Cell::Text(what.to_string())),
        export::line(
            TEXTS.sheet("generated"),
            Cell::DateTime(local_time(generated)),
        ),
        (
            TEXTS.sheet("audit_count").to_string(),
            vec![Cell::Int(p.entries.len() as i64), Cell::Int(p.total as i64)],
        ),
    ];
    let summary = Summary {
        title: TEXTS.sheet("audit_title").to_string(),
        lines,
        total: None,
        after: None,
        chart: vec![],
        definitions: vec![TEXTS.sheet("definition_audit").to_string()],
    };
    export::xlsx(&table(p), &summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn names() -> Names {
        Names {
            staff: HashMap::from([("clerk1".into(), "李红".into())]),
            devices: HashMap::from([("kiosk-1".into(), "kiosk".into())]),
            queues: HashMap::from([("hj".into(), "户籍业务".into())]),
        }
    }

    #[test]
    fn actors_read_by_their_names() {
        let n = names();
        assert_eq!(n.actor("staff:clerk1"), "李红（clerk1）");
        assert_eq!(n.actor("device:kiosk-1"), "取号机 kiosk-1");
        assert_eq!(n.actor("citizen"), "群众（手机）");
        assert_eq!(n.actor("system"), "系统");
        assert_eq!(n.actor("staff:gone"), "gone");
    }

    #[test]
    fn entries_read_in_chinese_without_raw_codes() {
        let n = names();
        for (kind, details, said) in [
            (
                "ticket.no_show",
                json!({"reason": "not_present"}),
                "原因：未到",
            ),
            ("window.paused", json!({"reason": "lunch"}), "原因：午休"),
            (
                "window.paused",
                json!({"reason": "meeting: 党建"}),
                "原因：会议：党建",
            ),
            (
                "ticket.called",
                json!({"reason": "specific", "note": "materials_back"}),
                "原因：特呼；说明：补齐材料返回",
            ),
            (
                "ticket.finished",
                json!({"outcome": "supplement", "service_s": 730}),
                "办结：补办件；办理用时 0:12:10",
            ),
            (
                "ticket.transferred",
                json!({"to_queue": "hj", "to_window": 12, "position": "original"}),
                "转至：户籍业务 12号窗口；按原取号时间",
            ),
            (
                "follow_up.closed",
                json!({"id": 3, "result": "appealed"}),
                "结果：申诉",
            ),
            (
                "window.signed_out",
                json!({"reason": "day_end", "clerk": {"username": "clerk1", "name": "李红"}}),
                "日终自动签退；工作人员：李红",
            ),
        ] {
            assert_eq!(summary(kind, &details, &n), said, "{kind} {details}");
        }
    }
}
