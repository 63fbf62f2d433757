//! Calling (叫号): next by the routing rules, a specific number (特呼), call-back of a held
//! ticket (回呼), recall (重呼) and no-show (过号).

use super::*;

impl Hall {
    pub(super) fn call_next(
        &mut self,
        actor: &Actor,
        window: u32,
        now: Timestamp,
        events: &mut Vec<Event>,
    ) -> Result<Reply, DomainError> {
        self.ready_to_call(actor, window)?;
        let plan = self
            .plan
            .window(window)
            .ok_or(DomainError::UnknownWindow(window))?;
        let streak = self.windows.get(window).map_or(0, |w| w.green_streak);
        // An appointment counts as one only once its slot has begun (appointments.rs).
        let candidates = self
            .tickets
            .waiting()
            .map(Candidate::from)
            .map(|c| self.routing_priority(c, now));
        let Some((id, reason)) = routing::choose_next(
            plan,
            streak,
            &self.plan.rules.calling(),
            now.as_millisecond(),
            candidates,
        ) else {
            return Ok(Reply::window(window));
        };
        self.call(window, id, reason, None, now, events)?;
        Ok(Reply::Window {
            number: window,
            reason: Some(reason),
        })
    }

    /// Put ticket `id` at `window` as called.
    pub(super) fn call(
        &mut self,
        window: u32,
        id: TicketId,
        reason: CallReason,
        note: Option<Reason>,
        now: Timestamp,
        events: &mut Vec<Event>,
    ) -> Result<(), DomainError> {
        let plan = Arc::clone(&self.plan);
        let wplan = plan
            .window(window)
            .ok_or(DomainError::UnknownWindow(window))?;
        let op = if reason == CallReason::CallBack {
            TicketOp::CallBack
        } else {
            TicketOp::Call
        };
        let first = self.tickets.check(id, op)?.first_called_at.is_none();
        let t = self.tickets.transition(id, op, |t| {
            t.window = Some(window);
            t.target_window = None;
            t.called_at = Some(now);
            t.first_called_at.get_or_insert(now);
            t.recall_count = 0;
            t.started_at = None;
        })?;
        let waited = (now.as_second() - t.issued_at.as_second()) as f64;
        let (tref, issued) = (ticket_ref(t), t.issued_at);
        let call = recent_call(&plan, t, wplan, now);
        if first {
            self.learned.record_wait(waited, false);
        }
        self.learned.note_turnaround(window, issued, now);
        let w = self
            .windows
            .get_mut(window)
            .ok_or(DomainError::UnknownWindow(window))?;
        w.current = Some(id);
        w.green_streak = routing::next_green_streak(w.green_streak, tref.priority, reason);
        self.windows.touch(window);
        recent::push(Arc::make_mut(&mut self.recent_calls), call);
        let announce = make_announce(&plan.texts, &tref.number, window);
        events.push(Event::TicketCalled {
            ticket: tref,
            window: window_ref(wplan),
            reason,
            note,
            announce,
        });
        Ok(())
    }

    pub(super) fn call_specific(
        &mut self,
        actor: &Actor,
        window: u32,
        number: String,
        reason: String,
        now: Timestamp,
        events: &mut Vec<Event>,
    ) -> Result<Reply, DomainError> {
        let reason = required(reason)?;
        self.ready_to_call(actor, window)?;
        let id = self.find_number(&number)?;
        let t = self.tickets.get(id).expect("found by number");
        let plan = self
            .plan
            .window(window)
            .ok_or(DomainError::UnknownWindow(window))?;
        if t.state != TicketState::Waiting || !routing::callable_at(plan, &Candidate::from(t)) {
            return Err(DomainError::NotCallable(number));
        }
        self.call(window, id, CallReason::Specific, Some(reason), now, events)?;
        Ok(Reply::Window {
            number: window,
            reason: Some(CallReason::Specific),
        })
    }

    pub(super) fn call_back(
        &mut self,
        actor: &Actor,
        window: u32,
        number: String,
        now: Timestamp,
        events: &mut Vec<Event>,
    ) -> Result<Reply, DomainError> {
        self.ready_to_call(actor, window)?;
        let id = self.find_number(&number)?;
        let t = self.tickets.get(id).expect("found by number");
        if t.state != TicketState::Held || t.window != Some(window) {
            return Err(DomainError::NotHeld(number));
        }
        self.call(window, id, CallReason::CallBack, None, now, events)?;
        Ok(Reply::Window {
            number: window,
            reason: Some(CallReason::CallBack),
        })
    }

    pub(super) fn recall(
        &mut self,
        actor: &Actor,
        window: u32,
        events: &mut Vec<Event>,
    ) -> Result<Reply, DomainError> {
        let id = self.current_of(actor, window)?;
        let limit = self.plan.rules.recall_limit;
        let wref = self.wref(window)?;
        let texts = self.plan.texts.clone();
        if self.tickets.check(id, TicketOp::Recall)?.recall_count >= limit {
            return Err(DomainError::RecallLimit);
        }
        let t = self
            .tickets
            .transition(id, TicketOp::Recall, |t| t.recall_count += 1)?;
        let (tref, count) = (ticket_ref(t), t.recall_count);
        let announce = make_announce(&texts, &tref.number, window);
        events.push(Event::TicketRecalled {
            ticket: tref,
            window: wref,
            recall_count: count,
            announce,
        });
        Ok(Reply::window(window))
    }

    pub(super) fn no_show(
        &mut self,
        actor: &Actor,
        window: u32,
        reason: Option<String>,
        now: Timestamp,
        events: &mut Vec<Event>,
    ) -> Result<Reply, DomainError> {
        let reason = optional_reason(reason)?;
        let id = self.current_of(actor, window)?;
        let wref = self.wref(window)?;
        let t = self
            .tickets
            .transition(id, TicketOp::NoShow, |t| t.finished_at = Some(now))?;
        let (tref, queue, called) = (ticket_ref(t), t.queue.clone(), t.called_at);
        self.learned.learn_cycle(window, queue, called, now);
        self.release(window, id);
        events.push(Event::TicketNoShow {
            ticket: tref,
            window: wref,
            reason: reason.unwrap_or(Reason::code(ReasonCode::NotPresent)),
        });
        Ok(Reply::window(window))
    }

    pub(super) fn find_number(&self, number: &str) -> Result<TicketId, DomainError> {
        let want = number.trim().to_ascii_uppercase();
        self.tickets
            .values()
            .find(|t| t.service_day == self.day && t.number == want)
            .map(|t| t.id)
            .ok_or_else(|| DomainError::UnknownTicket(number.to_string()))
    }
}
