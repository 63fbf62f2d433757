//! The reports' read view: one read-only connection held for the length of one report,
//! offering only typed queries (ticket, rating, window and booking facts, staff names, the
//! audit page). Reports fold what these return; the connection never leaves store/.

use jiff::Timestamp;
use jiff::civil::Date;
use rusqlite::Connection;

use super::audit::{self, AuditFilter, AuditPage};
use super::reports::{
    self, ActionCount, RatingFact, RatingJoins, StaffName, TicketFact, WindowEventRow,
};
use super::{Reader, Result};
use crate::domain::appointments::Booking;

/// A report's window on the database (see `Reader::report`).
pub struct ReportView<'c> {
    c: &'c Connection,
}

impl ReportView<'_> {
    /// Every ticket of the service days `from..=to` (`YYYY-MM-DD`), archived days included.
    pub fn ticket_facts(
        &self,
        from: &str,
        to: &str,
        each: impl FnMut(&TicketFact<'_>),
    ) -> Result<()> {
        reports::ticket_facts(self.c, from, to, each)
    }

    /// `ticket_facts`, with each ticket's priority when `priority`.
    pub fn ticket_facts_as(
        &self,
        from: &str,
        to: &str,
        priority: bool,
        each: impl FnMut(&TicketFact<'_>),
    ) -> Result<()> {
        reports::ticket_facts_as(self.c, from, to, priority, each)
    }

    /// Every rating of the service days `from..=to`, with the joins asked for.
    pub fn rating_facts(
        &self,
        from: &str,
        to: &str,
        joins: RatingJoins,
        each: impl FnMut(&RatingFact<'_>),
    ) -> Result<()> {
        reports::rating_facts(self.c, from, to, joins, each)
    }

    /// Sign-ins, sign-outs, pauses and resumes between the two instants, in order.
    pub fn window_events(&self, from_ms: i64, to_ms: i64) -> Result<Vec<WindowEventRow>> {
        reports::window_events(self.c, from_ms, to_ms)
    }

    /// No-shows and transfers per clerk and window between the two instants.
    pub fn clerk_actions(&self, from_ms: i64, to_ms: i64) -> Result<Vec<ActionCount>> {
        reports::clerk_actions(self.c, from_ms, to_ms)
    }

    /// Every account's display name and role, by username.
    pub fn staff_names(&self) -> Result<Vec<StaffName>> {
        reports::staff_names(self.c)
    }

    /// Bookings for the days `from..=to`, each with when its ticket was first called.
    pub fn bookings_between(
        &self,
        from: Date,
        to: Date,
    ) -> Result<Vec<(Booking, Option<Timestamp>)>> {
        super::appointments::between(self.c, from, to)
    }

    /// The ids of the tickets numbered `number` on service day `day`.
    pub fn tickets_numbered(&self, day: &str, number: &str) -> Result<Vec<i64>> {
        audit::tickets_numbered(self.c, day, number)
    }

    /// Every registered device's id and kind.
    pub fn device_kinds(&self) -> Result<Vec<(String, String)>> {
        audit::device_kinds(self.c)
    }

    /// One page of the audit trail matching `f`, from `offset`.
    pub fn audit_page(&self, f: &AuditFilter, offset: u64) -> Result<AuditPage> {
        audit::page(self.c, f, offset)
    }
}

impl Reader {
    /// Run one report over a read-only connection (blocking: call from `spawn_blocking`).
    pub fn report<T>(&self, f: impl FnOnce(&ReportView<'_>) -> Result<T>) -> Result<T> {
        self.with(|c| f(&ReportView { c }))
    }

    /// Every account's display name and role, by username.
    pub fn staff_names(&self) -> Result<Vec<StaffName>> {
        self.with(reports::staff_names)
    }
}
