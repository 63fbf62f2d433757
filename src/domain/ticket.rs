//! Tickets (号票), their numbers and the state machine of DOMAIN.md.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// Row id of a ticket; stable for its whole life.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(transparent)]
pub struct TicketId(pub i64);

/// Priority class of a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    #[default]
    Normal,
    /// 绿色通道: elderly, disabled, military, pregnant, urgent.
    GreenChannel,
    /// 预约: issued by an appointment check-in (never asked for at the kiosk).
    Appointment,
}

impl Priority {
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Normal => "normal",
            Priority::GreenChannel => "green_channel",
            Priority::Appointment => "appointment",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "normal" => Some(Priority::Normal),
            "green_channel" => Some(Priority::GreenChannel),
            "appointment" => Some(Priority::Appointment),
            _ => None,
        }
    }
}

/// Where a ticket is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TicketState {
    Waiting,
    Called,
    Serving,
    Held,
    Done,
    NoShow,
    Cancelled,
    Abandoned,
}

impl TicketState {
    pub const ALL: [TicketState; 8] = [
        TicketState::Waiting,
        TicketState::Called,
        TicketState::Serving,
        TicketState::Held,
        TicketState::Done,
        TicketState::NoShow,
        TicketState::Cancelled,
        TicketState::Abandoned,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TicketState::Waiting => "waiting",
            TicketState::Called => "called",
            TicketState::Serving => "serving",
            TicketState::Held => "held",
            TicketState::Done => "done",
            TicketState::NoShow => "no_show",
            TicketState::Cancelled => "cancelled",
            TicketState::Abandoned => "abandoned",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// A final state never changes again.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            TicketState::Done
                | TicketState::NoShow
                | TicketState::Cancelled
                | TicketState::Abandoned
        )
    }

    /// The state after `op`, or `None` when `op` is not allowed in this state.
    pub fn after(self, op: TicketOp) -> Option<TicketState> {
        use TicketOp as O;
        use TicketState as S;
        match (self, op) {
            (S::Waiting, O::Call) => Some(S::Called),
            (S::Waiting, O::Cancel) => Some(S::Cancelled),
            (S::Called, O::Recall) => Some(S::Called),
            (S::Called, O::NoShow) => Some(S::NoShow),
            (S::Called, O::Start) => Some(S::Serving),
            (S::Called | S::Serving, O::Finish) => Some(S::Done),
            (S::Called | S::Serving, O::Hold) => Some(S::Held),
            (S::Called | S::Serving, O::Transfer) => Some(S::Waiting),
            (S::Held, O::CallBack) => Some(S::Called),
            (s, O::Abandon) if !s.is_final() => Some(S::Abandoned),
            _ => None,
        }
    }
}

/// What can happen to a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketOp {
    Call,
    Recall,
    NoShow,
    Start,
    Finish,
    Hold,
    CallBack,
    Transfer,
    Cancel,
    Abandon,
}

impl TicketOp {
    pub const ALL: [TicketOp; 10] = [
        TicketOp::Call,
        TicketOp::Recall,
        TicketOp::NoShow,
        TicketOp::Start,
        TicketOp::Finish,
        TicketOp::Hold,
        TicketOp::CallBack,
        TicketOp::Transfer,
        TicketOp::Cancel,
        TicketOp::Abandon,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TicketOp::Call => "call",
            TicketOp::Recall => "recall",
            TicketOp::NoShow => "no_show",
            TicketOp::Start => "start",
            TicketOp::Finish => "finish",
            TicketOp::Hold => "hold",
            TicketOp::CallBack => "call_back",
            TicketOp::Transfer => "transfer",
            TicketOp::Cancel => "cancel",
            TicketOp::Abandon => "abandon",
        }
    }
}

/// How a service ended (办结), from the plan's 六件管理 plus enquiries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// 即办件
    Done,
    /// 承诺件
    Promised,
    /// 联办件
    Joint,
    /// 上报件
    Reported,
    /// 补办件
    Supplement,
    /// 退回件
    Returned,
    /// 咨询
    Consultation,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Done => "done",
            Outcome::Promised => "promised",
            Outcome::Joint => "joint",
            Outcome::Reported => "reported",
            Outcome::Supplement => "supplement",
            Outcome::Returned => "returned",
            Outcome::Consultation => "consultation",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [
            Outcome::Done,
            Outcome::Promised,
            Outcome::Joint,
            Outcome::Reported,
            Outcome::Supplement,
            Outcome::Returned,
            Outcome::Consultation,
        ]
        .into_iter()
        .find(|o| o.as_str() == s)
    }
}

/// One ticket. Personal data (ID hash, phone) never leaves through events.
#[derive(Debug, Clone, PartialEq)]
pub struct Ticket {
    pub id: TicketId,
    /// Unguessable handle for the phone page (at least 128 bits).
    pub token: String,
    pub service_day: Date,
    /// The queue it waits in now (changes on transfer).
    pub queue: String,
    /// The queue it was issued into.
    pub original_queue: String,
    /// Sequence within the original queue and day; the number's digits.
    pub seq_no: u32,
    /// The printed number, e.g. `A012`.
    pub number: String,
    pub priority: Priority,
    pub state: TicketState,
    pub issued_at: Timestamp,
    /// Sort key inside its queue (ms); issue time unless a transfer moved it.
    pub queue_key: i64,
    /// Set when transferred to one specific window.
    pub target_window: Option<u32>,
    /// The window it is called to / served at / held by.
    pub window: Option<u32>,
    pub first_called_at: Option<Timestamp>,
    pub called_at: Option<Timestamp>,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
    pub recall_count: u32,
    pub transfer_count: u32,
    pub outcome: Option<Outcome>,
    pub note: Option<String>,
    /// Keyed hash of the ID number (real-name issuing).
    pub id_hash: Option<String>,
    pub id_last4: Option<String>,
    pub phone: Option<String>,
    /// Clerk who served it (the one who finished, or last called).
    pub clerk: Option<String>,
    pub issued_by: String,
}

impl Ticket {
    /// Seconds from first issue to first call, once called.
    pub fn wait_s(&self) -> Option<i64> {
        self.first_called_at
            .map(|c| (c.as_millisecond() - self.issued_at.as_millisecond()).max(0) / 1000)
    }

    /// Whether the ticket still waits for a window.
    pub fn is_waiting(&self) -> bool {
        self.state == TicketState::Waiting
    }
}

/// The printed number: prefix and zero-padded sequence.
pub fn format_number(prefix: &str, seq: u32, digits: usize) -> String {
    format!("{prefix}{seq:0digits$}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use TicketOp as O;
    use TicketState as S;

    #[test]
    fn every_transition_of_the_state_machine() {
        // (from, op, expected); every pair not listed must be refused.
        let allowed: &[(S, O, S)] = &[
            (S::Waiting, O::Call, S::Called),
            (S::Waiting, O::Cancel, S::Cancelled),
            (S::Waiting, O::Abandon, S::Abandoned),
            (S::Called, O::Recall, S::Called),
            (S::Called, O::NoShow, S::NoShow),
            (S::Called, O::Start, S::Serving),
            (S::Called, O::Finish, S::Done),
            (S::Called, O::Hold, S::Held),
            (S::Called, O::Transfer, S::Waiting),
            (S::Called, O::Abandon, S::Abandoned),
            (S::Serving, O::Finish, S::Done),
            (S::Serving, O::Hold, S::Held),
            (S::Serving, O::Transfer, S::Waiting),
            (S::Serving, O::Abandon, S::Abandoned),
            (S::Held, O::CallBack, S::Called),
            (S::Held, O::Abandon, S::Abandoned),
        ];
        for from in S::ALL {
            for op in O::ALL {
                let expected = allowed
                    .iter()
                    .find(|(f, o, _)| *f == from && *o == op)
                    .map(|(_, _, to)| *to);
                assert_eq!(
                    from.after(op),
                    expected,
                    "{} --{}-->",
                    from.as_str(),
                    op.as_str()
                );
            }
        }
    }

    #[test]
    fn final_states_never_move() {
        for st in S::ALL.into_iter().filter(|s| s.is_final()) {
            for op in O::ALL {
                assert_eq!(st.after(op), None);
            }
        }
    }

    #[test]
    fn numbers_are_padded() {
        assert_eq!(format_number("A", 12, 3), "A012");
        assert_eq!(format_number("HK", 7, 4), "HK0007");
        assert_eq!(format_number("A", 1000, 3), "A1000");
    }

    #[test]
    fn names_round_trip() {
        for st in S::ALL {
            assert_eq!(S::parse(st.as_str()), Some(st));
        }
        assert_eq!(Outcome::parse("supplement"), Some(Outcome::Supplement));
        assert_eq!(
            Priority::parse("green_channel"),
            Some(Priority::GreenChannel)
        );
        assert_eq!(Priority::parse("vip"), None);
    }
}
