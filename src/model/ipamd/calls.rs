//! EC2 calls: every request goes through the AWS SDK's standard retryer (spec §e.7), and a
//! few steps retry on their own schedule as ipamd does (§e.3, §e.5).

use super::{Call, Ctx, Failure, NodeIpamd, Recall, Step};
use crate::model::ec2::Response;
use crate::model::record::{Ec2Error, Fact, Slot, StreakOwner};
use crate::scenario::Ec2Action;
use crate::time::SimDuration;
use rand::Rng;

/// Tokens of the retry quota one retry costs (SDK `RetryCost`).
pub(super) const RETRY_COST: u32 = 5;

/// The streak has shown its first `ec2_retry` row.
const SHOWN_RETRY: u8 = 1;
/// … its first `ec2_failed` row.
const SHOWN_FAILED: u8 = 2;
/// … its first `increase_failed` row.
pub(super) const SHOWN_STEP: u8 = 4;

/// Failed requests repeating the node's last failed one (same action, same error), with no
/// success in between, beyond the first row of each kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Repeats {
    /// The call.
    action: Ec2Action,
    /// EC2's error.
    error: Ec2Error,
    /// The first repeated request.
    first: crate::time::SimTime,
    /// The last repeated request.
    last: crate::time::SimTime,
    /// Repeated requests.
    requests: u32,
    /// Calls that finally failed among them.
    calls: u32,
    /// Where its row goes in `events.csv` (reserved at its first request).
    slot: Slot,
}

impl NodeIpamd {
    /// One EC2 call through the SDK's standard retryer: up to `max_attempts` requests with
    /// full-jitter backoff `U(0, 1) × 2^attempt` s (at most `max_backoff`), each retry
    /// costing 5 tokens of the node's retry quota. The loop resumes at `then` when the call
    /// succeeds, or when it finally fails (then `call_error` says why).
    pub(super) fn ec2_call(&mut self, ctx: &mut Ctx<'_>, action: Ec2Action, then: Step) {
        self.tick_active = true;
        self.call = Some(Call {
            action,
            attempt: 1,
            then,
        });
        self.retry_cost_in_flight = 0;
        self.attempt(ctx);
    }

    /// One request of the call in flight.
    pub(super) fn attempt(&mut self, ctx: &mut Ctx<'_>) {
        let Some(call) = self.call.take() else {
            return;
        };
        let (latency, error) = match ctx.ec2.request(call.action, ctx.now, &mut self.rng.ec2) {
            Response::Ok(d) => (d, None),
            Response::Throttled(d) => (d, Some(Ec2Error::RequestLimitExceeded)),
            Response::ServerError(d) => (d, Some(Ec2Error::InternalError)),
        };
        let retry = &ctx.sc.ec2.retry;
        let (max_attempts, max_backoff, quota_max) =
            (retry.max_attempts, retry.max_backoff, retry.quota);
        let Some(err) = error else {
            self.counters.call(call.action, None);
            self.end_repeats(ctx);
            self.last_failure = None;
            let refund = if self.retry_cost_in_flight > 0 {
                self.retry_cost_in_flight
            } else {
                1
            };
            self.retry_quota = (self.retry_quota + refund).min(quota_max);
            return self.sleep(ctx, latency, call.then);
        };
        let (action, k) = (call.action, call.attempt);
        if err == Ec2Error::RequestLimitExceeded {
            self.last_throttled = Some(ctx.now);
        }
        let failure = Failure { action, error: err };
        if self.last_failure != Some(failure) {
            self.end_repeats(ctx);
            self.last_failure = Some(failure);
            self.shown = 0;
        }
        if call.attempt < max_attempts && self.retry_quota >= RETRY_COST {
            self.retry_quota -= RETRY_COST;
            self.retry_cost_in_flight += RETRY_COST;
            let u: f64 = self.rng.ec2.gen();
            let ceiling = SimDuration::from_secs(1u64 << call.attempt.min(30)).min(max_backoff);
            let backoff = SimDuration((u * ceiling.micros() as f64) as u64);
            self.call = Some(Call {
                attempt: call.attempt + 1,
                ..call
            });
            if self.shown & SHOWN_RETRY != 0 {
                self.count_repeat(ctx, action, err, false);
            } else {
                self.shown |= SHOWN_RETRY;
                ctx.emit(Fact::Ec2Retry {
                    action,
                    attempt: k,
                    error: err,
                    backoff,
                });
            }
            self.sleep(ctx, latency + backoff, Step::Retry);
        } else {
            self.counters.call(action, Some(err));
            self.call_error = Some(err);
            if self.shown & SHOWN_FAILED != 0 {
                self.count_repeat(ctx, action, err, true);
            } else {
                self.shown |= SHOWN_FAILED;
                ctx.emit(Fact::Ec2Failed {
                    action,
                    attempts: k,
                    error: err,
                });
            }
            if err == Ec2Error::RequestLimitExceeded && self.refuse_ahead(ctx, &call.then, latency)
            {
                return;
            }
            self.sleep(ctx, latency, call.then);
        }
    }

    /// Counts a failed request that repeats the last one (`final_` = its call failed).
    fn count_repeat(
        &mut self,
        ctx: &mut Ctx<'_>,
        action: Ec2Action,
        error: Ec2Error,
        final_: bool,
    ) {
        self.count_repeat_at(ctx, ctx.now, action, error, final_);
    }

    /// [`NodeIpamd::count_repeat`] for a request made at `now` (not before the event
    /// being handled's instant when it starts a streak: its place is reserved now).
    pub(super) fn count_repeat_at(
        &mut self,
        ctx: &mut Ctx<'_>,
        now: crate::time::SimTime,
        action: Ec2Action,
        error: Ec2Error,
        final_: bool,
    ) {
        let r = self.repeats.get_or_insert_with(|| Repeats {
            action,
            error,
            first: now,
            last: now,
            requests: 0,
            calls: 0,
            slot: ctx.events.reserve(StreakOwner::Node(ctx.node), now),
        });
        r.requests += 1;
        r.calls += u32::from(final_);
        r.last = now;
    }

    /// Records the repeated failures counted so far as one `ec2_repeats` row.
    pub fn end_repeats(&mut self, ctx: &mut Ctx<'_>) {
        // a refused request carried ahead is counted first, or its wake put back
        self.settle_ahead(ctx);
        let Some(r) = self.repeats.take() else {
            return;
        };
        let mut row = ctx.draft(Fact::Ec2Repeats {
            action: r.action,
            error: r.error,
            requests: r.requests,
            calls: r.calls,
            until: r.last,
        });
        row.time = r.first;
        ctx.events.fill(r.slot, row);
    }

    /// Records the step's `increase_failed` once per failure streak (the streak's later
    /// ones are implied by the calls its `ec2_repeats` row counts).
    pub(super) fn emit_step_failure(&mut self, ctx: &mut Ctx<'_>, fact: Fact) {
        if self.shown & SHOWN_STEP == 0 {
            self.shown |= SHOWN_STEP;
            ctx.emit(fact);
        }
    }

    /// ipamd's own retry of a failed call (§e.3, §e.5): the policy's sleep before this
    /// try, after which the caller calls `recall.action()` again; `None` once the policy's
    /// tries are spent.
    pub(super) fn ipamd_backoff(&mut self, recall: Recall) -> Option<SimDuration> {
        let (first_sleep_us, doubling, max_tries) = match recall {
            // DescribeAllENIs: 12 tries, 10 ms × try apart
            Recall::InitDescribe => (10_000, false, 12),
            // DetachNetworkInterface: 12 tries, 200 ms doubling, at most 60 s, +15 %
            Recall::Detach => (200_000, true, 12),
            // DeleteNetworkInterface: 12 tries, 500 ms doubling, at most 60 s, +15 %
            Recall::Delete => (500_000, true, 12),
        };
        self.ipamd_tries += 1;
        let tries = self.ipamd_tries;
        if tries >= max_tries {
            self.ipamd_tries = 0;
            return None;
        }
        let base: u64 = if doubling {
            (first_sleep_us << (tries - 1).min(20)).min(60_000_000)
        } else {
            first_sleep_us * u64::from(tries)
        };
        let jitter = if doubling {
            self.rng.ec2.gen_range(0..=base * 15 / 100)
        } else {
            0
        };
        Some(SimDuration(base + jitter))
    }
}
