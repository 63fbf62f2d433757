//! Writing a hall's events into the central database: one transaction per batch. Events go in
//! with `ON CONFLICT (hall_id, seq) DO NOTHING`; only the ones that were really new are
//! applied to tickets, ratings and rollups, so a batch sent twice counts once.

use std::collections::{HashMap, HashSet};

use tokio_postgres::Client;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::Type;

use super::fact::{Deltas, Shipped, TicketRow};
use super::stages::Stages;
use super::wire::{PgDate, PgTime};
use crate::domain::Plan;
use crate::domain::rating::RatingLevel;

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
/// (hall_id, seq) would refuse a duplicate all the same). New events and tickets go in by
/// binary COPY; tickets issued in an earlier batch are read, advanced, taken out and copied
/// back with the new ones; the day and month rollups are merged in `rollup`.
pub async fn ship(
    client: &mut Client,
    hall: &HallInfo,
    batch: &[Shipped],
    hall_last_seq: i64,
) -> Result<usize, tokio_postgres::Error> {
    ship_timed(client, hall, batch, hall_last_seq, &mut Stages::default()).await
}

/// `ship`, adding the time of each stage to `stages`.
pub async fn ship_timed(
    client: &mut Client,
    hall: &HallInfo,
    batch: &[Shipped],
    hall_last_seq: i64,
    stages: &mut Stages,
) -> Result<usize, tokio_postgres::Error> {
    stages.start();
    let tx = client.transaction().await?;
    let shipped: i64 = tx
        .query_one(
            "SELECT last_seq FROM halls WHERE hall_id = $1 FOR UPDATE",
            &[&hall.hall_id],
        )
        .await?
        .get(0);
    stages.lap("begin, lock the hall row");
    let fresh: Vec<&Shipped> = batch.iter().filter(|e| e.seq > shipped).collect();
    let issued_here: HashSet<i64> = fresh
        .iter()
        .filter(|e| e.kind == "ticket.issued")
        .filter_map(|e| e.ticket_id)
        .collect();
    let older: Vec<i64> = fresh
        .iter()
        .filter_map(|e| e.ticket_id)
        .filter(|id| !issued_here.contains(id))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut tickets: HashMap<i64, TicketRow> = HashMap::new();
    if !older.is_empty() {
        for r in tx
            .query(
                "SELECT ticket_id, to_char(day, 'YYYY-MM-DD'), queue, original_queue, state, win, issued_ms,
                        first_called_ms, called_ms, started_ms, finished_ms, transfer_count, outcome
                 FROM tickets WHERE hall_id = $1 AND ticket_id = ANY($2)",
                &[&hall.hall_id, &older],
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
    }
    stages.lap("read earlier tickets");
    let mut deltas = Deltas::default();
    let originals: HashMap<i64, TicketRow> = tickets.clone();
    let mut ratings = Vec::new();
    for e in &fresh {
        let Some(id) = e.ticket_id else { continue };
        if let Some(level) = e.level {
            if let Some(t) = tickets.get(&id) {
                let idx = RatingLevel::ALL
                    .iter()
                    .position(|l| l.as_str() == level)
                    .unwrap_or(0);
                let queue = e.queue.clone().unwrap_or_else(|| t.queue.clone());
                deltas.rating(&t.day, &queue, idx);
                ratings.push((id, t.day.clone(), queue, level, e.window));
            }
            continue;
        }
        if let Some(t) = TicketRow::apply(tickets.remove(&id), e) {
            tickets.insert(id, t);
        }
    }
    let (mut created, mut changed) = (Vec::new(), Vec::new());
    for (id, t) in &tickets {
        match originals.get(id) {
            Some(o) if o == t => continue,
            Some(o) => {
                deltas.ticket(o, hall.wait_target_s, -1);
                changed.push(t);
            }
            None => created.push(t),
        }
        deltas.ticket(t, hall.wait_target_s, 1);
    }
    let days = deltas.nonzero();
    let months = Deltas::by_month(&days);
    stages.lap("rebuild tickets, rollup deltas (Rust)");
    tokio::try_join!(
        remove_tickets(&tx, &hall.hall_id, &changed),
        insert_ratings(&tx, &hall.hall_id, &ratings),
    )?;
    stages.lap("remove moved tickets, insert ratings");
    copy_events(&tx, "events", &hall.hall_id, &fresh).await?;
    stages.lap("events COPY");
    // New and moved-on tickets in one COPY, in key order, so the primary key's B-tree takes
    // the new ones at its right edge.
    created.extend(changed);
    created.sort_unstable_by_key(|t| t.ticket_id);
    copy_tickets(&tx, &hall.hall_id, &created).await?;
    stages.lap("tickets COPY");
    super::rollup::write(&tx, &hall.hall_id, days, months, stages).await?;
    // The hall row last: a batch that fails anywhere leaves the centre's mark where it was.
    mark_shipped(&tx, &hall.hall_id, batch.last(), hall_last_seq).await?;
    stages.lap("mark");
    tx.commit().await?;
    stages.lap("commit");
    Ok(fresh.len())
}

async fn mark_shipped(
    tx: &tokio_postgres::Transaction<'_>,
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

/// Columns of the events COPY, with their types.
const EVENT_COLUMNS: &[(&str, Type)] = &[
    ("hall_id", Type::TEXT),
    ("seq", Type::INT8),
    ("at", Type::TIMESTAMPTZ),
    ("day", Type::DATE),
    ("kind", Type::TEXT),
    ("ticket_id", Type::INT8),
    ("queue", Type::TEXT),
    ("department", Type::TEXT),
    ("win", Type::INT4),
    ("outcome", Type::TEXT),
    ("level", Type::TEXT),
];

/// Columns of the tickets COPY, with their types.
const TICKET_COLUMNS: &[(&str, Type)] = &[
    ("hall_id", Type::TEXT),
    ("ticket_id", Type::INT8),
    ("day", Type::DATE),
    ("queue", Type::TEXT),
    ("original_queue", Type::TEXT),
    ("state", Type::TEXT),
    ("win", Type::INT4),
    ("issued_ms", Type::INT8),
    ("first_called_ms", Type::INT8),
    ("called_ms", Type::INT8),
    ("started_ms", Type::INT8),
    ("finished_ms", Type::INT8),
    ("transfer_count", Type::INT4),
    ("outcome", Type::TEXT),
];

/// A binary COPY into `table` of `columns`.
pub(super) async fn copy_into(
    tx: &tokio_postgres::Transaction<'_>,
    table: &str,
    columns: &[(&str, Type)],
) -> Result<BinaryCopyInWriter, tokio_postgres::Error> {
    let names: Vec<&str> = columns.iter().map(|c| c.0).collect();
    let types: Vec<Type> = columns.iter().map(|c| c.1.clone()).collect();
    let sink = tx
        .copy_in(&format!(
            "COPY {table} ({}) FROM STDIN (FORMAT binary)",
            names.join(", ")
        ))
        .await?;
    Ok(BinaryCopyInWriter::new(sink, &types))
}

/// Events by binary COPY into `table` (`events`, or a table of its shape for the bench's
/// baseline).
pub async fn copy_events(
    tx: &tokio_postgres::Transaction<'_>,
    table: &str,
    hall: &str,
    rows: &[&Shipped],
) -> Result<(), tokio_postgres::Error> {
    if rows.is_empty() {
        return Ok(());
    }
    let w = copy_into(tx, table, EVENT_COLUMNS).await?;
    futures_util::pin_mut!(w);
    let mut days = Days::default();
    for e in rows {
        w.as_mut()
            .write(&[
                &hall,
                &e.seq,
                &PgTime(e.at_ms),
                &days.of(&e.day),
                &e.kind,
                &e.ticket_id,
                &e.queue,
                &e.department,
                &e.window,
                &e.outcome,
                &e.level,
            ])
            .await?;
    }
    w.finish().await?;
    Ok(())
}

/// Tickets first seen in this batch, by binary COPY.
async fn copy_tickets(
    tx: &tokio_postgres::Transaction<'_>,
    hall: &str,
    rows: &[&TicketRow],
) -> Result<(), tokio_postgres::Error> {
    if rows.is_empty() {
        return Ok(());
    }
    let w = copy_into(tx, "tickets", TICKET_COLUMNS).await?;
    futures_util::pin_mut!(w);
    let mut days = Days::default();
    for t in rows {
        w.as_mut()
            .write(&[
                &hall,
                &t.ticket_id,
                &days.of(&t.day),
                &t.queue,
                &t.original_queue,
                &t.state,
                &t.window,
                &t.issued_ms,
                &t.first_called_ms,
                &t.called_ms,
                &t.started_ms,
                &t.finished_ms,
                &t.transfer_count,
                &t.outcome,
            ])
            .await?;
    }
    w.finish().await?;
    Ok(())
}

/// Days as `PgDate`, remembering the last one (a batch spans few days).
#[derive(Default)]
struct Days(Option<(String, Option<PgDate>)>);

impl Days {
    fn of(&mut self, day: &str) -> Option<PgDate> {
        match &self.0 {
            Some((d, v)) if d == day => *v,
            _ => {
                let v = PgDate::parse(day);
                self.0 = Some((day.to_string(), v));
                v
            }
        }
    }
}

/// Take out the stored rows of tickets issued in an earlier batch that this one moved on
/// (they go back in with the batch's COPY). `= ANY` on the key: an index scan at any size.
async fn remove_tickets(
    tx: &tokio_postgres::Transaction<'_>,
    hall: &str,
    rows: &[&TicketRow],
) -> Result<(), tokio_postgres::Error> {
    if rows.is_empty() {
        return Ok(());
    }
    let id: Vec<i64> = rows.iter().map(|t| t.ticket_id).collect();
    tx.execute(
        "DELETE FROM tickets WHERE hall_id = $1 AND ticket_id = ANY($2)",
        &[&hall, &id],
    )
    .await?;
    Ok(())
}

async fn insert_ratings(
    tx: &tokio_postgres::Transaction<'_>,
    hall: &str,
    rows: &[(i64, String, String, &str, Option<i32>)],
) -> Result<(), tokio_postgres::Error> {
    if rows.is_empty() {
        return Ok(());
    }
    let id: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let day: Vec<&str> = rows.iter().map(|r| r.1.as_str()).collect();
    let queue: Vec<&str> = rows.iter().map(|r| r.2.as_str()).collect();
    let level: Vec<&str> = rows.iter().map(|r| r.3).collect();
    let win: Vec<Option<i32>> = rows.iter().map(|r| r.4).collect();
    tx.execute(
        "INSERT INTO ratings(hall_id, ticket_id, day, queue, level, win)
         SELECT $1, i, d::date, q, l, w
         FROM UNNEST($2::int8[], $3::text[], $4::text[], $5::text[], $6::int4[]) AS x(i, d, q, l, w)
         ON CONFLICT (hall_id, ticket_id) DO NOTHING",
        &[&hall, &id, &day, &queue, &level, &win],
    )
    .await?;
    Ok(())
}
