//! `ipamsim compare`: determinism across job counts, the direction of a trade-off derived
//! from the spec, `sweep:` blocks, errors, Ctrl-C, and the report of a compare directory.
use crate::common;
use common::{fresh_dir, ipamsim};
use std::path::PathBuf;
use std::process::Command;

/// The cells of one named column of a CSV text (read with the csv crate).
fn column(csv: &str, name: &str) -> Vec<String> {
    let mut r = csv::Reader::from_reader(csv.as_bytes());
    let i = r
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name}"));
    r.records().map(|rec| rec.unwrap()[i].to_string()).collect()
}

/// Acceptance: 12 settings of the shipped scale-out; identical comparison.csv with 1 and 2
/// jobs (and the kept per-run files too).
#[test]
fn twelve_settings_identical_with_one_and_two_jobs() {
    let (a, b) = (fresh_dir("cmp", "j1"), fresh_dir("cmp", "j2"));
    let args = |out: &PathBuf, jobs: &'static str| {
        vec![
            "compare".to_string(),
            "scenarios/scale-out.yaml".into(),
            "--set".into(),
            "WARM_IP_TARGET=0,1,3,5".into(),
            "--set".into(),
            "MINIMUM_IP_TARGET=0,10,20".into(),
            "--out".into(),
            out.to_str().unwrap().into(),
            "--jobs".into(),
            jobs.into(),
            "--keep-runs".into(),
        ]
    };
    let run = |v: Vec<String>| ipamsim(&v.iter().map(String::as_str).collect::<Vec<_>>());
    let o1 = run(args(&a, "1"));
    assert!(
        o1.status.success(),
        "{}",
        String::from_utf8_lossy(&o1.stderr)
    );
    let o2 = run(args(&b, "2"));
    assert!(o2.status.success());
    let c1 = std::fs::read_to_string(a.join("comparison.csv")).unwrap();
    let c2 = std::fs::read_to_string(b.join("comparison.csv")).unwrap();
    assert_eq!(c1, c2);
    assert_eq!(c1.lines().count(), 13, "header + 12 settings");
    let run_dir = "runs/WARM_IP_TARGET=3,MINIMUM_IP_TARGET=10/events.csv";
    assert_eq!(
        std::fs::read(a.join(run_dir)).unwrap(),
        std::fs::read(b.join(run_dir)).unwrap()
    );
    // MINIMUM_IP_TARGET=10 alone freezes each node at 10 IPs (C40): 12 × 10 = 120 < 300
    // pods. Pods made at 2 min that never get an IP are the first deleted at 12 min (they
    // are not running), so their censored wait is 600 s, and that is the p99.
    let labels = column(&c1, "setting");
    let frozen = labels
        .iter()
        .position(|l| l == "WARM_IP_TARGET=0 MINIMUM_IP_TARGET=10")
        .unwrap();
    let never: u32 = column(&c1, "pods_never_ip")[frozen].parse().unwrap();
    let p99: f64 = column(&c1, "time_to_ip_p99_s")[frozen].parse().unwrap();
    assert!(never > 100, "{never}");
    assert!((p99 - 600.0).abs() < 0.001, "{p99}");
    // the table marks the Pareto front and says what it means
    let table = String::from_utf8_lossy(&o1.stdout);
    assert!(table.contains("Pareto front"), "{table}");
    assert!(column(&c1, "pareto").iter().any(|p| p == "1"));
}

/// Churn: 4 × m5.large with a workload swinging 16 ↔ 36 pods every minute.
/// WARM_ENI_TARGET=1 keeps a whole spare ENI per node (grow while A < 9, §c.2) and never
/// releases single IPs (§c.4), so idle IPs stay ≥ 9 per node and, once 3 ENIs are attached,
/// the swings cost no EC2 call. WARM_IP_TARGET=1 keeps A ≈ 1 (§c.3): each swing up adds IPs
/// (AssignPrivateIpAddresses) and each swing down releases the surplus after the 30 s gate
/// (UnassignPrivateIpAddresses, §c.11). So: fewer idle IPs, more EC2 calls.
#[test]
fn warm_ip_target_trades_idle_ips_for_ec2_calls_under_churn() {
    let dir = fresh_dir("cmp", "churn");
    std::fs::create_dir_all(&dir).unwrap();
    let mut steps = String::new();
    for k in 0..20 {
        steps += &format!(
            "      - {{at: {}s, replicas: {}}}\n",
            10 + 60 * k,
            if k % 2 == 0 { 36 } else { 16 }
        );
    }
    let yaml = format!(
        "duration: 20m
sweep:
  WARM_IP_TARGET: [0, 1]
subnets: [{{name: a, cidr: 10.0.0.0/22}}]
nodegroups: [{{name: ng, instance_type: m5.large, count: 4, subnet: a}}]
workloads:
  - name: churn
    steps:
{steps}"
    );
    let file = dir.join("churn.yaml");
    std::fs::write(&file, yaml).unwrap();
    let out = dir.join("out");
    let o = ipamsim(&[
        "compare",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "-q",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = std::fs::read_to_string(out.join("comparison.csv")).unwrap();
    let idle: Vec<f64> = column(&csv, "idle_ips_mean")
        .iter()
        .map(|v| v.parse().unwrap())
        .collect();
    let calls: Vec<u64> = column(&csv, "ec2_calls_total")
        .iter()
        .map(|v| v.parse().unwrap())
        .collect();
    let unassign: Vec<u64> = column(&csv, "ec2_UnassignPrivateIpAddresses")
        .iter()
        .map(|v| v.parse().unwrap())
        .collect();
    // row 0: WARM_IP_TARGET=0 (WARM_ENI_TARGET=1 rules), row 1: WARM_IP_TARGET=1
    assert!(idle[1] < idle[0] / 2.0, "idle {idle:?}");
    assert!(
        idle[0] >= 4.0 * 9.0,
        "a spare ENI of 9 IPs per node: {idle:?}"
    );
    assert!(calls[1] > calls[0], "calls {calls:?}");
    assert_eq!(
        unassign[0], 0,
        "WARM_ENI_TARGET mode never releases single IPs"
    );
    assert!(unassign[1] >= 10, "{unassign:?}");
}

#[test]
fn errors_exit_2_and_run_nothing() {
    let out = fresh_dir("cmp", "errors");
    let o = ipamsim(&[
        "compare",
        "scenarios/scale-out.yaml",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("nothing to compare"));
    let o = ipamsim(&[
        "compare",
        "scenarios/scale-out.yaml",
        "--set",
        "WARM_IP_TARGET=a",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not an integer"));
    // custom networking without an ENIConfig makes the scenario invalid for that setting
    let o = ipamsim(&[
        "compare",
        "scenarios/scale-out.yaml",
        "--set",
        "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG=false,true",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("[AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG=true]") && e.contains("ENIConfig"),
        "{e}"
    );
    assert!(!out.join("comparison.csv").exists());
}

/// Starts `ipamsim args` holding at the test hook `hold` (see `commands::test_hold`),
/// waits until it says it is holding, sends SIGINT, and returns its output.
fn interrupt_at(hold: &str, args: &[&str]) -> std::process::Output {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(env!("CARGO_BIN_EXE_ipamsim"))
        .args(args)
        .env("IPAMSIM_TEST_HOLD", hold)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    assert!(line.contains("holding at"), "{line}");
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut err, &mut rest).unwrap();
    let mut o = child.wait_with_output().unwrap();
    o.stderr = (line + &rest).into_bytes();
    o
}

/// No file of the directory is a leftover temporary one.
fn no_temporaries(dir: &std::path::Path) {
    let left: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// Ctrl-C after the first finished run (one job): exit 130, no panic, and comparison.csv
/// holds exactly that run.
#[test]
fn ctrl_c_keeps_finished_runs() {
    let out = fresh_dir("cmp", "sigint");
    let o = interrupt_at(
        "compare-after-1",
        &[
            "compare",
            "scenarios/scale-out.yaml",
            "--set",
            "WARM_IP_TARGET=0,1,2,3",
            "--jobs",
            "1",
            "-q",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    let e = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(130), "{e}");
    assert!(!e.contains("panicked"), "{e}");
    let csv = std::fs::read_to_string(out.join("comparison.csv")).unwrap();
    assert_eq!(column(&csv, "setting"), vec!["WARM_IP_TARGET=0"]);
    no_temporaries(&out);
}

/// Ctrl-C before any run finished: exit 130, no panic, a comparison.csv with no rows.
#[test]
fn ctrl_c_before_the_first_run() {
    let out = fresh_dir("cmp", "sigint0");
    let o = interrupt_at(
        "compare-start",
        &[
            "compare",
            "scenarios/scale-out.yaml",
            "--set",
            "WARM_IP_TARGET=0,1",
            "-q",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    let e = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(130), "{e}");
    assert!(!e.contains("panicked"), "{e}");
    let csv = std::fs::read_to_string(out.join("comparison.csv")).unwrap();
    assert!(column(&csv, "setting").is_empty());
    no_temporaries(&out);
}

/// Ctrl-C at the end of a run, before its files are kept: exit 130, and the directory holds
/// no output and no temporary file.
#[test]
fn ctrl_c_during_a_run_leaves_nothing() {
    let out = fresh_dir("cmp", "sigint-run");
    let o = interrupt_at(
        "run-end",
        &[
            "run",
            "scenarios/three-t3-medium.yaml",
            "-q",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    let e = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(130), "{e}");
    let left: Vec<_> = std::fs::read_dir(&out).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
}

/// `--report` on a compare directory: report.html with the trade-off scatter, one point per
/// setting.
#[test]
fn report_of_a_compare_directory() {
    let out = fresh_dir("cmp", "report");
    let o = ipamsim(&[
        "compare",
        "scenarios/scale-out.yaml",
        "--set",
        "WARM_IP_TARGET=0,2,5",
        "--out",
        out.to_str().unwrap(),
        "--report",
        "-q",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert_eq!(
        html.matches("<svg").count(),
        1,
        "one chart: the trade-off scatter"
    );
    assert_eq!(html.matches("<circle").count(), 3, "one point per setting");
}

/// Ctrl-C with replications after the first run: a setting counts only when all its
/// replications finished, so comparison.csv has no row; exit 130 and it says so.
#[test]
fn ctrl_c_with_replications_keeps_whole_settings_only() {
    let out = fresh_dir("cmp", "sigint-reps");
    let o = interrupt_at(
        "compare-after-1",
        &[
            "compare",
            "scenarios/scale-out.yaml",
            "--set",
            "WARM_IP_TARGET=0,1",
            "--replications",
            "2",
            "--jobs",
            "1",
            "-q",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    let e = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(130), "{e}");
    assert!(
        e.contains("0 of 2 settings finished all 2 replications"),
        "{e}"
    );
    let csv = std::fs::read_to_string(out.join("comparison.csv")).unwrap();
    assert!(column(&csv, "setting").is_empty());
    no_temporaries(&out);
}

/// Ctrl-C in a shard: no part is written (a merge would refuse an incomplete one), exit 130.
#[test]
fn an_interrupted_shard_writes_no_part() {
    let out = fresh_dir("cmp", "sigint-shard");
    let o = interrupt_at(
        "compare-after-1",
        &[
            "compare",
            "scenarios/scale-out.yaml",
            "--set",
            "WARM_IP_TARGET=0,1,2,3",
            "--shard",
            "1/2",
            "--jobs",
            "1",
            "-q",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    let e = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(130), "{e}");
    assert!(e.contains("no part was written"), "{e}");
    assert!(!out.join("shard.json").exists());
    no_temporaries(&out);
}

/// One replication keeps comparison.csv's historical columns first, in their order, and
/// appends the statistics, `slo_met` and `recommended`; a shard's directory and a compare
/// directory replace each other's result files.
#[test]
fn columns_are_appended_and_shard_files_replace_comparisons() {
    let out = fresh_dir("cmp", "columns");
    let args = |extra: &[&str]| {
        let mut v = vec![
            "compare",
            "scenarios/scale-out.yaml",
            "--set",
            "WARM_IP_TARGET=0,2",
            "-q",
            "--out",
            out.to_str().unwrap(),
        ];
        v.extend_from_slice(extra);
        v.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    let run = |v: Vec<String>| ipamsim(&v.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(run(args(&[])).status.success());
    let csv = std::fs::read_to_string(out.join("comparison.csv")).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let historical = "setting,WARM_IP_TARGET,pods_never_ip,time_to_ip_p50_s,time_to_ip_p90_s,\
        time_to_ip_p99_s,time_to_ip_max_s,peak_waiting_ip,seconds_any_waiting,idle_ips_mean,\
        idle_ips_peak,peak_ips_total,min_subnet_free_ips,enis_attached,enis_freed,\
        ec2_AssignPrivateIpAddresses,ec2_UnassignPrivateIpAddresses,ec2_CreateNetworkInterface,\
        ec2_AttachNetworkInterface,ec2_ModifyNetworkInterfaceAttribute,ec2_DetachNetworkInterface,\
        ec2_DeleteNetworkInterface,ec2_DescribeNetworkInterfaces,ec2_DescribeInstances,\
        ec2_DescribeSubnets,ec2_calls_total,ec2_throttled,pareto,pods_never_scheduled,\
        peak_unschedulable,time_to_running_p50_s,time_to_running_p99_s";
    let want: Vec<&str> = historical.split(',').collect();
    assert_eq!(&header[..want.len()], &want[..]);
    // then the EC2 actions added later, then pod-seconds by cause, one column per cause
    let later = ["ec2_AssignIpv6Addresses", "ec2_AssociateTrunkInterface"];
    assert_eq!(&header[want.len()..want.len() + 2], &later[..]);
    let causes = ipamsim::model::record::WaitCause::ALL;
    for (i, c) in causes.iter().enumerate() {
        assert_eq!(header[want.len() + 2 + i], format!("wait_{}_s", c.word()));
    }
    // then the VPC addresses the cluster consumed at its peak, the failed launches, then
    // the statistics
    assert_eq!(header[want.len() + 2 + causes.len()], "vpc_ips_used_peak");
    assert_eq!(header[want.len() + 3 + causes.len()], "nodes_launch_failed");
    assert_eq!(header[want.len() + 4 + causes.len()], "pods_never_ip_mean");
    assert_eq!(
        &header[header.len() - 4..],
        &["slo_met", "recommended", "complete", "settings_total"]
    );
    // 8 headline metrics × 6 statistics
    assert_eq!(header.len(), want.len() + 4 + causes.len() + 48 + 4);
    assert!(run(args(&["--shard", "1/2"])).status.success());
    assert!(out.join("shard.json").is_file());
    assert!(!out.join("comparison.csv").exists() && !out.join("comparison.json").exists());
    assert!(run(args(&[])).status.success());
    assert!(!out.join("shard.json").exists());
}

/// Any scenario value is an axis: instance type × subnet size on a shipped scenario, list
/// items addressed by name. t3.medium runs 17 − 2 DaemonSet pods = 15 workload pods per
/// node, 3 × 15 = 45 slots for 52 pods: 7 never scheduled; m5.large (max pods 29) has
/// 3 × 27 = 81 slots: none. The table, comparison.csv, comparison.json and the report
/// name both axes as written.
#[test]
fn instance_type_by_subnet_size_names_both_axes() {
    let out = fresh_dir("cmp", "any-axis");
    let o = ipamsim(&[
        "compare",
        "scenarios/three-t3-medium.yaml",
        "--set",
        "nodegroups.ng1.instance_type=t3.medium,m5.large",
        "--set",
        "subnets.private-a.prefix=24,25",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(
        table.contains("nodegroups.ng1.instance_type=m5.large subnets.private-a.prefix=25"),
        "{table}"
    );
    let csv = std::fs::read_to_string(out.join("comparison.csv")).unwrap();
    let types = column(&csv, "nodegroups.ng1.instance_type");
    let prefixes = column(&csv, "subnets.private-a.prefix");
    let never = column(&csv, "pods_never_scheduled");
    assert_eq!(types.len(), 4);
    // a finished grid says it is complete, on every row
    assert_eq!(column(&csv, "complete"), ["1"; 4]);
    assert_eq!(column(&csv, "settings_total"), ["4"; 4]);
    for ((t, p), n) in types.iter().zip(&prefixes).zip(&never) {
        assert!(p == "24" || p == "25", "{p}");
        let want = if t == "t3.medium" { "7" } else { "0" };
        assert_eq!(n, want, "{t} /{p}");
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("comparison.json")).unwrap())
            .unwrap();
    assert_eq!(
        json["keys"],
        serde_json::json!(["nodegroups.ng1.instance_type", "subnets.private-a.prefix"])
    );
    let r = ipamsim(&["report", out.to_str().unwrap()]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("nodegroups.ng1.instance_type"));
    assert!(html.contains("subnets.private-a.prefix"));
    // a name that is not there is a located problem naming the names that are
    let o = ipamsim(&[
        "compare",
        "scenarios/three-t3-medium.yaml",
        "--set",
        "nodegroups.workers.count=3,4",
        "--out",
        fresh_dir("cmp", "any-axis-bad").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("nodegroups has no entry named \"workers\" (its names: ng1)"),
        "{err}"
    );
}

/// Without objectives the closing line states the trade-off between the Pareto front's
/// ends and picks nothing; with objectives the verdict picks and the trade-off line goes.
/// scale-out under WARM_IP_TARGET 0 and 2: 0 keeps a warm ENI per node (fast, many idle
/// IPs), 2 keeps two spare IPs (lean, slower): each is an end of the front.
#[test]
fn without_objectives_the_closing_line_states_the_trade_off() {
    let out = fresh_dir("cmp", "tradeoff");
    let o = ipamsim(&[
        "compare",
        "scenarios/scale-out.yaml",
        "--set",
        "WARM_IP_TARGET=0,2",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let t = String::from_utf8_lossy(&o.stdout);
    let line = t.lines().find(|l| l.starts_with("trade-off: ")).expect(&t);
    assert!(
        line.starts_with("trade-off: fastest WARM_IP_TARGET=0 (")
            && line.contains("leanest WARM_IP_TARGET=2 ("),
        "{line}"
    );
    assert!(line.contains("No pick without objectives"), "{line}");
    assert!(!t.contains("recommended:"), "{t}");
    let o = ipamsim(&[
        "compare",
        "scenarios/scale-out.yaml",
        "--set",
        "WARM_IP_TARGET=0,2",
        "--slo",
        "p99_time_to_running<=600s",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let t = String::from_utf8_lossy(&o.stdout);
    assert!(!t.contains("trade-off: "), "{t}");
    // both meet 600 s; the leanest meeting it is recommended
    assert!(t.contains("recommended: WARM_IP_TARGET=2\n"), "{t}");
}

/// N5: one budget. `--set` grids and `--replications` count against the 10,000 runs a
/// `sweep:` obeys, before any run: 101 × 101 = 10,201 combinations, and 2 settings × 5,001
/// replications = 10,002 runs, are refused (exit 2) unless --allow-large.
#[test]
fn set_grids_and_replications_count_against_the_sweep_budget() {
    let values = (0..=100)
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let (w, m) = (
        format!("WARM_IP_TARGET={values}"),
        format!("MINIMUM_IP_TARGET={values}"),
    );
    let out = fresh_dir("cmp", "budget");
    let o = ipamsim(&[
        "compare",
        "scenarios/three-t3-medium.yaml",
        "--set",
        &w,
        "--set",
        &m,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("10201 runs (10201 combinations × 1 replication), more than the 10000"),
        "{err}"
    );
    let o = ipamsim(&[
        "compare",
        "scenarios/three-t3-medium.yaml",
        "--set",
        "WARM_IP_TARGET=0,2",
        "--replications",
        "5001",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("10002 runs"));
    assert!(!out.join("comparison.csv").exists());
}
