//! Deciding between settings: service-level objectives ([`slo`]), replication statistics
//! ([`stats`]) and the recommendation ([`recommend`]), plus [`check_run`], what `run` does
//! with objectives after a run.
//!
//! `slo`, `stats` and `recommend` are pure: they know nothing of runs or files. The figure
//! an objective bounds is the `comparison.csv` column its metric names
//! ([`slo::Metric::column`]), taken from a run's summary by [`columns`], so
//! `run --slo` and `compare --slo` judge the same number.

pub mod columns;
pub mod recommend;
/// The objectives' grammar lives with the scenario that may hold them.
pub use crate::scenario::slo;
pub mod stats;

use crate::output::files::OutputDir;
use crate::output::summary::Summary;
use slo::{Objective, Outcome};
use std::path::Path;

/// Judges one run's summary against `objectives`, in their order.
pub fn judge_run(objectives: &[Objective], summary: &Summary) -> Vec<Outcome> {
    objectives
        .iter()
        .map(|o| o.outcome(columns::figure_of(o.metric.column(), summary), None))
        .collect()
}

/// After a run into `out`: judges `summary` and, when there are objectives, rewrites
/// `out/summary.json` with their outcomes in `slo` (atomically, under the directory's lock;
/// the other files stay as the run wrote them). Returns the outcomes.
pub fn check_run(
    objectives: &[Objective],
    summary: &mut Summary,
    out: &Path,
) -> Result<Vec<Outcome>, String> {
    let outcomes = judge_run(objectives, summary);
    if outcomes.is_empty() {
        return Ok(outcomes);
    }
    summary.slo = outcomes.clone();
    let mut dir = OutputDir::open(out).map_err(|e| e.to_string())?;
    dir.write("summary.json", summary.to_json().as_bytes())
        .and_then(|()| dir.commit(&[]))
        .map_err(|e| format!("writing {}/summary.json failed: {e}", out.display()))?;
    Ok(outcomes)
}
