//! The validated shape of one hall: departments, queues, windows, hours and texts.
//! Built once from config (see `crate::config`), then shared read-only.

use jiff::civil::Time;
use jiff::tz::TimeZone;
use serde::Serialize;

/// Kind of a stationed department (部门类型).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DepartmentKind {
    /// 县直部门
    County,
    /// 垂管部门
    Vertical,
    /// 企业部门
    Enterprise,
    /// 群团部门
    MassOrg,
}

/// Kind of a window (窗口类型).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WindowKind {
    /// 常驻窗口: staffed by its department.
    Resident,
    /// 综合窗口 (一窗受理): staffed by the centre, accepts for several departments.
    Comprehensive,
    /// 脱贫攻坚综合服务窗口.
    PovertyAlleviation,
}

/// A stationed department (进驻部门).
#[derive(Debug, Clone, Serialize)]
pub struct Department {
    pub id: String,
    pub name: String,
    /// English name for the kiosk's English mode.
    pub name_en: Option<String>,
    pub kind: DepartmentKind,
}

/// A quota for part of the day.
#[derive(Debug, Clone)]
pub struct Band {
    pub from: Time,
    pub to: Time,
    pub quota: u32,
}

/// A queue (业务): what a citizen picks at the kiosk.
#[derive(Debug, Clone)]
pub struct QueuePlan {
    pub id: String,
    pub name: String,
    /// English name for the kiosk's English mode.
    pub name_en: Option<String>,
    pub prefix: String,
    pub department: String,
    pub daily_quota: u32,
    /// Typical service time, for estimates before any is measured.
    pub service_s: u32,
    pub real_name: bool,
    pub ask_phone: bool,
    /// Issuing starts at this local time.
    pub opens: Time,
    /// Issuing stops at this local time (closing minus the cut-off).
    pub last_issue: Time,
    pub bands: Vec<Band>,
    /// Appointments (预约) and extended hours, when the queue offers them.
    pub appointments: Option<super::appointments::AppointmentPlan>,
}

impl QueuePlan {
    /// Digits in this queue's numbers: 3, or 4 when the quota passes 999.
    pub fn digits(&self) -> usize {
        if self.daily_quota > 999 { 4 } else { 3 }
    }
}

/// A numbered window (窗口) and the queues it calls, by tier.
#[derive(Debug, Clone)]
pub struct WindowPlan {
    pub number: u32,
    pub name: String,
    pub kind: WindowKind,
    pub zone: String,
    /// Tiers in calling order; tier 0 first. Inside a tier, oldest first.
    pub tiers: Vec<Vec<String>>,
}

impl WindowPlan {
    /// The tier of `queue` at this window, if the window serves it.
    pub fn tier_of(&self, queue: &str) -> Option<usize> {
        self.tiers.iter().position(|t| t.iter().any(|q| q == queue))
    }

    /// All queues in calling order.
    pub fn queues(&self) -> impl Iterator<Item = &String> {
        self.tiers.iter().flatten()
    }
}

/// A part of the floor with its own wall screen and speaker.
#[derive(Debug, Clone, Serialize)]
pub struct Zone {
    pub id: String,
    pub name: String,
}

/// Voice and screen templates. `{number}` and `{window}` are filled in (config `[texts]`).
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Texts {
    pub voice_call: String,
    pub screen_call: String,
    pub window_idle: String,
    pub window_paused: String,
    pub window_calling: String,
    pub notice: String,
    pub slip_footer: String,
    /// Said instead of a wait estimate while no open window serves the queue.
    pub estimate_pending: String,
}

/// Hall-wide rules.
#[derive(Debug, Clone)]
pub struct Rules {
    pub name: String,
    pub tz: TimeZone,
    pub tz_name: String,
    pub wait_target_s: u32,
    /// At most this many green-channel calls in a row at a window while ordinary tickets of the same tier wait.
    pub green_channel_ratio: u32,
    pub recall_limit: u32,
    pub default_service_s: u32,
    /// Demo mode: every queue issues at any hour.
    pub always_open: bool,
    /// The hall's closing time (follow-up deadlines fall at this hour).
    pub closes: Time,
    /// How long after the service a citizen may still rate it from the phone, seconds.
    pub rating_period_s: u32,
    /// Working days a department has to follow up a bad rating.
    pub follow_up_days: u32,
    /// Preset reasons offered with a bad rating.
    pub rating_reasons: Vec<String>,
    /// Repeated missed appointments suspend online booking (爽约限制).
    pub miss_rule: super::appointments::MissRule,
    /// How appointments pass the anti-starvation ratio (`[appointments] ratio, due_minutes`).
    pub appointment_calling: super::appointments::AppointmentCalling,
    /// How long tickets keep personal data (`[retention]`).
    pub retention: Retention,
}

impl Rules {
    /// The router's rules: the green-channel ratio, the appointments' own ratio (the green
    /// one unless configured) and when an appointment is due past it.
    pub fn calling(&self) -> super::routing::CallingRules {
        let a = self.appointment_calling;
        super::routing::CallingRules {
            green_ratio: self.green_channel_ratio,
            appointment_ratio: a.ratio.unwrap_or(self.green_channel_ratio),
            appointment_due_ms: i64::from(a.due_s) * 1000,
        }
    }
}

/// The whole validated hall.
#[derive(Debug, Clone)]
pub struct Plan {
    pub rules: Rules,
    pub texts: Texts,
    pub zones: Vec<Zone>,
    pub departments: Vec<Department>,
    pub queues: Vec<QueuePlan>,
    pub windows: Vec<WindowPlan>,
    /// When the live floor raises an alarm (`[alarms]`).
    pub alarms: super::policy::Thresholds,
    /// How the monthly appraisal scores a clerk (`[appraisal]`).
    pub appraisal: super::policy::Weights,
    /// Where phones reach the server (`[hall] public_url`), for the slip's QR code.
    pub public_url: Option<String>,
    /// Slip printers (`[[printers]]`).
    pub printers: Vec<PrinterPlan>,
    /// Kiosks (`[[kiosks]]`): the printer and zone of each.
    pub kiosks: Vec<KioskPlan>,
    /// When windows are scheduled away (`[[rota]]`), by window then time.
    pub rota: Vec<super::rota::Away>,
}

/// A slip printer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrinterPlan {
    pub id: String,
    /// `tcp://HOST:PORT` or `file:///dev/usb/lp0`.
    pub address: String,
    /// Paper width: 58 or 80.
    pub width_mm: u32,
}

/// A kiosk the config names: the printer it prints on and the zone it stands in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KioskPlan {
    pub id: String,
    pub printer: Option<String>,
    pub zone: Option<String>,
}

impl Plan {
    pub fn queue(&self, id: &str) -> Option<&QueuePlan> {
        self.queues.iter().find(|q| q.id == id)
    }

    pub fn window(&self, number: u32) -> Option<&WindowPlan> {
        self.windows.iter().find(|w| w.number == number)
    }

    pub fn department(&self, id: &str) -> Option<&Department> {
        self.departments.iter().find(|d| d.id == id)
    }

    /// Windows that call `queue`, in number order.
    pub fn windows_serving<'a>(&'a self, queue: &'a str) -> impl Iterator<Item = &'a WindowPlan> {
        self.windows
            .iter()
            .filter(move |w| w.tier_of(queue).is_some())
    }

    /// The queue a full ticket number like `HA012` belongs to (longest prefix wins).
    pub fn queue_of_number(&self, number: &str) -> Option<&QueuePlan> {
        let letters: String = number
            .chars()
            .take_while(|c| c.is_ascii_alphabetic())
            .collect();
        let letters = letters.to_ascii_uppercase();
        self.queues.iter().find(|q| q.prefix == letters)
    }
}

/// How long a ticket keeps the citizen's personal data (PIPL data minimisation). Statistics
/// (numbers, queues, times, outcomes, ratings) are kept; only these columns are cleared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Days after its service day that a ticket keeps its phone number (0: cleared when the
    /// day ends): long enough for a clerk to call back when a licence is ready.
    pub phone_days: u32,
    /// Days after its service day that a ticket keeps its ID hash and last four digits (the
    /// help desk and a complaint may need to find a visit by person for a while).
    pub id_days: u32,
    /// Days a notification stays in the outbox after it was delivered or dropped; a message
    /// still undelivered that long after it fell due is abandoned and goes too.
    pub outbox_days: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            phone_days: 30,
            id_days: 30,
            outbox_days: 7,
        }
    }
}
