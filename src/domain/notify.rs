//! Notifications (短信/微信提醒), pure: which messages a batch of committed events owes the
//! hall's `[[notify]]` gateways — booking confirmed, cancelled or missed, a reminder the day
//! before and one an hour before the slot, "N ahead", called — each with a stable idempotency
//! key, the instant it falls due, the phone it goes to and its JSON body. The store writes them
//! in the batch's own transaction; `crate::notify` delivers them. No IO, no clock: times come
//! from the events.

use std::collections::{BTreeSet, HashSet};

use jiff::Timestamp;
use jiff::civil::Time;
use serde::Serialize;
use serde_json::{Value, json};

use super::appointments::{Booking, BookingId, instant};
use super::event::{Event, EventRecord, rfc3339};
use super::hall::Hall;
use super::ticket::{Ticket, TicketId};

/// What a message is about. The gateway maps each to its own approved SMS template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteKind {
    BookingConfirmed,
    BookingCancelled,
    BookingMissed,
    ReminderDayBefore,
    ReminderHourBefore,
    Ahead,
    Called,
}

impl NoteKind {
    pub const ALL: [NoteKind; 7] = [
        NoteKind::BookingConfirmed,
        NoteKind::BookingCancelled,
        NoteKind::BookingMissed,
        NoteKind::ReminderDayBefore,
        NoteKind::ReminderHourBefore,
        NoteKind::Ahead,
        NoteKind::Called,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NoteKind::BookingConfirmed => "booking_confirmed",
            NoteKind::BookingCancelled => "booking_cancelled",
            NoteKind::BookingMissed => "booking_missed",
            NoteKind::ReminderDayBefore => "reminder_day_before",
            NoteKind::ReminderHourBefore => "reminder_hour_before",
            NoteKind::Ahead => "ahead",
            NoteKind::Called => "called",
        }
    }

    pub fn parse(s: &str) -> Option<NoteKind> {
        NoteKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Reminders stop being due once the booking is cancelled, checked in or missed.
    pub fn is_reminder(self) -> bool {
        matches!(
            self,
            NoteKind::ReminderDayBefore | NoteKind::ReminderHourBefore
        )
    }
}

/// One gateway (`[[notify]]`) and the kinds it takes.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub name: String,
    pub kinds: BTreeSet<NoteKind>,
}

/// What the hall promises to notify (`[[notify]]` and `[notifications]`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NotifyPlan {
    /// No targets: nothing is written, nothing promised.
    pub targets: Vec<Target>,
    /// "N ahead": a waiting citizen is told once when at most this many are ahead (0: off).
    pub ahead: u32,
    /// The day-before reminder goes at this local time on the day before (None: off).
    pub day_before_at: Option<Time>,
    /// The second reminder goes this long before the slot starts (0: off).
    pub hour_before_minutes: u32,
    /// The hall's public address, so that links in messages are whole (`hall.public_url`).
    pub public_url: Option<String>,
}

impl NotifyPlan {
    fn wants(&self, kind: NoteKind) -> bool {
        self.targets.iter().any(|t| t.kinds.contains(&kind))
    }
}

/// One message for one target, as the outbox stores it.
#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    /// The idempotency id: the same message to the same target always has the same key.
    pub key: String,
    pub target: String,
    pub kind: NoteKind,
    pub booking: Option<BookingId>,
    pub ticket: Option<TicketId>,
    /// Kept only until the message is delivered or dropped.
    pub phone: String,
    /// The body without the phone (added when it is sent).
    pub body: Value,
    pub created_ms: i64,
    /// Not sent before this instant of the hall clock.
    pub due_ms: i64,
}

/// A change to the outbox, in the batch's order.
#[derive(Debug, Clone, PartialEq)]
pub enum OutboxWrite {
    /// Insert unless a message with the same key and target exists.
    Enqueue(Note),
    /// The booking left `booked`: its reminders not yet sent are dropped (and their phones).
    DropReminders(BookingId),
}

/// Derives the outbox writes of each committed batch. Owned by the engine's writer thread.
#[derive(Debug, Default)]
pub struct Notifier {
    plan: NotifyPlan,
    /// Tickets already given their "N ahead" in this process (the key keeps it once for good).
    ahead_sent: HashSet<TicketId>,
}

impl Notifier {
    pub fn new(plan: NotifyPlan) -> Notifier {
        Notifier {
            plan,
            ahead_sent: HashSet::new(),
        }
    }

    /// The writes owed by `records` (just decided, about to be committed) on `hall` after them.
    pub fn derive(
        &mut self,
        records: &[(EventRecord, String, i64)],
        hall: &Hall,
    ) -> Vec<OutboxWrite> {
        if self.plan.targets.is_empty() {
            return Vec::new();
        }
        if self.ahead_sent.len() > 20_000 {
            // Past days' tickets are gone from the hall; their keys keep them told once.
            self.ahead_sent
                .retain(|t| hall.ticket(*t).is_some_and(|t| t.is_waiting()));
        }
        let mut out = Vec::new();
        let mut queues: BTreeSet<&str> = BTreeSet::new();
        for (rec, _, at_ms) in records {
            let at_ms = *at_ms;
            match &rec.event {
                Event::AppointmentBooked { appointment } => {
                    if let Some(b) = hall.booking(appointment.id) {
                        self.booked(hall, b, at_ms, &mut out);
                    }
                }
                Event::AppointmentCancelled { appointment } => {
                    out.push(OutboxWrite::DropReminders(appointment.id));
                    if let Some(b) = hall.booking(appointment.id) {
                        let key = format!("booking-{}-cancelled", b.id.0);
                        self.booking_note(
                            hall,
                            b,
                            NoteKind::BookingCancelled,
                            key,
                            at_ms,
                            at_ms,
                            &mut out,
                        );
                    }
                }
                Event::AppointmentMissed { appointment } => {
                    out.push(OutboxWrite::DropReminders(appointment.id));
                    if let Some(b) = hall.booking(appointment.id) {
                        let key = format!("booking-{}-missed", b.id.0);
                        self.booking_note(
                            hall,
                            b,
                            NoteKind::BookingMissed,
                            key,
                            at_ms,
                            at_ms,
                            &mut out,
                        );
                    }
                }
                Event::AppointmentCheckedIn { appointment, .. } => {
                    out.push(OutboxWrite::DropReminders(appointment.id));
                }
                Event::TicketCalled { ticket, window, .. } => {
                    self.ahead_sent.insert(ticket.id);
                    if let Some(t) = hall.ticket(ticket.id) {
                        let body = json!({
                            "ticket": ticket_body(hall, t, None),
                            "window": {"number": window.number, "name": window.name},
                        });
                        let key = format!("ticket-{}-called-{}", t.id.0, rec.seq);
                        self.ticket_note(hall, t, NoteKind::Called, key, body, at_ms, &mut out);
                    }
                }
                other => {
                    if let Some(t) = other.ticket() {
                        queues.insert(t.queue.as_str());
                    }
                    if let Event::TicketTransferred { to_queue, .. } = other {
                        queues.insert(to_queue.as_str());
                    }
                }
            }
        }
        if self.plan.ahead > 0 && self.plan.wants(NoteKind::Ahead) {
            // Calls move every line they take from; issues, cancels and transfers move theirs.
            for (rec, _, _) in records {
                if let Event::TicketCalled { ticket, .. } = &rec.event {
                    queues.insert(ticket.queue.as_str());
                }
            }
            let at_ms = records.last().map_or(0, |r| r.2);
            for q in queues {
                self.ahead_in(hall, q, at_ms, &mut out);
            }
        }
        out
    }

    /// The batch that owed `writes` was not committed: its "ahead" messages are owed again.
    pub fn not_committed(&mut self, writes: &[OutboxWrite]) {
        for w in writes {
            if let OutboxWrite::Enqueue(n) = w
                && n.kind == NoteKind::Ahead
                && let Some(t) = n.ticket
            {
                self.ahead_sent.remove(&t);
            }
        }
    }

    /// A booking confirmed, and its reminders due later.
    fn booked(&self, hall: &Hall, b: &Booking, at_ms: i64, out: &mut Vec<OutboxWrite>) {
        let id = b.id.0;
        self.booking_note(
            hall,
            b,
            NoteKind::BookingConfirmed,
            format!("booking-{id}-confirmed"),
            at_ms,
            at_ms,
            out,
        );
        let tz = &hall.plan().rules.tz;
        let start = b.slot_start(tz).as_millisecond();
        if let Some(at) = self.plan.day_before_at
            && let Some(eve) = b.day.yesterday().ok().and_then(|d| instant(tz, d, at))
        {
            let due = eve.as_millisecond();
            if due > at_ms && due < start {
                let key = format!("booking-{id}-reminder-day");
                self.booking_note(hall, b, NoteKind::ReminderDayBefore, key, at_ms, due, out);
            }
        }
        if self.plan.hour_before_minutes > 0 {
            let due = start - i64::from(self.plan.hour_before_minutes) * 60_000;
            if due > at_ms {
                let key = format!("booking-{id}-reminder-hour");
                self.booking_note(hall, b, NoteKind::ReminderHourBefore, key, at_ms, due, out);
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn booking_note(
        &self,
        hall: &Hall,
        b: &Booking,
        kind: NoteKind,
        key: String,
        at_ms: i64,
        due_ms: i64,
        out: &mut Vec<OutboxWrite>,
    ) {
        let Some(phone) = b.phone.clone() else {
            return;
        };
        let v = hall.booking_view(b);
        let url = match &self.plan.public_url {
            Some(base) => format!("{}{}", base.trim_end_matches('/'), v.url),
            None => v.url.clone(),
        };
        let body = json!({
            "appointment": {
                "queue": v.queue, "queue_name": v.queue_name,
                "department": v.department, "department_name": v.department_name,
                "day": v.day, "start": v.start, "end": v.end,
                "code": v.code, "extended": v.extended, "return_visit": v.return_visit,
                "check_in_from": v.check_in_from, "check_in_until": v.check_in_until,
                "notice": v.notice, "url": url,
            }
        });
        self.push(
            hall,
            kind,
            key,
            Some(b.id),
            None,
            phone,
            body,
            at_ms,
            due_ms,
            out,
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn ticket_note(
        &self,
        hall: &Hall,
        t: &Ticket,
        kind: NoteKind,
        key: String,
        body: Value,
        at_ms: i64,
        out: &mut Vec<OutboxWrite>,
    ) {
        let Some(phone) = hall.phone_of(t) else {
            return;
        };
        let booking = hall.booking_of_ticket(t.id).map(|b| b.id);
        self.push(
            hall,
            kind,
            key,
            booking,
            Some(t.id),
            phone.to_string(),
            body,
            at_ms,
            at_ms,
            out,
        );
    }

    /// "N ahead" for the waiting tickets of `queue` that reached it.
    fn ahead_in(&mut self, hall: &Hall, queue: &str, at_ms: i64, out: &mut Vec<OutboxWrite>) {
        let n = self.plan.ahead;
        let due: Vec<(&Ticket, u32)> = hall
            .waiting_in_queue(queue)
            .filter(|t| !self.ahead_sent.contains(&t.id) && hall.phone_of(t).is_some())
            .map(|t| (t, hall.waiting_ahead(t)))
            .filter(|(_, ahead)| *ahead <= n)
            .collect();
        for (t, ahead) in due {
            self.ahead_sent.insert(t.id);
            let body = json!({"ticket": ticket_body(hall, t, Some(ahead))});
            let key = format!("ticket-{}-ahead", t.id.0);
            self.ticket_note(hall, t, NoteKind::Ahead, key, body, at_ms, out);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &self,
        hall: &Hall,
        kind: NoteKind,
        key: String,
        booking: Option<BookingId>,
        ticket: Option<TicketId>,
        phone: String,
        mut body: Value,
        at_ms: i64,
        due_ms: i64,
        out: &mut Vec<OutboxWrite>,
    ) {
        let tz = &hall.plan().rules.tz;
        let at = |ms: i64| Timestamp::from_millisecond(ms).map(|t| rfc3339(t, tz)).ok();
        if let Value::Object(m) = &mut body {
            m.insert("id".into(), json!(key));
            m.insert("kind".into(), json!(kind.as_str()));
            m.insert("hall".into(), json!(hall.plan().rules.name));
            m.insert("created_at".into(), json!(at(at_ms)));
            m.insert("due_at".into(), json!(at(due_ms)));
        }
        for t in self.plan.targets.iter().filter(|t| t.kinds.contains(&kind)) {
            out.push(OutboxWrite::Enqueue(Note {
                key: key.clone(),
                target: t.name.clone(),
                kind,
                booking,
                ticket,
                phone: phone.clone(),
                body: body.clone(),
                created_ms: at_ms,
                due_ms,
            }));
        }
    }
}

fn ticket_body(hall: &Hall, t: &Ticket, ahead: Option<u32>) -> Value {
    let q = hall.plan().queue(&t.queue);
    let mut v = json!({
        "number": t.number,
        "queue": t.queue,
        "queue_name": q.map(|q| q.name.clone()).unwrap_or_default(),
        "appointment": t.priority == super::ticket::Priority::Appointment,
    });
    if let (Some(a), Value::Object(m)) = (ahead, &mut v) {
        m.insert("ahead".into(), json!(a));
    }
    v
}

#[cfg(test)]
#[path = "notify_tests.rs"]
mod tests;
