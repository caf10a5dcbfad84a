//! Scenario input: the `Source` API and `--set` overrides, warnings, the aws-node env as
//! users have it (env lists, `cni_from` manifests), and robustness against hostile input
//! (limits, odd YAML, control characters). Every rejection is a located diagnostic that
//! states the limit.

use ipamsim::scenario::{
    self, normalize_cni_value, Diagnostic, LoadOptions, Scenario, ScenarioErrors, Source,
};
use std::path::Path;
use std::time::{Duration, Instant};

/// A small valid scenario; line numbers are used below (`count` is on line 8).
const BASE: &str = "\
duration: 10m
subnets:
  - name: a
    cidr: 10.0.0.0/16
nodegroups:
  - name: ng
    instance_type: m5.large
    count: 2
    subnet: a
cni:
  WARM_IP_TARGET: 2
";

fn source(text: &str) -> Source {
    Source::from_text(text, "s.yaml", Path::new(""))
        .unwrap_or_else(|e| panic!("does not parse:\n{e}"))
}

fn ok(text: &str) -> Scenario {
    source(text)
        .scenario(&LoadOptions::default())
        .unwrap_or_else(|e| panic!("invalid:\n{e}"))
}

fn problems(r: Result<Scenario, ScenarioErrors>) -> Vec<Diagnostic> {
    match r {
        Ok(_) => panic!("expected problems"),
        Err(e) => e.problems,
    }
}

fn set(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Asserts that `f` finishes within a generous bound (release builds take milliseconds).
fn fast<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    let took = start.elapsed();
    assert!(took < Duration::from_secs(2), "{what} took {took:?}");
    out
}

// ----- Source and overrides -----

#[test]
fn source_keeps_text_and_hash() {
    let s = source(BASE);
    assert_eq!(s.text, BASE);
    assert_eq!(s.file, "s.yaml");
    assert_eq!(s.sha256.len(), 64);
    // SHA-256 of the empty string, a known value.
    let empty = source("");
    assert_eq!(
        empty.sha256,
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_ne!(s.sha256, empty.sha256);
}

#[test]
fn overrides_set_cni_and_dotted_keys() {
    let s = source(BASE);
    let opts = LoadOptions::default();
    let sc = s
        .with_overrides(
            &set(&[
                ("WARM_IP_TARGET", "5"),
                ("MINIMUM_IP_TARGET", "+07"),
                ("kubelet.retry_interval", "2s"),
                ("nodegroups[0].count", "7"),
            ]),
            &opts,
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(sc.cni.warm_ip_target, 5);
    assert_eq!(sc.cni.minimum_ip_target, 7);
    assert_eq!(sc.kubelet.retry_interval.micros(), 2_000_000);
    assert_eq!(sc.nodegroups[0].count, 7);
    // The file itself is unchanged by an override.
    assert_eq!(
        s.scenario(&opts).map(|s| s.cni.warm_ip_target).ok(),
        Some(2)
    );
}

#[test]
fn a_bad_override_is_named_and_file_problems_keep_their_place() {
    let text = BASE.replace("count: 2", "count: -2");
    let s = source(&text);
    let ds =
        problems(s.with_overrides(&set(&[("WARM_IP_TARGET", "abc")]), &LoadOptions::default()));
    assert_eq!(ds.len(), 2, "{ds:#?}");
    assert_eq!(ds[0].path, "nodegroups[0].count");
    assert_eq!(ds[0].location, Some((8, 5)));
    assert_eq!(ds[1].path, "cni.WARM_IP_TARGET");
    assert_eq!(ds[1].location, None);
    assert!(
        ds[1].message.contains("\"abc\" is not an integer")
            && ds[1].message.ends_with("(from --set WARM_IP_TARGET=abc)"),
        "{}",
        ds[1].message
    );
    // A misspelt name: unknown key, with the hint and the override named.
    let ds = problems(
        source(BASE).with_overrides(&set(&[("WARM_IP_TARGE", "1")]), &LoadOptions::default()),
    );
    assert_eq!(ds.len(), 1);
    assert!(ds[0]
        .message
        .contains("unknown key \"WARM_IP_TARGE\" (did you mean \"WARM_IP_TARGET\"?)"));
    assert!(ds[0].message.ends_with("(from --set WARM_IP_TARGE=1)"));
    // A path through a value that is not a mapping.
    let ds = problems(
        source(BASE).with_overrides(&set(&[("duration.x", "1")]), &LoadOptions::default()),
    );
    assert!(
        ds[0]
            .message
            .contains("duration is a string, not a mapping"),
        "{}",
        ds[0].message
    );
}

#[test]
fn overrides_ignore_the_sweep() {
    let text = format!("{BASE}sweep:\n  WARM_IP_TARGET: [0, 5]\n");
    let s = source(&text);
    let opts = LoadOptions::default();
    assert_eq!(s.scenario(&opts).map(|s| s.sweep.len()).ok(), Some(1));
    let sc = s
        .with_overrides(&set(&[("WARM_IP_TARGET", "5")]), &opts)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(sc.sweep.is_empty());
}

/// Overrides on the tree set exactly the swept CNI values and leave everything else as
/// the base scenario has it (the scale-out sweep: WARM_IP_TARGET × prefix delegation).
#[test]
fn overrides_set_the_swept_values_and_nothing_else() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/scale-out.yaml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
    let file = path.display().to_string();
    let s = Source::from_text(&text, &file, path.parent().unwrap_or(Path::new("")))
        .unwrap_or_else(|e| panic!("{e}"));
    let base = s
        .scenario(&LoadOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let sets: Vec<_> = ["WARM_IP_TARGET=0,3", "ENABLE_PREFIX_DELEGATION=false,true"]
        .iter()
        .map(|s| ipamsim::compare::parse_set(s).unwrap_or_else(|e| panic!("{e}")))
        .collect();
    let axes = ipamsim::compare::axes(&base.sweep, &sets);
    let combos = ipamsim::compare::combinations(&axes);
    // 2 × 2 from the flags, times whatever the file sweeps itself.
    assert!(combos.len() >= 4, "{combos:?}");
    for setting in combos {
        let ours = s
            .with_overrides(&setting, &LoadOptions::default())
            .unwrap_or_else(|e| panic!("{e}"));
        let mut expected = base.cni.clone();
        for (k, v) in &setting {
            match k.as_str() {
                "WARM_IP_TARGET" => expected.warm_ip_target = v.parse().unwrap_or(0),
                "ENABLE_PREFIX_DELEGATION" => expected.enable_prefix_delegation = v == "true",
                "WARM_ENI_TARGET" => expected.warm_eni_target = v.parse().unwrap_or(1),
                "MINIMUM_IP_TARGET" => expected.minimum_ip_target = v.parse().unwrap_or(0),
                "WARM_PREFIX_TARGET" => expected.warm_prefix_target = v.parse().unwrap_or(1),
                other => panic!("the shipped sweep gained {other}: extend this test"),
            }
        }
        assert_eq!(ours.cni, expected, "{setting:?}");
        assert!(ours.sweep.is_empty());
        assert_eq!(
            format!("{:?}", ours.workloads),
            format!("{:?}", base.workloads)
        );
        // The nodegroups are the base's, except that a default max_pods follows the mode
        // (m5.large: 29 from eni-max-pods.txt, 110 from the calculator under prefix
        // delegation), as it does when the file itself sets the value.
        let mut groups = base.nodegroups.clone();
        for g in &mut groups {
            g.max_pods = g.instance_type.kubelet_max_pods(
                expected.enable_prefix_delegation,
                expected.custom_network_cfg,
            );
        }
        assert_eq!(format!("{:?}", ours.nodegroups), format!("{groups:?}"));
    }
}

#[test]
fn cni_values_normalize() {
    for (key, value, canonical) in [
        ("WARM_IP_TARGET", "01", "1"),
        ("WARM_IP_TARGET", "+4", "4"),
        ("WARM_IP_TARGET", "-0", "0"),
        ("MAX_ENI", "-1", "-1"),
        ("ENABLE_PREFIX_DELEGATION", "1", "true"),
        ("ENABLE_PREFIX_DELEGATION", "True", "true"),
        ("ENABLE_PREFIX_DELEGATION", "f", "false"),
    ] {
        assert_eq!(
            normalize_cni_value(key, value).as_deref(),
            Ok(canonical),
            "{key}={value}"
        );
    }
    assert!(normalize_cni_value("WARM_IP_TARGET", "1.0").is_err());
    assert!(normalize_cni_value("ENABLE_PREFIX_DELEGATION", "yes").is_err());
    assert!(normalize_cni_value("NO_SUCH_SETTING", "1").is_err());
}

#[test]
fn load_and_parse_take_options() {
    let dir = std::env::temp_dir().join(format!("ipamsim-input-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let path = dir.join("base.yaml");
    std::fs::write(&path, BASE).unwrap_or_else(|e| panic!("{e}"));
    let opts = LoadOptions { allow_large: true };
    let loaded = scenario::load_with(&path, &opts).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(loaded.name, "base");
    assert_eq!(loaded.file, path.display().to_string());
    let parsed =
        scenario::parse_with(BASE, "x.yaml", &dir, &opts).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(parsed.cni, loaded.cni);
    let _ = std::fs::remove_dir_all(&dir);
    let _ = ok(BASE);
    fast("nothing", || ());
}

// ----- warnings -----

/// BASE without its `cni:` block (which starts on line 10), plus `cni`.
fn with_cni(cni: &str) -> String {
    let head = BASE.split("cni:\n").next().unwrap_or_default();
    format!("{head}cni:\n{cni}")
}

#[test]
fn minimum_ip_target_alone_warns_at_its_key() {
    let sc = ok(&with_cni("  WARM_ENI_TARGET: 1\n  MINIMUM_IP_TARGET: 10\n"));
    assert_eq!(sc.warnings.len(), 1, "{:#?}", sc.warnings);
    let w = &sc.warnings[0];
    assert_eq!(w.path, "cni.MINIMUM_IP_TARGET");
    assert_eq!(w.location, Some((12, 3)));
    assert!(w
        .message
        .contains("once a node holds 10 IPs its pool never grows again"));
    assert!(w.message.contains("C40") && w.message.contains("ipamd.go:2198-2201"));
    let line = &sc.warning_lines()[0];
    assert!(
        line.starts_with("s.yaml:12:3: warning: cni.MINIMUM_IP_TARGET: MINIMUM_IP_TARGET is 10"),
        "{line}"
    );
    // With WARM_IP_TARGET as well, the pool keeps growing: no warning.
    assert!(
        ok(&with_cni("  WARM_IP_TARGET: 1\n  MINIMUM_IP_TARGET: 10\n"))
            .warnings
            .is_empty()
    );
}

#[test]
fn warm_eni_target_zero_warns_of_oscillation() {
    let sc = ok(&with_cni("  WARM_ENI_TARGET: \"0\"\n"));
    assert_eq!(sc.warnings.len(), 1, "{:#?}", sc.warnings);
    assert_eq!(sc.warnings[0].location, Some((11, 3)));
    assert!(
        sc.warnings[0].message.contains("oscillates") && sc.warnings[0].message.contains("C41")
    );
    // In prefix mode WARM_ENI_TARGET is not used: no warning.
    let pd = ok(&with_cni(
        "  WARM_ENI_TARGET: 0\n  ENABLE_PREFIX_DELEGATION: true\n",
    ));
    assert!(pd.warnings.is_empty(), "{:#?}", pd.warnings);
}

#[test]
fn warm_prefix_target_zero_in_pd_is_unsupported_upstream() {
    let sc = ok(&with_cni(
        "  ENABLE_PREFIX_DELEGATION: \"true\"\n  WARM_PREFIX_TARGET: 0\n",
    ));
    assert_eq!(sc.warnings.len(), 1, "{:#?}", sc.warnings);
    assert_eq!(sc.warnings[0].path, "cni.WARM_PREFIX_TARGET");
    assert_eq!(sc.warnings[0].location, Some((12, 3)));
    assert!(sc.warnings[0].message.contains("refuses to start"));
    assert!(sc.warnings[0].message.contains("validateEnvVars"));
    // A warm-IP target makes it a supported setting.
    assert!(ok(&with_cni(
        "  ENABLE_PREFIX_DELEGATION: true\n  WARM_PREFIX_TARGET: 0\n  WARM_IP_TARGET: 4\n"
    ))
    .warnings
    .is_empty());
    assert!(ok(BASE).warnings.is_empty());
}

#[test]
fn huge_and_overflowing_cni_integers() {
    // Fits i64: accepted, capped for the model, with a warning.
    let sc = ok(&with_cni("  WARM_IP_TARGET: \"9223372036854775807\"\n"));
    assert_eq!(sc.cni.warm_ip_target, u32::MAX);
    assert!(sc.warnings[0].message.contains("caps it at 4294967295"));
    // Beyond i64: an error, as Atoi fails.
    let ds = problems(
        source(&with_cni("  WARM_IP_TARGET: \"9223372036854775808\"\n"))
            .scenario(&LoadOptions::default()),
    );
    assert!(ds[0].message.contains("out of range"), "{}", ds[0].message);
    // IP_COOLDOWN_PERIOD: 9,223,372,036 s fits Go's time.Duration; one more overflows.
    let sc = ok(&with_cni("  IP_COOLDOWN_PERIOD: 9223372036\n"));
    assert_eq!(sc.cni.ip_cooldown_period_s, 9_223_372_036);
    let ds = problems(
        source(&with_cni("  IP_COOLDOWN_PERIOD: 9223372037\n")).scenario(&LoadOptions::default()),
    );
    assert_eq!(ds[0].location, Some((11, 3)));
    assert!(
        ds[0].message.contains("overflows above 9223372036 s"),
        "{}",
        ds[0].message
    );
}

// ----- the aws-node env as users have it -----

fn fixtures() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/aws-node")
}

#[test]
fn cni_as_a_mapping_and_as_an_env_list_are_the_same_scenario() {
    let mapping = with_cni(
        "  WARM_IP_TARGET: \"5\"\n  ENABLE_PREFIX_DELEGATION: \"true\"\n  ENABLE_IPv6: \"false\"\n  \
         POD_SECURITY_GROUP_ENFORCING_MODE: standard\n",
    );
    let list = with_cni(
        "  - name: WARM_IP_TARGET\n    value: \"5\"\n  - name: ENABLE_PREFIX_DELEGATION\n    \
         value: \"true\"\n  - name: MY_NODE_NAME\n    valueFrom:\n      fieldRef: {fieldPath: \
         spec.nodeName}\n  - {name: ENABLE_IPv6, value: \"false\"}\n  - name: \
         POD_SECURITY_GROUP_ENFORCING_MODE\n    value: standard\n",
    );
    let (a, b) = (ok(&mapping), ok(&list));
    assert_eq!(a.cni.warm_ip_target, 5);
    assert!(a.cni.enable_prefix_delegation);
    assert_eq!(format!("{a:?}"), format!("{b:?}"));
}

#[test]
fn env_list_problems_are_located() {
    let list = with_cni(
        "  - name: WARM_IP_TARGET\n    value: \"5\"\n  - name: WARM_IP_TARGET\n    value: \"6\"\n  \
         - {name: WARM_ENI_TARGET, valu: \"1\"}\n  - 7\n",
    );
    let ds = problems(source(&list).scenario(&LoadOptions::default()));
    assert_eq!(ds.len(), 3, "{ds:#?}");
    assert_eq!(ds[0].path, "cni[1].name");
    assert_eq!(ds[0].location, Some((13, 11)));
    assert!(ds[0]
        .message
        .contains("duplicate variable \"WARM_IP_TARGET\" (also at cni[0])"));
    assert_eq!(ds[1].location, Some((15, 29)));
    assert!(ds[1]
        .message
        .contains("unknown key \"valu\" in an env entry"));
    assert_eq!(ds[2].location, Some((16, 3)));
    assert!(ds[2].message.contains("expected an env entry"));
}

#[test]
fn cni_from_reads_the_aws_node_daemonset() {
    let dir = fixtures();
    let text = format!(
        "{}cni_from: aws-node-daemonset.yaml\n",
        BASE.split("cni:\n").next().unwrap_or_default()
    );
    let s = Source::from_text(&text, "s.yaml", &dir).unwrap_or_else(|e| panic!("{e}"));
    let sc = s
        .scenario(&LoadOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    // The shipped values are the defaults.
    assert_eq!(sc.cni, scenario::CniConfig::default());
    // One warning per ignored variable, each naming it, placed at `cni_from` (line 10) with
    // the manifest's own line and column in the message.
    let ignored: Vec<&str> = sc
        .warnings
        .iter()
        .map(|w| w.path.trim_start_matches("cni."))
        .collect();
    assert_eq!(
        ignored,
        [
            "ADDITIONAL_ENI_TAGS",
            "AWS_VPC_CNI_NODE_PORT_SUPPORT",
            "AWS_VPC_ENI_MTU",
            "AWS_VPC_K8S_CNI_EXTERNALSNAT",
            "AWS_VPC_K8S_CNI_LOGLEVEL",
            "AWS_VPC_K8S_CNI_LOG_FILE",
            "AWS_VPC_K8S_CNI_RANDOMIZESNAT",
            "AWS_VPC_K8S_CNI_VETHPREFIX",
            "AWS_VPC_K8S_PLUGIN_LOG_FILE",
            "AWS_VPC_K8S_PLUGIN_LOG_LEVEL",
            "DISABLE_INTROSPECTION",
            "DISABLE_METRICS",
            "DISABLE_NETWORK_RESOURCE_PROVISIONING",
            "ENABLE_IMDS_ONLY_MODE",
            "NETWORK_POLICY_ENFORCING_MODE",
            "VPC_CNI_VERSION",
        ]
    );
    for w in &sc.warnings {
        let name = w.path.trim_start_matches("cni.");
        assert_eq!(w.location, Some((10, 1)), "{w:?}");
        assert!(w.message.contains(name), "{w:?}");
        assert!(w.message.starts_with("aws-node-daemonset.yaml:"), "{w:?}");
    }
    // AWS_VPC_K8S_CNI_LOGLEVEL's name is on line 40, column 17 of the manifest.
    assert!(sc.warnings[4].message.starts_with(
        "aws-node-daemonset.yaml:40:17: AWS_VPC_K8S_CNI_LOGLEVEL is an aws-node v1.23.1 setting"
    ));
    assert!(sc.warnings[12].message.contains("does not model it yet"));

    // `--set cni_from=…` chooses the manifest.
    let base = format!(
        "{}cni_from: none.yaml\n",
        BASE.split("cni:\n").next().unwrap_or_default()
    );
    let s = Source::from_text(&base, "s.yaml", &dir).unwrap_or_else(|e| panic!("{e}"));
    let chosen = s
        .with_overrides(
            &set(&[("cni_from", "aws-node-daemonset.yaml")]),
            &LoadOptions::default(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(chosen.warnings.len(), 16);

    // `cni` entries override the manifest's.
    let text = format!("{text}cni:\n  WARM_ENI_TARGET: 0\n  WARM_IP_TARGET: 3\n");
    let s = Source::from_text(&text, "s.yaml", &dir).unwrap_or_else(|e| panic!("{e}"));
    let sc = s
        .scenario(&LoadOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((sc.cni.warm_eni_target, sc.cni.warm_ip_target), (0, 3));
}

#[test]
fn manifest_problems_are_located_in_the_manifest() {
    let dir = std::env::temp_dir().join(format!("ipamsim-manifest-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    // Several documents, the DaemonSet inside a List; a bad value on line 14.
    let manifest = "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: aws-node}\n---\n\
                    apiVersion: v1\nkind: List\nitems:\n- kind: DaemonSet\n  metadata: {name: aws-node}\n  \
                    spec:\n    template:\n      spec:\n        containers:\n        - {name: aws-node, env: [{name: WARM_IP_TARGET, value: abc}]}\n";
    std::fs::write(dir.join("m.yaml"), manifest).unwrap_or_else(|e| panic!("{e}"));
    let text = format!(
        "{}cni_from: m.yaml\n",
        BASE.split("cni:\n").next().unwrap_or_default()
    );
    let s = Source::from_text(&text, "s.yaml", &dir).unwrap_or_else(|e| panic!("{e}"));
    let ds = problems(s.scenario(&LoadOptions::default()));
    assert_eq!(ds.len(), 1, "{ds:#?}");
    assert_eq!(ds[0].path, "cni.WARM_IP_TARGET");
    assert_eq!(ds[0].location, Some((10, 1)));
    // Placed, as in a scenario file, at the variable's name: line 14, column 41.
    assert!(
        ds[0]
            .message
            .starts_with("m.yaml:14:41: \"abc\" is not an integer"),
        "{}",
        ds[0].message
    );
    // No aws-node container, a missing file, a syntax error.
    std::fs::write(dir.join("none.yaml"), "kind: DaemonSet\nmetadata: {name: kube-proxy}\nspec: {template: {spec: {containers: [{name: kube-proxy}]}}}\n").unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.join("broken.yaml"), "kind: DaemonSet\nspec: [\n")
        .unwrap_or_else(|e| panic!("{e}"));
    for (file, phrase) in [
        (
            "none.yaml",
            "no container named aws-node in the DaemonSet \"kube-proxy\"",
        ),
        ("missing.yaml", "cannot read file"),
        ("broken.yaml", "broken.yaml:3:1: cannot parse YAML"),
    ] {
        let text = format!(
            "{}cni_from: {file}\n",
            BASE.split("cni:\n").next().unwrap_or_default()
        );
        let s = Source::from_text(&text, "s.yaml", &dir).unwrap_or_else(|e| panic!("{e}"));
        let ds = problems(s.scenario(&LoadOptions::default()));
        assert_eq!(ds[0].path, "cni_from", "{ds:#?}");
        assert_eq!(ds[0].location, Some((10, 1)));
        assert!(ds[0].message.contains(phrase), "{file}: {}", ds[0].message);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn unknown_cni_names_stay_errors_with_a_hint() {
    let ds = problems(
        source(&with_cni("  AWS_VPC_K8S_CNI_LOGLEVL: DEBUG\n")).scenario(&LoadOptions::default()),
    );
    assert_eq!(ds.len(), 1);
    assert_eq!(ds[0].location, Some((11, 3)));
    assert!(ds[0].message.contains(
        "unknown key \"AWS_VPC_K8S_CNI_LOGLEVL\" (did you mean \"AWS_VPC_K8S_CNI_LOGLEVEL\"?)"
    ));
    let ds = problems(
        source(&with_cni("  POD_SECURITY_GROUP_ENFORCING_MODE: Strict\n"))
            .scenario(&LoadOptions::default()),
    );
    assert!(ds[0].message.contains("allowed: strict, standard"));
}

// ----- robustness: limits, located rejections, fast -----

/// The problems of `text`, computed within the time bound.
fn rejected(what: &str, text: &str) -> Vec<Diagnostic> {
    fast(what, || {
        match Source::from_text(text, "s.yaml", Path::new("")) {
            Ok(s) => problems(s.scenario(&LoadOptions::default())),
            Err(e) => e.problems,
        }
    })
}

/// The only problem of `text`.
fn one(what: &str, text: &str) -> Diagnostic {
    let mut ds = rejected(what, text);
    assert_eq!(ds.len(), 1, "{what}: {ds:#?}");
    ds.remove(0)
}

#[test]
fn huge_files_are_refused_after_64_mib() {
    // A regular (sparse) file one byte over the limit.
    let dir = std::env::temp_dir().join(format!("ipamsim-huge-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let huge = dir.join("huge.yaml");
    let file = std::fs::File::create(&huge).unwrap_or_else(|e| panic!("{e}"));
    file.set_len(64 * 1024 * 1024 + 1)
        .unwrap_or_else(|e| panic!("{e}"));
    let e = Source::read(&huge)
        .err()
        .unwrap_or_else(|| panic!("a 64 MiB + 1 file was read"));
    assert_eq!(e.problems.len(), 1);
    assert!(
        e.problems[0]
            .message
            .contains("larger than 64 MiB (67108864 bytes)"),
        "{}",
        e.problems[0].message
    );
    // The command line: exit code 2, the limit named.
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_ipamsim"))
        .arg("validate")
        .arg(&huge)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("64 MiB"));
    // A trace file is read with the same cap.
    let text = format!("duration: 1m\nworkloads:\n  - trace: {}\n", huge.display());
    let d = one("trace huge", &text);
    assert_eq!(
        (d.path.as_str(), d.location),
        ("workloads[0].trace", Some((3, 5)))
    );
    assert!(d.message.contains("larger than 64 MiB"), "{}", d.message);
    let _ = std::fs::remove_dir_all(&dir);
}

/// N3: a device is refused before it is read, for a scenario and a trace alike.
#[test]
fn devices_are_refused_as_not_regular_files() {
    if !Path::new("/dev/zero").exists() {
        return;
    }
    let e = fast("/dev/zero", || Source::read(Path::new("/dev/zero")))
        .err()
        .unwrap_or_else(|| panic!("/dev/zero was read"));
    assert!(
        e.problems[0].message.contains("not a regular file"),
        "{}",
        e.problems[0].message
    );
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_ipamsim"))
        .args(["validate", "/dev/zero"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a regular file"));
    let text = "duration: 1m\nworkloads:\n  - trace: /dev/zero\n";
    let d = one("trace /dev/zero", text);
    assert!(d.message.contains("not a regular file"), "{}", d.message);
}

#[test]
fn invalid_utf8_is_located() {
    let dir = std::env::temp_dir().join(format!("ipamsim-utf8-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let path = dir.join("bad.yaml");
    // Line 2, after "name: ab": byte 21 is 0xFF.
    std::fs::write(&path, b"duration: 1m\nname: ab\xffc\n").unwrap_or_else(|e| panic!("{e}"));
    let e = Source::read(&path).err().unwrap_or_else(|| panic!("read"));
    assert_eq!(e.problems[0].location, Some((2, 9)));
    assert!(e.problems[0].message.contains("invalid UTF-8 at byte 21"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn work_budget_rejections_state_the_limit() {
    let base = |extra: &str| BASE.replace("    count: 2\n", extra);
    // 60,000 nodes at t = 0.
    let d = one("nodes", &base("    count: 60000\n"));
    assert_eq!(
        (d.path.as_str(), d.location),
        ("nodegroups[0]", Some((6, 3)))
    );
    assert!(d.message.contains("reach 60,000 nodes") && d.message.contains("50,000"));
    assert!(d.message.contains("allow_large: true"));
    // Autoscaling max and launches count too: 2 + max 40,000 → 40,000; + 20,000 launched.
    let d = one(
        "autoscaled nodes",
        &base(
            "    count: 2\n    autoscaling: {max: 40000}\n    launch: [{at: 1m, count: 20000}]\n",
        ),
    );
    assert!(d.message.contains("reach 60,000 nodes"), "{}", d.message);
    // allow_large (key or option) lifts it; the hard u32 limit stays.
    let big = format!("allow_large: true\n{}", base("    count: 60000\n"));
    assert_eq!(ok(&big).nodegroups[0].count, 60_000);
    let opts = LoadOptions { allow_large: true };
    let lifted = source(&base("    count: 60000\n")).scenario(&opts);
    assert!(lifted.is_ok());
    let d = one(
        "u32",
        &format!("allow_large: true\n{}", base("    count: 5000000000\n")),
    );
    assert!(d.message.contains("at most 4294967295"), "{}", d.message);

    // Pods: 36,000,000 arrivals (1,000 every second for 10 hours).
    let text = BASE.replace("duration: 10m", "duration: 10h")
        + "workloads:\n  - name: burst\n    arrivals: {every: 1s, count: 1000}\n    lifetime: 1s\n";
    let d = one("pods", &text);
    assert_eq!(d.path, "workloads[0]");
    assert!(d.message.contains("about 36,000,000 pods") && d.message.contains("10,000,000"));
    let d = one(
        "replicas",
        &(BASE.to_string() + "workloads:\n  - {name: w, replicas: 20000000}\n"),
    );
    assert!(d.message.contains("20,000,000 pods"), "{}", d.message);

    // Sampling: 10,000 nodes for a day every second; the key is missing, so at `duration`.
    let text = base("    count: 10000\n").replace("duration: 10m", "duration: 24h");
    let d = one("samples", &text);
    assert_eq!((d.path.as_str(), d.location), ("duration", Some((1, 1))));
    // 86,400 + 2 samples × 10,001 = 864,106,402 rows
    assert!(
        d.message.contains("about 864,106,402 rows"),
        "{}",
        d.message
    );
    // The project's target, every 60 s, fits.
    assert_eq!(
        ok(&format!("sample_interval: 60s\n{text}")).nodegroups[0].count,
        10_000
    );

    // Duration, max_pods, intervals, sweep.
    let d = one("duration", &BASE.replace("duration: 10m", "duration: 800h"));
    assert!(
        d.message.contains("longer than 31 days (744h)"),
        "{}",
        d.message
    );
    let d = one("max_pods", &base("    count: 2\n    max_pods: 20000\n"));
    assert_eq!(d.path, "nodegroups[0].max_pods");
    assert!(d.message.contains("more than 10,000 pods per node"));
    let d = one(
        "sample interval",
        &format!("sample_interval: 500us\n{BASE}"),
    );
    assert_eq!(
        (d.path.as_str(), d.location),
        ("sample_interval", Some((1, 1)))
    );
    assert!(d.message.contains("shorter than 1ms"));
    let d = one(
        "retry",
        &format!("{BASE}kubelet: {{retry_interval: 1us}}\n"),
    );
    assert_eq!(d.path, "kubelet.retry_interval");
    let values: Vec<String> = (0..100).map(|i| i.to_string()).collect();
    let list = values.join(", ");
    let d = one(
        "sweep",
        &format!("{BASE}sweep:\n  WARM_IP_TARGET: [{list}]\n  MINIMUM_IP_TARGET: [{list}]\n  WARM_ENI_TARGET: [0, 1]\n"),
    );
    assert_eq!(d.path, "sweep");
    assert!(d.message.contains("20,000 combinations") && d.message.contains("10,000 runs"));
}

#[test]
fn names_are_bounded() {
    let long = "a".repeat(254);
    // The nodegroup's reference to it is reported too (the subnet has no valid name).
    let d = rejected(
        "subnet name",
        &BASE
            .replace("name: a\n", &format!("name: {long}\n"))
            .replace("subnet: a", &format!("subnet: {long}")),
    )
    .remove(0);
    assert_eq!(d.path, "subnets[0].name");
    assert!(
        d.message.contains("254 bytes long; at most 253"),
        "{}",
        d.message
    );
    let d = one(
        "nodegroup name",
        &BASE.replace("name: ng", &format!("name: {}", "n".repeat(64))),
    );
    assert!(
        d.message
            .contains("at most 63 are allowed, as for a DNS label"),
        "{}",
        d.message
    );
}

#[test]
fn absurd_churn_rates_give_the_smallest_allowed() {
    for rate in ["5e-324/s", "1e-310/s"] {
        let text = format!(
            "{BASE}workloads:\n  - name: j\n    arrivals: {{rate: {rate}}}\n    lifetime: 1m\n"
        );
        let d = one(rate, &text);
        assert_eq!(
            (d.path.as_str(), d.location),
            ("workloads[0].arrivals.rate", Some((14, 16)))
        );
        assert!(
            d.message.contains("smallest rate allowed is 3.171e-10/s"),
            "{}",
            d.message
        );
    }
}

#[test]
fn huge_inputs_get_no_expensive_hints() {
    let huge = "x".repeat(1 << 20);
    let d = one("instance type", &BASE.replace("m5.large", &huge));
    assert_eq!(d.path, "nodegroups[0].instance_type");
    assert!(!d.message.contains("did you mean"));
    assert!(
        d.message.len() < 300,
        "shortened: {} bytes",
        d.message.len()
    );
    // An explicit key (`? …`): YAML itself limits implicit keys to 1,024 characters.
    let d = one("key", &format!("{BASE}? {huge}\n: 1\n"));
    assert!(d.message.contains("(1048576 bytes)") && !d.message.contains("did you mean"));
}

#[test]
fn deep_nesting_is_refused_fast_with_a_place() {
    let flow = format!(
        "duration: 1m\nsubnets: {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let d = one("[[[", &flow);
    assert_eq!(d.location.map(|l| l.0), Some(2));
    assert!(d.message.contains("at most 64 levels"), "{}", d.message);
    let flow = format!("duration: 1m\nx: {}\n", "{a: ".repeat(50_000));
    let d = one("{{{", &flow);
    assert!(d.message.contains("nested"), "{}", d.message);
    let block = format!(
        "duration: 1m\nx:\n{}",
        (0..200)
            .map(|i| format!("{}k{i}:\n", " ".repeat(i + 1)))
            .collect::<String>()
    );
    let d = one("block", &block);
    // The 64th nested mapping opens at depth 65 (the root is level 1): line 2 + 63.
    assert_eq!(d.location.map(|l| l.0), Some(66));
    assert!(d.message.contains("more than 64 levels"), "{}", d.message);
}

#[test]
fn durations_take_each_unit_once_largest_first() {
    for (bad, phrase) in [
        ("10m10m", "uses \"m\" twice"),
        ("10s1m", "has \"m\" after \"s\""),
        (
            "99999999999999999999999h",
            "longer than 100 years (876000h)",
        ),
    ] {
        let d = one(
            bad,
            &BASE.replace("duration: 10m", &format!("duration: {bad}")),
        );
        assert_eq!((d.path.as_str(), d.location), ("duration", Some((1, 1))));
        assert!(d.message.contains(phrase), "{bad}: {}", d.message);
    }
}

#[test]
fn odd_yaml_is_located() {
    // A second document.
    let d = one("documents", &format!("{BASE}---\nduration: 1m\n"));
    assert_eq!(d.location, Some((12, 1)));
    assert!(d.message.contains("a second YAML document"));
    // Aliases and merge keys work; their problems point at the text they come from.
    let text = BASE.replace(
        "nodegroups:\n  - name: ng\n    instance_type: m5.large\n    count: 2\n    subnet: a\n",
        "defaults: &d {instance_type: m5.large, subnet: a, count: 2}\nnodegroups:\n  - name: ng\n    <<: *d\n",
    );
    let d = one("merge", &text);
    assert_eq!((d.path.as_str(), d.location), ("", Some((5, 1))));
    assert!(d.message.contains("unknown key \"defaults\""));
    let merged = BASE.replace(
        "  - name: ng\n    instance_type: m5.large\n    count: 2\n    subnet: a\n",
        "  - &ng {name: ng, instance_type: m5.large, count: 2, subnet: a}\n  - {<<: *ng, name: ng2, count: 3}\n",
    );
    let sc = ok(&merged);
    assert_eq!(sc.nodegroups.len(), 2);
    assert_eq!(
        (sc.nodegroups[1].name.as_str(), sc.nodegroups[1].count),
        ("ng2", 3)
    );
    let d = one("bad merge", &format!("{BASE}kubelet: {{<<: 5}}\n"));
    assert_eq!(d.location, Some((12, 11)));
    assert!(d.message.contains("a merge key `<<` takes a mapping"));
    // An alias bomb stops at the node limit, at the alias that crosses it.
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for (i, name) in ["b", "c", "d", "e", "f", "g"].iter().enumerate() {
        let prev = ["a", "b", "c", "d", "e", "f"][i];
        bomb += &format!(
            "{name}: &{name} [{}]\n",
            vec![format!("*{prev}"); 10].join(", ")
        );
    }
    let d = one("alias bomb", &bomb);
    assert_eq!(d.location.map(|l| l.0), Some(6));
    assert!(
        d.message.contains("more than 1000000 YAML values"),
        "{}",
        d.message
    );
    // Keys that are not text: a list, nothing.
    let ds = rejected("keys", &format!("{BASE}? [a, b]\n: 1\n~: 2\n"));
    assert_eq!(ds.len(), 2, "{ds:#?}");
    assert_eq!(ds[0].location, Some((12, 3)));
    assert!(ds[0]
        .message
        .contains("keys must be text; found a list key"));
    assert_eq!(ds[1].location, Some((14, 1)));
    assert!(
        ds[1].message.contains("found nothing key"),
        "{}",
        ds[1].message
    );
    // Unknown keys written quoted with escapes, or as `? key`.
    let d = one("quoted", &format!("{BASE}\"dur\\x61tion2\": 1\n"));
    assert_eq!(d.location, Some((12, 1)));
    assert!(d.message.contains("unknown key \"duration2\""));
    let d = one("complex", &format!("{BASE}? colour\n: blue\n"));
    assert_eq!(d.location, Some((12, 3)));
    assert!(d.message.contains("unknown key \"colour\""));
    // A duplicate key.
    let d = one("duplicate", &format!("{BASE}duration: 5m\n"));
    assert_eq!(d.location, Some((12, 1)));
    assert!(d
        .message
        .contains("duplicate key \"duration\" (first at line 1, column 1)"));
}

#[test]
fn control_characters_never_reach_the_terminal() {
    // An escape sequence in a key, a newline in a value.
    let text =
        format!("{BASE}\"\\e[31mred\": 1\nworkloads:\n  - name: \"a\\nb\"\n    replicas: 1\n");
    let e = fast("control", || {
        source(&text).scenario(&LoadOptions::default())
    })
    .err()
    .unwrap_or_else(|| panic!("valid"));
    let shown = e.to_string();
    assert_eq!(shown.lines().count(), 2, "{shown}");
    assert!(!shown.contains('\u{1b}'), "{shown:?}");
    assert!(shown.contains("\\u{1b}[31mred"), "{shown}");
    assert!(shown.contains("a\\nb"), "{shown}");
    // Warnings too.
    let sc = ok(&with_cni(
        "  MINIMUM_IP_TARGET: 1\n  \"AWS_VPC_K8S_CNI_LOGLEVEL\": \"x\"\n",
    ));
    assert!(sc.warning_lines().iter().all(|l| !l.contains('\n')));
}

#[test]
fn numbers_are_shown_as_written() {
    let d = one("2.0", &BASE.replace("count: 2", "count: 2.0"));
    assert_eq!(d.location, Some((8, 5)));
    assert!(
        d.message.contains("found 2.0, which is not a whole number"),
        "{}",
        d.message
    );
    let d = one("1e3", &with_cni("  WARM_IP_TARGET: 1e3\n"));
    assert!(d.message.contains("1e3 is not an integer"), "{}", d.message);
    let d = one(
        "big",
        &BASE.replace(
            "count: 2",
            "count: 123456789012345678901234567890123456789012",
        ),
    );
    assert!(
        d.message.contains("which is too large for a whole number"),
        "{}",
        d.message
    );
}
