//! `ipamsim run SCENARIO --out DIR`: one run, its files, its summary.

use super::{load_scenario, print, progress_bar, Error, Exit};
use crate::decide::slo::Outcome;
use crate::engine::RunStats;
use crate::output::summary::Summary;
use crate::scenario::Scenario;
use crate::sim::{self, RunError};
use crate::text::Count;
use std::path::PathBuf;
use std::time::Instant;

/// `ipamsim run`'s flags.
#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// Scenario file (YAML); see the README's scenario reference.
    pub scenario: PathBuf,
    /// Output directory (created if missing). Files appear only when the run succeeds.
    #[arg(long, short, value_name = "DIR")]
    pub out: PathBuf,
    /// Master seed; overrides the scenario's `seed`. Same seed, same bytes.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Print nothing but errors (no summary, no progress bar).
    #[arg(long, short)]
    pub quiet: bool,
    /// Also write DIR/report.html (charts of the run; see `ipamsim report`).
    #[arg(long)]
    pub report: bool,
    /// Lift the work budget (nodes, pods, rows, duration; docs/scenario-input.md) for a
    /// deliberately large run.
    #[arg(long)]
    pub allow_large: bool,
    /// A service-level objective, `METRIC<=VALUE` or `METRIC>=VALUE`, e.g.
    /// `--slo 'p99_time_to_ip<=10s'` (repeatable). Exit 3 when one is missed.
    #[arg(long, value_name = "METRIC<=VALUE")]
    pub slo: Vec<String>,
    /// Which files to write, comma-separated: timeline, nodes, pods, subnets,
    /// events, waits, blocks (Calico runs only), all (every CSV file), metrics
    /// (metrics.om, OpenMetrics; only when named: `all,metrics`) (default: the
    /// scenario's `outputs:`, else all). summary.json is always written; `summary` alone
    /// writes only it.
    #[arg(long, value_name = "LIST")]
    pub outputs: Option<String>,
    /// The wall-clock time simulated time 0 stands for in metrics.om's timestamps
    /// (RFC 3339, e.g. 2026-01-01T00:00:00Z, the default).
    #[arg(long, value_name = "RFC3339")]
    pub metrics_start: Option<String>,
}

/// Runs one scenario into its directory.
pub fn run(a: &Args) -> Result<(), Error> {
    let objectives = super::compare::parse_slo_flags(&a.slo)?;
    let (mut sc, sha) = load_scenario(&a.scenario, a.allow_large, "; nothing was run")?;
    // the scenario's own objectives first, then the flags'
    let objectives: Vec<_> = sc.slo.iter().cloned().chain(objectives).collect();
    if let Some(s) = a.seed {
        sc.seed = s;
    }
    if let Some(list) = &a.outputs {
        sc.outputs = crate::scenario::OutputSet::parse_list(list)
            .map_err(|e| Error::invalid(format_args!("--outputs {list}: {e}")))?;
    }
    if let Some(text) = &a.metrics_start {
        sc.outputs.metrics_start_ms = crate::time::parse_rfc3339_ms(text).map_err(|e| {
            Error::invalid(format_args!(
                "--metrics-start {}: {e}",
                crate::scenario::Escaped(text)
            ))
        })?;
    }
    let (mut summary, stats, started) = simulate(sc, &sha, a)?;
    // Objectives: judged after the files were written; summary.json gets their outcomes.
    let outcomes =
        crate::decide::check_run(&objectives, &mut summary, &a.out).map_err(Error::failure)?;
    if !a.quiet {
        let wall = started.elapsed().as_secs_f64();
        let text = summary_text(&summary, &outcomes, stats.events, wall, a);
        match print(&text) {
            Err(e) if e.is_stdout_closed() && !outcomes.is_empty() => {} // the verdict still counts
            other => other?,
        }
    }
    if a.report {
        super::report::report_dir(&a.out, a.quiet)?;
    }
    let missed: Vec<String> = outcomes
        .iter()
        .filter(|o| !o.met)
        .map(|o| format!("objective missed: {}", o.describe()))
        .collect();
    if missed.is_empty() {
        Ok(())
    } else {
        Err(Error::objective_missed(missed))
    }
}

/// Runs the scenario into `--out` under a progress bar. While it simulates and commits, a
/// first signal stops it at its next look (within 10 ms of wall time) and nothing is kept;
/// exit 130. Returns the summary, the run's statistics and when it started.
fn simulate(sc: Scenario, sha: &str, a: &Args) -> Result<(Summary, RunStats, Instant), Error> {
    let total_s = sc.duration.as_secs_f64().ceil() as u64;
    let bar = progress_bar(
        a.quiet,
        total_s,
        "{bar:40} {pos}/{len} simulated s  [{elapsed}]",
    );
    let end = crate::time::SimTime(sc.duration.micros());
    let mut progress = |t: crate::time::SimTime| {
        bar.set_position(t.as_secs_f64() as u64);
        if t == end {
            super::test_hold("run-end");
        }
        !super::stop_requested()
    };
    let started = Instant::now();
    let polite = super::polite();
    let result = sim::run_to_dir(sc, &a.out, sha, &mut progress);
    bar.finish_and_clear();
    let (summary, stats) = result.map_err(|e| {
        let exit = match e {
            RunError::Dir(_) => Exit::Invalid,
            RunError::Cancelled => Exit::Interrupted,
            _ => Exit::Failure,
        };
        Error::lines(exit, vec![format!("error: {e}")])
    })?;
    drop(polite);
    if super::stop_requested() {
        // the signal came after the files were committed: they are whole
        return Err(Error::interrupted(format!(
            "interrupted: after the run's files were written to {}",
            crate::scenario::shown_path(&a.out)
        )));
    }
    Ok((summary, stats, started))
}

/// What `run` prints on stdout: the summary, each objective's verdict, the closing line.
fn summary_text(
    summary: &Summary,
    outcomes: &[Outcome],
    events: u64,
    wall: f64,
    a: &Args,
) -> String {
    let mut text = format!("{summary}");
    for o in outcomes {
        let verdict = if o.met { "met:" } else { "missed:" };
        text.push_str(&format!("objective:       {verdict} {}\n", o.describe()));
    }
    text.push_str(&format!(
        "run:             {} in {wall:.2} s wall; outputs in {}\n",
        Count(events, "event", "events"),
        crate::scenario::shown_path(&a.out)
    ));
    text
}
