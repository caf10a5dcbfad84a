//! Which instance types a `capacity` report covers: `--all`, or names checked against the
//! catalog with bounded "did you mean" hints.

use crate::catalog::{self, InstanceType};

/// Longest name (characters) quoted whole in an error; longer inputs are shortened.
const QUOTE_MAX_CHARS: usize = 40;

/// Picks instance types: every catalog type (sorted by name) with `all`, else the named ones
/// in the order given (duplicates dropped). Unknown names are all reported, one line each,
/// with "did you mean" suggestions when a known name is near ([`catalog::suggest_near`]:
/// none for inputs far longer than any type name, so any input is rejected at once);
/// neither names nor `all`, or both, is an error.
pub fn select(names: &[String], all: bool) -> Result<Vec<&'static InstanceType>, String> {
    match (names.is_empty(), all) {
        (true, false) => return Err(
            "no instance type given: use --instance-type T (repeatable), --all, or --scenario FILE"
                .into(),
        ),
        (false, true) => {
            return Err("give either --instance-type or --all, not both".into());
        }
        (true, true) => return Ok(catalog::all().iter().collect()),
        (false, false) => {}
    }
    let mut found: Vec<&'static InstanceType> = Vec::new();
    let mut unknown = Vec::new();
    for name in names {
        match catalog::lookup(name) {
            Some(t) if !found.iter().any(|f| f.name == t.name) => found.push(t),
            Some(_) => {}
            None => unknown.push(unknown_line(name)),
        }
    }
    if unknown.is_empty() {
        Ok(found)
    } else {
        Err(unknown.join("\n"))
    }
}

/// `unknown instance type "NAME"; did you mean A, B, C?` (no hint when nothing is near).
fn unknown_line(name: &str) -> String {
    let near = catalog::suggest_near(name);
    let quoted = quote(name);
    if near.is_empty() {
        format!("unknown instance type {quoted}")
    } else {
        format!(
            "unknown instance type {quoted}; did you mean {}?",
            near.join(", ")
        )
    }
}

/// The name in quotes, or for a long one its first [`QUOTE_MAX_CHARS`] characters and its
/// length, so an error line stays one short line whatever the input.
use crate::scenario::Escaped;

fn quote(name: &str) -> String {
    match name.char_indices().nth(QUOTE_MAX_CHARS) {
        None => format!("\"{}\"", Escaped(name)),
        Some((cut, _)) => format!(
            "\"{}…\" ({} characters)",
            Escaped(&name[..cut]),
            name.chars().count()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn a_megabyte_name_is_rejected_at_once_with_a_short_line() {
        let name = "m".repeat(1 << 20);
        let started = Instant::now();
        let err = select(&[name], false).unwrap_err();
        // Bounded work: no edit distance over a 1 MiB string (that took seconds).
        assert!(started.elapsed() < Duration::from_millis(500));
        // 40 characters quoted, then the length: 1 << 20 = 1048576.
        assert_eq!(
            err,
            format!(
                "unknown instance type \"{}…\" (1048576 characters)",
                "m".repeat(40)
            )
        );
    }

    #[test]
    fn short_names_are_quoted_whole_with_hints() {
        let err = select(&["m5.larg".into()], false).unwrap_err();
        assert!(
            err.starts_with("unknown instance type \"m5.larg\"; did you mean m5.large"),
            "{err}"
        );
        // Multi-byte characters are cut on a character boundary: 41 × 'é' → 40 shown.
        let q = quote(&"é".repeat(41));
        assert_eq!(q, format!("\"{}…\" (41 characters)", "é".repeat(40)));
    }
}
