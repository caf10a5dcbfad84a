//! The capacity table against the published data files and the data README's spot checks.
use ipamsim::capacity::by_type::{self as capacity, CapacityRow, CSV_HEADER};
use ipamsim::catalog;
use std::collections::BTreeMap;

fn all_rows() -> Vec<CapacityRow> {
    capacity::capacity_rows(&capacity::select(&[], true).unwrap())
}

fn row(name: &str) -> CapacityRow {
    let t = capacity::select(&[name.to_string()], false).unwrap();
    capacity::capacity_rows(&t).remove(0)
}

/// Parses a `instance_type,max_pods` data file into name → value.
fn published(text: &str) -> BTreeMap<String, u32> {
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("instance_type,max_pods"));
    lines
        .map(|l| {
            let (n, v) = l.split_once(',').unwrap();
            (n.to_string(), v.parse().unwrap())
        })
        .collect()
}

/// Parses our CSV output into name → record (header checked separately).
fn our_csv(rows: &[CapacityRow]) -> (Vec<String>, BTreeMap<String, Vec<String>>) {
    let mut buf = Vec::new();
    capacity::write_csv(rows, &mut buf).unwrap();
    let mut r = csv::Reader::from_reader(buf.as_slice());
    let header = r.headers().unwrap().iter().map(String::from).collect();
    let body = r
        .records()
        .map(|rec| {
            let rec: Vec<String> = rec.unwrap().iter().map(String::from).collect();
            (rec[0].clone(), rec)
        })
        .collect();
    (header, body)
}

#[test]
fn csv_header_is_exact() {
    let (header, _) = our_csv(&all_rows());
    // The twelve columns of the first version, unchanged, then the appended ones.
    assert_eq!(
        header[..12].join(","),
        "instance_type,hypervisor,vcpus,enis,ipv4_per_eni,max_pods,pod_ips,\
max_pods_prefix_delegation,pod_ips_prefix_delegation,max_pods_custom_networking,\
pod_ips_custom_networking,warning"
    );
    assert_eq!(header[12..].join(","), "trunking_compatible,branch_enis");
    assert_eq!(header, CSV_HEADER);
}

#[test]
fn max_pods_column_equals_eni_max_pods_csv_for_every_type() {
    // data/README.md: eni-max-pods.csv has 1391 rows, the same types as the catalog.
    let expected = published(include_str!("../data/eni-max-pods.csv"));
    let (_, ours) = our_csv(&all_rows());
    assert_eq!(expected.len(), 1391);
    assert_eq!(ours.len(), 1391);
    for (name, pods) in &expected {
        let rec = ours.get(name).unwrap_or_else(|| panic!("{name} missing"));
        assert_eq!(rec[5], pods.to_string(), "{name}");
    }
    // Every one of our rows was matched (same key sets).
    assert!(ours.keys().eq(expected.keys()));
}

#[test]
fn prefix_delegation_column_equals_published_csv_for_every_type() {
    // data/README.md: 1390 rows, bmn-sf1.metal left out because its vCPUs are unknown.
    let expected = published(include_str!("../data/max-pods-prefix-delegation.csv"));
    let (_, ours) = our_csv(&all_rows());
    assert_eq!(expected.len(), 1390);
    for (name, pods) in &expected {
        let rec = ours.get(name).unwrap_or_else(|| panic!("{name} missing"));
        assert_eq!(rec[7], pods.to_string(), "{name}");
    }
    let unmatched: Vec<&String> = ours.keys().filter(|n| !expected.contains_key(*n)).collect();
    assert_eq!(unmatched, ["bmn-sf1.metal"]);
    let bmn = &ours["bmn-sf1.metal"];
    // vcpus, PD max pods and CN max pods are empty: the 110/250 cap depends on the vCPUs.
    assert_eq!(
        (bmn[2].as_str(), bmn[7].as_str(), bmn[9].as_str()),
        ("", "", "")
    );
}

#[test]
fn rows_follow_catalog_order_with_all_and_user_order_with_names() {
    let rows = all_rows();
    let names: Vec<&str> = rows.iter().map(|r| r.instance_type.as_str()).collect();
    let cat: Vec<&str> = catalog::all().iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, cat);
    let picked = capacity::select(
        &["t3.medium".into(), "m5.large".into(), "t3.medium".into()],
        false,
    )
    .unwrap();
    let picked: Vec<&str> = picked.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(picked, ["t3.medium", "m5.large"]);
}

#[test]
fn t3_medium_prefix_delegation_110() {
    // README: 3 ENIs x (6-1) x 16 + 2 = 242, capped at 110 (2 vCPUs <= 30).
    let r = row("t3.medium");
    assert_eq!(r.max_pods_prefix_delegation, Some(110));
    assert_eq!(r.pod_ips_prefix_delegation, 3 * 5 * 16);
}

#[test]
fn t3a_small_prefix_delegation_98() {
    // README: 2 ENIs x (4-1) x 16 + 2 = 98, under the 110 cap. Pod IPs 2*3*16 = 96.
    let r = row("t3a.small");
    assert_eq!(r.max_pods_prefix_delegation, Some(98));
    assert_eq!(r.pod_ips_prefix_delegation, 96);
    // CN: 1 ENI x 3 = 3 pod IPs; default max pods 8 allows 6 pods.
    assert_eq!(r.pod_ips_custom_networking, 3);
    assert_eq!(
        r.warnings,
        ["custom networking: default max pods 8 allows 6 pods for 3 pod IPs"]
    );
}

#[test]
fn m4_large_xen_falls_back_to_secondary_ips() {
    // README: m4.large (xen) 2 ENIs x 10 IPv4: 2*9+2 = 20 with or without PD.
    let r = row("m4.large");
    assert_eq!(r.hypervisor, "xen");
    assert_eq!((r.max_pods, r.max_pods_prefix_delegation), (20, Some(20)));
    // No prefixes on xen: PD pod IPs = secondary-IP pod IPs = 18.
    assert_eq!((r.pod_ips, r.pod_ips_prefix_delegation), (18, 18));
    assert!(r
        .warnings
        .contains(&"no prefix delegation (xen): falls back to secondary IPs".to_string()));
}

#[test]
fn m5_large_custom_networking_20_with_warning() {
    // m5.large 3 ENIs x 10: default 29; CN 2*9+2 = 20 with 18 pod IPs; 29-2 = 27 > 18.
    let r = row("m5.large");
    assert_eq!(r.max_pods_custom_networking, Some(20));
    assert_eq!(r.pod_ips_custom_networking, 18);
    assert_eq!(
        r.warnings,
        ["custom networking: default max pods 29 allows 27 pods for 18 pod IPs"]
    );
    let (_, ours) = our_csv(&[r]);
    assert_eq!(
        ours["m5.large"][11],
        "custom networking: default max pods 29 allows 27 pods for 18 pod IPs"
    );
}

#[test]
fn single_eni_type_warns_that_custom_networking_leaves_no_eni() {
    // hpc6id.32xlarge is the only 1-ENI type (1 x 50 IPv4, nitro): max pods 1*49+2 = 51,
    // CN pod IPs 0*49 = 0, so both the over-commit and the no-ENI warnings apply.
    let singles: Vec<&str> = catalog::all()
        .iter()
        .filter(|t| t.max_enis == 1)
        .map(|t| t.name.as_str())
        .collect();
    assert_eq!(singles, ["hpc6id.32xlarge"]);
    let r = row("hpc6id.32xlarge");
    assert_eq!((r.max_pods, r.pod_ips_custom_networking), (51, 0));
    assert_eq!(
        r.warnings,
        [
            "custom networking: default max pods 51 allows 49 pods for 0 pod IPs",
            "custom networking leaves no ENI for pods"
        ]
    );
    let (_, ours) = our_csv(&[r]);
    assert_eq!(
        ours["hpc6id.32xlarge"][11],
        "custom networking: default max pods 51 allows 49 pods for 0 pod IPs; \
custom networking leaves no ENI for pods"
    );
}

#[test]
fn warnings_have_no_commas_and_bare_metal_supports_prefixes() {
    for r in all_rows() {
        assert!(r.warnings.iter().all(|w| !w.contains(',')), "{r:?}");
    }
    // u-6tb1.metal: hypervisor unknown but bare metal -> the CNI delegates prefixes:
    // 5 ENIs x 29 x 16 = 2320 pod IPs, no fallback warning; the calculator still says 147.
    let r = row("u-6tb1.metal");
    assert_eq!(r.pod_ips_prefix_delegation, 5 * 29 * 16);
    assert_eq!(r.max_pods_prefix_delegation, Some(147));
    assert!(r.warnings.iter().all(|w| !w.starts_with("no prefix")));
}

#[test]
fn select_errors() {
    let none = capacity::select(&[], false).unwrap_err();
    assert!(
        none.contains("--instance-type") && none.contains("--all"),
        "{none}"
    );
    let both = capacity::select(&["m5.large".into()], true).unwrap_err();
    assert!(both.contains("not both"), "{both}");
    let bad = capacity::select(
        &["m5.larg".into(), "t3.medium".into(), "t3.medum".into()],
        false,
    )
    .unwrap_err();
    let lines: Vec<&str> = bad.lines().collect();
    assert_eq!(lines.len(), 2, "{bad}");
    assert!(lines[0].starts_with("unknown instance type \"m5.larg\"; did you mean"));
    assert!(lines[0].contains("m5.large"), "{bad}");
    assert!(lines[1].contains("t3.medium"), "{bad}");
}
