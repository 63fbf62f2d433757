//! What the session and admin routes ask of the accounts, one call each. The slow Argon2 work
//! (checking a password, hashing a new one) runs first on the small password pool, never on a
//! tokio worker or the writer; then one engine command records the change with its events, so
//! the audit trail says who did what. Reads come from the read-only store. No status codes.

use std::sync::Arc;

use super::guard::PasswordChecker;
use crate::domain::accounts::{AccountCommand, AccountReply, DeviceFacts, UserFacts};
use crate::domain::{Actor, DeviceKind, DomainError, Role};
use crate::engine::{EngineError, EngineHandle};
use crate::store::{Reader, StoreError};

/// The account service: cheap to clone.
#[derive(Clone)]
pub struct Accounts {
    engine: EngineHandle,
    reader: Reader,
    passwords: Arc<PasswordChecker>,
}

/// A session just opened: its bearer token (shown once) and whose it is.
pub struct LoggedIn {
    pub token: String,
    pub user: UserFacts,
}

/// A new staff account as an admin types it (password in the clear, hashed here).
pub struct NewUser {
    pub username: String,
    pub name: String,
    pub role: Role,
    pub password: String,
    pub windows: String,
    pub departments: String,
}

fn internal(e: impl std::fmt::Display) -> EngineError {
    EngineError::Store(StoreError::Other(e.to_string()))
}

impl Accounts {
    pub fn new(engine: EngineHandle, reader: Reader, passwords: Arc<PasswordChecker>) -> Self {
        Accounts {
            engine,
            reader,
            passwords,
        }
    }

    /// Check the password, then open a session lasting `lasts_ms` on the hall clock. A wrong
    /// password, an unknown name and a disabled account are all `Unauthenticated`.
    pub async fn log_in(
        &self,
        username: &str,
        password: &str,
        lasts_ms: i64,
    ) -> Result<LoggedIn, EngineError> {
        let reader = self.reader.clone();
        let name = username.to_string();
        let found = tokio::task::spawn_blocking(move || reader.user(&name))
            .await
            .map_err(internal)??;
        let phc = found.as_ref().map(|u| u.password_hash.as_str());
        let right = self.passwords.verify(password, phc).await;
        let Some(row) = found.filter(|_| right) else {
            return Err(DomainError::Unauthenticated.into());
        };
        let token = crate::auth::new_token();
        let now = self.engine.clock().now().as_millisecond();
        let user = row.user;
        let actor = Actor::Staff {
            username: user.username.clone(),
            name: user.name.clone(),
            role: user.role,
        };
        let cmd = AccountCommand::LogIn {
            username: user.username,
            token_hash: crate::auth::token_hash(&token),
            expires_ms: now.saturating_add(lasts_ms),
        };
        match self.engine.account(actor, cmd).await? {
            AccountReply::LoggedIn(user) => Ok(LoggedIn { token, user }),
            other => Err(internal(format!("a login answered {other:?}"))),
        }
    }

    /// End the session of `token` (its owner is the actor).
    pub async fn log_out(&self, actor: Actor, token: &str) -> Result<(), EngineError> {
        let token_hash = crate::auth::token_hash(token);
        self.engine
            .account(actor, AccountCommand::LogOut { token_hash })
            .await
            .map(|_| ())
    }

    /// Hash the password, then add the account.
    pub async fn add_user(&self, actor: Actor, u: NewUser) -> Result<UserFacts, EngineError> {
        let password_hash = self.passwords.hash(&u.password).await.map_err(internal)?;
        let cmd = AccountCommand::AddUser {
            username: u.username,
            name: u.name,
            role: u.role,
            password_hash,
            windows: u.windows,
            departments: u.departments,
        };
        user_of(self.engine.account(actor, cmd).await?)
    }

    /// Hash the new password, then set it (the account's sessions end).
    pub async fn reset_password(
        &self,
        actor: Actor,
        username: String,
        password: &str,
    ) -> Result<UserFacts, EngineError> {
        let password_hash = self.passwords.hash(password).await.map_err(internal)?;
        let cmd = AccountCommand::ResetPassword {
            username,
            password_hash,
        };
        user_of(self.engine.account(actor, cmd).await?)
    }

    /// Register a device with a fresh token; the token is returned once, stored hashed.
    pub async fn register_device(
        &self,
        actor: Actor,
        id: String,
        kind: DeviceKind,
        window: Option<u32>,
    ) -> Result<(DeviceFacts, String), EngineError> {
        let token = crate::auth::new_token();
        let cmd = AccountCommand::RegisterDevice {
            id,
            kind,
            window,
            token_hash: crate::auth::token_hash(&token),
        };
        Ok((device_of(self.engine.account(actor, cmd).await?)?, token))
    }

    /// A fresh token for a device; the old one stops working at once.
    pub async fn replace_device_token(
        &self,
        actor: Actor,
        id: String,
    ) -> Result<(DeviceFacts, String), EngineError> {
        let token = crate::auth::new_token();
        let cmd = AccountCommand::ReplaceDeviceToken {
            id,
            token_hash: crate::auth::token_hash(&token),
        };
        Ok((device_of(self.engine.account(actor, cmd).await?)?, token))
    }

    /// Any other account command (disable, enable, scope, role and name, revoke).
    pub async fn run(
        &self,
        actor: Actor,
        cmd: AccountCommand,
    ) -> Result<AccountReply, EngineError> {
        self.engine.account(actor, cmd).await
    }

    /// Every staff account (no password hashes).
    pub async fn users(&self) -> Result<Vec<UserFacts>, EngineError> {
        let reader = self.reader.clone();
        let rows = tokio::task::spawn_blocking(move || reader.users())
            .await
            .map_err(internal)??;
        Ok(rows.into_iter().map(|r| r.user).collect())
    }
}

fn user_of(r: AccountReply) -> Result<UserFacts, EngineError> {
    match r {
        AccountReply::User { user, .. } | AccountReply::LoggedIn(user) => Ok(user),
        other => Err(internal(format!("expected a user, got {other:?}"))),
    }
}

fn device_of(r: AccountReply) -> Result<DeviceFacts, EngineError> {
    match r {
        AccountReply::Device(d) => Ok(d),
        other => Err(internal(format!("expected a device, got {other:?}"))),
    }
}
