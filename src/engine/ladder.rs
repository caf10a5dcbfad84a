//! The pending events, kept in three tiers by how far ahead they are, so that the heap the
//! engine pops from holds only the next moments' events.
//!
//! A large run keeps hundreds of thousands of events pending (a churn pod's end, 30
//! minutes ahead on average, waits from its creation), but pops them in time order, a few
//! at a time. In one heap every pop walks ~log₄ n levels of a structure far larger than
//! the processor's caches. Here:
//!
//! - the **near** heap holds every event before the `horizon`, at most [`WIDTH_US`] ahead
//!   of the current time;
//! - [`BUCKETS`] **buckets** of [`WIDTH_US`] each (about 68 minutes in all) hold the events
//!   after it, unsorted: appending is one write;
//! - a **far** heap holds the rest.
//!
//! When the near heap runs empty the horizon moves one bucket on and that bucket's events
//! are pushed into the near heap (and the far heap's events that now fall within the
//! buckets' span move into the last bucket). Each event is so pushed into a small heap once
//! more than before, and popped from a small one. The order of pops is exactly the
//! elements' `Ord` (smallest first): the tiers only decide *when* an event enters the near
//! heap, never before an element that precedes it (see [`Ladder::pop`]).

use super::heap::Heap;

/// Width of a bucket, and how far ahead of the current time the near heap reaches: one
/// simulated second (µs).
pub const WIDTH_US: u64 = 1_000_000;

/// Buckets after the horizon: 4,096 s (68 min 16 s) of events held unsorted.
pub const BUCKETS: usize = 4096;

/// A bucket keeps its buffer for reuse unless it grew beyond this many elements (a burst
/// of events in one second), so the buckets' memory follows what is pending.
const KEEP_CAPACITY: usize = 64;

/// An element with a time (µs) that its order sorts by first.
pub trait Timed: Ord {
    /// The time, µs: `a < b` implies `a.time() <= b.time()`.
    fn time(&self) -> u64;
}

/// A min-priority queue for elements popped in nearly increasing time (see the module).
pub struct Ladder<T> {
    /// Every element with a time before `horizon`.
    near: Heap<T>,
    /// Bucket `k` (ring slot `(head + k) % BUCKETS`) holds the times in
    /// `[horizon + k·WIDTH_US, horizon + (k + 1)·WIDTH_US)`.
    buckets: Vec<Vec<T>>,
    /// Ring slot of bucket 0.
    head: usize,
    /// Elements in the buckets.
    in_buckets: usize,
    /// Every element at or after `horizon + BUCKETS·WIDTH_US`.
    far: Heap<T>,
    /// The near heap's bound (µs); a multiple of [`WIDTH_US`].
    horizon: u64,
}

impl<T: Timed> Ladder<T> {
    /// An empty queue.
    pub fn new() -> Self {
        Ladder {
            near: Heap::with_capacity(1024),
            buckets: (0..BUCKETS).map(|_| Vec::new()).collect(),
            head: 0,
            in_buckets: 0,
            far: Heap::with_capacity(0),
            horizon: 0,
        }
    }

    /// Elements held.
    pub fn len(&self) -> usize {
        self.near.len() + self.in_buckets + self.far.len()
    }

    /// No element.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The smallest element (the near heap is empty only when everything is).
    pub fn peek(&self) -> Option<&T> {
        self.near.peek()
    }

    /// The second smallest element, when the near heap holds it (`None` when it holds only
    /// one: the second is then in a bucket, unsorted).
    pub fn peek_second(&self) -> Option<&T> {
        self.near.peek_second()
    }

    /// Adds an element.
    pub fn push(&mut self, x: T) {
        let t = x.time();
        if t < self.horizon {
            self.near.push(x);
            return;
        }
        let k = (t - self.horizon) / WIDTH_US;
        if k < BUCKETS as u64 {
            self.buckets[(self.head + k as usize) % BUCKETS].push(x);
            self.in_buckets += 1;
        } else {
            self.far.push(x);
        }
        if self.near.is_empty() {
            self.refill();
        }
    }

    /// Removes and returns the smallest element.
    ///
    /// The near heap holds exactly the elements before the horizon and every other one is
    /// at or after it, so the near heap's smallest is the smallest of all.
    pub fn pop(&mut self) -> Option<T> {
        let top = self.near.pop()?;
        if self.near.is_empty() {
            self.refill();
        }
        Some(top)
    }

    /// Moves the horizon on, bucket by bucket, until the near heap holds an element or
    /// nothing is left.
    fn refill(&mut self) {
        while self.near.is_empty() {
            if self.in_buckets == 0 {
                let Some(first) = self.far.peek() else {
                    return;
                };
                // nothing in the buckets: start them at the far heap's first element
                self.horizon = first.time() - first.time() % WIDTH_US;
                self.pull_far(BUCKETS - 1);
            }
            let slot = self.head;
            let n = self.buckets[slot].len();
            self.in_buckets -= n;
            for x in self.buckets[slot].drain(..) {
                self.near.push(x);
            }
            if self.buckets[slot].capacity() > KEEP_CAPACITY {
                self.buckets[slot] = Vec::new();
            }
            self.head = (slot + 1) % BUCKETS;
            self.horizon += WIDTH_US;
            // the emptied slot is now the last bucket
            self.pull_far(BUCKETS - 1);
        }
    }

    /// Moves the far heap's elements before the end of bucket `last` into the buckets
    /// (all of them into buckets `0..=last`, by time).
    fn pull_far(&mut self, last: usize) {
        let end = self.horizon + (last as u64 + 1) * WIDTH_US;
        while self.far.peek().is_some_and(|x| x.time() < end) {
            let x = self.far.pop().expect("peeked");
            let k = ((x.time() - self.horizon) / WIDTH_US) as usize;
            self.buckets[(self.head + k) % BUCKETS].push(x);
            self.in_buckets += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use std::collections::BTreeSet;

    impl Timed for (u64, u32) {
        fn time(&self) -> u64 {
            self.0
        }
    }

    /// Random pushes (near, within the buckets, beyond them, and after long silences) and
    /// pops come out exactly as a sorted reference says, with times never before the last
    /// one popped (as the engine schedules).
    #[test]
    fn pops_in_order_against_a_sorted_reference() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(23);
        let mut q: Ladder<(u64, u32)> = Ladder::new();
        let mut reference: BTreeSet<(u64, u32)> = BTreeSet::new();
        let mut now = 0u64;
        let span = BUCKETS as u64 * WIDTH_US;
        for step in 0..200_000u32 {
            if rng.gen_bool(0.52) || reference.is_empty() {
                let ahead = match rng.gen_range(0..10) {
                    0..=3 => rng.gen_range(0..WIDTH_US),
                    4..=6 => rng.gen_range(0..span),
                    7..=8 => rng.gen_range(span - WIDTH_US..3 * span),
                    _ => 0,
                };
                let x = (now + ahead, step);
                q.push(x);
                reference.insert(x);
            } else {
                let want = reference.pop_first();
                assert_eq!(q.pop(), want);
                now = want.expect("not empty").0;
            }
            assert_eq!(q.len(), reference.len());
            assert_eq!(q.peek(), reference.first());
            // when the near heap knows the second smallest, it is the reference's
            if let Some(second) = q.peek_second() {
                assert_eq!(Some(second), reference.iter().nth(1));
            }
        }
        for want in reference {
            assert_eq!(q.pop(), Some(want));
        }
        assert!(q.pop().is_none() && q.is_empty());
    }

    /// A burst far ahead after the queue ran empty (the buckets restart at the far heap's
    /// first element), then elements pushed before the horizon while others wait in the
    /// buckets: smallest first throughout.
    #[test]
    fn restarts_after_running_empty() {
        let mut q: Ladder<(u64, u32)> = Ladder::new();
        let far = 10 * BUCKETS as u64 * WIDTH_US + 123;
        q.push((far + 5, 0));
        q.push((far, 1));
        q.push((far + 3 * WIDTH_US, 2));
        assert_eq!(q.pop(), Some((far, 1)));
        // the horizon is at the end of far's second; this one is before it
        q.push((far + 1, 3));
        assert_eq!(q.pop(), Some((far + 1, 3)));
        assert_eq!(q.pop(), Some((far + 5, 0)));
        assert_eq!(q.pop(), Some((far + 3 * WIDTH_US, 2)));
        assert_eq!(q.pop(), None);
    }
}
