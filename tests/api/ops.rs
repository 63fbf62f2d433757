//! Operations: a backup taken while kiosks issue and clerks call, restore refused under a
//! running server, the restored hall starts with every ticket acknowledged before the backup.

use std::path::Path;
use std::sync::{Arc, Mutex};

use serde_json::json;

use crate::cli::run;
use crate::helpers::{TestHall, shipped_config};

/// `hallq backup --db DB --to TO`: (exit code, stdout, stderr).
fn backup(db: &Path, to: &Path) -> (i32, String, String) {
    run(&["backup", "--db", utf8(db), "--to", utf8(to)])
}

/// `hallq restore --from FROM --db DB`.
fn restore(from: &Path, db: &Path) -> (i32, String, String) {
    run(&["restore", "--from", utf8(from), "--db", utf8(db)])
}

fn utf8(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_under_load_restores_every_acknowledged_ticket_and_the_hall_starts() {
    let dir = tempfile::tempdir().expect("dir");
    let hall = Arc::new(TestHall::spawn_on(dir.path()).await);
    let db = hall.db.clone();
    let clerk = hall.login("clerk1").await;
    hall.ok(&clerk, 1, "sign-in", json!({})).await;
    let queue = hall.get("/api/v1/windows/1", Some(&clerk)).await;
    assert_eq!(queue.0, 200, "{}", queue.1);

    // A burst: the kiosk issues without pause into a queue window 1 serves; the clerk calls.
    let (_, hall_view) = hall.get("/api/v1/hall", None).await;
    let w1_queue = hall_view["windows"]
        .as_array()
        .expect("windows")
        .iter()
        .find(|w| w["number"] == 1)
        .and_then(|w| w["queues"][0].as_str())
        .expect("window 1 serves a queue")
        .to_string();
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let issuer = {
        let (hall, acked, stop, q) = (hall.clone(), acked.clone(), stop.clone(), w1_queue.clone());
        tokio::spawn(async move {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let (s, t) = hall
                    .post(
                        "/api/v1/tickets",
                        Some(crate::helpers::KIOSK),
                        json!({"queue": q}),
                    )
                    .await;
                if s == 201 {
                    let token = t["token"].as_str().expect("token").to_string();
                    acked.lock().expect("lock").push(token);
                }
            }
        })
    };
    let caller = {
        let (hall, stop, clerk) = (hall.clone(), stop.clone(), clerk.clone());
        tokio::spawn(async move {
            let mut calls = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let (s, v) = hall.op(&clerk, 1, "call-next", json!({})).await;
                assert_eq!(s, 200, "{v}");
                if !v["current"].is_null() {
                    calls += 1;
                    hall.ok(&clerk, 1, "start", json!({})).await;
                    hall.ok(&clerk, 1, "finish", json!({"outcome": "done"}))
                        .await;
                }
            }
            calls
        })
    };
    while acked.lock().expect("lock").len() < 40 {
        tokio::task::yield_now().await;
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }

    // Every ticket acknowledged by now must be in the copy.
    let before: Vec<String> = acked.lock().expect("lock").clone();
    let copy = dir.path().join("copies").join("night.db");
    let (code, out, err) = {
        let (db, copy) = (db.clone(), copy.clone());
        tokio::task::spawn_blocking(move || backup(&db, &copy))
            .await
            .expect("backup ran")
    };
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("integrity ok") && out.contains("tickets "),
        "{out}"
    );
    assert!(
        out.contains("key file"),
        "the output speaks of the key file: {out}"
    );
    // Keep issuing a little after the copy, so the live database moves past it.
    let after_backup = acked.lock().expect("lock").len();
    while acked.lock().expect("lock").len() < after_backup + 10 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    issuer.await.expect("issuer");
    let calls = caller.await.expect("caller");
    assert!(calls > 0, "the clerk called during the burst");
    let total = acked.lock().expect("lock").len();

    // A running server holds the database: restore refuses and leaves it alone.
    let (code, out, err) = restore(&copy, &db);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("holds"), "{err}");

    let hall = Arc::try_unwrap(hall).unwrap_or_else(|_| panic!("tasks done"));
    hall.stop().await;
    let (code, out, err) = restore(&copy, &db);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("kept as"), "{out}");

    // The restored hall starts and knows every ticket acknowledged before the backup began.
    let hall = TestHall::spawn_in(dir.path(), &shipped_config()).await;
    for token in &before {
        let (s, v) = hall.get(&format!("/api/v1/tickets/{token}"), None).await;
        assert_eq!(s, 200, "ticket {token} acknowledged before the backup: {v}");
    }
    let (_, view) = hall.get("/api/v1/hall", None).await;
    let issued: i64 = view["queues"]
        .as_array()
        .expect("queues")
        .iter()
        .filter(|q| q["id"] == w1_queue.as_str())
        .map(|q| q["issued"].as_i64().expect("issued"))
        .sum();
    assert!(
        issued as usize >= before.len() && (issued as usize) < total,
        "the copy holds {issued}: at least the {} acknowledged before it, fewer than all {total}",
        before.len()
    );
    // The restored hall keeps issuing, numbering after what it restored.
    let t = hall.issue(&w1_queue).await;
    assert_eq!(t["state"], "waiting");
    hall.stop().await;
}

#[test]
fn backup_refuses_to_overwrite_and_restore_refuses_a_damaged_copy() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("hallq.db");
    let to = dir.path().join("b.db");
    let (code, _, err) = backup(&db, &to);
    assert_eq!(code, 1, "no database yet: {err}");
    hallq::admin::add_user(
        &db,
        "admin",
        "管理员",
        hallq::domain::Role::Admin,
        "test-password",
    )
    .expect("a database with a user");
    let (code, out, err) = backup(&db, &to);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("users 1"), "{out}");
    let (code, _, err) = backup(&db, &to);
    assert_eq!(code, 1);
    assert!(err.contains("exists"), "{err}");

    // Damage the header of the second page (a table's root): restore refuses, the database is
    // untouched.
    let mut bytes = std::fs::read(&to).expect("read");
    let page = usize::from(u16::from_be_bytes([bytes[16], bytes[17]]));
    for b in &mut bytes[page..page + 64] {
        *b = 0xA5;
    }
    let bad = dir.path().join("bad.db");
    std::fs::write(&bad, bytes).expect("write");
    let (code, _, err) = restore(&bad, &db);
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        hallq::admin::users(&db).expect("still readable").len(),
        1,
        "the database is untouched"
    );
}

/// `GET /metrics` as text, with an optional bearer token.
pub async fn scrape(hall: &TestHall, token: Option<&str>) -> (u16, String) {
    let mut req = hall.http.get(format!("{}/metrics", hall.base));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.expect("scraped");
    (res.status().as_u16(), res.text().await.expect("body"))
}

#[tokio::test]
async fn metrics_count_issues_calls_and_waiting_per_queue() {
    let hall = TestHall::spawn().await;
    let clerk = hall.login("clerk1").await;
    hall.ok(&clerk, 20, "sign-in", json!({})).await;
    hall.issue("xf").await;
    hall.issue("xf").await;
    hall.ok(&clerk, 20, "call-next", json!({})).await;
    let want = [
        "hallq_tickets_issued_total{queue=\"xf\"} 2",
        "hallq_tickets_called_total{queue=\"xf\"} 1",
        "hallq_waiting{queue=\"xf\"} 1",
        "hallq_http_request_seconds_count{method=\"POST\",route=\"/api/v1/tickets\"} 2",
        "hallq_websocket_clients{audience=\"anonymous\"} 0",
        "hallq_websocket_clients{audience=\"registered\"} 0",
        "hallq_last_backup_age_seconds -1",
        "hallq_outbox_backlog 0",
    ];
    // Counters follow the committed event stream, a moment behind the replies.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let (status, text) = scrape(&hall, None).await;
        assert_eq!(status, 200, "loopback may scrape by default: {text}");
        let missing: Vec<&&str> = want.iter().filter(|l| !text.contains(**l)).collect();
        if missing.is_empty() {
            assert!(text.contains("hallq_commit_seconds_bucket"), "{text}");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "missing {missing:?} in\n{text}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn metrics_answer_only_allowed_addresses_or_the_token() {
    let elsewhere = shipped_config().replace(
        "allow = [\"127.0.0.1/32\", \"::1/128\"]",
        "allow = [\"10.0.0.0/8\"]", // refused on purpose: an allow list without loopback
    );
    let no_token = TestHall::spawn_with(&elsewhere).await;
    assert_eq!(scrape(&no_token, None).await.0, 403);
    assert_eq!(scrape(&no_token, Some("")).await.0, 403);

    let with_token =
        TestHall::spawn_with(&elsewhere.replace("token = \"\"", "token = \"s3cret-scrape\"")).await;
    assert_eq!(scrape(&with_token, None).await.0, 401);
    assert_eq!(scrape(&with_token, Some("wrong")).await.0, 401);
    let (status, text) = scrape(&with_token, Some("s3cret-scrape")).await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("hallq_waiting{queue=\"xf\"} 0"), "{text}");
}

#[tokio::test]
async fn readyz_reports_engine_disk_and_backup() {
    let hall = TestHall::spawn().await;
    let (s, body) = hall.get("/readyz", None).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["status"], "ready");
    for check in ["engine", "disk", "backup"] {
        assert_eq!(body["checks"][check]["ok"], true, "{body}");
    }
    let (s, body) = hall.get("/healthz", None).await;
    assert_eq!((s.as_u16(), body), (200, json!({"status": "ok"})));
}

#[test]
fn log_format_json_writes_one_json_object_a_line() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().expect("dir");
    let cfg = dir.path().join("hall.toml");
    std::fs::write(
        &cfg,
        shipped_config().replace("format = \"text\"", "format = \"json\""),
    )
    .expect("config");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_hallq"))
        .args(serve_args(&cfg, &dir.path().join("hallq.db")))
        .env("RUST_LOG", "hallq=info")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("serve starts");
    let stderr = child.stderr.take().expect("stderr");
    let mut first = String::new();
    std::io::BufReader::new(stderr)
        .read_line(&mut first)
        .expect("a log line");
    child.kill().expect("stop the server");
    let _ = child.wait();
    let line: serde_json::Value =
        serde_json::from_str(&first).unwrap_or_else(|e| panic!("{e}: {first}"));
    assert!(line["level"].is_string(), "{line}");
    assert!(line["fields"]["message"].is_string(), "{line}");
}

#[tokio::test]
async fn a_clock_behind_the_last_event_in_the_database_is_an_alarm_on_the_floor() {
    use hallq::domain::event::{Event, TicketRef};
    let dir = tempfile::tempdir().expect("dir");
    // The database's last event is a day ahead of this machine's clock.
    let ahead = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24);
    {
        let mut store = hallq::store::Store::open(&dir.path().join("hallq.db")).expect("open");
        let rec = hallq::domain::EventRecord {
            seq: 1,
            at: ahead.to_string(),
            event: Event::TicketCancelled {
                ticket: TicketRef {
                    id: hallq::domain::TicketId(1),
                    number: "XF001".into(),
                    queue: "xf".into(),
                    priority: hallq::domain::ticket::Priority::Normal,
                },
            },
        };
        store
            .commit(
                &mut [(rec, "system".into(), ahead.as_millisecond())],
                &hallq::domain::hall::Changes::default(),
            )
            .expect("commit");
    }
    hallq::admin::add_user(
        &dir.path().join("hallq.db"),
        "manager",
        "王主任",
        hallq::domain::Role::Manager,
        crate::helpers::PASSWORD,
    )
    .expect("manager");
    let hall = TestHall::spawn_on(dir.path()).await;
    let manager = hall.login("manager").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let (s, floor) = hall.get("/api/v1/floor", Some(&manager)).await;
        assert_eq!(s, 200, "{floor}");
        let clock = floor["alarms"]
            .as_array()
            .expect("alarms")
            .iter()
            .find(|a| a["kind"] == "clock")
            .cloned();
        if let Some(a) = clock {
            assert!(
                a["detail"]
                    .as_str()
                    .is_some_and(|d| d.contains("比数据库中最后一条记录慢")),
                "{a}"
            );
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no clock alarm: {floor}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    hall.stop().await;
}

/// `hallq serve` on a free loopback port with this config and database.
fn serve_args(cfg: &Path, db: &Path) -> Vec<std::ffi::OsString> {
    let mut args: Vec<std::ffi::OsString> = ["serve", "--listen", "127.0.0.1:0", "--config"]
        .map(Into::into)
        .into();
    args.extend([cfg.as_os_str().into(), "--db".into(), db.as_os_str().into()]);
    args
}

/// A hall with hundreds of screens and phones needs more descriptors than a shell's usual soft
/// limit of 1024: `serve` raises its soft limit to the hard one before it listens.
#[test]
fn serve_raises_its_descriptor_limit_to_the_hard_one() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().expect("dir");
    let cfg = dir.path().join("hall.toml");
    std::fs::write(&cfg, shipped_config()).expect("config");
    // Started with a soft limit of 256 under a larger hard one.
    let mut child = std::process::Command::new("sh")
        .args(["-c", "ulimit -Sn 256 && exec \"$0\" \"$@\""])
        .arg(env!("CARGO_BIN_EXE_hallq"))
        .args(serve_args(&cfg, &dir.path().join("hallq.db")))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("serve starts");
    // Once it says it listens, the limit it serves under is in force.
    // (Read on a thread of its own, so a server that never gets there fails the test after a
    // minute instead of hanging it.)
    let stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    let (said, heard) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let listening = stdout
            .lines()
            .map_while(Result::ok)
            .any(|l| l.contains("hallq listening on"));
        let _ = said.send(listening);
    });
    let listening = heard
        .recv_timeout(std::time::Duration::from_secs(60))
        .unwrap_or(false);
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", child.id()));
    child.kill().expect("stop the server");
    let _ = child.wait();
    assert!(listening, "the server started");
    let limits = limits.expect("the server's limits");
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .expect("Max open files");
    let f: Vec<&str> = line.split_whitespace().collect();
    let (soft, hard) = (f[3], f[4]);
    assert_ne!(
        hard, "256",
        "the hard limit is above the soft one we started with"
    );
    assert_eq!(soft, hard, "soft limit raised to the hard one");
}
