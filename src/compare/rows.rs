//! `comparison.csv` and `comparison.json` from a [`Comparison`] and its [`Analysis`]: one
//! typed row of cells per setting, written through the csv crate and serde_json.
//!
//! Columns: `setting`, one per swept key, every [`columns`] figure (the mean over
//! replications), then per headline metric `<m>_mean`, `<m>_ci95_low`, `<m>_ci95_high`,
//! `<m>_diff_mean`, `<m>_diff_ci95_low`, `<m>_diff_ci95_high`, then `slo_met` and
//! `recommended`. Time columns are censored: a pod that never got an IP (or never ran)
//! counts with its wait until it was deleted or the run ended.

use super::analysis::{written, Analysis, Comparison, Row, PARETO_DIMENSIONS};
use super::label;
use crate::decide::columns::{self, Kind};
use crate::decide::slo::{Objective, Outcome};
use crate::decide::stats::Interval;
use crate::output::csv_files::io_error;
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{self, Write};

/// One cell after the setting's values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Cell {
    /// A whole number.
    Int(u64),
    /// A number with up to 3 decimals.
    Num(f64),
    /// Nothing to write (empty in CSV, `null` in JSON).
    Empty,
}

impl Serialize for Cell {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            Cell::Int(n) => s.serialize_u64(n),
            Cell::Num(x) => s.serialize_f64(x),
            Cell::Empty => s.serialize_none(),
        }
    }
}

/// The suffixes of a headline metric's statistics columns, in order.
pub const STAT_SUFFIXES: [&str; 6] = [
    "_mean",
    "_ci95_low",
    "_ci95_high",
    "_diff_mean",
    "_diff_ci95_low",
    "_diff_ci95_high",
];

/// The names of every column after the swept keys.
pub fn cell_names() -> Vec<String> {
    let cols = columns::columns();
    let mut out: Vec<String> = cols.iter().map(|c| c.name.clone()).collect();
    for c in cols.iter().filter(|c| c.headline) {
        out.extend(STAT_SUFFIXES.iter().map(|s| format!("{}{s}", c.name)));
    }
    out.push("slo_met".into());
    out.push("recommended".into());
    out
}

/// The header of `comparison.csv` for the swept `keys`: then, after the cells, `complete`
/// (1 when every setting of the grid finished, 0 when the comparison was cut short) and
/// `settings_total` (the grid's settings), the same on every row.
pub fn header(keys: &[String]) -> Vec<String> {
    let mut cols = vec!["setting".to_string()];
    cols.extend(keys.iter().cloned());
    cols.extend(cell_names());
    cols.push("complete".into());
    cols.push("settings_total".into());
    cols
}

fn num(v: Option<f64>) -> Cell {
    v.map_or(Cell::Empty, |x| Cell::Num(written(x)))
}

fn flag(b: bool) -> Cell {
    Cell::Int(u64::from(b))
}

/// A row's cells, named as [`cell_names`].
pub fn cells(row: &Row) -> Vec<Cell> {
    let cols = columns::columns();
    let mut out: Vec<Cell> = cols
        .iter()
        .enumerate()
        .map(|(i, c)| match c.kind {
            Kind::Pareto => flag(row.pareto),
            Kind::Decimal => num(row.stats[i].interval.map(|s| s.mean)),
            Kind::Count => match row.mean(i) {
                Some(m) if m.fract() == 0.0 && m >= 0.0 => Cell::Int(m as u64),
                m => num(m),
            },
        })
        .collect();
    let parts = |i: Option<Interval>| [i.map(|i| i.mean), i.map(|i| i.low), i.map(|i| i.high)];
    for (i, _) in cols.iter().enumerate().filter(|(_, c)| c.headline) {
        let s = row.stats[i];
        out.extend(parts(s.interval).into_iter().map(num));
        out.extend(parts(s.diff).into_iter().map(num));
    }
    out.push(row.meets_all.map_or(Cell::Empty, flag));
    out.push(flag(row.recommended));
    out
}

/// Writes `comparison.csv`: one row per finished setting, in grid order.
pub fn write_csv<W: Write>(w: W, c: &Comparison, a: &Analysis) -> io::Result<()> {
    let mut out = csv::WriterBuilder::new().has_headers(false).from_writer(w);
    out.write_record(header(&c.keys()))?;
    let (complete, total) = (u8::from(c.complete()), c.settings_total());
    for (s, row) in c.settings.iter().zip(&a.rows) {
        let label = label(&s.setting);
        let values: Vec<&str> = s.setting.iter().map(|(_, v)| v.as_str()).collect();
        out.serialize((label.as_str(), values, cells(row), complete, total))
            .map_err(io_error)?;
    }
    out.flush()
}

/// One row of `comparison.json`: `row`, `setting`, `values`, every `comparison.csv` cell by
/// its column name, and (with objectives) `slo`.
pub struct JsonRow<'a> {
    /// 1-based row number.
    pub row: usize,
    /// The setting's label.
    pub setting: String,
    /// The swept keys and their values (keys sorted).
    pub values: BTreeMap<&'a str, &'a str>,
    /// The cells.
    pub cells: Vec<Cell>,
    /// Each objective's outcome.
    pub slo: &'a [Outcome],
}

impl Serialize for JsonRow<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let names = cell_names();
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("row", &self.row)?;
        m.serialize_entry("setting", &self.setting)?;
        m.serialize_entry("values", &self.values)?;
        for (name, cell) in names.iter().zip(&self.cells) {
            m.serialize_entry(name, cell)?;
        }
        if !self.slo.is_empty() {
            m.serialize_entry("slo", self.slo)?;
        }
        m.end()
    }
}

/// A row named by number and label (`baseline`, `recommended`).
#[derive(Serialize)]
pub struct RowRef {
    /// 1-based row number; `null` when the setting did not finish.
    pub row: Option<usize>,
    /// The setting's label.
    pub setting: String,
}

/// `comparison.json`'s `baseline`.
#[derive(Serialize)]
pub struct BaselineJson {
    /// The row.
    #[serde(flatten)]
    pub at: RowRef,
    /// It is the scenario as written (else the first combination).
    pub as_written: bool,
}

/// An objective in `comparison.json`.
#[derive(Serialize)]
pub struct ObjectiveJson<'a> {
    /// As written, e.g. `p99_time_to_ip<=10s`.
    pub objective: &'a str,
    /// The metric.
    pub metric: &'static str,
    /// `<=` or `>=`.
    pub op: &'static str,
    /// The bound (seconds for times).
    pub target: f64,
}

impl<'a> From<&'a Objective> for ObjectiveJson<'a> {
    fn from(o: &'a Objective) -> Self {
        ObjectiveJson {
            objective: &o.text,
            metric: o.metric.name(),
            op: o.op.symbol(),
            target: o.target,
        }
    }
}

/// `comparison.json` (and `compare --format json` on stdout).
#[derive(Serialize)]
pub struct ComparisonJson<'a> {
    /// The version of ipamsim that ran.
    pub ipamsim_version: &'static str,
    /// Scenario name.
    pub scenario: &'a str,
    /// SHA-256 of the scenario file (hex).
    pub scenario_sha256: &'a str,
    /// Seed of the first replication (replication r uses seed + r − 1).
    pub seed: u64,
    /// The swept keys, in axis order.
    pub keys: Vec<String>,
    /// The Pareto front's objectives (both minimized).
    pub pareto_dimensions: [&'static str; 2],
    /// Replications per setting.
    pub replications: u32,
    /// The setting the `_diff_` columns are taken against.
    pub baseline: BaselineJson,
    /// The objectives.
    pub objectives: Vec<ObjectiveJson<'a>>,
    /// The recommended setting; `null` without objectives or when none meets them all.
    pub recommended: Option<RowRef>,
    /// Every setting of the grid finished; `false` when a signal cut the comparison short
    /// (then `rows` holds only the finished ones).
    pub complete: bool,
    /// The grid's settings, finished or not.
    pub settings_total: usize,
    /// Rows in grid order (finished settings only).
    pub rows: Vec<JsonRow<'a>>,
}

/// Builds `comparison.json`.
pub fn json<'a>(c: &'a Comparison, a: &'a Analysis) -> ComparisonJson<'a> {
    let at = |i: usize| RowRef {
        row: Some(i + 1),
        setting: label(&c.settings[i].setting),
    };
    ComparisonJson {
        ipamsim_version: env!("CARGO_PKG_VERSION"),
        scenario: &c.scenario,
        scenario_sha256: &c.sha256,
        seed: c.seed,
        keys: c.keys(),
        pareto_dimensions: PARETO_DIMENSIONS,
        replications: c.replications,
        baseline: BaselineJson {
            at: a.baseline_row.map_or_else(
                || RowRef {
                    row: None,
                    setting: c.baseline_label(),
                },
                at,
            ),
            as_written: c.baseline.as_written,
        },
        objectives: c.objectives.iter().map(ObjectiveJson::from).collect(),
        recommended: a.recommended.map(at),
        complete: c.complete(),
        settings_total: c.settings_total(),
        rows: c
            .settings
            .iter()
            .zip(&a.rows)
            .enumerate()
            .map(|(i, (s, row))| JsonRow {
                row: i + 1,
                setting: label(&s.setting),
                values: s
                    .setting
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect(),
                cells: cells(row),
                slo: &row.slo,
            })
            .collect(),
    }
}

/// `comparison.json`'s text: pretty-printed, with a final newline.
pub fn json_text(c: &Comparison, a: &Analysis) -> String {
    serde_json::to_string_pretty(&json(c, a)).unwrap_or_default() + "\n"
}
