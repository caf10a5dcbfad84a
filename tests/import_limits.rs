//! `ipamsim import` with very many bad items (defect N4): the diagnostics are capped at
//! the first 100, then one `… and N more (M in all)` line, and memory for them does not
//! grow with the input (docs/import.md, "Problems and warnings").

mod common;

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
