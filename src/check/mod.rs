//! `ipamsim check`: a run's predictions against what a real cluster recorded. For the pods
//! the run and the observation share (matched by name: a replay keeps the pods' own names),
//! per workload and overall, observed and simulated time to running and their p50, p90 and
//! p99; the observed sandbox failures for lack of an address against the run's failed CNI
//! ADDs; and the pods whose observed time to running exceeds the simulated one by more than
//! a margin, the model leaving the difference unexplained.
//!
//! Which observed instant stands for which simulated one, and what the observed figure
//! holds that the model does not: docs/commands.md ("check"). Layers: [`observed`] (the
//! kubectl files), [`simulated`] (the run's CSVs), [`text`] (the table).

pub mod observed;
pub mod simulated;
pub mod text;

use crate::explain::Ms;
use crate::import::history::stamp::Stamp;
use crate::import::json::Located;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// The margin by default (ms): observed beyond simulated by more than this is unexplained.
pub const DEFAULT_MARGIN_MS: u64 = 10_000;

/// Differences of percentiles up to this (ms) never count against `--tolerance`: kubectl's
/// timestamps are whole seconds.
pub const RESOLUTION_MS: u64 = 1_000;

/// What to check.
#[derive(Clone, Debug)]
pub struct CheckInputs<'a> {
    /// The run's output directory.
    pub run: &'a Path,
    /// `kubectl get pods -A -o json` files (Lists or watch streams).
    pub observed: &'a [&'a Path],
    /// `kubectl get events -A -o json`, if given.
    pub events: Option<&'a Path>,
    /// Unexplained beyond this (ms).
    pub margin_ms: u64,
    /// `--tolerance`, in percent.
    pub tolerance_pct: Option<f64>,
}

/// p50, p90 and p99 of a set of times (s; none without pods).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Percentiles {
    /// Median (s).
    pub p50: Option<f64>,
    /// 90th percentile (s).
    pub p90: Option<f64>,
    /// 99th percentile (s).
    pub p99: Option<f64>,
}

impl Percentiles {
    /// Nearest-rank percentiles of `ms` (sorted here).
    pub fn of(ms: &mut [u64]) -> Percentiles {
        ms.sort_unstable();
        let at = |p: u64| -> Option<f64> {
            let n = ms.len() as u64;
            if n == 0 {
                return None;
            }
            // nearest rank: ⌈p/100 × n⌉, 1-based
            let rank = (p * n).div_ceil(100).max(1);
            Some(ms[(rank - 1) as usize] as f64 / 1000.0)
        };
        Percentiles {
            p50: at(50),
            p90: at(90),
            p99: at(99),
        }
    }

    fn values(&self) -> [(&'static str, Option<f64>); 3] {
        [("p50", self.p50), ("p90", self.p90), ("p99", self.p99)]
    }
}

/// One row of the comparison: all shared pods, or one workload's.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Group {
    /// Pods compared (shared, with a time to running on both sides).
    pub pods: usize,
    /// Observed time to running (s).
    pub observed: Percentiles,
    /// Simulated time to running (s).
    pub simulated: Percentiles,
    /// The pods whose observed time exceeds the simulated one by more than the margin.
    pub unexplained: Vec<String>,
    /// The percentiles that differ by more than `--tolerance` (`p50`, …).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub outside_tolerance: Vec<&'static str>,
}

/// A pod the model leaves unexplained.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Unexplained {
    /// Its name.
    pub pod: String,
    /// Its workload in the run.
    pub workload: String,
    /// Observed time to running (s).
    pub observed_s: f64,
    /// Simulated time to running (s).
    pub simulated_s: f64,
    /// Which observed instant stood for running.
    pub observed_running: &'static str,
    /// The command that tells its simulated story.
    pub explain: String,
}

/// Address failures on one node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NodeFailures {
    /// The node's name (the cluster's, or the run's).
    pub node: String,
    /// Failures (observed: the events' counts; simulated: failed CNI ADDs).
    pub failures: u64,
}

/// The observed sandbox failures for lack of an address.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ObservedFailures {
    /// Whether `--events` was given (without it nothing is known).
    pub given: bool,
    /// Events.
    pub events: usize,
    /// Failures (the events' `count`s).
    pub failures: u64,
    /// First and last (RFC 3339).
    pub first: Option<String>,
    /// See `first`.
    pub last: Option<String>,
    /// First and last, s from the first pod's creation (the replay's t = 0 without
    /// `--since`).
    pub first_s: Option<f64>,
    /// See `first_s`.
    pub last_s: Option<f64>,
    /// Per node, most first.
    pub nodes: Vec<NodeFailures>,
}

/// The run's failed CNI ADDs.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SimulatedFailures {
    /// Failed CNI ADDs.
    pub failures: u64,
    /// First and last (s).
    pub first_s: Option<f64>,
    /// See `first_s`.
    pub last_s: Option<f64>,
    /// Per node, most first.
    pub nodes: Vec<NodeFailures>,
}

/// Both sides' address failures.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Failures {
    /// What the cluster's events say.
    pub observed: ObservedFailures,
    /// What the run did.
    pub simulated: SimulatedFailures,
}

/// How many pods matched.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Matched {
    /// Pods in both, with a time to running on both sides.
    pub compared: usize,
    /// Pods in both, not running on one side (never started, or no timestamp).
    pub not_running: usize,
    /// Observed pods (not DaemonSet pods) the run does not have.
    pub observed_only: usize,
    /// Pods of the run the observation does not have (DaemonSet pods aside).
    pub simulated_only: usize,
    /// How many compared pods' running came from each observed instant.
    pub running_from: BTreeMap<&'static str, usize>,
}

/// The result of `check`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CheckReport {
    /// The run's directory.
    pub run: String,
    /// The margin (s).
    pub margin_s: f64,
    /// `--tolerance` (%), if given.
    pub tolerance_pct: Option<f64>,
    /// Whether every percentile is within the tolerance (none without `--tolerance`).
    pub within_tolerance: Option<bool>,
    /// How the pods matched.
    pub matched: Matched,
    /// All compared pods.
    pub all: Group,
    /// Per workload of the run.
    pub workloads: BTreeMap<String, Group>,
    /// Every unexplained pod, most unexplained first.
    pub unexplained: Vec<Unexplained>,
    /// Sandbox failures for lack of an address.
    pub address_failures: Failures,
    /// Warnings about the observed files (not in the JSON).
    #[serde(skip)]
    pub warnings: Vec<Located>,
}

/// Why `check` could not compare.
#[derive(Clone, Debug)]
pub struct CheckError {
    /// Lines to print.
    pub lines: Vec<String>,
    /// Invalid input (exit 2) rather than a failure (exit 1).
    pub invalid: bool,
}

/// Compares the run with the observation.
pub fn check(c: &CheckInputs<'_>) -> Result<CheckReport, CheckError> {
    let explain_err = |e: crate::explain::ExplainError| CheckError {
        lines: vec![format!("error: {e}")],
        invalid: e.invalid,
    };
    crate::explain::check_dir(c.run).map_err(explain_err)?;
    let sim = simulated::pods(c.run).map_err(explain_err)?;
    let (sim_nodes, _) = simulated::failed_adds(c.run).map_err(explain_err)?;
    let obs = observed::observed(c.observed, c.events).map_err(|u| {
        let mut lines: Vec<String> = u.warnings.iter().map(Located::warning_line).collect();
        let n = u.errors.len();
        lines.extend(u.errors.iter().map(ToString::to_string));
        lines.push(format!(
            "check: {} found in the observed files",
            crate::text::Count(n as u64, "problem", "problems")
        ));
        CheckError {
            lines,
            invalid: true,
        }
    })?;
    // the observed pods by name: a name's last life
    let mut by_name: BTreeMap<&str, &crate::import::history::pods::PodLife> = BTreeMap::new();
    for (name, life) in &obs.pods {
        if !matches!(life.owner, crate::import::kube::Owner::DaemonSet(_)) {
            by_name.insert(name, life);
        }
    }
    let mut report = CheckReport {
        run: crate::scenario::shown_path(c.run).to_string(),
        margin_s: c.margin_ms as f64 / 1000.0,
        tolerance_pct: c.tolerance_pct,
        ..CheckReport::default()
    };
    let mut all = (Vec::new(), Vec::new());
    let mut per: BTreeMap<String, Sides> = BTreeMap::new();
    let mut unexplained: Vec<(Ms, Unexplained)> = Vec::new();
    for (name, life) in &by_name {
        let Some(s) = sim.get(*name) else {
            report.matched.observed_only += 1;
            continue;
        };
        let (Some((running, by)), Some(s_ms)) = (life.running, s.to_running) else {
            report.matched.not_running += 1;
            continue;
        };
        let o_ms = u64::try_from(running.since(life.created).max(0) / 1000).unwrap_or(0);
        report.matched.compared += 1;
        *report.matched.running_from.entry(by.word()).or_default() += 1;
        all.0.push(o_ms);
        all.1.push(s_ms.0);
        let w = per.entry(s.workload.clone()).or_default();
        w.observed.push(o_ms);
        w.simulated.push(s_ms.0);
        if o_ms > s_ms.0 + c.margin_ms {
            w.unexplained.push(name.to_string());
            unexplained.push((
                Ms(o_ms - s_ms.0),
                Unexplained {
                    pod: name.to_string(),
                    workload: s.workload.clone(),
                    observed_s: o_ms as f64 / 1000.0,
                    simulated_s: s_ms.secs(),
                    observed_running: by.word(),
                    explain: format!(
                        "ipamsim explain {} --pod {}",
                        crate::explain::shell_word(&report.run),
                        crate::explain::shell_word(name)
                    ),
                },
            ));
        }
    }
    let observed_names: std::collections::BTreeSet<&str> = by_name.keys().copied().collect();
    // a DaemonSet's pods are `<daemonset>-<node>` in the run: not the cluster's pods
    let daemonset_pod = |name: &str, p: &simulated::SimPod| {
        !p.node.is_empty() && name == format!("{}-{}", p.workload, p.node)
    };
    report.matched.simulated_only = sim
        .iter()
        .filter(|(n, p)| !observed_names.contains(n.as_str()) && !daemonset_pod(n, p))
        .count();
    unexplained.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.pod.cmp(&b.1.pod)));
    let mut all_names: Vec<String> = unexplained.iter().map(|(_, u)| u.pod.clone()).collect();
    all_names.sort();
    report.all = group(&mut all.0, &mut all.1, all_names, c.tolerance_pct);
    for (w, mut sides) in per {
        let g = group(
            &mut sides.observed,
            &mut sides.simulated,
            sides.unexplained,
            c.tolerance_pct,
        );
        report.workloads.insert(w, g);
    }
    report.unexplained = unexplained.into_iter().map(|(_, u)| u).collect();
    if c.tolerance_pct.is_some() {
        let out = !report.all.outside_tolerance.is_empty()
            || report
                .workloads
                .values()
                .any(|g| !g.outside_tolerance.is_empty());
        report.within_tolerance = Some(!out);
    }
    report.address_failures = failures(c, &obs, &sim_nodes);
    report.warnings = obs.warnings;
    Ok(report)
}

/// One workload's times to running (ms) and unexplained pods, as they are gathered.
#[derive(Default)]
struct Sides {
    observed: Vec<u64>,
    simulated: Vec<u64>,
    unexplained: Vec<String>,
}

/// One group's percentiles, unexplained pods and tolerance verdict.
fn group(o: &mut [u64], s: &mut [u64], unexplained: Vec<String>, tol: Option<f64>) -> Group {
    let observed = Percentiles::of(o);
    let simulated = Percentiles::of(s);
    let mut outside = Vec::new();
    if let Some(pct) = tol {
        for ((name, ov), (_, sv)) in observed.values().into_iter().zip(simulated.values()) {
            let (Some(ov), Some(sv)) = (ov, sv) else {
                continue;
            };
            let diff = (ov - sv).abs();
            if diff * 1000.0 > RESOLUTION_MS as f64 && diff > ov * pct / 100.0 {
                outside.push(name);
            }
        }
    }
    Group {
        pods: o.len(),
        observed,
        simulated,
        unexplained,
        outside_tolerance: outside,
    }
}

/// Both sides' address failures.
fn failures(
    c: &CheckInputs<'_>,
    obs: &observed::Observed,
    sim_nodes: &BTreeMap<String, simulated::Failed>,
) -> Failures {
    let start: Option<Stamp> = obs.pods.iter().map(|(_, l)| l.created).min();
    let rel = |s: Stamp| start.map(|t| s.since(t) as f64 / 1e6);
    let mut o = ObservedFailures {
        given: c.events.is_some(),
        events: obs.failures.len(),
        ..ObservedFailures::default()
    };
    let mut per_node: BTreeMap<String, u64> = BTreeMap::new();
    let (mut first, mut last): (Option<Stamp>, Option<Stamp>) = (None, None);
    for f in &obs.failures {
        o.failures += f.count;
        *per_node
            .entry(f.node.clone().unwrap_or_default())
            .or_default() += f.count;
        first = Some(first.map_or(f.first, |x| x.min(f.first)));
        last = Some(last.map_or(f.last, |x| x.max(f.last)));
    }
    o.first = first.map(|s| s.to_string());
    o.last = last.map(|s| s.to_string());
    o.first_s = first.and_then(rel);
    o.last_s = last.and_then(rel);
    o.nodes = ranked(per_node);
    let mut s = SimulatedFailures::default();
    for f in sim_nodes.values() {
        s.failures += f.count;
        s.first_s = min_opt(s.first_s, f.first.map(Ms::secs));
        s.last_s = max_opt(s.last_s, f.last.map(Ms::secs));
    }
    s.nodes = ranked(
        sim_nodes
            .iter()
            .map(|(n, f)| (n.clone(), f.count))
            .collect(),
    );
    Failures {
        observed: o,
        simulated: s,
    }
}

fn min_opt(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn max_opt(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// Nodes by failures, most first (then by name).
fn ranked(m: BTreeMap<String, u64>) -> Vec<NodeFailures> {
    let mut v: Vec<NodeFailures> = m
        .into_iter()
        .map(|(node, failures)| NodeFailures { node, failures })
        .collect();
    v.sort_by(|a, b| b.failures.cmp(&a.failures).then(a.node.cmp(&b.node)));
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        // 1..=10 s: p50 rank ⌈5⌉ = 5 → 5 s; p90 rank 9 → 9 s; p99 rank ⌈9.9⌉ = 10 → 10 s
        let mut ms: Vec<u64> = (1..=10).rev().map(|s| s * 1000).collect();
        let p = Percentiles::of(&mut ms);
        assert_eq!((p.p50, p.p90, p.p99), (Some(5.0), Some(9.0), Some(10.0)));
        assert_eq!(Percentiles::of(&mut []), Percentiles::default());
    }

    #[test]
    fn tolerance_counts_relative_differences_beyond_a_second() {
        // observed 10 s, simulated 8 s: 2 s apart = 20 % of 10 s; with 25 % it holds, with
        // 10 % it does not. 1.5 s vs 1 s (33 %) is within the 1 s resolution.
        let g = group(&mut [10_000], &mut [8_000], Vec::new(), Some(25.0));
        assert!(g.outside_tolerance.is_empty());
        let g = group(&mut [10_000], &mut [8_000], Vec::new(), Some(10.0));
        assert_eq!(g.outside_tolerance, ["p50", "p90", "p99"]);
        let g = group(&mut [1_500], &mut [1_000], Vec::new(), Some(10.0));
        assert!(g.outside_tolerance.is_empty());
    }
}
