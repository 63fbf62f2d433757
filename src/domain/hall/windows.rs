//! Window commands: sign-in, sign-out, pause, resume, and the checks every window command
//! makes (the window exists, is open, and the actor may act there).

use super::*;

impl Hall {
    pub(super) fn sign_in(
        &mut self,
        actor: &Actor,
        window: u32,
        scope: &crate::domain::scope::Scope,
        now: Timestamp,
        events: &mut Vec<Event>,
    ) -> Result<Reply, DomainError> {
        let Actor::Staff {
            username,
            name,
            role,
        } = actor
        else {
            return Err(DomainError::Forbidden);
        };
        let wref = self.wref(window)?;
        if *role == Role::Clerk && !scope.allows(&self.plan, window) {
            return Err(DomainError::OutsideScope(window));
        }
        if let Some(other) = self.windows.values().find(|w| {
            w.number != window && w.clerk.as_ref().is_some_and(|c| &c.username == username)
        }) {
            return Err(DomainError::ClerkElsewhere(other.number));
        }
        let w = self
            .windows
            .get_mut(window)
            .ok_or(DomainError::UnknownWindow(window))?;
        match &w.clerk {
            Some(c) if &c.username == username => {
                return Ok(Reply::window(window));
            }
            Some(_) => return Err(DomainError::WindowTaken(window)),
            None => {}
        }
        let clerk = ClerkRef {
            username: username.clone(),
            name: name.clone(),
        };
        w.status = WindowStatus::Open;
        w.clerk = Some(clerk.clone());
        w.pause_reason = None;
        w.since = now;
        w.green_streak = 0;
        self.windows.touch(window);
        events.push(Event::WindowSignedIn {
            window: wref,
            clerk,
        });
        Ok(Reply::window(window))
    }

    pub(super) fn sign_out(
        &mut self,
        actor: &Actor,
        window: u32,
        now: Timestamp,
        events: &mut Vec<Event>,
    ) -> Result<Reply, DomainError> {
        let wref = self.wref(window)?;
        let w = self.window_for(actor, window)?;
        if w.current.is_some() {
            return Err(DomainError::WindowBusy(window));
        }
        let clerk = w.clerk.take();
        w.status = WindowStatus::Closed;
        w.pause_reason = None;
        w.since = now;
        self.windows.touch(window);
        if let Some(clerk) = clerk {
            let reason = if staff_name(actor).as_deref() == Some(clerk.username.as_str()) {
                SignOutReason::Clerk
            } else {
                SignOutReason::Manager
            };
            events.push(Event::WindowSignedOut {
                window: wref,
                clerk,
                reason,
            });
        }
        Ok(Reply::window(window))
    }

    pub(super) fn pause(
        &mut self,
        actor: &Actor,
        window: u32,
        reason: String,
        now: Timestamp,
        events: &mut Vec<Event>,
    ) -> Result<Reply, DomainError> {
        let reason = required(reason)?;
        let w = self.window_for(actor, window)?;
        if w.status == WindowStatus::Paused {
            return Err(DomainError::WindowPaused(window));
        }
        if w.current.is_some() {
            return Err(DomainError::WindowBusy(window));
        }
        w.status = WindowStatus::Paused;
        w.pause_reason = Some(reason.to_string());
        w.since = now;
        self.windows.touch(window);
        events.push(Event::WindowPaused {
            window: self.wref(window)?,
            reason,
        });
        Ok(Reply::window(window))
    }

    pub(super) fn resume(
        &mut self,
        actor: &Actor,
        window: u32,
        now: Timestamp,
        events: &mut Vec<Event>,
    ) -> Result<Reply, DomainError> {
        let w = self.window_for(actor, window)?;
        if w.status != WindowStatus::Paused {
            return Err(DomainError::InvalidState {
                state: w.status.as_str(),
                op: "resume",
            });
        }
        w.status = WindowStatus::Open;
        w.pause_reason = None;
        w.since = now;
        self.windows.touch(window);
        events.push(Event::WindowResumed {
            window: self.wref(window)?,
        });
        Ok(Reply::window(window))
    }

    /// The window, checked: it exists and `actor` may act there (a clerk only at their own).
    pub(super) fn window_for(
        &mut self,
        actor: &Actor,
        window: u32,
    ) -> Result<&mut WindowState, DomainError> {
        let w = self
            .windows
            .get_mut(window)
            .ok_or(DomainError::UnknownWindow(window))?;
        match actor {
            Actor::Staff {
                role: Role::Manager | Role::Admin,
                ..
            } => {}
            Actor::Staff {
                username,
                role: Role::Clerk,
                ..
            } => {
                if w.clerk.as_ref().is_some_and(|c| &c.username != username) {
                    return Err(DomainError::NotYourWindow(window));
                }
            }
            _ => return Err(DomainError::Forbidden),
        }
        if w.status == WindowStatus::Closed {
            return Err(DomainError::WindowNotOpen(window));
        }
        Ok(w)
    }

    /// Checks before any call: open, not paused, nothing in hand.
    pub(super) fn ready_to_call(&mut self, actor: &Actor, window: u32) -> Result<(), DomainError> {
        let w = self.window_for(actor, window)?;
        if w.status == WindowStatus::Paused {
            return Err(DomainError::WindowPaused(window));
        }
        if w.current.is_some() {
            return Err(DomainError::WindowBusy(window));
        }
        Ok(())
    }

    /// The ticket in hand at the window.
    pub(super) fn current_of(
        &mut self,
        actor: &Actor,
        window: u32,
    ) -> Result<TicketId, DomainError> {
        self.window_for(actor, window)?
            .current
            .ok_or(DomainError::NoCurrentTicket(window))
    }

    pub(super) fn wref(&self, window: u32) -> Result<WindowRef, DomainError> {
        self.plan
            .window(window)
            .map(window_ref)
            .ok_or(DomainError::UnknownWindow(window))
    }
}
