//! The key file beside the database (`hallq.db` → `hallq.key`) and the database's own file
//! permissions. The key file holds the key that seals personal data in the database and the
//! key of the ID-number hashes; neither is ever stored in the database, so a copied database
//! alone gives up no phone number and no ID number. Created 0600 at the first open; a key file
//! that others may read is refused. An older database's ID-hash key (kept in `meta` before) is
//! moved into the file, so its hashes stay valid.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use hmac::{Hmac, KeyInit, Mac};
use rusqlite::{Connection, OptionalExtension, params};
use sha2::Sha256;

use super::seal::unhex;
use super::{Result, StoreError};

/// Where the key file of the database at `db` lives.
pub fn key_path(db: &Path) -> PathBuf {
    db.with_extension("key")
}

/// The two secrets of one database.
#[derive(Clone)]
pub struct Keys {
    /// XChaCha20-Poly1305 key for sealed columns.
    pub(super) seal: [u8; 32],
    /// HMAC key of ID-number hashes (its text's bytes are the key, as it always was).
    id_hash: String,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys(..)")
    }
}

impl Keys {
    /// The key of the ID-number hashes.
    pub fn id_hash_key(&self) -> &str {
        &self.id_hash
    }

    fn fresh(id_hash: Option<String>) -> Keys {
        let mut seal = [0u8; 32];
        getrandom::fill(&mut seal).expect("the OS random source is available");
        Keys {
            seal,
            id_hash: id_hash.unwrap_or_else(crate::engine::random_hex),
        }
    }

    /// A value stored in the database that tells whether a key file is this database's key,
    /// without revealing the key.
    fn check(&self) -> String {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.seal)
            .expect("HMAC takes any key length");
        mac.update(b"hallq key check v1");
        mac.update(self.id_hash.as_bytes());
        crate::domain::hall::hex(&mac.finalize().into_bytes()[..16])
    }

    fn to_file_text(&self, db: &Path) -> String {
        let name = db.file_name().map_or_else(
            || db.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        format!(
            "# hallq key file for {name}: seals the phone numbers in it and keys its ID-number hashes.\n\
             # Keep it with every backup of {name} (a backup does not contain it: without it the\n\
             # sealed data of a restored copy cannot be read), readable only by the hallq service (0600).\n\
             seal = \"{}\"\n\
             id_hash = \"{}\"\n",
            crate::domain::hall::hex(&self.seal),
            self.id_hash
        )
    }

    fn parse(path: &Path, text: &str) -> Result<Keys> {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct File {
            seal: String,
            id_hash: String,
        }
        let bad =
            |why: String| StoreError::CannotOpen(format!("key file {}: {why}", path.display()));
        let f: File = toml::from_str(text).map_err(|e| bad(e.message().to_string()))?;
        let seal = unhex(&f.seal)
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or_else(|| bad("seal is not 64 hex digits".into()))?;
        if f.id_hash.len() < 32 {
            return Err(bad("id_hash is too short".into()));
        }
        Ok(Keys {
            seal,
            id_hash: f.id_hash,
        })
    }
}

/// Open (or, on a database that has none yet, create) the key file of `db`, check it belongs
/// to the database, and move an older database's ID-hash key out of `meta` into it.
pub(super) fn unlock(conn: &Connection, db: &Path) -> Result<Keys> {
    let path = key_path(db);
    let meta = |key: &str| -> Result<Option<String>> {
        Ok(conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    };
    let legacy = meta("id_hash_key")?;
    let check = meta("key_check")?;
    let keys = match read(&path)? {
        Some(k) => {
            if check.as_ref().is_some_and(|c| *c != k.check()) {
                return Err(StoreError::CannotOpen(format!(
                    "the key file {} is not the key of {} (it was made for another database): put back the key file kept with this database or its backup",
                    path.display(),
                    db.display()
                )));
            }
            if legacy.as_ref().is_some_and(|l| *l != k.id_hash) {
                return Err(StoreError::CannotOpen(format!(
                    "{} still carries its own ID-hash key, and the key file {} holds another: move that key file aside and start again (a new one is made with this database's key)",
                    db.display(),
                    path.display()
                )));
            }
            k
        }
        None if check.is_some() => {
            return Err(StoreError::CannotOpen(format!(
                "the key file {} is missing: the phone numbers and ID hashes in {} were sealed with it. Put back the copy kept with your backups (it is never inside the database)",
                path.display(),
                db.display()
            )));
        }
        None => create(&path, db, Keys::fresh(legacy.clone()))?,
    };
    if check.is_none() || legacy.is_some() {
        let tx = conn.unchecked_transaction()?;
        tx.execute(
            "INSERT INTO meta(key, value) VALUES ('key_check', ?1)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![keys.check()],
        )?;
        // With secure_delete on, the old key's bytes are overwritten, not just unlinked.
        tx.execute("DELETE FROM meta WHERE key = 'id_hash_key'", [])?;
        tx.commit()?;
    }
    Ok(keys)
}

/// The key file's keys, `None` when there is no file.
fn read(path: &Path) -> Result<Option<Keys>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(StoreError::CannotOpen(format!("{}: {e}", path.display())));
        }
    };
    refuse_if_shared(path)?;
    Keys::parse(path, &text).map(Some)
}

/// Write a new key file without ever replacing one (another process may have made it first:
/// then that one is the key).
fn create(path: &Path, db: &Path, keys: Keys) -> Result<Keys> {
    let io = |e: std::io::Error| StoreError::CannotOpen(format!("{}: {e}", path.display()));
    let mut partial = path.as_os_str().to_owned();
    partial.push(format!(".new-{}", std::process::id()));
    let partial = PathBuf::from(partial);
    let written = (|| {
        let mut f = private_options().create_new(true).open(&partial)?;
        f.write_all(keys.to_file_text(db).as_bytes())?;
        f.sync_all()
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&partial);
        return Err(io(e));
    }
    let linked = std::fs::hard_link(&partial, path);
    let _ = std::fs::remove_file(&partial);
    match linked {
        Ok(()) => {
            sync_dir(path);
            tracing::warn!(file = %path.display(), "created the key file that seals personal data; keep it with every backup");
            Ok(keys)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read(path)?.ok_or_else(|| io(e)),
        Err(e) => Err(io(e)),
    }
}

fn sync_dir(path: &Path) {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && let Ok(f) = std::fs::File::open(dir)
    {
        let _ = f.sync_all();
    }
}

/// Options that create a file only its owner may read (0600).
fn private_options() -> std::fs::OpenOptions {
    let mut o = std::fs::OpenOptions::new();
    o.write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    o
}

/// A key file that the group or others may read could already be copied: refuse it, as ssh
/// refuses such a private key, and say how to fix it.
#[cfg(unix)]
fn refuse_if_shared(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map_err(|e| StoreError::CannotOpen(format!("{}: {e}", path.display())))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(StoreError::CannotOpen(format!(
            "the key file {} may be read by others (mode {:04o}); it must be readable by the hallq service alone: chmod 600 {}",
            path.display(),
            mode & 0o7777,
            path.display()
        )));
    }
    Ok(())
}

#[cfg(not(unix))]
fn refuse_if_shared(_path: &Path) -> Result<()> {
    Ok(())
}

/// Create the database file 0600 before SQLite does (its WAL and shared-memory files take the
/// database's mode), and take group and other access away from database files made earlier.
pub(super) fn private_database(db: &Path) -> Result<()> {
    if !db.exists() {
        match private_options().create_new(true).open(db) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(StoreError::CannotOpen(format!("{}: {e}", db.display()))),
        }
    }
    for suffix in ["", "-wal", "-shm"] {
        let mut p = db.as_os_str().to_owned();
        p.push(suffix);
        make_private(Path::new(&p))?;
    }
    Ok(())
}

/// Take group and other access away from `path` (when it exists).
#[cfg(unix)]
pub(super) fn make_private(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(());
    };
    let mode = meta.permissions().mode();
    if mode & 0o077 != 0 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & 0o700))
            .map_err(|e| StoreError::CannotOpen(format!("{}: {e}", path.display())))?;
        tracing::info!(file = %path.display(), from = format!("{:04o}", mode & 0o7777), "made a database file private to the hallq service");
    }
    Ok(())
}

#[cfg(not(unix))]
pub(super) fn make_private(_path: &Path) -> Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_file_round_trips_and_hex_is_strict() {
        let k = Keys::fresh(Some("ab".repeat(32)));
        let back =
            Keys::parse(Path::new("x.key"), &k.to_file_text(Path::new("x.db"))).expect("parses");
        assert_eq!(back.seal, k.seal);
        assert_eq!(back.id_hash, k.id_hash);
        assert_eq!(back.check(), k.check());
        assert_eq!(unhex("0aff"), Some(vec![10, 255]));
        assert_eq!(unhex("0g"), None);
        assert_eq!(unhex("abc"), None);
        assert!(Keys::parse(Path::new("x.key"), "seal = \"00\"\nid_hash = \"x\"").is_err());
    }

    #[cfg(unix)]
    #[test]
    fn the_key_file_is_made_0600_and_refused_once_others_may_read_it() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("dir");
        let db = dir.path().join("hallq.db");
        let conn = Connection::open(&db).expect("db");
        super::super::schema::migrate(&conn).expect("schema");
        let k = unlock(&conn, &db).expect("made");
        let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode(&key_path(&db)), 0o600);
        assert_eq!(unlock(&conn, &db).expect("again").seal, k.seal);
        std::fs::set_permissions(key_path(&db), std::fs::Permissions::from_mode(0o644))
            .expect("chmod");
        let e = unlock(&conn, &db).expect_err("refused").to_string();
        assert!(e.contains("chmod 600"), "{e}");
        std::fs::remove_file(key_path(&db)).expect("rm");
        let e = unlock(&conn, &db).expect_err("missing").to_string();
        assert!(e.contains("is missing"), "{e}");
    }
}
