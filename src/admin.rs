//! Account and device administration from the command line (`hallq user …`, `hallq device
//! …`, `serve --demo`'s set-up): the one documented writer besides a running server's engine.
//! Each change is decided by the same rules as the engine's (`domain::accounts`) and written
//! with its event in one transaction, actor `cli`; a running server sees it at once (it reads
//! accounts from the database, and numbers its own events after the CLI's).

use std::path::Path;

use crate::domain::accounts::{self, AccountCommand, AccountReply, DeviceFacts, UserFacts};
use crate::domain::event::rfc3339;
use crate::domain::scope::Scope;
use crate::domain::{Actor, DeviceKind, DomainError, Plan, Role};
use crate::store::{Store, StoreError, UserRow};

/// Usernames and device ids: 2-32 of a-z, 0-9, `.`, `_`, `-`.
pub fn valid_username(s: &str) -> bool {
    accounts::valid_login(s)
}

/// Decide `cmd` as the CLI and write it with its events; a refusal comes back as the
/// domain's error, with nothing written.
fn record(db: &Path, cmd: AccountCommand) -> anyhow::Result<Result<AccountReply, DomainError>> {
    let mut store = Store::open(db)?;
    let now = jiff::Timestamp::now();
    // The CLI has no hall config at hand: the machine's zone is the hall's.
    let at = rfc3339(now, &jiff::tz::TimeZone::system());
    let key = cmd.clone();
    let out = store.write_account(
        key.subject(),
        &Actor::Cli.label(),
        (&at, now.as_millisecond()),
        move |facts| {
            accounts::decide(&Actor::Cli, cmd, facts, Vec::new(), now.as_millisecond())
                .map(|d| (d.reply, d.events, d.changes))
        },
    )?;
    Ok(out)
}

/// `Ok(false)` for the refusals a CLI user expects (taken, unknown); other refusals are errors.
fn done(r: Result<AccountReply, DomainError>) -> anyhow::Result<bool> {
    match r {
        Ok(_) => Ok(true),
        Err(
            DomainError::UserExists(_)
            | DomainError::UnknownUser(_)
            | DomainError::DeviceExists(_)
            | DomainError::UnknownDevice(_),
        ) => Ok(false),
        Err(e) => Err(anyhow::anyhow!("{e}")),
    }
}

/// Add a staff account; `false` when the username is taken.
pub fn add_user(
    db: &Path,
    username: &str,
    name: &str,
    role: Role,
    password: &str,
) -> anyhow::Result<bool> {
    let password_hash = crate::auth::hash_password(password).map_err(anyhow::Error::msg)?;
    done(record(
        db,
        AccountCommand::AddUser {
            username: username.into(),
            name: name.into(),
            role,
            password_hash,
            windows: String::new(),
            departments: String::new(),
        },
    )?)
}

/// Limit an account to the windows and departments of `scope` (unlimited: clear).
pub fn set_scope(db: &Path, username: &str, scope: &Scope) -> anyhow::Result<bool> {
    done(record(
        db,
        AccountCommand::SetScope {
            username: username.into(),
            windows: scope.windows_text(),
            departments: scope.departments_text(),
        },
    )?)
}

/// Disable or enable an account (disabling ends its sessions).
pub fn set_disabled(db: &Path, username: &str, disabled: bool) -> anyhow::Result<bool> {
    done(record(
        db,
        AccountCommand::SetDisabled {
            username: username.into(),
            disabled,
        },
    )?)
}

/// Set a new password (ends the account's sessions).
pub fn reset_password(db: &Path, username: &str, password: &str) -> anyhow::Result<bool> {
    let password_hash = crate::auth::hash_password(password).map_err(anyhow::Error::msg)?;
    done(record(
        db,
        AccountCommand::ResetPassword {
            username: username.into(),
            password_hash,
        },
    )?)
}

/// Revoke a device's token.
pub fn revoke_device(db: &Path, id: &str) -> anyhow::Result<bool> {
    done(record(db, AccountCommand::RevokeDevice { id: id.into() })?)
}

/// Every staff account.
pub fn users(db: &Path) -> Result<Vec<UserFacts>, StoreError> {
    Ok(Store::open(db)?
        .auth()
        .users()?
        .into_iter()
        .map(|r: UserRow| r.user)
        .collect())
}

/// Register a device under the hash of `token`; `false` when the id is taken. `kind` is a
/// wire name (`kiosk`, `display`, `evaluator`, `integrator`), parsed here.
pub fn add_device(db: &Path, id: &str, kind: &str, token: &str) -> anyhow::Result<bool> {
    let kind =
        DeviceKind::parse(kind).ok_or_else(|| anyhow::anyhow!("unknown device kind {kind:?}"))?;
    add_device_at(db, id, kind, None, token)
}

/// Register a device that may belong to one window (an evaluator must).
pub fn add_device_at(
    db: &Path,
    id: &str,
    kind: DeviceKind,
    window: Option<u32>,
    token: &str,
) -> anyhow::Result<bool> {
    done(record(
        db,
        AccountCommand::RegisterDevice {
            id: id.into(),
            kind,
            window,
            token_hash: crate::auth::token_hash(token),
        },
    )?)
}

pub fn devices(db: &Path) -> Result<Vec<DeviceFacts>, StoreError> {
    Store::open(db)?.auth().devices()
}

/// One demo credential, for the banner.
pub struct DemoCredential {
    /// The role of an account, or the kind of a device.
    pub what: String,
    pub device: bool,
    pub login: String,
    pub secret: String,
    pub created: bool,
}

/// The shared demo password. Demo databases only.
pub const DEMO_PASSWORD: &str = "hallq-demo";

/// Create (if absent) the demo accounts and devices; returns them for printing.
pub fn ensure_demo(db: &Path) -> anyhow::Result<Vec<DemoCredential>> {
    let users: &[(&str, &str, Role)] = &[
        ("admin", "系统管理员", Role::Admin),
        ("manager", "王主任", Role::Manager),
        ("clerk1", "李红", Role::Clerk),
        ("clerk2", "张伟", Role::Clerk),
        ("clerk3", "刘洋", Role::Clerk),
    ];
    let mut out = Vec::new();
    for (username, name, role) in users {
        let created = add_user(db, username, name, *role, DEMO_PASSWORD)?;
        out.push(DemoCredential {
            what: format!("{role} {name}"),
            device: false,
            login: (*username).into(),
            secret: if created {
                DEMO_PASSWORD.into()
            } else {
                "(exists; password unchanged)".into()
            },
            created,
        });
    }
    // Demo device tokens are fixed so the printed URLs keep working across restarts.
    for (id, kind) in [
        ("kiosk-1", DeviceKind::Kiosk),
        ("display-a", DeviceKind::Display),
        ("evaluator-1", DeviceKind::Evaluator),
    ] {
        let token = format!("demo-{id}-token");
        let window = kind.needs_window().then_some(1);
        let created = add_device_at(db, id, kind, window, &token)?;
        out.push(DemoCredential {
            what: kind.to_string(),
            device: true,
            login: id.into(),
            secret: token,
            created,
        });
    }
    Ok(out)
}

/// What `serve --demo` prints: accounts, devices and every screen's URL.
pub fn demo_banner(base: &str, creds: &[DemoCredential], plan: &Plan) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(s, "\n=== hallq demo: {} ===", plan.rules.name);
    let _ = writeln!(s, "Staff accounts (log in at {base}/staff/):");
    for c in creds.iter().filter(|c| !c.device) {
        let _ = writeln!(s, "  {:<10} {:<22} password: {}", c.login, c.what, c.secret);
    }
    let _ = writeln!(s, "Device tokens (Authorization: Bearer TOKEN):");
    for c in creds.iter().filter(|c| c.device) {
        let _ = writeln!(s, "  {:<12} {:<10} {}", c.login, c.what, c.secret);
    }
    let _ = writeln!(s, "Screens:");
    let _ = writeln!(s, "  kiosk         {base}/kiosk/?device=demo-kiosk-1-token");
    for z in &plan.zones {
        let _ = writeln!(
            s,
            "  hall screen   {base}/display/?zone={}   ({})",
            z.id, z.name
        );
    }
    let _ = writeln!(
        s,
        "  window screen {base}/display/window.html?n=1   (n = 1..{})",
        plan.windows.len()
    );
    let _ = writeln!(
        s,
        "  evaluator     {base}/display/window.html?n=1&evaluator=1&device=demo-evaluator-1-token"
    );
    let _ = writeln!(s, "  clerk console {base}/staff/");
    let _ = writeln!(
        s,
        "  managers      {base}/staff/floor  {base}/staff/reports  {base}/staff/appraisal  {base}/staff/quality"
    );
    let _ = writeln!(s, "  admins        {base}/staff/admin");
    let _ = writeln!(
        s,
        "  phone page    {base}/t/{{token}}   (the QR code on each slip)"
    );
    let _ = writeln!(
        s,
        "API: {base}/api/v1/hall   OpenAPI: {base}/api/openapi.json   Events: ws://{}/api/v1/events",
        base.trim_start_matches("http://")
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert!(valid_username("clerk1"));
        assert!(valid_username("kiosk-1"));
        assert!(!valid_username("a"));
        assert!(!valid_username("Clerk"));
        assert!(!valid_username("李红"));
    }
}
