//! Samples (timeline, nodes, subnets) after every instant's changes, and the pod records
//! written at the end of the run.

use super::World;
use crate::model::ids::PodId;
use crate::model::kube::{owner_name, pod_name};
use crate::model::record::{NodeRow, PodRecord, Recorder, SubnetRow, TimelineRow};
use crate::time::SimTime;

impl<R: Recorder> World<R> {
    /// Writes one sample of every live node, every subnet and the cluster, and updates the
    /// summary's sampled figures.
    pub(super) fn take_sample(&mut self, now: SimTime) {
        let (unschedulable, waiting, running) = self.kube.counts();
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
            let ip = self.ipamd.get(id);
            let s = ip.ds.stats(now);
            let enis = ip.ds.enis().len() as u32;
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

    /// Records every pod's life (`pods.csv`, and the summary's pod totals), in creation
    /// order; called once, at the end of the run (`end`).
    pub fn record_pods(&mut self, end: SimTime) {
        for (i, p) in self.kube.pods.iter().enumerate() {
            let record = PodRecord {
                id: PodId::from_index(i),
                name: pod_name(&self.sc, &self.nodes, p),
                workload: owner_name(&self.sc, p),
                node: p.node.map(|n| self.nodes.get(n).name.as_str()),
                host_network: p.host_network,
                daemonset: p.is_daemonset(),
                created: p.created,
                scheduled: p.scheduled,
                ip_assigned: p.ip_assigned,
                deleted: p.deleted,
                ip: p.last_ip,
                state: p.state,
            };
            self.recorder.pod(&record);
            self.totals.pods.add(&record, end);
        }
    }
}
