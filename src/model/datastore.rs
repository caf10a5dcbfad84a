//! One node's ipamd datastore (secondary-IP mode): its ENIs and their addresses.
//!
//! ENIs are kept in device-index order and addresses in ascending order, so the canonical
//! placement order (spec "Simulator guidance" 1) is index order. Random placement rotates
//! that order by a caller-drawn offset, modelling Go map iteration's random start.

use super::pool::{self, PoolStats, Targets};
use crate::time::SimTime;

/// Index of a pod in the world's pod table.
pub type PodIndex = u32;

/// One secondary IP (a /32) on an ENI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpSlot {
    /// The address.
    pub addr: u32,
    /// The pod holding it.
    pub pod: Option<PodIndex>,
    /// When its last pod released it (cooldown starts here).
    pub unassigned_at: Option<SimTime>,
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
    /// The instance's primary ENI (never freed).
    pub is_primary: bool,
    /// When it entered the datastore (`minENILifeTime` counts from here).
    pub create_time: SimTime,
    /// Secondary IPs, ascending.
    pub ips: Vec<IpSlot>,
}

impl Eni {
    /// Addresses assigned to pods.
    pub fn assigned(&self) -> u32 {
        self.ips.iter().filter(|s| s.pod.is_some()).count() as u32
    }

    fn has_cooling(&self, now: SimTime, cooldown_s: i64) -> bool {
        self.ips.iter().any(|s| {
            s.pod.is_none()
                && s.unassigned_at
                    .is_some_and(|t| pool::is_cooling(now.micros(), t.micros(), cooldown_s))
        })
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
}

impl Datastore {
    /// An empty datastore with the given cooldown (s).
    pub fn new(cooldown_s: i64) -> Datastore {
        Datastore {
            enis: Vec::new(),
            cooldown_s,
        }
    }

    /// `GetIPStats` (spec §c.1).
    pub fn stats(&self, now: SimTime) -> PoolStats {
        let mut s = PoolStats::default();
        for eni in &self.enis {
            for slot in &eni.ips {
                s.total += 1;
                match (slot.pod, slot.unassigned_at) {
                    (Some(_), _) => s.assigned += 1,
                    (None, Some(t))
                        if pool::is_cooling(now.micros(), t.micros(), self.cooldown_s) =>
                    {
                        s.cooldown += 1
                    }
                    _ => {}
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
            ips.insert(
                at,
                IpSlot {
                    addr,
                    pod: None,
                    unassigned_at: None,
                },
            );
        }
    }

    /// Lowest device index used neither by a datastore ENI nor per `also_used`
    /// (`DescribeInstances` in `attachENI`).
    pub fn lowest_free_device_index(&self, also_used: impl Fn(u32) -> bool) -> u32 {
        (0..)
            .find(|&d| !self.enis.iter().any(|e| e.device_index == d) && !also_used(d))
            .unwrap_or(0)
    }

    /// `AssignPodIPv4Address` (spec §d.1): the first assignable address, visiting ENIs and
    /// addresses in rotated order. Cooling addresses are skipped. Returns `(eni id, addr)`.
    pub fn assign(
        &mut self,
        now: SimTime,
        pod: PodIndex,
        eni_rot: u32,
        ip_rot: u32,
    ) -> Option<(u32, u32)> {
        let n = self.enis.len();
        let cooldown_s = self.cooldown_s;
        for k in 0..n {
            let eni = &mut self.enis[(eni_rot as usize + k) % n];
            let m = eni.ips.len();
            for j in 0..m {
                let slot = &mut eni.ips[(ip_rot as usize + j) % m];
                if slot.pod.is_some() {
                    continue;
                }
                if let Some(t) = slot.unassigned_at {
                    if pool::is_cooling(now.micros(), t.micros(), cooldown_s) {
                        continue;
                    }
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
        match self.enis[idx].ips.iter_mut().find(|s| s.addr == addr) {
            Some(slot) if slot.pod == Some(pod) => {
                slot.pod = None;
                slot.unassigned_at = Some(now);
                true
            }
            _ => false,
        }
    }

    /// Positions of ENIs that can take more IPs (`GetAllocatableENIs`, §c.7), pushed to
    /// `out` in rotated order.
    pub fn allocatable(&self, ips_per_eni: u32, rot: u32, out: &mut Vec<u32>) {
        out.clear();
        let n = self.enis.len();
        for k in 0..n {
            let idx = (rot as usize + k) % n;
            if (self.enis[idx].ips.len() as u32) < ips_per_eni {
                out.push(self.enis[idx].id);
            }
        }
    }

    /// `getDeletableENI` (spec §c.10) for SIP: the first ENI in rotated order that is not
    /// primary, not younger than 60 s, has no cooling address, no pod, and is not required
    /// for `WARM_IP_TARGET` or `MINIMUM_IP_TARGET`. Returns its position.
    pub fn deletable_eni(&self, now: SimTime, t: Targets, rot: u32) -> Option<usize> {
        let n = self.enis.len();
        let (total, unassigned) = self.enis.iter().fold((0u32, 0u32), |(t, u), e| {
            let len = e.ips.len() as u32;
            (t + len, u + len - e.assigned())
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
            let len = eni.ips.len() as u32;
            // No pods on it, so all its addresses are unassigned.
            if pool::required_for_warm_ip(unassigned - len, t.warm_ip)
                || pool::required_for_min(total - len, t.minimum_ip)
            {
                continue;
            }
            return Some(idx);
        }
        None
    }

    /// Removes up to `max` unassigned addresses (cooling ones included: cooldown does not
    /// protect a CIDR from release, §c.11) from the ENI at `idx`, in rotated order, and
    /// pushes them to `out`. Returns how many were removed.
    pub fn take_freeable(&mut self, idx: usize, max: u32, rot: u32, out: &mut Vec<u32>) -> u32 {
        let ips = &mut self.enis[idx].ips;
        let m = ips.len();
        if m == 0 || max == 0 {
            return 0;
        }
        let start = out.len();
        for j in 0..m {
            if (out.len() - start) as u32 == max {
                break;
            }
            let slot = ips[(rot as usize + j) % m];
            if slot.pod.is_none() {
                out.push(slot.addr);
            }
        }
        let taken = &out[start..];
        ips.retain(|s| !taken.contains(&s.addr));
        taken.len() as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eni(id: u32, primary: bool, addrs: &[u32]) -> Eni {
        Eni {
            id,
            device_index: id - 1,
            primary_ip: 1000 + id,
            is_primary: primary,
            create_time: SimTime::ZERO,
            ips: addrs
                .iter()
                .map(|&a| IpSlot {
                    addr: a,
                    pod: None,
                    unassigned_at: None,
                })
                .collect(),
        }
    }

    /// C27: SIP assignment across ENIs; failure when none are free; DEL keeps the IP.
    #[test]
    fn c27_assignment_and_exhaustion() {
        let mut ds = Datastore::new(30);
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
        let mut ds = Datastore::new(1);
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
        let mut ds = Datastore::new(30);
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
        let mut ds = Datastore::new(30);
        ds.add_eni(eni(1, true, &[1, 2]));
        let mut e2 = eni(2, false, &[3]);
        e2.create_time = SimTime(50_000_000);
        ds.add_eni(e2);
        ds.assign(SimTime::ZERO, 1, 0, 0);
        ds.assign(SimTime::ZERO, 2, 0, 0);
        ds.enis[1].ips[0].unassigned_at = Some(SimTime(95_000_000));
        let none = Targets {
            warm_eni: 1,
            warm_ip: 0,
            minimum_ip: 0,
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
        let mut ds = Datastore::new(30);
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
}
