//! The datastore against the spec's cases.
use super::*;
use crate::model::ids::SubnetId;

fn eni(id: u32, primary: bool, addrs: &[u32]) -> Eni {
    let mut e = Eni::new(
        EniId(id),
        id - 1,
        1000 + id,
        SubnetId(0),
        primary,
        SimTime::ZERO,
    );
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
    assert_eq!(ds.assign(t, PodId(1), 0, 0), Some((EniId(1), 11)));
    assert!(ds.add_ips(EniId(2), &[22]));
    assert_eq!(ds.assign(t, PodId(2), 0, 0), Some((EniId(2), 22)));
    assert!(ds.add_ips(EniId(1), &[12]));
    assert!(!ds.add_ips(EniId(9), &[13]));
    assert_eq!(ds.assign(t, PodId(3), 0, 0), Some((EniId(1), 12)));
    assert_eq!(ds.assign(t, PodId(4), 0, 0), None);
    assert!(!ds.unassign(t, EniId(2), 22, PodId(99))); // unknown pod
    assert!(ds.unassign(t, EniId(2), 22, PodId(2)));
    let s = ds.stats(t);
    assert_eq!((s.total, s.assigned), (3, 2));
}

/// C28/C29: a released IP counts as available but cannot be handed out while cooling.
#[test]
fn c28_cooldown_counts_available_but_blocks_assignment() {
    let mut ds = Datastore::new(1, false);
    ds.add_eni(eni(1, true, &[11, 12]));
    ds.assign(SimTime::ZERO, PodId(1), 0, 0);
    ds.assign(SimTime::ZERO, PodId(2), 0, 0);
    ds.unassign(SimTime::ZERO, EniId(1), 11, PodId(1));
    let s = ds.stats(SimTime::ZERO);
    assert_eq!(
        (s.total, s.assigned, s.cooldown, s.available()),
        (2, 1, 1, 1)
    );
    assert_eq!(ds.assign(SimTime(1_000_000), PodId(3), 0, 0), None); // 1 s <= 1 s: cooling
    let later = SimTime(1_000_001);
    assert_eq!(ds.stats(later).cooldown, 0);
    assert_eq!(ds.assign(later, PodId(3), 0, 0), Some((EniId(1), 11)));
}

/// C21: `TestWarmENIInteractions`: eni-1 primary 2/2 assigned, eni-2 2 free, eni-3 1 free.
#[test]
fn c21_deletable_eni_sequence() {
    let mut ds = Datastore::new(30, false);
    ds.add_eni(eni(1, true, &[1, 2]));
    ds.add_eni(eni(2, false, &[3, 4]));
    ds.add_eni(eni(3, false, &[5]));
    ds.assign(SimTime::ZERO, PodId(1), 0, 0);
    ds.assign(SimTime::ZERO, PodId(2), 0, 0);
    let now = SimTime(100_000_000);
    let tg = |w, m| Targets {
        warm_eni: 1,
        warm_ip: w,
        minimum_ip: m,
        ..Targets::default()
    };
    assert_eq!(ds.deletable_eni(now, tg(3, 1), 0), None);
    assert_eq!(ds.deletable_eni(now, tg(1, 5), 0), None);
    assert_eq!(ds.deletable_eni(now, tg(2, 4), 0), Some(EniId(3)));
    assert_eq!(ds.remove_eni(EniId(3)).map(|e| e.id), Some(EniId(3)));
    assert!(ds.remove_eni(EniId(3)).is_none());
    assert_eq!(ds.deletable_eni(now, tg(0, 3), 0), None);
    assert_eq!(ds.deletable_eni(now, tg(0, 2), 0), Some(EniId(2)));
}

/// C22: too young and cooling both block a free; the primary is never returned.
#[test]
fn c22_young_and_cooling_block_free() {
    let mut ds = Datastore::new(30, false);
    ds.add_eni(eni(1, true, &[1, 2]));
    let mut e2 = eni(2, false, &[3]);
    e2.create_time = SimTime(50_000_000);
    ds.add_eni(e2);
    ds.assign(SimTime::ZERO, PodId(1), 0, 0);
    ds.assign(SimTime::ZERO, PodId(2), 0, 0);
    ds.enis[1].ips[0].release_at(SimTime(95_000_000));
    let none = Targets {
        warm_eni: 1,
        ..Targets::default()
    };
    // at 100 s: eni-2 is 50 s old (< 60 s) and its IP cooled only 5 s ago
    assert_eq!(ds.deletable_eni(SimTime(100_000_000), none, 0), None);
    // at 111 s: 61 s old, but 16 s of cooling < 30 s
    assert_eq!(ds.deletable_eni(SimTime(111_000_000), none, 0), None);
    // at 126 s: 76 s old, 31 s since release -> freeable
    assert_eq!(
        ds.deletable_eni(SimTime(126_000_000), none, 0),
        Some(EniId(2))
    );
}

/// C17 / C19: release takes unassigned addresses, cooling ones included.
#[test]
fn take_freeable_ignores_cooldown() {
    let mut ds = Datastore::new(30, false);
    ds.add_eni(eni(1, true, &[1, 2, 3]));
    ds.assign(SimTime::ZERO, PodId(7), 0, 0); // takes 1
    ds.assign(SimTime::ZERO, PodId(8), 0, 0); // takes 2
    ds.unassign(SimTime(5), EniId(1), 2, PodId(8)); // 2 now cooling
    let mut out = vec![];
    let n = ds.take_freeable(EniId(1), 5, 0, &mut out);
    assert_eq!(n, 2);
    assert_eq!(out, vec![2, 3]);
    assert_eq!(ds.enis[0].ips.len(), 1);
}

/// A cooling address released to EC2 (C17: cooldown does not protect it) takes its
/// release with it: when the same address comes back (a later `AssignPrivateIpAddresses`
/// may hand it out again) it is a fresh slot, not cooling. Derivation: ENI 1 with 1 and 2,
/// pods on both; pod 8 leaves 2 at 5 µs (C 1); the one free CIDR, 2, is released (T 1,
/// C 0); 2 comes back at 6 µs: T 2, U 1, C 0, and pod 9 may take it at once.
#[test]
fn a_released_cidr_takes_its_cooling_with_it() {
    let mut ds = Datastore::new(30, false);
    ds.add_eni(eni(1, true, &[1, 2]));
    ds.assign(SimTime::ZERO, PodId(7), 0, 0); // takes 1
    ds.assign(SimTime::ZERO, PodId(8), 0, 0); // takes 2
    ds.unassign(SimTime(5), EniId(1), 2, PodId(8));
    assert_eq!(ds.stats(SimTime(5)).cooldown, 1);
    let mut out = vec![];
    assert_eq!(ds.take_freeable(EniId(1), 5, 0, &mut out), 1);
    assert_eq!(out, vec![2]);
    assert_eq!(ds.stats(SimTime(6)).cooldown, 0);
    assert!(ds.add_ips(EniId(1), &[2]));
    let s = ds.stats(SimTime(6));
    assert_eq!((s.total, s.assigned, s.cooldown), (2, 1, 0));
    assert_eq!(ds.cooling_ends(SimTime(6)), None);
    assert_eq!(ds.assign(SimTime(6), PodId(9), 0, 0), Some((EniId(1), 2)));
}

/// The same for a prefix (its 16 addresses) and for a whole ENI: a /28 with one cooling
/// address is released (it has no assigned address) and comes back, and an ENI with a
/// cooling address is removed: nothing cools after either.
#[test]
fn a_released_prefix_or_eni_takes_its_cooling_with_it() {
    let base = 0x0a00_0000;
    let mut ds = pd_store(&[&[base], &[base + 16]]);
    // pod 1 takes base on ENI 1 (rotation 0), pod 2 base + 16 on ENI 2 (rotation 1)
    assert_eq!(
        ds.assign(SimTime::ZERO, PodId(1), 0, 0),
        Some((EniId(1), base))
    );
    assert_eq!(
        ds.assign(SimTime::ZERO, PodId(2), 1, 0),
        Some((EniId(2), base + 16))
    );
    ds.unassign(SimTime(1), EniId(1), base, PodId(1));
    ds.unassign(SimTime(2), EniId(2), base + 16, PodId(2));
    assert_eq!(ds.stats(SimTime(3)).cooldown, 2);
    let mut out = vec![];
    assert_eq!(ds.take_freeable(EniId(1), 1, 0, &mut out), 1);
    assert_eq!(ds.stats(SimTime(3)).cooldown, 1);
    assert!(ds.add_prefixes(EniId(1), &[base]));
    assert!(ds.remove_eni(EniId(2)).is_some());
    let s = ds.stats(SimTime(3));
    assert_eq!((s.total, s.assigned, s.cooldown), (16, 0, 0));
    assert_eq!(ds.cooling_ends(SimTime(3)), None);
}

fn pd_store(prefix_bases: &[&[u32]]) -> Datastore {
    let mut ds = Datastore::new(30, true);
    for (i, bases) in prefix_bases.iter().enumerate() {
        let id = i as u32 + 1;
        ds.add_eni(Eni::new(
            EniId(id),
            id - 1,
            1000 + id,
            SubnetId(0),
            i == 0,
            SimTime::ZERO,
        ));
        ds.add_prefixes(EniId(id), bases);
    }
    ds
}

/// C26: addresses come out of a prefix in ascending order, the base address first;
/// a deleted pod's address stays in the prefix (T 16, U 2).
#[test]
fn c26_pd_ascending_addresses() {
    let mut ds = pd_store(&[&[0x0a00_0000], &[], &[]]);
    let t = SimTime::ZERO;
    assert_eq!(ds.assign(t, PodId(1), 0, 0), Some((EniId(1), 0x0a00_0000)));
    assert_eq!(ds.assign(t, PodId(2), 0, 0), Some((EniId(1), 0x0a00_0001)));
    assert_eq!(ds.assign(t, PodId(3), 0, 0), Some((EniId(1), 0x0a00_0002)));
    assert!(ds.unassign(t, EniId(1), 0x0a00_0001, PodId(2)));
    let s = ds.stats(t);
    assert_eq!(
        (s.total, s.assigned, s.cooldown, s.prefixes, s.free_prefixes),
        (16, 2, 1, 1, 0)
    );
    // the next pod skips the cooling .1 and takes .3
    assert_eq!(ds.assign(t, PodId(4), 0, 0), Some((EniId(1), 0x0a00_0003)));
    // after the cooldown (> 30 s), the expired .1 is reused before .4
    assert_eq!(
        ds.assign(SimTime(30_000_001), PodId(5), 0, 0),
        Some((EniId(1), 0x0a00_0001))
    );
}

/// C28 (PD): one /28, 2 pods, one leaves: {T 16, P 1, U 1, C 1}; after the cooldown C 0.
#[test]
fn c28_pd_stats_with_cooldown() {
    let mut ds = pd_store(&[&[0x0a00_0000]]);
    ds.cooldown_s = 1;
    ds.assign(SimTime::ZERO, PodId(1), 0, 0);
    ds.assign(SimTime::ZERO, PodId(2), 0, 0);
    ds.unassign(SimTime::ZERO, EniId(1), 0x0a00_0000, PodId(1));
    let s = ds.stats(SimTime::ZERO);
    assert_eq!((s.total, s.prefixes, s.assigned, s.cooldown), (16, 1, 1, 1));
    let s = ds.stats(SimTime(1_000_001));
    assert_eq!((s.total, s.prefixes, s.assigned, s.cooldown), (16, 1, 1, 0));
    // a prefix whose only used address is cooling counts as free
    ds.unassign(SimTime::ZERO, EniId(1), 0x0a00_0001, PodId(2));
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
    ds.assign(SimTime::ZERO, PodId(1), 1, 0); // lands on eni-2 (rotation 1)
    assert!(!ds.freeable_eni_exists());
}

/// §c.10 PD: an ENI holding the only free prefix is required for WARM_PREFIX_TARGET=1.
#[test]
fn pd_deletable_respects_warm_prefix() {
    let mut ds = pd_store(&[&[0x0a00_0000], &[0x0a00_0010]]);
    ds.assign(SimTime::ZERO, PodId(1), 0, 0); // primary's prefix now in use
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
    assert_eq!(ds.deletable_eni(now, t0, 0), Some(EniId(2)));
    let mut out = vec![];
    assert_eq!(ds.take_freeable(EniId(2), 5, 0, &mut out), 1);
    assert_eq!(out, vec![0x0a00_0010]);
}
