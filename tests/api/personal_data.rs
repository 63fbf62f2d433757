//! Personal data at rest, written as the review's attacks: a copied database gives up no phone
//! number and no ID-hash key (both sit in a 0600 key file beside it, never inside); the
//! database, WAL and key files are private; a key file others can read stops the server; an
//! older database is sealed at its first start and its ID-hash key moved out; a restored backup
//! needs the key kept with it.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde_json::json;

use crate::cli::run;
use crate::helpers::*;

const PHONE: &str = "13800138000";

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .permissions()
        .mode()
        & 0o777
}

fn with_suffix(p: &Path, suffix: &str) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Every byte the database keeps on disk: the file and its WAL.
fn disk_bytes(db: &Path) -> Vec<u8> {
    let mut b = std::fs::read(db).expect("db");
    b.extend(std::fs::read(with_suffix(db, "-wal")).unwrap_or_default());
    b
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

fn sql<T: rusqlite::types::FromSql>(db: &Path, q: &str) -> T {
    rusqlite::Connection::open(db)
        .expect("db")
        .query_row(q, [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{q}: {e}"))
}

/// The phone the store gives back for ticket `id` (what the engine restores at start), read
/// with the key file beside `db`.
fn restored_phone(db: &Path, id: i64) -> Option<String> {
    let day: String = sql(
        db,
        &format!("SELECT service_day FROM tickets WHERE id = {id}"),
    );
    let day: jiff::civil::Date = day.parse().expect("day");
    let store = hallq::store::Store::open(db).expect("opens with its key file");
    store
        .restore(day, day)
        .expect("restore")
        .tickets
        .into_iter()
        .find(|t| t.id.0 == id)
        .expect("the ticket")
        .phone
}

fn utf8(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[tokio::test]
async fn a_copied_database_gives_up_no_phone_number_and_no_id_hash_key() {
    let dir = tempfile::tempdir().expect("dir");
    let hall = TestHall::spawn_on(dir.path()).await;
    let t = hall
        .issue_with(json!({"queue": "qydj", "phone": PHONE, "id_number": id_number(7)}))
        .await;
    let db = hall.db.clone();
    let key = hallq::store::keys::key_path(&db);
    // While the server runs: database, WAL, shared memory and key file are the service's alone.
    for f in [
        db.clone(),
        with_suffix(&db, "-wal"),
        with_suffix(&db, "-shm"),
        key.clone(),
    ] {
        assert_eq!(mode(&f), 0o600, "{}", f.display());
    }
    let bytes = disk_bytes(&db);
    assert!(!contains(&bytes, PHONE), "no phone number in clear on disk");
    assert!(!contains(&bytes, &id_number(7)), "no ID number on disk");
    let stored: String = sql(&db, "SELECT phone FROM tickets WHERE phone IS NOT NULL");
    assert!(stored.starts_with("s1:"), "{stored}");
    let in_meta: i64 = sql(&db, "SELECT COUNT(*) FROM meta WHERE key = 'id_hash_key'");
    assert_eq!(in_meta, 0, "the ID-hash key is not in the database");
    let key_text = std::fs::read_to_string(&key).expect("key file");
    assert!(
        key_text.contains("id_hash = ") && key_text.contains("seal = "),
        "{key_text}"
    );
    hall.stop().await;

    // With the key file the hall gets the number back; without it nothing opens.
    let id = t["id"].as_i64().expect("id");
    assert_eq!(restored_phone(&db, id).as_deref(), Some(PHONE));
    let aside = dir.path().join("elsewhere.txt");
    std::fs::rename(&key, &aside).expect("move the key away");
    let e = hallq::store::Store::open(&db)
        .err()
        .expect("refused without its key")
        .to_string();
    assert!(e.contains("is missing") && e.contains("hallq.key"), "{e}");
    std::fs::rename(&aside, &key).expect("key back");
}

#[test]
fn a_key_file_others_can_read_stops_the_server_with_the_fix_in_words() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("hallq.db");
    drop(hallq::store::Store::open(&db).expect("a new database and its key"));
    let key = hallq::store::keys::key_path(&db);
    assert_eq!(mode(&key), 0o600, "created private");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/config/hall.toml");
    let (code, out, err) = run(&[
        "serve",
        "--config",
        config,
        "--db",
        utf8(&db),
        "--listen",
        "127.0.0.1:0",
    ]);
    assert_ne!(code, 0, "{out}");
    assert!(
        err.contains(&format!("chmod 600 {}", key.display())),
        "the message says how to fix it: {err}"
    );
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    drop(hallq::store::Store::open(&db).expect("opens once private"));
}

#[tokio::test]
async fn an_older_database_is_sealed_made_private_and_its_id_key_moved_out_at_first_start() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("hallq.db");
    // The last release before sealing: phones in clear, the ID-hash key in `meta`, mode 0644.
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/schema-v8.db"),
        &db,
    )
    .expect("fixture");
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let old_key = "5e".repeat(32);
    let c = rusqlite::Connection::open(&db).expect("db");
    c.execute_batch(&format!(
        "UPDATE tickets SET phone = '{PHONE}' WHERE id = 1;
         DELETE FROM meta WHERE key = 'key_check';
         INSERT OR REPLACE INTO meta(key, value) VALUES ('id_hash_key', '{old_key}');"
    ))
    .expect("a phone stored in clear, the ID-hash key in the database");
    drop(c);
    assert!(
        contains(&disk_bytes(&db), PHONE),
        "the old file holds it in clear"
    );

    let hall = TestHall::spawn_in(dir.path(), &shipped_config()).await;
    hall.stop().await;

    let stored: String = sql(&db, "SELECT phone FROM tickets WHERE id = 1");
    assert!(stored.starts_with("s1:"), "sealed by the upgrade: {stored}");
    assert!(
        !contains(&disk_bytes(&db), PHONE),
        "no plaintext left behind in the database's pages or its WAL"
    );
    assert_eq!(restored_phone(&db, 1).as_deref(), Some(PHONE));
    let in_meta: i64 = sql(&db, "SELECT COUNT(*) FROM meta WHERE key = 'id_hash_key'");
    assert_eq!(in_meta, 0, "the ID-hash key left the database");
    let key = hallq::store::keys::key_path(&db);
    let key_text = std::fs::read_to_string(&key).expect("key file");
    assert!(
        key_text.contains(&format!("id_hash = \"{old_key}\"")),
        "the old ID hashes still match: the key file holds the database's own ID-hash key"
    );
    assert_eq!(mode(&db), 0o600, "made private");
    assert_eq!(mode(&key), 0o600);
    // The copy taken before the upgrade is as private as the database it copies.
    let copies: Vec<PathBuf> = std::fs::read_dir(dir.path().join("backups"))
        .expect("backups")
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(copies.len(), 1, "{copies:?}");
    assert_eq!(mode(&copies[0]), 0o600);
}

#[tokio::test]
async fn a_backup_restored_elsewhere_needs_the_key_kept_with_it_and_says_so() {
    let dir = tempfile::tempdir().expect("dir");
    let hall = TestHall::spawn_on(dir.path()).await;
    let t = hall
        .issue_with(json!({"queue": "qydj", "phone": PHONE}))
        .await;
    let db = hall.db.clone();
    let copy = dir.path().join("copy.db");
    let (code, out, err) = run(&["backup", "--db", utf8(&db), "--to", utf8(&copy)]);
    assert_eq!(code, 0, "{out}{err}");
    let key = hallq::store::keys::key_path(&db);
    assert!(
        out.contains(&format!(
            "keep also the key file {} with this backup",
            key.display()
        )),
        "{out}"
    );
    assert_eq!(mode(&copy), 0o600, "the copy is as private as the database");
    assert!(!contains(&std::fs::read(&copy).expect("copy"), PHONE));
    hall.stop().await;

    // Another machine: the copy restored with no key beside it.
    let other = tempfile::tempdir().expect("dir");
    let target = other.path().join("hallq.db");
    let (code, out, err) = run(&["restore", "--from", utf8(&copy), "--db", utf8(&target)]);
    assert_eq!(code, 0, "{out}{err}");
    let target_key = hallq::store::keys::key_path(&target);
    assert!(
        out.contains(&format!("no key file at {}", target_key.display())),
        "{out}"
    );
    assert_eq!(mode(&target), 0o600);
    let e = hallq::store::Store::open(&target)
        .err()
        .expect("refused without the key")
        .to_string();
    assert!(e.contains("is missing"), "{e}");
    // A key of another database is refused too, not used to seal new data.
    let stranger = tempfile::tempdir().expect("dir");
    drop(hallq::store::Store::open(&stranger.path().join("hallq.db")).expect("another hall"));
    std::fs::copy(
        hallq::store::keys::key_path(&stranger.path().join("hallq.db")),
        &target_key,
    )
    .expect("the wrong key");
    let e = hallq::store::Store::open(&target)
        .err()
        .expect("refused with a wrong key")
        .to_string();
    assert!(e.contains("not the key of"), "{e}");
    // The key kept with the backup opens it, and the phone comes back.
    std::fs::copy(&key, &target_key).expect("the right key");
    assert_eq!(
        restored_phone(&target, t["id"].as_i64().expect("id")).as_deref(),
        Some(PHONE)
    );
}
