//! The cross-hall waits report, with the hall report's columns and definitions, read from the
//! rollups alone (whole months from the monthly ones, the other days from the daily ones):
//! counts, sums, maxima, over-target counts, ratings and the wait histogram equal the hall's
//! own report for one hall and one range; p50/p90 come from the rollups' log-linear
//! histograms (`central::pct`) and are within 1/32 of the hall's exact nearest-rank value
//! (equal below 32 s).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use tokio_postgres::Client;
use tokio_postgres::types::ToSql;

use super::pct;
use super::wire::num;
use crate::reports::stats::share;
use crate::reports::waits::{Bucket, HISTOGRAM_BUCKETS, WaitsRow, buckets};
use crate::reports::{TEXTS, round4};

/// How the central report groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CentralBy {
    Hall,
    Department,
    Queue,
    Day,
}

impl CentralBy {
    pub fn as_str(self) -> &'static str {
        match self {
            CentralBy::Hall => "hall",
            CentralBy::Department => "department",
            CentralBy::Queue => "queue",
            CentralBy::Day => "day",
        }
    }

    /// SQL for (group key, hall, label, sort position) given the rollup/ticket alias `r`, the
    /// queue column `qcol` and the catalogue alias `q`.
    fn sql(self, qcol: &str) -> String {
        match self {
            CentralBy::Hall => "r.hall_id, r.hall_id, MIN(h.name), 0".into(),
            CentralBy::Department => format!(
                "COALESCE(q.department, r.{qcol}), r.hall_id, MIN(q.department_name), MIN(q.position)"
            ),
            CentralBy::Queue => {
                format!("r.{qcol}, r.hall_id, MIN(q.name), MIN(q.position)")
            }
            // `to_char`, not `::text`: the latter follows the server's DateStyle.
            CentralBy::Day => {
                "to_char(r.day, 'YYYY-MM-DD'), NULL::text, to_char(r.day, 'YYYY-MM-DD'), 0".into()
            }
        }
    }
}

/// Columns of the exports: the hall's, with the hall first.
pub fn columns() -> Vec<&'static str> {
    let mut c = vec!["hall_id"];
    c.extend_from_slice(crate::reports::waits::COLUMNS);
    c
}

/// One row: the hall it belongs to (none when grouping by day) and the hall report's row.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CentralRow {
    pub hall_id: Option<String>,
    #[serde(flatten)]
    pub row: WaitsRow,
}

/// The whole cross-hall report.
#[derive(Debug, Clone, Serialize)]
pub struct CentralWaits {
    pub from: String,
    pub to: String,
    pub by: CentralBy,
    /// The halls included (all that reported, when none were named).
    pub halls: Vec<String>,
    pub rows: Vec<CentralRow>,
    pub total: WaitsRow,
    pub wait_histogram: Vec<Bucket>,
}

#[derive(Debug, Default, Clone)]
struct Acc {
    label: String,
    position: i32,
    sums: [i64; 11],
    wait_max: i64,
    hist: Vec<i64>,
    ratings: [i64; 5],
    wait_pct: Vec<i64>,
    service_pct: Vec<i64>,
}

/// Columns read from every rollup row, in `Acc::sums` order.
const SUMS: &str =
    "SUM(r.issued), SUM(r.served), SUM(r.no_show), SUM(r.transferred), SUM(r.cancelled),
    SUM(r.abandoned), SUM(r.wait_count), SUM(r.wait_sum), SUM(r.over_target), SUM(r.service_count),
    SUM(r.service_sum)";

/// The rollups covering `from..=to`: whole months from `month_queue`, the days around them
/// from `day_queue` (all days when grouping by day). Returns (days, days, months) ranges as
/// SQL parameters; an unused range is (NULL, NULL).
#[allow(clippy::type_complexity)]
fn cover(
    by: CentralBy,
    from: jiff::civil::Date,
    to: jiff::civil::Date,
) -> [(Option<String>, Option<String>); 3] {
    let first_full = if from.day() == 1 {
        Some(from)
    } else {
        from.last_of_month().tomorrow().ok()
    };
    let last_full = if to == to.last_of_month() {
        Some(to.first_of_month())
    } else {
        to.first_of_month()
            .yesterday()
            .ok()
            .map(|d| d.first_of_month())
    };
    let s = |d: jiff::civil::Date| Some(d.to_string());
    match (first_full, last_full) {
        (Some(m1), Some(m2)) if by != CentralBy::Day && m1 <= m2 => {
            let before = m1.yesterday().ok().filter(|d| *d >= from);
            let after = m2.last_of_month().tomorrow().ok().filter(|d| *d <= to);
            [
                before.map_or((None, None), |b| (s(from), s(b))),
                after.map_or((None, None), |a| (s(a), s(to))),
                (s(m1), s(m2)),
            ]
        }
        _ => [(s(from), s(to)), (None, None), (None, None)],
    }
}

/// Run the report for days `from..=to` (`YYYY-MM-DD`) over `halls` (all when empty).
pub async fn waits(
    client: &Client,
    by: CentralBy,
    from: &str,
    to: &str,
    halls: &[String],
) -> Result<CentralWaits, tokio_postgres::Error> {
    let all = halls.is_empty();
    let [d1, d2, m] = match (from.parse(), to.parse()) {
        (Ok(f), Ok(t)) => cover(by, f, t),
        _ => [
            (Some(from.to_string()), Some(to.to_string())),
            (None, None),
            (None, None),
        ],
    };
    let params: [&(dyn ToSql + Sync); 8] = [&d1.0, &d1.1, &d2.0, &d2.1, &m.0, &m.1, &all, &halls];
    let sum_each = |col: &str, n: usize| -> String {
        (1..=n)
            .map(|i| format!("SUM(r.{col}[{i}])"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let cols = "hall_id, queue, issued, served, no_show, transferred, cancelled, abandoned,
        wait_count, wait_sum, wait_max, over_target, service_count, service_sum, wait_hist,
        ratings, wait_pct, service_pct";
    let halls_filter = "($7 OR hall_id = ANY($8))";
    let rollup = format!(
        "WITH r AS (
             SELECT day, {cols} FROM day_queue
             WHERE (day BETWEEN $1::text::date AND $2::text::date
                    OR day BETWEEN $3::text::date AND $4::text::date) AND {halls_filter}
             UNION ALL
             SELECT month, {cols} FROM month_queue
             WHERE month BETWEEN $5::text::date AND $6::text::date AND {halls_filter}
         )
         SELECT GROUPING({first}) = 1, {key}, {SUMS}, MAX(r.wait_max), {hist}, {rat}, {wp}, {sp}
         FROM r JOIN halls h ON h.hall_id = r.hall_id
              LEFT JOIN hall_queues q ON q.hall_id = r.hall_id AND q.queue = r.queue
         GROUP BY GROUPING SETS ({group}, ())",
        key = by.sql("queue"),
        group = group_set(by, "queue"),
        first = group_first(by),
        hist = sum_each("wait_hist", HISTOGRAM_BUCKETS),
        rat = sum_each("ratings", 5),
        wp = sum_each("wait_pct", pct::BUCKETS),
        sp = sum_each("service_pct", pct::BUCKETS),
    );
    let hall_sql = "SELECT hall_id FROM halls r WHERE $1 OR hall_id = ANY($2) ORDER BY hall_id";
    let hall_params: [&(dyn ToSql + Sync); 2] = [&all, &halls];
    let (rows, hall_rows) = tokio::try_join!(
        client.query(&rollup, &params),
        client.query(hall_sql, &hall_params),
    )?;
    let mut groups: HashMap<(Option<String>, String), Acc> = HashMap::new();
    let mut total = Acc {
        hist: vec![0; HISTOGRAM_BUCKETS],
        ..Acc::default()
    };
    for r in &rows {
        let is_total: bool = r.get(0);
        let acc = if is_total {
            &mut total
        } else {
            groups.entry((r.get(2), r.get(1))).or_insert_with(|| Acc {
                label: r.get::<_, Option<String>>(3).unwrap_or_default(),
                position: r.get::<_, Option<i32>>(4).unwrap_or(i32::MAX),
                ..Acc::default()
            })
        };
        let mut at = 5;
        let mut next = |n: usize, f: &dyn Fn(usize) -> i64| -> Vec<i64> {
            let v = (at..at + n).map(f).collect();
            at += n;
            v
        };
        let sums = next(acc.sums.len(), &|i| num(r, i));
        acc.sums.copy_from_slice(&sums);
        acc.wait_max = next(1, &|i| r.get::<_, Option<i64>>(i).unwrap_or(0))[0];
        acc.hist = next(HISTOGRAM_BUCKETS, &|i| num(r, i));
        let ratings = next(5, &|i| num(r, i));
        acc.ratings.copy_from_slice(&ratings);
        acc.wait_pct = next(pct::BUCKETS, &|i| r.get::<_, Option<i64>>(i).unwrap_or(0));
        acc.service_pct = next(pct::BUCKETS, &|i| r.get::<_, Option<i64>>(i).unwrap_or(0));
    }
    let mut keyed: Vec<_> = groups.into_iter().collect();
    keyed.sort_by(|a, b| (&a.0.0, a.1.position, &a.0.1).cmp(&(&b.0.0, b.1.position, &b.0.1)));
    let out_rows = keyed
        .into_iter()
        .map(|((hall, key), acc)| CentralRow {
            hall_id: hall,
            row: acc.row(key),
        })
        .collect();
    let hist = total.hist.clone();
    Ok(CentralWaits {
        from: from.to_string(),
        to: to.to_string(),
        by,
        halls: hall_rows.iter().map(|r| r.get(0)).collect(),
        rows: out_rows,
        total: Acc {
            label: TEXTS.sheet("total").to_string(),
            ..total
        }
        .row("total".into()),
        wait_histogram: buckets(hist.into_iter().map(|c| c.max(0) as u64)),
    })
}

/// One hall as the centre sees it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct HallStatus {
    pub hall_id: String,
    pub name: String,
    /// The last event shipped (its seq in the hall's log) and its time.
    pub last_seq: i64,
    pub last_event_at: Option<String>,
    /// When the hall last shipped a batch.
    pub shipped_at: Option<String>,
    /// Events the hall had and the centre not, when it last shipped.
    pub lag_events: i64,
    /// Seconds since the hall last shipped.
    pub lag_s: Option<i64>,
    /// The last event applied to the tickets, ratings and rollups the reports read.
    pub rolled_seq: i64,
    /// Events stored but not yet in the reports (in seq; 0 once the rollups caught up).
    pub rollup_lag_events: i64,
}

/// Every hall that ever reported, by id.
pub async fn halls(client: &Client) -> Result<Vec<HallStatus>, tokio_postgres::Error> {
    let rows = client
        .query(
            "SELECT hall_id, name, last_seq,
                    to_char(last_event_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),
                    to_char(shipped_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),
                    GREATEST(hall_last_seq - last_seq, 0),
                    EXTRACT(EPOCH FROM now() - shipped_at)::int8,
                    COALESCE(m.rolled_seq, 0), GREATEST(last_seq - COALESCE(m.rolled_seq, 0), 0)
             FROM halls LEFT JOIN rollup_marks m USING (hall_id) ORDER BY hall_id",
            &[],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| HallStatus {
            hall_id: r.get(0),
            name: r.get(1),
            last_seq: r.get(2),
            last_event_at: r.get(3),
            shipped_at: r.get(4),
            lag_events: r.get(5),
            lag_s: r.get(6),
            rolled_seq: r.get(7),
            rollup_lag_events: r.get(8),
        })
        .collect())
}

/// The grouping columns of `by` (the total comes from the empty grouping set).
fn group_set(by: CentralBy, qcol: &str) -> String {
    match by {
        CentralBy::Hall => "(r.hall_id)".into(),
        CentralBy::Department => format!("(r.hall_id, COALESCE(q.department, r.{qcol}))"),
        CentralBy::Queue => format!("(r.hall_id, r.{qcol})"),
        CentralBy::Day => "(r.day)".into(),
    }
}

/// The first grouping column of `by` (NULL-grouped only in the total).
fn group_first(by: CentralBy) -> &'static str {
    match by {
        CentralBy::Day => "r.day",
        _ => "r.hall_id",
    }
}

impl Acc {
    fn row(self, key: String) -> WaitsRow {
        let s = |i: usize| self.sums[i].max(0) as u64;
        let (issued, served, no_show, transferred, cancelled, abandoned) =
            (s(0), s(1), s(2), s(3), s(4), s(5));
        let (wait_count, wait_sum, over, service_count, service_sum) =
            (s(6), s(7), s(8), s(9), s(10));
        let mean = |sum: u64, n: u64| (n > 0).then(|| ((sum + n / 2) / n) as u32);
        let rated: u64 = self.ratings.iter().map(|x| x.max(&0)).sum::<i64>() as u64;
        let satisfied = (self.ratings[0] + self.ratings[1]).max(0) as u64;
        let bad = (self.ratings[3] + self.ratings[4]).max(0) as u64;
        let max = (wait_count > 0).then_some(self.wait_max.max(0) as u32);
        WaitsRow {
            key,
            label: self.label,
            window_kind: None,
            issued,
            served,
            no_show,
            transferred,
            cancelled,
            abandoned,
            wait_count,
            wait_mean_s: mean(wait_sum, wait_count),
            wait_p50_s: pct::percentile(&self.wait_pct, 50, max),
            wait_p90_s: pct::percentile(&self.wait_pct, 90, max),
            wait_max_s: max,
            service_mean_s: mean(service_sum, service_count),
            service_p50_s: pct::percentile(&self.service_pct, 50, None),
            service_p90_s: pct::percentile(&self.service_pct, 90, None),
            over_target: over,
            over_target_share: share(over, wait_count).map(round4),
            rated,
            rating_coverage: share(rated, served).map(round4),
            satisfaction_rate: share(satisfied, rated).map(round4),
            bad_ratings: bad,
            signed_in_s: None,
            pause_s: None,
        }
    }
}
