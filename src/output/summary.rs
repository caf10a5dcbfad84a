//! `pods.csv` and the summary printed on stdout.

use super::recorder::{Recorder, PODS_HEADER};
use crate::engine::RunStats;
use crate::model::world::{PodState, World};
use crate::scenario::Ec2Action;
use std::fmt;
use std::io::{self, Write};
use std::net::Ipv4Addr;

/// Writes `pods.csv`: one row per pod ever created, in creation order.
pub fn write_pods_csv<R: Recorder, W: Write>(world: &World<R>, w: &mut W) -> io::Result<()> {
    writeln!(w, "{PODS_HEADER}")?;
    let opt = |t: Option<crate::time::SimTime>| t.map(|t| t.secs_str()).unwrap_or_default();
    for (i, p) in world.pods.iter().enumerate() {
        let node = p
            .node
            .map(|n| world.nodes[n as usize].name.as_str())
            .unwrap_or("");
        let ip = p
            .last_ip
            .map(|a| Ipv4Addr::from(a).to_string())
            .unwrap_or_default();
        writeln!(
            w,
            "{},{},{},{},{},{},{},{},{},{}",
            world.pod_name(i as u32),
            world.owner_name(i as u32),
            node,
            p.host_network,
            p.created.secs_str(),
            opt(p.scheduled),
            opt(p.ip_assigned),
            opt(p.deleted),
            ip,
            p.state.word()
        )?;
    }
    Ok(())
}

/// p50/p90/p99/max of a set of durations (s), nearest-rank.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Percentiles {
    /// Samples.
    pub count: usize,
    /// Median (s).
    pub p50: f64,
    /// 90th percentile (s).
    pub p90: f64,
    /// 99th percentile (s).
    pub p99: f64,
    /// Maximum (s).
    pub max: f64,
}

impl Percentiles {
    /// Nearest-rank percentiles: the value at rank `ceil(p/100 × n)` of the sorted samples.
    pub fn of(mut v: Vec<f64>) -> Percentiles {
        if v.is_empty() {
            return Percentiles::default();
        }
        v.sort_by(f64::total_cmp);
        let rank = |p: f64| v[((p / 100.0 * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1];
        Percentiles {
            count: v.len(),
            p50: rank(50.0),
            p90: rank(90.0),
            p99: rank(99.0),
            max: v[v.len() - 1],
        }
    }
}

/// What a run ended with.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    /// Scenario name.
    pub name: String,
    /// Seed used.
    pub seed: u64,
    /// Simulated duration (s).
    pub duration_s: f64,
    /// Nodes at the end.
    pub nodes: u32,
    /// Pods by final state: running, unschedulable, waiting_ip, deleted.
    pub pods_by_state: [u32; 4],
    /// Time to IP (s): from binding to a node until the CNI gave an IP, pods that got one
    /// (host-network pods excluded).
    pub time_to_ip: Percentiles,
    /// Time to running (s): from creation until the IP, pods that got one.
    pub time_to_running: Percentiles,
    /// Wait for an IP (s) of every non-host-network pod bound to a node, a pod that never
    /// got one counted until it was deleted or the run ended (censored): a setting that
    /// leaves pods without IPs cannot look fast.
    pub ip_wait: Percentiles,
    /// Peak pods waiting for an IP at once.
    pub peak_waiting_ip: u32,
    /// Peak unschedulable pods at once.
    pub peak_unschedulable: u32,
    /// ENIs at the end.
    pub enis: u32,
    /// IPs held (`ips_total`) and assigned at the end.
    pub ips_total: u32,
    /// IPs assigned at the end.
    pub ips_assigned: u32,
    /// Mean of `ips_available` over samples.
    pub idle_ips_mean: f64,
    /// Peak of `ips_available` over samples.
    pub idle_ips_peak: u32,
    /// Free subnet addresses at the end.
    pub subnet_free_ips: u64,
    /// EC2 calls per action (index `Ec2Action as usize`).
    pub ec2_calls: [u64; 10],
    /// EC2 requests answered `RequestLimitExceeded`.
    pub ec2_throttled: u64,
    /// Non-host-network pods bound to a node that never got an IP (whatever their final
    /// state; pods that never got a node are counted as unschedulable instead).
    pub pods_never_ip: u32,
    /// Simulated seconds with at least one pod waiting for an IP.
    pub seconds_any_waiting: f64,
    /// Peak `ips_total` over samples.
    pub peak_ips_total: u32,
    /// Lowest `subnet_free_ips` over samples.
    pub min_subnet_free_ips: u64,
    /// ENIs that became usable during the run.
    pub enis_attached: u64,
    /// ENIs ipamd freed during the run.
    pub enis_freed: u64,
    /// Events handled.
    pub events: u64,
    /// Nodes launched after t = 0 (autoscaler scale-ups and `launch` entries).
    pub nodes_added: u32,
    /// Nodes removed by autoscaler scale-down.
    pub nodes_removed: u32,
    /// Most nodes that existed at once.
    pub peak_nodes: u32,
    /// The scenario can change its node count (some nodegroup has `autoscaling` or
    /// `launch`): the summary prints the node line.
    pub nodes_change: bool,
}

impl Summary {
    /// Computes the summary of a finished run.
    pub fn from_world<R: Recorder>(world: &World<R>, stats: &RunStats) -> Summary {
        let mut by_state = [0u32; 4];
        let mut to_ip = Vec::new();
        let mut to_running = Vec::new();
        let mut never = 0;
        let mut waits = Vec::new();
        let end = crate::time::SimTime(world.sc.duration.micros());
        for p in &world.pods {
            let i = match p.state {
                PodState::Running => 0,
                PodState::Unschedulable => 1,
                PodState::WaitingIp => 2,
                PodState::Deleted => 3,
            };
            by_state[i] += 1;
            if p.host_network {
                continue;
            }
            never += u32::from(p.scheduled.is_some() && p.ip_assigned.is_none());
            if let Some(s) = p.scheduled {
                let until = p.ip_assigned.or(p.deleted).unwrap_or(end);
                waits.push(until.since(s).as_secs_f64());
            }
            if let (Some(s), Some(a)) = (p.scheduled, p.ip_assigned) {
                to_ip.push(a.since(s).as_secs_f64());
                to_running.push(a.since(p.created).as_secs_f64());
            }
        }
        let t = &world.totals;
        Summary {
            name: world.sc.name.clone(),
            seed: world.sc.seed,
            duration_s: world.sc.duration.as_secs_f64(),
            nodes: world.scaling.live,
            pods_by_state: by_state,
            time_to_ip: Percentiles::of(to_ip),
            time_to_running: Percentiles::of(to_running),
            ip_wait: Percentiles::of(waits),
            peak_waiting_ip: t.peak_waiting_ip,
            peak_unschedulable: t.peak_unschedulable,
            enis: t.last_row.enis,
            ips_total: t.last_row.ips_total,
            ips_assigned: t.last_row.ips_assigned,
            idle_ips_mean: if t.samples == 0 {
                0.0
            } else {
                t.ips_available_sum as f64 / t.samples as f64
            },
            idle_ips_peak: t.ips_available_peak,
            subnet_free_ips: t.last_row.subnet_free_ips,
            ec2_calls: *world.ec2.calls(),
            pods_never_ip: never,
            ec2_throttled: world.ec2.total_throttled(),
            seconds_any_waiting: t
                .seconds_any_waiting(crate::time::SimTime(world.sc.duration.micros())),
            peak_ips_total: t.peak_ips_total,
            min_subnet_free_ips: t.min_subnet_free_ips,
            enis_attached: t.enis_attached,
            enis_freed: t.enis_freed,
            events: stats.events,
            nodes_added: world.scaling.added,
            nodes_removed: world.scaling.removed,
            peak_nodes: world.scaling.peak,
            nodes_change: world
                .sc
                .nodegroups
                .iter()
                .any(|g| g.autoscaling.is_some() || !g.launches.is_empty()),
        }
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [running, unsched, waiting, deleted] = self.pods_by_state;
        writeln!(
            f,
            "scenario {} (seed {}): {:.0} s simulated, {} nodes",
            self.name, self.seed, self.duration_s, self.nodes
        )?;
        writeln!(
            f,
            "pods at end:     {running} running, {unsched} unschedulable, {waiting} waiting for an IP, {deleted} deleted"
        )?;
        let p = &self.time_to_ip;
        if p.count > 0 {
            writeln!(
                f,
                "time to IP:      p50 {:.3} s, p90 {:.3} s, p99 {:.3} s, max {:.3} s  ({} pods; from binding to IP)",
                p.p50, p.p90, p.p99, p.max, p.count
            )?;
            let r = &self.time_to_running;
            writeln!(
                f,
                "time to running: p50 {:.3} s, p90 {:.3} s, p99 {:.3} s, max {:.3} s  (from creation)",
                r.p50, r.p90, r.p99, r.max
            )?;
        } else {
            writeln!(f, "time to IP:      no pod got an IP")?;
        }
        if self.pods_never_ip > 0 {
            let w = &self.ip_wait;
            writeln!(
                f,
                "never got an IP: {} pods; counting their wait until deleted or the end: p50 {:.3} s, p99 {:.3} s, max {:.3} s",
                self.pods_never_ip, w.p50, w.p99, w.max
            )?;
        }
        if self.nodes_change {
            writeln!(
                f,
                "nodes:           {} added, {} removed, peak {}, {} at end",
                self.nodes_added, self.nodes_removed, self.peak_nodes, self.nodes
            )?;
        }
        writeln!(
            f,
            "peak waiting:    {} pods waiting for an IP, {} unschedulable",
            self.peak_waiting_ip, self.peak_unschedulable
        )?;
        writeln!(
            f,
            "at end:          {} ENIs, {} IPs held, {} assigned; subnet free IPs {}",
            self.enis, self.ips_total, self.ips_assigned, self.subnet_free_ips
        )?;
        writeln!(
            f,
            "idle IPs:        mean {:.1}, peak {} (ips_available, cooldown included)",
            self.idle_ips_mean, self.idle_ips_peak
        )?;
        let total: u64 = self.ec2_calls.iter().sum();
        write!(f, "EC2 calls:       {total}")?;
        let mut first = true;
        for a in Ec2Action::ALL {
            let n = self.ec2_calls[a as usize];
            if n > 0 {
                write!(f, "{}{} {n}", if first { " (" } else { ", " }, a.name())?;
                first = false;
            }
        }
        if !first {
            write!(f, ")")?;
        }
        writeln!(f)?;
        if self.ec2_throttled > 0 {
            writeln!(
                f,
                "EC2 throttled:   {} requests answered RequestLimitExceeded (retried by the SDK)",
                self.ec2_throttled
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        // 1..=100: p50 = rank 50 -> 50, p90 -> 90, p99 -> 99, max 100
        let p = Percentiles::of((1..=100).map(f64::from).collect());
        assert_eq!((p.p50, p.p90, p.p99, p.max), (50.0, 90.0, 99.0, 100.0));
        // 3 samples: p50 = rank ceil(1.5) = 2 -> 20; p90 = rank ceil(2.7) = 3 -> 30
        let p = Percentiles::of(vec![30.0, 10.0, 20.0]);
        assert_eq!((p.p50, p.p90, p.count), (20.0, 30.0, 3));
        assert_eq!(Percentiles::of(vec![]).count, 0);
    }
}
