//! Samples and pod records: the rows of timeline.csv, nodes.csv, subnets.csv and pods.csv.

use crate::model::ids::PodId;
use crate::time::SimTime;
use serde::Serialize;

/// One cluster-wide sample. Counts are pods, ENIs or IP addresses; `ec2_calls` and
/// `ec2_throttled` are cumulative.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TimelineRow {
    /// Sample time.
    #[serde(rename = "time_s", serialize_with = "crate::time::serialize_secs")]
    pub time: SimTime,
    /// Nodes that exist (ready or not).
    pub nodes: u32,
    /// Pods not deleted.
    pub pods_total: u32,
    /// Pods with an IP (or host network), not deleted.
    pub pods_running: u32,
    /// Pods no node can take.
    pub pods_unschedulable: u32,
    /// Pods on a node waiting for the CNI to give them an IP.
    pub pods_waiting_ip: u32,
    /// ENIs in ipamd datastores.
    pub enis: u32,
    /// Addresses held for pods (`T`).
    pub ips_total: u32,
    /// Addresses assigned to pods (`U`).
    pub ips_assigned: u32,
    /// Released addresses still cooling (`C`).
    pub ips_cooldown: u32,
    /// `T − U`, cooldown included.
    pub ips_available: u32,
    /// /28 prefixes held (0 in secondary-IP mode).
    pub prefixes: u32,
    /// Free addresses summed over subnets.
    pub subnet_free_ips: u64,
    /// EC2 calls made so far.
    pub ec2_calls: u64,
    /// Throttled EC2 requests so far.
    pub ec2_throttled: u64,
}

/// One node's sample.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct NodeRow<'a> {
    /// Sample time.
    #[serde(rename = "time_s", serialize_with = "crate::time::serialize_secs")]
    pub time: SimTime,
    /// Node name.
    pub node: &'a str,
    /// Nodegroup name.
    pub nodegroup: &'a str,
    /// EC2 instance type.
    pub instance_type: &'a str,
    /// Network-ready (ipamd init finished); written `1` or `0`.
    #[serde(serialize_with = "serialize_01")]
    pub ready: bool,
    /// ENIs in the datastore.
    pub enis: u32,
    /// Addresses held (`T`).
    pub ips_total: u32,
    /// Addresses assigned (`U`).
    pub ips_assigned: u32,
    /// Addresses cooling (`C`).
    pub ips_cooldown: u32,
    /// `T − U`.
    pub ips_available: u32,
    /// /28 prefixes held.
    pub prefixes: u32,
    /// Pods bound to the node, host-network ones included.
    pub pods: u32,
}

/// One subnet's sample.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct SubnetRow<'a> {
    /// Sample time.
    #[serde(rename = "time_s", serialize_with = "crate::time::serialize_secs")]
    pub time: SimTime,
    /// Subnet name.
    pub subnet: &'a str,
    /// Free addresses (prefix reservations included).
    pub free_ips: u32,
    /// Aligned /28 blocks entirely free.
    pub free_prefix_blocks: u32,
}

/// One claimed Calico block's sample (`blocks.csv`).
#[derive(Clone, Copy, Debug)]
pub struct BlockRow<'a> {
    /// Sample time.
    pub time: SimTime,
    /// The block.
    pub block: crate::scenario::Ipv4Cidr,
    /// The node it is affine to (`None` once that node is gone).
    pub node: Option<&'a str>,
    /// Addresses in use (by any node's pods).
    pub in_use: u32,
    /// Free addresses.
    pub free: u32,
}

fn serialize_01<S: serde::Serializer>(b: &bool, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u8(u8::from(*b))
}

/// Where a pod is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PodState {
    /// No node can take it.
    Unschedulable,
    /// Bound to a node, waiting for an IP.
    WaitingIp,
    /// Has an IP (or host network).
    Running,
    /// Deleted.
    Deleted,
}

impl PodState {
    /// The `final_state` word in `pods.csv`.
    pub fn word(self) -> &'static str {
        match self {
            PodState::Unschedulable => "unschedulable",
            PodState::WaitingIp => "waiting_ip",
            PodState::Running => "running",
            PodState::Deleted => "deleted",
        }
    }
}

/// A pod's address: IPv4, or IPv6 (IPv6 mode).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PodAddr {
    /// An IPv4 address.
    V4(u32),
    /// An IPv6 address.
    V6(u128),
}

impl std::fmt::Display for PodAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            PodAddr::V4(a) => std::net::Ipv4Addr::from(a).fmt(f),
            PodAddr::V6(a) => std::net::Ipv6Addr::from(a).fmt(f),
        }
    }
}

impl PodAddr {
    /// The IPv4 address, if it is one.
    pub fn v4(self) -> Option<u32> {
        match self {
            PodAddr::V4(a) => Some(a),
            PodAddr::V6(_) => None,
        }
    }
}

/// One pod's life, for `pods.csv` (names resolved by the model).
#[derive(Clone, Copy, Debug)]
pub struct PodRecord<'a> {
    /// The pod (its slot: slots are reused once a pod was deleted and recorded).
    pub id: PodId,
    /// Creation order across the run.
    pub seq: u64,
    /// Its name (`<workload>-<n>`, `<daemonset>-<node>`, or a trace's name).
    pub name: crate::model::PodName<'a>,
    /// The workload or DaemonSet that owns it.
    pub workload: &'a str,
    /// Its node's name, if it was ever bound.
    pub node: Option<&'a str>,
    /// Host-network pods need no IP.
    pub host_network: bool,
    /// A DaemonSet pod (one per node).
    pub daemonset: bool,
    /// Creation time.
    pub created: SimTime,
    /// Binding time.
    pub scheduled: Option<SimTime>,
    /// When the CNI gave it an IP (binding time for host-network pods).
    pub ip_assigned: Option<SimTime>,
    /// Deletion time.
    pub deleted: Option<SimTime>,
    /// The last address it held.
    pub ip: Option<PodAddr>,
    /// Its state at the end (or at deletion).
    pub state: PodState,
}
