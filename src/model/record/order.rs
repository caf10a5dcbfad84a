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
use std::collections::{BTreeMap, VecDeque};

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
    /// On a node that manages several network cards, the card the fact is about.
    pub card: Option<u8>,
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
pub struct Slot(At);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum At {
    /// In the main sequence, by number.
    Main(u64),
    /// Placed late, before main row `.0`, among the late places there by `(time, order)`.
    Late(u64, SimTime, u64),
}

#[derive(Clone, Copy, Debug)]
enum Entry {
    /// Reserved, not yet filled.
    Open(StreakOwner),
    /// A row ready to leave.
    Ready(Draft),
    /// Reserved, then given up (the streak recorded nothing).
    Dropped,
}

/// Where a row stands in the file: its instant, then 0 for rows recorded as they
/// happened (in the order they were), or 1 + an order for the streaks that start at the
/// instant, placed when it is over (in that order, after its other rows).
type Place = (SimTime, u64);

#[derive(Clone, Copy, Debug)]
struct Held {
    place: Place,
    entry: Entry,
    /// Facts recorded before it (`EventOrder::pushed` then).
    pushed: u64,
}

/// Rows waiting to be written in order (see the module's documentation).
#[derive(Debug, Default)]
pub struct EventOrder {
    entries: VecDeque<Held>,
    /// Places reserved late, for streaks that started at an instant already over
    /// ([`EventOrder::reserve_end_of`]), keyed by the main row they come before.
    late: BTreeMap<(u64, SimTime, u64), (Entry, u64)>,
    /// The sequence number of `entries[0]`.
    first: u64,
    /// Time of the last row that left (rows leave in time order).
    last: SimTime,
    /// Complete rows waiting (`Entry::Ready`).
    ready: usize,
    /// Facts recorded so far ([`EventOrder::push`]).
    pushed: u64,
}

impl EventOrder {
    /// Complete rows that may wait behind a reserved place before its streak is ended
    /// early: 1,048,576 (a row waits as a [`Draft`] of a few dozen bytes, so at most some
    /// tens of MB).
    pub const HOLD_LIMIT: usize = 1 << 20;

    /// Records a fact that is complete now.
    pub fn push(&mut self, draft: Draft) {
        self.entries.push_back(Held {
            place: (draft.time, 0),
            entry: Entry::Ready(draft),
            pushed: self.pushed,
        });
        self.ready += 1;
        self.pushed += 1;
    }

    /// Reserves the place of a streak's row that starts now (at `time`), after every row
    /// recorded so far.
    pub fn reserve(&mut self, owner: StreakOwner, time: SimTime) -> Slot {
        let slot = Slot(At::Main(self.first + self.entries.len() as u64));
        self.entries.push_back(Held {
            place: (time, 0),
            entry: Entry::Open(owner),
            pushed: self.pushed,
        });
        slot
    }

    /// Reserves the place of a streak's row that starts at instant `time`, now over or
    /// ending: after every row of that instant, and after the streaks of that instant
    /// placed so with a smaller `order` (a pod's creation number). A streak found late
    /// (a dormant pod's, counted after its instant) takes the same place as one placed
    /// when its instant ended.
    pub fn reserve_end_of(&mut self, owner: StreakOwner, time: SimTime, order: u64) -> Slot {
        let place = (time, order.saturating_add(1));
        if self.entries.back().is_none_or(|b| b.place <= place) {
            let slot = Slot(At::Main(self.first + self.entries.len() as u64));
            self.entries.push_back(Held {
                place,
                entry: Entry::Open(owner),
                pushed: self.pushed,
            });
            return slot;
        }
        // before the first main row placed after it
        let after = self.entries.partition_point(|h| h.place <= place) as u64;
        let key = (self.first + after, time, place.1);
        debug_assert!(
            !self.late.contains_key(&key),
            "one streak per pod per instant"
        );
        // the facts recorded before its place: those before the main row it precedes
        let pushed = self.entries[after as usize].pushed;
        self.late.insert(key, (Entry::Open(owner), pushed));
        Slot(At::Late(key.0, key.1, key.2))
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
        let e = match slot.0 {
            At::Main(n) => n
                .checked_sub(self.first)
                .and_then(|i| self.entries.get_mut(i as usize))
                .map(|h| &mut h.entry),
            At::Late(a, t, o) => self.late.get_mut(&(a, t, o)).map(|(e, _)| e),
        };
        match e {
            Some(e @ Entry::Open(_)) => *e = entry,
            _ => debug_assert!(false, "slot {slot:?} is not reserved"),
        }
    }

    /// The late place to leave next, if it comes before the main rows waiting: its entry
    /// and the facts recorded before it.
    fn late_front(&self) -> Option<(Entry, u64)> {
        let (&k, &e) = self.late.first_key_value()?;
        (k.0 <= self.first).then_some(e)
    }

    /// Passes every row that may leave, in order, to `write`.
    pub fn drain(&mut self, mut write: impl FnMut(&Draft)) {
        loop {
            let entry = match self.late_front() {
                Some((e, _)) => e,
                None => match self.entries.front() {
                    Some(h) => h.entry,
                    None => break,
                },
            };
            match entry {
                Entry::Open(_) => break,
                Entry::Ready(d) => {
                    debug_assert!(d.time >= self.last, "rows leave in time order");
                    self.last = d.time;
                    write(&d);
                    self.ready -= 1;
                }
                Entry::Dropped => {}
            }
            if self.late_front().is_some() {
                self.late.pop_first();
            } else {
                self.entries.pop_front();
                self.first += 1;
            }
        }
    }

    /// The streak to end now: the one in front, holding back more than
    /// [`EventOrder::HOLD_LIMIT`] facts recorded since its place, if any. (Facts, not rows
    /// waiting: the count does not depend on when other streaks' rows were filled in, so
    /// a streak found late is cut where one found at once is.)
    pub fn overdue(&self) -> Option<StreakOwner> {
        let (front, before) = match self.late_front() {
            Some(e) => e,
            None => {
                let h = self.entries.front()?;
                (h.entry, h.pushed)
            }
        };
        match front {
            Entry::Open(owner) if self.pushed - before > Self::HOLD_LIMIT as u64 => Some(owner),
            _ => None,
        }
    }

    /// Rows and places waiting.
    pub fn len(&self) -> usize {
        self.entries.len() + self.late.len()
    }

    /// Nothing waits.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty() && self.late.is_empty()
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
            card: None,
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
        let s = o.reserve(StreakOwner::Pod(PodId::from_index(0)), SimTime(2));
        o.push(draft(3));
        o.push(draft(4));
        // only the row before the reserved place may leave
        assert_eq!(drained(&mut o), [1]);
        o.fill(s, draft(2));
        assert_eq!(drained(&mut o), [2, 3, 4]);
        assert!(o.is_empty());
    }

    /// A streak found after its instant is over takes the place it would have had then:
    /// after the instant's rows and the streaks of the instant with a smaller order,
    /// before the later instants' rows, whatever was recorded since.
    #[test]
    fn a_late_place_is_where_the_instant_ended() {
        // a row at `t` marked with node `m`, to read the order back
        let mark = |t: u64, m: u32| Draft {
            node: Some(NodeId::from_index(m as usize)),
            ..draft(t)
        };
        let mut o = EventOrder::default();
        let held = o.reserve(StreakOwner::Pod(PodId::from_index(9)), SimTime(1));
        o.push(mark(2, 0));
        let a = o.reserve_end_of(StreakOwner::Pod(PodId::from_index(1)), SimTime(2), 10);
        let c = o.reserve_end_of(StreakOwner::Pod(PodId::from_index(3)), SimTime(2), 30);
        o.push(mark(3, 1));
        o.push(mark(4, 2));
        // found late: pod 2 (order 20) at instant 2, pod 4 (order 5) at instant 3
        let b = o.reserve_end_of(StreakOwner::Pod(PodId::from_index(2)), SimTime(2), 20);
        let d = o.reserve_end_of(StreakOwner::Pod(PodId::from_index(4)), SimTime(3), 5);
        assert_eq!(o.len(), 8);
        for (slot, t, m) in [
            (a, 2, 10),
            (b, 2, 20),
            (c, 2, 30),
            (d, 3, 40),
            (held, 1, 90),
        ] {
            o.fill(slot, mark(t, m));
        }
        let mut order = Vec::new();
        o.drain(|r| order.push(r.node.unwrap().index()));
        // held (1), row 0 (2), a, b, c (2), row 1 (3), d (3), row 2 (4)
        assert_eq!(order, [90, 0, 10, 20, 30, 1, 40, 2]);
        assert!(o.is_empty());
    }

    #[test]
    fn a_cancelled_place_releases_the_rows_behind_it() {
        let mut o = EventOrder::default();
        let a = o.reserve(StreakOwner::Node(NodeId::from_index(0)), SimTime(0));
        let b = o.reserve(StreakOwner::Node(NodeId::from_index(1)), SimTime(0));
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
        o.reserve(owner, SimTime(0));
        // other streaks' places do not count: 1,000 more pods waiting
        for p in 0..1000 {
            o.reserve(StreakOwner::Pod(PodId::from_index(100 + p)), SimTime(0));
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
        let a = o.reserve(StreakOwner::Pod(PodId::from_index(0)), SimTime(0));
        let b = o.reserve(StreakOwner::Pod(PodId::from_index(1)), SimTime(0));
        o.fill(b, draft(1));
        o.push(draft(2));
        assert_eq!(o.ready, 2);
        o.fill(a, draft(0));
        assert_eq!(drained(&mut o), [0, 1, 2]);
        assert_eq!(o.ready, 0);
    }
}
