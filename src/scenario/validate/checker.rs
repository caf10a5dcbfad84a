//! The checker: field paths, diagnostics placed at them, and the structural reads
//! (mappings with their allowed keys, lists, required keys, entries).

use super::*;

/// One step of a field path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Seg {
    /// A mapping key.
    Key(String),
    /// A list index (0-based).
    Index(usize),
}

/// A field path such as `workloads[0].steps[2].at`; empty for the whole file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct FieldPath(Vec<Seg>);

impl FieldPath {
    pub(super) fn key(&self, key: &str) -> FieldPath {
        let mut segs = self.0.clone();
        segs.push(Seg::Key(key.to_string()));
        FieldPath(segs)
    }

    pub(super) fn index(&self, index: usize) -> FieldPath {
        let mut segs = self.0.clone();
        segs.push(Seg::Index(index));
        FieldPath(segs)
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Key(k) if i == 0 => f.write_str(k)?,
                Seg::Key(k) => write!(f, ".{k}")?,
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// Names already used in one list, to report duplicates.
#[derive(Default)]
pub(super) struct SeenNames(pub(super) Vec<(String, FieldPath)>);

/// Collects diagnostics while converting raw values.
pub(super) struct Checker<'t> {
    pub(super) locator: locate::Locator<'t>,
    pub(super) problems: Vec<Diagnostic>,
    /// Directory that trace paths are relative to.
    pub(super) base_dir: PathBuf,
}

impl<'t> Checker<'t> {
    pub(super) fn new(text: &'t str, base_dir: &Path) -> Self {
        Checker {
            locator: locate::Locator::new(text),
            problems: Vec::new(),
            base_dir: base_dir.to_path_buf(),
        }
    }

    /// Records a problem with the value at `path`, placed at the path (or its nearest
    /// located parent).
    pub(super) fn error(&mut self, path: &FieldPath, message: impl Into<String>) {
        let location = self.locator.locate_nearest(&path.0);
        self.problems.push(Diagnostic {
            path: path.to_string(),
            location,
            message: message.into(),
        });
    }

    /// Records an unknown key `key` in the mapping at `parent`, placed at the key.
    pub(super) fn unknown_key(
        &mut self,
        parent: &FieldPath,
        key: &str,
        allowed: &[&str],
        noun: &str,
    ) {
        let location = self.locator.locate_nearest(&parent.key(key).0);
        let hint = match closest(key, allowed) {
            Some(near) => format!(" (did you mean \"{near}\"?)"),
            None => String::new(),
        };
        self.problems.push(Diagnostic {
            path: parent.to_string(),
            location,
            message: format!(
                "unknown {noun} \"{key}\"{hint}; allowed: {}",
                allowed.join(", ")
            ),
        });
    }

    /// Parses the text to a YAML tree; a syntax error is one diagnostic.
    pub(super) fn yaml(&mut self, text: &str) -> Option<Value> {
        let parsed = serde_yaml::from_str::<Value>(text).and_then(|mut v| {
            v.apply_merge()?;
            Ok(v)
        });
        match parsed {
            Ok(value) => Some(value),
            Err(err) => {
                self.problems.push(Diagnostic {
                    path: String::new(),
                    location: err.location().map(|l| (l.line(), l.column())),
                    message: format!("cannot parse YAML: {}", strip_yaml_location(&err)),
                });
                None
            }
        }
    }

    /// Decodes the mapping at `path` into raw type `T`: each unknown or non-string key is
    /// reported, the rest is deserialized. Nothing (`key:` with no value) is an empty mapping.
    /// Returns `None` only when the value is not a mapping at all.
    pub(super) fn mapping<T: DeserializeOwned + Default + Keys>(
        &mut self,
        value: &Value,
        path: &FieldPath,
    ) -> Option<T> {
        let mapping = match value {
            Value::Null => return Some(T::default()),
            Value::Mapping(m) => m,
            other => {
                self.error(
                    path,
                    format!(
                        "expected a mapping with keys {}; found {}",
                        T::KEYS.join(", "),
                        raw::kind_of(other)
                    ),
                );
                return None;
            }
        };
        let mut known = Mapping::new();
        for (key, val) in mapping {
            match key.as_str() {
                Some(name) if T::KEYS.contains(&name) => {
                    known.insert(key.clone(), val.clone());
                }
                Some(name) => self.unknown_key(path, name, T::KEYS, "key"),
                None => self.error(
                    path,
                    format!(
                        "keys must be text; found {} key {}; allowed keys: {}",
                        raw::kind_of(key),
                        Scalar::from_value(key),
                        T::KEYS.join(", ")
                    ),
                ),
            }
        }
        match serde_yaml::from_value::<T>(Value::Mapping(known)) {
            Ok(decoded) => Some(decoded),
            Err(err) => {
                // Leaves accept any value, so this should not happen; report it anyway.
                self.error(path, format!("cannot read this section: {err}"));
                None
            }
        }
    }

    /// The elements of the list at `path`; nothing is an empty list.
    pub(super) fn list<'v>(
        &mut self,
        value: &'v Value,
        path: &FieldPath,
        noun: &str,
    ) -> &'v [Value] {
        match value {
            Value::Null => &[],
            Value::Sequence(items) => items,
            other => {
                self.error(
                    path,
                    format!(
                        "expected a list of {noun}; found {} (start each entry with \"- \")",
                        raw::kind_of(other)
                    ),
                );
                &[]
            }
        }
    }

    /// The value of a required key, or a "missing" diagnostic naming what is expected.
    pub(super) fn required<'s>(
        &mut self,
        field: &'s Option<Scalar>,
        parent: &FieldPath,
        key: &str,
        expected: &str,
    ) -> Option<&'s Scalar> {
        if field.is_none() {
            self.error(
                &parent.key(key),
                format!("required key is missing; expected {expected}"),
            );
        }
        field.as_ref()
    }

    /// The `(key, value, path)` entries of a mapping; anything else is reported.
    pub(super) fn entries(
        &mut self,
        value: &Value,
        path: &FieldPath,
    ) -> Vec<(String, Value, FieldPath)> {
        match value {
            Value::Null => Vec::new(),
            Value::Mapping(m) => m
                .iter()
                .filter_map(|(k, v)| match k {
                    Value::String(k) => Some((k.clone(), v.clone(), path.key(k))),
                    other => {
                        self.error(
                            path,
                            format!("keys here are names; found {}", raw::kind_of(other)),
                        );
                        None
                    }
                })
                .collect(),
            other => {
                self.error(
                    path,
                    format!("expected a mapping; found {}", raw::kind_of(other)),
                );
                Vec::new()
            }
        }
    }
}

/// serde_yaml's message without the ` at line L column C` it embeds (the location is kept
/// separately).
pub(super) fn strip_yaml_location(err: &serde_yaml::Error) -> String {
    let text = err.to_string();
    let Some(start) = text.find(" at line ") else {
        return text;
    };
    let rest = &text[start + " at line ".len()..];
    let digits = |s: &str| s.len() - s.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let line_len = digits(rest);
    let Some(after_col) = rest[line_len..].strip_prefix(" column ") else {
        return text;
    };
    let col_len = digits(after_col);
    let end = text.len() - after_col.len() + col_len;
    format!("{}{}", &text[..start], &text[end..])
}

/// The allowed word closest to `word`, if it is a plausible typo (edit distance ≤ 2).
pub(super) fn closest<'a>(word: &str, allowed: &[&'a str]) -> Option<&'a str> {
    allowed
        .iter()
        .map(|a| (edit_distance(word, a), *a))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, a)| a)
}

pub(super) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j + 1] + 1).min(cur[j] + 1).min(prev[j] + cost);
        }
        prev = cur;
    }
    prev[b.len()]
}
