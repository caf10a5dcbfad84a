//! Line starts, and the `-` of each block-list item (saphyr reports where an item's value
//! starts, not where its dash is).

use super::Mark;

/// Positions of line starts, to turn saphyr's markers into [`Mark`]s and find `-`s.
pub(super) struct LineIndex<'t> {
    text: &'t str,
    starts: Vec<usize>,
}

impl<'t> LineIndex<'t> {
    pub(super) fn new(text: &'t str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { text, starts }
    }

    /// Line `line` (1-based) without its line break.
    fn line(&self, line: usize) -> Option<&'t str> {
        let start = *self.starts.get(line.checked_sub(1)?)?;
        let end = self
            .starts
            .get(line)
            .map_or(self.text.len(), |next| next - 1);
        let text = self.text.get(start..end)?;
        Some(text.strip_suffix('\r').unwrap_or(text))
    }
}

/// The `-` that starts the block-list item at `item`: on the item's own line before it, or
/// on the nearest line above that holds only dashes (and a comment).
pub(super) fn find_dash(lines: &LineIndex<'_>, item: Mark) -> Option<Mark> {
    let line_no = item.line as usize;
    let first = lines.line(line_no)?;
    let before: String = first
        .chars()
        .take((item.col as usize).saturating_sub(1))
        .collect();
    if let Some(col) = last_dash(&before, false) {
        return Some(Mark {
            col: col as u32 + 1,
            ..item
        });
    }
    // Up through blank and comment lines, at most a few hundred.
    for up in (line_no.saturating_sub(500).max(1)..line_no).rev() {
        let text = lines.line(up)?;
        let trimmed = text.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        return last_dash(text, true).map(|col| Mark {
            line: up as u32,
            col: col as u32 + 1,
            ..item
        });
    }
    None
}

/// The character column (0-based) of the last `-` in `text` when `text` is only dashes
/// separated by blanks (and, if `comment_ok`, ends with a comment).
fn last_dash(text: &str, comment_ok: bool) -> Option<usize> {
    let chars: Vec<char> = text.chars().collect();
    let mut last = None;
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            ' ' | '\t' => i += 1,
            '-' if chars.get(i + 1).is_none_or(|c| *c == ' ' || *c == '\t') => {
                last = Some(i);
                i += 1;
            }
            '#' if comment_ok => break,
            _ => return None,
        }
    }
    last
}
