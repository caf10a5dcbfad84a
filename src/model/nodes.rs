//! The instances of the cluster: identity only (name, group, primary subnet and address,
//! launch time, removed). What each component knows of a node it keeps itself: kube its
//! readiness and bound pods, ipamd its datastore.

use super::ids::{GroupId, NodeId, SubnetId};
use crate::time::SimTime;

/// One instance.
#[derive(Clone, Debug)]
pub struct NodeInfo {
    /// `<nodegroup>-<n>`.
    pub name: String,
    /// Its nodegroup.
    pub group: GroupId,
    /// Its primary subnet.
    pub subnet: SubnetId,
    /// The instance's primary address (primary ENI's primary IP); `None` if the launch
    /// found no free address.
    pub primary_ip: Option<u32>,
    /// When the instance was launched.
    pub launched_at: SimTime,
    /// Removed by scale-down: the instance is gone; the entry stays so ids stay stable.
    pub removed: bool,
}

/// Every instance ever launched, by id.
#[derive(Clone, Debug, Default)]
pub struct Nodes {
    list: Vec<NodeInfo>,
    /// Instances launched per group (the next one's ordinal is this + 1).
    launched: Vec<u32>,
}

impl Nodes {
    /// Adds an instance; returns its id.
    pub fn push(&mut self, n: NodeInfo) -> NodeId {
        let g = n.group.index();
        if self.launched.len() <= g {
            self.launched.resize(g + 1, 0);
        }
        self.launched[g] += 1;
        self.list.push(n);
        NodeId::from_index(self.list.len() - 1)
    }

    /// The ordinal the next instance of `group` gets (`<group>-<ordinal>`, from 1).
    pub fn next_ordinal(&self, group: GroupId) -> u32 {
        self.launched.get(group.index()).copied().unwrap_or(0) + 1
    }

    /// One instance.
    pub fn get(&self, id: NodeId) -> &NodeInfo {
        &self.list[id.index()]
    }

    /// Starts loading instance `id`'s record, which the next event reads
    /// ([`crate::engine::prefetch`]); nothing if there is no such instance.
    pub fn prefetch(&self, id: NodeId) {
        if let Some(n) = self.list.get(id.index()) {
            crate::engine::prefetch::prefetch(n);
        }
    }

    /// One instance, mutably.
    pub fn get_mut(&mut self, id: NodeId) -> &mut NodeInfo {
        &mut self.list[id.index()]
    }

    /// Instances ever launched.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// No instance yet.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Every instance with its id, in launch order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (NodeId, &NodeInfo)> {
        self.list
            .iter()
            .enumerate()
            .map(|(i, n)| (NodeId::from_index(i), n))
    }

    /// The id of the node named `name`.
    pub fn find(&self, name: &str) -> Option<NodeId> {
        self.list
            .iter()
            .position(|n| n.name == name)
            .map(NodeId::from_index)
    }
}
