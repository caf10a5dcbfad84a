//! `compare`'s last step (and `merge`'s): write comparison.csv and comparison.json (or a
//! shard's part), print the table or the JSON, then the report and the verdict.

use super::super::{eprint_line, print, stop_requested, unless_closed, Error, Exit};
use super::runs::{finished_text, Ran};
use super::{Args, CompareFormat};
use crate::compare::analysis::{analyse, Analysis, Comparison};
use crate::compare::shard::{self, Shard};
use crate::compare::{self, rows, table};
use crate::output::files::{OutputDir, RESULT_FILES};
use crate::scenario::shown_path;
use crate::text::Count;
use std::path::Path;

/// The result files a comparison's directory may hold from earlier commands: a compare
/// removes those it did not write (a shard's part included).
fn stale_files() -> Vec<&'static str> {
    debug_assert!(RESULT_FILES.contains(&shard::PART_FILE));
    RESULT_FILES.to_vec()
}

/// Writes the comparison, then prints it (saying first when a signal stopped the runs),
/// then the report and the verdict.
pub(super) fn write_and_show(a: &Args, dir: OutputDir, ran: Ran) -> Result<(), Error> {
    let c = &ran.comparison;
    let what = if c.replications > 1 {
        format!(
            "{} ({} × {})",
            Count(
                (c.settings.len() * c.replications as usize) as u64,
                "run",
                "runs"
            ),
            Count(c.settings.len() as u64, "setting", "settings"),
            Count(c.replications.into(), "replication", "replications")
        )
    } else {
        Count(c.settings.len() as u64, "run", "runs").to_string()
    };
    let last_line = format!(
        "{what} on {} in {:.2} s wall; {}/comparison.csv\n",
        Count(ran.threads as u64, "thread", "threads"),
        ran.wall,
        shown_path(&a.out)
    );
    let done = finished_text(&ran);
    let analysis = write_comparison(dir, &a.out, c, &stale_files(), Some(&ran.kept))?;
    let Ran {
        comparison: c,
        polite,
        interrupted,
        ..
    } = ran;
    drop(polite);
    if interrupted {
        eprint_line(&format!("interrupted: {done}; comparison.csv holds those"));
    }
    let shown = Shown {
        quiet: a.quiet,
        format: a.format,
        last_line,
    };
    show(&c, &analysis, &shown)?;
    if interrupted || stop_requested() {
        // said above, before the table
        return Err(Error::already_said(Exit::Interrupted));
    }
    finish(&c, &analysis, &a.out, a.report, a.quiet)
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
) -> Result<Analysis, Error> {
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
        Error::failure(format_args!(
            "writing {}/comparison.csv failed: {e}",
            shown_path(out)
        ))
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
/// A closed stdout does not end the command: the verdict (exit 3) still counts.
pub fn show(c: &Comparison, a: &Analysis, how: &Shown) -> Result<(), Error> {
    if how.format == CompareFormat::Json {
        return unless_closed(print(&rows::json_text(c, a)));
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
    unless_closed(print(&text))
}

/// After the files are written and printed: the report (`--report`), then exit 3 when
/// objectives were given and no setting meets them all (saying so on stderr).
pub fn finish(
    c: &Comparison,
    a: &Analysis,
    out: &Path,
    report: bool,
    quiet: bool,
) -> Result<(), Error> {
    if report {
        super::super::report::report_dir(out, quiet)?;
    }
    if !c.objectives.is_empty() && a.recommended.is_none() {
        let list: Vec<&str> = c.objectives.iter().map(|o| o.text.as_str()).collect();
        return Err(Error::objective_missed(vec![format!(
            "objective missed: no setting meets every objective ({})",
            list.join(", ")
        )]));
    }
    Ok(())
}

/// Writes a shard's part (`--shard K/N`) and prints it (JSON) or one line. An interrupted
/// shard writes no part.
pub(super) fn write_shard(a: &Args, mut dir: OutputDir, ran: &Ran, sh: Shard) -> Result<(), Error> {
    if ran.interrupted {
        // `runs/` goes if the cancelled runs left it empty
        let _ = std::fs::remove_dir(a.out.join("runs"));
        return Err(Error::interrupted(format!(
            "interrupted: shard {sh} did not finish; no part was written (run it again)"
        )));
    }
    let c = &ran.comparison;
    let text = shard::part_text(c, sh);
    let written = (|| {
        dir.write(shard::PART_FILE, text.as_bytes())?;
        dir.commit(&stale_files())?;
        compare::remove_stale_runs(&a.out, &ran.kept)
    })();
    written.map_err(|e| {
        Error::failure(format_args!(
            "writing {}/{} failed: {e}",
            shown_path(&a.out),
            shard::PART_FILE
        ))
    })?;
    if a.format == CompareFormat::Json {
        return print(&text);
    }
    if a.quiet {
        return Ok(());
    }
    let total = compare::combinations(&c.axes).len();
    print(&format!(
        "shard {sh}: {} of {} × {}, {} on {} in {:.2} s wall; {}/{}\n",
        c.settings.len(),
        Count(total as u64, "setting", "settings"),
        Count(c.replications.into(), "replication", "replications"),
        Count(ran.runs as u64, "run", "runs"),
        Count(ran.threads as u64, "thread", "threads"),
        ran.wall,
        shown_path(&a.out),
        shard::PART_FILE
    ))
}
