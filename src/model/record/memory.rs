//! Keeping records in memory, typed (tests and `capacity --scenario`).

use super::{
    EventRecord, Fact, NodeRow, PodRecord, PodState, Recorder, SubnetRow, TimelineRow, WaitCause,
    WaitRecord,
};
use crate::model::ids::{NodeId, PodId};
use crate::time::SimTime;

/// One recorded event, owned (tests and `capacity --scenario`).
#[derive(Clone, Debug, PartialEq)]
pub struct OwnedEvent {
    /// When.
    pub time: SimTime,
    /// The node, for node events.
    pub node: Option<NodeId>,
    /// The node's name (or the group's, for group events).
    pub who: String,
    /// What happened.
    pub fact: Fact,
    /// On a node that manages several network cards, the card the fact is about.
    pub card: Option<u8>,
}

impl OwnedEvent {
    /// The `kind` word.
    pub fn kind(&self) -> &'static str {
        self.fact.kind()
    }

    /// The time in seconds.
    pub fn secs(&self) -> f64 {
        self.time.as_secs_f64()
    }
}

/// Keeps what the model records in memory, typed (tests, `capacity --scenario`).
#[derive(Default)]
pub struct MemoryRecorder {
    /// `timeline.csv` rows.
    pub timeline: Vec<TimelineRow>,
    /// Every event, in order.
    pub events: Vec<OwnedEvent>,
    /// `nodes.csv` rows, as `(time, node name, ready, enis, ips_total, ips_assigned,
    /// ips_cooldown, ips_available, prefixes, pods)` (kept only with `keep_nodes`).
    pub nodes: Vec<NodeSample>,
    /// Keep `nodes` rows (off by default: large).
    pub keep_nodes: bool,
    /// `subnets.csv` rows.
    pub subnets: Vec<SubnetSample>,
    /// `pods.csv` rows, in the order they were recorded.
    pub pods: Vec<OwnedPod>,
    /// `waits.csv` rows, in the order they were recorded.
    pub waits: Vec<OwnedWait>,
    /// `blocks.csv` rows.
    pub blocks: Vec<BlockSample>,
}

/// One subnet's sample (a `subnets.csv` row), owned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubnetSample {
    /// Sample time.
    pub time: SimTime,
    /// Subnet name.
    pub subnet: String,
    /// Free addresses.
    pub free_ips: u32,
    /// Free aligned /28 blocks.
    pub free_prefix_blocks: u32,
}

/// One Calico block's sample (a `blocks.csv` row), owned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockSample {
    /// Sample time.
    pub time: SimTime,
    /// The block.
    pub block: crate::scenario::Ipv4Cidr,
    /// The node it is affine to, if any.
    pub node: Option<String>,
    /// Addresses in use.
    pub in_use: u32,
    /// Addresses free.
    pub free: u32,
}

/// One wait interval, owned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnedWait {
    /// The pod's name.
    pub pod: String,
    /// Its node during the interval.
    pub node: Option<String>,
    /// Why it waited.
    pub cause: WaitCause,
    /// Start.
    pub start: SimTime,
    /// End.
    pub end: SimTime,
}

/// One pod's life, owned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnedPod {
    /// The pod's slot.
    pub id: PodId,
    /// Creation order.
    pub seq: u64,
    /// Its name.
    pub name: String,
    /// Its workload or DaemonSet.
    pub workload: String,
    /// Its node.
    pub node: Option<String>,
    /// Host network.
    pub host_network: bool,
    /// Created.
    pub created: SimTime,
    /// Bound.
    pub scheduled: Option<SimTime>,
    /// Got its IP.
    pub ip_assigned: Option<SimTime>,
    /// Deleted.
    pub deleted: Option<SimTime>,
    /// The last address it held.
    pub ip: Option<super::PodAddr>,
    /// Its state at the end.
    pub state: PodState,
}

/// One node's sample, owned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeSample {
    /// Sample time.
    pub time: SimTime,
    /// Node name.
    pub node: String,
    /// Ready.
    pub ready: bool,
    /// ENIs.
    pub enis: u32,
    /// Addresses held.
    pub ips_total: u32,
    /// Addresses assigned.
    pub ips_assigned: u32,
    /// Addresses cooling.
    pub ips_cooldown: u32,
    /// Addresses available.
    pub ips_available: u32,
    /// Prefixes.
    pub prefixes: u32,
    /// Pods bound.
    pub pods: u32,
}

impl MemoryRecorder {
    /// Events of one kind.
    pub fn of_kind<'s>(&'s self, kind: &'s str) -> impl Iterator<Item = &'s OwnedEvent> + 's {
        self.events.iter().filter(move |e| e.kind() == kind)
    }
}

impl Recorder for MemoryRecorder {
    fn timeline(&mut self, row: &TimelineRow) {
        self.timeline.push(*row);
    }
    fn node(&mut self, r: &NodeRow<'_>) {
        if self.keep_nodes {
            self.nodes.push(NodeSample {
                time: r.time,
                node: r.node.to_string(),
                ready: r.ready,
                enis: r.enis,
                ips_total: r.ips_total,
                ips_assigned: r.ips_assigned,
                ips_cooldown: r.ips_cooldown,
                ips_available: r.ips_available,
                prefixes: r.prefixes,
                pods: r.pods,
            });
        }
    }
    fn block(&mut self, r: &super::BlockRow<'_>) {
        self.blocks.push(BlockSample {
            time: r.time,
            block: r.block,
            node: r.node.map(str::to_string),
            in_use: r.in_use,
            free: r.free,
        });
    }
    fn subnet(&mut self, r: &SubnetRow<'_>) {
        self.subnets.push(SubnetSample {
            time: r.time,
            subnet: r.subnet.to_string(),
            free_ips: r.free_ips,
            free_prefix_blocks: r.free_prefix_blocks,
        });
    }
    fn pod(&mut self, p: &PodRecord<'_>) {
        self.pods.push(OwnedPod {
            id: p.id,
            seq: p.seq,
            name: p.name.to_string(),
            workload: p.workload.to_string(),
            node: p.node.map(str::to_string),
            host_network: p.host_network,
            created: p.created,
            scheduled: p.scheduled,
            ip_assigned: p.ip_assigned,
            deleted: p.deleted,
            ip: p.ip,
            state: p.state,
        });
    }
    fn wait(&mut self, w: &WaitRecord<'_>) {
        self.waits.push(OwnedWait {
            pod: w.pod.to_string(),
            node: w.node.map(str::to_string),
            cause: w.cause,
            start: w.start,
            end: w.end,
        });
    }
    fn event(&mut self, e: &EventRecord<'_>) {
        self.events.push(OwnedEvent {
            time: e.time,
            node: e.node.map(|(id, _)| id),
            who: e
                .node
                .map_or_else(|| e.group.name.clone(), |(_, n)| n.to_string()),
            fact: e.fact,
            card: e.card,
        });
    }
}
