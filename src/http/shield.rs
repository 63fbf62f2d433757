//! Browser-facing defences applied to every request and reply: a cross-site check on
//! state-changing requests made with the session cookie, JSON-only request bodies, and the
//! security headers (CSP, framing, nosniff, referrer, no-store on API replies).
//! Knows no routes or roles; handlers and `auth.rs` decide who may do what.

use axum::extract::Request;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_LENGTH, CONTENT_SECURITY_POLICY, CONTENT_TYPE, COOKIE, HOST, ORIGIN,
    REFERRER_POLICY, TRANSFER_ENCODING, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::auth::COOKIE_NAME;
use super::error::ApiError;

/// What the screens need and nothing more: own scripts only (no inline script), inline
/// style attributes (the kiosk grid, chart boxes), QR codes and fonts as data: URLs, the
/// event websocket on the same origin, and never inside a frame.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
img-src 'self' data: blob:; media-src 'self' data: blob:; font-src 'self' data:; \
connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
frame-ancestors 'none'";

/// Check the request, run it, and add the security headers to whatever comes back.
pub async fn shield(req: Request, next: Next) -> Response {
    let refused = check(req.method(), req.headers()).err();
    let api = req.uri().path().starts_with("/api/");
    let mut res = match refused {
        Some(e) => e.into_response(),
        None => next.run(req).await,
    };
    let h = res.headers_mut();
    h.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // The phone page's address carries the ticket's capability: never pass it on.
    h.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    if api && !h.contains_key(CACHE_CONTROL) {
        h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

fn check(method: &Method, headers: &HeaderMap) -> Result<(), ApiError> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    if with_session_cookie(headers) && cross_site(headers) {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "cross_site_request"));
    }
    if !json_or_empty(headers) {
        return Err(ApiError::bad_input("json_content_type", &[]));
    }
    Ok(())
}

/// A browser sends the cookie by itself; a bearer token it never adds on its own.
fn with_session_cookie(headers: &HeaderMap) -> bool {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .any(|c| c.trim().starts_with(&format!("{COOKIE_NAME}=")))
}

/// Whether the browser says the request came from another origin (another site, or another
/// port of this host). Clients that send neither header are not browsers and carry no
/// ambient cookie of a victim.
fn cross_site(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return !matches!(site.as_bytes(), b"same-origin" | b"none");
    }
    let Some(origin) = headers.get(ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let host = headers
        .get(HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let bare = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"));
    bare != Some(host)
}

/// A body, if any, must be JSON: forms and plain text (what a cross-site page can send
/// without asking) are refused.
fn json_or_empty(headers: &HeaderMap) -> bool {
    match headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) {
        Some(ct) => {
            let essence = ct.split(';').next().unwrap_or("").trim();
            // A clerk's photo goes up as itself (`image/*`): like JSON, no plain HTML form
            // can send that type across sites.
            essence.eq_ignore_ascii_case("application/json")
                || essence
                    .get(..6)
                    .is_some_and(|p| p.eq_ignore_ascii_case("image/"))
        }
        None => {
            let empty = headers
                .get(CONTENT_LENGTH)
                .is_none_or(|v| v.as_bytes() == b"0");
            empty && !headers.contains_key(TRANSFER_ENCODING)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn cookie_requests_from_another_origin_are_refused() {
        let cookie = ("cookie", "hallq_session=abc");
        let cases = [
            (vec![cookie, ("sec-fetch-site", "same-site")], false),
            (vec![cookie, ("sec-fetch-site", "cross-site")], false),
            (vec![cookie, ("sec-fetch-site", "same-origin")], true),
            (
                vec![
                    cookie,
                    ("host", "hall:8080"),
                    ("origin", "http://hall:9999"),
                ],
                false,
            ),
            (
                vec![
                    cookie,
                    ("host", "hall:8080"),
                    ("origin", "http://hall:8080"),
                ],
                true,
            ),
            (vec![cookie], true),
            // A bearer token is never sent by a browser on its own.
            (vec![("sec-fetch-site", "cross-site")], true),
        ];
        for (h, ok) in cases {
            let got = check(&Method::POST, &headers(&h));
            assert_eq!(got.is_ok(), ok, "{h:?}");
        }
        let h = headers(&[cookie, ("sec-fetch-site", "cross-site")]);
        assert!(
            check(&Method::GET, &h).is_ok(),
            "reads are not state changes"
        );
    }

    #[test]
    fn bodies_must_be_json() {
        let cases = [
            (vec![("content-type", "application/json")], true),
            (
                vec![("content-type", "application/json; charset=utf-8")],
                true,
            ),
            (vec![], true),
            (vec![("content-length", "0")], true),
            (
                vec![("content-type", "application/x-www-form-urlencoded")],
                false,
            ),
            (vec![("content-type", "text/plain")], false),
            (
                vec![("content-type", "multipart/form-data; boundary=x")],
                false,
            ),
            (vec![("content-length", "12")], false),
        ];
        for (h, ok) in cases {
            assert_eq!(check(&Method::DELETE, &headers(&h)).is_ok(), ok, "{h:?}");
        }
    }
}
