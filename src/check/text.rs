//! `check`'s report as text: the percentile table, the address failures, the unexplained
//! pods with their `explain` commands, and what the observed figure holds that the model
//! does not.

use super::{CheckReport, Group, NodeFailures};
use crate::text::Count;
use std::fmt::Write as _;

/// Nodes listed per side in the failures section.
const NODES_SHOWN: usize = 5;

/// Unexplained pods listed (all are in the JSON).
const PODS_SHOWN: usize = 20;

fn secs(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_string(), |s| format!("{s:.1}"))
}

/// The table's cells for one group.
fn cells(name: &str, g: &Group) -> Vec<String> {
    vec![
        name.to_string(),
        g.pods.to_string(),
        secs(g.observed.p50),
        secs(g.simulated.p50),
        secs(g.observed.p90),
        secs(g.simulated.p90),
        secs(g.observed.p99),
        secs(g.simulated.p99),
        g.unexplained.len().to_string(),
        if g.outside_tolerance.is_empty() {
            String::new()
        } else {
            format!("outside: {}", g.outside_tolerance.join(" "))
        },
    ]
}

/// Rows of cells as aligned columns: the first left-aligned, the others right-aligned
/// (the last, a remark, left-aligned).
fn aligned(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let width: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .map(|r| r.get(c).map_or(0, |s| s.chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for r in rows {
        let mut line = String::new();
        for (c, cell) in r.iter().enumerate() {
            let pad = " ".repeat(width[c] - cell.chars().count());
            if c == 0 {
                line.push_str(cell);
                line.push_str(&pad);
            } else if c + 1 == cols {
                line.push_str("  ");
                line.push_str(cell);
            } else {
                line.push_str("  ");
                line.push_str(&pad);
                line.push_str(cell);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn nodes(list: &[NodeFailures]) -> String {
    let mut shown: Vec<String> = list
        .iter()
        .take(NODES_SHOWN)
        .map(|n| {
            let name = if n.node.is_empty() {
                "(no node)"
            } else {
                &n.node
            };
            format!("{name} {}", n.failures)
        })
        .collect();
    if list.len() > NODES_SHOWN {
        shown.push(format!("and {} more", list.len() - NODES_SHOWN));
    }
    shown.join(", ")
}

/// The report as text.
pub fn report_text(r: &CheckReport) -> String {
    let mut out = String::new();
    let m = &r.matched;
    let _ = writeln!(
        out,
        "{} compared between the run {} and the cluster ({} observed only, {} simulated only, \
         {} not running on one side)",
        Count(m.compared as u64, "pod", "pods"),
        r.run,
        m.observed_only,
        m.simulated_only,
        m.not_running
    );
    if !m.running_from.is_empty() {
        let from: Vec<String> = m
            .running_from
            .iter()
            .map(|(k, n)| format!("{k} for {n}"))
            .collect();
        let _ = writeln!(out, "observed running: {}", from.join(", "));
    }
    out.push('\n');
    let mut rows = vec![
        vec![
            "time to running (s)".to_string(),
            "pods".to_string(),
            "p50 obs".to_string(),
            "sim".to_string(),
            "p90 obs".to_string(),
            "sim".to_string(),
            "p99 obs".to_string(),
            "sim".to_string(),
            "unexplained".to_string(),
            String::new(),
        ],
        cells("all", &r.all),
    ];
    rows.extend(r.workloads.iter().map(|(w, g)| cells(w, g)));
    out.push_str(&aligned(&rows));
    out.push('\n');
    let f = &r.address_failures;
    if f.observed.given {
        let when = match (&f.observed.first, &f.observed.last) {
            (Some(a), Some(b)) => format!(" from {a} to {b}"),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "sandbox failures for lack of an address: observed {} in {}{when}",
            f.observed.failures,
            Count(f.observed.events as u64, "event", "events"),
        );
        if !f.observed.nodes.is_empty() {
            let _ = writeln!(out, "  observed per node:  {}", nodes(&f.observed.nodes));
        }
    } else {
        let _ = writeln!(
            out,
            "sandbox failures for lack of an address: not observed (give --events, kubectl get \
             events -A -o json)"
        );
    }
    let when = match (f.simulated.first_s, f.simulated.last_s) {
        (Some(a), Some(b)) => format!(" from {a:.3} s to {b:.3} s"),
        _ => String::new(),
    };
    let _ = writeln!(
        out,
        "  simulated failed CNI ADDs: {}{when}",
        f.simulated.failures
    );
    if !f.simulated.nodes.is_empty() {
        let _ = writeln!(out, "  simulated per node: {}", nodes(&f.simulated.nodes));
    }
    out.push('\n');
    if r.unexplained.is_empty() {
        let _ = writeln!(
            out,
            "unexplained: none (no pod's observed time to running exceeds the simulated one by \
             more than {:.1} s)",
            r.margin_s
        );
    } else {
        let _ = writeln!(
            out,
            "unexplained: {} whose observed time to running exceeds the simulated one by more \
             than {:.1} s:",
            Count(r.unexplained.len() as u64, "pod", "pods"),
            r.margin_s
        );
        let mut rows = Vec::new();
        for u in r.unexplained.iter().take(PODS_SHOWN) {
            rows.push(vec![
                format!("  {}", u.pod),
                format!("observed {:.1} s ({})", u.observed_s, u.observed_running),
                format!("simulated {:.1} s", u.simulated_s),
                format!("+{:.1} s", u.observed_s - u.simulated_s),
                u.explain.clone(),
            ]);
        }
        out.push_str(&aligned(&rows));
        if r.unexplained.len() > PODS_SHOWN {
            let _ = writeln!(
                out,
                "  … and {} more (all in --format json)",
                r.unexplained.len() - PODS_SHOWN
            );
        }
    }
    out.push_str(
        "\nobserved: creationTimestamp → the first of PodReadyToStartContainers (sandbox and \
         network up),\n  container startedAt, ContainersReady, Ready; beyond the model it holds \
         the sandbox set-up,\n  and after PodReadyToStartContainers image pulls, init \
         containers and readiness probes.\nsimulated: creation → IP assigned (binding for \
         host-network pods), as pods.csv.\n",
    );
    if let Some(ok) = r.within_tolerance {
        let pct = r.tolerance_pct.unwrap_or_default();
        let _ = writeln!(
            out,
            "tolerance {pct}%: {}",
            if ok {
                "every percentile within it"
            } else {
                "MISSED (rows marked outside)"
            }
        );
    }
    out
}
