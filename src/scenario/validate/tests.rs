//! Unit tests of the whole checker: examples, defaults, CNI values, syntax, keys and types.

use super::*;

/// The documented example with every key.
pub(super) const FULL: &str = "\
name: three-t3-medium
seed: 7
duration: 10m
sample_interval: 2s
cni:
  WARM_ENI_TARGET: 1
  WARM_IP_TARGET: 5
  MINIMUM_IP_TARGET: 3
  WARM_PREFIX_TARGET: 1
  ENABLE_PREFIX_DELEGATION: false
  MAX_ENI: -1
  IP_COOLDOWN_PERIOD: -5
  AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG: false
  ENABLE_SUBNET_DISCOVERY: false
subnets:
  - name: private-a
    cidr: 192.168.1.0/24
  - name: private-b
    cidr: 192.168.2.0/24
nodegroups:
  - name: ng1
    instance_type: t3.medium
    count: 3
    subnet: private-b
    max_pods: 11
  - name: ng2
    instance_type: m5.large
    count: 0
    subnet: private-a
daemonsets:
  - name: aws-node
    host_network: true
  - name: kube-proxy
workloads:
  - name: nginx
    host_network: false
    at: 60s
    replicas: 50
  - name: web
    steps:
      - {at: 0s, replicas: 10}
      - {at: 5m, replicas: 300}
ec2:
  latency:
    CreateNetworkInterface: 400ms
    default: 100ms
    AttachNetworkInterface: {min: 300ms, max: 900ms}
    DeleteNetworkInterface: {exponential: 300ms}
  imds_delay: {min: 1s, max: 4s}
kubelet:
  retry_interval: 5s
  retry_jitter: 0.25
ipamd:
  placement: canonical
  tick_overhead: 0
scheduler:
  policy: most-allocated
";

/// The smallest valid file.
pub(super) const MINIMAL: &str = "\
duration: 1m
subnets:
  - name: a
    cidr: 10.0.0.0/16
nodegroups:
  - name: ng
    instance_type: t3.medium
    count: 2
    subnet: a
";

pub(super) fn ms(m: u64) -> SimDuration {
    SimDuration::from_millis(m)
}

pub(super) fn ok(text: &str) -> Scenario {
    match parse(text, "scenarios/test.yaml") {
        Ok(s) => s,
        Err(e) => panic!("expected Ok, got:\n{e}"),
    }
}

pub(super) fn errors(text: &str) -> Vec<Diagnostic> {
    match parse(text, "scenarios/test.yaml") {
        Ok(_) => panic!("expected errors for:\n{text}"),
        Err(e) => {
            assert!(!e.problems.is_empty());
            e.problems
        }
    }
}

/// The only problem reported for `text`.
pub(super) fn one_error(text: &str) -> Diagnostic {
    let problems = errors(text);
    assert_eq!(problems.len(), 1, "expected one problem, got {problems:#?}");
    problems
        .into_iter()
        .next()
        .unwrap_or_else(|| unreachable!())
}

/// Asserts path, location and a phrase of the message.
pub(super) fn check(d: &Diagnostic, path: &str, location: Option<(usize, usize)>, phrase: &str) {
    assert_eq!(d.path, path, "path of {d:?}");
    assert_eq!(d.location, location, "location of {d:?}");
    assert!(
        d.message.contains(phrase),
        "{:?} should contain {phrase:?}",
        d.message
    );
}

/// MINIMAL with `extra` appended (top-level sections).
pub(super) fn minimal_plus(extra: &str) -> String {
    format!("{MINIMAL}{extra}")
}

#[test]
fn full_example_parses_to_expected_values() {
    let s = ok(FULL);
    assert_eq!(s.name, "three-t3-medium");
    assert_eq!(s.seed, 7);
    assert_eq!(s.duration, SimDuration::from_secs(600));
    assert_eq!(s.sample_interval, SimDuration::from_secs(2));
    let cni = CniConfig {
        warm_eni_target: 1,
        warm_ip_target: 5,
        minimum_ip_target: 3,
        warm_prefix_target: 1,
        enable_prefix_delegation: false,
        max_eni: None,
        ip_cooldown_period_s: -5,
        custom_network_cfg: false,
        enable_subnet_discovery: false,
        ..CniConfig::default()
    };
    assert_eq!(s.cni, cni);
    assert_eq!(s.subnets.len(), 2);
    // 192.168.2.0 = 0xC0A80200
    assert_eq!(
        s.subnets[1].cidr,
        Ipv4Cidr {
            base: 0xC0A8_0200,
            prefix_len: 24
        }
    );
    assert_eq!(s.subnets[1].cidr.to_string(), "192.168.2.0/24");
    let ng1 = &s.nodegroups[0];
    assert_eq!(
        (ng1.name.as_str(), ng1.count, ng1.subnets[0], ng1.max_pods),
        ("ng1", 3, 1, 11)
    );
    assert_eq!(ng1.instance_type.name, "t3.medium");
    // m5.large: 3 ENIs x (10 - 1) + 2 = 29 pods by default.
    let ng2 = &s.nodegroups[1];
    assert_eq!((ng2.count, ng2.subnets[0], ng2.max_pods), (0, 0, 29));
    assert_eq!(s.daemonsets.len(), 2);
    assert!(s.daemonsets[0].host_network);
    assert!(!s.daemonsets[1].host_network);
    assert_eq!(s.workloads[0].steps, vec![(SimTime(60_000_000), 50)]);
    assert!(!s.workloads[0].host_network);
    assert_eq!(
        s.workloads[1].steps,
        vec![(SimTime(0), 10), (SimTime(300_000_000), 300)]
    );
    // `default` applies first even though it is written after an override.
    let lat = &s.ec2.latency;
    assert_eq!(
        lat[Ec2Action::CreateNetworkInterface as usize],
        Latency::Fixed(ms(400))
    );
    assert_eq!(
        lat[Ec2Action::AssignPrivateIpAddresses as usize],
        Latency::Fixed(ms(100))
    );
    assert_eq!(
        lat[Ec2Action::DescribeSubnets as usize],
        Latency::Fixed(ms(100))
    );
    assert_eq!(
        lat[Ec2Action::AttachNetworkInterface as usize],
        Latency::Uniform {
            min: ms(300),
            max: ms(900)
        }
    );
    assert_eq!(
        lat[Ec2Action::DeleteNetworkInterface as usize],
        Latency::Exponential { mean: ms(300) }
    );
    assert_eq!(
        s.ec2.imds_delay,
        Latency::Uniform {
            min: ms(1000),
            max: ms(4000)
        }
    );
    assert_eq!(s.kubelet.retry_interval, SimDuration::from_secs(5));
    assert_eq!(s.kubelet.retry_jitter, 0.25);
    assert_eq!(s.ipamd.placement, Placement::Canonical);
    assert_eq!(s.ipamd.tick_overhead, SimDuration::ZERO);
    assert_eq!(s.scheduler.policy, SchedulerPolicy::MostAllocated);
}

#[test]
fn minimal_file_gets_defaults() {
    let s = ok(MINIMAL);
    assert_eq!(s.name, "test");
    assert_eq!(s.seed, 1);
    assert_eq!(s.duration, SimDuration::from_secs(60));
    assert_eq!(s.sample_interval, SimDuration::from_secs(1));
    assert_eq!(s.cni, CniConfig::default());
    assert_eq!(s.ec2, Ec2Config::default());
    assert_eq!(s.kubelet, KubeletConfig::default());
    assert_eq!(s.ipamd, IpamdConfig::default());
    assert_eq!(s.scheduler, SchedulerConfig::default());
    assert!(s.daemonsets.is_empty() && s.workloads.is_empty());
    // t3.medium: 3 x (6 - 1) + 2 = 17
    assert_eq!(s.nodegroups[0].max_pods, 17);
    assert_eq!(s.subnets[0].cidr.size(), 65536);
}

#[test]
fn name_defaults_to_the_file_stem() {
    let s = parse(MINIMAL, "scenarios/three-t3-medium.yaml").map(|s| s.name);
    assert_eq!(s.ok().as_deref(), Some("three-t3-medium"));
    let s = parse(MINIMAL, "plain").map(|s| s.name);
    assert_eq!(s.ok().as_deref(), Some("plain"));
}

#[test]
fn cni_accepts_manifest_strings() {
    let s = ok(&minimal_plus(
        "cni:\n  WARM_IP_TARGET: \"1\"\n  WARM_ENI_TARGET: \"-1\"\n  MAX_ENI: \"-1\"\n  \
             ENABLE_SUBNET_DISCOVERY: \"F\"\n  MINIMUM_IP_TARGET: \"+4\"\n  \
             WARM_PREFIX_TARGET: -2\n  IP_COOLDOWN_PERIOD: \"-1\"\n  \
             ENABLE_PREFIX_DELEGATION: \"false\"\n",
    ));
    assert_eq!(s.cni.warm_ip_target, 1);
    assert_eq!(s.cni.warm_eni_target, 1, "negative WARM_ENI_TARGET means 1");
    assert_eq!(s.cni.max_eni, None);
    assert!(!s.cni.enable_subnet_discovery);
    assert_eq!(s.cni.minimum_ip_target, 4);
    assert_eq!(
        s.cni.warm_prefix_target, 0,
        "negative WARM_PREFIX_TARGET means 0"
    );
    assert_eq!(s.cni.ip_cooldown_period_s, -1);

    let s = ok(&minimal_plus(
        "cni:\n  MAX_ENI: 2\n  ENABLE_SUBNET_DISCOVERY: \"true\"\n",
    ));
    assert_eq!(s.cni.max_eni, Some(2));
    assert!(s.cni.enable_subnet_discovery);
    let s = ok(&minimal_plus(
        "cni:\n  MAX_ENI: 0\n  WARM_ENI_TARGET: \"3\"\n",
    ));
    assert_eq!(s.cni.max_eni, None);
    assert_eq!(s.cni.warm_eni_target, 3);
}

#[test]
fn cni_unparsable_values_are_errors() {
    // MINIMAL has 9 lines; `cni:` is line 10.
    let d = one_error(&minimal_plus("cni:\n  WARM_IP_TARGET: \"abc\"\n"));
    check(
        &d,
        "cni.WARM_IP_TARGET",
        Some((11, 3)),
        "\"abc\" is not an integer",
    );
    assert!(d.message.contains("aws-node would silently treat it as 0"));
    let d = one_error(&minimal_plus("cni:\n  ENABLE_SUBNET_DISCOVERY: \"yes\"\n"));
    check(
        &d,
        "cni.ENABLE_SUBNET_DISCOVERY",
        Some((11, 3)),
        "not a boolean",
    );
    assert!(d.message.contains("TRUE") && d.message.contains("as true"));
    let d = one_error(&minimal_plus("cni:\n  WARM_ENI_TARGET: 1.5\n"));
    check(
        &d,
        "cni.WARM_ENI_TARGET",
        Some((11, 3)),
        "1.5 is not an integer",
    );
}

#[test]
fn syntax_error_has_serde_location() {
    let d = one_error("duration: 1m\nsubnets:\n  - name: a\n   cidr: x: y\n");
    assert_eq!(d.path, "");
    let (line, _) = d.location.unwrap_or_default();
    assert_eq!(line, 4, "{d:?}");
    assert!(d.message.starts_with("cannot parse YAML"), "{d:?}");
    // The problem's own position is not repeated; libyaml's context mark stays.
    assert!(!d.message.contains("at line 4"), "{d:?}");
}

#[test]
fn unknown_top_level_key() {
    let d = one_error(&minimal_plus("durration: 5m\n"));
    check(
        &d,
        "",
        Some((10, 1)),
        "unknown key \"durration\" (did you mean \"duration\"?)",
    );
    assert!(d.message.contains("allowed: name, seed, duration"));
}

#[test]
fn unknown_nested_key() {
    let text = MINIMAL.replace("    subnet: a\n", "    subnet: a\n    replica: 3\n");
    let d = one_error(&text);
    check(
        &d,
        "nodegroups[0]",
        Some((10, 5)),
        "unknown key \"replica\"",
    );
    assert!(d
        .message
        .contains("allowed: name, instance_type, count, subnet, subnets, max_pods"));

    // The typo also leaves the workload without `replicas`: both are reported.
    let problems = errors(&minimal_plus("workloads:\n  - name: w\n    replica: 3\n"));
    assert_eq!(problems.len(), 2, "{problems:#?}");
    check(
        &problems[0],
        "workloads[0]",
        Some((11, 3)),
        "needs `replicas`",
    );
    let d = &problems[1];
    check(
        d,
        "workloads[0]",
        Some((12, 5)),
        "unknown key \"replica\" (did you mean \"replicas\"?)",
    );
    assert!(d
        .message
        .contains("allowed: name, host_network, at, replicas, steps"));
}

#[test]
fn wrong_types() {
    let d = one_error(&MINIMAL.replace("count: 2", "count: many"));
    check(
        &d,
        "nodegroups[0].count",
        Some((8, 5)),
        "expected a whole number; found the string \"many\"",
    );
    let d = one_error(&MINIMAL.replace("count: 2", "count: [1, 2]"));
    check(&d, "nodegroups[0].count", Some((8, 5)), "found a list");
    let d = one_error(&minimal_plus(
        "daemonsets:\n  - name: ds\n    host_network: yes\n",
    ));
    check(
        &d,
        "daemonsets[0].host_network",
        Some((12, 5)),
        "expected true or false",
    );
    let d = one_error("duration: 1m\nsubnets: 3\nnodegroups: []\n");
    check(
        &d,
        "subnets",
        Some((2, 1)),
        "expected a list of subnets; found a number",
    );
    let d = one_error("duration: 1m\nnodegroups: {a: 1}\n");
    check(
        &d,
        "nodegroups",
        Some((2, 1)),
        "expected a list of nodegroups; found a mapping",
    );
    let d = one_error("duration: 1m\nkubelet: [1]\n");
    check(
        &d,
        "kubelet",
        Some((2, 1)),
        "expected a mapping with keys retry_interval, retry_jitter",
    );
}

#[test]
fn top_level_must_be_a_mapping() {
    let d = one_error("- a\n- b\n");
    check(&d, "", Some((1, 1)), "found a list");
    let d = one_error("");
    check(&d, "duration", Some((1, 1)), "required key is missing");
}

#[test]
fn bad_durations() {
    let d = one_error(&MINIMAL.replace("duration: 1m", "duration: 5"));
    check(&d, "duration", Some((1, 1)), "number without a unit");
    let d = one_error(&MINIMAL.replace("duration: 1m", "duration: 0s"));
    check(&d, "duration", Some((1, 1)), "must be longer than 0");
    let text = minimal_plus("workloads:\n  - name: w\n    steps:\n      - {at: 0s, replicas: 1}\n      - {at: 5 minutes, replicas: 2}\n");
    let d = one_error(&text);
    check(
        &d,
        "workloads[0].steps[1].at",
        Some((14, 10)),
        "expected a duration like",
    );
}

#[test]
fn times_finer_than_a_millisecond_are_rejected() {
    // outputs print milliseconds: 1m + 500 µs would print its end sample at the time of
    // the sample before it
    let d = one_error(&MINIMAL.replace("duration: 1m", "duration: 60000500us"));
    assert_eq!(d.path, "duration");
    assert!(
        d.message.contains("60000500us is not a whole number"),
        "{}",
        d.message
    );
    assert!(d.message.contains("60001ms"), "{}", d.message);
    let d = one_error(&minimal_plus("sample_interval: 1500us\n"));
    assert_eq!(d.path, "sample_interval");
    assert!(
        ok(&minimal_plus("sample_interval: 1500ms\n"))
            .sample_interval
            .micros()
            == 1_500_000
    );
}
