//! `hallq archive`: the hall's rules for which days may leave the live database, around the
//! store's copy-verify-delete (`store::archive`). A day may go once it is over in the hall's
//! time zone, its phone-rating period has passed, every ticket ended and every follow-up
//! closed (and, with an uplink, once the centre holds its events). Refuses while a server
//! holds the database.

use std::path::Path;

use jiff::civil::Date;

use super::lock::DbLock;
use crate::domain::Plan;
use crate::store::archive::{self, Cut, Moved};

/// Move the closed days before `before` from `db` to the archive file `to`; a sentence
/// saying what moved, or why nothing did.
pub fn run(
    db: &Path,
    to: &Path,
    before: Date,
    plan: &Plan,
    now: jiff::Timestamp,
) -> anyhow::Result<std::result::Result<Moved, String>> {
    let _lock = DbLock::acquire(db)?;
    let rules = &plan.rules;
    let cut = rules.tz.to_timestamp(before.at(0, 0, 0, 0))?;
    // Phone ratings of the last archived day may come in until its end plus the period.
    let ratable_until = cut.as_millisecond() + i64::from(rules.rating_period_s) * 1000;
    if ratable_until > now.as_millisecond() {
        let last = before.yesterday()?;
        return Ok(Err(format!(
            "{last} is not closed: citizens may still rate its services from their phones \
             (until {})",
            rules
                .tz
                .to_datetime(jiff::Timestamp::from_millisecond(ratable_until)?)
        )));
    }
    let cut = Cut {
        before: before.to_string(),
        cut_ms: cut.as_millisecond(),
        now_ms: now.as_millisecond(),
    };
    Ok(archive::archive(db, to, &cut)?.map_err(|why| why.to_string()))
}

/// What a run moved, in words.
pub fn describe(m: &Moved, to: &Path) -> String {
    match (&m.first_day, &m.last_day) {
        (Some(first), Some(last)) => format!(
            "archived {first} to {last} into {}: {} tickets, {} ratings, {} follow-ups, {} events \
             (copied, verified, then deleted from the live database; reports read them there)\n",
            to.display(),
            m.tickets,
            m.ratings,
            m.follow_ups,
            m.events
        ),
        _ => format!(
            "nothing to archive: no live day before the date ({} events moved)\n",
            m.events
        ),
    }
}
