//! Read-only views of the hall: tickets for staff and citizens, windows, queues, the hall
//! overview and the wall screens' snapshot.

use super::*;

impl Hall {
    pub fn ticket(&self, id: TicketId) -> Option<&Ticket> {
        self.tickets.get(id)
    }

    pub fn ticket_by_token(&self, token: &str) -> Option<&Ticket> {
        self.tickets.by_token(token)
    }

    pub fn ticket_view(&self, t: &Ticket) -> TicketView {
        let tz = &self.plan.rules.tz;
        let waiting = t.state == TicketState::Waiting;
        let ahead = if waiting { self.waiting_ahead(t) } else { 0 };
        TicketView {
            id: t.id,
            number: t.number.clone(),
            queue: t.queue.clone(),
            department: self
                .plan
                .queue(&t.queue)
                .map(|q| q.department.clone())
                .unwrap_or_default(),
            priority: t.priority,
            state: t.state,
            issued_at: rfc3339(t.issued_at, tz),
            called_at: t.called_at.map(|c| rfc3339(c, tz)),
            started_at: t.started_at.map(|c| rfc3339(c, tz)),
            window: t.window,
            target_window: t.target_window,
            recall_count: t.recall_count,
            transfer_count: t.transfer_count,
            waiting_ahead: waiting.then_some(ahead),
            estimated_wait_s: if waiting {
                self.estimated_wait_with(t, ahead)
            } else {
                None
            },
            wait_s: t.wait_s(),
            outcome: t.outcome,
        }
    }

    pub fn public_ticket(&self, t: &Ticket) -> PublicTicket {
        let tz = &self.plan.rules.tz;
        let q = self.plan.queue(&t.queue);
        let ahead = self.waiting_ahead(t);
        let estimate = self.estimated_wait_with(t, ahead);
        PublicTicket {
            number: t.number.clone(),
            queue: t.queue.clone(),
            queue_name: q.map(|q| q.name.clone()).unwrap_or_default(),
            department_name: q
                .and_then(|q| self.plan.department(&q.department))
                .map(|d| d.name.clone())
                .unwrap_or_default(),
            priority: t.priority,
            state: t.state,
            waiting_ahead: ahead,
            estimated_wait_s: estimate,
            estimate_note: self.estimate_note(estimate),
            window: t.window,
            windows: self.serving_windows(t),
            issued_at: rfc3339(t.issued_at, tz),
            called_at: t.called_at.map(|c| rfc3339(c, tz)),
            rated: self.ratings.is_rated(t.id),
        }
    }

    pub(super) fn serving_windows(&self, t: &Ticket) -> Vec<u32> {
        match t.target_window {
            Some(n) => vec![n],
            None => self
                .plan
                .windows_serving(&t.queue)
                .map(|w| w.number)
                .collect(),
        }
    }

    pub fn issued_ticket(&self, t: &Ticket) -> IssuedTicket {
        let p = self.public_ticket(t);
        IssuedTicket {
            id: t.id,
            token: t.token.clone(),
            number: p.number,
            queue: p.queue,
            queue_name: p.queue_name,
            department: self
                .plan
                .queue(&t.queue)
                .map(|q| q.department.clone())
                .unwrap_or_default(),
            department_name: p.department_name,
            priority: t.priority,
            state: t.state,
            issued_at: p.issued_at,
            waiting_ahead: p.waiting_ahead,
            estimated_wait_s: p.estimated_wait_s,
            estimate_note: p.estimate_note,
            windows: p.windows,
        }
    }

    pub fn window_view(&self, number: u32) -> Option<WindowView> {
        let plan = self.plan.window(number)?;
        let w = self.windows.get(number)?;
        // From the indexes, not a scan of the hall's tickets: what waits for this window in
        // particular, and what waits untargeted in each queue it calls.
        let mut queues: Vec<&String> = plan.queues().collect();
        queues.sort_unstable();
        queues.dedup();
        let targeted = self
            .tickets
            .targeted()
            .filter(|(w, _)| *w == number)
            .count() as u32;
        let waiting = targeted
            + queues
                .into_iter()
                .map(|q| self.tickets.untargeted_waiting(q))
                .sum::<u32>();
        let held = self.tickets.held_at(number).map(ticket_ref).collect();
        Some(WindowView {
            number,
            name: plan.name.clone(),
            kind: plan.kind,
            zone: plan.zone.clone(),
            status: w.status.as_str(),
            clerk: w.clerk.clone(),
            current: w
                .current
                .and_then(|id| self.tickets.get(id))
                .map(|t| self.ticket_view(t)),
            waiting,
            held,
            pause_reason: w.pause_reason.clone(),
            pause_until: w.pause_until.map(|t| rfc3339(t, &self.plan.rules.tz)),
            since: rfc3339(w.since, &self.plan.rules.tz),
            reason: None,
        })
    }

    pub fn queue_views(&self, now: Timestamp) -> Vec<QueueView> {
        let mut waiting: HashMap<&str, (u32, Option<Timestamp>)> = HashMap::new();
        for t in self.tickets.waiting() {
            let e = waiting.entry(t.queue.as_str()).or_default();
            e.0 += 1;
            e.1 = Some(e.1.map_or(t.issued_at, |x| x.min(t.issued_at)));
        }
        self.plan
            .queues
            .iter()
            .map(|q| {
                let (n, oldest) = waiting.get(q.id.as_str()).copied().unwrap_or_default();
                let refusal = self.refusal(q, now);
                let estimate = self.newcomer_estimate(&q.id);
                QueueView {
                    id: q.id.clone(),
                    name: q.name.clone(),
                    name_en: q.name_en.clone(),
                    prefix: q.prefix.clone(),
                    department: q.department.clone(),
                    open: refusal.is_none(),
                    closed_reason: refusal.map(|e| e.code()),
                    waiting: n,
                    estimated_wait_s: estimate,
                    estimate_note: self.estimate_note(estimate),
                    issued: self.counters.get(&q.id).copied().unwrap_or(0),
                    daily_quota: q.daily_quota,
                    longest_wait_s: oldest.map_or(0, |o| (now.as_second() - o.as_second()).max(0)),
                    real_name: q.real_name,
                    ask_phone: q.ask_phone,
                    appointments: q.appointments.as_ref().map(AppointmentsInfo::from),
                }
            })
            .collect()
    }

    pub fn hall_view(&self, now: Timestamp) -> HallView {
        let p = &self.plan;
        HallView {
            name: p.rules.name.clone(),
            timezone: p.rules.tz_name.clone(),
            service_day: local_day(p, now).to_string(),
            now: rfc3339(now, &p.rules.tz),
            zones: p
                .zones
                .iter()
                .map(|z| ZoneView {
                    id: z.id.clone(),
                    name: z.name.clone(),
                })
                .collect(),
            departments: p
                .departments
                .iter()
                .map(|d| DepartmentView {
                    id: d.id.clone(),
                    name: d.name.clone(),
                    name_en: d.name_en.clone(),
                    kind: d.kind,
                })
                .collect(),
            queues: self.queue_views(now),
            windows: p
                .windows
                .iter()
                .map(|w| WindowPlanView {
                    number: w.number,
                    name: w.name.clone(),
                    kind: w.kind,
                    zone: w.zone.clone(),
                    queues: w.queues().cloned().collect(),
                })
                .collect(),
            texts: p.texts.clone(),
            rating_reasons: p.rules.rating_reasons.clone(),
        }
    }

    pub fn snapshot(&self, seq: u64, now: Timestamp) -> Snapshot {
        Snapshot {
            kind: "snapshot",
            seq,
            at: rfc3339(now, &self.plan.rules.tz),
            service_day: self.day.to_string(),
            windows: self
                .plan
                .windows
                .iter()
                .filter_map(|w| self.window_view(w.number))
                .collect(),
            queues: self.queue_views(now),
            recent_calls: self.recent_calls.iter().rev().cloned().collect(),
        }
    }
}
