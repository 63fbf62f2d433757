//! kill -9 during a burst of issues: every acknowledged ticket survives, numbers stay gap-free.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const BIN: &str = env!("CARGO_BIN_EXE_hallq");

/// Start `hallq serve --demo --no-demo-printer` on port 0; returns the child and its base URL
/// (from the line the server prints once it listens).
pub async fn start_server(config: &Path, db: &Path) -> (Child, String) {
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--demo",
            "--no-demo-printer",
            "--listen",
            "127.0.0.1:0",
        ])
        .arg("--config")
        .arg(config)
        .arg("--db")
        .arg(db)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("hallq serve starts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let base = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.expect("stdout") {
            if let Some(b) = line.strip_prefix("hallq listening on ") {
                return b.trim().to_string();
            }
        }
        panic!("hallq serve exited before listening")
    })
    .await
    .expect("listening within 60 s");
    // Keep draining stdout so the server never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, base)
}

#[tokio::test]
async fn kill_dash_nine_loses_no_acknowledged_ticket() {
    let dir = tempfile::tempdir().expect("temp dir");
    // The shipped hall with the per-kiosk limit off: one kiosk token issues the whole burst.
    let config = dir.path().join("hall.toml");
    std::fs::write(
        &config,
        crate::helpers::shipped_config().replace(
            "kiosk_tickets_per_minute = 20",
            "kiosk_tickets_per_minute = 0",
        ),
    )
    .expect("config");
    let db = dir.path().join("hallq.db");

    // The CLI registers a kiosk (and prints its token alone on the last line).
    let out = std::process::Command::new(BIN)
        .args([
            "device", "add", "--kind", "kiosk", "--id", "kiosk-9", "--db",
        ])
        .arg(&db)
        .output()
        .expect("device add runs");
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    let token = stdout
        .lines()
        .last()
        .expect("token line")
        .trim()
        .to_string();
    assert_eq!(token.len(), 64);

    let (mut child, base) = start_server(&config, &db).await;
    let acked: Arc<Mutex<Vec<(String, String, String)>>> = Arc::default();
    let http = reqwest::Client::new();
    let queues = ["hj", "jgcjg", "sb", "gssw"];
    let mut tasks = Vec::new();
    for i in 0..8 {
        let (http, base, token, acked) = (http.clone(), base.clone(), token.clone(), acked.clone());
        tasks.push(tokio::spawn(async move {
            let mut n = i;
            loop {
                let q = queues[n % queues.len()];
                n += 1;
                let res = http
                    .post(format!("{base}/api/v1/tickets"))
                    .bearer_auth(&token)
                    .json(&serde_json::json!({"queue": q}))
                    .send()
                    .await;
                let Ok(res) = res else { break };
                if res.status() != 201 {
                    break;
                }
                let Ok(v) = res.json::<serde_json::Value>().await else {
                    break;
                };
                let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
                acked
                    .lock()
                    .expect("lock")
                    .push((s("queue"), s("number"), s("token")));
            }
        }));
    }
    // Let the burst run until a good number is acknowledged, then kill -9 in the middle of it.
    tokio::time::timeout(Duration::from_secs(60), async {
        while acked.lock().expect("lock").len() < 150 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("150 tickets within 60 s");
    child.kill().await.expect("SIGKILL and reaped");
    for t in tasks {
        let _ = t.await;
    }
    let acked = acked.lock().expect("lock").clone();

    // Restart on the same database.
    let (_child, base) = start_server(&config, &db).await;
    for (_, number, token) in &acked {
        let res = http
            .get(format!("{base}/api/v1/tickets/{token}"))
            .send()
            .await
            .expect("sent");
        assert_eq!(res.status(), 200, "acknowledged ticket {number} lost");
        let v: serde_json::Value = res.json().await.expect("json");
        assert_eq!(v["number"], number.as_str());
    }
    // Numbers per queue: unique and gap-free, 1..=n.
    let conn = rusqlite::Connection::open(&db).expect("db");
    let mut stmt = conn
        .prepare("SELECT original_queue, seq_no, number FROM tickets")
        .expect("sql");
    let mut by_queue: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    let mut numbers = HashSet::new();
    for row in stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, u32>(1)?,
                r.get::<_, String>(2)?,
            ))
        })
        .expect("rows")
    {
        let (q, seq, number) = row.expect("row");
        assert!(numbers.insert(number.clone()), "number {number} twice");
        by_queue.entry(q).or_default().push(seq);
    }
    for (q, mut seqs) in by_queue.clone() {
        seqs.sort_unstable();
        let want: Vec<u32> = (1..=seqs.len() as u32).collect();
        assert_eq!(seqs, want, "queue {q} has gaps");
    }
    // Numbering continues where it stopped.
    let res = http
        .post(format!("{base}/api/v1/tickets"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"queue": "hj"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), 201);
    let v: serde_json::Value = res.json().await.expect("json");
    let next = by_queue.get("hj").map_or(0, Vec::len) + 1;
    assert_eq!(v["number"], format!("H{next:04}"));
}
