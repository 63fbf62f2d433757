//! What the simulator saw happen to its citizens, in order: issues (with the tickets ahead and
//! the windows open for the queue), calls, transfers, services and cancellations. A neutral
//! record of the day kept beside `DayResult::tickets`; tools replay it (the estimate baselines
//! of `hallq-bench estimates` are computed from it in the bench member, not here).

/// One thing the simulator saw, at simulated milliseconds. `ticket` indexes `DayResult::tickets`.
#[derive(Debug, Clone, PartialEq)]
pub enum Observation {
    /// A ticket was issued (or checked in) in `queue` with `ahead` tickets before it, while
    /// `serving` open windows served the queue in some tier.
    Issued {
        ticket: usize,
        queue: String,
        at_ms: i64,
        ahead: u32,
        serving: usize,
    },
    /// A called ticket was transferred and waits again in `queue`, with its first issue time.
    Requeued {
        ticket: usize,
        queue: String,
        issued_ms: i64,
    },
    /// A ticket waiting in `queue` since `issued_ms` was called at `at_ms` (`first`: its first
    /// call, not a recall after a transfer).
    Called {
        ticket: usize,
        queue: String,
        issued_ms: i64,
        at_ms: i64,
        first: bool,
    },
    /// A service in `queue` took `secs`.
    Served { queue: String, secs: f64 },
    /// A ticket left `queue` without being called (cancelled from the phone).
    Left { ticket: usize, queue: String },
}
