//! `ipam`: the plugin (`vpc-cni` or `calico`), and Calico's pool, block size, strict
//! affinity and assignment latency; then the checks across sections that Calico needs (a
//! pool clear of the VPC subnets, no VPC-CNI-only feature).

use super::*;
use crate::scenario::ipam::{IpamConfig, IpamPlugin, CALICO_BLOCK_SIZES};

impl Checker<'_> {
    /// The `ipam` section (every key optional).
    pub(super) fn ipam(&mut self, section: Option<&Deferred<'_>>, path: &FieldPath) -> IpamConfig {
        let mut ipam = IpamConfig::default();
        let Some(raw) = section.and_then(|s| self.mapping::<RawIpam>(s.value, path)) else {
            return ipam;
        };
        if let Some(v) = &raw.plugin {
            if let Some(p) = self.choice(&path.key("plugin"), v, &IpamPlugin::CHOICES) {
                ipam.plugin = p;
            }
        }
        if let Some(v) = &raw.pool {
            let at = path.key("pool");
            if let Some(text) = self.string(&at, v) {
                match parse_cidr_any(&text) {
                    Ok(c) => ipam.pool = c,
                    Err(m) => self.error(&at, m),
                }
            }
        }
        if let Some(v) = &raw.block_size {
            let at = path.key("block_size");
            if let Some(n) = self.whole_number(&at, v) {
                let (lo, hi) = (*CALICO_BLOCK_SIZES.start(), *CALICO_BLOCK_SIZES.end());
                match u8::try_from(n) {
                    Ok(b) if CALICO_BLOCK_SIZES.contains(&b) => ipam.block_size = b,
                    _ => self.error(
                        &at,
                        format!(
                            "{n} is out of range; Calico's IPv4 block size is a prefix length \
                             from {lo} to {hi} (default 26: 64 addresses)"
                        ),
                    ),
                }
            }
        }
        if let Some(v) = &raw.strict_affinity {
            if let Some(b) = self.boolean(&path.key("strict_affinity"), v) {
                ipam.strict_affinity = b;
            }
        }
        if let Some(d) = &raw.latency {
            if let Some(l) = self.latency(d.value, &path.key("latency")) {
                ipam.latency = l;
            }
        }
        if !ipam.calico() {
            let calico_keys = [
                ("pool", raw.pool.is_some()),
                ("block_size", raw.block_size.is_some()),
                ("strict_affinity", raw.strict_affinity.is_some()),
                ("latency", raw.latency.is_some()),
            ];
            for (key, set) in calico_keys {
                if set {
                    self.warn(
                        &path.key(key),
                        format!("ipam.{key} applies to plugin: calico only; with the VPC CNI it is ignored"),
                    );
                }
            }
        }
        ipam
    }

    /// Calico's checks across sections: the pool holds at least one block
    /// (libcalico-go validator.go:1216-1222), does not overlap a VPC subnet (an overlay
    /// address inside the VPC's range would shadow VPC hosts in the route tables), and the
    /// scenario uses no VPC-CNI-only feature the model would have to ignore silently.
    pub(super) fn check_calico(&mut self, sc: &Scenario, top: &FieldPath) {
        let ipam = &sc.ipam;
        if !ipam.calico() {
            return;
        }
        let at = top.key("ipam");
        if ipam.block_size < ipam.pool.prefix_len {
            self.error(
                &at.key("block_size"),
                format!(
                    "the block (/{}) is larger than the pool {}; Calico needs a pool at least \
                     as large as one block",
                    ipam.block_size, ipam.pool
                ),
            );
        }
        for (i, s) in sc.subnets.iter().enumerate() {
            if overlaps(s.cidr, ipam.pool) {
                self.error(
                    &at.key("pool"),
                    format!(
                        "pool {} overlaps subnet \"{}\" ({}, subnets[{i}]); Calico's overlay \
                         pool must lie outside the VPC's subnets",
                        ipam.pool, s.name, s.cidr
                    ),
                );
            }
        }
        if sc.cni.enable_ipv6 {
            self.error(
                &top.key("cni").key("ENABLE_IPv6"),
                "IPv6 is a VPC CNI mode; Calico IPAM is modelled for IPv4 pools only",
            );
        }
        if sc.cni.enable_pod_eni {
            self.error(
                &top.key("cni").key("ENABLE_POD_ENI"),
                "security groups for pods are a VPC CNI feature (ipamd asks the VPC resource \
                 controller for a trunk ENI); with plugin: calico there is no ipamd: leave \
                 ENABLE_POD_ENI off or use plugin: vpc-cni",
            );
        }
        if !sc.faults.aws_node_restarts.is_empty() {
            self.error(
                &top.key("faults").key("aws_node_restarts"),
                "aws-node restarts are a VPC CNI fault; with plugin: calico there is no ipamd \
                 to restart",
            );
        }
    }
}
