//! Node autoscaling (a Cluster-Autoscaler-like loop) and explicit node launches: the
//! decisions. The world carries them out (launching and removing instances).
//!
//! - **Explicit launches** (`nodegroups[].launch`): `count` nodes of the group are launched at
//!   `at` ([`Event::NodeLaunch`]), whatever the autoscaler would do.
//! - **The autoscaler** runs only when some nodegroup has `autoscaling`: a pass every
//!   [`SCAN_INTERVAL`] (10 s) from t = 0 ([`Event::AutoscalerTick`]). Each pass first scales
//!   up, then scales down.
//! - **Scale-up**: pods unschedulable for at least the group's `scale_up_delay` need room.
//!   Nodes launched but not yet Ready absorb `max_pods − bound` pods each (their DaemonSet
//!   pods are already bound). For the rest, the first nodegroup in file order with
//!   `autoscaling` and room below `max` gets, in one burst, `ceil(rest / (max_pods −
//!   DaemonSets))` nodes, capped at `max`; what the cap leaves goes to the next such group.
//!   This is CA's expander reduced to a deterministic rule (CA's default `random` expander
//!   picks among groups that fit at random).
//! - **Karpenter** (`provisioner: karpenter`): a pass every second batches pending pods
//!   (until none arrived for a second, at most 10 s) and launches nodes bound at once to
//!   those pods ([`Autoscaler::karpenter_pass`]); scale-down is the same as below.
//! - **Scale-down**: a Ready node whose pods are all DaemonSet pods is "unneeded" from the
//!   first pass that sees it so (CA's unneeded-since); after `scale_down_after` it is removed
//!   at a pass, never below `min`, newest node first, at most [`MAX_EMPTY_BULK_DELETE`] nodes
//!   per pass across the cluster (CA's `--max-empty-bulk-delete`).

use super::event::Event;
use super::ids::{GroupId, NodeId};
use super::kube::Kube;
use super::nodes::Nodes;
use super::record::{Fact, PodState};
use crate::engine::EventQueue;
use crate::scenario::autoscaling::{
    Provisioner, KARPENTER_BATCH_MAX, KARPENTER_PASS, MAX_EMPTY_BULK_DELETE, SCAN_INTERVAL,
};
use crate::scenario::Scenario;
use crate::time::SimTime;

/// Node counts for the summary, kept as nodes come and go.
#[derive(Clone, Debug, Default)]
pub struct ScalingTotals {
    /// Nodes that exist now (launched and not removed; a node whose launch failed counts:
    /// the autoscaler sees it as its group's, as Cluster Autoscaler sees a requested one).
    pub live: u32,
    /// Launches that found no free address (never removed, so part of `live` for good).
    pub failed: u32,
    /// Most nodes that existed at once, failed launches left out.
    pub peak: u32,
    /// Nodes launched after setup: by the autoscaler or by `launch` entries.
    pub added: u32,
    /// Nodes removed by scale-down.
    pub removed: u32,
    /// Live nodes per nodegroup (scenario order).
    pub group_live: Vec<u32>,
}

/// One scale-up decision: launch `count` nodes of `group`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScaleUp {
    /// The group.
    pub group: GroupId,
    /// Nodes to launch.
    pub count: u32,
    /// The fact to record (`scale_up`).
    pub fact: Fact,
}

/// The autoscaler's state: node counts, and since when each node has been unneeded.
#[derive(Default)]
pub struct Autoscaler {
    /// Node counts.
    pub totals: ScalingTotals,
    /// Since when the autoscaler has seen each Ready node hold only DaemonSet pods (set at
    /// the first pass that finds it so, as CA's "unneeded since"); `None` otherwise.
    empty_since: Vec<Option<SimTime>>,
    /// Some nodegroup has `autoscaling`.
    active: bool,
    /// Some nodegroup's provisioner is Karpenter.
    karpenter: bool,
    /// When Karpenter's open batch of pending pods began.
    batch_start: Option<SimTime>,
}

/// Karpenter's launch for one nodegroup: `nodes` new nodes, each bound at once to up to
/// `per_node` of the oldest pending pods.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KarpenterLaunch {
    /// The group.
    pub group: GroupId,
    /// Nodes to launch.
    pub nodes: u32,
    /// Pods to bind to each (`max_pods` − DaemonSets).
    pub per_node: u32,
    /// The fact to record (`scale_up`).
    pub fact: Fact,
}

impl Autoscaler {
    /// Called once the t = 0 nodes exist: counts them, schedules the explicit launches and,
    /// if some nodegroup has `autoscaling`, the first pass at t = 0.
    pub fn new(sc: &Scenario, nodes: &Nodes, queue: &mut EventQueue<Event>) -> Autoscaler {
        let mut group_live = vec![0; sc.nodegroups.len()];
        for (_, n) in nodes.iter() {
            group_live[n.group.index()] += 1;
        }
        let failed = nodes.iter().filter(|(_, n)| n.primary_ip.is_none()).count() as u32;
        for (g, spec) in sc.nodegroups.iter().enumerate() {
            for entry in 0..spec.launches.len() {
                let ev = Event::NodeLaunch {
                    group: GroupId::from_index(g),
                    entry: entry as u32,
                };
                queue.schedule(spec.launches[entry].at, ev);
            }
        }
        let active = sc.nodegroups.iter().any(|g| g.autoscaling.is_some());
        if active {
            queue.schedule(SimTime::ZERO, Event::AutoscalerTick);
        }
        let karpenter = sc.nodegroups.iter().any(|g| {
            g.autoscaling
                .as_ref()
                .is_some_and(|a| a.provisioner == Provisioner::Karpenter)
        });
        if karpenter {
            queue.schedule(SimTime::ZERO, Event::ProvisionerTick);
        }
        Autoscaler {
            totals: ScalingTotals {
                live: nodes.len() as u32,
                failed,
                peak: nodes.len() as u32 - failed,
                group_live,
                ..ScalingTotals::default()
            },
            empty_since: vec![None; nodes.len()],
            active,
            karpenter,
            batch_start: None,
        }
    }

    /// `count` nodes of `group` were launched after setup (their failed launches already
    /// counted by [`Autoscaler::launch_failed`]).
    pub fn added(&mut self, group: GroupId, count: u32) {
        let s = &mut self.totals;
        s.group_live[group.index()] += count;
        s.live += count;
        s.added += count;
        s.peak = s.peak.max(s.live - s.failed);
    }

    /// A launch after setup found no free address (those at t = 0 are counted by
    /// [`Autoscaler::new`], from the nodes without a primary address).
    pub fn launch_failed(&mut self) {
        self.totals.failed += 1;
    }

    /// A node was launched (any time): its unneeded-since slot.
    pub fn track(&mut self, node: NodeId) {
        if self.empty_since.len() <= node.index() {
            self.empty_since.resize(node.index() + 1, None);
        }
    }

    /// A node of `group` was removed.
    pub fn removed(&mut self, group: GroupId, node: NodeId) {
        let s = &mut self.totals;
        s.group_live[group.index()] -= 1;
        s.live -= 1;
        s.removed += 1;
        self.empty_since[node.index()] = None;
    }

    /// The next pass, 10 s from now.
    pub fn reschedule(&self, now: SimTime, queue: &mut EventQueue<Event>) {
        if self.active {
            queue.schedule(now + SCAN_INTERVAL, Event::AutoscalerTick);
        }
    }

    /// Karpenter's next pass, a second from now.
    pub fn reschedule_karpenter(&self, now: SimTime, queue: &mut EventQueue<Event>) {
        if self.karpenter {
            queue.schedule(now + KARPENTER_PASS, Event::ProvisionerTick);
        }
    }

    /// Karpenter's pass: while pods keep arriving (one joined the unschedulable queue in
    /// the last second) and the batch is younger than 10 s, wait; then launch, for the
    /// pending pods in arrival order, nodes of the Karpenter groups in file order
    /// (`ceil(pending / (max_pods − DaemonSets))`, capped at `max`), each bound at once to
    /// its share of the pods. The nodegroup's instance type stands for the one Karpenter
    /// would pick.
    pub fn karpenter_pass(
        &mut self,
        now: SimTime,
        sc: &Scenario,
        kube: &Kube,
    ) -> Vec<KarpenterLaunch> {
        let mut out = Vec::new();
        let pending = kube
            .pending()
            .filter(|p| p.state == PodState::Unschedulable)
            .count() as u32;
        if pending == 0 {
            self.batch_start = None;
            return out;
        }
        let start = *self.batch_start.get_or_insert(now);
        let arriving = kube
            .last_queued
            .is_some_and(|t| now.since(t) < KARPENTER_PASS);
        if arriving && now.since(start) < KARPENTER_BATCH_MAX {
            return out;
        }
        self.batch_start = None;
        let daemonsets = sc.daemonsets.len() as u32;
        let mut rest = pending;
        for (g, spec) in sc.nodegroups.iter().enumerate() {
            let Some(auto) = spec
                .autoscaling
                .as_ref()
                .filter(|a| a.provisioner == Provisioner::Karpenter)
            else {
                continue;
            };
            let per_node = spec.max_pods.saturating_sub(daemonsets);
            if rest == 0 || per_node == 0 {
                continue;
            }
            let before = self.totals.group_live[g];
            let wanted = rest.div_ceil(per_node);
            let n = wanted.min(auto.max.saturating_sub(before));
            if n == 0 {
                continue;
            }
            out.push(KarpenterLaunch {
                group: GroupId::from_index(g),
                nodes: n,
                per_node,
                fact: Fact::ScaleUp {
                    count: n,
                    before,
                    waiting: rest,
                    delay: now.since(start),
                    absorbed: 0,
                    capped: n < wanted,
                    karpenter: true,
                },
            });
            rest = rest.saturating_sub(n.saturating_mul(per_node));
        }
        out
    }

    /// Scale-up decisions of a pass, in group order. Each group's `before` is its size
    /// before this pass; `absorbed` accumulates what earlier groups' new nodes take.
    pub fn scale_up(
        &self,
        now: SimTime,
        sc: &Scenario,
        kube: &Kube,
        nodes: &Nodes,
    ) -> Vec<ScaleUp> {
        let mut out = Vec::new();
        if kube.pending().next().is_none() {
            return out;
        }
        let mut absorbed = provisioning_capacity(kube, nodes);
        let daemonsets = sc.daemonsets.len() as u32;
        for (g, spec) in sc.nodegroups.iter().enumerate() {
            let Some(auto) = spec
                .autoscaling
                .as_ref()
                .filter(|a| a.provisioner == Provisioner::ClusterAutoscaler)
            else {
                continue;
            };
            let waiting = kube
                .pending()
                .filter(|p| {
                    p.state == PodState::Unschedulable
                        && now.since(p.created) >= auto.scale_up_delay
                })
                .count() as u32;
            let need = waiting.saturating_sub(absorbed);
            let per_node = spec.max_pods.saturating_sub(daemonsets);
            if need == 0 || per_node == 0 {
                continue;
            }
            let before = self.totals.group_live[g];
            let room = auto.max.saturating_sub(before);
            let wanted = need.div_ceil(per_node);
            let n = wanted.min(room);
            if n == 0 {
                continue;
            }
            out.push(ScaleUp {
                group: GroupId::from_index(g),
                count: n,
                fact: Fact::ScaleUp {
                    count: n,
                    before,
                    waiting,
                    delay: auto.scale_up_delay,
                    absorbed,
                    capped: n < wanted,
                    karpenter: false,
                },
            });
            absorbed = absorbed.saturating_add(n * per_node);
        }
        out
    }

    /// Scale-down decisions of a pass: marks which Ready nodes hold only DaemonSet pods,
    /// then returns the nodes unneeded for `scale_down_after` to remove (with since when),
    /// newest first, keeping `min` per group and at most [`MAX_EMPTY_BULK_DELETE`] in all.
    pub fn scale_down(
        &mut self,
        now: SimTime,
        sc: &Scenario,
        kube: &Kube,
        nodes: &Nodes,
    ) -> Vec<(NodeId, SimTime)> {
        let daemonsets = sc.daemonsets.len() as u32;
        for (id, _) in nodes.iter().filter(|(_, n)| !n.removed) {
            let k = kube.node(id);
            let slot = &mut self.empty_since[id.index()];
            if k.ready && k.bound <= daemonsets {
                slot.get_or_insert(now);
            } else {
                *slot = None;
            }
        }
        let mut out = Vec::new();
        let mut budget = MAX_EMPTY_BULK_DELETE;
        let mut live = self.totals.group_live.clone();
        for (g, spec) in sc.nodegroups.iter().enumerate() {
            let Some(auto) = &spec.autoscaling else {
                continue;
            };
            for (id, n) in nodes.iter().rev() {
                if budget == 0 || live[g] <= auto.min {
                    break;
                }
                let unneeded =
                    self.empty_since[id.index()].filter(|&t| now.since(t) >= auto.scale_down_after);
                if n.group.index() == g && !n.removed {
                    if let Some(since) = unneeded {
                        out.push((id, since));
                        live[g] -= 1;
                        budget -= 1;
                    }
                }
            }
        }
        out
    }
}

/// Pods the nodes still booting will take: `max_pods − bound` on each live node that is
/// not Ready and whose instance got an address.
fn provisioning_capacity(kube: &Kube, nodes: &Nodes) -> u32 {
    nodes
        .iter()
        .filter(|(id, n)| !n.removed && !kube.node(*id).ready && n.primary_ip.is_some())
        .map(|(id, _)| {
            let k = kube.node(id);
            k.max_pods.saturating_sub(k.bound)
        })
        .sum()
}
