//! ipamd's pool decisions as pure functions of datastore statistics (spec §c).
//!
//! Secondary-IP mode (SIP) on network card 0. Every function cites the rule it follows;
//! units are IP addresses unless a name says otherwise.

/// The warm-pool settings after parsing (spec §a.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Targets {
    /// `WARM_ENI_TARGET` (ENIs).
    pub warm_eni: u32,
    /// `WARM_IP_TARGET` (IPs, 0 = unset).
    pub warm_ip: u32,
    /// `MINIMUM_IP_TARGET` (IPs, 0 = unset).
    pub minimum_ip: u32,
}

impl Targets {
    /// Warm-IP mode: `WARM_IP_TARGET ≠ 0 OR MINIMUM_IP_TARGET ≠ 0` (`ipamd.go:1941-1943`).
    pub fn warm_ip_mode(&self) -> bool {
        self.warm_ip != 0 || self.minimum_ip != 0
    }
}

/// Datastore statistics (spec §c.1): `T`, `U` and `C`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// `T`: addresses held by the datastore.
    pub total: u32,
    /// `U`: addresses assigned to pods.
    pub assigned: u32,
    /// `C`: unassigned addresses still in cooldown (logged only; no decision uses it).
    pub cooldown: u32,
}

impl PoolStats {
    /// `A = T − U`: available addresses, **cooldown included** (`data_store.go:911-913`).
    pub fn available(&self) -> u32 {
        self.total.saturating_sub(self.assigned)
    }
}

/// `datastoreTargetState` (spec §c.3) for SIP on card 0: `(short, over)` in IPs, or `None`
/// when warm-IP mode is off.
pub fn target_state(stats: PoolStats, t: Targets) -> Option<(u32, u32)> {
    if !t.warm_ip_mode() {
        return None;
    }
    let total = i64::from(stats.total);
    let available = i64::from(stats.available());
    let warm = i64::from(t.warm_ip);
    let min = i64::from(t.minimum_ip);
    let short = (warm - available).max(0).max(min - total);
    let over = (available - warm).max(0).min(total - min).max(0);
    Some((short as u32, over as u32))
}

/// `isDatastorePoolTooLow` (spec §c.2) for SIP.
///
/// `ips_per_eni` is `M_ip`; `max_pods` is the node's pod capacity (pods).
pub fn is_too_low(stats: PoolStats, t: Targets, ips_per_eni: u32, max_pods: u32) -> bool {
    if stats.total >= max_pods {
        return false;
    }
    if let Some((short, _)) = target_state(stats, t) {
        return short > 0;
    }
    let available = stats.available();
    available < ips_per_eni.saturating_mul(t.warm_eni) || (t.warm_eni == 0 && available == 0)
}

/// `isDatastorePoolTooHigh` (spec §c.4) for SIP: only in warm-IP mode, when `over > 0`.
/// SIP with `WARM_ENI_TARGET` never releases single IPs.
pub fn is_too_high(stats: PoolStats, t: Targets) -> bool {
    matches!(target_state(stats, t), Some((_, over)) if over > 0)
}

/// `shouldRemoveExtraENIs` (spec §c.5) for SIP, on the stats snapshot taken before the
/// tick's increase or decrease.
pub fn should_remove_extra_enis(stats: PoolStats, t: Targets, ips_per_eni: u32) -> bool {
    if t.warm_ip_mode() {
        return true;
    }
    let k = t.warm_eni + 1;
    stats.available() >= k.saturating_mul(ips_per_eni)
}

/// How many IPs one `tryAssignIPs` asks for before per-ENI capping (spec §c.7 step 2):
/// `short` in warm-IP mode, a whole ENI (`M_ip`) otherwise. `None` means warm-IP mode
/// with nothing short, where `tryAssignIPs` returns without a call.
pub fn ips_to_allocate(stats: PoolStats, t: Targets, ips_per_eni: u32) -> Option<u32> {
    match target_state(stats, t) {
        Some((0, _)) => None,
        Some((short, _)) => Some(short),
        None => Some(ips_per_eni),
    }
}

/// `GetENIResourcesToAllocate` (spec §c.12) for SIP: the size of a new ENI, in IPs.
/// 0 means no ENI is created (but the attempt counts as a pool action).
pub fn new_eni_ips(stats: PoolStats, t: Targets, ips_per_eni: u32) -> u32 {
    match target_state(stats, t) {
        Some((short, _)) => short.min(ips_per_eni),
        None => ips_per_eni,
    }
}

/// Effective ENI cap (spec §a.2): `min(MAX_ENI, L_eni)` when `MAX_ENI ≥ 1`, else `L_eni`.
pub fn effective_max_eni(max_eni_env: Option<u32>, instance_max_enis: u32) -> u32 {
    match max_eni_env {
        Some(m) if m >= 1 => m.min(instance_max_enis),
        _ => instance_max_enis,
    }
}

/// `requiredForWarmIP` (spec §c.10): the other ENIs' unassigned addresses (cooling
/// included) fall short of `WARM_IP_TARGET`.
pub fn required_for_warm_ip(others_unassigned: u32, warm_ip: u32) -> bool {
    warm_ip != 0 && others_unassigned < warm_ip
}

/// `requiredForMin` (spec §c.10): the other ENIs' total addresses fall short of
/// `MINIMUM_IP_TARGET`.
pub fn required_for_min(others_total: u32, minimum_ip: u32) -> bool {
    minimum_ip != 0 && others_total < minimum_ip
}

/// Whether an address released at `unassigned_at_us` is still cooling at `now_us`
/// (`data_store.go:243-254`): cooling while `now − unassigned ≤ cooldown`. A negative
/// period means no cooldown.
pub fn is_cooling(now_us: u64, unassigned_at_us: u64, cooldown_s: i64) -> bool {
    if cooldown_s < 0 {
        return false;
    }
    now_us.saturating_sub(unassigned_at_us) <= cooldown_s as u64 * 1_000_000
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(total: u32, assigned: u32) -> PoolStats {
        PoolStats {
            total,
            assigned,
            cooldown: 0,
        }
    }
    fn tg(warm_eni: u32, warm_ip: u32, minimum_ip: u32) -> Targets {
        Targets {
            warm_eni,
            warm_ip,
            minimum_ip,
        }
    }

    /// C01: `TestIPAMContext_nodeIPPoolTooLow` rows 1–9.
    #[test]
    fn c01_sip_too_low_table() {
        // (M_ip, W_eni, W_ip, T, U, maxPods, expected)
        let rows = [
            (14, 1, 0, 0, 0, 500, true), // A = 0 < 14
            (14, 0, 0, 0, 0, 500, true), // target 0 and A = 0
            (14, 0, 3, 0, 0, 500, true), // warm-IP, short = 3
            (3, 1, 1, 3, 0, 500, false), // short = max(1 - 3, 0) = 0
            (3, 1, 0, 3, 1, 500, true),  // A = 2 < 3
            (3, 0, 0, 3, 1, 500, false), // A = 2, not 0
            (3, 1, 0, 3, 3, 500, true),  // A = 0 < 3
            (3, 0, 0, 3, 3, 500, true),  // target 0, A = 0
            (3, 0, 5, 3, 3, 3, false),   // T = 3 >= maxPods 3
        ];
        for (i, (m_ip, w_eni, w_ip, t, u, max_pods, want)) in rows.into_iter().enumerate() {
            assert_eq!(
                is_too_low(st(t, u), tg(w_eni, w_ip, 0), m_ip, max_pods),
                want,
                "C01 row {}",
                i + 1
            );
        }
    }

    /// C03: WARM_ENI_TARGET = 2, M_ip = 10: low until A = 20 (excluded primary holds nothing).
    #[test]
    fn c03_warm_eni_two() {
        let t = tg(2, 0, 0);
        assert!(is_too_low(st(0, 0), t, 10, 100));
        assert!(is_too_low(st(10, 0), t, 10, 100)); // A = 10 < 20
        assert!(!is_too_low(st(20, 0), t, 10, 100)); // A = 20
    }

    /// C04: `TestGetWarmIPTargetState` with W_ip = 5.
    #[test]
    fn c04_target_state_warm_ip_5() {
        assert_eq!(target_state(st(0, 0), tg(1, 0, 0)), None);
        let t = tg(1, 5, 0);
        assert_eq!(target_state(st(0, 0), t), Some((5, 0)));
        assert_eq!(target_state(st(2, 0), t), Some((3, 0)));
        assert_eq!(target_state(st(5, 0), t), Some((0, 0)));
    }

    /// C06: warm-IP mode flag.
    #[test]
    fn c06_warm_ip_mode() {
        assert!(!tg(1, 0, 0).warm_ip_mode());
        assert!(tg(1, 5, 0).warm_ip_mode());
        assert!(tg(1, 0, 10).warm_ip_mode());
        assert!(tg(1, 5, 10).warm_ip_mode());
    }

    /// C08 / C13: size of a new ENI: a full ENI in WARM_ENI mode, the shortfall in warm-IP mode.
    #[test]
    fn c08_c13_new_eni_size() {
        assert_eq!(new_eni_ips(st(0, 0), tg(1, 0, 0), 14), 14);
        // C13: W_ip = 3, empty: min(short 3, 14) = 3
        assert_eq!(new_eni_ips(st(0, 0), tg(1, 3, 0), 14), 3);
        // shortfall larger than an ENI is capped at M_ip: W_ip = 40 -> min(40, 14)
        assert_eq!(new_eni_ips(st(0, 0), tg(1, 40, 0), 14), 14);
    }

    /// C14: T = 3, U = 1, W_ip = 3 -> short = 3 - 2 = 1: one IP requested.
    #[test]
    fn c14_prescale_asks_for_shortfall() {
        assert_eq!(ips_to_allocate(st(3, 1), tg(1, 3, 0), 14), Some(1));
        assert_eq!(ips_to_allocate(st(0, 0), tg(1, 0, 0), 14), Some(14));
        assert_eq!(ips_to_allocate(st(5, 0), tg(1, 5, 0), 14), None);
    }

    /// C17: W_ip = 1, T = 4, U = 2 -> (short, over) = (0, 1); after releasing 1 -> (0, 0).
    #[test]
    fn c17_over_is_exact() {
        let t = tg(1, 1, 0);
        assert_eq!(target_state(st(4, 2), t), Some((0, 1)));
        assert!(is_too_high(st(4, 2), t));
        assert_eq!(target_state(st(3, 2), t), Some((0, 0)));
        assert!(!is_too_high(st(3, 2), t));
    }

    /// C18: t3.small, W_ip = 2, Min = 5, T = 5, no pods: over = max(min(5 - 2, 5 - 5), 0) = 0.
    #[test]
    fn c18_minimum_floor_blocks_release() {
        let t = tg(1, 2, 5);
        assert_eq!(target_state(st(5, 0), t), Some((0, 0)));
        assert!(!is_too_high(st(5, 0), t));
        // ENI-2 with 2 IPs: the other ENI holds 3 < 5 -> required for MINIMUM_IP_TARGET.
        assert!(required_for_min(3, 5));
    }

    /// C20: WARM_ENI mode is never "too high", however many IPs are idle.
    #[test]
    fn c20_warm_eni_never_too_high() {
        assert!(!is_too_high(st(27, 0), tg(1, 0, 0)));
    }

    /// C21: `TestWarmENIInteractions` "required" checks.
    /// eni-1 (primary) 2 IPs both assigned, eni-2 2 free, eni-3 1 free.
    #[test]
    fn c21_required_checks() {
        // (3, 1): eni-2's others have 1 free < 3; eni-3's others have 2 free < 3 -> both required.
        assert!(required_for_warm_ip(1, 3));
        assert!(required_for_warm_ip(2, 3));
        // (2, 4): eni-2 required (others 1 free < 2); eni-3 not (others 2 free, total 4 >= 4).
        assert!(required_for_warm_ip(1, 2));
        assert!(!required_for_warm_ip(2, 2));
        assert!(!required_for_min(4, 4));
        // then (0, 3): eni-2's others total 2 < 3 -> required; (0, 2): not.
        assert!(!required_for_warm_ip(0, 0));
        assert!(required_for_min(2, 3));
        assert!(!required_for_min(2, 2));
    }

    /// C24: m5.large W_eni = 1, 3 x 9 IPs, 0 pods: A = 27 >= 18 -> remove extra; after one
    /// free A = 18 still >= 18; after two A = 9 < 18 -> stop.
    #[test]
    fn c24_remove_extra_threshold() {
        let t = tg(1, 0, 0);
        assert!(should_remove_extra_enis(st(27, 0), t, 9));
        assert!(should_remove_extra_enis(st(18, 0), t, 9));
        assert!(!should_remove_extra_enis(st(9, 0), t, 9));
        // warm-IP mode always runs tryFreeENI
        assert!(should_remove_extra_enis(st(0, 0), tg(1, 1, 0), 9));
    }

    /// C29: churn: T = 6, U = 5 with the one free IP cooling: A = 1 >= W_ip = 1, short = 0.
    #[test]
    fn c29_cooling_ip_counts_as_available() {
        let stats = PoolStats {
            total: 6,
            assigned: 5,
            cooldown: 1,
        };
        assert!(!is_too_low(stats, tg(1, 1, 0), 9, 29));
        // once the pod takes it: A = 0 < 1 -> low
        assert!(is_too_low(st(6, 6), tg(1, 1, 0), 9, 29));
    }

    /// C40: MINIMUM_IP_TARGET = 10 alone: with T = 10 and all assigned,
    /// short = max(max(0 - 0, 0), 10 - 10) = 0 -> never low.
    #[test]
    fn c40_minimum_alone_freezes_growth() {
        let t = tg(1, 0, 10);
        assert!(!is_too_low(st(10, 10), t, 9, 29));
        assert!(is_too_low(st(9, 0), t, 9, 29)); // after init: 9 < 10 -> short 1
        assert_eq!(new_eni_ips(st(9, 0), t, 9), 1);
    }

    /// C41: W_eni = 0, 9 pods on a full ENI: A = 0 -> low; with ENI-2 (9 free) A = 9 >= 9
    /// -> should remove extra.
    #[test]
    fn c41_warm_eni_zero() {
        let t = tg(0, 0, 0);
        assert!(is_too_low(st(9, 9), t, 9, 29));
        assert!(should_remove_extra_enis(st(18, 9), t, 9));
    }

    /// C43: MAX_ENI can only lower the cap.
    #[test]
    fn c43_max_eni() {
        assert_eq!(effective_max_eni(Some(2), 4), 2);
        assert_eq!(effective_max_eni(None, 4), 4);
        assert_eq!(effective_max_eni(Some(0), 4), 4);
        assert_eq!(effective_max_eni(Some(10), 4), 4);
    }

    /// C28 / spec §b.2: cooling while now − unassigned ≤ cooldown.
    #[test]
    fn cooldown_boundary() {
        assert!(is_cooling(30_000_000, 0, 30));
        assert!(!is_cooling(30_000_001, 0, 30));
        assert!(!is_cooling(0, 0, -1));
        assert!(is_cooling(0, 0, 0));
    }
}
