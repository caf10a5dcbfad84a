//! `ipamsim import`: scenarios from a cluster's kubectl and AWS CLI output
//! (docs/import.md). Fixtures are in tests/fixtures/import/ (their README says which
//! kubectl and AWS CLI shapes they follow).

use crate::common;

use common::{fresh_dir, ipamsim};
use ipamsim::import::{import, out::ScenarioOut, Failed, Imported, Inputs};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

const T3_NODES: &str = "import/three-t3-medium/nodes.json";
const T3_SUBNETS: &str = "import/three-t3-medium/subnets.json";
const NODES: &str = "import/cluster/nodes.json";
const SUBNETS: &str = "import/cluster/subnets.json";
const PODS: &str = "import/cluster/pods.json";
const AWS_NODE: &str = "aws-node/aws-node-daemonset.yaml";

fn inputs<'a>(
    nodes: &'a Path,
    subnets: Option<&'a Path>,
    aws_node: Option<&'a Path>,
    pods: Option<&'a Path>,
) -> Inputs<'a> {
    // one file, or none (the slice outlives this helper: a test's few bytes)
    let pods: &'a [&'a Path] = match pods {
        Some(p) => Box::leak(Box::new([p])),
        None => &[],
    };
    Inputs {
        nodes,
        subnets,
        aws_node,
        pods,
        replay: false,
        since: None,
        events: None,
    }
}

/// The whole cluster fixture, with the aws-node manifest `aws_node`.
fn cluster(aws_node: &Path) -> Imported {
    let (n, s, p) = (fixture(NODES), fixture(SUBNETS), fixture(PODS));
    import(&inputs(&n, Some(&s), Some(aws_node), Some(&p))).expect("the cluster imports")
}

fn failed(r: Result<Imported, Failed>) -> Failed {
    match r {
        Ok(i) => panic!("expected problems; imported:\n{}", i.yaml),
        Err(f) => f,
    }
}

/// `text` (a fixture) with `from` replaced by `to` once at least, written to `dir/name`.
fn edited(dir: &Path, name: &str, text: &str, from: &str, to: &str) -> PathBuf {
    assert!(text.contains(from), "{from:?} is not in the fixture");
    let p = dir.join(name);
    std::fs::write(&p, text.replace(from, to)).unwrap();
    p
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(fixture(rel)).unwrap()
}

/// The 1-based line and column where the `n`-th (0-based) occurrence of `needle` starts.
fn position_of(text: &str, needle: &str, n: usize) -> (usize, usize) {
    let at = text.match_indices(needle).nth(n).expect("needle present").0;
    let line = text[..at].matches('\n').count() + 1;
    let col = text[..at].rsplit('\n').next().unwrap().chars().count() + 1;
    (line, col)
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn subnet_used(s: &ScenarioOut) -> BTreeMap<String, Option<u32>> {
    s.subnets.iter().map(|x| (x.name.clone(), x.used)).collect()
}

#[test]
fn three_t3_medium_nodes_import_validate_and_run_in_three_subnets() {
    let dir = fresh_dir("import", "accept");
    let scenario = dir.join("cluster.yaml");
    let (n, s) = (fixture(T3_NODES), fixture(T3_SUBNETS));
    let s_arg = s.to_str().unwrap();
    let o = ipamsim(&[
        "import",
        "--nodes",
        n.to_str().unwrap(),
        "--subnets",
        s_arg,
        "--out",
        scenario.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v = ipamsim(&["validate", scenario.to_str().unwrap()]);
    assert_eq!(v.status.code(), Some(0), "{}", stderr(&v));
    // The library's loader reads it too: three groups of one t3.medium, three subnets.
    let sc = ipamsim::scenario::load(&scenario).expect("loads");
    assert_eq!(sc.nodegroups.len(), 3);
    assert!(sc.nodegroups.iter().all(|g| g.count == 1));
    assert_eq!(sc.subnets.len(), 3, "the public subnet holds no node");

    let out = dir.join("run");
    let r = ipamsim(&[
        "run",
        scenario.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(r.status.code(), Some(0), "{}", stderr(&r));
    #[derive(serde::Deserialize)]
    struct NodeRow {
        node: String,
        nodegroup: String,
        instance_type: String,
    }
    let mut nodes = BTreeMap::new();
    for row in csv::Reader::from_path(out.join("nodes.csv"))
        .unwrap()
        .deserialize::<NodeRow>()
    {
        let row = row.unwrap();
        nodes.insert(row.node, (row.nodegroup, row.instance_type));
    }
    assert_eq!(nodes.len(), 3);
    assert!(nodes.values().all(|(_, t)| t == "t3.medium"));
    let groups: BTreeSet<&String> = nodes.values().map(|(g, _)| g).collect();
    let subnet_of: BTreeMap<&str, &str> = sc
        .nodegroups
        .iter()
        .map(|g| (g.name.as_str(), sc.subnets[g.subnets[0]].name.as_str()))
        .collect();
    let subnets: BTreeSet<&str> = groups.iter().map(|g| subnet_of[g.as_str()]).collect();
    assert_eq!(subnets.len(), 3, "one node in each subnet");

    // At the end each subnet has exactly the free addresses describe-subnets reported:
    // a /24 has 256 − 5 = 251 usable; an idle t3.medium (WARM_ENI_TARGET=1) holds one ENI
    // of 5 secondary IPs + its primary = 6; used = 251 − available − 6 (private-a:
    // 251 − 240 − 6 = 5, private-b: 0, private-c: 251 − 200 − 6 = 45), so the run leaves
    // 251 − used − 6 = available free.
    #[derive(serde::Deserialize)]
    struct SubnetRow {
        time_s: f64,
        subnet: String,
        free_ips: u64,
    }
    let mut last: BTreeMap<String, (f64, u64)> = BTreeMap::new();
    for row in csv::Reader::from_path(out.join("subnets.csv"))
        .unwrap()
        .deserialize::<SubnetRow>()
    {
        let row = row.unwrap();
        last.insert(row.subnet, (row.time_s, row.free_ips));
    }
    let free: BTreeMap<&str, u64> = last.iter().map(|(k, v)| (k.as_str(), v.1)).collect();
    let want: BTreeMap<&str, u64> = [("private-a", 240), ("private-b", 245), ("private-c", 200)]
        .into_iter()
        .collect();
    assert_eq!(free, want);
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["duration_s"].as_f64(), Some(600.0));
}

#[test]
fn used_is_what_is_in_use_less_the_imported_nodes_pools() {
    let i = cluster(&fixture(AWS_NODE));
    // eks-private-us-west-2a, 10.0.0.0/19: 8192 − 5 − 7647 available = 540 in use. Its two
    // m5.large (3 ENIs × 10 IPv4, M = 9 secondary IPs per ENI) hold, with WARM_ENI_TARGET=1,
    // ⌈(pods + 9) / 9⌉ full ENIs: 4 pods (web, coredns, ebs-csi-node, debug) → 2 ENIs =
    // 18 + 2 primaries = 20; 3 pods (web, coredns, ebs-csi-node) → 20. 540 − 40 = 500.
    // eks-private-us-west-2b, 10.0.32.0/19: 8187 − 8057 = 130 in use; the c6a.2xlarge
    // (4 × 15, M = 14) with 4 pods (ebs-csi-node, redis-0, a report Job, staging web) holds
    // ⌈18 / 14⌉ = 2 ENIs = 28 + 2 = 30. 130 − 30 = 100.
    // eks-pods-us-west-2a, 10.0.96.0/20 (tagged kubernetes.io/role/cni=1, same VPC and AZ):
    // 4096 − 5 − 4079 = 12, no node. The c subnet, the public one and the other VPC's are
    // left out.
    let want: BTreeMap<String, Option<u32>> = [
        ("eks-pods-us-west-2a", Some(12)),
        ("eks-private-us-west-2a", Some(500)),
        ("eks-private-us-west-2b", Some(100)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(subnet_used(&i.scenario), want);
    let pods_subnet = &i.scenario.subnets[0];
    assert_eq!(pods_subnet.role_cni, Some(true));

    // WARM_IP_TARGET=5: the m5.large hold max(pods + 5, 0) IPs on ⌈IPs / 9⌉ ENIs: 9 IPs on
    // 1 ENI = 10, and 8 on 1 = 9; 540 − 19 = 521. The c6a.2xlarge: 9 IPs on 1 ENI = 10;
    // 130 − 10 = 120.
    let dir = fresh_dir("import", "warm-ip");
    let manifest = edited(
        &dir,
        "aws-node.yaml",
        &read(AWS_NODE),
        "- name: WARM_ENI_TARGET",
        "- name: WARM_IP_TARGET\n          value: \"5\"\n        - name: WARM_ENI_TARGET",
    );
    let i = cluster(&manifest);
    assert_eq!(i.scenario.cni.warm_ip_target, 5);
    let used = subnet_used(&i.scenario);
    assert_eq!(used["eks-private-us-west-2a"], Some(521));
    assert_eq!(used["eks-private-us-west-2b"], Some(120));
}

#[test]
fn a_run_of_the_imported_cluster_ends_with_the_free_addresses_aws_reported() {
    // The estimate of what the nodes hold is the model's steady state: after a run of the
    // imported cluster (10 workload pods, 3 ebs-csi-node pods), its three subnets together
    // have 7647 + 8057 + 4079 = 19783 free addresses, the AvailableIpAddressCount sum.
    let dir = fresh_dir("import", "cluster-run");
    let scenario = dir.join("cluster.yaml");
    std::fs::write(&scenario, cluster(&fixture(AWS_NODE)).yaml).unwrap();
    let out = dir.join("run");
    let r = ipamsim(&[
        "run",
        scenario.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(r.status.code(), Some(0), "{}", stderr(&r));
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["pods"]["running_at_end"].as_u64(), Some(19));
    #[derive(serde::Deserialize)]
    struct SubnetRow {
        time_s: f64,
        free_ips: u64,
    }
    let rows: Vec<SubnetRow> = csv::Reader::from_path(out.join("subnets.csv"))
        .unwrap()
        .deserialize()
        .map(Result::unwrap)
        .collect();
    let end = rows.iter().map(|r| r.time_s).fold(0.0, f64::max);
    let free: u64 = rows
        .iter()
        .filter(|r| r.time_s == end)
        .map(|r| r.free_ips)
        .sum();
    assert_eq!(free, 19783);
}

#[test]
fn pods_group_into_workloads_and_daemonsets_by_owner() {
    let i = cluster(&fixture(AWS_NODE));
    let w: BTreeMap<&str, (u32, bool)> = i
        .scenario
        .workloads
        .iter()
        .map(|w| {
            let name = w
                .name
                .as_deref()
                .expect("a snapshot's workloads have names");
            (name, (w.replicas.expect("and replicas"), w.host_network))
        })
        .collect();
    // ReplicaSet web-7c9d8f6b5d (pod-template-hash 7c9d8f6b5d) → Deployment web: two
    // running and one pending in default; one web in staging, so both take their
    // namespace. The Succeeded Job pod and the Fargate pod are left out.
    let want: BTreeMap<&str, (u32, bool)> = [
        ("coredns", (2, false)),
        ("default-bare-pods", (1, false)),
        ("default-web", (3, false)),
        ("ingress-nginx-controller", (1, true)),
        ("redis", (1, false)),
        ("report-29012040", (1, false)),
        ("staging-web", (1, false)),
    ]
    .into_iter()
    .collect();
    assert_eq!(w, want);
    let ds: Vec<(&str, bool)> = i
        .scenario
        .daemonsets
        .iter()
        .map(|d| (d.name.as_str(), d.host_network))
        .collect();
    assert_eq!(
        ds,
        [
            ("aws-node", true),
            ("ebs-csi-node", false),
            ("kube-proxy", true)
        ]
    );
    // The scenario as written loads and keeps them.
    let sc = ipamsim::scenario::parse(&i.yaml, "imported.yaml").expect("valid");
    let replicas: u32 = sc
        .workloads
        .iter()
        .map(|w| w.steps.first().map_or(0, |step| step.1))
        .sum();
    // 2 + 1 + 3 + 1 + 1 + 1 + 1 = 10 pods.
    assert_eq!(replicas, 10);
}

#[test]
fn a_static_pods_mirror_is_a_daemonset() {
    // kube-proxy as a static pod: the mirror pod `kube-proxy-<node>`, owned by its Node.
    let dir = fresh_dir("import", "static");
    let mut doc: serde_json::Value = serde_json::from_str(&read(PODS)).unwrap();
    let node = "ip-10-0-12-34.us-west-2.compute.internal";
    let items = doc["items"].as_array_mut().unwrap();
    items.retain(|p| {
        p["metadata"]["name"]
            .as_str()
            .is_some_and(|n| !n.starts_with("kube-proxy"))
    });
    items.push(serde_json::json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": format!("kube-proxy-{node}"), "namespace": "kube-system",
                     "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": node,
                                          "controller": true}]},
        "spec": {"nodeName": node, "hostNetwork": true},
        "status": {"phase": "Running"}
    }));
    let p = dir.join("pods.json");
    std::fs::write(&p, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    let n = fixture(NODES);
    let i = import(&inputs(&n, None, None, Some(&p))).unwrap();
    let ds: Vec<&str> = i
        .scenario
        .daemonsets
        .iter()
        .map(|d| d.name.as_str())
        .collect();
    assert_eq!(ds, ["aws-node", "ebs-csi-node", "kube-proxy"]);
    assert!(!i
        .scenario
        .workloads
        .iter()
        .any(|w| w.name.as_deref().is_some_and(|n| n.contains("proxy"))));
}

#[test]
fn aws_node_and_kube_proxy_are_always_host_network_daemonsets() {
    let n = fixture(T3_NODES);
    let i = import(&inputs(&n, None, None, None)).unwrap();
    let ds: Vec<(&str, bool)> = i
        .scenario
        .daemonsets
        .iter()
        .map(|d| (d.name.as_str(), d.host_network))
        .collect();
    assert_eq!(ds, [("aws-node", true), ("kube-proxy", true)]);
    assert!(i.scenario.workloads.is_empty());
}

#[test]
fn karpenter_nodes_group_by_nodepool() {
    let i = cluster(&fixture(AWS_NODE));
    let g: Vec<(&str, &str, u32, &str, Option<u32>)> = i
        .scenario
        .nodegroups
        .iter()
        .map(|g| {
            (
                g.name.as_str(),
                g.instance_type.as_str(),
                g.count,
                g.subnet.as_str(),
                g.max_pods,
            )
        })
        .collect();
    // karpenter.sh/nodepool=default: one c6a.2xlarge in 10.0.32.0/19, allocatable pods 58;
    // eks.amazonaws.com/nodegroup=ng-general: two m5.large in 10.0.0.0/19, pods 29.
    assert_eq!(
        g,
        [
            (
                "default",
                "c6a.2xlarge",
                1,
                "eks-private-us-west-2b",
                Some(58)
            ),
            (
                "ng-general",
                "m5.large",
                2,
                "eks-private-us-west-2a",
                Some(29)
            ),
        ]
    );
    // The older Karpenter label names the group as well.
    let dir = fresh_dir("import", "provisioner");
    let nodes = edited(
        &dir,
        "nodes.json",
        &read(NODES),
        "\"karpenter.sh/nodepool\": \"default\"",
        "\"karpenter.sh/provisioner-name\": \"spot-pool\"",
    );
    let s = fixture(SUBNETS);
    let i = import(&inputs(&nodes, Some(&s), None, None)).unwrap();
    let names: Vec<&str> = i
        .scenario
        .nodegroups
        .iter()
        .map(|g| g.name.as_str())
        .collect();
    assert_eq!(names, ["ng-general", "spot-pool"]);
}

#[test]
fn fargate_nodes_and_their_pods_are_left_out_with_a_warning() {
    let i = cluster(&fixture(AWS_NODE));
    let nodes: u32 = i.scenario.nodegroups.iter().map(|g| g.count).sum();
    assert_eq!(nodes, 3, "4 nodes listed, one of them Fargate");
    assert!(!i
        .scenario
        .workloads
        .iter()
        .any(|w| w.name.as_deref().is_some_and(|n| n.contains("fargate"))));
    let warning = i
        .warnings
        .iter()
        .map(|w| w.warning_line())
        .find(|l| l.contains("Fargate"))
        .expect("a warning");
    assert!(warning.contains("items[2].metadata.labels"), "{warning}");
}

#[test]
fn same_inputs_give_the_same_bytes_whatever_the_order() {
    let a = cluster(&fixture(AWS_NODE)).yaml;
    let b = cluster(&fixture(AWS_NODE)).yaml;
    assert_eq!(a, b);
    // The same objects listed in reverse order give the same scenario.
    let dir = fresh_dir("import", "order");
    let reversed = |rel: &str, key: &str| {
        let mut doc: serde_json::Value = serde_json::from_str(&read(rel)).unwrap();
        doc[key].as_array_mut().unwrap().reverse();
        let p = dir.join(rel.replace('/', "-"));
        std::fs::write(&p, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
        p
    };
    let (n, s, p) = (
        reversed(NODES, "items"),
        reversed(SUBNETS, "Subnets"),
        reversed(PODS, "items"),
    );
    let m = fixture(AWS_NODE);
    let c = import(&inputs(&n, Some(&s), Some(&m), Some(&p)))
        .unwrap()
        .yaml;
    assert_eq!(a, c);
    // And the binary prints exactly the library's text.
    let o = ipamsim(&[
        "import",
        "--nodes",
        fixture(NODES).to_str().unwrap(),
        "--subnets",
        fixture(SUBNETS).to_str().unwrap(),
        "--pods",
        fixture(PODS).to_str().unwrap(),
        "--aws-node",
        m.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(String::from_utf8(o.stdout).unwrap(), a);
}

#[test]
fn an_unknown_instance_type_is_located_with_suggestions() {
    let dir = fresh_dir("import", "unknown-type");
    let text = read(T3_NODES);
    let nodes = edited(&dir, "nodes.json", &text, "\"t3.medium\"", "\"t3.medum\"");
    let o = ipamsim(&["import", "--nodes", nodes.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    // The value of the first node's node.kubernetes.io/instance-type label (the second
    // "t3.medium" of the file, after the beta label).
    let (line, col) = position_of(&text, "\"t3.medium\"", 1);
    let want = format!(
        "{}:{line}:{col}: items[0].metadata.labels[\"node.kubernetes.io/instance-type\"]: \
         unknown instance type \"t3.medum\" (not in the simulator's catalog of 1391 types); \
         did you mean t3.medium, m3.medium, t2.medium?",
        nodes.display()
    );
    assert!(err.lines().any(|l| l == want), "{err}");
    // Every node is reported, then the count; nothing on stdout.
    assert!(
        err.ends_with("import: 3 problems found; nothing was written\n"),
        "{err}"
    );
    assert!(o.stdout.is_empty());
}

#[test]
fn a_missing_field_is_named_by_its_json_path() {
    let dir = fresh_dir("import", "missing");
    let mut doc: serde_json::Value = serde_json::from_str(&read(T3_NODES)).unwrap();
    doc["items"][2]["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("labels");
    let p = dir.join("nodes.json");
    let text = serde_json::to_string_pretty(&doc).unwrap();
    std::fs::write(&p, &text).unwrap();
    let f = failed(import(&inputs(&p, None, None, None)));
    assert_eq!(f.errors.len(), 1);
    let d = &f.errors[0].diagnostic;
    assert_eq!(d.path, "items[2].metadata.labels");
    // Placed at the third node's `metadata` object: the value after its "metadata" key.
    let (line, col) = position_of(&text, "\"metadata\": {", 2);
    assert_eq!(d.location, Some((line, col + "\"metadata\": ".len())));

    // A subnet without its CIDR.
    let mut doc: serde_json::Value = serde_json::from_str(&read(T3_SUBNETS)).unwrap();
    doc["Subnets"][1]
        .as_object_mut()
        .unwrap()
        .remove("CidrBlock");
    let s = dir.join("subnets.json");
    std::fs::write(&s, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    let n = fixture(T3_NODES);
    let f = failed(import(&inputs(&n, Some(&s), None, None)));
    let paths: Vec<&str> = f
        .errors
        .iter()
        .map(|e| e.diagnostic.path.as_str())
        .collect();
    assert_eq!(paths, ["Subnets[1].CidrBlock"]);
}

#[test]
fn json_errors_carry_serde_json_line_and_column() {
    let dir = fresh_dir("import", "syntax");
    let text = read(T3_NODES);
    // Cut inside the first node's labels: EOF in the middle of a string.
    let cut = text.find("\"kubernetes.io/arch\"").unwrap() + 5;
    let p = dir.join("nodes.json");
    std::fs::write(&p, &text[..cut]).unwrap();
    let f = failed(import(&inputs(&p, None, None, None)));
    let d = &f.errors[0].diagnostic;
    let (line, col) = position_of(&text, "\"kubernetes.io/arch\"", 0);
    // serde_json stops at the end of the text: that line, 5 characters in (col + 4).
    assert_eq!(d.location, Some((line, col + 4)));
    assert!(
        d.message.starts_with("EOF while parsing a string"),
        "{}",
        d.message
    );

    // A list where kubectl prints one object: placed at its `[`.
    let list = dir.join("list.json");
    std::fs::write(&list, format!("\n  [{text}]")).unwrap();
    let f = failed(import(&inputs(&list, None, None, None)));
    let d = &f.errors[0].diagnostic;
    assert_eq!(d.location, Some((2, 3)));
    assert!(
        d.message.starts_with("expected a JSON object"),
        "{}",
        d.message
    );

    // A number where kubectl prints a quantity string: placed at the number, with its path.
    let q = edited(&dir, "q.json", &text, "\"pods\": \"17\"", "\"pods\": 17");
    let f = failed(import(&inputs(&q, None, None, None)));
    let d = &f.errors[0].diagnostic;
    let edited_text = std::fs::read_to_string(&q).unwrap();
    let (line, col) = position_of(&edited_text, "\"pods\": 17", 0);
    assert_eq!(d.path, "items[0].status.capacity.pods");
    assert_eq!(d.location, Some((line, col + "\"pods\": ".len())));
    assert_eq!(d.message, "invalid type: integer `17`, expected a string");
}

#[test]
fn a_node_outside_every_subnet_and_other_inputs_are_errors() {
    let dir = fresh_dir("import", "outside");
    let nodes = edited(&dir, "n.json", &read(T3_NODES), "10.0.3.30", "10.9.3.30");
    let s = fixture(T3_SUBNETS);
    let f = failed(import(&inputs(&nodes, Some(&s), None, None)));
    assert_eq!(f.errors.len(), 1);
    let e = &f.errors[0];
    assert_eq!(e.diagnostic.path, "items[2].status.addresses[0].address");
    assert!(e
        .diagnostic
        .message
        .contains("10.9.3.30 is in none of the 4 subnets"));

    // Every node outside the subnets: one problem each, and nothing built from them.
    let cluster_subnets = fixture(SUBNETS);
    let moved = edited(&dir, "m.json", &read(T3_NODES), "\"10.0.", "\"10.7.");
    let f = failed(import(&inputs(&moved, Some(&cluster_subnets), None, None)));
    assert_eq!(f.errors.len(), 3);

    // A node without an IPv4 InternalIP, and a subnet whose free count does not fit: a /24
    // has 256 − 5 = 251 usable addresses, so 252 available is impossible.
    let no_ip = edited(
        &dir,
        "no-ip.json",
        &read(T3_NODES),
        "\"InternalIP\"",
        "\"ExternalIP\"",
    );
    let too_many = edited(
        &dir,
        "s.json",
        &read(T3_SUBNETS),
        "\"AvailableIpAddressCount\": 245",
        "\"AvailableIpAddressCount\": 252",
    );
    let f = failed(import(&inputs(&no_ip, Some(&too_many), None, None)));
    let paths: Vec<&str> = f
        .errors
        .iter()
        .map(|e| e.diagnostic.path.as_str())
        .collect();
    assert_eq!(
        paths,
        [
            "items[0].status.addresses",
            "items[1].status.addresses",
            "items[2].status.addresses",
            "Subnets[1].AvailableIpAddressCount",
        ]
    );
    assert!(f.errors[3].diagnostic.message.contains("which has 251"));

    // Pods given as nodes: one problem, not one per pod.
    let p = fixture(PODS);
    let f = failed(import(&inputs(&p, None, None, None)));
    assert_eq!(f.errors.len(), 1);
    assert!(f.errors[0]
        .diagnostic
        .message
        .contains("(and 20 more items"));

    // A missing file: exit 2, the file named.
    let o = ipamsim(&["import", "--nodes", "no/such/nodes.json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).starts_with("no/such/nodes.json: cannot read file: "));
}

#[test]
fn aws_node_problems_and_warnings_are_placed_in_the_manifest() {
    let n = fixture(T3_NODES);
    let m = fixture(AWS_NODE);
    let i = import(&inputs(&n, None, Some(&m), None)).unwrap();
    // The manifest's ignored variables: 16 (docs/scenario-input.md), each at its `name`.
    let from_manifest: Vec<_> = i
        .warnings
        .iter()
        .filter(|w| w.file.ends_with(".yaml"))
        .collect();
    assert_eq!(from_manifest.len(), 16);
    let text = read(AWS_NODE);
    let (line, col) = position_of(&text, "ADDITIONAL_ENI_TAGS", 0);
    assert_eq!(from_manifest[0].diagnostic.location, Some((line, col)));
    assert_eq!(from_manifest[0].diagnostic.path, "ADDITIONAL_ENI_TAGS");

    let dir = fresh_dir("import", "bad-manifest");
    let bad = edited(
        &dir,
        "aws-node.yaml",
        &text,
        "- name: WARM_ENI_TARGET\n          value: \"1\"",
        "- name: WARM_ENI_TARGET\n          value: \"one\"",
    );
    let f = failed(import(&inputs(&n, None, Some(&bad), None)));
    assert_eq!(f.errors.len(), 1);
    let d = &f.errors[0].diagnostic;
    let bad_text = std::fs::read_to_string(&bad).unwrap();
    // Placed at the variable's name, as a scenario's problems are placed at their key.
    let (line, col) = position_of(&bad_text, "WARM_ENI_TARGET", 0);
    assert_eq!(
        (d.path.as_str(), d.location),
        ("WARM_ENI_TARGET", Some((line, col)))
    );
    assert!(
        d.message.starts_with("\"one\" is not an integer"),
        "{}",
        d.message
    );

    // Custom networking needs ENIConfigs, which are not imported: off, with a warning.
    let custom = edited(
        &dir,
        "custom.yaml",
        &text,
        "- name: AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG\n          value: \"false\"",
        "- name: AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG\n          value: \"true\"",
    );
    let i = import(&inputs(&n, None, Some(&custom), None)).unwrap();
    assert!(!i.scenario.cni.custom_network_cfg);
    assert!(i
        .warnings
        .iter()
        .any(|w| w.diagnostic.path == "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG"));
}

#[test]
fn without_subnets_each_slash16_of_the_nodes_is_one_subnet() {
    let dir = fresh_dir("import", "no-subnets");
    let nodes = edited(&dir, "n.json", &read(T3_NODES), "10.0.3.30", "10.1.3.30");
    let i = import(&inputs(&nodes, None, None, None)).unwrap();
    let s: Vec<(&str, &str, Option<u32>)> = i
        .scenario
        .subnets
        .iter()
        .map(|s| (s.name.as_str(), s.cidr.as_str(), s.used))
        .collect();
    // 10.0.1.10 and 10.0.2.20 share 10.0.0.0/16; 10.1.3.30 is in 10.1.0.0/16.
    assert_eq!(
        s,
        [
            ("assumed-10.0.0.0/16", "10.0.0.0/16", None),
            ("assumed-10.1.0.0/16", "10.1.0.0/16", None),
        ]
    );
    let counts: Vec<u32> = i.scenario.nodegroups.iter().map(|g| g.count).collect();
    assert_eq!(counts, [2, 1]);
    assert!(i
        .warnings
        .iter()
        .any(|w| w.diagnostic.message.starts_with("no --subnets: assumed")));
}

#[test]
fn out_is_written_whole_or_not_at_all() {
    let dir = fresh_dir("import", "out");
    let target = dir.join("sub/cluster.yaml");
    let n = fixture(T3_NODES);
    let o = ipamsim(&[
        "import",
        "--nodes",
        n.to_str().unwrap(),
        "--out",
        target.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let first = std::fs::read_to_string(&target).unwrap();
    assert_eq!(
        String::from_utf8(o.stdout).unwrap(),
        format!(
            "{}: imported 3 nodes in 1 nodegroup, 1 subnet, 2 DaemonSets, 0 workloads (0 pods)\n",
            target.display()
        )
    );
    // Invalid input: exit 2, the earlier file untouched, no temporary file left.
    let bad = edited(
        &dir,
        "bad.json",
        &read(T3_NODES),
        "\"t3.medium\"",
        "\"t3.huge\"",
    );
    let o = ipamsim(&[
        "import",
        "--nodes",
        bad.to_str().unwrap(),
        "--out",
        target.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), first);
    let names: Vec<String> = std::fs::read_dir(dir.join("sub"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, ["cluster.yaml"]);
    // A directory is not a file: exit 2.
    let o = ipamsim(&[
        "import",
        "--nodes",
        n.to_str().unwrap(),
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
}

/// N1: `import --out` writes only what is ours: a symbolic link (even to /dev/null), a FIFO
/// (not a regular file) and one of the import's own inputs are refused with exit 2 and left
/// as they were; a regular file is replaced.
#[test]
fn import_out_refuses_links_special_files_and_its_own_input() {
    let dir = fresh_dir("import", "out-targets");
    let nodes = dir.join("nodes.json");
    std::fs::copy(fixture("import/cluster/nodes.json"), &nodes).unwrap();
    let before = std::fs::read(&nodes).unwrap();
    let link = dir.join("link.yaml");
    std::os::unix::fs::symlink("/dev/null", &link).unwrap();
    let fifo = dir.join("fifo.yaml");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    let s = |p: &Path| p.to_str().unwrap().to_string();
    let mut cases = vec![
        (link.clone(), "is a symbolic link"),
        (nodes.clone(), "is also an input"),
    ];
    if made.is_ok_and(|st| st.success()) {
        cases.push((fifo.clone(), "is not a regular file"));
    }
    for (target, phrase) in cases {
        let o = ipamsim(&["import", "--nodes", &s(&nodes), "--out", &s(&target)]);
        assert_eq!(o.status.code(), Some(2), "{}", target.display());
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(phrase), "{err}");
    }
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(std::fs::read(&nodes).unwrap(), before);
    // a regular file is ours to replace
    let plain = dir.join("cluster.yaml");
    std::fs::write(&plain, "old").unwrap();
    let o = ipamsim(&["import", "--nodes", &s(&nodes), "--out", &s(&plain)]);
    assert_eq!(o.status.code(), Some(0));
    assert!(std::fs::read_to_string(&plain)
        .unwrap()
        .contains("nodegroups:"));
}
