//! `capacity --scenario`: one node's pool idle and full, and subnet headroom, with every
//! expected number derived by hand from the README's "Model and assumptions" rules.
//!
//! Shared facts: m5.large has 3 ENIs × 10 IPv4 (9 secondary IPs or 9 prefixes per ENI),
//! default max pods 3 × 9 + 2 = 29; t3.medium 3 ENIs × 6 IPv4, max pods 3 × 5 + 2 = 17. Two
//! host-network DaemonSets take 2 max-pods slots and no IP. A /24 has 256 − 5 AWS-reserved =
//! 251 free addresses.

use ipamsim::capacity::scenario::write_json;
use ipamsim::capacity::scenario::{
    scenario_capacity, write_csv, write_table, Limit, Mode, NodeGroupCapacity, NodeState,
    SubnetHeadroom, CSV_HEADER,
};
use ipamsim::scenario;
use serde_json::Value;
use std::time::{Duration, Instant};

use crate::common;

const DAEMONSETS: &str = "daemonsets:
  - name: aws-node
    host_network: true
  - name: kube-proxy
    host_network: true
";

/// The capacity of `yaml`, parsed with the work budget lifted (`allow_large`): some tests
/// check that absurd sizes are answered without absurd work.
fn capacity(yaml: &str) -> Vec<NodeGroupCapacity> {
    let opts = scenario::LoadOptions { allow_large: true };
    let sc = scenario::parse_with(yaml, "test.yaml", std::path::Path::new(""), &opts)
        .unwrap_or_else(|e| panic!("invalid test scenario:\n{e}"));
    scenario_capacity(&sc)
}

/// One m5.large nodegroup of `count` nodes in a subnet `a` of `cidr`, with the `cni:` lines.
/// EC2 hands out the lowest free address, so the derivations below can name addresses.
fn m5_large(cni: &str, cidr: &str, count: u32) -> String {
    format!(
        "duration: 1m
cni:
{cni}
ec2:
  address_choice: lowest
subnets:
  - name: a
    cidr: {cidr}
nodegroups:
  - name: ng
    instance_type: m5.large
    count: {count}
    subnet: a
{DAEMONSETS}"
    )
}

/// (ENIs, IPs held, prefixes, pods with an IP, pods without).
fn pool(n: &NodeState) -> (u32, u32, u32, u32, u32) {
    (n.enis, n.ips, n.prefixes, n.pods_with_ip, n.pods_without_ip)
}

fn only_subnet(g: &NodeGroupCapacity) -> &SubnetHeadroom {
    assert_eq!(g.subnets.len(), 1, "{:?}", g.subnets);
    &g.subnets[0]
}

#[test]
fn m5_large_default_warm_eni_target() {
    // At 0 workload pods: init fills the primary ENI with M_ip = 9 IPs; A = 9 is not < 9 × 1,
    // so 1 ENI / 9 IPs. At max pods: 29 − 2 = 27 workload pods; the pool grows by whole ENIs
    // while A < 9 and T < 29; 3 ENIs × 9 = 27 is the most it can hold (T = 27 < 29 but no ENI
    // left), so 3 ENIs / 27 IPs, all 27 pods get one, 0 idle.
    // Subnet: 3 ENI primary IPs (the instance's is the primary ENI's) + 27 = 30 per node;
    // 2 nodes at start take 60; floor((251 − 60) / 30) = 6 more nodes (11 addresses left).
    let g = capacity(&m5_large("  WARM_ENI_TARGET: 1", "10.0.0.0/24", 2));
    assert_eq!(g.len(), 1);
    let g = &g[0];
    assert_eq!(g.mode, Mode::SecondaryIps);
    assert_eq!((g.max_pods, g.daemonset_pods, g.workload_pods), (29, 2, 27));
    assert!(g.settled());
    assert_eq!(pool(&g.at_zero_pods), (1, 9, 0, 0, 0));
    assert_eq!(pool(&g.at_max_pods), (3, 27, 0, 27, 0));
    assert_eq!(g.at_max_pods.idle_ips(), 0);
    let s = only_subnet(g);
    assert!(s.instance && s.pod_enis);
    assert_eq!(
        (s.free_ips, s.ips_per_node, s.nodes_demand_ips),
        (251, 30, 60)
    );
    assert_eq!(s.more_nodes_by_ips, Some(6));
    assert_eq!(s.more_nodes_by_blocks, None); // not prefix mode
    assert_eq!((s.more_nodes, s.limit), (Some(6), Limit::Addresses));
    assert!(s.existing_fit && !s.short_for_one_node);
}

#[test]
fn m5_large_warm_ip_target_2() {
    // Warm-IP mode, W_ip = 2. At 0 pods: short = max(2 − 0, 0 − 0, 0) = 2, the primary ENI
    // gets min(room 9, 2) = 2 IPs; then A = 2, short 0, over = min(2 − 2, 2 − 0) = 0: 1 ENI,
    // 2 IPs. At 27 pods: the pool would want T = 27 + 2 = 29 (and stops only at T ≥ 29), but
    // 3 ENIs × 9 = 27 is the most it can hold: 3 ENIs, 27 IPs, all 27 pods get one, A = 0,
    // over = max(min(0 − 2, 27), 0) = 0 (nothing to release), no ENI is free of pods.
    // Subnet use is the same as with WARM_ENI_TARGET: 30 per node, 6 more nodes.
    let g = capacity(&m5_large("  WARM_IP_TARGET: 2", "10.0.0.0/24", 2));
    let g = &g[0];
    assert!(g.settled());
    assert_eq!(pool(&g.at_zero_pods), (1, 2, 0, 0, 0));
    assert_eq!(pool(&g.at_max_pods), (3, 27, 0, 27, 0));
    let s = only_subnet(g);
    assert_eq!(
        (s.ips_per_node, s.more_nodes, s.limit),
        (30, Some(6), Limit::Addresses)
    );
}

#[test]
fn prefix_delegation_m5_large() {
    // Prefix mode (m5.large is Nitro), max pods by the calculator: 3 × 9 × 16 + 2 = 434,
    // capped at 110 (2 vCPUs); WARM_PREFIX_TARGET = 1 (default).
    // At 0 pods: too low while A < 16: one prefix, then A = 16: 1 prefix (16 IPs) on the
    // primary ENI.
    // At 108 workload pods: one prefix per fill while A < 16 and T < 110: T = 112 (7
    // prefixes) ≥ 110 stops growth; all 7 fit on the primary ENI (room 9): 1 ENI, 108 pods
    // with IPs, 4 idle.
    // Subnet /22: 1024 − 5 = 1019 addresses; 64 /28 blocks, block 0 (.0–.3 reserved) and
    // block 63 (10.0.3.255 reserved) not entirely free: 62. The instance's primary IP is the
    // lowest free address, 10.0.0.4 in block 0, which is not free anyway: 7 blocks per node.
    // Addresses per node: 1 + 7 × 16 = 113. 3 nodes at start: 21 blocks, 339 addresses.
    // By blocks: floor((62 − 21) / 7) = 5; by addresses: floor((1019 − 339) / 113) = 6;
    // replay: 8 nodes' instance IPs (.4–.11) stay in block 0, so 5 more nodes; /28 blocks
    // bind first.
    let g = capacity(&m5_large(
        "  ENABLE_PREFIX_DELEGATION: true",
        "10.0.0.0/22",
        3,
    ));
    let g = &g[0];
    assert_eq!(g.mode, Mode::PrefixDelegation);
    assert_eq!((g.max_pods, g.workload_pods), (110, 108));
    assert!(g.settled());
    assert_eq!(pool(&g.at_zero_pods), (1, 16, 1, 0, 0));
    assert_eq!(pool(&g.at_max_pods), (1, 112, 7, 108, 0));
    assert_eq!(g.at_max_pods.idle_ips(), 4);
    let s = only_subnet(g);
    assert_eq!((s.free_ips, s.free_prefix_blocks), (1019, 62));
    assert_eq!((s.ips_per_node, s.prefix_blocks_per_node), (113, 7));
    assert_eq!(
        (s.nodes_demand_ips, s.nodes_demand_prefix_blocks),
        (339, 21)
    );
    assert_eq!(s.more_nodes_by_blocks, Some(5));
    assert_eq!(s.more_nodes_by_ips, Some(6));
    assert_eq!((s.more_nodes, s.limit), (Some(5), Limit::PrefixBlocks));
}

#[test]
fn custom_networking_splits_usage_between_node_and_pod_subnets() {
    // Custom networking, m5.large: max pods by the calculator (3 − 1) × 9 + 2 = 20, so 18
    // workload pods. The primary ENI holds no pod IPs. At 0 pods: init creates one pod ENI
    // with M_ip = 9 IPs (A = 9 not < 9): 2 ENIs, 9 IPs. At 18 pods: a second pod ENI, 18
    // IPs, all pods get one: 3 ENIs.
    // Node subnet (/24): only the instance's address, 1 per node; 5 nodes take 5:
    // 251 − 5 = 246 more. Pod subnet (100.64.0.0/16, 65536 − 5 = 65531): 2 pod ENIs ×
    // (1 primary + 9) = 20 per node; 5 nodes take 100: floor(65431 / 20) = 3271. The node
    // subnet binds first.
    let yaml = format!(
        "duration: 1m
cni:
  AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG: true
subnets:
  - name: nodes-a
    cidr: 10.0.0.0/24
    az: us-east-1a
  - name: pods-a
    cidr: 100.64.0.0/16
    az: us-east-1a
eniconfigs:
  - az: us-east-1a
    subnet: pods-a
nodegroups:
  - name: workers
    instance_type: m5.large
    count: 5
    subnet: nodes-a
{DAEMONSETS}"
    );
    let g = capacity(&yaml);
    let g = &g[0];
    assert_eq!(g.mode, Mode::CustomNetworking);
    assert_eq!((g.max_pods, g.workload_pods), (20, 18));
    assert!(g.settled());
    assert_eq!(pool(&g.at_zero_pods), (2, 9, 0, 0, 0));
    assert_eq!(pool(&g.at_max_pods), (3, 18, 0, 18, 0));
    assert_eq!(g.subnets.len(), 2);
    let (node, pods) = (&g.subnets[0], &g.subnets[1]);
    assert_eq!(node.subnet, "nodes-a");
    assert!(node.instance && !node.pod_enis);
    assert_eq!(
        (node.free_ips, node.ips_per_node, node.nodes_demand_ips),
        (251, 1, 5)
    );
    assert_eq!(node.more_nodes, Some(246));
    assert_eq!(pods.subnet, "pods-a");
    assert!(!pods.instance && pods.pod_enis);
    assert_eq!(
        (pods.free_ips, pods.ips_per_node, pods.nodes_demand_ips),
        (65531, 20, 100)
    );
    assert_eq!(
        (pods.more_nodes, pods.limit),
        (Some(3271), Limit::Addresses)
    );
    assert_eq!(g.binding().map(|b| b.subnet.as_str()), Some("nodes-a"));
}

#[test]
fn max_eni_leaves_pods_without_ips() {
    // MAX_ENI = 2: max pods stays 29 (27 workload pods) but the pool stops at 2 ENIs × 9 =
    // 18 IPs: 18 pods get an IP, 9 wait. At 0 pods: 1 ENI, 9 IPs as by default.
    // Use: 2 + 18 = 20 per node; 2 nodes take 40; floor((251 − 40) / 20) = 10 more.
    let g = capacity(&m5_large("  MAX_ENI: 2", "10.0.0.0/24", 2));
    let g = &g[0];
    assert!(g.settled());
    assert_eq!(pool(&g.at_zero_pods), (1, 9, 0, 0, 0));
    assert_eq!(pool(&g.at_max_pods), (2, 18, 0, 18, 9));
    let s = only_subnet(g);
    assert_eq!((s.ips_per_node, s.more_nodes), (20, Some(10)));
}

#[test]
fn minimum_ip_target_alone_freezes_the_pool() {
    // MINIMUM_IP_TARGET = 10 without WARM_IP_TARGET: warm-IP mode with W_ip = 0, so
    // short = max(0 − A, 10 − T, 0) = 0 once T ≥ 10, whatever the pods need.
    // At 0 pods: short 10 → the primary ENI gets min(room 9, 10) = 9; short 1 → a new ENI
    // with min(1, 9) = 1 IP: 2 ENIs, 10 IPs; over = max(min(10 − 0, 10 − 10), 0) = 0, and the
    // second ENI is required for MINIMUM_IP_TARGET, so it stays.
    // At 27 pods: the same 10 IPs, 10 pods get one, 17 wait for ever.
    // Use: 2 ENI primary IPs + 10 = 12 per node; floor((251 − 24) / 12) = 18 more.
    let g = capacity(&m5_large("  MINIMUM_IP_TARGET: 10", "10.0.0.0/24", 2));
    let g = &g[0];
    assert!(g.settled());
    assert_eq!(pool(&g.at_zero_pods), (2, 10, 0, 0, 0));
    assert_eq!(pool(&g.at_max_pods), (2, 10, 0, 10, 17));
    let s = only_subnet(g);
    assert_eq!((s.ips_per_node, s.more_nodes), (12, Some(18)));
}

#[test]
fn replay_sees_reservations_that_counts_miss() {
    // /24 with 10.0.0.128/25 reserved for prefixes: 251 free addresses, but single addresses
    // may use only .4–.127 = 124 of them. Secondary-IP m5.large at max pods takes 30 single
    // addresses: by the count floor(251 / 30) = 8 nodes, by replay floor(124 / 30) = 4.
    let yaml = m5_large("  WARM_ENI_TARGET: 1", "10.0.0.0/24", 0).replace(
        "    cidr: 10.0.0.0/24\n",
        "    cidr: 10.0.0.0/24\n    reservations: [10.0.0.128/25]\n",
    );
    let g = capacity(&yaml);
    let s = only_subnet(&g[0]);
    assert_eq!((s.free_ips, s.ips_per_node), (251, 30));
    assert_eq!(s.more_nodes_by_ips, Some(8));
    assert_eq!((s.more_nodes, s.limit), (Some(4), Limit::Addresses));
}

#[test]
fn fragmented_subnet_without_blocks_fits_no_prefix_node() {
    // /24 with one address used in each of blocks 1–14: 251 − 14 = 237 free, no free /28.
    // A prefix-mode node gets its instance address but no prefix (InsufficientCidrBlocks):
    // 0 of its 108 pods get an IP, so not even one more node fits, whatever the address
    // count (237 free) says.
    let used: Vec<String> = (1..15).map(|b| format!("10.0.0.{}", b * 16)).collect();
    let yaml = m5_large("  ENABLE_PREFIX_DELEGATION: true", "10.0.0.0/24", 1).replace(
        "    cidr: 10.0.0.0/24\n",
        &format!("    cidr: 10.0.0.0/24\n    used: [{}]\n", used.join(", ")),
    );
    let g = capacity(&yaml);
    let g = &g[0];
    assert_eq!(pool(&g.at_max_pods), (1, 0, 0, 0, 108));
    let s = only_subnet(g);
    assert_eq!((s.free_ips, s.free_prefix_blocks), (237, 0));
    assert!(s.short_for_one_node && !s.existing_fit);
    assert_eq!((s.more_nodes, s.limit), (Some(0), Limit::PrefixBlocks));
}

fn two_nodegroups() -> Vec<NodeGroupCapacity> {
    capacity(&format!(
        "duration: 1m
ec2:
  address_choice: lowest
subnets:
  - name: a
    cidr: 10.0.0.0/24
nodegroups:
  - name: big
    instance_type: m5.large
    count: 2
    subnet: a
  - name: small
    instance_type: t3.medium
    count: 1
    subnet: a
{DAEMONSETS}"
    ))
}

#[test]
fn two_nodegroups_share_a_subnet() {
    // m5.large at max pods: 30 addresses (see above). t3.medium: max pods 17, 15 workload
    // pods; ENIs fill whole (M_ip = 5) while A < 5 and T < 17: 3 ENIs × 5 = 15 IPs, all 15
    // pods get one; use 3 + 15 = 18. At 0 pods: 1 ENI, 5 IPs.
    // The nodes at start of both groups share the subnet: 2 × 30 + 18 = 78 taken, 173 left:
    // 5 more m5.large (floor(173 / 30)) or 9 more t3.medium (floor(173 / 18)).
    let g = two_nodegroups();
    assert_eq!(g.len(), 2);
    assert_eq!(pool(&g[1].at_zero_pods), (1, 5, 0, 0, 0));
    assert_eq!(pool(&g[1].at_max_pods), (3, 15, 0, 15, 0));
    let (big, small) = (only_subnet(&g[0]), only_subnet(&g[1]));
    assert_eq!((big.ips_per_node, big.nodes_demand_ips), (30, 78));
    assert_eq!((small.ips_per_node, small.nodes_demand_ips), (18, 78));
    assert_eq!((big.more_nodes, small.more_nodes), (Some(5), Some(9)));
}

#[test]
fn csv_has_the_exact_header_and_a_row_per_nodegroup_and_subnet() {
    let mut out = Vec::new();
    write_csv(&two_nodegroups(), &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "nodegroup,instance_type,mode,max_pods,daemonset_pods,workload_pods,count,\
enis_at_0_pods,ips_at_0_pods,prefixes_at_0_pods,enis_at_max_pods,ips_at_max_pods,\
prefixes_at_max_pods,pods_with_ip_at_max_pods,pods_without_ip_at_max_pods,\
idle_ips_at_max_pods,settled,launched,subnet,uses,free_ips,free_prefix_blocks,ips_per_node,\
prefix_blocks_per_node,existing_ips,existing_prefix_blocks,existing_fit,short_for_one_node,\
more_nodes_by_ips,more_nodes_by_blocks,more_nodes,limit,binding,nodes_fit,nodes_demand_ips,\
nodes_demand_prefix_blocks"
    );
    assert_eq!(lines[0], CSV_HEADER.join(","));
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[1].starts_with("big,m5.large,secondary_ips,29,2,27,2,1,9,0,3,27,0,27,0,0,true,true,a,instance_and_pod_enis,251,"), "{}", lines[1]);
    // ... the answer (5 more nodes), then nodes_demand_ips / _prefix_blocks: the same 78
    // addresses and 5 blocks as existing_ips / existing_prefix_blocks.
    assert!(
        lines[1].ends_with(",78,5,true,false,5,,5,addresses,true,5,78,5"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].starts_with(
            "small,t3.medium,secondary_ips,17,2,15,1,1,5,0,3,15,0,15,0,0,true,true,a,"
        ),
        "{}",
        lines[2]
    );
    assert!(
        lines[2].ends_with(",9,,9,addresses,true,9,78,5"),
        "{}",
        lines[2]
    );
    for l in &lines {
        assert_eq!(l.split(',').count(), CSV_HEADER.len(), "{l}");
    }
}

#[test]
fn table_shows_idle_tax_full_node_and_binding_subnet() {
    let mut out = Vec::new();
    write_table(
        &capacity(&m5_large("  MAX_ENI: 2", "10.0.0.0/24", 2)),
        &mut out,
    )
    .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains("nodegroup ng: m5.large, mode secondary_ips, max pods 29 (2 DaemonSet + 27 workload), 2 nodes at start"),
        "{text}"
    );
    assert!(
        text.contains("at 0 workload pods: 1 ENI, 9 IPs held, 9 idle"),
        "{text}"
    );
    assert!(
        text.contains("at max pods:        2 ENIs, 18 IPs held, 0 idle; 18 of 27 pods have an IP (9 wait: IP-limited)"),
        "{text}"
    );
    assert!(
        text.contains("=> 10 more nodes fit (subnet a runs out of addresses first)"),
        "{text}"
    );
    assert!(!text.contains("not settled"), "{text}");
}

fn json(groups: &[NodeGroupCapacity]) -> Value {
    let mut out = Vec::new();
    write_json(groups, &mut out).unwrap();
    serde_json::from_slice(&out).unwrap()
}

/// `(enis, ips, prefixes, pods_with_ip, pods_without_ip, idle_ips)` of a JSON node state.
fn json_pool(v: &Value) -> [u64; 6] {
    [
        "enis",
        "ips",
        "prefixes",
        "pods_with_ip",
        "pods_without_ip",
        "idle_ips",
    ]
    .map(|k| v[k].as_u64().unwrap_or_else(|| panic!("{k}: {v}")))
}

#[test]
fn json_has_one_object_per_nodegroup_with_subnets_nested() {
    // Numbers as in two_nodegroups_share_a_subnet. /28 blocks of the /24: 16, of which
    // block 0 (.0–.3 reserved) and block 15 (.255 reserved) are not entirely free: 14.
    // An m5.large takes .4–.33 on a fresh subnet, breaking blocks 1 and 2 (block 0 was not
    // free): 2 per node; a t3.medium .4–.21, breaking block 1: 1. Nodes at start: 2 × 2 + 1
    // = 5 blocks.
    let v = json(&two_nodegroups());
    let a = v.as_array().unwrap();
    assert_eq!(a.len(), 2);
    let big = &a[0];
    assert_eq!(big["nodegroup"], "big");
    assert_eq!(big["instance_type"], "m5.large");
    assert_eq!(big["mode"], "secondary_ips");
    assert_eq!(
        ["max_pods", "daemonset_pods", "workload_pods", "count"].map(|k| big[k].as_u64()),
        [29, 2, 27, 2].map(Some)
    );
    assert_eq!(
        (&big["settled"], &big["launched"]),
        (&Value::Bool(true), &Value::Bool(true))
    );
    assert_eq!(
        (&big["nodes_fit"], &big["binding_subnet"]),
        (&Value::from(5), &Value::from("a"))
    );
    // idle: 9 − 0 at 0 pods, 27 − 27 at max pods.
    assert_eq!(json_pool(&big["at_zero_pods"]), [1, 9, 0, 0, 0, 9]);
    assert_eq!(json_pool(&big["at_max_pods"]), [3, 27, 0, 27, 0, 0]);
    let s = &big["subnets"].as_array().unwrap()[..];
    assert_eq!(s.len(), 1);
    let s = &s[0];
    assert_eq!(s["subnet"], "a");
    assert_eq!(s["uses"], "instance_and_pod_enis");
    assert_eq!(
        (&s["instance"], &s["pod_enis"]),
        (&Value::Bool(true), &Value::Bool(true))
    );
    assert_eq!(
        [
            "free_ips",
            "free_prefix_blocks",
            "ips_per_node",
            "prefix_blocks_per_node",
            "existing_ips",
            "existing_prefix_blocks",
            "more_nodes_by_ips",
            "more_nodes"
        ]
        .map(|k| s[k].as_u64()),
        [251, 14, 30, 2, 78, 5, 5, 5].map(Some)
    );
    // Not prefix mode: no count by blocks.
    assert!(s["more_nodes_by_blocks"].is_null());
    assert_eq!(s["limit"], "addresses");
    assert_eq!(s["binding"], true);
    assert_eq!(
        (&s["existing_fit"], &s["short_for_one_node"]),
        (&Value::Bool(true), &Value::Bool(false))
    );
    let small = &a[1];
    assert_eq!(small["nodes_fit"], 9);
    assert_eq!(json_pool(&small["at_max_pods"]), [3, 15, 0, 15, 0, 0]);
    assert_eq!(small["subnets"][0]["prefix_blocks_per_node"], 1);
}

#[test]
fn json_prefix_mode_names_the_block_limit() {
    // As in prefix_delegation_m5_large: 5 more nodes by /28 blocks (the replay), 6 by
    // addresses; 4 idle IPs at max pods (112 held, 108 pods).
    let g = capacity(&m5_large(
        "  ENABLE_PREFIX_DELEGATION: true",
        "10.0.0.0/22",
        3,
    ));
    let v = json(&g);
    let g = &v[0];
    assert_eq!(g["mode"], "prefix_delegation");
    assert_eq!(json_pool(&g["at_max_pods"]), [1, 112, 7, 108, 0, 4]);
    let s = &g["subnets"][0];
    assert_eq!(s["limit"], "prefix_blocks");
    assert_eq!(
        ["more_nodes_by_ips", "more_nodes_by_blocks", "more_nodes"].map(|k| s[k].as_u64()),
        [6, 5, 5].map(Some)
    );
    assert_eq!(g["nodes_fit"], 5);
}

#[test]
fn huge_max_pods_is_counted_not_simulated() {
    // max pods 1,000,000: 999,998 workload pods, but an m5.large can address 3 × 9 = 27;
    // the run simulates 28, 27 get an IP, and 999,998 − 27 = 999,971 wait. The pool and
    // the subnet use are those of m5_large_default_warm_eni_target: 30 per node, 6 more.
    let yaml = m5_large("  WARM_ENI_TARGET: 1", "10.0.0.0/24", 2)
        .replace("    subnet: a\n", "    subnet: a\n    max_pods: 1000000\n");
    let g = capacity(&yaml);
    let g = &g[0];
    assert_eq!((g.max_pods, g.workload_pods), (1_000_000, 999_998));
    assert_eq!(pool(&g.at_zero_pods), (1, 9, 0, 0, 0));
    assert_eq!(pool(&g.at_max_pods), (3, 27, 0, 27, 999_971));
    let s = only_subnet(g);
    assert_eq!((s.ips_per_node, s.more_nodes), (30, Some(6)));
}

#[test]
fn huge_node_count_is_counted_not_looped() {
    // 4,294,967,295 m5.large nodes at start take 30 addresses each: far more than 251, so
    // none more fits and the existing ones do not (8 × 30 = 240 fit, the ninth does not);
    // the existing use saturates at u32::MAX. Looping over the nodes took seconds.
    let started = Instant::now();
    let g = capacity(&m5_large("  WARM_ENI_TARGET: 1", "10.0.0.0/24", u32::MAX));
    let s = only_subnet(&g[0]);
    assert_eq!(s.nodes_demand_ips, u32::MAX);
    assert_eq!(s.more_nodes_by_ips, Some(0));
    assert_eq!((s.more_nodes, s.limit), (Some(0), Limit::Addresses));
    assert!(!s.existing_fit);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn cli_max_pods_u32_max_stays_small() {
    // max_pods 4294967295 used to allocate 4 GiB (one pod record per max pod) and take 9 s.
    // Under a 1 GiB address-space limit it must still answer: 4294967295 − 2 DaemonSet pods
    // = 4294967293 workload pods, 27 with an IP, 4294967266 waiting.
    if !std::path::Path::new("/bin/sh").exists() {
        return;
    }
    let dir = common::fresh_dir("capacity", "huge-max-pods");
    let file = dir.join("huge.yaml");
    let yaml = m5_large("  WARM_ENI_TARGET: 1", "10.0.0.0/24", 2).replace(
        "    subnet: a\n",
        "    subnet: a\n    max_pods: 4294967295\n",
    );
    std::fs::write(&file, format!("allow_large: true\n{yaml}")).unwrap();
    let started = Instant::now();
    let out = std::process::Command::new("/bin/sh")
        .arg("-c")
        .arg("ulimit -v 1048576 && exec \"$0\" capacity --scenario \"$1\" --format csv")
        .arg(env!("CARGO_BIN_EXE_ipamsim"))
        .arg(&file)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(started.elapsed() < Duration::from_secs(30));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.lines().nth(1).unwrap_or("").starts_with(
            "ng,m5.large,secondary_ips,4294967295,2,4294967293,2,1,9,0,3,27,0,27,4294967266,0,"
        ),
        "{stdout}"
    );
}

#[cfg(unix)]
#[test]
fn cli_sigint_stops_the_derived_runs() {
    // 2,000 nodegroups: 3 derived runs each, seconds of work. SIGINT after 300 ms: the runs
    // stop, nothing is written to stdout, exit 130 ("interrupted").
    let groups: String = (0..2000)
        .map(|i| {
            format!("  - name: g{i}\n    instance_type: c5.18xlarge\n    count: 1\n    subnet: a\n")
        })
        .collect();
    let yaml = format!(
        "duration: 1m\nsubnets:\n  - name: a\n    cidr: 10.0.0.0/16\nnodegroups:\n{groups}"
    );
    let dir = common::fresh_dir("capacity", "sigint");
    let file = dir.join("many.yaml");
    std::fs::write(&file, yaml).unwrap();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_ipamsim"))
        .args(["capacity", "--scenario"])
        .arg(&file)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let started = Instant::now();
    let out = child.wait_with_output().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    if !killed.is_ok_and(|s| s.success()) {
        return; // no `kill` here: nothing to check
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(out.status.code(), Some(130));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("interrupted"), "{err}");
}

#[test]
fn security_groups_for_pods_count_the_trunk_and_the_branches() {
    // ENABLE_POD_ENI on m5.large (3 ENIs, 9 branch ENIs) with a selected workload: the
    // trunk takes one ENI slot, so ipamd holds at most 2 ENIs × 9 = 18 IPs. A full node:
    // 27 workload pods (29 − 2 DaemonSet pods), of which 9 have a branch ENI and 18 an
    // ipamd IP, 0 waiting. Subnet per node: 2 ENI primaries (the instance's and eni-2's) +
    // 18 IPs + 1 trunk + 9 branches = 30; 2 nodes at start take 60; floor((251 − 60) / 30)
    // = 6 more nodes.
    let yaml = format!(
        "{}workloads:\n  - {{name: sg, replicas: 1, security_group_policy: true}}\n",
        m5_large("  ENABLE_POD_ENI: true", "10.0.0.0/24", 2)
    );
    let g = capacity(&yaml);
    let g = &g[0];
    assert!(g.settled());
    assert_eq!(g.workload_pods, 27);
    assert_eq!(pool(&g.at_max_pods), (2, 18, 0, 27, 0));
    let s = only_subnet(g);
    assert_eq!((s.ips_per_node, s.nodes_demand_ips), (30, 60));
    assert_eq!(s.more_nodes, Some(6));
    // without a selected workload the branches are not counted: 1 + 9 + 1 + 9 + 1 trunk =
    // 21 per node, and 18 of the 27 pods get an IP
    let g = capacity(&m5_large("  ENABLE_POD_ENI: true", "10.0.0.0/24", 2));
    let g = &g[0];
    assert_eq!(pool(&g.at_max_pods), (2, 18, 0, 18, 9));
    assert_eq!(only_subnet(g).ips_per_node, 21);
}
