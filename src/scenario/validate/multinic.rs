//! Multi-NIC (VPC CNI v1.20.0+): a workload's `annotations`, and the checks across
//! sections for `ENABLE_MULTI_NIC` and multi-homed pods.
//!
//! Citations are to aws/amazon-vpc-cni-k8s v1.23.1 (commit b52188387f2e).

use super::*;
use crate::scenario::IpamPlugin;
use crate::scenario::{MULTI_NIC_ATTACHMENT, NIC_CONFIG};

/// Longest annotation name part (Kubernetes qualified names: 63 characters).
const MAX_NAME: usize = 63;
/// Longest annotation prefix (a DNS subdomain: 253 characters).
const MAX_PREFIX: usize = 253;
/// Most bytes all of a pod's annotations may hold (keys and values; Kubernetes
/// `TotalAnnotationSizeLimitB`, 256 KiB).
const MAX_TOTAL: usize = 256 * 1024;

/// Whether `name` is a Kubernetes qualified-name part: 1–63 characters of
/// `[A-Za-z0-9._-]`, starting and ending with a letter or digit.
fn valid_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.len() <= MAX_NAME
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// Whether `prefix` is a DNS subdomain: at most 253 characters, dot-separated labels of
/// lowercase letters, digits and `-`, each starting and ending with a letter or digit.
fn valid_prefix(prefix: &str) -> bool {
    prefix.len() <= MAX_PREFIX
        && prefix.split('.').all(|l| {
            let b = l.as_bytes();
            !b.is_empty()
                && b[0].is_ascii_alphanumeric()
                && b[b.len() - 1].is_ascii_alphanumeric()
                && b.iter()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        })
}

/// Whether `key` is a valid annotation key: `[prefix/]name`.
pub fn valid_annotation_key(key: &str) -> bool {
    match key.split_once('/') {
        Some((prefix, name)) => valid_prefix(prefix) && valid_name(name),
        None => valid_name(key),
    }
}

impl Checker<'_> {
    /// A workload's `annotations`: a mapping of annotation keys to string values, as a pod
    /// manifest's `metadata.annotations` holds them; sorted by key.
    pub(super) fn annotations(
        &mut self,
        section: Option<&Deferred<'_>>,
        path: &FieldPath,
    ) -> Vec<(String, String)> {
        let Some(section) = section else {
            return Vec::new();
        };
        let entries = match &section.value.kind {
            Kind::Null => return Vec::new(),
            Kind::Map(entries) => entries,
            _ => {
                self.error(
                    path,
                    format!(
                        "expected a mapping of pod annotations (k8s.amazonaws.com/nicConfig: \
                         multi-nic-attachment); found {}",
                        raw::kind_of(section.value)
                    ),
                );
                return Vec::new();
            }
        };
        let mut out: Vec<(String, String)> = Vec::new();
        let mut size = 0usize;
        for (key, val) in entries {
            let Some(k) = key.as_str() else {
                self.non_text_key(path, key, &[]);
                continue;
            };
            let at = path.key(k);
            if !valid_annotation_key(k) {
                self.error_at(
                    path,
                    key.mark,
                    format!(
                        "{} is not a valid annotation key; allowed: an optional DNS-subdomain \
                         prefix (at most {MAX_PREFIX} characters, lowercase) and '/', then a \
                         name of 1-{MAX_NAME} letters, digits, '-', '_' or '.' that starts and \
                         ends with a letter or digit",
                        quoted(k)
                    ),
                );
                continue;
            }
            let Kind::Str(v) = &val.kind else {
                let shown = Scalar::from_value(val);
                self.error(
                    &at,
                    format!(
                        "annotation values are strings in Kubernetes; found {} {shown}: quote \
                         it (\"{}\")",
                        raw::kind_of(val),
                        shown.text()
                    ),
                );
                continue;
            };
            size += k.len() + v.len();
            out.push((k.to_string(), v.clone()));
        }
        if size > MAX_TOTAL {
            self.error(
                path,
                format!(
                    "the annotations hold {size} bytes; Kubernetes allows at most {MAX_TOTAL} \
                     (256 KiB) per object"
                ),
            );
        }
        if let Some((_, v)) = out.iter().find(|(k, _)| k == NIC_CONFIG) {
            if v != MULTI_NIC_ATTACHMENT {
                self.warn(
                    &path.key(NIC_CONFIG),
                    format!(
                        "{NIC_CONFIG} is \"{}\": the VPC CNI acts only on \
                         \"{MULTI_NIC_ATTACHMENT}\" and gives these pods one address \
                         (cmd/routed-eni-cni-plugin/cni.go:178-186)",
                        crate::scenario::Escaped(v)
                    ),
                );
            }
        }
        out.sort();
        out
    }

    /// `ENABLE_MULTI_NIC` and multi-homed workloads against the rest of the scenario.
    pub(super) fn check_multi_nic(&mut self, sc: &Scenario, top: &FieldPath) {
        let key = top.key("cni").key("ENABLE_MULTI_NIC");
        let homed: Vec<usize> = (0..sc.workloads.len())
            .filter(|&i| sc.workloads[i].multi_nic && !sc.workloads[i].host_network)
            .collect();
        if sc.ipam.plugin == IpamPlugin::Calico {
            if sc.cni.enable_multi_nic {
                self.error(
                    &key,
                    "multi-NIC is a VPC CNI feature (ipamd's per-card datastores); with \
                     plugin: calico there is no ipamd: leave ENABLE_MULTI_NIC off or use \
                     plugin: vpc-cni",
                );
            }
            return;
        }
        if sc.cni.enable_multi_nic && sc.cni.enable_ipv6 {
            self.error(
                &key,
                "multi-NIC in IPv6 mode (createSecondaryIPv6ENIs, pkg/ipamd/ipamd.go:1011-1042) \
                 is not modelled yet; allowed: ENABLE_MULTI_NIC with IPv4 (ENABLE_IPv6 false)",
            );
        }
        for &i in &homed {
            let w = &sc.workloads[i];
            let at = top
                .key("workloads")
                .index(i)
                .key("annotations")
                .key(NIC_CONFIG);
            // a pod with a pod ENI is answered from its branch ENI first, one interface
            // whatever the annotation (rpc_handler.go:103-116)
            if w.security_group_policy && sc.cni.enable_pod_eni {
                self.warn(
                    &top.key("workloads").index(i).key("security_group_policy"),
                    format!(
                        "the pods of workload \"{}\" get a branch ENI: ipamd gives a pod with \
                         a pod ENI one interface, not one per card (\"SGP pod doesn't support \
                         multiple NIC attachments for pod, falling back to default one \
                         interface per pod\", pkg/ipamd/rpc_handler.go:114-116)",
                        w.name
                    ),
                );
            } else if !sc.cni.enable_multi_nic {
                self.error(
                    &at,
                    format!(
                        "ENABLE_MULTI_NIC is not true: ipamd refuses the CNI ADD of every pod \
                         of workload \"{}\" (\"enable multi-nic feature on CNI for creating \
                         multi-nic-attachment pods\", pkg/ipamd/rpc_handler.go:197-201), so \
                         none would ever get an address; set cni.ENABLE_MULTI_NIC: true or \
                         remove the annotation",
                        w.name
                    ),
                );
            } else if sc.nodegroups.iter().all(|g| g.instance_type.cards() == 1) {
                self.warn(
                    &at,
                    format!(
                        "no nodegroup's instance type has more than one network card, so the \
                         pods of workload \"{}\" get one address each",
                        w.name
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotation_keys_follow_kubernetes_qualified_names() {
        assert!(valid_annotation_key(NIC_CONFIG));
        assert!(valid_annotation_key("team"));
        assert!(valid_annotation_key("a.b-c/x_y.z"));
        assert!(!valid_annotation_key(""));
        assert!(!valid_annotation_key("/name"));
        assert!(!valid_annotation_key("Upper.Case/name"));
        assert!(!valid_annotation_key("-dash"));
        assert!(!valid_annotation_key(&"n".repeat(64)));
        assert!(valid_annotation_key(&"n".repeat(63)));
        assert!(!valid_annotation_key("a/b/c"));
    }
}
