//! Writing a hall's events into the central database, and what is derived from them.
//! - `ship`: one transaction per batch. Only the events past the centre's mark for the hall,
//!   read under the hall row's lock, go in (and the (hall_id, seq) key would refuse any
//!   other), so a batch sent twice is stored once.
//! - `materialize`: the stored events past the hall's rollup mark, applied to tickets,
//!   ratings and rollups in a transaction that moves that mark, so each event counts once.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::SinkExt;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Client, Transaction};

use super::batch::{self, EVENT_COLUMNS, RATING_COLUMNS, TICKET_COLUMNS};
use super::fact::{Shipped, TicketRow};
use super::rollup;
use super::stages::Stages;
use super::wire::{BoxError, PgDate, PgTime};
use crate::domain::Plan;

/// A hall as the centre knows it: id, name, wait target and queue catalogue.
#[derive(Debug, Clone)]
pub struct HallInfo {
    pub hall_id: String,
    pub name: String,
    pub wait_target_s: u32,
    /// (queue, name, department, department name), in the plan's order.
    pub queues: Vec<(String, String, String, String)>,
}

impl HallInfo {
    /// The catalogue of `plan` under `hall_id`.
    pub fn from_plan(hall_id: &str, plan: &Plan) -> HallInfo {
        HallInfo {
            hall_id: hall_id.to_string(),
            name: plan.rules.name.clone(),
            wait_target_s: plan.rules.wait_target_s,
            queues: plan
                .queues
                .iter()
                .map(|q| {
                    let dept = plan
                        .department(&q.department)
                        .map_or_else(|| q.department.clone(), |d| d.name.clone());
                    (q.id.clone(), q.name.clone(), q.department.clone(), dept)
                })
                .collect(),
        }
    }
}

/// Record the hall and its catalogue; returns the last event seq the centre holds for it.
pub async fn register(client: &mut Client, hall: &HallInfo) -> Result<i64, tokio_postgres::Error> {
    let tx = client.transaction().await?;
    tx.execute(
        "INSERT INTO halls(hall_id, name, wait_target_s) VALUES ($1, $2, $3)
         ON CONFLICT (hall_id) DO UPDATE SET name = EXCLUDED.name, wait_target_s = EXCLUDED.wait_target_s",
        &[&hall.hall_id, &hall.name, &(hall.wait_target_s as i32)],
    )
    .await?;
    let mut cols: [Vec<String>; 4] = Default::default();
    let mut pos = Vec::new();
    for (i, (q, n, d, dn)) in hall.queues.iter().enumerate() {
        cols[0].push(q.clone());
        cols[1].push(n.clone());
        cols[2].push(d.clone());
        cols[3].push(dn.clone());
        pos.push(i as i32);
    }
    tx.execute(
        "INSERT INTO hall_queues(hall_id, queue, name, department, department_name, position)
         SELECT $1, * FROM UNNEST($2::text[], $3::text[], $4::text[], $5::text[], $6::int4[])
         ON CONFLICT (hall_id, queue) DO UPDATE SET name = EXCLUDED.name,
             department = EXCLUDED.department, department_name = EXCLUDED.department_name,
             position = EXCLUDED.position",
        &[&hall.hall_id, &cols[0], &cols[1], &cols[2], &cols[3], &pos],
    )
    .await?;
    // A hall without a mark was last shipped by a hallq that wrote the rollups with the
    // events: they stand at its `last_seq` (0 for a new hall).
    tx.execute(
        "INSERT INTO rollup_marks(hall_id, rolled_seq) SELECT hall_id, last_seq FROM halls
         WHERE hall_id = $1 ON CONFLICT (hall_id) DO NOTHING",
        &[&hall.hall_id],
    )
    .await?;
    let last: i64 = tx
        .query_one(
            "SELECT last_seq FROM halls WHERE hall_id = $1",
            &[&hall.hall_id],
        )
        .await?
        .get(0);
    tx.commit().await?;
    Ok(last)
}

/// Store `batch` (ascending seq) for `hall` in one transaction; `hall_last_seq` is the hall's
/// newest event when the batch was read (for the lag). Returns what was stored (`Shipment`).
///
/// The hall ships its log in order and the centre's `last_seq` moves in the same transaction
/// as the rows, so the events past `last_seq` are exactly the new ones (the primary key on
/// (hall_id, seq) would refuse a duplicate all the same). Only the events go in here: the
/// tickets, ratings and rollups follow the log in `materialize`, so a hall's backlog lands at
/// the pace of its events, and a batch the derived tables cannot take (a fault in this code)
/// still lands and waits for the fix.
pub async fn ship(
    client: &mut Client,
    hall: &HallInfo,
    batch: &[Shipped],
    hall_last_seq: i64,
) -> Result<Shipment, IngestError> {
    ship_timed(client, hall, batch, hall_last_seq, &mut Stages::default()).await
}

/// What one `ship` stored: the batch's events past `before`, the centre's mark when the
/// batch came, up to `upto`, its mark after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shipment {
    pub before: i64,
    pub upto: i64,
    /// How many of the batch's events were new.
    pub fresh: usize,
}

/// `ship`, adding the time of each stage to `stages`.
pub async fn ship_timed(
    client: &mut Client,
    hall: &HallInfo,
    batch: &[Shipped],
    hall_last_seq: i64,
    stages: &mut Stages,
) -> Result<Shipment, IngestError> {
    stages.start();
    let tx = client.transaction().await?;
    // Events only: the rollups follow in `materialize` (schema step 3's trigger tells this
    // from an older hallq's batch, which wrote them too).
    let shipped: i64 = tx
        .query_one(
            "SELECT last_seq, set_config('hallq.events_only', 'on', true) FROM halls
             WHERE hall_id = $1 FOR UPDATE",
            &[&hall.hall_id],
        )
        .await?
        .get(0);
    stages.lap("begin, lock the hall row");
    // A batch sent again after its commit went unseen is new from some point on, or not at all.
    let from = batch.partition_point(|e| e.seq <= shipped);
    let fresh = &batch[from..];
    let events = batch::event_rows(&hall.hall_id, fresh).map_err(IngestError::Encode)?;
    stages.lap("events encoded");
    // The hall row last: a batch that fails anywhere leaves the centre's mark where it was.
    tokio::try_join!(
        send_copy(&tx, "events", EVENT_COLUMNS, events),
        mark_shipped(&tx, &hall.hall_id, batch.last(), hall_last_seq),
    )?;
    stages.lap("events COPY, mark");
    tx.commit().await?;
    stages.lap("commit");
    Ok(Shipment {
        before: shipped,
        upto: batch.last().map_or(shipped, |e| e.seq.max(shipped)),
        fresh: fresh.len(),
    })
}

/// Events this process shipped and has not rolled up yet: exactly the centre's events of the
/// hall after `after` up to `upto`, in order, so `materialize` can take them from here instead
/// of reading them back.
#[derive(Debug, Default)]
pub struct Held {
    after: i64,
    upto: i64,
    events: Vec<Shipped>,
}

impl Held {
    /// Keep what `ship` stored of `batch`; a shipment that does not follow on starts afresh.
    pub fn add(&mut self, shipment: Shipment, batch: Vec<Shipped>) {
        if shipment.before != self.upto || self.events.is_empty() {
            self.events.clear();
            self.after = shipment.before;
        }
        self.events
            .extend(batch.into_iter().filter(|e| e.seq > shipment.before));
        self.upto = shipment.upto;
    }

    /// Events held.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Let go of everything (it is read back when needed).
    pub fn clear(&mut self) {
        self.events.clear();
    }

    /// Take out the held events after `rolled`, at most `limit`, if the held run covers what
    /// follows `rolled` in the centre's log (those up to `rolled` are let go). Taken, not
    /// copied: if their rollup fails, they are read back next time.
    fn take(&mut self, rolled: i64, limit: usize) -> Option<Vec<Shipped>> {
        if self.events.is_empty() || rolled < self.after || rolled >= self.upto {
            return None;
        }
        let from = self.events.partition_point(|e| e.seq <= rolled);
        let to = self.events.len().min(from + limit);
        let taken: Vec<Shipped> = self.events.drain(..to).skip(from).collect();
        self.after = taken.last().map_or(rolled, |e| e.seq);
        Some(taken)
    }

    /// Drop what the rollups now hold (up to `rolled`).
    fn rolled(&mut self, rolled: i64) {
        if rolled >= self.after {
            let n = self.events.partition_point(|e| e.seq <= rolled);
            self.events.drain(..n);
            self.after = rolled;
        }
    }
}

/// Apply up to `limit` of `hall_id`'s stored events past its rollup mark to the tickets,
/// ratings and day and month rollups, and move the mark, in one transaction. Returns how many
/// events were applied: fewer than `limit` means the rollups have caught up with the events
/// (or another process holds the hall's rollups just now, and will carry on).
///
/// The mark's row is taken with `SKIP LOCKED`, so the uplink and the central server, which
/// both run this, never wait on each other or apply an event twice. The events are read back
/// by the key's range (or taken from `held`); the batch's tickets, ratings and rollup changes
/// are worked out on a blocking thread (`batch::work`), then everything goes out pipelined,
/// with one wait for the old rollup rows (merged in `rollup`) and one for the commit.
///
/// `held`: events this process shipped and still holds (the uplink's); those past the mark are
/// taken from it rather than read back, and what gets rolled up is let go.
pub async fn materialize(
    client: &mut Client,
    hall_id: &str,
    limit: usize,
    held: Option<&mut Held>,
) -> Result<usize, IngestError> {
    materialize_timed(client, hall_id, limit, held, &mut Stages::default()).await
}

/// `materialize`, adding the time of each stage to `stages`.
pub async fn materialize_timed(
    client: &mut Client,
    hall_id: &str,
    limit: usize,
    mut held: Option<&mut Held>,
    stages: &mut Stages,
) -> Result<usize, IngestError> {
    stages.start();
    let tx = client.transaction().await?;
    // The mark, held until commit (or passed over if another process holds it), and the
    // hall's wait target.
    let Some(row) = tx
        .query_opt(
            "SELECT m.rolled_seq, h.wait_target_s
             FROM rollup_marks m JOIN halls h USING (hall_id)
             WHERE m.hall_id = $1 FOR UPDATE OF m SKIP LOCKED",
            &[&hall_id],
        )
        .await?
    else {
        return Ok(0);
    };
    let (rolled, target): (i64, i32) = (row.get(0), row.get(1));
    let limit = limit.max(1);
    let held_events = held.as_deref_mut().and_then(|h| h.take(rolled, limit));
    // The hall's latest rollup day: rollup rows after it are new for sure, and need no look
    // for a stored row. Read after the lock (a statement of its own, so it sees what a rollup
    // that held the mark until now committed).
    let hall: [&(dyn ToSql + Sync); 1] = [&hall_id];
    let latest_day = tx.query_one(
        "SELECT to_char(MAX(day), 'YYYY-MM-DD') FROM day_queue WHERE hall_id = $1",
        &hall,
    );
    let (latest_day, fresh): (Option<String>, Arc<[Shipped]>) = match held_events {
        Some(events) => (latest_day.await?.get(0), events.into()),
        None => {
            let n = i64::try_from(limit).unwrap_or(i64::MAX);
            let params: [&(dyn ToSql + Sync); 3] = [&hall_id, &rolled, &n];
            let (day, rows) = tokio::try_join!(
                latest_day,
                tx.query(
                    "SELECT seq, at, day, kind, ticket_id, queue, department, win, outcome, level
                     FROM events WHERE hall_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
                    &params,
                )
            )?;
            (
                day.get(0),
                read_events(&rows).map_err(IngestError::Encode)?.into(),
            )
        }
    };
    stages.lap("begin, lock the mark, read the events");
    let Some(last) = fresh.last().map(|e| e.seq) else {
        // Nothing past the mark: what is held is already rolled up (by the central server).
        if let Some(h) = held {
            h.rolled(rolled);
        }
        return Ok(0);
    };
    let earlier = read_tickets(&tx, hall_id, &batch::earlier_tickets(&fresh)).await?;
    stages.lap("read earlier tickets");
    let worked = {
        let (fresh, id, target) = (
            Arc::clone(&fresh),
            hall_id.to_string(),
            target.max(0) as u32,
        );
        tokio::task::spawn_blocking(move || batch::work(&id, target, &fresh, earlier))
    };
    let worked = worked.await?.map_err(IngestError::Encode)?;
    stages.lap("batch worked out (Rust)");
    // Pipelined: each statement goes out without waiting for the one before.
    let tickets = async {
        remove_tickets(&tx, hall_id, &worked.moved).await?;
        send_copy(&tx, "tickets", TICKET_COLUMNS, worked.tickets).await
    };
    let (old_days, old_months, _, _) = tokio::try_join!(
        rollup::take(
            &tx,
            hall_id,
            rollup::DAYS,
            &worked.days,
            latest_day.as_deref()
        ),
        rollup::take(
            &tx,
            hall_id,
            rollup::MONTHS,
            &worked.months,
            latest_day.as_deref()
        ),
        tickets,
        send_copy(&tx, "ratings", RATING_COLUMNS, worked.ratings),
    )?;
    stages.lap("tickets COPY, ratings, rollups taken out");
    let days = rollup::rows(hall_id, rollup::DAYS, old_days, worked.days);
    let months = rollup::rows(hall_id, rollup::MONTHS, old_months, worked.months);
    let (days, months) = (
        days.map_err(IngestError::Encode)?,
        months.map_err(IngestError::Encode)?,
    );
    stages.lap("rollups merged (Rust)");
    let (day_columns, month_columns) = (
        rollup::columns(rollup::DAYS),
        rollup::columns(rollup::MONTHS),
    );
    let mark: [&(dyn ToSql + Sync); 2] = [&hall_id, &last];
    tokio::try_join!(
        send_copy(&tx, rollup::DAYS.table, &day_columns, days),
        send_copy(&tx, rollup::MONTHS.table, &month_columns, months),
        tx.execute(
            "UPDATE rollup_marks SET rolled_seq = $2, rolled_at = now() WHERE hall_id = $1",
            &mark,
        ),
    )?;
    stages.lap("rollups COPY back, mark");
    tx.commit().await?;
    stages.lap("commit");
    if let Some(h) = held {
        h.rolled(last);
    }
    Ok(fresh.len())
}

/// Stored events as the uplink shipped them (binary columns, a day formatted once per day).
fn read_events(rows: &[tokio_postgres::Row]) -> Result<Vec<Shipped>, BoxError> {
    let mut day: Option<(PgDate, String)> = None;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let d: PgDate = r.try_get(2)?;
        let day = match &day {
            Some((at, s)) if *at == d => s.clone(),
            _ => {
                let s = d.format()?;
                day = Some((d, s.clone()));
                s
            }
        };
        out.push(Shipped {
            seq: r.try_get(0)?,
            at_ms: r.try_get::<_, PgTime>(1)?.0,
            day,
            kind: Shipped::static_kind(r.try_get(3)?),
            ticket_id: r.try_get(4)?,
            queue: r.try_get(5)?,
            department: r.try_get(6)?,
            window: r.try_get(7)?,
            outcome: r.try_get::<_, Option<&str>>(8)?.and_then(static_outcome),
            level: r.try_get::<_, Option<&str>>(9)?.and_then(static_level),
        });
    }
    Ok(out)
}

/// Drop the tickets, ratings and rollups of `halls` (every hall when empty) and set their
/// rollup marks back to the start, in one transaction, so `materialize` derives them again from
/// the events; returns the halls. Waits for a rollup in progress to finish first.
pub async fn forget_derived(
    client: &mut Client,
    halls: &[String],
) -> Result<Vec<String>, tokio_postgres::Error> {
    let mut halls = halls.to_vec();
    halls.sort_unstable();
    halls.dedup();
    let tx = client.transaction().await?;
    let ids: Vec<String> = tx
        .query(
            "SELECT hall_id FROM rollup_marks WHERE cardinality($1::text[]) = 0 OR hall_id = ANY($1)
             ORDER BY hall_id FOR UPDATE",
            &[&halls],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    if !halls.is_empty() && ids.len() != halls.len() {
        return Ok(Vec::new());
    }
    for table in ["tickets", "ratings", "day_queue", "month_queue"] {
        tx.execute(
            &format!("DELETE FROM {table} WHERE hall_id = ANY($1)"),
            &[&ids],
        )
        .await?;
    }
    tx.execute(
        "UPDATE rollup_marks SET rolled_seq = 0, rolled_at = NULL WHERE hall_id = ANY($1)",
        &[&ids],
    )
    .await?;
    tx.commit().await?;
    Ok(ids)
}

/// Where a hall's events and its rollups stand: the last event stored, and the last applied
/// to the tickets, ratings and rollups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marks {
    pub hall_id: String,
    pub last_seq: i64,
    pub rolled_seq: i64,
}

impl Marks {
    /// Whether the rollups trail the events.
    pub fn behind(&self) -> bool {
        self.rolled_seq < self.last_seq
    }
}

/// The marks of `halls` (every hall when empty), by hall id.
pub async fn marks(client: &Client, halls: &[String]) -> Result<Vec<Marks>, tokio_postgres::Error> {
    Ok(client
        .query(
            "SELECT h.hall_id, h.last_seq, COALESCE(m.rolled_seq, 0)
             FROM halls h LEFT JOIN rollup_marks m USING (hall_id)
             WHERE cardinality($1::text[]) = 0 OR h.hall_id = ANY($1) ORDER BY h.hall_id",
            &[&halls],
        )
        .await?
        .iter()
        .map(|r| Marks {
            hall_id: r.get(0),
            last_seq: r.get(1),
            rolled_seq: r.get(2),
        })
        .collect())
}

/// Why a batch was not stored (nothing of it was).
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{0}")]
    Pg(#[from] tokio_postgres::Error),
    #[error("encoding a batch: {0}")]
    Encode(BoxError),
    #[error("working out a batch: {0}")]
    Join(#[from] tokio::task::JoinError),
}

/// The stored rows of tickets `ids` of `hall`.
async fn read_tickets(
    tx: &Transaction<'_>,
    hall: &str,
    ids: &[i64],
) -> Result<HashMap<i64, TicketRow>, tokio_postgres::Error> {
    let mut tickets = HashMap::new();
    if ids.is_empty() {
        return Ok(tickets);
    }
    for r in tx
        .query(
            "SELECT ticket_id, to_char(day, 'YYYY-MM-DD'), queue, original_queue, state, win, issued_ms,
                    first_called_ms, called_ms, started_ms, finished_ms, transfer_count, outcome
             FROM tickets WHERE hall_id = $1 AND ticket_id = ANY($2)",
            &[&hall, &ids],
        )
        .await?
    {
        let t = TicketRow {
            ticket_id: r.get(0),
            day: r.get(1),
            queue: r.get(2),
            original_queue: r.get(3),
            state: static_state(r.get(4)),
            window: r.get(5),
            issued_ms: r.get(6),
            first_called_ms: r.get(7),
            called_ms: r.get(8),
            started_ms: r.get(9),
            finished_ms: r.get(10),
            transfer_count: r.get(11),
            outcome: r
                .get::<_, Option<String>>(12)
                .and_then(|o| static_outcome(&o)),
        };
        tickets.insert(t.ticket_id, t);
    }
    Ok(tickets)
}

async fn mark_shipped(
    tx: &Transaction<'_>,
    hall: &str,
    last: Option<&Shipped>,
    hall_last_seq: i64,
) -> Result<(), tokio_postgres::Error> {
    let Some(last) = last else { return Ok(()) };
    tx.execute(
        "UPDATE halls SET last_seq = GREATEST(last_seq, $2),
             last_event_at = GREATEST(last_event_at, $3),
             shipped_at = now(), hall_last_seq = GREATEST(hall_last_seq, $4)
         WHERE hall_id = $1",
        &[&hall, &last.seq, &PgTime(last.at_ms), &hall_last_seq],
    )
    .await?;
    Ok(())
}

fn static_state(s: String) -> &'static str {
    crate::domain::ticket::TicketState::ALL
        .into_iter()
        .map(|t| t.as_str())
        .find(|t| *t == s)
        .unwrap_or("waiting")
}

fn static_outcome(s: &str) -> Option<&'static str> {
    crate::domain::ticket::Outcome::parse(s).map(|o| o.as_str())
}

fn static_level(s: &str) -> Option<&'static str> {
    crate::domain::rating::RatingLevel::parse(s).map(|l| l.as_str())
}

/// A binary COPY of `payload` (from `wire::CopyRows`) into `table` of `columns`, in one piece.
pub async fn send_copy(
    tx: &Transaction<'_>,
    table: &str,
    columns: &[(&str, Type)],
    payload: Option<Bytes>,
) -> Result<u64, tokio_postgres::Error> {
    let Some(payload) = payload else { return Ok(0) };
    let names: Vec<&str> = columns.iter().map(|c| c.0).collect();
    let sink = tx
        .copy_in::<_, Bytes>(&format!(
            "COPY {table} ({}) FROM STDIN (FORMAT binary)",
            names.join(", ")
        ))
        .await?;
    futures_util::pin_mut!(sink);
    sink.send(payload).await?;
    sink.finish().await
}

/// Events by binary COPY into `table` (`events`, or a table of its shape for the bench's
/// baseline), by the encoder `ship` uses.
pub async fn copy_events(
    tx: &Transaction<'_>,
    table: &str,
    hall: &str,
    rows: &[Shipped],
) -> Result<u64, IngestError> {
    let payload = batch::event_rows(hall, rows).map_err(IngestError::Encode)?;
    Ok(send_copy(tx, table, EVENT_COLUMNS, payload).await?)
}

/// Take out the stored rows of tickets issued in an earlier batch that this one moved on
/// (they go back in with the batch's COPY). `= ANY` on the key: an index scan at any size.
async fn remove_tickets(
    tx: &Transaction<'_>,
    hall: &str,
    id: &[i64],
) -> Result<(), tokio_postgres::Error> {
    if id.is_empty() {
        return Ok(());
    }
    tx.execute(
        "DELETE FROM tickets WHERE hall_id = $1 AND ticket_id = ANY($2)",
        &[&hall, &id],
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(seq: i64) -> Shipped {
        Shipped {
            seq,
            at_ms: seq * 1000,
            day: "2026-12-02".into(),
            kind: "ticket.called",
            ticket_id: Some(seq),
            queue: Some("hj".into()),
            department: None,
            window: Some(1),
            outcome: None,
            level: None,
        }
    }

    fn seqs(v: Option<Vec<Shipped>>) -> Option<Vec<i64>> {
        v.map(|v| v.iter().map(|e| e.seq).collect())
    }

    #[test]
    fn held_events_stand_for_the_centres_only_while_they_follow_on() {
        let mut held = Held::default();
        let ship = |before, upto| Shipment {
            before,
            upto,
            fresh: 0,
        };
        held.add(ship(0, 4), (1..=4).map(ev).collect());
        // A batch sent again in part: only what was new is held, and it follows on.
        held.add(ship(4, 7), (3..=7).map(ev).collect());
        assert_eq!(held.len(), 7);
        // The rollups stand past the held run: nothing to take, read back instead.
        assert_eq!(seqs(held.take(7, 100)), None);
        assert_eq!(held.len(), 7);
        // Taken in turn, those before the mark let go.
        assert_eq!(seqs(held.take(2, 2)), Some(vec![3, 4]));
        assert_eq!(held.len(), 3);
        // The mark went back (a rollup failed after the take, or a rebuild): read back.
        assert_eq!(seqs(held.take(2, 100)), None);
        assert_eq!(seqs(held.take(4, 100)), Some(vec![5, 6, 7]));
        assert!(held.is_empty());
        // The central server rolled up 8 and 9 meanwhile: what is held up to them goes.
        held.add(ship(7, 11), (8..=11).map(ev).collect());
        held.rolled(9);
        assert_eq!(held.len(), 2);
        assert_eq!(seqs(held.take(9, 100)), Some(vec![10, 11]));
        // A shipment that does not follow on (another process shipped between) starts afresh.
        held.add(ship(11, 13), (12..=13).map(ev).collect());
        held.add(ship(20, 22), (21..=22).map(ev).collect());
        assert_eq!(seqs(held.take(11, 100)), None);
        assert_eq!(seqs(held.take(20, 100)), Some(vec![21, 22]));
        held.add(ship(22, 23), vec![ev(23)]);
        held.clear();
        assert_eq!(seqs(held.take(22, 100)), None);
    }

    #[test]
    fn stored_kinds_read_back_as_shipped() {
        for k in DERIVED_KINDS_FOR_TEST {
            assert_eq!(Shipped::static_kind(k), *k);
        }
        assert_eq!(Shipped::static_kind("user.created"), "other");
        assert_eq!(static_level("satisfied"), Some("satisfied"));
        assert_eq!(static_level("bogus"), None);
    }

    const DERIVED_KINDS_FOR_TEST: &[&str] =
        &["ticket.issued", "ticket.transferred", "rating.submitted"];
}
