//! `ipamsim` binary: parse the command line and dispatch to a command; the exit status
//! comes back from it (0 ok, 1 failure, 2 invalid input, 3 objective missed, 130 ended by
//! a signal).

use clap::Parser;
use ipamsim::cli::{Cli, Command::*};
use ipamsim::commands;
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
    let result = match &cli.command {
        Run(a) => commands::run::run(a),
        Validate(a) => commands::validate::validate(a),
        Compare(a) => commands::compare::compare(a),
        Plan(a) => commands::plan::plan(a),
        Merge(a) => commands::merge::merge(a),
        Capacity(a) => commands::capacity::capacity(a),
        Import(a) => commands::import::import(a),
        Report(a) => commands::report::report(a),
        Explain(a) => commands::explain::explain(a),
        Alerts(a) => commands::alerts::alerts(a),
        Check(a) => commands::check::check(a),
    };
    // the error, if any, is said once, here (130 if a signal came, however late)
    commands::exit_status(result).into()
}
