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

/// Shared operational state of one server.
#[derive(Debug, Default)]
pub struct OpsStatus {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    last_attempt: Option<BackupOutcome>,
    last_good: Option<BackupOutcome>,
}

impl OpsStatus {
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

    /// Alarms for the manager's floor: the last backup attempt failed.
    pub fn alarms(&self) -> Vec<Alarm> {
        let (attempt, _) = self.backups();
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
            .collect()
    }
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
    }
}
