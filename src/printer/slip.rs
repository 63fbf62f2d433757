//! The ticket slip as ESC/POS bytes. Pure: no IO, no clock. The escpos crate is used as a
//! byte builder only (its printer writes into a buffer owned here); the bytes are sent by
//! `transport`. Chinese is GB18030 with Chinese mode on (FS &); the QR code is Model 2, level M.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::LazyLock;

use escpos::driver::Driver;
use escpos::printer::Printer;
use escpos::utils::{
    Encoder, JustifyMode, Protocol, QRCodeCorrectionLevel, QRCodeModel, QRCodeOption,
};
use serde::Deserialize;

use super::PrintError;
use crate::domain::view::IssuedTicket;

/// FS &: Chinese character mode (double-byte GB18030 text).
pub const CHINESE_MODE: [u8; 2] = [0x1C, 0x26];

/// Slip texts from config/slip.toml (compiled in).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlipTexts {
    pub reprint: String,
    pub green_channel: String,
    /// Marks a ticket issued by an appointment check-in.
    pub appointment: String,
    pub waiting_ahead: String,
    pub estimated_wait: String,
    pub windows: String,
    pub issued_at: String,
    pub scan: String,
    pub test: String,
    /// The slip of a 补办件 return visit (`return_slip`).
    #[serde(rename = "return")]
    pub return_visit: super::return_slip::ReturnTexts,
}

/// The slip texts shipped in config/slip.toml.
pub static TEXTS: LazyLock<SlipTexts> = LazyLock::new(|| {
    toml::from_str(include_str!("../../config/slip.toml"))
        .expect("config/slip.toml has every slip text")
});

/// Paper roll width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paper {
    /// 58 mm roll: 384 dots, 32 half-width columns.
    Mm58,
    /// 80 mm roll: 576 dots, 48 half-width columns.
    Mm80,
}

impl Paper {
    /// From `width_mm` in [[printers]] (validated to 58 or 80).
    pub fn from_mm(mm: u32) -> Paper {
        if mm <= 58 { Paper::Mm58 } else { Paper::Mm80 }
    }
    /// Half-width characters per line in font A.
    pub fn columns(self) -> usize {
        match self {
            Paper::Mm58 => 32,
            Paper::Mm80 => 48,
        }
    }
    /// Magnification of the ticket number: six characters must fit one line.
    fn number_scale(self) -> u8 {
        match self {
            Paper::Mm58 => 4,
            Paper::Mm80 => 6,
        }
    }
    /// QR module size in dots.
    fn qr_module(self) -> u8 {
        match self {
            Paper::Mm58 => 5,
            Paper::Mm80 => 7,
        }
    }
}

/// What one slip says. Built from an issued ticket; every text is final (already localised).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slip {
    pub hall: String,
    pub department: String,
    pub queue: String,
    pub number: String,
    pub green_channel: bool,
    /// Issued by an appointment check-in (预约).
    pub appointment: bool,
    pub waiting_ahead: u32,
    /// `None` while no open window serves the queue: `estimate_note` is printed instead.
    pub estimated_wait_s: Option<u32>,
    pub estimate_note: String,
    pub windows: Vec<u32>,
    /// Local issue time, `YYYY-MM-DD HH:MM`.
    pub issued_at: String,
    /// The phone page, for the QR code.
    pub url: String,
    pub footer: String,
    /// A reprint (补打).
    pub reprint: bool,
    /// A sample from `hallq print-test`.
    pub test: bool,
}

impl Slip {
    /// The slip of an issued ticket; `url` is the absolute address of its phone page.
    pub fn for_ticket(
        t: &IssuedTicket,
        hall: &str,
        footer: &str,
        url: String,
        reprint: bool,
    ) -> Slip {
        Slip {
            hall: hall.to_string(),
            department: t.department_name.clone(),
            queue: t.queue_name.clone(),
            number: t.number.clone(),
            green_channel: t.priority == crate::domain::ticket::Priority::GreenChannel,
            appointment: t.priority == crate::domain::ticket::Priority::Appointment,
            waiting_ahead: t.waiting_ahead,
            estimated_wait_s: t.estimated_wait_s,
            estimate_note: t.estimate_note.clone().unwrap_or_default(),
            windows: t.windows.clone(),
            issued_at: local_minute(&t.issued_at),
            url,
            footer: footer.to_string(),
            reprint,
            test: false,
        }
    }

    /// The sample `hallq print-test` prints: the hall's first queue, number 001.
    pub fn sample(plan: &crate::domain::Plan, base: &str) -> Slip {
        let q = plan.queues.first();
        Slip {
            hall: plan.rules.name.clone(),
            department: q
                .and_then(|q| plan.department(&q.department))
                .map(|d| d.name.clone())
                .unwrap_or_default(),
            queue: q.map(|q| q.name.clone()).unwrap_or_default(),
            number: format!("{}001", q.map_or("A", |q| q.prefix.as_str())),
            green_channel: false,
            appointment: false,
            waiting_ahead: 0,
            estimated_wait_s: Some(0),
            estimate_note: String::new(),
            windows: q
                .map(|q| plan.windows_serving(&q.id).map(|w| w.number).collect())
                .unwrap_or_default(),
            issued_at: plan
                .rules
                .tz
                .to_datetime(jiff::Timestamp::now())
                .strftime("%Y-%m-%d %H:%M")
                .to_string(),
            url: format!("{}/t/print-test", base.trim_end_matches('/')),
            footer: plan.texts.slip_footer.clone(),
            reprint: false,
            test: true,
        }
    }

    /// ESC/POS bytes for this slip on `paper`.
    pub fn encode(&self, paper: Paper) -> Result<Vec<u8>, PrintError> {
        let t = &*TEXTS;
        let (out, mut p) = begin()?;
        let rule = "-".repeat(paper.columns());
        if self.test {
            p.bold(true)?.writeln(&t.test)?.bold(false)?;
        }
        heading(&mut p, &self.hall, self.reprint)?;
        p.writeln(&rule)?;
        p.writeln(&self.department)?;
        p.size(2, 2)?.writeln(&self.queue)?.reset_size()?;
        if self.green_channel {
            p.bold(true)?.writeln(&t.green_channel)?.bold(false)?;
        }
        if self.appointment {
            p.bold(true)?.writeln(&t.appointment)?.bold(false)?;
        }
        largest(&mut p, &self.number, paper)?;
        p.size(1, 2)?
            .writeln(
                &t.waiting_ahead
                    .replace("{n}", &self.waiting_ahead.to_string()),
            )?
            .reset_size()?;
        match self.estimated_wait_s {
            Some(s) => {
                let minutes = s.div_ceil(60);
                p.writeln(&t.estimated_wait.replace("{minutes}", &minutes.to_string()))?
            }
            None => p.writeln(&self.estimate_note)?,
        };
        if !self.windows.is_empty() {
            p.writeln(
                &t.windows
                    .replace("{windows}", &window_ranges(&self.windows)),
            )?;
        }
        p.writeln(&t.issued_at.replace("{time}", &self.issued_at))?;
        qr(&mut p, &self.url, paper)?;
        p.writeln(&t.scan)?;
        p.writeln(&rule)?;
        p.writeln(&self.footer)?;
        p.feeds(4)?.print_cut()?;
        drop(p);
        Ok(out.take())
    }
}

/// A printer writing into a fresh buffer: initialised, Chinese mode on, centred.
pub(super) fn begin() -> Result<(Buffer, Printer<Buffer>), PrintError> {
    let out = Buffer::default();
    let mut p = Printer::new(
        out.clone(),
        Protocol::new(Encoder::new(encoding_rs::GB18030)),
        None,
    );
    p.init()?
        .custom(&CHINESE_MODE)?
        .justify(JustifyMode::CENTER)?;
    Ok((out, p))
}

/// How every slip starts: 补打 on a second copy, then the hall's name.
pub(super) fn heading(
    p: &mut Printer<Buffer>,
    hall: &str,
    reprint: bool,
) -> Result<(), PrintError> {
    if reprint {
        p.size(2, 2)?
            .bold(true)?
            .writeln(&TEXTS.reprint)?
            .bold(false)?
            .reset_size()?;
    }
    p.size(1, 2)?
        .bold(true)?
        .writeln(hall)?
        .bold(false)?
        .reset_size()?;
    Ok(())
}

/// The slip's key text (a ticket's number, a check-in code) in the largest size that fits.
pub(super) fn largest(p: &mut Printer<Buffer>, text: &str, paper: Paper) -> Result<(), PrintError> {
    let k = paper.number_scale();
    p.size(k, k)?
        .bold(true)?
        .writeln(text)?
        .bold(false)?
        .reset_size()?;
    Ok(())
}

/// `url` as a QR code (Model 2, level M) sized for the paper.
pub(super) fn qr(p: &mut Printer<Buffer>, url: &str, paper: Paper) -> Result<(), PrintError> {
    p.qrcode_option(
        url,
        QRCodeOption::new(
            QRCodeModel::Model2,
            paper.qr_module(),
            QRCodeCorrectionLevel::M,
        ),
    )?;
    Ok(())
}

/// `2026-11-28T10:05:00+08:00` → `2026-11-28 10:05` (the time is already local).
fn local_minute(rfc3339: &str) -> String {
    match (rfc3339.get(0..10), rfc3339.get(11..16)) {
        (Some(d), Some(t)) => format!("{d} {t}"),
        _ => rfc3339.to_string(),
    }
}

/// Window numbers as short ranges: `[1,2,3,5,7,8]` → `1-3、5、7-8`.
pub fn window_ranges(numbers: &[u32]) -> String {
    let mut sorted = numbers.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        let mut end = start;
        while i + 1 < sorted.len() && sorted[i + 1] == end + 1 {
            i += 1;
            end = sorted[i];
        }
        parts.push(if end == start {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
        i += 1;
    }
    parts.join("、")
}

/// The escpos "driver" that keeps the bytes instead of sending them.
#[derive(Clone, Default)]
pub(super) struct Buffer(Rc<RefCell<Vec<u8>>>);

impl Buffer {
    pub(super) fn take(&self) -> Vec<u8> {
        std::mem::take(&mut self.0.borrow_mut())
    }
}

impl Driver for Buffer {
    fn name(&self) -> String {
        "buffer".into()
    }
    fn write(&self, data: &[u8]) -> escpos::errors::Result<()> {
        self.0.borrow_mut().extend_from_slice(data);
        Ok(())
    }
    fn read(&self, _buf: &mut [u8]) -> escpos::errors::Result<usize> {
        Ok(0)
    }
    fn flush(&self) -> escpos::errors::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::printer::fake::decode;

    pub(crate) fn sample() -> Slip {
        Slip {
            hall: "三都水族自治县政务服务中心".into(),
            department: "公安局".into(),
            queue: "户籍与身份证".into(),
            number: "H012".into(),
            green_channel: false,
            appointment: false,
            waiting_ahead: 3,
            estimated_wait_s: Some(1_190),
            estimate_note: String::new(),
            windows: vec![1, 2, 3, 4, 5, 9],
            issued_at: "2026-11-28 10:05".into(),
            url: "http://192.168.1.10:8080/t/ab12".into(),
            footer: "过号请重新取号".into(),
            reprint: false,
            test: false,
        }
    }

    fn hex(bytes: &[u8]) -> String {
        let mut s = String::new();
        for (i, chunk) in bytes.chunks(32).enumerate() {
            if i > 0 {
                s.push('\n');
            }
            for b in chunk {
                s.push_str(&format!("{b:02x}"));
            }
        }
        s.push('\n');
        s
    }

    /// Golden bytes: any change to the slip's bytes must be looked at and the file updated
    /// (`UPDATE_GOLDEN=1 cargo test --lib printer`).
    #[test]
    fn golden_bytes_of_an_80mm_slip() {
        let bytes = sample().encode(Paper::Mm80).expect("encodes");
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/src/printer/golden/slip-80mm.hex"
        );
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(path, hex(&bytes)).expect("write golden");
        }
        let golden = std::fs::read_to_string(path).expect("golden file");
        assert_eq!(hex(&bytes), golden, "slip bytes changed; see {path}");
        // Spot checks that do not depend on the golden file.
        assert!(
            bytes.starts_with(&[0x1B, 0x40, 0x1C, 0x26]),
            "init then Chinese mode"
        );
        assert!(
            bytes.ends_with(&[0x1D, 0x56, 0x41, 0x00]),
            "ends with a cut"
        );
    }

    #[test]
    fn the_slip_decodes_to_its_texts_qr_and_cut() {
        for paper in [Paper::Mm58, Paper::Mm80] {
            let d = decode(&sample().encode(paper).expect("encodes")).expect("decodes");
            assert!(d.chinese_mode);
            assert_eq!(d.qr, vec!["http://192.168.1.10:8080/t/ab12".to_string()]);
            assert_eq!(d.qr_model, Some(2));
            assert_eq!(d.qr_level, Some('M'));
            assert_eq!(d.cuts, 1);
            let lines = d.lines();
            for want in [
                "三都水族自治县政务服务中心",
                "公安局",
                "户籍与身份证",
                "H012",
                "您前面还有 3 人等候",
                "预计等候约 20 分钟",
                "请留意 1-5、9 号窗口",
                "取号时间 2026-11-28 10:05",
                "过号请重新取号",
            ] {
                assert!(lines.iter().any(|l| l == want), "{want:?} not in {lines:?}");
            }
            assert!(!lines.iter().any(|l| l.contains("补打")));
            let number = d.runs.iter().find(|r| r.text == "H012").expect("number");
            assert!(
                number.width >= 4 && number.bold,
                "the number is the largest text"
            );
            assert!(d.runs.iter().all(|r| r.width <= number.width));
            let longest = lines.iter().map(|l| l.chars().count()).max().unwrap_or(0);
            assert!(longest <= paper.columns(), "{longest} columns on {paper:?}");
        }
    }

    #[test]
    fn with_no_open_window_the_slip_says_so_instead_of_a_wait() {
        let mut s = sample();
        s.estimated_wait_s = None;
        s.estimate_note = "暂无窗口办理，开窗后开始计时".into();
        let d = decode(&s.encode(Paper::Mm58).expect("encodes")).expect("decodes");
        let lines = d.lines();
        assert!(
            lines.iter().any(|l| l == "暂无窗口办理，开窗后开始计时"),
            "{lines:?}"
        );
        assert!(!lines.iter().any(|l| l.contains("预计等候")), "{lines:?}");
    }

    #[test]
    fn a_reprint_says_so() {
        let mut s = sample();
        s.reprint = true;
        let d = decode(&s.encode(Paper::Mm58).expect("encodes")).expect("decodes");
        assert_eq!(d.lines()[0], "【补打】");
    }

    #[test]
    fn window_ranges_are_short() {
        assert_eq!(window_ranges(&[1, 2, 3, 5, 7, 8]), "1-3、5、7-8");
        assert_eq!(window_ranges(&[9]), "9");
        assert_eq!(window_ranges(&[]), "");
    }
}
