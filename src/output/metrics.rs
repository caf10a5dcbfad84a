//! `metrics.om`: the run as OpenMetrics text with timestamps, one series per node as a
//! scrape of that node's aws-node gives it (`awscni_*`, labels `instance`, `node`,
//! `nodegroup`), and the cluster's figures (`ipamsim_*`), at every sample time.
//!
//! OpenMetrics wants each family's samples together, each series in time order, while
//! samples arrive time by time. So [`MetricsFile`] keeps the samples as numbers (a node's
//! gauges per sample, its counters only when they changed) and writes the text family by
//! family, series by series, in [`MetricsFile::finish`], through the typed writer
//! [`OmWriter`]. Timestamps are the sample's simulated time after the run's epoch
//! (`--metrics-start`), in milliseconds. Families, labels and sources: docs/outputs.md.

use super::openmetrics::{Family, Kind, OmWriter, UnixMillis};
use crate::model::record::{
    AwsNodeCounters, ClusterMetricsRow, Ec2Error, NodeMetricsRow, SubnetRow, WaitCause,
};
use crate::scenario::{Ec2Action, EC2_ACTIONS};
use crate::time::SimTime;
use std::collections::BTreeMap;
use std::io::{self, Write};

/// A node's gauges at one sample.
#[derive(Clone, Copy, Debug)]
struct NodePoint {
    time: SimTime,
    enis: u32,
    eni_max: u32,
    ip_max: u32,
    ips_total: u32,
    ips_assigned: u32,
    prefixes: u32,
}

/// One node's samples.
struct NodeSeries {
    node: String,
    nodegroup: String,
    points: Vec<NodePoint>,
    /// The counters from the point of this index on (the first entry at index 0).
    counters: Vec<(usize, AwsNodeCounters)>,
}

impl NodeSeries {
    /// Each point's time with the counters then.
    fn counted(&self) -> impl Iterator<Item = (SimTime, &AwsNodeCounters)> {
        let mut k = 0;
        self.points.iter().enumerate().map(move |(i, p)| {
            while k + 1 < self.counters.len() && self.counters[k + 1].0 <= i {
                k += 1;
            }
            (p.time, &self.counters[k].1)
        })
    }
}

/// A family and how to read its value from a sample of type `T`.
type Reader<T, V> = (Family, fn(&T) -> V);

/// The families of each node, in the order they are written.
const NODE_GAUGES: [Reader<NodePoint, u32>; 6] = [
    (
        gauge("awscni_eni_allocated", "The number of ENIs allocated"),
        |p| p.enis,
    ),
    (
        gauge(
            "awscni_eni_max",
            "The maximum number of ENIs that can be attached to the instance",
        ),
        |p| p.eni_max,
    ),
    (
        gauge(
            "awscni_ip_max",
            "The maximum number of IP addresses that can be allocated to the instance",
        ),
        |p| p.ip_max,
    ),
    (
        gauge(
            "awscni_total_ip_addresses",
            "The total number of IP addresses",
        ),
        |p| p.ips_total,
    ),
    (
        gauge(
            "awscni_assigned_ip_addresses",
            "The number of IP addresses assigned to pods",
        ),
        |p| p.ips_assigned,
    ),
    (
        gauge(
            "awscni_total_ipv4_prefixes",
            "The total number of IPv4 prefixes",
        ),
        |p| p.prefixes,
    ),
];

const fn gauge(name: &'static str, help: &'static str) -> Family {
    Family {
        name,
        kind: Kind::Gauge,
        help,
    }
}

/// aws-node's counters keep their names, which do not end in `_total`: typed `unknown`.
const fn aws_counter(name: &'static str, help: &'static str) -> Family {
    Family {
        name,
        kind: Kind::Unknown,
        help,
    }
}

const ADD_IP: Family = aws_counter(
    "awscni_add_ip_req_count",
    "The number of add IP address requests",
);
const DEL_IP: Family = aws_counter(
    "awscni_del_ip_req_count",
    "The number of delete IP address requests",
);
const NO_IP: Family = aws_counter(
    "awscni_no_available_ip_addresses",
    "The number of pod IP assignments that fail due to no available IP addresses",
);
const EC2_REQ: Family = aws_counter(
    "awscni_ec2api_req_count",
    "The number of requests made to EC2 APIs by CNI",
);
const EC2_ERR: Family = aws_counter(
    "awscni_ec2api_error_count",
    "The number of failed EC2 APIs requests",
);
const API_ERR: Family = aws_counter(
    "awscni_aws_api_error_count",
    "The number of times AWS API returns an error",
);

/// Writes `metrics.om` to `W` from the samples it is given.
pub struct MetricsFile<W: Write> {
    out: W,
    samples: Samples,
}

/// The samples kept until the end of the run.
struct Samples {
    start: UnixMillis,
    nodes: Vec<NodeSeries>,
    by_name: BTreeMap<String, usize>,
    cluster: Vec<ClusterMetricsRow>,
    /// Per subnet (first-seen order): its name and (time, free addresses) samples.
    subnets: Vec<(String, Vec<(SimTime, u32)>)>,
}

impl<W: Write> MetricsFile<W> {
    /// A file whose timestamps count from `start`.
    pub fn new(out: W, start: UnixMillis) -> Self {
        MetricsFile {
            out,
            samples: Samples {
                start,
                nodes: Vec::new(),
                by_name: BTreeMap::new(),
                cluster: Vec::new(),
                subnets: Vec::new(),
            },
        }
    }

    /// Writes every family, then `# EOF`; returns the writer.
    pub fn finish(self) -> io::Result<W> {
        let mut w = OmWriter::new(self.out);
        self.samples.write_nodes(&mut w)?;
        self.samples.write_cluster(&mut w)?;
        w.finish()
    }

    /// Keeps a node's sample.
    pub fn node(&mut self, r: &NodeMetricsRow<'_>) {
        let m = &mut self.samples;
        let i = match m.by_name.get(r.node) {
            Some(&i) => i,
            None => {
                m.by_name.insert(r.node.to_string(), m.nodes.len());
                m.nodes.push(NodeSeries {
                    node: r.node.to_string(),
                    nodegroup: r.nodegroup.to_string(),
                    points: Vec::new(),
                    counters: Vec::new(),
                });
                m.nodes.len() - 1
            }
        };
        let s = &mut m.nodes[i];
        if s.counters.last().is_none_or(|(_, c)| *c != r.counters) {
            s.counters.push((s.points.len(), r.counters));
        }
        s.points.push(NodePoint {
            time: r.time,
            enis: r.enis,
            eni_max: r.eni_max,
            ip_max: r.ip_max,
            ips_total: r.ips_total,
            ips_assigned: r.ips_assigned,
            prefixes: r.prefixes,
        });
    }

    /// Keeps the cluster's sample.
    pub fn cluster(&mut self, r: &ClusterMetricsRow) {
        self.samples.cluster.push(*r);
    }

    /// Keeps a subnet's sample.
    pub fn subnet(&mut self, r: &SubnetRow<'_>) {
        let i = match self.samples.subnets.iter().position(|(n, _)| n == r.subnet) {
            Some(i) => i,
            None => {
                self.samples
                    .subnets
                    .push((r.subnet.to_string(), Vec::new()));
                self.samples.subnets.len() - 1
            }
        };
        self.samples.subnets[i].1.push((r.time, r.free_ips));
    }
}

impl Samples {
    fn at(&self, t: SimTime) -> UnixMillis {
        stamp(self.start, t)
    }

    /// The node families (none when no node was sampled: a Calico run).
    fn write_nodes<W: Write>(&self, w: &mut OmWriter<W>) -> io::Result<()> {
        if self.nodes.is_empty() {
            return Ok(());
        }
        let start = self.start;
        let at = move |t: SimTime| stamp(start, t);
        for (family, value) in NODE_GAUGES {
            w.family(family)?;
            for s in &self.nodes {
                let labels = node_labels(s);
                for p in &s.points {
                    w.sample(&labels, u64::from(value(p)), at(p.time))?;
                }
            }
        }
        let plain: [Reader<AwsNodeCounters, u32>; 2] =
            [(ADD_IP, |c| c.add_ip), (NO_IP, |c| c.no_ip)];
        for (family, value) in plain {
            w.family(family)?;
            for s in &self.nodes {
                let labels = node_labels(s);
                for (t, c) in s.counted() {
                    w.sample(&labels, u64::from(value(c)), at(t))?;
                }
            }
        }
        // a labelled child exists from its first increment on (client_golang)
        w.family(DEL_IP)?;
        for s in &self.nodes {
            let [a, b, c] = node_labels(s);
            labelled(
                w,
                s,
                &[a, b, c, ("reason", "PodDeleted")],
                |c| c.del_ip,
                &at,
            )?;
        }
        let per_action: [Reader<AwsNodeCounters, [u32; EC2_ACTIONS]>; 2] =
            [(EC2_REQ, |c| c.ec2_calls), (EC2_ERR, |c| c.ec2_errors)];
        for (family, values) in per_action {
            w.family(family)?;
            for s in &self.nodes {
                let [a, b, c] = node_labels(s);
                for action in Ec2Action::ALL {
                    let labels = [a, b, c, ("fn", action.name())];
                    let value = |c: &AwsNodeCounters| values(c)[action as usize];
                    labelled(w, s, &labels, value, &at)?;
                }
            }
        }
        w.family(API_ERR)?;
        for s in &self.nodes {
            let [a, b, c] = node_labels(s);
            for action in Ec2Action::ALL {
                for error in Ec2Error::ALL {
                    let labels = [a, b, c, ("api", action.name()), ("error", error.name())];
                    let value = |c: &AwsNodeCounters| c.api_errors[action as usize][error.index()];
                    labelled(w, s, &labels, value, &at)?;
                }
            }
        }
        Ok(())
    }

    /// The `ipamsim_*` families.
    fn write_cluster<W: Write>(&self, w: &mut OmWriter<W>) -> io::Result<()> {
        w.family(gauge(
            "ipamsim_pods_unschedulable",
            "Pods no node can take (pending, unschedulable)",
        ))?;
        for r in &self.cluster {
            w.sample(&[], u64::from(r.pods_unschedulable), self.at(r.time))?;
        }
        w.family(gauge(
            "ipamsim_pods_waiting_ip",
            "Pods bound to a node and waiting for an IP, by the cause of their wait (waits.csv)",
        ))?;
        for cause in WaitCause::ALL {
            if cause == WaitCause::Unschedulable {
                continue;
            }
            for r in &self.cluster {
                let v = r.waiting_ip[cause.index()];
                w.sample(&[("cause", cause.word())], u64::from(v), self.at(r.time))?;
            }
        }
        w.family(gauge(
            "ipamsim_subnet_free_ip_addresses",
            "Free addresses in a subnet (prefix reservations included)",
        ))?;
        for (name, points) in &self.subnets {
            for &(t, free) in points {
                w.sample(&[("subnet", name)], u64::from(free), self.at(t))?;
            }
        }
        let counters: [Reader<ClusterMetricsRow, [u64; EC2_ACTIONS]>; 2] = [
            (
                Family {
                    name: "ipamsim_ec2_requests",
                    kind: Kind::Counter,
                    help: "EC2 requests made by the cluster, throttled ones and the SDK's retries included",
                },
                |r| r.ec2_requests,
            ),
            (
                Family {
                    name: "ipamsim_ec2_throttled_requests",
                    kind: Kind::Counter,
                    help: "EC2 requests answered RequestLimitExceeded",
                },
                |r| r.ec2_throttled,
            ),
        ];
        for (family, values) in counters {
            w.family(family)?;
            for action in Ec2Action::ALL {
                for r in &self.cluster {
                    let v = values(r)[action as usize];
                    w.sample(&[("action", action.name())], v, self.at(r.time))?;
                }
            }
        }
        Ok(())
    }
}

/// The timestamp of simulated time `t`: `start` plus `t` in whole milliseconds.
fn stamp(start: UnixMillis, t: SimTime) -> UnixMillis {
    UnixMillis(start.0.saturating_add((t.micros() / 1000) as i64))
}

/// A node series' target labels: `instance` (the node's name, as kube-prometheus's
/// ServiceMonitor for aws-node relabels it), `node`, `nodegroup`.
fn node_labels(s: &NodeSeries) -> [(&'static str, &str); 3] {
    [
        ("instance", s.node.as_str()),
        ("node", s.node.as_str()),
        ("nodegroup", s.nodegroup.as_str()),
    ]
}

/// One labelled child of a counter vector on one node: from the first sample where it
/// is above 0 to the node's last sample (nothing if it never was).
fn labelled<W: Write>(
    w: &mut OmWriter<W>,
    s: &NodeSeries,
    labels: &[(&str, &str)],
    value: impl Fn(&AwsNodeCounters) -> u32,
    at: &impl Fn(SimTime) -> UnixMillis,
) -> io::Result<()> {
    let mut seen = false;
    for (t, c) in s.counted() {
        let v = value(c);
        seen |= v > 0;
        if seen {
            w.sample(labels, u64::from(v), at(t))?;
        }
    }
    Ok(())
}
