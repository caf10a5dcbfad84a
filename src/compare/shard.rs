//! Sharded comparisons: `compare --shard K/N` runs the combinations whose 0-based grid
//! index i has i mod N = K − 1 and writes `shard.json`, a part holding every run's figures;
//! `merge` checks that the parts belong together and rebuilds the [`Comparison`] the
//! unsharded run would have made, so its outputs are byte-identical.
//!
//! Figures are integer thousandths (see [`crate::decide::columns`]), so a part holds them exactly.
//! Objectives travel as written and are parsed again by the same parser.

use super::analysis::{Baseline, Comparison, SettingRuns};
use super::{combinations, label, Axis};
use crate::decide::columns;
use crate::decide::slo::parse_objective;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The name of a shard's part file in its `--out` directory.
pub const PART_FILE: &str = "shard.json";

/// What a part file says it is.
pub const PART_KIND: &str = "ipamsim compare shard";

/// `--shard K/N`: the K-th of N shards (1 ≤ K ≤ N).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// This shard, 1-based.
    pub k: usize,
    /// How many shards.
    pub n: usize,
}

impl Shard {
    /// Whether the combination at 0-based grid index `i` is this shard's.
    pub fn takes(&self, i: usize) -> bool {
        i % self.n == self.k - 1
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.k, self.n)
    }
}

impl std::str::FromStr for Shard {
    type Err = String;

    /// `K/N` with 1 ≤ K ≤ N (e.g. `2/8`); Kubernetes' `JOB_COMPLETION_INDEX` is K − 1.
    fn from_str(s: &str) -> Result<Shard, String> {
        let form = "expected K/N with 1 <= K <= N, e.g. 2/8 (K is JOB_COMPLETION_INDEX + 1)";
        let (k, n) = s
            .split_once('/')
            .ok_or_else(|| format!("\"{s}\": {form}"))?;
        let (Ok(k), Ok(n)) = (k.trim().parse::<usize>(), n.trim().parse::<usize>()) else {
            return Err(format!("\"{s}\": {form}"));
        };
        if n == 0 || k == 0 || k > n || n > 1_000_000 {
            return Err(format!("\"{s}\": {form}, N at most 1000000"));
        }
        Ok(Shard { k, n })
    }
}

/// A shard's part file, `shard.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Part {
    /// Always [`PART_KIND`].
    pub kind: String,
    /// The version of ipamsim that wrote it (merge takes parts of its own version only).
    pub ipamsim_version: String,
    /// Scenario name.
    pub scenario: String,
    /// SHA-256 of the scenario file.
    pub scenario_sha256: String,
    /// The first replication's seed.
    pub seed: u64,
    /// Replications per setting.
    pub replications: u32,
    /// Which shard.
    pub shard: Shard,
    /// The whole grid's axes.
    pub axes: Vec<Axis>,
    /// Combinations in the whole grid.
    pub combinations: usize,
    /// The baseline of the whole grid.
    pub baseline: Baseline,
    /// The objectives, as written.
    pub objectives: Vec<String>,
    /// The figure columns, in order (each run's figures follow them).
    pub columns: Vec<String>,
    /// This shard's settings, in grid order.
    pub settings: Vec<SettingRuns>,
}

fn column_names() -> Vec<String> {
    columns::columns().iter().map(|c| c.name.clone()).collect()
}

/// The part of `c` (a shard's comparison) as `shard.json`'s text.
pub fn part_text(c: &Comparison, shard: Shard) -> String {
    let part = Part {
        kind: PART_KIND.into(),
        ipamsim_version: env!("CARGO_PKG_VERSION").into(),
        scenario: c.scenario.clone(),
        scenario_sha256: c.sha256.clone(),
        seed: c.seed,
        replications: c.replications,
        shard,
        axes: c.axes.clone(),
        combinations: combinations(&c.axes).len(),
        baseline: c.baseline.clone(),
        objectives: c.objectives.iter().map(|o| o.text.clone()).collect(),
        columns: column_names(),
        settings: c.settings.clone(),
    };
    serde_json::to_string(&part).unwrap_or_default() + "\n"
}

/// The part file a `merge` argument names: `DIR/shard.json` for a directory.
pub fn part_path(arg: &Path) -> PathBuf {
    if arg.is_dir() {
        arg.join(PART_FILE)
    } else {
        arg.to_path_buf()
    }
}

/// Reads one part; the message names the file.
pub fn read_part(arg: &Path) -> Result<Part, String> {
    let path = part_path(arg);
    let text = crate::input::read_to_string(&path, crate::input::JSON)
        .map_err(|e| format!("{}: cannot read: {e}", crate::scenario::shown_path(&path)))?;
    let part: Part = serde_json::from_str(&text).map_err(|e| {
        format!(
            "{}: not a part written by `ipamsim compare --shard K/N`: {e}",
            crate::scenario::shown_path(&path)
        )
    })?;
    if part.kind != PART_KIND {
        return Err(format!(
            "{}: not a part written by `ipamsim compare --shard K/N`",
            crate::scenario::shown_path(&path)
        ));
    }
    Ok(part)
}

/// Checks that `parts` (with the paths they were read from) are every shard of one
/// comparison, once each, complete, and written by this version; then joins them. Every
/// problem found is returned, each naming the part.
pub fn merge(parts: &[(PathBuf, Part)]) -> Result<Comparison, Vec<String>> {
    let mut problems = Vec::new();
    let Some((first_path, first)) = parts.first() else {
        return Err(vec!["no part given".into()]);
    };
    let name = |p: &Path| crate::scenario::shown_path(p);
    let version = env!("CARGO_PKG_VERSION");
    let columns = column_names();
    for (path, p) in parts {
        let at = name(path);
        if p.ipamsim_version == version && p.columns != columns {
            problems.push(format!(
                "{at}: its columns differ from this version's ({}); the part was written by \
                 a different build of ipamsim {version}: merge parts with the build that wrote them",
                columns_differ(&p.columns, &columns)
            ));
            continue;
        }
        if p.ipamsim_version != version {
            problems.push(format!(
                "{at}: written by ipamsim {} (its figures are not this version's); merge parts \
                 with the version that wrote them ({version} here)",
                p.ipamsim_version
            ));
            continue;
        }
        let first_at = name(first_path);
        let differs = |what: &str, this: String, that: String| {
            format!("{at}: {what} {this}, but {first_at} has {that}; parts of one comparison only")
        };
        if p.scenario_sha256 != first.scenario_sha256 || p.scenario != first.scenario {
            problems.push(differs(
                "is of scenario",
                format!("{} (sha256 {})", p.scenario, p.scenario_sha256),
                format!("{} (sha256 {})", first.scenario, first.scenario_sha256),
            ));
        }
        if p.axes != first.axes {
            let grid = |a: &[Axis]| {
                a.iter()
                    .map(|x| format!("{}={}", x.key, x.values.join(",")))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            problems.push(differs("sweeps", grid(&p.axes), grid(&first.axes)));
        }
        if p.shard.n != first.shard.n {
            problems.push(differs(
                "is shard",
                p.shard.to_string(),
                format!(
                    "shard {} (of {})",
                    first.shard,
                    crate::text::Count(first.shard.n as u64, "shard", "shards")
                ),
            ));
        }
        if p.replications != first.replications {
            problems.push(differs(
                "has replications",
                p.replications.to_string(),
                first.replications.to_string(),
            ));
        }
        if p.seed != first.seed {
            problems.push(differs(
                "has seed",
                p.seed.to_string(),
                first.seed.to_string(),
            ));
        }
        if p.objectives != first.objectives {
            problems.push(differs(
                "has objectives",
                format!("[{}]", p.objectives.join(", ")),
                format!("[{}]", first.objectives.join(", ")),
            ));
        }
        check_complete(&at, p, &mut problems);
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    // every shard once
    let n = first.shard.n;
    for k in 1..=n {
        let given: Vec<String> = parts
            .iter()
            .filter(|(_, p)| p.shard.k == k)
            .map(|(path, _)| name(path))
            .collect();
        if given.len() > 1 {
            problems.push(format!(
                "shard {k}/{n} is given twice: {}",
                given.join(" and ")
            ));
        }
    }
    let missing: Vec<String> = (1..=n)
        .filter(|k| !parts.iter().any(|(_, p)| p.shard.k == *k))
        .map(|k| format!("{k}/{n}"))
        .collect();
    if !missing.is_empty() {
        let (noun, verb) = if missing.len() == 1 {
            ("shard", "is")
        } else {
            ("shards", "are")
        };
        problems.push(format!(
            "{noun} {} {verb} missing: merge needs every one of the {n} parts",
            missing.join(", ")
        ));
    }
    let mut objectives = Vec::new();
    for t in &first.objectives {
        match parse_objective(t) {
            Ok(o) => objectives.push(o),
            Err(e) => problems.push(format!("{}: objective {t}: {e}", name(first_path))),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut settings: Vec<SettingRuns> = parts
        .iter()
        .flat_map(|(_, p)| p.settings.iter().cloned())
        .collect();
    settings.sort_by_key(|s| s.index);
    Ok(Comparison {
        scenario: first.scenario.clone(),
        sha256: first.scenario_sha256.clone(),
        seed: first.seed,
        replications: first.replications,
        axes: first.axes.clone(),
        baseline: first.baseline.clone(),
        objectives,
        settings,
    })
}

/// A part holds exactly its shard's combinations, each with every replication's figures.
/// What differs between a part's columns and this version's, shortly: the first columns
/// missing and the first extra ones (names escaped: a part is user input).
fn columns_differ(part: &[String], ours: &[String]) -> String {
    let list = |names: Vec<&String>| {
        let shown: Vec<String> = names
            .iter()
            .take(3)
            .map(|n| format!("\"{}\"", crate::scenario::Escaped(n)))
            .collect();
        let more = names.len().saturating_sub(3);
        if more > 0 {
            format!("{} and {more} more", shown.join(", "))
        } else {
            shown.join(", ")
        }
    };
    let missing: Vec<&String> = ours.iter().filter(|c| !part.contains(c)).collect();
    let extra: Vec<&String> = part.iter().filter(|c| !ours.contains(c)).collect();
    let mut said = Vec::new();
    if !missing.is_empty() {
        said.push(format!("missing {}", list(missing)));
    }
    if !extra.is_empty() {
        said.push(format!("extra {}", list(extra)));
    }
    if said.is_empty() {
        said.push("same columns in another order".into());
    }
    said.join("; ")
}

fn check_complete(at: &str, p: &Part, problems: &mut Vec<String>) {
    let grid = combinations(&p.axes);
    let damaged = |why: String| format!("{at}: incomplete or damaged part: {why}");
    if p.combinations != grid.len() || p.shard.k == 0 || p.shard.k > p.shard.n {
        problems.push(damaged(format!(
            "shard {} of a grid of {}",
            p.shard,
            crate::text::Count(grid.len() as u64, "combination", "combinations")
        )));
        return;
    }
    let expected: Vec<usize> = (0..grid.len()).filter(|&i| p.shard.takes(i)).collect();
    let got: Vec<usize> = p.settings.iter().map(|s| s.index).collect();
    if got != expected {
        problems.push(damaged(format!(
            "shard {} should hold grid rows {:?}, it holds {:?}",
            p.shard,
            expected.iter().map(|i| i + 1).collect::<Vec<_>>(),
            got.iter().map(|i| i + 1).collect::<Vec<_>>()
        )));
        return;
    }
    for s in &p.settings {
        if s.setting != grid[s.index] {
            problems.push(damaged(format!(
                "grid row {} is {}, the grid says {}",
                s.index + 1,
                label(&s.setting),
                label(&grid[s.index])
            )));
        } else if s.runs.len() != p.replications as usize
            || s.runs.iter().any(|f| f.len() != p.columns.len())
        {
            problems.push(damaged(format!(
                "{} has {} of {}",
                label(&s.setting),
                s.runs.len(),
                crate::text::Count(p.replications.into(), "replication", "replications")
            )));
        }
    }
    if p.baseline.index >= grid.len() {
        problems.push(damaged(format!("baseline row {}", p.baseline.index + 1)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_spec_and_round_robin() {
        let s: Shard = "2/3".parse().unwrap();
        assert_eq!(s, Shard { k: 2, n: 3 });
        // 0-based indices 1, 4, 7, 10 of 12
        assert_eq!(
            (0..12).filter(|&i| s.takes(i)).collect::<Vec<_>>(),
            vec![1, 4, 7, 10]
        );
        for bad in ["0/3", "4/3", "3", "a/b", "1/0", ""] {
            assert!(bad.parse::<Shard>().unwrap_err().contains("K/N"), "{bad}");
        }
    }
}
