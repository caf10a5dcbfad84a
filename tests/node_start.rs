//! Node start phases (launch → registered → aws-node → nodeInit → Ready) and the two
//! provisioners: Karpenter binding pods to the nodes it launches, the Cluster Autoscaler
//! leaving binding to the scheduler once a node is Ready.
use crate::common;

use common::{events_of, run_yaml};
use ipamsim::model::record::{Fact, MemoryRecorder, OwnedPod, WaitCause};
use ipamsim::model::World;
use ipamsim::scenario;
use ipamsim::sim::simulate;
use ipamsim::time::SimTime;
use std::path::Path;

fn run_shipped(name: &str) -> World<MemoryRecorder> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("scenarios/{name}.yaml"));
    let sc = scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
    simulate(sc, MemoryRecorder::default(), &mut |_| true).0
}

fn secs(t: f64) -> SimTime {
    SimTime((t * 1e6).round() as u64)
}

/// The time of the one event of `kind` on `node`.
fn at(w: &World<MemoryRecorder>, kind: &str, node: &str) -> SimTime {
    let e: Vec<_> = events_of(w, kind)
        .into_iter()
        .filter(|e| e.who == node)
        .collect();
    assert_eq!(e.len(), 1, "{kind} on {node}: {e:?}");
    e[0].time
}

fn pods_of<'a>(w: &'a World<MemoryRecorder>, workload: &'a str) -> Vec<&'a OwnedPod> {
    w.recorder()
        .pods
        .iter()
        .filter(|p| p.workload == workload)
        .collect()
}

/// karpenter-1956: `inflate` (2 pods) arrives at 60 s. Karpenter's pass at 60 s sees pods
/// that joined the queue less than a second ago and waits; the pass at 61 s launches one
/// t3.medium bound to both. It registers after provision_time, at 61 + 75 = 136 s. The
/// pods' waits: unschedulable [60, 61), node_not_ready [61, ipamd start), ipamd_unavailable
/// [ipamd start, Ready), then kubelet_retry until their kubelet's next attempt, at most
/// 10 s × 1.5 = 15 s after Ready, gets them an IP (5 IPs from init, 2 pods).
#[test]
fn karpenter_binds_pods_to_the_node_it_launches_before_it_is_ready() {
    let w = run_shipped("karpenter-1956");
    assert_eq!(at(&w, "scale_up", "small"), secs(61.0));
    assert_eq!(at(&w, "node_registered", "small-1"), secs(136.0));
    let start = at(&w, "ipamd_start", "small-1");
    let ready = at(&w, "node_ready", "small-1");
    // aws_node_start uniform 3–8 s
    assert!(start >= secs(139.0) && start <= secs(144.0), "{start:?}");
    let pods = pods_of(&w, "inflate");
    assert_eq!(pods.len(), 2);
    for p in pods {
        assert_eq!(p.node.as_deref(), Some("small-1"));
        assert_eq!(p.scheduled, Some(secs(61.0)));
        assert!(p.scheduled < Some(ready));
        let ws: Vec<_> = w
            .recorder()
            .waits
            .iter()
            .filter(|x| x.pod == p.name)
            .collect();
        let causes: Vec<_> = ws.iter().map(|x| x.cause).collect();
        assert_eq!(
            causes,
            [
                WaitCause::Unschedulable,
                WaitCause::NodeNotReady,
                WaitCause::IpamdUnavailable,
                WaitCause::KubeletRetry
            ],
            "{}",
            p.name
        );
        assert_eq!((ws[0].start, ws[0].end), (secs(60.0), secs(61.0)));
        assert_eq!((ws[1].end, ws[2].end), (start, ready));
        let ip = p.ip_assigned.expect("runs");
        assert_eq!(ws[3].end, ip);
        assert!(ip.micros() - ready.micros() <= 15_000_000, "{}", p.name);
    }
}

/// The t3.2xlarge of the second batch (8 pods at 600 s, launched at 601 s): registered at
/// 601 + 75 = 676 s, its aws-node takes a fixed 30 s, so nodeInit starts at exactly 706 s.
#[test]
fn a_fixed_aws_node_start_delays_nodeinit_by_exactly_that() {
    let w = run_shipped("karpenter-1956");
    assert_eq!(at(&w, "scale_up", "large"), secs(601.0));
    assert_eq!(at(&w, "node_registered", "large-1"), secs(676.0));
    assert_eq!(at(&w, "ipamd_start", "large-1"), secs(706.0));
    let e = events_of(&w, "node_registered")
        .into_iter()
        .find(|e| e.who == "large-1")
        .expect("registered");
    assert!(matches!(e.fact, Fact::NodeRegistered { start } if start.micros() == 30_000_000));
    assert_eq!(pods_of(&w, "inflate-big").len(), 8);
    for p in pods_of(&w, "inflate-big") {
        assert_eq!(p.node.as_deref(), Some("large-1"));
        assert!(p.ip_assigned.is_some(), "{}", p.name);
    }
}

/// With the Cluster Autoscaler no workload pod is bound to a node before it is Ready: the
/// scheduler only binds to Ready nodes, so each pod's `scheduled_s` is at or after its
/// node's `node_ready`, and no wait of a workload pod is `node_not_ready` or
/// `ipamd_unavailable`.
#[test]
fn cluster_autoscaler_binds_only_to_ready_nodes() {
    let w = run_shipped("autoscaling");
    let mut launched = 0;
    for p in pods_of(&w, "web") {
        let Some(node) = p.node.as_deref() else {
            continue;
        };
        let ready = at(&w, "node_ready", node);
        assert!(
            p.scheduled >= Some(ready),
            "{}: {:?} < {ready:?}",
            p.name,
            p.scheduled
        );
        launched += usize::from(!node.ends_with("-1") && !node.ends_with("-2"));
    }
    assert!(launched > 200, "{launched} pods on launched nodes");
    for x in &w.recorder().waits {
        if x.pod.starts_with("web-") {
            assert!(
                !matches!(
                    x.cause,
                    WaitCause::NodeNotReady | WaitCause::IpamdUnavailable
                ),
                "{x:?}"
            );
        }
    }
}

/// A steady stream of pods (one every 0.5 s from 10 s) never leaves Karpenter a quiet
/// second, so the batch that begins at the pass at 10 s launches at its 10 s limit: at 20 s.
#[test]
fn karpenter_batches_at_most_ten_seconds() {
    let yaml = "duration: 2m
subnets:
  - {name: a, cidr: 10.0.0.0/20}
nodegroups:
  - name: pool
    instance_type: m5.large
    count: 0
    subnet: a
    autoscaling: {provisioner: karpenter, max: 10}
workloads:
  - name: stream
    arrivals: {every: 500ms}
    from: 10s
    until: 60s
    lifetime: 1h
";
    let (w, _) = run_yaml(yaml);
    let ups = events_of(&w, "scale_up");
    assert_eq!(ups[0].time, secs(20.0), "{ups:?}");
    // the batch holds the pods of 10.0, 10.5, …, 19.5 s: 20 of them, one m5.large (29);
    // the arrival at 20 s comes after the pass (the pass was scheduled first, at 19 s)
    assert!(
        matches!(
            ups[0].fact,
            Fact::ScaleUp {
                count: 1,
                waiting: 20,
                karpenter: true,
                ..
            }
        ),
        "{:?}",
        ups[0].fact
    );
}

/// A pod-network DaemonSet pod on a launched node waits as node_not_ready until ipamd
/// starts, as ipamd_unavailable during nodeInit, then for its kubelet's retry (its sandbox
/// attempts failed with "network not ready" while the node was NotReady).
#[test]
fn daemonset_pods_on_a_launched_node_wait_for_its_start() {
    let yaml = "duration: 5m
subnets:
  - {name: a, cidr: 10.0.0.0/20}
nodegroups:
  - name: ng
    instance_type: m5.large
    count: 0
    subnet: a
    launch:
      - {at: 10s, count: 1, provision_time: 30s}
daemonsets:
  - name: agent
";
    let (w, _) = run_yaml(yaml);
    let start = at(&w, "ipamd_start", "ng-1");
    let ready = at(&w, "node_ready", "ng-1");
    let ws: Vec<_> = w.recorder().waits.iter().collect();
    let causes: Vec<_> = ws.iter().map(|x| x.cause).collect();
    assert_eq!(
        causes,
        [
            WaitCause::NodeNotReady,
            WaitCause::IpamdUnavailable,
            WaitCause::KubeletRetry
        ]
    );
    assert_eq!(
        (ws[0].start, ws[0].end, ws[1].end),
        (secs(10.0), start, ready)
    );
}
