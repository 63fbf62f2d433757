//! A year of history for `hallq-bench reports`, written straight into a hall database: a
//! generator's fast path, not the engine's (the server has no bulk writer). The tables are the
//! server's, made by opening the database with `hallq::store::Store` first.

use rusqlite::{Connection, params};

/// Rows the report bench writes straight into the database.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    pub tickets: Vec<BulkTicket>,
    pub ratings: Vec<BulkRating>,
    pub events: Vec<BulkEvent>,
    /// (rated ticket id, department, state, result) of bad ratings' follow-ups.
    pub follow_ups: Vec<(i64, String, String, Option<String>)>,
}

/// A finished (or otherwise ended) ticket, as a generator makes it.
#[derive(Debug, Clone, Default)]
pub struct BulkTicket {
    pub id: i64,
    pub service_day: String,
    pub queue: String,
    pub original_queue: String,
    pub seq_no: u32,
    pub number: String,
    pub state: String,
    pub issued_ms: i64,
    pub first_called_ms: Option<i64>,
    pub called_ms: Option<i64>,
    pub started_ms: Option<i64>,
    pub finished_ms: Option<i64>,
    pub window: Option<u32>,
    pub clerk: Option<String>,
    pub transfer_count: u32,
}

/// A rating row (the ratings table of migration 2).
#[derive(Debug, Clone, Default)]
pub struct BulkRating {
    pub ticket_id: i64,
    pub level: String,
    pub window: Option<u32>,
    pub clerk: Option<String>,
    pub queue: String,
    pub department: String,
    pub service_day: String,
    pub rated_ms: i64,
}

/// An event row (payload is JSON text).
#[derive(Debug, Clone, Default)]
pub struct BulkEvent {
    pub seq: i64,
    pub at_ms: i64,
    pub kind: String,
    pub actor: String,
    pub window: Option<u32>,
    pub ticket_id: Option<i64>,
    pub payload: String,
}

impl Batch {
    /// Write the batch in one transaction.
    pub fn insert(&self, conn: &mut Connection) -> rusqlite::Result<()> {
        let b = self;
        let tx = conn.transaction()?;
        {
            let mut t = tx.prepare_cached(
                "INSERT INTO tickets(id, token, service_day, queue, original_queue, seq_no, number,
                    priority, state, issued_at_ms, queue_key, window, first_called_ms, called_ms,
                    started_ms, finished_ms, transfer_count, clerk, issued_by)
                 VALUES (?1, 'bulk-' || ?1, ?2, ?3, ?4, ?5, ?6, 'normal', ?7, ?8, ?8, ?9, ?10, ?11,
                    ?12, ?13, ?14, ?15, 'device:bulk')",
            )?;
            for x in &b.tickets {
                t.execute(params![
                    x.id,
                    x.service_day,
                    x.queue,
                    x.original_queue,
                    x.seq_no,
                    x.number,
                    x.state,
                    x.issued_ms,
                    x.window,
                    x.first_called_ms,
                    x.called_ms,
                    x.started_ms,
                    x.finished_ms,
                    x.transfer_count,
                    x.clerk,
                ])?;
            }
            let mut r = tx.prepare_cached(
                "INSERT INTO ratings(ticket_id, level, source, window, clerk, queue, department,
                    service_day, rated_ms) VALUES (?1, ?2, 'evaluator', ?3, ?4, ?5, ?6, ?7, ?8)",
            )?;
            for x in &b.ratings {
                r.execute(params![
                    x.ticket_id,
                    x.level,
                    x.window,
                    x.clerk,
                    x.queue,
                    x.department,
                    x.service_day,
                    x.rated_ms,
                ])?;
            }
            let mut f = tx.prepare_cached(
                "INSERT INTO follow_ups(ticket_id, department, opened_ms, due_ms, state, result)
                 VALUES (?1, ?2, 0, 0, ?3, ?4)",
            )?;
            for (id, dept, state, result) in &b.follow_ups {
                f.execute(params![id, dept, state, result])?;
            }
            let mut e = tx.prepare_cached(
                "INSERT INTO events(seq, at, at_ms, kind, actor, window, ticket_id, payload)
                 VALUES (?1, '', ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for x in &b.events {
                e.execute(params![
                    x.seq,
                    x.at_ms,
                    x.kind,
                    x.actor,
                    x.window,
                    x.ticket_id,
                    x.payload,
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }
}
