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
    /// `http://HOST:PORT/PATH` or `https://HOST:PORT/PATH` of the gateway.
    pub url: String,
    /// For an `https://` gateway whose certificate comes from the hall's own CA: that CA's
    /// certificate(s), PEM, relative to the config file; then only it is trusted for this
    /// gateway. Without it the system's CA bundle is used.
    #[serde(default)]
    pub ca_file: Option<String>,
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

/// A gateway's address, parsed: `http://` or `https://`, host, port and path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayUrl {
    pub tls: bool,
    /// The host as named (an IPv6 literal without its brackets): TLS checks the certificate
    /// against it.
    pub host: String,
    /// `host:port` to connect to, the port filled in (80 or 443).
    pub hostport: String,
    pub path: String,
}

impl GatewayUrl {
    /// `http[s]://HOST[:PORT][/PATH]`.
    pub fn parse(url: &str) -> Result<GatewayUrl, String> {
        let (tls, rest) = match (url.strip_prefix("http://"), url.strip_prefix("https://")) {
            (Some(r), _) => (false, r),
            (_, Some(r)) => (true, r),
            _ => return Err(format!("{url:?} must start with http:// or https://")),
        };
        let (hostport, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        if hostport.is_empty() || hostport.contains('@') {
            return Err(format!("{url:?} has no host"));
        }
        let has_port = hostport
            .rsplit_once(':')
            .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
            && !hostport.ends_with(']');
        let (host, with_port) = if has_port {
            let (h, _) = hostport.rsplit_once(':').unwrap_or((hostport, ""));
            (h, hostport.to_string())
        } else {
            (
                hostport,
                format!("{hostport}:{}", if tls { 443 } else { 80 }),
            )
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            return Err(format!("{url:?} has no host"));
        }
        Ok(GatewayUrl {
            tls,
            host: host.to_string(),
            hostport: with_port,
            path: path.to_string(),
        })
    }
}

/// Whether posting to `url` stays on this machine: a loopback IP literal or `localhost`
/// (the printer rule, `printer::Address::stays_local`).
pub fn stays_local(url: &str) -> Result<(), String> {
    let u = GatewayUrl::parse(url)?;
    crate::printer::transport::Address::Tcp(u.hostport).stays_local()
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
        let url = GatewayUrl::parse(&t.url).map_err(|m| at("url", m))?;
        if t.ca_file.is_some() && !url.tls {
            return Err(at("ca_file", "only for an https:// gateway".into()));
        }
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

/// A valid gateway `sms` at `url`, for tests.
#[cfg(test)]
pub(crate) fn test_section(url: &str) -> NotifySection {
    NotifySection {
        name: "sms".into(),
        url: url.into(),
        secret: "0123456789abcdef".into(),
        events: None,
        timeout_secs: 10,
        ca_file: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(url: &str) -> NotifySection {
        test_section(url)
    }

    #[test]
    fn urls_parse_and_the_loopback_rule() {
        let u = |url: &str| GatewayUrl::parse(url).map(|g| (g.tls, g.host, g.hostport, g.path));
        assert_eq!(
            u("http://127.0.0.1:8099/hook").expect("ok"),
            (
                false,
                "127.0.0.1".into(),
                "127.0.0.1:8099".into(),
                "/hook".into()
            )
        );
        assert_eq!(
            u("http://sms.example.gov.cn").expect("ok"),
            (
                false,
                "sms.example.gov.cn".into(),
                "sms.example.gov.cn:80".into(),
                "/".into()
            )
        );
        assert_eq!(
            u("https://sms.example.gov.cn/api/v2").expect("ok"),
            (
                true,
                "sms.example.gov.cn".into(),
                "sms.example.gov.cn:443".into(),
                "/api/v2".into()
            )
        );
        assert_eq!(
            u("https://[::1]:8443/x").expect("ok"),
            (true, "::1".into(), "[::1]:8443".into(), "/x".into())
        );
        assert!(u("ftp://sms.example.gov.cn/").is_err());
        assert!(u("http:///x").is_err());
        assert!(u("https://u@host/x").is_err());
        assert!(stays_local("https://localhost:8443/x").is_ok());
        assert!(stays_local("https://10.1.2.3/sms").is_err());
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
                    ca_file: Some("hall-ca.pem".into()),
                    ..section("http://127.0.0.1:1/")
                },
                "ca_file",
            ),
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
