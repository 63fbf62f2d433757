//! Appointments (预约) and extended hours (延时服务), pure: the slot table of a queue on a day,
//! capacity, the check-in window (early/late), the miss rule (爽约限制), check-in codes, and
//! the book of bookings with its indexes and changed rows. Time comes in as `now`, randomness
//! (tokens, code entropy) with the command. Issuing the check-in ticket is the hall's job
//! (`hall/appointments.rs`); this module never touches tickets.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use jiff::Timestamp;
use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use super::error::DomainError;
use super::ticket::TicketId;

/// Opening spans of one day, `[from, to)`.
pub type Spans = Vec<(Time, Time)>;

/// A queue's appointment table (config `[queues.appointments]`).
#[derive(Debug, Clone, PartialEq)]
pub struct AppointmentPlan {
    pub slot_minutes: u32,
    /// Bookings per slot (return visits for 补办件 come on top).
    pub capacity: u32,
    /// When set, `capacity` is this percentage of `staffed_places` (config
    /// `staffed_percent`), the rest of each slot left for walk-ins.
    pub staffed_percent: Option<u32>,
    /// Slots (by start) that take fewer than `capacity` because the staffing rota has some of
    /// the queue's windows away then (lunch): the same percentage of the windows still there.
    pub reduced: Vec<(Time, u32)>,
    /// How many days ahead a slot may be booked (today counts as 0).
    pub days_ahead: u32,
    /// Check-in opens this many minutes before the slot starts.
    pub early_minutes: u32,
    /// Check-in closes this many minutes after the slot starts; later the booking is missed.
    pub late_minutes: u32,
    /// Ordinary slot spans by weekday, Monday first.
    pub hours: [Spans; 7],
    /// Extended-hours (延时服务) spans after closing, by weekday, Monday first.
    pub extended: [Spans; 7],
    /// The one-time notice (一次性告知): what to bring.
    pub notice: Option<String>,
}

/// Repeated misses suspend online booking (爽约限制). `misses == 0` turns it off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MissRule {
    pub misses: u32,
    pub within_days: u32,
    pub suspend_days: u32,
}

/// How checked-in appointments are called (`[appointments] ratio, due_minutes,
/// call_ahead_minutes`; routing's `CallingRules`). The default keeps the green channel's
/// ratio, no due rule and no call-ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AppointmentCalling {
    /// Appointment calls in a row while walk-ins of the tier wait; `None`: the green
    /// channel's ratio.
    pub ratio: Option<u32>,
    /// An appointment owed a call this long (from the later of slot start and check-in) is
    /// called even on the ratio's walk-in turn; 0 = never.
    pub due_s: u32,
    /// A checked-in booking is called as an appointment from this long before its slot
    /// starts (0 = from slot start).
    pub ahead_s: u32,
}

/// One bookable slot of a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub start: Time,
    pub end: Time,
    pub extended: bool,
}

fn weekday_index(d: Date) -> usize {
    match d.weekday() {
        Weekday::Monday => 0,
        Weekday::Tuesday => 1,
        Weekday::Wednesday => 2,
        Weekday::Thursday => 3,
        Weekday::Friday => 4,
        Weekday::Saturday => 5,
        Weekday::Sunday => 6,
    }
}

/// Cut `spans` into whole slots of `minutes`; a remainder shorter than a slot is dropped.
pub fn cut(spans: &[(Time, Time)], minutes: u32, extended: bool) -> Vec<Slot> {
    let step = jiff::SignedDuration::from_mins(i64::from(minutes.max(1)));
    let mut out = Vec::new();
    for &(from, to) in spans {
        let mut start = from;
        while let Ok(end) = start.checked_add(step) {
            if end > to || end <= start {
                break;
            }
            out.push(Slot {
                start,
                end,
                extended,
            });
            start = end;
        }
    }
    out
}

impl AppointmentPlan {
    /// The slots of `day`, ordinary then extended, in time order.
    pub fn slots(&self, day: Date) -> Vec<Slot> {
        let w = weekday_index(day);
        let mut s = cut(&self.hours[w], self.slot_minutes, false);
        s.extend(cut(&self.extended[w], self.slot_minutes, true));
        s.sort_by_key(|x| x.start);
        s
    }

    /// Bookings the slot starting at `start` takes (return visits come on top).
    pub fn capacity_at(&self, start: Time) -> u32 {
        self.reduced
            .iter()
            .find(|(t, _)| *t == start)
            .map_or(self.capacity, |&(_, c)| c)
    }

    /// The slot of `day` that starts at `start`.
    pub fn slot_at(&self, day: Date, start: Time) -> Option<Slot> {
        self.slots(day).into_iter().find(|s| s.start == start)
    }

    /// Whether `local` falls inside an extended slot span of `day`.
    pub fn in_extended(&self, day: Date, local: Time) -> bool {
        self.extended[weekday_index(day)]
            .iter()
            .any(|&(f, t)| f <= local && local < t)
    }
}

/// Where a booking is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BookingState {
    Booked,
    CheckedIn,
    Cancelled,
    Missed,
}

impl BookingState {
    pub fn as_str(self) -> &'static str {
        match self {
            BookingState::Booked => "booked",
            BookingState::CheckedIn => "checked_in",
            BookingState::Cancelled => "cancelled",
            BookingState::Missed => "missed",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [
            BookingState::Booked,
            BookingState::CheckedIn,
            BookingState::Cancelled,
            BookingState::Missed,
        ]
        .into_iter()
        .find(|b| b.as_str() == s)
    }
    /// Holds a place (and its code) in the slot.
    pub fn is_active(self) -> bool {
        matches!(self, BookingState::Booked | BookingState::CheckedIn)
    }
}

/// Booking id.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(transparent)]
pub struct BookingId(pub i64);

/// One booking (one row in the store).
#[derive(Debug, Clone, PartialEq)]
pub struct Booking {
    pub id: BookingId,
    pub token: String,
    /// 6-digit check-in code, unique among the day's active bookings.
    pub code: String,
    pub queue: String,
    pub day: Date,
    pub start: Time,
    pub end: Time,
    pub extended: bool,
    /// A return visit for 补办件: outside the slot's capacity.
    pub protected: bool,
    pub state: BookingState,
    /// Keyed hash of the ID number, as tickets keep it.
    pub id_hash: String,
    pub id_last4: String,
    pub phone: Option<String>,
    pub external_id: Option<String>,
    pub booked_by: String,
    pub booked_at: Timestamp,
    pub checked_in_at: Option<Timestamp>,
    pub ticket: Option<TicketId>,
    /// Where a return visit was booked and what the citizen must bring (`None` for ordinary
    /// bookings and for return visits stored before this was kept).
    pub return_of: Option<ReturnOrigin>,
}

/// The visit a 补办件 return comes from: the window that booked it and the documents the
/// clerk listed (一次性告知), shown on that window's screen and printed on the slip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnOrigin {
    pub window: u32,
    pub documents: String,
}

impl Booking {
    /// When its slot starts, on the hall's clock.
    pub fn slot_start(&self, tz: &TimeZone) -> Timestamp {
        instant(tz, self.day, self.start).unwrap_or(Timestamp::MAX)
    }
}

/// The instant of a local day and time in the hall's zone.
pub fn instant(tz: &TimeZone, day: Date, time: Time) -> Option<Timestamp> {
    tz.to_timestamp(day.to_datetime(time)).ok()
}

/// Where `now` stands against a booking's check-in window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckInWindow {
    /// Too early: check-in opens at this instant.
    TooEarly(Timestamp),
    Open,
    TooLate,
}

/// `[slot start - early, slot start + late]`, both ends included.
pub fn check_in_window(
    slot_start: Timestamp,
    early_minutes: u32,
    late_minutes: u32,
    now: Timestamp,
) -> CheckInWindow {
    let opens = slot_start
        .checked_sub(jiff::SignedDuration::from_mins(i64::from(early_minutes)))
        .unwrap_or(Timestamp::MIN);
    let closes = late_deadline(slot_start, late_minutes);
    if now < opens {
        CheckInWindow::TooEarly(opens)
    } else if now > closes {
        CheckInWindow::TooLate
    } else {
        CheckInWindow::Open
    }
}

/// The last instant a booking may still check in.
pub fn late_deadline(slot_start: Timestamp, late_minutes: u32) -> Timestamp {
    slot_start
        .checked_add(jiff::SignedDuration::from_mins(i64::from(late_minutes)))
        .unwrap_or(Timestamp::MAX)
}

/// Whether a person with these missed days is suspended on `today`: `misses` within any
/// `within_days` suspend booking for `suspend_days` after the last of them.
pub fn suspended_until(rule: MissRule, missed_days: &[Date]) -> Option<Date> {
    if rule.misses == 0 {
        return None;
    }
    let mut days = missed_days.to_vec();
    days.sort();
    let n = rule.misses as usize;
    let mut until: Option<Date> = None;
    for i in (n - 1)..days.len() {
        let span = (days[i] - days[i + 1 - n]).get_days();
        if span < rule.within_days as i32 {
            let end = days[i]
                .checked_add(jiff::Span::new().days(i64::from(rule.suspend_days)))
                .unwrap_or(days[i]);
            until = until.max(Some(end));
        }
    }
    until
}

/// A 6-digit code from entropy, the `attempt`-th candidate (splitmix64 steps).
pub fn code_candidate(entropy: u64, attempt: u64) -> String {
    let mut z = entropy.wrapping_add(attempt.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    format!("{:06}", z % 1_000_000)
}

/// Every booking the hall keeps in memory: the active ones of any day and the recent rest
/// (for the miss rule), with indexes and the rows changed since the last commit.
/// The rows and indexes are shared copy-on-write, so the read model's copy of the hall costs
/// one reference count here.
#[derive(Debug, Default, Clone)]
pub struct Bookings {
    rows: Arc<Rows>,
    next_id: i64,
    touched: BTreeSet<BookingId>,
    /// Changed rows already forgotten from memory, still to be written.
    evicted: Vec<Booking>,
}

impl Bookings {
    /// From stored rows; `next_id` is one past the highest stored id.
    pub fn restore(rows: Vec<Booking>, next_id: i64) -> Bookings {
        let mut b = Bookings {
            next_id: next_id.max(1),
            ..Bookings::default()
        };
        for row in rows {
            b.index(&row);
            Arc::make_mut(&mut b.rows).by_id.insert(row.id, row);
        }
        b
    }

    fn index(&mut self, row: &Booking) {
        Arc::make_mut(&mut self.rows)
            .by_token
            .insert(row.token.clone(), row.id);
        if let Some(e) = &row.external_id {
            Arc::make_mut(&mut self.rows)
                .by_external
                .insert(e.clone(), row.id);
        }
        if let Some(t) = row.ticket {
            Arc::make_mut(&mut self.rows).by_ticket.insert(t, row.id);
        }
    }

    pub fn next_id(&mut self) -> BookingId {
        let id = BookingId(self.next_id);
        self.next_id += 1;
        id
    }

    /// Add a new booking (already checked by the caller).
    pub fn insert(&mut self, row: Booking) {
        self.index(&row);
        self.touched.insert(row.id);
        Arc::make_mut(&mut self.rows).by_id.insert(row.id, row);
    }

    pub fn get(&self, id: BookingId) -> Option<&Booking> {
        self.rows.by_id.get(&id)
    }

    /// The booking, marked as changed.
    pub fn get_mut(&mut self, id: BookingId) -> Option<&mut Booking> {
        let b = Arc::make_mut(&mut self.rows).by_id.get_mut(&id)?;
        self.touched.insert(id);
        Some(b)
    }

    pub fn by_token(&self, token: &str) -> Option<&Booking> {
        self.rows
            .by_token
            .get(token)
            .and_then(|id| self.rows.by_id.get(id))
    }

    pub fn by_external(&self, external: &str) -> Option<&Booking> {
        self.rows
            .by_external
            .get(external)
            .and_then(|id| self.rows.by_id.get(id))
    }

    /// The booking a checked-in ticket came from.
    pub fn by_ticket(&self, ticket: TicketId) -> Option<&Booking> {
        self.rows
            .by_ticket
            .get(&ticket)
            .and_then(|id| self.rows.by_id.get(id))
    }

    /// Remember which ticket a check-in issued.
    pub fn link_ticket(&mut self, id: BookingId, ticket: TicketId) {
        Arc::make_mut(&mut self.rows).by_ticket.insert(ticket, id);
    }

    pub fn iter(&self) -> impl Iterator<Item = &Booking> {
        self.rows.by_id.values()
    }

    /// Places taken in a slot (active, not protected).
    pub fn taken(&self, queue: &str, day: Date, start: Time) -> u32 {
        self.iter()
            .filter(|b| b.queue == queue && b.day == day && b.start == start)
            .filter(|b| b.state.is_active() && !b.protected)
            .count() as u32
    }

    /// The person's active booking in that queue that day.
    pub fn active_of(&self, queue: &str, day: Date, id_hash: &str) -> Option<&Booking> {
        self.iter().find(|b| {
            b.queue == queue && b.day == day && b.id_hash == id_hash && b.state.is_active()
        })
    }

    /// A 6-digit code not used by an active booking of `day`.
    pub fn fresh_code(&self, day: Date, entropy: u64) -> Result<String, DomainError> {
        let used: BTreeSet<&str> = self
            .iter()
            .filter(|b| b.day == day && b.state.is_active())
            .map(|b| b.code.as_str())
            .collect();
        (0..10_000)
            .map(|a| code_candidate(entropy, a))
            .find(|c| !used.contains(c.as_str()))
            .ok_or(DomainError::SlotFull)
    }

    /// Days this person missed, for the miss rule.
    pub fn missed_days(&self, id_hash: &str) -> Vec<Date> {
        self.iter()
            .filter(|b| b.id_hash == id_hash && b.state == BookingState::Missed)
            .map(|b| b.day)
            .collect()
    }

    /// Booked (not checked in) bookings whose late allowance has run out at `now`.
    pub fn overdue(
        &self,
        tz: &TimeZone,
        late: impl Fn(&str) -> u32,
        now: Timestamp,
    ) -> Vec<BookingId> {
        self.iter()
            .filter(|b| b.state == BookingState::Booked)
            .filter(|b| now > late_deadline(b.slot_start(tz), late(&b.queue)))
            .map(|b| b.id)
            .collect()
    }

    /// Forget bookings of days before `keep_from` that are no longer active (they stay in the
    /// store); changed ones are still written by the next commit.
    pub fn forget_before(&mut self, keep_from: Date) {
        let old: Vec<BookingId> = self
            .iter()
            .filter(|b| b.day < keep_from && !b.state.is_active())
            .map(|b| b.id)
            .collect();
        for id in old {
            if let Some(b) = Arc::make_mut(&mut self.rows).by_id.remove(&id) {
                Arc::make_mut(&mut self.rows).by_token.remove(&b.token);
                if let Some(e) = &b.external_id {
                    Arc::make_mut(&mut self.rows).by_external.remove(e);
                }
                if let Some(t) = b.ticket {
                    Arc::make_mut(&mut self.rows).by_ticket.remove(&t);
                }
                if self.touched.remove(&id) {
                    self.evicted.push(b);
                }
            }
        }
    }

    /// Rows changed since the last call.
    pub fn take_changes(&mut self) -> Vec<Booking> {
        let mut out = std::mem::take(&mut self.evicted);
        out.extend(
            std::mem::take(&mut self.touched)
                .into_iter()
                .filter_map(|id| self.rows.by_id.get(&id).cloned()),
        );
        out
    }
}

/// The bookings by id and their indexes.
#[derive(Debug, Default, Clone)]
struct Rows {
    by_id: BTreeMap<BookingId, Booking>,
    by_token: HashMap<String, BookingId>,
    by_external: HashMap<String, BookingId>,
    by_ticket: HashMap<TicketId, BookingId>,
}

/// Mask an ID's tail for staff lists: `****1234`.
pub fn masked(last4: &str) -> String {
    format!("****{last4}")
}

#[cfg(test)]
#[path = "appointments_tests.rs"]
mod tests;

/// What the windows that serve `queue` first (its own department's windows; not those that
/// take it only when their own queues are empty) can serve in one slot: (windows, places).
/// A slot that takes more bookings than that cannot call them all on time, however the
/// calling order treats them. `None` when the queue takes no bookings.
pub fn staffed_places(plan: &super::plan::Plan, queue: &str) -> Option<(u32, u32)> {
    staffed_places_in(plan, queue, None)
}

/// `staffed_places` in the slot `[from, to)`: a window the staffing rota has away for more
/// than half of it (lunch) serves nobody there.
pub fn staffed_places_in(
    plan: &super::plan::Plan,
    queue: &str,
    slot: Option<(Time, Time)>,
) -> Option<(u32, u32)> {
    let q = plan.queue(queue)?;
    let ap = q.appointments.as_ref()?;
    let away = |n: u32, (from, to): (Time, Time)| {
        super::rota::of_window(plan, n).any(|a| {
            let overlap = a.to.min(to).duration_since(a.from.max(from));
            2 * overlap.as_secs() > to.duration_since(from).as_secs()
        })
    };
    let windows = plan
        .windows
        .iter()
        .filter(|w| w.tier_of(queue) == Some(0))
        .filter(|w| slot.is_none_or(|s| !away(w.number, s)))
        .count() as u32;
    let per_window = (ap.slot_minutes * 60) / q.service_s.max(1);
    Some((windows, windows * per_window))
}

/// `check-config`'s warnings: queues whose slots take more bookings than their own windows
/// can serve in a slot (the capacity should follow the staffing).
pub fn capacity_warnings(plan: &super::plan::Plan) -> Vec<String> {
    plan.queues
        .iter()
        .filter_map(|q| {
            let ap = q.appointments.as_ref()?;
            let (windows, places) = staffed_places(plan, &q.id)?;
            (ap.capacity > places).then(|| {
                format!(
                    "warning: [[queues]] {:?} appointments capacity = {} a {}-minute slot, but its {} own window(s) serve about {} in a slot at {} minutes each: bookings will wait past their slot",
                    q.id,
                    ap.capacity,
                    ap.slot_minutes,
                    windows,
                    places,
                    q.service_s / 60
                )
            })
        })
        .collect()
}
