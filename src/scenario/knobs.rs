//! The simulator's knobs outside aws-node's settings: the kubelet's retry, ipamd's
//! map-order model and loop overhead, the scheduler's policy and the VPC resource
//! controller's settings (security groups for pods), with their defaults and sources.

use crate::time::SimDuration;

/// Kubelet sandbox-creation retry after a CNI ADD failure.
#[derive(Clone, Debug, PartialEq)]
pub struct KubeletConfig {
    /// Base retry period (default 10 s, kubelet `backOffPeriod`).
    pub retry_interval: SimDuration,
    /// Extra random fraction of the period, uniform in `[0, jitter]` (default 0.5).
    pub retry_jitter: f64,
}

impl Default for KubeletConfig {
    fn default() -> Self {
        KubeletConfig {
            retry_interval: SimDuration::from_secs(10),
            retry_jitter: 0.5,
        }
    }
}

/// Where the real ipamd picks by Go map order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// Seeded random order (faithful to the real daemon's behaviour distribution).
    Random,
    /// ENI device number ascending, then address ascending (the docs' tables).
    Canonical,
}

/// Simulator knobs for ipamd that the real daemon does not expose.
#[derive(Clone, Debug, PartialEq)]
pub struct IpamdConfig {
    /// Map-order model (default random).
    pub placement: Placement,
    /// CPU time charged to each pool-manager half-cycle (default 1 ms; spec §b.3).
    pub tick_overhead: SimDuration,
}

impl Default for IpamdConfig {
    fn default() -> Self {
        IpamdConfig {
            placement: Placement::Random,
            tick_overhead: SimDuration::from_millis(1),
        }
    }
}

/// The VPC resource controller's settings for security groups for pods (`resource_controller`).
/// Defaults are the controller's own (amazon-vpc-resource-controller-k8s v1.7.19).
#[derive(Clone, Debug, PartialEq)]
pub struct ResourceControllerConfig {
    /// How long a deleted pod's branch ENI cools before it is deleted and its slot frees
    /// (`branch-eni-cooldown`, default 60 s, at least 30 s: cooldown.go:41-44, 74-79).
    pub branch_eni_cooldown: SimDuration,
    /// The controller's client-side EC2 rate (requests/s; `--user-client-qps` 12).
    pub ec2_qps: u32,
    /// Its burst (requests; `--user-client-burst` 18).
    pub ec2_burst: u32,
}

impl Default for ResourceControllerConfig {
    fn default() -> Self {
        ResourceControllerConfig {
            branch_eni_cooldown: SimDuration::from_secs(60),
            ec2_qps: 12,
            ec2_burst: 18,
        }
    }
}

/// How the scheduler picks among nodes with a free slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SchedulerPolicy {
    /// Fewest bound pods first (kube-scheduler's default spreading), ties by node order.
    LeastAllocated,
    /// Most bound pods first (bin packing), ties by node order.
    MostAllocated,
}

/// Scheduler settings.
#[derive(Clone, Debug, PartialEq)]
pub struct SchedulerConfig {
    /// Node choice policy (default least-allocated).
    pub policy: SchedulerPolicy,
}

impl Default for SchedulerConfig {
    fn default() -> Self {
        SchedulerConfig {
            policy: SchedulerPolicy::LeastAllocated,
        }
    }
}
