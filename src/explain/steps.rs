//! What a pod's story is made of: the typed `events.csv` row ([`NodeEvent`]), its steps,
//! its wait intervals with what lay behind them, and its lives. Serialized as `explain`'s
//! JSON; written as text by [`super::text`].

use super::Ms;
use serde::Serialize;

/// Most node events listed under one interval; the rest are counted.
pub const EVENTS_PER_WAIT: usize = 8;
/// Most pod names listed in `released_by` and `taken_by`; the rest are counted.
pub const NAMES_PER_WAIT: usize = 3;

/// One `events.csv` row, typed (empty cells are `None`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NodeEvent {
    /// When (s); for an aggregated row (`no_ip`, `ec2_repeats`) the first instance.
    pub time_s: Ms,
    /// The node; `None` for group events.
    pub node: Option<String>,
    /// The event kind (docs/outputs.md).
    pub kind: String,
    /// The row's words, for people.
    pub detail: String,
    /// The node's group, or a group event's group.
    pub nodegroup: Option<String>,
    /// The pod it is about (`no_ip`).
    pub pod: Option<String>,
    /// An EC2 error code or a reason word.
    pub cause: Option<String>,
    /// The ENI's number on its node (`eni-<n>`).
    pub eni: Option<u64>,
    /// The EC2 action.
    pub action: Option<String>,
    /// IPs, prefixes, attempts, requests or nodes, by kind.
    pub count: Option<u64>,
    /// The subnet.
    pub subnet: Option<String>,
    /// The last instance of an aggregated row (s).
    pub until_s: Option<Ms>,
    /// On a node that manages several network cards, the card the row is about (`None`
    /// also for runs written before the column).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_card: Option<u64>,
}

/// Seconds of one cause in one pod's wait.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WaitCauseSeconds {
    /// The cause word.
    pub cause: &'static str,
    /// Seconds waited for it (s).
    pub seconds: Ms,
}

/// The growth a wait was for: a new ENI, or addresses assigned to one already attached.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EniGrowth {
    /// The ENI, `eni-<n>`.
    pub eni: String,
    /// `CreateNetworkInterface` (a new ENI) or `AssignPrivateIpAddresses` (a fill).
    pub action: String,
    /// Its `create_eni` (s); `None` for a fill.
    pub created_s: Option<Ms>,
    /// When its addresses became usable (`eni_ready`, `eni_adopted`, `assign_*`) (s);
    /// `None` if they never did.
    pub ready_s: Option<Ms>,
    /// IPs or prefixes it asked for or brought.
    pub count: Option<u64>,
    /// What ended it unready (`increase_failed`, `attach_failed`, ...), if it failed.
    pub ended_by: Option<NodeEvent>,
}

/// A pod deleted on the node, whose address matters to the wait.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Release {
    /// The deleted pod.
    pub pod: String,
    /// Its deletion (s).
    pub deleted_s: Ms,
}

/// One wait interval of the story.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WaitStep {
    /// The cause word.
    pub cause: &'static str,
    /// Start (s).
    pub start_s: Ms,
    /// End (s).
    pub end_s: Ms,
    /// `end_s − start_s` (s).
    pub duration_s: Ms,
    /// What the cause means.
    pub meaning: &'static str,
    /// The node (`None` while unschedulable).
    pub node: Option<String>,
    /// `pool_growing`, `ec2_throttled`: the ENI or fill the pool grew by.
    pub eni: Option<EniGrowth>,
    /// An earlier event that began this state (the last throttled call, the insufficient
    /// address back-off, the ENI limit, ipamd's start), when none lies in the interval.
    pub started_by: Option<NodeEvent>,
    /// `kubelet_retry`: the deleted pods whose addresses finished cooling at its start;
    /// `cooldown`: those whose addresses were cooling at its start (first few).
    pub released_by: Vec<Release>,
    /// How many such pods in all.
    pub released_count: u64,
    /// `kubelet_retry` not ended by this pod's IP: the node's other pods that got an IP
    /// during it (first few), so took the free addresses first.
    pub taken_by: Vec<String>,
    /// How many such pods in all.
    pub taken_count: u64,
    /// The node's events during the interval (`start_s <= time_s < end_s`, `no_ip` rows
    /// aside; while unschedulable the group events and the node's start), at most
    /// [`EVENTS_PER_WAIT`], those telling about the cause first.
    pub events: Vec<NodeEvent>,
    /// Events of the interval not listed.
    pub events_omitted: u64,
}

/// One step of a pod's story.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    /// The pod was created.
    Created {
        /// When (s).
        time_s: Ms,
        /// Its workload or DaemonSet.
        workload: String,
    },
    /// The scheduler bound it to a node.
    Bound {
        /// When (s).
        time_s: Ms,
        /// The node.
        node: String,
        /// The node's last `node_ready` at or before the binding (s).
        node_ready_s: Option<Ms>,
    },
    /// Failed CNI ADDs with one cause (one `no_ip` row).
    CniAddFailed {
        /// The first failure (s).
        time_s: Ms,
        /// The last failure (s).
        until_s: Ms,
        /// Failures in the row.
        count: u64,
        /// Why the pod waited at the first failure (its `waits.csv` cause then).
        cause: Option<String>,
        /// On a node that manages several network cards, the card with no address for
        /// the pod.
        #[serde(skip_serializing_if = "Option::is_none")]
        network_card: Option<u64>,
    },
    /// One wait interval.
    Wait(Box<WaitStep>),
    /// The CNI ADD succeeded.
    GotIp {
        /// When (s).
        time_s: Ms,
        /// The address (`pods.csv`'s `ip`).
        ip: Option<String>,
        /// From creation (s).
        after_creation_s: Ms,
        /// From binding (s).
        after_binding_s: Option<Ms>,
        /// It was the kubelet's retry of a failed CNI ADD that took a free address.
        by_kubelet_retry: bool,
        /// The pod's last failed CNI ADD before, if any (s): the kubelet retries
        /// 10 s × (1 + jitter) after it.
        last_failed_add_s: Option<Ms>,
    },
    /// A host-network pod runs once bound (it needs no IP).
    Running {
        /// When (s).
        time_s: Ms,
    },
    /// The pod was deleted.
    Deleted {
        /// When (s).
        time_s: Ms,
        /// It had run (had an IP, or was host-network and bound).
        had_run: bool,
    },
    /// The run ended with the pod still waiting.
    EndOfRun {
        /// The end of the run (s).
        time_s: Ms,
        /// `unschedulable` or `waiting_ip`.
        final_state: String,
    },
}

impl Step {
    /// When the step happens (a wait: its start) (s).
    pub fn time(&self) -> Ms {
        match self {
            Step::Wait(w) => w.start_s,
            Step::Created { time_s, .. }
            | Step::Bound { time_s, .. }
            | Step::CniAddFailed { time_s, .. }
            | Step::GotIp { time_s, .. }
            | Step::Running { time_s }
            | Step::Deleted { time_s, .. }
            | Step::EndOfRun { time_s, .. } => *time_s,
        }
    }
}

/// One life of the pod (one `pods.csv` row).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Life {
    /// Its workload or DaemonSet.
    pub workload: String,
    /// Its node; `None` if never bound.
    pub node: Option<String>,
    /// Host network (needs no IP).
    pub host_network: bool,
    /// Creation (s).
    pub created_s: Ms,
    /// Binding (s).
    pub scheduled_s: Option<Ms>,
    /// IP (binding, on host network) (s).
    pub ip_assigned_s: Option<Ms>,
    /// Deletion (s).
    pub deleted_s: Option<Ms>,
    /// Its last address.
    pub ip: Option<String>,
    /// `running`, `unschedulable`, `waiting_ip` or `deleted`.
    pub final_state: String,
    /// Its whole wait (s).
    pub wait_s: Ms,
    /// Seconds per cause, most first (ties in cause order); causes it never waited for
    /// are left out.
    pub wait_by_cause: Vec<WaitCauseSeconds>,
    /// Failed CNI ADDs (the `count`s of its `no_ip` rows).
    pub failed_cni_adds: u64,
    /// The story, in time order.
    pub steps: Vec<Step>,
}

/// What `explain DIR --pod NAME` shows: every life of the name, in creation order.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PodStory {
    /// The pod's name.
    pub pod: String,
    /// Its lives (one unless a trace created the name again).
    pub lives: Vec<Life>,
}
