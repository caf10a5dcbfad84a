//! One node's ipamd datastore: its ENIs and their secondary IPs (/32s) or /28 prefixes.
//!
//! ENIs are kept in device-index order and addresses in ascending order, so the canonical
//! placement order (spec "Simulator guidance" 1) is index order. Random placement rotates
//! that order by a caller-drawn offset, modelling Go map iteration's random start.
//! A datastore is in one mode for its life: secondary IPs, or prefixes (`pd`).

use super::pool::{self, PoolStats, Targets, IPS_PER_PREFIX};
use crate::time::SimTime;

/// Index of a pod in the world's pod table.
pub type PodIndex = u32;

/// One address: a secondary IP (/32), or one of a prefix's 16.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpSlot {
    /// The address.
    pub addr: u32,
    /// The pod holding it.
    pub pod: Option<PodIndex>,
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
    fn take(&mut self, now: SimTime, cooldown_s: i64, rot: u32, pod: PodIndex) -> Option<u32> {
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
    pub id: u32,
    /// Attachment device index (0 = primary).
    pub device_index: u32,
    /// The ENI's own primary address (never given to pods).
    pub primary_ip: u32,
    /// Index of the subnet its addresses come from.
    pub subnet: u32,
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
        id: u32,
        device_index: u32,
        primary_ip: u32,
        subnet: u32,
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

/// Minimum time an ENI stays in the datastore before it may be freed (`minENILifeTime`, 60 s).
pub const MIN_ENI_LIFETIME_US: u64 = 60_000_000;

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
    pub fn position(&self, id: u32) -> Option<usize> {
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
        pod: PodIndex,
        eni_rot: u32,
        ip_rot: u32,
    ) -> Option<(u32, u32)> {
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
    pub fn unassign(&mut self, now: SimTime, eni_id: u32, addr: u32, pod: PodIndex) -> bool {
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
    pub fn allocatable(&self, max_cidrs: u32, skip_primary: bool, rot: u32, out: &mut Vec<u32>) {
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
                || now.since(eni.create_time).micros() < MIN_ENI_LIFETIME_US
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
mod tests {
    use super::*;

    fn eni(id: u32, primary: bool, addrs: &[u32]) -> Eni {
        let mut e = Eni::new(id, id - 1, 1000 + id, 0, primary, SimTime::ZERO);
        e.ips = addrs.iter().map(|&a| IpSlot::new(a)).collect();
        e
    }

    /// C27: SIP assignment across ENIs; failure when none are free; DEL keeps the IP.
    #[test]
    fn c27_assignment_and_exhaustion() {
        let mut ds = Datastore::new(30, false);
        ds.add_eni(eni(1, true, &[11]));
        ds.add_eni(eni(2, false, &[]));
        let t = SimTime::ZERO;
        assert_eq!(ds.assign(t, 1, 0, 0), Some((1, 11)));
        let idx = ds.position(2).unwrap();
        ds.add_ips(idx, &[22]);
        assert_eq!(ds.assign(t, 2, 0, 0), Some((2, 22)));
        ds.add_ips(0, &[12]);
        assert_eq!(ds.assign(t, 3, 0, 0), Some((1, 12)));
        assert_eq!(ds.assign(t, 4, 0, 0), None);
        assert!(!ds.unassign(t, 2, 22, 99)); // unknown pod
        assert!(ds.unassign(t, 2, 22, 2));
        let s = ds.stats(t);
        assert_eq!((s.total, s.assigned), (3, 2));
    }

    /// C28/C29: a released IP counts as available but cannot be handed out while cooling.
    #[test]
    fn c28_cooldown_counts_available_but_blocks_assignment() {
        let mut ds = Datastore::new(1, false);
        ds.add_eni(eni(1, true, &[11, 12]));
        ds.assign(SimTime::ZERO, 1, 0, 0);
        ds.assign(SimTime::ZERO, 2, 0, 0);
        ds.unassign(SimTime::ZERO, 1, 11, 1);
        let s = ds.stats(SimTime::ZERO);
        assert_eq!(
            (s.total, s.assigned, s.cooldown, s.available()),
            (2, 1, 1, 1)
        );
        assert_eq!(ds.assign(SimTime(1_000_000), 3, 0, 0), None); // 1 s <= 1 s: cooling
        let later = SimTime(1_000_001);
        assert_eq!(ds.stats(later).cooldown, 0);
        assert_eq!(ds.assign(later, 3, 0, 0), Some((1, 11)));
    }

    /// C21: `TestWarmENIInteractions`: eni-1 primary 2/2 assigned, eni-2 2 free, eni-3 1 free.
    #[test]
    fn c21_deletable_eni_sequence() {
        let mut ds = Datastore::new(30, false);
        ds.add_eni(eni(1, true, &[1, 2]));
        ds.add_eni(eni(2, false, &[3, 4]));
        ds.add_eni(eni(3, false, &[5]));
        ds.assign(SimTime::ZERO, 1, 0, 0);
        ds.assign(SimTime::ZERO, 2, 0, 0);
        let now = SimTime(100_000_000);
        let tg = |w, m| Targets {
            warm_eni: 1,
            warm_ip: w,
            minimum_ip: m,
            ..Targets::default()
        };
        assert_eq!(ds.deletable_eni(now, tg(3, 1), 0), None);
        assert_eq!(ds.deletable_eni(now, tg(1, 5), 0), None);
        let idx = ds.deletable_eni(now, tg(2, 4), 0).unwrap();
        assert_eq!(ds.enis[idx].id, 3);
        ds.enis.remove(idx);
        assert_eq!(ds.deletable_eni(now, tg(0, 3), 0), None);
        let idx = ds.deletable_eni(now, tg(0, 2), 0).unwrap();
        assert_eq!(ds.enis[idx].id, 2);
    }

    /// C22: too young and cooling both block a free; the primary is never returned.
    #[test]
    fn c22_young_and_cooling_block_free() {
        let mut ds = Datastore::new(30, false);
        ds.add_eni(eni(1, true, &[1, 2]));
        let mut e2 = eni(2, false, &[3]);
        e2.create_time = SimTime(50_000_000);
        ds.add_eni(e2);
        ds.assign(SimTime::ZERO, 1, 0, 0);
        ds.assign(SimTime::ZERO, 2, 0, 0);
        ds.enis[1].ips[0].unassigned_at = Some(SimTime(95_000_000));
        let none = Targets {
            warm_eni: 1,
            ..Targets::default()
        };
        // at 100 s: eni-2 is 50 s old (< 60 s) and its IP cooled only 5 s ago
        assert_eq!(ds.deletable_eni(SimTime(100_000_000), none, 0), None);
        // at 111 s: 61 s old, but 16 s of cooling < 30 s
        assert_eq!(ds.deletable_eni(SimTime(111_000_000), none, 0), None);
        // at 126 s: 76 s old, 31 s since release -> freeable
        assert_eq!(ds.deletable_eni(SimTime(126_000_000), none, 0), Some(1));
    }

    /// C17 / C19: release takes unassigned addresses, cooling ones included.
    #[test]
    fn take_freeable_ignores_cooldown() {
        let mut ds = Datastore::new(30, false);
        ds.add_eni(eni(1, true, &[1, 2, 3]));
        ds.assign(SimTime::ZERO, 7, 0, 0); // takes 1
        ds.assign(SimTime::ZERO, 8, 0, 0); // takes 2
        ds.unassign(SimTime(5), 1, 2, 8); // 2 now cooling
        let mut out = vec![];
        let n = ds.take_freeable(0, 5, 0, &mut out);
        assert_eq!(n, 2);
        assert_eq!(out, vec![2, 3]);
        assert_eq!(ds.enis[0].ips.len(), 1);
    }

    fn pd_store(prefix_bases: &[&[u32]]) -> Datastore {
        let mut ds = Datastore::new(30, true);
        for (i, bases) in prefix_bases.iter().enumerate() {
            let id = i as u32 + 1;
            ds.add_eni(Eni::new(id, id - 1, 1000 + id, 0, i == 0, SimTime::ZERO));
            ds.add_prefixes(i, bases);
        }
        ds
    }

    /// C26: addresses come out of a prefix in ascending order, the base address first;
    /// a deleted pod's address stays in the prefix (T 16, U 2).
    #[test]
    fn c26_pd_ascending_addresses() {
        let mut ds = pd_store(&[&[0x0a00_0000], &[], &[]]);
        let t = SimTime::ZERO;
        assert_eq!(ds.assign(t, 1, 0, 0), Some((1, 0x0a00_0000)));
        assert_eq!(ds.assign(t, 2, 0, 0), Some((1, 0x0a00_0001)));
        assert_eq!(ds.assign(t, 3, 0, 0), Some((1, 0x0a00_0002)));
        assert!(ds.unassign(t, 1, 0x0a00_0001, 2));
        let s = ds.stats(t);
        assert_eq!(
            (s.total, s.assigned, s.cooldown, s.prefixes, s.free_prefixes),
            (16, 2, 1, 1, 0)
        );
        // the next pod skips the cooling .1 and takes .3
        assert_eq!(ds.assign(t, 4, 0, 0), Some((1, 0x0a00_0003)));
        // after the cooldown (> 30 s), the expired .1 is reused before .4
        assert_eq!(
            ds.assign(SimTime(30_000_001), 5, 0, 0),
            Some((1, 0x0a00_0001))
        );
    }

    /// C28 (PD): one /28, 2 pods, one leaves: {T 16, P 1, U 1, C 1}; after the cooldown C 0.
    #[test]
    fn c28_pd_stats_with_cooldown() {
        let mut ds = pd_store(&[&[0x0a00_0000]]);
        ds.cooldown_s = 1;
        ds.assign(SimTime::ZERO, 1, 0, 0);
        ds.assign(SimTime::ZERO, 2, 0, 0);
        ds.unassign(SimTime::ZERO, 1, 0x0a00_0000, 1);
        let s = ds.stats(SimTime::ZERO);
        assert_eq!((s.total, s.prefixes, s.assigned, s.cooldown), (16, 1, 1, 1));
        let s = ds.stats(SimTime(1_000_001));
        assert_eq!((s.total, s.prefixes, s.assigned, s.cooldown), (16, 1, 1, 0));
        // a prefix whose only used address is cooling counts as free
        ds.unassign(SimTime::ZERO, 1, 0x0a00_0001, 2);
        assert_eq!(ds.stats(SimTime::ZERO).free_prefixes, 1);
    }

    /// C25: `CheckFreeableENIexists`: false for empty and primary-only, true with a plain
    /// secondary ENI without pods.
    #[test]
    fn c25_freeable_eni_exists() {
        assert!(!Datastore::new(30, true).freeable_eni_exists());
        assert!(!pd_store(&[&[0x0a00_0000]]).freeable_eni_exists());
        let mut ds = pd_store(&[&[0x0a00_0000], &[0x0a00_0010]]);
        assert!(ds.freeable_eni_exists());
        ds.assign(SimTime::ZERO, 1, 1, 0); // lands on eni-2 (rotation 1)
        assert!(!ds.freeable_eni_exists());
    }

    /// §c.10 PD: an ENI holding the only free prefix is required for WARM_PREFIX_TARGET=1.
    #[test]
    fn pd_deletable_respects_warm_prefix() {
        let mut ds = pd_store(&[&[0x0a00_0000], &[0x0a00_0010]]);
        ds.assign(SimTime::ZERO, 1, 0, 0); // primary's prefix now in use
        let now = SimTime(100_000_000);
        let t = Targets {
            warm_prefix: 1,
            pd: true,
            ..Targets::default()
        };
        // eni-2 holds the only free prefix: others have 0 < 1 -> required
        assert_eq!(ds.deletable_eni(now, t, 0), None);
        let t0 = Targets {
            warm_prefix: 0,
            ..t
        };
        assert_eq!(ds.deletable_eni(now, t0, 0), Some(1));
        let mut out = vec![];
        assert_eq!(ds.take_freeable(1, 5, 0, &mut out), 1);
        assert_eq!(out, vec![0x0a00_0010]);
    }
}
