//! Consistent copies of a live database and putting one back: `VACUUM INTO` from a reader (a
//! snapshot that never blocks the engine's writer, never a file copy), verification of a copy
//! (`PRAGMA integrity_check`, schema version, row counts), and restore into place.
//! Knows nothing of schedules or locks (see `crate::ops`).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags};

use super::{Result, StoreError, configure, schema};

/// What a verified copy holds.
#[derive(Debug, Clone)]
pub struct Summary {
    pub path: PathBuf,
    pub bytes: u64,
    /// `PRAGMA user_version` of the copy.
    pub schema: i64,
    /// Every table and its row count, by name.
    pub tables: Vec<(String, i64)>,
    /// How long taking (or checking) the copy took.
    pub elapsed: Duration,
}

impl Summary {
    /// Rows of one table (0 when absent).
    pub fn rows(&self, table: &str) -> i64 {
        self.tables
            .iter()
            .find(|(t, _)| t == table)
            .map_or(0, |(_, n)| *n)
    }
}

/// The schema version this build writes.
pub fn current_schema() -> i64 {
    schema::CURRENT
}

/// The schema version of the database at `path`, or `None` when there is no database there yet.
pub fn schema_version(path: &Path) -> Result<Option<i64>> {
    if !path.exists() {
        return Ok(None);
    }
    let conn = open_read_only(path)?;
    Ok(Some(
        conn.query_row("PRAGMA user_version", [], |r| r.get(0))?,
    ))
}

/// Copy the database at `db` to the new file `to` while a server may be writing to it.
/// The copy is one consistent snapshot (the instant the copy's read began), written beside
/// `to` first and renamed into place only once verified.
pub fn backup(db: &Path, to: &Path) -> Result<Summary> {
    let started = Instant::now();
    if !db.is_file() {
        return Err(StoreError::CannotOpen(format!(
            "{}: no such database",
            db.display()
        )));
    }
    if to.exists() {
        return Err(StoreError::Other(format!(
            "{} exists already; choose a new file",
            to.display()
        )));
    }
    if let Some(dir) = to.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::CannotOpen(format!("{}: {e}", dir.display())))?;
    }
    let partial = sibling(to, ".partial");
    let _ = std::fs::remove_file(&partial);
    let result = (|| {
        let conn = open_read_only(db)?;
        let target = partial
            .to_str()
            .ok_or_else(|| StoreError::Other(format!("{}: not UTF-8", partial.display())))?;
        conn.execute("VACUUM INTO ?1", [target])?;
        drop(conn);
        // A copy holds what the database holds: as private as the database.
        super::keys::make_private(&partial)?;
        let mut summary = verify(&partial)?;
        sync_file(&partial)?;
        std::fs::rename(&partial, to).map_err(io_err(to))?;
        sync_dir(to);
        summary.path = to.to_path_buf();
        summary.elapsed = started.elapsed();
        Ok(summary)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result
}

/// Check a copy: intact pages and indexes, a schema this build can read, and its row counts.
pub fn verify(path: &Path) -> Result<Summary> {
    let started = Instant::now();
    let conn = open_read_only(path)?;
    let mut stmt = conn.prepare("PRAGMA integrity_check")?;
    let problems = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    if problems != ["ok"] {
        return Err(StoreError::Corrupt(format!(
            "{}: integrity check failed: {}",
            path.display(),
            problems.join("; ")
        )));
    }
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version == 0 {
        return Err(StoreError::Corrupt(format!(
            "{}: not a hallq database (no schema)",
            path.display()
        )));
    }
    let mut stmt = conn.prepare(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )?;
    let names = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut tables = Vec::with_capacity(names.len());
    for name in names {
        let n: i64 = conn.query_row(
            &format!("SELECT COUNT(*) FROM \"{}\"", name.replace('"', "\"\"")),
            [],
            |r| r.get(0),
        )?;
        tables.push((name, n));
    }
    let bytes = std::fs::metadata(path).map_err(io_err(path))?.len();
    Ok(Summary {
        path: path.to_path_buf(),
        bytes,
        schema: version,
        tables,
        elapsed: started.elapsed(),
    })
}

/// Put the copy `from` in place of the database at `db`. The caller makes sure no server
/// holds `db`. The database it replaces, with its WAL, is kept beside it as
/// `<db>.pre-restore-<unix seconds>` (returned) so a wrong restore can be undone.
pub fn restore(from: &Path, db: &Path) -> Result<(Summary, Option<PathBuf>)> {
    let summary = verify(from)?;
    schema::refuse_newer(summary.schema)?;
    let incoming = sibling(db, ".restoring");
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    }
    std::fs::copy(from, &incoming).map_err(io_err(&incoming))?;
    super::keys::make_private(&incoming)?;
    sync_file(&incoming)?;
    same_owner(db, &incoming)?;
    let kept = if db.exists() {
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let aside = sibling(db, &format!(".pre-restore-{stamp}"));
        // The WAL and its index travel with their database, so the kept copy stays whole.
        for suffix in ["-wal", "-shm"] {
            let from = sibling(db, suffix);
            if from.exists() {
                std::fs::rename(&from, sibling(&aside, suffix)).map_err(io_err(&from))?;
            }
        }
        std::fs::rename(db, &aside).map_err(io_err(db))?;
        Some(aside)
    } else {
        None
    };
    std::fs::rename(&incoming, db).map_err(io_err(db))?;
    sync_dir(db);
    Ok((
        Summary {
            path: db.to_path_buf(),
            ..summary
        },
        kept,
    ))
}

/// Give `new` the owner of `old` (when there is one), so a restore run as root leaves a file the
/// service's own user can write.
#[cfg(unix)]
fn same_owner(old: &Path, new: &Path) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = std::fs::metadata(old) else {
        return Ok(());
    };
    std::os::unix::fs::chown(new, Some(meta.uid()), Some(meta.gid())).map_err(io_err(new))
}

#[cfg(not(unix))]
fn same_owner(_old: &Path, _new: &Path) -> Result<()> {
    Ok(())
}

fn open_read_only(path: &Path) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    configure(&conn)?;
    Ok(conn)
}

/// `path` with `suffix` appended to its file name.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |e| match e.kind() {
        std::io::ErrorKind::StorageFull => StoreError::Full(format!("{}: {e}", path.display())),
        _ => StoreError::Other(format!("{}: {e}", path.display())),
    }
}

fn sync_file(path: &Path) -> Result<()> {
    std::fs::File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(io_err(path))
}

/// Make a rename durable; best effort (not every platform can open a directory).
fn sync_dir(path: &Path) {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && let Ok(f) = std::fs::File::open(dir)
    {
        let _ = f.sync_all();
    }
}
