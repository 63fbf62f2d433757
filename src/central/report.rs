//! The cross-hall waits report, with the hall report's columns and definitions: counts, sums,
//! maxima, over-target counts, ratings and the wait histogram come from the per-day rollups;
//! the nearest-rank p50/p90 come from the rebuilt tickets (`percentile_disc` is nearest rank),
//! so for one hall and one range the numbers equal that hall's own report.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use tokio_postgres::Client;
use tokio_postgres::types::ToSql;

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
            CentralBy::Day => "r.day::text, NULL::text, r.day::text, 0".into(),
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
    sums: [i64; 13],
    wait_max: i64,
    hist: Vec<i64>,
    ratings: [i64; 5],
    wait_p: (Option<i32>, Option<i32>),
    service_p: (Option<i32>, Option<i32>),
}

const SUMS: &str =
    "SUM(r.issued), SUM(r.served), SUM(r.no_show), SUM(r.transferred), SUM(r.cancelled),
    SUM(r.abandoned), SUM(r.wait_count), SUM(r.wait_sum), SUM(r.over_target), SUM(r.service_count),
    SUM(r.service_sum), 0::numeric, 0::numeric";

/// Run the report for days `from..=to` (`YYYY-MM-DD`) over `halls` (all when empty).
pub async fn waits(
    client: &Client,
    by: CentralBy,
    from: &str,
    to: &str,
    halls: &[String],
) -> Result<CentralWaits, tokio_postgres::Error> {
    let all = halls.is_empty();
    let filter = "r.day BETWEEN $1::text::date AND $2::text::date AND ($3 OR r.hall_id = ANY($4))";
    let params: [&(dyn ToSql + Sync); 4] = [&from, &to, &all, &halls];
    let hist: String = (1..=HISTOGRAM_BUCKETS)
        .map(|i| format!("SUM(r.wait_hist[{i}])"))
        .collect::<Vec<_>>()
        .join(", ");
    let rat: String = (1..=5)
        .map(|i| format!("SUM(r.ratings[{i}])"))
        .collect::<Vec<_>>()
        .join(", ");
    let rollup = format!(
        "SELECT GROUPING({first}) = 1, {key}, {SUMS}, MAX(r.wait_max), {hist}, {rat}
         FROM day_queue r JOIN halls h ON h.hall_id = r.hall_id
              LEFT JOIN hall_queues q ON q.hall_id = r.hall_id AND q.queue = r.queue
         WHERE {filter}
         GROUP BY GROUPING SETS ({group}, ())",
        key = by.sql("queue"),
        group = group_set(by, "queue"),
        first = group_first(by),
    );
    let wait_s = "(GREATEST(r.first_called_ms - r.issued_ms, 0) + 500) / 1000";
    let service_s =
        "(GREATEST(r.finished_ms - COALESCE(r.started_ms, r.called_ms), 0) + 500) / 1000";
    let percentiles = |qcol: &str, value: &str, cond: &str| {
        format!(
            "SELECT GROUPING({first}) = 1, {key},
                 percentile_disc(0.5) WITHIN GROUP (ORDER BY {value}),
                 percentile_disc(0.9) WITHIN GROUP (ORDER BY {value})
             FROM tickets r JOIN halls h ON h.hall_id = r.hall_id
                  LEFT JOIN hall_queues q ON q.hall_id = r.hall_id AND q.queue = r.{qcol}
             WHERE {filter} AND {cond}
             GROUP BY GROUPING SETS ({group}, ())",
            key = by.sql(qcol),
            group = group_set(by, qcol),
            first = group_first(by),
        )
    };
    let waits_sql = percentiles("original_queue", wait_s, "r.first_called_ms IS NOT NULL");
    let services_sql = percentiles(
        "queue",
        service_s,
        "r.state = 'done' AND r.finished_ms IS NOT NULL AND COALESCE(r.started_ms, r.called_ms) IS NOT NULL",
    );
    let hall_sql = "SELECT hall_id FROM halls r WHERE $1 OR hall_id = ANY($2) ORDER BY hall_id";
    let hall_params: [&(dyn ToSql + Sync); 2] = [&all, &halls];
    let (rows, wrows, srows, hall_rows) = tokio::try_join!(
        client.query(&rollup, &params),
        client.query(&waits_sql, &params),
        client.query(&services_sql, &params),
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
        for (i, s) in acc.sums.iter_mut().enumerate() {
            *s = num(r, 5 + i);
        }
        acc.wait_max = r.get::<_, Option<i64>>(18).unwrap_or(0);
        acc.hist = (0..HISTOGRAM_BUCKETS).map(|i| num(r, 19 + i)).collect();
        for (i, x) in acc.ratings.iter_mut().enumerate() {
            *x = num(r, 19 + HISTOGRAM_BUCKETS + i);
        }
    }
    for (set, which) in [(&wrows, true), (&srows, false)] {
        for r in set.iter() {
            let is_total: bool = r.get(0);
            let p = (
                r.get::<_, Option<i64>>(5).map(|v| v as i32),
                r.get::<_, Option<i64>>(6).map(|v| v as i32),
            );
            let acc = if is_total {
                &mut total
            } else {
                let key: (Option<String>, String) = (r.get(2), r.get(1));
                groups.entry(key).or_insert_with(|| Acc {
                    label: r.get::<_, Option<String>>(3).unwrap_or_default(),
                    position: r.get::<_, Option<i32>>(4).unwrap_or(i32::MAX),
                    ..Acc::default()
                })
            };
            if which {
                acc.wait_p = p;
            } else {
                acc.service_p = p;
            }
        }
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
}

/// Every hall that ever reported, by id.
pub async fn halls(client: &Client) -> Result<Vec<HallStatus>, tokio_postgres::Error> {
    let rows = client
        .query(
            "SELECT hall_id, name, last_seq,
                    to_char(last_event_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),
                    to_char(shipped_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),
                    GREATEST(hall_last_seq - last_seq, 0),
                    EXTRACT(EPOCH FROM now() - shipped_at)::int8
             FROM halls ORDER BY hall_id",
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

/// A numeric SUM as i64 (NULL as 0).
fn num(r: &tokio_postgres::Row, i: usize) -> i64 {
    r.get::<_, Option<Decimal>>(i).map_or(0, |d| d.0)
}

/// Whole numbers as PostgreSQL's `numeric` sums return them.
struct Decimal(i64);

impl<'a> tokio_postgres::types::FromSql<'a> for Decimal {
    fn from_sql(
        _: &tokio_postgres::types::Type,
        raw: &'a [u8],
    ) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        // numeric binary form: ndigits, weight, sign, dscale, then base-10000 digits.
        let word = |i: usize| -> Result<i16, Box<dyn std::error::Error + Sync + Send>> {
            let b = raw.get(i * 2..i * 2 + 2).ok_or("short numeric")?;
            Ok(i16::from_be_bytes([b[0], b[1]]))
        };
        let (n, weight, sign) = (word(0)?, word(1)?, word(2)? as u16);
        let mut v: i64 = 0;
        for i in 0..n.max(0) as usize {
            v = v * 10_000 + i64::from(word(4 + i)?);
        }
        let shift = i32::from(weight) + 1 - i32::from(n);
        for _ in 0..shift.max(0) {
            v *= 10_000;
        }
        Ok(Decimal(if sign == 0x4000 { -v } else { v }))
    }

    fn accepts(ty: &tokio_postgres::types::Type) -> bool {
        *ty == tokio_postgres::types::Type::NUMERIC
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
        let p = |x: Option<i32>| x.map(|v| v.max(0) as u32);
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
            wait_p50_s: p(self.wait_p.0),
            wait_p90_s: p(self.wait_p.1),
            wait_max_s: (wait_count > 0).then_some(self.wait_max.max(0) as u32),
            service_mean_s: mean(service_sum, service_count),
            service_p50_s: p(self.service_p.0),
            service_p90_s: p(self.service_p.1),
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
