//! `subnets[].tags` — a subnet's AWS tags as EC2 holds them (tag key → text value) — and the
//! checks of subnet discovery across sections: cluster tags without `CLUSTER_NAME`, nodes
//! left without a subnet for new ENIs, and exclusions the model does not cover.

use super::*;
use crate::scenario::discovery::{self, Tags};

/// AWS's tag limits (EC2 User Guide, "Tag your Amazon EC2 resources", tag restrictions):
/// at most 50 tags per resource, keys of 1 to 128 characters, values of at most 256, and
/// the `aws:` prefix reserved for AWS.
const MAX_TAGS: usize = 50;
/// Longest tag key (characters).
const MAX_KEY_CHARS: usize = 128;
/// Longest tag value (characters).
const MAX_VALUE_CHARS: usize = 256;
/// The subnet-discovery tag (`pkg/awsutils/awsutils.go:80`).
pub(super) const ROLE_CNI_TAG: &str = "kubernetes.io/role/cni";
/// The prefix of cluster tag keys (`pkg/awsutils/awsutils.go:71`).
const CLUSTER_TAG_PREFIX: &str = "cni.networking.k8s.aws/cluster/";

/// What subnet discovery reads of one subnet's `tags`.
#[derive(Debug, Default)]
pub(super) struct DiscoveryTags {
    /// The `kubernetes.io/role/cni` tag when `tags` gives it: its value as written and as
    /// ipamd reads it (`None` for an empty value, `Some(false)` for `"0"`).
    pub(super) role_cni: Option<(String, Option<bool>)>,
    /// The `<name>`s of its `cni.networking.k8s.aws/cluster/<name>` keys, sorted.
    pub(super) clusters: Vec<String>,
}

impl Checker<'_> {
    /// `tags`: a mapping of tag keys to text values within AWS's limits. What could be read
    /// of it, and whether all of it was valid (the role tag is read even when another tag
    /// is bad, so that a conflict with `role_cni` is reported with the rest).
    pub(super) fn subnet_tags(&mut self, value: &Node, path: &FieldPath) -> (DiscoveryTags, bool) {
        let entries = match &value.kind {
            Kind::Null => return (DiscoveryTags::default(), true),
            Kind::Map(entries) => entries,
            _ => {
                self.error(
                    path,
                    format!(
                        "expected a mapping of tag keys to text values, such as \
                         {{kubernetes.io/role/cni: \"1\"}}; found {}",
                        raw::kind_of(value)
                    ),
                );
                return (DiscoveryTags::default(), false);
            }
        };
        let mut ok = true;
        if entries.len() > MAX_TAGS {
            self.error(
                path,
                format!(
                    "{} tags; AWS allows at most {MAX_TAGS} on a subnet",
                    entries.len()
                ),
            );
            ok = false;
        }
        let mut out = DiscoveryTags::default();
        for (k, v) in entries {
            let Some(key) = k.as_str() else {
                let shown = Scalar::from_value(k);
                self.error_at(
                    path,
                    k.mark,
                    format!("tag keys are text; found {shown} (quote it: \"{shown}\")"),
                );
                ok = false;
                continue;
            };
            let at = path.key(key);
            let chars = key.chars().count();
            let key_problem = if chars == 0 {
                Some(format!(
                    "an empty tag key; AWS tag keys have 1 to {MAX_KEY_CHARS} characters"
                ))
            } else if chars > MAX_KEY_CHARS {
                Some(format!(
                    "a tag key of {chars} characters; AWS allows at most {MAX_KEY_CHARS}"
                ))
            } else if key.len() >= 4 && key[..4].eq_ignore_ascii_case("aws:") {
                Some(format!(
                    "tag key \"{key}\": the aws: prefix is reserved for AWS's own tags; a user \
                     cannot set it"
                ))
            } else {
                None
            };
            if let Some(m) = key_problem {
                self.error_at(&at, k.mark, m);
                ok = false;
            }
            let Some(text) = self.tag_value(v, &at) else {
                ok = false;
                continue;
            };
            if key == ROLE_CNI_TAG {
                let read = match text.as_str() {
                    "" => None,
                    "0" => Some(false),
                    _ => Some(true),
                };
                out.role_cni = Some((text, read));
            } else if let Some(name) = key.strip_prefix(CLUSTER_TAG_PREFIX) {
                out.clusters.push(name.to_string());
            }
        }
        out.clusters.sort();
        (out, ok)
    }

    /// One tag value: text (a YAML integer is taken as written, `1` → `"1"`), at most
    /// [`MAX_VALUE_CHARS`] characters.
    fn tag_value(&mut self, v: &Node, at: &FieldPath) -> Option<String> {
        let text = match &v.kind {
            Kind::Str(s) => s.clone(),
            Kind::Int(i) => i.to_string(),
            Kind::Bool(b) => {
                self.error(
                    at,
                    format!(
                        "{b} is a boolean; tag values are text, and ipamd excludes a subnet \
                         only for the value \"0\" (the text \"{b}\" would opt it in); write \
                         \"1\" or \"0\""
                    ),
                );
                return None;
            }
            Kind::Null => {
                self.error(
                    at,
                    "no value; write \"\" for an empty tag value (ipamd reads an empty \
                     kubernetes.io/role/cni as no tag)",
                );
                return None;
            }
            _ => {
                self.error(
                    at,
                    format!(
                        "expected a text value such as \"1\"; found {}",
                        raw::kind_of(v)
                    ),
                );
                return None;
            }
        };
        let chars = text.chars().count();
        if chars > MAX_VALUE_CHARS {
            self.error(
                at,
                format!("a tag value of {chars} characters; AWS allows at most {MAX_VALUE_CHARS}"),
            );
            return None;
        }
        Some(text)
    }

    /// `role_cni` and `tags.kubernetes.io/role/cni` are one tag: either may give it; both
    /// must agree. `Some(v)`: the tag as ipamd reads it; `None`: reported.
    pub(super) fn merge_role_cni(
        &mut self,
        key: Option<bool>,
        tags: &DiscoveryTags,
        at: &FieldPath,
    ) -> Option<Option<bool>> {
        match (key, &tags.role_cni) {
            (k, None) => Some(k),
            (None, Some((_, read))) => Some(*read),
            (Some(k), Some((_, read))) if *read == Some(k) => Some(Some(k)),
            (Some(k), Some((text, _))) => {
                let same = if k { "\"1\"" } else { "\"0\"" };
                self.error(
                    &at.key("tags").key(ROLE_CNI_TAG),
                    format!(
                        "\"{text}\" disagrees with role_cni: {k} (which is the tag {same}); give \
                         the tag once, as role_cni or in tags"
                    ),
                );
                None
            }
        }
    }

    /// Subnet discovery across sections, once every section is read:
    ///
    /// - cluster tags while `CLUSTER_NAME` is unset are ignored upstream: a warning;
    /// - a nodegroup whose nodes can create no ENI: a warning;
    /// - an excluded primary subnet in IPv6 mode, an excluded ENIConfig subnet: errors (the
    ///   model does not cover them).
    pub(super) fn check_discovery(
        &mut self,
        cni: &CniConfig,
        subnets: &[SubnetEntry],
        nodegroups: &[Option<NodeGroupSpec>],
        eniconfigs: &[EniConfigSpec],
        top: &FieldPath,
    ) {
        let cluster = cni.cluster_name.as_str();
        let specs: Vec<Option<&SubnetSpec>> = subnets.iter().map(|s| s.spec.as_ref()).collect();
        if !cni.enable_subnet_discovery {
            for (g, ng) in nodegroups.iter().enumerate() {
                let Some(ng) = ng else { continue };
                for &sn in &ng.subnets {
                    let Some(s) = specs[sn] else { continue };
                    if !cni.custom_network_cfg && discovery::excluded(Tags::of(s), cluster) {
                        self.warn(
                            &top.key("nodegroups").index(g),
                            format!(
                                "subnet \"{}\" is excluded by its tags and subnet discovery is \
                                 off: ipamd refuses every new ENI on these nodes \
                                 (pkg/awsutils/awsutils.go:1203-1212); pods get only the \
                                 primary ENI's addresses",
                                s.name
                            ),
                        );
                    }
                }
            }
            return;
        }
        if cluster.is_empty() {
            for (i, s) in specs.iter().enumerate() {
                if s.is_some_and(|s| !s.cluster_tags.is_empty()) {
                    self.warn(
                        &top.key("subnets").index(i).key("tags"),
                        "cluster tags (cni.networking.k8s.aws/cluster/…) are ignored: \
                         cni.CLUSTER_NAME is not set, and aws-node then skips the cluster check \
                         (pkg/awsutils/awsutils.go:1298-1301); set CLUSTER_NAME to this \
                         cluster's name",
                    );
                }
            }
        }
        if cni.custom_network_cfg {
            for (i, e) in eniconfigs.iter().enumerate() {
                let Some(s) = specs[e.subnet] else { continue };
                if discovery::excluded(Tags::of(s), cluster) {
                    self.error(
                        &top.key("eniconfigs").index(i).key("subnet"),
                        format!(
                            "subnet \"{}\" is excluded by its tags: with subnet discovery on, \
                             ipamd would mark every ENI created in it as excluded from pod \
                             addresses (pkg/ipamd/ipamd.go:1295-1300); this is not modelled; \
                             remove the exclusion or set ENABLE_SUBNET_DISCOVERY: false",
                            s.name
                        ),
                    );
                }
            }
            return;
        }
        for (g, ng) in nodegroups.iter().enumerate() {
            let Some(ng) = ng else { continue };
            for &sn in &ng.subnets {
                let Some(own) = specs[sn] else { continue };
                let at = top.key("nodegroups").index(g);
                let excluded = discovery::excluded(Tags::of(own), cluster);
                if excluded && cni.enable_ipv6 {
                    self.error(
                        &at,
                        format!(
                            "subnet \"{}\" is excluded by its tags: in IPv6 mode ipamd then \
                             leaves the primary ENI out and creates an ENI for the node's /80 \
                             (pkg/ipamd/ipamd.go:503-524); this is not modelled; remove the \
                             exclusion or run IPv4",
                            own.name
                        ),
                    );
                    continue;
                }
                let any = specs.iter().enumerate().any(|(i, s)| {
                    s.is_some_and(|s| {
                        s.az == own.az && discovery::valid_for_eni(Tags::of(s), i == sn, cluster)
                    })
                });
                if !any {
                    let then = if excluded {
                        "and the primary ENI is excluded: pods on these nodes never get an IP"
                    } else {
                        "pods get only the primary ENI's addresses"
                    };
                    self.warn(
                        &at,
                        format!(
                            "no subnet in AZ \"{}\" qualifies for a new ENI of nodes in subnet \
                             \"{}\" (the node's own subnet unless tagged \
                             kubernetes.io/role/cni=0, others tagged non-zero for this cluster): \
                             ipamd refuses every new ENI, {then}",
                            own.az, own.name
                        ),
                    );
                }
            }
        }
    }
}
