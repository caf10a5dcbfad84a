//! The checker: field paths, diagnostics placed at them, and the structural reads
//! (mappings with their allowed keys, lists, required keys, entries).
//!
//! A diagnostic is placed at the [`Mark`] of the node its path names (a key's own position,
//! a block-list item's `-`), or of the nearest enclosing node that exists. Where the node
//! came from decides how the place is shown ([`Origin`]): a line and column of the scenario
//! file; a line and column of a `cni_from` manifest, named in the message; or the `--set`
//! override that supplied the value.

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
pub(super) struct FieldPath(pub(super) Vec<Seg>);

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

/// Where the nodes with one [`Mark::origin`] come from.
#[derive(Clone, Debug)]
pub(super) enum Origin {
    /// The scenario file itself (origin 0): its lines and columns are the locations.
    Main,
    /// Another file (a `cni_from` manifest): named with its line and column in the
    /// message; the location is where the scenario refers to it.
    File {
        /// The file as shown in messages.
        name: String,
        /// Where the scenario file names it.
        via: Option<Mark>,
    },
    /// A `--set KEY=VALUE` override: no location; the message names it.
    Override {
        /// The key as given.
        key: String,
        /// The value as given.
        value: String,
    },
}

/// Diagnostics and warnings, with the table that turns [`Mark`]s into locations.
#[derive(Debug)]
pub(super) struct Recorder {
    pub(super) problems: Vec<Diagnostic>,
    pub(super) warnings: Vec<Diagnostic>,
    /// Indexed by [`Mark::origin`]; entry 0 is [`Origin::Main`].
    pub(super) origins: Vec<Origin>,
}

impl Recorder {
    pub(super) fn new() -> Self {
        Recorder {
            problems: Vec::new(),
            warnings: Vec::new(),
            origins: vec![Origin::Main],
        }
    }

    /// Registers another input and returns its origin number.
    pub(super) fn add_origin(&mut self, origin: Origin) -> u32 {
        self.origins.push(origin);
        u32::try_from(self.origins.len() - 1).unwrap_or(u32::MAX)
    }

    /// A diagnostic for `path`, shown at `mark`.
    pub(super) fn diagnostic(
        &self,
        path: &FieldPath,
        mark: Option<Mark>,
        message: String,
    ) -> Diagnostic {
        let (location, message) = match mark.map(|m| (m, self.origins.get(m.origin as usize))) {
            None | Some((_, None)) => (None, message),
            Some((m, Some(Origin::Main))) => (Some((m.line as usize, m.col as usize)), message),
            Some((m, Some(Origin::File { name, via }))) => (
                via.map(|v| (v.line as usize, v.col as usize)),
                format!("{name}:{}:{}: {message}", m.line, m.col),
            ),
            Some((_, Some(Origin::Override { key, value }))) => {
                (None, format!("{message} (from --set {key}={value})"))
            }
        };
        Diagnostic {
            path: path.to_string(),
            location,
            message,
        }
    }

    /// Records a problem at `mark`.
    pub(super) fn error_at(&mut self, path: &FieldPath, mark: Option<Mark>, message: String) {
        let d = self.diagnostic(path, mark, message);
        self.problems.push(d);
    }

    /// Records a warning at `mark`.
    pub(super) fn warn_at(&mut self, path: &FieldPath, mark: Option<Mark>, message: String) {
        let d = self.diagnostic(path, mark, message);
        self.warnings.push(d);
    }
}

/// The position of `path` in the tree `root`, or of its longest prefix that exists. The
/// empty path (the whole file) has none.
pub(super) fn locate_nearest(root: Option<&Node>, path: &[Seg]) -> Option<Mark> {
    // An empty document (no root, or one without a position) is placed at line 1 column 1.
    let start = Mark {
        origin: 0,
        line: 1,
        col: 1,
    };
    let Some(mut node) = root else {
        return Some(start);
    };
    // A path not found at all is placed at the document's start: every problem is located.
    let mut found = Some(if node.mark.line == 0 {
        start
    } else {
        node.mark
    });
    for seg in path {
        let (mark, next) = match (seg, &node.kind) {
            (Seg::Key(key), Kind::Map(entries)) => {
                match entries.iter().find(|(k, _)| k.as_str() == Some(key)) {
                    Some((k, v)) => (k.mark, v),
                    None => break,
                }
            }
            (Seg::Index(i), Kind::Seq(items)) => match items.get(*i) {
                Some(item) => (item.item_mark(), item),
                None => break,
            },
            _ => break,
        };
        found = Some(mark);
        node = next;
    }
    found
}

/// Collects diagnostics while converting raw values.
pub(super) struct Checker<'t> {
    /// The tree being checked, to place diagnostics by field path.
    pub(super) root: Option<&'t Node>,
    pub(super) rec: Recorder,
    /// Directory that trace paths are relative to.
    pub(super) base_dir: PathBuf,
    /// How the scenario is loaded (the work budget reads it).
    pub(super) opts: LoadOptions,
}

impl<'t> Checker<'t> {
    pub(super) fn new(
        root: Option<&'t Node>,
        rec: Recorder,
        base_dir: &Path,
        opts: &LoadOptions,
    ) -> Self {
        Checker {
            root,
            rec,
            base_dir: base_dir.to_path_buf(),
            opts: *opts,
        }
    }

    // ----- recording -----

    /// Records a problem with the value at `path`, placed at the path (or its nearest
    /// located parent).
    pub(super) fn error(&mut self, path: &FieldPath, message: impl Into<String>) {
        let mark = locate_nearest(self.root, &path.0);
        self.rec.error_at(path, mark, message.into());
    }

    /// Records a problem about `path`, placed at `mark`.
    pub(super) fn error_at(&mut self, path: &FieldPath, mark: Mark, message: impl Into<String>) {
        self.rec.error_at(path, Some(mark), message.into());
    }

    /// Records a warning about the value at `path`, placed like [`Checker::error`].
    pub(super) fn warn(&mut self, path: &FieldPath, message: impl Into<String>) {
        let mark = locate_nearest(self.root, &path.0);
        self.rec.warn_at(path, mark, message.into());
    }

    /// Records an unknown key `key` in the mapping at `parent`, placed at the key.
    pub(super) fn unknown_key(
        &mut self,
        parent: &FieldPath,
        key: &str,
        allowed: &[&str],
        noun: &str,
    ) {
        let mark = locate_nearest(self.root, &parent.key(key).0);
        let hint = match closest(key, allowed) {
            Some(near) => format!(" (did you mean \"{near}\"?)"),
            None => String::new(),
        };
        let message = format!(
            "unknown {noun} {}{hint}; allowed: {}",
            quoted(key),
            allowed.join(", ")
        );
        self.rec.error_at(parent, mark, message);
    }

    // ----- structure -----

    /// Reads the mapping at `path` into raw type `T`: each unknown or non-string key is
    /// reported, the rest is kept. Nothing (`key:` with no value) is an empty mapping.
    /// Returns `None` only when the value is not a mapping at all.
    pub(super) fn mapping<'v, T: RawMapping<'v>>(
        &mut self,
        value: &'v Node,
        path: &FieldPath,
    ) -> Option<T> {
        let entries = match &value.kind {
            Kind::Null => return Some(T::default()),
            Kind::Map(entries) => entries,
            _ => {
                self.error(
                    path,
                    format!(
                        "expected a mapping with keys {}; found {}",
                        T::KEYS.join(", "),
                        raw::kind_of(value)
                    ),
                );
                return None;
            }
        };
        let mut raw = T::default();
        for (key, val) in entries {
            match key.as_str() {
                Some(name) => {
                    if !raw.set(name, val) {
                        self.unknown_key(path, name, T::KEYS, "key");
                    }
                }
                None => self.non_text_key(path, key, T::KEYS),
            }
        }
        Some(raw)
    }

    /// Reports a key that is not text (a number, a list, nothing…), at the key.
    pub(super) fn non_text_key(&mut self, path: &FieldPath, key: &Node, allowed: &[&str]) {
        let shown = match Scalar::from_value(key) {
            Scalar::Other(_) => String::new(),
            s => format!(" {s}"),
        };
        let allowed = if allowed.is_empty() {
            String::new()
        } else {
            format!("; allowed keys: {}", allowed.join(", "))
        };
        self.error_at(
            path,
            key.mark,
            format!(
                "keys must be text; found {} key{shown}{allowed}",
                raw::kind_of(key)
            ),
        );
    }

    /// The elements of the list at `path`; nothing is an empty list.
    pub(super) fn list<'v>(&mut self, value: &'v Node, path: &FieldPath, noun: &str) -> &'v [Node] {
        match &value.kind {
            Kind::Null => &[],
            Kind::Seq(items) => items,
            _ => {
                self.error(
                    path,
                    format!(
                        "expected a list of {noun}; found {} (start each entry with \"- \")",
                        raw::kind_of(value)
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
    pub(super) fn entries<'v>(
        &mut self,
        value: &'v Node,
        path: &FieldPath,
    ) -> Vec<(String, &'v Node, FieldPath)> {
        match &value.kind {
            Kind::Null => Vec::new(),
            Kind::Map(m) => m
                .iter()
                .filter_map(|(k, v)| match k.as_str() {
                    Some(name) => Some((name.to_string(), v, path.key(name))),
                    None => {
                        self.error_at(
                            path,
                            k.mark,
                            format!("keys here are names; found {}", raw::kind_of(k)),
                        );
                        None
                    }
                })
                .collect(),
            _ => {
                self.error(
                    path,
                    format!("expected a mapping; found {}", raw::kind_of(value)),
                );
                Vec::new()
            }
        }
    }
}

pub(super) use crate::text::{closest, MAX_SUGGEST_LEN};

/// `text` in double quotes for a message, shortened to its first 64 characters (a key of a
/// megabyte is shown as its start and its length).
pub(super) fn quoted(text: &str) -> String {
    const SHOWN: usize = 64;
    let mut chars = text.chars();
    let head: String = chars.by_ref().take(SHOWN).collect();
    if chars.next().is_none() {
        format!("\"{head}\"")
    } else {
        format!("\"{head}…\" ({} bytes)", text.len())
    }
}
