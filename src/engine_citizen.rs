//! The citizen's doors that take more than one step, each one `EngineHandle` method so that
//! its handler calls one thing: the phone page (today's hall, else an earlier day's stored
//! ticket shown with today's plan), cancelling from it, and rating (an earlier day's ticket
//! brings its stored row; a resend with a key of a rating already stored is answered from the
//! store). The steps are the engine's commands, the read model and read-only store queries;
//! nothing here decides what the hall does.

use crate::domain::DomainError;
use crate::domain::hall::{Actor, Command, RateTarget};
use crate::domain::rating::{RatingLevel, Resend, normalized, resend_of};
use crate::domain::ticket::{Ticket, TicketId};
use crate::domain::view::PublicTicket;
use crate::store::{StoreError, StoredRating};

use super::{EngineError, EngineHandle, Outcome};

/// A rating as a citizen or an evaluator sends it.
#[derive(Debug, Clone)]
pub struct Rating {
    pub ticket: RateTarget,
    pub level: RatingLevel,
    pub reasons: Vec<String>,
    pub comment: Option<String>,
    /// The sender's idempotency key, stored with the rating: a resend with it is answered
    /// from the store, not refused.
    pub key: Option<String>,
}

/// What a rating did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rated {
    /// Stored now.
    New {
        ticket: TicketId,
        follow_up: Option<i64>,
    },
    /// Already stored with the same key, identical: nothing stored this time.
    Replayed {
        ticket: TicketId,
        follow_up: Option<i64>,
    },
}

impl EngineHandle {
    /// The phone page's ticket by its token: today's from the hall, an earlier day's from the
    /// store, shown with today's plan. `None`: no ticket has that token.
    pub async fn phone_ticket(&self, token: String) -> Result<Option<PublicTicket>, EngineError> {
        let live = self.read(|h, _, _| h.ticket_by_token(&token).map(|t| h.public_ticket(t)));
        if live.is_some() {
            return Ok(live);
        }
        let archive = self.archive.clone();
        let old = blocking(move || archive.ticket_by_token(&token)).await?;
        Ok(old.map(|t| self.read(|h, _, _| h.public_ticket(&t))))
    }

    /// Cancel a waiting ticket by its token (the phone page) and show it as cancelled.
    pub async fn cancel_by_token(
        &self,
        token: String,
    ) -> Result<Option<PublicTicket>, EngineError> {
        let id = match self
            .execute(Actor::Citizen, Command::Cancel { token })
            .await?
        {
            Outcome::Ticket(t) => t.id,
            other => {
                return Err(EngineError::Store(StoreError::Other(format!(
                    "cancel answered {other:?}"
                ))));
            }
        };
        Ok(self.read(|h, _, _| h.ticket(id).map(|t| h.public_ticket(t))))
    }

    /// Rate a finished visit. A ticket the hall no longer holds (an earlier day's, rated later
    /// from the phone) is rated with its stored row. A second rating sent with the key the
    /// stored one came with is `Replayed` when it says the same and `rating_key_reused` when
    /// not (`rating::resend_of`); any other second rating is `already_rated`.
    pub async fn rate(&self, actor: Actor, r: Rating) -> Result<Rated, EngineError> {
        let command = |earlier: Option<Box<Ticket>>| Command::Rate {
            ticket: r.ticket.clone(),
            level: r.level,
            reasons: r.reasons.clone(),
            comment: r.comment.clone(),
            key: r.key.clone(),
            earlier,
        };
        let mut result = self.execute(actor.clone(), command(None)).await;
        if let Err(EngineError::Domain(DomainError::UnknownTicket(_))) = &result {
            let (archive, target) = (self.archive.clone(), r.ticket.clone());
            if let Some(row) = blocking(move || archive.ticket_by_target(&target)).await? {
                result = self.execute(actor, command(Some(Box::new(row)))).await;
            }
        }
        match result {
            Ok(Outcome::Rated { ticket, follow_up }) => Ok(Rated::New { ticket, follow_up }),
            Ok(other) => Err(EngineError::Store(StoreError::Other(format!(
                "rating answered {other:?}"
            )))),
            Err(EngineError::Domain(DomainError::AlreadyRated)) if r.key.is_some() => {
                let (archive, target) = (self.archive.clone(), r.ticket.clone());
                let Some(StoredRating {
                    rating: stored,
                    key: stored_key,
                    follow_up,
                }) = blocking(move || archive.rating_of(&target)).await?
                else {
                    return Err(DomainError::AlreadyRated.into());
                };
                let (reasons, comment) = normalized(r.reasons.clone(), r.comment.clone());
                match resend_of(
                    stored_key.as_deref(),
                    (stored.level, &stored.reasons, stored.comment.as_deref()),
                    r.key.as_deref().unwrap_or_default(),
                    (r.level, &reasons, comment.as_deref()),
                ) {
                    Resend::Replay => Ok(Rated::Replayed {
                        ticket: TicketId(stored.ticket_id),
                        follow_up,
                    }),
                    Resend::KeyReused => Err(DomainError::RatingKeyReused.into()),
                    Resend::SecondRating => Err(DomainError::AlreadyRated.into()),
                }
            }
            Err(e) => Err(e),
        }
    }
}

/// A read-only store query off the async workers.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, EngineError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| EngineError::Store(StoreError::Other(format!("a store read failed: {e}"))))?
        .map_err(EngineError::from)
}
