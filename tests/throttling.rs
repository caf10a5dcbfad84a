//! EC2 throttling, the SDK's retries and injected faults (issue "cluster-scale dynamics"),
//! with the expected numbers derived in comments.
use crate::common;
use common::*;
use ipamsim::model::record::{Ec2Error, Fact, OwnedEvent, WaitCause};
use ipamsim::scenario::Ec2Action;

fn cluster(nodes: u32, extra: &str, pods: u32) -> String {
    format!(
        "duration: 10m
{extra}
subnets: [{{name: a, cidr: 10.8.0.0/16}}]
nodegroups: [{{name: ng, instance_type: m5.large, count: {nodes}, subnet: a}}]
workloads:
  - {{name: web, at: 60s, replicas: {pods}}}
"
    )
}

/// 200 nodes initialise at t = 0: 200 DescribeNetworkInterfaces against the Describe*
/// bucket of 100 tokens -> at least 100 are throttled at once (the SDK retries them after
/// up to 2 s, when at most 20 × 2 tokens are back). 10 nodes never make more than 10 calls
/// of one action within a second (< 50 and < 100 tokens): nothing is throttled.
#[test]
fn two_hundred_nodes_at_once_are_throttled_ten_are_not() {
    let (w, _) = run_yaml(&cluster(200, "", 0));
    let throttled = w.ec2().total_throttled();
    assert!(throttled >= 100, "{throttled}");
    assert!(!events_of(&w, "ec2_retry").is_empty());
    let (w, _) = run_yaml(&cluster(10, "", 0));
    assert_eq!(w.ec2().total_throttled(), 0);
    // every node still finishes init
    assert!(w.node_views().all(|n| n.ready));
}

/// Acceptance: the shipped 200-node burst shows throttled calls and a longer time to IP
/// than the same burst with throttling off.
#[test]
fn burst_is_slower_with_throttling() {
    let load = |f: &str| {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("scenarios")
            .join(f);
        let sc = ipamsim::scenario::load(&path).unwrap();
        let (w, stats) = ipamsim::sim::simulate(
            sc,
            ipamsim::model::record::MemoryRecorder::default(),
            &mut |_| true,
        );
        ipamsim::output::summary::Summary::from_world(&w, &stats, "")
    };
    let on = load("burst-200-nodes.yaml");
    let off = load("burst-200-nodes-unthrottled.yaml");
    assert!(on.ec2.throttled > 1000, "{}", on.ec2.throttled);
    assert_eq!(off.ec2.throttled, 0);
    let (p_on, p_off) = (on.time_to_ip_s.p99.unwrap(), off.time_to_ip_s.p99.unwrap());
    assert!(p_on > p_off + 20.0, "{p_on} vs {p_off}");
    // every pod gets its IP in the end either way
    assert_eq!((on.pods.never_got_ip, off.pods.never_got_ip), (0, 0));
}

/// The SDK's standard retryer: AssignPrivateIpAddresses gets a bucket of 1 token and no
/// refill. Node 1's init takes the token; node 2's init call is throttled 3 times (3
/// attempts), then ipamd retries with 1 IP (§c.7), throttled 3 times again, and the
/// increase fails: 6 throttled requests, 2 `ec2_failed` events, node 2 Ready with no IPs.
#[test]
fn sdk_retries_three_times_then_ipamd_gives_up() {
    let extra = "ec2:\n  throttling: {AssignPrivateIpAddresses: {bucket: 1, refill: 0}, CreateNetworkInterface: {bucket: 1, refill: 0}}\nipamd: {placement: canonical}";
    let yaml = cluster(2, extra, 0).replace("duration: 10m", "duration: 30s");
    let (w, _) = run_yaml(&yaml);
    // look at nodeInit only: events up to ng-2 becoming Ready
    let ready = events_of(&w, "node_ready")
        .iter()
        .find(|e| e.who == "ng-2")
        .map(|e| e.secs())
        .expect("ng-2 becomes Ready without IPs");
    let before = |kind: &'static str| -> Vec<OwnedEvent> {
        events_of(&w, kind)
            .into_iter()
            .filter(|e| e.secs() <= ready)
            .cloned()
            .collect()
    };
    let failed = before("ec2_failed");
    assert!(failed.iter().all(|e| e.who == "ng-2"
        && e.fact
            == Fact::Ec2Failed {
                action: Ec2Action::AssignPrivateIpAddresses,
                attempts: 3,
                error: Ec2Error::RequestLimitExceeded
            }));
    // the streak's later failures are counted in ec2_repeats rows: (requests, calls)
    let repeats: (u32, u32) = before("ec2_repeats")
        .iter()
        .fold((0, 0), |acc, e| match e.fact {
            Fact::Ec2Repeats {
                requests, calls, ..
            } => (acc.0 + requests, acc.1 + calls),
            _ => acc,
        });
    // 2 failed calls
    assert_eq!(failed.len() as u32 + repeats.1, 2, "{failed:?} {repeats:?}");
    // 2 failed calls × (3 attempts − 1) retries
    let retries = before("ec2_retry").len() as u32 + (repeats.0 - repeats.1);
    assert_eq!(retries, 4);
    let pools: Vec<u32> = (0..2).map(|i| node_pool(&w, i).1).collect();
    assert_eq!(pools.iter().filter(|&&t| t == 9).count(), 1);
    assert_eq!(pools.iter().filter(|&&t| t == 0).count(), 1);
}

/// A pod waiting for an IP names the throttled call that holds its node's pool back.
#[test]
fn waiting_pods_name_the_throttled_call() {
    let (w, _) = run_yaml(&cluster(200, "", 4000));
    let named = events_of(&w, "no_ip")
        .iter()
        .filter(|e| {
            matches!(
                e.fact,
                Fact::NoIp {
                    cause: WaitCause::Ec2Throttled,
                    ..
                }
            )
        })
        .count();
    assert!(named > 100, "{named}");
}

/// Injected faults: every AttachNetworkInterface request fails with a server error. Each
/// attach is tried 3 times by the SDK, then the created ENI is deleted (`attach_failed`),
/// so no second ENI ever comes and pods beyond the primary ENI's 9 IPs wait; the deleted
/// ENIs' addresses return to the subnet.
#[test]
fn attach_faults_are_visible_and_cleaned_up() {
    let extra = "ec2:\n  faults: {AttachNetworkInterface: 1.0}";
    let (w, _) = run_yaml(&cluster(1, extra, 20));
    assert!(!events_of(&w, "attach_failed").is_empty());
    assert_eq!(node_pool(&w, 0), (1, 9, 9));
    // subnet: 65536 − 5 − instance 1 − 9 IPs = 65521 free: every failed ENI was deleted,
    // except at most one whose create is in flight at the end (its 1 + 9 addresses)
    let free = w.totals().last_row.subnet_free_ips;
    assert!(free == 65521 || free == 65511, "{free}");
    // with a 30 % error rate the SDK's retries get through: every pod runs
    let (w, _) = run_yaml(&cluster(
        1,
        "ec2:\n  faults: {AttachNetworkInterface: 0.3, AssignPrivateIpAddresses: 0.3}",
        20,
    ));
    assert_eq!(w.totals().last_row.pods_running, 20);
}

/// An ENI that never shows in IMDS during ipamd's wait (fault probability 1): every new ENI
/// is orphaned, shows 200 s after attach, and reconcile adopts it; the pods get IPs then.
#[test]
fn eni_missing_from_imds_is_adopted_later() {
    let extra = "faults: {eni_missing_from_imds: 1.0}";
    let (w, _) = run_yaml(&cluster(1, extra, 12));
    assert!(!events_of(&w, "eni_not_in_imds").is_empty());
    assert!(!events_of(&w, "eni_adopted").is_empty());
    assert_eq!(w.totals().last_row.pods_running, 12);
}

/// aws-node restarts at 5 minutes on ng-1 (CrashLoopBackOff: back 10 s later): ipamd
/// runs nodeInit again, adopting its ENIs as new; pods created while it is down wait with
/// "ipamd not serving" and get IPs once it serves again.
#[test]
fn aws_node_restart_reinitialises_ipamd() {
    let extra = "faults: {aws_node_restarts: [{at: 5m, node: ng-1}]}";
    let yaml = cluster(1, extra, 5).replace(
        "  - {name: web, at: 60s, replicas: 5}",
        "  - {name: web, steps: [{at: 60s, replicas: 5}, {at: 301s, replicas: 8}]}",
    );
    let (w, _) = run_yaml(&yaml);
    let restarts = event_times(&w, "aws_node_restart");
    assert_eq!(restarts, vec![300.0]);
    assert_eq!(event_times(&w, "ipamd_start").len(), 2);
    assert!(events_of(&w, "no_ip").iter().any(|e| matches!(
        e.fact,
        Fact::NoIp {
            cause: WaitCause::IpamdUnavailable,
            ..
        }
    )));
    assert_eq!(w.totals().last_row.pods_running, 8);
    // every ENI was re-adopted at the restart (createTime reset to ~310 s)
    assert!(w
        .node(0)
        .ds
        .enis()
        .iter()
        .all(|e| e.create_time.as_secs_f64() >= 310.0));
}

/// Bad throttling and fault settings are located errors.
#[test]
fn bad_settings_are_rejected() {
    let bad = [
        (
            "ec2:\n  throttling: {CreateNetworkInterface: {bucket: 0, refill: 5}}",
            "bucket size",
        ),
        (
            "ec2:\n  throttling: {Nonsense: {bucket: 1, refill: 1}}",
            "unknown",
        ),
        (
            "ec2:\n  faults: {AttachNetworkInterface: 1.5}",
            "not a probability",
        ),
        (
            "faults: {aws_node_restarts: [{at: 1m, node: ng-9}]}",
            "no node \"ng-9\"",
        ),
        ("ec2:\n  retry: {max_attempts: 0}", "max_attempts"),
    ];
    for (extra, phrase) in bad {
        let errs = ipamsim::scenario::parse(&cluster(2, extra, 0), "t.yaml").unwrap_err();
        assert!(
            errs.problems
                .iter()
                .any(|d| d.message.contains(phrase) || d.path.contains(phrase)),
            "{extra}: {errs}"
        );
    }
}
