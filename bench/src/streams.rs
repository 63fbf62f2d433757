//! `hallq-bench streams`: the server's resident memory with many phones' event streams open and
//! after they all close, with the heap trim off (`HALLQ_HEAP_TRIM=off`, the baseline) and on,
//! in the same run. The hall is the given config as shipped: its per-address share of anonymous
//! streams holds, so the streams come from many loopback addresses (127.0.4.x and up).

use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use futures_util::StreamExt;

use super::proc::Server;
use super::scratch;

/// Seconds after the last close at which the resident size is read.
const AFTER: [u64; 3] = [1, 3, 6];

/// One run's figures, in KiB.
struct Run {
    before: u64,
    peak: u64,
    after: Vec<u64>,
}

pub async fn run(
    streams: usize,
    per_address: usize,
    config: &Path,
    hallq: &Path,
) -> anyhow::Result<()> {
    println!(
        "{streams} anonymous event streams from {} loopback addresses ({per_address} each), hall {}",
        streams.div_ceil(per_address),
        config.display()
    );
    for (label, trim) in [("trim off (baseline)", "off"), ("trim on (shipped)", "on")] {
        let r = one(streams, per_address, config, hallq, trim).await?;
        let after: Vec<String> = AFTER
            .iter()
            .zip(&r.after)
            .map(|(s, kib)| format!("+{s}s {kib}"))
            .collect();
        println!(
            "{label:<20} RSS KiB: before {}, peak {} ({:.1} KiB a stream), after close {}; kept {:.0}% of the growth",
            r.before,
            r.peak,
            r.peak.saturating_sub(r.before) as f64 / streams as f64,
            after.join(", "),
            100.0
                * r.after
                    .last()
                    .copied()
                    .unwrap_or(0)
                    .saturating_sub(r.before) as f64
                / r.peak.saturating_sub(r.before).max(1) as f64
        );
    }
    Ok(())
}

async fn one(
    streams: usize,
    per_address: usize,
    config: &Path,
    hallq: &Path,
    trim: &str,
) -> anyhow::Result<Run> {
    let dir = scratch()?;
    let server = Server::spawn_with(
        hallq,
        config,
        &dir.path().join("hallq.db"),
        &[("HALLQ_HEAP_TRIM", trim)],
    )
    .await?;
    let rss = || -> anyhow::Result<u64> {
        let (kib, _) = server.rss_mib().context("server RSS")?;
        Ok((kib * 1024.0).round() as u64)
    };
    let source = |i: usize| {
        let a = i / per_address;
        Ipv4Addr::new(127, 0, 4 + (a / 250) as u8, 1 + (a % 250) as u8)
    };
    // Warm up (arenas, the first snapshots) from addresses of their own, then measure.
    let mut warm = Vec::new();
    for i in 0..20 {
        warm.push(
            open(
                server.addr,
                source(streams.next_multiple_of(per_address) + i),
            )
            .await?,
        );
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = rss()?;
    let mut open_streams = Vec::with_capacity(streams);
    for i in 0..streams {
        open_streams.push(open(server.addr, source(i)).await?);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let peak = rss()?;
    drop(open_streams);
    let mut after = Vec::new();
    let mut waited = 0;
    for s in AFTER {
        tokio::time::sleep(Duration::from_secs(s - waited)).await;
        waited = s;
        after.push(rss()?);
    }
    drop(warm);
    server.kill9().await?;
    Ok(Run {
        before,
        peak,
        after,
    })
}

/// An anonymous stream from `source`, its first frame (the snapshot) read.
async fn open(
    addr: SocketAddr,
    source: Ipv4Addr,
) -> anyhow::Result<
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
> {
    let sock = tokio::net::TcpSocket::new_v4()?;
    sock.bind((source, 0).into())
        .with_context(|| format!("binding {source}"))?;
    let tcp = sock.connect(addr).await?;
    let (mut ws, _) = tokio_tungstenite::client_async(
        format!("ws://{addr}/api/v1/events"),
        tokio_tungstenite::MaybeTlsStream::Plain(tcp),
    )
    .await
    .with_context(|| format!("a stream from {source}"))?;
    ws.next().await.context("the snapshot")??;
    Ok(ws)
}
