//! Scenario text → validated [`Scenario`], reporting every problem at once.
//!
//! How problems are collected:
//!
//! 1. The text is parsed by [`super::yaml`] into a tree of [`Node`]s, each with its line and
//!    column. A syntax error stops here, as one located [`Diagnostic`]; duplicate keys, bad
//!    merges and unsupported tags are reported and checking goes on.
//! 2. Each mapping is checked against its raw type's [`Keys::KEYS`] (each unknown key is one
//!    diagnostic, with the allowed keys), and its known keys are kept in that [`raw`] type.
//!    Leaves are [`Scalar`]s and nested parts are [`Deferred`], so this step judges shape
//!    only; every section and every list element is read on its own, under its own field
//!    path.
//! 3. Each value is converted and checked (types, ranges, references, ordering, overlaps),
//!    recording a diagnostic and carrying on with a placeholder when something is wrong.
//! 4. If anything was recorded, the result is [`ScenarioErrors`] with all of it, in file
//!    order; otherwise the [`Scenario`].
//!
//! Diagnostics are placed by field path: the position of the node the path names, or of its
//! nearest enclosing node (see [`checker`]).
//!
//! One file per part: [`checker`] (field paths, recording, structural reads), [`scalars`]
//! (scalar conversions), [`scenario`] (the whole file), then one per section: [`cni`]
//! (with `sweep`), [`subnets`] (with `eniconfigs`), [`nodegroups`] (with [`autoscaling`]),
//! [`workloads`] (with [`sources`]: churn and traces), [`ec2`] and [`knobs`] (`faults`,
//! `kubelet`, `ipamd`, `scheduler`).

use super::raw::{
    self, Deferred, Keys, RawCni, RawDaemonSet, RawEc2, RawEniConfig, RawIpam, RawIpamd,
    RawKubelet, RawLatency, RawLatencyDistribution, RawMapping, RawNodeGroup,
    RawResourceController, RawScenario, RawScheduler, RawStep, RawSubnet, RawWorkload, Scalar,
};
use super::source::{LoadOptions, Source};
use super::yaml::{Kind, Mark, Node};
use super::{
    AddressChoice, BucketSpec, CniConfig, DaemonSetSpec, Diagnostic, Ec2Action, Ec2Config,
    EniConfigSpec, FaultConfig, IpamdConfig, Ipv4Cidr, KubeletConfig, Latency, NodeGroupSpec,
    Placement, ResourceControllerConfig, RetryConfig, Scenario, ScenarioErrors, SchedulerConfig,
    SchedulerPolicy, SubnetSpec, ThrottlingConfig, UsedSpec, WorkloadSpec,
};
use crate::catalog;
use crate::time::{parse_duration, SimDuration, SimTime};
use std::fmt;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

mod autoscaling;
pub mod budget;
mod checker;
mod cni;
mod cni_env;
mod ec2;
mod ipam;
mod knobs;
mod modes;
mod multinic;
mod nodegroups;
mod overrides;
mod placement;
mod scalars;
mod scenario;
mod sources;
mod subnets;
mod tags;
mod workloads;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_sections;
#[cfg(test)]
mod tests_tags;

use checker::*;
pub use cni::{check_cni_value, normalize_cni_value};
pub use cni_env::{read_aws_node_env, AwsNodeEnv};
pub use placement::{start_addresses, StartAddresses};
use subnets::*;
use tags::*;

/// Reads a scenario file and validates it ([`parse`]). The file name in messages is
/// `path` as given; a read failure is a single diagnostic.
pub fn load(path: &Path) -> Result<Scenario, ScenarioErrors> {
    load_with(path, &LoadOptions::default())
}

/// [`load`] with options.
pub fn load_with(path: &Path, opts: &LoadOptions) -> Result<Scenario, ScenarioErrors> {
    Source::read(path)?.scenario(opts)
}

/// Parses and validates scenario text. `file` names the file in messages, and its stem
/// (`scenarios/three-t3-medium.yaml` → `three-t3-medium`) is the default scenario name.
///
/// Trace files (`workloads[].trace`) are read relative to the directory part of `file`,
/// so `file` should be the scenario's path as the user named it (a bare name such as
/// `test.yaml` means the current directory); see [`parse_in_dir`] to give the directory.
///
/// Returns every problem found, never just the first; never panics.
pub fn parse(text: &str, file: &str) -> Result<Scenario, ScenarioErrors> {
    parse_in_dir(
        text,
        file,
        Path::new(file).parent().unwrap_or(Path::new("")),
    )
}

/// [`parse`], with trace paths resolved against `dir` (the scenario file's directory).
pub fn parse_in_dir(text: &str, file: &str, dir: &Path) -> Result<Scenario, ScenarioErrors> {
    parse_with(text, file, dir, &LoadOptions::default())
}

/// [`parse_in_dir`] with options.
pub fn parse_with(
    text: &str,
    file: &str,
    dir: &Path,
    opts: &LoadOptions,
) -> Result<Scenario, ScenarioErrors> {
    Source::from_text(text, file, dir)?.scenario(opts)
}

impl Source {
    /// Validates the scenario as written; every problem at once, or the [`Scenario`] with
    /// its warnings.
    pub fn scenario(&self, opts: &LoadOptions) -> Result<Scenario, ScenarioErrors> {
        check_source(self, &[], false, opts)
    }

    /// Validates the scenario with `overrides` applied to its tree, as `compare --set`
    /// does, and its `sweep:` ignored.
    ///
    /// A key is a dotted path: a bare aws-node name (`WARM_IP_TARGET`) means
    /// `cni.WARM_IP_TARGET`, a bare top-level key (`duration`, `cni_from`) itself; a dotted key (`kubelet.retry_interval`, `nodegroups[0].count`)
    /// sets that value, creating mappings on the way. A `cni.` value is inserted as a string
    /// scalar, as a DaemonSet manifest holds it (the CNI parsing rules then apply); any other
    /// value is read as a plain YAML scalar, exactly as if written in the file. Problems from
    /// the file keep their line and column; a problem in an overridden value is reported
    /// with its path and `(from --set KEY=VALUE)`.
    pub fn with_overrides(
        &self,
        overrides: &[(String, String)],
        opts: &LoadOptions,
    ) -> Result<Scenario, ScenarioErrors> {
        check_source(self, overrides, true, opts)
    }
}

/// Validates `source` with `overrides` applied (and `sweep` removed when `ignore_sweep`).
fn check_source(
    source: &Source,
    overrides: &[(String, String)],
    ignore_sweep: bool,
    opts: &LoadOptions,
) -> Result<Scenario, ScenarioErrors> {
    let mut rec = Recorder::new();
    let top = FieldPath::default();
    for p in &source.parsed.problems {
        rec.error_at(&top, Some(p.mark), p.message.clone());
    }
    for start in &source.parsed.document_starts {
        rec.error_at(
            &top,
            Some(*start),
            "a second YAML document; a scenario file holds exactly one (remove this `---` and \
             what follows, or put it in its own file)"
                .to_string(),
        );
    }
    let mut root = source
        .tree()
        .cloned()
        .unwrap_or_else(|| Node::new(Kind::Null, Mark::default()));
    // `cni_from` overrides choose the manifest, so they apply before it is read; the rest
    // after, so that they win over the manifest and an env-list `cni:`.
    let (early, late): (Vec<_>, Vec<_>) = overrides.iter().partition(|(k, _)| k == "cni_from");
    for (key, value) in early {
        apply_override(&mut root, &mut rec, key, value);
    }
    cni_env::prepare_cni(&mut root, &mut rec, &source.dir);
    if ignore_sweep {
        overrides::remove_key(&mut root, "sweep");
    }
    for (key, value) in late {
        apply_override(&mut root, &mut rec, key, value);
    }
    let mut checker = Checker::new(Some(&root), rec, &source.dir, opts);
    let scenario = checker.scenario(&root, &source.default_name());
    let rec = checker.rec;
    let mut problems = rec.problems;
    match scenario {
        Some(mut scenario) if problems.is_empty() => {
            scenario.file = source.file.clone();
            scenario.warnings = rec.warnings;
            scenario
                .warnings
                .sort_by_key(|d| d.location.unwrap_or((usize::MAX, usize::MAX)));
            Ok(scenario)
        }
        _ => {
            if problems.is_empty() {
                // Unreachable by construction: every `None` above records a problem.
                problems.push(Diagnostic {
                    path: String::new(),
                    location: None,
                    message: "the scenario is invalid".to_string(),
                });
            }
            problems.sort_by_key(|d| d.location.unwrap_or((usize::MAX, usize::MAX)));
            Err(ScenarioErrors {
                file: source.file.clone(),
                problems,
            })
        }
    }
}

/// Applies one `--set` override to `root`, recording a problem if its key cannot be set.
fn apply_override(root: &mut Node, rec: &mut Recorder, key: &str, value: &str) {
    let origin = rec.add_origin(Origin::Override {
        key: key.to_string(),
        value: value.to_string(),
    });
    if let Err(message) = overrides::apply(root, key, value, origin) {
        rec.error_at(
            &FieldPath::default(),
            None,
            format!("{message} (from --set {key}={value})"),
        );
    }
}

/// What a duration looks like, for messages.
const DURATION_HINT: &str = "a duration like 250ms, 30s, 10m or 1h";
/// The three ways to write a latency.
const LATENCY_FORMS: &str = "a latency is a duration (100ms), {min: 300ms, max: 900ms} \
     (uniform) or {exponential: 300ms} (exponential with that mean)";
