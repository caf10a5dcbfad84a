//! Unit tests of section checks: subnets, names, workloads, EC2, knobs, robustness.

use super::tests::*;
use super::*;

#[test]
fn bad_cidrs() {
    let cases = [
        (
            "10.0.0.1/16",
            "has host bits set",
            "did you mean 10.0.0.0/16?",
        ),
        ("10.0.0.0/30", "/30 is not allowed", "/16 to /28"),
        ("10.0.0.0/8", "/8 is not allowed", "/16 to /28"),
        ("banana", "is not an IPv4 CIDR", "such as 192.168.1.0/24"),
        ("10.0.0.0/33", "is not an IPv4 CIDR", "such as"),
        ("10.0.0/16", "is not an IPv4 CIDR", "such as"),
    ];
    for (cidr, phrase, allowed) in cases {
        let d = one_error(&MINIMAL.replace("10.0.0.0/16", cidr));
        check(&d, "subnets[0].cidr", Some((4, 5)), phrase);
        assert!(d.message.contains(allowed), "{d:?}");
    }
}

#[test]
fn overlapping_subnets() {
    let text = MINIMAL.replace(
            "    cidr: 10.0.0.0/16\n",
            "    cidr: 10.0.0.0/16\n  - name: b\n    cidr: 10.1.0.0/16\n  - name: c\n    cidr: 10.0.128.0/24\n",
        );
    let d = one_error(&text);
    check(
        &d,
        "subnets[2].cidr",
        Some((8, 5)),
        "10.0.128.0/24 overlaps 10.0.0.0/16 of subnet \"a\"",
    );
}

#[test]
fn unknown_instance_type_suggests_names() {
    let d = one_error(&MINIMAL.replace("t3.medium", "m5.huge"));
    check(
        &d,
        "nodegroups[0].instance_type",
        Some((7, 5)),
        "unknown instance type \"m5.huge\"; did you mean ",
    );
    let suggested = catalog::suggest_near("m5.huge");
    assert!(!suggested.is_empty());
    assert!(
        d.message.ends_with(&format!("{}?", suggested.join(", "))),
        "{d:?}"
    );
}

#[test]
fn unknown_subnet_reference_lists_known_names() {
    let d = one_error(&MINIMAL.replace("subnet: a", "subnet: b"));
    check(
        &d,
        "nodegroups[0].subnet",
        Some((9, 5)),
        "unknown subnet \"b\"; known subnets: a",
    );
    let d = one_error(
        "duration: 1m\nnodegroups:\n  - {name: n, instance_type: t3.small, count: 1, subnet: x}\n",
    );
    check(&d, "subnets", Some((1, 1)), "need at least one subnet");
}

#[test]
fn negative_and_huge_counts() {
    let d = one_error(&MINIMAL.replace("count: 2", "count: -3"));
    check(
        &d,
        "nodegroups[0].count",
        Some((8, 5)),
        "-3 is negative; a node count must be 0 or more",
    );
    let d = one_error(&MINIMAL.replace("count: 2", "count: 99999999999"));
    check(&d, "nodegroups[0].count", Some((8, 5)), "too large");
    let d = one_error(&MINIMAL.replace("count: 2", "count: 2\n    max_pods: 0"));
    check(
        &d,
        "nodegroups[0].max_pods",
        Some((9, 5)),
        "must be 1 or more",
    );
    let d = one_error(&MINIMAL.replace("duration: 1m", "duration: 1m\nseed: -1"));
    check(
        &d,
        "seed",
        Some((2, 1)),
        "must be from 0 to 18446744073709551615",
    );
}

#[test]
fn steps_out_of_order() {
    let text = minimal_plus(
            "workloads:\n  - name: web\n    steps:\n      - at: 10m\n        replicas: 1\n      - at: 5m\n        replicas: 2\n      - at: 5m\n        replicas: 3\n",
        );
    let problems = errors(&text);
    assert_eq!(problems.len(), 2, "{problems:#?}");
    check(
        &problems[0],
        "workloads[0].steps[1].at",
        Some((15, 9)),
        "step at 5m comes before the previous step at 10m; steps must be in increasing time order",
    );
    check(
        &problems[1],
        "workloads[0].steps[2].at",
        Some((17, 9)),
        "step at 5m is at the same time as the previous step at 5m",
    );
}

#[test]
fn replicas_and_steps_rules() {
    let both = minimal_plus(
        "workloads:\n  - name: w\n    replicas: 1\n    steps: [{at: 0s, replicas: 1}]\n",
    );
    check(
        &one_error(&both),
        "workloads[0]",
        Some((11, 3)),
        "has both `replicas` and `steps`; use exactly one",
    );
    let neither = minimal_plus("workloads:\n  - name: w\n");
    check(
        &one_error(&neither),
        "workloads[0]",
        Some((11, 3)),
        "needs `replicas`",
    );
    let at_alone = minimal_plus(
        "workloads:\n  - name: w\n    at: 5s\n    steps:\n      - {at: 0s, replicas: 1}\n",
    );
    check(
        &one_error(&at_alone),
        "workloads[0].at",
        Some((12, 5)),
        "`at` only goes with `replicas`",
    );
    let empty = minimal_plus("workloads:\n  - name: w\n    steps: []\n");
    check(
        &one_error(&empty),
        "workloads[0].steps",
        Some((12, 5)),
        "at least one",
    );
}

#[test]
fn duplicate_and_malformed_names() {
    let text = MINIMAL.replace(
            "nodegroups:\n",
            "  - name: a\n    cidr: 10.1.0.0/16\nnodegroups:\n  - {name: ng, instance_type: t3.small, count: 1, subnet: a}\n",
        );
    let problems = errors(&text);
    assert_eq!(problems.len(), 2, "{problems:#?}");
    check(
        &problems[0],
        "subnets[1].name",
        Some((5, 5)),
        "duplicate subnet name \"a\" (also used at subnets[0].name)",
    );
    check(
        &problems[1],
        "nodegroups[1].name",
        Some((9, 5)),
        "duplicate nodegroup name \"ng\"",
    );
    let d = one_error(&MINIMAL.replace("name: ng", "name: Node_Group"));
    check(
        &d,
        "nodegroups[0].name",
        Some((6, 5)),
        "only lowercase letters, digits and '-'",
    );
    let d = one_error(&minimal_plus("daemonsets:\n  - name: x\n  - name: x\n"));
    check(
        &d,
        "daemonsets[1].name",
        Some((12, 5)),
        "duplicate daemonset name",
    );
    let d = one_error(&minimal_plus(
        "workloads:\n  - {name: w, replicas: 1}\n  - {name: w, replicas: 1}\n",
    ));
    check(
        &d,
        "workloads[1].name",
        Some((12, 6)),
        "duplicate workload name \"w\"",
    );
}

#[test]
fn ec2_latency_errors() {
    let d = one_error(&minimal_plus(
        "ec2:\n  latency:\n    CreateNetworkInterfaces: 1s\n",
    ));
    check(
        &d,
        "ec2.latency",
        Some((12, 5)),
        "unknown EC2 action \"CreateNetworkInterfaces\" (did you mean \"CreateNetworkInterface\"?)",
    );
    assert!(d
        .message
        .contains("allowed: default, AssignPrivateIpAddresses"));
    let d = one_error(&minimal_plus(
        "ec2:\n  latency:\n    AttachNetworkInterface: {min: 900ms, max: 300ms}\n",
    ));
    check(
        &d,
        "ec2.latency.AttachNetworkInterface",
        Some((12, 5)),
        "min 900ms is greater than max 300ms",
    );
    let d = one_error(&minimal_plus("ec2:\n  imds_delay: {min: 1s}\n"));
    check(&d, "ec2.imds_delay", Some((11, 3)), "{exponential: 300ms}");
    let d = one_error(&minimal_plus("ec2:\n  imds_delay: [1s]\n"));
    check(
        &d,
        "ec2.imds_delay",
        Some((11, 3)),
        "found a list; a latency is a duration",
    );
    let d = one_error(&minimal_plus("ec2:\n  imds_delay:\n    mean: 1s\n"));
    check(&d, "ec2.imds_delay", Some((12, 5)), "unknown key \"mean\"");
    assert!(
        d.message.ends_with("allowed: min, max, exponential"),
        "{d:?}"
    );
}

#[test]
fn other_section_errors() {
    let text = minimal_plus(
            "kubelet:\n  retry_interval: 0s\n  retry_jitter: 11\nipamd:\n  placement: sorted\nscheduler:\n  policy: 3\n",
        );
    let problems = errors(&text);
    assert_eq!(problems.len(), 4, "{problems:#?}");
    check(
        &problems[0],
        "kubelet.retry_interval",
        Some((11, 3)),
        "must be longer than 0",
    );
    check(
        &problems[1],
        "kubelet.retry_jitter",
        Some((12, 3)),
        "from 0 to 10",
    );
    check(
        &problems[2],
        "ipamd.placement",
        Some((14, 3)),
        "unknown value \"sorted\"; allowed: random, canonical",
    );
    check(
        &problems[3],
        "scheduler.policy",
        Some((16, 3)),
        "allowed: least-allocated, most-allocated",
    );
}

#[test]
fn prefix_delegation_and_custom_networking_set_default_max_pods() {
    // t3.medium with prefix delegation: calculator 3·5·16+2 = 242, capped at 110.
    let sc = ok(&minimal_plus(
        "cni:\n  ENABLE_PREFIX_DELEGATION: \"true\"\n",
    ));
    assert!(sc.cni.enable_prefix_delegation);
    assert_eq!(sc.nodegroups[0].max_pods, 110);
    // Custom networking needs an ENIConfig for the nodes' AZ ("default" here).
    let d = one_error(&minimal_plus(
        "cni:\n  AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG: true\n",
    ));
    assert_eq!(d.path, "nodegroups[0]");
    assert!(d.message.contains("no ENIConfig lists"), "{}", d.message);
    let sc = ok(&minimal_plus(
            "cni:\n  AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG: true\neniconfigs:\n  - {az: default, subnet: a}\n",
        ));
    // t3.medium with custom networking: (3 − 1) × 5 + 2 = 12
    assert_eq!(sc.nodegroups[0].max_pods, 12);
    assert_eq!(
        sc.eniconfigs,
        vec![EniConfigSpec {
            az: "default".into(),
            subnet: 0
        }]
    );
}

#[test]
fn subnet_extensions_parse_and_are_checked() {
    let base = "duration: 1m
subnets:
  - name: a
    cidr: 10.0.0.0/24
    az: us-east-1a
    role_cni: true
    used: 20
    reservations: [10.0.0.128/26]
  - name: b
    cidr: 10.0.1.0/24
    az: us-east-1a
    used: [10.0.1.16-10.0.1.40, 10.0.1.64/28, 10.0.1.200]
nodegroups:
  - {name: ng, instance_type: m5.large, count: 2, subnets: [a, b]}
";
    // path, a location, and a phrase
    let located = |d: &Diagnostic, path: &str, _: Option<()>, phrase: &str| {
        assert_eq!(d.path, path, "{d:?}");
        assert!(d.location.is_some(), "{d:?}");
        assert!(d.message.contains(phrase), "{d:?}");
    };
    let sc = ok(base);
    assert_eq!(sc.subnets[0].az, "us-east-1a");
    assert_eq!(sc.subnets[0].role_cni, Some(true));
    assert_eq!(sc.subnets[0].used, UsedSpec::Count(20));
    assert_eq!(sc.subnets[0].reservations[0].to_string(), "10.0.0.128/26");
    let ip = |s: &str| u32::from(s.parse::<Ipv4Addr>().unwrap());
    assert_eq!(
        sc.subnets[1].used,
        UsedSpec::Ranges(vec![
            (ip("10.0.1.16"), ip("10.0.1.40")),
            (ip("10.0.1.64"), ip("10.0.1.79")),
            (ip("10.0.1.200"), ip("10.0.1.200"))
        ])
    );
    assert_eq!(sc.nodegroups[0].subnets, vec![0, 1]);

    // reservation outside the subnet
    let d = one_error(&base.replace(
        "reservations: [10.0.0.128/26]",
        "reservations: [10.0.9.0/26]",
    ));
    located(
        &d,
        "subnets[0].reservations[0]",
        None,
        "lies outside the subnet 10.0.0.0/24",
    );
    // a reservation smaller than a prefix
    let d = one_error(&base.replace(
        "reservations: [10.0.0.128/26]",
        "reservations: [10.0.0.128/29]",
    ));
    located(&d, "subnets[0].reservations[0]", None, "smaller than a /28");
    // used larger than the subnet: 256 − 5 − 64 reserved = 187 usable
    let d = one_error(&base.replace("used: 20", "used: 200"));
    located(&d, "subnets[0].used", None, "187 usable addresses");
    // a used range outside the subnet
    let d = one_error(&base.replace("10.0.1.200]", "10.0.2.200]"));
    located(&d, "subnets[1].used[2]", None, "outside the subnet");
    // subnet and subnets together
    let d = one_error(&base.replace("subnets: [a, b]}", "subnet: a, subnets: [a, b]}"));
    located(&d, "nodegroups[0]", None, "both `subnet` and `subnets`");
    // an ENIConfig whose subnet is in another AZ
    let cn = base.replace("az: us-east-1a\n    used: [", "az: us-east-1b\n    used: [")
            + "cni:\n  AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG: true\neniconfigs:\n  - {az: us-east-1a, subnet: b}\n";
    let errs = errors(&cn);
    assert!(
        errs.iter()
            .any(|d| d.path == "eniconfigs[0].subnet"
                && d.message.contains("is in AZ \"us-east-1b\"")),
        "{errs:?}"
    );
    // nodes in us-east-1b (subnet b) have no ENIConfig
    assert!(
        errs.iter()
            .any(|d| d.path == "nodegroups[0]" && d.message.contains("us-east-1b")),
        "{errs:?}"
    );
}

#[test]
fn reports_every_problem_in_file_order() {
    let text = "\
duration: 10m
subnets:
  - name: a
    cidr: 10.0.0.0/16
nodegroups:
  - name: ng1
    instance_type: t3.medium
    count: 1
    subnet: a
    colour: blue
  - name: ng2
    instance_type: t3.small
    count: 1
    subnet: a
  - name: ng3
    instance_type: m5.huge
    count: 1
    subnet: a
workloads:
  - name: ok
    replicas: 1
  - name: web
    steps:
      - {at: soon, replicas: 10}
";
    let problems = errors(text);
    assert_eq!(problems.len(), 3, "{problems:#?}");
    check(
        &problems[0],
        "nodegroups[0]",
        Some((10, 5)),
        "unknown key \"colour\"",
    );
    check(
        &problems[1],
        "nodegroups[2].instance_type",
        Some((16, 5)),
        "unknown instance type",
    );
    check(
        &problems[2],
        "workloads[1].steps[0].at",
        Some((24, 10)),
        "\"soon\" is not a duration",
    );
    let shown = parse(text, "s.yaml")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        shown.starts_with("s.yaml:10:5: nodegroups[0]: unknown key"),
        "{shown}"
    );
    assert_eq!(shown.lines().count(), 3);
}

#[test]
fn several_problems_inside_one_entry() {
    let d = errors(&MINIMAL.replace("count: 2", "count: -1\n    max_pods: x\n    zone: a"));
    let paths: Vec<&str> = d.iter().map(|d| d.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "nodegroups[0].count",
            "nodegroups[0].max_pods",
            "nodegroups[0]"
        ]
    );
}

#[test]
fn missing_required_keys_point_at_the_entry() {
    let d = one_error(&MINIMAL.replace("    count: 2\n", ""));
    check(
        &d,
        "nodegroups[0].count",
        Some((6, 3)),
        "required key is missing",
    );
}

#[test]
fn locator_handles_same_indent_lists_and_flow_lists() {
    let text = "duration: 1m\nsubnets:\n- name: a\n  cidr: 10.0.0.0/16\nnodegroups: [{name: n, instance_type: t9.nano, count: 1, subnet: a}]\n";
    let d = one_error(text);
    check(
        &d,
        "nodegroups[0].instance_type",
        Some((5, 24)),
        "unknown instance type",
    );
    let d = one_error("duration: 1m\nsubnets:\n- name: a\n  cidr: 10.0.0.1/16\n");
    check(&d, "subnets[0].cidr", Some((4, 3)), "host bits");
}

#[test]
fn raw_key_lists_match_the_structs() {
    fn accepts_all<'a, T: RawMapping<'a> + std::fmt::Debug>(node: &'a Node) {
        // Every listed key is taken, each into its own field; any other key is refused.
        let mut raw = T::default();
        let empty = format!("{raw:?}");
        let mut before = empty.clone();
        for k in T::KEYS {
            assert!(raw.set(k, node), "{k}");
            let after = format!("{raw:?}");
            assert_ne!(after, before, "{k} sets a field of its own");
            before = after;
        }
        assert!(!raw.set("surely_unknown", node));
        assert_eq!(format!("{raw:?}"), before);
    }
    let node = Node::new(Kind::Null, Mark::default());
    accepts_all::<RawScenario>(&node);
    accepts_all::<RawCni>(&node);
    accepts_all::<RawSubnet>(&node);
    accepts_all::<RawNodeGroup>(&node);
    accepts_all::<RawDaemonSet>(&node);
    accepts_all::<RawWorkload>(&node);
    accepts_all::<RawStep>(&node);
    accepts_all::<RawEc2>(&node);
    accepts_all::<RawLatencyDistribution>(&node);
    accepts_all::<RawKubelet>(&node);
    accepts_all::<RawIpamd>(&node);
    accepts_all::<RawScheduler>(&node);
    accepts_all::<raw::RawArrivals>(&node);
    accepts_all::<raw::RawLogNormal>(&node);
}

#[test]
fn load_reports_unreadable_files() {
    let missing = Path::new("/nonexistent/dir/scenario.yaml");
    let e = load(missing).err().map(|e| e.problems).unwrap_or_default();
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].message, "cannot read file: No such file or directory");

    let path = std::env::temp_dir().join(format!("ipamsim-load-{}.yaml", std::process::id()));
    std::fs::write(&path, MINIMAL).unwrap_or_else(|e| panic!("{e}"));
    let loaded = load(&path);
    let _ = std::fs::remove_file(&path);
    assert_eq!(
        loaded.map(|s| s.duration).ok(),
        Some(SimDuration::from_secs(60))
    );
}

#[test]
fn odd_inputs_never_panic() {
    let odd = [
        "",
        "~",
        "---",
        "- 1",
        "duration: 5",
        "duration: [1]",
        "duration: {a: 1}",
        "duration: 1m\nseed: 1e400",
        "duration: 1m\nseed: 99999999999999999999",
        "duration: 1m\ncni: [1]",
        "duration: 1m\ncni:\n  MAX_ENI: 99999999999999999999",
        "duration: 1m\ncni:\n  WARM_IP_TARGET: \"99999999999999999999\"",
        "duration: 99999999999999h",
        "duration: 1m\nworkloads: [[1]]",
        "duration: 1m\n1: 2\n",
        "duration: 1m\nec2:\n  latency:\n    1: 1s\n",
        "duration: 1m\nec2:\n  latency: [1]\n",
        "duration: 1m\nsubnets: [{cidr: 1.2.3.4/x}]",
        "a: &x [1]\nb: *x\n",
        "duration: 1m\n<<: {seed: 3}\n",
        "!tag {}\n",
        "duration: 1m\nkubelet: {retry_jitter: .nan}",
        "\u{feff}duration: 1m",
        "duration: 1m\nnodegroups:\n  -\n  - \n",
        "duration: é\n  ü: 1",
    ];
    for text in odd {
        let _ = parse(text, "odd.yaml");
    }
}

#[test]
fn mangled_examples_never_panic() {
    for base in [FULL, MINIMAL] {
        for cut in (0..base.len()).step_by(7) {
            if let Some(head) = base.get(..cut) {
                let _ = parse(head, "cut.yaml");
            }
            // Drop one byte, which breaks indentation, keys and values in turn.
            let dropped: String = base
                .char_indices()
                .filter(|(i, _)| *i != cut)
                .map(|(_, c)| c)
                .collect();
            let _ = parse(&dropped, "dropped.yaml");
        }
    }
    // Every line deleted in turn, and indentation shifted.
    let lines: Vec<&str> = FULL.lines().collect();
    for skip in 0..lines.len() {
        let text: Vec<&str> = lines
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != skip)
            .map(|(_, l)| *l)
            .collect();
        let _ = parse(&text.join("\n"), "lines.yaml");
        let shifted: Vec<String> = lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                if i == skip {
                    format!(" {l}")
                } else {
                    l.to_string()
                }
            })
            .collect();
        let _ = parse(&shifted.join("\n"), "shifted.yaml");
    }
}
