//! Subnet headroom: how many more nodes of a nodegroup fit in each subnet, by the address
//! and /28 block counts and by replaying one node's allocations on the subnet's address map.
//!
//! The work is bounded by the subnets, never by the node counts: the starting nodes' use is
//! counted per variant (not per node), and a replay stops at the first allocation that
//! fails, which comes after at most one round of variants per free address.

use super::runs::{Footprint, SubnetTake};
use super::{Limit, SubnetHeadroom};
use crate::model::ids::SubnetId;
use crate::model::subnet::{Subnet, PREFIX_SIZE};

/// Headroom rows of nodegroup `g` for every subnet its nodes touch, in scenario order.
/// `footprints[h]` are group `h`'s full-node footprints (one per primary subnet, in the
/// round-robin order of its nodes), `counts[h]` its nodes at start.
pub(super) fn headroom(
    start: &[Subnet],
    footprints: &[Vec<Footprint>],
    counts: &[u32],
    g: usize,
    prefix_mode: bool,
) -> Vec<SubnetHeadroom> {
    let Some(own) = footprints.get(g) else {
        return Vec::new();
    };
    let own_count = counts.get(g).copied().unwrap_or(0);
    let mut rows = Vec::new();
    for (i, subnet) in start.iter().enumerate() {
        let s = SubnetId::from_index(i);
        let instance = own.iter().any(|f| f.primary == s);
        let pod_enis = own.iter().any(|f| f.at(s).pod_enis);
        let touches = own.iter().any(|f| f.at(s).ips > 0 || f.at(s).prefixes > 0);
        if !(instance || pod_enis || touches) {
            continue;
        }
        let nodes_demand_ips = existing(footprints, counts, |t| t.ips, s);
        let existing_blocks = existing(footprints, counts, |t| t.blocks, s);
        let per_ips: Vec<u32> = own.iter().map(|f| f.at(s).ips).collect();
        let per_blocks: Vec<u32> = own.iter().map(|f| f.at(s).blocks).collect();
        let (mut more_nodes, mut limit, existing_fit) = replay(subnet, footprints, counts, g, s);
        let short = own.iter().find_map(|f| f.at(s).short);
        if let Some(l) = short {
            more_nodes = Some(0);
            limit = l;
        }
        rows.push(SubnetHeadroom {
            subnet: subnet.name.clone(),
            instance,
            pod_enis,
            free_ips: subnet.free(),
            free_prefix_blocks: subnet.free_prefix_blocks(),
            ips_per_node: per_ips.iter().copied().max().unwrap_or(0),
            prefix_blocks_per_node: per_blocks.iter().copied().max().unwrap_or(0),
            nodes_demand_ips: clamp(nodes_demand_ips),
            nodes_demand_prefix_blocks: clamp(existing_blocks),
            more_nodes_by_ips: by_count(subnet.free(), nodes_demand_ips, &per_ips, own_count),
            more_nodes_by_blocks: if prefix_mode {
                by_count(
                    subnet.free_prefix_blocks(),
                    existing_blocks,
                    &per_blocks,
                    own_count,
                )
            } else {
                None
            },
            more_nodes,
            limit,
            existing_fit: existing_fit && (short.is_none() || counts.iter().all(|&c| c == 0)),
            short_for_one_node: short.is_some(),
        });
    }
    rows
}

fn clamp(v: u64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

/// Nodes `0..count` placed round-robin over `variants` variants: how many are variant `v`.
fn nodes_of_variant(count: u32, variants: usize, v: usize) -> u64 {
    let (count, variants, v) = (u64::from(count), variants as u64, v as u64);
    if variants == 0 {
        return 0;
    }
    count / variants + u64::from(v < count % variants)
}

/// What the nodes the scenario starts with (every nodegroup, at max pods) take from subnet
/// `s`, by `pick` (addresses or blocks; saturating at `u64::MAX`).
fn existing(
    footprints: &[Vec<Footprint>],
    counts: &[u32],
    pick: impl Fn(&SubnetTake) -> u32,
    s: SubnetId,
) -> u64 {
    let mut total = 0u64;
    for (fps, &c) in footprints.iter().zip(counts) {
        for (v, f) in fps.iter().enumerate() {
            let nodes = nodes_of_variant(c, fps.len(), v);
            total = total.saturating_add(u64::from(pick(f.at(s))).saturating_mul(nodes));
        }
    }
    total
}

/// More nodes by one count (nodes): nodes `count + 1`, … take `per_variant` round-robin
/// from what the existing ones leave of `free`. `None` when no variant takes anything.
fn by_count(free: u32, existing: u64, per_variant: &[u32], count: u32) -> Option<u32> {
    let round: u64 = per_variant.iter().map(|&u| u64::from(u)).sum();
    if round == 0 {
        return None;
    }
    let Some(mut left) = u64::from(free).checked_sub(existing) else {
        return Some(0);
    };
    let len = per_variant.len();
    let mut k = count as usize;
    // Whole rounds at once, then node by node (less than one round: at most `len` steps).
    let rounds = left / round;
    left -= rounds * round;
    let mut n = clamp(rounds.saturating_mul(len as u64));
    loop {
        let u = u64::from(per_variant[k % len]);
        if u > left {
            return Some(n);
        }
        left -= u;
        n = n.saturating_add(1);
        k = k.wrapping_add(1);
    }
}

/// Replays the existing nodes and then nodes of group `g` on a copy of subnet `s`'s address
/// map until one does not fit: (more nodes, the limit that stopped them, whether the
/// existing nodes fit).
fn replay(
    start: &Subnet,
    footprints: &[Vec<Footprint>],
    counts: &[u32],
    g: usize,
    s: SubnetId,
) -> (Option<u32>, Limit, bool) {
    let allocates = |fps: &[Footprint]| fps.iter().any(|f| f.at(s).allocates());
    let own: &[Footprint] = footprints.get(g).map_or(&[], Vec::as_slice);
    let mut sub = start.clone();
    for (fps, &c) in footprints.iter().zip(counts) {
        // A group that takes nothing here cannot run the subnet out (and may be huge).
        if !allocates(fps) {
            continue;
        }
        for k in 0..c as usize {
            if let Err(limit) = place(&mut sub, &fps[k % fps.len()], s) {
                return if allocates(own) {
                    (Some(0), limit, false)
                } else {
                    (None, Limit::None, false)
                };
            }
        }
    }
    if !allocates(own) {
        return (None, Limit::None, true);
    }
    let mut n = 0u32;
    let mut k = counts.get(g).copied().unwrap_or(0) as usize;
    loop {
        if let Err(limit) = place(&mut sub, &own[k % own.len()], s) {
            return (Some(n), limit, true);
        }
        n = n.saturating_add(1);
        k = k.wrapping_add(1);
    }
}

/// Takes one node's single addresses, then its prefixes, from subnet `s`.
fn place(sub: &mut Subnet, fp: &Footprint, s: SubnetId) -> Result<(), Limit> {
    let take = fp.at(s);
    for _ in 0..take.singles {
        sub.allocate_ip().ok_or(Limit::Addresses)?;
    }
    for _ in 0..take.prefixes {
        if sub.allocate_prefix().is_none() {
            return Err(if sub.free() >= PREFIX_SIZE {
                Limit::PrefixBlocks
            } else {
                Limit::Addresses
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_robin_shares() {
        // 7 nodes over 3 variants: 0,1,2,0,1,2,0 → 3, 2, 2.
        let shares: Vec<u64> = (0..3).map(|v| nodes_of_variant(7, 3, v)).collect();
        assert_eq!(shares, [3, 2, 2]);
        // u32::MAX nodes, 1 variant: all of them; 0 variants: none.
        assert_eq!(nodes_of_variant(u32::MAX, 1, 0), u64::from(u32::MAX));
        assert_eq!(nodes_of_variant(5, 0, 0), 0);
    }

    #[test]
    fn by_count_rounds_then_nodes() {
        // 251 free, 60 taken: 191 left; 30 per node → 6 nodes (11 left).
        assert_eq!(by_count(251, 60, &[30], 2), Some(6));
        // Two variants 10 and 20, node 3 (k = 2, variant 0) next: 100 left → rounds of 30:
        // 3 rounds (6 nodes, 10 left), then variant 0 takes 10 (7 nodes), variant 1 needs 20.
        assert_eq!(by_count(100, 0, &[10, 20], 2), Some(7));
        // More taken than free: 0; nothing taken: no limit.
        assert_eq!(by_count(10, 11, &[1], 0), Some(0));
        assert_eq!(by_count(10, 0, &[0, 0], 0), None);
    }
}
