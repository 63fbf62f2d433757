//! Slip printing: the pure ESC/POS encoder (`slip`), the status protocol (`status`), the
//! transports (`transport`) and the printer service every handler shares (`Printers`).
//! Printing happens after a ticket is committed and never decides whether it exists: a
//! failure is reported, remembered as the printer's health, and the ticket stays issued.
//! `fake` is an in-repo network printer for tests and installers: it records, decodes and
//! scripts status replies.

pub mod fake;
pub mod return_slip;
pub mod slip;
pub mod status;
pub mod transport;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::Timestamp;
use serde::Serialize;
use tokio::time::Instant;

pub use slip::{Paper, Slip};
use transport::Address;

use crate::domain::plan::{KioskPlan, Plan, PrinterPlan};

/// The most a kiosk waits for its slip (queueing behind another job included).
pub const JOB_DEADLINE: Duration = Duration::from_millis(2500);
/// How long a printer that was unreachable or silent is not tried again on the kiosk's time
/// (a background probe runs instead and clears the hold once the printer answers).
pub const SLOW_FAULT_HOLD: Duration = Duration::from_secs(30);

/// Why a slip did not print. `code()` is what the API and the kiosk see.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrintError {
    #[error("printer unreachable: {0}")]
    Unreachable(String),
    #[error("paper out")]
    PaperOut,
    #[error("cover open")]
    CoverOpen,
    #[error("printer offline")]
    Offline,
    #[error("no reply to the status request")]
    NoStatus,
    #[error("unexpected status byte {0:#04x}")]
    BadStatus(u8),
    #[error("connection lost: {0}")]
    ConnectionLost(String),
    #[error("the printer did not finish in time")]
    Timeout,
    #[error("the printer is busy with another slip")]
    Busy,
    #[error("no printer {0:?} in the config")]
    UnknownPrinter(String),
    #[error("slip could not be encoded: {0}")]
    Encode(String),
    /// A trial run (`--demo`, `--simulated-clock`) never reaches past this machine.
    #[error("not tried in a trial run: {0}")]
    NotLocal(String),
}

impl PrintError {
    /// Stable snake_case code (the kiosk shows its own text for it).
    pub fn code(&self) -> &'static str {
        match self {
            PrintError::Unreachable(_) => "printer_unreachable",
            PrintError::PaperOut => "paper_out",
            PrintError::CoverOpen => "cover_open",
            PrintError::Offline => "printer_offline",
            PrintError::NoStatus | PrintError::BadStatus(_) => "printer_not_responding",
            PrintError::ConnectionLost(_) => "connection_lost",
            PrintError::Timeout => "print_timeout",
            PrintError::Busy => "printer_busy",
            PrintError::UnknownPrinter(_) => "unknown_printer",
            PrintError::Encode(_) => "slip_encoding",
            PrintError::NotLocal(_) => "printer_not_local",
        }
    }

    /// The health a printer is in after this error (`None`: says nothing about the printer).
    fn health(&self) -> Option<HealthState> {
        match self {
            PrintError::Unreachable(_) => Some(HealthState::Unreachable),
            PrintError::PaperOut => Some(HealthState::PaperOut),
            PrintError::CoverOpen => Some(HealthState::CoverOpen),
            PrintError::NotLocal(_) => Some(HealthState::Unreachable),
            PrintError::Offline
            | PrintError::NoStatus
            | PrintError::BadStatus(_)
            | PrintError::ConnectionLost(_)
            | PrintError::Timeout => Some(HealthState::Offline),
            PrintError::Busy | PrintError::UnknownPrinter(_) | PrintError::Encode(_) => None,
        }
    }
}

impl From<escpos::errors::PrinterError> for PrintError {
    fn from(e: escpos::errors::PrinterError) -> Self {
        PrintError::Encode(e.to_string())
    }
}

/// A printer's last known state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HealthState {
    /// Not tried since the server started.
    Unknown,
    Ok,
    PaperOut,
    CoverOpen,
    Offline,
    Unreachable,
}

/// What the floor knows about one printer.
#[derive(Debug, Clone)]
pub struct Health {
    pub state: HealthState,
    pub paper_near_end: bool,
    /// The last failure, with detail (for staff, not citizens).
    pub last_error: Option<String>,
    pub last_error_at: Option<Timestamp>,
    pub last_checked: Option<Timestamp>,
    pub last_printed: Option<Timestamp>,
}

/// One configured printer and its health.
#[derive(Debug, Clone)]
pub struct PrinterInfo {
    pub id: String,
    pub address: String,
    pub width_mm: u32,
    /// Kiosks that print here.
    pub kiosks: Vec<String>,
    pub health: Health,
}

struct Device {
    id: String,
    address_text: String,
    address: Result<Address, String>,
    width_mm: u32,
    health: Mutex<Health>,
    /// One job at a time per printer.
    line: tokio::sync::Mutex<()>,
    probing: AtomicBool,
    /// Since when (monotonic) a slow fault has held it back, and the last such fault.
    held: Mutex<Option<(Instant, PrintError)>>,
    /// Refuse any address that leaves this machine (trial runs), and whether that was logged.
    local_only: bool,
    refusal_logged: AtomicBool,
}

impl Device {
    fn record(&self, out: &Result<status::Checked, PrintError>, printed: bool) {
        let now = Timestamp::now();
        let mut h = self.health.lock().unwrap_or_else(|p| p.into_inner());
        h.last_checked = Some(now);
        match out {
            Ok(c) => {
                h.state = HealthState::Ok;
                h.paper_near_end = c.paper_near_end;
                if printed {
                    h.last_printed = Some(now);
                }
            }
            Err(e) => {
                if let Some(s) = e.health() {
                    h.state = s;
                }
                h.last_error = Some(e.to_string());
                h.last_error_at = Some(now);
            }
        }
        // Faults that cost the kiosk waiting are not tried again on its time for a while.
        let slow = match out {
            Err(e @ (PrintError::Unreachable(_) | PrintError::NoStatus | PrintError::Timeout)) => {
                Some(e.clone())
            }
            _ => None,
        };
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        *held = match (slow, held.take()) {
            (Some(e), Some((since, _))) => Some((since, e)),
            (Some(e), None) => Some((Instant::now(), e)),
            (None, _) => None,
        };
    }

    /// Held back after a slow fault: the error to answer at once.
    fn held_back(&self) -> Option<PrintError> {
        let held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        held.as_ref()
            .filter(|(since, _)| since.elapsed() < SLOW_FAULT_HOLD)
            .map(|(_, e)| e.clone())
    }

    /// Status check, then `bytes` if any, within `JOB_DEADLINE`, recorded as health.
    async fn job(self: Arc<Self>, bytes: Option<Vec<u8>>) -> Result<(), PrintError> {
        let deadline = Instant::now() + JOB_DEADLINE;
        let addr = self.address.clone().map_err(PrintError::Unreachable)?;
        if self.local_only
            && let Err(why) = addr.stays_local()
        {
            if !self.refusal_logged.swap(true, Ordering::AcqRel) {
                tracing::warn!(
                    printer = %self.id,
                    "printer {}: {why}; not contacted, because this server runs with --demo or \
                     --simulated-clock and a trial run never reaches past this machine",
                    self.id
                );
            }
            let out = Err(PrintError::NotLocal(why));
            self.record(&out, false);
            return out.map(|_| ());
        }
        let out = {
            let Ok(_line) = tokio::time::timeout_at(deadline, self.line.lock()).await else {
                return Err(PrintError::Busy);
            };
            transport::run(&addr, bytes.as_deref(), deadline).await
        };
        self.record(&out, bytes.is_some());
        out.map(|_| ())
    }
}

/// Print `slip` once on `address` (`hallq print-test`), allowing `wait` for the whole job.
pub async fn print_once(
    address: &str,
    width_mm: u32,
    slip: &Slip,
    wait: Duration,
) -> Result<status::Checked, PrintError> {
    let addr = Address::parse(address).map_err(PrintError::Unreachable)?;
    let bytes = slip.encode(Paper::from_mm(width_mm))?;
    transport::run(&addr, Some(&bytes), Instant::now() + wait).await
}

/// The hall's printers: cheap to clone, shared by every handler.
#[derive(Clone)]
pub struct Printers {
    devices: Arc<Vec<Arc<Device>>>,
    /// Kiosk id → printer id.
    kiosks: Arc<HashMap<String, String>>,
}

impl Printers {
    /// The printers and kiosks of the plan; `local_only` as in `new`.
    pub fn from_plan(plan: &Plan, local_only: bool) -> Printers {
        Self::new(&plan.printers, &plan.kiosks, local_only)
    }

    /// The demo hall's printing: one printer, `demo`, at `address` (the built-in fake
    /// printer on 127.0.0.1), used by every kiosk of the config in place of its own.
    pub fn demo(plan: &Plan, address: &str) -> Printers {
        let printer = PrinterPlan {
            id: "demo".into(),
            address: address.into(),
            width_mm: 80,
        };
        let kiosks: Vec<KioskPlan> = plan
            .kiosks
            .iter()
            .map(|k| KioskPlan {
                printer: Some("demo".into()),
                ..k.clone()
            })
            .collect();
        Self::new(&[printer], &kiosks, true)
    }

    /// Printers and the kiosks that use them. With `local_only` (trial runs: `--demo`,
    /// `--simulated-clock`), a printer whose address leaves this machine is never contacted.
    pub fn new(printers: &[PrinterPlan], kiosks: &[KioskPlan], local_only: bool) -> Printers {
        let devices = printers
            .iter()
            .map(|p| {
                Arc::new(Device {
                    id: p.id.clone(),
                    address_text: p.address.clone(),
                    address: Address::parse(&p.address),
                    width_mm: p.width_mm,
                    health: Mutex::new(Health {
                        state: HealthState::Unknown,
                        paper_near_end: false,
                        last_error: None,
                        last_error_at: None,
                        last_checked: None,
                        last_printed: None,
                    }),
                    line: tokio::sync::Mutex::new(()),
                    probing: AtomicBool::new(false),
                    held: Mutex::new(None),
                    local_only,
                    refusal_logged: AtomicBool::new(false),
                })
            })
            .collect();
        let kiosks = kiosks
            .iter()
            .filter_map(|k| Some((k.id.clone(), k.printer.clone()?)))
            .collect();
        Printers {
            devices: Arc::new(devices),
            kiosks: Arc::new(kiosks),
        }
    }

    fn device(&self, id: &str) -> Option<&Arc<Device>> {
        self.devices.iter().find(|d| d.id == id)
    }

    /// The printer a kiosk prints on, if it has one.
    pub fn for_kiosk(&self, kiosk: &str) -> Option<&str> {
        self.kiosks.get(kiosk).map(String::as_str)
    }

    /// Whether `id` is a configured printer.
    pub fn exists(&self, id: &str) -> bool {
        self.device(id).is_some()
    }

    /// Print `slip` on printer `id`; answers within about `JOB_DEADLINE`. The job runs in its
    /// own task, so a kiosk that hangs up does not cut a slip in half.
    pub async fn print(&self, id: &str, slip: &Slip) -> Result<(), PrintError> {
        self.print_encoded(id, |paper| slip.encode(paper)).await
    }

    /// Print whatever `encode` makes for the printer's paper (a ticket slip, a return-visit
    /// slip) on printer `id`, as `print` does.
    pub async fn print_encoded(
        &self,
        id: &str,
        encode: impl FnOnce(Paper) -> Result<Vec<u8>, PrintError>,
    ) -> Result<(), PrintError> {
        let dev = self
            .device(id)
            .ok_or_else(|| PrintError::UnknownPrinter(id.to_string()))?
            .clone();
        if let Some(e) = dev.held_back() {
            self.probe_in_background(&dev);
            return Err(e);
        }
        let bytes = encode(Paper::from_mm(dev.width_mm))?;
        tokio::spawn(dev.job(Some(bytes)))
            .await
            .unwrap_or(Err(PrintError::Timeout))
    }

    fn probe_in_background(&self, dev: &Arc<Device>) {
        if dev.probing.swap(true, Ordering::AcqRel) {
            return;
        }
        let dev = Arc::clone(dev);
        tokio::spawn(async move {
            let _ = Arc::clone(&dev).job(None).await;
            dev.probing.store(false, Ordering::Release);
        });
    }

    /// Check every printer's status (no paper used), concurrently.
    pub async fn probe_all(&self) {
        let jobs: Vec<_> = self
            .devices
            .iter()
            .map(|d| tokio::spawn(Arc::clone(d).job(None)))
            .collect();
        for j in jobs {
            let _ = j.await;
        }
    }

    /// Every printer with its health, in config order.
    pub fn health(&self) -> Vec<PrinterInfo> {
        self.devices
            .iter()
            .map(|d| PrinterInfo {
                id: d.id.clone(),
                address: d.address_text.clone(),
                width_mm: d.width_mm,
                kiosks: {
                    let mut k: Vec<String> = self
                        .kiosks
                        .iter()
                        .filter(|(_, p)| **p == d.id)
                        .map(|(k, _)| k.clone())
                        .collect();
                    k.sort();
                    k
                },
                health: d.health.lock().unwrap_or_else(|p| p.into_inner()).clone(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::fake::{FakePrinter, Script, decode};
    use super::*;

    fn printers(address: &str) -> Printers {
        Printers::new(
            &[PrinterPlan {
                id: "p1".into(),
                address: address.into(),
                width_mm: 58,
            }],
            &[KioskPlan {
                id: "kiosk-1".into(),
                printer: Some("p1".into()),
                zone: None,
            }],
            true,
        )
    }

    fn slip() -> Slip {
        Slip {
            hall: "测试大厅".into(),
            department: "公安局".into(),
            queue: "户籍".into(),
            number: "H001".into(),
            green_channel: false,
            appointment: false,
            waiting_ahead: 0,
            estimated_wait_s: Some(0),
            estimate_note: String::new(),
            windows: vec![1],
            issued_at: "2026-11-28 10:00".into(),
            url: "http://hall/t/x".into(),
            footer: "过号请重新取号".into(),
            reprint: false,
            test: false,
        }
    }

    fn state(p: &Printers) -> HealthState {
        p.health()[0].health.state
    }

    #[tokio::test]
    async fn a_trial_run_never_contacts_a_printer_beyond_this_machine() {
        for far in ["tcp://192.0.2.50:9100", "file:///dev/usb/lp0"] {
            let p = printers(far);
            let started = std::time::Instant::now();
            let got = p.print("p1", &slip()).await;
            assert!(
                matches!(got, Err(PrintError::NotLocal(_))),
                "{far}: {got:?}"
            );
            assert_eq!(got.expect_err("refused").code(), "printer_not_local");
            // Refused before any connect: no connect timeout was waited out.
            assert!(started.elapsed() < std::time::Duration::from_millis(200));
            p.probe_all().await;
            assert_eq!(state(&p), HealthState::Unreachable);
            assert!(
                p.health()[0]
                    .health
                    .last_error
                    .as_deref()
                    .is_some_and(|e| e.contains("not tried"))
            );
        }
        // A real hall (no trial run) still uses its LAN printer's address.
        let real = Printers::new(
            &[PrinterPlan {
                id: "p1".into(),
                address: "tcp://192.0.2.50:9100".into(),
                width_mm: 80,
            }],
            &[],
            false,
        );
        assert!(
            real.devices[0]
                .address
                .as_ref()
                .is_ok_and(|a| a.stays_local().is_err())
        );
        assert!(!real.devices[0].local_only);
    }

    #[tokio::test]
    async fn every_scripted_fault_is_reported_and_remembered() {
        let fake = FakePrinter::start(Script::Online).await.expect("fake");
        let p = printers(&fake.address());
        assert_eq!(p.for_kiosk("kiosk-1"), Some("p1"));
        assert_eq!(state(&p), HealthState::Unknown);

        p.print("p1", &slip()).await.expect("online printer prints");
        let job = fake.next_job(Duration::from_secs(5)).await.expect("a job");
        let d = decode(&job).expect("decodes");
        assert_eq!(d.qr, vec!["http://hall/t/x"]);
        assert_eq!(
            d.status_requests,
            vec![1, 4, 1, 4],
            "status before and after"
        );
        assert_eq!(state(&p), HealthState::Ok);
        assert!(p.health()[0].health.last_printed.is_some());

        for (script, want, health) in [
            (Script::PaperEnd, "paper_out", HealthState::PaperOut),
            (Script::CoverOpen, "cover_open", HealthState::CoverOpen),
            (Script::CloseMidJob, "connection_lost", HealthState::Offline),
            // Last: a silent printer is then held back (see the refusing printer's test).
            (
                Script::NoReply,
                "printer_not_responding",
                HealthState::Offline,
            ),
        ] {
            fake.set_script(script);
            let e = p.print("p1", &slip()).await.expect_err("fails");
            assert_eq!(e.code(), want, "{script:?}: {e}");
            assert_eq!(state(&p), health, "{script:?}");
            assert!(p.health()[0].health.last_error.is_some());
        }
        // Only the slip cut short was sent: a printer found faulty gets no slip.
        let partial = fake
            .next_job(Duration::from_secs(5))
            .await
            .expect("partial job");
        assert!(fake.take_jobs().await.is_empty());
        assert!(
            decode(&partial).map_or(true, |d| d.cuts == 0),
            "the slip was cut short"
        );

        let e = p.print("p1", &slip()).await.expect_err("held back");
        assert_eq!(e.code(), "printer_not_responding");
    }

    #[tokio::test]
    async fn a_refusing_printer_is_held_back_then_found_again() {
        let fake = FakePrinter::start(Script::Refuse).await.expect("fake");
        let p = printers(&fake.address());
        // The script change reaches the accept loop asynchronously.
        let mut refused = None;
        for _ in 0..100 {
            match p.print("p1", &slip()).await {
                Err(e) => {
                    refused = Some(e);
                    break;
                }
                Ok(()) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
        assert_eq!(refused.map(|e| e.code()), Some("printer_unreachable"));
        assert_eq!(state(&p), HealthState::Unreachable);

        fake.set_script(Script::Online);
        let started = Instant::now();
        let e = p.print("p1", &slip()).await.expect_err("held back");
        assert_eq!(e.code(), "printer_unreachable");
        assert!(
            started.elapsed() < Duration::from_millis(500),
            "answered at once"
        );
        // The background probe finds it again.
        for _ in 0..200 {
            if state(&p) == HealthState::Ok {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(state(&p), HealthState::Ok);
        p.print("p1", &slip()).await.expect("prints again");
    }

    #[tokio::test]
    async fn an_unknown_printer_is_an_error() {
        let p = printers("tcp://127.0.0.1:9");
        let e = p.print("p9", &slip()).await.expect_err("unknown");
        assert_eq!(e.code(), "unknown_printer");
    }
}
