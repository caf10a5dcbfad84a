//! The scenario file as written: one struct per mapping, mirroring the YAML keys one to one.
//!
//! These types only fix the *shape* of a file (which keys exist where). Every leaf is a
//! [`Scalar`] that accepts any YAML value, and every nested section is a [`Deferred`]
//! sub-tree, so reading a section never fails on a wrong type or a bad value: those are
//! judged by [`super::validate`], which can then say exactly which field is wrong, what was
//! found and what is allowed, and keep going to report every problem in the file.
//!
//! Each struct lists its keys in [`Keys::KEYS`] (in the order the documentation lists
//! them); [`RawMapping::set`] takes exactly those keys, so validation reports every other
//! key, with the allowed ones. The structs are declared with [`raw_mapping!`], which
//! generates the struct, its key list and its setter from one list, so they cannot
//! disagree.

use super::yaml::{Kind, Node};
use std::fmt;

/// The keys a raw mapping type accepts, in the order the documentation lists them.
pub trait Keys {
    /// Every accepted key.
    const KEYS: &'static [&'static str];
}

/// A raw mapping type, filled from a mapping's entries one key at a time.
pub trait RawMapping<'a>: Keys + Default {
    /// Stores `value` under `key`; false if `key` is not one of [`Keys::KEYS`].
    fn set(&mut self, key: &str, value: &'a Node) -> bool;
}

/// What a raw field keeps of its YAML value.
pub trait FromNode<'a> {
    /// Takes the field's value.
    fn from_node(node: &'a Node) -> Self;
}

/// Declares a raw mapping struct: `Name<'a> { /// doc  field: Scalar = "key", … }`. Every
/// field is an `Option` (absent keys are `None`).
macro_rules! raw_mapping {
    (
        $(#[$meta:meta])*
        $name:ident<$lt:lifetime> {
            $( $(#[$fmeta:meta])* $field:ident: $ty:ty = $key:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Default)]
        pub struct $name<$lt> {
            $( $(#[$fmeta])* pub $field: Option<$ty>, )*
            /// Ties the struct to the tree it borrows from.
            pub _tree: std::marker::PhantomData<&$lt crate::scenario::yaml::Node>,
        }

        impl $crate::scenario::raw::Keys for $name<'_> {
            const KEYS: &'static [&'static str] = &[$($key),*];
        }

        impl<$lt> $crate::scenario::raw::RawMapping<$lt> for $name<$lt> {
            fn set(&mut self, key: &str, value: &$lt crate::scenario::yaml::Node) -> bool {
                match key {
                    $( $key => {
                        self.$field =
                            Some($crate::scenario::raw::FromNode::from_node(value));
                        true
                    } )*
                    _ => false,
                }
            }
        }
    };
}
pub(crate) use raw_mapping;

/// A YAML value where a single value (string, number or boolean) is expected.
///
/// Anything else is kept as [`Scalar::Other`] so that validation can say what was found.
#[derive(Clone, Debug, PartialEq)]
pub enum Scalar {
    /// `true` / `false`.
    Bool(bool),
    /// A whole number.
    Int(i128),
    /// A number with a fraction, an exponent, `.inf` / `.nan`, or an integer too large for
    /// `i128`; with the text as written.
    Float(f64, String),
    /// A string, quoted or plain.
    Str(String),
    /// Not a single value: what was found, e.g. `a list`.
    Other(&'static str),
}

impl Scalar {
    /// Classifies any YAML value.
    pub fn from_value(value: &Node) -> Scalar {
        match &value.kind {
            Kind::Bool(b) => Scalar::Bool(*b),
            Kind::Int(i) => Scalar::Int(*i),
            Kind::Float(f, text) => Scalar::Float(*f, text.clone()),
            Kind::Str(s) => Scalar::Str(s.clone()),
            _ => Scalar::Other(value.kind_name()),
        }
    }

    /// The value as plain text, as the user wrote it for strings and numbers.
    pub fn text(&self) -> String {
        match self {
            Scalar::Bool(b) => b.to_string(),
            Scalar::Int(i) => i.to_string(),
            Scalar::Float(_, text) => text.clone(),
            Scalar::Str(s) => s.clone(),
            Scalar::Other(kind) => (*kind).to_string(),
        }
    }
}

/// Shows the value for messages: strings quoted, numbers as written, booleans bare.
impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scalar::Str(s) => write!(f, "{s:?}"),
            other => f.write_str(&other.text()),
        }
    }
}

impl FromNode<'_> for Scalar {
    fn from_node(node: &Node) -> Self {
        Scalar::from_value(node)
    }
}

/// Describes what kind of YAML value this is, for "found …" in messages.
pub fn kind_of(value: &Node) -> &'static str {
    value.kind_name()
}

/// A nested part of the file, kept as YAML and read later (by [`super::validate`]) so that
/// problems inside it get their own field paths. The field's documentation says what shape
/// it should have.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Deferred<'a> {
    /// The sub-tree as written.
    pub value: &'a Node,
}

impl<'a> FromNode<'a> for Deferred<'a> {
    fn from_node(node: &'a Node) -> Self {
        Deferred { value: node }
    }
}

raw_mapping! {
    /// The whole file.
    RawScenario<'a> {
        /// `name`: string; default the file stem.
        name: Scalar = "name",
        /// `seed`: u64; default 1.
        seed: Scalar = "seed",
        /// `duration`: duration string; required, > 0.
        duration: Scalar = "duration",
        /// `sample_interval`: duration string, > 0; default 1s.
        sample_interval: Scalar = "sample_interval",
        /// `cni`: aws-node environment variables: a mapping by name, or a DaemonSet env
        /// list (`- name: … value: …`).
        cni: Deferred<'a> = "cni",
        /// `cni_from`: path of an aws-node DaemonSet manifest whose env is read first.
        cni_from: Scalar = "cni_from",
        /// `subnets`: list.
        subnets: Deferred<'a> = "subnets",
        /// `nodegroups`: list.
        nodegroups: Deferred<'a> = "nodegroups",
        /// `daemonsets`: list.
        daemonsets: Deferred<'a> = "daemonsets",
        /// `workloads`: list.
        workloads: Deferred<'a> = "workloads",
        /// `ec2`: latency model.
        ec2: Deferred<'a> = "ec2",
        /// `kubelet`: retry timing.
        kubelet: Deferred<'a> = "kubelet",
        /// `ipamd`: simulator knobs.
        ipamd: Deferred<'a> = "ipamd",
        /// `scheduler`: node choice.
        scheduler: Deferred<'a> = "scheduler",
        /// `resource_controller`: the VPC resource controller (security groups for pods).
        resource_controller: Deferred<'a> = "resource_controller",
        /// `eniconfigs`: ENIConfig per AZ for custom networking.
        eniconfigs: Deferred<'a> = "eniconfigs",
        /// `sweep`: CNI setting name → list of values, for `ipamsim compare`.
        sweep: Deferred<'a> = "sweep",
        /// `faults`: ENIs missing from IMDS, aws-node restarts.
        faults: Deferred<'a> = "faults",
        /// `allow_large`: bool; lifts the work budget for a scenario large on purpose.
        allow_large: Scalar = "allow_large",
        /// `outputs`: list of output file names.
        outputs: Deferred<'a> = "outputs",
        /// `slo`: list of objectives, `METRIC<=VALUE` or `METRIC>=VALUE`.
        slo: Deferred<'a> = "slo",
        /// `ipam`: which IPAM assigns pod addresses (`vpc-cni` or `calico`).
        ipam: Deferred<'a> = "ipam",
    }
}

raw_mapping! {
    /// `cni`: aws-node environment variables, keyed by their exact names. Values may be YAML
    /// numbers/booleans or strings as a DaemonSet manifest holds them (`"1"`, `"true"`).
    RawCni<'a> {
        /// `WARM_ENI_TARGET` (int).
        warm_eni_target: Scalar = "WARM_ENI_TARGET",
        /// `WARM_IP_TARGET` (int).
        warm_ip_target: Scalar = "WARM_IP_TARGET",
        /// `MINIMUM_IP_TARGET` (int).
        minimum_ip_target: Scalar = "MINIMUM_IP_TARGET",
        /// `WARM_PREFIX_TARGET` (int).
        warm_prefix_target: Scalar = "WARM_PREFIX_TARGET",
        /// `ENABLE_PREFIX_DELEGATION` (bool).
        enable_prefix_delegation: Scalar = "ENABLE_PREFIX_DELEGATION",
        /// `MAX_ENI` (int).
        max_eni: Scalar = "MAX_ENI",
        /// `IP_COOLDOWN_PERIOD` (int seconds).
        ip_cooldown_period: Scalar = "IP_COOLDOWN_PERIOD",
        /// `AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG` (bool).
        custom_network_cfg: Scalar = "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG",
        /// `ENABLE_SUBNET_DISCOVERY` (bool).
        enable_subnet_discovery: Scalar = "ENABLE_SUBNET_DISCOVERY",
        /// `ENABLE_IPv4` (bool; stored, not modelled yet).
        enable_ipv4: Scalar = "ENABLE_IPv4",
        /// `ENABLE_IPv6` (bool; stored, not modelled yet).
        enable_ipv6: Scalar = "ENABLE_IPv6",
        /// `ENABLE_POD_ENI` (bool; stored, not modelled yet).
        enable_pod_eni: Scalar = "ENABLE_POD_ENI",
        /// `POD_SECURITY_GROUP_ENFORCING_MODE` (`strict` or `standard`; stored, not modelled
        /// yet).
        pod_security_group_enforcing_mode: Scalar = "POD_SECURITY_GROUP_ENFORCING_MODE",
        /// `ENABLE_MULTI_NIC` (bool).
        enable_multi_nic: Scalar = "ENABLE_MULTI_NIC",
        /// `CLUSTER_NAME` (string; subnet discovery's cluster tags).
        cluster_name: Scalar = "CLUSTER_NAME",
    }
}

raw_mapping! {
    /// One `subnets` entry.
    RawSubnet<'a> {
        /// `name`: unique string.
        name: Scalar = "name",
        /// `cidr`: IPv4 CIDR, /16 to /28.
        cidr: Scalar = "cidr",
        /// `az`: availability zone name; default `default`.
        az: Scalar = "az",
        /// `role_cni`: the `kubernetes.io/role/cni` tag as a boolean; default untagged.
        role_cni: Scalar = "role_cni",
        /// `tags`: the subnet's AWS tags, a mapping of tag key to string value.
        tags: Deferred<'a> = "tags",
        /// `used`: a count of scattered addresses, or a list of ranges.
        used: Deferred<'a> = "used",
        /// `reservations`: prefix-type CIDR reservations.
        reservations: Deferred<'a> = "reservations",
        /// `ipv6_cidr`: the subnet's IPv6 /64.
        ipv6_cidr: Scalar = "ipv6_cidr",
    }
}

raw_mapping! {
    /// One `eniconfigs` entry.
    RawEniConfig<'a> {
        /// `az`: the availability zone it serves.
        az: Scalar = "az",
        /// `subnet`: the pod subnet (a subnet name).
        subnet: Scalar = "subnet",
    }
}

raw_mapping! {
    /// One `nodegroups` entry.
    RawNodeGroup<'a> {
        /// `name`: unique, `[a-z0-9-]`.
        name: Scalar = "name",
        /// `instance_type`: a catalog name.
        instance_type: Scalar = "instance_type",
        /// `count`: nodes at t = 0.
        count: Scalar = "count",
        /// `subnet`: a subnet name.
        subnet: Scalar = "subnet",
        /// `subnets`: several subnet names (nodes spread round-robin).
        subnets: Deferred<'a> = "subnets",
        /// `max_pods`: optional, ≥ 1.
        max_pods: Scalar = "max_pods",
        /// `autoscaling`: optional autoscaler settings.
        autoscaling: Deferred<'a> = "autoscaling",
        /// `launch`: optional list of explicit `{at, count}` launches.
        launch: Deferred<'a> = "launch",
        /// `aws_node_start`: latency from a launched node's registration until ipamd's
        /// `nodeInit` starts.
        aws_node_start: Deferred<'a> = "aws_node_start",
    }
}

raw_mapping! {
    /// One `daemonsets` entry.
    RawDaemonSet<'a> {
        /// `name`: unique among daemonsets.
        name: Scalar = "name",
        /// `host_network`: bool, default false.
        host_network: Scalar = "host_network",
    }
}

raw_mapping! {
    /// One `workloads` entry: exactly one of `replicas` (with optional `at`), `steps`,
    /// `arrivals` (with `lifetime`, `from`, `until`) or `trace`.
    RawWorkload<'a> {
        /// `name`: unique among workloads, `[a-z0-9-]`.
        name: Scalar = "name",
        /// `host_network`: bool, default false.
        host_network: Scalar = "host_network",
        /// `at`: duration, only with `replicas`.
        at: Scalar = "at",
        /// `replicas`: u32.
        replicas: Scalar = "replicas",
        /// `steps`: list of `{at, replicas}`.
        steps: Deferred<'a> = "steps",
        /// `arrivals`: `{rate}` or `{every, count}` (a churn workload).
        arrivals: Deferred<'a> = "arrivals",
        /// `lifetime`: a duration or a distribution mapping, only with `arrivals`.
        lifetime: Deferred<'a> = "lifetime",
        /// `from`: duration, start of arrivals.
        from: Scalar = "from",
        /// `until`: duration, end of arrivals (exclusive).
        until: Scalar = "until",
        /// `trace`: path of a CSV trace, relative to the scenario file.
        trace: Scalar = "trace",
        /// `security_group_policy`: bool, default false.
        security_group_policy: Scalar = "security_group_policy",
        /// `annotations`: the pods' annotations, a mapping of strings.
        annotations: Deferred<'a> = "annotations",
    }
}

raw_mapping! {
    /// A churn workload's `arrivals`: `{rate: 2/s}` (Poisson) or `{every: 30s, count: 20}`.
    RawArrivals<'a> {
        /// `rate`: `<number>/s`, `/m` or `/h`.
        rate: Scalar = "rate",
        /// `every`: duration between batches.
        every: Scalar = "every",
        /// `count`: pods per batch (default 1).
        count: Scalar = "count",
    }
}

raw_mapping! {
    /// `lognormal` of a lifetime: the mean and standard deviation of the lifetime itself.
    RawLogNormal<'a> {
        /// `mean`: duration > 0.
        mean: Scalar = "mean",
        /// `sd`: duration ≥ 0.
        sd: Scalar = "sd",
    }
}

raw_mapping! {
    /// One `steps` entry of a workload.
    RawStep<'a> {
        /// `at`: duration.
        at: Scalar = "at",
        /// `replicas`: u32.
        replicas: Scalar = "replicas",
    }
}

raw_mapping! {
    /// `ec2`.
    RawEc2<'a> {
        /// `latency`: a mapping from `default` or an EC2 action name to a [`RawLatency`].
        latency: Deferred<'a> = "latency",
        /// `imds_delay`: a [`RawLatency`].
        imds_delay: Deferred<'a> = "imds_delay",
        /// `throttling`: `false`, or buckets per action class / action and background rates.
        throttling: Deferred<'a> = "throttling",
        /// `retry`: the SDK retryer (`max_attempts`, `max_backoff`, `quota`).
        retry: Deferred<'a> = "retry",
        /// `error_latency`: how long a throttled or failed request takes.
        error_latency: Scalar = "error_latency",
        /// `faults`: per-action probability of a server error.
        faults: Deferred<'a> = "faults",
        /// `address_choice`: `random` (default) or `lowest`.
        address_choice: Scalar = "address_choice",
    }
}

/// A latency as written: a duration, or a mapping for a distribution.
#[derive(Debug)]
pub enum RawLatency<'a> {
    /// `100ms`: always this long.
    Fixed(Scalar),
    /// `{min: …, max: …}` or `{exponential: …}`.
    Distribution(RawLatencyDistribution<'a>),
}

raw_mapping! {
    /// The mapping form of a latency: `{min, max}` (uniform) or `{exponential}` (its mean).
    RawLatencyDistribution<'a> {
        /// `min` of a uniform latency.
        min: Scalar = "min",
        /// `max` of a uniform latency.
        max: Scalar = "max",
        /// Mean of an exponential latency.
        exponential: Scalar = "exponential",
    }
}

raw_mapping! {
    /// `kubelet`.
    RawKubelet<'a> {
        /// `retry_interval`: duration > 0.
        retry_interval: Scalar = "retry_interval",
        /// `retry_jitter`: float in [0, 10].
        retry_jitter: Scalar = "retry_jitter",
    }
}

raw_mapping! {
    /// `ipamd`.
    RawIpamd<'a> {
        /// `placement`: `random` or `canonical`.
        placement: Scalar = "placement",
        /// `tick_overhead`: duration, may be 0.
        tick_overhead: Scalar = "tick_overhead",
    }
}

raw_mapping! {
    /// `resource_controller`.
    RawResourceController<'a> {
        /// `branch_eni_cooldown`: duration, at least 30 s.
        branch_eni_cooldown: Scalar = "branch_eni_cooldown",
        /// `ec2_qps`: requests per second, ≥ 1.
        ec2_qps: Scalar = "ec2_qps",
        /// `ec2_burst`: requests, ≥ 1.
        ec2_burst: Scalar = "ec2_burst",
    }
}

raw_mapping! {
    /// `scheduler`.
    RawScheduler<'a> {
        /// `policy`: `least-allocated` or `most-allocated`.
        policy: Scalar = "policy",
    }
}

raw_mapping! {
    /// `ipam`.
    RawIpam<'a> {
        /// `plugin`: `vpc-cni` (default) or `calico`.
        plugin: Scalar = "plugin",
        /// `pool`: the Calico IP pool, an IPv4 CIDR.
        pool: Scalar = "pool",
        /// `block_size`: block prefix length, 20–32.
        block_size: Scalar = "block_size",
        /// `strict_affinity`: bool.
        strict_affinity: Scalar = "strict_affinity",
        /// `latency`: a [`RawLatency`] per assignment.
        latency: Deferred<'a> = "latency",
    }
}
