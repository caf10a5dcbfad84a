//! Why a pod was not running yet: the causes of `waits.csv` and its rows.
//!
//! A pod waits from its creation until it runs (it got an IP, or it was bound, for a
//! host-network pod), is deleted, or the run ends. That time is cut into intervals, each
//! with one cause; a pod's intervals are contiguous and cover its wait exactly. The model
//! state that selects each cause is documented on [`WaitCause`] (and in docs/outputs.md).

use crate::time::SimTime;

/// Why a pod was waiting during one interval.
///
/// Before binding the cause is [`WaitCause::Unschedulable`]. Once bound, it is the first of
/// these that holds on the pod's node: node not Ready; ipamd not serving; an assignable
/// address is free (the kubelet has not retried yet); a pool increase is in flight
/// (throttled or retried call, or not); the only free addresses are cooling; the
/// insufficient-address back-off (no free /28 in a subnet with room, else a full subnet);
/// the ENI limit with every
/// ENI full; a throttled request in the last 30 s; the pool rules ask for no more
/// addresses; otherwise the next pool-manager tick will start an increase. With Calico IPAM
/// a Ready node's cause is instead: the refusal an assignment would meet now, else an
/// assignment running or queued ([`WaitCause::IpamAssigning`]), else
/// [`WaitCause::KubeletRetry`] (`crate::model::calico`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WaitCause {
    /// No Ready node with a free max-pods slot (also while nodes boot).
    Unschedulable,
    /// Bound to a node that is not Ready yet (a DaemonSet pod on a booting node).
    NodeNotReady,
    /// Bound to a Ready node whose ipamd is not serving CNI ADDs (an aws-node restart's
    /// `nodeInit`).
    IpamdUnavailable,
    /// An address was free, but the kubelet had not retried the CNI ADD yet (its retry
    /// comes 10 s × (1 + jitter) after the failed one).
    KubeletRetry,
    /// No free address while the pool grows: an `AssignPrivateIpAddresses`, an ENI's
    /// create, attach or setup, or the IMDS wait for its addresses is in flight.
    PoolGrowing,
    /// Growth waits on an EC2 call that was throttled or failed and is being retried, or
    /// a request was throttled in the last 30 s.
    Ec2Throttled,
    /// The only free addresses are cooling down (`IP_COOLDOWN_PERIOD`).
    Cooldown,
    /// The subnet had no room: `InsufficientFreeAddressesInSubnet`, or
    /// `InsufficientCidrBlocks` with no free address in any subnet asked, and the 120 s
    /// back-off after it.
    SubnetFull,
    /// The node has all the ENIs it may attach (instance limit or `MAX_ENI`) and they are
    /// full.
    MaxEnis,
    /// No free address, and the pool rules ask for none: `MINIMUM_IP_TARGET` reached with
    /// `WARM_IP_TARGET` unset (spec C40), or another setting that stops growth.
    PoolFrozen,
    /// No free address and nothing in flight: ipamd's next pool-manager tick (every ~5 s)
    /// will start an increase.
    PoolTick,
    /// Calico: an address is to be had, and an assignment runs on the node or ADDs queue
    /// behind its host-wide IPAM lock (`ipam.latency` each).
    IpamAssigning,
    /// Calico: no free block and no free address in any block of the pool.
    PoolExhausted,
    /// Calico: no free block, and strict affinity forbids borrowing from other nodes'
    /// blocks.
    StrictAffinity,
    /// Calico: the node holds its 20 blocks, all full (`ErrBlockLimit`).
    BlockLimit,
    /// A pod that a SecurityGroupPolicy selects, bound, and the VPC resource controller
    /// has not annotated it with its branch ENI yet (creating and associating it, held by
    /// its EC2 rate limit, or waiting for a branch slot that a cooling branch holds).
    BranchEni,
    /// Prefix delegation: `InsufficientCidrBlocks` while a subnet asked still had free
    /// addresses (none of its aligned /28 blocks entirely free), and the 120 s back-off
    /// after it.
    NoFreePrefix,
}

impl WaitCause {
    /// Every cause, in the order of `wait_by_cause_s` and the `wait_<cause>_s` columns.
    pub const ALL: [WaitCause; 17] = [
        WaitCause::Unschedulable,
        WaitCause::NodeNotReady,
        WaitCause::IpamdUnavailable,
        WaitCause::KubeletRetry,
        WaitCause::PoolGrowing,
        WaitCause::Ec2Throttled,
        WaitCause::Cooldown,
        WaitCause::SubnetFull,
        WaitCause::MaxEnis,
        WaitCause::PoolFrozen,
        WaitCause::PoolTick,
        WaitCause::IpamAssigning,
        WaitCause::PoolExhausted,
        WaitCause::StrictAffinity,
        WaitCause::BlockLimit,
        WaitCause::BranchEni,
        WaitCause::NoFreePrefix,
    ];

    /// The `cause` word in `waits.csv`.
    pub fn word(self) -> &'static str {
        match self {
            WaitCause::Unschedulable => "unschedulable",
            WaitCause::NodeNotReady => "node_not_ready",
            WaitCause::IpamdUnavailable => "ipamd_unavailable",
            WaitCause::KubeletRetry => "kubelet_retry",
            WaitCause::PoolGrowing => "pool_growing",
            WaitCause::Ec2Throttled => "ec2_throttled",
            WaitCause::Cooldown => "cooldown",
            WaitCause::SubnetFull => "subnet_full",
            WaitCause::MaxEnis => "max_enis",
            WaitCause::PoolFrozen => "pool_frozen",
            WaitCause::PoolTick => "pool_tick",
            WaitCause::IpamAssigning => "ipam_assigning",
            WaitCause::PoolExhausted => "pool_exhausted",
            WaitCause::StrictAffinity => "strict_affinity",
            WaitCause::BlockLimit => "block_limit",
            WaitCause::BranchEni => "branch_eni",
            WaitCause::NoFreePrefix => "no_free_prefix",
        }
    }

    /// What held the pod back, in one line (the same words in `explain`, the report and
    /// `no_ip` rows' detail; docs/outputs.md gives the state that selects each cause).
    pub fn meaning(self) -> &'static str {
        match self {
            WaitCause::Unschedulable => "no Ready node had a free max-pods slot",
            WaitCause::NodeNotReady => "the node was not Ready yet",
            WaitCause::IpamdUnavailable => {
                "ipamd was not serving CNI ADDs (starting or restarting)"
            }
            WaitCause::KubeletRetry => "an address was free; the kubelet had not retried yet",
            WaitCause::PoolGrowing => "no free address; an IP or ENI request was in flight",
            WaitCause::Ec2Throttled => "pool growth waited on throttled or failed EC2 calls",
            WaitCause::Cooldown => "the only free addresses were cooling down",
            WaitCause::SubnetFull => "the subnet had no room (then a 120 s back-off)",
            WaitCause::NoFreePrefix => {
                "the subnet had free addresses but no free aligned /28 (then a 120 s back-off)"
            }
            WaitCause::MaxEnis => "the node had every ENI it may attach, all full",
            WaitCause::PoolFrozen => "no free address; the pool rules asked for no more",
            WaitCause::PoolTick => {
                "no free address, nothing in flight; waiting for ipamd's pool tick"
            }
            WaitCause::IpamAssigning => {
                "Calico's assignment ran or queued behind the node's IPAM lock"
            }
            WaitCause::PoolExhausted => "Calico's pool had no free block and no free address",
            WaitCause::StrictAffinity => {
                "no free Calico block, and strict affinity forbids borrowing"
            }
            WaitCause::BlockLimit => "the node held its 20 Calico blocks, all full",
            WaitCause::BranchEni => {
                "the resource controller had not given the pod its branch ENI yet"
            }
        }
    }

    /// The cause named `word` (as in `waits.csv`).
    pub fn from_word(word: &str) -> Option<WaitCause> {
        WaitCause::ALL.into_iter().find(|c| c.word() == word)
    }

    /// Index into [`WaitCause::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// A node's wait cause from an instant on, until the next change (a wait plan, a node's
/// log of causes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CauseChange {
    /// When the cause starts.
    pub from: SimTime,
    /// The cause.
    pub cause: WaitCause,
}

/// One wait interval of one pod (`waits.csv`), names resolved.
#[derive(Clone, Copy, Debug)]
pub struct WaitRecord<'a> {
    /// The pod.
    pub pod: crate::model::PodName<'a>,
    /// The node it was bound to during the interval (`None` while unschedulable).
    pub node: Option<&'a str>,
    /// Why it waited.
    pub cause: WaitCause,
    /// Start of the interval.
    pub start: SimTime,
    /// End of the interval (later than `start`).
    pub end: SimTime,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_lists_every_cause_at_its_index_with_a_distinct_word() {
        for (i, c) in WaitCause::ALL.iter().enumerate() {
            assert_eq!(c.index(), i, "{c:?}");
            assert_eq!(WaitCause::from_word(c.word()), Some(*c));
        }
        let mut words: Vec<_> = WaitCause::ALL.iter().map(|c| c.word()).collect();
        words.sort_unstable();
        words.dedup();
        assert_eq!(words.len(), WaitCause::ALL.len());
    }
}
