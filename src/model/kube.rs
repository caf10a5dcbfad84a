//! The Kubernetes side: node launch, workloads, the scheduler, and the kubelet's CNI calls.

use super::datastore::{Datastore, PodIndex};
use super::ids::SubnetId;
use super::ipamd::Ipamd;
use super::pool::{self, Targets};
use super::record::{Fact, Recorder};
use super::world::{jittered, Event, Node, NodeIndex, NodeRngs, Owner, Pod, PodState, World};
use crate::engine::EventQueue;
use crate::time::{SimDuration, SimTime};

impl<R: Recorder> World<R> {
    /// Creates a node of nodegroup `group` at `now`: its instance gets a primary address,
    /// DaemonSet pods are bound to it, and ipamd starts `boot` later (instance boot time).
    pub(crate) fn launch_node(
        &mut self,
        now: SimTime,
        group: u32,
        boot: SimDuration,
        queue: &mut EventQueue<Event>,
    ) {
        let spec = &self.sc.nodegroups[group as usize];
        let ordinal = self.nodes.iter().filter(|n| n.group == group).count() + 1;
        let subnet = spec.subnets[(ordinal - 1) % spec.subnets.len()] as u32;
        let it = &spec.instance_type;
        let pd = self.sc.cni.enable_prefix_delegation && it.supports_prefix_delegation();
        let cidrs_per_eni = it.ipv4_per_eni - 1;
        let targets = Targets {
            warm_eni: self.sc.cni.warm_eni_target,
            warm_ip: self.sc.cni.warm_ip_target,
            minimum_ip: self.sc.cni.minimum_ip_target,
            warm_prefix: self.sc.cni.warm_prefix_target,
            pd,
        };
        let max_eni = pool::effective_max_eni(self.sc.cni.max_eni, it.max_enis);
        let primary_ip = self.subnets[subnet as usize].allocate_ip();
        let node = self.nodes.len() as NodeIndex;
        self.nodes.push(Node {
            name: format!("{}-{}", spec.name, ordinal),
            group,
            subnet,
            ready: false,
            bound: 0,
            max_pods: spec.max_pods,
            primary_ip,
            ds: Datastore::new(self.sc.cni.ip_cooldown_period_s, pd),
            ipamd: Ipamd::default(),
            targets,
            cidrs_per_eni,
            ips_per_eni: if pd {
                cidrs_per_eni * pool::IPS_PER_PREFIX
            } else {
                cidrs_per_eni
            },
            max_eni,
            rng: NodeRngs::new(self.sc.seed, node),
            launched_at: now,
            removed: false,
            empty_since: None,
        });
        for d in 0..self.sc.daemonsets.len() {
            let host_network = self.sc.daemonsets[d].host_network;
            let pod = self.new_pod(now, Owner::DaemonSet(d as u32, node), host_network);
            // DaemonSet pods tolerate the not-ready taint: bound at once.
            self.bind(now, pod, node, queue);
        }
        match primary_ip {
            Some(_) => queue.schedule(now + boot, Event::NodeStart(node)),
            None => {
                let fact = Fact::LaunchFailed {
                    subnet: SubnetId(subnet),
                };
                self.emit(now, node, fact);
            }
        }
    }

    pub(crate) fn new_pod(&mut self, now: SimTime, owner: Owner, host_network: bool) -> PodIndex {
        let idx = self.pods.len() as PodIndex;
        self.pods.push(Pod {
            owner,
            host_network,
            state: PodState::Unschedulable,
            node: None,
            created: now,
            scheduled: None,
            ip_assigned: None,
            deleted: None,
            ip: None,
            last_ip: None,
            retry_gen: 0,
        });
        self.state_counts[0] += 1;
        self.totals.peak_unschedulable = self.totals.peak_unschedulable.max(self.state_counts[0]);
        idx
    }

    fn set_state(&mut self, now: SimTime, pod: PodIndex, state: PodState) {
        let old = self.pods[pod as usize].state;
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
        self.totals.peak_unschedulable = self.totals.peak_unschedulable.max(self.state_counts[0]);
        self.pods[pod as usize].state = state;
    }

    /// Updates a node's place in the scheduler's set after its bound count or readiness changed.
    fn reindex_node(&mut self, node: NodeIndex, old_bound: u32, was_eligible: bool) {
        if was_eligible {
            let key = self.sched_key(old_bound);
            self.schedulable.remove(&(key, node));
        }
        let n = &self.nodes[node as usize];
        if n.ready && n.bound < n.max_pods {
            let key = self.sched_key(n.bound);
            self.schedulable.insert((key, node));
        }
    }

    fn eligible(&self, node: NodeIndex) -> bool {
        let n = &self.nodes[node as usize];
        n.ready && n.bound < n.max_pods
    }

    /// Binds a pod to a node; a non-host-network pod on a ready node asks the CNI for an IP.
    fn bind(
        &mut self,
        now: SimTime,
        pod: PodIndex,
        node: NodeIndex,
        queue: &mut EventQueue<Event>,
    ) {
        let was = self.eligible(node);
        let old_bound = self.nodes[node as usize].bound;
        self.nodes[node as usize].bound += 1;
        self.reindex_node(node, old_bound, was);
        let p = &mut self.pods[pod as usize];
        p.node = Some(node);
        p.scheduled = Some(now);
        if p.host_network {
            p.ip_assigned = Some(now);
            self.set_state(now, pod, PodState::Running);
        } else {
            self.set_state(now, pod, PodState::WaitingIp);
            if self.nodes[node as usize].ready {
                self.cni_add(now, pod, queue);
            }
        }
    }

    /// Tries to place a pod; returns false if no node can take it.
    pub(crate) fn try_schedule(
        &mut self,
        now: SimTime,
        pod: PodIndex,
        queue: &mut EventQueue<Event>,
    ) -> bool {
        let Some(&(_, node)) = self.schedulable.first() else {
            return false;
        };
        self.bind(now, pod, node, queue);
        true
    }

    /// Places waiting unschedulable pods, oldest first, while nodes have room.
    pub(crate) fn drain_pending(&mut self, now: SimTime, queue: &mut EventQueue<Event>) {
        while let Some(&pod) = self.pending.front() {
            if self.pods[pod as usize].state != PodState::Unschedulable {
                self.pending.pop_front();
                continue;
            }
            if !self.try_schedule(now, pod, queue) {
                break;
            }
            self.pending.pop_front();
        }
    }

    /// The node finished ipamd init: it takes pods, and its DaemonSet pods ask for IPs.
    pub(crate) fn node_ready(
        &mut self,
        now: SimTime,
        node: NodeIndex,
        queue: &mut EventQueue<Event>,
    ) {
        let old_bound = self.nodes[node as usize].bound;
        self.nodes[node as usize].ready = true;
        self.reindex_node(node, old_bound, false);
        self.emit(now, node, Fact::NodeReady);
        for pod in 0..self.pods.len() as PodIndex {
            let p = &self.pods[pod as usize];
            if p.node == Some(node) && p.state == PodState::WaitingIp {
                self.cni_add(now, pod, queue);
            }
        }
        self.drain_pending(now, queue);
    }

    /// CNI ADD: ipamd assigns an address or the pod waits for the kubelet's retry (§d.1).
    pub(crate) fn cni_add(&mut self, now: SimTime, pod: PodIndex, queue: &mut EventQueue<Event>) {
        let node = self.pods[pod as usize].node.expect("bound pod");
        let eni_rot = self.map_order(node);
        let ip_rot = self.map_order(node);
        // ipamd answers CNI ADDs only while it is serving (not during a restart's nodeInit)
        let got = if self.nodes[node as usize].ipamd.serving {
            self.nodes[node as usize]
                .ds
                .assign(now, pod, eni_rot, ip_rot)
        } else {
            None
        };
        match got {
            Some(ip) => {
                let p = &mut self.pods[pod as usize];
                p.ip = Some(ip);
                p.last_ip = Some(ip.1);
                p.ip_assigned = Some(now);
                self.set_state(now, pod, PodState::Running);
            }
            None => {
                let n = &self.nodes[node as usize];
                let s = n.ds.stats(now);
                let fact = Fact::NoIp {
                    pod: super::ids::PodId(pod),
                    available: s.available(),
                    cooling: s.cooldown,
                    total: s.total,
                    blocker: n.ipamd.growth_blocker(now),
                };
                self.emit(now, node, fact);
                let delay = jittered(
                    self.sc.kubelet.retry_interval,
                    self.sc.kubelet.retry_jitter,
                    &mut self.nodes[node as usize].rng.kubelet,
                );
                let p = &mut self.pods[pod as usize];
                p.retry_gen += 1;
                let gen = p.retry_gen;
                queue.schedule(now + delay, Event::KubeletRetry { pod, gen });
            }
        }
    }

    pub(crate) fn on_kubelet_retry(
        &mut self,
        now: SimTime,
        pod: PodIndex,
        queue: &mut EventQueue<Event>,
    ) {
        if self.pods[pod as usize].state == PodState::WaitingIp {
            self.cni_add(now, pod, queue);
        }
    }

    pub(crate) fn on_workload_step(
        &mut self,
        now: SimTime,
        w: u32,
        step: u32,
        queue: &mut EventQueue<Event>,
    ) {
        let spec = &self.sc.workloads[w as usize];
        let desired = spec.steps[step as usize].1 as usize;
        let host_network = spec.host_network;
        let current = self.workload_pods[w as usize].len();
        if desired > current {
            for _ in current..desired {
                let ordinal = self.workload_next[w as usize];
                self.workload_next[w as usize] += 1;
                let pod = self.new_pod(now, Owner::Workload(w, ordinal), host_network);
                self.workload_pods[w as usize].push(pod);
                if !self.try_schedule(now, pod, queue) {
                    self.pending.push_back(pod);
                }
            }
        } else if desired < current {
            self.scale_in(now, w, current - desired, queue);
        }
    }

    /// Deletes `count` pods of a workload, ranked as the ReplicaSet controller does:
    /// unscheduled first, then not yet running (waiting for an IP), then running;
    /// newest first within each class.
    fn scale_in(&mut self, now: SimTime, w: u32, count: usize, queue: &mut EventQueue<Event>) {
        let mut ranked: Vec<(u8, std::cmp::Reverse<PodIndex>)> = self.workload_pods[w as usize]
            .iter()
            .map(|&p| {
                let class = match self.pods[p as usize].state {
                    PodState::Unschedulable => 0,
                    PodState::WaitingIp => 1,
                    _ => 2,
                };
                (class, std::cmp::Reverse(p))
            })
            .collect();
        ranked.sort_unstable();
        let victims: Vec<PodIndex> = ranked
            .iter()
            .take(count)
            .map(|&(_, std::cmp::Reverse(p))| p)
            .collect();
        for &pod in &victims {
            self.delete_pod(now, pod);
        }
        let pods = &self.pods;
        self.workload_pods[w as usize].retain(|&p| pods[p as usize].state != PodState::Deleted);
        self.drain_pending(now, queue);
    }

    /// Deletes a pod: its slot frees and its IP starts cooling (§d.2).
    pub(crate) fn delete_pod(&mut self, now: SimTime, pod: PodIndex) {
        if let Some(node) = self.pods[pod as usize].node {
            let was = self.eligible(node);
            let old_bound = self.nodes[node as usize].bound;
            self.nodes[node as usize].bound -= 1;
            self.reindex_node(node, old_bound, was);
            if let Some((eni, addr)) = self.pods[pod as usize].ip.take() {
                self.nodes[node as usize].ds.unassign(now, eni, addr, pod);
            }
        }
        let p = &mut self.pods[pod as usize];
        p.deleted = Some(now);
        p.retry_gen += 1;
        self.set_state(now, pod, PodState::Deleted);
    }
}
