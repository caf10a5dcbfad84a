//! The run report's slowest pods: `ipamsim explain DIR --top N`'s list (from the library
//! code in `crate::explain`), each with the command that tells its story.

use super::html::{Block, Cell, Table};
use super::view::section;
use crate::explain::{outcome, overview, shell_word};
use std::path::Path;

/// Pods listed.
pub const SLOWEST: usize = 10;

/// `ipamsim explain DIR --pod NAME`, DIR as given, both shell-quoted when needed.
pub fn explain_command(dir: &Path, pod: &str) -> String {
    format!(
        "ipamsim explain {} --pod {}",
        shell_word(&dir.display().to_string()),
        shell_word(pod)
    )
}

/// The slowest pods of the run in `dir` (as the user named it), or a note saying why not.
pub fn slowest_block(dir: &Path, has_files: bool) -> Block {
    if !has_files {
        return Block::Note(
            "Slowest pods left out: they need both waits.csv and pods.csv (not both chosen in outputs:)."
                .into(),
        );
    }
    let o = match overview(dir, SLOWEST) {
        Ok(o) => o,
        Err(e) => return Block::Note(format!("Slowest pods left out: {e}")),
    };
    if o.slowest.is_empty() {
        return Block::Note("Slowest pods left out: no pod waited.".into());
    }
    let mut t = Table::new(&[
        "#",
        "pod",
        "node",
        "waited (s)",
        "main cause",
        "outcome",
        "its story",
    ]);
    for (i, p) in o.slowest.iter().enumerate() {
        t.rows.push((
            None,
            vec![
                Cell::Num((i + 1).to_string()),
                Cell::Text(p.pod.clone()),
                Cell::Text(p.node.clone().unwrap_or_else(|| "-".into())),
                Cell::Num(p.wait_s.to_string()),
                Cell::Text(format!("{} {} s", p.main_cause, p.main_cause_s)),
                Cell::Text(outcome(p)),
                Cell::Code(explain_command(dir, &p.pod)),
            ],
        ));
    }
    section(
        "Slowest pods",
        format!(
            "The {} pods that waited longest in all (waits.csv, joined with pods.csv), as ipamsim explain {} --top {} lists them: the node they were bound to, their whole wait, the cause they waited longest for and what became of them. The last column is the command that tells a pod's story: each wait interval with its cause and the node's events behind it.",
            o.slowest.len(),
            shell_word(&dir.display().to_string()),
            SLOWEST
        ),
        t.render(),
    )
}
