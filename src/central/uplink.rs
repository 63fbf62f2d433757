//! The hall's uplink: a background task that ships committed events to the central database
//! in batches, advancing the hall's shipped mark only after the centre committed. It never
//! competes with the hall's writer for long:
//! - it runs on a thread of its own at a lower CPU priority (nice 10 on Linux), with its own
//!   small runtime, so the kiosks' requests and the engine always go first;
//! - it reads on read-only connections, in short transactions (a checkpoint never waits long);
//! - while catching up, it reads the next batch from the hall's database while the centre
//!   takes the current one;
//! - while the hall is issuing it ships small batches (a few milliseconds of the centre's time
//!   each) and rests 19 times as long as each took, so it takes about a twentieth of the time;
//!   a quiet hall catches up in large batches;
//! - the mark, its only write to the hall's database, is written at most once a second
//!   while catching up and once caught up (a mark behind the centre only means a batch is sent
//!   again, and the centre counts it once);
//! - it backs off while the centre is unreachable, so the hall never waits for it;
//! - it ships the events alone (`ingest::ship`), and brings the centre's tickets and rollups
//!   up to them (`ingest::materialize`) once caught up, or every `ROLL_BATCH` events while
//!   catching up.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::fact::Shipped;
use super::ingest::{self, HallInfo};
use crate::store::Reader;

/// Events per central transaction while the hall is quiet (catching up).
pub const BATCH: usize = 10_000;
/// Events per central transaction while the hall is issuing.
pub const BUSY_BATCH: usize = 250;
/// Events per rollup transaction (`ingest::materialize`): while catching up, the uplink ships
/// this many events before it brings the rollups up to them, so a day's rollup rows are
/// rewritten once for many batches.
pub const ROLL_BATCH: usize = 50_000;
/// How long the uplink leaves failed rollups before it tries them again.
const ROLL_RETRY: Duration = Duration::from_secs(30);
/// Events per rollup transaction while the hall is issuing (a few milliseconds of the
/// centre's time; a large backlog of rollups is the central server's to finish).
const BUSY_ROLL: usize = 2_500;
/// While the hall is issuing, the uplink rests this many times as long as a batch took.
const BUSY_REST: u32 = 19;
/// How often an idle uplink looks for new events.
const POLL: Duration = Duration::from_millis(250);
/// Longest wait between reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// How far the hall's stored mark may trail the centre while a backlog ships.
const MARK_EVERY: Duration = Duration::from_secs(1);
/// The uplink thread's nice value (Linux): below every thread that serves the hall.
#[cfg(target_os = "linux")]
const NICE: i32 = 10;

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
    #[error("central database: {0}")]
    Ingest(#[from] ingest::IngestError),
    #[error("hall database: {0}")]
    Store(#[from] crate::store::StoreError),
    #[error("{0}")]
    Join(#[from] tokio::task::JoinError),
}

impl Uplink {
    /// Ship until dropped: on a thread of its own at a lower priority (see the module
    /// comment). Dropping (aborting) this future stops the thread.
    pub async fn run(self) {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (done, finished) = tokio::sync::oneshot::channel::<()>();
        let spawned = std::thread::Builder::new()
            .name("hallq-uplink".into())
            .spawn(move || {
                lower_priority();
                match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt.block_on(async {
                        tokio::select! {
                            () = self.ship_forever() => {}
                            _ = stopped => {}
                        }
                    }),
                    Err(e) => tracing::error!(error = %e, "uplink runtime"),
                }
                let _ = done.send(());
            });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "uplink thread");
            return;
        }
        // `stop` lives as long as this future: dropping it ends the thread's loop.
        let _stop = stop;
        let _ = finished.await;
    }

    /// Connect, ship until an error, back off, reconnect; forever.
    async fn ship_forever(&self) {
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
            let reader = self.reader.clone();
            let hall_id = self.hall.hall_id.clone();
            let mark = tokio::task::spawn_blocking(move || reader.uplink_mark(&hall_id)).await??;
            let mut pace = Pace::new(mark);
            let mut ahead = None;
            loop {
                let started = Instant::now();
                let limit = if pace.hall_busy { BUSY_BATCH } else { BATCH };
                let read = self
                    .ship_once(&mut client, &mut pace, limit, &mut ahead)
                    .await?;
                pace.unrolled += read;
                // The rollups follow once the backlog is shipped, or a rollup batch of it; a
                // little at a time while the hall is issuing.
                let due = pace.unrolled >= ROLL_BATCH || (read < limit && pace.unrolled > 0);
                if due && pace.roll_again_at.is_none_or(|t| Instant::now() >= t) {
                    let most = if pace.hall_busy { BUSY_ROLL } else { ROLL_BATCH };
                    let held = Some(&mut pace.held);
                    match ingest::materialize(&mut client, &self.hall.hall_id, most, held).await {
                        Ok(n) => {
                            pace.roll_again_at = None;
                            pace.unrolled = if n < most {
                                0
                            } else {
                                pace.unrolled.saturating_sub(n).max(1)
                            };
                        }
                        // The events are in: a fault in the rollups must not stop the shipping.
                        // They are tried again a while later (the central server may finish
                        // them first).
                        Err(e) if !client.is_closed() => {
                            tracing::warn!(error = %e, retry_in = ?ROLL_RETRY, "uplink: rollups failed");
                            pace.unrolled = pace.unrolled.max(1);
                            pace.roll_again_at = Some(Instant::now() + ROLL_RETRY);
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
                if read == 0 {
                    tokio::time::sleep(POLL).await;
                } else if pace.hall_busy {
                    // The hall is issuing: take about a twentieth of the time, never more.
                    tokio::time::sleep(started.elapsed() * BUSY_REST).await;
                } else if read == limit {
                    // A quiet hall: catch up, but let the screens and a late kiosk in.
                    tokio::time::sleep(started.elapsed() / 3).await;
                }
            }
        }
        .await;
        driver.abort();
        out
    }

    /// Read the hall's newest seq and up to `limit` events after `since`, on a blocking thread.
    fn read_from(&self, since: u64, limit: usize) -> Ahead {
        let reader = self.reader.clone();
        let read = tokio::task::spawn_blocking(move || {
            let hall_seq = reader.last_event_seq()?;
            let records = reader.events_since(since, limit)?;
            Ok::<_, crate::store::StoreError>((hall_seq, records))
        });
        Ahead { since, limit, read }
    }

    /// Ship the next batch of at most `limit`, if any; returns how many events were read.
    /// While catching up, the batch after it is read from the hall's database (`ahead`) as
    /// the centre takes this one.
    async fn ship_once(
        &self,
        client: &mut tokio_postgres::Client,
        pace: &mut Pace,
        limit: usize,
        ahead: &mut Option<Ahead>,
    ) -> Result<usize, ShipError> {
        let read = match ahead.take() {
            Some(a) if a.since == pace.mark && a.limit == limit => a,
            _ => self.read_from(pace.mark, limit),
        };
        let (hall_seq, records) = read.read.await??;
        pace.saw(hall_seq);
        self.status.hall_seq.store(hall_seq, Ordering::Relaxed);
        self.status.shipped_seq.store(pace.mark, Ordering::Relaxed);
        let Some(last) = records.last().map(|r| r.seq) else {
            self.store_mark(pace).await?;
            return Ok(0);
        };
        if !pace.hall_busy && records.len() == limit {
            *ahead = Some(self.read_from(last, limit));
        }
        let batch: Vec<Shipped> = records.iter().filter_map(Shipped::from_record).collect();
        let shipment = ingest::ship(client, &self.hall, &batch, hall_seq as i64).await?;
        // Held for the rollups, within bounds (past them, they read the events back).
        if pace.held.len() > 2 * ROLL_BATCH {
            pace.held.clear();
        }
        pace.held.add(shipment, batch);
        // The centre has committed: only now may the hall's mark move.
        let now = jiff::Timestamp::now().as_millisecond();
        pace.mark = last;
        self.status.shipped_seq.store(last, Ordering::Relaxed);
        self.status.last_ship_ms.store(now, Ordering::Relaxed);
        if records.len() < limit || pace.stored_at.elapsed() >= MARK_EVERY {
            self.store_mark(pace).await?;
        }
        Ok(records.len())
    }

    /// Write the mark into the hall's database if it moved since last written.
    async fn store_mark(&self, pace: &mut Pace) -> Result<(), ShipError> {
        if pace.stored == pace.mark {
            return Ok(());
        }
        let (db, hall_id, seq) = (self.db.clone(), self.hall.hall_id.clone(), pace.mark);
        let now = jiff::Timestamp::now().as_millisecond();
        tokio::task::spawn_blocking(move || {
            crate::store::uplink::set_uplink_mark(&db, &hall_id, seq, now)
        })
        .await??;
        pace.stored = seq;
        pace.stored_at = Instant::now();
        Ok(())
    }
}

/// A read of the hall's log started ahead of its turn: from where, how much, and the read
/// (the hall's newest seq and the events).
struct Ahead {
    since: u64,
    limit: usize,
    read: tokio::task::JoinHandle<
        Result<(u64, Vec<crate::domain::EventRecord>), crate::store::StoreError>,
    >,
}

/// Where a session stands: the centre's mark, the hall's stored one, and whether the hall is
/// issuing (its newest event moved since the last look; assumed until seen otherwise).
struct Pace {
    mark: u64,
    stored: u64,
    stored_at: Instant,
    hall_seq: Option<u64>,
    hall_busy: bool,
    /// Events shipped but not yet applied to the rollups (at least 1 while unknown).
    unrolled: usize,
    /// The shipped events the rollups have not taken yet.
    held: ingest::Held,
    /// After failed rollups, when to try them again.
    roll_again_at: Option<Instant>,
}

impl Pace {
    fn new(mark: u64) -> Pace {
        Pace {
            mark,
            stored: mark,
            stored_at: Instant::now(),
            hall_seq: None,
            hall_busy: true,
            // A session starts by looking: the last one may have left rollups behind.
            unrolled: 1,
            held: ingest::Held::default(),
            roll_again_at: None,
        }
    }

    fn saw(&mut self, hall_seq: u64) {
        self.hall_busy = self.hall_seq.is_none_or(|before| hall_seq > before);
        self.hall_seq = Some(hall_seq);
    }
}

/// Lower the calling thread's CPU priority (threads it starts inherit it). Best effort.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    if let Err(e) = rustix::process::setpriority_process(Some(rustix::thread::gettid()), NICE) {
        tracing::debug!(error = %e, "uplink priority unchanged");
    }
}
