//! Small helpers for text the tool prints: a count with its noun in the right number, and
//! the "did you mean" suggestion for a mistyped name.

use std::fmt;

/// `n` and its noun, singular when `n` is 1 (`1 node`, `0 nodes`, `12 nodes`).
///
/// Every count printed in a text output goes through this (or [`noun`]), so that no line
/// reads "1 nodes".
pub fn plural(n: impl Into<u64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{n} {}", noun(n, one, many))
}

/// The noun alone, for a count printed apart from it (`{n} more {noun}`).
pub fn noun<'a>(n: impl Into<u64>, one: &'a str, many: &'a str) -> &'a str {
    if n.into() == 1 {
        one
    } else {
        many
    }
}

/// [`plural`] as a value that formats itself (no allocation), for `format!` arguments.
#[derive(Clone, Copy, Debug)]
pub struct Count<'a>(pub u64, pub &'a str, pub &'a str);

impl fmt::Display for Count<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.0, noun(self.0, self.1, self.2))
    }
}

/// Longest word that "did you mean" compares; longer input is no typo of a name.
pub const MAX_SUGGEST_LEN: usize = 64;

/// The allowed word closest to `word`, if it is a plausible typo (Levenshtein distance
/// ≤ 2). Only words of similar length are compared, and input longer than
/// [`MAX_SUGGEST_LEN`] characters gets no suggestion, so this stays cheap for any input.
/// Ties go to the first in `allowed`.
pub fn closest<'a>(word: &str, allowed: &[&'a str]) -> Option<&'a str> {
    let len = word.chars().count();
    if len > MAX_SUGGEST_LEN {
        return None;
    }
    allowed
        .iter()
        .filter(|a| a.chars().count().abs_diff(len) <= 2)
        .map(|a| (strsim::levenshtein(word, a), *a))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, a)| a)
}

/// ` (did you mean "NAME"?)` for the allowed word closest to `word`, or nothing.
pub fn did_you_mean(word: &str, allowed: &[&str]) -> String {
    match closest(word, allowed) {
        Some(near) => format!(" (did you mean \"{near}\"?)"),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_singular_every_other_count_plural() {
        assert_eq!(plural(1u32, "node", "nodes"), "1 node");
        assert_eq!(plural(0u32, "node", "nodes"), "0 nodes");
        assert_eq!(plural(12u64, "node", "nodes"), "12 nodes");
        assert_eq!(Count(1, "prefix", "prefixes").to_string(), "1 prefix");
        assert_eq!(Count(2, "prefix", "prefixes").to_string(), "2 prefixes");
    }

    #[test]
    fn suggests_within_two_edits_only() {
        let keys = ["WARM_IP_TARGET", "WARM_ENI_TARGET", "MINIMUM_IP_TARGET"];
        // WARM_IP_TARGT: one deletion from WARM_IP_TARGET
        assert_eq!(closest("WARM_IP_TARGT", &keys), Some("WARM_IP_TARGET"));
        assert_eq!(closest("SOMETHING_ELSE", &keys), None);
        assert_eq!(
            did_you_mean("WARM_ENI_TARGTE", &keys),
            " (did you mean \"WARM_ENI_TARGET\"?)"
        );
        assert_eq!(closest(&"x".repeat(1000), &keys), None);
    }
}
