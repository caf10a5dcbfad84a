//! One node's ipamd: `nodeInit` and the pool-manager loop (spec §b, §c, §e, §g), as a state
//! machine driven by [`Event::IpamdWake`]. The loop is sequential: while an EC2 call or
//! an IMDS wait is in flight, no other pool decision happens on that node.

use super::datastore::{Eni, IpSlot};
use super::ec2;
use super::pool::{self, PoolStats};
use super::world::{Event, NodeIndex, World};
use crate::engine::EventQueue;
use crate::output::recorder::Recorder;
use crate::scenario::Ec2Action;
use crate::time::{SimDuration, SimTime};
use rand::Rng;

/// Half of the 5 s pool-manager period (`ipPoolMonitorInterval / 2`).
pub const HALF_PERIOD: SimDuration = SimDuration(2_500_000);
/// `decreaseIPPoolInterval`: minimum gap between releases.
pub const DECREASE_INTERVAL_US: u64 = 30_000_000;
/// `nodeIPPoolReconcileInterval`.
pub const RECONCILE_INTERVAL_US: u64 = 60_000_000;
/// `insufficientCidrErrorCooldown`.
pub const INSUFFICIENT_COOLDOWN_US: u64 = 120_000_000;
/// IMDS polls in `WaitForENIAndIPsAttached` (`maxENIEC2APIRetries`).
pub const IMDS_MAX_ATTEMPTS: u8 = 12;
/// Fixed sleep between detach and delete in `FreeENI`.
pub const DETACH_TO_DELETE: SimDuration = SimDuration(2_000_000);

/// What the loop is doing now, i.e. what the next wake continues.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Step {
    /// Not started (instance booting).
    #[default]
    Off,
    /// `DescribeNetworkInterfaces` of `nodeInit` returned.
    InitDescribed,
    /// The 2.5 s sleep before `updateIPPoolIfRequired` ended.
    PoolUpdate,
    /// The 2.5 s sleep before `nodeIPPoolReconcile` ended.
    Reconcile,
    /// `AssignPrivateIpAddresses` for `n` IPs on ENI `eni` returned (`retry` = the 1-IP retry).
    Assigned {
        /// ENI id.
        eni: u32,
        /// IPs requested.
        n: u32,
        /// This was the retry with 1.
        retry: bool,
    },
    /// `DescribeSubnets` before `CreateNetworkInterface` returned.
    SubnetsDescribed,
    /// `CreateNetworkInterface` returned.
    Created,
    /// `DescribeInstances` (device index) returned.
    InstancesDescribed,
    /// `AttachNetworkInterface` returned.
    Attached,
    /// `DeleteNetworkInterface` of an ENI whose attach failed returned.
    AttachFailedDeleted,
    /// `ModifyNetworkInterfaceAttribute` returned; IMDS polling starts.
    Modified,
    /// IMDS poll number `attempt` (1-based) is due.
    ImdsPoll {
        /// 1..=12.
        attempt: u8,
    },
    /// `DescribeSubnets` in `setupENI` returned.
    SetupDescribed,
    /// `UnassignPrivateIpAddresses` returned.
    Unassigned,
    /// `DescribeNetworkInterfaces` in `FreeENI` returned.
    FreeDescribed,
    /// `DetachNetworkInterface` returned.
    Detached,
    /// The 2 s sleep after detach ended.
    DetachSlept,
    /// `DeleteNetworkInterface` returned.
    Deleted,
    /// `DescribeNetworkInterfaces` while reconcile adopts an orphan ENI returned.
    AdoptDescribed,
}

/// Which routine an increase returns to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Caller {
    /// `nodeInit` pre-scaling.
    #[default]
    Init,
    /// A pool-manager tick.
    Tick,
}

/// An ENI being created, or attached but never seen in IMDS (an orphan).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewEni {
    /// Node-local id.
    pub id: u32,
    /// Device index (set by `DescribeInstances`).
    pub device_index: u32,
    /// The ENI's primary address.
    pub primary_ip: u32,
    /// Secondary IPs EC2 assigned at creation.
    pub ips: Vec<u32>,
    /// When it appears in IMDS.
    pub visible_at: SimTime,
}

/// The pool manager's state for one node.
#[derive(Clone, Debug, Default)]
pub struct Ipamd {
    /// Generation; a wake with another generation is stale.
    pub gen: u32,
    /// What the next wake continues.
    pub step: Step,
    /// `lastNodeIPPoolAction`.
    pub last_pool_action: Option<SimTime>,
    /// `lastDecreaseIPPool`.
    pub last_decrease: Option<SimTime>,
    /// `lastInsufficientCidrError`.
    pub last_insufficient: Option<SimTime>,
    /// Who the running increase returns to.
    caller: Caller,
    /// `shouldRemoveExtraENIs` on this tick's pre-action snapshot.
    remove_extra: bool,
    /// A decrease ran this tick.
    decreased: bool,
    /// IPs the running increase wants (`toAllocate`).
    to_allocate: u32,
    /// Candidate ENI ids for the running increase, and the next one to try.
    candidates: Vec<u32>,
    next_candidate: usize,
    /// Decrease: IPs still over, ENI visit order and position.
    over: u32,
    visit_rot: u32,
    visit_pos: u32,
    visit_len: u32,
    /// Addresses on their way back to the subnet (release or delete in flight).
    releasing: Vec<u32>,
    /// The ENI being created or adopted.
    new_eni: Option<NewEni>,
    /// ENIs attached but never seen in IMDS, until reconcile adopts them.
    pub orphans: Vec<NewEni>,
    /// Next node-local ENI id.
    next_eni_id: u32,
    /// Reusable buffer for addresses being added.
    scratch: Vec<u32>,
    /// "max ENI limit reached" already reported (until the ENI count changes).
    max_eni_reported: bool,
    /// An insufficient-address cooldown already reported.
    cooldown_reported: bool,
}

impl<R: Recorder> World<R> {
    fn ipamd_sleep(
        &mut self,
        now: SimTime,
        node: NodeIndex,
        d: SimDuration,
        step: Step,
        queue: &mut EventQueue<Event>,
    ) {
        let ip = &mut self.nodes[node as usize].ipamd;
        ip.step = step;
        queue.schedule(now + d, Event::IpamdWake { node, gen: ip.gen });
    }

    fn ec2_call(
        &mut self,
        now: SimTime,
        node: NodeIndex,
        action: Ec2Action,
        step: Step,
        queue: &mut EventQueue<Event>,
    ) {
        let d = self.ec2.call(action);
        self.ipamd_sleep(now, node, d, step, queue);
    }

    fn stats(&self, node: NodeIndex, now: SimTime) -> PoolStats {
        self.nodes[node as usize].ds.stats(now)
    }

    fn ips_per_eni(&self, node: NodeIndex) -> u32 {
        let g = self.nodes[node as usize].group as usize;
        self.sc.nodegroups[g].instance_type.ipv4_per_eni - 1
    }

    fn max_eni(&self, node: NodeIndex) -> u32 {
        let g = self.nodes[node as usize].group as usize;
        pool::effective_max_eni(
            self.sc.cni.max_eni,
            self.sc.nodegroups[g].instance_type.max_enis,
        )
    }

    /// `nodeInit` starts: one `DescribeNetworkInterfaces` (with the IMDS read of `DescribeAllENIs`).
    pub(crate) fn on_node_start(
        &mut self,
        now: SimTime,
        node: NodeIndex,
        queue: &mut EventQueue<Event>,
    ) {
        let ip = &mut self.nodes[node as usize].ipamd;
        ip.caller = Caller::Init;
        ip.next_eni_id = 1;
        self.event(now, node, "ipamd_start", format_args!("nodeInit"));
        self.ec2_call(
            now,
            node,
            Ec2Action::DescribeNetworkInterfaces,
            Step::InitDescribed,
            queue,
        );
    }

    pub(crate) fn on_ipamd_wake(
        &mut self,
        now: SimTime,
        node: NodeIndex,
        queue: &mut EventQueue<Event>,
    ) {
        let step = self.nodes[node as usize].ipamd.step;
        match step {
            Step::Off => {}
            Step::InitDescribed => self.init_adopt_primary(now, node, queue),
            Step::PoolUpdate => self.pool_update(now, node, queue),
            Step::Reconcile => self.reconcile(now, node, queue),
            Step::Assigned { eni, n, retry } => {
                self.assign_returned(now, node, eni, n, retry, queue)
            }
            Step::SubnetsDescribed => self.ec2_call(
                now,
                node,
                Ec2Action::CreateNetworkInterface,
                Step::Created,
                queue,
            ),
            Step::Created => self.create_returned(now, node, queue),
            Step::InstancesDescribed => {
                let n = &mut self.nodes[node as usize];
                let orphans = &n.ipamd.orphans;
                let dev =
                    n.ds.lowest_free_device_index(|d| orphans.iter().any(|o| o.device_index == d));
                if let Some(e) = n.ipamd.new_eni.as_mut() {
                    e.device_index = dev;
                }
                self.ec2_call(
                    now,
                    node,
                    Ec2Action::AttachNetworkInterface,
                    Step::Attached,
                    queue,
                )
            }
            Step::Attached => {
                if self.attach_exceeds_instance_limit(node) {
                    return self.attach_failed(now, node, queue);
                }
                let delay = ec2::draw(self.ec2.imds_delay(), &mut self.imds_rng);
                if let Some(e) = self.nodes[node as usize].ipamd.new_eni.as_mut() {
                    e.visible_at = now + delay;
                }
                self.ec2_call(
                    now,
                    node,
                    Ec2Action::ModifyNetworkInterfaceAttribute,
                    Step::Modified,
                    queue,
                )
            }
            Step::AttachFailedDeleted => {
                self.return_releasing(node);
                self.increase_done(now, node, queue)
            }
            Step::Modified => self.imds_poll(now, node, 1, queue),
            Step::ImdsPoll { attempt } => self.imds_poll(now, node, attempt, queue),
            Step::SetupDescribed => self.setup_eni(now, node, queue),
            Step::Unassigned => {
                self.return_releasing(node);
                self.decrease_next_eni(now, node, queue);
            }
            Step::FreeDescribed => self.ec2_call(
                now,
                node,
                Ec2Action::DetachNetworkInterface,
                Step::Detached,
                queue,
            ),
            Step::Detached => {
                self.ipamd_sleep(now, node, DETACH_TO_DELETE, Step::DetachSlept, queue)
            }
            Step::DetachSlept => self.ec2_call(
                now,
                node,
                Ec2Action::DeleteNetworkInterface,
                Step::Deleted,
                queue,
            ),
            Step::Deleted => {
                self.return_releasing(node);
                self.end_tick(now, node, queue);
            }
            Step::AdoptDescribed => self.setup_eni(now, node, queue),
        }
    }

    fn return_releasing(&mut self, node: NodeIndex) {
        let n = &mut self.nodes[node as usize];
        let subnet = &mut self.subnets[n.subnet as usize];
        for &a in &n.ipamd.releasing {
            subnet.release(a);
        }
        n.ipamd.releasing.clear();
    }

    /// `nodeInit` step 4: the primary ENI enters the datastore; then pre-scaling (§g.8).
    fn init_adopt_primary(&mut self, now: SimTime, node: NodeIndex, queue: &mut EventQueue<Event>) {
        let n = &mut self.nodes[node as usize];
        let primary_ip = n.primary_ip.expect("started nodes have a primary IP");
        let id = n.ipamd.next_eni_id;
        n.ipamd.next_eni_id += 1;
        n.ds.add_eni(Eni {
            id,
            device_index: 0,
            primary_ip,
            is_primary: true,
            create_time: now,
            ips: Vec::new(),
        });
        let stats = self.stats(node, now);
        let max_pods = self.nodes[node as usize].max_pods;
        if pool::is_too_low(stats, self.targets, self.ips_per_eni(node), max_pods) {
            self.nodes[node as usize].ipamd.caller = Caller::Init;
            self.increase(now, node, stats, queue);
        } else {
            self.init_done(now, node, queue);
        }
    }

    /// `nodeInit` returns: the node becomes Ready and the loop starts (first tick 2.5 s later).
    fn init_done(&mut self, now: SimTime, node: NodeIndex, queue: &mut EventQueue<Event>) {
        let d = HALF_PERIOD + self.sc.ipamd.tick_overhead;
        self.ipamd_sleep(now, node, d, Step::PoolUpdate, queue);
        self.node_ready(now, node, queue);
    }

    /// `updateIPPoolIfRequired` (§b.4).
    fn pool_update(&mut self, now: SimTime, node: NodeIndex, queue: &mut EventQueue<Event>) {
        let stats = self.stats(node, now);
        let m_ip = self.ips_per_eni(node);
        let max_pods = self.nodes[node as usize].max_pods;
        let t = self.targets;
        let ip = &mut self.nodes[node as usize].ipamd;
        ip.caller = Caller::Tick;
        ip.decreased = false;
        ip.remove_extra = pool::should_remove_extra_enis(stats, t, m_ip);
        let skip_decrease = ip
            .last_decrease
            .is_some_and(|d| now.since(d).micros() <= DECREASE_INTERVAL_US);
        if pool::is_too_low(stats, t, m_ip, max_pods) {
            self.increase(now, node, stats, queue);
        } else if pool::is_too_high(stats, t) && !skip_decrease {
            self.decrease(now, node, stats, queue);
        } else {
            self.free_eni_phase(now, node, queue);
        }
    }

    /// `increaseDatastorePool` (§c.6) for SIP.
    fn increase(
        &mut self,
        now: SimTime,
        node: NodeIndex,
        stats: PoolStats,
        queue: &mut EventQueue<Event>,
    ) {
        let ip = &mut self.nodes[node as usize].ipamd;
        if let Some(last) = ip.last_insufficient {
            if now.since(last).micros() <= INSUFFICIENT_COOLDOWN_US {
                return self.increase_done(now, node, queue);
            }
        }
        ip.cooldown_reported = false;
        let m_ip = self.ips_per_eni(node);
        match pool::ips_to_allocate(stats, self.targets, m_ip) {
            None => self.alloc_eni(now, node, queue),
            Some(want) => {
                let rot = self.map_order();
                let n = &mut self.nodes[node as usize];
                n.ipamd.to_allocate = want;
                n.ipamd.next_candidate = 0;
                let mut cands = std::mem::take(&mut n.ipamd.candidates);
                n.ds.allocatable(m_ip, rot, &mut cands);
                n.ipamd.candidates = cands;
                self.try_next_candidate(now, node, queue);
            }
        }
    }

    /// `tryAssignIPs` (§c.7): fill the next candidate ENI, or fall through to a new ENI.
    fn try_next_candidate(&mut self, now: SimTime, node: NodeIndex, queue: &mut EventQueue<Event>) {
        let m_ip = self.ips_per_eni(node);
        let n = &self.nodes[node as usize];
        let ip = &n.ipamd;
        let Some(&eni) = ip.candidates.get(ip.next_candidate) else {
            return self.alloc_eni(now, node, queue);
        };
        let idx = n.ds.position(eni).expect("candidate ENI exists");
        let have = n.ds.enis[idx].ips.len() as u32;
        let want = (m_ip - have).min(ip.to_allocate).min(m_ip);
        self.ec2_call(
            now,
            node,
            Ec2Action::AssignPrivateIpAddresses,
            Step::Assigned {
                eni,
                n: want,
                retry: false,
            },
            queue,
        );
    }

    fn assign_returned(
        &mut self,
        now: SimTime,
        node: NodeIndex,
        eni: u32,
        want: u32,
        retry: bool,
        queue: &mut EventQueue<Event>,
    ) {
        let subnet_idx = self.nodes[node as usize].subnet as usize;
        if self.subnets[subnet_idx].free() >= want {
            let n = &mut self.nodes[node as usize];
            let mut got = std::mem::take(&mut n.ipamd.scratch);
            got.clear();
            for _ in 0..want {
                got.push(self.subnets[subnet_idx].allocate().expect("checked free"));
            }
            let idx = n.ds.position(eni).expect("ENI exists");
            n.ds.add_ips(idx, &got);
            n.ipamd.scratch = got;
            n.ipamd.last_pool_action = Some(now);
            let s = n.ds.stats(now);
            self.event(
                now,
                node,
                "assign_ips",
                format_args!(
                    "eni-{eni} +{want} (total={} assigned={})",
                    s.total, s.assigned
                ),
            );
            return self.increase_done(now, node, queue);
        }
        let sn = self.subnets[subnet_idx].name.clone();
        if !retry {
            self.event(
                now,
                node,
                "insufficient_addresses",
                format_args!("AssignPrivateIpAddresses eni-{eni} +{want} failed: InsufficientFreeAddressesInSubnet in {sn}; retrying with 1"),
            );
            return self.ec2_call(
                now,
                node,
                Ec2Action::AssignPrivateIpAddresses,
                Step::Assigned {
                    eni,
                    n: 1,
                    retry: true,
                },
                queue,
            );
        }
        if self.sc.cni.enable_subnet_discovery {
            // §e.6: with subnet discovery the ENI is skipped, no cooldown.
            self.event(
                now,
                node,
                "insufficient_addresses",
                format_args!("eni-{eni} skipped: subnet {sn} has no free address (subnet discovery on: no back-off)"),
            );
            self.nodes[node as usize].ipamd.next_candidate += 1;
            self.try_next_candidate(now, node, queue)
        } else {
            self.insufficient(now, node, format_args!("AssignPrivateIpAddresses in {sn}"));
            self.increase_done(now, node, queue)
        }
    }

    fn insufficient(&mut self, now: SimTime, node: NodeIndex, what: std::fmt::Arguments<'_>) {
        self.nodes[node as usize].ipamd.last_insufficient = Some(now);
        self.event(
            now,
            node,
            "insufficient_cooldown",
            format_args!("{what} failed: InsufficientFreeAddressesInSubnet; no increase for 120s"),
        );
    }

    /// `hasRoomForEni` then `tryAllocateENI` (§c.6 step 5, §e.1).
    fn alloc_eni(&mut self, now: SimTime, node: NodeIndex, queue: &mut EventQueue<Event>) {
        let max_eni = self.max_eni(node);
        let enis = self.nodes[node as usize].ds.enis.len() as u32;
        if enis >= max_eni {
            if !self.nodes[node as usize].ipamd.max_eni_reported {
                self.nodes[node as usize].ipamd.max_eni_reported = true;
                self.event(
                    now,
                    node,
                    "max_eni",
                    format_args!("max ENI limit reached ({max_eni}): pool cannot grow"),
                );
            }
            return self.increase_done(now, node, queue);
        }
        let stats = self.stats(node, now);
        let want = pool::new_eni_ips(stats, self.targets, self.ips_per_eni(node));
        if want == 0 {
            self.nodes[node as usize].ipamd.last_pool_action = Some(now);
            return self.increase_done(now, node, queue);
        }
        let n = &mut self.nodes[node as usize];
        let id = n.ipamd.next_eni_id;
        n.ipamd.next_eni_id += 1;
        n.ipamd.new_eni = Some(NewEni {
            id,
            ips: Vec::with_capacity(want as usize),
            ..NewEni::default()
        });
        n.ipamd.to_allocate = want;
        self.event(
            now,
            node,
            "create_eni",
            format_args!(
                "eni-{id} +{want} (available={} total={})",
                stats.available(),
                stats.total
            ),
        );
        if self.sc.cni.enable_subnet_discovery {
            self.ec2_call(
                now,
                node,
                Ec2Action::DescribeSubnets,
                Step::SubnetsDescribed,
                queue,
            )
        } else {
            self.ec2_call(
                now,
                node,
                Ec2Action::CreateNetworkInterface,
                Step::Created,
                queue,
            )
        }
    }

    /// EC2 refuses an attach beyond the instance's interface limit; datastore ENIs and
    /// orphans (attached but unknown to the pool) both occupy a slot.
    fn attach_exceeds_instance_limit(&self, node: NodeIndex) -> bool {
        let n = &self.nodes[node as usize];
        let limit = self.sc.nodegroups[n.group as usize].instance_type.max_enis as usize;
        n.ds.enis.len() + n.ipamd.orphans.len() >= limit
    }

    /// Attach failed (AttachmentLimitExceeded): the new ENI is deleted again, no cooldown
    /// (`awsutils.go:984-992`).
    fn attach_failed(&mut self, now: SimTime, node: NodeIndex, queue: &mut EventQueue<Event>) {
        let n = &mut self.nodes[node as usize];
        let e = n.ipamd.new_eni.take().expect("attaching");
        n.ipamd.releasing.clear();
        n.ipamd.releasing.push(e.primary_ip);
        n.ipamd.releasing.extend_from_slice(&e.ips);
        self.event(
            now,
            node,
            "attach_failed",
            format_args!(
                "eni-{}: AttachmentLimitExceeded (instance interface limit); deleting it",
                e.id
            ),
        );
        self.ec2_call(
            now,
            node,
            Ec2Action::DeleteNetworkInterface,
            Step::AttachFailedDeleted,
            queue,
        )
    }

    fn create_returned(&mut self, now: SimTime, node: NodeIndex, queue: &mut EventQueue<Event>) {
        let n = &mut self.nodes[node as usize];
        let want = n.ipamd.to_allocate;
        let subnet = &mut self.subnets[n.subnet as usize];
        if subnet.free() < want + 1 {
            let sn = subnet.name.clone();
            n.ipamd.new_eni = None;
            self.insufficient(now, node, format_args!("CreateNetworkInterface in {sn}"));
            return self.increase_done(now, node, queue);
        }
        let e = n.ipamd.new_eni.as_mut().expect("creating");
        e.primary_ip = subnet.allocate().expect("checked");
        for _ in 0..want {
            e.ips.push(subnet.allocate().expect("checked"));
        }
        self.ec2_call(
            now,
            node,
            Ec2Action::DescribeInstances,
            Step::InstancesDescribed,
            queue,
        )
    }

    /// `WaitForENIAndIPsAttached` (§e.2): poll IMDS on the 0.1 s × 2^k backoff with up to
    /// 15 % jitter; after 12 attempts the ENI is orphaned until reconcile adopts it.
    fn imds_poll(
        &mut self,
        now: SimTime,
        node: NodeIndex,
        attempt: u8,
        queue: &mut EventQueue<Event>,
    ) {
        let visible_at = self.nodes[node as usize]
            .ipamd
            .new_eni
            .as_ref()
            .expect("waiting")
            .visible_at;
        if now >= visible_at {
            return if self.sc.cni.enable_subnet_discovery {
                self.ec2_call(
                    now,
                    node,
                    Ec2Action::DescribeSubnets,
                    Step::SetupDescribed,
                    queue,
                )
            } else {
                self.setup_eni(now, node, queue)
            };
        }
        if attempt >= IMDS_MAX_ATTEMPTS {
            let e = self.nodes[node as usize]
                .ipamd
                .new_eni
                .take()
                .expect("waiting");
            let id = e.id;
            self.nodes[node as usize].ipamd.orphans.push(e);
            self.event(
                now,
                node,
                "eni_not_in_imds",
                format_args!("eni-{id} not seen in IMDS after 12 polls: attached but unused until reconcile adopts it"),
            );
            return self.increase_done(now, node, queue);
        }
        let base = (100_000u64 << (attempt - 1)).min(60_000_000);
        let jitter = self.imds_rng.gen_range(0..=base * 15 / 100);
        self.ipamd_sleep(
            now,
            node,
            SimDuration(base + jitter),
            Step::ImdsPoll {
                attempt: attempt + 1,
            },
            queue,
        );
    }

    /// `setupENI`: the ENI and the IPs IMDS shows enter the datastore; `createTime` starts now.
    fn setup_eni(&mut self, now: SimTime, node: NodeIndex, queue: &mut EventQueue<Event>) {
        let n = &mut self.nodes[node as usize];
        let e = n.ipamd.new_eni.take().expect("setting up");
        let count = e.ips.len();
        n.ds.add_eni(Eni {
            id: e.id,
            device_index: e.device_index,
            primary_ip: e.primary_ip,
            is_primary: false,
            create_time: now,
            ips: e
                .ips
                .iter()
                .map(|&addr| IpSlot {
                    addr,
                    pod: None,
                    unassigned_at: None,
                })
                .collect(),
        });
        n.ipamd.last_pool_action = Some(now);
        n.ipamd.max_eni_reported = false;
        let adopting = n.ipamd.step == Step::AdoptDescribed;
        self.event(
            now,
            node,
            if adopting { "eni_adopted" } else { "eni_ready" },
            format_args!("eni-{} ips={count}", e.id),
        );
        if adopting {
            self.adopt_next_orphan(now, node, queue)
        } else {
            self.increase_done(now, node, queue)
        }
    }

    fn increase_done(&mut self, now: SimTime, node: NodeIndex, queue: &mut EventQueue<Event>) {
        match self.nodes[node as usize].ipamd.caller {
            Caller::Init => self.init_done(now, node, queue),
            Caller::Tick => self.free_eni_phase(now, node, queue),
        }
    }

    /// `decreaseDatastorePool` (§c.11): release `over` unassigned IPs, ENI by ENI.
    fn decrease(
        &mut self,
        now: SimTime,
        node: NodeIndex,
        stats: PoolStats,
        queue: &mut EventQueue<Event>,
    ) {
        let over = pool::target_state(stats, self.targets).map_or(0, |(_, o)| o);
        let rot = self.map_order();
        let n = &mut self.nodes[node as usize];
        let len = n.ds.enis.len() as u32;
        let ip = &mut n.ipamd;
        ip.decreased = true;
        ip.over = over;
        ip.visit_rot = rot;
        ip.visit_pos = 0;
        ip.visit_len = len;
        self.decrease_next_eni(now, node, queue);
    }

    fn decrease_next_eni(&mut self, now: SimTime, node: NodeIndex, queue: &mut EventQueue<Event>) {
        loop {
            let ip_rot = self.map_order();
            let n = &mut self.nodes[node as usize];
            let ip = &mut n.ipamd;
            if ip.over == 0 || ip.visit_pos >= ip.visit_len || n.ds.enis.is_empty() {
                return self.free_eni_phase(now, node, queue);
            }
            let idx = ((ip.visit_rot as usize) + ip.visit_pos as usize) % n.ds.enis.len();
            ip.visit_pos += 1;
            let mut out = std::mem::take(&mut ip.releasing);
            let taken = n.ds.take_freeable(idx, ip.over, ip_rot, &mut out);
            n.ipamd.releasing = out;
            if taken > 0 {
                n.ipamd.over -= taken;
                let eni = n.ds.enis[idx].id;
                let s = n.ds.stats(now);
                self.event(
                    now,
                    node,
                    "unassign_ips",
                    format_args!(
                        "eni-{eni} -{taken} (total={} assigned={})",
                        s.total, s.assigned
                    ),
                );
                return self.ec2_call(
                    now,
                    node,
                    Ec2Action::UnassignPrivateIpAddresses,
                    Step::Unassigned,
                    queue,
                );
            }
        }
    }

    /// `tryFreeENI` (§c.10), if this tick's pre-action snapshot asked for it.
    fn free_eni_phase(&mut self, now: SimTime, node: NodeIndex, queue: &mut EventQueue<Event>) {
        if !self.nodes[node as usize].ipamd.remove_extra {
            return self.end_tick(now, node, queue);
        }
        self.nodes[node as usize].ipamd.remove_extra = false;
        let rot = self.map_order();
        let t = self.targets;
        let n = &mut self.nodes[node as usize];
        let Some(idx) = n.ds.deletable_eni(now, t, rot) else {
            return self.end_tick(now, node, queue);
        };
        let eni = n.ds.enis.remove(idx);
        n.ipamd.releasing.clear();
        n.ipamd.releasing.push(eni.primary_ip);
        n.ipamd.releasing.extend(eni.ips.iter().map(|s| s.addr));
        n.ipamd.max_eni_reported = false;
        self.event(
            now,
            node,
            "free_eni",
            format_args!("eni-{} with {} idle IPs", eni.id, eni.ips.len()),
        );
        self.ec2_call(
            now,
            node,
            Ec2Action::DescribeNetworkInterfaces,
            Step::FreeDescribed,
            queue,
        )
    }

    /// End of `updateIPPoolIfRequired`; sleep 2.5 s, then the reconcile check.
    fn end_tick(&mut self, now: SimTime, node: NodeIndex, queue: &mut EventQueue<Event>) {
        let ip = &mut self.nodes[node as usize].ipamd;
        if ip.decreased {
            ip.decreased = false;
            ip.last_decrease = Some(now);
            ip.last_pool_action = Some(now);
        }
        let d = HALF_PERIOD + self.sc.ipamd.tick_overhead;
        self.ipamd_sleep(now, node, d, Step::Reconcile, queue);
    }

    /// `nodeIPPoolReconcile` (§b.5): runs only if no pool action for more than 60 s. With a
    /// consistent EC2 and IMDS it only adopts orphaned ENIs.
    fn reconcile(&mut self, now: SimTime, node: NodeIndex, queue: &mut EventQueue<Event>) {
        let ip = &self.nodes[node as usize].ipamd;
        let due = ip
            .last_pool_action
            .is_none_or(|t| now.since(t).micros() > RECONCILE_INTERVAL_US);
        if due {
            return self.adopt_next_orphan(now, node, queue);
        }
        self.reconcile_done(now, node, queue);
    }

    fn adopt_next_orphan(&mut self, now: SimTime, node: NodeIndex, queue: &mut EventQueue<Event>) {
        let n = &mut self.nodes[node as usize];
        let visible = n.ipamd.orphans.iter().position(|o| o.visible_at <= now);
        match visible {
            Some(i) if (n.ds.enis.len() as u32) < u32::MAX => {
                let e = n.ipamd.orphans.remove(i);
                n.ipamd.new_eni = Some(e);
                self.ec2_call(
                    now,
                    node,
                    Ec2Action::DescribeNetworkInterfaces,
                    Step::AdoptDescribed,
                    queue,
                )
            }
            _ => {
                self.nodes[node as usize].ipamd.last_pool_action = Some(now);
                self.reconcile_done(now, node, queue)
            }
        }
    }

    fn reconcile_done(&mut self, now: SimTime, node: NodeIndex, queue: &mut EventQueue<Event>) {
        let d = HALF_PERIOD + self.sc.ipamd.tick_overhead;
        self.ipamd_sleep(now, node, d, Step::PoolUpdate, queue);
    }
}
