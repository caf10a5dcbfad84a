//! The text views: aligned, one fact per line, every number with its unit.

use super::steps::{EniGrowth, Life, NodeEvent, PodStory, Release, Step, WaitStep};
use super::{Ms, Overview};
use crate::model::record::WaitCause;
use crate::text::{noun, Count};
use std::fmt::Write as _;
use std::path::Path;

/// The overview as text; `dir` as the user gave it (for the hint).
pub fn overview_text(o: &Overview, dir: &Path) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} of {} waited: {} pod-seconds in all (waits.csv)",
        o.pods_waited,
        Count(o.pods, "pod", "pods"),
        o.wait_s
    );
    let mut causes: Vec<_> = o.by_cause.iter().filter(|c| c.seconds.0 > 0).collect();
    causes.sort_by_key(|c| std::cmp::Reverse(c.seconds));
    if !causes.is_empty() {
        let rows: Vec<[String; 4]> = causes
            .iter()
            .map(|c| {
                [
                    c.cause.to_string(),
                    c.seconds.to_string(),
                    format!("{:.1} %", c.share_pct),
                    c.pods.to_string(),
                ]
            })
            .collect();
        out.push('\n');
        let right = [false, true, true, true];
        table(
            &mut out,
            ["cause", "pod-seconds", "share", "pods"],
            &rows,
            right,
        );
    }
    if !o.slowest.is_empty() {
        let _ = writeln!(
            out,
            "\nslowest {} by total wait:",
            Count(o.slowest.len() as u64, "pod", "pods")
        );
        let rows: Vec<[String; 5]> = o
            .slowest
            .iter()
            .map(|p| {
                [
                    p.pod.clone(),
                    p.node.clone().unwrap_or_else(|| "-".to_string()),
                    format!("{} s", p.wait_s),
                    format!("{} {} s", p.main_cause, p.main_cause_s),
                    outcome(p),
                ]
            })
            .collect();
        let right = [false, false, true, false, false];
        table(
            &mut out,
            ["pod", "node", "waited", "main cause", "outcome"],
            &rows,
            right,
        );
        let pick = o
            .slowest
            .iter()
            .find(|p| p.node.is_some())
            .unwrap_or(&o.slowest[0]);
        let _ = writeln!(
            out,
            "\none pod's story: ipamsim explain {} --pod {}",
            shell_word(&dir.display().to_string()),
            shell_word(&pick.pod)
        );
    }
    out
}

/// `w` as one shell word: as it is when plain, else single-quoted.
pub(crate) fn shell_word(w: &str) -> String {
    let plain = !w.is_empty()
        && w.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-/+:@".contains(c));
    if plain {
        w.to_string()
    } else {
        format!("'{}'", w.replace('\'', r"'\''"))
    }
}

/// What became of a slow pod, in a few words.
pub(crate) fn outcome(p: &super::SlowPod) -> String {
    match (p.final_state.as_str(), p.ip_assigned_s, p.deleted_s) {
        (_, Some(t), None) => format!("running at {t} s"),
        (_, Some(_), Some(d)) => format!("ran, deleted at {d} s"),
        (_, None, Some(d)) => format!("deleted at {d} s, never ran"),
        ("unschedulable", None, None) => "unschedulable at the end".to_string(),
        ("waiting_ip", None, None) => "waiting for an IP at the end".to_string(),
        (s, None, None) => s.to_string(),
    }
}

/// Writes an aligned table, the columns marked in `right` right-aligned.
fn table<const N: usize>(
    out: &mut String,
    head: [&str; N],
    rows: &[[String; N]],
    right: [bool; N],
) {
    let mut w = head.map(|h| h.chars().count());
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            w[i] = w[i].max(c.chars().count());
        }
    }
    let line = |out: &mut String, cells: [&str; N]| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i > 0 {
                s.push_str("  ");
            }
            if right[i] {
                let _ = write!(s, "{c:>width$}", width = w[i]);
            } else {
                let _ = write!(s, "{c:<width$}", width = w[i]);
            }
        }
        out.push_str(s.trim_end());
        out.push('\n');
    };
    line(out, head);
    for r in rows {
        line(out, std::array::from_fn(|i| r[i].as_str()));
    }
}

/// A pod's story as text: a heading per life, then one line per step and per node event.
pub fn story_text(st: &PodStory) -> String {
    let mut out = String::new();
    let n = st.lives.len();
    for (k, life) in st.lives.iter().enumerate() {
        if k > 0 {
            out.push('\n');
        }
        let prefix = if n > 1 {
            format!("life {} of {n}: ", k + 1)
        } else {
            String::new()
        };
        heading(&mut out, &st.pod, &prefix, life);
        let mut lines: Vec<(Ms, usize, String)> = Vec::new();
        let mut eni: Option<&EniGrowth> = None;
        for step in &life.steps {
            step_lines(step, &mut eni, &mut lines);
        }
        lines.sort_by_key(|l| l.0);
        let width = lines
            .iter()
            .map(|l| l.0.to_string().len())
            .max()
            .unwrap_or(5);
        for (t, indent, text) in lines {
            let _ = writeln!(
                out,
                "  {:>width$} s  {}{text}",
                t.to_string(),
                "  ".repeat(indent)
            );
        }
    }
    out
}

/// A life's two heading lines: outcome, then the wait by cause.
fn heading(out: &mut String, pod: &str, prefix: &str, l: &Life) {
    let node = l
        .node
        .as_deref()
        .map_or_else(|| "never bound".to_string(), |n| format!("on {n}"));
    let what = match (l.host_network, l.ip_assigned_s, l.deleted_s) {
        (true, Some(t), _) => format!(
            "host network, running at {t} s ({} s after creation)",
            t.since(l.created_s)
        ),
        (false, Some(t), _) => format!(
            "got IP {} at {t} s, {} s after creation",
            l.ip.as_deref().unwrap_or("?"),
            t.since(l.created_s)
        ),
        (_, None, Some(d)) => format!("deleted at {d} s before it ran"),
        (_, None, None) if l.final_state == "unschedulable" => {
            "unschedulable to the end of the run".to_string()
        }
        (_, None, None) => "still waiting for an IP at the end of the run".to_string(),
    };
    let _ = writeln!(out, "{prefix}{pod} ({}) {node}: {what}", l.workload);
    let mut waited = if l.wait_s.0 == 0 {
        "did not wait".to_string()
    } else {
        let parts: Vec<String> = l
            .wait_by_cause
            .iter()
            .map(|c| format!("{} {} s", c.cause, c.seconds))
            .collect();
        format!("waited {} s: {}", l.wait_s, parts.join(", "))
    };
    if l.failed_cni_adds > 0 {
        let n = Count(l.failed_cni_adds, "failed CNI ADD", "failed CNI ADDs");
        let _ = write!(waited, "; {n}");
    }
    let _ = writeln!(out, "  {waited}");
}

/// The lines of one step; `eni` is the growth the last wait named (named again only when
/// it changes).
fn step_lines<'a>(
    step: &'a Step,
    eni: &mut Option<&'a EniGrowth>,
    lines: &mut Vec<(Ms, usize, String)>,
) {
    let mut push = |t: Ms, indent: usize, s: String| lines.push((t, indent, s));
    match step {
        Step::Created { time_s, workload } => {
            push(*time_s, 0, format!("created (workload {workload})"));
        }
        Step::Bound {
            time_s,
            node,
            node_ready_s,
        } => {
            let ready = node_ready_s.map_or(String::new(), |r| format!(" (Ready since {r} s)"));
            push(*time_s, 0, format!("bound to node {node}{ready}"));
        }
        Step::CniAddFailed {
            time_s,
            until_s,
            count,
            cause,
            network_card,
        } => {
            // the cause is the pod's waits.csv cause at the failure
            let card = network_card.map_or(String::new(), |k| format!(" on network card {k}"));
            let why = match cause.as_deref().and_then(WaitCause::from_word) {
                Some(c) => format!(" ({}){card}: {}", c.word(), c.meaning()),
                None => format!("{card}: no assignable address"),
            };
            let more = if *count > 1 {
                format!(" ({count} failures until {until_s} s)")
            } else {
                String::new()
            };
            push(*time_s, 0, format!("CNI ADD failed{why}{more}"));
            if *count > 1 && until_s > time_s {
                push(
                    *until_s,
                    0,
                    format!("CNI ADD failed (the last of {count} since {time_s} s)"),
                );
            }
        }
        Step::Wait(w) => {
            wait_lines(
                w,
                eni.filter(|g| Some(*g) == w.eni.as_ref()).is_some(),
                &mut push,
            );
            if w.eni.is_some() {
                *eni = w.eni.as_ref();
            }
        }
        Step::GotIp {
            time_s,
            ip,
            after_creation_s,
            after_binding_s,
            by_kubelet_retry,
            last_failed_add_s,
        } => {
            let who = match (by_kubelet_retry, last_failed_add_s) {
                (true, Some(f)) => format!(
                    "the kubelet's retry, {} s after the failed CNI ADD at {f} s, got IP",
                    time_s.since(*f)
                ),
                (true, None) => "the kubelet's retry of the CNI ADD got IP".to_string(),
                (false, _) => "CNI ADD succeeded: got IP".to_string(),
            };
            let after = match after_binding_s {
                Some(b) if b != after_creation_s => {
                    format!("{after_creation_s} s after creation, {b} s after binding")
                }
                _ => format!("{after_creation_s} s after creation"),
            };
            push(
                *time_s,
                0,
                format!("{who} {} ({after})", ip.as_deref().unwrap_or("?")),
            );
        }
        Step::Running { time_s } => {
            push(
                *time_s,
                0,
                "running (host network: no IP needed)".to_string(),
            );
        }
        Step::Deleted { time_s, had_run } => {
            let s = if *had_run {
                "deleted"
            } else {
                "deleted before it ran"
            };
            push(*time_s, 0, s.to_string());
        }
        Step::EndOfRun {
            time_s,
            final_state,
        } => {
            let s = match final_state.as_str() {
                "unschedulable" => "end of the run: still unschedulable",
                _ => "end of the run: still waiting for an IP",
            };
            push(*time_s, 0, s.to_string());
        }
    }
}

/// The lines of one wait; `same_eni` when the wait before named the same growth.
fn wait_lines(w: &WaitStep, same_eni: bool, push: &mut impl FnMut(Ms, usize, String)) {
    let mut line = format!("{} {} s: {}", w.cause, w.duration_s, w.meaning);
    match &w.eni {
        Some(g) if same_eni => {
            let _ = write!(line, " (still {})", g.eni);
        }
        Some(g) => {
            let _ = write!(line, " ({})", growth(g));
        }
        None => {}
    }
    if let Some(e) = &w.started_by {
        let _ = write!(line, "; since {} s: {}", e.time_s, event_words(e, false));
    }
    if !w.released_by.is_empty() {
        let what = if w.cause == "cooldown" {
            "cooling: addresses of"
        } else {
            "done cooling: the address of"
        };
        let _ = write!(
            line,
            "; {what} {}",
            releases(&w.released_by, w.released_count)
        );
    }
    push(w.start_s, 0, line);
    let on_other_nodes = w.node.is_none();
    let mut last = w.start_s;
    for e in &w.events {
        push(e.time_s, 1, event_words(e, on_other_nodes));
        last = e.time_s;
    }
    if w.events_omitted > 0 {
        push(
            last,
            1,
            format!(
                "(and {} more node {} in this interval)",
                w.events_omitted,
                noun(w.events_omitted, "event", "events")
            ),
        );
    }
    if w.taken_count > 0 {
        let mut names = w.taken_by.join(", ");
        let more = w.taken_count - w.taken_by.len() as u64;
        if more > 0 {
            let _ = write!(names, " and {more} more");
        }
        push(
            w.end_s,
            1,
            format!(
                "{} other {} on {} got the free addresses first: {names}",
                w.taken_count,
                noun(w.taken_count, "pod", "pods"),
                w.node.as_deref().unwrap_or("the node")
            ),
        );
    }
}

/// The growth a wait was for, in words.
fn growth(g: &EniGrowth) -> String {
    match (g.created_s, g.ready_s, &g.ended_by) {
        (Some(c), Some(r), _) => format!("{}: create_eni {c} s, eni_ready {r} s", g.eni),
        (Some(c), None, Some(e)) => format!(
            "{}: create_eni {c} s, gave up at {} s: {}",
            g.eni,
            e.time_s,
            event_words(e, false)
        ),
        (Some(c), None, None) => format!("{}: create_eni {c} s, never ready", g.eni),
        (None, Some(r), _) => format!("{} on {}, done at {r} s", g.action, g.eni),
        (None, None, _) => format!("{} on {}", g.action, g.eni),
    }
}

/// Released addresses' pods, in words (`count` in all).
fn releases(r: &[Release], count: u64) -> String {
    let mut s: Vec<String> = r
        .iter()
        .map(|x| format!("{} (deleted at {} s)", x.pod, x.deleted_s))
        .collect();
    let more = count.saturating_sub(r.len() as u64);
    if more > 0 {
        s.push(format!("{more} more"));
    }
    s.join(", ")
}

/// An event as words: `kind: detail`, with the node (or group) when `with_node`.
fn event_words(e: &NodeEvent, with_node: bool) -> String {
    let mut s = String::new();
    if with_node {
        if let Some(n) = e.node.as_deref().or(e.nodegroup.as_deref()) {
            let _ = write!(s, "{n} ");
        }
    }
    let _ = write!(s, "{}", e.kind);
    if !e.detail.is_empty() {
        let _ = write!(s, ": {}", e.detail);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hint_words_are_quoted_for_the_shell() {
        assert_eq!(shell_word("out/t3"), "out/t3");
        assert_eq!(shell_word("node \"x\", v2-ng-1"), "'node \"x\", v2-ng-1'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
    }
}
