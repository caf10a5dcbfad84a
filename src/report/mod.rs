//! A self-contained HTML report (`report.html`) of a run or compare output directory: line
//! charts over simulated time from `timeline.csv` (and `subnets.csv`), and the trade-off
//! scatter plus table from `comparison.csv`. Charts are SVG drawn with plotters and inlined;
//! the page needs no network, fonts or JavaScript.

mod chart;
mod data;
mod html;

use chart::{ScatterPoint, Series, PALETTE};
use data::{Comparison, SubnetSeries, Timeline};
use html::{Page, Section};
use std::fmt;
use std::path::{Path, PathBuf};

/// Most points drawn per series; longer timelines are thinned keeping each bucket's extremes.
pub const MAX_POINTS_PER_SERIES: usize = 2000;

/// Why no report was written.
#[derive(Debug)]
pub enum ReportError {
    /// The path does not exist or is not a directory.
    NotADirectory(PathBuf),
    /// The directory has neither `timeline.csv` nor `comparison.csv`.
    NothingToReport(PathBuf),
    /// Reading an input or writing the report failed.
    Io {
        /// The file being read or written.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// An input CSV is not as expected (bad number, missing column, ragged row).
    Malformed {
        /// The CSV file.
        file: PathBuf,
        /// 1-based line number (1 = header; 0 if unknown).
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// plotters failed to draw a chart (not expected with valid numbers).
    Chart(String),
}

impl ReportError {
    /// True for problems with what the user pointed at (exit code 2), false for I/O and
    /// drawing failures (exit code 1).
    pub fn is_user_error(&self) -> bool {
        matches!(
            self,
            Self::NotADirectory(_) | Self::NothingToReport(_) | Self::Malformed { .. }
        )
    }
}

impl fmt::Display for ReportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotADirectory(d) => write!(f, "{}: no such directory", d.display()),
            Self::NothingToReport(d) => write!(
                f,
                "nothing to report in {}: it has neither timeline.csv (from `run`) nor comparison.csv (from a compare)",
                d.display()
            ),
            Self::Io { path, source } => write!(f, "{}: {source}", path.display()),
            Self::Malformed {
                file,
                line,
                message,
            } => write!(f, "{}:{line}: {message}", file.display()),
            Self::Chart(m) => write!(f, "drawing a chart failed: {m}"),
        }
    }
}

impl std::error::Error for ReportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Reads `dir/timeline.csv` (with `dir/subnets.csv` if present) and/or `dir/comparison.csv`
/// and writes `dir/report.html` (via a temporary file, renamed when complete). Returns the
/// report's path.
pub fn write_report(dir: &Path) -> Result<PathBuf, ReportError> {
    if !dir.is_dir() {
        return Err(ReportError::NotADirectory(dir.to_path_buf()));
    }
    let timeline_path = dir.join("timeline.csv");
    let comparison_path = dir.join("comparison.csv");
    let (has_run, has_compare) = (timeline_path.is_file(), comparison_path.is_file());
    if !has_run && !has_compare {
        return Err(ReportError::NothingToReport(dir.to_path_buf()));
    }
    let mut page = Page {
        title: format!("ipamsim report: {}", dir_name(dir)),
        intro: vec![format!("Output directory {}.", dir.display())],
        sections: Vec::new(),
    };
    if has_run {
        let timeline = data::read_timeline(&timeline_path)?;
        let subnets_path = dir.join("subnets.csv");
        let subnets = if subnets_path.is_file() {
            Some(data::read_subnets(&subnets_path)?)
        } else {
            None
        };
        page.intro.push(run_summary(&timeline));
        page.sections
            .extend(run_sections(&timeline, subnets.as_ref())?);
    }
    if has_compare {
        let comparison = data::read_comparison(&comparison_path)?;
        page.intro.push(compare_summary(&comparison));
        page.sections.extend(compare_sections(&comparison)?);
    }
    write_atomically(&dir.join("report.html"), &page.render())
}

/// Writes `report.html` under the directory's lock, through a unique temporary file renamed
/// when complete (see `crate::output::files`).
fn write_atomically(path: &Path, text: &str) -> Result<PathBuf, ReportError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut out = crate::output::files::OutputDir::open(dir).map_err(|e| ReportError::Io {
        path: dir.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    })?;
    let io = |source| ReportError::Io {
        path: path.to_path_buf(),
        source,
    };
    out.write("report.html", text.as_bytes()).map_err(io)?;
    out.commit(&[]).map_err(io)?;
    Ok(path.to_path_buf())
}

/// The directory's own name (`.` resolved), for the title.
fn dir_name(dir: &Path) -> String {
    let resolved = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    resolved
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| dir.display().to_string())
}

/// Time axis: seconds up to 20 minutes, minutes beyond. Returns (divisor, axis title).
fn time_axis(t: &Timeline) -> (f64, &'static str) {
    let end = t.get("time_s").last().copied().unwrap_or(0.0);
    if end > 1200.0 {
        (60.0, "simulated time (min)")
    } else {
        (1.0, "simulated time (s)")
    }
}

fn peak(values: &[f64]) -> f64 {
    values.iter().copied().fold(0.0, f64::max)
}

fn last(values: &[f64]) -> f64 {
    values.last().copied().unwrap_or(0.0)
}

fn run_summary(t: &Timeline) -> String {
    if t.len() == 0 {
        return "timeline.csv has no samples: nothing to draw for the run.".into();
    }
    format!(
        "{} samples over {:.0} s simulated. Peaks over the samples: {:.0} pods waiting for an IP, {:.0} unschedulable, \
         {:.0} idle IPs. At the end: {:.0} pods running on {:.0} nodes, {:.0} ENIs, {:.0} IPs held, \
         {:.0} EC2 calls.",
        t.len(),
        last(t.get("time_s")),
        peak(t.get("pods_waiting_ip")),
        peak(t.get("pods_unschedulable")),
        peak(t.get("ips_available")),
        last(t.get("pods_running")),
        last(t.get("nodes")),
        last(t.get("enis")),
        last(t.get("ips_total")),
        last(t.get("ec2_calls")),
    )
}

/// A timeline series: (column, legend name, colour), thinned and rescaled to the time axis.
fn series(t: &Timeline, column: &str, name: &str, color: usize, div: f64) -> Series {
    let points: Vec<(f64, f64)> = t
        .series(column)
        .into_iter()
        .map(|(x, y)| (x / div, y))
        .collect();
    Series {
        name: name.to_string(),
        color: PALETTE[color % PALETTE.len()],
        points: data::downsample(&points, MAX_POINTS_PER_SERIES),
    }
}

fn section(heading: &str, description: &str, body: String) -> Section {
    Section {
        heading: heading.into(),
        description: description.into(),
        body,
    }
}

/// The five charts over time.
fn run_sections(t: &Timeline, subnets: Option<&SubnetSeries>) -> Result<Vec<Section>, ReportError> {
    if t.len() == 0 {
        return Ok(Vec::new());
    }
    let (div, x) = time_axis(t);
    let s = |col: &str, name: &str, color: usize| series(t, col, name, color, div);
    let mut out = Vec::new();
    let pods = [
        s("pods_running", "running", 2),
        s("pods_waiting_ip", "waiting for an IP", 1),
        s("pods_unschedulable", "unschedulable", 3),
    ];
    out.push(section(
        "Pods",
        "Pods running (have an IP, or host network), bound and waiting for the CNI to give an IP (ContainerCreating), and unschedulable (no node with a free max-pods slot); y = pods.",
        chart::line_chart(&pods, x, "pods")?,
    ));
    let ips = [
        s("ips_total", "held (total)", 0),
        s("ips_assigned", "assigned to pods", 2),
        s("ips_available", "available (idle)", 1),
        s("ips_cooldown", "cooling down", 4),
    ];
    out.push(section(
        "Secondary IPs",
        "Secondary IPs held in ipamd warm pools across all nodes, those assigned to pods, those available (held minus assigned, cooldown included, as ipamd counts them) and those still in cooldown; y = IPs.",
        chart::line_chart(&ips, x, "IPs")?,
    ));
    out.push(eni_section(t, div, x)?);
    out.push(subnet_section(t, subnets, div, x)?);
    let ec2 = [
        s("ec2_calls", "EC2 calls (cumulative)", 0),
        s("ec2_throttled", "throttled (cumulative)", 3),
    ];
    out.push(section(
        "EC2 API calls",
        "EC2 calls made so far by all ipamds, and how many were throttled; y = calls, cumulative.",
        chart::line_chart(&ec2, x, "calls (cumulative)")?,
    ));
    Ok(out)
}

fn eni_section(t: &Timeline, div: f64, x: &str) -> Result<Section, ReportError> {
    let mut lines = vec![series(t, "enis", "ENIs", 0, div)];
    let with_prefixes = t.get("prefixes").iter().any(|&p| p != 0.0);
    if with_prefixes {
        lines.push(series(t, "prefixes", "prefixes", 1, div));
    }
    let (desc, y) = if with_prefixes {
        (
            "ENIs in ipamd datastores across all nodes (primary ENIs included) and delegated /28 prefixes; y = count.",
            "ENIs / prefixes",
        )
    } else {
        (
            "ENIs in ipamd datastores across all nodes, primary ENIs included; y = ENIs.",
            "ENIs",
        )
    };
    Ok(section("ENIs", desc, chart::line_chart(&lines, x, y)?))
}

fn subnet_section(
    t: &Timeline,
    subnets: Option<&SubnetSeries>,
    div: f64,
    x: &str,
) -> Result<Section, ReportError> {
    let (lines, desc) = match subnets {
        Some(subnets) if !subnets.is_empty() => (
            subnets
                .iter()
                .enumerate()
                .map(|(i, (name, pts))| {
                    let pts: Vec<(f64, f64)> = pts.iter().map(|&(x, y)| (x / div, y)).collect();
                    Series {
                        name: name.clone(),
                        color: PALETTE[i % PALETTE.len()],
                        points: data::downsample(&pts, MAX_POINTS_PER_SERIES),
                    }
                })
                .collect(),
            "Free addresses in each subnet (after AWS's 5 reserved ones and every address held by instances, ENIs and pods); y = free IPs.",
        ),
        _ => (
            vec![series(t, "subnet_free_ips", "all subnets", 0, div)],
            "Free addresses summed over all subnets (no subnets.csv in this directory); y = free IPs.",
        ),
    };
    Ok(section(
        "Subnet free IPs",
        desc,
        chart::line_chart(&lines, x, "free IPs")?,
    ))
}

fn compare_summary(c: &Comparison) -> String {
    let front = c.points.iter().filter(|p| p.pareto).count();
    format!(
        "Comparison of {} settings; {} on the Pareto front of (p99 time to running, mean idle IPs): no other setting is at least as good in both.",
        c.points.len(),
        front
    )
}

/// The trade-off scatter and the comparison table.
fn compare_sections(c: &Comparison) -> Result<Vec<Section>, ReportError> {
    let full_labels = c.points.len() <= 8;
    let points: Vec<ScatterPoint> = c
        .points
        .iter()
        .enumerate()
        .filter_map(|(i, p)| {
            let label = if full_labels {
                format!("{}: {}", i + 1, p.setting)
            } else {
                (i + 1).to_string()
            };
            Some(ScatterPoint {
                label,
                x: p.idle_ips_mean?,
                y: p.time_to_running_p99_s?,
                pareto: p.pareto,
            })
        })
        .collect();
    let skipped = c.points.len() - points.len();
    let mut desc = String::from(
        "Each point is one setting (numbered as in the table below): x = mean idle IPs over the run (IPs), y = p99 time to running (s, from creation; a pod that never ran counts until deleted or the end). Lower-left is better; filled points are the Pareto front of these two.",
    );
    if skipped > 0 {
        desc.push_str(&format!(
            " {skipped} setting(s) without both values are not plotted."
        ));
    }
    let mut out = Vec::new();
    if !points.is_empty() {
        out.push(section(
            "Trade-off: idle IPs vs. p99 time to running",
            &desc,
            chart::scatter_chart(&points, "mean idle IPs (IPs)", "p99 time to running (s)")?,
        ));
    }
    let highlight: Vec<bool> = c.points.iter().map(|p| p.pareto).collect();
    out.push(section(
        "Settings compared",
        "comparison.csv as written; Pareto-optimal rows are highlighted. Times in s, IPs and calls are counts.",
        html::table(&c.header, &c.rows, &highlight),
    ));
    Ok(out)
}
