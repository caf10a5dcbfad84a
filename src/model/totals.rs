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
    /// What finished pods' lives add up to.
    pub pods: PodTotals,
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
    pub time_to_ip_ms: Vec<u64>,
    /// Creation → running (ms) of every workload pod; one that never ran counts until it was
    /// deleted or the run ended.
    pub time_to_running_ms: Vec<u64>,
    /// Binding → deletion or end (ms) of the pods that never got an IP.
    pub never_ip_wait_ms: Vec<u64>,
    /// Binding → IP (ms) of every pod-network pod bound to a node, a pod that never got an
    /// IP counted until deleted or the end (censored).
    pub ip_wait_censored_ms: Vec<u64>,
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
            self.time_to_running_ms.push(span(p.created, ran));
        }
        if p.host_network {
            return;
        }
        let Some(bound) = p.scheduled else {
            return;
        };
        match p.ip_assigned {
            Some(ip) => {
                self.time_to_ip_ms.push(span(bound, ip));
                self.ip_wait_censored_ms.push(span(bound, ip));
            }
            None => {
                self.never_got_ip += 1;
                self.never_ip_wait_ms.push(span(bound, stop));
                self.ip_wait_censored_ms.push(span(bound, stop));
            }
        }
    }
}
