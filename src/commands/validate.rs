//! `ipamsim validate SCENARIO`: every problem, located; exit 0 only if valid.

use super::{load_scenario, print, Exit};
use crate::text::Count;
use std::path::Path;

/// Validates one scenario file; its warnings go to stderr (exit 0 all the same).
pub fn validate(path: &Path, allow_large: bool) -> Exit {
    match load_scenario(path, allow_large, "") {
        Ok((sc, _)) => {
            let nodes: u64 = sc.nodegroups.iter().map(|g| u64::from(g.count)).sum();
            let line = format!(
                "{}: valid ({}, {} at start, {}, {} simulated)\n",
                crate::scenario::shown_path(path),
                Count(sc.nodegroups.len() as u64, "nodegroup", "nodegroups"),
                Count(nodes, "node", "nodes"),
                Count(sc.workloads.len() as u64, "workload", "workloads"),
                sc.duration
            );
            print(&line).err().unwrap_or(Exit::Success)
        }
        Err(exit) => exit,
    }
}
