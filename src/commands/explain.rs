//! `ipamsim explain DIR [--pod NAME] [--top N] [--format text|json]`: why pods waited,
//! from a run's output files (docs/commands.md#explain).

use super::{print, Error, Exit};
use crate::explain::{self, ExplainError};
use std::path::PathBuf;

/// `ipamsim explain`'s flags.
#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// An output directory of `run --out` (or a copy of it).
    pub dir: PathBuf,
    /// Tell this pod's story: each wait with its cause and the node events behind it.
    #[arg(long, value_name = "NAME")]
    pub pod: Option<String>,
    /// How many of the slowest pods (by total wait) to list.
    #[arg(long, value_name = "N", default_value_t = 10, conflicts_with = "pod")]
    pub top: usize,
    /// Output format: text for people, or JSON with the same content for scripts.
    #[arg(long, value_enum, default_value_t = ExplainFormat::Text)]
    pub format: ExplainFormat,
}

/// Output format of `explain`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ExplainFormat {
    /// Aligned text, one fact per line.
    Text,
    /// Pretty-printed JSON of the same content.
    Json,
}

/// Prints the overview or the pod's story. Exit 2 when a file is missing or malformed or
/// the pod is unknown; 1 when reading or printing fails.
pub fn explain(a: &Args) -> Result<(), Error> {
    let text = match &a.pod {
        Some(name) => explain::pod_story(&a.dir, name).and_then(|st| match a.format {
            ExplainFormat::Text => Ok(explain::story_text(&st)),
            ExplainFormat::Json => json(&st),
        }),
        None => explain::overview(&a.dir, a.top).and_then(|o| match a.format {
            ExplainFormat::Text => Ok(explain::overview_text(&o, &a.dir)),
            ExplainFormat::Json => json(&o),
        }),
    };
    let text = text.map_err(|e| {
        let exit = if e.invalid {
            Exit::Invalid
        } else {
            Exit::Failure
        };
        Error::lines(exit, vec![format!("error: {e}")])
    })?;
    print(&text)
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
