//! Failures that show: nodes that cannot launch are warned about by `validate`, counted in
//! `summary.json` and named in the text summary; `capacity --scenario` says which column
//! is the nodes' demand and spells each enum one way in every format.
use crate::common;
use common::{fresh_dir, ipamsim, run_yaml};
use ipamsim::output::summary::Summary;
use serde_json::Value;
use std::path::PathBuf;

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `scenarios/scale-out.yaml` with its subnet shrunk to a /28, written into a fresh
/// directory as `s.yaml`: 12 m5.large nodes at start, 16 − 5 AWS-reserved = 11 free
/// addresses for their primary IPs.
fn scale_out_in_a_28(name: &str) -> PathBuf {
    let dir = fresh_dir("failures", name);
    let text = std::fs::read_to_string("scenarios/scale-out.yaml").unwrap();
    assert!(text.contains("cidr: 10.0.0.0/22"));
    let path = dir.join("s.yaml");
    std::fs::write(&path, text.replace("10.0.0.0/22", "10.0.0.0/28")).unwrap();
    path
}

#[test]
fn validate_warns_when_the_nodes_at_start_outnumber_the_free_addresses() {
    let path = scale_out_in_a_28("validate");
    let o = ipamsim(&["validate", path.to_str().unwrap()]);
    // A warning, not an error: still valid.
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // 12 nodes, 11 free: node 12 of workers finds none. The subnet's `cidr:` is on line 14,
    // column 5 of scale-out.yaml.
    let want = format!(
        "{}:14:5: warning: subnets[0].cidr: 12 nodes start in subnet \"private-a\" (workers 12) \
         but it has 11 free addresses for their primary IPs (16 in 10.0.0.0/28, less 5 \
         AWS-reserved): 1 node of workers cannot launch (launch_failed, \
         InsufficientFreeAddressesInSubnet)",
        path.display()
    );
    assert_eq!(stderr(&o).lines().collect::<Vec<_>>(), vec![want.as_str()]);
}

/// Two subnets, three nodegroups placed round-robin as the model places them.
const SHARED: &str = "duration: 1m
subnets:
  - name: a
    cidr: 10.0.0.0/28
    used: [10.0.0.4-10.0.0.8]
  - name: b
    cidr: 10.0.1.0/24
nodegroups:
  - name: first
    instance_type: m5.large
    count: 12
    subnets: [a, b]
  - name: second
    instance_type: m5.large
    count: 2
    subnet: a
  - name: later
    instance_type: m5.large
    count: 0
    subnet: a
    launch:
      - {at: 30s, count: 1}
";

#[test]
fn validate_follows_the_round_robin_placement_and_names_blocked_nodegroups() {
    let sc = ipamsim::scenario::parse(SHARED, "s.yaml").unwrap();
    let w: Vec<(&str, &str)> = sc
        .warnings
        .iter()
        .map(|d| (d.path.as_str(), d.message.as_str()))
        .collect();
    // Subnet a: 16 − 5 AWS-reserved − 5 used (.4–.8) = 6 free. first's 12 nodes alternate
    // a, b: 6 in a (taking all 6), 6 in b; second's 2 both in a: no address left, so its
    // first node cannot launch; later (count 0, a launch at 30 s) finds a full subnet.
    assert_eq!(
        w,
        vec![
            (
                "subnets[0].cidr",
                "8 nodes start in subnet \"a\" (first 6, second 2) but it has 6 free addresses \
                 for their primary IPs (16 in 10.0.0.0/28, less 5 AWS-reserved, 5 used): 2 \
                 nodes of second cannot launch (launch_failed, \
                 InsufficientFreeAddressesInSubnet)"
            ),
            (
                "nodegroups[1].subnet",
                "nodegroup \"second\" cannot place even its first node: the nodes at start of \
                 earlier nodegroups (first 6) take all 6 free addresses of subnet \"a\"; its \
                 nodes there fail to launch (launch_failed, InsufficientFreeAddressesInSubnet)"
            ),
            (
                "nodegroups[2].count",
                "nodegroup \"later\" cannot place even its first node: the nodes at start take \
                 all 6 free addresses of subnet \"a\", so its first launch fails \
                 (launch_failed, InsufficientFreeAddressesInSubnet) unless addresses are \
                 released before it"
            ),
        ]
    );
    // The model agrees: second-1, second-2 at 0 s and later-1 at 30 s fail.
    let (world, _) = run_yaml(SHARED);
    let failed: Vec<(f64, &str)> = common::events_of(&world, "launch_failed")
        .iter()
        .map(|e| (e.secs(), e.who.as_str()))
        .collect();
    assert_eq!(
        failed,
        vec![(0.0, "second-1"), (0.0, "second-2"), (30.0, "later-1")]
    );
}

#[test]
fn a_subnet_that_fits_its_nodes_gets_no_warning() {
    // 11 nodes in a /28: exactly the 11 free addresses.
    let yaml = SHARED
        .replace("    used: [10.0.0.4-10.0.0.8]\n", "")
        .replace("count: 12\n    subnets: [a, b]", "count: 11\n    subnet: a")
        .replace("count: 2\n", "count: 0\n");
    let sc = ipamsim::scenario::parse(&yaml, "s.yaml").unwrap();
    // later is still blocked (the 11 nodes take every address), second has no node and no
    // launch: one warning, on later.
    let paths: Vec<&str> = sc.warnings.iter().map(|d| d.path.as_str()).collect();
    assert_eq!(paths, vec!["nodegroups[2].count"]);
}

#[test]
fn run_counts_only_nodes_that_exist_and_names_the_failed_launch() {
    let path = scale_out_in_a_28("run");
    let out = path.parent().unwrap().join("out");
    let o = ipamsim(&[
        "run",
        path.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    // 12 launches, 11 addresses: 11 nodes exist, workers-12 failed in private-a.
    assert_eq!(
        lines[0],
        "scenario scale-out (seed 1): 1200 s simulated, 11 nodes"
    );
    assert_eq!(
        lines[1],
        "launch failed:   1 node of workers (InsufficientFreeAddressesInSubnet in private-a)"
    );
    let s: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let n = &s["nodes"];
    assert_eq!(
        [
            "at_end",
            "added",
            "removed",
            "peak",
            "launched",
            "launch_failed"
        ]
        .map(|k| n[k].as_u64().unwrap()),
        [11, 0, 0, 11, 11, 1]
    );
    assert_eq!(
        n["launch_failures"],
        serde_json::json!([{
            "nodegroup": "workers",
            "subnet": "private-a",
            "error": "InsufficientFreeAddressesInSubnet",
            "nodes": 1
        }])
    );
}

#[test]
fn failed_launches_after_start_are_added_but_never_exist() {
    // Calico: nodes take only their primary address from the VPC subnet. A /28 has 11 free;
    // 10 nodes at start take 10; the launch of 3 at 30 s gets 1 (workers-11) and fails
    // twice (workers-12, workers-13).
    let yaml = "duration: 2m
ipam: {plugin: calico, pool: 172.16.0.0/20, block_size: 26}
subnets:
  - name: private-a
    cidr: 10.0.0.0/28
nodegroups:
  - name: workers
    instance_type: m5.large
    count: 10
    subnet: private-a
    launch:
      - {at: 30s, count: 3, provision_time: 10s}
";
    let (world, stats) = run_yaml(yaml);
    let s = Summary::from_world(&world, &stats, "");
    let n = &s.nodes;
    // added = 3 launch attempts; launched = 10 + 1; at_end = launched − removed = 11; the
    // peak counts only nodes that exist: 11, not the 13 attempts.
    assert_eq!(
        (n.added, n.launched, n.launch_failed, n.at_end, n.peak),
        (3, 11, 2, 11, 11)
    );
    assert_eq!(n.launch_failures.len(), 1);
    assert_eq!(n.launch_failures[0].nodes, 2);
    let text = s.to_string();
    assert!(
        text.starts_with(
            "scenario test (seed 1): 120 s simulated, 11 nodes\nlaunch failed:   2 nodes of \
             workers (InsufficientFreeAddressesInSubnet in private-a)\n"
        ),
        "{text}"
    );
    // ... and the `nodes:` line agrees.
    assert!(
        text.contains("nodes:           3 added, 0 removed, peak 11, 11 at end"),
        "{text}"
    );
}

#[test]
fn a_run_without_failures_has_no_launch_line() {
    let (world, stats) = run_yaml(
        "duration: 1m
subnets: [{name: a, cidr: 10.0.0.0/24}]
nodegroups: [{name: ng, instance_type: t3.medium, count: 1, subnet: a}]
",
    );
    let s = Summary::from_world(&world, &stats, "");
    // One node: "1 node", not "1 nodes".
    assert!(s
        .to_string()
        .starts_with("scenario test (seed 1): 60 s simulated, 1 node\npods at end:"));
    assert_eq!((s.nodes.launched, s.nodes.launch_failed), (1, 0));
    assert!(s.nodes.launch_failures.is_empty());
}

#[test]
fn capacity_names_the_nodes_demand_column() {
    let o = ipamsim(&["capacity", "--scenario", "scenarios/scale-out.yaml"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    // 12 nodes × 30 addresses at max pods (3 ENI primaries + 27 secondary IPs) = 360.
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines.contains(
            &"  SUBNET     USES                   FREE_IPS  FREE_/28  IPS/NODE  /28/NODE  NODES_DEMAND_IPS  MORE_NODES  LIMIT"
        ),
        "{text}"
    );
    assert!(
        lines.contains(
            &"  private-a  instance_and_pod_enis      1019         -        30         -               360  21          addresses"
        ),
        "{text}"
    );
    assert!(!text.contains("EXISTING_IPS"));
    let o = ipamsim(&[
        "capacity",
        "--scenario",
        "scenarios/scale-out.yaml",
        "--format",
        "json",
    ]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let s = &v[0]["subnets"][0];
    assert_eq!(s["nodes_demand_ips"], 360);
    // the former key stays, with the same value
    assert_eq!(s["existing_ips"], 360);
    assert_eq!(s["nodes_demand_prefix_blocks"], s["existing_prefix_blocks"]);
}

/// `(mode, uses, limit)` per CSV row and per JSON subnet of `capacity --scenario FILE`.
fn enum_words(file: &str) -> (Vec<[String; 3]>, Vec<[String; 3]>) {
    let csv = ipamsim(&["capacity", "--scenario", file, "--format", "csv"]);
    assert_eq!(csv.status.code(), Some(0), "{}", stderr(&csv));
    let mut r = csv::Reader::from_reader(&csv.stdout[..]);
    let h = r.headers().unwrap().clone();
    let col = |name: &str| h.iter().position(|c| c == name).unwrap();
    let (m, u, l) = (col("mode"), col("uses"), col("limit"));
    let from_csv = r
        .records()
        .map(|rec| {
            let rec = rec.unwrap();
            [&rec[m], &rec[u], &rec[l]].map(str::to_string)
        })
        .collect();
    let json = ipamsim(&["capacity", "--scenario", file, "--format", "json"]);
    let v: Value = serde_json::from_slice(&json.stdout).unwrap();
    let mut from_json = Vec::new();
    for g in v.as_array().unwrap() {
        for s in g["subnets"].as_array().unwrap() {
            from_json.push(
                [&g["mode"], &s["uses"], &s["limit"]].map(|x| x.as_str().unwrap().to_string()),
            );
        }
    }
    (from_csv, from_json)
}

#[test]
fn capacity_spells_each_enum_value_one_way_in_csv_json_and_table() {
    let words = |a: [&str; 3]| a.map(str::to_string);
    // scale-out: one subnet for the instance and the pod ENIs, bound by addresses.
    let (csv, json) = enum_words("scenarios/scale-out.yaml");
    assert_eq!(
        csv,
        vec![words([
            "secondary_ips",
            "instance_and_pod_enis",
            "addresses"
        ])]
    );
    assert_eq!(csv, json);
    // custom networking: the node subnet holds instances only, the ENIConfig's pod ENIs.
    let (csv, json) = enum_words("scenarios/custom-networking.yaml");
    assert_eq!(
        csv[0][..2],
        words(["custom_networking", "instance", ""])[..2]
    );
    assert!(csv.iter().any(|r| r[1] == "pod_enis"), "{csv:?}");
    assert_eq!(csv, json);
    // prefix delegation: the limit of a subnet short of /28 blocks is `prefix_blocks`.
    let (csv, json) = enum_words("scenarios/prefix-delegation.yaml");
    assert_eq!(csv[0][0], "prefix_delegation");
    assert_eq!(csv, json);
    // The table shows the same words.
    let o = ipamsim(&["capacity", "--scenario", "scenarios/custom-networking.yaml"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains(", mode custom_networking, "), "{text}");
    assert!(text.contains(" pod_enis "), "{text}");
}
