//! `nodegroups`: names, instance types, counts, subnets and max pods (autoscaling and
//! launches are in [`super::autoscaling`]).

use super::*;

impl Checker<'_> {
    /// `nodegroups`; `None` entries had a problem. `no_subnets`: the file defines none.
    pub(super) fn nodegroups(
        &mut self,
        section: Option<&Deferred<'_>>,
        path: &FieldPath,
        subnets: &[SubnetEntry],
        no_subnets: bool,
        cni: &CniConfig,
        calico: bool,
    ) -> Vec<Option<NodeGroupSpec>> {
        let Some(section) = section else {
            return Vec::new();
        };
        let items = self.list(section.value, path, "nodegroups");
        if !items.is_empty() && no_subnets {
            self.error(
                &FieldPath::default().key("subnets"),
                "nodegroups need at least one subnet; add e.g. \
                 subnets: [{name: private-a, cidr: 192.168.0.0/16}]",
            );
        }
        let mut seen = SeenNames::default();
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let at = path.index(i);
            let raw: RawNodeGroup = self.mapping(item, &at).unwrap_or_default();
            out.push(self.nodegroup(&raw, &at, subnets, &mut seen, cni, calico));
        }
        out
    }

    pub(super) fn nodegroup(
        &mut self,
        raw: &RawNodeGroup,
        at: &FieldPath,
        subnets: &[SubnetEntry],
        seen: &mut SeenNames,
        cni: &CniConfig,
        calico: bool,
    ) -> Option<NodeGroupSpec> {
        let name = self
            .required(
                &raw.name,
                at,
                "name",
                "a name of lowercase letters, digits and '-'",
            )
            .and_then(|v| self.name(&at.key("name"), v, true));
        if let Some(name) = &name {
            self.unique(seen, name, &at.key("name"), "nodegroup");
        }
        let instance_type = self
            .required(
                &raw.instance_type,
                at,
                "instance_type",
                "an EC2 instance type such as t3.medium",
            )
            .and_then(|v| self.instance_type(&at.key("instance_type"), v));
        let count = self
            .required(
                &raw.count,
                at,
                "count",
                "the number of nodes at t=0 (0 or more)",
            )
            .and_then(|v| self.u32_at_least(&at.key("count"), v, 0, "a node count"));
        let subnet_list: Option<Vec<usize>> = match (&raw.subnet, &raw.subnets) {
            (Some(v), None) => self
                .subnet_ref(&at.key("subnet"), v, subnets)
                .map(|i| vec![i]),
            (None, Some(list)) => {
                let path = at.key("subnets");
                let items = self.list(list.value, &path, "subnet names");
                if items.is_empty() {
                    self.error(&path, "an empty list; name at least one subnet");
                    None
                } else {
                    let mut found = Vec::new();
                    let mut ok = true;
                    for (i, item) in items.iter().enumerate() {
                        match self.subnet_ref(&path.index(i), &Scalar::from_value(item), subnets) {
                            Some(idx) => found.push(idx),
                            None => ok = false,
                        }
                    }
                    ok.then_some(found)
                }
            }
            (Some(_), Some(_)) => {
                self.error(
                    at,
                    "both `subnet` and `subnets`; give one subnet name or a list, not both",
                );
                None
            }
            (None, None) => {
                self.error(at, "missing key \"subnet\"; expected the name of a subnet (or `subnets:` with a list of names)");
                None
            }
        };
        let max_pods = match (&raw.max_pods, instance_type) {
            (Some(v), _) => self.u32_at_least(&at.key("max_pods"), v, 1, "max_pods"),
            // with Calico the kubelet keeps its own default (docs/model.md)
            (None, Some(_)) if calico => Some(crate::scenario::ipam::KUBELET_DEFAULT_MAX_PODS),
            (None, Some(t)) => {
                Some(t.kubelet_max_pods(cni.enable_prefix_delegation, cni.custom_network_cfg))
            }
            (None, None) => None,
        };
        let (lo, hi) = crate::scenario::autoscaling::DEFAULT_AWS_NODE_START;
        let aws_node_start = match &raw.aws_node_start {
            Some(d) => self.latency(d.value, &at.key("aws_node_start")),
            None => Some(crate::scenario::Latency::Uniform { min: lo, max: hi }),
        };
        let (autoscaling, launches) = self.nodegroup_scaling(raw, at, count)?;
        Some(NodeGroupSpec {
            name: name?,
            instance_type: instance_type?.clone(),
            count: count?,
            subnets: subnet_list?,
            max_pods: max_pods?,
            autoscaling,
            launches,
            aws_node_start: aws_node_start?,
        })
    }

    pub(super) fn instance_type(
        &mut self,
        path: &FieldPath,
        value: &Scalar,
    ) -> Option<&'static catalog::InstanceType> {
        let name = self.string(path, value)?;
        let found = catalog::lookup(&name);
        if found.is_none() {
            // `catalog::suggest_near` compares with all 1,391 names: only for names of a
            // plausible length (the longest type name has 24 characters).
            let near = if name.chars().count() <= MAX_SUGGEST_LEN {
                catalog::suggest_near(&name)
            } else {
                Vec::new()
            };
            let hint = if near.is_empty() {
                String::new()
            } else {
                format!("; did you mean {}?", near.join(", "))
            };
            self.error(
                path,
                format!("unknown instance type {}{hint}", quoted(&name)),
            );
        }
        found
    }
}
