//! The run report: how long pods waited (time to running per workload), why (pod-seconds and
//! pods waiting by cause), and the cluster over time (pods, nodes, IPs, ENIs, subnets, EC2).

use super::chart::{self, Axis, Layer, Series, PALETTE};
use super::html::{Block, Cell, Table};
use super::pods::{PodTimes, WorkloadTimes, MAX_CDF_POINTS};
use super::view::{section, RunInputs, TimeAxis};
use super::waits::WaitStack;
use super::ReportError;
use crate::model::record::WaitCause;
use plotters::style::RGBColor;

/// Most workload lines in the time-to-running chart (the rest are merged into one).
pub const MAX_WORKLOAD_LINES: usize = 8;

/// The fixed colour of a wait cause in every chart.
pub fn cause_color(c: WaitCause) -> RGBColor {
    match c {
        WaitCause::Unschedulable => RGBColor(127, 127, 127),
        WaitCause::NodeNotReady => RGBColor(188, 189, 34),
        WaitCause::IpamdUnavailable => RGBColor(140, 86, 75),
        WaitCause::KubeletRetry => RGBColor(23, 190, 207),
        WaitCause::PoolGrowing => RGBColor(31, 119, 180),
        WaitCause::Ec2Throttled => RGBColor(214, 39, 40),
        WaitCause::Cooldown => RGBColor(148, 103, 189),
        WaitCause::SubnetFull => RGBColor(255, 127, 14),
        WaitCause::MaxEnis => RGBColor(227, 119, 194),
        WaitCause::PoolFrozen => RGBColor(44, 160, 44),
        WaitCause::PoolTick => RGBColor(57, 59, 121),
        WaitCause::IpamAssigning => RGBColor(158, 218, 229),
        WaitCause::PoolExhausted => RGBColor(140, 45, 4),
        WaitCause::StrictAffinity => RGBColor(255, 187, 120),
        WaitCause::BlockLimit => RGBColor(196, 156, 148),
        WaitCause::BranchEni => RGBColor(219, 219, 141),
        WaitCause::NoFreePrefix => RGBColor(255, 152, 150),
    }
}

/// What a cause means, in a few words (docs/outputs.md has the full rules).
fn cause_meaning(c: WaitCause) -> &'static str {
    c.meaning()
}

fn secs(v: Option<f64>) -> String {
    v.map_or("-".into(), |s| format!("{s:.1}"))
}

/// Every block of a run's report, in page order; `dir` as the user named it (for the
/// explain commands).
pub fn run_blocks(r: &RunInputs, dir: &std::path::Path) -> Result<Vec<Block>, ReportError> {
    let end = r.end_s();
    let whole = TimeAxis::for_end(end);
    let zoom = r.window.map(|(lo, hi)| TimeAxis::view(lo, hi));
    let mut out = vec![Block::Heading("How long pods waited".into())];
    out.extend(time_to_running(r.pods.as_ref())?);
    out.push(Block::Heading("Why they waited".into()));
    if let (Some(z), Some(w)) = (&zoom, r.waits.as_ref().and_then(|w| w.span_ms)) {
        out.push(Block::Para(format!(
            "Charts over time are zoomed to {}: from the first pod wait's start ({} s) to the \
             last one's end ({} s) in waits.csv, widened on each side by {} % of that span (at \
             least {} s) and cut to the run. Under each, “whole run” opens \
             it over {}.",
            super::zoom::span_text(z),
            chart::tick(&(w.0 as f64 / 1000.0)),
            chart::tick(&(w.1 as f64 / 1000.0)),
            chart::tick(&(super::zoom::MARGIN * 100.0)),
            chart::tick(&super::zoom::MIN_MARGIN_S),
            super::zoom::span_text(&whole)
        )));
    }
    out.extend(wait_causes(r, &whole, zoom.as_ref())?);
    out.push(super::slowest::slowest_block(
        dir,
        r.waits.is_some() && r.pods.is_some(),
    ));
    out.push(Block::Heading("The cluster over time".into()));
    match &zoom {
        Some(z) => {
            out.push(Block::Para(format!(
                "Zoomed to {}, when pods waited; “whole run” under a chart opens it over {}.",
                super::zoom::span_text(z),
                super::zoom::span_text(&whole)
            )));
            let zoomed = super::cluster::cluster_blocks(r, z)?;
            let full = super::cluster::cluster_blocks(r, &whole)?;
            out.extend(super::zoom::merge(zoomed, full, &whole));
        }
        None => out.extend(super::cluster::cluster_blocks(r, &whole)?),
    }
    Ok(out)
}

fn time_to_running(pods: Option<&PodTimes>) -> Result<Vec<Block>, ReportError> {
    let Some(pods) = pods else {
        return Ok(vec![Block::Note(
            "Time to running left out: this directory has no pods.csv (not chosen in outputs:)."
                .into(),
        )]);
    };
    let all = pods.all();
    if all.pods() == 0 {
        return Ok(vec![Block::Note(format!(
            "Time to running left out: pods.csv has no pod-network pods ({} host-network pods need no IP).",
            pods.host_network
        ))]);
    }
    let mut lines = pods.lines(MAX_WORKLOAD_LINES);
    let several = lines.len() > 1;
    if several {
        lines.push(("all workloads".into(), all.clone()));
    }
    let positive = lines
        .iter()
        .flat_map(|(_, w)| w.to_ip_ms.iter())
        .copied()
        .filter(|&ms| ms > 0);
    let mut lo = positive.clone().min().unwrap_or(1000).max(1) as f64 / 1000.0;
    if all.to_ip_ms.contains(&0) {
        // Room at the left edge, a decade below every positive time, for the 0 s ones.
        lo /= 10.0;
    }
    let hi = positive.max().unwrap_or(1000) as f64 / 1000.0;
    let x = Axis::log("time to running: creation to IP (s", lo, hi.max(lo));
    let x = Axis {
        title: format!("{})", x.title),
        ..x
    };
    let series: Vec<Series> = lines
        .iter()
        .enumerate()
        .filter(|(_, (_, w))| !w.to_ip_ms.is_empty())
        .map(|(i, (name, w))| {
            let color = if several && i + 1 == lines.len() {
                RGBColor(30, 30, 30)
            } else {
                PALETTE[i % PALETTE.len()]
            };
            let total = several && i + 1 == lines.len();
            Series {
                // Thinner, so a workload with most of the pods shows under it.
                width: if total { 1 } else { 2 },
                ..Series::new(name, color, cdf_steps(w, &x))
            }
        })
        .collect();
    let y = Axis::linear("fraction of pods with an IP", 0.0..1.0);
    let svg = if all.to_ip_ms.is_empty() {
        String::new()
    } else {
        chart::line_chart(&series, &[], &x, &y)?
    };
    let never = all.never();
    let mut desc = format!(
        "Time to running (creation → running; a pod-network pod runs when it gets its IP, \
         ip_assigned_s − created_s in pods.csv): for each workload, the fraction of its \
         pod-network pods running within x of their creation, so each line ends at the \
         fraction that ever got an IP. Time to IP (binding → IP) is summary.json's figure. {} of {} got an IP; {never} never did ({} never \
         scheduled, {} still waiting at the end, {} deleted first).",
        all.to_ip_ms.len(),
        crate::text::Count(all.pods(), "pod", "pods"),
        all.never_scheduled,
        all.waiting_at_end,
        all.deleted_first
    );
    if all.to_ip_ms.is_empty() {
        desc.push_str(" No pod got an IP, so there is no curve to draw.");
    } else if all.to_ip_ms.contains(&0) {
        desc.push_str(" Pods that got an IP at once (0 s) are drawn at the left edge.");
    }
    if pods.host_network > 0 {
        desc.push_str(&format!(
            " {} host-network pods need no IP and are left out.",
            pods.host_network
        ));
    }
    let mut table = Table::new(&[
        "workload",
        "pods",
        "got an IP",
        "p50 (s)",
        "p90 (s)",
        "p99 (s)",
        "max (s)",
        "never got one",
        "never scheduled",
        "waiting at end",
        "deleted first",
    ]);
    for (i, (name, w)) in lines.iter().enumerate() {
        let class = (several && i + 1 == lines.len()).then_some("total");
        table.rows.push((class, workload_cells(name, w)));
    }
    Ok(vec![section(
        "Time to running, per workload",
        desc,
        svg + &table.render(),
    )])
}

fn workload_cells(name: &str, w: &WorkloadTimes) -> Vec<Cell> {
    let n = |v: u64| Cell::Num(v.to_string());
    vec![
        Cell::Text(name.to_string()),
        n(w.pods()),
        Cell::Num(format!(
            "{} ({:.1} %)",
            w.to_ip_ms.len(),
            100.0 * w.fraction_with_ip()
        )),
        Cell::Num(secs(w.percentile_s(50))),
        Cell::Num(secs(w.percentile_s(90))),
        Cell::Num(secs(w.percentile_s(99))),
        Cell::Num(secs(w.percentile_s(100))),
        n(w.never()),
        n(w.never_scheduled),
        n(w.waiting_at_end),
        n(w.deleted_first),
    ]
}

/// The CDF as a staircase from 0 at the first time, clamped to the axis, continued flat
/// to the axis's end.
fn cdf_steps(w: &WorkloadTimes, x: &Axis) -> Vec<(f64, f64)> {
    let clamp = |t: f64| t.clamp(x.range.start, x.range.end);
    let corners = w.cdf(MAX_CDF_POINTS);
    let mut pts = Vec::with_capacity(2 * corners.len() + 2);
    let mut prev = 0.0;
    for (t, f) in corners {
        let t = clamp(t);
        pts.push((t, prev));
        pts.push((t, f));
        prev = f;
    }
    pts.push((x.range.end, prev));
    pts
}

/// Causes by pod-seconds, largest first, ties in [`WaitCause::ALL`] order.
fn by_share(seconds: impl Fn(WaitCause) -> f64) -> Vec<WaitCause> {
    let mut causes = WaitCause::ALL.to_vec();
    causes.sort_by(|a, b| seconds(*b).total_cmp(&seconds(*a)));
    causes
}

/// The stacked chart of pods waiting by cause over `time`, layers in `causes` order.
fn stack_chart(
    w: &WaitStack,
    causes: &[WaitCause],
    time: &TimeAxis,
) -> Result<String, ReportError> {
    let layers: Vec<Layer> = causes
        .iter()
        .map(|&c| Layer {
            name: c.word().into(),
            color: cause_color(c),
            values: (0..w.buckets()).map(|b| w.mean(c.index(), b)).collect(),
        })
        .collect();
    let s = |ms: u64| ms as f64 / 1000.0 / time.div;
    chart::stacked_chart(
        &layers,
        (s(w.start_ms), s(w.bucket_ms), s(w.end_ms)),
        time.title,
        "pods waiting",
    )
}

fn wait_causes(
    r: &RunInputs,
    time: &TimeAxis,
    zoom: Option<&TimeAxis>,
) -> Result<Vec<Block>, ReportError> {
    let mut out = Vec::new();
    let mut table = Table::new(&[
        "cause",
        "meaning",
        "pod-seconds",
        "share",
        "intervals",
        "longest (s)",
    ]);
    let source = match (
        &r.waits,
        r.meta.as_ref().and_then(|m| m.wait_by_cause_s.as_ref()),
    ) {
        (Some(w), _) => {
            let total = w.total_s();
            for c in by_share(|c| w.totals[c.index()].pod_ms as f64) {
                let t = w.totals[c.index()];
                if t.intervals == 0 {
                    continue;
                }
                let s = t.pod_ms as f64 / 1000.0;
                table.rows.push((
                    None,
                    vec![
                        Cell::Text(c.word().into()),
                        Cell::Text(cause_meaning(c).into()),
                        Cell::Num(format!("{s:.1}")),
                        Cell::Num(share(s, total)),
                        Cell::Num(t.intervals.to_string()),
                        Cell::Num(format!("{:.1}", t.longest_ms as f64 / 1000.0)),
                    ],
                ));
            }
            total_row(
                &mut table,
                total,
                Some(w.totals.iter().map(|t| t.intervals).sum()),
            );
            format!(
                "waits.csv ({} waited)",
                crate::text::Count(w.pods, "pod", "pods")
            )
        }
        (None, Some(by)) => {
            let total: f64 = by.0.iter().sum();
            for c in by_share(|c| by.0[c.index()]) {
                let s = by.0[c.index()];
                if s > 0.0 {
                    table.rows.push((
                        None,
                        vec![
                            Cell::Text(c.word().into()),
                            Cell::Text(cause_meaning(c).into()),
                            Cell::Num(format!("{s:.1}")),
                            Cell::Num(share(s, total)),
                            Cell::Text(String::new()),
                            Cell::Text(String::new()),
                        ],
                    ));
                }
            }
            total_row(&mut table, total, None);
            "summary.json's wait_by_cause_s (no waits.csv: intervals not known)".into()
        }
        (None, None) => {
            out.push(Block::Note(
                "Pod-seconds by cause left out: neither waits.csv nor summary.json's wait_by_cause_s is here."
                    .into(),
            ));
            String::new()
        }
    };
    if !source.is_empty() {
        out.push(section(
            "Pod-seconds by cause",
            format!(
                "Every pod's wait, from creation until it ran, was deleted or the run ended, \
                 cut by cause and summed, from {source}; largest first, causes without time \
                 left out."
            ),
            table.render(),
        ));
    }
    match &r.waits {
        Some(w) if !w.present().is_empty() => {
            let causes = w.present();
            let full = stack_chart(w, &causes, time)?;
            let (svg, bucket_ms) = match (zoom, &r.waits_zoomed) {
                (Some(z), Some(zw)) => (
                    super::zoom::with_full(stack_chart(zw, &causes, z)?, &full, time),
                    zw.bucket_ms,
                ),
                _ => (full, w.bucket_ms),
            };
            out.push(section(
                "Pods waiting, by cause",
                format!(
                    "How many pods were waiting at each time, stacked by why (waits.csv), the \
                     cause with the most pod-seconds at the bottom: the mean over each {} s \
                     bucket; the area of a cause is its pod-seconds.",
                    tick_s(bucket_ms as f64 / 1000.0)
                ),
                svg,
            ));
        }
        Some(_) => out.push(Block::Note(
            "Pods waiting by cause left out: waits.csv has no interval (no pod waited).".into(),
        )),
        None => out.push(Block::Note(
            "Pods waiting by cause left out: this directory has no waits.csv (not chosen in outputs:)."
                .into(),
        )),
    }
    Ok(out)
}

fn tick_s(s: f64) -> String {
    chart::tick(&s)
}

fn share(s: f64, total: f64) -> String {
    if total > 0.0 {
        format!("{:.1} %", 100.0 * s / total)
    } else {
        "-".into()
    }
}

fn total_row(table: &mut Table, total: f64, intervals: Option<u64>) {
    table.rows.push((
        Some("total"),
        vec![
            Cell::Text("all causes".into()),
            Cell::Text(String::new()),
            Cell::Num(format!("{total:.1}")),
            Cell::Num(if total > 0.0 {
                "100 %".into()
            } else {
                "-".into()
            }),
            Cell::Num(intervals.map_or(String::new(), |n| n.to_string())),
            Cell::Text(String::new()),
        ],
    ));
}
