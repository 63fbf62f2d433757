//! Staff accounts, their sessions and device tokens. Tokens are stored only as hashes.
//! Rows come out typed (`Role`, `DeviceKind`): a stored value this build does not know is an
//! error, never a default. Writes are the rows of an account command (`apply`), made in the
//! engine's (or the CLI's) transaction together with the command's events.

use rusqlite::{Connection, OptionalExtension, params};

use super::{Result, StoreError};
use crate::domain::accounts::{
    AccountChange, AccountFacts, DeviceFacts, LapsedSession, Subject, UserFacts,
};
use crate::domain::{DeviceKind, Role};

/// A staff account with its password hash (what a login checks).
#[derive(Debug, Clone)]
pub struct UserRow {
    pub user: UserFacts,
    pub password_hash: String,
}

/// A registered device.
pub type DeviceRow = DeviceFacts;

/// Who a live session belongs to.
#[derive(Debug, Clone)]
pub struct SessionPrincipal {
    pub user: UserFacts,
    /// When the session ends, unix ms on the hall clock.
    pub expires_ms: i64,
}

fn role(s: &str) -> Result<Role> {
    Role::parse(s).ok_or_else(|| StoreError::Corrupt(format!("unknown stored role {s:?}")))
}

fn kind(s: &str) -> Result<DeviceKind> {
    DeviceKind::parse(s)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown stored device kind {s:?}")))
}

const USER_COLUMNS: &str =
    "u.username, u.name, u.role, u.disabled, u.scope_windows, u.scope_departments, u.password_hash";

type RawUser = (
    String,
    String,
    String,
    i64,
    Option<String>,
    Option<String>,
    String,
);

fn raw_user(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawUser> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
    ))
}

fn user_row(raw: RawUser) -> Result<UserRow> {
    let (username, name, stored_role, disabled, windows, departments, password_hash) = raw;
    Ok(UserRow {
        user: UserFacts {
            username,
            name,
            role: role(&stored_role)?,
            disabled: disabled != 0,
            windows,
            departments,
        },
        password_hash,
    })
}

type RawDevice = (String, String, i64, Option<u32>);

fn raw_device(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawDevice> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
}

fn device_row((id, stored_kind, revoked, window): RawDevice) -> Result<DeviceRow> {
    Ok(DeviceFacts {
        id,
        kind: kind(&stored_kind)?,
        revoked: revoked != 0,
        window,
    })
}

/// Every staff account, by username.
pub fn users(c: &Connection) -> Result<Vec<UserRow>> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {USER_COLUMNS} FROM users u ORDER BY u.username"
    ))?;
    let raw = stmt
        .query_map([], raw_user)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    raw.into_iter().map(user_row).collect()
}

/// One account by username.
pub fn user(c: &Connection, username: &str) -> Result<Option<UserRow>> {
    c.prepare_cached(&format!(
        "SELECT {USER_COLUMNS} FROM users u WHERE u.username = ?1"
    ))?
    .query_row([username], raw_user)
    .optional()?
    .map(user_row)
    .transpose()
}

/// The account behind a session token hash, if the session is live at `now_ms`.
pub fn session(c: &Connection, token_hash: &str, now_ms: i64) -> Result<Option<SessionPrincipal>> {
    let found = c
        .prepare_cached(&format!(
            "SELECT {USER_COLUMNS}, s.expires_ms FROM sessions s JOIN users u ON u.username = s.username
             WHERE s.token_hash = ?1 AND s.expires_ms > ?2 AND u.disabled = 0"
        ))?
        .query_row(params![token_hash, now_ms], |r| {
            Ok((raw_user(r)?, r.get::<_, i64>(7)?))
        })
        .optional()?;
    found
        .map(|(raw, expires_ms)| {
            Ok(SessionPrincipal {
                user: user_row(raw)?.user,
                expires_ms,
            })
        })
        .transpose()
}

/// The sessions whose end has come by `now_ms` (the same line `session` draws), oldest end
/// first: what the writer's sweep removes.
pub fn lapsed_sessions(c: &Connection, now_ms: i64) -> Result<Vec<LapsedSession>> {
    let mut stmt = c.prepare_cached(
        "SELECT token_hash, username, expires_ms FROM sessions WHERE expires_ms <= ?1
         ORDER BY expires_ms, token_hash",
    )?;
    let rows = stmt
        .query_map([now_ms], |r| {
            Ok(LapsedSession {
                token_hash: r.get(0)?,
                username: r.get(1)?,
                expires_ms: r.get(2)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Every registered device, by id.
pub fn devices(c: &Connection) -> Result<Vec<DeviceRow>> {
    let mut stmt = c.prepare_cached("SELECT id, kind, revoked, window FROM devices ORDER BY id")?;
    let raw = stmt
        .query_map([], raw_device)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    raw.into_iter().map(device_row).collect()
}

/// The device behind a token hash, if not revoked.
pub fn device(c: &Connection, token_hash: &str) -> Result<Option<DeviceRow>> {
    c.prepare_cached(
        "SELECT id, kind, revoked, window FROM devices WHERE token_hash = ?1 AND revoked = 0",
    )?
    .query_row([token_hash], raw_device)
    .optional()?
    .map(device_row)
    .transpose()
}

fn device_by_id(c: &Connection, id: &str) -> Result<Option<DeviceRow>> {
    c.prepare_cached("SELECT id, kind, revoked, window FROM devices WHERE id = ?1")?
        .query_row([id], raw_device)
        .optional()?
        .map(device_row)
        .transpose()
}

/// The stored row an account command is about.
pub fn facts(c: &Connection, subject: Subject<'_>) -> Result<AccountFacts> {
    Ok(match subject {
        Subject::User(username) => AccountFacts {
            user: user(c, username)?.map(|u| u.user),
            ..AccountFacts::default()
        },
        Subject::StaffNo { username, staff_no } => AccountFacts {
            user: user(c, username)?.map(|u| u.user),
            staff_no_holder: super::staff_cards::holder_of(c, staff_no, username)?,
            ..AccountFacts::default()
        },
        Subject::Device(id) => AccountFacts {
            device: device_by_id(c, id)?,
            ..AccountFacts::default()
        },
        Subject::Session(token_hash) => AccountFacts {
            session_user: c
                .prepare_cached("SELECT username FROM sessions WHERE token_hash = ?1")?
                .query_row([token_hash], |r| r.get(0))
                .optional()?,
            ..AccountFacts::default()
        },
    })
}

/// Write one decided row change (inside the caller's transaction).
pub fn apply(c: &Connection, change: &AccountChange) -> Result<()> {
    match change {
        AccountChange::InsertUser {
            user: u,
            password_hash,
            created_ms,
        } => {
            c.prepare_cached(
                "INSERT INTO users(username, name, role, password_hash, disabled, created_ms, scope_windows, scope_departments)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                u.username,
                u.name,
                u.role.to_string(),
                password_hash,
                i64::from(u.disabled),
                created_ms,
                u.windows,
                u.departments
            ])?;
        }
        AccountChange::UpdateUser(u) => {
            c.prepare_cached(
                "UPDATE users SET name = ?2, role = ?3, disabled = ?4, scope_windows = ?5, scope_departments = ?6
                 WHERE username = ?1",
            )?
            .execute(params![
                u.username,
                u.name,
                u.role.to_string(),
                i64::from(u.disabled),
                u.windows,
                u.departments
            ])?;
        }
        AccountChange::SetPassword {
            username,
            password_hash,
        } => {
            c.prepare_cached("UPDATE users SET password_hash = ?2 WHERE username = ?1")?
                .execute(params![username, password_hash])?;
        }
        AccountChange::SetStaffNo { username, staff_no } => {
            super::staff_cards::set_staff_no(c, username, staff_no.as_deref())?;
        }
        AccountChange::SetPhoto { username, photo } => {
            super::staff_cards::set_photo(c, username, photo.as_deref())?;
        }
        AccountChange::EndSessions { username } => {
            c.prepare_cached("DELETE FROM sessions WHERE username = ?1")?
                .execute([username])?;
        }
        AccountChange::InsertDevice {
            device: d,
            token_hash,
            created_ms,
        } => {
            c.prepare_cached(
                "INSERT INTO devices(id, kind, window, token_hash, revoked, created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                d.id,
                d.kind.to_string(),
                d.window,
                token_hash,
                i64::from(d.revoked),
                created_ms
            ])?;
        }
        AccountChange::RevokeDevice { id } => {
            c.prepare_cached("UPDATE devices SET revoked = 1 WHERE id = ?1")?
                .execute([id])?;
        }
        AccountChange::SetDeviceToken { id, token_hash } => {
            c.prepare_cached("UPDATE devices SET token_hash = ?2 WHERE id = ?1")?
                .execute(params![id, token_hash])?;
        }
        AccountChange::InsertSession {
            token_hash,
            username,
            created_ms,
            expires_ms,
        } => {
            c.prepare_cached(
                "INSERT INTO sessions(token_hash, username, created_ms, expires_ms) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![token_hash, username, created_ms, expires_ms])?;
        }
        AccountChange::DeleteSession { token_hash } => {
            c.prepare_cached("DELETE FROM sessions WHERE token_hash = ?1")?
                .execute([token_hash])?;
        }
    }
    Ok(())
}

/// Raw writes to the auth tables, without events: the simulator's own accounts and test
/// fixtures only. Everything a hall's staff do goes through `apply` with its events.
pub struct Auth<'c> {
    pub(super) conn: &'c mut Connection,
}

impl Auth<'_> {
    /// Add a user; `Ok(false)` when the name is taken.
    pub fn add_user(
        &mut self,
        username: &str,
        name: &str,
        role: Role,
        password_hash: &str,
        now_ms: i64,
    ) -> Result<bool> {
        let n = self.conn.execute(
            "INSERT INTO users(username, name, role, password_hash, created_ms) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(username) DO NOTHING",
            params![username, name, role.to_string(), password_hash, now_ms],
        )?;
        Ok(n == 1)
    }

    pub fn users(&mut self) -> Result<Vec<UserRow>> {
        users(self.conn)
    }

    pub fn devices(&mut self) -> Result<Vec<DeviceRow>> {
        devices(self.conn)
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
        apply(
            self.conn,
            &AccountChange::InsertSession {
                token_hash: token_hash.into(),
                username: username.into(),
                created_ms: now_ms,
                expires_ms,
            },
        )
    }
}
