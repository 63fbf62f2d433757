//! Backups as an operator meets them: `hallq backup` / `hallq restore` and what they print, the
//! copy `serve` takes before migrating to a newer schema, and the nightly copy with its pruning.
//! The copying itself is `store::backup`; the server's claim on the database is `ops::lock`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use jiff::Timestamp;
use jiff::civil::Time;
use jiff::tz::TimeZone;

use crate::ops::lock::DbLock;
use crate::ops::status::{BackupOutcome, OpsStatus};
use crate::store::StoreError;
use crate::store::backup::{self as copy, Summary};

/// Nightly copies are named `hallq-<local date>T<HHMM>.db`, so names sort by age.
const NIGHTLY_PREFIX: &str = "hallq-";

/// Files beside the database that a backup does not contain but a restore needs: the key file
/// that seals its personal data (`store::keys`). Without it the sealed columns of a restored
/// copy are lost, and the server refuses to start on that copy.
pub fn key_files(db: &Path) -> Vec<PathBuf> {
    let key = crate::store::keys::key_path(db);
    if key.is_file() { vec![key] } else { Vec::new() }
}

/// What an operator reads after a restore about the key file the restored database needs.
pub fn restore_note(db: &Path) -> String {
    let key = crate::store::keys::key_path(db);
    if key.is_file() {
        format!(
            "the server will open it with the key file {}: it must be the key kept with this backup (a key of another database is refused)",
            key.display()
        )
    } else {
        format!(
            "no key file at {}: copy there the key file kept with this backup (chmod 600) before starting the server; without it the server refuses to start and the sealed phone numbers and ID hashes cannot be used",
            key.display()
        )
    }
}

/// What an operator reads after a backup: the file, its size, time, schema, rows, and what
/// else to keep.
pub fn describe(s: &Summary, keys: &[PathBuf]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "wrote {} ({:.1} MB) in {:.2} s; integrity ok; schema version {}",
        s.path.display(),
        s.bytes as f64 / 1e6,
        s.elapsed.as_secs_f64(),
        s.schema
    );
    let rows: Vec<String> = s.tables.iter().map(|(t, n)| format!("{t} {n}")).collect();
    let _ = writeln!(out, "rows: {}", rows.join(", "));
    if keys.is_empty() {
        let _ = writeln!(
            out,
            "no key file beside the database (a database that has served has one): its phone numbers and ID hashes cannot be read without it"
        );
    } else {
        for k in keys {
            let _ = writeln!(
                out,
                "keep also the key file {} with this backup, somewhere as safe (it is not in the backup: without it the server refuses the restored copy and its sealed phone numbers and ID hashes cannot be read back)",
                k.display()
            );
        }
    }
    out
}

/// Why a restore did not happen.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    #[error(transparent)]
    Locked(#[from] crate::ops::lock::LockError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Put the backup `from` in place of `db`, refusing while a server holds `db`.
/// Returns the copy's summary and where the replaced database was kept.
pub fn restore(from: &Path, db: &Path) -> Result<(Summary, Option<PathBuf>), RestoreError> {
    let _claim = DbLock::acquire(db)?;
    Ok(copy::restore(from, db)?)
}

/// The folder of nightly (and pre-upgrade) copies: `dir` relative to the database's folder.
pub fn backup_dir(db: &Path, dir: &str) -> PathBuf {
    let dir = Path::new(dir);
    if dir.is_absolute() {
        return dir.to_path_buf();
    }
    db.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .join(dir)
}

/// Before `serve` migrates an older database, copy it as it is: a failed or regretted upgrade
/// can always go back. `None` when there is nothing to migrate (new, or already current).
pub fn before_migrate(
    db: &Path,
    dir: &Path,
    now: Timestamp,
) -> Result<Option<Summary>, StoreError> {
    let Some(version) = copy::schema_version(db)? else {
        return Ok(None);
    };
    crate::store::schema::refuse_newer(version)?;
    if version == 0 || version == copy::current_schema() {
        return Ok(None);
    }
    let name = format!(
        "hallq-schema{version}-before-upgrade-{}.db",
        now.as_second()
    );
    copy::backup(db, &dir.join(name)).map(Some)
}

/// The next nightly run strictly after `now`.
pub fn next_run(now: Timestamp, at: Time, tz: &TimeZone) -> Timestamp {
    let mut day = tz.to_datetime(now).date();
    loop {
        if let Ok(t) = tz.to_timestamp(day.to_datetime(at))
            && t > now
        {
            return t;
        }
        match day.tomorrow() {
            Ok(d) => day = d,
            Err(_) => return now,
        }
    }
}

/// Take tonight's copy into `dir` and keep the newest `keep` nightly copies.
pub fn take_nightly(
    db: &Path,
    dir: &Path,
    keep: usize,
    now: Timestamp,
    tz: &TimeZone,
) -> Result<Summary, StoreError> {
    let stamp = tz.to_datetime(now).strftime("%Y-%m-%dT%H%M%S").to_string();
    let summary = copy::backup(db, &dir.join(format!("{NIGHTLY_PREFIX}{stamp}.db")))?;
    prune(dir, keep);
    Ok(summary)
}

/// Delete the oldest nightly copies past `keep` (pre-upgrade copies are never pruned).
pub fn prune(dir: &Path, keep: usize) -> Vec<PathBuf> {
    let mut nightly: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                n.starts_with(NIGHTLY_PREFIX)
                    && n.ends_with(".db")
                    && !n.contains("before-upgrade")
                    && n[NIGHTLY_PREFIX.len()..].starts_with(|c: char| c.is_ascii_digit())
            })
        })
        .collect();
    nightly.sort();
    let excess = nightly.len().saturating_sub(keep.max(1));
    let gone: Vec<PathBuf> = nightly.into_iter().take(excess).collect();
    for p in &gone {
        if let Err(e) = std::fs::remove_file(p) {
            tracing::warn!(file = %p.display(), error = %e, "cannot delete an old backup");
        }
    }
    gone
}

/// The nightly schedule of one server.
#[derive(Debug, Clone)]
pub struct Nightly {
    pub db: PathBuf,
    pub dir: PathBuf,
    pub at: Time,
    pub keep: usize,
    pub tz: TimeZone,
}

impl Nightly {
    /// Run forever: sleep until the next `at`, copy on a blocking thread (never the engine's
    /// writer), record the outcome for the floor and `/readyz`.
    pub async fn run(self, status: Arc<OpsStatus>) {
        loop {
            let now = Timestamp::now();
            let next = next_run(now, self.at, &self.tz);
            let wait = next.duration_since(now).as_secs_f64().max(1.0);
            tokio::time::sleep(std::time::Duration::from_secs_f64(wait)).await;
            self.once(&status).await;
        }
    }

    /// One nightly copy now.
    pub async fn once(&self, status: &OpsStatus) -> BackupOutcome {
        let job = self.clone();
        let now = Timestamp::now();
        let result = tokio::task::spawn_blocking(move || {
            take_nightly(&job.db, &job.dir, job.keep, now, &job.tz)
        })
        .await
        .unwrap_or_else(|e| Err(StoreError::Other(format!("backup task: {e}"))));
        let done = Timestamp::now();
        let outcome = match result {
            Ok(s) => {
                tracing::info!(file = %s.path.display(), bytes = s.bytes, ms = s.elapsed.as_millis() as u64, "nightly backup written and verified");
                BackupOutcome {
                    at: crate::domain::event::rfc3339(done, &self.tz),
                    at_unix_s: done.as_second(),
                    ok: true,
                    file: Some(s.path.display().to_string()),
                    bytes: s.bytes,
                    elapsed_ms: s.elapsed.as_millis() as u64,
                    error: None,
                }
            }
            Err(e) => {
                tracing::error!(error = %e, dir = %self.dir.display(), "nightly backup failed");
                BackupOutcome {
                    at: crate::domain::event::rfc3339(done, &self.tz),
                    at_unix_s: done.as_second(),
                    ok: false,
                    file: None,
                    bytes: 0,
                    elapsed_ms: 0,
                    error: Some(e.to_string()),
                }
            }
        };
        status.record_backup(outcome.clone());
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tz() -> TimeZone {
        TimeZone::get("Asia/Shanghai").expect("bundled")
    }

    #[test]
    fn the_next_run_is_tonight_or_tomorrow_night() {
        let at = Time::new(2, 0, 0, 0).expect("time");
        let ts = |s: &str| s.parse::<Timestamp>().expect("ts");
        // 01:30 local -> 02:00 the same day.
        assert_eq!(
            next_run(ts("2026-12-01T17:30:00Z"), at, &tz()),
            ts("2026-12-01T18:00:00Z")
        );
        // 02:00 exactly -> the next night, not now again.
        assert_eq!(
            next_run(ts("2026-12-01T18:00:00Z"), at, &tz()),
            ts("2026-12-02T18:00:00Z")
        );
        // Mid-day -> that night.
        assert_eq!(
            next_run(ts("2026-12-02T04:00:00Z"), at, &tz()),
            ts("2026-12-02T18:00:00Z")
        );
    }

    #[tokio::test]
    async fn a_nightly_copy_that_fails_raises_the_floor_alarm_and_a_good_one_clears_it() {
        let dir = tempfile::tempdir().expect("dir");
        let db = dir.path().join("hallq.db");
        crate::store::Store::open(&db).expect("a database");
        let blocker = dir.path().join("not-a-folder");
        std::fs::write(&blocker, b"x").expect("a file where the folder should be");
        let status = OpsStatus::new(true, Timestamp::now().as_second());
        let mut job = Nightly {
            db: db.clone(),
            dir: blocker.join("backups"),
            at: Time::new(2, 0, 0, 0).expect("time"),
            keep: 2,
            tz: tz(),
        };
        let failed = job.once(&status).await;
        assert!(!failed.ok);
        assert_eq!(status.alarms().len(), 1);
        assert!(status.backup_health(Timestamp::now().as_second()).is_err());

        job.dir = dir.path().join("backups");
        let good = job.once(&status).await;
        assert!(good.ok, "{:?}", good.error);
        assert!(status.alarms().is_empty());
        let file = PathBuf::from(good.file.expect("file"));
        assert_eq!(
            crate::store::backup::verify(&file).expect("sound").schema,
            copy::current_schema()
        );
    }

    #[test]
    fn pruning_keeps_the_newest_nightly_copies_and_every_pre_upgrade_copy() {
        let dir = tempfile::tempdir().expect("dir");
        for n in [
            "hallq-2026-11-01T020000.db",
            "hallq-2026-11-02T020000.db",
            "hallq-2026-11-03T020000.db",
            "hallq-schema4-before-upgrade-1.db",
            "notes.txt",
        ] {
            std::fs::write(dir.path().join(n), b"x").expect("write");
        }
        let gone = prune(dir.path(), 2);
        assert_eq!(gone, vec![dir.path().join("hallq-2026-11-01T020000.db")]);
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .expect("list")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [
                "hallq-2026-11-02T020000.db",
                "hallq-2026-11-03T020000.db",
                "hallq-schema4-before-upgrade-1.db",
                "notes.txt"
            ]
        );
    }
}
