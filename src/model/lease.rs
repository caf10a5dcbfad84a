//! What crosses the CNI interface: the lease a CNI ADD gives a pod and its DEL gives back,
//! and the IPv4 address type it carries.

use super::ids::EniId;
use super::record::PodAddr;

/// An IPv4 address, as its big-endian `u32` (`10.0.0.1` is `0x0A00_0001`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ipv4(pub u32);

impl std::fmt::Display for Ipv4 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::net::Ipv4Addr::from(self.0).fmt(f)
    }
}

/// The address part of a lease.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Leased {
    /// An IPv4 address.
    V4(Ipv4),
    /// IPv6 mode: an address of the node's /80, by offset from the /80's network address
    /// (the node's ipamd knows the /80).
    V6Offset(u32),
}

/// A pod's address as the CNI gave it at ADD: what DEL gives back and what
/// [`Cni::address`](super::kube::Cni::address) spells out in full.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lease {
    /// The ENI holding the address (the VPC CNI: a node ENI, or a pod's branch ENI with
    /// security groups for pods); `None` where there is no ENI (Calico).
    pub eni: Option<EniId>,
    /// The address.
    pub addr: Leased,
}

impl Lease {
    /// An IPv4 address on `eni`, if any.
    pub fn v4(eni: Option<EniId>, addr: Ipv4) -> Lease {
        Lease {
            eni,
            addr: Leased::V4(addr),
        }
    }

    /// The IPv4 address, if it is one.
    pub fn ipv4(self) -> Option<Ipv4> {
        match self.addr {
            Leased::V4(a) => Some(a),
            Leased::V6Offset(_) => None,
        }
    }

    /// The address in full, given the node's /80 in IPv6 mode (`v6_address` maps an
    /// offset to it; `None` once the node gave its /80 back, when the offset is shown as
    /// it is).
    pub fn address(self, v6_address: impl FnOnce(u32) -> Option<u128>) -> PodAddr {
        match self.addr {
            Leased::V4(a) => PodAddr::V4(a.0),
            Leased::V6Offset(o) => v6_address(o).map_or(PodAddr::V4(o), PodAddr::V6),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_spells_out_its_address() {
        let v4 = Lease::v4(None, Ipv4(0x0A00_0001));
        assert_eq!(v4.address(|_| None), PodAddr::V4(0x0A00_0001));
        assert_eq!(v4.ipv4(), Some(Ipv4(0x0A00_0001)));
        assert_eq!(Ipv4(0x0A00_0001).to_string(), "10.0.0.1");
        let v6 = Lease {
            eni: Some(EniId(1)),
            addr: Leased::V6Offset(3),
        };
        assert_eq!(
            v6.address(|o| Some(0x100 + u128::from(o))),
            PodAddr::V6(0x103)
        );
        assert_eq!(v6.ipv4(), None);
        // a /80 given back: the offset as it is
        assert_eq!(v6.address(|_| None), PodAddr::V4(3));
    }
}
