//! The one table of Chinese labels for stored codes (`[codes.*]` in config/reports.toml): what
//! the audit trail, the appraisal, the exports and the staff pages show instead of `lunch`,
//! `not_present` or `specific`, and the way back from a label a client sent (`午休`) to its code,
//! so a reason is stored the same whichever client gave it.

use super::TEXTS;
use crate::domain::reason::{Reason, ReasonCode, parse_wire};

/// Every `[codes.*]` table, as the staff pages read them.
pub fn all() -> &'static std::collections::HashMap<String, std::collections::HashMap<String, String>>
{
    &TEXTS.codes
}

/// The code whose Chinese label is `label` in the reasons table.
fn reason_code_of(label: &str) -> Option<ReasonCode> {
    let reasons = TEXTS.codes.get("reasons")?;
    let (code, _) = reasons.iter().find(|(_, l)| l.as_str() == label)?;
    parse_wire(code)
}

/// A reason as a client sent it, in its stored form: a Chinese label (`午休`, `会议：党建`)
/// becomes its code (`lunch`, `meeting: 党建`); anything else is kept as it came.
pub fn reason_from_words(raw: &str) -> String {
    let t = raw.trim();
    let (head, text) = match t.split_once([':', '：']) {
        Some((h, x)) => (h.trim(), Some(x.trim())),
        None => (t, None),
    };
    match reason_code_of(head) {
        Some(code) => Reason {
            code,
            text: text.filter(|x| !x.is_empty()).map(str::to_string),
        }
        .to_string(),
        None => raw.to_string(),
    }
}

/// A stored reason for a person: `午休`, `会议：党建`, or the free text of `other`.
pub fn reason_label(stored: &str) -> String {
    match Reason::parse(stored) {
        Ok(Some(r)) => {
            let name = r.code.name();
            let label = TEXTS.code("reasons", &name);
            match (r.code, r.text) {
                (ReasonCode::Other, Some(t)) => t,
                (_, Some(t)) => format!("{label}：{t}"),
                (_, None) => label.to_string(),
            }
        }
        _ => stored.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_reasons_are_stored_as_their_codes() {
        for (given, stored) in [
            ("午休", "lunch"),
            (" 午休 ", "lunch"),
            ("会议：党建", "meeting: 党建"),
            ("会议: 党建", "meeting: 党建"),
            ("未到", "not_present"),
            ("lunch", "lunch"),
            ("看病", "看病"),
            ("其他：看病", "看病"),
        ] {
            assert_eq!(reason_from_words(given), stored, "{given}");
        }
    }

    #[test]
    fn stored_reasons_read_in_chinese() {
        for (stored, shown) in [
            ("lunch", "午休"),
            ("meeting: 党建", "会议：党建"),
            ("看病", "看病"),
            ("not_present", "未到"),
            ("system_fault", "系统故障"),
        ] {
            assert_eq!(reason_label(stored), shown, "{stored}");
        }
    }

    #[test]
    fn every_reason_code_has_a_label() {
        for code in ReasonCode::ALL {
            let name = code.name();
            assert_ne!(TEXTS.code("reasons", &name), name, "no label for {name}");
            assert_eq!(reason_from_words(TEXTS.code("reasons", &name)), name);
        }
    }

    #[test]
    fn every_event_kind_has_a_label() {
        let source = include_str!("../domain/event.rs");
        let kinds: Vec<&str> = source
            .split("=> \"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .filter(|k| k.contains('.'))
            .collect();
        assert!(kinds.len() > 30, "{kinds:?}");
        for k in kinds {
            assert_ne!(TEXTS.code("events", k), k, "no label for {k}");
        }
    }
}
