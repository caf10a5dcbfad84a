//! One node's ipamd datastore: its ENIs and their secondary IPs (/32s) or /28 prefixes.
//!
//! ENIs are kept in device-index order and addresses in ascending order, so the canonical
//! placement order (spec "Simulator guidance" 1) is index order. Random placement rotates
//! that order by a caller-drawn offset, modelling Go map iteration's random start.
//! A datastore is in one mode for its life: secondary IPs, or prefixes (`pd`).

use super::pool::{self, PoolStats, Targets, IPS_PER_PREFIX};
use crate::model::ids::{EniId, PodId, SubnetId};
use crate::time::{SimDuration, SimTime};

/// One address: a secondary IP (/32), or one of a prefix's 16.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpSlot {
    /// The address.
    pub addr: u32,
    /// The pod holding it.
    pub pod: Option<PodId>,
    /// When its last pod released it; `None` once ipamd dropped it from the CIDR's map
    /// (or it never had a pod).
    pub unassigned_at: Option<SimTime>,
}

impl IpSlot {
    fn new(addr: u32) -> IpSlot {
        IpSlot {
            addr,
            pod: None,
            unassigned_at: None,
        }
    }

    fn cooling(&self, now: SimTime, cooldown_s: i64) -> bool {
        self.pod.is_none()
            && self
                .unassigned_at
                .is_some_and(|t| pool::is_cooling(now.micros(), t.micros(), cooldown_s))
    }
}

/// A /28 prefix on an ENI: 16 addresses, all usable by pods (the base address too).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prefix {
    /// First address.
    pub base: u32,
    /// The 16 addresses in order.
    pub slots: [IpSlot; 16],
}

impl Prefix {
    /// A fresh prefix at `base`.
    pub fn new(base: u32) -> Prefix {
        Prefix {
            base,
            slots: std::array::from_fn(|i| IpSlot::new(base + i as u32)),
        }
    }

    /// Addresses held by pods.
    pub fn assigned(&self) -> u32 {
        self.slots.iter().filter(|s| s.pod.is_some()).count() as u32
    }

    /// `getUnusedIP` (spec §d.1) inside one prefix: if some released addresses have left
    /// cooldown, all of them are dropped from the map and the first in rotated order is
    /// reused; otherwise the lowest address never used (or dropped) is taken.
    fn take(&mut self, now: SimTime, cooldown_s: i64, rot: u32, pod: PodId) -> Option<u32> {
        let mut first_expired = None;
        for k in 0..16 {
            let i = (rot as usize + k) % 16;
            let slot = &mut self.slots[i];
            if slot.pod.is_none() && slot.unassigned_at.is_some() && !slot.cooling(now, cooldown_s)
            {
                slot.unassigned_at = None;
                first_expired.get_or_insert(i);
            }
        }
        let i = first_expired.or_else(|| {
            self.slots
                .iter()
                .position(|s| s.pod.is_none() && s.unassigned_at.is_none())
        })?;
        self.slots[i].pod = Some(pod);
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
}

impl Eni {
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
        }
    }

    /// Addresses assigned to pods.
    pub fn assigned(&self) -> u32 {
        self.ips.iter().filter(|s| s.pod.is_some()).count() as u32
            + self.prefixes.iter().map(Prefix::assigned).sum::<u32>()
    }

    /// Addresses held (1 per IP, 16 per prefix).
    pub fn total(&self) -> u32 {
        self.ips.len() as u32 + IPS_PER_PREFIX * self.prefixes.len() as u32
    }

    /// CIDRs held: IPs or prefixes.
    pub fn cidrs(&self) -> u32 {
        (self.ips.len() + self.prefixes.len()) as u32
    }

    fn free_prefixes(&self) -> u32 {
        self.prefixes.iter().filter(|p| p.assigned() == 0).count() as u32
    }

    fn has_cooling(&self, now: SimTime, cooldown_s: i64) -> bool {
        self.ips
            .iter()
            .chain(self.prefixes.iter().flat_map(|p| p.slots.iter()))
            .any(|s| s.cooling(now, cooldown_s))
    }
}

/// Minimum time an ENI stays in the datastore before it may be freed (`minENILifeTime`).
pub const MIN_ENI_LIFETIME: SimDuration = SimDuration::from_secs(60);

/// One node's datastore.
#[derive(Clone, Debug, Default)]
pub struct Datastore {
    /// ENIs in device-index order.
    pub enis: Vec<Eni>,
    /// `IP_COOLDOWN_PERIOD` (s).
    pub cooldown_s: i64,
    /// Prefix mode.
    pub pd: bool,
}

impl Datastore {
    /// An empty datastore with the given cooldown (s), in prefix mode when `pd`.
    pub fn new(cooldown_s: i64, pd: bool) -> Datastore {
        Datastore {
            enis: Vec::new(),
            cooldown_s,
            pd,
        }
    }

    /// `GetIPStats` (spec §c.1).
    pub fn stats(&self, now: SimTime) -> PoolStats {
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
                if slot.pod.is_some() {
                    s.assigned += 1;
                } else if slot.cooling(now, self.cooldown_s) {
                    s.cooldown += 1;
                }
            }
        }
        s
    }

    /// Adds an ENI, keeping device-index order.
    pub fn add_eni(&mut self, eni: Eni) {
        let at = self
            .enis
            .partition_point(|e| e.device_index < eni.device_index);
        self.enis.insert(at, eni);
    }

    /// Position of the ENI with node-local id `id`.
    pub fn position(&self, id: EniId) -> Option<usize> {
        self.enis.iter().position(|e| e.id == id)
    }

    /// Adds secondary IPs to the ENI at `idx`, keeping address order.
    pub fn add_ips(&mut self, idx: usize, addrs: &[u32]) {
        let ips = &mut self.enis[idx].ips;
        for &addr in addrs {
            let at = ips.partition_point(|s| s.addr < addr);
            ips.insert(at, IpSlot::new(addr));
        }
    }

    /// Adds /28 prefixes (by base address) to the ENI at `idx`, keeping address order.
    pub fn add_prefixes(&mut self, idx: usize, bases: &[u32]) {
        let prefixes = &mut self.enis[idx].prefixes;
        for &base in bases {
            let at = prefixes.partition_point(|p| p.base < base);
            prefixes.insert(at, Prefix::new(base));
        }
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
                        return Some((eni.id, addr));
                    }
                }
                continue;
            }
            let m = eni.ips.len();
            for j in 0..m {
                let slot = &mut eni.ips[(ip_rot as usize + j) % m];
                if slot.pod.is_some() || slot.cooling(now, cooldown_s) {
                    continue;
                }
                slot.pod = Some(pod);
                slot.unassigned_at = None;
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
        let slot = match eni.ips.iter_mut().find(|s| s.addr == addr) {
            Some(s) => Some(s),
            None => eni
                .prefixes
                .iter_mut()
                .find(|p| addr.wrapping_sub(p.base) < IPS_PER_PREFIX)
                .map(|p| &mut p.slots[(addr - p.base) as usize]),
        };
        match slot {
            Some(slot) if slot.pod == Some(pod) => {
                slot.pod = None;
                slot.unassigned_at = Some(now);
                true
            }
            _ => false,
        }
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
    /// `WARM_IP_TARGET`, `MINIMUM_IP_TARGET` or (PD) `WARM_PREFIX_TARGET`. Returns its
    /// position.
    pub fn deletable_eni(&self, now: SimTime, t: Targets, rot: u32) -> Option<usize> {
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
            return Some(idx);
        }
        None
    }

    /// Removes up to `max` freeable CIDRs from the ENI at `idx`, in rotated order, and
    /// pushes their addresses (IPs) or base addresses (prefixes) to `out`: every CIDR with
    /// no assigned address, cooling ones included (cooldown does not protect a CIDR from
    /// release, §c.11). Returns how many were removed.
    pub fn take_freeable(&mut self, idx: usize, max: u32, rot: u32, out: &mut Vec<u32>) -> u32 {
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
        } else {
            let m = eni.ips.len();
            for j in 0..m {
                if (out.len() - start) as u32 == max {
                    break;
                }
                let slot = eni.ips[(rot as usize + j) % m];
                if slot.pod.is_none() {
                    out.push(slot.addr);
                }
            }
            let taken = &out[start..];
            eni.ips.retain(|s| !taken.contains(&s.addr));
        }
        (out.len() - start) as u32
    }
}

#[cfg(test)]
#[path = "datastore_tests.rs"]
mod tests;
