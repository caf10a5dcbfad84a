//! The commands behind `main`: each declares its flags (`Args`, a `clap::Args` that
//! `cli::Command` holds), calls the library and returns `Ok(())` or an [`Error`], which
//! `main` prints once and turns into the exit status. Shared here: exit statuses, the error
//! type, writing to stdout and stderr without panicking, signals, the progress bar.

pub mod alerts;
pub mod capacity;
pub mod check;
pub mod compare;
mod error;
pub mod explain;
pub mod import;
pub mod merge;
pub mod plan;
pub mod report;
pub mod run;
pub mod signals;
pub mod validate;

pub use error::Error;
pub use signals::{install_signal_handler, polite, stop_flag, stop_requested, test_hold, Polite};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

/// How a command ended (design.md §1.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// 0: success (also when the reader of stdout went away).
    Success,
    /// 1: any other failure (I/O, interrupted).
    Failure,
    /// 2: invalid input (scenario, flags, limits, unusable output directory).
    Invalid,
    /// 3: a service-level objective was missed.
    ObjectiveMissed,
    /// 130 (128 + SIGINT's number, what shells report for Ctrl-C): ended by a signal
    /// (SIGINT, SIGTERM or SIGHUP). Nothing half-written is left: only files committed
    /// before the signal remain (a compare's finished settings).
    Interrupted,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(match e {
            Exit::Success => 0,
            Exit::Failure => 1,
            Exit::Invalid => 2,
            Exit::ObjectiveMissed => 3,
            Exit::Interrupted => 130,
        })
    }
}

/// Writes `text` to stdout. A closed pipe (`| head`) ends the command quietly with exit 0,
/// as `cat` and ripgrep do; any other write error is one line on stderr and exit 1.
pub fn print(text: &str) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) => Err(stdout_failed(&e)),
    }
}

/// The error for a failed write to stdout (see [`print`]): [`Error::stdout_closed`] for a
/// closed pipe, else a failure.
pub fn stdout_failed(e: &std::io::Error) -> Error {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        Error::stdout_closed()
    } else {
        Error::failure(format_args!("writing to standard output failed: {e}"))
    }
}

/// A closed stdout does not end the command here (the verdict still counts); other write
/// failures do.
pub fn unless_closed(r: Result<(), Error>) -> Result<(), Error> {
    match r {
        Err(e) if e.is_stdout_closed() => Ok(()),
        other => other,
    }
}

/// What `main` makes of a command's result: prints the error (its lines on stderr, once)
/// and returns its exit status; 130 whenever a signal asked the command to stop, also one
/// it saw too late to act on.
pub fn exit_status(result: Result<(), Error>) -> Exit {
    let exit = error::exit_of(result);
    if stop_requested() {
        Exit::Interrupted
    } else {
        exit
    }
}

/// Ends a command line clap could not take, or `--help`/`--version`: the help and version
/// texts go to stdout through [`print`] (a full disk is exit 1, a closed pipe exit 0),
/// usage errors to stderr with exit 2, as clap prints them.
pub fn clap_exit(e: &clap::Error) -> Exit {
    use clap::error::ErrorKind;
    // styled only for a terminal, as clap itself does
    let text = |terminal: bool| {
        let r = e.render();
        if terminal {
            r.ansi().to_string()
        } else {
            r.to_string()
        }
    };
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            error::exit_of(print(&text(std::io::stdout().is_terminal())))
        }
        _ => {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "{}", text(std::io::stderr().is_terminal()));
            Exit::Invalid
        }
    }
}

/// Writes one line to stderr, ignoring errors (a closed stderr must not panic either).
/// Every line is escaped by [`crate::scenario::Escaped`], so no control character from
/// user text (ESC, a carriage return…) reaches the terminal; the line breaks are the
/// message's own (user text in it is escaped where it is put in, newlines included).
pub fn eprint_line(text: &str) {
    let mut err = std::io::stderr().lock();
    let mut lines = text.split('\n').peekable();
    while let Some(line) = lines.next() {
        let _ = write!(err, "{}", crate::scenario::Escaped(line));
        if lines.peek().is_some() {
            let _ = writeln!(err);
        }
    }
    let _ = writeln!(err);
}

/// A progress bar on stderr, hidden with `quiet` or when stderr is not a terminal. Its
/// owner moves it whenever the engine's pulse beats (every 10 ms of wall time); it is also
/// redrawn every [`BAR_TICK`] (its elapsed time), so it never sits still for a second.
pub fn progress_bar(quiet: bool, len: u64, template: &str) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let b = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    b.set_style(
        ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    b.enable_steady_tick(BAR_TICK);
    b
}

/// Wall time between two redraws of a visible progress bar when nothing moved it: 250 ms.
pub const BAR_TICK: std::time::Duration = std::time::Duration::from_millis(250);

/// Reads a scenario file once (its text, SHA-256 and YAML tree); its problems make an
/// invalid-input error that prints them as `validate` does (with `trailer` after the count).
pub fn read_source(path: &Path, trailer: &str) -> Result<crate::scenario::Source, Error> {
    crate::scenario::Source::read(path).map_err(|e| scenario_errors(path, &e, trailer))
}

/// Validates a scenario read by [`read_source`] (with the work budget lifted when
/// `allow_large`), printing its warnings to stderr; its problems make an invalid-input error.
pub fn scenario_of(
    path: &Path,
    source: &crate::scenario::Source,
    allow_large: bool,
    trailer: &str,
) -> Result<crate::scenario::Scenario, Error> {
    let opts = crate::scenario::LoadOptions { allow_large };
    let sc = source
        .scenario(&opts)
        .map_err(|e| scenario_errors(path, &e, trailer))?;
    for w in sc.warning_lines() {
        eprint_line(&w);
    }
    Ok(sc)
}

/// Loads a scenario file: [`read_source`] then [`scenario_of`]; also returns the file's
/// SHA-256 (hex).
pub fn load_scenario(
    path: &Path,
    allow_large: bool,
    trailer: &str,
) -> Result<(crate::scenario::Scenario, String), Error> {
    let source = read_source(path, trailer)?;
    let sc = scenario_of(path, &source, allow_large, trailer)?;
    Ok((sc, source.sha256))
}

/// A scenario's problems as `validate` prints them, with the closing count (exit 2).
pub fn scenario_errors(path: &Path, e: &crate::scenario::ScenarioErrors, trailer: &str) -> Error {
    let count = format!(
        "{}: {} found{trailer}",
        crate::scenario::shown_path(path),
        crate::text::Count(e.problems.len() as u64, "problem", "problems")
    );
    Error::lines(Exit::Invalid, vec![e.to_string(), count])
}
