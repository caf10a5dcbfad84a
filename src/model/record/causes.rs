//! The typed causes facts carry: EC2's errors, why aws-node restarted, and what an
//! insufficient-address failure leads to (why pods wait is [`super::WaitCause`]).

use serde::Serialize;

/// Errors EC2 answers with, as the model knows them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Ec2Error {
    /// Throttled by the account's token bucket.
    RequestLimitExceeded,
    /// A server error (injected fault rate).
    InternalError,
    /// The subnet has too few free addresses.
    InsufficientFreeAddressesInSubnet,
    /// The subnet has no free aligned /28 block.
    InsufficientCidrBlocks,
    /// An attach beyond the instance's interface limit.
    AttachmentLimitExceeded,
}

impl Ec2Error {
    /// Every error, in the order of [`Ec2Error::index`].
    pub const ALL: [Ec2Error; 5] = [
        Ec2Error::RequestLimitExceeded,
        Ec2Error::InternalError,
        Ec2Error::InsufficientFreeAddressesInSubnet,
        Ec2Error::InsufficientCidrBlocks,
        Ec2Error::AttachmentLimitExceeded,
    ];

    /// Its position in [`Ec2Error::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// EC2's error code.
    pub fn name(self) -> &'static str {
        match self {
            Ec2Error::RequestLimitExceeded => "RequestLimitExceeded",
            Ec2Error::InternalError => "InternalError",
            Ec2Error::InsufficientFreeAddressesInSubnet => "InsufficientFreeAddressesInSubnet",
            Ec2Error::InsufficientCidrBlocks => "InsufficientCidrBlocks",
            Ec2Error::AttachmentLimitExceeded => "AttachmentLimitExceeded",
        }
    }

    /// An insufficient-address error (the 120 s back-off kind).
    pub fn is_insufficient(self) -> bool {
        matches!(
            self,
            Ec2Error::InsufficientFreeAddressesInSubnet | Ec2Error::InsufficientCidrBlocks
        )
    }
}

/// Why aws-node restarted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RestartReason {
    /// A scheduled restart (`faults.aws_node_restarts`).
    InjectedFault,
    /// `nodeInit`'s `DescribeNetworkInterfaces` failed on every try, with this error.
    InitDescribeFailed(Ec2Error),
    /// Custom networking and init ended with no pod IPs.
    CustomNetworkingNoEni,
    /// IPv6 mode: the primary ENI's /80 could not be assigned, with this error.
    Ipv6PrefixFailed(Ec2Error),
}

impl RestartReason {
    /// The `cause` word in `events.csv`.
    pub fn word(self) -> &'static str {
        match self {
            RestartReason::InjectedFault => "injected_fault",
            RestartReason::InitDescribeFailed(_) => "init_failed",
            RestartReason::CustomNetworkingNoEni => "custom_networking_no_eni",
            RestartReason::Ipv6PrefixFailed(_) => "ipv6_prefix_failed",
        }
    }
}

/// What an insufficient-address failure leads to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InsufficientThen {
    /// `CreateNetworkInterface`: the next qualifying subnet is tried.
    NextSubnet,
    /// `AssignPrivateIpAddresses`: one retry asking for a single IP or prefix (§c.7).
    RetryWithOne,
    /// Subnet discovery on: the ENI is skipped, no back-off (§e.6).
    SkipEni,
}
