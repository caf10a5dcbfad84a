//! `ipamsim import` with very many bad items (defect N4): the diagnostics are capped at
//! the first 100, then one `… and N more (M in all)` line, and memory for them does not
//! grow with the input (docs/import.md, "Problems and warnings").

use crate::common;

use common::{fresh_dir, ipamsim};
use std::time::{Duration, Instant};

/// `kubectl get nodes -o json` with `n` nodes, none with labels (each one a problem).
fn nodes_without_labels(n: usize) -> String {
    let items: Vec<String> = (0..n)
        .map(|i| {
            format!(
                r#"{{"apiVersion":"v1","kind":"Node","metadata":{{"name":"ip-10-0-{}-{}.ec2.internal"}},"status":{{"addresses":[{{"type":"InternalIP","address":"10.0.{}.{}"}}],"capacity":{{"pods":"17"}}}}}}"#,
                i / 250,
                i % 250 + 1,
                i / 250,
                i % 250 + 1
            )
        })
        .collect();
    format!(
        r#"{{"apiVersion":"v1","kind":"List","items":[{}]}}"#,
        items.join(",")
    )
}

#[test]
fn five_thousand_bad_nodes_print_a_hundred_problems_and_a_count() {
    let dir = fresh_dir("import-limits", "nodes");
    let nodes = dir.join("nodes.json");
    std::fs::write(&nodes, nodes_without_labels(5_000)).unwrap();
    let started = Instant::now();
    let out = ipamsim(&["import", "--nodes", nodes.to_str().unwrap()]);
    let took = started.elapsed();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(out.stdout.is_empty());
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(lines.len() <= 102, "{} lines:\n{stderr}", lines.len());
    assert_eq!(lines.len(), 102, "{stderr}");
    assert!(
        lines[..100].iter().all(|l| l.contains("has no labels")),
        "{stderr}"
    );
    assert_eq!(lines[100], "… and 4900 more (5000 in all)");
    assert_eq!(
        lines[101],
        "import: 5000 problems found; nothing was written"
    );
    assert!(took < Duration::from_secs(10), "took {took:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_hundred_problems_or_fewer_have_no_count_line() {
    let dir = fresh_dir("import-limits", "hundred");
    let nodes = dir.join("nodes.json");
    std::fs::write(&nodes, nodes_without_labels(100)).unwrap();
    let out = ipamsim(&["import", "--nodes", nodes.to_str().unwrap()]);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 101, "{stderr}");
    assert!(!stderr.contains("more ("), "{stderr}");
    assert_eq!(
        lines[100],
        "import: 100 problems found; nothing was written"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// N4: 400,000 nodes without labels on one line (about 70 MB, beyond the 64 MiB a tree of
/// the input could once be built for): the import reads them one at a time and places its
/// problems with a second streaming pass, so it runs within a 200 MB data limit (it
/// needed over 240 MB for a 48 MB file when it kept every node and re-parsed the file to
/// place problems) and the first problem still has its line and column. items[0].metadata.labels
/// is missing, so it is placed at `metadata`'s value: after
/// `{"apiVersion":"v1","kind":"List","items":[` (42 characters) and
/// `{"apiVersion":"v1","kind":"Node","metadata":` (44), its `{` is line 1, column 87.
#[cfg(target_os = "linux")]
#[test]
fn a_seventy_megabyte_line_of_bad_nodes_is_placed_in_bounded_memory() {
    let dir = fresh_dir("import-limits", "large");
    let nodes = dir.join("nodes.json");
    // written in pieces, not held whole
    {
        use std::io::Write;
        let mut f = std::io::BufWriter::new(std::fs::File::create(&nodes).unwrap());
        let whole = nodes_without_labels(1);
        let (head, rest) = whole.split_at(whole.find("\"items\":[").unwrap() + 9);
        let (item, tail) = rest.split_at(rest.len() - 2);
        f.write_all(head.as_bytes()).unwrap();
        for i in 0..400_000 {
            if i > 0 {
                f.write_all(b",").unwrap();
            }
            f.write_all(item.as_bytes()).unwrap();
        }
        f.write_all(tail.as_bytes()).unwrap();
    }
    assert!(std::fs::metadata(&nodes).unwrap().len() > 64 << 20);
    // 200 MB of data for the child (RLIMIT_DATA: heap and private writable mappings): an
    // allocation beyond it fails and the process aborts instead of exiting 2
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_ipamsim"));
    cmd.args(["import", "--nodes", nodes.to_str().unwrap()]);
    // SAFETY: between fork and exec only setrlimit, async-signal-safe, on a local struct.
    unsafe {
        use std::os::unix::process::CommandExt;
        cmd.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: 200_000_000,
                rlim_max: 200_000_000,
            };
            if libc::setrlimit(libc::RLIMIT_DATA, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let o = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(
        o.status.code(),
        Some(2),
        "{:?}: {}",
        o.status,
        &stderr[..stderr.len().min(2000)]
    );
    let first = stderr.lines().next().unwrap();
    assert!(
        first.ends_with(
            ":1:87: items[0].metadata.labels: node ip-10-0-0-1.ec2.internal has no labels; \
             expected at least node.kubernetes.io/instance-type"
        ),
        "{first}"
    );
    assert!(
        stderr.contains("… and 399900 more (400000 in all)"),
        "{}",
        &stderr[stderr.len().saturating_sub(300)..]
    );
    let _ = std::fs::remove_dir_all(&dir);
}
