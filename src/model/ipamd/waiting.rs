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
    /// with no event (`None`: only an event changes it). On a node with several managed
    /// cards this is the cause of a pod that needs one address: any card with a free
    /// address serves it ([`NodeIpamd::cni_add`]), else it waits on the first card that
    /// can still grow (neither at its ENI limit nor frozen), else on card 0.
    pub fn wait_cause(&self, now: SimTime) -> (WaitCause, Option<SimTime>) {
        if let Some(c) = self.node_cause() {
            return (c, None);
        }
        if self.conf.cards <= 1 {
            return self.card_cause(now, 0);
        }
        let mut until: Option<SimTime> = None;
        let mut pick: Option<WaitCause> = None;
        for k in 0..self.conf.cards {
            let (cause, u) = self.card_cause(now, k);
            if cause == WaitCause::KubeletRetry {
                return (cause, None);
            }
            until = earliest(until, u);
            let stuck = matches!(cause, WaitCause::MaxEnis | WaitCause::PoolFrozen);
            if pick.is_none() && !stuck {
                pick = Some(cause);
            }
        }
        let fallback = || self.card_cause(now, 0).0;
        (pick.unwrap_or_else(fallback), until)
    }

    /// The cause for a multi-homed pod (annotated `multi-nic-attachment`) waiting on this
    /// node: the cause of the first card, in ADD order, that has no address for it; when
    /// every card has one, [`WaitCause::KubeletRetry`]. On a one-card node, the node's cause.
    pub fn homed_wait_cause(&self, now: SimTime) -> (WaitCause, Option<SimTime>) {
        if self.conf.cards <= 1 {
            return self.wait_cause(now);
        }
        if let Some(c) = self.node_cause() {
            return (c, None);
        }
        let mut until: Option<SimTime> = None;
        let mut pick: Option<WaitCause> = None;
        for k in 0..self.conf.cards {
            let (cause, u) = self.card_cause(now, k);
            until = earliest(until, u);
            if pick.is_none() && cause != WaitCause::KubeletRetry {
                pick = Some(cause);
            }
        }
        match pick {
            Some(c) => (c, until),
            None => (WaitCause::KubeletRetry, None),
        }
    }

    /// The causes that hold for the whole node: ipamd not serving; IPv6 (the /80 always has
    /// a free address).
    fn node_cause(&self) -> Option<WaitCause> {
        if !self.serving {
            return Some(WaitCause::IpamdUnavailable);
        }
        self.v6.is_some().then_some(WaitCause::KubeletRetry)
    }

    /// Why card `k` has no address for a pod at `now`, and when that would change with no
    /// event. A pool increase in flight is the card in hand's (the loop works on one card
    /// at a time); the insufficient-address back-off and the throttle memory are the
    /// node's.
    fn card_cause(&self, now: SimTime, k: u8) -> (WaitCause, Option<SimTime>) {
        let ds = self.datastore(k);
        let stats = ds.stats(now);
        if stats.available() > stats.cooldown {
            return (WaitCause::KubeletRetry, None);
        }
        let growth = if k == self.card {
            self.growth_at(now)
        } else {
            None
        };
        if let Some(retried) = growth {
            let cause = if retried {
                WaitCause::Ec2Throttled
            } else {
                WaitCause::PoolGrowing
            };
            // an address leaving its cooldown is free at once, growth or not
            let until = (stats.cooldown > 0).then(|| ds.cooling_ends(now)).flatten();
            return (cause, until);
        }
        if stats.cooldown > 0 {
            return (WaitCause::Cooldown, ds.cooling_ends(now));
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
        if ds.enis().len() as u32 >= self.max_eni_of(k)
            && !ds.has_room(
                self.conf.cidrs_per_eni,
                (self.conf.custom_networking || self.conf.primary_excluded) && k == 0,
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
        if pool::is_too_low(stats, self.targets_of(k), c.ips_per_eni, c.max_pods) {
            (WaitCause::PoolTick, None)
        } else {
            (WaitCause::PoolFrozen, None)
        }
    }

    /// The causes from `now` on, in `out` (cleared first): the cause now, then each change
    /// that comes with no event.
    pub fn wait_plan(&self, now: SimTime, out: &mut Vec<CauseChange>) {
        self.plan_with(now, out, |n, t| n.wait_cause(t));
    }

    /// [`NodeIpamd::wait_plan`] for multi-homed pods ([`NodeIpamd::homed_wait_cause`]).
    pub fn homed_wait_plan(&self, now: SimTime, out: &mut Vec<CauseChange>) {
        self.plan_with(now, out, |n, t| n.homed_wait_cause(t));
    }

    fn plan_with(
        &self,
        now: SimTime,
        out: &mut Vec<CauseChange>,
        cause_at: impl Fn(&Self, SimTime) -> (WaitCause, Option<SimTime>),
    ) {
        out.clear();
        // A growth call the loop carries ahead ends at a known instant (`ahead.rs`): the
        // causes until then, then from then on, each walked as the event at that instant
        // would walk them.
        let ends = self.growth_ends().filter(|&e| e > now);
        let mut at = now;
        for stop in [ends, None] {
            // Each change ends one of three time-limited states (cooling, back-off,
            // throttle memory); cooling may end address by address, so bound the walk
            // (several cards: more states, a longer walk).
            for _ in 0..8 * usize::from(self.conf.cards) {
                if stop.is_some_and(|e| at >= e) {
                    break;
                }
                let (cause, until) = cause_at(self, at);
                if out.last().is_none_or(|c| c.cause != cause) {
                    out.push(CauseChange { from: at, cause });
                }
                match until {
                    Some(u) if u > at => at = u,
                    _ => break,
                }
            }
            match stop {
                Some(e) => at = e,
                None => return,
            }
        }
    }

    /// [`NodeIpamd::growth_in_flight`] at `t`, with a carried-ahead growth call ended at
    /// its instant.
    fn growth_at(&self, t: SimTime) -> Option<bool> {
        match self.growth_ends() {
            Some(e) if t < e => Some(true),
            _ => self.growth_in_flight(),
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

/// The earlier of two optional instants.
fn earliest(a: Option<SimTime>, b: Option<SimTime>) -> Option<SimTime> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}
