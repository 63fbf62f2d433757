//! Staff accounts, their sessions and device tokens. Tokens are stored only as hashes.

use rusqlite::{Connection, OptionalExtension, params};

use super::Result;

/// A staff account.
#[derive(Debug, Clone)]
pub struct UserRow {
    pub username: String,
    pub name: String,
    pub role: String,
    pub password_hash: String,
    pub disabled: bool,
    /// Allowed windows, e.g. `1-11,20` (none: any).
    pub scope_windows: Option<String>,
    /// Allowed departments, e.g. `gaj,mzj` (none: any).
    pub scope_departments: Option<String>,
}

/// A registered device.
#[derive(Debug, Clone)]
pub struct DeviceRow {
    pub id: String,
    pub kind: String,
    pub revoked: bool,
    /// The window an evaluator belongs to.
    pub window: Option<u32>,
}

/// Who a live session belongs to.
#[derive(Debug, Clone)]
pub struct SessionPrincipal {
    pub username: String,
    pub name: String,
    pub role: String,
    /// When the session ends, unix ms on the hall clock.
    pub expires_ms: i64,
    pub scope_windows: Option<String>,
    pub scope_departments: Option<String>,
}

/// Writes to the auth tables.
pub struct Auth<'c> {
    pub(super) conn: &'c mut Connection,
}

impl Auth<'_> {
    /// Add a user; `Ok(false)` when the name is taken.
    pub fn add_user(
        &mut self,
        username: &str,
        name: &str,
        role: &str,
        password_hash: &str,
        now_ms: i64,
    ) -> Result<bool> {
        let n = self.conn.execute(
            "INSERT INTO users(username, name, role, password_hash, created_ms) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(username) DO NOTHING",
            params![username, name, role, password_hash, now_ms],
        )?;
        Ok(n == 1)
    }

    pub fn users(&mut self) -> Result<Vec<UserRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT username, name, role, password_hash, disabled, scope_windows, scope_departments FROM users ORDER BY username",
        )?;
        let rows = stmt
            .query_map([], user_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Add a device with its token hash; `Ok(false)` when the id is taken.
    pub fn add_device(
        &mut self,
        id: &str,
        kind: &str,
        window: Option<u32>,
        token_hash: &str,
        now_ms: i64,
    ) -> Result<bool> {
        let n = self.conn.execute(
            "INSERT INTO devices(id, kind, window, token_hash, created_ms) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(id) DO NOTHING",
            params![id, kind, window, token_hash, now_ms],
        )?;
        Ok(n == 1)
    }

    pub fn devices(&mut self) -> Result<Vec<DeviceRow>> {
        devices(self.conn)
    }

    /// Limit an account to some windows and departments (empty strings: no limit).
    pub fn set_scope(&mut self, username: &str, windows: &str, departments: &str) -> Result<bool> {
        let n = self.conn.execute(
            "UPDATE users SET scope_windows = NULLIF(?2, ''), scope_departments = NULLIF(?3, '') WHERE username = ?1",
            params![username, windows, departments],
        )?;
        Ok(n == 1)
    }

    /// Disable or enable an account; disabling also ends its sessions. `false`: no such user.
    pub fn set_disabled(&mut self, username: &str, disabled: bool) -> Result<bool> {
        let tx = self.conn.transaction()?;
        let n = tx.execute(
            "UPDATE users SET disabled = ?2 WHERE username = ?1",
            params![username, i64::from(disabled)],
        )?;
        if disabled {
            tx.execute("DELETE FROM sessions WHERE username = ?1", [username])?;
        }
        tx.commit()?;
        Ok(n == 1)
    }

    /// Set a new password hash and end the account's sessions. `false`: no such user.
    pub fn set_password(&mut self, username: &str, password_hash: &str) -> Result<bool> {
        let tx = self.conn.transaction()?;
        let n = tx.execute(
            "UPDATE users SET password_hash = ?2 WHERE username = ?1",
            params![username, password_hash],
        )?;
        tx.execute("DELETE FROM sessions WHERE username = ?1", [username])?;
        tx.commit()?;
        Ok(n == 1)
    }

    /// Revoke a device's token for good. `false`: no such device.
    pub fn revoke_device(&mut self, id: &str) -> Result<bool> {
        let n = self
            .conn
            .execute("UPDATE devices SET revoked = 1 WHERE id = ?1", [id])?;
        Ok(n == 1)
    }

    pub fn create_session(
        &mut self,
        token_hash: &str,
        username: &str,
        now_ms: i64,
        expires_ms: i64,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM sessions WHERE expires_ms <= ?1", [now_ms])?;
        tx.execute(
            "INSERT INTO sessions(token_hash, username, created_ms, expires_ms) VALUES (?1, ?2, ?3, ?4)",
            params![token_hash, username, now_ms, expires_ms],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// End a session; false when there was none with this token.
    pub fn delete_session(&mut self, token_hash: &str) -> Result<bool> {
        let n = self
            .conn
            .execute("DELETE FROM sessions WHERE token_hash = ?1", [token_hash])?;
        Ok(n > 0)
    }
}

fn user_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<UserRow> {
    Ok(UserRow {
        username: r.get(0)?,
        name: r.get(1)?,
        role: r.get(2)?,
        password_hash: r.get(3)?,
        disabled: r.get::<_, i64>(4)? != 0,
        scope_windows: r.get(5)?,
        scope_departments: r.get(6)?,
    })
}

pub fn user(c: &Connection, username: &str) -> Result<Option<UserRow>> {
    Ok(c.prepare_cached(
        "SELECT username, name, role, password_hash, disabled, scope_windows, scope_departments FROM users WHERE username = ?1",
    )?
    .query_row([username], user_row)
    .optional()?)
}

pub fn session(c: &Connection, token_hash: &str, now_ms: i64) -> Result<Option<SessionPrincipal>> {
    Ok(c.prepare_cached(
        "SELECT u.username, u.name, u.role, s.expires_ms, u.scope_windows, u.scope_departments FROM sessions s JOIN users u ON u.username = s.username
             WHERE s.token_hash = ?1 AND s.expires_ms > ?2 AND u.disabled = 0",
    )?
    .query_row(params![token_hash, now_ms], |r| {
        Ok(SessionPrincipal {
            username: r.get(0)?,
            name: r.get(1)?,
            role: r.get(2)?,
                expires_ms: r.get(3)?,
                scope_windows: r.get(4)?,
                scope_departments: r.get(5)?,
        })
    })
    .optional()?)
}

/// Every registered device, by id.
pub fn devices(c: &Connection) -> Result<Vec<DeviceRow>> {
    let mut stmt = c.prepare("SELECT id, kind, revoked, window FROM devices ORDER BY id")?;
    let rows = stmt
        .query_map([], |r| {
            Ok(DeviceRow {
                id: r.get(0)?,
                kind: r.get(1)?,
                revoked: r.get::<_, i64>(2)? != 0,
                window: r.get(3)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

pub fn device(c: &Connection, token_hash: &str) -> Result<Option<DeviceRow>> {
    Ok(c.prepare_cached(
        "SELECT id, kind, revoked, window FROM devices WHERE token_hash = ?1 AND revoked = 0",
    )?
    .query_row([token_hash], |r| {
        Ok(DeviceRow {
            id: r.get(0)?,
            kind: r.get(1)?,
            revoked: r.get::<_, i64>(2)? != 0,
            window: r.get(3)?,
        })
    })
    .optional()?)
}
