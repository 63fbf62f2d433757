//! Running a report: read the rows on a read-only connection and fold them. Blocking: call
//! from `spawn_blocking`, never on the engine's thread or a tokio worker.

use std::collections::{BTreeMap, HashMap};

use jiff::Timestamp;
use jiff::civil::Date;

use super::appointments::{AppointmentsBy, AppointmentsReport, BookingFact};
use super::appraisal::{Appraisal, ClerkMonth, QueueMeans, Weights, appraise};
use super::attendance::attendance;
use super::stats::{ms_to_s, seconds_between};
use super::waits::{WaitsBuilder, WaitsReport};
use super::{GroupBy, appraisal};
use crate::domain::Plan;
use crate::store::reports::{self as sql, ActionCount, WindowEventRow};
use crate::store::{Reader, ReportView, Result, StoreError};

/// Start of `from` to start of the day after `to`, in the hall's time zone, as milliseconds.
fn span_ms(plan: &Plan, from: Date, to: Date) -> Result<(i64, i64)> {
    let start = |d: Date| {
        plan.rules
            .tz
            .to_timestamp(d.to_datetime(jiff::civil::Time::midnight()))
            .map(|t| t.as_millisecond())
            .map_err(|e| StoreError::Other(e.to_string()))
    };
    let next = to
        .tomorrow()
        .map_err(|e| StoreError::Other(e.to_string()))?;
    Ok((start(from)?, start(next)?))
}

/// Events that bear on who worked when: window events and ticket actions of the span.
fn window_rows(
    c: &ReportView<'_>,
    from_ms: i64,
    to_ms: i64,
) -> Result<(Vec<WindowEventRow>, Vec<ActionCount>)> {
    Ok((
        c.window_events(from_ms, to_ms)?,
        c.clerk_actions(from_ms, to_ms)?,
    ))
}

/// Where presence still open at the end of the events is closed: now for a day in progress,
/// the last event for a day the clock has not reached (a simulated or a clock-stepped day),
/// never past the end of the span.
fn presence_until(events: &[WindowEventRow], now_ms: i64, to_ms: i64) -> i64 {
    let last = events.iter().map(|e| e.at_ms).max().unwrap_or(now_ms);
    to_ms.min(now_ms.max(last))
}

fn names(c: &ReportView<'_>) -> Result<HashMap<String, String>> {
    Ok(c.staff_names()?
        .into_iter()
        .map(|s| (s.username, s.name))
        .collect())
}

/// The waits report for the service days `from..=to`.
pub fn waits(
    reader: &Reader,
    plan: &Plan,
    by: GroupBy,
    from: Date,
    to: Date,
    now: Timestamp,
) -> Result<WaitsReport> {
    let (from_ms, to_ms) = span_ms(plan, from, to)?;
    let (f, t) = (from.to_string(), to.to_string());
    reader.report(|c| {
        let mut b = WaitsBuilder::new(plan, by);
        c.ticket_facts_as(&f, &t, b.needs_priority(), |fact| b.add_ticket(fact))?;
        let joins = sql::RatingJoins {
            issue_time: b.needs_issue_time(),
            priority: b.needs_priority(),
            follow_up: false,
        };
        c.rating_facts(&f, &t, joins, |r| b.add_rating(r))?;
        if b.needs_presence() {
            let (events, actions) = window_rows(c, from_ms, to_ms)?;
            for a in &actions {
                b.add_action(a);
            }
            let until = presence_until(&events, now.as_millisecond(), to_ms);
            for ((window, clerk), p) in attendance(&events, from_ms, until) {
                b.add_presence(window, &clerk, p);
            }
        }
        Ok(b.finish(&f, &t, &names(c)?))
    })
}

#[derive(Default)]
struct ClerkAcc {
    month: ClerkMonth,
    service_sum: u64,
    services: u64,
    mix: HashMap<String, u64>,
}

/// The staff appraisal of the month that starts on `first` (a first day of a month).
pub fn staff_appraisal(
    reader: &Reader,
    plan: &Plan,
    weights: &Weights,
    first: Date,
    now: Timestamp,
) -> Result<Appraisal> {
    let last = first.last_of_month();
    let (from_ms, to_ms) = span_ms(plan, first, last)?;
    let (f, t) = (first.to_string(), last.to_string());
    let target = plan.rules.wait_target_s;
    reader.report(|c| {
        let mut clerks: BTreeMap<String, ClerkAcc> = BTreeMap::new();
        let mut means = QueueMeans::default();
        c.ticket_facts(&f, &t, |x| {
            if x.state != "done" {
                return;
            }
            let service = match (x.started_ms.or(x.called_ms), x.finished_ms) {
                (Some(a), Some(b)) => Some(seconds_between(a, b)),
                _ => None,
            };
            if let Some(s) = service {
                means.add(x.queue, s);
            }
            let Some(clerk) = x.clerk else { return };
            let acc = match clerks.get_mut(clerk) {
                Some(a) => a,
                None => clerks.entry(clerk.to_string()).or_default(),
            };
            acc.month.served += 1;
            if let Some(s) = service {
                acc.service_sum += u64::from(s);
                acc.services += 1;
                match acc.mix.get_mut(x.queue) {
                    Some(n) => *n += 1,
                    None => {
                        acc.mix.insert(x.queue.to_string(), 1);
                    }
                }
            }
            if let Some(called) = x.first_called_ms {
                acc.month.waits += 1;
                if seconds_between(x.issued_ms, called) > target {
                    acc.month.over_target += 1;
                }
            }
        })?;
        let joins = sql::RatingJoins {
            issue_time: false,
            priority: false,
            follow_up: true,
        };
        c.rating_facts(&f, &t, joins, |r| {
            let Some(clerk) = r.clerk else { return };
            let m = &mut clerks.entry(clerk.to_string()).or_default().month;
            m.rated += 1;
            match r.level {
                "very_satisfied" | "satisfied" => m.satisfied += 1,
                "dissatisfied" | "very_dissatisfied" => {
                    m.bad_ratings += 1;
                    if r.follow_up_state == Some("closed") {
                        m.bad_closed += 1;
                        if r.follow_up_result
                            .is_some_and(|res| weights.excused_results.iter().any(|x| x == res))
                        {
                            m.bad_excused += 1;
                        }
                    } else {
                        m.bad_open += 1;
                    }
                }
                _ => {}
            }
        })?;
        let (events, actions) = window_rows(c, from_ms, to_ms)?;
        for a in actions {
            let Some(clerk) = a.actor.strip_prefix("staff:") else {
                continue;
            };
            let m = &mut clerks.entry(clerk.to_string()).or_default().month;
            match a.kind.as_str() {
                "ticket.no_show" => m.no_show += a.count,
                "ticket.transferred" => m.transferred += a.count,
                _ => {}
            }
        }
        let until = presence_until(&events, now.as_millisecond(), to_ms);
        for ((_, clerk), p) in attendance(&events, from_ms, until) {
            let m = &mut clerks.entry(clerk).or_default().month;
            m.signed_in_s += ms_to_s(p.signed_in_ms);
            m.pause_s += ms_to_s(p.paused_ms);
        }
        let staff: HashMap<String, sql::StaffName> = c
            .staff_names()?
            .into_iter()
            .map(|s| (s.username.clone(), s))
            .collect();
        let months: Vec<ClerkMonth> = clerks
            .into_iter()
            .map(|(username, acc)| {
                let mut m = acc.month;
                let account = staff.get(&username);
                m.name = account.map_or_else(|| username.clone(), |s| s.name.clone());
                m.clerk = account.is_none_or(|s| s.role == "clerk");
                m.username = username;
                m.service_mean_s = (acc.services > 0)
                    .then(|| ((acc.service_sum + acc.services / 2) / acc.services) as u32);
                m.expected_service_s = means.expected(&acc.mix);
                m
            })
            .collect();
        let (ranked, unranked) = appraisal::ranked_and_not(months);
        Ok(Appraisal {
            month: format!("{:04}-{:02}", first.year(), first.month()),
            from: f.clone(),
            to: t.clone(),
            wait_target_s: target,
            weights: weights.clone(),
            excellent_count: appraisal::excellent_count(ranked.len(), weights.excellent_percent),
            total: appraisal::total(&ranked),
            rows: appraise(ranked, weights),
            unranked,
        })
    })
}

/// The appointments report for the service days `from..=to`.
pub fn appointments(
    reader: &Reader,
    plan: &Plan,
    by: AppointmentsBy,
    from: Date,
    to: Date,
) -> Result<AppointmentsReport> {
    reader.report(|c| {
        let facts: Vec<BookingFact> = c
            .bookings_between(from, to)?
            .into_iter()
            .map(|(booking, first_called_at)| BookingFact {
                booking,
                first_called_at,
            })
            .collect();
        Ok(super::appointments::report(
            plan,
            by,
            &from.to_string(),
            &to.to_string(),
            &facts,
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(at_ms: i64) -> WindowEventRow {
        WindowEventRow {
            seq: 1,
            at_ms,
            kind: "window.signed_in".into(),
            window: 1,
            clerk: Some("a".into()),
        }
    }

    #[test]
    fn presence_closes_at_now_or_at_the_last_event() {
        // A day in progress: now.
        assert_eq!(presence_until(&[ev(100)], 500, 1000), 500);
        // A day the clock has not reached (simulated ahead, or the clock stepped back).
        assert_eq!(presence_until(&[ev(100), ev(700)], 50, 1000), 700);
        // A past day: its end.
        assert_eq!(presence_until(&[ev(100)], 5000, 1000), 1000);
        assert_eq!(presence_until(&[], 50, 1000), 50);
    }
}
