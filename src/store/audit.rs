//! The audit trail: every committed command's events with actor, window and time.

use rusqlite::{Connection, params};
use serde::Serialize;

use super::{Result, StoreError};

/// What to look for; every field narrows the search.
#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    /// [from, to) in unix ms.
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    pub window: Option<u32>,
    /// The actor label, e.g. `staff:clerk1` or `device:kiosk-1`.
    pub actor: Option<String>,
    pub ticket_id: Option<i64>,
    /// Event type prefix, e.g. `ticket.` or `window.paused`.
    pub kind: Option<String>,
    pub limit: usize,
}

/// One audit entry.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: String,
    pub kind: String,
    pub actor: String,
    pub window: Option<u32>,
    pub ticket_id: Option<i64>,
    /// The event as committed (reasons of out-of-order calls and no-shows are in here).
    pub details: serde_json::Value,
}

/// Entries matching `f`, newest first.
pub fn search(c: &Connection, f: &AuditFilter) -> Result<Vec<AuditEntry>> {
    let kind_like = f
        .kind
        .as_ref()
        .map(|k| format!("{}%", k.replace(['%', '_'], "")));
    let mut stmt = c.prepare_cached(
        "SELECT seq, at, kind, actor, window, ticket_id, payload FROM events
         WHERE (?1 IS NULL OR at_ms >= ?1) AND (?2 IS NULL OR at_ms < ?2)
           AND (?3 IS NULL OR window = ?3) AND (?4 IS NULL OR actor = ?4)
           AND (?5 IS NULL OR ticket_id = ?5) AND (?6 IS NULL OR kind LIKE ?6)
         ORDER BY seq DESC LIMIT ?7",
    )?;
    let rows = stmt.query_map(
        params![
            f.from_ms,
            f.to_ms,
            f.window,
            f.actor,
            f.ticket_id,
            kind_like,
            f.limit as i64
        ],
        |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<u32>>(4)?,
                r.get::<_, Option<i64>>(5)?,
                r.get::<_, String>(6)?,
            ))
        },
    )?;
    let mut out = Vec::new();
    for row in rows {
        let (seq, at, kind, actor, window, ticket_id, payload) = row?;
        let mut details: serde_json::Value =
            serde_json::from_str(&payload).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        if let Some(o) = details.as_object_mut() {
            o.remove("type");
        }
        out.push(AuditEntry {
            seq,
            at,
            kind,
            actor,
            window,
            ticket_id,
            details,
        });
    }
    Ok(out)
}

/// Ids of the tickets numbered `number` on `day`.
pub fn tickets_numbered(c: &Connection, day: &str, number: &str) -> Result<Vec<i64>> {
    let mut stmt =
        c.prepare_cached("SELECT id FROM tickets WHERE service_day = ?1 AND number = ?2")?;
    let ids = stmt
        .query_map(params![day, number], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<i64>>>()?;
    Ok(ids)
}
