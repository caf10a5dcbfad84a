//! waits.csv: every pod's wait cut into intervals by cause, exactly.
use crate::common;

use common::run_yaml;
use ipamsim::engine::RunStats;
use ipamsim::model::record::{MemoryRecorder, OwnedPod, OwnedWait, WaitCause};
use ipamsim::model::World;
use ipamsim::scenario;
use ipamsim::sim::simulate;
use ipamsim::time::SimTime;
use std::collections::HashMap;
use std::path::Path;

fn run_shipped(name: &str) -> (World<MemoryRecorder>, RunStats) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("scenarios/{name}.yaml"));
    let sc = scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
    simulate(sc, MemoryRecorder::default(), &mut |_| true)
}

/// When a pod's wait ends: its IP (binding, on host network), else its deletion, else the
/// end of the run.
fn wait_end(p: &OwnedPod, run_end: SimTime) -> SimTime {
    let ran = if p.host_network {
        p.scheduled
    } else {
        p.ip_assigned
    };
    ran.or(p.deleted).unwrap_or(run_end)
}

/// Each pod's intervals, by pod name, in recorded order.
fn by_pod(world: &World<MemoryRecorder>) -> HashMap<&str, Vec<&OwnedWait>> {
    let mut m: HashMap<&str, Vec<&OwnedWait>> = HashMap::new();
    for w in &world.recorder().waits {
        m.entry(w.pod.as_str()).or_default().push(w);
    }
    m
}

/// Seconds of each cause over all pods.
fn seconds_by_cause(world: &World<MemoryRecorder>) -> HashMap<WaitCause, f64> {
    let mut m = HashMap::new();
    for w in &world.recorder().waits {
        *m.entry(w.cause).or_insert(0.0) += (w.end.micros() - w.start.micros()) as f64 / 1e6;
    }
    m
}

/// The intervals of every pod are contiguous and cover [created, end of wait) to the
/// microsecond; unschedulable intervals name no node, the others the pod's node.
fn assert_partition(world: &World<MemoryRecorder>, label: &str) {
    let end = SimTime(world.scenario().duration.micros());
    let waits = by_pod(world);
    let mut covered = 0;
    for p in &world.recorder().pods {
        let stop = wait_end(p, end);
        let Some(ws) = waits.get(p.name.as_str()) else {
            assert_eq!(
                p.created, stop,
                "{label}: {} waited with no interval",
                p.name
            );
            continue;
        };
        covered += 1;
        assert_eq!(ws[0].start, p.created, "{label}: {} starts late", p.name);
        for pair in ws.windows(2) {
            assert_eq!(pair[0].end, pair[1].start, "{label}: {} has a gap", p.name);
        }
        assert_eq!(ws[ws.len() - 1].end, stop, "{label}: {} ends wrong", p.name);
        for w in ws {
            assert!(w.end > w.start, "{label}: empty interval {w:?}");
            if w.cause == WaitCause::Unschedulable {
                assert_eq!(w.node, None, "{label}: {w:?}");
            } else {
                assert_eq!(w.node, p.node, "{label}: {w:?}");
            }
        }
    }
    assert_eq!(covered, waits.len(), "{label}: intervals of unknown pods");
}

#[test]
fn intervals_partition_every_wait_on_the_shipped_scenarios() {
    for name in [
        "three-t3-medium",
        "churn",
        "burst-200-nodes",
        "fragmented-subnet-pd",
        "autoscaling",
        "custom-networking",
        "trace-replay",
    ] {
        let (world, _) = run_shipped(name);
        assert_partition(&world, name);
    }
}

/// The kubelet retries a failed CNI ADD after 10 s × (1 + U(0, 0.5)) ≤ 15 s, and an address
/// that is free and not cooling is handed out at the first retry. So a `kubelet_retry`
/// interval — a free address, no retry yet — never lasts longer than 15 s; one that did
/// would mean a CNI ADD failed while the cause said an address was free.
#[test]
fn kubelet_retry_never_outlasts_one_retry_period() {
    for name in ["three-t3-medium", "churn", "burst-200-nodes", "scale-out"] {
        let (world, _) = run_shipped(name);
        let k = &world.scenario().kubelet;
        let limit = k.retry_interval.micros() as f64 * (1.0 + k.retry_jitter);
        for w in world
            .recorder()
            .waits
            .iter()
            .filter(|w| w.cause == WaitCause::KubeletRetry)
        {
            let d = (w.end.micros() - w.start.micros()) as f64;
            assert!(d <= limit, "{name}: {w:?} lasts {d} µs > {limit}");
        }
    }
}

/// three-t3-medium: 50 nginx pods at 60 s on 3 nodes whose warm ENI (5 IPs each) already
/// went to the first pods. A pod bound at 60 s with no free IP waits for the node's next
/// pool-manager tick (`pool_tick`), then for the new ENI from its `create_eni` to its
/// `eni_ready` (`pool_growing`), then for its kubelet's retry (`kubelet_retry`); the 7 the
/// nodes cannot hold (52 pods, 45 slots) are `unschedulable` to the end.
#[test]
fn three_t3_medium_waits_name_the_tick_the_eni_and_the_retry() {
    let (world, _) = run_shipped("three-t3-medium");
    let waits = by_pod(&world);
    let events = &world.recorder().events;
    let at = |node: &str, kind: &str| -> Vec<SimTime> {
        events
            .iter()
            .filter(|e| e.who == node && e.kind() == kind)
            .map(|e| e.time)
            .collect()
    };
    let mut checked = 0;
    let mut unschedulable_to_end = 0;
    for p in world
        .recorder()
        .pods
        .iter()
        .filter(|p| p.workload == "nginx")
    {
        let Some(ws) = waits.get(p.name.as_str()) else {
            continue; // got an IP at once
        };
        let causes: Vec<_> = ws.iter().map(|w| w.cause).collect();
        if p.node.is_none() {
            assert_eq!(causes, [WaitCause::Unschedulable], "{}", p.name);
            assert_eq!(ws[0].end, SimTime(world.scenario().duration.micros()));
            unschedulable_to_end += 1;
            continue;
        }
        if causes
            != [
                WaitCause::PoolTick,
                WaitCause::PoolGrowing,
                WaitCause::KubeletRetry,
            ]
        {
            continue;
        }
        let node = p.node.as_deref().unwrap_or_default();
        assert_eq!(ws[0].start, SimTime(60_000_000), "{}", p.name);
        assert!(at(node, "create_eni").contains(&ws[1].start), "{:?}", ws[1]);
        assert!(at(node, "eni_ready").contains(&ws[2].start), "{:?}", ws[2]);
        assert_eq!(Some(ws[2].end), p.ip_assigned);
        checked += 1;
    }
    assert_eq!(unschedulable_to_end, 7);
    assert!(checked >= 10, "only {checked} pods had the three-step wait");
}

/// The /22 keeps about 419 free addresses but no free aligned /28: pods wait for a free
/// prefix, never because the subnet is full.
#[test]
fn fragmented_subnet_pd_waits_mostly_for_a_free_prefix() {
    let (world, _) = run_shipped("fragmented-subnet-pd");
    let by = seconds_by_cause(&world);
    let total: f64 = by.values().sum();
    let prefix = by.get(&WaitCause::NoFreePrefix).copied().unwrap_or(0.0);
    assert!(
        prefix > 0.5 * total,
        "no_free_prefix {prefix} of {total}: {by:?}"
    );
    assert_eq!(by.get(&WaitCause::SubnetFull), None, "{by:?}");
}

/// A /28 has 16 addresses, 5 reserved by AWS: 11 usable; `used: 10` and the node's
/// primary address take all 11. Prefix delegation's first /28 fails with
/// InsufficientCidrBlocks in a subnet with no free address: the 3 pods wait `subnet_full`
/// during each 120 s back-off (`pool_growing` while ipamd tries again), never
/// `no_free_prefix`; their `no_ip` rows say the same.
#[test]
fn a_full_subnet_under_prefix_delegation_is_subnet_full() {
    let yaml = "duration: 5m
cni: {ENABLE_PREFIX_DELEGATION: true}
subnets: [{name: tiny, cidr: 10.0.0.0/28, used: 10}]
nodegroups: [{name: ng, instance_type: m5.large, count: 1, subnet: tiny}]
workloads: [{name: web, at: 30s, replicas: 3}]
";
    let (world, _) = run_yaml(yaml);
    assert_eq!(world.totals().last_row.subnet_free_ips, 0);
    let by = seconds_by_cause(&world);
    assert_eq!(by.get(&WaitCause::NoFreePrefix), None, "{by:?}");
    let full = by.get(&WaitCause::SubnetFull).copied().unwrap_or(0.0);
    assert!(full > 0.0, "{by:?}");
    let causes: Vec<WaitCause> = world
        .recorder()
        .events
        .iter()
        .filter_map(|e| match e.fact {
            ipamsim::model::record::Fact::NoIp { cause, .. } => Some(cause),
            _ => None,
        })
        .collect();
    assert!(causes.contains(&WaitCause::SubnetFull), "{causes:?}");
    assert!(!causes.contains(&WaitCause::NoFreePrefix), "{causes:?}");
}

#[test]
fn burst_200_nodes_waits_on_throttled_calls() {
    let (world, _) = run_shipped("burst-200-nodes");
    let by = seconds_by_cause(&world);
    assert!(
        by.get(&WaitCause::Ec2Throttled).copied().unwrap_or(0.0) > 0.0,
        "{by:?}"
    );
}

/// Spec C40: m5.large, MINIMUM_IP_TARGET = 10, WARM_IP_TARGET unset: the pool stops at 10
/// IPs. 30 pods created at 10 s: kubelet max pods 29 binds 29 (no DaemonSet), 10 get IPs,
/// 19 wait to the end of the run (5 min) with the pool frozen from the start — exactly
/// 19 × (300 − 10) = 5,510 pod-seconds of `pool_frozen` — and 1 is unschedulable for
/// 290 s.
#[test]
fn minimum_ip_target_alone_waits_as_pool_frozen() {
    let yaml = common::one_node("m5.large", "  MINIMUM_IP_TARGET: 10", 30, "5m");
    let (world, _) = run_yaml(&yaml);
    let by = seconds_by_cause(&world);
    let get = |c| by.get(&c).copied().unwrap_or(0.0);
    assert!((get(WaitCause::PoolFrozen) - 5510.0).abs() < 1e-6, "{by:?}");
    assert!(
        (get(WaitCause::Unschedulable) - 290.0).abs() < 1e-6,
        "{by:?}"
    );
    assert_eq!(by.len(), 2, "{by:?}");
    let no_ip = world
        .recorder()
        .pods
        .iter()
        .filter(|p| p.ip_assigned.is_none())
        .count();
    assert_eq!(no_ip, 20);
}

/// An aws-node restart: ipamd re-runs nodeInit and answers no CNI ADD meanwhile, so a pod
/// created during the restart waits as `ipamd_unavailable` first.
#[test]
fn a_restart_shows_as_ipamd_unavailable() {
    let yaml = common::RESTART_AT_60S;
    let (world, _) = run_yaml(yaml);
    assert_partition(&world, "restart");
    let by = seconds_by_cause(&world);
    assert!(
        by.get(&WaitCause::IpamdUnavailable).copied().unwrap_or(0.0) > 0.0,
        "{by:?}"
    );
    for w in &world.recorder().waits {
        assert!(w.start >= SimTime(60_000_000), "{w:?}");
    }
}

/// The totals by cause are the sums of the intervals.
#[test]
fn totals_by_cause_sum_the_intervals() {
    let (world, _) = run_shipped("scale-out");
    let by = seconds_by_cause(&world);
    let totals = &world.kube().totals.waits;
    for c in WaitCause::ALL {
        let want = by.get(&c).copied().unwrap_or(0.0);
        assert!((totals.seconds(c) - want).abs() < 1e-6, "{c:?}");
    }
}
