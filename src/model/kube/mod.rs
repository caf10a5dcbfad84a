//! The Kubernetes side: pods and their owners (DaemonSets, workloads, churn, traces), the
//! scheduler, and the kubelet's CNI calls and retries. Kube reaches the address manager
//! only through the [`Cni`] interface (CNI ADD and DEL).
//!
//! Files: `pods.rs` (pods, owners, names), `scheduler.rs` (binding, readiness, CNI ADD and
//! the kubelet's retries), `workloads.rs` (replica steps, scale-in, deletes), `sources.rs`
//! (churn arrivals, lifetimes and trace replay), `waits.rs` (pods' waits by cause).

mod dormant;
pub mod podeni;
pub mod pods;
mod ranked;
mod retries;
mod scheduler;
pub mod sources;
mod streaks;
mod waits;
mod workloads;

pub use dormant::{Dormant, LogChange};
pub use waits::{NodeWaits, WaitTotals};

use super::event::Event;
use super::ids::{NodeId, PodId, PodLife, WorkloadId};
use super::lease::Lease;
use super::nodes::Nodes;
use super::record::{Draft, EventOrder, Fact, PodState, Recorder};
use crate::engine::EventQueue;
use crate::scenario::{Scenario, SchedulerPolicy, WorkloadSource};
use crate::time::SimTime;
use pods::{NameSuffix, Owner, Pod, PodName};
use std::collections::VecDeque;

/// Why a CNI ADD found no address, as the address manager reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NoAddress {
    /// Addresses available (cooldown included).
    pub available: u32,
    /// Addresses cooling.
    pub cooling: u32,
    /// Addresses held.
    pub total: u32,
    /// On a node that manages several network cards, the card that had no address for
    /// the pod.
    pub card: Option<u8>,
}

/// The CNI as the kubelet sees it: ADD gives a pod an address or fails; DEL gives it back.
/// Both may schedule events of the address manager (`queue`).
pub trait Cni {
    /// CNI ADD for `pod` on `node` at `now`; `multi_nic`: the pod is annotated
    /// `k8s.amazonaws.com/nicConfig: multi-nic-attachment` (the VPC CNI then gives it one
    /// address per managed network card).
    fn add(
        &mut self,
        now: SimTime,
        node: NodeId,
        pod: PodId,
        multi_nic: bool,
        queue: &mut EventQueue<Event>,
    ) -> Result<Lease, NoAddress>;
    /// Starts a CNI ADD: `Some(answer)` at once, or `None` when the plugin answers later
    /// (its event then calls [`Kube::cni_answer`]). Default: [`Cni::add`] at once.
    fn start_add(
        &mut self,
        now: SimTime,
        node: NodeId,
        pod: PodId,
        multi_nic: bool,
        queue: &mut EventQueue<Event>,
    ) -> Option<Result<Lease, NoAddress>> {
        Some(self.add(now, node, pod, multi_nic, queue))
    }
    /// Whether the node's CNI answers ADDs at all now (the VPC CNI: ipamd is serving).
    /// Default: always.
    fn serving(&self, _node: NodeId) -> bool {
        true
    }
    /// Whether a failed ADD's pod may sleep until the node's wait cause changes
    /// (`dormant.rs`): true when an ADD fails exactly while the cause is not
    /// `kubelet_retry` and answers at once. Default: no.
    fn lazy_retries(&self) -> bool {
        false
    }
    /// `pod`, waiting on `node`, is deleted: an ADD of it still in flight is dropped.
    /// Default: nothing (ADDs answer at once).
    fn cancel(&mut self, _node: NodeId, _pod: PodId) {}
    /// The address of the lease `add` gave on `node`, in full.
    fn address(&self, node: NodeId, lease: Lease) -> crate::model::record::PodAddr;
    /// CNI DEL: `pod` gives back its lease.
    fn del(
        &mut self,
        now: SimTime,
        node: NodeId,
        pod: PodId,
        lease: Lease,
        queue: &mut EventQueue<Event>,
    );
}

/// What kube shares with the rest of the world for one call.
pub struct Env<'a, R: Recorder, C: Cni> {
    /// Now.
    pub now: SimTime,
    /// The scenario.
    pub sc: &'a Scenario,
    /// The instances.
    pub nodes: &'a Nodes,
    /// The event queue.
    pub queue: &'a mut EventQueue<Event>,
    /// Where pods' and waits' records go.
    pub rec: &'a mut R,
    /// Where facts go (in time order).
    pub events: &'a mut EventOrder,
    /// The CNI.
    pub cni: &'a mut C,
}

/// What kube knows of a node.
pub struct KubeNode {
    /// Registered: the kubelet runs (pods bound here get sandbox attempts, which fail with
    /// "network not ready" until the node is Ready).
    pub registered: bool,
    /// Ready: ipamd's init finished; the node takes pods.
    pub ready: bool,
    /// Removed by scale-down.
    pub removed: bool,
    /// Pods bound (host-network ones included).
    pub bound: u32,
    /// kubelet max pods.
    pub max_pods: u32,
    /// Pods bound and not deleted, in creation order (`(seq, id)`).
    pub pods: Vec<(u64, PodId)>,
    /// Pods waiting for an IP here, and the log of why.
    pub waits: NodeWaits,
    /// Its dormant pods' retry clocks (`dormant.rs`), in no order.
    dormant: Vec<Dormant>,
    /// The pool as its dormant pods last saw it, and whether one slept since.
    dormant_seen: Option<NoAddress>,
}

/// Pod counts kept as states change (exact, not sampled).
#[derive(Clone, Debug, Default)]
pub struct KubeTotals {
    /// Peak pods waiting for an IP at once.
    pub peak_waiting_ip: u32,
    /// Peak unschedulable pods at once.
    pub peak_unschedulable: u32,
    /// Since when some pod has been waiting for an IP (none waiting: `None`).
    pub waiting_since: Option<SimTime>,
    /// Time with at least one pod waiting for an IP, closed intervals (µs).
    pub any_waiting_us: u64,
    /// What finished pods' lives add up to.
    pub pods: crate::model::totals::PodTotals,
    /// Pod-seconds waited by cause, over the waits recorded so far.
    pub waits: WaitTotals,
}

impl KubeTotals {
    /// Seconds with at least one pod waiting for an IP, up to `end`.
    pub fn seconds_any_waiting(&self, end: SimTime) -> f64 {
        let open = self.waiting_since.map_or(0, |s| end.since(s).micros());
        (self.any_waiting_us + open) as f64 / 1e6
    }
}

/// Pods, workloads, the scheduler and the kubelets.
pub struct Kube {
    /// The pods, by id: the live ones, and deleted ones whose slot is not reused yet.
    pub pods: Vec<Pod>,
    /// Slots of deleted (and recorded) pods, to reuse.
    free: Vec<PodId>,
    /// The next pod's creation number.
    next_seq: u64,
    /// Per node.
    pub nodes: Vec<KubeNode>,
    /// State counts and peaks.
    pub totals: KubeTotals,
    /// Pods per state (Unschedulable, WaitingIp, Running).
    state_counts: [u32; 3],
    /// Alive pods per workload, in creation order.
    workload_pods: Vec<Vec<PodId>>,
    /// Next ordinal per workload.
    workload_next: Vec<u32>,
    /// Unschedulable pods in arrival order (stale entries skipped lazily).
    pending: VecDeque<PodLife>,
    /// Ready nodes with a free slot, keyed for the scheduler policy.
    schedulable: ranked::RankedNodes,
    policy: SchedulerPolicy,
    /// Churn and trace workloads' run state.
    sources: sources::SourceState,
    /// Nodes whose wait cause may have changed in this event (`waits.rs`).
    dirty: Vec<NodeId>,
    /// When a pod last joined the unschedulable queue (Karpenter's batch window).
    pub last_queued: Option<SimTime>,
    /// Pods asking for a pod ENI, and the branch ENIs kube gave back (`podeni.rs`).
    pub pod_eni: podeni::PodEniState,
    /// Per workload: its pods are annotated `multi-nic-attachment`.
    multi_nic: Vec<bool>,
    /// Pods with a failed CNI ADD whose cause is not decided yet (`streaks.rs`).
    unclassified: Vec<PodId>,
    /// The kubelet's retry delays (`retries.rs`).
    delays: retries::RetryDelays,
    /// Pods whose attempt cannot succeed sleep until their node's log changes
    /// (`dormant.rs`); `false`: every retry is an event.
    pub lazy_retries: bool,
    /// The end of the run (a change planned later wakes no one).
    end: SimTime,
}

impl Kube {
    /// Schedules every workload's replica steps.
    pub fn schedule_steps(sc: &Scenario, queue: &mut EventQueue<Event>) {
        for (w, spec) in sc.workloads.iter().enumerate() {
            for (s, &(at, _)) in spec.steps.iter().enumerate() {
                let ev = Event::WorkloadStep {
                    workload: WorkloadId::from_index(w),
                    step: s as u32,
                };
                queue.schedule(at, ev);
            }
        }
    }

    /// Kube for `sc`, with no node and no pod yet.
    pub fn new(sc: &Scenario) -> Kube {
        let n = sc.workloads.len();
        Kube {
            pods: Vec::new(),
            free: Vec::new(),
            next_seq: 0,
            nodes: Vec::new(),
            totals: KubeTotals::default(),
            state_counts: [0; 3],
            workload_pods: vec![Vec::new(); n],
            workload_next: vec![1; n],
            pending: VecDeque::new(),
            schedulable: ranked::RankedNodes::new(
                sc.scheduler.policy == SchedulerPolicy::MostAllocated,
            ),
            policy: sc.scheduler.policy,
            sources: sources::SourceState::default(),
            dirty: Vec::new(),
            last_queued: None,
            pod_eni: podeni::PodEniState::new(sc),
            multi_nic: sc.workloads.iter().map(|w| w.multi_nic).collect(),
            unclassified: Vec::new(),
            delays: retries::RetryDelays::new(
                sc.seed,
                sc.kubelet.retry_interval,
                sc.kubelet.retry_jitter,
            ),
            lazy_retries: true,
            end: SimTime(sc.duration.micros()),
        }
    }

    /// Pods unschedulable, waiting for an IP, and running now.
    pub fn counts(&self) -> (u32, u32, u32) {
        let [u, w, r] = self.state_counts;
        (u, w, r)
    }

    /// Unschedulable pods in arrival order (some may have been scheduled since: check the
    /// state).
    pub fn pending(&self) -> impl Iterator<Item = &Pod> {
        self.pending
            .iter()
            .map(|q| &self.pods[q.pod.index()])
            .zip(self.pending.iter())
            .filter(|(p, q)| p.life == q.life)
            .map(|(p, _)| p)
    }

    /// Entries in the unschedulable queue, stale ones included (for tests of its bound).
    pub fn pending_queue_len(&self) -> usize {
        self.pending.len()
    }

    /// Whether `pod` still is the pod of life `life` of its slot, not deleted.
    fn alive(&self, pod: PodId, life: u32) -> bool {
        let p = &self.pods[pod.index()];
        p.life == life && p.state != PodState::Deleted
    }

    /// One pod.
    pub fn pod(&self, id: PodId) -> &Pod {
        &self.pods[id.index()]
    }

    /// What kube knows of a node.
    pub fn node(&self, id: NodeId) -> &KubeNode {
        &self.nodes[id.index()]
    }

    /// A pod's name.
    pub fn pod_name<'a>(&'a self, sc: &'a Scenario, nodes: &'a Nodes, pod: PodId) -> PodName<'a> {
        pod_name(sc, nodes, &self.pods[pod.index()])
    }

    /// Records a fact about a node (with the pod the fact names).
    fn emit<R: Recorder, C: Cni>(env: &mut Env<'_, R, C>, pods: &[Pod], node: NodeId, fact: Fact) {
        env.events.push(Draft {
            time: env.now,
            node: Some(node),
            group: env.nodes.get(node).group,
            pod: fact.pod().map(|p| pods[p.index()].owner),
            fact,
            card: None,
        });
    }

    /// Creates a pod (unschedulable until bound), in a free slot if there is one.
    fn new_pod(&mut self, now: SimTime, owner: Owner, host_network: bool) -> PodId {
        let mut pod = Pod::new(now, owner, host_network);
        pod.pod_eni = self.pod_eni.requests_pod_eni(owner, host_network);
        pod.multi_nic = match owner {
            Owner::Workload(w, _) | Owner::Trace(w, _) => {
                !host_network && self.multi_nic[w.index()]
            }
            Owner::DaemonSet(..) => false,
        };
        pod.seq = self.next_seq;
        self.next_seq += 1;
        let id = match self.free.pop() {
            Some(id) => {
                let old = &self.pods[id.index()];
                pod.life = old.life + 1;
                pod.retry_gen = old.retry_gen + 1;
                self.pods[id.index()] = pod;
                id
            }
            None => {
                self.pods.push(pod);
                PodId::from_index(self.pods.len() - 1)
            }
        };
        self.state_counts[0] += 1;
        self.totals.peak_unschedulable = self.totals.peak_unschedulable.max(self.state_counts[0]);
        id
    }

    /// Moves a pod to `state`, keeping the counts and peaks.
    fn set_state(&mut self, now: SimTime, pod: PodId, state: PodState) {
        let old = self.pods[pod.index()].state;
        if old == state {
            return;
        }
        let slot = |s: PodState| match s {
            PodState::Unschedulable => Some(0),
            PodState::WaitingIp => Some(1),
            PodState::Running => Some(2),
            PodState::Deleted => None,
        };
        if let Some(i) = slot(old) {
            self.state_counts[i] -= 1;
        }
        if let Some(i) = slot(state) {
            self.state_counts[i] += 1;
        }
        let waiting = self.state_counts[1];
        let t = &mut self.totals;
        t.peak_waiting_ip = t.peak_waiting_ip.max(waiting);
        match (t.waiting_since, waiting) {
            (None, w) if w > 0 => t.waiting_since = Some(now),
            (Some(since), 0) => {
                t.any_waiting_us += now.since(since).micros();
                t.waiting_since = None;
            }
            _ => {}
        }
        t.peak_unschedulable = t.peak_unschedulable.max(self.state_counts[0]);
        self.pods[pod.index()].state = state;
    }
}

/// A pod's name (`<workload>-<n>`, `<daemonset>-<node>`, or a trace's name).
pub fn pod_name<'a>(sc: &'a Scenario, nodes: &'a Nodes, pod: &Pod) -> PodName<'a> {
    owner_pod_name(sc, nodes, pod.owner)
}

/// The name of the pod `owner` owns (a pod's name follows from its owner alone).
pub fn owner_pod_name<'a>(sc: &'a Scenario, nodes: &'a Nodes, owner: Owner) -> PodName<'a> {
    match owner {
        Owner::Workload(w, n) => PodName(&sc.workloads[w.index()].name, NameSuffix::Ordinal(n)),
        Owner::DaemonSet(d, node) => PodName(
            &sc.daemonsets[d.index()].name,
            NameSuffix::Node(&nodes.get(node).name),
        ),
        Owner::Trace(w, entry) => PodName(trace_names(sc, w, entry).0, NameSuffix::Verbatim),
    }
}

/// The name of the workload or DaemonSet that owns a pod.
pub fn owner_name<'a>(sc: &'a Scenario, pod: &Pod) -> &'a str {
    match pod.owner {
        Owner::Workload(w, _) => &sc.workloads[w.index()].name,
        Owner::DaemonSet(d, _) => &sc.daemonsets[d.index()].name,
        Owner::Trace(w, entry) => trace_names(sc, w, entry).1,
    }
}

/// The pod name and workload name of entry `entry` of trace workload `w` (the workload
/// entry's own name if the indexes do not fit, which validation rules out).
pub fn trace_names(sc: &Scenario, w: WorkloadId, entry: u32) -> (&str, &str) {
    let spec = &sc.workloads[w.index()];
    if let WorkloadSource::Trace(trace) = &spec.source {
        if let Some(pod) = trace.pods.get(entry as usize) {
            let workload = trace
                .workloads
                .get(pod.workload as usize)
                .map_or(spec.name.as_str(), String::as_str);
            return (&pod.name, workload);
        }
    }
    (&spec.name, &spec.name)
}
