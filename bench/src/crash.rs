//! `hallq-bench crash`: rounds of kill -9 of a `hallq serve` child during a burst of issues
//! (4 kiosks) and calls (2 clerks calling, starting and finishing), a restart on the same
//! database, and checks: every acknowledged ticket is there (by token, with its number), every
//! acknowledged call and finish shows in the ticket's state, and the numbers of every queue
//! and day are unique and gap-free (read from the database, read-only).

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags};

use hallq::sim::client::Client;
use hallq::sim::rng::Rng;

use super::proc::{DEMO_KIOSK, Server};
use super::{lifted_config, scratch};

/// What the server acknowledged before it died.
#[derive(Default)]
struct Acked {
    /// (token, number)
    tickets: Vec<(String, String)>,
    /// Numbers a window acknowledged calling.
    called: Vec<String>,
    /// Numbers a window acknowledged finishing.
    finished: Vec<String>,
}

type Shared = Arc<Mutex<Acked>>;

fn lock(a: &Shared) -> std::sync::MutexGuard<'_, Acked> {
    a.lock().unwrap_or_else(|p| p.into_inner())
}

async fn kiosk(addr: std::net::SocketAddr, seed: u64, queues: Vec<String>, acked: Shared) {
    let mut rng = Rng::new(seed);
    let Ok(mut http) = Client::connect(addr).await else {
        return;
    };
    loop {
        let q = &queues[rng.below(queues.len())];
        let body = format!("{{\"queue\":\"{q}\"}}");
        let Ok((201, text)) = http
            .request("POST", "/api/v1/tickets", DEMO_KIOSK, &body)
            .await
        else {
            return;
        };
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
            return;
        };
        let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
        lock(&acked).tickets.push((s("token"), s("number")));
    }
}

async fn clerk(addr: std::net::SocketAddr, n: u32, token: String, acked: Shared) {
    let Ok(mut http) = Client::connect(addr).await else {
        return;
    };
    let mut op = async |what: &str, body: &str| {
        http.request("POST", &format!("/api/v1/windows/{n}/{what}"), &token, body)
            .await
            .ok()
    };
    // A ticket left in hand by the last crash is finished first.
    let _ = op("sign-in", "").await;
    let _ = op("start", "").await;
    let _ = op("finish", "{\"outcome\":\"done\"}").await;
    loop {
        let Some((200, text)) = op("call-next", "").await else {
            return;
        };
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
            return;
        };
        let Some(number) = v["current"]["number"].as_str().map(str::to_string) else {
            tokio::time::sleep(Duration::from_millis(2)).await;
            continue;
        };
        lock(&acked).called.push(number.clone());
        if !matches!(op("start", "").await, Some((200, _))) {
            return;
        }
        if !matches!(op("finish", "{\"outcome\":\"done\"}").await, Some((200, _))) {
            return;
        }
        lock(&acked).finished.push(number);
    }
}

/// Numbers per (day, queue) from the database: (duplicated numbers, missing sequence numbers).
fn numbering(db: &Path) -> anyhow::Result<(usize, usize, usize)> {
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let mut stmt =
        conn.prepare("SELECT service_day, original_queue, seq_no, number FROM tickets")?;
    let mut by_queue: BTreeMap<(String, String), Vec<u32>> = BTreeMap::new();
    let mut numbers = HashSet::new();
    let (mut dup, mut rows) = (0, 0);
    let mut q = stmt.query([])?;
    while let Some(r) = q.next()? {
        let (day, queue, seq, number): (String, String, u32, String) =
            (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
        rows += 1;
        if !numbers.insert((day.clone(), number)) {
            dup += 1;
        }
        by_queue.entry((day, queue)).or_default().push(seq);
    }
    let mut gaps = 0;
    for seqs in by_queue.values_mut() {
        seqs.sort_unstable();
        seqs.dedup();
        let max = seqs.last().copied().unwrap_or(0) as usize;
        gaps += max - seqs.len();
    }
    Ok((dup, gaps, rows))
}

/// `hallq-bench crash`.
pub async fn crash_bench(rounds: u32, config: &Path, hallq: &Path) -> anyhow::Result<()> {
    let scratch = scratch()?;
    let dir = scratch.path();
    let cfg = lifted_config(dir, config)?;
    let db = dir.join("hallq.db");
    let windows = [1u32, 2];
    let until = jiff::Timestamp::now().as_millisecond() + 24 * 3_600_000;
    let clerks = hallq::sim::make_clerks(&db, &windows, until)?;
    let queues: Vec<String> = ["hj", "jgcjg", "sb", "gssw"].map(String::from).to_vec();
    println!(
        "bench crash: {rounds} rounds of kill -9 during 4 kiosks issuing and 2 clerks calling and finishing (database on disk, synchronous=FULL)"
    );
    let mut rng = Rng::new(42);
    let (mut lost, mut wrong, mut lost_changes, mut checked_changes) = (0usize, 0usize, 0, 0);
    let (mut total_tickets, mut restart_ms) = (0usize, Vec::new());
    let started = Instant::now();
    let mut tokens: BTreeMap<String, String> = BTreeMap::new();
    let mut unchecked = 0usize;
    let mut server = Server::spawn(hallq, &cfg, &db).await?;
    for round in 0..rounds {
        let acked: Shared = Arc::default();
        let mut tasks = Vec::new();
        for k in 0..4 {
            let seed = u64::from(round) * 10 + k;
            tasks.push(tokio::spawn(kiosk(
                server.addr,
                seed,
                queues.clone(),
                acked.clone(),
            )));
        }
        for (n, token) in &clerks {
            tasks.push(tokio::spawn(clerk(
                server.addr,
                *n,
                token.clone(),
                acked.clone(),
            )));
        }
        // Kill somewhere in the middle of the burst.
        let at = 10 + rng.below(140);
        let deadline = Instant::now() + Duration::from_secs(30);
        while lock(&acked).tickets.len() < at && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        server.kill9().await?;
        for t in tasks {
            let _ = t.await;
        }
        let t0 = Instant::now();
        server = Server::spawn(hallq, &cfg, &db).await?;
        restart_ms.push(t0.elapsed().as_secs_f64() * 1000.0);
        let a = std::mem::take(&mut *lock(&acked));
        total_tickets += a.tickets.len();
        let mut http = Client::connect(server.addr).await?;
        let mut state_of = BTreeMap::new();
        for (token, number) in &a.tickets {
            let (status, text) = http
                .request("GET", &format!("/api/v1/tickets/{token}"), "", "")
                .await?;
            if status != 200 {
                lost += 1;
                continue;
            }
            let v: serde_json::Value = serde_json::from_str(&text)?;
            if v["number"].as_str() != Some(number) {
                wrong += 1;
            }
            state_of.insert(
                number.clone(),
                v["state"].as_str().unwrap_or("").to_string(),
            );
            tokens.insert(number.clone(), token.clone());
        }
        // Calls and finishes may touch tickets of earlier rounds: look those up too.
        for n in a.called.iter().chain(&a.finished) {
            if state_of.contains_key(n) {
                continue;
            }
            let Some(token) = tokens.get(n) else { continue };
            let (status, text) = http
                .request("GET", &format!("/api/v1/tickets/{token}"), "", "")
                .await?;
            if status == 200 {
                let v: serde_json::Value = serde_json::from_str(&text)?;
                state_of.insert(n.clone(), v["state"].as_str().unwrap_or("").to_string());
            }
        }
        // A ticket committed but killed before its kiosk heard back has no known token: a
        // call of it cannot be checked through the API (the numbering check still covers it).
        for (numbers, ok) in [
            (&a.called, (|s: &str| s != "waiting") as fn(&str) -> bool),
            (&a.finished, |s: &str| s == "done"),
        ] {
            for n in numbers {
                match state_of.get(n) {
                    Some(s) => {
                        checked_changes += 1;
                        if !ok(s) {
                            lost_changes += 1;
                            eprintln!("round {round}: {n} acknowledged but now {s}");
                        }
                    }
                    None => unchecked += 1,
                }
            }
        }
    }
    server.kill9().await?;
    let (dup, gaps, rows) = numbering(&db)?;
    restart_ms.sort_by(f64::total_cmp);
    println!(
        "{rounds} rounds in {:.1} s: {total_tickets} acknowledged tickets, {checked_changes} acknowledged calls/finishes checked ({unchecked} of unacknowledged tickets not checkable), {rows} tickets in the database",
        started.elapsed().as_secs_f64()
    );
    println!(
        "lost tickets {lost}, wrong number {wrong}, lost state changes {lost_changes}, duplicated numbers {dup}, gaps {gaps} (goal: all 0)"
    );
    if let Some(p50) = restart_ms.get(restart_ms.len() / 2) {
        println!(
            "restart to listening: p50 {p50:.0} ms, max {:.0} ms",
            restart_ms.last().copied().unwrap_or(0.0)
        );
    }
    Ok(())
}
