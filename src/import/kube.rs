//! `kubectl get nodes -o json` and `kubectl get pods -A -o json`: the few fields the import
//! reads (Kubernetes core/v1 `Node` and `Pod` in a `kind: List`), and what it makes of
//! them. Every other field is ignored.

use super::json::{Found, JsonPath};
use crate::catalog::{self, InstanceType};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

/// `kubectl get ... -o json`: a `List` of objects.
#[derive(Debug, Deserialize)]
#[serde(expecting = "kubectl's JSON output: an object with `kind: List` and `items`")]
pub struct List<T> {
    /// `List` as kubectl prints it.
    pub kind: Option<String>,
    /// The objects.
    pub items: Option<Vec<T>>,
}

/// `metadata` of an object.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectMeta {
    /// `metadata.name`.
    pub name: Option<String>,
    /// `metadata.namespace` (pods).
    pub namespace: Option<String>,
    /// `metadata.labels`.
    pub labels: Option<BTreeMap<String, String>>,
    /// `metadata.ownerReferences` (pods).
    pub owner_references: Option<Vec<OwnerReference>>,
}

/// One `metadata.ownerReferences` entry.
#[derive(Debug, Deserialize)]
pub struct OwnerReference {
    /// `ReplicaSet`, `StatefulSet`, `DaemonSet`, `Job`, `Node`, …
    pub kind: Option<String>,
    /// The owner's name.
    pub name: Option<String>,
    /// Whether this owner is the managing controller.
    pub controller: Option<bool>,
}

/// A `Node`.
#[derive(Debug, Deserialize)]
pub struct Node {
    /// `Node`.
    pub kind: Option<String>,
    /// Name and labels.
    pub metadata: Option<ObjectMeta>,
    /// Addresses and allocatable resources.
    pub status: Option<NodeStatus>,
}

/// A node's `status`.
#[derive(Debug, Deserialize)]
pub struct NodeStatus {
    /// `status.addresses`: `InternalIP`, `InternalDNS`, `Hostname`, …
    pub addresses: Option<Vec<NodeAddress>>,
    /// `status.allocatable` (quantities as strings; `pods` is kubelet's max pods).
    pub allocatable: Option<BTreeMap<String, String>>,
    /// `status.capacity`.
    pub capacity: Option<BTreeMap<String, String>>,
}

/// One `status.addresses` entry.
#[derive(Debug, Deserialize)]
pub struct NodeAddress {
    /// `InternalIP`, `ExternalIP`, `InternalDNS`, `Hostname`, …
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// The address.
    pub address: Option<String>,
}

/// A `Pod`.
#[derive(Debug, Deserialize)]
pub struct Pod {
    /// `Pod`.
    pub kind: Option<String>,
    /// Name, namespace, labels, owners.
    pub metadata: Option<ObjectMeta>,
    /// Node and host network.
    pub spec: Option<PodSpec>,
    /// Phase.
    pub status: Option<PodStatus>,
}

/// A pod's `spec`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodSpec {
    /// The node it is bound to (absent while unscheduled).
    pub node_name: Option<String>,
    /// `hostNetwork: true`: the pod uses the node's address, not a pod IP.
    pub host_network: Option<bool>,
}

/// A pod's `status`.
#[derive(Debug, Deserialize)]
pub struct PodStatus {
    /// `Pending`, `Running`, `Succeeded`, `Failed`, `Unknown`.
    pub phase: Option<String>,
}

/// Node labels that name a node's group, in the order they are looked for.
pub const GROUP_LABELS: [&str; 4] = [
    "eks.amazonaws.com/nodegroup",
    "karpenter.sh/nodepool",
    "karpenter.sh/provisioner-name",
    "alpha.eksctl.io/nodegroup-name",
];

/// Node labels that give the instance type, the current one first.
pub const INSTANCE_TYPE_LABELS: [&str; 2] = [
    "node.kubernetes.io/instance-type",
    "beta.kubernetes.io/instance-type",
];

/// What the import keeps of one node.
#[derive(Clone, Debug)]
pub struct NodeInfo {
    /// The node's name.
    pub name: String,
    /// Its path in the file (`items[i]`), for messages.
    pub at: JsonPath,
    /// Its group's name from the first of [`GROUP_LABELS`] it has, if any.
    pub group: Option<String>,
    /// Its instance type.
    pub instance_type: &'static InstanceType,
    /// Its first IPv4 `InternalIP` (the primary ENI's primary address).
    pub internal_ip: Ipv4Addr,
    /// Where that address is in the file.
    pub ip_at: JsonPath,
    /// kubelet max pods: `status.allocatable.pods` (else `status.capacity.pods`), if given.
    pub max_pods: Option<u32>,
    /// The `topology.kubernetes.io/zone` label, if any.
    pub zone: Option<String>,
}

/// Reads the nodes of `kubectl get nodes -o json` (file index `file` in `found`). Fargate
/// nodes (label `eks.amazonaws.com/compute-type: fargate`) have no ipamd: they are left
/// out with a warning, and their names returned so that their pods are left out too.
pub fn nodes(list: List<Node>, file: usize, found: &mut Found) -> (Vec<NodeInfo>, Vec<String>) {
    let root = JsonPath::root();
    check_kind(list.kind.as_deref(), &root, file, found);
    let Some(items) = list.items else {
        found.error(
            file,
            root,
            "missing `items`, the list of nodes that `kubectl get nodes -o json` prints"
                .to_string(),
        );
        return (Vec::new(), Vec::new());
    };
    if wrong_kinds(&items, |n| n.kind.as_deref(), "Node", file, found) {
        return (Vec::new(), Vec::new());
    }
    let mut out = Vec::new();
    let mut fargate = Vec::new();
    for (i, node) in items.into_iter().enumerate() {
        let at = root.key("items").index(i);
        if let Some(n) = node_info(node, &at, file, found, &mut fargate) {
            out.push(n);
        }
    }
    if out.is_empty() && !found.has_errors() {
        found.error(
            file,
            root.key("items"),
            "no node to import: the list holds no node that runs ipamd".to_string(),
        );
    }
    (out, fargate)
}

/// One node, or `None` (with a problem or warning recorded).
fn node_info(
    node: Node,
    at: &JsonPath,
    file: usize,
    found: &mut Found,
    fargate: &mut Vec<String>,
) -> Option<NodeInfo> {
    let Some(meta) = node.metadata else {
        found.error(file, at.key("metadata"), "missing `metadata`".to_string());
        return None;
    };
    let Some(name) = meta.name else {
        found.error(
            file,
            at.key("metadata").key("name"),
            "missing `name`".to_string(),
        );
        return None;
    };
    let labels_at = at.key("metadata").key("labels");
    let Some(labels) = meta.labels else {
        found.error(
            file,
            labels_at,
            format!(
                "node {name} has no labels; expected at least node.kubernetes.io/instance-type"
            ),
        );
        return None;
    };
    if labels
        .get("eks.amazonaws.com/compute-type")
        .map(String::as_str)
        == Some("fargate")
    {
        found.warn(
            file,
            labels_at,
            format!("node {name} is a Fargate node (no ipamd); it and its pods are left out"),
        );
        fargate.push(name);
        return None;
    }
    let type_label = INSTANCE_TYPE_LABELS
        .iter()
        .find_map(|l| labels.get(*l).map(|v| (*l, v)));
    let instance_type = match type_label {
        None => {
            found.error(
                file,
                labels_at.clone(),
                format!(
                    "node {name} has no instance-type label; expected {} (or {})",
                    INSTANCE_TYPE_LABELS[0], INSTANCE_TYPE_LABELS[1]
                ),
            );
            None
        }
        Some((label, value)) => match catalog::lookup(value) {
            Some(t) => Some(t),
            None => {
                let near = catalog::suggest_near(value);
                let hint = if near.is_empty() {
                    String::new()
                } else {
                    format!("; did you mean {}?", near.join(", "))
                };
                found.error(
                    file,
                    labels_at.key(label),
                    format!(
                        "unknown instance type {} (not in the simulator's catalog of {} \
                         types){hint}",
                        serde_json::Value::from(value.as_str()),
                        catalog::all().len()
                    ),
                );
                None
            }
        },
    };
    let (ip, ip_at) = match internal_ip(node.status.as_ref(), at) {
        Ok(found_ip) => found_ip,
        Err((path, message)) => {
            found.error(file, path, format!("node {name}: {message}"));
            return None;
        }
    };
    let max_pods = match max_pods(node.status.as_ref(), at) {
        Ok(m) => m,
        Err((path, message)) => {
            found.error(file, path, message);
            return None;
        }
    };
    let group = GROUP_LABELS.iter().find_map(|l| labels.get(*l).cloned());
    Some(NodeInfo {
        name,
        at: at.clone(),
        group,
        instance_type: instance_type?,
        internal_ip: ip,
        ip_at,
        max_pods,
        zone: labels.get("topology.kubernetes.io/zone").cloned(),
    })
}

/// A problem at a path.
type PathProblem = (JsonPath, String);

/// The node's first IPv4 `InternalIP` and its path.
fn internal_ip(
    status: Option<&NodeStatus>,
    at: &JsonPath,
) -> Result<(Ipv4Addr, JsonPath), PathProblem> {
    let addresses_at = at.key("status").key("addresses");
    let Some(addresses) = status.and_then(|s| s.addresses.as_ref()) else {
        return Err((addresses_at, "missing `status.addresses`".to_string()));
    };
    for (j, a) in addresses.iter().enumerate() {
        if a.kind.as_deref() != Some("InternalIP") {
            continue;
        }
        if let Some(ip) = a
            .address
            .as_deref()
            .and_then(|s| s.parse::<Ipv4Addr>().ok())
        {
            return Ok((ip, addresses_at.index(j).key("address")));
        }
    }
    Err((
        addresses_at,
        "no IPv4 InternalIP address (an entry {\"type\": \"InternalIP\", \"address\": \
         \"10.0.1.23\"})"
            .to_string(),
    ))
}

/// kubelet max pods from `status.allocatable.pods`, else `status.capacity.pods`.
fn max_pods(status: Option<&NodeStatus>, at: &JsonPath) -> Result<Option<u32>, PathProblem> {
    let Some(status) = status else {
        return Ok(None);
    };
    let sources = [
        ("allocatable", status.allocatable.as_ref()),
        ("capacity", status.capacity.as_ref()),
    ];
    for (key, map) in sources {
        if let Some(text) = map.and_then(|m| m.get("pods")) {
            return match text.parse::<u32>() {
                Ok(n) if n >= 1 => Ok(Some(n)),
                _ => Err((
                    at.key("status").key(key).key("pods"),
                    format!(
                        "max pods {} is not a whole number of at least 1",
                        serde_json::Value::from(text.as_str())
                    ),
                )),
            };
        }
    }
    Ok(None)
}

/// An object list whose `kind` is not `List`.
fn check_kind(kind: Option<&str>, root: &JsonPath, file: usize, found: &mut Found) {
    if let Some(k) = kind.filter(|k| *k != "List") {
        found.error(
            file,
            root.key("kind"),
            format!(
                "expected kubectl's `kind: List` (kubectl get ... -o json lists objects); \
                 found {}",
                serde_json::Value::from(k)
            ),
        );
    }
}

/// Reports the first item whose `kind` is not `want` (with how many more there are), once:
/// a file of other objects is one mistake. Returns whether there was one.
fn wrong_kinds<T>(
    items: &[T],
    kind: impl Fn(&T) -> Option<&str>,
    want: &str,
    file: usize,
    found: &mut Found,
) -> bool {
    let wrong: Vec<(usize, &str)> = items
        .iter()
        .enumerate()
        .filter_map(|(i, t)| kind(t).filter(|k| *k != want).map(|k| (i, k)))
        .collect();
    let Some(&(first, k)) = wrong.first() else {
        return false;
    };
    let more = match wrong.len() - 1 {
        0 => String::new(),
        n => format!(" (and {n} more items that are not a {want})"),
    };
    let command = if want == "Node" {
        "kubectl get nodes -o json"
    } else {
        "kubectl get pods -A -o json"
    };
    found.error(
        file,
        JsonPath::root().key("items").index(first).key("kind"),
        format!(
            "expected a {want} ({command}); found a {}{more}",
            serde_json::Value::from(k)
        ),
    );
    true
}

/// How a pod is owned, as the import groups pods.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Owner {
    /// A DaemonSet: one pod per node.
    DaemonSet(String),
    /// A Deployment (found through its ReplicaSet), StatefulSet, Job or any other
    /// controller: (kind, name).
    Controller(String, String),
    /// No owner: a bare pod.
    Bare,
}

/// What the import keeps of one pod.
#[derive(Clone, Debug)]
pub struct PodInfo {
    /// `metadata.namespace` (default `default`).
    pub namespace: String,
    /// How it is owned.
    pub owner: Owner,
    /// `spec.hostNetwork`.
    pub host_network: bool,
    /// `spec.nodeName`, if bound.
    pub node: Option<String>,
}

/// Reads the pods of `kubectl get pods -A -o json` that want to run: those in phase
/// `Succeeded` or `Failed` hold no slot and no IP and are left out, and so are the pods of
/// the nodes in `skipped` (Fargate).
pub fn pods(list: List<Pod>, file: usize, found: &mut Found, skipped: &[String]) -> Vec<PodInfo> {
    let root = JsonPath::root();
    check_kind(list.kind.as_deref(), &root, file, found);
    let Some(items) = list.items else {
        found.error(
            file,
            root,
            "missing `items`, the list of pods that `kubectl get pods -A -o json` prints"
                .to_string(),
        );
        return Vec::new();
    };
    if wrong_kinds(&items, |p| p.kind.as_deref(), "Pod", file, found) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (i, pod) in items.into_iter().enumerate() {
        let at = root.key("items").index(i);
        let Some(meta) = pod.metadata else {
            found.error(file, at.key("metadata"), "missing `metadata`".to_string());
            continue;
        };
        if meta.name.is_none() {
            found.error(
                file,
                at.key("metadata").key("name"),
                "missing `name`".to_string(),
            );
            continue;
        }
        let phase = pod.status.and_then(|s| s.phase);
        if matches!(phase.as_deref(), Some("Succeeded" | "Failed")) {
            continue;
        }
        let node = pod.spec.as_ref().and_then(|s| s.node_name.clone());
        if node.as_ref().is_some_and(|n| skipped.contains(n)) {
            continue;
        }
        let owner = match owner_of(&meta, &at) {
            Ok(o) => o,
            Err((path, message)) => {
                found.error(file, path, message);
                continue;
            }
        };
        out.push(PodInfo {
            namespace: meta.namespace.unwrap_or_else(|| "default".to_string()),
            owner,
            host_network: pod.spec.and_then(|s| s.host_network).unwrap_or(false),
            node,
        });
    }
    out
}

/// The pod's owner: its controller reference (else its first owner reference); a
/// ReplicaSet named `<deployment>-<pod-template-hash>` stands for its Deployment.
fn owner_of(meta: &ObjectMeta, at: &JsonPath) -> Result<Owner, PathProblem> {
    let refs = meta.owner_references.as_deref().unwrap_or_default();
    let chosen = refs
        .iter()
        .position(|r| r.controller == Some(true))
        .or((!refs.is_empty()).then_some(0));
    let Some(j) = chosen else {
        return Ok(Owner::Bare);
    };
    let r = &refs[j];
    let ref_at = at.key("metadata").key("ownerReferences").index(j);
    let (Some(kind), Some(name)) = (r.kind.as_deref(), r.name.as_deref()) else {
        return Err((
            ref_at,
            "an owner reference needs `kind` and `name`".to_string(),
        ));
    };
    Ok(match kind {
        "DaemonSet" => Owner::DaemonSet(name.to_string()),
        // A static pod's mirror, `<pod>-<node>` on each node that runs it: a DaemonSet.
        "Node" => {
            let pod = meta.name.as_deref().unwrap_or_default();
            let base = pod
                .strip_suffix(name)
                .and_then(|p| p.strip_suffix('-'))
                .filter(|p| !p.is_empty());
            Owner::DaemonSet(base.unwrap_or(pod).to_string())
        }
        "ReplicaSet" => {
            let hash = meta
                .labels
                .as_ref()
                .and_then(|l| l.get("pod-template-hash"));
            match hash.and_then(|h| name.strip_suffix(h.as_str())?.strip_suffix('-')) {
                Some(deployment) if !deployment.is_empty() => {
                    Owner::Controller("Deployment".to_string(), deployment.to_string())
                }
                _ => Owner::Controller("ReplicaSet".to_string(), name.to_string()),
            }
        }
        other => Owner::Controller(other.to_string(), name.to_string()),
    })
}
