//! `ipamsim capacity`: per instance type, or for a scenario's nodegroups and subnets
//! (docs/capacity.md).

use super::{stdout_failed, stop_requested, Error, Exit};
use crate::capacity::{by_type, scenario as cs};
use std::io::BufWriter;
use std::path::{Path, PathBuf};

/// `ipamsim capacity`'s flags.
#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// Instance type to show (repeatable), e.g. `--instance-type m5.large`.
    #[arg(long = "instance-type", short = 't', value_name = "T")]
    pub instance_type: Vec<String>,
    /// Show every instance type in the catalog (1,391), sorted by name.
    #[arg(long)]
    pub all: bool,
    /// Output format: an aligned table, CSV, or JSON.
    #[arg(long, value_enum, default_value_t = CapacityFormat::Table)]
    pub format: CapacityFormat,
    /// The max-pods calculator's `--cni-max-eni N`: its values count at most N ENIs.
    #[arg(long, value_name = "N", conflicts_with = "scenario",
          value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub max_eni: Option<u32>,
    /// Scenario file (YAML): per nodegroup, the IPs one node holds with no workload pods
    /// and at max pods (simulated), and how many more nodes fit in each subnet.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["instance_type", "all"])]
    pub scenario: Option<PathBuf>,
    /// With `--scenario`: lift the work budget (docs/scenario-input.md).
    #[arg(long)]
    pub allow_large: bool,
}

/// Output format of `capacity`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CapacityFormat {
    /// Aligned columns with a legend.
    Table,
    /// CSV with a header row.
    Csv,
    /// JSON: an array with one object per instance type, or per nodegroup with
    /// `--scenario`.
    Json,
}

/// Capacity for a scenario (`--scenario`), else per instance type.
pub fn capacity(a: &Args) -> Result<(), Error> {
    match &a.scenario {
        Some(path) => for_scenario(path, a.format, a.allow_large),
        None => by_type(&a.instance_type, a.all, a.format, a.max_eni),
    }
}

/// Capacity per instance type (`--instance-type`, `--all`), the calculator's values with
/// at most `max_eni` ENIs (`--max-eni`).
pub fn by_type(
    names: &[String],
    all: bool,
    format: CapacityFormat,
    max_eni: Option<u32>,
) -> Result<(), Error> {
    let types = by_type::select(names, all).map_err(|e| {
        Error::lines(
            Exit::Invalid,
            e.lines().map(|line| format!("error: {line}")).collect(),
        )
    })?;
    let rows = by_type::capacity_rows(&types, max_eni);
    let out = BufWriter::new(std::io::stdout().lock());
    let written = match format {
        CapacityFormat::Table => by_type::write_table(&rows, out),
        CapacityFormat::Csv => by_type::write_csv(&rows, out),
        CapacityFormat::Json => by_type::write_json(&rows, out),
    };
    written.map_err(|e| stdout_failed(&e))
}

/// Capacity of a scenario's nodegroups (`--scenario`). A signal stops the derived runs:
/// nothing is written and the exit status is 130.
pub fn for_scenario(path: &Path, format: CapacityFormat, allow_large: bool) -> Result<(), Error> {
    let (sc, _) = super::load_scenario(path, allow_large, "")?;
    if sc.ipam.calico() {
        return Err(Error::invalid(format_args!(
            "{}: capacity derives the VPC CNI's per-node addresses; with ipam.plugin: \
             calico pod addresses come from the Calico pool, not the subnet: run the scenario \
             instead (blocks.csv, summary.json calico)",
            crate::scenario::shown_path(path)
        )));
    }
    let interrupted = || Error::interrupted("error: interrupted; nothing was reported");
    let polite = super::polite();
    let groups =
        cs::scenario_capacity_until(&sc, &mut || !stop_requested()).ok_or_else(interrupted)?;
    drop(polite);
    if stop_requested() {
        return Err(interrupted());
    }
    let out = BufWriter::new(std::io::stdout().lock());
    let written = match format {
        CapacityFormat::Table => cs::write_table(&groups, out),
        CapacityFormat::Csv => cs::write_csv(&groups, out),
        CapacityFormat::Json => cs::write_json(&groups, out),
    };
    written.map_err(|e| stdout_failed(&e))
}
