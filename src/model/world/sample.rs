//! Samples (timeline, nodes, subnets) after every instant's changes, and the pod records
//! written at the end of the run.

use super::World;
use crate::engine::Watch;
use crate::model::record::{
    BlockRow, ClusterMetricsRow, NodeMetricsRow, NodeRow, Recorder, SubnetRow, TimelineRow,
};
use crate::time::SimTime;

impl<R: Recorder> World<R> {
    /// Writes one sample of every live node, every subnet and the cluster, and updates the
    /// summary's sampled figures. Asks `watch` before each node's row and stops half-way
    /// when the run is being stopped (it is then abandoned).
    pub(super) fn take_sample(&mut self, now: SimTime, watch: &mut Watch<'_>) {
        let (unschedulable, waiting, running) = self.kube.counts();
        let metrics = self.recorder.wants_metrics();
        let mut row = TimelineRow {
            time: now,
            nodes: 0,
            pods_unschedulable: unschedulable,
            pods_waiting_ip: waiting,
            pods_running: running,
            pods_total: unschedulable + waiting + running,
            ec2_calls: self.ec2.total_calls(),
            ec2_throttled: self.ec2.total_throttled(),
            ..TimelineRow::default()
        };
        for (id, node) in self.nodes.iter().filter(|(_, n)| !n.removed) {
            if !watch.go_on(now) {
                return;
            }
            let ip = self.ipamd.get(id);
            let s = match &self.calico {
                Some(c) => c.stats(id),
                None => ip.stats(now),
            };
            let enis = ip.eni_count();
            row.nodes += 1;
            row.enis += enis;
            row.ips_total += s.total;
            row.ips_assigned += s.assigned;
            row.ips_cooldown += s.cooldown;
            row.prefixes += s.prefixes;
            let group = &self.sc.nodegroups[node.group.index()];
            let k = self.kube.node(id);
            self.recorder.node(&NodeRow {
                time: now,
                node: &node.name,
                nodegroup: &group.name,
                instance_type: &group.instance_type.name,
                ready: k.ready,
                enis,
                ips_total: s.total,
                ips_assigned: s.assigned,
                ips_cooldown: s.cooldown,
                ips_available: s.available(),
                prefixes: s.prefixes,
                pods: k.bound,
            });
            if metrics && self.calico.is_none() {
                // `updateIPStats` sets the maxima in nodeInit (ipamd.go)
                let (eni_max, ip_max) = match k.ready {
                    true => (ip.conf.max_eni, ip.conf.max_eni * ip.conf.ips_per_eni),
                    false => (0, 0),
                };
                self.recorder.node_metrics(&NodeMetricsRow {
                    time: now,
                    node: &node.name,
                    nodegroup: &group.name,
                    enis,
                    eni_max,
                    ip_max,
                    ips_total: s.total,
                    ips_assigned: s.assigned,
                    prefixes: s.prefixes,
                    counters: ip.counters,
                });
            }
        }
        row.ips_available = row.ips_total - row.ips_assigned;
        row.subnet_free_ips = self.subnets.iter().map(|s| u64::from(s.free())).sum();
        for s in &self.subnets {
            self.recorder.subnet(&SubnetRow {
                time: now,
                subnet: &s.name,
                free_ips: s.free(),
                free_prefix_blocks: s.free_prefix_blocks(),
            });
        }
        self.recorder.timeline(&row);
        if metrics {
            self.recorder.cluster_metrics(&ClusterMetricsRow {
                time: now,
                pods_unschedulable: unschedulable,
                waiting_ip: self.kube.waiting_by_cause(now),
                ec2_requests: *self.ec2.calls(),
                ec2_throttled: *self.ec2.throttled(),
            });
        }
        if let Some(c) = &self.calico {
            for (index, b) in c.pool.blocks() {
                if !watch.go_on(now) {
                    return;
                }
                let node = b.affinity.map(|n| self.nodes.get(n).name.as_str());
                self.recorder.block(&BlockRow {
                    time: now,
                    block: c.pool.block_cidr(index),
                    node,
                    in_use: b.in_use,
                    free: b.free(),
                });
            }
        }
        let t = &mut self.totals;
        t.samples += 1;
        t.ips_available_sum += u64::from(row.ips_available);
        t.ips_available_peak = t.ips_available_peak.max(row.ips_available);
        t.peak_ips_total = t.peak_ips_total.max(row.ips_total);
        t.min_subnet_free_ips = if t.samples == 1 {
            row.subnet_free_ips
        } else {
            t.min_subnet_free_ips.min(row.subnet_free_ips)
        };
        t.last_row = row;
    }

    /// Records the pods alive at the end of the run (`end`; deleted pods were recorded as
    /// they were deleted): `pods.csv` and the summary's pod totals.
    pub fn record_pods(&mut self, end: SimTime) {
        self.kube.settle_all(&mut self.events, &self.nodes, end);
        self.end_instant();
        let mut queue = crate::engine::EventQueue::new();
        for i in 0..self.nodes.len() {
            let node = crate::model::ids::NodeId::from_index(i);
            self.with_ipamd(end, node, &mut queue, |ip, ctx| ip.end_repeats(ctx));
        }
        self.with_kube(end, &mut queue, |k, env| k.record_live(env, end));
        self.drain_events();
        debug_assert!(self.events.is_empty(), "every streak ended with the run");
    }
}
