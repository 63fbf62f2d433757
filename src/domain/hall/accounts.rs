//! The hall's part in an account command: disabling a clerk signs them out of every window
//! they hold, in the same commit as the account change. The account rules themselves live in
//! `domain/accounts.rs`; the rows they change ride along in `Changes::accounts`.

use jiff::Timestamp;

use super::{Actor, Hall, Reply};
use crate::domain::accounts::{self, AccountCommand, AccountFacts};
use crate::domain::error::DomainError;
use crate::domain::event::Event;

impl Hall {
    /// Check and carry out an account command against the stored row in `facts`.
    pub fn account(
        &mut self,
        actor: &Actor,
        cmd: AccountCommand,
        facts: AccountFacts,
        now: Timestamp,
    ) -> Result<(Reply, Vec<Event>), DomainError> {
        let leaving = match &cmd {
            AccountCommand::SetDisabled {
                username,
                disabled: true,
            } => self.windows_held_by(username)?,
            AccountCommand::RegisterDevice {
                window: Some(n), ..
            } if self.plan.window(*n).is_none() => {
                return Err(DomainError::UnknownWindow(*n));
            }
            _ => Vec::new(),
        };
        let decided = accounts::decide(actor, cmd, facts, leaving.clone(), now.as_millisecond())?;
        // Decided and allowed: only now does the hall change.
        let mut events = Vec::new();
        for window in leaving {
            self.sign_out(actor, window, now, &mut events)?;
        }
        events.extend(decided.events);
        self.account_changes.extend(decided.changes);
        Ok((Reply::Account(decided.reply), events))
    }

    /// Remove the sessions whose end has come (read by the writer's sweep) and record each
    /// as `session.expired`, in the commit that deletes its row.
    ///
    /// A clerk signed in at a window stays signed in there, as after a logout: the window's
    /// sign-in is the hall's state, the session only the console's key. Signing the window
    /// out here could close it on a citizen being served, or while the clerk works on
    /// (they log in again and carry on); the day's end signs every window out, and a manager
    /// can sign one out from the floor.
    pub fn expire_sessions(&mut self, lapsed: Vec<accounts::LapsedSession>) -> Vec<Event> {
        let (events, changes) = accounts::expire_sessions(lapsed, &self.plan.rules.tz);
        self.account_changes.extend(changes);
        events
    }

    /// The windows `username` is signed in at; refused while one has a ticket in hand (it is
    /// finished, held or transferred first, so no citizen is left at a closed window).
    fn windows_held_by(&self, username: &str) -> Result<Vec<u32>, DomainError> {
        let mut held = Vec::new();
        for w in self.windows.values() {
            if w.clerk.as_ref().is_some_and(|c| c.username == username) {
                if w.current.is_some() {
                    return Err(DomainError::WindowBusy(w.number));
                }
                held.push(w.number);
            }
        }
        Ok(held)
    }
}
