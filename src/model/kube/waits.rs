//! Pods' waits, cut into intervals by cause (`waits.csv`).
//!
//! Before binding a pod waits as `unschedulable`. Once bound, its cause is the node's: each
//! node with waiting pods keeps a log of `(from, cause)` changes, updated after every event
//! that touches the node (the world asks the node's ipamd for its [`wait plan`], which
//! also holds the changes that come with time alone). When a pod's wait ends — it got an
//! IP or, on host network, was bound; it was deleted; the run ended — its intervals are
//! read off the log and recorded together, and the totals by cause grow. The log keeps
//! only what the node's oldest waiting pod still needs.
//!
//! [`wait plan`]: crate::model::ipamd::NodeIpamd::wait_plan

use super::{pod_name, Cni, Env, Kube};
use crate::model::ids::{NodeId, PodId};
use crate::model::record::{CauseChange, Recorder, WaitCause, WaitRecord};
use crate::time::SimTime;
use std::collections::VecDeque;

/// One node's waiting pods and the log of its causes.
#[derive(Debug, Default)]
pub struct NodeWaits {
    /// Pods bound here and waiting for an IP, in binding order, with their binding time.
    waiting: Vec<(SimTime, PodId)>,
    /// Cause changes in time order; the last one holds until the next.
    log: VecDeque<CauseChange>,
    /// On a node with several managed network cards, the causes of multi-homed pods
    /// (one address per card), which can differ from the others' (empty elsewhere).
    homed: VecDeque<CauseChange>,
    /// Queued for a cause update at the end of the event.
    dirty: bool,
}

impl NodeWaits {
    /// Whether a pod waits here.
    pub fn any(&self) -> bool {
        !self.waiting.is_empty()
    }
}

/// Pod-seconds waited, by cause (µs per [`WaitCause::ALL`] index).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WaitTotals {
    /// µs waited per cause, indexed by [`WaitCause::index`].
    pub us: [u64; WaitCause::ALL.len()],
}

impl WaitTotals {
    /// Pod-seconds waited for `cause`.
    pub fn seconds(&self, cause: WaitCause) -> f64 {
        self.us[cause.index()] as f64 / 1e6
    }
}

impl Kube {
    /// Starts loading node `node`'s and pod `pod`'s state, which the next event reads
    /// ([`crate::engine::prefetch`]).
    pub fn prefetch(&self, node: Option<NodeId>, pod: Option<PodId>) {
        use crate::engine::prefetch::prefetch_whole;
        if let Some(n) = node.and_then(|n| self.nodes.get(n.index())) {
            prefetch_whole(n);
        }
        if let Some(p) = pod.and_then(|p| self.pods.get(p.index())) {
            prefetch_whole(p);
        }
    }

    /// Starts loading the record of the slot a new pod will reuse, and returns the node the
    /// scheduler would pick now ([`Kube::scheduler_pick`]), for the caller to load.
    pub fn prefetch_arrival(&self) -> Option<NodeId> {
        if let Some(p) = self.free.last().and_then(|p| self.pods.get(p.index())) {
            crate::engine::prefetch::prefetch_whole(p);
        }
        self.scheduler_pick()
    }

    /// The node pod `pod` is bound to, if any (for a prefetch hint: no check of the pod's
    /// life).
    pub fn pod_node(&self, pod: PodId) -> Option<NodeId> {
        self.pods.get(pod.index()).and_then(|p| p.node)
    }

    /// Queues `node` for a cause update at the end of the event.
    pub fn touch(&mut self, node: NodeId) {
        let w = &mut self.nodes[node.index()].waits;
        if !w.dirty {
            w.dirty = true;
            self.dirty.push(node);
        }
    }

    /// The nodes touched since the last call, each once (the world updates the causes of
    /// those with waiting pods, then calls [`Kube::set_wait_plan`]).
    pub fn take_touched(&mut self, out: &mut Vec<NodeId>) {
        out.clear();
        out.append(&mut self.dirty);
        for &n in out.iter() {
            self.nodes[n.index()].waits.dirty = false;
        }
    }

    /// Whether pods wait for an IP on `node`.
    pub fn has_waiting(&self, node: NodeId) -> bool {
        self.nodes[node.index()].waits.any()
    }

    /// The node's causes from `now` on (`plan`, the first at `now`): the log's changes at
    /// or after `now` are replaced. Returns what changed from `now` on.
    pub fn set_wait_plan(
        &mut self,
        node: NodeId,
        now: SimTime,
        plan: &[CauseChange],
    ) -> super::LogChange {
        apply_plan(&mut self.nodes[node.index()].waits.log, now, plan)
    }

    /// The causes of multi-homed pods on a node with several managed cards, from `now` on
    /// (as [`Kube::set_wait_plan`]).
    pub fn set_homed_wait_plan(&mut self, node: NodeId, now: SimTime, plan: &[CauseChange]) {
        apply_plan(&mut self.nodes[node.index()].waits.homed, now, plan);
    }

    /// The log that names `pod`'s causes on `node`: the multi-homed pods' on a node that
    /// keeps one, else the node's.
    fn log_of(&self, pod: PodId, node: NodeId) -> &VecDeque<CauseChange> {
        let w = &self.nodes[node.index()].waits;
        if self.pods[pod.index()].multi_nic && !w.homed.is_empty() {
            &w.homed
        } else {
            &w.log
        }
    }

    /// The cause of `pod`'s wait on `node` at `t`, as its `waits.csv` interval there names
    /// it: the node's log at `t` (its last change at or before `t`), seen through the pod's
    /// branch ENI for a pod with a pod ENI, as [`Kube::end_wait`] cuts it.
    pub(super) fn cause_at(&self, pod: PodId, node: NodeId, t: SimTime) -> WaitCause {
        let log = self.log_of(pod, node);
        // a waiting pod's node log covers its binding; a pod bound and failed within one
        // instant whose wait also ended in it has only the log's first change
        let cause = log
            .iter()
            .rev()
            .find(|c| c.from <= t)
            .or(log.front())
            .map_or(WaitCause::NodeNotReady, |c| c.cause);
        let p = &self.pods[pod.index()];
        if !p.pod_eni {
            return cause;
        }
        match cause {
            WaitCause::NodeNotReady | WaitCause::IpamdUnavailable => cause,
            _ if p.branch.is_some_and(|b| b.at <= t) => WaitCause::KubeletRetry,
            _ => WaitCause::BranchEni,
        }
    }

    /// Pods bound to a node and waiting for an IP at `t`, counted by the cause their
    /// `waits.csv` interval at `t` names (indexed by [`WaitCause::index`]).
    pub fn waiting_by_cause(&self, t: SimTime) -> [u32; WaitCause::ALL.len()] {
        let mut out = [0; WaitCause::ALL.len()];
        for (i, n) in self.nodes.iter().enumerate() {
            for &(_, pod) in &n.waits.waiting {
                out[self.cause_at(pod, NodeId::from_index(i), t).index()] += 1;
            }
        }
        out
    }

    /// A pod-network pod now waits on `node` (bound at `now`).
    pub(super) fn start_node_wait(&mut self, node: NodeId, pod: PodId, now: SimTime) {
        self.nodes[node.index()].waits.waiting.push((now, pod));
        self.touch(node);
    }

    /// The pod's wait ends at `end`: its intervals are recorded and added to the totals.
    pub(super) fn end_wait<R: Recorder, C: Cni>(
        &mut self,
        env: &mut Env<'_, R, C>,
        pod: PodId,
        end: SimTime,
    ) {
        let p = &self.pods[pod.index()];
        let name = pod_name(env.sc, env.nodes, p);
        let bound = p.scheduled.map_or(end, |t| t.min(end));
        let totals = &mut self.totals.waits;
        let mut emit = |node: Option<&str>, cause: WaitCause, start: SimTime, stop: SimTime| {
            if stop > start {
                totals.us[cause.index()] += stop.since(start).micros();
                env.rec.wait(&WaitRecord {
                    pod: name,
                    node,
                    cause,
                    start,
                    end: stop,
                });
            }
        };
        emit(None, WaitCause::Unschedulable, p.created, bound);
        let Some(node) = p.node else {
            return;
        };
        // A pod with a pod ENI waits for its branch ENI, then for the kubelet's next CNI ADD
        // — unless the node's ipamd does not serve, which the node's log says.
        let branch_at = p
            .pod_eni
            .then(|| p.branch.map_or(end, |b| b.at.clamp(bound, end)));
        let w = &mut self.nodes[node.index()].waits;
        let Some(i) = w.waiting.iter().position(|&(_, q)| q == pod) else {
            return;
        };
        w.waiting.remove(i);
        let node_name = env.nodes.get(node).name.as_str();
        let homed = self.pods[pod.index()].multi_nic && !w.homed.is_empty();
        let log = if homed { &w.homed } else { &w.log };
        // a pod-ENI pod's pieces, coalesced: (cause, start, end) not yet emitted
        let mut open: Option<(WaitCause, SimTime, SimTime)> = None;
        for (k, &CauseChange { from, cause }) in log.iter().enumerate() {
            let to = log.get(k + 1).map_or(end, |c| c.from.min(end));
            let start = from.max(bound);
            if start >= end {
                break;
            }
            let Some(annotated) = branch_at else {
                emit(Some(node_name), cause, start, to);
                continue;
            };
            let pieces = match cause {
                WaitCause::NodeNotReady | WaitCause::IpamdUnavailable => {
                    [(cause, start, to), (cause, to, to)]
                }
                _ => [
                    (WaitCause::BranchEni, start, to.min(annotated)),
                    (WaitCause::KubeletRetry, start.max(annotated), to),
                ],
            };
            for (c, a, b) in pieces {
                if b <= a {
                    continue;
                }
                open = match open {
                    Some((oc, os, oe)) if oc == c && oe == a => Some((oc, os, b)),
                    Some((oc, os, oe)) => {
                        emit(Some(node_name), oc, os, oe);
                        Some((c, a, b))
                    }
                    None => Some((c, a, b)),
                };
            }
        }
        if let Some((c, a, b)) = open {
            emit(Some(node_name), c, a, b);
        }
        debug_assert!(
            log.front().is_some_and(|c| c.from <= bound) || bound >= end,
            "a waiting pod's node log covers its binding"
        );
        // keep what the oldest waiting pod still needs
        match w.waiting.first() {
            None => {
                w.log.clear();
                w.homed.clear();
            }
            Some(&(oldest, _)) => {
                for log in [&mut w.log, &mut w.homed] {
                    while log.len() >= 2 && log[1].from <= oldest {
                        log.pop_front();
                    }
                }
            }
        }
    }
}

/// Replaces `log`'s changes at or after `now` with `plan` (the first at `now`); returns
/// what changed from `now` on.
fn apply_plan(
    log: &mut VecDeque<CauseChange>,
    now: SimTime,
    plan: &[CauseChange],
) -> super::LogChange {
    // the cause at now and the changes planned after it, before
    let before_now = log.iter().rev().find(|c| c.from <= now).map(|c| c.cause);
    let old_future = log.iter().rev().take_while(|c| c.from > now).count();
    let start = log.len() - old_future;
    let planned_same = plan.iter().filter(|c| c.from > now).count() == old_future
        && plan
            .iter()
            .filter(|c| c.from > now)
            .zip(log.range(start..))
            .all(|(a, b)| a == b);
    while log.back().is_some_and(|c| c.from >= now) {
        log.pop_back();
    }
    for &change in plan {
        if log.back().is_none_or(|c| c.cause != change.cause) {
            log.push_back(change);
        }
    }
    let after_now = log.iter().rev().find(|c| c.from <= now).map(|c| c.cause);
    let free = |c: &CauseChange| c.cause == WaitCause::KubeletRetry;
    super::LogChange {
        now: before_now != after_now,
        wake_now: matches!(
            after_now,
            Some(WaitCause::KubeletRetry | WaitCause::IpamdUnavailable)
        ),
        planned: !planned_same,
        // the changes after now are the log's tail (it is in time order)
        next_free: log
            .iter()
            .rev()
            .take_while(|c| c.from > now)
            .filter(|c| free(c))
            .last()
            .map(|c| c.from),
    }
}
