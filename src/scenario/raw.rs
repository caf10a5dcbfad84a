//! The scenario file as written: serde structs that mirror the YAML keys one to one.
//!
//! These types only fix the *shape* of a file (which keys exist where). Every leaf is a
//! [`Scalar`] that accepts any YAML value, and every nested section is a [`Deferred`]
//! sub-tree, so deserializing a section never fails on a wrong type or a bad value: those
//! are judged by [`super::validate`], which can then say exactly which field is wrong, what
//! was found and what is allowed, and keep going to report every problem in the file.
//!
//! Every struct denies unknown keys, and lists its keys in [`Keys::KEYS`] so that
//! validation can report each unknown key, with the allowed ones, before deserializing.

use serde::{Deserialize, Deserializer};
use serde_yaml::Value;
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

/// The keys a raw mapping type accepts, in the order the documentation lists them.
pub trait Keys {
    /// Every accepted key.
    const KEYS: &'static [&'static str];
}

/// A YAML value where a single value (string, number or boolean) is expected.
///
/// Anything else is kept as [`Scalar::Other`] so that validation can say what was found.
#[derive(Clone, Debug, PartialEq)]
pub enum Scalar {
    /// `true` / `false`.
    Bool(bool),
    /// A whole number (YAML integers fit in `i64` or `u64`).
    Int(i128),
    /// A number with a fraction, or `.inf` / `.nan`.
    Float(f64),
    /// A string, quoted or plain.
    Str(String),
    /// Not a single value: what was found, e.g. `a list`.
    Other(&'static str),
}

impl Scalar {
    /// Classifies any YAML value.
    pub fn from_value(value: &Value) -> Scalar {
        match value {
            Value::Bool(b) => Scalar::Bool(*b),
            Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Scalar::Int(i128::from(i))
                } else if let Some(u) = n.as_u64() {
                    Scalar::Int(i128::from(u))
                } else {
                    Scalar::Float(n.as_f64().unwrap_or(f64::NAN))
                }
            }
            Value::String(s) => Scalar::Str(s.clone()),
            other => Scalar::Other(kind_of(other)),
        }
    }

    /// The value as plain text, as the user wrote it for strings and numbers.
    pub fn text(&self) -> String {
        match self {
            Scalar::Bool(b) => b.to_string(),
            Scalar::Int(i) => i.to_string(),
            Scalar::Float(f) => f.to_string(),
            Scalar::Str(s) => s.clone(),
            Scalar::Other(kind) => (*kind).to_string(),
        }
    }
}

/// Shows the value for messages: strings quoted, numbers and booleans bare.
impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scalar::Str(s) => write!(f, "{s:?}"),
            other => f.write_str(&other.text()),
        }
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Value::deserialize(deserializer).map(|v| Scalar::from_value(&v))
    }
}

/// Describes what kind of YAML value this is, for "found …" in messages.
pub fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}

/// A nested part of the file, kept as YAML and decoded into `T` later (by
/// [`super::validate`]) so that problems inside it get their own field paths.
#[derive(Clone, Debug, PartialEq)]
pub struct Deferred<T> {
    /// The sub-tree as written.
    pub value: Value,
    marker: PhantomData<fn() -> T>,
}

impl<'de, T> Deserialize<'de> for Deferred<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Value::deserialize(deserializer).map(|value| Deferred {
            value,
            marker: PhantomData,
        })
    }
}

/// The whole file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    /// `name`: string; default the file stem.
    pub name: Option<Scalar>,
    /// `seed`: u64; default 1.
    pub seed: Option<Scalar>,
    /// `duration`: duration string; required, > 0.
    pub duration: Option<Scalar>,
    /// `sample_interval`: duration string, > 0; default 1s.
    pub sample_interval: Option<Scalar>,
    /// `cni`: aws-node environment variables.
    pub cni: Option<Deferred<RawCni>>,
    /// `subnets`: list.
    pub subnets: Option<Deferred<Vec<RawSubnet>>>,
    /// `nodegroups`: list.
    pub nodegroups: Option<Deferred<Vec<RawNodeGroup>>>,
    /// `daemonsets`: list.
    pub daemonsets: Option<Deferred<Vec<RawDaemonSet>>>,
    /// `workloads`: list.
    pub workloads: Option<Deferred<Vec<RawWorkload>>>,
    /// `ec2`: latency model.
    pub ec2: Option<Deferred<RawEc2>>,
    /// `kubelet`: retry timing.
    pub kubelet: Option<Deferred<RawKubelet>>,
    /// `ipamd`: simulator knobs.
    pub ipamd: Option<Deferred<RawIpamd>>,
    /// `eniconfigs`: ENIConfig per AZ for custom networking.
    pub eniconfigs: Option<Deferred<Vec<RawEniConfig>>>,
    /// `sweep`: CNI setting name → list of values, for `ipamsim compare`.
    pub sweep: Option<Deferred<Value>>,
    /// `faults`: ENIs missing from IMDS, aws-node restarts.
    pub faults: Option<Deferred<Value>>,
    /// `scheduler`: node choice.
    pub scheduler: Option<Deferred<RawScheduler>>,
}

impl Keys for RawScenario {
    const KEYS: &'static [&'static str] = &[
        "name",
        "seed",
        "duration",
        "sample_interval",
        "cni",
        "subnets",
        "nodegroups",
        "daemonsets",
        "workloads",
        "ec2",
        "kubelet",
        "ipamd",
        "scheduler",
        "eniconfigs",
        "sweep",
        "faults",
    ];
}

/// `cni`: aws-node environment variables, keyed by their exact names. Values may be YAML
/// numbers/booleans or strings as a DaemonSet manifest holds them (`"1"`, `"true"`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCni {
    /// `WARM_ENI_TARGET` (int).
    #[serde(rename = "WARM_ENI_TARGET")]
    pub warm_eni_target: Option<Scalar>,
    /// `WARM_IP_TARGET` (int).
    #[serde(rename = "WARM_IP_TARGET")]
    pub warm_ip_target: Option<Scalar>,
    /// `MINIMUM_IP_TARGET` (int).
    #[serde(rename = "MINIMUM_IP_TARGET")]
    pub minimum_ip_target: Option<Scalar>,
    /// `WARM_PREFIX_TARGET` (int).
    #[serde(rename = "WARM_PREFIX_TARGET")]
    pub warm_prefix_target: Option<Scalar>,
    /// `ENABLE_PREFIX_DELEGATION` (bool).
    #[serde(rename = "ENABLE_PREFIX_DELEGATION")]
    pub enable_prefix_delegation: Option<Scalar>,
    /// `MAX_ENI` (int).
    #[serde(rename = "MAX_ENI")]
    pub max_eni: Option<Scalar>,
    /// `IP_COOLDOWN_PERIOD` (int seconds).
    #[serde(rename = "IP_COOLDOWN_PERIOD")]
    pub ip_cooldown_period: Option<Scalar>,
    /// `AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG` (bool).
    #[serde(rename = "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG")]
    pub custom_network_cfg: Option<Scalar>,
    /// `ENABLE_SUBNET_DISCOVERY` (bool).
    #[serde(rename = "ENABLE_SUBNET_DISCOVERY")]
    pub enable_subnet_discovery: Option<Scalar>,
}

impl Keys for RawCni {
    const KEYS: &'static [&'static str] = &[
        "WARM_ENI_TARGET",
        "WARM_IP_TARGET",
        "MINIMUM_IP_TARGET",
        "WARM_PREFIX_TARGET",
        "ENABLE_PREFIX_DELEGATION",
        "MAX_ENI",
        "IP_COOLDOWN_PERIOD",
        "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG",
        "ENABLE_SUBNET_DISCOVERY",
    ];
}

/// One `subnets` entry.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSubnet {
    /// `name`: unique string.
    pub name: Option<Scalar>,
    /// `cidr`: IPv4 CIDR, /16 to /28.
    pub cidr: Option<Scalar>,
    /// `az`: availability zone name; default `default`.
    pub az: Option<Scalar>,
    /// `role_cni`: the `kubernetes.io/role/cni` tag as a boolean; default untagged.
    pub role_cni: Option<Scalar>,
    /// `used`: a count of scattered addresses, or a list of ranges.
    pub used: Option<Deferred<Value>>,
    /// `reservations`: prefix-type CIDR reservations.
    pub reservations: Option<Deferred<Vec<Scalar>>>,
}

impl Keys for RawSubnet {
    const KEYS: &'static [&'static str] =
        &["name", "cidr", "az", "role_cni", "used", "reservations"];
}

/// One `eniconfigs` entry.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEniConfig {
    /// `az`: the availability zone it serves.
    pub az: Option<Scalar>,
    /// `subnet`: the pod subnet (a subnet name).
    pub subnet: Option<Scalar>,
}

impl Keys for RawEniConfig {
    const KEYS: &'static [&'static str] = &["az", "subnet"];
}

/// One `nodegroups` entry.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNodeGroup {
    /// `name`: unique, `[a-z0-9-]`.
    pub name: Option<Scalar>,
    /// `instance_type`: a catalog name.
    pub instance_type: Option<Scalar>,
    /// `count`: nodes at t = 0.
    pub count: Option<Scalar>,
    /// `subnet`: a subnet name.
    pub subnet: Option<Scalar>,
    /// `subnets`: several subnet names (nodes spread round-robin).
    pub subnets: Option<Deferred<Vec<Scalar>>>,
    /// `max_pods`: optional, ≥ 1.
    pub max_pods: Option<Scalar>,
    /// `autoscaling`: optional autoscaler settings.
    pub autoscaling: Option<Deferred<super::autoscaling::RawAutoscaling>>,
    /// `launch`: optional list of explicit `{at, count}` launches.
    pub launch: Option<Deferred<Vec<super::autoscaling::RawLaunch>>>,
}

impl Keys for RawNodeGroup {
    const KEYS: &'static [&'static str] = &[
        "name",
        "instance_type",
        "count",
        "subnet",
        "subnets",
        "max_pods",
        "autoscaling",
        "launch",
    ];
}

/// One `daemonsets` entry.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDaemonSet {
    /// `name`: unique among daemonsets.
    pub name: Option<Scalar>,
    /// `host_network`: bool, default false.
    pub host_network: Option<Scalar>,
}

impl Keys for RawDaemonSet {
    const KEYS: &'static [&'static str] = &["name", "host_network"];
}

/// One `workloads` entry: exactly one of `replicas` (with optional `at`), `steps`,
/// `arrivals` (with `lifetime`, `from`, `until`) or `trace`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWorkload {
    /// `name`: unique among workloads, `[a-z0-9-]`.
    pub name: Option<Scalar>,
    /// `host_network`: bool, default false.
    pub host_network: Option<Scalar>,
    /// `at`: duration, only with `replicas`.
    pub at: Option<Scalar>,
    /// `replicas`: u32.
    pub replicas: Option<Scalar>,
    /// `steps`: list of `{at, replicas}`.
    pub steps: Option<Deferred<Vec<RawStep>>>,
    /// `arrivals`: `{rate}` or `{every, count}` (a churn workload).
    pub arrivals: Option<Deferred<RawArrivals>>,
    /// `lifetime`: a duration or a distribution mapping, only with `arrivals`.
    pub lifetime: Option<Deferred<Value>>,
    /// `from`: duration, start of arrivals.
    pub from: Option<Scalar>,
    /// `until`: duration, end of arrivals (exclusive).
    pub until: Option<Scalar>,
    /// `trace`: path of a CSV trace, relative to the scenario file.
    pub trace: Option<Scalar>,
}

impl Keys for RawWorkload {
    const KEYS: &'static [&'static str] = &[
        "name",
        "host_network",
        "at",
        "replicas",
        "steps",
        "arrivals",
        "lifetime",
        "from",
        "until",
        "trace",
    ];
}

/// A churn workload's `arrivals`: `{rate: 2/s}` (Poisson) or `{every: 30s, count: 20}`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawArrivals {
    /// `rate`: `<number>/s`, `/m` or `/h`.
    pub rate: Option<Scalar>,
    /// `every`: duration between batches.
    pub every: Option<Scalar>,
    /// `count`: pods per batch (default 1).
    pub count: Option<Scalar>,
}

impl Keys for RawArrivals {
    const KEYS: &'static [&'static str] = &["rate", "every", "count"];
}

/// `lognormal` of a lifetime: the mean and standard deviation of the lifetime itself.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLogNormal {
    /// `mean`: duration > 0.
    pub mean: Option<Scalar>,
    /// `sd`: duration ≥ 0.
    pub sd: Option<Scalar>,
}

impl Keys for RawLogNormal {
    const KEYS: &'static [&'static str] = &["mean", "sd"];
}

/// One `steps` entry of a workload.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStep {
    /// `at`: duration.
    pub at: Option<Scalar>,
    /// `replicas`: u32.
    pub replicas: Option<Scalar>,
}

impl Keys for RawStep {
    const KEYS: &'static [&'static str] = &["at", "replicas"];
}

/// `ec2`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEc2 {
    /// `latency`: a mapping from `default` or an EC2 action name to a [`RawLatency`].
    pub latency: Option<Deferred<BTreeMap<String, RawLatency>>>,
    /// `imds_delay`: a [`RawLatency`].
    pub imds_delay: Option<Deferred<RawLatency>>,
    /// `throttling`: `false`, or buckets per action class / action and background rates.
    pub throttling: Option<Deferred<Value>>,
    /// `retry`: the SDK retryer (`max_attempts`, `max_backoff`, `quota`).
    pub retry: Option<Deferred<Value>>,
    /// `error_latency`: how long a throttled or failed request takes.
    pub error_latency: Option<Scalar>,
    /// `faults`: per-action probability of a server error.
    pub faults: Option<Deferred<Value>>,
}

impl Keys for RawEc2 {
    const KEYS: &'static [&'static str] = &[
        "latency",
        "imds_delay",
        "throttling",
        "retry",
        "error_latency",
        "faults",
    ];
}

/// A latency as written: a duration, or a mapping for a distribution.
#[derive(Debug)]
pub enum RawLatency {
    /// `100ms`: always this long.
    Fixed(Scalar),
    /// `{min: …, max: …}` or `{exponential: …}`.
    Distribution(RawLatencyDistribution),
}

/// The mapping form of a latency: `{min, max}` (uniform) or `{exponential}` (its mean).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLatencyDistribution {
    /// `min` of a uniform latency.
    pub min: Option<Scalar>,
    /// `max` of a uniform latency.
    pub max: Option<Scalar>,
    /// Mean of an exponential latency.
    pub exponential: Option<Scalar>,
}

impl Keys for RawLatencyDistribution {
    const KEYS: &'static [&'static str] = &["min", "max", "exponential"];
}

/// `kubelet`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawKubelet {
    /// `retry_interval`: duration > 0.
    pub retry_interval: Option<Scalar>,
    /// `retry_jitter`: float in [0, 10].
    pub retry_jitter: Option<Scalar>,
}

impl Keys for RawKubelet {
    const KEYS: &'static [&'static str] = &["retry_interval", "retry_jitter"];
}

/// `ipamd`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawIpamd {
    /// `placement`: `random` or `canonical`.
    pub placement: Option<Scalar>,
    /// `tick_overhead`: duration, may be 0.
    pub tick_overhead: Option<Scalar>,
}

impl Keys for RawIpamd {
    const KEYS: &'static [&'static str] = &["placement", "tick_overhead"];
}

/// `scheduler`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScheduler {
    /// `policy`: `least-allocated` or `most-allocated`.
    pub policy: Option<Scalar>,
}

impl Keys for RawScheduler {
    const KEYS: &'static [&'static str] = &["policy"];
}
