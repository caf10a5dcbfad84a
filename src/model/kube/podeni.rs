//! Pods that a SecurityGroupPolicy selects (`security_group_policy: true`): each requests
//! one `vpc.amazonaws.com/pod-eni` (the controller's webhook adds the request to its first
//! container, RC webhooks/core/pod_webhook.go:181-205), so the scheduler binds it only to a
//! node that offers one free — a node whose trunk ENI is attached — counting the requests
//! of the pods bound there. Once bound, the pod's IP is its own branch ENI's, which the VPC
//! resource controller creates and annotates on the pod; its CNI ADDs fail until then.
//!
//! Kube tells the controller which pods were bound and which branches their deletion gives
//! back through [`BranchRequest`]s the world takes after each call.

use super::pods::{Branch, Owner};
use super::{Cni, Env, Kube, NoAddress};
use crate::model::ids::{NodeId, PodId, PodLife};
use crate::model::lease::Lease;
use crate::model::record::{PodState, Recorder};
use crate::scenario::Scenario;
use crate::time::SimTime;
use std::collections::{BTreeSet, VecDeque};

/// What kube asks of the VPC resource controller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BranchRequest {
    /// A pod asking for a pod ENI was bound to `node`: create its branch ENI.
    Bound {
        /// The pod.
        pod: PodId,
        /// Its slot's life.
        life: u32,
        /// The node.
        node: NodeId,
    },
    /// Such a pod was deleted; its branch (if it had one yet) starts cooling.
    Released {
        /// The node.
        node: NodeId,
        /// Its branch ENI (its number on the node) and address.
        branch: Option<Lease>,
    },
}

/// One node's pod-ENI slots as the scheduler counts them.
#[derive(Clone, Copy, Debug, Default)]
struct Slots {
    /// `vpc.amazonaws.com/pod-eni` the node offers (0 until its trunk is attached).
    capacity: u32,
    /// Pods bound here that request one.
    bound: u32,
    /// The node's key in the pod-ENI scheduling set, if it is there.
    key: Option<u32>,
}

/// Kube's side of security groups for pods.
#[derive(Debug, Default)]
pub struct PodEniState {
    /// Per workload: a SecurityGroupPolicy selects its pods.
    selected: Vec<bool>,
    /// Whether any workload is selected (nothing here runs otherwise).
    any: bool,
    /// Per node.
    slots: Vec<Slots>,
    /// Nodes that can take a pod asking for a pod ENI, keyed as the main set.
    schedulable: BTreeSet<(u32, NodeId)>,
    /// Such pods waiting unschedulable, in arrival order, with their slot's life.
    pending: VecDeque<PodLife>,
    /// Requests since the world last took them.
    requests: Vec<BranchRequest>,
}

impl PodEniState {
    /// The selected workloads of `sc`.
    pub fn new(sc: &Scenario) -> PodEniState {
        let selected: Vec<bool> = sc
            .workloads
            .iter()
            .map(|w| w.security_group_policy && !w.host_network)
            .collect();
        PodEniState {
            any: selected.iter().any(|&s| s),
            selected,
            ..PodEniState::default()
        }
    }

    /// Whether a pod of `owner` requests a pod ENI (host-network pods never do).
    pub fn requests_pod_eni(&self, owner: Owner, host_network: bool) -> bool {
        match owner {
            Owner::Workload(w, _) | Owner::Trace(w, _) => !host_network && self.selected[w.index()],
            Owner::DaemonSet(..) => false,
        }
    }

    /// Whether kube asked something of the controller since it last took the requests.
    pub fn has_requests(&self) -> bool {
        !self.requests.is_empty()
    }

    /// A new node (offering no pod ENI yet).
    pub(super) fn add_node(&mut self) {
        self.slots.push(Slots::default());
    }
}

impl Kube {
    /// Puts `node` in or out of the pod-ENI scheduling set after its state changed.
    pub(super) fn reindex_pod_eni(&mut self, node: NodeId) {
        if !self.pod_eni.any {
            return;
        }
        let eligible = self.eligible(node) && {
            let s = &self.pod_eni.slots[node.index()];
            s.bound < s.capacity
        };
        let key = self.sched_key(self.nodes[node.index()].bound);
        let st = &mut self.pod_eni;
        let s = &mut st.slots[node.index()];
        if let Some(old) = s.key.take() {
            st.schedulable.remove(&(old, node));
        }
        if eligible {
            s.key = Some(key);
            st.schedulable.insert((key, node));
        }
    }

    /// The best node for a pod asking for a pod ENI, if any.
    pub(super) fn pod_eni_node(&self) -> Option<NodeId> {
        self.pod_eni.schedulable.first().map(|&(_, n)| n)
    }

    /// Queues a pod asking for a pod ENI as unschedulable.
    pub(super) fn queue_pod_eni(&mut self, pod: PodId, life: u32) {
        self.pod_eni.pending.push_back(PodLife { pod, life });
    }

    /// A pod asking for a pod ENI was bound to `node`.
    pub(super) fn pod_eni_bound(&mut self, pod: PodId, node: NodeId) {
        self.pod_eni.slots[node.index()].bound += 1;
        let life = self.pods[pod.index()].life;
        self.pod_eni
            .requests
            .push(BranchRequest::Bound { pod, life, node });
    }

    /// A pod asking for a pod ENI left `node` (deleted).
    pub(super) fn pod_eni_unbound(&mut self, pod: PodId, node: NodeId) {
        let s = &mut self.pod_eni.slots[node.index()];
        s.bound = s.bound.saturating_sub(1);
        let branch = self.pods[pod.index()].branch.map(|b| b.lease);
        self.pod_eni
            .requests
            .push(BranchRequest::Released { node, branch });
    }

    /// Places pods asking for a pod ENI, oldest first, while nodes offer one.
    pub(super) fn drain_pending_pod_eni<R: Recorder, C: Cni>(&mut self, env: &mut Env<'_, R, C>) {
        while let Some(&PodLife { pod, life }) = self.pod_eni.pending.front() {
            let p = &self.pods[pod.index()];
            if p.life != life || p.state != PodState::Unschedulable {
                self.pod_eni.pending.pop_front();
                continue;
            }
            if !self.try_schedule(env, pod) {
                break;
            }
            self.pod_eni.pending.pop_front();
        }
    }

    /// The controller attached `node`'s trunk: it offers `capacity` pod ENIs, and waiting
    /// pods that ask for one are placed.
    pub fn set_pod_eni_capacity<R: Recorder, C: Cni>(
        &mut self,
        env: &mut Env<'_, R, C>,
        node: NodeId,
        capacity: u32,
    ) {
        self.pod_eni.slots[node.index()].capacity = capacity;
        self.reindex_pod_eni(node);
        self.drain_pending_pod_eni(env);
    }

    /// The controller annotated `pod` (of life `life`) with its branch ENI at `now`; `false`
    /// if the pod is gone (the branch is then given back).
    pub fn annotate_branch(&mut self, pod: PodId, life: u32, branch: Lease, now: SimTime) -> bool {
        if !self.alive(pod, life) {
            return false;
        }
        self.pods[pod.index()].branch = Some(Branch {
            lease: branch,
            at: now,
        });
        true
    }

    /// The requests since the last call, in order.
    pub fn take_branch_requests(&mut self, out: &mut Vec<BranchRequest>) {
        out.clear();
        out.append(&mut self.pod_eni.requests);
    }

    /// ipamd's answer to the CNI ADD of a pod asking for a pod ENI: its branch ENI once
    /// annotated, else "failed to get Branch ENI resource" (CNI rpc_handler.go:181-184);
    /// nothing while ipamd does not serve (an aws-node restart).
    pub(super) fn pod_eni_add(&self, pod: PodId, serving: bool) -> Result<Lease, NoAddress> {
        let no = NoAddress {
            card: None,
            available: 0,
            cooling: 0,
            total: 0,
        };
        match self.pods[pod.index()].branch {
            _ if !serving => Err(no),
            Some(b) => Ok(b.lease),
            None => Err(no),
        }
    }
}
