//! The simulated cluster: nodes with their ipamd, pods, subnets, EC2. One owned struct,
//! mutated through `&mut self`; every entity is an index into a `Vec`.

use super::datastore::{Datastore, PodIndex};
use super::ec2::Ec2;
use super::ids::{GroupId, NodeId};
use super::ipamd::Ipamd;
use super::pool::Targets;
use super::record::{EventRecord, Fact, NodeRow, PodRecord, Recorder, SubnetRow, TimelineRow};
use super::subnet::Subnet;
use crate::engine::{EventQueue, Model};
use crate::scenario::{Placement, Scenario, SchedulerPolicy};
use crate::time::{SimDuration, SimTime};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::{BTreeSet, VecDeque};

/// Index of a node in [`World::nodes`].
pub type NodeIndex = u32;

/// The closed set of events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// The node's instance is running: ipamd starts `nodeInit`.
    NodeStart(NodeIndex),
    /// The node's ipamd loop resumes (an EC2 call returned, a sleep ended, an IMDS poll is due).
    IpamdWake {
        /// The node.
        node: NodeIndex,
        /// Must equal the node's ipamd generation, or the wake is stale.
        gen: u32,
    },
    /// A workload's replica count changes.
    WorkloadStep {
        /// Index into the scenario's workloads.
        workload: u32,
        /// Index into its steps.
        step: u32,
    },
    /// The leaked-ENI cleanup deletes leaked ENI number `.0` (index into `World::leaked`).
    LeakedEniCleanup(u32),
    /// aws-node restarts on a node (injected fault).
    AwsNodeRestart(NodeIndex),
    /// The kubelet retries sandbox creation (CNI ADD) for a pod waiting for an IP.
    KubeletRetry {
        /// The pod.
        pod: PodIndex,
        /// Must equal the pod's retry generation, or the retry is stale.
        gen: u32,
    },
    /// The autoscaler's periodic pass (every 10 s, CA `--scan-interval`; see `autoscaler.rs`).
    AutoscalerTick,
    /// An explicit `launch` entry of a nodegroup is due.
    NodeLaunch {
        /// Index into the scenario's nodegroups.
        group: u32,
        /// Index into its launches.
        entry: u32,
    },
    /// The next arrival (one pod, or one batch) of a churn workload; at most one pending
    /// per workload.
    WorkloadArrival {
        /// Index into the scenario's workloads.
        workload: u32,
    },
    /// A churn pod's lifetime ends: it is deleted (ignored if it already was).
    PodExpire {
        /// The pod.
        pod: PodIndex,
    },
    /// Row `row` of a trace workload is due; at most one pending per trace.
    TraceRow {
        /// Index into the scenario's workloads.
        workload: u32,
        /// Index into the trace's rows.
        row: u32,
    },
}

pub use super::record::PodState;

/// Who owns a pod.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner {
    /// Workload index and the pod's ordinal within it (from 1).
    Workload(u32, u32),
    /// DaemonSet index and its node.
    DaemonSet(u32, NodeIndex),
    /// Trace workload index and the pod's entry in that trace's pod table (its name,
    /// verbatim, and its workload name).
    Trace(u32, u32),
}

/// One pod.
#[derive(Clone, Debug)]
pub struct Pod {
    /// Owner (gives the pod's name).
    pub owner: Owner,
    /// Host-network pods need no IP.
    pub host_network: bool,
    /// Current state.
    pub state: PodState,
    /// Bound node.
    pub node: Option<NodeIndex>,
    /// Creation time.
    pub created: SimTime,
    /// Binding time.
    pub scheduled: Option<SimTime>,
    /// When the CNI gave it an IP.
    pub ip_assigned: Option<SimTime>,
    /// Deletion time.
    pub deleted: Option<SimTime>,
    /// `(eni id, address)` held.
    pub ip: Option<(u32, u32)>,
    /// Last address it held (kept after delete, for `pods.csv`).
    pub last_ip: Option<u32>,
    /// Kubelet retry generation (stale retries are ignored).
    pub retry_gen: u32,
}

/// One node.
pub struct Node {
    /// `<nodegroup>-<n>`.
    pub name: String,
    /// Index into the scenario's nodegroups.
    pub group: u32,
    /// Index into [`World::subnets`].
    pub subnet: u32,
    /// Network-ready: ipamd init finished.
    pub ready: bool,
    /// Pods bound (host-network ones included).
    pub bound: u32,
    /// kubelet max pods.
    pub max_pods: u32,
    /// The instance's primary address (primary ENI's primary IP).
    pub primary_ip: Option<u32>,
    /// The ipamd datastore.
    pub ds: Datastore,
    /// The pool manager's state.
    pub ipamd: Ipamd,
    /// Warm-pool targets and mode (prefix delegation only where the instance supports it).
    pub targets: Targets,
    /// IPs or prefixes one ENI can hold (IPv4 per ENI − 1).
    pub cidrs_per_eni: u32,
    /// Addresses one ENI can hold for pods (`M_ip`: `cidrs_per_eni`, × 16 with prefixes).
    pub ips_per_eni: u32,
    /// Effective ENI cap (`maxENI`).
    pub max_eni: u32,
    /// This node's random streams.
    pub(crate) rng: NodeRngs,
    /// When the instance was launched.
    pub launched_at: SimTime,
    /// Removed by scale-down: the instance is gone; the entry stays so indices stay stable,
    /// and removed nodes are skipped by sampling, the scheduler and the autoscaler.
    pub removed: bool,
    /// Since when the autoscaler has seen this Ready node hold only DaemonSet pods (set at
    /// the first autoscaler pass that finds it so, as CA's "unneeded since"); `None` otherwise.
    pub empty_since: Option<SimTime>,
}

/// One node's random streams, one per component, so that a draw on one node never shifts
/// another node's numbers (common random numbers across `compare` settings).
pub(crate) struct NodeRngs {
    /// EC2 call latencies of this node's ipamd.
    pub ec2: ChaCha8Rng,
    /// IMDS visibility delays and poll jitter.
    pub imds: ChaCha8Rng,
    /// Kubelet retry jitter for pods on this node.
    pub kubelet: ChaCha8Rng,
    /// ipamd's Go-map-order choices.
    pub placement: ChaCha8Rng,
}

impl NodeRngs {
    /// The streams of node `node` under master seed `seed`: ChaCha stream
    /// `component << 32 | node`.
    pub fn new(seed: u64, node: NodeIndex) -> NodeRngs {
        let s = |component: u64| rng_stream(seed, component << 32 | u64::from(node));
        NodeRngs {
            ec2: s(streams::EC2),
            imds: s(streams::IMDS),
            kubelet: s(streams::KUBELET),
            placement: s(streams::PLACEMENT),
        }
    }
}

/// The part of a pod name after its owner's name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameSuffix<'a> {
    /// A workload pod's ordinal.
    Ordinal(u32),
    /// A DaemonSet pod's node name.
    Node(&'a str),
    /// Nothing: the name is complete (trace pods).
    Verbatim,
}

/// A pod's name, displayed as `<owner>-<suffix>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PodName<'a>(pub &'a str, pub NameSuffix<'a>);

impl std::fmt::Display for PodName<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.1 {
            NameSuffix::Ordinal(n) => write!(f, "{}-{n}", self.0),
            NameSuffix::Node(node) => write!(f, "{}-{node}", self.0),
            NameSuffix::Verbatim => f.write_str(self.0),
        }
    }
}

/// A pod's name from the tables it depends on (lets callers borrow other fields mutably).
pub fn pod_name_of<'a>(sc: &'a Scenario, nodes: &'a [Node], pod: &Pod) -> PodName<'a> {
    match pod.owner {
        Owner::Workload(w, n) => PodName(&sc.workloads[w as usize].name, NameSuffix::Ordinal(n)),
        Owner::DaemonSet(d, node) => PodName(
            &sc.daemonsets[d as usize].name,
            NameSuffix::Node(&nodes[node as usize].name),
        ),
        Owner::Trace(w, entry) => PodName(
            super::workload::trace_names(sc, w, entry).0,
            NameSuffix::Verbatim,
        ),
    }
}

pub use super::totals::RunTotals;

/// RNG component numbers (design.md §3). Node components get one stream per node
/// (`component << 32 | node`).
pub mod streams {
    /// EC2 call latencies.
    pub const EC2: u64 = 1;
    /// IMDS visibility delays and poll jitter.
    pub const IMDS: u64 = 2;
    /// Kubelet retry jitter.
    pub const KUBELET: u64 = 3;
    /// ipamd's Go-map-order choices.
    pub const PLACEMENT: u64 = 4;
    /// Addresses already used in subnets (`used: <count>`).
    pub const SUBNETS: u64 = 5;
    /// Churn workloads' inter-arrival times and lifetimes, one stream per workload
    /// (`WORKLOADS << 32 | workload index`), drawn in arrival order.
    pub const WORKLOADS: u64 = 6;
}

/// A seeded ChaCha stream for one component.
pub fn rng_stream(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

/// The whole simulated cluster.
pub struct World<R: Recorder> {
    /// The validated scenario.
    pub sc: Scenario,
    /// Nodes.
    pub nodes: Vec<Node>,
    /// Every pod ever created.
    pub pods: Vec<Pod>,
    /// Subnets (scenario order).
    pub subnets: Vec<Subnet>,
    /// The EC2 endpoint.
    pub ec2: Ec2,
    /// Where outputs go.
    pub recorder: R,
    /// Summary counters.
    pub totals: RunTotals,
    /// ENIs whose delete failed, with their node, until the leaked-ENI cleanup (emptied then).
    pub leaked: Vec<(NodeIndex, super::ipamd::NewEni)>,
    /// Pods per state (Unschedulable, WaitingIp, Running).
    pub(crate) state_counts: [u32; 3],
    /// Alive pods per workload, in creation order.
    pub(crate) workload_pods: Vec<Vec<PodIndex>>,
    /// Next ordinal per workload.
    pub(crate) workload_next: Vec<u32>,
    /// Unschedulable pods in arrival order (stale entries skipped lazily).
    pub(crate) pending: VecDeque<PodIndex>,
    /// Ready nodes with a free slot, keyed for the scheduler policy.
    pub(crate) schedulable: BTreeSet<(u32, NodeIndex)>,
    /// Node counts kept by the autoscaler (live, added, removed, peak).
    pub scaling: super::autoscaler::ScalingTotals,
    /// Churn and trace workloads' run state.
    pub(crate) sources: super::workload::SourceState,
}

impl<R: Recorder> World<R> {
    /// Builds the cluster at t = 0 and schedules its first events.
    pub fn new(sc: Scenario, recorder: R, queue: &mut EventQueue<Event>) -> World<R> {
        let seed = sc.seed;
        let mut subnet_rng = rng_stream(seed, streams::SUBNETS);
        let subnets = sc
            .subnets
            .iter()
            .map(|s| Subnet::new(s, &mut subnet_rng))
            .collect();
        let ec2 = Ec2::new(sc.ec2.clone());
        let n_workloads = sc.workloads.len();
        let mut world = World {
            sc,
            nodes: Vec::new(),
            pods: Vec::new(),
            subnets,
            ec2,
            recorder,
            totals: RunTotals::default(),
            leaked: Vec::new(),
            state_counts: [0; 3],
            workload_pods: vec![Vec::new(); n_workloads],
            workload_next: vec![1; n_workloads],
            pending: VecDeque::new(),
            schedulable: BTreeSet::new(),
            scaling: Default::default(),
            sources: super::workload::SourceState::default(),
        };
        for g in 0..world.sc.nodegroups.len() {
            for _ in 0..world.sc.nodegroups[g].count {
                world.launch_node(SimTime::ZERO, g as u32, SimDuration::ZERO, queue);
            }
        }
        for (at, name) in &world.sc.faults.aws_node_restarts {
            if let Some(i) = world.nodes.iter().position(|n| &n.name == name) {
                queue.schedule(*at, Event::AwsNodeRestart(i as NodeIndex));
            }
        }
        for (w, spec) in world.sc.workloads.iter().enumerate() {
            for (s, &(at, _)) in spec.steps.iter().enumerate() {
                queue.schedule(
                    at,
                    Event::WorkloadStep {
                        workload: w as u32,
                        step: s as u32,
                    },
                );
            }
        }
        world.start_sources(queue);
        world.autoscaler_setup(queue);
        world
    }

    /// A Go-map-order draw on `node`: a random rotation, or 0 in canonical placement.
    pub(crate) fn map_order(&mut self, node: NodeIndex) -> u32 {
        match self.sc.ipamd.placement {
            Placement::Random => self.nodes[node as usize].rng.placement.gen(),
            Placement::Canonical => 0,
        }
    }

    /// The scheduler key of a node with `bound` pods.
    pub(crate) fn sched_key(&self, bound: u32) -> u32 {
        match self.sc.scheduler.policy {
            SchedulerPolicy::LeastAllocated => bound,
            SchedulerPolicy::MostAllocated => u32::MAX - bound,
        }
    }

    /// A pod's name (`<workload>-<n>` or `<daemonset>-<node>`), formatted without allocating.
    pub fn pod_name(&self, pod: PodIndex) -> PodName<'_> {
        pod_name_of(&self.sc, &self.nodes, &self.pods[pod as usize])
    }

    /// The name of the workload or DaemonSet that owns a pod.
    pub fn owner_name(&self, pod: PodIndex) -> &str {
        match self.pods[pod as usize].owner {
            Owner::Workload(w, _) => &self.sc.workloads[w as usize].name,
            Owner::DaemonSet(d, _) => &self.sc.daemonsets[d as usize].name,
            Owner::Trace(w, entry) => super::workload::trace_names(&self.sc, w, entry).1,
        }
    }

    /// Records a fact about a node, its names resolved for the writers.
    pub(crate) fn emit(&mut self, now: SimTime, node: NodeIndex, fact: Fact) {
        let n = &self.nodes[node as usize];
        let pod = fact
            .pod()
            .map(|p| pod_name_of(&self.sc, &self.nodes, &self.pods[p.index()]));
        let subnet = fact.subnet().map(|s| self.subnets[s.index()].name.as_str());
        self.recorder.event(&EventRecord {
            time: now,
            node: Some((NodeId(node), &n.name)),
            group: &self.sc.nodegroups[n.group as usize],
            pod,
            subnet,
            fact,
        });
    }

    /// Records a fact about a nodegroup as a whole (launches, scale-ups).
    pub(crate) fn emit_group(&mut self, now: SimTime, group: GroupId, fact: Fact) {
        self.recorder.event(&EventRecord {
            time: now,
            node: None,
            group: &self.sc.nodegroups[group.index()],
            pod: None,
            subnet: fact.subnet().map(|s| self.subnets[s.index()].name.as_str()),
            fact,
        });
    }

    /// Records every pod's life (`pods.csv`, and the summary's pod totals), in creation
    /// order; called once, at the end of the run (`end`).
    pub fn record_pods(&mut self, end: SimTime) {
        for (i, p) in self.pods.iter().enumerate() {
            let (workload, daemonset) = match p.owner {
                Owner::Workload(w, _) => (self.sc.workloads[w as usize].name.as_str(), false),
                Owner::DaemonSet(d, _) => (self.sc.daemonsets[d as usize].name.as_str(), true),
                Owner::Trace(w, entry) => {
                    (super::workload::trace_names(&self.sc, w, entry).1, false)
                }
            };
            let record = PodRecord {
                id: super::ids::PodId::from_index(i),
                name: pod_name_of(&self.sc, &self.nodes, p),
                workload,
                node: p.node.map(|n| self.nodes[n as usize].name.as_str()),
                host_network: p.host_network,
                daemonset,
                created: p.created,
                scheduled: p.scheduled,
                ip_assigned: p.ip_assigned,
                deleted: p.deleted,
                ip: p.last_ip,
                state: p.state,
            };
            self.recorder.pod(&record);
            self.totals.pods.add(&record, end);
        }
    }

    fn take_sample(&mut self, now: SimTime) {
        let mut row = TimelineRow {
            time: now,
            nodes: 0,
            pods_unschedulable: self.state_counts[0],
            pods_waiting_ip: self.state_counts[1],
            pods_running: self.state_counts[2],
            pods_total: self.state_counts.iter().sum(),
            ec2_calls: self.ec2.total_calls(),
            ec2_throttled: self.ec2.total_throttled(),
            ..TimelineRow::default()
        };
        for node in self.nodes.iter().filter(|n| !n.removed) {
            row.nodes += 1;
            let s = node.ds.stats(now);
            let enis = node.ds.enis.len() as u32;
            row.enis += enis;
            row.ips_total += s.total;
            row.ips_assigned += s.assigned;
            row.ips_cooldown += s.cooldown;
            row.prefixes += s.prefixes;
            let group = &self.sc.nodegroups[node.group as usize];
            self.recorder.node(&NodeRow {
                time: now,
                node: &node.name,
                nodegroup: &group.name,
                instance_type: &group.instance_type.name,
                ready: node.ready,
                enis,
                ips_total: s.total,
                ips_assigned: s.assigned,
                ips_cooldown: s.cooldown,
                ips_available: s.available(),
                prefixes: s.prefixes,
                pods: node.bound,
            });
        }
        row.ips_available = row.ips_total - row.ips_assigned;
        row.subnet_free_ips = self.subnets.iter().map(|s| u64::from(s.free())).sum();
        for s in &self.subnets {
            self.recorder.subnet(&SubnetRow {
                time: now,
                subnet: &s.name,
                free_ips: s.free(),
                free_prefix_blocks: s.free_prefix_blocks(),
            });
        }
        self.recorder.timeline(&row);
        let t = &mut self.totals;
        t.samples += 1;
        t.ips_available_sum += u64::from(row.ips_available);
        t.ips_available_peak = t.ips_available_peak.max(row.ips_available);
        t.peak_ips_total = t.peak_ips_total.max(row.ips_total);
        t.min_subnet_free_ips = if t.samples == 1 {
            row.subnet_free_ips
        } else {
            t.min_subnet_free_ips.min(row.subnet_free_ips)
        };
        t.last_row = row;
    }
}

impl<R: Recorder> Model for World<R> {
    type Event = Event;

    fn handle(&mut self, now: SimTime, event: Event, queue: &mut EventQueue<Event>) {
        match event {
            Event::NodeStart(node) => {
                if !self.nodes[node as usize].removed {
                    self.on_node_start(now, node, queue);
                }
            }
            Event::IpamdWake { node, gen } => {
                if self.nodes[node as usize].ipamd.gen == gen {
                    self.on_ipamd_wake(now, node, queue);
                }
            }
            Event::LeakedEniCleanup(index) => self.on_leaked_eni_cleanup(now, index, queue),
            Event::AwsNodeRestart(node) => self.restart_aws_node(
                now,
                node,
                super::record::RestartReason::InjectedFault,
                queue,
            ),
            Event::WorkloadStep { workload, step } => {
                self.on_workload_step(now, workload, step, queue)
            }
            Event::KubeletRetry { pod, gen } => {
                if self.pods[pod as usize].retry_gen == gen {
                    self.on_kubelet_retry(now, pod, queue);
                }
            }
            Event::AutoscalerTick => self.on_autoscaler_tick(now, queue),
            Event::NodeLaunch { group, entry } => self.on_node_launch(now, group, entry, queue),
            Event::WorkloadArrival { workload } => self.on_arrival(now, workload, queue),
            Event::PodExpire { pod } => self.on_pod_expire(now, pod, queue),
            Event::TraceRow { workload, row } => self.on_trace_row(now, workload, row, queue),
        }
    }

    fn sample(&mut self, now: SimTime) {
        self.take_sample(now);
    }
}

/// Kubelet retry delay: `interval × (1 + U(0, jitter))` (`wait.Jitter`).
pub(crate) fn jittered(interval: SimDuration, jitter: f64, rng: &mut ChaCha8Rng) -> SimDuration {
    let extra = if jitter > 0.0 {
        rng.gen::<f64>() * jitter
    } else {
        0.0
    };
    SimDuration((interval.micros() as f64 * (1.0 + extra)).round() as u64)
}
