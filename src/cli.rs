//! Command-line definitions (clap): the commands; each one's flags are its `Args`, in
//! its module under `commands`. No logic here.

use crate::commands::{
    alerts, capacity, check, compare, explain, import, merge, plan, report, run, validate,
};
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
    /// subnets.csv, events.csv, waits.csv, blocks.csv (Calico runs only) and summary.json;
    /// with `--outputs …,metrics` also metrics.om (OpenMetrics, aws-node's awscni_* names).
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
    /// Compare a run with what a cluster recorded (kubectl get pods/events -o json): time to
    /// running per workload, sandbox failures for lack of an address, and the pods the model
    /// leaves unexplained. See docs/import.md.
    Check(check::Args),
    /// Explain why pods waited, from a run's waits.csv, pods.csv and events.csv: pod-seconds
    /// by cause and the slowest pods, or with `--pod` one pod's story in time order.
    Explain(explain::Args),
    /// List when each alerting rule of a Prometheus rule file would have fired over a run,
    /// and for which nodes: the run's metrics.om backfilled into a real Prometheus, which
    /// evaluates the rules (needs prometheus and promtool on PATH).
    Alerts(alerts::Args),
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::error::ErrorKind;
    use clap::CommandFactory;

    fn parse(args: &[&str]) -> Result<Command, clap::Error> {
        let all = std::iter::once("ipamsim").chain(args.iter().copied());
        Cli::try_parse_from(all).map(|cli| cli.command)
    }

    #[test]
    fn the_definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn each_command_reads_its_flags_into_its_args() {
        let Ok(Command::Compare(a)) = parse(&[
            "compare",
            "s.yaml",
            "-o",
            "d",
            "--set",
            "WARM_IP_TARGET=0,2",
            "--jobs",
            "2",
            "-q",
        ]) else {
            panic!("compare parses");
        };
        assert_eq!(a.set, ["WARM_IP_TARGET=0,2"]);
        assert_eq!((a.jobs, a.replications, a.quiet), (Some(2), 1, true));
        assert_eq!(a.format, compare::CompareFormat::Table);
        let Ok(Command::Run(a)) = parse(&["run", "s.yaml", "--out", "d", "--slo", "x<=1"]) else {
            panic!("run parses");
        };
        assert_eq!(
            (a.out.to_str(), a.slo.len(), a.outputs),
            (Some("d"), 1, None)
        );
        let Ok(Command::Explain(a)) = parse(&["explain", "d", "--format", "json"]) else {
            panic!("explain parses");
        };
        assert_eq!((a.top, a.format), (10, explain::ExplainFormat::Json));
        let Ok(Command::Capacity(a)) = parse(&["capacity", "-t", "m5.large", "-t", "t3.small"])
        else {
            panic!("capacity parses");
        };
        assert_eq!(a.instance_type, ["m5.large", "t3.small"]);
    }

    #[test]
    fn conflicting_flags_are_usage_errors() {
        for args in [
            &["capacity", "--scenario", "s.yaml", "-t", "m5.large"][..],
            &["capacity", "--scenario", "s.yaml", "--max-eni", "2"],
            &["compare", "s.yaml", "-o", "d", "--shard", "1/2", "--report"],
            &["explain", "d", "--pod", "p", "--top", "3"],
        ] {
            let e = parse(args).expect_err("a conflict");
            assert_eq!(e.kind(), ErrorKind::ArgumentConflict, "{args:?}");
        }
        let e = parse(&["merge", "-o", "d"]).expect_err("no part");
        assert_eq!(e.kind(), ErrorKind::MissingRequiredArgument);
    }
}
