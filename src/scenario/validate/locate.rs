//! A best-effort search for where a field path is written.
//!
//! It understands block-style YAML (indented `key: value` mappings, `- ` list items,
//! including lists at the same indentation as their key), and one-line flow collections
//! (`{at: 0s, replicas: 10}`, `[a, b]`). It does not follow anchors, aliases or merge keys,
//! multi-line flow collections, or keys spelled with escapes; for those, the nearest
//! enclosing field it can find is used instead.

use super::Seg;

/// Where a value's text starts (0-based line and byte column).
#[derive(Clone, Copy, Debug)]
struct Node {
    line: usize,
    col: usize,
}

/// The source text, split into lines, ready for path searches.
pub(super) struct Locator<'t> {
    lines: Vec<&'t str>,
}

impl<'t> Locator<'t> {
    pub(super) fn new(text: &'t str) -> Self {
        Locator {
            lines: text.lines().collect(),
        }
    }

    /// The 1-based (line, column) of `path`, or of its longest prefix that can be found.
    /// The empty path (the whole file) has no location.
    pub(super) fn locate_nearest(&self, path: &[Seg]) -> Option<(usize, usize)> {
        (1..=path.len()).rev().find_map(|n| self.locate(&path[..n]))
    }

    /// The 1-based (line, column) of the last key (or list item's `-`) of `path`.
    pub(super) fn locate(&self, path: &[Seg]) -> Option<(usize, usize)> {
        let mut node = self.root();
        let mut found = None;
        for seg in path {
            let here = node?;
            let (pos, value) = match seg {
                Seg::Key(key) => self.find_key(here, key)?,
                Seg::Index(i) => self.find_item(here, *i)?,
            };
            found = Some(pos);
            node = value;
        }
        let (line, col) = found?;
        let text = self.lines.get(line)?;
        let chars_before = text.get(..col)?.chars().count();
        Some((line + 1, chars_before + 1))
    }

    /// The first content line, where the top-level mapping starts.
    fn root(&self) -> Option<Node> {
        let line = (0..self.lines.len()).find(|&l| {
            let t = self.lines[l].trim();
            is_content(t) && t != "---" && !t.starts_with('%')
        })?;
        Some(Node {
            line,
            col: indent(self.lines[line]),
        })
    }

    fn text_at(&self, node: Node) -> Option<&'t str> {
        self.lines.get(node.line)?.get(node.col..)
    }

    /// Positions at `node.col` that belong to the block starting at `node`: the start
    /// itself, then each later line indented exactly as much, until a line indented less.
    fn block_entries(&self, node: Node) -> Vec<Node> {
        let mut out = vec![node];
        for line in node.line + 1..self.lines.len() {
            let text = self.lines[line];
            if !is_content(text.trim()) {
                continue;
            }
            let ind = indent(text);
            if ind < node.col {
                break;
            }
            if ind == node.col {
                out.push(Node { line, col: ind });
            }
        }
        out
    }

    /// The key `key` in the mapping at `node`: its position and its value's start.
    fn find_key(&self, node: Node, key: &str) -> Option<((usize, usize), Option<Node>)> {
        if self.text_at(node)?.starts_with('{') {
            return self.find_flow_key(node, key);
        }
        for entry in self.block_entries(node) {
            let text = self.text_at(entry)?;
            if let Some(after) = match_key(text, key) {
                let value = self.value_after(entry.line, entry.col + after, entry.col, true);
                return Some(((entry.line, entry.col), value));
            }
        }
        None
    }

    /// Item `index` of the list at `node`: its `-` and its value's start.
    fn find_item(&self, node: Node, index: usize) -> Option<((usize, usize), Option<Node>)> {
        if self.text_at(node)?.starts_with('[') {
            return self.find_flow_item(node, index);
        }
        let entry = self
            .block_entries(node)
            .into_iter()
            .take_while(|e| self.text_at(*e).is_some_and(is_dash))
            .nth(index)?;
        let value = self.value_after(entry.line, entry.col + 1, entry.col, false);
        Some(((entry.line, entry.col), value))
    }

    /// Where the value that follows byte `from` of `line` starts: later on the same
    /// line, or on the next content line if that is indented more than `owner_col`
    /// (or, for a key, a `- ` list at the key's own indentation).
    fn value_after(
        &self,
        line: usize,
        from: usize,
        owner_col: usize,
        is_key: bool,
    ) -> Option<Node> {
        let after = self.lines.get(line)?.get(from..)?;
        let rest = after.trim_start();
        if !rest.is_empty() && !rest.starts_with('#') {
            return Some(Node {
                line,
                col: from + (after.len() - rest.len()),
            });
        }
        let next = (line + 1..self.lines.len()).find(|&l| is_content(self.lines[l].trim()))?;
        let ind = indent(self.lines[next]);
        let text = self.lines[next].get(ind..)?;
        (ind > owner_col || (is_key && ind == owner_col && is_dash(text))).then_some(Node {
            line: next,
            col: ind,
        })
    }

    /// `key` inside a one-line flow mapping starting at `node`.
    fn find_flow_key(&self, node: Node, key: &str) -> Option<((usize, usize), Option<Node>)> {
        let line = self.lines.get(node.line)?;
        let start = node.col;
        for (offset, _) in line.get(start..)?.match_indices(key) {
            let at = start + offset;
            let before = line.get(..at)?.trim_end();
            if !(before.ends_with('{') || before.ends_with(',')) {
                continue;
            }
            if let Some(after) = match_key(line.get(at..)?, key) {
                let value = self.value_after(node.line, at + after, usize::MAX, false);
                return Some(((node.line, at), value));
            }
        }
        None
    }

    /// Element `index` of a one-line flow list starting at `node` (its `[`).
    fn find_flow_item(&self, node: Node, index: usize) -> Option<((usize, usize), Option<Node>)> {
        let line = self.lines.get(node.line)?;
        let mut depth = 0usize;
        let mut n = 0;
        let mut start = node.col + 1;
        for (offset, c) in line.get(node.col + 1..)?.char_indices() {
            let at = node.col + 1 + offset;
            match c {
                '[' | '{' => depth += 1,
                ']' | '}' if depth == 0 => break,
                ']' | '}' => depth -= 1,
                ',' if depth == 0 => {
                    if n == index {
                        break;
                    }
                    n += 1;
                    start = at + 1;
                }
                _ => {}
            }
        }
        if n != index {
            return None;
        }
        let item = line.get(start..)?;
        let col = start + (item.len() - item.trim_start().len());
        Some((
            (node.line, col),
            Some(Node {
                line: node.line,
                col,
            }),
        ))
    }
}

/// Whether `text` starts with `key` (plain or quoted) then `:`; returns the byte offset
/// just after the colon.
fn match_key(text: &str, key: &str) -> Option<usize> {
    let quoted = [format!("\"{key}\""), format!("'{key}'"), key.to_string()];
    let rest = quoted.iter().find_map(|k| text.strip_prefix(k.as_str()))?;
    let after_spaces = rest.trim_start_matches(' ');
    let after_colon = after_spaces.strip_prefix(':')?;
    let ends = after_colon.is_empty()
        || after_colon.starts_with([' ', '\t'])
        || after_colon.starts_with([',', '}']);
    ends.then_some(text.len() - after_colon.len())
}

/// Whether a trimmed line holds something other than a comment.
fn is_content(trimmed: &str) -> bool {
    !trimmed.is_empty() && !trimmed.starts_with('#')
}

/// Whether `text` starts a block list item.
fn is_dash(text: &str) -> bool {
    text == "-" || text.starts_with("- ") || text.starts_with("-\t")
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}
