//! Command-line definitions (clap). No logic here.

use clap::{Parser, Subcommand, ValueEnum};
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
    /// Run a scenario and write its output files: timeline.csv, nodes.csv, pods.csv,
    /// subnets.csv, events.csv, waits.csv, blocks.csv (Calico runs only) and summary.json.
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
        /// Also write DIR/report.html (charts of the run; see `ipamsim report`).
        #[arg(long)]
        report: bool,
        /// Lift the work budget (nodes, pods, rows, duration; docs/scenario-input.md) for a
        /// deliberately large run.
        #[arg(long)]
        allow_large: bool,
        /// A service-level objective, `METRIC<=VALUE` or `METRIC>=VALUE`, e.g.
        /// `--slo 'p99_time_to_ip<=10s'` (repeatable). Exit 3 when one is missed.
        #[arg(long, value_name = "METRIC<=VALUE")]
        slo: Vec<String>,
        /// Which CSV files to write, comma-separated: timeline, nodes, pods, subnets,
        /// events, waits, blocks (Calico runs only), all (default: the scenario's
        /// `outputs:`, else all). summary.json is always written; `summary` alone writes
        /// only it.
        #[arg(long, value_name = "LIST")]
        outputs: Option<String>,
    },
    /// Check a scenario file and print every problem found; exit 0 only if it is valid.
    Validate {
        /// Scenario file (YAML).
        scenario: PathBuf,
        /// Lift the work budget (docs/scenario-input.md).
        #[arg(long)]
        allow_large: bool,
    },
    /// Run one scenario under every combination of CNI settings and compare them: writes
    /// DIR/comparison.csv and comparison.json and prints a table sorted by p99 time to running
    /// with the Pareto front.
    Compare {
        /// Scenario file (YAML); its `sweep:` block, if any, adds settings to compare.
        scenario: PathBuf,
        /// A CNI setting and the values to try, e.g. `--set WARM_IP_TARGET=0,2,5`
        /// (repeatable; every combination runs; replaces the same key of `sweep:`).
        #[arg(long = "set", value_name = "KEY=V1,V2,...")]
        set: Vec<String>,
        /// Output directory (created if missing).
        #[arg(long, short, value_name = "DIR")]
        out: PathBuf,
        /// Runs at once (at least 1; default: every core). Results do not depend on it.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=4096))]
        jobs: Option<u64>,
        /// Master seed for every run; overrides the scenario's `seed`.
        #[arg(long, value_name = "N")]
        seed: Option<u64>,
        /// Also keep each run's CSV files in DIR/runs/<setting>/ (off: big sweeps stay small).
        #[arg(long)]
        keep_runs: bool,
        /// Also write DIR/report.html with the trade-off chart.
        #[arg(long)]
        report: bool,
        /// Print nothing but errors.
        #[arg(long, short)]
        quiet: bool,
        /// What to print on stdout: the table, or the comparison as JSON (comparison.json's
        /// content).
        #[arg(long, value_enum, default_value_t = CompareFormat::Table)]
        format: CompareFormat,
        /// Runs per setting, with seeds seed, seed+1, ...: means with 95 % confidence
        /// intervals and paired differences against the baseline.
        #[arg(long, value_name = "N", default_value_t = 1,
              value_parser = clap::value_parser!(u32).range(1..=10000))]
        replications: u32,
        /// A service-level objective, `METRIC<=VALUE` or `METRIC>=VALUE` (repeatable): each
        /// setting is met or missed, the leanest one meeting all is recommended; exit 3 when
        /// none does.
        #[arg(long, value_name = "METRIC<=VALUE")]
        slo: Vec<String>,
        /// Run only the combinations whose 0-based grid index i has i mod N = K-1, and
        /// write DIR/shard.json for `ipamsim merge`.
        #[arg(long, value_name = "K/N", conflicts_with = "report")]
        shard: Option<crate::compare::shard::Shard>,
        /// Lift the work budget (docs/scenario-input.md).
        #[arg(long)]
        allow_large: bool,
    },
    /// Find the largest (or smallest) value of one axis for which every objective holds,
    /// by running the scenario (e.g. how many nodes fit these subnets).
    Plan(crate::commands::plan::Args),
    /// Join the parts of `compare --shard K/N` runs into the comparison the unsharded run
    /// would have written (comparison.csv and comparison.json, byte-identical).
    Merge {
        /// Output directory (created if missing).
        #[arg(long, short, value_name = "DIR")]
        out: PathBuf,
        /// The shards' output directories (or their shard.json files), every shard once.
        #[arg(value_name = "PART", required = true)]
        parts: Vec<PathBuf>,
        /// Also write DIR/report.html with the trade-off chart.
        #[arg(long)]
        report: bool,
        /// Print nothing but errors.
        #[arg(long, short)]
        quiet: bool,
        /// What to print on stdout: the table, or the comparison as JSON.
        #[arg(long, value_enum, default_value_t = CompareFormat::Table)]
        format: CompareFormat,
    },
    /// Print pod capacity per instance type: max pods and pod IPs in secondary-IP mode, with
    /// prefix delegation and with custom networking, branch ENIs (security groups for
    /// pods), plus warnings.
    Capacity {
        /// Instance type to show (repeatable), e.g. `--instance-type m5.large`.
        #[arg(long = "instance-type", short = 't', value_name = "T")]
        instance_type: Vec<String>,
        /// Show every instance type in the catalog (1,391), sorted by name.
        #[arg(long)]
        all: bool,
        /// Output format: an aligned table, CSV, or JSON.
        #[arg(long, value_enum, default_value_t = CapacityFormat::Table)]
        format: CapacityFormat,
        /// The max-pods calculator's `--cni-max-eni N`: its values count at most N ENIs.
        #[arg(long, value_name = "N", conflicts_with = "scenario",
              value_parser = clap::value_parser!(u32).range(1..=1024))]
        max_eni: Option<u32>,
        /// Scenario file (YAML): per nodegroup, the IPs one node holds with no workload pods
        /// and at max pods (simulated), and how many more nodes fit in each subnet.
        #[arg(long, value_name = "FILE", conflicts_with_all = ["instance_type", "all"])]
        scenario: Option<PathBuf>,
        /// With `--scenario`: lift the work budget (docs/scenario-input.md).
        #[arg(long)]
        allow_large: bool,
    },
    /// Write a scenario from a cluster's own output: nodes (kubectl get nodes -o json),
    /// subnets (aws ec2 describe-subnets --output json), the aws-node DaemonSet and pods
    /// (kubectl get pods -A -o json). See docs/import.md.
    Import {
        /// `kubectl get nodes -o json` output: one nodegroup per node group label, instance
        /// type and subnet.
        #[arg(long, value_name = "FILE")]
        nodes: PathBuf,
        /// `aws ec2 describe-subnets --output json` output: the nodes' subnets with their
        /// used addresses (without it: one /16 per distinct /16 of the nodes' addresses).
        #[arg(long, value_name = "FILE")]
        subnets: Option<PathBuf>,
        /// The aws-node DaemonSet (`kubectl get ds aws-node -n kube-system -o yaml`): its
        /// CNI settings, written inline.
        #[arg(long = "aws-node", value_name = "FILE")]
        aws_node: Option<PathBuf>,
        /// `kubectl get pods -A -o json` output: DaemonSets and workloads by owner, with a
        /// replica per pod.
        #[arg(long, value_name = "FILE")]
        pods: Option<PathBuf>,
        /// Write the scenario to FILE (whole or not at all) instead of stdout.
        #[arg(long, short, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Write DIR/report.html: charts of a run's timeline.csv and/or a comparison.csv.
    Report {
        /// An output directory of `run --out` (or of a compare).
        dir: PathBuf,
    },
    /// Explain why pods waited, from a run's waits.csv, pods.csv and events.csv: pod-seconds
    /// by cause and the slowest pods, or with `--pod` one pod's story in time order.
    Explain {
        /// An output directory of `run --out` (or a copy of it).
        dir: PathBuf,
        /// Tell this pod's story: each wait with its cause and the node events behind it.
        #[arg(long, value_name = "NAME")]
        pod: Option<String>,
        /// How many of the slowest pods (by total wait) to list.
        #[arg(long, value_name = "N", default_value_t = 10, conflicts_with = "pod")]
        top: usize,
        /// Output format: text for people, or JSON with the same content for scripts.
        #[arg(long, value_enum, default_value_t = ExplainFormat::Text)]
        format: ExplainFormat,
    },
}

/// Output format of `explain`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExplainFormat {
    /// Aligned text, one fact per line.
    Text,
    /// Pretty-printed JSON of the same content.
    Json,
}

/// Output format of `capacity`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CapacityFormat {
    /// Aligned columns with a legend.
    Table,
    /// CSV with a header row.
    Csv,
    /// JSON: an array with one object per instance type, or per nodegroup with
    /// `--scenario`.
    Json,
}

/// What `compare` prints on stdout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CompareFormat {
    /// The ranked table and a one-line reading.
    Table,
    /// The comparison as JSON (the same document as DIR/comparison.json).
    Json,
}
