//! The listening socket: accepts connections under a descriptor budget and a per-address cap,
//! serves each over HTTP/1 with a header-read and idle timeout, and finds the client address
//! behind a trusted reverse proxy. Knows nothing of routes; `http/` owns those.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::http::HeaderMap;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

use crate::config::HttpSection;

/// Descriptors kept out of the connection budget: database connections, printer sockets,
/// static files, the blocking pool's work.
const RESERVE: usize = 128;
/// When the budget is this full (in percent), an address that already holds
/// `CROWDED_PER_ADDRESS` connections gets no more, so screens and kiosks at their own
/// addresses still find room.
const CROWDED_PERCENT: usize = 75;
const CROWDED_PER_ADDRESS: usize = 4;

/// Raise the soft descriptor limit to the hard one; returns the soft limit now in force.
pub fn raise_fd_limit() -> std::io::Result<u64> {
    rlimit::increase_nofile_limit(u64::MAX)
}

/// The connections the process may hold, from the config or its descriptor limit.
fn budget(cfg: &HttpSection) -> usize {
    if cfg.max_connections > 0 {
        return cfg.max_connections;
    }
    let soft = rlimit::Resource::NOFILE.get().map_or(1024, |(soft, _)| {
        usize::try_from(soft).unwrap_or(usize::MAX)
    });
    soft.saturating_sub(RESERVE).max(64)
}

/// Who holds how many connections.
pub struct Admission {
    budget: usize,
    per_address: usize,
    trusted: Vec<IpAddr>,
    held: Mutex<(usize, HashMap<IpAddr, usize>)>,
}

/// One admitted connection; gives its place back when dropped.
pub struct Slot {
    admission: Arc<Admission>,
    ip: IpAddr,
}

impl Admission {
    pub fn new(cfg: &HttpSection) -> Arc<Admission> {
        Arc::new(Admission {
            budget: budget(cfg),
            per_address: cfg.max_connections_per_address.max(1),
            trusted: cfg.trusted_proxies.clone(),
            held: Mutex::new((0, HashMap::new())),
        })
    }

    /// A place for a connection from `ip`, or None when it must be closed at once.
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Option<Slot> {
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        let (total, by_ip) = &mut *held;
        if *total >= self.budget {
            return None;
        }
        let mine = by_ip.get(&ip).copied().unwrap_or(0);
        if !self.trusted.contains(&ip) {
            let crowded = *total * 100 >= self.budget * CROWDED_PERCENT;
            if mine >= self.per_address || (crowded && mine >= CROWDED_PER_ADDRESS) {
                return None;
            }
        }
        *total += 1;
        by_ip.insert(ip, mine + 1);
        Some(Slot {
            admission: Arc::clone(self),
            ip,
        })
    }

    /// Connections held now (all addresses).
    pub fn held(&self) -> usize {
        self.held.lock().unwrap_or_else(|p| p.into_inner()).0
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut held = self
            .admission
            .held
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let (total, by_ip) = &mut *held;
        *total = total.saturating_sub(1);
        if let Some(n) = by_ip.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                by_ip.remove(&self.ip);
            }
        }
    }
}

/// A socket that keeps its slot for as long as it is open, also after an upgrade to a
/// websocket (hyper hands the socket on; the slot goes with it).
struct Counted {
    stream: TcpStream,
    _slot: Slot,
}

impl AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

/// Serve `app` on `listener` until `shutdown` resolves, then let requests in flight finish
/// (at most `GRACE`).
pub async fn serve(
    listener: TcpListener,
    app: axum::Router,
    cfg: &HttpSection,
    tls: Option<Arc<tokio_rustls::rustls::ServerConfig>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    const GRACE: Duration = Duration::from_secs(10);
    // Over HTTPS, browsers are told to use nothing else for this host (ignored for bare IPs).
    let app = match &tls {
        Some(_) => app.layer(
            tower_http::set_header::SetResponseHeaderLayer::if_not_present(
                axum::http::header::STRICT_TRANSPORT_SECURITY,
                axum::http::HeaderValue::from_static("max-age=31536000"),
            ),
        ),
        None => app,
    };
    let tls = tls.map(tokio_rustls::TlsAcceptor::from);
    let admission = Admission::new(cfg);
    // Every connection holds a slot until it closes, event streams included (see `Counted`).
    let trimmer = crate::heap::enabled().then(|| {
        let admission = Arc::clone(&admission);
        tokio::spawn(crate::heap::trim_after_bursts(move || admission.held()))
    });
    let header_timeout = Duration::from_secs(cfg.header_timeout_secs.max(1));
    // Each connection task holds a sender: when all are dropped, every connection is done.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let (alive_tx, mut alive_rx) = tokio::sync::mpsc::channel::<()>(1);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of descriptors or a connection reset before accept: wait a moment
                    // instead of spinning; the budget makes this rare.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Some(slot) = admission.admit(peer.ip()) else {
            tracing::debug!(%peer, "connection refused: over the cap");
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let counted = Counted {
            stream,
            _slot: slot,
        };
        let svc = tower_http::add_extension::AddExtension::new(app.clone(), ConnectInfo(peer));
        let stop = stop_rx.clone();
        let alive = alive_tx.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            let _alive = alive;
            match tls {
                None => serve_connection(counted, svc, header_timeout, stop, peer).await,
                Some(acceptor) => {
                    // The handshake is bounded like the headers: a silent or plain-HTTP client
                    // is closed, never served in clear.
                    match tokio::time::timeout(header_timeout, acceptor.accept(counted)).await {
                        Ok(Ok(io)) => serve_connection(io, svc, header_timeout, stop, peer).await,
                        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                }
            }
        });
    }
    drop(listener);
    if let Some(t) = trimmer {
        t.abort();
    }
    let _ = stop_tx.send(true);
    drop(alive_tx);
    if tokio::time::timeout(GRACE, alive_rx.recv()).await.is_err() {
        tracing::warn!("connections still open after the grace period");
    }
    Ok(())
}

/// Serve one connection over HTTP/1 (upgrades allowed) until it ends or the server stops.
async fn serve_connection<I>(
    io: I,
    svc: tower_http::add_extension::AddExtension<axum::Router, ConnectInfo<SocketAddr>>,
    header_timeout: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
    peer: SocketAddr,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .keep_alive(true)
        .serve_connection(TokioIo::new(io), TowerToHyperService::new(svc))
        .with_upgrades();
    let mut conn = std::pin::pin!(conn);
    let ended = tokio::select! {
        ended = conn.as_mut() => ended,
        () = async { let _ = stop.wait_for(|s| *s).await; } => {
            // Finish the request in flight, then close; idle connections close now.
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    if let Err(e) = ended {
        tracing::debug!(%peer, error = %e, "connection ended");
    }
}

/// The client's address: the socket peer, or for a trusted proxy the last address in
/// `X-Forwarded-For` that is not itself a trusted proxy.
pub fn client_ip(peer: SocketAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    let ip = peer.ip();
    if !trusted.contains(&ip) {
        return ip;
    }
    let hops: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map_while(|h| h.trim().parse::<IpAddr>().ok())
        .collect();
    hops.into_iter()
        .rev()
        .find(|h| !trusted.contains(h))
        .unwrap_or(ip)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(budget: usize, per_address: usize, trusted: &[&str]) -> HttpSection {
        HttpSection {
            trusted_proxies: trusted.iter().map(|t| t.parse().expect("ip")).collect(),
            max_connections: budget,
            max_connections_per_address: per_address,
            ..HttpSection::default()
        }
    }

    #[test]
    fn one_address_cannot_take_the_budget() {
        let a = Admission::new(&cfg(100, 10, &[]));
        let attacker: IpAddr = "10.0.0.66".parse().expect("ip");
        let slots: Vec<Slot> = (0..50).filter_map(|_| a.admit(attacker)).collect();
        assert_eq!(slots.len(), 10);
        let kiosk = a.admit("10.0.0.2".parse().expect("ip"));
        assert!(kiosk.is_some());
        drop(slots);
        assert_eq!(a.held(), 1);
        assert!(
            a.admit(attacker).is_some(),
            "places come back when sockets close"
        );
    }

    #[test]
    fn a_crowded_budget_keeps_room_for_new_addresses() {
        let a = Admission::new(&cfg(20, 10, &[]));
        let mut held = Vec::new();
        for n in 1..=3 {
            let ip: IpAddr = format!("10.0.1.{n}").parse().expect("ip");
            held.extend((0..10).filter_map(|_| a.admit(ip)));
        }
        // 10 + 5 until 75 % of 20 is reached; then nobody holding 4 gets another, so the
        // third address stops at 4 and a newcomer still finds a place.
        assert_eq!(held.len(), 10 + 5 + 4);
        let newcomer = a.admit("10.0.2.1".parse().expect("ip"));
        assert!(newcomer.is_some());
        assert!(
            a.admit("10.0.2.2".parse().expect("ip")).is_none(),
            "budget spent"
        );
    }

    #[test]
    fn forwarded_for_counts_only_from_trusted_proxies() {
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            "1.2.3.4, 10.0.0.9".parse().expect("value"),
        );
        let proxy: SocketAddr = "10.0.0.1:5000".parse().expect("addr");
        let stranger: SocketAddr = "10.0.0.7:5000".parse().expect("addr");
        let trusted: Vec<IpAddr> = vec!["10.0.0.1".parse().expect("ip")];
        assert_eq!(client_ip(stranger, &h, &trusted), stranger.ip());
        assert_eq!(client_ip(proxy, &h, &trusted).to_string(), "10.0.0.9");
        let two: Vec<IpAddr> = vec![proxy.ip(), "10.0.0.9".parse().expect("ip")];
        assert_eq!(client_ip(proxy, &h, &two).to_string(), "1.2.3.4");
        assert_eq!(client_ip(proxy, &HeaderMap::new(), &trusted), proxy.ip());
    }
}
