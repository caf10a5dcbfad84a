//! The comparison report: the trade-off scatter, the table the terminal prints (same rows,
//! same numbers, same columns) and the pod-seconds waited by cause per setting.

use super::chart::{self, Axis};
use super::compare_data::{cell, CompareData, SHOWN};
use super::html::{Block, Cell, Section, Table};
use super::meta::CompareMeta;
use super::scatter::{scatter_chart, ScatterPoint};
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

/// One axis of the scatter: log when the values span more than 50×.
fn scatter_axis(title: &str, values: &[f64]) -> Axis {
    if chart::wants_log(values) {
        let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = values.iter().copied().fold(0.0, f64::max);
        let a = Axis::log(title, lo, hi);
        Axis {
            title: format!("{})", a.title),
            ..a
        }
    } else {
        Axis::linear(
            &format!("{title})"),
            chart::range_from_zero(values.iter().copied(), 0.12),
        )
    }
}

/// The comparison's blocks.
pub fn compare_blocks(
    c: &CompareData,
    meta: Option<&CompareMeta>,
) -> Result<Vec<Block>, ReportError> {
    let order = c.order();
    let mut out = Vec::new();
    let points: Vec<ScatterPoint> = order
        .iter()
        .enumerate()
        .filter_map(|(rank, &i)| {
            let r = &c.rows[i];
            Some(ScatterPoint {
                row: rank + 1,
                x: r.idle_mean?,
                y: r.run_p99?,
                pareto: r.pareto,
            })
        })
        .collect();
    let skipped = c.rows.len() - points.len();
    if points.is_empty() {
        out.push(Block::Note(
            "Trade-off chart left out: no setting has both a p99 time to running and a mean idle IPs figure."
                .into(),
        ));
    } else {
        let xs: Vec<f64> = points.iter().map(|p| p.x).collect();
        let ys: Vec<f64> = points.iter().map(|p| p.y).collect();
        let x = scatter_axis("mean idle IPs (IPs", &xs);
        let y = scatter_axis("p99 time to running (s", &ys);
        let mut desc = String::from(
            "Each point is one setting, labelled with its row number in the table below (the terminal table's numbering): x = mean idle IPs over the run, y = p99 time to running (from creation; a pod that never ran counts until deleted or the end). Lower-left is better; filled points are the Pareto front of these two. An axis whose values span more than 50× is logarithmic.",
        );
        if skipped > 0 {
            desc.push_str(&format!(
                " {} without both values {} not plotted.",
                crate::text::Count(skipped as u64, "setting", "settings"),
                crate::text::noun(skipped as u64, "is", "are")
            ));
        }
        out.push(section(
            "Trade-off: idle IPs vs. p99 time to running",
            desc,
            scatter_chart(&points, &x, &y)?,
        ));
    }
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
    let present: Vec<WaitCause> = WaitCause::ALL
        .into_iter()
        .filter(|cause| {
            c.rows
                .iter()
                .any(|r| r.waits.is_some_and(|w| w[cause.index()] > 0.0))
        })
        .collect();
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
        "Pod-seconds every pod waited, from creation until it ran, was deleted or the run ended, by cause (comparison.csv's wait_<cause>_s; means over replications), numbered as in the table above; causes no setting waited for are left out.".into(),
        t.render(),
    )])
}
