//! The hall clock: real time, or a simulated clock that tests and simulations move forward.

use std::sync::atomic::{AtomicI64, Ordering};

use jiff::Timestamp;

/// Where "now" comes from. A real seam: production uses the system clock, tests and
/// `hallq simulate` a clock they can move.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;
    /// Move the clock to `to`. Only a simulated clock can; never backwards.
    fn set(&self, to: Timestamp) -> Result<Timestamp, ClockError>;
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ClockError {
    #[error("the clock cannot be set")]
    NotSimulated,
    #[error("the clock never moves backwards (now {0})")]
    Backwards(Timestamp),
}

/// Wall-clock time.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
    fn set(&self, _: Timestamp) -> Result<Timestamp, ClockError> {
        Err(ClockError::NotSimulated)
    }
}

/// Real time plus an offset that only grows: it keeps running, and jumps when set.
#[derive(Default)]
pub struct SimulatedClock {
    offset_ms: AtomicI64,
}

impl SimulatedClock {
    /// A simulated clock that starts at `t` (in the past or the future) and runs from there.
    pub fn starting_at(t: Timestamp) -> SimulatedClock {
        SimulatedClock {
            offset_ms: AtomicI64::new(t.as_millisecond() - Timestamp::now().as_millisecond()),
        }
    }
}

impl Clock for SimulatedClock {
    fn now(&self) -> Timestamp {
        let real = Timestamp::now().as_millisecond();
        Timestamp::from_millisecond(real + self.offset_ms.load(Ordering::SeqCst))
            .unwrap_or(Timestamp::MAX)
    }

    fn set(&self, to: Timestamp) -> Result<Timestamp, ClockError> {
        loop {
            let offset = self.offset_ms.load(Ordering::SeqCst);
            let real = Timestamp::now().as_millisecond();
            let now = real + offset;
            if to.as_millisecond() < now {
                return Err(ClockError::Backwards(
                    Timestamp::from_millisecond(now).unwrap_or(Timestamp::MAX),
                ));
            }
            let new = to.as_millisecond() - real;
            if self
                .offset_ms
                .compare_exchange(offset, new, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
            {
                return Ok(to);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simulated_clock_moves_forward_only() {
        let c = SimulatedClock::default();
        let later = c
            .now()
            .checked_add(jiff::SignedDuration::from_hours(30))
            .expect("in range");
        c.set(later).expect("forward is fine");
        assert!(c.now() >= later);
        let earlier = later
            .checked_sub(jiff::SignedDuration::from_hours(1))
            .expect("in range");
        assert!(matches!(c.set(earlier), Err(ClockError::Backwards(_))));
        assert_eq!(SystemClock.set(later), Err(ClockError::NotSimulated));
    }

    #[test]
    fn a_simulated_clock_may_start_in_the_past_and_then_only_moves_forward() {
        let past = Timestamp::now()
            .checked_sub(jiff::SignedDuration::from_hours(48))
            .expect("in range");
        let c = SimulatedClock::starting_at(past);
        let (now, start) = (c.now().as_millisecond(), past.as_millisecond());
        assert!((start..start + 60_000).contains(&now), "{now} from {start}");
        assert!(matches!(
            c.set(past - jiff::SignedDuration::from_hours(1)),
            Err(ClockError::Backwards(_))
        ));
        c.set(past + jiff::SignedDuration::from_hours(1))
            .expect("forward");
    }
}
