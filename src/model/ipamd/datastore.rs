//! One node's ipamd datastore: its ENIs and their secondary IPs (/32s) or /28 prefixes.
//!
//! ENIs are kept in device-index order and addresses in ascending order, so the canonical
//! placement order (spec "Simulator guidance" 1) is index order. Random placement rotates
//! that order by a caller-drawn offset, modelling Go map iteration's random start.
//! A datastore is in one mode for its life: secondary IPs, or prefixes (`pd`). Callers
//! name an ENI by its [`EniId`]; positions stay inside (`enis.rs`: an ENI and its slots).

use super::pool::{self, PoolStats, Targets, IPS_PER_PREFIX};
use crate::model::ids::{EniId, PodId};
use crate::time::{SimDuration, SimTime};
use std::collections::VecDeque;

mod enis;

pub use enis::{Eni, IpSlot, Prefix};

/// Minimum time an ENI stays in the datastore before it may be freed (`minENILifeTime`).
pub const MIN_ENI_LIFETIME: SimDuration = SimDuration::from_secs(60);

/// One node's datastore.
///
/// Its statistics are counters kept as addresses come and go, so [`Datastore::stats`] does
/// not rescan the slots: only the cooling count needs time, and it comes from the queue of
/// recent releases (the ones still inside the cooldown). A release inside the cooldown is
/// still its slot's last: an address is taken again, or its release forgotten, only once
/// out of cooldown, and a CIDR or ENI removed takes its releases out of the queue; so the
/// count reads the queue alone (debug builds check each entry against its slot).
#[derive(Clone, Debug, Default)]
pub struct Datastore {
    /// ENIs in device-index order.
    enis: Vec<Eni>,
    /// `IP_COOLDOWN_PERIOD` (s).
    pub cooldown_s: i64,
    /// Prefix mode.
    pub pd: bool,
    /// Addresses held (`T`).
    total: u32,
    /// Addresses assigned (`U`).
    assigned: u32,
    /// Prefixes held (`P`).
    prefixes: u32,
    /// Prefixes with no assigned address (`F`).
    free_prefixes: u32,
    /// Releases in time order; entries past the cooldown are dropped at the next release.
    released: VecDeque<Release>,
    /// The last release noted (µs; none when `None`), kept beside the counters: when it is
    /// out of cooldown so is every entry, and the queue is not read.
    newest_release: Option<SimTime>,
}

/// An address a pod released (the cooling count checks whether it is still unassigned).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Release {
    /// When.
    at: SimTime,
    /// Its ENI.
    eni: EniId,
    /// The address.
    addr: u32,
}

impl Datastore {
    /// An empty datastore with the given cooldown (s), in prefix mode when `pd`.
    pub fn new(cooldown_s: i64, pd: bool) -> Datastore {
        Datastore {
            cooldown_s,
            pd,
            ..Datastore::default()
        }
    }

    /// The ENIs, in device-index order.
    pub fn enis(&self) -> &[Eni] {
        &self.enis
    }

    /// `GetIPStats` (spec §c.1), from the counters and the recent releases.
    pub fn stats(&self, now: SimTime) -> PoolStats {
        let cooldown = self.cooling_releases(now).count() as u32;
        let s = PoolStats {
            total: self.total,
            assigned: self.assigned,
            cooldown,
            prefixes: self.prefixes,
            free_prefixes: self.free_prefixes,
        };
        debug_assert_eq!(s, self.stats_scan(now), "datastore counters");
        s
    }

    /// When the oldest address still cooling at `now` stops cooling (the first instant it
    /// may be assigned), or `None` if none is cooling.
    pub fn cooling_ends(&self, now: SimTime) -> Option<SimTime> {
        let oldest = self.cooling_releases(now).last().map(|r| r.at);
        // cooling while `now − t ≤ cooldown`, so assignable from `t + cooldown + 1 µs`
        let cooldown_us = u64::try_from(self.cooldown_s)
            .ok()?
            .saturating_mul(1_000_000);
        oldest.map(|t| SimTime(t.micros().saturating_add(cooldown_us).saturating_add(1)))
    }

    /// Whether some ENI can take another IP or prefix (`max_cidrs` per ENI; the primary
    /// ENI not counted when `skip_primary`, as with custom networking).
    pub fn has_room(&self, max_cidrs: u32, skip_primary: bool) -> bool {
        self.enis
            .iter()
            .any(|e| e.cidrs() < max_cidrs && !(skip_primary && e.is_primary))
    }

    /// The releases still cooling at `now`, newest first (the queue is not read when the
    /// newest is out of cooldown).
    fn cooling_releases(&self, now: SimTime) -> impl Iterator<Item = &Release> {
        let cooling = move |t: SimTime| pool::is_cooling(now.micros(), t.micros(), self.cooldown_s);
        let any = self.newest_release.is_some_and(cooling);
        self.released
            .iter()
            .rev()
            .take(if any { usize::MAX } else { 0 })
            .take_while(move |r| cooling(r.at))
            .inspect(|r| self.debug_check_release(r))
    }

    /// Debug builds: a release inside the cooldown is still its slot's last (see
    /// [`Datastore`]).
    fn debug_check_release(&self, r: &Release) {
        debug_assert!(
            self.slot(r.eni, r.addr)
                .is_some_and(|s| s.released_at(r.at)),
            "release of {} on eni-{} at {} µs is no longer its slot's",
            r.addr,
            r.eni.0,
            r.at.micros()
        );
    }

    /// The slot of `addr` on ENI `eni`, if both are still there.
    fn slot(&self, eni: EniId, addr: u32) -> Option<&IpSlot> {
        let e = self.enis.iter().find(|e| e.id == eni)?;
        if let Ok(i) = e.ips.binary_search_by_key(&addr, |s| s.addr) {
            return Some(&e.ips[i]);
        }
        let i = e
            .prefixes
            .partition_point(|p| p.base <= addr)
            .checked_sub(1)?;
        let p = &e.prefixes[i];
        p.slots.get(addr.wrapping_sub(p.base) as usize)
    }

    /// `GetIPStats` by rescanning every slot: the reference the counters are checked
    /// against (debug builds, tests).
    pub fn stats_scan(&self, now: SimTime) -> PoolStats {
        let mut s = PoolStats::default();
        for eni in &self.enis {
            for p in &eni.prefixes {
                s.prefixes += 1;
                let assigned = p.assigned();
                s.free_prefixes += u32::from(assigned == 0);
                s.total += IPS_PER_PREFIX;
                s.assigned += assigned;
                s.cooldown += p
                    .slots
                    .iter()
                    .filter(|x| x.cooling(now, self.cooldown_s))
                    .count() as u32;
            }
            for slot in &eni.ips {
                s.total += 1;
                if !slot.is_free() {
                    s.assigned += 1;
                } else if slot.cooling(now, self.cooldown_s) {
                    s.cooldown += 1;
                }
            }
        }
        s
    }

    /// Adds an ENI (with whatever addresses it holds), keeping device-index order.
    pub fn add_eni(&mut self, mut eni: Eni) {
        eni.recount();
        self.total += eni.total();
        self.assigned += eni.assigned;
        self.prefixes += eni.prefixes.len() as u32;
        self.free_prefixes += eni.free_prefixes();
        let at = self
            .enis
            .partition_point(|e| e.device_index < eni.device_index);
        self.enis.insert(at, eni);
    }

    /// Removes ENI `id`, if it is there (ipamd frees it; its addresses leave the
    /// datastore).
    pub fn remove_eni(&mut self, id: EniId) -> Option<Eni> {
        let eni = self.enis.remove(self.position(id)?);
        self.released.retain(|r| r.eni != id);
        self.total -= eni.total();
        self.assigned -= eni.assigned;
        self.prefixes -= eni.prefixes.len() as u32;
        self.free_prefixes -= eni.free_prefixes();
        Some(eni)
    }

    /// Removes every ENI (the instance is terminated).
    pub fn drain_enis(&mut self) -> Vec<Eni> {
        self.total = 0;
        self.assigned = 0;
        self.prefixes = 0;
        self.free_prefixes = 0;
        self.released.clear();
        self.newest_release = None;
        std::mem::take(&mut self.enis)
    }

    /// Every ENI entered the datastore now (after an aws-node restart, §g).
    pub fn reset_create_times(&mut self, now: SimTime) {
        for e in &mut self.enis {
            e.create_time = now;
        }
    }

    /// Position of the ENI with node-local id `id`.
    fn position(&self, id: EniId) -> Option<usize> {
        self.enis.iter().position(|e| e.id == id)
    }

    /// The ENI with node-local id `id`, if it is there.
    pub fn eni(&self, id: EniId) -> Option<&Eni> {
        self.enis.iter().find(|e| e.id == id)
    }

    /// Adds secondary IPs to ENI `id`, keeping address order; false (nothing added) if the
    /// ENI is not there.
    pub fn add_ips(&mut self, id: EniId, addrs: &[u32]) -> bool {
        let Some(idx) = self.position(id) else {
            return false;
        };
        let ips = &mut self.enis[idx].ips;
        for &addr in addrs {
            let at = ips.partition_point(|s| s.addr < addr);
            ips.insert(at, IpSlot::new(addr));
        }
        self.total += addrs.len() as u32;
        true
    }

    /// Adds /28 prefixes (by base address) to ENI `id`, keeping address order; false
    /// (nothing added) if the ENI is not there.
    pub fn add_prefixes(&mut self, id: EniId, bases: &[u32]) -> bool {
        let Some(idx) = self.position(id) else {
            return false;
        };
        let prefixes = &mut self.enis[idx].prefixes;
        for &base in bases {
            let at = prefixes.partition_point(|p| p.base < base);
            prefixes.insert(at, Prefix::new(base));
        }
        let n = bases.len() as u32;
        self.total += IPS_PER_PREFIX * n;
        self.prefixes += n;
        self.free_prefixes += n;
        true
    }

    /// Lowest device index used neither by a datastore ENI nor per `also_used`
    /// (`DescribeInstances` in `attachENI`).
    pub fn lowest_free_device_index(&self, also_used: impl Fn(u32) -> bool) -> u32 {
        (0..)
            .find(|&d| !self.enis.iter().any(|e| e.device_index == d) && !also_used(d))
            .unwrap_or(0)
    }

    /// `AssignPodIPv4Address` (spec §d.1): visits ENIs and CIDRs in rotated order and takes
    /// the first assignable address; cooling addresses are never handed out. Returns
    /// `(eni id, addr)`.
    pub fn assign(
        &mut self,
        now: SimTime,
        pod: PodId,
        eni_rot: u32,
        ip_rot: u32,
    ) -> Option<(EniId, u32)> {
        // Every slot held by a pod: nothing to find (the common failed CNI ADD of a pool
        // that cannot grow fast enough, answered without a scan).
        if self.total == self.assigned {
            return None;
        }
        let n = self.enis.len();
        let cooldown_s = self.cooldown_s;
        let pd = self.pd;
        for k in 0..n {
            let eni = &mut self.enis[(eni_rot as usize + k) % n];
            if pd {
                let m = eni.prefixes.len();
                for j in 0..m {
                    let prefix = &mut eni.prefixes[(ip_rot as usize + j) % m];
                    if let Some(addr) = prefix.take(now, cooldown_s, ip_rot, pod) {
                        if prefix.used == 1 {
                            self.free_prefixes -= 1;
                        }
                        eni.assigned += 1;
                        self.assigned += 1;
                        return Some((eni.id, addr));
                    }
                }
                continue;
            }
            let m = eni.ips.len();
            for j in 0..m {
                let slot = &mut eni.ips[(ip_rot as usize + j) % m];
                if !slot.is_free() || slot.cooling(now, cooldown_s) {
                    continue;
                }
                slot.take_for(pod);
                eni.assigned += 1;
                self.assigned += 1;
                return Some((eni.id, slot.addr));
            }
        }
        None
    }

    /// `UnassignPodIPAddress` (spec §d.2): the address stays on the ENI and starts cooling.
    /// Returns false if the pod did not hold it (the ENI or address is gone).
    pub fn unassign(&mut self, now: SimTime, eni_id: EniId, addr: u32, pod: PodId) -> bool {
        let Some(idx) = self.position(eni_id) else {
            return false;
        };
        let eni = &mut self.enis[idx];
        let found = eni.ips.binary_search_by_key(&addr, |s| s.addr).ok();
        let (slot, prefix_used) = match found.map(|i| &mut eni.ips[i]) {
            Some(s) => (Some(s), None),
            None => match eni
                .prefixes
                .iter_mut()
                .find(|p| addr.wrapping_sub(p.base) < IPS_PER_PREFIX)
            {
                Some(p) => (
                    Some(&mut p.slots[(addr - p.base) as usize]),
                    Some(&mut p.used),
                ),
                None => (None, None),
            },
        };
        match slot {
            Some(slot) if slot.pod() == Some(pod) => {
                slot.release_at(now);
                if let Some(used) = prefix_used {
                    *used -= 1;
                    if *used == 0 {
                        self.free_prefixes += 1;
                    }
                }
                eni.assigned -= 1;
                self.assigned -= 1;
                if self.cooldown_s >= 0 {
                    self.note_release(now, eni_id, addr);
                }
                true
            }
            _ => false,
        }
    }

    /// Queues a release for the cooling count, dropping entries already past the cooldown.
    fn note_release(&mut self, now: SimTime, eni: EniId, addr: u32) {
        while let Some(r) = self.released.front() {
            if pool::is_cooling(now.micros(), r.at.micros(), self.cooldown_s) {
                break;
            }
            self.released.pop_front();
        }
        self.released.push_back(Release { at: now, eni, addr });
        self.newest_release = Some(now);
    }

    /// Ids of ENIs that can take more CIDRs (`GetAllocatableENIs`, §c.7): fewer than
    /// `max_cidrs` IPs or prefixes, and not the primary when `skip_primary` (custom
    /// networking); pushed to `out` in rotated order.
    pub fn allocatable(&self, max_cidrs: u32, skip_primary: bool, rot: u32, out: &mut Vec<EniId>) {
        out.clear();
        let n = self.enis.len();
        for k in 0..n {
            let eni = &self.enis[(rot as usize + k) % n];
            if eni.cidrs() < max_cidrs && !(skip_primary && eni.is_primary) {
                out.push(eni.id);
            }
        }
    }

    /// `CheckFreeableENIexists` (§c.5): a non-primary ENI with no assigned address (age and
    /// cooldown are not checked).
    pub fn freeable_eni_exists(&self) -> bool {
        self.enis.iter().any(|e| !e.is_primary && e.assigned() == 0)
    }

    /// `getDeletableENI` (spec §c.10): the first ENI in rotated order that is not primary,
    /// not younger than 60 s, has no cooling address, no pod, and is not required for
    /// `WARM_IP_TARGET`, `MINIMUM_IP_TARGET` or (PD) `WARM_PREFIX_TARGET`.
    pub fn deletable_eni(&self, now: SimTime, t: Targets, rot: u32) -> Option<EniId> {
        let n = self.enis.len();
        let (total, unassigned, free_prefixes) =
            self.enis.iter().fold((0u32, 0u32, 0u32), |(t, u, f), e| {
                let len = e.total();
                (t + len, u + len - e.assigned(), f + e.free_prefixes())
            });
        for k in 0..n {
            let idx = (rot as usize + k) % n;
            let eni = &self.enis[idx];
            if eni.is_primary
                || now.since(eni.create_time) < MIN_ENI_LIFETIME
                || eni.has_cooling(now, self.cooldown_s)
                || eni.assigned() > 0
            {
                continue;
            }
            let len = eni.total();
            // No pods on it, so all its addresses are unassigned and all its prefixes free.
            if pool::required_for_warm_ip(unassigned - len, t.warm_ip, t.pd)
                || pool::required_for_min(total - len, t.minimum_ip, t.pd)
                || (t.pd
                    && pool::required_for_warm_prefix(
                        free_prefixes - eni.free_prefixes(),
                        t.warm_prefix,
                    ))
            {
                continue;
            }
            return Some(eni.id);
        }
        None
    }

    /// Removes up to `max` freeable CIDRs from ENI `id`, in rotated order, and pushes
    /// their addresses (IPs) or base addresses (prefixes) to `out`: every CIDR with no
    /// assigned address, cooling ones included (cooldown does not protect a CIDR from
    /// release, §c.11). Returns how many were removed (none if the ENI is not there).
    pub fn take_freeable(&mut self, id: EniId, max: u32, rot: u32, out: &mut Vec<u32>) -> u32 {
        let Some(idx) = self.position(id) else {
            return 0;
        };
        let eni = &mut self.enis[idx];
        let start = out.len();
        if self.pd {
            let m = eni.prefixes.len();
            for j in 0..m {
                if (out.len() - start) as u32 == max {
                    break;
                }
                let p = &eni.prefixes[(rot as usize + j) % m];
                if p.assigned() == 0 {
                    out.push(p.base);
                }
            }
            let taken = &out[start..];
            eni.prefixes.retain(|p| !taken.contains(&p.base));
            self.released.retain(|r| {
                r.eni != id
                    || !taken
                        .iter()
                        .any(|&b| r.addr.wrapping_sub(b) < IPS_PER_PREFIX)
            });
            let n = taken.len() as u32;
            self.total -= IPS_PER_PREFIX * n;
            self.prefixes -= n;
            self.free_prefixes -= n;
        } else {
            let m = eni.ips.len();
            for j in 0..m {
                if (out.len() - start) as u32 == max {
                    break;
                }
                let slot = eni.ips[(rot as usize + j) % m];
                if slot.is_free() {
                    out.push(slot.addr);
                }
            }
            let taken = &out[start..];
            eni.ips.retain(|s| !taken.contains(&s.addr));
            self.released
                .retain(|r| r.eni != id || !taken.contains(&r.addr));
            self.total -= taken.len() as u32;
        }
        (out.len() - start) as u32
    }
}

#[cfg(test)]
#[path = "datastore_tests.rs"]
mod tests;
