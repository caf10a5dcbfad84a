//! A self-contained HTML report (`report.html`) of a run or compare output directory.
//!
//! A run's report answers how long pods waited and why: time to running per workload as a CDF
//! (`pods.csv`), pod-seconds and pods waiting by cause, largest first (`waits.csv`), the
//! slowest pods with their `ipamsim explain` commands, then the cluster over time
//! (`timeline.csv`, `nodes.csv`, `subnets.csv` with the insufficient-address failures of
//! `events.csv`), under a header from `summary.json`; charts over time are zoomed to when
//! pods waited, the whole run one click away. A comparison's report has the trade-off
//! scatter (settings as labels, objectives, the recommendation, 95 % intervals), the
//! terminal's table and the waits per setting (`comparison.csv`, `comparison.json`). Every input is optional but the one that makes the directory a run
//! or a comparison; a part whose file is absent is left out with a note. Charts are SVG
//! drawn with plotters and inlined; the page needs no network, fonts or JavaScript, and the
//! same files give the same bytes.

mod chart;
mod cluster;
mod compare;
mod compare_data;
mod data;
mod html;
mod input;
mod labels;
mod meta;
pub mod pods;
mod rows;
mod run;
mod scatter;
mod slowest;
mod view;
pub mod waits;
mod zoom;

use html::{Block, Page};
use input::optional;
use std::fmt;
use std::path::{Path, PathBuf};

pub use chart::{wants_log, LOG_SPAN};

/// Most points drawn per series; longer timelines are thinned keeping each bucket's extremes.
pub const MAX_POINTS_PER_SERIES: usize = 2000;

/// Why no report was written.
#[derive(Debug)]
pub enum ReportError {
    /// The path does not exist or is not a directory.
    NotADirectory(PathBuf),
    /// The directory has none of `timeline.csv`, `summary.json` and `comparison.csv`.
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
            Self::NotADirectory(d) => write!(f, "{}: no such directory", crate::scenario::shown_path(d)),
            Self::NothingToReport(d) => write!(
                f,
                "nothing to report in {}: it has neither timeline.csv or summary.json (from `run`) nor comparison.csv (from a compare)",
                crate::scenario::shown_path(d)
            ),
            Self::Io { path, source } => write!(f, "{}: {source}", crate::scenario::shown_path(path)),
            Self::Malformed {
                file,
                line: 0,
                message,
            } => write!(f, "{}: {message}", file.display()),
            Self::Malformed {
                file,
                line,
                message,
            } => write!(f, "{}:{line}: {message}", crate::scenario::shown_path(file)),
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

/// Reads a run directory's files (`summary.json`, `timeline.csv`, `pods.csv`, `waits.csv`,
/// `subnets.csv`, `events.csv`, `nodes.csv`; each optional) and/or `comparison.csv` (with
/// `comparison.json` if present) and writes `dir/report.html` (via a temporary file,
/// renamed when complete). Returns the report's path.
pub fn write_report(dir: &Path) -> Result<PathBuf, ReportError> {
    if !dir.is_dir() {
        return Err(ReportError::NotADirectory(dir.to_path_buf()));
    }
    let text = render_report(dir)?;
    write_atomically(&dir.join("report.html"), &text)
}

/// The report of `dir` as HTML text (what [`write_report`] writes).
pub fn render_report(dir: &Path) -> Result<String, ReportError> {
    let summary = optional(dir.join("summary.json"));
    let timeline = optional(dir.join("timeline.csv"));
    let comparison = optional(dir.join("comparison.csv"));
    let has_run = summary.is_some() || timeline.is_some();
    if !has_run && comparison.is_none() {
        return Err(ReportError::NothingToReport(dir.to_path_buf()));
    }
    let mut page = Page {
        title: format!("ipamsim report: {}", dir_name(dir)),
        intro: vec![format!(
            "Output directory {}.",
            crate::scenario::shown_path(dir)
        )],
        settings: Vec::new(),
        blocks: Vec::new(),
    };
    if has_run {
        let r = read_run(dir, summary, timeline)?;
        page.intro.extend(run_intro(&r));
        if let Some(figures) = timeline_figures(&r) {
            page.blocks.push(Block::Para(figures));
        }
        if let Some(m) = r.meta.as_ref().filter(|m| m.calico.is_none()) {
            page.settings = m
                .cni
                .shown()
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect();
        } else {
            page.blocks.push(Block::Note(
                "No summary.json here: the scenario, seed, version and CNI settings are not known, and titles assume secondary-IP mode."
                    .into(),
            ));
        }
        page.blocks.extend(run::run_blocks(&r, dir)?);
    }
    if let Some(path) = comparison {
        let c = compare_data::read_comparison(&path)?;
        let meta = match optional(dir.join("comparison.json")) {
            Some(p) => Some(input::read_json::<meta::CompareMeta>(&p)?),
            None => None,
        };
        if has_run {
            page.blocks.push(Block::Heading("Comparison".into()));
        }
        page.intro.push(compare::compare_intro(&c, meta.as_ref()));
        page.blocks
            .extend(compare::compare_blocks(&c, meta.as_ref())?);
    }
    Ok(page.render())
}

/// Reads a run directory's inputs; absent optional files are `None`.
fn read_run(
    dir: &Path,
    summary: Option<PathBuf>,
    timeline: Option<PathBuf>,
) -> Result<view::RunInputs, ReportError> {
    let mut r = view::RunInputs::default();
    if let Some(p) = summary {
        r.meta = Some(input::read_json(&p)?);
    }
    if let Some(p) = timeline {
        r.timeline = Some(data::read_timeline(&p)?);
    }
    if let Some(p) = optional(dir.join("pods.csv")) {
        r.pods = Some(pods::read_pods(&p)?);
    }
    if let Some(p) = optional(dir.join("waits.csv")) {
        let w = waits::read_waits(&p, r.end_s())?;
        let end = if r.end_s() > 0.0 {
            r.end_s()
        } else {
            w.end_ms as f64 / 1000.0
        };
        r.window = zoom::wait_window(w.span_ms, end);
        if let Some((lo, hi)) = r.window {
            let ms = |s: f64| (s * 1000.0).round() as u64;
            r.waits_zoomed = Some(waits::read_waits_in(&p, ms(lo), ms(hi))?);
        }
        r.waits = Some(w);
    }
    if let Some(p) = optional(dir.join("subnets.csv")) {
        r.subnets = Some(data::read_subnets(&p)?);
    }
    if let Some(p) = optional(dir.join("events.csv")) {
        r.failures = Some(data::read_failures(&p)?);
    }
    if let Some(p) = optional(dir.join("nodes.csv")) {
        r.ready = Some(data::read_ready_nodes(&p)?);
    }
    Ok(r)
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
        .unwrap_or_else(|| crate::scenario::shown_path(dir).to_string())
}

fn peak(values: &[f64]) -> f64 {
    values.iter().copied().fold(0.0, f64::max)
}

fn last(values: &[f64]) -> f64 {
    values.last().copied().unwrap_or(0.0)
}

/// The run's header line: the scenario, seed, version and mode.
fn run_intro(r: &view::RunInputs) -> Option<String> {
    let m = r.meta.as_ref()?;
    if let Some(c) = &m.calico {
        return Some(format!(
            "Run of scenario {}, seed {}, ipamsim {}: {} s simulated, with Calico block IPAM: pool \
             {}, /{} blocks, strict affinity {}. There is no ipamd: pods take overlay addresses \
             from their nodes' blocks, and the VPC subnets hold only the nodes' own addresses.",
            m.scenario,
            m.seed,
            m.ipamsim_version,
            chart::tick(&m.duration_s),
            c.pool,
            c.block_size,
            if c.strict_affinity { "on" } else { "off" }
        ));
    }
    Some(format!(
        "Run of scenario {}, seed {}, ipamsim {}: {} s simulated, in {} mode. The effective aws-node settings:",
        m.scenario,
        m.seed,
        m.ipamsim_version,
        chart::tick(&m.duration_s),
        if m.cni.ENABLE_PREFIX_DELEGATION {
            "prefix-delegation"
        } else {
            "secondary-IP"
        }
    ))
}

/// The timeline's figures in a sentence.
fn timeline_figures(r: &view::RunInputs) -> Option<String> {
    let t = r.timeline.as_ref()?;
    if t.len() == 0 {
        return None;
    }
    // counts, written whole (the columns hold integers)
    let n = |v: f64, one, many| crate::text::Count(v.round().max(0.0) as u64, one, many);
    Some(format!(
        "{} over {:.0} s simulated. Peaks over the samples: {} waiting for an IP, {:.0} unschedulable, \
         {} idle. At the end: {} running on {}, {}, {} held, {}.",
        n(t.len() as f64, "sample", "samples"),
        last(t.get("time_s")),
        n(peak(t.get("pods_waiting_ip")), "pod", "pods"),
        peak(t.get("pods_unschedulable")),
        n(peak(t.get("ips_available")), "IP", "IPs"),
        n(last(t.get("pods_running")), "pod", "pods"),
        n(last(t.get("nodes")), "node", "nodes"),
        n(last(t.get("enis")), "ENI", "ENIs"),
        n(last(t.get("ips_total")), "IP", "IPs"),
        n(last(t.get("ec2_calls")), "EC2 call", "EC2 calls"),
    ))
}
