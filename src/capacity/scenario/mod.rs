//! Scenario capacity: for a cluster and its CNI settings, how many IPs one node of each
//! nodegroup holds when idle and when full, and how many more nodes fit in each subnet.
//!
//! Nothing here re-derives ipamd's rules. For every nodegroup the simulator itself runs a
//! derived one-node scenario (module `runs`: that nodegroup only, `count: 1`, canonical
//! placement, no injected faults (`faults`, `ec2` fault rates), the same subnets, CNI
//! settings, DaemonSets, ENIConfigs, EC2 latency and throttling, kubelet model and seed):
//! once with no workload pods (the DaemonSets only: the idle "tax") and once with the node
//! full (`max_pods` minus the DaemonSet pods as workload pods, created at
//! [`WORKLOAD_AT_S`]), each for [`SETTLE_DURATION_S`]. The end state of the node's datastore
//! gives its ENIs, IPs and prefixes; the subnets' free addresses and free /28 blocks before
//! and after give what one node takes from each subnet.
//!
//! The full-node run simulates at most one pod more than the node can ever give an address
//! ([`crate::catalog::InstanceType::pod_ips`]); the workload pods beyond that would only
//! wait too, and are counted as waiting without being simulated, so the work is bounded by
//! the instance type, never by `max_pods`.
//!
//! Headroom ("more nodes", module `headroom`) counts nodes beyond the ones the scenario starts
//! with, all assumed to be at max pods (the nodes of every nodegroup, since they share the
//! subnets). Three figures per subnet:
//! - by addresses: `floor((free − existing) / per_node)` over free addresses;
//! - by /28 blocks (prefix mode): the same over aligned, entirely free /28 blocks;
//! - exact: one node's allocations (its single addresses, lowest free first, and its /28
//!   prefixes, lowest free aligned block first) replayed on a copy of the subnet's address
//!   map, node after node, after the existing nodes, until one does not fit. This sees what
//!   the two counts cannot: single addresses that break /28 blocks, prefix reservations that
//!   single addresses may not use, a fragmented `used:` scatter. The allocation that failed
//!   names the limit.
//!
//! A nodegroup with several primary subnets (`subnets:`) runs one full-node simulation per
//! primary subnet, and the headroom follows the round-robin order in which the simulator
//! places the group's nodes (node `count + 1` next, and so on).
//!
//! [`write_table`], [`write_csv`] and [`write_json`] write the result (docs/capacity.md).

mod headroom;
mod json;
mod runs;
mod table;
mod write;

pub use json::{write_json, NodeGroupJson, NodeStateJson, SubnetJson};
pub use table::write_table;
pub use write::{write_csv, ScenarioCsvRow, CSV_HEADER};

use crate::scenario::Scenario;

/// Simulated time of each derived run (s): long enough for the pool to settle.
pub const SETTLE_DURATION_S: u64 = 20 * 60;
/// A run counts as settled when its last sample equals the sample this long before (s).
pub const SETTLE_WINDOW_S: u64 = 5 * 60;
/// When the workload of the full-node run is created (s).
pub const WORKLOAD_AT_S: u64 = 60;

/// How a node of the group gets pod addresses. Every format (table, CSV, JSON) spells it
/// [`Mode::word`]: `secondary_ips`, ...
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Secondary IPs on every ENI.
    SecondaryIps,
    /// /28 prefixes (prefix delegation on a Nitro or bare-metal type).
    PrefixDelegation,
    /// Custom networking, secondary IPs on the ENIConfig subnet's ENIs.
    CustomNetworking,
    /// Custom networking with /28 prefixes.
    CustomNetworkingPrefixDelegation,
}

impl Mode {
    /// Every mode.
    pub const ALL: [Mode; 4] = [
        Mode::SecondaryIps,
        Mode::PrefixDelegation,
        Mode::CustomNetworking,
        Mode::CustomNetworkingPrefixDelegation,
    ];

    /// The one spelling of the mode, in the table, the CSV `mode` column and JSON.
    pub fn word(self) -> &'static str {
        match self {
            Mode::SecondaryIps => "secondary_ips",
            Mode::PrefixDelegation => "prefix_delegation",
            Mode::CustomNetworking => "custom_networking",
            Mode::CustomNetworkingPrefixDelegation => "custom_networking_prefix_delegation",
        }
    }

    /// Whether nodes hold /28 prefixes.
    pub fn prefixes(self) -> bool {
        matches!(
            self,
            Mode::PrefixDelegation | Mode::CustomNetworkingPrefixDelegation
        )
    }

    /// Whether custom networking is on (the primary ENI carries no pod addresses).
    pub fn custom_networking(self) -> bool {
        matches!(
            self,
            Mode::CustomNetworking | Mode::CustomNetworkingPrefixDelegation
        )
    }
}

/// One node's pool at the end of a derived run. Counts per node.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NodeState {
    /// ENIs in ipamd's datastore, the primary ENI included (ENIs).
    pub enis: u32,
    /// Addresses held for pods (IPs): secondary IPs, or 16 per prefix.
    pub ips: u32,
    /// /28 prefixes held (prefixes; 0 in secondary-IP mode).
    pub prefixes: u32,
    /// Pods that have an IP (pods; host-network pods excluded): the addresses assigned.
    pub pods_with_ip: u32,
    /// Pods bound to the node and still waiting for an IP (pods), the workload pods beyond
    /// what the node can ever address included (counted, not simulated).
    pub pods_without_ip: u32,
    /// Whether the run settled: its last sample's ENIs, IPs held, running pods and subnet
    /// free addresses equal those [`SETTLE_WINDOW_S`] earlier.
    pub settled: bool,
    /// Whether the instance got its own address at launch (false: the node subnet is full).
    pub launched: bool,
}

impl NodeState {
    /// Addresses held but not assigned to a pod (IPs), cooling ones included.
    pub fn idle_ips(&self) -> u32 {
        self.ips.saturating_sub(self.pods_with_ip)
    }
}

/// Which resource of a subnet runs out first. Every format spells it [`Limit::word`]:
/// `none`, `addresses`, `prefix_blocks`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// The nodes of the group take nothing from this subnet.
    None,
    /// Free addresses (for single addresses: outside prefix reservations).
    Addresses,
    /// Aligned, entirely free /28 blocks while addresses remain.
    PrefixBlocks,
}

impl Limit {
    /// Every limit.
    pub const ALL: [Limit; 3] = [Limit::None, Limit::Addresses, Limit::PrefixBlocks];

    /// The one spelling of the limit, in the table's `LIMIT`, the CSV `limit` column and
    /// JSON.
    pub fn word(self) -> &'static str {
        match self {
            Limit::None => "none",
            Limit::Addresses => "addresses",
            Limit::PrefixBlocks => "prefix_blocks",
        }
    }

    /// What runs out, in a sentence ("runs out of /28 blocks first").
    pub fn phrase(self) -> &'static str {
        match self {
            Limit::None => "nothing",
            Limit::Addresses => "addresses",
            Limit::PrefixBlocks => "/28 blocks",
        }
    }
}

/// What a nodegroup's nodes use a subnet for. Every format spells it [`Uses::word`]:
/// `instance`, `pod_enis`, `instance_and_pod_enis`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Uses {
    /// Only the instances' own addresses (custom networking's node subnet).
    Instance,
    /// Only pod ENIs (custom networking's ENIConfig subnet, or a subnet discovery target).
    PodEnis,
    /// Both: a primary subnet whose ENIs carry pod addresses.
    InstanceAndPodEnis,
}

impl Uses {
    /// Every use.
    pub const ALL: [Uses; 3] = [Uses::Instance, Uses::PodEnis, Uses::InstanceAndPodEnis];

    /// The one spelling of the use, in the table's `USES`, the CSV `uses` column and JSON.
    pub fn word(self) -> &'static str {
        match self {
            Uses::Instance => "instance",
            Uses::PodEnis => "pod_enis",
            Uses::InstanceAndPodEnis => "instance_and_pod_enis",
        }
    }
}

/// The three enums serialize as their [`word`](Mode::word), so JSON cannot spell them
/// otherwise than the CSV and the table.
macro_rules! serialize_as_word {
    ($($t:ty),*) => {$(
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.word())
            }
        }
    )*};
}
serialize_as_word!(Mode, Limit, Uses);

/// What a nodegroup's nodes take from one subnet and how many more of them fit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubnetHeadroom {
    /// Subnet name.
    pub subnet: String,
    /// Whether the instances' own addresses come from this subnet (a primary subnet).
    pub instance: bool,
    /// Whether the nodes' pod ENIs (or the primary ENI's pod addresses) use this subnet.
    pub pod_enis: bool,
    /// Free addresses at t = 0, before any node (addresses; reservations included).
    pub free_ips: u32,
    /// Aligned, entirely free /28 blocks at t = 0, before any node (blocks).
    pub free_prefix_blocks: u32,
    /// Addresses one node at max pods takes from the subnet: ENI primary IPs (the instance's
    /// included) plus secondary IPs, or 16 per prefix. With several primary subnets, the
    /// largest over them.
    pub ips_per_node: u32,
    /// Free /28 blocks one node at max pods makes unavailable (blocks); largest over primary
    /// subnets as above.
    pub prefix_blocks_per_node: u32,
    /// Addresses the nodes the scenario starts with (every nodegroup) take at max pods
    /// (addresses; `u32::MAX` if more).
    pub nodes_demand_ips: u32,
    /// /28 blocks the nodes the scenario starts with (every nodegroup) take at max pods
    /// (blocks; `u32::MAX` if more).
    pub nodes_demand_prefix_blocks: u32,
    /// More nodes by the address count alone (nodes); `None` when the nodes take no address
    /// here.
    pub more_nodes_by_ips: Option<u32>,
    /// More nodes by the /28 block count alone (nodes; prefix mode only; `None` otherwise or
    /// when the nodes take no block here).
    pub more_nodes_by_blocks: Option<u32>,
    /// More nodes that fit, by replaying the node's allocations on the subnet's address map
    /// (nodes; the answer); `None` when the nodes take nothing from this subnet (no limit).
    pub more_nodes: Option<u32>,
    /// What stops the replay (or what one node alone already ran out of).
    pub limit: Limit,
    /// Whether the nodes the scenario starts with (every nodegroup, at max pods) fit.
    pub existing_fit: bool,
    /// Whether one node of the group alone, at max pods, already ran out here (pods left
    /// without an IP after an insufficient-address error naming this subnet): then
    /// `more_nodes` is 0 whatever the counts say.
    pub short_for_one_node: bool,
}

impl SubnetHeadroom {
    /// What the group's nodes use the subnet for.
    pub fn uses(&self) -> Uses {
        match (self.instance, self.pod_enis) {
            (true, true) => Uses::InstanceAndPodEnis,
            (true, false) => Uses::Instance,
            (false, _) => Uses::PodEnis,
        }
    }
}

/// One nodegroup's per-node footprint and subnet headroom.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeGroupCapacity {
    /// Nodegroup name.
    pub nodegroup: String,
    /// EC2 instance type.
    pub instance_type: String,
    /// How pods get addresses.
    pub mode: Mode,
    /// kubelet max pods (pods).
    pub max_pods: u32,
    /// DaemonSet pods per node (pods), host-network ones included.
    pub daemonset_pods: u32,
    /// Workload pods on a full node: `max_pods` − DaemonSet pods (pods).
    pub workload_pods: u32,
    /// Nodes the scenario starts with (`count`; nodes).
    pub count: u32,
    /// One node with no workload pods (the DaemonSets only).
    pub at_zero_pods: NodeState,
    /// One node at max pods (with several primary subnets: the node in the first).
    pub at_max_pods: NodeState,
    /// Subnets the group's nodes use, in scenario order.
    pub subnets: Vec<SubnetHeadroom>,
}

impl NodeGroupCapacity {
    /// Whether every derived run of the group settled.
    pub fn settled(&self) -> bool {
        self.at_zero_pods.settled && self.at_max_pods.settled
    }

    /// Whether the instance found its own address in every derived run.
    pub fn launched(&self) -> bool {
        self.at_zero_pods.launched && self.at_max_pods.launched
    }

    /// The binding subnet: the one with the fewest more nodes (first in scenario order on a
    /// tie); `None` if no subnet limits the group.
    pub fn binding(&self) -> Option<&SubnetHeadroom> {
        self.subnets
            .iter()
            .filter(|s| s.more_nodes.is_some())
            .min_by_key(|s| s.more_nodes)
    }

    /// More nodes of the group that fit (nodes): the binding subnet's `more_nodes`; `None`
    /// when no subnet limits the group.
    pub fn nodes_fit(&self) -> Option<u32> {
        self.binding().and_then(|b| b.more_nodes)
    }
}

/// Computes every nodegroup's capacity, in scenario order. `sc` is a validated scenario
/// (`crate::scenario::load`); its workloads and duration are ignored.
pub fn scenario_capacity(sc: &Scenario) -> Vec<NodeGroupCapacity> {
    scenario_capacity_until(sc, &mut || true).unwrap_or_default()
}

/// [`scenario_capacity`], asking `keep_going` now and then during the derived runs;
/// `None` when it said no (a signal: nothing is reported then).
pub fn scenario_capacity_until(
    sc: &Scenario,
    keep_going: &mut dyn FnMut() -> bool,
) -> Option<Vec<NodeGroupCapacity>> {
    let start = runs::fresh_subnets(sc, keep_going)?;
    let ds_pods = u32::try_from(sc.daemonsets.len()).unwrap_or(u32::MAX);
    let mut groups = Vec::new();
    let mut footprints = Vec::new();
    for (g, spec) in sc.nodegroups.iter().enumerate() {
        let workload_pods = spec.max_pods.saturating_sub(ds_pods);
        let pd = sc.cni.enable_prefix_delegation && spec.instance_type.supports_prefix_delegation();
        let mode = match (sc.cni.custom_network_cfg, pd) {
            (false, false) => Mode::SecondaryIps,
            (false, true) => Mode::PrefixDelegation,
            (true, false) => Mode::CustomNetworking,
            (true, true) => Mode::CustomNetworkingPrefixDelegation,
        };
        let zero = runs::node_run(sc, g, 0, 0, &start, keep_going)?.0;
        let mut variants = Vec::new();
        let mut full = NodeState::default();
        for v in 0..spec.subnets.len().max(1) {
            let (state, fp) = runs::node_run(sc, g, v, workload_pods, &start, keep_going)?;
            if v == 0 {
                full = state;
            } else {
                full.settled &= state.settled;
            }
            variants.push(fp);
        }
        groups.push(NodeGroupCapacity {
            nodegroup: spec.name.clone(),
            instance_type: spec.instance_type.name.clone(),
            mode,
            max_pods: spec.max_pods,
            daemonset_pods: ds_pods,
            workload_pods,
            count: spec.count,
            at_zero_pods: zero,
            at_max_pods: full,
            subnets: Vec::new(),
        });
        footprints.push(variants);
    }
    let counts: Vec<u32> = sc.nodegroups.iter().map(|g| g.count).collect();
    for (g, group) in groups.iter_mut().enumerate() {
        group.subnets = headroom::headroom(&start, &footprints, &counts, g, group.mode.prefixes());
    }
    Some(groups)
}
