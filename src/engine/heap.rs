//! A 4-ary min-heap: half the depth of a binary heap, and a node's four children share a
//! cache line or two, so a pop from a heap of hundreds of thousands of pending events
//! touches far less memory. The order is the elements' `Ord` (smallest first); ties keep no
//! particular order (the engine's keys are unique).

/// A 4-ary min-heap.
pub struct Heap<T> {
    data: Vec<T>,
}

impl<T: Ord> Heap<T> {
    /// An empty heap with room for `n` elements.
    pub fn with_capacity(n: usize) -> Self {
        Heap {
            data: Vec::with_capacity(n),
        }
    }

    /// Elements held.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// No element.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The smallest element.
    pub fn peek(&self) -> Option<&T> {
        self.data.first()
    }

    /// The second smallest element: the smallest of the root's children.
    pub fn peek_second(&self) -> Option<&T> {
        self.data.get(1..self.data.len().min(5))?.iter().min()
    }

    /// Adds an element.
    pub fn push(&mut self, x: T) {
        self.data.push(x);
        let mut i = self.data.len() - 1;
        while i > 0 {
            let parent = (i - 1) / 4;
            if self.data[i] >= self.data[parent] {
                break;
            }
            self.data.swap(i, parent);
            i = parent;
        }
    }

    /// Removes and returns the smallest element.
    pub fn pop(&mut self) -> Option<T> {
        let last = self.data.pop()?;
        if self.data.is_empty() {
            return Some(last);
        }
        let top = std::mem::replace(&mut self.data[0], last);
        let n = self.data.len();
        let mut i = 0;
        loop {
            let first = 4 * i + 1;
            if first >= n {
                break;
            }
            let end = (first + 4).min(n);
            let mut best = first;
            for c in first + 1..end {
                if self.data[c] < self.data[best] {
                    best = c;
                }
            }
            if self.data[best] >= self.data[i] {
                break;
            }
            self.data.swap(i, best);
            i = best;
        }
        Some(top)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// Random pushes and pops come out exactly as a sorted reference says.
    #[test]
    fn pops_in_order_against_a_sorted_reference() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        let mut h = Heap::with_capacity(0);
        let mut reference: Vec<(u32, u32)> = Vec::new();
        for step in 0..20_000u32 {
            if rng.gen_bool(0.55) || reference.is_empty() {
                let x = (rng.gen_range(0..500), step);
                h.push(x);
                reference.push(x);
            } else {
                reference.sort_unstable();
                let want = reference.remove(0);
                assert_eq!(h.pop(), Some(want));
            }
            assert_eq!(h.len(), reference.len());
            // the second smallest, by a scan of the reference
            let first = reference.iter().min();
            let second = reference.iter().filter(|&x| Some(x) != first).min();
            assert_eq!(h.peek_second(), second);
        }
        reference.sort_unstable();
        for want in reference {
            assert_eq!(h.pop(), Some(want));
        }
        assert!(h.pop().is_none() && h.is_empty());
    }
}
