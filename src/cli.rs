//! Command-line definitions (clap): the commands; each one's flags are its `Args`, in
//! its module under `commands`. No logic here.

use crate::commands::{capacity, compare, explain, import, merge, plan, report, run, validate};
use clap::{Parser, Subcommand};

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
    /// Run a scenario and write its output files: timeline.csv, nodes.csv, pods.csv,
    /// subnets.csv, events.csv, waits.csv, blocks.csv (Calico runs only) and summary.json.
    Run(run::Args),
    /// Check a scenario file and print every problem found; exit 0 only if it is valid.
    Validate(validate::Args),
    /// Run one scenario under every combination of CNI settings and compare them: writes
    /// DIR/comparison.csv and comparison.json and prints a table sorted by p99 time to running
    /// with the Pareto front.
    Compare(compare::Args),
    /// Find the largest (or smallest) value of one axis for which every objective holds,
    /// by running the scenario (e.g. how many nodes fit these subnets).
    Plan(plan::Args),
    /// Join the parts of `compare --shard K/N` runs into the comparison the unsharded run
    /// would have written (comparison.csv and comparison.json, byte-identical).
    Merge(merge::Args),
    /// Print pod capacity per instance type: max pods and pod IPs in secondary-IP mode, with
    /// prefix delegation and with custom networking, branch ENIs (security groups for
    /// pods), plus warnings.
    Capacity(capacity::Args),
    /// Write a scenario from a cluster's own output: nodes (kubectl get nodes -o json),
    /// subnets (aws ec2 describe-subnets --output json), the aws-node DaemonSet and pods
    /// (kubectl get pods -A -o json). See docs/import.md.
    Import(import::Args),
    /// Write DIR/report.html: charts of a run's timeline.csv and/or a comparison.csv.
    Report(report::Args),
    /// Explain why pods waited, from a run's waits.csv, pods.csv and events.csv: pod-seconds
    /// by cause and the slowest pods, or with `--pod` one pod's story in time order.
    Explain(explain::Args),
}
