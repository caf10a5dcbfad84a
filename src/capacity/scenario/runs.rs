//! The derived runs: the scenario's subnets at t = 0, and one node of a nodegroup simulated
//! alone (idle or full) with what it takes from each subnet.

use super::{Limit, NodeState, SETTLE_DURATION_S, SETTLE_WINDOW_S, WORKLOAD_AT_S};
use crate::model::ids::NodeId;
use crate::model::ids::SubnetId;
use crate::model::ipamd::datastore::Datastore;
use crate::model::record::PodState;
use crate::model::record::{Ec2Error, Fact, MemoryRecorder, OwnedEvent};
use crate::model::subnet::{Subnet, PREFIX_SIZE};
use crate::model::World;
use crate::scenario::{NodeGroupSpec, Placement, Scenario, WorkloadSource, WorkloadSpec};
use crate::sim::simulate;
use crate::time::{SimDuration, SimTime};

/// Sampling period of the derived runs (s).
const SAMPLE_INTERVAL_S: u64 = 10;

/// What one full node takes from one subnet.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct SubnetTake {
    /// Single addresses (ENI primary IPs, the instance's, secondary IPs; addresses).
    pub singles: u32,
    /// /28 prefixes (prefixes).
    pub prefixes: u32,
    /// Free addresses before minus after (addresses).
    pub ips: u32,
    /// Free /28 blocks before minus after (blocks).
    pub blocks: u32,
    /// Whether a pod ENI (or the primary ENI's pod addresses) lives here.
    pub pod_enis: bool,
    /// Whether the node alone, at max pods, could not get what ipamd asked for here (pods
    /// left without an IP and an `insufficient_addresses` event naming the subnet), with the
    /// error's limit.
    pub short: Option<Limit>,
}

impl SubnetTake {
    /// Nothing taken.
    const NONE: SubnetTake = SubnetTake {
        singles: 0,
        prefixes: 0,
        ips: 0,
        blocks: 0,
        pod_enis: false,
        short: None,
    };

    /// Whether the node allocates anything here.
    pub fn allocates(&self) -> bool {
        self.singles > 0 || self.prefixes > 0
    }
}

/// What one full node of a nodegroup (in one of its primary subnets) takes from each subnet.
#[derive(Clone, Debug, Default)]
pub(super) struct Footprint {
    /// Per subnet, in scenario order.
    takes: Vec<SubnetTake>,
    /// The primary subnet of the node.
    pub primary: SubnetId,
}

impl Footprint {
    /// What the node takes from subnet `s` (nothing for a subnet it never saw).
    pub fn at(&self, s: SubnetId) -> &SubnetTake {
        self.takes.get(s.index()).unwrap_or(&SubnetTake::NONE)
    }
}

/// The subnets as `World::new` builds them at t = 0 (same seed, same `used` scatter), taken
/// from a simulation with no nodes and no time; `None` if `keep_going` said stop.
pub(super) fn fresh_subnets(
    sc: &Scenario,
    keep_going: &mut dyn FnMut() -> bool,
) -> Option<Vec<Subnet>> {
    if !keep_going() {
        return None;
    }
    let mut s = sc.clone();
    for g in &mut s.nodegroups {
        g.count = 0;
    }
    s.workloads.clear();
    s.duration = SimDuration::ZERO;
    let (world, stats) = simulate(s, MemoryRecorder::default(), &mut |_| keep_going());
    (!stats.cancelled).then(|| world.into_subnets())
}

/// Workload pods the full-node run simulates (pods): all `pods`, or one more than a node of
/// the group can ever give an address if that is fewer. The pods beyond could only wait for
/// an IP like that one, so simulating them would change nothing but the cost.
pub(super) fn simulated_pods(sc: &Scenario, spec: &NodeGroupSpec, pods: u32) -> u32 {
    // Custom networking leaves the primary ENI without pods; ignoring that keeps the bound
    // loose (a few extra waiting pods at most), never too tight.
    let ceiling = spec
        .instance_type
        .pod_ips(sc.cni.enable_prefix_delegation, false);
    pods.min(ceiling.saturating_add(1))
}

/// Runs nodegroup `g` alone as one node in its `variant`-th primary subnet with `pods`
/// workload pods (at most [`simulated_pods`] of them simulated, the rest counted as
/// waiting); returns the node's end state and what it took from each subnet, or `None` if
/// `keep_going` said stop.
pub(super) fn node_run(
    sc: &Scenario,
    g: usize,
    variant: usize,
    pods: u32,
    start: &[Subnet],
    keep_going: &mut dyn FnMut() -> bool,
) -> Option<(NodeState, Footprint)> {
    // Asked before each run too: the engine asks only when its wall-clock pulse beats
    // (every 10 ms), which a short run may never see.
    if !keep_going() {
        return None;
    }
    let mut s = sc.clone();
    let mut group = s.nodegroups.get(g)?.clone();
    let simulated = simulated_pods(sc, &group, pods);
    group.count = 1;
    // one node, alone: no autoscaler and no explicit launches
    group.autoscaling = None;
    group.launches = Vec::new();
    if !group.subnets.is_empty() {
        group.subnets = vec![group.subnets[variant % group.subnets.len()]];
    }
    let primary = SubnetId::from_index(group.subnets.first().copied().unwrap_or(0));
    s.nodegroups = vec![group];
    s.ipamd.placement = Placement::Canonical;
    // Steady state without injected faults (they only delay it, and a restart named after a
    // node of the scenario would hit the derived run's node of that name).
    s.faults = Default::default();
    s.ec2.fault_rate = [0.0; crate::scenario::EC2_ACTIONS];
    // With security groups for pods and a workload a SecurityGroupPolicy selects, a full
    // node holds as many selected pods as it has branch ENIs (each takes one more subnet
    // address), the rest from ipamd's pool.
    let selected = sc.cni.enable_pod_eni
        && !sc.ipam.calico()
        && sc
            .workloads
            .iter()
            .any(|w| w.security_group_policy && !w.host_network);
    let branch_pods = if selected {
        s.nodegroups[0]
            .instance_type
            .branch_enis()
            .unwrap_or(0)
            .min(simulated)
    } else {
        0
    };
    let at = SimTime(WORKLOAD_AT_S * 1_000_000);
    let workload = |name: &str, n: u32, sgp: bool| WorkloadSpec {
        security_group_policy: sgp,
        annotations: Vec::new(),
        multi_nic: false,
        name: name.into(),
        host_network: false,
        steps: vec![(at, n)],
        source: WorkloadSource::Replicas,
    };
    s.workloads = Vec::new();
    if branch_pods > 0 {
        s.workloads
            .push(workload("capacity-sgp", branch_pods, true));
    }
    if simulated > branch_pods {
        s.workloads
            .push(workload("capacity", simulated - branch_pods, false));
    }
    s.duration = SimDuration::from_secs(SETTLE_DURATION_S);
    s.sample_interval = SimDuration::from_secs(SAMPLE_INTERVAL_S);
    let end = SimTime(s.duration.micros());
    let (world, stats) = simulate(s, MemoryRecorder::default(), &mut |_| keep_going());
    if stats.cancelled {
        return None;
    }
    let mut state = end_state(&world, end);
    state.pods_without_ip = state
        .pods_without_ip
        .saturating_add(pods.saturating_sub(simulated));
    let n = world.subnets().len();
    let mut fp = Footprint {
        takes: vec![SubnetTake::default(); n],
        primary,
    };
    if state.pods_without_ip > 0 {
        for (i, take) in fp.takes.iter_mut().enumerate() {
            take.short = short_of(&world.recorder().events, SubnetId::from_index(i));
        }
    }
    for ((before, after), take) in start.iter().zip(world.subnets()).zip(&mut fp.takes) {
        take.ips = before.free().saturating_sub(after.free());
        take.blocks = before
            .free_prefix_blocks()
            .saturating_sub(after.free_prefix_blocks());
    }
    if !world.nodes().is_empty() {
        let node = world.node(0);
        for (_, ds) in node.ipamd.datastores() {
            count_prefixes(ds, &mut fp);
        }
        if node.primary_ip.is_none() {
            // The instance found no address: it needs one, and there is none.
            if let Some(take) = fp.takes.get_mut(primary.index()) {
                take.singles = 1;
            }
        }
    }
    for take in &mut fp.takes {
        let pfx_ips = take.prefixes.saturating_mul(PREFIX_SIZE);
        take.singles = take.singles.max(take.ips.saturating_sub(pfx_ips));
    }
    Some((state, fp))
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

/// Adds the node's prefixes per subnet and marks the subnets its pod ENIs use.
fn count_prefixes(ds: &Datastore, fp: &mut Footprint) {
    for eni in ds.enis() {
        if let Some(take) = fp.takes.get_mut(eni.subnet.index()) {
            let held = u32::try_from(eni.prefixes.len()).unwrap_or(u32::MAX);
            take.prefixes = take.prefixes.saturating_add(held);
            if !eni.is_primary || eni.total() > 0 {
                take.pod_enis = true;
            }
        }
    }
}

/// The node's pool at `end`, and whether the run had settled by then.
fn end_state(world: &World<MemoryRecorder>, end: SimTime) -> NodeState {
    let rows = &world.recorder().timeline;
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
    if world.nodes().is_empty() {
        return NodeState {
            settled,
            ..NodeState::default()
        };
    }
    let node = world.node(0);
    let stats = node.ipamd.stats(end);
    let waiting = world
        .pods()
        .iter()
        .filter(|p| p.node == Some(NodeId(0)) && p.state == PodState::WaitingIp)
        .count();
    NodeState {
        enis: node.ipamd.eni_count(),
        ips: stats.total,
        prefixes: stats.prefixes,
        // ipamd's pods, and those with their own branch ENI
        pods_with_ip: stats
            .assigned
            .saturating_add(world.controller().node(NodeId(0)).in_use),
        pods_without_ip: u32::try_from(waiting).unwrap_or(u32::MAX),
        settled,
        launched: node.primary_ip.is_some(),
    }
}
