//! Per-instance-type pod capacity: max pods and pod IPs in secondary-IP mode, with prefix
//! delegation and with custom networking, plus warnings about combinations that bite.
//!
//! Every number comes from [`crate::catalog`]; nothing here re-derives the published formulas
//! except the pod-IP counts, which are plain ENI × address products.

use crate::catalog::{self, InstanceType};
use std::io::{self, Write};

/// Addresses in one delegated IPv4 prefix (a /28).
const IPS_PER_PREFIX: u32 = 16;

/// CSV header of [`write_csv`], in column order.
pub const CSV_HEADER: [&str; 12] = [
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
];

/// Legend printed under the table by [`write_table`].
pub const TABLE_LEGEND: &str =
    "PD = prefix delegation, CN = custom networking (PD/CN max pods: EKS \
max-pods calculator, capped at 110/250 by vCPUs; '-' = vCPUs unknown). Warnings: default max pods \
exceeds CN pod IPs + 2 (set max pods to CN_MAX_PODS); no prefix delegation on this hypervisor; \
a single ENI leaves none for CN pods.";

/// One instance type's capacity. Pods and IPs are counts per node.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CapacityRow {
    /// EC2 instance type name, e.g. `m5.large`.
    pub instance_type: String,
    /// Hypervisor as the CNI's table gives it: `nitro`, `xen` or `unknown`.
    pub hypervisor: String,
    /// Default vCPU count; `None` when unknown (`bmn-sf1.metal`).
    pub vcpus: Option<u32>,
    /// ENIs on the default network card.
    pub enis: u32,
    /// IPv4 addresses per ENI, the ENI's primary address included.
    pub ipv4_per_eni: u32,
    /// kubelet max pods in secondary-IP mode: ENIs × (IPv4 − 1) + 2 (`eni-max-pods.txt`).
    pub max_pods: u32,
    /// Secondary IPs available to pods in secondary-IP mode: ENIs × (IPv4 − 1).
    pub pod_ips: u32,
    /// Max-pods calculator value with prefix delegation (110/250 cap); `None` when the vCPU
    /// count, and so the cap, is unknown.
    pub max_pods_prefix_delegation: Option<u32>,
    /// Pod IPs with prefix delegation: ENIs × (IPv4 − 1) × 16 where the CNI supports it
    /// (Nitro or bare metal), else the secondary-IP count.
    pub pod_ips_prefix_delegation: u32,
    /// Max-pods calculator value with custom networking; `None` when vCPUs are unknown.
    pub max_pods_custom_networking: Option<u32>,
    /// Pod IPs with custom networking (the primary ENI carries no pods): (ENIs − 1) × (IPv4 − 1).
    pub pod_ips_custom_networking: u32,
    /// Short warnings, no commas; empty if none.
    pub warnings: Vec<String>,
}

/// Builds one row per type, in the order given.
pub fn capacity_rows(types: &[&InstanceType]) -> Vec<CapacityRow> {
    types.iter().map(|t| row(t)).collect()
}

fn row(t: &InstanceType) -> CapacityRow {
    let per_eni = t.ipv4_per_eni.saturating_sub(1);
    let pod_ips = t.max_enis * per_eni;
    let pod_ips_prefix_delegation = if t.supports_prefix_delegation() {
        pod_ips * IPS_PER_PREFIX
    } else {
        pod_ips
    };
    let pod_ips_custom_networking = t.max_enis.saturating_sub(1) * per_eni;
    let calculator = |pd, cn| t.vcpus.map(|_| t.calculator_max_pods(pd, cn));
    let mut r = CapacityRow {
        instance_type: t.name.clone(),
        hypervisor: t.hypervisor.clone(),
        vcpus: t.vcpus,
        enis: t.max_enis,
        ipv4_per_eni: t.ipv4_per_eni,
        max_pods: t.default_max_pods(),
        pod_ips,
        max_pods_prefix_delegation: calculator(true, false),
        pod_ips_prefix_delegation,
        max_pods_custom_networking: calculator(false, true),
        pod_ips_custom_networking,
        warnings: Vec::new(),
    };
    r.warnings = warnings(&r, t.supports_prefix_delegation());
    r
}

fn warnings(r: &CapacityRow, prefix_delegation: bool) -> Vec<String> {
    let mut w = Vec::new();
    let pods = r.max_pods.saturating_sub(2);
    if pods > r.pod_ips_custom_networking {
        w.push(format!(
            "custom networking: default max pods {} allows {} pods for {} pod IPs",
            r.max_pods, pods, r.pod_ips_custom_networking
        ));
    }
    if !prefix_delegation {
        w.push(format!(
            "no prefix delegation ({}): falls back to secondary IPs",
            r.hypervisor
        ));
    }
    if r.enis == 1 {
        w.push("custom networking leaves no ENI for pods".to_string());
    }
    w
}

/// Picks instance types: every catalog type (sorted by name) with `all`, else the named ones
/// in the order given (duplicates dropped). Unknown names are all reported, each with
/// "did you mean" suggestions; neither names nor `all`, or both, is an error.
pub fn select(names: &[String], all: bool) -> Result<Vec<&'static InstanceType>, String> {
    match (names.is_empty(), all) {
        (true, false) => return Err(
            "no instance type given: use --instance-type T (repeatable), --all, or --scenario FILE"
                .into(),
        ),
        (false, true) => {
            return Err("give either --instance-type or --all, not both".into());
        }
        (true, true) => return Ok(catalog::all().iter().collect()),
        (false, false) => {}
    }
    let mut found: Vec<&'static InstanceType> = Vec::new();
    let mut unknown = Vec::new();
    for name in names {
        match catalog::lookup(name) {
            Some(t) if !found.iter().any(|f| f.name == t.name) => found.push(t),
            Some(_) => {}
            None => unknown.push(format!(
                "unknown instance type \"{name}\"; did you mean {}?",
                catalog::suggest(name).join(", ")
            )),
        }
    }
    if unknown.is_empty() {
        Ok(found)
    } else {
        Err(unknown.join("\n"))
    }
}

fn opt(v: Option<u32>) -> String {
    v.map(|n| n.to_string()).unwrap_or_default()
}

/// The row's cells in [`CSV_HEADER`] order; unknown values are empty strings.
fn cells(r: &CapacityRow) -> [String; 12] {
    [
        r.instance_type.clone(),
        r.hypervisor.clone(),
        opt(r.vcpus),
        r.enis.to_string(),
        r.ipv4_per_eni.to_string(),
        r.max_pods.to_string(),
        r.pod_ips.to_string(),
        opt(r.max_pods_prefix_delegation),
        r.pod_ips_prefix_delegation.to_string(),
        opt(r.max_pods_custom_networking),
        r.pod_ips_custom_networking.to_string(),
        r.warnings.join("; "),
    ]
}

/// Writes the rows as CSV with the [`CSV_HEADER`] columns; unknown values are empty cells and
/// several warnings are joined with `"; "`.
pub fn write_csv(rows: &[CapacityRow], w: impl Write) -> io::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record(CSV_HEADER).map_err(io_error)?;
    for r in rows {
        out.write_record(cells(r)).map_err(io_error)?;
    }
    out.flush()
}

/// Writes the rows as a JSON array, one object per instance type (unknown values `null`).
pub fn write_json(rows: &[CapacityRow], mut w: impl Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut w, rows)?;
    writeln!(w)?;
    w.flush()
}

/// Keeps the underlying I/O error (and its kind, e.g. `BrokenPipe`) of a CSV write error.
pub(crate) fn io_error(e: csv::Error) -> io::Error {
    let message = e.to_string();
    match e.into_kind() {
        csv::ErrorKind::Io(inner) => inner,
        _ => io::Error::other(message),
    }
}

/// Short column titles for [`write_table`].
const TABLE_HEADER: [&str; 12] = [
    "TYPE",
    "HYPERVISOR",
    "VCPUS",
    "ENIS",
    "IPV4/ENI",
    "MAX_PODS",
    "POD_IPS",
    "PD_MAX_PODS",
    "PD_POD_IPS",
    "CN_MAX_PODS",
    "CN_POD_IPS",
    "WARNING",
];

/// Writes an aligned, human-readable table (text columns left-aligned, numbers right-aligned,
/// `-` for unknown values) followed by a blank line and the [`TABLE_LEGEND`].
pub fn write_table(rows: &[CapacityRow], mut w: impl Write) -> io::Result<()> {
    let body: Vec<[String; 12]> = rows
        .iter()
        .map(|r| cells(r).map(|c| if c.is_empty() { "-".to_string() } else { c }))
        .collect();
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

fn table_line(cells: &[String; 12], widths: &[usize; 12]) -> String {
    let mut line = String::new();
    for (i, (c, &width)) in cells.iter().zip(widths).enumerate() {
        if i > 0 {
            line.push_str("  ");
        }
        let pad = width.saturating_sub(c.chars().count());
        let numeric = (2..=10).contains(&i);
        if numeric {
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
    use super::*;

    fn one(name: &str) -> CapacityRow {
        capacity_rows(&[catalog::lookup(name).unwrap()]).remove(0)
    }

    #[test]
    fn t3_medium_row() {
        // t3.medium: 3 ENIs x 6 IPv4, nitro, 2 vCPUs.
        // max pods 3*5+2 = 17; pod IPs 15; PD 3*5*16+2 = 242 -> 110, PD IPs 240;
        // CN 2*5+2 = 12, CN IPs 10; 17-2 = 15 > 10 -> warning.
        let r = one("t3.medium");
        assert_eq!((r.max_pods, r.pod_ips), (17, 15));
        assert_eq!(
            (r.max_pods_prefix_delegation, r.pod_ips_prefix_delegation),
            (Some(110), 240)
        );
        assert_eq!(
            (r.max_pods_custom_networking, r.pod_ips_custom_networking),
            (Some(12), 10)
        );
        assert_eq!(
            r.warnings,
            vec!["custom networking: default max pods 17 allows 15 pods for 10 pod IPs"]
        );
    }

    #[test]
    fn table_is_aligned_and_has_legend() {
        let rows = capacity_rows(&[
            catalog::lookup("t3.medium").unwrap(),
            catalog::lookup("bmn-sf1.metal").unwrap(),
        ]);
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
        assert_eq!(lines[3], "");
        assert!(lines[4].starts_with("PD = prefix delegation"));
    }
}
