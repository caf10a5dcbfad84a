//! The model pushes typed rows to a [`Recorder`]; writers turn them into CSV on any
//! `io::Write`, so tests can record to memory.

use crate::time::SimTime;
use std::fmt;
use std::io::{self, Write};

/// `timeline.csv` column names (design.md §1.3).
pub const TIMELINE_HEADER: &str = "time_s,nodes,pods_total,pods_running,pods_unschedulable,pods_waiting_ip,enis,ips_total,ips_assigned,ips_cooldown,ips_available,prefixes,subnet_free_ips,ec2_calls,ec2_throttled";
/// `nodes.csv` column names.
pub const NODES_HEADER: &str = "time_s,node,nodegroup,instance_type,ready,enis,ips_total,ips_assigned,ips_cooldown,ips_available,prefixes,pods";
/// `pods.csv` column names.
pub const PODS_HEADER: &str =
    "pod,workload,node,host_network,created_s,scheduled_s,ip_assigned_s,deleted_s,ip,final_state";
/// `subnets.csv` column names.
pub const SUBNETS_HEADER: &str = "time_s,subnet,free_ips,free_prefix_blocks";
/// `events.csv` column names.
pub const EVENTS_HEADER: &str = "time_s,node,kind,detail";

/// One cluster-wide sample. Counts are pods, ENIs or IP addresses; `ec2_calls` is cumulative.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TimelineRow {
    /// Sample time.
    pub time: SimTime,
    /// Nodes that exist (ready or not).
    pub nodes: u32,
    /// Pods not deleted.
    pub pods_total: u32,
    /// Pods with an IP (or host network), not deleted.
    pub pods_running: u32,
    /// Pods no node can take.
    pub pods_unschedulable: u32,
    /// Pods on a node waiting for the CNI to give them an IP.
    pub pods_waiting_ip: u32,
    /// ENIs in ipamd datastores.
    pub enis: u32,
    /// Addresses held for pods (`T`).
    pub ips_total: u32,
    /// Addresses assigned to pods (`U`).
    pub ips_assigned: u32,
    /// Released addresses still cooling (`C`).
    pub ips_cooldown: u32,
    /// `T − U`, cooldown included.
    pub ips_available: u32,
    /// /28 prefixes held (0 in secondary-IP mode).
    pub prefixes: u32,
    /// Free addresses summed over subnets.
    pub subnet_free_ips: u64,
    /// EC2 calls made so far.
    pub ec2_calls: u64,
    /// Throttled EC2 calls so far.
    pub ec2_throttled: u64,
}

/// One node's sample.
#[derive(Clone, Copy, Debug)]
pub struct NodeRow<'a> {
    /// Sample time.
    pub time: SimTime,
    /// Node name.
    pub node: &'a str,
    /// Nodegroup name.
    pub nodegroup: &'a str,
    /// EC2 instance type.
    pub instance_type: &'a str,
    /// Network-ready (ipamd init finished).
    pub ready: bool,
    /// ENIs in the datastore.
    pub enis: u32,
    /// Addresses held (`T`).
    pub ips_total: u32,
    /// Addresses assigned (`U`).
    pub ips_assigned: u32,
    /// Addresses cooling (`C`).
    pub ips_cooldown: u32,
    /// `T − U`.
    pub ips_available: u32,
    /// /28 prefixes held.
    pub prefixes: u32,
    /// Pods bound to the node, host-network ones included.
    pub pods: u32,
}

/// One subnet's sample.
#[derive(Clone, Copy, Debug)]
pub struct SubnetRow<'a> {
    /// Sample time.
    pub time: SimTime,
    /// Subnet name.
    pub subnet: &'a str,
    /// Free addresses (prefix reservations included).
    pub free_ips: u32,
    /// Aligned /28 blocks entirely free.
    pub free_prefix_blocks: u32,
}

/// Receives what the model records.
pub trait Recorder {
    /// A cluster-wide sample.
    fn timeline(&mut self, row: &TimelineRow);
    /// A per-node sample.
    fn node(&mut self, row: &NodeRow<'_>);
    /// A per-subnet sample.
    fn subnet(&mut self, row: &SubnetRow<'_>);
    /// An event worth explaining; `detail` must not contain commas or newlines.
    fn event(&mut self, time: SimTime, node: &str, kind: &str, detail: fmt::Arguments<'_>);
}

/// Writes the streamed CSV files (`timeline.csv`, `nodes.csv`, `subnets.csv`, `events.csv`).
pub struct CsvRecorder<W: Write> {
    timeline: W,
    nodes: W,
    subnets: W,
    events: W,
    error: Option<io::Error>,
}

impl<W: Write> CsvRecorder<W> {
    /// Writes the three headers and returns the recorder.
    pub fn new(mut timeline: W, mut nodes: W, mut subnets: W, mut events: W) -> io::Result<Self> {
        writeln!(timeline, "{TIMELINE_HEADER}")?;
        writeln!(nodes, "{NODES_HEADER}")?;
        writeln!(subnets, "{SUBNETS_HEADER}")?;
        writeln!(events, "{EVENTS_HEADER}")?;
        Ok(CsvRecorder {
            timeline,
            nodes,
            subnets,
            events,
            error: None,
        })
    }

    fn keep(&mut self, r: io::Result<()>) {
        if let Err(e) = r {
            self.error.get_or_insert(e);
        }
    }

    /// Flushes the writers; returns the first write error.
    pub fn finish(mut self) -> io::Result<()> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.timeline.flush()?;
        self.nodes.flush()?;
        self.subnets.flush()?;
        self.events.flush()
    }
}

impl<W: Write> Recorder for CsvRecorder<W> {
    fn timeline(&mut self, r: &TimelineRow) {
        let res = writeln!(
            self.timeline,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            r.time,
            r.nodes,
            r.pods_total,
            r.pods_running,
            r.pods_unschedulable,
            r.pods_waiting_ip,
            r.enis,
            r.ips_total,
            r.ips_assigned,
            r.ips_cooldown,
            r.ips_available,
            r.prefixes,
            r.subnet_free_ips,
            r.ec2_calls,
            r.ec2_throttled
        );
        self.keep(res);
    }

    fn node(&mut self, r: &NodeRow<'_>) {
        let res = writeln!(
            self.nodes,
            "{},{},{},{},{},{},{},{},{},{},{},{}",
            r.time,
            r.node,
            r.nodegroup,
            r.instance_type,
            u8::from(r.ready),
            r.enis,
            r.ips_total,
            r.ips_assigned,
            r.ips_cooldown,
            r.ips_available,
            r.prefixes,
            r.pods
        );
        self.keep(res);
    }

    fn subnet(&mut self, r: &SubnetRow<'_>) {
        let res = writeln!(
            self.subnets,
            "{},{},{},{}",
            r.time, r.subnet, r.free_ips, r.free_prefix_blocks
        );
        self.keep(res);
    }

    fn event(&mut self, time: SimTime, node: &str, kind: &str, detail: fmt::Arguments<'_>) {
        let res = writeln!(self.events, "{time},{node},{kind},{detail}");
        self.keep(res);
    }
}

/// Keeps everything in memory, as CSV text (for tests).
#[derive(Default)]
pub struct MemoryRecorder {
    /// `timeline.csv` rows without header.
    pub timeline: Vec<TimelineRow>,
    /// `events.csv` lines without header.
    pub events: Vec<String>,
    /// `nodes.csv` lines without header.
    pub nodes: Vec<String>,
    /// Keep `nodes` rows (off by default: large).
    pub keep_nodes: bool,
    /// `subnets.csv` lines without header.
    pub subnets: Vec<String>,
}

impl Recorder for MemoryRecorder {
    fn timeline(&mut self, row: &TimelineRow) {
        self.timeline.push(*row);
    }
    fn node(&mut self, r: &NodeRow<'_>) {
        if self.keep_nodes {
            self.nodes.push(format!(
                "{},{},{},{},{},{},{},{},{},{}",
                r.time,
                r.node,
                u8::from(r.ready),
                r.enis,
                r.ips_total,
                r.ips_assigned,
                r.ips_cooldown,
                r.ips_available,
                r.prefixes,
                r.pods
            ));
        }
    }
    fn subnet(&mut self, r: &SubnetRow<'_>) {
        self.subnets.push(format!(
            "{},{},{},{}",
            r.time, r.subnet, r.free_ips, r.free_prefix_blocks
        ));
    }
    fn event(&mut self, time: SimTime, node: &str, kind: &str, detail: fmt::Arguments<'_>) {
        self.events.push(format!("{time},{node},{kind},{detail}"));
    }
}
