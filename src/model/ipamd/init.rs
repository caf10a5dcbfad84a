//! `nodeInit` (spec §g), aws-node restarts and the instance's termination.

use super::datastore::{Datastore, Eni};
use super::{
    pool, Caller, Ctx, Held, NewEni, NodeIpamd, Recall, Step, RESTART_BACKOFF, RESTART_BACKOFF_MAX,
};
use crate::model::event::Event;
use crate::model::ids::EniId;
use crate::model::record::{Ec2Error, Fact, RestartReason};
use crate::model::subnet::Subnet;
use crate::scenario::Ec2Action;
use crate::time::{SimDuration, SimTime};

impl NodeIpamd {
    /// `nodeInit` starts (also after an aws-node restart): one `DescribeNetworkInterfaces`
    /// with the IMDS read of `DescribeAllENIs`.
    pub fn start(&mut self, ctx: &mut Ctx<'_>) {
        self.caller = Caller::Init;
        self.retry_quota = ctx.sc.ec2.retry.quota;
        self.ipamd_tries = 0;
        if self.next_eni_id == 0 {
            self.next_eni_id = 1;
        }
        let restart = self.restarts > 0;
        ctx.emit(Fact::IpamdStart { restart });
        if ctx.sc.cni.enable_prefix_delegation
            && !ctx.group.instance_type.supports_prefix_delegation()
            && !restart
        {
            ctx.emit(Fact::PdUnsupported);
        }
        self.ec2_call(
            ctx,
            Ec2Action::DescribeNetworkInterfaces,
            Step::InitDescribed,
        );
    }

    /// `DescribeAllENIs` returned (or failed): adopt, or retry (12 tries, 10 ms × try
    /// apart), then give up and restart aws-node.
    pub(super) fn init_described(&mut self, ctx: &mut Ctx<'_>, error: Option<Ec2Error>) {
        match error {
            None => {
                self.ipamd_tries = 0;
                self.init_adopt(ctx)
            }
            Some(e) => match self.ipamd_backoff(Recall::InitDescribe) {
                Some(d) => self.sleep(ctx, d, Step::InitRecall),
                None => self.restart(ctx, RestartReason::InitDescribeFailed(e)),
            },
        }
    }

    /// `nodeInit` step 4: attached ENIs enter the datastore (on a fresh node the primary
    /// only; after a restart every attached ENI, all counted as new); then pre-scaling (§g.8).
    fn init_adopt(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now;
        // the primary ENI is card 0's
        self.hold_card(ctx, 0);
        if self.ds.enis().is_empty() {
            let primary_ip = self.conf.primary_ip.unwrap_or(0);
            let id = EniId(self.next_eni_id);
            self.next_eni_id += 1;
            self.ds
                .add_eni(Eni::new(id, 0, primary_ip, self.conf.subnet, true, now));
        } else {
            for k in 0..self.conf.cards {
                self.datastore_mut(k).reset_create_times(now);
            }
            let mut attached: Vec<NewEni> = std::mem::take(&mut self.orphans);
            attached.extend(self.carried.take().filter(|e| e.attached));
            for e in attached {
                add_new_eni(self.datastore_mut(e.card), e, now);
            }
        }
        if self.conf.ipv6 {
            return self.init_ipv6(ctx);
        }
        if self.conf.cards > 1 {
            // pre-scaling card by card, in Go map order (`handlePreScaling`, ipamd.go:674-693)
            let first = self.begin_card_pass(now);
            self.hold_card(ctx, first);
            return self.init_card(ctx);
        }
        let stats = self.ds.stats(now);
        let c = &self.conf;
        if pool::is_too_low(stats, c.targets, c.ips_per_eni, c.max_pods) {
            self.caller = Caller::Init;
            self.increase(ctx, stats);
        } else {
            self.init_done(ctx);
        }
    }

    /// `nodeInit` returns: ipamd serves CNI ADDs, the node becomes Ready (first init) and the
    /// loop starts (first tick 2.5 s later). With custom networking and still no pod IPs,
    /// init fails and aws-node restarts.
    pub(super) fn init_done(&mut self, ctx: &mut Ctx<'_>) {
        if ctx.sc.cni.custom_network_cfg && self.ds.stats(ctx.now).total == 0 {
            return self.restart(ctx, RestartReason::CustomNetworkingNoEni);
        }
        if self.next_card_of_pass(ctx).is_some() {
            return self.init_card(ctx);
        }
        if self.conf.ipv6 {
            // no pool-manager loop in IPv6 mode (ipamd.go:769-780)
            self.step = Step::Serving;
        } else {
            let d = self.half_period();
            self.sleep(ctx, d, Step::PoolUpdate);
        }
        self.serving = true;
        ctx.ready = true;
        // a failure streak of nodeInit is recorded before the node's ticks begin
        self.end_repeats(ctx);
        self.last_failure = None;
    }

    /// Pre-scaling of the card in hand: one increase if its statistics at the pass's start
    /// say its pool is low. A card whose pool is empty after it fails `nodeInit` with
    /// custom networking, as card 0 does ([`NodeIpamd::init_done`]); an empty pool is
    /// always low, so checking every card is the same as checking the low ones.
    fn init_card(&mut self, ctx: &mut Ctx<'_>) {
        let (stats, _) = self.pass_snapshot();
        let c = &self.conf;
        if pool::is_too_low(stats, self.targets(), c.ips_per_eni, c.max_pods) {
            self.caller = Caller::Init;
            let fresh = self.ds.stats(ctx.now);
            self.increase(ctx, fresh);
        } else {
            self.init_done(ctx);
        }
    }

    /// aws-node exits and the kubelet restarts it after CrashLoopBackOff (10 s, doubling,
    /// at most 5 min). Whatever the loop was doing is abandoned; attached ENIs are found
    /// again by the next `nodeInit`.
    pub fn restart(&mut self, ctx: &mut Ctx<'_>, reason: RestartReason) {
        self.fast_forward(ctx.node, ctx.queue.current());
        let held = self.take_held();
        self.dormant = None;
        self.end_repeats(ctx);
        self.last_failure = None;
        let k = self.restarts.min(5);
        self.restarts += 1;
        self.gen += 1;
        self.serving = false;
        self.call_error = None;
        // a new process: its timers and its Prometheus counters start from zero
        self.counters = crate::model::record::AwsNodeCounters::default();
        self.last_pool_action = None;
        self.last_decrease = None;
        self.last_insufficient = None;
        self.clear_all_at_max_eni();
        // a free in flight is abandoned as if it finished; a release in flight is lost
        // from the datastore already and comes back as unreleased addresses
        let delay = SimDuration(RESTART_BACKOFF.micros() << k).min(RESTART_BACKOFF_MAX);
        match held {
            Some(Held::Freeing(e)) => self.releasing.add_eni(&e),
            Some(Held::New(e)) if e.attached => self.carried = Some(e),
            // created but never attached: its addresses go back at once (address 0:
            // CreateNetworkInterface has not returned, nothing was taken)
            Some(Held::New(e)) if e.primary_ip != 0 => self.releasing.add_eni(&e),
            Some(Held::New(_)) | None => {}
        }
        self.return_releasing(ctx);
        ctx.emit(Fact::AwsNodeRestart { reason, delay });
        ctx.queue
            .schedule(ctx.now + delay, Event::NodeStart(ctx.node));
    }

    /// The instance is terminated: the loop stops for good (pending wakes become stale) and
    /// every address it holds — its ENIs' IPs and prefixes (the primary ENI's own address is
    /// the instance's, returned by the caller), an ENI created but not yet in the
    /// datastore, ENIs never seen in IMDS, addresses on their way back to a subnet, and
    /// addresses whose release failed — returns to its subnet.
    pub fn terminate(&mut self, subnets: &mut [Subnet]) {
        self.dormant = None;
        self.gen += 1;
        let held = self.take_held();
        self.call_error = None;
        self.serving = false;
        self.homed.clear();
        for k in 0..self.conf.cards {
            for eni in self.datastore_mut(k).drain_enis() {
                let s = &mut subnets[eni.subnet.index()];
                if !eni.is_primary {
                    s.release_ip(eni.primary_ip);
                }
                eni.ips.iter().for_each(|slot| s.release_ip(slot.addr));
                eni.prefixes.iter().for_each(|p| s.release_prefix(p.base));
            }
        }
        let held = held.map(|h| match h {
            Held::New(e) | Held::Freeing(e) => e,
        });
        for e in self
            .carried
            .take()
            .into_iter()
            .chain(held)
            .chain(self.orphans.drain(..))
        {
            // address 0 = CreateNetworkInterface has not returned: nothing taken yet
            if e.primary_ip != 0 {
                let s = &mut subnets[e.subnet.index()];
                s.release_ip(e.primary_ip);
                e.prefixes.iter().for_each(|&p| s.release_prefix(p));
                e.ips.iter().for_each(|&a| s.release_ip(a));
            }
        }
        let r = &mut self.releasing;
        let s = &mut subnets[r.subnet.index()];
        r.ips.drain(..).for_each(|a| s.release_ip(a));
        r.prefixes.drain(..).for_each(|p| s.release_prefix(p));
        if let Some(v6) = self.v6.take() {
            subnets[self.conf.subnet.index()].release_v6_prefix(v6.prefix);
        }
        // addresses whose release failed: still on the (now deleted) ENIs in EC2
        for u in self.unreleased.drain(..) {
            let s = &mut subnets[u.subnet.index()];
            if u.prefix {
                s.release_prefix(u.addr);
            } else {
                s.release_ip(u.addr);
            }
        }
    }

    /// Stops the loop (the next wake finds it off) and returns the ENI its step, or the
    /// step of its call in flight, held.
    fn take_held(&mut self) -> Option<Held> {
        let step = std::mem::take(&mut self.step);
        let then = self.call.take().map(|c| c.then);
        step.into_held().or_else(|| then.and_then(Step::into_held))
    }

    /// The addresses of a finished release or delete go back to their subnet.
    pub(super) fn return_releasing(&mut self, ctx: &mut Ctx<'_>) {
        let r = &mut self.releasing;
        let subnet = ctx.subnet(r.subnet);
        for &a in &r.ips {
            subnet.release_ip(a);
        }
        for &p in &r.prefixes {
            subnet.release_prefix(p);
        }
        r.ips.clear();
        r.prefixes.clear();
    }
}

/// An ENI and the IPs or prefixes IMDS shows enter the datastore; `createTime` is now.
pub(super) fn add_new_eni(ds: &mut Datastore, e: NewEni, now: SimTime) {
    ds.add_eni(Eni::new(
        e.id,
        e.device_index,
        e.primary_ip,
        e.subnet,
        false,
        now,
    ));
    ds.add_ips(e.id, &e.ips);
    ds.add_prefixes(e.id, &e.prefixes);
}
