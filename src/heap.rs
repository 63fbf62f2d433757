//! Gives the heap that closed connections freed back to the operating system. glibc's malloc
//! keeps freed chunks in its per-thread arenas and only returns the top of each one, so after a
//! thousand phones' event streams close the process would stay at its peak resident size until
//! it restarts. A small watcher sees bursts of closes in the connection count and, once the
//! count stops falling, asks glibc for the free pages back (`malloc_trim(0)`, which `madvise`s
//! every whole free page of every arena). This file holds the crate's only `unsafe` line.

use std::time::Duration;

/// How often the watcher reads the connection count.
const TICK: Duration = Duration::from_secs(1);
/// Connections closed since the last peak that make a trim worth its walk over the arenas.
/// Keep-alive churn of a few kiosks and consoles stays under it; a burst of phones does not.
pub const BURST: usize = 32;
/// Set to `off` (or `0`), the watcher never trims: for measuring what it gives back.
pub const SWITCH_ENV: &str = "HALLQ_HEAP_TRIM";

/// Ask the allocator to return every whole free page to the system; true when it gave back
/// any. Elsewhere than glibc (musl, macOS) it does nothing: those allocators return memory
/// themselves.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn trim() -> bool {
    // SAFETY: `malloc_trim` takes no pointer and touches only the allocator's own state, under
    // the same arena locks as every malloc and free.
    #[allow(unsafe_code)]
    let released = unsafe { libc::malloc_trim(0) };
    released == 1
}

/// Ask the allocator to return every whole free page to the system (a no-op off glibc).
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn trim() -> bool {
    false
}

/// Whether the watcher runs (`HALLQ_HEAP_TRIM` is not `off` or `0`).
pub fn enabled() -> bool {
    !matches!(
        std::env::var(SWITCH_ENV).as_deref().map(str::trim),
        Ok("off" | "0")
    )
}

/// What the watcher decides at one reading of the connection count.
#[derive(Debug, Default)]
pub struct Bursts {
    peak: usize,
    last: usize,
}

impl Bursts {
    /// Feed the count `now`; true when a burst of at least `BURST` closes has just settled (the
    /// count did not fall since the previous reading), so the freed memory should be trimmed.
    pub fn settled(&mut self, now: usize) -> bool {
        let falling = now < self.last;
        self.last = now;
        self.peak = self.peak.max(now);
        if !falling && self.peak - now >= BURST {
            self.peak = now;
            return true;
        }
        false
    }
}

/// Watch `held` (connections open now) forever and trim after each settled burst of closes.
/// The walk over the arenas runs on the blocking pool, never on a runtime worker.
pub async fn trim_after_bursts(held: impl Fn() -> usize + Send + 'static) {
    let mut bursts = Bursts::default();
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if bursts.settled(held()) {
            let started = std::time::Instant::now();
            let released = tokio::task::spawn_blocking(trim).await.unwrap_or(false);
            tracing::debug!(released, took = ?started.elapsed(), "heap trimmed after a burst of closes");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_trimmed_once_it_settles_and_churn_is_not() {
        let mut b = Bursts::default();
        // A thousand streams open, then close over three readings.
        let readings = [10, 500, 1010, 600, 100, 20, 20, 20, 25, 15];
        let fired: Vec<bool> = readings.iter().map(|&n| b.settled(n)).collect();
        assert_eq!(
            fired,
            [
                false, false, false, false, false, false, true, false, false, false
            ]
        );
        // Keep-alive churn below the burst size never trims.
        let mut b = Bursts::default();
        assert!((0..100).all(|i| !b.settled(40 + (i % 2) * (BURST - 1))));
        // A second burst after the first is seen from its own peak.
        let mut b = Bursts::default();
        for n in [100, 0, 0] {
            b.settled(n);
        }
        assert!(!b.settled(BURST));
        assert!(!b.settled(0));
        assert!(b.settled(0));
    }
}
