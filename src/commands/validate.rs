//! `ipamsim validate SCENARIO`: every problem, located; exit 0 only if valid.

use super::{load_scenario, print, Error};
use crate::text::Count;
use std::path::PathBuf;

/// `ipamsim validate`'s flags.
#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// Scenario file (YAML).
    pub scenario: PathBuf,
    /// Lift the work budget (docs/scenario-input.md).
    #[arg(long)]
    pub allow_large: bool,
}

/// Validates one scenario file; its warnings go to stderr (exit 0 all the same).
pub fn validate(a: &Args) -> Result<(), Error> {
    let (sc, _) = load_scenario(&a.scenario, a.allow_large, "")?;
    let nodes: u64 = sc.nodegroups.iter().map(|g| u64::from(g.count)).sum();
    let line = format!(
        "{}: valid ({}, {} at start, {}, {} simulated)\n",
        crate::scenario::shown_path(&a.scenario),
        Count(sc.nodegroups.len() as u64, "nodegroup", "nodegroups"),
        Count(nodes, "node", "nodes"),
        Count(sc.workloads.len() as u64, "workload", "workloads"),
        sc.duration
    );
    print(&line)
}
