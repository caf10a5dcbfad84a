//! Calico IPAM as the kubelet's CNI (`ipam.plugin: calico`): pod addresses from blocks of
//! an overlay pool (`pool.rs`, the pure block rules), no EC2 call and no warm pool.
//!
//! One CNI ADD is one `autoAssign` of one address. The Calico CNI plugin takes a host-wide
//! IPAM lock around it (cni-plugin/pkg/ipamplugin/ipam_plugin.go:380-393), so a node's
//! assignments run one at a time: an ADD joins its node's queue, the head's assignment
//! takes `ipam.latency` (one draw from the node's own stream), and the address is chosen
//! when it ends ([`Event::CalicoAssigned`]). A refused assignment fails the ADD, and the
//! kubelet retries after its back-off, as with the VPC CNI.

pub mod pool;

use super::event::Event;
use super::ids::{NodeId, PodId};
use super::ipamd::pool::PoolStats;
use super::ipamd::Ipamds;
use super::kube::{Cni, NoAddress};
use super::lease::{Ipv4, Lease, Leased};
use super::record::{PodAddr, WaitCause};
use crate::engine::EventQueue;
use crate::scenario::{Ipv4Cidr, Latency, Scenario};
use crate::time::SimTime;
use pool::{Pool, Refusal};
use rand_chacha::ChaCha8Rng;
use std::collections::VecDeque;

/// One node's CNI side: the pods waiting for the IPAM lock and the one holding it.
struct CalicoNode {
    /// ADDs waiting for the lock, in arrival order.
    queue: VecDeque<PodId>,
    /// The pod whose assignment runs now (`None` when idle, or when it was cancelled).
    in_flight: Option<PodId>,
    /// An assignment event is pending (the lock is held).
    busy: bool,
    /// Addresses held by this node's pods (its own blocks' and borrowed ones).
    held: u32,
    /// Assignment latency draws.
    rng: ChaCha8Rng,
}

/// Run totals of Calico IPAM.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CalicoTotals {
    /// Blocks claimed over the run.
    pub blocks_claimed: u64,
    /// Addresses assigned from another host's block.
    pub borrowed: u64,
    /// Assignments that found no address.
    pub refused: u64,
    /// Most blocks claimed at once.
    pub peak_blocks: u32,
}

/// A CNI ADD's answer: the pod's lease, or why there is none.
pub type AddAnswer = Result<Lease, NoAddress>;

/// What one finished assignment did.
#[derive(Clone, Copy, Debug)]
pub struct Done {
    /// The pod, and its answer.
    pub answer: Option<(PodId, AddAnswer)>,
    /// The block it claimed, if it claimed one (with the node's block count after).
    pub claimed: Option<(Ipv4Cidr, u32)>,
}

/// Calico IPAM across the cluster.
pub struct Calico {
    /// The pool's blocks.
    pub pool: Pool,
    nodes: Vec<CalicoNode>,
    latency: Latency,
    /// Run totals.
    pub totals: CalicoTotals,
    /// The pool's availability changed for every host (`Pool::signature`).
    global_dirty: bool,
}

impl Calico {
    /// Calico for `sc` (its `ipam` says calico), with no node yet.
    pub fn new(sc: &Scenario) -> Calico {
        Calico {
            pool: Pool::new(&sc.ipam),
            nodes: Vec::new(),
            latency: sc.ipam.latency,
            totals: CalicoTotals::default(),
            global_dirty: false,
        }
    }

    /// A new node (ids in launch order) and its latency stream.
    pub fn add_node(&mut self, node: NodeId, name: &str, rng: ChaCha8Rng) {
        self.pool.add_host(node, name);
        self.nodes.push(CalicoNode {
            queue: VecDeque::new(),
            in_flight: None,
            busy: false,
            held: 0,
            rng,
        });
    }

    /// Whether the pool's availability changed for every host since the last call.
    pub fn take_global_dirty(&mut self) -> bool {
        std::mem::take(&mut self.global_dirty)
    }

    /// Runs `f` on the pool, noting a change of its availability signature.
    fn with_pool<T>(&mut self, f: impl FnOnce(&mut Pool) -> T) -> T {
        let before = self.pool.signature();
        let out = f(&mut self.pool);
        if self.pool.signature() != before {
            self.global_dirty = true;
        }
        out
    }

    /// Starts the head of `node`'s queue, if the lock is free.
    fn start_next(&mut self, now: SimTime, node: NodeId, queue: &mut EventQueue<Event>) {
        let n = &mut self.nodes[node.index()];
        if n.busy {
            return;
        }
        let Some(pod) = n.queue.pop_front() else {
            return;
        };
        n.in_flight = Some(pod);
        n.busy = true;
        let d = crate::model::ec2::draw(self.latency, &mut n.rng);
        queue.schedule(now + d, Event::CalicoAssigned(node));
    }

    /// The head's assignment ends: the address (or the refusal) for its pod, and the next
    /// ADD takes the lock.
    pub fn on_assigned(
        &mut self,
        now: SimTime,
        node: NodeId,
        queue: &mut EventQueue<Event>,
    ) -> Done {
        let n = &mut self.nodes[node.index()];
        n.busy = false;
        let pod = n.in_flight.take();
        let mut done = Done {
            answer: None,
            claimed: None,
        };
        if let Some(pod) = pod {
            let result = self.with_pool(|p| p.assign(node));
            let answer = match result {
                Ok(a) => {
                    self.nodes[node.index()].held += 1;
                    if a.claimed {
                        self.totals.blocks_claimed += 1;
                        self.totals.peak_blocks = self.totals.peak_blocks.max(self.pool.claimed());
                        let blocks = self.pool.host_blocks(node);
                        done.claimed = Some((self.pool.block_cidr(a.block), blocks));
                    }
                    if a.borrowed {
                        self.totals.borrowed += 1;
                    }
                    Ok(Lease::v4(None, Ipv4(a.addr)))
                }
                Err(why) => {
                    self.totals.refused += 1;
                    Err(self.no_address(node, why))
                }
            };
            done.answer = Some((pod, answer));
        }
        self.start_next(now, node, queue);
        done
    }

    fn no_address(&self, node: NodeId, _why: Refusal) -> NoAddress {
        let s = self.stats(node);
        NoAddress {
            card: None,
            available: s.available(),
            cooling: 0,
            total: s.total,
        }
    }

    /// A node's addresses as the per-node columns count them: `total` = its pods'
    /// addresses plus the free addresses of its affine blocks; `assigned` = its pods'.
    pub fn stats(&self, node: NodeId) -> PoolStats {
        let held = self.nodes[node.index()].held;
        PoolStats {
            total: held + self.pool.host_free(node),
            assigned: held,
            ..PoolStats::default()
        }
    }

    /// Why pods waiting on Ready `node` have no address now: the refusal an assignment
    /// would meet (whatever runs behind the lock, it cannot succeed); else an assignment
    /// runs or is queued behind the lock; else an address is there and the kubelet has not
    /// retried yet.
    pub fn wait_cause(&self, node: NodeId) -> WaitCause {
        let n = &self.nodes[node.index()];
        match self.pool.check(node) {
            Err(Refusal::BlockLimit) => WaitCause::BlockLimit,
            Err(Refusal::StrictAffinity) => WaitCause::StrictAffinity,
            Err(Refusal::PoolExhausted) => WaitCause::PoolExhausted,
            Ok(()) if n.busy || !n.queue.is_empty() => WaitCause::IpamAssigning,
            Ok(()) => WaitCause::KubeletRetry,
        }
    }

    /// The node is gone: its queue empties (its pods were deleted) and its blocks lose
    /// their affinity.
    pub fn remove_node(&mut self, node: NodeId) {
        let n = &mut self.nodes[node.index()];
        n.queue.clear();
        n.in_flight = None;
        self.with_pool(|p| p.remove_host(node));
    }
}

impl Cni for Calico {
    fn add(
        &mut self,
        now: SimTime,
        node: NodeId,
        pod: PodId,
        multi_nic: bool,
        queue: &mut EventQueue<Event>,
    ) -> Result<Lease, NoAddress> {
        // The assignment without its latency (the kubelet calls `start_add`).
        let _ = (now, pod, multi_nic, queue);
        match self.with_pool(|p| p.assign(node)) {
            Ok(a) => {
                self.nodes[node.index()].held += 1;
                Ok(Lease::v4(None, Ipv4(a.addr)))
            }
            Err(why) => Err(self.no_address(node, why)),
        }
    }

    fn start_add(
        &mut self,
        now: SimTime,
        node: NodeId,
        pod: PodId,
        _multi_nic: bool,
        queue: &mut EventQueue<Event>,
    ) -> Option<Result<Lease, NoAddress>> {
        self.nodes[node.index()].queue.push_back(pod);
        self.start_next(now, node, queue);
        None
    }

    fn cancel(&mut self, node: NodeId, pod: PodId) {
        let n = &mut self.nodes[node.index()];
        if n.in_flight == Some(pod) {
            n.in_flight = None;
        } else if let Some(i) = n.queue.iter().position(|&p| p == pod) {
            n.queue.remove(i);
        }
    }

    fn address(&self, _node: NodeId, lease: Lease) -> PodAddr {
        lease.address(|_| None)
    }

    fn del(
        &mut self,
        _now: SimTime,
        node: NodeId,
        _pod: PodId,
        lease: Lease,
        _queue: &mut EventQueue<Event>,
    ) {
        let n = &mut self.nodes[node.index()];
        n.held = n.held.saturating_sub(1);
        if let Leased::V4(addr) = lease.addr {
            self.with_pool(|p| p.release(addr.0));
        }
    }
}

/// The CNI the kubelets call: every node's VPC CNI ipamd, or Calico.
pub enum Plugin<'a> {
    /// The AWS VPC CNI.
    Vpc(&'a mut Ipamds),
    /// Calico IPAM.
    Calico(&'a mut Calico),
}

impl Cni for Plugin<'_> {
    fn add(
        &mut self,
        now: SimTime,
        node: NodeId,
        pod: PodId,
        multi_nic: bool,
        queue: &mut EventQueue<Event>,
    ) -> Result<Lease, NoAddress> {
        match self {
            Plugin::Vpc(c) => c.add(now, node, pod, multi_nic, queue),
            Plugin::Calico(c) => c.add(now, node, pod, multi_nic, queue),
        }
    }

    fn start_add(
        &mut self,
        now: SimTime,
        node: NodeId,
        pod: PodId,
        multi_nic: bool,
        queue: &mut EventQueue<Event>,
    ) -> Option<Result<Lease, NoAddress>> {
        match self {
            Plugin::Vpc(c) => c.start_add(now, node, pod, multi_nic, queue),
            Plugin::Calico(c) => c.start_add(now, node, pod, multi_nic, queue),
        }
    }

    fn serving(&self, node: NodeId) -> bool {
        match self {
            Plugin::Vpc(c) => c.serving(node),
            Plugin::Calico(c) => c.serving(node),
        }
    }

    fn lazy_retries(&self) -> bool {
        match self {
            Plugin::Vpc(c) => c.lazy_retries(),
            Plugin::Calico(c) => c.lazy_retries(),
        }
    }

    fn cancel(&mut self, node: NodeId, pod: PodId) {
        match self {
            Plugin::Vpc(c) => c.cancel(node, pod),
            Plugin::Calico(c) => c.cancel(node, pod),
        }
    }

    fn address(&self, node: NodeId, lease: Lease) -> PodAddr {
        match self {
            Plugin::Vpc(c) => c.address(node, lease),
            Plugin::Calico(c) => c.address(node, lease),
        }
    }

    fn del(
        &mut self,
        now: SimTime,
        node: NodeId,
        pod: PodId,
        lease: Lease,
        queue: &mut EventQueue<Event>,
    ) {
        match self {
            Plugin::Vpc(c) => c.del(now, node, pod, lease, queue),
            Plugin::Calico(c) => c.del(now, node, pod, lease, queue),
        }
    }
}
