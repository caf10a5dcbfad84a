//! Node autoscaling (a Cluster-Autoscaler-like loop) and explicit node launches.
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
//! - **Launch**: a node exists at once (instance primary IP taken, DaemonSet pods bound, not
//!   Ready); ipamd's `nodeInit` starts after the boot time (`provision_time`), and the node
//!   becomes Ready when init finishes.
//! - **Scale-down**: a Ready node whose pods are all DaemonSet pods is "unneeded" from the
//!   first pass that sees it so (CA's unneeded-since); after `scale_down_after` it is removed
//!   at a pass, never below `min`, newest node first, at most [`MAX_EMPTY_BULK_DELETE`] nodes
//!   per pass across the cluster (CA's `--max-empty-bulk-delete`). Removal terminates the
//!   instance: its DaemonSet pods are deleted, ipamd stops, and every ENI with its IPs or
//!   prefixes and the instance's primary IP return to their subnets at once (ENIs attached
//!   by ipamd are DeleteOnTermination; no ipamd EC2 calls).
//!
//! Passes scan the pending queue and the node list (no allocation); only a launch allocates.

use super::ids::GroupId;
use super::record::{Fact, Recorder};
use super::world::{Event, NodeIndex, PodState, World};
use crate::engine::EventQueue;
use crate::scenario::autoscaling::{MAX_EMPTY_BULK_DELETE, SCAN_INTERVAL};
use crate::time::{SimDuration, SimTime};

/// Node counts for the summary, kept as nodes come and go.
#[derive(Clone, Debug, Default)]
pub struct ScalingTotals {
    /// Nodes that exist now (launched and not removed; a node whose launch failed counts).
    pub live: u32,
    /// Most nodes that existed at once.
    pub peak: u32,
    /// Nodes launched after setup: by the autoscaler or by `launch` entries.
    pub added: u32,
    /// Nodes removed by scale-down.
    pub removed: u32,
    /// Live nodes per nodegroup (scenario order).
    pub(crate) group_live: Vec<u32>,
}

impl<R: Recorder> World<R> {
    /// Called once the t = 0 nodes exist: counts them, schedules the explicit launches and,
    /// if some nodegroup has `autoscaling`, the first autoscaler pass at t = 0.
    pub(crate) fn autoscaler_setup(&mut self, queue: &mut EventQueue<Event>) {
        let groups = self.sc.nodegroups.len();
        let mut group_live = vec![0; groups];
        for n in &self.nodes {
            group_live[n.group as usize] += 1;
        }
        self.scaling = ScalingTotals {
            live: self.nodes.len() as u32,
            peak: self.nodes.len() as u32,
            group_live,
            ..ScalingTotals::default()
        };
        for (g, spec) in self.sc.nodegroups.iter().enumerate() {
            for (entry, launch) in spec.launches.iter().enumerate() {
                let ev = Event::NodeLaunch {
                    group: g as u32,
                    entry: entry as u32,
                };
                queue.schedule(launch.at, ev);
            }
        }
        if self.sc.nodegroups.iter().any(|g| g.autoscaling.is_some()) {
            queue.schedule(SimTime::ZERO, Event::AutoscalerTick);
        }
    }

    /// An explicit `launch` entry: its nodes are launched now.
    pub(crate) fn on_node_launch(
        &mut self,
        now: SimTime,
        group: u32,
        entry: u32,
        queue: &mut EventQueue<Event>,
    ) {
        let spec = &self.sc.nodegroups[group as usize];
        let launch = &spec.launches[entry as usize];
        let (count, boot) = (launch.count, launch.provision_time);
        let before = self.scaling.group_live[group as usize];
        let fact = Fact::Launch {
            count,
            before,
            boot,
        };
        self.emit_group(now, GroupId(group), fact);
        self.add_nodes(now, group, count, boot, queue);
    }

    /// Launches `count` nodes of `group`, ipamd starting `boot` later.
    fn add_nodes(
        &mut self,
        now: SimTime,
        group: u32,
        count: u32,
        boot: SimDuration,
        queue: &mut EventQueue<Event>,
    ) {
        for _ in 0..count {
            self.launch_node(now, group, boot, queue);
        }
        let s = &mut self.scaling;
        s.group_live[group as usize] += count;
        s.live += count;
        s.added += count;
        s.peak = s.peak.max(s.live);
    }

    /// One autoscaler pass: scale up, then scale down, then the next pass 10 s later.
    pub(crate) fn on_autoscaler_tick(&mut self, now: SimTime, queue: &mut EventQueue<Event>) {
        self.scale_up(now, queue);
        self.scale_down(now);
        queue.schedule(now + SCAN_INTERVAL, Event::AutoscalerTick);
    }

    /// Pods unschedulable now that were created at least `delay` ago (a pod is
    /// unschedulable from its creation until it is bound).
    fn unschedulable_for(&self, now: SimTime, delay: SimDuration) -> u32 {
        self.pending
            .iter()
            .map(|&p| &self.pods[p as usize])
            .filter(|p| p.state == PodState::Unschedulable && now.since(p.created) >= delay)
            .count() as u32
    }

    /// Pods the nodes still booting will take: `max_pods − bound` on each live node that is
    /// not Ready and whose instance got an address.
    fn provisioning_capacity(&self) -> u32 {
        self.nodes
            .iter()
            .filter(|n| !n.removed && !n.ready && n.primary_ip.is_some())
            .map(|n| n.max_pods.saturating_sub(n.bound))
            .sum()
    }

    /// Workload pods one new node of `group` takes: `max_pods` minus the DaemonSet pods.
    fn pods_per_new_node(&self, group: usize) -> u32 {
        let daemonsets = self.sc.daemonsets.len() as u32;
        self.sc.nodegroups[group]
            .max_pods
            .saturating_sub(daemonsets)
    }

    /// Scale-up: nodes for the pods unschedulable long enough that booting nodes will not
    /// take, first autoscaling group in file order first, each capped at its `max`.
    fn scale_up(&mut self, now: SimTime, queue: &mut EventQueue<Event>) {
        if self.pending.is_empty() {
            return;
        }
        let mut absorbed = self.provisioning_capacity();
        for g in 0..self.sc.nodegroups.len() {
            let Some(auto) = self.sc.nodegroups[g].autoscaling.clone() else {
                continue;
            };
            let waiting = self.unschedulable_for(now, auto.scale_up_delay);
            let need = waiting.saturating_sub(absorbed);
            let per_node = self.pods_per_new_node(g);
            if need == 0 || per_node == 0 {
                continue;
            }
            let before = self.scaling.group_live[g];
            let room = auto.max.saturating_sub(before);
            let wanted = need.div_ceil(per_node);
            let n = wanted.min(room);
            if n == 0 {
                continue;
            }
            let fact = Fact::ScaleUp {
                count: n,
                before,
                waiting,
                delay: auto.scale_up_delay,
                absorbed,
                capped: n < wanted,
            };
            self.emit_group(now, GroupId(g as u32), fact);
            self.add_nodes(now, g as u32, n, auto.provision_time, queue);
            absorbed = absorbed.saturating_add(n * per_node);
        }
    }

    /// Scale-down: marks which Ready nodes hold only DaemonSet pods, then removes those
    /// unneeded for `scale_down_after`, newest first, keeping `min` per group and removing
    /// at most [`MAX_EMPTY_BULK_DELETE`] nodes in this pass.
    fn scale_down(&mut self, now: SimTime) {
        let daemonsets = self.sc.daemonsets.len() as u32;
        for n in self.nodes.iter_mut().filter(|n| !n.removed) {
            if n.ready && n.bound <= daemonsets {
                n.empty_since.get_or_insert(now);
            } else {
                n.empty_since = None;
            }
        }
        let mut budget = MAX_EMPTY_BULK_DELETE;
        for g in 0..self.sc.nodegroups.len() {
            let Some(auto) = &self.sc.nodegroups[g].autoscaling else {
                continue;
            };
            let (min, after) = (auto.min, auto.scale_down_after);
            for node in (0..self.nodes.len() as NodeIndex).rev() {
                if budget == 0 || self.scaling.group_live[g] <= min {
                    break;
                }
                let n = &self.nodes[node as usize];
                let unneeded = n.empty_since.filter(|&t| now.since(t) >= after);
                if n.group as usize == g && !n.removed {
                    if let Some(since) = unneeded {
                        self.remove_node(now, node, since);
                        budget -= 1;
                    }
                }
            }
        }
    }

    /// Terminates a node: it leaves the scheduler, its pods are deleted, its ipamd stops and
    /// all its addresses return to their subnets.
    fn remove_node(&mut self, now: SimTime, node: NodeIndex, unneeded_since: SimTime) {
        let n = &self.nodes[node as usize];
        let key = (self.sched_key(n.bound), node);
        self.schedulable.remove(&key);
        let n = &mut self.nodes[node as usize];
        n.ready = false;
        n.removed = true;
        n.empty_since = None;
        for pod in 0..self.pods.len() {
            let p = &self.pods[pod];
            if p.node == Some(node) && p.state != PodState::Deleted {
                self.delete_pod(now, pod as u32);
            }
        }
        self.release_node_addresses(node);
        let group = self.nodes[node as usize].group as usize;
        let s = &mut self.scaling;
        s.group_live[group] -= 1;
        s.live -= 1;
        s.removed += 1;
        let after = s.group_live[group];
        let fact = Fact::ScaleDown {
            since: unneeded_since,
            after,
        };
        self.emit(now, node, fact);
    }

    /// The terminated instance's addresses go back: its ENIs with their IPs and prefixes,
    /// whatever ipamd held outside the datastore, and the instance's primary IP.
    fn release_node_addresses(&mut self, node: NodeIndex) {
        let subnets = &mut self.subnets;
        let n = &mut self.nodes[node as usize];
        for eni in n.ds.enis.drain(..) {
            let s = &mut subnets[eni.subnet as usize];
            if !eni.is_primary {
                s.release_ip(eni.primary_ip);
            }
            eni.ips.iter().for_each(|slot| s.release_ip(slot.addr));
            eni.prefixes.iter().for_each(|p| s.release_prefix(p.base));
        }
        n.ipamd.terminate(|subnet, ips, prefixes| {
            let s = &mut subnets[subnet as usize];
            ips.iter().for_each(|&a| s.release_ip(a));
            prefixes.iter().for_each(|&p| s.release_prefix(p));
        });
        if let Some(ip) = n.primary_ip.take() {
            subnets[n.subnet as usize].release_ip(ip);
        }
    }
}
