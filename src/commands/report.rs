//! `ipamsim report DIR`: DIR/report.html from the files a run or a comparison wrote.

use super::{eprint_line, print, Exit};
use std::path::Path;

/// Writes the report; exit 2 when DIR holds nothing to report or a malformed file.
pub fn report(dir: &Path, quiet: bool) -> Exit {
    match crate::report::write_report(dir) {
        Ok(path) => {
            if quiet {
                return Exit::Success;
            }
            let line = format!("report:          {}\n", crate::scenario::shown_path(&path));
            print(&line).err().unwrap_or(Exit::Success)
        }
        Err(e) => {
            eprint_line(&format!("error: {e}"));
            if e.is_user_error() {
                Exit::Invalid
            } else {
                Exit::Failure
            }
        }
    }
}
