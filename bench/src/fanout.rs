//! `hallq-bench fanout`: N websocket screens, E calls a second through the real engine.
//! Latency runs from a call's commit (the engine stamps each frame) to each screen's receipt.
//! Beside it, in the same process and run, a bare axum + tokio broadcast echo server with the
//! same screens and frames of the same size: the floor that hallq's fan-out is compared to.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use futures_util::StreamExt;
use tokio::sync::{broadcast, watch};
use tokio_tungstenite::tungstenite::Message as WsMessage;

use hallq::domain::Priority;
use hallq::domain::hall::{Actor, Command};
use hallq::domain::ticket::Outcome;
use hallq::engine::EngineHandle;
use hallq::{App, ServeOptions};

use super::{Figures, lifted_config, scratch};

/// Windows that take turns calling (zone A, queue hj).
const WINDOWS: u32 = 10;
/// Screens connecting at once while a run sets up.
const CONNECT_AT_ONCE: usize = 64;

/// What a screen got: (seq, when) for every call frame.
type Receipts = Vec<(u64, Instant)>;

pub async fn run(clients: &[usize], rate: f64, secs: u64, config: &Path) -> anyhow::Result<()> {
    anyhow::ensure!(rate > 0.0, "--rate must be above 0");
    let limit = open_files_limit();
    println!(
        "bench fanout: {rate} calls/s for {secs} s per server, {} cores, open-files limit {}",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        limit.map_or("unknown".into(), |l| l.to_string())
    );
    println!(
        "both servers are up with their screens during a run; calls alternate between them \
         in one-second slices, so noise from the machine falls on both alike"
    );
    let scratch = scratch()?;
    let dir = scratch.path();
    let cfg = lifted_config(dir, config)?;
    let mut rows = Vec::new();
    for (i, &n) in clients.iter().enumerate() {
        // Both ends of every socket of both servers live in this process.
        let need = (4 * n + 256) as u64;
        if let Some(l) = limit
            && need > l
        {
            println!("{n} screens: skipped, needs {need} open files (ulimit -n {l})");
            continue;
        }
        let (mut bare, mut hallq) =
            measure(&dir.join(format!("run{i}")), &cfg, n, rate, secs).await?;
        rows.push((
            n,
            bare.pct(0.5),
            bare.pct(0.99),
            hallq.pct(0.5),
            hallq.pct(0.99),
        ));
        println!(
            "{}",
            bare.delivery(&format!("bare axum broadcast, {n} screens"))
        );
        println!(
            "{}",
            hallq.delivery(&format!("hallq /api/v1/events, {n} screens"))
        );
    }
    println!("screens   bare p50   bare p99   hallq p50   hallq p99   p99 ratio (goal <= 1.5x)");
    for (n, b50, b99, h50, h99) in rows {
        println!(
            "{n:>7}   {b50:>6.2} ms  {b99:>6.2} ms   {h50:>6.2} ms   {h99:>6.2} ms   {:.2}x",
            h99 / b99.max(0.001)
        );
    }
    Ok(())
}

impl Figures {
    fn delivery(&mut self, what: &str) -> String {
        let (p50, p99, max) = (self.pct(0.50), self.pct(0.99), self.pct(1.0));
        format!(
            "{what:<40} frames {:>7} (missing {})   p50 {p50:>6.2} ms   p99 {p99:>6.2} ms   max {max:>6.2} ms",
            self.ops, self.errors,
        )
    }
}

/// One side of a run: its screens' readers and how to tell them the last seq.
struct Side {
    readers: Vec<tokio::task::JoinHandle<Receipts>>,
    done: watch::Sender<u64>,
}

impl Side {
    async fn connect(addr: SocketAddr, path: &str, n: usize) -> anyhow::Result<Side> {
        let screens = connect_all(addr, path, n).await?;
        let (done, done_rx) = watch::channel(0u64);
        Ok(Side {
            readers: start_readers(screens, done_rx),
            done,
        })
    }

    async fn finish(self, last: u64) -> anyhow::Result<Vec<Receipts>> {
        let _ = self.done.send(last);
        collect(self.readers).await
    }
}

/// The bare floor: axum websockets forwarding a tokio broadcast, nothing else.
struct Bare {
    tx: broadcast::Sender<Arc<BareFrame>>,
    seq: u64,
    calls: usize,
    sent: HashMap<u64, Instant>,
}

impl Bare {
    /// Publish one call, preceded by a finish as hallq's calls are (the same frames).
    fn call(&mut self) {
        if self.calls >= WINDOWS as usize {
            self.seq += 1;
            let finished = sample_call(self.seq).replace("ticket.called", "ticket.finished");
            let _ = self.tx.send(Arc::new(BareFrame {
                json: finished,
                sent: Instant::now(),
            }));
        }
        self.seq += 1;
        self.calls += 1;
        let frame = Arc::new(BareFrame {
            json: sample_call(self.seq),
            sent: Instant::now(),
        });
        self.sent.insert(self.seq, frame.sent);
        let _ = self.tx.send(frame);
    }
}

/// Both servers, N screens each, `rate` calls a second to each for `secs` seconds.
async fn measure(
    dir: &Path,
    cfg: &Path,
    n: usize,
    rate: f64,
    secs: u64,
) -> anyhow::Result<(Figures, Figures)> {
    let calls = (rate * secs as f64).ceil() as usize;

    // hallq: the real server and engine, calls committed to SQLite.
    std::fs::create_dir_all(dir)?;
    let app = App::start(&ServeOptions {
        config: cfg.to_path_buf(),
        db: dir.join("hallq.db"),
        demo: true,
        simulated_clock: false,
    })?;
    let engine = app.state.engine.clone();
    let clerks = prepare(&engine, calls).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let hallq_addr = listener.local_addr()?;
    let (stop_hallq, stopped) = tokio::sync::oneshot::channel::<()>();
    let hallq_server = tokio::spawn(app.run(listener, async {
        let _ = stopped.await;
    }));
    // The commit time of every frame, from the engine's own stamp.
    let mut frames = engine.subscribe();
    let committed = tokio::spawn(async move {
        let mut at = HashMap::new();
        while let Ok(f) = frames.recv().await {
            at.insert(f.seq, f.committed);
        }
        at
    });

    // The bare server.
    let (tx, _) = broadcast::channel::<Arc<BareFrame>>(hallq::engine::BROADCAST_CAPACITY);
    let router = axum::Router::new()
        .route("/ws", axum::routing::get(bare_ws))
        .with_state(tx.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let bare_addr = listener.local_addr()?;
    let (stop_bare, stopped) = tokio::sync::oneshot::channel::<()>();
    let bare_server = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });

    let hallq_side = Side::connect(hallq_addr, "/api/v1/events", n).await?;
    let bare_side = Side::connect(bare_addr, "/ws", n).await?;
    let mut bare = Bare {
        tx,
        seq: 0,
        calls: 0,
        sent: HashMap::new(),
    };
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
    let per_slice = rate.ceil() as usize;
    let (mut hallq_calls, mut hallq_last) = (0, 0);
    for slice in 0.. {
        if hallq_calls >= calls && bare.calls >= calls {
            break;
        }
        for _ in 0..per_slice {
            tick.tick().await;
            if slice % 2 == 0 && bare.calls < calls {
                bare.call();
            } else if slice % 2 == 1 && hallq_calls < calls {
                let (actor, window) = &clerks[hallq_calls % clerks.len()];
                if hallq_calls >= clerks.len() {
                    let finish = Command::Finish {
                        window: *window,
                        outcome: Outcome::Done,
                        note: None,
                    };
                    engine.execute(actor.clone(), finish).await?;
                }
                engine
                    .execute(actor.clone(), Command::CallNext { window: *window })
                    .await?;
                hallq_last = engine.read(|_, _, seq| seq);
                hallq_calls += 1;
            }
        }
    }
    let bare_receipts = bare_side.finish(bare.seq).await?;
    let hallq_receipts = hallq_side.finish(hallq_last).await?;
    drop(bare.tx);
    let _ = stop_bare.send(());
    let _ = bare_server.await;
    let _ = stop_hallq.send(());
    let _ = hallq_server.await;
    drop(engine);
    let committed = committed.await?;
    Ok((
        figures(&bare_receipts, calls * n, |seq| {
            bare.sent.get(&seq).copied()
        }),
        figures(&hallq_receipts, calls * n, |seq| {
            committed.get(&seq).copied()
        }),
    ))
}

/// Sign in a clerk at each calling window and issue `calls` tickets for them.
async fn prepare(engine: &EngineHandle, calls: usize) -> anyhow::Result<Vec<(Actor, u32)>> {
    let kiosk = Actor::Device {
        id: "bench-kiosk".into(),
        kind: hallq::domain::DeviceKind::Kiosk,
        window: None,
    };
    for _ in 0..calls {
        let issue = Command::Issue {
            queue: "hj".into(),
            priority: Priority::Normal,
            id_number: None,
            phone: None,
            token: hallq::engine::random_hex(),
        };
        engine.execute(kiosk.clone(), issue).await?;
    }
    let mut clerks = Vec::new();
    for w in 1..=WINDOWS {
        let actor = Actor::Staff {
            username: format!("bench{w}"),
            name: format!("测试{w}"),
            role: hallq::domain::Role::Clerk,
        };
        engine
            .execute(
                actor.clone(),
                Command::SignIn {
                    window: w,
                    scope: Default::default(),
                },
            )
            .await?;
        clerks.push((actor, w));
    }
    Ok(clerks)
}

/// A frame of the bare server: what hallq sends for a call, in size.
struct BareFrame {
    json: String,
    sent: Instant,
}

async fn bare_ws(
    State(tx): State<broadcast::Sender<Arc<BareFrame>>>,
    ws: WebSocketUpgrade,
) -> Response {
    ws.on_upgrade(move |socket| bare_forward(socket, tx.subscribe()))
}

async fn bare_forward(mut socket: WebSocket, mut rx: broadcast::Receiver<Arc<BareFrame>>) {
    // The same first frame a hallq screen waits for.
    if socket
        .send(Message::Text("{\"seq\":0,\"type\":\"snapshot\"}".into()))
        .await
        .is_err()
    {
        return;
    }
    loop {
        tokio::select! {
            got = rx.recv() => match got {
                Ok(f) => {
                    if socket.send(Message::Text(f.json.clone().into())).await.is_err() {
                        return;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return,
            },
            msg = socket.recv() => match msg {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            },
        }
    }
}

/// A `ticket.called` frame as hallq sends it (same fields, same size).
fn sample_call(seq: u64) -> String {
    let clips: Vec<String> =
        hallq::domain::announce::clips("请{number}号到{window}号窗口办理", "H0123", 7);
    serde_json::json!({
        "seq": seq,
        "at": "2026-11-27T10:00:00.000+08:00",
        "type": "ticket.called",
        "ticket": {"id": 123, "number": "H0123", "queue": "hj", "priority": "normal"},
        "window": {"number": 7, "name": "公安户籍", "zone": "A"},
        "reason": "oldest",
        "announce": {"text": "请H0123号到7号窗口办理", "screen_text": "请 H0123 到 7 号窗口办理", "clips": clips},
    })
    .to_string()
}

type Screen =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Connect `n` screens (a few at a time) and wait for each one's first frame.
async fn connect_all(addr: SocketAddr, path: &str, n: usize) -> anyhow::Result<Vec<Screen>> {
    let url = format!("ws://{addr}{path}");
    let screens: Vec<anyhow::Result<Screen>> = futures_util::stream::iter(0..n)
        .map(|_| {
            let url = url.clone();
            async move {
                let (mut ws, _) = tokio_tungstenite::connect_async(&url)
                    .await
                    .context("websocket connect")?;
                loop {
                    match ws.next().await {
                        Some(Ok(WsMessage::Text(_))) => return Ok(ws),
                        Some(Ok(_)) => {}
                        _ => anyhow::bail!("closed before the first frame"),
                    }
                }
            }
        })
        .buffer_unordered(CONNECT_AT_ONCE)
        .collect()
        .await;
    screens.into_iter().collect()
}

/// Every screen reads on its own task until it has the frame with seq `done` (once known).
fn start_readers(
    screens: Vec<Screen>,
    done: watch::Receiver<u64>,
) -> Vec<tokio::task::JoinHandle<Receipts>> {
    screens
        .into_iter()
        .map(|mut ws| {
            let mut done = done.clone();
            tokio::spawn(async move {
                let mut got = Receipts::new();
                let mut last = 0;
                loop {
                    let target = *done.borrow();
                    if target != 0 && last >= target {
                        break;
                    }
                    let frame = tokio::select! {
                        f = ws.next() => f,
                        _ = done.changed() => continue,
                        // A frame that never comes is counted missing.
                        _ = tokio::time::sleep(Duration::from_secs(10)), if target != 0 => break,
                    };
                    let Some(Ok(WsMessage::Text(t))) = frame else {
                        if matches!(frame, Some(Ok(_))) {
                            continue;
                        }
                        break;
                    };
                    let now = Instant::now();
                    if let Some(seq) = seq_of(&t) {
                        last = seq;
                        if t.contains("\"ticket.called\"") {
                            got.push((seq, now));
                        }
                    }
                }
                let _ = ws.close(None).await;
                got
            })
        })
        .collect()
}

/// The `seq` of a frame without parsing all of it (hallq and the bare server put it first).
fn seq_of(json: &str) -> Option<u64> {
    let rest = &json[json.find("\"seq\":")? + 6..];
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

async fn collect(readers: Vec<tokio::task::JoinHandle<Receipts>>) -> anyhow::Result<Vec<Receipts>> {
    let mut all = Vec::with_capacity(readers.len());
    for r in readers {
        all.push(r.await?);
    }
    Ok(all)
}

fn figures(
    receipts: &[Receipts],
    expected: usize,
    start: impl Fn(u64) -> Option<Instant>,
) -> Figures {
    let lat: Vec<Duration> = receipts
        .iter()
        .flatten()
        .filter_map(|(seq, at)| Some(at.saturating_duration_since(start(*seq)?)))
        .collect();
    Figures {
        ops: lat.len(),
        errors: expected.saturating_sub(lat.len()),
        elapsed: Duration::ZERO,
        lat,
    }
}

/// The soft limit on open files, from /proc (Linux); None elsewhere.
fn open_files_limit() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = text.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}
