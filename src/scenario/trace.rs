//! Trace files: pod creates and deletes recorded from a real cluster, replayed as a
//! workload (`workloads: [{trace: traces/x.csv}]`).
//!
//! The file is CSV with the header `time_s,action,pod,workload`: `time_s` in seconds from
//! the scenario start (decimals allowed, ≥ 0, rows in non-decreasing time order), `action`
//! `create` or `delete`, `pod` the pod's name (used verbatim), `workload` the name shown in
//! the `workload` column of `pods.csv` (on `delete` rows it is not checked and may be empty).
//! [`parse_trace`] reports every problem with its line number.

use crate::time::{SimTime, MICROS_PER_SEC};
use std::collections::HashMap;

/// The header a trace file must start with.
pub const TRACE_HEADER: &str = "time_s,action,pod,workload";

/// What a trace row does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceAction {
    /// Creates the pod (it is scheduled like any other pod).
    Create,
    /// Deletes the pod (its slot frees and its IP starts cooling).
    Delete,
}

/// One pod of a trace: a `create` row, and the `delete` row that ends it if any. A name
/// created again after its delete is a new entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TracePod {
    /// The pod's name, verbatim.
    pub name: String,
    /// Index into [`Trace::workloads`].
    pub workload: u32,
}

/// One row of a trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceRow {
    /// When it happens (µs from the scenario start).
    pub at: SimTime,
    /// Create or delete.
    pub action: TraceAction,
    /// Index into [`Trace::pods`].
    pub pod: u32,
}

/// A parsed, checked trace.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Trace {
    /// The `trace` value as written in the scenario (for messages).
    pub file: String,
    /// Distinct workload names, in order of first appearance.
    pub workloads: Vec<String>,
    /// One entry per `create` row, in row order.
    pub pods: Vec<TracePod>,
    /// Every row, in file order (non-decreasing times).
    pub rows: Vec<TraceRow>,
}

/// A problem on one line of a trace file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceError {
    /// 1-based line number in the file.
    pub line: usize,
    /// What is wrong and what is allowed.
    pub message: String,
}

/// Parses and checks trace text; `file` is the name kept in [`Trace::file`]. Returns every
/// problem found, each with its line; never panics.
pub fn parse_trace(text: &str, file: &str) -> Result<Trace, Vec<TraceError>> {
    let mut errors = Vec::new();
    let mut trace = Trace {
        file: file.to_string(),
        ..Trace::default()
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut record = csv::StringRecord::new();
    let mut header_seen = false;
    // Alive pods by name → (index into `trace.pods`, line of its create).
    let mut alive: HashMap<String, (u32, usize)> = HashMap::new();
    // Deleted names → line of the last delete.
    let mut deleted: HashMap<String, usize> = HashMap::new();
    let mut workload_ids: HashMap<String, u32> = HashMap::new();
    // The latest time so far, as written, and its line.
    let mut latest: Option<(SimTime, String, usize)> = None;
    let mut line = 1;
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(err) => {
                let at = err.position().map_or(line, |p| p.line() as usize);
                errors.push(TraceError {
                    line: at,
                    message: format!("cannot read this line: {}", csv_message(&err)),
                });
                // An I/O-level error (bad UTF-8 and the like) may repeat forever: stop.
                if !matches!(err.kind(), csv::ErrorKind::Utf8 { .. }) {
                    break;
                }
                continue;
            }
        }
        line = record.position().map_or(line, |p| p.line() as usize);
        if !header_seen {
            header_seen = true;
            let found: Vec<&str> = record.iter().map(str::trim).collect();
            let found = found.join(",");
            let found = found.trim_start_matches('\u{feff}');
            if found != TRACE_HEADER {
                errors.push(TraceError {
                    line,
                    message: format!("header is \"{found}\"; expected \"{TRACE_HEADER}\""),
                });
            }
            continue;
        }
        if record.len() != 4 {
            errors.push(TraceError {
                line,
                message: format!(
                    "{} field{}; expected 4 ({TRACE_HEADER})",
                    record.len(),
                    if record.len() == 1 { "" } else { "s" }
                ),
            });
            continue;
        }
        let (time_text, action_text, pod, workload) = (
            record[0].trim(),
            record[1].trim(),
            record[2].trim(),
            record[3].trim(),
        );
        let mut row_ok = true;
        let time = match parse_seconds(time_text) {
            Ok(t) => Some(t),
            Err(message) => {
                errors.push(TraceError { line, message });
                row_ok = false;
                None
            }
        };
        if let (Some(t), Some((before, before_text, before_line))) = (time, &latest) {
            if t < *before {
                errors.push(TraceError {
                    line,
                    message: format!(
                        "time {time_text} comes before {before_text} on line {before_line}; \
                         rows must be in non-decreasing time order"
                    ),
                });
                row_ok = false;
            }
        }
        if let Some(t) = time {
            if latest.as_ref().is_none_or(|(before, _, _)| t >= *before) {
                latest = Some((t, time_text.to_string(), line));
            }
        }
        let action = match action_text {
            "create" => Some(TraceAction::Create),
            "delete" => Some(TraceAction::Delete),
            other => {
                errors.push(TraceError {
                    line,
                    message: format!("unknown action \"{other}\"; allowed: create, delete"),
                });
                None
            }
        };
        if pod.is_empty() {
            errors.push(TraceError {
                line,
                message: "the pod name is empty".to_string(),
            });
            continue;
        }
        if pod.contains(',') {
            errors.push(TraceError {
                line,
                message: format!(
                    "pod name \"{pod}\" has a comma; pod names cannot contain commas \
                     (pods.csv is comma-separated)"
                ),
            });
            continue;
        }
        let Some(action) = action else { continue };
        match action {
            TraceAction::Create => {
                if let Some(&(_, created_line)) = alive.get(pod) {
                    errors.push(TraceError {
                        line,
                        message: format!(
                            "create of pod {pod}, which is alive (created on line \
                             {created_line}); delete it first"
                        ),
                    });
                    continue;
                }
                if workload.is_empty() || workload.contains(',') {
                    errors.push(TraceError {
                        line,
                        message: format!(
                            "workload \"{workload}\" of a create must be a non-empty name \
                             without commas"
                        ),
                    });
                    continue;
                }
                let next_id = workload_ids.len() as u32;
                let workload_id = *workload_ids.entry(workload.to_string()).or_insert_with(|| {
                    trace.workloads.push(workload.to_string());
                    next_id
                });
                let index = trace.pods.len() as u32;
                trace.pods.push(TracePod {
                    name: pod.to_string(),
                    workload: workload_id,
                });
                alive.insert(pod.to_string(), (index, line));
                deleted.remove(pod);
                if let (true, Some(at)) = (row_ok, time) {
                    trace.rows.push(TraceRow {
                        at,
                        action,
                        pod: index,
                    });
                }
            }
            TraceAction::Delete => match alive.remove(pod) {
                Some((index, _)) => {
                    deleted.insert(pod.to_string(), line);
                    if let (true, Some(at)) = (row_ok, time) {
                        trace.rows.push(TraceRow {
                            at,
                            action,
                            pod: index,
                        });
                    }
                }
                None => {
                    let message = match deleted.get(pod) {
                        Some(first) => format!(
                            "delete of pod {pod}, which was already deleted on line {first}"
                        ),
                        None => format!("delete of pod {pod} before it was created"),
                    };
                    errors.push(TraceError { line, message });
                }
            },
        }
    }
    if !header_seen && errors.is_empty() {
        errors.push(TraceError {
            line: 1,
            message: format!("the file is empty; expected the header \"{TRACE_HEADER}\""),
        });
    }
    if errors.is_empty() {
        Ok(trace)
    } else {
        errors.sort_by_key(|e| e.line);
        Err(errors)
    }
}

/// Non-negative decimal seconds (`12`, `12.5`, `0.000001`) to an exact instant, rounded to
/// the microsecond; other float forms (`1e3`) are accepted through `f64`.
fn parse_seconds(text: &str) -> Result<SimTime, String> {
    const HINT: &str = "expected seconds from the scenario start, such as 12 or 12.5";
    if text.starts_with('-') {
        return Err(format!("time {text} is negative; {HINT}"));
    }
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !text.is_empty()
        && digits(whole)
        && digits(fraction)
        && !(whole.is_empty() && fraction.is_empty())
    {
        let whole_us = if whole.is_empty() {
            Some(0)
        } else {
            whole
                .parse::<u64>()
                .ok()
                .and_then(|w| w.checked_mul(MICROS_PER_SEC))
        };
        // Up to 6 fraction digits exactly; a 7th rounds half up; the rest are ignored.
        let mut frac_us = 0u64;
        for (i, b) in fraction.bytes().take(7).enumerate() {
            let d = u64::from(b - b'0');
            if i < 6 {
                frac_us = frac_us * 10 + d;
            } else if d >= 5 {
                frac_us += 1;
            }
        }
        for _ in fraction.len()..6 {
            frac_us *= 10;
        }
        if let Some(us) = whole_us.and_then(|w| w.checked_add(frac_us)) {
            return Ok(SimTime(us));
        }
        return Err(format!("time {text} is too large; {HINT}"));
    }
    match text.parse::<f64>() {
        Ok(s) if (0.0..1e12).contains(&s) => {
            Ok(SimTime((s * MICROS_PER_SEC as f64).round() as u64))
        }
        Ok(s) if s < 0.0 => Err(format!("time {text} is negative; {HINT}")),
        _ => Err(format!("cannot read time \"{text}\"; {HINT}")),
    }
}

/// A csv error's text without its own position (the line is reported separately).
fn csv_message(err: &csv::Error) -> String {
    match err.kind() {
        csv::ErrorKind::Utf8 { err, .. } => format!("invalid UTF-8 ({err})"),
        _ => err.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_and_messages(text: &str) -> Vec<(usize, String)> {
        parse_trace(text, "t.csv")
            .unwrap_err()
            .into_iter()
            .map(|e| (e.line, e.message))
            .collect()
    }

    #[test]
    fn a_good_trace_parses_into_pods_and_rows() {
        let text = "time_s,action,pod,workload\n0,create,web-1,web\n1.5,create,api-1,api\n\
                    2.25,delete,web-1,web\n2.25,create,web-1,web\n";
        let t = parse_trace(text, "t.csv").unwrap();
        assert_eq!(t.workloads, vec!["web", "api"]);
        // web-1 twice (re-created after its delete): three pod entries
        assert_eq!(t.pods.len(), 3);
        assert_eq!(t.pods[2].name, "web-1");
        assert_eq!(t.rows.len(), 4);
        assert_eq!(t.rows[1].at, SimTime(1_500_000));
        assert_eq!(t.rows[2].action, TraceAction::Delete);
        assert_eq!(t.rows[2].pod, 0);
        assert_eq!(t.rows[3].pod, 2);
    }

    #[test]
    fn seconds_are_exact_to_the_microsecond() {
        assert_eq!(parse_seconds("12").unwrap(), SimTime(12_000_000));
        assert_eq!(parse_seconds("12.5").unwrap(), SimTime(12_500_000));
        assert_eq!(parse_seconds("0.001").unwrap(), SimTime(1_000));
        assert_eq!(parse_seconds(".5").unwrap(), SimTime(500_000));
        // 7th digit 5 rounds half up: 0.0000015 s → 2 µs
        assert_eq!(parse_seconds("0.0000015").unwrap(), SimTime(2));
        assert_eq!(parse_seconds("1e1").unwrap(), SimTime(10_000_000));
        assert!(parse_seconds("-1").unwrap_err().contains("negative"));
        assert!(parse_seconds("").is_err());
        assert!(parse_seconds("abc")
            .unwrap_err()
            .contains("cannot read time"));
        assert!(parse_seconds(".").is_err());
    }

    #[test]
    fn every_problem_has_its_line() {
        // Line 1 header; 2 ok; 3 bad time; 4 unknown action (its time 6 still counts for
        // the order); 5 delete before create (time 6, the latest: line 5); 6 time 1 out of
        // order; 7 wrong field count; 8 create while alive; 9 delete ok; 10 delete again;
        // 11 negative time; 12 a quoted name with a comma.
        let text = "time_s,action,pod,workload\n\
                    5,create,a,w\n\
                    x,create,b,w\n\
                    6,start,c,w\n\
                    6,delete,d,w\n\
                    1,create,e,w\n\
                    7,create,f\n\
                    8,create,a,w\n\
                    9,delete,a,w\n\
                    10,delete,a,w\n\
                    -1,create,g,w\n\
                    11,create,\"h,1\",w\n";
        let got = lines_and_messages(text);
        let expect: Vec<(usize, &str)> = vec![
            (3, "cannot read time \"x\""),
            (4, "unknown action \"start\"; allowed: create, delete"),
            (5, "delete of pod d before it was created"),
            (6, "time 1 comes before 6 on line 5"),
            (7, "3 fields; expected 4"),
            (8, "create of pod a, which is alive (created on line 2)"),
            (10, "delete of pod a, which was already deleted on line 9"),
            (11, "time -1 is negative"),
            (12, "pod name \"h,1\" has a comma"),
        ];
        assert_eq!(got.len(), expect.len(), "{got:#?}");
        for ((line, message), (want_line, phrase)) in got.iter().zip(&expect) {
            assert_eq!(line, want_line, "{message}");
            assert!(
                message.contains(phrase),
                "line {line}: {message} lacks {phrase}"
            );
        }
    }

    #[test]
    fn header_and_empty_file() {
        let got = lines_and_messages("time,action,pod,workload\n0,create,a,w\n");
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, 1);
        assert!(got[0].1.contains("expected \"time_s,action,pod,workload\""));
        let got = lines_and_messages("");
        assert!(got[0].1.contains("empty"));
        // A header alone is a valid, empty trace; CRLF line ends are fine.
        assert!(parse_trace("time_s,action,pod,workload\r\n", "t").is_ok());
        let t = parse_trace("time_s,action,pod,workload\r\n1,create,a,w\r\n", "t").unwrap();
        assert_eq!(t.pods[0].name, "a");
    }
}
