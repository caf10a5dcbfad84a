//! Same binary + scenario + seed ⇒ byte-identical outputs (golden copies: tests/golden.rs).
use std::path::{Path, PathBuf};
use std::process::Command;

const FILES: [&str; 6] = [
    "timeline.csv",
    "nodes.csv",
    "pods.csv",
    "subnets.csv",
    "events.csv",
    "summary.json",
];

fn run(scenario: &str, seed: Option<&str>, tag: &str) -> PathBuf {
    let out = std::env::temp_dir().join(format!("ipamsim-det-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let mut args = vec!["run", scenario, "--out", out.to_str().unwrap(), "--quiet"];
    if let Some(s) = seed {
        args.extend(["--seed", s]);
    }
    let o = Command::new(env!("CARGO_BIN_EXE_ipamsim"))
        .args(&args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    out
}

fn read(dir: &Path, f: &str) -> Vec<u8> {
    std::fs::read(dir.join(f)).unwrap()
}

#[test]
fn same_seed_same_bytes_other_seed_other_draws() {
    let sc = "scenarios/scale-out.yaml";
    let a = run(sc, None, "a");
    let b = run(sc, None, "b");
    for f in FILES {
        assert!(
            read(&a, f) == read(&b, f),
            "{f} differs between identical runs"
        );
    }
    let c = run(sc, Some("7"), "c");
    // Seed 7 changes the IMDS delays, kubelet jitter and map-order draws.
    assert!(read(&a, "events.csv") != read(&c, "events.csv"));
    assert!(read(&a, "pods.csv") != read(&c, "pods.csv"));
}

/// Runs `scenario` into a fresh directory with `IPAMSIM_WRITER_THREAD=<writer_thread>`.
fn run_writers(scenario: &str, writer_thread: &str) -> PathBuf {
    let name = Path::new(scenario).file_stem().unwrap().to_str().unwrap();
    let out = std::env::temp_dir().join(format!(
        "ipamsim-writers-{}-{name}-{writer_thread}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&out);
    let o = Command::new(env!("CARGO_BIN_EXE_ipamsim"))
        .args(["run", scenario, "--out", out.to_str().unwrap(), "--quiet"])
        .env("IPAMSIM_WRITER_THREAD", writer_thread)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    out
}

/// The files of a run directory, by name.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

#[test]
fn the_writer_thread_writes_the_same_bytes_as_inline_writers() {
    // churn: every file, many pods and waits (several batches); calico: blocks.csv;
    // security groups: branch-ENI events with pod names in their details
    for sc in [
        "scenarios/churn.yaml",
        "scenarios/calico.yaml",
        "scenarios/security-groups.yaml",
    ] {
        let inline = run_writers(sc, "0");
        let thread = run_writers(sc, "1");
        let files = names(&inline);
        assert_eq!(files, names(&thread), "{sc}: other files");
        assert!(files.iter().any(|f| f == "waits.csv"), "{sc}: {files:?}");
        if sc.contains("calico") {
            assert!(files.iter().any(|f| f == "blocks.csv"), "{files:?}");
        }
        for f in &files {
            assert!(
                read(&inline, f) == read(&thread, f),
                "{sc}: {f} differs between the inline and threaded writers"
            );
        }
        let _ = std::fs::remove_dir_all(&inline);
        let _ = std::fs::remove_dir_all(&thread);
    }
}
