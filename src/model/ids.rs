//! Typed ids: every entity of the model is an index into an arena (`Vec`), named by a
//! newtype so that a node id can never be passed where a pod id is meant.

macro_rules! id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub u32);

        impl $name {
            /// The arena index.
            pub const fn index(self) -> usize {
                self.0 as usize
            }

            /// The id of arena index `i` (arenas never exceed `u32::MAX` entries: the
            /// scenario's work budget keeps them far below).
            pub const fn from_index(i: usize) -> Self {
                $name(i as u32)
            }
        }
    };
}

id!(
    /// A node (instance), in launch order across the cluster.
    NodeId
);
id!(
    /// A pod, in creation order across the cluster.
    PodId
);
id!(
    /// An ENI, numbered per node from 1 (the primary ENI is 1); `eni-<n>` in outputs.
    EniId
);
id!(
    /// A subnet, in scenario order.
    SubnetId
);
id!(
    /// A nodegroup, in scenario order.
    GroupId
);
id!(
    /// A workload, in scenario order.
    WorkloadId
);
id!(
    /// A DaemonSet, in scenario order.
    DaemonSetId
);
id!(
    /// A branch job of the VPC resource controller: a slot of its job slab (reused once
    /// the job ends).
    JobId
);
id!(
    /// A leaked ENI, in leak order across the cluster.
    LeakedId
);

/// A pod at one life of its slot (pod slots are reused: a reference to an earlier life is
/// stale).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PodLife {
    /// The pod's slot.
    pub pod: PodId,
    /// Which life of the slot.
    pub life: u32,
}

/// Who owns a pod.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner {
    /// A workload, and the pod's ordinal within it (from 1).
    Workload(WorkloadId, u32),
    /// A DaemonSet, and its node.
    DaemonSet(DaemonSetId, NodeId),
    /// A trace workload, and the pod's entry in that trace's pod table (its name, verbatim,
    /// and its workload name).
    Trace(WorkloadId, u32),
}
