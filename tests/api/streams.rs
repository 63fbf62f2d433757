//! Event streams under attack: one address cannot take the anonymous pool for itself
//! (`[events] max_anonymous_per_address`), and a client that never reads is closed rather than
//! buffered for, and the memory of a burst of phones' streams goes back to the system once they
//! close (`hallq-bench streams` prints the figures).

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::*;

/// A fresh anonymous stream, retrying while the server has not yet seen an earlier one close.
async fn anonymous_within_2s(hall: &TestHall) -> Option<Ws> {
    for _ in 0..100 {
        if let Ok(ws) = hall.ws_as("", None).await {
            return Some(ws);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

#[tokio::test]
async fn one_address_holds_only_its_share_of_anonymous_streams() {
    let cfg = shipped_config().replace(
        "max_anonymous_per_address = 8",
        "max_anonymous_per_address = 3",
    );
    assert!(cfg.contains("max_anonymous_per_address = 3"), "shipped key");
    let hall = TestHall::spawn_with(&cfg).await;
    let mut mine = Vec::new();
    for _ in 0..3 {
        let mut ws = hall.ws_as("", None).await.expect("within the share");
        assert_eq!(next_json(&mut ws).await["type"], "snapshot");
        mine.push(ws);
    }
    let Err(refused) = hall.ws_as("", None).await else {
        panic!("a fourth anonymous stream from one address was let in")
    };
    assert_eq!(refused.0, 429);
    assert_eq!(refused.1["error"]["code"], "too_many_streams");
    assert!(
        refused.1["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("实时连接过多")),
        "{}",
        refused.1
    );
    // Registered screens and staff on the same address are not counted against it.
    let mut screen = hall.ws_as("", Some(DISPLAY)).await.expect("a display");
    assert_eq!(next_json(&mut screen).await["type"], "snapshot");
    let m = hall.login("manager").await;
    let mut staff = hall.ws_staff(&m).await;
    assert_eq!(next_json(&mut staff).await["type"], "snapshot");
    // A place comes back when one of them leaves.
    drop(mine.pop());
    let mut again = anonymous_within_2s(&hall).await.expect("the freed place");
    assert_eq!(next_json(&mut again).await["type"], "snapshot");
}

#[test]
fn check_config_refuses_a_zero_share() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("hall.toml");
    std::fs::write(
        &path,
        shipped_config().replace(
            "max_anonymous_per_address = 8",
            "max_anonymous_per_address = 0",
        ),
    )
    .expect("write");
    let (code, _, err) = crate::cli::run(&["check-config", path.to_str().expect("utf-8")]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("max_anonymous_per_address"), "{err}");
}

/// A websocket client whose socket takes in almost nothing and which never reads.
async fn stalled_client(hall: &TestHall) -> Ws {
    let sock = tokio::net::TcpSocket::new_v4().expect("socket");
    sock.set_recv_buffer_size(4096)
        .expect("small receive buffer");
    let tcp = sock.connect(hall.addr).await.expect("connect");
    let (ws, _) = tokio_tungstenite::client_async(
        format!("ws://{}/api/v1/events", hall.addr),
        tokio_tungstenite::MaybeTlsStream::Plain(tcp),
    )
    .await
    .expect("handshake");
    ws
}

#[tokio::test]
async fn a_client_that_never_reads_is_closed_not_buffered_for() {
    let cfg = format!(
        "{}\n[http]\nmax_connections_per_address = 500\n",
        shipped_config().replace("buffer = 4096", "buffer = 1")
    );
    let hall = TestHall::spawn_with(&cfg).await;
    let mut stalled = stalled_client(&hall).await;
    // Bursts overrun its one-event buffer, so each time it is served it is owed a whole
    // snapshot: the server would be buffering megabytes for it if it buffered at all.
    let issued = 600;
    let burst_started = Instant::now();
    for _ in 0..issued / 3 {
        futures_util::future::join_all((0..3).map(|_| hall.issue("hj"))).await;
    }
    println!("burst {:?}", burst_started.elapsed());
    // The server gives up on the stalled client within its send timeout (10 s): the anonymous
    // stream count falls to 0 while the client still reads nothing.
    let started = Instant::now();
    loop {
        let text = hall
            .http
            .get(format!("{}/metrics", hall.base))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text");
        if text.contains("hallq_websocket_clients{audience=\"anonymous\"} 0\n") {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "the stalled client is still held after {:?}: {}",
            started.elapsed(),
            text.lines()
                .filter(|l| l.contains("websocket"))
                .collect::<Vec<_>>()
                .join(" | ")
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let waited = started.elapsed();
    // What it can read now is what its socket took before: the server did not buffer the rest,
    // and says why it closed (1008, too slow).
    let mut frames = 0;
    let mut close = None;
    while let Ok(Some(msg)) = tokio::time::timeout(Duration::from_secs(20), stalled.next()).await {
        match msg {
            Ok(Message::Text(_)) => frames += 1,
            Ok(Message::Close(c)) => {
                close = c;
                break;
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    assert!(
        frames < issued,
        "the server held back {frames} of {issued} frames for a client that never read"
    );
    if let Some(c) = &close {
        assert_eq!(u16::from(c.code), 1008, "{c:?}");
    }
    println!("stalled client dropped {waited:?} after the burst, having been sent {frames} frames");
    // And the hall is still served.
    let (s, _) = hall
        .post("/api/v1/tickets", Some(KIOSK), json!({"queue": "hj"}))
        .await;
    assert_eq!(s, 201);
}

/// The resident memory of process `pid`, in KiB.
pub(crate) fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .expect("status")
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

/// The shipped hall as a `hallq serve --demo` child process (so memory figures are the
/// server's alone): its folder, the child, its base URL and its pid.
pub(crate) async fn shipped_server() -> (tempfile::TempDir, tokio::process::Child, String, u32) {
    let dir = tempfile::tempdir().expect("dir");
    let cfg = dir.path().join("hall.toml");
    std::fs::write(&cfg, shipped_config()).expect("config");
    let (child, base) = crate::durability::start_server(&cfg, &dir.path().join("hallq.db")).await;
    let pid = child.id().expect("pid");
    (dir, child, base, pid)
}

/// An anonymous event stream from loopback address `source`, its snapshot read.
async fn stream_from(addr: std::net::SocketAddr, source: std::net::Ipv4Addr) -> Ws {
    let sock = tokio::net::TcpSocket::new_v4().expect("socket");
    sock.bind((source, 0).into())
        .expect("bind a loopback source");
    let tcp = sock.connect(addr).await.expect("connect");
    let url = format!("ws://{addr}/api/v1/events");
    let (mut ws, _) =
        tokio_tungstenite::client_async(&url, tokio_tungstenite::MaybeTlsStream::Plain(tcp))
            .await
            .expect("a stream within the per-address share");
    let first = ws.next().await.expect("a frame").expect("a text frame");
    assert!(first.to_text().expect("text").contains("\"snapshot\""));
    ws
}

/// Phones' streams, many at a time from many addresses (each within the shipped per-address
/// share), then all closed: the server's resident memory must come back near where it was, not
/// stay at its peak (glibc keeps freed memory; `heap` trims after a burst of closes). A child
/// process, so the figures are the server's alone.
#[tokio::test]
async fn memory_of_closed_streams_goes_back_to_the_system() {
    let (_dir, mut child, base, pid) = crate::streams::shipped_server().await;
    let addr: std::net::SocketAddr = base.trim_start_matches("http://").parse().expect("addr");
    // Warm up (allocator arenas, the first snapshots), then measure.
    // Eight streams an address, the shipped share.
    let source = |i: usize| {
        let a = i / 8;
        std::net::Ipv4Addr::new(127, 0, 3 + (a / 200) as u8, 1 + (a % 200) as u8)
    };
    let mut warm = Vec::new();
    for i in 0..16 {
        warm.push(stream_from(addr, source(4000 + i)).await);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = rss_kib(pid);
    let n = 400;
    let mut streams = Vec::new();
    for i in 0..n {
        streams.push(stream_from(addr, source(i)).await);
    }
    let peak = rss_kib(pid);
    drop(streams);
    // The watcher reads the connection count each second and trims once the closes settle.
    let started = Instant::now();
    let mut after = rss_kib(pid);
    while started.elapsed() < Duration::from_secs(8) && after > before + (peak - before) / 4 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        after = rss_kib(pid);
    }
    println!(
        "{n} streams: RSS {before} -> {peak} KiB ({:.1} KiB each), {after} KiB {:?} after they closed",
        (peak.saturating_sub(before)) as f64 / n as f64,
        started.elapsed()
    );
    assert!(
        peak > before + n as u64 * 10,
        "the streams cost memory: {before} -> {peak} KiB"
    );
    assert!(
        after <= before + (peak - before) / 4,
        "RSS stayed at {after} KiB after every stream closed (before {before}, peak {peak})"
    );
    // And the hall still serves streams.
    drop(warm);
    stream_from(addr, source(0)).await;
    let _ = child.kill().await;
}
