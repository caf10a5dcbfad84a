//! From the runs to the decision: per setting and column, the mean over replications with
//! its 95 % interval and the paired difference against the baseline; the Pareto front;
//! each setting's objectives; the recommendation. The same [`Comparison`] gives the same
//! [`Analysis`] whether its runs came from one `compare` or from merged shards.

use super::{label, Axis, Setting};
use crate::decide::columns::{self, Figures, Kind};
use crate::decide::recommend::{recommend, Candidate};
use crate::decide::slo::{Objective, Op, Outcome};
use crate::decide::stats::Interval;
use serde::{Deserialize, Serialize};

/// Every run of one setting.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SettingRuns {
    /// 0-based index in grid (combination) order.
    pub index: usize,
    /// The setting.
    pub setting: Setting,
    /// One run's figures per replication, in seed order (seed, seed + 1, ...).
    pub runs: Vec<Figures>,
}

/// The setting the paired differences are taken against.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Baseline {
    /// Its 0-based grid index.
    pub index: usize,
    /// It is the scenario as written (else it is the first combination, none being).
    pub as_written: bool,
}

/// What a comparison's outputs are made from.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    /// Scenario name.
    pub scenario: String,
    /// SHA-256 of the scenario file (hex).
    pub sha256: String,
    /// The first replication's seed.
    pub seed: u64,
    /// Replications per setting.
    pub replications: u32,
    /// The swept settings.
    pub axes: Vec<Axis>,
    /// The baseline.
    pub baseline: Baseline,
    /// The objectives every setting is judged by.
    pub objectives: Vec<Objective>,
    /// The finished settings (every replication done), in grid order.
    pub settings: Vec<SettingRuns>,
}

impl Comparison {
    /// The swept keys, in axis order.
    pub fn keys(&self) -> Vec<String> {
        self.axes.iter().map(|a| a.key.clone()).collect()
    }

    /// Settings of the whole grid (combinations), finished or not.
    pub fn settings_total(&self) -> usize {
        super::combinations(&self.axes).len()
    }

    /// Every setting of the grid finished (a comparison cut short by a signal is not).
    pub fn complete(&self) -> bool {
        self.settings.len() == self.settings_total()
    }

    /// The baseline's label.
    pub fn baseline_label(&self) -> String {
        super::combinations(&self.axes)
            .get(self.baseline.index)
            .map(label)
            .unwrap_or_default()
    }
}

/// One column's statistics for one setting.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stat {
    /// Over the replications that have the figure; `None` when none has.
    pub interval: Option<Interval>,
    /// Of the setting's figure minus the baseline's, paired by seed; `None` without pairs
    /// (or the baseline not finished).
    pub diff: Option<Interval>,
}

/// One setting's analysis.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// Per column (the Pareto column's is empty).
    pub stats: Vec<Stat>,
    /// On the Pareto front.
    pub pareto: bool,
    /// Per objective.
    pub slo: Vec<Outcome>,
    /// Meets every objective; `None` without objectives.
    pub meets_all: Option<bool>,
    /// The recommended setting.
    pub recommended: bool,
}

/// The analysis of a comparison: one [`Row`] per finished setting.
#[derive(Clone, Debug, PartialEq)]
pub struct Analysis {
    /// In the comparison's setting order.
    pub rows: Vec<Row>,
    /// The baseline's row, when it finished.
    pub baseline_row: Option<usize>,
    /// The recommended row (objectives given and met by some setting).
    pub recommended: Option<usize>,
}

/// `v` as `comparison.csv` writes it: rounded to thousandths, never `-0`.
pub fn written(v: f64) -> f64 {
    let r = columns::to_milli(v) as f64 / 1000.0;
    if r == 0.0 {
        0.0
    } else {
        r
    }
}

impl Row {
    /// The written mean of column `col`.
    pub fn mean(&self, col: usize) -> Option<f64> {
        self.stats[col].interval.map(|i| written(i.mean))
    }
}

/// The Pareto front's objectives, both minimized, by column.
pub const PARETO_DIMENSIONS: [&str; 2] = ["time_to_running_p99_s", "idle_ips_mean"];

/// Whether each point is on the Pareto front: no other point is at least as good in both
/// objectives and better in one.
pub fn pareto_of(points: &[(f64, f64)]) -> Vec<bool> {
    points
        .iter()
        .map(|a| {
            !points
                .iter()
                .any(|b| b.0 <= a.0 && b.1 <= a.1 && (b.0 < a.0 || b.1 < a.1))
        })
        .collect()
}

fn column(name: &str) -> usize {
    columns::index_of(name).unwrap_or_else(|| unreachable!("column {name} is in the list"))
}

/// The Pareto point of a row: written mean p99 time to running (0 with nothing measured)
/// and mean idle IPs.
pub fn point(row: &Row) -> (f64, f64) {
    let [t, i] = PARETO_DIMENSIONS.map(column);
    (row.mean(t).unwrap_or(0.0), row.mean(i).unwrap_or(0.0))
}

fn values(runs: &[Figures], col: usize) -> Vec<f64> {
    runs.iter()
        .filter_map(|f| f[col])
        .map(|k| k as f64 / 1000.0)
        .collect()
}

fn differences(runs: &[Figures], base: &[Figures], col: usize) -> Vec<f64> {
    runs.iter()
        .zip(base)
        .filter_map(|(a, b)| Some((a[col]? - b[col]?) as f64 / 1000.0))
        .collect()
}

/// Judges one objective for a setting: with one replication by the mean, with more by the
/// bound of the 95 % interval on the unfavourable side. A setting in which some replication
/// has nothing to measure misses it.
fn judge(o: &Objective, stats: &[Stat], replications: usize) -> Outcome {
    let col = column(o.metric.column());
    let judged_by = match (replications, o.op) {
        (0 | 1, _) => "mean",
        (_, Op::AtMost) => "ci95_high",
        (_, Op::AtLeast) => "ci95_low",
    };
    let value = stats[col]
        .interval
        .filter(|i| i.n == replications.max(1))
        .map(|i| {
            written(match judged_by {
                "ci95_high" => i.high,
                "ci95_low" => i.low,
                _ => i.mean,
            })
        });
    o.outcome(value, Some(judged_by))
}

/// Analyses a comparison.
pub fn analyse(c: &Comparison) -> Analysis {
    let baseline_row = c.settings.iter().position(|s| s.index == c.baseline.index);
    let base_runs = baseline_row.map(|b| &c.settings[b].runs);
    let n_cols = columns::columns().len();
    let mut rows: Vec<Row> = c
        .settings
        .iter()
        .map(|s| {
            let stats: Vec<Stat> = (0..n_cols)
                .map(|col| {
                    if columns::columns()[col].kind == Kind::Pareto {
                        return Stat {
                            interval: None,
                            diff: None,
                        };
                    }
                    Stat {
                        interval: Interval::of(&values(&s.runs, col)),
                        diff: base_runs.and_then(|b| Interval::of(&differences(&s.runs, b, col))),
                    }
                })
                .collect();
            let slo: Vec<Outcome> = c
                .objectives
                .iter()
                .map(|o| judge(o, &stats, s.runs.len()))
                .collect();
            let meets_all = (!slo.is_empty()).then(|| slo.iter().all(|o| o.met));
            Row {
                stats,
                pareto: false,
                slo,
                meets_all,
                recommended: false,
            }
        })
        .collect();
    let points: Vec<(f64, f64)> = rows.iter().map(point).collect();
    for (r, on) in rows.iter_mut().zip(pareto_of(&points)) {
        r.pareto = on;
    }
    let recommended = if c.objectives.is_empty() {
        None
    } else {
        let (idle, calls) = (column("idle_ips_mean"), column("ec2_calls_total"));
        let candidates: Vec<Candidate> = rows
            .iter()
            .map(|r| Candidate {
                meets_all: r.meets_all == Some(true),
                idle_ips_mean: r.mean(idle).unwrap_or(f64::INFINITY),
                ec2_calls: r.mean(calls).unwrap_or(f64::INFINITY),
            })
            .collect();
        recommend(&candidates)
    };
    if let Some(i) = recommended {
        rows[i].recommended = true;
    }
    Analysis {
        rows,
        baseline_row,
        recommended,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decide::slo::parse_objective;

    #[test]
    fn pareto_front_of_two_objectives() {
        // (10, 5) and (20, 1) trade off; (20, 6) is dominated by (10, 5); (10, 5) twice: both
        // on the front (neither is strictly better)
        let f = pareto_of(&[(10.0, 5.0), (20.0, 1.0), (20.0, 6.0), (10.0, 5.0)]);
        assert_eq!(f, vec![true, true, false, true]);
    }

    /// A figures vector with `idle` mean idle IPs and `p99` s time to IP p99 (thousandths).
    fn figs(idle: i64, p99: Option<i64>) -> Figures {
        let mut f: Figures = vec![Some(0); columns::columns().len()];
        f[column("pareto")] = None;
        f[column("idle_ips_mean")] = Some(idle);
        f[column("time_to_ip_p99_s")] = p99;
        f
    }

    fn comparison(settings: Vec<Vec<Figures>>, objectives: &[&str]) -> Comparison {
        let n = settings.len();
        Comparison {
            scenario: "t".into(),
            sha256: String::new(),
            seed: 1,
            replications: settings[0].len() as u32,
            axes: vec![Axis {
                key: "WARM_IP_TARGET".into(),
                values: (0..n).map(|i| i.to_string()).collect(),
            }],
            baseline: Baseline {
                index: 0,
                as_written: true,
            },
            objectives: objectives
                .iter()
                .map(|o| parse_objective(o).unwrap())
                .collect(),
            settings: settings
                .into_iter()
                .enumerate()
                .map(|(i, runs)| SettingRuns {
                    index: i,
                    setting: vec![("WARM_IP_TARGET".into(), i.to_string())],
                    runs,
                })
                .collect(),
        }
    }

    #[test]
    fn paired_differences_and_the_unfavourable_bound() {
        // baseline p99 10, 12, 14 s; setting 1 is 1 s faster in every seed: the paired
        // difference is exactly −1 with zero width although each mean's interval is wide
        let c = comparison(
            vec![
                vec![
                    figs(5000, Some(10_000)),
                    figs(5000, Some(12_000)),
                    figs(5000, Some(14_000)),
                ],
                vec![
                    figs(4000, Some(9_000)),
                    figs(4000, Some(11_000)),
                    figs(4000, Some(13_000)),
                ],
            ],
            &["p99_time_to_ip<=15s"],
        );
        let a = analyse(&c);
        let col = column("time_to_ip_p99_s");
        let s = a.rows[1].stats[col];
        let d = s.diff.unwrap();
        assert_eq!((d.mean, d.low, d.high), (-1.0, -1.0, -1.0));
        // mean 11, sd 2, half-width t(2)·2/√3 = 4.968: upper bound 15.968 > 15 → missed
        let i = s.interval.unwrap();
        assert!((i.high - 15.968275).abs() < 1e-6, "{i:?}");
        assert_eq!(a.rows[1].slo[0].judged_by, Some("ci95_high"));
        assert_eq!(a.rows[1].slo[0].value, Some(15.968));
        assert_eq!(a.rows[1].meets_all, Some(false));
        assert_eq!(a.recommended, None);
    }

    #[test]
    fn recommendation_and_missing_figures() {
        // one replication each; setting 2 has no time to IP (no pod bound): it misses
        let c = comparison(
            vec![
                vec![figs(9000, Some(5_000))],
                vec![figs(3000, Some(8_000))],
                vec![figs(1000, None)],
            ],
            &["p99_time_to_ip<=10s"],
        );
        let a = analyse(&c);
        assert_eq!(a.rows[2].slo[0].value, None);
        assert_eq!(a.rows[2].meets_all, Some(false));
        assert_eq!(a.rows[0].slo[0].judged_by, Some("mean"));
        assert_eq!(a.recommended, Some(1));
        assert!(a.rows[1].recommended);
        // without objectives nothing is recommended
        let mut c = c;
        c.objectives.clear();
        assert_eq!(analyse(&c).recommended, None);
    }
}
