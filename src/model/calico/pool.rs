//! Calico's block rules as pure functions of the pool's blocks (Calico v3.32.1,
//! `libcalico-go/lib/ipam`). Units: addresses unless a name says blocks.
//!
//! - A pool of `2^(block_size - pool prefix)` blocks. A host claims a block lazily, on an
//!   assignment that finds no free address in its affine blocks (`autoAssign`,
//!   ipam.go:696-945 → `findOrClaimBlock`, ipam.go:513-645).
//! - Which block: `findUsableBlock` (ipam_block_reader_writer.go:118-249) walks the pool's
//!   blocks from a start index that a random generator seeded by the hostname's FNV-1
//!   32-bit hash picks (`determineSeed`, `fnv.New32`), one by one with wrap-around, and
//!   takes the first block nobody has claimed. Go's `math/rand` stream is not reproduced:
//!   the start index here is `FNV-1-32(hostname) mod blocks`, deterministic like upstream's
//!   (the same host always starts at the same block). For /32 blocks upstream seeds from
//!   the clock; the hash is kept there too, for determinism.
//! - Inside a block, `newBlock` (ipam_block.go:44-92) lists every ordinal as unallocated
//!   in order; an assignment takes the front (ipam_block.go:94-146) and a release appends
//!   to the back (ipam_block.go:383, 484): fresh addresses first, in order, then freed ones
//!   in the order they were freed. Ordinal 0 (the block's base) is allocatable.
//! - At most 20 blocks per host (ipam.go:751-756); at the cap with no affine space the
//!   assignment fails with `ErrBlockLimit`, without borrowing (ipam.go:795-800).
//! - With no free block left: strict affinity fails ("No more free affine blocks and
//!   strict affinity enabled", ipam.go:787-790); otherwise the host borrows a free address
//!   from another host's block, walking the blocks in its own start order
//!   (`randomBlockGenerator` then `assignFromExistingBlock(affCheck=false)`,
//!   ipam.go:855-940).
//! - Affine blocks are tried in CIDR order (an assumption: upstream lists them from the
//!   datastore). Emptied blocks keep their affinity (no release, no reclaim by other hosts
//!   after `EmptyBlockMinReclaimAge`); a removed host's blocks lose their affinity and are
//!   freed once no address in them is in use.

use crate::model::ids::NodeId;
use crate::scenario::{IpamConfig, Ipv4Cidr};
use std::collections::{BTreeMap, VecDeque};

/// Why an assignment found no address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The host has its 20 blocks, all full (`ErrBlockLimit`).
    BlockLimit,
    /// No free block and strict affinity forbids borrowing.
    StrictAffinity,
    /// No free block and no free address in any block: the pool is exhausted.
    PoolExhausted,
}

impl Refusal {
    /// The `cause` word of a `no_ip` event.
    pub fn word(self) -> &'static str {
        match self {
            Refusal::BlockLimit => "block_limit",
            Refusal::StrictAffinity => "strict_affinity",
            Refusal::PoolExhausted => "pool_exhausted",
        }
    }

    /// Upstream's message for it.
    pub fn message(self) -> &'static str {
        match self {
            Refusal::BlockLimit => {
                "Need to allocate an IPAM block but could not - limit of 20 blocks reached for \
                 this node"
            }
            Refusal::StrictAffinity => "No more free affine blocks and strict affinity enabled",
            Refusal::PoolExhausted => {
                "Assigned 0 out of 1 requested IPv4 addresses (no free block, no free address \
                 in any block)"
            }
        }
    }
}

/// A successful assignment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Assigned {
    /// The address.
    pub addr: u32,
    /// Index of its block in the pool.
    pub block: u32,
    /// The host claimed that block for this assignment.
    pub claimed: bool,
    /// The block is affine to another host (a borrowed address).
    pub borrowed: bool,
}

/// One claimed block.
#[derive(Clone, Debug)]
pub struct Block {
    /// The host it is affine to (`None` once that host is gone).
    pub affinity: Option<NodeId>,
    /// Unallocated ordinals, front first (`Unallocated`).
    unallocated: VecDeque<u16>,
    /// Addresses in use.
    pub in_use: u32,
}

impl Block {
    /// Free addresses.
    pub fn free(&self) -> u32 {
        self.unallocated.len() as u32
    }
}

/// What one host holds.
#[derive(Clone, Debug, Default)]
struct Host {
    /// Its affine blocks, by index, ascending.
    affine: Vec<u32>,
    /// Free addresses in those blocks.
    free: u32,
    /// Where its block walk starts.
    start: u32,
}

/// The pool's blocks, claimed ones only.
#[derive(Clone, Debug)]
pub struct Pool {
    /// The pool's CIDR.
    pub cidr: Ipv4Cidr,
    /// Block prefix length.
    pub block_size: u8,
    /// Blocks in the pool.
    pub n_blocks: u64,
    strict: bool,
    max_blocks: u32,
    blocks: BTreeMap<u32, Block>,
    hosts: Vec<Host>,
    /// Free addresses over every claimed block.
    free_total: u64,
}

/// FNV-1 32-bit hash (Go's `hash/fnv.New32`, which `determineSeed` uses).
pub fn fnv1_32(bytes: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for &b in bytes {
        h = h.wrapping_mul(0x0100_0193);
        h ^= u32::from(b);
    }
    h
}

impl Pool {
    /// An empty pool for `ipam` (validated: the block fits the pool).
    pub fn new(ipam: &IpamConfig) -> Pool {
        let bits = u32::from(ipam.block_size.saturating_sub(ipam.pool.prefix_len));
        Pool {
            cidr: ipam.pool,
            block_size: ipam.block_size,
            n_blocks: 1u64 << bits.min(32),
            strict: ipam.strict_affinity,
            max_blocks: crate::scenario::ipam::CALICO_MAX_BLOCKS_PER_HOST,
            blocks: BTreeMap::new(),
            hosts: Vec::new(),
            free_total: 0,
        }
    }

    /// Addresses per block.
    pub fn block_addresses(&self) -> u32 {
        1u32 << (32 - u32::from(self.block_size))
    }

    /// Registers host `node` (ids in order) named `name`.
    pub fn add_host(&mut self, node: NodeId, name: &str) {
        debug_assert_eq!(node.index(), self.hosts.len());
        let start = (u64::from(fnv1_32(name.as_bytes())) % self.n_blocks) as u32;
        self.hosts.push(Host {
            start,
            ..Host::default()
        });
    }

    /// The CIDR of block `index`.
    pub fn block_cidr(&self, index: u32) -> Ipv4Cidr {
        let shift = 32 - u32::from(self.block_size);
        let offset = if shift >= 32 {
            0
        } else {
            index.wrapping_shl(shift)
        };
        Ipv4Cidr {
            base: self.cidr.base.wrapping_add(offset),
            prefix_len: self.block_size,
        }
    }

    /// The block holding `addr`, and its ordinal there.
    fn locate(&self, addr: u32) -> (u32, u16) {
        let off = addr.wrapping_sub(self.cidr.base);
        let shift = 32 - u32::from(self.block_size);
        if shift >= 32 {
            return (0, off as u16);
        }
        (off >> shift, (off & ((1u32 << shift) - 1)) as u16)
    }

    /// Whether some block of the pool is unclaimed, and whether some claimed block has a
    /// free address: what every host's chance of an address depends on beyond its own
    /// blocks.
    pub fn signature(&self) -> (bool, bool) {
        (
            (self.blocks.len() as u64) < self.n_blocks,
            self.free_total > 0,
        )
    }

    /// The first unclaimed block at or after `start`, wrapping around.
    fn unclaimed_from(&self, start: u32) -> Option<u32> {
        let gap = |from: u64, to: u64, keys: &mut dyn Iterator<Item = u64>| {
            let mut want = from;
            for k in keys {
                if k != want {
                    break;
                }
                want += 1;
            }
            (want < to).then_some(want as u32)
        };
        let s = u64::from(start);
        gap(
            s,
            self.n_blocks,
            &mut self.blocks.range(start..).map(|(&k, _)| u64::from(k)),
        )
        .or_else(|| {
            gap(
                0,
                s,
                &mut self.blocks.range(..start).map(|(&k, _)| u64::from(k)),
            )
        })
    }

    /// The first claimed block with a free address, in `host`'s walk order.
    fn borrowable(&self, host: NodeId) -> Option<u32> {
        let start = self.hosts[host.index()].start;
        self.blocks
            .range(start..)
            .chain(self.blocks.range(..start))
            .find(|(_, b)| b.free() > 0)
            .map(|(&k, _)| k)
    }

    /// Whether `host` would get an address now, and if not why (no change made).
    pub fn check(&self, host: NodeId) -> Result<(), Refusal> {
        let h = &self.hosts[host.index()];
        if h.free > 0 {
            return Ok(());
        }
        if h.affine.len() as u32 >= self.max_blocks {
            return Err(Refusal::BlockLimit);
        }
        let (unclaimed, free) = self.signature();
        match (unclaimed, self.strict, free) {
            (true, _, _) => Ok(()),
            (false, true, _) => Err(Refusal::StrictAffinity),
            (false, false, true) => Ok(()),
            (false, false, false) => Err(Refusal::PoolExhausted),
        }
    }

    /// `autoAssign` of one address for `host`.
    pub fn assign(&mut self, host: NodeId) -> Result<Assigned, Refusal> {
        self.check(host)?;
        let h = &self.hosts[host.index()];
        let affine = h
            .affine
            .iter()
            .copied()
            .find(|b| self.blocks.get(b).is_some_and(|b| b.free() > 0));
        let (index, claimed) = match affine {
            Some(b) => (b, false),
            None => match self.unclaimed_from(h.start) {
                Some(b) => {
                    self.claim(host, b);
                    (b, true)
                }
                None => (self.borrowable(host).ok_or(Refusal::PoolExhausted)?, false),
            },
        };
        let base = self.block_cidr(index).base;
        let Some(block) = self.blocks.get_mut(&index) else {
            return Err(Refusal::PoolExhausted);
        };
        let Some(ordinal) = block.unallocated.pop_front() else {
            return Err(Refusal::PoolExhausted);
        };
        block.in_use += 1;
        let owner = block.affinity;
        self.free_total -= 1;
        if let Some(o) = owner {
            self.hosts[o.index()].free -= 1;
        }
        Ok(Assigned {
            addr: base.wrapping_add(u32::from(ordinal)),
            block: index,
            claimed,
            borrowed: owner != Some(host),
        })
    }

    /// Claims block `index` for `host` (`newBlock`: every ordinal unallocated, in order).
    fn claim(&mut self, host: NodeId, index: u32) {
        let n = self.block_addresses();
        let block = Block {
            affinity: Some(host),
            unallocated: (0..n).map(|o| o as u16).collect(),
            in_use: 0,
        };
        self.blocks.insert(index, block);
        let h = &mut self.hosts[host.index()];
        let at = h.affine.partition_point(|&b| b < index);
        h.affine.insert(at, index);
        h.free += n;
        self.free_total += u64::from(n);
    }

    /// Releases `addr` (its ordinal goes to the back of its block's list). A block with no
    /// affinity left is freed once empty.
    pub fn release(&mut self, addr: u32) {
        let (index, ordinal) = self.locate(addr);
        let Some(block) = self.blocks.get_mut(&index) else {
            return;
        };
        block.in_use = block.in_use.saturating_sub(1);
        block.unallocated.push_back(ordinal);
        self.free_total += 1;
        match block.affinity {
            Some(o) => self.hosts[o.index()].free += 1,
            None if block.in_use == 0 => {
                let n = u64::from(block.free());
                self.blocks.remove(&index);
                self.free_total -= n;
            }
            None => {}
        }
    }

    /// `host` is gone: its blocks lose their affinity; empty ones are freed.
    pub fn remove_host(&mut self, host: NodeId) {
        let h = &mut self.hosts[host.index()];
        let affine = std::mem::take(&mut h.affine);
        h.free = 0;
        for index in affine {
            if let Some(b) = self.blocks.get_mut(&index) {
                b.affinity = None;
                if b.in_use == 0 {
                    let n = u64::from(b.free());
                    self.blocks.remove(&index);
                    self.free_total -= n;
                }
            }
        }
    }

    /// Blocks affine to `host`.
    pub fn host_blocks(&self, host: NodeId) -> u32 {
        self.hosts[host.index()].affine.len() as u32
    }

    /// Free addresses in `host`'s affine blocks.
    pub fn host_free(&self, host: NodeId) -> u32 {
        self.hosts[host.index()].free
    }

    /// Every claimed block, by index: `(index, block)`.
    pub fn blocks(&self) -> impl Iterator<Item = (u32, &Block)> {
        self.blocks.iter().map(|(&k, b)| (k, b))
    }

    /// Blocks claimed now.
    pub fn claimed(&self) -> u32 {
        self.blocks.len() as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::IpamPlugin;

    fn pool(cidr: &str, block_size: u8, strict: bool) -> Pool {
        let (a, l) = cidr.split_once('/').unwrap();
        let ipam = IpamConfig {
            plugin: IpamPlugin::Calico,
            pool: Ipv4Cidr {
                base: u32::from(a.parse::<std::net::Ipv4Addr>().unwrap()),
                prefix_len: l.parse().unwrap(),
            },
            block_size,
            strict_affinity: strict,
            ..IpamConfig::default()
        };
        Pool::new(&ipam)
    }

    fn ip(a: u32) -> String {
        std::net::Ipv4Addr::from(a).to_string()
    }

    const A: NodeId = NodeId(0);
    const B: NodeId = NodeId(1);

    #[test]
    fn fnv1_matches_go_hash_fnv_new32() {
        // FNV-1 32 test vectors (offset basis for "", "a" → 0x050c5d7e)
        assert_eq!(fnv1_32(b""), 0x811c_9dc5);
        assert_eq!(fnv1_32(b"a"), 0x050c_5d7e);
        assert_eq!(fnv1_32(b"foobar"), 0x31f0_b262);
    }

    #[test]
    fn first_assignment_claims_the_hosts_start_block_and_takes_its_base() {
        let mut p = pool("10.0.0.0/24", 26, false);
        p.add_host(A, "a");
        // 4 blocks; "a" hashes to 0x050c5d7e, whose residue mod 4 is 2: 10.0.0.128/26
        let got = p.assign(A).unwrap();
        assert!(got.claimed && !got.borrowed);
        assert_eq!(got.block, 2);
        assert_eq!(ip(got.addr), "10.0.0.128");
        assert_eq!(ip(p.assign(A).unwrap().addr), "10.0.0.129");
        assert_eq!(p.host_blocks(A), 1);
        assert_eq!(p.host_free(A), 62);
    }

    #[test]
    fn released_addresses_come_back_after_the_never_used_ones() {
        let mut p = pool("10.0.0.0/26", 26, false);
        p.add_host(A, "a");
        let first = p.assign(A).unwrap().addr;
        let second = p.assign(A).unwrap().addr;
        p.release(first);
        // FIFO: .2 (never used) before .0 (freed)
        assert_eq!(p.assign(A).unwrap().addr, second + 1);
        for _ in 3..64 {
            p.assign(A).unwrap();
        }
        assert_eq!(p.assign(A).unwrap().addr, first);
    }

    #[test]
    fn a_full_block_makes_the_host_claim_the_next_unclaimed_one_with_wrap() {
        let mut p = pool("10.0.0.0/25", 26, false);
        p.add_host(A, "a"); // start 0x050c5d7e mod 2 = 0
        for _ in 0..64 {
            assert_eq!(p.assign(A).unwrap().block, 0);
        }
        let next = p.assign(A).unwrap();
        assert!(next.claimed);
        assert_eq!(next.block, 1);
        assert_eq!(p.host_blocks(A), 2);
    }

    #[test]
    fn no_free_block_borrows_from_another_hosts_block() {
        let mut p = pool("10.0.0.0/26", 26, false);
        p.add_host(A, "a");
        p.add_host(B, "b");
        for _ in 0..10 {
            p.assign(B).unwrap();
        }
        let got = p.assign(A).unwrap();
        assert!(got.borrowed && !got.claimed);
        assert_eq!(ip(got.addr), "10.0.0.10");
        assert_eq!(p.host_free(B), 53);
    }

    #[test]
    fn strict_affinity_refuses_instead_of_borrowing() {
        let mut p = pool("10.0.0.0/26", 26, true);
        p.add_host(A, "a");
        p.add_host(B, "b");
        p.assign(B).unwrap();
        assert_eq!(p.assign(A), Err(Refusal::StrictAffinity));
        assert_eq!(p.check(A), Err(Refusal::StrictAffinity));
        assert!(p.check(B).is_ok());
    }

    #[test]
    fn an_exhausted_pool_refuses_every_host() {
        let mut p = pool("10.0.0.0/30", 31, false);
        p.add_host(A, "a");
        p.add_host(B, "b");
        for _ in 0..4 {
            p.assign(A).unwrap();
        }
        assert_eq!(p.assign(B), Err(Refusal::PoolExhausted));
        assert_eq!(p.signature(), (false, false));
    }

    #[test]
    fn twenty_blocks_per_host_then_block_limit_without_borrowing() {
        let mut p = pool("10.0.0.0/24", 32, false);
        p.add_host(A, "a");
        for _ in 0..20 {
            assert!(p.assign(A).unwrap().claimed);
        }
        assert_eq!(p.assign(A), Err(Refusal::BlockLimit));
    }

    #[test]
    fn a_removed_hosts_blocks_are_freed_once_empty() {
        let mut p = pool("10.0.0.0/26", 26, false);
        p.add_host(A, "a");
        p.add_host(B, "b");
        p.assign(A).unwrap();
        let borrowed = p.assign(B).unwrap();
        assert!(borrowed.borrowed);
        p.release(p.block_cidr(0).base); // A's pod goes
        p.remove_host(A);
        assert_eq!(p.claimed(), 1, "still holds B's borrowed address");
        p.release(borrowed.addr);
        assert_eq!(p.claimed(), 0);
        assert_eq!(p.signature(), (true, false));
    }
}
