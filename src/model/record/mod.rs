//! What the model records: typed samples and facts, pushed to a [`Recorder`].
//!
//! The model never formats text. Writers (`crate::output`) turn these records into CSV and
//! JSON through libraries; tests keep them in memory ([`MemoryRecorder`]) and match on the
//! typed fields. Files: `samples.rs` (timeline, node, subnet and pod rows), `facts.rs` (the
//! events), `waits.rs` (wait causes and intervals), `metrics.rs` (the samples of `metrics.om`),
//! `memory.rs` (the in-memory recorder).

mod causes;
mod facts;
mod memory;
mod metrics;
mod order;
mod samples;
mod waits;

pub use facts::{Ec2Error, Fact, InsufficientThen, RestartReason};
pub use memory::{
    BlockSample, MemoryRecorder, NodeSample, OwnedEvent, OwnedPod, OwnedWait, SubnetSample,
};
pub use metrics::{AwsNodeCounters, ClusterMetricsRow, NodeMetricsRow, EC2_ERRORS};
pub use order::{Draft, EventOrder, Slot, StreakOwner};
pub use samples::{BlockRow, NodeRow, PodAddr, PodRecord, PodState, SubnetRow, TimelineRow};
pub use waits::{CauseChange, WaitCause, WaitRecord};

use super::ids::{GroupId, NodeId};
use crate::scenario::NodeGroupSpec;
use crate::time::SimTime;

/// A fact with where and when it happened, names resolved (nothing allocated).
#[derive(Clone, Copy, Debug)]
pub struct EventRecord<'a> {
    /// When.
    pub time: SimTime,
    /// The node, for node events; `None` for group events (launch, scale-up).
    pub node: Option<(NodeId, &'a str)>,
    /// The node's group (or the group of a group event).
    pub group: &'a NodeGroupSpec,
    /// That group's id (its index among the scenario's nodegroups).
    pub group_id: GroupId,
    /// The pod the fact names, with its name.
    pub pod: Option<super::PodName<'a>>,
    /// The subnet the fact names.
    pub subnet: Option<&'a str>,
    /// What happened.
    pub fact: Fact,
    /// On a node that manages several network cards, the card the fact is about.
    pub card: Option<u8>,
}

/// Receives what the model records.
pub trait Recorder {
    /// A cluster-wide sample.
    fn timeline(&mut self, row: &TimelineRow);
    /// A per-node sample.
    fn node(&mut self, row: &NodeRow<'_>);
    /// A per-subnet sample.
    fn subnet(&mut self, row: &SubnetRow<'_>);
    /// A fact worth explaining.
    fn event(&mut self, event: &EventRecord<'_>);
    /// A pod's life, once (`pods.csv`).
    fn pod(&mut self, pod: &PodRecord<'_>);
    /// One interval of a pod's wait (`waits.csv`); a pod's intervals come together, in
    /// time order, when its wait ends.
    fn wait(&mut self, wait: &WaitRecord<'_>);
    /// A claimed Calico block's sample (`blocks.csv`); every claimed block at every sample
    /// time, in block order. Default: not kept.
    fn block(&mut self, _row: &BlockRow<'_>) {}
    /// Whether `metrics.om` is written: the world builds the metrics rows only then.
    /// Default: no.
    fn wants_metrics(&self) -> bool {
        false
    }
    /// A node's metrics (`metrics.om`), right after its `nodes.csv` sample (VPC CNI runs
    /// only). Default: not kept.
    fn node_metrics(&mut self, _row: &NodeMetricsRow<'_>) {}
    /// The cluster's metrics (`metrics.om`), right after the timeline's sample. Default:
    /// not kept.
    fn cluster_metrics(&mut self, _row: &ClusterMetricsRow) {}
}
