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
        } => capacity(&instance_type, all, format),
        Command::Report { dir } => report(&dir, false),
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
