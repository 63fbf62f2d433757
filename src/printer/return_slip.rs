//! The slip of a 补办件 return visit (补办回访预约凭条) as ESC/POS bytes: what a clerk hands a
//! citizen sent away for a missing document. Pure, like `slip`: the check-in code (largest),
//! the day and slot, when and how to check in, the documents to bring wrapped to the paper,
//! and the booking's page as a QR code. Texts come from config/slip.toml `[return]`.

use escpos::utils::JustifyMode;
use serde::Deserialize;

use super::PrintError;
use super::slip::{Paper, TEXTS, begin, heading, largest, qr};
use crate::domain::hall::BookingView;

/// `[return]` in config/slip.toml.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReturnTexts {
    pub title: String,
    pub code: String,
    pub visit: String,
    pub check_in: String,
    pub documents: String,
    pub notice: String,
    pub window: String,
    pub scan: String,
    /// Monday first.
    pub weekdays: [String; 7],
}

/// What one return-visit slip says; every text final.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnSlip {
    pub hall: String,
    pub department: String,
    pub queue: String,
    /// The 6-digit check-in code.
    pub code: String,
    /// `2026-12-08`.
    pub day: String,
    pub start: String,
    pub end: String,
    /// Check-in opens and closes, `HH:MM`.
    pub check_in_from: String,
    pub check_in_until: String,
    /// What the clerk listed as missing.
    pub documents: String,
    /// The queue's general notice (一次性告知), if any.
    pub notice: Option<String>,
    pub window: Option<u32>,
    /// The booking's page, for the QR code.
    pub url: String,
    /// A second copy (补打).
    pub reprint: bool,
}

impl ReturnSlip {
    /// The slip of a return visit; `url` is the absolute address of its booking page.
    pub fn for_booking(b: &BookingView, hall: &str, url: String, reprint: bool) -> ReturnSlip {
        ReturnSlip {
            hall: hall.to_string(),
            department: b.department_name.clone(),
            queue: b.queue_name.clone(),
            code: b.code.clone(),
            day: b.day.clone(),
            start: b.start.clone(),
            end: b.end.clone(),
            check_in_from: clock(&b.check_in_from),
            check_in_until: clock(&b.check_in_until),
            documents: b.documents.clone().unwrap_or_default(),
            notice: b.notice.clone().filter(|n| !n.trim().is_empty()),
            window: b.from_window,
            url,
            reprint,
        }
    }

    /// ESC/POS bytes for this slip on `paper`.
    pub fn encode(&self, paper: Paper) -> Result<Vec<u8>, PrintError> {
        let t = &TEXTS.return_visit;
        let (out, mut p) = begin()?;
        let cols = paper.columns();
        let rule = "-".repeat(cols);
        heading(&mut p, &self.hall, self.reprint)?;
        p.bold(true)?.writeln(&t.title)?.bold(false)?;
        p.writeln(&rule)?;
        p.writeln(&self.department)?;
        p.size(2, 2)?.writeln(&self.queue)?.reset_size()?;
        p.writeln(&t.code)?;
        largest(&mut p, &self.code, paper)?;
        let visit = t
            .visit
            .replace("{date}", &self.date())
            .replace("{start}", &self.start)
            .replace("{end}", &self.end);
        p.size(1, 2)?.bold(true)?;
        for line in wrap(&visit, cols) {
            p.writeln(&line)?;
        }
        p.bold(false)?.reset_size()?;
        let check_in = t
            .check_in
            .replace("{from}", &self.check_in_from)
            .replace("{until}", &self.check_in_until);
        for line in wrap(&check_in, cols) {
            p.writeln(&line)?;
        }
        p.writeln(&rule)?.justify(JustifyMode::LEFT)?;
        p.bold(true)?.writeln(&t.documents)?.bold(false)?;
        for line in wrap(&self.documents, cols) {
            p.writeln(&line)?;
        }
        if let Some(n) = &self.notice {
            p.writeln(&t.notice)?;
            for line in wrap(n, cols) {
                p.writeln(&line)?;
            }
        }
        p.justify(JustifyMode::CENTER)?.writeln(&rule)?;
        if let Some(w) = self.window {
            p.writeln(&t.window.replace("{window}", &w.to_string()))?;
        }
        qr(&mut p, &self.url, paper)?;
        p.writeln(&t.scan)?;
        p.feeds(4)?.print_cut()?;
        drop(p);
        Ok(out.take())
    }

    /// `2026年12月8日（星期二）`, or the day as given if it is not a date.
    fn date(&self) -> String {
        match self.day.parse::<jiff::civil::Date>() {
            Ok(d) => {
                let wd = usize::try_from(d.weekday().to_monday_zero_offset()).unwrap_or(0);
                format!(
                    "{}年{}月{}日（{}）",
                    d.year(),
                    d.month(),
                    d.day(),
                    TEXTS.return_visit.weekdays[wd % 7]
                )
            }
            Err(_) => self.day.clone(),
        }
    }
}

/// `2026-12-08T08:30:00+08:00` → `08:30` (already local).
fn clock(rfc3339: &str) -> String {
    rfc3339.get(11..16).unwrap_or(rfc3339).to_string()
}

/// Columns a character takes in font A: 2 for a double-byte (GB18030) character, else 1.
fn width(c: char) -> usize {
    if c.is_ascii() { 1 } else { 2 }
}

/// `text` broken into lines of at most `columns` half-width columns; the writer's own line
/// breaks are kept, and a line never starts with a space.
pub fn wrap(text: &str, columns: usize) -> Vec<String> {
    let mut out = Vec::new();
    for para in text.lines() {
        let mut line = String::new();
        let mut used = 0;
        for c in para.trim().chars() {
            let w = width(c);
            if used + w > columns && !line.is_empty() {
                out.push(std::mem::take(&mut line).trim_end().to_string());
                used = 0;
                if c == ' ' {
                    continue;
                }
            }
            line.push(c);
            used += w;
        }
        if !line.is_empty() {
            out.push(line);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::printer::fake::decode;

    fn sample() -> ReturnSlip {
        ReturnSlip {
            hall: "三都水族自治县政务服务中心".into(),
            department: "公安局".into(),
            queue: "出入境".into(),
            code: "482913".into(),
            day: "2026-12-08".into(),
            start: "09:00".into(),
            end: "09:30".into(),
            check_in_from: "08:30".into(),
            check_in_until: "09:15".into(),
            documents: "户口簿原件及复印件；近期免冠彩色照片两张（白底，2寸）".into(),
            notice: Some("请携带本人身份证原件".into()),
            window: Some(12),
            url: "http://192.168.1.10:8080/a/ab12cd".into(),
            reprint: false,
        }
    }

    #[test]
    fn the_return_slip_decodes_to_its_code_day_documents_and_page() {
        for paper in [Paper::Mm58, Paper::Mm80] {
            let d = decode(&sample().encode(paper).expect("encodes")).expect("decodes");
            assert!(d.chinese_mode);
            assert_eq!(d.qr, vec!["http://192.168.1.10:8080/a/ab12cd".to_string()]);
            assert_eq!(d.cuts, 1);
            let lines = d.lines();
            for want in [
                "三都水族自治县政务服务中心",
                "补办件回访预约凭条",
                "出入境",
                "签到码",
                "482913",
                "需补齐的材料（一次性告知）：",
                "受理窗口 12 号窗口",
                "手机扫码查看或取消预约",
            ] {
                assert!(lines.iter().any(|l| l == want), "{want:?} not in {lines:?}");
            }
            let text = lines.concat();
            // On 58 mm the slot wraps to its own line.
            assert!(text.contains("回访时间 2026年12月8日（星期二）"), "{text}");
            assert!(text.contains("09:00-09:30"), "{text}");
            assert!(text.contains("请于 08:30-09:15 到自助取号机"), "{text}");
            assert!(
                text.contains("户口簿原件及复印件；近期免冠彩色照片两张（白底，2寸）"),
                "{text}"
            );
            assert!(text.contains("请携带本人身份证原件"), "{text}");
            let code = d.runs.iter().find(|r| r.text == "482913").expect("code");
            assert!(code.width >= 4 && code.bold, "the code is the largest text");
            assert!(d.runs.iter().all(|r| r.width <= code.width));
            // Every line fits the paper (double-width runs count twice).
            for r in &d.runs {
                let cols: usize = r.text.chars().map(width).sum::<usize>() * usize::from(r.width);
                assert!(
                    cols <= paper.columns(),
                    "{:?} is {cols} columns on {paper:?}",
                    r.text
                );
            }
            assert!(!lines.iter().any(|l| l.contains("补打")));
        }
    }

    #[test]
    fn a_second_copy_says_so_and_no_notice_prints_no_heading() {
        let mut s = sample();
        s.reprint = true;
        s.notice = None;
        let d = decode(&s.encode(Paper::Mm58).expect("encodes")).expect("decodes");
        assert_eq!(d.lines()[0], "【补打】");
        assert!(!d.lines().iter().any(|l| l == "另请携带："));
    }

    #[test]
    fn wrapping_counts_double_byte_characters_twice_and_keeps_line_breaks() {
        assert_eq!(wrap("户口簿原件", 6), vec!["户口簿", "原件"]);
        assert_eq!(wrap("ab 户口", 4), vec!["ab", "户口"]);
        assert_eq!(wrap("一\n二", 32), vec!["一", "二"]);
        assert_eq!(wrap("", 32), Vec::<String>::new());
        for line in wrap(&"材".repeat(40), 32) {
            assert!(line.chars().count() <= 16);
        }
    }
}
