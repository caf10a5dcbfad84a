//! Random scenarios mixing every failure path (throttling with tiny buckets, injected EC2
//! errors, ENIs missing from IMDS, aws-node restarts, autoscaling, churn, prefix delegation,
//! fragmented subnets): no panic, and no address is ever held twice or outside its subnet.
use crate::common;
use common::*;
use ipamsim::model::lease::{Ipv4, Lease};
use ipamsim::model::record::MemoryRecorder;
use ipamsim::model::World;
use ipamsim::scenario;
use rand::{Rng, SeedableRng};
use std::collections::HashSet;
use std::path::Path;

/// Every address a datastore holds is unique, inside its ENI's subnet and marked used there;
/// every pod IP is held by exactly one slot of its own node.
fn check(w: &World<MemoryRecorder>, label: &str) {
    let mut seen = HashSet::new();
    for (ni, n) in w.node_views().enumerate() {
        for e in n.ds.enis() {
            let subnet = &w.subnets()[e.subnet.index()];
            let addrs = e.addresses();
            for a in addrs {
                assert!(seen.insert(a), "{label}: {a:#x} held twice");
                assert!(
                    subnet.is_used(a),
                    "{label}: {a:#x} held but free in its subnet"
                );
            }
            for s in e.slots() {
                if let Some(pod) = s.pod() {
                    assert_eq!(
                        w.pods()[pod.index()].ip,
                        Some(Lease::v4(Some(e.id), Ipv4(s.addr))),
                        "{label}"
                    );
                    assert_eq!(
                        w.pods()[pod.index()].node,
                        Some(ipamsim::model::ids::NodeId(ni as u32)),
                        "{label}"
                    );
                }
            }
        }
    }
}

#[test]
fn random_failure_mixes_never_panic_or_double_allocate() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(77);
    for case in 0..24 {
        let pd = rng.gen_bool(0.4);
        let bucket = rng.gen_range(1..8);
        let fault = rng.gen_range(0.0..0.4);
        let missing = rng.gen_range(0.0..0.5);
        let used = rng.gen_range(0..300);
        let restart = rng.gen_range(30..400);
        let seed = rng.gen_range(1..10_000);
        let warm = [
            "WARM_IP_TARGET: 2",
            "WARM_ENI_TARGET: 1",
            "MINIMUM_IP_TARGET: 12\n  WARM_IP_TARGET: 1",
            "WARM_PREFIX_TARGET: 2",
        ][rng.gen_range(0..4)];
        let yaml = format!(
            "duration: 12m
seed: {seed}
cni:
  ENABLE_PREFIX_DELEGATION: {pd}
  IP_COOLDOWN_PERIOD: 5
  {warm}
ec2:
  throttling: {{mutating: {{bucket: {bucket}, refill: 1}}, describe: {{bucket: {bucket}, refill: 2}}}}
  faults: {{AttachNetworkInterface: {fault:.3}, DeleteNetworkInterface: {fault:.3}, DetachNetworkInterface: {fault:.3}, UnassignPrivateIpAddresses: {fault:.3}, AssignPrivateIpAddresses: {fault:.3}, DescribeNetworkInterfaces: {fault:.3}}}
faults:
  eni_missing_from_imds: {missing:.3}
  aws_node_restarts: [{{at: {restart}s, node: ng-1}}, {{at: {}s, node: ng-2}}]
subnets: [{{name: a, cidr: 10.0.0.0/21, used: {used}}}]
nodegroups:
  - name: ng
    instance_type: m5.large
    count: 2
    subnet: a
    autoscaling: {{min: 2, max: 6, provision_time: 30s, scale_down_after: 2m}}
workloads:
  - name: steady
    steps: [{{at: 10s, replicas: 40}}, {{at: 4m, replicas: 5}}, {{at: 7m, replicas: 60}}, {{at: 10m, replicas: 0}}]
  - name: jobs
    arrivals: {{rate: 0.5/s}}
    lifetime: {{exponential: 40s}}
",
            restart + 100
        );
        for dur in ["3m", "6m", "12m"] {
            let y = yaml.replacen("duration: 12m", &format!("duration: {dur}"), 1);
            let (w, _) = run_yaml(&y);
            check(
                &w,
                &format!("case {case} (pd {pd}, bucket {bucket}, fault {fault:.2}) at {dur}"),
            );
        }
    }
}

/// aws-node restarting while ipamd creates an ENI, before `CreateNetworkInterface` has
/// returned, gives back nothing: the ENI holds no address yet (the restart used to release
/// its placeholder address 0 into the subnet, an offset below the subnet's base, and
/// panicked). A /27 leaves no room for a third ENI, so the create at the end of the 120 s
/// back-off is the one the restart at 170 s interrupts.
#[test]
fn a_restart_during_an_eni_create_returns_nothing_it_never_took() {
    let (w, _) = run_yaml(
        "duration: 204s
seed: 1881
subnets: [{name: a, cidr: 10.0.0.0/27}]
nodegroups: [{name: ng, instance_type: m5.large, count: 1, subnet: a}]
faults:
  aws_node_restarts: [{at: 11s, node: ng-1}, {at: 170s, node: ng-1}]
workloads:
  - {name: web, at: 34s, replicas: 10}
",
    );
    // The window is reached: an ENI create starts after the back-off (169.845 s) and
    // before the restart.
    let creates = event_times(&w, "create_eni");
    assert!(
        creates.iter().any(|&t| t > 169.845 && t < 170.0),
        "{creates:?}"
    );
    assert_eq!(event_times(&w, "aws_node_restart"), vec![11.0, 170.0]);
    check(&w, "restart during a create");
    // /27: 32 − 5 reserved = 27 usable. Held: the node's primary address, eni-1's 9
    // secondary IPs (m5.large: 10 IPv4 per ENI) and eni-2's primary + 9 = 20, so 7 free;
    // the interrupted create took none of them.
    let last = w.totals().last_row;
    assert_eq!(
        (last.subnet_free_ips, last.enis, last.ips_total),
        (7, 2, 18)
    );
}

/// Trace rows at or after `duration` never happen (docs/scenario-reference.md), also a row
/// at exactly `duration`, which the run's last instant used to replay: `b` was created and
/// `a` deleted at 60.000 s.
#[test]
fn trace_rows_at_the_end_never_happen() {
    let dir = fresh_dir("robustness", "trace-end");
    let trace = dir.join("t.csv");
    std::fs::write(
        &trace,
        "time_s,action,pod,workload\n0,create,a,t\n59.999,create,c,t\n60,create,b,t\n60,delete,a,t\n61,create,d,t\n",
    )
    .unwrap();
    let (w, _) = run_yaml(&format!(
        "duration: 1m
subnets: [{{name: s, cidr: 10.0.0.0/24}}]
nodegroups: [{{name: ng, instance_type: t3.medium, count: 1, subnet: s}}]
workloads:
  - trace: {}
",
        trace.display()
    ));
    // a (created at 0, its delete at 60 s not replayed) and c (59.999 s): 2 pods, both alive
    let pods: Vec<(&str, Option<f64>)> = w
        .recorder()
        .pods
        .iter()
        .map(|p| (p.name.as_str(), p.deleted.map(|t| t.as_secs_f64())))
        .collect();
    assert_eq!(pods, vec![("a", None), ("c", None)]);
    assert_eq!(w.totals().last_row.pods_total, 2);
    let _ = std::fs::remove_dir_all(&dir);
}

// ----- regressions D1–D17 (the table in docs/development.md names the test of each) -----

/// The reproducers' minimal scenario: one t3.medium in a /24.
const MIN: &str = "duration: 1m
subnets: [{name: s, cidr: 10.0.0.0/24}]
nodegroups: [{name: ng, instance_type: t3.medium, count: 1, subnet: s}]
";

/// `ipamsim validate` (plus `args`) on a file holding `text`: exit code and stderr.
fn validate(tag: &str, text: &str, args: &[&str]) -> (Option<i32>, String) {
    let dir = fresh_dir("robustness", tag);
    let file = dir.join("s.yaml");
    std::fs::write(&file, text).unwrap();
    let mut all = vec!["validate", file.to_str().unwrap()];
    all.extend(args);
    let o = ipamsim(&all);
    let _ = std::fs::remove_dir_all(&dir);
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// D2: a manifest is read like scenario and trace files (64 MiB cap, regular files only;
/// those are in scenario_input.rs).
#[test]
fn d2_cni_from_dev_zero_is_refused() {
    if !Path::new("/dev/zero").exists() {
        return;
    }
    let text = format!("{MIN}cni_from: /dev/zero\n");
    let e = scenario::parse(&text, "s.yaml").expect_err("/dev/zero is no manifest");
    assert_eq!(e.problems.len(), 1, "{e}");
    let d = &e.problems[0];
    assert_eq!((d.path.as_str(), d.location), ("cni_from", Some((4, 1))));
    assert!(d.message.contains("not a regular file"), "{}", d.message);
}

/// D3: counts at the top of u32 stop at the work budget, naming it, in one located line;
/// `--allow-large` lifts it (validate only: such runs are large on purpose).
#[test]
fn d3_huge_counts_stop_at_the_budget() {
    for (tag, text, says) in [
        (
            "replicas",
            format!("{MIN}workloads: [{{name: w, replicas: 4294967295}}]\n"),
            "s.yaml:4:13: workloads[0]: the workloads create about 4,294,967,295 pods",
        ),
        (
            // batches at 0, 10, …, 50 s: 6 × 1,000,000,000
            "batches",
            format!("{MIN}workloads: [{{name: w, arrivals: {{every: 10s, count: 1000000000}}, lifetime: 1m}}]\n"),
            "s.yaml:4:13: workloads[0]: the workloads create about 6,000,000,000 pods",
        ),
        (
            "nodes",
            MIN.replace("count: 1,", "count: 4294967295,"),
            "s.yaml:3:14: nodegroups[0]: the nodegroups can reach 4,294,967,295 nodes",
        ),
    ] {
        let (code, err) = validate(tag, &text, &[]);
        assert_eq!(code, Some(2), "{tag}: {err}");
        assert!(err.contains(says) && err.contains("work budget"), "{tag}: {err}");
        let (code, err) = validate(tag, &text, &["--allow-large"]);
        assert_eq!(code, Some(0), "{tag} --allow-large: {err}");
    }
}

/// D4: rates whose mean inter-arrival time is +inf (5e-324/s, 1e-310/s) are refused with
/// the smallest rate allowed; at that rate a minute sees no arrival.
#[test]
fn d4_absurdly_small_rates() {
    for rate in ["5e-324/s", "1e-310/s"] {
        let text =
            format!("{MIN}workloads: [{{name: w, arrivals: {{rate: {rate}}}, lifetime: 1m}}]\n");
        let (code, err) = validate("rate", &text, &[]);
        assert_eq!(code, Some(2), "{rate}: {err}");
        assert!(
            err.contains("s.yaml:4:34: workloads[0].arrivals.rate: rate")
                && err.contains("the smallest rate allowed is 3.171e-10/s"),
            "{rate}: {err}"
        );
    }
    // 3.171e-10/s: mean 1/rate = 3.154e9 s (100 years); the first arrival is one
    // exponential inter-arrival after 0, before 60 s with probability
    // 1 − e^(−60 × 3.171e-10) ≈ 1.9e-8. So no pod is created.
    let text =
        format!("{MIN}workloads: [{{name: w, arrivals: {{rate: 3.171e-10/s}}, lifetime: 1m}}]\n");
    let (w, _) = run_yaml(&text);
    assert_eq!(w.recorder().pods.len(), 0);
    assert_eq!(w.totals().last_row.pods_total, 0);
}

/// D6: WARM_ENI_TARGET / WARM_PREFIX_TARGET = 4294967295 saturate instead of wrapping:
/// the node fills to its limit and keeps what it has. (`WARM_ENI_TARGET + 1` wrapped to 0
/// in `shouldRemoveExtraENIs`, so every spare ENI looked extra: an idle ENI was freed
/// after its 60 s and created again, over and over; debug builds panicked.)
#[test]
fn d6_huge_warm_targets_fill_the_node_and_stop() {
    let ten_minutes =
        |cni: &str| format!("{MIN}cni: {cni}\n").replace("duration: 1m", "duration: 10m");
    // t3.medium: 3 ENIs × 6 IPv4. Secondary IPs: init fills eni-1 with 5, two creates add
    // eni-2 and eni-3 with 5 each: 15 IPs; the subnet gives 251 usable − (node primary 1
    // + 5 + 2 × (1 + 5)) = 233 free. Nothing is ever freed.
    let (w, _) = run_yaml(&ten_minutes("{WARM_ENI_TARGET: 4294967295}"));
    assert_eq!(event_times(&w, "create_eni").len(), 2);
    assert_eq!(event_times(&w, "free_eni"), Vec::<f64>::new());
    let last = w.totals().last_row;
    assert_eq!(
        (
            last.enis,
            last.ips_total,
            last.prefixes,
            last.subnet_free_ips
        ),
        (3, 15, 0, 233)
    );
    check(&w, "WARM_ENI_TARGET=4294967295");
    // Prefixes: init fills eni-1 with 5 prefixes (80 IPs < max pods 110), the next tick
    // creates eni-2 with 5 more (160 ≥ 110: never again). 251 − (1 + 80 + 1 + 80) = 89.
    let (w, _) = run_yaml(&ten_minutes(
        "{ENABLE_PREFIX_DELEGATION: true, WARM_PREFIX_TARGET: 4294967295}",
    ));
    assert_eq!(event_times(&w, "create_eni").len(), 1);
    assert_eq!(event_times(&w, "free_eni"), Vec::<f64>::new());
    let last = w.totals().last_row;
    assert_eq!(
        (
            last.enis,
            last.ips_total,
            last.prefixes,
            last.subnet_free_ips
        ),
        (2, 160, 10, 89)
    );
    check(&w, "WARM_PREFIX_TARGET=4294967295");
}

/// D7: IP_COOLDOWN_PERIOD × 10⁶ (µs) must not overflow: 18446744073710 s is refused (Go's
/// time.Duration overflows above 9223372036 s), and the longest accepted keeps a released
/// address cooling for the rest of the run.
#[test]
fn d7_cooldown_overflow_and_the_longest_cooldown() {
    let e = scenario::parse(
        &format!("{MIN}cni: {{IP_COOLDOWN_PERIOD: 18446744073710}}\n"),
        "s.yaml",
    )
    .expect_err("overflows");
    assert_eq!(e.problems[0].location, Some((4, 7)));
    assert!(
        e.problems[0]
            .message
            .contains("overflows above 9223372036 s"),
        "{e}"
    );
    // 3 pods at 0 s, deleted at 20 s, 3 new ones at 30 s: the node holds 10 IPs (2 ENIs ×
    // 5, WARM_ENI_TARGET=1), 3 cool for 9223372036 s, so the new pods get 3 other
    // addresses: 6 distinct, and 3 still cooling at the end.
    let (w, _) = run_yaml(&format!(
        "{MIN}cni: {{IP_COOLDOWN_PERIOD: 9223372036}}
workloads: [{{name: w, steps: [{{at: 0s, replicas: 3}}, {{at: 20s, replicas: 0}}, {{at: 30s, replicas: 3}}]}}]
"
    ));
    let ips: HashSet<u32> = w
        .recorder()
        .pods
        .iter()
        .filter_map(|p| p.ip.and_then(|a| a.v4()))
        .collect();
    assert_eq!((w.recorder().pods.len(), ips.len()), (6, 6));
    let last = w.totals().last_row;
    assert_eq!(
        (last.ips_total, last.ips_assigned, last.ips_cooldown),
        (10, 3, 3)
    );
}

/// D9 (through the binary; `parse_set` has the unit test): one value twice, literally or
/// after aws-node's normalisation, is refused before anything runs.
#[test]
fn d9_compare_refuses_the_same_value_twice() {
    let out = fresh_dir("robustness", "d9");
    for (set, says) in [
        ("WARM_IP_TARGET=1,1", "1 and 1 are the same value"),
        ("WARM_IP_TARGET=1,01", "1 and 01 are the same value"),
    ] {
        let dir = out.join("c");
        let o = ipamsim(&[
            "compare",
            "scenarios/three-t3-medium.yaml",
            "--set",
            set,
            "--out",
            dir.to_str().unwrap(),
        ]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{set}: {err}");
        assert!(err.contains(says), "{set}: {err}");
        assert!(!dir.exists(), "{set}: the output directory was created");
    }
}

/// D10: a 200 KB instance type in a scenario is refused with one short line and no
/// did-you-mean (whose edit distances on it were quadratic).
#[test]
fn d10_a_200_kb_instance_type_gets_no_hint() {
    let text = MIN.replace("t3.medium", &"x".repeat(200_000));
    let (code, err) = validate("d10", &text, &[]);
    assert_eq!(code, Some(2));
    assert!(err.contains("nodegroups[0].instance_type"), "{err}");
    assert!(!err.contains("did you mean"));
    // two lines: the problem (its value shortened) and the count
    assert!(
        err.len() < 600 && err.lines().count() == 2,
        "{} bytes",
        err.len()
    );
}

/// D12: small files asking for unbounded work exit 2 naming the limit; `--allow-large`
/// lifts the work budget (sampling, retries, duration, sweep size) but not the hard limits
/// (name length, duration syntax).
#[test]
fn d12_small_files_with_unbounded_work_name_the_limit() {
    let values: Vec<String> = (0..100).map(|i| i.to_string()).collect();
    let list = values.join(", ");
    let cases = [
        (
            MIN.replace("duration: 1m", "duration: 24h") + "sample_interval: 1us\n",
            "sample_interval: 1us is shorter than 1ms, the shortest sample interval in the budget",
            true,
        ),
        (
            format!("{MIN}kubelet: {{retry_interval: 1us}}\n"),
            "kubelet.retry_interval: 1us is shorter than 1ms, the shortest kubelet retry in the budget",
            true,
        ),
        (
            MIN.replace("duration: 1m", "duration: 100000h"),
            "is longer than 31 days (744h), the longest run in the budget",
            true,
        ),
        (
            // 100 × 100 × 100 combinations
            format!("{MIN}sweep:\n  WARM_IP_TARGET: [{list}]\n  MINIMUM_IP_TARGET: [{list}]\n  WARM_ENI_TARGET: [{list}]\n"),
            "the sweep has 1,000,000 combinations, more than the 10,000 runs in the budget",
            true,
        ),
        (
            format!("{MIN}workloads: [{{name: {}, replicas: 1}}]\n", "w".repeat(1 << 20)),
            "the name is 1048576 bytes long; at most 63 are allowed",
            false,
        ),
        (
            MIN.replace("duration: 1m", "duration: 10m10m"),
            "\"10m10m\" uses \"m\" twice",
            false,
        ),
    ];
    for (text, says, soft) in cases {
        let (code, err) = validate("d12", &text, &[]);
        assert_eq!(code, Some(2), "{says}: {err}");
        assert!(err.contains(says), "{says}: {err}");
        assert_eq!(err.contains("allow_large: true"), soft, "{err}");
        let (code, err) = validate("d12", &text, &["--allow-large"]);
        assert_eq!(
            code,
            Some(if soft { 0 } else { 2 }),
            "{says} --allow-large: {err}"
        );
    }
}

/// D14 (through the binary; the library's Display is in scenario_input.rs): an escape
/// sequence in a key and a newline in a value reach stderr escaped, one line per problem.
#[test]
fn d14_control_characters_from_the_file_never_reach_the_terminal() {
    let text = format!("{MIN}\"\\e[2J\": 1\nworkloads: [{{name: \"a\\nb\", replicas: 1}}]\n");
    let (code, err) = validate("d14", &text, &[]);
    assert_eq!(code, Some(2));
    assert!(!err.contains('\u{1b}'), "{err:?}");
    assert!(err.contains("\\u{1b}[2J") && err.contains("a\\nb"), "{err}");
    // the unknown key, the bad name, and the count
    assert_eq!(err.lines().count(), 3, "{err}");
}

/// D16: `compare --jobs 0` and one `--set` key twice exit 2 before anything runs.
#[test]
fn d16_bad_compare_flags_run_nothing() {
    let out = fresh_dir("robustness", "d16");
    let dir = out.join("c");
    let d = dir.to_str().unwrap();
    let s = "scenarios/three-t3-medium.yaml";
    for (args, says) in [
        (
            vec![
                "compare",
                s,
                "--set",
                "WARM_IP_TARGET=0,1",
                "--jobs",
                "0",
                "--out",
                d,
            ],
            "0 is not in 1..=4096",
        ),
        (
            vec![
                "compare",
                s,
                "--set",
                "WARM_IP_TARGET=0,1",
                "--set",
                "WARM_IP_TARGET=2",
                "--out",
                d,
            ],
            "WARM_IP_TARGET is given twice; put all its values in one --set",
        ),
    ] {
        let o = ipamsim(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.contains(says), "{err}");
        assert!(!dir.exists());
    }
}

/// Starts `ipamsim args` holding at the test hook `hold`, sends it `signal` once it says
/// it is holding, and returns its exit code.
fn signal_at(hold: &str, signal: &str, args: &[&str]) -> Option<i32> {
    use std::io::{BufRead, BufReader};
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ipamsim"))
        .args(args)
        .env("IPAMSIM_TEST_HOLD", hold)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    assert!(line.contains("holding at"), "{line}");
    let sent = std::process::Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut err, &mut rest).unwrap();
    assert!(!rest.contains("panicked"), "{rest}");
    child.wait().unwrap().code()
}

/// Every file name in `dir`.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// D17: SIGTERM (SIGINT is in compare.rs and cli.rs) and a failed write leave no temporary
/// file: an interrupted run keeps nothing (exit 130), an interrupted compare its finished
/// runs only (exit 130), a run whose write fails (a 16 KiB file-size limit) nothing.
#[cfg(unix)]
#[test]
fn d17_sigterm_and_failed_writes_leave_no_temporaries() {
    let out = fresh_dir("robustness", "d17");
    let run = out.join("run");
    let code = signal_at(
        "run-end",
        "-TERM",
        &[
            "run",
            "scenarios/three-t3-medium.yaml",
            "-q",
            "--out",
            run.to_str().unwrap(),
        ],
    );
    assert_eq!(code, Some(130));
    // the run created its directory and removed it again, empty
    assert!(!run.exists(), "{:?}", listing(&run));
    let cmp = out.join("cmp");
    let code = signal_at(
        "compare-after-1",
        "-TERM",
        &[
            "compare",
            "scenarios/three-t3-medium.yaml",
            "--set",
            "WARM_IP_TARGET=0,1,2",
            "--jobs",
            "1",
            "-q",
            "--out",
            cmp.to_str().unwrap(),
        ],
    );
    assert_eq!(code, Some(130));
    assert_eq!(listing(&cmp), ["comparison.csv", "comparison.json"]);
    // The shell ignores SIGXFSZ, so a write past 16 KiB fails with EFBIG (nodes.csv of
    // three-t3-medium alone is 601 samples × 3 nodes, about 60 KiB).
    let full = out.join("full");
    let o = std::process::Command::new("bash")
        .args([
            "-c",
            "trap '' XFSZ; ulimit -f 16; exec \"$0\" run scenarios/three-t3-medium.yaml -q --out \"$1\"",
        ])
        .arg(env!("CARGO_BIN_EXE_ipamsim"))
        .arg(&full)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("writing outputs failed"), "{err}");
    // the run created its directory and removed it again, empty
    assert!(!full.exists(), "{:?}", listing(&full));
    let _ = std::fs::remove_dir_all(&out);
}

/// The unschedulable queue stays proportional to the pods unschedulable now. `a` fills a
/// t3.medium's 17 slots and leaves 983 pods queued for good (the queue's front); `b` queues
/// 1,000 more four times and is scaled to 0 between (deleted pods leave stale entries
/// behind `a`'s). At the end 983 + 1,000 = 1,983 pods are unschedulable; without dropping
/// stale entries the queue would hold 983 + 4 × 1,000 = 4,983 > 2 × 1,983.
#[test]
fn the_unschedulable_queue_drops_stale_entries() {
    let yaml = "\
duration: 1m
subnets: [{name: s, cidr: 10.0.0.0/24}]
nodegroups: [{name: ng, instance_type: t3.medium, count: 1, subnet: s}]
workloads:
  - {name: a, replicas: 1000, at: 1s}
  - name: b
    steps:
      - {at: 2s, replicas: 1000}
      - {at: 10s, replicas: 0}
      - {at: 20s, replicas: 1000}
      - {at: 30s, replicas: 0}
      - {at: 40s, replicas: 1000}
      - {at: 50s, replicas: 0}
      - {at: 55s, replicas: 1000}
";
    let (w, _) = common::run_yaml(yaml);
    let (unschedulable, _, _) = w.kube().counts();
    assert_eq!(unschedulable, 1983);
    let len = w.kube().pending_queue_len();
    assert!((1983..=2 * 1983).contains(&len), "queue of {len}");
}

/// A problem with no place in the file reads `file: message`; a located one
/// `file:line:col: path: message`.
#[test]
fn unlocated_problems_are_separated_from_the_file_name() {
    let dir = fresh_dir("robustness", "unlocated");
    let missing = dir.join("missing.yaml");
    let o = ipamsim(&["validate", missing.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    let want = format!("{}: cannot read file", missing.display());
    assert!(e.starts_with(&want), "{e}");
    let (code, e) = validate("located", "duration: 1m\nnodegroups: 3\n", &[]);
    assert_eq!(code, Some(2));
    assert!(e.contains("s.yaml:2:1: nodegroups: expected a list"), "{e}");
}

/// Two traces naming the same pods (the same file replayed twice) are refused at the second
/// `trace` key: outputs name pods, and a namespace has one pod per name.
#[test]
fn traces_may_not_share_pod_names() {
    let dir = fresh_dir("robustness", "trace-twice");
    std::fs::write(
        dir.join("t.csv"),
        "time_s,action,pod,workload\n1,create,web-1,web\n2,create,web-2,web\n",
    )
    .unwrap();
    let yaml = "duration: 1m\nsubnets: [{name: s, cidr: 10.0.0.0/24}]\n\
nodegroups: [{name: ng, instance_type: t3.medium, count: 1, subnet: s}]\n\
workloads:\n  - trace: t.csv\n  - trace: t.csv\n";
    std::fs::write(dir.join("s.yaml"), yaml).unwrap();
    let o = ipamsim(&["validate", dir.join("s.yaml").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("s.yaml:6:5: workloads[1].trace: pod \"web-1\" of this trace is also a pod of the trace of workloads[0]"),
        "{e}"
    );
}
