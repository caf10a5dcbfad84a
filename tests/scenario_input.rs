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

/// Overrides on the tree give the same scenario as compare's current YAML rewrite.
#[test]
fn overrides_agree_with_the_yaml_rewrite_for_the_shipped_sweep() {
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
    assert!(combos.len() >= 4, "{combos:?}");
    for setting in combos {
        let ours = s
            .with_overrides(&setting, &LoadOptions::default())
            .unwrap_or_else(|e| panic!("{e}"));
        let theirs = ipamsim::compare::scenario_for(&text, &file, &setting)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ours.cni, theirs.cni, "{setting:?}");
        let pods = |sc: &Scenario| sc.nodegroups.iter().map(|g| g.max_pods).collect::<Vec<_>>();
        assert_eq!(pods(&ours), pods(&theirs));
        assert_eq!(
            format!("{:?}", ours.workloads),
            format!("{:?}", theirs.workloads)
        );
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
            "ENABLE_MULTI_NIC",
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
