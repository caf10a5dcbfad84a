//! `ipamsim check RUN_DIR --observed PODS.json... [--events EVENTS.json] [--margin S]
//! [--tolerance PCT] [--format text|json]`: a run's predictions against what a cluster
//! recorded (docs/commands.md#check).

use super::{eprint_line, print, Error, Exit};
use crate::check::{self, CheckInputs};
use crate::import::json::Located;
use std::path::{Path, PathBuf};

/// `ipamsim check`'s flags.
#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// An output directory of `run --out`, usually of a scenario from `import` (pods keep
    /// their names).
    pub dir: PathBuf,
    /// `kubectl get pods -A -o json` output: List snapshots or `--watch` streams, merged by
    /// uid.
    #[arg(long, value_name = "FILE", num_args = 1.., required = true)]
    pub observed: Vec<PathBuf>,
    /// `kubectl get events -A -o json`: its FailedCreatePodSandBox events for lack of an
    /// address.
    #[arg(long, value_name = "FILE")]
    pub events: Option<PathBuf>,
    /// A pod whose observed time to running exceeds the simulated one by more than this
    /// many seconds is unexplained.
    #[arg(long, value_name = "S", default_value_t = 10.0)]
    pub margin: f64,
    /// Exit 3 when a p50, p90 or p99 (overall or of a workload) differs from the observed
    /// one by more than PCT percent of it (and by more than 1 s).
    #[arg(long, value_name = "PCT")]
    pub tolerance: Option<f64>,
    /// Output format: text for people, or JSON for scripts.
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    pub format: CheckFormat,
}

/// Output format of `check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CheckFormat {
    /// A table and the unexplained pods.
    Text,
    /// `all` and `workloads.NAME`, each with `observed` and `simulated` p50/p90/p99 (s) and
    /// `unexplained`.
    Json,
}

/// Prints the comparison: exit 0, 3 when `--tolerance` is missed, 2 on invalid input.
pub fn check(a: &Args) -> Result<(), Error> {
    if !(a.margin.is_finite() && a.margin >= 0.0 && a.margin <= 1e9) {
        return Err(Error::invalid(format_args!(
            "--margin {}: give seconds, 0 or more (such as 10)",
            a.margin
        )));
    }
    if let Some(t) = a.tolerance {
        if !(t.is_finite() && t >= 0.0) {
            return Err(Error::invalid(format_args!(
                "--tolerance {t}: give a percentage, 0 or more (such as 20)"
            )));
        }
    }
    let observed: Vec<&Path> = a.observed.iter().map(PathBuf::as_path).collect();
    let inputs = CheckInputs {
        run: &a.dir,
        observed: &observed,
        events: a.events.as_deref(),
        margin_ms: (a.margin * 1000.0).round() as u64,
        tolerance_pct: a.tolerance,
    };
    let report = check::check(&inputs).map_err(|e| {
        let exit = if e.invalid {
            Exit::Invalid
        } else {
            Exit::Failure
        };
        Error::lines(exit, e.lines)
    })?;
    for w in &report.warnings {
        eprint_line(&Located::warning_line(w));
    }
    let text = match a.format {
        CheckFormat::Text => check::text::report_text(&report),
        CheckFormat::Json => {
            let mut s = serde_json::to_string_pretty(&report)
                .map_err(|e| Error::failure(format_args!("writing JSON failed: {e}")))?;
            s.push('\n');
            s
        }
    };
    super::unless_closed(print(&text))?;
    if report.within_tolerance == Some(false) {
        return Err(Error::lines(
            Exit::ObjectiveMissed,
            vec![format!(
                "check: a percentile differs from the observed one by more than {}%",
                a.tolerance.unwrap_or_default()
            )],
        ));
    }
    Ok(())
}
