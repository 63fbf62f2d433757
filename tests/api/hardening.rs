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
    let hall = TestHall::spawn_with(&with_http(
        "max_connections = 1000\nmax_connections_per_address = 16",
    ))
    .await;
    let mut flood = Vec::new();
    for _ in 0..2_000 {
        let mut s = connect_from("127.0.0.66", hall.addr)
            .await
            .expect("the kernel accepts the handshake");
        // Half a request, never finished.
        let _ = s
            .write_all(b"GET /api/v1/hall HTTP/1.1\r\nHost: hall\r\n")
            .await;
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
    assert!(
        closed_within(&mut half, wait).await,
        "half-sent headers held"
    );
    assert!(closed_within(&mut idle, wait).await, "idle keep-alive held");
    assert!(
        closed_within(&mut silent, wait).await,
        "silent connection held"
    );
}

/// A login from the loopback address `from`: (status, body).
async fn login_from(
    hall: &TestHall,
    from: &str,
    username: &str,
    password: &str,
) -> (u16, serde_json::Value) {
    let client = reqwest::Client::builder()
        .local_address(from.parse::<std::net::IpAddr>().expect("loopback address"))
        .build()
        .expect("client");
    let r = client
        .post(format!("{}/api/v1/session", hall.base))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .expect("login answered");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or_default())
}

#[tokio::test]
async fn parallel_guesses_get_five_checks_and_strangers_cannot_lock_the_owner_out() {
    let hall = TestHall::spawn().await;
    // 30 guesses at once from one address (under its connection cap): exactly five are
    // checked, the rest wait.
    let guesses = (0..30).map(|_| login_from(&hall, "127.0.0.66", "clerk1", "wrong-wrong"));
    let answers = futures_util::future::join_all(guesses).await;
    let checked = answers.iter().filter(|(s, _)| *s == 401).count();
    let refused = answers.iter().filter(|(s, _)| *s == 429).count();
    assert_eq!((checked, refused), (5, 25), "{answers:?}");
    // Guesses from many more addresses drain the account's brake ...
    for n in 67..90 {
        for _ in 0..3 {
            login_from(&hall, &format!("127.0.0.{n}"), "clerk1", "wrong-wrong").await;
        }
    }
    let (s, _) = login_from(&hall, "127.0.0.67", "clerk1", PASSWORD).await;
    assert_eq!(
        s, 429,
        "an address that failed is braked, even with the right password"
    );
    // ... but the clerk at their own console, with no failures, signs in at once.
    let (s, body) = login_from(&hall, "127.0.0.1", "clerk1", PASSWORD).await;
    assert_eq!(s, 200, "{body}");
}

#[tokio::test]
async fn forwarded_for_is_believed_only_from_a_trusted_proxy() {
    let hall = TestHall::spawn_with(&with_http("trusted_proxies = [\"127.0.0.1\"]")).await;
    let guess = |from: &'static str, claimed: &'static str| {
        let hall = &hall;
        async move {
            let client = reqwest::Client::builder()
                .local_address(from.parse::<std::net::IpAddr>().expect("ip"))
                .build()
                .expect("client");
            client
                .post(format!("{}/api/v1/session", hall.base))
                .header("x-forwarded-for", claimed)
                .json(&json!({"username": "clerk2", "password": "wrong-wrong"}))
                .send()
                .await
                .expect("answered")
                .status()
                .as_u16()
        }
    };
    // A stranger cannot dodge the throttle by claiming new addresses.
    let mut stranger = Vec::new();
    // Forged X-Forwarded-For values (loopback ones: no test names an address beyond it).
    for claimed in ["127.9.0.1", "127.9.0.2", "127.9.0.3", "127.9.0.4"] {
        stranger.push(guess("127.0.0.66", claimed).await);
        stranger.push(guess("127.0.0.66", claimed).await);
    }
    assert_eq!(
        stranger.iter().filter(|s| **s == 429).count(),
        3,
        "{stranger:?}"
    );
    // Through the proxy, each citizen behind it is counted on their own: one failing
    // address does not hold back another.
    for _ in 0..6 {
        guess("127.0.0.1", "127.9.9.9").await;
    }
    assert_eq!(guess("127.0.0.1", "127.9.9.9").await, 429);
    assert_eq!(
        guess("127.0.0.1", "127.9.9.10").await,
        401,
        "another client is still checked"
    );
}

#[tokio::test]
async fn a_page_on_another_port_cannot_act_through_an_admins_browser() {
    let hall = TestHall::spawn().await;
    let admin = hall.login("admin").await;
    let cookie = format!("hallq_session={admin}");
    // What a browser sends for a form or fetch from http://same-host:9999 to the hall.
    let forged = hall
        .http
        .post(format!("{}/api/v1/users/clerk1/disable", hall.base))
        .header("cookie", &cookie)
        .header("sec-fetch-site", "same-site")
        .header("origin", "http://127.0.0.1:9999")
        .send()
        .await
        .expect("answered");
    assert_eq!(forged.status().as_u16(), 403);
    let by_origin = hall
        .http
        .post(format!("{}/api/v1/session", hall.base))
        .header("cookie", &cookie)
        .header("origin", "http://127.0.0.1:9999")
        .json(&json!({"username": "clerk1", "password": PASSWORD}))
        .send()
        .await
        .expect("answered");
    assert_eq!(by_origin.status().as_u16(), 403);
    // A form post, even from the same origin, is refused: bodies are JSON only.
    let form = hall
        .http
        .post(format!("{}/api/v1/session", hall.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("username=clerk1&password=test-password")
        .send()
        .await
        .expect("answered");
    assert_eq!(form.status().as_u16(), 400);
    // Nothing was changed: clerk1 still signs in.
    hall.login("clerk1").await;
    // The admin's own console (same origin) still works with the cookie.
    let own = hall
        .http
        .get(format!("{}/api/v1/session", hall.base))
        .header("cookie", &cookie)
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .expect("answered");
    assert_eq!(own.status().as_u16(), 200);
}

#[tokio::test]
async fn every_page_forbids_framing_and_staff_replies_are_not_stored() {
    let hall = TestHall::spawn().await;
    let m = hall.login("manager").await;
    for path in [
        "/kiosk/",
        "/display/",
        "/staff/",
        "/api/v1/hall",
        "/nowhere",
    ] {
        let r = hall
            .http
            .get(format!("{}{path}", hall.base))
            .send()
            .await
            .expect("answered");
        let h = r.headers();
        let csp = h["content-security-policy"].to_str().expect("ascii");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
    }
    let r = hall
        .http
        .get(format!("{}/api/v1/audit", hall.base))
        .bearer_auth(&m)
        .send()
        .await
        .expect("answered");
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
}

#[tokio::test]
async fn end_of_time_dates_and_bad_logouts_are_refused_cleanly() {
    let hall = TestHall::spawn().await;
    let m = hall.login("manager").await;
    let a = hall.login("admin").await;
    for (path, who) in [
        ("/api/v1/audit?day=9999-12-31", &a),
        ("/api/v1/reports/waits?from=9999-12-30&to=9999-12-31", &m),
    ] {
        let got = hall.get(path, Some(who)).await;
        assert_error(&got, 422, "invalid_date");
    }
    let got = hall
        .send(
            reqwest::Method::DELETE,
            "/api/v1/session",
            Some("not-a-session"),
            None,
        )
        .await;
    assert_error(&got, 401, "unauthenticated");
}

/// A storm of failed logins from many addresses at once (each within its throttle, names both
/// real and unknown, so every one costs an Argon2 check): at most two checks run at a time and
/// reuse their memory, so the server's peak resident size grows by a few tens of MB, not by
/// 19 MiB a guess (the review saw 32 MB → 1 GB), and the owner still logs in. A child process,
/// so the figures are the server's alone.
#[tokio::test]
async fn a_login_storm_keeps_memory_flat_and_the_owner_gets_in() {
    let (_dir, mut child, base, pid) = crate::streams::shipped_server().await;
    let login = |from: std::net::IpAddr, username: String, password: &'static str| {
        let base = base.clone();
        async move {
            let client = reqwest::Client::builder()
                .local_address(from)
                .build()
                .expect("client");
            client
                .post(format!("{base}/api/v1/session"))
                .json(&json!({"username": username, "password": password}))
                .send()
                .await
                .expect("login answered")
                .status()
                .as_u16()
        }
    };
    // Warm up: one check of each kind has run (the checker threads' memory is in place).
    let local: std::net::IpAddr = "127.0.0.1".parse().expect("ip");
    assert_eq!(login(local, "manager".into(), "hallq-demo").await, 200);
    assert_eq!(login(local, "nobody".into(), "wrong-wrong").await, 401);
    let before = crate::streams::rss_kib(pid);
    // The peak, sampled while the storm runs (VmHWM may still hold the start-up's peak).
    let (done, mut finished) = tokio::sync::watch::channel(false);
    let sampler = tokio::spawn(async move {
        let mut peak = 0;
        while !*finished.borrow_and_update() {
            peak = peak.max(crate::streams::rss_kib(pid));
            let _ = tokio::time::timeout(Duration::from_millis(5), finished.changed()).await;
        }
        peak
    });
    let n = 120;
    let storm = (0..n).map(|i| {
        let from = std::net::IpAddr::from([127, 0, 9, 1 + (i % 200) as u8]);
        let name = if i % 2 == 0 {
            "clerk1".to_string()
        } else {
            format!("guess{i}")
        };
        login(from, name, "wrong-wrong")
    });
    let answers = futures_util::future::join_all(storm).await;
    let checked = answers.iter().filter(|&&s| s == 401).count();
    let _ = done.send(true);
    let peak = sampler.await.expect("sampler");
    println!("{n} failed logins at once ({checked} checked): peak RSS {before} -> {peak} KiB");
    assert!(
        checked >= n / 2,
        "the storm was checked, not only refused: {answers:?}"
    );
    assert!(
        peak < before + 64 * 1024,
        "peak resident size grew by {} KiB during {checked} failed checks",
        peak - before
    );
    // The owner, from an address with no failures, gets in at once.
    assert_eq!(login(local, "manager".into(), "hallq-demo").await, 200);
    let _ = child.kill().await;
}
