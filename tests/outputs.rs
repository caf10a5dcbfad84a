//! Outputs users can script: summary.json agrees with the CSV files, comparisons carry the
//! figures of the runs they compare, names with commas and quotes survive every CSV, and a
//! closed or full stdout never makes the program panic.
use crate::common;
use common::{fresh_dir, ipamsim};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn run_file(scenario: &Path, tag: &str) -> PathBuf {
    let out = fresh_dir("outputs", tag);
    let o = ipamsim(&[
        "run",
        scenario.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    out
}

fn summary(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap()
}

/// Every record of a CSV file, keyed by its header (read with the csv crate).
fn records(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            header
                .iter()
                .cloned()
                .zip(rec.iter().map(str::to_string))
                .collect()
        })
        .collect()
}

/// Milliseconds of a `*_s` cell (`12.345` → 12345).
fn ms(cell: &str) -> i64 {
    let (whole, frac) = cell.split_once('.').unwrap();
    whole.parse::<i64>().unwrap() * 1000 + frac.parse::<i64>().unwrap()
}

/// Nearest rank: the value at rank ceil(p/100 × n) of the sorted samples.
fn rank(sorted: &[i64], p: usize) -> i64 {
    sorted[(p * sorted.len()).div_ceil(100).max(1) - 1]
}

/// summary.json recomputed from pods.csv and timeline.csv on churn.yaml: time to IP p99
/// (binding → IP of pod-network pods that got one), the never-got-an-IP pods' wait p50 and
/// max (binding → deletion or the end, over those pods only), throttled calls (the
/// timeline's last cumulative value) and pods created (pods.csv rows).
#[test]
fn summary_json_agrees_with_pods_and_timeline() {
    let out = run_file(&manifest().join("scenarios/churn.yaml"), "churn");
    let s = summary(&out);
    let pods = records(&out.join("pods.csv"));
    let end_ms = 20 * 60 * 1000;
    let mut to_ip = Vec::new();
    let mut never = Vec::new();
    for p in &pods {
        if p["host_network"] == "true" || p["scheduled_s"].is_empty() {
            continue;
        }
        let bound = ms(&p["scheduled_s"]);
        if p["ip_assigned_s"].is_empty() {
            let stop = if p["deleted_s"].is_empty() {
                end_ms
            } else {
                ms(&p["deleted_s"])
            };
            never.push(stop - bound);
        } else {
            to_ip.push(ms(&p["ip_assigned_s"]) - bound);
        }
    }
    to_ip.sort_unstable();
    never.sort_unstable();
    let secs = |v: &Value| (v.as_f64().unwrap() * 1000.0).round() as i64;
    assert_eq!(s["pods"]["created"].as_u64().unwrap() as usize, pods.len());
    assert_eq!(
        s["time_to_ip_s"]["count"].as_u64().unwrap() as usize,
        to_ip.len()
    );
    assert_eq!(secs(&s["time_to_ip_s"]["p99"]), rank(&to_ip, 99));
    assert!(
        !never.is_empty(),
        "churn.yaml leaves some pods without an IP"
    );
    assert_eq!(
        s["never_got_ip"]["count"].as_u64().unwrap() as usize,
        never.len()
    );
    assert_eq!(secs(&s["never_got_ip"]["wait_s"]["p50"]), rank(&never, 50));
    assert_eq!(
        secs(&s["never_got_ip"]["wait_s"]["max"]),
        *never.last().unwrap()
    );
    let timeline = records(&out.join("timeline.csv"));
    let last = timeline.last().unwrap();
    assert_eq!(
        s["ec2"]["throttled"].as_u64().unwrap(),
        last["ec2_throttled"].parse::<u64>().unwrap()
    );
    assert_eq!(
        s["ec2"]["calls"].as_u64().unwrap(),
        last["ec2_calls"].parse::<u64>().unwrap()
    );
}

/// comparison.csv's ec2_throttled equals what `run` reports for the same setting
/// (burst-200-nodes: about 5,000 throttled requests with the defaults).
#[test]
fn comparison_throttled_equals_the_runs() {
    let dir = fresh_dir("outputs", "throttled");
    let text = std::fs::read_to_string(manifest().join("scenarios/burst-200-nodes.yaml")).unwrap();
    let cmp = dir.join("cmp");
    let o = ipamsim(&[
        "compare",
        "scenarios/burst-200-nodes.yaml",
        "--set",
        "WARM_IP_TARGET=0,5",
        "--out",
        cmp.to_str().unwrap(),
        "-q",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rows = records(&cmp.join("comparison.csv"));
    assert_eq!(rows.len(), 2);
    for (row, warm) in rows.iter().zip(["0", "5"]) {
        let file = dir.join(format!("warm-{warm}.yaml"));
        std::fs::write(
            &file,
            text.replace(
                "sample_interval: 5s",
                &format!("sample_interval: 5s\ncni: {{WARM_IP_TARGET: {warm}}}"),
            ),
        )
        .unwrap();
        let s = summary(&run_file(&file, &format!("warm-{warm}")));
        let throttled = s["ec2"]["throttled"].as_u64().unwrap();
        assert!(throttled > 1000, "{throttled}");
        assert_eq!(
            row["ec2_throttled"].parse::<u64>().unwrap(),
            throttled,
            "WARM_IP_TARGET={warm}"
        );
        assert_eq!(
            row["ec2_calls_total"].parse::<u64>().unwrap(),
            s["ec2"]["calls"].as_u64().unwrap()
        );
    }
}

/// 20 × m5.large with aws-node and kube-proxy on the host network, 700 pods at 60 s.
/// Prefix delegation off: max pods 29, so 20 × (29 − 2) = 540 pods fit and 160 never get a
/// node; on: max pods 110 (the calculator's cap for 2 vCPUs), 20 × 108 = 2,160 ≥ 700, none
/// left. With it off the 160 pods are 160 / 700 = 23 % of the workload pods, so the
/// censored p99 time to running is one of theirs: created at 60 s, never running, counted
/// until the end at 600 s: 540 s.
#[test]
fn pods_that_never_got_a_node_count_in_the_comparison() {
    let dir = fresh_dir("outputs", "pd");
    let file = dir.join("pd.yaml");
    std::fs::write(
        &file,
        "duration: 10m
subnets: [{name: a, cidr: 10.0.0.0/16}]
nodegroups: [{name: ng, instance_type: m5.large, count: 20, subnet: a}]
daemonsets: [{name: aws-node, host_network: true}, {name: kube-proxy, host_network: true}]
workloads: [{name: web, at: 60s, replicas: 700}]
",
    )
    .unwrap();
    let out = dir.join("out");
    let o = ipamsim(&[
        "compare",
        file.to_str().unwrap(),
        "--set",
        "ENABLE_PREFIX_DELEGATION=false,true",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rows = records(&out.join("comparison.csv"));
    let col = |i: usize, c: &str| rows[i][c].clone();
    assert_eq!(
        (
            col(0, "pods_never_scheduled"),
            col(1, "pods_never_scheduled")
        ),
        ("160".into(), "0".into())
    );
    assert_eq!(col(0, "peak_unschedulable"), "160");
    assert_eq!(
        col(0, "time_to_running_p99_s").parse::<f64>().unwrap(),
        540.0
    );
    let p99_on: f64 = col(1, "time_to_running_p99_s").parse().unwrap();
    assert!(p99_on < 60.0, "{p99_on}");
    // only the setting that serves every pod is on the front (it is better in the p99)
    // unless it holds more idle IPs; either way the PD-off row cannot dominate it
    assert_eq!(col(1, "pareto"), "1");
    // the table on stdout shows the never-scheduled pods too
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(table.contains("no node"), "{table}");
    // comparison.json says the same, and names its Pareto dimensions
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("comparison.json")).unwrap())
            .unwrap();
    assert_eq!(json["rows"][0]["pods_never_scheduled"], 160);
    assert_eq!(json["pareto_dimensions"][0], "time_to_running_p99_s");
}

/// A subnet and a DaemonSet whose names hold a comma and a double quote come back intact
/// from every CSV (RFC 4180 quoting by the csv crate).
#[test]
fn names_with_commas_and_quotes_round_trip() {
    let dir = fresh_dir("outputs", "quotes");
    let file = dir.join("q.yaml");
    std::fs::write(
        &file,
        r#"duration: 2m
subnets: [{name: 'priv,"a"', cidr: 10.0.0.0/24}]
nodegroups: [{name: ng, instance_type: t3.medium, count: 1, subnet: 'priv,"a"'}]
daemonsets: [{name: 'ds,"x"'}]
workloads: [{name: web, at: 10s, replicas: 3}]
"#,
    )
    .unwrap();
    let out = run_file(&file, "quotes-run");
    let subnets = records(&out.join("subnets.csv"));
    assert!(
        subnets.iter().all(|r| r["subnet"] == r#"priv,"a""#),
        "{subnets:?}"
    );
    let pods = records(&out.join("pods.csv"));
    assert!(pods
        .iter()
        .any(|r| r["workload"] == r#"ds,"x""# && r["pod"] == r#"ds,"x"-ng-1"#));
    // every row of every file has as many fields as its header (no shifted columns)
    for f in [
        "timeline.csv",
        "nodes.csv",
        "pods.csv",
        "subnets.csv",
        "events.csv",
    ] {
        let mut r = csv::Reader::from_path(out.join(f)).unwrap();
        let n = r.headers().unwrap().len();
        assert!(r.records().all(|rec| rec.unwrap().len() == n), "{f}");
    }
}

/// Runs `cmd` in bash from the crate root with the binary as `$B`; returns (exit status of
/// the pipeline's first command, stderr).
fn shell(cmd: &str) -> (Option<i32>, String) {
    let o = Command::new("bash")
        .args([
            "-c",
            &format!("set -o pipefail; {cmd}; echo \"status=${{PIPESTATUS[0]}}\" >&2"),
        ])
        .env("B", env!("CARGO_BIN_EXE_ipamsim"))
        .current_dir(manifest())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    let status = err
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("status="))
        .and_then(|s| s.parse().ok());
    (status, err)
}

/// A closed pipe ends the program quietly with exit 0; a full disk is one line on stderr
/// and exit 1; neither panics.
#[test]
fn closed_or_full_stdout_never_panics() {
    let dir = fresh_dir("outputs", "stdout");
    let d = dir.to_str().unwrap();
    for (cmd, want) in [
        ("\"$B\" validate scenarios/three-t3-medium.yaml > /dev/full".to_string(), 1),
        (format!("\"$B\" run scenarios/three-t3-medium.yaml --out {d}/r | head -c1 > /dev/null"), 0),
        (format!("\"$B\" compare scenarios/scale-out.yaml --set WARM_IP_TARGET=0,2 --out {d}/c > /dev/full"), 1),
        ("\"$B\" capacity --all | head -1 > /dev/null".to_string(), 0),
        ("\"$B\" capacity --all --format json | head -c1 > /dev/null".to_string(), 0),
        (format!("\"$B\" compare scenarios/scale-out.yaml --set WARM_IP_TARGET=0,2 --out {d}/j --format json | head -c1 > /dev/null"), 0),
    ] {
        let (status, err) = shell(&cmd);
        assert!(!err.contains("panicked"), "{cmd}: {err}");
        assert_eq!(status, Some(want), "{cmd}: {err}");
    }
}

/// One story per wait: events.csv is in time order, and every `no_ip` row names the cause
/// of its pod's waits.csv interval at the row's time (times are printed in ms: one of the
/// intervals overlapping that millisecond). Shipped scenarios
/// with cooling, prefix fragmentation, throttling, pod ENIs and an autoscaler.
#[test]
fn events_are_in_time_order_and_no_ip_rows_name_the_wait_cause() {
    for name in [
        "churn",
        "fragmented-subnet-pd",
        "security-groups",
        "autoscaling",
        "three-t3-medium",
    ] {
        let dir = run_file(&manifest().join(format!("scenarios/{name}.yaml")), name);
        let mut waits: std::collections::HashMap<String, Vec<(f64, f64, String)>> =
            Default::default();
        let mut r = csv::Reader::from_path(dir.join("waits.csv")).unwrap();
        for row in r.records() {
            let row = row.unwrap();
            let f = |i: usize| row[i].parse::<f64>().unwrap();
            waits
                .entry(row[0].to_string())
                .or_default()
                .push((f(3), f(4), row[2].to_string()));
        }
        let mut r = csv::Reader::from_path(dir.join("events.csv")).unwrap();
        let h = r.headers().unwrap().clone();
        let col = |n: &str| h.iter().position(|x| x == n).unwrap();
        let (time, kind, pod, cause) = (col("time_s"), col("kind"), col("pod"), col("cause"));
        let (mut last, mut no_ip) = (0.0, 0);
        for row in r.records() {
            let row = row.unwrap();
            let t: f64 = row[time].parse().unwrap();
            assert!(t >= last, "{name}: events.csv row at {t} after {last}");
            last = t;
            if &row[kind] != "no_ip" {
                continue;
            }
            no_ip += 1;
            let ws: Vec<_> = waits[&row[pod]]
                .iter()
                .filter(|w| w.0 <= t && t <= w.1)
                .collect();
            assert!(
                ws.iter().any(|w| w.2 == row[cause]),
                "{name}: {} at {t} says {}, waits.csv {ws:?}",
                &row[pod],
                &row[cause]
            );
        }
        assert!(
            no_ip > 0 || name == "calico",
            "{name}: no no_ip row to check"
        );
    }
}
