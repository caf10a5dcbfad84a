//! `comparison.csv` and `comparison.json`: one typed row per setting, and the one Pareto
//! definition every output uses.
//!
//! Time columns are censored: a pod that never got an IP (or never ran) counts with its
//! wait until it was deleted or the run ended, so a setting that leaves pods waiting or
//! unscheduled cannot look fast.

use super::RunResult;
use crate::output::csv_files::{header_of, io_error};
use crate::output::summary::Summary;
use serde::Serialize;
use std::io::{self, Write};

/// The Pareto front's objectives, both minimized: p99 time to running (s, from creation,
/// censored: it counts pods that never got a node or an IP) and mean idle IPs. The table,
/// `comparison.csv`, `comparison.json` and the report all use these two.
pub const PARETO_DIMENSIONS: [&str; 2] = ["time_to_running_p99_s", "idle_ips_mean"];

/// A run's two objectives.
pub fn objectives(s: &Summary) -> (f64, f64) {
    (s.time_to_running_s.p99_or_zero(), s.ips.idle_mean)
}

/// Whether each point is on the Pareto front: no other point is at least as good in both
/// objectives and better in one.
pub fn pareto_of(points: &[(f64, f64)]) -> Vec<bool> {
    points
        .iter()
        .map(|a| {
            !points
                .iter()
                .any(|b| b.0 <= a.0 && b.1 <= a.1 && (b.0 < a.0 || b.1 < a.1))
        })
        .collect()
}

/// [`pareto_of`] over finished runs.
pub fn pareto(rows: &[&RunResult]) -> Vec<bool> {
    let points: Vec<(f64, f64)> = rows.iter().map(|r| objectives(&r.summary)).collect();
    pareto_of(&points)
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// One setting's figures (every column after the setting's own values).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[allow(non_snake_case)]
pub struct Metrics {
    /// Pod-network pods bound to a node that never got an IP.
    pub pods_never_ip: u32,
    /// Binding → IP (s), censored: p50.
    pub time_to_ip_p50_s: Option<f64>,
    /// p90.
    pub time_to_ip_p90_s: Option<f64>,
    /// p99.
    pub time_to_ip_p99_s: Option<f64>,
    /// Maximum.
    pub time_to_ip_max_s: Option<f64>,
    /// Most pods waiting for an IP at once.
    pub peak_waiting_ip: u32,
    /// Simulated seconds with at least one pod waiting for an IP.
    pub seconds_any_waiting: f64,
    /// Mean `ips_available` over samples.
    pub idle_ips_mean: f64,
    /// Peak `ips_available`.
    pub idle_ips_peak: u32,
    /// Peak `ips_total`.
    pub peak_ips_total: u32,
    /// Lowest free subnet addresses over samples.
    pub min_subnet_free_ips: u64,
    /// ENIs that became usable.
    pub enis_attached: u64,
    /// ENIs freed.
    pub enis_freed: u64,
    /// Requests per action.
    pub ec2_AssignPrivateIpAddresses: u64,
    /// Requests per action.
    pub ec2_UnassignPrivateIpAddresses: u64,
    /// Requests per action.
    pub ec2_CreateNetworkInterface: u64,
    /// Requests per action.
    pub ec2_AttachNetworkInterface: u64,
    /// Requests per action.
    pub ec2_ModifyNetworkInterfaceAttribute: u64,
    /// Requests per action.
    pub ec2_DetachNetworkInterface: u64,
    /// Requests per action.
    pub ec2_DeleteNetworkInterface: u64,
    /// Requests per action.
    pub ec2_DescribeNetworkInterfaces: u64,
    /// Requests per action.
    pub ec2_DescribeInstances: u64,
    /// Requests per action.
    pub ec2_DescribeSubnets: u64,
    /// Every request.
    pub ec2_calls_total: u64,
    /// Requests answered `RequestLimitExceeded`.
    pub ec2_throttled: u64,
    /// On the Pareto front of [`PARETO_DIMENSIONS`] (1) or not (0).
    pub pareto: u8,
    /// Workload pods never bound to a node.
    pub pods_never_scheduled: u32,
    /// Most pods unschedulable at once.
    pub peak_unschedulable: u32,
    /// Creation → running (s), every workload pod, censored: p50.
    pub time_to_running_p50_s: Option<f64>,
    /// p99.
    pub time_to_running_p99_s: Option<f64>,
}

impl Metrics {
    /// The figures of one run.
    pub fn of(s: &Summary, pareto: bool) -> Metrics {
        let t = &s.time_to_ip_censored_s;
        let by = |name: &str| s.ec2.by_action.get(name).copied().unwrap_or(0);
        Metrics {
            pods_never_ip: s.pods.never_got_ip,
            time_to_ip_p50_s: t.p50,
            time_to_ip_p90_s: t.p90,
            time_to_ip_p99_s: t.p99,
            time_to_ip_max_s: t.max,
            peak_waiting_ip: s.peak.waiting_ip,
            seconds_any_waiting: round3(s.seconds_any_waiting),
            idle_ips_mean: round3(s.ips.idle_mean),
            idle_ips_peak: s.ips.idle_peak,
            peak_ips_total: s.ips.held_peak,
            min_subnet_free_ips: s.subnets.min_free_ips,
            enis_attached: s.enis.attached,
            enis_freed: s.enis.freed,
            ec2_AssignPrivateIpAddresses: by("AssignPrivateIpAddresses"),
            ec2_UnassignPrivateIpAddresses: by("UnassignPrivateIpAddresses"),
            ec2_CreateNetworkInterface: by("CreateNetworkInterface"),
            ec2_AttachNetworkInterface: by("AttachNetworkInterface"),
            ec2_ModifyNetworkInterfaceAttribute: by("ModifyNetworkInterfaceAttribute"),
            ec2_DetachNetworkInterface: by("DetachNetworkInterface"),
            ec2_DeleteNetworkInterface: by("DeleteNetworkInterface"),
            ec2_DescribeNetworkInterfaces: by("DescribeNetworkInterfaces"),
            ec2_DescribeInstances: by("DescribeInstances"),
            ec2_DescribeSubnets: by("DescribeSubnets"),
            ec2_calls_total: s.ec2.calls,
            ec2_throttled: s.ec2.throttled,
            pareto: u8::from(pareto),
            pods_never_scheduled: s.pods.never_scheduled,
            peak_unschedulable: s.peak.unschedulable,
            time_to_running_p50_s: s.time_to_running_s.p50,
            time_to_running_p99_s: s.time_to_running_s.p99,
        }
    }
}

/// The header of `comparison.csv` for the swept `keys`: `setting`, one column per key,
/// then [`Metrics`]' fields.
pub fn header(keys: &[String]) -> Vec<String> {
    let mut cols = vec!["setting".to_string()];
    cols.extend(keys.iter().cloned());
    cols.extend(header_of::<Metrics>());
    cols
}

/// Writes `comparison.csv`: rows in combination order (finished runs only).
pub fn write_csv<W: Write>(w: W, keys: &[String], rows: &[&RunResult]) -> io::Result<()> {
    let mut out = csv::WriterBuilder::new().has_headers(false).from_writer(w);
    out.write_record(header(keys))?;
    let front = pareto(rows);
    for (r, on_front) in rows.iter().zip(front) {
        let label = super::label(&r.setting);
        let values: Vec<&str> = r.setting.iter().map(|(_, v)| v.as_str()).collect();
        out.serialize((label.as_str(), values, Metrics::of(&r.summary, on_front)))
            .map_err(io_error)?;
    }
    out.flush()
}

/// One row of `comparison.json`.
#[derive(Serialize)]
pub struct JsonRow<'a> {
    /// 1-based row number in combination (grid) order.
    pub row: usize,
    /// The setting's label.
    pub setting: String,
    /// The swept keys and their values.
    pub values: std::collections::BTreeMap<&'a str, &'a str>,
    /// The figures.
    #[serde(flatten)]
    pub metrics: Metrics,
}

/// `comparison.json` (and `compare --format json` on stdout).
#[derive(Serialize)]
pub struct ComparisonJson<'a> {
    /// The version of ipamsim that ran.
    pub ipamsim_version: &'static str,
    /// Scenario name.
    pub scenario: &'a str,
    /// SHA-256 of the scenario file (hex).
    pub scenario_sha256: &'a str,
    /// Seed of every run.
    pub seed: u64,
    /// The swept keys, in axis order.
    pub keys: &'a [String],
    /// The Pareto front's objectives (both minimized).
    pub pareto_dimensions: [&'static str; 2],
    /// Rows in combination order (finished runs only).
    pub rows: Vec<JsonRow<'a>>,
}

/// Builds `comparison.json`.
pub fn json<'a>(
    keys: &'a [String],
    rows: &[&'a RunResult],
    scenario: &'a str,
    sha256: &'a str,
    seed: u64,
) -> ComparisonJson<'a> {
    let front = pareto(rows);
    ComparisonJson {
        ipamsim_version: env!("CARGO_PKG_VERSION"),
        scenario,
        scenario_sha256: sha256,
        seed,
        keys,
        pareto_dimensions: PARETO_DIMENSIONS,
        rows: rows
            .iter()
            .zip(front)
            .enumerate()
            .map(|(i, (r, on_front))| JsonRow {
                row: i + 1,
                setting: super::label(&r.setting),
                values: r
                    .setting
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect(),
                metrics: Metrics::of(&r.summary, on_front),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pareto_front_of_two_objectives() {
        // (10, 5) and (20, 1) trade off; (20, 6) is dominated by (10, 5); (10, 5) twice: both
        // on the front (neither is strictly better)
        let f = pareto_of(&[(10.0, 5.0), (20.0, 1.0), (20.0, 6.0), (10.0, 5.0)]);
        assert_eq!(f, vec![true, true, false, true]);
    }
}
