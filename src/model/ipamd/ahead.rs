//! Refused requests without events (issue: work in proportion to what changes).
//!
//! An account's bucket refills only at whole seconds of simulated time (`ec2::TokenBucket`),
//! so once it has refused a request it refuses every request of that action until the
//! next whole second, whoever makes it. Under sustained throttling a node's increase then
//! follows a fixed path (`tryAssignIPs`, §c.7): `AssignPrivateIpAddresses` is refused, the
//! loop wakes `error_latency` later to retry with one address, and that request is refused
//! too. When the retry falls before the next whole second its refusal is certain, and so
//! is everything it does: the SDK's retry quota is spent (no retry, no draw), the call
//! fails, the failure streak counts one more request, and the loop sleeps
//! `error_latency` again. So the loop skips that wake: it sleeps straight to the one after
//! it, scheduled as of the skipped one's instant with the node's rank (the place the eager
//! loop gives it), and carries the refused request as an [`Ahead`].
//!
//! The wake after that one is often certain too: the increase fails (its row already shown
//! in this failure streak), the tick ends with nothing to free or release, and its
//! reconcile is passed (`dormant.rs`). Then that wake is skipped as well ([`TickEnd`]): the
//! loop takes the state it leaves at once and sleeps to the next tick. A pod waiting on the
//! node sees the growth call end at that wake's instant, which its wait plan knows
//! ([`NodeIpamd::growth_ends`], `waiting.rs`).
//!
//! What is carried is applied, placed where it happened, when anything next looks at the
//! node's loop:
//! - the loop's own next wake, or anything that ends the node's failure streak (a
//!   restart, the node's termination, a streak held too long in `events.csv`), applies
//!   each skipped wake whose instant came before (EC2's counters, the node's counters, the
//!   throttle memory, the streak);
//! - the first skipped wake that comes after it is put back as an event (what a carried
//!   tick's end did undone), and the loop goes on as the eager loop does.
//!
//! Nothing else can tell: other nodes' requests meet the same empty bucket, a pod's wait
//! cause is `ec2_throttled` either way until the growth call ends, and no sample and not
//! the run's end falls between the first refusal and the loop's next wake (else the loop
//! does not skip). Outputs are byte-identical to the eager loop's (`lazy_ticks: false`),
//! which tests compare on every shipped scenario and random ones, throttled and not.

use super::calls::{RETRY_COST, SHOWN_STEP};
use super::step::Caller;
use super::{Ctx, Failure, Fill, NodeIpamd, Step};
use crate::model::event::Event;
use crate::model::ids::EniId;
use crate::model::record::Ec2Error;
use crate::scenario::Ec2Action;
use crate::time::{SimDuration, SimTime};

/// The end of the tick after the one-address retry failed, carried too: the increase
/// fails, the tick ends and its reconcile is passed (`dormant.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct TickEnd {
    /// When its wake would have run.
    at: SimTime,
    /// `lastNodeIPPoolAction` before the passed reconcile set it.
    last_pool_action: Option<SimTime>,
}

/// The one-address retry of `tryAssignIPs`, refused, that the loop carries instead of a
/// wake.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Ahead {
    /// When the skipped wake would have run (its request is refused then).
    at: SimTime,
    /// When it was scheduled (the first refusal's instant).
    sched: SimTime,
    /// The ENI `tryAssignIPs` was filling.
    eni: EniId,
    /// The addresses the refused call asked for.
    n: u32,
    /// The fill in progress.
    fill: Fill,
    /// The end of the tick, when it is carried too.
    end: Option<TickEnd>,
}

impl NodeIpamd {
    /// After a call that finally failed with `RequestLimitExceeded` at `ctx.now`, its
    /// request taking `latency`: if the step it returns to retries at once with the same
    /// action, and that retry is certain to be refused (see the module's documentation),
    /// skip its wake. Returns false when the loop must sleep to `then` as usual.
    pub(super) fn refuse_ahead(
        &mut self,
        ctx: &mut Ctx<'_>,
        then: &Step,
        latency: SimDuration,
    ) -> bool {
        let action = Ec2Action::AssignPrivateIpAddresses;
        let failure = Failure {
            action,
            error: Ec2Error::RequestLimitExceeded,
        };
        let (eni, n, fill) = match *then {
            Step::Assigned {
                eni,
                n,
                retry: false,
                fill,
            } => (eni, n, fill),
            _ => return false,
        };
        let retry = &ctx.sc.ec2.retry;
        let retries = retry.max_attempts > 1 && self.retry_quota >= RETRY_COST;
        if !self.conf.lazy
            || retries
            || self.repeats.is_none()
            || self.last_failure != Some(failure)
        {
            return false;
        }
        let now = ctx.now;
        let at = now + latency;
        let wake_at = at + ctx.ec2.config().error_latency;
        let second = |t: SimTime| t.micros() / 1_000_000;
        if second(at) != second(now) || wake_at >= SimTime::ZERO + ctx.sc.duration {
            return false;
        }
        // no sample in [now, wake_at]: the samples are at multiples of the interval
        let every = ctx.sc.sample_interval.micros().max(1);
        if wake_at.micros() / every >= now.micros().div_ceil(every) {
            return false;
        }
        // the tick's end too, when the wake after it comes before any sample and the
        // run's end (what is carried is counted then)
        let h = self.half_period();
        let next_tick = wake_at + h + h;
        let quiet = next_tick < SimTime::ZERO + ctx.sc.duration
            && next_tick.micros() / every < now.micros().div_ceil(every);
        let end = (quiet && self.tick_end_certain()).then_some(TickEnd {
            at: wake_at,
            last_pool_action: self.last_pool_action,
        });
        self.ahead = Some(Ahead {
            at,
            sched: now,
            eni,
            n,
            fill,
            end,
        });
        if end.is_some() {
            // what the tick's end leaves: no call, its reconcile passed, the next tick
            self.reconcile_passed(ctx, wake_at);
            return true;
        }
        // what the skipped wake leaves: the one-address retry, failed
        self.step = Step::Assigned {
            eni,
            n: 1,
            retry: true,
            fill,
        };
        let wake = Event::IpamdWake {
            node: ctx.node,
            gen: self.gen,
        };
        ctx.queue
            .schedule_as_of(wake_at, at, Self::rank(ctx.node), wake);
        true
    }

    /// Whether the wake after a failed one-address retry is certain to do nothing but end
    /// the tick and pass its reconcile: its `increase_failed` row already shown in this
    /// failure streak, a tick's increase (not pre-scaling), no `tryFreeENI` asked, no
    /// release in the tick, and nothing for reconcile to do (which also means lazy
    /// ticks, so one card); only the loop changes any of these, and it sleeps until then.
    fn tick_end_certain(&self) -> bool {
        self.shown & SHOWN_STEP != 0
            && self.caller == Caller::Tick
            && !self.remove_extra
            && !self.decreased
            && self.reconcile_passes()
    }

    /// The instant a growth call the loop carries ahead ends (the tick's end, skipped),
    /// if any: before it a pod waiting on the node sees a growth call that failed, from
    /// it on no call (`waiting.rs`).
    pub(super) fn growth_ends(&self) -> Option<SimTime> {
        self.ahead.and_then(|a| a.end).map(|e| e.at)
    }

    /// Counts the request carried ahead if its instant came before the event being
    /// handled, else puts its wake back as an event (see the module's documentation).
    pub(super) fn settle_ahead(&mut self, ctx: &mut Ctx<'_>) {
        let Some(a) = self.ahead.take() else {
            return;
        };
        let rank = Self::rank(ctx.node);
        let k = ctx.queue.current();
        let before = |at: SimTime, sched: SimTime| (at, sched, rank) < (k.time, k.sched, k.rank);
        if !before(a.at, a.sched) {
            let step = Step::Assigned {
                eni: a.eni,
                n: a.n,
                retry: false,
                fill: a.fill,
            };
            return self.put_back(ctx, &a, step, a.at, a.sched);
        }
        // the eager wake at `a.at`: `assign_one`, its request refused, the call failed
        let action = Ec2Action::AssignPrivateIpAddresses;
        let error = Ec2Error::RequestLimitExceeded;
        ctx.ec2.count_refused(action);
        self.last_throttled = Some(a.at);
        self.retry_cost_in_flight = 0;
        self.counters.call(action, Some(error));
        self.count_repeat_at(ctx, a.at, action, error, true);
        self.ahead_counted += 1;
        match a.end {
            // the tick's end happened too: its state is the loop's already
            Some(end) if before(end.at, a.at) => {}
            Some(end) => {
                self.call_error = Some(error);
                let step = Step::Assigned {
                    eni: a.eni,
                    n: 1,
                    retry: true,
                    fill: a.fill,
                };
                self.put_back(ctx, &a, step, end.at, a.at);
            }
            None => self.call_error = Some(error),
        }
    }

    /// Puts a skipped wake back as an event: the loop continues `step` at `at`, scheduled
    /// as of `sched`; what a carried tick's end did is undone (the wake already scheduled
    /// is stale).
    fn put_back(&mut self, ctx: &mut Ctx<'_>, a: &Ahead, step: Step, at: SimTime, sched: SimTime) {
        self.ahead_put_back += 1;
        if let Some(end) = a.end {
            self.last_pool_action = end.last_pool_action;
            self.call_error = Some(Ec2Error::RequestLimitExceeded);
        }
        self.step = step;
        self.gen += 1;
        let wake = Event::IpamdWake {
            node: ctx.node,
            gen: self.gen,
        };
        ctx.queue
            .schedule_as_of(at, sched, Self::rank(ctx.node), wake);
    }
}
