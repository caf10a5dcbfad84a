//! The three forms of the per-type report: an aligned table for people, CSV (typed rows
//! through the `csv` crate) and JSON (the [`CapacityRow`]s through serde).

use super::CapacityRow;
use crate::output::csv_files::CsvFile;
use serde::Serialize;
use std::io::{self, Write};

/// CSV header of [`write_csv`], in column order: the field names of [`CapacityCsvRow`] (a
/// test checks they agree). Columns are only ever appended.
pub const CSV_HEADER: [&str; 20] = [
    "instance_type",
    "hypervisor",
    "vcpus",
    "enis",
    "ipv4_per_eni",
    "max_pods",
    "pod_ips",
    "max_pods_prefix_delegation",
    "pod_ips_prefix_delegation",
    "max_pods_custom_networking",
    "pod_ips_custom_networking",
    "warning",
    "trunking_compatible",
    "branch_enis",
    "calculator_max_pods",
    "network_cards",
    "enis_per_card",
    "pod_ips_multi_nic",
    "pod_ips_multi_nic_prefix_delegation",
    "multi_homed_pods_max",
];

/// Legend printed under the table by [`write_table`].
pub const TABLE_LEGEND: &str =
    "MAX_PODS = eni-max-pods.txt (ENIs x (IPv4 - 1) + 2); CALC_MAX_PODS = what the EKS \
max-pods calculator recommends (the same, capped at 110 up to 30 vCPUs and 250 above). PD = prefix \
delegation, CN = custom networking (PD/CN max pods: the calculator's; '-' = vCPUs unknown). BRANCH_ENIS = branch ENIs \
per node for security groups for pods ('-' = not trunking-compatible). CARDS = network cards \
(ENABLE_MULTI_NIC uses them all: see the CSV's multi-NIC columns). Warnings: default max pods \
exceeds CN pod IPs + 2 (set max pods to CN_MAX_PODS); no prefix delegation on this hypervisor; \
a single ENI leaves none for CN pods; Karpenter's max pods counts card 0 only (multi-card types).";

/// One CSV row of `capacity --format csv`: the fields of a [`CapacityRow`] in
/// [`CSV_HEADER`] order (units there). `None` is an empty cell; booleans are `true`/`false`.
#[derive(Debug, Default, Serialize)]
pub struct CapacityCsvRow<'a> {
    /// EC2 instance type name.
    pub instance_type: &'a str,
    /// `nitro`, `xen` or `unknown`.
    pub hypervisor: &'a str,
    /// vCPUs; empty when unknown.
    pub vcpus: Option<u32>,
    /// ENIs.
    pub enis: u32,
    /// IPv4 addresses per ENI.
    pub ipv4_per_eni: u32,
    /// kubelet max pods, secondary IPs (pods).
    pub max_pods: u32,
    /// Pod IPs, secondary IPs (addresses).
    pub pod_ips: u32,
    /// Max pods with prefix delegation (pods); empty when vCPUs are unknown.
    pub max_pods_prefix_delegation: Option<u32>,
    /// Pod IPs with prefix delegation (addresses).
    pub pod_ips_prefix_delegation: u32,
    /// Max pods with custom networking (pods); empty when vCPUs are unknown.
    pub max_pods_custom_networking: Option<u32>,
    /// Pod IPs with custom networking (addresses).
    pub pod_ips_custom_networking: u32,
    /// The warnings joined with `"; "` (one cell); empty if none.
    pub warning: String,
    /// Whether the type can have a trunk ENI.
    pub trunking_compatible: bool,
    /// Branch ENIs per node (ENIs); empty when not trunking-compatible.
    pub branch_enis: Option<u32>,
    /// The max-pods calculator's value in secondary-IP mode (pods); empty when vCPUs are
    /// unknown.
    pub calculator_max_pods: Option<u32>,
    /// Network cards (cards).
    pub network_cards: u32,
    /// ENIs per network card, card 0 first, joined with `;` (ENIs), e.g. `8;8`.
    pub enis_per_card: String,
    /// Pod IPs on all cards with `ENABLE_MULTI_NIC` (addresses).
    pub pod_ips_multi_nic: u32,
    /// The same with prefix delegation (addresses).
    pub pod_ips_multi_nic_prefix_delegation: u32,
    /// Pods with an address on every card (`multi-nic-attachment`) a node can hold (pods).
    pub multi_homed_pods_max: u32,
}

impl<'a> From<&'a CapacityRow> for CapacityCsvRow<'a> {
    fn from(r: &'a CapacityRow) -> Self {
        CapacityCsvRow {
            instance_type: &r.instance_type,
            hypervisor: &r.hypervisor,
            vcpus: r.vcpus,
            enis: r.enis,
            ipv4_per_eni: r.ipv4_per_eni,
            max_pods: r.max_pods,
            pod_ips: r.pod_ips,
            max_pods_prefix_delegation: r.max_pods_prefix_delegation,
            pod_ips_prefix_delegation: r.pod_ips_prefix_delegation,
            max_pods_custom_networking: r.max_pods_custom_networking,
            pod_ips_custom_networking: r.pod_ips_custom_networking,
            warning: r.warnings.join("; "),
            trunking_compatible: r.trunking_compatible,
            branch_enis: r.branch_enis,
            calculator_max_pods: r.calculator_max_pods,
            network_cards: r.network_cards,
            enis_per_card: r
                .enis_per_card
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(";"),
            pod_ips_multi_nic: r.pod_ips_multi_nic,
            pod_ips_multi_nic_prefix_delegation: r.pod_ips_multi_nic_prefix_delegation,
            multi_homed_pods_max: r.multi_homed_pods_max,
        }
    }
}

/// Writes the rows as CSV (RFC 4180) with the [`CSV_HEADER`] columns, one
/// [`CapacityCsvRow`] per row.
pub fn write_csv(rows: &[CapacityRow], w: impl Write) -> io::Result<()> {
    let mut out = CsvFile::new::<CapacityCsvRow<'_>>(w)?;
    for r in rows {
        out.row(&CapacityCsvRow::from(r))?;
    }
    out.finish()?.flush()
}

/// Writes the rows as a JSON array, one [`CapacityRow`] object per instance type: numbers as
/// JSON numbers, `null` for unknown values, `warnings` as an array of strings.
pub fn write_json(rows: &[CapacityRow], mut w: impl Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut w, rows)?;
    writeln!(w)?;
    w.flush()
}

/// Short column titles for [`write_table`].
const TABLE_HEADER: [&str; 15] = [
    "TYPE",
    "HYPERVISOR",
    "VCPUS",
    "ENIS",
    "IPV4/ENI",
    "MAX_PODS",
    "CALC_MAX_PODS",
    "POD_IPS",
    "PD_MAX_PODS",
    "PD_POD_IPS",
    "CN_MAX_PODS",
    "CN_POD_IPS",
    "BRANCH_ENIS",
    "CARDS",
    "WARNING",
];

/// Right-aligned (numeric) columns of [`TABLE_HEADER`].
const NUMERIC: std::ops::RangeInclusive<usize> = 2..=13;

/// A number, or `-` when unknown.
fn num(v: Option<u32>) -> String {
    v.map_or_else(|| "-".to_string(), |n| n.to_string())
}

/// The table cells of one row, in [`TABLE_HEADER`] order.
fn table_cells(r: &CapacityRow) -> [String; 15] {
    let warning = if r.warnings.is_empty() {
        "-".to_string()
    } else {
        r.warnings.join("; ")
    };
    [
        r.instance_type.clone(),
        r.hypervisor.clone(),
        num(r.vcpus),
        r.enis.to_string(),
        r.ipv4_per_eni.to_string(),
        r.max_pods.to_string(),
        num(r.calculator_max_pods),
        r.pod_ips.to_string(),
        num(r.max_pods_prefix_delegation),
        r.pod_ips_prefix_delegation.to_string(),
        num(r.max_pods_custom_networking),
        r.pod_ips_custom_networking.to_string(),
        num(r.branch_enis),
        r.network_cards.to_string(),
        warning,
    ]
}

/// Writes an aligned, human-readable table (text columns left-aligned, numbers right-aligned,
/// `-` for unknown values) followed by a blank line and the [`TABLE_LEGEND`].
pub fn write_table(rows: &[CapacityRow], mut w: impl Write) -> io::Result<()> {
    let body: Vec<[String; 15]> = rows.iter().map(table_cells).collect();
    let mut widths = TABLE_HEADER.map(str::len);
    for cells in &body {
        for (w, c) in widths.iter_mut().zip(cells) {
            *w = (*w).max(c.chars().count());
        }
    }
    let header = TABLE_HEADER.map(str::to_string);
    for cells in std::iter::once(&header).chain(&body) {
        writeln!(w, "{}", table_line(cells, &widths))?;
    }
    writeln!(w)?;
    writeln!(w, "{TABLE_LEGEND}")?;
    w.flush()
}

fn table_line(cells: &[String; 15], widths: &[usize; 15]) -> String {
    let mut line = String::new();
    for (i, (c, &width)) in cells.iter().zip(widths).enumerate() {
        if i > 0 {
            line.push_str("  ");
        }
        let pad = width.saturating_sub(c.chars().count());
        if NUMERIC.contains(&i) {
            line.extend(std::iter::repeat_n(' ', pad));
            line.push_str(c);
        } else if i == cells.len() - 1 {
            line.push_str(c);
        } else {
            line.push_str(c);
            line.extend(std::iter::repeat_n(' ', pad));
        }
    }
    line.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::super::capacity_rows;
    use super::*;
    use crate::catalog;
    use crate::output::csv_files::header_of;

    #[test]
    fn csv_header_comes_from_the_row_struct() {
        assert_eq!(header_of::<CapacityCsvRow<'_>>(), CSV_HEADER);
    }

    #[test]
    fn table_is_aligned_and_has_legend() {
        let rows = capacity_rows(
            &[
                catalog::lookup("t3.medium").unwrap(),
                catalog::lookup("bmn-sf1.metal").unwrap(),
                catalog::lookup("m5.large").unwrap(),
            ],
            None,
        );
        let mut out = Vec::new();
        write_table(&rows, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("TYPE"));
        // The MAX_PODS column ends at the same character position on every row.
        let end = lines[0].find("MAX_PODS").unwrap() + "MAX_PODS".len();
        assert!(lines[1][..end].ends_with("17"), "{}", lines[1]);
        // bmn-sf1.metal: unknown vCPUs shown as '-'.
        assert!(lines[2].contains(" - "), "{}", lines[2]);
        // BRANCH_ENIS: t3.medium '-' (not trunking-compatible), m5.large 9, right-aligned.
        let end = lines[0].find("BRANCH_ENIS").unwrap() + "BRANCH_ENIS".len();
        assert!(lines[1][..end].ends_with(" -"), "{}", lines[1]);
        assert!(lines[3][..end].ends_with(" 9"), "{}", lines[3]);
        assert_eq!(lines[4], "");
        assert!(lines[5].starts_with("MAX_PODS = eni-max-pods.txt"));
    }
}
