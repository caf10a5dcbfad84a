//! `ipamsim import`: a scenario built from a real cluster's own output — `kubectl get nodes
//! -o json`, optionally `aws ec2 describe-subnets --output json`, the aws-node DaemonSet
//! (`kubectl get ds aws-node -n kube-system -o yaml`) and `kubectl get pods -A -o json`.
//!
//! Layers: [`json`] (reading and placing problems), [`kube`] and [`aws`] (the input shapes),
//! [`build`] (subnets, nodegroups, DaemonSets and workloads), [`estimate`] (the addresses a
//! node holds, for `used`), [`names`], [`out`] (the scenario written). The rules and the
//! estimates are in docs/import.md.
//!
//! Every problem is reported at once, each with its file and a line and column or a JSON
//! path; nothing panics, and the scenario is checked by the scenario loader before it is
//! returned.

pub mod aws;
pub mod build;
pub mod estimate;
pub mod history;
pub mod json;
pub mod kube;
pub mod list;
mod locate;
pub mod names;
pub mod out;
pub mod path;

use crate::scenario::{read_aws_node_env, CniConfig, Diagnostic};
use json::{read_json, read_json_with, Found, InputFile, Located};
use std::path::Path;

/// The files to import from.
#[derive(Clone, Copy, Debug)]
pub struct Inputs<'a> {
    /// `kubectl get nodes -o json`.
    pub nodes: &'a Path,
    /// `aws ec2 describe-subnets --output json`.
    pub subnets: Option<&'a Path>,
    /// The aws-node DaemonSet manifest.
    pub aws_node: Option<&'a Path>,
    /// `kubectl get pods -A -o json` (a List), or several files and watch streams for a
    /// replay.
    pub pods: &'a [&'a Path],
    /// Replay the pods' history even from one List (several files or a watch stream
    /// always replay).
    pub replay: bool,
    /// Where a replay's window starts (else at the first pod's creation).
    pub since: Option<history::stamp::Stamp>,
    /// `kubectl get events -A -o json`: the autoscalers' scale-up events, for a replay's
    /// provision times.
    pub events: Option<&'a Path>,
}

impl Inputs<'_> {
    /// Whether the pods make a replay: `--replay`, `--since` or `--events`, several files,
    /// or a file that is not one List (a watch stream).
    pub fn is_replay(&self) -> bool {
        self.replay
            || self.since.is_some()
            || self.events.is_some()
            || self.pods.len() > 1
            || self.pods.first().is_some_and(|p| history::is_stream(p))
    }
}

/// An imported scenario.
#[derive(Clone, Debug)]
pub struct Imported {
    /// The scenario as structs.
    pub scenario: out::ScenarioOut,
    /// The scenario as YAML text (what is written).
    pub yaml: String,
    /// Warnings about the inputs (ignored variables, skipped nodes, estimates): at most
    /// about [`json::MAX_KEPT`] of them.
    pub warnings: Vec<Located>,
    /// Warnings found but not kept (beyond [`json::MAX_KEPT`]).
    pub more_warnings: u64,
    /// A replay's trace files (written beside the scenario), none otherwise.
    pub traces: Vec<history::replay::TraceFile>,
}

/// Why nothing was imported: every problem, and the warnings found on the way.
#[derive(Clone, Debug)]
pub struct Failed {
    /// The problems (never empty): at most about [`json::MAX_KEPT`] of them.
    pub errors: Vec<Located>,
    /// Warnings found before the problems stopped the import.
    pub warnings: Vec<Located>,
    /// Problems found but not kept (beyond [`json::MAX_KEPT`]).
    pub more_errors: u64,
    /// Warnings found but not kept.
    pub more_warnings: u64,
}

/// File indices in [`Found`].
const NODES: usize = 0;
const SUBNETS: usize = 1;
const PODS: usize = 2;

/// Name of the scenario in messages about the written scenario itself.
const SELF_CHECK: &str = "imported scenario";

/// Imports the scenario: reads every input, reports every problem at once, and returns
/// the scenario only if the scenario loader accepts it.
pub fn import(inputs: &Inputs<'_>) -> Result<Imported, Failed> {
    let mut errors: Vec<Located> = Vec::new();
    let mut warnings: Vec<Located> = Vec::new();
    let cni = aws_node_cni(inputs.aws_node, &mut errors, &mut warnings);

    let nodes_file = InputFile::new(inputs.nodes);
    let subnets_file = inputs.subnets.map(InputFile::new);
    let mut pods_files: Vec<InputFile> = inputs.pods.iter().map(|p| InputFile::new(p)).collect();
    let replaying = inputs.is_replay();
    let mut found = Found::default();
    let mut reader = kube::NodeReader::new(NODES, &found);
    let read = read_json_with(
        &nodes_file,
        list::list_seed(|i, n| reader.take(i, n, &mut found)),
    );
    let (nodes, skipped) = match read {
        Ok(head) => reader.finish(&head, &mut found),
        Err(e) => {
            errors.push(e);
            (Vec::new(), Vec::new())
        }
    };
    let subnets = subnets_file.as_ref().map(|f| match read_json(f) {
        Ok(doc) => aws::subnets(doc, SUBNETS, &mut found),
        Err(e) => {
            errors.push(e);
            Vec::new()
        }
    });
    let mut pods = Vec::new();
    let mut history = history::pods::History::default();
    for (k, f) in pods_files.iter_mut().enumerate() {
        if replaying {
            history::read_objects(f, PODS + k, &mut found, &mut errors, |r, found| {
                history.take(PODS + k, r, found)
            });
            continue;
        }
        let mut reader = kube::PodReader::new(PODS, &found, &skipped);
        match read_json_with(f, list::list_seed(|i, p| reader.take(i, p, &mut found))) {
            Ok(head) => pods = reader.finish(&head, &mut found),
            Err(e) => errors.push(e),
        }
    }
    let lives = history.finish();
    let mut events_file = inputs.events.map(InputFile::new);
    let mut scale_ups = history::events::ScaleUps::default();
    if let Some(f) = events_file.as_mut() {
        let k = PODS + pods_files.len();
        history::read_objects(f, k, &mut found, &mut errors, |r, found| {
            scale_ups.take(k, r, found)
        });
    }
    // Placing needs every file's index, present or not.
    let absent = InputFile::new(Path::new(""));
    let mut files = vec![&nodes_file, subnets_file.as_ref().unwrap_or(&absent)];
    files.extend(pods_files.iter());
    files.extend(events_file.iter());
    let finish = |found: Found, errors: &mut Vec<Located>, warnings: &mut Vec<Located>| {
        let dropped = found.dropped();
        let (e, w) = found.place(&files);
        errors.extend(e);
        warnings.extend(w);
        dropped
    };
    if !errors.is_empty() || found.has_errors() {
        let (more_errors, more_warnings) = finish(found, &mut errors, &mut warnings);
        return Err(Failed {
            errors,
            warnings,
            more_errors,
            more_warnings,
        });
    }

    let (built, traces) = if replaying {
        let r = history::replay::ReplayInputs {
            nodes: &nodes,
            skipped: &skipped,
            subnets: subnets.as_deref(),
            pods: &lives,
            cni: &cni,
            since: inputs.since,
            scale_ups: inputs.events.map(|_| &scale_ups),
        };
        match history::replay::replay(&r, &mut found) {
            Some(r) => (r.scenario, r.traces),
            None => (build::build(&empty_cluster(&cni), &mut found), Vec::new()),
        }
    } else {
        let cluster = build::Cluster {
            nodes: &nodes,
            subnets: subnets.as_deref(),
            pods: &pods,
            cni: &cni,
            launches: &[],
        };
        (build::build(&cluster, &mut found), Vec::new())
    };
    let (more_errors, more_warnings) = finish(found, &mut errors, &mut warnings);
    let failed = |errors, warnings| Failed {
        errors,
        warnings,
        more_errors,
        more_warnings,
    };
    if subnets.is_none() {
        warnings.push(nodes_file.problem(
            String::new(),
            format!(
                "no --subnets: assumed one /16 subnet per distinct /16 of the nodes' InternalIPs \
                 ({}), with no other addresses in use, so the run cannot show a subnet \
                 running out; give --subnets (aws ec2 describe-subnets --output json) for the \
                 real sizes and free addresses",
                built
                    .subnets
                    .iter()
                    .map(|s| s.cidr.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    if !errors.is_empty() {
        return Err(failed(errors, warnings));
    }
    let yaml = match out::to_yaml(&built) {
        Ok(y) => y,
        Err(message) => {
            errors.push(self_problem(message));
            return Err(failed(errors, warnings));
        }
    };
    if let Err(problems) = self_check(&yaml, &traces) {
        errors.extend(problems);
        return Err(failed(errors, warnings));
    }
    Ok(Imported {
        scenario: built,
        yaml,
        warnings,
        more_warnings,
        traces,
    })
}

/// The CNI settings of `--aws-node` (the defaults without it). Custom networking is
/// turned off with a warning: the ENIConfigs it needs are not imported.
fn aws_node_cni(
    path: Option<&Path>,
    errors: &mut Vec<Located>,
    warnings: &mut Vec<Located>,
) -> CniConfig {
    let Some(path) = path else {
        return CniConfig::default();
    };
    let file = crate::scenario::shown_path(path).to_string();
    let locate = |d: Diagnostic| Located {
        file: file.clone(),
        diagnostic: d,
    };
    match read_aws_node_env(path, &file) {
        Ok(env) => {
            warnings.extend(env.warnings.into_iter().map(locate));
            let mut cni = env.cni;
            if cni.custom_network_cfg {
                cni.custom_network_cfg = false;
                warnings.push(
                    InputFile::new(path).problem(
                        "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG".to_string(),
                        "custom networking is on, but import does not read ENIConfigs; the \
                     scenario is written with it off (add `eniconfigs:` and set it to true by \
                     hand, see docs/scenario-reference.md)"
                            .to_string(),
                    ),
                );
            }
            cni
        }
        Err(e) => {
            errors.extend(e.problems.into_iter().map(locate));
            CniConfig::default()
        }
    }
}

/// A cluster of nothing (the sections of a replay that found nothing to replay).
fn empty_cluster(cni: &CniConfig) -> build::Cluster<'_> {
    build::Cluster {
        nodes: &[],
        subnets: None,
        pods: &[],
        cni,
        launches: &[],
    }
}

/// Checks the scenario with the scenario loader, as it will be read: with its trace files
/// beside it (written for the check to a directory of its own under the system's temporary
/// directory, removed after).
fn self_check(yaml: &str, traces: &[history::replay::TraceFile]) -> Result<(), Vec<Located>> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static CHECKS: AtomicU64 = AtomicU64::new(0);
    let opts = crate::scenario::LoadOptions { allow_large: true };
    let located = |e: crate::scenario::ScenarioErrors| {
        e.problems
            .into_iter()
            .map(|d| Located {
                file: SELF_CHECK.to_string(),
                diagnostic: d,
            })
            .collect::<Vec<_>>()
    };
    if traces.is_empty() {
        return crate::scenario::parse_with(yaml, SELF_CHECK, Path::new("."), &opts)
            .map(|_| ())
            .map_err(located);
    }
    let dir = std::env::temp_dir().join(format!(
        "ipamsim-import-{}-{}",
        std::process::id(),
        CHECKS.fetch_add(1, Ordering::Relaxed)
    ));
    let written = std::fs::create_dir_all(dir.join("traces")).and_then(|()| {
        traces
            .iter()
            .try_for_each(|t| std::fs::write(dir.join(&t.path), &t.bytes))
    });
    let checked = match written {
        Ok(()) => crate::scenario::parse_with(yaml, SELF_CHECK, &dir, &opts)
            .map(|_| ())
            .map_err(located),
        Err(e) => Err(vec![self_problem(format!(
            "cannot write the trace files to check them in {}: {e}",
            dir.display()
        ))]),
    };
    let _ = std::fs::remove_dir_all(&dir);
    checked
}

/// A problem with the written scenario itself (a bug, never the user's input).
fn self_problem(message: String) -> Located {
    Located {
        file: SELF_CHECK.to_string(),
        diagnostic: Diagnostic {
            path: String::new(),
            location: None,
            message,
        },
    }
}
