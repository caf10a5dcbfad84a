//! The comparison on stdout: a table sorted by p99 time to IP with the Pareto front
//! marked, and a one-line reading against the baseline setting.

use super::{label, rows::pareto, RunResult};
use std::fmt::Write as _;

/// Censored p99 time to IP (pods that never got one count until deleted or the end).
fn p99(r: &RunResult) -> Option<f64> {
    (r.summary.ip_wait.count > 0).then_some(r.summary.ip_wait.p99)
}

fn calls(r: &RunResult) -> u64 {
    r.summary.ec2_calls.iter().sum()
}

/// The table: rank, Pareto mark, setting, p50/p99 time to IP, pods that never got an IP,
/// peak waiting, mean idle IPs, EC2 calls; sorted by p99 (no IP at all last), ties in
/// combination order.
pub fn render(rows: &[&RunResult]) -> String {
    let front = pareto(rows);
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by(|&a, &b| {
        let key = |i: usize| p99(rows[i]).unwrap_or(f64::INFINITY);
        key(a).total_cmp(&key(b)).then(a.cmp(&b))
    });
    let width = rows
        .iter()
        .map(|r| label(&r.setting).len())
        .max()
        .unwrap_or(7)
        .max(7);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "  # P  {:<width$}  {:>9} {:>9} {:>8} {:>8} {:>10} {:>9}",
        "setting", "p50 s", "p99 s", "no IP", "peak wt", "idle mean", "EC2 calls"
    );
    for (rank, &i) in order.iter().enumerate() {
        let r = rows[i];
        let s = &r.summary;
        let t = |x: f64| {
            if s.time_to_ip.count > 0 {
                format!("{x:.1}")
            } else {
                "-".into()
            }
        };
        let _ = writeln!(
            out,
            "{:>3} {}  {:<width$}  {:>9} {:>9} {:>8} {:>8} {:>10.1} {:>9}",
            rank + 1,
            if front[i] { "*" } else { " " },
            label(&r.setting),
            t(s.ip_wait.p50),
            t(s.ip_wait.p99),
            s.pods_never_ip,
            s.peak_waiting_ip,
            s.idle_ips_mean,
            calls(r)
        );
    }
    let _ = writeln!(
        out,
        "* = on the Pareto front of (p99 time to IP, mean idle IPs, EC2 calls): no other setting is at least as good in all three.\nTimes count a pod that never got an IP with its wait until it was deleted or the run ended."
    );
    out
}

/// One line comparing the leanest Pareto setting that leaves no more pods without an IP
/// than the baseline with the baseline (the row at `baseline`), e.g. "WARM_IP_TARGET=2 holds 71 % fewer idle IPs than the baseline
/// (WARM_IP_TARGET=0) for +4.1 s p99 time to IP and +35 EC2 calls". `None` with fewer than
/// two rows.
pub fn reading(rows: &[&RunResult], baseline: usize, baseline_name: &str) -> Option<String> {
    if rows.len() < 2 {
        return None;
    }
    let front = pareto(rows);
    let base = rows[baseline];
    let never = |i: usize| rows[i].summary.pods_never_ip;
    let best = (0..rows.len())
        .filter(|&i| i != baseline && front[i] && never(i) <= never(baseline))
        .min_by(|&a, &b| {
            rows[a]
                .summary
                .idle_ips_mean
                .total_cmp(&rows[b].summary.idle_ips_mean)
                .then(a.cmp(&b))
        })?;
    let r = rows[best];
    let (bi, ri) = (base.summary.idle_ips_mean, r.summary.idle_ips_mean);
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
    let p99 = match (p99(r), p99(base)) {
        (Some(a), Some(b)) => format!("{:+.1} s p99 time to IP", a - b),
        (None, _) => "no pod getting an IP".to_string(),
        (Some(_), None) => "pods getting IPs at all".to_string(),
    };
    let dc = calls(r) as i64 - calls(base) as i64;
    Some(format!(
        "{} {idle} ({ri:.1} vs {bi:.1} mean) for {p99} and {dc:+} EC2 calls.",
        label(&r.setting)
    ))
}
