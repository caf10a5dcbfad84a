//! The run summary as text, as `run` prints it: the same values as `summary.json`.

use super::Summary;
use crate::scenario::Ec2Action;
use crate::text::{noun, Count};
use std::fmt;

fn secs(x: Option<f64>) -> f64 {
    x.unwrap_or(0.0)
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = &self.pods;
        writeln!(
            f,
            "scenario {} (seed {}): {:.0} s simulated, {}",
            self.scenario,
            self.seed,
            self.duration_s,
            Count(self.nodes.at_end.into(), "node", "nodes")
        )?;
        if !self.nodes.launch_failures.is_empty() {
            write!(f, "launch failed:   ")?;
            for (i, l) in self.nodes.launch_failures.iter().enumerate() {
                write!(
                    f,
                    "{}{} of {} ({} in {})",
                    if i == 0 { "" } else { "; " },
                    Count(l.nodes.into(), "node", "nodes"),
                    l.nodegroup,
                    l.error.name(),
                    l.subnet
                )?;
            }
            writeln!(f)?;
        }
        writeln!(
            f,
            "pods at end:     {} running, {} unschedulable, {} waiting for an IP, {} deleted  \
             ({} created)",
            p.running_at_end, p.unschedulable_at_end, p.waiting_ip_at_end, p.deleted, p.created
        )?;
        let t = &self.time_to_ip_s;
        if t.count > 0 {
            writeln!(
                f,
                "time to IP:      p50 {:.3} s, p90 {:.3} s, p99 {:.3} s, max {:.3} s  ({}; \
                 from binding to IP)",
                secs(t.p50),
                secs(t.p90),
                secs(t.p99),
                secs(t.max),
                Count(t.count as u64, "pod", "pods")
            )?;
        } else {
            writeln!(f, "time to IP:      no pod got an IP")?;
        }
        let r = &self.time_to_running_s;
        if r.count > 0 {
            writeln!(
                f,
                "time to running: p50 {:.3} s, p90 {:.3} s, p99 {:.3} s, max {:.3} s  ({}, \
                 from creation; one that never ran counts until deleted or the end)",
                secs(r.p50),
                secs(r.p90),
                secs(r.p99),
                secs(r.max),
                Count(r.count as u64, "workload pod", "workload pods")
            )?;
        }
        let n = &self.never_got_ip;
        if n.count > 0 {
            writeln!(
                f,
                "never got an IP: {}; {} wait from binding until deleted or the end: \
                 p50 {:.3} s, p99 {:.3} s, max {:.3} s",
                Count(n.count.into(), "pod", "pods"),
                noun(n.count, "its", "their"),
                secs(n.wait_s.p50),
                secs(n.wait_s.p99),
                secs(n.wait_s.max)
            )?;
        }
        if p.never_scheduled > 0 {
            writeln!(
                f,
                "never scheduled: {} never got a node",
                Count(p.never_scheduled.into(), "workload pod", "workload pods")
            )?;
        }
        let ranked = self.wait_by_cause_s.ranked();
        if !ranked.is_empty() {
            write!(f, "waited:          ")?;
            for (i, (c, s)) in ranked.iter().enumerate() {
                write!(f, "{}{} {s:.1}", if i == 0 { "" } else { ", " }, c.word())?;
            }
            writeln!(f, "  (pod-seconds by cause; waits.csv)")?;
        }
        if self.nodes_change {
            let nd = &self.nodes;
            writeln!(
                f,
                "nodes:           {} added, {} removed, peak {}, {} at end",
                nd.added, nd.removed, nd.peak, nd.at_end
            )?;
        }
        writeln!(
            f,
            "peak waiting:    {} waiting for an IP, {} unschedulable",
            Count(self.peak.waiting_ip.into(), "pod", "pods"),
            self.peak.unschedulable
        )?;
        writeln!(
            f,
            "at end:          {}, {} held, {} assigned; subnet free IPs {}",
            Count(self.enis.at_end.into(), "ENI", "ENIs"),
            Count(self.ips.held_at_end.into(), "IP", "IPs"),
            self.ips.assigned_at_end,
            self.subnets.free_ips_at_end
        )?;
        writeln!(
            f,
            "idle IPs:        mean {:.1}, peak {} (ips_available, cooldown included)",
            self.ips.idle_mean, self.ips.idle_peak
        )?;
        if let Some(p) = &self.pod_enis {
            writeln!(
                f,
                "pod ENIs:        {} at end, {} created, peak {} at once",
                Count(p.trunks_at_end.into(), "trunk", "trunks"),
                Count(p.branch_enis_created, "branch ENI", "branch ENIs"),
                p.peak_branch_enis
            )?;
        }
        if let Some(m) = &self.multi_nic {
            writeln!(
                f,
                "multi-NIC:       {} got {} (one per card); {} at end holding {}",
                Count(m.multi_homed_pods, "multi-homed pod", "multi-homed pods"),
                Count(m.multi_homed_addresses, "address", "addresses"),
                m.multi_homed_pods_at_end,
                m.multi_homed_addresses_at_end,
            )?;
        }
        if let Some(c) = &self.calico {
            writeln!(
                f,
                "calico:          pool {} /{} blocks: {} claimed ({} at end), {}, {}",
                c.pool,
                c.block_size,
                c.blocks_claimed,
                c.blocks_at_end,
                Count(
                    c.borrowed_addresses,
                    "borrowed address",
                    "borrowed addresses"
                ),
                Count(
                    c.refused_assignments,
                    "refused assignment",
                    "refused assignments"
                )
            )?;
        }
        write!(f, "EC2 calls:       {}", self.ec2.calls)?;
        let mut first = true;
        for a in Ec2Action::ALL {
            let n = self.ec2.by_action.get(a.name()).copied().unwrap_or(0);
            if n > 0 {
                write!(f, "{}{} {n}", if first { " (" } else { ", " }, a.name())?;
                first = false;
            }
        }
        if !first {
            write!(f, ")")?;
        }
        writeln!(f)?;
        if self.ec2.throttled > 0 {
            writeln!(
                f,
                "EC2 throttled:   {} answered RequestLimitExceeded (retried by the SDK)",
                Count(self.ec2.throttled, "request", "requests")
            )?;
        }
        Ok(())
    }
}
