//! Unit tests of `subnets[].tags`, `CLUSTER_NAME` and the subnet-discovery checks.

use super::tests::*;
use super::*;

/// Two subnets in one AZ; `own_tags` / `other_tags` are the lines under each (already
/// indented by four spaces), `cni` the lines under `cni:`.
fn two_subnets(cni: &str, own_tags: &str, other_tags: &str) -> String {
    format!(
        "duration: 1m
cni:
  CLUSTER_NAME: prod
{cni}subnets:
  - name: own
    cidr: 10.0.0.0/24
{own_tags}  - name: other
    cidr: 10.0.1.0/24
{other_tags}nodegroups:
  - {{name: ng, instance_type: t3.medium, count: 1, subnet: own}}
"
    )
}

#[test]
fn tags_are_read_as_ipamd_reads_them() {
    let sc = ok(&two_subnets(
        "",
        "    tags: {kubernetes.io/role/cni: \"0\", Name: own}\n",
        "    tags:\n      kubernetes.io/role/cni: shared\n      \
         cni.networking.k8s.aws/cluster/prod: \"\"\n      \
         cni.networking.k8s.aws/cluster/beta: x\n",
    ));
    assert_eq!(sc.cni.cluster_name, "prod");
    assert_eq!(sc.subnets[0].role_cni, Some(false));
    assert!(sc.subnets[0].cluster_tags.is_empty());
    // any value but "0" opts in; cluster names sorted, values ignored
    assert_eq!(sc.subnets[1].role_cni, Some(true));
    assert_eq!(sc.subnets[1].cluster_tags, ["beta", "prod"]);
    // the empty value is no tag; a YAML integer is its text
    let sc = ok(&two_subnets(
        "",
        "    tags: {kubernetes.io/role/cni: \"\"}\n",
        "    tags: {kubernetes.io/role/cni: 1}\n",
    ));
    assert_eq!(sc.subnets[0].role_cni, None);
    assert_eq!(sc.subnets[1].role_cni, Some(true));
}

#[test]
fn cluster_name_defaults_to_unset_and_takes_text() {
    assert_eq!(ok(MINIMAL).cni.cluster_name, "");
    let d = one_error(&minimal_plus("cni:\n  CLUSTER_NAME: [a, b]\n"));
    check(&d, "cni.CLUSTER_NAME", Some((11, 3)), "found a list");
    assert_eq!(check_cni_value("CLUSTER_NAME", "prod"), Ok(()));
}

#[test]
fn role_cni_and_the_tag_must_agree() {
    // the same tag twice, agreeing: fine
    let sc = ok(&two_subnets(
        "",
        "",
        "    role_cni: true\n    tags: {kubernetes.io/role/cni: \"1\"}\n",
    ));
    assert_eq!(sc.subnets[1].role_cni, Some(true));
    // disagreeing: an error at the tag, naming both
    let text = two_subnets(
        "",
        "",
        "    role_cni: false\n    tags: {kubernetes.io/role/cni: \"1\"}\n",
    );
    let d = one_error(&text);
    check(
        &d,
        "subnets[1].tags.kubernetes.io/role/cni",
        Some((10, 12)),
        "\"1\" disagrees with role_cni: false (which is the tag \"0\")",
    );
    // an empty value is no tag, so it disagrees with role_cni: true
    let text = two_subnets(
        "",
        "",
        "    role_cni: true\n    tags: {kubernetes.io/role/cni: \"\"}\n",
    );
    assert!(one_error(&text).message.contains("disagrees"));
}

#[test]
fn bad_tags_are_located_and_explained() {
    let cases = [
        (
            "    tags: [kubernetes.io/role/cni]\n",
            "subnets[1].tags",
            "expected a mapping of tag keys to text values",
        ),
        (
            "    tags: {kubernetes.io/role/cni: true}\n",
            "subnets[1].tags.kubernetes.io/role/cni",
            "(the text \"true\" would opt it in); write \"1\" or \"0\"",
        ),
        (
            "    tags: {kubernetes.io/role/cni: }\n",
            "subnets[1].tags.kubernetes.io/role/cni",
            "write \"\" for an empty tag value",
        ),
        (
            "    tags: {kubernetes.io/role/cni: [1]}\n",
            "subnets[1].tags.kubernetes.io/role/cni",
            "expected a text value such as \"1\"; found a list",
        ),
        (
            "    tags: {aws:cloudformation:stack-name: x}\n",
            "subnets[1].tags.aws:cloudformation:stack-name",
            "the aws: prefix is reserved",
        ),
        (
            "    tags: {\"\": x}\n",
            "subnets[1].tags.",
            "an empty tag key; AWS tag keys have 1 to 128 characters",
        ),
        (
            "    tags: {1: x}\n",
            "subnets[1].tags",
            "tag keys are text; found 1 (quote it: \"1\")",
        ),
    ];
    for (tags, path, phrase) in cases {
        let d = one_error(&two_subnets("", "", tags));
        assert_eq!(d.path, path, "{tags}: {d:?}");
        assert!(d.location.is_some(), "{tags}: {d:?}");
        assert!(d.message.contains(phrase), "{tags}: {d:?}");
    }
}

#[test]
fn aws_tag_limits() {
    // 128 characters of key and 256 of value are allowed; one more is not
    let key = "k".repeat(128);
    let value = "v".repeat(256);
    ok(&two_subnets(
        "",
        "",
        &format!("    tags: {{{key}: {value}}}\n"),
    ));
    let d = one_error(&two_subnets("", "", &format!("    tags: {{{key}k: x}}\n")));
    assert!(d
        .message
        .contains("a tag key of 129 characters; AWS allows at most 128"));
    let d = one_error(&two_subnets(
        "",
        "",
        &format!("    tags: {{k: {value}v}}\n"),
    ));
    assert!(d
        .message
        .contains("a tag value of 257 characters; AWS allows at most 256"));
    // characters, not bytes: 128 'é' (256 bytes) is a valid key
    ok(&two_subnets(
        "",
        "",
        &format!("    tags: {{{}: x}}\n", "é".repeat(128)),
    ));
    // 50 tags, not 51
    let many = |n: usize| {
        let tags: Vec<String> = (0..n).map(|i| format!("t{i}: x")).collect();
        format!("    tags: {{{}}}\n", tags.join(", "))
    };
    ok(&two_subnets("", "", &many(50)));
    let d = one_error(&two_subnets("", "", &many(51)));
    check(
        &d,
        "subnets[1].tags",
        Some((9, 5)),
        "51 tags; AWS allows at most 50",
    );
}

#[test]
fn cluster_tags_without_cluster_name_warn() {
    let text = "duration: 1m
subnets:
  - name: own
    cidr: 10.0.0.0/24
  - name: other
    cidr: 10.0.1.0/24
    tags: {kubernetes.io/role/cni: \"1\", cni.networking.k8s.aws/cluster/prod: x}
nodegroups:
  - {name: ng, instance_type: t3.medium, count: 1, subnet: own}
";
    let sc = ok(text);
    assert_eq!(sc.warnings.len(), 1, "{:?}", sc.warnings);
    check(
        &sc.warnings[0],
        "subnets[1].tags",
        Some((7, 5)),
        "cni.CLUSTER_NAME is not set",
    );
    // with discovery off, tags are not read: no warning about them
    let off = text.replace(
        "duration: 1m\n",
        "duration: 1m\ncni: {ENABLE_SUBNET_DISCOVERY: false}\n",
    );
    assert!(ok(&off).warnings.is_empty());
}

#[test]
fn a_node_without_any_subnet_for_new_enis_is_warned_about() {
    // own excluded, other tagged for another cluster only: nothing qualifies
    let text = two_subnets(
        "",
        "    tags: {kubernetes.io/role/cni: \"0\"}\n",
        "    tags: {kubernetes.io/role/cni: \"1\", cni.networking.k8s.aws/cluster/beta: x}\n",
    );
    let sc = ok(&text);
    assert_eq!(sc.warnings.len(), 1, "{:?}", sc.warnings);
    check(
        &sc.warnings[0],
        "nodegroups[0]",
        Some((12, 3)),
        "pods on these nodes never get an IP",
    );
    // tagged for this cluster too: it qualifies, no warning
    let text = two_subnets(
        "",
        "    tags: {kubernetes.io/role/cni: \"0\"}\n",
        "    tags: {kubernetes.io/role/cni: \"1\", cni.networking.k8s.aws/cluster/prod: x}\n",
    );
    assert!(ok(&text).warnings.is_empty());
    // discovery off and the primary excluded: ipamd refuses every new ENI
    let text = two_subnets(
        "  ENABLE_SUBNET_DISCOVERY: false\n",
        "    tags: {kubernetes.io/role/cni: \"0\"}\n",
        "",
    );
    let sc = ok(&text);
    assert_eq!(sc.warnings.len(), 1, "{:?}", sc.warnings);
    assert!(sc.warnings[0]
        .message
        .contains("only the primary ENI's addresses"));
}

#[test]
fn exclusions_the_model_does_not_cover_are_refused() {
    // IPv6: the excluded primary ENI is replaced by a new ENI at init
    let text = two_subnets(
        "  ENABLE_IPv6: true\n  ENABLE_IPv4: false\n  ENABLE_PREFIX_DELEGATION: true\n",
        "    ipv6_cidr: 2600:1f14:abc:de00::/64\n    tags: {kubernetes.io/role/cni: \"0\"}\n",
        "",
    );
    let d = one_error(&text);
    assert_eq!(d.path, "nodegroups[0]");
    assert!(d.message.contains("in IPv6 mode"), "{d:?}");
    assert!(d.message.contains("not modelled"), "{d:?}");
    // custom networking: every ENI in an excluded ENIConfig subnet would be excluded
    let text = format!(
        "{}eniconfigs:\n  - {{az: default, subnet: other}}\n",
        two_subnets(
            "  AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG: true\n",
            "",
            "    tags: {kubernetes.io/role/cni: \"0\"}\n",
        )
    );
    let d = one_error(&text);
    check(&d, "eniconfigs[0].subnet", Some((14, 19)), "not modelled");
}
