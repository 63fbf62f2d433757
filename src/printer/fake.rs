//! A network ESC/POS printer in-process, for tests and for installers without a printer:
//! listens on TCP, answers DLE EOT status requests as scripted (online, paper end, cover open,
//! no reply, refusing connections, closing in the middle of a job), records every job, and
//! decodes what it received. The decoder is written from the ESC/POS command reference, not
//! from our encoder: text runs are GB18030 decoded by encoding_rs, QR data comes from the
//! GS ( k store command, and unknown commands are errors.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Mutex, mpsc, watch};

/// How the fake printer behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Script {
    /// Online with paper.
    Online,
    /// Offline because the roll is used up.
    PaperEnd,
    /// Offline because the cover is open.
    CoverOpen,
    /// Accepts connections, reads everything, never answers a status request.
    NoReply,
    /// Nothing listens on the port: connections are refused.
    Refuse,
    /// Answers status as online, then closes the connection once a slip starts arriving.
    CloseMidJob,
}

impl Script {
    /// The reply to DLE EOT n, if any.
    fn reply(self, n: u8) -> Option<u8> {
        match (self, n) {
            (Script::NoReply | Script::Refuse, _) => None,
            (Script::Online | Script::CloseMidJob, _) => Some(0x12),
            (Script::PaperEnd, 1) | (Script::CoverOpen, 1) => Some(0x1A),
            (Script::PaperEnd, 2) => Some(0x32),
            (Script::PaperEnd, _) => Some(0x72),
            (Script::CoverOpen, 2) => Some(0x16),
            (Script::CoverOpen, _) => Some(0x12),
        }
    }
}

/// A running fake printer; stops when dropped.
pub struct FakePrinter {
    addr: SocketAddr,
    script: watch::Sender<Script>,
    jobs: Mutex<mpsc::UnboundedReceiver<Vec<u8>>>,
    task: tokio::task::JoinHandle<()>,
}

impl FakePrinter {
    /// Listen on 127.0.0.1, a free port.
    pub async fn start(script: Script) -> std::io::Result<FakePrinter> {
        Self::listen("127.0.0.1:0", script).await
    }

    /// Listen on `addr` (e.g. `127.0.0.1:9100`; a LAN address only when an installer asks).
    pub async fn listen(addr: &str, script: Script) -> std::io::Result<FakePrinter> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let (script_tx, script_rx) = watch::channel(script);
        let (job_tx, job_rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(accept_loop(listener, addr, script_rx, job_tx));
        Ok(FakePrinter {
            addr,
            script: script_tx,
            jobs: Mutex::new(job_rx),
            task,
        })
    }

    /// `tcp://127.0.0.1:PORT`, for a `[[printers]] address`.
    pub fn address(&self) -> String {
        format!("tcp://{}", self.addr)
    }

    /// Change the behaviour for the next connections.
    pub fn set_script(&self, s: Script) {
        self.script.send_replace(s);
    }

    /// The bytes of the next job (a connection that sent more than status requests).
    pub async fn next_job(&self, wait: Duration) -> Option<Vec<u8>> {
        let mut rx = self.jobs.lock().await;
        tokio::time::timeout(wait, rx.recv()).await.ok().flatten()
    }

    /// Jobs already received and not yet taken.
    pub async fn take_jobs(&self) -> Vec<Vec<u8>> {
        let mut rx = self.jobs.lock().await;
        let mut out = Vec::new();
        while let Ok(j) = rx.try_recv() {
            out.push(j);
        }
        out
    }
}

impl Drop for FakePrinter {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn accept_loop(
    listener: TcpListener,
    addr: SocketAddr,
    mut script: watch::Receiver<Script>,
    jobs: mpsc::UnboundedSender<Vec<u8>>,
) {
    let mut listener = Some(listener);
    loop {
        let now = *script.borrow_and_update();
        match (&listener, now) {
            (Some(_), Script::Refuse) => listener = None,
            (None, Script::Refuse) => {}
            (None, _) => match TcpListener::bind(addr).await {
                Ok(l) => listener = Some(l),
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
            (Some(_), _) => {}
        }
        let Some(l) = &listener else {
            if script.changed().await.is_err() {
                return;
            }
            continue;
        };
        tokio::select! {
            accepted = l.accept() => {
                if let Ok((s, _)) = accepted {
                    tokio::spawn(serve(s, now, jobs.clone()));
                }
            }
            changed = script.changed() => if changed.is_err() { return },
        }
    }
}

/// One connection: reply to status requests, keep the rest as the job.
async fn serve(mut s: TcpStream, script: Script, jobs: mpsc::UnboundedSender<Vec<u8>>) {
    let mut got = Vec::new();
    let mut answered = 0usize;
    let mut buf = [0u8; 4096];
    loop {
        let n = match s.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        got.extend_from_slice(&buf[..n]);
        let scan = scan(&got);
        for &req in &scan.status_requests[answered..] {
            if let Some(b) = script.reply(req)
                && s.write_all(&[b]).await.is_err()
            {
                break;
            }
        }
        answered = scan.status_requests.len();
        if script == Script::CloseMidJob && scan.job_bytes > 16 {
            // The printer died half-way through the slip: only half of it came out.
            got.truncate(got.len() / 2);
            let _ = s.set_zero_linger();
            break;
        }
    }
    if scan(&got).job_bytes > 0 {
        let _ = jobs.send(got);
    }
}

struct Scan {
    status_requests: Vec<u8>,
    job_bytes: usize,
}

/// Status requests (in order) and the count of other bytes, skipping GS ( k payloads by their
/// length so data bytes are never read as commands. Stops at an incomplete command.
fn scan(b: &[u8]) -> Scan {
    let mut out = Scan {
        status_requests: Vec::new(),
        job_bytes: 0,
    };
    let mut i = 0;
    while i < b.len() {
        if b[i] == 0x10 && b.get(i + 1) == Some(&0x04) {
            let Some(&n) = b.get(i + 2) else { break };
            out.status_requests.push(n);
            i += 3;
        } else if b[i..].starts_with(&[0x1D, b'(', b'k']) {
            let (Some(&pl), Some(&ph)) = (b.get(i + 3), b.get(i + 4)) else {
                break;
            };
            let end = i + 5 + usize::from(pl) + 256 * usize::from(ph);
            out.job_bytes += end.min(b.len()) - i;
            i = end;
        } else {
            out.job_bytes += 1;
            i += 1;
        }
    }
    out
}

/// A run of text printed in one style.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub text: String,
    /// Character width and height multipliers (GS !).
    pub width: u8,
    pub height: u8,
    pub bold: bool,
    /// 0 left, 1 centre, 2 right (ESC a).
    pub justify: u8,
    /// Line number, from 0.
    pub line: usize,
}

/// What a printer would have made of some bytes.
#[derive(Debug, Clone, Default)]
pub struct Decoded {
    pub runs: Vec<Run>,
    /// Data of every QR symbol printed (GS ( k fn 81 prints what fn 80 stored).
    pub qr: Vec<String>,
    /// 1 or 2 (fn 65).
    pub qr_model: Option<u8>,
    /// 'L', 'M', 'Q' or 'H' (fn 69).
    pub qr_level: Option<char>,
    /// Module size in dots (fn 67).
    pub qr_module: Option<u8>,
    pub cuts: usize,
    /// FS & was on when double-byte text arrived.
    pub chinese_mode: bool,
    pub status_requests: Vec<u8>,
}

impl Decoded {
    /// The printed lines (runs on a line joined), without blank lines.
    pub fn lines(&self) -> Vec<String> {
        let mut out: Vec<(usize, String)> = Vec::new();
        for r in &self.runs {
            match out.last_mut() {
                Some((l, s)) if *l == r.line => s.push_str(&r.text),
                _ => out.push((r.line, r.text.clone())),
            }
        }
        out.into_iter()
            .map(|(_, s)| s)
            .filter(|s| !s.trim().is_empty())
            .collect()
    }

    /// Everything printed, one line per line.
    pub fn text(&self) -> String {
        self.lines().join("\n")
    }
}

#[derive(Clone, Copy)]
struct Style {
    width: u8,
    height: u8,
    bold: bool,
    justify: u8,
}

const PLAIN: Style = Style {
    width: 1,
    height: 1,
    bold: false,
    justify: 0,
};

/// Decode ESC/POS bytes; an unknown or truncated command is an error naming its offset.
pub fn decode(b: &[u8]) -> Result<Decoded, String> {
    let mut d = Decoded::default();
    let mut style = PLAIN;
    let mut chinese = false;
    let mut line = 0usize;
    let mut text: Vec<u8> = Vec::new();
    let mut stored_qr: Option<String> = None;
    let flush = |text: &mut Vec<u8>, d: &mut Decoded, style: Style, line: usize| {
        if text.is_empty() {
            return;
        }
        let (s, _, _) = encoding_rs::GB18030.decode(text);
        d.runs.push(Run {
            text: s.into_owned(),
            width: style.width,
            height: style.height,
            bold: style.bold,
            justify: style.justify,
            line,
        });
        text.clear();
    };
    let arg = |i: usize| b.get(i).copied().ok_or(format!("truncated command at {i}"));
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            0x0A => {
                flush(&mut text, &mut d, style, line);
                line += 1;
                i += 1;
            }
            0x10 => {
                if arg(i + 1)? != 0x04 {
                    return Err(format!("unknown DLE command at {i}"));
                }
                d.status_requests.push(arg(i + 2)?);
                i += 3;
            }
            0x1B => {
                flush(&mut text, &mut d, style, line);
                match arg(i + 1)? {
                    b'@' => {
                        style = PLAIN;
                        chinese = false;
                        i += 2;
                    }
                    b'a' => {
                        style.justify = arg(i + 2)? % 48;
                        i += 3;
                    }
                    b'E' => {
                        style.bold = arg(i + 2)? & 1 == 1;
                        i += 3;
                    }
                    b'd' => {
                        line += usize::from(arg(i + 2)?);
                        i += 3;
                    }
                    other => return Err(format!("unknown command ESC {other:#04x} at {i}")),
                }
            }
            0x1C => {
                flush(&mut text, &mut d, style, line);
                match arg(i + 1)? {
                    b'&' => chinese = true,
                    b'.' => chinese = false,
                    other => return Err(format!("unknown command FS {other:#04x} at {i}")),
                }
                i += 2;
            }
            0x1D => {
                flush(&mut text, &mut d, style, line);
                match arg(i + 1)? {
                    b'!' => {
                        let n = arg(i + 2)?;
                        style.width = (n >> 4) + 1;
                        style.height = (n & 0x0F) + 1;
                        i += 3;
                    }
                    b'V' => {
                        let m = arg(i + 2)?;
                        d.cuts += 1;
                        i += if matches!(m, 65 | 66 | 97 | 98 | 103 | 104) {
                            4
                        } else {
                            3
                        };
                        arg(i - 1)?;
                    }
                    b'(' if arg(i + 2)? == b'k' => {
                        let len = usize::from(arg(i + 3)?) + 256 * usize::from(arg(i + 4)?);
                        let body = b
                            .get(i + 5..i + 5 + len)
                            .ok_or(format!("truncated GS ( k at {i}"))?;
                        if body.len() < 2 || body[0] != 49 {
                            return Err(format!("GS ( k at {i} is not a QR command"));
                        }
                        match (body[1], body.get(2)) {
                            (65, Some(&m)) => d.qr_model = Some(m - 48),
                            (67, Some(&n)) => d.qr_module = Some(n),
                            (69, Some(&n)) => {
                                d.qr_level = ['L', 'M', 'Q', 'H']
                                    .get(usize::from(n.wrapping_sub(48)))
                                    .copied();
                            }
                            (80, Some(48)) => {
                                stored_qr = Some(String::from_utf8_lossy(&body[3..]).into_owned());
                            }
                            (81, Some(48)) => {
                                let data = stored_qr
                                    .take()
                                    .ok_or(format!("QR print without data at {i}"))?;
                                d.qr.push(data);
                                line += 1;
                            }
                            (f, _) => return Err(format!("unknown QR function {f} at {i}")),
                        }
                        i += 5 + len;
                    }
                    other => return Err(format!("unknown command GS {other:#04x} at {i}")),
                }
            }
            c if c < 0x20 => return Err(format!("unknown control byte {c:#04x} at {i}")),
            c => {
                if c >= 0x80 {
                    if !chinese {
                        return Err(format!("double-byte text without Chinese mode at {i}"));
                    }
                    d.chinese_mode = true;
                }
                text.push(c);
                i += 1;
            }
        }
    }
    flush(&mut text, &mut d, style, line);
    Ok(d)
}

/// `hallq fake-printer`: print each job as text as it arrives.
pub async fn print_jobs_forever(p: &FakePrinter) {
    loop {
        if let Some(job) = p.next_job(Duration::from_secs(3600)).await {
            match decode(&job) {
                Ok(d) => {
                    println!("---- slip ({} bytes) ----", job.len());
                    println!("{}", d.text());
                    for q in &d.qr {
                        println!("[QR] {q}");
                    }
                    println!("[cut x{}]", d.cuts);
                }
                Err(e) => println!("---- {} bytes, not understood: {e}", job.len()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_decoder_reads_commands_by_the_reference() {
        // ESC @, FS &, "中文" in GB18030, LF, GS ! 0x11, "A1", ESC d 2, QR, GS V 0.
        let mut b = vec![0x1B, 0x40, 0x1C, 0x26, 0xD6, 0xD0, 0xCE, 0xC4, 0x0A];
        b.extend([0x1D, 0x21, 0x11, b'A', b'1', 0x1B, 0x64, 0x02]);
        b.extend([0x1D, 0x28, 0x6B, 0x04, 0x00, 0x31, 0x41, 0x32, 0x00]);
        b.extend([0x1D, 0x28, 0x6B, 0x05, 0x00, 0x31, 0x50, 0x30, b'h', b'i']);
        b.extend([0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x51, 0x30]);
        b.extend([0x1D, 0x56, 0x00]);
        let d = decode(&b).expect("decodes");
        assert_eq!(d.lines(), vec!["中文", "A1"]);
        assert_eq!(d.runs[1].width, 2);
        assert_eq!(d.qr, vec!["hi"]);
        assert_eq!(d.qr_model, Some(2));
        assert_eq!(d.cuts, 1);
        assert!(d.chinese_mode);
        assert!(decode(&[0xD6, 0xD0]).is_err(), "Chinese text needs FS &");
        assert!(decode(&[0x1B, 0x7A, 0x00]).is_err(), "unknown command");
    }

    #[test]
    fn the_scanner_skips_qr_payloads() {
        // A QR store whose payload contains DLE EOT bytes is not a status request.
        let b = [
            0x1D, 0x28, 0x6B, 0x06, 0x00, 0x31, 0x50, 0x30, 0x10, 0x04, 0x01, 0x10, 0x04, 0x02,
        ];
        let s = scan(&b);
        assert_eq!(s.status_requests, vec![2]);
        assert_eq!(s.job_bytes, 11);
    }
}
