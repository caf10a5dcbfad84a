//! Golden outputs: every shipped scenario's every output file (`blocks.csv` too where a
//! Calico scenario writes it), as SHA-256 digests in
//! `tests/golden/digests.csv`, and full copies of `three-t3-medium`'s files for readable
//! diffs. Outputs change only on purpose: after a deliberate change, regenerate with
//! `UPDATE_GOLDEN=1 cargo test --release --test main golden::` and review `git diff tests/golden`.
use crate::common;
use common::{fresh_dir, ipamsim};
use sha2::{Digest, Sha256};
use std::path::Path;

/// The files a default run writes.
const OUTPUTS: [&str; 7] = [
    "timeline.csv",
    "nodes.csv",
    "pods.csv",
    "subnets.csv",
    "events.csv",
    "waits.csv",
    "summary.json",
];

fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn update() -> bool {
    std::env::var_os("UPDATE_GOLDEN").is_some()
}

fn shipped() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(manifest().join("scenarios"))
        .unwrap()
        .filter_map(|e| {
            let p = e.unwrap().path();
            (p.extension()? == "yaml").then(|| p.file_stem()?.to_str().map(str::to_string))?
        })
        .collect();
    names.sort();
    names
}

fn run(name: &str) -> std::path::PathBuf {
    let out = fresh_dir("golden", name);
    let file = format!("scenarios/{name}.yaml");
    let o = ipamsim(&["run", &file, "--out", out.to_str().unwrap(), "--quiet"]);
    assert!(
        o.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    out
}

#[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
struct Digest_ {
    scenario: String,
    file: String,
    bytes: u64,
    sha256: String,
}

#[test]
fn every_shipped_scenario_matches_its_digests() {
    let mut got = Vec::new();
    for name in shipped() {
        let out = run(&name);
        // blocks.csv: Calico scenarios only
        let optional = ["blocks.csv"].into_iter().filter(|f| out.join(f).exists());
        for f in OUTPUTS.into_iter().chain(optional) {
            let bytes = std::fs::read(out.join(f)).unwrap();
            got.push(Digest_ {
                scenario: name.clone(),
                file: f.to_string(),
                bytes: bytes.len() as u64,
                sha256: Sha256::digest(&bytes)
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect(),
            });
        }
        let _ = std::fs::remove_dir_all(out);
    }
    let path = manifest().join("tests/golden/digests.csv");
    if update() {
        let mut w = csv::Writer::from_path(&path).unwrap();
        for d in &got {
            w.serialize(d).unwrap();
        }
        w.flush().unwrap();
    }
    let want: Vec<Digest_> = csv::Reader::from_path(&path)
        .expect("tests/golden/digests.csv (see the module comment)")
        .deserialize()
        .map(Result::unwrap)
        .collect();
    let differ: Vec<String> = got
        .iter()
        .filter(|d| !want.contains(d))
        .map(|d| format!("{}/{}", d.scenario, d.file))
        .collect();
    assert!(
        differ.is_empty(),
        "outputs differ from the golden digests: {differ:?}"
    );
    assert_eq!(got.len(), want.len(), "shipped scenarios changed");
}

#[test]
fn three_t3_medium_matches_its_golden_files() {
    let out = run("three-t3-medium");
    let golden = manifest().join("tests/golden/three-t3-medium");
    if update() {
        std::fs::create_dir_all(&golden).unwrap();
        for f in OUTPUTS {
            std::fs::copy(out.join(f), golden.join(f)).unwrap();
        }
    }
    for f in OUTPUTS {
        let want =
            std::fs::read_to_string(golden.join(f)).expect("golden file (see module comment)");
        let got = std::fs::read_to_string(out.join(f)).unwrap();
        if want != got {
            let line = want.lines().zip(got.lines()).position(|(a, b)| a != b);
            panic!("{f} differs from the golden copy (first differing line {line:?})");
        }
    }
}
