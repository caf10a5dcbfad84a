//! The validated domain types a [`super::Scenario`] is made of, with their defaults and
//! the sources of those defaults.

use super::{autoscaling, churn, trace};
use crate::catalog::InstanceType;
use crate::time::{SimDuration, SimTime};
use std::fmt;

/// The CNI settings after the real ipamd's parsing rules (spec §a.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CniConfig {
    /// `WARM_ENI_TARGET` (ENIs; default 1; negative means 1).
    pub warm_eni_target: u32,
    /// `WARM_IP_TARGET` (IPs; 0 = unset; negative means 0).
    pub warm_ip_target: u32,
    /// `MINIMUM_IP_TARGET` (IPs; 0 = unset; negative means 0).
    pub minimum_ip_target: u32,
    /// `WARM_PREFIX_TARGET` (prefixes; default 1 as in the shipped manifest).
    pub warm_prefix_target: u32,
    /// `ENABLE_PREFIX_DELEGATION`.
    pub enable_prefix_delegation: bool,
    /// `MAX_ENI` when ≥ 1, else `None` (unset).
    pub max_eni: Option<u32>,
    /// `IP_COOLDOWN_PERIOD` in seconds (default 30; negative behaves as no cooldown).
    pub ip_cooldown_period_s: i64,
    /// `AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG`.
    pub custom_network_cfg: bool,
    /// `ENABLE_SUBNET_DISCOVERY` (default true).
    pub enable_subnet_discovery: bool,
    /// `ENABLE_IPv4` (default true, as the shipped manifest sets it). Read and checked; the
    /// model simulates IPv4 whatever it says (not modelled yet).
    pub enable_ipv4: bool,
    /// `ENABLE_IPv6` (default false). Read and checked; not modelled yet.
    pub enable_ipv6: bool,
    /// `ENABLE_POD_ENI` (default false): security groups for pods — a trunk ENI on
    /// trunking-compatible nodes and a branch ENI per selected pod (`model/podeni`).
    pub enable_pod_eni: bool,
    /// `POD_SECURITY_GROUP_ENFORCING_MODE` (default strict). Read and checked; not modelled
    /// yet.
    pub pod_security_group_enforcing_mode: PodSgEnforcingMode,
    /// `ENABLE_MULTI_NIC` (default false, v1.20.0+): ipamd manages every network card of
    /// the node, one datastore and one warm pool per card (`pkg/ipamd/ipamd.go:296-324`).
    pub enable_multi_nic: bool,
    /// `CLUSTER_NAME` (default empty = unset): with subnet discovery, a subnet tagged
    /// `cni.networking.k8s.aws/cluster/<name>` for other clusters only is not used
    /// (`model/ipamd/discovery.rs`).
    pub cluster_name: String,
}

/// `POD_SECURITY_GROUP_ENFORCING_MODE`: how security groups for pods are enforced.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum PodSgEnforcingMode {
    /// `strict` (aws-node's default): only the branch ENI's security groups apply.
    #[default]
    Strict,
    /// `standard`: the node's and the branch ENI's security groups both apply.
    Standard,
}

impl Default for CniConfig {
    fn default() -> Self {
        CniConfig {
            warm_eni_target: 1,
            warm_ip_target: 0,
            minimum_ip_target: 0,
            warm_prefix_target: 1,
            enable_prefix_delegation: false,
            max_eni: None,
            ip_cooldown_period_s: 30,
            custom_network_cfg: false,
            enable_subnet_discovery: true,
            enable_ipv4: true,
            enable_ipv6: false,
            enable_pod_eni: false,
            pod_security_group_enforcing_mode: PodSgEnforcingMode::Strict,
            enable_multi_nic: false,
            cluster_name: String::new(),
        }
    }
}

/// An IPv4 CIDR block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv4Cidr {
    /// Network address as a big-endian `u32` (host bits zero).
    pub base: u32,
    /// Prefix length, 0–32.
    pub prefix_len: u8,
}

impl Ipv4Cidr {
    /// Number of addresses in the block.
    pub fn size(&self) -> u64 {
        1u64 << (32 - u32::from(self.prefix_len))
    }
}

impl fmt::Display for Ipv4Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}",
            std::net::Ipv4Addr::from(self.base),
            self.prefix_len
        )
    }
}

/// Addresses of a subnet already taken by other resources at t = 0.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum UsedSpec {
    /// Nothing besides the AWS-reserved addresses.
    #[default]
    None,
    /// This many addresses, scattered with the seeded RNG over the subnet (outside
    /// reservations): a fragmented subnet.
    Count(u32),
    /// Explicit inclusive address ranges `(first, last)` as big-endian `u32`s.
    Ranges(Vec<(u32, u32)>),
}

/// A VPC subnet.
#[derive(Clone, Debug)]
pub struct SubnetSpec {
    /// Name used by nodegroups and ENIConfigs.
    pub name: String,
    /// The subnet's CIDR (/16 to /28, as AWS allows).
    pub cidr: Ipv4Cidr,
    /// Availability zone (default `default`).
    pub az: String,
    /// The subnet's `kubernetes.io/role/cni` tag as ipamd reads it: `Some(false)` = "0",
    /// `Some(true)` = any other non-empty value ("1", "shared", …), `None` = untagged or an
    /// empty value. Subnet discovery uses another subnet only when it is `Some(true)` and
    /// skips the node's own subnet when it is `Some(false)` (`model/ipamd/discovery.rs`).
    pub role_cni: Option<bool>,
    /// The cluster names of the subnet's `cni.networking.k8s.aws/cluster/<name>` tag keys
    /// (values are not read), sorted; empty when it has none.
    pub cluster_tags: Vec<String>,
    /// Addresses taken by other resources at t = 0.
    pub used: UsedSpec,
    /// Subnet CIDR reservations of type `prefix`: only /28 prefixes may use them.
    pub reservations: Vec<Ipv4Cidr>,
    /// The subnet's IPv6 CIDR (always a /64 in AWS): its network address, if it has one.
    pub ipv6_cidr: Option<u128>,
}

/// An ENIConfig: with custom networking, the subnet for pod ENIs of nodes in one AZ.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EniConfigSpec {
    /// Availability zone it applies to.
    pub az: String,
    /// Index into [`super::Scenario::subnets`] (a subnet in that AZ).
    pub subnet: usize,
}

/// A group of identical nodes.
#[derive(Clone, Debug)]
pub struct NodeGroupSpec {
    /// Name, used in node names (`<name>-<n>`).
    pub name: String,
    /// The instance type's limits.
    pub instance_type: InstanceType,
    /// Nodes present at t = 0.
    pub count: u32,
    /// Indexes into [`super::Scenario::subnets`]: the nodes' primary subnets, used round-robin
    /// (node 1 in the first, node 2 in the second, …).
    pub subnets: Vec<usize>,
    /// kubelet max pods (pods); the `max_pods` key, or the default for the CNI mode
    /// ([`crate::catalog::InstanceType::kubelet_max_pods`]).
    pub max_pods: u32,
    /// `autoscaling`: the Cluster-Autoscaler-like loop may add and remove nodes.
    pub autoscaling: Option<autoscaling::AutoscalingSpec>,
    /// `launch`: explicit launches, in time order.
    pub launches: Vec<autoscaling::LaunchSpec>,
    /// A launched node's aws-node start: from its registration (NotReady) until ipamd's
    /// `nodeInit` starts (DaemonSet pod start, image pull, container start, ipamd's own
    /// start-up).
    pub aws_node_start: Latency,
}

/// A DaemonSet: one pod on every node from the node's creation.
#[derive(Clone, Debug)]
pub struct DaemonSetSpec {
    /// Name, used in pod names (`<name>-<node>`).
    pub name: String,
    /// Host-network pods take a max-pods slot and no IP.
    pub host_network: bool,
}

/// A workload (Deployment-like): a desired replica count that changes over time.
#[derive(Clone, Debug)]
pub struct WorkloadSpec {
    /// Name, used in pod names (`<name>-<n>`, n from 1).
    pub name: String,
    /// Host-network pods take a max-pods slot and no IP.
    pub host_network: bool,
    /// `security_group_policy`: a SecurityGroupPolicy selects the pods, so each requests
    /// one `vpc.amazonaws.com/pod-eni` and gets its own branch ENI (with `ENABLE_POD_ENI`).
    pub security_group_policy: bool,
    /// `annotations`: the pods' annotations as a manifest writes them, sorted by key.
    pub annotations: Vec<(String, String)>,
    /// The pods carry `k8s.amazonaws.com/nicConfig: multi-nic-attachment`: each asks the
    /// VPC CNI for one address per managed network card (a multi-homed pod).
    pub multi_nic: bool,
    /// `(time, replicas)` in strictly increasing time order; from `replicas`/`at` or `steps`
    /// (empty for churn and trace workloads).
    pub steps: Vec<(SimTime, u32)>,
    /// What else creates and deletes its pods: churn arrivals or a trace.
    pub source: WorkloadSource,
}

/// The pod annotation the VPC CNI plugin reads for multi-NIC
/// (`cmd/routed-eni-cni-plugin/cni.go:53`).
pub const NIC_CONFIG: &str = "k8s.amazonaws.com/nicConfig";
/// Its one value that asks for an address per managed network card (`cni.go:54`).
pub const MULTI_NIC_ATTACHMENT: &str = "multi-nic-attachment";

/// Where a workload's pods come from.
#[derive(Clone, Debug)]
pub enum WorkloadSource {
    /// `replicas` or `steps`: a desired count over time ([`WorkloadSpec::steps`]).
    Replicas,
    /// `arrivals` + `lifetime`: pods that arrive and expire.
    Churn(churn::ChurnSpec),
    /// `trace`: creates and deletes replayed from a CSV file (shared, read once).
    Trace(std::sync::Arc<trace::Trace>),
}

/// EC2 API actions ipamd calls. The discriminant indexes per-action arrays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Ec2Action {
    /// `AssignPrivateIpAddresses`
    AssignPrivateIpAddresses = 0,
    /// `UnassignPrivateIpAddresses`
    UnassignPrivateIpAddresses = 1,
    /// `CreateNetworkInterface`
    CreateNetworkInterface = 2,
    /// `AttachNetworkInterface`
    AttachNetworkInterface = 3,
    /// `ModifyNetworkInterfaceAttribute`
    ModifyNetworkInterfaceAttribute = 4,
    /// `DetachNetworkInterface`
    DetachNetworkInterface = 5,
    /// `DeleteNetworkInterface`
    DeleteNetworkInterface = 6,
    /// `DescribeNetworkInterfaces`
    DescribeNetworkInterfaces = 7,
    /// `DescribeInstances`
    DescribeInstances = 8,
    /// `DescribeSubnets`
    DescribeSubnets = 9,
    /// `AssignIpv6Addresses` (an IPv6 /80 prefix at IPv6 `nodeInit`)
    AssignIpv6Addresses = 10,
    /// `AssociateTrunkInterface` (the VPC resource controller, a branch ENI to its trunk)
    AssociateTrunkInterface = 11,
}

/// Number of EC2 actions modelled (the length of per-action tables).
pub const EC2_ACTIONS: usize = 12;

impl Ec2Action {
    /// Every action, in index order.
    pub const ALL: [Ec2Action; EC2_ACTIONS] = [
        Ec2Action::AssignPrivateIpAddresses,
        Ec2Action::UnassignPrivateIpAddresses,
        Ec2Action::CreateNetworkInterface,
        Ec2Action::AttachNetworkInterface,
        Ec2Action::ModifyNetworkInterfaceAttribute,
        Ec2Action::DetachNetworkInterface,
        Ec2Action::DeleteNetworkInterface,
        Ec2Action::DescribeNetworkInterfaces,
        Ec2Action::DescribeInstances,
        Ec2Action::DescribeSubnets,
        Ec2Action::AssignIpv6Addresses,
        Ec2Action::AssociateTrunkInterface,
    ];

    /// The EC2 API name.
    pub fn name(self) -> &'static str {
        match self {
            Ec2Action::AssignPrivateIpAddresses => "AssignPrivateIpAddresses",
            Ec2Action::UnassignPrivateIpAddresses => "UnassignPrivateIpAddresses",
            Ec2Action::CreateNetworkInterface => "CreateNetworkInterface",
            Ec2Action::AttachNetworkInterface => "AttachNetworkInterface",
            Ec2Action::ModifyNetworkInterfaceAttribute => "ModifyNetworkInterfaceAttribute",
            Ec2Action::DetachNetworkInterface => "DetachNetworkInterface",
            Ec2Action::DeleteNetworkInterface => "DeleteNetworkInterface",
            Ec2Action::DescribeNetworkInterfaces => "DescribeNetworkInterfaces",
            Ec2Action::DescribeInstances => "DescribeInstances",
            Ec2Action::DescribeSubnets => "DescribeSubnets",
            Ec2Action::AssignIpv6Addresses => "AssignIpv6Addresses",
            Ec2Action::AssociateTrunkInterface => "AssociateTrunkInterface",
        }
    }

    /// Looks an action up by its EC2 API name.
    pub fn from_name(name: &str) -> Option<Ec2Action> {
        Ec2Action::ALL.into_iter().find(|a| a.name() == name)
    }
}

/// How long something takes: fixed, or drawn from a distribution.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Latency {
    /// Always this long.
    Fixed(SimDuration),
    /// Uniform between `min` and `max` (inclusive).
    Uniform {
        /// Shortest.
        min: SimDuration,
        /// Longest.
        max: SimDuration,
    },
    /// Exponential with this mean.
    Exponential {
        /// Mean.
        mean: SimDuration,
    },
}

impl Ec2Action {
    /// Whether EC2 counts the action as mutating (the `Describe*` actions are not).
    pub fn is_mutating(self) -> bool {
        !matches!(
            self,
            Ec2Action::DescribeNetworkInterfaces
                | Ec2Action::DescribeInstances
                | Ec2Action::DescribeSubnets
        )
    }
}

/// One account-wide token bucket (EC2 request rate limiting).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BucketSpec {
    /// Maximum tokens (requests in a burst).
    pub capacity: u32,
    /// Tokens added back every second.
    pub refill_per_s: u32,
}

/// EC2 API throttling: one bucket per action, shared by every node of the account.
#[derive(Clone, Debug, PartialEq)]
pub struct ThrottlingConfig {
    /// Throttling on (default) or off (unlimited EC2).
    pub enabled: bool,
    /// Bucket per action, indexed by `Ec2Action as usize`.
    pub buckets: [BucketSpec; EC2_ACTIONS],
    /// Other tenants' requests per second per action, taken from the same buckets.
    pub background_per_s: [u32; EC2_ACTIONS],
}

impl Default for ThrottlingConfig {
    /// EC2 API Reference, "Request throttling for the Amazon EC2 API": non-mutating
    /// (`Describe*`) actions bucket 100, refill 20/s; mutating actions bucket 50, refill 5/s.
    fn default() -> Self {
        let mut buckets = [BucketSpec {
            capacity: 50,
            refill_per_s: 5,
        }; EC2_ACTIONS];
        for a in Ec2Action::ALL {
            if !a.is_mutating() {
                buckets[a as usize] = BucketSpec {
                    capacity: 100,
                    refill_per_s: 20,
                };
            }
        }
        ThrottlingConfig {
            enabled: true,
            buckets,
            background_per_s: [0; EC2_ACTIONS],
        }
    }
}

/// The AWS SDK for Go v2 standard retryer that ipamd's EC2 client uses (spec §e.7).
#[derive(Clone, Debug, PartialEq)]
pub struct RetryConfig {
    /// Attempts per call, the first included (default 3).
    pub max_attempts: u32,
    /// Longest backoff between attempts (default 20 s).
    pub max_backoff: SimDuration,
    /// Client-side retry quota per node (default 500 tokens; a retry costs 5).
    pub quota: u32,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            max_attempts: 3,
            max_backoff: SimDuration::from_secs(20),
            quota: 500,
        }
    }
}

/// EC2 API and instance-metadata timing, throttling, retries and faults.
#[derive(Clone, Debug, PartialEq)]
pub struct Ec2Config {
    /// Round-trip time of each action, indexed by `Ec2Action as usize`.
    pub latency: [Latency; EC2_ACTIONS],
    /// Time from `AttachNetworkInterface` returning until the ENI and its IPs appear in IMDS.
    pub imds_delay: Latency,
    /// Account-wide request throttling.
    pub throttling: ThrottlingConfig,
    /// Time EC2 takes to answer a throttled or failed request (default 50 ms).
    pub error_latency: SimDuration,
    /// The SDK's retries.
    pub retry: RetryConfig,
    /// Probability that one request fails with a server error (retried by the SDK), per action.
    pub fault_rate: [f64; EC2_ACTIONS],
    /// Which free address (or /28) EC2 hands out.
    pub address_choice: AddressChoice,
}

/// Which free address EC2 hands out for a secondary IP, an ENI's primary IP or a /28
/// prefix (`ec2.address_choice`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AddressChoice {
    /// Uniformly at random among the free ones (each subnet its own seeded stream): EC2
    /// does not hand out the lowest free address, and scattered single addresses are what
    /// fragments a subnet for prefixes (EKS docs; cilium/cilium#38499).
    #[default]
    Random,
    /// The lowest free one (readable, but a released address comes straight back and
    /// fragmentation is understated).
    Lowest,
}

/// Faults beyond EC2 errors.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FaultConfig {
    /// Probability that a newly attached ENI does not show in instance metadata during
    /// ipamd's wait (it shows 200 s after attach, and reconcile adopts it).
    pub eni_missing_from_imds: f64,
    /// aws-node restarts: `(time, node name)`.
    pub aws_node_restarts: Vec<(SimTime, String)>,
}

impl Default for Ec2Config {
    /// Defaults and their sources (README "Defaults and sources"):
    /// - AssignPrivateIpAddresses 400–600 ms uniform: PR aws/amazon-vpc-cni-k8s#648 ("adds a
    ///   400 - 600ms delay before marking a node as Ready" for the init-time top-up).
    /// - DescribeInstances 100 ms + AttachNetworkInterface 1.5 s + ModifyNetworkInterfaceAttribute
    ///   200 ms = 1.8 s: issue #1872 logs 1.81 s from "Created a new ENI" to "Allocated 3 private
    ///   IP addresses".
    /// - IMDS delay 1–4 s uniform after attach: #1872 shows the ENI in IMDS ~0.3 s after attach
    ///   and its IPs later than 0.76 s; the docs bound create-and-attach at "up to 10 seconds".
    /// - Everything else: assumptions (100 ms reads, 200–500 ms writes).
    fn default() -> Self {
        use Ec2Action::*;
        let ms = |m| Latency::Fixed(SimDuration::from_millis(m));
        let mut latency = [ms(100); EC2_ACTIONS];
        latency[AssignPrivateIpAddresses as usize] = Latency::Uniform {
            min: SimDuration::from_millis(400),
            max: SimDuration::from_millis(600),
        };
        latency[UnassignPrivateIpAddresses as usize] = ms(200);
        latency[CreateNetworkInterface as usize] = ms(400);
        latency[AttachNetworkInterface as usize] = ms(1500);
        latency[ModifyNetworkInterfaceAttribute as usize] = ms(200);
        latency[DetachNetworkInterface as usize] = ms(500);
        latency[DeleteNetworkInterface as usize] = ms(300);
        latency[DescribeNetworkInterfaces as usize] = ms(100);
        latency[DescribeInstances as usize] = ms(100);
        latency[DescribeSubnets as usize] = ms(100);
        // assumptions: as the IPv4 assignment, and as a create
        latency[AssignIpv6Addresses as usize] = Latency::Uniform {
            min: SimDuration::from_millis(400),
            max: SimDuration::from_millis(600),
        };
        latency[AssociateTrunkInterface as usize] = ms(400);
        Ec2Config {
            latency,
            imds_delay: Latency::Uniform {
                min: SimDuration::from_secs(1),
                max: SimDuration::from_secs(4),
            },
            throttling: ThrottlingConfig::default(),
            error_latency: SimDuration::from_millis(50),
            retry: RetryConfig::default(),
            fault_rate: [0.0; EC2_ACTIONS],
            address_choice: AddressChoice::Random,
        }
    }
}

/// Which output files a run writes (`outputs:` or `--outputs`); `summary.json` always is.
/// `all` is every CSV file; `metrics.om` is written only when `metrics` is named.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutputSet {
    /// `timeline.csv`.
    pub timeline: bool,
    /// `nodes.csv`.
    pub nodes: bool,
    /// `pods.csv`.
    pub pods: bool,
    /// `subnets.csv`.
    pub subnets: bool,
    /// `events.csv`.
    pub events: bool,
    /// `waits.csv`.
    pub waits: bool,
    /// `blocks.csv` (written by Calico runs only).
    pub blocks: bool,
    /// `metrics.om` (OpenMetrics; opt-in, not part of `all`).
    pub metrics: bool,
    /// The Unix time (ms) `metrics.om`'s timestamps count from (`--metrics-start`;
    /// default 2026-01-01T00:00:00Z).
    pub metrics_start_ms: i64,
}

impl Default for OutputSet {
    /// Every file.
    fn default() -> Self {
        OutputSet {
            timeline: true,
            nodes: true,
            pods: true,
            subnets: true,
            events: true,
            waits: true,
            blocks: true,
            metrics: false,
            metrics_start_ms: Self::DEFAULT_METRICS_START_MS,
        }
    }
}

impl OutputSet {
    /// The names `outputs:` and `--outputs` accept, in the order files are listed.
    pub const NAMES: [&'static str; 8] = [
        "timeline", "nodes", "pods", "subnets", "events", "waits", "blocks", "metrics",
    ];

    /// 2026-01-01T00:00:00Z in Unix milliseconds: `metrics.om`'s default epoch.
    pub const DEFAULT_METRICS_START_MS: i64 = 1_767_225_600_000;

    /// No CSV file (only `summary.json`).
    pub const NONE: OutputSet = OutputSet {
        timeline: false,
        nodes: false,
        pods: false,
        subnets: false,
        events: false,
        waits: false,
        blocks: false,
        metrics: false,
        metrics_start_ms: Self::DEFAULT_METRICS_START_MS,
    };

    /// Adds the file named `name` (one of [`OutputSet::NAMES`], or `all`); false if the
    /// name is not one.
    pub fn add(&mut self, name: &str) -> bool {
        match name {
            "timeline" => self.timeline = true,
            "nodes" => self.nodes = true,
            "pods" => self.pods = true,
            "subnets" => self.subnets = true,
            "events" => self.events = true,
            "waits" => self.waits = true,
            "blocks" => self.blocks = true,
            "metrics" => self.metrics = true,
            // every CSV file; metrics.om only if named
            "all" => {
                *self = OutputSet {
                    metrics: self.metrics,
                    metrics_start_ms: self.metrics_start_ms,
                    ..OutputSet::default()
                }
            }
            _ => return false,
        }
        true
    }

    /// Parses a comma-separated list (`--outputs timeline,pods`; `summary` alone, or an
    /// empty list, means no CSV file).
    pub fn parse_list(text: &str) -> Result<OutputSet, String> {
        let mut set = OutputSet::NONE;
        for name in text.split(',').map(str::trim) {
            if name.is_empty() {
                return Err(format!(
                    "an empty output name in {:?}; give names separated by single commas, \
                     e.g. timeline,pods (or summary for summary.json alone); allowed: {}, all",
                    super::Escaped(text).to_string(),
                    OutputSet::NAMES.join(", ")
                ));
            }
            if name != "summary" && !set.add(name) {
                return Err(format!(
                    "unknown output {:?}; allowed: {}, all (summary.json is always written)",
                    super::Escaped(name).to_string(),
                    OutputSet::NAMES.join(", ")
                ));
            }
        }
        Ok(set)
    }
}
