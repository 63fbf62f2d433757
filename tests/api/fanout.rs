//! Fan-out to many screens: every screen gets every event gap-free; one that stops reading
//! delays nobody; a reconnect with `since` replays exactly what was missed, also across a
//! server restart.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::MaybeTlsStream;
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::*;

/// Connect and read the first frame (a snapshot); returns the stream and its seq.
async fn screen(hall: &TestHall) -> (Ws, u64) {
    let mut ws = hall.ws(None).await;
    let snap = next_json(&mut ws).await;
    assert_eq!(snap["type"], "snapshot");
    (ws, snap["seq"].as_u64().expect("seq"))
}

/// Read events until `last`; asserts they follow `from` gap-free. Returns their types.
async fn read_until(ws: &mut Ws, from: u64, last: u64) -> Vec<String> {
    let mut seq = from;
    let mut kinds = Vec::new();
    while seq < last {
        let e = next_json(ws).await;
        seq = follows(&e, seq);
        kinds.push(e["type"].as_str().expect("type").to_string());
    }
    kinds
}

/// The hall's last committed seq, as a fresh snapshot says.
async fn last_seq(hall: &TestHall) -> u64 {
    screen(hall).await.1
}

/// Issue `n` tickets from 8 kiosks at once, spread over `queues`.
async fn issue_many(hall: &TestHall, n: usize, queues: &[&str]) {
    futures_util::stream::iter(0..n)
        .map(|i| hall.issue(queues[i % queues.len()]))
        .buffer_unordered(8)
        .collect::<Vec<Value>>()
        .await;
}

#[tokio::test]
async fn a_hundred_screens_get_every_event_gap_free() {
    // A hundred screens from one test process: one address, so its connection cap is raised.
    let config = format!(
        "{}\n[http]\nmax_connections_per_address = 500\n",
        shipped_config()
    );
    let hall = TestHall::spawn_with(&config).await;
    let mut screens = Vec::new();
    for _ in 0..100 {
        screens.push(screen(&hall).await);
    }
    let c1 = hall.login("clerk1").await;
    let c2 = hall.login("clerk2").await;
    hall.ok(&c1, 5, "sign-in", json!({})).await;
    hall.ok(&c2, 6, "sign-in", json!({})).await;
    issue_many(&hall, 40, &["hj", "sb"]).await;
    for _ in 0..5 {
        for (c, w) in [(&c1, 5), (&c2, 6)] {
            hall.ok(c, w, "call-next", json!({})).await;
            hall.ok(c, w, "finish", json!({"outcome": "done"})).await;
        }
    }
    let last = last_seq(&hall).await;
    let mut all = Vec::new();
    for (ws, from) in screens.iter_mut() {
        all.push(read_until(ws, *from, last).await);
    }
    // Connected before any of it: every screen saw the same 62 events.
    assert_eq!(all[0].len(), 62);
    assert!(all.iter().all(|k| k == &all[0]));
    assert_eq!(all[0].iter().filter(|k| *k == "ticket.called").count(), 10);
}

#[tokio::test]
async fn a_screen_that_stops_reading_delays_nobody() {
    let hall = TestHall::spawn().await;
    // A screen that will never read, with a tiny receive window so the server's sends to it
    // back up quickly.
    let sock = tokio::net::TcpSocket::new_v4().expect("socket");
    sock.set_recv_buffer_size(4096).expect("rcvbuf");
    let stream = sock.connect(hall.addr).await.expect("connect");
    let (mut stuck, _) = tokio_tungstenite::client_async(
        format!("ws://{}/api/v1/events", hall.addr),
        MaybeTlsStream::Plain(stream),
    )
    .await
    .expect("websocket");
    let mut others = Vec::new();
    for _ in 0..10 {
        others.push(screen(&hall).await);
    }

    // Far more than fits in the stuck screen's socket buffers.
    issue_many(&hall, 1_000, &["jgcjg", "gssw", "dssw", "qydj", "fpdk"]).await;
    let last = last_seq(&hall).await;
    for (ws, from) in others.iter_mut() {
        let kinds = read_until(ws, *from, last).await;
        assert_eq!(kinds.len(), 1_000);
    }
    // And the hall still answers at once, with the stuck screen still connected.
    hall.issue("hj").await;
    for (ws, _) in others.iter_mut() {
        assert_eq!(next_json(ws).await["seq"], last + 1);
    }

    // When it reads again it gets a consistent stream: events in order, a fresh snapshot if
    // it fell too far behind, or a close (then it reconnects with `since`).
    let mut seen = 0u64;
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(15), stuck.next())
            .await
            .expect("a frame or a close within 15 s");
        match frame {
            Some(Ok(Message::Text(t))) => {
                let f: Value = serde_json::from_str(&t).expect("JSON");
                let seq = f["seq"].as_u64().expect("seq");
                if f["type"] == "snapshot" || seen == 0 {
                    seen = seq;
                } else {
                    assert_eq!(seq, seen + 1, "gap-free after the stall");
                    seen = seq;
                }
                if seen == last + 1 {
                    break;
                }
            }
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => {
                let mut ws = hall.ws(Some(seen)).await;
                read_until(&mut ws, seen, last + 1).await;
                break;
            }
            Some(Ok(_)) => {}
        }
    }
}

#[tokio::test]
async fn screens_that_drop_out_catch_up_with_exactly_what_they_missed() {
    let hall = TestHall::spawn().await;
    let c1 = hall.login("clerk1").await;
    hall.ok(&c1, 5, "sign-in", json!({})).await;
    let mut screens = Vec::new();
    for _ in 0..20 {
        screens.push(screen(&hall).await);
    }
    // Three events a round; screen i drops out after i rounds.
    for _ in 0..20 {
        hall.issue("hj").await;
        hall.ok(&c1, 5, "call-next", json!({})).await;
        hall.ok(&c1, 5, "finish", json!({"outcome": "done"})).await;
    }
    let last = last_seq(&hall).await;
    let mut seen_by = Vec::new();
    for (i, (mut ws, from)) in screens.into_iter().enumerate() {
        let upto = from + i as u64 * 3;
        read_until(&mut ws, from, upto).await;
        let _ = ws.close(None).await;
        seen_by.push(upto);
    }
    for upto in seen_by {
        let mut ws = hall.ws(Some(upto)).await;
        let kinds = read_until(&mut ws, upto, last).await;
        assert_eq!(
            kinds.len() as u64,
            last - upto,
            "replayed exactly the missed events"
        );
    }
}

#[tokio::test]
async fn after_a_server_restart_screens_resume_without_a_lost_call() {
    let dir = tempfile::tempdir().expect("temp dir");
    let hall = TestHall::spawn_on(dir.path()).await;
    let c1 = hall.login("clerk1").await;
    hall.ok(&c1, 5, "sign-in", json!({})).await;
    for _ in 0..3 {
        hall.issue("hj").await;
    }
    let mut screens = Vec::new();
    for _ in 0..10 {
        screens.push(screen(&hall).await);
    }
    hall.ok(&c1, 5, "call-next", json!({})).await;
    let before = last_seq(&hall).await;
    // Every screen saw the first call live.
    for (ws, from) in screens.iter_mut() {
        read_until(ws, *from, before).await;
        *from = before;
    }
    // The last call before the restart: committed, but the screens stop reading before it.
    hall.ok(&c1, 5, "finish", json!({"outcome": "done"})).await;
    hall.ok(&c1, 5, "call-next", json!({})).await;
    // Same database, same port, new server.
    let hall = hall.restart(dir.path()).await;
    // The server said goodbye (1001, going away) to screens that read on.
    for (ws, _) in screens.iter_mut() {
        loop {
            match tokio::time::timeout(Duration::from_secs(10), ws.next())
                .await
                .expect("closed within 10 s")
            {
                Some(Ok(Message::Close(Some(f)))) => {
                    assert_eq!(u16::from(f.code), 1001);
                    break;
                }
                Some(Ok(Message::Text(_))) | Some(Ok(Message::Ping(_))) => {}
                other => panic!("expected a close frame, got {other:?}"),
            }
        }
    }
    // A call is made on the new server before the screens are back.
    let c1 = hall.login("clerk1").await;
    hall.ok(&c1, 5, "sign-in", json!({})).await; // idempotent when still signed in
    hall.ok(&c1, 5, "finish", json!({"outcome": "done"})).await;
    hall.ok(&c1, 5, "call-next", json!({})).await;
    let after = last_seq(&hall).await;
    for (_, from) in screens.iter() {
        let mut ws = hall.ws(Some(*from)).await;
        let mut calls = Vec::new();
        let mut seq = *from;
        while seq < after {
            let e = next_json(&mut ws).await;
            // Replayed across the restart, nothing owed left out (logins are staff only).
            seq = follows(&e, seq);
            if e["type"] == "ticket.called" {
                calls.push(e["ticket"]["number"].as_str().expect("number").to_string());
            }
        }
        assert_eq!(calls, ["H0002", "H0003"], "no call lost");
        let _ = ws.send(Message::Close(None)).await;
    }
    hall.stop().await;
}
