//! `ipamsim compare`: one scenario under every combination of CNI settings.
//!
//! Each combination is the scenario file with its `cni:` values replaced, validated again
//! (so defaults that depend on the mode, such as max pods, follow). Every run uses the same
//! seed and per-node random streams, so the workload and every draw that does not depend
//! on the setting are the same in all runs (common random numbers). With replications,
//! replication r of every setting uses seed + r − 1, so the settings are compared seed by
//! seed (paired differences). Runs are independent and deterministic, so the results do not
//! depend on how many run at once, nor on how the grid is sharded.
//!
//! Modules: [`analysis`] (statistics, Pareto front, objectives, recommendation), [`rows`]
//! (comparison.csv and comparison.json), [`table`] (stdout), [`shard`] (`--shard K/N` parts
//! and `merge`). The figures kept of each run, in column order, are
//! [`crate::decide::columns`] (a floor below: `run --slo` judges the same figures).

pub mod analysis;
pub mod rows;
pub mod shard;
pub mod table;

/// The figures kept of each run ([`crate::decide::columns`]), under their former path.
pub use crate::decide::columns;
use crate::scenario::{self, check_cni_value, Scenario};
use crate::sim;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

/// One swept setting: a CNI name and its values, in the order given.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Axis {
    /// aws-node environment variable name.
    pub key: String,
    /// Values as written.
    pub values: Vec<String>,
}

/// One combination: `(key, value)` per axis, in axis order.
pub type Setting = Vec<(String, String)>;

/// Parses `--set KEY=v1,v2,...`; the key must be a CNI setting and every value valid for it.
pub fn parse_set(arg: &str) -> Result<Axis, String> {
    let (key, values) = arg.split_once('=').ok_or_else(|| {
        format!("--set {arg}: expected KEY=v1,v2,... such as WARM_IP_TARGET=0,2,5")
    })?;
    let key = key.trim().to_string();
    let values: Vec<String> = values.split(',').map(|v| v.trim().to_string()).collect();
    if values.iter().any(String::is_empty) {
        return Err(format!(
            "--set {arg}: an empty value; separate values with commas"
        ));
    }
    // A dotted key (`ipam.plugin`) or a top-level scenario key is checked when the
    // scenario is validated with it; a bare name is an aws-node variable, checked here.
    use scenario::raw::Keys;
    let top_level = scenario::raw::RawScenario::KEYS.contains(&key.as_str());
    let cni = !key.contains('.') && !top_level;
    let mut seen: Vec<(String, &str)> = Vec::new();
    for v in &values {
        let canonical = if cni {
            check_cni_value(&key, v).map_err(|e| format!("--set {arg}: {e}"))?;
            scenario::normalize_cni_value(&key, v).map_err(|e| format!("--set {arg}: {e}"))?
        } else {
            v.clone()
        };
        if let Some((_, first)) = seen.iter().find(|(c, _)| *c == canonical) {
            return Err(format!(
                "--set {arg}: {first} and {v} are the same value of {key}; give each value once"
            ));
        }
        seen.push((canonical, v));
    }
    Ok(Axis { key, values })
}

/// The axes of a comparison: the scenario's `sweep:` block, with `--set` axes replacing
/// the same key or added after it.
pub fn axes(sweep: &[(String, Vec<String>)], sets: &[Axis]) -> Vec<Axis> {
    let mut out: Vec<Axis> = sweep
        .iter()
        .map(|(k, v)| Axis {
            key: k.clone(),
            values: v.clone(),
        })
        .collect();
    for a in sets {
        match out.iter_mut().find(|x| x.key == a.key) {
            Some(x) => x.values = a.values.clone(),
            None => out.push(a.clone()),
        }
    }
    out
}

/// Every combination (cartesian product), the first axis varying slowest.
pub fn combinations(axes: &[Axis]) -> Vec<Setting> {
    let mut out: Vec<Setting> = vec![Vec::new()];
    for a in axes {
        out = out
            .into_iter()
            .flat_map(|prefix| {
                a.values.iter().map(move |v| {
                    let mut s = prefix.clone();
                    s.push((a.key.clone(), v.clone()));
                    s
                })
            })
            .collect();
    }
    out
}

/// A setting's label, e.g. `WARM_IP_TARGET=2 MINIMUM_IP_TARGET=10`.
pub fn label(setting: &Setting) -> String {
    setting
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A setting's directory name under `runs/`, e.g. `WARM_IP_TARGET=2,MINIMUM_IP_TARGET=10`.
pub fn dir_name(setting: &Setting) -> String {
    label(setting).replace(' ', ",")
}

/// One run to do: a combination's scenario with one replication's seed.
#[derive(Clone, Debug)]
pub struct Job<'a> {
    /// The combination's scenario (its seed is replaced by `seed`).
    pub scenario: &'a Scenario,
    /// The replication's seed.
    pub seed: u64,
    /// Where to keep the run's files (`--keep-runs`), if anywhere.
    pub run_dir: Option<PathBuf>,
}

/// One run's share of a comparison's work in [`RunsProgress::units`].
pub const RUN_UNITS: u64 = 1000;

/// Where a comparison's runs stand, for its progress bar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunsProgress {
    /// Runs finished so far.
    pub finished: usize,
    /// Work done: [`RUN_UNITS`] per finished run plus, for each running run, its share of
    /// [`RUN_UNITS`] in simulated time (at most `RUN_UNITS × jobs`).
    pub units: u64,
    /// This report is of a run that just finished (the `finished`-th).
    pub just_finished: bool,
}

/// Runs every job on `threads` threads and keeps each run's [`columns::Figures`]. A job
/// with a `run_dir` also writes its files there. `cancel` set: no new run starts and
/// running ones stop at their next look (the engine looks every 10 ms of wall time); their
/// slots stay `None`. `progress` is called from the worker threads after each finished run
/// and whenever a running run looks (every 10 ms of wall time). Results are in job order
/// whatever the thread count.
pub fn run_all(
    jobs: &[Job<'_>],
    sha256: &str,
    threads: usize,
    cancel: &AtomicBool,
    progress: &(dyn Fn(RunsProgress) + Sync),
) -> Result<Vec<Option<columns::Figures>>, sim::RunError> {
    let next = AtomicUsize::new(0);
    let finished = AtomicUsize::new(0);
    let units = AtomicU64::new(0);
    let results: Mutex<Vec<Option<columns::Figures>>> = Mutex::new(vec![None; jobs.len()]);
    let error: Mutex<Option<sim::RunError>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1).min(jobs.len().max(1)) {
            scope.spawn(|| loop {
                if cancel.load(Ordering::Relaxed) {
                    return;
                }
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(job) = jobs.get(i) else {
                    return;
                };
                let mut sc = job.scenario.clone();
                sc.seed = job.seed;
                let duration = sc.duration.micros().max(1);
                // this run's units counted so far
                let mut counted = 0u64;
                let mut keep_going = |t: crate::time::SimTime| {
                    let share = (u128::from(t.micros().min(duration)) * u128::from(RUN_UNITS)
                        / u128::from(duration)) as u64;
                    if share > counted {
                        let step = share - counted;
                        counted = share;
                        progress(RunsProgress {
                            finished: finished.load(Ordering::Relaxed),
                            units: units.fetch_add(step, Ordering::Relaxed) + step,
                            just_finished: false,
                        });
                    }
                    !cancel.load(Ordering::Relaxed)
                };
                let outcome = match &job.run_dir {
                    Some(dir) => match sim::run_to_dir(sc, dir, sha256, &mut keep_going) {
                        Ok((summary, _)) => Ok(Some(summary)),
                        Err(sim::RunError::Cancelled) => Ok(None),
                        Err(e) => Err(e),
                    },
                    None => Ok(sim::summary_only(sc, sha256, &mut keep_going)),
                };
                match outcome {
                    Ok(Some(summary)) => {
                        results.lock().expect("no panics while locked")[i] =
                            Some(columns::figures(&summary));
                        let rest = RUN_UNITS.saturating_sub(counted);
                        let total = units.fetch_add(rest, Ordering::Relaxed) + rest;
                        progress(RunsProgress {
                            finished: finished.fetch_add(1, Ordering::Relaxed) + 1,
                            units: total,
                            just_finished: true,
                        });
                    }
                    Ok(None) => return,
                    Err(e) => {
                        error
                            .lock()
                            .expect("no panics while locked")
                            .get_or_insert(e);
                        cancel.store(true, Ordering::Relaxed);
                        return;
                    }
                }
            });
        }
    });
    if let Some(e) = error.into_inner().expect("threads joined") {
        return Err(e);
    }
    Ok(results.into_inner().expect("threads joined"))
}

/// A kept run's directory name under `runs/`: the setting's [`dir_name`], with `,seed=S`
/// appended when there are several replications.
pub fn run_dir_name(setting: &Setting, seed: u64, replications: u32) -> String {
    if replications > 1 {
        format!("{},seed={seed}", dir_name(setting))
    } else {
        dir_name(setting)
    }
}

/// Removes the per-setting run directories under `out/runs/` that this comparison did not
/// write (`keep` holds the ones it did, by [`dir_name`]): a directory then never mixes an
/// earlier comparison's runs with this one's. Only directories holding a `summary.json`
/// (ipamsim runs) are removed; `runs/` itself goes when it is left empty.
pub fn remove_stale_runs(out: &Path, keep: &[String]) -> std::io::Result<()> {
    let runs = out.join("runs");
    let Ok(entries) = std::fs::read_dir(&runs) else {
        return Ok(());
    };
    for entry in entries {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.join("summary.json").is_file() && !keep.iter().any(|k| k == name) {
            std::fs::remove_dir_all(&path)?;
        }
    }
    if std::fs::read_dir(&runs)?.next().is_none() {
        std::fs::remove_dir(&runs)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cartesian_product_first_axis_slowest() {
        let axes = vec![
            parse_set("WARM_IP_TARGET=0,2").unwrap(),
            parse_set("ENABLE_PREFIX_DELEGATION=false,true").unwrap(),
        ];
        let combos = combinations(&axes);
        let labels: Vec<String> = combos.iter().map(label).collect();
        assert_eq!(
            labels,
            vec![
                "WARM_IP_TARGET=0 ENABLE_PREFIX_DELEGATION=false",
                "WARM_IP_TARGET=0 ENABLE_PREFIX_DELEGATION=true",
                "WARM_IP_TARGET=2 ENABLE_PREFIX_DELEGATION=false",
                "WARM_IP_TARGET=2 ENABLE_PREFIX_DELEGATION=true",
            ]
        );
        assert_eq!(
            dir_name(&combos[1]),
            "WARM_IP_TARGET=0,ENABLE_PREFIX_DELEGATION=true"
        );
    }

    #[test]
    fn set_values_are_checked_like_aws_node_parses_them() {
        assert!(parse_set("WARM_IP_TARGET=0,x")
            .unwrap_err()
            .contains("not an integer"));
        assert!(parse_set("WARM_IP_TARGETS=1")
            .unwrap_err()
            .contains("unknown CNI setting"));
        assert!(parse_set("ENABLE_PREFIX_DELEGATION=yes")
            .unwrap_err()
            .contains("not a boolean"));
        assert!(parse_set("WARM_IP_TARGET")
            .unwrap_err()
            .contains("KEY=v1,v2"));
        assert!(parse_set("WARM_IP_TARGET=1,,2")
            .unwrap_err()
            .contains("empty value"));
    }

    #[test]
    fn set_replaces_sweep_axis_of_the_same_key() {
        let sweep = vec![
            (
                "WARM_IP_TARGET".to_string(),
                vec!["0".to_string(), "1".to_string()],
            ),
            ("MINIMUM_IP_TARGET".to_string(), vec!["0".to_string()]),
        ];
        let a = axes(
            &sweep,
            &[
                parse_set("WARM_IP_TARGET=5").unwrap(),
                parse_set("MAX_ENI=2").unwrap(),
            ],
        );
        let keys: Vec<(&str, usize)> = a.iter().map(|x| (x.key.as_str(), x.values.len())).collect();
        assert_eq!(
            keys,
            vec![
                ("WARM_IP_TARGET", 1),
                ("MINIMUM_IP_TARGET", 1),
                ("MAX_ENI", 1)
            ]
        );
        assert_eq!(combinations(&a).len(), 1);
    }

    #[test]
    fn settings_are_applied_and_revalidated() {
        let text = "duration: 1m
sweep: {WARM_IP_TARGET: [1, 2]}
subnets: [{name: a, cidr: 10.0.0.0/24}]
nodegroups: [{name: ng, instance_type: m5.large, count: 1, subnet: a}]
";
        let source = scenario::Source::from_text(text, "x.yaml", Path::new("")).unwrap();
        let opts = scenario::LoadOptions::default();
        let set = |k: &str, v: &str| vec![(k.to_string(), v.to_string())];
        let sc = source
            .with_overrides(&set("ENABLE_PREFIX_DELEGATION", "true"), &opts)
            .unwrap();
        assert!(sc.cni.enable_prefix_delegation);
        // the default max pods follows the mode: 110 with prefix delegation (was 29)
        assert_eq!(sc.nodegroups[0].max_pods, 110);
        // custom networking without an ENIConfig is invalid
        let err = source
            .with_overrides(&set("AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG", "true"), &opts)
            .unwrap_err();
        assert!(err.to_string().contains("ENIConfig"), "{err}");
    }

    #[test]
    fn the_same_value_twice_is_refused() {
        // 1 and 01 are the same integer to aws-node
        assert!(parse_set("WARM_IP_TARGET=1,01")
            .unwrap_err()
            .contains("same value"));
        assert!(parse_set("ENABLE_PREFIX_DELEGATION=true,1")
            .unwrap_err()
            .contains("same value"));
        assert_eq!(parse_set("WARM_IP_TARGET=0,1,2").unwrap().values.len(), 3);
    }
}
