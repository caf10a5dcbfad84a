//! The EC2 instance-type table, embedded from `data/instance-types.csv` (networking limits)
//! joined with `data/instance-vcpus.csv` (vCPU counts), and the branch-ENI table of security
//! groups for pods, embedded from `data/branch-eni-limits.csv`.
//!
//! Values come from the VPC CNI's `pkg/vpc/vpc_ip_resource_limit.go` and the VPC resource
//! controller's `pkg/aws/vpc/limits.go` (see `data/README.md`); the vCPU counts from the
//! sources `data/README.md` lists.

use std::sync::OnceLock;

mod cards;

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
    /// Maximum ENIs on each network card (ENIs), by network-card index; card 0 first.
    /// `network_cards[0] == max_enis` for every type in the table (a test checks it).
    pub network_cards: Vec<u32>,
}

impl InstanceType {
    /// Network cards of the type (cards; at least 1 for every type in the table).
    pub fn cards(&self) -> usize {
        self.network_cards.len()
    }

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
        self.calculator_max_pods_with(prefix_delegation, custom_networking, None)
    }

    /// [`InstanceType::calculator_max_pods`] with the calculator's `--cni-max-eni N`: at most
    /// `N` ENIs count (`min(N, ENIs)`, before custom networking's one fewer), as the script
    /// does (pods).
    pub fn calculator_max_pods_with(
        &self,
        prefix_delegation: bool,
        custom_networking: bool,
        max_eni: Option<u32>,
    ) -> u32 {
        let enis = max_eni.map_or(self.max_enis, |n| n.min(self.max_enis));
        let enis = if custom_networking {
            enis.saturating_sub(1)
        } else {
            enis
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

    /// Addresses a node can hold for pods (IPs): ENIs (one fewer with custom networking, whose
    /// primary ENI carries no pods) × (IPv4 per ENI − 1), × 16 with prefix delegation where
    /// the CNI supports it ([`InstanceType::supports_prefix_delegation`]). No pod on a node
    /// of this type can get an address beyond this count.
    pub fn pod_ips(&self, prefix_delegation: bool, custom_networking: bool) -> u32 {
        let enis = if custom_networking {
            self.max_enis.saturating_sub(1)
        } else {
            self.max_enis
        };
        let ips = enis.saturating_mul(self.ipv4_per_eni.saturating_sub(1));
        if prefix_delegation && self.supports_prefix_delegation() {
            ips.saturating_mul(IPS_PER_PREFIX)
        } else {
            ips
        }
    }

    /// The VPC resource controller's limits for this type, if its table lists the type.
    pub fn branch_eni_limit(&self) -> Option<&'static BranchEniLimit> {
        branch_eni_limit(&self.name)
    }

    /// Whether the VPC resource controller can attach a trunk ENI to a node of this type
    /// (security groups for pods, `ENABLE_POD_ENI`); `false` also for the types its table
    /// does not list.
    pub fn trunking_compatible(&self) -> bool {
        self.branch_eni_limit()
            .is_some_and(|b| b.trunking_compatible)
    }

    /// Branch ENIs per node (ENIs; one per pod that a SecurityGroupPolicy selects) when the
    /// type is trunking-compatible; `None` otherwise.
    pub fn branch_enis(&self) -> Option<u32> {
        self.branch_eni_limit()
            .filter(|b| b.trunking_compatible)
            .map(|b| b.branch_interfaces)
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

/// Addresses in one delegated IPv4 prefix (a /28).
const IPS_PER_PREFIX: u32 = 16;

const TABLE: &str = include_str!("../data/instance-types.csv");
const VCPU_TABLE: &str = include_str!("../data/instance-vcpus.csv");

/// All instance types, sorted by name (byte order).
pub fn all() -> &'static [InstanceType] {
    static CATALOG: OnceLock<Vec<InstanceType>> = OnceLock::new();
    CATALOG.get_or_init(|| parse_table(TABLE, VCPU_TABLE))
}

/// One row of `data/instance-types.csv`.
#[derive(serde::Deserialize)]
struct LimitRow {
    instance_type: String,
    max_enis: u32,
    ipv4_per_eni: u32,
    hypervisor: String,
    bare_metal: bool,
    /// Maximum ENIs per network card, by card index, joined by `;` (e.g. `8;8`).
    network_card_max_enis: String,
}

/// One row of `data/instance-vcpus.csv`.
#[derive(serde::Deserialize)]
struct VcpuRow {
    instance_type: String,
    /// Empty when unknown.
    vcpus: Option<u32>,
}

/// The rows of the embedded files, joined by name. Both files are part of the binary and
/// checked by tests (row counts, the same names in both, card 0 = `max_enis`); a row that
/// does not parse is left out, which those tests would catch at build time, never at run time.
fn parse_table(limits: &str, vcpus: &str) -> Vec<InstanceType> {
    let vcpus: std::collections::HashMap<String, Option<u32>> =
        csv::Reader::from_reader(vcpus.as_bytes())
            .deserialize::<VcpuRow>()
            .filter_map(Result::ok)
            .map(|r| (r.instance_type, r.vcpus))
            .collect();
    let mut out: Vec<InstanceType> = csv::Reader::from_reader(limits.as_bytes())
        .deserialize::<LimitRow>()
        .filter_map(Result::ok)
        .filter_map(|r| {
            let network_cards = r
                .network_card_max_enis
                .split(';')
                .map(str::parse)
                .collect::<Result<Vec<u32>, _>>()
                .ok()?;
            Some(InstanceType {
                vcpus: vcpus.get(&r.instance_type).copied().flatten(),
                name: r.instance_type,
                max_enis: r.max_enis,
                ipv4_per_eni: r.ipv4_per_eni,
                hypervisor: r.hypervisor,
                bare_metal: r.bare_metal,
                network_cards,
            })
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
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

/// One row of the VPC resource controller's limits (`data/branch-eni-limits.csv`): what a
/// node of the type gets for security groups for pods.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
pub struct BranchEniLimit {
    /// EC2 name, e.g. `m5.large`.
    pub instance_type: String,
    /// Whether the controller can attach a trunk ENI (`IsTrunkingCompatible`). The trunk ENI
    /// takes one of the node's ENI slots.
    pub trunking_compatible: bool,
    /// Branch ENIs per node (`BranchInterface`; ENIs); 0 when not trunking-compatible.
    pub branch_interfaces: u32,
}

const BRANCH_TABLE: &str = include_str!("../data/branch-eni-limits.csv");

/// Every row of the branch-ENI table, sorted by name (byte order). The table lists 1,163 of
/// the 1,391 instance types; the others are not trunking-compatible.
pub fn branch_eni_limits() -> &'static [BranchEniLimit] {
    static BRANCH: OnceLock<Vec<BranchEniLimit>> = OnceLock::new();
    BRANCH.get_or_init(|| parse_branch_table(BRANCH_TABLE))
}

/// The rows of the embedded file; a row that does not parse is left out (a test checks the
/// row count, so that would be caught at build time, never at run time).
fn parse_branch_table(text: &str) -> Vec<BranchEniLimit> {
    let mut rows: Vec<BranchEniLimit> = csv::Reader::from_reader(text.as_bytes())
        .deserialize()
        .filter_map(Result::ok)
        .collect();
    rows.sort_by(|a, b| a.instance_type.cmp(&b.instance_type));
    rows
}

/// Looks a type up in the branch-ENI table by its exact name.
pub fn branch_eni_limit(name: &str) -> Option<&'static BranchEniLimit> {
    let table = branch_eni_limits();
    table
        .binary_search_by(|b| b.instance_type.as_str().cmp(name))
        .ok()
        .map(|i| &table[i])
}

/// Longest input (characters) for which [`suggest_near`] computes suggestions: far longer
/// than any type name (the longest has 19 characters), so no typo is missed, and short
/// enough that the edit distances stay cheap whatever the input.
pub const SUGGEST_MAX_CHARS: usize = 64;

/// Up to three known names closest to `name` (Levenshtein distance over characters, ties by
/// name), for "did you mean" hints; none for a name longer than [`SUGGEST_MAX_CHARS`]
/// (no type name is near it). Bounded work on any input: at most 64 × 19 steps per type.
pub fn suggest_near(name: &str) -> Vec<&'static str> {
    // Byte length first: no pass over a huge input.
    if name.len() > SUGGEST_MAX_CHARS * 4 || name.chars().count() > SUGGEST_MAX_CHARS {
        return Vec::new();
    }
    let lower = name.to_ascii_lowercase();
    let mut scored: Vec<(usize, &'static str)> = all()
        .iter()
        .map(|t| (strsim::levenshtein(&lower, &t.name), t.name.as_str()))
        .collect();
    scored.sort_unstable();
    scored.into_iter().take(3).map(|(_, n)| n).collect()
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
    fn vcpu_file_lists_the_same_types_in_the_same_order() {
        // Every type of instance-types.csv is in instance-vcpus.csv and the other way round,
        // row for row (both sorted by name in byte order), each once.
        let names = |text: &str| -> Vec<String> {
            text.lines()
                .skip(1)
                .map(|l| l.split(',').next().unwrap_or("").to_string())
                .collect()
        };
        assert_eq!(
            VCPU_TABLE.lines().next(),
            Some("instance_type,vcpus,vcpus_source")
        );
        let limits = names(TABLE);
        assert_eq!(limits, names(VCPU_TABLE));
        assert_eq!(limits.len(), 1391);
        // data/README.md: only bmn-sf1.metal has an unknown vCPU count.
        let unknown: Vec<&str> = all()
            .iter()
            .filter(|t| t.vcpus.is_none())
            .map(|t| t.name.as_str())
            .collect();
        assert_eq!(unknown, ["bmn-sf1.metal"]);
    }

    #[test]
    fn network_cards_start_with_the_default_card() {
        // data/README.md: card 0 is the default card of every type, and the CNI's ENILimit is
        // the default card's MaximumNetworkInterfaces.
        for t in all() {
            assert_eq!(t.network_cards.first(), Some(&t.max_enis), "{}", t.name);
        }
        // 1324 types have one card; 67 have more (54 + 5 + 2 + 3 + 1 + 2).
        assert_eq!(all().iter().filter(|t| t.cards() == 1).count(), 1324);
        assert_eq!(all().iter().filter(|t| t.cards() > 1).count(), 67);
        // The network_cards column of the file is the number of entries of the list.
        for line in TABLE.lines().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            let t = lookup(f[0]).unwrap();
            assert_eq!(t.cards().to_string(), f[5], "{}", t.name);
        }
        // c6in.32xlarge: 2 cards of 8 ENIs; p5.48xlarge: 32 cards of 2;
        // p6-b300.48xlarge: 17 cards.
        assert_eq!(lookup("c6in.32xlarge").unwrap().network_cards, [8, 8]);
        assert_eq!(lookup("p5.48xlarge").unwrap().network_cards, [2; 32]);
        assert_eq!(lookup("p6-b300.48xlarge").unwrap().cards(), 17);
        assert_eq!(lookup("t3.medium").unwrap().network_cards, [3]);
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
        assert!(suggest_near("m5.larg").contains(&"m5.large"));
        assert!(suggest_near("t3.medum").contains(&"t3.medium"));
    }

    #[test]
    fn bounded_suggestions_match_the_unbounded_ones_and_skip_huge_inputs() {
        // m5.larg is one insertion from m5.large; upper case is folded first
        assert_eq!(suggest_near("m5.larg")[0], "m5.large");
        assert_eq!(suggest_near("M5.LARGE")[0], "m5.large");
        let longest = all().iter().map(|t| t.name.chars().count()).max();
        assert_eq!(longest, Some(19));
        // 64 characters still get hints; 65 do not, whatever they are.
        assert_eq!(suggest_near(&"m".repeat(SUGGEST_MAX_CHARS)).len(), 3);
        assert!(suggest_near(&"m".repeat(SUGGEST_MAX_CHARS + 1)).is_empty());
        assert!(suggest_near(&"é".repeat(1 << 20)).is_empty());
    }

    #[test]
    fn pod_ips_per_mode() {
        let m = lookup("m5.large").unwrap();
        // 3 ENIs x 9: 27; PD x 16 = 432; CN 2 x 9 = 18; CN + PD 288.
        assert_eq!(
            (
                m.pod_ips(false, false),
                m.pod_ips(true, false),
                m.pod_ips(false, true),
                m.pod_ips(true, true)
            ),
            (27, 432, 18, 288)
        );
        // m4.large (xen) 2 x 9 = 18, no prefixes on xen.
        assert_eq!(lookup("m4.large").unwrap().pod_ips(true, false), 18);
    }

    #[test]
    fn branch_table_has_every_row_sorted_and_only_known_types() {
        // data/README.md: 1163 rows; every one names a type of instance-types.csv.
        let b = branch_eni_limits();
        assert_eq!(b.len(), 1163);
        assert_eq!(
            BRANCH_TABLE.lines().next(),
            Some("instance_type,trunking_compatible,branch_interfaces")
        );
        assert_eq!(BRANCH_TABLE.lines().skip(1).count(), 1163);
        // The file itself is sorted by name (byte order), names unique.
        let names: Vec<&str> = BRANCH_TABLE
            .lines()
            .skip(1)
            .filter_map(|l| l.split(',').next())
            .collect();
        assert!(names.windows(2).all(|w| w[0] < w[1]));
        assert!(b
            .windows(2)
            .all(|w| w[0].instance_type < w[1].instance_type));
        let unknown: Vec<&str> = b
            .iter()
            .filter(|r| lookup(&r.instance_type).is_none())
            .map(|r| r.instance_type.as_str())
            .collect();
        assert!(unknown.is_empty(), "{unknown:?}");
        // 1391 - 1163 = 228 of our types are not listed (not trunking-compatible).
        let unlisted = all()
            .iter()
            .filter(|t| t.branch_eni_limit().is_none())
            .count();
        assert_eq!(unlisted, 228);
        // Compatible exactly when the controller gives at least one branch ENI.
        assert!(b
            .iter()
            .all(|r| r.trunking_compatible == (r.branch_interfaces > 0)));
    }

    #[test]
    fn branch_enis_examples() {
        // data/branch-eni-limits.csv: "m5.large,true,9", "t3.medium,false,0".
        let m = lookup("m5.large").unwrap();
        assert!(m.trunking_compatible());
        assert_eq!(m.branch_enis(), Some(9));
        let t = lookup("t3.medium").unwrap();
        assert!(!t.trunking_compatible());
        assert_eq!(t.branch_enis(), None);
        assert_eq!(t.branch_eni_limit().map(|b| b.branch_interfaces), Some(0));
        // bmn-sf1.metal is not in the controller's table at all.
        let bmn = lookup("bmn-sf1.metal").unwrap();
        assert_eq!((bmn.branch_eni_limit(), bmn.branch_enis()), (None, None));
    }
}
