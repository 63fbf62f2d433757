//! The hall's uplink: a background task that ships committed events to the central database
//! in batches, advancing the hall's shipped mark only after the centre committed. It reads on
//! read-only connections in `spawn_blocking`, never touches the engine, and backs off while the
//! centre is unreachable, so the hall never waits for it.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;

use super::fact::Shipped;
use super::ingest::{self, HallInfo};
use crate::store::Reader;

/// Events per central transaction.
pub const BATCH: usize = 2_000;
/// How often an idle uplink looks for new events.
const POLL: Duration = Duration::from_millis(250);
/// Longest wait between reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// What the uplink has done, for the floor and metrics. Cheap to read from any thread.
#[derive(Debug, Default)]
pub struct UplinkStatus {
    shipped_seq: AtomicU64,
    hall_seq: AtomicU64,
    connected: AtomicBool,
    last_ship_ms: AtomicI64,
    last_error: Mutex<Option<String>>,
}

/// A snapshot of `UplinkStatus`.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct UplinkView {
    pub hall_id: String,
    pub connected: bool,
    /// The last event the centre committed.
    pub shipped_seq: u64,
    /// The hall's newest event when last looked at.
    pub hall_seq: u64,
    /// Events not yet shipped.
    pub lag_events: u64,
    /// When the last batch was committed centrally (ms since the epoch), if ever.
    pub last_ship_ms: Option<i64>,
    pub last_error: Option<String>,
}

impl UplinkStatus {
    /// A snapshot for `hall_id`.
    pub fn view(&self, hall_id: &str) -> UplinkView {
        let shipped = self.shipped_seq.load(Ordering::Relaxed);
        let hall = self.hall_seq.load(Ordering::Relaxed);
        let last = self.last_ship_ms.load(Ordering::Relaxed);
        UplinkView {
            hall_id: hall_id.to_string(),
            connected: self.connected.load(Ordering::Relaxed),
            shipped_seq: shipped,
            hall_seq: hall,
            lag_events: hall.saturating_sub(shipped),
            last_ship_ms: (last > 0).then_some(last),
            last_error: self
                .last_error
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
        }
    }

    fn failed(&self, e: impl std::fmt::Display) {
        self.connected.store(false, Ordering::Relaxed);
        *self.last_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(e.to_string());
    }
}

/// Everything the uplink task needs.
pub struct Uplink {
    pub url: String,
    pub hall: HallInfo,
    pub reader: Reader,
    pub db: PathBuf,
    pub status: Arc<UplinkStatus>,
}

/// Why one round of shipping stopped.
#[derive(Debug, thiserror::Error)]
enum ShipError {
    #[error("central database: {0}")]
    Pg(#[from] tokio_postgres::Error),
    #[error("hall database: {0}")]
    Store(#[from] crate::store::StoreError),
    #[error("{0}")]
    Join(#[from] tokio::task::JoinError),
}

impl Uplink {
    /// Ship forever: connect, ship until an error, back off, reconnect.
    pub async fn run(self) {
        let mut backoff = Duration::from_millis(500);
        loop {
            let Err(e) = self.session().await;
            // A link that worked starts its retries afresh; one that never came up backs off.
            if self.status.connected.load(Ordering::Relaxed) {
                backoff = Duration::from_millis(500);
            }
            tracing::warn!(error = %e, retry_in = ?backoff, "uplink down");
            self.status.failed(&e);
            // Keep the lag true while the centre is away: the hall goes on.
            let reader = self.reader.clone();
            if let Ok(Ok(seq)) = tokio::task::spawn_blocking(move || reader.last_event_seq()).await
            {
                self.status.hall_seq.store(seq, Ordering::Relaxed);
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    /// One connection's life: register, then ship batches until something fails.
    async fn session(&self) -> Result<std::convert::Infallible, ShipError> {
        let (mut client, conn) = tokio_postgres::connect(&self.url, tokio_postgres::NoTls).await?;
        let driver = tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "uplink connection ended");
            }
        });
        let out = async {
            super::schema::migrate(&mut client).await?;
            ingest::register(&mut client, &self.hall).await?;
            self.status.connected.store(true, Ordering::Relaxed);
            *self
                .status
                .last_error
                .lock()
                .unwrap_or_else(|p| p.into_inner()) = None;
            loop {
                let started = std::time::Instant::now();
                let shipped = self.ship_once(&mut client).await?;
                if shipped == 0 {
                    tokio::time::sleep(POLL).await;
                } else if shipped == BATCH {
                    // A backlog: rest a third of the time each batch took, so catching up
                    // never takes the cores the hall's kiosks and screens need.
                    tokio::time::sleep(started.elapsed() / 3).await;
                }
            }
        }
        .await;
        driver.abort();
        out
    }

    /// Ship the next batch, if any; returns how many events were read.
    async fn ship_once(&self, client: &mut tokio_postgres::Client) -> Result<usize, ShipError> {
        let reader = self.reader.clone();
        let hall_id = self.hall.hall_id.clone();
        let (mark, hall_seq, records) = tokio::task::spawn_blocking(move || {
            let mark = reader.uplink_mark(&hall_id)?;
            let hall_seq = reader.last_event_seq()?;
            let records = reader.events_since(mark, BATCH)?;
            Ok::<_, crate::store::StoreError>((mark, hall_seq, records))
        })
        .await??;
        self.status.hall_seq.store(hall_seq, Ordering::Relaxed);
        self.status.shipped_seq.store(mark, Ordering::Relaxed);
        let Some(last) = records.last().map(|r| r.seq) else {
            return Ok(0);
        };
        let batch: Vec<Shipped> = records.iter().filter_map(Shipped::from_record).collect();
        ingest::ship(client, &self.hall, &batch, hall_seq as i64).await?;
        // The centre has committed: only now does the hall's mark move.
        let (db, hall_id) = (self.db.clone(), self.hall.hall_id.clone());
        let now = jiff::Timestamp::now().as_millisecond();
        tokio::task::spawn_blocking(move || {
            crate::store::uplink::set_uplink_mark(&db, &hall_id, last, now)
        })
        .await??;
        self.status.shipped_seq.store(last, Ordering::Relaxed);
        self.status.last_ship_ms.store(now, Ordering::Relaxed);
        Ok(records.len())
    }
}
