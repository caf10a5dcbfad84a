//! Calico block IPAM (`ipam.plugin: calico`): blocks claimed lazily per node, borrowing
//! from other nodes' blocks unless strict affinity, no VPC address beyond the nodes'
//! primaries, and the scenario checks. Each number is derived in the comment above it.
use crate::common;

use common::{fresh_dir, ipamsim, run_yaml};
use ipamsim::model::record::{PodAddr, PodState, WaitCause};
use ipamsim::scenario;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// One m5.large in a /24, 70 pods at t = 0, pool 172.16.0.0/16 with /26 blocks.
fn one_node(extra: &str) -> String {
    format!(
        "duration: 2m
ipam:
  plugin: calico
  pool: 172.16.0.0/16
{extra}subnets:
  - name: private-a
    cidr: 10.0.1.0/24
nodegroups:
  - name: ng
    instance_type: m5.large
    count: 1
    subnet: private-a
workloads:
  - name: web
    replicas: 70
"
    )
}

/// Pool 172.16.0.0/25 (two /26 blocks); node a-1 (m5.large, max pods 110 with Calico) and
/// node b-1 (max_pods 10); 80 pods at t = 0; no DaemonSet, so every bound pod is a
/// workload pod.
fn two_nodes(strict: bool) -> String {
    format!(
        "duration: 3m
ipam:
  plugin: calico
  pool: 172.16.0.0/25
  strict_affinity: {strict}
subnets:
  - name: private-a
    cidr: 10.0.1.0/24
nodegroups:
  - name: a
    instance_type: m5.large
    count: 1
    subnet: private-a
  - name: b
    instance_type: m5.large
    count: 1
    subnet: private-a
    max_pods: 10
workloads:
  - name: web
    replicas: 80
"
    )
}

fn v4(p: &ipamsim::model::record::OwnedPod) -> Option<u32> {
    match p.ip {
        Some(PodAddr::V4(a)) => Some(a),
        _ => None,
    }
}

fn ip(text: &str) -> u32 {
    u32::from(text.parse::<std::net::Ipv4Addr>().unwrap())
}

/// 70 pods on one node with /26 blocks: the first pod claims a block (64 addresses), the
/// 65th finds it full and claims a second, so the 70 addresses lie in exactly two /26
/// blocks of 172.16.0.0/16, 64 + 6. The VPC /24 has 256 − 5 reserved = 251 usable
/// addresses; the node's primary takes one and nothing else does: 250 left, at every
/// sample. Max pods is the kubelet's 110 (not m5.large's ENI-based 29), so all 70 run.
#[test]
fn seventy_pods_on_one_node_fill_two_blocks_and_no_vpc_address() {
    let (w, _) = run_yaml(&one_node(""));
    let pool = ip("172.16.0.0");
    let mut blocks: BTreeMap<u32, u32> = BTreeMap::new();
    for p in w.recorder().pods.iter().filter(|p| !p.host_network) {
        let a = v4(p).unwrap_or_else(|| panic!("{} has no address", p.name));
        assert_eq!(a >> 16, pool >> 16, "{} outside the pool", p.name);
        *blocks.entry(a >> 6).or_default() += 1;
    }
    let counts: BTreeSet<u32> = blocks.values().copied().collect();
    assert_eq!(blocks.len(), 2, "{blocks:?}");
    assert_eq!(counts, BTreeSet::from([6, 64]));
    assert_eq!(w.node(0).max_pods, 110);
    for row in &w.recorder().timeline {
        assert_eq!(row.subnet_free_ips, 250, "at {:?}", row.time);
    }
    assert_eq!(w.recorder().of_kind("block_claimed").count(), 2);
    let c = w.calico().unwrap();
    assert_eq!((c.totals.blocks_claimed, c.totals.borrowed), (2, 0));
}

/// Addresses inside a block in Calico's order: the first block's 64 pods get its
/// ordinals 0..63 in the order their assignments ran (one at a time per node), the block's
/// base address first.
#[test]
fn a_blocks_addresses_are_handed_out_from_ordinal_zero_in_order() {
    let (w, _) = run_yaml(&one_node(""));
    let mut by_time: Vec<(ipamsim::time::SimTime, u32)> = w
        .recorder()
        .pods
        .iter()
        .filter_map(|p| Some((p.ip_assigned?, v4(p)?)))
        .collect();
    by_time.sort_unstable();
    let first = by_time[0].1;
    assert_eq!(first & 63, 0, "the block's base comes first");
    for (k, &(_, a)) in by_time.iter().take(64).enumerate() {
        assert_eq!(a, first + k as u32);
    }
}

/// Every pod waits from creation to its address: bound at t = 0 on a Ready node, its
/// wait is `ipam_assigning` only (its ADD queued behind the node's IPAM lock, then its own
/// assignment), and the intervals add up to its time to IP. The 70 assignments run one at
/// a time, each 50–200 ms: the last pod's IP comes between 70 × 50 ms = 3.5 s and
/// 70 × 200 ms = 14 s.
#[test]
fn waits_are_the_ipam_lock_and_cover_each_pods_wait() {
    let (w, _) = run_yaml(&one_node(""));
    let mut sum: BTreeMap<&str, f64> = BTreeMap::new();
    for x in &w.recorder().waits {
        assert_eq!(x.cause, WaitCause::IpamAssigning, "{x:?}");
        *sum.entry(x.pod.as_str()).or_default() += x.end.since(x.start).as_secs_f64();
    }
    let mut last = 0.0f64;
    for p in w.recorder().pods.iter().filter(|p| !p.host_network) {
        let t = p.ip_assigned.unwrap().since(p.created).as_secs_f64();
        assert!((sum[p.name.as_str()] - t).abs() < 1e-6, "{}", p.name);
        last = last.max(t);
    }
    assert!((3.5..=14.0).contains(&last), "{last}");
}

/// Borrowing. The scheduler (least-allocated) alternates a-1 and b-1 until b-1 has its 10
/// pods, then binds the other 60 to a-1: b-1 has 10, a-1 has 70. The first assignment on
/// each node claims one of the pool's two blocks. a-1's block holds 64, so a-1's last 6
/// assignments find no free address in it and no free block in the pool: without strict
/// affinity they borrow from b-1's block (64 − 10 = 54 free): all 80 get addresses, 6 of
/// them borrowed, and b-1's block ends with 10 + 6 = 16 in use.
#[test]
fn with_no_free_block_a_node_borrows_from_another_nodes_block() {
    let (w, _) = run_yaml(&two_nodes(false));
    let running = w
        .recorder()
        .pods
        .iter()
        .filter(|p| p.state == PodState::Running)
        .count();
    assert_eq!(running, 80);
    let c = w.calico().unwrap();
    assert_eq!(c.totals.borrowed, 6);
    assert_eq!(c.totals.blocks_claimed, 2);
    let end = w.recorder().blocks.iter().rev().take(2).collect::<Vec<_>>();
    let by_node: BTreeMap<_, _> = end
        .iter()
        .map(|b| (b.node.clone().unwrap(), b.in_use))
        .collect();
    assert_eq!(by_node["a-1"], 64);
    assert_eq!(by_node["b-1"], 16);
}

/// Strict affinity: the same scenario without borrowing. a-1 gets its block's 64, b-1 its
/// 10: 74 run, and a-1's other 6 wait to the end (ContainerCreating: every kubelet retry
/// fails with "No more free affine blocks and strict affinity enabled"). From the moment
/// a-1's block is full (its 64th assignment) their wait is `strict_affinity` to the end,
/// retries included: no assignment on a-1 can succeed.
#[test]
fn strict_affinity_leaves_the_overflow_waiting() {
    let (w, _) = run_yaml(&two_nodes(true));
    let states: Vec<PodState> = w.recorder().pods.iter().map(|p| p.state).collect();
    assert_eq!(
        states.iter().filter(|&&s| s == PodState::Running).count(),
        74
    );
    assert_eq!(
        states.iter().filter(|&&s| s == PodState::WaitingIp).count(),
        6
    );
    let c = w.calico().unwrap();
    assert_eq!(c.totals.borrowed, 0);
    for x in w
        .recorder()
        .waits
        .iter()
        .filter(|x| x.end == w.totals().last_row.time)
    {
        assert_eq!(x.cause, WaitCause::StrictAffinity, "{x:?}");
    }
    let strict: Vec<_> = w
        .recorder()
        .waits
        .iter()
        .filter(|x| x.cause == WaitCause::StrictAffinity)
        .collect();
    assert_eq!(strict.len(), 6, "one interval each, to the end: {strict:?}");
    let no_ip = w.recorder().of_kind("no_ip").next().unwrap();
    assert_eq!(no_ip.fact.cause(), Some("strict_affinity"));
}

/// Deleting pods gives their addresses back to the end of the block's list
/// (ipam_block.go: release appends). 10 pods at 0 s take ordinals 0–9 of the node's block;
/// the scale-in to 5 at 1 min frees 5 of them, which go behind the never-used 10–63; the 5
/// pods of the scale-out at 2 min get ordinals 10–14, not the freed ones (which 5 were
/// deleted does not matter). The pool rules' own cases are in `src/model/calico/pool.rs`.
#[test]
fn freed_addresses_are_reused_after_the_never_used_ones() {
    let yaml = "duration: 3m
ipam: {plugin: calico, pool: 172.16.0.0/16}
subnets: [{name: a, cidr: 10.0.1.0/24}]
nodegroups: [{name: ng, instance_type: m5.large, count: 1, subnet: a}]
workloads:
  - name: web
    steps: [{at: 0s, replicas: 10}, {at: 1m, replicas: 5}, {at: 2m, replicas: 10}]
";
    let (w, _) = run_yaml(yaml);
    let mut late: Vec<u32> = w
        .recorder()
        .pods
        .iter()
        .filter(|p| p.created.as_secs_f64() >= 120.0)
        .filter_map(v4)
        .map(|a| a & 63)
        .collect();
    late.sort_unstable();
    assert_eq!(late, vec![10, 11, 12, 13, 14]);
}

/// Problems are located: a block size out of 20–32, a pool overlapping the VPC subnet, a
/// block larger than the pool, an unknown plugin.
#[test]
fn bad_ipam_settings_are_located_errors() {
    let base = "duration: 1m
subnets: [{name: a, cidr: 10.0.1.0/24}]
nodegroups: [{name: ng, instance_type: m5.large, count: 1, subnet: a}]
";
    let cases = [
        (
            "ipam: {plugin: calico, block_size: 33}",
            "ipam.block_size",
            "20 to 32",
        ),
        (
            "ipam: {plugin: calico, pool: 10.0.0.0/16}",
            "ipam.pool",
            "overlaps subnet",
        ),
        (
            "ipam: {plugin: calico, pool: 172.16.0.0/27, block_size: 26}",
            "ipam.block_size",
            "larger than the pool",
        ),
        ("ipam: {plugin: flannel}", "ipam.plugin", "vpc-cni, calico"),
    ];
    for (ipam, path, words) in cases {
        let text = format!("{base}{ipam}\n");
        let e = scenario::parse(&text, "t.yaml").unwrap_err();
        let d = e
            .problems
            .iter()
            .find(|d| d.path == path)
            .unwrap_or_else(|| panic!("{ipam}: {e}"));
        assert!(d.message.contains(words), "{ipam}: {}", d.message);
        assert_eq!(
            d.location.map(|l| l.0),
            Some(4),
            "{ipam}: located on its line"
        );
    }
    // the default pool 192.168.0.0/16 overlaps a 192.168.x subnet
    let text = "duration: 1m
ipam: {plugin: calico}
subnets: [{name: a, cidr: 192.168.1.0/24}]
nodegroups: [{name: ng, instance_type: m5.large, count: 1, subnet: a}]
";
    let e = scenario::parse(text, "t.yaml").unwrap_err();
    assert!(e.to_string().contains("192.168.0.0/16 overlaps"), "{e}");
}

/// `compare --set ipam.plugin=vpc-cni,calico` on the one-node scenario: one table with
/// both. The VPC CNI binds only m5.large's 29 pods (ENI-based max pods) and takes VPC
/// addresses for them: 1 primary + 2 more ENIs' primaries + 27 secondary IPs = 30 at the
/// peak; Calico takes the node's primary only: 1. Both rows have a time to IP.
#[test]
fn compare_sweeps_the_plugin_and_shows_vpc_addresses_and_time_to_ip() {
    let dir = fresh_dir("calico", "compare");
    let file = dir.join("one.yaml");
    std::fs::write(&file, one_node("")).unwrap();
    let o = ipamsim(&[
        "compare",
        file.to_str().unwrap(),
        "--set",
        "ipam.plugin=vpc-cni,calico",
        "--out",
        dir.join("out").to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("VPC IPs"), "{stdout}");
    let csv = std::fs::read_to_string(dir.join("out/comparison.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |n: &str| header.iter().position(|h| *h == n).unwrap();
    let rows: BTreeMap<String, Vec<String>> = lines
        .map(|l| {
            let v: Vec<String> = l.split(',').map(str::to_string).collect();
            (v[1].clone(), v)
        })
        .collect();
    assert_eq!(rows["vpc-cni"][col("vpc_ips_used_peak")], "30");
    assert_eq!(rows["calico"][col("vpc_ips_used_peak")], "1");
    assert_eq!(rows["calico"][col("min_subnet_free_ips")], "250");
    for plugin in ["vpc-cni", "calico"] {
        let p50: f64 = rows[plugin][col("time_to_ip_p50_s")].parse().unwrap();
        assert!(p50 > 0.0, "{plugin}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// `run` writes blocks.csv with its columns, the same bytes for the same seed; a VPC CNI
/// run writes none.
#[test]
fn blocks_csv_is_written_for_calico_and_deterministic() {
    let dir = fresh_dir("calico", "blocks");
    let file = dir.join("one.yaml");
    std::fs::write(&file, one_node("")).unwrap();
    let run = |name: &str| {
        let out = dir.join(name);
        let o = ipamsim(&[
            "run",
            file.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--quiet",
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        std::fs::read_to_string(out.join("blocks.csv")).unwrap()
    };
    let a = run("a");
    assert_eq!(a, run("b"));
    assert_eq!(a.lines().next(), Some("time_s,block,node,in_use,free"));
    // no block at the t = 0 sample (the first assignment ends 50–200 ms later); one
    // from 1 s on
    assert!(a.lines().nth(1).unwrap().starts_with("1.000,"), "{a}");
    let vpc = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/three-t3-medium.yaml");
    let out = dir.join("vpc");
    let o = ipamsim(&[
        "run",
        vpc.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(o.status.success());
    assert!(!out.join("blocks.csv").exists());
    let _ = std::fs::remove_dir_all(dir);
}

/// `compare --set ipam.strict_affinity=false,true` on the two-block pool: one run per
/// setting, the same numbers as the runs above: no pod without an IP when borrowing is
/// allowed, 6 with strict affinity (a-1's 70 − its block's 64).
#[test]
fn compare_sweeps_strict_affinity() {
    let dir = fresh_dir("calico", "strict");
    let file = dir.join("two.yaml");
    std::fs::write(&file, two_nodes(false)).unwrap();
    let o = ipamsim(&[
        "compare",
        file.to_str().unwrap(),
        "--set",
        "ipam.strict_affinity=false,true",
        "--out",
        dir.join("out").to_str().unwrap(),
        "-q",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = std::fs::read_to_string(dir.join("out/comparison.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let never = header.iter().position(|h| *h == "pods_never_ip").unwrap();
    let got: BTreeMap<String, String> = lines
        .map(|l| {
            let v: Vec<&str> = l.split(',').collect();
            (v[1].to_string(), v[never].to_string())
        })
        .collect();
    assert_eq!(got["false"], "0");
    assert_eq!(got["true"], "6");
    let _ = std::fs::remove_dir_all(dir);
}

/// Calico keys given with the VPC CNI do nothing: a warning names each, and the run is the
/// VPC CNI's (max pods from the ENI table: m5.large 29).
#[test]
fn calico_keys_with_the_vpc_cni_are_warned_about() {
    let text = "duration: 1m
ipam: {block_size: 24, strict_affinity: true}
subnets: [{name: a, cidr: 10.0.1.0/24}]
nodegroups: [{name: ng, instance_type: m5.large, count: 1, subnet: a}]
";
    let sc = scenario::parse(text, "t.yaml").unwrap();
    let paths: Vec<&str> = sc.warnings.iter().map(|w| w.path.as_str()).collect();
    assert_eq!(paths, ["ipam.block_size", "ipam.strict_affinity"]);
    assert!(!sc.ipam.calico());
    assert_eq!(sc.nodegroups[0].max_pods, 29);
}
