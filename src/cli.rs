//! Command-line definitions (clap). No logic here.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// A deterministic simulator of the AWS VPC CNI's IP address manager (ipamd) across a
/// Kubernetes cluster: warm pools, ENIs, EC2 calls and the pods that wait for IPs.
#[derive(Debug, Parser)]
#[command(name = "ipamsim", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scenario and write timeline.csv, nodes.csv, pods.csv and events.csv.
    Run {
        /// Scenario file (YAML); see the README's scenario reference.
        scenario: PathBuf,
        /// Output directory (created if missing). Files appear only when the run succeeds.
        #[arg(long, short, value_name = "DIR")]
        out: PathBuf,
        /// Master seed; overrides the scenario's `seed`. Same seed, same bytes.
        #[arg(long, value_name = "N")]
        seed: Option<u64>,
        /// Print nothing but errors (no summary, no progress bar).
        #[arg(long, short)]
        quiet: bool,
    },
    /// Check a scenario file and print every problem found; exit 0 only if it is valid.
    Validate {
        /// Scenario file (YAML).
        scenario: PathBuf,
    },
}
