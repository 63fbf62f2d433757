//! Per-kiosk issuing limit (`[limits] kiosk_tickets_per_minute`): a token bucket per kiosk
//! device, so one kiosk token cannot empty a queue's quota in seconds (a kiosk serves people,
//! who take several seconds each). A refusal answers 429 `too_many_requests` and raises a
//! floor alarm naming the kiosk for a few minutes. Owns only the buckets; no engine state.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::reports::floor::{Alarm, AlarmKind};

/// How long a kiosk that was held back stays on the floor's alarms.
const ALARM_FOR: Duration = Duration::from_secs(300);

struct Bucket {
    tokens: f64,
    last: Instant,
    refused: u64,
    last_refused: Option<Instant>,
}

/// The buckets of every kiosk that issued since start.
#[derive(Default)]
pub struct KioskLimits {
    per_minute: u32,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl KioskLimits {
    /// `per_minute` tickets a minute per kiosk, with a burst of as many; 0 = no limit.
    pub fn new(per_minute: u32) -> KioskLimits {
        KioskLimits {
            per_minute,
            buckets: Mutex::default(),
        }
    }

    /// Take one ticket's token for `kiosk` at `now`; `false` when it must wait.
    pub fn allow(&self, kiosk: &str, now: Instant) -> bool {
        if self.per_minute == 0 {
            return true;
        }
        let cap = f64::from(self.per_minute);
        let mut all = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let b = all.entry(kiosk.to_string()).or_insert(Bucket {
            tokens: cap,
            last: now,
            refused: 0,
            last_refused: None,
        });
        let refill = now.saturating_duration_since(b.last).as_secs_f64() * cap / 60.0;
        b.tokens = (b.tokens + refill).min(cap);
        b.last = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            true
        } else {
            b.refused += 1;
            b.last_refused = Some(now);
            false
        }
    }

    /// Kiosks held back in the last few minutes, as floor alarms (`value`: refusals so far).
    pub fn alarms(&self, now: Instant) -> Vec<Alarm> {
        let all = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let mut out: Vec<Alarm> = all
            .iter()
            .filter(|(_, b)| {
                b.last_refused
                    .is_some_and(|t| now.saturating_duration_since(t) < ALARM_FOR)
            })
            .map(|(kiosk, b)| Alarm {
                kind: AlarmKind::KioskRate,
                queue: None,
                window: None,
                printer: None,
                value: b.refused as i64,
                threshold: i64::from(self.per_minute),
                detail: Some(kiosk.clone()),
            })
            .collect();
        out.sort_by(|a, b| a.detail.cmp(&b.detail));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kiosk_gets_its_burst_then_one_ticket_per_interval() {
        let l = KioskLimits::new(6);
        let t0 = Instant::now();
        assert!((0..6).all(|_| l.allow("kiosk-1", t0)), "a burst of six");
        assert!(!l.allow("kiosk-1", t0), "the seventh waits");
        assert!(l.allow("kiosk-2", t0), "another kiosk has its own bucket");
        assert!(!l.allow("kiosk-1", t0 + Duration::from_secs(9)));
        assert!(
            l.allow("kiosk-1", t0 + Duration::from_secs(10)),
            "one per 10 s"
        );
        let alarms = l.alarms(t0 + Duration::from_secs(10));
        assert_eq!(alarms.len(), 1);
        assert_eq!(alarms[0].detail.as_deref(), Some("kiosk-1"));
        assert_eq!(alarms[0].value, 2);
        assert!(
            l.alarms(t0 + Duration::from_secs(400)).is_empty(),
            "alarms fade"
        );
    }

    #[test]
    fn zero_turns_the_limit_off() {
        let l = KioskLimits::new(0);
        let t0 = Instant::now();
        assert!((0..10_000).all(|_| l.allow("kiosk-1", t0)));
        assert!(l.alarms(t0).is_empty());
    }
}
