//! `hallq-bench backup`: how long a verified backup of a database takes and how large it is,
//! and what it costs the kiosks: issue rate over HTTP with no backup running, beside the rate
//! while one runs, in alternating rounds of the same run.

use std::path::Path;
use std::time::{Duration, Instant};

use super::{Figures, http_issue, lifted_config, scratch};

/// Issue in one-second slices for about `how_long`.
async fn issue_for(
    addr: std::net::SocketAddr,
    clients: usize,
    how_long: Duration,
    queues: &[String],
    token: &str,
) -> anyhow::Result<Figures> {
    let until = Instant::now() + how_long;
    let mut f = Figures::empty();
    while Instant::now() < until {
        f.absorb(http_issue(addr, clients, 1, queues, token).await?);
    }
    Ok(f)
}

pub async fn run(
    db: Option<&Path>,
    rounds: usize,
    clients: usize,
    config: &Path,
) -> anyhow::Result<()> {
    let scratch = scratch()?;
    let dir = scratch.path();
    let cfg = lifted_config(dir, config)?;
    let db = match db {
        Some(p) => p.to_path_buf(),
        None => dir.join("hallq.db"),
    };
    let hall = super::InProcessHall::start("backup", cfg, &db).await?;
    let (addr, queues, token) = (hall.addr, hall.queues.clone(), hall.token.clone());
    let token = token.as_str();
    println!(
        "bench backup: {} ({:.1} MB), {rounds} rounds of [calm | a backup running | calm], {clients} HTTP clients, {} cores",
        db.display(),
        std::fs::metadata(&db).map_or(0, |m| m.len()) as f64 / 1e6,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );

    // The issue rate drifts as the day's queues grow, so each backup is bracketed by half its
    // length of calm before and half after. A first, unmeasured backup warms the page cache
    // and gives the length.
    let warm = dir.join("warm-up.db");
    let mut length = hallq::store::backup::backup(&db, &warm)?.elapsed;
    let _ = std::fs::remove_file(&warm);
    let (mut quiet, mut busy) = (Figures::empty(), Figures::empty());
    let mut times = Vec::new();
    for round in 0..rounds.max(1) {
        let half = (length / 2).max(Duration::from_secs(1));
        let mut calm = issue_for(addr, clients, half, &queues, token).await?;
        let to = dir.join(format!("copy-{round}.db"));
        let (src, dst) = (db.clone(), to.clone());
        let copying = tokio::task::spawn_blocking(move || hallq::store::backup::backup(&src, &dst));
        let mut during = Figures::empty();
        while !copying.is_finished() {
            during.absorb(http_issue(addr, clients, 1, &queues, token).await?);
        }
        let summary = copying.await??;
        calm.absorb(issue_for(addr, clients, half, &queues, token).await?);
        length = summary.elapsed;
        println!(
            "round {}: backup {:.2} s, {:.1} MB, {} tickets, {} events; issues/s {:.0} during, {:.0} around it",
            round + 1,
            summary.elapsed.as_secs_f64(),
            summary.bytes as f64 / 1e6,
            summary.rows("tickets"),
            summary.rows("events"),
            during.rate(),
            calm.rate()
        );
        times.push((summary.elapsed, summary.bytes));
        busy.absorb(during);
        quiet.absorb(calm);
        let _ = std::fs::remove_file(&to);
    }
    hall.stop().await;
    times.sort();
    let (median, bytes) = times[times.len() / 2];
    println!(
        "backup (VACUUM INTO + integrity_check + row counts): median {:.2} s, {:.1} MB",
        median.as_secs_f64(),
        bytes as f64 / 1e6
    );
    println!("{}", quiet.line("issue, no backup running", "tickets"));
    println!("{}", busy.line("issue, a backup running", "tickets"));
    println!(
        "issue rate while a backup runs: {:.0}% of the rate without",
        100.0 * busy.rate() / quiet.rate().max(f64::MIN_POSITIVE)
    );
    Ok(())
}
