//! `ipamsim capacity`: per instance type, or for a scenario's nodegroups and subnets
//! (docs/capacity.md).

use super::{eprint_line, stdout_failed, stop_requested, Exit};
use crate::capacity::{by_type, scenario as cs};
use crate::cli::CapacityFormat;
use std::io::BufWriter;
use std::path::Path;

/// Capacity per instance type (`--instance-type`, `--all`), the calculator's values with
/// at most `max_eni` ENIs (`--max-eni`).
pub fn by_type(names: &[String], all: bool, format: CapacityFormat, max_eni: Option<u32>) -> Exit {
    let types = match by_type::select(names, all) {
        Ok(t) => t,
        Err(e) => {
            for line in e.lines() {
                eprint_line(&format!("error: {line}"));
            }
            return Exit::Invalid;
        }
    };
    let rows = by_type::capacity_rows(&types, max_eni);
    let out = BufWriter::new(std::io::stdout().lock());
    let written = match format {
        CapacityFormat::Table => by_type::write_table(&rows, out),
        CapacityFormat::Csv => by_type::write_csv(&rows, out),
        CapacityFormat::Json => by_type::write_json(&rows, out),
    };
    written.err().map_or(Exit::Success, |e| stdout_failed(&e))
}

/// Capacity of a scenario's nodegroups (`--scenario`). A signal stops the derived runs:
/// nothing is written and the exit status is 130.
pub fn for_scenario(path: &Path, format: CapacityFormat, allow_large: bool) -> Exit {
    let sc = match super::load_scenario(path, allow_large, "") {
        Ok((sc, _)) => sc,
        Err(exit) => return exit,
    };
    if sc.ipam.calico() {
        eprint_line(&format!(
            "error: {}: capacity derives the VPC CNI's per-node addresses; with ipam.plugin: \
             calico pod addresses come from the Calico pool, not the subnet: run the scenario \
             instead (blocks.csv, summary.json calico)",
            crate::scenario::shown_path(path)
        ));
        return Exit::Invalid;
    }
    let polite = super::polite();
    let Some(groups) = cs::scenario_capacity_until(&sc, &mut || !stop_requested()) else {
        eprint_line("error: interrupted; nothing was reported");
        return Exit::Interrupted;
    };
    drop(polite);
    if stop_requested() {
        eprint_line("error: interrupted; nothing was reported");
        return Exit::Interrupted;
    }
    let out = BufWriter::new(std::io::stdout().lock());
    let written = match format {
        CapacityFormat::Table => cs::write_table(&groups, out),
        CapacityFormat::Csv => cs::write_csv(&groups, out),
        CapacityFormat::Json => cs::write_json(&groups, out),
    };
    written.err().map_or(Exit::Success, |e| stdout_failed(&e))
}
