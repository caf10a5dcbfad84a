//! The one place that reads YAML: text → trees of [`Node`]s, each with the line and column
//! where it is written.
//!
//! Scenario files, the aws-node manifests of `cni_from`, and later `import` inputs all go
//! through [`parse_documents`]. It drives [`saphyr_parser`] (a YAML 1.2 event parser that
//! reports a position for every event and keeps no recursion of its own) and builds the
//! tree itself, so that it can:
//!
//! - resolve plain scalars as serde_yaml 0.9 did (YAML 1.2 core schema: `~`/`null`,
//!   `true`/`false`, decimal, `0x`, `0o`, `0b` integers, floats, `.inf`, `.nan`), keeping the
//!   number as written for messages (`2.0`, `1e3`);
//! - record the position of every key, every value and every `-` of a block list;
//! - expand aliases and `<<` merge keys, counting the expanded nodes against [`MAX_NODES`];
//! - stop at once, with a position, on nesting deeper than [`MAX_DEPTH`];
//! - report duplicate keys, bad merges and unsupported tags, and carry on.
//!
//! Positions are 1-based lines and 1-based columns counted in characters.

use lines::{find_dash, LineIndex};
use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span, Tag};
pub use scalars::resolve_plain;
use std::collections::BTreeMap;

mod lines;
mod scalars;

/// Deepest nesting of lists and mappings accepted (levels). A scenario needs about 6, an
/// aws-node DaemonSet manifest about 12.
pub const MAX_DEPTH: usize = 64;

/// Most YAML values accepted in one input, aliases and merges expanded. A 10,000-node
/// scenario needs a few hundred; the upstream aws-k8s-cni.yaml about 1,000.
pub const MAX_NODES: usize = 1_000_000;

/// A position: 1-based line and column (characters), in input number `origin`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Mark {
    /// Which input this is in (the caller numbers its inputs; 0 is the scenario file).
    pub origin: u32,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub col: u32,
}

/// A YAML value.
#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    /// `~`, `null`, or nothing.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A whole number that fits `i128`.
    Int(i128),
    /// Any other number, with the text as written (`2.0`, `1e3`, `.inf`, a 40-digit integer).
    Float(f64, String),
    /// A string, quoted or plain.
    Str(String),
    /// A list.
    Seq(Vec<Node>),
    /// A mapping, in file order (keys may be any value; duplicates are reported).
    Map(Vec<(Node, Node)>),
}

/// A YAML value and where it is written.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// The value.
    pub kind: Kind,
    /// Where the value starts (its anchor or tag, if any, else its first character).
    pub mark: Mark,
    /// For an item of a block list: where its `-` is.
    pub dash: Option<Mark>,
}

impl Node {
    /// A node at `mark`.
    pub fn new(kind: Kind, mark: Mark) -> Node {
        Node {
            kind,
            mark,
            dash: None,
        }
    }

    /// Where an error about this node as a list item is best shown: its `-`, else itself.
    pub fn item_mark(&self) -> Mark {
        self.dash.unwrap_or(self.mark)
    }

    /// The string, for a string node.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The value under string key `key` of a mapping node, with its key node.
    pub fn entry(&self, key: &str) -> Option<(&Node, &Node)> {
        match &self.kind {
            Kind::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(k, v)| (k, v)),
            _ => None,
        }
    }

    /// The value under string key `key` of a mapping node.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, v)| v)
    }

    /// What kind of value this is, for "found …" in messages.
    pub fn kind_name(&self) -> &'static str {
        match &self.kind {
            Kind::Null => "nothing",
            Kind::Bool(_) => "a boolean",
            Kind::Int(_) | Kind::Float(..) => "a number",
            Kind::Str(_) => "a string",
            Kind::Seq(_) => "a list",
            Kind::Map(_) => "a mapping",
        }
    }

    /// How many nodes this tree holds, itself included.
    pub fn size(&self) -> usize {
        let mut n = 0;
        let mut stack = vec![self];
        while let Some(node) = stack.pop() {
            n += 1;
            match &node.kind {
                Kind::Seq(items) => stack.extend(items.iter()),
                Kind::Map(entries) => {
                    for (k, v) in entries {
                        stack.push(k);
                        stack.push(v);
                    }
                }
                _ => {}
            }
        }
        n
    }
}

/// A problem found while reading YAML.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YamlProblem {
    /// Where it is.
    pub mark: Mark,
    /// What is wrong.
    pub message: String,
}

/// The documents of one input, and the problems met while reading it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Parsed {
    /// Each document's root, in order (an empty input has none).
    pub documents: Vec<Node>,
    /// Problems, in the order met. After a syntax error or a limit, `documents` holds what
    /// was complete before it.
    pub problems: Vec<YamlProblem>,
    /// Whether reading stopped early (a syntax error or a limit).
    pub fatal: bool,
    /// Where each document after the first starts.
    pub document_starts: Vec<Mark>,
}

/// Reads every document of `text`; positions carry `origin`. Never panics.
pub fn parse_documents(text: &str, origin: u32) -> Parsed {
    let mut b = Builder {
        origin,
        lines: LineIndex::new(text),
        stack: Vec::new(),
        anchors: BTreeMap::new(),
        nodes: 0,
        out: Parsed::default(),
    };
    let mut parser = Parser::new_from_str(text);
    let mut seen_document = false;
    while let Some(event) = parser.next_event() {
        match event {
            Ok((event, span)) => {
                if let Event::DocumentStart(_) = event {
                    if seen_document {
                        b.out.document_starts.push(b.mark(span));
                    }
                    seen_document = true;
                }
                if let Err(problem) = b.event(event, span) {
                    b.out.problems.push(problem);
                    b.out.fatal = true;
                    break;
                }
            }
            Err(err) => {
                b.out.problems.push(b.scan_problem(&err));
                b.out.fatal = true;
                break;
            }
        }
    }
    b.out
}

/// A collection being read.
enum Frame {
    Seq {
        mark: Mark,
        block: bool,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        mark: Mark,
        anchor: usize,
        entries: Vec<(Node, Node)>,
        key: Option<Node>,
    },
}

struct Builder<'t> {
    origin: u32,
    lines: LineIndex<'t>,
    stack: Vec<Frame>,
    /// Anchored nodes by saphyr's anchor id, with their sizes.
    anchors: BTreeMap<usize, (Node, usize)>,
    /// Nodes made so far, aliases expanded.
    nodes: usize,
    out: Parsed,
}

impl Builder<'_> {
    fn mark(&self, span: Span) -> Mark {
        Mark {
            origin: self.origin,
            line: u32::try_from(span.start.line()).unwrap_or(u32::MAX),
            col: u32::try_from(span.start.col().saturating_add(1)).unwrap_or(u32::MAX),
        }
    }

    fn scan_problem(&self, err: &ScanError) -> YamlProblem {
        let m = err.marker();
        YamlProblem {
            mark: Mark {
                origin: self.origin,
                line: u32::try_from(m.line().max(1)).unwrap_or(u32::MAX),
                col: u32::try_from(m.col().saturating_add(1)).unwrap_or(u32::MAX),
            },
            message: if err.info() == "recursion limit exceeded" {
                // saphyr's scanner counts flow levels in a u8.
                format!(
                    "lists and mappings are nested too deeply here (more than 255 `[` or `{{`); \
                     at most {MAX_DEPTH} levels are accepted"
                )
            } else {
                format!("cannot parse YAML: {}", err.info())
            },
        }
    }

    fn count(&mut self, n: usize, mark: Mark) -> Result<(), YamlProblem> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > MAX_NODES {
            return Err(YamlProblem {
                mark,
                message: format!(
                    "more than {MAX_NODES} YAML values (aliases expanded); a scenario needs far \
                     fewer"
                ),
            });
        }
        Ok(())
    }

    fn event(&mut self, event: Event<'_>, span: Span) -> Result<(), YamlProblem> {
        let mark = self.mark(span);
        match event {
            Event::Scalar(value, style, anchor, tag) => {
                self.count(1, mark)?;
                let kind = self.scalar(&value, style, tag.as_deref(), mark);
                self.finish(Node::new(kind, mark), anchor, 1)
            }
            Event::SequenceStart(anchor, tag) => {
                self.open(mark)?;
                self.collection_tag(tag.as_deref(), "seq", mark);
                self.stack.push(Frame::Seq {
                    mark,
                    block: span.is_empty(),
                    anchor,
                    items: Vec::new(),
                });
                Ok(())
            }
            Event::MappingStart(anchor, tag) => {
                self.open(mark)?;
                self.collection_tag(tag.as_deref(), "map", mark);
                self.stack.push(Frame::Map {
                    mark,
                    anchor,
                    entries: Vec::new(),
                    key: None,
                });
                Ok(())
            }
            Event::SequenceEnd => match self.stack.pop() {
                Some(Frame::Seq {
                    mark,
                    anchor,
                    items,
                    ..
                }) => {
                    let node = Node::new(Kind::Seq(items), mark);
                    let size = if anchor == 0 { 0 } else { node.size() };
                    self.finish(node, anchor, size)
                }
                _ => Err(self.internal(mark)),
            },
            Event::MappingEnd => match self.stack.pop() {
                Some(Frame::Map {
                    mark,
                    anchor,
                    entries,
                    ..
                }) => {
                    let entries = self.merge_and_check(entries)?;
                    let node = Node::new(Kind::Map(entries), mark);
                    let size = if anchor == 0 { 0 } else { node.size() };
                    self.finish(node, anchor, size)
                }
                _ => Err(self.internal(mark)),
            },
            Event::Alias(id) => {
                let Some(size) = self.anchors.get(&id).map(|(_, size)| *size) else {
                    return Err(YamlProblem {
                        mark,
                        message: "this alias names no anchor defined before it".to_string(),
                    });
                };
                self.count(size, mark)?;
                let Some(mut node) = self.anchors.get(&id).map(|(node, _)| node.clone()) else {
                    return Err(self.internal(mark));
                };
                node.dash = None;
                self.finish(node, 0, size)
            }
            Event::DocumentEnd
            | Event::DocumentStart(_)
            | Event::StreamStart
            | Event::StreamEnd
            | Event::Nothing => Ok(()),
        }
    }

    fn internal(&self, mark: Mark) -> YamlProblem {
        YamlProblem {
            mark,
            message: "cannot parse YAML: unbalanced collection".to_string(),
        }
    }

    fn open(&mut self, mark: Mark) -> Result<(), YamlProblem> {
        self.count(1, mark)?;
        if self.stack.len() >= MAX_DEPTH {
            return Err(YamlProblem {
                mark,
                message: format!(
                    "lists and mappings are nested more than {MAX_DEPTH} levels deep here; a \
                     scenario needs fewer than 10"
                ),
            });
        }
        Ok(())
    }

    /// A finished node goes into its parent (or becomes a document root).
    fn finish(&mut self, mut node: Node, anchor: usize, size: usize) -> Result<(), YamlProblem> {
        if anchor != 0 {
            let size = if size == 0 { node.size() } else { size };
            self.anchors.insert(anchor, (node.clone(), size));
        }
        match self.stack.last_mut() {
            None => self.out.documents.push(node),
            Some(Frame::Seq { block, items, .. }) => {
                if *block {
                    node.dash = find_dash(&self.lines, node.mark);
                }
                items.push(node);
            }
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                None => *key = Some(node),
                Some(k) => entries.push((k, node)),
            },
        }
        Ok(())
    }

    /// Resolves a scalar: plain ones by the core schema, quoted and block ones as strings,
    /// tagged ones by their tag.
    fn scalar(&mut self, value: &str, style: ScalarStyle, tag: Option<&Tag>, mark: Mark) -> Kind {
        match tag {
            None if style == ScalarStyle::Plain => resolve_plain(value),
            None => Kind::Str(value.to_string()),
            Some(tag) if tag.is_yaml_core_schema() => {
                let resolved = resolve_plain(value);
                let ok = match tag.suffix.as_str() {
                    "str" => return Kind::Str(value.to_string()),
                    "null" => matches!(resolved, Kind::Null),
                    "bool" => matches!(resolved, Kind::Bool(_)),
                    "int" => matches!(resolved, Kind::Int(_)),
                    "float" => matches!(resolved, Kind::Float(..) | Kind::Int(_)),
                    _ => false,
                };
                if !ok {
                    self.out.problems.push(YamlProblem {
                        mark,
                        message: format!(
                            "{value:?} is not a valid {tag}; remove the tag or fix the value"
                        ),
                    });
                }
                resolved
            }
            Some(tag) if is_non_specific(tag) => Kind::Str(value.to_string()),
            Some(tag) => {
                self.out.problems.push(YamlProblem {
                    mark,
                    message: format!("tag {tag} is not supported here; remove it"),
                });
                resolve_plain(value)
            }
        }
    }

    fn collection_tag(&mut self, tag: Option<&Tag>, expected: &str, mark: Mark) {
        let Some(tag) = tag else { return };
        if (tag.is_yaml_core_schema() && tag.suffix == expected) || is_non_specific(tag) {
            return;
        }
        self.out.problems.push(YamlProblem {
            mark,
            message: format!("tag {tag} is not supported here; remove it"),
        });
    }

    /// Applies `<<` merge keys (YAML 1.1 merge, as serde_yaml did) and reports duplicate
    /// keys.
    fn merge_and_check(
        &mut self,
        entries: Vec<(Node, Node)>,
    ) -> Result<Vec<(Node, Node)>, YamlProblem> {
        let mut own: Vec<(Node, Node)> = Vec::with_capacity(entries.len());
        let mut merges: Vec<(Node, Node)> = Vec::new();
        let mut seen: BTreeMap<String, Mark> = BTreeMap::new();
        for (k, v) in entries {
            if k.as_str() == Some("<<") {
                merges.push((k, v));
                continue;
            }
            if let Some(name) = k.as_str() {
                if let Some(first) = seen.get(name) {
                    self.out.problems.push(YamlProblem {
                        mark: k.mark,
                        message: format!(
                            "duplicate key {name:?} (first at line {}, column {}); each key \
                             may appear once in a mapping",
                            first.line, first.col
                        ),
                    });
                    continue;
                }
                seen.insert(name.to_string(), k.mark);
            }
            own.push((k, v));
        }
        for (k, v) in merges {
            let sources: Vec<Node> = match v.kind {
                Kind::Map(_) => vec![v],
                Kind::Seq(items) if items.iter().all(|i| matches!(i.kind, Kind::Map(_))) => items,
                _ => {
                    self.out.problems.push(YamlProblem {
                        mark: k.mark,
                        message: format!(
                            "a merge key `<<` takes a mapping or a list of mappings; found {}",
                            v.kind_name()
                        ),
                    });
                    continue;
                }
            };
            for source in sources {
                let Kind::Map(inherited) = source.kind else {
                    continue;
                };
                for (ik, iv) in inherited {
                    let name = ik.as_str().map(str::to_string);
                    if let Some(name) = name {
                        if seen.contains_key(&name) {
                            continue;
                        }
                        seen.insert(name, ik.mark);
                    }
                    own.push((ik, iv));
                }
            }
        }
        Ok(own)
    }
}

/// `!` alone: "not specific", a string for scalars.
fn is_non_specific(tag: &Tag) -> bool {
    (tag.handle == "!" && tag.suffix.is_empty()) || (tag.handle.is_empty() && tag.suffix == "!")
}

#[cfg(test)]
mod tests;
