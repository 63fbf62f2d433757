//! Notifications to the hall's SMS/WeChat gateway (`[[notify]]`), against a receiver on
//! loopback: signed posts for a booking, its reminder on the hall clock, "N ahead" and the
//! call; retries until a 2xx with the same id; the floor alarm; a trial run that never posts
//! beyond this machine; and `kill -9` mid-delivery losing nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode as Status};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::helpers::*;

/// `GET /metrics` as text.
async fn metrics(hall: &TestHall) -> String {
    let (status, text) = crate::ops::scrape(hall, None).await;
    assert_eq!(status, 200);
    text
}

const SECRET: &str = "test-gateway-secret-0123";

/// One post as the gateway received it.
#[derive(Debug, Clone)]
struct Got {
    id: String,
    attempt: u32,
    body: Value,
}

/// A gateway on 127.0.0.1: it checks every signature, fails the first `fail_first` posts
/// (503) and answers each after `delay`.
#[derive(Clone)]
struct Gateway {
    got: Arc<Mutex<Vec<Got>>>,
    fail_first: Arc<AtomicU32>,
    bad_signatures: Arc<AtomicU32>,
    delay: Duration,
}

impl Gateway {
    async fn start(fail_first: u32, delay: Duration) -> (Gateway, String) {
        let g = Gateway {
            got: Arc::default(),
            fail_first: Arc::new(AtomicU32::new(fail_first)),
            bad_signatures: Arc::default(),
            delay,
        };
        let app = axum::Router::new()
            .route("/hook", axum::routing::post(receive))
            .with_state(g.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        (g, url)
    }

    /// The same gateway behind TLS with `cert` and `key` (PEM), on 127.0.0.1.
    async fn start_tls(cert: &str, key: &str) -> (Gateway, std::net::SocketAddr) {
        use tokio_rustls::rustls;
        use tokio_rustls::rustls::pki_types::pem::PemObject;
        let g = Gateway {
            got: Arc::default(),
            fail_first: Arc::default(),
            bad_signatures: Arc::default(),
            delay: Duration::ZERO,
        };
        let app = axum::Router::new()
            .route("/hook", axum::routing::post(receive))
            .with_state(g.clone());
        let certs = rustls::pki_types::CertificateDer::pem_slice_iter(cert.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .expect("cert");
        let key = rustls::pki_types::PrivateKeyDer::from_pem_slice(key.as_bytes()).expect("key");
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .expect("server config");
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (acceptor, app) = (acceptor.clone(), app.clone());
                tokio::spawn(async move {
                    // A client that does not trust us fails here: nothing is served.
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(
                            hyper_util::rt::TokioIo::new(tls),
                            hyper_util::service::TowerToHyperService::new(app),
                        )
                        .await;
                });
            }
        });
        (g, addr)
    }

    fn got(&self) -> Vec<Got> {
        self.got.lock().expect("lock").clone()
    }

    /// Wait until a post of `kind` arrives (and was answered 2xx), up to 20 s.
    async fn wait_for(&self, kind: &str) -> Got {
        tokio::time::timeout(Duration::from_secs(20), async {
            loop {
                if let Some(g) = self.got().into_iter().find(|g| g.body["kind"] == kind) {
                    return g;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .unwrap_or_else(|_| panic!("no {kind} within 20 s: {:?}", self.got()))
    }
}

async fn receive(State(g): State<Gateway>, headers: HeaderMap, body: Bytes) -> Status {
    let h = |k: &str| {
        headers
            .get(k)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    // The receiver's own check: HMAC-SHA256(secret, "{timestamp}.{body}") in hex.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(SECRET.as_bytes()).expect("key");
    mac.update(h("x-hallq-timestamp").as_bytes());
    mac.update(b".");
    mac.update(&body);
    let want: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    if h("x-hallq-signature") != format!("v1={want}") {
        g.bad_signatures.fetch_add(1, Ordering::Relaxed);
        return Status::UNAUTHORIZED;
    }
    let parsed: Value = serde_json::from_slice(&body).expect("JSON body");
    assert_eq!(h("x-hallq-id"), parsed["id"].as_str().unwrap_or_default());
    assert_eq!(h("idempotency-key"), h("x-hallq-id"));
    let failing = g
        .fail_first
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
        .is_ok();
    if failing {
        return Status::SERVICE_UNAVAILABLE;
    }
    // Recorded on receipt: a server killed before the answer sends it again (same id).
    g.got.lock().expect("lock").push(Got {
        id: h("x-hallq-id"),
        attempt: h("x-hallq-attempt").parse().unwrap_or(0),
        body: parsed,
    });
    tokio::time::sleep(g.delay).await;
    Status::NO_CONTENT
}

/// `base` with one gateway at `url`.
fn with_gateway(base: &str, url: &str) -> String {
    format!(
        "{base}\n[[notify]]\nname = \"sms\"\nurl = \"{url}\"\nsecret = \"{SECRET}\"\ntimeout_secs = 5\n"
    )
}

fn tomorrow() -> String {
    jiff::tz::TimeZone::get("Asia/Shanghai")
        .expect("tz")
        .to_datetime(tomorrow_at(10, 0))
        .date()
        .to_string()
}

async fn book(hall: &TestHall, start: &str, who: u32) -> Value {
    let (s, b) = hall
        .post(
            "/api/v1/appointments",
            None,
            json!({"queue": "crj", "day": tomorrow(), "start": start, "id_number": id_number(who), "phone": "13800138000"}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    b
}

/// The floor's `notify` alarm, once it shows (within 10 s).
async fn notify_alarm(hall: &TestHall, manager: &str) -> Value {
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let (_, floor) = hall.get("/api/v1/floor", Some(manager)).await;
            if let Some(a) = floor["alarms"]
                .as_array()
                .and_then(|a| a.iter().find(|a| a["kind"] == "notify").cloned())
            {
                return a;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("a notify alarm")
}

#[tokio::test]
async fn booking_reminder_ahead_and_call_reach_the_gateway_signed() {
    let (gw, url) = Gateway::start(0, Duration::ZERO).await;
    let hall = TestHall::spawn_with(&with_gateway(&every_day_config(), &url)).await;
    // Screens may promise a text before the call: the gateway takes "ahead".
    let (_, h) = hall.get("/api/v1/hall", None).await;
    assert_eq!(h["notifications"]["sms"], true, "{}", h["notifications"]);
    // 10:00: a booking for 10:30 is confirmed at once (its hour-before reminder is past).
    let b = book(&hall, "10:30", 1).await;
    let confirmed = gw.wait_for("booking_confirmed").await;
    assert_eq!(confirmed.id, format!("booking-{}-confirmed", b["id"]));
    assert_eq!(confirmed.attempt, 1);
    assert_eq!(confirmed.body["phone"], "13800138000");
    assert_eq!(confirmed.body["appointment"]["code"], b["code"]);
    assert_eq!(confirmed.body["appointment"]["start"], "10:30");
    // A 14:00 booking: its reminder falls due at 13:00 on the hall clock, not before.
    let later = book(&hall, "14:00", 2).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        !gw.got()
            .iter()
            .any(|g| g.body["kind"] == "reminder_hour_before"),
        "nothing before it is due"
    );
    let m = metrics(&hall).await;
    assert!(m.contains("hallq_outbox_scheduled 1"), "{m}");
    // The waiting reminder keeps its phone sealed with the key file's key, never in clear.
    {
        let conn = rusqlite::Connection::open(&hall.db).expect("db");
        let stored: Vec<String> = conn
            .prepare("SELECT phone FROM outbox WHERE state = 'pending' AND phone IS NOT NULL")
            .expect("prepare")
            .query_map([], |r| r.get(0))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        assert!(!stored.is_empty(), "the reminder waits with its phone");
        assert!(
            stored.iter().all(|p| !p.contains("13800138000")),
            "{stored:?}"
        );
    }
    // Check-in: the ticket is first in line ("ahead", 0), then called at window 12.
    let (s, t) = hall
        .post(
            "/api/v1/appointments/check-in",
            Some(KIOSK),
            json!({"code": b["code"]}),
        )
        .await;
    assert_eq!(s, 201, "{t}");
    let ahead = gw.wait_for("ahead").await;
    assert_eq!(ahead.body["ticket"]["number"], t["number"]);
    assert_eq!(ahead.body["ticket"]["ahead"], 0);
    let clerk = hall.login("clerk1").await;
    hall.ok(&clerk, 12, "sign-in", json!({})).await;
    hall.ok(&clerk, 12, "call-next", json!({})).await;
    let called = gw.wait_for("called").await;
    assert_eq!(called.body["ticket"]["number"], t["number"]);
    assert_eq!(called.body["window"]["number"], 12);
    hall.set_clock(tomorrow_at(13, 0)).await;
    let reminder = gw.wait_for("reminder_hour_before").await;
    assert_eq!(
        reminder.id,
        format!("booking-{}-reminder-hour", later["id"])
    );
    assert_eq!(
        reminder.body["phone"], "13800138000",
        "opened for the gateway"
    );
    assert_eq!(gw.bad_signatures.load(Ordering::Relaxed), 0);
    // Each message once; delivered rows forget the phone.
    let ids: Vec<String> = gw.got().into_iter().map(|g| g.id).collect();
    let unique: BTreeSet<&String> = ids.iter().collect();
    assert_eq!(ids.len(), unique.len(), "{ids:?}");
    let conn = rusqlite::Connection::open(&hall.db).expect("db");
    let kept: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM outbox WHERE state = 'delivered' AND phone IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(kept, 0);
}

#[tokio::test]
async fn a_failing_gateway_is_retried_until_it_answers_and_the_floor_alarms_meanwhile() {
    let (gw, url) = Gateway::start(2, Duration::ZERO).await;
    let hall = TestHall::spawn_with(&with_gateway(&every_day_config(), &url)).await;
    let b = book(&hall, "11:00", 3).await;
    // 503 twice (backoff 1 s, 2 s), then delivered on the third try with the same id.
    let g = gw.wait_for("booking_confirmed").await;
    assert_eq!(g.id, format!("booking-{}-confirmed", b["id"]));
    assert_eq!(g.attempt, 3);
    // The gauges follow within a round of the delivery task.
    let m = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let m = metrics(&hall).await;
            if m.contains("hallq_outbox_backlog 0") {
                return m;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("the backlog drains");
    assert!(
        m.contains("hallq_notification_failures{target=\"sms\"} 2"),
        "{m}"
    );
    assert!(
        m.contains("hallq_notifications_delivered{target=\"sms\"} 1"),
        "{m}"
    );

    // A gateway that never answers 2xx: after [notifications] alarm_after_minutes (10) the
    // floor says so.
    gw.fail_first.store(u32::MAX, Ordering::Relaxed);
    book(&hall, "11:00", 4).await;
    let manager = hall.login("manager").await;
    let (_, floor) = hall.get("/api/v1/floor", Some(&manager)).await;
    assert!(!floor.to_string().contains("\"notify\""), "{floor}");
    hall.set_clock(tomorrow_at(10, 11)).await;
    let alarm = notify_alarm(&hall, &manager).await;
    assert!(
        alarm["detail"].as_str().is_some_and(|d| d.contains("sms")),
        "{alarm}"
    );
    assert!(alarm["value"].as_i64() >= Some(600), "{alarm}");
}

#[tokio::test]
async fn a_trial_run_never_posts_beyond_this_machine() {
    // Built here so that no live key in tests/ names a LAN address.
    let lan = format!("http://{}:8080/sms", std::net::Ipv4Addr::new(192, 0, 2, 7));
    let hall = TestHall::spawn_with(&with_gateway(&every_day_config(), &lan)).await;
    book(&hall, "11:00", 5).await;
    hall.set_clock(tomorrow_at(10, 20)).await;
    let manager = hall.login("manager").await;
    let alarm = notify_alarm(&hall, &manager).await;
    assert!(
        alarm["detail"]
            .as_str()
            .is_some_and(|d| d.contains("not tried in a trial run")),
        "{alarm}"
    );
    // The message is kept, not lost: a real run delivers it.
    let m = metrics(&hall).await;
    assert!(m.contains("hallq_outbox_backlog 1"), "{m}");
    assert!(
        m.contains("hallq_notification_failures{target=\"sms\"} 0"),
        "{m}"
    );
}

#[tokio::test]
async fn kill_dash_nine_mid_delivery_loses_no_notification() {
    // A slow gateway (each answer after 40 ms) so that posts are in flight at the kill.
    let (gw, url) = Gateway::start(0, Duration::from_millis(40)).await;
    let dir = tempfile::tempdir().expect("dir");
    let config = dir.path().join("hall.toml");
    std::fs::write(
        &config,
        with_gateway(&every_day_config(), &url).replace(
            "kiosk_tickets_per_minute = 20",
            "kiosk_tickets_per_minute = 0",
        ),
    )
    .expect("config");
    let db = dir.path().join("hallq.db");
    let (mut server, base) = crate::durability::start_server(&config, &db).await;
    let http = reqwest::Client::new();
    // Book every place of the day after tomorrow's slots (real clock: always in the future).
    let day = jiff::tz::TimeZone::get("Asia/Shanghai")
        .expect("tz")
        .to_datetime(jiff::Timestamp::now())
        .date()
        .checked_add(jiff::Span::new().days(2))
        .expect("day")
        .to_string();
    let mut booked = Vec::new();
    let starts = [
        "09:00", "09:30", "10:00", "10:30", "11:00", "11:30", "14:00", "14:30", "15:00", "15:30",
    ];
    for (i, start) in starts.iter().enumerate() {
        for k in 0..2 {
            let who = (i * 2 + k) as u32 + 100;
            let r = http
                .post(format!("{base}/api/v1/appointments"))
                .json(&json!({"queue": "crj", "day": day, "start": start, "id_number": id_number(who), "phone": "13800138000"}))
                .send()
                .await
                .expect("sent");
            assert_eq!(r.status(), 201);
            let v: Value = r.json().await.expect("json");
            booked.push(format!("booking-{}-confirmed", v["id"]));
        }
    }
    // Kill -9 once some, not all, confirmations have arrived.
    tokio::time::timeout(Duration::from_secs(30), async {
        while gw.got().len() < 5 {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    })
    .await
    .expect("deliveries under way");
    // SIGKILL, and reaped.
    server.kill().await.expect("killed");
    let at_kill = gw.got().len();
    assert!(at_kill < booked.len(), "killed mid-delivery ({at_kill})");

    let (_server, _) = crate::durability::start_server(&config, &db).await;
    let want: BTreeSet<String> = booked.iter().cloned().collect();
    tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            let have: BTreeSet<String> = gw.got().into_iter().map(|g| g.id).collect();
            if want.is_subset(&have) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("not every confirmation arrived: {:?}", gw.got()));
    // Duplicates only ever repeat an id with the same message.
    let mut by_id: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for g in gw.got() {
        let mut b = g.body.clone();
        b.as_object_mut().expect("object").remove("phone");
        by_id.entry(g.id).or_default().push(b);
    }
    for (id, bodies) in &by_id {
        assert!(bodies.windows(2).all(|w| w[0] == w[1]), "{id}: {bodies:?}");
    }
    assert_eq!(gw.bad_signatures.load(Ordering::Relaxed), 0);
}

#[tokio::test]
async fn without_a_gateway_nothing_is_written_or_promised() {
    let hall = TestHall::spawn_with(&every_day_config()).await;
    let (_, h) = hall.get("/api/v1/hall", None).await;
    assert_eq!(h["notifications"]["sms"], false);
    assert_eq!(h["notifications"]["kinds"], json!([]));
    book(&hall, "11:00", 6).await;
    let conn = rusqlite::Connection::open(&hall.db).expect("db");
    let rows: i64 = conn
        .query_row("SELECT COUNT(*) FROM outbox", [], |r| r.get(0))
        .expect("count");
    assert_eq!(rows, 0);
}

#[tokio::test]
async fn delivered_and_abandoned_messages_leave_the_outbox_after_outbox_days() {
    let (_gw, url) = Gateway::start(0, Duration::ZERO).await;
    // A second gateway that is never reachable: a port on loopback that was just let go.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        format!("http://{}/hook", l.local_addr().expect("addr"))
    };
    let base = every_day_config().replace("outbox_days = 7\n", "outbox_days = 2\n");
    assert!(
        base.contains("outbox_days = 2"),
        "the shipped file sets [retention] outbox_days"
    );
    let config = format!(
        "{}\n[[notify]]\nname = \"wechat\"\nurl = \"{dead}\"\nsecret = \"{SECRET}\"\ntimeout_secs = 1\n",
        with_gateway(&base, &url)
    );
    let hall = TestHall::spawn_with(&config).await;
    let b = book(&hall, "10:30", 5).await;
    let rows = || {
        let conn = rusqlite::Connection::open(&hall.db).expect("db");
        let mut st = conn
            .prepare(
                "SELECT target, state FROM outbox
                 WHERE booking_id = ?1 AND kind = 'booking_confirmed' ORDER BY target",
            )
            .expect("prepare");
        st.query_map([b["id"].as_i64().expect("id")], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })
        .expect("query")
        .collect::<Result<Vec<_>, _>>()
        .expect("rows")
    };
    // Delivered to sms; waiting (and retried) for the dead wechat gateway.
    tokio::time::timeout(Duration::from_secs(10), async {
        while !rows().contains(&("sms".to_string(), "delivered".to_string())) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("delivered to sms");
    assert_eq!(
        rows(),
        vec![
            ("sms".to_string(), "delivered".to_string()),
            ("wechat".to_string(), "pending".to_string())
        ]
    );
    let day = jiff::SignedDuration::from_hours(24);
    // Kept through two full days after the day of delivery (the day's first batch runs the
    // purge). The booking was missed meanwhile; those messages are younger.
    for n in 1..=2 {
        hall.set_clock(tomorrow_at(10, 0) + day * n).await;
        hall.issue("hj").await;
        assert_eq!(rows().len(), 2, "day {n}");
    }
    // The third day: the delivered row and the one never delivered go.
    hall.set_clock(tomorrow_at(10, 0) + day * 3).await;
    hall.issue("hj").await;
    assert_eq!(rows(), vec![]);
}

/// A private CA (as a hall's IT department runs one) and a gateway certificate it signed for
/// localhost and 127.0.0.1: (CA PEM, gateway cert PEM, gateway key PEM).
fn private_ca() -> (String, String, String) {
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "hallq test hall CA");
    let ca = rcgen::CertifiedIssuer::self_signed(ca, rcgen::KeyPair::generate().expect("key"))
        .expect("CA");
    let key = rcgen::KeyPair::generate().expect("key");
    let cert = rcgen::CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()])
        .expect("params")
        .signed_by(&key, &*ca)
        .expect("signed");
    (ca.pem(), cert.pem(), key.serialize_pem())
}

#[tokio::test]
async fn an_https_gateway_with_the_halls_own_ca_gets_the_messages_and_a_stranger_does_not() {
    let (ca, cert, key) = private_ca();
    let (gw, addr) = Gateway::start_tls(&cert, &key).await;
    // The same gateway under a certificate nobody trusts.
    let stranger = rcgen::generate_simple_self_signed(vec!["localhost".into()]).expect("cert");
    let (unsure, unsure_addr) =
        Gateway::start_tls(&stranger.cert.pem(), &stranger.signing_key.serialize_pem()).await;
    let dir = tempfile::tempdir().expect("dir");
    let ca_file = dir.path().join("hall-ca.pem");
    std::fs::write(&ca_file, &ca).expect("ca file");
    let ca_file = ca_file.to_str().expect("path");
    let config = format!(
        "{}\n[[notify]]\nname = \"sms\"\nurl = \"https://localhost:{}/hook\"\nsecret = \"{SECRET}\"\nca_file = \"{ca_file}\"\ntimeout_secs = 5\n\
         \n[[notify]]\nname = \"wechat\"\nurl = \"https://localhost:{}/hook\"\nsecret = \"{SECRET}\"\nca_file = \"{ca_file}\"\ntimeout_secs = 5\n",
        every_day_config(),
        addr.port(),
        unsure_addr.port()
    );
    // check-config reads the CA file like serve does, and names a missing one.
    std::fs::write(dir.path().join("hall.toml"), &config).expect("config");
    let (code, _, err) = crate::cli::run(&[
        "check-config",
        dir.path().join("hall.toml").to_str().expect("path"),
    ]);
    assert_eq!(code, 0, "{err}");
    std::fs::write(
        dir.path().join("bad.toml"),
        config.replace(ca_file, "missing-ca.pem"),
    )
    .expect("config");
    let (code, _, err) = crate::cli::run(&[
        "check-config",
        dir.path().join("bad.toml").to_str().expect("path"),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("missing-ca.pem") && err.contains("[[notify]] sms"),
        "{err}"
    );

    let hall = TestHall::spawn_with(&config).await;
    let b = book(&hall, "10:30", 6).await;
    let confirmed = gw.wait_for("booking_confirmed").await;
    assert_eq!(confirmed.id, format!("booking-{}-confirmed", b["id"]));
    assert_eq!(confirmed.body["phone"], "13800138000");
    assert_eq!(gw.bad_signatures.load(Ordering::Relaxed), 0);
    // The stranger's certificate is refused: never delivered, retried, and said so.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(unsure.got().is_empty());
    let m = metrics(&hall).await;
    assert!(
        m.contains("hallq_notification_failures{target=\"wechat\"}"),
        "{m}"
    );
    assert!(
        !m.contains("hallq_notification_failures{target=\"wechat\"} 0"),
        "{m}"
    );
}
