//! Upgrade fixtures: a database as an older release held it. Takes a lived-in database of this
//! build and writes its rows into a fresh file migrated only up to `version`, keeping the
//! tables and columns that existed then. Used to make `tests/fixtures/schema-vN.db`; the
//! upgrade test then migrates each fixture forward with the real migrations.

use std::path::Path;

use rusqlite::Connection;

use super::{Result, StoreError, schema};

/// Write `out` (must not exist) at schema `version`, filled from the database at `live`.
pub fn write_at_version(live: &Path, out: &Path, version: i64) -> Result<()> {
    if out.exists() {
        return Err(StoreError::Other(format!("{} exists", out.display())));
    }
    if !(1..=schema::CURRENT).contains(&version) {
        return Err(StoreError::Other(format!("no schema version {version}")));
    }
    let conn = Connection::open(out)?;
    // Tables are copied by name, not in reference order; every row comes from a sound database.
    conn.execute_batch("PRAGMA foreign_keys = OFF")?;
    schema::migrate_to(&conn, version)?;
    let live_path = live
        .to_str()
        .ok_or_else(|| StoreError::Other("live path is not UTF-8".into()))?;
    conn.execute("ATTACH DATABASE ?1 AS live", [live_path])?;
    let tables = names(
        &conn,
        "SELECT name FROM main.sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )?;
    let tx = conn.unchecked_transaction()?;
    for table in tables {
        let old = names(
            &tx,
            &format!("SELECT name FROM pragma_table_info('{table}', 'main')"),
        )?;
        let new = names(
            &tx,
            &format!("SELECT name FROM pragma_table_info('{table}', 'live')"),
        )?;
        let cols: Vec<String> = old
            .into_iter()
            .filter(|c| new.contains(c))
            .map(|c| format!("\"{c}\""))
            .collect();
        if cols.is_empty() {
            continue;
        }
        let cols = cols.join(", ");
        tx.execute_batch(&format!(
            "INSERT INTO main.\"{table}\" ({cols}) SELECT {cols} FROM live.\"{table}\""
        ))?;
    }
    tx.commit()?;
    conn.execute_batch("DETACH DATABASE live; VACUUM;")?;
    Ok(())
}

fn names(conn: &Connection, sql: &str) -> Result<Vec<String>> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixture_keeps_only_what_its_version_had() {
        let dir = tempfile::tempdir().expect("dir");
        let live = dir.path().join("live.db");
        let mut store = crate::store::Store::open(&live).expect("open");
        store
            .auth()
            .add_user("clerk1", "李红", crate::domain::Role::Clerk, "hash", 1)
            .expect("user");
        drop(store);
        let v1 = dir.path().join("v1.db");
        write_at_version(&live, &v1, 1).expect("v1");
        let s = crate::store::backup::verify(&v1).expect("a sound database");
        assert_eq!(s.schema, 1);
        assert_eq!(s.rows("users"), 1);
        assert!(
            !s.tables.iter().any(|(t, _)| t == "ratings"),
            "no ratings table in v1"
        );
        assert!(write_at_version(&live, &v1, 1).is_err(), "never overwrites");
    }
}
