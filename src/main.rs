//! `ipamsim` binary: parse the command line and dispatch to a command; the exit status
//! comes back from it (0 ok, 1 failure, 2 invalid input, 3 objective missed, 130 ended by
//! a signal).

use clap::Parser;
use ipamsim::cli::{Cli, Command};
use ipamsim::commands::{self, capacity, compare, explain, import, merge, report, run, validate};
use std::process::ExitCode;

/// Blocks SIGINT, SIGTERM and SIGHUP before `main` runs (the loader calls every function in
/// `.init_array` first); `main` unblocks them once the handler is in place, so no signal
/// can end the program by its default action (src/commands/signals.rs).
#[cfg(target_os = "linux")]
#[used]
#[link_section = ".init_array"]
static BLOCK_SIGNALS_EARLY: extern "C" fn() = commands::signals::block_early;

fn main() -> ExitCode {
    // signals first, so that one arriving while the flags are parsed still ends the
    // command with its documented status
    commands::install_signal_handler();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return commands::clap_exit(&e).into(),
    };
    let exit = match &cli.command {
        Command::Validate {
            scenario,
            allow_large,
        } => validate::validate(scenario, *allow_large),
        Command::Run {
            scenario,
            out,
            seed,
            quiet,
            report,
            allow_large,
            slo,
            outputs,
        } => run::run(&run::RunArgs {
            scenario,
            out,
            seed: *seed,
            quiet: *quiet,
            report: *report,
            allow_large: *allow_large,
            slo,
            outputs: outputs.as_deref(),
        }),
        Command::Capacity {
            instance_type,
            all,
            format,
            max_eni,
            scenario,
            allow_large,
        } => match scenario {
            Some(path) => capacity::for_scenario(path, *format, *allow_large),
            None => capacity::by_type(instance_type, *all, *format, *max_eni),
        },
        Command::Report { dir } => report::report(dir, false),
        Command::Import {
            nodes,
            subnets,
            aws_node,
            pods,
            out,
        } => import::import(&import::ImportArgs {
            nodes,
            subnets: subnets.as_deref(),
            aws_node: aws_node.as_deref(),
            pods: pods.as_deref(),
            out: out.as_deref(),
        }),
        Command::Explain {
            dir,
            pod,
            top,
            format,
        } => explain::explain(&explain::ExplainArgs {
            dir,
            pod: pod.as_deref(),
            top: *top,
            format: *format,
        }),
        Command::Compare {
            scenario,
            set,
            out,
            jobs,
            seed,
            keep_runs,
            report,
            quiet,
            format,
            replications,
            slo,
            shard,
            allow_large,
        } => compare::compare(&compare::CompareArgs {
            scenario,
            sets: set,
            out,
            jobs: jobs.map(|j| j as usize),
            seed: *seed,
            keep_runs: *keep_runs,
            quiet: *quiet,
            format: *format,
            report: *report,
            replications: *replications,
            slo,
            shard: *shard,
            allow_large: *allow_large,
        }),
        Command::Plan(args) => commands::plan::plan(args),
        Command::Merge {
            out,
            parts,
            report,
            quiet,
            format,
        } => merge::merge(&merge::MergeArgs {
            out,
            parts,
            report: *report,
            quiet: *quiet,
            format: *format,
        }),
    };
    // A signal the command saw too late to act on still ends it as interrupted.
    if commands::stop_requested() {
        return commands::Exit::Interrupted.into();
    }
    exit.into()
}
