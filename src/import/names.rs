//! Names for the scenario: nodegroup and workload names become node and pod names, so they
//! are DNS labels (`[a-z0-9-]`, at most 63 characters); every list's names are unique.

use std::collections::{BTreeMap, BTreeSet};

/// Longest DNS label (characters), the scenario's limit for nodegroup and workload names.
pub const MAX_LABEL: usize = 63;

/// `raw` as a DNS label: lowercase, every other character `-`, runs of `-` as one, no `-`
/// at either end, at most [`MAX_LABEL`] characters; `fallback` when nothing is left.
pub fn dns_label(raw: &str, fallback: &str) -> String {
    let mut out = String::new();
    for c in raw.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
        if out.len() >= MAX_LABEL {
            break;
        }
    }
    let trimmed = out.trim_end_matches('-');
    if trimmed.is_empty() {
        fallback.to_string()
    } else {
        trimmed.to_string()
    }
}

/// Makes `names` unique, in order: a name already taken gets `-2`, `-3`, … (its start
/// shortened so that the whole stays within `max` bytes).
pub fn unique(names: Vec<String>, max: usize) -> Vec<String> {
    let mut taken: BTreeSet<String> = BTreeSet::new();
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let mut candidate = name.clone();
        let mut n = 2u64;
        while taken.contains(&candidate) {
            let suffix = format!("-{n}");
            let mut keep = max.saturating_sub(suffix.len()).min(name.len());
            while !name.is_char_boundary(keep) {
                keep -= 1;
            }
            candidate = format!("{}{suffix}", name[..keep].trim_end_matches('-'));
            n += 1;
        }
        taken.insert(candidate.clone());
        out.push(candidate);
    }
    out
}

/// For groups that share a base name, the parts that tell them apart: for each group, its
/// base followed by those of its `parts` whose value differs between the groups of that
/// base (a part all of them share adds nothing), joined with `-` as a DNS label.
pub fn distinguish(groups: &[(String, Vec<String>)]) -> Vec<String> {
    // Per base, per part position, the distinct values seen.
    let mut seen: BTreeMap<(&str, usize), BTreeSet<Option<&str>>> = BTreeMap::new();
    let width = groups.iter().map(|(_, p)| p.len()).max().unwrap_or(0);
    for (base, parts) in groups {
        for k in 0..width {
            seen.entry((base.as_str(), k))
                .or_default()
                .insert(parts.get(k).map(String::as_str));
        }
    }
    groups
        .iter()
        .map(|(base, parts)| {
            let mut name = base.clone();
            for (k, part) in parts.iter().enumerate() {
                if seen[&(base.as_str(), k)].len() > 1 {
                    name.push('-');
                    name.push_str(part);
                }
            }
            dns_label(&name, base)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_dns_labels() {
        assert_eq!(dns_label("Ng_General.2", "x"), "ng-general-2");
        assert_eq!(dns_label("--a--b--", "x"), "a-b");
        assert_eq!(dns_label("___", "nodes"), "nodes");
        assert_eq!(dns_label(&"a".repeat(100), "x").len(), MAX_LABEL);
    }

    #[test]
    fn duplicates_get_numbers() {
        let got = unique(vec!["a".into(), "b".into(), "a".into(), "a".into()], 63);
        assert_eq!(got, ["a", "b", "a-2", "a-3"]);
        // A 63-character name keeps 61 characters before "-2".
        let long = "x".repeat(63);
        let got = unique(vec![long.clone(), long], 63);
        assert_eq!(got[1].len(), 63);
        assert!(got[1].ends_with("-2"));
    }

    #[test]
    fn only_differing_parts_are_added() {
        let g = |b: &str, p: &[&str]| (b.to_string(), p.iter().map(|s| s.to_string()).collect());
        let groups = vec![
            g("ng", &["t3-medium", "private-a"]),
            g("ng", &["t3-medium", "private-b"]),
            g("pool", &["m5-large", "private-a"]),
        ];
        assert_eq!(
            distinguish(&groups),
            ["ng-private-a", "ng-private-b", "pool"]
        );
    }
}
