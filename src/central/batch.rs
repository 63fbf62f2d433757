//! The binary COPY payloads of a batch, and its rollups worked out away from the database and
//! off the async threads: tickets rebuilt from the batch's events (and the stored rows of
//! tickets it moves on), the ratings and the rollup changes (`work`, which `ingest::materialize`
//! runs on a blocking thread). Pure: no IO.

use std::collections::{HashMap, HashSet};

use bytes::Bytes;

use super::fact::{Deltas, Measures, RollupKey, Shipped, TicketRow};
use super::wire::{BoxError, CopyRows, PgDate, PgTime};
use crate::domain::rating::RatingLevel;
use tokio_postgres::types::Type;

/// Columns of the events COPY, with their types.
pub const EVENT_COLUMNS: &[(&str, Type)] = &[
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
pub const TICKET_COLUMNS: &[(&str, Type)] = &[
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

/// Columns of the ratings COPY, with their types.
pub const RATING_COLUMNS: &[(&str, Type)] = &[
    ("hall_id", Type::TEXT),
    ("ticket_id", Type::INT8),
    ("day", Type::DATE),
    ("queue", Type::TEXT),
    ("level", Type::TEXT),
    ("win", Type::INT4),
];

/// The tickets ids a batch's events name that it did not issue itself: their stored rows are
/// read before the batch is worked out.
pub fn earlier_tickets(fresh: &[Shipped]) -> Vec<i64> {
    let issued_here: HashSet<i64> = fresh
        .iter()
        .filter(|e| e.kind == "ticket.issued")
        .filter_map(|e| e.ticket_id)
        .collect();
    fresh
        .iter()
        .filter_map(|e| e.ticket_id)
        .filter(|id| !issued_here.contains(id))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect()
}

/// What one batch writes besides its events.
#[derive(Debug, Default)]
pub struct Worked {
    /// Stored tickets this batch moved on: their rows are taken out and copied back.
    pub moved: Vec<i64>,
    /// New and moved-on tickets, in key order (the primary key's B-tree takes the new ones at
    /// its right edge), as a binary COPY payload.
    pub tickets: Option<Bytes>,
    /// The batch's ratings as a binary COPY payload. A ticket is rated once (the hall's
    /// ratings are keyed by ticket, and the event is committed with the row), and only events
    /// past the centre's mark come here, so a plain COPY never meets a stored rating.
    pub ratings: Option<Bytes>,
    /// Rollup changes by (day, queue) and by (first of month, queue).
    pub days: Vec<(RollupKey, Measures)>,
    pub months: Vec<(RollupKey, Measures)>,
}

/// Work out `fresh` (the batch's new events, ascending) for `hall_id`, given the stored rows
/// of the earlier tickets it names.
pub fn work(
    hall_id: &str,
    wait_target_s: u32,
    fresh: &[Shipped],
    earlier: HashMap<i64, TicketRow>,
) -> Result<Worked, BoxError> {
    let mut tickets = earlier.clone();
    let mut deltas = Deltas::default();
    let mut ratings = CopyRows::new(RATING_COLUMNS, 0);
    let mut days = Days::default();
    for e in fresh {
        let Some(id) = e.ticket_id else { continue };
        if let Some(level) = e.level {
            if let Some(t) = tickets.get(&id) {
                let idx = RatingLevel::ALL
                    .iter()
                    .position(|l| l.as_str() == level)
                    .unwrap_or(0);
                let queue = e.queue.as_ref().unwrap_or(&t.queue);
                deltas.rating(&t.day, queue, idx);
                ratings.row(&[&hall_id, &id, &days.of(&t.day), queue, &level, &e.window])?;
            }
            continue;
        }
        if let Some(t) = TicketRow::apply(tickets.remove(&id), e) {
            tickets.insert(id, t);
        }
    }
    let mut moved = Vec::new();
    let mut written: Vec<&TicketRow> = Vec::new();
    for (id, t) in &tickets {
        match earlier.get(id) {
            Some(o) if o == t => continue,
            Some(o) => {
                deltas.ticket(o, wait_target_s, -1);
                moved.push(*id);
            }
            None => {}
        }
        deltas.ticket(t, wait_target_s, 1);
        written.push(t);
    }
    written.sort_unstable_by_key(|t| t.ticket_id);
    let days = deltas.nonzero();
    let months = Deltas::by_month(&days);
    Ok(Worked {
        moved,
        tickets: ticket_rows(hall_id, &written)?,
        ratings: (ratings.count() > 0).then(|| ratings.finish()),
        days,
        months,
    })
}

/// The events' binary COPY payload (`None` when there are none).
pub fn event_rows(hall_id: &str, rows: &[Shipped]) -> Result<Option<Bytes>, BoxError> {
    if rows.is_empty() {
        return Ok(None);
    }
    let mut out = CopyRows::new(EVENT_COLUMNS, rows.len() * 96);
    let mut days = Days::default();
    for e in rows {
        out.row(&[
            &hall_id,
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
        ])?;
    }
    Ok(Some(out.finish()))
}

fn ticket_rows(hall_id: &str, rows: &[&TicketRow]) -> Result<Option<Bytes>, BoxError> {
    if rows.is_empty() {
        return Ok(None);
    }
    let mut out = CopyRows::new(TICKET_COLUMNS, rows.len() * 128);
    let mut days = Days::default();
    for t in rows {
        out.row(&[
            &hall_id,
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
        ])?;
    }
    Ok(Some(out.finish()))
}

/// Days as `PgDate`, remembering the last one (a batch spans few days).
#[derive(Default)]
pub struct Days(Option<(String, Option<PgDate>)>);

impl Days {
    pub fn of(&mut self, day: &str) -> Option<PgDate> {
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
