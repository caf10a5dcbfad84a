//! The CSV form of `capacity --scenario`: one [`ScenarioCsvRow`] per (nodegroup, subnet),
//! written through the `csv` crate with the header taken from the row struct.

use super::{NodeGroupCapacity, SubnetHeadroom};
use crate::output::csv_files::CsvFile;
use serde::Serialize;
use std::io::{self, Write};

/// Columns of [`write_csv`], in order: the field names of [`ScenarioCsvRow`] (a test checks
/// they agree; columns are only ever appended). One row per (nodegroup, subnet); the node
/// columns repeat on each of a nodegroup's rows. Units: `*_pods` and `pods_*` are pods,
/// `enis_*` ENIs, `ips_*`/`*_ips` addresses, `prefixes_*` /28 prefixes, `*_blocks` aligned
/// /28 blocks, `more_nodes*`, `count` and `nodes_fit` nodes. See [`ScenarioCsvRow`] for each.
pub const CSV_HEADER: [&str; 36] = [
    "nodegroup",
    "instance_type",
    "mode",
    "max_pods",
    "daemonset_pods",
    "workload_pods",
    "count",
    "enis_at_0_pods",
    "ips_at_0_pods",
    "prefixes_at_0_pods",
    "enis_at_max_pods",
    "ips_at_max_pods",
    "prefixes_at_max_pods",
    "pods_with_ip_at_max_pods",
    "pods_without_ip_at_max_pods",
    "idle_ips_at_max_pods",
    "settled",
    "launched",
    "subnet",
    "uses",
    "free_ips",
    "free_prefix_blocks",
    "ips_per_node",
    "prefix_blocks_per_node",
    "existing_ips",
    "existing_prefix_blocks",
    "existing_fit",
    "short_for_one_node",
    "more_nodes_by_ips",
    "more_nodes_by_blocks",
    "more_nodes",
    "limit",
    "binding",
    "nodes_fit",
    "nodes_demand_ips",
    "nodes_demand_prefix_blocks",
];

/// One CSV row of `capacity --scenario --format csv`: a nodegroup's figures and one of its
/// subnets. `None` and empty words are empty cells (all the subnet cells of a nodegroup that
/// touches no subnet); booleans are `true`/`false`.
#[derive(Debug, Default, Serialize)]
pub struct ScenarioCsvRow<'a> {
    /// Nodegroup name.
    pub nodegroup: &'a str,
    /// EC2 instance type.
    pub instance_type: &'a str,
    /// `secondary_ips`, `prefix_delegation`, `custom_networking` or
    /// `custom_networking_prefix_delegation` ([`super::Mode::word`]).
    pub mode: &'static str,
    /// kubelet max pods (pods).
    pub max_pods: u32,
    /// DaemonSet pods per node (pods).
    pub daemonset_pods: u32,
    /// max pods − DaemonSet pods (pods).
    pub workload_pods: u32,
    /// Nodes at start (nodes).
    pub count: u32,
    /// One node with the DaemonSets only (the idle tax): ENIs.
    pub enis_at_0_pods: u32,
    /// ... addresses held.
    pub ips_at_0_pods: u32,
    /// ... /28 prefixes held.
    pub prefixes_at_0_pods: u32,
    /// One node at max pods: ENIs.
    pub enis_at_max_pods: u32,
    /// ... addresses held.
    pub ips_at_max_pods: u32,
    /// ... /28 prefixes held.
    pub prefixes_at_max_pods: u32,
    /// ... pods with an IP (pods).
    pub pods_with_ip_at_max_pods: u32,
    /// ... pods waiting for an IP (pods).
    pub pods_without_ip_at_max_pods: u32,
    /// ... addresses held − assigned.
    pub idle_ips_at_max_pods: u32,
    /// `false` if a derived run had not settled after 20 min (its end state is reported).
    pub settled: bool,
    /// `false` if the instance found no address.
    pub launched: bool,
    /// Subnet name.
    pub subnet: &'a str,
    /// `instance`, `pod_enis` or `instance_and_pod_enis` ([`super::Uses::word`]).
    pub uses: &'static str,
    /// Free addresses at t = 0, before any node.
    pub free_ips: Option<u32>,
    /// Free aligned /28 blocks at t = 0, before any node.
    pub free_prefix_blocks: Option<u32>,
    /// Addresses one node at max pods takes.
    pub ips_per_node: Option<u32>,
    /// /28 blocks one node at max pods makes unavailable.
    pub prefix_blocks_per_node: Option<u32>,
    /// The former name of `nodes_demand_ips` (the same value), kept for scripts.
    pub existing_ips: Option<u32>,
    /// The former name of `nodes_demand_prefix_blocks` (the same value), kept for scripts.
    pub existing_prefix_blocks: Option<u32>,
    /// `false`: the starting nodes do not all fit.
    pub existing_fit: Option<bool>,
    /// `true`: one node alone already ran out here ([`SubnetHeadroom::short_for_one_node`]).
    pub short_for_one_node: Option<bool>,
    /// More nodes by the address count; empty when the nodes take no address here.
    pub more_nodes_by_ips: Option<u32>,
    /// More nodes by the /28 block count (prefix mode only).
    pub more_nodes_by_blocks: Option<u32>,
    /// More nodes by replay (the answer); empty when the nodes take nothing here.
    pub more_nodes: Option<u32>,
    /// `none`, `addresses` or `prefix_blocks` ([`super::Limit::word`]).
    pub limit: &'static str,
    /// `true` on the subnet that limits the nodegroup first.
    pub binding: Option<bool>,
    /// The nodegroup's answer, on every row: the fewest `more_nodes` over its subnets;
    /// empty when no subnet limits it.
    pub nodes_fit: Option<u32>,
    /// The nodes' demand: addresses the nodes at start of every nodegroup would take at max
    /// pods (`u32::MAX` if more).
    pub nodes_demand_ips: Option<u32>,
    /// The nodes' demand in /28 blocks: what the nodes at start of every nodegroup would
    /// make unavailable at max pods (`u32::MAX` if more).
    pub nodes_demand_prefix_blocks: Option<u32>,
}

impl<'a> ScenarioCsvRow<'a> {
    /// The nodegroup's columns, the subnet's left empty.
    fn group(g: &'a NodeGroupCapacity) -> Self {
        let (z, f) = (&g.at_zero_pods, &g.at_max_pods);
        ScenarioCsvRow {
            nodegroup: &g.nodegroup,
            instance_type: &g.instance_type,
            mode: g.mode.word(),
            max_pods: g.max_pods,
            daemonset_pods: g.daemonset_pods,
            workload_pods: g.workload_pods,
            count: g.count,
            enis_at_0_pods: z.enis,
            ips_at_0_pods: z.ips,
            prefixes_at_0_pods: z.prefixes,
            enis_at_max_pods: f.enis,
            ips_at_max_pods: f.ips,
            prefixes_at_max_pods: f.prefixes,
            pods_with_ip_at_max_pods: f.pods_with_ip,
            pods_without_ip_at_max_pods: f.pods_without_ip,
            idle_ips_at_max_pods: f.idle_ips(),
            settled: g.settled(),
            launched: g.launched(),
            nodes_fit: g.nodes_fit(),
            ..ScenarioCsvRow::default()
        }
    }

    /// The nodegroup's columns and subnet `h`'s.
    fn subnet(g: &'a NodeGroupCapacity, h: &'a SubnetHeadroom) -> Self {
        ScenarioCsvRow {
            subnet: &h.subnet,
            uses: h.uses().word(),
            free_ips: Some(h.free_ips),
            free_prefix_blocks: Some(h.free_prefix_blocks),
            ips_per_node: Some(h.ips_per_node),
            prefix_blocks_per_node: Some(h.prefix_blocks_per_node),
            existing_ips: Some(h.nodes_demand_ips),
            existing_prefix_blocks: Some(h.nodes_demand_prefix_blocks),
            nodes_demand_ips: Some(h.nodes_demand_ips),
            nodes_demand_prefix_blocks: Some(h.nodes_demand_prefix_blocks),
            existing_fit: Some(h.existing_fit),
            short_for_one_node: Some(h.short_for_one_node),
            more_nodes_by_ips: h.more_nodes_by_ips,
            more_nodes_by_blocks: h.more_nodes_by_blocks,
            more_nodes: h.more_nodes,
            limit: h.limit.word(),
            binding: Some(g.binding().is_some_and(|b| std::ptr::eq(b, h))),
            ..ScenarioCsvRow::group(g)
        }
    }
}

/// Writes one CSV row (RFC 4180) per (nodegroup, subnet) with the [`CSV_HEADER`] columns (a
/// nodegroup that touches no subnet still gets one row, with the subnet cells empty).
pub fn write_csv(groups: &[NodeGroupCapacity], w: impl Write) -> io::Result<()> {
    let mut out = CsvFile::new::<ScenarioCsvRow<'_>>(w)?;
    for g in groups {
        if g.subnets.is_empty() {
            out.row(&ScenarioCsvRow::group(g))?;
        }
        for h in &g.subnets {
            out.row(&ScenarioCsvRow::subnet(g, h))?;
        }
    }
    out.finish()?.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::csv_files::header_of;

    #[test]
    fn csv_header_comes_from_the_row_struct() {
        assert_eq!(header_of::<ScenarioCsvRow<'_>>(), CSV_HEADER);
    }

    #[test]
    fn a_nodegroup_without_subnets_gets_one_row_with_empty_subnet_cells() {
        let g = NodeGroupCapacity {
            nodegroup: "ng".into(),
            instance_type: "m5.large".into(),
            mode: super::super::Mode::SecondaryIps,
            max_pods: 29,
            daemonset_pods: 2,
            workload_pods: 27,
            count: 0,
            at_zero_pods: Default::default(),
            at_max_pods: Default::default(),
            subnets: Vec::new(),
        };
        let mut out = Vec::new();
        write_csv(&[g], &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let row = text.lines().nth(1).unwrap();
        // 18 node cells, then 18 empty ones (the subnet's 15, nodes_fit: no limit, and
        // the subnet's two nodes_demand_ columns).
        assert_eq!(
            row,
            format!(
                "ng,m5.large,secondary_ips,29,2,27,0,0,0,0,0,0,0,0,0,0,false,false{}",
                ",".repeat(18)
            )
        );
    }
}
