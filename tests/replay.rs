//! `ipamsim import` replays and `ipamsim check`: the fixtures of tests/fixtures/import/replay/
//! (a managed nodegroup's scale-out, a Karpenter launch, DaemonSets, a Job whose pods end and
//! are deleted, a bare pod, address-failure events), and a round trip: a run, written out as
//! kubectl would have recorded it, imported, run again and checked against itself.

use crate::common;

use common::{fresh_dir, ipamsim};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import/replay")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn ok(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Imports the fixture's three pod files into `dir/cluster.yaml`.
fn import_fixture(dir: &Path) -> std::process::Output {
    let out = dir.join("cluster.yaml");
    ipamsim(&[
        "import",
        "--nodes",
        &fixture("nodes.json"),
        "--subnets",
        &fixture("subnets.json"),
        "--pods",
        &fixture("pods-before.json"),
        &fixture("pods-watch.json"),
        &fixture("pods-after.json"),
        "--events",
        &fixture("events.json"),
        "--since",
        "2026-08-01T12:00:00Z",
        "--out",
        out.to_str().unwrap(),
    ])
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn a_scale_out_history_becomes_launches_and_traces() {
    let dir = fresh_dir("replay", "fixture");
    let out = import_fixture(&dir);
    ok(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // the multi-NIC pod is the one warning, placed in the watch stream's 84th document
    assert!(
        stderr.contains("pods-watch.json:")
            && stderr.contains(": warning: [83].object.metadata.annotations[\"k8s.amazonaws.com/nicConfig\"]: pod default/debug-shell"),
        "{stderr}"
    );
    let yaml = read(&dir.join("cluster.yaml"));
    let sc: serde_yaml::Value = serde_yaml::from_str(&yaml).unwrap();
    // window 12:00:00 (--since) → 12:03:40 (debug-shell's deletion, the last change) = 220 s,
    // plus the 120 s tail
    assert_eq!(sc["duration"], "340s");
    let groups = sc["nodegroups"].as_sequence().unwrap();
    let group = |name: &str| groups.iter().find(|g| g["name"] == name).unwrap().clone();
    let ng = group("ng-general");
    // the two nodes of 10:00:40 are there at t = 0; those created at 12:01:30 and :31 join.
    // The Cluster Autoscaler decided at 12:01:05: provision 25 s and 26 s, the group's
    // (lower) median 25 s, so launches at 90 − 25 = 65 s and 91 − 25 = 66 s
    assert_eq!(ng["count"], 2);
    assert_eq!(ng["max_pods"], 12);
    let launches: Vec<(String, u64, String)> = ng["launch"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|l| {
            let at = l["at"].as_str().unwrap().to_string();
            let provision = l["provision_time"].as_str().unwrap().to_string();
            (at, l["count"].as_u64().unwrap(), provision)
        })
        .collect();
    let want = |at: &str| (at.to_string(), 1, "25s".to_string());
    assert_eq!(launches, [want("65s"), want("66s")]);
    // Ready 40 s and 44 s after creation: the lower median of the two is 40 s
    assert_eq!(ng["aws_node_start"], "40s");
    // Karpenter's c6a.2xlarge: nominated at 12:01:12, created 12:02:00 → provision 48 s,
    // launched at 120 − 48 = 72 s; Ready 30 s after creation
    let k = group("default");
    assert_eq!(k["count"], 0);
    assert_eq!(k["instance_type"], "c6a.2xlarge");
    assert_eq!(k["launch"][0]["at"], "72s");
    assert_eq!(k["launch"][0]["provision_time"], "48s");
    assert_eq!(k["aws_node_start"], "30s");
    // without the events, 60 s is assumed: launches at 30 s, 31 s and 60 s
    let plain = dir.join("plain.yaml");
    ok(&ipamsim(&[
        "import",
        "--nodes",
        &fixture("nodes.json"),
        "--pods",
        &fixture("pods-after.json"),
        "--since",
        "2026-08-01T12:00:00Z",
        "--out",
        plain.to_str().unwrap(),
    ]));
    let plain = read(&plain);
    let ng_launches = "  - at: 30s\n    count: 1\n    provision_time: 60s\n  - at: 31s\n";
    assert!(plain.contains(ng_launches), "{plain}");
    assert!(
        plain.contains("  - at: 60s\n    count: 1\n    provision_time: 60s\n"),
        "{plain}"
    );
    let traces: Vec<&str> = sc["workloads"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|w| w["trace"].as_str().unwrap())
        .collect();
    assert_eq!(
        traces,
        [
            "traces/coredns.csv",
            "traces/default-bare-pods.csv",
            "traces/report-29012040.csv",
            "traces/web.csv"
        ]
    );
    // the Job's pods: created 12:00:30, ended when their containers finished (12:01:10,
    // :15, :20), before their deletion at 12:04:00
    assert_eq!(
        read(&dir.join("traces/report-29012040.csv")),
        "time_s,action,pod,workload\n\
         30.000,create,report-29012040-p3n7d,report-29012040\n\
         30.000,create,report-29012040-t6w1z,report-29012040\n\
         30.000,create,report-29012040-x8k2q,report-29012040\n\
         70.000,delete,report-29012040-x8k2q,report-29012040\n\
         75.000,delete,report-29012040-p3n7d,report-29012040\n\
         80.000,delete,report-29012040-t6w1z,report-29012040\n"
    );
    // web: 4 pods at 5 s, 36 more at 60 s, none deleted
    let web = read(&dir.join("traces/web.csv"));
    assert_eq!(
        web.lines()
            .filter(|l| l.starts_with("5.000,create"))
            .count(),
        4
    );
    assert_eq!(
        web.lines()
            .filter(|l| l.starts_with("60.000,create"))
            .count(),
        36
    );
    assert!(!web.contains("delete"));
    // coredns, created at 10:01 (before --since), is there from t = 0
    assert!(read(&dir.join("traces/coredns.csv"))
        .contains("0.000,create,coredns-5b8c9d7f6c-h4x2p,coredns"));
    // DaemonSet pods are not in traces: the scenario's DaemonSets run on every node
    assert!(!web.contains("aws-node"));
    // the scenario validates and runs, with the traces beside it
    ok(&ipamsim(&[
        "validate",
        dir.join("cluster.yaml").to_str().unwrap(),
    ]));
}

#[test]
fn the_same_history_imports_to_the_same_bytes() {
    let a = fresh_dir("replay", "same-a");
    let b = fresh_dir("replay", "same-b");
    ok(&import_fixture(&a));
    ok(&import_fixture(&b));
    for f in [
        "cluster.yaml",
        "traces/web.csv",
        "traces/coredns.csv",
        "traces/report-29012040.csv",
        "traces/default-bare-pods.csv",
    ] {
        assert_eq!(
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
            "{f}"
        );
    }
}

#[test]
fn check_reads_the_fixture_events_and_names_unexplained_pods() {
    let dir = fresh_dir("replay", "check-fixture");
    ok(&import_fixture(&dir));
    let run = dir.join("run");
    ok(&ipamsim(&[
        "run",
        dir.join("cluster.yaml").to_str().unwrap(),
        "--out",
        run.to_str().unwrap(),
        "-q",
    ]));
    let out = ipamsim(&[
        "check",
        run.to_str().unwrap(),
        "--observed",
        &fixture("pods-before.json"),
        &fixture("pods-watch.json"),
        &fixture("pods-after.json"),
        "--events",
        &fixture("events.json"),
        "--format",
        "json",
    ]);
    let v: Value = serde_json::from_str(&ok(&out)).unwrap();
    // 40 web + 3 Job + 2 coredns + 1 bare pod are shared; DaemonSet pods are not compared
    assert_eq!(v["matched"]["compared"], 46);
    // the run's DaemonSet pods (`<daemonset>-<node>`) are no pods of the cluster's
    assert_eq!(v["matched"]["simulated_only"], 0);
    assert_eq!(v["all"]["pods"], 46);
    assert_eq!(v["workloads"]["web"]["pods"], 40);
    // two FailedCreatePodSandBox events for lack of an address, 3 failures each; the
    // scaling event is not one
    let f = &v["address_failures"]["observed"];
    assert_eq!(
        (f["events"].as_u64(), f["failures"].as_u64()),
        (Some(2), Some(6))
    );
    assert_eq!(f["first"], "2026-08-01T12:02:02Z");
    assert_eq!(f["last"], "2026-08-01T12:02:23Z");
    // observed web p99: the Karpenter node's pods, created 12:01:00, sandbox at 12:02:32 = 92 s
    assert_eq!(v["workloads"]["web"]["observed"]["p99"], 92.0);
    // every unexplained pod comes with its story's command
    for u in v["unexplained"].as_array().unwrap() {
        let pod = u["pod"].as_str().unwrap();
        assert!(u["explain"]
            .as_str()
            .unwrap()
            .ends_with(&format!("--pod {pod}")));
        assert!(u["observed_s"].as_f64().unwrap() > u["simulated_s"].as_f64().unwrap() + 10.0);
    }
}

// ---- the round trip ----------------------------------------------------------------

/// A scale-out with a launch and a scale-in: 2 m5.large with 12 workload slots each (max
/// pods 14, two host-network DaemonSets); web has 10 pods at 10 s and goes to 40 at 90 s, so
/// 16 pods wait for the two nodes launched at 60 s (Ready about 125 s); back to 20 at 240 s
/// (20 deletions). The first pods come once both nodes are Ready: at t = 0 which node's
/// init ends first is a draw of the seed, and the run and its replay draw differently.
const ROUND_TRIP: &str = "\
duration: 6m
subnets:
  - {name: a, cidr: 10.0.0.0/16}
nodegroups:
  - name: ng
    instance_type: m5.large
    count: 2
    subnet: a
    max_pods: 14
    launch:
      - {at: 60s, count: 2}
daemonsets:
  - {name: aws-node, host_network: true}
  - {name: kube-proxy, host_network: true}
workloads:
  - name: web
    steps:
      - {at: 10s, replicas: 10}
      - {at: 90s, replicas: 40}
      - {at: 240s, replicas: 20}
";

/// `ms` after 2026-08-01T12:00:00Z as kubectl prints a metav1.Time (whole seconds, rounded
/// down).
fn stamp(ms: u64) -> String {
    let s = 12 * 3600 + ms / 1000;
    format!(
        "2026-08-01T{:02}:{:02}:{:02}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

fn ms(cell: &str) -> Option<u64> {
    (!cell.is_empty()).then(|| (cell.parse::<f64>().unwrap() * 1000.0).round() as u64)
}

/// Rows of a run's CSV as maps by column.
fn rows(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            header
                .iter()
                .zip(rec.iter())
                .map(|(h, c)| (h.to_string(), c.to_string()))
                .collect()
        })
        .collect()
}

/// What kubectl would have recorded of run `run`: the nodes (created when registered,
/// Ready when init finished) and one List of every pod (deleted ones with their
/// deletionTimestamp); `late` adds 120 s to the sandbox time of the pods it names.
fn kubectl_of(run: &Path, late: &BTreeSet<String>) -> (Value, Value) {
    let events = rows(&run.join("events.csv"));
    let mut registered: BTreeMap<String, u64> = BTreeMap::new();
    let mut ready: BTreeMap<String, u64> = BTreeMap::new();
    for e in &events {
        match e["kind"].as_str() {
            "ipamd_start" if e["time_s"] == "0.000" => {
                registered.insert(e["node"].clone(), 0);
            }
            "node_registered" => {
                registered.insert(e["node"].clone(), ms(&e["time_s"]).unwrap());
            }
            "node_ready" => {
                ready
                    .entry(e["node"].clone())
                    .or_insert(ms(&e["time_s"]).unwrap());
            }
            _ => {}
        }
    }
    let nodes: Vec<Value> = registered
        .iter()
        .enumerate()
        .map(|(k, (name, at))| {
            json!({
                "apiVersion": "v1", "kind": "Node",
                "metadata": {
                    "name": name, "uid": format!("node-{k}"), "creationTimestamp": stamp(*at),
                    "labels": {
                        "eks.amazonaws.com/nodegroup": "ng",
                        "node.kubernetes.io/instance-type": "m5.large",
                        "topology.kubernetes.io/zone": "us-west-2a"
                    }
                },
                "status": {
                    "addresses": [{"type": "InternalIP", "address": format!("10.0.{}.10", k + 1)}],
                    "allocatable": {"pods": "14"},
                    "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": stamp(ready[name])}]
                }
            })
        })
        .collect();
    let mut pods = Vec::new();
    for (k, p) in rows(&run.join("pods.csv")).iter().enumerate() {
        let created = ms(&p["created_s"]).unwrap();
        let daemonset = p["workload"] != "web";
        let owner = if daemonset {
            json!({"kind": "DaemonSet", "name": p["workload"], "controller": true})
        } else {
            json!({"kind": "ReplicaSet", "name": "web-5f6d7c8b9a", "controller": true})
        };
        let mut conditions = Vec::new();
        if let Some(s) = ms(&p["scheduled_s"]) {
            conditions.push(
                json!({"type": "PodScheduled", "status": "True", "lastTransitionTime": stamp(s)}),
            );
        }
        if let Some(ip) = ms(&p["ip_assigned_s"]) {
            let shift = if late.contains(&p["pod"]) { 120_000 } else { 0 };
            conditions.push(json!({"type": "PodReadyToStartContainers", "status": "True", "lastTransitionTime": stamp(ip + shift)}));
        }
        let mut metadata = json!({
            "name": p["pod"], "namespace": "default", "uid": format!("pod-{k}"),
            "creationTimestamp": stamp(created),
            "labels": {"pod-template-hash": "5f6d7c8b9a"},
            "ownerReferences": [owner]
        });
        if let Some(d) = ms(&p["deleted_s"]) {
            metadata["deletionTimestamp"] = json!(stamp(d));
        }
        pods.push(json!({
            "apiVersion": "v1", "kind": "Pod", "metadata": metadata,
            "spec": {"nodeName": p["node"], "hostNetwork": p["host_network"] == "true"},
            "status": {"phase": "Running", "conditions": conditions}
        }));
    }
    let list = |items: Vec<Value>| json!({"apiVersion": "v1", "kind": "List", "items": items, "metadata": {"resourceVersion": ""}});
    (list(nodes), list(pods))
}

fn write_json(path: &Path, v: &Value) -> String {
    std::fs::write(path, serde_json::to_vec_pretty(v).unwrap()).unwrap();
    path.to_string_lossy().into_owned()
}

/// Runs the round-trip scenario, records it as kubectl would (with `late` pods' sandboxes
/// 120 s later), imports it with `--replay`, runs the import; returns (the second run, the
/// observed pods file, the web pods).
fn round_trip(
    tag: &str,
    late: impl Fn(&[String]) -> BTreeSet<String>,
) -> (PathBuf, String, BTreeSet<String>) {
    let dir = fresh_dir("replay", tag);
    let scenario = dir.join("s.yaml");
    std::fs::write(&scenario, ROUND_TRIP).unwrap();
    let first = dir.join("first");
    ok(&ipamsim(&[
        "run",
        scenario.to_str().unwrap(),
        "--out",
        first.to_str().unwrap(),
        "-q",
    ]));
    let mut web: Vec<String> = rows(&first.join("pods.csv"))
        .into_iter()
        .filter(|p| p["workload"] == "web")
        .map(|p| p["pod"].clone())
        .collect();
    web.sort();
    let late = late(&web);
    let (nodes, pods) = kubectl_of(&first, &late);
    let nodes = write_json(&dir.join("nodes.json"), &nodes);
    let pods = write_json(&dir.join("pods.json"), &pods);
    let imported = dir.join("replay/cluster.yaml");
    ok(&ipamsim(&[
        "import",
        "--nodes",
        &nodes,
        "--pods",
        &pods,
        "--replay",
        "--out",
        imported.to_str().unwrap(),
    ]));
    let second = dir.join("second");
    ok(&ipamsim(&[
        "run",
        imported.to_str().unwrap(),
        "--out",
        second.to_str().unwrap(),
        "-q",
    ]));
    (second, pods, web.into_iter().collect())
}

fn check_json(run: &Path, pods: &str, extra: &[&str]) -> (Option<i32>, Value) {
    let mut args = vec![
        "check",
        run.to_str().unwrap(),
        "--observed",
        pods,
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    let out = ipamsim(&args);
    let v = serde_json::from_str(&String::from_utf8_lossy(&out.stdout))
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code(), v)
}

#[test]
fn a_run_recorded_imported_and_run_again_agrees_with_itself() {
    let (second, pods, web) = round_trip("round-trip", |_| BTreeSet::new());
    let (code, v) = check_json(&second, &pods, &[]);
    assert_eq!(code, Some(0));
    // every web pod of the first run (10 + 30 created; the scale-in deletes, it creates
    // none) is in the replay under its own name, and started in both
    assert_eq!(web.len(), 40);
    assert_eq!(v["matched"]["compared"], 40);
    assert_eq!(v["matched"]["observed_only"], 0);
    assert_eq!(v["matched"]["simulated_only"], 0);
    // agreement within the stated margin (10 s): no pod unexplained, and p50 and p90 of
    // the replay within 10 s of the recorded ones (the recording rounds times down to whole
    // seconds; the replay's node start is the median, its EC2 latencies its own draws).
    // p99 of 40 pods is their maximum, the one pod whose ENI came last in either run: it
    // follows one draw of each run, and is held to two margins (20 s)
    assert_eq!(v["all"]["unexplained"], json!([]));
    for group in [&v["all"], &v["workloads"]["web"]] {
        for (p, margin) in [("p50", 10.0), ("p90", 10.0), ("p99", 20.0)] {
            let o = group["observed"][p].as_f64().unwrap();
            let s = group["simulated"][p].as_f64().unwrap();
            assert!(
                (o - s).abs() <= margin,
                "{p}: observed {o} s, simulated {s} s"
            );
        }
    }
}

#[test]
fn pods_started_two_minutes_late_are_unexplained_and_miss_the_tolerance() {
    // every second web pod (by name) got its sandbox 120 s later than the model says
    let (second, pods, _) = round_trip("late", |web| web.iter().step_by(2).cloned().collect());
    let late: BTreeSet<String> = rows(&second.join("pods.csv"))
        .into_iter()
        .filter(|p| p["workload"] == "web")
        .map(|p| p["pod"].clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .step_by(2)
        .collect();
    let (code, v) = check_json(&second, &pods, &["--tolerance", "20"]);
    // 120 s late is far beyond the 10 s margin: exactly those 20 pods are unexplained
    let unexplained: BTreeSet<String> = v["workloads"]["web"]["unexplained"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect();
    assert_eq!(unexplained.len(), 20);
    assert_eq!(unexplained, late);
    // half the pods 120 s late moves p90 and p99 by about 120 s: outside 20 %, exit 3
    assert_eq!(code, Some(3));
    assert_eq!(v["within_tolerance"], false);
    let outside = v["all"]["outside_tolerance"].as_array().unwrap();
    assert!(
        outside.contains(&json!("p90")) && outside.contains(&json!("p99")),
        "{outside:?}"
    );
}

// ---- bad inputs ----------------------------------------------------------------------

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Two watch events; the second pod's creationTimestamp is `created`.
fn watch_text(created: &str) -> String {
    format!(
        "{{\"type\": \"ADDED\", \"object\": {{\"kind\": \"Pod\", \"metadata\": {{\"name\": \"a\", \
         \"uid\": \"1\", \"creationTimestamp\": \"2026-08-01T12:00:00Z\"}}}}}}\n\
         {{\"type\": \"ADDED\",\n \"object\": {{\"kind\": \"Pod\", \"metadata\": {{\"name\": \"b\", \
         \"uid\": \"2\",\n  \"creationTimestamp\": {created}}}}}}}\n"
    )
}

#[test]
fn bad_timestamps_and_broken_streams_are_located_and_nothing_is_written() {
    let dir = fresh_dir("replay", "bad");
    let out = dir.join("cluster.yaml");
    let import = |pods: &Path| {
        ipamsim(&[
            "import",
            "--nodes",
            &fixture("nodes.json"),
            "--pods",
            pods.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
    };
    let bad = dir.join("bad-time.json");
    std::fs::write(&bad, watch_text("\"yesterday\"")).unwrap();
    let o = import(&bad);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr_of(&o);
    // document 2 ([1]) of the stream, on the file's fourth line after two blanks and
    // `"creationTimestamp": ` (19 + 2 characters): column 24
    assert!(
        e.contains("bad-time.json:4:24: [1].object.metadata.creationTimestamp: \"yesterday\" is not a timestamp such as \"2024-05-01T10:00:00Z\""),
        "{e}"
    );
    assert!(e.contains("nothing was written"), "{e}");
    // a number where a timestamp goes: serde's type error, at the value
    std::fs::write(&bad, watch_text("17")).unwrap();
    let e = stderr_of(&import(&bad));
    assert!(e.contains("bad-time.json:4:24: [1].object.metadata.creationTimestamp: invalid type: integer `17`, expected a string"), "{e}");
    // a stream cut in its second document
    let text = watch_text("\"2026-08-01T12:00:01Z\"");
    std::fs::write(&bad, &text[..text.len() - 10]).unwrap();
    let o = import(&bad);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr_of(&o).contains("the file ends before the JSON document does"),
        "{}",
        stderr_of(&o)
    );
    assert!(!out.exists() && !dir.join("traces").exists());
    // a replay goes to a file, with its traces beside it
    std::fs::write(&bad, watch_text("\"2026-08-01T12:00:01Z\"")).unwrap();
    let o = ipamsim(&[
        "import",
        "--nodes",
        &fixture("nodes.json"),
        "--pods",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr_of(&o).contains("give --out FILE"),
        "{}",
        stderr_of(&o)
    );
}

#[test]
fn check_refuses_a_missing_run_and_a_broken_observation() {
    let dir = fresh_dir("replay", "check-bad");
    let o = ipamsim(&[
        "check",
        dir.join("nothing").to_str().unwrap(),
        "--observed",
        &fixture("pods-after.json"),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr_of(&o).contains("no such directory"),
        "{}",
        stderr_of(&o)
    );
    // a real run, and an observation with a bad time in its second document
    ok(&import_fixture(&dir));
    let run = dir.join("run");
    ok(&ipamsim(&[
        "run",
        dir.join("cluster.yaml").to_str().unwrap(),
        "--out",
        run.to_str().unwrap(),
        "-q",
    ]));
    let bad = dir.join("bad.json");
    std::fs::write(&bad, watch_text("\"2026-08-01 12:00\"")).unwrap();
    let o = ipamsim(&[
        "check",
        run.to_str().unwrap(),
        "--observed",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr_of(&o);
    assert!(
        e.contains("bad.json:4:24: [1].object.metadata.creationTimestamp:"),
        "{e}"
    );
    assert!(o.stdout.is_empty());
    let o = ipamsim(&[
        "check",
        run.to_str().unwrap(),
        "--observed",
        &fixture("pods-after.json"),
        "--tolerance",
        "-5",
    ]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn one_list_counts_replicas_and_a_stream_or_replay_flag_replays() {
    let dir = fresh_dir("replay", "modes");
    let nodes = fixture("nodes.json");
    // one List: replicas from t = 0, printed (no --out needed): the 40 web pods of 12:05
    let out = ipamsim(&[
        "import",
        "--nodes",
        &nodes,
        "--pods",
        &fixture("pods-after.json"),
    ]);
    let yaml = ok(&out);
    assert!(yaml.contains("- name: web\n  replicas: 40\n"), "{yaml}");
    assert!(!yaml.contains("trace:"));
    // the same List with --replay is a replay, which needs --out
    let o = ipamsim(&[
        "import",
        "--nodes",
        &nodes,
        "--pods",
        &fixture("pods-after.json"),
        "--replay",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr_of(&o).contains("give --out FILE"));
    // a watch stream alone replays
    let scenario = dir.join("watch.yaml");
    ok(&ipamsim(&[
        "import",
        "--nodes",
        &nodes,
        "--pods",
        &fixture("pods-watch.json"),
        "--out",
        scenario.to_str().unwrap(),
    ]));
    assert!(read(&scenario).contains("- trace: traces/web.csv"));
    // a List cut short is still read as a List: its own error, not a request for --out
    let cut = dir.join("cut.json");
    let text = read(Path::new(&fixture("pods-after.json")));
    std::fs::write(&cut, &text[..text.len() / 2]).unwrap();
    let o = ipamsim(&["import", "--nodes", &nodes, "--pods", cut.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr_of(&o);
    assert!(
        e.contains("the file ends before the JSON document does") && !e.contains("--out"),
        "{e}"
    );
}

#[test]
fn a_watch_stream_with_or_without_watch_events_replays_the_same() {
    // the fixture's stream without --output-watch-events: each event's object alone
    let dir = fresh_dir("replay", "bare");
    let events = read(Path::new(&fixture("pods-watch.json")));
    let mut bare = String::new();
    for ev in serde_json::Deserializer::from_str(&events).into_iter::<Value>() {
        let ev = ev.unwrap();
        bare.push_str(&serde_json::to_string_pretty(&ev["object"]).unwrap());
        bare.push('\n');
    }
    let bare_file = dir.join("pods-watch-bare.json");
    std::fs::write(&bare_file, bare).unwrap();
    let import = |watch: &str, out: &Path| {
        ok(&ipamsim(&[
            "import",
            "--nodes",
            &fixture("nodes.json"),
            "--pods",
            &fixture("pods-before.json"),
            watch,
            &fixture("pods-after.json"),
            "--since",
            "2026-08-01T12:00:00Z",
            "--out",
            out.to_str().unwrap(),
        ]))
    };
    let (a, b) = (dir.join("a/cluster.yaml"), dir.join("b/cluster.yaml"));
    import(&fixture("pods-watch.json"), &a);
    import(bare_file.to_str().unwrap(), &b);
    // every pod that goes away says when: the Job's pods finish (finishedAt), the bare pod
    // carries its deletionTimestamp; a DELETED event adds nothing here
    for f in [
        "cluster.yaml",
        "traces/web.csv",
        "traces/report-29012040.csv",
        "traces/default-bare-pods.csv",
    ] {
        let (x, y) = (a.with_file_name(f), b.with_file_name(f));
        assert_eq!(read(&x), read(&y), "{f}");
    }
}

/// A watch stream of two pods of Deployment `api` created at 12:00:00 and :05, the second
/// with the branch ENI annotation of security groups for pods.
fn pod_eni_stream() -> String {
    let pod = |name: &str, at: &str, eni: bool| {
        let mut p = json!({
            "kind": "Pod",
            "metadata": {
                "name": name, "namespace": "shop", "uid": name, "creationTimestamp": at,
                "labels": {"pod-template-hash": "7d9f"},
                "ownerReferences": [{"kind": "ReplicaSet", "name": "api-7d9f", "controller": true}]
            },
            "spec": {"containers": [{"name": "api", "image": "api:1"}]}
        });
        if eni {
            p["metadata"]["annotations"] = json!({
                "vpc.amazonaws.com/pod-eni": "[{\"eniId\":\"eni-0a1b\",\"ifAddress\":\"02:42:ac:11:00:02\",\"privateIp\":\"10.0.13.9\",\"vlanId\":1,\"subnetCidr\":\"10.0.0.0/19\"}]"
            });
        }
        json!({"type": "ADDED", "object": p}).to_string()
    };
    format!(
        "{}\n{}\n",
        pod("api-7d9f-a1", "2026-08-01T12:00:00Z", false),
        pod("api-7d9f-b2", "2026-08-01T12:00:05Z", true)
    )
}

#[test]
fn branch_eni_pods_keep_security_groups_when_the_cni_has_them() {
    let dir = fresh_dir("replay", "pod-eni");
    let stream = dir.join("pods.json");
    std::fs::write(&stream, pod_eni_stream()).unwrap();
    let on = aws_node_with(&dir, "ENABLE_POD_ENI");
    let import = |aws_node: &Path, out: &Path| import_stream(aws_node, &stream, out);
    // ENABLE_POD_ENI on: the annotated pod makes a workload of its own with security
    // groups; both are Deployment `api` of namespace `shop`, so `shop-api` and, made
    // unique, `shop-api-2` (its key sorts after: security groups true)
    let with = dir.join("on/cluster.yaml");
    ok(&import(&on, &with));
    let sc: serde_yaml::Value = serde_yaml::from_str(&read(&with)).unwrap();
    let workloads: Vec<(String, bool)> = sc["workloads"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|w| {
            let trace = w["trace"].as_str().unwrap().to_string();
            (trace, w["security_group_policy"].as_bool().unwrap_or(false))
        })
        .collect();
    assert_eq!(
        workloads,
        [
            ("traces/shop-api-2.csv".to_string(), true),
            ("traces/shop-api.csv".to_string(), false)
        ]
    );
    assert!(
        read(&dir.join("on/traces/shop-api-2.csv")).contains("5.000,create,api-7d9f-b2,shop-api-2")
    );
    // off (the shipped manifest): one workload, and a warning naming the pod
    let without = dir.join("off/cluster.yaml");
    let o = import(&fixture_aws_node(), &without);
    ok(&o);
    let e = stderr_of(&o);
    assert!(e.contains("pod shop/api-7d9f-b2 has a branch ENI (security groups for pods), but ENABLE_POD_ENI is off"), "{e}");
    let sc: serde_yaml::Value = serde_yaml::from_str(&read(&without)).unwrap();
    assert_eq!(sc["workloads"].as_sequence().unwrap().len(), 1);
}

fn fixture_aws_node() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/aws-node/aws-node-daemonset.yaml")
}

/// The fixture aws-node manifest with boolean `variable` (false there) turned on, written
/// in `dir`.
fn aws_node_with(dir: &Path, variable: &str) -> PathBuf {
    let manifest = read(&fixture_aws_node());
    let from = format!("- name: {variable}\n          value: \"false\"");
    assert!(
        manifest.contains(&from),
        "{variable} is false in the fixture"
    );
    let to = format!("- name: {variable}\n          value: \"true\"");
    let on = dir.join(format!("aws-node-{variable}.yaml"));
    std::fs::write(&on, manifest.replace(&from, &to)).unwrap();
    on
}

/// `import` of the fixture nodes, an aws-node manifest and one pods stream into `out`.
fn import_stream(aws_node: &Path, stream: &Path, out: &Path) -> std::process::Output {
    ipamsim(&[
        "import",
        "--nodes",
        &fixture("nodes.json"),
        "--aws-node",
        aws_node.to_str().unwrap(),
        "--pods",
        stream.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ])
}

/// Two pods of Deployment `api`, the second annotated `k8s.amazonaws.com/nicConfig:
/// multi-nic-attachment`.
fn multi_nic_stream() -> String {
    pod_eni_stream().replace(
        "\"vpc.amazonaws.com/pod-eni\":",
        "\"k8s.amazonaws.com/nicConfig\":\"multi-nic-attachment\",\"x\":",
    )
}

#[test]
fn multi_homed_pods_keep_their_annotation_when_the_cni_has_multi_nic() {
    let dir = fresh_dir("replay", "multi-nic");
    let stream = dir.join("pods.json");
    std::fs::write(&stream, multi_nic_stream()).unwrap();
    let on = aws_node_with(&dir, "ENABLE_MULTI_NIC");
    let import = |aws_node: &Path, out: &Path| import_stream(aws_node, &stream, out);
    // on: the annotated pod makes a workload of its own with the annotation (its key sorts
    // after the plain one's), the CNI settings say ENABLE_MULTI_NIC, and the scenario is
    // valid as written
    let with = dir.join("on/cluster.yaml");
    let o = import(&on, &with);
    ok(&o);
    assert!(!stderr_of(&o).contains("several network cards"));
    let sc: serde_yaml::Value = serde_yaml::from_str(&read(&with)).unwrap();
    assert_eq!(sc["cni"]["ENABLE_MULTI_NIC"].as_bool(), Some(true));
    let workloads: Vec<(String, Option<String>)> = sc["workloads"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|w| {
            let nic = w["annotations"]["k8s.amazonaws.com/nicConfig"]
                .as_str()
                .map(String::from);
            (w["trace"].as_str().unwrap().to_string(), nic)
        })
        .collect();
    assert_eq!(
        workloads,
        [
            (
                "traces/shop-api-2.csv".to_string(),
                Some("multi-nic-attachment".to_string())
            ),
            ("traces/shop-api.csv".to_string(), None)
        ]
    );
    let v = ipamsim(&["validate", with.to_str().unwrap()]);
    assert_eq!(v.status.code(), Some(0), "{}", stderr_of(&v));
    // off (the shipped manifest): one workload, no annotation, a warning naming the pod
    let without = dir.join("off/cluster.yaml");
    let o = import(&fixture_aws_node(), &without);
    ok(&o);
    let e = stderr_of(&o);
    assert!(
        e.contains("pod shop/api-7d9f-b2 asks for interfaces on several network cards"),
        "{e}"
    );
    let sc: serde_yaml::Value = serde_yaml::from_str(&read(&without)).unwrap();
    assert_eq!(sc["workloads"].as_sequence().unwrap().len(), 1);
    assert!(sc["cni"]["ENABLE_MULTI_NIC"].is_null());
}
