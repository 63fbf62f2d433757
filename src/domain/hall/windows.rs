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
        w.pause_until = None;
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
        w.pause_until = None;
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
        until: Option<String>,
        now: Timestamp,
        events: &mut Vec<Event>,
    ) -> Result<Reply, DomainError> {
        let reason = required(reason)?;
        let until = until
            .filter(|u| !u.trim().is_empty())
            .map(|u| back_at(&self.plan, &u, now))
            .transpose()?;
        let w = self.window_for(actor, window)?;
        if w.status == WindowStatus::Paused {
            return Err(DomainError::WindowPaused(window));
        }
        if w.current.is_some() {
            return Err(DomainError::WindowBusy(window));
        }
        w.status = WindowStatus::Paused;
        w.pause_reason = Some(reason.to_string());
        w.pause_until = until;
        w.since = now;
        self.windows.touch(window);
        events.push(Event::WindowPaused {
            window: self.wref(window)?,
            reason,
            until: until.map(|t| rfc3339(t, &self.plan.rules.tz)),
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
        let (reason, since) = (w.pause_reason.take(), w.since);
        w.status = WindowStatus::Open;
        w.pause_until = None;
        w.since = now;
        self.windows.touch(window);
        self.learned.learn_pause(window, reason, since, now);
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

/// A pause's return time as the clerk gives it: `HH:MM` (the hall's clock, today) or RFC 3339.
/// It must lie ahead of `now` and on the same service day (a pause past closing is a sign-out).
pub fn back_at(plan: &Plan, raw: &str, now: Timestamp) -> Result<Timestamp, DomainError> {
    let raw = raw.trim();
    let tz = &plan.rules.tz;
    let today = local_day(plan, now);
    let at = if let Ok(t) = raw.parse::<Timestamp>() {
        t
    } else {
        let time: jiff::civil::Time = raw
            .parse()
            .map_err(|_| DomainError::InvalidUntil(raw.chars().take(32).collect()))?;
        tz.to_timestamp(today.to_datetime(time))
            .map_err(|_| DomainError::InvalidUntil(raw.into()))?
    };
    if at <= now || local_day(plan, at) != today {
        return Err(DomainError::InvalidUntil(hhmm_of(plan, at)));
    }
    Ok(at)
}

fn hhmm_of(plan: &Plan, t: Timestamp) -> String {
    plan.rules
        .tz
        .to_datetime(t)
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}
