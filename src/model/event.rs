//! The closed set of events the world handles. Payloads carry typed ids, never references;
//! a generation number lets a superseded timer be ignored when it is popped.

use super::ids::{GroupId, JobId, LeakedId, NodeId, PodId, WorkloadId};

/// Every event of the simulation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// The node's instance is running and aws-node has started: ipamd starts `nodeInit`
    /// (also after an aws-node restart).
    NodeStart(NodeId),
    /// A launched node's instance has booted and its kubelet registers it (NotReady).
    NodeRegistered(NodeId),
    /// Karpenter's pass (every second while some nodegroup uses it).
    ProvisionerTick,
    /// The node's ipamd loop resumes (an EC2 call returned, a sleep ended, an IMDS poll is
    /// due).
    IpamdWake {
        /// The node.
        node: NodeId,
        /// Must equal the node's ipamd generation, or the wake is stale.
        gen: u32,
    },
    /// The leaked-ENI cleanup deletes a leaked ENI.
    LeakedEniCleanup(LeakedId),
    /// aws-node restarts on a node (injected fault).
    AwsNodeRestart(NodeId),
    /// A workload's replica count changes to step `step` of its `steps`.
    WorkloadStep {
        /// The workload.
        workload: WorkloadId,
        /// Index into its steps.
        step: u32,
    },
    /// The kubelet retries sandbox creation (CNI ADD) for a pod waiting for an IP.
    KubeletRetry {
        /// The pod.
        pod: PodId,
        /// Must equal the pod's retry generation, or the retry is stale.
        gen: u32,
    },
    /// The autoscaler's periodic pass (every 10 s, CA `--scan-interval`).
    AutoscalerTick,
    /// An explicit `launch` entry of a nodegroup is due.
    NodeLaunch {
        /// The nodegroup.
        group: GroupId,
        /// Index into its launches.
        entry: u32,
    },
    /// The next arrival (one pod, or one batch) of a churn workload; at most one pending
    /// per workload.
    WorkloadArrival {
        /// The workload.
        workload: WorkloadId,
    },
    /// A churn pod's lifetime ends: it is deleted (ignored if it already was).
    PodExpire {
        /// The pod.
        pod: PodId,
        /// Its slot's life (a slot is reused once its pod was deleted and recorded).
        life: u32,
    },
    /// Calico: the assignment holding the node's IPAM lock ends (`crate::model::calico`).
    CalicoAssigned(NodeId),
    /// Row `row` of a trace workload is due; at most one pending per trace.
    TraceRow {
        /// The workload.
        workload: WorkloadId,
        /// Index into the trace's rows.
        row: u32,
    },
    /// The VPC resource controller's next step for the node's trunk ENI (an EC2 call
    /// returned or may be sent).
    TrunkStep(NodeId),
    /// The next step of a branch job of the controller.
    BranchStep(JobId),
    /// The node's oldest cooling branch ENI is due for deletion.
    BranchCooled(NodeId),
}
