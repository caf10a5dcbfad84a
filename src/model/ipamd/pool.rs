//! ipamd's pool decisions as pure functions of datastore statistics (spec §c).
//!
//! Secondary-IP mode (SIP) or prefix-delegation mode (PD), on network card 0 or, with
//! `ENABLE_MULTI_NIC`, on a card > 0 ([`Targets::secondary_card`]). Every function cites the
//! rule it follows. Units: IP addresses unless a name says prefixes; in PD on card 0,
//! "short" and "over" are counted in /28 prefixes of 16 addresses, as the real code does.

/// Addresses in one /28 prefix.
pub const IPS_PER_PREFIX: u32 = 16;

/// The warm-pool settings after parsing (spec §a.1), and the mode.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Targets {
    /// `WARM_ENI_TARGET` (ENIs; ignored in PD and in warm-IP mode).
    pub warm_eni: u32,
    /// `WARM_IP_TARGET` (IPs, 0 = unset).
    pub warm_ip: u32,
    /// `MINIMUM_IP_TARGET` (IPs, 0 = unset).
    pub minimum_ip: u32,
    /// `WARM_PREFIX_TARGET` (prefixes; PD only).
    pub warm_prefix: u32,
    /// Prefix delegation is in effect on this node.
    pub pd: bool,
    /// A network card > 0 (`ENABLE_MULTI_NIC`): `datastoreTargetState` uses
    /// `WARM_IP_TARGET = MINIMUM_IP_TARGET = 1` whatever the settings, and counts `short`
    /// and `over` in IPs even in PD, its prefix arithmetic being for card 0 only
    /// (`pkg/ipamd/ipamd.go:2181-2185, 2212`; spec §c.3).
    pub secondary_card: bool,
}

impl Targets {
    /// The targets of a network card > 0 on a node whose card 0 uses `self`: warm-IP mode
    /// with `DefaultWarmIPTarget = DefaultMinimumIPTarget = 1` (`ipamd.go:206-207,
    /// 2181-2185`; `tryFreeENI` the same, `ipamd.go:862-865`), the mode and the other
    /// targets unchanged.
    pub fn for_secondary_card(self) -> Targets {
        Targets {
            warm_ip: 1,
            minimum_ip: 1,
            secondary_card: true,
            ..self
        }
    }

    /// Warm-IP mode: `WARM_IP_TARGET ≠ 0 OR MINIMUM_IP_TARGET ≠ 0` (`ipamd.go:1941-1943`).
    pub fn warm_ip_mode(&self) -> bool {
        self.warm_ip != 0 || self.minimum_ip != 0
    }
}

/// Datastore statistics (spec §c.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// `T`: addresses held by the datastore (16 per prefix in PD).
    pub total: u32,
    /// `U`: addresses assigned to pods.
    pub assigned: u32,
    /// `C`: unassigned addresses still in cooldown (logged only; no decision uses it).
    pub cooldown: u32,
    /// `P`: prefixes held (0 in SIP).
    pub prefixes: u32,
    /// `F`: prefixes with no assigned address (cooling ones count as free).
    pub free_prefixes: u32,
}

impl PoolStats {
    /// `A = T − U`: available addresses, **cooldown included** (`data_store.go:911-913`).
    pub fn available(&self) -> u32 {
        self.total.saturating_sub(self.assigned)
    }
}

fn div_ceil(a: i64, b: i64) -> i64 {
    (a + b - 1).div_euclid(b)
}

/// `datastoreTargetState` (spec §c.3) on card 0: `(short, over)`, in IPs (SIP) or prefixes
/// (PD), or `None` when warm-IP mode is off.
///
/// ```
/// use ipamsim::model::ipamd::pool::{target_state, PoolStats, Targets};
///
/// // SIP, WARM_IP_TARGET 5, MINIMUM_IP_TARGET 10; 9 addresses held, 3 assigned: 6
/// // available. short = max(5 − 6, 10 − 9, 0) = 1 (the minimum binds); over =
/// // max(min(6 − 5, 9 − 10), 0) = 0.
/// let t = Targets { warm_ip: 5, minimum_ip: 10, ..Targets::default() };
/// let stats = PoolStats { total: 9, assigned: 3, ..PoolStats::default() };
/// assert_eq!(target_state(stats, t), Some((1, 0)));
/// // PD: the same shortfall of 1 address is one /28 prefix to ask for
/// let pd = Targets { pd: true, ..t };
/// assert_eq!(target_state(stats, pd).map(|(short, _)| short), Some(1));
/// // without WARM_IP_TARGET or MINIMUM_IP_TARGET, warm-IP mode is off
/// assert_eq!(target_state(stats, Targets::default()), None);
/// ```
pub fn target_state(stats: PoolStats, t: Targets) -> Option<(u32, u32)> {
    if !t.warm_ip_mode() {
        return None;
    }
    let total = i64::from(stats.total);
    let available = i64::from(stats.available());
    let warm = i64::from(t.warm_ip);
    let min = i64::from(t.minimum_ip);
    let short_ip = (warm - available).max(0).max(min - total);
    let over_ip = (available - warm).max(0).min(total - min).max(0);
    if !t.pd || t.secondary_card {
        return Some((short_ip as u32, over_ip as u32));
    }
    let per = i64::from(IPS_PER_PREFIX);
    let short_pfx = div_ceil(short_ip, per);
    let need_warm = div_ceil(i64::from(stats.assigned) + warm, per);
    let need_min = div_ceil(min, per);
    let p = i64::from(stats.prefixes);
    let over_pfx = i64::from(stats.free_prefixes).min(p - need_warm).max(0);
    let over_pfx = over_pfx.min(p - need_min).max(0);
    Some((short_pfx as u32, over_pfx as u32))
}

/// `isDatastorePoolTooLow` (spec §c.2).
///
/// `ips_per_eni` is `M_ip` (SIP: IPv4 per ENI − 1; PD: 16 × that); `max_pods` is the node's
/// pod capacity (pods).
pub fn is_too_low(stats: PoolStats, t: Targets, ips_per_eni: u32, max_pods: u32) -> bool {
    if stats.total >= max_pods {
        return false;
    }
    if let Some((short, _)) = target_state(stats, t) {
        return short > 0;
    }
    let (per, target) = if t.pd {
        (IPS_PER_PREFIX, t.warm_prefix)
    } else {
        (ips_per_eni, t.warm_eni)
    };
    let available = stats.available();
    available < per.saturating_mul(target) || (target == 0 && available == 0)
}

/// `isDatastorePoolTooHigh` (spec §c.4): warm-IP mode when `over > 0`; PD when
/// `F > WARM_PREFIX_TARGET`; SIP with `WARM_ENI_TARGET` never (it frees whole ENIs only).
pub fn is_too_high(stats: PoolStats, t: Targets) -> bool {
    match target_state(stats, t) {
        Some((_, over)) => over > 0,
        None => t.pd && stats.free_prefixes > t.warm_prefix,
    }
}

/// How many IPs (SIP) or prefixes (PD) a decrease releases (spec §c.11 step 1).
pub fn decrease_amount(stats: PoolStats, t: Targets) -> u32 {
    match target_state(stats, t) {
        Some((_, over)) => over,
        None if t.pd => stats.free_prefixes.saturating_sub(t.warm_prefix),
        None => 0,
    }
}

/// `shouldRemoveExtraENIs` (spec §c.5), on the stats snapshot taken before the tick's
/// increase or decrease. `freeable_eni_exists` is `CheckFreeableENIexists` (PD fallback).
pub fn should_remove_extra_enis(
    stats: PoolStats,
    t: Targets,
    ips_per_eni: u32,
    freeable_eni_exists: bool,
) -> bool {
    if t.warm_ip_mode() {
        return true;
    }
    // saturating: a target of u32::MAX would wrap to 0 and free ENIs it wants to keep
    let k = if t.pd { t.warm_prefix } else { t.warm_eni }.saturating_add(1);
    if stats.available() >= k.saturating_mul(ips_per_eni) {
        return true;
    }
    t.pd && freeable_eni_exists
}

/// `getPrefixesNeeded` (spec §c.8): at least one prefix; the shortfall in warm-IP mode,
/// else `WARM_PREFIX_TARGET − F`.
pub fn prefixes_needed(stats: PoolStats, t: Targets) -> u32 {
    match target_state(stats, t) {
        Some((short, _)) => short.max(1),
        None => t.warm_prefix.saturating_sub(stats.free_prefixes).max(1),
    }
}

/// What one fill of an existing ENI asks for before per-ENI capping (spec §c.7 step 2,
/// §c.8): SIP: `short` in warm-IP mode, a whole ENI (`M_ip`) otherwise, and `None` (no
/// call) in warm-IP mode with nothing short; PD: [`prefixes_needed`] prefixes.
pub fn cidrs_to_allocate(stats: PoolStats, t: Targets, ips_per_eni: u32) -> Option<u32> {
    if t.pd {
        return Some(prefixes_needed(stats, t));
    }
    match target_state(stats, t) {
        Some((0, _)) => None,
        Some((short, _)) => Some(short),
        None => Some(ips_per_eni),
    }
}

/// `GetENIResourcesToAllocate` (spec §c.12): the size of a new ENI in IPs (SIP) or
/// prefixes (PD); `cidrs_per_eni` is IPv4 per ENI − 1. 0 means no ENI is created (but the
/// attempt counts as a pool action).
pub fn new_eni_cidrs(stats: PoolStats, t: Targets, cidrs_per_eni: u32) -> u32 {
    if t.pd {
        return prefixes_needed(stats, t).min(cidrs_per_eni);
    }
    match target_state(stats, t) {
        Some((short, _)) => short.min(cidrs_per_eni),
        None => cidrs_per_eni,
    }
}

/// Effective ENI cap (spec §a.2): `min(MAX_ENI, L_eni)` when `MAX_ENI ≥ 1`, else `L_eni`.
pub fn effective_max_eni(max_eni_env: Option<u32>, instance_max_enis: u32) -> u32 {
    match max_eni_env {
        Some(m) if m >= 1 => m.min(instance_max_enis),
        _ => instance_max_enis,
    }
}

/// The "required" targets of §c.10 in addresses: SIP `W`, PD `16 × ceil(W / 16)`.
fn required_target(target: u32, pd: bool) -> u32 {
    if pd {
        target.div_ceil(IPS_PER_PREFIX) * IPS_PER_PREFIX
    } else {
        target
    }
}

/// `requiredForWarmIP` (spec §c.10): the other ENIs' unassigned addresses (cooling
/// included) fall short of `WARM_IP_TARGET` (rounded up to whole prefixes in PD).
pub fn required_for_warm_ip(others_unassigned: u32, warm_ip: u32, pd: bool) -> bool {
    warm_ip != 0 && others_unassigned < required_target(warm_ip, pd)
}

/// `requiredForMin` (spec §c.10): the other ENIs' total addresses fall short of
/// `MINIMUM_IP_TARGET` (rounded up to whole prefixes in PD).
pub fn required_for_min(others_total: u32, minimum_ip: u32, pd: bool) -> bool {
    minimum_ip != 0 && others_total < required_target(minimum_ip, pd)
}

/// `requiredForWarmPrefix` (spec §c.10, PD with `WARM_PREFIX_TARGET ≠ 0`): the other ENIs
/// hold fewer free prefixes than the target.
pub fn required_for_warm_prefix(others_free_prefixes: u32, warm_prefix: u32) -> bool {
    warm_prefix != 0 && others_free_prefixes < warm_prefix
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
            ..PoolStats::default()
        }
    }
    fn tg(warm_eni: u32, warm_ip: u32, minimum_ip: u32) -> Targets {
        Targets {
            warm_eni,
            warm_ip,
            minimum_ip,
            ..Targets::default()
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
        assert_eq!(new_eni_cidrs(st(0, 0), tg(1, 0, 0), 14), 14);
        // C13: W_ip = 3, empty: min(short 3, 14) = 3
        assert_eq!(new_eni_cidrs(st(0, 0), tg(1, 3, 0), 14), 3);
        // shortfall larger than an ENI is capped at M_ip: W_ip = 40 -> min(40, 14)
        assert_eq!(new_eni_cidrs(st(0, 0), tg(1, 40, 0), 14), 14);
    }

    /// C14: T = 3, U = 1, W_ip = 3 -> short = 3 - 2 = 1: one IP requested.
    #[test]
    fn c14_prescale_asks_for_shortfall() {
        assert_eq!(cidrs_to_allocate(st(3, 1), tg(1, 3, 0), 14), Some(1));
        assert_eq!(cidrs_to_allocate(st(0, 0), tg(1, 0, 0), 14), Some(14));
        assert_eq!(cidrs_to_allocate(st(5, 0), tg(1, 5, 0), 14), None);
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
        assert!(required_for_min(3, 5, false));
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
        assert!(required_for_warm_ip(1, 3, false));
        assert!(required_for_warm_ip(2, 3, false));
        // (2, 4): eni-2 required (others 1 free < 2); eni-3 not (others 2 free, total 4 >= 4).
        assert!(required_for_warm_ip(1, 2, false));
        assert!(!required_for_warm_ip(2, 2, false));
        assert!(!required_for_min(4, 4, false));
        // then (0, 3): eni-2's others total 2 < 3 -> required; (0, 2): not.
        assert!(!required_for_warm_ip(0, 0, false));
        assert!(required_for_min(2, 3, false));
        assert!(!required_for_min(2, 2, false));
    }

    /// C24: m5.large W_eni = 1, 3 x 9 IPs, 0 pods: A = 27 >= 18 -> remove extra; after one
    /// free A = 18 still >= 18; after two A = 9 < 18 -> stop.
    #[test]
    fn c24_remove_extra_threshold() {
        let t = tg(1, 0, 0);
        assert!(should_remove_extra_enis(st(27, 0), t, 9, false));
        assert!(should_remove_extra_enis(st(18, 0), t, 9, false));
        assert!(!should_remove_extra_enis(st(9, 0), t, 9, false));
        // warm-IP mode always runs tryFreeENI
        assert!(should_remove_extra_enis(st(0, 0), tg(1, 1, 0), 9, false));
    }

    /// C29: churn: T = 6, U = 5 with the one free IP cooling: A = 1 >= W_ip = 1, short = 0.
    #[test]
    fn c29_cooling_ip_counts_as_available() {
        let stats = PoolStats {
            total: 6,
            assigned: 5,
            cooldown: 1,
            ..PoolStats::default()
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
        assert_eq!(new_eni_cidrs(st(9, 0), t, 9), 1);
    }

    /// C41: W_eni = 0, 9 pods on a full ENI: A = 0 -> low; with ENI-2 (9 free) A = 9 >= 9
    /// -> should remove extra.
    #[test]
    fn c41_warm_eni_zero() {
        let t = tg(0, 0, 0);
        assert!(is_too_low(st(9, 9), t, 9, 29));
        assert!(should_remove_extra_enis(st(18, 9), t, 9, false));
    }

    /// C43: MAX_ENI can only lower the cap.
    #[test]
    fn c43_max_eni() {
        assert_eq!(effective_max_eni(Some(2), 4), 2);
        assert_eq!(effective_max_eni(None, 4), 4);
        assert_eq!(effective_max_eni(Some(0), 4), 4);
        assert_eq!(effective_max_eni(Some(10), 4), 4);
    }

    fn pd(warm_ip: u32, minimum_ip: u32, warm_prefix: u32) -> Targets {
        Targets {
            warm_eni: 1,
            warm_ip,
            minimum_ip,
            warm_prefix,
            pd: true,
            secondary_card: false,
        }
    }
    fn pst(prefixes: u32, assigned: u32, free_prefixes: u32) -> PoolStats {
        PoolStats {
            total: prefixes * 16,
            assigned,
            cooldown: 0,
            prefixes,
            free_prefixes,
        }
    }

    /// C02: `TestIPAMContext_nodePrefixPoolTooLow` (M_pfx 16, M_ip 256).
    #[test]
    fn c02_pd_too_low_table() {
        // (W_pfx, prefixes, assigned, maxPods, expected)
        let rows = [
            (1, 0, 0, 500, true),  // A = 0 < 16
            (0, 0, 0, 500, true),  // target 0 and A = 0
            (1, 1, 0, 500, false), // A = 16, not < 16
            (1, 1, 1, 500, true),  // A = 15 < 16
            (0, 1, 1, 500, false), // A = 15
            (1, 1, 3, 500, true),  // A = 13 < 16
            (0, 1, 3, 500, false), // A = 13
            (1, 1, 3, 4, false),   // T = 16 >= 4
        ];
        for (i, (w_pfx, p, u, max_pods, want)) in rows.into_iter().enumerate() {
            let free = u32::from(u == 0 && p > 0);
            assert_eq!(
                is_too_low(pst(p, u, free), pd(0, 0, w_pfx), 256, max_pods),
                want,
                "C02 row {}",
                i + 1
            );
        }
    }

    /// C05: `TestGetWarmIPTargetStateWithPDenabled`, W_ip = 5.
    #[test]
    fn c05_pd_target_state() {
        assert_eq!(target_state(pst(0, 0, 0), pd(0, 0, 1)), None);
        // empty: shortIP 5 -> ceil(5/16) = 1 prefix
        assert_eq!(target_state(pst(0, 0, 0), pd(5, 0, 1)), Some((1, 0)));
        // 2 free prefixes: needW = ceil((0+5)/16) = 1, over = min(F 2, P 2 - 1) = 1
        assert_eq!(target_state(pst(2, 0, 2), pd(5, 0, 1)), Some((0, 1)));
        // one prefix: over = min(1, 1 - 1) = 0
        assert_eq!(target_state(pst(1, 0, 1), pd(5, 0, 1)), Some((0, 0)));
    }

    /// C12: empty PD datastore, W_pfx = 1: getPrefixesNeeded = max(1, 1 - 0) = 1.
    #[test]
    fn c12_pd_new_eni_gets_one_prefix() {
        assert_eq!(new_eni_cidrs(pst(0, 0, 0), pd(0, 0, 1), 16), 1);
        // W_pfx = 3 with one free prefix: max(1, 3 - 1) = 2
        assert_eq!(prefixes_needed(pst(1, 0, 1), pd(0, 0, 3)), 2);
        // warm-IP W_ip = 40 on empty: shortPfx = ceil(40/16) = 3
        assert_eq!(prefixes_needed(pst(0, 0, 0), pd(40, 0, 1)), 3);
    }

    /// C15: PD, W_ip = 3, one prefix with one pod: A = 15, short = 0 -> not low.
    #[test]
    fn c15_pd_headroom_no_allocation() {
        assert!(!is_too_low(pst(1, 1, 0), pd(3, 0, 1), 224, 110));
    }

    /// C19: PD, W_pfx = 1, 4 prefixes all free (cooling): not low (A = 64), high (F 4 > 1),
    /// release 4 - 1 = 3.
    #[test]
    fn c19_pd_release_surplus_prefixes() {
        let s = pst(4, 0, 4);
        let t = pd(0, 0, 1);
        assert!(!is_too_low(s, t, 144, 110));
        assert!(is_too_high(s, t));
        assert_eq!(decrease_amount(s, t), 3);
        assert!(!is_too_high(pst(1, 0, 1), t));
    }

    /// C42: m5.large PD W_pfx = 1, maxPods 110: prefixes for p pods settle at
    /// min(ceil((p + 16) / 16), 7): growth stops once T >= 110 (7 prefixes = 112).
    #[test]
    fn c42_max_pods_caps_prefix_growth() {
        let t = pd(0, 0, 1);
        let settle = |pods: u32| {
            let mut p = 1;
            while is_too_low(pst(p, pods, 0), t, 144, 110) {
                p += 1;
            }
            p
        };
        for (pods, want) in [(0, 1), (1, 2), (16, 2), (17, 3), (96, 7), (97, 7), (108, 7)] {
            assert_eq!(settle(pods), want, "{pods} pods");
        }
    }

    /// §c.5 PD: with W_pfx = 1 a whole spare ENI's worth is (1+1) × M_ip; otherwise the
    /// fallback `CheckFreeableENIexists` decides.
    #[test]
    fn pd_remove_extra_enis() {
        let t = pd(0, 0, 1);
        assert!(!should_remove_extra_enis(pst(2, 10, 1), t, 144, false));
        assert!(should_remove_extra_enis(pst(2, 10, 1), t, 144, true));
        assert!(should_remove_extra_enis(pst(20, 0, 20), t, 144, false)); // A = 320 >= 288
    }

    /// §c.10 PD: required targets round up to whole prefixes.
    #[test]
    fn pd_required_checks_round_to_prefixes() {
        // W_ip = 5 -> 16 addresses needed elsewhere
        assert!(required_for_warm_ip(15, 5, true));
        assert!(!required_for_warm_ip(16, 5, true));
        assert!(required_for_min(16, 17, true)); // 16 < 32
        assert!(required_for_warm_prefix(0, 1));
        assert!(!required_for_warm_prefix(1, 1));
        assert!(!required_for_warm_prefix(0, 0));
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
