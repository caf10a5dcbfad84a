//! The JSON form of `capacity --scenario`: an array with one [`NodeGroupJson`] object per
//! nodegroup, its two node states and its subnets nested, enums as snake_case words and
//! `null` where the CSV has an empty cell (docs/capacity.md shows an example). Every key of
//! earlier versions is kept; keys are only ever added.

use super::{Limit, Mode, NodeGroupCapacity, NodeState, SubnetHeadroom, Uses};
use serde::Serialize;
use std::io::{self, Write};

/// One nodegroup. Counts as in [`NodeGroupCapacity`].
#[derive(Debug, Serialize)]
pub struct NodeGroupJson<'a> {
    /// Nodegroup name.
    pub nodegroup: &'a str,
    /// EC2 instance type.
    pub instance_type: &'a str,
    /// `secondary_ips`, `prefix_delegation`, `custom_networking` or
    /// `custom_networking_prefix_delegation`.
    pub mode: Mode,
    /// kubelet max pods (pods).
    pub max_pods: u32,
    /// DaemonSet pods per node (pods).
    pub daemonset_pods: u32,
    /// max pods − DaemonSet pods (pods).
    pub workload_pods: u32,
    /// Nodes at start (nodes).
    pub count: u32,
    /// Whether both derived runs settled.
    pub settled: bool,
    /// Whether the instance found its own address in both runs.
    pub launched: bool,
    /// More nodes of the group that fit (nodes): the binding subnet's `more_nodes`; `null`
    /// when no subnet limits the group.
    pub nodes_fit: Option<u32>,
    /// The binding subnet's name; `null` when no subnet limits the group.
    pub binding_subnet: Option<&'a str>,
    /// One node with the DaemonSets only (the idle tax).
    pub at_zero_pods: NodeStateJson,
    /// One node at max pods.
    pub at_max_pods: NodeStateJson,
    /// The subnets the group's nodes use, in scenario order.
    pub subnets: Vec<SubnetJson<'a>>,
}

/// One node's pool: [`NodeState`] and its idle addresses.
#[derive(Debug, Serialize)]
pub struct NodeStateJson {
    /// ENIs.
    pub enis: u32,
    /// Addresses held for pods.
    pub ips: u32,
    /// /28 prefixes held.
    pub prefixes: u32,
    /// Pods with an IP (pods).
    pub pods_with_ip: u32,
    /// Pods waiting for an IP (pods).
    pub pods_without_ip: u32,
    /// Addresses held − assigned.
    pub idle_ips: u32,
    /// Whether the run settled.
    pub settled: bool,
    /// Whether the instance got its own address.
    pub launched: bool,
}

impl From<&NodeState> for NodeStateJson {
    fn from(n: &NodeState) -> Self {
        NodeStateJson {
            enis: n.enis,
            ips: n.ips,
            prefixes: n.prefixes,
            pods_with_ip: n.pods_with_ip,
            pods_without_ip: n.pods_without_ip,
            idle_ips: n.idle_ips(),
            settled: n.settled,
            launched: n.launched,
        }
    }
}

/// One subnet of a nodegroup: [`SubnetHeadroom`], what it is used for, and whether it binds.
#[derive(Debug, Serialize)]
pub struct SubnetJson<'a> {
    /// Subnet name.
    pub subnet: &'a str,
    /// `instance`, `pod_enis` or `instance_and_pod_enis` (from the next two).
    pub uses: Uses,
    /// Whether the instances' own addresses come from this subnet.
    pub instance: bool,
    /// Whether the nodes' pod ENIs use this subnet.
    pub pod_enis: bool,
    /// Free addresses at t = 0.
    pub free_ips: u32,
    /// Free aligned /28 blocks at t = 0 (blocks).
    pub free_prefix_blocks: u32,
    /// Addresses one node at max pods takes.
    pub ips_per_node: u32,
    /// /28 blocks one node at max pods makes unavailable (blocks).
    pub prefix_blocks_per_node: u32,
    /// The nodes' demand: addresses the nodes at start of every nodegroup would take at max
    /// pods.
    pub nodes_demand_ips: u32,
    /// The nodes' demand in /28 blocks (blocks).
    pub nodes_demand_prefix_blocks: u32,
    /// The former name of `nodes_demand_ips` (the same value), kept for scripts.
    pub existing_ips: u32,
    /// The former name of `nodes_demand_prefix_blocks` (the same value), kept for scripts.
    pub existing_prefix_blocks: u32,
    /// Whether the starting nodes all fit.
    pub existing_fit: bool,
    /// Whether one node alone already ran out here.
    pub short_for_one_node: bool,
    /// More nodes by the address count (nodes); `null`: the nodes take no address here.
    pub more_nodes_by_ips: Option<u32>,
    /// More nodes by the /28 block count (nodes); `null` outside prefix mode.
    pub more_nodes_by_blocks: Option<u32>,
    /// More nodes by replay (nodes; the answer); `null`: no limit.
    pub more_nodes: Option<u32>,
    /// `none`, `addresses` or `prefix_blocks`.
    pub limit: Limit,
    /// Whether this subnet limits the nodegroup first.
    pub binding: bool,
}

impl<'a> NodeGroupJson<'a> {
    /// The JSON view of one nodegroup.
    pub fn new(g: &'a NodeGroupCapacity) -> Self {
        let binding = g.binding();
        let subnet = |h: &'a SubnetHeadroom| SubnetJson {
            subnet: &h.subnet,
            uses: h.uses(),
            instance: h.instance,
            pod_enis: h.pod_enis,
            free_ips: h.free_ips,
            free_prefix_blocks: h.free_prefix_blocks,
            ips_per_node: h.ips_per_node,
            prefix_blocks_per_node: h.prefix_blocks_per_node,
            nodes_demand_ips: h.nodes_demand_ips,
            nodes_demand_prefix_blocks: h.nodes_demand_prefix_blocks,
            existing_ips: h.nodes_demand_ips,
            existing_prefix_blocks: h.nodes_demand_prefix_blocks,
            existing_fit: h.existing_fit,
            short_for_one_node: h.short_for_one_node,
            more_nodes_by_ips: h.more_nodes_by_ips,
            more_nodes_by_blocks: h.more_nodes_by_blocks,
            more_nodes: h.more_nodes,
            limit: h.limit,
            binding: binding.is_some_and(|b| std::ptr::eq(b, h)),
        };
        NodeGroupJson {
            nodegroup: &g.nodegroup,
            instance_type: &g.instance_type,
            mode: g.mode,
            max_pods: g.max_pods,
            daemonset_pods: g.daemonset_pods,
            workload_pods: g.workload_pods,
            count: g.count,
            settled: g.settled(),
            launched: g.launched(),
            nodes_fit: g.nodes_fit(),
            binding_subnet: binding.map(|b| b.subnet.as_str()),
            at_zero_pods: (&g.at_zero_pods).into(),
            at_max_pods: (&g.at_max_pods).into(),
            subnets: g.subnets.iter().map(subnet).collect(),
        }
    }
}

/// Writes the nodegroups as a JSON array of [`NodeGroupJson`] objects.
pub fn write_json(groups: &[NodeGroupCapacity], mut w: impl Write) -> io::Result<()> {
    let view: Vec<NodeGroupJson<'_>> = groups.iter().map(NodeGroupJson::new).collect();
    serde_json::to_writer_pretty(&mut w, &view)?;
    writeln!(w)?;
    w.flush()
}
