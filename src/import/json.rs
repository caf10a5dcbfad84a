//! Reading the JSON that kubectl and the AWS CLI print, and placing problems in it.
//!
//! Files are read with serde_json straight into typed structs (every field the import needs
//! is an `Option`, so that a missing one is reported by the import with its JSON path
//! rather than by serde). A syntax or type error is placed by serde_json's own line and
//! column. A problem found later (a missing field, an unknown instance type) is named by
//! its [`JsonPath`] and placed by one more streaming pass over the file
//! ([`super::locate`]), which builds no tree of the input.

use super::locate;
pub use super::path::JsonPath;
use crate::scenario::{Diagnostic, Escaped};
use serde::de::{DeserializeOwned, DeserializeSeed};
use std::fmt;
use std::io::BufReader;
use std::path::{Path, PathBuf};

/// Largest JSON input read: 1 GiB (bytes). `kubectl get pods -A -o json` prints about
/// 4–8 KiB per pod, so this holds well over 100,000 pods; only the fields the import
/// uses are kept in memory.
pub const MAX_JSON_BYTES: u64 = crate::input::JSON.bytes;

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
    /// Whether it is read as a stream of JSON documents (`kubectl get … -o json --watch`):
    /// paths then start with the document's index, `[3].object.metadata`.
    pub stream: bool,
}

impl InputFile {
    /// The file at `path`, named as given.
    pub fn new(path: &Path) -> InputFile {
        InputFile {
            file: crate::scenario::shown_path(path).to_string(),
            path: path.to_path_buf(),
            stream: false,
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
    read_json_with(input, std::marker::PhantomData::<T>)
}

/// Reads `input` as JSON through `seed` (at most [`MAX_JSON_BYTES`]), as [`read_json`].
pub fn read_json_with<S, V>(input: &InputFile, seed: S) -> Result<V, Located>
where
    S: for<'de> DeserializeSeed<'de, Value = V>,
{
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
    let parsed = whole_document(
        &mut serde_json::Deserializer::from_reader(&mut reader),
        seed,
    );
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

/// Reads the documents of a stream ([`read_json_stream`]), one call per document.
pub trait StreamSeed {
    /// Reads document `doc` (0-based) from `d`.
    fn document<'de, D: serde::Deserializer<'de>>(
        &mut self,
        doc: usize,
        d: D,
    ) -> Result<(), D::Error>;
}

/// Reads `input` as a stream of JSON documents, one after another with blanks between
/// them as `kubectl get … -o json --watch` prints them (one document is a stream too),
/// each through `seed(d)` for document `d` (0-based), at most [`MAX_JSON_BYTES`] in all.
/// Returns how many documents were read. A syntax or type error is placed as
/// [`read_json`] places it, in document `d` at `[d]…` when the file holds several.
pub fn read_json_stream(input: &InputFile, seed: &mut impl StreamSeed) -> Result<usize, Located> {
    let file = crate::input::open(&input.path, crate::input::JSON)
        .map_err(|e| input.problem(String::new(), format!("cannot read file: {}", io_text(&e))))?;
    let mut reader = BufReader::with_capacity(1 << 16, file);
    if let Some(problem) = not_an_object(&mut reader, input) {
        return Err(problem);
    }
    let too_large = || {
        input.problem(
            String::new(),
            format!(
                "the file is larger than 1 GiB ({MAX_JSON_BYTES} bytes), the most that is read"
            ),
        )
    };
    let mut de = serde_json::Deserializer::from_reader(&mut reader);
    let mut d = 0;
    let failed = loop {
        if let Err(e) = seed.document(d, &mut de) {
            break Some((e, d > 0));
        }
        d += 1;
        match de.end() {
            Ok(()) => break None,
            // more than blanks follow: the next document
            Err(e) if e.is_syntax() => {}
            Err(e) => break Some((e, true)),
        }
    };
    drop(de);
    if reader.get_ref().exceeded() {
        return Err(too_large());
    }
    if let Some((e, stream)) = failed {
        // the first document is placed as a document of its own
        let as_read = InputFile {
            stream,
            ..input.clone()
        };
        return Err(json_problem(&as_read, &e));
    }
    Ok(d)
}

/// One JSON document read through `seed`, with nothing but blanks after it (as
/// `import` reads a file, and the fuzz target a byte slice).
pub fn whole_document<'de, R, S>(
    de: &mut serde_json::Deserializer<R>,
    seed: S,
) -> serde_json::Result<S::Value>
where
    R: serde_json::de::Read<'de>,
    S: DeserializeSeed<'de>,
{
    seed.deserialize(&mut *de)
        .and_then(|v| de.end().map(|()| v))
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
        if let Some((p, value_at)) = locate::value_before(&input.path, input.stream, at) {
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

/// A point in a [`Found`] to go back to ([`Found::mark`], [`Found::rollback`]).
#[derive(Clone, Copy, Debug)]
pub struct Mark {
    items: usize,
    errors: u64,
    warnings: u64,
}

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

    /// The present point, to [`Found::rollback`] to.
    pub fn mark(&self) -> Mark {
        Mark {
            items: self.items.len(),
            errors: self.errors,
            warnings: self.warnings,
        }
    }

    /// Forgets everything recorded since `mark`.
    pub fn rollback(&mut self, mark: Mark) {
        self.items.truncate(mark.items);
        self.errors = mark.errors;
        self.warnings = mark.warnings;
    }

    /// Whether any problem (not warning) was recorded.
    pub fn has_errors(&self) -> bool {
        self.errors > 0
    }

    /// Takes the leading document index off the paths of input `file` (read as a stream
    /// that turned out to hold one document), so they read `items[2]…`, not `[0].items[2]…`.
    pub fn single_document(&mut self, file: usize) {
        for (f, path, _, _) in &mut self.items {
            if *f == file && matches!(path.0.first(), Some(super::path::Step::Index(_))) {
                path.0.remove(0);
            }
        }
    }

    /// The problems and the warnings recorded but not kept.
    pub fn dropped(&self) -> (u64, u64) {
        (
            self.errors.saturating_sub(MAX_KEPT as u64),
            self.warnings.saturating_sub(MAX_KEPT as u64),
        )
    }

    /// The problems and the warnings, each placed at its path's line and column (one
    /// streaming pass per file that has any), else named by path only.
    pub fn place(self, inputs: &[&InputFile]) -> (Vec<Located>, Vec<Located>) {
        let mut at: Vec<Option<(usize, usize)>> = vec![None; self.items.len()];
        for (file, input) in inputs.iter().enumerate() {
            let mine: Vec<usize> = (0..self.items.len())
                .filter(|&i| self.items[i].0 == file)
                .collect();
            if mine.is_empty() {
                continue;
            }
            let paths: Vec<&JsonPath> = mine.iter().map(|&i| &self.items[i].1).collect();
            for (&i, place) in mine
                .iter()
                .zip(locate::places(&input.path, input.stream, &paths))
            {
                at[i] = place;
            }
        }
        let mut errors = Vec::new();
        let mut warnings = Vec::new();
        for ((file, path, message, warning), location) in self.items.into_iter().zip(at) {
            let Some(input) = inputs.get(file) else {
                continue;
            };
            let located = Located {
                file: input.file.clone(),
                diagnostic: Diagnostic {
                    path: path.to_string(),
                    location,
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
