//! `ipamsim merge --out DIR PART...`: joins the parts of `compare --shard K/N` runs into
//! the comparison the unsharded run would have written, byte-identical.

use super::compare::{finish, show, write_comparison, Shown};
use super::{eprint_line, Exit};
use crate::cli::CompareFormat;
use crate::compare::shard;
use crate::output::files::{OutputDir, RESULT_FILES};
use crate::text::Count;
use std::path::{Path, PathBuf};

/// What `merge` was asked.
#[derive(Clone, Debug)]
pub struct MergeArgs<'a> {
    /// The output directory.
    pub out: &'a Path,
    /// The parts: shard directories or their `shard.json` files.
    pub parts: &'a [PathBuf],
    /// `--report`.
    pub report: bool,
    /// `--quiet`.
    pub quiet: bool,
    /// `--format`.
    pub format: CompareFormat,
}

/// Merges. Exit 2 when a part is unreadable, of another comparison, given twice or
/// missing (every problem named); 1 when writing fails; 3 when objectives were given and
/// no setting meets them all.
pub fn merge(a: &MergeArgs<'_>) -> Exit {
    let mut parts = Vec::new();
    let mut problems = Vec::new();
    for p in a.parts {
        match shard::read_part(p) {
            Ok(part) => parts.push((p.clone(), part)),
            Err(e) => problems.push(e),
        }
    }
    let c = if problems.is_empty() {
        match shard::merge(&parts) {
            Ok(c) => Some(c),
            Err(e) => {
                problems = e;
                None
            }
        }
    } else {
        None
    };
    let Some(c) = c else {
        for p in &problems {
            eprint_line(&format!("error: {}", crate::scenario::Escaped(p)));
        }
        eprint_line(&format!(
            "error: {} with the parts; nothing was merged",
            Count(problems.len() as u64, "problem", "problems")
        ));
        return Exit::Invalid;
    };
    let dir = match OutputDir::open(a.out) {
        Ok(d) => d,
        Err(e) => {
            eprint_line(&format!("error: {e}"));
            return Exit::Invalid;
        }
    };
    // A merge never removes a part (its directory may be --out: its shard.json stays) nor
    // kept runs; the other result files there are stale.
    let stale: Vec<&str> = RESULT_FILES
        .into_iter()
        .filter(|f| *f != crate::compare::shard::PART_FILE)
        .collect();
    let analysis = match write_comparison(dir, a.out, &c, &stale, None) {
        Ok(an) => an,
        Err(exit) => return exit,
    };
    let shown = Shown {
        quiet: a.quiet,
        format: a.format,
        last_line: format!(
            "merged {}: {} × {}; {}/comparison.csv\n",
            Count(parts.len() as u64, "part", "parts"),
            Count(c.settings.len() as u64, "setting", "settings"),
            Count(c.replications.into(), "replication", "replications"),
            crate::scenario::shown_path(a.out)
        ),
    };
    if let Err(exit) = show(&c, &analysis, &shown) {
        return exit;
    }
    match finish(&c, &analysis, a.out, a.report, a.quiet) {
        Ok(exit) | Err(exit) => exit,
    }
}
