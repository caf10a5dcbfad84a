//! Every node's ipamd as one set: the leaked ENIs they share, and the CNI the kubelet
//! calls (`Cni` for the VPC CNI: a CNI ADD or DEL reaches the node's ipamd after it caught
//! up with the ticks it slept through).

use super::{Leaked, NodeIpamd};
use crate::engine::EventQueue;
use crate::model::event::Event;
use crate::model::ids::{NodeId, PodId};
use crate::model::lease::Lease;
use crate::time::SimTime;

/// Every node's ipamd, by node id, and the leaked ENIs of all of them.
#[derive(Default)]
pub struct Ipamds {
    /// Per node.
    pub nodes: Vec<NodeIpamd>,
    /// Leaked ENIs, by [`LeakedId`](crate::model::ids::LeakedId).
    pub leaked: Vec<Leaked>,
    /// Some node manages several network cards (`ENABLE_MULTI_NIC`).
    pub multi_card: bool,
}

impl Ipamds {
    /// One node's ipamd.
    pub fn get(&self, node: NodeId) -> &NodeIpamd {
        &self.nodes[node.index()]
    }

    /// One node's ipamd, mutably.
    pub fn get_mut(&mut self, node: NodeId) -> &mut NodeIpamd {
        &mut self.nodes[node.index()]
    }
}

impl crate::model::kube::Cni for Ipamds {
    fn lazy_retries(&self) -> bool {
        // with several cards, an ADD's outcome depends on the pod (multi-homed or not) and a
        // failed multi-homed ADD changes the pool (its addresses cool): every retry is run
        !self.multi_card
    }

    fn serving(&self, node: NodeId) -> bool {
        self.nodes[node.index()].serving()
    }

    fn add(
        &mut self,
        now: SimTime,
        node: NodeId,
        pod: PodId,
        multi_nic: bool,
        queue: &mut EventQueue<Event>,
    ) -> Result<Lease, crate::model::kube::NoAddress> {
        let ip = &mut self.nodes[node.index()];
        let key = queue.current();
        ip.catch_up(node, key);
        match ip.cni_add(now, pod, multi_nic) {
            Ok(addr) => {
                ip.poke(queue, node, key);
                Ok(addr)
            }
            Err(why) => {
                let s = ip.stats(now);
                Err(crate::model::kube::NoAddress {
                    card: why,
                    available: s.available(),
                    cooling: s.cooldown,
                    total: s.total,
                })
            }
        }
    }

    fn address(&self, node: NodeId, lease: Lease) -> crate::model::record::PodAddr {
        self.nodes[node.index()].address(lease)
    }

    fn del(
        &mut self,
        now: SimTime,
        node: NodeId,
        pod: PodId,
        lease: Lease,
        queue: &mut EventQueue<Event>,
    ) {
        let n = &mut self.nodes[node.index()];
        let key = queue.current();
        n.catch_up(node, key);
        n.cni_del(now, pod, lease);
        n.poke(queue, node, key);
    }
}
