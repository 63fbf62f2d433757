//! Citizens' ratings of a service (好差评) and the follow-up of bad ones.
//!
//! One rating per visit, only after the service is finished, voluntary (never by staff), at
//! the window's evaluator or later from the phone page within a configured period. The level
//! is a named enum; external code sets disagree on direction, so each export maps explicitly.

use jiff::Timestamp;
use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use super::ticket::TicketId;

/// The five levels of GB/T 39734 (非常满意 … 非常不满意).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RatingLevel {
    VerySatisfied,
    Satisfied,
    BasicallySatisfied,
    Dissatisfied,
    VeryDissatisfied,
}

impl RatingLevel {
    pub const ALL: [RatingLevel; 5] = [
        RatingLevel::VerySatisfied,
        RatingLevel::Satisfied,
        RatingLevel::BasicallySatisfied,
        RatingLevel::Dissatisfied,
        RatingLevel::VeryDissatisfied,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RatingLevel::VerySatisfied => "very_satisfied",
            RatingLevel::Satisfied => "satisfied",
            RatingLevel::BasicallySatisfied => "basically_satisfied",
            RatingLevel::Dissatisfied => "dissatisfied",
            RatingLevel::VeryDissatisfied => "very_dissatisfied",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.as_str() == s)
    }

    /// 不满意 and 非常不满意: they need a reason and open a follow-up.
    pub fn is_bad(self) -> bool {
        matches!(
            self,
            RatingLevel::Dissatisfied | RatingLevel::VeryDissatisfied
        )
    }

    /// Counted as satisfied in the satisfaction rate ((非常满意 + 满意) / rated).
    pub fn is_satisfied(self) -> bool {
        matches!(self, RatingLevel::VerySatisfied | RatingLevel::Satisfied)
    }

    /// GB/T 39046 rating record code: 1 = 非常满意 … 5 = 非常不满意.
    pub fn gbt39046_code(self) -> u8 {
        match self {
            RatingLevel::VerySatisfied => 1,
            RatingLevel::Satisfied => 2,
            RatingLevel::BasicallySatisfied => 3,
            RatingLevel::Dissatisfied => 4,
            RatingLevel::VeryDissatisfied => 5,
        }
    }

    /// The provincial 好差评 interfaces' code: 5 = 非常满意 … 1 = 非常不满意.
    pub fn provincial_code(self) -> u8 {
        6 - self.gbt39046_code()
    }
}

/// Where a rating came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RatingSource {
    /// The evaluator device at the window.
    Evaluator,
    /// The phone page behind the slip's QR code.
    Phone,
}

impl RatingSource {
    pub fn as_str(self) -> &'static str {
        match self {
            RatingSource::Evaluator => "evaluator",
            RatingSource::Phone => "phone",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "evaluator" => Some(RatingSource::Evaluator),
            "phone" => Some(RatingSource::Phone),
            _ => None,
        }
    }
}

/// A stored rating.
#[derive(Debug, Clone, PartialEq)]
pub struct Rating {
    pub ticket: TicketId,
    pub level: RatingLevel,
    pub reasons: Vec<String>,
    pub comment: Option<String>,
    pub source: RatingSource,
    pub window: Option<u32>,
    pub clerk: Option<String>,
    pub queue: String,
    pub department: String,
    pub service_day: Date,
    pub rated_at: Timestamp,
}

/// Where a follow-up stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FollowUpState {
    /// Opened by a bad rating; the department must look into it.
    Open,
    /// A manager recorded what was verified.
    Verified,
    /// A manager appealed (申诉); a second manager must approve or reject it. Until then the
    /// bad rating counts as before.
    Appealing,
    /// Closed with a result.
    Closed,
}

impl FollowUpState {
    pub fn as_str(self) -> &'static str {
        match self {
            FollowUpState::Open => "open",
            FollowUpState::Verified => "verified",
            FollowUpState::Appealing => "appealing",
            FollowUpState::Closed => "closed",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "open" => Some(FollowUpState::Open),
            "verified" => Some(FollowUpState::Verified),
            "appealing" => Some(FollowUpState::Appealing),
            "closed" => Some(FollowUpState::Closed),
            _ => None,
        }
    }
}

/// How a follow-up ended: 整改 rectified, 解释 explained, 申诉 appealed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FollowUpResult {
    Rectified,
    Explained,
    Appealed,
}

impl FollowUpResult {
    pub fn as_str(self) -> &'static str {
        match self {
            FollowUpResult::Rectified => "rectified",
            FollowUpResult::Explained => "explained",
            FollowUpResult::Appealed => "appealed",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "rectified" => Some(FollowUpResult::Rectified),
            "explained" => Some(FollowUpResult::Explained),
            "appealed" => Some(FollowUpResult::Appealed),
            _ => None,
        }
    }
}

/// The follow-up (整改反馈) of one bad rating.
#[derive(Debug, Clone, PartialEq)]
pub struct FollowUp {
    pub id: i64,
    pub ticket: TicketId,
    pub department: String,
    pub opened_at: Timestamp,
    pub due_at: Timestamp,
    pub state: FollowUpState,
    pub verification: Option<String>,
    pub result: Option<FollowUpResult>,
    pub note: Option<String>,
    pub closed_by: Option<String>,
    pub closed_at: Option<Timestamp>,
    /// Who filed the appeal (actor label), kept after the decision.
    pub appeal_by: Option<String>,
    /// The appeal's grounds.
    pub appeal_note: Option<String>,
}

/// The end of the `days`-th working day (Monday to Friday) after `from`, at `closes` local time.
pub fn due_after_working_days(
    from: Timestamp,
    days: u32,
    closes: Time,
    tz: &TimeZone,
) -> Timestamp {
    let mut day = tz.to_datetime(from).date();
    let mut left = days.max(1);
    while left > 0 {
        day = day.tomorrow().unwrap_or(day);
        if !matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday) {
            left -= 1;
        }
    }
    tz.to_timestamp(day.to_datetime(closes)).unwrap_or(from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_codes_go_both_ways() {
        let cases = [
            (RatingLevel::VerySatisfied, 1, 5, false, true),
            (RatingLevel::Satisfied, 2, 4, false, true),
            (RatingLevel::BasicallySatisfied, 3, 3, false, false),
            (RatingLevel::Dissatisfied, 4, 2, true, false),
            (RatingLevel::VeryDissatisfied, 5, 1, true, false),
        ];
        for (level, gbt, prov, bad, sat) in cases {
            assert_eq!(level.gbt39046_code(), gbt, "{level:?}");
            assert_eq!(level.provincial_code(), prov, "{level:?}");
            assert_eq!(level.is_bad(), bad);
            assert_eq!(level.is_satisfied(), sat);
            assert_eq!(RatingLevel::parse(level.as_str()), Some(level));
        }
    }

    #[test]
    fn deadlines_skip_weekends() {
        let tz = TimeZone::get("Asia/Shanghai").expect("tz");
        let closes = Time::constant(17, 0, 0, 0);
        // Thursday 2026-11-26 10:00 + 3 working days = Tuesday 2026-12-01 17:00.
        let from: Timestamp = "2026-11-26T10:00:00+08:00".parse().expect("ts");
        let due = due_after_working_days(from, 3, closes, &tz);
        assert_eq!(
            due,
            "2026-12-01T17:00:00+08:00"
                .parse::<Timestamp>()
                .expect("ts")
        );
        // Saturday + 1 = Monday.
        let sat: Timestamp = "2026-11-28T10:00:00+08:00".parse().expect("ts");
        let due = due_after_working_days(sat, 1, closes, &tz);
        assert_eq!(
            due,
            "2026-11-30T17:00:00+08:00"
                .parse::<Timestamp>()
                .expect("ts")
        );
    }
}
