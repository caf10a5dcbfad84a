//! `ipamsim explain DIR [--pod NAME] [--top N] [--format text|json]`: why pods waited,
//! from a run's output files (docs/commands.md#explain).

use super::{eprint_line, print, Exit};
use crate::cli::ExplainFormat;
use crate::explain::{self, ExplainError};
use std::path::Path;

/// What `explain` was asked.
#[derive(Clone, Copy, Debug)]
pub struct ExplainArgs<'a> {
    /// The run's output directory.
    pub dir: &'a Path,
    /// `--pod`: tell this pod's story instead of the overview.
    pub pod: Option<&'a str>,
    /// `--top`: how many of the slowest pods the overview lists.
    pub top: usize,
    /// `--format`.
    pub format: ExplainFormat,
}

/// Prints the overview or the pod's story. Exit 2 when a file is missing or malformed or
/// the pod is unknown; 1 when reading or printing fails.
pub fn explain(a: &ExplainArgs<'_>) -> Exit {
    let text = match a.pod {
        Some(name) => explain::pod_story(a.dir, name).and_then(|st| match a.format {
            ExplainFormat::Text => Ok(explain::story_text(&st)),
            ExplainFormat::Json => json(&st),
        }),
        None => explain::overview(a.dir, a.top).and_then(|o| match a.format {
            ExplainFormat::Text => Ok(explain::overview_text(&o, a.dir)),
            ExplainFormat::Json => json(&o),
        }),
    };
    match text {
        Ok(t) => print(&t).err().unwrap_or(Exit::Success),
        Err(e) => {
            eprint_line(&format!("error: {e}"));
            if e.invalid {
                Exit::Invalid
            } else {
                Exit::Failure
            }
        }
    }
}

fn json<T: serde::Serialize>(v: &T) -> Result<String, ExplainError> {
    serde_json::to_string_pretty(v)
        .map(|mut s| {
            s.push('\n');
            s
        })
        .map_err(|e| ExplainError {
            message: format!("writing JSON failed: {e}"),
            invalid: false,
        })
}
