//! Steady-state ENI and IP counts per warm-pool setting, derived by hand from the rules in
//! spec/ipamd.md (§c.2 too-low, §c.3 target state, §c.4 too-high, §c.7/§c.12 sizes, §g
//! init). Each scenario: one node, N pods created at 10 s, run 10 minutes.
use crate::common;
use common::*;

/// WARM_ENI_TARGET=1 (default). Grow while A < 1 × M_ip; each increase fills a whole ENI
/// (§c.7 step 2, §c.12), capped at maxENI.
#[test]
fn warm_eni_1_across_instance_types() {
    // (type, pods, ENIs, IPs) with M_ip = L_ip − 1:
    let cases = [
        // m5.large M_ip 9: 0 pods -> init fills primary, A = 9 not < 9: 1 ENI, 9 IPs.
        ("m5.large", 0, 1, 9),
        // 5 pods: A = 9 - 5 = 4 < 9 -> ENI-2: T = 18, A = 13 >= 9.
        ("m5.large", 5, 2, 18),
        // 9 pods: T = 18, A = 9, not < 9: stays at 2 ENIs.
        ("m5.large", 9, 2, 18),
        // 10 pods: A = 8 < 9 -> ENI-3: T = 27 (= maxENI 3).
        ("m5.large", 10, 3, 27),
        // t3.medium M_ip 5: 4 pods: A = 1 < 5 -> 10, A = 6: 2 ENIs.
        ("t3.medium", 4, 2, 10),
        // m5.xlarge M_ip 14: 20 pods: 14 -> 28 (A 8 < 14) -> 42 (A 22): 3 ENIs.
        ("m5.xlarge", 20, 3, 42),
        // m4.4xlarge M_ip 29: 40 pods: 29 -> 58 (A 18 < 29) -> 87 (A 47): 3 ENIs.
        ("m4.4xlarge", 40, 3, 87),
    ];
    for (itype, pods, enis, ips) in cases {
        let (w, _) = run_yaml(&one_node(itype, "  WARM_ENI_TARGET: 1", pods, "10m"));
        assert_eq!(
            node_pool(&w, 0),
            (enis, ips, pods),
            "{itype} with {pods} pods"
        );
        assert_eq!(
            w.totals().last_row.pods_running,
            pods,
            "{itype}: every pod runs"
        );
    }
}

/// WARM_ENI_TARGET=1 at the ENI cap: m5.large has 3 ENIs × 9 = 27 IPs; max pods 29, so
/// with 28 pods 27 run and 1 waits for an IP forever; the pool reports max ENI once.
#[test]
fn warm_eni_at_max_eni_leaves_pods_waiting() {
    let (w, _) = run_yaml(&one_node("m5.large", "  WARM_ENI_TARGET: 1", 28, "10m"));
    assert_eq!(node_pool(&w, 0), (3, 27, 27));
    let last = w.totals().last_row;
    assert_eq!((last.pods_running, last.pods_waiting_ip), (27, 1));
    assert_eq!(events_of(&w, "max_eni").len(), 1);
}

/// WARM_ENI_TARGET=2: low while A < 18 (m5.large). 0 pods: 9 -> 18 (A = 18): 2 ENIs.
/// 5 pods: A = 13 < 18 -> 27: 3 ENIs.
#[test]
fn warm_eni_2() {
    for (pods, enis, ips) in [(0, 2, 18), (5, 3, 27)] {
        let (w, _) = run_yaml(&one_node("m5.large", "  WARM_ENI_TARGET: 2", pods, "10m"));
        assert_eq!(node_pool(&w, 0), (enis, ips, pods), "{pods} pods");
    }
}

/// WARM_ENI_TARGET=0: low only when A = 0. Init: A = 0 -> primary gets 9. 5 pods: A = 4,
/// not 0: stays 1 ENI / 9.
#[test]
fn warm_eni_0_grows_only_when_empty() {
    let (w, _) = run_yaml(&one_node("m5.large", "  WARM_ENI_TARGET: 0", 5, "10m"));
    assert_eq!(node_pool(&w, 0), (1, 9, 5));
}

/// WARM_IP_TARGET=2 alone: short = 2 − A, so T = N + 2 once settled; filling the primary
/// first (9), then a new ENI sized min(short, 9). 10 pods: T = 12: 2 ENIs.
/// 0 pods: init asks min(M_ip, short 2) = 2: 1 ENI, 2 IPs.
#[test]
fn warm_ip_target_2() {
    for (pods, enis, ips) in [(0, 1, 2), (10, 2, 12), (3, 1, 5)] {
        let (w, _) = run_yaml(&one_node("m5.large", "  WARM_IP_TARGET: 2", pods, "10m"));
        assert_eq!(node_pool(&w, 0), (enis, ips, pods), "{pods} pods");
    }
}

/// WARM_IP_TARGET=2, MINIMUM_IP_TARGET=10: short = max(2 − A, 10 − T).
/// 5 pods: T = 10 (9 + 1 on a second ENI), A = 5 >= 2; over = min(A − 2, T − 10) = 0.
/// 12 pods: T = 14 (9 + 5).
#[test]
fn warm_ip_2_minimum_10() {
    for (pods, enis, ips) in [(5, 2, 10), (12, 2, 14), (0, 2, 10)] {
        let cni = "  WARM_IP_TARGET: 2\n  MINIMUM_IP_TARGET: 10";
        let (w, _) = run_yaml(&one_node("m5.large", cni, pods, "10m"));
        assert_eq!(node_pool(&w, 0), (enis, ips, pods), "{pods} pods");
    }
}

/// C40: MINIMUM_IP_TARGET=10 alone freezes growth at T = 10: 12 pods -> 10 run, 2 wait
/// forever (short = max(0, 10 − 10) = 0 although A = 0).
#[test]
fn minimum_ip_alone_freezes_growth() {
    let (w, _) = run_yaml(&one_node("m5.large", "  MINIMUM_IP_TARGET: 10", 12, "10m"));
    assert_eq!(node_pool(&w, 0), (2, 10, 10));
    let last = w.totals().last_row;
    assert_eq!((last.pods_running, last.pods_waiting_ip), (10, 2));
    assert!(
        events_of(&w, "create_eni").len() == 1,
        "only the init-time top-up ENI"
    );
}

/// MAX_ENI=2 on m5.large (L_eni 3): at most 2 ENIs × 9 = 18 IPs; 20 pods -> 18 run.
#[test]
fn max_eni_caps_the_pool() {
    let (w, _) = run_yaml(&one_node("m5.large", "  MAX_ENI: 2", 20, "10m"));
    assert_eq!(node_pool(&w, 0), (2, 18, 18));
    assert_eq!(w.totals().last_row.pods_waiting_ip, 2);
}

/// Release in warm-IP mode: WARM_IP_TARGET=2, 12 pods then 3. Settled T = 14; after the
/// scale-in over = A − 2 = 11 − 2 = 9 IPs go back in one decrease: T = 5.
#[test]
fn warm_ip_releases_exactly_the_surplus() {
    let yaml = one_node("m5.large", "  WARM_IP_TARGET: 2", 12, "10m").replace(
        "    at: 10s\n    replicas: 12\n",
        "    steps:\n      - {at: 10s, replicas: 12}\n      - {at: 200s, replicas: 3}\n",
    );
    let (w, _) = run_yaml(&yaml);
    let (_, ips, assigned) = node_pool(&w, 0);
    assert_eq!((ips, assigned), (5, 3));
}

/// WARM_ENI_TARGET=1 never releases single IPs (§c.4): after 20 -> 0 pods the two extra
/// ENIs are freed whole (C24), leaving the primary with 9.
#[test]
fn warm_eni_scale_in_frees_whole_enis() {
    let yaml = one_node("m5.large", "  WARM_ENI_TARGET: 1", 20, "10m").replace(
        "    at: 10s\n    replicas: 20\n",
        "    steps:\n      - {at: 10s, replicas: 20}\n      - {at: 200s, replicas: 0}\n",
    );
    let (w, _) = run_yaml(&yaml);
    assert_eq!(node_pool(&w, 0), (1, 9, 0));
    assert!(events_of(&w, "unassign_ips").is_empty());
    let frees = event_times(&w, "free_eni");
    assert_eq!(frees.len(), 2);
    // First free only after the deleted pods' IPs left cooldown (200 s + 30 s).
    assert!(frees[0] > 230.0 && frees[0] < 236.0, "{frees:?}");
}
