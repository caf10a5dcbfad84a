//! Random scenarios mixing every failure path (throttling with tiny buckets, injected EC2
//! errors, ENIs missing from IMDS, aws-node restarts, autoscaling, churn, prefix delegation,
//! fragmented subnets): no panic, and no address is ever held twice or outside its subnet.
mod common;
use common::*;
use ipamsim::model::record::MemoryRecorder;
use ipamsim::model::World;
use rand::{Rng, SeedableRng};
use std::collections::HashSet;

/// Every address a datastore holds is unique, inside its ENI's subnet and marked used there;
/// every pod IP is held by exactly one slot of its own node.
fn check(w: &World<MemoryRecorder>, label: &str) {
    let mut seen = HashSet::new();
    for (ni, n) in w.node_views().enumerate() {
        for e in n.ds.enis() {
            let subnet = &w.subnets[e.subnet.index()];
            let addrs = std::iter::once(e.primary_ip)
                .chain(e.ips.iter().map(|s| s.addr))
                .chain(
                    e.prefixes
                        .iter()
                        .flat_map(|p| p.slots.iter().map(|s| s.addr)),
                );
            for a in addrs {
                assert!(seen.insert(a), "{label}: {a:#x} held twice");
                assert!(
                    subnet.is_used(a),
                    "{label}: {a:#x} held but free in its subnet"
                );
            }
            for s in e
                .ips
                .iter()
                .chain(e.prefixes.iter().flat_map(|p| p.slots.iter()))
            {
                if let Some(pod) = s.pod {
                    assert_eq!(w.pods()[pod.index()].ip, Some((e.id, s.addr)), "{label}");
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
    let last = w.totals.last_row;
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
        .recorder
        .pods
        .iter()
        .map(|p| (p.name.as_str(), p.deleted.map(|t| t.as_secs_f64())))
        .collect();
    assert_eq!(pods, vec![("a", None), ("c", None)]);
    assert_eq!(w.totals.last_row.pods_total, 2);
    let _ = std::fs::remove_dir_all(&dir);
}

// ----- regressions D1–D17 (the table in docs/development.md names the test of each) -----

/// The reproducers' minimal scenario: one t3.medium in a /24.
const MIN: &str = "duration: 1m
subnets: [{name: s, cidr: 10.0.0.0/24}]
nodegroups: [{name: ng, instance_type: t3.medium, count: 1, subnet: s}]
";

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
    let last = w.totals.last_row;
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
    let last = w.totals.last_row;
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
