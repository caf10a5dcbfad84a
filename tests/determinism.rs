//! Same binary + scenario + seed ⇒ byte-identical outputs; a golden copy of one small run.
use std::path::{Path, PathBuf};
use std::process::Command;

const FILES: [&str; 5] = [
    "timeline.csv",
    "nodes.csv",
    "pods.csv",
    "subnets.csv",
    "events.csv",
];
const GOLDEN: [&str; 4] = ["timeline.csv", "pods.csv", "subnets.csv", "events.csv"];

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

/// Golden outputs of `scenarios/three-t3-medium.yaml`. After a deliberate model change,
/// regenerate with `UPDATE_GOLDEN=1 cargo test --release --test determinism` and review
/// the diff.
#[test]
fn golden_three_t3_medium() {
    let out = run("scenarios/three-t3-medium.yaml", None, "golden");
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/three-t3-medium");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(&golden).unwrap();
        for f in GOLDEN {
            std::fs::copy(out.join(f), golden.join(f)).unwrap();
        }
    }
    for f in GOLDEN {
        let want = std::fs::read_to_string(golden.join(f)).expect("golden file (see doc comment)");
        let got = std::fs::read_to_string(out.join(f)).unwrap();
        if want != got {
            let line = want.lines().zip(got.lines()).position(|(a, b)| a != b);
            panic!("{f} differs from the golden copy (first differing line {line:?})");
        }
    }
}
