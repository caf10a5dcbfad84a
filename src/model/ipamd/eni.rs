//! ENI lifecycle: `tryAllocateENI` (§e.1) — subnets, create, attach, IMDS wait (§e.2),
//! `setupENI` — and `FreeENI` (§c.10): describe, detach, 2 s, delete; failures orphan or
//! leak the ENI as ipamd does.

use super::init::add_new_eni;
use super::{
    pool, Creating, Ctx, FreeThen, Freeing, Leaked, NewEni, NodeIpamd, Step, Unreleased,
    IMDS_MAX_ATTEMPTS, LEAK_CLEANUP_PERIOD, MISSING_FROM_IMDS_FOR,
};
use crate::model::ec2::{self, Response};
use crate::model::event::Event;
use crate::model::ids::{EniId, LeakedId, SubnetId};
use crate::model::record::{Draft, Ec2Error, Fact, InsufficientThen};
use crate::model::subnet::Subnet;
use crate::scenario::discovery::{self, Tags};
use crate::scenario::Ec2Action;
use crate::time::{SimDuration, SimTime};
use rand::Rng;

/// This node's leaked-ENI cleanup offset (µs): the real task starts 0–300 s after
/// aws-node (`awsutils.go:2294-2320`); drawn from a hash of (seed, node) so no stream is
/// disturbed.
fn leak_cleanup_offset_us(seed: u64, node: u32) -> u64 {
    let mut x = seed ^ (u64::from(node) << 32) ^ 0x9E37_79B9_7F4A_7C15;
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (x ^ (x >> 31)) % 300_000_000
}

/// What subnet discovery reads of a subnet.
fn tags(s: &Subnet) -> Tags<'_> {
    Tags {
        role_cni: s.role_cni,
        clusters: &s.cluster_tags,
    }
}

impl NodeIpamd {
    /// Subnets `CreateNetworkInterface` tries, in order (§e.1 step 3): the ENIConfig subnet
    /// with custom networking; with subnet discovery every subnet of the node's AZ that
    /// qualifies ([`discovery::valid_for_eni`]), most free addresses first; else the node's
    /// own subnet unless it is excluded ([`discovery::excluded`]). None: ipamd refuses.
    fn subnets_for_new_eni(&self, ctx: &Ctx<'_>, out: &mut Vec<SubnetId>) {
        out.clear();
        let own = self.conf.subnet;
        let az = &ctx.subnets[own.index()].az;
        if ctx.sc.cni.custom_network_cfg {
            out.extend(
                ctx.sc
                    .eniconfigs
                    .iter()
                    .find(|e| &e.az == az)
                    .map(|e| SubnetId::from_index(e.subnet)),
            );
            return;
        }
        let cluster = ctx.sc.cni.cluster_name.as_str();
        if !ctx.sc.cni.enable_subnet_discovery {
            let s = &ctx.subnets[own.index()];
            out.extend((!discovery::excluded(tags(s), cluster)).then_some(own));
            return;
        }
        out.extend(
            ctx.subnets
                .iter()
                .enumerate()
                .filter(|(i, s)| {
                    &s.az == az && discovery::valid_for_eni(tags(s), *i == own.index(), cluster)
                })
                .map(|(i, _)| SubnetId::from_index(i)),
        );
        out.sort_by_key(|&i| std::cmp::Reverse(ctx.subnets[i.index()].free()));
    }

    /// `hasRoomForEni` then `tryAllocateENI` (§c.6 step 5, §e.1).
    pub(super) fn alloc_eni(&mut self, ctx: &mut Ctx<'_>) {
        let max_eni = self.max_eni_of(self.card);
        if self.ds.enis().len() as u32 >= max_eni {
            if !self.at_max_eni {
                self.tick_active = true;
                self.at_max_eni = true;
                ctx.emit(Fact::MaxEni { limit: max_eni });
            }
            return self.increase_done(ctx);
        }
        let stats = self.ds.stats(ctx.now);
        let want = pool::new_eni_cidrs(stats, self.targets(), self.conf.cidrs_per_eni);
        if want == 0 {
            self.tick_active = true;
            self.last_pool_action = Some(ctx.now);
            return self.increase_done(ctx);
        }
        let mut subnets = std::mem::take(&mut self.subnets_to_try);
        self.subnets_for_new_eni(ctx, &mut subnets);
        self.subnets_to_try = subnets;
        let id = EniId(self.next_eni_id);
        self.next_eni_id += 1;
        let creating = Creating {
            eni: NewEni {
                id,
                card: self.card,
                ..NewEni::default()
            },
            to_allocate: want,
            next_subnet: 0,
            failed_ec2: false,
        };
        ctx.emit(Fact::CreateEni {
            eni: id,
            count: want,
            available: stats.available(),
            total: stats.total,
            prefixes: self.pd(),
        });
        if ctx.sc.cni.enable_subnet_discovery && !ctx.sc.cni.custom_network_cfg {
            let step = Step::SubnetsDescribed(creating);
            self.ec2_call(ctx, Ec2Action::DescribeSubnets, step)
        } else {
            self.create_next_subnet(ctx, creating)
        }
    }

    /// One `CreateNetworkInterface` in the next subnet to try.
    pub(super) fn create_next_subnet(&mut self, ctx: &mut Ctx<'_>, c: Creating) {
        if self.subnets_to_try.is_empty() {
            // no subnet qualifies: an error that is not insufficient addresses, no back-off
            ctx.emit(Fact::NoSubnetForEni { eni: c.eni.id });
            return self.increase_done(ctx);
        }
        if c.next_subnet >= self.subnets_to_try.len() {
            // every candidate failed: an insufficient-address last error starts the
            // back-off; an EC2 error (throttling) does not
            if c.failed_ec2 {
                return self.increase_done(ctx);
            }
            let error = if self.ds.pd {
                Ec2Error::InsufficientCidrBlocks
            } else {
                Ec2Error::InsufficientFreeAddressesInSubnet
            };
            self.insufficient(ctx, error, Ec2Action::CreateNetworkInterface, None);
            return self.increase_done(ctx);
        }
        self.ec2_call(ctx, Ec2Action::CreateNetworkInterface, Step::Created(c))
    }

    /// `CreateNetworkInterface` returned: EC2 takes the ENI's primary address and its IPs
    /// or prefixes from the subnet, all or nothing.
    pub(super) fn create_returned(&mut self, ctx: &mut Ctx<'_>, mut c: Creating) {
        let subnet = self.subnets_to_try[c.next_subnet];
        let want = c.to_allocate;
        let primary = ctx.subnet(subnet).allocate_ip();
        let result = match primary {
            None => Err(Ec2Error::InsufficientFreeAddressesInSubnet),
            Some(p) => self
                .take_from_subnet(ctx, subnet, want)
                .inspect_err(|_| {
                    ctx.subnet(subnet).release_ip(p);
                })
                .map(|()| p),
        };
        let primary = match result {
            Ok(p) => p,
            Err(error) => {
                self.counters
                    .error(Ec2Action::CreateNetworkInterface, error);
                ctx.emit(Fact::InsufficientAddresses {
                    action: Ec2Action::CreateNetworkInterface,
                    eni: None,
                    count: want,
                    subnet,
                    error,
                    then: InsufficientThen::NextSubnet,
                    prefixes: self.pd(),
                });
                c.next_subnet += 1;
                c.failed_ec2 = false;
                return self.create_next_subnet(ctx, c);
            }
        };
        let pd = self.ds.pd;
        let got = std::mem::take(&mut self.scratch);
        let mut e = c.eni;
        e.subnet = subnet;
        e.primary_ip = primary;
        if pd {
            e.prefixes.extend_from_slice(&got);
        } else {
            e.ips.extend_from_slice(&got);
        }
        self.scratch = got;
        let step = Step::InstancesDescribed(e);
        self.ec2_call(ctx, Ec2Action::DescribeInstances, step)
    }

    /// `DescribeInstances` returned: the lowest free device index.
    pub(super) fn instances_described(&mut self, ctx: &mut Ctx<'_>, mut e: NewEni) {
        // device indexes are per network card (`awsGetFreeDeviceNumber`, awsutils.go:930-973)
        let (orphans, card) = (&self.orphans, self.card);
        e.device_index = self.ds.lowest_free_device_index(|d| {
            orphans
                .iter()
                .any(|o| o.card == card && o.device_index == d)
        });
        self.ec2_call(ctx, Ec2Action::AttachNetworkInterface, Step::Attached(e))
    }

    /// `AttachNetworkInterface` returned: the ENI will show in IMDS after the IMDS delay
    /// (or much later, with the injected fault); then `ModifyNetworkInterfaceAttribute`.
    pub(super) fn attached(&mut self, ctx: &mut Ctx<'_>, mut e: NewEni) {
        if self.attach_exceeds_instance_limit() {
            let error = Ec2Error::AttachmentLimitExceeded;
            self.counters
                .error(Ec2Action::AttachNetworkInterface, error);
            return self.attach_failed(ctx, e, Ec2Error::AttachmentLimitExceeded);
        }
        let mut delay = ec2::draw(ctx.ec2.imds_delay(), &mut self.rng.imds);
        let p = ctx.sc.faults.eni_missing_from_imds;
        let missing = p > 0.0 && self.rng.imds.gen::<f64>() < p;
        if missing {
            delay = MISSING_FROM_IMDS_FOR;
        }
        e.attached = true;
        e.visible_at = ctx.now + delay;
        if missing {
            ctx.emit(Fact::EniMissingFromImds {
                eni: e.id,
                hidden_for: delay,
            });
        }
        let step = Step::Modified(e);
        self.ec2_call(ctx, Ec2Action::ModifyNetworkInterfaceAttribute, step)
    }

    /// `ModifyNetworkInterfaceAttribute` failed: the ENI is freed (detach + delete).
    pub(super) fn modify_failed(&mut self, ctx: &mut Ctx<'_>, eni: NewEni, error: Ec2Error) {
        let id = eni.id;
        let freeing = Freeing {
            eni,
            then: FreeThen::IncreaseDone,
        };
        self.emit_step_failure(
            ctx,
            Fact::IncreaseFailed {
                action: Ec2Action::ModifyNetworkInterfaceAttribute,
                eni: Some(id),
                count: None,
                error,
                prefixes: self.pd(),
            },
        );
        let step = Step::Detached(freeing);
        self.ec2_call(ctx, Ec2Action::DetachNetworkInterface, step)
    }

    /// EC2 refuses an attach beyond the instance's interface limit; datastore ENIs and
    /// orphans (attached but unknown to the pool) both occupy a slot.
    fn attach_exceeds_instance_limit(&self) -> bool {
        let card = self.card;
        let orphans = self.orphans.iter().filter(|o| o.card == card).count();
        self.ds.enis().len() + orphans >= self.instance_max_enis_of(card) as usize
    }

    /// Attach failed (the interface limit, or an EC2 error after the SDK's retries): the new
    /// ENI is deleted again, no back-off (`awsutils.go:984-992`).
    pub(super) fn attach_failed(&mut self, ctx: &mut Ctx<'_>, e: NewEni, error: Ec2Error) {
        ctx.emit(Fact::AttachFailed { eni: e.id, error });
        let step = Step::AttachFailedDeleted(e);
        self.ec2_call(ctx, Ec2Action::DeleteNetworkInterface, step)
    }

    /// `WaitForENIAndIPsAttached` (§e.2): poll IMDS on the 0.1 s × 2^k backoff with up to
    /// 15 % jitter; after 12 attempts the ENI is orphaned until reconcile adopts it.
    pub(super) fn imds_poll(&mut self, ctx: &mut Ctx<'_>, attempt: u8, e: NewEni) {
        if ctx.now >= e.visible_at {
            return if ctx.sc.cni.enable_subnet_discovery {
                self.ec2_call(ctx, Ec2Action::DescribeSubnets, Step::SetupDescribed(e))
            } else {
                self.setup_eni(ctx, e, false)
            };
        }
        if attempt >= IMDS_MAX_ATTEMPTS {
            let eni = e.id;
            self.orphans.push(e);
            ctx.emit(Fact::EniNotInImds { eni });
            return self.increase_done(ctx);
        }
        let base = (100_000u64 << (attempt - 1)).min(60_000_000);
        let jitter = self.rng.imds.gen_range(0..=base * 15 / 100);
        let step = Step::ImdsPoll {
            attempt: attempt + 1,
            eni: e,
        };
        self.sleep(ctx, SimDuration(base + jitter), step);
    }

    /// `setupENI`: the ENI and the IPs or prefixes IMDS shows enter the datastore;
    /// `createTime` starts now. `adopting`: reconcile adopts an orphan (else an increase
    /// created it).
    pub(super) fn setup_eni(&mut self, ctx: &mut Ctx<'_>, e: NewEni, adopting: bool) {
        let (id, count, card) = (e.id, e.ips.len() + e.prefixes.len(), e.card);
        add_new_eni(self.datastore_mut(card), e, ctx.now);
        self.last_pool_action = Some(ctx.now);
        self.clear_at_max_eni(card);
        self.enis_attached += 1;
        // an adopted ENI may be another card's than the one in hand
        let draft = Draft {
            card: (self.conf.cards > 1).then_some(card),
            ..ctx.draft(Fact::EniReady {
                eni: id,
                count: count as u32,
                adopted: adopting,
                prefixes: self.pd(),
            })
        };
        ctx.events.push(draft);
        if adopting {
            self.adopt_next_orphan(ctx)
        } else {
            self.increase_done(ctx)
        }
    }

    /// `tryFreeENI` found ENI `id` deletable: it leaves the datastore and `FreeENI` starts.
    pub(super) fn start_free(&mut self, ctx: &mut Ctx<'_>, id: EniId, then: FreeThen) {
        let Some(eni) = self.ds.remove_eni(id) else {
            return self.free_done(ctx, then);
        };
        let idle = eni.cidrs();
        let freeing = NewEni {
            id: eni.id,
            subnet: eni.subnet,
            device_index: eni.device_index,
            attached: true,
            primary_ip: eni.primary_ip,
            ips: eni.ips.iter().map(|s| s.addr).collect(),
            prefixes: eni.prefixes.iter().map(|p| p.base).collect(),
            visible_at: ctx.now,
            card: self.card,
        };
        let freeing = Freeing { eni: freeing, then };
        self.at_max_eni = false;
        self.enis_freed += 1;
        ctx.emit(Fact::FreeEni {
            eni: eni.id,
            idle,
            prefixes: self.pd(),
        });
        let step = Step::FreeDescribed(freeing);
        self.ec2_call(ctx, Ec2Action::DescribeNetworkInterfaces, step)
    }

    /// The ENI being freed returns its addresses to its subnet (delete succeeded).
    pub(super) fn release_freeing(&mut self, ctx: &mut Ctx<'_>, e: NewEni) {
        self.releasing.add_eni(&e);
        self.return_releasing(ctx);
    }

    /// The ENI being freed stays attached: reconcile will adopt it again.
    pub(super) fn orphan_freeing(
        &mut self,
        ctx: &mut Ctx<'_>,
        mut e: NewEni,
        action: Ec2Action,
        error: Ec2Error,
    ) {
        e.visible_at = ctx.now;
        let eni = e.id;
        self.orphans.push(e);
        ctx.emit(Fact::FreeFailed { eni, action, error });
    }

    /// The ENI being freed could not be deleted: it is leaked until the leaked-ENI cleanup
    /// (hourly per node, from a 0–300 s offset; ENIs at least 5 minutes old) deletes it.
    pub(super) fn leak_freeing(&mut self, ctx: &mut Ctx<'_>, e: NewEni) {
        let offset_us = leak_cleanup_offset_us(ctx.sc.seed, ctx.node.0);
        let due = ctx.now.micros() + 300_000_000;
        let period = LEAK_CLEANUP_PERIOD.micros();
        let k = due.saturating_sub(offset_us).div_ceil(period);
        let at = SimTime(offset_us + k * period);
        ctx.emit(Fact::EniLeaked {
            eni: e.id,
            cleanup_at: at,
        });
        let id = LeakedId::from_index(ctx.leaked.len());
        ctx.leaked.push(Leaked {
            node: ctx.node,
            eni: e,
        });
        ctx.queue.schedule(at, Event::LeakedEniCleanup(id));
    }

    /// The leaked-ENI cleanup deletes leaked ENI `id` (one `DeleteNetworkInterface`; if it
    /// is not answered OK the next hourly run tries again).
    pub fn leaked_cleanup(&mut self, ctx: &mut Ctx<'_>, id: LeakedId) {
        let e = &ctx.leaked[id.index()].eni;
        if e.primary_ip == 0 && e.ips.is_empty() && e.prefixes.is_empty() {
            return; // already cleaned up
        }
        let r = ctx.ec2.request(
            Ec2Action::DeleteNetworkInterface,
            ctx.now,
            &mut self.rng.ec2,
        );
        self.counters
            .call(Ec2Action::DeleteNetworkInterface, r.error());
        if !matches!(r, Response::Ok(_)) {
            let at = ctx.now + LEAK_CLEANUP_PERIOD;
            return ctx.queue.schedule(at, Event::LeakedEniCleanup(id));
        }
        let e = std::mem::take(&mut ctx.leaked[id.index()].eni);
        let subnet = ctx.subnet(e.subnet);
        subnet.release_ip(e.primary_ip);
        e.ips.iter().for_each(|&a| subnet.release_ip(a));
        e.prefixes.iter().for_each(|&p| subnet.release_prefix(p));
        ctx.emit(Fact::EniCleanedUp { eni: e.id });
    }

    /// After a free (or a failed setup's cleanup), continue where it was started.
    pub(super) fn free_done(&mut self, ctx: &mut Ctx<'_>, then: FreeThen) {
        match then {
            FreeThen::EndTick => self.end_tick(ctx),
            FreeThen::IncreaseDone => self.increase_done(ctx),
        }
    }

    /// A failed `UnassignPrivateIpAddresses`: the CIDRs left the datastore but stay on the
    /// ENI in EC2; reconcile re-adds them after its 60 s cooldown (§b.5).
    pub(super) fn keep_unreleased(&mut self, now: SimTime, eni: EniId) {
        let r = &mut self.releasing;
        let subnet = r.subnet;
        let list = &mut self.unreleased;
        let card = self.card;
        let entry = |addr, prefix| Unreleased {
            eni,
            addr,
            prefix,
            since: now,
            subnet,
            card,
        };
        list.extend(r.ips.drain(..).map(|a| entry(a, false)));
        list.extend(r.prefixes.drain(..).map(|p| entry(p, true)));
    }
}
