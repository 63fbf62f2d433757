//! Bookings (预约) in a simulated day: which visits to the queues that take bookings are booked
//! ahead instead of walking in, into which slots, and when (or whether) each citizen turns up:
//! early, on time, late within the allowance, too late (an ordinary ticket instead) or not at
//! all (missed on the hall clock). And the day's appointment figures: the on-time share and the
//! walk-ins' wait. Pure numbers; `day.rs` books, checks in and records over the API.

use jiff::civil::Date;

use super::day::{End, TicketRecord};
use super::model::{self, QueueModel};
use super::rng::Rng;
use crate::domain::plan::Plan;

/// Called within this long of the later of slot start and check-in counts as on time.
pub const ON_TIME_S: f64 = 600.0;

/// One booking the simulator makes before the hall opens.
#[derive(Debug, Clone)]
pub struct Planned {
    pub queue: String,
    pub department: String,
    /// Slot start, ms (hall clock).
    pub slot_ms: i64,
    /// `HH:MM`
    pub start: String,
    /// When the citizen comes to the kiosk, ms; `None`: never (a no-show).
    pub arrives_ms: Option<i64>,
}

/// How a booking ended in the simulator's view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// Never booked (refused: already booked that day, slot full).
    Refused,
    /// Booked, never came: missed on the hall clock.
    NoShow,
    /// Came past the allowance: took an ordinary ticket.
    TooLate,
    /// Checked in; its ticket is the day's ticket with this index.
    CheckedIn(usize),
}

/// A booking and how it ended.
#[derive(Debug, Clone)]
pub struct BookingRecord {
    pub plan: Planned,
    pub fate: Fate,
}

/// When a booked citizen turns up, minutes from slot start (`None`: not at all). The mix: 6%
/// never, 45% early (up to 25 min), 30% around the start, 15% late within 15 min, 4% later.
pub fn arrival_offset(rng: &mut Rng) -> Option<f64> {
    let w = [0.06, 0.45, 0.30, 0.15, 0.04];
    Some(match rng.weighted(&w) {
        0 => return None,
        1 => rng.uniform(-25.0, -3.0),
        2 => rng.uniform(-3.0, 3.0),
        3 => rng.uniform(3.0, 14.5),
        _ => rng.uniform(16.0, 45.0),
    })
}

/// Book `share` of each appointment queue's visits on `day` (up to the slots' capacity) and
/// take them off its walk-ins, so the day's demand stays the same. Each citizen wishes for a
/// slot as the arrival profile has them come; when it is full (the booking page shows the
/// places left) they take the nearest slot with room, earlier or later. When the day is full
/// the visit stays a walk-in. Extended (延时) slots are left out: the simulated day closes at
/// 17:00.
pub fn plan(
    plan: &Plan,
    day: Date,
    queues: &mut [QueueModel],
    share: f64,
    midnight_ms: i64,
    rng: &mut Rng,
) -> Vec<Planned> {
    let mut out = Vec::new();
    if share <= 0.0 {
        return out;
    }
    for q in queues.iter_mut() {
        let Some(ap) = plan.queue(&q.id).and_then(|p| p.appointments.as_ref()) else {
            continue;
        };
        let slots: Vec<_> = ap.slots(day).into_iter().filter(|s| !s.extended).collect();
        let minute = |t: jiff::civil::Time| f64::from(t.hour()) * 60.0 + f64::from(t.minute());
        let mut left: Vec<u32> = slots.iter().map(|s| ap.capacity_at(s.start)).collect();
        let weights: Vec<f64> = slots
            .iter()
            .map(|s| model::shape(minute(s.start)))
            .collect();
        let want = (share * q.expected).round() as usize;
        let n = want.min(left.iter().sum::<u32>() as usize);
        if n == 0 {
            continue;
        }
        for _ in 0..n {
            let wish = rng.weighted(&weights);
            let Some(i) = nearest_with_room(&left, wish, rng) else {
                break;
            };
            left[i] -= 1;
            let slot_min = minute(slots[i].start);
            let slot_ms = midnight_ms + (slot_min * 60_000.0) as i64;
            out.push(Planned {
                queue: q.id.clone(),
                department: q.department.clone(),
                slot_ms,
                start: slots[i].start.strftime("%H:%M").to_string(),
                arrives_ms: arrival_offset(rng).map(|m| slot_ms + (m * 60_000.0) as i64),
            });
        }
        // The booked visits no longer walk in: the same arrivals are drawn and this share of
        // them stays away, so the day with bookings and the day without share every walk-in.
        q.walk_in_share = (1.0 - n as f64 / q.expected.max(1.0)).max(0.0);
    }
    out.sort_by_key(|p| p.slot_ms);
    out
}

/// The slot a citizen who wished for `wish` books: that one if it has room, else the nearest
/// with room (a coin decides between one as near earlier and later); `None` when all are full.
pub fn nearest_with_room(left: &[u32], wish: usize, rng: &mut Rng) -> Option<usize> {
    for d in 0..left.len() {
        let earlier = wish.checked_sub(d).filter(|&i| left[i] > 0);
        let later = Some(wish + d).filter(|&i| d > 0 && i < left.len() && left[i] > 0);
        match (earlier, later) {
            (Some(a), Some(b)) => return Some(if rng.chance(0.5) { a } else { b }),
            (Some(i), None) | (None, Some(i)) => return Some(i),
            (None, None) => {}
        }
    }
    None
}

/// The day's appointment figures.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    pub booked: usize,
    pub checked_in: usize,
    pub no_show: usize,
    pub too_late: usize,
    /// Visits to queues that take bookings (walk-ins and bookings).
    pub visits: usize,
    /// Checked-in tickets called within `ON_TIME_S` of the later of slot start and check-in.
    pub on_time_share: f64,
    /// Mean wait from the later of slot start and check-in to the call, seconds.
    pub appointment_wait_s: f64,
    /// Walk-ins' mean wait (issue to first call) in the queues that take bookings, seconds.
    pub walk_in_wait_s: f64,
    /// Walk-ins' mean wait over the whole hall, seconds.
    pub all_walk_in_wait_s: f64,
    /// Mean service time in the queues that take bookings, seconds.
    pub service_s: f64,
    /// Per queue: (checked in, called on time).
    pub by_queue: std::collections::BTreeMap<String, (usize, usize)>,
}

/// The figures of a day's tickets and bookings. `booking_queues`: the queues that take them.
pub fn figures(
    tickets: &[TicketRecord],
    bookings: &[BookingRecord],
    booking_queues: &[String],
) -> Figures {
    let mean = |v: &[f64]| {
        if v.is_empty() {
            0.0
        } else {
            v.iter().sum::<f64>() / v.len() as f64
        }
    };
    let in_booking_queue = |t: &&TicketRecord| booking_queues.contains(&t.queue);
    let booked: Vec<&BookingRecord> = bookings
        .iter()
        .filter(|b| b.fate != Fate::Refused)
        .collect();
    let mut late_waits = Vec::new();
    let mut on_time = 0usize;
    let mut checked_in = 0usize;
    let mut by_queue = std::collections::BTreeMap::<String, (usize, usize)>::new();
    for b in &booked {
        let Fate::CheckedIn(i) = b.fate else {
            continue;
        };
        let Some(t) = tickets.get(i) else {
            continue;
        };
        checked_in += 1;
        let q = by_queue.entry(b.plan.queue.clone()).or_default();
        q.0 += 1;
        let from = b.plan.slot_ms.max(t.issued_ms);
        // Never called (gave up, day ended): not on time.
        if let Some(c) = t.called_ms {
            let w = (c - from).max(0) as f64 / 1000.0;
            late_waits.push(w);
            if w <= ON_TIME_S {
                on_time += 1;
                q.1 += 1;
            }
        }
    }
    let walk_ins: Vec<&TicketRecord> = tickets.iter().filter(|t| t.booking.is_none()).collect();
    let waits = |ts: &mut dyn Iterator<Item = &&TicketRecord>| -> Vec<f64> {
        ts.filter_map(|t| t.wait_s()).collect()
    };
    let services: Vec<f64> = tickets
        .iter()
        .filter(in_booking_queue)
        .filter(|t| t.end == End::Done)
        .filter_map(|t| t.service_s)
        .collect();
    Figures {
        booked: booked.len(),
        checked_in,
        no_show: booked.iter().filter(|b| b.fate == Fate::NoShow).count(),
        too_late: booked.iter().filter(|b| b.fate == Fate::TooLate).count(),
        visits: tickets.iter().filter(in_booking_queue).count()
            + booked.iter().filter(|b| b.fate == Fate::NoShow).count(),
        on_time_share: if checked_in == 0 {
            0.0
        } else {
            on_time as f64 / checked_in as f64
        },
        appointment_wait_s: mean(&late_waits),
        walk_in_wait_s: mean(&waits(&mut walk_ins.iter().filter(|t| in_booking_queue(t)))),
        all_walk_in_wait_s: mean(&waits(&mut walk_ins.iter())),
        service_s: mean(&services),
        by_queue,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_arrival_mix_has_no_shows_early_late_and_too_late() {
        let mut rng = Rng::new(5);
        let offs: Vec<Option<f64>> = (0..2000).map(|_| arrival_offset(&mut rng)).collect();
        let share = |f: &dyn Fn(&Option<f64>) -> bool| {
            offs.iter().filter(|o| f(o)).count() as f64 / offs.len() as f64
        };
        let none = share(&|o| o.is_none());
        let early = share(&|o| o.is_some_and(|m| m < -3.0));
        let too_late = share(&|o| o.is_some_and(|m| m > 15.0));
        assert!((0.03..0.09).contains(&none), "{none}");
        assert!((0.40..0.50).contains(&early), "{early}");
        assert!((0.02..0.06).contains(&too_late), "{too_late}");
    }

    #[test]
    fn a_full_wish_takes_the_nearest_slot_with_room() {
        let mut rng = Rng::new(3);
        // (name, places left per slot, wished slot, expected choices)
        let cases: [(&str, Vec<u32>, usize, &[usize]); 5] = [
            ("room in the wish", vec![1, 1, 1], 1, &[1]),
            ("earlier only", vec![2, 0, 0, 0], 2, &[0]),
            ("later only", vec![0, 0, 0, 3], 0, &[3]),
            ("one as near each side", vec![1, 0, 1], 1, &[0, 2]),
            ("nearer wins over farther", vec![1, 0, 0, 0, 1, 0], 3, &[4]),
        ];
        for (name, left, wish, want) in cases {
            for _ in 0..20 {
                let got = nearest_with_room(&left, wish, &mut rng).expect(name);
                assert!(want.contains(&got), "{name}: {got}");
            }
        }
        assert_eq!(nearest_with_room(&[0, 0], 1, &mut rng), None, "all full");
        // A tie is a coin, so both sides are taken.
        let picks: std::collections::BTreeSet<usize> = (0..50)
            .filter_map(|_| nearest_with_room(&[1, 0, 1], 1, &mut rng))
            .collect();
        assert_eq!(picks.len(), 2);
    }

    #[test]
    fn bookings_fill_slots_within_capacity_and_take_visits_off_the_walk_ins() {
        let (_, plan) =
            crate::config::Config::parse("hall.toml", include_str!("../../config/hall.toml"))
                .expect("shipped config");
        let monday: Date = "2026-11-30".parse().expect("day");
        let mut rng = Rng::new(1);
        let staffed: Vec<u32> = plan.windows.iter().map(|w| w.number).collect();
        let mut queues = model::queues(&plan, &staffed, &super::super::Scenario::busy(), &mut rng);
        let before: Vec<f64> = queues.iter().map(|q| q.peak_rate).collect();
        let booked = super::plan(&plan, monday, &mut queues, 0.3, 0, &mut rng);
        assert!(!booked.is_empty());
        for (q, was) in queues.iter().zip(&before) {
            let ap = plan.queue(&q.id).and_then(|p| p.appointments.as_ref());
            let mine: Vec<&Planned> = booked.iter().filter(|b| b.queue == q.id).collect();
            match ap {
                None => {
                    assert!(mine.is_empty());
                    assert_eq!(q.walk_in_share, 1.0);
                }
                Some(ap) => {
                    assert!(!mine.is_empty(), "{}", q.id);
                    assert!(q.walk_in_share < 1.0, "{}", q.id);
                    assert_eq!(q.peak_rate, *was);
                    let mut per_slot = std::collections::BTreeMap::new();
                    for b in &mine {
                        *per_slot.entry(b.slot_ms).or_insert(0u32) += 1;
                    }
                    assert!(per_slot.values().all(|n| *n <= ap.capacity), "{}", q.id);
                }
            }
        }
    }
}
