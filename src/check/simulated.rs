//! The run's side of `check`: its pods' times from `pods.csv` and its failed CNI ADDs from
//! `events.csv` (`no_ip` rows), read by header name through the explain readers.

use crate::explain::{parse_ms, Ms, Table};
use serde::de::Deserializer;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// What `check` needs of the run, or a located problem (invalid input).
pub type Read<T> = Result<T, crate::explain::ExplainError>;

/// Seconds as the run writes them, in ms.
fn ms_of<E: serde::de::Error>(v: &str) -> Result<Ms, E> {
    parse_ms(v).ok_or_else(|| E::custom(format!("{v:?} is not a time in seconds (such as 12.345)")))
}

/// A time in seconds.
fn secs<'de, D: Deserializer<'de>>(d: D) -> Result<Ms, D::Error> {
    ms_of(<&str>::deserialize(d)?)
}

/// An optional time in seconds (empty: none).
fn opt_secs<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Ms>, D::Error> {
    let v = <&str>::deserialize(d)?;
    if v.is_empty() {
        return Ok(None);
    }
    ms_of(v).map(Some)
}

/// The `pods.csv` columns `check` reads.
#[derive(Deserialize)]
struct PodRow<'r> {
    pod: &'r str,
    workload: &'r str,
    node: &'r str,
    host_network: &'r str,
    #[serde(deserialize_with = "secs")]
    created_s: Ms,
    #[serde(deserialize_with = "opt_secs")]
    scheduled_s: Option<Ms>,
    #[serde(deserialize_with = "opt_secs")]
    ip_assigned_s: Option<Ms>,
}

/// One simulated pod.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimPod {
    /// Its workload (`pods.csv` `workload`).
    pub workload: String,
    /// Its node, if bound.
    pub node: String,
    /// Creation (ms).
    pub created: Ms,
    /// Time to running (ms): creation → IP (binding for a host-network pod); none if it
    /// never ran.
    pub to_running: Option<Ms>,
}

/// The run's pods by name (the last row of a name wins: a trace may create a name again).
pub fn pods(dir: &Path) -> Read<BTreeMap<String, SimPod>> {
    let mut t = Table::open(dir, "pods.csv", "pods.csv and events.csv")?;
    let cols = t.columns::<PodRow<'_>>()?;
    let mut out = BTreeMap::new();
    while t.next()? {
        let r: PodRow<'_> = t.row(&cols)?;
        let host = match r.host_network {
            "true" => true,
            "false" => false,
            v => {
                return Err(t.error(format!(
                    "column host_network: {v:?} is neither true nor false"
                )))
            }
        };
        let running = if host { r.scheduled_s } else { r.ip_assigned_s };
        out.insert(
            r.pod.to_string(),
            SimPod {
                workload: r.workload.to_string(),
                node: r.node.to_string(),
                created: r.created_s,
                to_running: running.map(|x| x.since(r.created_s)),
            },
        );
    }
    Ok(out)
}

/// The `events.csv` columns `check` reads.
#[derive(Deserialize)]
struct EventRow<'r> {
    #[serde(deserialize_with = "secs")]
    time_s: Ms,
    node: &'r str,
    kind: &'r str,
    pod: &'r str,
    count: &'r str,
    #[serde(deserialize_with = "opt_secs")]
    until_s: Option<Ms>,
}

/// Failed CNI ADDs on one node, or in all.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Failed {
    /// Failed ADDs.
    pub count: u64,
    /// The first and the last (ms).
    pub first: Option<Ms>,
    /// See `first`.
    pub last: Option<Ms>,
}

impl Failed {
    fn add(&mut self, count: u64, first: Ms, last: Ms) {
        self.count += count;
        self.first = Some(self.first.map_or(first, |f| f.min(first)));
        self.last = Some(self.last.map_or(last, |l| l.max(last)));
    }
}

/// The run's failed CNI ADDs (`no_ip` rows): per node, and per pod.
pub fn failed_adds(dir: &Path) -> Read<(BTreeMap<String, Failed>, BTreeMap<String, u64>)> {
    let mut t = Table::open(dir, "events.csv", "pods.csv and events.csv")?;
    let cols = t.columns::<EventRow<'_>>()?;
    let mut nodes: BTreeMap<String, Failed> = BTreeMap::new();
    let mut pods: BTreeMap<String, u64> = BTreeMap::new();
    while t.next()? {
        let r: EventRow<'_> = t.row(&cols)?;
        if r.kind != "no_ip" {
            continue;
        }
        let Ok(count) = r.count.parse::<u64>() else {
            return Err(t.error(format!("column count: {:?} is not a whole number", r.count)));
        };
        let last = r.until_s.unwrap_or(r.time_s);
        nodes
            .entry(r.node.to_string())
            .or_default()
            .add(count, r.time_s, last);
        *pods.entry(r.pod.to_string()).or_default() += count;
    }
    Ok((nodes, pods))
}
