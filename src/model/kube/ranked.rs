//! The scheduler's set of Ready nodes with a free max-pods slot, ordered by pods bound
//! (fewest first for `LeastAllocated`, most first for `MostAllocated`), then by node id.
//!
//! Every bind and every delete moves a node from one bound count to the next, so this is
//! the scheduler's busiest structure. It is a bit set of nodes per bound count, each with a
//! summary word per 64 words, and a bit set of the counts that have nodes: moving a node
//! is two bit flips (and a summary bit when a word fills or empties), and the first node is
//! two or three word scans, against an ordered tree's search, node splits and merges.

/// Nodes by bound count, then id (see the module).
#[derive(Clone, Debug, Default)]
pub struct RankedNodes {
    /// Most bound first (`MostAllocated`), else fewest.
    most_first: bool,
    /// The nodes of each bound count.
    by_bound: Vec<NodeBits>,
    /// Bit `b` set when some node has `b` pods bound.
    counts: Vec<u64>,
}

/// A set of node ids as bits, with a summary bit per non-zero word.
#[derive(Clone, Debug, Default)]
struct NodeBits {
    words: Vec<u64>,
    summary: Vec<u64>,
    len: u32,
}

impl NodeBits {
    fn insert(&mut self, i: usize) -> bool {
        let (w, b) = (i / 64, i % 64);
        if w >= self.words.len() {
            self.words.resize(w + 1, 0);
            self.summary.resize(w / 64 + 1, 0);
        }
        if self.words[w] & (1 << b) != 0 {
            return false;
        }
        self.words[w] |= 1 << b;
        self.summary[w / 64] |= 1 << (w % 64);
        self.len += 1;
        true
    }

    fn remove(&mut self, i: usize) -> bool {
        let (w, b) = (i / 64, i % 64);
        if self.words.get(w).is_none_or(|x| x & (1 << b) == 0) {
            return false;
        }
        self.words[w] &= !(1 << b);
        if self.words[w] == 0 {
            self.summary[w / 64] &= !(1 << (w % 64));
        }
        self.len -= 1;
        true
    }

    fn first(&self) -> Option<usize> {
        let (s, sw) = first_set(&self.summary)?;
        let w = s * 64 + sw;
        Some(w * 64 + self.words[w].trailing_zeros() as usize)
    }
}

/// The first non-zero word of `v` and its lowest set bit.
fn first_set(v: &[u64]) -> Option<(usize, usize)> {
    v.iter()
        .position(|&x| x != 0)
        .map(|i| (i, v[i].trailing_zeros() as usize))
}

/// The last non-zero word of `v` and its highest set bit.
fn last_set(v: &[u64]) -> Option<(usize, usize)> {
    v.iter()
        .rposition(|&x| x != 0)
        .map(|i| (i, 63 - v[i].leading_zeros() as usize))
}

impl RankedNodes {
    /// An empty set; `most_first` orders by most pods bound.
    pub fn new(most_first: bool) -> RankedNodes {
        RankedNodes {
            most_first,
            ..RankedNodes::default()
        }
    }

    /// Adds `node` with `bound` pods bound; false if it was there with that count.
    pub fn insert(&mut self, bound: u32, node: usize) -> bool {
        let b = bound as usize;
        if b >= self.by_bound.len() {
            self.by_bound.resize_with(b + 1, NodeBits::default);
            self.counts.resize(b / 64 + 1, 0);
        }
        if !self.by_bound[b].insert(node) {
            return false;
        }
        self.counts[b / 64] |= 1 << (b % 64);
        true
    }

    /// Removes `node` held with `bound` pods bound; false if it was not.
    pub fn remove(&mut self, bound: u32, node: usize) -> bool {
        let b = bound as usize;
        let Some(bits) = self.by_bound.get_mut(b) else {
            return false;
        };
        if !bits.remove(node) {
            return false;
        }
        if bits.len == 0 {
            self.counts[b / 64] &= !(1 << (b % 64));
        }
        true
    }

    /// The node the scheduler takes: the fewest (or most) pods bound, then the lowest id.
    pub fn first(&self) -> Option<usize> {
        let (w, bit) = if self.most_first {
            last_set(&self.counts)?
        } else {
            first_set(&self.counts)?
        };
        self.by_bound[w * 64 + bit].first()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use std::collections::BTreeSet;

    /// Random moves of nodes between bound counts (ids past several summary words, counts
    /// past one word) against an ordered set keyed as the scheduler keyed it before:
    /// `(bound, node)` for fewest first, `(u32::MAX - bound, node)` for most first.
    #[test]
    fn first_matches_an_ordered_set() {
        for most_first in [false, true] {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(41);
            let mut set = RankedNodes::new(most_first);
            let mut reference: BTreeSet<(u32, usize)> = BTreeSet::new();
            let mut bound = vec![None::<u32>; 9000];
            let key = |b: u32| if most_first { u32::MAX - b } else { b };
            for _ in 0..60_000 {
                let node = rng.gen_range(0..bound.len());
                let b = rng.gen_range(0..130u32);
                match bound[node] {
                    Some(old) if rng.gen_bool(0.5) => {
                        assert!(set.remove(old, node));
                        assert!(!set.remove(old, node));
                        reference.remove(&(key(old), node));
                        bound[node] = None;
                    }
                    Some(old) => {
                        assert!(!set.insert(old, node));
                        assert!(set.remove(old, node));
                        assert!(set.insert(b, node));
                        reference.remove(&(key(old), node));
                        reference.insert((key(b), node));
                        bound[node] = Some(b);
                    }
                    None => {
                        assert!(!set.remove(b, node));
                        assert!(set.insert(b, node));
                        reference.insert((key(b), node));
                        bound[node] = Some(b);
                    }
                }
                assert_eq!(set.first(), reference.first().map(|&(_, n)| n));
            }
        }
    }

    /// Ties go to the lowest id; an emptied count is skipped.
    #[test]
    fn ties_and_emptied_counts() {
        let mut set = RankedNodes::new(false);
        assert_eq!(set.first(), None);
        set.insert(3, 70);
        set.insert(3, 5);
        set.insert(7, 1);
        assert_eq!(set.first(), Some(5));
        set.remove(3, 5);
        set.remove(3, 70);
        assert_eq!(set.first(), Some(1));
        let mut most = RankedNodes::new(true);
        most.insert(3, 0);
        most.insert(7, 9);
        most.insert(7, 4);
        assert_eq!(most.first(), Some(4));
        most.remove(7, 4);
        most.remove(7, 9);
        assert_eq!(most.first(), Some(0));
    }
}
