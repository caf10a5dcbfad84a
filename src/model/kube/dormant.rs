//! Dormant retries: a waiting pod whose attempt cannot succeed sleeps through its kubelet's
//! retries until something on its node can change the answer.
//!
//! The eager kubelet retries every `backOffPeriod` × (1 + jitter) (`retries.rs`). On a VPC
//! CNI node a retry fails exactly while the node's wait cause (its `waits.csv` log) is not
//! `kubelet_retry` — no assignable address, ipamd not serving, or the node not Ready — and
//! it is classified under that cause. So between two changes of the node's log, every
//! retry fails the same way and only extends the pod's `no_ip` streak. A pod whose attempt
//! failed therefore keeps only its retry clock ([`Dormant`]): the next attempt's time, drawn
//! from its own counter-based positions. When the node's log changes — at an event that
//! touches the node, or at a change the log plans with no event (an address leaving its
//! cooldown, a back-off ending) — the pod's attempts before the change are counted
//! ([`Kube::settle`]) and its first attempt after it is scheduled as a real event "as of"
//! the attempt before it, ranked by pod, so it runs exactly where the eager retry would
//! have. Deletion, an overdue streak and the end of the run count the attempts so far.
//!
//! Counted attempts extend the streak (`count`, `until`) as the eager ones do; those of
//! the current instant are held like any failure and classified when the instant is over.
//! Outputs are byte-identical to the eager retries (`ModelOptions::lazy_retries: false`),
//! which tests compare on every shipped scenario and on random ones. Calico's ADDs (queued
//! behind a host-wide lock) and pods with a pod ENI keep eager retries.

use super::pods::Failure;
use super::retries::retry_rank;
use super::{Cni, Env, Kube, NoAddress};
use crate::engine::{EventQueue, Key};
use crate::model::event::Event;
use crate::model::ids::{NodeId, PodId};
use crate::model::nodes::Nodes;
use crate::model::record::{EventOrder, Recorder};
use crate::time::SimTime;

/// A sleeping pod's retry clock, kept with its node (a node's sleepers are looked at
/// together whenever its log changes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dormant {
    /// The pod.
    pod: PodId,
    /// Its creation number (its retry draws' place in the stream).
    seq: u64,
    /// Retry delays drawn for it so far (the pod's own count while it sleeps).
    attempts: u32,
    /// Its attempts are CNI ADDs that fail (they count); otherwise sandbox attempts on a
    /// node that is not Ready (they count nothing).
    failing: bool,
    /// The last attempt (run or counted): when the next one was scheduled.
    last: SimTime,
    /// The next attempt, not counted yet.
    next: SimTime,
    /// The pool as the pod last saw it (what a failure of the current instant records).
    why: NoAddress,
    /// The attempt a real retry event is scheduled for, and the attempt before it.
    real: Option<(SimTime, SimTime)>,
    /// Slept since the node's log was last looked at: its wake is not decided yet.
    fresh: bool,
}

/// What an update changed in a node's log of wait causes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogChange {
    /// The cause now differs from the cause before the event.
    pub now: bool,
    /// The cause now is `kubelet_retry` (an address is free: an attempt may succeed), or
    /// `ipamd_unavailable` (ipamd restarts: the first failure's pool has addresses leaving
    /// their cooldown with no event, so it is run rather than counted).
    pub wake_now: bool,
    /// The changes planned after now differ from those planned before.
    pub planned: bool,
    /// The first planned change after now to `kubelet_retry`, if any.
    pub next_free: Option<SimTime>,
}

/// Which attempt a wake is for.
#[derive(Clone, Copy, Debug)]
enum Bound {
    /// The first after the event with this key.
    After(Key),
    /// The first at or after this time.
    From(SimTime),
}

/// Whether an attempt at `time`, scheduled at `sched`, by `pod` comes before `k`.
fn before(time: SimTime, sched: SimTime, pod: PodId, k: Key) -> bool {
    (time, sched, retry_rank(pod)) < (k.time, k.sched, k.rank)
}

impl Kube {
    /// `pod`'s attempt on `node` failed now (with `why`: a CNI ADD that found no address;
    /// `None`: the node is not Ready): it retries later, as an event or dormant.
    pub(super) fn retry_later<R: Recorder, C: Cni>(
        &mut self,
        env: &mut Env<'_, R, C>,
        pod: PodId,
        node: NodeId,
        why: Option<NoAddress>,
    ) {
        let p = &self.pods[pod.index()];
        if !self.lazy_retries || !env.cni.lazy_retries() || p.pod_eni {
            return self.schedule_retry(env, pod, node);
        }
        let delay = self.delays.delay(p.seq, p.attempts);
        let p = &mut self.pods[pod.index()];
        p.retry_gen += 1;
        p.sleeping = true;
        let sleeper = Dormant {
            pod,
            seq: p.seq,
            attempts: p.attempts + 1,
            failing: why.is_some(),
            last: env.now,
            next: env.now + delay,
            why: why.unwrap_or(NoAddress {
                card: None,
                available: 0,
                cooling: 0,
                total: 0,
            }),
            real: None,
            fresh: true,
        };
        let n = &mut self.nodes[node.index()];
        n.dormant.push(sleeper);
        n.dormant_seen = None;
        self.touch(node);
    }

    /// Where `pod` sleeps: its node and its place in the node's list.
    fn sleeper(&self, pod: PodId) -> Option<(NodeId, usize)> {
        let p = &self.pods[pod.index()];
        if !p.sleeping {
            return None;
        }
        let node = p.node?;
        let i = self.nodes[node.index()]
            .dormant
            .iter()
            .position(|d| d.pod == pod)?;
        Some((node, i))
    }

    /// A real retry of a dormant pod is due (the event with key `k`): its attempts before
    /// it are counted, and it is awake.
    pub(super) fn wake_for_retry(
        &mut self,
        events: &mut EventOrder,
        nodes: &Nodes,
        pod: PodId,
        k: Key,
    ) {
        if let Some((node, i)) = self.sleeper(pod) {
            self.settle(events, nodes, node, i, k);
            self.undormant(node, i);
        }
    }

    /// The sleeper at `i` on `node` sleeps no more (it is retried, or deleted).
    fn undormant(&mut self, node: NodeId, i: usize) {
        let d = self.nodes[node.index()].dormant.swap_remove(i);
        let p = &mut self.pods[d.pod.index()];
        p.sleeping = false;
        p.attempts = d.attempts;
    }

    /// A dormant `pod` is deleted, or its streak ends early, at the event with key `k`: its
    /// attempts so far are counted; a deleted pod sleeps no more.
    pub(super) fn settle_now(
        &mut self,
        events: &mut EventOrder,
        nodes: &Nodes,
        pod: PodId,
        k: Key,
        deleted: bool,
    ) {
        if let Some((node, i)) = self.sleeper(pod) {
            self.settle(events, nodes, node, i, k);
            if deleted {
                self.undormant(node, i);
            }
        }
    }

    /// Counts the attempts before the event with key `k` of the sleeper at `i` on `node`.
    fn settle(&mut self, events: &mut EventOrder, nodes: &Nodes, node: NodeId, i: usize, k: Key) {
        let pod = self.nodes[node.index()].dormant[i].pod;
        loop {
            let d = &mut self.nodes[node.index()].dormant[i];
            if !before(d.next, d.last, pod, k) {
                break;
            }
            let at = d.next;
            d.last = at;
            d.next = at + self.delays.delay(d.seq, d.attempts);
            d.attempts += 1;
            if d.failing {
                let why = d.why;
                self.fail_at(events, nodes, pod, node, at, why);
            }
        }
        // a counted failure of an instant that is over has its cause now, while the node's
        // log still covers it (the pod's wait may end in this event)
        if self.pods[pod.index()]
            .failure
            .is_some_and(|f| f.at < k.time)
        {
            self.classify(events, nodes, pod, true);
        }
    }

    /// A counted failure at `at` (an instant before now, or now): as [`Kube::failed_add`]
    /// records a failure, with the held one of an earlier instant classified first.
    fn fail_at(
        &mut self,
        events: &mut EventOrder,
        nodes: &Nodes,
        pod: PodId,
        node: NodeId,
        at: SimTime,
        why: NoAddress,
    ) {
        if let Some(f) = &mut self.pods[pod.index()].failure {
            if f.at == at && f.node == node {
                f.count += 1;
                return;
            }
            self.classify(events, nodes, pod, true);
        }
        self.pods[pod.index()].failure = Some(Failure {
            node,
            at,
            count: 1,
            why,
        });
        self.unclassified.push(pod);
    }

    /// After the event with key `k` updated `node`'s log (`change`), with the pool as it is
    /// now (`why`): the sleepers the change concerns get a real retry at their first
    /// attempt after it; those whose next attempt is due now count it with the pool as it
    /// was. Attempts of instants that are over are counted later (they only extend the
    /// streak).
    #[allow(clippy::too_many_arguments)]
    pub fn wake_dormant(
        &mut self,
        events: &mut EventOrder,
        nodes: &Nodes,
        queue: &mut EventQueue<Event>,
        node: NodeId,
        k: Key,
        change: LogChange,
        why: NoAddress,
    ) {
        // nothing for them to see: the log and the pool as they were, no pod new to sleep
        let n = &mut self.nodes[node.index()];
        let why_changed = n.dormant_seen != Some(why);
        // (a pod new to sleep makes `why_changed`; on a Ready node every sleeper fails)
        let planned = change.planned && change.next_free.is_some_and(|t| t <= self.end);
        let now = change.now && (change.wake_now || !n.ready);
        if !(now || planned || why_changed) {
            return;
        }
        n.dormant_seen = Some(why);
        let mut i = 0;
        while i < self.nodes[node.index()].dormant.len() {
            if why_changed {
                // the attempts so far saw the pool as it was
                self.settle(events, nodes, node, i, k);
            }
            let d = &mut self.nodes[node.index()].dormant[i];
            let fresh = std::mem::replace(&mut d.fresh, false);
            d.why = why;
            // a failing pod's attempt can succeed only once an address is free; a pod on a
            // node that was not Ready retries at its first attempt after any change
            let bound = if !d.failing {
                change.now.then_some(Bound::After(k))
            } else if change.wake_now && (change.now || fresh) {
                Some(Bound::After(k))
            } else if fresh || change.planned {
                // a change after the run's end needs no wake (nor a walk to it)
                change.next_free.filter(|&t| t <= self.end).map(Bound::From)
            } else {
                None
            };
            if let Some(b) = bound {
                self.schedule_wake(queue, node, i, b);
            }
            i += 1;
        }
    }

    /// Schedules the real retry of the sleeper at `i` on `node` at its first attempt within
    /// `bound` (unless one is scheduled for an attempt as early).
    fn schedule_wake(
        &mut self,
        queue: &mut EventQueue<Event>,
        node: NodeId,
        i: usize,
        bound: Bound,
    ) {
        let d = self.nodes[node.index()].dormant[i];
        let pod = d.pod;
        if let (Some((at, sched)), Bound::From(t)) = (d.real, bound) {
            // the real retry is for an attempt before t, or for the first one at or after
            if at < t || sched < t {
                return;
            }
        }
        let (mut last, mut next, mut attempt) = (d.last, d.next, d.attempts);
        loop {
            let due = match bound {
                Bound::After(k) => !before(next, last, pod, k),
                Bound::From(t) => next >= t,
            };
            if due {
                break;
            }
            last = next;
            next = last + self.delays.delay(d.seq, attempt);
            attempt += 1;
        }
        // a real retry is exact whenever it runs: keep the earliest one asked for
        if d.real.is_some_and(|(r, _)| r <= next) {
            return;
        }
        self.nodes[node.index()].dormant[i].real = Some((next, last));
        let p = &mut self.pods[pod.index()];
        p.retry_gen += 1;
        let gen = p.retry_gen;
        queue.schedule_as_of(
            next,
            last,
            retry_rank(pod),
            Event::KubeletRetry { pod, gen },
        );
    }

    /// The run ends at `end`: every dormant pod counts its attempts up to `end` (the last
    /// instant's events all ran).
    pub fn settle_all(&mut self, events: &mut EventOrder, nodes: &Nodes, end: SimTime) {
        let k = Key {
            time: end,
            sched: SimTime(u64::MAX),
            rank: u64::MAX,
            seq: u64::MAX,
        };
        for n in 0..self.nodes.len() {
            let node = NodeId::from_index(n);
            for i in 0..self.nodes[n].dormant.len() {
                self.settle(events, nodes, node, i, k);
            }
        }
    }

    /// Whether pods sleep on `node`.
    pub fn has_dormant(&self, node: NodeId) -> bool {
        !self.nodes[node.index()].dormant.is_empty()
    }

    /// `pod`'s streak holds too many rows back (`EventOrder::overdue`). A dormant pod counts
    /// its attempts so far first: if its streak had ended already (another cause at a
    /// counted attempt), its row is now filled where it ended and nothing is cut; else the
    /// streak ends now (the next counted failure starts the next one, in the place its
    /// instant's end gives it).
    pub fn cut_overdue(
        &mut self,
        events: &mut EventOrder,
        nodes: &Nodes,
        queue: &mut EventQueue<Event>,
        pod: PodId,
    ) {
        let k = queue.current();
        if let Some((node, i)) = self.sleeper(pod) {
            let slot = |kube: &Kube| kube.pods[pod.index()].streak.map(|s| s.slot);
            let before = slot(self);
            self.settle(events, nodes, node, i, k);
            if slot(self) != before {
                return;
            }
        }
        self.cut_streak(events, nodes, pod);
    }

    /// Whether `pod` sleeps (tests).
    pub fn is_dormant(&self, pod: PodId) -> bool {
        self.pods[pod.index()].sleeping
    }
}
