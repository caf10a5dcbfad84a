//! Churn workloads (Poisson and batch arrivals with lifetimes) and trace replay.
//! Each expected number is derived by hand in a comment.
use crate::common;

use common::{fresh_dir, ipamsim_in, run_yaml};
use ipamsim::model::record::MemoryRecorder;
use ipamsim::model::World;
use ipamsim::scenario::{self, churn::lognormal_params};
use ipamsim::sim::simulate;
use std::path::Path;
use std::process::Output;

/// One row of pods.csv, by column name.
#[derive(Clone, Debug)]
struct PodRow {
    pod: String,
    workload: String,
    created_s: String,
    scheduled_s: String,
    ip_assigned_s: String,
    deleted_s: String,
    final_state: String,
}

/// pods.csv's rows as the recorder saw them, times as the file writes them.
fn pods_csv(world: &World<MemoryRecorder>) -> Vec<PodRow> {
    let t = |x: Option<ipamsim::time::SimTime>| x.map(|x| x.secs_str()).unwrap_or_default();
    records(world)
        .into_iter()
        .map(|p| PodRow {
            pod: p.name.clone(),
            workload: p.workload.clone(),
            created_s: p.created.secs_str(),
            scheduled_s: t(p.scheduled),
            ip_assigned_s: t(p.ip_assigned),
            deleted_s: t(p.deleted),
            final_state: p.state.word().to_string(),
        })
        .collect()
}

/// Reads a CSV file's data rows (the header skipped).
fn csv_rows(text: &str) -> Vec<csv::StringRecord> {
    csv::Reader::from_reader(text.as_bytes())
        .records()
        .map(Result::unwrap)
        .collect()
}

/// Milliseconds from a seconds cell (`12.345` → 12345).
fn ms(cell: &str) -> i64 {
    (cell.parse::<f64>().unwrap() * 1000.0).round() as i64
}

/// Every pod's record, in creation order.
fn records(world: &World<MemoryRecorder>) -> Vec<&ipamsim::model::record::OwnedPod> {
    let mut pods: Vec<_> = world.recorder().pods.iter().collect();
    pods.sort_by_key(|p| p.seq);
    pods
}

/// Lifetimes (s, µs-exact) of the pods of workload `name`, in creation order.
fn lifetimes(world: &World<MemoryRecorder>, name: &str) -> Vec<f64> {
    records(world)
        .into_iter()
        .filter(|p| p.workload == name)
        .filter_map(|p| p.deleted.map(|d| d.since(p.created).as_secs_f64()))
        .collect()
}

/// Creation times (µs) of the pods of workload `name`, in creation order.
fn created_times(world: &World<MemoryRecorder>, name: &str) -> Vec<u64> {
    records(world)
        .into_iter()
        .filter(|p| p.workload == name)
        .map(|p| p.created.micros())
        .collect()
}

/// A cluster of `nodes` m5.large (27 workload slots each) plus the given workloads.
fn cluster(duration: &str, nodes: u32, extra: &str, workloads: &str) -> String {
    format!(
        "duration: {duration}
sample_interval: 10s
{extra}
subnets:
  - name: a
    cidr: 10.0.0.0/20
nodegroups:
  - name: ng
    instance_type: m5.large
    count: {nodes}
    subnet: a
workloads:
{workloads}"
    )
}

#[test]
fn batches_arrive_every_period_and_expire_after_their_lifetime() {
    // Batches of 20 from 10 s every 30 s, until 100 s (exclusive): 10, 40, 70 s (100 is not
    // before 100) → 3 × 20 = 60 pods. Fixed lifetime 60 s: deleted at 70, 100, 130 s; the
    // run lasts 200 s so every pod is deleted. One m5.large (29 slots) cannot hold the 40
    // alive at 40 s, so some pods wait unschedulable for a while: deletion is by lifetime,
    // not by state.
    let yaml = cluster(
        "200s",
        1,
        "",
        "  - name: b
    arrivals: {every: 30s, count: 20}
    lifetime: 60s
    from: 10s
    until: 100s
",
    );
    let (world, _) = run_yaml(&yaml);
    let rows = pods_csv(&world);
    let batch: Vec<&PodRow> = rows.iter().filter(|r| r.workload == "b").collect();
    assert_eq!(batch.len(), 60);
    for (i, r) in batch.iter().enumerate() {
        assert_eq!(r.pod, format!("b-{}", i + 1));
        let want_created = [10_000, 40_000, 70_000][i / 20];
        assert_eq!(ms(&r.created_s), want_created, "{r:?}");
        assert_eq!(ms(&r.deleted_s), want_created + 60_000, "{r:?}");
        assert_eq!(r.final_state, "deleted");
    }
    // 40 alive at 40 s on 29 slots: at least 11 were created unschedulable.
    let late = batch
        .iter()
        .filter(|r| r.scheduled_s.is_empty() || ms(&r.scheduled_s) > ms(&r.created_s))
        .count();
    assert!(late >= 11, "{late}");
    // An arrival exactly at `until` does not happen; including 100 s would add 20 pods.
    let yaml_101 = yaml.replace("until: 100s", "until: 101s");
    let (world, _) = run_yaml(&yaml_101);
    assert_eq!(created_times(&world, "b").len(), 80);
}

#[test]
fn expiry_deletes_pods_that_wait_for_an_ip_or_a_slot() {
    // One m5.large with MAX_ENI=1: the primary ENI's 9 IPs are the whole pool, and 9 `hog`
    // pods take them all. max_pods 11 leaves 2 slots. At 20 s `wait` gets 2 pods: bound,
    // no IP (the pool cannot grow) → waiting_ip until their lifetime ends at 30 s. At 21 s
    // `cold` gets 2 pods: no slot → unschedulable until deleted at 26 s.
    let yaml = "duration: 60s
cni:
  MAX_ENI: 1
subnets:
  - name: a
    cidr: 10.0.0.0/24
nodegroups:
  - {name: ng, instance_type: m5.large, count: 1, subnet: a, max_pods: 11}
workloads:
  - name: hog
    replicas: 9
  - name: wait
    arrivals: {every: 1h, count: 2}
    lifetime: 10s
    from: 20s
  - name: cold
    arrivals: {every: 1h, count: 2}
    lifetime: 5s
    from: 21s
";
    let (world, _) = run_yaml(yaml);
    let rows = pods_csv(&world);
    let of = |w: &str| rows.iter().filter(|r| r.workload == w).collect::<Vec<_>>();
    assert!(of("hog").iter().all(|r| r.final_state == "running"));
    for r in of("wait") {
        assert_eq!(
            (r.scheduled_s.as_str(), r.ip_assigned_s.as_str()),
            ("20.000", "")
        );
        assert_eq!(r.deleted_s, "30.000");
    }
    for r in of("cold") {
        assert_eq!(r.scheduled_s, "");
        assert_eq!(r.deleted_s, "26.000");
    }
    assert_eq!(of("wait").len() + of("cold").len(), 4);
    // Nothing is left waiting: the deletes took them out of the counts.
    let last = &world.totals().last_row;
    assert_eq!((last.pods_waiting_ip, last.pods_unschedulable), (0, 0));
}

/// A Poisson workload on a cluster with no nodes: every pod stays unschedulable, which
/// does not matter to arrivals and lifetimes, and keeps the run fast.
fn poisson(seed: u64, lifetime: &str, duration: &str) -> String {
    cluster(
        duration,
        0,
        &format!("seed: {seed}"),
        &format!(
            "  - name: p
    arrivals: {{rate: 2/s}}
    lifetime: {lifetime}
    until: 1000s
"
        ),
    )
}

#[test]
fn poisson_arrivals_count_and_common_random_numbers() {
    // Rate 2/s over [0, 1000 s): the count is Poisson with mean 2000 and σ = √2000 ≈ 44.7;
    // within ±5σ ≈ ±224.
    let (a, _) = run_yaml(&poisson(1, "5s", "1000s"));
    let times_a = created_times(&a, "p");
    let n = times_a.len() as f64;
    assert!((n - 2000.0).abs() < 5.0 * 2000f64.sqrt(), "{n} arrivals");
    // Same seed: the same arrival times to the microsecond.
    let (b, _) = run_yaml(&poisson(1, "5s", "1000s"));
    assert_eq!(times_a, created_times(&b, "p"));
    // Another seed: other arrival times.
    let (c, _) = run_yaml(&poisson(2, "5s", "1000s"));
    assert_ne!(times_a, created_times(&c, "p"));
    // Fixed lifetime: every pod that ended lived exactly 5 s (pods created after 995 s
    // are still alive at the end).
    let l = lifetimes(&a, "p");
    assert!(l.iter().all(|&x| x == 5.0));
    assert!(l.len() as f64 > n - 30.0, "{} of {n}", l.len());
}

#[test]
fn lifetime_distributions_have_their_means() {
    // Exponential mean 5 s: ~2000 pods; the run lasts 100 s past the last arrival, so no
    // lifetime is cut (P(> 100 s) = e^-20). Standard error 5/√2000 ≈ 0.112 s; allow 5 SE.
    let (w, _) = run_yaml(&poisson(3, "{exponential: 5s}", "1100s"));
    let l = lifetimes(&w, "p");
    assert_eq!(l.len(), created_times(&w, "p").len());
    let mean = l.iter().sum::<f64>() / l.len() as f64;
    assert!((mean - 5.0).abs() < 0.56, "exponential mean {mean}");

    // Lognormal mean 120 s, sd 30 s: σ² = ln(1 + 30²/120²) = ln 1.0625, μ = ln 120 − σ²/2.
    let (mu, sigma) = lognormal_params(120.0, 30.0);
    let sigma2 = 1.0625f64.ln();
    assert!((sigma * sigma - sigma2).abs() < 1e-12);
    assert!((mu - (120f64.ln() - sigma2 / 2.0)).abs() < 1e-12);
    // Run 400 s past the last arrival: P(X > 400 s) has z = (ln 400 − μ)/σ ≈ 5, negligible.
    // SE of the mean 30/√2000 ≈ 0.67 s; allow 5 SE ≈ 3.4 s.
    let (w, _) = run_yaml(&poisson(4, "{lognormal: {mean: 2m, sd: 30s}}", "1400s"));
    let l = lifetimes(&w, "p");
    assert_eq!(l.len(), created_times(&w, "p").len());
    let mean = l.iter().sum::<f64>() / l.len() as f64;
    assert!((mean - 120.0).abs() < 3.4, "lognormal mean {mean}");

    // Uniform [1m, 3m]: every lifetime in bounds.
    let (w, _) = run_yaml(&poisson(5, "{uniform: [1m, 3m]}", "1200s"));
    assert!(lifetimes(&w, "p")
        .iter()
        .all(|&x| (60.0..=180.0).contains(&x)));
}

fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn churn_scenario_is_byte_identical_across_runs() {
    let read = |dir: &Path, f: &str| std::fs::read(dir.join(f)).unwrap();
    let (a, b) = (fresh_dir("churn", "det-a"), fresh_dir("churn", "det-b"));
    for out in [&a, &b] {
        let o = ipamsim(
            &[
                "run",
                "scenarios/churn.yaml",
                "--out",
                out.to_str().unwrap(),
                "--quiet",
            ],
            manifest(),
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    for f in ["pods.csv", "events.csv", "timeline.csv"] {
        assert!(
            read(&a, f) == read(&b, f),
            "{f} differs between identical runs"
        );
    }
    // The scenario shows what it is for: IPs in cooldown turn pods away.
    let events = String::from_utf8(read(&a, "events.csv")).unwrap();
    let mut r = csv::Reader::from_reader(events.as_bytes());
    let kind = r
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "kind")
        .unwrap();
    // typed: a no_ip event with cooling addresses, from the in-memory run of the same file
    let sc = scenario::load(&manifest().join("scenarios/churn.yaml")).unwrap();
    let (w, _) = simulate(sc, MemoryRecorder::default(), &mut |_| true);
    assert!(w.recorder().of_kind("no_ip").any(|e| matches!(
        e.fact,
        ipamsim::model::record::Fact::NoIp { cooling, .. } if cooling > 0
    )));
    assert!(r.records().any(|rec| &rec.unwrap()[kind] == "no_ip"));
}

#[test]
fn churn_arrivals_do_not_depend_on_cni_settings() {
    // Common random numbers: stream 6 draws the arrivals and lifetimes, so WARM_IP_TARGET
    // changes the IP side but not when pods are created.
    let path = manifest().join("scenarios/churn.yaml");
    let base = scenario::load(&path).unwrap();
    let mut warm = base.clone();
    warm.cni.warm_ip_target = 5;
    let run = |sc| simulate(sc, MemoryRecorder::default(), &mut |_| true).0;
    let (a, b) = (run(base), run(warm));
    let churn = |w: &World<MemoryRecorder>| {
        pods_csv(w)
            .into_iter()
            .filter(|r| r.workload == "jobs" || r.workload == "batch")
            .map(|r| (r.pod, r.created_s))
            .collect::<Vec<_>>()
    };
    let (ca, cb) = (churn(&a), churn(&b));
    assert!(ca.len() > 2000, "{}", ca.len());
    assert_eq!(ca, cb);
    // Lifetimes too, for pods that ended in both runs.
    assert_eq!(lifetimes(&a, "jobs"), lifetimes(&b, "jobs"));
    // ... while the settings did change the IP side.
    assert_ne!(a.recorder().events, b.recorder().events);
}

#[test]
fn example_trace_replays_to_its_own_times() {
    let path = manifest().join("scenarios/trace-replay.yaml");
    let sc = scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let (world, _) = simulate(sc, MemoryRecorder::default(), &mut |_| true);
    let rows = pods_csv(&world);
    let trace = std::fs::read_to_string(manifest().join("scenarios/traces/example.csv")).unwrap();
    // Pods of the trace in creation order, each with its create and (if any) delete time.
    let mut expected: Vec<(String, String, i64, Option<i64>)> = Vec::new();
    for c in csv_rows(&trace) {
        let t = ms(&c[0]);
        match &c[1] {
            "create" => expected.push((c[2].into(), c[3].into(), t, None)),
            _ => {
                let alive = expected
                    .iter_mut()
                    .rev()
                    .find(|e| e.0 == c[2] && e.3.is_none())
                    .expect("validated trace");
                alive.3 = Some(t);
            }
        }
    }
    // 40 rows: 27 creates (12 web + 8 worker + worker-3 again + 6 web) and 13 deletes
    // (worker-3, 6 web, 4 worker, web-1 and web-2).
    assert_eq!(expected.len(), 27);
    let replayed: Vec<&PodRow> = rows
        .iter()
        .filter(|r| r.workload == "web" || r.workload == "worker")
        .collect();
    assert_eq!(replayed.len(), expected.len());
    for (got, (pod, workload, created, deleted)) in replayed.iter().zip(&expected) {
        assert_eq!((&got.pod, &got.workload), (pod, workload));
        assert_eq!(ms(&got.created_s), *created, "{got:?}");
        match deleted {
            Some(d) => assert_eq!(ms(&got.deleted_s), *d, "{got:?}"),
            // Not deleted by the trace: alive at the end.
            None => {
                assert_eq!(got.deleted_s, "", "{got:?}");
                assert_ne!(got.final_state, "deleted");
            }
        }
    }
    // coredns runs beside the trace.
    assert_eq!(rows.iter().filter(|r| r.workload == "coredns").count(), 2);
}

/// Writes `trace` next to a scenario that replays it, validates and runs it with the
/// binary, and returns stderr after checking exit code 2 for both.
fn trace_error(name: &str, trace: &str) -> String {
    let dir = fresh_dir("churn", name);
    std::fs::create_dir_all(dir.join("traces")).unwrap();
    std::fs::write(dir.join("traces/x.csv"), trace).unwrap();
    // Line 8, column 5: the `trace` key.
    let yaml = "duration: 10m
subnets:
  - name: a
    cidr: 10.0.0.0/24
nodegroups:
  - {name: ng, instance_type: m5.large, count: 1, subnet: a}
workloads:
  - trace: traces/x.csv
";
    std::fs::write(dir.join("s.yaml"), yaml).unwrap();
    let validate = ipamsim(&["validate", "s.yaml"], &dir);
    assert_eq!(validate.status.code(), Some(2));
    let out = dir.join("out");
    let run = ipamsim(&["run", "s.yaml", "--out", out.to_str().unwrap()], &dir);
    assert_eq!(run.status.code(), Some(2));
    assert!(!out.join("pods.csv").exists(), "nothing was run");
    String::from_utf8_lossy(&validate.stderr).into_owned()
}

#[test]
fn trace_errors_name_the_file_and_line() {
    const H: &str = "time_s,action,pod,workload\n";
    let at = "s.yaml:8:5: workloads[0].trace: traces/x.csv:";
    let cases: [(&str, String, &str); 9] = [
        (
            "header",
            "time,action,pod,workload\n".into(),
            "1: header is \"time,action,pod,workload\"; expected \"time_s,action,pod,workload\"",
        ),
        (
            "fields",
            format!("{H}1,create,web-1\n"),
            "2: 3 fields; expected 4",
        ),
        (
            "time",
            format!("{H}1,create,web-1,web\nsoon,create,web-2,web\n"),
            "3: cannot read time \"soon\"",
        ),
        (
            "negative",
            format!("{H}-2,create,web-1,web\n"),
            "2: time -2 is negative",
        ),
        (
            "action",
            format!("{H}1,stop,web-1,web\n"),
            "2: unknown action \"stop\"; allowed: create, delete",
        ),
        (
            "early-delete",
            format!("{H}1,create,web-1,web\n2,delete,web-3,web\n"),
            "3: delete of pod web-3 before it was created",
        ),
        (
            "twice",
            format!("{H}1,create,web-1,web\n2,delete,web-1,web\n3,delete,web-1,web\n"),
            "4: delete of pod web-1, which was already deleted on line 3",
        ),
        (
            "alive",
            format!("{H}1,create,web-1,web\n2,create,web-1,web\n"),
            "3: create of pod web-1, which is alive (created on line 2)",
        ),
        (
            "comma",
            format!("{H}1,create,\"web,1\",web\n"),
            "2: pod name \"web,1\" has a comma",
        ),
    ];
    for (name, trace, message) in &cases {
        let stderr = trace_error(name, trace);
        let want = format!("{at}{message}");
        assert!(stderr.contains(&want), "{name}: want {want:?} in\n{stderr}");
    }
    // Out of order: rows 2..=15 are fine, line 16 says 14.0, line 17 goes back to 12.5.
    let mut trace = H.to_string();
    for i in 0..14 {
        trace += &format!("{}.0,create,web-{},web\n", i + 1, i + 1);
    }
    trace += "14.0,create,api-1,api\n12.5,create,api-2,api\n";
    let stderr = trace_error("order", &trace);
    let want = format!("{at}17: time 12.5 comes before 14.0 on line 16");
    assert!(stderr.contains(&want), "want {want:?} in\n{stderr}");
    // Several problems are all reported, in line order.
    let stderr = trace_error(
        "several",
        &format!("{H}1,create,a,w\n2,delete,b,w\n3,start,c,w\n"),
    );
    let (p3, p4) = (
        stderr.find("x.csv:3:").unwrap(),
        stderr.find("x.csv:4:").unwrap(),
    );
    assert!(p3 < p4, "{stderr}");
    // An unreadable file names the path as resolved from the scenario's directory.
    let dir = fresh_dir("churn", "missing");
    std::fs::write(
        dir.join("s.yaml"),
        "duration: 1m\nworkloads:\n  - trace: traces/none.csv\n",
    )
    .unwrap();
    let o = ipamsim(
        &["validate", dir.join("s.yaml").to_str().unwrap()],
        manifest(),
    );
    assert_eq!(o.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&o.stderr);
    let resolved = dir.join("traces/none.csv");
    assert!(
        stderr.contains(&format!(
            "s.yaml:3:5: workloads[0].trace: cannot read trace file {}",
            resolved.display()
        )),
        "{stderr}"
    );
}

#[test]
fn churn_settings_are_checked_with_located_messages() {
    let base = "duration: 10m\nworkloads:\n";
    // (workload lines, field path, line:col, phrase); the workload starts on line 3.
    let cases = [
        ("  - name: j\n    arrivals: {rate: 2/day}\n    lifetime: 1m\n", "workloads[0].arrivals.rate", (4, 16), "unknown unit \"/day\""),
        ("  - name: j\n    arrivals: {rate: fast}\n    lifetime: 1m\n", "workloads[0].arrivals.rate", (4, 16), "is not a rate"),
        ("  - name: j\n    arrivals: {rate: 0/s}\n    lifetime: 1m\n", "workloads[0].arrivals.rate", (4, 16), "not positive"),
        ("  - name: j\n    arrivals: {rate: 3}\n    lifetime: 1m\n", "workloads[0].arrivals.rate", (4, 16), "expected a rate like 2/s"),
        ("  - name: j\n    arrivals: {every: 0s, count: 1}\n    lifetime: 1m\n", "workloads[0].arrivals.every", (4, 16), "must be longer than 0"),
        ("  - name: j\n    arrivals: {every: -5s, count: 1}\n    lifetime: 1m\n", "workloads[0].arrivals.every", (4, 16), "is negative"),
        ("  - name: j\n    arrivals: {every: 5s, count: 0}\n    lifetime: 1m\n", "workloads[0].arrivals.count", (4, 27), "a batch size must be 1 or more"),
        ("  - name: j\n    arrivals: {rate: 1/s}\n    lifetime: {weibull: 3m}\n", "workloads[0].lifetime", (5, 16), "unknown lifetime form \"weibull\""),
        ("  - name: j\n    arrivals: {rate: 1/s}\n    lifetime: {lognormal: {mean: 0s, sd: 1s}}\n", "workloads[0].lifetime.lognormal.mean", (5, 28), "must be longer than 0"),
        ("  - name: j\n    arrivals: {rate: 1/s}\n    lifetime: {lognormal: {mean: 2m, sd: -1s}}\n", "workloads[0].lifetime.lognormal.sd", (5, 38), "is negative"),
        ("  - name: j\n    arrivals: {rate: 1/s}\n    lifetime: 1m\n    from: 5m\n    until: 5m\n", "workloads[0].until", (7, 5), "until 5m is not after from 5m"),
        ("  - name: j\n    arrivals: {rate: 1/s}\n", "workloads[0].lifetime", (3, 3), "required with `arrivals`"),
        ("  - name: j\n    replicas: 2\n    lifetime: 1m\n", "workloads[0].lifetime", (5, 5), "only goes with `arrivals`"),
        ("  - name: j\n    steps: [{at: 0s, replicas: 1}]\n    arrivals: {rate: 1/s}\n    lifetime: 1m\n", "workloads[0]", (3, 3), "has both `steps` and `arrivals`"),
    ];
    for (workload, path, (line, col), phrase) in cases {
        let text = format!("{base}{workload}");
        let problems = scenario::parse(&text, "c.yaml").unwrap_err().problems;
        assert_eq!(problems.len(), 1, "{text}\n{problems:#?}");
        let d = &problems[0];
        assert_eq!(d.path, path, "{text}");
        assert_eq!(d.location, Some((line, col)), "{text}: {}", d.message);
        assert!(d.message.contains(phrase), "{text}: {}", d.message);
    }
}

fn ipamsim(args: &[&str], dir: &Path) -> Output {
    ipamsim_in(dir, args)
}
