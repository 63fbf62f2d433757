//! `hallq-bench appointments`: the on-time share of appointments and the walk-ins' extra wait
//! on busy days with bookings, beside the same days without (the simulator's `sim::booking`).

use std::path::Path;

use hallq::sim::{DayOptions, Scenario, run_day_once};

/// `hallq bench appointments`: busy days with `share` of the visits to queues that take
/// bookings booked, beside the same seeds with nobody booked. Each slot takes `capacity`
/// bookings, or with 0 what the queue's own windows serve in a slot (`staffed_places`: the
/// capacity a hall derives from its staffing).
pub async fn run(config: &Path, seeds: u64, share: f64, capacity: u32) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(config)?;
    let (_, plan) = hallq::config::Config::parse(&config.display().to_string(), &text)
        .map_err(anyhow::Error::msg)?;
    // Each `capacity = N` belongs to the queue whose `id` came last.
    let mut queue = String::new();
    let mut places = Vec::new();
    let raised: String = text
        .lines()
        .map(|l| {
            if let Some(id) = l.strip_prefix("id = ") {
                queue = id.trim().trim_matches('"').to_string();
            }
            match l.strip_prefix("capacity = ") {
                Some(n) if n.trim().parse::<u32>().is_ok() => {
                    let staffed = hallq::domain::appointments::staffed_places(&plan, &queue)
                        .map_or(capacity, |(_, p)| p.max(1));
                    let c = if capacity == 0 { staffed } else { capacity };
                    places.push(format!("{queue} {c}"));
                    format!("capacity = {c}")
                }
                _ => l.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let dir = hallq::sim::scratch_dir("bench-appointments")?;
    let cfg = dir.join("hall.toml");
    std::fs::write(&cfg, raised)?;
    println!(
        "bench appointments: busy days, {:.0}% of the visits to queues that take bookings booked (places a slot: {}{}), beside the same seeds with none booked; minutes",
        share * 100.0,
        places.join(", "),
        if capacity == 0 {
            ", from each queue's own windows"
        } else {
            ""
        }
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
