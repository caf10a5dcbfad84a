//! A real Prometheus over a run's `metrics.om`: backfilled with `promtool tsdb
//! create-blocks-from openmetrics`, served by `prometheus` on 127.0.0.1, queried through
//! its HTTP API and compared with the run's CSV files; the Grafana dashboard's queries
//! and the kube-prometheus EKS alert are checked on it too.
//!
//! Without the binaries the test says so and returns, unless `CI=true`, where their
//! absence is a failure (CI installs Debian's `prometheus` package, which ships both).

use crate::common::{fresh_dir, ipamsim};
use crate::metrics::{ms_of, read_csv};
use ipamsim::commands::alerts::prometheus::http_get;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The kube-prometheus EKS rule's expression (`AwsVpcCniWarmIPsLow`, threshold 10).
const EKS_EXPR: &str = "sum by(instance)(awscni_total_ip_addresses) - sum by(instance)(awscni_assigned_ip_addresses) < 10";

/// `name` found on `PATH`.
fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// `prometheus` and `promtool`, or `None` (printed) when either is missing; with
/// `CI=true` a missing binary fails the test.
pub fn binaries() -> Option<(PathBuf, PathBuf)> {
    match (on_path("prometheus"), on_path("promtool")) {
        (Some(p), Some(t)) => Some((p, t)),
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("prometheus/promtool not found on PATH, and CI=true: CI must install them (Debian: apt-get install prometheus)")
        }
        _ => {
            // straight to stderr, past the test harness's capture, so that it shows
            let _ = writeln!(
                std::io::stderr().lock(),
                "skipped: prometheus/promtool not found (Debian: apt-get install prometheus)"
            );
            None
        }
    }
}

/// A series of a range query: its labels and (Unix ms, value) points.
pub type Series = (BTreeMap<String, String>, Vec<(i64, f64)>);

/// A Prometheus server started by a test, killed when dropped (a failing assertion
/// included).
pub struct Prometheus {
    child: Child,
    /// Its port on 127.0.0.1.
    pub port: u16,
    log: PathBuf,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Prometheus {
    /// Starts `prometheus` over the TSDB in `db` (no scrape targets) and waits until it
    /// is ready (at most 60 s).
    pub fn start(bin: &Path, db: &Path, work: &Path) -> Prometheus {
        let config = work.join("prometheus.yml");
        std::fs::write(&config, "global:\n  scrape_interval: 1m\n").unwrap();
        let log = work.join("prometheus.log");
        // a free port: bound and released (nothing else here picks ports at random)
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(bin)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", db.display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            // retention counts back from the newest block: 100 years keeps the
            // backfilled blocks whatever the epoch
            .arg("--storage.tsdb.retention.time=100y")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let mut p = Prometheus { child, port, log };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok((200, _)) = p.get("/-/ready") {
                return p;
            }
            if let Ok(Some(status)) = p.child.try_wait() {
                panic!("prometheus exited ({status}): {}", p.log_text());
            }
            assert!(
                Instant::now() < deadline,
                "prometheus not ready in 60 s: {}",
                p.log_text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// An HTTP/1.0 GET (no chunked encoding; the server closes the connection):
    /// status and body.
    pub fn get(&self, path: &str) -> std::io::Result<(u16, String)> {
        http_get(self.port, path, Duration::from_secs(30))
    }

    /// `/api/v1/<endpoint>?<params>`: the `data` of a successful answer.
    pub fn api(&self, endpoint: &str, params: &[(&str, &str)]) -> serde_json::Value {
        let q: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{k}={}", percent(v)))
            .collect();
        let (status, body) = self
            .get(&format!("/api/v1/{endpoint}?{}", q.join("&")))
            .unwrap();
        let v: serde_json::Value = serde_json::from_str(&body)
            .unwrap_or_else(|e| panic!("{endpoint} {params:?}: {status} {e}: {body}"));
        assert_eq!(v["status"], "success", "{endpoint} {params:?}: {body}");
        v["data"].clone()
    }

    /// An instant query at Unix time `ms`: each result's labels and value.
    pub fn query(&self, expr: &str, ms: i64) -> Vec<(BTreeMap<String, String>, f64)> {
        let t = secs(ms);
        let data = self.api("query", &[("query", expr), ("time", &t)]);
        data["result"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (labels(&r["metric"]), num(&r["value"][1])))
            .collect()
    }

    /// A range query from `start` to `end` (Unix ms) every `step_ms`: each series'
    /// labels and its (ms, value) points.
    pub fn query_range(&self, expr: &str, (start, end, step_ms): (i64, i64, i64)) -> Vec<Series> {
        let step = secs(step_ms);
        let (start, end) = (secs(start), secs(end));
        let params = [
            ("query", expr),
            ("start", &*start),
            ("end", &*end),
            ("step", &*step),
        ];
        let data = self.api("query_range", &params);
        data["result"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let points = r["values"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| ((p[0].as_f64().unwrap() * 1000.0).round() as i64, num(&p[1])))
                    .collect();
                (labels(&r["metric"]), points)
            })
            .collect()
    }
}

fn secs(ms: i64) -> String {
    format!("{}.{:03}", ms.div_euclid(1000), ms.rem_euclid(1000))
}

fn labels(v: &serde_json::Value) -> BTreeMap<String, String> {
    v.as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
        .collect()
}

fn num(v: &serde_json::Value) -> f64 {
    v.as_str().unwrap().parse().unwrap()
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Runs `scenario` with `--outputs all,metrics` (and `extra` flags) into `<work>/<name>`
/// and backfills its metrics.om into `db`: the run directory.
pub fn backfilled_run(
    promtool: &Path,
    scenario: &str,
    (work, name): (&Path, &str),
    extra: &[&str],
    db: &Path,
) -> PathBuf {
    let out = work.join(name);
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
    let r = Command::new(promtool)
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(out.join("metrics.om"))
        .arg(db)
        .output()
        .unwrap();
    assert!(
        r.status.success(),
        "promtool refused metrics.om: {}{}",
        String::from_utf8_lossy(&r.stdout),
        String::from_utf8_lossy(&r.stderr)
    );
    out
}

/// One day in ms: the second run's `--metrics-start` is a day after the default epoch.
const DAY_MS: i64 = 86_400_000;

#[test]
fn prometheus_answers_what_the_csvs_say() {
    let Some((prometheus, promtool)) = binaries() else {
        return;
    };
    // two runs in one TSDB: the second a day later (--metrics-start), so that their
    // series (both have a node ng1-1) never meet
    let work = fresh_dir("prom", "work");
    let db = work.join("tsdb");
    let three = "scenarios/three-t3-medium.yaml";
    let out = backfilled_run(&promtool, three, (&work, "three"), &[], &db);
    let pd = backfilled_run(
        &promtool,
        "scenarios/prefix-delegation.yaml",
        (&work, "pd"),
        &["--metrics-start", "2026-01-02T00:00:00Z"],
        &db,
    );
    let prom = Prometheus::start(&prometheus, &db, &work);
    let timeline = read_csv(&out.join("timeline.csv"));
    let nodes = read_csv(&out.join("nodes.csv"));

    // instant queries at several sample times: before the burst (0 s, 30 s), in it
    // (61 s, 70 s, 90 s) and at the end (600 s)
    for r in timeline.iter().filter(|r| {
        ["0.000", "30.000", "61.000", "70.000", "90.000", "600.000"].contains(&r["time_s"].as_str())
    }) {
        let t = ms_of(&r["time_s"]);
        for (expr, column) in [
            ("sum(awscni_assigned_ip_addresses)", "ips_assigned"),
            ("sum(awscni_total_ip_addresses)", "ips_total"),
            ("sum(awscni_eni_allocated)", "enis"),
            ("sum(ipamsim_pods_waiting_ip)", "pods_waiting_ip"),
            ("ipamsim_pods_unschedulable", "pods_unschedulable"),
            ("sum(ipamsim_ec2_requests_total)", "ec2_calls"),
        ] {
            let got = prom.query(expr, t);
            assert_eq!(got.len(), 1, "{expr} at {}", r["time_s"]);
            let want: f64 = r[column].parse().unwrap();
            assert_eq!(got[0].1, want, "{expr} at {} s", r["time_s"]);
        }
    }
    // one node's own series at 70 s
    let row = nodes
        .iter()
        .find(|r| r["time_s"] == "70.000" && r["node"] == "ng1-2")
        .unwrap();
    let got = prom.query(
        r#"awscni_total_ip_addresses{instance="ng1-2"}"#,
        ms_of("70.000"),
    );
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].1.to_string(), row["ips_total"]);
    assert_eq!(got[0].0["nodegroup"], "ng1");

    // The EKS expression over the prefix-delegation run (10 nodes, 15 minutes), one
    // evaluation per sample (1 s): it selects exactly the (node, time) pairs whose
    // nodes.csv row has ips_total − ips_assigned < 10. (On three-t3-medium it would select
    // every row: a t3.medium holds at most 15 addresses and never keeps 10 free.)
    let nodes = read_csv(&pd.join("nodes.csv"));
    let start = ms_of("0.000") + DAY_MS;
    let end = ms_of("900.000") + DAY_MS;
    let mut selected = BTreeSet::new();
    for (labels, points) in prom.query_range(EKS_EXPR, (start, end, 1000)) {
        for (t, v) in points {
            assert!(v < 10.0);
            selected.insert((labels["instance"].clone(), t));
        }
    }
    let expected: BTreeSet<(String, i64)> = nodes
        .iter()
        .filter(|r| {
            let total: i64 = r["ips_total"].parse().unwrap();
            let assigned: i64 = r["ips_assigned"].parse().unwrap();
            total - assigned < 10
        })
        .map(|r| (r["node"].clone(), ms_of(&r["time_s"]) + DAY_MS))
        .collect();
    // derived from the CSV, not assumed: some rows on each side of the threshold
    assert!(!expected.is_empty() && expected.len() < nodes.len());
    assert_eq!(selected, expected);

    // every panel of the Grafana dashboard returns data on the backfilled run
    let dashboard: serde_json::Value = serde_json::from_slice(
        &std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/grafana/ipamsim.json"))
            .unwrap(),
    )
    .unwrap();
    let panels = dashboard["panels"].as_array().unwrap();
    let mut exprs = 0;
    for panel in panels.iter().filter(|p| p["type"] != "row") {
        for target in panel["targets"].as_array().unwrap() {
            let expr = grafana_expr(target["expr"].as_str().unwrap());
            // at 90 s: mid-burst, every family has samples and the rates have a window
            let got = prom.query(&expr, ms_of("90.000"));
            assert!(
                !got.is_empty(),
                "panel {:?}: {expr} returned nothing",
                panel["title"]
            );
            exprs += 1;
        }
    }
    assert!(exprs >= 8, "{exprs} panel queries");
}

/// When kube-prometheus's `AwsVpcCniWarmIPsLow` (the EKS expression, `for: 10m`) fires,
/// worked out from nodes.csv alone, one evaluation per row: per node, a stretch of rows
/// with `ips_total − ips_assigned < 10` is pending from its first row, firing from the
/// first row at least 600 s later, resolved at the first row after it that is not below
/// 10. Each (instance, pending_s, firing_s, resolved_s), in node then time order.
fn warm_ip_alerts_from_csv(
    nodes: &[HashMap<String, String>],
) -> Vec<(String, f64, f64, Option<f64>)> {
    let mut by_node: BTreeMap<&str, Vec<(f64, bool)>> = BTreeMap::new();
    for r in nodes {
        let total: i64 = r["ips_total"].parse().unwrap();
        let assigned: i64 = r["ips_assigned"].parse().unwrap();
        let t: f64 = r["time_s"].parse().unwrap();
        by_node
            .entry(&r["node"])
            .or_default()
            .push((t, total - assigned < 10));
    }
    let mut out = Vec::new();
    for (node, rows) in by_node {
        let mut pending: Option<f64> = None;
        let mut firing: Option<f64> = None;
        for (t, low) in rows {
            match (low, pending) {
                (true, None) => pending = Some(t),
                (true, Some(p)) if firing.is_none() && t - p >= 600.0 => firing = Some(t),
                (false, Some(p)) => {
                    if let Some(f) = firing {
                        out.push((node.to_string(), p, f, Some(t)));
                    }
                    (pending, firing) = (None, None);
                }
                _ => {}
            }
        }
        if let (Some(p), Some(f)) = (pending, firing) {
            out.push((node.to_string(), p, f, None));
        }
    }
    out
}

/// `ipamsim alerts DIR --rules deploy/prometheus/aws-vpc-cni-rules.yaml --format json`:
/// each (instance, pending_s, firing_s, resolved_s).
fn alerts_of(dir: &Path) -> Vec<(String, f64, f64, Option<f64>)> {
    let rules =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/prometheus/aws-vpc-cni-rules.yaml");
    let r = ipamsim(&[
        "alerts",
        dir.to_str().unwrap(),
        "--rules",
        rules.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let v: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    let rule = &v["rules"][0];
    assert_eq!(rule["alert"], "AwsVpcCniWarmIPsLow");
    assert_eq!(rule["for_s"], 600.0);
    rule["fired"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["labels"]["instance"].as_str().unwrap().to_string(),
                f["pending_s"].as_f64().unwrap(),
                f["firing_s"].as_f64().unwrap(),
                f["resolved_s"].as_f64(),
            )
        })
        .collect()
}

#[test]
fn alerts_lists_when_the_eks_warm_ip_alert_fires() {
    let Some((_, promtool)) = binaries() else {
        return;
    };
    let work = fresh_dir("prom", "alerts");
    let db = work.join("tsdb");
    let three = backfilled_run(
        &promtool,
        "scenarios/three-t3-medium.yaml",
        (&work, "three"),
        &[],
        &db,
    );
    // A t3.medium holds at most 15 addresses and never keeps 10 free (nodes.csv), so each
    // of the three nodes is pending from 0 s and fires 600 s later, at the run's last
    // sample, still firing at the end.
    let want: Vec<_> = ["ng1-1", "ng1-2", "ng1-3"]
        .into_iter()
        .map(|n| (n.to_string(), 0.0, 600.0, None))
        .collect();
    assert_eq!(
        warm_ip_alerts_from_csv(&read_csv(&three.join("nodes.csv"))),
        want
    );
    assert_eq!(alerts_of(&three), want);
    // scale-out: 12 nodes, some stretches long enough to fire and later resolved; the
    // command agrees with the CSV, row by row
    let so = backfilled_run(
        &promtool,
        "scenarios/scale-out.yaml",
        (&work, "so"),
        &[],
        &db,
    );
    let from_csv = warm_ip_alerts_from_csv(&read_csv(&so.join("nodes.csv")));
    assert!(from_csv.iter().any(|a| a.3.is_some()), "{from_csv:?}");
    assert_eq!(alerts_of(&so), from_csv);
}

/// A panel's expression with the dashboard's variables replaced as Grafana would: every
/// node and nodegroup selected, a one-minute rate window.
pub fn grafana_expr(expr: &str) -> String {
    expr.replace("$__rate_interval", "1m")
        .replace("$nodegroup", ".*")
        .replace("$node", ".*")
}
