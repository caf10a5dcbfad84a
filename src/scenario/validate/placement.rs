//! Where the nodes at start get their primary addresses, and the warnings when a subnet
//! cannot give them one.
//!
//! The model builds the cluster at t = 0 before any event: nodegroup after nodegroup in
//! file order, node after node, node `k` (1-based) of a group in the group's subnet number
//! `(k − 1) mod len` of its `subnet`/`subnets` list (round-robin), each instance taking one
//! free address outside prefix reservations (`Subnet::allocate_ip`). A node that finds none
//! does not launch (`launch_failed`, `InsufficientFreeAddressesInSubnet`). Nothing else takes
//! an address before every node at start has its own, so the counts here are exact.

use super::*;
use crate::text::{plural, Count};

/// A subnet's addresses at t = 0, in disjoint parts, as the model's subnet counts them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StartAddresses {
    /// Addresses in the CIDR.
    pub size: u64,
    /// AWS-reserved: the first four and the last (5).
    pub aws_reserved: u64,
    /// In prefix reservations (only /28 prefixes may use them), AWS-reserved ones aside.
    pub prefix_reserved: u64,
    /// Taken by `used:` outside the two above.
    pub used: u64,
    /// Free for single addresses (an instance's primary IP, a secondary IP): the rest.
    pub free: u64,
}

/// What a subnet holds at t = 0 ([`StartAddresses`]); `Subnet::free_for_ips` of the model's
/// subnet equals its `free` (tested there).
pub fn start_addresses(spec: &SubnetSpec) -> StartAddresses {
    const FREE: u8 = 0;
    const AWS: u8 = 1;
    const PREFIX: u8 = 2;
    const USED: u8 = 3;
    let size = spec.cidr.size();
    let mut map = vec![FREE; size as usize];
    let last = map.len() - 1;
    for off in [0, 1, 2, 3, last] {
        map[off] = AWS;
    }
    let offset = |addr: u32| (u64::from(addr) - u64::from(spec.cidr.base)) as usize;
    for r in &spec.reservations {
        let first = offset(r.base);
        for slot in &mut map[first..first + r.size() as usize] {
            if *slot == FREE {
                *slot = PREFIX;
            }
        }
    }
    let count = |map: &[u8], kind: u8| map.iter().filter(|&&k| k == kind).count() as u64;
    let used = match &spec.used {
        UsedSpec::None => 0,
        // drawn among the free addresses outside reservations
        UsedSpec::Count(n) => u64::from(*n).min(count(&map, FREE)),
        UsedSpec::Ranges(ranges) => {
            for &(a, b) in ranges {
                for slot in &mut map[offset(a)..=offset(b)] {
                    if *slot == FREE {
                        *slot = USED;
                    }
                }
            }
            count(&map, USED)
        }
    };
    let prefix_reserved = count(&map, PREFIX);
    StartAddresses {
        size,
        aws_reserved: count(&map, AWS),
        prefix_reserved,
        used,
        free: size - count(&map, AWS) - prefix_reserved - used,
    }
}

/// How many of a group's `count` nodes at start each position of its subnet list gets
/// (round-robin from the first).
fn per_position(count: u32, positions: usize) -> impl Iterator<Item = u64> {
    let (n, len) = (u64::from(count), positions as u64);
    (0..len).map(move |j| n / len + u64::from(j < n % len))
}

impl Checker<'_> {
    /// Warns where the nodes at start need more primary addresses than a subnet has free,
    /// and where a nodegroup's first node finds no free address (module docs: the model's
    /// placement, followed exactly).
    pub(super) fn check_placement(&mut self, sc: &Scenario, top: &FieldPath) {
        let start: Vec<StartAddresses> = sc.subnets.iter().map(start_addresses).collect();
        let mut left: Vec<u64> = start.iter().map(|s| s.free).collect();
        // per subnet: (group, nodes placed there at start, nodes that find no address)
        let mut placed: Vec<Vec<(usize, u64, u64)>> = vec![Vec::new(); sc.subnets.len()];
        let mut first_blocked = Vec::new();
        for (g, ng) in sc.nodegroups.iter().enumerate() {
            let Some(&first) = ng.subnets.first() else {
                continue;
            };
            if ng.count > 0 && left[first] == 0 {
                first_blocked.push(g);
            }
            let mut here = vec![0u64; sc.subnets.len()];
            for (&s, n) in ng
                .subnets
                .iter()
                .zip(per_position(ng.count, ng.subnets.len()))
            {
                here[s] += n;
            }
            for (s, &n) in here.iter().enumerate().filter(|(_, &n)| n > 0) {
                let took = n.min(left[s]);
                left[s] -= took;
                placed[s].push((g, n, n - took));
            }
        }
        for (s, groups) in placed.iter().enumerate() {
            let failed: u64 = groups.iter().map(|&(_, _, f)| f).sum();
            if failed > 0 {
                let message = self.subnet_short(sc, s, &start[s], groups);
                self.warn(&top.key("subnets").index(s).key("cidr"), message);
            }
        }
        for g in first_blocked {
            let ng = &sc.nodegroups[g];
            let s = ng.subnets[0];
            let at = top.key("nodegroups").index(g);
            let key = if locate_nearest(self.root, &at.key("subnet").0)
                != locate_nearest(self.root, &at.0)
            {
                at.key("subnet")
            } else {
                at.key("subnets").index(0)
            };
            let earlier: Vec<String> = placed[s]
                .iter()
                .filter(|&&(h, _, _)| h < g)
                .map(|&(h, n, _)| format!("{} {n}", sc.nodegroups[h].name))
                .collect();
            let why = if earlier.is_empty() || start[s].free == 0 {
                format!(
                    "subnet \"{}\" has no free address for it ({})",
                    sc.subnets[s].name,
                    parts(sc, s, &start[s])
                )
            } else {
                format!(
                    "the nodes at start of earlier nodegroups ({}) take all {} of subnet \"{}\"",
                    earlier.join(", "),
                    Count(start[s].free, "free address", "free addresses"),
                    sc.subnets[s].name,
                )
            };
            self.warn(
                &key,
                format!(
                    "nodegroup \"{}\" cannot place even its first node: {why}; its nodes \
                     there fail to launch (launch_failed, InsufficientFreeAddressesInSubnet)",
                    ng.name,
                ),
            );
        }
        for (g, ng) in sc.nodegroups.iter().enumerate() {
            let grows = ng.autoscaling.is_some() || !ng.launches.is_empty();
            let Some(&s) = ng.subnets.first() else {
                continue;
            };
            if ng.count == 0 && grows && left[s] == 0 {
                let why = if start[s].free == 0 {
                    format!(
                        "subnet \"{}\" has no free address for it",
                        sc.subnets[s].name
                    )
                } else {
                    format!(
                        "the nodes at start take all {} of subnet \"{}\"",
                        Count(start[s].free, "free address", "free addresses"),
                        sc.subnets[s].name
                    )
                };
                self.warn(
                    &top.key("nodegroups").index(g).key("count"),
                    format!(
                        "nodegroup \"{}\" cannot place even its first node: {why}, so its first \
                         launch fails (launch_failed, InsufficientFreeAddressesInSubnet) unless \
                         addresses are released before it",
                        ng.name,
                    ),
                );
            }
        }
    }

    /// The warning for subnet `s`, which cannot give every node at start an address.
    fn subnet_short(
        &self,
        sc: &Scenario,
        s: usize,
        a: &StartAddresses,
        groups: &[(usize, u64, u64)],
    ) -> String {
        let demand: u64 = groups.iter().map(|&(_, n, _)| n).sum();
        let by_group: Vec<String> = groups
            .iter()
            .map(|&(g, n, _)| format!("{} {n}", sc.nodegroups[g].name))
            .collect();
        let failing: Vec<String> = groups
            .iter()
            .filter(|&&(_, _, f)| f > 0)
            .map(|&(g, _, f)| {
                format!(
                    "{} of {}",
                    plural(f, "node", "nodes"),
                    sc.nodegroups[g].name
                )
            })
            .collect();
        format!(
            "{} start in subnet \"{}\" ({}) but it has {} for their primary IPs ({}): \
             {} cannot launch (launch_failed, InsufficientFreeAddressesInSubnet)",
            plural(demand, "node", "nodes"),
            sc.subnets[s].name,
            by_group.join(", "),
            Count(a.free, "free address", "free addresses"),
            parts(sc, s, a),
            failing.join(" and "),
        )
    }
}

/// How a subnet's free addresses at start come about: `16 in 10.0.0.0/28, less 5
/// AWS-reserved` and the reservations and `used` addresses, if any.
fn parts(sc: &Scenario, s: usize, a: &StartAddresses) -> String {
    let mut parts = format!(
        "{} in {}, less {} AWS-reserved",
        a.size, sc.subnets[s].cidr, a.aws_reserved
    );
    if a.prefix_reserved > 0 {
        parts.push_str(&format!(", {} in prefix reservations", a.prefix_reserved));
    }
    if a.used > 0 {
        parts.push_str(&format!(", {} used", a.used));
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(cidr: &str, used: UsedSpec, reservations: &[&str]) -> SubnetSpec {
        SubnetSpec {
            name: "s".into(),
            cidr: parse_subnet_cidr(cidr).unwrap(),
            az: "default".into(),
            role_cni: None,
            cluster_tags: Vec::new(),
            used,
            reservations: reservations
                .iter()
                .map(|r| parse_cidr_any(r).unwrap())
                .collect(),
            ipv6_cidr: None,
        }
    }

    #[test]
    fn free_addresses_at_start_are_the_rest_of_the_cidr() {
        // /28: 16 − 5 AWS-reserved = 11
        let a = start_addresses(&spec("10.0.0.0/28", UsedSpec::None, &[]));
        assert_eq!((a.size, a.aws_reserved, a.free), (16, 5, 11));
        // /24 with 10.0.0.0/26 reserved (64, of which .0–.3 are AWS-reserved: 60 more) and
        // .60–.70 used (.64–.70 outside the reservation: 7): 256 − 5 − 60 − 7 = 184
        let ranges = UsedSpec::Ranges(vec![(0x0a00_003c, 0x0a00_0046)]);
        let a = start_addresses(&spec("10.0.0.0/24", ranges, &["10.0.0.0/26"]));
        assert_eq!((a.prefix_reserved, a.used, a.free), (60, 7, 184));
        // a count larger than what is free takes only what is free
        let a = start_addresses(&spec("10.0.0.0/28", UsedSpec::Count(20), &[]));
        assert_eq!((a.used, a.free), (11, 0));
    }

    #[test]
    fn round_robin_gives_the_first_positions_the_remainder() {
        // 5 nodes over 3 subnets: 2, 2, 1
        assert_eq!(per_position(5, 3).collect::<Vec<_>>(), vec![2, 2, 1]);
        assert_eq!(per_position(0, 2).collect::<Vec<_>>(), vec![0, 0]);
    }
}
