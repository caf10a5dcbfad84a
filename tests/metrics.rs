//! `metrics.om` (OpenMetrics): its samples against nodes.csv, timeline.csv, subnets.csv,
//! pods.csv and summary.json; its structure; determinism; `--metrics-start`.

use crate::common::{fresh_dir, ipamsim};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// One sample line: family-sample name, labels, value, timestamp (Unix ms).
#[derive(Debug, Clone)]
pub struct Sample {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub value: u64,
    pub ms: i64,
}

/// Reads `metrics.om` (the subset the simulator writes: integer values, unescaped label
/// values without commas or quotes) and checks its structure on the way: each family
/// declared once, `# TYPE` then `# HELP`, samples named for the family just declared,
/// `# EOF` last.
pub fn read_om(path: &Path) -> (Vec<(String, String)>, Vec<Sample>) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.ends_with("\n# EOF\n"), "ends with # EOF");
    let mut families: Vec<(String, String)> = Vec::new();
    let mut samples = Vec::new();
    for line in text.lines() {
        if line == "# EOF" {
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            assert!(
                families.iter().all(|(n, _)| n != name),
                "family {name} declared twice"
            );
            families.push((name.to_string(), kind.to_string()));
            continue;
        }
        if let Some(rest) = line.strip_prefix("# HELP ") {
            assert_eq!(
                rest.split(' ').next(),
                families.last().map(|f| f.0.as_str())
            );
            continue;
        }
        let (series, rest) = line.rsplit_once('}').map_or_else(
            || {
                let (n, r) = line.split_once(' ').unwrap();
                (n.to_string(), r.to_string())
            },
            |(s, r)| (format!("{s}}}"), r.trim_start().to_string()),
        );
        let (name, labels) = match series.split_once('{') {
            Some((n, l)) => (n.to_string(), l.trim_end_matches('}').to_string()),
            None => (series.clone(), String::new()),
        };
        let labels: BTreeMap<String, String> = labels
            .split(',')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap();
                (k.to_string(), v.trim_matches('"').to_string())
            })
            .collect();
        let (value, ts) = rest.split_once(' ').unwrap();
        let (s, frac) = ts.split_once('.').unwrap_or((ts, ""));
        let ms =
            s.parse::<i64>().unwrap() * 1000 + format!("{frac:0<3}").parse::<i64>().unwrap_or(0);
        let (fam, kind) = families.last().expect("a sample after its family");
        let expected = if kind == "counter" {
            format!("{fam}_total")
        } else {
            fam.clone()
        };
        assert_eq!(name, expected, "a sample of another family than {fam}");
        samples.push(Sample {
            name,
            labels,
            value: value.parse().unwrap(),
            ms,
        });
    }
    (families, samples)
}

/// A CSV file's rows as column → text.
pub fn read_csv(path: &Path) -> Vec<HashMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    r.deserialize().map(Result::unwrap).collect()
}

/// `time_s` (3 decimals) as Unix ms after the default epoch, 2026-01-01T00:00:00Z
/// (1,767,225,600 s).
pub fn ms_of(time_s: &str) -> i64 {
    let (s, f) = time_s.split_once('.').unwrap_or((time_s, "0"));
    1_767_225_600_000
        + s.parse::<i64>().unwrap() * 1000
        + format!("{f:0<3}").parse::<i64>().unwrap()
}

fn run(scenario: &str, name: &str, extra: &[&str]) -> std::path::PathBuf {
    let out = fresh_dir("metrics", name);
    let o = out.to_str().unwrap();
    let mut args = vec![
        "run",
        scenario,
        "--out",
        o,
        "--quiet",
        "--outputs",
        "all,metrics",
    ];
    args.extend_from_slice(extra);
    let r = ipamsim(&args);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    out
}

fn last_by(samples: &[Sample], name: &str, key: &str) -> BTreeMap<String, u64> {
    // the last sample of each series, summed by the value of label `key`
    let mut last: BTreeMap<BTreeMap<String, String>, &Sample> = BTreeMap::new();
    for s in samples.iter().filter(|s| s.name == name) {
        last.insert(s.labels.clone(), s);
    }
    let mut out = BTreeMap::new();
    for (labels, s) in last {
        *out.entry(labels.get(key).cloned().unwrap_or_default())
            .or_insert(0) += s.value;
    }
    out
}

#[test]
fn metrics_agree_with_the_csvs_and_the_summary() {
    let out = run("scenarios/three-t3-medium.yaml", "three", &[]);
    let (families, samples) = read_om(&out.join("metrics.om"));
    let kinds: BTreeMap<_, _> = families.iter().cloned().collect();
    for gauge in [
        "awscni_total_ip_addresses",
        "awscni_eni_max",
        "ipamsim_pods_waiting_ip",
    ] {
        assert_eq!(kinds[gauge], "gauge");
    }
    // aws-node's counters keep their names (no _total): typed unknown
    assert_eq!(kinds["awscni_ec2api_req_count"], "unknown");
    assert_eq!(kinds["ipamsim_ec2_requests"], "counter");

    // every series' samples in time order, counters never decreasing (no aws-node
    // restart in this scenario)
    let mut series: BTreeMap<(String, BTreeMap<String, String>), Vec<&Sample>> = BTreeMap::new();
    for s in &samples {
        series
            .entry((s.name.clone(), s.labels.clone()))
            .or_default()
            .push(s);
    }
    for ((name, labels), points) in &series {
        assert!(
            points.windows(2).all(|w| w[0].ms < w[1].ms),
            "{name} {labels:?}"
        );
        if kinds.get(name.as_str()).is_some_and(|k| k == "unknown") || name.ends_with("_total") {
            assert!(
                points.windows(2).all(|w| w[0].value <= w[1].value),
                "{name} {labels:?}"
            );
        }
    }

    // gauges: one sample per nodes.csv row, with its numbers
    let by = |name: &str| -> HashMap<(String, i64), u64> {
        samples
            .iter()
            .filter(|s| s.name == name)
            .map(|s| ((s.labels["node"].clone(), s.ms), s.value))
            .collect()
    };
    let nodes = read_csv(&out.join("nodes.csv"));
    for (family, column) in [
        ("awscni_total_ip_addresses", "ips_total"),
        ("awscni_assigned_ip_addresses", "ips_assigned"),
        ("awscni_eni_allocated", "enis"),
        ("awscni_total_ipv4_prefixes", "prefixes"),
    ] {
        let m = by(family);
        assert_eq!(
            m.len(),
            nodes.len(),
            "{family}: one sample per nodes.csv row"
        );
        for r in &nodes {
            let key = (r["node"].clone(), ms_of(&r["time_s"]));
            assert_eq!(m[&key].to_string(), r[column], "{family} at {key:?}");
        }
    }
    // t3.medium: 3 ENIs of 6 IPv4 addresses, the primary one not for pods: ipamd's
    // maxIPsPerENI = 5, so awscni_ip_max = 5 × 3 = 15 and awscni_eni_max = 3, once
    // nodeInit has set them (0 before, while the node is not ready)
    let (eni_max, ip_max) = (by("awscni_eni_max"), by("awscni_ip_max"));
    for r in &nodes {
        let key = (r["node"].clone(), ms_of(&r["time_s"]));
        let ready = r["ready"] == "1";
        assert_eq!(eni_max[&key], if ready { 3 } else { 0 }, "{key:?}");
        assert_eq!(ip_max[&key], if ready { 15 } else { 0 }, "{key:?}");
    }

    // the cluster's figures: one sample per timeline row
    let timeline = read_csv(&out.join("timeline.csv"));
    let sum_at = |name: &str| -> BTreeMap<i64, u64> {
        let mut m = BTreeMap::new();
        for s in samples.iter().filter(|s| s.name == name) {
            *m.entry(s.ms).or_insert(0) += s.value;
        }
        m
    };
    let (unsched, waiting) = (
        sum_at("ipamsim_pods_unschedulable"),
        sum_at("ipamsim_pods_waiting_ip"),
    );
    let (requests, throttled) = (
        sum_at("ipamsim_ec2_requests_total"),
        sum_at("ipamsim_ec2_throttled_requests_total"),
    );
    let assigned = sum_at("awscni_assigned_ip_addresses");
    assert_eq!(unsched.len(), timeline.len());
    for r in &timeline {
        let t = ms_of(&r["time_s"]);
        assert_eq!(unsched[&t].to_string(), r["pods_unschedulable"], "at {t}");
        // the causes partition the pods waiting for an IP
        assert_eq!(waiting[&t].to_string(), r["pods_waiting_ip"], "at {t}");
        assert_eq!(requests[&t].to_string(), r["ec2_calls"], "at {t}");
        assert_eq!(throttled[&t].to_string(), r["ec2_throttled"], "at {t}");
        assert_eq!(assigned[&t].to_string(), r["ips_assigned"], "at {t}");
    }
    let subnets = read_csv(&out.join("subnets.csv"));
    let free: HashMap<(String, i64), u64> = samples
        .iter()
        .filter(|s| s.name == "ipamsim_subnet_free_ip_addresses")
        .map(|s| ((s.labels["subnet"].clone(), s.ms), s.value))
        .collect();
    assert_eq!(free.len(), subnets.len());
    for r in &subnets {
        let key = (r["subnet"].clone(), ms_of(&r["time_s"]));
        assert_eq!(free[&key].to_string(), r["free_ips"]);
    }

    // at the end, the counters against summary.json: no throttling and no injected
    // faults here, so each EC2 request is one call that succeeded, and aws-node's
    // per-node calls add up to the account's requests, action by action
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["ec2"]["throttled"], 0);
    let calls = last_by(&samples, "awscni_ec2api_req_count", "fn");
    let requests = last_by(&samples, "ipamsim_ec2_requests_total", "action");
    for (action, n) in summary["ec2"]["by_action"].as_object().unwrap() {
        let n = n.as_u64().unwrap();
        assert_eq!(calls.get(action).copied().unwrap_or(0), n, "{action}");
        assert_eq!(requests[action], n, "{action}");
    }
    assert_eq!(
        calls.values().sum::<u64>(),
        summary["ec2"]["calls"].as_u64().unwrap()
    );
    assert!(!samples
        .iter()
        .any(|s| s.name == "awscni_ec2api_error_count"));
    // CNI ADDs: each pod-network pod that got an IP had exactly one successful ADD (no
    // restart, no deletion here), and every other ADD found no free address
    let pods = read_csv(&out.join("pods.csv"));
    let got_ip = pods
        .iter()
        .filter(|p| p["host_network"] == "false" && !p["ip_assigned_s"].is_empty())
        .count() as u64;
    let adds: u64 = last_by(&samples, "awscni_add_ip_req_count", "")
        .values()
        .sum();
    let no_ip: u64 = last_by(&samples, "awscni_no_available_ip_addresses", "")
        .values()
        .sum();
    assert_eq!(adds - no_ip, got_ip);
    assert!(no_ip > 0, "the 50-pod burst meets empty pools");
    assert!(
        !samples.iter().any(|s| s.name == "awscni_del_ip_req_count"),
        "no pod deleted"
    );
}

#[test]
fn metrics_are_opt_in_and_byte_identical_every_way() {
    let sc = "scenarios/three-t3-medium.yaml";
    let plain = fresh_dir("metrics", "plain");
    let r = ipamsim(&[
        "run",
        sc,
        "--out",
        plain.to_str().unwrap(),
        "--quiet",
        "--outputs",
        "all",
    ]);
    assert!(r.status.success());
    assert!(
        !plain.join("metrics.om").exists(),
        "`all` is every CSV file, not metrics.om"
    );
    let a = run(sc, "a", &[]);
    let b = run(sc, "b", &[]);
    let inline = fresh_dir("metrics", "inline");
    let r = std::process::Command::new(env!("CARGO_BIN_EXE_ipamsim"))
        .args([
            "run",
            sc,
            "--out",
            inline.to_str().unwrap(),
            "--quiet",
            "--outputs",
            "metrics",
        ])
        .env("IPAMSIM_WRITER_THREAD", "0")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(r.status.success());
    let bytes = |d: &Path| std::fs::read(d.join("metrics.om")).unwrap();
    assert_eq!(bytes(&a), bytes(&b), "two runs");
    assert_eq!(bytes(&a), bytes(&inline), "writer thread and inline");
    // metrics alone: no CSV file
    assert!(!inline.join("nodes.csv").exists());
}

#[test]
fn metrics_start_moves_the_timestamps_and_bad_values_are_refused() {
    // 10.5 s after the Unix epoch: the first sample (t = 0) is stamped 10.5, the next
    // (t = 1 s) 11.5
    let out = run(
        "scenarios/three-t3-medium.yaml",
        "start",
        &["--metrics-start", "1970-01-01T00:00:10.500Z"],
    );
    let (_, samples) = read_om(&out.join("metrics.om"));
    let first: Vec<i64> = samples
        .iter()
        .filter(|s| s.name == "ipamsim_pods_unschedulable")
        .take(2)
        .map(|s| s.ms)
        .collect();
    assert_eq!(first, [10_500, 11_500]);
    for bad in ["2026-02-30T00:00:00Z", "yesterday", "2026-01-01T00:00:00"] {
        let dir = fresh_dir("metrics", "bad");
        let r = ipamsim(&[
            "run",
            "scenarios/three-t3-medium.yaml",
            "--out",
            dir.to_str().unwrap(),
            "--outputs",
            "metrics",
            "--metrics-start",
            bad,
        ]);
        assert_eq!(r.status.code(), Some(2), "{bad}");
        let err = String::from_utf8_lossy(&r.stderr);
        assert!(
            err.contains("--metrics-start") && err.contains("2026-01-01T00:00:00Z"),
            "{err}"
        );
        assert!(!dir.join("metrics.om").exists());
    }
}

#[test]
fn a_calico_run_has_no_aws_node_series() {
    let out = run("scenarios/calico.yaml", "calico", &[]);
    let (families, samples) = read_om(&out.join("metrics.om"));
    assert!(
        families.iter().all(|(n, _)| n.starts_with("ipamsim_")),
        "{families:?}"
    );
    assert!(samples.iter().any(|s| s.name == "ipamsim_pods_waiting_ip"));
}

#[test]
fn alerts_says_what_it_needs() {
    let rules = "deploy/prometheus/aws-vpc-cni-rules.yaml";
    // a run without metrics.om: invalid input, with the way to write it
    let plain = fresh_dir("metrics", "alerts-plain");
    let p = plain.to_str().unwrap();
    assert!(ipamsim(&[
        "run",
        "scenarios/three-t3-medium.yaml",
        "--out",
        p,
        "--quiet"
    ])
    .status
    .success());
    let r = ipamsim(&["alerts", p, "--rules", rules]);
    assert_eq!(r.status.code(), Some(2));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(
        err.contains("metrics.om") && err.contains("--outputs all,metrics"),
        "{err}"
    );
    // Prometheus's binaries missing from PATH: a failure naming the binary
    let out = run("scenarios/three-t3-medium.yaml", "alerts-nopath", &[]);
    let r = std::process::Command::new(env!("CARGO_BIN_EXE_ipamsim"))
        .args(["alerts", out.to_str().unwrap(), "--rules", rules])
        .env("PATH", "")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(1));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains("`promtool`, not found on PATH"), "{err}");
    // a rule file that is not one
    let r = ipamsim(&[
        "alerts",
        out.to_str().unwrap(),
        "--rules",
        "no/such/rules.yaml",
    ]);
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("--rules no/such/rules.yaml"));
    if crate::metrics_prometheus::binaries().is_some() {
        let bad = fresh_dir("metrics", "alerts-bad").join("bad.yaml");
        std::fs::write(
            &bad,
            "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: sum(\n",
        )
        .unwrap();
        let r = ipamsim(&[
            "alerts",
            out.to_str().unwrap(),
            "--rules",
            bad.to_str().unwrap(),
        ]);
        assert_eq!(r.status.code(), Some(2));
        let err = String::from_utf8_lossy(&r.stderr);
        assert!(err.contains("promtool check rules refused it"), "{err}");
    }
}

/// aws-node's EC2 counters under throttling. AssignPrivateIpAddresses gets a bucket of 1
/// token and no refill: ng-1's nodeInit call takes it (1 call, 1 request, no error);
/// every request of ng-2 after it is throttled, and each of its calls fails for good
/// after the SDK's 3 attempts. So, with T the timeline's final `ec2_throttled`, ng-2 made
/// T / 3 calls, all failed with RequestLimitExceeded, and the account saw 1 + T requests.
#[test]
fn ec2_counters_count_calls_not_requests() {
    let dir = fresh_dir("metrics", "throttled");
    let scenario = dir.join("t.yaml");
    std::fs::write(
        &scenario,
        "duration: 30s
ec2:
  throttling: {AssignPrivateIpAddresses: {bucket: 1, refill: 0}}
ipamd: {placement: canonical}
subnets: [{name: a, cidr: 10.8.0.0/16}]
nodegroups: [{name: ng, instance_type: m5.large, count: 2, subnet: a}]
",
    )
    .unwrap();
    let out = run(scenario.to_str().unwrap(), "throttled-out", &[]);
    let (_, samples) = read_om(&out.join("metrics.om"));
    let timeline = read_csv(&out.join("timeline.csv"));
    let t: u64 = timeline.last().unwrap()["ec2_throttled"].parse().unwrap();
    assert!(t >= 3 && t.is_multiple_of(3), "{t}");
    let at_end = |name: &str, node: &str, pairs: &[(&str, &str)]| -> u64 {
        samples
            .iter()
            .rfind(|s| {
                s.name == name
                    && s.labels.get("node").map(String::as_str) == Some(node)
                    && pairs
                        .iter()
                        .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
            })
            .map_or(0, |s| s.value)
    };
    let assign = [("fn", "AssignPrivateIpAddresses")];
    assert_eq!(at_end("awscni_ec2api_req_count", "ng-1", &assign), 1);
    assert_eq!(at_end("awscni_ec2api_error_count", "ng-1", &assign), 0);
    assert_eq!(at_end("awscni_ec2api_req_count", "ng-2", &assign), t / 3);
    assert_eq!(at_end("awscni_ec2api_error_count", "ng-2", &assign), t / 3);
    let throttled = [
        ("api", "AssignPrivateIpAddresses"),
        ("error", "RequestLimitExceeded"),
    ];
    assert_eq!(
        at_end("awscni_aws_api_error_count", "ng-2", &throttled),
        t / 3
    );
    let requests = last_by(&samples, "ipamsim_ec2_requests_total", "action");
    assert_eq!(requests["AssignPrivateIpAddresses"], 1 + t);
    let throttled = last_by(&samples, "ipamsim_ec2_throttled_requests_total", "action");
    assert_eq!(throttled["AssignPrivateIpAddresses"], t);
}

/// An aws-node restart starts its counters again at 0, as a new process's registry does.
/// ng-1's aws-node restarts at 60 s and serves again after nodeInit (CrashLoopBackOff:
/// 10 s later); the 3 pods created at 60 s are bound meanwhile, their CNI ADDs refused
/// while ipamd does not serve (aws-node never sees them: not counted), then each gets its
/// address from the ENIs nodeInit finds again: 3 answered ADDs that found an address.
#[test]
fn a_restart_starts_the_counters_again() {
    let dir = fresh_dir("metrics", "restart");
    let scenario = dir.join("r.yaml");
    std::fs::write(&scenario, crate::common::RESTART_AT_60S).unwrap();
    let out = run(scenario.to_str().unwrap(), "restart-out", &[]);
    let (_, samples) = read_om(&out.join("metrics.om"));
    let value = |name: &str, fn_: Option<&str>, time_s: &str| -> Option<u64> {
        let ms = ms_of(time_s);
        samples
            .iter()
            .find(|s| s.name == name && s.ms == ms && s.labels.get("fn").map(String::as_str) == fn_)
            .map(|s| s.value)
    };
    let describe = Some("DescribeNetworkInterfaces");
    assert!(value("awscni_ec2api_req_count", describe, "59.000").unwrap() > 0);
    // the sample at 60 s comes after the restart at 60 s
    assert_eq!(
        value("awscni_ec2api_req_count", describe, "60.000"),
        Some(0)
    );
    assert_eq!(value("awscni_add_ip_req_count", None, "60.000"), Some(0));
    let adds = value("awscni_add_ip_req_count", None, "180.000").unwrap();
    let no_ip = value("awscni_no_available_ip_addresses", None, "180.000").unwrap();
    assert_eq!(adds - no_ip, 3);
    assert!(value("awscni_ec2api_req_count", describe, "180.000").unwrap() > 0);
}
