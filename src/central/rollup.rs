//! One batch's rollup changes, written back. The day and month rows the batch touches are
//! taken out (`take`: `DELETE … RETURNING`, both tables pipelined with the batch's other
//! statements), the batch's changes are added to them in Rust, arrays and all, and every
//! touched row goes back in one binary COPY per table (`rows`): no per-row SQL array
//! arithmetic, one wait for the reads whatever the batch's size. Bucket counts are written as
//! their nonzero span (`wire::Counts`). Runs inside `ingest::materialize`'s transaction, which
//! holds the hall's rollup mark, so no other writer touches these rows meanwhile, and a failed
//! batch leaves the old rows in place.

use std::collections::HashMap;

use bytes::Bytes;
use tokio_postgres::Transaction;
use tokio_postgres::types::{ToSql, Type};

use super::batch::Days;
use super::fact::{Measures, RollupKey};
use super::wire::{BoxError, CopyRows, Counts, Span};

/// A rollup table and its date column.
#[derive(Debug, Clone, Copy)]
pub struct Rollup {
    pub table: &'static str,
    pub key: &'static str,
}

/// Per hall, day and queue.
pub const DAYS: Rollup = Rollup {
    table: "day_queue",
    key: "day",
};

/// Per hall, month (its first day) and queue.
pub const MONTHS: Rollup = Rollup {
    table: "month_queue",
    key: "month",
};

/// The counters of both rollup tables, after (hall_id, day or month, queue), in `Measures`
/// order.
const COUNTERS: [&str; 12] = [
    "issued",
    "served",
    "no_show",
    "transferred",
    "cancelled",
    "abandoned",
    "wait_count",
    "wait_sum",
    "wait_max",
    "over_target",
    "service_count",
    "service_sum",
];

/// The array columns after the counters.
const ARRAYS: [(&str, Type); 4] = [
    ("wait_hist", Type::INT8_ARRAY),
    ("ratings", Type::INT8_ARRAY),
    ("wait_pct", Type::INT4_ARRAY),
    ("service_pct", Type::INT4_ARRAY),
];

fn counters(m: &Measures) -> [i64; 12] {
    [
        m.issued,
        m.served,
        m.no_show,
        m.transferred,
        m.cancelled,
        m.abandoned,
        m.wait_count,
        m.wait_sum,
        m.wait_max,
        m.over_target,
        m.service_count,
        m.service_sum,
    ]
}

fn counters_mut(m: &mut Measures) -> [&mut i64; 12] {
    [
        &mut m.issued,
        &mut m.served,
        &mut m.no_show,
        &mut m.transferred,
        &mut m.cancelled,
        &mut m.abandoned,
        &mut m.wait_count,
        &mut m.wait_sum,
        &mut m.wait_max,
        &mut m.over_target,
        &mut m.service_count,
        &mut m.service_sum,
    ]
}

/// The batch's changes added to the rows they change (new rows as they are), in key order so
/// the primary key's B-tree takes them at neighbouring places. Days are read back with
/// `to_char`, never `::text`, whose form follows the server's DateStyle.
fn merge(
    mut old: HashMap<RollupKey, Measures>,
    mut changes: Vec<(RollupKey, Measures)>,
) -> Vec<(RollupKey, Measures)> {
    let mut rows: Vec<(RollupKey, Measures)> = changes
        .drain(..)
        .map(|(key, change)| match old.remove(&key) {
            Some(mut row) => {
                row.add(&change, 1);
                (key, row)
            }
            None => (key, change),
        })
        .collect();
    // A row taken out goes back even if no change matched it.
    rows.extend(old);
    rows.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    rows
}

/// Delete and return the stored rows of `r` at `keys`. `latest` is the hall's latest day
/// with a day row (`None`: it has none): a key past it (past its month, for months) cannot
/// be stored, so it is not looked for.
pub async fn take(
    tx: &Transaction<'_>,
    hall: &str,
    r: Rollup,
    keys: &[(RollupKey, Measures)],
    latest: Option<&str>,
) -> Result<HashMap<RollupKey, Measures>, tokio_postgres::Error> {
    let Rollup { table, key } = r;
    let Some(latest) = latest else {
        return Ok(HashMap::new());
    };
    // Keys are `YYYY-MM-DD` (months their first day), so they compare as text.
    let last = match r.key {
        "month" => format!("{}-01", latest.get(..7).unwrap_or(latest)),
        _ => latest.to_string(),
    };
    let stored: Vec<&RollupKey> = keys
        .iter()
        .map(|(k, _)| k)
        .filter(|k| k.0 <= last)
        .collect();
    if stored.is_empty() {
        return Ok(HashMap::new());
    }
    let day: Vec<&str> = stored.iter().map(|k| k.0.as_str()).collect();
    let queue: Vec<&str> = stored.iter().map(|k| k.1.as_str()).collect();
    let arrays: Vec<&str> = ARRAYS.iter().map(|a| a.0).collect();
    let sql = format!(
        "DELETE FROM {table} r USING UNNEST($2::text[], $3::text[]) AS k(d, q)
         WHERE r.hall_id = $1 AND r.{key} = k.d::date AND r.queue = k.q
         RETURNING to_char(r.{key}, 'YYYY-MM-DD'), r.queue, r.{}, r.{}",
        COUNTERS.join(", r."),
        arrays.join(", r."),
    );
    let rows = tx.query(&sql, &[&hall, &day, &queue]).await?;
    let mut out = HashMap::with_capacity(rows.len());
    for r in rows {
        let mut m = Measures::default();
        for (i, c) in counters_mut(&mut m).into_iter().enumerate() {
            *c = r.get(2 + i);
        }
        let at = 2 + COUNTERS.len();
        fill(&mut m.wait_hist, r.get(at));
        fill(&mut m.ratings, r.get(at + 1));
        fill(&mut m.wait_pct, r.get(at + 2));
        fill(&mut m.service_pct, r.get(at + 3));
        out.insert((r.get(0), r.get(1)), m);
    }
    Ok(out)
}

/// Stored counts into a fixed-size measure (past a stored span, zeros).
fn fill(into: &mut [i64], from: Counts) {
    for (a, b) in into.iter_mut().zip(from.0) {
        *a = b;
    }
}

/// The columns of `r`'s COPY, with their types.
pub fn columns(r: Rollup) -> Vec<(&'static str, Type)> {
    let mut columns: Vec<(&str, Type)> = vec![
        ("hall_id", Type::TEXT),
        (r.key, Type::DATE),
        ("queue", Type::TEXT),
    ];
    columns.extend(COUNTERS.iter().map(|c| (*c, Type::INT8)));
    columns.extend(ARRAYS.iter().cloned());
    columns
}

/// The rows of `r` to write back: `changes` added to the `old` rows they change, as a binary
/// COPY payload (`None` when there is nothing to write).
pub fn rows(
    hall: &str,
    r: Rollup,
    old: HashMap<RollupKey, Measures>,
    changes: Vec<(RollupKey, Measures)>,
) -> Result<Option<Bytes>, BoxError> {
    let rows = merge(old, changes);
    if rows.is_empty() {
        return Ok(None);
    }
    let mut out = CopyRows::new(&columns(r), rows.len() * 256);
    let mut days = Days::default();
    for ((day, queue), m) in &rows {
        let date = days.of(day);
        let counts = counters(m);
        let (hist, ratings) = (Span(&m.wait_hist), Span(&m.ratings));
        let (wait_pct, service_pct) = (Span(&m.wait_pct), Span(&m.service_pct));
        let mut values: Vec<&(dyn ToSql + Sync)> = vec![&hall, &date, queue];
        values.extend(counts.iter().map(|c| c as &(dyn ToSql + Sync)));
        values.extend([
            &hist as &(dyn ToSql + Sync),
            &ratings,
            &wait_pct,
            &service_pct,
        ]);
        out.row(&values)?;
    }
    Ok(Some(out.finish()))
}
