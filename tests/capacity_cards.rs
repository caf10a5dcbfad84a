//! `capacity` per network card: the multi-NIC columns (`ENABLE_MULTI_NIC`) against the data
//! file and against numbers derived by hand.
use ipamsim::capacity::by_type::{self as capacity, CapacityRow, CSV_HEADER};
use std::collections::BTreeMap;

use crate::common;

fn all_rows() -> Vec<CapacityRow> {
    capacity::capacity_rows(&capacity::select(&[], true).unwrap(), None)
}

/// The columns of `data/instance-types.csv` these tests read.
#[derive(serde::Deserialize)]
struct DataRow {
    instance_type: String,
    max_enis: u32,
    ipv4_per_eni: u32,
    network_cards: u32,
    network_card_max_enis: String,
}

/// `data/instance-types.csv` by name.
fn data_file() -> BTreeMap<String, DataRow> {
    csv::Reader::from_reader(include_str!("../data/instance-types.csv").as_bytes())
        .deserialize::<DataRow>()
        .map(|r| {
            let r = r.unwrap();
            (r.instance_type.clone(), r)
        })
        .collect()
}

#[test]
fn multi_nic_columns_follow_the_data_file_for_every_type() {
    let data = data_file();
    let rows = all_rows();
    assert_eq!(rows.len(), data.len());
    let mut multi = 0;
    let mut cards_of_multi = 0;
    for r in &rows {
        let d = &data[&r.instance_type];
        let per_card: Vec<u32> = d
            .network_card_max_enis
            .split(';')
            .map(|n| n.parse().unwrap())
            .collect();
        assert_eq!(r.network_cards, d.network_cards, "{}", r.instance_type);
        // ipamd never attaches more ENIs to a card than the default card allows.
        let want: Vec<u32> = per_card.iter().map(|&e| e.min(d.max_enis)).collect();
        assert_eq!(r.enis_per_card, want, "{}", r.instance_type);
        let card_ips: Vec<u32> = want.iter().map(|e| e * (d.ipv4_per_eni - 1)).collect();
        assert_eq!(r.pod_ips_multi_nic, card_ips.iter().sum::<u32>());
        assert_eq!(r.multi_homed_pods_max, *card_ips.iter().min().unwrap());
        // Card 0 alone is what the CNI uses without multi-NIC.
        assert_eq!(card_ips[0], r.pod_ips, "{}", r.instance_type);
        let warned = r.warnings.iter().any(|w| w.starts_with("multi-NIC"));
        assert_eq!(warned, r.network_cards > 1, "{}", r.instance_type);
        // A warning is one cell item: no comma, and no "; " (the CSV's separator).
        assert!(r.warnings.iter().all(|w| !w.contains([',', ';'])), "{r:?}");
        if r.network_cards > 1 {
            multi += 1;
            cards_of_multi += r.network_cards;
        } else {
            assert_eq!(r.pod_ips_multi_nic, r.pod_ips, "{}", r.instance_type);
            let pd = r.pod_ips_prefix_delegation;
            assert_eq!(r.pod_ips_multi_nic_prefix_delegation, pd);
        }
    }
    // data/README.md: 67 types have more than one card: 54 with 2, 5 with 4, 2 with 8,
    // 3 with 16, 1 with 17, 2 with 32: 108 + 20 + 16 + 48 + 17 + 64 = 273 cards.
    assert_eq!((multi, cards_of_multi), (67, 273));
}

/// c6in.32xlarge: 2 cards of 8 ENIs, 50 IPv4 per ENI, nitro. With multi-NIC
/// 2 × 8 × (50 − 1) = 784 pod IPs, with prefixes 784 × 16 = 12544; a multi-homed pod takes
/// one address on each card, so 8 × 49 = 392 of them fit. Karpenter's max pods counts card 0
/// only: 8 × 49 + 2 = 394.
/// p5.48xlarge: 32 cards of 2 ENIs, 50 IPv4, nitro: 32 × 2 × 49 = 3136 pod IPs, 50176 with
/// prefixes, 2 × 49 = 98 multi-homed pods; Karpenter 2 × 49 + 2 = 100.
#[test]
fn cli_csv_shows_the_footprint_of_multi_card_types() {
    let o = common::ipamsim(&[
        "capacity",
        "-t",
        "c6in.32xlarge",
        "-t",
        "p5.48xlarge",
        "--format",
        "csv",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let mut r = csv::Reader::from_reader(o.stdout.as_slice());
    assert_eq!(r.headers().unwrap().iter().collect::<Vec<_>>(), CSV_HEADER);
    let recs: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    let tail = |rec: &csv::StringRecord| rec.iter().skip(15).collect::<Vec<_>>().join(",");
    assert_eq!(tail(&recs[0]), "2,8;8,784,12544,392");
    assert_eq!(
        tail(&recs[1]),
        format!("32,{},3136,50176,98", vec!["2"; 32].join(";"))
    );
    // The warning column (12th) ends with the multi-NIC warning.
    assert!(recs[0][11].ends_with(
        "multi-NIC: Karpenter's max pods 394 counts card 0 only but with ENABLE_MULTI_NIC \
         the CNI can attach 784 pod IPs on 2 cards"
    ));
    assert!(recs[1][11].ends_with("max pods 100 counts card 0 only but with ENABLE_MULTI_NIC the CNI can attach 3136 pod IPs on 32 cards"));
}

#[test]
fn cli_json_gives_the_enis_per_card_as_an_array_and_the_table_a_cards_column() {
    let o = common::ipamsim(&["capacity", "-t", "c6in.32xlarge", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    // c6in.32xlarge as above: [8, 8], 784, 12544, 392.
    assert_eq!(v[0]["network_cards"], 2);
    assert_eq!(v[0]["enis_per_card"], serde_json::json!([8, 8]));
    assert_eq!(
        [
            "pod_ips_multi_nic",
            "pod_ips_multi_nic_prefix_delegation",
            "multi_homed_pods_max"
        ]
        .map(|k| v[0][k].as_u64()),
        [784, 12544, 392].map(Some)
    );
    let o = common::ipamsim(&["capacity", "-t", "t3.medium", "-t", "p5.48xlarge"]);
    let text = String::from_utf8(o.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // CARDS, right-aligned: t3.medium 1, p5.48xlarge 32.
    let end = lines[0].find("CARDS").unwrap() + "CARDS".len();
    assert!(lines[1][..end].ends_with(" 1"), "{}", lines[1]);
    assert!(lines[2][..end].ends_with(" 32"), "{}", lines[2]);
    assert!(lines[2].contains("counts card 0 only"), "{}", lines[2]);
    assert!(!lines[1].contains("multi-NIC"), "{}", lines[1]);
}
