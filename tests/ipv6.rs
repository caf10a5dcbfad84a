//! IPv6 mode: one /80 per node from its subnet's /64, pods never wait for an address once
//! the node is Ready, and the settings upstream refuses are errors.
use crate::common;

use common::run_yaml;
use ipamsim::model::record::{PodAddr, WaitCause};
use ipamsim::scenario;
use std::collections::BTreeMap;
use std::path::Path;

fn shipped() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/ipv6.yaml");
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{e}"))
}

/// scenarios/ipv6.yaml: 3 × m5.large, 200 pods at 2 min. Every pod-network pod gets an
/// IPv6 address at its binding (time to IP 0), inside its node's /80, which lies in the
/// subnet's /64; the three nodes hold three different /80s; no wait interval after
/// binding; the subnet's IPv4 space loses only the 3 instance addresses (251 − 3 = 248);
/// 2 EC2 calls per node (DescribeNetworkInterfaces, AssignIpv6Addresses).
#[test]
fn pods_get_addresses_from_one_slash_80_per_node_and_never_wait() {
    let (w, _) = run_yaml(&shipped());
    let slash64 = u128::from(
        "2600:1f14:abc:de00::"
            .parse::<std::net::Ipv6Addr>()
            .unwrap(),
    );
    let mut by_node: BTreeMap<String, Vec<u128>> = BTreeMap::new();
    for p in w.recorder().pods.iter().filter(|p| !p.host_network) {
        let Some(PodAddr::V6(a)) = p.ip else {
            panic!("{} has no IPv6 address: {:?}", p.name, p.ip);
        };
        assert_eq!(p.ip_assigned, p.scheduled, "{}", p.name);
        by_node.entry(p.node.clone().unwrap()).or_default().push(a);
    }
    assert_eq!(by_node.values().map(Vec::len).sum::<usize>(), 200);
    let mut prefixes = Vec::new();
    for (node, addrs) in &by_node {
        let i = w.node_views().position(|v| v.name == node).unwrap();
        let prefix = w.node(i).ipamd.ipv6_prefix().expect("a /80");
        assert_eq!(prefix >> 64, slash64 >> 64, "{node}: /80 inside the /64");
        assert_eq!(prefix & ((1 << 48) - 1), 0, "{node}: /80 aligned");
        for a in addrs {
            assert_eq!(a >> 48, prefix >> 48, "{node}: {a:x} outside its /80");
        }
        let mut sorted = addrs.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), addrs.len(), "{node}: an address twice");
        prefixes.push(prefix);
    }
    prefixes.sort_unstable();
    prefixes.dedup();
    assert_eq!(prefixes.len(), 3);
    for x in &w.recorder().waits {
        assert_eq!(x.cause, WaitCause::Unschedulable, "{x:?}");
    }
    assert_eq!(w.totals().last_row.subnet_free_ips, 248);
    let calls = w.ec2().calls();
    assert_eq!(calls.iter().sum::<u64>(), 6);
}

/// The settings aws-node refuses in IPv6 mode are located errors with upstream's words.
#[test]
fn ipv6_needs_what_upstream_needs() {
    let base = shipped();
    let errs = |yaml: &str| -> Vec<String> {
        match scenario::parse(yaml, "v6.yaml") {
            Ok(_) => Vec::new(),
            Err(e) => e
                .problems
                .iter()
                .map(|d| format!("{}: {}", d.path, d.message))
                .collect(),
        }
    };
    let dual = base.replace("  ENABLE_IPv4: false\n", "");
    assert!(
        errs(&dual)
            .iter()
            .any(|m| m.starts_with("cni.ENABLE_IPv6: IPv4 and IPv6 are both enabled")),
        "{:?}",
        errs(&dual)
    );
    let no_pd = base.replace(
        "ENABLE_PREFIX_DELEGATION: true",
        "ENABLE_PREFIX_DELEGATION: false",
    );
    assert!(errs(&no_pd)
        .iter()
        .any(|m| m.contains("IPv6 is supported only in Prefix Delegation mode")));
    let xen = base.replace("instance_type: m5.large", "instance_type: m4.large");
    assert!(errs(&xen)
        .iter()
        .any(|m| m.starts_with("nodegroups[0].instance_type: Prefix Delegation is not supported on non-nitro instance m4.large")));
    let no_cidr = base.replace("    ipv6_cidr: 2600:1f14:abc:de00::/64\n", "");
    assert!(errs(&no_cidr)
        .iter()
        .any(|m| m.starts_with("subnets[0]: subnet \"private-a\" has no ipv6_cidr")));
    let slash56 = base.replace("de00::/64", "de00::/56");
    assert!(errs(&slash56)
        .iter()
        .any(|m| m.contains("AWS gives every subnet a /64")));
    let host_bits = base.replace("de00::/64", "de00::1/64");
    assert!(errs(&host_bits)
        .iter()
        .any(|m| m.contains("did you mean 2600:1f14:abc:de00::/64")));
    let off = base
        .replace("  ENABLE_IPv4: false\n", "")
        .replace("  ENABLE_IPv6: true\n", "");
    assert!(errs(&off).is_empty(), "{:?}", errs(&off));
}

/// A pod deleted in IPv6 mode leaves its address cooling for IP_COOLDOWN_PERIOD; the next
/// pod gets the lowest address not assigned or cooling. 3 pods at 10 s take offsets 0–2 of
/// the /80; at 20 s the workload drops to 2 (the newest, offset 2, goes); at 25 s it is back
/// to 3 and the new pod gets offset 3 (offset 2 cools until 50 s).
#[test]
fn a_released_address_cools_before_it_is_handed_out_again() {
    let yaml = "duration: 1m
cni:
  ENABLE_IPv6: true
  ENABLE_IPv4: false
  ENABLE_PREFIX_DELEGATION: true
subnets:
  - {name: a, cidr: 10.0.0.0/24, ipv6_cidr: 'fd00::/64'}
nodegroups:
  - {name: ng, instance_type: m5.large, count: 1, subnet: a}
workloads:
  - name: web
    steps: [{at: 10s, replicas: 3}, {at: 20s, replicas: 2}, {at: 25s, replicas: 3}]
";
    let (w, _) = run_yaml(yaml);
    let prefix = w.node(0).ipamd.ipv6_prefix().expect("a /80");
    let mut offs: Vec<(String, u128)> = w
        .recorder()
        .pods
        .iter()
        .filter_map(|p| match p.ip {
            Some(PodAddr::V6(a)) => Some((p.name.clone(), a - prefix)),
            _ => None,
        })
        .collect();
    offs.sort();
    assert_eq!(
        offs,
        [
            ("web-1".into(), 0),
            ("web-2".into(), 1),
            ("web-3".into(), 2),
            ("web-4".into(), 3)
        ]
    );
}
