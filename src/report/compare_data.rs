//! `comparison.csv` as the report shows it: the rows in the terminal table's order
//! (`src/compare/table.rs`: by p99 time to running, ties in grid order) and numbered as
//! there, with the figure columns the terminal shows, formatted the same way.

use super::input::CsvIn;
use super::ReportError;
use crate::model::record::WaitCause;
use std::path::Path;

/// How a shown column writes its figure (as the terminal table does).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Show {
    /// Seconds with one decimal.
    Secs,
    /// A count: an integer when it is one, else one decimal.
    Count,
    /// One decimal.
    Mean,
}

/// The terminal table's figure columns: title, `comparison.csv` column, display.
pub const SHOWN: [(&str, &str, Show); 9] = [
    ("IP p50", "time_to_ip_p50_s", Show::Secs),
    ("IP p99", "time_to_ip_p99_s", Show::Secs),
    ("run p99", "time_to_running_p99_s", Show::Secs),
    ("no IP", "pods_never_ip", Show::Count),
    ("no node", "pods_never_scheduled", Show::Count),
    ("peak wt", "peak_waiting_ip", Show::Count),
    ("idle mean", "idle_ips_mean", Show::Mean),
    ("EC2 calls", "ec2_calls_total", Show::Count),
    ("throttled", "ec2_throttled", Show::Count),
];

/// One figure: the mean, its 95 % interval and the paired difference's interval, where
/// `comparison.csv` has them.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Figure {
    /// The mean (the run's figure with one replication).
    pub mean: f64,
    /// `(ci95_low, ci95_high)`.
    pub ci: Option<(f64, f64)>,
    /// `(diff_ci95_low, diff_ci95_high)`.
    pub diff: Option<(f64, f64)>,
}

/// One setting.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CompareRow {
    /// 0-based row in `comparison.csv` (grid order).
    pub grid: usize,
    /// The setting's label.
    pub setting: String,
    /// On the Pareto front.
    pub pareto: bool,
    /// The recommended setting.
    pub recommended: bool,
    /// Meets every objective (`None` without objectives).
    pub slo_met: Option<bool>,
    /// p99 time to running (s).
    pub run_p99: Option<f64>,
    /// Mean idle IPs.
    pub idle_mean: Option<f64>,
    /// One per [`SHOWN`] column (`None`: empty cell or column absent).
    pub shown: Vec<Option<Figure>>,
    /// Pod-seconds waited per cause (indexed as [`WaitCause::ALL`]), when the file has
    /// the `wait_<cause>_s` columns.
    pub waits: Option<[f64; WaitCause::ALL.len()]>,
}

/// `comparison.csv` read.
#[derive(Clone, Debug, Default)]
pub struct CompareData {
    /// Rows in file (grid) order.
    pub rows: Vec<CompareRow>,
    /// Which [`SHOWN`] columns the file has.
    pub has_column: Vec<bool>,
    /// Some row has an objective verdict (`slo_met` not empty).
    pub has_slo: bool,
    /// The grid's settings when the file says the comparison was cut short (`complete` 0).
    pub incomplete_of: Option<u64>,
}

impl CompareData {
    /// The terminal table's order: by p99 time to running (an empty cell as 0), ties in
    /// grid order. Row `k` of the table (numbered `k + 1`) is `rows[order()[k]]`.
    pub fn order(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.rows.len()).collect();
        order.sort_by(|&x, &y| {
            let p = |i: usize| self.rows[i].run_p99.unwrap_or(0.0);
            p(x).total_cmp(&p(y)).then(x.cmp(&y))
        });
        order
    }

    /// Replications: some figure has an interval of non-zero width.
    pub fn replicated(&self) -> bool {
        self.rows.iter().any(|r| {
            r.shown
                .iter()
                .flatten()
                .any(|f| f.ci.is_some_and(|(l, h)| h > l))
        })
    }
}

fn show(v: f64, how: Show) -> String {
    match how {
        Show::Count if v.fract() == 0.0 => format!("{v:.0}"),
        _ => format!("{v:.1}"),
    }
}

/// A cell as the terminal writes it: `-` when empty; with replications a headline figure
/// is `mean±half-width`, with `~` when its paired difference from the baseline's is not
/// significant (its interval contains 0 without being 0 at both ends; not on the baseline).
pub fn cell(f: Option<Figure>, how: Show, replicated: bool, is_base: bool) -> String {
    let Some(f) = f else {
        return "-".into();
    };
    let Some((low, high)) = f.ci.filter(|_| replicated) else {
        return show(f.mean, how);
    };
    let half = (high - low) / 2.0;
    let mut out = if half == 0.0 {
        show(f.mean, how)
    } else {
        format!("{:.1}±{half:.1}", f.mean)
    };
    if !is_base
        && f.diff
            .is_some_and(|(l, h)| l <= 0.0 && 0.0 <= h && (l, h) != (0.0, 0.0))
    {
        out.push('~');
    }
    out
}

/// Reads `comparison.csv`.
pub fn read_comparison(path: &Path) -> Result<CompareData, ReportError> {
    let mut input = CsvIn::open(path)?;
    let [setting, pareto, p99, idle] = input.columns([
        "setting",
        "pareto",
        "time_to_running_p99_s",
        "idle_ips_mean",
    ])?;
    let recommended = input.optional_column("recommended")?;
    let complete = input.optional_column("complete")?;
    let total = input.optional_column("settings_total")?;
    let slo = input.optional_column("slo_met")?;
    let mut shown_idx = Vec::new();
    for (_, name, _) in SHOWN {
        let col = |suffix: &str| format!("{name}{suffix}");
        shown_idx.push((
            input.optional_column(name)?,
            input.optional_column(&col("_ci95_low"))?,
            input.optional_column(&col("_ci95_high"))?,
            input.optional_column(&col("_diff_ci95_low"))?,
            input.optional_column(&col("_diff_ci95_high"))?,
        ));
    }
    let mut wait_idx = Vec::new();
    for c in WaitCause::ALL {
        wait_idx.push(input.optional_column(&format!("wait_{}_s", c.word()))?);
    }
    let wait_idx: Option<Vec<usize>> = wait_idx.into_iter().collect();
    let mut out = CompareData {
        has_column: shown_idx.iter().map(|i| i.0.is_some()).collect(),
        ..CompareData::default()
    };
    input.for_each(|row| {
        let flag = |i: Option<usize>, name: &str| -> Result<Option<bool>, ReportError> {
            match i {
                Some(i) if !row.text(i, name)?.is_empty() => row.flag(i, name).map(Some),
                _ => Ok(None),
            }
        };
        let opt = |i: Option<usize>, name: &str| match i {
            Some(i) => row.optional_number(i, name),
            None => Ok(None),
        };
        let mut shown = Vec::new();
        for (&(mean, lo, hi, dlo, dhi), (_, name, _)) in shown_idx.iter().zip(SHOWN) {
            let pair = |a, b| -> Result<Option<(f64, f64)>, ReportError> {
                Ok(opt(a, name)?.zip(opt(b, name)?))
            };
            shown.push(match opt(mean, name)? {
                Some(m) => Some(Figure {
                    mean: m,
                    ci: pair(lo, hi)?,
                    diff: pair(dlo, dhi)?,
                }),
                None => None,
            });
        }
        let waits = match &wait_idx {
            Some(idx) => {
                let mut w = [0.0; WaitCause::ALL.len()];
                for (slot, (&i, c)) in w.iter_mut().zip(idx.iter().zip(WaitCause::ALL)) {
                    *slot = row
                        .optional_number(i, &format!("wait_{}_s", c.word()))?
                        .unwrap_or(0.0);
                }
                Some(w)
            }
            None => None,
        };
        let slo_met = flag(slo, "slo_met")?;
        out.has_slo |= slo_met.is_some();
        if flag(complete, "complete")? == Some(false) {
            out.incomplete_of = opt(total, "settings_total")?.map(|t| t as u64);
        }
        out.rows.push(CompareRow {
            grid: out.rows.len(),
            setting: row.text(setting, "setting")?.to_string(),
            pareto: flag(Some(pareto), "pareto")?.unwrap_or(false),
            recommended: flag(recommended, "recommended")?.unwrap_or(false),
            slo_met,
            run_p99: row.optional_number(p99, "time_to_running_p99_s")?,
            idle_mean: row.optional_number(idle, "idle_ips_mean")?,
            shown,
            waits,
        });
        Ok(())
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_figure_columns_read_are_ones_compare_writes() {
        use crate::decide::columns::index_of;
        let read = SHOWN.map(|(_, name, _)| name);
        for name in read
            .into_iter()
            .chain(["pareto", "time_to_running_p99_s", "idle_ips_mean"])
        {
            assert!(index_of(name).is_some(), "{name}");
        }
        for c in WaitCause::ALL {
            let name = format!("wait_{}_s", c.word());
            assert!(index_of(&name).is_some(), "{name}");
        }
    }

    #[test]
    fn cells_as_the_terminal_writes_them() {
        let f = |mean, ci, diff| {
            Some(Figure {
                mean,
                ci: Some(ci),
                diff: Some(diff),
            })
        };
        assert_eq!(cell(None, Show::Secs, false, false), "-");
        assert_eq!(
            cell(f(3.0, (3.0, 3.0), (0.0, 0.0)), Show::Count, false, false),
            "3"
        );
        assert_eq!(
            cell(f(2.5, (1.0, 4.0), (-1.0, 2.0)), Show::Secs, true, false),
            "2.5±1.5~"
        );
        assert_eq!(
            cell(f(2.5, (1.0, 4.0), (-1.0, 2.0)), Show::Secs, true, true),
            "2.5±1.5"
        );
        assert_eq!(
            cell(f(2.0, (2.0, 2.0), (1.0, 2.0)), Show::Count, true, false),
            "2"
        );
    }
}
