//! Transfers (转移) to another queue or a particular window, keeping the number.

use super::*;

impl Hall {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn transfer(
        &mut self,
        actor: &Actor,
        window: u32,
        to_queue: Option<String>,
        to_window: Option<u32>,
        position: Position,
        reason: Option<String>,
        now: Timestamp,
        events: &mut Vec<Event>,
    ) -> Result<Reply, DomainError> {
        let reason = optional_reason(reason)?;
        let id = self.current_of(actor, window)?;
        if to_queue.is_none() && to_window.is_none() {
            return Err(DomainError::TransferTarget);
        }
        if let Some(q) = &to_queue {
            self.plan
                .queue(q)
                .ok_or_else(|| DomainError::UnknownQueue(q.clone()))?;
        }
        if let Some(n) = to_window {
            self.plan.window(n).ok_or(DomainError::UnknownWindow(n))?;
        }
        let from = self.wref(window)?;
        let from_queue = self.tickets.check(id, TicketOp::Transfer)?.queue.clone();
        let t = self.tickets.transition(id, TicketOp::Transfer, |t| {
            if let Some(q) = to_queue {
                t.queue = q;
            }
            t.target_window = to_window;
            t.window = None;
            t.called_at = None;
            t.started_at = None;
            t.recall_count = 0;
            t.transfer_count += 1;
            t.queue_key = match position {
                Position::Front => now.as_millisecond() - FRONT,
                Position::Original => t.issued_at.as_millisecond(),
                Position::Back => now.as_millisecond(),
            };
        })?;
        let (tref, to_queue) = (ticket_ref(t), t.queue.clone());
        self.release(window, id);
        events.push(Event::TicketTransferred {
            ticket: tref,
            from_window: from,
            from_queue,
            to_queue,
            to_window,
            position,
            reason,
        });
        Ok(Reply::window(window))
    }
}
