//! `ipamsim plan SCENARIO --find max|min AXIS [--range LO..HI] [--slo OBJ]...`: the
//! largest (or smallest) value of one numeric axis for which every objective holds, found
//! by running the scenario at each value tried (docs/decide.md#plan).

use super::{eprint_line, print, read_source, stop_flag, Error, Exit};
use crate::compare::{self, columns, Job};
use crate::decide::slo::{self, Objective};
use crate::plan::{self, Find};
use crate::scenario::{LoadOptions, Scenario, Source};
use serde::Serialize;
use std::path::PathBuf;

/// The most runs a plan may make (values tried × replications) without `--allow-large`:
/// the sweep budget (`compare`'s).
const MAX_RUNS: u64 = crate::scenario::validate::budget::MAX_SWEEP;

/// The objectives when none is given: no pod waits for want of a subnet address or of a
/// free /28, and no node fails to launch.
pub const DEFAULT_OBJECTIVES: [&str; 3] = [
    "subnet_full_wait<=0",
    "no_free_prefix_wait<=0",
    "nodes_launch_failed<=0",
];

/// `ipamsim plan`'s flags.
#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// Scenario file (YAML).
    pub scenario: PathBuf,
    /// `max`: the largest value that meets every objective; `min`: the smallest.
    #[arg(long, value_enum, value_name = "max|min")]
    pub find: FindArg,
    /// The axis: `nodegroups.NAME.count`, `workloads.NAME.replicas`, `subnets.NAME.prefix`
    /// or a numeric aws-node setting (`WARM_IP_TARGET`).
    #[arg(value_name = "AXIS")]
    pub axis: String,
    /// The values to search, `LO..HI` (inclusive; default per axis, docs/decide.md#plan).
    #[arg(long, value_name = "LO..HI")]
    pub range: Option<String>,
    /// An objective `METRIC<=VALUE` or `METRIC>=VALUE` (repeatable; default: no subnet or
    /// prefix wait and no failed launch).
    #[arg(long, value_name = "METRIC<=VALUE")]
    pub slo: Vec<String>,
    /// Runs per value, with seeds seed, seed+1, ...: a value meets when every run meets.
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub replications: u32,
    /// Master seed; overrides the scenario's `seed`.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Runs at once (default: every core). The answer does not depend on it.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub jobs: Option<u64>,
    /// What to print: text, or the answer as JSON.
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub format: PlanFormat,
    /// Lift the work budget (docs/scenario-input.md).
    #[arg(long)]
    pub allow_large: bool,
}

/// `--find`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FindArg {
    /// The largest value.
    Max,
    /// The smallest value.
    Min,
}

/// `--format`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanFormat {
    /// Lines for people.
    Text,
    /// One JSON object.
    Json,
}

/// One objective's figure at a value (the mean over replications, or the worst run when
/// it is missed in some).
#[derive(Clone, Debug, Serialize)]
pub struct Missed {
    /// The objective as written.
    pub objective: String,
    /// The figure in the worst run (null: nothing to measure).
    pub value: Option<f64>,
}

/// A value tried.
#[derive(Clone, Debug, Serialize)]
pub struct Tried {
    /// The axis value.
    pub value: i64,
    /// Every objective held in every run.
    pub met: bool,
    /// The objectives some run missed, with the worst run's figure.
    pub missed: Vec<Missed>,
    /// The wait cause with the most pod-seconds (first run), if any pod waited.
    pub main_wait: Option<String>,
    /// Lowest free addresses over all subnets (first run).
    pub min_subnet_free_ips: Option<f64>,
    /// The next step only: the subnet that turned requests away most often (an
    /// insufficient-address error or a failed launch), with how often; `None` when no
    /// subnet did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limiting_subnet: Option<LimitingSubnet>,
}

/// The subnet that ran out at a value, from its run's events.
#[derive(Clone, Debug, Serialize)]
pub struct LimitingSubnet {
    /// Its name.
    pub subnet: String,
    /// Requests it turned away: insufficient-address errors and failed launches.
    pub refusals: u64,
}

/// `plan --format json`.
#[derive(Debug, Serialize)]
pub struct PlanJson {
    /// The axis as written.
    pub axis: String,
    /// `max` or `min`.
    pub find: &'static str,
    /// The range searched, `[lo, hi]`.
    pub range: [i64; 2],
    /// The objectives, as written.
    pub objectives: Vec<String>,
    /// The value found; null when no value meets.
    pub answer: Option<i64>,
    /// The next step after the answer and what it misses; null when the answer is the
    /// range's end.
    pub next: Option<Tried>,
    /// `exhaustive` or `bisection`.
    pub method: &'static str,
    /// Exhaustive: whether the response was monotone; null for bisection.
    pub monotone: Option<bool>,
    /// Runs made (values tried × replications).
    pub runs: u64,
    /// Every value tried, in the order tried.
    pub tried: Vec<Tried>,
}

/// The axis, resolved against the scenario.
struct AxisInfo {
    /// The `--set` key.
    key: String,
    /// Its default range.
    range: (i64, i64),
}

/// What a plan searches, checked before anything runs.
struct Search {
    /// The scenario file as read.
    source: Source,
    /// How its scenarios are validated (`--allow-large`).
    opts: LoadOptions,
    /// The axis's `--set` key.
    key: String,
    /// The values searched, inclusive.
    range: (i64, i64),
    /// The objectives every run must meet.
    objectives: Vec<Objective>,
    /// The largest or the smallest.
    find: Find,
    /// The first replication's seed.
    seed: u64,
    /// Runs at once.
    threads: usize,
}

/// Runs the plan. Exit 2 on a bad axis, range, objective or scenario; 1 when a run fails;
/// 130 when a signal stopped it; 0 otherwise (also when no value meets: the answer is then
/// null).
pub fn plan(a: &Args) -> Result<(), Error> {
    let s = setup(a)?;
    let mut tried: Vec<Tried> = Vec::new();
    let mut runs = 0u64;
    let found = plan::search(s.find, s.range.0, s.range.1, |values| {
        let (met, n) = try_values(a, &s, values, &mut tried)?;
        runs += n;
        Ok::<_, Error>(met)
    })?;
    let mut next = found
        .next
        .and_then(|v| tried.iter().find(|t| t.value == v).cloned());
    if let Some(t) = &mut next {
        let sc = scenario_at(&s.source, &s.key, t.value, &s.opts).map_err(Error::invalid)?;
        t.limiting_subnet = limiting_subnet(sc, s.seed);
    }
    let out = PlanJson {
        axis: a.axis.clone(),
        find: s.find.word(),
        range: [s.range.0, s.range.1],
        objectives: s.objectives.iter().map(|o| o.text.clone()).collect(),
        answer: found.answer,
        next,
        method: found.method.word(),
        monotone: found.monotone,
        runs,
        tried,
    };
    let text = match a.format {
        PlanFormat::Json => {
            let mut text = serde_json::to_string_pretty(&out)
                .map_err(|e| Error::failure(format_args!("writing JSON failed: {e}")))?;
            text.push('\n');
            text
        }
        PlanFormat::Text => text(&out, a.replications),
    };
    if found.monotone == Some(false) {
        eprint_line(
            "warning: the response is not monotone: a value before the answer missed an \
             objective (see tried in --format json)",
        );
    }
    print(&text)
}

/// Reads the scenario and checks the axis, the range, the objectives, the budget and both
/// ends of the range.
fn setup(a: &Args) -> Result<Search, Error> {
    let source = read_source(&a.scenario, "; nothing was run")?;
    let opts = LoadOptions {
        allow_large: a.allow_large,
    };
    let base = super::scenario_of(&a.scenario, &source, a.allow_large, "; nothing was run")?;
    let axis = resolve_axis(&a.axis, &base).map_err(Error::invalid)?;
    let (lo, hi) = match &a.range {
        Some(r) => parse_range(r).map_err(|m| Error::invalid(format_args!("--range {r}: {m}")))?,
        None => axis.range,
    };
    let texts: Vec<String> = if a.slo.is_empty() {
        DEFAULT_OBJECTIVES.iter().map(|s| s.to_string()).collect()
    } else {
        a.slo.clone()
    };
    let objectives = slo::parse_objectives(&texts).map_err(|problems| {
        let lines = problems.iter().map(|(i, m)| {
            let message = format!("--slo {}: {m}", texts[*i]);
            format!("error: {}", crate::scenario::Escaped(&message))
        });
        Error::lines(Exit::Invalid, lines.collect())
    })?;
    let find = match a.find {
        FindArg::Max => Find::Max,
        FindArg::Min => Find::Min,
    };
    check_budget(a, lo, hi)?;
    // both ends must be valid scenarios (the values between share their checks)
    for v in [lo, hi] {
        scenario_at(&source, &axis.key, v, &opts).map_err(Error::invalid)?;
    }
    let threads = a
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get() as u64))
        as usize;
    Ok(Search {
        seed: a.seed.unwrap_or(base.seed),
        source,
        opts,
        key: axis.key,
        range: (lo, hi),
        objectives,
        find,
        threads,
    })
}

/// The most runs the search may make must be within the budget (or `--allow-large`).
fn check_budget(a: &Args, lo: i64, hi: i64) -> Result<(), Error> {
    let n = (hi - lo) as u64 + 1;
    let values_at_most = if n <= plan::EXHAUSTIVE_MAX {
        n
    } else {
        2 + u64::from(64 - n.leading_zeros())
    };
    let runs_at_most = values_at_most * u64::from(a.replications);
    if runs_at_most > MAX_RUNS && !a.allow_large {
        return Err(Error::invalid(format_args!(
            "the plan may make {runs_at_most} runs ({values_at_most} values × {} \
             replications), more than the {MAX_RUNS} in the budget; narrow --range, lower \
             --replications, or pass --allow-large",
            a.replications
        )));
    }
    Ok(())
}

/// Runs the scenario at each of `values` (every replication) and judges them, adding them
/// to `tried`. Returns whether each met every objective, and the runs made.
fn try_values(
    a: &Args,
    s: &Search,
    values: &[i64],
    tried: &mut Vec<Tried>,
) -> Result<(Vec<bool>, u64), Error> {
    let mut scenarios: Vec<Scenario> = Vec::with_capacity(values.len());
    for &v in values {
        scenarios.push(scenario_at(&s.source, &s.key, v, &s.opts).map_err(Error::invalid)?);
    }
    let jobs: Vec<Job<'_>> = scenarios
        .iter()
        .flat_map(|sc| {
            (0..a.replications).map(move |r| Job {
                scenario: sc,
                seed: s.seed + u64::from(r),
                run_dir: None,
            })
        })
        .collect();
    let results = compare::run_all(&jobs, &s.source.sha256, s.threads, stop_flag(), &|_| {})
        .map_err(|e| Error::failure(format_args!("a run failed: {e}")))?;
    let per = a.replications as usize;
    let mut met = Vec::with_capacity(values.len());
    for (&v, figs) in values.iter().zip(results.chunks(per)) {
        let Some(figs) = figs.iter().cloned().collect::<Option<Vec<_>>>() else {
            return Err(Error::interrupted("interrupted: no answer"));
        };
        let t = judge(v, &s.objectives, &figs);
        met.push(t.met);
        tried.push(t);
    }
    Ok((met, jobs.len() as u64))
}

/// The scenario with the axis at `v`, validated.
fn scenario_at(source: &Source, key: &str, v: i64, opts: &LoadOptions) -> Result<Scenario, String> {
    source
        .with_overrides(&[(key.to_string(), v.to_string())], opts)
        .map_err(|e| {
            let first = e
                .problems
                .first()
                .map_or(String::new(), |p| p.message.clone());
            format!("{key}={v} makes the scenario invalid: {first}")
        })
}

/// Judges one value's runs: met when every run meets every objective.
fn judge(value: i64, objectives: &[Objective], runs: &[columns::Figures]) -> Tried {
    let fig = |run: &columns::Figures, name: &str| {
        columns::index_of(name)
            .and_then(|i| run[i])
            .map(|m| m as f64 / 1000.0)
    };
    let mut missed = Vec::new();
    for o in objectives {
        let col = o.metric.column();
        let bad: Vec<Option<f64>> = runs
            .iter()
            .map(|r| fig(r, col))
            .filter(|&v| !o.holds(v))
            .collect();
        if let Some(&worst) = bad.iter().max_by(|x, y| {
            let (x, y) = (x.unwrap_or(f64::INFINITY), y.unwrap_or(f64::INFINITY));
            match o.op {
                slo::Op::AtMost => x.total_cmp(&y),
                slo::Op::AtLeast => y.total_cmp(&x),
            }
        }) {
            missed.push(Missed {
                objective: o.text.clone(),
                value: worst,
            });
        }
    }
    let first = &runs[0];
    let main_wait = crate::model::record::WaitCause::ALL
        .iter()
        .filter(|c| **c != crate::model::record::WaitCause::Unschedulable)
        .filter_map(|c| Some((fig(first, &format!("wait_{}_s", c.word()))?, c.word())))
        .filter(|(s, _)| *s > 0.0)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, w)| w.to_string());
    Tried {
        value,
        met: missed.is_empty(),
        missed,
        main_wait,
        min_subnet_free_ips: fig(first, "min_subnet_free_ips"),
        limiting_subnet: None,
    }
}

/// Runs `sc` (the next step, first seed) keeping its events, and names the subnet that
/// turned most requests away; ties go to the first subnet in the scenario.
fn limiting_subnet(mut sc: Scenario, seed: u64) -> Option<LimitingSubnet> {
    use crate::model::record::{Fact, MemoryRecorder};
    sc.seed = seed;
    let stop = |_| !super::stop_requested();
    let (world, stats) = crate::sim::simulate(sc, MemoryRecorder::default(), &mut { stop });
    if stats.cancelled {
        return None;
    }
    let mut refusals = vec![0u64; world.subnets().len()];
    for e in &world.recorder().events {
        let refused = match e.fact {
            Fact::InsufficientAddresses { error, .. } => error.is_insufficient(),
            Fact::LaunchFailed { .. } => true,
            _ => false,
        };
        if let (true, Some(s)) = (refused, e.fact.subnet()) {
            refusals[s.index()] += 1;
        }
    }
    let (i, &n) = refusals
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(&a.0)))?;
    (n > 0).then(|| LimitingSubnet {
        subnet: world.subnets()[i].name.clone(),
        refusals: n,
    })
}

/// `LO..HI` (integers, LO ≤ HI).
fn parse_range(r: &str) -> Result<(i64, i64), String> {
    let (a, b) = r.split_once("..").ok_or("expected LO..HI, e.g. 1..200")?;
    let num = |s: &str| {
        s.trim()
            .trim_start_matches('=')
            .parse::<i64>()
            .map_err(|_| format!("{s:?} is not a whole number"))
    };
    let (lo, hi) = (num(a)?, num(b)?);
    if lo > hi {
        return Err(format!("{lo} is more than {hi}; give LO..HI with LO <= HI"));
    }
    if lo < 0 {
        return Err("values are 0 or more".into());
    }
    Ok((lo, hi))
}

/// The axis's `--set` key and default range, from the scenario as written.
fn resolve_axis(axis: &str, sc: &Scenario) -> Result<AxisInfo, String> {
    let parts: Vec<&str> = axis.split('.').collect();
    // the list item named `name`, or an error naming the ones there are
    fn named<'a, T>(
        axis: &str,
        what: &str,
        items: &'a [T],
        name: &str,
        name_of: impl Fn(&T) -> &str,
    ) -> Result<&'a T, String> {
        items.iter().find(|i| name_of(i) == name).ok_or_else(|| {
            let names: Vec<&str> = items.iter().map(&name_of).collect();
            format!(
                "{axis}: no {what} named {name:?} (the scenario has: {})",
                names.join(", ")
            )
        })
    }
    // values up to 10× today's (at least 100), from 0
    let widen = |now: u64| (0, now.saturating_mul(10).max(100) as i64);
    let range = match parts.as_slice() {
        ["nodegroups", name, "count"] => {
            let g = named(axis, "nodegroup", &sc.nodegroups, name, |g| &g.name)?;
            widen(u64::from(g.count))
        }
        ["workloads", name, "replicas"] => {
            let w = named(axis, "workload", &sc.workloads, name, |w| &w.name)?;
            widen(
                w.steps
                    .iter()
                    .map(|&(_, r)| u64::from(r))
                    .max()
                    .unwrap_or(0),
            )
        }
        ["subnets", name, "prefix"] => {
            named(axis, "subnet", &sc.subnets, name, |s| &s.name)?;
            // a VPC subnet is /16 to /28
            (16, 28)
        }
        [setting] | ["cni", setting] if numeric_cni(setting) => {
            return Ok(AxisInfo {
                key: format!("cni.{setting}"),
                range: (0, 64),
            })
        }
        _ => {
            return Err(format!(
                "{axis} is not an axis plan can search: give nodegroups.NAME.count, \
                 workloads.NAME.replicas, subnets.NAME.prefix or a numeric aws-node setting \
                 ({})",
                NUMERIC_CNI.join(", ")
            ))
        }
    };
    Ok(AxisInfo {
        key: axis.to_string(),
        range,
    })
}

/// The aws-node settings that take a whole number.
const NUMERIC_CNI: [&str; 6] = [
    "WARM_ENI_TARGET",
    "WARM_IP_TARGET",
    "MINIMUM_IP_TARGET",
    "WARM_PREFIX_TARGET",
    "MAX_ENI",
    "IP_COOLDOWN_PERIOD",
];

fn numeric_cni(name: &str) -> bool {
    NUMERIC_CNI.contains(&name)
}

/// The text answer.
fn text(p: &PlanJson, replications: u32) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let which = if p.find == "max" {
        "largest"
    } else {
        "smallest"
    };
    let _ = match p.answer {
        Some(v) => writeln!(s, "{which} {} meeting every objective: {v}", p.axis),
        None => writeln!(
            s,
            "no value of {} in {}..{} meets every objective",
            p.axis, p.range[0], p.range[1]
        ),
    };
    let _ = writeln!(s, "objectives: {}", p.objectives.join(", "));
    match &p.next {
        Some(t) => {
            let misses: Vec<String> = t
                .missed
                .iter()
                .map(|m| match m.value {
                    Some(v) => format!("{} ({v})", m.objective),
                    None => format!("{} (no value)", m.objective),
                })
                .collect();
            let step = if p.answer.is_some() {
                "next step"
            } else {
                "first value"
            };
            let _ = writeln!(s, "{step} {} misses: {}", t.value, misses.join(", "));
            let mut why = Vec::new();
            if let Some(l) = &t.limiting_subnet {
                why.push(format!(
                    "subnet {} ran out ({} requests refused)",
                    l.subnet, l.refusals
                ));
            }
            if let Some(w) = &t.main_wait {
                why.push(format!("pods wait mostly {w}"));
            }
            if let Some(f) = t.min_subnet_free_ips {
                why.push(format!("min subnet free IPs {f}"));
            }
            if !why.is_empty() {
                let _ = writeln!(s, "  there: {}", why.join("; "));
            }
        }
        None => {
            let _ = writeln!(
                s,
                "the range's end meets every objective: widen --range to look further"
            );
        }
    }
    let _ = writeln!(
        s,
        "search: {} over {}..{}, {} values, {} runs ({} per value)",
        p.method,
        p.range[0],
        p.range[1],
        p.tried.len(),
        p.runs,
        replications
    );
    s
}
