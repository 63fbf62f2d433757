//! Read-only questions staff ask of the hall: the order a window would call its waiting tickets
//! (the clerk console's waiting list) and today's tickets by number or ID (the help desk).
//! Nothing here changes state.

use super::*;

impl Hall {
    /// The waiting tickets window `window` would call, in the order it would call them (the
    /// router's own choice, repeated), at most `max`: the clerk console's waiting list.
    pub fn call_order(&self, window: u32, max: usize, now: Timestamp) -> Vec<&Ticket> {
        let Some(plan) = self.plan.window(window) else {
            return Vec::new();
        };
        let mut streak = self.windows.get(window).map_or(0, |w| w.green_streak);
        let mut left: Vec<&Ticket> = self
            .tickets
            .waiting()
            .filter(|t| routing::callable_at(plan, &Candidate::from(*t)))
            .collect();
        let mut order = Vec::new();
        let rules = self.plan.rules.calling();
        while order.len() < max {
            let candidates = left
                .iter()
                .map(|t| self.routing_priority(Candidate::from(*t), now));
            let Some((id, reason)) =
                routing::choose_next(plan, streak, &rules, now.as_millisecond(), candidates)
            else {
                break;
            };
            let Some(i) = left.iter().position(|t| t.id == id) else {
                break;
            };
            let t = left.swap_remove(i);
            streak = routing::next_green_streak(streak, t.priority, reason);
            order.push(t);
        }
        order
    }

    /// Today's tickets with `number` or, for an ID number, that person's (help desk lookup;
    /// the ID is compared as its keyed hash only).
    pub fn find_tickets(&self, number_or_id: &str) -> Result<Vec<&Ticket>, DomainError> {
        let q = number_or_id.trim();
        let today = |t: &&Ticket| t.service_day == self.day;
        if q.len() == 18 {
            let id = IdNumber::parse(q).ok_or(DomainError::InvalidIdNumber)?;
            let h = self.hash_id(&id);
            return Ok(self
                .tickets
                .values()
                .filter(today)
                .filter(|t| t.id_hash.as_deref() == Some(h.as_str()))
                .collect());
        }
        Ok(self
            .find_number(q)
            .ok()
            .and_then(|id| self.tickets.get(id))
            .into_iter()
            .collect())
    }
}
