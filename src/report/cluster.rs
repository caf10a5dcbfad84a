//! The run report's charts of the cluster over time: pods, nodes, IPs, ENIs (and prefixes),
//! each subnet's free IPs and free /28 blocks with EC2's insufficient-address failures
//! marked, and EC2 calls.

use super::chart::{Marks, Series, PALETTE};
use super::data::{self, Subnet, Timeline};
use super::html::Block;
use super::view::{over_time, section, RunInputs, TimeAxis};
use super::ReportError;
use crate::model::record::Ec2Error;
use plotters::style::RGBColor;

/// Most failure marks per subnet and error (one per equal slice of the run; the legend
/// gives the count).
const MAX_MARKS: usize = 300;

fn series(t: &Timeline, time: &TimeAxis, column: &str, name: &str, color: usize) -> Series {
    Series::new(
        name,
        PALETTE[color % PALETTE.len()],
        time.scale(&t.series(column)),
    )
}

/// The blocks of the "cluster over time" part.
pub fn cluster_blocks(r: &RunInputs, time: &TimeAxis) -> Result<Vec<Block>, ReportError> {
    let mut out = Vec::new();
    let pd = r.prefix_mode();
    let t = match &r.timeline {
        Some(t) if t.len() > 0 => Some(t),
        Some(_) => {
            out.push(Block::Note(
                "timeline.csv has no samples: pods, nodes, IPs, ENIs and EC2 calls left out."
                    .into(),
            ));
            None
        }
        None => {
            out.push(Block::Note(
                "Pods, nodes, IPs, ENIs and EC2 calls over time left out: this directory has no timeline.csv."
                    .into(),
            ));
            None
        }
    };
    if let Some(t) = t {
        let s = |col: &str, name: &str, color: usize| series(t, time, col, name, color);
        let pods = [
            s("pods_running", "running", 2),
            s("pods_waiting_ip", "waiting for an IP", 1),
            s("pods_unschedulable", "unschedulable", 3),
        ];
        out.push(section(
            "Pods",
            "Pods running (have an IP, or host network), bound and waiting for the CNI to give an IP (ContainerCreating), and unschedulable (no node with a free max-pods slot); y = pods, at each timeline sample.".into(),
            over_time(&pods, &[], time, "pods")?,
        ));
        out.push(nodes(t, r.ready.as_deref(), time)?);
        let ips = [
            s("ips_total", "held (total)", 0),
            s("ips_assigned", "assigned to pods", 2),
            s("ips_available", "available (idle)", 1),
            s("ips_cooldown", "cooling down", 4),
        ];
        let calico = r.calico();
        let (heading, what) = if calico {
            (
                "Pool addresses (Calico)",
                "Addresses in the nodes' Calico blocks across all nodes: held (every address of the blocks claimed), assigned to pods (borrowed ones included), available (held minus assigned; no cooldown in Calico); y = addresses.",
            )
        } else if pd {
            (
                "Pod IPs from prefixes",
                "Pod addresses held in ipamd warm pools across all nodes, 16 per /28 prefix",
            )
        } else {
            (
                "Secondary IPs",
                "Secondary IPs held in ipamd warm pools across all nodes",
            )
        };
        out.push(section(
            heading,
            if calico {
                what.to_string()
            } else {
                format!("{what}, those assigned to pods, those available (held minus assigned, cooldown included, as ipamd counts them) and those still in cooldown; y = IPs.")
            },
            over_time(&ips, &[], time, "IPs")?,
        ));
        if !calico {
            out.push(enis(t, time, pd)?);
        }
    }
    out.extend(subnets(r, t, time, pd)?);
    if let Some(t) = t {
        let ec2 = [
            series(t, time, "ec2_calls", "EC2 calls (cumulative)", 0),
            series(t, time, "ec2_throttled", "throttled (cumulative)", 3),
        ];
        out.push(section(
            "EC2 API calls",
            "EC2 calls made so far by all ipamds, and how many were throttled; y = calls, cumulative.".into(),
            over_time(&ec2, &[], time, "calls (cumulative)")?,
        ));
    }
    Ok(out)
}

fn nodes(
    t: &Timeline,
    ready: Option<&[(f64, f64)]>,
    time: &TimeAxis,
) -> Result<Block, ReportError> {
    let mut lines = vec![Series {
        width: 5,
        color: RGBColor(158, 202, 225),
        ..series(t, time, "nodes", "nodes", 0)
    }];
    let desc = match ready {
        Some(r) => {
            lines.push(Series::new(
                "Ready (taking pods)",
                PALETTE[2],
                time.scale(r),
            ));
            "Nodes that exist (launched, booting or Ready; timeline.csv) and nodes Ready, their ipamd initialised (nodes.csv); the gap is nodes booting; y = nodes."
        }
        None => "Nodes that exist (launched, booting or Ready; timeline.csv); Ready nodes need nodes.csv, not in this directory; y = nodes.",
    };
    Ok(section(
        "Nodes",
        desc.into(),
        over_time(&lines, &[], time, "nodes")?,
    ))
}

fn enis(t: &Timeline, time: &TimeAxis, pd: bool) -> Result<Block, ReportError> {
    let mut lines = vec![series(t, time, "enis", "ENIs", 0)];
    let with_prefixes = pd || t.get("prefixes").iter().any(|&p| p != 0.0);
    if with_prefixes {
        lines.push(series(t, time, "prefixes", "/28 prefixes", 1));
    }
    let (heading, desc, y) = if with_prefixes {
        (
            "ENIs and prefixes",
            "ENIs in ipamd datastores across all nodes (primary ENIs included) and the /28 prefixes delegated to them; y = count.",
            "ENIs / prefixes",
        )
    } else {
        (
            "ENIs",
            "ENIs in ipamd datastores across all nodes, primary ENIs included; y = ENIs.",
            "ENIs",
        )
    };
    Ok(section(
        heading,
        desc.into(),
        over_time(&lines, &[], time, y)?,
    ))
}

/// Marks of `error` on each subnet's line, with the subnet lines.
fn subnet_lines(
    subnets: &[Subnet],
    values: fn(&Subnet) -> &[(f64, f64)],
    error: Ec2Error,
    r: &RunInputs,
    time: &TimeAxis,
) -> (Vec<Series>, Vec<Marks>) {
    let mut lines = Vec::new();
    let mut marks = Vec::new();
    for (i, s) in subnets.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        lines.push(Series::new(&s.name, color, time.scale(values(s))));
        let times: Vec<f64> = r
            .failures
            .as_ref()
            .map_or(&[][..], |f| f.of(error, &s.name))
            .iter()
            .copied()
            .filter(|t| (time.lo_s..=time.hi_s).contains(t))
            .collect();
        if times.is_empty() {
            continue;
        }
        let thinned = data::thin_times(&times, time.hi_s - time.lo_s, MAX_MARKS);
        let mark_color = if subnets.len() == 1 {
            RGBColor(200, 0, 0)
        } else {
            color
        };
        let name = if subnets.len() == 1 {
            format!("{} ({})", error.name(), times.len())
        } else {
            format!("{} in {} ({})", error.name(), s.name, times.len())
        };
        marks.push(Marks {
            name,
            color: mark_color,
            points: thinned
                .iter()
                .map(|&(t, _)| (t / time.div, data::value_at(values(s), t)))
                .collect(),
        });
    }
    (lines, marks)
}

/// What the marks of `error` are, or that there are none.
fn marks_text(r: &RunInputs, marks: &[Marks], error: Ec2Error) -> String {
    if r.failures.is_none() {
        format!(
            "No events.csv here, so EC2's {} failures are not marked.",
            error.name()
        )
    } else if marks.is_empty() {
        format!("EC2 never answered {} (events.csv).", error.name())
    } else {
        format!(
            "Triangles mark EC2 answering {} in that subnet (insufficient_addresses in events.csv), on the line at their time; the legend gives how many, close ones drawn once.",
            error.name()
        )
    }
}

fn subnets(
    r: &RunInputs,
    t: Option<&Timeline>,
    time: &TimeAxis,
    pd: bool,
) -> Result<Vec<Block>, ReportError> {
    let Some(subnets) = r.subnets.as_ref().filter(|s| !s.is_empty()) else {
        let mut out = vec![Block::Note(
            "Per-subnet free IPs and free /28 blocks left out: this directory has no subnets.csv (or it has no rows)."
                .into(),
        )];
        if let Some(t) = t {
            let total = [series(t, time, "subnet_free_ips", "all subnets", 0)];
            out.push(section(
                "Subnet free IPs",
                "Free addresses summed over all subnets (timeline.csv); y = free IPs.".into(),
                over_time(&total, &[], time, "free IPs")?,
            ));
        }
        return Ok(out);
    };
    let mut out = Vec::new();
    let (lines, marks) = subnet_lines(
        subnets,
        |s| &s.free_ips,
        Ec2Error::InsufficientFreeAddressesInSubnet,
        r,
        time,
    );
    out.push(section(
        "Subnet free IPs",
        format!(
            "Free addresses in each subnet (after AWS's 5 reserved ones and every address held by instances, ENIs, pods and prefix reservations; subnets.csv); y = free IPs. {}",
            marks_text(r, &marks, Ec2Error::InsufficientFreeAddressesInSubnet)
        ),
        over_time(&lines, &marks, time, "free IPs")?,
    ));
    let (lines, marks) = subnet_lines(
        subnets,
        |s| &s.free_blocks,
        Ec2Error::InsufficientCidrBlocks,
        r,
        time,
    );
    let (heading, mode) = if pd {
        (
            "Subnet free /28 blocks for prefixes",
            "Prefix delegation is on: each new prefix needs one.",
        )
    } else {
        (
            "Subnet free /28 blocks",
            "Prefix delegation is off: ipamd asks for single IPs, not blocks; shown for reference.",
        )
    };
    out.push(section(
        heading,
        format!(
            "Aligned /28 blocks entirely free in each subnet (subnets.csv); y = free /28 blocks. {mode} {}",
            marks_text(r, &marks, Ec2Error::InsufficientCidrBlocks)
        ),
        over_time(&lines, &marks, time, "free /28 blocks")?,
    ));
    Ok(out)
}
