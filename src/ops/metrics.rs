//! Prometheus metrics (`GET /metrics`, text format, prometheus-client): counters fed by the
//! committed event stream (tickets issued and called per queue, commit latency), request
//! latency fed by an HTTP middleware, and gauges read at scrape time from the hall, the event
//! sockets, the printers and the last backup. Owns no hall state; who may scrape is
//! `http::ops`' business.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use serde::Deserialize;
use tokio::sync::broadcast;

use crate::engine::Frame;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct QueueLabels {
    queue: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AudienceLabels {
    audience: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PrinterLabels {
    printer: String,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

/// Latency buckets from 0.25 ms to about 4 s.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.000_25, 2.0, 15))
}

/// Everything measured at scrape time.
#[derive(Debug, Default, Clone)]
pub struct Scrape {
    /// (queue id, citizens waiting now).
    pub waiting: Vec<(String, u32)>,
    /// (audience, open event sockets).
    pub ws_clients: Vec<(String, usize)>,
    /// (printer id, healthy).
    pub printers: Vec<(String, bool)>,
    /// Seconds since the last good backup this server took or saw; `None` before the first.
    pub last_backup_age_s: Option<f64>,
    /// Whether the last backup attempt failed.
    pub last_backup_failed: bool,
    /// The central uplink, when `[uplink]` is configured.
    pub uplink: Option<crate::central::uplink::UplinkView>,
    /// The notification gateways' outboxes.
    pub outbox: Vec<crate::notify::TargetView>,
}

/// The registry and its metrics; one per server.
pub struct Metrics {
    registry: Registry,
    issued: Family<QueueLabels, Counter>,
    called: Family<QueueLabels, Counter>,
    missed: Counter,
    commit_seconds: Histogram,
    request_seconds: HistogramFamily<RouteLabels>,
    waiting: Family<QueueLabels, Gauge>,
    ws_clients: Family<AudienceLabels, Gauge>,
    printer_healthy: Family<PrinterLabels, Gauge>,
    backup_age: Gauge<f64, AtomicU64>,
    backup_failed: Gauge,
    outbox_backlog: Gauge,
    uplink_lag: Gauge,
    uplink_connected: Gauge,
    uplink_age: Gauge<f64, AtomicU64>,
    outbox_oldest: Gauge<f64, AtomicU64>,
    outbox_scheduled: Gauge,
    notify_delivered: Family<TargetLabels, Gauge>,
    notify_failed: Family<TargetLabels, Gauge>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TargetLabels {
    target: String,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("hallq");
        let m = Metrics {
            issued: Family::default(),
            called: Family::default(),
            missed: Counter::default(),
            commit_seconds: latency_histogram(),
            request_seconds: Family::new_with_constructor(latency_histogram),
            waiting: Family::default(),
            ws_clients: Family::default(),
            printer_healthy: Family::default(),
            backup_age: Gauge::default(),
            backup_failed: Gauge::default(),
            outbox_backlog: Gauge::default(),
            uplink_lag: Gauge::default(),
            uplink_connected: Gauge::default(),
            uplink_age: Gauge::default(),
            outbox_oldest: Gauge::default(),
            outbox_scheduled: Gauge::default(),
            notify_delivered: Family::default(),
            notify_failed: Family::default(),
            registry: Registry::default(),
        };
        registry.register(
            "tickets_issued",
            "Tickets issued since the server started, by queue",
            m.issued.clone(),
        );
        registry.register(
            "tickets_called",
            "Calls and recalls since the server started, by queue",
            m.called.clone(),
        );
        registry.register(
            "metrics_events_missed",
            "Committed events the metrics reader fell too far behind to count",
            m.missed.clone(),
        );
        registry.register(
            "commit_seconds",
            "Time to commit one batch of hall changes to SQLite",
            m.commit_seconds.clone(),
        );
        registry.register(
            "http_request_seconds",
            "HTTP request latency by method and route",
            m.request_seconds.clone(),
        );
        registry.register(
            "waiting",
            "Citizens waiting now, by queue",
            m.waiting.clone(),
        );
        registry.register(
            "websocket_clients",
            "Open event websockets, by audience",
            m.ws_clients.clone(),
        );
        registry.register(
            "printer_healthy",
            "1 when a slip printer is usable (not out of paper, open, offline or unreachable)",
            m.printer_healthy.clone(),
        );
        registry.register(
            "last_backup_age_seconds",
            "Seconds since the last good backup (-1 before the first)",
            m.backup_age.clone(),
        );
        registry.register(
            "last_backup_failed",
            "1 when the last backup attempt failed",
            m.backup_failed.clone(),
        );
        registry.register(
            "outbox_backlog",
            "Notifications due and not yet delivered to the [[notify]] gateways (0 while none is configured)",
            m.outbox_backlog.clone(),
        );
        registry.register(
            "uplink_lag_events",
            "Committed events the central database does not hold yet (-1 without [uplink])",
            m.uplink_lag.clone(),
        );
        registry.register(
            "uplink_connected",
            "1 while the uplink's last round with the central database succeeded",
            m.uplink_connected.clone(),
        );
        registry.register(
            "uplink_last_ship_age_seconds",
            "Seconds since the central database last committed a batch (-1 before the first)",
            m.uplink_age.clone(),
        );
        registry.register(
            "outbox_oldest_seconds",
            "How long the oldest due, undelivered notification has waited (hall clock; 0 when none)",
            m.outbox_oldest.clone(),
        );
        registry.register(
            "outbox_scheduled",
            "Notifications not yet due (reminders before a booked slot)",
            m.outbox_scheduled.clone(),
        );
        registry.register(
            "notifications_delivered",
            "Notifications a gateway answered 2xx to since the server started, by gateway",
            m.notify_delivered.clone(),
        );
        registry.register(
            "notification_failures",
            "Failed notification posts (to be retried) since the server started, by gateway",
            m.notify_failed.clone(),
        );
        Metrics { registry, ..m }
    }

    /// Metrics with the per-queue counters of `queues` present at 0, so rates start at once.
    pub fn with_queues<'a>(queues: impl IntoIterator<Item = &'a str>) -> Metrics {
        let m = Metrics::new();
        for q in queues {
            let labels = QueueLabels { queue: q.into() };
            drop(m.issued.get_or_create(&labels));
            drop(m.called.get_or_create(&labels));
        }
        m
    }

    /// One HTTP request took `took` on `route` (the route template, never the raw path).
    pub fn observe_request(&self, method: &str, route: &str, took: Duration) {
        self.request_seconds
            .get_or_create(&RouteLabels {
                method: method.to_string(),
                route: route.to_string(),
            })
            .observe(took.as_secs_f64());
    }

    /// Count one committed event frame; `last_commit` dedupes the commit time per batch.
    fn count(&self, frame: &Frame, last_commit: &mut Option<std::time::Instant>) {
        if *last_commit != Some(frame.committed) {
            *last_commit = Some(frame.committed);
            self.commit_seconds.observe(frame.commit_time.as_secs_f64());
        }
        #[derive(Deserialize)]
        struct Peek {
            #[serde(rename = "type")]
            kind: String,
            ticket: Option<PeekTicket>,
        }
        #[derive(Deserialize)]
        struct PeekTicket {
            queue: String,
        }
        // The staff frame carries every event; the public one is a subset.
        let Some(json) = frame.staff.as_deref().or(frame.public.as_deref()) else {
            return;
        };
        let Ok(peek) = serde_json::from_str::<Peek>(json) else {
            return;
        };
        let family = match peek.kind.as_str() {
            "ticket.issued" => &self.issued,
            "ticket.called" | "ticket.recalled" => &self.called,
            _ => return,
        };
        if let Some(t) = peek.ticket {
            family.get_or_create(&QueueLabels { queue: t.queue }).inc();
        }
    }

    /// Follow the committed events until the engine stops.
    pub async fn follow(self: Arc<Self>, mut events: broadcast::Receiver<Arc<Frame>>) {
        let mut last_commit = None;
        loop {
            match events.recv().await {
                Ok(frame) => self.count(&frame, &mut last_commit),
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    self.missed.inc_by(n);
                }
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    }

    /// The text exposition with the scrape-time gauges set from `now`.
    pub fn render(&self, now: &Scrape) -> String {
        for (queue, n) in &now.waiting {
            self.waiting
                .get_or_create(&QueueLabels {
                    queue: queue.clone(),
                })
                .set(i64::from(*n));
        }
        for (audience, n) in &now.ws_clients {
            self.ws_clients
                .get_or_create(&AudienceLabels {
                    audience: audience.clone(),
                })
                .set(*n as i64);
        }
        for (printer, ok) in &now.printers {
            self.printer_healthy
                .get_or_create(&PrinterLabels {
                    printer: printer.clone(),
                })
                .set(i64::from(*ok));
        }
        self.backup_age.set(now.last_backup_age_s.unwrap_or(-1.0));
        self.backup_failed.set(i64::from(now.last_backup_failed));
        let up = now.uplink.as_ref();
        self.uplink_lag
            .set(up.map_or(-1, |u| i64::try_from(u.lag_events).unwrap_or(i64::MAX)));
        self.uplink_connected
            .set(i64::from(up.is_some_and(|u| u.connected)));
        let now_ms = jiff::Timestamp::now().as_millisecond();
        self.uplink_age.set(
            up.and_then(|u| u.last_ship_ms)
                .map_or(-1.0, |at| (now_ms - at).max(0) as f64 / 1000.0),
        );
        let sum = |f: fn(&crate::notify::TargetView) -> u64| now.outbox.iter().map(f).sum::<u64>();
        self.outbox_backlog.set(sum(|t| t.due) as i64);
        self.outbox_scheduled.set(sum(|t| t.later) as i64);
        self.outbox_oldest
            .set(now.outbox.iter().map(|t| t.oldest_s).fold(0.0, f64::max));
        for t in &now.outbox {
            let labels = TargetLabels {
                target: t.name.clone(),
            };
            self.notify_delivered
                .get_or_create(&labels)
                .set(t.delivered as i64);
            self.notify_failed
                .get_or_create(&labels)
                .set(t.failed as i64);
        }
        let mut out = String::new();
        if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &self.registry) {
            tracing::error!(error = %e, "metrics not encodable");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(json: &str, committed: std::time::Instant) -> Frame {
        Frame {
            seq: 1,
            public: Some(json.into()),
            staff: Some(json.into()),
            committed,
            commit_time: Duration::from_millis(3),
        }
    }

    #[test]
    fn events_count_per_queue_and_commits_once_per_batch() {
        let m = Metrics::new();
        let batch = std::time::Instant::now();
        let mut last = None;
        for j in [
            r#"{"seq":1,"type":"ticket.issued","ticket":{"queue":"xf","number":"XF001"}}"#,
            r#"{"seq":2,"type":"ticket.issued","ticket":{"queue":"xf","number":"XF002"}}"#,
            r#"{"seq":3,"type":"ticket.called","ticket":{"queue":"xf","number":"XF001"}}"#,
            r#"{"seq":4,"type":"window.paused","window":3}"#,
        ] {
            m.count(&frame(j, batch), &mut last);
        }
        let text = m.render(&Scrape {
            waiting: vec![("xf".into(), 1)],
            ws_clients: vec![("public".into(), 2)],
            printers: vec![("p1".into(), false)],
            last_backup_age_s: Some(30.0),
            last_backup_failed: false,
            uplink: Some(crate::central::uplink::UplinkView {
                hall_id: "sandu".into(),
                connected: true,
                shipped_seq: 40,
                hall_seq: 52,
                lag_events: 12,
                last_ship_ms: None,
                last_error: None,
            }),
            outbox: Vec::new(),
        });
        for line in [
            "hallq_tickets_issued_total{queue=\"xf\"} 2",
            "hallq_tickets_called_total{queue=\"xf\"} 1",
            "hallq_commit_seconds_count 1",
            "hallq_waiting{queue=\"xf\"} 1",
            "hallq_websocket_clients{audience=\"public\"} 2",
            "hallq_printer_healthy{printer=\"p1\"} 0",
            "hallq_last_backup_age_seconds 30.0",
            "hallq_outbox_backlog 0",
            "hallq_uplink_lag_events 12",
            "hallq_uplink_connected 1",
            "hallq_uplink_last_ship_age_seconds -1.0",
        ] {
            assert!(text.contains(line), "missing {line} in\n{text}");
        }
        assert!(text.ends_with("# EOF\n"), "{text}");
    }
}
