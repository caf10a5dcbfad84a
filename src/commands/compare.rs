//! `ipamsim compare SCENARIO --set KEY=v1,v2 ... --out DIR`: every combination, one table.

use super::{eprint_line, file_sha256, print, progress_bar, stop_flag, Exit};
use crate::cli::CompareFormat;
use crate::compare::{self, rows, table, RunResult};
use crate::output::files::{OutputDir, RESULT_FILES};
use crate::scenario;
use std::path::Path;

/// What `compare` was asked.
#[derive(Clone, Debug)]
pub struct CompareArgs<'a> {
    /// The scenario file.
    pub scenario: &'a Path,
    /// `--set KEY=v1,v2,...`, in order.
    pub sets: &'a [String],
    /// The output directory.
    pub out: &'a Path,
    /// `--jobs` (at least 1; default: every core).
    pub jobs: Option<usize>,
    /// `--seed`.
    pub seed: Option<u64>,
    /// `--keep-runs`.
    pub keep_runs: bool,
    /// `--quiet`.
    pub quiet: bool,
    /// `--format`.
    pub format: CompareFormat,
    /// `--report`.
    pub report: bool,
}

/// Runs the comparison. Exit 2 for an invalid scenario, setting or output directory; 1 if
/// runs were interrupted (the finished ones are kept in comparison.csv) or writing failed.
pub fn compare(a: &CompareArgs<'_>) -> Exit {
    let file = a.scenario.display().to_string();
    let text = match std::fs::read_to_string(a.scenario) {
        Ok(t) => t,
        Err(e) => {
            eprint_line(&format!("{file}: cannot read file: {e}"));
            return Exit::Invalid;
        }
    };
    let base = match scenario::parse(&text, &file) {
        Ok(sc) => sc,
        Err(e) => {
            eprint_line(&e.to_string());
            return Exit::Invalid;
        }
    };
    let mut from_flags: Vec<compare::Axis> = Vec::new();
    for s in a.sets {
        match compare::parse_set(s) {
            Ok(axis) if from_flags.iter().any(|x| x.key == axis.key) => {
                eprint_line(&format!(
                    "error: --set {s}: {} is given twice; put all its values in one --set",
                    axis.key
                ));
                return Exit::Invalid;
            }
            Ok(axis) => from_flags.push(axis),
            Err(e) => {
                eprint_line(&format!("error: {e}"));
                return Exit::Invalid;
            }
        }
    }
    let axes = compare::axes(&base.sweep, &from_flags);
    if axes.is_empty() {
        eprint_line(&format!(
            "error: nothing to compare: give --set KEY=v1,v2,... or a `sweep:` block in {file}"
        ));
        return Exit::Invalid;
    }
    let mut scenarios = Vec::new();
    let mut invalid = 0;
    for setting in compare::combinations(&axes) {
        match compare::scenario_for(&text, &file, &setting) {
            Ok(mut sc) => {
                if let Some(s) = a.seed {
                    sc.seed = s;
                }
                scenarios.push((setting, sc));
            }
            Err(e) => {
                eprint_line(&e.to_string());
                invalid += 1;
            }
        }
    }
    if invalid > 0 {
        eprint_line(&format!(
            "error: {invalid} setting(s) make the scenario invalid; nothing was run"
        ));
        return Exit::Invalid;
    }
    let mut dir = match OutputDir::open(a.out) {
        Ok(d) => d,
        Err(e) => {
            eprint_line(&format!("error: {e}"));
            return Exit::Invalid;
        }
    };
    let jobs = a
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let total = scenarios.len();
    let sha = file_sha256(a.scenario);
    let bar = progress_bar(
        a.quiet,
        total as u64,
        "{bar:40} {pos}/{len} runs  [{elapsed}]",
    );
    let started = std::time::Instant::now();
    let runs_dir = a.keep_runs.then_some(a.out);
    super::test_hold("compare-start");
    let results = compare::run_all(&scenarios, &sha, jobs, runs_dir, stop_flag(), &|n| {
        bar.set_position(n as u64);
        if n == 1 {
            super::test_hold("compare-after-1");
        }
    });
    bar.finish_and_clear();
    let results = match results {
        Ok(r) => r,
        Err(e) => {
            eprint_line(&format!(
                "error: writing run outputs under {} failed: {e}",
                a.out.display()
            ));
            return Exit::Failure;
        }
    };
    let finished: Vec<&RunResult> = results.iter().flatten().collect();
    let keys: Vec<String> = axes.iter().map(|x| x.key.clone()).collect();
    let seed = scenarios.first().map_or(base.seed, |(_, sc)| sc.seed);
    let json = rows::json(&keys, &finished, &base.name, &sha, seed);
    let json_text = serde_json::to_string_pretty(&json).unwrap_or_default() + "\n";
    let written = (|| {
        let mut csv = dir.create("comparison.csv")?;
        rows::write_csv(&mut csv, &keys, &finished)?;
        drop(csv);
        dir.write("comparison.json", json_text.as_bytes())?;
        dir.commit(&RESULT_FILES)?;
        let kept: Vec<String> = if a.keep_runs {
            finished
                .iter()
                .map(|r| compare::dir_name(&r.setting))
                .collect()
        } else {
            Vec::new()
        };
        compare::remove_stale_runs(a.out, &kept)
    })();
    if let Err(e) = written {
        eprint_line(&format!(
            "error: writing {}/comparison.csv failed: {e}",
            a.out.display()
        ));
        return Exit::Failure;
    }
    let interrupted = finished.len() < total;
    if interrupted {
        eprint_line(&format!(
            "interrupted: {} of {total} runs finished; comparison.csv holds those",
            finished.len()
        ));
    }
    if a.format == CompareFormat::Json {
        if let Err(exit) = print(&json_text) {
            return exit;
        }
    } else if !a.quiet && !finished.is_empty() {
        let mut text = table::render(&finished);
        let as_written = finished.iter().position(|r| {
            scenarios
                .iter()
                .any(|(s, sc)| s == &r.setting && sc.cni == base.cni)
        });
        let (baseline, name) = match as_written {
            Some(i) => (
                i,
                format!(
                    "the scenario as written ({})",
                    compare::label(&finished[i].setting)
                ),
            ),
            None => (0, compare::label(&finished[0].setting)),
        };
        if let Some(line) = table::reading(&finished, baseline, &name) {
            text.push_str(&line);
            text.push('\n');
        }
        text.push_str(&format!(
            "{} runs on {jobs} threads in {:.2} s wall; {}/comparison.csv\n",
            finished.len(),
            started.elapsed().as_secs_f64(),
            a.out.display()
        ));
        if let Err(exit) = print(&text) {
            return exit;
        }
    }
    if interrupted {
        return Exit::Failure;
    }
    if a.report {
        return super::report::report(a.out, a.quiet);
    }
    Exit::Success
}
