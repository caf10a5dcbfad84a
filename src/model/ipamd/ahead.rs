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
//! loop gives it), and carries the refused request as an [`Ahead`] that is counted when
//! anything next looks at the node's loop, placed where it happened:
//! - the loop's own next wake, or anything that ends the node's failure streak (a
//!   restart, the node's termination, a streak held too long in `events.csv`), counts it
//!   if its instant came before (EC2's counters, the node's counters, the throttle memory,
//!   the streak);
//! - if such a thing comes first, the skipped wake is put back as an event and the loop
//!   goes on as the eager loop does.
//!
//! Nothing else can tell: other nodes' requests meet the same empty bucket, a pod's wait
//! cause is `ec2_throttled` either way (a growth call that failed), and no sample and not
//! the run's end falls between the first refusal and the wake (else the loop does not
//! skip). Outputs are byte-identical to the eager loop's (`lazy_ticks: false`), which
//! tests compare on every shipped scenario and random ones, throttled and not.

use super::calls::RETRY_COST;
use super::{Ctx, Failure, Fill, NodeIpamd, Step};
use crate::model::event::Event;
use crate::model::ids::EniId;
use crate::model::record::Ec2Error;
use crate::scenario::Ec2Action;
use crate::time::{SimDuration, SimTime};

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
        self.ahead = Some(Ahead {
            at,
            sched: now,
            eni,
            n,
            fill,
        });
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
            .schedule_as_of(wake_at, at, u64::from(ctx.node.0), wake);
        true
    }

    /// Counts the request carried ahead if its instant came before the event being
    /// handled, else puts its wake back as an event (see the module's documentation).
    pub(super) fn settle_ahead(&mut self, ctx: &mut Ctx<'_>) {
        let Some(a) = self.ahead.take() else {
            return;
        };
        let rank = u64::from(ctx.node.0);
        let k = ctx.queue.current();
        if (a.at, a.sched, rank) < (k.time, k.sched, k.rank) {
            // the eager wake at `a.at`: `assign_one`, its request refused, the call failed
            let action = Ec2Action::AssignPrivateIpAddresses;
            let error = Ec2Error::RequestLimitExceeded;
            ctx.ec2.count_refused(action);
            self.last_throttled = Some(a.at);
            self.retry_cost_in_flight = 0;
            self.counters.call(action, Some(error));
            self.call_error = Some(error);
            self.count_repeat_at(ctx, a.at, action, error, true);
            self.ahead_counted += 1;
        } else {
            self.ahead_put_back += 1;
            self.step = Step::Assigned {
                eni: a.eni,
                n: a.n,
                retry: false,
                fill: a.fill,
            };
            self.gen += 1;
            let wake = Event::IpamdWake {
                node: ctx.node,
                gen: self.gen,
            };
            ctx.queue.schedule_as_of(a.at, a.sched, rank, wake);
        }
    }
}
