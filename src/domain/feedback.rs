//! The hall's side of ratings (好差评) and follow-ups: the `Ratings` part (who rated, open
//! follow-ups, rows to commit), who may rate what, when, and what a bad rating sets going.
//! Types and code mappings live in `rating`.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use jiff::Timestamp;

use super::accounts::DeviceKind;
use super::error::DomainError;
use super::event::{Event, rfc3339};
use super::hall::{Actor, Hall, RateTarget, Reply, Role, ticket_ref};
use super::rating::{
    FollowUp, FollowUpResult, FollowUpState, Rating, RatingLevel, RatingSource,
    due_after_working_days,
};
use super::ticket::{Ticket, TicketId, TicketState};

/// Ratings and follow-ups, the hall's part: which tickets were rated, the follow-ups not
/// closed yet, and the rows new or changed since the last commit.
#[derive(Debug, Clone)]
pub struct Ratings {
    rated: Arc<HashSet<TicketId>>,
    follow_ups: Arc<BTreeMap<i64, FollowUp>>,
    next_follow_up_id: i64,
    new: Vec<Rating>,
    touched: Vec<FollowUp>,
}

impl Ratings {
    /// From the stored rows: tickets already rated, open follow-ups, the next follow-up id.
    pub(super) fn restore(rated: Vec<TicketId>, open: Vec<FollowUp>, next_id: i64) -> Ratings {
        Ratings {
            rated: Arc::new(rated.into_iter().collect()),
            follow_ups: Arc::new(open.into_iter().map(|f| (f.id, f)).collect()),
            next_follow_up_id: next_id.max(1),
            new: Vec::new(),
            touched: Vec::new(),
        }
    }

    pub(super) fn is_rated(&self, id: TicketId) -> bool {
        self.rated.contains(&id)
    }

    /// New ratings and changed follow-ups since the last call.
    pub(super) fn take_changes(&mut self) -> (Vec<Rating>, Vec<FollowUp>) {
        (
            std::mem::take(&mut self.new),
            std::mem::take(&mut self.touched),
        )
    }
}

impl Hall {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn rate(
        &mut self,
        actor: &Actor,
        target: RateTarget,
        level: RatingLevel,
        reasons: Vec<String>,
        comment: Option<String>,
        earlier: Option<Box<Ticket>>,
        now: Timestamp,
        events: &mut Vec<Event>,
    ) -> Result<Reply, DomainError> {
        let found = match &target {
            RateTarget::Id(id) => self.ticket(*id).cloned(),
            RateTarget::Token(tok) => self.ticket_by_token(tok).cloned(),
        };
        let matches_target = |t: &Ticket| match &target {
            RateTarget::Id(id) => t.id == *id,
            RateTarget::Token(tok) => &t.token == tok,
        };
        let t = found
            .or_else(|| earlier.map(|b| *b).filter(matches_target))
            .ok_or_else(|| {
                DomainError::UnknownTicket(match &target {
                    RateTarget::Id(id) => id.0.to_string(),
                    RateTarget::Token(_) => "token".into(),
                })
            })?;
        // Voluntary and by the citizen: the window's evaluator, or the token's holder.
        let source = match (actor, &target) {
            (
                Actor::Device {
                    kind: DeviceKind::Evaluator,
                    ..
                },
                _,
            ) => RatingSource::Evaluator,
            (Actor::Citizen, RateTarget::Token(_)) => RatingSource::Phone,
            _ => return Err(DomainError::Forbidden),
        };
        if t.state != TicketState::Done {
            return Err(DomainError::NotFinished);
        }
        if let Actor::Device { window, .. } = actor
            && (window.is_none() || *window != t.window)
        {
            return Err(DomainError::Forbidden);
        }
        if self.ratings.rated.contains(&t.id) {
            return Err(DomainError::AlreadyRated);
        }
        let finished = t.finished_at.unwrap_or(now);
        if now.as_second() - finished.as_second() > i64::from(self.plan.rules.rating_period_s) {
            return Err(DomainError::RatingClosed);
        }
        let reasons: Vec<String> = reasons
            .into_iter()
            .map(|r| r.trim().to_string())
            .filter(|r| !r.is_empty())
            .collect();
        let comment = comment
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty());
        if level.is_bad() && reasons.is_empty() && comment.is_none() {
            return Err(DomainError::ReasonRequired);
        }
        for text in &reasons {
            super::reason::plain_text(text)?;
        }
        // Reasons come from the hall's list (the evaluator and the phone page offer exactly
        // it); the citizen's own words go in the comment.
        let offered = &self.plan.rules.rating_reasons;
        if let Some(r) = reasons
            .iter()
            .find(|r| !offered.is_empty() && !offered.contains(r))
        {
            return Err(DomainError::UnknownRatingReason(r.clone()));
        }
        if let Some(c) = &comment {
            super::reason::plain_lines(c)?;
        }
        let department = self
            .plan
            .queue(&t.queue)
            .map(|q| q.department.clone())
            .unwrap_or_default();
        Arc::make_mut(&mut self.ratings.rated).insert(t.id);
        self.ratings.new.push(Rating {
            ticket: t.id,
            level,
            reasons,
            comment,
            source,
            window: t.window,
            clerk: t.clerk.clone(),
            queue: t.queue.clone(),
            department: department.clone(),
            service_day: t.service_day,
            rated_at: now,
        });
        events.push(Event::RatingSubmitted {
            ticket: ticket_ref(&t),
            window: t.window,
            level,
            source,
        });
        let mut follow_up = None;
        if level.is_bad() {
            let rules = &self.plan.rules;
            let id = self.ratings.next_follow_up_id;
            self.ratings.next_follow_up_id += 1;
            let due = due_after_working_days(now, rules.follow_up_days, rules.closes, &rules.tz);
            let f = FollowUp {
                id,
                ticket: t.id,
                department: department.clone(),
                opened_at: now,
                due_at: due,
                state: FollowUpState::Open,
                verification: None,
                result: None,
                note: None,
                closed_by: None,
                closed_at: None,
                appeal_by: None,
                appeal_note: None,
            };
            events.push(Event::FollowUpOpened {
                id,
                ticket: ticket_ref(&t),
                department,
                due_at: rfc3339(due, &rules.tz),
            });
            self.ratings.touched.push(f.clone());
            Arc::make_mut(&mut self.ratings.follow_ups).insert(id, f);
            follow_up = Some(id);
        }
        Ok(Reply::Rated {
            ticket: t.id,
            follow_up,
        })
    }

    pub(super) fn verify_follow_up(
        &mut self,
        actor: &Actor,
        id: i64,
        verification: String,
        events: &mut Vec<Event>,
    ) -> Result<Reply, DomainError> {
        require_manager(actor)?;
        let verification = verification.trim().to_string();
        if verification.is_empty() {
            return Err(DomainError::ReasonRequired);
        }
        let f = Arc::make_mut(&mut self.ratings.follow_ups)
            .get_mut(&id)
            .ok_or(DomainError::UnknownFollowUp(id))?;
        if f.state != FollowUpState::Open {
            return Err(DomainError::InvalidState {
                state: f.state.as_str(),
                op: "verify",
            });
        }
        f.state = FollowUpState::Verified;
        f.verification = Some(verification);
        self.ratings.touched.push(f.clone());
        events.push(Event::FollowUpVerified { id });
        Ok(Reply::FollowUp(id))
    }

    pub(super) fn close_follow_up(
        &mut self,
        actor: &Actor,
        id: i64,
        result: FollowUpResult,
        note: Option<String>,
        now: Timestamp,
        events: &mut Vec<Event>,
    ) -> Result<Reply, DomainError> {
        require_manager(actor)?;
        let f = Arc::make_mut(&mut self.ratings.follow_ups)
            .get_mut(&id)
            .ok_or(DomainError::UnknownFollowUp(id))?;
        if f.state != FollowUpState::Verified {
            return Err(DomainError::InvalidState {
                state: f.state.as_str(),
                op: "close",
            });
        }
        let note = note.map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
        if result == FollowUpResult::Appealed {
            // An appeal excuses a bad rating in the appraisal: one manager files it with its
            // grounds, a second one decides (`decide_appeal`).
            let grounds = note.ok_or(DomainError::ReasonRequired)?;
            super::reason::plain_lines(&grounds)?;
            f.state = FollowUpState::Appealing;
            f.appeal_by = Some(actor.label());
            f.appeal_note = Some(grounds);
            self.ratings.touched.push(f.clone());
            events.push(Event::FollowUpAppealed { id });
            return Ok(Reply::FollowUp(id));
        }
        f.state = FollowUpState::Closed;
        f.result = Some(result);
        f.note = note;
        f.closed_by = Some(actor.label());
        f.closed_at = Some(now);
        let closed = f.clone();
        // Closed ones are kept on disk only.
        Arc::make_mut(&mut self.ratings.follow_ups).remove(&id);
        self.ratings.touched.push(closed);
        events.push(Event::FollowUpClosed { id, result });
        Ok(Reply::FollowUp(id))
    }

    /// A second manager approves an appeal (closed as `appealed`: the appraisal excuses the
    /// rating) or rejects it (back to verified, to be rectified or explained; `note` required).
    /// The manager who filed it cannot decide it (`second_manager_required`).
    pub(super) fn decide_appeal(
        &mut self,
        actor: &Actor,
        id: i64,
        approve: bool,
        note: Option<String>,
        now: Timestamp,
        events: &mut Vec<Event>,
    ) -> Result<Reply, DomainError> {
        require_manager(actor)?;
        let note = note.map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
        if let Some(n) = &note {
            super::reason::plain_lines(n)?;
        }
        let f = Arc::make_mut(&mut self.ratings.follow_ups)
            .get_mut(&id)
            .ok_or(DomainError::UnknownFollowUp(id))?;
        if f.state != FollowUpState::Appealing {
            return Err(DomainError::InvalidState {
                state: f.state.as_str(),
                op: "decide_appeal",
            });
        }
        if f.appeal_by.as_deref() == Some(actor.label().as_str()) {
            return Err(DomainError::SecondManagerRequired);
        }
        if !approve && note.is_none() {
            return Err(DomainError::ReasonRequired);
        }
        events.push(Event::FollowUpAppealDecided {
            id,
            approved: approve,
            note: note.clone(),
        });
        if !approve {
            f.state = FollowUpState::Verified;
            // The rejection's grounds; `appeal_by` stays, so screens can say it was rejected.
            f.note = note;
            self.ratings.touched.push(f.clone());
            return Ok(Reply::FollowUp(id));
        }
        f.state = FollowUpState::Closed;
        f.result = Some(FollowUpResult::Appealed);
        f.note = f.appeal_note.clone();
        f.closed_by = Some(actor.label());
        f.closed_at = Some(now);
        let closed = f.clone();
        Arc::make_mut(&mut self.ratings.follow_ups).remove(&id);
        self.ratings.touched.push(closed);
        events.push(Event::FollowUpClosed {
            id,
            result: FollowUpResult::Appealed,
        });
        Ok(Reply::FollowUp(id))
    }

    /// A follow-up still open or verified, as kept in memory.
    pub fn follow_up(&self, id: i64) -> Option<&FollowUp> {
        self.ratings.follow_ups.get(&id)
    }
}

fn require_manager(actor: &Actor) -> Result<(), DomainError> {
    match actor {
        Actor::Staff {
            role: Role::Manager | Role::Admin,
            ..
        } => Ok(()),
        _ => Err(DomainError::Forbidden),
    }
}
