//! `ipam`: which IP address manager gives pods their addresses — the AWS VPC CNI's ipamd
//! (the default, everything else in the scenario configures it) or Calico's block IPAM
//! (`plugin: calico`, docs/model.md "Calico block IPAM").

use super::{Ipv4Cidr, Latency};
use crate::time::SimDuration;

/// Which IPAM assigns pod addresses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum IpamPlugin {
    /// The AWS VPC CNI: pod addresses are VPC addresses held by ipamd's warm pool.
    #[default]
    VpcCni,
    /// Calico IPAM: pod addresses come from blocks of an overlay pool; the VPC subnet holds
    /// only the nodes' primary addresses.
    Calico,
}

impl IpamPlugin {
    /// The names `ipam.plugin` accepts, with their plugin.
    pub const CHOICES: [(&'static str, IpamPlugin); 2] = [
        ("vpc-cni", IpamPlugin::VpcCni),
        ("calico", IpamPlugin::Calico),
    ];

    /// The name as written in scenarios and `summary.json`.
    pub fn name(self) -> &'static str {
        match self {
            IpamPlugin::VpcCni => "vpc-cni",
            IpamPlugin::Calico => "calico",
        }
    }
}

/// Calico's default IPv4 pool (`CALICO_IPV4POOL_CIDR` of the calico-node manifest, and the
/// operator's default `Installation` pool).
pub const CALICO_DEFAULT_POOL: Ipv4Cidr = Ipv4Cidr {
    base: 0xC0A8_0000,
    prefix_len: 16,
};

/// Calico's default block size (libcalico-go `validator.go`: IPv4 pools default to /26).
pub const CALICO_DEFAULT_BLOCK_SIZE: u8 = 26;

/// Smallest and largest IPv4 block prefix Calico's IPPool validation allows.
pub const CALICO_BLOCK_SIZES: std::ops::RangeInclusive<u8> = 20..=32;

/// Blocks one host may hold (`autoAssign`'s default when `maxBlocksPerHost` is 0,
/// libcalico-go ipam.go:751-756).
pub const CALICO_MAX_BLOCKS_PER_HOST: u32 = 20;

/// kubelet's own default `--max-pods`, which a Calico node keeps unless its nodegroup sets
/// `max_pods` (amazon-eks-ami nodeadm eni_max_pods.go: 110 outside the VPC CNI's table).
pub const KUBELET_DEFAULT_MAX_PODS: u32 = 110;

/// The `ipam` section, validated.
#[derive(Clone, Debug, PartialEq)]
pub struct IpamConfig {
    /// `plugin` (default `vpc-cni`).
    pub plugin: IpamPlugin,
    /// `pool`: the Calico IP pool (default 192.168.0.0/16).
    pub pool: Ipv4Cidr,
    /// `block_size`: prefix length of a block, 20–32 (default 26: 64 addresses).
    pub block_size: u8,
    /// `strict_affinity`: no borrowing from other hosts' blocks (default false, as in the
    /// IPAMConfig Calico creates).
    pub strict_affinity: bool,
    /// `latency`: how long one CNI ADD's assignment takes, serialised per node
    /// (default uniform 50–200 ms, an assumption: docs/model.md).
    pub latency: Latency,
}

impl IpamConfig {
    /// Whether Calico assigns pod addresses.
    pub fn calico(&self) -> bool {
        self.plugin == IpamPlugin::Calico
    }

    /// Addresses per block.
    pub fn block_addresses(&self) -> u32 {
        1u32 << (32 - u32::from(self.block_size))
    }
}

impl Default for IpamConfig {
    fn default() -> Self {
        IpamConfig {
            plugin: IpamPlugin::VpcCni,
            pool: CALICO_DEFAULT_POOL,
            block_size: CALICO_DEFAULT_BLOCK_SIZE,
            strict_affinity: false,
            latency: Latency::Uniform {
                min: SimDuration::from_millis(50),
                max: SimDuration::from_millis(200),
            },
        }
    }
}
