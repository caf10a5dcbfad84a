//! Replica counts over time, scale-in, pod deletes and node removal.

use super::pods::Owner;
use super::{owner_name, pod_name, Cni, Env, Kube};
use crate::model::ids::{NodeId, PodId, WorkloadId};
use crate::model::record::{PodRecord, PodState, Recorder};
use crate::time::SimTime;

impl Kube {
    /// A workload's replica count changes: new pods are created (and scheduled), or the
    /// surplus is deleted.
    pub fn on_workload_step<R: Recorder, C: Cni>(
        &mut self,
        env: &mut Env<'_, R, C>,
        w: WorkloadId,
        step: u32,
    ) {
        let spec = &env.sc.workloads[w.index()];
        let desired = spec.steps[step as usize].1 as usize;
        let host_network = spec.host_network;
        let current = self.workload_pods[w.index()].len();
        if desired > current {
            for _ in current..desired {
                let ordinal = self.workload_next[w.index()];
                self.workload_next[w.index()] += 1;
                let pod = self.new_pod(env.now, Owner::Workload(w, ordinal), host_network);
                self.workload_pods[w.index()].push(pod);
                self.schedule_or_queue(env, pod);
            }
        } else if desired < current {
            self.scale_in(env, w, current - desired);
        }
    }

    /// Deletes `count` pods of a workload, ranked as the ReplicaSet controller does:
    /// unscheduled first, then not yet running (waiting for an IP), then running;
    /// newest first within each class.
    fn scale_in<R: Recorder, C: Cni>(
        &mut self,
        env: &mut Env<'_, R, C>,
        w: WorkloadId,
        count: usize,
    ) {
        let mut ranked: Vec<(u8, std::cmp::Reverse<u64>, PodId)> = self.workload_pods[w.index()]
            .iter()
            .map(|&p| {
                let pod = &self.pods[p.index()];
                let class = match pod.state {
                    PodState::Unschedulable => 0,
                    PodState::WaitingIp => 1,
                    _ => 2,
                };
                (class, std::cmp::Reverse(pod.seq), p)
            })
            .collect();
        ranked.sort_unstable();
        let victims: Vec<PodId> = ranked.iter().take(count).map(|&(.., p)| p).collect();
        for &pod in &victims {
            self.delete_pod(env, pod);
        }
        let pods = &self.pods;
        self.workload_pods[w.index()].retain(|&p| pods[p.index()].state != PodState::Deleted);
        self.drain_pending(env);
    }

    /// Deletes a pod: its slot frees and its IP goes back to the CNI, which lets it cool
    /// (§d.2).
    pub(super) fn delete_pod<R: Recorder, C: Cni>(&mut self, env: &mut Env<'_, R, C>, pod: PodId) {
        let k = env.queue.current();
        self.settle_now(env.events, env.nodes, pod, k, true);
        if matches!(
            self.pods[pod.index()].state,
            PodState::Unschedulable | PodState::WaitingIp
        ) {
            if let Some(node) = self.pods[pod.index()].node {
                env.cni.cancel(node, pod);
            }
            self.end_wait(env, pod, env.now);
        }
        if let Some(node) = self.pods[pod.index()].node {
            self.touch(node);
            let was = self.eligible_for(node);
            let n = &mut self.nodes[node.index()];
            let old_bound = n.bound;
            n.bound -= 1;
            let seq = self.pods[pod.index()].seq;
            if let Ok(i) = n.pods.binary_search(&(seq, pod)) {
                n.pods.remove(i);
            }
            if self.pods[pod.index()].pod_eni {
                // the branch ENI goes back to the controller, not to ipamd's pool
                self.pods[pod.index()].ip = None;
                self.pod_eni_unbound(pod, node);
            }
            self.reindex_node(node, old_bound, was);
            if let Some(ip) = self.pods[pod.index()].ip.take() {
                env.cni.del(env.now, node, pod, ip, env.queue);
            }
        }
        self.end_streak(env, pod);
        let p = &mut self.pods[pod.index()];
        p.deleted = Some(env.now);
        p.retry_gen += 1;
        self.set_state(env.now, pod, PodState::Deleted);
        self.record(env, pod, env.now);
        self.free.push(pod);
    }

    /// Writes a pod's record (`pods.csv`) and adds it to the totals; `end` is the end of
    /// the run for a pod still alive.
    fn record<R: Recorder, C: Cni>(&mut self, env: &mut Env<'_, R, C>, pod: PodId, end: SimTime) {
        let p = &self.pods[pod.index()];
        let record = PodRecord {
            id: pod,
            seq: p.seq,
            name: pod_name(env.sc, env.nodes, p),
            workload: owner_name(env.sc, p),
            node: p.node.map(|n| env.nodes.get(n).name.as_str()),
            host_network: p.host_network,
            daemonset: p.is_daemonset(),
            created: p.created,
            scheduled: p.scheduled,
            ip_assigned: p.ip_assigned,
            deleted: p.deleted,
            ip: p.last_ip.zip(p.node).map(|(ip, n)| env.cni.address(n, ip)),
            state: p.state,
        };
        env.rec.pod(&record);
        self.totals.pods.add(&record, end);
    }

    /// Records the pods alive at the end of the run (`end`), in creation order.
    pub fn record_live<R: Recorder, C: Cni>(&mut self, env: &mut Env<'_, R, C>, end: SimTime) {
        let mut live: Vec<(u64, PodId)> = self
            .pods
            .iter()
            .enumerate()
            .filter(|(_, p)| p.state != PodState::Deleted)
            .map(|(i, p)| (p.seq, PodId::from_index(i)))
            .collect();
        live.sort_unstable();
        for &(_, pod) in &live {
            self.end_streak(env, pod);
        }
        for &(_, pod) in &live {
            if matches!(
                self.pods[pod.index()].state,
                PodState::Unschedulable | PodState::WaitingIp
            ) {
                self.end_wait(env, pod, end);
            }
        }
        for (_, pod) in live {
            self.record(env, pod, end);
        }
    }

    fn eligible_for(&self, node: NodeId) -> bool {
        let n = &self.nodes[node.index()];
        n.ready && !n.removed && n.bound < n.max_pods
    }

    /// The node's instance is terminated: it leaves the scheduler and every pod bound to it
    /// is deleted (their addresses go back with the instance).
    pub fn remove_node<R: Recorder, C: Cni>(&mut self, env: &mut Env<'_, R, C>, node: NodeId) {
        let was = self.eligible_for(node);
        let n = &mut self.nodes[node.index()];
        let bound = n.bound;
        n.ready = false;
        n.removed = true;
        if was {
            self.reindex_node(node, bound, true);
        }
        while let Some(&(_, pod)) = self.nodes[node.index()].pods.first() {
            self.delete_pod(env, pod);
        }
    }
}
