//! Node autoscaling and explicit launches, with hand derivations.
//!
//! Common ground: m5.large has kubelet max pods 29 (3 ENIs × (10 − 1) + 2); two
//! host-network DaemonSets take 2 slots, so a node takes 27 workload pods. The autoscaler
//! passes run every 10 s from t = 0. A pass at the same instant as a workload step runs
//! after it (the step was scheduled at setup, the pass 10 s earlier). A fresh node's init is
//! one DescribeNetworkInterfaces (100 ms) plus one AssignPrivateIpAddresses (400–600 ms)
//! that fills its empty primary ENI, so it is Ready 0.5–0.7 s after ipamd starts.
use crate::common;
use common::*;
use ipamsim::engine::RunStats;
use ipamsim::model::record::{Fact, MemoryRecorder, OwnedEvent, TimelineRow};
use ipamsim::model::World;
use ipamsim::output::summary::Summary;
use ipamsim::scenario::{self, Diagnostic};
use ipamsim::sim::simulate;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A cluster of `workers` (m5.large in a /22) with the given extra nodegroup keys, more
/// nodegroups after it, `web` steps, and `duration`.
fn cluster(workers: &str, more_groups: &str, steps: &str, duration: &str) -> String {
    format!(
        "duration: {duration}
ipamd:
  placement: canonical
subnets:
  - name: a
    cidr: 10.0.0.0/22
nodegroups:
  - name: workers
    instance_type: m5.large
    subnet: a
{workers}
{more_groups}
daemonsets:
  - name: aws-node
    host_network: true
  - name: kube-proxy
    host_network: true
workloads:
  - name: web
    steps:
{steps}
"
    )
}

/// Two starting nodes, autoscaling with the given `max`, 100 pods at 60 s.
fn burst(max: u32, more_groups: &str, extra_steps: &str, duration: &str) -> String {
    let workers = format!(
        "    count: 2
    autoscaling: {{min: 2, max: {max}, scale_up_delay: 10s, provision_time: 60s, scale_down_after: 10m}}"
    );
    let steps = format!("      - {{at: 60s, replicas: 100}}\n{extra_steps}");
    cluster(&workers, more_groups, &steps, duration)
}

/// Runs `yaml` keeping nodes.csv rows.
fn run_keeping_nodes(yaml: &str) -> (World<MemoryRecorder>, RunStats) {
    let sc = scenario::parse(yaml, "test.yaml").unwrap_or_else(|e| panic!("invalid:\n{e}"));
    let rec = MemoryRecorder {
        keep_nodes: true,
        ..MemoryRecorder::default()
    };
    simulate(sc, rec, &mut |_| true)
}

/// The timeline row at exactly `t` seconds (1 s sampling).
fn row_at(w: &World<MemoryRecorder>, t: u64) -> TimelineRow {
    *w.recorder()
        .timeline
        .iter()
        .find(|r| r.time.micros() == t * 1_000_000)
        .unwrap_or_else(|| panic!("no sample at {t} s"))
}

/// Times (s) of events of `kind` on node or group `who`.
fn times_on(w: &World<MemoryRecorder>, kind: &str, who: &str) -> Vec<f64> {
    events_of(w, kind)
        .into_iter()
        .filter(|e| e.who == who)
        .map(OwnedEvent::secs)
        .collect()
}

/// A scale-up event's (time s, group, nodes added, group size before, pods waiting, pods
/// absorbed by booting nodes, capped).
fn scale_up(e: &OwnedEvent) -> (f64, &str, u32, u32, u32, u32, bool) {
    match e.fact {
        Fact::ScaleUp {
            count,
            before,
            waiting,
            absorbed,
            capped,
            ..
        } => (e.secs(), &e.who, count, before, waiting, absorbed, capped),
        _ => panic!("not a scale-up: {e:?}"),
    }
}

/// A launched node's start: it registers at `registered` (s), ipamd starts after the drawn
/// `aws_node_start` (default uniform 3–8 s), and it is Ready 0.5–0.7 s later (nodeInit's
/// DescribeNetworkInterfaces and AssignPrivateIpAddresses at their default latencies).
fn assert_starts(w: &World<MemoryRecorder>, node: &str, registered: f64) {
    let reg: Vec<_> = events_of(w, "node_registered")
        .into_iter()
        .filter(|e| e.who == node)
        .collect();
    assert_eq!(reg.len(), 1, "{node}: {reg:?}");
    assert_eq!(reg[0].secs(), registered, "{node}");
    let Fact::NodeRegistered { start } = reg[0].fact else {
        panic!("{:?}", reg[0]);
    };
    assert!(
        (3.0..=8.0).contains(&start.as_secs_f64()),
        "{node}: {start:?}"
    );
    let begin = registered + start.as_secs_f64();
    assert_eq!(times_on(w, "ipamd_start", node), vec![begin], "{node}");
    let ready = times_on(w, "node_ready", node);
    assert!(
        ready.len() == 1 && (begin + 0.5..=begin + 0.7).contains(&ready[0]),
        "{node}: {ready:?} (ipamd from {begin})"
    );
}

/// Workload pods (`web-…`) by final state word, from the world.
fn web_states(w: &World<MemoryRecorder>) -> (usize, usize) {
    let web: Vec<_> = w
        .pods()
        .iter()
        .filter(|p| matches!(p.owner, ipamsim::model::kube::pods::Owner::Workload(..)))
        .collect();
    let running = web.iter().filter(|p| p.state.word() == "running").count();
    let unsched = web
        .iter()
        .filter(|p| p.state.word() == "unschedulable")
        .count();
    (running, unsched)
}

/// (a) The two starting nodes take 2 × 27 = 54 of the 100 pods created at 60 s; 46 stay
/// unschedulable. The pass at 60 s sees them 0 s old (< scale_up_delay 10 s); the pass at
/// 70 s sees them 10 s old and adds ceil(46 / 27) = 2 nodes in one burst (workers-3 and
/// workers-4, numbering continued). They exist from 70 s (timeline `nodes` 2 → 4), register
/// after provision_time at 130 s, start ipamd 3–8 s later and are Ready 0.5–0.7 s after
/// that, and meanwhile no
/// further scale-up happens (they absorb 2 × 27 = 54 ≥ 46). All 100 pods end running.
#[test]
fn burst_scale_up_after_the_delay() {
    let (w, stats) = run_yaml(&burst(10, "", "", "10m"));
    let ups = events_of(&w, "scale_up");
    assert_eq!(ups.len(), 1, "{ups:?}");
    let (t, group, n, before, waiting, ..) = scale_up(ups[0]);
    assert_eq!((t, group, n, before, waiting), (70.0, "workers", 2, 2, 46));
    assert_eq!(row_at(&w, 69).nodes, 2);
    assert_eq!(row_at(&w, 69).pods_unschedulable, 46);
    assert_eq!(row_at(&w, 70).nodes, 4);
    for node in ["workers-3", "workers-4"] {
        assert_starts(&w, node, 130.0);
    }
    assert_eq!(web_states(&w), (100, 0));
    let s = Summary::from_world(&w, &stats, "");
    assert_eq!(
        (s.nodes.at_end, s.nodes.added, s.nodes.removed, s.nodes.peak),
        (4, 2, 0, 4)
    );
    assert!(s
        .to_string()
        .contains("nodes:           2 added, 0 removed, peak 4, 4 at end"));
}

/// (b) The same, then `web` drops to 0 at 305 s. Every node holds only its 2 DaemonSet
/// pods from then on; the first pass to see it is at 310 s, so each is unneeded from 310 s
/// and removable at the first pass ≥ 310 + 600 = 910 s. min = 2 keeps two: the newest
/// (workers-4, then workers-3) are removed at 910 s; none later. nodes.csv rows of removed
/// nodes stop, the timeline counts 2 nodes, and every address of the removed instances is
/// back in the subnet: free = (1024 − 5) − Σ live nodes (ENIs + IPs held).
#[test]
fn empty_nodes_removed_after_scale_down_after_down_to_min() {
    let (w, stats) = run_keeping_nodes(&burst(10, "", "      - {at: 305s, replicas: 0}", "20m"));
    let downs = events_of(&w, "scale_down");
    assert_eq!(downs.len(), 2, "{downs:?}");
    assert_eq!(
        (downs[0].secs(), downs[0].who.as_str()),
        (910.0, "workers-4")
    );
    assert_eq!(
        (downs[1].secs(), downs[1].who.as_str()),
        (910.0, "workers-3")
    );
    assert!(
        matches!(downs[0].fact, Fact::ScaleDown { since, .. } if since.micros() == 310_000_000),
        "{:?}",
        downs[0]
    );
    assert_eq!(row_at(&w, 909).nodes, 4);
    assert_eq!(row_at(&w, 910).nodes, 2);
    let last_row = |node: &str| {
        w.recorder()
            .nodes
            .iter()
            .filter(|l| l.node == node)
            .map(|l| l.time.as_secs_f64())
            .fold(0.0, f64::max)
    };
    assert_eq!(last_row("workers-3"), 909.0);
    assert_eq!(last_row("workers-1"), 1200.0);
    let end = w.recorder().timeline.last().unwrap();
    let held: u32 = (0..w.nodes().len())
        .filter(|&i| !w.node(i).removed)
        .map(|i| {
            let (enis, ips, _) = node_pool(&w, i);
            enis + ips
        })
        .sum();
    assert_eq!(end.subnet_free_ips, u64::from(1019 - held));
    assert_eq!(end.nodes, 2);
    let s = Summary::from_world(&w, &stats, "");
    assert_eq!(
        (s.nodes.at_end, s.nodes.added, s.nodes.removed, s.nodes.peak),
        (2, 2, 2, 4)
    );
}

/// (c) max = 3 caps the burst at 3 − 2 = 1 node (27 pods); 46 − 27 = 19 pods stay
/// unschedulable to the end and no later pass scales up again (no room).
#[test]
fn max_caps_the_burst() {
    let (w, _) = run_yaml(&burst(3, "", "", "10m"));
    let ups = events_of(&w, "scale_up");
    assert_eq!(ups.len(), 1, "{ups:?}");
    let (t, group, n, before, .., capped) = scale_up(ups[0]);
    assert_eq!((t, group, n, before, capped), (70.0, "workers", 1, 2, true));
    assert_eq!(web_states(&w), (81, 19));
    assert_eq!(w.recorder().timeline.last().unwrap().pods_unschedulable, 19);
}

/// (c') What the cap leaves goes to the next autoscaling nodegroup in file order, in the
/// same pass: workers +1 (27 pods), then `spare` (count 0, min defaults to 0) gets
/// ceil(19 / 27) = 1 node. All 100 pods run.
#[test]
fn capped_group_overflows_to_the_next_group() {
    let spare = "  - name: spare
    instance_type: m5.large
    subnet: a
    count: 0
    autoscaling: {max: 5}";
    let (w, _) = run_yaml(&burst(3, spare, "", "10m"));
    assert_eq!(times_on(&w, "scale_up", "workers"), vec![70.0]);
    let spare_up = events_of(&w, "scale_up");
    let (t, group, n, before, waiting, absorbed, _) = scale_up(spare_up[1]);
    assert_eq!(
        (t, group, n, before, waiting, absorbed),
        (70.0, "spare", 1, 0, 46, 27)
    );
    assert_starts(&w, "spare-1", 130.0);
    assert_eq!(web_states(&w), (100, 0));
}

/// (d) Explicit launches without autoscaling: one node takes 27 of 60 pods at 10 s; the
/// entry at 2 m launches 3 nodes (timeline 1 → 4 at 120 s), which register after the default
/// 60 s boot at 180 s (then aws-node, then Ready); the entry at 3 m with provision_time 30s
/// registers at 210 s. Every pod runs; no autoscaler events.
#[test]
fn explicit_launches() {
    let workers = "    count: 1
    launch:
      - {at: 2m, count: 3}
      - {at: 3m, count: 1, provision_time: 30s}";
    let (w, stats) = run_yaml(&cluster(
        workers,
        "",
        "      - {at: 10s, replicas: 60}",
        "10m",
    ));
    assert_eq!(times_on(&w, "launch", "workers"), vec![120.0, 180.0]);
    assert_eq!(row_at(&w, 119).nodes, 1);
    assert_eq!(row_at(&w, 119).pods_unschedulable, 33);
    assert_eq!(row_at(&w, 120).nodes, 4);
    for node in ["workers-2", "workers-3", "workers-4"] {
        assert_starts(&w, node, 180.0);
    }
    assert_starts(&w, "workers-5", 210.0);
    assert!(events_of(&w, "scale_up").is_empty() && events_of(&w, "scale_down").is_empty());
    assert_eq!(web_states(&w), (60, 0));
    let s = Summary::from_world(&w, &stats, "");
    assert_eq!(
        (s.nodes.at_end, s.nodes.added, s.nodes.removed, s.nodes.peak),
        (5, 4, 0, 5)
    );
}

fn run_cli(scenario: &str, tag: &str) -> PathBuf {
    let out = std::env::temp_dir().join(format!("ipamsim-as-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let o = Command::new(env!("CARGO_BIN_EXE_ipamsim"))
        .args(["run", scenario, "--out", out.to_str().unwrap(), "--quiet"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    out
}

/// (e) Same binary, scenario and seed: byte-identical output files.
#[test]
fn autoscaling_scenario_is_deterministic() {
    let a = run_cli("scenarios/autoscaling.yaml", "a");
    let b = run_cli("scenarios/autoscaling.yaml", "b");
    for f in [
        "timeline.csv",
        "nodes.csv",
        "pods.csv",
        "subnets.csv",
        "events.csv",
    ] {
        let read = |d: &Path| std::fs::read(d.join(f)).unwrap();
        assert!(read(&a) == read(&b), "{f} differs between identical runs");
    }
    let _ = std::fs::remove_dir_all(a);
    let _ = std::fs::remove_dir_all(b);
}

/// (f) scenarios/autoscaling.yaml: 2 nodes, `web` 20 → 300 at 1 m → 20 at 15 m. The 2
/// nodes take 54 web pods, 246 wait; the pass at 70 s adds ceil(246 / 27) = 10 nodes in
/// one burst. At 15 m the newest 280 pods go (all of them on the new nodes), the pass at
/// 900 s finds the 10 new nodes empty, and the pass at 900 + 600 = 1500 s removes all 10
/// (exactly the bulk limit of 10), back to min 2. Every pod alive at the end runs.
#[test]
fn acceptance_autoscaling_scenario() {
    let sc = scenario::load(Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/autoscaling.yaml"
    )))
    .unwrap();
    let (w, stats) = simulate(sc, MemoryRecorder::default(), &mut |_| true);
    let ups = events_of(&w, "scale_up");
    assert_eq!(ups.len(), 1, "{ups:?}");
    let (t, group, n, before, waiting, ..) = scale_up(ups[0]);
    assert_eq!(
        (t, group, n, before, waiting),
        (70.0, "workers", 10, 2, 246)
    );
    assert_eq!(event_times(&w, "scale_down"), vec![1500.0; 10]);
    let peak_running = w
        .recorder()
        .timeline
        .iter()
        .map(|r| r.pods_running)
        .max()
        .unwrap();
    assert_eq!(peak_running, 300 + 12 * 2, "every pod of the burst ran");
    let end = w.recorder().timeline.last().unwrap();
    assert_eq!((end.nodes, end.pods_total, end.pods_running), (2, 24, 24));
    let s = Summary::from_world(&w, &stats, "");
    assert_eq!(
        (s.nodes.at_end, s.nodes.added, s.nodes.removed, s.nodes.peak),
        (2, 10, 10, 12)
    );
}

// ----- validation -----

fn problems(workers: &str) -> Vec<Diagnostic> {
    let yaml = cluster(workers, "", "      - {at: 0s, replicas: 1}", "1m");
    match scenario::parse(&yaml, "t.yaml") {
        Ok(_) => panic!("expected errors for:\n{workers}"),
        Err(e) => e.problems,
    }
}

fn has(ds: &[Diagnostic], path: &str, phrase: &str) -> bool {
    ds.iter()
        .any(|d| d.path == path && d.message.contains(phrase))
}

#[test]
fn autoscaling_key_errors_name_the_field() {
    let p = "nodegroups[0].autoscaling";
    let ds = problems("    count: 2\n    autoscaling: {min: 1}");
    assert!(
        has(&ds, &format!("{p}.max"), "required key is missing"),
        "{ds:?}"
    );
    let ds = problems("    count: 0\n    autoscaling: {max: 0}");
    assert!(has(&ds, &format!("{p}.max"), "must be 1 or more"), "{ds:?}");
    let ds = problems("    count: 2\n    autoscaling: {min: 3, max: 5}");
    assert!(
        has(&ds, &format!("{p}.min"), "above the nodegroup's count 2"),
        "{ds:?}"
    );
    let ds = problems("    count: 0\n    autoscaling: {min: 4, max: 3}");
    assert!(has(&ds, &format!("{p}.max"), "below min 4"), "{ds:?}");
    let ds = problems("    count: 5\n    autoscaling: {max: 3}");
    assert!(
        has(&ds, &format!("{p}.max"), "below the nodegroup's count 5"),
        "{ds:?}"
    );
    let ds = problems(
        "    count: 1\n    autoscaling: {max: 3, scale_up_delay: soon, provision_time: -1s}",
    );
    assert!(
        has(&ds, &format!("{p}.scale_up_delay"), "duration"),
        "{ds:?}"
    );
    assert!(
        ds.iter().any(|d| d.path == format!("{p}.provision_time")),
        "{ds:?}"
    );
    let ds = problems("    count: 1\n    autoscaling: {max: 3, scale_down_afterr: 1m}");
    assert!(has(&ds, p, "did you mean \"scale_down_after\""), "{ds:?}");
    let ds = problems(
        "    count: 3\n    autoscaling: {max: 2}\n    launch:\n      - {at: 1m, count: 0}",
    );
    assert!(
        has(&ds, &format!("{p}.max"), "below the nodegroup's count 3"),
        "{ds:?}"
    );
    assert!(
        has(&ds, "nodegroups[0].launch[0].count", "1 or more"),
        "both reported: {ds:?}"
    );
    let ds = problems("    count: 1\n    autoscaling: [3]");
    assert!(has(&ds, p, "expected a mapping"), "{ds:?}");
}

#[test]
fn launch_key_errors_name_the_field() {
    let ds = problems("    count: 1\n    launch:\n      - {at: 2m, count: 0}");
    assert!(
        has(&ds, "nodegroups[0].launch[0].count", "1 or more"),
        "{ds:?}"
    );
    let ds = problems(
        "    count: 1\n    launch:\n      - {at: 2m, count: 1}\n      - {at: 1m, count: 1}",
    );
    assert!(
        has(
            &ds,
            "nodegroups[0].launch[1].at",
            "comes before the previous launch at 2m"
        ),
        "{ds:?}"
    );
    let ds = problems("    count: 1\n    launch:\n      - {count: 1}");
    assert!(
        has(&ds, "nodegroups[0].launch[0].at", "required key is missing"),
        "{ds:?}"
    );
    let ds = problems("    count: 1\n    launch: {at: 1m, count: 1}");
    assert!(
        has(&ds, "nodegroups[0].launch", "expected a list of launches"),
        "{ds:?}"
    );
    let ds = problems("    count: 1\n    launch:\n      - {at: 1m, count: 1, size: 3}");
    assert!(
        has(&ds, "nodegroups[0].launch[0]", "unknown key \"size\""),
        "{ds:?}"
    );
}

#[test]
fn valid_keys_parse_with_defaults() {
    let yaml = cluster(
        "    count: 2\n    autoscaling: {max: 9}\n    launch:\n      - {at: 1m, count: 2}\n      - {at: 1m, count: 1}",
        "",
        "      - {at: 0s, replicas: 1}",
        "1m",
    );
    let sc = scenario::parse(&yaml, "t.yaml").unwrap();
    let a = sc.nodegroups[0].autoscaling.clone().unwrap();
    assert_eq!((a.min, a.max), (2, 9), "min defaults to count");
    assert_eq!(a.scale_up_delay.micros(), 10_000_000);
    assert_eq!(a.provision_time.micros(), 60_000_000);
    assert_eq!(a.scale_down_after.micros(), 600_000_000);
    let l = &sc.nodegroups[0].launches;
    assert_eq!(l.len(), 2, "equal launch times are allowed");
    assert_eq!(l[1].provision_time.micros(), 60_000_000);
}
