//! The capacity table against the published data files and the data README's spot checks.
use ipamsim::capacity::by_type::{self as capacity, CapacityRow, CSV_HEADER};
use ipamsim::catalog;
use std::collections::BTreeMap;

use crate::common;

fn all_rows() -> Vec<CapacityRow> {
    capacity::capacity_rows(&capacity::select(&[], true).unwrap(), None)
}

fn row(name: &str) -> CapacityRow {
    let t = capacity::select(&[name.to_string()], false).unwrap();
    capacity::capacity_rows(&t, None).remove(0)
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
    assert_eq!(
        header[12..15].join(","),
        "trunking_compatible,branch_enis,calculator_max_pods"
    );
    assert_eq!(
        header[15..].join(","),
        "network_cards,enis_per_card,pod_ips_multi_nic,pod_ips_multi_nic_prefix_delegation,\
multi_homed_pods_max"
    );
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
            "custom networking leaves no ENI for pods",
            // It has 2 network cards of 1 ENI (data/instance-types.csv "1;1"): with
            // multi-NIC 2 x 1 x 49 = 98 pod IPs.
            "multi-NIC: Karpenter's max pods 51 counts card 0 only but with ENABLE_MULTI_NIC \
             the CNI can attach 98 pod IPs on 2 cards"
        ]
    );
    let (_, ours) = our_csv(&[r]);
    assert_eq!(
        ours["hpc6id.32xlarge"][11],
        "custom networking: default max pods 51 allows 49 pods for 0 pod IPs; \
custom networking leaves no ENI for pods; multi-NIC: Karpenter's max pods 51 counts card 0 \
only but with ENABLE_MULTI_NIC the CNI can attach 98 pod IPs on 2 cards"
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

/// `data/branch-eni-limits.csv` as name → (trunking compatible, branch interfaces).
fn branch_file() -> BTreeMap<String, (bool, u32)> {
    let text = include_str!("../data/branch-eni-limits.csv");
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("instance_type,trunking_compatible,branch_interfaces")
    );
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].to_string(), (f[1] == "true", f[2].parse().unwrap()))
        })
        .collect()
}

#[test]
fn branch_enis_follow_the_data_file() {
    let file = branch_file();
    // The data file says "m5.large,true,9" and "t3.medium,false,0".
    assert_eq!(file["m5.large"], (true, 9));
    assert_eq!(file["t3.medium"], (false, 0));
    let m = row("m5.large");
    assert_eq!((m.trunking_compatible, m.branch_enis), (true, Some(9)));
    let t = row("t3.medium");
    assert_eq!((t.trunking_compatible, t.branch_enis), (false, None));
    // Every type of the branch table is in the instance table: 1163 of 1391; the other 228
    // are not trunking-compatible.
    assert_eq!(file.len(), 1163);
    for name in file.keys() {
        assert!(
            catalog::lookup(name).is_some(),
            "{name} not in instance-types.csv"
        );
    }
    // Every row of ours against the file: compatible types show their count, others blank.
    let (_, ours) = our_csv(&all_rows());
    let mut compatible = 0;
    for (name, rec) in &ours {
        let (trunk, n) = file.get(name).copied().unwrap_or((false, 0));
        assert_eq!(rec[12], trunk.to_string(), "{name}");
        let want = if trunk { n.to_string() } else { String::new() };
        assert_eq!(rec[13], want, "{name}");
        compatible += usize::from(trunk);
    }
    // data/README.md: 1059 rows true.
    assert_eq!(compatible, 1059);
}

#[test]
fn json_has_one_object_per_type_with_typed_numbers_and_nulls() {
    let rows = capacity::capacity_rows(
        &capacity::select(
            &[
                "m5.large".into(),
                "bmn-sf1.metal".into(),
                "t3.medium".into(),
            ],
            false,
        )
        .unwrap(),
        None,
    );
    let mut buf = Vec::new();
    capacity::write_json(&rows, &mut buf).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&buf).unwrap();
    let a = v.as_array().unwrap();
    assert_eq!(a.len(), 3);
    // The keys of an object: the CSV columns, with `warnings` (an array) for `warning`.
    let keys: Vec<&str> = a[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut want: Vec<&str> = CSV_HEADER
        .iter()
        .map(|&c| if c == "warning" { "warnings" } else { c })
        .collect();
    want.sort_unstable();
    let mut keys = keys;
    keys.sort_unstable();
    assert_eq!(keys, want);
    // m5.large: 3 ENIs x 10; 29 / 27; PD 110 (cap) / 3*9*16 = 432; CN 2*9+2 = 20 / 18;
    // 9 branch ENIs.
    let m = &a[0];
    assert_eq!(m["instance_type"], "m5.large");
    assert_eq!(m["hypervisor"], "nitro");
    let n = |k: &str| m[k].as_u64();
    assert_eq!(
        [
            "vcpus",
            "enis",
            "ipv4_per_eni",
            "max_pods",
            "pod_ips",
            "max_pods_prefix_delegation",
            "pod_ips_prefix_delegation",
            "max_pods_custom_networking",
            "pod_ips_custom_networking",
            "branch_enis",
        ]
        .map(n),
        [2, 3, 10, 29, 27, 110, 432, 20, 18, 9].map(Some)
    );
    assert_eq!(m["trunking_compatible"], true);
    assert_eq!(
        m["warnings"],
        serde_json::json!(["custom networking: default max pods 29 allows 27 pods for 18 pod IPs"])
    );
    // bmn-sf1.metal: vCPUs unknown, so both calculator values are null; not in the branch
    // table, so no branch ENIs. 15 x 50: max pods 15*49+2 = 737.
    let b = &a[1];
    assert!(b["vcpus"].is_null() && b["max_pods_prefix_delegation"].is_null());
    assert!(b["max_pods_custom_networking"].is_null() && b["branch_enis"].is_null());
    assert_eq!(b["max_pods"], 737);
    // t3.medium: not trunking-compatible.
    assert_eq!(a[2]["trunking_compatible"], false);
    assert!(a[2]["branch_enis"].is_null());
}

#[test]
fn cli_rejects_a_huge_instance_type_at_once() {
    // One argument may be at most 128 KiB on Linux; 100,000 characters is near that.
    let name = "m".repeat(100_000);
    let started = std::time::Instant::now();
    let out = common::ipamsim(&["capacity", "-t", &name]);
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    // One short line: 40 characters quoted, then the length.
    assert_eq!(
        err,
        format!(
            "error: unknown instance type \"{}…\" (100000 characters)\n",
            "m".repeat(40)
        )
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn cli_csv_and_json_forms() {
    let csv = common::ipamsim(&["capacity", "-t", "t3.medium", "--format", "csv"]);
    assert_eq!(csv.status.code(), Some(0));
    let text = String::from_utf8(csv.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], CSV_HEADER.join(","));
    // t3.medium: 3 x 6, 17 / 15, PD 110 / 240, CN 12 / 10; not trunking-compatible;
    // the calculator's 3 x 5 + 2 = 17 (under its 110 cap); one network card of 3 ENIs, so
    // multi-NIC changes nothing: 15 pod IPs, 240 with prefixes, 15 multi-homed pods.
    assert_eq!(
        lines[1],
        "t3.medium,nitro,2,3,6,17,15,110,240,12,10,\
custom networking: default max pods 17 allows 15 pods for 10 pod IPs,false,,17,1,3,15,240,15"
    );
    let json = common::ipamsim(&["capacity", "-t", "t3.medium", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v[0]["max_pods"], 17);
}

/// `calculator_max_pods` is what `max-pods-calculator.sh` recommends in secondary-IP mode:
/// ENIs × (IPv4 per ENI − 1) + 2, capped at 110 up to 30 vCPUs and 250 above.
/// m5.4xlarge (16 vCPUs, 8 ENIs × 30): 8 × 29 + 2 = 234 → 110; m6i.32xlarge (128 vCPUs,
/// 15 × 50): 15 × 49 + 2 = 737 → 250; t3.medium (2 vCPUs, 3 × 6): 3 × 5 + 2 = 17.
/// With `--max-eni 2` (the script's `--cni-max-eni 2`): 2 × 29 + 2 = 60, 2 × 49 + 2 = 100,
/// 2 × 5 + 2 = 12, all under their caps. The eni-max-pods value stays 234, 737, 17.
#[test]
fn calculator_max_pods_is_the_calculators_recommendation() {
    let calc = |extra: &[&str]| -> Vec<(u64, u64)> {
        let mut args = vec![
            "capacity",
            "-t",
            "m5.4xlarge",
            "-t",
            "m6i.32xlarge",
            "-t",
            "t3.medium",
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        let o = common::ipamsim(&args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v.as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["calculator_max_pods"].as_u64().unwrap(),
                    r["max_pods"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(calc(&[]), [(110, 234), (250, 737), (17, 17)]);
    assert_eq!(calc(&["--max-eni", "2"]), [(60, 234), (100, 737), (12, 17)]);
    // the CSV appends the column; the table shows it beside MAX_PODS
    let o = common::ipamsim(&["capacity", "-t", "m5.4xlarge", "--format", "csv"]);
    let text = String::from_utf8_lossy(&o.stdout);
    let mut lines = text.lines();
    assert!(lines
        .next()
        .unwrap()
        .contains(",branch_enis,calculator_max_pods,"));
    // m5.4xlarge: calculator_max_pods (column 15) 110; one card of 8 ENIs after it.
    let cells: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(cells[14..16], ["110", "1"], "{text}");
}
