//! `ipamsim` binary: parse the command line, call the library, report errors, exit.
//! Exit codes: 0 success, 2 invalid input (scenario, flags, unwritable output), 1 other failure.

use clap::Parser;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use ipamsim::cli::{CapacityFormat, Cli, Command};
use ipamsim::scenario;
use ipamsim::sim;
use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Validate { scenario } => validate(&scenario),
        Command::Run {
            scenario,
            out,
            seed,
            quiet,
            report: with_report,
        } => {
            let code = run(&scenario, &out, seed, quiet);
            if with_report && code == ExitCode::SUCCESS {
                report(&out, quiet)
            } else {
                code
            }
        }
        Command::Capacity {
            instance_type,
            all,
            format,
            scenario,
        } => match scenario {
            Some(path) => capacity_scenario(&path, format),
            None => capacity(&instance_type, all, format),
        },
        Command::Report { dir } => report(&dir, false),
        Command::Compare {
            scenario,
            set,
            out,
            jobs,
            seed,
            keep_runs,
            report: with_report,
            quiet,
        } => {
            let code = compare(&scenario, &set, &out, jobs, seed, keep_runs, quiet);
            if with_report && code == ExitCode::SUCCESS {
                report(&out, quiet)
            } else {
                code
            }
        }
    }
}

fn validate(path: &Path) -> ExitCode {
    match scenario::load(path) {
        Ok(sc) => {
            let nodes: u32 = sc.nodegroups.iter().map(|g| g.count).sum();
            println!(
                "{}: valid ({} nodegroups, {} nodes at start, {} workloads, {} simulated)",
                path.display(),
                sc.nodegroups.len(),
                nodes,
                sc.workloads.len(),
                sc.duration
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            eprintln!("{}: {} problem(s) found", path.display(), e.problems.len());
            ExitCode::from(2)
        }
    }
}

fn run(path: &Path, out: &Path, seed: Option<u64>, quiet: bool) -> ExitCode {
    let mut sc = match scenario::load(path) {
        Ok(sc) => sc,
        Err(e) => {
            eprintln!("{e}");
            eprintln!(
                "{}: {} problem(s) found; nothing was run",
                path.display(),
                e.problems.len()
            );
            return ExitCode::from(2);
        }
    };
    if let Some(s) = seed {
        sc.seed = s;
    }
    if let Err(e) = check_output_dir(out) {
        eprintln!(
            "error: cannot write to output directory {}: {e}",
            out.display()
        );
        return ExitCode::from(2);
    }
    let total_s = sc.duration.as_secs_f64().ceil() as u64;
    let bar = if quiet || !std::io::stderr().is_terminal() {
        ProgressBar::hidden()
    } else {
        let b = ProgressBar::with_draw_target(Some(total_s), ProgressDrawTarget::stderr());
        b.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} simulated s  [{elapsed}]")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        b
    };
    let mut progress = |t: ipamsim::time::SimTime| {
        bar.set_position(t.as_secs_f64() as u64);
        true
    };
    let started = std::time::Instant::now();
    let result = sim::run_to_dir(sc, out, &mut progress);
    bar.finish_and_clear();
    match result {
        Ok((summary, stats)) => {
            if !quiet {
                print!("{summary}");
                let wall = started.elapsed().as_secs_f64();
                println!(
                    "run:             {} events in {:.2} s wall; outputs in {}",
                    stats.events,
                    wall,
                    out.display()
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: writing outputs to {} failed: {e}", out.display());
            ExitCode::from(1)
        }
    }
}

/// Creates the directory and proves a file can be written there, before any simulation.
fn check_output_dir(out: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(out)?;
    let probe = out.join(".ipamsim-write-test");
    std::fs::write(&probe, b"")?;
    std::fs::remove_file(probe)
}

/// `capacity`: exit 2 for unknown types or a missing selection, 1 if stdout fails.
fn capacity(names: &[String], all: bool, format: CapacityFormat) -> ExitCode {
    use ipamsim::capacity;
    let types = match capacity::select(names, all) {
        Ok(t) => t,
        Err(e) => {
            for line in e.lines() {
                eprintln!("error: {line}");
            }
            return ExitCode::from(2);
        }
    };
    let rows = capacity::capacity_rows(&types);
    let out = std::io::BufWriter::new(std::io::stdout().lock());
    let written = match format {
        CapacityFormat::Table => capacity::write_table(&rows, out),
        CapacityFormat::Csv => capacity::write_csv(&rows, out),
    };
    match written {
        Ok(()) => ExitCode::SUCCESS,
        // `ipamsim capacity --all | head`: the reader left; not a failure.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: writing the table failed: {e}");
            ExitCode::from(1)
        }
    }
}

/// `report`: exit 2 when DIR is missing, holds nothing to report or a malformed CSV; 1 on
/// I/O failure.
fn report(dir: &Path, quiet: bool) -> ExitCode {
    match ipamsim::report::write_report(dir) {
        Ok(path) => {
            if !quiet {
                println!("report:          {}", path.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(if e.is_user_error() { 2 } else { 1 })
        }
    }
}

/// `compare`: exit 2 for an invalid scenario, setting or output directory; 1 if runs were
/// interrupted (the finished ones are kept) or writing failed.
fn compare(
    path: &Path,
    sets: &[String],
    out: &Path,
    jobs: Option<usize>,
    seed: Option<u64>,
    keep_runs: bool,
    quiet: bool,
) -> ExitCode {
    use ipamsim::compare;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let file = path.display().to_string();
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{file}: cannot read file: {e}");
            return ExitCode::from(2);
        }
    };
    let base = match scenario::parse(&text, &file) {
        Ok(sc) => sc,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let mut axes_from_flags = Vec::new();
    for s in sets {
        match compare::parse_set(s) {
            Ok(a) => axes_from_flags.push(a),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let axes = compare::axes(&base.sweep, &axes_from_flags);
    if axes.is_empty() {
        eprintln!(
            "error: nothing to compare: give --set KEY=v1,v2,... or a `sweep:` block in {file}"
        );
        return ExitCode::from(2);
    }
    let mut scenarios = Vec::new();
    let mut invalid = 0;
    for setting in compare::combinations(&axes) {
        match compare::scenario_for(&text, &file, &setting) {
            Ok(mut sc) => {
                if let Some(s) = seed {
                    sc.seed = s;
                }
                scenarios.push((setting, sc));
            }
            Err(e) => {
                eprintln!("{e}");
                invalid += 1;
            }
        }
    }
    if invalid > 0 {
        eprintln!("error: {invalid} setting(s) make the scenario invalid; nothing was run");
        return ExitCode::from(2);
    }
    if let Err(e) = check_output_dir(out) {
        eprintln!(
            "error: cannot write to output directory {}: {e}",
            out.display()
        );
        return ExitCode::from(2);
    }
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&cancel);
    // A second handler cannot be installed; compare runs once per process.
    let _ = ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst));
    let jobs = jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let total = scenarios.len();
    let bar = if quiet || !std::io::stderr().is_terminal() {
        ProgressBar::hidden()
    } else {
        let b = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
        b.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} runs  [{elapsed}]")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        b
    };
    let started = std::time::Instant::now();
    let runs_dir = keep_runs.then_some(out);
    let results = compare::run_all(&scenarios, jobs, runs_dir, &cancel, &|n| {
        bar.set_position(n as u64)
    });
    bar.finish_and_clear();
    let results = match results {
        Ok(r) => r,
        Err(e) => {
            eprintln!(
                "error: writing run outputs under {} failed: {e}",
                out.display()
            );
            return ExitCode::from(1);
        }
    };
    let finished: Vec<&compare::RunResult> = results.iter().flatten().collect();
    let keys: Vec<String> = axes.iter().map(|a| a.key.clone()).collect();
    if let Err(e) = write_comparison(out, &keys, &finished) {
        eprintln!(
            "error: writing {}/comparison.csv failed: {e}",
            out.display()
        );
        return ExitCode::from(1);
    }
    if !quiet {
        print!("{}", compare::table::render(&finished));
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
        if let Some(line) = compare::table::reading(&finished, baseline, &name) {
            println!("{line}");
        }
        println!(
            "{} runs on {jobs} threads in {:.2} s wall; {}/comparison.csv",
            finished.len(),
            started.elapsed().as_secs_f64(),
            out.display()
        );
    }
    if finished.len() < total {
        eprintln!(
            "interrupted: {} of {total} runs finished; comparison.csv holds those",
            finished.len()
        );
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}

/// Writes DIR/comparison.csv through a temporary file.
fn write_comparison(
    out: &Path,
    keys: &[String],
    rows: &[&ipamsim::compare::RunResult],
) -> std::io::Result<()> {
    let tmp = out.join(".comparison.csv.partial");
    let file = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
    ipamsim::compare::rows::write_csv(file, keys, rows)?;
    std::fs::rename(tmp, out.join("comparison.csv"))
}

/// `capacity --scenario`: exit 2 for an invalid scenario (printed as `validate` does), 1 if
/// stdout fails.
fn capacity_scenario(path: &Path, format: CapacityFormat) -> ExitCode {
    use ipamsim::capacity_scenario as cs;
    let sc = match scenario::load(path) {
        Ok(sc) => sc,
        Err(e) => {
            eprintln!("{e}");
            eprintln!("{}: {} problem(s) found", path.display(), e.problems.len());
            return ExitCode::from(2);
        }
    };
    let groups = cs::scenario_capacity(&sc);
    let out = std::io::BufWriter::new(std::io::stdout().lock());
    let written = match format {
        CapacityFormat::Table => cs::write_table(&groups, out),
        CapacityFormat::Csv => cs::write_csv(&groups, out),
    };
    match written {
        Ok(()) => ExitCode::SUCCESS,
        // `| head`: the reader left; not a failure.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: writing the capacity report failed: {e}");
            ExitCode::from(1)
        }
    }
}
