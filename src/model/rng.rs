//! Random streams: one master seed, one ChaCha8 stream per component (and per node for
//! node components), so an extra draw in one place never shifts another's numbers — which
//! is what makes `compare` runs comparable (common random numbers).

use crate::time::SimDuration;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// RNG component numbers (design.md §3). Node components get one stream per node
/// (`component << 32 | node`).
pub mod streams {
    /// EC2 call latencies.
    pub const EC2: u64 = 1;
    /// IMDS visibility delays and poll jitter.
    pub const IMDS: u64 = 2;
    /// Kubelet retry jitter.
    pub const KUBELET: u64 = 3;
    /// ipamd's Go-map-order choices.
    pub const PLACEMENT: u64 = 4;
    /// Addresses already used in subnets (`used: <count>`).
    pub const SUBNETS: u64 = 5;
    /// Churn workloads' inter-arrival times and lifetimes, one stream per workload
    /// (`WORKLOADS << 32 | workload index`), drawn in arrival order.
    pub const WORKLOADS: u64 = 6;
    /// A launched node's aws-node start latency (one draw per node).
    pub const NODE_START: u64 = 7;
    /// EC2's choice of free addresses and /28 blocks, one stream per subnet
    /// (`ADDRESSES << 32 | subnet index`).
    pub const ADDRESSES: u64 = 8;
    /// Calico IPAM's assignment latencies, one stream per node.
    pub const CALICO: u64 = 9;
    /// The VPC resource controller's EC2 latencies (security groups for pods).
    pub const RESOURCE_CONTROLLER: u64 = 10;
}

/// A seeded ChaCha stream for one component.
pub fn rng_stream(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

/// The stream of node component `component` on node index `node`.
pub fn node_stream(seed: u64, component: u64, node: u32) -> ChaCha8Rng {
    rng_stream(seed, component << 32 | u64::from(node))
}

/// Kubelet retry delay: `interval × (1 + U(0, jitter))` (`wait.Jitter`).
pub fn jittered(interval: SimDuration, jitter: f64, rng: &mut ChaCha8Rng) -> SimDuration {
    let extra = if jitter > 0.0 {
        rng.gen::<f64>() * jitter
    } else {
        0.0
    };
    SimDuration((interval.micros() as f64 * (1.0 + extra)).round() as u64)
}
