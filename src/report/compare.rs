//! The comparison report: the trade-off scatter, the table the terminal prints (same rows,
//! same numbers, same columns) and the pod-seconds waited by cause per setting.

use super::chart::{self, Axis};
use super::compare_data::{cell, CompareData, SHOWN};
use super::html::{Block, Cell, Section, Table};
use super::meta::CompareMeta;
use super::scatter::{scatter_chart, Extras, Guide, ScatterPoint};
use super::ReportError;
use crate::model::record::WaitCause;

/// The intro line of a comparison.
pub fn compare_intro(c: &CompareData, meta: Option<&CompareMeta>) -> String {
    let front = c.rows.iter().filter(|r| r.pareto).count();
    let mut s = format!(
        "Comparison of {}",
        crate::text::Count(c.rows.len() as u64, "setting", "settings")
    );
    if let Some(m) = meta {
        if let Some(sc) = &m.scenario {
            s.push_str(&format!(" of scenario {sc}"));
        }
        let mut bits = Vec::new();
        if let Some(seed) = m.seed {
            bits.push(format!("seed {seed}"));
        }
        if let Some(r) = m.replications {
            bits.push(format!(
                "{r} replication{} per setting",
                if r == 1 { "" } else { "s" }
            ));
        }
        if let Some(v) = &m.ipamsim_version {
            bits.push(format!("ipamsim {v}"));
        }
        if !bits.is_empty() {
            s.push_str(&format!(" ({})", bits.join(", ")));
        }
    }
    s.push_str(&format!(
        "; {front} on the Pareto front of (p99 time to running, mean idle IPs): no other setting is at least as good in both."
    ));
    if let Some(r) = c.rows.iter().find(|r| r.recommended) {
        s.push_str(&format!(" Recommended: {}.", r.setting));
    }
    s
}

fn section(heading: &str, description: String, body: String) -> Block {
    Block::Section(Section {
        heading: heading.into(),
        description,
        body,
    })
}

/// One axis of the scatter: log when the points' values span more than 50×; the range
/// covers the points and `extra` (interval bounds, objective targets; for a log axis the
/// positive ones).
fn scatter_axis(title: &str, values: &[f64], extra: &[f64]) -> Axis {
    let all = values
        .iter()
        .chain(extra)
        .copied()
        .filter(|v| v.is_finite());
    if chart::wants_log(values) {
        let (lo, hi) = all
            .filter(|&v| v > 0.0)
            .fold((f64::INFINITY, 0.0f64), |(lo, hi), v| {
                (lo.min(v), hi.max(v))
            });
        let a = Axis::log(title, lo, hi);
        Axis {
            title: format!("{})", a.title),
            ..a
        }
    } else {
        Axis::linear(&format!("{title})"), chart::range_from_zero(all, 0.12))
    }
}

/// The scatter's axis an objective bounds: `Some(true)` for x (mean idle IPs), `Some(false)`
/// for y (p99 time to running), `None` for every other metric.
fn objective_axis(metric: &str) -> Option<bool> {
    match metric {
        "idle_ips_mean" => Some(true),
        "p99_time_to_running" => Some(false),
        _ => None,
    }
}

/// The trade-off scatter (or a note when nothing can be plotted).
fn scatter(
    c: &CompareData,
    meta: Option<&CompareMeta>,
    order: &[usize],
) -> Result<Block, ReportError> {
    const RUN_P99: usize = 2;
    const IDLE: usize = 6;
    let ci = |r: &super::compare_data::CompareRow, k: usize| r.shown[k].and_then(|f| f.ci);
    let plotted: Vec<(usize, usize)> = order
        .iter()
        .enumerate()
        .filter(|(_, &i)| c.rows[i].idle_mean.is_some() && c.rows[i].run_p99.is_some())
        .map(|(rank, &i)| (rank + 1, i))
        .collect();
    if plotted.is_empty() {
        return Ok(Block::Note(
            "Trade-off chart left out: no setting has both a p99 time to running and a mean idle IPs figure."
                .into(),
        ));
    }
    let settings: Vec<(&str, usize)> = plotted
        .iter()
        .map(|&(rank, i)| (c.rows[i].setting.as_str(), rank))
        .collect();
    let keys = meta.and_then(|m| m.keys.as_deref());
    let (labels, key) = super::labels::point_labels(&settings, keys);
    let replicated = c.replicated();
    let mut points: Vec<ScatterPoint> = plotted
        .iter()
        .zip(labels)
        .map(|(&(_, i), label)| {
            let r = &c.rows[i];
            ScatterPoint {
                label,
                x: r.idle_mean.unwrap_or(0.0),
                y: r.run_p99.unwrap_or(0.0),
                pareto: r.pareto,
                recommended: r.recommended,
                x_ci: ci(r, IDLE).filter(|_| replicated),
                y_ci: ci(r, RUN_P99).filter(|_| replicated),
            }
        })
        .collect();
    // Draw the recommended one last, so its ring is on top.
    points.sort_by_key(|p| p.recommended);
    let objectives = meta.map_or(&[][..], |m| m.objectives.as_slice());
    let bound = |on_x: bool| {
        objectives
            .iter()
            .filter(move |o| objective_axis(&o.metric) == Some(on_x))
            .filter_map(|o| o.target.filter(|t| t.is_finite()).map(|t| (o, t)))
    };
    let extra = |on_x: bool| -> Vec<f64> {
        let mut v: Vec<f64> = bound(on_x).map(|(_, t)| t).collect();
        for p in &points {
            if let Some((lo, hi)) = if on_x { p.x_ci } else { p.y_ci } {
                v.extend([lo, hi]);
            }
        }
        v
    };
    let xs: Vec<f64> = points.iter().map(|p| p.x).collect();
    let ys: Vec<f64> = points.iter().map(|p| p.y).collect();
    let x = scatter_axis("mean idle IPs (IPs", &xs, &extra(true));
    let y = scatter_axis("p99 time to running (s", &ys, &extra(false));
    let mut guides = Vec::new();
    let mut undrawn = Vec::new();
    for o in objectives {
        let axis = match objective_axis(&o.metric) {
            Some(true) => Some(&x),
            Some(false) => Some(&y),
            None => None,
        };
        match (axis, o.target) {
            (Some(a), Some(t)) if t.is_finite() && (!a.log || t > 0.0) => guides.push(Guide {
                text: o.objective.clone(),
                on_x: objective_axis(&o.metric) == Some(true),
                at: t,
            }),
            _ => undrawn.push(o.objective.clone()),
        }
    }
    let mut desc =
        String::from("Each point is one setting, labelled with its swept values as written");
    match &key {
        Some(k) => desc.push_str(&format!(
            " (in the order the legend's \u{201c}{k}\u{201d} gives)"
        )),
        None => desc.push_str(" (its whole label)"),
    }
    desc.push_str(&format!(
        "; a label longer than {} characters is replaced by #N, the setting's row number in the table below. x = mean idle IPs over the run, y = p99 time to running (from creation; a pod that never ran counts until deleted or the end). Lower-left is better; filled points are the Pareto front of these two. An axis whose values span more than 50× is logarithmic.",
        super::labels::MAX_LABEL_CHARS
    ));
    if let Some(r) = c.rows.iter().find(|r| r.recommended) {
        desc.push_str(&format!(
            " The ringed point is the recommended setting, {}: it meets every objective with the fewest mean idle IPs.",
            r.setting
        ));
    }
    if points
        .iter()
        .any(|p| p.x_ci.is_some_and(|(l, h)| h > l) || p.y_ci.is_some_and(|(l, h)| h > l))
    {
        desc.push_str(" Error bars span each mean's 95 % confidence interval over the replications (comparison.csv's _ci95_low and _ci95_high), on both axes.");
    }
    if !guides.is_empty() {
        let names: Vec<&str> = guides.iter().map(|g| g.text.as_str()).collect();
        desc.push_str(&format!(
            " Dashed lines: the objective{} {}, drawn at {} target.",
            if names.len() == 1 { "" } else { "s" },
            names.join(", "),
            if names.len() == 1 { "its" } else { "their" }
        ));
        if replicated {
            desc.push_str(" With replications a setting is judged by its interval's unfavourable end, not its mean, so a point on the good side of a line can still miss it.");
        }
    }
    if !undrawn.is_empty() {
        desc.push_str(&format!(
            " Not drawable on these axes (judged all the same; see the SLO column): {}.",
            undrawn.join(", ")
        ));
    }
    let skipped = c.rows.len() - points.len();
    if skipped > 0 {
        desc.push_str(&format!(
            " {} without both values {} not plotted.",
            crate::text::Count(skipped as u64, "setting", "settings"),
            crate::text::noun(skipped as u64, "is", "are")
        ));
    }
    let extras = Extras { guides, key };
    Ok(section(
        "Trade-off: idle IPs vs. p99 time to running",
        desc,
        scatter_chart(&points, &x, &y, &extras)?,
    ))
}

/// The comparison's blocks.
pub fn compare_blocks(
    c: &CompareData,
    meta: Option<&CompareMeta>,
) -> Result<Vec<Block>, ReportError> {
    let order = c.order();
    let mut out = Vec::new();
    if let Some(total) = c.incomplete_of {
        out.push(Block::Note(format!(
            "This comparison is incomplete: it was interrupted after {} of its {total} \
             settings; the charts and the table show only those (run compare again for the \
             rest).",
            c.rows.len()
        )));
    }
    out.push(scatter(c, meta, &order)?);
    out.push(section(
        "Settings compared",
        table_description(c),
        table(c, meta, &order).render(),
    ));
    out.extend(waits(c, &order)?);
    Ok(out)
}

fn table_description(c: &CompareData) -> String {
    let mut d = String::from(
        "The table ipamsim compare prints: rows sorted by p99 time to running (ties in grid order) and numbered as there; * and the highlight mark the Pareto front. Times (s) are censored: a pod that never got an IP (IP columns) or never ran (run p99, from creation) counts until it was deleted or the run ended; IP p50/p99 run from binding, no IP and no node count pods, peak wt the most pods waiting for an IP at once.",
    );
    if c.replicated() {
        d.push_str(" Figures are means ± the half-width of their 95 % interval; ~ = not significantly different from the baseline.");
    }
    if c.rows.iter().any(|r| r.recommended) {
        d.push_str(" The outlined row is the recommended setting.");
    }
    d.push_str(" comparison.csv has every column.");
    d
}

fn table(c: &CompareData, meta: Option<&CompareMeta>, order: &[usize]) -> Table {
    let replicated = c.replicated();
    let base = meta
        .and_then(|m| m.baseline.as_ref())
        .and_then(|b| b.row)
        .map(|r| r.saturating_sub(1));
    let shown: Vec<usize> = (0..SHOWN.len()).filter(|&k| c.has_column[k]).collect();
    let mut header = vec!["#", "P", "setting"];
    header.extend(shown.iter().map(|&k| SHOWN[k].0));
    if c.has_slo {
        header.push("SLO");
    }
    let mut t = Table::new(&header);
    for (rank, &i) in order.iter().enumerate() {
        let r = &c.rows[i];
        let mut cells = vec![
            Cell::Num((rank + 1).to_string()),
            Cell::Text(if r.pareto { "*" } else { "" }.into()),
            Cell::Text(r.setting.clone()),
        ];
        for &k in &shown {
            cells.push(Cell::Num(cell(
                r.shown[k],
                SHOWN[k].2,
                replicated,
                base == Some(i),
            )));
        }
        if c.has_slo {
            let v = if r.slo_met == Some(true) {
                "met"
            } else {
                "missed"
            };
            cells.push(Cell::Text(v.into()));
        }
        let class = match (r.recommended, r.pareto) {
            (true, _) => Some("recommended"),
            (false, true) => Some("pareto"),
            _ => None,
        };
        t.rows.push((class, cells));
    }
    t
}

fn waits(c: &CompareData, order: &[usize]) -> Result<Vec<Block>, ReportError> {
    if c.rows.iter().any(|r| r.waits.is_none()) || c.rows.is_empty() {
        return Ok(vec![Block::Note(
            "Pod-seconds by cause per setting left out: comparison.csv has no wait_<cause>_s columns (written by an older ipamsim)."
                .into(),
        )]);
    }
    let sum = |cause: &WaitCause| -> f64 {
        c.rows
            .iter()
            .filter_map(|r| r.waits.map(|w| w[cause.index()]))
            .sum()
    };
    // By pod-seconds over every setting, largest first (ties in cause order).
    let mut present: Vec<WaitCause> = WaitCause::ALL
        .into_iter()
        .filter(|cause| {
            c.rows
                .iter()
                .any(|r| r.waits.is_some_and(|w| w[cause.index()] > 0.0))
        })
        .collect();
    present.sort_by(|a, b| sum(b).total_cmp(&sum(a)));
    if present.is_empty() {
        return Ok(vec![Block::Note(
            "Pod-seconds by cause per setting left out: no pod waited in any setting.".into(),
        )]);
    }
    let mut header = vec!["#", "setting"];
    header.extend(present.iter().map(|c| c.word()));
    header.push("all causes");
    let mut t = Table::new(&header);
    for (rank, &i) in order.iter().enumerate() {
        let r = &c.rows[i];
        let w = r.waits.unwrap_or_default();
        let mut cells = vec![
            Cell::Num((rank + 1).to_string()),
            Cell::Text(r.setting.clone()),
        ];
        cells.extend(
            present
                .iter()
                .map(|cause| Cell::Num(format!("{:.1}", w[cause.index()]))),
        );
        cells.push(Cell::Num(format!("{:.1}", w.iter().sum::<f64>())));
        t.rows.push((None, cells));
    }
    Ok(vec![section(
        "Why pods waited, per setting",
        "Pod-seconds every pod waited, from creation until it ran, was deleted or the run ended, by cause (comparison.csv's wait_<cause>_s; means over replications), numbered as in the table above; causes in order of their pod-seconds over all settings, largest first, those no setting waited for left out.".into(),
        t.render(),
    )])
}
