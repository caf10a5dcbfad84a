//! Prefix delegation, address-exact subnets and custom networking (spec §c with PD, §e.1,
//! §e.6, §f), with hand derivations. Unless said otherwise: one node, canonical placement,
//! pods created at 10 s, 10 minutes.
use crate::common;
use common::*;
use ipamsim::model::lease::{Ipv4, Lease};
use ipamsim::model::record::{Fact, MemoryRecorder, WaitCause};
use ipamsim::model::World;
use std::collections::HashSet;

fn prefixes(w: &World<MemoryRecorder>, node: usize) -> u32 {
    w.node(node)
        .ds
        .enis()
        .iter()
        .map(|e| e.prefixes.len() as u32)
        .sum()
}

fn pd(itype: &str, cni: &str, pods: u32) -> (u32, u32, u32, u32) {
    let cni = format!("  ENABLE_PREFIX_DELEGATION: true\n{cni}");
    let (w, _) = run_yaml(&one_node(itype, &cni, pods, "10m"));
    let (enis, ips, assigned) = node_pool(&w, 0);
    (enis, prefixes(&w, 0), ips, assigned)
}

/// WARM_PREFIX_TARGET=1 on m5.large (M_pfx 9, max pods 110): grow while A < 16, one
/// prefix per tick (getPrefixesNeeded = max(1, 1 − F)); settled P = ceil((p + 16) / 16),
/// all on the primary ENI. p = 0 -> 1; 20 -> ceil(36/16) = 3; 40 -> ceil(56/16) = 4.
#[test]
fn warm_prefix_target_1() {
    for (pods, p) in [(0, 1), (20, 3), (40, 4)] {
        assert_eq!(
            pd("m5.large", "  WARM_PREFIX_TARGET: 1", pods),
            (1, p, 16 * p, pods),
            "{pods} pods"
        );
    }
}

/// WARM_PREFIX_TARGET=2: A < 32 is low. 0 pods: 2 prefixes (A = 32). 20 pods: 16P ≥ 52 ->
/// 4. Releases need F > 2: with canonical placement 20 pods fill prefix 1 and 4 of prefix
/// 2, so F = 2: nothing is released.
#[test]
fn warm_prefix_target_2() {
    for (pods, p) in [(0, 2), (20, 4)] {
        assert_eq!(
            pd("m5.large", "  WARM_PREFIX_TARGET: 2", pods).1,
            p,
            "{pods} pods"
        );
    }
}

/// WARM_PREFIX_TARGET=0: low only at A = 0. Init: A = 0 -> 1 prefix (max(1, 0 − 0) = 1).
/// 10 pods: A = 6, not 0: stays at 1. 16 pods: A = 0 -> a second prefix.
#[test]
fn warm_prefix_target_0() {
    assert_eq!(pd("m5.large", "  WARM_PREFIX_TARGET: 0", 10).1, 1);
    assert_eq!(pd("m5.large", "  WARM_PREFIX_TARGET: 0", 16).1, 2);
}

/// WARM_IP_TARGET=5 in PD (warm-IP mode, WARM_PREFIX_TARGET ignored): shortPfx =
/// ceil(max(5 − A, 0) / 16). 0 pods: 1 prefix. 12 pods: 16P − 12 ≥ 5 -> P = 2.
/// Release: needW = ceil((U + 5) / 16) = ceil(17/16) = 2, over = min(F, 2 − 2) = 0.
#[test]
fn warm_ip_target_in_prefix_mode() {
    assert_eq!(
        pd(
            "m5.large",
            "  WARM_IP_TARGET: 5\n  WARM_PREFIX_TARGET: 3",
            0
        )
        .1,
        1
    );
    assert_eq!(
        pd(
            "m5.large",
            "  WARM_IP_TARGET: 5\n  WARM_PREFIX_TARGET: 3",
            12
        )
        .1,
        2
    );
}

/// MINIMUM_IP_TARGET=40 alone in PD: short = max(0, 40 − T) -> T = 48 (3 prefixes), then
/// growth freezes even at A = 0 (as C40 in SIP): 50 pods -> 48 run, 2 wait.
/// With WARM_IP_TARGET=5 too: T ≥ max(50 + 5, 40) -> 4 prefixes (64), all 50 run.
#[test]
fn minimum_ip_target_in_prefix_mode() {
    let (_, p, _, assigned) = pd("m5.large", "  MINIMUM_IP_TARGET: 40", 0);
    assert_eq!((p, assigned), (3, 0));
    let (_, p, _, assigned) = pd("m5.large", "  MINIMUM_IP_TARGET: 40", 50);
    assert_eq!((p, assigned), (3, 48));
    let (_, p, _, assigned) = pd(
        "m5.large",
        "  MINIMUM_IP_TARGET: 40\n  WARM_IP_TARGET: 5",
        50,
    );
    assert_eq!((p, assigned), (4, 50));
}

/// C42: maxPods caps prefix growth: 100 pods need ceil(116/16) = 8 prefixes, but at 7
/// (T = 112 ≥ 110) the pool is never low: all 100 run on 7 prefixes, one ENI.
#[test]
fn max_pods_caps_prefixes() {
    assert_eq!(
        pd("m5.large", "  WARM_PREFIX_TARGET: 1", 100),
        (1, 7, 112, 100)
    );
}

/// A second ENI only when the primary is full: t3.small has M_pfx = 3 (L_ip 4). 40 pods
/// need ceil(56/16) = 4 prefixes: 3 on the primary, then a new ENI sized
/// min(getPrefixesNeeded 1, 3) = 1 (§c.12).
#[test]
fn new_eni_when_primary_is_full() {
    let (w, _) = run_yaml(&one_node(
        "t3.small",
        "  ENABLE_PREFIX_DELEGATION: true",
        40,
        "10m",
    ));
    let per_eni: Vec<usize> = w
        .node(0)
        .ds
        .enis()
        .iter()
        .map(|e| e.prefixes.len())
        .collect();
    assert_eq!(per_eni, vec![3, 1]);
}

/// C19: WARM_PREFIX_TARGET=1, 40 pods (4 prefixes) deleted at 200 s: F = 4 > 1, one
/// decrease releases 4 − 1 = 3 prefixes at once (cooling addresses do not protect them).
#[test]
fn scale_in_releases_surplus_prefixes_at_once() {
    let yaml = one_node("m5.large", "  ENABLE_PREFIX_DELEGATION: true", 40, "10m").replace(
        "    at: 10s\n    replicas: 40\n",
        "    steps:\n      - {at: 10s, replicas: 40}\n      - {at: 200s, replicas: 0}\n",
    );
    let (w, _) = run_yaml(&yaml);
    let releases = events_of(&w, "unassign_prefixes");
    assert_eq!(releases.len(), 1, "{releases:?}");
    assert_eq!(releases[0].fact.count(), Some(3), "{:?}", releases[0]);
    let t = releases[0].secs();
    assert!(t > 200.0 && t < 205.1, "first tick after the delete: {t}");
    assert_eq!(prefixes(&w, 0), 1);
}

/// Pods get addresses from a prefix in ascending order, base address first (C26): with
/// one node the first pod's IP is the first prefix's base.
#[test]
fn pod_addresses_ascend_within_a_prefix() {
    let (w, _) = run_yaml(&one_node(
        "m5.large",
        "  ENABLE_PREFIX_DELEGATION: true",
        3,
        "2m",
    ));
    let base = w.node(0).ds.enis()[0].prefixes[0].base;
    let ips: Vec<u32> = w
        .pods()
        .iter()
        .filter_map(|p| p.ip.and_then(|l| l.ipv4()).map(|a| a.0))
        .collect();
    assert_eq!(ips, vec![base, base + 1, base + 2]);
}

/// Prefix delegation on a Xen type falls back to secondary IPs with a warning; the default
/// max pods is the calculator's secondary-IP value (m4.large: 2 ENIs × 9 + 2 = 20).
#[test]
fn non_nitro_falls_back_to_secondary_ips() {
    let (w, _) = run_yaml(&one_node(
        "m4.large",
        "  ENABLE_PREFIX_DELEGATION: true",
        5,
        "5m",
    ));
    assert_eq!(events_of(&w, "pd_unsupported").len(), 1);
    assert_eq!(prefixes(&w, 0), 0);
    assert_eq!(w.node(0).max_pods, 20);
    // WARM_ENI_TARGET=1 applies again: 5 pods -> 2 ENIs × 9 IPs (m4.large L_ip 10)
    assert_eq!(node_pool(&w, 0), (2, 18, 5));
}

fn run_file(name: &str) -> World<MemoryRecorder> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name);
    let sc = ipamsim::scenario::load(&path).unwrap();
    ipamsim::sim::simulate(sc, MemoryRecorder::default(), &mut |_| true).0
}

/// Acceptance: in the fragmented subnet prefix mode waits with InsufficientCidrBlocks and
/// 120 s back-offs; secondary-IP mode runs every pod; a prefix reservation fixes it.
#[test]
fn fragmented_subnet_blocks_prefixes_not_secondary_ips() {
    let w = run_file("fragmented-subnet-pd.yaml");
    let last = w.totals().last_row;
    assert_eq!((last.pods_waiting_ip, last.ips_total), (60, 0));
    // used: 600 scattered over 1,019 usable addresses: no /28 is free; about 419 are
    // (416 after the three instances' own addresses).
    let last_subnet = w.recorder().subnets.last().unwrap();
    assert_eq!(
        (last_subnet.free_ips, last_subnet.free_prefix_blocks),
        (416, 0)
    );
    let backoffs = events_of(&w, "insufficient_cooldown");
    assert!(backoffs
        .iter()
        .all(|e| e.fact.cause() == Some("InsufficientCidrBlocks")));
    let node1: Vec<f64> = backoffs
        .iter()
        .filter(|e| e.who == "workers-1")
        .map(|e| e.secs())
        .collect();
    assert!(node1.len() >= 4, "{node1:?}");
    for pair in node1.windows(2) {
        assert!(
            pair[1] - pair[0] > 120.0 && pair[1] - pair[0] < 127.0,
            "{node1:?}"
        );
    }
    // every no_ip on workers-1 inside a back-off window [t, t + 120 s] names the cause
    let mut inside = 0;
    for e in events_of(&w, "no_ip")
        .iter()
        .filter(|e| e.who == "workers-1")
    {
        let t = e.secs();
        if node1.iter().any(|&b| t >= b && t <= b + 120.0) {
            assert!(
                matches!(
                    e.fact,
                    Fact::NoIp {
                        cause: WaitCause::NoFreePrefix,
                        ..
                    }
                ),
                "{e:?}"
            );
            // one row stands for a streak of failed CNI ADDs with this cause
            inside += e.fact.count().unwrap_or(1);
        }
    }
    assert!(inside > 100, "{inside}");

    let w = run_file("fragmented-subnet-secondary-ip.yaml");
    assert_eq!(w.totals().last_row.pods_waiting_ip, 0);
    assert_eq!(w.totals().last_row.pods_running, 66);

    let w = run_file("fragmented-subnet-pd-reservation.yaml");
    assert_eq!(w.totals().last_row.pods_running, 66);
    let reserved = |a: u32| (a >> 8) == u32::from_be_bytes([0, 10, 0, 3]);
    for n in w.node_views() {
        for e in n.ds.enis() {
            assert!(
                e.prefixes.iter().all(|p| reserved(p.base)),
                "prefixes come from 10.0.3.0/24"
            );
            assert!(!reserved(e.primary_ip));
        }
    }
}

/// C44: custom networking on m5.large: init creates ENI-2 with 9 IPs in the ENIConfig
/// subnet (the primary never holds pod IPs), the node is Ready with 2 ENIs and 9 pod IPs;
/// the cap is (3 − 1) × 9 = 18 pod IPs, and default max pods (3 − 1) × 9 + 2 = 20.
#[test]
fn custom_networking_uses_the_eniconfig_subnet() {
    let yaml = "duration: 10m
cni:
  AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG: true
ipamd: {placement: canonical}
subnets:
  - {name: nodes, cidr: 10.0.0.0/24, az: a}
  - {name: pods, cidr: 100.64.0.0/16, az: a}
eniconfigs:
  - {az: a, subnet: pods}
nodegroups:
  - {name: ng, instance_type: m5.large, count: 1, subnet: nodes}
workloads:
  - {name: web, at: 60s, replicas: 20}
";
    let (w, _) = run_yaml(yaml);
    let ready = event_times(&w, "node_ready")[0];
    let created = event_times(&w, "create_eni");
    assert!(created[0] < ready, "the first pod ENI is made during init");
    assert_eq!(w.node(0).max_pods, 20);
    assert_eq!(
        w.node(0).ds.enis()[0].ips.len(),
        0,
        "primary ENI holds no pod IPs"
    );
    // 20 pods, 18 pod IPs
    assert_eq!(node_pool(&w, 0), (3, 18, 18));
    assert_eq!(w.totals().last_row.pods_waiting_ip, 2);
    for p in w.pods().iter().filter_map(|p| p.ip) {
        assert_eq!(
            p.ipv4().expect("an IPv4 address").0 >> 16,
            u32::from_be_bytes([0, 0, 100, 64]),
            "pod IP in 100.64.0.0/16"
        );
    }
}

/// Custom networking whose pod subnet has no room: init cannot attach any ENI, aws-node
/// exits and restarts on CrashLoopBackOff (10 s, 20 s, 40 s …); the node never becomes Ready.
#[test]
fn custom_networking_init_failure_restarts_aws_node() {
    let yaml = "duration: 3m
cni:
  AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG: true
subnets:
  - {name: nodes, cidr: 10.0.0.0/24, az: a}
  - {name: pods, cidr: 100.64.0.0/28, az: a, used: 11}
eniconfigs:
  - {az: a, subnet: pods}
nodegroups:
  - {name: ng, instance_type: m5.large, count: 1, subnet: nodes}
";
    let (w, _) = run_yaml(yaml);
    assert!(!w.node(0).ready);
    let restarts = event_times(&w, "aws_node_restart");
    assert!(restarts.len() >= 3, "{restarts:?}");
    // each init takes the same EC2 time c; restart k waits 10 s × 2^k: gaps grow by 10, 20 s
    let gaps: Vec<f64> = restarts.windows(2).map(|p| p[1] - p[0]).collect();
    assert!((gaps[1] - gaps[0] - 10.0).abs() < 0.01, "{gaps:?}");
}

/// Subnet discovery (§e.1): with the node's subnet nearly full, a new ENI goes to another
/// subnet of the same AZ tagged kubernetes.io/role/cni=1; an untagged subnet and a subnet in
/// another AZ are never used.
#[test]
fn subnet_discovery_picks_tagged_subnet_in_the_same_az() {
    let yaml = "duration: 5m
ipamd: {placement: canonical}
subnets:
  - {name: own, cidr: 10.0.0.0/27, az: a}
  - {name: untagged, cidr: 10.0.1.0/24, az: a}
  - {name: tagged, cidr: 10.0.2.0/24, az: a, role_cni: true}
  - {name: other-az, cidr: 10.0.3.0/24, az: b, role_cni: true}
nodegroups:
  - {name: ng, instance_type: m5.large, count: 1, subnet: own}
workloads:
  - {name: web, at: 10s, replicas: 20}
";
    let (w, _) = run_yaml(yaml);
    // own /27: 27 usable; instance 1 + init 9 -> 17 left. Most free first: `tagged` (251)
    // before `own`, so ENI-2 and ENI-3 come from `tagged`.
    let subnets: Vec<u32> = w.node(0).ds.enis().iter().map(|e| e.subnet.0).collect();
    assert_eq!(subnets, vec![0, 2, 2]);
    assert_eq!(w.totals().last_row.pods_running, 20);
}

/// Every address held by a datastore is unique, inside the subnet of its ENI, marked used
/// in that subnet; single addresses never in a prefix reservation; prefixes aligned; each
/// pod IP held by exactly one running pod, on its own node.
fn check_allocation_invariants(w: &World<MemoryRecorder>, label: &str) {
    let mut seen = HashSet::new();
    let mut pod_ips = HashSet::new();
    for (ni, n) in w.node_views().enumerate() {
        for e in n.ds.enis() {
            let subnet = &w.subnets()[e.subnet.index()];
            let mut hold = |a: u32, single: bool| {
                assert!(seen.insert(a), "{label}: {a:#x} held twice");
                assert!(
                    subnet.contains(a) && subnet.is_used(a),
                    "{label}: {a:#x} not from its subnet"
                );
                if single {
                    assert!(
                        !subnet.is_prefix_only(a),
                        "{label}: single IP inside a reservation"
                    );
                }
            };
            hold(e.primary_ip, true);
            for s in &e.ips {
                hold(s.addr, true);
            }
            for p in &e.prefixes {
                assert_eq!(p.base % 16, 0, "{label}: prefix not aligned");
                for s in &p.slots {
                    hold(s.addr, false);
                }
            }
            for s in e.slots() {
                if let Some(pod) = s.pod() {
                    let p = &w.pods()[pod.index()];
                    assert_eq!(
                        p.ip,
                        Some(Lease::v4(Some(e.id), Ipv4(s.addr))),
                        "{label}: slot and pod disagree"
                    );
                    assert_eq!(p.node, Some(ipamsim::model::ids::NodeId(ni as u32)));
                    assert!(pod_ips.insert(s.addr));
                }
            }
        }
    }
    for p in w.pods() {
        if let Some(a) = p.ip.and_then(|l| l.ipv4()).map(|a| a.0) {
            assert!(
                pod_ips.contains(&a),
                "{label}: pod IP not held by a datastore slot"
            );
        }
    }
}

/// Randomized scenarios (PD and SIP, fragmented subnets, reservations, churn), each checked
/// at several points in time (same seed, shorter durations: the same run's prefix).
#[test]
fn allocation_invariants_hold_in_random_scenarios() {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2024);
    let types = ["t3.small", "m5.large", "m5.xlarge", "c5.large", "m4.large"];
    for case in 0..16 {
        let itype = types[rng.gen_range(0..types.len())];
        let pd = rng.gen_bool(0.6);
        let used = rng.gen_range(0..400);
        // low in the subnet, where lowest-first single addresses would otherwise go
        let reservation = match rng.gen_range(0..3) {
            0 => "\n    reservations: [10.0.0.64/26]",
            1 => "\n    reservations: [10.0.0.0/23]",
            _ => "",
        };
        let warm = match rng.gen_range(0..4) {
            0 => "  WARM_IP_TARGET: 3".to_string(),
            1 => "  WARM_PREFIX_TARGET: 2\n  WARM_ENI_TARGET: 2".to_string(),
            2 => "  MINIMUM_IP_TARGET: 20\n  WARM_IP_TARGET: 1".to_string(),
            _ => "  WARM_ENI_TARGET: 1".to_string(),
        };
        let mut steps = String::new();
        let mut t = 5;
        for _ in 0..8 {
            steps += &format!("      - {{at: {t}s, replicas: {}}}\n", rng.gen_range(0..60));
            t += rng.gen_range(20..90);
        }
        let seed = rng.gen_range(1..1000);
        for dur in [60, 180, 420] {
            let yaml = format!(
                "duration: {dur}s\nseed: {seed}\ncni:\n  ENABLE_PREFIX_DELEGATION: {pd}\n  IP_COOLDOWN_PERIOD: 10\n{warm}
subnets:
  - name: a
    cidr: 10.0.0.0/22
    used: {used}{reservation}
nodegroups:
  - {{name: ng, instance_type: {itype}, count: 3, subnet: a}}
workloads:
  - name: web
    steps:
{steps}"
            );
            let (w, _) = run_yaml(&yaml);
            check_allocation_invariants(&w, &format!("case {case} ({itype}, pd {pd}) at {dur}s"));
        }
    }
}
