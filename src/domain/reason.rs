//! Why a clerk paused, skipped, called out of order or transferred: a fixed `ReasonCode` plus
//! optional free text. Owns the codes and their one wire form; the Chinese labels live in
//! config/messages.toml (`reason_<code>`), never here. Free text never reaches a public screen
//! (see `audience`).

use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::error::DomainError;

/// Longest free text a clerk may give (it goes into the staff stream and the audit trail).
pub const MAX_REASON: usize = 100;

/// The reasons the clerk console offers, one list for every operation that asks for one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReasonCode {
    // 暂停 (pause)
    Lunch,
    Meeting,
    Training,
    Away,
    SystemFault,
    // 过号 (no-show)
    NotPresent,
    Left,
    // 特呼 (a number called out of order) and 转移 (transfer)
    Appointment,
    MaterialsBack,
    GreenChannel,
    ResidentWindow,
    /// Anything else; the free text says what.
    Other,
}

impl ReasonCode {
    /// Every code, in the order the console lists them.
    pub const ALL: [ReasonCode; 12] = [
        ReasonCode::Lunch,
        ReasonCode::Meeting,
        ReasonCode::Training,
        ReasonCode::Away,
        ReasonCode::SystemFault,
        ReasonCode::NotPresent,
        ReasonCode::Left,
        ReasonCode::Appointment,
        ReasonCode::MaterialsBack,
        ReasonCode::GreenChannel,
        ReasonCode::ResidentWindow,
        ReasonCode::Other,
    ];

    /// Which clerk operations offer this code (the comments on the variants, as data).
    pub fn offered_for(self) -> &'static [ReasonUse] {
        use ReasonCode::*;
        match self {
            Lunch | Meeting | Training | Away | SystemFault => &[ReasonUse::Pause],
            NotPresent | Left => &[ReasonUse::NoShow],
            Appointment | MaterialsBack | GreenChannel | ResidentWindow => {
                &[ReasonUse::Call, ReasonUse::Transfer]
            }
            Other => &[
                ReasonUse::Pause,
                ReasonUse::NoShow,
                ReasonUse::Call,
                ReasonUse::Transfer,
            ],
        }
    }

    /// The wire name, e.g. `system_fault` (derived from serde, not a second table).
    pub fn name(self) -> String {
        wire_name(&self)
    }
}

/// A clerk operation that asks for a reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReasonUse {
    Pause,
    NoShow,
    Call,
    Transfer,
}

/// A reason as stored and sent to staff: a code and, optionally, the clerk's words.
///
/// Its one wire form is a string: `code`, `code: text` (`meeting: 党建`), or, for `other`, the
/// text alone (`看病`; `other: 看病` is read the same). That is what the clerk console has always
/// sent and what older stored events hold, so nothing stored becomes unreadable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    pub code: ReasonCode,
    pub text: Option<String>,
}

impl Reason {
    pub fn code(code: ReasonCode) -> Reason {
        Reason { code, text: None }
    }

    /// Read a reason as a client sends it; blank is `None`, too long is refused.
    pub fn parse(raw: &str) -> Result<Option<Reason>, DomainError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Ok(None);
        }
        let reason = match raw.split_once(':') {
            Some((code, text)) if parse_wire::<ReasonCode>(code.trim()).is_some() => Reason {
                code: parse_wire(code.trim()).unwrap_or(ReasonCode::Other),
                text: Some(text.trim().to_string()).filter(|t| !t.is_empty()),
            },
            _ => match parse_wire::<ReasonCode>(raw) {
                Some(code) => Reason::code(code),
                None => Reason {
                    code: ReasonCode::Other,
                    text: Some(raw.to_string()),
                },
            },
        };
        if reason
            .text
            .as_ref()
            .is_some_and(|t| t.chars().count() > MAX_REASON)
        {
            return Err(DomainError::ReasonTooLong);
        }
        if let Some(t) = &reason.text {
            plain_text(t)?;
        }
        Ok(Some(reason))
    }

    /// A code given apart from its text (`{"reason_code", "reason_text"}`).
    pub fn from_parts(code: ReasonCode, text: Option<&str>) -> Result<Reason, DomainError> {
        let text = text.map(str::trim).filter(|t| !t.is_empty());
        if text.is_some_and(|t| t.chars().count() > MAX_REASON) {
            return Err(DomainError::ReasonTooLong);
        }
        if let Some(t) = text {
            plain_text(t)?;
        }
        Ok(Reason {
            code,
            text: text.map(str::to_string),
        })
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.text {
            // Free text that reads back as itself needs no `other: ` in front (and so older
            // stored text keeps its exact form).
            Some(t)
                if self.code == ReasonCode::Other
                    && Reason::parse(t).ok().flatten().as_ref() == Some(self) =>
            {
                f.write_str(t)
            }
            Some(t) => write!(f, "{}: {t}", self.code.name()),
            None => f.write_str(&self.code.name()),
        }
    }
}

/// Compares with the wire form (`"lunch"`, `"other: 看病"`).
impl PartialEq<str> for Reason {
    fn eq(&self, other: &str) -> bool {
        // The wire form is built on the fly; comparisons are for tests and are rare.
        other == self.to_string().as_str()
    }
}

impl Serialize for Reason {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Reason {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        // Stored text was checked when it was given; an old longer one still reads.
        Ok(Reason::parse(&raw)
            .unwrap_or_else(|_| {
                Some(Reason {
                    code: ReasonCode::Other,
                    text: Some(raw.trim().to_string()),
                })
            })
            .unwrap_or(Reason::code(ReasonCode::Other)))
    }
}

/// Why a window was signed out (set by the hall, never typed by a person).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignOutReason {
    /// The clerk signed out.
    Clerk,
    /// A manager signed the clerk out.
    Manager,
    /// The service day ended with the window open.
    DayEnd,
}

impl SignOutReason {
    /// The wire name, e.g. `day_end`.
    pub fn name(self) -> String {
        wire_name(&self)
    }
}

/// Compares with the wire name.
impl PartialEq<str> for SignOutReason {
    fn eq(&self, other: &str) -> bool {
        self.name() == other
    }
}

/// The serde name of a unit enum variant, e.g. `system_fault`.
pub fn wire_name<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// Parse a serde name back, e.g. `"kiosk"` into `DeviceKind::Kiosk`.
pub fn from_wire_name<T: serde::de::DeserializeOwned>(s: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
}

/// Refuse control characters (line breaks included) and the Unicode direction marks,
/// embeddings, overrides and isolates: free text from clerks and citizens is shown to others
/// (audit trail, follow-ups, reports), where such characters hide or reorder what is read.
pub fn plain_text(t: &str) -> Result<(), DomainError> {
    checked_text(t, false)
}

/// Like `plain_text`, but line breaks are allowed (a citizen's comment from a text box).
pub fn plain_lines(t: &str) -> Result<(), DomainError> {
    checked_text(t, true)
}

fn checked_text(t: &str, lines: bool) -> Result<(), DomainError> {
    let bad = |c: char| {
        (c.is_control() && !(lines && c == '\n'))
            || matches!(
                c,
                '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
            )
    };
    if t.chars().any(bad) {
        Err(DomainError::InvalidText)
    } else {
        Ok(())
    }
}

pub fn parse_wire<T: DeserializeOwned>(s: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_and_direction_characters_are_refused() {
        for bad in [
            "a\u{202E}gnp.exe",
            "x\u{2066}y",
            "\u{200F}",
            "bell\u{7}",
            "two\nlines",
        ] {
            assert_eq!(plain_text(bad), Err(DomainError::InvalidText), "{bad:?}");
            assert_eq!(
                Reason::parse(&format!("other: {bad}")).err(),
                Some(DomainError::InvalidText)
            );
        }
        for ok in ["午休", "查询 (ok) 100%", "Lunch break"] {
            assert_eq!(plain_text(ok), Ok(()));
        }
        assert_eq!(plain_lines("第一行\n第二行"), Ok(()));
        assert_eq!(plain_lines("x\u{202E}y"), Err(DomainError::InvalidText));
    }

    #[test]
    fn reasons_read_in_every_shape_a_client_sends() {
        type Case<'a> = (&'a str, Option<(ReasonCode, Option<&'a str>)>);
        let cases: &[Case] = &[
            ("lunch", Some((ReasonCode::Lunch, None))),
            ("  system_fault ", Some((ReasonCode::SystemFault, None))),
            ("other: 看病", Some((ReasonCode::Other, Some("看病")))),
            ("meeting: 党建", Some((ReasonCode::Meeting, Some("党建")))),
            ("午饭", Some((ReasonCode::Other, Some("午饭")))),
            (
                "note: not a code",
                Some((ReasonCode::Other, Some("note: not a code"))),
            ),
            ("other:", Some((ReasonCode::Other, None))),
            ("   ", None),
        ];
        for (raw, want) in cases {
            let got = Reason::parse(raw).expect("short enough");
            let want = want.map(|(code, text)| Reason {
                code,
                text: text.map(str::to_string),
            });
            assert_eq!(got, want, "{raw:?}");
        }
        assert_eq!(
            Reason::parse(&"长".repeat(MAX_REASON + 1)),
            Err(DomainError::ReasonTooLong)
        );
    }

    #[test]
    fn the_wire_form_round_trips_and_old_free_text_still_reads() {
        for r in [
            Reason::code(ReasonCode::NotPresent),
            Reason {
                code: ReasonCode::Other,
                text: Some("看病".into()),
            },
        ] {
            let json = serde_json::to_string(&r).expect("serializes");
            assert_eq!(serde_json::from_str::<Reason>(&json).expect("reads"), r);
        }
        assert_eq!(
            serde_json::to_string(&Reason::code(ReasonCode::Lunch)).expect("s"),
            "\"lunch\""
        );
        let old: Reason = serde_json::from_str("\"午饭\"").expect("reads");
        assert_eq!(old.code, ReasonCode::Other);
        assert_eq!(old.to_string(), "午饭", "free text keeps its form");
        let sly = Reason {
            code: ReasonCode::Other,
            text: Some("lunch".into()),
        };
        assert_eq!(
            sly.to_string(),
            "other: lunch",
            "text that looks like a code stays text"
        );
        assert_eq!(Reason::parse(&sly.to_string()), Ok(Some(sly)));
    }

    #[test]
    fn every_code_has_a_distinct_name_that_parses_back() {
        let mut seen = std::collections::HashSet::new();
        for c in ReasonCode::ALL {
            let n = c.name();
            assert!(!n.is_empty() && seen.insert(n.clone()), "{n}");
            assert_eq!(parse_wire::<ReasonCode>(&n), Some(c));
        }
    }

    #[test]
    fn the_clerk_console_keeps_no_reason_list_of_its_own() {
        // One source: the console reads GET /api/v1/reasons (config/reasons.toml); a list
        // typed again in the console's files would drift from it.
        let labels: std::collections::HashMap<String, toml::Value> =
            toml::from_str(include_str!("../../config/reasons.toml")).expect("reasons.toml");
        let console = [
            include_str!("../../staff-ui/console-labels.js"),
            include_str!("../../staff-ui/console-dialogs.js"),
            include_str!("../../staff-ui/console-desk.js"),
        ];
        assert!(labels.len() >= 9, "read the labels ({})", labels.len());
        for (code, label) in &labels {
            let zh = label["zh"].as_str().expect("zh");
            for file in console {
                assert!(
                    !file.contains(&format!("zh: '{zh}'")),
                    "{code}: {zh} typed in the console"
                );
                assert!(
                    !file.contains(&format!("{{ code: '{code}'")),
                    "{code} listed in the console"
                );
            }
        }
        assert!(
            console[0].contains("get('/api/v1/reasons')"),
            "the console reads the one list"
        );
    }
}
