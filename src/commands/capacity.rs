//! `ipamsim capacity`: per instance type, or for a scenario's nodegroups and subnets.

use super::{eprint_line, print_scenario_errors, stdout_failed, Exit};
use crate::cli::CapacityFormat;
use crate::scenario;
use std::io::BufWriter;
use std::path::Path;

/// Capacity per instance type (`--instance-type`, `--all`).
pub fn by_type(names: &[String], all: bool, format: CapacityFormat) -> Exit {
    use crate::capacity;
    let types = match capacity::select(names, all) {
        Ok(t) => t,
        Err(e) => {
            for line in e.lines() {
                eprint_line(&format!("error: {line}"));
            }
            return Exit::Invalid;
        }
    };
    let rows = capacity::capacity_rows(&types);
    let out = BufWriter::new(std::io::stdout().lock());
    let written = match format {
        CapacityFormat::Table => capacity::write_table(&rows, out),
        CapacityFormat::Csv => capacity::write_csv(&rows, out),
        CapacityFormat::Json => capacity::write_json(&rows, out),
    };
    written.err().map_or(Exit::Success, |e| stdout_failed(&e))
}

/// Capacity of a scenario's nodegroups (`--scenario`).
pub fn for_scenario(path: &Path, format: CapacityFormat) -> Exit {
    use crate::capacity_scenario as cs;
    let sc = match scenario::load(path) {
        Ok(sc) => sc,
        Err(e) => {
            print_scenario_errors(path, &e, "");
            return Exit::Invalid;
        }
    };
    let groups = cs::scenario_capacity(&sc);
    let out = BufWriter::new(std::io::stdout().lock());
    let written = match format {
        CapacityFormat::Table => cs::write_table(&groups, out),
        CapacityFormat::Csv => cs::write_csv(&groups, out),
        CapacityFormat::Json => cs::write_json(&groups, out),
    };
    written.err().map_or(Exit::Success, |e| stdout_failed(&e))
}
