//! Pods' streaks of failed CNI ADDs: the `no_ip` rows of `events.csv`.
//!
//! A failed CNI ADD is first held as the pod's [`Failure`] of its instant. When the instant
//! is over (the world calls [`Kube::classify_failures`] before the first event of a later
//! instant, and at the end of the run), its cause is read off the node's wait log — the log
//! `waits.csv` is cut from — so a `no_ip` row always names the cause of the pod's
//! `waits.csv` interval at that instant: one vocabulary, one story. Consecutive failures
//! with one cause on one node make one streak, recorded as one row stamped with its first
//! failure, in the place of `events.csv` reserved then ([`EventOrder::reserve`]).

use super::pods::{Failure, NoIpStreak};
use super::{Cni, Env, Kube, NoAddress};
use crate::model::ids::{NodeId, PodId};
use crate::model::nodes::Nodes;
use crate::model::record::{Draft, EventOrder, Fact, Recorder, StreakOwner};

impl Kube {
    /// `pod`'s CNI ADD on `node` failed now; its cause is decided when the instant is over.
    pub(super) fn failed_add<R: Recorder, C: Cni>(
        &mut self,
        env: &mut Env<'_, R, C>,
        pod: PodId,
        node: NodeId,
        why: NoAddress,
    ) {
        let now = env.now;
        if let Some(f) = &mut self.pods[pod.index()].failure {
            if f.at == now && f.node == node {
                f.count += 1;
                return;
            }
            // an earlier instant's, not classified yet
            self.classify(env.events, env.nodes, pod, true);
        }
        self.pods[pod.index()].failure = Some(Failure {
            node,
            at: now,
            count: 1,
            why,
        });
        self.unclassified.push(pod);
    }

    /// Gives the failed CNI ADDs of the instants that are over their cause, extending or
    /// starting the pods' streaks.
    pub fn classify_failures(&mut self, events: &mut EventOrder, nodes: &Nodes) {
        let mut pods = std::mem::take(&mut self.unclassified);
        // streaks that start at one instant take their places in the order the pods were
        // created, whatever order their attempts ran in
        let all = &self.pods;
        pods.sort_unstable_by_key(|p| all[p.index()].seq);
        for &pod in &pods {
            self.classify(events, nodes, pod, true);
        }
        pods.clear();
        self.unclassified = pods;
    }

    /// Classifies `pod`'s held failure, if any: when its instant is over (`ended`; a new
    /// streak's row then goes after the instant's rows, in pod creation order), or in the
    /// instant, as the pod's wait ends (the row goes where it is now).
    pub(super) fn classify(
        &mut self,
        events: &mut EventOrder,
        nodes: &Nodes,
        pod: PodId,
        ended: bool,
    ) {
        let Some(f) = self.pods[pod.index()].failure.take() else {
            return;
        };
        let cause = self.cause_at(pod, f.node, f.at);
        match &mut self.pods[pod.index()].streak {
            Some(s) if s.node == f.node && s.cause == cause => {
                s.count += f.count;
                s.last = f.at;
            }
            _ => {
                self.cut_streak(events, nodes, pod);
                self.pods[pod.index()].streak = Some(NoIpStreak {
                    node: f.node,
                    first: f.at,
                    last: f.at,
                    count: f.count,
                    why: f.why,
                    cause,
                    slot: if ended {
                        let seq = self.pods[pod.index()].seq;
                        events.reserve_end_of(StreakOwner::Pod(pod), f.at, seq)
                    } else {
                        events.reserve(StreakOwner::Pod(pod), f.at)
                    },
                });
            }
        }
    }

    /// Ends `pod`'s streak (its wait ended, or it moved): its held failure joins it first.
    pub(super) fn end_streak<R: Recorder, C: Cni>(&mut self, env: &mut Env<'_, R, C>, pod: PodId) {
        self.classify(env.events, env.nodes, pod, false);
        self.cut_streak(env.events, env.nodes, pod);
    }

    /// Records `pod`'s streak as it stands, if it has one, as one `no_ip` row in its
    /// reserved place; later failures start a new streak. The world also calls this for a
    /// streak that holds too many rows back ([`EventOrder::overdue`]).
    pub fn cut_streak(&mut self, events: &mut EventOrder, nodes: &Nodes, pod: PodId) {
        let p = &mut self.pods[pod.index()];
        let Some(s) = p.streak.take() else {
            return;
        };
        let fact = Fact::NoIp {
            pod,
            available: s.why.available,
            cooling: s.why.cooling,
            total: s.why.total,
            cause: s.cause,
            count: s.count,
            until: s.last,
        };
        let draft = Draft {
            time: s.first,
            node: Some(s.node),
            group: nodes.get(s.node).group,
            pod: Some(p.owner),
            fact,
            card: s.why.card,
        };
        events.fill(s.slot, draft);
    }
}
