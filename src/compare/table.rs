//! The comparison on stdout: a table sorted by p99 time to running with the Pareto front
//! marked, and a one-line reading against the baseline setting.

use super::rows::{pareto, PARETO_DIMENSIONS};
use super::{label, RunResult};
use std::fmt::Write as _;

fn calls(r: &RunResult) -> u64 {
    r.summary.ec2.calls
}

/// Censored p99 time to running (s): the first Pareto objective, and the sort key.
fn p99_running(r: &RunResult) -> f64 {
    r.summary.time_to_running_s.p99_or_zero()
}

fn served_less(r: &RunResult) -> u32 {
    r.summary.pods.never_got_ip + r.summary.pods.never_scheduled
}

/// The rows' display order: by p99 time to running, ties in combination order.
pub fn order(rows: &[&RunResult]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by(|&a, &b| {
        p99_running(rows[a])
            .total_cmp(&p99_running(rows[b]))
            .then(a.cmp(&b))
    });
    order
}

/// The table: rank, Pareto mark, setting, p50/p99 time to IP (censored), p99 time to
/// running (censored), pods that never got an IP or a node, peak waiting, mean idle IPs,
/// EC2 calls and throttled requests.
pub fn render(rows: &[&RunResult]) -> String {
    let front = pareto(rows);
    let width = rows
        .iter()
        .map(|r| label(&r.setting).len())
        .max()
        .unwrap_or(7)
        .max(7);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "  # P  {:<width$}  {:>8} {:>8} {:>8} {:>6} {:>7} {:>7} {:>9} {:>9} {:>9}",
        "setting",
        "IP p50",
        "IP p99",
        "run p99",
        "no IP",
        "no node",
        "peak wt",
        "idle mean",
        "EC2 calls",
        "throttled"
    );
    for (rank, &i) in order(rows).iter().enumerate() {
        let r = rows[i];
        let s = &r.summary;
        let t = |x: Option<f64>| x.map_or_else(|| "-".to_string(), |v| format!("{v:.1}"));
        let _ = writeln!(
            out,
            "{:>3} {}  {:<width$}  {:>8} {:>8} {:>8} {:>6} {:>7} {:>7} {:>9.1} {:>9} {:>9}",
            rank + 1,
            if front[i] { "*" } else { " " },
            label(&r.setting),
            t(s.time_to_ip_censored_s.p50),
            t(s.time_to_ip_censored_s.p99),
            t(s.time_to_running_s.p99),
            s.pods.never_got_ip,
            s.pods.never_scheduled,
            s.peak.waiting_ip,
            s.ips.idle_mean,
            calls(r),
            s.ec2.throttled
        );
    }
    let _ = writeln!(
        out,
        "* = on the Pareto front of ({}, {}): no other setting is at least as good in both.\n\
         Times (s) are censored: a pod that never got an IP (IP columns) or never ran (run p99, \
         from creation) counts until it was deleted or the run ended.",
        PARETO_DIMENSIONS[0], PARETO_DIMENSIONS[1]
    );
    out
}

/// One line comparing the leanest Pareto setting that serves at least as many pods as the
/// baseline (the row at `baseline`) with it, e.g. "WARM_IP_TARGET=2 holds 71 % fewer idle IPs
/// than the baseline (WARM_IP_TARGET=0) for +4.1 s p99 time to running and +35 EC2 calls".
/// `None` with fewer than two rows.
pub fn reading(rows: &[&RunResult], baseline: usize, baseline_name: &str) -> Option<String> {
    if rows.len() < 2 {
        return None;
    }
    let front = pareto(rows);
    let base = rows[baseline];
    let best = (0..rows.len())
        .filter(|&i| i != baseline && front[i] && served_less(rows[i]) <= served_less(base))
        .min_by(|&a, &b| {
            rows[a]
                .summary
                .ips
                .idle_mean
                .total_cmp(&rows[b].summary.ips.idle_mean)
                .then(a.cmp(&b))
        })?;
    let r = rows[best];
    let (bi, ri) = (base.summary.ips.idle_mean, r.summary.ips.idle_mean);
    let idle = if bi > 0.0 {
        let pct = (bi - ri) / bi * 100.0;
        if pct >= 0.0 {
            format!("holds {pct:.0} % fewer idle IPs than {baseline_name}")
        } else {
            format!("holds {:.0} % more idle IPs than {baseline_name}", -pct)
        }
    } else {
        format!("holds {ri:.1} idle IPs on average against {bi:.1} for {baseline_name}")
    };
    let dp = p99_running(r) - p99_running(base);
    let dc = calls(r) as i64 - calls(base) as i64;
    Some(format!(
        "{} {idle} ({ri:.1} vs {bi:.1} mean) for {dp:+.1} s p99 time to running and {dc:+} EC2 \
         calls.",
        label(&r.setting)
    ))
}
