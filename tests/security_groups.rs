//! Security groups for pods (`ENABLE_POD_ENI`): the trunk takes an ENI slot, each selected
//! pod gets its own branch ENI up to the type's limit, cooling branches hold their slots,
//! and on types without trunking the selected pods stay Pending.
use crate::common;

use common::{events_of, run_yaml};
use ipamsim::model::record::{Fact, PodState, WaitCause};
use ipamsim::scenario::{self, Ec2Action};
use ipamsim::time::SimTime;
use std::path::Path;

fn shipped() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/security-groups.yaml");
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{e}"))
}

const ONE_NODE: &str = "\
duration: 3m
subnets: [{name: s, cidr: 10.0.0.0/24}]
nodegroups: [{name: ng, instance_type: TYPE, count: 1, subnet: s}]
cni: {ENABLE_POD_ENI: true}
workloads:
  - {name: sg, replicas: 12, at: 30s, security_group_policy: true}
";

fn pods_of<'a>(
    w: &'a ipamsim::model::World<ipamsim::model::record::MemoryRecorder>,
    workload: &'a str,
) -> impl Iterator<Item = &'a ipamsim::model::record::OwnedPod> + 'a {
    w.recorder()
        .pods
        .iter()
        .filter(move |p| p.workload == workload)
}

/// One m5.large (BranchInterface 9, limits.go), 12 selected pods: the trunk is attached
/// once ipamd started, 9 pods are bound and get a branch ENI each, 3 stay unschedulable
/// (the node offers 9 `vpc.amazonaws.com/pod-eni`). ipamd never holds more than 2 ENIs
/// (3 − the trunk's slot) × 9 IPs = 18. Subnet: 251 − 1 instance − 9 IPs on the primary
/// ENI (no pod uses ipamd's pool, so those 9 meet WARM_ENI_TARGET 1 and no second ENI is
/// added) − 1 trunk − 9 branches = 231.
#[test]
fn m5_large_runs_nine_selected_pods_and_leaves_three_pending() {
    let (w, _) = run_yaml(&ONE_NODE.replace("TYPE", "m5.large"));
    let sg: Vec<_> = pods_of(&w, "sg").collect();
    assert_eq!(sg.len(), 12);
    let running = sg.iter().filter(|p| p.state == PodState::Running).count();
    let pending = sg
        .iter()
        .filter(|p| p.state == PodState::Unschedulable)
        .count();
    assert_eq!((running, pending), (9, 3));
    assert_eq!(events_of(&w, "trunk_attached").len(), 1);
    assert_eq!(events_of(&w, "branch_eni").len(), 9);
    for row in &w.recorder().timeline {
        assert!(row.enis <= 2, "{row:?}");
        assert!(row.ips_total <= 18, "{row:?}");
    }
    let mut addrs: Vec<_> = sg.iter().filter_map(|p| p.ip).collect();
    addrs.sort_unstable_by_key(|a| a.v4());
    addrs.dedup();
    assert_eq!(
        addrs.len(),
        9,
        "each running pod has its own branch address"
    );
    assert_eq!(w.totals().last_row.subnet_free_ips, 231);
    let calls = w.ec2().calls();
    // trunk: 1 create + 1 attach; branches: 9 creates + 9 associations
    assert_eq!(calls[Ec2Action::AssociateTrunkInterface as usize], 9);
    assert_eq!(calls[Ec2Action::CreateNetworkInterface as usize], 10);
    assert_eq!(calls[Ec2Action::AttachNetworkInterface as usize], 1);
}

/// t3.medium is not trunking-compatible: no trunk, no pod ENI, none of the 12 runs, and
/// ipamd keeps all 3 ENI slots (no trunk reserved); validate warns.
#[test]
fn t3_medium_runs_no_selected_pod() {
    let yaml = ONE_NODE.replace("TYPE", "t3.medium");
    let (w, _) = run_yaml(&yaml);
    assert!(pods_of(&w, "sg").all(|p| p.state == PodState::Unschedulable));
    assert!(events_of(&w, "trunk_attached").is_empty());
    assert_eq!(w.node(0).ipamd.conf.max_eni, 3);
    let sc = scenario::parse(&yaml, "t3.yaml").unwrap();
    assert!(
        sc.warning_lines()
            .iter()
            .any(|l| l.contains("trunking-compatible (t3.medium)")),
        "{:?}",
        sc.warning_lines()
    );
}

/// Without ENABLE_POD_ENI no node offers a pod ENI: the selected pods stay Pending, ipamd
/// keeps its 3 ENIs, and validate says why.
#[test]
fn without_enable_pod_eni_selected_pods_stay_pending() {
    let yaml = ONE_NODE
        .replace("TYPE", "m5.large")
        .replace("cni: {ENABLE_POD_ENI: true}\n", "");
    let (w, _) = run_yaml(&yaml);
    assert!(pods_of(&w, "sg").all(|p| p.state == PodState::Unschedulable));
    assert_eq!(w.node(0).ipamd.conf.max_eni, 3);
    let sc = scenario::parse(&yaml, "off.yaml").unwrap();
    assert!(sc
        .warning_lines()
        .iter()
        .any(|l| l.contains("ENABLE_POD_ENI is not true")));
}

/// scenarios/security-groups.yaml. 12 payments pods at 30 s: 9 bound and running, 3
/// Pending. 20 web pods at 1 min fill the 29 max pods (9 + 20); ipamd has 2 ENIs × 9 = 18
/// IPs, so 18 web pods run and 2 wait with `max_enis` until the end. At 4 min payments
/// scales to 0: its 9 branches cool until 4 + 1 = 5 min. The 9 new payments pods of
/// 4m10s are bound at once (the scheduler counts only bound pods' requests) but the
/// controller counts the cooling branches, so they get branches only after 300 s: each
/// waits ≥ 50 s for `branch_eni` and gets its IP after 300 s. At the end the subnet holds
/// 1 instance + 9 + (1 + 9) ipamd + 1 trunk + 9 branches = 30 of 251: 221 free.
#[test]
fn cooling_branches_hold_their_slots_for_the_cooldown() {
    let (w, _) = run_yaml(&shipped());
    let late: Vec<_> = pods_of(&w, "payments")
        .filter(|p| p.created == SimTime(250_000_000))
        .collect();
    assert_eq!(late.len(), 9);
    for p in &late {
        assert_eq!(p.scheduled, Some(p.created), "{}", p.name);
        assert!(p.ip_assigned.unwrap() > SimTime(300_000_000), "{p:?}");
    }
    let deleted = events_of(&w, "branch_eni_deleted");
    assert_eq!(deleted.len(), 9);
    assert!(deleted.iter().all(|e| e.time == SimTime(300_000_000)));
    for p in &late {
        let branch: f64 = w
            .recorder()
            .waits
            .iter()
            .filter(|x| x.pod == p.name && x.cause == WaitCause::BranchEni)
            .map(|x| x.end.since(x.start).as_secs_f64())
            .sum();
        assert!(branch >= 50.0, "{}: {branch}", p.name);
    }
    let web: Vec<_> = pods_of(&w, "web").collect();
    assert_eq!(
        web.iter().filter(|p| p.state == PodState::Running).count(),
        18
    );
    let stuck: Vec<_> = web
        .iter()
        .filter(|p| p.state == PodState::WaitingIp)
        .collect();
    assert_eq!(stuck.len(), 2);
    for p in stuck {
        assert!(w
            .recorder()
            .waits
            .iter()
            .any(|x| x.pod == p.name && x.cause == WaitCause::MaxEnis));
    }
    assert_eq!(w.totals().last_row.subnet_free_ips, 221);
    assert!(matches!(
        events_of(&w, "trunk_attached")[0].fact,
        Fact::TrunkAttached { branches: 9, .. }
    ));
}

/// A selected pod's waits are contiguous: unschedulable until bound, `branch_eni` until
/// the controller annotated it, then `kubelet_retry` until its CNI ADD succeeded.
#[test]
fn a_selected_pods_waits_cover_creation_to_ip() {
    let (w, _) = run_yaml(&shipped());
    for p in pods_of(&w, "payments").filter(|p| p.ip_assigned.is_some()) {
        let mut rows: Vec<_> = w
            .recorder()
            .waits
            .iter()
            .filter(|x| x.pod == p.name)
            .collect();
        rows.sort_by_key(|x| x.start);
        let mut at = p.created;
        for x in &rows {
            assert_eq!(x.start, at, "{}: {rows:?}", p.name);
            at = x.end;
        }
        assert_eq!(at, p.ip_assigned.unwrap(), "{}", p.name);
        assert!(rows
            .iter()
            .all(|x| matches!(x.cause, WaitCause::BranchEni | WaitCause::KubeletRetry)));
    }
}

/// A branch-ENI cooldown below the controller's 30 s minimum is raised to 30 s, with a
/// located warning.
#[test]
fn cooldown_below_thirty_seconds_is_raised() {
    let yaml = format!(
        "{}resource_controller: {{branch_eni_cooldown: 10s}}\n",
        shipped()
    );
    let sc = scenario::parse(&yaml, "rc.yaml").unwrap();
    assert_eq!(
        sc.resource_controller.branch_eni_cooldown,
        ipamsim::time::SimDuration::from_secs(30)
    );
    assert!(sc
        .warning_lines()
        .iter()
        .any(|l| l.contains("resource_controller.branch_eni_cooldown") && l.contains("uses 30s")));
}

/// Security groups for pods need ipamd: with Calico IPAM they are a located error.
#[test]
fn pod_enis_with_calico_are_an_error() {
    let yaml = format!(
        "{}ipam: {{plugin: calico, pool: 172.16.0.0/16}}\n",
        ONE_NODE.replace("TYPE", "m5.large")
    );
    let e = scenario::parse(&yaml, "c.yaml").unwrap_err();
    assert!(
        e.problems
            .iter()
            .any(|d| d.path == "cni.ENABLE_POD_ENI" && d.message.contains("plugin: calico")),
        "{:?}",
        e.problems
    );
}

/// ipamd answers a selected pod's CNI ADD (from its annotation) only while it serves: with
/// aws-node restarting at 301 s (CrashLoopBackOff 10 s, nodeInit again at 311 s), none of
/// the 9 pods recreated at 250 s gets its branch's address before 311 s, although without
/// the restart some had it from 301.4 s (their branches are annotated at about 301 s).
#[test]
fn selected_pods_wait_while_ipamd_restarts() {
    let late = |yaml: &str| -> Vec<SimTime> {
        let (w, _) = run_yaml(yaml);
        pods_of(&w, "payments")
            .filter(|p| p.created == SimTime(250_000_000))
            .map(|p| p.ip_assigned.expect("an IP"))
            .collect()
    };
    let plain = late(&shipped());
    assert!(plain.iter().any(|&t| t < SimTime(311_000_000)), "{plain:?}");
    let restarted = shipped().replace(
        "duration: 8m\n",
        "duration: 8m\nfaults: {aws_node_restarts: [{at: 301s, node: ng-1}]}\n",
    );
    let times = late(&restarted);
    assert_eq!(times.len(), 9);
    assert!(times.iter().all(|&t| t > SimTime(311_000_000)), "{times:?}");
    // their waits say so: branch_eni until about 301 s, then ipamd_unavailable from the
    // restart until ipamd serves again (after 311 s), then kubelet_retry
    let (w, _) = run_yaml(&restarted);
    for p in pods_of(&w, "payments").filter(|p| p.created == SimTime(250_000_000)) {
        let mut rows: Vec<_> = w
            .recorder()
            .waits
            .iter()
            .filter(|x| x.pod == p.name)
            .collect();
        rows.sort_by_key(|x| x.start);
        let causes: Vec<WaitCause> = rows.iter().map(|x| x.cause).collect();
        assert_eq!(
            causes,
            [
                WaitCause::BranchEni,
                WaitCause::IpamdUnavailable,
                WaitCause::KubeletRetry
            ],
            "{}: {rows:?}",
            p.name
        );
        assert_eq!(rows[1].start, SimTime(301_000_000), "{rows:?}");
        assert!(rows[1].end > SimTime(311_000_000), "{rows:?}");
    }
}
