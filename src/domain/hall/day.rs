//! The service day: rebuilding the hall from stored rows, the rows changed since the last
//! commit, and the change of day (yesterday cleared, numbering restarted).

use super::*;

impl Hall {
    /// Rebuild the hall from stored rows. Stale tickets from earlier days are cleared by the
    /// first `tick`.
    pub fn restore(plan: Arc<Plan>, id_key: Vec<u8>, now: Timestamp, restored: Restored) -> Hall {
        let today = local_day(&plan, now);
        let day = restored
            .tickets
            .iter()
            .map(|t| t.service_day)
            .min()
            .unwrap_or(today)
            .min(today);
        let mut hall = Hall {
            id_key: id_key.into(),
            day,
            tickets: Tickets::new(restored.next_ticket_id),
            counters: Arc::default(),
            windows: Windows::restore(&plan, now, restored.windows),
            learned: Learned::default(),
            recent_calls: Arc::default(),
            touched_counters: BTreeSet::new(),
            ratings: Ratings::restore(
                restored.rated,
                restored.follow_ups,
                restored.next_follow_up_id,
            ),
            bookings: Bookings::restore(restored.bookings, restored.next_booking_id),
            account_changes: Vec::new(),
            plan,
        };
        for (d, q, n) in restored.counters {
            if d == today {
                Arc::make_mut(&mut hall.counters).insert(q, n);
            }
        }
        let mut calls: Vec<&Ticket> = Vec::new();
        for t in restored.tickets {
            hall.tickets.load(t);
        }
        for t in hall.tickets.values() {
            if t.service_day == today && t.called_at.is_some() && t.window.is_some() {
                calls.push(t);
            }
        }
        calls.sort_by_key(|t| t.called_at);
        let calls: Vec<RecentCall> = calls
            .iter()
            .filter_map(|t| {
                let w = hall.plan.window(t.window?)?;
                Some(recent_call(&hall.plan, t, w, t.called_at?))
            })
            .collect();
        hall.recent_calls = Arc::new(recent::keep(calls));
        // Replay today's calls and releases in time order, as `call`, `Finish` and `NoShow`
        // learned them live: window times per queue, and each window's turnaround.
        let mut steps: Vec<(Timestamp, bool, u32, TicketId)> = Vec::new();
        for t in hall.tickets.values().filter(|t| t.service_day == today) {
            let (Some(w), Some(c)) = (t.window, t.called_at) else {
                continue;
            };
            steps.push((c, true, w, t.id));
            if let (TicketState::Done | TicketState::NoShow, Some(f)) = (t.state, t.finished_at) {
                steps.push((f, false, w, t.id));
            }
        }
        steps.sort();
        for (at, is_call, w, id) in steps {
            let t = hall.tickets.get(id).expect("listed just above");
            let (issued, queue, called) = (t.issued_at, t.queue.clone(), t.called_at);
            if is_call {
                hall.learned.note_turnaround(w, issued, at);
            } else {
                hall.learned.learn_cycle(w, queue, called, at);
            }
        }
        // Today's ended pauses, as `resume` learned them live (a sign-out ends a pause
        // unlearned).
        let mut paused: HashMap<u32, (String, Timestamp)> = HashMap::new();
        for (at, e) in restored.window_events {
            match e {
                Event::WindowPaused { window, reason, .. } => {
                    paused.insert(window.number, (reason.to_string(), at));
                }
                Event::WindowResumed { window } => {
                    if let Some((reason, since)) = paused.remove(&window.number) {
                        hall.learned
                            .learn_pause(window.number, Some(reason), since, at);
                    }
                }
                Event::WindowSignedOut { window, .. } => {
                    paused.remove(&window.number);
                }
                _ => {}
            }
        }
        for t in hall.tickets.values().filter(|t| t.service_day == today) {
            match (t.state, t.first_called_at) {
                (TicketState::Cancelled, _) => hall.learned.record_wait(0.0, true),
                (_, Some(c)) => hall
                    .learned
                    .record_wait((c.as_second() - t.issued_at.as_second()) as f64, false),
                _ => {}
            }
        }
        hall
    }

    /// The rows changed since the last call.
    pub fn take_changes(&mut self) -> Changes {
        let (ratings, follow_ups) = self.ratings.take_changes();
        let tickets = self.tickets.take_changes();
        let windows = self.windows.take_changes();
        let counters = std::mem::take(&mut self.touched_counters)
            .into_iter()
            .map(|q| {
                let n = self.counters.get(&q).copied().unwrap_or(0);
                (self.day, q, n)
            })
            .collect();
        Changes {
            tickets,
            windows,
            counters,
            ratings,
            follow_ups,
            bookings: self.bookings.take_changes(),
            outbox: Vec::new(),
            accounts: std::mem::take(&mut self.account_changes),
        }
    }

    /// Time passing: at a new service day, clear yesterday (abandon open tickets, sign out
    /// windows) and restart numbering.
    pub fn tick(&mut self, now: Timestamp) -> Vec<Event> {
        let today = local_day(&self.plan, now);
        // Bookings past slot start + late become missed (appointments.rs).
        let mut events = self.expire_bookings(now);
        if today <= self.day {
            return events;
        }
        let stale: Vec<TicketId> = self
            .tickets
            .values()
            .filter(|t| !t.state.is_final() && t.service_day < today)
            .map(|t| t.id)
            .collect();
        for id in stale {
            if let Ok(t) = self.tickets.transition(id, TicketOp::Abandon, |_| {}) {
                events.push(Event::TicketAbandoned {
                    ticket: ticket_ref(t),
                });
            }
        }
        let numbers: Vec<u32> = self.windows.values().map(|w| w.number).collect();
        for n in numbers {
            let Some(w) = self.windows.get_mut(n) else {
                continue;
            };
            w.current = None;
            if w.status != WindowStatus::Closed {
                let clerk = w.clerk.take();
                w.status = WindowStatus::Closed;
                w.pause_reason = None;
                w.pause_until = None;
                w.since = now;
                w.green_streak = 0;
                if let (Some(clerk), Some(plan)) = (clerk, self.plan.window(n)) {
                    events.push(Event::WindowSignedOut {
                        window: window_ref(plan),
                        clerk,
                        reason: SignOutReason::DayEnd,
                    });
                }
                self.windows.touch(n);
            }
        }
        // Yesterday's rows are final now: write them once more, then forget them.
        self.tickets.evict_before(today);
        self.counters = Arc::default();
        self.learned = Learned::default();
        self.recent_calls = Arc::default();
        self.day = today;
        events
    }
}
