//! What the loop is doing now: the step the next wake continues, carrying the data of the
//! routine in progress (the ENI being created, attached or freed, the fill's or the
//! decrease's progress), so that a step always has what it works on.

use super::NewEni;
use crate::model::ids::EniId;
use crate::scenario::Ec2Action;

/// What the loop is doing now, i.e. what the next wake continues, with the data of the
/// routine in progress.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Step {
    /// Not started (instance booting) or stopped.
    #[default]
    Off,
    /// `DescribeNetworkInterfaces` of `nodeInit` returned.
    InitDescribed,
    /// The 2.5 s sleep before `updateIPPoolIfRequired` ended.
    PoolUpdate,
    /// The 2.5 s sleep before `nodeIPPoolReconcile` ended.
    Reconcile,
    /// `AssignPrivateIpAddresses` for `n` IPs or prefixes on ENI `eni` returned
    /// (`retry` = the 1-CIDR retry).
    Assigned {
        /// ENI id.
        eni: EniId,
        /// IPs or prefixes requested.
        n: u32,
        /// This was the retry with 1.
        retry: bool,
        /// The fill this request belongs to.
        fill: Fill,
    },
    /// `DescribeSubnets` before `CreateNetworkInterface` returned.
    SubnetsDescribed(Creating),
    /// `CreateNetworkInterface` returned.
    Created(Creating),
    /// `DescribeInstances` (device index) returned.
    InstancesDescribed(NewEni),
    /// `AttachNetworkInterface` returned.
    Attached(NewEni),
    /// `DeleteNetworkInterface` of an ENI whose attach failed returned.
    AttachFailedDeleted(NewEni),
    /// `ModifyNetworkInterfaceAttribute` returned; IMDS polling starts.
    Modified(NewEni),
    /// IMDS poll number `attempt` (1-based) is due.
    ImdsPoll {
        /// 1..=12.
        attempt: u8,
        /// The ENI ipamd waits for.
        eni: NewEni,
    },
    /// `DescribeSubnets` in `setupENI` returned.
    SetupDescribed(NewEni),
    /// `UnassignPrivateIpAddresses` returned.
    Unassigned(Decrease),
    /// `DescribeNetworkInterfaces` in `FreeENI` returned.
    FreeDescribed(Freeing),
    /// `DetachNetworkInterface` returned.
    Detached(Freeing),
    /// The 2 s sleep after detach ended.
    DetachSlept(Freeing),
    /// `DeleteNetworkInterface` returned.
    Deleted(Freeing),
    /// `DescribeNetworkInterfaces` while reconcile adopts an orphan ENI returned.
    AdoptDescribed(NewEni),
    /// A dormant loop's wake: catch up on the skipped idle ticks, then tick
    /// (`dormant.rs`).
    Dormant,
    /// The SDK's backoff before the next attempt of the call in flight ended (the call
    /// holds the step it returns to).
    Retry,
    /// ipamd's own backoff before calling `nodeInit`'s `DescribeNetworkInterfaces` again.
    InitRecall,
    /// ipamd's own backoff before calling `FreeENI`'s `DetachNetworkInterface` again.
    DetachRecall(Freeing),
    /// ipamd's own backoff before calling `FreeENI`'s `DeleteNetworkInterface` again.
    DeleteRecall(Freeing),
    /// IPv6 `nodeInit`: `AssignIpv6Addresses` for the primary ENI's /80 returned.
    Ipv6Assigned,
    /// IPv6 mode after `nodeInit`: ipamd serves CNI ADDs and runs no pool-manager loop.
    Serving,
}

/// Which of ipamd's own retry policies (§e.3, §e.5) a failed call follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Recall {
    /// `nodeInit`'s `DescribeNetworkInterfaces`: 12 tries, 10 ms × try apart.
    InitDescribe,
    /// `FreeENI`'s `DetachNetworkInterface`: 12 tries, 200 ms doubling, at most 60 s,
    /// +15 % jitter.
    Detach,
    /// `FreeENI`'s `DeleteNetworkInterface`: 12 tries, 500 ms doubling, at most 60 s,
    /// +15 % jitter.
    Delete,
}

/// A fill of existing ENIs in progress (`tryAssignIPs` / `tryAssignPrefixes`, §c.7, §c.8):
/// the candidate ENIs are in the loop's `candidates` buffer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Fill {
    /// IPs or prefixes the increase wants in all.
    pub to_allocate: u32,
    /// Index in `candidates` of the ENI being filled.
    pub next: usize,
}

/// `tryAllocateENI` in progress (§e.1): the ENI being created and the subnets tried so far
/// (the subnets to try are in the loop's `subnets_to_try` buffer).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Creating {
    /// The ENI being created (no addresses until `CreateNetworkInterface` returned).
    pub eni: NewEni,
    /// IPs or prefixes asked for with the ENI.
    pub to_allocate: u32,
    /// Index in `subnets_to_try` of the subnet `CreateNetworkInterface` tries now.
    pub next_subnet: usize,
    /// The last `CreateNetworkInterface` of this increase failed with an EC2 error
    /// (throttling, server error) rather than insufficient addresses.
    pub failed_ec2: bool,
}

/// `decreaseDatastorePool` in progress (§c.11): ENIs visited in rotated order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decrease {
    /// IPs or prefixes still to release.
    pub over: u32,
    /// Rotation of the visit order (a Go-map-order draw).
    pub rot: u32,
    /// ENIs visited so far.
    pub pos: u32,
    /// ENIs in the datastore when the decrease started.
    pub len: u32,
    /// The ENI whose release is in flight.
    pub eni: EniId,
}

/// An ENI being freed (`FreeENI`, §c.10) and where the loop goes once it is done.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Freeing {
    /// The ENI and its addresses.
    pub eni: NewEni,
    /// Where the loop returns after the free.
    pub then: FreeThen,
}

/// After a failed modify, or a normal free: where the detach/delete sequence returns to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FreeThen {
    /// A tick's `tryFreeENI`: end the tick.
    #[default]
    EndTick,
    /// An ENI that could not be set up: the increase is over.
    IncreaseDone,
}

/// Which routine an increase returns to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Caller {
    /// `nodeInit` pre-scaling.
    #[default]
    Init,
    /// A pool-manager tick.
    Tick,
}

/// An ENI a step holds, as a restart or the instance's termination finds it.
pub(super) enum Held {
    /// Being created, attached, set up or adopted.
    New(NewEni),
    /// Being freed (including the delete of an ENI whose attach failed).
    Freeing(NewEni),
}

impl Step {
    /// The ENI this step holds, if any.
    pub(super) fn into_held(self) -> Option<Held> {
        match self {
            Step::SubnetsDescribed(c) | Step::Created(c) => Some(Held::New(c.eni)),
            Step::InstancesDescribed(e)
            | Step::Attached(e)
            | Step::Modified(e)
            | Step::ImdsPoll { eni: e, .. }
            | Step::SetupDescribed(e)
            | Step::AdoptDescribed(e) => Some(Held::New(e)),
            Step::AttachFailedDeleted(e) => Some(Held::Freeing(e)),
            Step::FreeDescribed(f)
            | Step::Detached(f)
            | Step::DetachSlept(f)
            | Step::Deleted(f)
            | Step::DetachRecall(f)
            | Step::DeleteRecall(f) => Some(Held::Freeing(f.eni)),
            _ => None,
        }
    }

    /// Whether a call returning to this step is part of a pool increase.
    pub(super) fn is_growth(&self) -> bool {
        matches!(
            self,
            Step::Assigned { .. }
                | Step::SubnetsDescribed(_)
                | Step::Created(_)
                | Step::InstancesDescribed(_)
                | Step::Attached(_)
                | Step::AttachFailedDeleted(_)
                | Step::Modified(_)
                | Step::SetupDescribed(_)
        )
    }
}

impl Recall {
    /// The call retried.
    pub(super) fn action(self) -> Ec2Action {
        match self {
            Recall::InitDescribe => Ec2Action::DescribeNetworkInterfaces,
            Recall::Detach => Ec2Action::DetachNetworkInterface,
            Recall::Delete => Ec2Action::DeleteNetworkInterface,
        }
    }
}
