//! Security groups for pods (`ENABLE_POD_ENI`): the VPC resource controller's trunk and
//! branch ENIs, node by node.
//!
//! Upstream (amazon-vpc-resource-controller-k8s v1.7.19, "RC"; amazon-vpc-cni-k8s, "CNI"):
//!
//! - ipamd asks for a trunk when it starts on a trunking-compatible type (CNINode feature
//!   `SecurityGroupsForPods`, CNI pkg/ipamd/ipamd.go:1467-1482); the controller creates and
//!   attaches the trunk ENI in the node's subnet (`InitTrunk`, RC
//!   pkg/provider/branch/trunk/trunk.go:203-251) and then advertises
//!   `vpc.amazonaws.com/pod-eni` = the type's `BranchInterface` (RC provider.go:263-279).
//!   ipamd keeps that ENI slot for the trunk (`hasRoomForEni`, ipamd.go:2592-2620).
//! - Each pod a SecurityGroupPolicy selects requests one `pod-eni` (the webhook, RC
//!   webhooks/core/pod_webhook.go:181-205), so the scheduler binds it only where one is
//!   free. The controller then creates its branch ENI (`CreateNetworkInterface`) and
//!   associates it with the trunk (`AssociateTrunkInterface`), and annotates the pod
//!   (`CreateAndAssociateBranchENIs`, trunk.go:386-483; provider.go:315-411). Until then
//!   ipamd fails the pod's CNI ADD ("failed to get Branch ENI resource", CNI
//!   pkg/ipamd/rpc_handler.go:181-184) and the kubelet retries.
//! - The controller counts branches in use and those cooling after their pod's deletion
//!   against the limit (`canCreateMore`, trunk.go:700-713); a deleted pod's branch is
//!   deleted after `branch-eni-cooldown` (60 s, at least 30 s: cooldown.go:41-44, 74-79).
//! - Its EC2 client is rate limited: 12 requests/s with a burst of 18 (RC main.go:161-171).
//!
//! The controller is a component like ipamd and kube: it owns its state (this file: the
//! per-node trunk and branches, the branch jobs, its EC2 client limit and random stream, and
//! its pure rules) and its steps (`podeni/steps.rs`); it reaches the rest of the world
//! through a [`Ctx`] for one call and Kubernetes through [`PodEniPods`]. The world routes
//! its events and kube's requests to it (`world/podeni.rs`).

mod steps;

use crate::engine::EventQueue;
use crate::model::ec2::Ec2;
use crate::model::event::Event;
use crate::model::ids::{JobId, NodeId, Owner, PodId, PodLife, SubnetId};
use crate::model::kube::podeni::BranchRequest;
use crate::model::lease::Lease;
use crate::model::nodes::Nodes;
use crate::model::record::EventOrder;
use crate::model::subnet::Subnet;
use crate::scenario::Ec2Action;
use crate::time::{SimDuration, SimTime};
use rand_chacha::ChaCha8Rng;
use std::collections::VecDeque;

/// What the controller shares with the rest of the world for the length of one call.
pub struct Ctx<'a> {
    /// Now.
    pub now: SimTime,
    /// The EC2 account.
    pub ec2: &'a mut Ec2,
    /// The subnets.
    pub subnets: &'a mut [Subnet],
    /// The instances (a fact names its node's group).
    pub nodes: &'a Nodes,
    /// The event queue.
    pub queue: &'a mut EventQueue<Event>,
    /// Where facts go (in time order).
    pub events: &'a mut EventOrder,
}

/// What the controller asks of Kubernetes.
pub trait PodEniPods {
    /// The controller annotates `pod` (of life `life`) with its branch ENI at `now`;
    /// `false` if the pod is gone (the branch is then given back).
    fn annotate_branch(&mut self, pod: PodId, life: u32, branch: Lease, now: SimTime) -> bool;
    /// Whether `pod` (of life `life`) still waits for its IP on `node`.
    fn waits_on(&self, pod: PodId, life: u32, node: NodeId) -> bool;
    /// The pod's owner (which names it in records).
    fn owner(&self, pod: PodId) -> Owner;
}

/// How long the controller waits before trying again after the subnet had no address for
/// a trunk or branch ENI (an assumption: upstream requeues through client-go's rate
/// limiter, whose delay grows per item; 30 s is the controller's own delete-queue period).
pub const REQUEUE_AFTER_SUBNET_FULL: SimDuration = SimDuration::from_secs(30);

/// The controller's EC2 retry back-off after attempt `attempt` (1-based) failed: 100 ms,
/// ×3 per attempt, at most 10 s (RC pkg/aws/ec2/api/helper.go:35-55, its default
/// back-off).
pub fn retry_backoff(attempt: u32) -> SimDuration {
    let mut us: u64 = 100_000;
    for _ in 1..attempt.min(8) {
        us *= 3;
    }
    SimDuration(us.min(10_000_000))
}

/// Whether a node with `in_use` branches and `cooling` ones may create another
/// (`canCreateMore`: in use plus cooling below the limit).
pub fn can_create(limit: u32, in_use: u32, cooling: u32) -> bool {
    in_use.saturating_add(cooling) < limit
}

/// Where a node's trunk ENI stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trunk {
    /// No trunk: `ENABLE_POD_ENI` is off, the type is not trunking-compatible, or ipamd has
    /// not asked for one yet.
    None,
    /// `CreateNetworkInterface` is to be sent (attempt `attempt`).
    Creating {
        /// Attempt number, from 1.
        attempt: u32,
    },
    /// `CreateNetworkInterface` is in flight.
    CreateSent,
    /// Created with address `addr`; `AttachNetworkInterface` is to be sent.
    Attaching {
        /// The trunk's primary address.
        addr: u32,
        /// Attempt number, from 1.
        attempt: u32,
    },
    /// `AttachNetworkInterface` is in flight.
    AttachSent {
        /// The trunk's primary address.
        addr: u32,
    },
    /// Attached: the node offers `vpc.amazonaws.com/pod-eni`.
    Attached {
        /// The trunk's primary address.
        addr: u32,
    },
}

/// A deleted pod's branch ENI waiting out the cooldown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cooling {
    /// When it is deleted.
    pub until: SimTime,
    /// Its number on the node (`branch-<n>`).
    pub branch: u32,
    /// Its address.
    pub addr: u32,
}

/// One node's trunk and branch ENIs.
#[derive(Clone, Debug)]
pub struct NodeBranches {
    /// Branch ENIs the node may hold (`BranchInterface`; 0 when it gets no trunk).
    pub limit: u32,
    /// The node's subnet (trunk and branch ENIs take their addresses there).
    pub subnet: SubnetId,
    /// The trunk.
    pub trunk: Trunk,
    /// Branches created, or being created, for pods (counted against the limit).
    pub in_use: u32,
    /// Branches of deleted pods, cooling, in deletion order.
    pub cooling: VecDeque<Cooling>,
    /// Pods bound here waiting for a branch slot (held by cooling branches), oldest first.
    pub queued: VecDeque<PodLife>,
    /// The last branch number given (`branch-<n>` from 1).
    pub last_branch: u32,
    /// The instance is terminated.
    pub removed: bool,
}

impl NodeBranches {
    /// A node that gets a trunk (`limit` > 0) or not.
    pub fn new(limit: u32, subnet: SubnetId) -> NodeBranches {
        NodeBranches {
            limit,
            subnet,
            trunk: Trunk::None,
            in_use: 0,
            cooling: VecDeque::new(),
            queued: VecDeque::new(),
            last_branch: 0,
            removed: false,
        }
    }

    /// Whether another branch may be created now.
    pub fn has_room(&self) -> bool {
        can_create(self.limit, self.in_use, self.cooling.len() as u32)
    }
}

/// What a branch job does next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobStep {
    /// Send `action` (attempt `attempt`), once the client's rate limit allows.
    Send {
        /// The EC2 action.
        action: Ec2Action,
        /// Attempt number, from 1.
        attempt: u32,
    },
    /// `action` returned.
    Done {
        /// The EC2 action.
        action: Ec2Action,
    },
}

/// One pod's branch ENI in the making.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Job {
    /// The node.
    pub node: NodeId,
    /// The pod, and its slot's life when the job started.
    pub pod: PodLife,
    /// The branch's address once `CreateNetworkInterface` gave it one.
    pub addr: Option<u32>,
    /// The next step.
    pub step: JobStep,
}

/// Every node's branch state, the jobs in flight and the controller's EC2 client limit.
pub struct Controller {
    /// Per node, by node id.
    pub nodes: Vec<NodeBranches>,
    /// Branch jobs (a slab: `None` slots are free), by [`JobId`].
    jobs: Vec<Option<Job>>,
    /// Free job slots.
    free_jobs: Vec<JobId>,
    /// The controller's random stream (its EC2 calls' latencies).
    rng: ChaCha8Rng,
    /// Buffer: kube's requests being served; reused.
    requests: Vec<BranchRequest>,
    /// The client-side token bucket (`--user-client-qps`, `--user-client-burst`).
    pub bucket: crate::model::ec2::TokenBucket,
    /// The cooldown of a deleted pod's branch.
    pub cooldown: SimDuration,
    /// Peak branch ENIs at once over the cluster (in use and cooling).
    pub peak_branches: u32,
    /// Branch ENIs now (in use and cooling).
    pub branches: u32,
    /// Branch ENIs created.
    pub created: u64,
}

impl Controller {
    /// The controller with the scenario's settings, its random stream and no nodes.
    pub fn new(rc: &crate::scenario::ResourceControllerConfig, rng: ChaCha8Rng) -> Controller {
        Controller {
            nodes: Vec::new(),
            jobs: Vec::new(),
            free_jobs: Vec::new(),
            rng,
            requests: Vec::new(),
            bucket: crate::model::ec2::TokenBucket::new(rc.ec2_burst, rc.ec2_qps),
            cooldown: rc.branch_eni_cooldown,
            peak_branches: 0,
            branches: 0,
            created: 0,
        }
    }

    /// One node's state.
    pub fn node(&self, node: NodeId) -> &NodeBranches {
        &self.nodes[node.index()]
    }

    /// One node's state, mutably.
    fn node_mut(&mut self, node: NodeId) -> &mut NodeBranches {
        &mut self.nodes[node.index()]
    }

    /// A new node (the next node id), that gets a trunk with `limit` branches (0: none)
    /// in `subnet`.
    pub fn add_node(&mut self, limit: u32, subnet: SubnetId) {
        self.nodes.push(NodeBranches::new(limit, subnet));
    }

    /// Stores a new job; returns its id.
    fn add_job(&mut self, job: Job) -> JobId {
        match self.free_jobs.pop() {
            Some(id) => {
                self.jobs[id.index()] = Some(job);
                id
            }
            None => {
                self.jobs.push(Some(job));
                JobId::from_index(self.jobs.len() - 1)
            }
        }
    }

    /// Removes a finished job.
    fn end_job(&mut self, id: JobId) {
        self.jobs[id.index()] = None;
        self.free_jobs.push(id);
    }

    /// Takes the buffer for kube's requests (give it back with [`Controller::put_requests`]).
    pub fn take_requests(&mut self) -> Vec<BranchRequest> {
        std::mem::take(&mut self.requests)
    }

    /// Gives back the buffer [`Controller::take_requests`] took.
    pub fn put_requests(&mut self, requests: Vec<BranchRequest>) {
        self.requests = requests;
    }

    /// A branch ENI now exists (created for a pod).
    fn branch_added(&mut self) {
        self.branches += 1;
        self.created += 1;
        self.peak_branches = self.peak_branches.max(self.branches);
    }

    /// The next whole second after `now`, when the client's bucket refills.
    pub fn next_refill(now: SimTime) -> SimTime {
        SimTime((now.micros() / 1_000_000 + 1) * 1_000_000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_by_three_to_ten_seconds() {
        // helper.go default back-off: 100 ms, factor 3, capped at 10 s
        assert_eq!(retry_backoff(1), SimDuration(100_000));
        assert_eq!(retry_backoff(2), SimDuration(300_000));
        assert_eq!(retry_backoff(3), SimDuration(900_000));
        assert_eq!(retry_backoff(5), SimDuration(8_100_000));
        assert_eq!(retry_backoff(6), SimDuration(10_000_000)); // 24.3 s capped
        assert_eq!(retry_backoff(u32::MAX), SimDuration(10_000_000));
    }

    #[test]
    fn cooling_branches_count_against_the_limit() {
        // canCreateMore: 9 branches (m5.large); 8 in use + 1 cooling leaves none
        assert!(can_create(9, 8, 0));
        assert!(!can_create(9, 8, 1));
        assert!(!can_create(0, 0, 0));
        assert!(!can_create(9, u32::MAX, 1));
    }

    #[test]
    fn refill_is_the_next_whole_second() {
        assert_eq!(
            Controller::next_refill(SimTime(2_500_000)),
            SimTime(3_000_000)
        );
        assert_eq!(
            Controller::next_refill(SimTime(3_000_000)),
            SimTime(4_000_000)
        );
    }
}
