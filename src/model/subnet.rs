//! A subnet as real addresses: bitmaps over its CIDR.
//!
//! AWS reserves the first four addresses and the last one of every subnet. Secondary IPs
//! and ENI primary IPs are never taken inside a prefix reservation. A /28 prefix needs an
//! aligned block of 16 free addresses: reservation blocks are used first, then the rest of
//! the subnet. Which free address or block EC2 hands out is [`AddressChoice`]: uniformly at
//! random by default (the subnet's own seeded stream), or the lowest. EC2 does not document
//! its choice; reports show scattered addresses (research notes: EKS docs on prefix
//! failures "if IP addresses are scattered throughout the subnet CIDR", cilium#38499).
//!
//! Free addresses outside reservations are counted per 4,096-address superblock, so a random
//! pick costs a scan of at most 16 superblock counts and 64 words in a /16.

use crate::scenario::{AddressChoice, Ipv4Cidr, SubnetSpec, UsedSpec};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Addresses AWS reserves in every subnet (network, router, DNS, future use, broadcast).
pub const AWS_RESERVED: u32 = 5;
/// Addresses in a /28 prefix.
pub const PREFIX_SIZE: u32 = 16;

/// One subnet's address space.
#[derive(Clone, Debug)]
pub struct Subnet {
    /// Scenario name.
    pub name: String,
    /// The subnet's CIDR.
    pub cidr: Ipv4Cidr,
    /// Availability zone.
    pub az: String,
    /// The `kubernetes.io/role/cni` tag (as [`SubnetSpec::role_cni`]).
    pub role_cni: Option<bool>,
    /// Cluster names of its `cni.networking.k8s.aws/cluster/<name>` tags, sorted.
    pub cluster_tags: Vec<String>,
    /// Taken addresses (padding bits past the CIDR are set).
    used: Vec<u64>,
    prefix_only: Vec<u64>,
    free: u32,
    /// Free addresses outside reservations.
    free_ips: u32,
    /// Free addresses outside reservations per superblock of [`SUPERBLOCK`] words.
    super_free: Vec<u32>,
    /// Every offset below it is used or prefix-only (search start for single addresses).
    hint: u32,
    choice: AddressChoice,
    rng: ChaCha8Rng,
    /// The /64's /80 prefixes, if the subnet has an IPv6 CIDR.
    v6: Option<V6Space>,
}

/// A /64's 65,536 /80 prefixes: which are taken.
#[derive(Clone, Debug)]
struct V6Space {
    /// The /64's network address.
    base: u128,
    /// One bit per /80.
    used: Vec<u64>,
    /// /80s not taken.
    free: u32,
}

/// /80 prefixes in a /64.
pub const V6_PREFIXES: u32 = 1 << 16;

/// Words per superblock (64 × 64 = 4,096 addresses).
const SUPERBLOCK: usize = 64;

fn bit(map: &[u64], off: u32) -> bool {
    map[(off / 64) as usize] & (1 << (off % 64)) != 0
}

impl Subnet {
    /// The subnet at t = 0: AWS-reserved addresses, reservations and `used` applied
    /// (`used: <count>` draws its addresses from `rng`); later choices use `choice`, drawing
    /// from `picks` (the subnet's own stream).
    pub fn new(
        spec: &SubnetSpec,
        rng: &mut ChaCha8Rng,
        choice: AddressChoice,
        picks: ChaCha8Rng,
    ) -> Subnet {
        let size = spec.cidr.size() as u32;
        let words = (size as usize).div_ceil(64);
        let mut s = Subnet {
            name: spec.name.clone(),
            cidr: spec.cidr,
            az: spec.az.clone(),
            role_cni: spec.role_cni,
            cluster_tags: spec.cluster_tags.clone(),
            used: vec![0; words],
            prefix_only: vec![0; words],
            free: size,
            free_ips: 0,
            super_free: Vec::new(),
            hint: 0,
            choice,
            rng: picks,
            v6: spec.ipv6_cidr.map(|base| V6Space {
                base,
                used: vec![0; (V6_PREFIXES / 64) as usize],
                free: V6_PREFIXES,
            }),
        };
        for off in size..words as u32 * 64 {
            s.used[(off / 64) as usize] |= 1 << (off % 64);
        }
        for off in [0, 1, 2, 3, size - 1] {
            s.mark(off);
        }
        for r in &spec.reservations {
            let start = r.base - spec.cidr.base;
            for off in start..start + r.size() as u32 {
                s.prefix_only[(off / 64) as usize] |= 1 << (off % 64);
            }
        }
        match &spec.used {
            UsedSpec::None => {}
            UsedSpec::Ranges(ranges) => {
                for &(a, b) in ranges {
                    for addr in a..=b {
                        let off = addr - spec.cidr.base;
                        if !bit(&s.used, off) {
                            s.mark(off);
                        }
                    }
                }
            }
            UsedSpec::Count(n) => {
                // A partial Fisher–Yates shuffle over the free addresses outside reservations.
                let mut candidates: Vec<u32> = (0..size)
                    .filter(|&o| !bit(&s.used, o) && !bit(&s.prefix_only, o))
                    .collect();
                let n = (*n as usize).min(candidates.len());
                for i in 0..n {
                    let j = rng.gen_range(i..candidates.len());
                    candidates.swap(i, j);
                    s.mark(candidates[i]);
                }
            }
        }
        s.super_free = s
            .used
            .chunks(SUPERBLOCK)
            .zip(s.prefix_only.chunks(SUPERBLOCK))
            .map(|(u, p)| u.iter().zip(p).map(|(u, p)| (!(u | p)).count_ones()).sum())
            .collect();
        s.free_ips = s.super_free.iter().sum();
        s
    }

    /// Marks `off` taken, keeping the counts (the per-superblock ones only once they exist).
    fn mark(&mut self, off: u32) {
        debug_assert!(!bit(&self.used, off), "address handed out twice");
        self.used[(off / 64) as usize] |= 1 << (off % 64);
        self.free -= 1;
        if !bit(&self.prefix_only, off) && !self.super_free.is_empty() {
            self.free_ips -= 1;
            self.super_free[off as usize / 64 / SUPERBLOCK] -= 1;
        }
    }

    fn unmark(&mut self, off: u32) {
        assert!(
            bit(&self.used, off),
            "release of an address that is not in use"
        );
        self.used[(off / 64) as usize] &= !(1 << (off % 64));
        self.free += 1;
        if !bit(&self.prefix_only, off) {
            self.free_ips += 1;
            self.super_free[off as usize / 64 / SUPERBLOCK] += 1;
        }
    }

    /// Free addresses, reservations included (what `DescribeSubnets` reports as available).
    pub fn free(&self) -> u32 {
        self.free
    }

    /// Free addresses outside prefix reservations (what single addresses can use).
    pub fn free_for_ips(&self) -> u32 {
        self.free_ips
    }

    /// Takes a free address outside prefix reservations (the lowest, or one at random), if
    /// any.
    pub fn allocate_ip(&mut self) -> Option<u32> {
        let off = match self.choice {
            AddressChoice::Lowest => self.lowest_free_ip()?,
            AddressChoice::Random => self.random_free_ip()?,
        };
        self.mark(off);
        if self.choice == AddressChoice::Lowest {
            self.hint = off + 1;
        }
        Some(self.cidr.base + off)
    }

    fn lowest_free_ip(&self) -> Option<u32> {
        let mut w = (self.hint / 64) as usize;
        while w < self.used.len() {
            let taken = self.used[w] | self.prefix_only[w];
            if taken != u64::MAX {
                return Some(w as u32 * 64 + (!taken).trailing_zeros());
            }
            w += 1;
        }
        None
    }

    /// The `k`-th free address (k uniform over the free ones), found through the
    /// superblock counts, then the words' popcounts, then the word's bits.
    fn random_free_ip(&mut self) -> Option<u32> {
        if self.free_ips == 0 {
            return None;
        }
        let mut k = self.rng.gen_range(0..self.free_ips);
        let sb = self.super_free.iter().position(|&n| {
            if k < n {
                true
            } else {
                k -= n;
                false
            }
        })?;
        let first = sb * SUPERBLOCK;
        let last = (first + SUPERBLOCK).min(self.used.len());
        for w in first..last {
            let mut free = !(self.used[w] | self.prefix_only[w]);
            let n = free.count_ones();
            if k >= n {
                k -= n;
                continue;
            }
            for _ in 0..k {
                free &= free - 1;
            }
            return Some(w as u32 * 64 + free.trailing_zeros());
        }
        None
    }

    /// Returns a single address.
    pub fn release_ip(&mut self, addr: u32) {
        let off = addr - self.cidr.base;
        self.unmark(off);
        self.hint = self.hint.min(off);
    }

    fn block_free(&self, off: u32) -> bool {
        (self.used[(off / 64) as usize] >> (off % 64)) & 0xFFFF == 0
    }

    fn block_reserved(&self, off: u32) -> bool {
        (self.prefix_only[(off / 64) as usize] >> (off % 64)) & 0xFFFF == 0xFFFF
    }

    /// Takes a free aligned /28 (reservation blocks first; the lowest, or one at random
    /// among them); returns its base address. `None` is EC2's InsufficientCidrBlocks.
    pub fn allocate_prefix(&mut self) -> Option<u32> {
        let blocks = self.cidr.size() as u32 / PREFIX_SIZE;
        let reserved = |s: &Self, o: u32| s.block_free(o) && s.block_reserved(o);
        let any = |s: &Self, o: u32| s.block_free(o);
        let pick = self
            .pick_block(blocks, reserved)
            .or_else(|| self.pick_block(blocks, any))?;
        for off in pick..pick + PREFIX_SIZE {
            self.mark(off);
        }
        Some(self.cidr.base + pick)
    }

    /// The offset of a block satisfying `ok`: the lowest, or one at random.
    fn pick_block(&mut self, blocks: u32, ok: impl Fn(&Self, u32) -> bool) -> Option<u32> {
        let offsets = (0..blocks).map(|b| b * PREFIX_SIZE);
        match self.choice {
            AddressChoice::Lowest => offsets.clone().find(|&o| ok(self, o)),
            AddressChoice::Random => {
                let n = offsets.clone().filter(|&o| ok(self, o)).count();
                if n == 0 {
                    return None;
                }
                let k = self.rng.gen_range(0..n);
                offsets.filter(|&o| ok(self, o)).nth(k)
            }
        }
    }

    /// Returns a /28 prefix by its base address.
    pub fn release_prefix(&mut self, base: u32) {
        let start = base - self.cidr.base;
        for off in start..start + PREFIX_SIZE {
            self.unmark(off);
        }
        self.hint = self.hint.min(start);
    }

    /// An IPv6 /80 from the subnet's /64 (`AssignIpv6Addresses` with a prefix count of 1):
    /// the lowest free one or one at random, by the address choice; `None` if the subnet
    /// has no IPv6 CIDR or every /80 is taken.
    pub fn allocate_v6_prefix(&mut self) -> Option<u128> {
        let choice = self.choice;
        let v6 = self.v6.as_mut()?;
        if v6.free == 0 {
            return None;
        }
        let mut k = match choice {
            AddressChoice::Lowest => 0,
            AddressChoice::Random => self.rng.gen_range(0..v6.free),
        };
        for (w, word) in v6.used.iter_mut().enumerate() {
            let mut free = !*word;
            let n = free.count_ones();
            if k >= n {
                k -= n;
                continue;
            }
            for _ in 0..k {
                free &= free - 1;
            }
            let bit = free.trailing_zeros();
            *word |= 1 << bit;
            v6.free -= 1;
            let index = w as u128 * 64 + u128::from(bit);
            return Some(v6.base + (index << 48));
        }
        None
    }

    /// Returns a /80 by its network address.
    pub fn release_v6_prefix(&mut self, prefix: u128) {
        if let Some(v6) = &mut self.v6 {
            let index = ((prefix - v6.base) >> 48) as usize;
            let (w, b) = (index / 64, index % 64);
            if v6.used[w] & (1 << b) != 0 {
                v6.used[w] &= !(1 << b);
                v6.free += 1;
            }
        }
    }

    /// The subnet's IPv6 /64, if it has one.
    pub fn ipv6_cidr(&self) -> Option<u128> {
        self.v6.as_ref().map(|v| v.base)
    }

    /// Aligned /28 blocks entirely free (reservations included).
    pub fn free_prefix_blocks(&self) -> u32 {
        let blocks = self.cidr.size() as u32 / PREFIX_SIZE;
        (0..blocks)
            .filter(|b| self.block_free(b * PREFIX_SIZE))
            .count() as u32
    }

    /// Whether `addr` lies inside the subnet.
    pub fn contains(&self, addr: u32) -> bool {
        addr.wrapping_sub(self.cidr.base) < self.cidr.size() as u32
    }

    /// Whether `addr` is taken (by an ENI, a pod's IP, another resource or AWS).
    pub fn is_used(&self, addr: u32) -> bool {
        self.contains(addr) && bit(&self.used, addr - self.cidr.base)
    }

    /// Whether `addr` lies inside a prefix reservation.
    pub fn is_prefix_only(&self, addr: u32) -> bool {
        self.contains(addr) && bit(&self.prefix_only, addr - self.cidr.base)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn spec(a: [u8; 4], len: u8) -> SubnetSpec {
        SubnetSpec {
            name: "a".into(),
            cidr: Ipv4Cidr {
                base: u32::from_be_bytes(a),
                prefix_len: len,
            },
            az: "default".into(),
            role_cni: None,
            cluster_tags: Vec::new(),
            used: UsedSpec::None,
            reservations: vec![],
            ipv6_cidr: None,
        }
    }
    fn rng() -> ChaCha8Rng {
        ChaCha8Rng::seed_from_u64(1)
    }
    fn lowest(sp: &SubnetSpec) -> Subnet {
        Subnet::new(sp, &mut rng(), AddressChoice::Lowest, rng())
    }
    fn random(sp: &SubnetSpec) -> Subnet {
        Subnet::new(sp, &mut rng(), AddressChoice::Random, rng())
    }
    fn ip(a: [u8; 4]) -> u32 {
        u32::from_be_bytes(a)
    }

    #[test]
    fn a_slash_24_has_251_usable_addresses_and_15_free_blocks() {
        // 256 - 5 AWS-reserved = 251; 16 blocks, the first (.0-.3 reserved) and the last
        // (.255 reserved) are not entirely free: 14.
        let mut s = lowest(&spec([10, 0, 1, 0], 24));
        assert_eq!(s.free(), 251);
        assert_eq!(s.free_prefix_blocks(), 14);
        let first = s.allocate_ip().unwrap();
        assert_eq!(first, ip([10, 0, 1, 4]));
        let mut n = 1;
        while s.allocate_ip().is_some() {
            n += 1;
        }
        assert_eq!(n, 251);
        assert_eq!(s.free(), 0);
        s.release_ip(first);
        assert_eq!(s.allocate_ip(), Some(first));
    }

    #[test]
    fn prefixes_are_aligned_and_skip_partly_used_blocks() {
        let mut s = lowest(&spec([10, 0, 0, 0], 26));
        // /26 = 4 blocks; block 0 holds .0-.3 (reserved), block 3 holds .63: 2 free
        assert_eq!(s.free_prefix_blocks(), 2);
        let a = s.allocate_ip().unwrap(); // .4 (block 0)
        assert_eq!(a, ip([10, 0, 0, 4]));
        assert_eq!(s.allocate_prefix(), Some(ip([10, 0, 0, 16])));
        assert_eq!(s.allocate_prefix(), Some(ip([10, 0, 0, 32])));
        assert_eq!(s.allocate_prefix(), None); // InsufficientCidrBlocks
        s.release_prefix(ip([10, 0, 0, 16]));
        assert_eq!(s.free_prefix_blocks(), 1);
        // single IPs may now use the released block again
        assert_eq!(s.allocate_ip(), Some(ip([10, 0, 0, 5])));
    }

    #[test]
    fn fragmented_subnet_has_addresses_but_no_blocks() {
        // /24 with one address used in every block: 251 - 14 = 237 free, no free /28.
        let mut sp = spec([10, 0, 0, 0], 24);
        sp.used = UsedSpec::Ranges(
            (1..15)
                .map(|b| (ip([10, 0, 0, b * 16]), ip([10, 0, 0, b * 16])))
                .collect(),
        );
        let mut s = lowest(&sp);
        assert_eq!(s.free(), 237);
        assert_eq!(s.free_prefix_blocks(), 0);
        assert_eq!(s.allocate_prefix(), None);
        assert!(s.allocate_ip().is_some());
    }

    #[test]
    fn reservations_hold_prefixes_only() {
        // /24 with 10.0.0.128/26 reserved: 64 addresses only prefixes may use.
        let mut sp = spec([10, 0, 0, 0], 24);
        sp.reservations = vec![Ipv4Cidr {
            base: ip([10, 0, 0, 128]),
            prefix_len: 26,
        }];
        sp.used = UsedSpec::Count(150);
        let mut s = lowest(&sp);
        // 251 usable - 150 used = 101 free, 64 of them reserved
        assert_eq!(s.free(), 101);
        assert_eq!(s.free_for_ips(), 37);
        // the first prefix comes from the reservation
        assert_eq!(s.allocate_prefix(), Some(ip([10, 0, 0, 128])));
        for _ in 0..37 {
            let a = s.allocate_ip().unwrap();
            assert!(!s.is_prefix_only(a));
        }
        assert_eq!(s.allocate_ip(), None);
        assert_eq!(s.free(), 48);
    }

    #[test]
    fn used_count_is_deterministic_per_seed() {
        let mut sp = spec([10, 0, 0, 0], 24);
        sp.used = UsedSpec::Count(100);
        let new = |seed| {
            Subnet::new(
                &sp,
                &mut ChaCha8Rng::seed_from_u64(seed),
                AddressChoice::Lowest,
                rng(),
            )
        };
        let (a, b, c) = (new(3), new(3), new(4));
        assert_eq!(a.used, b.used);
        assert_ne!(a.used, c.used);
        assert_eq!(a.free(), 151);
    }

    #[test]
    fn random_choice_hands_out_every_free_address_once() {
        // /22: 1024 − 5 reserved = 1019 addresses, each exactly once, not in order
        let mut s = random(&spec([10, 0, 0, 0], 22));
        let mut got = Vec::new();
        while let Some(a) = s.allocate_ip() {
            assert_eq!(s.free_for_ips(), 1019 - got.len() as u32 - 1);
            got.push(a);
        }
        assert_eq!(got.len(), 1019);
        assert!(got.windows(2).any(|w| w[0] > w[1]), "random order");
        let mut sorted = got.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 1019);
        assert!(!sorted.contains(&ip([10, 0, 0, 0])) && !sorted.contains(&ip([10, 0, 3, 255])));
        for a in &got {
            s.release_ip(*a);
        }
        assert_eq!((s.free(), s.free_for_ips()), (1019, 1019));
    }

    #[test]
    fn random_singles_fragment_a_subnet_that_lowest_keeps_whole() {
        // /24 (14 whole free /28 blocks): 30 single addresses lowest-first use blocks 0–2
        // (.4–.33), leaving 12 whole blocks; 30 at random touch many more blocks.
        let mut low = lowest(&spec([10, 0, 0, 0], 24));
        let mut rnd = random(&spec([10, 0, 0, 0], 24));
        for _ in 0..30 {
            low.allocate_ip();
            rnd.allocate_ip();
        }
        assert_eq!(low.free_prefix_blocks(), 12);
        assert!(rnd.free_prefix_blocks() < 8, "{}", rnd.free_prefix_blocks());
    }

    #[test]
    fn random_prefixes_are_aligned_free_blocks_reservations_first() {
        let mut sp = spec([10, 0, 0, 0], 24);
        sp.reservations = vec![Ipv4Cidr {
            base: ip([10, 0, 0, 128]),
            prefix_len: 26,
        }];
        let mut s = random(&sp);
        let mut got = Vec::new();
        while let Some(p) = s.allocate_prefix() {
            assert_eq!(p % 16, 0);
            got.push(p);
        }
        // 14 whole blocks; the 4 reserved ones (.128–.191) come first
        assert_eq!(got.len(), 14);
        assert!(got[..4]
            .iter()
            .all(|&p| (ip([10, 0, 0, 128])..ip([10, 0, 0, 192])).contains(&p)));
    }

    #[test]
    fn validation_counts_the_free_addresses_the_subnet_starts_with() {
        // `validate` warns from `start_addresses` without building a subnet: the two agree
        // on every shape of `used` and reservations.
        let mut shapes = vec![spec([10, 0, 0, 0], 28), spec([10, 0, 0, 0], 24)];
        let mut sp = spec([10, 0, 0, 0], 24);
        sp.reservations = vec![Ipv4Cidr {
            base: ip([10, 0, 0, 0]),
            prefix_len: 26,
        }];
        sp.used = UsedSpec::Ranges(vec![(ip([10, 0, 0, 60]), ip([10, 0, 0, 70]))]);
        shapes.push(sp.clone());
        sp.used = UsedSpec::Count(500);
        shapes.push(sp);
        for sp in &shapes {
            let want = crate::scenario::validate::start_addresses(sp).free;
            assert_eq!(u64::from(lowest(sp).free_for_ips()), want, "{sp:?}");
        }
    }
}
