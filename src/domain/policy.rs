//! What the hall's managers set for the reports, as the plan carries it: when the live floor
//! raises an alarm (`[alarms]`) and how the monthly appraisal scores a clerk (`[appraisal]`).
//! `reports/` applies them; `config` only builds them.

use serde::Serialize;

/// When the floor raises an alarm (config `[alarms]`); 0 turns a check off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Thresholds {
    /// A queue with at least this many waiting.
    pub queue_waiting: u32,
    /// A queue whose longest wait reaches this many seconds.
    pub queue_wait_s: u32,
    /// A window paused for at least this many seconds.
    pub window_paused_s: u32,
    /// A checked-in appointment still waiting this many seconds after its slot began.
    pub appointment_late_s: u32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            queue_waiting: 30,
            queue_wait_s: 40 * 60,
            window_paused_s: 30 * 60,
            appointment_late_s: 10 * 60,
        }
    }
}

/// Weights and rules of the score (config `[appraisal]`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Weights {
    pub volume: u32,
    pub service_time: u32,
    pub within_target: u32,
    pub satisfaction: u32,
    pub rating_coverage: u32,
    pub attendance: u32,
    /// Points taken off per bad rating that is not excused.
    pub bad_rating_points: f64,
    /// Follow-up results that excuse a bad rating once the follow-up is closed.
    pub excused_results: Vec<String>,
    /// Percent of clerks rated excellent (ceil).
    pub excellent_percent: u32,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            volume: 30,
            service_time: 15,
            within_target: 15,
            satisfaction: 25,
            rating_coverage: 5,
            attendance: 10,
            bad_rating_points: 5.0,
            excused_results: vec!["appealed".into()],
            excellent_percent: 20,
        }
    }
}
