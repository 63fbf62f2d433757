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
    /// Whom the event is about: a username (accounts, sessions, a window's clerk) or a
    /// device id.
    pub subject: Option<String>,
    pub limit: usize,
}

/// One audit entry.
#[derive(Debug, Clone, Serialize)]
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
    let kind_like = f.kind.as_ref().map(|k| {
        format!(
            "{}%",
            k.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        )
    });
    let mut stmt = c.prepare_cached(
        "SELECT seq, at, kind, actor, window, ticket_id, payload FROM events
         WHERE (?1 IS NULL OR at_ms >= ?1) AND (?2 IS NULL OR at_ms < ?2)
           AND (?3 IS NULL OR window = ?3) AND (?4 IS NULL OR actor = ?4)
           AND (?5 IS NULL OR ticket_id = ?5) AND (?6 IS NULL OR kind LIKE ?6 ESCAPE '\\')
           AND (?8 IS NULL OR json_extract(payload, '$.username') = ?8
                OR json_extract(payload, '$.clerk.username') = ?8
                OR (kind LIKE 'device.%' AND json_extract(payload, '$.id') = ?8))
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
            f.limit as i64,
            f.subject
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

/// Entries matching `f`; with `ticket` (an id, or a number of `day`), those of that ticket,
/// or of every ticket so numbered that day. Newest first.
pub fn search_tickets(
    c: &Connection,
    f: &AuditFilter,
    ticket: &str,
    day: Option<&str>,
) -> Result<Vec<AuditEntry>> {
    let ids = match ticket.parse::<i64>() {
        Ok(id) => vec![id],
        Err(_) => tickets_numbered(c, day.unwrap_or_default(), &ticket.to_ascii_uppercase())?,
    };
    let mut all = Vec::new();
    for id in ids {
        all.extend(search(
            c,
            &AuditFilter {
                ticket_id: Some(id),
                ..f.clone()
            },
        )?);
    }
    all.sort_by_key(|e| std::cmp::Reverse(e.seq));
    Ok(all)
}

impl super::Reader {
    /// The audit trail: entries matching `f`, or those of `ticket` (see `search_tickets`).
    pub fn audit(
        &self,
        f: &AuditFilter,
        ticket: Option<&str>,
        day: Option<&str>,
    ) -> Result<Vec<AuditEntry>> {
        self.with(|c| match ticket {
            Some(t) => search_tickets(c, f, t, day),
            None => search(c, f),
        })
    }
}

/// Ids of the tickets numbered `number` on `day`.
fn tickets_numbered(c: &Connection, day: &str, number: &str) -> Result<Vec<i64>> {
    let mut stmt =
        c.prepare_cached("SELECT id FROM tickets WHERE service_day = ?1 AND number = ?2")?;
    let ids = stmt
        .query_map(params![day, number], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<i64>>>()?;
    Ok(ids)
}
