//! What the report takes from `summary.json` (a run) and `comparison.json` (a comparison):
//! typed structs read by serde_json, keeping only the keys the report shows.

use crate::model::record::WaitCause;
use serde::Deserialize;

/// The keys of `summary.json` the report uses.
#[derive(Debug, Clone, Deserialize)]
pub struct RunMeta {
    /// `ipamsim_version`.
    pub ipamsim_version: String,
    /// The scenario's name.
    pub scenario: String,
    /// The seed used.
    pub seed: u64,
    /// Simulated duration (s).
    pub duration_s: f64,
    /// The aws-node settings in effect.
    pub cni: Cni,
    /// Pod-seconds waited by cause (absent in files of older versions).
    #[serde(default)]
    pub wait_by_cause_s: Option<CauseSeconds>,
    /// Calico block IPAM's settings, for a Calico run (absent otherwise).
    #[serde(default)]
    pub calico: Option<CalicoMeta>,
}

/// `summary.json`'s `calico` object, the part the report names.
#[derive(Debug, Clone, Deserialize)]
pub struct CalicoMeta {
    /// The IP pool (CIDR).
    pub pool: String,
    /// Block prefix length.
    pub block_size: u8,
    /// Strict affinity (no borrowing).
    pub strict_affinity: bool,
}

/// `summary.json`'s `cni` object: the effective aws-node settings.
#[derive(Debug, Clone, Deserialize)]
#[allow(non_snake_case, missing_docs)]
pub struct Cni {
    pub WARM_ENI_TARGET: u32,
    pub WARM_IP_TARGET: u32,
    pub MINIMUM_IP_TARGET: u32,
    pub WARM_PREFIX_TARGET: u32,
    pub ENABLE_PREFIX_DELEGATION: bool,
    pub MAX_ENI: i64,
    pub IP_COOLDOWN_PERIOD: i64,
    pub AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG: bool,
    pub ENABLE_SUBNET_DISCOVERY: bool,
}

impl Cni {
    /// `(name, value as shown)` for every setting, in `summary.json` order.
    pub fn shown(&self) -> Vec<(&'static str, String)> {
        let unset = |v: u32| {
            if v == 0 {
                "0 (unset)".to_string()
            } else {
                v.to_string()
            }
        };
        let max_eni = if self.MAX_ENI < 0 {
            "unset".to_string()
        } else {
            self.MAX_ENI.to_string()
        };
        vec![
            ("WARM_ENI_TARGET", self.WARM_ENI_TARGET.to_string()),
            ("WARM_IP_TARGET", unset(self.WARM_IP_TARGET)),
            ("MINIMUM_IP_TARGET", unset(self.MINIMUM_IP_TARGET)),
            ("WARM_PREFIX_TARGET", self.WARM_PREFIX_TARGET.to_string()),
            (
                "ENABLE_PREFIX_DELEGATION",
                self.ENABLE_PREFIX_DELEGATION.to_string(),
            ),
            ("MAX_ENI", max_eni),
            (
                "IP_COOLDOWN_PERIOD",
                format!("{} s", self.IP_COOLDOWN_PERIOD),
            ),
            (
                "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG",
                self.AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG.to_string(),
            ),
            (
                "ENABLE_SUBNET_DISCOVERY",
                self.ENABLE_SUBNET_DISCOVERY.to_string(),
            ),
        ]
    }
}

/// Seconds per wait cause, indexed as [`WaitCause::ALL`]; read from a JSON map keyed by
/// the cause words (an unknown word is an error).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CauseSeconds(pub [f64; WaitCause::ALL.len()]);

impl<'de> Deserialize<'de> for CauseSeconds {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = CauseSeconds;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a map from wait cause words to seconds")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<CauseSeconds, A::Error> {
                let mut out = CauseSeconds::default();
                while let Some(word) = map.next_key::<String>()? {
                    let cause = WaitCause::from_word(&word).ok_or_else(|| {
                        serde::de::Error::custom(format!("unknown wait cause \"{word}\""))
                    })?;
                    out.0[cause.index()] = map.next_value()?;
                }
                Ok(out)
            }
        }
        d.deserialize_map(Visit)
    }
}

/// The keys of `comparison.json` the report uses (all optional: the table and charts come
/// from `comparison.csv`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CompareMeta {
    /// `ipamsim_version`.
    #[serde(default)]
    pub ipamsim_version: Option<String>,
    /// The scenario's name.
    #[serde(default)]
    pub scenario: Option<String>,
    /// The first replication's seed.
    #[serde(default)]
    pub seed: Option<u64>,
    /// Runs per setting.
    #[serde(default)]
    pub replications: Option<u32>,
    /// The setting the `_diff_` columns are taken against.
    #[serde(default)]
    pub baseline: Option<Baseline>,
    /// The swept keys in axis order (each setting's label is `KEY=VALUE` per key, in this
    /// order, joined by spaces).
    #[serde(default)]
    pub keys: Option<Vec<String>>,
    /// The `--slo` objectives (and the scenario's), in order.
    #[serde(default)]
    pub objectives: Vec<Objective>,
}

/// One of `comparison.json`'s `objectives`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Objective {
    /// As written (`p99_time_to_running<=60s`).
    #[serde(default)]
    pub objective: String,
    /// The metric (`p99_time_to_running`, `idle_ips_mean`, ...).
    #[serde(default)]
    pub metric: String,
    /// The target, in seconds for times.
    #[serde(default)]
    pub target: Option<f64>,
}

/// `comparison.json`'s `baseline`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Baseline {
    /// 1-based row in `comparison.csv` order (`null` when it did not finish).
    #[serde(default)]
    pub row: Option<usize>,
}
