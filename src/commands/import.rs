//! `ipamsim import --nodes FILE [--subnets FILE] [--aws-node FILE] [--pods FILE] [--out
//! FILE]`: a scenario from a cluster's kubectl and AWS CLI output (docs/import.md). The
//! scenario goes to stdout, or with `--out` to that file, written under a temporary name
//! and renamed when whole.

use super::{eprint_line, print, Exit};
use crate::import::json::{Located, MAX_KEPT};
use crate::import::{self, Imported, Inputs};
use crate::output::files::{DirError, OutputDir};
use crate::text::Count;
use std::path::Path;

/// The command's arguments.
#[derive(Clone, Copy, Debug)]
pub struct ImportArgs<'a> {
    /// `--nodes`.
    pub nodes: &'a Path,
    /// `--subnets`.
    pub subnets: Option<&'a Path>,
    /// `--aws-node`.
    pub aws_node: Option<&'a Path>,
    /// `--pods`.
    pub pods: Option<&'a Path>,
    /// `--out`.
    pub out: Option<&'a Path>,
}

/// Imports and writes the scenario: exit 0, 2 on any problem with the inputs or an unusable
/// `--out` (nothing is written then), 1 when the file cannot be written.
pub fn import(args: &ImportArgs<'_>) -> Exit {
    let inputs = Inputs {
        nodes: args.nodes,
        subnets: args.subnets,
        aws_node: args.aws_node,
        pods: args.pods,
    };
    let imported = match import::import(&inputs) {
        Ok(i) => i,
        Err(failed) => {
            let lines = failed.warnings.iter().map(Located::warning_line);
            print_capped(lines, failed.more_warnings);
            let errors = failed.errors.len() as u64 + failed.more_errors;
            print_capped(
                failed.errors.iter().map(|e| e.to_string()),
                failed.more_errors,
            );
            eprint_line(&format!(
                "import: {} found; nothing was written",
                Count(errors, "problem", "problems")
            ));
            return Exit::Invalid;
        }
    };
    let lines = imported.warnings.iter().map(Located::warning_line);
    print_capped(lines, imported.more_warnings);
    match args.out {
        None => print(&imported.yaml).err().unwrap_or(Exit::Success),
        Some(path) => match write_file(path, &imported.yaml, &inputs) {
            Ok(()) => print(&summary(path, &imported))
                .err()
                .unwrap_or(Exit::Success),
            Err(exit) => exit,
        },
    }
}

/// Prints the first [`MAX_KEPT`] lines on stderr, then `… and N more (M in all)` for the
/// lines not printed (those beyond `MAX_KEPT`, and `more` not kept).
fn print_capped(lines: impl ExactSizeIterator<Item = String>, more: u64) {
    let all = lines.len() as u64 + more;
    for line in lines.take(MAX_KEPT) {
        eprint_line(&line);
    }
    if all > MAX_KEPT as u64 {
        eprint_line(&format!(
            "… and {} more ({all} in all)",
            all - MAX_KEPT as u64
        ));
    }
}

/// The line printed after `--out` is written.
fn summary(path: &Path, imported: &Imported) -> String {
    let s = &imported.scenario;
    let nodes: u64 = s.nodegroups.iter().map(|g| u64::from(g.count)).sum();
    let pods: u64 = s.workloads.iter().map(|w| u64::from(w.replicas)).sum();
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

/// Writes `text` to `path` through the output directory helpers: a temporary file in the
/// same directory (which is locked meanwhile), renamed to `path` when complete.
fn write_file(path: &Path, text: &str, inputs: &Inputs<'_>) -> Result<(), Exit> {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        eprint_line(&format!(
            "error: --out {} does not name a file; give a path such as cluster.yaml",
            crate::scenario::shown_path(path)
        ));
        return Err(Exit::Invalid);
    };
    if path.is_dir() {
        eprint_line(&format!(
            "error: --out {} is a directory; give a file path such as {}/cluster.yaml",
            crate::scenario::shown_path(path),
            crate::scenario::shown_path(path)
        ));
        return Err(Exit::Invalid);
    }
    let read: Vec<&Path> = [
        Some(inputs.nodes),
        inputs.subnets,
        inputs.aws_node,
        inputs.pods,
    ]
    .into_iter()
    .flatten()
    .collect();
    if let Err(m) = crate::output::files::check_replaceable(path, &read) {
        eprint_line(&format!("error: --out {m}"));
        return Err(Exit::Invalid);
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut dir = match OutputDir::open(parent) {
        Ok(d) => d,
        // --out is a file here: say so in its terms, not an output directory's
        Err(DirError::NotADirectory(_, file)) => {
            eprint_line(&format!(
                "error: --out {}: {} is a file, not a directory; give a path in a directory \
                 (created if missing)",
                crate::scenario::shown_path(path),
                crate::scenario::shown_path(&file)
            ));
            return Err(Exit::Invalid);
        }
        Err(e) => {
            eprint_line(&format!("error: {e}"));
            return Err(Exit::Invalid);
        }
    };
    // The helpers name files by `&'static str`; one short name per process is kept.
    let name: &'static str = Box::leak(name.to_string().into_boxed_str());
    let written = dir
        .write(name, text.as_bytes())
        .and_then(|()| dir.commit(&[]));
    written.map_err(|e| {
        eprint_line(&format!(
            "error: cannot write {}: {e}",
            crate::scenario::shown_path(path)
        ));
        Exit::Failure
    })
}
