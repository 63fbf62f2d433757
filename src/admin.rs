//! Account and device administration shared by the CLI and demo set-up.

use std::fmt::Write;
use std::path::Path;

use crate::domain::{Plan, Role};
use crate::store::{DeviceRow, Store, StoreError, UserRow};

/// Usernames and device ids: 2-32 of a-z, 0-9, `.`, `_`, `-`.
pub fn valid_username(s: &str) -> bool {
    (2..=32).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
}

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// Add a staff account; `false` when the username is taken.
pub fn add_user(
    db: &Path,
    username: &str,
    name: &str,
    role: Role,
    password: &str,
) -> anyhow::Result<bool> {
    let hash = crate::auth::hash_password(password).map_err(anyhow::Error::msg)?;
    let mut store = Store::open(db)?;
    Ok(store
        .auth()
        .add_user(username, name, role.as_str(), &hash, now_ms())?)
}

/// Limit an account to the windows and departments of `scope` (unlimited: clear).
pub fn set_scope(
    db: &Path,
    username: &str,
    scope: &crate::domain::scope::Scope,
) -> Result<bool, StoreError> {
    let (w, d) = (scope.windows_text(), scope.departments_text());
    Store::open(db)?.auth().set_scope(username, &w, &d)
}

/// Disable or enable an account (disabling ends its sessions).
pub fn set_disabled(db: &Path, username: &str, disabled: bool) -> Result<bool, StoreError> {
    Store::open(db)?.auth().set_disabled(username, disabled)
}

/// Set a new password (ends the account's sessions).
pub fn reset_password(db: &Path, username: &str, password: &str) -> anyhow::Result<bool> {
    let hash = crate::auth::hash_password(password).map_err(anyhow::Error::msg)?;
    Ok(Store::open(db)?.auth().set_password(username, &hash)?)
}

/// Revoke a device's token.
pub fn revoke_device(db: &Path, id: &str) -> Result<bool, StoreError> {
    Store::open(db)?.auth().revoke_device(id)
}

pub fn users(db: &Path) -> Result<Vec<UserRow>, StoreError> {
    Store::open(db)?.auth().users()
}

/// Register a device under the hash of `token`; `false` when the id is taken.
pub fn add_device(db: &Path, id: &str, kind: &str, token: &str) -> Result<bool, StoreError> {
    add_device_at(db, id, kind, None, token)
}

/// Register a device that belongs to one window (an evaluator).
pub fn add_device_at(
    db: &Path,
    id: &str,
    kind: &str,
    window: Option<u32>,
    token: &str,
) -> Result<bool, StoreError> {
    let hash = crate::auth::token_hash(token);
    Store::open(db)?
        .auth()
        .add_device(id, kind, window, &hash, now_ms())
}

pub fn devices(db: &Path) -> Result<Vec<DeviceRow>, StoreError> {
    Store::open(db)?.auth().devices()
}

/// One demo credential, for the banner.
pub struct DemoCredential {
    pub what: String,
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
            what: format!("{} {name}", role.as_str()),
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
        ("kiosk-1", "kiosk"),
        ("display-a", "display"),
        ("evaluator-1", "evaluator"),
    ] {
        let token = format!("demo-{id}-token");
        let window = (kind == "evaluator").then_some(1);
        let created = add_device_at(db, id, kind, window, &token)?;
        out.push(DemoCredential {
            what: kind.into(),
            login: id.into(),
            secret: token,
            created,
        });
    }
    Ok(out)
}

/// What `serve --demo` prints: accounts, devices and every screen's URL.
pub fn demo_banner(base: &str, creds: &[DemoCredential], plan: &Plan) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "\n=== hallq demo: {} ===", plan.rules.name);
    let _ = writeln!(s, "Staff accounts (log in at {base}/staff/):");
    for c in creds.iter().filter(|c| c.what.starts_with(['c', 'm', 'a'])) {
        let _ = writeln!(s, "  {:<10} {:<22} password: {}", c.login, c.what, c.secret);
    }
    let _ = writeln!(s, "Device tokens (Authorization: Bearer TOKEN):");
    for c in creds
        .iter()
        .filter(|c| ["kiosk", "display", "evaluator"].contains(&c.what.as_str()))
    {
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
