//! `ipamsim compare SCENARIO --set KEY=v1,v2 ... --out DIR`: every combination, one table;
//! with `--replications`, several seeds per setting; with `--slo`, a verdict; with
//! `--shard K/N`, only one shard's combinations, into `DIR/shard.json` for `merge`.
//!
//! Three steps: [`settings`] builds and checks the list of settings before anything runs,
//! [`runs`] runs them, [`show`] writes and prints the result.

mod runs;
mod settings;
mod show;

pub use settings::parse_slo_flags;
pub use show::{finish, show, write_comparison, Shown};

use super::Error;
use crate::compare::shard::Shard;
use crate::output::files::OutputDir;
use std::path::PathBuf;

/// `ipamsim compare`'s flags.
#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// Scenario file (YAML); its `sweep:` block, if any, adds settings to compare.
    pub scenario: PathBuf,
    /// A CNI setting and the values to try, e.g. `--set WARM_IP_TARGET=0,2,5`
    /// (repeatable; every combination runs; replaces the same key of `sweep:`).
    #[arg(long = "set", value_name = "KEY=V1,V2,...")]
    pub set: Vec<String>,
    /// Output directory (created if missing).
    #[arg(long, short, value_name = "DIR")]
    pub out: PathBuf,
    /// Runs at once (at least 1; default: every core). Results do not depend on it.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub jobs: Option<u64>,
    /// Master seed for every run; overrides the scenario's `seed`.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Also keep each run's CSV files in DIR/runs/<setting>/ (off: big sweeps stay small).
    #[arg(long)]
    pub keep_runs: bool,
    /// Also write DIR/report.html with the trade-off chart.
    #[arg(long)]
    pub report: bool,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
    /// What to print on stdout: the table, or the comparison as JSON (comparison.json's
    /// content).
    #[arg(long, value_enum, default_value_t = CompareFormat::Table)]
    pub format: CompareFormat,
    /// Runs per setting, with seeds seed, seed+1, ...: means with 95 % confidence
    /// intervals and paired differences against the baseline.
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..=10000))]
    pub replications: u32,
    /// A service-level objective, `METRIC<=VALUE` or `METRIC>=VALUE` (repeatable): each
    /// setting is met or missed, the leanest one meeting all is recommended; exit 3 when
    /// none does.
    #[arg(long, value_name = "METRIC<=VALUE")]
    pub slo: Vec<String>,
    /// Run only the combinations whose 0-based grid index i has i mod N = K-1, and
    /// write DIR/shard.json for `ipamsim merge`.
    #[arg(long, value_name = "K/N", conflicts_with = "report")]
    pub shard: Option<Shard>,
    /// Lift the work budget (docs/scenario-input.md).
    #[arg(long)]
    pub allow_large: bool,
}

/// What `compare` (and `merge`) print on stdout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CompareFormat {
    /// The ranked table and a one-line reading.
    Table,
    /// The comparison as JSON (the same document as DIR/comparison.json).
    Json,
}

/// Runs the comparison. Exit 2 for an invalid scenario, setting, objective or output
/// directory; 130 if a signal interrupted the runs (the finished settings are kept in
/// comparison.csv; a shard writes no part); 1 if writing failed; 3 when objectives were
/// given and no setting meets them all.
pub fn compare(a: &Args) -> Result<(), Error> {
    let planned = settings::plan(a)?;
    let dir = OutputDir::open(&a.out).map_err(Error::invalid)?;
    let ran = runs::run(a, planned)?;
    match a.shard {
        Some(sh) => show::write_shard(a, dir, &ran, sh),
        None => show::write_and_show(a, dir, ran),
    }
}
