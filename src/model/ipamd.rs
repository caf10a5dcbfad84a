//! One node's ipamd: `nodeInit` and the pool-manager loop (spec §b, §c, §e, §g), as a state
//! machine driven by [`Event::IpamdWake`]. The loop is sequential: while an EC2 call or
//! an IMDS wait is in flight, no other pool decision happens on that node.

use super::datastore::Eni;
use super::ec2::{self, Response};
use super::ids::{EniId, SubnetId};
use super::pool::{self, PoolStats};
use super::record::{Ec2Error, Fact, GrowthBlocker, InsufficientThen, Recorder, RestartReason};
use super::world::{Event, NodeIndex, World};
use crate::engine::EventQueue;
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
/// How long an ENI hit by the "missing from IMDS" fault stays invisible: longer than
/// ipamd's whole wait (about 162–187 s), so reconcile adopts it later.
pub const MISSING_FROM_IMDS_FOR: SimDuration = SimDuration(200_000_000);

/// This node's leaked-ENI cleanup offset: the real task starts 0–300 s after aws-node
/// (`awsutils.go:2294-2320`); drawn from a hash of (seed, node) so no stream is disturbed.
fn leak_cleanup_offset_us(seed: u64, node: NodeIndex) -> u64 {
    let mut x = seed ^ (u64::from(node) << 32) ^ 0x9E37_79B9_7F4A_7C15;
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (x ^ (x >> 31)) % 300_000_000
}

/// First restart delay of a crashed aws-node container (kubelet CrashLoopBackOff: 10 s,
/// doubling, at most 5 minutes).
pub const RESTART_BACKOFF: SimDuration = SimDuration(10_000_000);
/// Longest CrashLoopBackOff delay.
pub const RESTART_BACKOFF_MAX: SimDuration = SimDuration(300_000_000);

/// What the loop is doing now, i.e. what the next wake continues.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Step {
    /// Not started (instance booting) or stopped.
    #[default]
    Off,
    /// `DescribeNetworkInterfaces` of `nodeInit` returned.
    InitDescribed,
    /// The 2.5 s sleep before `updateIPPoolIfRequired` ended.
    PoolUpdate,
    /// The 2.5 s sleep before `nodeIPPoolReconcile` ended.
    Reconcile,
    /// `AssignPrivateIpAddresses` for `n` IPs or prefixes on ENI `eni` returned
    /// (`retry` = the 1-CIDR retry).
    Assigned {
        /// ENI id.
        eni: u32,
        /// IPs or prefixes requested.
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
    /// The SDK's backoff before the next attempt of the call in flight ended.
    Retry,
    /// ipamd's own backoff before calling again (init describe, detach, delete retries).
    Recall(Ec2Action, StepAfter),
}

/// Where a re-issued call returns to (ipamd-level retries).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepAfter {
    /// `nodeInit`'s `DescribeNetworkInterfaces`.
    InitDescribed,
    /// `FreeENI`'s `DetachNetworkInterface`.
    Detached,
    /// `FreeENI`'s `DeleteNetworkInterface`.
    Deleted,
}

impl StepAfter {
    fn step(self) -> Step {
        match self {
            StepAfter::InitDescribed => Step::InitDescribed,
            StepAfter::Detached => Step::Detached,
            StepAfter::Deleted => Step::Deleted,
        }
    }
}

/// An EC2 call in flight through the SDK's standard retryer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Call {
    action: Ec2Action,
    attempt: u32,
    then: Step,
}

/// After a failed attach or modify, or a normal free: where the detach/delete sequence
/// returns to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum FreeThen {
    /// A tick's `tryFreeENI`: end the tick.
    #[default]
    EndTick,
    /// An ENI that could not be set up: the increase is over.
    IncreaseDone,
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
    /// Subnet it was created in.
    pub subnet: u32,
    /// Device index (set by `DescribeInstances`).
    pub device_index: u32,
    /// Attached to the instance.
    pub attached: bool,
    /// The ENI's primary address.
    pub primary_ip: u32,
    /// Secondary IPs EC2 assigned at creation.
    pub ips: Vec<u32>,
    /// Prefixes (base addresses) EC2 assigned at creation.
    pub prefixes: Vec<u32>,
    /// When it appears in IMDS.
    pub visible_at: SimTime,
}

/// Addresses on their way back to a subnet (a release or delete in flight).
#[derive(Clone, Debug, Default)]
struct Releasing {
    subnet: u32,
    ips: Vec<u32>,
    prefixes: Vec<u32>,
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
    /// `lastInsufficientCidrError`, and which EC2 error set it.
    pub last_insufficient: Option<(SimTime, Ec2Error)>,
    /// "max ENI limit reached" already reported (until the ENI count changes); also the
    /// reason pods wait when set.
    pub at_max_eni: bool,
    /// ENIs attached but never seen in IMDS, until reconcile adopts them.
    pub orphans: Vec<NewEni>,
    /// Times aws-node restarted (CrashLoopBackOff doubling).
    pub restarts: u32,
    /// ipamd's gRPC server answers CNI ADDs (after `nodeInit`, until a restart).
    pub serving: bool,
    /// Last throttled request of this node and when.
    pub last_throttled: Option<(SimTime, Ec2Action)>,
    /// CIDRs removed from the datastore whose `UnassignPrivateIpAddresses` failed: still on
    /// the ENI in EC2, re-added by reconcile 60 s later. `(eni id, address or prefix base,
    /// prefix, when, subnet)`.
    pub unreleased: Vec<(u32, u32, bool, SimTime, u32)>,
    call: Option<Call>,
    call_error: Option<Ec2Error>,
    releasing_eni: u32,
    retry_quota: u32,
    retry_cost_in_flight: u32,
    ipamd_tries: u32,
    free_then: FreeThen,
    freeing: Option<NewEni>,
    /// The last `CreateNetworkInterface` of this increase failed with an EC2 error
    /// (throttling, server error) rather than insufficient addresses.
    create_failed_ec2: bool,
    caller: Caller,
    remove_extra: bool,
    decreased: bool,
    to_allocate: u32,
    candidates: Vec<u32>,
    next_candidate: usize,
    subnets_to_try: Vec<u32>,
    next_subnet: usize,
    over: u32,
    visit_rot: u32,
    visit_pos: u32,
    visit_len: u32,
    releasing: Releasing,
    scratch: Vec<u32>,
    new_eni: Option<NewEni>,
    next_eni_id: u32,
}

impl Ipamd {
    /// What blocks pool growth at `now`, for `no_ip` events: the insufficient-address
    /// back-off, the ENI limit, or a throttled EC2 request in the last 30 s.
    pub fn growth_blocker(&self, now: SimTime) -> Option<GrowthBlocker> {
        if let Some(cause) = self.backoff_cause(now) {
            return Some(GrowthBlocker::Backoff(cause));
        }
        if self.at_max_eni {
            return Some(GrowthBlocker::MaxEni);
        }
        if !self.serving {
            return Some(GrowthBlocker::NotServing);
        }
        self.last_throttled
            .filter(|(t, _)| now.since(*t).micros() <= 30_000_000)
            .map(|(_, a)| GrowthBlocker::Throttled(a))
    }

    /// Whether increases are blocked by the insufficient-address back-off at `now`, and by
    /// which EC2 error.
    pub fn backoff_cause(&self, now: SimTime) -> Option<Ec2Error> {
        self.last_insufficient
            .filter(|(t, _)| now.since(*t).micros() <= INSUFFICIENT_COOLDOWN_US)
            .map(|(_, cause)| cause)
    }

    /// The instance is terminated: the loop stops for good (pending wakes become stale) and
    /// every address it holds outside the datastore (an ENI created but not yet in the
    /// datastore, ENIs never seen in IMDS, addresses on their way back to a subnet) goes to
    /// `give_back(subnet, ips, prefixes)`. Used by node scale-down (`autoscaler.rs`).
    pub(crate) fn terminate(&mut self, mut give_back: impl FnMut(u32, &[u32], &[u32])) {
        self.gen += 1;
        self.step = Step::Off;
        self.call = None;
        self.call_error = None;
        self.serving = false;
        for e in self
            .new_eni
            .take()
            .into_iter()
            .chain(self.freeing.take())
            .chain(self.orphans.drain(..))
        {
            // address 0 = CreateNetworkInterface has not returned: nothing taken yet
            if e.primary_ip != 0 {
                give_back(e.subnet, &[e.primary_ip], &e.prefixes);
                give_back(e.subnet, &e.ips, &[]);
            }
        }
        let r = &mut self.releasing;
        give_back(r.subnet, &r.ips, &r.prefixes);
        r.ips.clear();
        r.prefixes.clear();
        // addresses whose release failed: still on the (now deleted) ENIs in EC2
        for (_, addr, prefix, _, subnet) in self.unreleased.drain(..) {
            if prefix {
                give_back(subnet, &[], &[addr]);
            } else {
                give_back(subnet, &[addr], &[]);
            }
        }
    }
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

    /// One EC2 call through the SDK's standard retryer (spec §e.7): up to `max_attempts`
    /// requests with full-jitter backoff `U(0, 1) × 2^attempt` s (at most `max_backoff`),
    /// each retry costing 5 tokens of the node's retry quota. The loop resumes at `then`
    /// when the call succeeds, or when it finally fails (then `call_error` says why).
    fn ec2_call(
        &mut self,
        now: SimTime,
        node: NodeIndex,
        action: Ec2Action,
        then: Step,
        queue: &mut EventQueue<Event>,
    ) {
        let ip = &mut self.nodes[node as usize].ipamd;
        ip.call = Some(Call {
            action,
            attempt: 1,
            then,
        });
        ip.retry_cost_in_flight = 0;
        self.attempt(now, node, queue);
    }

    fn attempt(&mut self, now: SimTime, node: NodeIndex, queue: &mut EventQueue<Event>) {
        const RETRY_COST: u32 = 5;
        let call = self.nodes[node as usize]
            .ipamd
            .call
            .expect("a call in flight");
        let response = self
            .ec2
            .request(call.action, now, &mut self.nodes[node as usize].rng.ec2);
        let (latency, error) = match response {
            Response::Ok(d) => (d, None),
            Response::Throttled(d) => (d, Some(Ec2Error::RequestLimitExceeded)),
            Response::ServerError(d) => (d, Some(Ec2Error::InternalError)),
        };
        let retry = &self.sc.ec2.retry;
        let (max_attempts, max_backoff, quota_max) =
            (retry.max_attempts, retry.max_backoff, retry.quota);
        let n = &mut self.nodes[node as usize];
        let Some(err) = error else {
            let ip = &mut n.ipamd;
            let refund = if ip.retry_cost_in_flight > 0 {
                ip.retry_cost_in_flight
            } else {
                1
            };
            ip.retry_quota = (ip.retry_quota + refund).min(quota_max);
            ip.call = None;
            return self.ipamd_sleep(now, node, latency, call.then, queue);
        };
        if err == Ec2Error::RequestLimitExceeded {
            n.ipamd.last_throttled = Some((now, call.action));
        }
        let action = call.action;
        let k = call.attempt;
        if call.attempt < max_attempts && n.ipamd.retry_quota >= RETRY_COST {
            n.ipamd.retry_quota -= RETRY_COST;
            n.ipamd.retry_cost_in_flight += RETRY_COST;
            let u: f64 = n.rng.ec2.gen();
            let ceiling = SimDuration::from_secs(1u64 << call.attempt.min(30)).min(max_backoff);
            let backoff = SimDuration((u * ceiling.micros() as f64) as u64);
            n.ipamd.call = Some(Call {
                attempt: call.attempt + 1,
                ..call
            });
            self.emit(
                now,
                node,
                Fact::Ec2Retry {
                    action,
                    attempt: k,
                    error: err,
                    backoff,
                },
            );
            self.ipamd_sleep(now, node, latency + backoff, Step::Retry, queue);
        } else {
            n.ipamd.call = None;
            n.ipamd.call_error = Some(err);
            self.emit(
                now,
                node,
                Fact::Ec2Failed {
                    action,
                    attempts: k,
                    error: err,
                },
            );
            self.ipamd_sleep(now, node, latency, call.then, queue);
        }
    }

    /// ipamd's own retry of a failed call (§e.3, §e.5): after the policy's sleep for this
    /// try, call the action again, resuming at `after`; false once the policy's tries are
    /// spent.
    fn ipamd_retry(
        &mut self,
        now: SimTime,
        node: NodeIndex,
        after: StepAfter,
        queue: &mut EventQueue<Event>,
    ) -> bool {
        let (action, first_sleep_us, doubling, max_tries) = match after {
            // DescribeAllENIs: 12 tries, 10 ms × try apart
            StepAfter::InitDescribed => (Ec2Action::DescribeNetworkInterfaces, 10_000, false, 12),
            // DetachNetworkInterface: 12 tries, 200 ms doubling, at most 60 s, +15 %
            StepAfter::Detached => (Ec2Action::DetachNetworkInterface, 200_000, true, 12),
            // DeleteNetworkInterface: 12 tries, 500 ms doubling, at most 60 s, +15 %
            StepAfter::Deleted => (Ec2Action::DeleteNetworkInterface, 500_000, true, 12),
        };
        let n = &mut self.nodes[node as usize];
        n.ipamd.ipamd_tries += 1;
        let tries = n.ipamd.ipamd_tries;
        if tries >= max_tries {
            n.ipamd.ipamd_tries = 0;
            return false;
        }
        let base: u64 = if doubling {
            (first_sleep_us << (tries - 1).min(20)).min(60_000_000)
        } else {
            first_sleep_us * u64::from(tries)
        };
        let jitter = if doubling {
            n.rng.ec2.gen_range(0..=base * 15 / 100)
        } else {
            0
        };
        self.ipamd_sleep(
            now,
            node,
            SimDuration(base + jitter),
            Step::Recall(action, after),
            queue,
        );
        true
    }

    fn stats(&self, node: NodeIndex, now: SimTime) -> PoolStats {
        self.nodes[node as usize].ds.stats(now)
    }

    /// Whether the node's pool counts /28 prefixes (prefix delegation) rather than IPs.
    fn pd(&self, node: NodeIndex) -> bool {
        self.nodes[node as usize].ds.pd
    }

    /// `nodeInit` starts (also after an aws-node restart): one `DescribeNetworkInterfaces`
    /// with the IMDS read of `DescribeAllENIs`.
    pub(crate) fn on_node_start(
        &mut self,
        now: SimTime,
        node: NodeIndex,
        queue: &mut EventQueue<Event>,
    ) {
        let n = &mut self.nodes[node as usize];
        n.ipamd.caller = Caller::Init;
        n.ipamd.retry_quota = self.sc.ec2.retry.quota;
        n.ipamd.ipamd_tries = 0;
        if n.ipamd.next_eni_id == 0 {
            n.ipamd.next_eni_id = 1;
        }
        let restart = n.ipamd.restarts > 0;
        self.emit(now, node, Fact::IpamdStart { restart });
        let group = &self.sc.nodegroups[self.nodes[node as usize].group as usize];
        if self.sc.cni.enable_prefix_delegation
            && !group.instance_type.supports_prefix_delegation()
            && !restart
        {
            self.emit(now, node, Fact::PdUnsupported);
        }
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
        let ip = &mut self.nodes[node as usize].ipamd;
        let step = ip.step;
        let error = ip.call_error.take();
        match (step, error) {
            (Step::Off, _) => {}
            (Step::Retry, _) => self.attempt(now, node, queue),
            (Step::Recall(action, after), _) => {
                self.ec2_call(now, node, action, after.step(), queue)
            }
            (Step::InitDescribed, None) => {
                self.nodes[node as usize].ipamd.ipamd_tries = 0;
                self.init_adopt(now, node, queue)
            }
            // DescribeAllENIs: up to 12 tries, 10 ms × try apart; then nodeInit fails
            (Step::InitDescribed, Some(e)) => {
                let retried = self.ipamd_retry(now, node, StepAfter::InitDescribed, queue);
                if !retried {
                    let why = RestartReason::InitDescribeFailed(e);
                    self.restart_aws_node(now, node, why, queue);
                }
            }
            (Step::PoolUpdate, _) => self.pool_update(now, node, queue),
            (Step::Reconcile, _) => self.reconcile(now, node, queue),
            (Step::Assigned { eni, n, retry }, None) => {
                self.assign_returned(now, node, eni, n, retry, queue)
            }
            (Step::Assigned { eni, n, retry }, Some(e)) => {
                if !retry {
                    // §c.7: one retry with 1 IP or prefix
                    return self.assign_one(now, node, eni, queue);
                }
                // §c.6: any other error is logged and the increase returns
                let fact = Fact::IncreaseFailed {
                    action: Ec2Action::AssignPrivateIpAddresses,
                    eni: Some(EniId(eni)),
                    count: Some(n),
                    error: e,
                    prefixes: self.pd(node),
                };
                self.increase_failed(now, node, fact, queue)
            }
            (Step::SubnetsDescribed, None) => self.create_next_subnet(now, node, queue),
            (Step::SubnetsDescribed, Some(e)) => {
                self.nodes[node as usize].ipamd.new_eni = None;
                let fact = Fact::IncreaseFailed {
                    action: Ec2Action::DescribeSubnets,
                    eni: None,
                    count: None,
                    error: e,
                    prefixes: self.pd(node),
                };
                self.increase_failed(now, node, fact, queue)
            }
            (Step::Created, None) => self.create_returned(now, node, queue),
            (Step::Created, Some(e)) => {
                // the next qualifying subnet is tried; the last error decides the back-off
                self.nodes[node as usize].ipamd.create_failed_ec2 = true;
                let fact = Fact::IncreaseFailed {
                    action: Ec2Action::CreateNetworkInterface,
                    eni: None,
                    count: None,
                    error: e,
                    prefixes: self.pd(node),
                };
                self.emit(now, node, fact);
                self.nodes[node as usize].ipamd.next_subnet += 1;
                self.create_next_subnet(now, node, queue)
            }
            (Step::InstancesDescribed, None) => {
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
            (Step::InstancesDescribed, Some(e)) | (Step::Attached, Some(e)) => {
                self.attach_failed(now, node, e, queue)
            }
            (Step::Attached, None) => {
                if self.attach_exceeds_instance_limit(node) {
                    return self.attach_failed(now, node, Ec2Error::AttachmentLimitExceeded, queue);
                }
                let n = &mut self.nodes[node as usize];
                let mut delay = ec2::draw(self.ec2.imds_delay(), &mut n.rng.imds);
                let p = self.sc.faults.eni_missing_from_imds;
                let missing = p > 0.0 && n.rng.imds.gen::<f64>() < p;
                if missing {
                    delay = MISSING_FROM_IMDS_FOR;
                }
                if let Some(e) = n.ipamd.new_eni.as_mut() {
                    e.attached = true;
                    e.visible_at = now + delay;
                }
                if missing {
                    let id = n.ipamd.new_eni.as_ref().map_or(0, |e| e.id);
                    let fact = Fact::EniMissingFromImds {
                        eni: EniId(id),
                        hidden_for: delay,
                    };
                    self.emit(now, node, fact);
                }
                self.ec2_call(
                    now,
                    node,
                    Ec2Action::ModifyNetworkInterfaceAttribute,
                    Step::Modified,
                    queue,
                )
            }
            (Step::AttachFailedDeleted, None) => {
                self.release_freeing(node);
                self.increase_done(now, node, queue)
            }
            (Step::AttachFailedDeleted, Some(_)) => {
                self.leak_freeing(now, node, queue);
                self.increase_done(now, node, queue)
            }
            (Step::Modified, None) => self.imds_poll(now, node, 1, queue),
            (Step::Modified, Some(e)) => {
                // ModifyNetworkInterfaceAttribute failed: the ENI is freed (detach + delete)
                let ip = &mut self.nodes[node as usize].ipamd;
                ip.freeing = ip.new_eni.take();
                ip.free_then = FreeThen::IncreaseDone;
                let id = ip.freeing.as_ref().map_or(0, |e| e.id);
                let fact = Fact::IncreaseFailed {
                    action: Ec2Action::ModifyNetworkInterfaceAttribute,
                    eni: Some(EniId(id)),
                    count: None,
                    error: e,
                    prefixes: self.pd(node),
                };
                self.emit(now, node, fact);
                self.ec2_call(
                    now,
                    node,
                    Ec2Action::DetachNetworkInterface,
                    Step::Detached,
                    queue,
                )
            }
            (Step::ImdsPoll { attempt }, _) => self.imds_poll(now, node, attempt, queue),
            // a failed subnet-exclusion check is ignored: the ENI is set up
            (Step::SetupDescribed, _) => self.setup_eni(now, node, queue),
            (Step::Unassigned, None) => {
                self.return_releasing(node);
                self.decrease_next_eni(now, node, queue);
            }
            (Step::Unassigned, Some(e)) => {
                self.keep_unreleased(now, node);
                let eni = EniId(self.nodes[node as usize].ipamd.releasing_eni);
                self.emit(now, node, Fact::ReleaseFailed { eni, error: e });
                self.decrease_next_eni(now, node, queue);
            }
            (Step::FreeDescribed, None) => self.ec2_call(
                now,
                node,
                Ec2Action::DetachNetworkInterface,
                Step::Detached,
                queue,
            ),
            (Step::FreeDescribed, Some(e)) => {
                // no attachment ID: FreeENI returns early; the ENI stays attached (§c.10)
                self.orphan_freeing(now, node, Ec2Action::DescribeNetworkInterfaces, e);
                self.free_done(now, node, queue)
            }
            (Step::Detached, None) => {
                self.nodes[node as usize].ipamd.ipamd_tries = 0;
                self.ipamd_sleep(now, node, DETACH_TO_DELETE, Step::DetachSlept, queue)
            }
            (Step::Detached, Some(e)) => {
                if !self.ipamd_retry(now, node, StepAfter::Detached, queue) {
                    self.orphan_freeing(now, node, Ec2Action::DetachNetworkInterface, e);
                    self.free_done(now, node, queue)
                }
            }
            (Step::DetachSlept, _) => self.ec2_call(
                now,
                node,
                Ec2Action::DeleteNetworkInterface,
                Step::Deleted,
                queue,
            ),
            (Step::Deleted, None) => {
                self.nodes[node as usize].ipamd.ipamd_tries = 0;
                self.release_freeing(node);
                self.free_done(now, node, queue)
            }
            (Step::Deleted, Some(_)) => {
                if !self.ipamd_retry(now, node, StepAfter::Deleted, queue) {
                    self.leak_freeing(now, node, queue);
                    self.free_done(now, node, queue)
                }
            }
            (Step::AdoptDescribed, None) => self.setup_eni(now, node, queue),
            (Step::AdoptDescribed, Some(_)) => {
                let ip = &mut self.nodes[node as usize].ipamd;
                if let Some(e) = ip.new_eni.take() {
                    ip.orphans.push(e);
                }
                self.reconcile_done(now, node, queue)
            }
        }
    }

    /// The ENI being freed returns its addresses to its subnet (delete succeeded).
    fn release_freeing(&mut self, node: NodeIndex) {
        let ip = &mut self.nodes[node as usize].ipamd;
        if let Some(e) = ip.freeing.take() {
            ip.releasing.subnet = e.subnet;
            ip.releasing.ips.push(e.primary_ip);
            ip.releasing.ips.extend_from_slice(&e.ips);
            ip.releasing.prefixes.extend_from_slice(&e.prefixes);
        }
        self.return_releasing(node);
    }

    /// The ENI being freed stays attached: reconcile will adopt it again.
    fn orphan_freeing(
        &mut self,
        now: SimTime,
        node: NodeIndex,
        action: Ec2Action,
        error: Ec2Error,
    ) {
        let ip = &mut self.nodes[node as usize].ipamd;
        if let Some(mut e) = ip.freeing.take() {
            e.visible_at = now;
            let eni = EniId(e.id);
            ip.orphans.push(e);
            self.emit(now, node, Fact::FreeFailed { eni, action, error });
        }
    }

    /// The ENI being freed could not be deleted: it is leaked until the leaked-ENI cleanup
    /// (hourly per node, from a 0–300 s offset; ENIs at least 5 minutes old) deletes it.
    fn leak_freeing(&mut self, now: SimTime, node: NodeIndex, queue: &mut EventQueue<Event>) {
        let Some(e) = self.nodes[node as usize].ipamd.freeing.take() else {
            return;
        };
        let offset_us = leak_cleanup_offset_us(self.sc.seed, node);
        let due = now.micros() + 300_000_000;
        let k = due.saturating_sub(offset_us).div_ceil(3_600_000_000);
        let at = SimTime(offset_us + k * 3_600_000_000);
        let fact = Fact::EniLeaked {
            eni: EniId(e.id),
            cleanup_at: at,
        };
        self.emit(now, node, fact);
        let index = self.leaked.len() as u32;
        self.leaked.push((node, e));
        queue.schedule(at, Event::LeakedEniCleanup(index));
    }

    /// The leaked-ENI cleanup deletes a leaked ENI (one `DeleteNetworkInterface`; if it is
    /// throttled the next hourly run tries again).
    pub(crate) fn on_leaked_eni_cleanup(
        &mut self,
        now: SimTime,
        index: u32,
        queue: &mut EventQueue<Event>,
    ) {
        let (node, ref e) = self.leaked[index as usize];
        if e.primary_ip == 0 && e.ips.is_empty() && e.prefixes.is_empty() {
            return; // already cleaned up
        }
        let r = self.ec2.request(
            Ec2Action::DeleteNetworkInterface,
            now,
            &mut self.nodes[node as usize].rng.ec2,
        );
        if !matches!(r, Response::Ok(_)) {
            return queue.schedule(
                now + SimDuration::from_secs(3600),
                Event::LeakedEniCleanup(index),
            );
        }
        let e = std::mem::take(&mut self.leaked[index as usize].1);
        let subnet = &mut self.subnets[e.subnet as usize];
        subnet.release_ip(e.primary_ip);
        e.ips.iter().for_each(|&a| subnet.release_ip(a));
        e.prefixes.iter().for_each(|&p| subnet.release_prefix(p));
        self.emit(now, node, Fact::EniCleanedUp { eni: EniId(e.id) });
    }

    /// After a free (or a failed setup's cleanup), continue where it was started.
    fn free_done(&mut self, now: SimTime, node: NodeIndex, queue: &mut EventQueue<Event>) {
        match std::mem::take(&mut self.nodes[node as usize].ipamd.free_then) {
            FreeThen::EndTick => self.end_tick(now, node, queue),
            FreeThen::IncreaseDone => self.increase_done(now, node, queue),
        }
    }

    /// A failed `UnassignPrivateIpAddresses`: the CIDRs left the datastore but stay on the
    /// ENI in EC2; reconcile re-adds them after its 60 s cooldown (§b.5).
    fn keep_unreleased(&mut self, now: SimTime, node: NodeIndex) {
        let n = &mut self.nodes[node as usize];
        let r = &mut n.ipamd.releasing;
        let (eni, subnet) = (n.ipamd.releasing_eni, r.subnet);
        let list = &mut n.ipamd.unreleased;
        list.extend(r.ips.drain(..).map(|a| (eni, a, false, now, subnet)));
        list.extend(r.prefixes.drain(..).map(|p| (eni, p, true, now, subnet)));
    }

    fn return_releasing(&mut self, node: NodeIndex) {
        let r = &mut self.nodes[node as usize].ipamd.releasing;
        let subnet = &mut self.subnets[r.subnet as usize];
        for &a in &r.ips {
            subnet.release_ip(a);
        }
        for &p in &r.prefixes {
            subnet.release_prefix(p);
        }
        r.ips.clear();
        r.prefixes.clear();
    }

    /// `nodeInit` step 4: attached ENIs enter the datastore (on a fresh node the primary
    /// only; after a restart every attached ENI, all counted as new); then pre-scaling (§g.8).
    fn init_adopt(&mut self, now: SimTime, node: NodeIndex, queue: &mut EventQueue<Event>) {
        let n = &mut self.nodes[node as usize];
        if n.ds.enis.is_empty() {
            let primary_ip = n.primary_ip.expect("started nodes have a primary IP");
            let id = n.ipamd.next_eni_id;
            n.ipamd.next_eni_id += 1;
            n.ds.add_eni(Eni::new(id, 0, primary_ip, n.subnet, true, now));
        } else {
            for e in &mut n.ds.enis {
                e.create_time = now;
            }
            let mut attached: Vec<NewEni> = std::mem::take(&mut n.ipamd.orphans);
            attached.extend(n.ipamd.new_eni.take().filter(|e| e.attached));
            for e in attached {
                Self::add_new_eni(&mut n.ds, e, now);
            }
        }
        let stats = self.stats(node, now);
        let n = &self.nodes[node as usize];
        if pool::is_too_low(stats, n.targets, n.ips_per_eni, n.max_pods) {
            self.nodes[node as usize].ipamd.caller = Caller::Init;
            self.increase(now, node, stats, queue);
        } else {
            self.init_done(now, node, queue);
        }
    }

    fn add_new_eni(ds: &mut super::datastore::Datastore, e: NewEni, now: SimTime) {
        ds.add_eni(Eni::new(
            e.id,
            e.device_index,
            e.primary_ip,
            e.subnet,
            false,
            now,
        ));
        let idx = ds.position(e.id).expect("just added");
        ds.add_ips(idx, &e.ips);
        ds.add_prefixes(idx, &e.prefixes);
    }

    /// `nodeInit` returns: the node becomes Ready and the loop starts (first tick 2.5 s
    /// later). With custom networking and still no pod IPs, init fails and aws-node restarts.
    fn init_done(&mut self, now: SimTime, node: NodeIndex, queue: &mut EventQueue<Event>) {
        if self.sc.cni.custom_network_cfg && self.stats(node, now).total == 0 {
            return self.restart_aws_node(now, node, RestartReason::CustomNetworkingNoEni, queue);
        }
        let d = HALF_PERIOD + self.sc.ipamd.tick_overhead;
        self.ipamd_sleep(now, node, d, Step::PoolUpdate, queue);
        self.nodes[node as usize].ipamd.serving = true;
        if !self.nodes[node as usize].ready {
            self.node_ready(now, node, queue);
        }
    }

    /// aws-node exits and the kubelet restarts it after CrashLoopBackOff (10 s, doubling,
    /// at most 5 min). Whatever the loop was doing is abandoned; attached ENIs are found
    /// again by the next `nodeInit`.
    pub(crate) fn restart_aws_node(
        &mut self,
        now: SimTime,
        node: NodeIndex,
        reason: RestartReason,
        queue: &mut EventQueue<Event>,
    ) {
        let ip = &mut self.nodes[node as usize].ipamd;
        let k = ip.restarts.min(5);
        ip.restarts += 1;
        ip.gen += 1;
        ip.step = Step::Off;
        ip.serving = false;
        ip.call = None;
        ip.call_error = None;
        // a new process: its timers start from zero
        ip.last_pool_action = None;
        ip.last_decrease = None;
        ip.last_insufficient = None;
        ip.at_max_eni = false;
        // a free in flight is abandoned as if it finished; a release in flight is lost
        // from the datastore already and comes back as unreleased addresses
        if let Some(e) = ip.freeing.take() {
            ip.releasing.subnet = e.subnet;
            ip.releasing.ips.push(e.primary_ip);
            ip.releasing.ips.extend_from_slice(&e.ips);
            ip.releasing.prefixes.extend_from_slice(&e.prefixes);
        }
        let delay = SimDuration(RESTART_BACKOFF.micros() << k).min(RESTART_BACKOFF_MAX);
        if let Some(e) = ip.new_eni.take() {
            if e.attached {
                ip.new_eni = Some(e);
            } else {
                // created but never attached: leaked, and deleted by the leaked-ENI cleanup
                ip.releasing.subnet = e.subnet;
                ip.releasing.ips.push(e.primary_ip);
                ip.releasing.ips.extend_from_slice(&e.ips);
                ip.releasing.prefixes.extend_from_slice(&e.prefixes);
            }
        }
        self.return_releasing(node);
        self.emit(now, node, Fact::AwsNodeRestart { reason, delay });
        queue.schedule(now + delay, Event::NodeStart(node));
    }

    /// `updateIPPoolIfRequired` (§b.4).
    fn pool_update(&mut self, now: SimTime, node: NodeIndex, queue: &mut EventQueue<Event>) {
        let stats = self.stats(node, now);
        let n = &mut self.nodes[node as usize];
        let t = n.targets;
        let freeable = t.pd && n.ds.freeable_eni_exists();
        let ip = &mut n.ipamd;
        ip.caller = Caller::Tick;
        ip.decreased = false;
        ip.remove_extra = pool::should_remove_extra_enis(stats, t, n.ips_per_eni, freeable);
        let skip_decrease = ip
            .last_decrease
            .is_some_and(|d| now.since(d).micros() <= DECREASE_INTERVAL_US);
        if pool::is_too_low(stats, t, n.ips_per_eni, n.max_pods) {
            self.increase(now, node, stats, queue);
        } else if pool::is_too_high(stats, t) && !skip_decrease {
            self.decrease(now, node, stats, queue);
        } else {
            self.free_eni_phase(now, node, queue);
        }
    }

    /// `increaseDatastorePool` (§c.6).
    fn increase(
        &mut self,
        now: SimTime,
        node: NodeIndex,
        stats: PoolStats,
        queue: &mut EventQueue<Event>,
    ) {
        if self.nodes[node as usize].ipamd.backoff_cause(now).is_some() {
            return self.increase_done(now, node, queue);
        }
        let n = &self.nodes[node as usize];
        match pool::cidrs_to_allocate(stats, n.targets, n.ips_per_eni) {
            None => self.alloc_eni(now, node, queue),
            Some(want) => {
                let rot = self.map_order(node);
                let skip_primary = self.sc.cni.custom_network_cfg;
                let n = &mut self.nodes[node as usize];
                n.ipamd.to_allocate = want;
                n.ipamd.next_candidate = 0;
                let mut cands = std::mem::take(&mut n.ipamd.candidates);
                n.ds.allocatable(n.cidrs_per_eni, skip_primary, rot, &mut cands);
                n.ipamd.candidates = cands;
                self.try_next_candidate(now, node, queue);
            }
        }
    }

    /// `tryAssignIPs` / `tryAssignPrefixes` (§c.7, §c.8): fill the next candidate ENI, or
    /// fall through to a new ENI.
    fn try_next_candidate(&mut self, now: SimTime, node: NodeIndex, queue: &mut EventQueue<Event>) {
        let n = &self.nodes[node as usize];
        let ip = &n.ipamd;
        let Some(&eni) = ip.candidates.get(ip.next_candidate) else {
            return self.alloc_eni(now, node, queue);
        };
        let idx = n.ds.position(eni).expect("candidate ENI exists");
        let room = n.cidrs_per_eni - n.ds.enis[idx].cidrs();
        let want = room.min(ip.to_allocate).min(n.cidrs_per_eni);
        let step = Step::Assigned {
            eni,
            n: want,
            retry: false,
        };
        self.ec2_call(now, node, Ec2Action::AssignPrivateIpAddresses, step, queue);
    }

    /// Takes `want` IPs (or prefixes) from `subnet` into the node's scratch buffer, all or
    /// nothing; on failure returns EC2's error.
    fn take_from_subnet(
        &mut self,
        node: NodeIndex,
        subnet: u32,
        want: u32,
    ) -> Result<(), Ec2Error> {
        let pd = self.nodes[node as usize].ds.pd;
        let mut got = std::mem::take(&mut self.nodes[node as usize].ipamd.scratch);
        got.clear();
        let s = &mut self.subnets[subnet as usize];
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
        self.nodes[node as usize].ipamd.scratch = got;
        result
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
        let idx = self.nodes[node as usize]
            .ds
            .position(eni)
            .expect("ENI exists");
        let subnet = self.nodes[node as usize].ds.enis[idx].subnet;
        let prefixes = self.pd(node);
        match self.take_from_subnet(node, subnet, want) {
            Ok(()) => {
                let n = &mut self.nodes[node as usize];
                let got = std::mem::take(&mut n.ipamd.scratch);
                if n.ds.pd {
                    n.ds.add_prefixes(idx, &got);
                } else {
                    n.ds.add_ips(idx, &got);
                }
                n.ipamd.scratch = got;
                n.ipamd.last_pool_action = Some(now);
                let s = n.ds.stats(now);
                let fact = Fact::Assigned {
                    eni: EniId(eni),
                    count: want,
                    total: s.total,
                    assigned: s.assigned,
                    prefixes,
                };
                self.emit(now, node, fact);
                self.increase_done(now, node, queue)
            }
            Err(error) => {
                let insufficient = |then| Fact::InsufficientAddresses {
                    action: Ec2Action::AssignPrivateIpAddresses,
                    eni: Some(EniId(eni)),
                    count: want,
                    subnet: SubnetId(subnet),
                    error,
                    then,
                    prefixes,
                };
                if !retry {
                    self.emit(now, node, insufficient(InsufficientThen::RetryWithOne));
                    return self.assign_one(now, node, eni, queue);
                }
                if self.sc.cni.enable_subnet_discovery {
                    // §e.6: with subnet discovery the ENI is skipped, no back-off.
                    self.emit(now, node, insufficient(InsufficientThen::SkipEni));
                    self.nodes[node as usize].ipamd.next_candidate += 1;
                    self.try_next_candidate(now, node, queue)
                } else {
                    let action = Ec2Action::AssignPrivateIpAddresses;
                    self.insufficient(now, node, error, action, Some(SubnetId(subnet)));
                    self.increase_done(now, node, queue)
                }
            }
        }
    }

    /// §c.6: an EC2 error other than insufficient addresses ends the increase (logged, no
    /// back-off; the next tick tries again).
    fn increase_failed(
        &mut self,
        now: SimTime,
        node: NodeIndex,
        fact: Fact,
        queue: &mut EventQueue<Event>,
    ) {
        self.emit(now, node, fact);
        self.increase_done(now, node, queue)
    }

    /// §c.7: after a failed fill, one retry asking for a single IP (or prefix).
    fn assign_one(
        &mut self,
        now: SimTime,
        node: NodeIndex,
        eni: u32,
        queue: &mut EventQueue<Event>,
    ) {
        let step = Step::Assigned {
            eni,
            n: 1,
            retry: true,
        };
        self.ec2_call(now, node, Ec2Action::AssignPrivateIpAddresses, step, queue)
    }

    fn insufficient(
        &mut self,
        now: SimTime,
        node: NodeIndex,
        error: Ec2Error,
        action: Ec2Action,
        subnet: Option<SubnetId>,
    ) {
        self.nodes[node as usize].ipamd.last_insufficient = Some((now, error));
        let fact = Fact::InsufficientCooldown {
            action,
            subnet,
            error,
            until: now + SimDuration(INSUFFICIENT_COOLDOWN_US),
        };
        self.emit(now, node, fact);
    }

    /// Subnets `CreateNetworkInterface` tries, in order (§e.1 step 3): the ENIConfig subnet
    /// with custom networking; with subnet discovery every subnet of the node's AZ that
    /// qualifies (the node's own unless tagged `kubernetes.io/role/cni=0`, others only if
    /// tagged non-zero), most free addresses first; else the node's own subnet.
    fn subnets_for_new_eni(&mut self, node: NodeIndex) -> Vec<u32> {
        let n = &self.nodes[node as usize];
        let own = n.subnet;
        let az = &self.subnets[own as usize].az;
        if self.sc.cni.custom_network_cfg {
            return self
                .sc
                .eniconfigs
                .iter()
                .find(|e| &e.az == az)
                .map(|e| vec![e.subnet as u32])
                .unwrap_or_default();
        }
        if !self.sc.cni.enable_subnet_discovery {
            return vec![own];
        }
        let mut list: Vec<u32> = (0..self.subnets.len() as u32)
            .filter(|&i| {
                let s = &self.subnets[i as usize];
                &s.az == az
                    && if i == own {
                        s.role_cni != Some(false)
                    } else {
                        s.role_cni == Some(true)
                    }
            })
            .collect();
        list.sort_by_key(|&i| std::cmp::Reverse(self.subnets[i as usize].free()));
        list
    }

    /// `hasRoomForEni` then `tryAllocateENI` (§c.6 step 5, §e.1).
    fn alloc_eni(&mut self, now: SimTime, node: NodeIndex, queue: &mut EventQueue<Event>) {
        let n = &self.nodes[node as usize];
        let max_eni = n.max_eni;
        if n.ds.enis.len() as u32 >= max_eni {
            if !n.ipamd.at_max_eni {
                self.nodes[node as usize].ipamd.at_max_eni = true;
                self.emit(now, node, Fact::MaxEni { limit: max_eni });
            }
            return self.increase_done(now, node, queue);
        }
        let stats = self.stats(node, now);
        let n = &self.nodes[node as usize];
        let want = pool::new_eni_cidrs(stats, n.targets, n.cidrs_per_eni);
        if want == 0 {
            self.nodes[node as usize].ipamd.last_pool_action = Some(now);
            return self.increase_done(now, node, queue);
        }
        let subnets = self.subnets_for_new_eni(node);
        let prefixes = self.pd(node);
        let n = &mut self.nodes[node as usize];
        let id = n.ipamd.next_eni_id;
        n.ipamd.next_eni_id += 1;
        n.ipamd.new_eni = Some(NewEni {
            id,
            ..NewEni::default()
        });
        n.ipamd.to_allocate = want;
        n.ipamd.subnets_to_try = subnets;
        n.ipamd.next_subnet = 0;
        let fact = Fact::CreateEni {
            eni: EniId(id),
            count: want,
            available: stats.available(),
            total: stats.total,
            prefixes,
        };
        self.emit(now, node, fact);
        if self.sc.cni.enable_subnet_discovery && !self.sc.cni.custom_network_cfg {
            self.ec2_call(
                now,
                node,
                Ec2Action::DescribeSubnets,
                Step::SubnetsDescribed,
                queue,
            )
        } else {
            self.create_next_subnet(now, node, queue)
        }
    }

    /// One `CreateNetworkInterface` in the next subnet to try.
    fn create_next_subnet(&mut self, now: SimTime, node: NodeIndex, queue: &mut EventQueue<Event>) {
        let ip = &self.nodes[node as usize].ipamd;
        if ip.next_subnet >= ip.subnets_to_try.len() {
            // every candidate failed (or none qualified): an insufficient-address last
            // error starts the back-off; an EC2 error (throttling) does not
            let n = &mut self.nodes[node as usize];
            n.ipamd.new_eni = None;
            if std::mem::take(&mut n.ipamd.create_failed_ec2) {
                return self.increase_done(now, node, queue);
            }
            let error = if n.ds.pd {
                Ec2Error::InsufficientCidrBlocks
            } else {
                Ec2Error::InsufficientFreeAddressesInSubnet
            };
            self.insufficient(now, node, error, Ec2Action::CreateNetworkInterface, None);
            return self.increase_done(now, node, queue);
        }
        self.ec2_call(
            now,
            node,
            Ec2Action::CreateNetworkInterface,
            Step::Created,
            queue,
        )
    }

    fn create_returned(&mut self, now: SimTime, node: NodeIndex, queue: &mut EventQueue<Event>) {
        let n = &self.nodes[node as usize];
        let subnet = n.ipamd.subnets_to_try[n.ipamd.next_subnet];
        let want = n.ipamd.to_allocate;
        let primary = self.subnets[subnet as usize].allocate_ip();
        let result = match primary {
            None => Err(Ec2Error::InsufficientFreeAddressesInSubnet),
            Some(p) => self.take_from_subnet(node, subnet, want).inspect_err(|_| {
                self.subnets[subnet as usize].release_ip(p);
            }),
        };
        if let Err(error) = result {
            let fact = Fact::InsufficientAddresses {
                action: Ec2Action::CreateNetworkInterface,
                eni: None,
                count: want,
                subnet: SubnetId(subnet),
                error,
                then: InsufficientThen::NextSubnet,
                prefixes: self.pd(node),
            };
            self.emit(now, node, fact);
            self.nodes[node as usize].ipamd.next_subnet += 1;
            self.nodes[node as usize].ipamd.create_failed_ec2 = false;
            return self.create_next_subnet(now, node, queue);
        }
        let n = &mut self.nodes[node as usize];
        let pd = n.ds.pd;
        let got = std::mem::take(&mut n.ipamd.scratch);
        let e = n.ipamd.new_eni.as_mut().expect("creating");
        e.subnet = subnet;
        e.primary_ip = primary.expect("allocated");
        if pd {
            e.prefixes.extend_from_slice(&got);
        } else {
            e.ips.extend_from_slice(&got);
        }
        n.ipamd.scratch = got;
        self.ec2_call(
            now,
            node,
            Ec2Action::DescribeInstances,
            Step::InstancesDescribed,
            queue,
        )
    }

    /// EC2 refuses an attach beyond the instance's interface limit; datastore ENIs and
    /// orphans (attached but unknown to the pool) both occupy a slot.
    fn attach_exceeds_instance_limit(&self, node: NodeIndex) -> bool {
        let n = &self.nodes[node as usize];
        let limit = self.sc.nodegroups[n.group as usize].instance_type.max_enis as usize;
        n.ds.enis.len() + n.ipamd.orphans.len() >= limit
    }

    /// Attach failed (the interface limit, or an EC2 error after the SDK's retries): the new
    /// ENI is deleted again, no back-off (`awsutils.go:984-992`).
    fn attach_failed(
        &mut self,
        now: SimTime,
        node: NodeIndex,
        error: Ec2Error,
        queue: &mut EventQueue<Event>,
    ) {
        let ip = &mut self.nodes[node as usize].ipamd;
        let e = ip.new_eni.take().expect("attaching");
        let eni = EniId(e.id);
        ip.freeing = Some(e);
        self.emit(now, node, Fact::AttachFailed { eni, error });
        self.ec2_call(
            now,
            node,
            Ec2Action::DeleteNetworkInterface,
            Step::AttachFailedDeleted,
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
            let eni = EniId(e.id);
            self.nodes[node as usize].ipamd.orphans.push(e);
            self.emit(now, node, Fact::EniNotInImds { eni });
            return self.increase_done(now, node, queue);
        }
        let base = (100_000u64 << (attempt - 1)).min(60_000_000);
        let jitter = self.nodes[node as usize]
            .rng
            .imds
            .gen_range(0..=base * 15 / 100);
        let step = Step::ImdsPoll {
            attempt: attempt + 1,
        };
        self.ipamd_sleep(now, node, SimDuration(base + jitter), step, queue);
    }

    /// `setupENI`: the ENI and the IPs or prefixes IMDS shows enter the datastore;
    /// `createTime` starts now.
    fn setup_eni(&mut self, now: SimTime, node: NodeIndex, queue: &mut EventQueue<Event>) {
        let n = &mut self.nodes[node as usize];
        let e = n.ipamd.new_eni.take().expect("setting up");
        let (id, count) = (e.id, e.ips.len() + e.prefixes.len());
        Self::add_new_eni(&mut n.ds, e, now);
        n.ipamd.last_pool_action = Some(now);
        n.ipamd.at_max_eni = false;
        let adopting = n.ipamd.step == Step::AdoptDescribed;
        self.totals.enis_attached += 1;
        let fact = Fact::EniReady {
            eni: EniId(id),
            count: count as u32,
            adopted: adopting,
            prefixes: self.pd(node),
        };
        self.emit(now, node, fact);
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

    /// `decreaseDatastorePool` (§c.11): release `over` IPs or prefixes, ENI by ENI.
    fn decrease(
        &mut self,
        now: SimTime,
        node: NodeIndex,
        stats: PoolStats,
        queue: &mut EventQueue<Event>,
    ) {
        let over = pool::decrease_amount(stats, self.nodes[node as usize].targets);
        let rot = self.map_order(node);
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
            let ip_rot = self.map_order(node);
            let n = &mut self.nodes[node as usize];
            let ip = &mut n.ipamd;
            if ip.over == 0 || ip.visit_pos >= ip.visit_len || n.ds.enis.is_empty() {
                return self.free_eni_phase(now, node, queue);
            }
            let idx = (ip.visit_rot as usize + ip.visit_pos as usize) % n.ds.enis.len();
            ip.visit_pos += 1;
            let mut out = std::mem::take(&mut ip.scratch);
            out.clear();
            let taken = n.ds.take_freeable(idx, ip.over, ip_rot, &mut out);
            if taken > 0 {
                n.ipamd.over -= taken;
                n.ipamd.releasing_eni = n.ds.enis[idx].id;
                let r = &mut n.ipamd.releasing;
                r.subnet = n.ds.enis[idx].subnet;
                if n.ds.pd {
                    r.prefixes.extend_from_slice(&out);
                } else {
                    r.ips.extend_from_slice(&out);
                }
            }
            n.ipamd.scratch = out;
            if taken > 0 {
                let eni = n.ds.enis[idx].id;
                let s = n.ds.stats(now);
                let fact = Fact::Unassigned {
                    eni: EniId(eni),
                    count: taken,
                    total: s.total,
                    assigned: s.assigned,
                    prefixes: n.ds.pd,
                };
                self.emit(now, node, fact);
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
        let rot = self.map_order(node);
        let n = &mut self.nodes[node as usize];
        let Some(idx) = n.ds.deletable_eni(now, n.targets, rot) else {
            return self.end_tick(now, node, queue);
        };
        let eni = n.ds.enis.remove(idx);
        n.ipamd.freeing = Some(NewEni {
            id: eni.id,
            subnet: eni.subnet,
            device_index: eni.device_index,
            attached: true,
            primary_ip: eni.primary_ip,
            ips: eni.ips.iter().map(|s| s.addr).collect(),
            prefixes: eni.prefixes.iter().map(|p| p.base).collect(),
            visible_at: now,
        });
        n.ipamd.free_then = FreeThen::EndTick;
        n.ipamd.at_max_eni = false;
        self.totals.enis_freed += 1;
        let fact = Fact::FreeEni {
            eni: EniId(eni.id),
            idle: eni.cidrs(),
            prefixes: self.pd(node),
        };
        self.emit(now, node, fact);
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
            self.readd_unreleased(now, node);
            return self.adopt_next_orphan(now, node, queue);
        }
        self.reconcile_done(now, node, queue);
    }

    /// Reconcile finds CIDRs that EC2 still has on an ENI but the datastore lost (a failed
    /// release): after the 60 s reconcile cooldown it asks EC2 and adds them back (§b.5).
    /// CIDRs of an ENI that is gone return to the subnet.
    fn readd_unreleased(&mut self, now: SimTime, node: NodeIndex) {
        let n = &mut self.nodes[node as usize];
        if !n
            .ipamd
            .unreleased
            .iter()
            .any(|u| now.since(u.3).micros() > RECONCILE_INTERVAL_US)
        {
            return;
        }
        let r = self
            .ec2
            .request(Ec2Action::DescribeNetworkInterfaces, now, &mut n.rng.ec2);
        if !matches!(r, Response::Ok(_)) {
            return;
        }
        let mut readded = 0;
        let list = std::mem::take(&mut n.ipamd.unreleased);
        for (eni, addr, prefix, when, subnet) in list {
            if now.since(when).micros() <= RECONCILE_INTERVAL_US {
                n.ipamd.unreleased.push((eni, addr, prefix, when, subnet));
                continue;
            }
            match n.ds.position(eni) {
                Some(idx) if prefix => n.ds.add_prefixes(idx, &[addr]),
                Some(idx) => n.ds.add_ips(idx, &[addr]),
                None if prefix => self.subnets[subnet as usize].release_prefix(addr),
                None => self.subnets[subnet as usize].release_ip(addr),
            }
            readded += 1;
        }
        self.emit(now, node, Fact::Reconcile { readded });
    }

    fn adopt_next_orphan(&mut self, now: SimTime, node: NodeIndex, queue: &mut EventQueue<Event>) {
        let n = &mut self.nodes[node as usize];
        match n.ipamd.orphans.iter().position(|o| o.visible_at <= now) {
            Some(i) => {
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
            None => {
                n.ipamd.last_pool_action = Some(now);
                self.reconcile_done(now, node, queue)
            }
        }
    }

    fn reconcile_done(&mut self, now: SimTime, node: NodeIndex, queue: &mut EventQueue<Event>) {
        let d = HALF_PERIOD + self.sc.ipamd.tick_overhead;
        self.ipamd_sleep(now, node, d, Step::PoolUpdate, queue);
    }
}
