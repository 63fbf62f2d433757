//! The server's own settings, typed and built once at start: who may name a client address
//! (`[http]`), whether cookies are HTTPS-only (`[tls]`), the event stream caps (`[events]`), the
//! metrics token (`[metrics]`), this hall's central identity (`[uplink]`) and what the hall's
//! gateways send (`[[notify]]`). The hall itself (queues, windows, rules, printers) is the plan
//! (`domain::Plan`). Handlers read one or the other, never the raw `Config`.

use std::collections::BTreeSet;
use std::net::IpAddr;

use crate::config::Config;
use crate::domain::notify::NotifyPlan;

/// What the HTTP layer needs of config.toml beyond the hall: a small, typed subset.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    /// `[http] trusted_proxies`: reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<IpAddr>,
    /// `[tls]` is configured: the session cookie is only ever sent over HTTPS.
    pub https: bool,
    /// `[metrics] token` ("" = none): a bearer token that may scrape from any address.
    pub metrics_token: String,
    /// `[events] max_clients`: event streams open at once.
    pub max_streams: usize,
    /// `[events] max_anonymous_clients`: of those, what clients without credentials may hold.
    pub max_anonymous_streams: usize,
    /// `[uplink] hall_id`, when this hall ships its events to a central database.
    pub uplink_hall_id: Option<String>,
    /// Notification kinds the hall's gateways send (`ahead`, `called`, ...); empty without
    /// `[[notify]]`. Screens promise a message only when one will be sent.
    pub notify_kinds: BTreeSet<&'static str>,
}

impl ServerSettings {
    /// The server's settings from a validated config and the notification plan built from it.
    pub fn new(config: &Config, notify: &NotifyPlan) -> ServerSettings {
        ServerSettings {
            trusted_proxies: config.http.trusted_proxies.clone(),
            https: config.tls.is_some(),
            metrics_token: config.metrics.token.clone(),
            max_streams: config.events.max_clients,
            max_anonymous_streams: config.events.max_anonymous_clients,
            uplink_hall_id: config.uplink.as_ref().map(|u| u.hall_id.clone()),
            notify_kinds: notify
                .targets
                .iter()
                .flat_map(|t| t.kinds.iter().map(|k| k.as_str()))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{TlsSection, UplinkSection};

    fn shipped() -> Config {
        let text =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/hall.toml"))
                .expect("the shipped hall");
        Config::parse("hall.toml", &text).expect("a valid config").0
    }

    #[test]
    fn the_shipped_hall_serves_plain_http_with_no_uplink_and_no_gateway() {
        let config = shipped();
        let s = ServerSettings::new(&config, &config.notify_plan().expect("a plan"));
        assert!(!s.https);
        assert_eq!(s.uplink_hall_id, None);
        assert!(s.notify_kinds.is_empty(), "no [[notify]]: nothing promised");
        assert_eq!(
            (s.max_streams, s.max_anonymous_streams),
            (
                config.events.max_clients,
                config.events.max_anonymous_clients
            )
        );
    }

    #[test]
    fn settings_follow_the_server_tables() {
        let mut config = shipped();
        config.http.trusted_proxies = vec!["127.0.0.1".parse().expect("ip")];
        config.metrics.token = "scrape-me".into();
        config.events.max_clients = 50;
        config.events.max_anonymous_clients = 20;
        config.tls = Some(TlsSection {
            cert: "c.pem".into(),
            key: "k.pem".into(),
        });
        config.uplink = Some(UplinkSection {
            url: "postgres://hallq@127.0.0.1:5432/central".into(),
            hall_id: "sandu".into(),
        });
        let s = ServerSettings::new(&config, &config.notify_plan().expect("a plan"));
        assert_eq!(
            s.trusted_proxies,
            vec!["127.0.0.1".parse::<IpAddr>().expect("ip")]
        );
        assert_eq!(s.metrics_token, "scrape-me");
        assert_eq!((s.max_streams, s.max_anonymous_streams), (50, 20));
        assert!(s.https);
        assert_eq!(s.uplink_hall_id.as_deref(), Some("sandu"));
    }
}
