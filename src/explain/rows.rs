//! The rows `explain` reads: read-side mirrors of the rows `run` writes
//! ([`crate::output::csv_files`]), deserialized by header name
//! ([`crate::output::csv_read`]).
//!
//! Each struct holds the columns one pass reads, in the order they are checked. A pass that
//! keeps few rows first reads a small key struct of every row (the name, the node, the
//! time) and the whole row only for those it keeps, so the other rows' remaining cells are
//! never checked. Cells are read strictly: times are seconds written as digits
//! ([`parse_ms`]), `host_network` is `true` or `false`, causes are the words of
//! [`WaitCause`].

use super::read::parse_ms;
use super::steps::NodeEvent;
use super::Ms;
use crate::model::record::WaitCause;
use serde::de::{Deserializer, Error as _};
use serde::Deserialize;

/// A time in seconds.
fn secs<'de, D: Deserializer<'de>>(d: D) -> Result<Ms, D::Error> {
    let v = <&str>::deserialize(d)?;
    parse_ms(v)
        .ok_or_else(|| D::Error::custom(format!("{v:?} is not a time in seconds (such as 12.345)")))
}

/// An optional time in seconds (empty: none).
fn opt_secs<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Ms>, D::Error> {
    let v = <&str>::deserialize(d)?;
    if v.is_empty() {
        return Ok(None);
    }
    parse_ms(v)
        .map(Some)
        .ok_or_else(|| D::Error::custom(format!("{v:?} is not a time in seconds (such as 12.345)")))
}

/// An optional unsigned integer (empty: none).
fn opt_whole<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    let v = <&str>::deserialize(d)?;
    if v.is_empty() {
        return Ok(None);
    }
    v.parse()
        .map(Some)
        .map_err(|_| D::Error::custom(format!("{v:?} is not a whole number")))
}

/// A wait cause word.
fn cause<'de, D: Deserializer<'de>>(d: D) -> Result<WaitCause, D::Error> {
    let v = <&str>::deserialize(d)?;
    WaitCause::from_word(v).ok_or_else(|| {
        let words: Vec<&str> = WaitCause::ALL.iter().map(|c| c.word()).collect();
        D::Error::custom(format!(
            "unknown wait cause {v:?}; known: {}",
            words.join(", ")
        ))
    })
}

/// `true` or `false`.
fn true_false<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    match <&str>::deserialize(d)? {
        "true" => Ok(true),
        "false" => Ok(false),
        v => Err(D::Error::custom(format!("{v:?} is neither true nor false"))),
    }
}

/// A `pods.csv` row (`PodCsvRow`), whole.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub(super) struct PodRow {
    #[serde(rename = "pod")]
    pub(super) name: String,
    pub(super) workload: String,
    pub(super) node: String,
    #[serde(deserialize_with = "true_false")]
    pub(super) host_network: bool,
    #[serde(rename = "created_s", deserialize_with = "secs")]
    pub(super) created: Ms,
    #[serde(rename = "scheduled_s", deserialize_with = "opt_secs")]
    pub(super) scheduled: Option<Ms>,
    #[serde(rename = "ip_assigned_s", deserialize_with = "opt_secs")]
    pub(super) ip_assigned: Option<Ms>,
    #[serde(rename = "deleted_s", deserialize_with = "opt_secs")]
    pub(super) deleted: Option<Ms>,
    pub(super) ip: String,
    pub(super) final_state: String,
}

/// A `pods.csv` row's name (the key of a story's first pass).
#[derive(Deserialize)]
pub(super) struct PodName<'r> {
    pub(super) pod: &'r str,
}

/// A `pods.csv` row's node (the key of a story's pass over its nodes' pods).
#[derive(Deserialize)]
pub(super) struct PodNode<'r> {
    pub(super) node: &'r str,
}

/// A `pods.csv` row's name and creation (the key of the overview's pass).
#[derive(Deserialize)]
pub(super) struct PodCreated<'r> {
    pub(super) pod: &'r str,
    #[serde(deserialize_with = "secs")]
    pub(super) created_s: Ms,
}

/// What the overview shows of a slow pod's `pods.csv` row.
#[derive(Deserialize)]
pub(super) struct SlowPodRow<'r> {
    pub(super) pod: &'r str,
    pub(super) workload: &'r str,
    pub(super) node: &'r str,
    #[serde(deserialize_with = "secs")]
    pub(super) created_s: Ms,
    #[serde(deserialize_with = "opt_secs")]
    pub(super) ip_assigned_s: Option<Ms>,
    #[serde(deserialize_with = "opt_secs")]
    pub(super) deleted_s: Option<Ms>,
    pub(super) final_state: &'r str,
}

/// A `waits.csv` row (`WaitCsvRow`).
#[derive(Debug, Deserialize, PartialEq)]
pub(super) struct WaitIn<'r> {
    pub(super) pod: &'r str,
    pub(super) node: &'r str,
    #[serde(deserialize_with = "cause")]
    pub(super) cause: WaitCause,
    #[serde(rename = "start_s", deserialize_with = "secs")]
    pub(super) start: Ms,
    #[serde(rename = "end_s", deserialize_with = "secs")]
    pub(super) end: Ms,
}

/// An `events.csv` row's time, node, kind and pod (the key of a story's pass over it).
#[derive(Deserialize)]
pub(super) struct EventKey<'r> {
    #[serde(deserialize_with = "secs")]
    pub(super) time_s: Ms,
    pub(super) node: &'r str,
    pub(super) kind: &'r str,
    pub(super) pod: &'r str,
}

/// `events.csv`'s `network_card`, read apart: runs written before the column have none.
#[derive(Deserialize)]
pub(super) struct EventCard {
    #[serde(deserialize_with = "opt_whole")]
    pub(super) network_card: Option<u64>,
}

/// An `events.csv` row (`EventCsvRow`), whole; empty cells are `None`.
#[derive(Deserialize)]
pub(super) struct EventRow {
    #[serde(deserialize_with = "secs")]
    time_s: Ms,
    node: Option<String>,
    kind: String,
    detail: String,
    nodegroup: Option<String>,
    pod: Option<String>,
    cause: Option<String>,
    #[serde(deserialize_with = "opt_whole")]
    eni: Option<u64>,
    action: Option<String>,
    #[serde(deserialize_with = "opt_whole")]
    count: Option<u64>,
    subnet: Option<String>,
    #[serde(deserialize_with = "opt_secs")]
    until_s: Option<Ms>,
}

impl From<EventRow> for NodeEvent {
    fn from(r: EventRow) -> NodeEvent {
        NodeEvent {
            time_s: r.time_s,
            node: r.node,
            kind: r.kind,
            detail: r.detail,
            nodegroup: r.nodegroup,
            pod: r.pod,
            cause: r.cause,
            eni: r.eni,
            action: r.action,
            count: r.count,
            subnet: r.subnet,
            until_s: r.until_s,
            network_card: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::read::Table;
    use super::*;
    use crate::output::csv_files::{header_of, CsvFile, EventCsvRow, PodCsvRow, WaitCsvRow};
    use crate::output::csv_read::fields_of;
    use crate::time::SimTime;
    use std::path::PathBuf;

    /// A fresh directory for one test's files.
    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "ipamsim-explain-rows-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    /// Writes `rows` as `dir/name` with the writer `run` uses.
    fn write<T: serde::Serialize + Default>(dir: &std::path::Path, name: &str, rows: &[T]) {
        let mut f = CsvFile::new::<T>(Vec::new()).expect("header");
        for r in rows {
            f.row(r).expect("row");
        }
        std::fs::write(dir.join(name), f.finish().expect("flush")).expect("write");
    }

    /// Every row of `dir/name` read as `T`, through `explain`'s reader.
    fn read_all<T: for<'r> Deserialize<'r>>(dir: &std::path::Path, name: &str) -> Vec<T> {
        let mut t = Table::open(dir, name, name).expect("open");
        let cols = t.columns::<T>().expect("columns");
        let mut out = Vec::new();
        while t.next().expect("record") {
            out.push(t.row(&cols).expect("row"));
        }
        out
    }

    #[test]
    fn every_column_read_is_one_run_writes() {
        let has = |header: Vec<String>, fields: &[&str]| {
            fields.iter().all(|f| header.iter().any(|h| h == f))
        };
        let pods = header_of::<PodCsvRow<'_>>;
        assert!(has(pods(), fields_of::<PodRow>()));
        assert!(has(pods(), fields_of::<PodName<'_>>()));
        assert!(has(pods(), fields_of::<PodNode<'_>>()));
        assert!(has(pods(), fields_of::<PodCreated<'_>>()));
        assert!(has(pods(), fields_of::<SlowPodRow<'_>>()));
        assert!(has(
            header_of::<WaitCsvRow<'_>>(),
            fields_of::<WaitIn<'_>>()
        ));
        assert!(has(
            header_of::<EventCsvRow<'_>>(),
            fields_of::<EventKey<'_>>()
        ));
        // A whole row is every column, in the file's order.
        assert_eq!(fields_of::<PodRow>(), pods());
        // events.csv's last column, `network_card` (multi-NIC), is read by no explain
        // step, so runs written before it was added still read
        let events = header_of::<EventCsvRow<'_>>();
        assert_eq!(events.last().map(String::as_str), Some("network_card"));
        assert_eq!(fields_of::<EventRow>(), &events[..events.len() - 1]);
        assert_eq!(fields_of::<WaitIn<'_>>(), header_of::<WaitCsvRow<'_>>());
    }

    #[test]
    fn rows_written_by_run_read_back_the_same() {
        let dir = scratch("back");
        let ms = |ms: u64| SimTime(ms * 1000);
        write(
            &dir,
            "pods.csv",
            &[
                PodCsvRow {
                    pod: "web-1",
                    workload: "web",
                    node: "ng-1",
                    host_network: false,
                    created: ms(1_500),
                    scheduled: Some(ms(2_000)),
                    ip_assigned: Some(ms(12_345)),
                    deleted: Some(ms(60_000)),
                    ip: "10.0.0.7",
                    final_state: "deleted",
                },
                PodCsvRow {
                    pod: "ds \"x\", y",
                    workload: "ds",
                    node: "",
                    host_network: true,
                    created: ms(0),
                    scheduled: None,
                    ip_assigned: None,
                    deleted: None,
                    ip: "",
                    final_state: "unschedulable",
                },
            ],
        );
        let pods: Vec<PodRow> = read_all(&dir, "pods.csv");
        assert_eq!(
            pods[0],
            PodRow {
                name: "web-1".into(),
                workload: "web".into(),
                node: "ng-1".into(),
                host_network: false,
                created: Ms(1_500),
                scheduled: Some(Ms(2_000)),
                ip_assigned: Some(Ms(12_345)),
                deleted: Some(Ms(60_000)),
                ip: "10.0.0.7".into(),
                final_state: "deleted".into(),
            }
        );
        assert_eq!(pods[1].name, "ds \"x\", y");
        assert!(pods[1].host_network);
        assert_eq!((pods[1].scheduled, pods[1].deleted), (None, None));

        write(
            &dir,
            "waits.csv",
            &[WaitCsvRow {
                pod: "web-1",
                node: "ng-1",
                cause: WaitCause::PoolGrowing.word(),
                start: ms(2_000),
                end: ms(12_345),
            }],
        );
        let mut t = Table::open(&dir, "waits.csv", "waits.csv").expect("open");
        let cols = t.columns::<WaitIn<'_>>().expect("columns");
        assert!(t.next().expect("record"));
        assert_eq!(
            t.row::<WaitIn<'_>>(&cols).expect("row"),
            WaitIn {
                pod: "web-1",
                node: "ng-1",
                cause: WaitCause::PoolGrowing,
                start: Ms(2_000),
                end: Ms(12_345),
            }
        );

        write(
            &dir,
            "events.csv",
            &[EventCsvRow {
                time: ms(3_000),
                node: "ng-1",
                kind: "no_ip",
                detail: "web-1: no IP, 2 failed CNI ADDs",
                nodegroup: "ng",
                pod: "web-1",
                cause: "pool_growing",
                eni: Some(2),
                action: "",
                count: Some(2),
                subnet: "",
                until: Some(ms(4_000)),
                network_card: None,
            }],
        );
        let events: Vec<EventRow> = read_all(&dir, "events.csv");
        let e = NodeEvent::from(events.into_iter().next().expect("a row"));
        assert_eq!(
            e,
            NodeEvent {
                time_s: Ms(3_000),
                node: Some("ng-1".into()),
                kind: "no_ip".into(),
                detail: "web-1: no IP, 2 failed CNI ADDs".into(),
                nodegroup: Some("ng".into()),
                pod: Some("web-1".into()),
                cause: Some("pool_growing".into()),
                eni: Some(2),
                action: None,
                count: Some(2),
                subnet: None,
                until_s: Some(Ms(4_000)),
                network_card: None,
            }
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
