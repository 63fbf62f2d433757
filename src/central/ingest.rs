//! Writing a hall's events into the central database: one transaction per batch. Only the
//! events past the centre's mark for the hall, read under the hall row's lock, go in (and the
//! (hall_id, seq) key would refuse any other), and only they are applied to tickets, ratings
//! and rollups, so a batch sent twice counts once.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::SinkExt;
use tokio_postgres::types::Type;
use tokio_postgres::{Client, Transaction};

use super::batch::{self, EVENT_COLUMNS, RATING_COLUMNS, TICKET_COLUMNS};
use super::fact::{Shipped, TicketRow};
use super::rollup;
use super::stages::Stages;
use super::wire::{BoxError, PgTime};
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
/// newest event when the batch was read (for the lag). Returns how many events were new.
///
/// The hall ships its log in order and the centre's `last_seq` moves in the same transaction
/// as the rows, so the events past `last_seq` are exactly the new ones (the primary key on
/// (hall_id, seq) would refuse a duplicate all the same). The centre is kept busy: the events'
/// COPY goes out first, and while PostgreSQL takes it this side works out the tickets, ratings
/// and rollup changes on a blocking thread (`batch::work`); then the rest goes out pipelined,
/// with one wait for the old rollup rows (merged in `rollup`) and one for the commit.
pub async fn ship(
    client: &mut Client,
    hall: &HallInfo,
    batch: Arc<[Shipped]>,
    hall_last_seq: i64,
) -> Result<usize, IngestError> {
    ship_timed(client, hall, batch, hall_last_seq, &mut Stages::default()).await
}

/// `ship`, adding the time of each stage to `stages`.
pub async fn ship_timed(
    client: &mut Client,
    hall: &HallInfo,
    batch: Arc<[Shipped]>,
    hall_last_seq: i64,
    stages: &mut Stages,
) -> Result<usize, IngestError> {
    stages.start();
    let tx = client.transaction().await?;
    // With the mark, the hall's latest rollup day: rollup rows after it are new for sure,
    // and need no look for a stored row (a backward step of the rollups' key).
    let row = tx
        .query_one(
            "SELECT last_seq, (SELECT to_char(MAX(day), 'YYYY-MM-DD') FROM day_queue WHERE hall_id = $1)
             FROM halls WHERE hall_id = $1 FOR UPDATE",
            &[&hall.hall_id],
        )
        .await?;
    let (shipped, rolled): (i64, Option<String>) = (row.get(0), row.get(1));
    stages.lap("begin, lock the hall row");
    // A batch sent again after its commit went unseen is new from some point on, or not at all.
    let fresh: Arc<[Shipped]> = if batch.iter().all(|e| e.seq > shipped) {
        Arc::clone(&batch)
    } else {
        batch.iter().filter(|e| e.seq > shipped).cloned().collect()
    };
    let earlier = read_tickets(&tx, &hall.hall_id, &batch::earlier_tickets(&fresh)).await?;
    stages.lap("read earlier tickets");
    let worked = {
        let (fresh, id, target) = (Arc::clone(&fresh), hall.hall_id.clone(), hall.wait_target_s);
        tokio::task::spawn_blocking(move || batch::work(&id, target, &fresh, earlier))
    };
    let events = batch::event_rows(&hall.hall_id, &fresh).map_err(IngestError::Encode)?;
    send_copy(&tx, "events", EVENT_COLUMNS, events).await?;
    stages.lap("events COPY (batch worked out beside it)");
    let worked = worked.await?.map_err(IngestError::Encode)?;
    stages.lap("wait for the batch's work (Rust)");
    // Pipelined: each statement goes out without waiting for the one before.
    let tickets = async {
        remove_tickets(&tx, &hall.hall_id, &worked.moved).await?;
        send_copy(&tx, "tickets", TICKET_COLUMNS, worked.tickets).await
    };
    let (_, _, old_days, old_months) = tokio::try_join!(
        tickets,
        send_copy(&tx, "ratings", RATING_COLUMNS, worked.ratings),
        rollup::take(
            &tx,
            &hall.hall_id,
            rollup::DAYS,
            &worked.days,
            rolled.as_deref()
        ),
        rollup::take(
            &tx,
            &hall.hall_id,
            rollup::MONTHS,
            &worked.months,
            rolled.as_deref()
        ),
    )?;
    stages.lap("tickets COPY, ratings, rollups taken out");
    let days = rollup::rows(&hall.hall_id, rollup::DAYS, old_days, worked.days);
    let months = rollup::rows(&hall.hall_id, rollup::MONTHS, old_months, worked.months);
    let (days, months) = (
        days.map_err(IngestError::Encode)?,
        months.map_err(IngestError::Encode)?,
    );
    stages.lap("rollups merged (Rust)");
    // The hall row last: a batch that fails anywhere leaves the centre's mark where it was.
    let (day_columns, month_columns) = (
        rollup::columns(rollup::DAYS),
        rollup::columns(rollup::MONTHS),
    );
    tokio::try_join!(
        send_copy(&tx, rollup::DAYS.table, &day_columns, days),
        send_copy(&tx, rollup::MONTHS.table, &month_columns, months),
        mark_shipped(&tx, &hall.hall_id, batch.last(), hall_last_seq),
    )?;
    stages.lap("rollups COPY back, mark");
    tx.commit().await?;
    stages.lap("commit");
    Ok(fresh.len())
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
