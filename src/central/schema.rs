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
    // 2: percentiles from the rollups. Waits and service times per (day, queue) in the
    // log-linear buckets of `central::pct` (int4 counts, stored uncompressed in the row so a
    // report reads each bucket without unpacking), backfilled from the rebuilt tickets; the
    // same rollups per (month, queue), so a year is twelve rows per hall and queue; the day
    // B-trees on events and tickets become BRIN.
    r#"
    CREATE FUNCTION hallq_add_int4s(a int4[], b int4[]) RETURNS int4[] LANGUAGE sql IMMUTABLE AS
        $$ SELECT CASE WHEN a IS NULL THEN b
                       ELSE ARRAY(SELECT x + y FROM UNNEST(a, b) AS t(x, y)) END $$;
    CREATE FUNCTION hallq_add_int8s(a int8[], b int8[]) RETURNS int8[] LANGUAGE sql IMMUTABLE AS
        $$ SELECT CASE WHEN a IS NULL THEN b
                       ELSE ARRAY(SELECT x + y FROM UNNEST(a, b) AS t(x, y)) END $$;
    CREATE AGGREGATE hallq_sum_int4s(int4[]) (SFUNC = hallq_add_int4s, STYPE = int4[]);
    CREATE AGGREGATE hallq_sum_int8s(int8[]) (SFUNC = hallq_add_int8s, STYPE = int8[]);
    -- `central::pct::bucket`, for this backfill (the uplink computes buckets itself).
    CREATE FUNCTION hallq_pct_bucket(v int8) RETURNS int4 LANGUAGE sql IMMUTABLE AS $$
        SELECT CASE WHEN v < 32 THEN v::int4
                    WHEN v >= 65536 THEN 208
                    ELSE (32 + (k - 5) * 16 + ((v >> (k - 4)) - 16))::int4 END
        FROM (SELECT length(ltrim(LEAST(GREATEST(v, 1), 65536)::int4::bit(32)::text, '0')) - 1 AS k) b $$;
    CREATE FUNCTION hallq_pct_counts(b int4[]) RETURNS int4[] LANGUAGE sql IMMUTABLE AS $$
        SELECT array_agg((SELECT count(*) FROM UNNEST(b) x WHERE x = g)::int4 ORDER BY g)
        FROM generate_series(0, 208) g $$;
    ALTER TABLE day_queue
        ADD COLUMN wait_pct int4[] NOT NULL DEFAULT array_fill(0, ARRAY[209]),
        ADD COLUMN service_pct int4[] NOT NULL DEFAULT array_fill(0, ARRAY[209]);
    ALTER TABLE day_queue ALTER COLUMN wait_pct SET STORAGE PLAIN,
        ALTER COLUMN service_pct SET STORAGE PLAIN;
    UPDATE day_queue r SET wait_pct = hallq_pct_counts(t.b)
    FROM (SELECT hall_id, day, original_queue AS queue,
                 array_agg(hallq_pct_bucket((GREATEST(first_called_ms - issued_ms, 0) + 500) / 1000)) b
          FROM tickets WHERE first_called_ms IS NOT NULL GROUP BY 1, 2, 3) t
    WHERE r.hall_id = t.hall_id AND r.day = t.day AND r.queue = t.queue;
    UPDATE day_queue r SET service_pct = hallq_pct_counts(t.b)
    FROM (SELECT hall_id, day, queue,
                 array_agg(hallq_pct_bucket(
                     (GREATEST(finished_ms - COALESCE(started_ms, called_ms), 0) + 500) / 1000)) b
          FROM tickets
          WHERE state = 'done' AND finished_ms IS NOT NULL
                AND COALESCE(started_ms, called_ms) IS NOT NULL
          GROUP BY 1, 2, 3) t
    WHERE r.hall_id = t.hall_id AND r.day = t.day AND r.queue = t.queue;
    CREATE TABLE month_queue (LIKE day_queue INCLUDING DEFAULTS INCLUDING STORAGE);
    ALTER TABLE month_queue RENAME COLUMN day TO month;
    ALTER TABLE month_queue ADD PRIMARY KEY (hall_id, month, queue);
    -- Reports read the rollups only; events and tickets arrive in day order per hall, so a
    -- BRIN index finds a day range at a fraction of a B-tree's cost on every insert.
    DROP INDEX events_hall_day;
    DROP INDEX tickets_hall_day;
    CREATE INDEX events_day ON events USING brin (day);
    CREATE INDEX tickets_day ON tickets USING brin (day);
    INSERT INTO month_queue
    SELECT hall_id, date_trunc('month', day)::date, queue, SUM(issued), SUM(served),
           SUM(no_show), SUM(transferred), SUM(cancelled), SUM(abandoned), SUM(wait_count),
           SUM(wait_sum), MAX(wait_max), SUM(over_target), SUM(service_count), SUM(service_sum),
           hallq_sum_int8s(wait_hist), hallq_sum_int8s(ratings), hallq_sum_int4s(wait_pct),
           hallq_sum_int4s(service_pct)
    FROM day_queue GROUP BY 1, 2, 3;
    "#,
    // 3: tickets, ratings and rollups follow the event log instead of being written with it.
    // A batch of events commits on its own (`ingest::ship`), and `ingest::materialize` applies
    // the events past a hall's rollup mark in a transaction of its own that moves the mark:
    // the hall's backlog lands at the speed of its events, and everything derived can be
    // rebuilt from the log. Until now the two moved together, so every hall's rollups stand
    // at its event mark.
    r#"
    -- An older hallq's batch in flight has moved `last_seq` with its rollups: wait it out, and
    -- hold the next one until the trigger below is in place, so the marks start true.
    LOCK TABLE halls IN SHARE ROW EXCLUSIVE MODE;
    CREATE TABLE rollup_marks (
        hall_id    TEXT PRIMARY KEY,
        rolled_seq BIGINT NOT NULL DEFAULT 0,
        rolled_at  TIMESTAMPTZ
    );
    INSERT INTO rollup_marks (hall_id, rolled_seq, rolled_at)
    SELECT hall_id, last_seq, shipped_at FROM halls;
    -- A hallq from before this step (a hall not yet upgraded) still writes a batch's tickets,
    -- ratings and rollups with its events and moves only `last_seq`: the rollups then stand
    -- at the new mark, provided they stood at the old one; if they trail, its batch is refused
    -- (it retries) until the rollups catch up, so no event counts twice or not at all. This
    -- hallq's `ingest::ship` says it writes events only (`hallq.events_only`).
    CREATE FUNCTION hallq_events_with_rollups() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.last_seq > OLD.last_seq
           AND current_setting('hallq.events_only', true) IS DISTINCT FROM 'on' THEN
            INSERT INTO rollup_marks (hall_id, rolled_seq, rolled_at)
            VALUES (NEW.hall_id, NEW.last_seq, now())
            ON CONFLICT (hall_id) DO UPDATE SET rolled_seq = EXCLUDED.rolled_seq, rolled_at = now()
            WHERE rollup_marks.rolled_seq = OLD.last_seq;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'hall % ships with a hallq older than the central database while its rollups trail its events; upgrade the hall', NEW.hall_id;
            END IF;
        END IF;
        RETURN NEW;
    END $$;
    CREATE TRIGGER halls_events_with_rollups AFTER UPDATE OF last_seq ON halls
        FOR EACH ROW EXECUTE FUNCTION hallq_events_with_rollups();
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
