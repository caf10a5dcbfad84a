//! How many addresses of its subnet a node holds, estimated from its instance type, the
//! CNI settings and its pod count: what `subnets[].used` leaves out because the simulated
//! nodes take those addresses themselves (docs/import.md, "Used addresses").
//!
//! The estimate is the steady state of ipamd's pool rules (docs/model.md, "ipamd"): the
//! smallest pool that no longer counts as too low. All figures are addresses (IPv4).

use crate::catalog::InstanceType;
use crate::scenario::CniConfig;

/// Addresses in one delegated /28 prefix.
const PREFIX: u64 = 16;

/// Addresses a node of type `t` holds in its subnet with `pods` pods holding pod IPs (not
/// host-network), kubelet max pods `max_pods`, under `cni` (custom networking is not
/// imported, so every ENI is counted in the node's own subnet):
///
/// - ENIs = at most `MAX_ENI` (when set) and the type's limit; `M` = IPv4 per ENI − 1,
///   the secondary IPs (or prefixes) one ENI carries.
/// - Secondary IPs, `WARM_ENI_TARGET` = w (no warm-IP targets): ipamd adds whole ENIs while
///   fewer than w × M IPs are free (at least 1 when w = 0), so it holds
///   ⌈(pods + max(w × M, 1)) / M⌉ ENIs, full, and stops once they hold max pods IPs.
/// - Secondary IPs with `WARM_IP_TARGET` W or `MINIMUM_IP_TARGET` Min: max(pods + W, Min)
///   IPs, at most max pods (or the pods, when more), on ⌈IPs / M⌉ ENIs.
/// - Prefix delegation (on a type that supports it): prefixes P = ⌈pods / 16⌉ +
///   `WARM_PREFIX_TARGET` (⌈(pods + 1) / 16⌉ when it is 0), or ⌈max(pods + W, Min) / 16⌉
///   with warm-IP targets, at most ⌈max pods / 16⌉, on ⌈P / M⌉ ENIs; 16 addresses each.
///
/// The result is those IPs (or 16 × prefixes) plus one primary address per ENI (the
/// first is the node's own `InternalIP`), never more than the ENI limit allows.
pub fn node_addresses(t: &InstanceType, cni: &CniConfig, max_pods: u32, pods: u32) -> u64 {
    let max_enis = u64::from(match cni.max_eni {
        Some(m) => m.min(t.max_enis),
        None => t.max_enis,
    })
    .max(1);
    let per_eni = u64::from(t.ipv4_per_eni.saturating_sub(1)).max(1);
    let pods = u64::from(pods);
    let max_pods = u64::from(max_pods);
    let warm_ip_mode = cni.warm_ip_target > 0 || cni.minimum_ip_target > 0;
    let wanted_ips = (pods + u64::from(cni.warm_ip_target)).max(u64::from(cni.minimum_ip_target));
    let pd = cni.enable_prefix_delegation && t.supports_prefix_delegation();
    let (held, enis) = if pd {
        let prefixes = if warm_ip_mode {
            wanted_ips.div_ceil(PREFIX)
        } else if cni.warm_prefix_target == 0 {
            (pods + 1).div_ceil(PREFIX)
        } else {
            pods.div_ceil(PREFIX) + u64::from(cni.warm_prefix_target)
        };
        let prefixes = prefixes
            .min(max_pods.max(pods).div_ceil(PREFIX).max(1))
            .min(max_enis * per_eni);
        (prefixes * PREFIX, prefixes.div_ceil(per_eni).max(1))
    } else if warm_ip_mode {
        let ips = wanted_ips.min(max_pods.max(pods)).min(max_enis * per_eni);
        (ips, ips.div_ceil(per_eni).max(1))
    } else {
        let spare = (u64::from(cni.warm_eni_target) * per_eni).max(1);
        let enis = (pods + spare)
            .div_ceil(per_eni)
            .min(max_pods.max(pods).div_ceil(per_eni).max(1))
            .clamp(1, max_enis);
        (enis * per_eni, enis)
    };
    held + enis
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::lookup;

    fn cni(edit: impl FnOnce(&mut CniConfig)) -> CniConfig {
        let mut c = CniConfig::default();
        edit(&mut c);
        c
    }

    #[test]
    fn warm_eni_mode_holds_whole_enis() {
        let t = lookup("t3.medium").unwrap(); // 3 ENIs × 6 IPv4, M = 5, max pods 17
        let d = CniConfig::default(); // WARM_ENI_TARGET = 1
                                      // 0 pods: ⌈(0 + 5) / 5⌉ = 1 ENI → 5 IPs + 1 primary = 6.
        assert_eq!(node_addresses(t, &d, 17, 0), 6);
        // 3 pods: ⌈(3 + 5) / 5⌉ = 2 ENIs → 10 + 2 = 12.
        assert_eq!(node_addresses(t, &d, 17, 3), 12);
        // 12 pods: ⌈17 / 5⌉ = 4, capped by max pods ⌈17 / 5⌉ = 4 and 3 ENIs → 15 + 3 = 18.
        assert_eq!(node_addresses(t, &d, 17, 12), 18);
        // WARM_ENI_TARGET = 0, 5 pods: ⌈(5 + 1) / 5⌉ = 2 ENIs → 12.
        let zero = cni(|c| c.warm_eni_target = 0);
        assert_eq!(node_addresses(t, &zero, 17, 5), 12);
    }

    #[test]
    fn warm_ip_mode_holds_what_it_needs() {
        let m = lookup("m5.large").unwrap(); // 3 × 10, M = 9, max pods 29
        let c = cni(|c| {
            c.warm_ip_target = 3;
            c.minimum_ip_target = 10;
        });
        // 2 pods: max(2 + 3, 10) = 10 IPs on ⌈10 / 9⌉ = 2 ENIs → 12.
        assert_eq!(node_addresses(m, &c, 29, 2), 12);
        // 20 pods: 23 IPs on 3 ENIs → 26.
        assert_eq!(node_addresses(m, &c, 29, 20), 26);
        // MAX_ENI = 1: at most 9 IPs on 1 ENI → 10.
        let one = cni(|c| {
            c.warm_ip_target = 3;
            c.max_eni = Some(1);
        });
        assert_eq!(node_addresses(m, &one, 29, 20), 10);
    }

    #[test]
    fn prefix_mode_counts_whole_prefixes() {
        let m = lookup("m5.large").unwrap();
        let c = cni(|c| c.enable_prefix_delegation = true); // WARM_PREFIX_TARGET = 1
                                                            // 20 pods: ⌈20 / 16⌉ + 1 = 3 prefixes = 48 addresses on 1 ENI → 49.
        assert_eq!(node_addresses(m, &c, 110, 20), 49);
        // A Xen type has no prefixes: t2.medium (3 × 6, M = 5), 0 pods → 1 ENI → 6.
        let t2 = lookup("t2.medium").unwrap();
        assert_eq!(node_addresses(t2, &c, 17, 0), 6);
    }
}
