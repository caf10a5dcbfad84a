//! The fuzz targets' corpora (`fuzz/corpus/scenario/`, `fuzz/corpus/import/`) run through
//! the targets' own bodies, `ipamsim::fuzzing::{scenario, import_json}`, on stable in
//! every `cargo test`: no input panics, and each is valid or rejected with one-line
//! problems. The import corpus is also read from its files by `ipamsim::import::import`,
//! as `--nodes` alone and as `--nodes`, `--subnets` and `--pods` at once, which places
//! problems at lines and columns. See docs/scenario-input.md, "Fuzzing".

use ipamsim::fuzzing::{import_json, scenario, Outcome};
use ipamsim::import::{import, Inputs};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The files of `fuzz/corpus/<target>/`, sorted.
fn corpus(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Runs `body` on every file of the corpus; returns (valid, rejected, skipped).
fn run(target: &str, body: fn(&[u8]) -> Result<Outcome, String>) -> [usize; 3] {
    let started = Instant::now();
    let files = corpus(target);
    assert!(files.len() >= 20, "only {} files", files.len());
    let mut counts = [0; 3];
    for file in &files {
        let data = std::fs::read(file).expect("corpus file");
        match body(&data) {
            Ok(Outcome::Valid) => counts[0] += 1,
            Ok(Outcome::Rejected(n)) => {
                assert!(n > 0, "{}", file.display());
                counts[1] += 1;
            }
            Ok(Outcome::Skipped) => counts[2] += 1,
            Err(broken) => panic!("{}: {broken}", file.display()),
        }
    }
    let took = started.elapsed();
    eprintln!(
        "fuzz corpus {target}: {} files, [valid, rejected, skipped] = {counts:?}, {took:?}",
        files.len()
    );
    assert!(took < Duration::from_secs(20), "{target} took {took:?}");
    counts
}

#[test]
fn the_scenario_corpus_is_valid_or_rejected_with_located_problems() {
    let [valid, rejected, _] = run("scenario", scenario);
    // The shipped scenarios and examples are valid; most mutations are not.
    assert!(valid >= 19, "{valid} valid");
    assert!(rejected >= 30, "{rejected} rejected");
}

#[test]
fn the_import_corpus_is_valid_or_rejected_with_located_problems() {
    let [valid, rejected, _] = run("import", import_json);
    assert!(valid >= 2, "{valid} valid");
    assert!(rejected >= 10, "{rejected} rejected");
}

#[test]
fn the_import_corpus_imports_from_files_without_panicking() {
    for file in corpus("import") {
        for all in [false, true] {
            let one = [file.as_path()];
            let inputs = Inputs {
                nodes: &file,
                subnets: all.then_some(file.as_path()),
                aws_node: None,
                pods: if all { &one } else { &[] },
                replay: false,
                since: None,
                events: None,
            };
            let (errors, warnings) = match import(&inputs) {
                Ok(i) => (Vec::new(), i.warnings),
                Err(f) => {
                    assert!(!f.errors.is_empty(), "{}", file.display());
                    (f.errors, f.warnings)
                }
            };
            for line in errors
                .iter()
                .map(ToString::to_string)
                .chain(warnings.iter().map(|w| w.warning_line()))
            {
                assert!(!line.contains('\n'), "{}: {line:?}", file.display());
            }
        }
    }
}
