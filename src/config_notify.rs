//! Config of notifications: `[[notify]]` webhooks to the hall's SMS or WeChat gateway (url,
//! secret, which kinds) and `[notifications]` (when reminders and "N ahead" fall due), and
//! their validation into the domain's `NotifyPlan`. A child of `config`.

use std::collections::{BTreeSet, HashSet};

use serde::Deserialize;

use crate::domain::notify::{NoteKind, NotifyPlan, Target};

/// `[[notify]]`: one gateway that takes the hall's notifications as signed JSON posts.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifySection {
    /// A short name, unique among the gateways; the outbox keeps each message per name.
    pub name: String,
    /// `http://HOST:PORT/PATH` of the gateway (TLS: terminate it in a local proxy).
    pub url: String,
    /// The shared secret the body is signed with (HMAC-SHA256), at least 16 characters.
    pub secret: String,
    /// Which kinds it takes; all when left out: `booking_confirmed`, `booking_cancelled`,
    /// `booking_missed`, `reminder_day_before`, `reminder_hour_before`, `ahead`, `called`.
    #[serde(default)]
    pub events: Option<Vec<String>>,
    /// Seconds a post may take before it counts as failed.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u32,
}

fn default_timeout() -> u32 {
    10
}

/// `[notifications]`: when the messages fall due.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NotificationsSection {
    /// Tell a waiting citizen (with a phone) once when at most this many are ahead; 0 = never.
    pub ahead: u32,
    /// The day-before reminder goes at this local time (`HH:MM`); "" = no such reminder.
    pub day_before_at: String,
    /// The second reminder goes this many minutes before the slot; 0 = none.
    pub hour_before_minutes: u32,
    /// The floor alarms when a due message waits undelivered this many minutes; 0 = never.
    pub alarm_after_minutes: u32,
}

impl Default for NotificationsSection {
    fn default() -> Self {
        NotificationsSection {
            ahead: 3,
            day_before_at: "18:00".into(),
            hour_before_minutes: 60,
            alarm_after_minutes: 10,
        }
    }
}

/// A config error: (table, index, key, message).
type Bad = (&'static str, Option<usize>, &'static str, String);

/// `http://HOST[:PORT][/PATH]` split into host:port and path.
pub fn split_url(url: &str) -> Result<(String, String), String> {
    let rest = url.strip_prefix("http://").ok_or_else(|| {
        format!("{url:?} must start with http:// (put a TLS proxy on this machine for https)")
    })?;
    let (hostport, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if hostport.is_empty() || hostport.contains('@') {
        return Err(format!("{url:?} has no host"));
    }
    let with_port = if hostport
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
        && !hostport.ends_with(']')
    {
        hostport.to_string()
    } else {
        format!("{hostport}:80")
    };
    Ok((with_port, path.to_string()))
}

/// Whether posting to `url` stays on this machine: a loopback IP literal or `localhost`
/// (the printer rule, `printer::Address::stays_local`).
pub fn stays_local(url: &str) -> Result<(), String> {
    let (hostport, _) = split_url(url)?;
    crate::printer::transport::Address::Tcp(hostport).stays_local()
}

impl NotifySection {
    fn kinds(&self) -> Result<BTreeSet<NoteKind>, String> {
        match &self.events {
            None => Ok(NoteKind::ALL.into_iter().collect()),
            Some(list) => list
                .iter()
                .map(|e| NoteKind::parse(e).ok_or_else(|| format!("unknown kind {e:?}")))
                .collect(),
        }
    }
}

/// Check `[[notify]]` and `[notifications]` and build the plan.
pub fn plan(
    notify: &[NotifySection],
    n: &NotificationsSection,
    public_url: Option<&str>,
) -> Result<NotifyPlan, Bad> {
    let mut names = HashSet::new();
    let mut targets = Vec::new();
    for (i, t) in notify.iter().enumerate() {
        let at = |key, m: String| ("notify", Some(i), key, m);
        if t.name.is_empty()
            || !t
                .name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(at(
                "name",
                format!("{:?}: letters, digits, - and _ only", t.name),
            ));
        }
        if !names.insert(t.name.as_str()) {
            return Err(at("name", format!("duplicate name {:?}", t.name)));
        }
        split_url(&t.url).map_err(|m| at("url", m))?;
        if t.secret.chars().count() < 16 {
            return Err(at("secret", "at least 16 characters".into()));
        }
        if t.timeout_secs == 0 || t.timeout_secs > 300 {
            return Err(at("timeout_secs", "must be 1 to 300".into()));
        }
        let kinds = t.kinds().map_err(|m| at("events", m))?;
        if kinds.is_empty() {
            return Err(at("events", "name at least one kind".into()));
        }
        targets.push(Target {
            name: t.name.clone(),
            kinds,
        });
    }
    let day_before_at = match n.day_before_at.trim() {
        "" => None,
        s => Some(s.parse::<jiff::civil::Time>().map_err(|e| {
            (
                "notifications",
                None,
                "day_before_at",
                format!("{s:?}: {e}"),
            )
        })?),
    };
    if n.hour_before_minutes > 24 * 60 {
        return Err((
            "notifications",
            None,
            "hour_before_minutes",
            "at most 1440".into(),
        ));
    }
    Ok(NotifyPlan {
        targets,
        ahead: n.ahead,
        day_before_at,
        hour_before_minutes: n.hour_before_minutes,
        public_url: public_url.map(str::to_string),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(url: &str) -> NotifySection {
        NotifySection {
            name: "sms".into(),
            url: url.into(),
            secret: "0123456789abcdef".into(),
            events: None,
            timeout_secs: 10,
        }
    }

    #[test]
    fn urls_split_and_the_loopback_rule() {
        assert_eq!(
            split_url("http://127.0.0.1:8099/hook").expect("ok"),
            ("127.0.0.1:8099".into(), "/hook".into())
        );
        assert_eq!(
            split_url("http://sms.example.gov.cn").expect("ok"),
            ("sms.example.gov.cn:80".into(), "/".into())
        );
        assert!(split_url("https://sms.example.gov.cn/").is_err());
        assert!(split_url("http:///x").is_err());
        assert!(stays_local("http://127.0.0.1:9/x").is_ok());
        assert!(stays_local("http://localhost:9/x").is_ok());
        assert!(stays_local("http://[::1]:9/x").is_ok());
        assert!(stays_local("http://10.1.2.3:8080/sms").is_err());
        assert!(stays_local("http://sms.example.gov.cn/").is_err());
    }

    #[test]
    fn every_refusal_names_its_key() {
        let n = NotificationsSection::default();
        let ok = plan(&[section("http://127.0.0.1:1/")], &n, None).expect("valid");
        assert_eq!(ok.targets[0].kinds.len(), NoteKind::ALL.len());
        let cases: Vec<(NotifySection, &str)> = vec![
            (section("ftp://x/"), "url"),
            (
                NotifySection {
                    secret: "short".into(),
                    ..section("http://127.0.0.1:1/")
                },
                "secret",
            ),
            (
                NotifySection {
                    events: Some(vec!["sms_sent".into()]),
                    ..section("http://127.0.0.1:1/")
                },
                "events",
            ),
            (
                NotifySection {
                    name: "a b".into(),
                    ..section("http://127.0.0.1:1/")
                },
                "name",
            ),
        ];
        for (s, key) in cases {
            let e = plan(&[s], &n, None).expect_err("refused");
            assert_eq!(e.2, key, "{e:?}");
        }
        let twice = [
            section("http://127.0.0.1:1/"),
            section("http://127.0.0.1:2/"),
        ];
        assert_eq!(plan(&twice, &n, None).expect_err("dup").2, "name");
        let bad_time = NotificationsSection {
            day_before_at: "25:00".into(),
            ..NotificationsSection::default()
        };
        assert_eq!(
            plan(&[], &bad_time, None).expect_err("time").2,
            "day_before_at"
        );
    }
}
