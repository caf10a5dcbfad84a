//! Small things a user trips on: "1 nodes", a typo without a suggestion, `--out` naming a
//! file.
use crate::common;
use common::{fresh_dir, ipamsim, ipamsim_in};
use std::path::Path;
use std::process::Output;

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// One t3.medium node, one pod: every count the outputs print is likely to be 1.
const ONE: &str = "duration: 1m
subnets:
  - name: a
    cidr: 10.0.0.0/24
nodegroups:
  - name: ng
    instance_type: t3.medium
    count: 1
    subnet: a
workloads:
  - name: web
    replicas: 1
";

/// Plural nouns the tool prints after a count.
const PLURALS: [&str; 24] = [
    "nodes",
    "pods",
    "threads",
    "runs",
    "settings",
    "nodegroups",
    "workloads",
    "ENIs",
    "IPs",
    "events",
    "problems",
    "parts",
    "replications",
    "subnets",
    "requests",
    "calls",
    "attempts",
    "prefixes",
    "CIDRs",
    "entries",
    "items",
    "trunks",
    "DaemonSets",
    "combinations",
];

/// Every "1 <plural>" in `text` (a count of one before a plural noun), with its line.
fn singular_plurals(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in text.lines() {
        let words: Vec<&str> = line
            .split(|c: char| c.is_whitespace() || c == '(' || c == ',' || c == '+')
            .filter(|w| !w.is_empty())
            .collect();
        for pair in words.windows(2) {
            let noun = pair[1].trim_end_matches([',', ';', ':', ')', '.']);
            // "web workload pods": skip one adjective
            if pair[0] == "1" && PLURALS.contains(&noun) {
                found.push(line.to_string());
            }
        }
        for triple in words.windows(3) {
            let adjective = triple[1].chars().all(|c| c.is_ascii_alphabetic());
            let noun = triple[2].trim_end_matches([',', ';', ':', ')', '.']);
            if triple[0] == "1" && adjective && PLURALS.contains(&noun) {
                found.push(line.to_string());
            }
        }
    }
    found
}

#[test]
fn the_detector_finds_what_it_should() {
    assert_eq!(
        singular_plurals("12 nodes, 1 nodes\n(1 workload pods)").len(),
        2
    );
    assert!(singular_plurals("1 node, 2 pods, 11 IPs, 0.1 s").is_empty());
}

#[test]
fn counts_of_one_are_singular_in_every_text_output() {
    let dir = fresh_dir("usability", "plurals");
    std::fs::write(dir.join("one.yaml"), ONE).unwrap();
    let run = |args: &[&str]| {
        let o = ipamsim_in(&dir, args);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        format!("{}{}", stdout(&o), stderr(&o))
    };
    let validate = run(&["validate", "one.yaml"]);
    // 1 nodegroup of 1 node, 1 workload (was "1 nodegroups, 1 nodes at start, 1 workloads")
    assert_eq!(
        validate,
        "one.yaml: valid (1 nodegroup, 1 node at start, 1 workload, 60.000s simulated)\n"
    );
    let summary = run(&["run", "one.yaml", "--out", "out"]);
    // One node; its one pod waits 0.525 s for the node to be Ready, then gets an IP at once.
    for line in [
        "scenario one (seed 1): 60 s simulated, 1 node",
        "time to IP:      p50 0.000 s, p90 0.000 s, p99 0.000 s, max 0.000 s  (1 pod; from \
         binding to IP)",
        "peak waiting:    1 pod waiting for an IP, 1 unschedulable",
    ] {
        assert!(summary.lines().any(|l| l == line), "{line}\n{summary}");
    }
    let compare = run(&[
        "compare",
        "one.yaml",
        "--set",
        "WARM_IP_TARGET=0,1",
        "--jobs",
        "1",
        "--out",
        "cmp",
    ]);
    // two settings, one run each, on one thread (was "1 threads")
    assert!(compare.contains("\n2 runs on 1 thread in "), "{compare}");
    let explain = run(&["explain", "out"]);
    assert!(
        explain.starts_with("1 of 1 pod waited: 0.525 pod-seconds"),
        "{explain}"
    );
    assert!(
        explain.contains("\nslowest 1 pod by total wait:\n"),
        "{explain}"
    );
    let story = run(&["explain", "out", "--pod", "web-1"]);
    let capacity = run(&["capacity", "--scenario", "one.yaml"]);
    assert!(capacity.contains(", 1 node at start\n"), "{capacity}");
    // events.csv's `detail` column: "+1 IP", "1 failed CNI ADD"...
    let mut r = csv::Reader::from_path(dir.join("out/events.csv")).unwrap();
    let events: Vec<String> = r.records().map(|e| e.unwrap()[3].to_string()).collect();
    let events = events.join("\n");
    // With WARM_IP_TARGET=1 ipamd assigns one address at a time: "+1 IP" (was "+1 IPs").
    std::fs::write(
        dir.join("one-ip.yaml"),
        format!("{ONE}cni:\n  WARM_IP_TARGET: 1\n"),
    )
    .unwrap();
    run(&["run", "one-ip.yaml", "--out", "out1", "--quiet"]);
    let mut r = csv::Reader::from_path(dir.join("out1/events.csv")).unwrap();
    let one_ip: Vec<String> = r.records().map(|e| e.unwrap()[3].to_string()).collect();
    assert_eq!(one_ip[1], "eni-1 +1 IP (total=1 assigned=0)");
    let all = [
        validate,
        summary,
        compare,
        explain,
        story,
        capacity,
        events,
        one_ip.join("\n"),
    ]
    .join("\n");
    assert_eq!(singular_plurals(&all), Vec::<String>::new());
}

#[test]
fn one_problem_is_one_problem() {
    let dir = fresh_dir("usability", "problem");
    std::fs::write(dir.join("bad.yaml"), ONE.replace("count: 1", "count: x")).unwrap();
    let o = ipamsim_in(&dir, &["validate", "bad.yaml"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stderr(&o).lines().last(), Some("bad.yaml: 1 problem found"));
}

#[test]
fn an_unknown_set_key_gets_the_nearest_name() {
    let out = fresh_dir("usability", "set");
    let o = ipamsim(&[
        "compare",
        "scenarios/three-t3-medium.yaml",
        "--set",
        "WARM_IP_TARGT=0,1",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    // WARM_IP_TARGT is one letter short of WARM_IP_TARGET (Levenshtein 1).
    assert_eq!(
        stderr(&o),
        "error: --set WARM_IP_TARGT=0,1: unknown CNI setting \"WARM_IP_TARGT\" (did you mean \
         \"WARM_IP_TARGET\"?); allowed: WARM_ENI_TARGET, WARM_IP_TARGET, MINIMUM_IP_TARGET, \
         WARM_PREFIX_TARGET, ENABLE_PREFIX_DELEGATION, MAX_ENI, IP_COOLDOWN_PERIOD, \
         AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG, ENABLE_SUBNET_DISCOVERY, ENABLE_IPv4, \
         ENABLE_IPv6, ENABLE_POD_ENI, POD_SECURITY_GROUP_ENFORCING_MODE, ENABLE_MULTI_NIC, CLUSTER_NAME\n"
    );
    // Nothing near: no suggestion, the list alone.
    let o = ipamsim(&[
        "compare",
        "scenarios/three-t3-medium.yaml",
        "--set",
        "SOMETHING=1",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o)
            .starts_with("error: --set SOMETHING=1: unknown CNI setting \"SOMETHING\"; allowed: "),
        "{}",
        stderr(&o)
    );
}

#[test]
fn an_unknown_slo_metric_gets_the_nearest_name() {
    let out = fresh_dir("usability", "slo");
    let allowed = "allowed: p50_time_to_ip, p90_time_to_ip, p99_time_to_ip, max_time_to_ip, \
                   p50_time_to_running, p99_time_to_running, pods_never_ip, \
                   pods_never_scheduled, idle_ips_mean, ec2_calls, ec2_throttled, \
                   min_subnet_free_ips, subnet_full_wait, no_free_prefix_wait, \
                   nodes_launch_failed";
    // p99_time_to_iq: one substitution from p99_time_to_ip
    for cmd in [
        vec!["run", "scenarios/three-t3-medium.yaml"],
        vec![
            "compare",
            "scenarios/three-t3-medium.yaml",
            "--set",
            "WARM_IP_TARGET=0,1",
        ],
    ] {
        let mut args = cmd.clone();
        args.extend([
            "--slo",
            "p99_time_to_iq<=30s",
            "--out",
            out.to_str().unwrap(),
        ]);
        let o = ipamsim(&args);
        assert_eq!(o.status.code(), Some(2), "{cmd:?}");
        assert_eq!(
            stderr(&o),
            format!(
                "error: --slo p99_time_to_iq<=30s: unknown metric \"p99_time_to_iq\" (did you \
                 mean \"p99_time_to_ip\"?); {allowed}\n"
            ),
            "{cmd:?}"
        );
    }
}

#[test]
fn out_naming_a_file_is_one_clear_line() {
    let dir = fresh_dir("usability", "out-file");
    let file = dir.join("afile");
    std::fs::write(&file, "mine").unwrap();
    let f = file.to_str().unwrap();
    let want = format!("error: --out {f} is a file; give a directory (it is created if missing)\n");
    let s = "scenarios/three-t3-medium.yaml";
    for args in [
        vec!["run", s, "--out", f],
        vec!["compare", s, "--set", "WARM_IP_TARGET=0,1", "--out", f],
        vec![
            "compare",
            s,
            "--set",
            "WARM_IP_TARGET=0,1",
            "--shard",
            "1/2",
            "--out",
            f,
        ],
    ] {
        let o = ipamsim(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert_eq!(stderr(&o), want, "{args:?}");
    }
    // A directory below the file cannot be created either: the file is named.
    let below = format!("{f}/sub");
    let o = ipamsim(&["run", s, "--out", &below]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        format!(
            "error: --out {below}: {f} is a file; give a directory (it is created if missing)\n"
        )
    );
    // merge: the same line, once the parts are read.
    let (p1, p2) = (dir.join("p1"), dir.join("p2"));
    for (k, p) in [("1/2", &p1), ("2/2", &p2)] {
        let o = ipamsim(&[
            "compare",
            s,
            "--set",
            "WARM_IP_TARGET=0,1",
            "--shard",
            k,
            "--quiet",
            "--out",
            p.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    let o = ipamsim(&[
        "merge",
        "--out",
        f,
        p1.to_str().unwrap(),
        p2.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stderr(&o), want);
    // import's --out is a file: a file in its way is named as such.
    let nodes = "tests/fixtures/import/three-t3-medium/nodes.json";
    let target = format!("{f}/cluster.yaml");
    let o = ipamsim(&["import", "--nodes", nodes, "--out", &target]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o).lines().last().unwrap_or(""),
        format!(
            "error: --out {target}: {f} is a file, not a directory; give a path in a \
             directory (created if missing)"
        )
    );
    // The file was left alone.
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine");
    assert!(Path::new(f).is_file());
}
