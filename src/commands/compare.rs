//! `ipamsim compare SCENARIO --set KEY=v1,v2 ... --out DIR`: every combination, one table;
//! with `--replications`, several seeds per setting; with `--slo`, a verdict; with
//! `--shard K/N`, only one shard's combinations, into `DIR/shard.json` for `merge`.

use super::{eprint_line, print, progress_bar, read_source, scenario_of, stop_flag, Exit};
use crate::cli::CompareFormat;
use crate::compare::analysis::{analyse, Analysis, Baseline, Comparison, SettingRuns};
use crate::compare::shard::{self, Shard};
use crate::compare::{self, rows, table, Job};
use crate::decide::slo::{parse_objective, Objective};
use crate::output::files::{OutputDir, RESULT_FILES};
use crate::scenario;
use crate::scenario::Escaped;
use crate::text::Count;
use std::path::Path;
use std::sync::atomic::Ordering;

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
    /// `--replications` (at least 1).
    pub replications: u32,
    /// `--slo`, as given.
    pub slo: &'a [String],
    /// `--shard K/N`.
    pub shard: Option<Shard>,
    /// `--allow-large`.
    pub allow_large: bool,
}

/// The result files a comparison's directory may hold from earlier commands: a compare
/// removes those it did not write (a shard's part included).
fn stale_files() -> Vec<&'static str> {
    debug_assert!(RESULT_FILES.contains(&shard::PART_FILE));
    RESULT_FILES.to_vec()
}

/// Parses `--slo` flags; the message names the flag.
pub fn parse_slo_flags(flags: &[String]) -> Result<Vec<Objective>, Exit> {
    let mut out = Vec::new();
    for f in flags {
        match parse_objective(f) {
            Ok(o) => out.push(o),
            Err(e) => {
                let message = format!("--slo {f}: {e}");
                eprint_line(&format!("error: {}", Escaped(&message)));
                return Err(Exit::Invalid);
            }
        }
    }
    Ok(out)
}

/// Runs the comparison. Exit 2 for an invalid scenario, setting, objective or output
/// directory; 130 if a signal interrupted the runs (the finished settings are kept in
/// comparison.csv; a shard writes no part); 1 if writing failed; 3 when objectives were
/// given and no setting meets them all.
pub fn compare(a: &CompareArgs<'_>) -> Exit {
    match compare_inner(a) {
        Ok(exit) | Err(exit) => exit,
    }
}

fn compare_inner(a: &CompareArgs<'_>) -> Result<Exit, Exit> {
    let file = crate::scenario::shown_path(a.scenario).to_string();
    let source = read_source(a.scenario, "; nothing was run")?;
    let base = scenario_of(a.scenario, &source, a.allow_large, "; nothing was run")?;
    let opts = scenario::LoadOptions {
        allow_large: a.allow_large,
    };
    let mut from_flags: Vec<compare::Axis> = Vec::new();
    for s in a.sets {
        match compare::parse_set(s) {
            Ok(axis) if from_flags.iter().any(|x| x.key == axis.key) => {
                let message = format!(
                    "--set {s}: {} is given twice; put all its values in one --set",
                    axis.key
                );
                eprint_line(&format!("error: {}", Escaped(&message)));
                return Err(Exit::Invalid);
            }
            Ok(axis) => from_flags.push(axis),
            Err(e) => {
                eprint_line(&format!("error: {}", Escaped(&e)));
                return Err(Exit::Invalid);
            }
        }
    }
    let axes = compare::axes(&base.sweep, &from_flags);
    if axes.is_empty() {
        eprint_line(&format!(
            "error: nothing to compare: give --set KEY=v1,v2,... or a `sweep:` block in {file}"
        ));
        return Err(Exit::Invalid);
    }
    // the scenario's own objectives first, then the flags'
    let objectives: Vec<_> = base
        .slo
        .iter()
        .cloned()
        .chain(parse_slo_flags(a.slo)?)
        .collect();
    let replications = a.replications.max(1);
    let seed = a.seed.unwrap_or(base.seed);
    if seed.checked_add(u64::from(replications) - 1).is_none() {
        eprint_line(&format!(
            "error: --replications {replications} from seed {seed} needs seeds past \
             18446744073709551615; choose a smaller --seed"
        ));
        return Err(Exit::Invalid);
    }
    // one budget for every sweep: the grid (`sweep:` and --set alike) times the
    // replications, before any combination is built
    let runs = axes.iter().fold(u64::from(replications), |n, x| {
        n.saturating_mul(x.values.len() as u64)
    });
    let scenario_allows = source
        .tree()
        .and_then(|t| t.get("allow_large"))
        .is_some_and(|v| matches!(v.kind, crate::scenario::yaml::Kind::Bool(true)));
    let budget = crate::scenario::validate::budget::MAX_SWEEP;
    if runs > budget && !a.allow_large && !scenario_allows {
        let grid = runs / u64::from(replications);
        let (g, r) = (
            crate::text::Count(grid, "combination", "combinations"),
            crate::text::Count(u64::from(replications), "replication", "replications"),
        );
        eprint_line(&format!(
            "error: the comparison would make {runs} runs ({g} × {r}), more than the {budget} \
             runs in the budget; sweep fewer values or pass --allow-large; nothing was run"
        ));
        return Err(Exit::Invalid);
    }
    let mut scenarios = Vec::new();
    let mut invalid = 0;
    for setting in compare::combinations(&axes) {
        match source.with_overrides(&setting, &opts) {
            Ok(sc) => scenarios.push((setting, sc)),
            Err(mut e) => {
                // name the combination that makes the scenario invalid
                e.file = format!("{file} [{}]", compare::label(&setting));
                eprint_line(&e.to_string());
                invalid += 1;
            }
        }
    }
    if invalid > 0 {
        eprint_line(&format!(
            "error: {} {} the scenario invalid; nothing was run",
            Count(invalid as u64, "setting", "settings"),
            crate::text::noun(invalid as u64, "makes", "make")
        ));
        return Err(Exit::Invalid);
    }
    let as_written = scenarios
        .iter()
        .position(|(_, sc)| sc.cni == base.cni && sc.ipam == base.ipam);
    let baseline = Baseline {
        index: as_written.unwrap_or(0),
        as_written: as_written.is_some(),
    };
    let dir = OutputDir::open(a.out).map_err(|e| {
        eprint_line(&format!("error: {e}"));
        Exit::Invalid
    })?;
    let mine: Vec<usize> = (0..scenarios.len())
        .filter(|&i| a.shard.is_none_or(|s| s.takes(i)))
        .collect();
    let jobs: Vec<Job<'_>> = mine
        .iter()
        .flat_map(|&i| {
            let (setting, sc) = &scenarios[i];
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
        .collect();
    let threads = a
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let sha = source.sha256.clone();
    let bar = progress_bar(
        a.quiet,
        jobs.len() as u64 * compare::RUN_UNITS,
        "{bar:40} {msg}  [{elapsed}]",
    );
    bar.set_message(format!("0/{} runs", jobs.len()));
    let started = std::time::Instant::now();
    // From here to the files written, a first signal stops the runs (each at its next look,
    // within 10 ms of wall time) and the finished settings are kept; exit 130.
    let polite = super::polite();
    super::test_hold("compare-start");
    let shown = std::sync::atomic::AtomicU64::new(0);
    let results = compare::run_all(&jobs, &sha, threads, stop_flag(), &|p| {
        // several threads report: the bar never goes back
        let at = shown.fetch_max(p.units, Ordering::Relaxed).max(p.units);
        bar.set_position(at);
        if p.just_finished {
            bar.set_message(format!("{}/{} runs", p.finished, jobs.len()));
            if p.finished == 1 {
                super::test_hold("compare-after-1");
            }
        }
    });
    bar.finish_and_clear();
    let results = results.map_err(|e| {
        eprint_line(&format!(
            "error: writing run outputs under {} failed: {e}",
            crate::scenario::shown_path(a.out)
        ));
        Exit::Failure
    })?;
    // a setting counts when every replication finished
    let per = replications as usize;
    let settings: Vec<SettingRuns> = mine
        .iter()
        .zip(results.chunks(per))
        .filter_map(|(&i, runs)| {
            Some(SettingRuns {
                index: i,
                setting: scenarios[i].0.clone(),
                runs: runs.iter().cloned().collect::<Option<Vec<_>>>()?,
            })
        })
        .collect();
    let kept: Vec<String> = if a.keep_runs {
        settings
            .iter()
            .flat_map(|s| {
                (0..replications).map(move |r| {
                    compare::run_dir_name(&s.setting, seed + u64::from(r), replications)
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    let interrupted = settings.len() < mine.len();
    let c = Comparison {
        scenario: base.name.clone(),
        sha256: sha,
        seed,
        replications,
        axes,
        baseline,
        objectives,
        settings,
    };
    let runs = jobs.len();
    let wall = started.elapsed().as_secs_f64();
    if let Some(sh) = a.shard {
        return write_shard(a, dir, &c, sh, &kept, interrupted, threads, wall, runs);
    }
    let what = if replications > 1 {
        format!(
            "{} ({} × {})",
            Count((c.settings.len() * per) as u64, "run", "runs"),
            Count(c.settings.len() as u64, "setting", "settings"),
            Count(replications.into(), "replication", "replications")
        )
    } else {
        Count(c.settings.len() as u64, "run", "runs").to_string()
    };
    let last_line = format!(
        "{what} on {} in {wall:.2} s wall; {}/comparison.csv\n",
        Count(threads as u64, "thread", "threads"),
        crate::scenario::shown_path(a.out)
    );
    let analysis = write_comparison(dir, a.out, &c, &stale_files(), Some(&kept))?;
    drop(polite);
    if interrupted {
        let done = if replications > 1 {
            format!(
                "{} of {} finished all {replications} replications",
                c.settings.len(),
                Count(mine.len() as u64, "setting", "settings")
            )
        } else {
            format!(
                "{} of {} finished",
                c.settings.len(),
                Count(mine.len() as u64, "run", "runs")
            )
        };
        eprint_line(&format!("interrupted: {done}; comparison.csv holds those"));
    }
    let shown = Shown {
        quiet: a.quiet,
        format: a.format,
        last_line,
    };
    show(&c, &analysis, &shown)?;
    if interrupted || super::stop_requested() {
        return Err(Exit::Interrupted);
    }
    finish(&c, &analysis, a.out, a.report, a.quiet)
}

/// Writes `comparison.csv` and `comparison.json` into `dir` and commits it (removing the
/// `stale` result files not written; with `kept_runs`, also the run directories of earlier
/// comparisons not in it). Returns the analysis.
pub fn write_comparison(
    mut dir: OutputDir,
    out: &Path,
    c: &Comparison,
    stale: &[&str],
    kept_runs: Option<&[String]>,
) -> Result<Analysis, Exit> {
    let analysis = analyse(c);
    let json_text = rows::json_text(c, &analysis);
    let written = (|| {
        let mut csv = dir.create("comparison.csv")?;
        rows::write_csv(&mut csv, c, &analysis)?;
        drop(csv);
        dir.write("comparison.json", json_text.as_bytes())?;
        dir.commit(stale)?;
        match kept_runs {
            Some(kept) => compare::remove_stale_runs(out, kept),
            None => Ok(()),
        }
    })();
    written.map_err(|e| {
        eprint_line(&format!(
            "error: writing {}/comparison.csv failed: {e}",
            crate::scenario::shown_path(out)
        ));
        Exit::Failure
    })?;
    Ok(analysis)
}

/// How to print a comparison.
pub struct Shown {
    /// `--quiet`.
    pub quiet: bool,
    /// `--format`.
    pub format: CompareFormat,
    /// The line after the table (runs, wall time, path).
    pub last_line: String,
}

/// Prints the comparison: its JSON, or the table, the reading, the verdict and `last_line`.
pub fn show(c: &Comparison, a: &Analysis, how: &Shown) -> Result<(), Exit> {
    if how.format == CompareFormat::Json {
        return printed(print(&rows::json_text(c, a)));
    }
    if how.quiet || c.settings.is_empty() {
        return Ok(());
    }
    let mut text = table::render(c, a);
    if let Some(line) = table::reading(c, a) {
        text.push_str(&line);
        text.push('\n');
    }
    text.push_str(&table::verdict(c, a));
    text.push_str(&how.last_line);
    printed(print(&text))
}

/// A closed stdout (exit 0 from [`print`]) does not end the command here: the verdict (exit
/// 3) still counts. Other write failures do.
fn printed(r: Result<(), Exit>) -> Result<(), Exit> {
    match r {
        Err(Exit::Success) => Ok(()),
        other => other,
    }
}

/// After the files are written and printed: the report (`--report`), then exit 3 when
/// objectives were given and no setting meets them all (saying so on stderr).
pub fn finish(
    c: &Comparison,
    a: &Analysis,
    out: &Path,
    report: bool,
    quiet: bool,
) -> Result<Exit, Exit> {
    if report {
        let exit = super::report::report(out, quiet);
        if exit != Exit::Success {
            return Err(exit);
        }
    }
    if !c.objectives.is_empty() && a.recommended.is_none() {
        let list: Vec<&str> = c.objectives.iter().map(|o| o.text.as_str()).collect();
        eprint_line(&format!(
            "objective missed: no setting meets every objective ({})",
            list.join(", ")
        ));
        return Ok(Exit::ObjectiveMissed);
    }
    Ok(Exit::Success)
}

#[allow(clippy::too_many_arguments)]
fn write_shard(
    a: &CompareArgs<'_>,
    mut dir: OutputDir,
    c: &Comparison,
    sh: Shard,
    kept: &[String],
    interrupted: bool,
    threads: usize,
    wall: f64,
    runs: usize,
) -> Result<Exit, Exit> {
    if interrupted {
        eprint_line(&format!(
            "interrupted: shard {sh} did not finish; no part was written (run it again)"
        ));
        // `runs/` goes if the cancelled runs left it empty
        let _ = std::fs::remove_dir(a.out.join("runs"));
        return Err(Exit::Interrupted);
    }
    let text = shard::part_text(c, sh);
    let written = (|| {
        dir.write(shard::PART_FILE, text.as_bytes())?;
        dir.commit(&stale_files())?;
        compare::remove_stale_runs(a.out, kept)
    })();
    written.map_err(|e| {
        eprint_line(&format!(
            "error: writing {}/{} failed: {e}",
            crate::scenario::shown_path(a.out),
            shard::PART_FILE
        ));
        Exit::Failure
    })?;
    if a.format == CompareFormat::Json {
        print(&text)?;
    } else if !a.quiet {
        let total = compare::combinations(&c.axes).len();
        print(&format!(
            "shard {sh}: {} of {} × {}, {} on {} in {wall:.2} s wall; {}/{}\n",
            c.settings.len(),
            Count(total as u64, "setting", "settings"),
            Count(c.replications.into(), "replication", "replications"),
            Count(runs as u64, "run", "runs"),
            Count(threads as u64, "thread", "threads"),
            crate::scenario::shown_path(a.out),
            shard::PART_FILE
        ))?;
    }
    Ok(Exit::Success)
}
