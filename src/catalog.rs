//! The EC2 instance-type table, embedded from `data/instance-types.csv`.
//!
//! Values come from the VPC CNI's `pkg/vpc/vpc_ip_resource_limit.go` (see `data/README.md`).

use std::sync::OnceLock;

/// One EC2 instance type's networking limits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstanceType {
    /// EC2 name, e.g. `t3.medium`.
    pub name: String,
    /// ENIs on the default network card (`L_eni`).
    pub max_enis: u32,
    /// IPv4 addresses per ENI, the ENI's primary address included (`L_ip`).
    pub ipv4_per_eni: u32,
    /// Hypervisor as the CNI table gives it: `nitro`, `xen` or `unknown`.
    pub hypervisor: String,
    /// Bare-metal type.
    pub bare_metal: bool,
    /// Default vCPU count, if known.
    pub vcpus: Option<u32>,
}

impl InstanceType {
    /// kubelet max pods as `misc/eni-max-pods.txt` computes it:
    /// `ENIs × (IPv4 per ENI − 1) + 2` (pods).
    pub fn default_max_pods(&self) -> u32 {
        self.max_enis * (self.ipv4_per_eni - 1) + 2
    }

    /// Whether the CNI supports prefix delegation here (Nitro or bare metal,
    /// `IsPrefixDelegationSupported`).
    pub fn supports_prefix_delegation(&self) -> bool {
        self.hypervisor == "nitro" || self.bare_metal
    }

    /// The EKS max-pods calculator's value (`max-pods-calculator.sh`, default output):
    /// ENIs (minus one with custom networking) × IPs per ENI (× 16 with prefix delegation on
    /// a Nitro type) + 2, capped at 110 for ≤ 30 vCPUs and 250 above. An unknown vCPU count
    /// is treated as ≤ 30 (pods).
    pub fn calculator_max_pods(&self, prefix_delegation: bool, custom_networking: bool) -> u32 {
        let enis = if custom_networking {
            self.max_enis.saturating_sub(1)
        } else {
            self.max_enis
        };
        let per_eni = self.ipv4_per_eni - 1;
        let raw = if prefix_delegation && self.hypervisor == "nitro" {
            enis * per_eni * 16 + 2
        } else {
            enis * per_eni + 2
        };
        let ceiling = if self.vcpus.is_some_and(|v| v > 30) {
            250
        } else {
            110
        };
        raw.min(ceiling)
    }

    /// kubelet max pods when a nodegroup does not set `max_pods` (pods): the
    /// `eni-max-pods.txt` value in plain secondary-IP mode, the max-pods calculator's value
    /// when prefix delegation or custom networking is on (as EKS documents for those modes).
    pub fn kubelet_max_pods(&self, prefix_delegation: bool, custom_networking: bool) -> u32 {
        if prefix_delegation || custom_networking {
            self.calculator_max_pods(prefix_delegation, custom_networking)
        } else {
            self.default_max_pods()
        }
    }
}

const TABLE: &str = include_str!("../data/instance-types.csv");

/// All instance types, sorted by name (byte order).
pub fn all() -> &'static [InstanceType] {
    static CATALOG: OnceLock<Vec<InstanceType>> = OnceLock::new();
    CATALOG.get_or_init(|| parse_table(TABLE))
}

fn parse_table(text: &str) -> Vec<InstanceType> {
    let mut out = Vec::new();
    for line in text.lines().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split(',').collect();
        // The file is part of the binary and checked by a test; a malformed row is a build bug.
        out.push(InstanceType {
            name: f[0].to_string(),
            max_enis: f[1].parse().expect("max_enis"),
            ipv4_per_eni: f[2].parse().expect("ipv4_per_eni"),
            hypervisor: f[3].to_string(),
            bare_metal: f[4] == "true",
            vcpus: f[7].parse().ok(),
        });
    }
    out
}

/// Looks an instance type up by its exact name.
pub fn lookup(name: &str) -> Option<&'static InstanceType> {
    let table = all();
    table
        .binary_search_by(|t| t.name.as_str().cmp(name))
        .ok()
        .map(|i| &table[i])
}

/// Up to three known names closest to `name` (edit distance), for "did you mean" hints.
pub fn suggest(name: &str) -> Vec<&'static str> {
    let lower = name.to_ascii_lowercase();
    let mut scored: Vec<(usize, &'static str)> = all()
        .iter()
        .map(|t| (edit_distance(&lower, &t.name), t.name.as_str()))
        .collect();
    scored.sort();
    scored.into_iter().take(3).map(|(_, n)| n).collect()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_every_row() {
        // data/README.md: 1391 rows excluding the header.
        assert_eq!(all().len(), 1391);
        assert!(all().windows(2).all(|w| w[0].name < w[1].name));
    }

    #[test]
    fn spec_examples() {
        // spec a.2: t3.small 3 ENIs x 4 IPv4; m5.large 3 x 10; m5.xlarge 4 x 15; p3dn.24xlarge 15 x 50.
        let t = lookup("t3.small").unwrap();
        assert_eq!((t.max_enis, t.ipv4_per_eni), (3, 4));
        let m = lookup("m5.large").unwrap();
        assert_eq!((m.max_enis, m.ipv4_per_eni), (3, 10));
        assert_eq!(lookup("m5.xlarge").unwrap().ipv4_per_eni, 15);
        assert_eq!(lookup("p3dn.24xlarge").unwrap().max_enis, 15);
        // t3.medium: 3 x (6 - 1) + 2 = 17 (eni-max-pods.txt)
        assert_eq!(lookup("t3.medium").unwrap().default_max_pods(), 17);
    }

    #[test]
    fn default_max_pods_equals_published_table_for_every_type() {
        let published = include_str!("../data/eni-max-pods.csv");
        let mut rows = 0;
        for line in published.lines().skip(1) {
            let (name, pods) = line.split_once(',').unwrap();
            let t = lookup(name).unwrap_or_else(|| panic!("{name} missing from catalog"));
            assert_eq!(t.default_max_pods(), pods.parse::<u32>().unwrap(), "{name}");
            rows += 1;
        }
        assert_eq!(rows, all().len());
    }

    #[test]
    fn prefix_delegation_max_pods_equals_published_table_for_every_type() {
        let published = include_str!("../data/max-pods-prefix-delegation.csv");
        let mut rows = 0;
        for line in published.lines().skip(1) {
            let (name, pods) = line.split_once(',').unwrap();
            let t = lookup(name).unwrap();
            assert_eq!(
                t.calculator_max_pods(true, false),
                pods.parse::<u32>().unwrap(),
                "{name}"
            );
            rows += 1;
        }
        // data/README.md: 1390 rows (bmn-sf1.metal left out: unknown vCPUs)
        assert_eq!(rows, 1390);
    }

    /// C50: calculator values with and without custom networking.
    #[test]
    fn c50_calculator_examples() {
        let v = |n: &str, pd, cn| lookup(n).unwrap().calculator_max_pods(pd, cn);
        // t3.small: SIP 11; PD 3·3·16+2 = 146 -> 110; CN SIP 2·3+2 = 8
        assert_eq!(
            (
                v("t3.small", false, false),
                v("t3.small", true, false),
                v("t3.small", false, true)
            ),
            (11, 110, 8)
        );
        // m5.large: 29; 434 -> 110; CN 2·9+2 = 20
        assert_eq!(
            (
                v("m5.large", false, false),
                v("m5.large", true, false),
                v("m5.large", false, true)
            ),
            (29, 110, 20)
        );
        // m5.4xlarge (16 vCPU): SIP 234 -> 110; CN 7·29+2 = 205 -> 110
        assert_eq!(
            (v("m5.4xlarge", false, false), v("m5.4xlarge", false, true)),
            (110, 110)
        );
        // c5.18xlarge (72 vCPU): 737 -> 250; PD 11762 -> 250; CN 14·49+2 = 688 -> 250
        assert_eq!(
            (
                v("c5.18xlarge", false, false),
                v("c5.18xlarge", true, false),
                v("c5.18xlarge", false, true)
            ),
            (250, 250, 250)
        );
        // plain secondary-IP default stays uncapped: m5.4xlarge 234
        assert_eq!(
            lookup("m5.4xlarge").unwrap().kubelet_max_pods(false, false),
            234
        );
    }

    #[test]
    fn suggests_near_names() {
        assert!(suggest("m5.larg").contains(&"m5.large"));
        assert!(suggest("t3.medum").contains(&"t3.medium"));
    }
}
