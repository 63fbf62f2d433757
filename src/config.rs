//! config/hall.toml: the serde shape (unknown keys refused), validation that names the bad
//! key and its line, and the conversion into the domain's `Plan`.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use jiff::civil::Time;
use serde::Deserialize;

#[path = "config_appointments.rs"]
pub mod appointments;
#[path = "config_notify.rs"]
pub mod notify;
#[path = "config_rota.rs"]
pub mod rota;
#[path = "config_spans.rs"]
mod spans;

use crate::domain::plan::{
    Band, Department, DepartmentKind, KioskPlan, Plan, PrinterPlan, QueuePlan, Rules, Texts,
    WindowKind, WindowPlan, Zone,
};

/// The whole file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Hall-wide settings.
    pub hall: HallSection,
    /// Voice and screen texts.
    pub texts: Texts,
    /// Parts of the floor with their own wall screen.
    pub zones: Vec<ZoneSection>,
    /// Stationed departments.
    pub departments: Vec<DepartmentSection>,
    /// Queues citizens pick at the kiosk.
    pub queues: Vec<QueueSection>,
    /// Windows, one entry per window or per range of alike windows.
    pub windows: Vec<WindowSection>,
    /// Slip printers.
    #[serde(default)]
    pub printers: Vec<PrinterSection>,
    /// Kiosks and the printer each uses.
    #[serde(default)]
    pub kiosks: Vec<KioskSection>,
    /// Citizens' ratings and their follow-up.
    #[serde(default)]
    pub ratings: RatingsSection,
    /// How long personal data is kept.
    #[serde(default)]
    pub retention: RetentionSection,
    /// The wall screens' voice clips.
    #[serde(default)]
    pub voice: VoiceSection,
    /// When the manager's live floor raises alarms.
    #[serde(default)]
    pub alarms: AlarmsSection,
    /// Weights and rules of the monthly staff appraisal (量化考评).
    #[serde(default)]
    pub appraisal: AppraisalSection,
    /// Hall-wide appointment rules (爽约限制); per-queue tables are `[queues.appointments]`.
    #[serde(default)]
    pub appointments: appointments::AppointmentsSection,
    /// The nightly backup.
    #[serde(default)]
    pub backup: BackupSection,
    /// Who may read `GET /metrics`.
    #[serde(default)]
    pub metrics: MetricsSection,
    /// How the server logs.
    #[serde(default)]
    pub log: LogSection,
    /// The event stream to screens and consoles.
    #[serde(default)]
    pub events: EventsSection,
    /// The listening socket: timeouts, connection caps, trusted reverse proxies.
    #[serde(default)]
    pub http: HttpSection,
    /// Rate limits per device.
    #[serde(default)]
    pub limits: LimitsSection,
    /// Ship committed events to a central PostgreSQL for cross-hall reports (optional).
    #[serde(default)]
    pub uplink: Option<UplinkSection>,
    /// HTTPS in the server itself (optional; else plain HTTP, e.g. behind a TLS proxy).
    #[serde(default)]
    pub tls: Option<TlsSection>,
    /// Webhooks to the hall's SMS or WeChat gateway (none shipped: nothing is promised).
    #[serde(default)]
    pub notify: Vec<notify::NotifySection>,
    /// When reminders and "N ahead" messages fall due.
    #[serde(default)]
    pub notifications: notify::NotificationsSection,
    /// The staffing rota: windows scheduled away (a staggered lunch, 错时午休).
    #[serde(default)]
    pub rota: Vec<rota::RotaSection>,
}

/// `[tls]`: the server's certificate and key, PEM files (paths relative to the config file).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsSection {
    /// The certificate chain, the server's own certificate first.
    pub cert: String,
    /// Its private key (PKCS#8, PKCS#1 or SEC1), readable by the hallq service only.
    pub key: String,
}

/// `[events]`: the event websocket.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EventsSection {
    /// Public screens show the clerk's display name on their own window (never the username).
    pub show_clerk_name: bool,
    /// Event streams open at once (screens, phones and consoles together).
    pub max_clients: usize,
    /// Of those, slots only anonymous clients may take; the rest stay free for display devices
    /// and staff, so phones can never lock a registered wall screen out.
    pub max_anonymous_clients: usize,
    /// Of those, the most one client address may hold (429 `too_many_streams` past it).
    pub max_anonymous_per_address: usize,
    /// Events a client may fall behind before it is sent a fresh snapshot instead.
    pub buffer: usize,
}

impl Default for EventsSection {
    fn default() -> Self {
        EventsSection {
            show_clerk_name: true,
            max_clients: 5_000,
            max_anonymous_clients: 4_000,
            max_anonymous_per_address: 8,
            buffer: 4096,
        }
    }
}

/// `[http]`: how the server holds up on a network the public can reach.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpSection {
    /// Reverse proxies whose `X-Forwarded-For` names the client; from any other address the
    /// header is ignored. Connections from these are not capped per address.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Seconds a connection may take to send a request's headers, and may stay idle between
    /// requests, before it is closed.
    pub header_timeout_secs: u64,
    /// Connections one client address may hold at once (a screen needs 2-3).
    pub max_connections_per_address: usize,
    /// Connections held at once; 0 = the process's descriptor limit less a reserve for the
    /// database, printers and files.
    pub max_connections: usize,
}

impl Default for HttpSection {
    fn default() -> Self {
        HttpSection {
            trusted_proxies: Vec::new(),
            header_timeout_secs: 10,
            max_connections_per_address: 32,
            max_connections: 0,
        }
    }
}

/// `[limits]`: per-device rate limits; 0 turns one off.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsSection {
    /// Tickets one kiosk may issue per minute (a burst of as many, then one per 60/n s).
    pub kiosk_tickets_per_minute: u32,
}

/// `[metrics]`: `GET /metrics` answers a client from an allowed address, or one that sends
/// `Authorization: Bearer <token>` when a token is set.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsSection {
    /// Address blocks allowed without a token, e.g. "127.0.0.1/32", "10.8.0.0/16".
    pub allow: Vec<String>,
    /// A bearer token that also grants access ("" = none).
    pub token: String,
}

impl Default for MetricsSection {
    fn default() -> Self {
        MetricsSection {
            allow: vec!["127.0.0.1/32".into(), "::1/128".into()],
            token: String::new(),
        }
    }
}

impl EventsSection {
    /// What the hall lets public screens show.
    pub fn public(&self) -> crate::domain::audience::PublicOptions {
        crate::domain::audience::PublicOptions {
            show_clerk_name: self.show_clerk_name,
        }
    }
}

impl MetricsSection {
    /// The allowed blocks, parsed.
    pub fn blocks(&self) -> Result<Vec<crate::ops::access::Cidr>, String> {
        self.allow
            .iter()
            .map(|s| crate::ops::access::Cidr::parse(s))
            .collect()
    }
}

/// `[log]`
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogSection {
    /// "text" (default) or "json" (one JSON object a line, for a log collector).
    pub format: LogFormat,
}

/// The log line format.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// `[backup]`: the server copies its database every night, off the writer thread.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BackupSection {
    /// Folder of the nightly copies, relative to the database's folder (or absolute);
    /// `""` turns nightly backups off.
    pub dir: String,
    /// Local time of day (hall time zone) of the nightly copy, HH:MM.
    pub at: String,
    /// Nightly copies kept; older ones are deleted after a good new one.
    pub keep: u32,
}

impl Default for BackupSection {
    fn default() -> Self {
        BackupSection {
            dir: "backups".into(),
            at: "02:00".into(),
            keep: 14,
        }
    }
}

impl BackupSection {
    /// The time of day of the nightly copy.
    pub fn at_time(&self) -> Result<Time, String> {
        time(&self.at)
    }
}

/// `[retention]`: days after a ticket's service day that it keeps personal data; the engine
/// clears what is past its time at every change of day. Statistics are never cleared.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionSection {
    /// Phone numbers (0: cleared when the service day ends).
    pub phone_days: u32,
    /// ID hashes and last four digits.
    pub id_days: u32,
    /// Notification outbox rows after delivery (or being dropped); undelivered ones that long
    /// past due are abandoned.
    pub outbox_days: u32,
}

impl Default for RetentionSection {
    fn default() -> Self {
        let d = crate::domain::plan::Retention::default();
        RetentionSection {
            phone_days: d.phone_days,
            id_days: d.id_days,
            outbox_days: d.outbox_days,
        }
    }
}

/// `[uplink]`: where this hall's events go for central reporting.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UplinkSection {
    /// A PostgreSQL connection string, e.g. `postgres://hallq@127.0.0.1:5432/central`.
    pub url: String,
    /// This hall's id in the central database (unique among the halls that report there).
    pub hall_id: String,
}

/// `[voice]`
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoiceSection {
    /// A folder with a recorded clip pack (`manifest.json` and its clips), relative to the
    /// config file; served at /display/voice/ instead of the shipped placeholder pack.
    pub pack: Option<String>,
}

/// `[ratings]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RatingsSection {
    /// Hours after the service during which the phone page still takes a rating.
    pub later_hours: u32,
    /// Working days a department has to follow up a bad rating.
    pub follow_up_working_days: u32,
    /// Preset reasons offered with 不满意 / 非常不满意.
    pub bad_reasons: Vec<String>,
}

impl Default for RatingsSection {
    fn default() -> Self {
        RatingsSection {
            later_hours: 72,
            follow_up_working_days: 3,
            // The shipped config lists them; none is assumed here.
            bad_reasons: Vec::new(),
        }
    }
}

/// `[alarms]`: thresholds of the live floor; 0 turns a check off.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlarmsSection {
    /// Alarm when a queue has at least this many citizens waiting.
    pub queue_waiting: u32,
    /// Alarm when a queue's longest wait reaches this many minutes.
    pub queue_wait_minutes: u32,
    /// Alarm when a window has been paused this many minutes.
    pub window_paused_minutes: u32,
    /// Alarm when a checked-in appointment still waits this many minutes after its slot began.
    pub appointment_late_minutes: u32,
}

impl Default for AlarmsSection {
    fn default() -> Self {
        let t = crate::domain::policy::Thresholds::default();
        AlarmsSection {
            queue_waiting: t.queue_waiting,
            queue_wait_minutes: t.queue_wait_s / 60,
            window_paused_minutes: t.window_paused_s / 60,
            appointment_late_minutes: t.appointment_late_s / 60,
        }
    }
}

impl AlarmsSection {
    /// The thresholds in the floor's units.
    pub fn thresholds(&self) -> crate::domain::policy::Thresholds {
        crate::domain::policy::Thresholds {
            queue_waiting: self.queue_waiting,
            queue_wait_s: self.queue_wait_minutes.saturating_mul(60),
            window_paused_s: self.window_paused_minutes.saturating_mul(60),
            appointment_late_s: self.appointment_late_minutes.saturating_mul(60),
        }
    }
}

/// `[appraisal]`: each component scores 0-100 points; the score is their weighted mean minus
/// the bad-rating penalty (applied by the appraisal report).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AppraisalSection {
    /// Weight of tickets served (relative to the busiest clerk).
    pub weight_volume: u32,
    /// Weight of service time against the same queues' hall-wide mean.
    pub weight_service_time: u32,
    /// Weight of the share of served citizens who waited no longer than the wait target.
    pub weight_within_target: u32,
    /// Weight of the satisfaction rate.
    pub weight_satisfaction: u32,
    /// Weight of rating coverage (rated / served).
    pub weight_rating_coverage: u32,
    /// Weight of time signed in and not paused (relative to the most present clerk).
    pub weight_attendance: u32,
    /// Points taken off per bad rating (不满意 / 非常不满意) that is not excused.
    pub bad_rating_points: f64,
    /// Follow-up results (rectified | explained | appealed) that excuse a bad rating once the
    /// follow-up is closed.
    pub excused_results: Vec<String>,
    /// Points taken off per percentage point of the clerk's served citizens who waited longer
    /// than the wait target (0: the over-target share only counts through `weight_within_target`).
    pub over_target_points: f64,
    /// Percent of clerks rated excellent, rounded up (the seed plan's top 20%).
    pub excellent_percent: u32,
}

impl Default for AppraisalSection {
    fn default() -> Self {
        let w = crate::domain::policy::Weights::default();
        AppraisalSection {
            weight_volume: w.volume,
            weight_service_time: w.service_time,
            weight_within_target: w.within_target,
            weight_satisfaction: w.satisfaction,
            weight_rating_coverage: w.rating_coverage,
            weight_attendance: w.attendance,
            bad_rating_points: w.bad_rating_points,
            excused_results: w.excused_results,
            over_target_points: w.over_target_points,
            excellent_percent: w.excellent_percent,
        }
    }
}

impl AppraisalSection {
    /// The weights as the appraisal uses them.
    pub fn weights(&self) -> crate::domain::policy::Weights {
        crate::domain::policy::Weights {
            volume: self.weight_volume,
            service_time: self.weight_service_time,
            within_target: self.weight_within_target,
            satisfaction: self.weight_satisfaction,
            rating_coverage: self.weight_rating_coverage,
            attendance: self.weight_attendance,
            bad_rating_points: self.bad_rating_points,
            excused_results: self.excused_results.clone(),
            over_target_points: self.over_target_points,
            excellent_percent: self.excellent_percent,
        }
    }
}

/// `[hall]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HallSection {
    /// Hall name on slips and screens.
    pub name: String,
    /// IANA time zone for service days and hours.
    #[serde(default = "default_tz")]
    pub timezone: String,
    /// Opening time, HH:MM.
    pub opens: String,
    /// Closing time, HH:MM.
    pub closes: String,
    /// No tickets this many minutes before closing.
    #[serde(default)]
    pub issue_cutoff_minutes: u32,
    /// Wait target for reports, minutes.
    #[serde(default = "default_target")]
    pub wait_target_minutes: u32,
    /// Green-channel calls in a row allowed while ordinary tickets of the same tier wait (0 = no limit).
    #[serde(default = "default_ratio")]
    pub green_channel_ratio: u32,
    /// Recalls before a no-show is due.
    #[serde(default = "default_recall")]
    pub recall_limit: u32,
    /// Service time assumed before any is measured, minutes.
    #[serde(default = "default_service")]
    pub default_service_minutes: u32,
    /// The number of windows the hall must have.
    pub expected_windows: Option<u32>,
    /// Where citizens' phones reach this server (`http://192.168.1.10:8080`), for the QR code
    /// on slips and the kiosk; without it, the address the kiosk itself used.
    pub public_url: Option<String>,
}

fn default_tz() -> String {
    "Asia/Shanghai".into()
}
fn default_target() -> u32 {
    20
}
fn default_ratio() -> u32 {
    3
}
fn default_recall() -> u32 {
    3
}
fn default_service() -> u32 {
    8
}

/// `[[zones]]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZoneSection {
    pub id: String,
    pub name: String,
}

/// `[[departments]]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepartmentSection {
    pub id: String,
    pub name: String,
    /// English name, shown by the kiosk's English mode; `name` when absent.
    pub name_en: Option<String>,
    pub kind: DepartmentKind,
    /// Free text, e.g. the seed's 备注.
    pub note: Option<String>,
}

/// `bands = [{ from, to, quota }]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BandSection {
    pub from: String,
    pub to: String,
    pub quota: u32,
}

/// `[[queues]]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueSection {
    pub id: String,
    pub name: String,
    /// English name, shown by the kiosk's English mode; `name` when absent.
    pub name_en: Option<String>,
    /// 1-2 upper-case letters, unique.
    pub prefix: String,
    pub department: String,
    pub daily_quota: u32,
    /// Typical service time, minutes.
    pub service_minutes: Option<u32>,
    #[serde(default)]
    pub real_name: bool,
    #[serde(default)]
    pub ask_phone: bool,
    pub opens: Option<String>,
    pub closes: Option<String>,
    #[serde(default)]
    pub bands: Vec<BandSection>,
    /// Appointments (预约) and extended hours (延时服务) of this queue.
    pub appointments: Option<appointments::QueueAppointmentsSection>,
}

/// `[[windows]]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowSection {
    /// `"5"` or an inclusive range `"1-11"`.
    pub numbers: String,
    pub name: String,
    pub kind: WindowKind,
    pub zone: String,
    /// First tier, oldest first across them.
    pub queues: Vec<String>,
    /// Second tier, only when the first is empty.
    #[serde(default)]
    pub secondary_queues: Vec<String>,
}

/// `[[printers]]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrinterSection {
    pub id: String,
    /// `tcp://HOST:PORT` or `file:///dev/usb/lp0`.
    pub address: String,
    /// Paper width: 58 or 80.
    #[serde(default = "default_width")]
    pub width_mm: u32,
}

fn default_width() -> u32 {
    80
}

/// `[[kiosks]]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KioskSection {
    pub id: String,
    pub printer: Option<String>,
    pub zone: Option<String>,
}

/// A config that cannot be used: where (table, entry of a `[[table]]`, key, line) and why.
/// The place comes from the TOML parser's spans.
#[derive(Debug)]
pub struct ConfigError {
    pub file: String,
    /// The table at fault (`windows`, `hall`); empty for a top-level key or the whole file.
    pub table: String,
    /// Which entry of a `[[table]]`, from 0 (the 3rd `[[windows]]` is 2).
    pub index: Option<usize>,
    /// The key at fault, dotted inside a sub-table (`appointments.slot_minutes`); empty when
    /// the fault is not at one key (a syntax error, a missing file).
    pub key: String,
    /// 1-based line in the file.
    pub line: Option<usize>,
    pub message: String,
}

impl std::error::Error for ConfigError {}

/// `hall.toml:412: windows[2].queues: unknown queue "nope"`
impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let line = self.line.map_or("?".to_string(), |l| l.to_string());
        write!(
            f,
            "{}:{line}: {}: {}",
            self.file,
            self.place(),
            self.message
        )
    }
}

impl ConfigError {
    /// `windows[2].queues`, `hall.opens`, `zones`: the place as a reader finds it in the file.
    pub fn place(&self) -> String {
        let mut out = self.table.clone();
        if let Some(i) = self.index {
            out.push_str(&format!("[{i}]"));
        }
        if !self.key.is_empty() {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&self.key);
        }
        if out.is_empty() { "(file)".into() } else { out }
    }
}

impl Config {
    /// Read, parse and validate a config file.
    pub fn load(path: &Path) -> Result<(Config, Plan), Box<ConfigError>> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: file.clone(),
            table: String::new(),
            index: None,
            key: String::new(),
            line: None,
            message: format!("cannot read: {e}"),
        })?;
        Self::parse(&file, &text)
    }

    /// Parse and validate config text; `file` only names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<(Config, Plan), Box<ConfigError>> {
        let cfg: Config = toml::from_str(text).map_err(|e| {
            let mut err = ConfigError {
                file: file.into(),
                table: String::new(),
                index: None,
                key: String::new(),
                line: e.span().map(|s| line_of(text, s.start)),
                message: e.message().to_string(),
            };
            // Well-formed TOML of the wrong shape: name the key the parser pointed at.
            if let (Some(span), Ok(doc)) = (e.span(), toml::de::DeTable::parse(text))
                && let Some(at) = spans::at_offset(doc.get_ref(), span.start)
            {
                (err.table, err.index, err.key) = (at.table, at.index, at.key);
            }
            err
        })?;
        let plan = cfg.validate().map_err(|(table, index, key, message)| {
            // The text parsed above, so it parses again; its spans give the line.
            let line = toml::de::DeTable::parse(text)
                .ok()
                .and_then(|doc| spans::of_key(doc.get_ref(), table, index, key))
                .map(|offset| line_of(text, offset));
            ConfigError {
                file: file.into(),
                table: table.into(),
                index,
                key: key.into(),
                line,
                message,
            }
        })?;
        Ok((cfg, plan))
    }

    /// Check every cross-reference and build the plan. Errors are (table, index, key, message).
    fn validate(&self) -> Result<Plan, (&'static str, Option<usize>, &'static str, String)> {
        let h = &self.hall;
        let tz = jiff::tz::TimeZone::get(&h.timezone)
            .map_err(|e| ("hall", None, "timezone", format!("unknown time zone: {e}")))?;
        let opens = time(&h.opens).map_err(|m| ("hall", None, "opens", m))?;
        let closes = time(&h.closes).map_err(|m| ("hall", None, "closes", m))?;
        if opens >= closes {
            return Err((
                "hall",
                None,
                "closes",
                "closing time must be after opening time".into(),
            ));
        }
        let cutoff = jiff::SignedDuration::from_mins(i64::from(h.issue_cutoff_minutes));
        let hall_last = closes
            .checked_sub(cutoff)
            .ok()
            .filter(|t| *t > opens)
            .ok_or((
                "hall",
                None,
                "issue_cutoff_minutes",
                "cut-off leaves no issuing time".into(),
            ))?;

        if let Some(u) = &h.public_url
            && !(u.starts_with("http://") || u.starts_with("https://"))
        {
            return Err((
                "hall",
                None,
                "public_url",
                format!("{u:?} must start with http:// or https://"),
            ));
        }
        let mut zone_ids = HashSet::new();
        for (i, z) in self.zones.iter().enumerate() {
            if !zone_ids.insert(z.id.as_str()) {
                return Err((
                    "zones",
                    Some(i),
                    "id",
                    format!("duplicate zone id {:?}", z.id),
                ));
            }
        }
        if self.zones.is_empty() {
            return Err(("zones", None, "id", "at least one zone is needed".into()));
        }
        let mut dept_ids = HashSet::new();
        for (i, d) in self.departments.iter().enumerate() {
            if !ident(&d.id) {
                return Err((
                    "departments",
                    Some(i),
                    "id",
                    format!("{:?} is not a lowercase id", d.id),
                ));
            }
            if !dept_ids.insert(d.id.as_str()) {
                return Err((
                    "departments",
                    Some(i),
                    "id",
                    format!("duplicate department id {:?}", d.id),
                ));
            }
        }
        let mut queue_ids = HashSet::new();
        let mut prefixes: HashMap<&str, &str> = HashMap::new();
        let mut queues = Vec::new();
        for (i, q) in self.queues.iter().enumerate() {
            let at = |key, m: String| ("queues", Some(i), key, m);
            if !ident(&q.id) {
                return Err(at("id", format!("{:?} is not a lowercase id", q.id)));
            }
            if !queue_ids.insert(q.id.as_str()) {
                return Err(at("id", format!("duplicate queue id {:?}", q.id)));
            }
            let p = q.prefix.as_str();
            if !(1..=2).contains(&p.len()) || !p.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(at(
                    "prefix",
                    format!("{p:?} must be 1-2 upper-case letters"),
                ));
            }
            if let Some(other) = prefixes.insert(p, &q.id) {
                return Err(at(
                    "prefix",
                    format!("prefix {p:?} is already used by queue {other:?}"),
                ));
            }
            if !dept_ids.contains(q.department.as_str()) {
                return Err(at(
                    "department",
                    format!("unknown department {:?}", q.department),
                ));
            }
            if q.daily_quota == 0 || q.daily_quota > 9999 {
                return Err(at("daily_quota", "must be 1..=9999".into()));
            }
            let q_opens = match &q.opens {
                Some(s) => time(s).map_err(|m| at("opens", m))?,
                None => opens,
            };
            let last_issue = match &q.closes {
                Some(s) => time(s)
                    .map_err(|m| at("closes", m))?
                    .checked_sub(cutoff)
                    .map_err(|e| at("closes", e.to_string()))?,
                None => hall_last,
            };
            if q_opens >= last_issue {
                return Err(at(
                    "closes",
                    "no issuing time left between opens and closes minus the cut-off".into(),
                ));
            }
            let mut bands = Vec::new();
            for b in &q.bands {
                let from = time(&b.from).map_err(|m| at("bands", m))?;
                let to = time(&b.to).map_err(|m| at("bands", m))?;
                if from >= to {
                    return Err(at(
                        "bands",
                        format!("band {}-{} ends before it starts", b.from, b.to),
                    ));
                }
                if bands.iter().any(|x: &Band| from < x.to && x.from < to) {
                    return Err(at(
                        "bands",
                        format!("band {}-{} overlaps another", b.from, b.to),
                    ));
                }
                bands.push(Band {
                    from,
                    to,
                    quota: b.quota,
                });
            }
            // APPOINTMENTS HOOK (issue 15): see config_appointments.rs.
            let q_closes = match &q.closes {
                Some(s) => time(s).map_err(|m| at("closes", m))?,
                None => closes,
            };
            let appointments = q
                .appointments
                .as_ref()
                .map(|a| a.plan(q_opens, q_closes, &bands, q.daily_quota))
                .transpose()
                .map_err(|(key, m)| at(key, m))?;
            let service = q.service_minutes.unwrap_or(h.default_service_minutes);
            if service == 0 {
                return Err(at("service_minutes", "must be at least 1".into()));
            }
            queues.push(QueuePlan {
                id: q.id.clone(),
                name: q.name.clone(),
                name_en: q.name_en.clone(),
                prefix: q.prefix.clone(),
                department: q.department.clone(),
                daily_quota: q.daily_quota,
                service_s: service * 60,
                real_name: q.real_name,
                ask_phone: q.ask_phone,
                opens: q_opens,
                last_issue,
                bands,
                appointments,
            });
        }
        let mut windows: Vec<WindowPlan> = Vec::new();
        let mut served = HashSet::new();
        for (i, w) in self.windows.iter().enumerate() {
            let at = |key, m: String| ("windows", Some(i), key, m);
            let (lo, hi) = range(&w.numbers).map_err(|m| at("numbers", m))?;
            if !zone_ids.contains(w.zone.as_str()) {
                return Err(at("zone", format!("unknown zone {:?}", w.zone)));
            }
            if w.queues.is_empty() {
                return Err(at("queues", "a window must call at least one queue".into()));
            }
            for (key, list) in [
                ("queues", &w.queues),
                ("secondary_queues", &w.secondary_queues),
            ] {
                for q in list {
                    if !queue_ids.contains(q.as_str()) {
                        return Err(at(key, format!("unknown queue {q:?}")));
                    }
                    served.insert(q.as_str());
                }
            }
            for n in lo..=hi {
                if windows.iter().any(|x| x.number == n) {
                    return Err(at("numbers", format!("window {n} is defined twice")));
                }
                let mut tiers = vec![w.queues.clone()];
                if !w.secondary_queues.is_empty() {
                    tiers.push(w.secondary_queues.clone());
                }
                windows.push(WindowPlan {
                    number: n,
                    name: w.name.clone(),
                    kind: w.kind,
                    zone: w.zone.clone(),
                    tiers,
                });
            }
        }
        windows.sort_by_key(|w| w.number);
        if let Some(expected) = h.expected_windows
            && windows.len() != expected as usize
        {
            return Err((
                "hall",
                None,
                "expected_windows",
                format!(
                    "the [[windows]] add up to {} windows, not {expected}",
                    windows.len()
                ),
            ));
        }
        if let Some((i, q)) = self
            .queues
            .iter()
            .enumerate()
            .find(|(_, q)| !served.contains(q.id.as_str()))
        {
            return Err((
                "queues",
                Some(i),
                "id",
                format!("no window calls queue {:?}", q.id),
            ));
        }
        let mut printer_ids = HashSet::new();
        for (i, p) in self.printers.iter().enumerate() {
            if !printer_ids.insert(p.id.as_str()) {
                return Err((
                    "printers",
                    Some(i),
                    "id",
                    format!("duplicate printer id {:?}", p.id),
                ));
            }
            let ok = p.address.strip_prefix("tcp://").is_some_and(|a| {
                a.rsplit_once(':')
                    .is_some_and(|(_, port)| port.parse::<u16>().is_ok())
            }) || p
                .address
                .strip_prefix("file://")
                .is_some_and(|f| f.starts_with('/'));
            if !ok {
                return Err((
                    "printers",
                    Some(i),
                    "address",
                    format!(
                        "{:?} is neither tcp://HOST:PORT nor file:///path",
                        p.address
                    ),
                ));
            }
            if p.width_mm != 58 && p.width_mm != 80 {
                return Err((
                    "printers",
                    Some(i),
                    "width_mm",
                    "paper width is 58 or 80".into(),
                ));
            }
        }
        let mut kiosk_ids = HashSet::new();
        for (i, k) in self.kiosks.iter().enumerate() {
            if !kiosk_ids.insert(k.id.as_str()) {
                return Err((
                    "kiosks",
                    Some(i),
                    "id",
                    format!("duplicate kiosk id {:?}", k.id),
                ));
            }
            if let Some(p) = &k.printer
                && !printer_ids.contains(p.as_str())
            {
                return Err((
                    "kiosks",
                    Some(i),
                    "printer",
                    format!("unknown printer {p:?}"),
                ));
            }
            if let Some(z) = &k.zone
                && !zone_ids.contains(z.as_str())
            {
                return Err(("kiosks", Some(i), "zone", format!("unknown zone {z:?}")));
            }
        }
        self.validate_reports()?;
        self.notify_plan()?;
        self.validate_events()?;
        let numbers: Vec<u32> = windows.iter().map(|w| w.number).collect();
        let rota = rota::plan(&self.rota, &numbers, opens, closes, range, time)
            .map_err(|(i, key, m)| ("rota", Some(i), key, m))?;
        let miss_rule = self
            .appointments
            .rule()
            .map_err(|(key, m)| ("appointments", None, key, m))?;
        let appointment_calling = self
            .appointments
            .calling()
            .map_err(|(key, m)| ("appointments", None, key, m))?;
        let mut plan = Plan {
            rules: Rules {
                name: h.name.clone(),
                tz,
                tz_name: h.timezone.clone(),
                wait_target_s: h.wait_target_minutes * 60,
                green_channel_ratio: h.green_channel_ratio,
                recall_limit: h.recall_limit,
                default_service_s: h.default_service_minutes * 60,
                always_open: false,
                closes,
                rating_period_s: self.ratings.later_hours.saturating_mul(3600),
                follow_up_days: self.ratings.follow_up_working_days,
                rating_reasons: self.ratings.bad_reasons.clone(),
                miss_rule,
                appointment_calling,
                retention: crate::domain::plan::Retention {
                    phone_days: self.retention.phone_days,
                    id_days: self.retention.id_days,
                    outbox_days: self.retention.outbox_days,
                },
            },
            texts: self.texts.clone(),
            zones: self
                .zones
                .iter()
                .map(|z| Zone {
                    id: z.id.clone(),
                    name: z.name.clone(),
                })
                .collect(),
            departments: self
                .departments
                .iter()
                .map(|d| Department {
                    id: d.id.clone(),
                    name: d.name.clone(),
                    name_en: d.name_en.clone(),
                    kind: d.kind,
                })
                .collect(),
            queues,
            windows,
            alarms: self.alarms.thresholds(),
            appraisal: self.appraisal.weights(),
            public_url: h.public_url.clone(),
            printers: self
                .printers
                .iter()
                .map(|p| PrinterPlan {
                    id: p.id.clone(),
                    address: p.address.clone(),
                    width_mm: p.width_mm,
                })
                .collect(),
            kiosks: self
                .kiosks
                .iter()
                .map(|k| KioskPlan {
                    id: k.id.clone(),
                    printer: k.printer.clone(),
                    zone: k.zone.clone(),
                })
                .collect(),
            rota,
        };
        // A slot capacity given as a share of the staffing needs the windows (issue 15).
        appointments::staffed_capacities(&mut plan)
            .map_err(|(i, key, m)| ("queues", Some(i), key, m))?;
        Ok(plan)
    }
}

impl Config {
    /// `[[notify]]` and `[notifications]` as the engine's notification plan.
    pub fn notify_plan(
        &self,
    ) -> Result<
        crate::domain::notify::NotifyPlan,
        (&'static str, Option<usize>, &'static str, String),
    > {
        notify::plan(
            &self.notify,
            &self.notifications,
            self.hall.public_url.as_deref(),
        )
    }

    /// `[events]` must leave room for a screen and buffer at least one event.
    fn validate_events(&self) -> Result<(), (&'static str, Option<usize>, &'static str, String)> {
        let e = &self.events;
        if e.buffer == 0 || e.buffer > 1 << 20 {
            return Err(("events", None, "buffer", "must be 1 to 1048576".into()));
        }
        if e.max_clients == 0 {
            return Err(("events", None, "max_clients", "must be above 0".into()));
        }
        if e.max_anonymous_clients > e.max_clients {
            return Err((
                "events",
                None,
                "max_anonymous_clients",
                "must not exceed max_clients".into(),
            ));
        }
        if e.max_anonymous_per_address == 0 {
            return Err((
                "events",
                None,
                "max_anonymous_per_address",
                "must be above 0".into(),
            ));
        }
        Ok(())
    }

    /// `[appraisal]` must make a score and flag someone.
    fn validate_reports(&self) -> Result<(), (&'static str, Option<usize>, &'static str, String)> {
        self.backup
            .at_time()
            .map_err(|m| ("backup", None, "at", m))?;
        if !self.backup.dir.is_empty() && self.backup.keep == 0 {
            return Err(("backup", None, "keep", "keep at least 1 copy".into()));
        }
        self.metrics
            .blocks()
            .map_err(|m| ("metrics", None, "allow", m))?;
        let a = &self.appraisal;
        let w = a.weights();
        if w.volume
            + w.service_time
            + w.within_target
            + w.satisfaction
            + w.rating_coverage
            + w.attendance
            == 0
        {
            return Err((
                "appraisal",
                None,
                "weight_volume",
                "at least one weight must be above 0".into(),
            ));
        }
        if !(a.bad_rating_points.is_finite() && a.bad_rating_points >= 0.0) {
            return Err((
                "appraisal",
                None,
                "bad_rating_points",
                "must be 0 or more".into(),
            ));
        }
        if let Some(r) = a
            .excused_results
            .iter()
            .find(|r| !["rectified", "explained", "appealed"].contains(&r.as_str()))
        {
            return Err((
                "appraisal",
                None,
                "excused_results",
                format!("{r:?} is not one of rectified, explained, appealed"),
            ));
        }
        if !(1..=100).contains(&a.excellent_percent) {
            return Err((
                "appraisal",
                None,
                "excellent_percent",
                "must be 1..=100".into(),
            ));
        }
        Ok(())
    }
}

fn ident(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

fn time(s: &str) -> Result<Time, String> {
    let bad = || format!("{s:?} is not a time of day HH:MM");
    let (h, m) = s.split_once(':').ok_or_else(bad)?;
    if h.len() != 2 || m.len() != 2 {
        return Err(bad());
    }
    let h: i8 = h.parse().map_err(|_| bad())?;
    let m: i8 = m.parse().map_err(|_| bad())?;
    Time::new(h, m, 0, 0).map_err(|_| bad())
}

fn range(s: &str) -> Result<(u32, u32), String> {
    let bad = || format!("{s:?} is neither a window number nor a range like \"1-11\"");
    let (lo, hi) = match s.split_once('-') {
        Some((a, b)) => (
            a.trim().parse().map_err(|_| bad())?,
            b.trim().parse().map_err(|_| bad())?,
        ),
        None => {
            let n = s.trim().parse().map_err(|_| bad())?;
            (n, n)
        }
    };
    if lo == 0 || lo > hi {
        return Err(bad());
    }
    Ok((lo, hi))
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())]
        .bytes()
        .filter(|b| *b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHIPPED: &str = include_str!("../config/hall.toml");

    #[test]
    fn shipped_hall_parses_and_matches_the_seed() {
        let (cfg, plan) =
            Config::parse("config/hall.toml", SHIPPED).expect("shipped config is valid");
        assert_eq!(plan.departments.len(), 41);
        assert_eq!(plan.windows.len(), 118);
        let count = |k| plan.windows.iter().filter(|w| w.kind == k).count();
        assert_eq!(count(WindowKind::Resident), 101);
        assert_eq!(count(WindowKind::Comprehensive), 16);
        assert_eq!(count(WindowKind::PovertyAlleviation), 1);
        assert!(plan.queues.len() > 26, "more queues than letters");
        // Every comprehensive window accepts for the nine comprehensive departments.
        let comp = plan
            .windows
            .iter()
            .find(|w| w.kind == WindowKind::Comprehensive)
            .expect("one");
        let depts: HashSet<&str> = comp
            .queues()
            .filter_map(|q| plan.queue(q))
            .map(|q| q.department.as_str())
            .collect();
        assert_eq!(depts.len(), 9);
        assert_eq!(plan.rules.tz_name, "Asia/Shanghai");
        assert!(!cfg.kiosks.is_empty());
    }

    fn broken(from: &str, to: &str) -> ConfigError {
        assert!(
            SHIPPED.contains(from),
            "fixture text {from:?} not in the shipped file"
        );
        let text = SHIPPED.replacen(from, to, 1);
        *Config::parse("hall.toml", &text).expect_err("must be refused")
    }

    #[test]
    fn a_real_halls_lan_and_usb_printers_are_accepted() {
        // The installer uncomments the shipped examples: check-config takes them as they are
        // (only trial runs refuse to contact them, in the printer transport).
        let text = SHIPPED
            .replace("# [[printers]]\n", "[[printers]]\n")
            .replace("# id = \"p1\"", "id = \"p1\"")
            .replace("# address = \"tcp://", "address = \"tcp://")
            .replace("# width_mm = 80\n#\n", "width_mm = 80\n\n")
            .replace("# id = \"p2\"", "id = \"p2\"")
            .replace("# address = \"file://", "address = \"file://")
            .replace("# width_mm = 80\n", "width_mm = 80\n")
            .replace("# printer = \"p1\"", "printer = \"p1\"")
            .replace("# printer = \"p2\"", "printer = \"p2\"");
        let (cfg, _) = Config::parse("hall.toml", &text).expect("a real hall's file is valid");
        let addrs: Vec<&str> = cfg.printers.iter().map(|p| p.address.as_str()).collect();
        assert_eq!(addrs.len(), 2, "{addrs:?}");
        assert!(addrs[0].starts_with("tcp://192.168."), "{addrs:?}");
        assert!(addrs[1].starts_with("file:///dev/"), "{addrs:?}");
        assert!(
            cfg.kiosks
                .iter()
                .any(|k| k.printer.as_deref() == Some("p2"))
        );
    }

    #[test]
    fn refusals_name_the_key_and_line() {
        let e = broken("queues = [\"crj\"]", "queues = [\"nope\"]");
        assert_eq!(e.place(), "windows[1].queues");
        assert!(e.message.contains("nope"));
        let line = e.line.expect("line");
        assert!(
            SHIPPED
                .lines()
                .nth(line - 1)
                .expect("line exists")
                .contains("queues = [\"crj\"]")
        );

        let e = broken("opens = \"09:00\"", "opens = \"9h\"");
        assert_eq!(e.place(), "hall.opens");
        assert!(e.line.is_some());

        let e = broken("numbers = \"20\"", "numbers = \"19\"");
        assert!(e.message.contains("window 19 is defined twice"), "{e}");

        let e = broken("expected_windows = 118", "expected_windows = 117");
        assert_eq!(e.place(), "hall.expected_windows");

        let e = broken("\n[hall]\n", "\n[hall]\ncolour = \"red\"\n");
        // Refused by the parser (an unknown key): the place still comes from its span.
        assert_eq!(
            (e.table.as_str(), e.index, e.key.as_str()),
            ("hall", None, "colour")
        );
        assert!(e.message.contains("colour"), "{e}");
        assert_eq!(
            e.line,
            Some(SHIPPED.lines().position(|l| l == "[hall]").expect("there") + 2)
        );
    }

    /// The line of the `n`-th (from 0) `[[windows]]` header and of `key` after it.
    fn window_lines(text: &str, n: usize, key: &str) -> (usize, usize) {
        let lines: Vec<&str> = text.lines().collect();
        let header = lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l.trim() == "[[windows]]")
            .nth(n)
            .expect("enough windows")
            .0;
        let at = (header + 1..lines.len())
            .find(|&i| lines[i].trim_start().starts_with(key))
            .expect("the key after the header");
        (header + 1, at + 1)
    }

    /// The shipped file with its 1-based line `n` replaced by `line` (or `line` put before it),
    /// refused.
    fn refused_at(n: usize, line: &str, insert: bool) -> ConfigError {
        let mut lines: Vec<&str> = SHIPPED.lines().collect();
        if insert {
            lines.insert(n - 1, line);
        } else {
            lines[n - 1] = line;
        }
        *Config::parse("hall.toml", &lines.join("\n")).expect_err("must be refused")
    }

    fn place(e: &ConfigError) -> (&str, Option<usize>, &str, Option<usize>) {
        (e.table.as_str(), e.index, e.key.as_str(), e.line)
    }

    #[test]
    fn a_bad_key_in_the_third_window_entry_names_its_table_index_key_and_line() {
        let (header, zone) = window_lines(SHIPPED, 2, "zone =");
        let (_, numbers) = window_lines(SHIPPED, 2, "numbers =");
        // Refused by validation: an unknown zone.
        let e = refused_at(zone, "zone = \"nowhere\"", false);
        assert_eq!(place(&e), ("windows", Some(2), "zone", Some(zone)), "{e}");
        assert!(e.message.contains("nowhere"), "{e}");
        let shown = format!("hall.toml:{zone}: windows[2].zone: ");
        assert!(e.to_string().starts_with(&shown), "{e}");
        // Refused by the parser: a key the entry does not have, and a value of the wrong type.
        let e = refused_at(header + 1, "colour = \"red\"", true);
        assert_eq!(
            place(&e),
            ("windows", Some(2), "colour", Some(header + 1)),
            "{e}"
        );
        let e = refused_at(numbers, "numbers = 7", false);
        assert_eq!(
            place(&e),
            ("windows", Some(2), "numbers", Some(numbers)),
            "{e}"
        );
    }

    #[test]
    fn duplicate_prefix_is_refused() {
        let first = SHIPPED.find("prefix = \"").expect("a prefix");
        let rest = &SHIPPED[first + 10..];
        let p = &rest[..rest.find('"').expect("closing quote")];
        let second = SHIPPED[first + 1..].find("prefix = \"").expect("another") + first + 1;
        let mut text = SHIPPED.to_string();
        let end = text[second + 10..].find('"').expect("quote") + second + 10;
        text.replace_range(second + 10..end, p);
        let e = Config::parse("hall.toml", &text).expect_err("duplicate prefix");
        assert_eq!(
            (e.table.as_str(), e.key.as_str()),
            ("queues", "prefix"),
            "{e}"
        );
        assert!(e.message.contains("already used"));
    }

    #[test]
    fn report_sections_are_read_and_checked() {
        let (cfg, _) = Config::parse("config/hall.toml", SHIPPED).expect("valid");
        assert_eq!(cfg.alarms.thresholds().queue_wait_s, 40 * 60);
        assert_eq!(cfg.appraisal.weights().excellent_percent, 20);
        let e = broken("excellent_percent = 20", "excellent_percent = 0");
        assert_eq!(e.place(), "appraisal.excellent_percent");
        assert!(e.line.is_some());
        let e = broken(
            "excused_results = [\"appealed\"]",
            "excused_results = [\"forgiven\"]",
        );
        assert!(e.message.contains("forgiven"), "{e}");
        // Both sections are optional: a config without them gets the defaults.
        let start = SHIPPED.find("\n[alarms]").expect("an [alarms] table");
        let end = SHIPPED[start + 1..]
            .find("\n# ----")
            .map_or(SHIPPED.len(), |i| i + start + 1);
        let without = format!("{}{}", &SHIPPED[..start], &SHIPPED[end..]);
        assert!(!without.contains("[appraisal]"));
        let (cfg, _) = Config::parse("hall.toml", &without).expect("valid without them");
        assert_eq!(cfg.alarms.queue_waiting, 30);
    }

    #[test]
    fn times_and_ranges() {
        assert!(time("09:00").is_ok());
        assert!(time("24:00").is_err());
        assert!(time("9:00").is_err());
        assert_eq!(range("1-11"), Ok((1, 11)));
        assert_eq!(range("5"), Ok((5, 5)));
        assert!(range("11-1").is_err());
        assert!(range("0").is_err());
    }
}
