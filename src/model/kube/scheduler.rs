//! The scheduler (binding pods to Ready nodes with a free max-pods slot), node
//! registration and readiness, and the kubelet's sandbox attempts — a CNI ADD once the node
//! is Ready — with their retries (spec §d.1).

use super::pods::Owner;
use super::{Cni, Env, Kube, KubeNode, NoAddress};
use crate::model::ids::{DaemonSetId, NodeId, PodId, PodLife};
use crate::model::lease::Lease;
use crate::model::record::{Fact, PodState, Recorder};
use crate::scenario::SchedulerPolicy;

impl Kube {
    /// A new node (not Ready).
    pub fn add_node(&mut self, max_pods: u32) {
        self.nodes.push(KubeNode {
            registered: false,
            ready: false,
            removed: false,
            bound: 0,
            max_pods,
            pods: Vec::new(),
            waits: super::NodeWaits::default(),
            dormant: Vec::new(),
            dormant_seen: None,
        });
        self.pod_eni.add_node();
    }

    /// Binds one pod of every DaemonSet to a new node (they tolerate the not-ready taint).
    pub fn bind_daemonsets<R: Recorder, C: Cni>(&mut self, env: &mut Env<'_, R, C>, node: NodeId) {
        for d in 0..env.sc.daemonsets.len() {
            let host_network = env.sc.daemonsets[d].host_network;
            let owner = Owner::DaemonSet(DaemonSetId::from_index(d), node);
            let pod = self.new_pod(env.now, owner, host_network);
            self.bind(env, pod, node);
        }
    }

    /// The scheduler key of a node with `bound` pods.
    pub(super) fn sched_key(&self, bound: u32) -> u32 {
        match self.policy {
            SchedulerPolicy::LeastAllocated => bound,
            SchedulerPolicy::MostAllocated => u32::MAX - bound,
        }
    }

    pub(super) fn eligible(&self, node: NodeId) -> bool {
        let n = &self.nodes[node.index()];
        n.ready && !n.removed && n.bound < n.max_pods
    }

    /// Updates a node's place in the scheduler's set after its bound count or readiness
    /// changed.
    pub(super) fn reindex_node(&mut self, node: NodeId, old_bound: u32, was_eligible: bool) {
        if was_eligible {
            self.schedulable.remove(old_bound, node.index());
        }
        if self.eligible(node) {
            let bound = self.nodes[node.index()].bound;
            self.schedulable.insert(bound, node.index());
        }
        self.reindex_pod_eni(node);
    }

    /// Binds a pod to a node; a pod-network pod on a Ready node asks the CNI for an IP.
    fn bind<R: Recorder, C: Cni>(&mut self, env: &mut Env<'_, R, C>, pod: PodId, node: NodeId) {
        let was = self.eligible(node);
        let n = &mut self.nodes[node.index()];
        let old_bound = n.bound;
        n.bound += 1;
        let seq = self.pods[pod.index()].seq;
        let at = n.pods.partition_point(|&(s, _)| s < seq);
        n.pods.insert(at, (seq, pod));
        let pod_eni = self.pods[pod.index()].pod_eni;
        if pod_eni {
            self.pod_eni_bound(pod, node);
        }
        self.reindex_node(node, old_bound, was);
        let now = env.now;
        let p = &mut self.pods[pod.index()];
        p.node = Some(node);
        p.scheduled = Some(now);
        if p.host_network {
            p.ip_assigned = Some(now);
            self.set_state(now, pod, PodState::Running);
            self.end_wait(env, pod, now);
        } else {
            self.set_state(now, pod, PodState::WaitingIp);
            self.sandbox_attempt(env, pod);
            if self.pods[pod.index()].state == PodState::WaitingIp {
                self.start_node_wait(node, pod, now);
            }
        }
    }

    /// The node a pod without a pod ENI goes to now: the policy's first Ready node with a
    /// free slot (also a prefetch hint before an arrival, which the event before may
    /// change).
    pub fn scheduler_pick(&self) -> Option<NodeId> {
        self.schedulable.first().map(NodeId::from_index)
    }

    /// Tries to place a pod; returns false if no node can take it.
    pub(super) fn try_schedule<R: Recorder, C: Cni>(
        &mut self,
        env: &mut Env<'_, R, C>,
        pod: PodId,
    ) -> bool {
        let best = if self.pods[pod.index()].pod_eni {
            self.pod_eni_node()
        } else {
            self.scheduler_pick()
        };
        let Some(node) = best else {
            return false;
        };
        self.bind(env, pod, node);
        true
    }

    /// Places a new pod, or queues it as unschedulable.
    pub(super) fn schedule_or_queue<R: Recorder, C: Cni>(
        &mut self,
        env: &mut Env<'_, R, C>,
        pod: PodId,
    ) {
        if !self.try_schedule(env, pod) {
            let life = self.pods[pod.index()].life;
            if self.pods[pod.index()].pod_eni {
                // kept apart: they wait for a pod ENI, which neither blocks the others nor
                // is what the autoscalers here provision for
                self.queue_pod_eni(pod, life);
            } else {
                self.compact_pending();
                self.pending.push_back(PodLife { pod, life });
                self.last_queued = Some(env.now);
            }
        }
    }

    /// Drops the queue's stale entries (pods deleted or bound since they were queued) once
    /// they are more than half of it, so that the queue stays proportional to the pods
    /// unschedulable now (amortised O(1) per queued pod).
    fn compact_pending(&mut self) {
        let live = self.state_counts[0] as usize;
        if self.pending.len() < 64 || self.pending.len() <= 2 * live {
            return;
        }
        let pods = &self.pods;
        self.pending.retain(|q| {
            let p = &pods[q.pod.index()];
            p.life == q.life && p.state == PodState::Unschedulable
        });
    }

    /// Binds up to `count` of the oldest unschedulable pods to `node` whatever its state
    /// (Karpenter binding pods to a node it launches); returns how many it bound.
    pub fn bind_pending_to<R: Recorder, C: Cni>(
        &mut self,
        env: &mut Env<'_, R, C>,
        node: NodeId,
        count: u32,
    ) -> u32 {
        let mut bound = 0;
        while bound < count {
            let Some(&PodLife { pod, life }) = self.pending.front() else {
                break;
            };
            self.pending.pop_front();
            let p = &self.pods[pod.index()];
            if p.life != life || p.state != PodState::Unschedulable {
                continue;
            }
            self.bind(env, pod, node);
            bound += 1;
        }
        bound
    }

    /// The kubelet registered `node`: it starts syncing the pods bound to it (their sandbox
    /// attempts fail with "network not ready" until the node is Ready).
    pub fn register_node<R: Recorder, C: Cni>(&mut self, env: &mut Env<'_, R, C>, node: NodeId) {
        let n = &mut self.nodes[node.index()];
        if n.registered {
            return;
        }
        n.registered = true;
        self.touch(node);
        for i in 0..self.nodes[node.index()].pods.len() {
            let (_, pod) = self.nodes[node.index()].pods[i];
            if self.pods[pod.index()].state == PodState::WaitingIp {
                self.sandbox_attempt(env, pod);
            }
        }
    }

    /// The kubelet tries to create a bound pod's sandbox: on a Ready node that is a CNI
    /// ADD; on a registered node that is not Ready yet it fails ("network not ready") and is
    /// retried after the retry period; an unregistered node's kubelet does not run yet.
    pub(super) fn sandbox_attempt<R: Recorder, C: Cni>(
        &mut self,
        env: &mut Env<'_, R, C>,
        pod: PodId,
    ) {
        let Some(node) = self.pods[pod.index()].node else {
            return;
        };
        let n = &self.nodes[node.index()];
        if n.ready {
            self.cni_add(env, pod);
        } else if n.registered {
            self.retry_later(env, pod, node, None);
        }
    }

    /// Places waiting unschedulable pods, oldest first, while nodes have room.
    pub fn drain_pending<R: Recorder, C: Cni>(&mut self, env: &mut Env<'_, R, C>) {
        while let Some(&PodLife { pod, life }) = self.pending.front() {
            let p = &self.pods[pod.index()];
            if p.life != life || p.state != PodState::Unschedulable {
                self.pending.pop_front();
                continue;
            }
            if !self.try_schedule(env, pod) {
                break;
            }
            self.pending.pop_front();
        }
        self.drain_pending_pod_eni(env);
    }

    /// The node finished ipamd init: it is Ready and takes pods. The pods already bound to
    /// it and waiting get their IP at their kubelet's next attempt.
    pub fn node_ready<R: Recorder, C: Cni>(&mut self, env: &mut Env<'_, R, C>, node: NodeId) {
        let n = &mut self.nodes[node.index()];
        if n.ready {
            return;
        }
        n.ready = true;
        let bound = n.bound;
        self.reindex_node(node, bound, false);
        self.touch(node);
        let fact = if env.sc.ipam.calico() {
            Fact::CalicoNodeReady
        } else {
            Fact::NodeReady
        };
        Self::emit(env, &self.pods, node, fact);
        self.drain_pending(env);
    }

    /// CNI ADD: the CNI assigns an address, or the pod waits for the kubelet's retry
    /// (`backOffPeriod` × (1 + U(0, jitter)), §d.1).
    fn cni_add<R: Recorder, C: Cni>(&mut self, env: &mut Env<'_, R, C>, pod: PodId) {
        let now = env.now;
        let Some(node) = self.pods[pod.index()].node else {
            return;
        };
        if self.pods[pod.index()].pod_eni {
            // ipamd answers a pod with a pod ENI from its annotation at once, when it serves
            let answer = self.pod_eni_add(pod, env.cni.serving(node));
            return self.cni_answer(env, pod, answer);
        }
        let multi_nic = self.pods[pod.index()].multi_nic;
        if let Some(answer) = env.cni.start_add(now, node, pod, multi_nic, env.queue) {
            self.cni_answer(env, pod, answer);
        }
    }

    /// The CNI's answer to `pod`'s ADD (at once, or when an asynchronous plugin's call
    /// returns): the pod runs with its address, or waits for the kubelet's retry.
    pub fn cni_answer<R: Recorder, C: Cni>(
        &mut self,
        env: &mut Env<'_, R, C>,
        pod: PodId,
        answer: Result<Lease, NoAddress>,
    ) {
        let now = env.now;
        let Some(node) = self.pods[pod.index()].node else {
            return;
        };
        match answer {
            Ok(ip) => {
                self.end_streak(env, pod);
                let p = &mut self.pods[pod.index()];
                p.ip = Some(ip);
                p.last_ip = Some(ip);
                p.ip_assigned = Some(now);
                self.set_state(now, pod, PodState::Running);
                self.end_wait(env, pod, now);
                self.touch(node);
            }
            Err(why) => {
                self.failed_add(env, pod, node, why);
                self.retry_later(env, pod, node, Some(why));
            }
        }
    }
}
