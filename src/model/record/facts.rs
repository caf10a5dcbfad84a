//! Facts: what happened, with typed fields (the rows of events.csv).

use crate::model::ids::{EniId, PodId, SubnetId};
use crate::scenario::Ec2Action;
use crate::time::{SimDuration, SimTime};

pub use super::causes::{Ec2Error, InsufficientThen, RestartReason};

/// An IPv6 address as four 32-bit words (most significant first): a fact holds it without
/// raising every fact's alignment to a `u128`'s 16 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct V6Bits([u32; 4]);

impl From<u128> for V6Bits {
    fn from(a: u128) -> V6Bits {
        V6Bits([
            (a >> 96) as u32,
            (a >> 64) as u32,
            (a >> 32) as u32,
            a as u32,
        ])
    }
}

impl From<V6Bits> for u128 {
    fn from(b: V6Bits) -> u128 {
        b.0.iter().fold(0, |acc, &w| (acc << 32) | u128::from(w))
    }
}

/// One fact worth explaining, with typed fields. `events.csv` writes one row per fact;
/// `kind` is [`Fact::kind`]. `prefixes` says whether counts are /28 prefixes (prefix
/// delegation) or single IPs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Fact {
    /// `nodeInit` starts (first start, or after an aws-node restart).
    IpamdStart {
        /// After an aws-node restart.
        restart: bool,
    },
    /// Prefix delegation asked for on an instance type that is neither Nitro nor bare
    /// metal: secondary IPs are used.
    PdUnsupported,
    /// ipamd init finished (with Calico: calico-node started): the node is Ready.
    NodeReady,
    /// Calico: calico-node started, the node is Ready (`node_ready`, like [`Fact::NodeReady`]).
    CalicoNodeReady,
    /// Calico: the node claimed a block of the pool (block affinity).
    BlockClaimed {
        /// The block.
        block: crate::scenario::Ipv4Cidr,
        /// Blocks affine to the node after this one.
        blocks: u32,
    },
    /// IPv6 mode: `AssignIpv6Addresses` gave the primary ENI this /80.
    Ipv6Prefix {
        /// The /80's network address.
        prefix: V6Bits,
    },
    /// A launched node's kubelet registered it (NotReady); aws-node starts, and ipamd's
    /// `nodeInit` begins after `start` (the drawn `aws_node_start`).
    NodeRegistered {
        /// From registration until ipamd starts.
        start: crate::time::SimDuration,
    },
    /// A CNI ADD found no address; the kubelet retries.
    /// One row stands for a pod's consecutive failed CNI ADDs with the same cause: the
    /// event's time is the first failure, `until` the last, `count` how many.
    NoIp {
        /// The pod.
        pod: PodId,
        /// `ips_available` at the first failure (cooldown included).
        available: u32,
        /// Addresses cooling at the first failure.
        cooling: u32,
        /// Addresses held at the first failure.
        total: u32,
        /// Why the pod waited at the first failure: the cause of its `waits.csv` interval
        /// at that instant.
        cause: super::WaitCause,
        /// Failed CNI ADDs in the streak.
        count: u32,
        /// The last failure of the streak.
        until: SimTime,
    },
    /// `AssignPrivateIpAddresses` added IPs or prefixes to an ENI.
    Assigned {
        /// The ENI.
        eni: EniId,
        /// IPs or prefixes added.
        count: u32,
        /// Addresses held afterwards.
        total: u32,
        /// Addresses assigned to pods.
        assigned: u32,
        /// Counts are prefixes.
        prefixes: bool,
    },
    /// A decrease releases IPs or prefixes of an ENI (`UnassignPrivateIpAddresses`).
    Unassigned {
        /// The ENI.
        eni: EniId,
        /// IPs or prefixes released.
        count: u32,
        /// Addresses held afterwards.
        total: u32,
        /// Addresses assigned to pods.
        assigned: u32,
        /// Counts are prefixes.
        prefixes: bool,
    },
    /// ipamd decided to create an ENI.
    CreateEni {
        /// The new ENI.
        eni: EniId,
        /// IPs or prefixes asked for with it.
        count: u32,
        /// `ips_available` at the decision.
        available: u32,
        /// Addresses held at the decision.
        total: u32,
        /// Counts are prefixes.
        prefixes: bool,
    },
    /// A new ENI entered the datastore (`adopted`: an orphan found by reconcile).
    EniReady {
        /// The ENI.
        eni: EniId,
        /// IPs or prefixes it brought.
        count: u32,
        /// Adopted by reconcile rather than set up by the increase that created it.
        adopted: bool,
        /// Counts are prefixes.
        prefixes: bool,
    },
    /// ipamd frees an idle ENI (detach, then delete).
    FreeEni {
        /// The ENI.
        eni: EniId,
        /// IPs or prefixes it held, all unassigned.
        idle: u32,
        /// Counts are prefixes.
        prefixes: bool,
    },
    /// EC2 had too few free addresses (or no /28 block) in a subnet.
    InsufficientAddresses {
        /// The call that failed.
        action: Ec2Action,
        /// The ENI (fills), or `None` for a new ENI.
        eni: Option<EniId>,
        /// IPs or prefixes asked for.
        count: u32,
        /// The subnet.
        subnet: SubnetId,
        /// The error.
        error: Ec2Error,
        /// What ipamd does next.
        then: InsufficientThen,
        /// Counts are prefixes.
        prefixes: bool,
    },
    /// The 120 s insufficient-address back-off starts.
    InsufficientCooldown {
        /// The call whose failure started it.
        action: Ec2Action,
        /// The subnet named in the message (fills), if any.
        subnet: Option<SubnetId>,
        /// The error.
        error: Ec2Error,
        /// When increases may resume.
        until: SimTime,
    },
    /// The ENI limit is reached (reported once until the ENI count changes).
    MaxEni {
        /// The node's effective ENI limit.
        limit: u32,
    },
    /// An EC2 request failed and the SDK retries it.
    Ec2Retry {
        /// The action.
        action: Ec2Action,
        /// The attempt that failed (1-based).
        attempt: u32,
        /// Its error.
        error: Ec2Error,
        /// The SDK's backoff before the next attempt.
        backoff: SimDuration,
    },
    /// An EC2 call failed for good (retries exhausted).
    Ec2Failed {
        /// The action.
        action: Ec2Action,
        /// Attempts made.
        attempts: u32,
        /// The last error.
        error: Ec2Error,
    },
    /// A node's EC2 requests kept failing the same way: in a streak of failed requests of
    /// one action with one error (until a request of the node succeeds), the first
    /// `ec2_retry`, `ec2_failed` and `increase_failed` rows are written as they happen and
    /// every later failed request of the streak is counted in this one row, written when
    /// the streak ends. Its time is the first counted request's.
    Ec2Repeats {
        /// The action.
        action: Ec2Action,
        /// The error.
        error: Ec2Error,
        /// Failed requests in the streak.
        requests: u32,
        /// Calls that failed for good in the streak.
        calls: u32,
        /// The last failed request.
        until: SimTime,
    },
    /// An increase step failed with an EC2 error other than insufficient addresses.
    IncreaseFailed {
        /// The call that failed.
        action: Ec2Action,
        /// The ENI concerned, if any.
        eni: Option<EniId>,
        /// IPs or prefixes asked for, if any.
        count: Option<u32>,
        /// The error.
        error: Ec2Error,
        /// Counts are prefixes.
        prefixes: bool,
    },
    /// Attaching a new ENI failed; it is deleted again.
    AttachFailed {
        /// The ENI.
        eni: EniId,
        /// The error.
        error: Ec2Error,
    },
    /// `UnassignPrivateIpAddresses` failed: the addresses stay on the ENI in EC2.
    ReleaseFailed {
        /// The ENI.
        eni: EniId,
        /// The error.
        error: Ec2Error,
    },
    /// Freeing an ENI failed at `action`: it stays attached.
    FreeFailed {
        /// The ENI.
        eni: EniId,
        /// The call that failed.
        action: Ec2Action,
        /// The error.
        error: Ec2Error,
    },
    /// Deleting an ENI failed: leaked until the leaked-ENI cleanup.
    EniLeaked {
        /// The ENI.
        eni: EniId,
        /// When the cleanup deletes it.
        cleanup_at: SimTime,
    },
    /// The leaked-ENI cleanup deleted a leaked ENI.
    EniCleanedUp {
        /// The ENI.
        eni: EniId,
    },
    /// A new ENI did not show in IMDS after 12 polls.
    EniNotInImds {
        /// The ENI.
        eni: EniId,
    },
    /// No subnet qualifies for a new ENI (subnet discovery's tags, or an excluded primary
    /// subnet with discovery off): ipamd refuses it before any `CreateNetworkInterface`, with
    /// no back-off (`pkg/awsutils/awsutils.go:1198-1212`).
    NoSubnetForEni {
        /// The ENI that was to be created.
        eni: EniId,
    },
    /// Injected fault: a new ENI will not show in IMDS for a while.
    EniMissingFromImds {
        /// The ENI.
        eni: EniId,
        /// How long it stays invisible.
        hidden_for: SimDuration,
    },
    /// aws-node exits; the kubelet restarts it after `delay`.
    AwsNodeRestart {
        /// Why.
        reason: RestartReason,
        /// CrashLoopBackOff delay.
        delay: SimDuration,
    },
    /// Reconcile added back CIDRs whose release had failed.
    Reconcile {
        /// CIDRs added back (or returned to their subnet if the ENI is gone).
        readded: u32,
    },
    /// A new instance found no free address in its subnet.
    LaunchFailed {
        /// The subnet.
        subnet: SubnetId,
    },
    /// An explicit `launch` entry added nodes to a group (a group event).
    Launch {
        /// Nodes launched.
        count: u32,
        /// The group's size before.
        before: u32,
        /// Boot time until ipamd starts.
        boot: SimDuration,
    },
    /// The autoscaler added nodes to a group (a group event).
    ScaleUp {
        /// Nodes added.
        count: u32,
        /// The group's size before.
        before: u32,
        /// Pods unschedulable for at least `delay`.
        waiting: u32,
        /// The group's `scale_up_delay`.
        delay: SimDuration,
        /// Pods that fit on nodes still booting.
        absorbed: u32,
        /// The group's `max` capped the scale-up.
        capped: bool,
        /// Karpenter launched the nodes and bound the pending pods to them (`delay` is then
        /// how long its batch lasted).
        karpenter: bool,
    },
    /// The VPC resource controller attached the node's trunk ENI: the node offers
    /// `branches` × `vpc.amazonaws.com/pod-eni`.
    TrunkAttached {
        /// The trunk's subnet.
        subnet: SubnetId,
        /// Its primary address.
        addr: u32,
        /// Branch ENIs the node may hold.
        branches: u32,
    },
    /// A pod got its branch ENI (created, associated with the trunk, the pod annotated).
    BranchEni {
        /// The pod.
        pod: PodId,
        /// The branch's number on the node (`branch-<n>`).
        branch: u32,
        /// Its address (the pod's IP).
        addr: u32,
        /// Branches in use on the node after.
        in_use: u32,
        /// The subnet.
        subnet: SubnetId,
    },
    /// A deleted pod's branch ENI was deleted after its cooldown.
    BranchEniDeleted {
        /// The branch's number on the node.
        branch: u32,
        /// Its address, back in the subnet.
        addr: u32,
        /// The subnet.
        subnet: SubnetId,
    },
    /// The subnet had no address for a trunk or branch ENI; the controller tries again
    /// later.
    PodEniFailed {
        /// A trunk (else a branch).
        trunk: bool,
        /// The error.
        error: Ec2Error,
        /// The subnet.
        subnet: SubnetId,
        /// When the controller tries again.
        retry_in: SimDuration,
    },
    /// The autoscaler removed an empty node.
    ScaleDown {
        /// Since when it held only DaemonSet pods.
        since: SimTime,
        /// The group's size after.
        after: u32,
    },
}

impl Fact {
    /// The `kind` word in `events.csv`.
    pub fn kind(&self) -> &'static str {
        match self {
            Fact::IpamdStart { .. } => "ipamd_start",
            Fact::PdUnsupported => "pd_unsupported",
            Fact::NodeReady | Fact::CalicoNodeReady => "node_ready",
            Fact::BlockClaimed { .. } => "block_claimed",
            Fact::Ipv6Prefix { .. } => "ipv6_prefix",
            Fact::NodeRegistered { .. } => "node_registered",
            Fact::NoIp { .. } => "no_ip",
            Fact::Assigned {
                prefixes: false, ..
            } => "assign_ips",
            Fact::Assigned { prefixes: true, .. } => "assign_prefixes",
            Fact::Unassigned {
                prefixes: false, ..
            } => "unassign_ips",
            Fact::Unassigned { prefixes: true, .. } => "unassign_prefixes",
            Fact::CreateEni { .. } => "create_eni",
            Fact::EniReady { adopted: false, .. } => "eni_ready",
            Fact::EniReady { adopted: true, .. } => "eni_adopted",
            Fact::FreeEni { .. } => "free_eni",
            Fact::InsufficientAddresses { .. } => "insufficient_addresses",
            Fact::InsufficientCooldown { .. } => "insufficient_cooldown",
            Fact::MaxEni { .. } => "max_eni",
            Fact::Ec2Retry { .. } => "ec2_retry",
            Fact::Ec2Failed { .. } => "ec2_failed",
            Fact::Ec2Repeats { .. } => "ec2_repeats",
            Fact::IncreaseFailed { .. } => "increase_failed",
            Fact::AttachFailed { .. } => "attach_failed",
            Fact::ReleaseFailed { .. } => "release_failed",
            Fact::FreeFailed { .. } => "free_failed",
            Fact::EniLeaked { .. } => "eni_leaked",
            Fact::EniCleanedUp { .. } => "eni_cleaned_up",
            Fact::EniNotInImds { .. } => "eni_not_in_imds",
            Fact::NoSubnetForEni { .. } => "no_subnet_for_eni",
            Fact::EniMissingFromImds { .. } => "fault",
            Fact::AwsNodeRestart { .. } => "aws_node_restart",
            Fact::Reconcile { .. } => "reconcile",
            Fact::LaunchFailed { .. } => "launch_failed",
            Fact::Launch { .. } => "launch",
            Fact::ScaleUp { .. } => "scale_up",
            Fact::ScaleDown { .. } => "scale_down",
            Fact::TrunkAttached { .. } => "trunk_attached",
            Fact::BranchEni { .. } => "branch_eni",
            Fact::BranchEniDeleted { .. } => "branch_eni_deleted",
            Fact::PodEniFailed { .. } => "pod_eni_failed",
        }
    }

    /// The pod the fact is about.
    pub fn pod(&self) -> Option<PodId> {
        match self {
            Fact::NoIp { pod, .. } | Fact::BranchEni { pod, .. } => Some(*pod),
            _ => None,
        }
    }

    /// The subnet the fact names.
    pub fn subnet(&self) -> Option<SubnetId> {
        match self {
            Fact::InsufficientAddresses { subnet, .. } | Fact::LaunchFailed { subnet } => {
                Some(*subnet)
            }
            Fact::InsufficientCooldown { subnet, .. } => *subnet,
            Fact::TrunkAttached { subnet, .. }
            | Fact::BranchEni { subnet, .. }
            | Fact::BranchEniDeleted { subnet, .. }
            | Fact::PodEniFailed { subnet, .. } => Some(*subnet),
            _ => None,
        }
    }

    /// The ENI the fact is about.
    pub fn eni(&self) -> Option<EniId> {
        match self {
            Fact::Assigned { eni, .. }
            | Fact::Unassigned { eni, .. }
            | Fact::CreateEni { eni, .. }
            | Fact::EniReady { eni, .. }
            | Fact::FreeEni { eni, .. }
            | Fact::AttachFailed { eni, .. }
            | Fact::ReleaseFailed { eni, .. }
            | Fact::FreeFailed { eni, .. }
            | Fact::EniLeaked { eni, .. }
            | Fact::EniCleanedUp { eni }
            | Fact::EniNotInImds { eni }
            | Fact::NoSubnetForEni { eni }
            | Fact::EniMissingFromImds { eni, .. } => Some(*eni),
            Fact::InsufficientAddresses { eni, .. } | Fact::IncreaseFailed { eni, .. } => *eni,
            _ => None,
        }
    }

    /// The EC2 action the fact is about.
    pub fn action(&self) -> Option<Ec2Action> {
        match self {
            Fact::Assigned { .. } => Some(Ec2Action::AssignPrivateIpAddresses),
            Fact::Unassigned { .. } => Some(Ec2Action::UnassignPrivateIpAddresses),
            Fact::CreateEni { .. } => Some(Ec2Action::CreateNetworkInterface),
            Fact::AttachFailed { .. } => Some(Ec2Action::AttachNetworkInterface),
            Fact::ReleaseFailed { .. } => Some(Ec2Action::UnassignPrivateIpAddresses),
            Fact::InsufficientAddresses { action, .. }
            | Fact::InsufficientCooldown { action, .. }
            | Fact::Ec2Retry { action, .. }
            | Fact::Ec2Failed { action, .. }
            | Fact::Ec2Repeats { action, .. }
            | Fact::IncreaseFailed { action, .. }
            | Fact::FreeFailed { action, .. } => Some(*action),
            _ => None,
        }
    }

    /// The `cause` word: an EC2 error code, or why something happened.
    pub fn cause(&self) -> Option<&'static str> {
        match self {
            Fact::NoIp { cause, .. } => Some(cause.word()),
            Fact::InsufficientAddresses { error, .. }
            | Fact::InsufficientCooldown { error, .. }
            | Fact::Ec2Retry { error, .. }
            | Fact::Ec2Failed { error, .. }
            | Fact::Ec2Repeats { error, .. }
            | Fact::IncreaseFailed { error, .. }
            | Fact::AttachFailed { error, .. }
            | Fact::ReleaseFailed { error, .. }
            | Fact::FreeFailed { error, .. } => Some(error.name()),
            Fact::MaxEni { .. } => Some(super::WaitCause::MaxEnis.word()),
            Fact::EniLeaked { .. } => Some("delete_failed"),
            Fact::EniMissingFromImds { .. } => Some("eni_missing_from_imds"),
            Fact::AwsNodeRestart { reason, .. } => Some(reason.word()),
            Fact::PdUnsupported => Some("not_nitro"),
            Fact::LaunchFailed { .. } => Some(Ec2Error::InsufficientFreeAddressesInSubnet.name()),
            Fact::ScaleUp { .. } => Some("unschedulable_pods"),
            Fact::ScaleDown { .. } => Some("empty_node"),
            Fact::PodEniFailed { error, .. } => Some(error.name()),
            _ => None,
        }
    }

    /// When a fact spanning time ends (`no_ip` streaks).
    pub fn until(&self) -> Option<SimTime> {
        match self {
            Fact::NoIp { until, .. } | Fact::Ec2Repeats { until, .. } => Some(*until),
            _ => None,
        }
    }

    /// The count the fact carries (IPs or prefixes, nodes, attempts), if any.
    pub fn count(&self) -> Option<u32> {
        match self {
            Fact::Assigned { count, .. }
            | Fact::Unassigned { count, .. }
            | Fact::CreateEni { count, .. }
            | Fact::EniReady { count, .. }
            | Fact::InsufficientAddresses { count, .. }
            | Fact::Launch { count, .. }
            | Fact::ScaleUp { count, .. } => Some(*count),
            Fact::FreeEni { idle, .. } => Some(*idle),
            Fact::Ec2Retry { attempt, .. } => Some(*attempt),
            Fact::NoIp { count, .. } => Some(*count),
            Fact::Ec2Repeats { requests, .. } => Some(*requests),
            Fact::Ec2Failed { attempts, .. } => Some(*attempts),
            Fact::IncreaseFailed { count, .. } => *count,
            Fact::Reconcile { readded } => Some(*readded),
            Fact::MaxEni { limit } => Some(*limit),
            Fact::TrunkAttached { branches, .. } => Some(*branches),
            Fact::BranchEni { in_use, .. } => Some(*in_use),
            Fact::BlockClaimed { blocks, .. } => Some(*blocks),
            _ => None,
        }
    }
}
