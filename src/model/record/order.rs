//! `events.csv` in time order.
//!
//! Most facts are recorded as they happen, in time order. Two kinds of row stand for a run
//! of happenings and are complete only when the run ends: a pod's streak of failed CNI ADDs
//! (`no_ip`) and a node's streak of repeated EC2 failures (`ec2_repeats`). Such a row is
//! stamped with the streak's first instant, so it must be written *there*, before rows that
//! were recorded while the streak went on. The model therefore records every fact here as a
//! [`Draft`] (ids, no names); a streak reserves its place when it starts ([`EventOrder::reserve`])
//! and fills it when it ends ([`EventOrder::fill`]). Rows leave ([`EventOrder::drain`]) in
//! order, up to the first place still reserved.
//!
//! The buffer is bounded: once more than [`EventOrder::HOLD_LIMIT`] complete rows wait
//! behind a reserved place, [`EventOrder::overdue`] names the streak holding them, and the
//! world ends that streak early (its row counts what happened so far; what follows starts
//! a new streak). Reserved places themselves do not count: there is at most one per pod
//! and per node (a streak each), so a cluster where 300,000 pods wait at once holds
//! 300,000 places, and counting them would end every streak at its next failure, one row
//! per failed CNI ADD. Ties keep the order in which facts were recorded, so the file is
//! deterministic.

use super::Fact;
use crate::model::ids::{GroupId, NodeId, Owner, PodId};
use crate::time::SimTime;
use std::collections::VecDeque;

/// A fact with where and when, as ids (names are resolved when the row leaves).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Draft {
    /// When.
    pub time: SimTime,
    /// The node, for node events; `None` for group events (launch, scale-up).
    pub node: Option<NodeId>,
    /// The node's group (or the group of a group event).
    pub group: GroupId,
    /// The pod the fact names, by its owner (stable while the row waits, unlike the slot).
    pub pod: Option<Owner>,
    /// What happened.
    pub fact: Fact,
}

/// Whose streak holds a reserved place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreakOwner {
    /// A pod's `no_ip` streak.
    Pod(PodId),
    /// A node's `ec2_repeats` streak.
    Node(NodeId),
}

/// A reserved place in the order of rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot(u64);

#[derive(Clone, Copy, Debug)]
enum Entry {
    /// Reserved, not yet filled.
    Open(StreakOwner),
    /// A row ready to leave.
    Ready(Draft),
    /// Reserved, then given up (the streak recorded nothing).
    Dropped,
}

/// Rows waiting to be written in order (see the module's documentation).
#[derive(Debug, Default)]
pub struct EventOrder {
    entries: VecDeque<Entry>,
    /// The sequence number of `entries[0]`.
    first: u64,
    /// Time of the last row that left (rows leave in time order).
    last: SimTime,
    /// Complete rows waiting (`Entry::Ready`).
    ready: usize,
}

impl EventOrder {
    /// Complete rows that may wait behind a reserved place before its streak is ended
    /// early: 1,048,576 (a row waits as a [`Draft`] of a few dozen bytes, so at most some
    /// tens of MB).
    pub const HOLD_LIMIT: usize = 1 << 20;

    /// Records a fact that is complete now.
    pub fn push(&mut self, draft: Draft) {
        self.entries.push_back(Entry::Ready(draft));
        self.ready += 1;
    }

    /// Reserves the place of a streak's row, after every row recorded so far.
    pub fn reserve(&mut self, owner: StreakOwner) -> Slot {
        let slot = Slot(self.first + self.entries.len() as u64);
        self.entries.push_back(Entry::Open(owner));
        slot
    }

    /// Puts a streak's row in its reserved place.
    pub fn fill(&mut self, slot: Slot, draft: Draft) {
        self.set(slot, Entry::Ready(draft));
        self.ready += 1;
    }

    /// Gives a reserved place up.
    pub fn cancel(&mut self, slot: Slot) {
        self.set(slot, Entry::Dropped);
    }

    fn set(&mut self, slot: Slot, entry: Entry) {
        let i = slot.0.checked_sub(self.first).map(|i| i as usize);
        match i.and_then(|i| self.entries.get_mut(i)) {
            Some(e @ Entry::Open(_)) => *e = entry,
            _ => debug_assert!(false, "slot {slot:?} is not reserved"),
        }
    }

    /// Passes every row that may leave, in order, to `write`.
    pub fn drain(&mut self, mut write: impl FnMut(&Draft)) {
        while let Some(front) = self.entries.front() {
            match front {
                Entry::Open(_) => break,
                Entry::Ready(d) => {
                    debug_assert!(d.time >= self.last, "rows leave in time order");
                    self.last = d.time;
                    write(d);
                    self.ready -= 1;
                }
                Entry::Dropped => {}
            }
            self.entries.pop_front();
            self.first += 1;
        }
    }

    /// The streak to end now: the one holding back more than [`EventOrder::HOLD_LIMIT`]
    /// complete rows, if any.
    pub fn overdue(&self) -> Option<StreakOwner> {
        match self.entries.front() {
            Some(Entry::Open(owner)) if self.ready > Self::HOLD_LIMIT => Some(*owner),
            _ => None,
        }
    }

    /// Rows and places waiting.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Nothing waits.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(t: u64) -> Draft {
        Draft {
            time: SimTime(t),
            node: None,
            group: GroupId::from_index(0),
            pod: None,
            fact: Fact::NodeReady,
        }
    }

    fn drained(o: &mut EventOrder) -> Vec<u64> {
        let mut out = Vec::new();
        o.drain(|d| out.push(d.time.micros()));
        out
    }

    #[test]
    fn a_streak_row_is_written_in_its_reserved_place() {
        let mut o = EventOrder::default();
        o.push(draft(1));
        let s = o.reserve(StreakOwner::Pod(PodId::from_index(0)));
        o.push(draft(3));
        o.push(draft(4));
        // only the row before the reserved place may leave
        assert_eq!(drained(&mut o), [1]);
        o.fill(s, draft(2));
        assert_eq!(drained(&mut o), [2, 3, 4]);
        assert!(o.is_empty());
    }

    #[test]
    fn a_cancelled_place_releases_the_rows_behind_it() {
        let mut o = EventOrder::default();
        let a = o.reserve(StreakOwner::Node(NodeId::from_index(0)));
        let b = o.reserve(StreakOwner::Node(NodeId::from_index(1)));
        o.push(draft(5));
        o.fill(b, draft(2));
        assert_eq!(drained(&mut o), Vec::<u64>::new());
        o.cancel(a);
        assert_eq!(drained(&mut o), [2, 5]);
    }

    #[test]
    fn the_oldest_streak_is_overdue_past_the_limit() {
        let mut o = EventOrder::default();
        let owner = StreakOwner::Pod(PodId::from_index(7));
        o.reserve(owner);
        // other streaks' places do not count: 1,000 more pods waiting
        for p in 0..1000 {
            o.reserve(StreakOwner::Pod(PodId::from_index(100 + p)));
        }
        // HOLD_LIMIT complete rows: not yet over
        for t in 1..=EventOrder::HOLD_LIMIT as u64 {
            o.push(draft(t));
        }
        assert_eq!(o.overdue(), None);
        o.push(draft(EventOrder::HOLD_LIMIT as u64 + 1));
        assert_eq!(o.overdue(), Some(owner));
    }

    #[test]
    fn filled_places_count_as_waiting_rows_until_they_leave() {
        let mut o = EventOrder::default();
        let a = o.reserve(StreakOwner::Pod(PodId::from_index(0)));
        let b = o.reserve(StreakOwner::Pod(PodId::from_index(1)));
        o.fill(b, draft(1));
        o.push(draft(2));
        assert_eq!(o.ready, 2);
        o.fill(a, draft(0));
        assert_eq!(drained(&mut o), [0, 1, 2]);
        assert_eq!(o.ready, 0);
    }
}
