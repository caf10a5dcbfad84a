//! Line and column of JSON paths, found in one streaming pass over a file: no tree of the
//! input is built, so placing the problems of a 1 GiB `kubectl get pods -o json` needs no
//! more memory than a few paths (the nesting depth, and keys up to [`MAX_KEY_BYTES`]).
//!
//! Positions are 1-based; columns count characters (UTF-8 sequences), as the scenario
//! reader's do. [`value_before`] takes serde_json's error position, whose column counts
//! bytes, and compares it in bytes.

use super::path::{JsonPath, Step};
use std::io::BufRead;
use std::path::Path;

/// Deepest nesting followed (serde_json itself stops at 128); deeper files are not placed.
const MAX_DEPTH: usize = 1024;

/// Longest object key kept for comparison (bytes); a longer key matches no path.
const MAX_KEY_BYTES: usize = 64 << 10;

/// One step of the path to the value being read: [`Step`], or a key too long to keep.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Here {
    Key(String),
    LongKey,
    Index(usize),
}

impl Here {
    fn matches(&self, step: &Step) -> bool {
        match (self, step) {
            (Here::Key(a), Step::Key(b)) => a == b,
            (Here::Index(a), Step::Index(b)) => a == b,
            _ => false,
        }
    }
}

/// Where a value starts: line and character column (1-based), and the byte column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Pos {
    line: usize,
    col: usize,
    byte_col: usize,
}

/// A byte reader that counts lines and columns.
struct Cursor<R> {
    reader: R,
    pos: Pos,
}

impl<R: BufRead> Cursor<R> {
    fn peek(&mut self) -> Option<u8> {
        self.reader.fill_buf().ok()?.first().copied()
    }

    fn bump(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.reader.consume(1);
        if b == b'\n' {
            self.pos.line += 1;
            self.pos.col = 1;
            self.pos.byte_col = 1;
        } else {
            self.pos.byte_col += 1;
            if b & 0xC0 != 0x80 {
                self.pos.col += 1;
            }
        }
        Some(b)
    }

    fn skip_blanks(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.bump();
        }
    }

    /// Reads a string whose opening quote is next; its text when `keep` and it is at most
    /// [`MAX_KEY_BYTES`] long (escapes decoded), else `None`. `Err` on a malformed string.
    fn string(&mut self, keep: bool) -> Result<Option<String>, ()> {
        if self.bump() != Some(b'"') {
            return Err(());
        }
        let mut bytes = Vec::new();
        let mut long = !keep;
        loop {
            let b = self.bump().ok_or(())?;
            let piece: &[u8] = match b {
                b'"' => break,
                b'\\' => match self.bump().ok_or(())? {
                    b'u' => {
                        let c = self.unicode()?;
                        let mut buf = [0; 4];
                        let s = c.encode_utf8(&mut buf);
                        if !long {
                            bytes.extend_from_slice(s.as_bytes());
                        }
                        &[]
                    }
                    b'n' => b"\n",
                    b't' => b"\t",
                    b'r' => b"\r",
                    b'b' => b"\x08",
                    b'f' => b"\x0c",
                    b'"' => b"\"",
                    b'\\' => b"\\",
                    b'/' => b"/",
                    _ => return Err(()),
                },
                _ => std::slice::from_ref(&b),
            };
            if !long {
                bytes.extend_from_slice(piece);
                long = bytes.len() > MAX_KEY_BYTES;
            }
        }
        if long {
            return Ok(None);
        }
        String::from_utf8(bytes).map(Some).map_err(|_| ())
    }

    /// The character of a `\uXXXX` escape (its `\u` read), with a surrogate pair's second
    /// half; an unpaired surrogate is U+FFFD, as serde_json's lossy reading would give.
    fn unicode(&mut self) -> Result<char, ()> {
        let first = self.hex4()?;
        if !(0xD800..0xDC00).contains(&first) {
            return Ok(char::from_u32(first).unwrap_or('\u{FFFD}'));
        }
        if self.peek() != Some(b'\\') {
            return Ok('\u{FFFD}');
        }
        self.bump();
        if self.bump() != Some(b'u') {
            return Err(());
        }
        let second = self.hex4()?;
        let c = 0x10000 + ((first - 0xD800) << 10) + second.wrapping_sub(0xDC00);
        Ok(char::from_u32(c).unwrap_or('\u{FFFD}'))
    }

    fn hex4(&mut self) -> Result<u32, ()> {
        let mut v = 0;
        for _ in 0..4 {
            let d = (self.bump().ok_or(())? as char).to_digit(16).ok_or(())?;
            v = v * 16 + d;
        }
        Ok(v)
    }

    /// Skips a number, `true`, `false` or `null`.
    fn scalar(&mut self) -> Result<(), ()> {
        let mut any = false;
        while let Some(b) = self.peek() {
            if matches!(b, b',' | b']' | b'}' | b' ' | b'\t' | b'\r' | b'\n') {
                break;
            }
            self.bump();
            any = true;
        }
        if any {
            Ok(())
        } else {
            Err(())
        }
    }

    /// Reads `"key" :` (blanks around), the key as a step.
    fn key(&mut self) -> Result<Here, ()> {
        self.skip_blanks();
        let key = self.string(true)?;
        self.skip_blanks();
        if self.bump() != Some(b':') {
            return Err(());
        }
        Ok(key.map_or(Here::LongKey, Here::Key))
    }
}

/// What a visitor says after seeing a value start.
#[derive(PartialEq, Eq)]
enum Go {
    On,
    Stop,
}

/// Walks the first JSON document of the file at `path` (read through the bounded JSON
/// reader), calling `visit` with the path to each value and where it starts, in document
/// order, until the end, a malformed part, or `Go::Stop`. `false` when the file cannot be
/// opened.
fn walk(path: &Path, stream: bool, mut visit: impl FnMut(&[Here], Pos) -> Go) -> bool {
    let Ok(file) = crate::input::open(path, crate::input::JSON) else {
        return false;
    };
    let mut c = Cursor {
        reader: std::io::BufReader::with_capacity(1 << 16, file),
        pos: Pos {
            line: 1,
            col: 1,
            byte_col: 1,
        },
    };
    // `steps` is the path to the value about to be read; `open[i]` whether container i
    // (an object when true) has had a member yet.
    // A stream of documents is read as the elements of a list without brackets or commas:
    // document `d` is at `[d]`.
    let mut steps: Vec<Here> = Vec::new();
    let mut objects: Vec<bool> = Vec::new();
    if stream {
        steps.push(Here::Index(0));
        objects.push(false);
    }
    let _ = (|| -> Result<(), ()> {
        loop {
            // a value
            c.skip_blanks();
            if visit(&steps, c.pos) == Go::Stop {
                return Ok(());
            }
            let mut closed = match c.peek().ok_or(())? {
                b'{' | b'[' if objects.len() >= MAX_DEPTH => return Err(()),
                b'{' => {
                    c.bump();
                    c.skip_blanks();
                    if c.peek() == Some(b'}') {
                        c.bump();
                        true
                    } else {
                        steps.push(c.key()?);
                        objects.push(true);
                        false
                    }
                }
                b'[' => {
                    c.bump();
                    c.skip_blanks();
                    if c.peek() == Some(b']') {
                        c.bump();
                        true
                    } else {
                        steps.push(Here::Index(0));
                        objects.push(false);
                        false
                    }
                }
                b'"' => c.string(false).map(|_| true)?,
                _ => c.scalar().map(|()| true)?,
            };
            // after a whole value: the next member, or the ends of containers
            while closed {
                let Some(&object) = objects.last() else {
                    return Ok(()); // the document's end
                };
                c.skip_blanks();
                if stream && objects.len() == 1 {
                    // the next document, if any
                    c.peek().ok_or(())?;
                    let Some(Here::Index(d)) = steps.last_mut() else {
                        return Err(());
                    };
                    *d += 1;
                    closed = false;
                    continue;
                }
                match (c.bump().ok_or(())?, object) {
                    (b',', true) => {
                        *steps.last_mut().ok_or(())? = c.key()?;
                        closed = false;
                    }
                    (b',', false) => {
                        let last = steps.last_mut().ok_or(())?;
                        let Here::Index(i) = *last else {
                            return Err(());
                        };
                        *last = Here::Index(i + 1);
                        closed = false;
                    }
                    (b'}', true) | (b']', false) => {
                        steps.pop();
                        objects.pop();
                    }
                    _ => return Err(()),
                }
            }
        }
    })();
    true
}

/// For each path in `wanted`, the line and column (1-based, characters) of its value in
/// the file at `path`, or of the value of its longest prefix that exists (so a missing key
/// is placed at the object that lacks it); `None` for every path when the file cannot be
/// read or its document does not start as JSON.
pub fn places(path: &Path, stream: bool, wanted: &[&JsonPath]) -> Vec<Option<(usize, usize)>> {
    // The wanted paths as a trie (node 0 the root): a value is matched against the
    // children of its parent's node only, so a pass costs one lookup per value, not one
    // per value and wanted path.
    let mut children: Vec<Vec<(&Step, usize)>> = vec![Vec::new()];
    for w in wanted {
        let mut node = 0;
        for step in &w.0 {
            node = match children[node].iter().find(|(s, _)| *s == step) {
                Some(&(_, n)) => n,
                None => {
                    children.push(Vec::new());
                    let n = children.len() - 1;
                    children[node].push((step, n));
                    n
                }
            };
        }
    }
    // where each trie node's value first starts
    let mut seen: Vec<Option<Pos>> = vec![None; children.len()];
    // node_at[d]: the trie node of the first d steps of the current path (None: not a
    // prefix of any wanted path); after a visit at depth L it has L + 1 entries.
    // (a stream's root, the list of documents, is never visited itself)
    let mut node_at: Vec<Option<usize>> = if stream { vec![Some(0)] } else { Vec::new() };
    let ok = walk(path, stream, |steps, pos| {
        node_at.truncate(steps.len());
        let node = match steps.last() {
            None => Some(0),
            Some(h) => node_at.last().copied().flatten().and_then(|parent| {
                children[parent]
                    .iter()
                    .find(|(s, _)| h.matches(s))
                    .map(|&(_, n)| n)
            }),
        };
        if let Some(n) = node {
            seen[n].get_or_insert(pos);
        }
        node_at.push(node);
        Go::On
    });
    if !ok {
        return vec![None; wanted.len()];
    }
    // for each wanted path, its deepest node that was seen
    wanted
        .iter()
        .map(|w| {
            let mut node = 0;
            let mut best = seen[0];
            for step in &w.0 {
                match children[node].iter().find(|(s, _)| *s == step) {
                    Some(&(_, n)) if seen[n].is_some() => {
                        node = n;
                        best = seen[n];
                    }
                    _ => break,
                }
            }
            best.map(|p| (p.line, p.col))
        })
        .collect()
}

/// The path and position (line, character column) of the last value that starts at or
/// before `at` (line, byte column, as serde_json reports an error): the value serde_json
/// had just read when it found a value of the wrong type.
pub fn value_before(
    path: &Path,
    stream: bool,
    at: (usize, usize),
) -> Option<(JsonPath, (usize, usize))> {
    let mut last: Option<(Vec<Here>, Pos)> = None;
    walk(path, stream, |steps, pos| {
        if (pos.line, pos.byte_col) > at {
            return Go::Stop;
        }
        // the path's buffer is reused: no allocation per value
        let (s, p) = last.get_or_insert_with(|| (Vec::new(), pos));
        s.clear();
        s.extend_from_slice(steps);
        *p = pos;
        Go::On
    });
    let (steps, pos) = last?;
    let mut p = JsonPath::root();
    for h in steps {
        p = match h {
            Here::Key(k) => p.key(&k),
            Here::LongKey => p.key("…"),
            Here::Index(i) => p.index(i),
        };
    }
    Some((p, (pos.line, pos.col)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, text: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("ipamsim-locate-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn a_path_is_placed_at_its_value_or_nearest_parent() {
        let p = file(
            "nested.json",
            "{\n  \"items\": [\n    {\"a\": 1},\n    {\"b\": {\"c\": 2}}\n  ]\n}\n",
        );
        let items = JsonPath::root().key("items");
        let c = items.index(1).key("b").key("c");
        let missing = items.index(0).key("missing");
        let beyond = items.index(7).key("x");
        // items[1].b.c: line 4, the `2` after `    {"b": {"c": ` (column 17); a missing
        // key: the object `{"a": 1}` on line 3, column 5; a missing index: the list
        // (line 2, column 12)
        assert_eq!(
            places(&p, false, &[&c, &missing, &beyond]),
            [Some((4, 17)), Some((3, 5)), Some((2, 12))]
        );
        // serde_json reports a wrong type after the value: (4, 19) is past the `2`.
        let (path, at) = value_before(&p, false, (4, 19)).unwrap();
        assert_eq!((path.to_string().as_str(), at), ("items[1].b.c", (4, 17)));
    }

    #[test]
    fn escaped_keys_match_and_columns_count_characters() {
        // `\/` and `\u002e` decode to `/` and `.`; "é" is two bytes but one column
        let p = file(
            "escaped.json",
            "{\"é\": 0, \"labels\": {\"node\\u002ekubernetes.io\\/zone\": \"a\"}}",
        );
        let zone = JsonPath::root()
            .key("labels")
            .key("node.kubernetes.io/zone");
        // the value "a": 1 + `{"é": 0, "labels": {"node\u002ekubernetes.io\/zone": ` = col 54
        assert_eq!(places(&p, false, &[&zone]), [Some((1, 54))]);
        // the same place in bytes is column 55 (é is two bytes)
        let (path, at) = value_before(&p, false, (1, 55)).unwrap();
        assert_eq!(path, zone);
        assert_eq!(at, (1, 54));
    }

    #[test]
    fn malformed_or_unreadable_files_place_nothing_past_the_break() {
        let p = file("broken.json", "{\"a\": [1, 2,, 3], \"b\": 1}");
        let b = JsonPath::root().key("b");
        // the walk stops at `,,`: `b` is never reached, so it is placed at the root
        assert_eq!(places(&p, false, &[&b]), [Some((1, 1))]);
        let gone = std::env::temp_dir().join("ipamsim-locate-no-such-file.json");
        assert_eq!(places(&gone, false, &[&b]), [None]);
    }

    #[test]
    fn a_stream_of_documents_places_paths_under_each_document_index() {
        let p = file(
            "stream.json",
            "{\"type\": \"ADDED\",\n \"object\": {\"a\": 1}}\n{\"type\": \"DELETED\",\n \"object\": {\"a\": 2}}\n",
        );
        let a = JsonPath::root().index(1).key("object").key("a");
        let first = JsonPath::root().index(0).key("type");
        assert_eq!(
            places(&p, true, &[&a, &first]),
            [Some((4, 18)), Some((1, 10))]
        );
        let (path, at) = value_before(&p, true, (4, 18)).unwrap();
        assert_eq!(
            (path.to_string(), at),
            ("[1].object.a".to_string(), (4, 18))
        );
    }
}
