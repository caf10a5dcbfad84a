//! Subnet discovery of VPC CNI v1.22 (docs/model.md, "Subnet discovery"): cluster-scoped
//! subnet tags and the excluded primary subnet, checked through a run's output files.
use crate::common;

use common::{fresh_dir, ipamsim};
use ipamsim::import::{import, Inputs};
use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

/// One t3.medium node (3 ENIs of 6 IPv4 addresses: 5 secondary IPs each; max pods 17) in
/// subnet `primary`, which is tagged `kubernetes.io/role/cni=0`. Two other subnets of its
/// AZ are tagged "1": `other-cluster` (/23, the most free addresses) for cluster `staging`
/// only, `ours` (/25) for `prod` and `staging`. 7 pods at 10 s.
const SCENARIO: &str = "\
duration: 5m
ipamd: {placement: canonical}
cni:
  CLUSTER_NAME: prod
subnets:
  - name: primary
    cidr: 10.0.0.0/24
    az: a
    tags: {kubernetes.io/role/cni: \"0\"}
  - name: other-cluster
    cidr: 10.0.2.0/23
    az: a
    tags: {kubernetes.io/role/cni: \"1\", cni.networking.k8s.aws/cluster/staging: shared}
  - name: ours
    cidr: 10.0.4.0/25
    az: a
    tags:
      kubernetes.io/role/cni: \"1\"
      cni.networking.k8s.aws/cluster/prod: shared
      cni.networking.k8s.aws/cluster/staging: shared
nodegroups:
  - {name: ng, instance_type: t3.medium, count: 1, subnet: primary}
workloads:
  - {name: web, at: 10s, replicas: 7}
";

fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 temp path")
}

/// Writes `yaml` and runs it into a fresh directory.
fn run(yaml: &str, tag: &str) -> PathBuf {
    let dir = fresh_dir("discovery", tag);
    let file = dir.join("scenario.yaml");
    std::fs::write(&file, yaml).unwrap();
    let out = dir.join("out");
    let o = ipamsim(&["run", s(&file), "--out", s(&out), "--quiet"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    out
}

/// A CSV file's rows as maps by header name.
fn rows(path: &Path) -> Vec<HashMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let head: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    r.records()
        .map(|rec| {
            head.iter()
                .cloned()
                .zip(rec.unwrap().iter().map(str::to_string))
                .collect()
        })
        .collect()
}

/// subnets.csv's `free_ips` of each subnet at the last sample.
fn free_at_end(out: &Path) -> HashMap<String, u32> {
    let all = rows(&out.join("subnets.csv"));
    let last = all.last().unwrap()["time_s"].clone();
    all.iter()
        .filter(|r| r["time_s"] == last)
        .map(|r| (r["subnet"].clone(), r["free_ips"].parse().unwrap()))
        .collect()
}

fn count(events: &[HashMap<String, String>], kind: &str) -> usize {
    events.iter().filter(|e| e["kind"] == kind).count()
}

#[test]
fn enis_go_to_the_cluster_tagged_subnet_and_the_primary_eni_holds_no_pod_ips() {
    let out = run(SCENARIO, "tagged");
    // The primary ENI is excluded (its subnet is tagged "0"), so at init the pool holds 0
    // IPs, below WARM_ENI_TARGET × 5 = 5: a new ENI, eni-2, with 5 IPs. Subnets that
    // qualify: `primary` no (tagged "0"), `other-cluster` no (tagged for staging only, and
    // CLUSTER_NAME is prod), `ours` yes. At 10 s, 7 pods: 5 take eni-2's IPs, the pool is
    // empty again, eni-3 (5 IPs, in `ours`) comes; then 3 of 10 are free, below 5, but the
    // node holds 3 ENIs = its limit (`max_eni`).
    let nodes = rows(&out.join("nodes.csv"));
    let end = nodes.last().unwrap();
    assert_eq!(
        (
            &end["enis"][..],
            &end["ips_total"][..],
            &end["ips_assigned"][..]
        ),
        ("3", "10", "7")
    );
    let events = rows(&out.join("events.csv"));
    assert_eq!(count(&events, "create_eni"), 2);
    assert_eq!(count(&events, "eni_ready"), 2);
    assert_eq!(count(&events, "max_eni"), 1);
    assert_eq!(count(&events, "no_subnet_for_eni"), 0);
    assert_eq!(count(&events, "insufficient_addresses"), 0);
    // Free addresses (AWS reserves 5 per subnet): primary 256 − 5 − 1 (the instance's
    // address) = 250; other-cluster 512 − 5 = 507, untouched although it has the most;
    // ours 128 − 5 − 2 ENIs × (1 primary + 5 secondary) = 111.
    let free = free_at_end(&out);
    assert_eq!(free["primary"], 250);
    assert_eq!(free["other-cluster"], 507);
    assert_eq!(free["ours"], 111);
    // every pod address is in `ours` (10.0.4.0/25)
    let pods = rows(&out.join("pods.csv"));
    assert_eq!(pods.len(), 7);
    for p in &pods {
        let ip: Ipv4Addr = p["ip"].parse().unwrap();
        assert_eq!(
            u32::from(ip) >> 7,
            u32::from(Ipv4Addr::new(10, 0, 4, 0)) >> 7,
            "{p:?}"
        );
    }
}

#[test]
fn without_cluster_name_cluster_tags_are_ignored() {
    // CLUSTER_NAME unset: aws-node skips the cluster check, so `other-cluster` qualifies
    // and, with the most free addresses (507 > 123), takes both new ENIs:
    // 507 − 2 × 6 = 495; `ours` keeps 123. The primary ENI is still excluded: 3 ENIs,
    // 10 IPs, 7 assigned, as above.
    let out = run(
        &SCENARIO.replace("cni:\n  CLUSTER_NAME: prod\n", ""),
        "unnamed",
    );
    let free = free_at_end(&out);
    assert_eq!(free["other-cluster"], 495);
    assert_eq!(free["ours"], 123);
    assert_eq!(free["primary"], 250);
    let end = rows(&out.join("nodes.csv")).pop().unwrap();
    assert_eq!((&end["enis"][..], &end["ips_total"][..]), ("3", "10"));
}

#[test]
fn an_untagged_primary_subnet_holds_pod_ips_and_competes_by_free_addresses() {
    // The primary subnet untagged: the primary ENI takes 5 IPs at init (250 − 5 = 245
    // free). 7 pods need a second ENI: candidates `primary` (245) and `ours` (123), most
    // free first, so eni-2 goes to `primary`: 245 − 6 = 239. 10 IPs, 3 free, below 5:
    // eni-3, again in `primary` (239 > 123): 233. `ours` keeps 123; 3 ENIs, 15 IPs.
    let yaml = SCENARIO.replace("    tags: {kubernetes.io/role/cni: \"0\"}\n", "");
    let out = run(&yaml, "untagged");
    let free = free_at_end(&out);
    assert_eq!(free["primary"], 233);
    assert_eq!(free["ours"], 123);
    assert_eq!(free["other-cluster"], 507);
    let end = rows(&out.join("nodes.csv")).pop().unwrap();
    assert_eq!(
        (
            &end["enis"][..],
            &end["ips_total"][..],
            &end["ips_assigned"][..]
        ),
        ("3", "15", "7")
    );
}

#[test]
fn with_no_subnet_for_new_enis_ipamd_refuses_each_tick_without_back_off() {
    // Only `primary` (excluded) and `other-cluster` (not ours): no subnet qualifies. Each
    // attempt is one `create_eni` and one `no_subnet_for_eni` row with one DescribeSubnets
    // and no CreateNetworkInterface; there is no 120 s back-off, so attempts follow every
    // 5 s tick and no pod ever gets an IP.
    let yaml = SCENARIO.replace(
        "  - name: ours\n    cidr: 10.0.4.0/25\n    az: a\n    tags:\n      kubernetes.io/role/cni: \"1\"\n      cni.networking.k8s.aws/cluster/prod: shared\n      cni.networking.k8s.aws/cluster/staging: shared\n",
        "",
    );
    assert!(!yaml.contains("ours"));
    let out = run(&yaml, "none");
    let events = rows(&out.join("events.csv"));
    let refused: Vec<f64> = events
        .iter()
        .filter(|e| e["kind"] == "no_subnet_for_eni")
        .map(|e| e["time_s"].parse().unwrap())
        .collect();
    assert_eq!(refused.len(), count(&events, "create_eni"));
    assert_eq!(count(&events, "insufficient_cooldown"), 0);
    assert_eq!(count(&events, "eni_ready"), 0);
    // no back-off: consecutive refusals are at most a tick (5 s) and a bit apart, never
    // 120 s; 300 s of run give well over 50 of them
    assert!(refused.len() > 50, "{}", refused.len());
    assert!(refused.windows(2).all(|w| w[1] - w[0] < 6.0), "{refused:?}");
    let end = rows(&out.join("nodes.csv")).pop().unwrap();
    assert_eq!((&end["enis"][..], &end["ips_total"][..]), ("1", "0"));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let by_action = &summary["ec2"]["by_action"];
    assert_eq!(by_action["CreateNetworkInterface"], 0);
    assert_eq!(
        by_action["DescribeSubnets"].as_u64(),
        Some(refused.len() as u64)
    );
}

#[test]
fn same_scenario_same_bytes() {
    let a = run(SCENARIO, "bytes-a");
    let b = run(SCENARIO, "bytes-b");
    for f in [
        "events.csv",
        "nodes.csv",
        "pods.csv",
        "subnets.csv",
        "timeline.csv",
    ] {
        assert_eq!(
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
            "{f}"
        );
    }
}

#[test]
fn lazy_loops_write_the_eager_bytes() {
    // the four variants above: refusals every tick must keep the node's ticks awake
    let none = SCENARIO.replace(
        "  - name: ours\n    cidr: 10.0.4.0/25\n    az: a\n    tags:\n      kubernetes.io/role/cni: \"1\"\n      cni.networking.k8s.aws/cluster/prod: shared\n      cni.networking.k8s.aws/cluster/staging: shared\n",
        "",
    );
    let variants = [
        ("tagged", SCENARIO.to_string()),
        (
            "unnamed",
            SCENARIO.replace("cni:\n  CLUSTER_NAME: prod\n", ""),
        ),
        (
            "untagged",
            SCENARIO.replace("    tags: {kubernetes.io/role/cni: \"0\"}\n", ""),
        ),
        ("none", none),
    ];
    for (label, yaml) in variants {
        let sc = ipamsim::scenario::parse(&yaml, "test.yaml").unwrap();
        for ticks in [true, false] {
            crate::lazy_ticks::same_bytes_as(sc.clone(), label, ticks);
        }
    }
}

/// tests/fixtures/`rel`, with `from` replaced by `to`, written to `dir/name`.
fn edited_fixture(dir: &Path, name: &str, rel: &str, from: &str, to: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let text = std::fs::read_to_string(root.join(rel)).unwrap();
    assert!(text.contains(from), "{from:?} is not in {rel}");
    let p = dir.join(name);
    std::fs::write(&p, text.replace(from, to)).unwrap();
    p
}

#[test]
fn import_keeps_cluster_tags_and_cluster_name() {
    // The import fixture's eks-pods-us-west-2a (tagged kubernetes.io/role/cni=1) gains the
    // cluster tag for "prod" (value kept as written), and aws-node CLUSTER_NAME=prod: the
    // imported scenario carries both, so the subnet stays usable for new ENIs.
    let dir = fresh_dir("discovery", "import");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let (nodes, pods) = (
        root.join("import/cluster/nodes.json"),
        root.join("import/cluster/pods.json"),
    );
    let subnets = edited_fixture(
        &dir,
        "subnets.json",
        "import/cluster/subnets.json",
        "\"Value\": \"eks-pods-us-west-2a\"\n                },",
        "\"Value\": \"eks-pods-us-west-2a\"\n                },\n                {\n                    \
         \"Key\": \"cni.networking.k8s.aws/cluster/prod\",\n                    \
         \"Value\": \"shared\"\n                },",
    );
    let env = "- name: WARM_ENI_TARGET";
    let manifest = edited_fixture(
        &dir,
        "aws-node.yaml",
        "aws-node/aws-node-daemonset.yaml",
        env,
        &format!("- name: CLUSTER_NAME\n          value: prod\n        {env}"),
    );
    let pod_files = [pods.as_path()];
    fn inputs<'a>(
        nodes: &'a Path,
        subnets: &'a Path,
        aws_node: &'a Path,
        pods: &'a [&'a Path],
    ) -> Inputs<'a> {
        Inputs {
            nodes,
            subnets: Some(subnets),
            aws_node: Some(aws_node),
            pods,
            replay: false,
            since: None,
            events: None,
        }
    }
    let Ok(i) = import(&inputs(&nodes, &subnets, &manifest, &pod_files)) else {
        panic!("the edited cluster imports");
    };
    assert_eq!(i.scenario.cni.cluster_name, "prod");
    let tagged = &i.scenario.subnets[0];
    assert_eq!(tagged.name, "eks-pods-us-west-2a");
    let want: Vec<(&str, &str)> = vec![("cni.networking.k8s.aws/cluster/prod", "shared")];
    let got: Vec<(&str, &str)> = tagged
        .tags
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(got, want);
    // the written scenario reads back with the tag and the name
    let sc = ipamsim::scenario::parse(&i.yaml, "imported.yaml").unwrap();
    assert_eq!(sc.cni.cluster_name, "prod");
    assert_eq!(sc.subnets[0].cluster_tags, ["prod"]);
    assert_eq!(sc.subnets[0].role_cni, Some(true));
    // the fixture as it is: no tags key, no CLUSTER_NAME
    let (plain_subnets, plain_manifest) = (
        root.join("import/cluster/subnets.json"),
        root.join("aws-node/aws-node-daemonset.yaml"),
    );
    let plain = import(&inputs(&nodes, &plain_subnets, &plain_manifest, &pod_files));
    let Ok(plain) = plain else {
        panic!("the fixture imports")
    };
    assert!(!plain.yaml.contains("tags:") && !plain.yaml.contains("CLUSTER_NAME"));
}
