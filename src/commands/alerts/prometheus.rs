//! The real Prometheus that `alerts` drives: `promtool` to check rules and backfill
//! `metrics.om`, a `prometheus` server on 127.0.0.1 over that TSDB (killed when dropped),
//! and its HTTP API read through a minimal HTTP/1.0 client (one GET per connection, the
//! body read to the end: no chunked encoding, no dependency).

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One HTTP/1.0 GET of `path` on 127.0.0.1:`port` (no chunked encoding; the server closes
/// the connection): the status and the body. Reads wait at most `timeout`.
pub fn http_get(port: u16, path: &str, timeout: Duration) -> io::Result<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(timeout))?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")?;
    let mut text = String::new();
    s.read_to_string(&mut text)?;
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    Ok((status, body.to_string()))
}

/// `name` found on `PATH`.
pub fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// A `prometheus` server started here; killed and reaped when dropped.
pub struct Server {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts `bin` with `config` over the TSDB `db` (its log in `work`), with `lookback`
    /// as `--query.lookback-delta`, and waits until it is ready (at most 60 s).
    pub fn start(
        bin: &Path,
        config: &Path,
        db: &Path,
        work: &Path,
        lookback: &str,
    ) -> io::Result<Server> {
        let log = work.join("prometheus.log");
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let child = Command::new(bin)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", db.display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            // retention counts back from the newest block: the backfilled ones stay
            .arg("--storage.tsdb.retention.time=100y")
            .arg(format!("--query.lookback-delta={lookback}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log)?)
            .spawn()?;
        let mut s = Server { child, port, log };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok((200, _)) = s.get("/-/ready") {
                return Ok(s);
            }
            if let Some(status) = s.child.try_wait()? {
                return Err(io::Error::other(format!(
                    "prometheus exited ({status}): {}",
                    s.last_log_line()
                )));
            }
            if Instant::now() > deadline {
                return Err(io::Error::other(format!(
                    "prometheus was not ready after 60 s: {}",
                    s.last_log_line()
                )));
            }
            if super::super::stop_requested() {
                return Err(io::Error::new(io::ErrorKind::Interrupted, "interrupted"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn last_log_line(&self) -> String {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .last()
            .unwrap_or("")
            .to_string()
    }

    /// One GET: the status and the body.
    fn get(&self, path: &str) -> io::Result<(u16, String)> {
        http_get(self.port, path, Duration::from_secs(120))
    }

    /// `/api/v1/<endpoint>?<params>`: the answer's `data`, or its error.
    pub fn api(&self, endpoint: &str, params: &[(&str, &str)]) -> io::Result<serde_json::Value> {
        let q: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{k}={}", percent(v)))
            .collect();
        let (status, body) = self.get(&format!("/api/v1/{endpoint}?{}", q.join("&")))?;
        let v: serde_json::Value = serde_json::from_str(&body)
            .map_err(|e| io::Error::other(format!("prometheus answered {status}: {e}")))?;
        if v["status"] != "success" {
            let why = v["error"].as_str().unwrap_or("no reason given");
            return Err(io::Error::other(format!("prometheus: {why}")));
        }
        Ok(v["data"].clone())
    }
}

/// Runs `promtool` with `args`: its output (stdout then stderr) on failure.
pub fn promtool(bin: &Path, args: &[&std::ffi::OsStr]) -> io::Result<Result<(), String>> {
    let o = Command::new(bin).args(args).stdin(Stdio::null()).output()?;
    if o.status.success() {
        return Ok(Ok(()));
    }
    let mut text = String::from_utf8_lossy(&o.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&o.stderr));
    Ok(Err(text))
}

/// Unix ms as the API's decimal seconds.
pub fn secs(ms: i64) -> String {
    format!("{}.{:03}", ms.div_euclid(1000), ms.rem_euclid(1000))
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn percent(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
