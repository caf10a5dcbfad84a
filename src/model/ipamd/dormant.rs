//! Lazy ticking: a node whose pool manager has nothing to do sleeps through its idle ticks.
//!
//! The eager loop wakes every 2.5 s (a tick, then reconcile, then a tick…) even when every
//! tick decides nothing. A tick is *idle* when it makes no EC2 call, starts no free, records
//! no fact and changes no state but two: the Go-map-order draws it makes (the same number
//! each idle tick) and, through reconcile, `lastNodeIPPoolAction`. After an idle tick the
//! next ones stay idle until something changes the tick's inputs:
//! - a CNI ADD or DEL on the node (kube calls [`NodeIpamd::poke`]);
//! - time passing a threshold: the 30 s decrease gate, the 120 s insufficient-address
//!   back-off, an ENI turning 60 s old or its last address leaving cooldown.
//!
//! So instead of scheduling its next half-tick, an idle node schedules one wake for the
//! first tick at or after the earliest threshold, and remembers the phase of its loop.
//! When it is woken (by that timer, or earlier by a poke), the skipped ticks' effects are
//! applied at once ([`NodeIpamd::fast_forward`]): the placement stream advances by the
//! skipped draws, and `lastNodeIPPoolAction` takes the value the skipped reconciles would
//! have left. The wake is scheduled "as of" the instant the eager loop would have scheduled
//! that tick, with the node's rank (see `crate::engine`), so it runs in exactly the order the
//! eager tick would have: outputs are byte-identical to the eager loop's, which stays
//! available (`lazy: false`) and is compared against in tests.
//!
//! A node never goes dormant while anything could act without a tick: orphan ENIs or
//! unreleased addresses (reconcile would act), an ENI carried over a restart. (An ENI
//! being created or freed is held by a step, so its tick was not idle.)
//!
//! A busy node's reconcile that can do nothing but set `lastNodeIPPoolAction` is passed
//! the same way: applied when the tick ends, the next tick scheduled as of its instant
//! ([`NodeIpamd::pass_idle_reconcile`]).

use super::{Ctx, NodeIpamd, Step, DECREASE_INTERVAL, INSUFFICIENT_COOLDOWN, RECONCILE_INTERVAL};
use crate::engine::{EventQueue, Key};
use crate::model::event::Event;
use crate::model::ids::NodeId;
use crate::model::ipamd::datastore::MIN_ENI_LIFETIME;
use crate::time::{SimDuration, SimTime};

/// One microsecond: thresholds are strict (`> 30 s`), so they flip 1 µs after.
const TICK_US: SimDuration = SimDuration(1);

/// The phase of a sleeping loop and what its skipped ticks have applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Dormant {
    /// The last real tick; virtual tick `j ≥ 1` is at `t0 + j·P`, virtual reconcile `j ≥ 0`
    /// at `t0 + h + j·P` (P = 2h, h the half-period).
    t0: SimTime,
    /// Placement draws each skipped tick makes.
    draws: u64,
    /// Virtual ticks applied (`1..=ticks_done`).
    ticks_done: u64,
    /// Virtual reconciles applied (`0..recs_done`).
    recs_done: u64,
    /// The tick index the scheduled wake is for, if any.
    wake: Option<u64>,
}

/// How many of the events at `base + j·period` (`j ≥ 0`), each scheduled `lead` before its
/// time with rank `rank`, come before the event with key `k`.
fn count_before(base: SimTime, period: SimDuration, lead: SimDuration, rank: u64, k: Key) -> u64 {
    let p = period.micros();
    if k.time < base || p == 0 {
        return 0;
    }
    let span = k.time.micros() - base.micros();
    let strictly = span.div_ceil(p);
    let at_k = span.is_multiple_of(p)
        && (
            SimTime(k.time.micros() - lead.micros().min(k.time.micros())),
            rank,
        ) < (k.sched, k.rank);
    strictly + u64::from(at_k)
}

impl NodeIpamd {
    /// The loop's period: a tick and a reconcile, each a half-period.
    fn period(&self) -> SimDuration {
        let h = self.half_period();
        h + h
    }

    pub(super) fn rank(node: NodeId) -> u64 {
        u64::from(node.0)
    }

    /// At the end of a tick (`end_tick`): if the tick was idle and nothing else could act,
    /// sleep until the earliest threshold instead of scheduling the next half-tick.
    /// Returns false when the loop must go on eagerly.
    pub(super) fn try_sleep_through(&mut self, ctx: &mut Ctx<'_>) -> bool {
        if !self.conf.lazy
            || self.tick_active
            || !self.serving
            || !self.orphans.is_empty()
            || !self.unreleased.is_empty()
            || self.carried.is_some()
        {
            return false;
        }
        let draws = self.draws - self.tick_draws_start;
        self.dormant = Some(Dormant {
            t0: ctx.now,
            draws,
            ticks_done: 0,
            recs_done: 0,
            wake: None,
        });
        if let Some(flip) = self.next_flip(ctx.now) {
            let p = self.period().micros();
            let j = flip
                .micros()
                .saturating_sub(ctx.now.micros())
                .div_ceil(p)
                .max(1);
            self.schedule_dormant_wake(ctx.queue, ctx.node, j);
        } else {
            // no wake until a poke; an idle tick made no call, so it ran at `PoolUpdate`
            self.step = Step::PoolUpdate;
        }
        true
    }

    /// At the end of a tick that did something (so the loop does not sleep through): when
    /// the reconcile half a period later can do nothing but set `lastNodeIPPoolAction` —
    /// no orphan ENI to adopt, no unreleased address to add back, and only this loop
    /// changes those or `lastNodeIPPoolAction`, and it sleeps until then — its effect is
    /// applied now and the next tick is scheduled as of the reconcile's instant, with the
    /// node's rank: the place in the order the eager loop gives it, one event fewer per
    /// period (a restart, the only thing that could come between, resets
    /// `lastNodeIPPoolAction` itself). Returns false when the reconcile must run.
    pub(super) fn pass_idle_reconcile(&mut self, ctx: &mut Ctx<'_>) -> bool {
        if !self.reconcile_passes() {
            return false;
        }
        self.reconcile_passed(ctx, ctx.now);
        true
    }

    /// The tick ended at `tick_end` and its reconcile, half a period later, is passed:
    /// its effect applied, no call left, the next tick scheduled as of the reconcile's
    /// instant with the node's rank.
    pub(super) fn reconcile_passed(&mut self, ctx: &mut Ctx<'_>, tick_end: SimTime) {
        let h = self.half_period();
        let at = tick_end + h;
        self.reconcile_effect(at);
        self.call_error = None;
        self.step = Step::PoolUpdate;
        let wake = Event::IpamdWake {
            node: ctx.node,
            gen: self.gen,
        };
        ctx.queue
            .schedule_as_of(at + h, at, Self::rank(ctx.node), wake);
    }

    /// Whether the next reconcile can do nothing but set `lastNodeIPPoolAction` (and the
    /// loop passes it: lazy ticks).
    pub(super) fn reconcile_passes(&self) -> bool {
        self.conf.lazy && self.orphans.is_empty() && self.unreleased.is_empty()
    }

    /// What an idle reconcile at `at` does: `lastNodeIPPoolAction` set when more than 60 s
    /// passed since it.
    pub(super) fn reconcile_effect(&mut self, at: SimTime) {
        if self
            .last_pool_action
            .is_none_or(|t| at.since(t) > RECONCILE_INTERVAL)
        {
            self.last_pool_action = Some(at);
        }
    }

    /// The earliest instant after `now` at which time alone could change an idle tick's
    /// decision (conservative: every threshold counts, whatever the tick's path).
    fn next_flip(&self, now: SimTime) -> Option<SimTime> {
        let mut first: Option<SimTime> = None;
        let mut consider = |t: SimTime| {
            if t > now {
                first = Some(first.map_or(t, |f| f.min(t)));
            }
        };
        if let Some(d) = self.last_decrease {
            consider(d + DECREASE_INTERVAL + TICK_US);
        }
        if let Some(i) = self.last_insufficient {
            consider(i.at + INSUFFICIENT_COOLDOWN + TICK_US);
        }
        let cooldown_s = self.ds.cooldown_s;
        for eni in self
            .ds
            .enis()
            .iter()
            .filter(|e| !e.is_primary && e.assigned() == 0)
        {
            consider(eni.create_time + MIN_ENI_LIFETIME);
            if let Some(t) = eni.last_release() {
                if cooldown_s >= 0 {
                    let cooled = SimDuration::from_secs(cooldown_s.unsigned_abs());
                    consider(t + cooled + TICK_US);
                }
            }
        }
        first
    }

    /// Schedules the wake for virtual tick `j`, as of the instant the eager loop would have
    /// scheduled it (its reconcile, half a period before).
    fn schedule_dormant_wake(&mut self, queue: &mut EventQueue<Event>, node: NodeId, j: u64) {
        let (p, h) = (self.period(), self.half_period());
        let Some(d) = self.dormant.as_mut() else {
            return;
        };
        let at = SimTime(d.t0.micros() + j * p.micros());
        let sched = SimTime(at.micros() - h.micros());
        d.wake = Some(j);
        self.step = Step::Dormant;
        let wake = Event::IpamdWake {
            node,
            gen: self.gen,
        };
        queue.schedule_as_of(at, sched, Self::rank(node), wake);
    }

    /// Applies the effects of every skipped tick and reconcile that comes before the event
    /// with key `k`: the placement draws, and `lastNodeIPPoolAction`.
    pub(super) fn fast_forward(&mut self, node: NodeId, k: Key) {
        let Some(mut d) = self.dormant else {
            return;
        };
        // nothing to apply before the next virtual reconcile or tick, whichever is first
        let (h, p) = (self.half_period().micros(), self.period().micros());
        let next_rec = d.t0.micros() + h + d.recs_done * p;
        let next_tick = d.t0.micros() + (d.ticks_done + 1) * p;
        if k.time.micros() < next_rec.min(next_tick) {
            return;
        }
        let (h, p, rank) = (self.half_period(), self.period(), Self::rank(node));
        let ticks = count_before(d.t0, p, h, rank, k).saturating_sub(1);
        if ticks > d.ticks_done {
            let words = u128::from((ticks - d.ticks_done) * d.draws);
            if words > 0 {
                let pos = self.rng.placement.get_word_pos();
                self.rng.placement.set_word_pos(pos + words);
            }
            d.ticks_done = ticks;
        }
        let recs = count_before(d.t0 + h, p, h, rank, k);
        if recs > d.recs_done {
            self.skipped_reconciles(d.t0 + h, p, d.recs_done, recs);
            d.recs_done = recs;
        }
        self.dormant = Some(d);
    }

    /// `lastNodeIPPoolAction` after the idle reconciles `a..b` at `base + j·p`: each one due
    /// (more than 60 s since the last pool action) sets it to its own time.
    fn skipped_reconciles(&mut self, base: SimTime, p: SimDuration, a: u64, b: u64) {
        let at = |j: u64| SimTime(base.micros() + j * p.micros());
        let first = match self.last_pool_action {
            None => a,
            Some(t) => {
                // first j with at(j) > t + 60 s
                let limit = t.micros() + RECONCILE_INTERVAL.micros();
                let j = if limit < base.micros() {
                    0
                } else {
                    (limit - base.micros()) / p.micros() + 1
                };
                j.max(a)
            }
        };
        if first >= b {
            return;
        }
        // after a due reconcile the next is due m periods later: m·P > 60 s ≥ (m − 1)·P
        let m = RECONCILE_INTERVAL.micros() / p.micros() + 1;
        let last = first + (b - 1 - first) / m * m;
        self.last_pool_action = Some(at(last));
    }

    /// The wake a dormant loop scheduled: apply what was skipped, then tick for real.
    pub(super) fn dormant_wake(&mut self, ctx: &mut Ctx<'_>) {
        self.fast_forward(ctx.node, ctx.queue.current());
        self.dormant = None;
        self.step = Step::PoolUpdate;
        self.pool_update(ctx);
    }

    /// Something changed the datastore at the event with key `k` (a CNI ADD or DEL): a
    /// dormant loop catches up and ticks for real at its next tick.
    pub fn poke(&mut self, queue: &mut EventQueue<Event>, node: NodeId, k: Key) {
        if self.dormant.is_none() {
            return;
        }
        self.fast_forward(node, k);
        let d = self.dormant.expect("dormant");
        let next = d.ticks_done + 1;
        if d.wake != Some(next) {
            self.gen += 1;
            self.schedule_dormant_wake(queue, node, next);
        }
    }

    /// Before anything else touches a dormant loop's state at the event with key `k` (a CNI
    /// ADD's draws, a restart): catch up on what was skipped.
    pub fn catch_up(&mut self, node: NodeId, k: Key) {
        self.fast_forward(node, k);
    }

    /// Whether the loop is sleeping through idle ticks.
    pub fn is_dormant(&self) -> bool {
        self.dormant.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ORDINARY;

    fn key(time: u64, sched: u64, rank: u64) -> Key {
        Key {
            time: SimTime(time),
            sched: SimTime(sched),
            rank,
            seq: 0,
        }
    }

    /// Events at 100, 110, 120, … (period 10), each scheduled 4 before, rank 3.
    #[test]
    fn counting_virtual_events_before_a_key() {
        let (base, p, h) = (SimTime(100), SimDuration(10), SimDuration(4));
        // before t = 100: none; at 100 itself depends on the key's (sched, rank)
        assert_eq!(count_before(base, p, h, 3, key(99, 0, ORDINARY)), 0);
        // an ordinary event at 100 scheduled at 96 comes after the virtual one (rank 3 <
        // ORDINARY at the same scheduling instant): 1 before it
        assert_eq!(count_before(base, p, h, 3, key(100, 96, ORDINARY)), 1);
        // scheduled at 95 (before 96): it comes first: none before it
        assert_eq!(count_before(base, p, h, 3, key(100, 95, ORDINARY)), 0);
        // at 125: 100, 110, 120 before
        assert_eq!(count_before(base, p, h, 3, key(125, 0, ORDINARY)), 3);
        // at 130 with the same (sched, rank) as the virtual one: not before
        assert_eq!(count_before(base, p, h, 3, key(130, 126, 3)), 3);
    }
}
