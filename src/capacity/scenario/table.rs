//! The human-readable form of `capacity --scenario`: one block per nodegroup.

use super::{NodeGroupCapacity, NodeState, SETTLE_DURATION_S};
use crate::text::Count;
use std::io::{self, Write};

/// `n noun`, the noun plural unless n is 1 (`1 ENI`, `2 prefixes`).
fn n(count: u32, one: &'static str, many: &'static str) -> Count<'static> {
    Count(count.into(), one, many)
}

fn pool_line(state: &NodeState, prefixes: bool) -> String {
    let mut s = format!(
        "{}, {} held",
        n(state.enis, "ENI", "ENIs"),
        n(state.ips, "IP", "IPs")
    );
    if prefixes {
        s.push_str(&format!(" in {}", n(state.prefixes, "prefix", "prefixes")));
    }
    s
}

/// Column titles of the per-subnet lines of [`write_table`].
const SUBNET_HEADER: [&str; 9] = [
    "SUBNET",
    "USES",
    "FREE_IPS",
    "FREE_/28",
    "IPS/NODE",
    "/28/NODE",
    "NODES_DEMAND_IPS",
    "MORE_NODES",
    "LIMIT",
];

/// Writes a human-readable block per nodegroup: its mode and max pods, one node's pool with
/// no workload pods (the idle tax) and at max pods, then per subnet the free addresses (and
/// /28 blocks) at t = 0, what one node at max pods takes, what the starting nodes take, how
/// many more nodes fit and what binds first, and a closing line with the nodegroup's answer.
pub fn write_table(groups: &[NodeGroupCapacity], mut w: impl Write) -> io::Result<()> {
    for (i, g) in groups.iter().enumerate() {
        if i > 0 {
            writeln!(w)?;
        }
        let pfx = g.mode.prefixes();
        writeln!(
            w,
            "nodegroup {}: {}, mode {}, max pods {} ({} DaemonSet + {} workload), {} at start",
            g.nodegroup,
            g.instance_type,
            g.mode.word(),
            g.max_pods,
            g.daemonset_pods,
            g.workload_pods,
            n(g.count, "node", "nodes"),
        )?;
        let z = &g.at_zero_pods;
        writeln!(
            w,
            "  at 0 workload pods: {}, {} idle (the idle tax)",
            pool_line(z, pfx),
            z.idle_ips()
        )?;
        let f = &g.at_max_pods;
        writeln!(
            w,
            "  at max pods:        {}, {} idle; {} of {} {} an IP{}",
            pool_line(f, pfx),
            f.idle_ips(),
            f.pods_with_ip,
            n(
                f.pods_with_ip.saturating_add(f.pods_without_ip),
                "pod",
                "pods"
            ),
            crate::text::noun(f.pods_with_ip, "has", "have"),
            if f.pods_without_ip > 0 {
                format!(
                    " ({} {}: IP-limited)",
                    f.pods_without_ip,
                    crate::text::noun(f.pods_without_ip, "waits", "wait")
                )
            } else {
                String::new()
            }
        )?;
        if !g.settled() {
            writeln!(
                w,
                "  warning: not settled after {} min; the numbers are the state at the end",
                SETTLE_DURATION_S / 60
            )?;
        }
        if !g.launched() {
            writeln!(
                w,
                "  warning: the instance found no free address in its subnet"
            )?;
        }
        let body: Vec<[String; 9]> = g
            .subnets
            .iter()
            .map(|h| {
                let dash = |v: String| if pfx { v } else { "-".to_string() };
                let more = match (h.more_nodes, pfx) {
                    (None, _) => "no limit".to_string(),
                    (Some(n), false) => n.to_string(),
                    (Some(n), true) => format!(
                        "{n} (by IPs {}, by /28 {})",
                        h.more_nodes_by_ips.map_or(String::new(), |n| n.to_string()),
                        h.more_nodes_by_blocks
                            .map_or("-".to_string(), |b| b.to_string())
                    ),
                };
                [
                    h.subnet.clone(),
                    h.uses().word().to_string(),
                    h.free_ips.to_string(),
                    dash(h.free_prefix_blocks.to_string()),
                    h.ips_per_node.to_string(),
                    dash(h.prefix_blocks_per_node.to_string()),
                    h.nodes_demand_ips.to_string(),
                    more,
                    h.limit.word().to_string(),
                ]
            })
            .collect();
        let mut widths = SUBNET_HEADER.map(str::len);
        for cells in &body {
            for (wd, c) in widths.iter_mut().zip(cells) {
                *wd = (*wd).max(c.chars().count());
            }
        }
        let header = SUBNET_HEADER.map(str::to_string);
        for cells in std::iter::once(&header).chain(&body) {
            let mut line = String::from("  ");
            for (k, (c, &width)) in cells.iter().zip(&widths).enumerate() {
                if k > 0 {
                    line.push_str("  ");
                }
                let pad = " ".repeat(width.saturating_sub(c.chars().count()));
                if (2..=6).contains(&k) {
                    line.push_str(&pad);
                    line.push_str(c);
                } else {
                    line.push_str(c);
                    line.push_str(&pad);
                }
            }
            writeln!(w, "{}", line.trim_end())?;
        }
        for h in &g.subnets {
            if h.short_for_one_node {
                writeln!(
                    w,
                    "  note: subnet {}: one node alone already runs out of {} (pods wait for IPs)",
                    h.subnet,
                    h.limit.phrase()
                )?;
            } else if !h.existing_fit {
                writeln!(
                    w,
                    "  note: subnet {}: the nodes at start do not all fit at max pods",
                    h.subnet
                )?;
            }
        }
        match g.binding() {
            Some(b) => writeln!(
                w,
                "  => {} fit (subnet {} runs out of {} first)",
                n(b.more_nodes.unwrap_or(0), "more node", "more nodes"),
                b.subnet,
                b.limit.phrase()
            )?,
            None => writeln!(w, "  => no subnet limits this nodegroup")?,
        }
    }
    writeln!(w)?;
    writeln!(
        w,
        "Per node, from the simulator: one node run alone for {} min with the DaemonSets only, \
and at max pods. Headroom assumes the nodes at start (every nodegroup) are at max pods too \
(NODES_DEMAND_IPS: the addresses they take then); MORE_NODES replays one node's addresses and /28 prefixes on the subnet (lowest free first).",
        SETTLE_DURATION_S / 60
    )?;
    w.flush()
}
