//! A headless Chromium session per test, through a chromedriver of its own on a free port,
//! with one CJK font set visible to it (WenQuanYi Micro Hei by default, Noto Sans CJK with
//! `HALLQ_CJK_FONT=noto`; `.ci/test-all` runs the browser tests under both).

use std::process::Stdio;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub struct Browser {
    pub client: Client,
    _driver: Child,
    _profile: tempfile::TempDir,
}

/// The CJK font set a test run renders with: the other set is hidden from Chromium.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CjkFont {
    WenQuanYi,
    Noto,
}

impl CjkFont {
    /// The set chosen for this run: `HALLQ_CJK_FONT=noto|wqy` (default wqy).
    pub fn of_run() -> CjkFont {
        match std::env::var("HALLQ_CJK_FONT").as_deref() {
            Ok("noto") => CjkFont::Noto,
            Ok("wqy") | Ok("") | Err(_) => CjkFont::WenQuanYi,
            Ok(other) => panic!("HALLQ_CJK_FONT={other}: use noto or wqy"),
        }
    }

    /// The family fontconfig resolves Chinese sans-serif text to under this set.
    pub fn family(self) -> &'static str {
        match self {
            CjkFont::WenQuanYi => "WenQuanYi Micro Hei",
            CjkFont::Noto => "Noto Sans CJK SC",
        }
    }

    /// A fontconfig file: the system's configuration with the other CJK set's files rejected.
    fn fontconfig(self) -> String {
        let reject = match self {
            CjkFont::WenQuanYi => "<glob>*/NotoSansCJK*</glob><glob>*/NotoSerifCJK*</glob>",
            CjkFont::Noto => "<glob>*/wqy-*</glob>",
        };
        format!(
            r#"<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<fontconfig>
  <include ignore_missing="no">/etc/fonts/fonts.conf</include>
  <selectfont><rejectfont>{reject}</rejectfont></selectfont>
</fontconfig>
"#
        )
    }

    /// Suffix for screenshot names, so the two runs keep both pictures.
    fn suffix(self) -> &'static str {
        match self {
            CjkFont::WenQuanYi => "",
            CjkFont::Noto => "-noto",
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

impl Browser {
    /// Headless Chromium with a viewport of `width` x `height` CSS pixels.
    pub async fn start(width: u32, height: u32) -> Browser {
        let port = free_port();
        let profile = tempfile::tempdir().expect("profile dir");
        let fonts = profile.path().join("fonts.conf");
        std::fs::write(&fonts, CjkFont::of_run().fontconfig()).expect("write fonts.conf");
        let mut driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .env("FONTCONFIG_FILE", &fonts)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect(
                "chromedriver is installed (apt install chromium-driver; .ci/test-all does it)",
            );
        let mut lines = BufReader::new(driver.stdout.take().expect("stdout")).lines();
        tokio::time::timeout(Duration::from_secs(20), async {
            while let Some(l) = lines.next_line().await.expect("read chromedriver") {
                if l.contains("started successfully") {
                    return;
                }
            }
            panic!("chromedriver exited");
        })
        .await
        .expect("chromedriver starts within 20 s");
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });

        let args = vec![
            "--headless".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            // Host names resolve to nothing: the pages under test live on 127.0.0.1.
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost".into(),
            "--autoplay-policy=no-user-gesture-required".into(),
            "--lang=zh-CN".into(),
            format!("--window-size={width},{height}"),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({"binary": "/usr/bin/chromium", "args": args}),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a Chromium session");
        // --window-size sets the outer window; make the viewport exact.
        let chrome = client
            .execute("return [window.outerWidth - window.innerWidth, window.outerHeight - window.innerHeight]", vec![])
            .await
            .ok()
            .and_then(|v| Some((v[0].as_u64()? as u32, v[1].as_u64()? as u32)));
        if let Some((dw, dh)) = chrome {
            client
                .set_window_size(width + dw, height + dh)
                .await
                .expect("resize window");
        }
        Browser {
            client,
            _driver: driver,
            _profile: profile,
        }
    }

    /// Poll `script` (a JS expression) until it is truthy, up to `secs` seconds; returns its value.
    pub async fn wait_for(&self, script: &str, secs: u64) -> serde_json::Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let v = self
                .client
                .execute(&format!("return ({script});"), vec![])
                .await
                .expect("script runs");
            let truthy = !matches!(v, serde_json::Value::Null | serde_json::Value::Bool(false))
                && v != serde_json::json!("")
                && v != serde_json::json!(0);
            if truthy {
                return v;
            }
            if tokio::time::Instant::now() > deadline {
                panic!("timed out waiting for: {script}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Click the element matching `css` once it exists and is enabled.
    pub async fn click(&self, css: &str) {
        self.wait_for(
            &format!("(e => e && !e.disabled)(document.querySelector({css:?}))"),
            10,
        )
        .await;
        let el = self
            .client
            .find(fantoccini::Locator::Css(css))
            .await
            .expect("element");
        el.click().await.expect("click");
    }

    /// Type `text` into the element matching `css` once it exists.
    pub async fn type_into(&self, css: &str, text: &str) {
        self.wait_for(&format!("document.querySelector({css:?})"), 10)
            .await;
        let el = self
            .client
            .find(fantoccini::Locator::Css(css))
            .await
            .expect("element");
        el.send_keys(text).await.expect("type");
    }

    /// Open the staff pages at `url` and log in through the form.
    pub async fn log_in_at(&self, url: &str, username: &str, password: &str) {
        self.client.goto(url).await.expect("navigates");
        self.type_into("#username", username).await;
        self.type_into("#password", password).await;
        self.click("#login").await;
    }

    /// Save a screenshot under the cargo target dir's screenshots/ (worth looking at); names
    /// end in `-noto` under the Noto run.
    pub async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("screenshot");
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        let name = format!("{name}{}.png", CjkFont::of_run().suffix());
        std::fs::write(dir.join(name), png).expect("write screenshot");
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}

/// `$CARGO_TARGET_DIR/screenshots`, else `target/screenshots` beside Cargo.toml.
fn screenshot_dir() -> std::path::PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(t) => std::path::PathBuf::from(t).join("screenshots"),
        None => std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots"),
    }
}
