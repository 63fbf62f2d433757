//! The uplink's mark: the last event seq the central database has committed, per hall id.
//! Read on the uplink's read-only connection; written on a short-lived connection of its own
//! (one tiny row, after each central commit), never through the engine.

use std::path::Path;

use rusqlite::{Connection, OpenFlags, params};

use super::{Reader, Result, configure, none_if_missing};

impl Reader {
    /// The shipped mark of `hall_id` (0 when nothing was shipped yet).
    pub fn uplink_mark(&self, hall_id: &str) -> Result<u64> {
        self.with(|c| {
            let n: Option<i64> = c
                .query_row(
                    "SELECT shipped_seq FROM uplink_mark WHERE hall_id = ?1",
                    [hall_id],
                    |r| r.get(0),
                )
                .map(Some)
                .or_else(none_if_missing)?;
            Ok(n.unwrap_or(0).max(0) as u64)
        })
    }

    /// The newest committed event's seq (0 when none).
    pub fn last_event_seq(&self) -> Result<u64> {
        self.with(|c| {
            let n: i64 =
                c.query_row("SELECT COALESCE(MAX(seq), 0) FROM events", [], |r| r.get(0))?;
            Ok(n.max(0) as u64)
        })
    }
}

/// Advance the shipped mark of `hall_id` to `seq` (never backwards).
pub fn set_uplink_mark(db: &Path, hall_id: &str, seq: u64, now_ms: i64) -> Result<()> {
    let c = Connection::open_with_flags(
        db,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    configure(&c)?;
    c.execute(
        "INSERT INTO uplink_mark(hall_id, shipped_seq, shipped_ms) VALUES (?1, ?2, ?3)
         ON CONFLICT (hall_id) DO UPDATE SET shipped_seq = MAX(shipped_seq, excluded.shipped_seq),
             shipped_ms = excluded.shipped_ms",
        params![hall_id, seq as i64, now_ms],
    )?;
    Ok(())
}
