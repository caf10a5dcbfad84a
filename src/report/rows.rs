//! The rows the report reads from a run's files: read-side mirrors of the rows `run`
//! writes ([`crate::output::csv_files`], [`crate::model::record`]), deserialized by header
//! name ([`crate::output::csv_read`]).
//!
//! Each struct holds the columns one reader uses, in the order they are checked; a reader
//! that skips rows first reads a small struct of the cells that decide, and the rest of the
//! row only for the rows it keeps. Cells are read as the report always has: numbers as
//! any finite decimal ([`number_of`]), times as seconds ≥ 0 kept in whole milliseconds,
//! flags as `true`/`1` or `false`/`0` ([`flag_of`]).

use super::input::{flag_of, number_of};
use crate::model::record::WaitCause;
use serde::de::{Deserializer, Error as _, IgnoredAny};
use serde::Deserialize;

/// A finite number.
fn number<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    number_of(<&str>::deserialize(d)?).map_err(D::Error::custom)
}

/// Seconds ≥ 0 in whole milliseconds, `None` when empty.
fn opt_millis<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    let cell = <&str>::deserialize(d)?;
    if cell.is_empty() {
        return Ok(None);
    }
    match number_of(cell).map_err(D::Error::custom)? {
        v if v >= 0.0 => Ok(Some((v * 1000.0).round() as u64)),
        v => Err(D::Error::custom(format!("{v} is negative"))),
    }
}

/// Seconds ≥ 0 in whole milliseconds.
fn millis<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    opt_millis(d)?.ok_or_else(|| D::Error::custom("empty"))
}

/// `true`/`1` or `false`/`0`.
fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    flag_of(<&str>::deserialize(d)?).map_err(D::Error::custom)
}

/// A wait cause word.
fn cause<'de, D: Deserializer<'de>>(d: D) -> Result<WaitCause, D::Error> {
    let word = <&str>::deserialize(d)?;
    WaitCause::from_word(word).ok_or_else(|| D::Error::custom(format!("unknown cause \"{word}\"")))
}

/// A `timeline.csv` row (`TimelineRow`), every column as a number.
#[derive(Debug, Deserialize)]
pub struct TimelineIn {
    #[serde(deserialize_with = "number")]
    time_s: f64,
    #[serde(deserialize_with = "number")]
    nodes: f64,
    #[serde(deserialize_with = "number")]
    pods_total: f64,
    #[serde(deserialize_with = "number")]
    pods_running: f64,
    #[serde(deserialize_with = "number")]
    pods_unschedulable: f64,
    #[serde(deserialize_with = "number")]
    pods_waiting_ip: f64,
    #[serde(deserialize_with = "number")]
    enis: f64,
    #[serde(deserialize_with = "number")]
    ips_total: f64,
    #[serde(deserialize_with = "number")]
    ips_assigned: f64,
    #[serde(deserialize_with = "number")]
    ips_cooldown: f64,
    #[serde(deserialize_with = "number")]
    ips_available: f64,
    #[serde(deserialize_with = "number")]
    prefixes: f64,
    #[serde(deserialize_with = "number")]
    subnet_free_ips: f64,
    #[serde(deserialize_with = "number")]
    ec2_calls: f64,
    #[serde(deserialize_with = "number")]
    ec2_throttled: f64,
}

impl TimelineIn {
    /// The values in field order (that of [`super::data::TIMELINE_COLUMNS`]).
    pub fn values(&self) -> [f64; 15] {
        [
            self.time_s,
            self.nodes,
            self.pods_total,
            self.pods_running,
            self.pods_unschedulable,
            self.pods_waiting_ip,
            self.enis,
            self.ips_total,
            self.ips_assigned,
            self.ips_cooldown,
            self.ips_available,
            self.prefixes,
            self.subnet_free_ips,
            self.ec2_calls,
            self.ec2_throttled,
        ]
    }
}

/// A `subnets.csv` row (`SubnetRow`).
#[derive(Debug, Deserialize)]
pub struct SubnetIn<'r> {
    /// Sample time (s).
    #[serde(deserialize_with = "number")]
    pub time_s: f64,
    /// The subnet's name.
    pub subnet: &'r str,
    /// Free addresses.
    #[serde(deserialize_with = "number")]
    pub free_ips: f64,
    /// Aligned /28 blocks entirely free.
    #[serde(deserialize_with = "number")]
    pub free_prefix_blocks: f64,
}

/// What the report reads of a `nodes.csv` row (`NodeRow`).
#[derive(Debug, Deserialize)]
pub struct ReadyIn {
    /// Sample time (ms).
    #[serde(rename = "time_s", deserialize_with = "millis")]
    pub time_ms: u64,
    /// Network-ready.
    #[serde(deserialize_with = "flag")]
    pub ready: bool,
}

/// An `events.csv` row's kind (read first: most rows are left there).
#[derive(Deserialize)]
pub struct EventKind<'r> {
    /// The event kind.
    pub kind: &'r str,
}

/// An `events.csv` row's cause (read next, for the failures' kind).
#[derive(Deserialize)]
pub struct EventCause<'r> {
    /// An EC2 error code or a reason word.
    pub cause: &'r str,
}

/// What the report reads of an `events.csv` row (`EventCsvRow`) that is a failure; its
/// kind and cause, read before, are only columns it needs here.
#[derive(Deserialize)]
pub struct FailureIn<'r> {
    /// When (s).
    #[serde(deserialize_with = "number")]
    pub time_s: f64,
    /// Read before ([`EventKind`]).
    #[serde(rename = "kind")]
    _kind: IgnoredAny,
    /// Read before ([`EventCause`]).
    #[serde(rename = "cause")]
    _cause: IgnoredAny,
    /// The subnet.
    pub subnet: &'r str,
}

/// A `pods.csv` row's `host_network` (read first: host-network pods are only counted).
#[derive(Deserialize)]
pub struct PodNetworkIn {
    /// Host network (needs no IP).
    #[serde(deserialize_with = "flag")]
    pub host_network: bool,
}

/// What the report reads of a pod-network pod's `pods.csv` row (`PodCsvRow`).
#[derive(Debug, Deserialize)]
pub struct PodIn<'r> {
    /// Its workload or DaemonSet.
    pub workload: &'r str,
    /// Read before ([`PodNetworkIn`]); a column this reader needs.
    #[serde(rename = "host_network")]
    _host_network: IgnoredAny,
    /// Creation (ms).
    #[serde(rename = "created_s", deserialize_with = "millis")]
    pub created_ms: u64,
    /// Binding (ms).
    #[serde(rename = "scheduled_s", deserialize_with = "opt_millis")]
    pub scheduled_ms: Option<u64>,
    /// IP assigned (ms).
    #[serde(rename = "ip_assigned_s", deserialize_with = "opt_millis")]
    pub ip_assigned_ms: Option<u64>,
    /// Deletion (ms).
    #[serde(rename = "deleted_s", deserialize_with = "opt_millis")]
    pub deleted_ms: Option<u64>,
}

/// A `waits.csv` row's end (ms), for the latest end when the run's end is unknown.
#[derive(Deserialize)]
pub struct WaitEndIn {
    /// End (ms).
    #[serde(rename = "end_s", deserialize_with = "millis")]
    pub end_ms: u64,
}

/// A `waits.csv` row's interval (`WaitCsvRow`), read before its pod.
#[derive(Deserialize)]
pub struct WaitSpanIn {
    /// Why it waited.
    #[serde(deserialize_with = "cause")]
    pub cause: WaitCause,
    /// Start (ms).
    #[serde(rename = "start_s", deserialize_with = "millis")]
    pub start_ms: u64,
    /// End (ms).
    #[serde(rename = "end_s", deserialize_with = "millis")]
    pub end_ms: u64,
}

/// A `waits.csv` row's pod.
#[derive(Deserialize)]
pub struct WaitPodIn<'r> {
    /// Pod name.
    pub pod: &'r str,
}

#[cfg(test)]
mod tests {
    use super::super::data::{
        read_failures, read_ready_nodes, read_subnets, read_timeline, TIMELINE_COLUMNS,
    };
    use super::super::pods::read_pods;
    use super::super::waits::read_waits;
    use super::*;
    use crate::model::record::{NodeRow, SubnetRow, TimelineRow};
    use crate::output::csv_files::{header_of, CsvFile, EventCsvRow, PodCsvRow, WaitCsvRow};
    use crate::output::csv_read::fields_of;
    use crate::time::SimTime;
    use std::path::{Path, PathBuf};

    /// A fresh directory for one test's files.
    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("ipamsim-report-rows-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    /// Writes `rows` as `dir/name` with the writer `run` uses; returns the path.
    fn write<T: serde::Serialize + Default>(dir: &Path, name: &str, rows: &[T]) -> PathBuf {
        let mut f = CsvFile::new::<T>(Vec::new()).expect("header");
        for r in rows {
            f.row(r).expect("row");
        }
        let path = dir.join(name);
        std::fs::write(&path, f.finish().expect("flush")).expect("write");
        path
    }

    fn has(header: Vec<String>, fields: &[&str]) -> bool {
        fields.iter().all(|f| header.iter().any(|h| h == f))
    }

    #[test]
    fn every_column_read_is_one_run_writes() {
        assert_eq!(fields_of::<TimelineIn>(), TIMELINE_COLUMNS);
        assert_eq!(header_of::<TimelineRow>(), TIMELINE_COLUMNS);
        assert_eq!(
            fields_of::<SubnetIn<'_>>(),
            header_of::<SubnetRow<'_>>().as_slice()
        );
        assert!(has(header_of::<NodeRow<'_>>(), fields_of::<ReadyIn>()));
        let events = header_of::<EventCsvRow<'_>>;
        assert!(has(events(), fields_of::<EventKind<'_>>()));
        assert!(has(events(), fields_of::<EventCause<'_>>()));
        assert!(has(events(), fields_of::<FailureIn<'_>>()));
        assert!(has(header_of::<PodCsvRow<'_>>(), fields_of::<PodIn<'_>>()));
        assert!(has(
            header_of::<PodCsvRow<'_>>(),
            fields_of::<PodNetworkIn>()
        ));
        let waits = header_of::<WaitCsvRow<'_>>;
        assert!(has(waits(), fields_of::<WaitEndIn>()));
        assert!(has(waits(), fields_of::<WaitSpanIn>()));
        assert!(has(waits(), fields_of::<WaitPodIn<'_>>()));
    }

    #[test]
    fn rows_written_by_run_read_back_the_same() {
        let dir = scratch("back");
        let ms = |ms: u64| SimTime(ms * 1000);
        let sample = TimelineRow {
            time: ms(10_000),
            nodes: 1,
            pods_total: 2,
            pods_running: 3,
            pods_unschedulable: 4,
            pods_waiting_ip: 5,
            enis: 6,
            ips_total: 7,
            ips_assigned: 8,
            ips_cooldown: 9,
            ips_available: 10,
            prefixes: 11,
            subnet_free_ips: 12,
            ec2_calls: 13,
            ec2_throttled: 14,
        };
        let t = read_timeline(&write(&dir, "timeline.csv", &[sample])).expect("timeline");
        let got: Vec<f64> = TIMELINE_COLUMNS.iter().map(|c| t.get(c)[0]).collect();
        // time_s 10 s, then the counts 1 to 14 in column order.
        let want: Vec<f64> = std::iter::once(10.0)
            .chain((1..15).map(f64::from))
            .collect();
        assert_eq!(got, want);

        let subnet = |t, free| SubnetRow {
            time: ms(t),
            subnet: "a, \"b\"",
            free_ips: free,
            free_prefix_blocks: 1,
        };
        let s = read_subnets(&write(
            &dir,
            "subnets.csv",
            &[subnet(0, 5), subnet(1_500, 3)],
        ))
        .expect("subnets");
        assert_eq!(s[0].name, "a, \"b\"");
        assert_eq!(s[0].free_ips, [(0.0, 5.0), (1.5, 3.0)]);

        let node = |name, ready| NodeRow {
            time: ms(2_500),
            node: name,
            ready,
            ..NodeRow::default()
        };
        let path = write(&dir, "nodes.csv", &[node("n-1", true), node("n-2", false)]);
        assert_eq!(read_ready_nodes(&path).expect("nodes"), [(2.5, 1.0)]);

        let event = EventCsvRow {
            time: ms(7_250),
            node: "n-1",
            kind: "insufficient_addresses",
            cause: "InsufficientCidrBlocks",
            subnet: "a",
            ..EventCsvRow::default()
        };
        let f = read_failures(&write(&dir, "events.csv", &[event])).expect("events");
        assert_eq!(f.cidr_blocks, [("a".to_string(), vec![7.25])]);

        let pod = |name, host_network, ip_assigned| PodCsvRow {
            pod: name,
            workload: "web",
            host_network,
            created: ms(1_000),
            scheduled: Some(ms(1_200)),
            ip_assigned,
            ..PodCsvRow::default()
        };
        let rows = [
            pod("web-1", false, Some(ms(3_500))),
            pod("web-2", false, None),
            pod("ds-1", true, None),
        ];
        let p = read_pods(&write(&dir, "pods.csv", &rows)).expect("pods");
        assert_eq!(p.host_network, 1);
        assert_eq!(p.workloads["web"].to_ip_ms, [2_500]);
        assert_eq!(p.workloads["web"].waiting_at_end, 1);

        let wait = WaitCsvRow {
            pod: "web-1",
            node: "n-1",
            cause: WaitCause::PoolGrowing.word(),
            start: ms(1_200),
            end: ms(3_500),
        };
        let w = read_waits(&write(&dir, "waits.csv", &[wait]), 0.0).expect("waits");
        let totals = w.totals[WaitCause::PoolGrowing.index()];
        assert_eq!((totals.pod_ms, totals.intervals, w.pods), (2_300, 1, 1));
        assert_eq!(w.end_ms, 3_500);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
