//! A `hallq serve` child process for the load and crash benchmarks: the real server binary
//! (by default the `hallq` built beside `hallq-bench`), so a benchmark measures and kills a
//! real server.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A running `hallq serve --demo` (every queue open at any hour) on port 0.
pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    pub pid: u32,
}

/// The hallq binary to start: `given`, or the `hallq` beside this binary (cargo puts both in
/// the same target directory).
pub fn hallq_bin(given: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    let bin = match given {
        Some(b) => b,
        None => std::env::current_exe()?
            .with_file_name(format!("hallq{}", std::env::consts::EXE_SUFFIX)),
    };
    anyhow::ensure!(
        bin.is_file(),
        "no hallq binary at {}: build it beside hallq-bench (cargo build --release --workspace) or pass --hallq PATH",
        bin.display()
    );
    Ok(bin)
}

impl Server {
    /// Start the `hallq` binary at `bin` on `config` and `db`.
    pub async fn spawn(bin: &Path, config: &Path, db: &Path) -> anyhow::Result<Server> {
        Server::spawn_with(bin, config, db, &[]).await
    }

    /// As `spawn`, with `env` added to the server's environment.
    pub async fn spawn_with(
        bin: &Path,
        config: &Path,
        db: &Path,
        env: &[(&str, &str)],
    ) -> anyhow::Result<Server> {
        let mut child = Command::new(bin)
            .envs(env.iter().copied())
            .args([
                "serve",
                "--demo",
                "--no-demo-printer",
                "--listen",
                "127.0.0.1:0",
            ])
            .arg("--config")
            .arg(config)
            .arg("--db")
            .arg(db)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("starting hallq serve")?;
        let pid = child.id().context("child pid")?;
        let stdout = child.stdout.take().context("child stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let addr = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(line) = lines.next_line().await? {
                if let Some(b) = line.strip_prefix("hallq listening on http://") {
                    return Ok(b.trim().parse::<SocketAddr>()?);
                }
            }
            bail!("hallq serve exited before listening")
        })
        .await
        .context("hallq serve listening within 60 s")??;
        // Keep draining stdout so the child never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Server { child, addr, pid })
    }

    /// SIGKILL and reap.
    pub async fn kill9(mut self) -> anyhow::Result<()> {
        self.child.start_kill()?;
        self.child.wait().await?;
        Ok(())
    }

    /// (VmRSS, VmHWM) of the server in MiB, from /proc.
    pub fn rss_mib(&self) -> Option<(f64, f64)> {
        let text = std::fs::read_to_string(format!("/proc/{}/status", self.pid)).ok()?;
        let field = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
                .map(|kb| kb / 1024.0)
        };
        Some((field("VmRSS:")?, field("VmHWM:")?))
    }
}

/// The demo kiosk's fixed token (`--demo`).
pub const DEMO_KIOSK: &str = "demo-kiosk-1-token";
