//! The server's claim on its database: an exclusive lock on `<db>.lock`, held while it serves.
//! A restore takes the same lock, so it cannot replace a database under a running server.
//! The operating system drops the lock when the process ends, even on `kill -9`.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

/// Held while a server (or a restore) owns the database; released on drop.
#[derive(Debug)]
pub struct DbLock {
    _file: File,
    path: PathBuf,
}

/// Why the database could not be claimed.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("a hallq server holds {0} (lock file {1}); stop it first (systemctl stop hallq)")]
    Held(String, String),
    #[error("cannot open the lock file {0}: {1}")]
    Io(String, std::io::Error),
}

/// The lock file beside the database.
pub fn lock_path(db: &Path) -> PathBuf {
    let mut s = db.as_os_str().to_owned();
    s.push(".lock");
    PathBuf::from(s)
}

impl DbLock {
    /// Claim `db` without waiting.
    pub fn acquire(db: &Path) -> Result<DbLock, LockError> {
        let path = lock_path(db);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| LockError::Io(path.display().to_string(), e))?;
        }
        // Read access is enough for the lock, so a lock file left by root (a restore) still
        // serves the service's own user.
        let file = OpenOptions::new()
            .read(true)
            .open(&path)
            .or_else(|_| {
                OpenOptions::new()
                    .create(true)
                    .truncate(false)
                    .write(true)
                    .open(&path)
            })
            .map_err(|e| LockError::Io(path.display().to_string(), e))?;
        match file.try_lock() {
            Ok(()) => Ok(DbLock { _file: file, path }),
            Err(TryLockError::WouldBlock) => Err(LockError::Held(
                db.display().to_string(),
                path.display().to_string(),
            )),
            Err(TryLockError::Error(e)) => Err(LockError::Io(path.display().to_string(), e)),
        }
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_claim_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().expect("dir");
        let db = dir.path().join("hallq.db");
        let first = DbLock::acquire(&db).expect("first claim");
        let err = DbLock::acquire(&db).expect_err("held");
        assert!(matches!(err, LockError::Held(..)), "{err}");
        drop(first);
        DbLock::acquire(&db).expect("free again");
    }
}
