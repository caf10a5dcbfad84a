//! The house rules of docs/development.md ("Layout"), checked on the sources:
//!
//! - top-level modules import one way, down the floors of the table there (a module uses
//!   only modules on lower floors);
//! - sibling files of a module never use each other around a loop (a file may use its
//!   module's `mod.rs`, which declares them).
//!
//! Paths are read from the text of `src/` with comments, strings and `#[cfg(test)]`
//! modules left out: every `use` tree and every inline `crate::…` or `super::…` path.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each top-level module's floor (docs/development.md, "Layout").
const FLOORS: [(&str, u32); 22] = [
    ("time", 0),
    ("text", 0),
    ("input", 0),
    ("catalog", 0),
    ("scenario", 1),
    ("engine", 1),
    ("model", 2),
    ("output", 3),
    ("sim", 4),
    ("decide", 5),
    ("explain", 5),
    ("import", 5),
    ("plan", 5),
    ("compare", 6),
    ("capacity", 6),
    ("check", 6),
    ("report", 6),
    ("fuzzing", 6),
    ("commands", 7),
    ("cli", 8),
    ("lib", 9),
    ("main", 9),
];

/// Exceptions to "down the floors", (from, to): none today; one added here needs its
/// reason in the docs' table.
const ALLOWED: [(&str, &str); 0] = [];

/// Removes comments, string and char literals, and everything from the first
/// `#[cfg(test)]` module on (tests may use anything).
fn strip(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        if text[i..].starts_with("//") {
            i = text[i..].find('\n').map_or(b.len(), |j| i + j);
        } else if text[i..].starts_with("/*") {
            i = text[i + 2..].find("*/").map_or(b.len(), |j| i + 2 + j + 2);
        } else if b[i] == b'r'
            && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_'))
            && text[i + 1..].starts_with(['"', '#'])
        {
            // a raw string r"…" or r#"…"#
            let hashes = text[i + 1..].chars().take_while(|c| *c == '#').count();
            if text[i + 1 + hashes..].starts_with('"') {
                let end = format!("\"{}", "#".repeat(hashes));
                let from = i + 2 + hashes;
                i = text[from..]
                    .find(&end)
                    .map_or(b.len(), |j| from + j + end.len());
                out.push_str("\"\"");
            } else {
                out.push('r');
                i += 1;
            }
        } else if b[i] == b'"' {
            let mut j = i + 1;
            while j < b.len() && b[j] != b'"' {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            i = j + 1;
            out.push_str("\"\"");
        } else if b[i] == b'\'' && text[i..].len() >= 3 {
            // a char literal ('x', '\n', '\u{..}'); a lifetime has no closing quote nearby
            let rest = &text[i + 1..];
            let len = if rest.starts_with('\\') {
                rest.find('\'').map(|j| j + 1)
            } else {
                rest.chars().next().and_then(|c| {
                    let n = c.len_utf8();
                    rest[n..].starts_with('\'').then_some(n + 1)
                })
            };
            match len {
                Some(n) => {
                    i += 1 + n;
                    out.push_str("' '");
                }
                None => {
                    out.push('\'');
                    i += 1;
                }
            }
        } else {
            let c = text[i..].chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    if let Some(at) = find_test_module(&out) {
        out.truncate(at);
    }
    out
}

/// Where the first `#[cfg(test)]` module starts.
fn find_test_module(text: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(j) = text[from..].find("#[cfg(test)]") {
        let at = from + j;
        let rest = text[at + 12..].trim_start();
        // skip further attributes
        let mut rest = rest;
        while rest.starts_with("#[") {
            rest = rest[rest.find(']').map_or(rest.len(), |k| k + 1)..].trim_start();
        }
        if rest.starts_with("mod ") {
            return Some(at);
        }
        from = at + 12;
    }
    None
}

/// Expands a `use` tree (`a::{b, c::{d, e}}`) into its paths.
fn expand(prefix: &str, tree: &str, out: &mut Vec<String>) {
    let tree = tree.trim();
    if let Some(open) = tree.find('{') {
        let head = tree[..open].trim().trim_end_matches("::");
        let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
        let base = join(prefix, head);
        let (mut depth, mut start) = (0, 0);
        for (k, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    expand(&base, &inner[start..k], out);
                    start = k + 1;
                }
                _ => {}
            }
        }
        expand(&base, &inner[start..], out);
    } else if !tree.is_empty() {
        let tree = tree.split(" as ").next().unwrap().trim();
        out.push(join(prefix, tree));
    }
}

fn join(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_string(),
        (_, true) => a.to_string(),
        _ => format!("{a}::{b}"),
    }
}

/// Every path a file names: its `use` trees and its inline `crate::`/`super::` paths.
fn paths(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(j) = text[from..].find("use ") {
        let at = from + j;
        let word_start = at == 0
            || !text.as_bytes()[at - 1].is_ascii_alphanumeric() && text.as_bytes()[at - 1] != b'_';
        let end = text[at..].find(';').map_or(text.len(), |k| at + k);
        if word_start {
            expand("", &text[at + 4..end], &mut out);
        }
        from = at + 4;
    }
    for start in ["crate::", "super::"] {
        let mut from = 0;
        while let Some(j) = text[from..].find(start) {
            let at = from + j;
            let ok = at == 0 || {
                let p = text.as_bytes()[at - 1];
                !(p.is_ascii_alphanumeric() || p == b'_' || p == b':')
            };
            let len = text[at..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(text.len() - at);
            let path = text[at..at + len].trim_end_matches(':');
            // `super::{…}` is a use tree, read above
            if ok && path.len() > start.len() {
                out.push(path.to_string());
            }
            from = at + start.len();
        }
    }
    out
}

/// Every `.rs` file under `dir`, with its module path (`src/explain/mod.rs` → `explain`,
/// `src/explain/story.rs` → `explain::story`).
fn modules(dir: &Path, prefix: &[String], out: &mut Vec<(Vec<String>, PathBuf)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        let name = p.file_stem().unwrap().to_str().unwrap().to_string();
        if p.is_dir() {
            let mut sub = prefix.to_vec();
            sub.push(name);
            modules(&p, &sub, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            let mut m = prefix.to_vec();
            if name != "mod" {
                m.push(name);
            }
            out.push((m, p));
        }
    }
}

/// Edges between two modules, (user, used), by name.
type Edges = BTreeSet<(String, String)>;

/// The top-level module and sibling-file edges of the crate's sources: the top-level
/// edges, and each module's edges between its files.
fn edges() -> (Edges, BTreeMap<Vec<String>, Edges>) {
    let mut files = Vec::new();
    modules(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &[],
        &mut files,
    );
    let known: BTreeSet<Vec<String>> = files.iter().map(|(m, _)| m.clone()).collect();
    let mut top = BTreeSet::new();
    let mut siblings: BTreeMap<Vec<String>, Edges> = BTreeMap::new();
    for (m, path) in &files {
        if m.is_empty() {
            continue; // lib.rs, main.rs
        }
        let is_mod = path.file_stem().is_some_and(|s| s == "mod");
        let text = strip(&std::fs::read_to_string(path).unwrap());
        for p in paths(&text) {
            let parts: Vec<&str> = p.split("::").collect();
            // the module path the path names, absolute
            let abs: Vec<String> = match parts[0] {
                "crate" => parts[1..].iter().map(|s| s.to_string()).collect(),
                "super" if !is_mod && parts.len() > 1 && parts[1] != "super" => {
                    let mut a = m[..m.len() - 1].to_vec();
                    a.extend(parts[1..].iter().map(|s| s.to_string()));
                    a
                }
                _ => continue,
            };
            let Some(first) = abs.first() else { continue };
            if *first != m[0] {
                top.insert((m[0].clone(), first.clone()));
            }
            // a sibling file: same parent, a file of that module, not the parent itself
            if m.len() >= 2
                && !is_mod
                && abs.len() >= m.len()
                && abs[..m.len() - 1] == m[..m.len() - 1]
            {
                let sib = abs[..m.len()].to_vec();
                if sib != *m && known.contains(&sib) {
                    siblings
                        .entry(m[..m.len() - 1].to_vec())
                        .or_default()
                        .insert((m[m.len() - 1].clone(), sib[m.len() - 1].clone()));
                }
            }
        }
    }
    (top, siblings)
}

#[test]
fn top_level_modules_import_down_the_floors() {
    let floor: BTreeMap<&str, u32> = FLOORS.into_iter().collect();
    let (top, _) = edges();
    assert!(top.len() > 30, "too few edges found: {top:?}");
    let mut wrong = Vec::new();
    for (a, b) in &top {
        let (Some(fa), Some(fb)) = (floor.get(a.as_str()), floor.get(b.as_str())) else {
            wrong.push(format!("{a} -> {b}: a module with no floor in the table"));
            continue;
        };
        if fb >= fa && !ALLOWED.contains(&(a.as_str(), b.as_str())) {
            wrong.push(format!("{a} (floor {fa}) uses {b} (floor {fb})"));
        }
    }
    assert!(
        wrong.is_empty(),
        "imports that do not go down:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn sibling_files_never_use_each_other_around_a_loop() {
    let (_, siblings) = edges();
    // the reader sees sibling edges: the JSON reader and the locator both use the path
    let import = &siblings[&vec!["import".to_string()]];
    for user in ["json", "locate"] {
        assert!(
            import.contains(&(user.to_string(), "path".to_string())),
            "{import:?}"
        );
    }
    let mut loops = Vec::new();
    for (module, edges) in &siblings {
        // depth-first search for a cycle among the module's files
        let mut next: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (a, b) in edges {
            next.entry(a).or_default().push(b);
        }
        for start in next.keys() {
            let mut stack = vec![(*start, vec![*start])];
            while let Some((at, path)) = stack.pop() {
                for &n in next.get(at).into_iter().flatten() {
                    if n == *start {
                        loops.push(format!(
                            "{}: {} -> {n}",
                            module.join("::"),
                            path.join(" -> ")
                        ));
                    } else if !path.contains(&n) && path.len() < 12 {
                        let mut p = path.clone();
                        p.push(n);
                        stack.push((n, p));
                    }
                }
            }
        }
    }
    assert!(
        loops.is_empty(),
        "sibling files in a loop:\n{}",
        loops.join("\n")
    );
}

/// The checks find what they look for: a loop and an upward import in made-up files.
#[test]
fn the_path_reader_sees_use_trees_and_inline_paths() {
    let text = strip(
        "use super::{a::X, b::{c::Y, Z}};\n// use crate::nope;\nfn f() { crate::model::ids::NodeId::from_index(0); let s = \"crate::no\"; }\n#[cfg(test)]\nmod tests { use crate::commands; }\n",
    );
    let mut p = paths(&text);
    p.sort();
    assert_eq!(
        p,
        [
            "crate::model::ids::NodeId::from_index",
            "super::a::X",
            "super::b::Z",
            "super::b::c::Y"
        ]
    );
}
