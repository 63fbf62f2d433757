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
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: String,
    pub kind: String,
    pub actor: String,
    /// The window the event happened at; absent (never null) when none did, so a client or a
    /// contract fuzzer following it to `/windows/{number}` only ever sees real numbers.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub window: Option<u32>,
    /// The ticket the event is about; absent (never null) when none.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub ticket_id: Option<i64>,
    /// The event as committed (reasons of out-of-order calls and no-shows are in here).
    pub details: serde_json::Value,
}

/// A LIKE pattern for kinds starting with `k` (`follow_up.`): its `%` and `_` match only
/// themselves.
fn kind_prefix(k: &str) -> String {
    format!(
        "{}%",
        k.replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    )
}

/// Entries matching `f`, newest first (the first page of `page`).
pub fn search(c: &Connection, f: &AuditFilter) -> Result<Vec<AuditEntry>> {
    Ok(page(c, f, 0)?.lines.into_iter().map(|l| l.entry).collect())
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
pub fn tickets_numbered(c: &Connection, day: &str, number: &str) -> Result<Vec<i64>> {
    let mut stmt =
        c.prepare_cached("SELECT id FROM tickets WHERE service_day = ?1 AND number = ?2")?;
    let ids = stmt
        .query_map(params![day, number], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<i64>>>()?;
    Ok(ids)
}

/// One entry of an audit page: the entry, the ticket it belongs to (follow-up events are
/// linked to their rating's ticket), and that ticket's number.
#[derive(Debug, Clone)]
pub struct AuditLine {
    pub entry: AuditEntry,
    pub ticket_number: Option<String>,
}

/// A page of the audit trail, newest first, with the number of entries that match.
#[derive(Debug, Clone)]
pub struct AuditPage {
    pub total: u64,
    pub lines: Vec<AuditLine>,
}

/// The ticket an event belongs to: its own, or for a follow-up event the ticket of the rating
/// it follows up.
const EVENT_TICKET: &str = "COALESCE(e.ticket_id, f.ticket_id)";

/// Entries matching `f`, `offset` entries in, at most `f.limit`. With `f.ticket_id` the time
/// range is not applied (a ticket's follow-up may close days later) and the follow-up events
/// of its rating are included.
pub fn page(c: &Connection, f: &AuditFilter, offset: u64) -> Result<AuditPage> {
    let kind_like = f.kind.as_deref().map(kind_prefix);
    let (from_ms, to_ms) = match f.ticket_id {
        Some(_) => (None, None),
        None => (f.from_ms, f.to_ms),
    };
    // Both arms of the ticket test can use an index (events_ticket, events_kind_at).
    let joins = "FROM events e
         LEFT JOIN follow_ups f ON e.ticket_id IS NULL AND e.kind LIKE 'follow_up.%'
              AND f.id = json_extract(e.payload, '$.id')";
    let filter = "WHERE (?1 IS NULL OR e.at_ms >= ?1) AND (?2 IS NULL OR e.at_ms < ?2)
           AND (?3 IS NULL OR e.window = ?3) AND (?4 IS NULL OR e.actor = ?4)
           AND (?5 IS NULL OR e.ticket_id = ?5
                OR (e.kind IN ('follow_up.verified', 'follow_up.closed', 'follow_up.appealed', 'follow_up.appeal_decided')
                    AND json_extract(e.payload, '$.id') = (SELECT id FROM follow_ups WHERE ticket_id = ?5)))
           AND (?6 IS NULL OR e.kind LIKE ?6 ESCAPE '\\')
           AND (?9 IS NULL OR json_extract(e.payload, '$.username') = ?9
                OR json_extract(e.payload, '$.clerk.username') = ?9
                OR (e.kind LIKE 'device.%' AND json_extract(e.payload, '$.id') = ?9))".to_string();
    let total: i64 = c
        .prepare_cached(&format!("SELECT COUNT(*) {joins} {filter}"))?
        .query_row(
            params![
                from_ms,
                to_ms,
                f.window,
                f.actor,
                f.ticket_id,
                kind_like,
                None::<i64>,
                None::<i64>,
                f.subject
            ],
            |r| r.get(0),
        )?;
    let mut stmt = c.prepare_cached(&format!(
        "SELECT e.seq, e.at, e.kind, e.actor, e.window, {EVENT_TICKET}, t.number, e.payload
         {joins} LEFT JOIN tickets t ON t.id = {EVENT_TICKET}
         {filter}
         ORDER BY e.seq DESC LIMIT ?7 OFFSET ?8"
    ))?;
    let rows = stmt.query_map(
        params![
            from_ms,
            to_ms,
            f.window,
            f.actor,
            f.ticket_id,
            kind_like,
            f.limit as i64,
            offset as i64,
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
                r.get::<_, Option<String>>(6)?,
                r.get::<_, String>(7)?,
            ))
        },
    )?;
    let mut lines = Vec::new();
    for row in rows {
        let (seq, at, kind, actor, window, ticket_id, ticket_number, payload) = row?;
        lines.push(AuditLine {
            entry: AuditEntry {
                seq,
                at,
                kind,
                actor,
                window,
                ticket_id,
                details: details(&payload)?,
            },
            ticket_number,
        });
    }
    Ok(AuditPage {
        total: total.max(0) as u64,
        lines,
    })
}

/// A stored event's payload without its `type` (the entry's `kind` says it).
fn details(payload: &str) -> Result<serde_json::Value> {
    let mut details: serde_json::Value =
        serde_json::from_str(payload).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    if let Some(o) = details.as_object_mut() {
        o.remove("type");
    }
    Ok(details)
}

/// Device ids and their kinds (to name a device actor in the audit trail).
pub fn device_kinds(c: &Connection) -> Result<Vec<(String, String)>> {
    let mut stmt = c.prepare_cached("SELECT id, kind FROM devices")?;
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}
