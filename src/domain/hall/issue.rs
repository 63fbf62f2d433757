//! Issuing (取号), cancelling and reprinting tickets: real-name checks, quotas and hours.

use super::*;

impl Hall {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn issue(
        &mut self,
        actor: &Actor,
        queue: &str,
        priority: Priority,
        id_number: Option<String>,
        phone: Option<String>,
        token: String,
        now: Timestamp,
        events: &mut Vec<Event>,
    ) -> Result<Reply, DomainError> {
        require_issuer(actor)?;
        // Only a check-in issues an appointment ticket.
        if priority == Priority::Appointment {
            return Err(DomainError::InvalidPriority);
        }
        let plan = Arc::clone(&self.plan);
        let q = plan
            .queue(queue)
            .ok_or_else(|| DomainError::UnknownQueue(queue.to_string()))?;
        let id = match id_number
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(raw) => Some(IdNumber::parse(raw).ok_or(DomainError::InvalidIdNumber)?),
            None if q.real_name => return Err(DomainError::IdNumberRequired(q.id.clone())),
            None => None,
        };
        let phone = match phone.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(p) if valid_phone(p) => Some(p.to_string()),
            Some(_) => return Err(DomainError::InvalidPhone),
            None => None,
        };
        if let Some(reason) = self.refusal(q, now) {
            return Err(reason);
        }
        let id_hash = id.as_ref().map(|i| self.hash_id(i));
        if let Some(h) = &id_hash {
            let dup = self.tickets.values().any(|t| {
                t.queue == q.id && !t.state.is_final() && t.id_hash.as_deref() == Some(h.as_str())
            });
            if dup {
                return Err(DomainError::DuplicateTicket(q.id.clone()));
            }
        }
        let last4 = id.as_ref().map(|i| i.last4().to_string());
        let tid = self.push_ticket(
            q, priority, id_hash, last4, phone, token, actor, now, events,
        );
        Ok(Reply::Ticket(tid))
    }

    /// Number, store and announce a new waiting ticket (the checks are the caller's).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn push_ticket(
        &mut self,
        q: &QueuePlan,
        priority: Priority,
        id_hash: Option<String>,
        id_last4: Option<String>,
        phone: Option<String>,
        token: String,
        actor: &Actor,
        now: Timestamp,
        events: &mut Vec<Event>,
    ) -> TicketId {
        let seq = self.counters.get(&q.id).copied().unwrap_or(0) + 1;
        Arc::make_mut(&mut self.counters).insert(q.id.clone(), seq);
        self.touched_counters.insert(q.id.clone());
        let tid = self.tickets.next_id();
        let t = Ticket {
            id: tid,
            token,
            service_day: self.day,
            queue: q.id.clone(),
            original_queue: q.id.clone(),
            seq_no: seq,
            number: format_number(&q.prefix, seq, q.digits()),
            priority,
            state: TicketState::Waiting,
            issued_at: now,
            queue_key: now.as_millisecond(),
            target_window: None,
            window: None,
            first_called_at: None,
            called_at: None,
            started_at: None,
            finished_at: None,
            recall_count: 0,
            transfer_count: 0,
            outcome: None,
            note: None,
            id_hash,
            id_last4,
            phone,
            clerk: None,
            issued_by: actor.label(),
        };
        self.tickets.add(t);
        let t = self.tickets.get(tid).expect("just added");
        events.push(Event::TicketIssued {
            ticket: ticket_ref(t),
            department: q.department.clone(),
            waiting_ahead: self.waiting_ahead(t),
        });
        tid
    }

    /// Why `q` would refuse a ticket now, if it would.
    pub(super) fn refusal(&self, q: &QueuePlan, now: Timestamp) -> Option<DomainError> {
        let issued = self.counters.get(&q.id).copied().unwrap_or(0);
        if issued >= q.daily_quota {
            return Some(DomainError::QuotaExhausted(q.id.clone()));
        }
        if self.plan.rules.always_open {
            return None;
        }
        let local = self.plan.rules.tz.to_datetime(now).time();
        if local < q.opens || local >= q.last_issue {
            // 延时服务（仅预约） says why it is closed (appointments.rs).
            if let Some(e) = self.extended_refusal(q, now) {
                return Some(e);
            }
            return Some(DomainError::QueueClosed(q.id.clone()));
        }
        if let Some(band) = q.bands.iter().find(|b| b.from <= local && local < b.to) {
            let in_band = self
                .tickets
                .values()
                .filter(|t| t.original_queue == q.id && t.service_day == self.day)
                .filter(|t| {
                    let tl = self.plan.rules.tz.to_datetime(t.issued_at).time();
                    band.from <= tl && tl < band.to
                })
                .count();
            if in_band >= band.quota as usize {
                return Some(DomainError::QuotaExhausted(q.id.clone()));
            }
        }
        None
    }

    pub(super) fn hash_id(&self, id: &IdNumber) -> String {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.id_key)
            .expect("HMAC takes a key of any length");
        mac.update(id.as_str().as_bytes());
        hex(&mac.finalize().into_bytes())
    }

    pub(super) fn cancel(
        &mut self,
        token: &str,
        events: &mut Vec<Event>,
    ) -> Result<Reply, DomainError> {
        let id = self
            .tickets
            .by_token(token)
            .ok_or_else(|| DomainError::UnknownTicket("token".into()))?
            .id;
        let tref = ticket_ref(self.tickets.transition(id, TicketOp::Cancel, |_| {})?);
        // Only the count: a restart cannot tell how long a cancelled ticket waited.
        self.learned.record_wait(0.0, true);
        events.push(Event::TicketCancelled { ticket: tref });
        Ok(Reply::Ticket(id))
    }

    pub(super) fn reprint(
        &mut self,
        actor: &Actor,
        ticket: TicketId,
        events: &mut Vec<Event>,
    ) -> Result<Reply, DomainError> {
        require_issuer(actor)?;
        let t = self
            .tickets
            .get(ticket)
            .ok_or(DomainError::UnknownTicket(ticket.0.to_string()))?;
        events.push(Event::TicketReprinted {
            ticket: ticket_ref(t),
        });
        Ok(Reply::Ticket(ticket))
    }
}
