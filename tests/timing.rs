//! Timing behaviour from spec/ipamd-cases.md §I and the cooldown cases, with derivations.
use crate::common;
use common::*;
use ipamsim::model::ids::PodId;
use ipamsim::model::record::Fact;

fn decrease_scenario(tick_overhead: &str) -> String {
    // m5.xlarge (M_ip 14), WARM_IP_TARGET=1: 12 pods settle on the primary ENI (T = 13).
    // Every 10 s from 100 s two pods leave, so there is always a surplus to release.
    format!(
        "duration: 5m
cni:
  WARM_IP_TARGET: 1
ipamd:
  placement: canonical
  tick_overhead: {tick_overhead}
subnets:
  - name: a
    cidr: 10.0.0.0/20
nodegroups:
  - name: ng
    instance_type: m5.xlarge
    count: 1
    subnet: a
workloads:
  - name: web
    steps:
      - {{at: 10s, replicas: 12}}
      - {{at: 100s, replicas: 10}}
      - {{at: 110s, replicas: 8}}
      - {{at: 120s, replicas: 6}}
      - {{at: 130s, replicas: 4}}
      - {{at: 140s, replicas: 2}}
"
    )
}

/// C47 / spec §b.3: a decrease tick starting at s0 makes one UnassignPrivateIpAddresses
/// (200 ms) and ends at e0 = s0 + 0.2, where lastDecreaseIPPool is set. Each half-cycle is
/// 2.5 s + 1 ms of processing, so later ticks start at e0 + k × 5.002 s. The check is
/// `now − last ≤ 30 s → skip`: k = 6 gives 30.012 s > 30, so decreases start 30.212 s apart.
#[test]
fn decreases_run_every_sixth_tick() {
    let (w, _) = run_yaml(&decrease_scenario("1ms"));
    let t = event_times(&w, "unassign_ips");
    assert!(t.len() >= 3, "{t:?}");
    for pair in t.windows(2) {
        assert!((pair[1] - pair[0] - 30.212).abs() < 0.0015, "{t:?}");
    }
}

/// The same with zero processing time: k = 6 gives exactly 30.000 s, which is ≤ 30 and
/// skipped, so the seventh tick (35.000 s) releases: 35.2 s apart. This is the trap the
/// spec warns about, and why tick_overhead defaults to 1 ms.
#[test]
fn zero_cost_ticks_would_skip_one_more_cycle() {
    let (w, _) = run_yaml(&decrease_scenario("0"));
    let t = event_times(&w, "unassign_ips");
    assert!(t.len() >= 2, "{t:?}");
    for pair in t.windows(2) {
        assert!((pair[1] - pair[0] - 35.2).abs() < 0.0015, "{t:?}");
    }
}

fn imds_scenario(delay: &str) -> String {
    // All EC2 calls take 0, so the only time is the IMDS wait. WARM_IP_TARGET=12 on
    // m5.large: init fills the primary with 9, the first tick creates ENI-2 for the rest.
    format!(
        "duration: 1m
cni:
  WARM_IP_TARGET: 12
ec2:
  latency:
    default: 0
  imds_delay: {delay}
subnets:
  - name: a
    cidr: 10.0.0.0/20
nodegroups:
  - name: ng
    instance_type: m5.large
    count: 1
    subnet: a
"
    )
}

/// C48: polls run at 0, 0.1, 0.3, 0.7, 1.5, 3.1, 6.3, 12.7 s after attach (each sleep
/// plus up to 15 % jitter). An ENI visible after 2 s is noticed at poll 6: 3.1 s plus at
/// most 15 % of the 3.1 s slept (0.465 s); after 5 s at poll 7: 6.3 s (+0.945 s); after
/// 8 s at poll 8: 12.7 s (+1.905 s).
#[test]
fn imds_visibility_is_quantized_by_the_poll_schedule() {
    for (delay, lo, hi) in [("2s", 3.1, 3.565), ("5s", 6.3, 7.245), ("8s", 12.7, 14.605)] {
        let (w, _) = run_yaml(&imds_scenario(delay));
        let created = event_times(&w, "create_eni");
        let ready = event_times(&w, "eni_ready");
        assert_eq!((created.len(), ready.len()), (1, 1), "{delay}");
        let waited = ready[0] - created[0];
        assert!(
            waited >= lo - 0.0005 && waited <= hi + 0.0005,
            "{delay}: {waited}"
        );
    }
}

/// An ENI that never shows in IMDS within the 12 polls is orphaned: the pool does not
/// count it; reconcile adopts it once 60 s pass without a pool action (§e.2, §b.5).
#[test]
fn eni_missing_from_imds_is_adopted_by_reconcile() {
    let (w, _) = run_yaml(&imds_scenario("200s").replace("duration: 1m", "duration: 10m"));
    let orphaned = event_times(&w, "eni_not_in_imds");
    let adopted = event_times(&w, "eni_adopted");
    assert!(!orphaned.is_empty());
    // Sleeps after polls 1..11: 0.1 + 0.2 + … + 51.2 = 102.3 s, then min(102.4, 60) = 60 s:
    // 162.3 s in all, plus up to 15 % jitter (186.645 s). All EC2 calls take 0 here.
    let created = event_times(&w, "create_eni")[0];
    let waited = orphaned[0] - created;
    assert!((162.3..=186.7).contains(&waited), "{waited}");
    // The orphan becomes visible 200 s after attach; reconcile adopts it only after that
    // and only when 60 s passed without a pool action.
    assert!(!adopted.is_empty());
    assert!(adopted[0] >= created + 200.0, "{adopted:?} {created}");
    // WARM_IP_TARGET=12 is met in the end: 9 on the primary plus the adopted ENIs' IPs.
    assert!(node_pool(&w, 0).1 >= 12);
}

/// C29: churn rejection by cooldown. m5.large, WARM_IP_TARGET=1: 5 `a` pods settle at
/// T = 6 with one free IP f. At 100 s one `a` pod leaves (its IP cools until 130 s) and
/// `b`'s first pod takes f; at 101 s `b`'s second pod finds only the cooling IP and fails.
/// A = T − U = 1 ≥ W_ip, so ipamd adds nothing: the pod gets an IP only on a kubelet retry
/// after 130 s, reusing the cooled IP.
#[test]
fn cooldown_rejects_pods_after_churn() {
    let yaml = "duration: 4m
cni:
  WARM_IP_TARGET: 1
ipamd:
  placement: canonical
subnets:
  - name: a
    cidr: 10.0.0.0/20
nodegroups:
  - name: ng
    instance_type: m5.large
    count: 1
    subnet: a
workloads:
  - name: a
    steps:
      - {at: 5s, replicas: 5}
      - {at: 100s, replicas: 4}
  - name: b
    steps:
      - {at: 100s, replicas: 1}
      - {at: 101s, replicas: 2}
";
    let (w, _) = run_yaml(yaml);
    let assigns: Vec<f64> = event_times(&w, "assign_ips");
    assert!(
        !assigns.iter().any(|&t| t > 100.0 && t <= 130.0),
        "{assigns:?}"
    );
    let b2 = w
        .pods()
        .iter()
        .enumerate()
        .find(|(i, _)| w.pod_name(PodId::from_index(*i)).to_string() == "b-2")
        .map(|(_, p)| p.clone())
        .unwrap();
    let got = b2.ip_assigned.unwrap().as_secs_f64();
    assert!(got > 130.0, "b-2 got its IP at {got}");
    assert!(events_of(&w, "no_ip").iter().any(|e| matches!(
        e.fact,
        Fact::NoIp { pod, cooling: 1, .. } if w.pod_name(pod).to_string() == "b-2"
    )));
}

/// C41: WARM_ENI_TARGET=0 with 9 pods on the full primary ENI: A = 0 -> ENI-2 (9 IPs);
/// then A = 9 ≥ (0+1) × 9 so it is freed as soon as it is 60 s old; then A = 0 again.
#[test]
fn warm_eni_zero_oscillates() {
    let (w, _) = run_yaml(&one_node("m5.large", "  WARM_ENI_TARGET: 0", 9, "10m"));
    let ready = event_times(&w, "eni_ready");
    let freed = event_times(&w, "free_eni");
    assert!(ready.len() >= 4 && freed.len() >= 3, "{ready:?} {freed:?}");
    for (r, f) in ready.iter().zip(&freed) {
        // freed at the first tick at least 60 s after setupENI: within one 5 s cycle
        let age = f - r;
        assert!((60.0..66.0).contains(&age), "age {age}");
    }
}

/// C45: insufficient addresses -> 120 s without any increase. A /27 has 32 − 5 = 27
/// usable addresses: the instance takes 1, init 9 (17 left), ENI-2 takes 1 + 9 (7 left).
/// With 10 pods A = 18 − 10 = 8 < 9, so ipamd wants ENI-3 (10 addresses) and
/// CreateNetworkInterface fails: the next attempt comes only after more than 120 s.
#[test]
fn insufficient_addresses_back_off_120s() {
    let yaml = one_node("m5.large", "  WARM_ENI_TARGET: 1", 10, "10m")
        .replace("10.0.0.0/20", "10.0.0.0/27");
    let (w, _) = run_yaml(&yaml);
    let t = event_times(&w, "insufficient_cooldown");
    assert!(t.len() >= 3, "{t:?}");
    for pair in t.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(gap > 120.0 && gap < 126.0, "gap {gap}");
    }
    assert_eq!(node_pool(&w, 0), (2, 18, 10));
    assert_eq!(w.totals().last_row.subnet_free_ips, 7);
}
