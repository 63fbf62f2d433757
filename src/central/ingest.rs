//! Writing a hall's events into the central database: one transaction per batch. Events go in
//! with `ON CONFLICT (hall_id, seq) DO NOTHING`; only the ones that were really new are
//! applied to tickets, ratings and rollups, so a batch sent twice counts once.

use std::collections::{HashMap, HashSet};

use tokio_postgres::Client;

use super::fact::{Deltas, Shipped, TicketRow};
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
pub async fn ship(
    client: &mut Client,
    hall: &HallInfo,
    batch: &[Shipped],
    hall_last_seq: i64,
) -> Result<usize, tokio_postgres::Error> {
    let tx = client.transaction().await?;
    let new: HashSet<i64> = insert_events(&tx, &hall.hall_id, batch)
        .await?
        .into_iter()
        .collect();
    let fresh: Vec<&Shipped> = batch.iter().filter(|e| new.contains(&e.seq)).collect();
    let ids: Vec<i64> = fresh
        .iter()
        .filter_map(|e| e.ticket_id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut tickets: HashMap<i64, TicketRow> = HashMap::new();
    for r in tx
        .query(
            "SELECT ticket_id, day::text, queue, original_queue, state, win, issued_ms,
                    first_called_ms, called_ms, started_ms, finished_ms, transfer_count, outcome
             FROM tickets WHERE hall_id = $1 AND ticket_id = ANY($2) FOR UPDATE",
            &[&hall.hall_id, &ids],
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
    for (id, t) in &tickets {
        if originals.get(id) == Some(t) {
            continue;
        }
        if let Some(o) = originals.get(id) {
            deltas.ticket(o, hall.wait_target_s, -1);
        }
        deltas.ticket(t, hall.wait_target_s, 1);
    }
    upsert_tickets(
        &tx,
        &hall.hall_id,
        tickets
            .values()
            .filter(|t| originals.get(&t.ticket_id) != Some(t)),
    )
    .await?;
    insert_ratings(&tx, &hall.hall_id, &ratings).await?;
    upsert_rollups(&tx, &hall.hall_id, deltas).await?;
    if let Some(last) = batch.last() {
        tx.execute(
            "UPDATE halls SET last_seq = GREATEST(last_seq, $2),
                 last_event_at = GREATEST(last_event_at, to_timestamp($3::float8 / 1000)),
                 shipped_at = now(), hall_last_seq = GREATEST(hall_last_seq, $4)
             WHERE hall_id = $1",
            &[
                &hall.hall_id,
                &last.seq,
                &(last.at_ms as f64),
                &hall_last_seq,
            ],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(fresh.len())
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

async fn insert_events(
    tx: &tokio_postgres::Transaction<'_>,
    hall: &str,
    batch: &[Shipped],
) -> Result<Vec<i64>, tokio_postgres::Error> {
    let seq: Vec<i64> = batch.iter().map(|e| e.seq).collect();
    let at: Vec<f64> = batch.iter().map(|e| e.at_ms as f64 / 1000.0).collect();
    let day: Vec<&str> = batch.iter().map(|e| e.day.as_str()).collect();
    let kind: Vec<&str> = batch.iter().map(|e| e.kind).collect();
    let ticket: Vec<Option<i64>> = batch.iter().map(|e| e.ticket_id).collect();
    let queue: Vec<Option<&str>> = batch.iter().map(|e| e.queue.as_deref()).collect();
    let dept: Vec<Option<&str>> = batch.iter().map(|e| e.department.as_deref()).collect();
    let win: Vec<Option<i32>> = batch.iter().map(|e| e.window).collect();
    let outcome: Vec<Option<&str>> = batch.iter().map(|e| e.outcome).collect();
    let level: Vec<Option<&str>> = batch.iter().map(|e| e.level).collect();
    let rows = tx
        .query(
            "INSERT INTO events(hall_id, seq, at, day, kind, ticket_id, queue, department, win, outcome, level)
             SELECT $1, s, to_timestamp(a), d::date, k, t, q, dp, w, o, l
             FROM UNNEST($2::int8[], $3::float8[], $4::text[], $5::text[], $6::int8[], $7::text[],
                         $8::text[], $9::int4[], $10::text[], $11::text[])
                  AS x(s, a, d, k, t, q, dp, w, o, l)
             ON CONFLICT (hall_id, seq) DO NOTHING
             RETURNING seq",
            &[
                &hall, &seq, &at, &day, &kind, &ticket, &queue, &dept, &win, &outcome, &level,
            ],
        )
        .await?;
    Ok(rows.into_iter().map(|r| r.get(0)).collect())
}

async fn upsert_tickets<'t>(
    tx: &tokio_postgres::Transaction<'_>,
    hall: &str,
    rows: impl Iterator<Item = &'t TicketRow>,
) -> Result<(), tokio_postgres::Error> {
    let rows: Vec<&TicketRow> = rows.collect();
    if rows.is_empty() {
        return Ok(());
    }
    let id: Vec<i64> = rows.iter().map(|t| t.ticket_id).collect();
    let day: Vec<&str> = rows.iter().map(|t| t.day.as_str()).collect();
    let queue: Vec<&str> = rows.iter().map(|t| t.queue.as_str()).collect();
    let orig: Vec<&str> = rows.iter().map(|t| t.original_queue.as_str()).collect();
    let state: Vec<&str> = rows.iter().map(|t| t.state).collect();
    let win: Vec<Option<i32>> = rows.iter().map(|t| t.window).collect();
    let issued: Vec<i64> = rows.iter().map(|t| t.issued_ms).collect();
    let first: Vec<Option<i64>> = rows.iter().map(|t| t.first_called_ms).collect();
    let called: Vec<Option<i64>> = rows.iter().map(|t| t.called_ms).collect();
    let started: Vec<Option<i64>> = rows.iter().map(|t| t.started_ms).collect();
    let finished: Vec<Option<i64>> = rows.iter().map(|t| t.finished_ms).collect();
    let transfers: Vec<i32> = rows.iter().map(|t| t.transfer_count).collect();
    let outcome: Vec<Option<&str>> = rows.iter().map(|t| t.outcome).collect();
    tx.execute(
        "INSERT INTO tickets(hall_id, ticket_id, day, queue, original_queue, state, win, issued_ms,
             first_called_ms, called_ms, started_ms, finished_ms, transfer_count, outcome)
         SELECT $1, i, d::date, q, oq, s, w, iss, fc, c, st, f, tc, o
         FROM UNNEST($2::int8[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int4[],
                     $8::int8[], $9::int8[], $10::int8[], $11::int8[], $12::int8[], $13::int4[],
                     $14::text[]) AS x(i, d, q, oq, s, w, iss, fc, c, st, f, tc, o)
         ON CONFLICT (hall_id, ticket_id) DO UPDATE SET queue = EXCLUDED.queue,
             state = EXCLUDED.state, win = EXCLUDED.win, first_called_ms = EXCLUDED.first_called_ms,
             called_ms = EXCLUDED.called_ms, started_ms = EXCLUDED.started_ms,
             finished_ms = EXCLUDED.finished_ms, transfer_count = EXCLUDED.transfer_count,
             outcome = EXCLUDED.outcome",
        &[
            &hall, &id, &day, &queue, &orig, &state, &win, &issued, &first, &called, &started,
            &finished, &transfers, &outcome,
        ],
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

async fn upsert_rollups(
    tx: &tokio_postgres::Transaction<'_>,
    hall: &str,
    deltas: Deltas,
) -> Result<(), tokio_postgres::Error> {
    let rows = deltas.nonzero();
    if rows.is_empty() {
        return Ok(());
    }
    let stmt = tx
        .prepare(
            "INSERT INTO day_queue AS r (hall_id, day, queue, issued, served, no_show, transferred,
                 cancelled, abandoned, wait_count, wait_sum, wait_max, over_target, service_count,
                 service_sum, wait_hist, ratings)
             VALUES ($1, $2::text::date, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
             ON CONFLICT (hall_id, day, queue) DO UPDATE SET
                 issued = r.issued + EXCLUDED.issued, served = r.served + EXCLUDED.served,
                 no_show = r.no_show + EXCLUDED.no_show,
                 transferred = r.transferred + EXCLUDED.transferred,
                 cancelled = r.cancelled + EXCLUDED.cancelled,
                 abandoned = r.abandoned + EXCLUDED.abandoned,
                 wait_count = r.wait_count + EXCLUDED.wait_count,
                 wait_sum = r.wait_sum + EXCLUDED.wait_sum,
                 wait_max = GREATEST(r.wait_max, EXCLUDED.wait_max),
                 over_target = r.over_target + EXCLUDED.over_target,
                 service_count = r.service_count + EXCLUDED.service_count,
                 service_sum = r.service_sum + EXCLUDED.service_sum,
                 wait_hist = ARRAY(SELECT a + b FROM UNNEST(r.wait_hist, EXCLUDED.wait_hist) AS h(a, b)),
                 ratings = ARRAY(SELECT a + b FROM UNNEST(r.ratings, EXCLUDED.ratings) AS h(a, b))",
        )
        .await?;
    for ((day, queue), m) in rows {
        tx.execute(
            &stmt,
            &[
                &hall,
                &day,
                &queue,
                &m.issued,
                &m.served,
                &m.no_show,
                &m.transferred,
                &m.cancelled,
                &m.abandoned,
                &m.wait_count,
                &m.wait_sum,
                &m.wait_max,
                &m.over_target,
                &m.service_count,
                &m.service_sum,
                &m.wait_hist.to_vec(),
                &m.ratings.to_vec(),
            ],
        )
        .await?;
    }
    Ok(())
}
