//! The bodies of the fuzz targets in `fuzz/` (cargo-fuzz, nightly), as ordinary functions,
//! so that `tests/fuzz_corpus.rs` runs their checked-in corpora on stable in every
//! `cargo test` (docs/scenario-input.md, "Fuzzing").
//!
//! Each function takes any bytes and returns what became of them, or `Err` with the
//! broken rule (a problem of more than one line, a rejection without problems). A panic
//! anywhere below is a bug, found by the fuzzer or by the corpus test.

use crate::import::json::{Found, InputFile, Located};
use crate::import::{aws, build, kube, list, out};
use crate::scenario::{CniConfig, LoadOptions, ScenarioErrors, Source};
use serde::de::DeserializeSeed;
use std::path::Path;

/// What became of one input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Not UTF-8 (scenarios) or not JSON of any input's shape (import): nothing to check.
    Skipped,
    /// Accepted (for import: by at least one of the readers).
    Valid,
    /// Rejected with this many one-line problems (never 0).
    Rejected(usize),
}

/// Any bytes as a scenario file: reading, validating (with and without `allow_large`),
/// overriding, and `parse_duration` of the whole text.
pub fn scenario(data: &[u8]) -> Result<Outcome, String> {
    let Ok(text) = std::str::from_utf8(data) else {
        return Ok(Outcome::Skipped);
    };
    // Relative paths (traces, cni_from) point nowhere.
    let dir = Path::new("/nonexistent/ipamsim-fuzz");
    let _ = crate::time::parse_duration(text);
    let source = match Source::from_text(text, "fuzz.yaml", dir) {
        Ok(source) => source,
        Err(e) => return rejected(&e).map(Outcome::Rejected),
    };
    let mut outcome = Outcome::Valid;
    for opts in [LoadOptions::default(), LoadOptions { allow_large: true }] {
        match source.scenario(&opts) {
            Ok(sc) => {
                if let Some(line) = sc.warning_lines().iter().find(|l| l.contains('\n')) {
                    return Err(format!("a warning of more than one line: {line:?}"));
                }
            }
            Err(e) => outcome = Outcome::Rejected(rejected(&e)?),
        }
    }
    let overrides = [
        ("WARM_IP_TARGET".to_string(), "5".to_string()),
        ("nodegroups[0].count".to_string(), "3".to_string()),
        ("kubelet.retry_interval".to_string(), "2s".to_string()),
    ];
    if let Err(e) = source.with_overrides(&overrides, &LoadOptions::default()) {
        rejected(&e)?;
    }
    Ok(outcome)
}

/// The number of problems, if there is at least one and each is one line.
fn rejected(e: &ScenarioErrors) -> Result<usize, String> {
    let shown = e.to_string();
    if e.problems.is_empty() || shown.lines().count() != e.problems.len() {
        return Err(format!(
            "{} problems shown as {} lines:\n{shown}",
            e.problems.len(),
            shown.lines().count()
        ));
    }
    Ok(e.problems.len())
}

/// Any bytes as `import`'s JSON: as `kubectl get nodes -o json`, as `aws ec2
/// describe-subnets --output json` and as `kubectl get pods -A -o json`, each read into
/// its structs and checked on its own. When it reads as nodes without problems, the
/// scenario is built from them (with the same bytes as subnets and pods where they read as
/// those without problems), written as YAML and checked by the scenario loader, as
/// `import` does. Valid if any reader accepts it.
pub fn import_json(data: &[u8]) -> Result<Outcome, String> {
    // each reader as `import` runs it: items handed over one by one as they are read
    let mut found = Found::default();
    let mut reader = kube::NodeReader::new(0, &found);
    let head = from_slice(data, list::list_seed(|i, n| reader.take(i, n, &mut found)));
    let nodes_read = head.is_some();
    let (nodes, skipped) = match head {
        Some(head) => reader.finish(&head, &mut found),
        None => (Vec::new(), Vec::new()),
    };
    let subnets = serde_json::from_slice::<aws::DescribeSubnets>(data).ok();
    let mut pods_found = Found::default();
    let mut pod_reader = kube::PodReader::new(2, &pods_found, &skipped);
    let pods = from_slice(
        data,
        list::list_seed(|i, p| pod_reader.take(i, p, &mut pods_found)),
    )
    .map(|head| pod_reader.finish(&head, &mut pods_found));
    if !nodes_read && subnets.is_none() && pods.is_none() {
        return Ok(Outcome::Skipped);
    }
    let mut problems = Vec::new();
    let nodes_ok = placed(found, &mut problems)? && !nodes.is_empty();
    let mut found = Found::default();
    let subnets = subnets.map(|doc| aws::subnets(doc, 1, &mut found));
    let subnets_ok = placed(found, &mut problems)? && subnets.is_some();
    let pods_ok = placed(pods_found, &mut problems)? && pods.is_some();
    if !nodes_ok {
        return Ok(if subnets_ok || pods_ok {
            Outcome::Valid
        } else {
            Outcome::Rejected(problems.len().max(1))
        });
    }
    let cni = CniConfig::default();
    let pods = pods.filter(|_| pods_ok).unwrap_or_default();
    let cluster = build::Cluster {
        nodes: &nodes,
        subnets: subnets.as_deref().filter(|_| subnets_ok),
        pods: &pods,
        cni: &cni,
        launches: &[],
    };
    let mut found = Found::default();
    let built = build::build(&cluster, &mut found);
    let mut build_problems = Vec::new();
    if !placed(found, &mut build_problems)? {
        return Ok(Outcome::Rejected(build_problems.len()));
    }
    let yaml = out::to_yaml(&built)?;
    let opts = LoadOptions { allow_large: true };
    match crate::scenario::parse_with(&yaml, "imported", Path::new("."), &opts) {
        Ok(_) => Ok(Outcome::Valid),
        Err(e) => Err(format!("the imported scenario is rejected:\n{e}\n{yaml}")),
    }
}

/// `data` read as JSON through `seed`, or `None` if it does not read.
fn from_slice<S, V>(data: &[u8], seed: S) -> Option<V>
where
    S: for<'de> DeserializeSeed<'de, Value = V>,
{
    crate::import::json::whole_document(&mut serde_json::Deserializer::from_slice(data), seed).ok()
}

/// Places `found`'s problems (into `problems`) and warnings, checks that each is one line,
/// and says whether there was no problem.
fn placed(found: Found, problems: &mut Vec<Located>) -> Result<bool, String> {
    let absent = InputFile::new(Path::new(""));
    let (errors, warnings) = found.place(&[&absent, &absent, &absent]);
    one_line(&errors)?;
    one_line(&warnings)?;
    let ok = errors.is_empty();
    problems.extend(errors);
    Ok(ok)
}

/// `Err` if a problem or warning is not one line.
fn one_line(items: &[Located]) -> Result<(), String> {
    match items
        .iter()
        .map(|l| (l.to_string(), l.warning_line()))
        .find(|(a, b)| a.contains('\n') || b.contains('\n'))
    {
        Some((line, _)) => Err(format!("a diagnostic of more than one line: {line:?}")),
        None => Ok(()),
    }
}
