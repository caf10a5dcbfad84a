//! Time to running per workload, from `pods.csv`: `ip_assigned_s − created_s` of every
//! pod-network pod that got an IP (host-network pods need none and are left out), and why
//! the others never got one. The distribution is drawn as an empirical CDF whose height is
//! the fraction of the workload's pod-network pods with an IP by then, so a line ends at
//! the fraction that ever got one.

use super::input::CsvIn;
use super::rows::{PodIn, PodNetworkIn};
use super::ReportError;
use std::collections::BTreeMap;
use std::path::Path;

/// Most points a CDF keeps (before drawing it as steps): beyond, ranks are sampled evenly.
pub const MAX_CDF_POINTS: usize = 400;

/// One workload's pod-network pods.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WorkloadTimes {
    /// Creation → IP (ms) of each pod that got one, sorted.
    pub to_ip_ms: Vec<u64>,
    /// Never bound to a node, not deleted (unschedulable at the end).
    pub never_scheduled: u64,
    /// Bound, no IP, not deleted (still waiting at the end).
    pub waiting_at_end: u64,
    /// Deleted before getting an IP.
    pub deleted_first: u64,
}

impl WorkloadTimes {
    /// Pod-network pods.
    pub fn pods(&self) -> u64 {
        self.to_ip_ms.len() as u64 + self.never()
    }

    /// Pods that never got an IP.
    pub fn never(&self) -> u64 {
        self.never_scheduled + self.waiting_at_end + self.deleted_first
    }

    /// Fraction of the pods that got an IP (0 without pods).
    pub fn fraction_with_ip(&self) -> f64 {
        match self.pods() {
            0 => 0.0,
            n => self.to_ip_ms.len() as f64 / n as f64,
        }
    }

    /// Nearest-rank percentile `p` (0–100] of the times to IP (s).
    pub fn percentile_s(&self, p: u32) -> Option<f64> {
        let n = self.to_ip_ms.len();
        if n == 0 {
            return None;
        }
        let rank = (u64::from(p) * n as u64).div_ceil(100).max(1) as usize;
        Some(self.to_ip_ms[rank.min(n) - 1] as f64 / 1000.0)
    }

    /// The CDF as `(seconds, fraction)` corners: one point per distinct time (the fraction
    /// with an IP by then). With more than `max` distinct times, at most `max` are kept: the
    /// first, the last, and each one at least 2/`max` of the pods or 2/`max` of the (log)
    /// time span after the previous one kept, so neither a jump nor a long tail is lost.
    /// Empty without a pod that got an IP.
    pub fn cdf(&self, max: usize) -> Vec<(f64, f64)> {
        let n = self.pods() as f64;
        let times = &self.to_ip_ms;
        // The last index of each run of equal times.
        let ends: Vec<usize> = (0..times.len())
            .filter(|&i| i + 1 == times.len() || times[i + 1] != times[i])
            .collect();
        let corner = |i: usize| (times[i] as f64 / 1000.0, (i + 1) as f64 / n);
        if ends.len() <= max.max(2) {
            return ends.into_iter().map(corner).collect();
        }
        let half = (max.max(4) - 2) / 2;
        let lg = |ms: u64| (ms.max(1) as f64).log10();
        let rank_step = times.len() as f64 / half as f64;
        let x_step = (lg(times[times.len() - 1]) - lg(times[0])) / half as f64;
        let mut out = Vec::with_capacity(max);
        let (mut kept_rank, mut kept_x) = (0.0, f64::NEG_INFINITY);
        for (k, &i) in ends.iter().enumerate() {
            let (rank, x) = ((i + 1) as f64, lg(times[i]));
            let keep = k == 0
                || k + 1 == ends.len()
                || rank - kept_rank >= rank_step
                || x - kept_x >= x_step;
            if keep {
                out.push(corner(i));
                (kept_rank, kept_x) = (rank, x);
            }
        }
        out
    }

    /// Merges another workload's pods into this one.
    fn absorb(&mut self, o: &WorkloadTimes) {
        self.to_ip_ms.extend_from_slice(&o.to_ip_ms);
        self.to_ip_ms.sort_unstable();
        self.never_scheduled += o.never_scheduled;
        self.waiting_at_end += o.waiting_at_end;
        self.deleted_first += o.deleted_first;
    }
}

/// `pods.csv` grouped by workload (sorted by name).
#[derive(Debug, Clone, Default)]
pub struct PodTimes {
    /// Each workload with pod-network pods.
    pub workloads: BTreeMap<String, WorkloadTimes>,
    /// Host-network pods (left out of the CDF).
    pub host_network: u64,
}

impl PodTimes {
    /// Every workload together.
    pub fn all(&self) -> WorkloadTimes {
        let mut all = WorkloadTimes::default();
        for w in self.workloads.values() {
            all.absorb(w);
        }
        all
    }

    /// At most `max` lines: the workloads with most pods (ties by name, then shown by
    /// name), the rest merged into one `other (k workloads)` line.
    pub fn lines(&self, max: usize) -> Vec<(String, WorkloadTimes)> {
        let mut by_size: Vec<(&String, &WorkloadTimes)> = self.workloads.iter().collect();
        if by_size.len() <= max {
            return by_size
                .into_iter()
                .map(|(n, w)| (n.clone(), w.clone()))
                .collect();
        }
        by_size.sort_by(|a, b| b.1.pods().cmp(&a.1.pods()).then(a.0.cmp(b.0)));
        let rest = by_size.split_off(max.saturating_sub(1));
        by_size.sort_by(|a, b| a.0.cmp(b.0));
        let mut out: Vec<(String, WorkloadTimes)> = by_size
            .into_iter()
            .map(|(n, w)| (n.clone(), w.clone()))
            .collect();
        let mut other = WorkloadTimes::default();
        for (_, w) in &rest {
            other.absorb(w);
        }
        out.push((format!("other ({} workloads)", rest.len()), other));
        out
    }
}

/// Reads `pods.csv`.
pub fn read_pods(path: &Path) -> Result<PodTimes, ReportError> {
    let mut input = CsvIn::open(path)?;
    let cols = input.columns_of::<PodIn<'_>>()?;
    let network = input.columns_of::<PodNetworkIn>()?;
    let mut out = PodTimes::default();
    input.for_each(|row| {
        if row.read::<PodNetworkIn>(&network)?.host_network {
            out.host_network += 1;
            return Ok(());
        }
        let PodIn {
            workload,
            created_ms: created,
            scheduled_ms: scheduled,
            ip_assigned_ms: ip,
            deleted_ms: deleted,
            ..
        } = row.read(&cols)?;
        let w = match out.workloads.get_mut(workload) {
            Some(w) => w,
            None => out.workloads.entry(workload.to_string()).or_default(),
        };
        match (ip, scheduled, deleted) {
            (Some(ip), _, _) => {
                let d = ip
                    .checked_sub(created)
                    .ok_or_else(|| row.error("ip_assigned_s is before created_s".to_string()))?;
                w.to_ip_ms.push(d);
            }
            (None, _, Some(_)) => w.deleted_first += 1,
            (None, None, None) => w.never_scheduled += 1,
            (None, Some(_), None) => w.waiting_at_end += 1,
        }
        Ok(())
    })?;
    for w in out.workloads.values_mut() {
        w.to_ip_ms.sort_unstable();
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn times(ms: &[u64], never: u64) -> WorkloadTimes {
        WorkloadTimes {
            to_ip_ms: ms.to_vec(),
            waiting_at_end: never,
            ..WorkloadTimes::default()
        }
    }

    #[test]
    fn cdf_ends_at_the_fraction_with_an_ip() {
        let w = times(&[1000, 1000, 2000, 5000], 4);
        assert_eq!(w.cdf(100), [(1.0, 0.25), (2.0, 0.375), (5.0, 0.5)]);
        assert_eq!(w.percentile_s(50), Some(1.0));
        assert_eq!(w.percentile_s(100), Some(5.0));
    }

    #[test]
    fn long_cdfs_are_sampled_keeping_the_last_point() {
        // Half the pods at 0 s, the rest spread over 1 ms to 100 s.
        let mut ms: Vec<u64> = vec![0; 100_000];
        ms.extend(1..=100_000);
        let w = times(&ms, 0);
        let c = w.cdf(MAX_CDF_POINTS);
        assert!(c.len() <= MAX_CDF_POINTS, "{}", c.len());
        assert_eq!(c[0], (0.0, 0.5), "the jump at 0 s is kept");
        assert_eq!(c.last(), Some(&(100.0, 1.0)));
        assert!(c.windows(2).all(|p| p[0].0 < p[1].0 && p[0].1 < p[1].1));
        // No gap in the fraction wider than 2/max of the pods (beyond one step).
        assert!(c
            .windows(2)
            .all(|p| p[1].1 - p[0].1 <= 2.0 / (MAX_CDF_POINTS - 2) as f64 + 1e-5));
    }

    #[test]
    fn many_workloads_merge_into_other() {
        let mut p = PodTimes::default();
        for (name, n) in [("a", 1), ("b", 5), ("c", 3), ("d", 2)] {
            p.workloads.insert(name.into(), times(&vec![1; n], 0));
        }
        let lines = p.lines(3);
        let names: Vec<&str> = lines.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["b", "c", "other (2 workloads)"]);
        assert_eq!(lines[2].1.pods(), 3);
    }
}
