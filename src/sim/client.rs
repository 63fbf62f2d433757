//! The simulator's HTTP client: one keep-alive HTTP/1.1 connection per simulated device (a
//! kiosk, a clerk's console, a phone), on hyper's client connection, so replies are read as
//! HTTP says (chunked or sized). The benches of the `hallq-bench` member drive the hall with
//! it too. It talks only to the address it is given.

use std::net::SocketAddr;

use anyhow::Context;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;

/// One connection to a hall, as one device keeps it open (and opens again when the server
/// closed it while idle, as a browser does).
pub struct Client {
    sender: SendRequest<Full<Bytes>>,
    addr: SocketAddr,
}

impl Client {
    /// Connect to `addr` (no Nagle delay: every request is one small write).
    pub async fn connect(addr: SocketAddr) -> anyhow::Result<Client> {
        let stream = tokio::net::TcpStream::connect(addr)
            .await
            .with_context(|| format!("connecting to {addr}"))?;
        stream.set_nodelay(true)?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        // The connection's IO runs beside the requests; it ends when the sender is dropped.
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(Client { sender, addr })
    }

    /// Send one request, return (status, body). An empty `token` sends no credentials (a
    /// citizen's phone). The body is JSON (an empty one for commands without fields).
    pub async fn request(
        &mut self,
        method: &str,
        path: &str,
        token: &str,
        body: &str,
    ) -> anyhow::Result<(u16, String)> {
        let mut req = hyper::Request::builder()
            .method(method)
            .uri(path)
            .header(hyper::header::HOST, self.addr.to_string())
            .header(hyper::header::CONTENT_TYPE, "application/json");
        if !token.is_empty() {
            req = req.header(hyper::header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let req = req.body(Full::new(Bytes::copy_from_slice(body.as_bytes())))?;
        // The server closes a connection idle past its header timeout: nothing was sent on it,
        // so a new one carries the request.
        if self.sender.is_closed() || self.sender.ready().await.is_err() {
            *self = Client::connect(self.addr).await?;
        }
        let res = self.sender.send_request(req).await?;
        let status = res.status().as_u16();
        let bytes = res.into_body().collect().await?.to_bytes();
        Ok((status, String::from_utf8_lossy(&bytes).into_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_chunked_reply_is_read_whole() {
        // A reply of unknown length goes out chunked; the old hand-written client read none.
        let parts = ["{\"a\":", "\"chunked\"", "}"];
        let app = axum::Router::new().route(
            "/chunked",
            axum::routing::get(move || async move {
                axum::body::Body::from_stream(futures_util::stream::iter(
                    parts.map(|p| Ok::<_, std::io::Error>(p.to_string())),
                ))
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let server = tokio::spawn(async move { axum::serve(listener, app).await });
        let mut client = Client::connect(addr).await.expect("connect");
        for _ in 0..2 {
            let (status, body) = client
                .request("GET", "/chunked", "", "")
                .await
                .expect("reply");
            assert_eq!((status, body.as_str()), (200, "{\"a\":\"chunked\"}"));
        }
        let (status, _) = client
            .request("GET", "/nowhere", "", "")
            .await
            .expect("404");
        assert_eq!(status, 404);
        server.abort();
    }

    #[tokio::test]
    async fn a_connection_the_server_closed_while_idle_is_opened_again() {
        // A server that answers one request per connection, then closes it.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let server = tokio::spawn(async move {
            let app = axum::Router::new().route("/", axum::routing::get(|| async { "hi" }));
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let svc = hyper_util::service::TowerToHyperService::new(app.clone());
                let conn = hyper::server::conn::http1::Builder::new()
                    .keep_alive(false)
                    .serve_connection(TokioIo::new(stream), svc);
                tokio::spawn(conn);
            }
        });
        let mut client = Client::connect(addr).await.expect("connect");
        for _ in 0..3 {
            let (status, body) = client.request("GET", "/", "", "").await.expect("reply");
            assert_eq!((status, body.as_str()), (200, "hi"));
            // Let the close reach the client, as an idle timeout's would.
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        server.abort();
    }
}
