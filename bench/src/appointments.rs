//! `hallq-bench appointments`: the on-time share of appointments and the walk-ins' extra wait
//! on busy days with bookings, beside the same days without (the simulator's `sim::booking`).

use std::path::Path;

use hallq::sim::{DayOptions, Scenario, run_day_once};

/// What the bench changes in a copy of the config.
#[derive(Debug, Default)]
pub struct Overrides {
    /// Places per slot everywhere (0: every staffed place, as `staffed_percent = 100`).
    pub capacity: Option<u32>,
    /// Places per slot as this share of the staffing everywhere.
    pub staffed_percent: Option<u32>,
    /// `[appointments]` keys to set (`due_minutes`, `call_ahead_minutes`, `ratio`).
    pub rules: Vec<(String, String)>,
}

/// The config text with the overrides applied, as a TOML edit: each booking queue's places
/// become the ones asked for (`--capacity 0`: a slot takes every staffed place, rota and all,
/// which is `staffed_percent = 100`), and the `[appointments]` keys are set.
fn rewrite(text: &str, o: &Overrides) -> anyhow::Result<String> {
    let mut doc: toml::Table = toml::from_str(text)?;
    let places = match (o.staffed_percent, o.capacity) {
        (Some(p), _) => Some(("staffed_percent", p)),
        (None, Some(0)) => Some(("staffed_percent", 100)),
        (None, Some(c)) => Some(("capacity", c)),
        (None, None) => None,
    };
    if let (Some((key, n)), Some(toml::Value::Array(queues))) = (places, doc.get_mut("queues")) {
        for q in queues.iter_mut().filter_map(toml::Value::as_table_mut) {
            if let Some(toml::Value::Table(ap)) = q.get_mut("appointments") {
                ap.remove("capacity");
                ap.remove("staffed_percent");
                ap.insert(key.into(), toml::Value::Integer(i64::from(n)));
            }
        }
    }
    if !o.rules.is_empty() {
        let toml::Value::Table(rules) = doc
            .entry("appointments")
            .or_insert_with(|| toml::Value::Table(toml::Table::new()))
        else {
            anyhow::bail!("[appointments] is not a table");
        };
        for (k, v) in &o.rules {
            let value = v
                .parse::<i64>()
                .map(toml::Value::Integer)
                .or_else(|_| v.parse::<f64>().map(toml::Value::Float))
                .unwrap_or_else(|_| toml::Value::String(v.clone()));
            rules.insert(k.clone(), value);
        }
    }
    Ok(toml::to_string(&doc)?)
}

/// `hallq bench appointments`: busy days with `share` of the visits to queues that take
/// bookings booked, beside the same seeds with nobody booked, on the config as it is or with
/// the places per slot and the due rule overridden (`Overrides`).
pub async fn run(config: &Path, seeds: u64, share: f64, o: &Overrides) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(config)?;
    let raised = rewrite(&text, o)?;
    let (_, used) =
        hallq::config::Config::parse("bench hall.toml", &raised).map_err(anyhow::Error::msg)?;
    let places: Vec<String> = used
        .queues
        .iter()
        .filter_map(|q| {
            let ap = q.appointments.as_ref()?;
            let pct = ap
                .staffed_percent
                .map_or(String::new(), |p| format!(" ({p}% of staffing)"));
            Some(format!("{} {}{pct}", q.id, ap.capacity))
        })
        .collect();
    let calling = used.rules.calling();
    let ahead = used.rules.appointment_calling.ahead_s / 60;
    let dir = hallq::sim::scratch_dir("bench-appointments")?;
    let cfg = dir.join("hall.toml");
    std::fs::write(&cfg, raised)?;
    println!(
        "bench appointments: busy days, {:.0}% of the visits to queues that take bookings booked (places a slot: {}; appointment ratio {}, due after {} min, called from {} min before the slot), beside the same seeds with none booked; minutes",
        share * 100.0,
        places.join(", "),
        calling.appointment_ratio,
        calling.appointment_due_ms / 60_000,
        ahead,
    );
    println!(
        "{:<8} {:>6} {:>7} {:>8} {:>9} {:>12} {:>12} {:>8} {:>8} {:>8}",
        "seed",
        "booked",
        "share",
        "on time",
        "appt wait",
        "walk-in wait",
        "without",
        "extra",
        "allowed",
        "hall +"
    );
    let mut tot = [0.0f64; 6];
    for seed in 1..=seeds {
        let day = |booked| DayOptions {
            config: cfg.clone(),
            db: None,
            seed,
            day: None,
            scenario: Scenario {
                booked,
                ..Scenario::busy()
            },
        };
        let with = hallq::sim::appointment_figures(&run_day_once(&day(share)).await?);
        let without = hallq::sim::appointment_figures(&run_day_once(&day(0.0)).await?);
        let booked_share = with.booked as f64 / with.visits.max(1) as f64;
        let extra = (with.walk_in_wait_s - without.walk_in_wait_s) / 60.0;
        let allowed = booked_share * with.service_s / 60.0;
        let hall = (with.all_walk_in_wait_s - without.all_walk_in_wait_s) / 60.0;
        println!(
            "{:<8} {:>6} {:>6.1}% {:>7.1}% {:>9.1} {:>12.1} {:>12.1} {:>+8.2} {:>8.2} {:>+8.2}",
            seed,
            with.booked,
            100.0 * booked_share,
            100.0 * with.on_time_share,
            with.appointment_wait_s / 60.0,
            with.walk_in_wait_s / 60.0,
            without.walk_in_wait_s / 60.0,
            extra,
            allowed,
            hall
        );
        let queues: Vec<String> = with
            .by_queue
            .iter()
            .map(|(q, (n, ok))| format!("{q} {ok}/{n}"))
            .collect();
        println!("{:<8} on time by queue: {}", "", queues.join(", "));
        for (t, v) in tot.iter_mut().zip([
            with.on_time_share,
            booked_share,
            extra,
            allowed,
            with.walk_in_wait_s / 60.0,
            without.walk_in_wait_s / 60.0,
        ]) {
            *t += v / seeds as f64;
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "mean: on time {:.1}% (goal >= 90%); booked {:.1}%; walk-ins in those queues wait {:.1} min vs {:.1} without: {:+.2} min (goal <= booked share x mean service = {:.2})",
        100.0 * tot[0],
        100.0 * tot[1],
        tot[4],
        tot[5],
        tot[2],
        tot[3]
    );
    Ok(())
}

/// `KEY=VALUE` of `--rule`.
pub fn key_value(s: &str) -> Result<(String, String), String> {
    let (k, v) = s
        .split_once('=')
        .ok_or_else(|| format!("{s:?} is not KEY=VALUE"))?;
    Ok((k.trim().to_string(), v.trim().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(o: &Overrides) -> hallq::domain::plan::Plan {
        let text = include_str!("../../config/hall.toml");
        let raised = rewrite(text, o).expect("rewrite");
        hallq::config::Config::parse("bench hall.toml", &raised)
            .expect("the rewritten config parses")
            .1
    }

    fn places(plan: &hallq::domain::plan::Plan) -> Vec<(u32, Option<u32>)> {
        plan.queues
            .iter()
            .filter_map(|q| q.appointments.as_ref())
            .map(|ap| (ap.capacity, ap.staffed_percent))
            .collect()
    }

    #[test]
    fn overrides_reach_every_booking_queue_and_the_calling_rules() {
        let shipped = parsed(&Overrides::default());
        assert!(places(&shipped).len() >= 3);
        let fixed = parsed(&Overrides {
            capacity: Some(3),
            ..Overrides::default()
        });
        assert!(
            places(&fixed).iter().all(|p| *p == (3, None)),
            "{:?}",
            places(&fixed)
        );
        let all = parsed(&Overrides {
            capacity: Some(0),
            ..Overrides::default()
        });
        assert!(places(&all).iter().all(|(_, p)| *p == Some(100)));
        let share = parsed(&Overrides {
            staffed_percent: Some(40),
            rules: vec![
                ("due_minutes".into(), "0".into()),
                ("call_ahead_minutes".into(), "10".into()),
            ],
            ..Overrides::default()
        });
        assert!(places(&share).iter().all(|(_, p)| *p == Some(40)));
        assert_eq!(share.rules.calling().appointment_due_ms, 0);
        assert_eq!(share.rules.appointment_calling.ahead_s, 600);
        assert_ne!(shipped.rules.appointment_calling.ahead_s, 600);
    }
}
