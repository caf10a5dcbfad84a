//! A subnet as real addresses: a bitmap over its CIDR.
//!
//! AWS reserves the first four addresses and the last one of every subnet. Addresses are
//! handed out lowest-free first (EC2 does not document its choice; lowest-first keeps runs
//! readable and deterministic).

use crate::scenario::Ipv4Cidr;

/// One subnet's address space.
#[derive(Clone, Debug)]
pub struct Subnet {
    /// Scenario name.
    pub name: String,
    /// The subnet's CIDR.
    pub cidr: Ipv4Cidr,
    used: Vec<u64>,
    free: u32,
    /// Lowest offset that may be free (every offset below it is used).
    hint: u32,
}

/// Addresses AWS reserves in every subnet (network, router, DNS, future use, broadcast).
pub const AWS_RESERVED: u32 = 5;

impl Subnet {
    /// A fresh subnet with only the AWS-reserved addresses in use.
    pub fn new(name: &str, cidr: Ipv4Cidr) -> Subnet {
        let size = cidr.size() as u32;
        let mut s = Subnet {
            name: name.to_string(),
            cidr,
            used: vec![0; (size as usize).div_ceil(64)],
            free: size,
            hint: 0,
        };
        for off in [0, 1, 2, 3, size - 1] {
            s.mark(off);
        }
        s
    }

    fn mark(&mut self, off: u32) {
        let (w, b) = ((off / 64) as usize, off % 64);
        debug_assert!(self.used[w] & (1 << b) == 0);
        self.used[w] |= 1 << b;
        self.free -= 1;
    }

    /// Free addresses.
    pub fn free(&self) -> u32 {
        self.free
    }

    /// Takes the lowest free address, if any.
    pub fn allocate(&mut self) -> Option<u32> {
        if self.free == 0 {
            return None;
        }
        let mut w = (self.hint / 64) as usize;
        while w < self.used.len() {
            let word = self.used[w];
            if word != u64::MAX {
                let b = (!word).trailing_zeros();
                let off = w as u32 * 64 + b;
                self.mark(off);
                self.hint = off + 1;
                return Some(self.cidr.base + off);
            }
            w += 1;
        }
        None
    }

    /// Returns an address to the subnet.
    pub fn release(&mut self, addr: u32) {
        let off = addr - self.cidr.base;
        let (w, b) = ((off / 64) as usize, off % 64);
        debug_assert!(self.used[w] & (1 << b) != 0, "double release");
        self.used[w] &= !(1 << b);
        self.free += 1;
        self.hint = self.hint.min(off);
    }

    /// Whether `addr` lies inside the subnet.
    pub fn contains(&self, addr: u32) -> bool {
        addr.wrapping_sub(self.cidr.base) < self.cidr.size() as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cidr(a: [u8; 4], len: u8) -> Ipv4Cidr {
        Ipv4Cidr {
            base: u32::from_be_bytes(a),
            prefix_len: len,
        }
    }

    #[test]
    fn a_slash_24_has_251_usable_addresses() {
        // 256 - 5 AWS-reserved = 251
        let mut s = Subnet::new("a", cidr([10, 0, 1, 0], 24));
        assert_eq!(s.free(), 251);
        let first = s.allocate().unwrap();
        assert_eq!(first, u32::from_be_bytes([10, 0, 1, 4]));
        let mut n = 1;
        while s.allocate().is_some() {
            n += 1;
        }
        assert_eq!(n, 251);
        assert_eq!(s.free(), 0);
        s.release(first);
        assert_eq!(s.allocate(), Some(first));
    }

    #[test]
    fn release_makes_lowest_address_reusable() {
        let mut s = Subnet::new("a", cidr([10, 0, 0, 0], 28));
        // /28: 16 - 5 = 11 usable
        assert_eq!(s.free(), 11);
        let a = s.allocate().unwrap();
        let b = s.allocate().unwrap();
        s.release(a);
        assert_eq!(s.allocate(), Some(a));
        assert!(s.contains(b));
        assert!(!s.contains(u32::from_be_bytes([10, 0, 0, 16])));
    }
}
