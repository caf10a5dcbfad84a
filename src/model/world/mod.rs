//! The simulated cluster as components — instances ([`Nodes`]), the Kubernetes side
//! ([`Kube`]), every node's ipamd ([`Ipamds`]), the subnets, the EC2 account and the
//! autoscaler — and the one world that owns them and routes each event to the component
//! it concerns.
//!
//! A component's methods take what they need for one call (an ipamd [`Ctx`], a kube
//! [`Env`]), built here from the world's fields; nothing holds a reference to another
//! component. Files: `lifecycle.rs` (launching and removing instances, the autoscaler's
//! passes), `podeni.rs` (the VPC resource controller's trunk and branch ENIs), `sample.rs`
//! (samples and the pod records written at the end).

mod lifecycle;
mod podeni;
mod sample;
mod views;

use super::autoscaler::Autoscaler;
use super::calico::{Calico, Plugin};
use super::ec2::Ec2;
use super::event::Event;
use super::ids::{NodeId, PodId};
use super::ipamd::{Ctx, Ipamds, NodeIpamd};
use super::kube::pods::{Pod, PodName};
use super::kube::{Env, Kube, NoAddress};
use super::nodes::Nodes;
use super::record::{
    CauseChange, Draft, EventOrder, EventRecord, Recorder, RestartReason, StreakOwner, WaitCause,
};
use super::rng::{rng_stream, streams};
use super::subnet::Subnet;
use super::totals::RunTotals;
use crate::engine::{EventQueue, Model, Watch};
use crate::scenario::Scenario;
use crate::time::{SimDuration, SimTime};

/// How the model runs (not what it models: outputs are the same either way).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModelOptions {
    /// Idle nodes sleep through their idle ticks (default); `false` runs every tick, the
    /// reference the lazy loop is checked against.
    pub lazy_ticks: bool,
    /// Pods whose CNI ADD cannot succeed sleep through their kubelet's retries until their
    /// node's wait cause changes (default); `false` runs every retry as an event, the
    /// reference the dormant retries are checked against.
    pub lazy_retries: bool,
}

impl Default for ModelOptions {
    fn default() -> Self {
        ModelOptions {
            lazy_ticks: true,
            lazy_retries: true,
        }
    }
}

impl ModelOptions {
    /// The environment variable that makes loops eager, for comparing outputs from the
    /// command line: `IPAMSIM_EAGER=ticks`, `retries` or `ticks,retries` (outputs are the
    /// same; only the events handled and the time differ).
    pub const ENV: &'static str = "IPAMSIM_EAGER";

    /// The options [`ModelOptions::ENV`] chooses (the defaults when unset).
    pub fn from_env() -> Self {
        let v = std::env::var(Self::ENV).unwrap_or_default();
        let eager = |what: &str| v.split(',').any(|w| w.trim() == what);
        ModelOptions {
            lazy_ticks: !eager("ticks"),
            lazy_retries: !eager("retries"),
        }
    }
}

/// The whole simulated cluster.
pub struct World<R: Recorder> {
    /// The validated scenario.
    pub(crate) sc: Scenario,
    /// The instances.
    pub(crate) nodes: Nodes,
    /// Pods, workloads, the scheduler and the kubelets.
    pub(crate) kube: Kube,
    /// Every node's ipamd (never started with Calico).
    pub(crate) ipamd: Ipamds,
    /// Calico IPAM, when `ipam.plugin` is calico (then it is the kubelets' CNI).
    pub(crate) calico: Option<Calico>,
    /// Subnets (scenario order).
    pub(crate) subnets: Vec<Subnet>,
    /// The EC2 account.
    pub(crate) ec2: Ec2,
    /// The autoscaler.
    pub(crate) autoscaler: Autoscaler,
    /// The VPC resource controller (security groups for pods).
    pub(crate) controller: super::podeni::Controller,
    /// Where outputs go.
    pub(crate) recorder: R,
    /// Facts on their way to `recorder.event`, in time order (`record::EventOrder`).
    events: EventOrder,
    /// The instant of the last event handled (its pods' failed CNI ADDs get their cause
    /// once it is over).
    instant: SimTime,
    /// Summary counters.
    pub(crate) totals: RunTotals,
    /// How the model runs.
    pub(crate) options: ModelOptions,
    /// Scratch: the nodes an event touched, and one node's wait plan (`waits.rs`).
    touched: Vec<NodeId>,
    plan: Vec<CauseChange>,
}

impl<R: Recorder> World<R> {
    /// Builds the cluster at t = 0 and schedules its first events: the nodes' starts, the
    /// injected restarts, the workload steps, the churn and trace sources, then the
    /// launches and the autoscaler.
    pub fn new(sc: Scenario, recorder: R, queue: &mut EventQueue<Event>) -> World<R> {
        Self::with_options(sc, recorder, queue, ModelOptions::default())
    }

    /// [`World::new`] with explicit model options.
    pub fn with_options(
        sc: Scenario,
        recorder: R,
        queue: &mut EventQueue<Event>,
        options: ModelOptions,
    ) -> World<R> {
        let mut subnet_rng = rng_stream(sc.seed, streams::SUBNETS);
        let subnets: Vec<Subnet> = sc
            .subnets
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let picks = rng_stream(sc.seed, streams::ADDRESSES << 32 | i as u64);
                Subnet::new(s, &mut subnet_rng, sc.ec2.address_choice, picks)
            })
            .collect();
        let ec2 = Ec2::new(sc.ec2.clone());
        let mut kube = Kube::new(&sc);
        // metrics.om counts every CNI ADD per node as it happens (and resets the counts
        // with aws-node): its runs keep every retry an event
        kube.lazy_retries = options.lazy_retries && !recorder.wants_metrics();
        let controller_rng = rng_stream(sc.seed, streams::RESOURCE_CONTROLLER);
        let controller = super::podeni::Controller::new(&sc.resource_controller, controller_rng);
        let calico = sc.ipam.calico().then(|| Calico::new(&sc));
        let subnet_free_before = subnets.iter().map(|s| u64::from(s.free())).sum();
        let mut world = World {
            controller,
            calico,
            nodes: Nodes::default(),
            kube,
            ipamd: Ipamds {
                multi_card: sc.cni.enable_multi_nic
                    && sc.nodegroups.iter().any(|g| g.instance_type.cards() > 1),
                ..Ipamds::default()
            },
            subnets,
            ec2,
            autoscaler: Autoscaler::default(),
            recorder,
            events: EventOrder::default(),
            instant: SimTime::ZERO,
            totals: RunTotals {
                subnet_free_before,
                ..RunTotals::default()
            },
            options,
            touched: Vec::new(),
            plan: Vec::new(),
            sc,
        };
        for g in 0..world.sc.nodegroups.len() {
            for _ in 0..world.sc.nodegroups[g].count {
                let group = crate::model::ids::GroupId::from_index(g);
                world.launch_node(SimTime::ZERO, group, SimDuration::ZERO, queue);
            }
        }
        for (at, name) in &world.sc.faults.aws_node_restarts {
            if let Some(node) = world.nodes.find(name) {
                queue.schedule(*at, Event::AwsNodeRestart(node));
            }
        }
        Kube::schedule_steps(&world.sc, queue);
        world.kube.start_sources(&world.sc, queue);
        world.autoscaler = Autoscaler::new(&world.sc, &world.nodes, queue);
        world
    }

    /// A pod's name (`<workload>-<n>`, `<daemonset>-<node>`, or a trace's name).
    pub fn pod_name(&self, pod: PodId) -> PodName<'_> {
        self.kube.pod_name(&self.sc, &self.nodes, pod)
    }

    /// The name of the workload or DaemonSet that owns a pod.
    pub fn owner_name(&self, pod: PodId) -> &str {
        super::kube::owner_name(&self.sc, self.kube.pod(pod))
    }

    /// Every pod ever created, by id.
    pub fn pods(&self) -> &[Pod] {
        &self.kube.pods
    }

    /// A node's ipamd.
    pub fn node_ipamd(&self, node: NodeId) -> &NodeIpamd {
        self.ipamd.get(node)
    }

    /// What every component knows of node number `index` (launch order).
    pub fn node(&self, index: usize) -> NodeView<'_> {
        let id = NodeId::from_index(index);
        let info = self.nodes.get(id);
        let ipamd = self.ipamd.get(id);
        let kube = self.kube.node(id);
        NodeView {
            id,
            name: &info.name,
            primary_ip: info.primary_ip,
            removed: info.removed,
            ready: kube.ready,
            bound: kube.bound,
            max_pods: kube.max_pods,
            ds: &ipamd.ds,
            ipamd,
        }
    }

    /// Every node's view, in launch order.
    pub fn node_views(&self) -> impl Iterator<Item = NodeView<'_>> {
        (0..self.nodes.len()).map(|i| self.node(i))
    }

    /// Runs `f` on `node`'s ipamd with its context; if `nodeInit` finished, the node
    /// becomes Ready (kube's side) afterwards.
    fn with_ipamd(
        &mut self,
        now: SimTime,
        node: NodeId,
        queue: &mut EventQueue<Event>,
        f: impl FnOnce(&mut NodeIpamd, &mut Ctx<'_>),
    ) {
        let info = self.nodes.get(node);
        let Ipamds { nodes, leaked, .. } = &mut self.ipamd;
        let card = nodes[node.index()].card_tag();
        let mut ctx = Ctx {
            card,
            now,
            node,
            group: &self.sc.nodegroups[info.group.index()],
            group_id: info.group,
            sc: &self.sc,
            ec2: &mut self.ec2,
            subnets: &mut self.subnets,
            leaked,
            queue,
            events: &mut self.events,
            ready: false,
        };
        f(&mut nodes[node.index()], &mut ctx);
        self.kube.touch(node);
        if ctx.ready {
            self.with_kube(now, queue, |k, env| k.node_ready(env, node));
            self.start_trunk(now, node, queue);
        }
    }

    /// After an event: the wait causes of the nodes it touched that have waiting pods
    /// (node not Ready, else what its ipamd — or Calico — says, now and as time alone
    /// changes it). A change of Calico's pool that concerns every node touches them all.
    fn update_waits(&mut self, now: SimTime, queue: &mut EventQueue<Event>) {
        if self.calico.as_mut().is_some_and(Calico::take_global_dirty) {
            for i in 0..self.nodes.len() {
                self.kube.touch(NodeId::from_index(i));
            }
        }
        let mut touched = std::mem::take(&mut self.touched);
        self.kube.take_touched(&mut touched);
        for &node in &touched {
            if !self.kube.has_waiting(node) {
                continue;
            }
            let ipamd = self.ipamd.get(node);
            if let (Some(c), true) = (&self.calico, self.kube.node(node).ready) {
                self.plan.clear();
                self.plan.push(CauseChange {
                    from: now,
                    cause: c.wait_cause(node),
                });
            } else if self.kube.node(node).ready {
                ipamd.wait_plan(now, &mut self.plan);
            } else {
                // booting, registering, aws-node starting; then ipamd's nodeInit
                let cause = if ipamd.started() {
                    WaitCause::IpamdUnavailable
                } else {
                    WaitCause::NodeNotReady
                };
                self.plan.clear();
                self.plan.push(CauseChange { from: now, cause });
            }
            let change = self.kube.set_wait_plan(node, now, &self.plan);
            if ipamd.card_count() > 1 {
                // multi-homed pods wait for every card (`NodeIpamd::homed_wait_cause`)
                if self.kube.node(node).ready {
                    ipamd.homed_wait_plan(now, &mut self.plan);
                }
                self.kube.set_homed_wait_plan(node, now, &self.plan);
            }
            if self.kube.has_dormant(node) {
                let s = ipamd.stats(now);
                let why = NoAddress {
                    card: None,
                    available: s.available(),
                    cooling: s.cooldown,
                    total: s.total,
                };
                let k = queue.current();
                let (events, nodes) = (&mut self.events, &self.nodes);
                self.kube
                    .wake_dormant(events, nodes, queue, node, k, change, why);
            }
        }
        self.touched = touched;
    }

    /// The instant is over: its failed CNI ADDs get their cause (the waits' log for it is
    /// final), and the rows that may leave are written.
    fn end_instant(&mut self) {
        self.kube.classify_failures(&mut self.events, &self.nodes);
        self.drain_events();
    }

    /// Writes the facts that may leave, in order; a streak that holds too many rows back
    /// is ended early (`EventOrder::overdue`).
    fn write_events(&mut self, now: SimTime, queue: &mut EventQueue<Event>) {
        self.drain_events();
        while let Some(owner) = self.events.overdue() {
            match owner {
                StreakOwner::Pod(pod) => {
                    self.kube
                        .cut_overdue(&mut self.events, &self.nodes, queue, pod)
                }
                StreakOwner::Node(node) => {
                    self.with_ipamd(now, node, queue, |ip, ctx| ip.end_repeats(ctx))
                }
            }
            self.drain_events();
        }
    }

    /// Passes the facts that may leave to the recorder, names resolved.
    fn drain_events(&mut self) {
        let (sc, nodes, subnets, rec) = (&self.sc, &self.nodes, &self.subnets, &mut self.recorder);
        self.events.drain(|d: &Draft| {
            rec.event(&EventRecord {
                time: d.time,
                node: d.node.map(|n| (n, nodes.get(n).name.as_str())),
                group: &sc.nodegroups[d.group.index()],
                group_id: d.group,
                pod: d.pod.map(|o| super::kube::owner_pod_name(sc, nodes, o)),
                subnet: d.fact.subnet().map(|s| subnets[s.index()].name.as_str()),
                fact: d.fact,
                card: d.card,
            });
        });
    }

    /// Runs `f` on kube with its environment (the CNI being every node's ipamd, or
    /// Calico).
    fn with_kube<T>(
        &mut self,
        now: SimTime,
        queue: &mut EventQueue<Event>,
        f: impl FnOnce(&mut Kube, &mut Env<'_, R, Plugin<'_>>) -> T,
    ) -> T {
        let mut cni = match &mut self.calico {
            Some(c) => Plugin::Calico(c),
            None => Plugin::Vpc(&mut self.ipamd),
        };
        let mut env = Env {
            now,
            sc: &self.sc,
            nodes: &self.nodes,
            queue,
            rec: &mut self.recorder,
            events: &mut self.events,
            cni: &mut cni,
        };
        f(&mut self.kube, &mut env)
    }
}

/// A read-only view of one node across components (tests, capacity).
#[derive(Clone, Copy)]
pub struct NodeView<'a> {
    /// The node.
    pub id: NodeId,
    /// Its name.
    pub name: &'a str,
    /// The instance's primary address.
    pub primary_ip: Option<u32>,
    /// Removed by scale-down.
    pub removed: bool,
    /// Ready (kube).
    pub ready: bool,
    /// Pods bound (kube).
    pub bound: u32,
    /// kubelet max pods.
    pub max_pods: u32,
    /// Its ipamd's datastore.
    pub ds: &'a super::ipamd::datastore::Datastore,
    /// Its ipamd.
    pub ipamd: &'a NodeIpamd,
}

impl<R: Recorder> World<R> {
    /// Starts loading node `node`'s ENI list and Go-map-order stream
    /// ([`NodeIpamd::prefetch_enis`]; its ipamd record was asked for with the event before).
    fn prefetch_enis(&self, node: Option<NodeId>) {
        if let Some(ip) = node.and_then(|n| self.ipamd.nodes.get(n.index())) {
            ip.prefetch_enis();
        }
    }

    /// Starts loading node `node`'s ipamd, instance and kube records.
    fn prefetch_node(&self, node: NodeId) {
        if let Some(ip) = self.ipamd.nodes.get(node.index()) {
            ip.prefetch();
        }
        self.nodes.prefetch(node);
        self.kube.prefetch(Some(node), None);
    }
}

impl<R: Recorder> Model for World<R> {
    type Event = Event;

    /// Two events ahead: a wake's node records, a pod event's pod record (which names its
    /// node, for [`Model::prefetch`] to follow).
    fn prefetch_ahead(&self, after_next: &Event) {
        match *after_next {
            Event::IpamdWake { node, .. } => self.prefetch_node(node),
            Event::KubeletRetry { pod, .. } | Event::PodExpire { pod, .. } => {
                self.kube.prefetch(None, Some(pod))
            }
            _ => {}
        }
    }

    /// The next event: a wake's node records and its ENI list; a pod event's pod record
    /// and, when its node is known, that node's records.
    fn prefetch(&self, next: &Event) {
        match *next {
            Event::IpamdWake { node, .. } => {
                self.prefetch_node(node);
                self.prefetch_enis(Some(node));
            }
            Event::KubeletRetry { pod, .. } | Event::PodExpire { pod, .. } => {
                self.kube.prefetch(None, Some(pod));
                if let Some(node) = self.kube.pod_node(pod) {
                    self.prefetch_node(node);
                }
            }
            Event::WorkloadArrival { .. } => {
                if let Some(node) = self.kube.prefetch_arrival() {
                    self.prefetch_node(node);
                }
            }
            _ => {}
        }
    }

    fn handle(&mut self, now: SimTime, event: Event, queue: &mut EventQueue<Event>) {
        if now > self.instant {
            self.end_instant();
            self.instant = now;
        }
        match event {
            Event::NodeStart(node) => {
                if self.nodes.get(node).removed {
                } else if self.calico.is_some() {
                    // calico-node is up: no ipamd init, the node is Ready
                    self.with_kube(now, queue, |k, env| k.node_ready(env, node));
                } else {
                    self.with_ipamd(now, node, queue, |ip, ctx| ip.start(ctx));
                }
            }
            Event::CalicoAssigned(node) => self.on_calico_assigned(now, node, queue),
            Event::NodeRegistered(node) => self.on_node_registered(now, node, queue),
            Event::ProvisionerTick => self.on_provisioner_tick(now, queue),
            Event::IpamdWake { node, gen } => {
                self.with_ipamd(now, node, queue, |ip, ctx| ip.on_wake(ctx, gen))
            }
            Event::LeakedEniCleanup(id) => {
                let node = self.ipamd.leaked[id.index()].node;
                self.with_ipamd(now, node, queue, |ip, ctx| ip.leaked_cleanup(ctx, id))
            }
            Event::AwsNodeRestart(node) => self.with_ipamd(now, node, queue, |ip, ctx| {
                ip.restart(ctx, RestartReason::InjectedFault)
            }),
            Event::WorkloadStep { workload, step } => {
                self.with_kube(now, queue, |k, env| k.on_workload_step(env, workload, step))
            }
            Event::KubeletRetry { pod, gen } => {
                self.with_kube(now, queue, |k, env| k.on_kubelet_retry(env, pod, gen))
            }
            Event::AutoscalerTick => self.on_autoscaler_tick(now, queue),
            Event::NodeLaunch { group, entry } => self.on_node_launch(now, group, entry, queue),
            Event::WorkloadArrival { workload } => {
                self.prefetch_enis(self.kube.scheduler_pick());
                self.with_kube(now, queue, |k, env| k.on_arrival(env, workload))
            }
            Event::PodExpire { pod, life } => {
                self.prefetch_enis(self.kube.pod_node(pod));
                self.with_kube(now, queue, |k, env| k.on_pod_expire(env, pod, life))
            }
            Event::TraceRow { workload, row } => {
                self.with_kube(now, queue, |k, env| k.on_trace_row(env, workload, row))
            }
            Event::TrunkStep(node) => self.on_trunk_step(now, node, queue),
            Event::BranchStep(job) => self.on_branch_step(now, job, queue),
            Event::BranchCooled(node) => self.on_branch_cooled(now, node, queue),
        }
        if self.kube.pod_eni.has_requests() {
            self.serve_branch_requests(now, queue);
        }
        self.update_waits(now, queue);
        self.write_events(now, queue);
    }

    fn sample(&mut self, now: SimTime, watch: &mut Watch<'_>) {
        // every event at `now` has run: the instant is over
        self.end_instant();
        self.take_sample(now, watch);
    }
}
