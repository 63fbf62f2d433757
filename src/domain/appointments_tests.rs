//! Table tests of the pure appointment rules: slots, the check-in window, the miss rule, codes.

use super::*;

fn t(h: i8, m: i8) -> Time {
    Time::constant(h, m, 0, 0)
}

fn plan() -> AppointmentPlan {
    let mut hours: [Spans; 7] = Default::default();
    hours[0] = vec![(t(9, 0), t(10, 0)), (t(14, 0), t(15, 10))];
    let mut extended: [Spans; 7] = Default::default();
    extended[2] = vec![(t(17, 0), t(18, 30))];
    AppointmentPlan {
        slot_minutes: 30,
        capacity: 2,
        staffed_percent: None,
        reduced: Vec::new(),
        days_ahead: 7,
        early_minutes: 30,
        late_minutes: 15,
        hours,
        extended,
        notice: None,
    }
}

#[test]
fn slots_of_a_day() {
    let p = plan();
    let monday: Date = "2026-11-30".parse().expect("date");
    let starts: Vec<(String, bool)> = p
        .slots(monday)
        .iter()
        .map(|s| {
            (
                format!("{:02}:{:02}", s.start.hour(), s.start.minute()),
                s.extended,
            )
        })
        .collect();
    // 14:00-15:10 gives two whole slots; the 10 minutes left are no slot.
    assert_eq!(
        starts,
        vec![
            ("09:00".into(), false),
            ("09:30".into(), false),
            ("14:00".into(), false),
            ("14:30".into(), false)
        ]
    );
    let wednesday: Date = "2026-12-02".parse().expect("date");
    let ext: Vec<bool> = p.slots(wednesday).iter().map(|s| s.extended).collect();
    assert_eq!(ext, vec![true, true, true]);
    assert!(p.slots("2026-12-06".parse().expect("sunday")).is_empty());
    assert!(p.slot_at(monday, t(9, 30)).is_some());
    assert!(p.slot_at(monday, t(9, 15)).is_none(), "not a slot start");
    assert!(p.in_extended(wednesday, t(17, 45)));
    assert!(!p.in_extended(wednesday, t(18, 30)));
    assert!(!p.in_extended(monday, t(17, 45)));
}

#[test]
fn check_in_window_edges() {
    let start: Timestamp = "2026-12-01T02:00:00Z".parse().expect("ts");
    let at = |m: i64| {
        start
            .checked_add(jiff::SignedDuration::from_mins(m))
            .expect("ts")
    };
    let cases = [
        (-31, CheckInWindow::TooEarly(at(-30))),
        (-30, CheckInWindow::Open),
        (0, CheckInWindow::Open),
        (15, CheckInWindow::Open),
        (16, CheckInWindow::TooLate),
    ];
    for (m, want) in cases {
        assert_eq!(check_in_window(start, 30, 15, at(m)), want, "{m} minutes");
    }
}

#[test]
fn miss_rule_table() {
    let d = |s: &str| s.parse::<Date>().expect("date");
    let rule = MissRule {
        misses: 3,
        within_days: 30,
        suspend_days: 30,
    };
    let cases: Vec<(&str, MissRule, Vec<Date>, Option<Date>)> = vec![
        ("none", rule, vec![], None),
        (
            "two are fine",
            rule,
            vec![d("2026-11-01"), d("2026-11-02")],
            None,
        ),
        (
            "three within 30 days",
            rule,
            vec![d("2026-11-01"), d("2026-11-10"), d("2026-11-20")],
            Some(d("2026-12-20")),
        ),
        (
            "three spread over more than 30 days",
            rule,
            vec![d("2026-10-01"), d("2026-10-20"), d("2026-11-20")],
            None,
        ),
        (
            "rule off",
            MissRule::default(),
            vec![d("2026-11-01"), d("2026-11-02"), d("2026-11-03")],
            None,
        ),
    ];
    for (name, rule, days, want) in cases {
        assert_eq!(suspended_until(rule, &days), want, "{name}");
    }
}

fn booking(id: i64, code: &str, state: BookingState) -> Booking {
    Booking {
        id: BookingId(id),
        token: format!("t{id}"),
        code: code.into(),
        queue: "crj".into(),
        day: "2026-12-01".parse().expect("day"),
        start: t(9, 0),
        end: t(9, 30),
        extended: false,
        protected: id == 3,
        state,
        id_hash: format!("h{id}"),
        id_last4: "0000".into(),
        phone: None,
        external_id: None,
        booked_by: "citizen".into(),
        booked_at: Timestamp::UNIX_EPOCH,
        checked_in_at: None,
        ticket: None,
        return_of: None,
    }
}

#[test]
fn capacity_counts_active_unprotected_places_and_codes_stay_unique() {
    let mut b = Bookings::restore(Vec::new(), 1);
    let day: Date = "2026-12-01".parse().expect("day");
    b.insert(booking(1, "111111", BookingState::Booked));
    b.insert(booking(2, "222222", BookingState::Cancelled));
    b.insert(booking(3, "333333", BookingState::Booked));
    b.insert(booking(4, "444444", BookingState::CheckedIn));
    assert_eq!(
        b.taken("crj", day, t(9, 0)),
        2,
        "cancelled and protected take no place"
    );
    assert_eq!(b.taken("crj", day, t(9, 30)), 0);
    // Every fresh code avoids the active ones, whatever the entropy.
    for e in 0..2000u64 {
        let c = b.fresh_code(day, e).expect("code");
        assert_eq!(c.len(), 6);
        assert!(c.bytes().all(|x| x.is_ascii_digit()));
        assert!(!["111111", "333333", "444444"].contains(&c.as_str()));
    }
    // The candidates spread: 1000 entropies give (nearly) 1000 different codes.
    let distinct: BTreeSet<String> = (0..1000).map(|e| code_candidate(e, 0)).collect();
    assert!(distinct.len() > 990, "{}", distinct.len());
    assert_eq!(b.take_changes().len(), 4);
    assert!(b.take_changes().is_empty());
}

#[test]
fn slot_capacity_follows_the_windows_that_serve_the_queue_first() {
    let (_, mut plan) =
        crate::config::Config::parse("hall.toml", include_str!("../../config/hall.toml"))
            .expect("shipped config");
    // The shipped capacities fit their staffing: no warning.
    assert_eq!(capacity_warnings(&plan), Vec::<String>::new());
    let (windows, places) = staffed_places(&plan, "crj").expect("crj takes bookings");
    let service = plan.queue("crj").expect("crj").service_s;
    assert!(windows >= 1);
    let slot = plan
        .queue("crj")
        .and_then(|q| q.appointments.as_ref())
        .expect("crj")
        .slot_minutes;
    assert_eq!(places, windows * (slot * 60 / service));
    assert_eq!(staffed_places(&plan, "hj"), None, "hj takes no bookings");
    let q = plan.queues.iter_mut().find(|q| q.id == "crj").expect("crj");
    if let Some(ap) = q.appointments.as_mut() {
        ap.capacity = places + 1;
    }
    let w = capacity_warnings(&plan);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].contains("\"crj\"") && w[0].contains(&format!("serve about {places}")),
        "{w:?}"
    );
}
