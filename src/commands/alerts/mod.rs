//! `ipamsim alerts RUN_DIR --rules FILE [--format text|json]`: when each alerting rule
//! of a Prometheus rule file would have fired over a run, and for which series (nodes).
//!
//! The rules are evaluated by a real Prometheus, not by a PromQL evaluator of ours:
//! `promtool check rules` checks the file, `promtool tsdb create-blocks-from openmetrics`
//! backfills the run's `metrics.om` into a temporary TSDB, a `prometheus` started on
//! 127.0.0.1 loads the rules (`/api/v1/rules` gives them back parsed) and evaluates each
//! expression at every sample time of the run (`query_range`, step = the sample
//! interval, lookback just under it so that a removed node's series ends with it). The
//! rule's `for` is then applied as Prometheus applies it (`firing.rs`). Both binaries must
//! be on `PATH` (Debian: `apt-get install prometheus`); a missing one is exit 1, naming it.

mod firing;
pub mod prometheus;

use super::{print, Error, Exit};
use crate::scenario::shown_path;
use firing::{stretches, Stretch};
use prometheus::{on_path, promtool, secs, Server};
use serde::Serialize;
use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::io::BufRead;
use std::path::{Path, PathBuf};

/// `ipamsim alerts`'s flags.
#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// A run's output directory, written with `--outputs …,metrics` (it holds metrics.om).
    pub dir: PathBuf,
    /// A Prometheus rule file (YAML, as `rule_files:` takes); its alerting rules are
    /// evaluated, its recording rules ignored.
    #[arg(long, value_name = "FILE")]
    pub rules: PathBuf,
    /// Output format: text for people, or JSON with the same content for scripts.
    #[arg(long, value_enum, default_value_t = AlertsFormat::Text)]
    pub format: AlertsFormat,
}

/// Output format of `alerts`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum AlertsFormat {
    /// One line per alerting rule, one per time it fired.
    Text,
    /// Pretty-printed JSON of the same content.
    Json,
}

/// What `alerts` found.
#[derive(Serialize, Debug)]
pub struct Report {
    /// Simulated seconds between evaluations (the run's sample interval).
    pub evaluated_every_s: f64,
    /// Simulated seconds of the last evaluation (the end of the run).
    pub end_s: f64,
    /// Each alerting rule, in the file's order.
    pub rules: Vec<RuleReport>,
}

/// One alerting rule and the times it fired.
#[derive(Serialize, Debug)]
pub struct RuleReport {
    /// The alert's name.
    pub alert: String,
    /// Its expression.
    pub expr: String,
    /// Its `for` (s).
    pub for_s: f64,
    /// Each time it fired, by series, in series then time order.
    pub fired: Vec<Fired>,
}

/// One time an alert fired for one series (simulated seconds).
#[derive(Serialize, Debug)]
pub struct Fired {
    /// The series' labels (for aws-node's families, `instance` names the node).
    pub labels: BTreeMap<String, String>,
    /// When its expression first held (the alert pending).
    pub pending_s: f64,
    /// When it started firing.
    pub firing_s: f64,
    /// When it stopped (`null`: still firing at the end of the run).
    pub resolved_s: Option<f64>,
}

/// A temporary directory removed when dropped.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Evaluates the rules over the run and prints when each fired.
pub fn alerts(a: &Args) -> Result<(), Error> {
    let om = a.dir.join("metrics.om");
    let (start, step, end) = sample_times(&om)?;
    if let Err(e) = crate::input::open(&a.rules, crate::input::TEXT) {
        return Err(Error::invalid(format_args!(
            "--rules {}: {e}",
            shown_path(&a.rules)
        )));
    }
    let need = |name: &str| {
        on_path(name).ok_or_else(|| {
            Error::failure(format_args!(
                "alerts needs Prometheus's `{name}`, not found on PATH (Debian: apt-get install prometheus)"
            ))
        })
    };
    let (promtool_bin, prometheus_bin) = (need("promtool")?, need("prometheus")?);
    let failed = |what: &str, e: std::io::Error| Error::failure(format_args!("{what}: {e}"));
    let rules = std::path::absolute(&a.rules).map_err(|e| failed("--rules", e))?;
    let check = [OsStr::new("check"), OsStr::new("rules"), rules.as_os_str()];
    if let Err(text) = promtool(&promtool_bin, &check).map_err(|e| failed("promtool", e))? {
        let mut lines = vec![format!(
            "error: --rules {}: promtool check rules refused it:",
            shown_path(&a.rules)
        )];
        lines.extend(
            text.lines()
                .map(|l| format!("  {}", crate::scenario::Escaped(l))),
        );
        return Err(Error::lines(Exit::Invalid, lines));
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let work = Scratch(
        std::env::temp_dir().join(format!("ipamsim-alerts-{}-{nanos}", std::process::id())),
    );
    std::fs::create_dir_all(&work.0).map_err(|e| failed("temporary directory", e))?;
    let db = work.0.join("tsdb");
    let backfill = [
        OsStr::new("tsdb"),
        OsStr::new("create-blocks-from"),
        OsStr::new("openmetrics"),
        om.as_os_str(),
        db.as_os_str(),
    ];
    if let Err(text) = promtool(&promtool_bin, &backfill).map_err(|e| failed("promtool", e))? {
        let last = text.lines().last().unwrap_or("").to_string();
        return Err(Error::failure(format_args!(
            "promtool could not backfill metrics.om: {last}"
        )));
    }
    let config = work.0.join("prometheus.yml");
    // a JSON string is a YAML scalar: the path needs no escaping rules of its own
    let path = serde_json::to_string(&rules.to_string_lossy()).unwrap_or_default();
    std::fs::write(&config, format!("rule_files:\n  - {path}\n"))
        .map_err(|e| failed("prometheus.yml", e))?;
    let lookback = format!("{}ms", (step - 1).max(1));
    let server = Server::start(&prometheus_bin, &config, &db, &work.0, &lookback)
        .map_err(|e| failed("starting prometheus", e))?;
    let report = evaluate(&server, (start, step, end)).map_err(|e| failed("prometheus", e))?;
    drop(server);
    let text = match a.format {
        AlertsFormat::Text => report_text(&report),
        AlertsFormat::Json => {
            let mut s = serde_json::to_string_pretty(&report).map_err(Error::failure)?;
            s.push('\n');
            s
        }
    };
    print(&text)
}

/// Every alerting rule of the loaded rule file, evaluated at each sample time.
fn evaluate(server: &Server, (start, step, end): (i64, i64, i64)) -> std::io::Result<Report> {
    let evals: Vec<i64> = (0..)
        .map(|k| start + k * step)
        .take_while(|&t| t <= end)
        .collect();
    let s = |ms: i64| (ms - start) as f64 / 1000.0;
    let mut rules = Vec::new();
    let data = server.api("rules", &[("type", "alert")])?;
    let groups = data["groups"].as_array().cloned().unwrap_or_default();
    for rule in groups
        .iter()
        .flat_map(|g| g["rules"].as_array().cloned().unwrap_or_default())
    {
        if rule["type"] != "alerting" {
            continue;
        }
        let expr = rule["query"].as_str().unwrap_or_default().to_string();
        let for_s = rule["duration"].as_f64().unwrap_or(0.0);
        let mut present: BTreeMap<BTreeMap<String, String>, Vec<i64>> = BTreeMap::new();
        // at most 10,000 evaluations per query (the API allows 11,000 points per series)
        for chunk in evals.chunks(10_000) {
            let (first, last) = (chunk[0], chunk[chunk.len() - 1]);
            let params = [
                ("query", expr.as_str()),
                ("start", &secs(first)),
                ("end", &secs(last)),
                ("step", &secs(step)),
            ];
            let data = server.api("query_range", &params)?;
            for series in data["result"].as_array().cloned().unwrap_or_default() {
                let labels = series["metric"]
                    .as_object()
                    .map(|m| {
                        m.iter()
                            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                            .collect()
                    })
                    .unwrap_or_default();
                let times = present.entry(labels).or_default();
                for p in series["values"].as_array().cloned().unwrap_or_default() {
                    let t = (p[0].as_f64().unwrap_or(0.0) * 1000.0).round() as i64;
                    times.push(t);
                }
            }
        }
        let for_ms = (for_s * 1000.0).round() as i64;
        let mut fired = Vec::new();
        for (labels, times) in present {
            for Stretch {
                pending_ms,
                firing_ms,
                resolved_ms,
            } in stretches(&evals, &times, for_ms)
            {
                if let Some(f) = firing_ms {
                    fired.push(Fired {
                        labels: labels.clone(),
                        pending_s: s(pending_ms),
                        firing_s: s(f),
                        resolved_s: resolved_ms.map(s),
                    });
                }
            }
        }
        rules.push(RuleReport {
            alert: rule["name"].as_str().unwrap_or_default().to_string(),
            expr,
            for_s,
            fired,
        });
    }
    Ok(Report {
        evaluated_every_s: step as f64 / 1000.0,
        end_s: s(end),
        rules,
    })
}

/// The run's first and last sample times and its sample interval (Unix ms), from the
/// `ipamsim_pods_unschedulable` samples of metrics.om (one per sample time).
fn sample_times(om: &Path) -> Result<(i64, i64, i64), Error> {
    let invalid = |why: String| Error::invalid(format_args!("{}: {why}", shown_path(om)));
    let f = crate::input::open(om, crate::input::RUN_CSV).map_err(|e| {
        invalid(format!(
            "{e}; write it with `ipamsim run SCENARIO --outputs all,metrics --out DIR`"
        ))
    })?;
    let mut times = Vec::with_capacity(2);
    let mut last = None;
    for line in std::io::BufReader::new(f).lines() {
        let line = line.map_err(|e| invalid(e.to_string()))?;
        let Some(rest) = line.strip_prefix("ipamsim_pods_unschedulable ") else {
            if last.is_some() && !line.starts_with("ipamsim_pods_unschedulable") {
                break; // the family's samples are together
            }
            continue;
        };
        let ts = rest.split(' ').nth(1).unwrap_or("");
        let (s, frac) = ts.split_once('.').unwrap_or((ts, ""));
        let ms = s.parse::<i64>().ok().zip(
            format!("{frac:0<3}")
                .get(..3)
                .and_then(|f| f.parse::<i64>().ok()),
        );
        let Some((s, f)) = ms else {
            return Err(invalid(format!(
                "not a timestamp: {:?}",
                crate::scenario::Escaped(ts).to_string()
            )));
        };
        let t = s * 1000 + f;
        if times.len() < 2 {
            times.push(t);
        }
        last = Some(t);
    }
    match (times.as_slice(), last) {
        ([a, b], Some(end)) if b > a => Ok((*a, b - a, end)),
        ([a], Some(end)) => Ok((*a, 1000, end)),
        _ => Err(invalid(
            "no ipamsim_pods_unschedulable samples: not a metrics.om of ipamsim".into(),
        )),
    }
}

/// The report for people.
fn report_text(r: &Report) -> String {
    let mut out = format!(
        "{} alerting rule{} evaluated every {} s over 0 to {} s of simulated time\n",
        r.rules.len(),
        if r.rules.len() == 1 { "" } else { "s" },
        r.evaluated_every_s,
        r.end_s
    );
    for rule in &r.rules {
        out.push_str(&format!(
            "\n{} (for {} s): {}\n",
            rule.alert, rule.for_s, rule.expr
        ));
        if rule.fired.is_empty() {
            out.push_str("  never fired\n");
        }
        for f in &rule.fired {
            let labels: Vec<String> = f.labels.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
            let until = match f.resolved_s {
                Some(t) => format!("until {t:.3} s"),
                None => format!("still firing at the end ({:.3} s)", r.end_s),
            };
            out.push_str(&format!(
                "  {{{}}}  firing from {:.3} s {until} (pending from {:.3} s)\n",
                labels.join(", "),
                f.firing_s,
                f.pending_s
            ));
        }
    }
    out
}
