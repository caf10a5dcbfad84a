//! Scenario capacity: for a cluster and its CNI settings, how many IPs one node of each
//! nodegroup holds when idle and when full, and how many more nodes fit in each subnet.
//!
//! Nothing here re-derives ipamd's rules. For every nodegroup the simulator itself runs a
//! derived one-node scenario (that nodegroup only, `count: 1`, canonical placement, no
//! injected faults (`faults`, `ec2` fault rates), the same subnets, CNI settings, DaemonSets,
//! ENIConfigs, EC2 latency and throttling, kubelet model and seed): once with
//! no workload pods (the DaemonSets only: the idle "tax") and once with the node full
//! (`max_pods` minus the DaemonSet pods as workload pods, created at t = 60 s), each for
//! [`SETTLE_DURATION_S`]. The end state of the node's datastore gives its ENIs, IPs and
//! prefixes; the subnets' free addresses and free /28 blocks before and after give what one
//! node takes from each subnet.
//!
//! Headroom ("more nodes") counts nodes beyond the ones the scenario starts with, all assumed
//! to be at max pods (the nodes of every nodegroup, since they share the subnets). Three
//! figures per subnet:
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

use crate::capacity::io_error;
use crate::model::ids::NodeId;
use crate::model::ids::SubnetId;
use crate::model::ipamd::datastore::Datastore;
use crate::model::record::PodState;
use crate::model::record::{Ec2Error, Fact, MemoryRecorder, OwnedEvent};
use crate::model::subnet::{Subnet, PREFIX_SIZE};
use crate::model::World;
use crate::scenario::{Placement, Scenario, WorkloadSpec};
use crate::sim::simulate;
use crate::time::{SimDuration, SimTime};
use std::fmt;
use std::io::{self, Write};

/// Simulated time of each derived run (s): long enough for the pool to settle.
pub const SETTLE_DURATION_S: u64 = 20 * 60;
/// A run counts as settled when its last sample equals the sample this long before (s).
pub const SETTLE_WINDOW_S: u64 = 5 * 60;
/// When the workload of the full-node run is created (s).
pub const WORKLOAD_AT_S: u64 = 60;
/// Sampling period of the derived runs (s).
const SAMPLE_INTERVAL_S: u64 = 10;

/// How a node of the group gets pod addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
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
    /// The words used in the table and the CSV `mode` column.
    pub fn word(self) -> &'static str {
        match self {
            Mode::SecondaryIps => "secondary IPs",
            Mode::PrefixDelegation => "prefix delegation",
            Mode::CustomNetworking => "custom networking",
            Mode::CustomNetworkingPrefixDelegation => "custom networking + prefix delegation",
        }
    }

    /// Whether nodes hold /28 prefixes.
    pub fn prefixes(self) -> bool {
        matches!(
            self,
            Mode::PrefixDelegation | Mode::CustomNetworkingPrefixDelegation
        )
    }
}

/// One node's pool at the end of a derived run. Counts per node.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct NodeState {
    /// ENIs in ipamd's datastore, the primary ENI included.
    pub enis: u32,
    /// Addresses held for pods (IPs): secondary IPs, or 16 per prefix.
    pub ips: u32,
    /// /28 prefixes held (0 in secondary-IP mode).
    pub prefixes: u32,
    /// Pods that have an IP (pods; host-network pods excluded): the addresses assigned.
    pub pods_with_ip: u32,
    /// Pods bound to the node and still waiting for an IP (pods).
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

/// Which resource of a subnet runs out first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Limit {
    /// The nodes of the group take nothing from this subnet.
    None,
    /// Free addresses (for single addresses: outside prefix reservations).
    Addresses,
    /// Aligned, entirely free /28 blocks while addresses remain.
    PrefixBlocks,
}

impl Limit {
    /// The word used in the table and the CSV `limit` column (empty for [`Limit::None`]).
    pub fn word(self) -> &'static str {
        match self {
            Limit::None => "",
            Limit::Addresses => "addresses",
            Limit::PrefixBlocks => "/28 blocks",
        }
    }
}

/// What a nodegroup's nodes take from one subnet and how many more of them fit.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
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
    /// Addresses the nodes the scenario starts with (every nodegroup) take at max pods.
    pub existing_ips: u32,
    /// /28 blocks the nodes the scenario starts with (every nodegroup) take at max pods.
    pub existing_prefix_blocks: u32,
    /// More nodes by the address count alone; `None` when the nodes take no address here.
    pub more_nodes_by_ips: Option<u32>,
    /// More nodes by the /28 block count alone (prefix mode only; `None` otherwise or when
    /// the nodes take no block here).
    pub more_nodes_by_blocks: Option<u32>,
    /// More nodes that fit, by replaying the node's allocations on the subnet's address map
    /// (the answer); `None` when the nodes take nothing from this subnet (no limit).
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

/// One nodegroup's per-node footprint and subnet headroom.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
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
    /// Nodes the scenario starts with (`count`).
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

    /// The binding subnet: the one with the fewest more nodes (first in scenario order on a
    /// tie); `None` if no subnet limits the group.
    pub fn binding(&self) -> Option<&SubnetHeadroom> {
        self.subnets
            .iter()
            .filter(|s| s.more_nodes.is_some())
            .min_by_key(|s| s.more_nodes)
    }
}

/// What one full node of a nodegroup (in one of its primary subnets) takes, per subnet index.
#[derive(Clone, Debug, Default)]
struct Footprint {
    /// Single addresses (ENI primary IPs, the instance's, secondary IPs).
    singles: Vec<u32>,
    /// /28 prefixes.
    prefixes: Vec<u32>,
    /// Free addresses before minus after.
    ips: Vec<u32>,
    /// Free /28 blocks before minus after.
    blocks: Vec<u32>,
    /// Subnets where a pod ENI (or the primary ENI's pod addresses) lives.
    pod_enis: Vec<bool>,
    /// The primary subnet of the node.
    primary: usize,
    /// Subnets where the node alone, at max pods, could not get what ipamd asked for (pods
    /// left without an IP and an `insufficient_addresses` event naming the subnet), with the
    /// error's limit.
    short: Vec<Option<Limit>>,
}

/// Computes every nodegroup's capacity, in scenario order. `sc` is a validated scenario
/// (`crate::scenario::load`); its workloads and duration are ignored.
pub fn scenario_capacity(sc: &Scenario) -> Vec<NodeGroupCapacity> {
    let start = fresh_subnets(sc);
    let mut groups = Vec::new();
    let mut footprints: Vec<Vec<Footprint>> = Vec::new();
    for g in 0..sc.nodegroups.len() {
        let spec = &sc.nodegroups[g];
        let ds_pods = sc.daemonsets.len() as u32;
        let workload_pods = spec.max_pods.saturating_sub(ds_pods);
        let (zero, _) = node_run(sc, g, 0, 0, &start);
        let mut variants = Vec::new();
        let mut full = NodeState::default();
        for v in 0..spec.subnets.len().max(1) {
            let (state, fp) = node_run(sc, g, v, workload_pods, &start);
            if v == 0 {
                full = state;
            } else {
                full.settled &= state.settled;
            }
            variants.push(fp);
        }
        let pd = sc.cni.enable_prefix_delegation && spec.instance_type.supports_prefix_delegation();
        let mode = match (sc.cni.custom_network_cfg, pd) {
            (false, false) => Mode::SecondaryIps,
            (false, true) => Mode::PrefixDelegation,
            (true, false) => Mode::CustomNetworking,
            (true, true) => Mode::CustomNetworkingPrefixDelegation,
        };
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
        group.subnets = headroom(&start, &footprints, &counts, g, group.mode.prefixes());
    }
    groups
}

/// The subnets as `World::new` builds them at t = 0 (same seed, same `used` scatter), taken
/// from a simulation with no nodes and no time.
fn fresh_subnets(sc: &Scenario) -> Vec<Subnet> {
    let mut s = sc.clone();
    for g in &mut s.nodegroups {
        g.count = 0;
    }
    s.workloads.clear();
    s.duration = SimDuration::ZERO;
    let (world, _) = simulate(s, MemoryRecorder::default(), &mut |_| true);
    world.subnets
}

/// Runs nodegroup `g` alone as one node in its `variant`-th primary subnet with `pods`
/// workload pods; returns the node's end state and what it took from each subnet.
fn node_run(
    sc: &Scenario,
    g: usize,
    variant: usize,
    pods: u32,
    start: &[Subnet],
) -> (NodeState, Footprint) {
    let mut s = sc.clone();
    let mut group = s.nodegroups[g].clone();
    group.count = 1;
    // one node, alone: no autoscaler and no explicit launches
    group.autoscaling = None;
    group.launches = Vec::new();
    if !group.subnets.is_empty() {
        group.subnets = vec![group.subnets[variant % group.subnets.len()]];
    }
    let primary = group.subnets.first().copied().unwrap_or(0);
    s.nodegroups = vec![group];
    s.ipamd.placement = Placement::Canonical;
    // Steady state without injected faults (they only delay it, and a restart named after a
    // node of the scenario would hit the derived run's node of that name).
    s.faults = Default::default();
    s.ec2.fault_rate = [0.0; 10];
    s.workloads = if pods > 0 {
        vec![WorkloadSpec {
            name: "capacity".into(),
            host_network: false,
            steps: vec![(SimTime(WORKLOAD_AT_S * 1_000_000), pods)],
            source: crate::scenario::WorkloadSource::Replicas,
        }]
    } else {
        Vec::new()
    };
    s.duration = SimDuration::from_secs(SETTLE_DURATION_S);
    s.sample_interval = SimDuration::from_secs(SAMPLE_INTERVAL_S);
    let end = SimTime(s.duration.micros());
    let (world, _) = simulate(s, MemoryRecorder::default(), &mut |_| true);
    let state = end_state(&world, end);
    let n = world.subnets.len();
    let mut fp = Footprint {
        singles: vec![0; n],
        prefixes: vec![0; n],
        ips: vec![0; n],
        blocks: vec![0; n],
        pod_enis: vec![false; n],
        primary,
        short: vec![None; n],
    };
    if state.pods_without_ip > 0 {
        for i in 0..world.subnets.len() {
            fp.short[i] = short_of(&world.recorder.events, SubnetId::from_index(i));
        }
    }
    for (i, (before, after)) in start.iter().zip(&world.subnets).enumerate() {
        fp.ips[i] = before.free().saturating_sub(after.free());
        fp.blocks[i] = before
            .free_prefix_blocks()
            .saturating_sub(after.free_prefix_blocks());
    }
    if !world.nodes.is_empty() {
        let first = NodeId(0);
        count_prefixes(&world.node_ipamd(first).ds, &mut fp);
        if world.nodes.get(first).primary_ip.is_none() {
            // The instance found no address: it needs one, and there is none.
            if let Some(x) = fp.singles.get_mut(primary) {
                *x = 1;
            }
        }
    }
    for i in 0..n {
        let pfx_ips = fp.prefixes[i].saturating_mul(PREFIX_SIZE);
        fp.singles[i] = fp.singles[i].max(fp.ips[i].saturating_sub(pfx_ips));
    }
    (state, fp)
}

/// The limit named by the last `insufficient_addresses` event about `subnet`:
/// `InsufficientCidrBlocks` means no free /28 block, anything else too few addresses.
fn short_of(events: &[OwnedEvent], subnet: SubnetId) -> Option<Limit> {
    events.iter().rev().find_map(|e| match e.fact {
        Fact::InsufficientAddresses {
            subnet: s, error, ..
        } if s == subnet => Some(if error == Ec2Error::InsufficientCidrBlocks {
            Limit::PrefixBlocks
        } else {
            Limit::Addresses
        }),
        _ => None,
    })
}

fn count_prefixes(ds: &Datastore, fp: &mut Footprint) {
    for eni in &ds.enis {
        let i = eni.subnet.index();
        if let Some(p) = fp.prefixes.get_mut(i) {
            *p += eni.prefixes.len() as u32;
        }
        if !eni.is_primary || eni.total() > 0 {
            if let Some(b) = fp.pod_enis.get_mut(i) {
                *b = true;
            }
        }
    }
}

fn end_state(world: &World<MemoryRecorder>, end: SimTime) -> NodeState {
    let rows = &world.recorder.timeline;
    let settled = match rows.last() {
        Some(last) => {
            let since = end.micros().saturating_sub(SETTLE_WINDOW_S * 1_000_000);
            rows.iter()
                .find(|r| r.time.micros() >= since)
                .is_some_and(|r| {
                    (r.enis, r.ips_total, r.pods_running, r.subnet_free_ips)
                        == (
                            last.enis,
                            last.ips_total,
                            last.pods_running,
                            last.subnet_free_ips,
                        )
                })
        }
        None => false,
    };
    if world.nodes.is_empty() {
        return NodeState {
            settled,
            ..NodeState::default()
        };
    }
    let ds = &world.node_ipamd(NodeId(0)).ds;
    let stats = ds.stats(end);
    let pods_without_ip = world
        .pods()
        .iter()
        .filter(|p| p.node == Some(NodeId(0)) && p.state == PodState::WaitingIp)
        .count() as u32;
    NodeState {
        enis: ds.enis.len() as u32,
        ips: stats.total,
        prefixes: stats.prefixes,
        pods_with_ip: stats.assigned,
        pods_without_ip,
        settled,
        launched: world.nodes.get(NodeId(0)).primary_ip.is_some(),
    }
}

/// Headroom rows of nodegroup `g` for every subnet its nodes touch.
fn headroom(
    start: &[Subnet],
    footprints: &[Vec<Footprint>],
    counts: &[u32],
    g: usize,
    prefix_mode: bool,
) -> Vec<SubnetHeadroom> {
    let own = &footprints[g];
    let mut rows = Vec::new();
    for (s, subnet) in start.iter().enumerate() {
        let instance = own.iter().any(|f| f.primary == s);
        let pod_enis = own.iter().any(|f| f.pod_enis[s]);
        let touches = own.iter().any(|f| f.ips[s] > 0 || f.prefixes[s] > 0);
        if !(instance || pod_enis || touches) {
            continue;
        }
        let existing = |pick: &dyn Fn(&Footprint) -> u32| -> u64 {
            footprints
                .iter()
                .zip(counts)
                .map(|(fps, &c)| {
                    (0..c as usize)
                        .map(|k| u64::from(pick(&fps[k % fps.len()])))
                        .sum::<u64>()
                })
                .sum()
        };
        let existing_ips = existing(&|f| f.ips[s]);
        let existing_blocks = existing(&|f| f.blocks[s]);
        let per_ips: Vec<u32> = own.iter().map(|f| f.ips[s]).collect();
        let per_blocks: Vec<u32> = own.iter().map(|f| f.blocks[s]).collect();
        let (mut more_nodes, mut limit, existing_fit) = replay(subnet, footprints, counts, g, s);
        let short = own.iter().find_map(|f| f.short[s]);
        if let Some(l) = short {
            more_nodes = Some(0);
            limit = l;
        }
        rows.push(SubnetHeadroom {
            subnet: subnet.name.clone(),
            instance,
            pod_enis,
            free_ips: subnet.free(),
            free_prefix_blocks: subnet.free_prefix_blocks(),
            ips_per_node: per_ips.iter().copied().max().unwrap_or(0),
            prefix_blocks_per_node: per_blocks.iter().copied().max().unwrap_or(0),
            existing_ips: clamp(existing_ips),
            existing_prefix_blocks: clamp(existing_blocks),
            more_nodes_by_ips: by_count(subnet.free(), existing_ips, &per_ips, counts[g]),
            more_nodes_by_blocks: if prefix_mode {
                by_count(
                    subnet.free_prefix_blocks(),
                    existing_blocks,
                    &per_blocks,
                    counts[g],
                )
            } else {
                None
            },
            more_nodes,
            limit,
            existing_fit: existing_fit && (short.is_none() || counts.iter().all(|&c| c == 0)),
            short_for_one_node: short.is_some(),
        });
    }
    rows
}

fn clamp(v: u64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

/// More nodes by one count: nodes `count + 1`, … take `per_variant` round-robin from what
/// the existing ones leave of `free`. `None` when no variant takes anything.
fn by_count(free: u32, existing: u64, per_variant: &[u32], count: u32) -> Option<u32> {
    let round: u64 = per_variant.iter().map(|&u| u64::from(u)).sum();
    if round == 0 {
        return None;
    }
    let Some(mut left) = u64::from(free).checked_sub(existing) else {
        return Some(0);
    };
    let len = per_variant.len();
    let mut k = count as usize;
    let mut n = 0u32;
    // Whole rounds at once, then node by node.
    let rounds = left / round;
    left -= rounds * round;
    n = n.saturating_add(clamp(rounds * len as u64));
    loop {
        let u = u64::from(per_variant[k % len]);
        if u > left {
            return Some(n);
        }
        left -= u;
        n = n.saturating_add(1);
        k += 1;
    }
}

/// Replays the existing nodes and then nodes of group `g` on a copy of subnet `s`'s address
/// map until one does not fit: (more nodes, the limit that stopped them, whether the
/// existing nodes fit).
fn replay(
    start: &Subnet,
    footprints: &[Vec<Footprint>],
    counts: &[u32],
    g: usize,
    s: usize,
) -> (Option<u32>, Limit, bool) {
    let own = &footprints[g];
    let mut sub = start.clone();
    for (fps, &c) in footprints.iter().zip(counts) {
        for k in 0..c as usize {
            if let Err(limit) = place(&mut sub, &fps[k % fps.len()], s) {
                let nothing = own.iter().all(|f| f.singles[s] == 0 && f.prefixes[s] == 0);
                return if nothing {
                    (None, Limit::None, false)
                } else {
                    (Some(0), limit, false)
                };
            }
        }
    }
    if own.iter().all(|f| f.singles[s] == 0 && f.prefixes[s] == 0) {
        return (None, Limit::None, true);
    }
    let mut n = 0u32;
    let mut k = counts[g] as usize;
    loop {
        if let Err(limit) = place(&mut sub, &own[k % own.len()], s) {
            return (Some(n), limit, true);
        }
        n += 1;
        k += 1;
    }
}

/// Takes one node's single addresses, then its prefixes, from subnet `s`.
fn place(sub: &mut Subnet, fp: &Footprint, s: usize) -> Result<(), Limit> {
    for _ in 0..fp.singles[s] {
        sub.allocate_ip().ok_or(Limit::Addresses)?;
    }
    for _ in 0..fp.prefixes[s] {
        if sub.allocate_prefix().is_none() {
            return Err(if sub.free() >= PREFIX_SIZE {
                Limit::PrefixBlocks
            } else {
                Limit::Addresses
            });
        }
    }
    Ok(())
}

/// Columns of [`write_csv`], in order. One row per (nodegroup, subnet); the node columns
/// repeat on each of a nodegroup's rows. Units: `*_pods` and `pods_*` are pods, `enis_*`
/// ENIs, `ips_*`/`*_ips` addresses, `prefixes_*` /28 prefixes, `*_blocks` aligned /28 blocks,
/// `more_nodes*` nodes.
///
/// - `nodegroup`, `instance_type`, `mode` (`secondary IPs`, `prefix delegation`, `custom
///   networking`, `custom networking + prefix delegation`), `max_pods`, `daemonset_pods`,
///   `workload_pods` (max pods − DaemonSet pods), `count` (nodes at start);
/// - `enis_at_0_pods`, `ips_at_0_pods`, `prefixes_at_0_pods`: one node with DaemonSets only
///   (the idle tax);
/// - `enis_at_max_pods`, `ips_at_max_pods`, `prefixes_at_max_pods`,
///   `pods_with_ip_at_max_pods`, `pods_without_ip_at_max_pods`, `idle_ips_at_max_pods`
///   (held − assigned): one node at max pods;
/// - `settled`: `true`, or `false` if a derived run had not settled after 20 min (its end
///   state is reported anyway); `launched`: `false` if the instance found no address;
/// - `subnet`, `uses` (`instance`, `pod ENIs` or `instance+pod ENIs`), `free_ips` and
///   `free_prefix_blocks` (at t = 0, before any node), `ips_per_node`,
///   `prefix_blocks_per_node`, `existing_ips`, `existing_prefix_blocks` (the starting nodes
///   of every nodegroup at max pods), `existing_fit` (`false`: those starting nodes do not
///   all fit), `short_for_one_node` (`true`: one node alone already ran out here, see
///   [`SubnetHeadroom::short_for_one_node`]);
/// - `more_nodes_by_ips`, `more_nodes_by_blocks` (prefix mode only), `more_nodes` (the
///   replay: the answer): empty when the nodes take nothing of that resource there;
///   `limit` (`addresses`, `/28 blocks`, empty); `binding` (`true` on the nodegroup's
///   binding subnet) and `nodes_fit` (the nodegroup's answer), see [`write_csv`].
pub const CSV_HEADER: [&str; 34] = [
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
];

fn opt(v: Option<u32>) -> String {
    v.map(|n| n.to_string()).unwrap_or_default()
}

fn uses(h: &SubnetHeadroom) -> &'static str {
    match (h.instance, h.pod_enis) {
        (true, true) => "instance+pod ENIs",
        (true, false) => "instance",
        (false, _) => "pod ENIs",
    }
}

/// Writes one CSV row per (nodegroup, subnet) with the [`CSV_HEADER`] columns (a nodegroup
/// that touches no subnet still gets one row, with the subnet cells empty). `binding` is
/// `true` on the row of the subnet that limits the nodegroup first; `nodes_fit` repeats the
/// nodegroup's answer on every row: the fewest `more_nodes` over its subnets (empty: no
/// limit).
pub fn write_csv(groups: &[NodeGroupCapacity], w: impl Write) -> io::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record(CSV_HEADER).map_err(io_error)?;
    for g in groups {
        let z = &g.at_zero_pods;
        let f = &g.at_max_pods;
        let binding = g.binding();
        let node = [
            g.nodegroup.clone(),
            g.instance_type.clone(),
            g.mode.word().to_string(),
            g.max_pods.to_string(),
            g.daemonset_pods.to_string(),
            g.workload_pods.to_string(),
            g.count.to_string(),
            z.enis.to_string(),
            z.ips.to_string(),
            z.prefixes.to_string(),
            f.enis.to_string(),
            f.ips.to_string(),
            f.prefixes.to_string(),
            f.pods_with_ip.to_string(),
            f.pods_without_ip.to_string(),
            f.idle_ips().to_string(),
            g.settled().to_string(),
            (z.launched && f.launched).to_string(),
        ];
        let fit = opt(binding.and_then(|b| b.more_nodes));
        if g.subnets.is_empty() {
            let mut rec: Vec<String> = node.to_vec();
            rec.resize(CSV_HEADER.len() - 1, String::new());
            rec.push(fit.clone());
            out.write_record(&rec).map_err(io_error)?;
        }
        for h in &g.subnets {
            let mut rec: Vec<String> = node.to_vec();
            rec.extend([
                h.subnet.clone(),
                uses(h).to_string(),
                h.free_ips.to_string(),
                h.free_prefix_blocks.to_string(),
                h.ips_per_node.to_string(),
                h.prefix_blocks_per_node.to_string(),
                h.existing_ips.to_string(),
                h.existing_prefix_blocks.to_string(),
                h.existing_fit.to_string(),
                h.short_for_one_node.to_string(),
                opt(h.more_nodes_by_ips),
                opt(h.more_nodes_by_blocks),
                opt(h.more_nodes),
                h.limit.word().to_string(),
                binding.is_some_and(|b| std::ptr::eq(b, h)).to_string(),
                fit.clone(),
            ]);
            out.write_record(&rec).map_err(io_error)?;
        }
    }
    out.flush()
}

/// Writes the nodegroups as a JSON array (one object per nodegroup, its subnets nested).
pub fn write_json(groups: &[NodeGroupCapacity], mut w: impl Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut w, groups)?;
    writeln!(w)?;
    w.flush()
}

/// `n word` with the word's plural (`+s`, or `+es` after an `x`) when n ≠ 1.
struct Plural(u32, &'static str);

impl fmt::Display for Plural {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match (self.0, self.1.ends_with('x')) {
            (1, _) => "",
            (_, true) => "es",
            (_, false) => "s",
        };
        write!(f, "{} {}{s}", self.0, self.1)
    }
}

fn pool_line(n: &NodeState, prefixes: bool) -> String {
    let mut s = format!("{}, {} held", Plural(n.enis, "ENI"), Plural(n.ips, "IP"));
    if prefixes {
        s.push_str(&format!(" in {}", Plural(n.prefixes, "prefix")));
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
    "EXISTING_IPS",
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
            "nodegroup {}: {}, {}, max pods {} ({} DaemonSet + {} workload), {} at start",
            g.nodegroup,
            g.instance_type,
            g.mode.word(),
            g.max_pods,
            g.daemonset_pods,
            g.workload_pods,
            Plural(g.count, "node"),
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
            "  at max pods:        {}, {} idle; {} of {} pods have an IP{}",
            pool_line(f, pfx),
            f.idle_ips(),
            f.pods_with_ip,
            f.pods_with_ip + f.pods_without_ip,
            if f.pods_without_ip > 0 {
                format!(" ({} wait: IP-limited)", f.pods_without_ip)
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
        if !(z.launched && f.launched) {
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
                        opt(h.more_nodes_by_ips),
                        h.more_nodes_by_blocks
                            .map_or("-".to_string(), |b| b.to_string())
                    ),
                };
                [
                    h.subnet.clone(),
                    uses(h).to_string(),
                    h.free_ips.to_string(),
                    dash(h.free_prefix_blocks.to_string()),
                    h.ips_per_node.to_string(),
                    dash(h.prefix_blocks_per_node.to_string()),
                    h.existing_ips.to_string(),
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
                    h.limit.word()
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
                Plural(b.more_nodes.unwrap_or(0), "more node"),
                b.subnet,
                b.limit.word()
            )?,
            None => writeln!(w, "  => no subnet limits this nodegroup")?,
        }
    }
    writeln!(w)?;
    writeln!(
        w,
        "Per node, from the simulator: one node run alone for {} min with the DaemonSets only, \
and at max pods. Headroom assumes the nodes at start (every nodegroup) are at max pods too; \
MORE_NODES replays one node's addresses and /28 prefixes on the subnet (lowest free first).",
        SETTLE_DURATION_S / 60
    )?;
    w.flush()
}
