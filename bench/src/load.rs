//! `hallq-bench load`: many kiosks and clerks over real HTTP and hundreds of websocket screens
//! against a `hallq serve` child process, at 10x a peak morning (200 tickets a minute by
//! default). Prints issue and call latency, event delivery (issue request sent to the
//! `ticket.issued` frame at each screen), errors and the server's RSS, beside the bare SQLite
//! durable-commit loop of `hallq-bench issue` run on the same disk in the same run.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::Message;

use hallq::sim::client::Client;
use hallq::sim::rng::Rng;

use super::proc::{DEMO_KIOSK, Server};
use super::{Figures, bare_loop, lifted_config, scratch};

/// `hallq-bench load` flags.
#[derive(clap::Args, Debug, Clone)]
pub struct LoadArgs {
    /// Seconds of load.
    #[arg(long, default_value_t = 60)]
    pub seconds: u64,
    /// Tickets issued per minute, all kiosks together (a peak morning is about 20).
    #[arg(long, default_value_t = 200)]
    pub per_minute: u32,
    #[arg(long, default_value_t = 20)]
    pub kiosks: usize,
    /// Clerks, at windows 1..=N.
    #[arg(long, default_value_t = 40)]
    pub clerks: u32,
    /// Websocket screens following the event stream.
    #[arg(long, default_value_t = 300)]
    pub screens: usize,
    /// Phones following a ticket's page (`GET /api/v1/tickets/{token}` every 3 s, as the page does).
    #[arg(long, default_value_t = 300)]
    pub phones: usize,
    /// Readers of `GET /api/v1/hall`, once a second each (a kiosk reads it every 15 s).
    #[arg(long, default_value_t = 20)]
    pub hall_readers: usize,
    #[arg(long, default_value = "config/hall.toml")]
    pub config: PathBuf,
}

fn figures(lat: Vec<Duration>, errors: usize, elapsed: Duration) -> Figures {
    Figures {
        ops: lat.len(),
        errors,
        elapsed,
        lat,
    }
}

/// What one screen saw: ticket number and when its `ticket.issued` frame arrived.
type Seen = Vec<(String, Instant)>;

async fn screen(
    addr: std::net::SocketAddr,
    stop: Instant,
    ready: tokio::sync::mpsc::Sender<()>,
) -> anyhow::Result<(Seen, usize)> {
    let (mut ws, _) =
        tokio_tungstenite::connect_async(format!("ws://{addr}/api/v1/events")).await?;
    let mut ready = Some(ready);
    let mut seen = Vec::new();
    let mut snapshots = 0;
    loop {
        let left = stop.saturating_duration_since(Instant::now());
        let msg = match tokio::time::timeout(left, ws.next()).await {
            Err(_) => break,
            Ok(None) => anyhow::bail!("stream closed by the server"),
            Ok(Some(m)) => m?,
        };
        let Message::Text(text) = msg else { continue };
        let at = Instant::now();
        let v: serde_json::Value = serde_json::from_str(text.as_str())?;
        match v["type"].as_str() {
            Some("ticket.issued") => {
                if let Some(n) = v["ticket"]["number"].as_str() {
                    seen.push((n.to_string(), at));
                }
            }
            Some("snapshot") => {
                snapshots += 1;
                if let Some(r) = ready.take() {
                    let _ = r.send(()).await;
                }
            }
            _ => {}
        }
    }
    Ok((seen, snapshots))
}

async fn window_op(
    http: &mut Client,
    n: u32,
    token: &str,
    what: &str,
    body: &str,
) -> anyhow::Result<(u16, String)> {
    http.request("POST", &format!("/api/v1/windows/{n}/{what}"), token, body)
        .await
}

/// Tokens of the tickets issued so far, for the phones to follow.
type Tokens = Arc<Mutex<Vec<String>>>;

/// One reader polling `GET path` every `every` until `stop`: latencies and non-200 replies.
/// A phone (`path` None) follows the page of a ticket drawn from `tokens` each time.
async fn poller(
    addr: std::net::SocketAddr,
    seed: u64,
    path: Option<&'static str>,
    tokens: Tokens,
    every: Duration,
    stop: Instant,
) -> Polled {
    let mut rng = Rng::new(seed);
    let mut http = Client::connect(addr).await?;
    let (mut lat, mut errors) = (Vec::new(), 0usize);
    let mut next = Instant::now() + every.mul_f64(rng.uniform(0.0, 1.0));
    while next < stop {
        tokio::time::sleep_until(next.into()).await;
        next += every;
        let url = match path {
            Some(p) => p.to_string(),
            None => {
                let tokens = tokens.lock().unwrap_or_else(|p| p.into_inner());
                if tokens.is_empty() {
                    continue;
                }
                format!("/api/v1/tickets/{}", tokens[rng.below(tokens.len())])
            }
        };
        let t0 = Instant::now();
        let (status, _) = http.request("GET", &url, "", "").await?;
        lat.push(t0.elapsed());
        if status != 200 {
            errors += 1;
        }
    }
    Ok((lat, errors))
}

/// A reader's latencies and its non-200 replies.
type Polled = anyhow::Result<(Vec<Duration>, usize)>;

/// Latencies and errors of finished pollers, all together.
async fn gather(
    tasks: Vec<tokio::task::JoinHandle<Polled>>,
    what: &str,
) -> anyhow::Result<(Vec<Duration>, usize)> {
    let (mut lat, mut errors) = (Vec::new(), 0);
    for t in tasks {
        match t.await? {
            Ok((l, e)) => {
                lat.extend(l);
                errors += e;
            }
            Err(e) => {
                eprintln!("{what} failed: {e:#}");
                errors += 1;
            }
        }
    }
    Ok((lat, errors))
}

/// `hallq-bench load`.
pub async fn load_bench(a: LoadArgs, hallq: &Path) -> anyhow::Result<()> {
    let scratch = scratch()?;
    let dir = scratch.path().to_path_buf();
    let cfg = lifted_config(&dir, &a.config)?;
    println!(
        "bench load: {} s at {} tickets/min from {} kiosks, {} clerks, {} websocket screens; server is a child process; {} cores (shared)",
        a.seconds,
        a.per_minute,
        a.kiosks,
        a.clerks,
        a.screens,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let mut bare = tokio::task::spawn_blocking({
        let dir = dir.clone();
        move || bare_loop(&dir, 5)
    })
    .await??;

    let db = dir.join("hallq.db");
    let windows: Vec<u32> = (1..=a.clerks).collect();
    let until = jiff::Timestamp::now().as_millisecond() + 24 * 3_600_000;
    let clerks = hallq::sim::make_clerks(&db, &windows, until)?;
    let (_, plan) = hallq::config::Config::load(&cfg)?;
    let mut queues: Vec<String> = plan
        .windows
        .iter()
        .filter(|w| windows.contains(&w.number))
        .flat_map(|w| w.queues().cloned())
        .filter(|q| plan.queue(q).is_some_and(|q| !q.real_name))
        .collect();
    queues.sort();
    queues.dedup();
    let server = Server::spawn(hallq, &cfg, &db).await?;
    let addr = server.addr;
    let idle_rss = server.rss_mib();

    let start = Instant::now();
    let stop = start + Duration::from_secs(a.seconds);
    // Screens first, so they see every issue.
    let mut screens = Vec::new();
    let (ready_tx, mut ready) = tokio::sync::mpsc::channel::<()>(a.screens.max(1));
    for _ in 0..a.screens {
        screens.push(tokio::spawn(screen(
            addr,
            stop + Duration::from_secs(2),
            ready_tx.clone(),
        )));
    }
    drop(ready_tx);
    // Every screen has its snapshot before the first ticket (or has failed).
    while ready.recv().await.is_some() {}
    let sent: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let tokens: Tokens = Arc::default();
    let mut readers = Vec::new();
    for p in 0..a.phones {
        let every = Duration::from_secs(3);
        let t = Arc::clone(&tokens);
        readers.push(tokio::spawn(poller(
            addr,
            5000 + p as u64,
            None,
            t,
            every,
            stop,
        )));
    }
    let mut halls = Vec::new();
    for r in 0..a.hall_readers {
        let (every, t) = (Duration::from_secs(1), Arc::clone(&tokens));
        let path = Some("/api/v1/hall");
        halls.push(tokio::spawn(poller(
            addr,
            9000 + r as u64,
            path,
            t,
            every,
            stop,
        )));
    }
    let mut kiosks = Vec::new();
    let mean_gap = 60.0 * a.kiosks as f64 / f64::from(a.per_minute.max(1));
    for k in 0..a.kiosks {
        let (queues, sent) = (queues.clone(), Arc::clone(&sent));
        let tokens = Arc::clone(&tokens);
        kiosks.push(tokio::spawn(async move {
            let mut rng = Rng::new(k as u64 + 1);
            let mut http = Client::connect(addr).await?;
            let (mut lat, mut errors) = (Vec::new(), 0usize);
            let mut next = Instant::now() + Duration::from_secs_f64(rng.exp(mean_gap));
            while next < stop {
                tokio::time::sleep_until(next.into()).await;
                let q = &queues[rng.below(queues.len())];
                let t0 = Instant::now();
                let (status, body) = http
                    .request(
                        "POST",
                        "/api/v1/tickets",
                        DEMO_KIOSK,
                        &format!("{{\"queue\":\"{q}\"}}"),
                    )
                    .await?;
                lat.push(t0.elapsed());
                if status == 201 {
                    let v: serde_json::Value = serde_json::from_str(&body)?;
                    if let Some(n) = v["number"].as_str() {
                        sent.lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .insert(n.to_string(), t0);
                    }
                    if let Some(t) = v["token"].as_str() {
                        tokens
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push(t.to_string());
                    }
                } else {
                    errors += 1;
                }
                next += Duration::from_secs_f64(rng.exp(mean_gap));
            }
            Ok::<_, anyhow::Error>((lat, errors))
        }));
    }
    let mut desks = Vec::new();
    // Each clerk calls about as often as tickets come in, all clerks together.
    let cycle = 60.0 * f64::from(a.clerks) / f64::from(a.per_minute.max(1));
    for (n, token) in clerks {
        desks.push(tokio::spawn(async move {
            let mut rng = Rng::new(1000 + u64::from(n));
            let mut http = Client::connect(addr).await?;
            let (mut lat, mut errors) = (Vec::new(), 0usize);
            let token = token.as_str();
            let (status, _) = window_op(&mut http, n, token, "sign-in", "").await?;
            if status != 200 {
                errors += 1;
            }
            tokio::time::sleep(Duration::from_secs_f64(rng.uniform(0.0, cycle))).await;
            while Instant::now() < stop {
                let t0 = Instant::now();
                let (status, text) = window_op(&mut http, n, token, "call-next", "").await?;
                lat.push(t0.elapsed());
                if status != 200 {
                    errors += 1;
                } else if text.contains("\"current\":{") {
                    for (what, body) in [("start", ""), ("finish", "{\"outcome\":\"done\"}")] {
                        if window_op(&mut http, n, token, what, body).await?.0 != 200 {
                            errors += 1;
                        }
                    }
                }
                tokio::time::sleep(Duration::from_secs_f64(rng.uniform(0.5, 1.5) * cycle)).await;
            }
            Ok::<_, anyhow::Error>((lat, errors))
        }));
    }

    let (issue_lat, issue_err) = gather(kiosks, "kiosk").await?;
    let (call_lat, call_err) = gather(desks, "clerk").await?;
    let (phone_lat, phone_err) = gather(readers, "phone").await?;
    let (hall_lat, hall_err) = gather(halls, "hall reader").await?;
    let elapsed = start.elapsed();
    let rss = server.rss_mib();
    let sent = sent.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let (mut delivery, mut screen_err, mut missed, mut snapshots) = (Vec::new(), 0, 0usize, 0);
    for s in screens {
        match s.await? {
            Ok((seen, snaps)) => {
                snapshots += snaps;
                let got: HashMap<&str, Instant> =
                    seen.iter().map(|(n, at)| (n.as_str(), *at)).collect();
                for (n, t0) in &sent {
                    match got.get(n.as_str()) {
                        Some(at) => delivery.push(at.saturating_duration_since(*t0)),
                        None => missed += 1,
                    }
                }
            }
            Err(e) => {
                screen_err += 1;
                if screen_err == 1 {
                    eprintln!("screen failed: {e:#}");
                }
            }
        }
    }
    server.kill9().await?;

    let mut issue = figures(issue_lat, issue_err, elapsed);
    let mut call = figures(call_lat, call_err, elapsed);
    let mut deliver = figures(delivery, screen_err, elapsed);
    println!("{}", bare.line("bare rusqlite durable commits", "commits"));
    println!("{}", issue.line("POST /api/v1/tickets (kiosks)", "tickets"));
    println!("{}", call.line("POST call-next (clerks)", "calls"));
    let mut phone = figures(phone_lat, phone_err, elapsed);
    let mut hall = figures(hall_lat, hall_err, elapsed);
    println!(
        "{}",
        phone.line("GET /api/v1/tickets/{token} (phones)", "pages")
    );
    println!("{}", hall.line("GET /api/v1/hall", "reads"));
    let (d50, d99) = (deliver.pct(0.50), deliver.pct(0.99));
    println!(
        "event delivery to {} screens: {} frames, p50 {d50:.2} ms, p99 {d99:.2} ms; missed {missed}, resnapshots {}, screen errors {screen_err}",
        a.screens,
        deliver.ops,
        snapshots.saturating_sub(a.screens),
    );
    let (rss_now, hwm) = rss.unwrap_or((0.0, 0.0));
    println!(
        "server RSS: idle {:.1} MiB, after the run {rss_now:.1} MiB, peak (VmHWM) {hwm:.1} MiB (goal <= 64)",
        idle_rss.map_or(0.0, |r| r.0)
    );
    println!(
        "issue p99 {:.2} ms = {:.1}x the bare commit p99 {:.2} ms (goal <= 20 ms); errors {} (goal 0)",
        issue.pct(0.99),
        issue.pct(0.99) / bare.pct(0.99).max(1e-9),
        bare.pct(0.99),
        issue.errors + call.errors + screen_err + missed + phone.errors + hall.errors
    );
    Ok(())
}
