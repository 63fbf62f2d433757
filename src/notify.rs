//! Delivering the notifications outbox: one background task per `[[notify]]` gateway posts each
//! due message as JSON signed with HMAC-SHA256 and marks it delivered only after a 2xx answer.
//! At least once: a crash between the answer and the mark sends the message again with the same
//! `X-Hallq-Id`, so the gateway can make it exactly once. Failures are retried with backoff and
//! never dropped; the floor alarms when a due message waits too long. Reads go through the
//! read-only pool, marks through the task's own connection, never through the engine.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use tokio::sync::broadcast;

use crate::clock::Clock;
use crate::config::notify::{GatewayUrl, NotifySection, stays_local};

pub mod tls;
use crate::engine::Frame;
use crate::reports::floor::{Alarm, AlarmKind};
use crate::store::Reader;
use crate::store::outbox::{OutboxMarks, Pending, Tried};

/// Messages taken per round.
const BATCH: usize = 50;
/// How often an idle task looks again (it also wakes at every commit).
const POLL: Duration = Duration::from_millis(1000);
/// The first retry after a failure; it doubles up to `MAX_BACKOFF`.
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// The signature of `body` sent at `timestamp` (Unix seconds): lowercase hex of
/// HMAC-SHA256(secret, "{timestamp}.{body}"). The `X-Hallq-Signature` header is `v1=` and this.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    crate::domain::hall::hex(&mac.finalize().into_bytes())
}

/// Retry delay after the `attempts`-th failure of a message.
pub fn backoff(attempts: u32) -> Duration {
    FIRST_BACKOFF
        .saturating_mul(1u32 << attempts.saturating_sub(1).min(16))
        .min(MAX_BACKOFF)
}

/// One gateway's outbox as last seen, for the floor and `/metrics`.
#[derive(Debug, Default)]
pub struct TargetStatus {
    pub name: String,
    due: AtomicU64,
    later: AtomicU64,
    /// Age of the oldest due message on the hall clock, ms (0 when none).
    oldest_ms: AtomicI64,
    delivered: AtomicU64,
    failed: AtomicU64,
    refused_local: AtomicBool,
    last_error: Mutex<Option<String>>,
}

/// A snapshot of one `TargetStatus`.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetView {
    pub name: String,
    pub due: u64,
    pub later: u64,
    pub oldest_s: f64,
    pub delivered: u64,
    pub failed: u64,
    pub last_error: Option<String>,
}

/// Every gateway's status and when the floor should alarm.
#[derive(Debug, Default)]
pub struct OutboxStatus {
    targets: Vec<Arc<TargetStatus>>,
    /// A due message waiting this long raises a floor alarm (0: never).
    alarm_after_s: i64,
}

impl OutboxStatus {
    pub fn new(names: impl IntoIterator<Item = String>, alarm_after_minutes: u32) -> OutboxStatus {
        OutboxStatus {
            targets: names
                .into_iter()
                .map(|name| {
                    Arc::new(TargetStatus {
                        name,
                        ..TargetStatus::default()
                    })
                })
                .collect(),
            alarm_after_s: i64::from(alarm_after_minutes) * 60,
        }
    }

    fn target(&self, name: &str) -> Option<Arc<TargetStatus>> {
        self.targets.iter().find(|t| t.name == name).cloned()
    }

    pub fn views(&self) -> Vec<TargetView> {
        self.targets
            .iter()
            .map(|t| TargetView {
                name: t.name.clone(),
                due: t.due.load(Ordering::Relaxed),
                later: t.later.load(Ordering::Relaxed),
                oldest_s: t.oldest_ms.load(Ordering::Relaxed) as f64 / 1000.0,
                delivered: t.delivered.load(Ordering::Relaxed),
                failed: t.failed.load(Ordering::Relaxed),
                last_error: t
                    .last_error
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .clone(),
            })
            .collect()
    }

    /// A gateway whose oldest due message has waited past `[notifications] alarm_after_minutes`.
    pub fn alarms(&self) -> Vec<Alarm> {
        if self.alarm_after_s == 0 {
            return Vec::new();
        }
        self.views()
            .into_iter()
            .filter(|v| v.due > 0 && v.oldest_s as i64 >= self.alarm_after_s)
            .map(|v| Alarm {
                kind: AlarmKind::Notify,
                queue: None,
                window: None,
                printer: None,
                value: v.oldest_s as i64,
                threshold: self.alarm_after_s,
                detail: Some(match v.last_error {
                    Some(e) => format!("{}: {} undelivered; {e}", v.name, v.due),
                    None => format!("{}: {} undelivered", v.name, v.due),
                }),
            })
            .collect()
    }
}

/// One gateway's delivery task.
pub struct Delivery {
    pub target: NotifySection,
    pub reader: Reader,
    pub db: std::path::PathBuf,
    pub clock: Arc<dyn Clock>,
    pub status: Arc<OutboxStatus>,
    /// A trial run (`--demo`, `--simulated-clock`): only loopback gateways are posted to.
    pub local_only: bool,
    /// The key file's keys: phones wait sealed in the outbox.
    pub keys: Option<crate::store::keys::Keys>,
    /// For an `https://` gateway (`tls::connectors`).
    pub tls: Option<tokio_rustls::TlsConnector>,
}

/// Why one post did not deliver.
#[derive(Debug, thiserror::Error)]
enum PostError {
    #[error("timed out")]
    Timeout,
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Http(#[from] hyper::Error),
    #[error("{0}")]
    Request(#[from] hyper::http::Error),
    #[error("answered {0}")]
    Status(u16),
}

impl Delivery {
    /// Deliver forever. `commits` wakes the task when the engine commits.
    pub async fn run(self, mut commits: broadcast::Receiver<Arc<Frame>>) {
        let Some(status) = self.status.target(&self.target.name) else {
            return;
        };
        if self.local_only
            && let Err(why) = stays_local(&self.target.url)
        {
            tracing::warn!(notify = %self.target.name, %why, "trial run: this gateway is not posted to");
            status.refused_local.store(true, Ordering::Relaxed);
            *status.last_error.lock().unwrap_or_else(|p| p.into_inner()) =
                Some(format!("{why}: not tried in a trial run"));
        }
        let mut marks = None;
        let mut pause = Duration::ZERO;
        loop {
            if !pause.is_zero() {
                tokio::time::sleep(pause).await;
            }
            let worked = self.round(&status, &mut marks).await;
            pause = match worked {
                Ok(0) => {
                    // Idle: wait for a commit or the poll, whichever comes first.
                    tokio::select! {
                        r = commits.recv() => {
                            if matches!(r, Err(broadcast::error::RecvError::Closed)) {
                                return;
                            }
                        }
                        () = tokio::time::sleep(POLL) => {}
                    }
                    Duration::ZERO
                }
                Ok(_) => Duration::ZERO,
                Err(wait) => wait,
            };
        }
    }

    /// Refresh the status, send what is due. `Ok(n)`: n messages tried; `Err(wait)`: stop
    /// trying for `wait` (the gateway failed, or the database did).
    async fn round(
        &self,
        status: &TargetStatus,
        marks: &mut Option<OutboxMarks>,
    ) -> Result<usize, Duration> {
        let hall_ms = self.clock.now().as_millisecond();
        let wall_ms = jiff::Timestamp::now().as_millisecond();
        let (reader, name) = (self.reader.clone(), self.target.name.clone());
        let read = tokio::task::spawn_blocking(move || {
            let depth = reader.outbox_depth(&name, hall_ms)?;
            let due = reader.outbox_due(&name, hall_ms, wall_ms, BATCH)?;
            Ok::<_, crate::store::StoreError>((depth, due))
        })
        .await;
        let (depth, due) = match read {
            Ok(Ok(x)) => x,
            Ok(Err(e)) => {
                tracing::error!(notify = %self.target.name, error = %e, "outbox not readable");
                return Err(POLL);
            }
            Err(e) => {
                tracing::error!(error = %e, "outbox reader panicked");
                return Err(POLL);
            }
        };
        status.due.store(depth.due, Ordering::Relaxed);
        status.later.store(depth.later, Ordering::Relaxed);
        status.oldest_ms.store(
            depth.oldest_due_ms.map_or(0, |d| (hall_ms - d).max(0)),
            Ordering::Relaxed,
        );
        if due.is_empty() || status.refused_local.load(Ordering::Relaxed) {
            return Ok(0);
        }
        let mut tried = Vec::new();
        let mut stop = None;
        for p in &due {
            match self.post(p).await {
                Ok(()) => {
                    status.delivered.fetch_add(1, Ordering::Relaxed);
                    tried.push(Tried::Delivered { id: p.id });
                }
                Err(e) => {
                    let wait = backoff(p.attempts + 1);
                    tracing::warn!(notify = %self.target.name, id = %p.key, error = %e, retry_in = ?wait, "notification not delivered");
                    status.failed.fetch_add(1, Ordering::Relaxed);
                    *status.last_error.lock().unwrap_or_else(|p| p.into_inner()) =
                        Some(e.to_string());
                    tried.push(Tried::Failed {
                        id: p.id,
                        error: e.to_string(),
                        next_try_ms: jiff::Timestamp::now().as_millisecond()
                            + wait.as_millis() as i64,
                    });
                    // The gateway is in trouble: leave the rest for the next round.
                    stop = Some(FIRST_BACKOFF);
                    break;
                }
            }
        }
        if stop.is_none() {
            *status.last_error.lock().unwrap_or_else(|p| p.into_inner()) = None;
        }
        let n = tried.len();
        let db = self.db.clone();
        let mut m = marks.take();
        // On the hall clock, like the rows' due times ([retention] outbox_days counts from it).
        let delivered_ms = self.clock.now().as_millisecond();
        let marked = tokio::task::spawn_blocking(move || {
            let conn = match m.take() {
                Some(c) => c,
                None => OutboxMarks::open(&db)?,
            };
            let mut conn = conn;
            conn.mark(&tried, delivered_ms)?;
            Ok::<_, crate::store::StoreError>(conn)
        })
        .await;
        match marked {
            Ok(Ok(c)) => *marks = Some(c),
            Ok(Err(e)) => {
                // Delivered but not marked: sent again later with the same id.
                tracing::error!(notify = %self.target.name, error = %e, "outbox marks not written");
                return Err(POLL);
            }
            Err(e) => {
                tracing::error!(error = %e, "outbox marks panicked");
                return Err(POLL);
            }
        }
        match stop {
            Some(wait) => Err(wait),
            None => Ok(n),
        }
    }

    /// Post one message; `Ok` only for a 2xx answer.
    async fn post(&self, p: &Pending) -> Result<(), PostError> {
        let url = GatewayUrl::parse(&self.target.url).map_err(std::io::Error::other)?;
        let mut body: serde_json::Value =
            serde_json::from_str(&p.body).map_err(std::io::Error::other)?;
        if let serde_json::Value::Object(m) = &mut body {
            let phone = self
                .keys
                .as_ref()
                .and_then(|k| crate::store::outbox::open_phone(k, p));
            m.insert("phone".into(), serde_json::json!(phone));
        }
        let body = body.to_string();
        let ts = jiff::Timestamp::now().as_second();
        let sig = signature(&self.target.secret, ts, body.as_bytes());
        let req = hyper::Request::post(url.path.as_str())
            .header(hyper::header::HOST, &url.hostport)
            .header(
                hyper::header::CONTENT_TYPE,
                "application/json; charset=utf-8",
            )
            .header("x-hallq-id", &p.key)
            .header("idempotency-key", &p.key)
            .header("x-hallq-kind", &p.kind)
            .header("x-hallq-attempt", (p.attempts + 1).to_string())
            .header("x-hallq-timestamp", ts.to_string())
            .header("x-hallq-signature", format!("v1={sig}"))
            .body(body)?;
        let limit = Duration::from_secs(u64::from(self.target.timeout_secs));
        let status = tokio::time::timeout(limit, async {
            let stream = tokio::net::TcpStream::connect(&url.hostport).await?;
            match &self.tls {
                Some(tls) => {
                    let name =
                        tokio_rustls::rustls::pki_types::ServerName::try_from(url.host.clone())
                            .map_err(std::io::Error::other)?;
                    let stream = tls.connect(name, stream).await?;
                    send(stream, req).await
                }
                None => send(stream, req).await,
            }
        })
        .await
        .map_err(|_| PostError::Timeout)??;
        if (200..300).contains(&status) {
            Ok(())
        } else {
            Err(PostError::Status(status))
        }
    }
}

/// One HTTP/1.1 request on a fresh connection (plain or TLS); the answer's status.
async fn send<S>(stream: S, req: hyper::Request<String>) -> Result<u16, PostError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let io = hyper_util::rt::TokioIo::new(stream);
    let (mut sender, conn) = hyper::client::conn::http1::handshake(io).await?;
    let driver = tokio::spawn(conn);
    let res = sender.send_request(req).await;
    driver.abort();
    Ok(res?.status().as_u16())
}

/// What every delivery task shares with the server it runs in.
pub struct Wiring<'a> {
    pub reader: &'a Reader,
    pub db: &'a std::path::Path,
    pub clock: &'a Arc<dyn Clock>,
    pub status: &'a Arc<OutboxStatus>,
    /// Only loopback gateways (a simulated clock or an always-open demo hall).
    pub local_only: bool,
}

/// Start one delivery task per `[[notify]]` (with its TLS connector, by index), after dropping
/// messages of gateways no longer configured. Returns the tasks (aborted when the server stops).
pub fn start(
    targets: &[NotifySection],
    tls: &[Option<tokio_rustls::TlsConnector>],
    wiring: Wiring<'_>,
    commits: impl Fn() -> broadcast::Receiver<Arc<Frame>>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let Wiring {
        reader,
        db,
        clock,
        status,
        local_only,
    } = wiring;
    let names: Vec<String> = targets.iter().map(|t| t.name.clone()).collect();
    let keys = match OutboxMarks::open(db) {
        Ok(mut m) => {
            match m.drop_unknown_targets(&names) {
                Ok(0) => {}
                Ok(n) => tracing::warn!(
                    dropped = n,
                    "notifications for gateways no longer configured were dropped"
                ),
                Err(e) => tracing::error!(error = %e, "outbox not tidied at start"),
            }
            Some(m.keys())
        }
        Err(e) => {
            tracing::error!(error = %e, "outbox not opened at start: phones cannot be sent");
            None
        }
    };
    targets
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let d = Delivery {
                target: t.clone(),
                reader: reader.clone(),
                db: db.to_path_buf(),
                clock: Arc::clone(clock),
                status: Arc::clone(status),
                local_only,
                keys: keys.clone(),
                tls: tls.get(i).cloned().flatten(),
            };
            tokio::spawn(d.run(commits()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hmac_sha256_of_timestamp_dot_body() {
        // The primitive, on RFC 4231 test case 2.
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(b"Jefe").expect("key");
        mac.update(b"what do ya want for nothing?");
        assert_eq!(
            crate::domain::hall::hex(&mac.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // What is signed: "{timestamp}.{body}".
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(b"Jefe").expect("key");
        mac.update(b"1764600000.{\"id\":\"x\"}");
        assert_eq!(
            signature("Jefe", 1_764_600_000, br#"{"id":"x"}"#),
            crate::domain::hall::hex(&mac.finalize().into_bytes())
        );
        assert_ne!(signature("k", 1, b"{}"), signature("k", 2, b"{}"));
        assert_ne!(signature("k", 1, b"{}"), signature("j", 1, b"{}"));
    }

    #[test]
    fn backoff_doubles_up_to_five_minutes() {
        let s: Vec<u64> = (1..=12).map(|a| backoff(a).as_secs()).collect();
        assert_eq!(s, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]);
    }
}
