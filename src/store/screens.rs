//! What the screens work added to the schema (one migration, appended to
//! `schema::MIGRATIONS`): a paused window's return time (午休，13:30恢复). Its reads and writes
//! live beside the windows' other columns in `rows.rs`.

/// Migration step.
pub const MIGRATION: &str = r#"
    ALTER TABLE windows ADD COLUMN pause_until_ms INTEGER;
"#;
