//! `ipamsim run SCENARIO --out DIR`: one run, its files, its summary.

use super::{eprint_line, file_sha256, load_scenario, print, progress_bar, Exit};
use crate::sim::{self, RunError};
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
}

/// Runs one scenario into its directory.
pub fn run(a: &RunArgs<'_>) -> Exit {
    let mut sc = match load_scenario(a.scenario, a.allow_large, "; nothing was run") {
        Ok(sc) => sc,
        Err(exit) => return exit,
    };
    if let Some(s) = a.seed {
        sc.seed = s;
    }
    let sha = file_sha256(a.scenario);
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
    let result = sim::run_to_dir(sc, a.out, &sha, &mut progress);
    bar.finish_and_clear();
    let (summary, stats) = match result {
        Ok(r) => r,
        Err(e @ RunError::Dir(_)) => {
            eprint_line(&format!("error: {e}"));
            return Exit::Invalid;
        }
        Err(e) => {
            eprint_line(&format!("error: {e}"));
            return Exit::Failure;
        }
    };
    if !a.quiet {
        let text = format!(
            "{summary}run:             {} events in {:.2} s wall; outputs in {}\n",
            stats.events,
            started.elapsed().as_secs_f64(),
            a.out.display()
        );
        if let Err(exit) = print(&text) {
            return exit;
        }
    }
    if a.report {
        return super::report::report(a.out, a.quiet);
    }
    Exit::Success
}
