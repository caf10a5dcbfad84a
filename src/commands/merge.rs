//! `ipamsim merge --out DIR PART...`: joins the parts of `compare --shard K/N` runs into
//! the comparison the unsharded run would have written, byte-identical.

use super::compare::{finish, show, write_comparison, CompareFormat, Shown};
use super::{Error, Exit};
use crate::compare::analysis::Comparison;
use crate::compare::shard;
use crate::output::files::{OutputDir, RESULT_FILES};
use crate::text::Count;
use std::path::PathBuf;

/// `ipamsim merge`'s flags.
#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// Output directory (created if missing).
    #[arg(long, short, value_name = "DIR")]
    pub out: PathBuf,
    /// The shards' output directories (or their shard.json files), every shard once.
    #[arg(value_name = "PART", required = true)]
    pub parts: Vec<PathBuf>,
    /// Also write DIR/report.html with the trade-off chart.
    #[arg(long)]
    pub report: bool,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
    /// What to print on stdout: the table, or the comparison as JSON.
    #[arg(long, value_enum, default_value_t = CompareFormat::Table)]
    pub format: CompareFormat,
}

/// Merges. Exit 2 when a part is unreadable, of another comparison, given twice or
/// missing (every problem named); 1 when writing fails; 3 when objectives were given and
/// no setting meets them all.
pub fn merge(a: &Args) -> Result<(), Error> {
    let c = read_parts(&a.parts)?;
    let dir = OutputDir::open(&a.out).map_err(Error::invalid)?;
    // A merge never removes a part (its directory may be --out: its shard.json stays) nor
    // kept runs; the other result files there are stale.
    let stale: Vec<&str> = RESULT_FILES
        .into_iter()
        .filter(|f| *f != shard::PART_FILE)
        .collect();
    let analysis = write_comparison(dir, &a.out, &c, &stale, None)?;
    let shown = Shown {
        quiet: a.quiet,
        format: a.format,
        last_line: format!(
            "merged {}: {} × {}; {}/comparison.csv\n",
            Count(a.parts.len() as u64, "part", "parts"),
            Count(c.settings.len() as u64, "setting", "settings"),
            Count(c.replications.into(), "replication", "replications"),
            crate::scenario::shown_path(&a.out)
        ),
    };
    show(&c, &analysis, &shown)?;
    finish(&c, &analysis, &a.out, a.report, a.quiet)
}

/// Reads every part and joins them; every problem is named, then counted.
fn read_parts(paths: &[PathBuf]) -> Result<Comparison, Error> {
    let mut parts = Vec::new();
    let mut problems = Vec::new();
    for p in paths {
        match shard::read_part(p) {
            Ok(part) => parts.push((p.clone(), part)),
            Err(e) => problems.push(e),
        }
    }
    if problems.is_empty() {
        match shard::merge(&parts) {
            Ok(c) => return Ok(c),
            Err(e) => problems = e,
        }
    }
    let mut lines: Vec<String> = problems
        .iter()
        .map(|p| format!("error: {}", crate::scenario::Escaped(p)))
        .collect();
    lines.push(format!(
        "error: {} with the parts; nothing was merged",
        Count(problems.len() as u64, "problem", "problems")
    ));
    Err(Error::lines(Exit::Invalid, lines))
}
