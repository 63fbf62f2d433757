//! A private PostgreSQL for the central-reporting tests: a cluster of its own in a temp dir,
//! on a free loopback port, run as a non-root user (`postgres` when the tests run as root).
//! No PostgreSQL on the machine is a test failure with a hint, never a silent skip.
//!
//! With `HALLQ_TEST_PG=postgres://…@127.0.0.1:PORT/db` (what `.ci/test-all` exports), tests
//! that need not stop the server get a fresh database there instead of a cluster of their own.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A running private cluster; stopped (immediately) when dropped.
pub struct Pg {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    run_as: Option<String>,
    pub url: String,
}

fn pg_bin() -> PathBuf {
    let has = |d: &Path| d.join("initdb").is_file() && d.join("pg_ctl").is_file();
    if let Ok(d) = std::env::var("HALLQ_PG_BIN") {
        return PathBuf::from(d);
    }
    let mut candidates: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    if let Ok(rd) = std::fs::read_dir("/usr/lib/postgresql") {
        let mut versions: Vec<PathBuf> = rd
            .filter_map(|e| e.ok())
            .map(|e| e.path().join("bin"))
            .collect();
        versions.sort();
        candidates.extend(versions.into_iter().rev());
    }
    candidates.into_iter().find(|d| has(d)).unwrap_or_else(|| {
        panic!(
            "PostgreSQL (initdb, pg_ctl) not found: run ./.ci/test-all (installs it), \
             set HALLQ_PG_BIN, or HALLQ_TEST_PG to a loopback server"
        )
    })
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

fn output(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

impl Pg {
    /// Start a private cluster.
    pub fn start() -> Pg {
        let bin = pg_bin();
        let dir = tempfile::tempdir().expect("temp dir");
        let root = output(Command::new("id").arg("-u")) == "0";
        let run_as = root.then(|| "postgres".to_string());
        if let Some(user) = &run_as {
            let uid: u32 = output(Command::new("id").args(["-u", user]))
                .parse()
                .expect("uid");
            std::os::unix::fs::chown(dir.path(), Some(uid), None).expect("chown the cluster dir");
        }
        let mut pg = Pg {
            port: free_port(),
            url: String::new(),
            dir,
            bin,
            run_as,
        };
        let data = pg.dir.path().join("data");
        output(
            pg.cmd("initdb")
                .args([
                    "-A",
                    "trust",
                    "-U",
                    "hallq",
                    "--no-sync",
                    "-E",
                    "UTF8",
                    "-D",
                ])
                .arg(&data),
        );
        pg.start_server();
        pg.url = format!("postgres://hallq@127.0.0.1:{}/postgres", pg.port);
        pg
    }

    fn cmd(&self, tool: &str) -> Command {
        let exe = self.bin.join(tool);
        match &self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(exe);
                c
            }
            None => Command::new(exe),
        }
    }

    fn start_server(&self) {
        let d = self.dir.path();
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off",
            self.port,
            d.display()
        );
        output(
            self.cmd("pg_ctl")
                .arg("-D")
                .arg(d.join("data"))
                .args(["-o", &opts, "-l"])
                .arg(d.join("log"))
                .args(["-w", "start"]),
        );
    }

    /// Stop the server at once (connections cut, as in a crash).
    pub fn stop(&self) {
        output(
            self.cmd("pg_ctl")
                .arg("-D")
                .arg(self.dir.path().join("data"))
                .args(["-m", "immediate", "-w", "stop"]),
        );
    }

    /// Start it again on the same port.
    pub fn restart(&self) {
        self.start_server();
    }

    /// A fresh database: in `HALLQ_TEST_PG`'s server when set, else in a private cluster
    /// (returned so it lives as long as the test).
    pub async fn fresh() -> (Option<Pg>, String) {
        let Ok(base) = std::env::var("HALLQ_TEST_PG") else {
            let pg = Pg::start();
            let url = pg.url.clone();
            return (Some(pg), url);
        };
        assert!(
            base.contains("@127.0.0.1:") || base.contains("@localhost:"),
            "HALLQ_TEST_PG must be on loopback"
        );
        let client = hallq::central::connect(&base)
            .await
            .expect("HALLQ_TEST_PG reachable");
        let name = format!(
            "hallq_t_{}",
            hallq::auth::new_token().get(..12).unwrap_or("x")
        );
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create a test database");
        let (head, _) = base.rsplit_once('/').expect("a database in the URL");
        (None, format!("{head}/{name}"))
    }
}

impl Drop for Pg {
    fn drop(&mut self) {
        let _ = self
            .cmd("pg_ctl")
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["-m", "immediate", "stop"])
            .output();
    }
}
