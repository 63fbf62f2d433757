//! Today's window pauses, resumes and sign-outs read back from the event log at start, so the
//! hall relearns how long today's pauses ran (a paused clerk's expected return) and which
//! scheduled breaks were taken, as it had learned them live.

use jiff::Timestamp;
use jiff::civil::Date;
use rusqlite::{Connection, params};

use super::{Result, StoreError};
use crate::domain::Event;

/// The window events of `today` (by the local date their `at` begins with), oldest first.
pub fn today(conn: &Connection, today: Date) -> Result<Vec<(Timestamp, Event)>> {
    // `at` is local time with its offset: it begins with the hall's date. `at_ms` (indexed)
    // narrows the scan to the day and a margin for any offset.
    let from_ms = jiff::tz::TimeZone::UTC
        .to_timestamp(today.to_datetime(jiff::civil::Time::midnight()))
        .map_or(0, |t| t.as_millisecond())
        - 15 * 3_600_000;
    let mut stmt = conn.prepare(
        "SELECT at_ms, payload FROM events
         WHERE at_ms >= ?1 AND substr(at, 1, 10) = ?2
           AND kind IN ('window.paused', 'window.resumed', 'window.signed_out')
         ORDER BY seq",
    )?;
    let rows = stmt.query_map(params![from_ms, today.to_string()], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (ms, payload) = row?;
        let at = Timestamp::from_millisecond(ms).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let event: Event =
            serde_json::from_str(&payload).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        out.push((at, event));
    }
    Ok(out)
}
