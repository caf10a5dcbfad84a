//! `comparison.csv`: one row per setting, and the Pareto front.
//!
//! Time-to-IP columns are over every non-host-network pod that was bound to a node, a pod
//! that never got an IP counted with its wait until it was deleted or the run ended.

use super::RunResult;
use crate::scenario::Ec2Action;
use std::io::{self, Write};

/// The three objectives, all minimized: p99 time to IP (s, censored: a pod that never got
/// an IP counts with its wait until deleted or the end; no pod bound at all counts as 0),
/// mean idle IPs, EC2 calls.
fn objectives(r: &RunResult) -> (f64, f64, f64) {
    let s = &r.summary;
    (
        s.ip_wait.p99,
        s.idle_ips_mean,
        s.ec2_calls.iter().sum::<u64>() as f64,
    )
}

/// Whether each row is on the Pareto front of (p99 time to IP, mean idle IPs, EC2 calls):
/// no other row is at least as good in all three and better in one.
pub fn pareto(rows: &[&RunResult]) -> Vec<bool> {
    let obj: Vec<(f64, f64, f64)> = rows.iter().map(|r| objectives(r)).collect();
    obj.iter()
        .map(|a| {
            !obj.iter().any(|b| {
                b.0 <= a.0 && b.1 <= a.1 && b.2 <= a.2 && (b.0 < a.0 || b.1 < a.1 || b.2 < a.2)
            })
        })
        .collect()
}

/// The header of `comparison.csv` for the swept `keys`.
pub fn header(keys: &[String]) -> String {
    let mut cols: Vec<String> = vec!["setting".into()];
    cols.extend(keys.iter().cloned());
    for c in [
        "pods_never_ip",
        "time_to_ip_p50_s",
        "time_to_ip_p90_s",
        "time_to_ip_p99_s",
        "time_to_ip_max_s",
        "peak_waiting_ip",
        "seconds_any_waiting",
        "idle_ips_mean",
        "idle_ips_peak",
        "peak_ips_total",
        "min_subnet_free_ips",
        "enis_attached",
        "enis_freed",
    ] {
        cols.push(c.into());
    }
    for a in Ec2Action::ALL {
        cols.push(format!("ec2_{}", a.name()));
    }
    cols.extend([
        "ec2_calls_total".into(),
        "ec2_throttled".into(),
        "pareto".into(),
    ]);
    cols.join(",")
}

/// Writes `comparison.csv`: rows in combination order (finished runs only).
pub fn write_csv<W: Write>(mut w: W, keys: &[String], rows: &[&RunResult]) -> io::Result<()> {
    writeln!(w, "{}", header(keys))?;
    let front = pareto(rows);
    for (r, on_front) in rows.iter().zip(front) {
        let s = &r.summary;
        write!(w, "{}", super::label(&r.setting))?;
        for (_, v) in &r.setting {
            write!(w, ",{v}")?;
        }
        let t = &s.ip_wait;
        let time = |x: f64| {
            if t.count > 0 {
                format!("{x:.3}")
            } else {
                String::new()
            }
        };
        write!(
            w,
            ",{},{},{},{},{},{},{:.3},{:.3},{},{},{},{},{}",
            s.pods_never_ip,
            time(t.p50),
            time(t.p90),
            time(t.p99),
            time(t.max),
            s.peak_waiting_ip,
            s.seconds_any_waiting,
            s.idle_ips_mean,
            s.idle_ips_peak,
            s.peak_ips_total,
            s.min_subnet_free_ips,
            s.enis_attached,
            s.enis_freed
        )?;
        for n in s.ec2_calls {
            write!(w, ",{n}")?;
        }
        writeln!(
            w,
            ",{},0,{}",
            s.ec2_calls.iter().sum::<u64>(),
            u8::from(on_front)
        )?;
    }
    w.flush()
}
