//! Node autoscaling and explicit launches of a nodegroup: the `autoscaling` and `launch`
//! keys as written ([`RawAutoscaling`], [`RawLaunch`]) and after validation
//! ([`AutoscalingSpec`], [`LaunchSpec`]).
//!
//! Defaults follow the Kubernetes Cluster Autoscaler (CA) where it has a flag for the
//! behaviour; the README ("Autoscaling") gives the sources.

use super::raw::{raw_mapping, Scalar};
use crate::time::{SimDuration, SimTime};

/// Autoscaler period: CA `--scan-interval` default, 10 s.
pub const SCAN_INTERVAL: SimDuration = SimDuration::from_secs(10);
/// Default `scale_up_delay` (10 s): the scheduler marking a pod unschedulable plus up to
/// one CA scan interval (CA's own `--new-pod-scale-up-delay` defaults to 0 s).
pub const DEFAULT_SCALE_UP_DELAY: SimDuration = SimDuration::from_secs(10);
/// Default `provision_time` (60 s): EC2 launch plus EKS bootstrap until the kubelet
/// registers the node (NotReady). An assumption (published bootstrap timelines show
/// registration 19–40 s after launch; field reports of Ready at 80–90 s), not a documented
/// constant.
pub const DEFAULT_PROVISION_TIME: SimDuration = SimDuration::from_secs(60);
/// Default `scale_down_after` (10 min): CA `--scale-down-unneeded-time`.
pub const DEFAULT_SCALE_DOWN_AFTER: SimDuration = SimDuration::from_secs(600);
/// Most empty nodes removed in one autoscaler pass: CA `--max-empty-bulk-delete` (10).
pub const MAX_EMPTY_BULK_DELETE: u32 = 10;

/// Default `aws_node_start`: uniform 3–8 s from registration until ipamd's `nodeInit`
/// starts. Derived, not an upstream constant: an aws-node log on a new node shows about 6 s
/// from the container's start to the CNI configuration being written (CNI v1.10.2,
/// karpenter-provider-aws#1639), of which `nodeInit`'s own EC2 calls are simulated
/// separately; EKS AMIs ship the CNI images pre-pulled. Without cached images add the pull
/// (5–45 s in field reports, amazon-vpc-cni-k8s#1425).
pub const DEFAULT_AWS_NODE_START: (SimDuration, SimDuration) =
    (SimDuration::from_secs(3), SimDuration::from_secs(8));

/// Who adds nodes for pending pods.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Provisioner {
    /// The Cluster Autoscaler: a pass every 10 s grows the node group; kube-scheduler
    /// binds pods once a node is Ready.
    #[default]
    ClusterAutoscaler,
    /// Karpenter as in its v0.10-era releases (the field reports this models): pending pods
    /// are batched (a pass every second, launching once no new pod arrived in the last
    /// second or 10 s after the batch began) and bound to the nodes it launches, before
    /// they are Ready.
    Karpenter,
}

impl Provisioner {
    /// The word in the scenario.
    pub fn word(self) -> &'static str {
        match self {
            Provisioner::ClusterAutoscaler => "cluster-autoscaler",
            Provisioner::Karpenter => "karpenter",
        }
    }
}

/// Karpenter's pass period and batch idle time (`BATCH_IDLE_DURATION`, 1 s).
pub const KARPENTER_PASS: SimDuration = SimDuration::from_secs(1);
/// Karpenter's longest batch (`BATCH_MAX_DURATION`, 10 s).
pub const KARPENTER_BATCH_MAX: SimDuration = SimDuration::from_secs(10);

/// A nodegroup's autoscaling settings after validation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AutoscalingSpec {
    /// Who adds nodes (`provisioner`).
    pub provisioner: Provisioner,
    /// Never scale below this many nodes (default: the group's `count`; `count` ≥ `min`).
    pub min: u32,
    /// Never scale above this many nodes (≥ 1, ≥ `min`, ≥ `count`).
    pub max: u32,
    /// How long a pod must have been unschedulable before it triggers a scale-up.
    pub scale_up_delay: SimDuration,
    /// Instance boot: from launch until the node registers (NotReady); aws-node then
    /// starts (`aws_node_start`) and runs `nodeInit`.
    pub provision_time: SimDuration,
    /// How long a Ready node must have held only DaemonSet pods before it is removed.
    pub scale_down_after: SimDuration,
}

/// One explicit `launch` entry: `count` nodes launched at `at`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LaunchSpec {
    /// When the instances are launched.
    pub at: SimTime,
    /// How many nodes (≥ 1).
    pub count: u32,
    /// Boot time until the node registers: the entry's `provision_time`, else the group's
    /// `autoscaling.provision_time`, else [`DEFAULT_PROVISION_TIME`].
    pub provision_time: SimDuration,
}

raw_mapping! {
    /// `nodegroups[].autoscaling` as written.
    RawAutoscaling<'a> {
        /// `min`: nodes, ≥ 0; default the group's `count`.
        min: Scalar = "min",
        /// `max`: nodes, ≥ 1; required.
        max: Scalar = "max",
        /// `scale_up_delay`: duration; default 10 s.
        scale_up_delay: Scalar = "scale_up_delay",
        /// `provision_time`: duration; default 60 s.
        provision_time: Scalar = "provision_time",
        /// `scale_down_after`: duration; default 10 min.
        scale_down_after: Scalar = "scale_down_after",
        /// `provisioner`: `cluster-autoscaler` (default) or `karpenter`.
        provisioner: Scalar = "provisioner",
    }
}

raw_mapping! {
    /// One `nodegroups[].launch` entry as written.
    RawLaunch<'a> {
        /// `at`: duration; required.
        at: Scalar = "at",
        /// `count`: nodes, ≥ 1; required.
        count: Scalar = "count",
        /// `provision_time`: duration; default the group's.
        provision_time: Scalar = "provision_time",
    }
}
