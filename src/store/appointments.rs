//! Appointments (预约) in SQLite: the migration that adds the `appointments` table, the row
//! mapping, the restore of active and recent bookings, and the report's read-only query.
//! ID numbers are kept only as the hall's keyed hash plus the last 4 characters.

use jiff::Timestamp;
use jiff::civil::{Date, Time};
use rusqlite::{Connection, Row, Transaction, params};

use super::{Result, StoreError};
use crate::domain::appointments::{Booking, BookingId, BookingState, ReturnOrigin};
use crate::domain::ticket::TicketId;

/// Days of finished bookings loaded back at start (the miss rule looks back at most this
/// far; config validation keeps `within_days + suspend_days` below it).
pub const LOOK_BACK_DAYS: i64 = 366;

/// Migration step (appended to `schema::MIGRATIONS`).
pub const MIGRATION: &str = r#"
    CREATE TABLE appointments (
        id           INTEGER PRIMARY KEY,
        token        TEXT    NOT NULL UNIQUE,
        code         TEXT    NOT NULL,
        queue        TEXT    NOT NULL,
        day          TEXT    NOT NULL,
        start        TEXT    NOT NULL,
        end          TEXT    NOT NULL,
        extended     INTEGER NOT NULL,
        protected    INTEGER NOT NULL,
        state        TEXT    NOT NULL,
        id_hash      TEXT    NOT NULL,
        id_last4     TEXT    NOT NULL,
        phone        TEXT,
        external_id  TEXT UNIQUE,
        booked_by    TEXT    NOT NULL,
        booked_ms    INTEGER NOT NULL,
        checked_in_ms INTEGER,
        ticket_id    INTEGER
    );
    CREATE INDEX appointments_day ON appointments(day, queue);
    CREATE INDEX appointments_active ON appointments(state) WHERE state IN ('booked','checked_in');
"#;

/// Migration step: where a 补办件 return visit was booked and the documents its citizen must
/// bring (appended to `schema::MIGRATIONS` after the outbox).
pub const MIGRATION_RETURN_ORIGIN: &str = r#"
    ALTER TABLE appointments ADD COLUMN return_window INTEGER;
    ALTER TABLE appointments ADD COLUMN documents TEXT;
"#;

const COLUMNS: &str = "id, token, code, queue, day, start, end, extended, protected, state, id_hash, \
    id_last4, phone, external_id, booked_by, booked_ms, checked_in_ms, ticket_id, return_window, \
    documents";

/// Write a booking as it is now.
pub fn upsert(tx: &Transaction<'_>, b: &Booking, keys: &super::keys::Keys) -> Result<()> {
    // A phone number is kept only while something may still be sent about the booking, and
    // only sealed.
    let phone = if b.state.is_active() {
        b.phone
            .as_deref()
            .map(|p| keys.seal(super::seal::BOOKING_PHONE, b.id.0, p))
    } else {
        None
    };
    tx.prepare_cached(&format!(
        "INSERT INTO appointments({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)
         ON CONFLICT(id) DO UPDATE SET state=excluded.state, phone=excluded.phone,
            checked_in_ms=excluded.checked_in_ms, ticket_id=excluded.ticket_id"
    ))?
    .execute(params![
        b.id.0,
        b.token,
        b.code,
        b.queue,
        b.day.to_string(),
        crate::domain::hall::hhmm(b.start),
        crate::domain::hall::hhmm(b.end),
        b.extended,
        b.protected,
        b.state.as_str(),
        b.id_hash,
        b.id_last4,
        phone,
        b.external_id,
        b.booked_by,
        b.booked_at.as_millisecond(),
        b.checked_in_at.map(|t| t.as_millisecond()),
        b.ticket.map(|t| t.0),
        b.return_of.as_ref().map(|o| o.window),
        b.return_of.as_ref().map(|o| o.documents.as_str()),
    ])?;
    Ok(())
}

fn corrupt(what: &str, v: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("appointment {what} {v}"))
}

/// A booking from its row, its phone as stored (sealed): the caller opens or drops it.
fn from_row(r: &Row<'_>) -> rusqlite::Result<Result<Booking>> {
    let day: String = r.get(4)?;
    let start: String = r.get(5)?;
    let end: String = r.get(6)?;
    let state: String = r.get(9)?;
    let booked_ms: i64 = r.get(15)?;
    let checked_ms: Option<i64> = r.get(16)?;
    let return_window: Option<u32> = r.get(18)?;
    let documents: Option<String> = r.get(19)?;
    let build = || -> Result<Booking> {
        Ok(Booking {
            id: BookingId(r.get(0)?),
            token: r.get(1)?,
            code: r.get(2)?,
            queue: r.get(3)?,
            day: day.parse::<Date>().map_err(|e| corrupt("day", e))?,
            start: start.parse::<Time>().map_err(|e| corrupt("start", e))?,
            end: end.parse::<Time>().map_err(|e| corrupt("end", e))?,
            extended: r.get(7)?,
            protected: r.get(8)?,
            state: BookingState::parse(&state).ok_or_else(|| corrupt("state", &state))?,
            id_hash: r.get(10)?,
            id_last4: r.get(11)?,
            phone: r.get(12)?,
            external_id: r.get(13)?,
            booked_by: r.get(14)?,
            booked_at: Timestamp::from_millisecond(booked_ms).map_err(|e| corrupt("time", e))?,
            checked_in_at: checked_ms
                .map(Timestamp::from_millisecond)
                .transpose()
                .map_err(|e| corrupt("time", e))?,
            ticket: r.get::<_, Option<i64>>(17)?.map(TicketId),
            return_of: return_window.map(|window| ReturnOrigin {
                window,
                documents: documents.unwrap_or_default(),
            }),
        })
    };
    Ok(build())
}

/// Active bookings of any day and every booking of `since` or later; and the next free id.
pub fn restore(
    conn: &Connection,
    keys: &super::keys::Keys,
    since: Date,
) -> Result<(Vec<Booking>, i64)> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM appointments WHERE day >= ?1 OR state IN ('booked','checked_in') ORDER BY id" 
    ))?;
    let rows = stmt
        .query_map([since.to_string()], from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?
        .into_iter()
        .collect::<Result<Vec<Booking>>>()?
        .into_iter()
        .map(|mut b| {
            b.phone = keys.open_opt(super::seal::BOOKING_PHONE, b.id.0, b.phone.take());
            b
        })
        .collect();
    let max: i64 = conn.query_row("SELECT COALESCE(MAX(id), 0) FROM appointments", [], |r| {
        r.get(0)
    })?;
    Ok((rows, max + 1))
}

/// Every booking of the days `from..=to` with the first call of the ticket its check-in issued
/// (reports).
pub fn between(
    conn: &Connection,
    from: Date,
    to: Date,
) -> Result<Vec<(Booking, Option<Timestamp>)>> {
    let cols = COLUMNS
        .split(", ")
        .map(|c| format!("a.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    // The tickets of archived days are in their archives (`store::archive`).
    let tickets = super::archive::day_sources(conn, &from.to_string(), &to.to_string())?
        .iter()
        .map(|s| format!("SELECT id, first_called_ms FROM {s}.tickets"))
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    let mut stmt = conn.prepare(&format!(
        "SELECT {cols}, t.first_called_ms FROM appointments a
         LEFT JOIN ({tickets}) t ON t.id = a.ticket_id
         WHERE a.day BETWEEN ?1 AND ?2 ORDER BY a.day, a.start, a.id"
    ))?;
    let n = COLUMNS.split(", ").count();
    stmt.query_map([from.to_string(), to.to_string()], |r| {
        let called: Option<i64> = r.get(n)?;
        Ok((from_row(r)?, called))
    })?
    .map(|row| {
        let (b, called) = row?;
        let called = called
            .map(|ms| Timestamp::from_millisecond(ms).map_err(|e| corrupt("first call", e)))
            .transpose()?;
        // Reports need no phone: it stays sealed in the database.
        Ok((Booking { phone: None, ..b? }, called))
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    fn booking(id: i64, state: BookingState, day: &str) -> Booking {
        Booking {
            id: BookingId(id),
            token: format!("tok{id}"),
            code: format!("{id:06}"),
            queue: "crj".into(),
            day: day.parse().expect("day"),
            start: Time::constant(9, 30, 0, 0),
            end: Time::constant(10, 0, 0, 0),
            extended: false,
            protected: id == 2,
            state,
            id_hash: "h".into(),
            id_last4: "123X".into(),
            phone: Some("13800138000".into()),
            external_id: (id == 1).then(|| "ext-1".into()),
            booked_by: "citizen".into(),
            booked_at: Timestamp::from_second(1_700_000_000).expect("t"),
            checked_in_at: None,
            ticket: (id == 2).then_some(TicketId(7)),
            return_of: (id == 2).then(|| ReturnOrigin {
                window: 12,
                documents: "户口簿原件".into(),
            }),
        }
    }

    #[test]
    fn rows_round_trip_and_restore_keeps_active_and_recent() {
        let dir = tempfile::tempdir().expect("dir");
        let mut store = Store::open(&dir.path().join("a.db")).expect("open");
        let rows = [
            booking(1, BookingState::Booked, "2026-12-01"),
            booking(2, BookingState::CheckedIn, "2026-12-02"),
            booking(3, BookingState::Missed, "2026-10-01"),
            booking(4, BookingState::Cancelled, "2026-11-20"),
        ];
        let tx = store.conn.transaction().expect("tx");
        rows.iter()
            .try_for_each(|b| upsert(&tx, b, &store.keys))
            .expect("write");
        tx.commit().expect("commit");
        let stored: String = store
            .conn
            .query_row("SELECT phone FROM appointments WHERE id = 1", [], |r| {
                r.get(0)
            })
            .expect("phone");
        assert!(super::super::seal::is_sealed(&stored) && !stored.contains("13800138000"));
        let since = "2026-11-01".parse().expect("d");
        let (back, next) = restore(&store.conn, &store.keys, since).expect("restore");
        assert_eq!(next, 5);
        let ids: Vec<i64> = back.iter().map(|b| b.id.0).collect();
        assert_eq!(
            ids,
            vec![1, 2, 4],
            "old and finished rows stay on disk only"
        );
        assert_eq!(back[0], rows[0]);
        assert_eq!(back[1], rows[1]);
        // A finished booking keeps no phone number.
        assert_eq!(back[2].phone, None);
    }
}
