//! Attacks from the hall's own network, each written as the attack: half-open connections,
//! idle sockets, password guessing. Bounded and on loopback only (127.0.0.0/8).

use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::helpers::*;

/// The shipped hall with `[http]` settings of the test's own.
fn with_http(extra: &str) -> String {
    format!("{}\n[http]\n{extra}\n", shipped_config())
}

/// A connection from the loopback address `from` (another client on the hall network).
async fn connect_from(from: &str, to: std::net::SocketAddr) -> std::io::Result<TcpStream> {
    let s = TcpSocket::new_v4()?;
    s.bind(format!("{from}:0").parse().expect("loopback address"))?;
    s.connect(to).await
}

/// Whether the server closed `s` within `wait` (EOF or reset).
async fn closed_within(s: &mut TcpStream, wait: Duration) -> bool {
    let mut buf = [0u8; 512];
    loop {
        match tokio::time::timeout(wait, s.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0) | Err(_)) => return true,
            Ok(Ok(_)) => continue,
        }
    }
}

#[tokio::test]
async fn two_thousand_half_open_connections_do_not_starve_kiosks_and_consoles() {
    let _ = hallq::net::raise_fd_limit();
    // A budget like a service with 1,024 descriptors: the flood alone would fill it.
    let hall =
        TestHall::spawn_with(&with_http("max_connections = 1000\nmax_connections_per_address = 16"))
            .await;
    let mut flood = Vec::new();
    for _ in 0..2_000 {
        let mut s = connect_from("127.0.0.66", hall.addr)
            .await
            .expect("the kernel accepts the handshake");
        // Half a request, never finished.
        let _ = s.write_all(b"GET /api/v1/hall HTTP/1.1\r\nHost: hall\r\n").await;
        flood.push(s);
    }
    // Kiosk, console and wall screen, each from their own address, are served at once.
    let served = tokio::time::timeout(Duration::from_secs(10), async {
        let t = hall.issue("xf").await;
        assert!(t["number"].is_string(), "{t}");
        let clerk = hall.login("clerk1").await;
        hall.ok(&clerk, 20, "sign-in", json!({})).await;
        let called = hall.ok(&clerk, 20, "call-next", json!({})).await;
        assert_eq!(called["current"]["number"], t["number"], "{called}");
        let mut ws = hall.ws(None).await;
        assert_eq!(next_json(&mut ws).await["type"], "snapshot");
    })
    .await;
    assert!(served.is_ok(), "the hall stopped serving under the flood");
    // The flood holds at most its per-address share; the rest was closed at once.
    let checks = flood
        .iter_mut()
        .map(|s| closed_within(s, Duration::from_millis(500)));
    let closed = futures_util::future::join_all(checks)
        .await
        .into_iter()
        .filter(|c| *c)
        .count();
    assert!(closed >= 2_000 - 16, "only {closed} of 2000 closed");
}

#[tokio::test]
async fn half_sent_headers_and_idle_keep_alive_are_closed() {
    let hall = TestHall::spawn_with(&with_http("header_timeout_secs = 1")).await;
    let mut half = TcpStream::connect(hall.addr).await.expect("connects");
    half.write_all(b"GET /api/v1/hall HTTP/1.1\r\nHost: ha")
        .await
        .expect("writes");
    let mut idle = TcpStream::connect(hall.addr).await.expect("connects");
    idle.write_all(b"GET /api/v1/hall HTTP/1.1\r\nHost: hall\r\n\r\n")
        .await
        .expect("writes");
    let mut silent = TcpStream::connect(hall.addr).await.expect("connects");
    // Each is closed within a few seconds of the 1 s limit (not held for minutes).
    let wait = Duration::from_secs(4);
    assert!(closed_within(&mut half, wait).await, "half-sent headers held");
    assert!(closed_within(&mut idle, wait).await, "idle keep-alive held");
    assert!(closed_within(&mut silent, wait).await, "silent connection held");
}
