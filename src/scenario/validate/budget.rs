//! The work budget: how much a valid scenario may ask the simulator to do, checked before
//! anything runs so that a typo (`count: 1000000`, `sample_interval: 1us`) is an error in
//! milliseconds rather than a run that never ends or fills the disk.
//!
//! The limits are soft: `allow_large: true` in the scenario, or [`LoadOptions::allow_large`]
//! (the `--allow-large` flag), lifts them. They comfortably allow the project's target, a
//! day of 10,000 nodes sampled every 60 s with 30 pods per node; docs/scenario-input.md
//! gives the reasoning for each. Hard limits that prevent overflow (`u32` counts,
//! [`crate::time::MAX_DURATION`]) are checked where the values are read and stay.

use super::*;
use crate::scenario::churn::Arrivals;
use crate::scenario::WorkloadSource;

/// Most nodes the nodegroups can reach (counts, autoscaling `max`, explicit launches):
/// 5 × the 10,000-node target.
pub const MAX_NODES: u64 = 50_000;
/// Most pods the workloads can create over the run (replicas, step increases, churn
/// arrivals, trace creates): 33 × the target's 300,000 pods at once, a day of churn.
pub const MAX_PODS: u64 = 10_000_000;
/// Most `nodes.csv` rows (samples × (peak nodes + 1)): 3.5 × the target's 14.4 million
/// (1,441 samples × 10,001).
pub const MAX_SAMPLE_ROWS: u64 = 50_000_000;
/// Longest `duration`: 31 days.
pub const MAX_RUN: SimDuration = SimDuration::from_secs(31 * 86_400);
/// Largest `max_pods` per node: 10,000 (kubelet's own tested maximum is 110 to 250 per
/// node; the largest published EKS value is 737).
pub const MAX_MAX_PODS: u32 = 10_000;
/// Shortest `sample_interval` and `kubelet.retry_interval`: 1 ms.
pub const MIN_INTERVAL: SimDuration = SimDuration::from_millis(1);
/// Most `sweep` combinations: 10,000 runs.
pub const MAX_SWEEP: u64 = 10_000;

// The project's target fits: 10,000 nodes for 24 h sampled every 60 s is
// (86,400 / 60 + 2) × 10,001 = 14,421,442 rows; 30 pods on each node is 300,000 pods.
const _: () = assert!((86_400 / 60 + 2) * 10_001 <= MAX_SAMPLE_ROWS);
const _: () = assert!(10_000 <= MAX_NODES && 30 * 10_000 <= MAX_PODS);
const _: () = assert!(86_400 * 1_000_000 <= MAX_RUN.micros());

/// What every budget message ends with.
const LIFT: &str = "this is the work budget: add `allow_large: true` to the scenario (or run \
                    with --allow-large) if the scenario is large on purpose";

/// `n` with thousands separators: `50000` → `50,000`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl Checker<'_> {
    /// Checks `sc` against the work budget, unless `allow_large` (the scenario's key or
    /// the load option) lifts it. `written` tells which top-level keys the file has.
    pub(super) fn budget(&mut self, sc: &Scenario, allow_large: bool, sample_written: bool) {
        if allow_large || self.opts.allow_large {
            return;
        }
        let top = FieldPath::default();
        if sc.duration > MAX_RUN {
            self.error(
                &top.key("duration"),
                format!(
                    "{} is longer than 31 days (744h), the longest run in the budget; {LIFT}",
                    sc.duration
                ),
            );
        }
        let nodes: Vec<u64> = sc
            .nodegroups
            .iter()
            .map(|g| {
                let cap = g
                    .autoscaling
                    .as_ref()
                    .map_or(g.count, |a| a.max.max(g.count));
                u64::from(cap) + g.launches.iter().map(|l| u64::from(l.count)).sum::<u64>()
            })
            .collect();
        let peak_nodes: u64 = nodes.iter().sum();
        if peak_nodes > MAX_NODES {
            let (i, _) = biggest(&nodes);
            self.error(
                &top.key("nodegroups").index(i),
                format!(
                    "the nodegroups can reach {} nodes (counts, autoscaling max and launches), \
                     more than the {} in the budget; {LIFT}",
                    thousands(peak_nodes),
                    thousands(MAX_NODES)
                ),
            );
        }
        for (i, g) in sc.nodegroups.iter().enumerate() {
            if g.max_pods > MAX_MAX_PODS {
                self.error(
                    &top.key("nodegroups").index(i).key("max_pods"),
                    format!(
                        "max_pods {} is more than {} pods per node, the most in the budget; \
                         {LIFT}",
                        g.max_pods,
                        thousands(u64::from(MAX_MAX_PODS))
                    ),
                );
            }
        }
        let pods: Vec<u64> = sc
            .workloads
            .iter()
            .map(|w| pods_created(w, sc.duration))
            .collect();
        let total_pods = pods.iter().fold(0u64, |a, b| a.saturating_add(*b));
        if total_pods > MAX_PODS {
            let (i, _) = biggest(&pods);
            self.error(
                &top.key("workloads").index(i),
                format!(
                    "the workloads create about {} pods over the run (replicas, step increases, \
                     arrivals, trace creates), more than the {} in the budget; {LIFT}",
                    thousands(total_pods),
                    thousands(MAX_PODS)
                ),
            );
        }
        let interval_key = if sample_written {
            "sample_interval"
        } else {
            "duration"
        };
        if sc.sample_interval < MIN_INTERVAL {
            self.error(
                &top.key("sample_interval"),
                format!(
                    "{}us is shorter than 1ms, the shortest sample interval in the budget; {LIFT}",
                    sc.sample_interval.micros()
                ),
            );
        } else {
            let samples = sc.duration.micros() / sc.sample_interval.micros().max(1) + 2;
            let rows = samples.saturating_mul(peak_nodes + 1);
            if rows > MAX_SAMPLE_ROWS {
                self.error(
                    &top.key(interval_key),
                    format!(
                        "sampling every {} for {} over up to {} nodes writes about {} rows to \
                         nodes.csv, more than the {} in the budget: sample less often (60s is \
                         plenty for a day); {LIFT}",
                        sc.sample_interval,
                        sc.duration,
                        thousands(peak_nodes),
                        thousands(rows),
                        thousands(MAX_SAMPLE_ROWS)
                    ),
                );
            }
        }
        if sc.kubelet.retry_interval < MIN_INTERVAL {
            self.error(
                &top.key("kubelet").key("retry_interval"),
                format!(
                    "{}us is shorter than 1ms, the shortest kubelet retry in the budget; {LIFT}",
                    sc.kubelet.retry_interval.micros()
                ),
            );
        }
        let combinations = sc
            .sweep
            .iter()
            .fold(1u64, |n, (_, values)| n.saturating_mul(values.len() as u64));
        if !sc.sweep.is_empty() && combinations > MAX_SWEEP {
            self.error(
                &top.key("sweep"),
                format!(
                    "the sweep has {} combinations, more than the {} runs in the budget; {LIFT}",
                    thousands(combinations),
                    thousands(MAX_SWEEP)
                ),
            );
        }
    }
}

/// The index and value of the largest entry (the first of equals).
fn biggest(values: &[u64]) -> (usize, u64) {
    values.iter().enumerate().fold(
        (0, 0),
        |best, (i, v)| if *v > best.1 { (i, *v) } else { best },
    )
}

/// About how many pods a workload creates in a run of `duration`.
fn pods_created(w: &WorkloadSpec, duration: SimDuration) -> u64 {
    match &w.source {
        WorkloadSource::Replicas => {
            let mut previous = 0u64;
            let mut created = 0u64;
            for (_, n) in &w.steps {
                created = created.saturating_add(u64::from(*n).saturating_sub(previous));
                previous = u64::from(*n);
            }
            created
        }
        WorkloadSource::Trace(trace) => trace.pods.len() as u64,
        WorkloadSource::Churn(c) => {
            let end = c
                .until
                .map_or(duration.micros(), |u| u.micros())
                .min(duration.micros());
            let window = end.saturating_sub(c.from.micros());
            match c.arrivals {
                Arrivals::Poisson { rate_per_s } => {
                    let n = rate_per_s * (window as f64 / 1e6);
                    if n.is_finite() && n < 1.8e19 {
                        n.ceil() as u64
                    } else {
                        u64::MAX
                    }
                }
                Arrivals::Batches { every, count } => {
                    let batches = window.div_ceil(every.micros().max(1));
                    batches.saturating_mul(u64::from(count))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(50_000_000), "50,000,000");
    }
}
