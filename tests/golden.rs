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

/// The text the commands print, as snapshots in `tests/golden/text/` (regenerated with
/// the CSVs by `UPDATE_GOLDEN=1`): run's summary, explain's overview and one pod's story,
/// the capacity table of two types and of a scenario, a comparison's table and verdict,
/// and a plan's answer. Each command runs in a scratch directory holding a copy of
/// `three-t3-medium.yaml`, so that no absolute path appears in what it prints.
#[test]
fn text_outputs_match_their_snapshots() {
    let dir = fresh_dir("golden", "text");
    std::fs::copy(
        manifest().join("scenarios/three-t3-medium.yaml"),
        dir.join("s.yaml"),
    )
    .unwrap();
    let run = |args: &[&str]| {
        let o = common::ipamsim_in(&dir, args);
        assert!(
            matches!(o.status.code(), Some(0 | 3)),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        // wall-clock figures are the only thing that may differ between runs
        let text = String::from_utf8(o.stdout).unwrap();
        let mut out = String::new();
        for line in text.split_inclusive('\n') {
            match line.find(" s wall") {
                Some(end) => {
                    let start = line[..end].rfind(' ').unwrap() + 1;
                    out.push_str(&line[..start]);
                    out.push_str("<wall>");
                    out.push_str(&line[end..]);
                }
                None => out.push_str(line),
            }
        }
        out
    };
    let mut snapshots: Vec<(&str, String)> =
        vec![("run.txt", run(&["run", "s.yaml", "--out", "r", "-q"]))];
    snapshots.push(("run-summary.txt", run(&["run", "s.yaml", "--out", "r2"])));
    snapshots.push(("explain.txt", run(&["explain", "r"])));
    // the first nginx pod in pods.csv
    let pods = std::fs::read_to_string(dir.join("r/pods.csv")).unwrap();
    let mut rows = csv::Reader::from_reader(pods.as_bytes());
    let pod = rows
        .records()
        .map(|r| r.unwrap()[0].to_string())
        .find(|p| p.starts_with("nginx-"))
        .unwrap();
    snapshots.push(("explain-pod.txt", run(&["explain", "r", "--pod", &pod])));
    snapshots.push((
        "capacity.txt",
        run(&["capacity", "-t", "m5.large", "-t", "t3.medium"]),
    ));
    snapshots.push((
        "capacity-scenario.txt",
        run(&["capacity", "--scenario", "s.yaml"]),
    ));
    snapshots.push((
        "compare.txt",
        run(&[
            "compare",
            "s.yaml",
            "--set",
            "WARM_IP_TARGET=1,3",
            "--out",
            "c",
            "--slo",
            "p99_time_to_ip<=30s",
            "--jobs",
            "2",
        ]),
    ));
    snapshots.push((
        "plan.txt",
        run(&[
            "plan",
            "s.yaml",
            "--find",
            "min",
            "WARM_IP_TARGET",
            "--slo",
            "p99_time_to_ip<=20s",
            "--range",
            "0..40",
        ]),
    ));
    let golden = manifest().join("tests/golden/text");
    if update() {
        std::fs::create_dir_all(&golden).unwrap();
        for (name, text) in &snapshots {
            std::fs::write(golden.join(name), text).unwrap();
        }
    }
    for (name, got) in &snapshots {
        let want = std::fs::read_to_string(golden.join(name))
            .unwrap_or_else(|e| panic!("{name}: {e} (see the module comment)"));
        if &want != got {
            let line = want.lines().zip(got.lines()).position(|(a, b)| a != b);
            panic!("{name} differs from its snapshot (first differing line {line:?}):\n{got}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
