//! ipamd, one per node: `nodeInit` and the pool-manager loop (spec §b, §c, §e, §g) as a
//! state machine driven by [`Event::IpamdWake`], plus the CNI ADD/DEL it answers.
//!
//! The loop is sequential: while an EC2 call or an IMDS wait is in flight, no other pool
//! decision happens on that node. A node's ipamd owns its datastore, its loop state and its
//! random streams; what it shares with other nodes (the EC2 account, the subnets, the
//! recorder, the event queue) it reaches through a [`Ctx`] for one call.
//!
//! Files: `calls.rs` (EC2 calls through the SDK's retryer, ipamd's own retries),
//! `ahead.rs` (a refused retry counted without its wake), `init.rs`
//! (`nodeInit`, restarts, termination), `tick.rs` (`updateIPPoolIfRequired`: increase,
//! decrease, `tryFreeENI`, reconcile), `eni.rs` (creating, attaching, setting up, freeing
//! and leaking ENIs), `step.rs` (the loop's steps, each carrying the data of the routine
//! in progress), `wake.rs` (which step a wake continues), `waiting.rs` (why a pod
//! waiting on the node has no IP), `datastore.rs` and `pool.rs` (the datastore and the
//! pure pool rules), `cluster.rs` (every node's ipamd as the kubelet's CNI).

mod ahead;
mod calls;
mod cards;
mod cluster;
pub mod datastore;
mod dormant;
mod eni;
mod init;
pub mod ipv6;
pub mod pool;
mod step;
mod tick;
mod waiting;
mod wake;

pub use cards::{CardPass, CardSlot, Homed};
pub use cluster::Ipamds;

use super::ec2::Ec2;
use super::event::Event;
use super::ids::{EniId, GroupId, NodeId, PodId, SubnetId};
use super::lease::{Ipv4, Lease, Leased};
use super::record::{AwsNodeCounters, Draft, Ec2Error, EventOrder, Fact};
use super::subnet::Subnet;
use crate::engine::EventQueue;
use crate::scenario::{Ec2Action, NodeGroupSpec, Placement, Scenario};
use crate::time::{SimDuration, SimTime};
use datastore::Datastore;
use pool::{PoolStats, Targets};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use step::{Caller, Creating, Decrease, Fill, FreeThen, Freeing, Held, Recall, Step};

/// Half of the 5 s pool-manager period (`ipPoolMonitorInterval / 2`).
pub const HALF_PERIOD: SimDuration = SimDuration(2_500_000);
/// `decreaseIPPoolInterval`: minimum gap between releases.
pub const DECREASE_INTERVAL: SimDuration = SimDuration::from_secs(30);
/// `nodeIPPoolReconcileInterval`.
pub const RECONCILE_INTERVAL: SimDuration = SimDuration::from_secs(60);
/// `insufficientCidrErrorCooldown`.
pub const INSUFFICIENT_COOLDOWN: SimDuration = SimDuration::from_secs(120);
/// A throttled request this recent still names the throttled call in `no_ip` events.
pub const THROTTLE_MEMORY: SimDuration = SimDuration::from_secs(30);
/// IMDS polls in `WaitForENIAndIPsAttached` (`maxENIEC2APIRetries`).
pub const IMDS_MAX_ATTEMPTS: u8 = 12;
/// Fixed sleep between detach and delete in `FreeENI`.
pub const DETACH_TO_DELETE: SimDuration = SimDuration(2_000_000);
/// How long an ENI hit by the "missing from IMDS" fault stays invisible: longer than
/// ipamd's whole wait (about 162–187 s), so reconcile adopts it later.
pub const MISSING_FROM_IMDS_FOR: SimDuration = SimDuration(200_000_000);
/// First restart delay of a crashed aws-node container (kubelet CrashLoopBackOff: 10 s,
/// doubling, at most 5 minutes).
pub const RESTART_BACKOFF: SimDuration = SimDuration(10_000_000);
/// Longest CrashLoopBackOff delay.
pub const RESTART_BACKOFF_MAX: SimDuration = SimDuration(300_000_000);
/// Leaked-ENI cleanup period (`awsutils.go:2294-2320`: hourly).
pub const LEAK_CLEANUP_PERIOD: SimDuration = SimDuration::from_secs(3600);

/// An EC2 call in flight through the SDK's standard retryer.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Call {
    /// The call.
    action: Ec2Action,
    /// The request in flight, 1-based.
    attempt: u32,
    /// Where the loop resumes when the call succeeds or finally fails.
    then: Step,
}

/// An ENI being created, being freed, or attached but never seen in IMDS (an orphan).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewEni {
    /// Node-local id.
    pub id: EniId,
    /// Subnet it was created in.
    pub subnet: SubnetId,
    /// Device index (set by `DescribeInstances`).
    pub device_index: u32,
    /// Attached to the instance.
    pub attached: bool,
    /// The ENI's primary address (0 until `CreateNetworkInterface` returned).
    pub primary_ip: u32,
    /// Secondary IPs EC2 assigned at creation.
    pub ips: Vec<u32>,
    /// Prefixes (base addresses) EC2 assigned at creation.
    pub prefixes: Vec<u32>,
    /// When it appears in IMDS.
    pub visible_at: SimTime,
    /// The network card it is attached on (0 unless `ENABLE_MULTI_NIC`).
    pub card: u8,
}

/// Addresses on their way back to a subnet (a release or delete in flight).
#[derive(Clone, Debug, Default)]
struct Releasing {
    /// Their subnet.
    subnet: SubnetId,
    /// IPs (including an ENI's primary address).
    ips: Vec<u32>,
    /// Prefixes, by base address.
    prefixes: Vec<u32>,
}

/// A failed request: its call and EC2's error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Failure {
    /// The call.
    action: Ec2Action,
    /// The error.
    error: Ec2Error,
}

impl Releasing {
    /// Adds every address of an ENI (its primary, IPs and prefixes).
    fn add_eni(&mut self, e: &NewEni) {
        self.subnet = e.subnet;
        self.ips.push(e.primary_ip);
        self.ips.extend_from_slice(&e.ips);
        self.prefixes.extend_from_slice(&e.prefixes);
    }
}

/// A CIDR removed from the datastore whose `UnassignPrivateIpAddresses` failed: still on
/// the ENI in EC2, re-added by reconcile 60 s later.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unreleased {
    /// The ENI it is still on.
    pub eni: EniId,
    /// The address, or the prefix's base address.
    pub addr: u32,
    /// A /28 prefix rather than one IP.
    pub prefix: bool,
    /// When the release failed.
    pub since: SimTime,
    /// The ENI's subnet.
    pub subnet: SubnetId,
    /// The ENI's network card.
    pub card: u8,
}

/// A leaked ENI waiting for the hourly cleanup.
#[derive(Clone, Debug, Default)]
pub struct Leaked {
    /// The node it belonged to.
    pub node: NodeId,
    /// The ENI and its addresses (emptied once deleted).
    pub eni: NewEni,
}

/// A node's fixed ipamd settings, derived from its instance type and the CNI settings.
#[derive(Clone, Debug)]
pub struct NodeConf {
    /// Warm-pool targets and mode (prefix delegation only where the instance supports it).
    pub targets: Targets,
    /// IPs or prefixes one ENI can hold (IPv4 per ENI − 1).
    pub cidrs_per_eni: u32,
    /// Addresses one ENI can hold for pods (`M_ip`: `cidrs_per_eni`, × 16 with prefixes).
    pub ips_per_eni: u32,
    /// Effective ENI cap (`maxENI`).
    pub max_eni: u32,
    /// The instance's interface limit (EC2 refuses attaches beyond it).
    pub instance_max_enis: u32,
    /// kubelet max pods (also ipamd's ceiling).
    pub max_pods: u32,
    /// The node's primary subnet.
    pub subnet: SubnetId,
    /// The instance's primary address.
    pub primary_ip: Option<u32>,
    /// Go-map-order model.
    pub placement: Placement,
    /// CPU time charged to each half-cycle of the loop.
    pub tick_overhead: SimDuration,
    /// Sleep through idle ticks (`dormant.rs`); `false` runs every tick (the reference).
    pub lazy: bool,
    /// Custom networking: the primary ENI holds no pod addresses.
    pub custom_networking: bool,
    /// Subnet discovery excluded the primary ENI's subnet (`scenario::discovery`): like
    /// custom networking, the primary ENI holds no pod addresses.
    pub primary_excluded: bool,
    /// IPv6 mode: one /80 on the primary ENI, no pool manager (`ipv6.rs`).
    pub ipv6: bool,
    /// Network cards ipamd manages (cards): the type's cards with `ENABLE_MULTI_NIC`, else 1.
    pub cards: u8,
    /// ENI slots card 0 keeps for the trunk ENI of security groups for pods (0 or 1);
    /// `max_eni` and `instance_max_enis` already leave it out, cards > 0 do not keep it
    /// (`hasRoomForEni`, ipamd.go:2592-2597).
    pub trunk: u32,
    /// `ENABLE_MULTI_NIC`: a pod annotated `multi-nic-attachment` is served (without it
    /// ipamd refuses its ADD, `rpc_handler.go:197-201`).
    pub multi_nic: bool,
}

/// One node's random streams, one per component (design.md §3).
pub struct NodeRngs {
    /// EC2 call latencies of this node's ipamd.
    pub ec2: ChaCha8Rng,
    /// IMDS visibility delays and poll jitter.
    pub imds: ChaCha8Rng,
    /// ipamd's Go-map-order choices.
    pub placement: ChaCha8Rng,
}

/// The last insufficient-address error (`lastInsufficientCidrError`), which starts the
/// 120 s back-off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Insufficient {
    /// When EC2 answered it.
    pub at: SimTime,
    /// Which error.
    pub error: Ec2Error,
    /// `InsufficientCidrBlocks` while a subnet asked still had free addresses: no free
    /// aligned /28 in a subnet that is not full.
    pub fragmented: bool,
}

/// What one node's ipamd shares with the rest of the world for the length of one call.
pub struct Ctx<'a> {
    /// Now.
    pub now: SimTime,
    /// The node.
    pub node: NodeId,
    /// Its nodegroup.
    pub group: &'a NodeGroupSpec,
    /// Its nodegroup's id.
    pub group_id: GroupId,
    /// The scenario.
    pub sc: &'a Scenario,
    /// The EC2 account.
    pub ec2: &'a mut Ec2,
    /// The subnets.
    pub subnets: &'a mut [Subnet],
    /// Leaked ENIs of every node.
    pub leaked: &'a mut Vec<Leaked>,
    /// The event queue.
    pub queue: &'a mut EventQueue<Event>,
    /// Where facts go (in time order).
    pub events: &'a mut EventOrder,
    /// Set when `nodeInit` finished for the first time: the node becomes Ready.
    pub ready: bool,
    /// On a node that manages several network cards, the card in hand (facts carry it).
    pub card: Option<u8>,
}

impl Ctx<'_> {
    /// Records a fact about this node.
    pub fn emit(&mut self, fact: Fact) {
        let draft = self.draft(fact);
        self.events.push(draft);
    }

    /// A fact about this node, now, as a draft row.
    pub fn draft(&self, fact: Fact) -> Draft {
        Draft {
            time: self.now,
            node: Some(self.node),
            group: self.group_id,
            pod: None,
            fact,
            card: self.card,
        }
    }

    /// The subnet `id`.
    fn subnet(&mut self, id: SubnetId) -> &mut Subnet {
        &mut self.subnets[id.index()]
    }
}

/// One node's ipamd: datastore, loop state, settings, random streams and counters.
pub struct NodeIpamd {
    /// The datastore.
    pub ds: Datastore,
    /// Fixed settings.
    pub conf: NodeConf,
    /// Random streams.
    rng: NodeRngs,
    /// Generation; a wake with another generation is stale.
    gen: u32,
    /// What the next wake continues.
    step: Step,
    /// `lastNodeIPPoolAction`.
    last_pool_action: Option<SimTime>,
    /// `lastDecreaseIPPool`.
    last_decrease: Option<SimTime>,
    /// `lastInsufficientCidrError`, and which EC2 error set it.
    last_insufficient: Option<Insufficient>,
    /// "max ENI limit reached" already reported (until the ENI count changes); also the
    /// reason pods wait when set.
    at_max_eni: bool,
    /// ENIs attached but never seen in IMDS, until reconcile adopts them.
    orphans: Vec<NewEni>,
    /// Times aws-node restarted (CrashLoopBackOff doubling).
    restarts: u32,
    /// ipamd's gRPC server answers CNI ADDs (after `nodeInit`, until a restart).
    serving: bool,
    /// When EC2 last throttled a request of this node (`RequestLimitExceeded`).
    last_throttled: Option<SimTime>,
    /// CIDRs whose release failed, until reconcile adds them back.
    unreleased: Vec<Unreleased>,
    /// The EC2 call in flight, if any.
    call: Option<Call>,
    /// Why the call the next wake returns to finally failed (`None`: it succeeded).
    call_error: Option<Ec2Error>,
    /// Tokens left in the SDK's retry quota (a retry costs 5, a success refunds).
    retry_quota: u32,
    /// Retry-quota tokens the call in flight has spent, refunded on its success.
    retry_cost_in_flight: u32,
    /// Tries of ipamd's own retry of the failing call so far (§e.3, §e.5).
    ipamd_tries: u32,
    /// An attached ENI of a process that restarted mid-increase: the next `nodeInit`
    /// finds it attached and adopts it.
    carried: Option<NewEni>,
    /// Which routine the increase in progress returns to.
    caller: Caller,
    /// This tick's pre-action snapshot asked for `tryFreeENI` (`shouldRemoveExtraENIs`).
    remove_extra: bool,
    /// This tick released addresses (`lastDecreaseIPPool` is set when it ends).
    decreased: bool,
    /// Buffer: the ENIs a fill tries, in order ([`Fill::next`] indexes it); reused.
    candidates: Vec<EniId>,
    /// Buffer: the subnets `CreateNetworkInterface` tries, in order
    /// ([`Creating::next_subnet`] indexes it); reused.
    subnets_to_try: Vec<SubnetId>,
    /// Addresses on their way back to a subnet (a release or a delete in flight).
    releasing: Releasing,
    /// Buffer: addresses taken from a subnet or the datastore; reused.
    scratch: Vec<u32>,
    /// The next node-local ENI id.
    next_eni_id: u32,
    /// ENIs that became usable (created, or adopted by reconcile).
    pub enis_attached: u64,
    /// ENIs freed.
    pub enis_freed: u64,
    /// This aws-node process's Prometheus counters (`metrics.om`).
    pub counters: AwsNodeCounters,
    /// Sleeping through idle ticks: the loop's phase and what was applied.
    dormant: Option<dormant::Dormant>,
    /// The last failed request, until a request succeeds.
    last_failure: Option<Failure>,
    /// A refused request the loop carries instead of a wake (`ahead.rs`).
    ahead: Option<ahead::Ahead>,
    /// Failed requests repeating the last one, not yet recorded (`Fact::Ec2Repeats`).
    repeats: Option<calls::Repeats>,
    /// Which kinds of row the current failure streak has shown once already
    /// (`calls::SHOWN_*`); the rest of the streak is counted in `repeats`.
    shown: u8,
    /// IPv6 mode: the /80 and its addresses in use.
    v6: Option<ipv6::V6Pool>,
    /// The tick in progress did something beyond an idle decision.
    tick_active: bool,
    /// Placement draws made so far.
    draws: u64,
    /// Placement draws made before the tick in progress.
    tick_draws_start: u64,
    /// The network card in hand: [`NodeIpamd::ds`] is its datastore (`cards.rs`).
    card: u8,
    /// Every managed card's slot when the node manages several (empty otherwise); the
    /// slot of the card in hand holds a placeholder.
    cards: Vec<CardSlot>,
    /// The pass over the cards in progress (a tick, or pre-scaling).
    pass: CardPass,
    /// Multi-homed pods' addresses beyond their lease, with the pod.
    homed: Vec<(PodId, Homed)>,
    /// Pods that got an address on every managed card (pods), with several cards.
    pub homed_pods: u64,
    /// Addresses those pods got (addresses).
    pub homed_addresses: u64,
    /// Refused requests carried ahead of their instant and counted (`ahead.rs`).
    pub ahead_counted: u64,
    /// … whose wake was put back as an event because something looked first.
    pub ahead_put_back: u64,
}

impl NodeIpamd {
    /// Starts loading what a wake reads first (its generation, step, call, settings and
    /// EC2 stream; [`crate::engine::prefetch`]).
    pub fn prefetch(&self) {
        use crate::engine::prefetch::prefetch;
        prefetch(&self.gen);
        prefetch(&self.step);
        prefetch(&self.call);
        prefetch(&self.conf);
        prefetch(&self.rng.ec2);
        prefetch(&self.ds);
        prefetch(&self.dormant);
    }

    /// Starts loading the datastore's ENI list and, with random placement, the Go-map-order
    /// stream a CNI ADD that finds an address draws from (read once
    /// [`NodeIpamd::prefetch`]'s lines are in).
    pub fn prefetch_enis(&self) {
        use crate::engine::prefetch::{prefetch, prefetch_whole};
        for eni in self.ds.enis() {
            prefetch_whole(eni);
        }
        if self.conf.placement == Placement::Random {
            prefetch(&self.draws);
            prefetch_whole(&self.rng.placement);
        }
    }

    /// A node's ipamd before its instance has booted.
    pub fn new(ds: Datastore, conf: NodeConf, rng: NodeRngs) -> NodeIpamd {
        let cards = if conf.cards > 1 {
            (0..conf.cards)
                .map(|_| CardSlot {
                    ds: Datastore::new(ds.cooldown_s, ds.pd),
                    ..CardSlot::default()
                })
                .collect()
        } else {
            Vec::new()
        };
        NodeIpamd {
            ds,
            conf,
            rng,
            gen: 0,
            step: Step::Off,
            last_pool_action: None,
            last_decrease: None,
            last_insufficient: None,
            at_max_eni: false,
            orphans: Vec::new(),
            restarts: 0,
            serving: false,
            last_throttled: None,
            unreleased: Vec::new(),
            call: None,
            call_error: None,
            retry_quota: 0,
            retry_cost_in_flight: 0,
            ipamd_tries: 0,
            carried: None,
            caller: Caller::Init,
            remove_extra: false,
            decreased: false,
            candidates: Vec::new(),
            subnets_to_try: Vec::new(),
            releasing: Releasing::default(),
            scratch: Vec::new(),
            next_eni_id: 0,
            enis_attached: 0,
            enis_freed: 0,
            counters: AwsNodeCounters::default(),
            dormant: None,
            last_failure: None,
            ahead: None,
            ahead_counted: 0,
            ahead_put_back: 0,
            repeats: None,
            shown: 0,
            v6: None,
            tick_active: false,
            draws: 0,
            tick_draws_start: 0,
            card: 0,
            cards,
            pass: CardPass::default(),
            homed: Vec::new(),
            homed_pods: 0,
            homed_addresses: 0,
        }
    }

    /// Whether ipamd answers CNI ADDs now.
    pub fn serving(&self) -> bool {
        self.serving
    }

    /// Whether ipamd's process runs (`nodeInit` started; not stopped).
    pub fn started(&self) -> bool {
        !matches!(self.step, Step::Off)
    }

    /// The loop's generation (a wake carrying another one is stale).
    pub fn gen(&self) -> u32 {
        self.gen
    }

    /// CIDRs whose release failed and that reconcile has not added back yet.
    pub fn unreleased(&self) -> &[Unreleased] {
        &self.unreleased
    }

    /// ENIs attached but unknown to the datastore (never seen in IMDS).
    pub fn orphans(&self) -> &[NewEni] {
        &self.orphans
    }

    /// Whether increases are blocked by the insufficient-address back-off at `now`, and by
    /// which EC2 error.
    pub fn backoff_cause(&self, now: SimTime) -> Option<Ec2Error> {
        self.last_insufficient
            .filter(|i| now.since(i.at) <= INSUFFICIENT_COOLDOWN)
            .map(|i| i.error)
    }

    /// The pool's statistics at `now`: the datastore's, or in IPv6 mode the /80's
    /// addresses in ipamd's map.
    pub fn stats(&self, now: SimTime) -> PoolStats {
        match &self.v6 {
            Some(v6) => v6.stats(now),
            None if self.conf.cards > 1 => self.stats_over_cards(now),
            None => self.ds.stats(now),
        }
    }

    /// IPv6 mode: the node's /80, once assigned.
    pub fn ipv6_prefix(&self) -> Option<u128> {
        self.v6.as_ref().map(|p| p.prefix)
    }

    /// CNI ADD (`AssignPodIPv4Address`, §d.1): an address for `pod`, or `None`. ipamd
    /// answers only while it is serving (not during a restart's `nodeInit`).
    ///
    /// Only a walk of the datastore that finds an address draws its Go map order: a walk
    /// that finds none shows no order, so a failed ADD draws nothing (and a kubelet retry
    /// that is not simulated as an event shifts no draw).
    ///
    /// `multi`: the pod is annotated `multi-nic-attachment` (one address per managed card,
    /// `cards.rs`); ipamd refuses it without `ENABLE_MULTI_NIC` (`rpc_handler.go:197-201`).
    /// On a failure, `Err` names, on a node that manages several cards, the card that had
    /// no address (`None` on a one-card node, and when not served or refused).
    pub fn cni_add(&mut self, now: SimTime, pod: PodId, multi: bool) -> Result<Lease, Option<u8>> {
        if !self.serving {
            return Err(None);
        }
        self.counters.add_ip = self.counters.add_ip.saturating_add(1);
        if multi && !self.conf.multi_nic {
            return Err(None);
        }
        if self.conf.cards > 1 {
            return self.cni_add_cards(now, pod, multi).map_err(|k| {
                self.counters.no_ip = self.counters.no_ip.saturating_add(1);
                Some(k)
            });
        }
        if self.v6.is_none() {
            let s = self.ds.stats(now);
            if s.available() <= s.cooldown {
                self.counters.no_ip = self.counters.no_ip.saturating_add(1);
                return Err(None);
            }
        }
        let eni_rot = self.map_order();
        let ip_rot = self.map_order();
        if let Some(v6) = &mut self.v6 {
            let eni = self.ds.enis().first().map_or(EniId(1), |e| e.id);
            let addr = Leased::V6Offset(v6.assign(now, ip_rot, pod));
            return Ok(Lease {
                eni: Some(eni),
                addr,
            });
        }
        let Some((eni, addr)) = self.ds.assign(now, pod, eni_rot, ip_rot) else {
            self.counters.no_ip = self.counters.no_ip.saturating_add(1);
            return Err(None);
        };
        Ok(Lease::v4(Some(eni), Ipv4(addr)))
    }

    /// CNI DEL (`UnassignPodIPAddress`, §d.2): the address stays on the ENI and cools.
    pub fn cni_del(&mut self, now: SimTime, pod: PodId, lease: Lease) {
        if self.serving {
            self.counters.del_ip = self.counters.del_ip.saturating_add(1);
        }
        match (lease.addr, &mut self.v6, lease.eni) {
            (Leased::V6Offset(off), Some(v6), _) => v6.unassign(now, off, pod),
            (Leased::V4(addr), None, Some(eni)) if self.conf.cards > 1 => {
                self.cni_del_cards(now, pod, eni, addr.0);
            }
            (Leased::V4(addr), None, Some(eni)) => {
                self.ds.unassign(now, eni, addr.0, pod);
            }
            // the node's /80 is gone with its instance: nothing holds the address any more
            // (and ipamd gives no IPv4 lease without an ENI, nor one in IPv6 mode)
            _ => {}
        }
    }

    /// The full address of a lease CNI ADD gave.
    pub fn address(&self, lease: Lease) -> crate::model::record::PodAddr {
        lease.address(|off| self.v6.as_ref().map(|v6| v6.address(off)))
    }

    /// A Go-map-order draw: a random rotation, or 0 in canonical placement.
    fn map_order(&mut self) -> u32 {
        match self.conf.placement {
            Placement::Random => {
                self.draws += 1;
                self.rng.placement.gen()
            }
            Placement::Canonical => 0,
        }
    }

    /// Whether the node's pool counts /28 prefixes (prefix delegation) rather than IPs.
    fn pd(&self) -> bool {
        self.ds.pd
    }

    /// The loop sleeps for `d`, then continues at `step`.
    /// Wakes are ranked by node: among wakes scheduled at the same instant, lower node ids
    /// first, whatever else was scheduled (see `crate::engine`).
    fn sleep(&mut self, ctx: &mut Ctx<'_>, d: SimDuration, step: Step) {
        self.step = step;
        let wake = Event::IpamdWake {
            node: ctx.node,
            gen: self.gen,
        };
        ctx.queue
            .schedule_ranked(ctx.now + d, u64::from(ctx.node.0), wake);
    }

    /// The 2.5 s half-period plus the tick's CPU time.
    fn half_period(&self) -> SimDuration {
        HALF_PERIOD + self.conf.tick_overhead
    }
}
