//! A datastore ENI and its address slots: secondary IPs (/32s) or /28 prefixes.

use super::super::pool::{self, IPS_PER_PREFIX};
use crate::model::ids::{EniId, PodId, SubnetId};
use crate::time::SimTime;

/// One address: a secondary IP (/32), or one of a prefix's 16.
///
/// Kept in 16 bytes (a pod id and a time with reserved values for "none" rather than two
/// `Option`s, 32 bytes), so that an ENI's 15 slots span four cache lines, not eight: a
/// pod's delete searches them by address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpSlot {
    /// The address.
    pub addr: u32,
    /// The pod holding it ([`NO_POD`] when none).
    pod: u32,
    /// When its last pod released it (µs; [`NEVER`] once ipamd dropped it from the CIDR's
    /// map, or when it never had a pod).
    unassigned_at_us: u64,
}

/// [`IpSlot::pod`]'s "no pod" (pod ids stay far below it: the work budget).
const NO_POD: u32 = u32::MAX;
/// [`IpSlot::unassigned_at`]'s "none".
const NEVER: u64 = u64::MAX;

impl IpSlot {
    pub(super) fn new(addr: u32) -> IpSlot {
        IpSlot {
            addr,
            pod: NO_POD,
            unassigned_at_us: NEVER,
        }
    }

    /// The pod holding it.
    #[inline]
    pub fn pod(&self) -> Option<PodId> {
        (self.pod != NO_POD).then_some(PodId(self.pod))
    }

    /// No pod holds it.
    #[inline]
    pub fn is_free(&self) -> bool {
        self.pod == NO_POD
    }

    /// When its last pod released it; `None` once ipamd dropped it from the CIDR's map (or
    /// it never had a pod).
    #[inline]
    pub fn unassigned_at(&self) -> Option<SimTime> {
        (self.unassigned_at_us != NEVER).then_some(SimTime(self.unassigned_at_us))
    }

    /// Gives it to `pod` (no longer released).
    #[inline]
    pub(super) fn take_for(&mut self, pod: PodId) {
        debug_assert!(pod.0 != NO_POD, "pod id {} is reserved", pod.0);
        self.pod = pod.0;
        self.unassigned_at_us = NEVER;
    }

    /// Its pod releases it at `now`.
    #[inline]
    pub(super) fn release_at(&mut self, now: SimTime) {
        self.pod = NO_POD;
        self.unassigned_at_us = now.micros();
    }

    /// ipamd drops it from the CIDR's map (its release is forgotten).
    #[inline]
    pub(super) fn forget_release(&mut self) {
        self.unassigned_at_us = NEVER;
    }

    /// Still free and released at exactly `t` (the release queue's check).
    #[inline]
    pub(super) fn released_at(&self, t: SimTime) -> bool {
        self.pod == NO_POD && self.unassigned_at_us == t.micros()
    }

    pub(super) fn cooling(&self, now: SimTime, cooldown_s: i64) -> bool {
        self.pod == NO_POD
            && self.unassigned_at_us != NEVER
            && pool::is_cooling(now.micros(), self.unassigned_at_us, cooldown_s)
    }
}

/// A /28 prefix on an ENI: 16 addresses, all usable by pods (the base address too).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prefix {
    /// First address.
    pub base: u32,
    /// The 16 addresses in order.
    pub slots: [IpSlot; 16],
    /// Addresses held by pods (kept as pods come and go).
    pub(super) used: u32,
}

impl Prefix {
    /// A fresh prefix at `base`.
    pub fn new(base: u32) -> Prefix {
        Prefix {
            base,
            slots: std::array::from_fn(|i| IpSlot::new(base + i as u32)),
            used: 0,
        }
    }

    /// Addresses held by pods.
    pub fn assigned(&self) -> u32 {
        self.used
    }

    /// `getUnusedIP` (spec §d.1) inside one prefix: if some released addresses have left
    /// cooldown, all of them are dropped from the map and the first in rotated order is
    /// reused; otherwise the lowest address never used (or dropped) is taken.
    pub(super) fn take(
        &mut self,
        now: SimTime,
        cooldown_s: i64,
        rot: u32,
        pod: PodId,
    ) -> Option<u32> {
        let mut first_expired = None;
        for k in 0..16 {
            let i = (rot as usize + k) % 16;
            let slot = &mut self.slots[i];
            if slot.is_free() && slot.unassigned_at_us != NEVER && !slot.cooling(now, cooldown_s) {
                slot.forget_release();
                first_expired.get_or_insert(i);
            }
        }
        let i = first_expired.or_else(|| {
            self.slots
                .iter()
                .position(|s| s.is_free() && s.unassigned_at_us == NEVER)
        })?;
        self.slots[i].take_for(pod);
        self.used += 1;
        Some(self.slots[i].addr)
    }
}

/// An ENI in the datastore.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Eni {
    /// Node-local sequence number (`eni-<id>` in outputs; the primary ENI is 1).
    pub id: EniId,
    /// Attachment device index (0 = primary).
    pub device_index: u32,
    /// The ENI's own primary address (never given to pods).
    pub primary_ip: u32,
    /// The subnet its addresses come from.
    pub subnet: SubnetId,
    /// The instance's primary ENI (never freed).
    pub is_primary: bool,
    /// When it entered the datastore (`minENILifeTime` counts from here).
    pub create_time: SimTime,
    /// Secondary IPs, ascending (secondary-IP mode).
    pub ips: Vec<IpSlot>,
    /// /28 prefixes, ascending (prefix mode).
    pub prefixes: Vec<Prefix>,
    /// Addresses assigned to pods (kept as pods come and go).
    pub(super) assigned: u32,
}

impl Eni {
    /// Its address slots: the secondary IPs, then every address of every prefix.
    pub fn slots(&self) -> impl Iterator<Item = &IpSlot> + '_ {
        self.ips
            .iter()
            .chain(self.prefixes.iter().flat_map(|p| p.slots.iter()))
    }

    /// Every address it holds: its primary, then its slots' ([`Eni::slots`]).
    pub fn addresses(&self) -> impl Iterator<Item = u32> + '_ {
        std::iter::once(self.primary_ip).chain(self.slots().map(|s| s.addr))
    }

    /// An ENI with no secondary IPs or prefixes yet.
    pub fn new(
        id: EniId,
        device_index: u32,
        primary_ip: u32,
        subnet: SubnetId,
        is_primary: bool,
        create_time: SimTime,
    ) -> Eni {
        Eni {
            id,
            device_index,
            primary_ip,
            subnet,
            is_primary,
            create_time,
            ips: Vec::new(),
            prefixes: Vec::new(),
            assigned: 0,
        }
    }

    /// Addresses assigned to pods.
    pub fn assigned(&self) -> u32 {
        self.assigned
    }

    /// Recounts the pods' addresses from the slots (an ENI built slot by slot, in tests).
    pub(super) fn recount(&mut self) {
        for p in &mut self.prefixes {
            p.used = p.slots.iter().filter(|s| !s.is_free()).count() as u32;
        }
        self.assigned = self.ips.iter().filter(|s| !s.is_free()).count() as u32
            + self.prefixes.iter().map(|p| p.used).sum::<u32>();
    }

    /// Addresses held (1 per IP, 16 per prefix).
    pub fn total(&self) -> u32 {
        self.ips.len() as u32 + IPS_PER_PREFIX * self.prefixes.len() as u32
    }

    /// CIDRs held: IPs or prefixes.
    pub fn cidrs(&self) -> u32 {
        (self.ips.len() + self.prefixes.len()) as u32
    }

    pub(super) fn free_prefixes(&self) -> u32 {
        self.prefixes.iter().filter(|p| p.assigned() == 0).count() as u32
    }

    /// When its last address was released (and not taken again or dropped since), if any:
    /// the ENI is cooling until that plus the cooldown.
    pub fn last_release(&self) -> Option<SimTime> {
        self.ips
            .iter()
            .chain(self.prefixes.iter().flat_map(|p| p.slots.iter()))
            .filter(|s| s.is_free())
            .filter_map(|s| s.unassigned_at())
            .max()
    }

    pub(super) fn has_cooling(&self, now: SimTime, cooldown_s: i64) -> bool {
        self.ips
            .iter()
            .chain(self.prefixes.iter().flat_map(|p| p.slots.iter()))
            .any(|s| s.cooling(now, cooldown_s))
    }
}
