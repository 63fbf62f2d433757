//! Nothing we ship, test, bench, simulate or demo reaches past this machine. Every config file
//! those use is read (live keys only: comments are where an installer's LAN examples belong),
//! every address or path in it must be loopback and no device; the sources that drive tests,
//! benches and the simulator name no other address; and `serve --demo` prints its slips on
//! the built-in fake printer on 127.0.0.1.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Why `value` would reach past this machine, if it would.
fn reaches_out(value: &str) -> Option<String> {
    let v = value.trim();
    if let Some((scheme, rest)) = v.split_once("://") {
        if scheme.eq_ignore_ascii_case("file") {
            return is_device(rest).then(|| format!("{v}: a device file"));
        }
        // [user[:pass]@]host[:port][/path]
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        let host = if let Some(h) = hostport.strip_prefix('[') {
            h.split(']').next().unwrap_or("")
        } else {
            hostport.split(':').next().unwrap_or("")
        };
        return (!is_loopback_host(host)).then(|| format!("{v}: {host:?} is not loopback"));
    }
    if is_device(v) {
        return Some(format!("{v}: a device file"));
    }
    // HOST:PORT with an IP literal (a listen or connect address).
    if let Some((host, port)) = v.rsplit_once(':')
        && port.parse::<u16>().is_ok()
    {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.parse::<IpAddr>().is_ok() && !is_loopback_host(host) {
            return Some(format!("{v}: {host} is not loopback"));
        }
    }
    None
}

fn is_loopback_host(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn is_device(path: &str) -> bool {
    // /dev/shm is a memory file system for scratch files, not a device.
    path.starts_with("/dev/") && !path.starts_with("/dev/shm")
}

fn strings_in(v: &toml::Value, at: &str, out: &mut Vec<(String, String)>) {
    match v {
        toml::Value::String(s) => out.push((at.to_string(), s.clone())),
        toml::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                strings_in(x, &format!("{at}[{i}]"), out);
            }
        }
        toml::Value::Table(t) => {
            for (k, x) in t {
                strings_in(x, &format!("{at}.{k}"), out);
            }
        }
        _ => {}
    }
}

fn files_under(dir: &Path, ext: &[&str], out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(&p, ext, out);
        } else if p
            .extension()
            .and_then(|x| x.to_str())
            .is_some_and(|x| ext.contains(&x))
        {
            out.push(p);
        }
    }
}

/// Every directory whose files configure or drive a test, bench, simulation or demo run.
fn run_dirs() -> Vec<PathBuf> {
    let dirs: Vec<PathBuf> = ["config", "tests", ".ci", "src/sim", "bench/src"]
        .iter()
        .map(|d| Path::new(ROOT).join(d))
        .collect();
    // A scan of a directory that moved away would pass by reading nothing.
    for d in &dirs {
        assert!(d.is_dir(), "{} is gone: scan where it went", d.display());
    }
    dirs
}

#[test]
fn the_guard_recognises_what_leaves_the_machine() {
    let lan = format!("tcp://{}:9100", std::net::Ipv4Addr::new(192, 168, 1, 50));
    assert!(reaches_out(&lan).is_some());
    assert!(reaches_out("file:///dev/usb/lp0").is_some()); // refused on purpose
    assert!(reaches_out("/dev/usb/lp0").is_some()); // refused on purpose
    assert!(reaches_out("postgres://hall@db.county.example/central").is_some());
    assert!(reaches_out(&format!("{}:8080", std::net::Ipv4Addr::UNSPECIFIED)).is_some());
    for ok in [
        "tcp://127.0.0.1:9100",
        "http://localhost:8080",
        "postgres://hallq@127.0.0.1:55432/central",
        "http://[::1]:8080/t/x",
        "127.0.0.1:0",
        "file:///tmp/slips.bin",
        "/dev/shm/hallq-sim",
        "请取走打印的号票",
        "09:00",
    ] {
        assert_eq!(reaches_out(ok), None, "{ok}");
    }
}

#[test]
fn every_config_a_run_uses_names_only_loopback_live_keys() {
    let mut files = Vec::new();
    for d in run_dirs() {
        files_under(&d, &["toml"], &mut files);
    }
    let shipped = Path::new(ROOT).join("config/hall.toml");
    assert!(files.contains(&shipped), "the shipped hall is read");
    let mut bad = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).expect("readable");
        let doc: toml::Value = toml::from_str(&text).unwrap_or_else(|e| panic!("{f:?}: {e}"));
        let mut strings = Vec::new();
        strings_in(&doc, "", &mut strings);
        for (key, value) in strings {
            if let Some(why) = reaches_out(&value) {
                bad.push(format!("{}: {key}: {why}", f.display()));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "live keys reaching past loopback:\n{}",
        bad.join("\n")
    );
    // The shipped hall keeps the installer's examples, as comments only.
    let text = std::fs::read_to_string(&shipped).expect("shipped");
    assert!(
        text.contains("# address = \"tcp://"),
        "LAN example kept as a comment"
    );
    let (config, _) = hallq::config::Config::load(&shipped).expect("valid");
    assert!(
        config.printers.is_empty(),
        "no live printer in the shipped file"
    );
}

/// IPv4 literals in `text` (runs of digits and dots with four parts).
fn ipv4_literals(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut run = String::new();
    for c in text.chars().chain([' ']) {
        if c.is_ascii_digit() || c == '.' {
            run.push(c);
            continue;
        }
        let t = run.trim_matches('.');
        if t.parse::<std::net::Ipv4Addr>().is_ok() {
            out.push(t.to_string());
        }
        run.clear();
    }
    out
}

/// `line` without a trailing `//` or `#` comment (a `://` in a URL is not one).
fn without_comment(line: &str) -> &str {
    let b = line.as_bytes();
    for i in 0..b.len() {
        let comment = (b[i] == b'/' && b.get(i + 1) == Some(&b'/') && (i == 0 || b[i - 1] != b':'))
            || (b[i] == b'#' && line[..i].trim().is_empty());
        if comment {
            return &line[..i];
        }
    }
    line
}

#[test]
fn tests_benches_and_the_simulator_name_no_address_beyond_loopback() {
    let mut files = Vec::new();
    for d in run_dirs() {
        files_under(&d, &["rs", "toml", "sh", "py", "js", "json"], &mut files);
    }
    files.push(Path::new(ROOT).join(".ci/run"));
    files.push(Path::new(ROOT).join(".ci/test-all"));
    files.push(Path::new(ROOT).join("bench/Cargo.toml"));
    let mut bad = Vec::new();
    // This file's own strings are the scanner's vocabulary, not addresses it uses.
    for f in files
        .iter()
        .filter(|f| !f.ends_with("tests/api/loopback.rs"))
    {
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        for (n, line) in text.lines().enumerate() {
            // A test of the refusal itself names what it refuses, and says so on the line.
            if line.contains("refused on purpose") {
                continue;
            }
            let code = without_comment(line);
            for ip in ipv4_literals(code) {
                if let Some(why) = reaches_out(&format!("{ip}:1")) {
                    bad.push(format!("{}:{}: {why}", f.display(), n + 1));
                }
            }
            // Shell redirections to /dev/null and scratch files in /dev/shm touch no device.
            let devices = code.replace("/dev/null", "").replace("/dev/shm", "");
            if devices.contains("/dev/") {
                bad.push(format!("{}:{}: a device path", f.display(), n + 1));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "addresses beyond loopback:\n{}",
        bad.join("\n")
    );
}

#[tokio::test]
async fn serve_demo_prints_a_kiosk_ticket_on_the_built_in_fake_printer() {
    let dir = tempfile::tempdir().expect("dir");
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_hallq"))
        .args(["serve", "--demo", "--listen", "127.0.0.1:0", "--config"])
        .arg(Path::new(ROOT).join("config/hall.toml"))
        .arg("--db")
        .arg(dir.path().join("hallq.db"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("hallq serve --demo starts");
    let mut out = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut banner = Vec::new();
    let base = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = out.next_line().await.expect("stdout") {
            if let Some(b) = line.strip_prefix("hallq listening on ") {
                return b.trim().to_string();
            }
            banner.push(line);
        }
        panic!("serve exited before listening: {banner:?}")
    })
    .await
    .expect("listening within 30 s");
    let printer_line = banner
        .iter()
        .find(|l| l.starts_with("Printer:"))
        .unwrap_or_else(|| panic!("the banner says where slips go: {banner:?}"));
    assert!(printer_line.contains("tcp://127.0.0.1:"), "{printer_line}");

    let http = reqwest::Client::new();
    let t: serde_json::Value = http
        .post(format!("{base}/api/v1/tickets"))
        .bearer_auth("demo-kiosk-1-token")
        .json(&serde_json::json!({"queue": "hj"}))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(t["print"], serde_json::json!({"status": "printed"}), "{t}");
    let number = t["number"].as_str().expect("number").to_string();

    // The decoded slip appears in the terminal, with the number on a line of its own.
    let slip = tokio::time::timeout(Duration::from_secs(10), async {
        let mut slip = Vec::new();
        while let Some(line) = out.next_line().await.expect("stdout") {
            let end = line.starts_with("[cut");
            slip.push(line);
            if end {
                return slip;
            }
        }
        panic!("serve exited before the slip: {slip:?}")
    })
    .await
    .expect("the slip within 10 s");
    assert!(slip.iter().any(|l| l.starts_with("---- slip")), "{slip:?}");
    assert!(
        slip.iter().any(|l| l.trim() == number),
        "{number} in {slip:?}"
    );
    assert!(slip.iter().any(|l| l.contains("三都")), "{slip:?}");
    let _ = child.start_kill();
}

/// Every address a command listens on or reaches by default, as its `--help` prints it: the
/// server, the simulator's `--keep`, the fake printer, central. Subcommands are found from the
/// help itself, so a new one is checked without being named here.
#[test]
fn every_default_address_of_the_command_line_is_loopback() {
    fn help(args: &[&str]) -> String {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_hallq"))
            .args(args)
            .arg("--help")
            .output()
            .expect("hallq runs");
        assert!(out.status.success(), "hallq {args:?} --help");
        String::from_utf8(out.stdout).expect("utf-8 help")
    }
    fn subcommands(text: &str) -> Vec<String> {
        text.split("Commands:")
            .nth(1)
            .and_then(|rest| rest.split("Options:").next())
            .map(|block| {
                block
                    .lines()
                    .filter_map(|l| l.split_whitespace().next())
                    .filter(|c| *c != "help")
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    }
    let mut defaults = Vec::new();
    let mut pending: Vec<Vec<String>> = vec![Vec::new()];
    let mut seen = 0;
    while let Some(path) = pending.pop() {
        let args: Vec<&str> = path.iter().map(String::as_str).collect();
        let text = help(&args);
        seen += 1;
        for sub in subcommands(&text) {
            let mut next = path.clone();
            next.push(sub);
            pending.push(next);
        }
        for d in text.split("[default: ").skip(1) {
            let value = d.split(']').next().unwrap_or_default();
            defaults.push((path.join(" "), value.to_string()));
        }
    }
    assert!(seen > 10, "only {seen} commands' help read");
    let addresses: Vec<_> = defaults
        .iter()
        .filter(|(_, v)| {
            v.contains(':')
                && v.split(':')
                    .next_back()
                    .is_some_and(|p| p.parse::<u16>().is_ok())
        })
        .collect();
    assert!(
        addresses.iter().any(|(c, _)| c == "simulate")
            && addresses.iter().any(|(c, _)| c == "serve"),
        "the listen defaults were not found: {defaults:?}"
    );
    let bad: Vec<String> = addresses
        .iter()
        .filter_map(|(c, v)| reaches_out(v).map(|why| format!("hallq {c}: {why}")))
        .collect();
    assert!(bad.is_empty(), "{bad:?}");
    // The check itself catches a wildcard or LAN default.
    assert!(reaches_out("0.0.0.0:8080").is_some() && reaches_out("192.168.1.20:8080").is_some());
}
