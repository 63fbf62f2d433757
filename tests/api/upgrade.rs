//! Upgrades: one database fixture per released schema version (tests/fixtures/schema-vN.db),
//! each migrated by a real server start to the current schema with its data intact and a copy
//! taken first; a database from a newer hallq is refused and left alone.
//!
//! Regenerate the fixtures after adding a migration (existing ones never change):
//! `cargo test --test api -- --ignored write_upgrade_fixtures`.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::cli::run;
use crate::helpers::{EVALUATOR, PASSWORD, TestHall, shipped_config};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn fixture(version: i64) -> PathBuf {
    fixtures().join(format!("schema-v{version}.db"))
}

/// The key file that came with a fixture (from the schema that seals personal data on).
fn fixture_key(version: i64) -> PathBuf {
    fixtures().join(format!("schema-v{version}.key"))
}

/// Tables whose rows a migration must carry over one for one.
const KEPT: &[&str] = &[
    "tickets",
    "users",
    "devices",
    "ratings",
    "follow_ups",
    "counters",
    "meta",
];

#[tokio::test]
#[ignore = "writes tests/fixtures; run by hand after adding a migration"]
async fn write_upgrade_fixtures() {
    let dir = tempfile::tempdir().expect("dir");
    let hall = TestHall::spawn_on(dir.path()).await;
    let clerk = hall.login("clerk1").await;
    hall.ok(&clerk, 20, "sign-in", json!({})).await;
    let mut tickets = Vec::new();
    for _ in 0..4 {
        tickets.push(hall.issue("xf").await);
    }
    // Served and rated badly (a follow-up opens), served and rated well, a no-show, one waiting.
    for level in ["dissatisfied", "very_satisfied"] {
        let v = hall.ok(&clerk, 20, "call-next", json!({})).await;
        hall.ok(&clerk, 20, "start", json!({})).await;
        hall.ok(&clerk, 20, "finish", json!({"outcome": "done"}))
            .await;
        let mut body = json!({"ticket": v["current"]["id"], "level": level});
        if level == "dissatisfied" {
            body["reasons"] = json!(["办理时间太长"]);
        }
        let (s, r) = hall.post("/api/v1/ratings", Some(EVALUATOR), body).await;
        assert_eq!(s, 201, "{r}");
    }
    hall.ok(&clerk, 20, "call-next", json!({})).await;
    for _ in 0..3 {
        let (s, _) = hall.op(&clerk, 20, "recall", json!({})).await;
        if s != 200 {
            break;
        }
    }
    hall.ok(&clerk, 20, "no-show", json!({})).await;
    let db = hall.db.clone();
    hall.stop().await;
    let (_, plan) =
        hallq::config::Config::load(&dir.path().join("hall.toml")).expect("shipped config");
    let scope = hallq::domain::scope::Scope::parse(&plan, "20", "").expect("scope");
    hallq::admin::set_scope(&db, "clerk2", &scope).expect("scope set");

    std::fs::create_dir_all(fixtures()).expect("fixtures dir");
    let current = hallq::store::backup::current_schema();
    for v in 1..=current {
        if !fixture(v).exists() {
            hallq::store::fixture::write_at_version(&db, &fixture(v), v).expect("fixture");
            // A hall of this version keeps its key file beside the database: so does the fixture.
            let c = rusqlite::Connection::open(fixture(v)).expect("fixture");
            let sealed: bool = c
                .query_row(
                    "SELECT EXISTS(SELECT 1 FROM meta WHERE key = 'key_check')",
                    [],
                    |r| r.get(0),
                )
                .expect("meta");
            if sealed {
                std::fs::copy(hallq::store::keys::key_path(&db), fixture_key(v))
                    .expect("fixture key");
            }
        }
    }
    let manifest = json!({
        "password": PASSWORD,
        "tickets": tickets
            .iter()
            .map(|t| json!({"token": t["token"], "number": t["number"]}))
            .collect::<Vec<_>>(),
    });
    let path = fixtures().join("schema-tickets.json");
    if !path.exists() {
        std::fs::write(path, serde_json::to_string_pretty(&manifest).expect("json"))
            .expect("manifest");
    }
}

#[tokio::test]
async fn every_released_schema_migrates_to_the_current_one_with_its_data() {
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("schema-tickets.json")).expect("manifest"),
    )
    .expect("manifest json");
    let current = hallq::store::backup::current_schema();
    for v in 1..=current {
        let path = fixture(v);
        assert!(
            path.exists(),
            "no fixture for schema version {v}: cargo test --test api -- --ignored write_upgrade_fixtures"
        );
        let before = hallq::store::backup::verify(&path).expect("fixture is sound");
        assert_eq!(before.schema, v, "{}", path.display());
        assert!(before.rows("tickets") >= 4, "the fixture is lived-in");

        let dir = tempfile::tempdir().expect("dir");
        let db = dir.path().join("hallq.db");
        std::fs::copy(&path, &db).expect("copy fixture");
        if fixture_key(v).exists() {
            // Git keeps no 0600: the operator's restore step makes the key private again.
            let key = hallq::store::keys::key_path(&db);
            std::fs::copy(fixture_key(v), &key).expect("copy fixture key");
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        }
        let hall = TestHall::spawn_in(dir.path(), &shipped_config()).await;
        for t in manifest["tickets"].as_array().expect("tickets") {
            let token = t["token"].as_str().expect("token");
            let (s, got) = hall.get(&format!("/api/v1/tickets/{token}"), None).await;
            assert_eq!(s, 200, "v{v}: {got}");
            assert_eq!(got["number"], t["number"], "v{v}");
        }
        // Accounts survive: the fixture's clerk signs in with the fixture's password.
        let (s, body) = hall
            .post(
                "/api/v1/session",
                None,
                json!({"username": "clerk1", "password": manifest["password"]}),
            )
            .await;
        assert_eq!(s, 200, "v{v}: {body}");
        hall.stop().await;

        let after = hallq::store::backup::verify(&db).expect("migrated database is sound");
        assert_eq!(after.schema, current, "v{v} migrated to the current schema");
        for table in KEPT {
            assert_eq!(after.rows(table), before.rows(table), "v{v}: {table}");
        }
        assert!(
            after.rows("events") >= before.rows("events"),
            "v{v}: events"
        );
        // serve copied the old database before migrating it (and only when there was a step).
        let copies: Vec<PathBuf> = std::fs::read_dir(dir.path().join("backups"))
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        let upgrade_copies: Vec<&PathBuf> = copies
            .iter()
            .filter(|p| p.to_string_lossy().contains("before-upgrade"))
            .collect();
        if v < current {
            assert_eq!(upgrade_copies.len(), 1, "v{v}: {copies:?}");
            let copy = hallq::store::backup::verify(upgrade_copies[0]).expect("sound copy");
            assert_eq!(copy.schema, v);
            assert_eq!(copy.rows("tickets"), before.rows("tickets"));
        } else {
            assert!(upgrade_copies.is_empty(), "no copy without a migration");
        }
    }
}

#[test]
fn a_database_from_a_newer_hallq_is_refused_and_left_alone() {
    let current = hallq::store::backup::current_schema();
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("hallq.db");
    let mut bytes = std::fs::read(fixture(current)).expect("fixture");
    // The header's user_version (offset 60, big-endian) as a later release would leave it.
    let newer = u32::try_from(current + 1).expect("small");
    bytes[60..64].copy_from_slice(&newer.to_be_bytes());
    std::fs::write(&db, &bytes).expect("write");
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/config/hall.toml");
    let (code, out, err) = run(&[
        "serve",
        "--config",
        config,
        "--db",
        db.to_str().expect("utf-8"),
        "--listen",
        "127.0.0.1:0",
    ]);
    assert_ne!(code, 0, "{out}");
    assert!(
        err.contains("newer hallq") && err.contains(&format!("schema version {}", current + 1)),
        "{err}"
    );
    assert_eq!(std::fs::read(&db).expect("read"), bytes, "left alone");
    assert!(!dir.path().join("backups").exists(), "no upgrade copy");
}
