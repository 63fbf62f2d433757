//! The screens' static files (kiosk-ui/, display-ui/, staff-ui/), embedded in release builds
//! and read from disk in debug builds. Text is served as UTF-8; every file has an ETag so
//! screens revalidate cheaply and pick up a new version after an upgrade.

use std::sync::LazyLock;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH, LOCATION};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rust_embed::RustEmbed;

use super::AppState;
use super::error::{ApiError, Path};

#[derive(RustEmbed)]
#[folder = "kiosk-ui/"]
struct KioskUi;

#[derive(RustEmbed)]
#[folder = "display-ui/"]
struct DisplayUi;

#[derive(RustEmbed)]
#[folder = "staff-ui/"]
struct StaffUi;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { redirect("/kiosk/") }))
        .route("/kiosk", get(|| async { redirect("/kiosk/") }))
        .route("/display", get(|| async { redirect("/display/") }))
        .route("/staff", get(|| async { redirect("/staff/") }))
        .route(
            "/kiosk/",
            get(|h: HeaderMap| async move { serve::<KioskUi>("index.html", &h) }),
        )
        .route(
            "/display/",
            get(|h: HeaderMap| async move { serve::<DisplayUi>("index.html", &h) }),
        )
        .route(
            "/staff/",
            get(|h: HeaderMap| async move { serve::<StaffUi>("index.html", &h) }),
        )
        .route("/kiosk/{*path}", get(kiosk_file))
        .route("/display/{*path}", get(display_file))
        .route("/staff/{*path}", get(staff_file))
        // The phone page behind a slip's QR code.
        .route(
            "/t/{token}",
            get(|h: HeaderMap| async move { serve::<KioskUi>("ticket.html", &h) }),
        )
        // APPOINTMENTS HOOK (issue 15): the phone booking page and a booking's own page.
        .route("/book", get(|| async { redirect("/book/") }))
        .route(
            "/book/",
            get(|h: HeaderMap| async move { serve::<KioskUi>("book.html", &h) }),
        )
        .route(
            "/a/{token}",
            get(|h: HeaderMap| async move { serve::<KioskUi>("book.html", &h) }),
        )
}

fn redirect(to: &'static str) -> Response {
    (StatusCode::FOUND, [(LOCATION, to)]).into_response()
}

async fn kiosk_file(Path(path): Path<String>, req: Request) -> Response {
    serve::<KioskUi>(&path, req.headers())
}

async fn display_file(
    State(st): State<AppState>,
    Path(path): Path<String>,
    req: Request,
) -> Response {
    if let (Some(dir), Some(name)) = (&st.voice_pack, path.strip_prefix("voice/")) {
        return voice_file(dir, name, req.headers()).await;
    }
    serve::<DisplayUi>(&path, req.headers())
}

/// A file of the recorded voice pack (`[voice] pack`), read from disk.
async fn voice_file(dir: &std::path::Path, name: &str, headers: &HeaderMap) -> Response {
    // Plain file names only: nothing outside the pack folder is ever served.
    let plain = !name.is_empty()
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if !plain {
        return ApiError::not_found().with(name.to_string()).into_response();
    }
    let path = dir.join(name);
    let Ok(Ok(data)) = tokio::task::spawn_blocking(move || std::fs::read(path)).await else {
        return ApiError::not_found().with(name.to_string()).into_response();
    };
    let etag = {
        use sha2::{Digest, Sha256};
        format!(
            "\"{}\"",
            crate::domain::hall::hex(&Sha256::digest(&data)[..12])
        )
    };
    let mime = match name.rsplit('.').next() {
        Some("json") => "application/json",
        Some("ogg" | "opus" | "oga") => "audio/ogg",
        Some("mp3") => "audio/mpeg",
        Some("wav") => "audio/wav",
        Some("flac") => "audio/flac",
        Some("m4a") => "audio/mp4",
        _ => "application/octet-stream",
    };
    respond(data, mime, etag, headers)
}

async fn staff_file(Path(path): Path<String>, req: Request) -> Response {
    // Staff pages are a single-page app: unknown paths without an extension get index.html.
    let file =
        if StaffUi::get(&path).is_none() && !path.rsplit('/').next().unwrap_or("").contains('.') {
            "index.html"
        } else {
            path.as_str()
        };
    serve::<StaffUi>(file, req.headers())
}

fn serve<E: RustEmbed>(path: &str, headers: &HeaderMap) -> Response {
    let path = if path.is_empty() || path.ends_with('/') {
        format!("{path}index.html")
    } else {
        path.to_string()
    };
    let Some(file) = E::get(&path) else {
        return ApiError::not_found().with(path).into_response();
    };
    let etag = format!(
        "\"{}\"",
        crate::domain::hall::hex(&file.metadata.sha256_hash()[..12])
    );
    respond(
        file.data.into_owned(),
        file.metadata.mimetype(),
        etag,
        headers,
    )
}

/// A file's bytes with its type (UTF-8 for text), ETag and revalidation.
fn respond(data: Vec<u8>, mime: &str, etag: String, headers: &HeaderMap) -> Response {
    if headers.get(IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        return (StatusCode::NOT_MODIFIED, [(ETAG, etag)]).into_response();
    }
    let content_type = if mime.starts_with("text/")
        || mime.contains("javascript")
        || mime.contains("json")
        || mime.contains("svg")
    {
        format!("{mime}; charset=utf-8")
    } else {
        mime.to_string()
    };
    let mut res = data.into_response();
    let h = res.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_str(&content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(ETAG, v);
    }
    res
}

/// A digest of every embedded file: screens reload themselves when it changes.
pub static UI_VERSION: LazyLock<String> = LazyLock::new(|| {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for (name, hash) in KioskUi::iter()
        .filter_map(|n| KioskUi::get(&n).map(|f| (n, f.metadata.sha256_hash())))
        .chain(
            DisplayUi::iter()
                .filter_map(|n| DisplayUi::get(&n).map(|f| (n, f.metadata.sha256_hash()))),
        )
        .chain(
            StaffUi::iter().filter_map(|n| StaffUi::get(&n).map(|f| (n, f.metadata.sha256_hash()))),
        )
    {
        h.update(name.as_bytes());
        h.update(hash);
    }
    crate::domain::hall::hex(&h.finalize()[..8])
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_voice_pack_has_every_clip_a_call_can_name() {
        let manifest = DisplayUi::get("voice/manifest.json").expect("voice/manifest.json");
        let manifest: serde_json::Value =
            serde_json::from_slice(&manifest.data).expect("manifest is JSON");
        for name in crate::domain::announce::vocabulary() {
            let file = manifest["clips"][&name]
                .as_str()
                .unwrap_or_else(|| panic!("the manifest names no clip {name}"));
            let clip = DisplayUi::get(&format!("voice/{file}"))
                .unwrap_or_else(|| panic!("voice/{file} is missing"));
            assert!(clip.data.len() > 1000, "{file} is too small to be a clip");
        }
    }
}
