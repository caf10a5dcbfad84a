//! N3: every file input is read bounded (src/input.rs): a device, FIFO or directory is
//! refused before it is read, a file past its kind's size limit or a CSV line past 1 MiB
//! stops the read; each is one line naming the file, exit 2, within seconds.
use crate::common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Runs the binary with `args`, killing it after 20 s (the old code read `/dev/zero` until
/// memory ran out, or blocked on a FIFO forever); `None` if it had to be killed.
fn bounded_run(args: &[&str]) -> Option<Output> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ipamsim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        if child.try_wait().ok().flatten().is_some() {
            return child.wait_with_output().ok();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

/// Exit 2 with `needle` in the message's first line (the whole message for all but
/// `import`, which ends with its count of problems).
fn refused(args: &[&str], needle: &str) {
    let o = bounded_run(args).unwrap_or_else(|| panic!("{args:?} did not finish in 20 s"));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    let first = err.lines().next().unwrap_or_default();
    assert!(first.contains(needle), "{args:?}: {err}");
}

fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 temp path")
}

/// A run of three-t3-medium in a fresh directory.
fn run_dir(name: &str) -> PathBuf {
    let dir = fresh_dir("bounded", name);
    let o = ipamsim(&[
        "run",
        "scenarios/three-t3-medium.yaml",
        "--out",
        s(&dir),
        "--quiet",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    dir
}

#[cfg(unix)]
#[test]
fn waits_csv_linked_to_dev_zero_is_not_a_regular_file() {
    if !Path::new("/dev/zero").exists() {
        return;
    }
    let dir = run_dir("zero-waits");
    let waits = dir.join("waits.csv");
    std::fs::remove_file(&waits).unwrap_or_else(|e| panic!("{e}"));
    std::os::unix::fs::symlink("/dev/zero", &waits).unwrap_or_else(|e| panic!("{e}"));
    let start = Instant::now();
    refused(&["explain", s(&dir)], "waits.csv: not a regular file");
    assert!(start.elapsed() < Duration::from_secs(10));
    refused(&["report", s(&dir)], "waits.csv: not a regular file");
}

#[test]
fn a_two_mib_line_in_pods_csv_is_refused() {
    let dir = run_dir("long-line");
    let pods = dir.join("pods.csv");
    let header = std::fs::read_to_string(&pods).unwrap_or_else(|e| panic!("{e}"));
    let header = header.lines().next().unwrap_or_default();
    let text = format!("{header}\n{}\n", "x".repeat(2 << 20));
    std::fs::write(&pods, text).unwrap_or_else(|e| panic!("{e}"));
    refused(&["explain", s(&dir)], "line longer than 1 MiB");
    refused(&["explain", s(&dir)], "pods.csv");
    refused(&["report", s(&dir)], "line longer than 1 MiB");
}

#[cfg(unix)]
#[test]
fn shard_json_linked_to_dev_zero_is_refused_by_merge() {
    if !Path::new("/dev/zero").exists() {
        return;
    }
    let base = fresh_dir("bounded", "merge");
    let (p1, p2, out) = (base.join("p1"), base.join("p2"), base.join("m"));
    for p in [&p1, &p2] {
        std::fs::create_dir_all(p).unwrap_or_else(|e| panic!("{e}"));
    }
    std::os::unix::fs::symlink("/dev/zero", p1.join("shard.json"))
        .unwrap_or_else(|e| panic!("{e}"));
    let o = bounded_run(&["merge", "--out", s(&out), s(&p1), s(&p2)])
        .unwrap_or_else(|| panic!("merge did not finish in 20 s"));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("shard.json: cannot read: not a regular file"),
        "{err}"
    );
}

#[test]
fn a_fifo_as_nodes_is_refused_by_import() {
    let dir = fresh_dir("bounded", "fifo");
    let fifo = dir.join("nodes.json");
    let made = Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        return; // no mkfifo here
    }
    refused(&["import", "--nodes", s(&fifo)], "not a regular file");
}
