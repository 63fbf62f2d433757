//! What the operations side knows about itself right now: the last nightly backup and whether
//! it worked. The floor turns a failure into an alarm; `/readyz` reports it. Tiny sections
//! under a std Mutex, never held across an await.

use std::sync::Mutex;

use serde::Serialize;

use crate::reports::floor::{Alarm, AlarmKind};

/// The outcome of one backup attempt.
#[derive(Debug, Clone, Serialize)]
pub struct BackupOutcome {
    /// When the attempt finished, RFC 3339.
    pub at: String,
    /// The same instant in Unix seconds (ages are counted from it).
    pub at_unix_s: i64,
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    pub bytes: u64,
    pub elapsed_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A nightly backup older than this (or none this long after start) makes `/readyz` unhappy.
pub const BACKUP_STALE_S: i64 = 26 * 3600;

/// Shared operational state of one server.
#[derive(Debug, Default)]
pub struct OpsStatus {
    inner: Mutex<Inner>,
    /// Whether this server takes nightly backups (`[backup] dir` set).
    nightly: bool,
    /// When the server started, Unix seconds.
    started_unix_s: i64,
    /// The notification gateways' outboxes (`crate::notify`).
    pub outbox: std::sync::Arc<crate::notify::OutboxStatus>,
}

#[derive(Debug, Default)]
struct Inner {
    last_attempt: Option<BackupOutcome>,
    last_good: Option<BackupOutcome>,
    clock: Option<String>,
}

impl OpsStatus {
    /// The state of a server starting at `now_unix_s`.
    pub fn new(nightly: bool, now_unix_s: i64) -> OpsStatus {
        OpsStatus {
            inner: Mutex::default(),
            nightly,
            started_unix_s: now_unix_s,
            outbox: std::sync::Arc::default(),
        }
    }

    /// The same, reporting the notification gateways' outboxes.
    pub fn with_outbox(self, outbox: std::sync::Arc<crate::notify::OutboxStatus>) -> OpsStatus {
        OpsStatus { outbox, ..self }
    }

    /// Seconds since the last good backup, if there was one.
    pub fn last_backup_age_s(&self, now_unix_s: i64) -> Option<i64> {
        self.backups().1.map(|g| now_unix_s - g.at_unix_s)
    }

    /// Whether backups are healthy at `now_unix_s`: the last attempt worked and the last good
    /// copy (or, before the first, the server's start) is recent enough.
    pub fn backup_health(&self, now_unix_s: i64) -> Result<(), String> {
        if !self.nightly {
            return Ok(());
        }
        let (attempt, good) = self.backups();
        if let Some(a) = attempt.filter(|a| !a.ok) {
            return Err(format!(
                "the last backup failed: {}",
                a.error.unwrap_or_default()
            ));
        }
        let since = good.map_or(self.started_unix_s, |g| g.at_unix_s);
        if now_unix_s - since > BACKUP_STALE_S {
            return Err(format!(
                "no good backup for {} hours",
                (now_unix_s - since) / 3600
            ));
        }
        Ok(())
    }

    /// Remember a backup attempt.
    pub fn record_backup(&self, outcome: BackupOutcome) {
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if outcome.ok {
            g.last_good = Some(outcome.clone());
        }
        g.last_attempt = Some(outcome);
    }

    /// The latest attempt and the latest good backup.
    pub fn backups(&self) -> (Option<BackupOutcome>, Option<BackupOutcome>) {
        let g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        (g.last_attempt.clone(), g.last_good.clone())
    }

    /// Remember the latest clock check: a warning, or `None` when the clock looks right.
    pub fn record_clock(&self, warning: Option<String>) {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).clock = warning;
    }

    /// Alarms for the manager's floor: the last backup attempt failed, the clock is wrong, a
    /// notification gateway lets messages wait.
    pub fn alarms(&self) -> Vec<Alarm> {
        let (attempt, _) = self.backups();
        let clock = self
            .inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clock
            .clone();
        let clock = clock.map(|w| Alarm {
            kind: AlarmKind::Clock,
            queue: None,
            window: None,
            printer: None,
            value: 0,
            threshold: 0,
            detail: Some(w),
        });
        attempt
            .filter(|a| !a.ok)
            .map(|a| Alarm {
                kind: AlarmKind::Backup,
                queue: None,
                window: None,
                printer: None,
                value: 0,
                threshold: 0,
                detail: Some(a.error.unwrap_or_else(|| "backup_failed".into())),
            })
            .into_iter()
            .chain(clock)
            .chain(self.outbox.alarms())
            .collect()
    }
}

/// Check the clock at start and every hour (see `ops::clock`); warnings go to the log and,
/// through `status`, to the floor. `jumps`: also compare with monotonic time (not on a
/// simulated clock, which jumps by design).
pub async fn watch_clock(
    reader: crate::store::Reader,
    clock: std::sync::Arc<dyn crate::clock::Clock>,
    status: std::sync::Arc<OpsStatus>,
    jumps: bool,
) {
    let every = std::time::Duration::from_secs(3600);
    let mut before: Option<(i64, std::time::Instant)> = None;
    loop {
        let now_ms = clock.now().as_millisecond();
        let taken = std::time::Instant::now();
        let r = reader.clone();
        let last = tokio::task::spawn_blocking(move || r.last_event_ms())
            .await
            .ok()
            .and_then(Result::ok)
            .flatten();
        let jump = before
            .filter(|_| jumps)
            .and_then(|(ms, at)| crate::ops::clock::jumped(now_ms - ms, taken - at));
        let warning = jump.or_else(|| crate::ops::clock::against_database(now_ms, last));
        if let Some(w) = &warning {
            tracing::warn!(warning = %w, "clock check");
        }
        status.record_clock(warning);
        before = Some((now_ms, taken));
        tokio::time::sleep(every).await;
    }
}

/// Whether the database's folder takes a write: a small file written, synced and removed.
pub fn probe_disk(db: &std::path::Path) -> Result<(), String> {
    let dir = db
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let probe = dir.join(".hallq-ready-probe");
    let wrote =
        std::fs::write(&probe, b"ready").and_then(|()| std::fs::File::open(&probe)?.sync_all());
    let _ = std::fs::remove_file(&probe);
    wrote.map_err(|e| format!("{}: {e}", dir.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(ok: bool) -> BackupOutcome {
        BackupOutcome {
            at: String::new(),
            at_unix_s: 0,
            ok,
            file: None,
            bytes: 0,
            elapsed_ms: 0,
            error: (!ok).then(|| "disk full".to_string()),
        }
    }

    #[test]
    fn a_failed_backup_is_an_alarm_until_one_succeeds() {
        let s = OpsStatus::default();
        assert!(s.alarms().is_empty());
        s.record_backup(outcome(false));
        let alarms = s.alarms();
        assert_eq!(alarms.len(), 1);
        assert_eq!(alarms[0].kind, AlarmKind::Backup);
        assert_eq!(alarms[0].detail.as_deref(), Some("disk full"));
        s.record_backup(outcome(true));
        assert!(s.alarms().is_empty());
        assert!(s.backups().1.is_some());
        s.record_clock(Some("向后跳了 600 秒".into()));
        assert_eq!(s.alarms()[0].kind, AlarmKind::Clock);
        s.record_clock(None);
        assert!(s.alarms().is_empty());
    }

    #[test]
    fn backup_health_wants_a_recent_good_copy_when_nightly_is_on() {
        let off = OpsStatus::new(false, 0);
        assert!(off.backup_health(10 * BACKUP_STALE_S).is_ok());
        let on = OpsStatus::new(true, 0);
        assert!(on.backup_health(BACKUP_STALE_S).is_ok(), "fresh server");
        assert!(
            on.backup_health(BACKUP_STALE_S + 1).is_err(),
            "never backed up"
        );
        on.record_backup(outcome(true));
        assert_eq!(on.last_backup_age_s(100), Some(100));
        on.record_backup(outcome(false));
        let err = on.backup_health(100).expect_err("failed");
        assert!(err.contains("disk full"), "{err}");
    }
}
