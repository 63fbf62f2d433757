//! Moving bytes to a printer: `tcp://HOST:PORT` (raw port 9100) with tokio sockets, or a device
//! file (`file:///dev/usb/lp0`) on a blocking thread with non-blocking IO. Every step has a
//! timeout and the whole job a deadline. A job is: status check, slip, status check again (the
//! second check notices a printer that closed the connection or ran out of paper mid-slip).

use std::path::PathBuf;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout, timeout_at};

use super::PrintError;
use super::status::{self, Checked, Step};

/// Connecting to a network printer.
pub const CONNECT_TIMEOUT: Duration = Duration::from_millis(1500);
/// One status reply.
pub const REPLY_TIMEOUT: Duration = Duration::from_millis(700);

/// Where a printer is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    /// `HOST:PORT`
    Tcp(String),
    /// A device or file path.
    File(PathBuf),
}

impl Address {
    /// `tcp://HOST:PORT` or `file:///path`.
    pub fn parse(s: &str) -> Result<Address, String> {
        if let Some(hp) = s.strip_prefix("tcp://") {
            let ok = hp
                .rsplit_once(':')
                .is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok());
            return if ok {
                Ok(Address::Tcp(hp.to_string()))
            } else {
                Err(format!("{s:?}: expected tcp://HOST:PORT"))
            };
        }
        match s.strip_prefix("file://") {
            Some(p) if p.starts_with('/') => Ok(Address::File(PathBuf::from(p))),
            _ => Err(format!("{s:?} is neither tcp://HOST:PORT nor file:///path")),
        }
    }
}

impl Address {
    /// `Ok` when talking to this address stays on this machine: a loopback IP literal or
    /// `localhost` for TCP (any other host name would need a DNS query, which already leaves
    /// the machine), or a plain file that is not a device. `Err` says why not, for the log.
    pub fn stays_local(&self) -> Result<(), String> {
        match self {
            Address::Tcp(hp) => {
                let host = hp.rsplit_once(':').map_or(hp.as_str(), |(h, _)| h);
                let host = host.trim_start_matches('[').trim_end_matches(']');
                let local = host.eq_ignore_ascii_case("localhost")
                    || host
                        .parse::<std::net::IpAddr>()
                        .is_ok_and(|ip| ip.is_loopback());
                if local {
                    Ok(())
                } else {
                    Err(format!("tcp://{hp} is not a loopback address"))
                }
            }
            Address::File(p) => {
                let device = p.starts_with("/dev")
                    || std::fs::metadata(p).is_ok_and(|m| !m.file_type().is_file());
                if device {
                    Err(format!("file://{} is a device", p.display()))
                } else {
                    Ok(())
                }
            }
        }
    }
}

/// Check the status, then (with `bytes`) print and check again, before `deadline`.
pub async fn run(
    addr: &Address,
    bytes: Option<&[u8]>,
    deadline: Instant,
) -> Result<Checked, PrintError> {
    match addr {
        Address::Tcp(hp) => timeout_at(deadline, tcp_job(hp, bytes, deadline))
            .await
            .unwrap_or(Err(PrintError::Timeout)),
        Address::File(path) => {
            let (path, bytes) = (path.clone(), bytes.map(<[u8]>::to_vec));
            let std_deadline =
                std::time::Instant::now() + deadline.saturating_duration_since(Instant::now());
            tokio::task::spawn_blocking(move || file_job(&path, bytes.as_deref(), std_deadline))
                .await
                .unwrap_or_else(|e| Err(PrintError::Unreachable(e.to_string())))
        }
    }
}

async fn tcp_job(
    hostport: &str,
    bytes: Option<&[u8]>,
    deadline: Instant,
) -> Result<Checked, PrintError> {
    let mut s = timeout(CONNECT_TIMEOUT, TcpStream::connect(hostport))
        .await
        .map_err(|_| PrintError::Unreachable("connect timed out".into()))?
        .map_err(|e| PrintError::Unreachable(e.to_string()))?;
    let _ = s.set_nodelay(true);
    let mut checked = tcp_status(&mut s, deadline).await?;
    if let Some(b) = bytes {
        s.write_all(b).await.map_err(lost)?;
        s.flush().await.map_err(lost)?;
        checked = tcp_status(&mut s, deadline).await.map_err(|e| match e {
            // Printers answer DLE EOT even while printing; silence after a job means trouble.
            PrintError::NoStatus => PrintError::ConnectionLost("no reply after the slip".into()),
            e => e,
        })?;
    }
    let _ = s.shutdown().await;
    Ok(checked)
}

fn lost(e: std::io::Error) -> PrintError {
    PrintError::ConnectionLost(e.to_string())
}

async fn tcp_status(s: &mut TcpStream, deadline: Instant) -> Result<Checked, PrintError> {
    let mut replies = Vec::new();
    loop {
        match status::next(&replies) {
            Step::Done(r) => return r,
            Step::Ask(n) => {
                s.write_all(&status::request(n)).await.map_err(lost)?;
                let wait = (Instant::now() + REPLY_TIMEOUT).min(deadline);
                let mut b = [0u8; 1];
                match timeout_at(wait, s.read(&mut b)).await {
                    Err(_) => return Err(PrintError::NoStatus),
                    Ok(Ok(0)) => {
                        return Err(PrintError::ConnectionLost("closed by the printer".into()));
                    }
                    Ok(Ok(_)) => replies.push(b[0]),
                    Ok(Err(e)) => return Err(lost(e)),
                }
            }
        }
    }
}

/// O_NONBLOCK on Linux (x86, ARM, RISC-V): a usblp read without data must not hang a thread.
#[cfg(unix)]
const O_NONBLOCK: i32 = 0o4000;

fn open_device(path: &std::path::Path) -> std::io::Result<(std::fs::File, bool)> {
    let mut o = std::fs::OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut o, O_NONBLOCK);
    match o.clone().read(true).append(true).open(path) {
        Ok(f) => Ok((f, true)),
        Err(_) => o.append(true).open(path).map(|f| (f, false)),
    }
}

/// A device file: write-only devices, plain files and devices that never answer print
/// without a status.
fn file_job(
    path: &std::path::Path,
    bytes: Option<&[u8]>,
    deadline: std::time::Instant,
) -> Result<Checked, PrintError> {
    let (mut f, readable) =
        open_device(path).map_err(|e| PrintError::Unreachable(e.to_string()))?;
    let readable = readable && !f.metadata().is_ok_and(|m| m.is_file());
    let mut checked = file_status(&mut f, readable, deadline)?;
    if let Some(b) = bytes {
        file_write(&mut f, b, deadline)?;
        let after = file_status(&mut f, readable, deadline)?;
        if after.known {
            checked = after;
        }
    }
    Ok(checked)
}

fn pause() {
    std::thread::sleep(Duration::from_millis(10));
}

fn file_write(
    f: &mut std::fs::File,
    mut b: &[u8],
    deadline: std::time::Instant,
) -> Result<(), PrintError> {
    use std::io::{ErrorKind, Write};
    while !b.is_empty() {
        match f.write(b) {
            Ok(0) => return Err(PrintError::ConnectionLost("device accepts no more".into())),
            Ok(n) => b = &b[n..],
            Err(e) if e.kind() == ErrorKind::WouldBlock => pause(),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(lost(e)),
        }
        if std::time::Instant::now() > deadline {
            return Err(PrintError::Timeout);
        }
    }
    Ok(())
}

fn file_status(
    f: &mut std::fs::File,
    readable: bool,
    deadline: std::time::Instant,
) -> Result<Checked, PrintError> {
    use std::io::Read;
    if !readable {
        return Ok(Checked::default());
    }
    let mut replies = Vec::new();
    loop {
        match status::next(&replies) {
            Step::Done(r) => return r,
            Step::Ask(n) => {
                file_write(f, &status::request(n), deadline)?;
                let until = (std::time::Instant::now() + REPLY_TIMEOUT).min(deadline);
                let mut b = [0u8; 1];
                loop {
                    match f.read(&mut b) {
                        Ok(1) => break replies.push(b[0]),
                        _ if std::time::Instant::now() > until => return Ok(Checked::default()),
                        _ => pause(),
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert_eq!(
            Address::parse("tcp://192.168.1.50:9100"),
            Ok(Address::Tcp("192.168.1.50:9100".into()))
        );
        assert_eq!(
            Address::parse("file:///dev/usb/lp0"),
            Ok(Address::File("/dev/usb/lp0".into()))
        );
        assert!(Address::parse("tcp://printer").is_err());
        assert!(Address::parse("lp0").is_err());
    }

    #[test]
    fn only_loopback_and_plain_files_stay_local() {
        let local = |s: &str| Address::parse(s).expect("parses").stays_local().is_ok();
        for ok in [
            "tcp://127.0.0.1:9100",
            "tcp://127.8.9.10:9100",
            "tcp://localhost:9100",
            "tcp://[::1]:9100",
            "file:///tmp/hallq-slips.bin",
        ] {
            assert!(local(ok), "{ok} stays on this machine");
        }
        for far in [
            "tcp://192.168.1.50:9100",
            "tcp://10.0.0.7:9100",
            "tcp://0.0.0.0:9100",
            "tcp://printer.hall.lan:9100",
            "tcp://[fe80::1]:9100",
            "file:///dev/usb/lp0",
            "file:///dev/null",
        ] {
            assert!(!local(far), "{far} must be refused in a trial run");
        }
    }

    #[tokio::test]
    async fn a_plain_file_takes_the_slip_without_a_status() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("lp0");
        std::fs::write(&path, b"").expect("create");
        let deadline = Instant::now() + Duration::from_secs(2);
        let got = run(&Address::File(path.clone()), Some(b"\x1b@hello"), deadline)
            .await
            .expect("printed");
        assert!(!got.known);
        let written = std::fs::read(&path).expect("read");
        assert!(written.ends_with(b"\x1b@hello"), "{written:?}");
    }

    #[tokio::test]
    async fn a_missing_device_is_unreachable() {
        let deadline = Instant::now() + Duration::from_secs(2);
        let got = run(
            &Address::File("/nonexistent/lp9".into()),
            Some(b"x"),
            deadline,
        )
        .await;
        assert!(matches!(got, Err(PrintError::Unreachable(_))), "{got:?}");
    }
}
