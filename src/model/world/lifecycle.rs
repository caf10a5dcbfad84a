//! Instances coming and going: launches (at t = 0, by `launch` entries, by the autoscaler)
//! and removals (autoscaler scale-down), and the autoscaler's passes.

use super::World;
use crate::engine::EventQueue;
use crate::model::event::Event;
use crate::model::ids::{GroupId, NodeId};
use crate::model::ipamd::datastore::Datastore;
use crate::model::ipamd::pool::{self, Targets, IPS_PER_PREFIX};
use crate::model::ipamd::{NodeConf, NodeIpamd, NodeRngs};
use crate::model::nodes::NodeInfo;
use crate::model::record::{Draft, Fact, Recorder};
use crate::model::rng::{node_stream, streams};
use crate::scenario::discovery::{self, Tags};
use crate::time::{SimDuration, SimTime};

impl<R: Recorder> World<R> {
    /// Creates a node of `group` at `now`: its instance gets a primary address and
    /// DaemonSet pods are bound to it. A node of the cluster at t = 0 (`boot` zero) is
    /// registered and starts ipamd at once; a launched one registers `boot` later (instance
    /// boot), then aws-node starts ([`World::on_node_registered`]).
    pub(super) fn launch_node(
        &mut self,
        now: SimTime,
        group: GroupId,
        boot: SimDuration,
        queue: &mut EventQueue<Event>,
    ) -> NodeId {
        let sc = &self.sc;
        let spec = &sc.nodegroups[group.index()];
        let ordinal = self.nodes.next_ordinal(group);
        let subnet_index = spec.subnets[(ordinal as usize - 1) % spec.subnets.len()];
        let subnet = crate::model::ids::SubnetId::from_index(subnet_index);
        let it = &spec.instance_type;
        let pd = sc.cni.enable_prefix_delegation && it.supports_prefix_delegation();
        let cidrs_per_eni = it.ipv4_per_eni - 1;
        let targets = Targets {
            warm_eni: sc.cni.warm_eni_target,
            warm_ip: sc.cni.warm_ip_target,
            minimum_ip: sc.cni.minimum_ip_target,
            warm_prefix: sc.cni.warm_prefix_target,
            pd,
            secondary_card: false,
        };
        let primary_ip = self.subnets[subnet.index()].allocate_ip();
        let max_eni = pool::effective_max_eni(sc.cni.max_eni, it.max_enis);
        // Security groups for pods: the trunk takes one of ipamd's ENI slots
        // (`hasRoomForEni`, ipamd.go:2592-2620); with no slot beside the primary there is
        // no trunk ("No slot available for a trunk ENI", ipamd.go:1468-1472).
        let branches = match it.branch_enis() {
            Some(b) if sc.cni.enable_pod_eni && !sc.ipam.calico() && max_eni >= 2 => b,
            _ => 0,
        };
        let trunk = u32::from(branches > 0);
        let index = self.nodes.len() as u32;
        let stream = |c| node_stream(sc.seed, c, index);
        // ENABLE_MULTI_NIC: every card is managed (ipamd.go:296-324; no EFA-only cards here)
        let cards = if sc.cni.enable_multi_nic && !sc.cni.enable_ipv6 {
            u8::try_from(it.cards()).unwrap_or(u8::MAX)
        } else {
            1
        };
        let conf = NodeConf {
            targets,
            cidrs_per_eni,
            ips_per_eni: if pd {
                cidrs_per_eni * IPS_PER_PREFIX
            } else {
                cidrs_per_eni
            },
            max_eni: max_eni - trunk,
            instance_max_enis: it.max_enis - trunk,
            max_pods: spec.max_pods,
            subnet,
            primary_ip,
            placement: sc.ipamd.placement,
            tick_overhead: sc.ipamd.tick_overhead,
            // idle ticks are slept through on one-card nodes only (`dormant.rs` watches
            // one datastore)
            lazy: self.options.lazy_ticks && cards == 1,
            custom_networking: sc.cni.custom_network_cfg,
            // `setupENI` marks the primary ENI excluded from pod addresses when its subnet
            // is (subnet discovery on, IPv4: ipamd.go:1295-1300, 2868-2893)
            primary_excluded: sc.cni.enable_subnet_discovery
                && !sc.cni.enable_ipv6
                && discovery::excluded(Tags::of(&sc.subnets[subnet_index]), &sc.cni.cluster_name),
            ipv6: sc.cni.enable_ipv6,
            cards,
            trunk,
            multi_nic: sc.cni.enable_multi_nic,
        };
        let rngs = NodeRngs {
            ec2: stream(streams::EC2),
            imds: stream(streams::IMDS),
            placement: stream(streams::PLACEMENT),
        };
        let ds = Datastore::new(sc.cni.ip_cooldown_period_s, pd);
        self.ipamd.nodes.push(NodeIpamd::new(ds, conf, rngs));
        self.kube.add_node(spec.max_pods);
        // with custom networking the controller puts the trunk and the branches in the
        // node's ENIConfig subnet (RC `UpdateCurrentSubnetAndCidrBlock` /
        // `GetCustomNetworkingSpec`, pkg/aws/ec2/instance.go), else in the node's own
        let az = &sc.subnets[subnet.index()].az;
        let branch_subnet = sc
            .eniconfigs
            .iter()
            .find(|e| sc.cni.custom_network_cfg && &e.az == az)
            .map_or(subnet, |e| {
                crate::model::ids::SubnetId::from_index(e.subnet)
            });
        self.controller.add_node(branches, branch_subnet);
        let node = self.nodes.push(NodeInfo {
            name: format!("{}-{}", spec.name, ordinal),
            group,
            subnet,
            primary_ip,
            launched_at: now,
            removed: false,
        });
        self.autoscaler.track(node);
        if let Some(c) = &mut self.calico {
            let rng = node_stream(self.sc.seed, streams::CALICO, index);
            c.add_node(node, &self.nodes.get(node).name, rng);
        }
        let initial = now == SimTime::ZERO && boot == SimDuration::ZERO;
        if initial && primary_ip.is_some() {
            self.with_kube(now, queue, |k, env| k.register_node(env, node));
        }
        self.with_kube(now, queue, |k, env| k.bind_daemonsets(env, node));
        match primary_ip {
            Some(_) if initial => queue.schedule(now, Event::NodeStart(node)),
            Some(_) => queue.schedule(now + boot, Event::NodeRegistered(node)),
            None => {
                self.autoscaler.launch_failed();
                self.emit_node(now, node, Fact::LaunchFailed { subnet });
            }
        }
        node
    }

    /// A launched node's kubelet registers it (NotReady): the pods bound to it start their
    /// sandbox attempts, and ipamd starts after the group's `aws_node_start` (one draw from
    /// the node's own stream).
    pub(super) fn on_node_registered(
        &mut self,
        now: SimTime,
        node: NodeId,
        queue: &mut EventQueue<Event>,
    ) {
        if self.nodes.get(node).removed {
            return;
        }
        let group = self.nodes.get(node).group;
        let latency = self.sc.nodegroups[group.index()].aws_node_start;
        let mut rng = node_stream(self.sc.seed, streams::NODE_START, node.0);
        let start = crate::model::ec2::draw(latency, &mut rng);
        self.emit_node(now, node, Fact::NodeRegistered { start });
        self.with_kube(now, queue, |k, env| k.register_node(env, node));
        queue.schedule(now + start, Event::NodeStart(node));
    }

    /// Karpenter's pass: launch nodes for the pending pods and bind the pods to them.
    pub(super) fn on_provisioner_tick(&mut self, now: SimTime, queue: &mut EventQueue<Event>) {
        let launches = self.autoscaler.karpenter_pass(now, &self.sc, &self.kube);
        for l in launches {
            self.emit_group(now, l.group, l.fact);
            let boot = self.sc.nodegroups[l.group.index()]
                .autoscaling
                .as_ref()
                .map_or(SimDuration::ZERO, |a| a.provision_time);
            for _ in 0..l.nodes {
                let node = self.launch_node(now, l.group, boot, queue);
                if self.nodes.get(node).primary_ip.is_some() {
                    self.with_kube(now, queue, |k, env| {
                        k.bind_pending_to(env, node, l.per_node)
                    });
                }
            }
            self.autoscaler.added(l.group, l.nodes);
        }
        self.autoscaler.reschedule_karpenter(now, queue);
    }

    /// Calico: the assignment holding `node`'s IPAM lock ended; its pod gets the answer.
    pub(super) fn on_calico_assigned(
        &mut self,
        now: SimTime,
        node: NodeId,
        queue: &mut EventQueue<Event>,
    ) {
        let Some(c) = &mut self.calico else {
            return;
        };
        let done = c.on_assigned(now, node, queue);
        if let Some((block, blocks)) = done.claimed {
            self.emit_node(now, node, Fact::BlockClaimed { block, blocks });
        }
        if let Some((pod, answer)) = done.answer {
            self.with_kube(now, queue, |k, env| k.cni_answer(env, pod, answer));
        }
        self.kube.touch(node);
    }

    /// Records a fact about a node from outside its ipamd and kube.
    fn emit_node(&mut self, now: SimTime, node: NodeId, fact: Fact) {
        self.events.push(Draft {
            card: None,
            time: now,
            node: Some(node),
            group: self.nodes.get(node).group,
            pod: None,
            fact,
        });
    }

    /// Records a fact about a nodegroup as a whole (launches, scale-ups).
    fn emit_group(&mut self, now: SimTime, group: GroupId, fact: Fact) {
        self.events.push(Draft {
            card: None,
            time: now,
            node: None,
            group,
            pod: None,
            fact,
        });
    }

    /// Launches `count` nodes of `group` after setup, ipamd starting `boot` later.
    fn add_nodes(
        &mut self,
        now: SimTime,
        group: GroupId,
        count: u32,
        boot: SimDuration,
        queue: &mut EventQueue<Event>,
    ) {
        for _ in 0..count {
            self.launch_node(now, group, boot, queue);
        }
        self.autoscaler.added(group, count);
    }

    /// An explicit `launch` entry: its nodes are launched now.
    pub(super) fn on_node_launch(
        &mut self,
        now: SimTime,
        group: GroupId,
        entry: u32,
        queue: &mut EventQueue<Event>,
    ) {
        let launch = &self.sc.nodegroups[group.index()].launches[entry as usize];
        let (count, boot) = (launch.count, launch.provision_time);
        let before = self.autoscaler.totals.group_live[group.index()];
        let fact = Fact::Launch {
            count,
            before,
            boot,
        };
        self.emit_group(now, group, fact);
        self.add_nodes(now, group, count, boot, queue);
    }

    /// The autoscaler's pass: scale up, then scale down; the next pass in 10 s.
    pub(super) fn on_autoscaler_tick(&mut self, now: SimTime, queue: &mut EventQueue<Event>) {
        let ups = self
            .autoscaler
            .scale_up(now, &self.sc, &self.kube, &self.nodes);
        for up in ups {
            self.emit_group(now, up.group, up.fact);
            let boot = self.sc.nodegroups[up.group.index()]
                .autoscaling
                .as_ref()
                .map_or(SimDuration::ZERO, |a| a.provision_time);
            self.add_nodes(now, up.group, up.count, boot, queue);
        }
        let downs = self
            .autoscaler
            .scale_down(now, &self.sc, &self.kube, &self.nodes);
        for (node, since) in downs {
            self.remove_node(now, node, since, queue);
        }
        self.autoscaler.reschedule(now, queue);
    }

    /// Terminates a node: it leaves the scheduler, its pods are deleted, its ipamd stops
    /// and all its addresses (ENIs with their IPs and prefixes, whatever ipamd held outside
    /// the datastore, the instance's primary IP) return to their subnets at once.
    fn remove_node(
        &mut self,
        now: SimTime,
        node: NodeId,
        since: SimTime,
        queue: &mut EventQueue<Event>,
    ) {
        self.with_ipamd(now, node, queue, |ip, ctx| ip.end_repeats(ctx));
        self.nodes.get_mut(node).removed = true;
        self.with_kube(now, queue, |k, env| k.remove_node(env, node));
        self.terminate_pod_enis(node);
        if let Some(c) = &mut self.calico {
            c.remove_node(node);
        }
        self.ipamd.get_mut(node).terminate(&mut self.subnets);
        let info = self.nodes.get_mut(node);
        if let Some(ip) = info.primary_ip.take() {
            self.subnets[info.subnet.index()].release_ip(ip);
        }
        let group = self.nodes.get(node).group;
        self.autoscaler.removed(group, node);
        let after = self.autoscaler.totals.group_live[group.index()];
        self.emit_node(now, node, Fact::ScaleDown { since, after });
    }
}
