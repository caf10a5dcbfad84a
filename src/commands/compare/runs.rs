//! `compare`'s second step: run the plan's settings (this shard's, with every replication)
//! on `--jobs` threads under a progress bar, and keep the settings that finished.

use super::super::{polite, progress_bar, stop_flag, test_hold, Error, Polite};
use super::settings::Plan;
use super::Args;
use crate::compare::analysis::{Comparison, SettingRuns};
use crate::compare::columns::Figures;
use crate::compare::{self, Job};
use crate::text::Count;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// What the runs gave.
pub(super) struct Ran {
    /// The finished settings (every replication done), with the plan's axes, objectives
    /// and baseline.
    pub comparison: Comparison,
    /// The run directories kept (`--keep-runs`) under `runs/`.
    pub kept: Vec<String>,
    /// Settings this command ran (this shard's).
    pub mine: usize,
    /// Some setting did not finish: a signal stopped the runs.
    pub interrupted: bool,
    /// Threads the runs used.
    pub threads: usize,
    /// Runs started (settings × replications).
    pub runs: usize,
    /// Wall time of the runs, in seconds.
    pub wall: f64,
    /// A signal only asks the command to stop until the files are written: drop it then.
    pub polite: Polite,
}

/// Runs the plan. Exit 1 when a run's files cannot be written (`--keep-runs`).
pub(super) fn run(a: &Args, plan: Plan) -> Result<Ran, Error> {
    let mine: Vec<usize> = (0..plan.scenarios.len())
        .filter(|&i| a.shard.is_none_or(|s| s.takes(i)))
        .collect();
    let jobs = jobs(a, &plan, &mine);
    let threads = a.jobs.map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get()),
        |j| j as usize,
    );
    let (results, started, polite) = run_jobs(a, &jobs, &plan.source.sha256, threads);
    let results = results.map_err(|e| {
        Error::failure(format_args!(
            "writing run outputs under {} failed: {e}",
            crate::scenario::shown_path(&a.out)
        ))
    })?;
    let runs = jobs.len();
    let settings = finished(&plan, &mine, &results);
    let kept = kept_runs(a, &plan, &settings);
    let interrupted = settings.len() < mine.len();
    let comparison = Comparison {
        scenario: plan.name,
        sha256: plan.source.sha256,
        seed: plan.seed,
        replications: plan.replications,
        axes: plan.axes,
        baseline: plan.baseline,
        objectives: plan.objectives,
        settings,
    };
    Ok(Ran {
        comparison,
        kept,
        mine: mine.len(),
        interrupted,
        threads,
        runs,
        wall: started.elapsed().as_secs_f64(),
        polite,
    })
}

/// One job per replication of each setting in `mine`, in grid then seed order.
fn jobs<'p>(a: &Args, plan: &'p Plan, mine: &[usize]) -> Vec<Job<'p>> {
    let (seed, replications) = (plan.seed, plan.replications);
    mine.iter()
        .flat_map(|&i| {
            let (setting, sc) = &plan.scenarios[i];
            (0..replications).map(move |r| {
                let seed = seed + u64::from(r);
                Job {
                    scenario: sc,
                    seed,
                    run_dir: a.keep_runs.then(|| {
                        a.out
                            .join("runs")
                            .join(compare::run_dir_name(setting, seed, replications))
                    }),
                }
            })
        })
        .collect()
}

/// What [`compare::run_all`] returned.
type Results = Result<Vec<Option<Figures>>, crate::sim::RunError>;

/// Runs the jobs under a progress bar. From the start of the runs to the files written, a
/// first signal stops the runs (each at its next look, within 10 ms of wall time) and the
/// finished settings are kept; exit 130. Returns the results, when the runs started and
/// the scope in which a signal only asks to stop.
fn run_jobs(a: &Args, jobs: &[Job<'_>], sha: &str, threads: usize) -> (Results, Instant, Polite) {
    let bar = progress_bar(
        a.quiet,
        jobs.len() as u64 * compare::RUN_UNITS,
        "{bar:40} {msg}  [{elapsed}]",
    );
    bar.set_message(format!("0/{} runs", jobs.len()));
    let started = Instant::now();
    let polite = polite();
    test_hold("compare-start");
    let shown = AtomicU64::new(0);
    let results = compare::run_all(jobs, sha, threads, stop_flag(), &|p| {
        // several threads report: the bar never goes back
        let at = shown.fetch_max(p.units, Ordering::Relaxed).max(p.units);
        bar.set_position(at);
        if p.just_finished {
            bar.set_message(format!("{}/{} runs", p.finished, jobs.len()));
            if p.finished == 1 {
                test_hold("compare-after-1");
            }
        }
    });
    bar.finish_and_clear();
    (results, started, polite)
}

/// The settings whose every replication finished, in grid order.
fn finished(plan: &Plan, mine: &[usize], results: &[Option<Figures>]) -> Vec<SettingRuns> {
    mine.iter()
        .zip(results.chunks(plan.replications as usize))
        .filter_map(|(&i, runs)| {
            Some(SettingRuns {
                index: i,
                setting: plan.scenarios[i].0.clone(),
                runs: runs.iter().cloned().collect::<Option<Vec<_>>>()?,
            })
        })
        .collect()
}

/// The names of the run directories kept for the finished settings (`--keep-runs`).
fn kept_runs(a: &Args, plan: &Plan, settings: &[SettingRuns]) -> Vec<String> {
    if !a.keep_runs {
        return Vec::new();
    }
    let (seed, replications) = (plan.seed, plan.replications);
    settings
        .iter()
        .flat_map(|s| {
            (0..replications)
                .map(move |r| compare::run_dir_name(&s.setting, seed + u64::from(r), replications))
        })
        .collect()
}

/// How many of this command's settings finished, for the interruption notice.
pub(super) fn finished_text(ran: &Ran) -> String {
    let (c, per) = (&ran.comparison, ran.comparison.replications);
    if per > 1 {
        format!(
            "{} of {} finished all {per} replications",
            c.settings.len(),
            Count(ran.mine as u64, "setting", "settings")
        )
    } else {
        format!(
            "{} of {} finished",
            c.settings.len(),
            Count(ran.mine as u64, "run", "runs")
        )
    }
}
