//! `compare`'s first step: the list of settings to run, built and checked before anything
//! runs (the `--set` flags and `sweep:`, the objectives, the seeds, the budget, every
//! combination's scenario, the baseline).

use super::super::{read_source, scenario_of, Error, Exit};
use super::Args;
use crate::compare::analysis::Baseline;
use crate::compare::{self, Axis, Setting};
use crate::decide::slo::{parse_objective, Objective};
use crate::scenario::{self, Escaped, Scenario, Source};
use crate::text::Count;

/// What the count of a scenario's problems ends with here.
const NOTHING_RUN: &str = "; nothing was run";

/// What a comparison will run.
pub(super) struct Plan {
    /// The scenario file as read (its text, SHA-256 and tree).
    pub source: Source,
    /// The scenario's name.
    pub name: String,
    /// The swept settings: `sweep:` and `--set`.
    pub axes: Vec<Axis>,
    /// The scenario's objectives, then the flags'.
    pub objectives: Vec<Objective>,
    /// The first replication's seed.
    pub seed: u64,
    /// Replications per setting (at least 1).
    pub replications: u32,
    /// Every combination with its scenario, in grid order.
    pub scenarios: Vec<(Setting, Scenario)>,
    /// The setting the differences are taken against.
    pub baseline: Baseline,
}

/// Builds the plan; the first problem found ends the command with exit 2.
pub(super) fn plan(a: &Args) -> Result<Plan, Error> {
    let file = scenario::shown_path(&a.scenario).to_string();
    let source = read_source(&a.scenario, NOTHING_RUN)?;
    let base = scenario_of(&a.scenario, &source, a.allow_large, NOTHING_RUN)?;
    let axes = compare::axes(&base.sweep, &parse_sets(&a.set)?);
    if axes.is_empty() {
        return Err(Error::invalid(format_args!(
            "nothing to compare: give --set KEY=v1,v2,... or a `sweep:` block in {file}"
        )));
    }
    // the scenario's own objectives first, then the flags'
    let objectives: Vec<_> = base
        .slo
        .iter()
        .cloned()
        .chain(parse_slo_flags(&a.slo)?)
        .collect();
    let replications = a.replications.max(1);
    let seed = a.seed.unwrap_or(base.seed);
    if seed.checked_add(u64::from(replications) - 1).is_none() {
        return Err(Error::invalid(format_args!(
            "--replications {replications} from seed {seed} needs seeds past \
             18446744073709551615; choose a smaller --seed"
        )));
    }
    check_budget(a, &source, &axes, replications)?;
    let scenarios = scenarios(&source, &file, &axes, a.allow_large)?;
    let as_written = scenarios
        .iter()
        .position(|(_, sc)| sc.cni == base.cni && sc.ipam == base.ipam);
    let baseline = Baseline {
        index: as_written.unwrap_or(0),
        as_written: as_written.is_some(),
    };
    Ok(Plan {
        source,
        name: base.name,
        axes,
        objectives,
        seed,
        replications,
        scenarios,
        baseline,
    })
}

/// Parses `--set` flags, in order; a key given twice is refused.
fn parse_sets(sets: &[String]) -> Result<Vec<Axis>, Error> {
    let mut axes: Vec<Axis> = Vec::new();
    for s in sets {
        let axis = compare::parse_set(s).map_err(|e| Error::invalid(Escaped(&e)))?;
        if axes.iter().any(|x| x.key == axis.key) {
            let message = format!(
                "--set {s}: {} is given twice; put all its values in one --set",
                axis.key
            );
            return Err(Error::invalid(Escaped(&message)));
        }
        axes.push(axis);
    }
    Ok(axes)
}

/// Parses `--slo` flags; the message names the flag.
pub fn parse_slo_flags(flags: &[String]) -> Result<Vec<Objective>, Error> {
    flags
        .iter()
        .map(|f| {
            parse_objective(f).map_err(|e| {
                let message = format!("--slo {f}: {e}");
                Error::invalid(Escaped(&message))
            })
        })
        .collect()
}

/// One budget for every sweep: the grid (`sweep:` and --set alike) times the
/// replications, before any combination is built.
fn check_budget(a: &Args, source: &Source, axes: &[Axis], replications: u32) -> Result<(), Error> {
    let runs = axes.iter().fold(u64::from(replications), |n, x| {
        n.saturating_mul(x.values.len() as u64)
    });
    let scenario_allows = source
        .tree()
        .and_then(|t| t.get("allow_large"))
        .is_some_and(|v| matches!(v.kind, scenario::yaml::Kind::Bool(true)));
    let budget = scenario::validate::budget::MAX_SWEEP;
    if runs > budget && !a.allow_large && !scenario_allows {
        let grid = runs / u64::from(replications);
        let (g, r) = (
            Count(grid, "combination", "combinations"),
            Count(u64::from(replications), "replication", "replications"),
        );
        return Err(Error::invalid(format_args!(
            "the comparison would make {runs} runs ({g} × {r}), more than the {budget} \
             runs in the budget; sweep fewer values or pass --allow-large; nothing was run"
        )));
    }
    Ok(())
}

/// Every combination's scenario; each invalid one is named with its problems, then they
/// are counted.
fn scenarios(
    source: &Source,
    file: &str,
    axes: &[Axis],
    allow_large: bool,
) -> Result<Vec<(Setting, Scenario)>, Error> {
    let opts = scenario::LoadOptions { allow_large };
    let mut scenarios = Vec::new();
    let mut problems = Vec::new();
    for setting in compare::combinations(axes) {
        match source.with_overrides(&setting, &opts) {
            Ok(sc) => scenarios.push((setting, sc)),
            Err(mut e) => {
                // name the combination that makes the scenario invalid
                e.file = format!("{file} [{}]", compare::label(&setting));
                problems.push(e.to_string());
            }
        }
    }
    if problems.is_empty() {
        return Ok(scenarios);
    }
    let invalid = problems.len() as u64;
    problems.push(format!(
        "error: {} {} the scenario invalid; nothing was run",
        Count(invalid, "setting", "settings"),
        crate::text::noun(invalid, "makes", "make")
    ));
    Err(Error::lines(Exit::Invalid, problems))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn sets_keep_their_order_and_a_key_given_twice_is_refused() {
        let axes = parse_sets(&strings(&["WARM_IP_TARGET=0,2", "MINIMUM_IP_TARGET=1"]));
        let keys: Vec<String> = axes.expect("valid").into_iter().map(|x| x.key).collect();
        assert_eq!(keys, ["WARM_IP_TARGET", "MINIMUM_IP_TARGET"]);
        let e = parse_sets(&strings(&["WARM_IP_TARGET=1", "WARM_IP_TARGET=2"])).unwrap_err();
        assert_eq!(e.exit(), Exit::Invalid);
        assert_eq!(
            e.to_string(),
            "error: --set WARM_IP_TARGET=2: WARM_IP_TARGET is given twice; put all its values \
             in one --set"
        );
        let e = parse_sets(&strings(&["FOO"])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "error: --set FOO: expected KEY=v1,v2,... such as WARM_IP_TARGET=0,2,5"
        );
    }

    #[test]
    fn the_first_bad_objective_is_named_with_its_flag() {
        assert_eq!(parse_slo_flags(&[]).map(|o| o.len()), Ok(0));
        let e = parse_slo_flags(&strings(&["p99_time_to_ip<=10s", "nope", "zz"])).unwrap_err();
        assert_eq!(e.exit(), Exit::Invalid);
        assert_eq!(
            e.to_string(),
            "error: --slo nope: \"nope\" has no <= or >=; expected METRIC<=VALUE or \
             METRIC>=VALUE, e.g. p99_time_to_ip<=10s"
        );
    }
}
