//! `kubectl get nodes -o json` and `kubectl get pods -A -o json`: the few fields the import
//! reads (Kubernetes core/v1 `Node` and `Pod` in a `kind: List`), and what it makes of
//! them. Every other field is ignored.

use super::json::{Found, JsonPath};
use super::list::{Head, KindCheck};
use crate::catalog::{self, InstanceType};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

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
    /// `metadata.uid`.
    pub uid: Option<String>,
    /// `metadata.creationTimestamp` (RFC 3339).
    pub creation_timestamp: Option<String>,
    /// `metadata.deletionTimestamp` (RFC 3339): when a graceful deletion ends.
    pub deletion_timestamp: Option<String>,
    /// `metadata.annotations`.
    pub annotations: Option<BTreeMap<String, String>>,
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
    /// `status.conditions` (`Ready` and its transition time).
    pub conditions: Option<Vec<Condition>>,
}

/// One `status.conditions` entry of a node or a pod.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    /// `Ready`, `PodScheduled`, `ContainersReady`, …
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// `True`, `False`, `Unknown`.
    pub status: Option<String>,
    /// When the status last changed (RFC 3339).
    pub last_transition_time: Option<String>,
}

/// The transition time of condition `kind` when its status is `True`.
pub fn true_since<'a>(conditions: Option<&'a [Condition]>, kind: &str) -> Option<&'a str> {
    conditions?
        .iter()
        .find(|c| c.kind.as_deref() == Some(kind) && c.status.as_deref() == Some("True"))?
        .last_transition_time
        .as_deref()
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
    /// Its index in the file's `items`.
    pub index: usize,
    /// Its group's name from the first of [`GROUP_LABELS`] it has, if any.
    pub group: Option<String>,
    /// Its instance type.
    pub instance_type: &'static InstanceType,
    /// Its first IPv4 `InternalIP` (the primary ENI's primary address).
    pub internal_ip: Ipv4Addr,
    /// That address's index in `status.addresses`.
    pub ip_index: usize,
    /// kubelet max pods: `status.allocatable.pods` (else `status.capacity.pods`), if given.
    pub max_pods: Option<u32>,
    /// The `topology.kubernetes.io/zone` label, if any.
    pub zone: Option<String>,
    /// `metadata.creationTimestamp` (RFC 3339), if given: when the kubelet registered it.
    pub created: Option<String>,
    /// When its `Ready` condition became `True` (RFC 3339), if it is Ready.
    pub ready: Option<String>,
    /// Karpenter launched it (a `karpenter.sh/nodepool` or `karpenter.sh/provisioner-name`
    /// label).
    pub karpenter: bool,
}

impl NodeInfo {
    /// Where the node's `InternalIP` is in the file, for messages.
    pub fn ip_at(&self) -> JsonPath {
        items_at(self.index)
            .key("status")
            .key("addresses")
            .index(self.ip_index)
            .key("address")
    }
}

/// `items[i]`.
fn items_at(i: usize) -> JsonPath {
    JsonPath::root().key("items").index(i)
}

/// Reads the nodes of `kubectl get nodes -o json` (file index `file` in `found`) one by
/// one ([`NodeReader::take`], then [`NodeReader::finish`]). Fargate nodes (label
/// `eks.amazonaws.com/compute-type: fargate`) have no ipamd: they are left out with a
/// warning, and their names returned so that their pods are left out too.
pub struct NodeReader {
    file: usize,
    kinds: KindCheck,
    out: Vec<NodeInfo>,
    fargate: Vec<String>,
}

impl NodeReader {
    /// A reader of input `file`'s nodes, recording into `found`.
    pub fn new(file: usize, found: &Found) -> NodeReader {
        NodeReader {
            file,
            kinds: KindCheck::new("Node", "kubectl get nodes -o json", file, found),
            out: Vec::new(),
            fargate: Vec::new(),
        }
    }

    /// Item `i` of the list.
    pub fn take(&mut self, i: usize, node: Node, found: &mut Found) {
        if !self.kinds.admit(i, node.kind.as_deref(), found) {
            return;
        }
        if let Some(n) = node_info(node, i, self.file, found, &mut self.fargate) {
            self.out.push(n);
        }
    }

    /// The nodes kept and the Fargate nodes' names, once the list (`head`) is read.
    pub fn finish(self, head: &Head, found: &mut Found) -> (Vec<NodeInfo>, Vec<String>) {
        let file = self.file;
        let root = JsonPath::root();
        check_kind(head.kind.as_deref(), &root, file, found);
        if !head.has_items {
            found.error(
                file,
                root,
                "missing `items`, the list of nodes that `kubectl get nodes -o json` prints"
                    .to_string(),
            );
            return (Vec::new(), Vec::new());
        }
        if self.kinds.finish(found) {
            return (Vec::new(), Vec::new());
        }
        if self.out.is_empty() && !found.has_errors() {
            found.error(
                file,
                root.key("items"),
                "no node to import: the list holds no node that runs ipamd".to_string(),
            );
        }
        (self.out, self.fargate)
    }
}

/// One node, or `None` (with a problem or warning recorded).
fn node_info(
    node: Node,
    index: usize,
    file: usize,
    found: &mut Found,
    fargate: &mut Vec<String>,
) -> Option<NodeInfo> {
    let at = &items_at(index);
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
    let (ip, ip_index) = match internal_ip(node.status.as_ref(), at) {
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
    let ready = true_since(
        node.status.as_ref().and_then(|s| s.conditions.as_deref()),
        "Ready",
    )
    .map(str::to_string);
    Some(NodeInfo {
        name,
        index,
        group,
        instance_type: instance_type?,
        internal_ip: ip,
        ip_index,
        max_pods,
        zone: labels.get("topology.kubernetes.io/zone").cloned(),
        created: meta.creation_timestamp,
        ready,
        karpenter: labels.contains_key(GROUP_LABELS[1]) || labels.contains_key(GROUP_LABELS[2]),
    })
}

/// A problem at a path.
pub type PathProblem = (JsonPath, String);

/// The node's first IPv4 `InternalIP` and its index in `status.addresses`.
fn internal_ip(
    status: Option<&NodeStatus>,
    at: &JsonPath,
) -> Result<(Ipv4Addr, usize), PathProblem> {
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
            return Ok((ip, j));
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

/// Reads the pods of `kubectl get pods -A -o json` that want to run, one by one
/// ([`PodReader::take`], then [`PodReader::finish`]): those in phase `Succeeded` or
/// `Failed` hold no slot and no IP and are left out, and so are the pods of the nodes in
/// `skipped` (Fargate).
pub struct PodReader<'a> {
    file: usize,
    skipped: &'a [String],
    kinds: KindCheck,
    out: Vec<PodInfo>,
}

impl<'a> PodReader<'a> {
    /// A reader of input `file`'s pods, recording into `found`.
    pub fn new(file: usize, found: &Found, skipped: &'a [String]) -> PodReader<'a> {
        PodReader {
            file,
            skipped,
            kinds: KindCheck::new("Pod", "kubectl get pods -A -o json", file, found),
            out: Vec::new(),
        }
    }

    /// Item `i` of the list.
    pub fn take(&mut self, i: usize, pod: Pod, found: &mut Found) {
        if !self.kinds.admit(i, pod.kind.as_deref(), found) {
            return;
        }
        let file = self.file;
        let at = items_at(i);
        let Some(meta) = pod.metadata else {
            found.error(file, at.key("metadata"), "missing `metadata`".to_string());
            return;
        };
        if meta.name.is_none() {
            found.error(
                file,
                at.key("metadata").key("name"),
                "missing `name`".to_string(),
            );
            return;
        }
        let phase = pod.status.and_then(|s| s.phase);
        if matches!(phase.as_deref(), Some("Succeeded" | "Failed")) {
            return;
        }
        let node = pod.spec.as_ref().and_then(|s| s.node_name.clone());
        if node.as_ref().is_some_and(|n| self.skipped.contains(n)) {
            return;
        }
        let owner = match owner_of(&meta, &at) {
            Ok(o) => o,
            Err((path, message)) => {
                found.error(file, path, message);
                return;
            }
        };
        self.out.push(PodInfo {
            namespace: meta.namespace.unwrap_or_else(|| "default".to_string()),
            owner,
            host_network: pod.spec.and_then(|s| s.host_network).unwrap_or(false),
            node,
        });
    }

    /// The pods kept, once the list (`head`) is read.
    pub fn finish(self, head: &Head, found: &mut Found) -> Vec<PodInfo> {
        let root = JsonPath::root();
        check_kind(head.kind.as_deref(), &root, self.file, found);
        if !head.has_items {
            found.error(
                self.file,
                root,
                "missing `items`, the list of pods that `kubectl get pods -A -o json` prints"
                    .to_string(),
            );
            return Vec::new();
        }
        if self.kinds.finish(found) {
            return Vec::new();
        }
        self.out
    }
}

/// The pod's owner: its controller reference (else its first owner reference); a
/// ReplicaSet named `<deployment>-<pod-template-hash>` stands for its Deployment.
pub fn owner_of(meta: &ObjectMeta, at: &JsonPath) -> Result<Owner, PathProblem> {
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
