//! `ipamsim explain`: why pods waited, read back from a run's output files.
//!
//! Two views, both built from the files alone (so a copied directory works):
//!
//! - the **overview** ([`overview`]): pod-seconds by wait cause over every pod (from
//!   `waits.csv`), and the slowest pods by total wait with their node and main cause
//!   (joined with `pods.csv`);
//! - one pod's **story** ([`pod_story`]): its creation, binding, each wait interval with its
//!   cause and the node's `events.csv` rows behind it, its failed CNI ADDs, and its IP or
//!   final state, in time order.
//!
//! Times are whole milliseconds ([`Ms`]), as the files write them; JSON gives them in
//! seconds. Files are read as CSV by header name and streamed: the overview keeps one
//! pod's rows at a time and the slowest `N`; a story keeps only the pod's rows and those of
//! its node(s).

mod behind;
mod inputs;
mod overview;
mod read;
mod rows;
mod steps;
mod story;
mod text;

pub use overview::{overview, CauseTotal, Overview, SlowPod};
pub(crate) use read::{check_dir, parse_ms, Table};
pub use steps::{EniGrowth, Life, NodeEvent, PodStory, Release, Step, WaitCauseSeconds, WaitStep};
pub use story::pod_story;
pub(crate) use text::{outcome, shell_word};
pub use text::{overview_text, story_text};

use crate::model::record::WaitCause;
use serde::{Serialize, Serializer};
use std::fmt;

/// A time or a duration in whole milliseconds (the output files' precision). Displays as
/// seconds with three decimals (`12.345`); serializes to JSON as seconds (`12.345`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ms(pub u64);

impl Ms {
    /// `self − earlier`, 0 if `earlier` is later (ms).
    pub fn since(self, earlier: Ms) -> Ms {
        Ms(self.0.saturating_sub(earlier.0))
    }

    /// Seconds as a float (s).
    pub fn secs(self) -> f64 {
        self.0 as f64 / 1000.0
    }
}

impl fmt::Display for Ms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = format!("{}.{:03}", self.0 / 1000, self.0 % 1000);
        f.pad(&s)
    }
}

impl Serialize for Ms {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.secs())
    }
}

/// Why `explain` could not answer. `invalid` errors (missing or malformed files, an
/// unknown pod) are exit 2; others (a read failing midway) exit 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExplainError {
    /// The message, located (`DIR/waits.csv:12: column end_s: ...`).
    pub message: String,
    /// Invalid input rather than an I/O failure.
    pub invalid: bool,
}

impl ExplainError {
    /// An invalid-input error.
    pub fn invalid(message: String) -> Self {
        ExplainError {
            message,
            invalid: true,
        }
    }
}

impl fmt::Display for ExplainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ExplainError {}

/// One line saying what a wait cause means (what held the pod back during the interval).
pub fn meaning(cause: WaitCause) -> &'static str {
    cause.meaning()
}

/// Up to three of `names` closest to `name` (Levenshtein distance, ties by name), fed one
/// at a time so that no list of names is kept: for "did you mean" hints.
#[derive(Debug, Default)]
pub(crate) struct Nearest {
    wanted: String,
    best: Vec<(usize, String)>,
    off: bool,
}

/// Longest name (characters) that gets suggestions; longer ones are nowhere near a pod.
const SUGGEST_MAX_CHARS: usize = 128;

impl Nearest {
    /// Suggestions for `wanted`.
    pub(crate) fn new(wanted: &str) -> Self {
        Nearest {
            wanted: wanted.to_string(),
            best: Vec::new(),
            off: wanted.len() > SUGGEST_MAX_CHARS * 4 || wanted.chars().count() > SUGGEST_MAX_CHARS,
        }
    }

    /// Considers one candidate.
    pub(crate) fn offer(&mut self, name: &str) {
        if self.off || name.chars().count() > SUGGEST_MAX_CHARS {
            return;
        }
        if self.best.iter().any(|(_, n)| n == name) {
            return;
        }
        let worst = (self.best.len() == 3).then(|| self.best[2].0);
        let len_gap = self.wanted.chars().count().abs_diff(name.chars().count());
        if worst.is_some_and(|w| len_gap > w) {
            return;
        }
        let d = strsim::levenshtein(&self.wanted, name);
        let entry = (d, name.to_string());
        if self.best.len() == 3 && entry >= self.best[2] {
            return;
        }
        let at = self.best.partition_point(|e| *e < entry);
        self.best.insert(at, entry);
        self.best.truncate(3);
    }

    /// The suggestions, nearest first.
    pub(crate) fn into_names(self) -> Vec<String> {
        self.best.into_iter().map(|(_, n)| n).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ms_displays_and_serializes_as_seconds() {
        assert_eq!(Ms(89_350).to_string(), "89.350");
        assert_eq!(Ms(5).to_string(), "0.005");
        assert_eq!(format!("{:>8}", Ms(1_000)), "   1.000");
        assert_eq!(serde_json::to_string(&Ms(89_350)).unwrap(), "89.35");
    }

    #[test]
    fn nearest_keeps_the_three_closest() {
        let mut n = Nearest::new("ngnix-39");
        for name in [
            "nginx-39",
            "coredns-1",
            "nginx-3",
            "nginx-39",
            "nginx-38",
            "web-1",
        ] {
            n.offer(name);
        }
        // ngnix-39 → nginx-39: 2 (swap as two substitutions); nginx-38: 3; nginx-3: 3.
        assert_eq!(n.into_names(), ["nginx-39", "nginx-3", "nginx-38"]);
        let mut long = Nearest::new(&"x".repeat(1000));
        long.offer("nginx-1");
        assert!(long.into_names().is_empty());
    }

    #[test]
    fn every_cause_has_a_meaning() {
        for c in WaitCause::ALL {
            assert!(!meaning(c).is_empty());
        }
    }
}
