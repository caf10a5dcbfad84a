//! Reading the JSON that kubectl and the AWS CLI print, and placing problems in it.
//!
//! Files are read with serde_json straight into typed structs (every field the import needs
//! is an `Option`, so that a missing one is reported by the import with its JSON path
//! rather than by serde). A syntax or type error is placed by serde_json's own line and
//! column. A problem found later (a missing field, an unknown instance type) is named by
//! its [`JsonPath`] and placed, when the file is small enough, by walking the same text
//! with the scenario module's YAML reader (JSON is YAML 1.2), which keeps the line and
//! column of every value.

use crate::scenario::yaml::{parse_documents, Kind, Node};
use crate::scenario::{Diagnostic, Escaped};
use serde::de::DeserializeOwned;
use std::fmt;
use std::io::BufReader;
use std::path::{Path, PathBuf};

/// Largest JSON input read: 1 GiB (bytes). `kubectl get pods -A -o json` prints about
/// 4–8 KiB per pod, so this holds well over 100,000 pods; only the fields the import
/// uses are kept in memory.
pub const MAX_JSON_BYTES: u64 = crate::input::JSON.bytes;

/// Largest file whose problems are given a line and column by re-reading it (bytes):
/// the scenario reader's 64 MiB cap. Problems in larger files are named by path only.
const MAX_LOCATE_BYTES: u64 = crate::scenario::source::MAX_FILE_BYTES;

/// One step of a [`JsonPath`].
#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

/// A path into a JSON document, shown as `items[2].metadata.labels` (keys that are not
/// plain words are quoted: `labels["node.kubernetes.io/instance-type"]`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JsonPath(Vec<Step>);

impl JsonPath {
    /// The root of a document.
    pub fn root() -> JsonPath {
        JsonPath::default()
    }

    /// This path, then the key `key`.
    pub fn key(&self, key: &str) -> JsonPath {
        let mut steps = self.0.clone();
        steps.push(Step::Key(key.to_string()));
        JsonPath(steps)
    }

    /// This path, then the list index `i` (0-based).
    pub fn index(&self, i: usize) -> JsonPath {
        let mut steps = self.0.clone();
        steps.push(Step::Index(i));
        JsonPath(steps)
    }
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let word =
            |k: &str| !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        for (i, step) in self.0.iter().enumerate() {
            match step {
                Step::Key(k) if word(k) && i == 0 => f.write_str(k)?,
                Step::Key(k) if word(k) => write!(f, ".{k}")?,
                Step::Key(k) => write!(f, "[{}]", serde_json::Value::from(k.as_str()))?,
                Step::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// A problem or warning about one input file: the file as the user named it, and the
/// diagnostic (line and column in that file when known, a path, the message).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    /// The file as given on the command line.
    pub file: String,
    /// What, and where in the file.
    pub diagnostic: Diagnostic,
}

impl Located {
    /// This problem as a warning line: `file:line:col: warning: path: message` (`file:
    /// warning: …` without a line and column).
    pub fn warning_line(&self) -> String {
        // `:line:col: warning: …`, or `:warning: …`.
        let rest = self.diagnostic.warning_line("");
        let rest = rest.strip_prefix(':').unwrap_or(&rest);
        let sep = if self.diagnostic.location.is_some() {
            ":"
        } else {
            ": "
        };
        format!("{}{sep}{rest}", Escaped(&self.file))
    }
}

/// `file:line:col: path: message` (line and column, and path, when known).
impl fmt::Display for Located {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sep = if self.diagnostic.location.is_some() {
            ":"
        } else {
            ": "
        };
        write!(f, "{}{sep}{}", Escaped(&self.file), self.diagnostic)
    }
}

/// An input file: its name in messages and where it is.
#[derive(Clone, Debug)]
pub struct InputFile {
    /// The file as the user named it.
    pub file: String,
    /// Its path.
    pub path: PathBuf,
}

impl InputFile {
    /// The file at `path`, named as given.
    pub fn new(path: &Path) -> InputFile {
        InputFile {
            file: crate::scenario::shown_path(path).to_string(),
            path: path.to_path_buf(),
        }
    }

    /// A problem without a line and column.
    pub fn problem(&self, path: String, message: String) -> Located {
        Located {
            file: self.file.clone(),
            diagnostic: Diagnostic {
                path,
                location: None,
                message,
            },
        }
    }
}

/// Reads `input` as JSON into `T` (at most [`MAX_JSON_BYTES`]). A file that cannot be
/// read, is too large, or is not such JSON is one located problem.
pub fn read_json<T: DeserializeOwned>(input: &InputFile) -> Result<T, Located> {
    let limit = crate::input::Limit {
        bytes: MAX_JSON_BYTES,
        line: None,
    };
    let file = crate::input::open(&input.path, limit)
        .map_err(|e| input.problem(String::new(), format!("cannot read file: {}", io_text(&e))))?;
    let mut reader = BufReader::with_capacity(1 << 16, file);
    if let Some(problem) = not_an_object(&mut reader, input) {
        return Err(problem);
    }
    let parsed = serde_json::from_reader::<_, T>(&mut reader);
    if reader.get_ref().exceeded() {
        return Err(input.problem(
            String::new(),
            format!(
                "the file is larger than 1 GiB ({MAX_JSON_BYTES} bytes), the most that is read"
            ),
        ));
    }
    parsed.map_err(|e| json_problem(input, &e))
}

/// A problem if the document does not start with `{` (kubectl and the AWS CLI print one
/// object; serde would otherwise read a list as a struct's fields, with confusing
/// messages). Only leading whitespace is consumed.
fn not_an_object(reader: &mut impl std::io::BufRead, input: &InputFile) -> Option<Located> {
    let (mut line, mut col) = (1, 1);
    loop {
        let buf = match reader.fill_buf() {
            Ok(b) => b,
            Err(e) => {
                return Some(
                    input.problem(String::new(), format!("cannot read file: {}", io_text(&e))),
                )
            }
        };
        if buf.is_empty() {
            return None; // the end: serde_json reports it
        }
        let blanks = buf
            .iter()
            .take_while(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
            .count();
        for b in &buf[..blanks] {
            if *b == b'\n' {
                (line, col) = (line + 1, 1);
            } else {
                col += 1;
            }
        }
        if blanks == buf.len() {
            reader.consume(blanks);
            continue;
        }
        let next = buf[blanks];
        reader.consume(blanks);
        if next == b'{' {
            return None;
        }
        return Some(Located {
            file: input.file.clone(),
            diagnostic: Diagnostic {
                path: String::new(),
                location: Some((line, col)),
                message: "expected a JSON object `{…}`, as kubectl -o json and the AWS CLI \
                          print"
                    .to_string(),
            },
        });
    }
}

/// A serde_json error as a located problem (its message without serde's own
/// ` at line L column C`).
fn json_problem(input: &InputFile, e: &serde_json::Error) -> Located {
    if e.is_io() {
        return input.problem(String::new(), format!("cannot read file: {e}"));
    }
    let text = e.to_string();
    let message = match text.rfind(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    };
    let message = if e.is_eof() {
        format!("{message} (the file ends before the JSON document does)")
    } else {
        message
    };
    let mut location = (e.line() > 0).then(|| (e.line(), e.column().max(1)));
    let mut path = String::new();
    // serde_json places a wrong type just after the value; name and place the value itself.
    if let (true, Some(at)) = (e.is_data(), location) {
        if let Some((p, value_at)) = tree_of(&input.path).and_then(|t| value_before(&t, at)) {
            path = p.to_string();
            location = Some(value_at);
        }
    }
    Located {
        file: input.file.clone(),
        diagnostic: Diagnostic {
            path,
            location,
            message,
        },
    }
}

/// The path and position of the last value that starts at or before `at` (line, column),
/// descending into lists and objects: the value serde_json had just read.
fn value_before(root: &Node, at: (usize, usize)) -> Option<(JsonPath, (usize, usize))> {
    let pos = |n: &Node| (n.mark.line as usize, n.mark.col as usize);
    if pos(root) > at {
        return None;
    }
    let mut node = root;
    let mut path = JsonPath::root();
    loop {
        let next = match &node.kind {
            Kind::Seq(items) => items
                .iter()
                .enumerate()
                .rfind(|(_, n)| pos(n) <= at)
                .map(|(i, n)| (path.index(i), n)),
            Kind::Map(entries) => entries
                .iter()
                .rfind(|(_, v)| pos(v) <= at)
                .and_then(|(k, v)| Some((path.key(k.as_str()?), v))),
            _ => None,
        };
        match next {
            Some((p, n)) => {
                path = p;
                node = n;
            }
            None => return Some((path, pos(node))),
        }
    }
}

/// An I/O error's text without the trailing ` (os error N)`.
fn io_text(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

/// Most problems, and most warnings, kept (and printed) from one import; the rest are
/// only counted, so that an input with a million bad items needs no more memory for its
/// diagnostics than one with a hundred.
pub const MAX_KEPT: usize = 100;

/// Problems and warnings found after parsing, named by [`JsonPath`] until [`Found::place`]
/// gives them lines and columns. Only the first [`MAX_KEPT`] of each are kept.
#[derive(Default)]
pub struct Found {
    /// (file index, path, message, is a warning), in the order found.
    items: Vec<(usize, JsonPath, String, bool)>,
    /// Problems and warnings recorded, kept or not.
    errors: u64,
    warnings: u64,
}

impl Found {
    /// Records a problem at `path` of input `file` (an index into the inputs given to
    /// [`Found::place`]).
    pub fn error(&mut self, file: usize, path: JsonPath, message: String) {
        if self.errors < MAX_KEPT as u64 {
            self.items.push((file, path, message, false));
        }
        self.errors += 1;
    }

    /// Records a warning at `path` of input `file`.
    pub fn warn(&mut self, file: usize, path: JsonPath, message: String) {
        if self.warnings < MAX_KEPT as u64 {
            self.items.push((file, path, message, true));
        }
        self.warnings += 1;
    }

    /// Whether any problem (not warning) was recorded.
    pub fn has_errors(&self) -> bool {
        self.errors > 0
    }

    /// The problems and the warnings recorded but not kept.
    pub fn dropped(&self) -> (u64, u64) {
        (
            self.errors.saturating_sub(MAX_KEPT as u64),
            self.warnings.saturating_sub(MAX_KEPT as u64),
        )
    }

    /// The problems and the warnings, each placed at its path's line and column where the
    /// file can be re-read (at most 64 MiB), else named by path only.
    pub fn place(self, inputs: &[&InputFile]) -> (Vec<Located>, Vec<Located>) {
        let mut trees: Vec<Option<Option<Node>>> = vec![None; inputs.len()];
        let mut errors = Vec::new();
        let mut warnings = Vec::new();
        for (file, path, message, warning) in self.items {
            let Some(input) = inputs.get(file) else {
                continue;
            };
            let tree = trees[file].get_or_insert_with(|| tree_of(&input.path));
            let located = Located {
                file: input.file.clone(),
                diagnostic: Diagnostic {
                    path: path.to_string(),
                    location: tree.as_ref().and_then(|t| locate(t, &path)),
                    message,
                },
            };
            if warning {
                warnings.push(located);
            } else {
                errors.push(located);
            }
        }
        (errors, warnings)
    }
}

/// The file's JSON as a tree with positions, if it can be read again and is small enough.
fn tree_of(path: &Path) -> Option<Node> {
    if std::fs::metadata(path).ok()?.len() > MAX_LOCATE_BYTES {
        return None;
    }
    let text = crate::scenario::source::read_text(path, "JSON file").ok()?;
    let mut parsed = parse_documents(&text, 0);
    if parsed.fatal || parsed.documents.is_empty() {
        return None;
    }
    Some(parsed.documents.swap_remove(0))
}

/// The line and column of `path` in `root`: of its value, or of the value of its longest
/// prefix that exists (so a missing key is placed at the object that lacks it).
fn locate(root: &Node, path: &JsonPath) -> Option<(usize, usize)> {
    let mut node = root;
    for step in &path.0 {
        let next = match (step, &node.kind) {
            (Step::Key(k), Kind::Map(_)) => node.get(k),
            (Step::Index(i), Kind::Seq(items)) => items.get(*i),
            _ => None,
        };
        match next {
            Some(n) => node = n,
            None => break,
        }
    }
    Some((node.mark.line as usize, node.mark.col as usize))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_read_like_jq() {
        let p = JsonPath::root()
            .key("items")
            .index(2)
            .key("metadata")
            .key("labels")
            .key("node.kubernetes.io/instance-type");
        assert_eq!(
            p.to_string(),
            r#"items[2].metadata.labels["node.kubernetes.io/instance-type"]"#
        );
    }

    #[test]
    fn a_path_is_placed_at_its_value_or_nearest_parent() {
        let text = "{\n  \"items\": [\n    {\"a\": 1},\n    {\"b\": {\"c\": 2}}\n  ]\n}\n";
        let root = parse_documents(text, 0).documents.swap_remove(0);
        let items = JsonPath::root().key("items");
        // items[1].b.c: line 4, the `2` after `{"b": {"c": ` (column 17).
        assert_eq!(
            locate(&root, &items.index(1).key("b").key("c")),
            Some((4, 17))
        );
        // items[0].missing: the object `{"a": 1}` on line 3, column 5.
        assert_eq!(locate(&root, &items.index(0).key("missing")), Some((3, 5)));
        // serde_json reports a wrong type after the value: (4, 19) is past the `2`.
        let (p, at) = value_before(&root, (4, 19)).unwrap();
        assert_eq!((p.to_string().as_str(), at), ("items[1].b.c", (4, 17)));
    }
}
