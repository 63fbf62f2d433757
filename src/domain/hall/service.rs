//! Serving the ticket in hand: start, finish (办结) and hold (挂起), and letting go of it.

use super::*;

impl Hall {
    pub(super) fn start(
        &mut self,
        actor: &Actor,
        window: u32,
        now: Timestamp,
        events: &mut Vec<Event>,
    ) -> Result<Reply, DomainError> {
        let id = self.current_of(actor, window)?;
        let wref = self.wref(window)?;
        let t = self
            .tickets
            .transition(id, TicketOp::Start, |t| t.started_at = Some(now))?;
        let tref = ticket_ref(t);
        events.push(Event::TicketStarted {
            ticket: tref,
            window: wref,
        });
        Ok(Reply::window(window))
    }

    pub(super) fn finish(
        &mut self,
        actor: &Actor,
        window: u32,
        outcome: Outcome,
        note: Option<String>,
        now: Timestamp,
        events: &mut Vec<Event>,
    ) -> Result<Reply, DomainError> {
        let id = self.current_of(actor, window)?;
        let wref = self.wref(window)?;
        let clerk = staff_name(actor);
        let t = self.tickets.transition(id, TicketOp::Finish, |t| {
            t.finished_at = Some(now);
            t.outcome = Some(outcome);
            t.note = note.map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
            if clerk.is_some() {
                t.clerk = clerk;
            }
        })?;
        let service = service_s(t).unwrap_or(0);
        let (tref, queue, called) = (ticket_ref(t), t.queue.clone(), t.called_at);
        self.learn_cycle(window, queue, called, now);
        self.release(window, id);
        events.push(Event::TicketFinished {
            ticket: tref,
            window: wref,
            outcome,
            service_s: service,
        });
        Ok(Reply::window(window))
    }

    pub(super) fn hold(
        &mut self,
        actor: &Actor,
        window: u32,
        events: &mut Vec<Event>,
    ) -> Result<Reply, DomainError> {
        let id = self.current_of(actor, window)?;
        let wref = self.wref(window)?;
        let tref = ticket_ref(self.tickets.transition(id, TicketOp::Hold, |_| {})?);
        self.release(window, id);
        events.push(Event::TicketHeld {
            ticket: tref,
            window: wref,
        });
        Ok(Reply::window(window))
    }

    /// The window lets go of its current ticket (the ticket's own change is recorded by
    /// its transition).
    pub(super) fn release(&mut self, window: u32, id: TicketId) {
        if let Some(w) = self.windows.get_mut(window)
            && w.current == Some(id)
        {
            w.current = None;
            self.windows.touch(window);
        }
    }
}
