//! The command line: check-config, exit codes, accounts and devices while a server could run.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_hallq");

pub(crate) fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN).args(args).output().expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn check_config_accepts_the_shipped_hall_and_names_the_bad_key() {
    let shipped = concat!(env!("CARGO_MANIFEST_DIR"), "/config/hall.toml");
    let (code, out, _) = run(&["check-config", shipped]);
    assert_eq!(code, 0);
    assert!(
        out.contains("41 departments") && out.contains("118 windows"),
        "{out}"
    );

    let dir = tempfile::tempdir().expect("dir");
    let text = std::fs::read_to_string(shipped).expect("read");
    let cases = [
        (
            "queues = [\"crj\"]",
            "queues = [\"nope\"]",
            "windows[1].queues",
        ),
        ("closes = \"17:00\"", "closes = \"5pm\"", "hall.closes"),
        (
            "expected_windows = 118",
            "expected_windows = 120",
            "hall.expected_windows",
        ),
        ("prefix = \"CR\"", "prefix = \"H\"", ".prefix"),
    ];
    for (from, to, key) in cases {
        let bad = dir.path().join("bad.toml");
        std::fs::write(&bad, text.replacen(from, to, 1)).expect("write");
        let (code, _, err) = run(&["check-config", bad.to_str().expect("utf-8")]);
        assert_eq!(code, 2, "{from} -> {to}: {err}");
        assert!(err.contains(key), "{err} should name {key}");
        assert!(
            err.contains("bad.toml:"),
            "{err} should give the file and line"
        );
    }
    let (code, _, err) = run(&["check-config", "/nonexistent/hall.toml"]);
    assert_eq!(code, 2, "{err}");
    // A server refuses a bad config the same way.
    let bad = dir.path().join("bad.toml");
    let db = dir.path().join("h.db");
    let (code, _, err) = run(&[
        "serve",
        "--config",
        bad.to_str().expect("p"),
        "--db",
        db.to_str().expect("p"),
        "--listen",
        "127.0.0.1:0",
    ]);
    assert_eq!(code, 2, "{err}");
}

/// The staffing rota: the shipped one leaves no queue alone; one that does is accepted with a
/// warning; one that names a window the hall lacks is refused at its line.
#[test]
fn check_config_checks_the_rota() {
    let shipped = concat!(env!("CARGO_MANIFEST_DIR"), "/config/hall.toml");
    let (code, _, err) = run(&["check-config", shipped]);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("[[rota]]"), "{err}");
    let text = std::fs::read_to_string(shipped).expect("read");
    let entries = text.lines().filter(|l| *l == "[[rota]]").count();
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("rota.toml");
    let with = |entry: &str| {
        std::fs::write(&file, format!("{text}\n[[rota]]\n{entry}\n")).expect("write");
        run(&["check-config", file.to_str().expect("utf-8")])
    };
    let (code, _, err) = with("windows = \"96\"\naway = \"12:00-13:00\"");
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("warning: [[rota]] leaves queue \"xfjd\" with no window 12:00-13:00"),
        "{err}"
    );
    let (code, _, err) = with("windows = \"119\"\naway = \"12:00-13:00\"");
    assert_eq!(code, 2, "{err}");
    let line = text.lines().count() + 3;
    assert!(
        err.contains(&format!(
            "rota.toml:{line}: rota[{entries}].windows: no [[windows]] defines window 119"
        )),
        "{err}"
    );
}

#[test]
fn accounts_and_devices_from_the_command_line() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("h.db");
    let db = db.to_str().expect("utf-8");
    let add = Command::new(BIN)
        .args([
            "user",
            "add",
            "--db",
            db,
            "--username",
            "li",
            "--name",
            "李红",
            "--role",
            "clerk",
            "--password-stdin",
        ])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().expect("stdin").write_all(b"long-enough\n")?;
            c.wait()
        })
        .expect("user add");
    assert!(add.success());
    let (code, out, _) = run(&["user", "list", "--db", db]);
    assert_eq!(code, 0);
    assert!(out.contains("li\tclerk\t李红\tactive"), "{out}");
    assert_eq!(
        run(&[
            "user",
            "add",
            "--db",
            db,
            "--username",
            "x",
            "--name",
            "n",
            "--role",
            "boss",
            "--password-stdin"
        ])
        .0,
        2
    );
    assert_eq!(
        run(&["user", "disable", "--db", db, "--username", "li"]).0,
        0
    );
    assert!(run(&["user", "list", "--db", db]).1.contains("disabled"));
    assert_eq!(
        run(&["user", "disable", "--db", db, "--username", "nobody"]).0,
        2
    );
    assert_eq!(
        run(&[
            "device",
            "add",
            "--db",
            db,
            "--kind",
            "evaluator",
            "--id",
            "ev-1"
        ])
        .0,
        2,
        "needs --window"
    );
    let (code, out, _) = run(&[
        "device",
        "add",
        "--db",
        db,
        "--kind",
        "evaluator",
        "--id",
        "ev-1",
        "--window",
        "5",
    ]);
    assert_eq!(code, 0);
    assert_eq!(
        out.lines().last().map(str::len),
        Some(64),
        "the token alone on the last line"
    );
    assert_eq!(run(&["device", "revoke", "--db", db, "--id", "ev-1"]).0, 0);
    assert!(
        run(&["device", "list", "--db", db])
            .1
            .contains("ev-1\tevaluator\trevoked")
    );
}
