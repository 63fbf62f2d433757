//! The event websocket: a snapshot (or a replay from `since`), then every committed event in
//! order. Anonymous clients and devices get the public projection, `?audience=staff` with a
//! staff session the staff one (`domain::audience` owns both and the `seq`/`prev` scheme).
//! A client that falls behind gets a fresh snapshot; one that stops reading is closed; dead
//! sockets are reaped by ping/pong.

use std::future::Future;
use std::task::Poll;
use std::time::Duration;

use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade, close_code};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;

use super::AppState;
use super::auth::Principal;
use super::error::{ApiError, Query};
use super::openapi::ErrorBody;
use crate::domain::audience::{self, Audience};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Most events replayed to a reconnecting client; further back it gets a snapshot.
pub const MAX_REPLAY: usize = 10_000;
/// A send that takes longer than this means the client stopped reading.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the close frame may take to leave.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);
/// Ping period; a client silent for two periods is gone.
const PING_EVERY: Duration = Duration::from_secs(20);

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(open_events))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct EventsQuery {
    /// Replay the events after this `seq` instead of a snapshot (when still retained).
    since: Option<u64>,
    /// `staff` asks for the staff projection (a staff session is needed); default `public`.
    #[param(inline)]
    audience: Option<Audience>,
}

/// The live event stream (WebSocket): a snapshot (or a replay after `since`), then every
/// committed change in order, projected for the audience: public without credentials or with a
/// display token, staff with `?audience=staff` and a staff session. A plain GET without the
/// WebSocket upgrade is refused with 400.
#[utoipa::path(get, path = "/api/v1/events", tag = "events", operation_id = "openEvents",
    params(EventsQuery),
    security((), ("bearer" = []), ("cookie" = [])),
    responses(
        (status = 101, description = "Switching to the WebSocket; text frames of JSON follow, the first a snapshot", body = crate::domain::view::Snapshot),
        (status = 400, description = "Not a WebSocket upgrade, or a bad parameter (`bad_request`)", body = ErrorBody),
        (status = 401, description = "`audience=staff` without a session (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "`audience=staff` with a device token (`forbidden`)", body = ErrorBody),
        (status = 503, description = "Every stream slot is taken (`too_many_connections`)", body = ErrorBody),
    ))]
async fn open_events(
    State(st): State<AppState>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    headers: axum::http::HeaderMap,
    Query(q): Query<EventsQuery>,
    who: Result<Principal, ApiError>,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    let audience = q.audience.unwrap_or(Audience::Public);
    // A stale cookie must not cost a phone or a wall screen its public stream.
    let who = match (audience, who) {
        (Audience::Staff, Err(e)) => return Err(e),
        (Audience::Staff, Ok(p @ Principal::Staff { .. })) => Some(p),
        (Audience::Staff, Ok(Principal::Device { .. })) => return Err(ApiError::forbidden()),
        (Audience::Public, who) => who.ok(),
    };
    let ws = ws.map_err(|e| ApiError::bad_input("websocket", &[&e.body_text()]))?;
    let full = || ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "too_many_connections");
    // Anonymous clients also take one of their own slots, so they can never fill the slots
    // that registered screens and staff rely on, and one address takes only its share of those.
    let anonymous = match who {
        Some(_) => None,
        None => {
            let ip = crate::net::client_ip(peer, &headers, &st.settings.trusted_proxies);
            let place = st.ws_per_address.take(ip).ok_or_else(|| {
                tracing::warn!(addr = %ip, "anonymous event streams per address: share taken");
                ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too_many_streams")
            })?;
            let slot = st
                .ws_anonymous_slots
                .clone()
                .try_acquire_owned()
                .map_err(|_| full())?;
            Some((place, slot))
        }
    };
    let slot = st
        .ws_slots
        .clone()
        .try_acquire_owned()
        .map_err(|_| full())?;
    // Screens send next to nothing: small buffers keep hundreds of them cheap (tungstenite
    // allocates 128 KiB read and write buffers per socket by default).
    Ok(ws
        .read_buffer_size(4 * 1024)
        .write_buffer_size(8 * 1024)
        .on_upgrade(move |socket| async move {
            stream_events(socket, st, q.since, audience).await;
            drop((slot, anonymous));
        })
        .into_response())
}

/// Why a stream ended; only for the log.
#[derive(Debug)]
enum End {
    ClientGone,
    SendTimeout,
    EngineStopped,
    ServerClosing,
}

async fn send(socket: &mut WebSocket, text: String) -> Result<(), End> {
    let mut sending = std::pin::pin!(socket.send(Message::Text(text.into())));
    // Most sends complete at once (room in the socket buffer): no timer for those. Thousands
    // of screens times every event would otherwise each arm and disarm one.
    let first = std::future::poll_fn(|cx| Poll::Ready(sending.as_mut().poll(cx))).await;
    let sent = match first {
        Poll::Ready(r) => r,
        Poll::Pending => match tokio::time::timeout(SEND_TIMEOUT, sending).await {
            Ok(r) => r,
            Err(_) => return Err(End::SendTimeout),
        },
    };
    sent.map_err(|_| End::ClientGone)
}

/// Send a fresh snapshot, projected for `audience`; returns its `seq`.
async fn send_snapshot(
    socket: &mut WebSocket,
    st: &AppState,
    audience: Audience,
) -> Result<u64, End> {
    let opts = st.engine.public_options();
    let (seq, json) = st.engine.read(move |h, now, seq| {
        let snap = h.snapshot(seq, now);
        (seq, audience::snapshot_json(&snap, audience, opts))
    });
    let json = json.map_err(|_| End::EngineStopped)?;
    send(socket, json).await?;
    Ok(seq)
}

/// Replay what `audience` is owed after `since` from the log; `None` when a snapshot must be
/// sent instead. Returns the last seq looked at, sent or not.
async fn replay(
    socket: &mut WebSocket,
    st: &AppState,
    since: u64,
    audience: Audience,
) -> Result<Option<u64>, End> {
    let last = st.engine.read(|_, _, seq| seq);
    if since > last {
        return Ok(None); // a client of another database, or from the future
    }
    let reader = st.reader.clone();
    let events =
        tokio::task::spawn_blocking(move || reader.events_since(since, MAX_REPLAY + 1)).await;
    let Ok(Ok(events)) = events else {
        return Ok(None);
    };
    if events.len() > MAX_REPLAY || events.first().is_some_and(|e| e.seq != since + 1) {
        return Ok(None);
    }
    // The client holds everything up to `since`: that is a true `prev` for the first frame.
    let (mut at, mut prev) = (since, since);
    let opts = st.engine.public_options();
    for e in events {
        match audience::frame_json(&e, audience, prev, opts) {
            Some(Ok(json)) => {
                send(socket, json).await?;
                prev = e.seq;
            }
            Some(Err(_)) => return Ok(None),
            None => {}
        }
        at = e.seq;
    }
    Ok(Some(at))
}

async fn stream_events(
    mut socket: WebSocket,
    st: AppState,
    since: Option<u64>,
    audience: Audience,
) {
    let end = run_stream(&mut socket, &st, since, audience).await;
    tracing::debug!(?end, "event stream closed");
    let close = match end {
        End::ServerClosing | End::EngineStopped => Some(CloseFrame {
            code: close_code::AWAY,
            reason: "server restarting".into(),
        }),
        End::SendTimeout => Some(CloseFrame {
            code: close_code::POLICY,
            reason: "too slow".into(),
        }),
        End::ClientGone => None,
    };
    // Bounded, and short: a client that stopped reading has no room for the close frame
    // either, and its slot, buffers and address share are only given back once this ends.
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, socket.send(Message::Close(close))).await;
}

async fn run_stream(
    socket: &mut WebSocket,
    st: &AppState,
    since: Option<u64>,
    audience: Audience,
) -> End {
    // Subscribe first, then snapshot or replay: nothing committed in between is missed,
    // and anything seen twice is dropped by its seq.
    let mut rx = st.engine.subscribe();
    let start = match since {
        Some(s) => match replay(socket, st, s, audience).await {
            Ok(Some(at)) => Ok(at),
            Ok(None) => send_snapshot(socket, st, audience).await,
            Err(e) => Err(e),
        },
        None => send_snapshot(socket, st, audience).await,
    };
    let mut last = match start {
        Ok(s) => s,
        Err(e) => return e,
    };
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    let mut heard = true;
    let mut closing = st.closing.clone();
    if *closing.borrow_and_update() {
        return End::ServerClosing;
    }
    loop {
        tokio::select! {
            _ = closing.changed() => return End::ServerClosing,
            got = rx.recv() => match got {
                Ok(frame) => {
                    if frame.seq <= last {
                        continue;
                    }
                    if frame.seq != last + 1 {
                        // Should not happen (one writer, in order); recover with a snapshot.
                        match send_snapshot(socket, st, audience).await {
                            Ok(s) => { last = s; continue; }
                            Err(e) => return e,
                        }
                    }
                    // `last` moves on for every seq, sent or not: the next gap check stays exact.
                    if let Some(json) = frame.for_audience(audience)
                        && let Err(e) = send(socket, json.clone()).await
                    {
                        return e;
                    }
                    last = frame.seq;
                }
                Err(RecvError::Lagged(_)) => match send_snapshot(socket, st, audience).await {
                    Ok(s) => last = s,
                    Err(e) => return e,
                },
                Err(RecvError::Closed) => return End::EngineStopped,
            },
            msg = socket.recv() => match msg {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return End::ClientGone,
                Some(Ok(_)) => heard = true,
            },
            _ = ping.tick() => {
                if !heard {
                    return End::ClientGone;
                }
                heard = false;
                if tokio::time::timeout(SEND_TIMEOUT, socket.send(Message::Ping(Vec::new().into()))).await.is_err() {
                    return End::SendTimeout;
                }
            }
        }
    }
}
