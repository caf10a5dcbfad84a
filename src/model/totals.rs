//! Counters the run keeps for its summary: cluster-wide figures updated as the run goes,
//! and per-pod durations gathered as each pod's record is written.

use super::record::{PodRecord, PodState, TimelineRow};
use crate::time::SimTime;

/// Sampled figures for the summary, kept as the run goes.
#[derive(Clone, Debug, Default)]
pub struct RunTotals {
    /// Samples taken.
    pub samples: u64,
    /// Sum of `ips_available` over samples.
    pub ips_available_sum: u64,
    /// Peak `ips_available` over samples.
    pub ips_available_peak: u32,
    /// Last timeline row.
    pub last_row: TimelineRow,
    /// Peak `ips_total` over samples.
    pub peak_ips_total: u32,
    /// Lowest `subnet_free_ips` over samples.
    pub min_subnet_free_ips: u64,
    /// Free subnet addresses before the first node launched (after `used`).
    pub subnet_free_before: u64,
}

/// Durations in whole milliseconds, counted exactly: one counter per millisecond up to
/// [`MsHistogram::DENSE_MS`], a sorted map beyond. Memory grows with the range of values
/// seen, not with how many there are, and every nearest-rank percentile is exact.
#[derive(Clone, Debug, Default)]
pub struct MsHistogram {
    dense: Vec<u32>,
    sparse: std::collections::BTreeMap<u64, u64>,
    count: u64,
}

impl MsHistogram {
    /// Values below this (ms, 10 minutes) are counted in the dense part.
    pub const DENSE_MS: u64 = 600_000;

    /// Adds one duration (ms).
    pub fn add(&mut self, ms: u64) {
        self.count += 1;
        if ms < Self::DENSE_MS {
            let i = ms as usize;
            if self.dense.len() <= i {
                self.dense.resize(i + 1, 0);
            }
            match self.dense[i].checked_add(1) {
                Some(c) => self.dense[i] = c,
                None => *self.sparse.entry(ms).or_insert(0) += 1,
            }
        } else {
            *self.sparse.entry(ms).or_insert(0) += 1;
        }
    }

    /// Durations counted.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The value at 1-based rank `rank` in ascending order (`rank` ≤ count).
    pub fn at_rank(&self, rank: u64) -> Option<u64> {
        if rank == 0 || rank > self.count {
            return None;
        }
        let mut seen = 0u64;
        for (ms, &c) in self.dense.iter().enumerate() {
            seen += u64::from(c);
            if let Some(&extra) = self.sparse.get(&(ms as u64)) {
                seen += extra;
            }
            if seen >= rank {
                return Some(ms as u64);
            }
        }
        for (&ms, &c) in self.sparse.range(Self::DENSE_MS..) {
            seen += c;
            if seen >= rank {
                return Some(ms);
            }
        }
        None
    }

    /// Nearest-rank percentile `p` (0–100): the value at rank `ceil(p/100 × n)`.
    pub fn percentile(&self, p: u64) -> Option<u64> {
        let rank = (p * self.count).div_ceil(100).max(1);
        self.at_rank(rank)
    }

    /// Several nearest-rank percentiles (ascending `ps`) in one pass over the counts.
    pub fn percentiles<const N: usize>(&self, ps: [u64; N]) -> [Option<u64>; N] {
        let mut out = [None; N];
        if self.count == 0 {
            return out;
        }
        let ranks = ps.map(|p| (p * self.count).div_ceil(100).max(1));
        let mut next = 0;
        let mut seen = 0u64;
        let mut visit = |ms: u64, c: u64, out: &mut [Option<u64>; N], next: &mut usize| {
            seen += c;
            while *next < N && seen >= ranks[*next] {
                out[*next] = Some(ms);
                *next += 1;
            }
        };
        for (ms, &c) in self.dense.iter().enumerate() {
            let extra = self.sparse.get(&(ms as u64)).copied().unwrap_or(0);
            if c > 0 || extra > 0 {
                visit(ms as u64, u64::from(c) + extra, &mut out, &mut next);
            }
            if next == N {
                return out;
            }
        }
        for (&ms, &c) in self.sparse.range(Self::DENSE_MS..) {
            visit(ms, c, &mut out, &mut next);
            if next == N {
                break;
            }
        }
        out
    }
}

/// Pod counts and durations, gathered from every [`PodRecord`] written. Durations are in
/// milliseconds computed from the times as `pods.csv` writes them (rounded to the
/// millisecond), so a script recomputing them from the file gets the same numbers.
#[derive(Clone, Debug, Default)]
pub struct PodTotals {
    /// Pods created (DaemonSet pods included).
    pub created: u32,
    /// Running at the end.
    pub running_at_end: u32,
    /// Unschedulable at the end.
    pub unschedulable_at_end: u32,
    /// Waiting for an IP at the end.
    pub waiting_ip_at_end: u32,
    /// Deleted during the run.
    pub deleted: u32,
    /// Workload pods that were never bound to a node.
    pub never_scheduled: u32,
    /// Pod-network pods bound to a node that never got an IP.
    pub never_got_ip: u32,
    /// Binding → IP (ms) of pod-network pods that got one.
    pub time_to_ip_ms: MsHistogram,
    /// Creation → running (ms) of every workload pod; one that never ran counts until it was
    /// deleted or the run ended.
    pub time_to_running_ms: MsHistogram,
    /// Binding → deletion or end (ms) of the pods that never got an IP.
    pub never_ip_wait_ms: MsHistogram,
    /// Binding → IP (ms) of every pod-network pod bound to a node, a pod that never got an
    /// IP counted until deleted or the end (censored).
    pub ip_wait_censored_ms: MsHistogram,
}

impl PodTotals {
    /// Adds one pod's final record; `end` is the end of the run (for pods still alive).
    pub fn add(&mut self, p: &PodRecord<'_>, end: SimTime) {
        let ms = |t: SimTime| t.millis_rounded();
        let span = |a: SimTime, b: SimTime| ms(b).saturating_sub(ms(a));
        self.created += 1;
        match p.state {
            PodState::Running => self.running_at_end += 1,
            PodState::Unschedulable => self.unschedulable_at_end += 1,
            PodState::WaitingIp => self.waiting_ip_at_end += 1,
            PodState::Deleted => self.deleted += 1,
        }
        let stop = p.deleted.unwrap_or(end);
        if !p.daemonset {
            self.never_scheduled += u32::from(p.scheduled.is_none());
            let ran = p.ip_assigned.unwrap_or(stop);
            self.time_to_running_ms.add(span(p.created, ran));
        }
        if p.host_network {
            return;
        }
        let Some(bound) = p.scheduled else {
            return;
        };
        match p.ip_assigned {
            Some(ip) => {
                self.time_to_ip_ms.add(span(bound, ip));
                self.ip_wait_censored_ms.add(span(bound, ip));
            }
            None => {
                self.never_got_ip += 1;
                self.never_ip_wait_ms.add(span(bound, stop));
                self.ip_wait_censored_ms.add(span(bound, stop));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exact nearest-rank percentiles on both sides of the dense limit.
    #[test]
    fn histogram_percentiles_are_exact() {
        let mut h = MsHistogram::default();
        // 1..=100 s in ms, plus two values beyond the dense part (11 and 20 minutes)
        for s in 1..=100u64 {
            h.add(s * 1000);
        }
        h.add(660_000);
        h.add(1_200_000);
        assert_eq!(h.count(), 102);
        // rank ceil(0.5 × 102) = 51 -> 51 s; rank ceil(0.99 × 102) = 101 -> 660 s
        assert_eq!(h.percentile(50), Some(51_000));
        assert_eq!(h.percentile(99), Some(660_000));
        assert_eq!(h.percentile(100), Some(1_200_000));
        assert_eq!(MsHistogram::default().percentile(50), None);
        // one pass gives the same answers
        let one = h.percentiles([50, 99, 100]);
        assert_eq!(one, [Some(51_000), Some(660_000), Some(1_200_000)]);
    }
}
