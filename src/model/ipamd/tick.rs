//! The pool-manager tick (`updateIPPoolIfRequired`, §b.4): increase (§c.6–c.8), decrease
//! (§c.11), `tryFreeENI` (§c.10), then reconcile (§b.5) half a period later.

use super::pool::{self, PoolStats};
use super::DECREASE_INTERVAL;
use super::{Caller, Ctx, Decrease, Fill, FreeThen, NodeIpamd, Step, Unreleased};
use super::{INSUFFICIENT_COOLDOWN, RECONCILE_INTERVAL};
use crate::model::ec2::Response;
use crate::model::ids::{EniId, SubnetId};
use crate::model::record::{Ec2Error, Fact, InsufficientThen};
use crate::scenario::Ec2Action;

impl NodeIpamd {
    /// `updateIPPoolIfRequired` (§b.4).
    pub(super) fn pool_update(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now;
        self.tick_active = false;
        self.tick_draws_start = self.draws;
        self.caller = Caller::Tick;
        self.decreased = false;
        if self.conf.cards > 1 {
            // every card's statistics now, then the cards in Go map order (`cards.rs`)
            let first = self.begin_card_pass(now);
            self.hold_card(ctx, first);
            let (stats, freeable) = self.pass_snapshot();
            return self.card_update(ctx, stats, freeable);
        }
        let stats = self.ds.stats(now);
        let freeable = self.conf.targets.pd && self.ds.freeable_eni_exists();
        self.card_update(ctx, stats, freeable)
    }

    /// One card's decisions of the tick (§b.4 step 3), on its statistics at the tick's
    /// start (`stats`, and `freeable` = `CheckFreeableENIexists`): increase, else decrease,
    /// and `tryFreeENI` if the snapshot asks for it. The increase and the decrease read
    /// the card's datastore afresh, as `increaseDatastorePool` and
    /// `decreaseDatastorePool` do.
    fn card_update(&mut self, ctx: &mut Ctx<'_>, stats: PoolStats, freeable: bool) {
        let now = ctx.now;
        let t = self.targets();
        self.remove_extra =
            pool::should_remove_extra_enis(stats, t, self.conf.ips_per_eni, freeable);
        let skip_decrease = self
            .last_decrease
            .is_some_and(|d| now.since(d) <= DECREASE_INTERVAL);
        if pool::is_too_low(stats, t, self.conf.ips_per_eni, self.conf.max_pods) {
            let fresh = self.ds.stats(now);
            self.increase(ctx, fresh);
        } else if pool::is_too_high(stats, t) && !skip_decrease {
            let fresh = self.ds.stats(now);
            self.decrease(ctx, fresh);
        } else {
            self.free_eni_phase(ctx);
        }
    }

    /// `increaseDatastorePool` (§c.6).
    pub(super) fn increase(&mut self, ctx: &mut Ctx<'_>, stats: PoolStats) {
        if self.backoff_cause(ctx.now).is_some() {
            return self.increase_done(ctx);
        }
        match pool::cidrs_to_allocate(stats, self.targets(), self.conf.ips_per_eni) {
            None => self.alloc_eni(ctx),
            Some(want) => {
                let rot = self.map_order();
                let skip_primary = ctx.sc.cni.custom_network_cfg || self.conf.primary_excluded;
                let mut cands = std::mem::take(&mut self.candidates);
                self.ds
                    .allocatable(self.conf.cidrs_per_eni, skip_primary, rot, &mut cands);
                self.candidates = cands;
                let fill = Fill {
                    to_allocate: want,
                    next: 0,
                };
                self.try_next_candidate(ctx, fill);
            }
        }
    }

    /// `tryAssignIPs` / `tryAssignPrefixes` (§c.7, §c.8): fill the next candidate ENI, or
    /// fall through to a new ENI.
    pub(super) fn try_next_candidate(&mut self, ctx: &mut Ctx<'_>, fill: Fill) {
        let Some(&eni) = self.candidates.get(fill.next) else {
            return self.alloc_eni(ctx);
        };
        // a candidate is an ENI of the datastore (nothing removes one during an increase)
        let Some(cidrs) = self.ds.eni(eni).map(|e| e.cidrs()) else {
            let next = Fill {
                next: fill.next + 1,
                ..fill
            };
            return self.try_next_candidate(ctx, next);
        };
        let per = self.conf.cidrs_per_eni;
        let room = per - cidrs;
        let want = room.min(fill.to_allocate).min(per);
        let step = Step::Assigned {
            eni,
            n: want,
            retry: false,
            fill,
        };
        self.ec2_call(ctx, Ec2Action::AssignPrivateIpAddresses, step);
    }

    /// Takes `want` IPs (or prefixes) from `subnet` into the scratch buffer, all or
    /// nothing; on failure returns EC2's error.
    pub(super) fn take_from_subnet(
        &mut self,
        ctx: &mut Ctx<'_>,
        subnet: SubnetId,
        want: u32,
    ) -> Result<(), Ec2Error> {
        let pd = self.ds.pd;
        let mut got = std::mem::take(&mut self.scratch);
        got.clear();
        let s = ctx.subnet(subnet);
        let result = if pd {
            for _ in 0..want {
                match s.allocate_prefix() {
                    Some(p) => got.push(p),
                    None => break,
                }
            }
            if got.len() as u32 == want {
                Ok(())
            } else {
                got.iter().for_each(|&p| s.release_prefix(p));
                got.clear();
                Err(Ec2Error::InsufficientCidrBlocks)
            }
        } else if s.free_for_ips() >= want {
            got.extend((0..want).map(|_| s.allocate_ip().expect("counted free")));
            Ok(())
        } else {
            Err(Ec2Error::InsufficientFreeAddressesInSubnet)
        };
        self.scratch = got;
        result
    }

    /// `AssignPrivateIpAddresses` returned: the IPs or prefixes join the ENI, or the
    /// insufficient-address handling of §c.7 and §e.6 applies.
    pub(super) fn assign_returned(
        &mut self,
        ctx: &mut Ctx<'_>,
        eni: EniId,
        want: u32,
        retry: bool,
        mut fill: Fill,
    ) {
        let now = ctx.now;
        // the ENI asked is in the datastore: nothing removes one during an increase
        let Some(subnet) = self.ds.eni(eni).map(|e| e.subnet) else {
            return self.increase_done(ctx);
        };
        let prefixes = self.pd();
        match self.take_from_subnet(ctx, subnet, want) {
            Ok(()) => {
                let got = std::mem::take(&mut self.scratch);
                if self.ds.pd {
                    self.ds.add_prefixes(eni, &got);
                } else {
                    self.ds.add_ips(eni, &got);
                }
                self.scratch = got;
                self.last_pool_action = Some(now);
                let s = self.ds.stats(now);
                ctx.emit(Fact::Assigned {
                    eni,
                    count: want,
                    total: s.total,
                    assigned: s.assigned,
                    prefixes,
                });
                self.increase_done(ctx)
            }
            Err(error) => {
                self.counters
                    .error(Ec2Action::AssignPrivateIpAddresses, error);
                let insufficient = |then| Fact::InsufficientAddresses {
                    action: Ec2Action::AssignPrivateIpAddresses,
                    eni: Some(eni),
                    count: want,
                    subnet,
                    error,
                    then,
                    prefixes,
                };
                if !retry {
                    ctx.emit(insufficient(InsufficientThen::RetryWithOne));
                    return self.assign_one(ctx, eni, fill);
                }
                if ctx.sc.cni.enable_subnet_discovery {
                    // §e.6: with subnet discovery the ENI is skipped, no back-off.
                    ctx.emit(insufficient(InsufficientThen::SkipEni));
                    fill.next += 1;
                    self.try_next_candidate(ctx, fill)
                } else {
                    let action = Ec2Action::AssignPrivateIpAddresses;
                    self.insufficient(ctx, error, action, Some(subnet));
                    self.increase_done(ctx)
                }
            }
        }
    }

    /// §c.6: an EC2 error other than insufficient addresses ends the increase (logged, no
    /// back-off; the next tick tries again).
    pub(super) fn increase_failed(&mut self, ctx: &mut Ctx<'_>, fact: Fact) {
        self.emit_step_failure(ctx, fact);
        self.increase_done(ctx)
    }

    /// §c.7: after a failed fill, one retry asking for a single IP (or prefix).
    pub(super) fn assign_one(&mut self, ctx: &mut Ctx<'_>, eni: EniId, fill: Fill) {
        let step = Step::Assigned {
            eni,
            n: 1,
            retry: true,
            fill,
        };
        self.ec2_call(ctx, Ec2Action::AssignPrivateIpAddresses, step)
    }

    /// An insufficient-address error starts the 120 s back-off.
    pub(super) fn insufficient(
        &mut self,
        ctx: &mut Ctx<'_>,
        error: Ec2Error,
        action: Ec2Action,
        subnet: Option<SubnetId>,
    ) {
        // A /28 that cannot be found while a subnet asked has free addresses is
        // `no_free_prefix`, never a full subnet.
        let roomy = |s: &SubnetId| ctx.subnets[s.index()].free() > 0;
        let fragmented = error == Ec2Error::InsufficientCidrBlocks
            && match subnet {
                Some(s) => roomy(&s),
                None => self.subnets_to_try.iter().any(roomy),
            };
        self.last_insufficient = Some(super::Insufficient {
            at: ctx.now,
            error,
            fragmented,
        });
        ctx.emit(Fact::InsufficientCooldown {
            action,
            subnet,
            error,
            until: ctx.now + INSUFFICIENT_COOLDOWN,
        });
    }

    /// The increase is over: back to `nodeInit` or on to this tick's `tryFreeENI`.
    pub(super) fn increase_done(&mut self, ctx: &mut Ctx<'_>) {
        match self.caller {
            Caller::Init => self.init_done(ctx),
            Caller::Tick => self.free_eni_phase(ctx),
        }
    }

    /// `decreaseDatastorePool` (§c.11): release `over` IPs or prefixes, ENI by ENI.
    fn decrease(&mut self, ctx: &mut Ctx<'_>, stats: PoolStats) {
        let over = pool::decrease_amount(stats, self.targets());
        let rot = self.map_order();
        self.decreased = true;
        let d = Decrease {
            over,
            rot,
            pos: 0,
            len: self.ds.enis().len() as u32,
            eni: EniId(0),
        };
        self.decrease_next_eni(ctx, d);
    }

    /// Releases the surplus from the next ENI in rotated order that has some.
    pub(super) fn decrease_next_eni(&mut self, ctx: &mut Ctx<'_>, mut d: Decrease) {
        loop {
            let ip_rot = self.map_order();
            if d.over == 0 || d.pos >= d.len || self.ds.enis().is_empty() {
                return self.free_eni_phase(ctx);
            }
            let idx = (d.rot as usize + d.pos as usize) % self.ds.enis().len();
            let (eni, subnet) = (self.ds.enis()[idx].id, self.ds.enis()[idx].subnet);
            d.pos += 1;
            let mut out = std::mem::take(&mut self.scratch);
            out.clear();
            let taken = self.ds.take_freeable(eni, d.over, ip_rot, &mut out);
            if taken > 0 {
                d.over -= taken;
                d.eni = eni;
                self.releasing.subnet = subnet;
                if self.ds.pd {
                    self.releasing.prefixes.extend_from_slice(&out);
                } else {
                    self.releasing.ips.extend_from_slice(&out);
                }
            }
            self.scratch = out;
            if taken > 0 {
                let s = self.ds.stats(ctx.now);
                ctx.emit(Fact::Unassigned {
                    eni,
                    count: taken,
                    total: s.total,
                    assigned: s.assigned,
                    prefixes: self.ds.pd,
                });
                let step = Step::Unassigned(d);
                return self.ec2_call(ctx, Ec2Action::UnassignPrivateIpAddresses, step);
            }
        }
    }

    /// `tryFreeENI` (§c.10), if this tick's pre-action snapshot asked for it.
    pub(super) fn free_eni_phase(&mut self, ctx: &mut Ctx<'_>) {
        if !self.remove_extra {
            return self.end_tick(ctx);
        }
        self.remove_extra = false;
        let rot = self.map_order();
        let Some(eni) = self.ds.deletable_eni(ctx.now, self.targets(), rot) else {
            return self.end_tick(ctx);
        };
        self.start_free(ctx, eni, FreeThen::EndTick);
    }

    /// End of `updateIPPoolIfRequired`; sleep 2.5 s, then the reconcile check.
    pub(super) fn end_tick(&mut self, ctx: &mut Ctx<'_>) {
        if self.caller == Caller::Tick && self.next_card_of_pass(ctx).is_some() {
            let (stats, freeable) = self.pass_snapshot();
            return self.card_update(ctx, stats, freeable);
        }
        if self.decreased {
            self.decreased = false;
            self.last_decrease = Some(ctx.now);
            self.last_pool_action = Some(ctx.now);
            self.tick_active = true;
        }
        if self.try_sleep_through(ctx) || self.pass_idle_reconcile(ctx) {
            return;
        }
        let d = self.half_period();
        self.sleep(ctx, d, Step::Reconcile);
    }

    /// `nodeIPPoolReconcile` (§b.5): runs only if no pool action for more than 60 s. With a
    /// consistent EC2 and IMDS it only adopts orphaned ENIs.
    pub(super) fn reconcile(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now;
        let due = self
            .last_pool_action
            .is_none_or(|t| now.since(t) > RECONCILE_INTERVAL);
        if due {
            self.readd_unreleased(ctx);
            return self.adopt_next_orphan(ctx);
        }
        self.reconcile_done(ctx);
    }

    /// Reconcile finds CIDRs that EC2 still has on an ENI but the datastore lost (a failed
    /// release): after the 60 s reconcile cooldown it asks EC2 and adds them back (§b.5).
    /// CIDRs of an ENI that is gone return to the subnet.
    fn readd_unreleased(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now;
        if !self
            .unreleased
            .iter()
            .any(|u| now.since(u.since) > RECONCILE_INTERVAL)
        {
            return;
        }
        let r = ctx
            .ec2
            .request(Ec2Action::DescribeNetworkInterfaces, now, &mut self.rng.ec2);
        self.counters
            .call(Ec2Action::DescribeNetworkInterfaces, r.error());
        if !matches!(r, Response::Ok(_)) {
            return;
        }
        let mut readded = 0;
        let list = std::mem::take(&mut self.unreleased);
        for u in list {
            if now.since(u.since) <= RECONCILE_INTERVAL {
                self.unreleased.push(u);
                continue;
            }
            let Unreleased {
                eni,
                addr,
                prefix,
                subnet,
                card,
                ..
            } = u;
            // CIDRs of an ENI that is gone return to the subnet
            let ds = self.datastore_mut(card);
            if prefix && !ds.add_prefixes(eni, &[addr]) {
                ctx.subnet(subnet).release_prefix(addr);
            } else if !prefix && !ds.add_ips(eni, &[addr]) {
                ctx.subnet(subnet).release_ip(addr);
            }
            readded += 1;
        }
        ctx.emit(Fact::Reconcile { readded });
    }

    /// Adopts the next orphan ENI that IMDS now shows, if any.
    pub(super) fn adopt_next_orphan(&mut self, ctx: &mut Ctx<'_>) {
        match self.orphans.iter().position(|o| o.visible_at <= ctx.now) {
            Some(i) => {
                let e = self.orphans.remove(i);
                let step = Step::AdoptDescribed(e);
                self.ec2_call(ctx, Ec2Action::DescribeNetworkInterfaces, step)
            }
            None => {
                self.last_pool_action = Some(ctx.now);
                self.reconcile_done(ctx)
            }
        }
    }

    /// End of reconcile: sleep 2.5 s, then the next tick.
    pub(super) fn reconcile_done(&mut self, ctx: &mut Ctx<'_>) {
        let d = self.half_period();
        self.sleep(ctx, d, Step::PoolUpdate);
    }
}
