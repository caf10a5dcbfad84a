//! From the cluster's objects to the scenario's sections: which subnets, the nodegroups,
//! the DaemonSets and the workloads, each sorted by name (docs/import.md gives the rules).

use super::aws::{contains, SubnetInfo};
use super::estimate::node_addresses;
use super::json::{Found, JsonPath};
use super::kube::{NodeInfo, Owner, PodInfo};
use super::names::{distinguish, dns_label, unique, MAX_LABEL};
use super::out::{
    CniOut, DaemonSetOut, LaunchOut, NodeGroupOut, ScenarioOut, SubnetOut, WorkloadOut,
};
use crate::scenario::{CniConfig, Ipv4Cidr};
use std::collections::{BTreeMap, BTreeSet};

/// File indices in [`Found`] (as in the parent module).
const NODES: usize = 0;
const SUBNETS: usize = 1;

/// Simulated time of an imported scenario.
pub const DURATION: &str = "10m";

/// Longest subnet name the scenario takes (bytes): a Kubernetes object name.
const MAX_NAME: usize = 253;

/// The DaemonSets every EKS node runs on the host network, present even without `--pods`.
pub const ALWAYS_DAEMONSETS: [&str; 2] = ["aws-node", "kube-proxy"];

/// What is imported.
pub struct Cluster<'a> {
    /// The nodes (Fargate nodes already left out).
    pub nodes: &'a [NodeInfo],
    /// `describe-subnets`' subnets, when given.
    pub subnets: Option<&'a [SubnetInfo]>,
    /// The pods that want to run (none without `--pods`).
    pub pods: &'a [PodInfo],
    /// The CNI settings written.
    pub cni: &'a CniConfig,
    /// For each node (by index, or none at all), when it joins after t = 0: a replay's
    /// launches; `None` for a node present at t = 0.
    pub launches: &'a [Option<NodeLaunch>],
}

/// A node that joins a replay after t = 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeLaunch {
    /// When the kubelet registered it (its creationTimestamp), ms from the start.
    pub registered_ms: u64,
    /// Registration → Ready (ms), if it became Ready.
    pub ready_after_ms: Option<u64>,
    /// Launch → registration (ms), if estimated (from an autoscaler's event).
    pub provision_ms: Option<u64>,
}

/// The boot time assumed for a launched node (ms): the model's default `provision_time`,
/// 60 s. Only the registration is in the node objects; a launch is written this long
/// before it (or at t = 0, booting for less, when the registration comes sooner).
pub const PROVISION_MS: u64 = 60_000;

/// The median of `v` (the lower of the two middle values), none when empty.
pub fn median(mut v: Vec<u64>) -> Option<u64> {
    v.sort_unstable();
    v.get(v.len().checked_sub(1)? / 2).copied()
}

/// Milliseconds as a duration string (`12.5s`, `60s`).
pub fn ms_duration(ms: u64) -> String {
    if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        let frac = format!("{:03}", ms % 1000);
        format!("{}.{}s", ms / 1000, frac.trim_end_matches('0'))
    }
}

/// A subnet of the scenario, before naming.
struct Net {
    /// Name before uniqueness: the `Name` tag, else the subnet ID.
    name: String,
    cidr: Ipv4Cidr,
    az: Option<String>,
    role_cni: Option<bool>,
    /// Subnet discovery's cluster tags (key, value).
    cluster_tags: Vec<(String, String)>,
    /// Addresses in use (from `describe-subnets`), and where that subnet is in its file.
    in_use: Option<(u64, JsonPath)>,
}

/// The scenario (problems go to `found`; the result is then incomplete).
pub fn build(c: &Cluster<'_>, found: &mut Found) -> ScenarioOut {
    let (nets, node_net) = match c.subnets {
        Some(list) => from_subnets(c.nodes, list, found),
        None => assumed(c.nodes),
    };
    // A node in no subnet (or several) is a problem already recorded: nothing to build.
    let Some(node_net) = node_net.into_iter().collect::<Option<Vec<usize>>>() else {
        return ScenarioOut {
            notes: Vec::new(),
            duration: DURATION.to_string(),
            cni: CniOut::from(c.cni),
            subnets: Vec::new(),
            nodegroups: Vec::new(),
            daemonsets: Vec::new(),
            workloads: Vec::new(),
        };
    };
    let net_names = unique(nets.iter().map(|n| n.name.clone()).collect(), MAX_NAME);
    let mut pods_on: BTreeMap<&str, u32> = BTreeMap::new();
    for p in c.pods.iter().filter(|p| !p.host_network) {
        if let Some(n) = &p.node {
            *pods_on.entry(n.as_str()).or_default() += 1;
        }
    }
    // Addresses the imported nodes explain, per subnet (estimate.rs).
    let mut explained = vec![0u64; nets.len()];
    let mut node_count = vec![0u64; nets.len()];
    for (node, &k) in c.nodes.iter().zip(&node_net) {
        let pd = c.cni.enable_prefix_delegation;
        let max_pods = node
            .max_pods
            .unwrap_or_else(|| node.instance_type.kubelet_max_pods(pd, false));
        let pods = pods_on.get(node.name.as_str()).copied().unwrap_or(0);
        explained[k] += node_addresses(node.instance_type, c.cni, max_pods, pods);
        node_count[k] += 1;
    }
    let mut subnets = Vec::new();
    for (k, net) in nets.iter().enumerate() {
        let used = net.in_use.as_ref().map(|(in_use, at)| {
            if explained[k] > *in_use {
                found.warn(
                    SUBNETS,
                    at.key("AvailableIpAddressCount"),
                    format!(
                        "the {} imported {} in {} would hold about {} addresses, more than \
                         the {in_use} in use (size − 5 − AvailableIpAddressCount); were \
                         describe-subnets and kubectl run at different times? `used` is 0",
                        node_count[k],
                        crate::text::noun(node_count[k] as u64, "node", "nodes"),
                        net.cidr,
                        explained[k]
                    ),
                );
            }
            in_use.saturating_sub(explained[k])
        });
        subnets.push(SubnetOut {
            name: net_names[k].clone(),
            cidr: net.cidr.to_string(),
            az: net.az.clone(),
            role_cni: net.role_cni,
            tags: net.cluster_tags.iter().cloned().collect(),
            used: used
                .filter(|u| *u > 0)
                .map(|u| u32::try_from(u).unwrap_or(u32::MAX)),
        });
    }
    let nodegroups = nodegroups(c.nodes, &node_net, &net_names, c.launches);
    let (daemonsets, workloads) = pod_groups(c.pods);
    subnets.sort_by(|a, b| a.name.cmp(&b.name));
    ScenarioOut {
        notes: Vec::new(),
        duration: DURATION.to_string(),
        cni: CniOut::from(c.cni),
        subnets,
        nodegroups,
        daemonsets,
        workloads,
    }
}

/// The subnets of `describe-subnets` that hold an imported node, plus those tagged
/// `kubernetes.io/role/cni: 1` in the same VPC and AZ as one (subnet discovery may put a
/// node's new ENIs there), in file order; and each node's subnet (an index into them;
/// `None`, with a problem recorded, for a node in no subnet or in several).
fn from_subnets(
    nodes: &[NodeInfo],
    list: &[SubnetInfo],
    found: &mut Found,
) -> (Vec<Net>, Vec<Option<usize>>) {
    let mut chosen: Vec<usize> = Vec::new();
    let mut node_subnet = Vec::with_capacity(nodes.len());
    for node in nodes {
        let holding: Vec<usize> = (0..list.len())
            .filter(|&i| list[i].contains(node.internal_ip))
            .collect();
        match holding.as_slice() {
            [i] => {
                node_subnet.push(Some(*i));
                if !chosen.contains(i) {
                    chosen.push(*i);
                }
            }
            [] => {
                found.error(
                    NODES,
                    node.ip_at(),
                    format!(
                        "node {}'s InternalIP {} is in none of the {} of --subnets; \
                         include its subnet (aws ec2 describe-subnets with no filter, or \
                         --filters Name=vpc-id,Values=<the cluster's VPC>)",
                        node.name,
                        node.internal_ip,
                        crate::text::Count(list.len() as u64, "subnet", "subnets")
                    ),
                );
                node_subnet.push(None);
            }
            several => {
                let shown: Vec<String> = several
                    .iter()
                    .map(|&i| format!("{} ({} in {})", list[i].id, list[i].cidr, list[i].vpc))
                    .collect();
                found.error(
                    NODES,
                    node.ip_at(),
                    format!(
                        "node {}'s InternalIP {} is in several subnets: {}; give the subnets of \
                         the cluster's VPC only (--filters Name=vpc-id,Values=<its VPC>)",
                        node.name,
                        node.internal_ip,
                        shown.join(", ")
                    ),
                );
                node_subnet.push(None);
            }
        }
    }
    let homes: BTreeSet<(&str, &str)> = chosen
        .iter()
        .map(|&i| (list[i].vpc.as_str(), list[i].az.as_str()))
        .collect();
    let mut all = chosen.clone();
    for (i, s) in list.iter().enumerate() {
        if s.role_cni == Some(true)
            && !all.contains(&i)
            && homes.contains(&(s.vpc.as_str(), s.az.as_str()))
        {
            all.push(i);
        }
    }
    all.sort_unstable();
    let tagged_names: Vec<&str> = all
        .iter()
        .filter_map(|&i| list[i].name_tag.as_deref())
        .collect();
    let nets = all
        .iter()
        .map(|&i| {
            let s = &list[i];
            let name = match &s.name_tag {
                Some(n) if tagged_names.iter().filter(|t| **t == n).count() == 1 => n.clone(),
                _ => s.id.clone(),
            };
            Net {
                name,
                cidr: s.cidr,
                az: Some(s.az.clone()),
                role_cni: s.role_cni,
                cluster_tags: s.cluster_tags.clone(),
                in_use: Some((s.in_use(), s.at.clone())),
            }
        })
        .collect();
    let index = node_subnet
        .iter()
        .map(|i| i.and_then(|i| all.iter().position(|a| *a == i)))
        .collect();
    (nets, index)
}

/// Without `--subnets`: one /16 per distinct /16 of the nodes' InternalIPs, named
/// `assumed-<network>/16`, with nothing else in use.
fn assumed(nodes: &[NodeInfo]) -> (Vec<Net>, Vec<Option<usize>>) {
    let nets16: BTreeSet<u32> = nodes
        .iter()
        .map(|n| u32::from(n.internal_ip) & 0xFFFF_0000)
        .collect();
    let nets16: Vec<u32> = nets16.into_iter().collect();
    let nets = nets16
        .iter()
        .map(|&base| {
            let cidr = Ipv4Cidr {
                base,
                prefix_len: 16,
            };
            Net {
                name: format!("assumed-{cidr}"),
                cidr,
                az: None,
                role_cni: None,
                cluster_tags: Vec::new(),
                in_use: None,
            }
        })
        .collect();
    let index = nodes
        .iter()
        .map(|n| {
            let ip = n.internal_ip;
            nets16.iter().position(|&b| {
                contains(
                    Ipv4Cidr {
                        base: b,
                        prefix_len: 16,
                    },
                    ip,
                )
            })
        })
        .collect();
    (nets, index)
}

/// One nodegroup per (group label, instance type, subnet, max pods), named after the group
/// label (`nodes` without one) plus whichever of the type, the subnet and `maxpods-N`
/// differ between groups of that label; sorted by name. `count` is the nodes at t = 0;
/// the others (`launches`) are the group's `launch` entries, and the median of their
/// registration → Ready its `aws_node_start`.
fn nodegroups(
    nodes: &[NodeInfo],
    node_net: &[usize],
    net_names: &[String],
    launches: &[Option<NodeLaunch>],
) -> Vec<NodeGroupOut> {
    type Key = (String, String, usize, Option<u32>);
    #[derive(Default)]
    struct Members {
        count: u32,
        launched: Vec<NodeLaunch>,
    }
    let mut groups: BTreeMap<Key, Members> = BTreeMap::new();
    for (i, (node, &k)) in nodes.iter().zip(node_net).enumerate() {
        let key = (
            node.group.clone().unwrap_or_default(),
            node.instance_type.name.clone(),
            k,
            node.max_pods,
        );
        let m = groups.entry(key).or_default();
        match launches.get(i).copied().flatten() {
            Some(l) => m.launched.push(l),
            None => m.count += 1,
        }
    }
    let keyed: Vec<(String, Vec<String>)> = groups
        .keys()
        .map(|(group, itype, k, max_pods)| {
            let parts = vec![
                dns_label(itype, "type"),
                dns_label(&net_names[*k], "subnet"),
                max_pods.map_or(String::new(), |m| format!("maxpods-{m}")),
            ];
            (dns_label(group, "nodes"), parts)
        })
        .collect();
    let names = unique(distinguish(&keyed), MAX_LABEL);
    let mut out: Vec<NodeGroupOut> = groups
        .into_iter()
        .zip(names)
        .map(|((key, members), name)| {
            let (_, itype, k, max_pods) = key;
            let mut launched = members.launched;
            launched.sort_by_key(|l| l.registered_ms);
            let provision = median(launched.iter().filter_map(|l| l.provision_ms).collect())
                .unwrap_or(PROVISION_MS);
            let mut launch: Vec<LaunchOut> = Vec::new();
            for l in &launched {
                let at = l.registered_ms.saturating_sub(provision);
                let entry = LaunchOut {
                    at: ms_duration(at),
                    count: 1,
                    provision_time: ms_duration(l.registered_ms - at),
                };
                match launch.last_mut() {
                    Some(last)
                        if last.at == entry.at && last.provision_time == entry.provision_time =>
                    {
                        last.count += 1;
                    }
                    _ => launch.push(entry),
                }
            }
            let ready = median(launched.iter().filter_map(|l| l.ready_after_ms).collect());
            NodeGroupOut {
                name,
                instance_type: itype,
                count: members.count,
                subnet: net_names[k].clone(),
                max_pods,
                aws_node_start: ready.map(ms_duration),
                launch,
            }
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// DaemonSets (by namespace and name; host network if its pods are) with aws-node and
/// kube-proxy always present, and workloads: one per (namespace, owner, host network) with
/// a replica per pod; bare pods of a namespace form `<namespace>-bare-pods`.
pub(super) fn pod_groups(pods: &[PodInfo]) -> (Vec<DaemonSetOut>, Vec<WorkloadOut>) {
    let mut daemonsets: BTreeMap<(String, String), bool> = BTreeMap::new();
    let mut workloads: BTreeMap<(String, String, String, bool), u32> = BTreeMap::new();
    for p in pods {
        match &p.owner {
            Owner::DaemonSet(name) => {
                *daemonsets
                    .entry((p.namespace.clone(), name.clone()))
                    .or_default() |= p.host_network;
            }
            Owner::Controller(kind, name) => {
                let key = (
                    p.namespace.clone(),
                    kind.clone(),
                    name.clone(),
                    p.host_network,
                );
                *workloads.entry(key).or_default() += 1;
            }
            Owner::Bare => {
                let key = (
                    p.namespace.clone(),
                    String::new(),
                    String::new(),
                    p.host_network,
                );
                *workloads.entry(key).or_default() += 1;
            }
        }
    }
    for name in ALWAYS_DAEMONSETS {
        if !daemonsets.keys().any(|(_, n)| n == name) {
            daemonsets.insert(("kube-system".to_string(), name.to_string()), true);
        }
    }
    let ds_keys: Vec<(String, String)> = daemonsets
        .keys()
        .map(|(ns, n)| (n.clone(), format!("{ns}-{n}")))
        .collect();
    let ds_names = unique(two_level(&ds_keys), MAX_LABEL);
    let mut ds: Vec<DaemonSetOut> = daemonsets
        .into_iter()
        .zip(ds_names)
        .map(|(((_, name), host), label)| DaemonSetOut {
            name: label,
            host_network: host || ALWAYS_DAEMONSETS.contains(&name.as_str()),
        })
        .collect();
    ds.sort_by(|a, b| a.name.cmp(&b.name));
    let wl_keys: Vec<(String, String)> = workloads
        .keys()
        .map(|(ns, kind, name, _)| label_key(ns, kind, name))
        .collect();
    let wl_names = unique(two_level(&wl_keys), MAX_LABEL);
    let mut wl: Vec<WorkloadOut> = workloads
        .into_iter()
        .zip(wl_names)
        .map(|(((_, _, _, host), replicas), name)| WorkloadOut {
            name: Some(name),
            trace: None,
            host_network: host,
            security_group_policy: false,
            annotations: Default::default(),
            replicas: Some(replicas),
        })
        .collect();
    wl.sort_by(|a, b| a.name.cmp(&b.name));
    (ds, wl)
}

/// A workload's `(short, long)` names for [`two_level`]: its owner's name and
/// `<namespace>-<name>`; a namespace's bare pods (no owner kind) are `<namespace>-bare-pods`.
pub(super) fn label_key(ns: &str, kind: &str, name: &str) -> (String, String) {
    if kind.is_empty() {
        let bare = format!("{ns}-bare-pods");
        (bare.clone(), bare)
    } else {
        (name.to_string(), format!("{ns}-{name}"))
    }
}

/// Each entry's short name as a DNS label, or its long one where two short ones collide.
pub(super) fn two_level(keys: &[(String, String)]) -> Vec<String> {
    let short: Vec<String> = keys.iter().map(|(s, _)| dns_label(s, "pods")).collect();
    let mut uses: BTreeMap<&str, usize> = BTreeMap::new();
    for s in &short {
        *uses.entry(s.as_str()).or_default() += 1;
    }
    keys.iter()
        .zip(&short)
        .map(|((_, long), s)| {
            if uses[s.as_str()] > 1 {
                dns_label(long, s)
            } else {
                s.clone()
            }
        })
        .collect()
}
