//! A scenario file read once: its text, hash and YAML tree. Validating it, as written or
//! with `--set` overrides applied to the tree, is [`super::validate`]'s
//! ([`Source::scenario`], [`Source::with_overrides`]).
//!
//! Reading is bounded: files are read with [`read_text`], which takes at most
//! [`MAX_FILE_BYTES`] and checks that the text is UTF-8, giving the line and column of the
//! first bad byte.

use super::yaml::{self, Parsed};
use super::{Diagnostic, ScenarioErrors};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Largest scenario, manifest or trace file read: 64 MiB. The largest shipped scenario is
/// under 2 KiB and the upstream aws-k8s-cni.yaml about 12 KiB; 64 MiB holds some 1.9
/// million trace rows of 35 bytes, the creates and deletes of about 950,000 pods.
pub const MAX_FILE_BYTES: u64 = crate::input::TEXT.bytes;

/// How a scenario is loaded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// Lift the soft work budget (nodes, pods, samples, duration, max pods, sweep size)
    /// for scenarios that are large on purpose; the hard limits that prevent overflow
    /// stay. The scenario key `allow_large: true` does the same.
    pub allow_large: bool,
}

/// A scenario file: its name, directory, text, SHA-256 and parsed YAML tree.
#[derive(Clone, Debug)]
pub struct Source {
    /// The file as the user named it (used in messages).
    pub file: String,
    /// The directory that trace and `cni_from` paths are relative to.
    pub dir: PathBuf,
    /// The text as read.
    pub text: String,
    /// SHA-256 of the text, as 64 lowercase hex digits.
    pub sha256: String,
    /// The YAML tree with positions, and the problems met reading it.
    pub(crate) parsed: Parsed,
}

impl Source {
    /// Reads a scenario file (at most [`MAX_FILE_BYTES`], UTF-8) and parses it. Paths in it
    /// are relative to the file's directory. A read failure or a YAML syntax error is the
    /// error.
    pub fn read(path: &Path) -> Result<Source, ScenarioErrors> {
        let file = path.display().to_string();
        match read_text(path, "scenario file") {
            Ok(text) => Source::from_text(&text, &file, path.parent().unwrap_or(Path::new(""))),
            Err(d) => Err(ScenarioErrors {
                file,
                problems: vec![d],
            }),
        }
    }

    /// Parses scenario text; `file` names it in messages (its stem is the default scenario
    /// name) and `dir` is where its relative paths start. A YAML syntax error is the error.
    pub fn from_text(text: &str, file: &str, dir: &Path) -> Result<Source, ScenarioErrors> {
        let parsed = yaml::parse_documents(text, 0);
        if parsed.fatal {
            let mut problems: Vec<Diagnostic> = parsed
                .problems
                .iter()
                .map(|p| Diagnostic {
                    path: String::new(),
                    location: Some((p.mark.line as usize, p.mark.col as usize)),
                    message: p.message.clone(),
                })
                .collect();
            problems.sort_by_key(|d| d.location);
            return Err(ScenarioErrors {
                file: file.to_string(),
                problems,
            });
        }
        let sha256 = Sha256::digest(text.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Ok(Source {
            file: file.to_string(),
            dir: dir.to_path_buf(),
            text: text.to_string(),
            sha256,
            parsed,
        })
    }

    /// The scenario's default name: the file stem.
    pub fn default_name(&self) -> String {
        file_stem(&self.file)
    }

    /// The root of the (first) YAML document, if there is one.
    pub fn tree(&self) -> Option<&yaml::Node> {
        self.parsed.documents.first()
    }
}

/// Reads `path` (a regular file, through [`crate::input`]) as UTF-8 text of at most
/// [`MAX_FILE_BYTES`] (reading at most one byte more,
/// so `/dev/zero` or a huge file fails fast). `what` names the file in messages ("scenario
/// file", "trace file").
pub fn read_text(path: &Path, what: &str) -> Result<String, Diagnostic> {
    let fail = |location, message| Diagnostic {
        path: String::new(),
        location,
        message,
    };
    let bytes = match crate::input::read_bytes(path, crate::input::TEXT) {
        Ok(bytes) => bytes,
        Err(err) => {
            let message = match crate::input::refusal(&err) {
                Some(crate::input::Refusal::TooLarge(_)) => format!(
                    "the {what} is larger than 64 MiB ({MAX_FILE_BYTES} bytes), the most that \
                     is read"
                ),
                Some(r) => format!("cannot read file: {r}"),
                None => format!("cannot read file: {}", io_message(&err)),
            };
            return Err(fail(None, message));
        }
    };
    String::from_utf8(bytes).map_err(|err| {
        let good = &err.as_bytes()[..err.utf8_error().valid_up_to()];
        // The prefix is valid UTF-8 by construction.
        let prefix = std::str::from_utf8(good).unwrap_or_default();
        let line = prefix.matches('\n').count() + 1;
        let col = prefix.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        fail(
            Some((line, col)),
            format!(
                "invalid UTF-8 at byte {}; the {what} must be UTF-8 text",
                good.len()
            ),
        )
    })
}

/// An I/O error's text without the trailing ` (os error N)`.
pub(crate) fn io_message(err: &std::io::Error) -> String {
    let text = err.to_string();
    match text.find(" (os error ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

/// The file name without directories and extension, or `scenario`.
fn file_stem(file: &str) -> String {
    Path::new(file)
        .file_stem()
        .and_then(|s| s.to_str())
        .filter(|s| !s.is_empty())
        .unwrap_or("scenario")
        .to_string()
}
