//! What notifications read from the hall: where a ticket's citizen can be reached (its own
//! phone, or its booking's), a ticket's booking, and the waiting tickets of a queue.

use super::Hall;
use crate::domain::appointments::Booking;
use crate::domain::ticket::{Ticket, TicketId};

impl Hall {
    /// The phone to notify about `t`: given at issue, or with the booking it checked in for.
    pub fn phone_of<'a>(&'a self, t: &'a Ticket) -> Option<&'a str> {
        t.phone.as_deref().or_else(|| {
            self.booking_of_ticket(t.id)
                .and_then(|b| b.phone.as_deref())
        })
    }

    /// The booking `ticket` was issued for at check-in, if any.
    pub fn booking_of_ticket(&self, ticket: TicketId) -> Option<&Booking> {
        self.bookings.by_ticket(ticket)
    }

    /// The tickets waiting in `queue`, in no particular order.
    pub fn waiting_in_queue<'a>(&'a self, queue: &str) -> impl Iterator<Item = &'a Ticket> {
        self.tickets.waiting_in(queue)
    }
}
