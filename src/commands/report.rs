//! `ipamsim report DIR`: DIR/report.html from the files a run or a comparison wrote.

use super::{print, unless_closed, Error, Exit};
use std::path::{Path, PathBuf};

/// `ipamsim report`'s flags.
#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// An output directory of `run --out` (or of a compare).
    pub dir: PathBuf,
}

/// Writes the report; exit 2 when DIR holds nothing to report or a malformed file.
pub fn report(a: &Args) -> Result<(), Error> {
    report_dir(&a.dir, false)
}

/// Writes DIR/report.html and, unless `quiet`, says where. A closed stdout does not end the
/// command that asked for the report (`run --report`, `compare --report`).
pub fn report_dir(dir: &Path, quiet: bool) -> Result<(), Error> {
    let path = crate::report::write_report(dir).map_err(|e| {
        let exit = if e.is_user_error() {
            Exit::Invalid
        } else {
            Exit::Failure
        };
        Error::lines(exit, vec![format!("error: {e}")])
    })?;
    if quiet {
        return Ok(());
    }
    let line = format!("report:          {}\n", crate::scenario::shown_path(&path));
    unless_closed(print(&line))
}
