//! Records copied into owned rows, kept in a reusable [`Batch`], and replayed later into
//! any [`Recorder`] (the writer thread's `CsvRecorder`).
//!
//! A batch holds one `Vec` per file kind and one text buffer for every name its rows
//! carry; a row keeps its names as byte ranges of that buffer. [`Batch::clear`] keeps the
//! capacity of all of them, so once a batch has grown to its working size, copying a
//! record allocates nothing. Rows of one kind are replayed in the order they were
//! recorded; kinds are replayed one after the other (each kind is its own file).

use crate::model::ids::{GroupId, NodeId};
use crate::model::record::{
    BlockRow, ClusterMetricsRow, EventRecord, Fact, NodeMetricsRow, NodeRow, PodRecord, Recorder,
    SubnetRow, TimelineRow, WaitRecord,
};
use crate::model::{NameSuffix, PodName};
use crate::scenario::NodeGroupSpec;
use crate::time::SimTime;

/// A name's bytes in [`Batch::text`]: `start..end` (bytes).
#[derive(Clone, Copy, Debug)]
struct Span {
    start: u32,
    end: u32,
}

/// A pod name's suffix, owned ([`NameSuffix`] with its node name as a [`Span`]).
#[derive(Clone, Copy, Debug)]
enum Suffix {
    Ordinal(u32),
    Node(Span),
    Verbatim,
}

/// A pod name, owned: its owner's name and suffix, formatted only when replayed.
#[derive(Clone, Copy, Debug)]
struct Name {
    owner: Span,
    suffix: Suffix,
}

/// A `nodes.csv` sample: the row with empty names, and its names.
struct NodeOwned {
    row: NodeRow<'static>,
    node: Span,
    nodegroup: Span,
    instance_type: Span,
}

/// A node's `metrics.om` sample: the row with empty names, and its names.
struct NodeMetricsOwned {
    row: NodeMetricsRow<'static>,
    node: Span,
    nodegroup: Span,
}

/// A `subnets.csv` sample.
struct SubnetOwned {
    row: SubnetRow<'static>,
    subnet: Span,
}

/// A `blocks.csv` sample.
struct BlockOwned {
    row: BlockRow<'static>,
    node: Option<Span>,
}

/// A fact, with its nodegroup as an index into the groups the batch is replayed with.
struct EventOwned {
    time: SimTime,
    node: Option<(NodeId, Span)>,
    group: GroupId,
    pod: Option<Name>,
    subnet: Option<Span>,
    fact: Fact,
    card: Option<u8>,
}

/// A pod's life: the record with empty names, and its names.
struct PodOwned {
    record: PodRecord<'static>,
    name: Name,
    workload: Span,
    node: Option<Span>,
}

/// One interval of a pod's wait.
struct WaitOwned {
    record: WaitRecord<'static>,
    pod: Name,
    node: Option<Span>,
}

/// Rows copied from records, one `Vec` per file kind, their names in one buffer.
#[derive(Default)]
pub struct Batch {
    text: String,
    timeline: Vec<TimelineRow>,
    nodes: Vec<NodeOwned>,
    subnets: Vec<SubnetOwned>,
    blocks: Vec<BlockOwned>,
    events: Vec<EventOwned>,
    pods: Vec<PodOwned>,
    waits: Vec<WaitOwned>,
    node_metrics: Vec<NodeMetricsOwned>,
    cluster_metrics: Vec<ClusterMetricsRow>,
}

/// An empty name, for the borrowed fields of a row kept with its names apart.
const EMPTY: PodName<'static> = PodName("", NameSuffix::Verbatim);

impl Batch {
    /// Rows held, all kinds together.
    pub fn len(&self) -> usize {
        self.timeline.len()
            + self.nodes.len()
            + self.subnets.len()
            + self.blocks.len()
            + self.events.len()
            + self.pods.len()
            + self.waits.len()
            + self.node_metrics.len()
            + self.cluster_metrics.len()
    }

    /// No row held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets every row, keeping the capacity of every buffer.
    pub fn clear(&mut self) {
        self.text.clear();
        self.timeline.clear();
        self.nodes.clear();
        self.subnets.clear();
        self.blocks.clear();
        self.events.clear();
        self.pods.clear();
        self.waits.clear();
        self.node_metrics.clear();
        self.cluster_metrics.clear();
    }

    fn span(&mut self, s: &str) -> Span {
        let start = self.text.len();
        self.text.push_str(s);
        // A batch is sent long before its text nears 4 GiB (a few thousand rows).
        Span {
            start: start as u32,
            end: self.text.len() as u32,
        }
    }

    fn opt(&mut self, s: Option<&str>) -> Option<Span> {
        s.map(|s| self.span(s))
    }

    fn name(&mut self, p: PodName<'_>) -> Name {
        let owner = self.span(p.0);
        let suffix = match p.1 {
            NameSuffix::Ordinal(n) => Suffix::Ordinal(n),
            NameSuffix::Node(node) => Suffix::Node(self.span(node)),
            NameSuffix::Verbatim => Suffix::Verbatim,
        };
        Name { owner, suffix }
    }

    fn str(&self, s: Span) -> &str {
        &self.text[s.start as usize..s.end as usize]
    }

    fn pod_name(&self, n: Name) -> PodName<'_> {
        let suffix = match n.suffix {
            Suffix::Ordinal(k) => NameSuffix::Ordinal(k),
            Suffix::Node(s) => NameSuffix::Node(self.str(s)),
            Suffix::Verbatim => NameSuffix::Verbatim,
        };
        PodName(self.str(n.owner), suffix)
    }

    /// Keeps a cluster-wide sample.
    pub fn timeline(&mut self, row: &TimelineRow) {
        self.timeline.push(*row);
    }

    /// Keeps a node's sample.
    pub fn node(&mut self, r: &NodeRow<'_>) {
        let owned = NodeOwned {
            row: NodeRow {
                node: "",
                nodegroup: "",
                instance_type: "",
                ..*r
            },
            node: self.span(r.node),
            nodegroup: self.span(r.nodegroup),
            instance_type: self.span(r.instance_type),
        };
        self.nodes.push(owned);
    }

    /// Keeps a node's metrics sample.
    pub fn node_metrics(&mut self, r: &NodeMetricsRow<'_>) {
        let owned = NodeMetricsOwned {
            row: NodeMetricsRow {
                node: "",
                nodegroup: "",
                ..*r
            },
            node: self.span(r.node),
            nodegroup: self.span(r.nodegroup),
        };
        self.node_metrics.push(owned);
    }

    /// Keeps the cluster's metrics sample.
    pub fn cluster_metrics(&mut self, r: &ClusterMetricsRow) {
        self.cluster_metrics.push(*r);
    }

    /// Keeps a subnet's sample.
    pub fn subnet(&mut self, r: &SubnetRow<'_>) {
        let owned = SubnetOwned {
            row: SubnetRow { subnet: "", ..*r },
            subnet: self.span(r.subnet),
        };
        self.subnets.push(owned);
    }

    /// Keeps a Calico block's sample.
    pub fn block(&mut self, r: &BlockRow<'_>) {
        let owned = BlockOwned {
            row: BlockRow { node: None, ..*r },
            node: self.opt(r.node),
        };
        self.blocks.push(owned);
    }

    /// Keeps a fact (its nodegroup by id: an index into the groups given to
    /// [`Batch::replay`]).
    pub fn event(&mut self, e: &EventRecord<'_>) {
        let owned = EventOwned {
            time: e.time,
            node: e.node.map(|(id, n)| (id, self.span(n))),
            group: e.group_id,
            pod: e.pod.map(|p| self.name(p)),
            subnet: self.opt(e.subnet),
            fact: e.fact,
            card: e.card,
        };
        self.events.push(owned);
    }

    /// Keeps a pod's life.
    pub fn pod(&mut self, p: &PodRecord<'_>) {
        let owned = PodOwned {
            record: PodRecord {
                name: EMPTY,
                workload: "",
                node: None,
                ..*p
            },
            name: self.name(p.name),
            workload: self.span(p.workload),
            node: self.opt(p.node),
        };
        self.pods.push(owned);
    }

    /// Keeps one interval of a pod's wait.
    pub fn wait(&mut self, w: &WaitRecord<'_>) {
        let owned = WaitOwned {
            record: WaitRecord {
                pod: EMPTY,
                node: None,
                ..*w
            },
            pod: self.name(w.pod),
            node: self.opt(w.node),
        };
        self.waits.push(owned);
    }

    /// Passes every row to `to`, kind by kind, each kind in the order it was kept;
    /// `groups` are the scenario's nodegroups (the events' `group` indexes).
    pub fn replay(&self, groups: &[NodeGroupSpec], to: &mut impl Recorder) {
        for r in &self.timeline {
            to.timeline(r);
        }
        for n in &self.nodes {
            to.node(&NodeRow {
                node: self.str(n.node),
                nodegroup: self.str(n.nodegroup),
                instance_type: self.str(n.instance_type),
                ..n.row
            });
        }
        for s in &self.subnets {
            to.subnet(&SubnetRow {
                subnet: self.str(s.subnet),
                ..s.row
            });
        }
        for b in &self.blocks {
            to.block(&BlockRow {
                node: b.node.map(|s| self.str(s)),
                ..b.row
            });
        }
        for e in &self.events {
            to.event(&EventRecord {
                time: e.time,
                node: e.node.map(|(id, s)| (id, self.str(s))),
                group: &groups[e.group.index()],
                group_id: e.group,
                pod: e.pod.map(|n| self.pod_name(n)),
                subnet: e.subnet.map(|s| self.str(s)),
                fact: e.fact,
                card: e.card,
            });
        }
        for p in &self.pods {
            to.pod(&PodRecord {
                name: self.pod_name(p.name),
                workload: self.str(p.workload),
                node: p.node.map(|s| self.str(s)),
                ..p.record
            });
        }
        for w in &self.waits {
            to.wait(&WaitRecord {
                pod: self.pod_name(w.pod),
                node: w.node.map(|s| self.str(s)),
                ..w.record
            });
        }
        for m in &self.node_metrics {
            to.node_metrics(&NodeMetricsRow {
                node: self.str(m.node),
                nodegroup: self.str(m.nodegroup),
                ..m.row
            });
        }
        for c in &self.cluster_metrics {
            to.cluster_metrics(c);
        }
    }
}
