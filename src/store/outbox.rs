//! The notifications outbox in SQLite: its migration, the writes the engine makes in each
//! batch's transaction (new messages, dropped reminders), and the delivery task's reads and
//! marks. The delivery task marks rows on a short-lived connection of its own (like the
//! uplink's mark): only its own bookkeeping, never hall state. A phone number stays in a row
//! only while the message is still due.

use std::path::Path;

use rusqlite::{Connection, OpenFlags, Transaction, params};

use super::keys::Keys;
use super::seal::OUTBOX_PHONE;
use super::{Reader, Result, StoreError, configure};
use crate::domain::notify::{NoteKind, OutboxWrite};

/// Migration step (appended to `schema::MIGRATIONS`).
pub const MIGRATION: &str = r#"
    CREATE TABLE outbox (
        id           INTEGER PRIMARY KEY,
        key          TEXT    NOT NULL,
        target       TEXT    NOT NULL,
        kind         TEXT    NOT NULL,
        booking_id   INTEGER,
        ticket_id    INTEGER,
        phone        TEXT,
        body         TEXT    NOT NULL,
        created_ms   INTEGER NOT NULL,
        due_ms       INTEGER NOT NULL,
        state        TEXT    NOT NULL,
        attempts     INTEGER NOT NULL DEFAULT 0,
        next_try_ms  INTEGER NOT NULL DEFAULT 0,
        last_error   TEXT,
        delivered_ms INTEGER,
        UNIQUE (key, target)
    );
    CREATE INDEX outbox_pending ON outbox(target, due_ms) WHERE state = 'pending';
    CREATE INDEX outbox_booking ON outbox(booking_id) WHERE state = 'pending';
"#;

/// The row a notification's sealed phone is bound to: its booking, else its ticket.
fn seal_row(booking: Option<i64>, ticket: Option<i64>) -> i64 {
    booking.or(ticket).unwrap_or(0)
}

/// Apply the batch's outbox writes inside its transaction. A phone is stored sealed with the
/// key file's key (`store/seal.rs`), like the tickets' and bookings' phones.
pub fn write(tx: &Transaction<'_>, writes: &[OutboxWrite], keys: &Keys) -> Result<()> {
    for w in writes {
        match w {
            OutboxWrite::Enqueue(n) => {
                let body =
                    serde_json::to_string(&n.body).map_err(|e| StoreError::Other(e.to_string()))?;
                tx.prepare_cached(
                    "INSERT INTO outbox(key, target, kind, booking_id, ticket_id, phone, body,
                        created_ms, due_ms, state)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'pending')
                     ON CONFLICT (key, target) DO NOTHING",
                )?
                .execute(params![
                    n.key,
                    n.target,
                    n.kind.as_str(),
                    n.booking.map(|b| b.0),
                    n.ticket.map(|t| t.0),
                    Some(n.phone.as_str())
                        .filter(|p| !p.is_empty())
                        .map(|p| keys.seal(
                            OUTBOX_PHONE,
                            seal_row(n.booking.map(|b| b.0), n.ticket.map(|t| t.0)),
                            p
                        )),
                    body,
                    n.created_ms,
                    n.due_ms
                ])?;
            }
            OutboxWrite::DropReminders(b) => {
                tx.prepare_cached(
                    "UPDATE outbox SET state = 'dropped', phone = NULL
                     WHERE booking_id = ?1 AND state = 'pending' AND kind IN (?2, ?3)",
                )?
                .execute(params![
                    b.0,
                    NoteKind::ReminderDayBefore.as_str(),
                    NoteKind::ReminderHourBefore.as_str()
                ])?;
            }
        }
    }
    Ok(())
}

/// A message waiting to be sent.
#[derive(Debug, Clone)]
pub struct Pending {
    pub id: i64,
    pub key: String,
    pub kind: String,
    /// As stored: sealed (`OutboxMarks::open_phone` opens it).
    pub phone: Option<String>,
    /// The row the sealed phone is bound to.
    pub seal_row: i64,
    pub body: String,
    pub attempts: u32,
}

/// One target's outbox now.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Depth {
    /// Messages due and not yet delivered.
    pub due: u64,
    /// When the oldest of them fell due (hall clock, ms).
    pub oldest_due_ms: Option<i64>,
    /// Messages not yet due (reminders).
    pub later: u64,
}

impl Reader {
    /// Up to `limit` messages of `target` due at `hall_ms` whose next try is at `wall_ms` or
    /// before, oldest first.
    pub fn outbox_due(
        &self,
        target: &str,
        hall_ms: i64,
        wall_ms: i64,
        limit: usize,
    ) -> Result<Vec<Pending>> {
        self.with(|c| {
            let mut st = c.prepare_cached(
                "SELECT id, key, kind, phone, body, attempts, booking_id, ticket_id FROM outbox
                 WHERE target = ?1 AND state = 'pending' AND due_ms <= ?2 AND next_try_ms <= ?3
                 ORDER BY due_ms, id LIMIT ?4",
            )?;
            let rows = st.query_map(params![target, hall_ms, wall_ms, limit as i64], |r| {
                Ok(Pending {
                    id: r.get(0)?,
                    key: r.get(1)?,
                    kind: r.get(2)?,
                    phone: r.get(3)?,
                    seal_row: seal_row(r.get(6)?, r.get(7)?),
                    body: r.get(4)?,
                    attempts: r.get::<_, i64>(5)?.max(0) as u32,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// How deep `target`'s outbox is at `hall_ms`.
    pub fn outbox_depth(&self, target: &str, hall_ms: i64) -> Result<Depth> {
        self.with(|c| {
            let (due, oldest, later) = c.query_row(
                "SELECT COALESCE(SUM(due_ms <= ?2), 0), MIN(CASE WHEN due_ms <= ?2 THEN due_ms END),
                        COALESCE(SUM(due_ms > ?2), 0)
                 FROM outbox WHERE target = ?1 AND state = 'pending'",
                params![target, hall_ms],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, Option<i64>>(1)?,
                        r.get::<_, i64>(2)?,
                    ))
                },
            )?;
            Ok(Depth {
                due: due.max(0) as u64,
                oldest_due_ms: oldest,
                later: later.max(0) as u64,
            })
        })
    }
}

/// What one try of one message came to.
#[derive(Debug, Clone)]
pub enum Tried {
    /// The receiver answered 2xx.
    Delivered { id: i64 },
    /// Anything else: try again from `next_try_ms` (wall clock).
    Failed {
        id: i64,
        error: String,
        next_try_ms: i64,
    },
}

/// The delivery task's own write connection to the hall database.
pub struct OutboxMarks {
    conn: Connection,
    keys: Keys,
}

impl OutboxMarks {
    pub fn open(db: &Path) -> Result<OutboxMarks> {
        let conn = Connection::open_with_flags(
            db,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        configure(&conn)?;
        // The server's store made and checked the key file already; this only reads it.
        let keys = super::keys::unlock(&conn, db)?;
        Ok(OutboxMarks { conn, keys })
    }

    /// The key file's keys, to open the phones of due messages.
    pub fn keys(&self) -> Keys {
        self.keys.clone()
    }
}

/// A due message's phone in clear; `None` when it has none or it does not open (logged).
pub fn open_phone(keys: &Keys, p: &Pending) -> Option<String> {
    let stored = p.phone.as_deref()?;
    let phone = keys.open(OUTBOX_PHONE, p.seal_row, stored);
    if phone.is_none() {
        tracing::error!(
            id = p.id,
            "a notification's phone did not open with the key file"
        );
    }
    phone
}

impl OutboxMarks {
    /// Record the outcome of tries; a delivery is stamped `now_ms` (the hall clock). A
    /// delivered row forgets its phone.
    pub fn mark(&mut self, tried: &[Tried], now_ms: i64) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        for t in tried {
            match t {
                Tried::Delivered { id } => {
                    tx.prepare_cached(
                        "UPDATE outbox SET state = 'delivered', phone = NULL, delivered_ms = ?2,
                            attempts = attempts + 1, last_error = NULL
                         WHERE id = ?1 AND state = 'pending'",
                    )?
                    .execute(params![id, now_ms])?;
                }
                Tried::Failed {
                    id,
                    error,
                    next_try_ms,
                } => {
                    tx.prepare_cached(
                        "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, next_try_ms = ?3
                         WHERE id = ?1 AND state = 'pending'",
                    )?
                    .execute(params![id, error, next_try_ms])?;
                }
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Messages for targets no longer in the config will never be sent: drop them (and their
    /// phones). Returns how many.
    pub fn drop_unknown_targets(&mut self, known: &[String]) -> Result<usize> {
        let tx = self.conn.transaction()?;
        let mut dropped = 0;
        {
            let mut st =
                tx.prepare("SELECT DISTINCT target FROM outbox WHERE state = 'pending'")?;
            let targets = st
                .query_map([], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            for t in targets.iter().filter(|t| !known.contains(t)) {
                dropped += tx.execute(
                    "UPDATE outbox SET state = 'dropped', phone = NULL,
                        last_error = 'target no longer configured'
                     WHERE target = ?1 AND state = 'pending'",
                    [t],
                )?;
            }
        }
        tx.commit()?;
        Ok(dropped)
    }
}

impl super::Store {
    /// `[retention] outbox_days`: delete the rows delivered or dropped before `before_ms`, and
    /// abandon (delete) the ones still pending that fell due before it. Returns (finished,
    /// abandoned). Run by the engine at each change of day, beside `purge_personal`; nothing
    /// re-derives a message that old, so its key is not needed to keep it sent once.
    pub fn prune_outbox(&mut self, before_ms: i64) -> Result<(usize, usize)> {
        let tx = self.conn.transaction()?;
        let finished = tx.execute(
            "DELETE FROM outbox WHERE (state = 'delivered' AND delivered_ms < ?1)
                OR (state = 'dropped' AND created_ms < ?1)",
            [before_ms],
        )?;
        let abandoned = tx.execute(
            "DELETE FROM outbox WHERE state = 'pending' AND due_ms < ?1",
            [before_ms],
        )?;
        tx.commit()?;
        Ok((finished, abandoned))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::appointments::BookingId;
    use crate::domain::hall::Changes;
    use crate::domain::notify::Note;
    use crate::store::Store;

    fn note(key: &str, kind: NoteKind, due_ms: i64) -> OutboxWrite {
        OutboxWrite::Enqueue(Note {
            key: key.into(),
            target: "sms".into(),
            kind,
            booking: Some(BookingId(7)),
            ticket: None,
            phone: "13800138000".into(),
            body: serde_json::json!({"id": key}),
            created_ms: 0,
            due_ms,
        })
    }

    fn commit(store: &mut Store, writes: Vec<OutboxWrite>) {
        let changes = Changes {
            outbox: writes,
            ..Changes::default()
        };
        store.commit(&mut [], &changes).expect("commit");
    }

    #[test]
    fn once_per_key_due_in_order_dropped_reminders_and_phones_forgotten() {
        let dir = tempfile::tempdir().expect("dir");
        let db = dir.path().join("h.db");
        let mut store = Store::open(&db).expect("open");
        let reader = Reader::new(&db);
        commit(
            &mut store,
            vec![
                note("b7-confirmed", NoteKind::BookingConfirmed, 100),
                note("b7-reminder", NoteKind::ReminderHourBefore, 5_000),
            ],
        );
        // The same key again (a restart re-deriving it) adds nothing.
        commit(
            &mut store,
            vec![note("b7-confirmed", NoteKind::BookingConfirmed, 100)],
        );
        let due = reader.outbox_due("sms", 1_000, 0, 10).expect("due");
        assert_eq!(due.len(), 1);
        // Stored sealed; the delivery task opens it with the key file's keys.
        assert!(
            !due[0]
                .phone
                .as_deref()
                .unwrap_or("")
                .contains("13800138000")
        );
        let keys = OutboxMarks::open(&db).expect("marks").keys();
        assert_eq!(open_phone(&keys, &due[0]).as_deref(), Some("13800138000"));
        assert_eq!(
            reader.outbox_depth("sms", 1_000).expect("depth"),
            Depth {
                due: 1,
                oldest_due_ms: Some(100),
                later: 1
            }
        );
        // A failure waits for its next try; a delivery forgets the phone.
        let mut marks = OutboxMarks::open(&db).expect("marks");
        marks
            .mark(
                &[Tried::Failed {
                    id: due[0].id,
                    error: "answered 503".into(),
                    next_try_ms: 50,
                }],
                10,
            )
            .expect("mark");
        assert!(
            reader
                .outbox_due("sms", 1_000, 49, 10)
                .expect("due")
                .is_empty()
        );
        let again = reader.outbox_due("sms", 1_000, 50, 10).expect("due");
        assert_eq!(again[0].attempts, 1);
        marks
            .mark(&[Tried::Delivered { id: again[0].id }], 60)
            .expect("mark");
        assert_eq!(reader.outbox_depth("sms", 1_000).expect("depth").due, 0);
        // The booking is cancelled: its reminder is dropped before it falls due.
        commit(&mut store, vec![OutboxWrite::DropReminders(BookingId(7))]);
        assert!(
            reader
                .outbox_due("sms", 9_000, 100, 10)
                .expect("due")
                .is_empty()
        );
        let phones: i64 = reader
            .with(|c| {
                Ok(c.query_row(
                    "SELECT COUNT(*) FROM outbox WHERE phone IS NOT NULL",
                    [],
                    |r| r.get(0),
                )?)
            })
            .expect("count");
        assert_eq!(phones, 0, "no phone kept once nothing is due");
        // A gateway taken out of the config: its messages are dropped, not left pending.
        commit(
            &mut store,
            vec![note("b8-confirmed", NoteKind::BookingConfirmed, 100)],
        );
        assert_eq!(
            marks
                .drop_unknown_targets(&["wechat".into()])
                .expect("drop"),
            1
        );
        assert_eq!(reader.outbox_depth("sms", 1_000).expect("depth").due, 0);
    }

    #[test]
    fn pruning_deletes_finished_rows_and_abandons_stale_ones_past_the_cutoff() {
        let dir = tempfile::tempdir().expect("dir");
        let db = dir.path().join("h.db");
        let mut store = Store::open(&db).expect("open");
        let reader = Reader::new(&db);
        commit(
            &mut store,
            vec![
                note("old-delivered", NoteKind::BookingConfirmed, 100),
                note("new-delivered", NoteKind::BookingConfirmed, 100),
                note("old-pending", NoteKind::BookingConfirmed, 200),
                note("future-reminder", NoteKind::ReminderHourBefore, 50_000),
            ],
        );
        let due = reader.outbox_due("sms", 1_000, 0, 10).expect("due");
        let id = |k: &str| due.iter().find(|p| p.key == k).expect("row").id;
        let mut marks = OutboxMarks::open(&db).expect("marks");
        marks
            .mark(
                &[Tried::Delivered {
                    id: id("old-delivered"),
                }],
                500,
            )
            .expect("mark");
        marks
            .mark(
                &[Tried::Delivered {
                    id: id("new-delivered"),
                }],
                2_000,
            )
            .expect("mark");
        let keys = || -> Vec<String> {
            reader
                .with(|c| {
                    let mut st = c.prepare("SELECT key FROM outbox ORDER BY key")?;
                    let rows = st
                        .query_map([], |r| r.get::<_, String>(0))?
                        .collect::<rusqlite::Result<Vec<_>>>()?;
                    Ok(rows)
                })
                .expect("keys")
        };
        // Nothing is older than the cutoff yet.
        assert_eq!(store.prune_outbox(100).expect("prune"), (0, 0));
        assert_eq!(keys().len(), 4);
        // Delivered at 500 and due at 200 but never delivered: gone at a cutoff of 1,000; a
        // delivery at 2,000 and a reminder not yet due stay.
        assert_eq!(store.prune_outbox(1_000).expect("prune"), (1, 1));
        assert_eq!(keys(), vec!["future-reminder", "new-delivered"]);
        // The kept key still keeps its message sent once.
        commit(
            &mut store,
            vec![note("new-delivered", NoteKind::BookingConfirmed, 100)],
        );
        assert!(
            reader
                .outbox_due("sms", 9_000, 9_000, 10)
                .expect("due")
                .iter()
                .all(|p| p.key != "new-delivered")
        );
    }
}
