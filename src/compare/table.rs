//! The comparison on stdout: a table sorted by p99 time to running with the Pareto front
//! marked, a one-line reading against the baseline, and the objectives' verdict. With
//! replications each headline figure is its mean ± the half-width of its 95 % interval,
//! and `~` marks a figure not significantly different from the baseline's.

use super::analysis::{point, Analysis, Comparison, Row, PARETO_DIMENSIONS};
use super::label;
use crate::decide::columns::{self, index_of};
use crate::decide::slo::Op;
use std::fmt::Write as _;

fn col(name: &str) -> usize {
    index_of(name).unwrap_or_else(|| unreachable!("column {name} is in the list"))
}

/// The rows' display order: by p99 time to running, ties in grid order.
pub fn order(a: &Analysis) -> Vec<usize> {
    let mut order: Vec<usize> = (0..a.rows.len()).collect();
    order.sort_by(|&x, &y| {
        point(&a.rows[x])
            .0
            .total_cmp(&point(&a.rows[y]).0)
            .then(x.cmp(&y))
    });
    order
}

/// How a table column shows its figure.
#[derive(Clone, Copy, PartialEq)]
enum Show {
    /// Seconds with one decimal, `-` when nothing was measured.
    Secs,
    /// A count: an integer when it is one.
    Count,
    /// One decimal.
    Mean,
}

/// The table's figure columns: title, minimum width, `comparison.csv` column, display.
const SHOWN: [(&str, usize, &str, Show); 9] = [
    ("IP p50", 8, "time_to_ip_p50_s", Show::Secs),
    ("IP p99", 8, "time_to_ip_p99_s", Show::Secs),
    ("run p99", 8, "time_to_running_p99_s", Show::Secs),
    ("no IP", 6, "pods_never_ip", Show::Count),
    ("no node", 7, "pods_never_scheduled", Show::Count),
    ("peak wt", 7, "peak_waiting_ip", Show::Count),
    ("idle mean", 9, "idle_ips_mean", Show::Mean),
    ("EC2 calls", 9, "ec2_calls_total", Show::Count),
    ("throttled", 9, "ec2_throttled", Show::Count),
];

fn show(v: f64, how: Show) -> String {
    match how {
        Show::Count if v.fract() == 0.0 => format!("{v:.0}"),
        _ => format!("{v:.1}"),
    }
}

/// One cell: the mean (one replication, or no spread), else mean ± half-width, with `~`
/// when it differs from the baseline's but not significantly: the paired difference's
/// interval contains 0 without being 0 in every seed (replications, not the baseline row).
fn cell(row: &Row, name: &str, how: Show, replicated: bool, is_base: bool) -> String {
    let i = col(name);
    let s = row.stats[i];
    let Some(iv) = s.interval else {
        return "-".into();
    };
    let headline = columns::columns()[i].headline;
    if !replicated || !headline {
        return show(iv.mean, how);
    }
    let mut out = if iv.half_width() == 0.0 {
        show(iv.mean, how)
    } else {
        format!("{:.1}±{:.1}", iv.mean, iv.half_width())
    };
    if !is_base
        && s.diff
            .is_some_and(|d| d.contains_zero() && (d.low, d.high) != (0.0, 0.0))
    {
        out.push('~');
    }
    out
}

/// The table and its legend.
pub fn render(c: &Comparison, a: &Analysis) -> String {
    let replicated = c.replications > 1;
    let objectives = !c.objectives.is_empty();
    let width = c
        .settings
        .iter()
        .map(|s| label(&s.setting).len())
        .max()
        .unwrap_or(7)
        .max(7);
    // sweeping the IPAM plugin: show the VPC addresses each consumed
    let vpc = c.keys().iter().any(|k| k == "ipam.plugin");
    let order = order(a);
    let grid: Vec<Vec<String>> = order
        .iter()
        .map(|&i| {
            let row = &a.rows[i];
            let mut cells: Vec<String> = SHOWN
                .iter()
                .map(|&(_, _, name, how)| {
                    cell(row, name, how, replicated, a.baseline_row == Some(i))
                })
                .collect();
            if vpc {
                cells.push(cell(
                    row,
                    "vpc_ips_used_peak",
                    Show::Count,
                    replicated,
                    false,
                ));
            }
            if objectives {
                cells.push(
                    if row.meets_all == Some(true) {
                        "met"
                    } else {
                        "missed"
                    }
                    .into(),
                );
            }
            cells
        })
        .collect();
    let mut titles: Vec<(&str, usize)> = SHOWN.iter().map(|&(t, w, _, _)| (t, w)).collect();
    if vpc {
        titles.push(("VPC IPs", 7));
    }
    if objectives {
        titles.push(("SLO", 6));
    }
    let widths: Vec<usize> = titles
        .iter()
        .enumerate()
        .map(|(k, &(t, w))| {
            grid.iter()
                .map(|r| r[k].chars().count())
                .chain([w, t.len()])
                .max()
                .unwrap_or(w)
        })
        .collect();
    let mut out = String::new();
    let _ = write!(out, "  # P  {:<width$} ", "setting");
    for (&(t, _), w) in titles.iter().zip(&widths) {
        let _ = write!(out, " {t:>w$}");
    }
    out.push('\n');
    for (rank, (&i, cells)) in order.iter().zip(&grid).enumerate() {
        let _ = write!(
            out,
            "{:>3} {}  {:<width$} ",
            rank + 1,
            if a.rows[i].pareto { "*" } else { " " },
            label(&c.settings[i].setting)
        );
        for (v, w) in cells.iter().zip(&widths) {
            let pad = w.saturating_sub(v.chars().count());
            let _ = write!(out, " {}{v}", " ".repeat(pad));
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "* = on the Pareto front of ({}, {}): no other setting is at least as good in both.\n\
         Times (s) are censored: a pod that never got an IP (IP columns) or never ran (run p99, \
         from creation) counts until it was deleted or the run ended.",
        PARETO_DIMENSIONS[0], PARETO_DIMENSIONS[1]
    );
    if replicated {
        let last = c.seed.wrapping_add(u64::from(c.replications) - 1);
        let _ = writeln!(
            out,
            "Figures are means over {} replications (seeds {} to {last}) ± the half-width of \
             their 95 % confidence interval (Student t); ~ = differs from the baseline, {}, \
             but not significantly: the 95 % interval of the paired difference (same seeds) \
             contains 0.",
            c.replications,
            c.seed,
            baseline_name(c)
        );
    }
    out
}

/// The baseline for people: `the scenario as written (LABEL)`, or the first setting's label.
pub fn baseline_name(c: &Comparison) -> String {
    if c.baseline.as_written {
        format!("the scenario as written ({})", c.baseline_label())
    } else {
        c.baseline_label()
    }
}

/// The objectives' verdict: which were applied, how many settings meet them all, and
/// `recommended: LABEL` (or that none meets them). Empty without objectives.
pub fn verdict(c: &Comparison, a: &Analysis) -> String {
    if c.objectives.is_empty() {
        return String::new();
    }
    let list: Vec<&str> = c.objectives.iter().map(|o| o.text.as_str()).collect();
    let ops: Vec<Op> = c.objectives.iter().map(|o| o.op).collect();
    let how = if c.replications <= 1 {
        "judged by each setting's figure"
    } else if ops.iter().all(|&o| o == Op::AtMost) {
        "judged by the upper end of each setting's 95 % interval"
    } else if ops.iter().all(|&o| o == Op::AtLeast) {
        "judged by the lower end of each setting's 95 % interval"
    } else {
        "judged by the unfavourable end of each setting's 95 % interval, upper for <= and lower for >="
    };
    let meeting = a.rows.iter().filter(|r| r.meets_all == Some(true)).count();
    let mut out = format!(
        "objectives: {}, {how}: {meeting} of {} {} every one.\n",
        list.join(", "),
        crate::text::Count(a.rows.len() as u64, "setting", "settings"),
        crate::text::noun(meeting as u64, "meets", "meet")
    );
    match a.recommended {
        Some(i) => {
            let _ = writeln!(out, "recommended: {}", label(&c.settings[i].setting));
        }
        None => out.push_str("recommended: none (no setting meets every objective)\n"),
    }
    out
}

/// Without objectives: one line stating the trade-off between the two ends of the Pareto
/// front — the fastest setting (lowest p99 time to running) and the leanest (fewest idle IPs
/// on average) — and that choosing needs objectives; no pick. `None` with fewer than two
/// rows, or with objectives (the verdict then picks).
pub fn reading(c: &Comparison, a: &Analysis) -> Option<String> {
    if a.rows.len() < 2 || !c.objectives.is_empty() {
        return None;
    }
    let front: Vec<usize> = (0..a.rows.len()).filter(|&i| a.rows[i].pareto).collect();
    let by = |fast: bool| {
        front.iter().copied().min_by(|&x, &y| {
            let ((px, ix), (py, iy)) = (point(&a.rows[x]), point(&a.rows[y]));
            let (first, then) = if fast {
                (px.total_cmp(&py), ix.total_cmp(&iy))
            } else {
                (ix.total_cmp(&iy), px.total_cmp(&py))
            };
            first.then(then).then(x.cmp(&y))
        })
    };
    let (fastest, leanest) = (by(true)?, by(false)?);
    let name = |i: usize| label(&c.settings[i].setting);
    let (pf, if_) = point(&a.rows[fastest]);
    let (pl, il) = point(&a.rows[leanest]);
    if fastest == leanest {
        return Some(format!(
            "{} is both the fastest (p99 time to running {pf:.1} s) and the leanest ({if_:.1} \
             idle IPs mean): it dominates the others on these two.",
            name(fastest)
        ));
    }
    Some(format!(
        "trade-off: fastest {} (p99 time to running {pf:.1} s, {if_:.1} idle IPs mean) … \
         leanest {} ({pl:.1} s, {il:.1} idle IPs): {:.1} s more p99 for {:.1} fewer idle IPs. \
         No pick without objectives: add --slo, e.g. --slo 'p99_time_to_running<={}s', for \
         the leanest setting that meets them.",
        name(fastest),
        name(leanest),
        pl - pf,
        if_ - il,
        pf.ceil().max(1.0)
    ))
}
