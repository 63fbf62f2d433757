//! Where an ingest batch's time goes: named stages, timed one after another on the shipping
//! side (a stage ends when the centre answered it), summed over batches. `hallq-bench central
//! --breakdown` prints them; the uplink passes a throwaway. Pure bookkeeping, no IO.

use std::time::{Duration, Instant};

/// Time per named stage, in the order the stages first ran.
#[derive(Debug, Default, Clone)]
pub struct Stages {
    items: Vec<(&'static str, Duration)>,
    lap: Option<Instant>,
}

impl Stages {
    /// Start timing the next stage from now.
    pub fn start(&mut self) {
        self.lap = Some(Instant::now());
    }

    /// Close the running stage as `name` and start the next one.
    pub fn lap(&mut self, name: &'static str) {
        let now = Instant::now();
        if let Some(at) = self.lap {
            self.add(name, now - at);
        }
        self.lap = Some(now);
    }

    /// Add `d` to stage `name`.
    pub fn add(&mut self, name: &'static str, d: Duration) {
        match self.items.iter_mut().find(|(n, _)| *n == name) {
            Some((_, t)) => *t += d,
            None => self.items.push((name, d)),
        }
    }

    /// The stages and their summed times.
    pub fn items(&self) -> &[(&'static str, Duration)] {
        &self.items
    }

    /// All stages together.
    pub fn total(&self) -> Duration {
        self.items.iter().map(|(_, d)| *d).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_sum_by_name_in_first_seen_order() {
        let mut a = Stages::default();
        a.add("copy", Duration::from_millis(5));
        a.add("rollups", Duration::from_millis(2));
        a.add("copy", Duration::from_millis(1));
        a.add("commit", Duration::from_millis(3));
        a.add("copy", Duration::from_millis(4));
        let names: Vec<_> = a.items().iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ["copy", "rollups", "commit"]);
        assert_eq!(a.items()[0].1, Duration::from_millis(10));
        assert_eq!(a.total(), Duration::from_millis(15));
    }
}
