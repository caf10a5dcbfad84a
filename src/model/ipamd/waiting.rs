//! Why a pod bound to this node and waiting for an IP cannot have one: the ipamd side of
//! `waits.csv` (the causes are defined on [`WaitCause`]).
//!
//! The cause is a function of the node's ipamd state and of the time: with no event, it
//! changes only when a cooling address becomes assignable, the insufficient-address
//! back-off ends, or a throttled request falls out of the 30 s memory. [`NodeIpamd::wait_plan`]
//! gives the cause now and those later changes, which hold until the next event that
//! touches the node.

use super::{pool, NodeIpamd, Step, INSUFFICIENT_COOLDOWN, THROTTLE_MEMORY};
use crate::model::record::{CauseChange, WaitCause};
use crate::time::{SimDuration, SimTime};

/// One microsecond: the state "within N s of t" (`since(t) <= N`) ends at `t + N + 1 µs`.
const TICK: SimDuration = SimDuration(1);

impl NodeIpamd {
    /// The cause for a pod waiting on this (Ready) node at `now`, and when it would change
    /// with no event (`None`: only an event changes it).
    pub fn wait_cause(&self, now: SimTime) -> (WaitCause, Option<SimTime>) {
        if !self.serving {
            return (WaitCause::IpamdUnavailable, None);
        }
        if self.v6.is_some() {
            // the /80 always has a free address
            return (WaitCause::KubeletRetry, None);
        }
        let stats = self.ds.stats(now);
        if stats.available() > stats.cooldown {
            return (WaitCause::KubeletRetry, None);
        }
        if let Some(retried) = self.growth_in_flight() {
            let cause = if retried {
                WaitCause::Ec2Throttled
            } else {
                WaitCause::PoolGrowing
            };
            // an address leaving its cooldown is free at once, growth or not
            let until = (stats.cooldown > 0)
                .then(|| self.ds.cooling_ends(now))
                .flatten();
            return (cause, until);
        }
        if stats.cooldown > 0 {
            return (WaitCause::Cooldown, self.ds.cooling_ends(now));
        }
        if let Some(i) = self
            .last_insufficient
            .filter(|i| now.since(i.at) <= INSUFFICIENT_COOLDOWN)
        {
            let cause = if i.fragmented {
                WaitCause::NoFreePrefix
            } else {
                WaitCause::SubnetFull
            };
            return (cause, Some(i.at + INSUFFICIENT_COOLDOWN + TICK));
        }
        if self.ds.enis().len() as u32 >= self.conf.max_eni
            && !self.ds.has_room(
                self.conf.cidrs_per_eni,
                self.conf.custom_networking || self.conf.primary_excluded,
            )
        {
            return (WaitCause::MaxEnis, None);
        }
        if let Some(t) = self
            .last_throttled
            .filter(|&t| now.since(t) <= THROTTLE_MEMORY)
        {
            return (WaitCause::Ec2Throttled, Some(t + THROTTLE_MEMORY + TICK));
        }
        let c = &self.conf;
        if pool::is_too_low(stats, c.targets, c.ips_per_eni, c.max_pods) {
            (WaitCause::PoolTick, None)
        } else {
            (WaitCause::PoolFrozen, None)
        }
    }

    /// The causes from `now` on, in `out` (cleared first): the cause now, then each change
    /// that comes with no event.
    pub fn wait_plan(&self, now: SimTime, out: &mut Vec<CauseChange>) {
        out.clear();
        let mut at = now;
        // Each change ends one of three time-limited states (cooling, back-off,
        // throttle memory); cooling may end address by address, so bound the walk.
        for _ in 0..8 {
            let (cause, until) = self.wait_cause(at);
            if out.last().is_none_or(|c| c.cause != cause) {
                out.push(CauseChange { from: at, cause });
            }
            match until {
                Some(u) if u > at => at = u,
                _ => return,
            }
        }
    }

    /// `Some(retried)` while a pool increase is in flight (an assignment, an ENI's
    /// creation, attachment or setup, the IMDS wait); `retried` when its call is waiting
    /// to be retried after a failed request, or came back failed.
    fn growth_in_flight(&self) -> Option<bool> {
        let failed = self.call_error.is_some();
        match &self.step {
            Step::ImdsPoll { .. } => Some(failed),
            s if s.is_growth() => Some(failed),
            Step::Retry => self
                .call
                .as_ref()
                .and_then(|c| c.then.is_growth().then_some(true)),
            _ => None,
        }
    }
}
