//! Pods: who owns them, where they are in their life, and their names.

use crate::model::ids::NodeId;
use crate::model::lease::Lease;
use crate::model::record::PodState;
use crate::time::SimTime;

pub use crate::model::ids::Owner;

/// One pod.
#[derive(Clone, Debug)]
pub struct Pod {
    /// Owner (gives the pod's name).
    pub owner: Owner,
    /// Host-network pods need no IP.
    pub host_network: bool,
    /// Current state.
    pub state: PodState,
    /// Bound node.
    pub node: Option<NodeId>,
    /// Creation time.
    pub created: SimTime,
    /// Binding time.
    pub scheduled: Option<SimTime>,
    /// When the CNI gave it an IP (binding time for host-network pods).
    pub ip_assigned: Option<SimTime>,
    /// Deletion time.
    pub deleted: Option<SimTime>,
    /// The address it holds, as the CNI leased it.
    pub ip: Option<Lease>,
    /// Last address it held, as the CNI leased it (kept after delete, for `pods.csv`).
    pub last_ip: Option<Lease>,
    /// Kubelet retry generation (stale retries are ignored; it keeps counting across the
    /// lives of a slot).
    pub retry_gen: u32,
    /// Kubelet retries drawn for it so far (its next retry draws attempt `attempts`).
    pub attempts: u32,
    /// Creation order across the run (slots are reused, ids are not in creation order).
    pub seq: u64,
    /// Which life of its slot this pod is (stale references to the slot are ignored).
    pub life: u32,
    /// Its current run of failed CNI ADDs with one cause, not yet recorded.
    pub streak: Option<NoIpStreak>,
    /// Its failed CNI ADDs of the current instant, whose cause is known when the instant
    /// is over.
    pub failure: Option<Failure>,
    /// A SecurityGroupPolicy selects it: it requests one `vpc.amazonaws.com/pod-eni` and
    /// its IP is its own branch ENI's.
    pub pod_eni: bool,
    /// Annotated `k8s.amazonaws.com/nicConfig: multi-nic-attachment`: it asks for one
    /// address per managed network card.
    pub multi_nic: bool,
    /// Its branch ENI, once the controller annotated the pod with it.
    pub branch: Option<Branch>,
    /// It sleeps: its retry clock is with its node (`dormant.rs`).
    pub sleeping: bool,
}

/// A pod's branch ENI (security groups for pods), as the controller annotated it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Branch {
    /// The branch ENI (its number on the node) and its address.
    pub lease: Lease,
    /// When the controller annotated the pod.
    pub at: SimTime,
}

/// Consecutive failed CNI ADDs of one pod with the same cause: recorded as one `no_ip` row
/// when the run ends (the pod gets an IP, another cause, deletion, the end of the run), in
/// the place of `events.csv` reserved at its first failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NoIpStreak {
    /// The node.
    pub node: NodeId,
    /// First failure.
    pub first: SimTime,
    /// Last failure.
    pub last: SimTime,
    /// Failures.
    pub count: u32,
    /// The pool at the first failure.
    pub why: crate::model::kube::NoAddress,
    /// Why the pod waited (its `waits.csv` cause at each failure).
    pub cause: crate::model::record::WaitCause,
    /// Its row's place in `events.csv`.
    pub slot: crate::model::record::Slot,
}

/// A pod's failed CNI ADDs at one instant (more than one only when several events of the
/// instant retried it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The node.
    pub node: NodeId,
    /// The instant.
    pub at: SimTime,
    /// Failures at that instant.
    pub count: u32,
    /// The pool at the first of them.
    pub why: crate::model::kube::NoAddress,
}

impl Pod {
    /// A new pod, unschedulable until bound.
    pub fn new(now: SimTime, owner: Owner, host_network: bool) -> Pod {
        Pod {
            owner,
            host_network,
            state: PodState::Unschedulable,
            node: None,
            created: now,
            scheduled: None,
            ip_assigned: None,
            deleted: None,
            ip: None,
            last_ip: None,
            retry_gen: 0,
            attempts: 0,
            seq: 0,
            life: 0,
            streak: None,
            failure: None,
            pod_eni: false,
            multi_nic: false,
            branch: None,
            sleeping: false,
        }
    }

    /// A DaemonSet pod.
    pub fn is_daemonset(&self) -> bool {
        matches!(self.owner, Owner::DaemonSet(..))
    }
}

/// The part of a pod name after its owner's name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameSuffix<'a> {
    /// A workload pod's ordinal.
    Ordinal(u32),
    /// A DaemonSet pod's node name.
    Node(&'a str),
    /// Nothing: the name is complete (trace pods).
    Verbatim,
}

/// A pod's name, displayed as `<owner>-<suffix>` without allocating.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PodName<'a>(pub &'a str, pub NameSuffix<'a>);

impl std::fmt::Display for PodName<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.1 {
            NameSuffix::Ordinal(n) => write!(f, "{}-{n}", self.0),
            NameSuffix::Node(node) => write!(f, "{}-{node}", self.0),
            NameSuffix::Verbatim => f.write_str(self.0),
        }
    }
}
