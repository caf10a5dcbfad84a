//! `ipamsim run SCENARIO --out DIR`: one run, its files, its summary.

use super::{eprint_line, load_scenario, print, progress_bar, Exit};
use crate::sim::{self, RunError};
use crate::text::Count;
use std::path::Path;

/// What `run` was asked.
#[derive(Clone, Debug)]
pub struct RunArgs<'a> {
    /// The scenario file.
    pub scenario: &'a Path,
    /// The output directory.
    pub out: &'a Path,
    /// `--seed`.
    pub seed: Option<u64>,
    /// `--quiet`.
    pub quiet: bool,
    /// `--report`.
    pub report: bool,
    /// `--allow-large`.
    pub allow_large: bool,
    /// `--outputs`, as given.
    pub outputs: Option<&'a str>,
    /// `--slo`, as given.
    pub slo: &'a [String],
}

/// Runs one scenario into its directory.
pub fn run(a: &RunArgs<'_>) -> Exit {
    let objectives = match super::compare::parse_slo_flags(a.slo) {
        Ok(o) => o,
        Err(exit) => return exit,
    };
    let (mut sc, sha) = match load_scenario(a.scenario, a.allow_large, "; nothing was run") {
        Ok(loaded) => loaded,
        Err(exit) => return exit,
    };
    // the scenario's own objectives first, then the flags'
    let objectives: Vec<_> = sc.slo.iter().cloned().chain(objectives).collect();
    if let Some(s) = a.seed {
        sc.seed = s;
    }
    if let Some(list) = a.outputs {
        match crate::scenario::OutputSet::parse_list(list) {
            Ok(set) => sc.outputs = set,
            Err(e) => {
                eprint_line(&format!("error: --outputs {list}: {e}"));
                return Exit::Invalid;
            }
        }
    }
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
    let started = std::time::Instant::now();
    // While the run simulates and commits, a first signal stops it at its next look (within
    // 10 ms of wall time) and nothing is kept; exit 130.
    let polite = super::polite();
    let result = sim::run_to_dir(sc, a.out, &sha, &mut progress);
    bar.finish_and_clear();
    let (mut summary, stats) = match result {
        Ok(r) => r,
        Err(e @ RunError::Dir(_)) => {
            eprint_line(&format!("error: {e}"));
            return Exit::Invalid;
        }
        Err(e @ RunError::Cancelled) => {
            eprint_line(&format!("error: {e}"));
            return Exit::Interrupted;
        }
        Err(e) => {
            eprint_line(&format!("error: {e}"));
            return Exit::Failure;
        }
    };
    drop(polite);
    if super::stop_requested() {
        // the signal came after the files were committed: they are whole
        eprint_line(&format!(
            "interrupted: after the run's files were written to {}",
            crate::scenario::shown_path(a.out)
        ));
        return Exit::Interrupted;
    }
    // Objectives: judged after the files were written; summary.json gets their outcomes.
    let outcomes = match crate::decide::check_run(&objectives, &mut summary, a.out) {
        Ok(o) => o,
        Err(e) => {
            eprint_line(&format!("error: {e}"));
            return Exit::Failure;
        }
    };
    if !a.quiet {
        let mut text = format!("{summary}");
        for o in &outcomes {
            let verdict = if o.met { "met:" } else { "missed:" };
            text.push_str(&format!("objective:       {verdict} {}\n", o.describe()));
        }
        text.push_str(&format!(
            "run:             {} in {:.2} s wall; outputs in {}\n",
            Count(stats.events, "event", "events"),
            started.elapsed().as_secs_f64(),
            crate::scenario::shown_path(a.out)
        ));
        match print(&text) {
            Ok(()) => {}
            Err(Exit::Success) if !outcomes.is_empty() => {} // the verdict still counts
            Err(exit) => return exit,
        }
    }
    if a.report {
        let exit = super::report::report(a.out, a.quiet);
        if exit != Exit::Success {
            return exit;
        }
    }
    let missed: Vec<_> = outcomes.iter().filter(|o| !o.met).collect();
    for o in &missed {
        eprint_line(&format!("objective missed: {}", o.describe()));
    }
    if missed.is_empty() {
        Exit::Success
    } else {
        Exit::ObjectiveMissed
    }
}
