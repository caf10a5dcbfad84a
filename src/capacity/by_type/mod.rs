//! Per-instance-type pod capacity: max pods and pod IPs in secondary-IP mode, with prefix
//! delegation and with custom networking, branch ENIs for security groups for pods, plus
//! warnings about combinations that bite.
//!
//! Every number comes from [`crate::catalog`]; nothing here re-derives the published
//! formulas. [`select`] picks the types, [`capacity_rows`] computes one [`CapacityRow`] per
//! type, and [`write_table`], [`write_csv`] and [`write_json`] write them.

mod select;
mod write;

pub use select::select;
pub use write::{write_csv, write_json, write_table, CapacityCsvRow, CSV_HEADER, TABLE_LEGEND};

use crate::catalog::InstanceType;

/// One instance type's capacity; also the JSON object `capacity --format json` writes per
/// type (field names as here, `null` for `None`). Pods and IPs are counts per node.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CapacityRow {
    /// EC2 instance type name, e.g. `m5.large`.
    pub instance_type: String,
    /// Hypervisor as the CNI's table gives it: `nitro`, `xen` or `unknown`.
    pub hypervisor: String,
    /// Default vCPU count (vCPUs); `None` when unknown (`bmn-sf1.metal`).
    pub vcpus: Option<u32>,
    /// ENIs on the default network card (ENIs).
    pub enis: u32,
    /// IPv4 addresses per ENI, the ENI's primary address included (addresses).
    pub ipv4_per_eni: u32,
    /// kubelet max pods in secondary-IP mode: ENIs × (IPv4 − 1) + 2 (`eni-max-pods.txt`;
    /// pods).
    pub max_pods: u32,
    /// Secondary IPs available to pods in secondary-IP mode: ENIs × (IPv4 − 1) (addresses).
    pub pod_ips: u32,
    /// What the EKS max-pods calculator (`max-pods-calculator.sh`) recommends in
    /// secondary-IP mode: the same formula as `max_pods` (with `--max-eni`, at most that
    /// many ENIs), capped at 110 up to 30 vCPUs and 250 above (pods); `None` when the vCPU
    /// count, and so the cap, is unknown.
    pub calculator_max_pods: Option<u32>,
    /// Max-pods calculator value with prefix delegation (110/250 cap; pods); `None` when the
    /// vCPU count, and so the cap, is unknown.
    pub max_pods_prefix_delegation: Option<u32>,
    /// Pod IPs with prefix delegation: ENIs × (IPv4 − 1) × 16 where the CNI supports it
    /// (Nitro or bare metal), else the secondary-IP count (addresses).
    pub pod_ips_prefix_delegation: u32,
    /// Max-pods calculator value with custom networking (pods); `None` when vCPUs are
    /// unknown.
    pub max_pods_custom_networking: Option<u32>,
    /// Pod IPs with custom networking (the primary ENI carries no pods): (ENIs − 1) ×
    /// (IPv4 − 1) (addresses).
    pub pod_ips_custom_networking: u32,
    /// Short warnings, no commas; empty if none.
    pub warnings: Vec<String>,
    /// Whether the VPC resource controller can attach a trunk ENI (security groups for
    /// pods); `false` also for types its table does not list.
    pub trunking_compatible: bool,
    /// Branch ENIs per node for security groups for pods (ENIs, one per selected pod);
    /// `None` when the type is not trunking-compatible.
    pub branch_enis: Option<u32>,
    /// Network cards (cards); 1 for most types.
    pub network_cards: u32,
    /// ENIs ipamd can attach to each network card with `ENABLE_MULTI_NIC=true`, card 0 first
    /// (ENIs; [`InstanceType::card_enis`]). The CSV joins them with `;`.
    pub enis_per_card: Vec<u32>,
    /// Pod IPs on all network cards with `ENABLE_MULTI_NIC=true`, secondary-IP mode: the sum
    /// over cards of ENIs × (IPv4 − 1) (addresses). `pod_ips` on a one-card type.
    pub pod_ips_multi_nic: u32,
    /// The same with prefix delegation: × 16 where the CNI supports it (addresses).
    pub pod_ips_multi_nic_prefix_delegation: u32,
    /// Pods annotated `multi-nic-attachment` whose addresses a node can hold with
    /// `ENABLE_MULTI_NIC=true`, secondary-IP mode: each takes one address on every card, so
    /// the card with the fewest pod IPs bounds them (pods).
    pub multi_homed_pods_max: u32,
}

/// Builds one row per type, in the order given. `max_eni` is the calculator's
/// `--cni-max-eni` (`capacity --max-eni`): it bounds the calculator's values.
pub fn capacity_rows(types: &[&InstanceType], max_eni: Option<u32>) -> Vec<CapacityRow> {
    types.iter().map(|t| row(t, max_eni)).collect()
}

fn row(t: &InstanceType, max_eni: Option<u32>) -> CapacityRow {
    let calculator = |pd, cn| t.vcpus.map(|_| t.calculator_max_pods_with(pd, cn, max_eni));
    let mut r = CapacityRow {
        instance_type: t.name.clone(),
        hypervisor: t.hypervisor.clone(),
        vcpus: t.vcpus,
        enis: t.max_enis,
        ipv4_per_eni: t.ipv4_per_eni,
        max_pods: t.default_max_pods(),
        pod_ips: t.pod_ips(false, false),
        calculator_max_pods: calculator(false, false),
        max_pods_prefix_delegation: calculator(true, false),
        pod_ips_prefix_delegation: t.pod_ips(true, false),
        max_pods_custom_networking: calculator(false, true),
        pod_ips_custom_networking: t.pod_ips(false, true),
        warnings: Vec::new(),
        trunking_compatible: t.trunking_compatible(),
        branch_enis: t.branch_enis(),
        network_cards: u32::try_from(t.cards()).unwrap_or(u32::MAX),
        enis_per_card: (0..t.cards()).map(|c| t.card_enis(c)).collect(),
        pod_ips_multi_nic: t.multi_nic_pod_ips(false, false),
        pod_ips_multi_nic_prefix_delegation: t.multi_nic_pod_ips(true, false),
        multi_homed_pods_max: t.multi_homed_pods(false, false),
    };
    r.warnings = warnings(&r, t.supports_prefix_delegation());
    r
}

fn warnings(r: &CapacityRow, prefix_delegation: bool) -> Vec<String> {
    let mut w = Vec::new();
    let pods = r.max_pods.saturating_sub(2);
    if pods > r.pod_ips_custom_networking {
        w.push(format!(
            "custom networking: default max pods {} allows {} for {}",
            r.max_pods,
            crate::text::Count(pods.into(), "pod", "pods"),
            crate::text::Count(r.pod_ips_custom_networking.into(), "pod IP", "pod IPs")
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
    if r.network_cards > 1 {
        // Karpenter's ENILimitedPods counts the default card's ENIs only: the same formula
        // as eni-max-pods, so its max pods is `max_pods`.
        w.push(format!(
            "multi-NIC: Karpenter's max pods {} counts card 0 only but with ENABLE_MULTI_NIC \
             the CNI can attach {} on {} cards",
            r.max_pods,
            crate::text::Count(r.pod_ips_multi_nic.into(), "pod IP", "pod IPs"),
            r.network_cards
        ));
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog;

    fn one(name: &str) -> CapacityRow {
        capacity_rows(&[catalog::lookup(name).unwrap()], None).remove(0)
    }

    #[test]
    fn t3_medium_row() {
        // t3.medium: 3 ENIs x 6 IPv4, nitro, 2 vCPUs.
        // max pods 3*5+2 = 17; pod IPs 15; PD 3*5*16+2 = 242 -> 110, PD IPs 240;
        // CN 2*5+2 = 12, CN IPs 10; 17-2 = 15 > 10 -> warning.
        // data/branch-eni-limits.csv: "t3.medium,false,0": no branch ENIs.
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
        assert_eq!((r.trunking_compatible, r.branch_enis), (false, None));
    }

    #[test]
    fn multi_card_rows() {
        // c6in.32xlarge: 2 cards of 8 ENIs, 50 IPv4 per ENI (data/instance-types.csv "8;8").
        // Multi-NIC pod IPs 2 x 8 x (50 - 1) = 784; with prefixes x 16 = 12544; multi-homed
        // pods 8 x 49 = 392 (one address on each card); Karpenter's max pods counts card 0
        // only: 8 x 49 + 2 = 394 (the max_pods column).
        let r = one("c6in.32xlarge");
        assert_eq!((r.network_cards, r.enis_per_card.clone()), (2, vec![8, 8]));
        assert_eq!(
            (r.pod_ips_multi_nic, r.pod_ips_multi_nic_prefix_delegation),
            (784, 12544)
        );
        assert_eq!((r.multi_homed_pods_max, r.max_pods), (392, 394));
        assert_eq!(
            r.warnings.last().map(String::as_str),
            Some(
                "multi-NIC: Karpenter's max pods 394 counts card 0 only but with \
                 ENABLE_MULTI_NIC the CNI can attach 784 pod IPs on 2 cards"
            )
        );
        // p5.48xlarge: 32 cards of 2 ENIs, 50 IPv4: 32 x 2 x 49 = 3136 pod IPs, 98
        // multi-homed pods (2 x 49 per card), Karpenter 2 x 49 + 2 = 100.
        let p = one("p5.48xlarge");
        assert_eq!((p.network_cards, p.enis_per_card.len()), (32, 32));
        assert_eq!(
            (p.pod_ips_multi_nic, p.multi_homed_pods_max, p.max_pods),
            (3136, 98, 100)
        );
        assert!(p
            .warnings
            .iter()
            .any(|w| w.contains("max pods 100 counts card 0 only")));
        // One card: the multi-NIC columns repeat card 0's, and no multi-NIC warning
        // (t3.medium: 3 ENIs, 15 pod IPs, 240 with prefixes).
        let t = one("t3.medium");
        assert_eq!((t.network_cards, t.enis_per_card.clone()), (1, vec![3]));
        assert_eq!(
            (t.pod_ips_multi_nic, t.pod_ips_multi_nic_prefix_delegation),
            (15, 240)
        );
        assert_eq!(t.multi_homed_pods_max, 15);
        assert!(t.warnings.iter().all(|w| !w.starts_with("multi-NIC")));
    }

    #[test]
    fn m5_large_has_branch_enis() {
        // data/branch-eni-limits.csv: "m5.large,true,9".
        let r = one("m5.large");
        assert_eq!((r.trunking_compatible, r.branch_enis), (true, Some(9)));
    }
}
