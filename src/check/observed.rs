//! The cluster's side of `check`: its pods (any mix of List snapshots and watch streams,
//! merged by uid as `import` merges them) and its sandbox failures for lack of an address,
//! read through the import's bounded readers.

use crate::import::history::events::{AddressFailure, Failures};
use crate::import::history::pods::{History, PodLife};
use crate::import::history::read_objects;
use crate::import::history::replay::replay_names;
use crate::import::json::{Found, InputFile, Located};
use std::path::Path;

/// What the cluster recorded.
pub struct Observed {
    /// Every pod, with its name as a replay names it (its own, or `<namespace>/<name>`).
    pub pods: Vec<(String, PodLife)>,
    /// The address failures of `--events` (none without it).
    pub failures: Vec<AddressFailure>,
    /// Warnings about the files.
    pub warnings: Vec<Located>,
}

/// Why the observation could not be read: every problem, placed, and the warnings.
pub struct Unreadable {
    /// The problems (never empty).
    pub errors: Vec<Located>,
    /// The warnings found on the way.
    pub warnings: Vec<Located>,
}

/// Reads `pods` (file indices 0…) and `events` (the next index).
pub fn observed(pods: &[&Path], events: Option<&Path>) -> Result<Observed, Unreadable> {
    let mut files: Vec<InputFile> = pods.iter().map(|p| InputFile::new(p)).collect();
    let mut found = Found::default();
    let mut errors = Vec::new();
    let mut history = History::default();
    for (k, f) in files.iter_mut().enumerate() {
        read_objects(f, k, &mut found, &mut errors, |r, found| {
            history.take(k, r, found)
        });
    }
    let mut failures = Failures::default();
    if let Some(e) = events {
        let mut f = InputFile::new(e);
        let k = files.len();
        read_objects(&mut f, k, &mut found, &mut errors, |r, found| {
            failures.take(k, r, found)
        });
        files.push(f);
    }
    let failed = !errors.is_empty() || found.has_errors();
    let refs: Vec<&InputFile> = files.iter().collect();
    let (e, warnings) = found.place(&refs);
    errors.extend(e);
    if failed {
        return Err(Unreadable { errors, warnings });
    }
    let lives = history.finish();
    let names = replay_names(&lives);
    Ok(Observed {
        pods: names.into_iter().zip(lives).collect(),
        failures: failures.found.into_values().collect(),
        warnings,
    })
}
