//! A generic discrete-event engine. It knows nothing of Kubernetes or AWS.
//!
//! Events are ordered by `(time, seq)`: every scheduled event gets an increasing sequence
//! number, so events at the same instant run in the order they were scheduled. Samples are
//! taken after every state change at an instant.

use crate::time::{SimDuration, SimTime};
use std::cmp::Ordering;
use std::collections::BinaryHeap;

struct Entry<E> {
    time: SimTime,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.time == other.time && self.seq == other.seq
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    fn cmp(&self, other: &Self) -> Ordering {
        // Reversed: BinaryHeap is a max-heap and we want the earliest (time, seq) first.
        (other.time, other.seq).cmp(&(self.time, self.seq))
    }
}

/// A priority queue of future events.
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    next_seq: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    /// An empty queue.
    pub fn new() -> Self {
        EventQueue {
            heap: BinaryHeap::with_capacity(1024),
            next_seq: 0,
        }
    }

    /// Schedules `event` at `time`.
    pub fn schedule(&mut self, time: SimTime, event: E) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Entry { time, seq, event });
    }

    /// Time of the earliest pending event.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek().map(|e| e.time)
    }

    /// Removes and returns the earliest event.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        self.heap.pop().map(|e| (e.time, e.event))
    }

    /// Pending events.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// No pending events.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

/// A simulation model driven by the engine.
pub trait Model {
    /// The closed set of events.
    type Event;
    /// Handles one event at `now`; may schedule more.
    fn handle(&mut self, now: SimTime, event: Self::Event, queue: &mut EventQueue<Self::Event>);
    /// Records a sample at `now`, after every event at `now` has run.
    fn sample(&mut self, now: SimTime);
}

/// What a run did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunStats {
    /// Events handled.
    pub events: u64,
    /// Samples taken.
    pub samples: u64,
    /// The run was stopped early by its progress callback.
    pub cancelled: bool,
}

/// Runs `model` until `end` (inclusive): samples at 0, every `interval`, and at `end`.
///
/// `progress` is called about every 64k events with the current time; nothing computed
/// depends on it. When it returns `false` the run stops there (`cancelled`), without the
/// final sample.
pub fn run<M: Model>(
    model: &mut M,
    queue: &mut EventQueue<M::Event>,
    end: SimTime,
    interval: SimDuration,
    progress: &mut dyn FnMut(SimTime) -> bool,
) -> RunStats {
    let interval = interval.micros().max(1);
    let mut stats = RunStats::default();
    let mut next_sample = SimTime::ZERO;
    let mut final_sampled = false;
    loop {
        let next_event = queue.peek_time().unwrap_or(SimTime(u64::MAX));
        // Sample every instant strictly before the next event (all its changes are done).
        while next_sample < next_event && next_sample <= end {
            model.sample(next_sample);
            stats.samples += 1;
            final_sampled = next_sample == end;
            next_sample = SimTime(next_sample.micros() + interval);
        }
        if next_event > end {
            break;
        }
        let (now, event) = queue.pop().expect("peeked");
        model.handle(now, event, queue);
        stats.events += 1;
        if stats.events & 0xFFFF == 0 && !progress(now) {
            stats.cancelled = true;
            return stats;
        }
    }
    if !final_sampled {
        model.sample(end);
        stats.samples += 1;
    }
    stats
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Recorder {
        log: Vec<(u64, u32)>,
        samples: Vec<u64>,
    }

    impl Model for Recorder {
        type Event = u32;
        fn handle(&mut self, now: SimTime, e: u32, q: &mut EventQueue<u32>) {
            self.log.push((now.micros(), e));
            if e == 1 {
                // scheduled at the same instant: runs after everything already queued
                q.schedule(now, 99);
            }
        }
        fn sample(&mut self, now: SimTime) {
            self.samples.push(now.micros());
        }
    }

    #[test]
    fn equal_times_run_in_schedule_order_and_samples_follow_changes() {
        let mut q = EventQueue::new();
        q.schedule(SimTime(10), 2);
        q.schedule(SimTime(5), 1);
        q.schedule(SimTime(10), 3);
        q.schedule(SimTime(5), 4);
        let mut m = Recorder {
            log: vec![],
            samples: vec![],
        };
        let stats = run(&mut m, &mut q, SimTime(25), SimDuration(10), &mut |_| true);
        assert_eq!(m.log, vec![(5, 1), (5, 4), (5, 99), (10, 2), (10, 3)]);
        // samples at 0, 10, 20 and a final one at 25 (not a multiple of 10)
        assert_eq!(m.samples, vec![0, 10, 20, 25]);
        assert_eq!(stats.events, 5);
    }

    #[test]
    fn events_after_end_do_not_run_and_end_is_sampled_once() {
        let mut q = EventQueue::new();
        q.schedule(SimTime(20), 1);
        q.schedule(SimTime(21), 2);
        let mut m = Recorder {
            log: vec![],
            samples: vec![],
        };
        run(&mut m, &mut q, SimTime(20), SimDuration(10), &mut |_| true);
        assert_eq!(m.log, vec![(20, 1), (20, 99)]);
        assert_eq!(m.samples, vec![0, 10, 20]);
    }
}
