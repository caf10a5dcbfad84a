//! `ipamsim import --nodes FILE [--subnets FILE] [--aws-node FILE] [--pods FILE] [--out
//! FILE]`: a scenario from a cluster's kubectl and AWS CLI output (docs/import.md). The
//! scenario goes to stdout, or with `--out` to that file, written under a temporary name
//! and renamed when whole.

use super::{eprint_line, print, Error, Exit};
use crate::import::history::replay::TraceFile;
use crate::import::history::stamp::parse_stamp;
use crate::import::json::{Located, MAX_KEPT};
use crate::import::{self, Imported, Inputs};
use crate::output::files::{DirError, OutputDir};
use crate::text::Count;
use std::path::{Path, PathBuf};

/// `ipamsim import`'s flags.
#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// `kubectl get nodes -o json` output: one nodegroup per node group label, instance
    /// type and subnet.
    #[arg(long, value_name = "FILE")]
    pub nodes: PathBuf,
    /// `aws ec2 describe-subnets --output json` output: the nodes' subnets with their
    /// used addresses (without it: one /16 per distinct /16 of the nodes' addresses).
    #[arg(long, value_name = "FILE")]
    pub subnets: Option<PathBuf>,
    /// The aws-node DaemonSet (`kubectl get ds aws-node -n kube-system -o yaml`): its
    /// CNI settings, written inline.
    #[arg(long = "aws-node", value_name = "FILE")]
    pub aws_node: Option<PathBuf>,
    /// `kubectl get pods -A -o json` output: DaemonSets and workloads by owner, with a
    /// replica per pod. Several files (List snapshots, `--watch` streams, with or without
    /// `--output-watch-events`), or one watch stream, replay the pods' history: trace files
    /// of their creates and deletes, written beside `--out`.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub pods: Vec<PathBuf>,
    /// Replay the pods' history even from one List snapshot (pods created at their
    /// creationTimestamp, deleted at their deletionTimestamp or end).
    #[arg(long)]
    pub replay: bool,
    /// Start a replay's window at TIME (RFC 3339, `2024-05-01T10:00:00Z`), not at the
    /// first pod's creation: pods and nodes older than it are there at t = 0. Implies
    /// `--replay`.
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// `kubectl get events -A -o json` output: the autoscalers' scale-up events
    /// (TriggeredScaleUp, Nominated) give a replay's provision times. Implies `--replay`.
    #[arg(long, value_name = "FILE")]
    pub events: Option<PathBuf>,
    /// Write the scenario to FILE (whole or not at all) instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// Imports and writes the scenario: exit 0, 2 on any problem with the inputs or an unusable
/// `--out` (nothing is written then), 1 when the file cannot be written.
pub fn import(args: &Args) -> Result<(), Error> {
    let since = match &args.since {
        None => None,
        Some(t) => Some(parse_stamp(t).map_err(|m| Error::invalid(format_args!("--since: {m}")))?),
    };
    let pods: Vec<&Path> = args.pods.iter().map(PathBuf::as_path).collect();
    let inputs = Inputs {
        nodes: &args.nodes,
        subnets: args.subnets.as_deref(),
        aws_node: args.aws_node.as_deref(),
        pods: &pods,
        replay: args.replay,
        since,
        events: args.events.as_deref(),
    };
    if args.out.is_none() && inputs.is_replay() {
        return Err(Error::invalid(format_args!(
            "a replay writes trace files beside its scenario: give --out FILE (the traces go \
             to traces/ in FILE's directory)"
        )));
    }
    let imported = import::import(&inputs).map_err(|failed| {
        let lines = failed.warnings.iter().map(Located::warning_line);
        let mut said = capped(lines, failed.more_warnings);
        let errors = failed.errors.len() as u64 + failed.more_errors;
        said.extend(capped(
            failed.errors.iter().map(|e| e.to_string()),
            failed.more_errors,
        ));
        said.push(format!(
            "import: {} found; nothing was written",
            Count(errors, "problem", "problems")
        ));
        Error::lines(Exit::Invalid, said)
    })?;
    let lines = imported.warnings.iter().map(Located::warning_line);
    for line in capped(lines, imported.more_warnings) {
        eprint_line(&line);
    }
    match &args.out {
        None => print(&imported.yaml),
        Some(path) => {
            write_traces(path, &imported.traces, &inputs)?;
            write_file(path, &imported.yaml, &inputs)?;
            print(&summary(path, &imported))
        }
    }
}

/// The first [`MAX_KEPT`] lines, then `… and N more (M in all)` for the lines left out
/// (those beyond `MAX_KEPT`, and `more` not kept).
fn capped(lines: impl ExactSizeIterator<Item = String>, more: u64) -> Vec<String> {
    let all = lines.len() as u64 + more;
    let mut out: Vec<String> = lines.take(MAX_KEPT).collect();
    if all > MAX_KEPT as u64 {
        out.push(format!(
            "… and {} more ({all} in all)",
            all - MAX_KEPT as u64
        ));
    }
    out
}

/// The line printed after `--out` is written.
fn summary(path: &Path, imported: &Imported) -> String {
    let s = &imported.scenario;
    let nodes: u64 = s.nodegroups.iter().map(|g| u64::from(g.count)).sum();
    if !imported.traces.is_empty() {
        let launched: u64 = s
            .nodegroups
            .iter()
            .flat_map(|g| &g.launch)
            .map(|l| u64::from(l.count))
            .sum();
        let pods: usize = imported.traces.iter().map(|t| t.pods).sum();
        return format!(
            "{}: imported a replay of {} in {} ({} trace files in traces/), {} at start and {} \
             launched in {}, {} simulated, {}, {}\n",
            crate::scenario::shown_path(path),
            Count(pods as u64, "pod", "pods"),
            Count(s.workloads.len() as u64, "workload", "workloads"),
            imported.traces.len(),
            Count(nodes, "node", "nodes"),
            launched,
            Count(s.nodegroups.len() as u64, "nodegroup", "nodegroups"),
            s.duration,
            Count(s.subnets.len() as u64, "subnet", "subnets"),
            Count(s.daemonsets.len() as u64, "DaemonSet", "DaemonSets"),
        );
    }
    let pods: u64 = s
        .workloads
        .iter()
        .map(|w| u64::from(w.replicas.unwrap_or(0)))
        .sum();
    let n = |n: usize, one, many| Count(n as u64, one, many);
    format!(
        "{}: imported {} in {}, {}, {}, {} ({})\n",
        crate::scenario::shown_path(path),
        Count(nodes, "node", "nodes"),
        n(s.nodegroups.len(), "nodegroup", "nodegroups"),
        n(s.subnets.len(), "subnet", "subnets"),
        n(s.daemonsets.len(), "DaemonSet", "DaemonSets"),
        n(s.workloads.len(), "workload", "workloads"),
        Count(pods, "pod", "pods")
    )
}

/// Every input file of the import.
fn inputs_read<'a>(inputs: &Inputs<'a>) -> Vec<&'a Path> {
    [
        Some(inputs.nodes),
        inputs.subnets,
        inputs.aws_node,
        inputs.events,
    ]
    .into_iter()
    .flatten()
    .chain(inputs.pods.iter().copied())
    .collect()
}

/// Writes a replay's trace files to `traces/` beside the scenario `path` (each under a
/// temporary name until all are written), before the scenario itself: a scenario is never
/// there without its traces.
fn write_traces(path: &Path, traces: &[TraceFile], inputs: &Inputs<'_>) -> Result<(), Error> {
    if traces.is_empty() {
        return Ok(());
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let dir_path = parent.join("traces");
    let read = inputs_read(inputs);
    for t in traces {
        crate::output::files::check_replaceable(&parent.join(&t.path), &read)
            .map_err(|m| Error::invalid(format_args!("--out: {m}")))?;
    }
    let mut dir = OutputDir::open(&dir_path).map_err(Error::invalid)?;
    for t in traces {
        let name = t.path.trim_start_matches("traces/");
        // The helpers name files by `&'static str`; one short name per trace is kept.
        let name: &'static str = Box::leak(name.to_string().into_boxed_str());
        dir.write(name, &t.bytes).map_err(|e| {
            Error::failure(format_args!(
                "cannot write {}: {e}",
                crate::scenario::shown_path(&parent.join(&t.path))
            ))
        })?;
    }
    dir.commit(&[]).map_err(|e| {
        Error::failure(format_args!(
            "cannot write {}: {e}",
            crate::scenario::shown_path(&dir_path)
        ))
    })
}

/// Writes `text` to `path` through the output directory helpers: a temporary file in the
/// same directory (which is locked meanwhile), renamed to `path` when complete.
fn write_file(path: &Path, text: &str, inputs: &Inputs<'_>) -> Result<(), Error> {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return Err(Error::invalid(format_args!(
            "--out {} does not name a file; give a path such as cluster.yaml",
            crate::scenario::shown_path(path)
        )));
    };
    if path.is_dir() {
        return Err(Error::invalid(format_args!(
            "--out {} is a directory; give a file path such as {}/cluster.yaml",
            crate::scenario::shown_path(path),
            crate::scenario::shown_path(path)
        )));
    }
    let read = inputs_read(inputs);
    crate::output::files::check_replaceable(path, &read)
        .map_err(|m| Error::invalid(format_args!("--out {m}")))?;
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut dir = match OutputDir::open(parent) {
        Ok(d) => d,
        // --out is a file here: say so in its terms, not an output directory's
        Err(DirError::NotADirectory(_, file)) => {
            return Err(Error::invalid(format_args!(
                "--out {}: {} is a file, not a directory; give a path in a directory \
                 (created if missing)",
                crate::scenario::shown_path(path),
                crate::scenario::shown_path(&file)
            )));
        }
        Err(e) => return Err(Error::invalid(e)),
    };
    // The helpers name files by `&'static str`; one short name per process is kept.
    let name: &'static str = Box::leak(name.to_string().into_boxed_str());
    let written = dir
        .write(name, text.as_bytes())
        .and_then(|()| dir.commit(&[]));
    written.map_err(|e| {
        Error::failure(format_args!(
            "cannot write {}: {e}",
            crate::scenario::shown_path(path)
        ))
    })
}
