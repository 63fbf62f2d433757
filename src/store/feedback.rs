//! Ratings and follow-ups: rows, restore, and the managers' follow-up list.

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};
use serde::Serialize;

use super::{Result, StoreError};
use crate::domain::rating::{
    FollowUp, FollowUpResult, FollowUpState, Rating, RatingLevel, RatingSource,
};
use crate::domain::ticket::TicketId;

pub fn insert_rating(tx: &Transaction<'_>, r: &Rating) -> Result<()> {
    let reasons =
        serde_json::to_string(&r.reasons).map_err(|e| StoreError::Other(e.to_string()))?;
    tx.prepare_cached(
        "INSERT INTO ratings(ticket_id, level, reasons, comment, source, window, clerk, queue, department, service_day, rated_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        r.ticket.0,
        r.level.as_str(),
        reasons,
        r.comment,
        r.source.as_str(),
        r.window,
        r.clerk,
        r.queue,
        r.department,
        r.service_day.to_string(),
        r.rated_at.as_millisecond(),
    ])?;
    Ok(())
}

/// Migration: who appealed a follow-up (申诉) and on what grounds, for the second manager.
pub const APPEAL_MIGRATION: &str = r#"
    ALTER TABLE follow_ups ADD COLUMN appeal_by TEXT;
    ALTER TABLE follow_ups ADD COLUMN appeal_note TEXT;
"#;

pub fn upsert_follow_up(tx: &Transaction<'_>, f: &FollowUp) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO follow_ups(id, ticket_id, department, opened_ms, due_ms, state, verification, result, note, closed_by, closed_ms, appeal_by, appeal_note)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
         ON CONFLICT(id) DO UPDATE SET state=excluded.state, verification=excluded.verification,
           result=excluded.result, note=excluded.note, closed_by=excluded.closed_by, closed_ms=excluded.closed_ms,
           appeal_by=excluded.appeal_by, appeal_note=excluded.appeal_note",
    )?
    .execute(params![
        f.id,
        f.ticket.0,
        f.department,
        f.opened_at.as_millisecond(),
        f.due_at.as_millisecond(),
        f.state.as_str(),
        f.verification,
        f.result.map(FollowUpResult::as_str),
        f.note,
        f.closed_by,
        f.closed_at.map(|t| t.as_millisecond()),
        f.appeal_by,
        f.appeal_note,
    ])?;
    Ok(())
}

fn ts(ms: i64) -> Result<Timestamp> {
    Timestamp::from_millisecond(ms).map_err(|e| StoreError::Corrupt(e.to_string()))
}

const FOLLOW_UP_COLUMNS: &str = "f.id, f.ticket_id, f.department, f.opened_ms, f.due_ms, f.state, f.verification, f.result, f.note, f.closed_by, f.closed_ms, f.appeal_by, f.appeal_note";

fn follow_up_from_row(r: &Row<'_>) -> rusqlite::Result<Result<FollowUp>> {
    let state: String = r.get(5)?;
    let result: Option<String> = r.get(7)?;
    let (opened, due, closed): (i64, i64, Option<i64>) = (r.get(3)?, r.get(4)?, r.get(10)?);
    let appeal: (Option<String>, Option<String>) = (r.get(11)?, r.get(12)?);
    let f = (
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(6)?,
        r.get(8)?,
        r.get(9)?,
    );
    Ok((|| {
        Ok(FollowUp {
            id: f.0,
            ticket: TicketId(f.1),
            department: f.2,
            opened_at: ts(opened)?,
            due_at: ts(due)?,
            state: FollowUpState::parse(&state)
                .ok_or_else(|| StoreError::Corrupt(state.clone()))?,
            verification: f.3,
            result: match result {
                Some(r) => Some(FollowUpResult::parse(&r).ok_or(StoreError::Corrupt(r))?),
                None => None,
            },
            note: f.4,
            closed_by: f.5,
            closed_at: closed.map(ts).transpose()?,
            appeal_by: appeal.0,
            appeal_note: appeal.1,
        })
    })())
}

/// Rated tickets of service days since `since`, follow-ups not closed, the next follow-up id.
pub fn restore(
    c: &Connection,
    since: jiff::civil::Date,
) -> Result<(Vec<TicketId>, Vec<FollowUp>, i64)> {
    let rated = c
        .prepare("SELECT ticket_id FROM ratings WHERE service_day >= ?1")?
        .query_map([since.to_string()], |r| Ok(TicketId(r.get(0)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let open = c
        .prepare(&format!(
            "SELECT {FOLLOW_UP_COLUMNS} FROM follow_ups f WHERE f.state != 'closed'"
        ))?
        .query_map([], follow_up_from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?
        .into_iter()
        .collect::<Result<Vec<_>>>()?;
    let next: i64 = c.query_row("SELECT COALESCE(MAX(id), 0) + 1 FROM follow_ups", [], |r| {
        r.get(0)
    })?;
    Ok((rated, open, next))
}

/// A rating as managers and exports read it, with both external code sets.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RatingRow {
    pub ticket_id: i64,
    pub number: String,
    pub level: RatingLevel,
    /// GB/T 39046 code: 1 = 非常满意 … 5 = 非常不满意.
    pub gbt39046_code: u8,
    /// Provincial interface code: 5 = 非常满意 … 1 = 非常不满意.
    pub provincial_code: u8,
    pub reasons: Vec<String>,
    pub comment: Option<String>,
    pub source: RatingSource,
    pub window: Option<u32>,
    pub clerk: Option<String>,
    pub queue: String,
    pub department: String,
    pub service_day: String,
    pub rated_ms: i64,
}

/// A follow-up with what the manager needs to act on it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FollowUpRow {
    pub id: i64,
    pub state: FollowUpState,
    pub department: String,
    pub opened_ms: i64,
    pub due_ms: i64,
    pub overdue: bool,
    pub verification: Option<String>,
    pub result: Option<FollowUpResult>,
    pub note: Option<String>,
    pub closed_by: Option<String>,
    pub closed_ms: Option<i64>,
    /// Who appealed (申诉), if anyone did; with `state: appealing` a second manager decides,
    /// with `verified` the appeal was rejected (`note` says why).
    pub appeal_by: Option<String>,
    pub appeal_note: Option<String>,
    pub rating: RatingRow,
}

fn rating_from_row(r: &Row<'_>, at: usize) -> rusqlite::Result<Result<RatingRow>> {
    let level: String = r.get(at + 2)?;
    let reasons: String = r.get(at + 3)?;
    let source: String = r.get(at + 5)?;
    let row = (
        r.get::<_, i64>(at)?,
        r.get::<_, String>(at + 1)?,
        r.get::<_, Option<String>>(at + 4)?,
        r.get::<_, Option<u32>>(at + 6)?,
        r.get::<_, Option<String>>(at + 7)?,
        r.get::<_, String>(at + 8)?,
        r.get::<_, String>(at + 9)?,
        r.get::<_, String>(at + 10)?,
        r.get::<_, i64>(at + 11)?,
    );
    Ok((|| {
        let level = RatingLevel::parse(&level).ok_or_else(|| StoreError::Corrupt(level.clone()))?;
        Ok(RatingRow {
            ticket_id: row.0,
            number: row.1,
            level,
            gbt39046_code: level.gbt39046_code(),
            provincial_code: level.provincial_code(),
            reasons: serde_json::from_str(&reasons)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            comment: row.2,
            source: RatingSource::parse(&source).ok_or(StoreError::Corrupt(source))?,
            window: row.3,
            clerk: row.4,
            queue: row.5,
            department: row.6,
            service_day: row.7,
            rated_ms: row.8,
        })
    })())
}

const RATING_COLUMNS: &str = "r.ticket_id, t.number, r.level, r.reasons, r.comment, r.source, r.window, r.clerk, r.queue, r.department, r.service_day, r.rated_ms";

/// Follow-ups, newest first, filtered by state and department.
pub fn follow_ups(
    c: &Connection,
    state: Option<&str>,
    department: Option<&str>,
    now_ms: i64,
    limit: usize,
) -> Result<Vec<FollowUpRow>> {
    search(c, None, state, department, now_ms, limit)
}

/// One follow-up by id.
pub fn follow_up(c: &Connection, id: i64, now_ms: i64) -> Result<Option<FollowUpRow>> {
    Ok(search(c, Some(id), None, None, now_ms, 1)?.pop())
}

impl super::Reader {
    /// Follow-ups by state and department, as of `now_ms` (overdue ones say so).
    pub fn follow_ups(
        &self,
        state: Option<&str>,
        department: Option<&str>,
        now_ms: i64,
        limit: usize,
    ) -> Result<Vec<FollowUpRow>> {
        self.with(|c| follow_ups(c, state, department, now_ms, limit))
    }

    /// One follow-up, as of `now_ms`.
    pub fn follow_up(&self, id: i64, now_ms: i64) -> Result<Option<FollowUpRow>> {
        self.with(|c| follow_up(c, id, now_ms))
    }
}

fn search(
    c: &Connection,
    id: Option<i64>,
    state: Option<&str>,
    department: Option<&str>,
    now_ms: i64,
    limit: usize,
) -> Result<Vec<FollowUpRow>> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {FOLLOW_UP_COLUMNS}, {RATING_COLUMNS} FROM follow_ups f
         JOIN ratings r ON r.ticket_id = f.ticket_id JOIN tickets t ON t.id = f.ticket_id
         WHERE (?1 IS NULL OR f.state = ?1) AND (?2 IS NULL OR f.department = ?2)
           AND (?4 IS NULL OR f.id = ?4)
         ORDER BY f.id DESC LIMIT ?3"
    ))?;
    let rows = stmt.query_map(params![state, department, limit as i64, id], |r| {
        Ok((follow_up_from_row(r)?, rating_from_row(r, 13)?))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (f, rating) = row?;
        let (f, rating) = (f?, rating?);
        out.push(FollowUpRow {
            id: f.id,
            state: f.state,
            department: f.department,
            opened_ms: f.opened_at.as_millisecond(),
            due_ms: f.due_at.as_millisecond(),
            overdue: f.state != FollowUpState::Closed && f.due_at.as_millisecond() < now_ms,
            verification: f.verification,
            result: f.result,
            note: f.note,
            closed_by: f.closed_by,
            closed_ms: f.closed_at.map(|t| t.as_millisecond()),
            appeal_by: f.appeal_by,
            appeal_note: f.appeal_note,
            rating,
        });
    }
    Ok(out)
}

/// The follow-up opened for a ticket's rating, if any.
pub fn follow_up_of(c: &Connection, ticket: i64) -> Result<Option<i64>> {
    Ok(
        c.prepare_cached("SELECT id FROM follow_ups WHERE ticket_id = ?1")?
            .query_row([ticket], |r| r.get(0))
            .optional()?,
    )
}

/// The rating of one ticket, if rated.
pub fn rating_of(c: &Connection, ticket: i64) -> Result<Option<RatingRow>> {
    let found = c
        .prepare_cached(&format!(
            "SELECT {RATING_COLUMNS} FROM ratings r JOIN tickets t ON t.id = r.ticket_id WHERE r.ticket_id = ?1"
        ))?
        .query_row([ticket], |r| rating_from_row(r, 0))
        .optional()?;
    found.transpose()
}
