//! What the screens work added to the schema (one migration, appended to `schema::MIGRATIONS`):
//! a paused window's return time, a follow-up's appeal (申诉) awaiting a second manager, and
//! the staff cards a window screen shows (工号 and photo). The rows' reads and writes live
//! beside the tables they extend (`rows.rs`, `feedback.rs`) or in `staff_cards.rs`.

/// Migration step.
pub const MIGRATION: &str = r#"
    ALTER TABLE windows ADD COLUMN pause_until_ms INTEGER;
    ALTER TABLE follow_ups ADD COLUMN appealed_by TEXT;
    ALTER TABLE follow_ups ADD COLUMN appealed_ms INTEGER;
    CREATE TABLE staff_cards (
        username     TEXT PRIMARY KEY REFERENCES users(username),
        staff_no     TEXT,
        photo        BLOB,
        photo_type   TEXT,
        photo_etag   TEXT,
        updated_ms   INTEGER NOT NULL
    );
"#;
