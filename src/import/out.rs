//! The scenario the import writes, as typed structs serialized by serde_yaml: only keys of
//! the scenario reference (docs/scenario-reference.md), in its order.

use crate::scenario::{CniConfig, PodSgEnforcingMode};
use serde::Serialize;
use std::collections::BTreeMap;

/// A whole scenario file.
#[derive(Clone, Debug, Serialize)]
pub struct ScenarioOut {
    /// Comment lines written after [`HEADER`] (without `# `): how a replay was made.
    #[serde(skip)]
    pub notes: Vec<String>,
    /// `duration`: simulated time (a duration string).
    pub duration: String,
    /// `cni`: every aws-node setting the scenario reads.
    pub cni: CniOut,
    /// `subnets`, sorted by name.
    pub subnets: Vec<SubnetOut>,
    /// `nodegroups`, sorted by name.
    pub nodegroups: Vec<NodeGroupOut>,
    /// `daemonsets`, sorted by name.
    pub daemonsets: Vec<DaemonSetOut>,
    /// `workloads`, sorted by name; left out when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub workloads: Vec<WorkloadOut>,
}

/// `cni`: the settings by their aws-node names, with the values aws-node would use.
#[derive(Clone, Debug, Serialize)]
pub struct CniOut {
    /// ENIs.
    #[serde(rename = "WARM_ENI_TARGET")]
    pub warm_eni_target: u32,
    /// IPs (0 = unset).
    #[serde(rename = "WARM_IP_TARGET")]
    pub warm_ip_target: u32,
    /// IPs (0 = unset).
    #[serde(rename = "MINIMUM_IP_TARGET")]
    pub minimum_ip_target: u32,
    /// Prefixes.
    #[serde(rename = "WARM_PREFIX_TARGET")]
    pub warm_prefix_target: u32,
    /// Prefix delegation.
    #[serde(rename = "ENABLE_PREFIX_DELEGATION")]
    pub enable_prefix_delegation: bool,
    /// ENIs; −1 = unset, as aws-node's default.
    #[serde(rename = "MAX_ENI")]
    pub max_eni: i64,
    /// Seconds.
    #[serde(rename = "IP_COOLDOWN_PERIOD")]
    pub ip_cooldown_period: i64,
    /// Custom networking (always false: ENIConfigs are not imported).
    #[serde(rename = "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG")]
    pub custom_network_cfg: bool,
    /// Subnet discovery.
    #[serde(rename = "ENABLE_SUBNET_DISCOVERY")]
    pub enable_subnet_discovery: bool,
    /// Stored, not modelled yet.
    #[serde(rename = "ENABLE_IPv4")]
    pub enable_ipv4: bool,
    /// Stored, not modelled yet.
    #[serde(rename = "ENABLE_IPv6")]
    pub enable_ipv6: bool,
    /// Stored, not modelled yet.
    #[serde(rename = "ENABLE_POD_ENI")]
    pub enable_pod_eni: bool,
    /// `strict` or `standard`; stored, not modelled yet.
    #[serde(rename = "POD_SECURITY_GROUP_ENFORCING_MODE")]
    pub pod_security_group_enforcing_mode: &'static str,
    /// The cluster's name for subnet discovery's cluster tags; left out when unset.
    #[serde(rename = "CLUSTER_NAME", skip_serializing_if = "String::is_empty")]
    pub cluster_name: String,
    /// Multi-NIC; written only when on.
    #[serde(
        rename = "ENABLE_MULTI_NIC",
        skip_serializing_if = "std::ops::Not::not"
    )]
    pub enable_multi_nic: bool,
}

impl From<&CniConfig> for CniOut {
    fn from(c: &CniConfig) -> CniOut {
        CniOut {
            warm_eni_target: c.warm_eni_target,
            warm_ip_target: c.warm_ip_target,
            minimum_ip_target: c.minimum_ip_target,
            warm_prefix_target: c.warm_prefix_target,
            enable_prefix_delegation: c.enable_prefix_delegation,
            max_eni: c.max_eni.map_or(-1, i64::from),
            ip_cooldown_period: c.ip_cooldown_period_s,
            custom_network_cfg: c.custom_network_cfg,
            enable_subnet_discovery: c.enable_subnet_discovery,
            enable_ipv4: c.enable_ipv4,
            enable_ipv6: c.enable_ipv6,
            enable_pod_eni: c.enable_pod_eni,
            pod_security_group_enforcing_mode: match c.pod_security_group_enforcing_mode {
                PodSgEnforcingMode::Strict => "strict",
                PodSgEnforcingMode::Standard => "standard",
            },
            cluster_name: c.cluster_name.clone(),
            enable_multi_nic: c.enable_multi_nic,
        }
    }
}

/// One `subnets` entry.
#[derive(Clone, Debug, Serialize)]
pub struct SubnetOut {
    /// The `Name` tag, else the subnet ID.
    pub name: String,
    /// IPv4 CIDR.
    pub cidr: String,
    /// Availability zone; left out (`default`) when unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub az: Option<String>,
    /// The `kubernetes.io/role/cni` tag, when set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_cni: Option<bool>,
    /// Subnet discovery's cluster tags (`cni.networking.k8s.aws/cluster/<name>` → value),
    /// when any.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// Addresses held by other resources (addresses), when any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub used: Option<u32>,
}

/// One `nodegroups` entry.
#[derive(Clone, Debug, Serialize)]
pub struct NodeGroupOut {
    /// A DNS label.
    pub name: String,
    /// EC2 instance type.
    pub instance_type: String,
    /// Nodes at t = 0.
    pub count: u32,
    /// The nodes' subnet.
    pub subnet: String,
    /// kubelet max pods (pods), when the nodes report it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_pods: Option<u32>,
    /// aws-node's start on a launched node (a duration string), when estimated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aws_node_start: Option<String>,
    /// Nodes launched after t = 0, in time order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub launch: Vec<LaunchOut>,
}

/// One `nodegroups[].launch` entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LaunchOut {
    /// When (a duration string from the scenario's start).
    pub at: String,
    /// Nodes launched then.
    pub count: u32,
    /// Boot until the kubelet registers the node (a duration string).
    pub provision_time: String,
}

/// One `daemonsets` entry.
#[derive(Clone, Debug, Serialize)]
pub struct DaemonSetOut {
    /// The DaemonSet's name.
    pub name: String,
    /// Host network: a slot, no IP.
    pub host_network: bool,
}

/// One `workloads` entry: a fixed replica count from t = 0, or a trace.
#[derive(Clone, Debug, Serialize)]
pub struct WorkloadOut {
    /// A DNS label (none for a trace: its rows name the workload).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The trace file, relative to the scenario's directory (`traces/<name>.csv`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
    /// Host network, when true.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub host_network: bool,
    /// Security groups for pods (a branch ENI per pod), when true.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub security_group_policy: bool,
    /// The pods' annotations the model reads (multi-NIC's `nicConfig`), when any.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub annotations: std::collections::BTreeMap<String, String>,
    /// Pods (none for a trace).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replicas: Option<u32>,
}

/// The first lines of every imported scenario (YAML comments).
pub const HEADER: &str =
    "# Written by `ipamsim import` from a cluster's kubectl and AWS CLI output \
                          (docs/import.md).\n# Every node runs from t = 0; edit `duration` and \
                          the workloads to replay what you want.\n";

/// The first line of an imported replay (its notes follow).
pub const REPLAY_HEADER: &str =
    "# Written by `ipamsim import` from a cluster's kubectl and AWS CLI output \
     (docs/import.md, \"Replay your cluster\").\n";

/// The scenario as YAML text: [`HEADER`] (a replay: [`REPLAY_HEADER`] and its notes), then
/// the document.
pub fn to_yaml(s: &ScenarioOut) -> Result<String, String> {
    let body = serde_yaml::to_string(s).map_err(|e| e.to_string())?;
    if s.notes.is_empty() {
        return Ok(format!("{HEADER}{body}"));
    }
    let notes: String = s.notes.iter().map(|n| format!("# {n}\n")).collect();
    Ok(format!("{REPLAY_HEADER}{notes}{body}"))
}
