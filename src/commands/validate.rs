//! `ipamsim validate SCENARIO`: every problem, located; exit 0 only if valid.

use super::{print, print_scenario_errors, Exit};
use crate::scenario;
use std::path::Path;

/// Validates one scenario file.
pub fn validate(path: &Path) -> Exit {
    match scenario::load(path) {
        Ok(sc) => {
            let nodes: u64 = sc.nodegroups.iter().map(|g| u64::from(g.count)).sum();
            let line = format!(
                "{}: valid ({} nodegroups, {} nodes at start, {} workloads, {} simulated)\n",
                path.display(),
                sc.nodegroups.len(),
                nodes,
                sc.workloads.len(),
                sc.duration
            );
            print(&line).err().unwrap_or(Exit::Success)
        }
        Err(e) => {
            print_scenario_errors(path, &e, "");
            Exit::Invalid
        }
    }
}
