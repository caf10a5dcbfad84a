//! Scenario files: reading YAML with positions ([`yaml`]), a file read once ([`Source`]),
//! raw structs ([`raw`]), validation into the domain types below ([`validate`]), and the
//! diagnostics and warnings they produce.
//!
//! The model only ever sees the validated [`Scenario`].

pub mod autoscaling;
pub mod churn;
pub mod discovery;
pub mod ipam;
mod knobs;
pub mod raw;
pub mod slo;
pub mod source;
pub mod trace;
mod types;
pub mod validate;
pub mod yaml;

use crate::time::SimDuration;
use std::fmt;

pub use ipam::{IpamConfig, IpamPlugin};
pub use knobs::*;
pub use source::{LoadOptions, Source};
pub use types::*;
pub use validate::{
    check_cni_value, load, load_with, normalize_cni_value, parse, parse_in_dir, parse_with,
    read_aws_node_env, AwsNodeEnv,
};

/// One problem found in a scenario file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Field path such as `nodegroups[1].instance_type`, or empty for the whole file.
    pub path: String,
    /// 1-based line and column in the file, when known.
    pub location: Option<(usize, usize)>,
    /// What is wrong and what is allowed.
    pub message: String,
}

/// `line:col: path: message`, with control characters escaped.
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, "")
    }
}

impl Diagnostic {
    fn write(&self, f: &mut fmt::Formatter<'_>, severity: &str) -> fmt::Result {
        if let Some((line, col)) = self.location {
            write!(f, "{line}:{col}: ")?;
        }
        f.write_str(severity)?;
        if !self.path.is_empty() {
            write!(f, "{}: ", Escaped(&self.path))?;
        }
        write!(f, "{}", Escaped(&self.message))
    }

    /// This diagnostic as a warning: `file:line:col: warning: path: message`.
    pub fn warning_line(&self, file: &str) -> String {
        struct Line<'a>(&'a Diagnostic);
        impl fmt::Display for Line<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.write(f, "warning: ")
            }
        }
        let sep = if self.location.is_some() { ":" } else { ": " };
        format!("{}{sep}{}", Escaped(file), Line(self))
    }
}

/// Text from the input, shown with control characters (and the Unicode line separators and
/// bidirectional overrides) escaped as `\u{1b}`, `\n`…, so that a message is one line and
/// nothing in a file can drive the terminal.
pub struct Escaped<'a>(pub &'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let risky = |c: char| {
            c.is_control()
                || matches!(c, '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}')
                || ('\u{202a}'..='\u{202e}').contains(&c)
                || ('\u{2066}'..='\u{2069}').contains(&c)
        };
        let mut rest = self.0;
        while let Some(i) = rest.find(risky) {
            f.write_str(&rest[..i])?;
            let c = rest[i..].chars().next().unwrap_or_default();
            write!(f, "{}", c.escape_default())?;
            rest = &rest[i + c.len_utf8()..];
        }
        f.write_str(rest)
    }
}

/// A user-given path for a message, escaped by [`Escaped`] (the one escaping of user text).
pub fn shown_path(path: &std::path::Path) -> String {
    Escaped(&path.to_string_lossy()).to_string()
}

/// Every problem found in one scenario file (never empty).
#[derive(Clone, Debug)]
pub struct ScenarioErrors {
    /// The file as the user named it.
    pub file: String,
    /// The problems, in file order where known.
    pub problems: Vec<Diagnostic>,
}

impl fmt::Display for ScenarioErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            // `file:line:col: …`, or `file: …` for a problem with no place in the file
            let sep = if d.location.is_some() { ":" } else { ": " };
            write!(f, "{}{sep}{d}", Escaped(&self.file))?;
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioErrors {}

/// A validated scenario: everything the simulation needs, with defaults filled in.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// `name`, or the file stem.
    pub name: String,
    /// Master seed (`seed`, default 1; `--seed` overrides).
    pub seed: u64,
    /// Simulated time to run.
    pub duration: SimDuration,
    /// Timeline sampling period (default 1 s).
    pub sample_interval: SimDuration,
    /// aws-node environment (CNI settings) after parsing.
    pub cni: CniConfig,
    /// Subnets, in file order.
    pub subnets: Vec<SubnetSpec>,
    /// ENIConfigs (custom networking), one per AZ.
    pub eniconfigs: Vec<EniConfigSpec>,
    /// `sweep`: CNI settings and the values `ipamsim compare` tries (file order).
    pub sweep: Vec<(String, Vec<String>)>,
    /// Nodegroups, in file order.
    pub nodegroups: Vec<NodeGroupSpec>,
    /// DaemonSets: one pod per node.
    pub daemonsets: Vec<DaemonSetSpec>,
    /// Workloads: replica counts over time.
    pub workloads: Vec<WorkloadSpec>,
    /// EC2 and instance-metadata latency model, throttling, retries and error rates.
    pub ec2: Ec2Config,
    /// Faults: ENIs missing from IMDS, aws-node restarts.
    pub faults: FaultConfig,
    /// Kubelet sandbox-retry timing.
    pub kubelet: KubeletConfig,
    /// Simulator knobs for ipamd that the real daemon does not expose.
    pub ipamd: IpamdConfig,
    /// Scheduler policy.
    pub scheduler: SchedulerConfig,
    /// The VPC resource controller (security groups for pods).
    pub resource_controller: ResourceControllerConfig,
    /// `ipam`: the VPC CNI (default) or Calico block IPAM.
    pub ipam: IpamConfig,
    /// `outputs`: which CSV files a run writes (default all).
    pub outputs: OutputSet,
    /// `slo`: service-level objectives `run` and `compare` judge (with any `--slo` flags).
    pub slo: Vec<slo::Objective>,
    /// The file as the user named it (for messages).
    pub file: String,
    /// Things that are valid but probably not what was meant (each names the rule it
    /// cites), in file order; see [`Scenario::warning_lines`].
    pub warnings: Vec<Diagnostic>,
}

impl Scenario {
    /// The warnings as `file:line:col: warning: path: message` lines.
    pub fn warning_lines(&self) -> Vec<String> {
        self.warnings
            .iter()
            .map(|w| w.warning_line(&self.file))
            .collect()
    }
}
