//! The only module that speaks SQL. One write connection (owned by the engine's thread),
//! read-only connections for queries (typed methods on `Reader`; reports through `ReportView`;
//! no connection leaves this module), migrations by `PRAGMA user_version`.
//!
//! Durability: WAL with `synchronous=FULL`, so a committed ticket survives a power cut.

pub mod appointments;
pub mod archive;
pub mod audit;
mod auth;
pub mod backup;
pub mod feedback;
pub mod fixture;
pub mod keys;
pub mod outbox;
pub mod report_view;
pub mod reports;
mod retention;
mod rows;
pub mod schema;
mod screens;
pub mod seal;
mod simulated;
pub mod staff_cards;
pub mod uplink;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OpenFlags, params};

pub use auth::{DeviceRow, SessionPrincipal, UserRow};
pub use report_view::ReportView;

use crate::domain::accounts::{AccountChange, AccountFacts, LapsedSession, Subject};
use crate::domain::hall::{Changes, RateTarget, Restored};
use crate::domain::ticket::Ticket;
use crate::domain::{Event, EventRecord};

/// What can go wrong with the database, sorted into what a person can act on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the database is read-only: {0}")]
    ReadOnly(String),
    #[error("the disk or database is full: {0}")]
    Full(String),
    #[error("the database is busy: {0}")]
    Busy(String),
    #[error("cannot open the database: {0}")]
    CannotOpen(String),
    #[error("database error: {0}")]
    Other(String),
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
    #[error(
        "this database was written by a newer hallq (schema version {found}; this hallq knows up to {known}): run that newer hallq, or restore a backup taken before the upgrade"
    )]
    TooNew { found: i64, known: i64 },
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode::*;
        match e.sqlite_error_code() {
            Some(ReadOnly) => StoreError::ReadOnly(e.to_string()),
            Some(DiskFull) => StoreError::Full(e.to_string()),
            Some(DatabaseBusy | DatabaseLocked) => StoreError::Busy(e.to_string()),
            Some(CannotOpen) => StoreError::CannotOpen(e.to_string()),
            _ => StoreError::Other(e.to_string()),
        }
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// How long a connection waits for another writer (the CLI adding a user) before giving up.
const BUSY_TIMEOUT_MS: u32 = 5_000;

/// The write side. Lives on the engine's thread.
pub struct Store {
    conn: Connection,
    /// Where it lives: readers of earlier days open it read-only.
    path: PathBuf,
    /// The key file's keys: phones are sealed on the way in and opened on the way out.
    keys: keys::Keys,
}

impl Store {
    /// Open (creating if needed) and migrate the database at `path`, with its key file beside
    /// it (created on first open; see `keys`). The database, its WAL and the key file are
    /// private to the service's user (0600).
    pub fn open(path: &Path) -> Result<Store> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::CannotOpen(format!("{}: {e}", dir.display())))?;
        }
        keys::private_database(path)?;
        let conn = Connection::open(path)?;
        configure(&conn)?;
        // Deleted personal data (retention, sealing) is overwritten, not left in free pages.
        conn.execute_batch("PRAGMA secure_delete=ON;")?;
        let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Other(format!(
                "journal mode is {mode}, WAL needed"
            )));
        }
        conn.execute_batch("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;")?;
        schema::migrate(&conn)?;
        let keys = keys::unlock(&conn, path)?;
        let sealed = seal::seal_pending(&conn, &keys)?;
        if sealed > 0 {
            // Push the rewritten pages into the database file now, so no plaintext waits in it.
            conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
            tracing::warn!(
                sealed,
                "sealed the phone numbers an older hallq stored in clear"
            );
        }
        keys::private_database(path)?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
            keys,
        })
    }

    /// Read-only connections to this database (earlier days' tickets and ratings).
    pub fn reader(&self) -> Reader {
        Reader::new(&self.path)
    }

    /// The key of ID-number hashes (from the key file, never from the database).
    pub fn id_hash_key(&self) -> &str {
        self.keys.id_hash_key()
    }

    /// A secret kept in the database (created on first use), e.g. the ID-hash key.
    pub fn secret(&mut self, name: &str, fresh: impl FnOnce() -> String) -> Result<String> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let existing: Option<String> = tx
            .query_row("SELECT value FROM meta WHERE key = ?1", [name], |r| {
                r.get(0)
            })
            .map(Some)
            .or_else(none_if_missing)?;
        let value = match existing {
            Some(v) => v,
            None => {
                let v = fresh();
                tx.execute(
                    "INSERT INTO meta(key, value) VALUES (?1, ?2)",
                    params![name, v],
                )?;
                v
            }
        };
        tx.commit()?;
        Ok(value)
    }

    /// The seq of the newest committed event that `keep` accepts, looking back over at most
    /// `limit` events. When none of those matches: one below the oldest looked at (0 at the
    /// start of the log), so no accepted event lies between the answer and the last seq.
    pub fn last_matching(&self, keep: impl Fn(&EventRecord) -> bool, limit: usize) -> Result<u64> {
        let back = read_events(
            &self.conn,
            "SELECT seq, at, payload FROM events WHERE seq <= ?1 ORDER BY seq DESC LIMIT ?2",
            i64::MAX as u64,
            limit,
        )?;
        if let Some(hit) = back.iter().find(|r| keep(r)) {
            return Ok(hit.seq);
        }
        Ok(back.last().map_or(0, |r| r.seq.saturating_sub(1)))
    }

    /// Every committed event after `seq`, in order (on the writer: what the CLI committed).
    pub fn events_after(&self, seq: u64) -> Result<Vec<EventRecord>> {
        read_events(
            &self.conn,
            "SELECT seq, at, payload FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2",
            seq,
            i64::MAX as usize,
        )
    }

    /// The last committed event's sequence number (0 when none).
    pub fn last_seq(&self) -> Result<u64> {
        let n: i64 = self
            .conn
            .query_row("SELECT COALESCE(MAX(seq), 0) FROM events", [], |r| r.get(0))?;
        Ok(n as u64)
    }

    /// Everything the hall needs back after a restart: tickets of `today` and every
    /// older one still open (never a later day's: a clock that stepped back, or a simulated
    /// future day, stays on its own day), window rows, today's counters.
    pub fn restore(
        &self,
        today: jiff::civil::Date,
        rated_since: jiff::civil::Date,
    ) -> Result<Restored> {
        let day = today.to_string();
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {} FROM tickets WHERE service_day = ?1 OR (service_day < ?1 AND state NOT IN ('done','no_show','cancelled','abandoned'))",
            rows::TICKET_COLUMNS
        ))?;
        let tickets = stmt
            .query_map([&day], rows::ticket_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?
            .into_iter()
            .collect::<Result<Vec<Ticket>>>()?;
        let tickets = tickets
            .into_iter()
            .map(|mut t| {
                t.phone = self
                    .keys
                    .open_opt(seal::TICKET_PHONE, t.id.0, t.phone.take());
                t
            })
            .collect();
        let mut stmt = self.conn.prepare(
            "SELECT number, status, clerk_username, clerk_name, current_ticket, pause_reason, since_ms, green_streak, pause_until_ms FROM windows",
        )?;
        let windows = stmt
            .query_map([], rows::window_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?
            .into_iter()
            .collect::<Result<Vec<_>>>()?;
        // The counter row, or the highest number stored for the day if that is higher (a
        // day written by an older build or by hand): numbering never reuses a stored number.
        let mut stmt = self.conn.prepare(
            "SELECT queue, MAX(n) FROM (
                 SELECT queue, last_seq AS n FROM counters WHERE service_day = ?1
                 UNION ALL
                 SELECT original_queue, MAX(seq_no) FROM tickets WHERE service_day = ?1
                 GROUP BY original_queue
             ) GROUP BY queue",
        )?;
        let counters = stmt
            .query_map([&day], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?
            .into_iter()
            .map(|(q, n)| (today, q, n))
            .collect();
        let max_id: i64 =
            self.conn
                .query_row("SELECT COALESCE(MAX(id), 0) FROM tickets", [], |r| r.get(0))?;
        let (rated, follow_ups, next_follow_up_id) = feedback::restore(&self.conn, rated_since)?;
        // APPOINTMENTS HOOK (issue 15): active bookings and the miss rule's look-back.
        let (bookings, next_booking_id) = appointments::restore(
            &self.conn,
            &self.keys,
            today
                .checked_sub(jiff::Span::new().days(appointments::LOOK_BACK_DAYS))
                .unwrap_or(today),
        )?;
        Ok(Restored {
            tickets,
            windows,
            counters,
            rated,
            follow_ups,
            next_follow_up_id,
            next_ticket_id: max_id + 1,
            bookings,
            next_booking_id,
        })
    }

    /// Commit a batch of events and the rows they changed, all or nothing. Events another
    /// process (the CLI) committed since the batch was numbered come back, and the batch's
    /// own seqs move up past them, so the log stays gap-free and in commit order.
    pub fn commit(
        &mut self,
        events: &mut [(EventRecord, String, i64)],
        changes: &Changes,
    ) -> Result<Vec<EventRecord>> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let foreign = match events.first() {
            Some((first, _, _)) => {
                let expected = first.seq.saturating_sub(1);
                let foreign = read_events(
                    &tx,
                    "SELECT seq, at, payload FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2",
                    expected,
                    i64::MAX as usize,
                )?;
                if let Some(last) = foreign.last() {
                    let shift = last.seq - expected;
                    for (rec, _, _) in events.iter_mut() {
                        rec.seq += shift;
                    }
                }
                foreign
            }
            None => Vec::new(),
        };
        for (rec, actor, at_ms) in events.iter() {
            insert_event(&tx, rec, actor, *at_ms)?;
        }
        for t in &changes.tickets {
            rows::upsert_ticket(&tx, t, &self.keys)?;
        }
        for w in &changes.windows {
            rows::upsert_window(&tx, w)?;
        }
        {
            let mut ctr = tx.prepare_cached(
                "INSERT INTO counters(service_day, queue, last_seq) VALUES (?1, ?2, ?3)
                 ON CONFLICT(service_day, queue) DO UPDATE SET last_seq = excluded.last_seq",
            )?;
            for (day, q, n) in &changes.counters {
                ctr.execute(params![day.to_string(), q, n])?;
            }
        }
        for r in &changes.ratings {
            feedback::insert_rating(&tx, r)?;
        }
        for f in &changes.follow_ups {
            feedback::upsert_follow_up(&tx, f)?;
        }
        for b in &changes.bookings {
            appointments::upsert(&tx, b, &self.keys)?;
        }
        for a in &changes.accounts {
            auth::apply(&tx, a)?;
        }
        outbox::write(&tx, &changes.outbox, &self.keys)?;
        tx.commit()?;
        Ok(foreign)
    }

    /// The stored row an account command is about (read on the writer, so it sees every
    /// commit, the CLI's included).
    pub fn account_facts(&self, subject: Subject<'_>) -> Result<AccountFacts> {
        auth::facts(&self.conn, subject)
    }

    /// The sessions ended by `now_ms`, for the writer's sweep (read on the writer).
    pub fn lapsed_sessions(&self, now_ms: i64) -> Result<Vec<LapsedSession>> {
        auth::lapsed_sessions(&self.conn, now_ms)
    }

    /// The CLI's account writes, the one documented writer besides a running engine: in one
    /// IMMEDIATE transaction, read the row `subject` names, let `decide` say what changes,
    /// then write the rows and the events after the last committed seq (`at`: RFC 3339 and
    /// unix ms). A running engine's next commit sees these seqs and numbers its own after them.
    pub fn write_account<T, E>(
        &mut self,
        subject: Subject<'_>,
        actor: &str,
        at: (&str, i64),
        decide: impl FnOnce(AccountFacts) -> std::result::Result<(T, Vec<Event>, Vec<AccountChange>), E>,
    ) -> Result<std::result::Result<T, E>> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let (reply, events, changes) = match decide(auth::facts(&tx, subject)?) {
            Ok(d) => d,
            Err(e) => return Ok(Err(e)),
        };
        let mut seq: i64 =
            tx.query_row("SELECT COALESCE(MAX(seq), 0) FROM events", [], |r| r.get(0))?;
        for event in events {
            seq += 1;
            let rec = EventRecord {
                seq: seq as u64,
                at: at.0.to_string(),
                event,
            };
            insert_event(&tx, &rec, actor, at.1)?;
        }
        for c in &changes {
            auth::apply(&tx, c)?;
        }
        tx.commit()?;
        Ok(Ok(reply))
    }

    /// Let the database grow by at most `pages` more pages (tests of a full disk).
    #[cfg(test)]
    pub(crate) fn limit_growth(&mut self, pages: i64) {
        let now: i64 = self
            .conn
            .query_row("PRAGMA page_count", [], |r| r.get(0))
            .expect("page_count");
        self.conn
            .query_row(
                &format!("PRAGMA max_page_count = {}", now + pages),
                [],
                |_| Ok(()),
            )
            .expect("limit");
    }

    /// Raw access to the auth tables, without events (the simulator's accounts, fixtures).
    pub fn auth(&mut self) -> auth::Auth<'_> {
        auth::Auth {
            conn: &mut self.conn,
        }
    }
}

fn insert_event(c: &Connection, rec: &EventRecord, actor: &str, at_ms: i64) -> Result<()> {
    let payload =
        serde_json::to_string(&rec.event).map_err(|e| StoreError::Other(e.to_string()))?;
    c.prepare_cached(
        "INSERT INTO events(seq, at, at_ms, kind, actor, window, ticket_id, payload) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        rec.seq as i64,
        rec.at,
        at_ms,
        rec.event.kind(),
        actor,
        rec.event.window(),
        rec.event.ticket().map(|t| t.id.0),
        payload
    ])?;
    Ok(())
}

fn configure(conn: &Connection) -> Result<()> {
    conn.busy_timeout(std::time::Duration::from_millis(u64::from(BUSY_TIMEOUT_MS)))?;
    Ok(())
}

fn none_if_missing<T>(e: rusqlite::Error) -> rusqlite::Result<Option<T>> {
    match e {
        rusqlite::Error::QueryReturnedNoRows => Ok(None),
        e => Err(e),
    }
}

/// Read-only connections for queries, pooled. Use from `spawn_blocking`.
#[derive(Clone)]
pub struct Reader {
    path: PathBuf,
    pool: Arc<Mutex<Vec<Connection>>>,
}

/// Connections kept idle in the pool.
const READER_POOL: usize = 4;

/// A ticket's stored rating, with the idempotency key it was sent with and the follow-up it
/// opened (a bad rating).
pub struct StoredRating {
    pub rating: feedback::RatingRow,
    pub key: Option<String>,
    pub follow_up: Option<i64>,
}

impl Reader {
    pub fn new(path: &Path) -> Reader {
        Reader {
            path: path.to_path_buf(),
            pool: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// Run `f` on a read-only connection (blocking: call from `spawn_blocking`). Store-only:
    /// the rest of the crate reads through typed methods and `report`.
    pub(super) fn with<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let pooled = self.pool.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let conn = match pooled {
            Some(c) => c,
            None => {
                let c = Connection::open_with_flags(
                    &self.path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY
                        | OpenFlags::SQLITE_OPEN_NO_MUTEX
                        | OpenFlags::SQLITE_OPEN_URI,
                )?;
                configure(&c)?;
                c
            }
        };
        let out = f(&conn);
        let mut pool = self.pool.lock().unwrap_or_else(|p| p.into_inner());
        if pool.len() < READER_POOL {
            pool.push(conn);
        }
        out
    }

    /// Committed events after `since`, in order, at most `limit`.
    pub fn events_since(&self, since: u64, limit: usize) -> Result<Vec<EventRecord>> {
        self.with(|c| {
            read_events(
                c,
                "SELECT seq, at, payload FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2",
                since,
                limit,
            )
        })
    }

    /// A ticket by its token, from any day (without its phone: readers hold no key).
    pub fn ticket_by_token(&self, token: &str) -> Result<Option<Ticket>> {
        self.with(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {} FROM tickets WHERE token = ?1",
                rows::TICKET_COLUMNS
            ))?;
            let found = stmt
                .query_row([token], rows::ticket_from_row)
                .map(Some)
                .or_else(none_if_missing)?;
            Ok(found.transpose()?.map(without_phone))
        })
    }

    /// A ticket by its id, from any day (without its phone: readers hold no key).
    pub fn ticket_by_id(&self, id: i64) -> Result<Option<Ticket>> {
        self.with(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {} FROM tickets WHERE id = ?1",
                rows::TICKET_COLUMNS
            ))?;
            let found = stmt
                .query_row([id], rows::ticket_from_row)
                .map(Some)
                .or_else(none_if_missing)?;
            Ok(found.transpose()?.map(without_phone))
        })
    }

    /// A ticket by its id or token, from any day (without its phone).
    pub fn ticket_by_target(&self, target: &RateTarget) -> Result<Option<Ticket>> {
        match target {
            RateTarget::Id(id) => self.ticket_by_id(id.0),
            RateTarget::Token(tok) => self.ticket_by_token(tok),
        }
    }

    /// The stored rating of a ticket named by id or token, with the idempotency key it was
    /// sent with and the follow-up it opened.
    pub fn rating_of(&self, target: &RateTarget) -> Result<Option<StoredRating>> {
        let id = match target {
            RateTarget::Id(id) => Some(id.0),
            RateTarget::Token(tok) => self.ticket_by_token(tok)?.map(|t| t.id.0),
        };
        let Some(id) = id else { return Ok(None) };
        self.with(|c| {
            let (Some(rating), Some(key)) =
                (feedback::rating_of(c, id)?, feedback::rating_key_of(c, id)?)
            else {
                return Ok(None);
            };
            Ok(Some(StoredRating {
                rating,
                key,
                follow_up: feedback::follow_up_of(c, id)?,
            }))
        })
    }

    /// The principal behind a session token hash, if the session is live at `now_ms`.
    pub fn session(&self, token_hash: &str, now_ms: i64) -> Result<Option<SessionPrincipal>> {
        self.with(|c| auth::session(c, token_hash, now_ms))
    }

    /// The device behind a token hash, if not revoked.
    pub fn device(&self, token_hash: &str) -> Result<Option<DeviceRow>> {
        self.with(|c| auth::device(c, token_hash))
    }

    /// Every registered device.
    pub fn devices(&self) -> Result<Vec<DeviceRow>> {
        self.with(auth::devices)
    }

    /// When the last committed event happened (Unix ms), if any.
    pub fn last_event_ms(&self) -> Result<Option<i64>> {
        self.with(|c| Ok(c.query_row("SELECT MAX(at_ms) FROM events", [], |r| r.get(0))?))
    }

    /// Whether the database's folder takes a write and a sync now (readiness).
    pub fn probe_disk(&self) -> std::result::Result<(), String> {
        crate::ops::status::probe_disk(&self.path)
    }

    /// A user row by name.
    pub fn user(&self, username: &str) -> Result<Option<UserRow>> {
        self.with(|c| auth::user(c, username))
    }

    /// Every staff account, by username.
    pub fn users(&self) -> Result<Vec<UserRow>> {
        self.with(auth::users)
    }
}

/// A ticket as a reader hands it out: its phone stays sealed in the database.
fn without_phone(mut t: Ticket) -> Ticket {
    t.phone = None;
    t
}

#[cfg(test)]
mod tests;

/// Event records from a query over `(seq, at, payload)` with two parameters.
fn read_events(c: &Connection, sql: &str, seq: u64, limit: usize) -> Result<Vec<EventRecord>> {
    let mut stmt = c.prepare_cached(sql)?;
    let rows = stmt.query_map(params![seq as i64, limit as i64], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (seq, at, payload) = row?;
        let event =
            serde_json::from_str(&payload).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        out.push(EventRecord {
            seq: seq as u64,
            at,
            event,
        });
    }
    Ok(out)
}
