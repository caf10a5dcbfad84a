//! A generic discrete-event engine. It knows nothing of Kubernetes or AWS.
//!
//! Events are ordered by their [`Key`]: time first, then the time at which they were
//! scheduled, then a rank, then an increasing sequence number. Ordinary events have the
//! lowest priority rank and fall back on the sequence number, so events at the same instant
//! run in the order they were scheduled (the sequence number grows with the scheduling
//! time). An event scheduled with an explicit rank ([`EventQueue::schedule_ranked`], e.g. a
//! per-node timer ranked by node) comes before ordinary events scheduled at the same
//! instant, and ranked events among themselves go by rank: their order does not depend on
//! what else was scheduled before them, which lets a model skip a timer's idle firings and
//! schedule the next one "as of" the time the skipped ones would have scheduled it
//! ([`EventQueue::schedule_as_of`]) without changing the order of anything. Samples are
//! taken after every state change at an instant.
//!
//! The run is watched from outside through a progress callback, called on a wall-clock
//! [`pulse`] (every 10 ms of wall time, and at once after a signal) rather than every so
//! many events, between events and between the rows of a sample alike ([`Watch`]).

mod heap;
mod ladder;
pub mod prefetch;
pub mod pulse;

use crate::time::{SimDuration, SimTime};
use ladder::{Ladder, Timed};
use std::cmp::Ordering;

/// Where an event stands in the total order of the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key {
    /// When it happens.
    pub time: SimTime,
    /// When it was scheduled (or would have been, for a timer scheduled "as of").
    pub sched: SimTime,
    /// Rank among events scheduled at the same instant: explicit ranks first, in rank
    /// order; ordinary events last ([`ORDINARY`]).
    pub rank: u64,
    /// Scheduling order (ties of ordinary events).
    pub seq: u64,
}

/// The rank of ordinary events (the largest a rank can be).
pub const ORDINARY: u64 = (1 << RANK_BITS) - 1;

/// Bits of a rank: ranks up to 67,108,862, then [`ORDINARY`] (the model ranks a node's
/// timers by node id, below 2²⁴, and a pod's kubelet retries by 2²⁴ + its slot).
const RANK_BITS: u32 = 26;
/// Bits of the sequence number packed beside the rank (2.7 × 10¹¹ events).
const SEQ_BITS: u32 = 38;

/// A pending event: its key packed into three words (time, scheduled-at, rank and
/// sequence), so that heap entries stay small.
struct Entry<E> {
    time: u64,
    sched: u64,
    rank_seq: u64,
    event: E,
}

impl<E> Entry<E> {
    fn key(&self) -> Key {
        Key {
            time: SimTime(self.time),
            sched: SimTime(self.sched),
            rank: self.rank_seq >> SEQ_BITS,
            seq: self.rank_seq & ((1 << SEQ_BITS) - 1),
        }
    }
}

impl<E> Timed for Entry<E> {
    fn time(&self) -> u64 {
        self.time
    }
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        (self.time, self.sched, self.rank_seq) == (other.time, other.sched, other.rank_seq)
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
        (self.time, self.sched, self.rank_seq).cmp(&(other.time, other.sched, other.rank_seq))
    }
}

/// A priority queue of future events.
pub struct EventQueue<E> {
    heap: Ladder<Entry<E>>,
    next_seq: u64,
    /// The key of the event being handled (time zero before the first).
    current: Key,
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
            heap: Ladder::new(),
            next_seq: 0,
            current: Key {
                time: SimTime::ZERO,
                sched: SimTime::ZERO,
                rank: 0,
                seq: 0,
            },
        }
    }

    fn push(&mut self, time: SimTime, sched: SimTime, rank: u64, event: E) {
        // An event before the one being handled would run out of order (the heap would
        // hand it out next, after later ones already ran): a model bug, caught in debug
        // builds (and so by every test run in debug); release builds skip the check.
        debug_assert!(
            time >= self.current.time,
            "an event scheduled at {} µs, before now ({} µs)",
            time.micros(),
            self.current.time.micros()
        );
        let seq = self.next_seq & ((1 << SEQ_BITS) - 1);
        self.next_seq += 1;
        self.heap.push(Entry {
            time: time.micros(),
            sched: sched.micros(),
            rank_seq: rank.min(ORDINARY) << SEQ_BITS | seq,
            event,
        });
    }

    /// Schedules `event` at `time` (not before now), as an ordinary event scheduled now.
    pub fn schedule(&mut self, time: SimTime, event: E) {
        self.push(time, self.current.time, ORDINARY, event);
    }

    /// Schedules `event` `delay` after now, as an ordinary event: the common entry, which
    /// cannot name a time in the past.
    ///
    /// ```
    /// use ipamsim::engine::EventQueue;
    /// use ipamsim::time::{SimDuration, SimTime};
    ///
    /// let secs = |s| SimTime::ZERO + SimDuration::from_secs(s);
    /// let mut q = EventQueue::new();
    /// q.schedule_in(SimDuration::from_secs(2), "b");
    /// q.schedule_in(SimDuration::from_secs(1), "a");
    /// // the earliest first; popping it makes its time "now"
    /// assert_eq!(q.pop(), Some((secs(1), "a")));
    /// q.schedule_in(SimDuration::from_secs(1), "c"); // 1 s after now: at 2 s, after "b"
    /// assert_eq!(q.pop(), Some((secs(2), "b")));
    /// assert_eq!(q.pop(), Some((secs(2), "c")));
    /// assert!(q.is_empty());
    /// ```
    pub fn schedule_in(&mut self, delay: SimDuration, event: E) {
        self.push(
            self.current.time + delay,
            self.current.time,
            ORDINARY,
            event,
        );
    }

    /// Schedules `event` at `time` with rank `rank` (below [`ORDINARY`]), scheduled now.
    pub fn schedule_ranked(&mut self, time: SimTime, rank: u64, event: E) {
        self.push(time, self.current.time, rank.min(ORDINARY - 1), event);
    }

    /// Schedules `event` at `time` with rank `rank` as if it had been scheduled at `sched`
    /// (a timer standing in for skipped firings; `sched` must not be before now).
    pub fn schedule_as_of(&mut self, time: SimTime, sched: SimTime, rank: u64, event: E) {
        self.push(time, sched, rank.min(ORDINARY - 1), event);
    }

    /// The key of the event being handled.
    pub fn current(&self) -> Key {
        self.current
    }

    /// Time of the earliest pending event.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek().map(|e| SimTime(e.time))
    }

    /// The earliest pending event, if any.
    pub fn peek_event(&self) -> Option<&E> {
        self.heap.peek().map(|e| &e.event)
    }

    /// The pending event after the earliest, when it is known without a search (the
    /// engine's hint for [`Model::prefetch_ahead`]).
    pub fn peek_second_event(&self) -> Option<&E> {
        self.heap.peek_second().map(|e| &e.event)
    }

    /// Removes and returns the earliest event; it becomes the current one.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let e = self.heap.pop()?;
        self.current = e.key();
        Some((SimTime(e.time), e.event))
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
    /// A hint, given before an event is handled, of the event most likely next (the
    /// earliest pending one then): a model may start loading the state it will touch
    /// ([`prefetch::prefetch`]). Nothing may change: the default does nothing.
    fn prefetch(&self, _next: &Self::Event) {}
    /// The same hint one event further ahead (the event after `next`, when the queue knows
    /// it), given before [`Model::prefetch`]: a model may start loading what it needs to
    /// read to know what the event after will touch, so that by then [`Model::prefetch`]
    /// can follow it without waiting. Nothing may change: the default does nothing.
    fn prefetch_ahead(&self, _after_next: &Self::Event) {}
    /// Records a sample at `now`, after every event at `now` has run. A long sample asks
    /// `watch` between its rows ([`Watch::go_on`]) and may stop half-way when told to: the
    /// run is then abandoned.
    fn sample(&mut self, now: SimTime, watch: &mut Watch<'_>);
}

/// How a run is watched from outside: its progress callback, called when the wall-clock
/// [`pulse`] beats (every [`pulse::PERIOD`] = 10 ms of wall time, and at once after
/// [`pulse::kick`]) with the simulated time; when it returns `false` the run stops.
pub struct Watch<'a> {
    pulse: pulse::Pulse,
    progress: &'a mut dyn FnMut(SimTime) -> bool,
    stopped: bool,
}

impl<'a> Watch<'a> {
    /// A watch calling `progress`.
    pub fn new(progress: &'a mut dyn FnMut(SimTime) -> bool) -> Watch<'a> {
        Watch {
            pulse: pulse::Pulse::new(),
            progress,
            stopped: false,
        }
    }

    /// Whether the run goes on, at simulated time `now`: one relaxed atomic load, and a
    /// call of the progress callback when the pulse beat. Once `false`, always `false`.
    #[inline]
    pub fn go_on(&mut self, now: SimTime) -> bool {
        if self.pulse.beat() && !self.stopped {
            self.stopped = !(self.progress)(now);
        }
        !self.stopped
    }

    /// The progress callback asked the run to stop.
    pub fn stopped(&self) -> bool {
        self.stopped
    }
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
/// `progress` is called with the simulated time whenever the wall-clock [`pulse`] beat
/// (every 10 ms of wall time, and at once after a signal), checked after each event, after
/// each sample and between the rows of a sample; nothing computed depends on it. When it
/// returns `false` the run stops there (`cancelled`), without finishing the sample under
/// way nor taking the final one.
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
    let mut watch = Watch::new(progress);
    loop {
        let next_event = queue.peek_time().unwrap_or(SimTime(u64::MAX));
        // Sample every instant strictly before the next event (all its changes are done).
        while next_sample < next_event && next_sample <= end {
            model.sample(next_sample, &mut watch);
            stats.samples += 1;
            if !watch.go_on(next_sample) {
                stats.cancelled = true;
                return stats;
            }
            final_sampled = next_sample == end;
            next_sample = SimTime(next_sample.micros() + interval);
        }
        if next_event > end {
            break;
        }
        let (now, event) = queue.pop().expect("peeked");
        if let Some(after_next) = queue.peek_second_event() {
            model.prefetch_ahead(after_next);
        }
        if let Some(next) = queue.peek_event() {
            model.prefetch(next);
        }
        model.handle(now, event, queue);
        stats.events += 1;
        if !watch.go_on(now) {
            stats.cancelled = true;
            return stats;
        }
    }
    if !final_sampled {
        model.sample(end, &mut watch);
        stats.samples += 1;
        stats.cancelled = watch.stopped();
    }
    stats
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An event before the one being handled is refused (in debug builds, where tests
    /// build the library with debug assertions; release tests skip the check, and so this
    /// test).
    #[test]
    #[cfg_attr(
        debug_assertions,
        should_panic(expected = "an event scheduled at 1000000 µs, before now (2000000 µs)")
    )]
    fn an_event_before_now_is_refused() {
        let at = |s| SimTime::ZERO + SimDuration::from_secs(s);
        let mut q = EventQueue::new();
        q.schedule(at(2), 0u32);
        q.pop();
        q.schedule(at(1), 1);
        // reached in release builds only: the event is queued (and would run out of order)
        assert_eq!(q.len(), 1);
    }

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
        fn sample(&mut self, now: SimTime, _: &mut Watch<'_>) {
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

    /// Ranked events scheduled at one instant run before ordinary ones scheduled then, in
    /// rank order; scheduling "as of" a later instant puts a timer after events scheduled
    /// earlier and before those scheduled later, at the same time.
    #[test]
    fn ranked_and_as_of_order() {
        let mut q: EventQueue<u32> = EventQueue::new();
        q.schedule(SimTime(10), 1); // ordinary, scheduled at 0
        q.schedule_ranked(SimTime(10), 7, 2); // rank 7, scheduled at 0
        q.schedule_ranked(SimTime(10), 3, 3); // rank 3, scheduled at 0
        q.schedule_as_of(SimTime(10), SimTime(5), 0, 4); // rank 0 as of 5
        let order: Vec<u32> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        // sched 0: ranks 3, 7, then the ordinary one; then the one "scheduled" at 5
        assert_eq!(order, vec![3, 2, 1, 4]);
    }

    /// A model with no events and only samples: the engine still looks outside after every
    /// sample, so a stop (here a kick during the third sample, as a signal gives) ends the
    /// run after that sample, not after the 10¹² samples it asked for.
    #[test]
    fn a_stop_is_seen_between_samples_without_events() {
        struct Samples(u64);
        impl Model for Samples {
            type Event = u32;
            fn handle(&mut self, _: SimTime, _: u32, _: &mut EventQueue<u32>) {}
            fn sample(&mut self, _: SimTime, _: &mut Watch<'_>) {
                self.0 += 1;
                if self.0 == 3 {
                    pulse::kick();
                }
            }
        }
        let mut m = Samples(0);
        let mut q = EventQueue::new();
        // the callback says stop whenever it is called: at the first look after the kick,
        // or at an earlier beat of the pulse thread
        let end = SimTime(1_000_000_000_000);
        let stats = run(&mut m, &mut q, end, SimDuration(1), &mut |_| false);
        assert!(stats.cancelled);
        assert!(stats.samples <= 3, "{stats:?}");
    }

    /// A long sample asks its watch between rows: a stop asked for during it ends the run
    /// before the sample is done.
    #[test]
    fn a_long_sample_stops_between_rows() {
        struct Rows {
            rows: u64,
        }
        impl Model for Rows {
            type Event = u32;
            fn handle(&mut self, _: SimTime, _: u32, _: &mut EventQueue<u32>) {}
            fn sample(&mut self, now: SimTime, watch: &mut Watch<'_>) {
                for _ in 0..1_000_000_000u64 {
                    if !watch.go_on(now) {
                        return;
                    }
                    self.rows += 1;
                    if self.rows == 10 {
                        pulse::kick();
                    }
                }
            }
        }
        let mut m = Rows { rows: 0 };
        let mut q = EventQueue::new();
        let stats = run(&mut m, &mut q, SimTime(10), SimDuration(1), &mut |_| false);
        assert!(stats.cancelled);
        assert_eq!(stats.samples, 1);
        assert!(m.rows <= 10, "{} rows", m.rows);
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
