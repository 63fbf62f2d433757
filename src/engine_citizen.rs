//! The citizen's doors that take more than one step, each one `EngineHandle` method so that
//! its handler calls one thing: the phone page (today's hall, else an earlier day's stored
//! ticket shown with today's plan), cancelling from it, and rating (an earlier day's ticket
//! brings its stored row; a resend with a key of a rating already stored is answered from the
//! store). The steps are the engine's commands, the read model and read-only store queries;
//! nothing here decides what the hall does.

use crate::domain::DomainError;
use crate::domain::hall::{Actor, Command, RateTarget};
use crate::domain::rating::RatingLevel;
use crate::domain::ticket::{Ticket, TicketId};
use crate::domain::view::PublicTicket;
use crate::store::StoreError;

use super::{EngineError, EngineHandle, Outcome};

/// A rating as a citizen or an evaluator sends it.
#[derive(Debug, Clone)]
pub struct Rating {
    pub ticket: RateTarget,
    pub level: RatingLevel,
    pub reasons: Vec<String>,
    pub comment: Option<String>,
    /// The sender's idempotency key: an identical resend is answered, not refused.
    pub keyed: bool,
}

/// What a rating did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rated {
    /// Stored now.
    New {
        ticket: TicketId,
        follow_up: Option<i64>,
    },
    /// Already stored, identical: nothing stored this time.
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
    /// from the phone) is rated with its stored row; a keyed resend of the stored rating is
    /// `Replayed`, any other second rating `already_rated`.
    pub async fn rate(&self, actor: Actor, r: Rating) -> Result<Rated, EngineError> {
        let command = |earlier: Option<Box<Ticket>>| Command::Rate {
            ticket: r.ticket.clone(),
            level: r.level,
            reasons: r.reasons.clone(),
            comment: r.comment.clone(),
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
            Err(EngineError::Domain(DomainError::AlreadyRated)) if r.keyed => {
                let (archive, target) = (self.archive.clone(), r.ticket.clone());
                match blocking(move || archive.rating_of(&target)).await? {
                    Some((stored, follow_up)) if same_rating(&stored, &r) => Ok(Rated::Replayed {
                        ticket: TicketId(stored.ticket_id),
                        follow_up,
                    }),
                    _ => Err(DomainError::AlreadyRated.into()),
                }
            }
            Err(e) => Err(e),
        }
    }
}

/// Whether a stored rating is `r` as the hall stored it (reasons and comment trimmed, blank
/// ones dropped).
fn same_rating(stored: &crate::store::feedback::RatingRow, r: &Rating) -> bool {
    let reasons: Vec<&str> = r
        .reasons
        .iter()
        .map(|x| x.trim())
        .filter(|x| !x.is_empty())
        .collect();
    let comment = r
        .comment
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    stored.level == r.level && stored.reasons == reasons && stored.comment.as_deref() == comment
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
