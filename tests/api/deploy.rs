//! What the package ships: the systemd unit (checked by `systemd-analyze verify` where systemd
//! is installed, and by its keys always), the Debian package metadata, and a Grafana dashboard
//! whose every query names a metric the server exports.

use std::path::Path;
use std::process::Command;

use crate::helpers::{TestHall, config_with_printer};

fn repo(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).expect(path)
}

/// `Key=value` lines of the unit at `path`, in order.
fn unit_keys(path: &str) -> Vec<(String, String)> {
    repo(path)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('['))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

/// The values of `key` in `keys`, in order.
fn values<'a>(keys: &'a [(String, String)], key: &str) -> Vec<&'a str> {
    keys.iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .collect()
}

#[test]
fn the_unit_is_hardened_restarts_and_keeps_its_data_in_the_state_directory() {
    let keys = unit_keys("deploy/hallq.service");
    let get = |k: &str| values(&keys, k);
    for (k, v) in [
        ("DynamicUser", "yes"),
        ("StateDirectory", "hallq"),
        ("ConfigurationDirectory", "hallq"),
        ("ProtectSystem", "strict"),
        ("ProtectHome", "yes"),
        ("NoNewPrivileges", "yes"),
        ("PrivateTmp", "yes"),
        ("Restart", "on-failure"),
        ("WantedBy", "multi-user.target"),
    ] {
        assert_eq!(get(k), [v], "{k}");
    }
    let nofile: u64 = get("LimitNOFILE")[0].parse().expect("a number");
    assert!(nofile >= 8192, "LimitNOFILE {nofile}");
    let exec = get("ExecStart")[0];
    assert!(
        exec.starts_with("/usr/bin/hallq serve --config /etc/hallq/hall.toml --db /var/lib/hallq/"),
        "{exec}"
    );
    // The shipped default listens on loopback only; the LAN is the operator's choice.
    assert_eq!(get("Environment"), ["HALLQ_LISTEN=127.0.0.1:8080"]);
    assert!(repo("deploy/hallq.default").contains("\nHALLQ_LISTEN=127.0.0.1:8080\n"));
}

/// The central server's unit: the same hardening, no state of its own, loopback defaults
/// that /etc/default/hallq-central (root's only: it may hold the database password) overrides.
#[test]
fn the_central_unit_is_hardened_and_reads_its_database_from_a_private_file() {
    let keys = unit_keys("deploy/central/hallq-central.service");
    let get = |k: &str| values(&keys, k);
    for (k, v) in [
        ("DynamicUser", "yes"),
        ("ProtectSystem", "strict"),
        ("PrivateDevices", "yes"),
        ("NoNewPrivileges", "yes"),
        ("Restart", "on-failure"),
        ("EnvironmentFile", "-/etc/default/hallq-central"),
        ("WantedBy", "multi-user.target"),
    ] {
        assert_eq!(get(k), [v], "{k}");
    }
    assert!(get("StateDirectory").is_empty());
    assert_eq!(
        get("ExecStart"),
        ["/usr/bin/hallq central serve --pg ${HALLQ_CENTRAL_PG} --listen ${HALLQ_CENTRAL_LISTEN}"]
    );
    assert_eq!(
        get("Environment"),
        [
            "HALLQ_CENTRAL_LISTEN=127.0.0.1:8090",
            "HALLQ_CENTRAL_PG=postgres://hallq@127.0.0.1:5432/hallq_central"
        ]
    );
    let default = repo("deploy/central/hallq-central.default");
    for line in default
        .lines()
        .filter(|l| !l.starts_with('#') && l.contains('='))
    {
        if let Some(url) = line.strip_prefix("HALLQ_CENTRAL_PG=") {
            assert!(url.contains("@127.0.0.1:"), "{line}");
        }
        if let Some(addr) = line.strip_prefix("HALLQ_CENTRAL_LISTEN=") {
            assert!(addr.starts_with("127.0.0.1:"), "{line}");
        }
    }
    // Installed, not enabled; its settings root's only.
    let cargo: toml::Table = toml::from_str(&repo("Cargo.toml")).expect("Cargo.toml");
    let deb = &cargo["package"]["metadata"]["deb"];
    let assets = deb["assets"].as_array().expect("assets");
    let default_asset = assets
        .iter()
        .find(|a| a[1].as_str() == Some("etc/default/hallq-central"))
        .expect("the central settings are shipped");
    assert_eq!(default_asset[2].as_str(), Some("600"));
    assert!(
        assets
            .iter()
            .any(|a| a[1].as_str() == Some("usr/lib/systemd/system/hallq-central.service"))
    );
    assert_eq!(deb["systemd-units"]["unit-name"].as_str(), Some("hallq"));
}

#[test]
fn systemd_analyze_verifies_the_unit_where_systemd_is_installed() {
    let Ok(out) = Command::new("systemd-analyze").arg("--version").output() else {
        eprintln!("no systemd-analyze here: the unit's keys are checked by the test above");
        return;
    };
    assert!(out.status.success());
    // Verify a copy whose ExecStart names the binary this build made (the packaged path
    // /usr/bin/hallq does not exist on a build machine).
    let dir = tempfile::tempdir().expect("dir");
    for (path, name) in [
        ("deploy/hallq.service", "hallq.service"),
        (
            "deploy/central/hallq-central.service",
            "hallq-central.service",
        ),
    ] {
        let unit = dir.path().join(name);
        let text = repo(path).replace("/usr/bin/hallq", env!("CARGO_BIN_EXE_hallq"));
        std::fs::write(&unit, text).expect("write");
        let out = Command::new("systemd-analyze")
            .args(["verify", "--man=no"])
            .arg(&unit)
            .output()
            .expect("runs");
        let err = String::from_utf8_lossy(&out.stderr);
        let about_ours: Vec<&str> = err.lines().filter(|l| l.contains(name)).collect();
        assert!(
            out.status.success() && about_ours.is_empty(),
            "systemd-analyze verify {name}: {err}"
        );
    }
}

#[test]
fn the_package_metadata_names_files_that_exist() {
    let cargo: toml::Table = toml::from_str(&repo("Cargo.toml")).expect("Cargo.toml");
    let deb = &cargo["package"]["metadata"]["deb"];
    let assets = deb["assets"].as_array().expect("assets");
    let targets: Vec<&str> = assets
        .iter()
        .map(|a| a[1].as_str().expect("target"))
        .collect();
    for want in ["usr/bin/", "etc/hallq/hall.toml"] {
        assert!(targets.contains(&want), "{want} in {targets:?}");
    }
    for a in assets {
        let src = a[0].as_str().expect("source");
        if !src.starts_with("target/") {
            assert!(
                Path::new(env!("CARGO_MANIFEST_DIR")).join(src).is_file(),
                "{src} is shipped but missing"
            );
        }
    }
    assert_eq!(
        deb["systemd-units"]["unit-scripts"].as_str(),
        Some("deploy/")
    );
    assert!(repo("deploy/debian/postrm").contains("#DEBHELPER#"));
}

#[tokio::test]
async fn every_dashboard_query_names_an_exported_metric() {
    let dash: serde_json::Value =
        serde_json::from_str(&repo("deploy/grafana-dashboard.json")).expect("dashboard json");
    // A printer on loopback, so the printer metrics have a row (the shipped file names none).
    let fake = hallq::printer::fake::FakePrinter::start(hallq::printer::fake::Script::Online)
        .await
        .expect("fake printer");
    let hall = TestHall::spawn_with(&config_with_printer(&fake.address())).await;
    let text = hall
        .http
        .get(format!("{}/metrics", hall.base))
        .send()
        .await
        .expect("scrape")
        .text()
        .await
        .expect("text");
    let exported: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    let mut seen = 0;
    for panel in dash["panels"].as_array().expect("panels") {
        for target in panel["targets"].as_array().expect("targets") {
            let expr = target["expr"].as_str().expect("expr");
            for (i, _) in expr.match_indices("hallq_") {
                let name: String = expr[i..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                let base = ["_bucket", "_total", "_count", "_sum"]
                    .iter()
                    .find_map(|s| name.strip_suffix(s))
                    .unwrap_or(&name);
                assert!(
                    exported.contains(&base),
                    "{name} is not exported: {exported:?}"
                );
                seen += 1;
            }
        }
    }
    assert!(seen >= 9, "the dashboard queries the metrics ({seen})");
}
