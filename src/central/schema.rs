//! The central PostgreSQL schema: versioned steps recorded in `schema_version`, applied in
//! order, each in its own transaction. Append; never edit a shipped step.
//!
//! Every hall-owned table has `hall_id` first in its primary key, so on a Citus-style cluster
//! `create_distributed_table('<t>', 'hall_id')` distributes it unchanged and one hall's rows
//! stay on one node; the event log could be range-partitioned by `day` the same way.

use tokio_postgres::Client;

const MIGRATIONS: &[&str] = &[
    // 1: halls and their catalogue, the shipped event log, tickets rebuilt from it, ratings,
    // per-hall per-day per-queue rollups; central accounts and sessions.
    r#"
    CREATE TABLE halls (
        hall_id       TEXT PRIMARY KEY,
        name          TEXT NOT NULL,
        wait_target_s INTEGER NOT NULL,
        last_seq      BIGINT NOT NULL DEFAULT 0,
        last_event_at TIMESTAMPTZ,
        shipped_at    TIMESTAMPTZ,
        hall_last_seq BIGINT NOT NULL DEFAULT 0
    );
    CREATE TABLE hall_queues (
        hall_id         TEXT NOT NULL,
        queue           TEXT NOT NULL,
        name            TEXT NOT NULL,
        department      TEXT NOT NULL,
        department_name TEXT NOT NULL,
        position        INTEGER NOT NULL,
        PRIMARY KEY (hall_id, queue)
    );
    CREATE TABLE events (
        hall_id   TEXT NOT NULL,
        seq       BIGINT NOT NULL,
        at        TIMESTAMPTZ NOT NULL,
        day       DATE NOT NULL,
        kind      TEXT NOT NULL,
        ticket_id BIGINT,
        queue     TEXT,
        department TEXT,
        win       INTEGER,
        outcome   TEXT,
        level     TEXT,
        PRIMARY KEY (hall_id, seq)
    );
    CREATE INDEX events_hall_day ON events (hall_id, day);
    CREATE TABLE tickets (
        hall_id         TEXT NOT NULL,
        ticket_id       BIGINT NOT NULL,
        day             DATE NOT NULL,
        queue           TEXT NOT NULL,
        original_queue  TEXT NOT NULL,
        state           TEXT NOT NULL,
        win             INTEGER,
        issued_ms       BIGINT NOT NULL,
        first_called_ms BIGINT,
        called_ms       BIGINT,
        started_ms      BIGINT,
        finished_ms     BIGINT,
        transfer_count  INTEGER NOT NULL,
        outcome         TEXT,
        PRIMARY KEY (hall_id, ticket_id)
    );
    CREATE INDEX tickets_hall_day ON tickets (hall_id, day);
    CREATE TABLE ratings (
        hall_id   TEXT NOT NULL,
        ticket_id BIGINT NOT NULL,
        day       DATE NOT NULL,
        queue     TEXT NOT NULL,
        level     TEXT NOT NULL,
        win       INTEGER,
        PRIMARY KEY (hall_id, ticket_id)
    );
    CREATE TABLE day_queue (
        hall_id       TEXT NOT NULL,
        day           DATE NOT NULL,
        queue         TEXT NOT NULL,
        issued        BIGINT NOT NULL DEFAULT 0,
        served        BIGINT NOT NULL DEFAULT 0,
        no_show       BIGINT NOT NULL DEFAULT 0,
        transferred   BIGINT NOT NULL DEFAULT 0,
        cancelled     BIGINT NOT NULL DEFAULT 0,
        abandoned     BIGINT NOT NULL DEFAULT 0,
        wait_count    BIGINT NOT NULL DEFAULT 0,
        wait_sum      BIGINT NOT NULL DEFAULT 0,
        wait_max      BIGINT NOT NULL DEFAULT 0,
        over_target   BIGINT NOT NULL DEFAULT 0,
        service_count BIGINT NOT NULL DEFAULT 0,
        service_sum   BIGINT NOT NULL DEFAULT 0,
        wait_hist     BIGINT[] NOT NULL,
        ratings       BIGINT[] NOT NULL,
        PRIMARY KEY (hall_id, day, queue)
    );
    CREATE TABLE central_users (
        username      TEXT PRIMARY KEY,
        name          TEXT NOT NULL,
        role          TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        disabled      BOOLEAN NOT NULL DEFAULT false
    );
    CREATE TABLE central_sessions (
        token_hash TEXT PRIMARY KEY,
        username   TEXT NOT NULL REFERENCES central_users(username),
        expires_at TIMESTAMPTZ NOT NULL
    );
    "#,
];

/// Bring the schema up to date. Safe to run from several processes at once (an advisory lock
/// serialises them).
pub async fn migrate(client: &mut Client) -> Result<(), tokio_postgres::Error> {
    client
        .batch_execute(
            "SELECT pg_advisory_lock(4871);
             CREATE TABLE IF NOT EXISTS schema_version (
                 version    INTEGER PRIMARY KEY,
                 applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
             );",
        )
        .await?;
    let result = async {
        let done: i32 = client
            .query_one("SELECT COALESCE(MAX(version), 0) FROM schema_version", &[])
            .await?
            .get(0);
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(done.max(0) as usize) {
            let tx = client.transaction().await?;
            tx.batch_execute(sql).await?;
            tx.execute(
                "INSERT INTO schema_version(version) VALUES ($1)",
                &[&(i as i32 + 1)],
            )
            .await?;
            tx.commit().await?;
        }
        Ok(())
    }
    .await;
    client
        .batch_execute("SELECT pg_advisory_unlock(4871)")
        .await?;
    result
}
