//! Config of appointments (预约) and extended hours (延时服务): the per-queue
//! `[queues.appointments]` table, the hall-wide `[appointments]` miss rule, and their
//! validation into the domain's `AppointmentPlan` / `MissRule`. A child of `config`.

use jiff::civil::Time;
use serde::Deserialize;

use crate::domain::appointments::{
    AppointmentCalling, AppointmentPlan, MissRule, Spans, cut, staffed_places, staffed_places_in,
};
use crate::domain::plan::{Band, Plan};

/// Spans per weekday, e.g. `mon = ["09:00-12:00", "13:30-17:00"]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WeekSection {
    pub mon: Vec<String>,
    pub tue: Vec<String>,
    pub wed: Vec<String>,
    pub thu: Vec<String>,
    pub fri: Vec<String>,
    pub sat: Vec<String>,
    pub sun: Vec<String>,
}

impl WeekSection {
    fn days(&self) -> [&Vec<String>; 7] {
        [
            &self.mon, &self.tue, &self.wed, &self.thu, &self.fri, &self.sat, &self.sun,
        ]
    }
}

/// `[queues.appointments]`: the queue takes bookings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueAppointmentsSection {
    /// Length of one slot, minutes.
    pub slot_minutes: u32,
    /// Bookings per slot (return visits for 补办件 come on top). Give this or `staffed_percent`.
    #[serde(default)]
    pub capacity: Option<u32>,
    /// Bookings per slot as this percentage of what the queue's own windows serve in a slot
    /// (`staffed_places`); the rest of each slot stays for walk-ins.
    #[serde(default)]
    pub staffed_percent: Option<u32>,
    /// How many days ahead a citizen may book (0 = today only).
    pub days_ahead: u32,
    /// Check-in opens this many minutes before the slot.
    #[serde(default = "default_early")]
    pub early_minutes: u32,
    /// Check-in closes this many minutes after the slot starts; later the booking is missed.
    #[serde(default = "default_late")]
    pub late_minutes: u32,
    /// Ordinary slot spans by weekday; they must lie inside the queue's hours.
    pub hours: WeekSection,
    /// Extended-hours (延时服务) spans after closing, appointments only.
    #[serde(default)]
    pub extended: WeekSection,
    /// The one-time notice (一次性告知): what to bring.
    pub notice: Option<String>,
}

fn default_early() -> u32 {
    30
}
fn default_late() -> u32 {
    15
}

/// `[appointments]`: hall-wide rules. Repeated misses suspend online booking (爽约限制).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AppointmentsSection {
    /// Misses within `miss_within_days` that suspend booking; 0 turns the rule off.
    pub miss_limit: u32,
    pub miss_within_days: u32,
    /// Days booking stays suspended after the last of those misses.
    pub suspend_days: u32,
    /// Appointment calls a window may make in a row while walk-ins of the same tier wait;
    /// unset: `[hall] green_channel_ratio` (0 = no limit).
    pub ratio: Option<u32>,
    /// A checked-in appointment owed a call this many minutes (from the later of its slot
    /// start and its check-in) is called even on the ratio's walk-in turn; 0 = never.
    pub due_minutes: u32,
    /// A checked-in booking is called as an appointment (before walk-ins) from this many
    /// minutes before its slot starts; 0 = from slot start.
    pub call_ahead_minutes: u32,
}

impl Default for AppointmentsSection {
    fn default() -> Self {
        AppointmentsSection {
            miss_limit: 3,
            miss_within_days: 30,
            suspend_days: 30,
            ratio: None,
            due_minutes: 5,
            call_ahead_minutes: 0,
        }
    }
}

type Fault = (&'static str, String);

impl AppointmentsSection {
    /// The miss rule, checked.
    pub fn rule(&self) -> Result<MissRule, Fault> {
        if self.miss_limit > 0 && self.miss_within_days == 0 {
            return Err(("miss_within_days", "must be at least 1".into()));
        }
        if self.miss_within_days + self.suspend_days > 365 {
            return Err((
                "suspend_days",
                "miss_within_days + suspend_days must be at most 365".into(),
            ));
        }
        Ok(MissRule {
            misses: self.miss_limit,
            within_days: self.miss_within_days,
            suspend_days: self.suspend_days,
        })
    }
}

impl AppointmentsSection {
    /// How appointments pass the anti-starvation ratio, checked.
    pub fn calling(&self) -> Result<AppointmentCalling, Fault> {
        if self.due_minutes > 60 {
            return Err(("due_minutes", "must be at most 60".into()));
        }
        if self.call_ahead_minutes > 60 {
            return Err(("call_ahead_minutes", "must be at most 60".into()));
        }
        Ok(AppointmentCalling {
            ratio: self.ratio,
            due_s: self.due_minutes * 60,
            ahead_s: self.call_ahead_minutes * 60,
        })
    }
}

/// Whether the bookings of each ordinary slot (`capacity_at` its start) leave walk-ins part of
/// the daily quota.
fn check_places(
    hours: &[Spans; 7],
    slot_minutes: u32,
    capacity_at: impl Fn(Time) -> u32,
    daily_quota: u32,
) -> Result<(), String> {
    for spans in hours {
        let places: u64 = cut(spans, slot_minutes, false)
            .iter()
            .map(|s| u64::from(capacity_at(s.start)))
            .sum();
        if places >= u64::from(daily_quota) {
            return Err(format!(
                "{places} bookable places a day leave nothing of the daily quota {daily_quota} for walk-ins"
            ));
        }
    }
    Ok(())
}

/// Resolve `staffed_percent` into each such queue's slot capacity once the windows are known:
/// that share of `staffed_places`, at least 1. Errors are (queue index, key, message).
pub fn staffed_capacities(plan: &mut Plan) -> Result<(), (usize, &'static str, String)> {
    // Per queue: the places of a fully staffed slot, and the slots the rota thins out.
    type Places = (u32, Vec<(Time, u32)>);
    let capacities: Vec<Option<Places>> = plan
        .queues
        .iter()
        .map(|q| {
            let ap = q.appointments.as_ref()?;
            let pct = ap.staffed_percent?;
            let share = |places: u32| (places * pct / 100).max(1);
            let full = share(staffed_places(plan, &q.id)?.1);
            // Slots the rota thins out (lunch) take the same share of the windows still there.
            let mut reduced: Vec<(Time, u32)> = Vec::new();
            for day in &ap.hours {
                for s in cut(day, ap.slot_minutes, false) {
                    let c = share(staffed_places_in(plan, &q.id, Some((s.start, s.end)))?.1);
                    if c < full && !reduced.iter().any(|(t, _)| *t == s.start) {
                        reduced.push((s.start, c));
                    }
                }
            }
            reduced.sort();
            Some((full, reduced))
        })
        .collect();
    for (i, (q, c)) in plan.queues.iter_mut().zip(capacities).enumerate() {
        let (Some(ap), Some((c, reduced))) = (q.appointments.as_mut(), c) else {
            continue;
        };
        ap.capacity = c;
        ap.reduced = reduced;
        check_places(
            &ap.hours,
            ap.slot_minutes,
            |t| ap.capacity_at(t),
            q.daily_quota,
        )
        .map_err(|m| (i, "staffed_percent", m))?;
    }
    Ok(())
}

fn span(s: &str) -> Result<(Time, Time), String> {
    let (a, b) = s
        .split_once('-')
        .ok_or_else(|| format!("{s:?} is not HH:MM-HH:MM"))?;
    let t = |x: &str| super::time(x.trim());
    let (from, to) = (t(a)?, t(b)?);
    if from >= to {
        return Err(format!("{s:?} ends before it starts"));
    }
    Ok((from, to))
}

fn week(w: &WeekSection, key: &'static str) -> Result<[Spans; 7], Fault> {
    let mut out: [Spans; 7] = Default::default();
    for (d, list) in w.days().into_iter().enumerate() {
        for s in list {
            let (from, to) = span(s).map_err(|m| (key, m))?;
            if out[d].iter().any(|&(f, t)| from < t && f < to) {
                return Err((key, format!("{s:?} overlaps another span of the same day")));
            }
            out[d].push((from, to));
        }
        out[d].sort();
    }
    Ok(out)
}

impl QueueAppointmentsSection {
    /// Check against the queue's hours (`opens..closes`), bands and quota.
    pub fn plan(
        &self,
        opens: Time,
        closes: Time,
        bands: &[Band],
        daily_quota: u32,
    ) -> Result<AppointmentPlan, Fault> {
        if !(5..=240).contains(&self.slot_minutes) {
            return Err(("slot_minutes", "must be 5..=240".into()));
        }
        let capacity = match (self.capacity, self.staffed_percent) {
            (Some(0), _) => return Err(("capacity", "must be at least 1".into())),
            (Some(c), None) => c,
            (None, Some(p)) if (1..=100).contains(&p) => 0, // resolved by `staffed_capacities`
            (None, Some(_)) => return Err(("staffed_percent", "must be 1..=100".into())),
            (Some(_), Some(_)) => {
                return Err((
                    "staffed_percent",
                    "give capacity or staffed_percent, not both".into(),
                ));
            }
            (None, None) => {
                return Err((
                    "capacity",
                    "give capacity (bookings per slot) or staffed_percent (a share of what the queue's windows serve in a slot)".into(),
                ));
            }
        };
        if self.days_ahead > 90 {
            return Err(("days_ahead", "must be at most 90".into()));
        }
        if self.early_minutes > 240 || self.late_minutes > 240 {
            return Err((
                "late_minutes",
                "early and late allowances are at most 240".into(),
            ));
        }
        let hours = week(&self.hours, "hours")?;
        let extended = week(&self.extended, "extended")?;
        for (d, spans) in hours.iter().enumerate() {
            for &(from, to) in spans {
                if from < opens || to > closes {
                    return Err((
                        "hours",
                        format!(
                            "slots {}-{} lie outside the queue's hours {}-{}",
                            hm(from),
                            hm(to),
                            hm(opens),
                            hm(closes)
                        ),
                    ));
                }
                if let Some(b) = bands
                    .iter()
                    .find(|b| b.quota == 0 && from < b.to && b.from < to)
                {
                    return Err((
                        "hours",
                        format!(
                            "slots {}-{} overlap the band {}-{} that issues no tickets",
                            hm(from),
                            hm(to),
                            hm(b.from),
                            hm(b.to)
                        ),
                    ));
                }
            }
            for &(from, _) in &extended[d] {
                if from < closes {
                    return Err((
                        "extended",
                        format!(
                            "extended slots start at {} before the queue closes at {}",
                            hm(from),
                            hm(closes)
                        ),
                    ));
                }
            }
        }
        if self.staffed_percent.is_none() {
            check_places(&hours, self.slot_minutes, |_| capacity, daily_quota)
                .map_err(|m| ("capacity", m))?;
        }
        if hours.iter().chain(extended.iter()).all(Vec::is_empty) {
            return Err(("hours", "no slot on any weekday".into()));
        }
        Ok(AppointmentPlan {
            slot_minutes: self.slot_minutes,
            capacity,
            staffed_percent: self.staffed_percent,
            reduced: Vec::new(),
            days_ahead: self.days_ahead,
            early_minutes: self.early_minutes,
            late_minutes: self.late_minutes,
            hours,
            extended,
            notice: self.notice.clone(),
        })
    }
}

fn hm(t: Time) -> String {
    crate::domain::hall::hhmm(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(hours: &[&str], extended: &[&str], capacity: u32) -> QueueAppointmentsSection {
        QueueAppointmentsSection {
            slot_minutes: 30,
            capacity: Some(capacity),
            staffed_percent: None,
            days_ahead: 7,
            early_minutes: 30,
            late_minutes: 15,
            hours: WeekSection {
                mon: hours.iter().map(|s| s.to_string()).collect(),
                ..WeekSection::default()
            },
            extended: WeekSection {
                mon: extended.iter().map(|s| s.to_string()).collect(),
                ..WeekSection::default()
            },
            notice: None,
        }
    }

    fn t(h: i8, m: i8) -> Time {
        Time::constant(h, m, 0, 0)
    }

    #[test]
    fn validation_names_the_bad_key() {
        let lunch = [Band {
            from: t(12, 0),
            to: t(13, 30),
            quota: 0,
        }];
        // (name, section, expected key or None for ok)
        let cases: Vec<(&str, QueueAppointmentsSection, Option<&str>)> = vec![
            ("fine", section(&["09:00-12:00"], &["17:00-18:30"], 2), None),
            (
                "before opening",
                section(&["08:30-12:00"], &[], 2),
                Some("hours"),
            ),
            (
                "after closing",
                section(&["15:00-17:30"], &[], 2),
                Some("hours"),
            ),
            (
                "inside a no-issue band",
                section(&["11:00-13:00"], &[], 2),
                Some("hours"),
            ),
            (
                "extended before closing",
                section(&["09:00-10:00"], &["16:30-18:00"], 2),
                Some("extended"),
            ),
            (
                "capacity eats the quota",
                section(&["09:00-12:00"], &[], 10),
                Some("capacity"),
            ),
            (
                "overlapping spans",
                section(&["09:00-11:00", "10:30-12:00"], &[], 1),
                Some("hours"),
            ),
            (
                "backwards span",
                section(&["11:00-10:00"], &[], 1),
                Some("hours"),
            ),
            ("no slot at all", section(&[], &[], 1), Some("hours")),
        ];
        for (name, s, want) in cases {
            let got = s.plan(t(9, 0), t(17, 0), &lunch, 60).err().map(|(k, _)| k);
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn miss_rule_bounds() {
        let ok = AppointmentsSection::default().rule().expect("default");
        assert_eq!((ok.misses, ok.within_days, ok.suspend_days), (3, 30, 30));
        let long = AppointmentsSection {
            suspend_days: 400,
            ..AppointmentsSection::default()
        };
        assert_eq!(long.rule().err().map(|e| e.0), Some("suspend_days"));
    }

    #[test]
    fn staffed_percent_and_the_calling_keys() {
        let shipped = include_str!("../config/hall.toml");
        let first = "staffed_percent = 50\n";
        assert!(shipped.contains(first));
        // (name, replaced, by, expected error place or None, expected crj capacity)
        let cases: Vec<(&str, &str, String, Option<&str>, u32)> = vec![
            ("shipped", first, first.into(), None, 1),
            (
                "all of the staffing",
                first,
                "staffed_percent = 100\n".into(),
                None,
                2,
            ),
            ("a quarter", first, "staffed_percent = 25\n".into(), None, 1),
            (
                "a tiny share still gives one place",
                first,
                "staffed_percent = 1\n".into(),
                None,
                1,
            ),
            (
                "a fixed capacity instead",
                first,
                "capacity = 3\n".into(),
                None,
                3,
            ),
            (
                "both",
                first,
                "capacity = 3\nstaffed_percent = 50\n".into(),
                Some("staffed_percent"),
                0,
            ),
            ("neither", first, String::new(), Some("capacity"), 0),
            (
                "zero percent",
                first,
                "staffed_percent = 0\n".into(),
                Some("staffed_percent"),
                0,
            ),
            (
                "over 100",
                first,
                "staffed_percent = 101\n".into(),
                Some("staffed_percent"),
                0,
            ),
            (
                "due too long",
                "due_minutes = 5\n",
                "due_minutes = 61\n".into(),
                Some("appointments.due_minutes"),
                0,
            ),
            (
                "call-ahead too long",
                "call_ahead_minutes = 0\n",
                "call_ahead_minutes = 61\n".into(),
                Some("appointments.call_ahead_minutes"),
                0,
            ),
        ];
        for (name, from, to, want, capacity) in cases {
            let text = shipped.replacen(from, &to, 1);
            match crate::config::Config::parse("hall.toml", &text) {
                Ok((_, plan)) => {
                    assert_eq!(want, None, "{name}");
                    let ap = plan
                        .queue("crj")
                        .and_then(|q| q.appointments.as_ref())
                        .expect("crj books");
                    assert_eq!(ap.capacity, capacity, "{name}");
                    let (_, places) = staffed_places(&plan, "crj").expect("staffed");
                    if let Some(p) = ap.staffed_percent {
                        assert_eq!(ap.capacity, (places * p / 100).max(1), "{name}");
                    }
                }
                Err(e) => {
                    let place = e.place();
                    let want = want.unwrap_or_else(|| panic!("{name}: {e}"));
                    assert!(place.ends_with(want), "{name}: {place} {e}");
                }
            }
        }
        // The share's places are checked against the daily quota like a fixed capacity.
        let (_, mut plan) = crate::config::Config::parse("hall.toml", shipped).expect("shipped");
        let i = plan.queues.iter().position(|q| q.id == "sb").expect("sb");
        plan.queues[i].daily_quota = 20;
        let err = staffed_capacities(&mut plan).expect_err("8 places x 12 slots > 20");
        assert_eq!((err.0, err.1), (i, "staffed_percent"));
    }

    #[test]
    fn slots_the_rota_thins_out_take_fewer_bookings() {
        let (_, plan) =
            crate::config::Config::parse("hall.toml", include_str!("../config/hall.toml"))
                .expect("shipped");
        let ap = plan
            .queue("sb")
            .and_then(|q| q.appointments.as_ref())
            .expect("sb books");
        let t = |h: i8, m: i8| Time::constant(h, m, 0, 0);
        let (_, all) = staffed_places(&plan, "sb").expect("staffed");
        let pct = ap.staffed_percent.expect("a share");
        assert_eq!(
            ap.capacity,
            all * pct / 100,
            "that share of every own window"
        );
        // The shipped rota sends half of sb's windows to lunch 11:30-12:30 (the other half
        // 12:30-13:30, when sb offers no slot): the 11:30 and 11:45 slots take the same share
        // of the windows still there.
        let mut thinned = Vec::new();
        for (start, end) in [(t(11, 30), t(11, 45)), (t(11, 45), t(12, 0))] {
            let (_, there) = staffed_places_in(&plan, "sb", Some((start, end))).expect("staffed");
            assert!(there < all, "{there} of {all}");
            let pct = ap.staffed_percent.expect("a share");
            assert_eq!(ap.capacity_at(start), (there * pct / 100).max(1));
            thinned.push((start, ap.capacity_at(start)));
        }
        assert!(thinned.iter().all(|(_, c)| *c < ap.capacity), "{thinned:?}");
        assert_eq!(ap.reduced, thinned);
        for start in [t(9, 0), t(10, 30), t(11, 0), t(14, 0), t(16, 0)] {
            assert_eq!(ap.capacity_at(start), ap.capacity, "{start}");
        }
        // The daily quota is weighed against each slot's own places: one more than a day's
        // leaves walk-ins room, though it is less than every slot at full capacity.
        let day_places = |d: &Spans| -> u64 {
            cut(d, ap.slot_minutes, false)
                .iter()
                .map(|s| u64::from(ap.capacity_at(s.start)))
                .sum()
        };
        let most = ap.hours.iter().map(day_places).max().expect("7 days");
        let slots = ap
            .hours
            .iter()
            .map(|d| cut(d, ap.slot_minutes, false).len() as u64)
            .max()
            .expect("7 days");
        assert!(most + 1 < slots * u64::from(ap.capacity));
        let mut tight = plan.clone();
        let q = tight.queues.iter_mut().find(|q| q.id == "sb").expect("sb");
        q.daily_quota = u32::try_from(most + 1).expect("small");
        staffed_capacities(&mut tight).expect("the thinned slots leave room");
        let q = tight.queues.iter_mut().find(|q| q.id == "sb").expect("sb");
        q.daily_quota = u32::try_from(most).expect("small");
        staffed_capacities(&mut tight).expect_err("no room left");
        // A queue with a fixed capacity keeps it in every slot.
        let mut fixed = plan.clone();
        let q = fixed.queues.iter_mut().find(|q| q.id == "sb").expect("sb");
        let ap = q.appointments.as_mut().expect("sb books");
        ap.staffed_percent = None;
        ap.reduced.clear();
        ap.capacity = 5;
        assert_eq!(ap.capacity_at(t(12, 0)), 5);
    }

    #[test]
    fn the_calling_rules_reach_the_router() {
        let (_, plan) =
            crate::config::Config::parse("hall.toml", include_str!("../config/hall.toml"))
                .expect("shipped");
        let r = plan.rules.calling();
        assert_eq!(
            (r.green_ratio, r.appointment_ratio, r.appointment_due_ms),
            (3, 3, 5 * 60_000)
        );
        // The shipped hall keeps the rules' order: a booking counts from its slot start.
        assert_eq!(plan.rules.appointment_calling.ahead_s, 0);
        // Left out, the appointments' ratio follows the green channel's and nothing is due.
        let quiet = AppointmentsSection {
            due_minutes: 0,
            ..AppointmentsSection::default()
        };
        let calling = quiet.calling().expect("valid");
        assert_eq!(calling, AppointmentCalling::default());
    }
}
