//! Archives: closed service days moved out of the live database into an archive file of the
//! same schema, and the read side that lets reports see them again.
//!
//! Moving is copy, verify, delete: the days' tickets, their ratings and follow-ups, and the
//! events committed before the cut go into the archive (`INSERT OR IGNORE`, so a re-run after
//! a crash adds nothing twice) and are committed there; every live row to be moved must then
//! be found, column for column, in the archive; only then, in one live transaction that checks
//! that again, are they deleted and the archive recorded in `archives` (hall migration 9).
//! Reports ask `day_sources` / `time_sources` which schemas hold a range: the recorded archives
//! it touches, attached read-only on first use, then `main`.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, params};

use super::{Result, StoreError, configure};

/// Migration step (appended to `schema::MIGRATIONS`): where archived days went.
pub const MIGRATION: &str = r#"
    CREATE TABLE archives (
        path        TEXT    PRIMARY KEY,
        first_day   TEXT    NOT NULL,
        last_day    TEXT    NOT NULL,
        last_ms     INTEGER NOT NULL,
        archived_ms INTEGER NOT NULL
    );
"#;

/// What to move: service days before `before` (`YYYY-MM-DD`), events committed before
/// `cut_ms` (the hall's midnight starting `before`).
#[derive(Debug, Clone)]
pub struct Cut {
    pub before: String,
    pub cut_ms: i64,
    /// Now, for the record.
    pub now_ms: i64,
}

/// Why days could not be archived (nothing was deleted).
#[derive(Debug, thiserror::Error)]
pub enum ArchiveRefusal {
    #[error("{day} is not closed: ticket {number} is still {state}")]
    OpenTicket {
        day: String,
        number: String,
        state: String,
    },
    #[error(
        "{day} is not closed: the follow-up of a bad rating (ticket {ticket}) is still {state}"
    )]
    OpenFollowUp {
        day: String,
        ticket: i64,
        state: String,
    },
    #[error(
        "events up to {want} are not yet shipped to the central database (shipped: {shipped}); \
         archive once the uplink caught up"
    )]
    NotShipped { want: i64, shipped: i64 },
    #[error("the archive {0} is at schema {1}, the database at {2}")]
    Schema(PathBuf, i64, i64),
    #[error(
        "the archive does not hold {0} row(s) of {1} as the database does; nothing was deleted"
    )]
    Mismatch(i64, &'static str),
    #[error("the archive failed its integrity check: {0}")]
    Corrupt(String),
}

/// What one run moved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Moved {
    pub first_day: Option<String>,
    pub last_day: Option<String>,
    pub tickets: u64,
    pub ratings: u64,
    pub follow_ups: u64,
    pub events: u64,
}

/// Tables moved, children first (the order rows are deleted in), with the live rows to move.
const TABLES: &[(&str, &str)] = &[
    (
        "follow_ups",
        "ticket_id IN (SELECT id FROM main.tickets WHERE service_day < ?1)",
    ),
    (
        "ratings",
        "ticket_id IN (SELECT id FROM main.tickets WHERE service_day < ?1)",
    ),
    ("tickets", "service_day < ?1"),
    ("events", "at_ms < ?1"),
];

/// The one parameter of `table`'s selection: the first live day, or for events the cut.
fn bound(table: &str, cut: &Cut) -> rusqlite::types::Value {
    if table == "events" {
        cut.cut_ms.into()
    } else {
        cut.before.clone().into()
    }
}

/// Move the closed days before `cut.before` from `db` into the archive file `to` (created with
/// this build's schema if missing). Re-running with the same arguments moves nothing more.
pub fn archive(
    db: &Path,
    to: &Path,
    cut: &Cut,
) -> Result<std::result::Result<Moved, ArchiveRefusal>> {
    drop(super::Store::open(to)?);
    let to = std::fs::canonicalize(to)
        .map_err(|e| StoreError::CannotOpen(format!("{}: {e}", to.display())))?;
    let mut c = Connection::open(db)?;
    configure(&c)?;
    c.execute_batch("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;")?;
    c.execute(
        "ATTACH DATABASE ?1 AS arch",
        [to.to_string_lossy().as_ref()],
    )?;
    let live: i64 = c.query_row("PRAGMA main.user_version", [], |r| r.get(0))?;
    let kept: i64 = c.query_row("PRAGMA arch.user_version", [], |r| r.get(0))?;
    if live != kept {
        return Ok(Err(ArchiveRefusal::Schema(to, kept, live)));
    }
    if let Err(why) = closed(&c, cut)? {
        return Ok(Err(why));
    }
    // 1. Copy, committed in the archive on its own.
    let tx = c.transaction()?;
    for (table, sel) in TABLES.iter().rev() {
        tx.execute(
            &format!("INSERT OR IGNORE INTO arch.{table} SELECT * FROM main.{table} WHERE {sel}"),
            [bound(table, cut)],
        )?;
    }
    tx.commit()?;
    // 2. Verify the archive file and that it holds every row to be moved, as it is.
    let check: String = c.query_row("PRAGMA arch.quick_check", [], |r| r.get(0))?;
    if check != "ok" {
        return Ok(Err(ArchiveRefusal::Corrupt(check)));
    }
    if let Err(why) = held(&c, cut)? {
        return Ok(Err(why));
    }
    // 3. Delete from the live database in one transaction that checks again.
    let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    if let Err(why) = held(&tx, cut)? {
        return Ok(Err(why));
    }
    let span: (Option<String>, Option<String>) = tx.query_row(
        "SELECT MIN(service_day), MAX(service_day) FROM main.tickets WHERE service_day < ?1",
        [&cut.before],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let last_ms: Option<i64> = tx.query_row(
        "SELECT MAX(at_ms) FROM main.events WHERE at_ms < ?1",
        [cut.cut_ms],
        |r| r.get(0),
    )?;
    let mut moved = Moved {
        first_day: span.0.clone(),
        last_day: span.1.clone(),
        ..Moved::default()
    };
    for (table, sel) in TABLES {
        let n = tx.execute(
            &format!("DELETE FROM main.{table} WHERE {sel}"),
            [bound(table, cut)],
        )? as u64;
        match *table {
            "follow_ups" => moved.follow_ups = n,
            "ratings" => moved.ratings = n,
            "tickets" => moved.tickets = n,
            _ => moved.events = n,
        }
    }
    if let (Some(first), Some(last)) = span {
        tx.execute(
            "INSERT INTO main.archives(path, first_day, last_day, last_ms, archived_ms)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(path) DO UPDATE SET first_day = MIN(first_day, excluded.first_day),
                 last_day = MAX(last_day, excluded.last_day),
                 last_ms = MAX(last_ms, excluded.last_ms), archived_ms = excluded.archived_ms",
            params![
                to.to_string_lossy(),
                first,
                last,
                last_ms.unwrap_or(cut.cut_ms - 1),
                cut.now_ms
            ],
        )?;
    }
    tx.commit()?;
    Ok(Ok(moved))
}

/// The days before the cut are closed: every ticket ended, every follow-up closed, and
/// (with an uplink) every event shipped.
fn closed(c: &Connection, cut: &Cut) -> Result<std::result::Result<(), ArchiveRefusal>> {
    let open = c
        .query_row(
            "SELECT service_day, number, state FROM main.tickets
             WHERE service_day < ?1 AND state NOT IN ('done','no_show','cancelled','abandoned')
             ORDER BY service_day LIMIT 1",
            [&cut.before],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    if let Some((day, number, state)) = open {
        return Ok(Err(ArchiveRefusal::OpenTicket { day, number, state }));
    }
    let follow = c
        .query_row(
            "SELECT t.service_day, t.id, f.state FROM main.follow_ups f
             JOIN main.tickets t ON t.id = f.ticket_id
             WHERE t.service_day < ?1 AND f.state <> 'closed'
             ORDER BY t.service_day LIMIT 1",
            [&cut.before],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    if let Some((day, ticket, state)) = follow {
        return Ok(Err(ArchiveRefusal::OpenFollowUp { day, ticket, state }));
    }
    let (want, shipped): (Option<i64>, Option<i64>) = c.query_row(
        "SELECT (SELECT MAX(seq) FROM main.events WHERE at_ms < ?1),
                (SELECT MIN(shipped_seq) FROM main.uplink_mark)",
        [cut.cut_ms],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if let (Some(want), Some(shipped)) = (want, shipped)
        && shipped < want
    {
        return Ok(Err(ArchiveRefusal::NotShipped { want, shipped }));
    }
    Ok(Ok(()))
}

/// Every live row to move is in the archive, column for column.
fn held(c: &Connection, cut: &Cut) -> Result<std::result::Result<(), ArchiveRefusal>> {
    for (table, sel) in TABLES {
        let missing: i64 = c.query_row(
            &format!(
                "SELECT COUNT(*) FROM (SELECT * FROM main.{table} WHERE {sel}
                                      EXCEPT SELECT * FROM arch.{table})"
            ),
            [bound(table, cut)],
            |r| r.get(0),
        )?;
        if missing > 0 {
            return Ok(Err(ArchiveRefusal::Mismatch(missing, table)));
        }
    }
    Ok(Ok(()))
}

/// The schemas holding service days `from..=to`: recorded archives that overlap them
/// (attached read-only on first use), oldest first, then `main`.
pub fn day_sources(c: &Connection, from: &str, to: &str) -> Result<Vec<String>> {
    sources(
        c,
        "SELECT rowid, path FROM archives WHERE last_day >= ?1 AND first_day <= ?2
         ORDER BY first_day",
        params![from, to],
    )
}

/// The schemas holding events committed in `[from_ms, to_ms)`, oldest first, then `main`.
pub fn time_sources(c: &Connection, from_ms: i64, _to_ms: i64) -> Result<Vec<String>> {
    sources(
        c,
        "SELECT rowid, path FROM archives WHERE last_ms >= ?1 ORDER BY first_day",
        params![from_ms],
    )
}

fn sources(c: &Connection, sql: &str, p: impl rusqlite::Params) -> Result<Vec<String>> {
    let found: Vec<(i64, String)> = {
        let mut stmt = c.prepare_cached(sql)?;
        stmt.query_map(p, |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?
    };
    let mut out = Vec::with_capacity(found.len() + 1);
    for (id, path) in found {
        let name = format!("archive_{id}");
        let attached: bool = c
            .prepare_cached("SELECT 1 FROM pragma_database_list WHERE name = ?1")?
            .exists([&name])?;
        if !attached {
            if !Path::new(&path).is_file() {
                return Err(StoreError::Corrupt(format!(
                    "the archive {path} holds days of this range and cannot be found"
                )));
            }
            c.execute(
                &format!("ATTACH DATABASE ?1 AS {name}"),
                [format!("file:{path}?mode=ro")],
            )?;
        }
        out.push(name);
    }
    out.push("main".into());
    Ok(out)
}

/// Every recorded archive: (path, first day, last day).
pub fn list(c: &Connection) -> Result<Vec<(String, String, String)>> {
    let mut stmt =
        c.prepare("SELECT path, first_day, last_day FROM archives ORDER BY first_day")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
