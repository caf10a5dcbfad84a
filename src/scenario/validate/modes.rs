//! Checks across sections for the address-management modes: IPv6 (`ENABLE_IPv6`) needs
//! what upstream aws-node needs, and every subnet its nodes use needs an IPv6 /64; pods
//! selected for security groups need `ENABLE_POD_ENI` and trunking-compatible nodes.

use super::*;

impl Checker<'_> {
    /// The mode checks of a scenario whose sections validated.
    pub(super) fn check_modes(&mut self, sc: &Scenario, top: &FieldPath) {
        self.check_ipv6(sc, top);
        self.check_pod_eni(sc, top);
        self.check_multi_nic(sc, top);
    }

    /// Security groups for pods: selected pods request `vpc.amazonaws.com/pod-eni`, which
    /// only trunk-attached nodes offer. Valid but likely unmeant setups get warnings.
    fn check_pod_eni(&mut self, sc: &Scenario, top: &FieldPath) {
        let workloads = top.key("workloads");
        let selected: Vec<usize> = (0..sc.workloads.len())
            .filter(|&i| sc.workloads[i].security_group_policy)
            .collect();
        for &i in &selected {
            let w = &sc.workloads[i];
            let at = workloads.index(i).key("security_group_policy");
            if w.host_network {
                self.warn(
                    &at,
                    format!(
                        "workload \"{}\" is host-network: the resource controller's webhook \
                         skips host-network pods (SGP not supported on Pod running on \
                         HostNetwork, webhooks/core/pod_webhook.go), so they get no branch ENI",
                        w.name
                    ),
                );
            } else if !sc.cni.enable_pod_eni {
                self.warn(
                    &at,
                    format!(
                        "ENABLE_POD_ENI is not true, so no node gets a trunk ENI or offers \
                         vpc.amazonaws.com/pod-eni: the pods of workload \"{}\" stay Pending; \
                         set cni.ENABLE_POD_ENI: true",
                        w.name
                    ),
                );
            }
        }
        let any_pods = selected.iter().any(|&i| !sc.workloads[i].host_network);
        if sc.cni.enable_pod_eni
            && any_pods
            && !sc
                .nodegroups
                .iter()
                .any(|g| g.instance_type.trunking_compatible())
        {
            let types: Vec<&str> = sc
                .nodegroups
                .iter()
                .map(|g| g.instance_type.name.as_str())
                .collect();
            self.warn(
                &top.key("nodegroups"),
                format!(
                    "no nodegroup's instance type is trunking-compatible ({}), so no node \
                     offers vpc.amazonaws.com/pod-eni and the pods selected by a \
                     security_group_policy stay Pending (IsTrunkingCompatible, \
                     amazon-vpc-resource-controller-k8s pkg/aws/vpc/limits.go; no t family \
                     type is); use e.g. m5.large",
                    types.join(", ")
                ),
            );
        }
    }

    /// `isConfigValid` (ipamd.go:2755-2783): IPv6 without IPv4, with prefix delegation and
    /// without custom networking, on Nitro instances; subnets with an IPv6 CIDR. aws-node
    /// refuses to start otherwise, so these are errors with upstream's words.
    fn check_ipv6(&mut self, sc: &Scenario, top: &FieldPath) {
        let cni = top.key("cni");
        let c = &sc.cni;
        match (c.enable_ipv4, c.enable_ipv6) {
            (true, true) => self.error(
                &cni.key("ENABLE_IPv6"),
                "IPv4 and IPv6 are both enabled. VPC CNI currently does not support dual stack \
                 mode (aws-node refuses to start): set ENABLE_IPv4: false with ENABLE_IPv6: true",
            ),
            (false, false) => self.error(
                &cni.key("ENABLE_IPv4"),
                "IPv4 and IPv6 are both disabled. One of them have to be enabled (aws-node \
                 refuses to start)",
            ),
            _ => {}
        }
        if !c.enable_ipv6 {
            return;
        }
        if !c.enable_prefix_delegation || c.custom_network_cfg {
            self.error(
                &cni.key("ENABLE_IPv6"),
                "IPv6 is supported only in Prefix Delegation mode. Custom Networking is not \
                 supported in IPv6 mode (aws-node refuses to start): set \
                 ENABLE_PREFIX_DELEGATION: true and leave AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG off",
            );
        }
        if c.enable_pod_eni {
            self.error(
                &cni.key("ENABLE_POD_ENI"),
                "security groups for pods with IPv6 are not modelled; use one or the other",
            );
        }
        let groups = top.key("nodegroups");
        for (i, g) in sc.nodegroups.iter().enumerate() {
            let t = &g.instance_type;
            if !t.supports_prefix_delegation() {
                self.error(
                    &groups.index(i).key("instance_type"),
                    format!(
                        "Prefix Delegation is not supported on non-nitro instance {}. IPv6 is \
                         only supported in Prefix delegation Mode (aws-node refuses to start); \
                         choose a Nitro type",
                        t.name
                    ),
                );
            }
            for &s in &g.subnets {
                if sc.subnets[s].ipv6_cidr.is_none() {
                    self.error(
                        &top.key("subnets").index(s),
                        format!(
                            "subnet \"{}\" has no ipv6_cidr, but ENABLE_IPv6 is true and \
                             nodegroup \"{}\" uses it; give it its /64 (ipv6_cidr: \
                             2600:1f14:abc:de00::/64)",
                            sc.subnets[s].name, g.name
                        ),
                    );
                }
            }
        }
    }
}
