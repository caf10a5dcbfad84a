//! The CSV files, written through the `csv` crate (RFC 4180 quoting) from typed row
//! structs; each file's header row comes from the struct that writes its rows.
//!
//! Writers take any `io::Write`, so tests write to memory. Rows are formatted without
//! allocating: names and detail texts go through buffers kept by the writer.

use super::detail::write_detail;
use super::metrics::MetricsFile;
use super::openmetrics::UnixMillis;
use crate::model::record::{
    BlockRow, ClusterMetricsRow, EventRecord, NodeMetricsRow, NodeRow, PodRecord, Recorder,
    SubnetRow, TimelineRow, WaitRecord,
};
use crate::time::SimTime;
use serde::Serialize;
use std::fmt::Write as _;
use std::io::{self, Write};

/// The column names of a row struct, in order: its field names as serde serializes them.
pub fn header_of<T: Serialize + Default>() -> Vec<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    // Serializing a default row with headers on yields the header line first.
    if w.serialize(T::default()).is_err() {
        return Vec::new();
    }
    let Ok(bytes) = w.into_inner() else {
        return Vec::new();
    };
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(bytes.as_slice());
    r.records()
        .next()
        .and_then(Result::ok)
        .map(|rec| rec.iter().map(str::to_string).collect())
        .unwrap_or_default()
}

/// A CSV file of rows of type `T`: the header is written at once (so an empty file still
/// names its columns), then one record per row.
pub struct CsvFile<W: Write> {
    w: csv::Writer<W>,
}

impl<W: Write> CsvFile<W> {
    /// Starts a file whose rows are `T`s; fields are quoted where RFC 4180 needs it.
    pub fn new<T: Serialize + Default>(inner: W) -> io::Result<Self> {
        Self::with_quoting::<T>(inner, csv::QuoteStyle::Necessary)
    }

    /// Starts a file whose rows are `T`s and whose fields can never need quotes (numbers,
    /// times, and names validated as `[a-z0-9.-]`): the writer skips the per-byte check.
    pub fn never_quoted<T: Serialize + Default>(inner: W) -> io::Result<Self> {
        Self::with_quoting::<T>(inner, csv::QuoteStyle::Never)
    }

    fn with_quoting<T: Serialize + Default>(inner: W, style: csv::QuoteStyle) -> io::Result<Self> {
        let mut w = csv::WriterBuilder::new()
            .has_headers(false)
            .quote_style(style)
            .buffer_capacity(1 << 16)
            .from_writer(inner);
        w.write_record(header_of::<T>())?;
        Ok(CsvFile { w })
    }

    /// Writes one row.
    pub fn row<T: Serialize>(&mut self, row: &T) -> io::Result<()> {
        self.w.serialize(row).map_err(io_error)
    }

    /// Flushes and returns the inner writer.
    pub fn finish(self) -> io::Result<W> {
        self.w
            .into_inner()
            .map_err(|e| io::Error::new(e.error().kind(), e.error().to_string()))
    }
}

/// A `csv` error as an I/O error (what every writer here reports).
pub fn io_error(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

/// One `events.csv` row: `time_s,node,kind,detail` first (design.md §1.3), then the typed
/// columns.
#[derive(Serialize, Default)]
pub struct EventCsvRow<'a> {
    /// When (s).
    #[serde(rename = "time_s", serialize_with = "crate::time::serialize_secs")]
    pub time: SimTime,
    /// The node's name; empty for group events (`launch`, `scale_up`).
    pub node: &'a str,
    /// What happened (README: event kinds).
    pub kind: &'a str,
    /// The same in words (for people; scripts use the typed columns).
    pub detail: &'a str,
    /// The node's group, or the group of a group event.
    pub nodegroup: &'a str,
    /// The pod the event is about.
    pub pod: &'a str,
    /// An EC2 error code, or why it happened (README: causes).
    pub cause: &'a str,
    /// The node-local ENI number (`eni-<n>` in the detail).
    pub eni: Option<u32>,
    /// The EC2 action.
    pub action: &'a str,
    /// IPs or prefixes, nodes, or attempts, by kind (README).
    pub count: Option<u32>,
    /// The subnet's name.
    pub subnet: &'a str,
    /// When a row spanning time ends: a `no_ip` row's last failed CNI ADD (s).
    #[serde(rename = "until_s", serialize_with = "crate::time::serialize_opt_secs")]
    pub until: Option<SimTime>,
    /// On a node that manages several network cards (`ENABLE_MULTI_NIC`): the card the row
    /// is about (an ENI's card, the card the pool manager worked on, the card that had no
    /// address for a `no_ip` pod); empty elsewhere.
    pub network_card: Option<u8>,
}

/// One `pods.csv` row.
#[derive(Serialize, Default)]
pub struct PodCsvRow<'a> {
    /// Pod name.
    pub pod: &'a str,
    /// Its workload or DaemonSet.
    pub workload: &'a str,
    /// Its node, if it was bound.
    pub node: &'a str,
    /// Host network (no IP needed).
    pub host_network: bool,
    /// Creation (s).
    #[serde(rename = "created_s", serialize_with = "crate::time::serialize_secs")]
    pub created: SimTime,
    /// Binding (s).
    #[serde(
        rename = "scheduled_s",
        serialize_with = "crate::time::serialize_opt_secs"
    )]
    pub scheduled: Option<SimTime>,
    /// IP assigned (s).
    #[serde(
        rename = "ip_assigned_s",
        serialize_with = "crate::time::serialize_opt_secs"
    )]
    pub ip_assigned: Option<SimTime>,
    /// Deletion (s).
    #[serde(
        rename = "deleted_s",
        serialize_with = "crate::time::serialize_opt_secs"
    )]
    pub deleted: Option<SimTime>,
    /// The last address it held.
    pub ip: &'a str,
    /// `running`, `unschedulable`, `waiting_ip` or `deleted`.
    pub final_state: &'a str,
}

/// One `waits.csv` row: one interval of one pod's wait.
#[derive(Serialize, Default)]
pub struct WaitCsvRow<'a> {
    /// Pod name.
    pub pod: &'a str,
    /// Its node during the interval; empty while unschedulable.
    pub node: &'a str,
    /// Why it waited (docs/outputs.md: wait causes).
    pub cause: &'a str,
    /// Start (s).
    #[serde(rename = "start_s", serialize_with = "crate::time::serialize_secs")]
    pub start: SimTime,
    /// End (s).
    #[serde(rename = "end_s", serialize_with = "crate::time::serialize_secs")]
    pub end: SimTime,
}

/// One `blocks.csv` row: one claimed Calico block at one sample time.
#[derive(Serialize, Default)]
pub struct BlockCsvRow<'a> {
    /// Sample time (s).
    #[serde(rename = "time_s", serialize_with = "crate::time::serialize_secs")]
    pub time: SimTime,
    /// The block's CIDR.
    pub block: &'a str,
    /// The node it is affine to; empty once that node is gone.
    pub node: &'a str,
    /// Addresses in use (by any node's pods).
    pub in_use: u32,
    /// Free addresses.
    pub free: u32,
}

/// Writes the streamed CSV files (`timeline.csv`, `nodes.csv`, `subnets.csv`, `events.csv`,
/// `pods.csv`, `waits.csv`): those it was given a writer for (a file not chosen costs nothing, not even
/// formatting). The first write error is kept and returned by [`CsvRecorder::finish`].
pub struct CsvRecorder<W: Write> {
    timeline: Option<CsvFile<W>>,
    nodes: Option<CsvFile<W>>,
    subnets: Option<CsvFile<W>>,
    events: Option<CsvFile<W>>,
    pods: Option<CsvFile<W>>,
    waits: Option<CsvFile<W>>,
    blocks: Option<CsvFile<W>>,
    metrics: Option<MetricsFile<W>>,
    detail: String,
    name: String,
    ip: String,
    error: Option<io::Error>,
}

/// The writers of a [`CsvRecorder`]; `None` for a file not written.
pub struct CsvWriters<W> {
    /// `timeline.csv`.
    pub timeline: Option<W>,
    /// `nodes.csv`.
    pub nodes: Option<W>,
    /// `pods.csv`.
    pub pods: Option<W>,
    /// `subnets.csv`.
    pub subnets: Option<W>,
    /// `events.csv`.
    pub events: Option<W>,
    /// `waits.csv`.
    pub waits: Option<W>,
}

/// Which files a [`CsvRecorder`] writes: `true` for each one written.
#[derive(Clone, Copy, Debug, Default)]
pub struct Files {
    /// `timeline.csv`.
    pub timeline: bool,
    /// `nodes.csv`.
    pub nodes: bool,
    /// `subnets.csv`.
    pub subnets: bool,
    /// `events.csv`.
    pub events: bool,
    /// `pods.csv`.
    pub pods: bool,
    /// `waits.csv`.
    pub waits: bool,
    /// `blocks.csv`.
    pub blocks: bool,
    /// `metrics.om`.
    pub metrics: bool,
}

impl CsvRecorder<io::Sink> {
    /// A recorder that writes nothing (compare runs without `--keep-runs`).
    pub fn sink() -> Self {
        CsvRecorder::new(CsvWriters {
            timeline: None,
            nodes: None,
            pods: None,
            subnets: None,
            events: None,
            waits: None,
        })
        .expect("no file, no error")
    }
}

impl<W: Write> CsvRecorder<W> {
    /// Writes the headers and returns the recorder.
    pub fn new(w: CsvWriters<W>) -> io::Result<Self> {
        Ok(CsvRecorder {
            // numbers and times only
            timeline: w
                .timeline
                .map(CsvFile::never_quoted::<TimelineRow>)
                .transpose()?,
            // node and nodegroup names are validated `[a-z0-9-]`, instance types are the
            // catalog's `[a-z0-9.-]` names
            nodes: w
                .nodes
                .map(CsvFile::never_quoted::<NodeRow<'_>>)
                .transpose()?,
            subnets: w.subnets.map(CsvFile::new::<SubnetRow<'_>>).transpose()?,
            events: w.events.map(CsvFile::new::<EventCsvRow<'_>>).transpose()?,
            pods: w.pods.map(CsvFile::new::<PodCsvRow<'_>>).transpose()?,
            waits: w.waits.map(CsvFile::new::<WaitCsvRow<'_>>).transpose()?,
            blocks: None,
            metrics: None,
            detail: String::with_capacity(256),
            name: String::with_capacity(64),
            ip: String::with_capacity(16),
            error: None,
        })
    }

    /// Also writes `blocks.csv` (Calico runs) to `w`.
    pub fn with_blocks(mut self, w: W) -> io::Result<Self> {
        // CIDRs, node names `[a-z0-9-]` and numbers
        self.blocks = Some(CsvFile::never_quoted::<BlockCsvRow<'_>>(w)?);
        Ok(self)
    }

    /// Also writes `metrics.om` to `w`, its timestamps counted from `start`.
    pub fn with_metrics(mut self, w: W, start: UnixMillis) -> Self {
        self.metrics = Some(MetricsFile::new(w, start));
        self
    }

    /// The files this recorder writes (a record for any other is dropped unformatted).
    pub fn files(&self) -> Files {
        Files {
            timeline: self.timeline.is_some(),
            nodes: self.nodes.is_some(),
            subnets: self.subnets.is_some(),
            events: self.events.is_some(),
            pods: self.pods.is_some(),
            waits: self.waits.is_some(),
            blocks: self.blocks.is_some(),
            metrics: self.metrics.is_some(),
        }
    }

    /// Flushes `blocks.csv` and returns its writer, if it was written.
    pub fn take_blocks(&mut self) -> io::Result<Option<W>> {
        self.blocks.take().map(CsvFile::finish).transpose()
    }

    fn keep(&mut self, r: io::Result<()>) {
        if let Err(e) = r {
            self.error.get_or_insert(e);
        }
    }

    /// Flushes every file and returns the writers (tests that write to memory).
    pub fn into_writers(mut self) -> io::Result<CsvWriters<W>> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let done = |f: Option<CsvFile<W>>| f.map(CsvFile::finish).transpose();
        Ok(CsvWriters {
            timeline: done(self.timeline)?,
            nodes: done(self.nodes)?,
            pods: done(self.pods)?,
            subnets: done(self.subnets)?,
            events: done(self.events)?,
            waits: done(self.waits)?,
        })
    }

    /// Flushes every file; returns the first write error.
    pub fn finish(mut self) -> io::Result<()> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        for f in [
            self.timeline,
            self.nodes,
            self.subnets,
            self.events,
            self.pods,
            self.waits,
            self.blocks,
        ]
        .into_iter()
        .flatten()
        {
            f.finish()?.flush()?;
        }
        if let Some(m) = self.metrics {
            m.finish()?.flush()?;
        }
        Ok(())
    }
}

impl<W: Write> Recorder for CsvRecorder<W> {
    fn timeline(&mut self, row: &TimelineRow) {
        if let Some(f) = &mut self.timeline {
            let r = f.row(row);
            self.keep(r);
        }
    }

    fn node(&mut self, row: &NodeRow<'_>) {
        if let Some(f) = &mut self.nodes {
            let r = f.row(row);
            self.keep(r);
        }
    }

    fn subnet(&mut self, row: &SubnetRow<'_>) {
        if let Some(f) = &mut self.subnets {
            let r = f.row(row);
            self.keep(r);
        }
        if let Some(m) = &mut self.metrics {
            m.subnet(row);
        }
    }

    fn wants_metrics(&self) -> bool {
        self.metrics.is_some()
    }

    fn node_metrics(&mut self, row: &NodeMetricsRow<'_>) {
        if let Some(m) = &mut self.metrics {
            m.node(row);
        }
    }

    fn cluster_metrics(&mut self, row: &ClusterMetricsRow) {
        if let Some(m) = &mut self.metrics {
            m.cluster(row);
        }
    }

    fn event(&mut self, e: &EventRecord<'_>) {
        if self.events.is_none() {
            return;
        }
        self.detail.clear();
        let _ = write_detail(&mut self.detail, e);
        self.name.clear();
        if let Some(p) = e.pod {
            let _ = write!(self.name, "{p}");
        }
        let f = &e.fact;
        let row = EventCsvRow {
            time: e.time,
            node: e.node.map_or("", |(_, n)| n),
            kind: f.kind(),
            detail: &self.detail,
            nodegroup: &e.group.name,
            pod: &self.name,
            cause: f.cause().unwrap_or(""),
            eni: f.eni().map(|x| x.0),
            action: f.action().map_or("", |a| a.name()),
            count: f.count(),
            subnet: e.subnet.unwrap_or(""),
            until: f.until(),
            network_card: e.card,
        };
        let r = match &mut self.events {
            Some(f) => f.row(&row),
            None => Ok(()),
        };
        self.keep(r);
    }

    fn block(&mut self, b: &BlockRow<'_>) {
        let Some(f) = &mut self.blocks else {
            return;
        };
        self.name.clear();
        let _ = write!(self.name, "{}", b.block);
        let row = BlockCsvRow {
            time: b.time,
            block: &self.name,
            node: b.node.unwrap_or(""),
            in_use: b.in_use,
            free: b.free,
        };
        let r = f.row(&row);
        self.keep(r);
    }

    fn wait(&mut self, w: &WaitRecord<'_>) {
        let Some(f) = &mut self.waits else {
            return;
        };
        self.name.clear();
        let _ = write!(self.name, "{}", w.pod);
        let row = WaitCsvRow {
            pod: &self.name,
            node: w.node.unwrap_or(""),
            cause: w.cause.word(),
            start: w.start,
            end: w.end,
        };
        let r = f.row(&row);
        self.keep(r);
    }

    fn pod(&mut self, p: &PodRecord<'_>) {
        if self.pods.is_none() {
            return;
        }
        self.name.clear();
        let _ = write!(self.name, "{}", p.name);
        self.ip.clear();
        if let Some(a) = p.ip {
            let _ = write!(self.ip, "{a}");
        }
        let row = PodCsvRow {
            pod: &self.name,
            workload: p.workload,
            node: p.node.unwrap_or(""),
            host_network: p.host_network,
            created: p.created,
            scheduled: p.scheduled,
            ip_assigned: p.ip_assigned,
            deleted: p.deleted,
            ip: &self.ip,
            final_state: p.state.word(),
        };
        let r = match &mut self.pods {
            Some(f) => f.row(&row),
            None => Ok(()),
        };
        self.keep(r);
    }
}
