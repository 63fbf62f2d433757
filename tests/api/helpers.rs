//! A real hall server on port 0 with a temp-dir database and a simulated clock.

use std::net::SocketAddr;
use std::path::PathBuf;

use futures_util::StreamExt;
use hallq::{App, ServeOptions};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub const PASSWORD: &str = "test-password";
pub const KIOSK: &str = "test-kiosk-token";
pub const DISPLAY: &str = "test-display-token";
/// The evaluator at window 20.
pub const EVALUATOR: &str = "test-evaluator-20-token";

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

pub struct TestHall {
    pub addr: SocketAddr,
    pub base: String,
    pub http: reqwest::Client,
    /// Kept so the database outlives the test (None when the test owns the folder).
    _dir: Option<tempfile::TempDir>,
    pub db: PathBuf,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

/// The shipped hall config.
pub fn shipped_config() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/hall.toml"))
        .expect("shipped config")
}

/// The shipped hall with kiosk-1 printing on printer p1 at `address`. The shipped file names no
/// live printer (the installer sets one), so p1 is added the way an installer would.
pub fn config_with_printer(address: &str) -> String {
    with_printer(shipped_config(), address)
}

/// `config` (the shipped one, perhaps changed) with kiosk-1 printing on `p1` at `address`.
pub fn with_printer(shipped: String, address: &str) -> String {
    let from = "# printer = \"p1\"";
    assert!(
        shipped.contains(from),
        "kiosk-1's printer is an installer's comment in the shipped config"
    );
    format!(
        "{}\n[[printers]]\nid = \"p1\"\naddress = \"{address}\"\nwidth_mm = 80\n",
        shipped.replacen(from, "printer = \"p1\"", 1)
    )
}

/// Tomorrow at `hh:mm` in the hall's time zone (the simulated clock only moves forward).
pub fn tomorrow_at(hh: i8, mm: i8) -> jiff::Timestamp {
    let tz = jiff::tz::TimeZone::get("Asia/Shanghai").expect("bundled tz");
    let today = tz.to_datetime(jiff::Timestamp::now()).date();
    let day = today.tomorrow().expect("not the end of time");
    tz.to_timestamp(day.at(hh, mm, 0, 0))
        .expect("valid local time")
}

impl TestHall {
    /// The shipped hall, clock at 10:00 tomorrow.
    pub async fn spawn() -> TestHall {
        Self::spawn_with(&shipped_config()).await
    }

    /// A hall from config text, clock at 10:00 tomorrow.
    pub async fn spawn_with(config: &str) -> TestHall {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut hall = Self::start(dir.path(), config, false, "127.0.0.1:0").await;
        hall._dir = Some(dir);
        hall.set_clock(tomorrow_at(10, 0)).await;
        hall
    }

    /// The shipped hall on the database in `dir`, created or reopened: a server that can be
    /// stopped and started again. Real clock, every queue open (demo hours).
    pub async fn spawn_on(dir: &std::path::Path) -> TestHall {
        Self::spawn_in(dir, &shipped_config()).await
    }

    /// Like `spawn_on`, with config text of the test's own.
    pub async fn spawn_in(dir: &std::path::Path, config: &str) -> TestHall {
        Self::start(dir, config, true, "127.0.0.1:0").await
    }

    /// The shipped hall on the database in `dir` (created or reopened) with `--simulated-clock`:
    /// the clock starts at the real time, as after `hallq serve --simulated-clock`.
    pub async fn spawn_simulated_on(dir: &std::path::Path) -> TestHall {
        Self::start(dir, &shipped_config(), false, "127.0.0.1:0").await
    }

    /// Stop this server (made by `spawn_on(dir)`) and start a new one on the same database
    /// and the same port: what screens see when the hall's server restarts.
    pub async fn restart(self, dir: &std::path::Path) -> TestHall {
        let addr = self.addr;
        self.stop().await;
        Self::start(dir, &shipped_config(), true, &addr.to_string()).await
    }

    async fn start(
        dir: &std::path::Path,
        config: &str,
        real_clock: bool,
        listen: &str,
    ) -> TestHall {
        let cfg = dir.join("hall.toml");
        // Tests issue quickly from one kiosk token: the shipped per-kiosk limit is off unless
        // a test sets a limit of its own.
        let config = config.replace(
            "kiosk_tickets_per_minute = 20",
            "kiosk_tickets_per_minute = 0",
        );
        // Every test screen shares 127.0.0.1: the shipped per-address share of anonymous
        // streams is lifted the same way (tests/api/streams.rs sets one of its own).
        let config = config.replace(
            "max_anonymous_per_address = 8",
            "max_anonymous_per_address = 100000",
        );
        std::fs::write(&cfg, config).expect("write config");
        let db = dir.join("hallq.db");
        let fresh = !db.exists();
        let opts = ServeOptions {
            config: cfg,
            db: db.clone(),
            demo: real_clock,
            simulated_clock: !real_clock,
        };
        let app = App::start(&opts).expect("hall starts");
        if fresh {
            for (u, n, r) in [
                ("clerk1", "李红", hallq::domain::Role::Clerk),
                ("clerk2", "张伟", hallq::domain::Role::Clerk),
                ("manager", "王主任", hallq::domain::Role::Manager),
                ("admin", "系统管理员", hallq::domain::Role::Admin),
            ] {
                hallq::admin::add_user(&db, u, n, r, PASSWORD).expect("user added");
            }
            hallq::admin::add_device(&db, "kiosk-1", "kiosk", KIOSK).expect("device");
            hallq::admin::add_device(&db, "display-a", "display", DISPLAY).expect("device");
            hallq::admin::add_device_at(
                &db,
                "evaluator-20",
                hallq::domain::DeviceKind::Evaluator,
                Some(20),
                EVALUATOR,
            )
            .expect("device");
        }
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .expect("bind the port");
        let addr = listener.local_addr().expect("addr");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(app.run(listener, async {
            let _ = stopped.await;
        }));
        TestHall {
            addr,
            base: format!("http://{addr}"),
            http: reqwest::Client::new(),
            _dir: None,
            db,
            stop: Some(stop),
            server: Some(server),
        }
    }

    /// Shut the server down and wait until it has stopped serving.
    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("server task").expect("server ran");
        }
    }

    pub async fn set_clock(&self, to: jiff::Timestamp) {
        let (s, body) = self
            .post("/api/v1/_clock", None, json!({"now": to.to_string()}))
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("request sent");
        let status = res.status();
        let text = res.text().await.expect("body");
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, value)
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.send(reqwest::Method::POST, path, token, Some(body))
            .await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        self.send(reqwest::Method::GET, path, token, None).await
    }

    /// `POST /api/v1/session` with these credentials: (status, body).
    pub async fn session(&self, username: &str, password: &str) -> (StatusCode, Value) {
        self.post(
            "/api/v1/session",
            None,
            json!({"username": username, "password": password}),
        )
        .await
    }

    pub async fn login(&self, username: &str) -> String {
        let (s, body) = self
            .post(
                "/api/v1/session",
                None,
                json!({"username": username, "password": PASSWORD}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        body["token"].as_str().expect("token").to_string()
    }

    /// clerk1 serves an `xf` ticket at window 20 and the citizen rates it `level` (a bad level)
    /// from the phone: (the ticket, the follow-up's id).
    pub async fn rated_badly(&self, level: &str, reason: &str) -> (Value, i64) {
        let c1 = self.login("clerk1").await;
        self.ok(&c1, 20, "sign-in", json!({})).await;
        let t = self.issue("xf").await;
        self.ok(&c1, 20, "call-next", json!({})).await;
        self.ok(&c1, 20, "finish", json!({"outcome": "done"})).await;
        let body = json!({"ticket": t["token"], "level": level, "reasons": [reason]});
        let (s, v) = self.post("/api/v1/ratings", None, body).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let id = v["follow_up"].as_i64().expect("a follow-up");
        (t, id)
    }

    /// Issue a ticket at the kiosk; panics unless 201.
    pub async fn issue(&self, queue: &str) -> Value {
        self.issue_with(json!({"queue": queue})).await
    }

    pub async fn issue_with(&self, body: Value) -> Value {
        let (s, t) = self.post("/api/v1/tickets", Some(KIOSK), body).await;
        assert_eq!(s, StatusCode::CREATED, "{t}");
        t
    }

    /// Issue a ticket with staff session `token` (the help desk) and no printer, so nothing
    /// tries a printer address off this machine; panics unless 201.
    pub async fn issue_at_desk(&self, token: &str, body: Value) -> Value {
        let (s, t) = self.post("/api/v1/tickets", Some(token), body).await;
        assert_eq!(s, StatusCode::CREATED, "{t}");
        assert_eq!(t["print"]["status"], "none", "{t}");
        t
    }

    /// A window operation; returns (status, body).
    pub async fn op(&self, token: &str, window: u32, op: &str, body: Value) -> (StatusCode, Value) {
        self.post(&format!("/api/v1/windows/{window}/{op}"), Some(token), body)
            .await
    }

    /// A window operation that must succeed.
    pub async fn ok(&self, token: &str, window: u32, op: &str, body: Value) -> Value {
        let (s, v) = self.op(token, window, op, body).await;
        assert_eq!(s, StatusCode::OK, "{op} at {window}: {v}");
        v
    }

    pub async fn ws(&self, since: Option<u64>) -> Ws {
        let url = match since {
            Some(s) => format!("ws://{}/api/v1/events?since={s}", self.addr),
            None => format!("ws://{}/api/v1/events", self.addr),
        };
        let (ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("websocket connects");
        ws
    }
}

impl TestHall {
    /// An event stream opened with `query` (e.g. `audience=staff`) and a bearer token; the
    /// server's refusal of the handshake comes back as its status and JSON body.
    pub async fn ws_as(&self, query: &str, token: Option<&str>) -> Result<Ws, (u16, Value)> {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let url = format!("ws://{}/api/v1/events?{query}", self.addr);
        let mut req = url.into_client_request().expect("a websocket request");
        if let Some(t) = token {
            req.headers_mut().insert(
                "authorization",
                format!("Bearer {t}").parse().expect("header value"),
            );
        }
        match tokio_tungstenite::connect_async(req).await {
            Ok((ws, _)) => Ok(ws),
            Err(tokio_tungstenite::tungstenite::Error::Http(res)) => {
                let body = res
                    .body()
                    .as_ref()
                    .and_then(|b| serde_json::from_slice(b).ok())
                    .unwrap_or(Value::Null);
                Err((res.status().as_u16(), body))
            }
            Err(e) => panic!("websocket: {e}"),
        }
    }

    /// The staff event stream of a logged-in session.
    pub async fn ws_staff(&self, token: &str) -> Ws {
        self.ws_as("audience=staff", Some(token))
            .await
            .expect("a staff stream")
    }
}

impl Drop for TestHall {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

/// The next JSON text frame (skipping pings), with a generous timeout so a hang fails.
pub async fn next_json(ws: &mut Ws) -> Value {
    loop {
        let msg = tokio::time::timeout(std::time::Duration::from_secs(10), ws.next())
            .await
            .expect("a frame within 10 s")
            .expect("stream open")
            .expect("frame ok");
        if let tokio_tungstenite::tungstenite::Message::Text(t) = msg {
            return serde_json::from_str(&t).expect("frame is JSON");
        }
    }
}

/// Book 出入境 (crj) at `start` on the test hall's day for citizen `who` (a public booking).
pub async fn book_crj_today(hall: &TestHall, start: &str, who: u32) -> Value {
    let day = jiff::tz::TimeZone::get("Asia/Shanghai")
        .expect("tz")
        .to_datetime(tomorrow_at(10, 0))
        .date()
        .to_string();
    let (s, b) = hall
        .post(
            "/api/v1/appointments",
            None,
            json!({"queue": "crj", "day": day, "start": start, "id_number": id_number(who), "phone": "13800138000"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b
}

/// Window `n` of a snapshot frame.
#[track_caller]
pub fn snapshot_window(snap: &Value, n: u32) -> Value {
    snap["windows"]
        .as_array()
        .expect("windows")
        .iter()
        .find(|w| w["number"] == n)
        .unwrap_or_else(|| panic!("window {n} in the snapshot"))
        .clone()
}

/// Assert an error response's status and code.
#[track_caller]
/// A frame of an audience's stream follows the client's `last` seen seq with nothing owed
/// in between: `prev <= last < seq` (events of other audiences may lie between). Its seq.
pub fn follows(e: &Value, last: u64) -> u64 {
    let seq = e["seq"].as_u64().expect("seq");
    let prev = e["prev"].as_u64().unwrap_or_else(|| panic!("prev: {e}"));
    assert!(prev <= last && last < seq, "gap: last {last}, got {e}");
    seq
}

pub fn assert_error(got: &(StatusCode, Value), status: u16, code: &str) {
    assert_eq!(got.0.as_u16(), status, "{}", got.1);
    assert_eq!(got.1["error"]["code"], code, "{}", got.1);
    assert!(
        got.1["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{}",
        got.1
    );
}

/// A valid ID number ending in `n`.
pub fn id_number(n: u32) -> String {
    let body = format!("52273219800101{n:03}");
    let c = hallq::domain::idcard::check_char(&body).expect("check char");
    format!("{body}{}", c as char)
}

/// The shipped hall with 出入境 (crj) bookable every day 09:00-12:00 and 14:00-16:00 and
/// extended 17:00-18:30 every day, so tests do not depend on tomorrow's weekday.
pub fn every_day_config() -> String {
    let shipped = shipped_config();
    assert!(
        shipped.contains("staffed_percent = 50\n") && shipped.contains("slot_minutes = 15\n"),
        "crj's places and slots in the shipped config"
    );
    let hours = r#"hours = { mon = ["09:00-12:00", "14:00-16:00"], tue = ["09:00-12:00", "14:00-16:00"], wed = ["09:00-12:00", "14:00-16:00"], thu = ["09:00-12:00", "14:00-16:00"], fri = ["09:00-12:00", "14:00-16:00"] }"#;
    assert!(shipped.contains(hours), "crj's hours in the shipped config");
    let all = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let every = |spans: &str| {
        let days: Vec<String> = all.iter().map(|d| format!("{d} = [{spans}]")).collect();
        format!("{{ {} }}", days.join(", "))
    };
    shipped
        .replacen(
            hours,
            &format!("hours = {}", every(r#""09:00-12:00", "14:00-16:00""#)),
            1,
        )
        .replacen(
            r#"extended = { wed = ["17:00-18:30"] }"#,
            &format!("extended = {}", every(r#""17:00-18:30""#)),
            1,
        )
        // Two places a 30-minute slot whatever the staffing (crj's shipped places are a share
        // of it, in 15-minute slots): the tests name their slots' times.
        .replacen("staffed_percent = 50\n", "capacity = 2\n", 1)
        .replacen("slot_minutes = 15\n", "slot_minutes = 30\n", 1)
}

/// A central server on `url` with the manager `chief`; its base URL.
pub async fn spawn_central(url: &str) -> String {
    let central = std::sync::Arc::new(hallq::central::Central::open(url).await.expect("open"));
    assert!(
        central
            .add_user("chief", "总台", "manager", "central-pass")
            .await
            .expect("add")
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(hallq::central::serve(
        central,
        listener,
        None,
        std::future::pending(),
    ));
    base
}

/// A hall config whose uplink ships to `url` as `hall_id`.
pub fn uplinked(url: &str, hall_id: &str) -> String {
    format!(
        "{}\n[uplink]\nurl = \"{url}\"\nhall_id = \"{hall_id}\"\n",
        shipped_config()
    )
}

/// One number the hall's own database answers to `sql`.
pub fn hall_count(hall: &TestHall, sql: &str) -> i64 {
    let c = rusqlite::Connection::open(&hall.db).expect("hall db");
    c.query_row(sql, [], |r| r.get(0)).expect(sql)
}

/// Wait (at most a minute) until the centre holds every event of `hall`, and its tickets,
/// ratings and rollups are derived from all of them.
pub async fn caught_up(hall: &TestHall, url: &str, hall_id: &str) {
    let want = hall_count(hall, "SELECT COALESCE(MAX(seq), 0) FROM events");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let (got, rolled) = match hallq::central::connect(url).await {
            Ok(c) => c
                .query_opt(
                    "SELECT h.last_seq, m.rolled_seq FROM halls h JOIN rollup_marks m USING (hall_id)
                     WHERE hall_id = $1",
                    &[&hall_id],
                )
                .await
                .ok()
                .flatten()
                .map_or((0, 0), |r| (r.get::<_, i64>(0), r.get::<_, i64>(1))),
            Err(_) => (0, 0),
        };
        if got >= want && rolled >= got {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{hall_id}: centre at {got} (rollups at {rolled}), hall at {want}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// The service day of `tomorrow_at`, the test halls' clock, as `YYYY-MM-DD`.
pub fn tz_day() -> String {
    let tz = jiff::tz::TimeZone::get("Asia/Shanghai").expect("tz");
    tz.to_datetime(tomorrow_at(12, 0)).date().to_string()
}
