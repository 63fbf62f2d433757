//! Migrations, applied in order by `PRAGMA user_version`. Append; never edit a shipped step.

use rusqlite::Connection;

use super::{Result, StoreError};

const MIGRATIONS: &[&str] = &[
    // 1: the hall's state, its event log, accounts and devices.
    r#"
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE events (
        seq       INTEGER PRIMARY KEY,
        at        TEXT    NOT NULL,
        at_ms     INTEGER NOT NULL,
        kind      TEXT    NOT NULL,
        actor     TEXT    NOT NULL,
        window    INTEGER,
        ticket_id INTEGER,
        payload   TEXT    NOT NULL
    );
    CREATE INDEX events_ticket ON events(ticket_id);
    CREATE INDEX events_at ON events(at_ms);
    CREATE TABLE tickets (
        id              INTEGER PRIMARY KEY,
        token           TEXT    NOT NULL UNIQUE,
        service_day     TEXT    NOT NULL,
        queue           TEXT    NOT NULL,
        original_queue  TEXT    NOT NULL,
        seq_no          INTEGER NOT NULL,
        number          TEXT    NOT NULL,
        priority        TEXT    NOT NULL,
        state           TEXT    NOT NULL,
        issued_at_ms    INTEGER NOT NULL,
        queue_key       INTEGER NOT NULL,
        target_window   INTEGER,
        window          INTEGER,
        first_called_ms INTEGER,
        called_ms       INTEGER,
        started_ms      INTEGER,
        finished_ms     INTEGER,
        recall_count    INTEGER NOT NULL DEFAULT 0,
        transfer_count  INTEGER NOT NULL DEFAULT 0,
        outcome         TEXT,
        note            TEXT,
        id_hash         TEXT,
        id_last4        TEXT,
        phone           TEXT,
        clerk           TEXT,
        issued_by       TEXT    NOT NULL,
        UNIQUE (service_day, number),
        UNIQUE (service_day, original_queue, seq_no)
    );
    CREATE INDEX tickets_open ON tickets(state) WHERE state NOT IN ('done','no_show','cancelled','abandoned');
    CREATE TABLE counters (
        service_day TEXT    NOT NULL,
        queue       TEXT    NOT NULL,
        last_seq    INTEGER NOT NULL,
        PRIMARY KEY (service_day, queue)
    );
    CREATE TABLE windows (
        number         INTEGER PRIMARY KEY,
        status         TEXT    NOT NULL,
        clerk_username TEXT,
        clerk_name     TEXT,
        current_ticket INTEGER,
        pause_reason   TEXT,
        since_ms       INTEGER NOT NULL,
        green_streak   INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE users (
        username      TEXT PRIMARY KEY,
        name          TEXT    NOT NULL,
        role          TEXT    NOT NULL,
        password_hash TEXT    NOT NULL,
        disabled      INTEGER NOT NULL DEFAULT 0,
        created_ms    INTEGER NOT NULL
    );
    CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        username   TEXT    NOT NULL REFERENCES users(username),
        created_ms INTEGER NOT NULL,
        expires_ms INTEGER NOT NULL
    );
    CREATE TABLE devices (
        id         TEXT PRIMARY KEY,
        kind       TEXT    NOT NULL,
        token_hash TEXT    NOT NULL UNIQUE,
        revoked    INTEGER NOT NULL DEFAULT 0,
        created_ms INTEGER NOT NULL
    );
    "#,
    // 2: citizens' ratings (好差评) and the follow-up of bad ones.
    r#"
    CREATE TABLE ratings (
        ticket_id  INTEGER PRIMARY KEY REFERENCES tickets(id),
        level      TEXT    NOT NULL,
        reasons    TEXT    NOT NULL DEFAULT '[]',
        comment    TEXT,
        source     TEXT    NOT NULL,
        window     INTEGER,
        clerk      TEXT,
        queue      TEXT    NOT NULL,
        department TEXT    NOT NULL,
        service_day TEXT   NOT NULL,
        rated_ms   INTEGER NOT NULL
    );
    CREATE INDEX ratings_day ON ratings(service_day);
    CREATE TABLE follow_ups (
        id           INTEGER PRIMARY KEY,
        ticket_id    INTEGER NOT NULL UNIQUE REFERENCES ratings(ticket_id),
        department   TEXT    NOT NULL,
        opened_ms    INTEGER NOT NULL,
        due_ms       INTEGER NOT NULL,
        state        TEXT    NOT NULL,
        verification TEXT,
        result       TEXT,
        note         TEXT,
        closed_by    TEXT,
        closed_ms    INTEGER
    );
    CREATE INDEX follow_ups_state ON follow_ups(state, due_ms);
    "#,
    // 3: an evaluator belongs to one window.
    r#"
    ALTER TABLE devices ADD COLUMN window INTEGER;
    "#,
    // 4: a clerk may be limited to some windows or departments.
    r#"
    ALTER TABLE users ADD COLUMN scope_windows TEXT;
    ALTER TABLE users ADD COLUMN scope_departments TEXT;
    "#,
    // 5: reports. A covering index holds every column the wait and appraisal reports read, so a
    // year of tickets is read from the index alone, in service-day order; events are found by
    // kind and time (sign-ins, pauses, no-shows and transfers) without scanning the log.
    r#"
    CREATE INDEX tickets_report ON tickets(service_day, original_queue, queue, state, window,
        clerk, issued_at_ms, first_called_ms, called_ms, started_ms, finished_ms, transfer_count);
    CREATE INDEX events_kind_at ON events(kind, at_ms);
    "#,
    // 6: service days lived by `hallq simulate`, so a real hall can tell them from its own.
    r#"
    CREATE TABLE simulated_days (
        day        TEXT    PRIMARY KEY,
        seed       INTEGER NOT NULL,
        created_ms INTEGER NOT NULL
    );
    "#,
    // 7: how far the uplink has shipped the event log to the central database, per hall id.
    r#"
    CREATE TABLE uplink_mark (
        hall_id     TEXT PRIMARY KEY,
        shipped_seq INTEGER NOT NULL,
        shipped_ms  INTEGER NOT NULL
    );
    "#,
    // 8: appointments (预约), see store/appointments.rs.
    super::appointments::MIGRATION,
    // 9: where archived days went (`hallq archive`), see store/archive.rs.
    super::archive::MIGRATION,
    // 10: phone numbers sealed with the key file's key (store/seal.rs). SQL holds no key, so
    // this step only asks; `Store::open` seals what an older hallq stored in clear, then
    // clears the mark. The ID-hash key leaves `meta` for the key file at the same open.
    r#"
    INSERT OR REPLACE INTO meta(key, value) VALUES ('seal_pending', '1');
    "#,
    // 11: a pause's return time (see store/screens.rs).
    super::screens::MIGRATION,
    // 12: the notifications outbox, see store/outbox.rs.
    super::outbox::MIGRATION,
    // 13: the clerk's card on the window screen (工号 and photo), see store/staff_cards.rs.
    super::staff_cards::MIGRATION,
    // 14: who appealed a follow-up and why (a second manager decides), see store/feedback.rs.
    super::feedback::APPEAL_MIGRATION,
];

/// The schema version this build writes: the number of migrations.
pub const CURRENT: i64 = MIGRATIONS.len() as i64;

/// A database written by a newer hallq cannot be read safely by this one.
pub fn refuse_newer(version: i64) -> Result<()> {
    if version > CURRENT {
        return Err(StoreError::TooNew {
            found: version,
            known: CURRENT,
        });
    }
    Ok(())
}

/// Bring the schema up to date, each step in its own transaction.
pub fn migrate(conn: &Connection) -> Result<()> {
    migrate_to(conn, CURRENT)
}

/// Apply the migrations up to version `target` (fixtures of older releases are made this way).
pub fn migrate_to(conn: &Connection, target: i64) -> Result<()> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    refuse_newer(version)?;
    let upto = target.clamp(0, CURRENT) as usize;
    for (i, sql) in MIGRATIONS
        .iter()
        .enumerate()
        .take(upto)
        .skip(version.max(0) as usize)
    {
        let tx = conn.unchecked_transaction()?;
        tx.execute_batch(sql)?;
        tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1))?;
        tx.commit()?;
    }
    Ok(())
}
