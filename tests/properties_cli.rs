//! Property tests of the command line's decision tools (proptest, fixed seed, no
//! persistence): random multi-axis `--set` grids and random `plan` questions, run through
//! the binary as a user would.
//!
//! - A `compare` grid of one to three axes, each with one to three values, runs every
//!   combination exactly once (the product of the list lengths, each setting named once,
//!   each axis column holding exactly the values given); a grid with one bad value is
//!   refused with exit 2, naming that value, before anything is run or written.
//! - Any bytes in a `--set` value never panic: exit 0 with a comparison, or exit 2 with
//!   nothing written.
//! - `plan`'s answer agrees with `compare`: the answer meets every objective and the next
//!   step misses one, when `compare` runs the two values on its own.
//!
//! Each case runs in a fraction of a second (one node group, minutes of simulated time).
use crate::common;

use common::fresh_dir;
use common::prop::{check_all, ensure, runner};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::TestCaseError;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Output;
use std::sync::atomic::{AtomicU64, Ordering};

/// A small cluster: one /P subnet, one node group, a host-network and a pod-network
/// DaemonSet, and a deployment of `replicas` pods at 30 s.
#[derive(Clone, Debug)]
struct Base {
    prefix_delegation: bool,
    instance_type: &'static str,
    prefix: u32,
    count: u32,
    replicas: u32,
}

impl Base {
    fn yaml(&self) -> String {
        format!(
            "duration: 2m\n\
             cni: {{ENABLE_PREFIX_DELEGATION: {}}}\n\
             subnets: [{{name: a, cidr: 10.0.0.0/{}}}]\n\
             nodegroups: [{{name: workers, instance_type: {}, count: {}, subnet: a}}]\n\
             daemonsets: [{{name: kube-proxy, host_network: true}}, {{name: agent}}]\n\
             workloads: [{{name: web, replicas: {}, at: 30s}}]\n",
            self.prefix_delegation, self.prefix, self.instance_type, self.count, self.replicas
        )
    }
}

fn base() -> impl Strategy<Value = Base> {
    (
        any::<bool>(),
        select(vec!["m5.large", "t3.medium", "c5.xlarge"]),
        22u32..=26,
        1u32..=4,
        0u32..=60,
    )
        .prop_map(
            |(prefix_delegation, instance_type, prefix, count, replicas)| Base {
                prefix_delegation,
                instance_type,
                prefix,
                count,
                replicas,
            },
        )
}

/// Writes `text` into a fresh directory of its own; returns the directory and the file.
fn scenario_file(tag: &str, text: &str) -> (std::path::PathBuf, String) {
    static N: AtomicU64 = AtomicU64::new(0);
    let dir = fresh_dir(tag, &N.fetch_add(1, Ordering::Relaxed).to_string());
    let path = dir.join("s.yaml");
    std::fs::write(&path, text).unwrap();
    (dir, path.to_str().unwrap().to_string())
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// comparison.csv as its header and rows.
fn table(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|row| row.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

// ----- multi-axis --set grids -----

/// The axes a grid draws from, each with valid values.
const AXES: [(&str, &[&str]); 5] = [
    ("WARM_IP_TARGET", &["0", "1", "2", "5", "8"]),
    ("nodegroups.workers.count", &["1", "2", "3"]),
    ("subnets.a.prefix", &["22", "24", "25", "26"]),
    ("workloads.web.replicas", &["0", "5", "20", "40"]),
    ("duration", &["1m", "90s", "2m"]),
];

/// Values no axis above accepts. (Not `-1`: a negative `WARM_IP_TARGET` means "not set",
/// as ipamd reads it, spec/ipamd.md.)
const BAD: [&str; 3] = ["abc", "1.5x", "1e999"];

#[derive(Clone, Debug)]
struct Grid {
    base: Base,
    /// (axis, its values), axes distinct, values distinct.
    axes: Vec<(&'static str, Vec<&'static str>)>,
    /// A bad value put in place of one value: (axis position, value position, the value).
    bad: Option<(usize, usize, &'static str)>,
}

impl Grid {
    fn args(&self) -> Vec<String> {
        let mut v = Vec::new();
        for (i, (axis, values)) in self.axes.iter().enumerate() {
            let mut values = values.clone();
            if let Some((a, k, bad)) = self.bad {
                if a == i {
                    let k = k % values.len();
                    values[k] = bad;
                }
            }
            v.push("--set".to_string());
            v.push(format!("{axis}={}", values.join(",")));
        }
        v
    }
}

fn grid() -> impl Strategy<Value = Grid> {
    let axes = proptest::sample::subsequence((0..AXES.len()).collect::<Vec<_>>(), 1..=3)
        .prop_flat_map(|chosen| {
            chosen
                .into_iter()
                .map(|a| {
                    proptest::sample::subsequence(AXES[a].1.to_vec(), 1..=3)
                        .prop_map(move |values| (AXES[a].0, values))
                })
                .collect::<Vec<_>>()
        });
    let bad = proptest::option::weighted(0.3, (0usize..3, 0usize..3, select(BAD.to_vec())));
    (base(), axes, bad).prop_map(|(base, axes, bad)| {
        let bad = bad.map(|(a, k, v)| (a % axes.len(), k, v));
        Grid { base, axes, bad }
    })
}

#[test]
fn set_grids_of_several_axes_run_every_combination_once_or_name_the_bad_value() {
    check_all(
        runner(12, 3, 1),
        grid(),
        |g| format!("{}compare {}", g.base.yaml(), g.args().join(" ")),
        |g| {
            let (dir, scenario) = scenario_file("prop-set", &g.base.yaml());
            let out = dir.join("out");
            let mut args = vec![
                "compare".to_string(),
                scenario,
                "-q".to_string(),
                "--out".to_string(),
                out.to_str().unwrap().to_string(),
            ];
            args.extend(g.args());
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let o = common::ipamsim(&args);
            let err = stderr(&o);
            ensure!(!err.contains("panicked"), "{err}");
            if let Some((_, _, bad)) = g.bad {
                ensure!(o.status.code() == Some(2), "{:?}: {err}", o.status);
                ensure!(
                    err.contains(bad),
                    "the bad value {bad:?} is not named: {err}"
                );
                ensure!(
                    !out.join("comparison.csv").exists(),
                    "a comparison was written"
                );
                let _ = std::fs::remove_dir_all(&dir);
                return Ok(());
            }
            ensure!(o.status.code() == Some(0), "{:?}: {err}", o.status);
            let (header, rows) = table(&out.join("comparison.csv"));
            // every combination once: the product of the list lengths, settings distinct
            let product: usize = g.axes.iter().map(|(_, v)| v.len()).product();
            ensure!(
                rows.len() == product,
                "{} rows, {product} combinations",
                rows.len()
            );
            let settings: BTreeSet<&str> = rows.iter().map(|r| r[0].as_str()).collect();
            ensure!(settings.len() == product, "settings repeat: {settings:?}");
            for (axis, values) in &g.axes {
                let Some(c) = header.iter().position(|h| h == axis) else {
                    return Err(TestCaseError::fail(format!("no column {axis}: {header:?}")));
                };
                let shown: BTreeSet<&str> = rows.iter().map(|r| r[c].as_str()).collect();
                let given: BTreeSet<&str> = values.iter().copied().collect();
                ensure!(shown == given, "{axis}: shown {shown:?}, given {given:?}");
                // each value in product / len rows
                for v in values {
                    let n = rows.iter().filter(|r| r[c] == *v).count();
                    ensure!(n == product / values.len(), "{axis}={v} in {n} rows");
                }
            }
            let _ = std::fs::remove_dir_all(&dir);
            Ok(())
        },
    );
}

/// Any bytes (printable or not) as one `--set` item's values never panic and never leave a
/// half-written comparison: exit 0 with every setting, or exit 2 with nothing written.
#[test]
fn any_set_value_is_run_or_refused_cleanly() {
    let axes = select(vec![
        "WARM_IP_TARGET",
        "subnets.a.prefix",
        "duration",
        "nodegroups.workers.count",
    ]);
    let value = proptest::collection::vec(any::<char>(), 0..12)
        .prop_map(|cs| cs.into_iter().filter(|c| *c != '\0').collect::<String>());
    check_all(
        runner(24, 6, 2),
        (axes, value),
        |(axis, value)| format!("--set {axis}={value:?}"),
        |(axis, value)| {
            let b = Base {
                prefix_delegation: false,
                instance_type: "m5.large",
                prefix: 24,
                count: 1,
                replicas: 5,
            };
            let (dir, scenario) = scenario_file("prop-set-any", &b.yaml());
            let out = dir.join("out");
            let set = format!("{axis}={value}");
            let o = common::ipamsim(&[
                "compare",
                &scenario,
                "-q",
                "--out",
                out.to_str().unwrap(),
                "--set",
                &set,
            ]);
            let err = stderr(&o);
            ensure!(!err.contains("panicked"), "{err}");
            match o.status.code() {
                Some(0) => {
                    let (_, rows) = table(&out.join("comparison.csv"));
                    ensure!(!rows.is_empty(), "an empty comparison");
                }
                Some(2) => {
                    ensure!(
                        !out.join("comparison.csv").exists(),
                        "a comparison was written"
                    );
                    ensure!(
                        err.lines().all(|l| !l.contains('\u{1b}')),
                        "a raw escape reached stderr: {err:?}"
                    );
                }
                other => return Err(TestCaseError::fail(format!("{other:?}: {err}"))),
            }
            let _ = std::fs::remove_dir_all(&dir);
            Ok(())
        },
    );
}

// ----- plan -----

#[derive(Clone, Debug)]
struct Question {
    base: Base,
    /// `nodegroups.workers.count` (max over 1..hi), `subnets.a.prefix` (max over 20..28)
    /// or `workloads.web.replicas` (max over 0..hi).
    axis: &'static str,
    range: (i64, i64),
}

fn question() -> impl Strategy<Value = Question> {
    (base(), 0usize..3, 4i64..=40).prop_map(|(base, a, hi)| {
        let (axis, range) = match a {
            0 => ("nodegroups.workers.count", (1, hi)),
            1 => ("subnets.a.prefix", (20, 28)),
            _ => ("workloads.web.replicas", (0, hi * 10)),
        };
        Question { base, axis, range }
    })
}

/// `compare --set AXIS=a,b` on its own: for each value, whether every default objective
/// held (slo_met), in the order given.
fn judged(scenario: &str, dir: &Path, axis: &str, values: &[i64]) -> Result<Vec<bool>, String> {
    let out = dir.join("check");
    let set = format!(
        "{axis}={}",
        values
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",")
    );
    let o = common::ipamsim(&[
        "compare",
        scenario,
        "-q",
        "--set",
        &set,
        "--slo",
        "subnet_full_wait<=0",
        "--slo",
        "no_free_prefix_wait<=0",
        "--slo",
        "nodes_launch_failed<=0",
        "--out",
        out.to_str().unwrap(),
    ]);
    if !matches!(o.status.code(), Some(0 | 3)) {
        return Err(format!("compare: {:?}: {}", o.status, stderr(&o)));
    }
    let (header, rows) = table(&out.join("comparison.csv"));
    let col = header.iter().position(|h| h == axis).unwrap();
    let met = header.iter().position(|h| h == "slo_met").unwrap();
    values
        .iter()
        .map(|v| {
            rows.iter()
                .find(|r| r[col] == v.to_string())
                .map(|r| r[met] == "1" || r[met] == "true")
                .ok_or_else(|| format!("no row for {v}"))
        })
        .collect()
}

#[test]
fn plan_answers_meet_and_their_next_steps_miss_when_compare_runs_them() {
    check_all(
        runner(10, 2, 3),
        question(),
        |q| {
            format!(
                "{}plan --find max {} --range {}..{}",
                q.base.yaml(),
                q.axis,
                q.range.0,
                q.range.1
            )
        },
        |q| {
            let (dir, scenario) = scenario_file("prop-plan", &q.base.yaml());
            let range = format!("{}..{}", q.range.0, q.range.1);
            let o = common::ipamsim(&[
                "plan", &scenario, "--find", "max", q.axis, "--range", &range, "--format", "json",
            ]);
            let err = stderr(&o);
            ensure!(!err.contains("panicked"), "{err}");
            // exit 0 with an answer or without one (docs/commands.md#plan)
            ensure!(o.status.code() == Some(0), "{:?}: {err}", o.status);
            let j: serde_json::Value = serde_json::from_slice(&o.stdout)
                .map_err(|e| TestCaseError::fail(format!("{e}: {err}")))?;
            let answer = j["answer"].as_i64();
            let next = j["next"]["value"].as_i64();
            // the answer lies in the range; the next step is one past it
            match answer {
                Some(a) => {
                    ensure!(
                        q.range.0 <= a && a <= q.range.1,
                        "answer {a} outside {range}"
                    );
                    match next {
                        Some(n) => ensure!(n == a + 1, "next {n} after {a}"),
                        None => ensure!(a == q.range.1, "no next step before the end: {a}"),
                    }
                }
                // without an answer, the first value is the one shown as missing
                None => ensure!(
                    next.is_none_or(|n| n == q.range.0),
                    "no answer, next {next:?}"
                ),
            }
            let values: Vec<i64> = match (answer, next) {
                (Some(a), Some(n)) => vec![a, n],
                (Some(a), None) => vec![a],
                (None, _) => vec![q.range.0],
            };
            let met = judged(&scenario, &dir, q.axis, &values).map_err(TestCaseError::fail)?;
            match answer {
                Some(_) => {
                    ensure!(met[0], "compare says the answer {} misses", values[0]);
                    if values.len() == 2 {
                        ensure!(!met[1], "compare says the next step {} meets", values[1]);
                    }
                }
                None => ensure!(!met[0], "no answer, but {} meets", values[0]),
            }
            let _ = std::fs::remove_dir_all(&dir);
            Ok(())
        },
    );
}
