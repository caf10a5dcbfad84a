//! The documentation tells the truth: every command shown in README.md and docs/*.md runs,
//! every file it names exists, every scenario of the walk-through validates, and every
//! relative link lands on a file and heading that exist.
//!
//! Conventions the docs follow (docs/development.md, "Documentation tests"):
//!
//! - In a fenced code block, a line starting with `ipamsim ` or `cargo run --release -- `
//!   is a command (a line ending in `\` continues on the next). It runs with the built
//!   binary from the crate root, every `--out DIR` redirected into a fresh temporary
//!   directory (later mentions of `DIR` in the same document follow it), and must exit 0,
//!   or N when the fence's info string says `exit=N` (```` ```sh exit=2 ````). Commands on
//!   the large benchmark scenarios run `ipamsim validate` on them instead.
//! - A ```` ```text ```` block right after a command block (nothing but blank lines
//!   between) is that block's output: each of its lines must be a line the last command
//!   printed (stdout or stderr, both trimmed), except lines with a wall time (` s wall`).
//! - In docs/write-a-scenario.md every ```` ```yaml ```` block is a whole scenario that
//!   `ipamsim validate` accepts, or rejects with exit 2 when the info string says
//!   `invalid`; `file=PATH` says the block is exactly the file PATH.
//! - README.md shows the summary `run` prints for scenarios/three-t3-medium.yaml, line for
//!   line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Scenarios too large for this test: their commands only validate them.
const LARGE: [&str; 2] = [
    "scenarios/large-1000-nodes.yaml",
    "scenarios/scale-out-500-nodes.yaml",
];

/// Documents other engineers are writing: links to them may dangle for now.
const PENDING: [&str; 2] = ["docs/scenario-input.md", "docs/capacity.md"];

const PREFIXES: [&str; 2] = ["ipamsim ", "cargo run --release -- "];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// README.md and every docs/*.md, as paths relative to the crate root.
fn doc_files() -> Vec<String> {
    let mut files = vec!["README.md".to_string()];
    let mut docs: Vec<String> = std::fs::read_dir(root().join("docs"))
        .expect("docs/ exists")
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            name.ends_with(".md").then(|| format!("docs/{name}"))
        })
        .collect();
    docs.sort();
    files.extend(docs);
    files
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// One fenced code block.
#[derive(Debug)]
struct Block {
    /// 1-based line of the opening fence.
    line: usize,
    /// The info string after the fence (`sh exit=2`).
    info: String,
    /// The lines inside.
    body: Vec<String>,
    /// Only blank lines separate it from the block before.
    follows_block: bool,
}

impl Block {
    fn lang(&self) -> &str {
        self.info.split_whitespace().next().unwrap_or("")
    }

    fn attr(&self, key: &str) -> Option<&str> {
        self.info
            .split_whitespace()
            .find_map(|w| w.strip_prefix(key)?.strip_prefix('='))
    }

    fn has_flag(&self, flag: &str) -> bool {
        self.info.split_whitespace().any(|w| w == flag)
    }
}

/// A fence line: its indentation, its backtick count and the rest of the line.
fn fence(line: &str) -> Option<(usize, usize, &str)> {
    let trimmed = line.trim_start();
    let ticks = trimmed.len() - trimmed.trim_start_matches('`').len();
    (ticks >= 3).then(|| (line.len() - trimmed.len(), ticks, &trimmed[ticks..]))
}

/// The fenced blocks of a Markdown text: CommonMark backtick fences, possibly indented
/// (inside a list item); an opening fence's info string holds no backtick.
fn blocks(text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    // The open block, its fence's indentation and backtick count.
    let mut open: Option<(Block, usize, usize)> = None;
    let mut only_blank_since_block = false;
    for (i, line) in text.lines().enumerate() {
        match open.take() {
            Some((mut b, indent, ticks)) => {
                if matches!(fence(line), Some((_, n, rest)) if n >= ticks && rest.trim().is_empty())
                {
                    out.push(b);
                    only_blank_since_block = true;
                } else {
                    let strip = line.len() - line.trim_start().len();
                    b.body.push(line[strip.min(indent)..].to_string());
                    open = Some((b, indent, ticks));
                }
            }
            None => match fence(line) {
                Some((indent, ticks, info)) if !info.contains('`') => {
                    let b = Block {
                        line: i + 1,
                        info: info.trim().to_string(),
                        body: Vec::new(),
                        follows_block: only_blank_since_block,
                    };
                    open = Some((b, indent, ticks));
                }
                _ if !line.trim().is_empty() => only_blank_since_block = false,
                _ => {}
            },
        }
    }
    assert!(open.is_none(), "an unclosed code block");
    out
}

/// The commands of a block: lines starting with a prefix, `\` continuations joined, with
/// the prefix dropped (`run scenarios/x.yaml --out out/`).
fn commands(b: &Block) -> Vec<String> {
    let mut out = Vec::new();
    let mut lines = b.body.iter();
    while let Some(line) = lines.next() {
        let Some(rest) = PREFIXES.iter().find_map(|p| line.strip_prefix(p)) else {
            continue;
        };
        let mut cmd = rest.trim_end().to_string();
        while cmd.ends_with('\\') {
            cmd.pop();
            match lines.next() {
                Some(next) => {
                    cmd.push(' ');
                    cmd.push_str(next.trim());
                }
                None => break,
            }
        }
        out.push(cmd.split_whitespace().collect::<Vec<_>>().join(" "));
    }
    out
}

/// A fresh temporary directory for `name`.
fn fresh(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ipamsim-docs-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Where a document's `--out` directories went: the path as written (no trailing `/`) →
/// the temporary directory.
#[derive(Default)]
struct OutDirs {
    map: BTreeMap<String, PathBuf>,
    base: PathBuf,
}

impl OutDirs {
    fn key(p: &str) -> String {
        p.trim_end_matches('/').to_string()
    }

    /// `token` with a known output directory replaced by its temporary one (the longest
    /// match), if it names one.
    fn rewrite(&self, token: &str) -> Option<String> {
        let t = token.trim_end_matches('/');
        self.map
            .iter()
            .filter(|(k, _)| t == k.as_str() || t.starts_with(&format!("{k}/")))
            .max_by_key(|(k, _)| k.len())
            .map(|(k, v)| format!("{}{}", v.display(), &t[k.len()..]))
    }

    fn add(&mut self, written: &str) -> PathBuf {
        let dir = self.base.join(format!("out{}", self.map.len() + 1));
        self.map.insert(Self::key(written), dir.clone());
        dir
    }

    /// Output text with the temporary directories named as the document wrote them.
    fn unrewrite(&self, text: &str) -> String {
        let mut s = text.to_string();
        for (k, v) in &self.map {
            s = s.replace(&v.display().to_string(), k);
        }
        s
    }
}

/// The shell text to run for one documented command (without its prefix), and a note.
fn prepare(cmd: &str, outs: &mut OutDirs) -> String {
    let bin = shell_quote(env!("CARGO_BIN_EXE_ipamsim"));
    if let Some(large) = LARGE.iter().find(|s| cmd.contains(*s)) {
        return format!("{bin} validate {large}");
    }
    let tokens: Vec<&str> = cmd.split(' ').collect();
    let mut out: Vec<String> = vec![bin];
    let mut i = 0;
    while i < tokens.len() {
        let t = tokens[i];
        if (t == "--out" || t == "-o") && i + 1 < tokens.len() {
            let dir = outs.add(tokens[i + 1]);
            out.push(t.to_string());
            out.push(shell_quote(&dir.display().to_string()));
            i += 2;
            continue;
        }
        if let Some(v) = t.strip_prefix("--out=") {
            let dir = outs.add(v);
            out.push(format!("--out={}", shell_quote(&dir.display().to_string())));
        } else if let Some(r) = outs.rewrite(t) {
            out.push(shell_quote(&r));
        } else {
            out.push(t.to_string());
        }
        i += 1;
    }
    out.join(" ")
}

fn run_shell(script: &str) -> Output {
    Command::new("bash")
        .args(["-o", "pipefail", "-c", script])
        .current_dir(root())
        .env_remove("IPAMSIM_TEST_HOLD")
        .output()
        .expect("bash runs")
}

fn printed(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn every_documented_command_runs_as_documented() {
    let mut ran = 0;
    let mut failures = Vec::new();
    for file in doc_files() {
        let text = read(&file);
        let bs = blocks(&text);
        let mut outs = OutDirs {
            base: fresh(&file.replace(['/', '.'], "-")),
            ..OutDirs::default()
        };
        let mut last: Option<(usize, String, String)> = None; // (block index, command, output)
        for (bi, b) in bs.iter().enumerate() {
            if b.lang() == "text" && b.follows_block {
                if let Some((li, cmd, output)) = &last {
                    if *li + 1 == bi {
                        let got: Vec<&str> = output.lines().map(str::trim).collect();
                        for want in b.body.iter().map(|l| l.trim()) {
                            if want.is_empty() || want.contains(" s wall") {
                                continue;
                            }
                            if !got.contains(&want) {
                                failures.push(format!(
                                    "{file}:{}: `{cmd}` did not print\n    {want}\n  it printed:\n{output}",
                                    b.line
                                ));
                            }
                        }
                    }
                }
                continue;
            }
            let cmds = commands(b);
            if cmds.is_empty() {
                continue;
            }
            let expected: i32 = b.attr("exit").map_or(0, |v| {
                v.parse()
                    .unwrap_or_else(|_| panic!("{file}:{}: bad exit={v}", b.line))
            });
            for cmd in &cmds {
                let script = prepare(cmd, &mut outs);
                let o = run_shell(&script);
                ran += 1;
                let output = outs.unrewrite(&printed(&o));
                if o.status.code() != Some(expected) {
                    failures.push(format!(
                        "{file}:{}: `{cmd}` exited {:?}, documented {expected}\n{output}",
                        b.line,
                        o.status.code()
                    ));
                }
                last = Some((bi, cmd.clone(), output));
            }
        }
    }
    assert!(ran >= 20, "only {ran} documented commands found");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Paths such as `scenarios/x.yaml` or `docs/examples/y.yaml` named anywhere in `text`.
fn named_paths(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for start in ["scenarios/", "docs/examples/"] {
        let mut rest = text;
        while let Some(i) = rest.find(start) {
            let preceded_ok = i == 0 || {
                let c = rest.as_bytes()[i - 1];
                !(c.is_ascii_alphanumeric() || c == b'/' || c == b'_' || c == b'-' || c == b'.')
            };
            let tail = &rest[i..];
            let end = tail
                .find(|c: char| !(c.is_ascii_alphanumeric() || "._/-".contains(c)))
                .unwrap_or(tail.len());
            let p = tail[..end].trim_end_matches(['.', '/']);
            if preceded_ok && (p.ends_with(".yaml") || p.ends_with(".csv")) {
                out.push(p.to_string());
            }
            rest = &rest[i + start.len()..];
        }
    }
    out
}

#[test]
fn every_named_scenario_file_exists() {
    let mut missing = Vec::new();
    let mut seen = 0;
    for file in doc_files() {
        for p in named_paths(&read(&file)) {
            seen += 1;
            if !root().join(&p).is_file() {
                missing.push(format!("{file}: {p}"));
            }
        }
    }
    assert!(seen >= 15, "only {seen} scenario paths found");
    assert!(missing.is_empty(), "missing files:\n{}", missing.join("\n"));
}

#[test]
fn walkthrough_scenarios_validate() {
    let file = "docs/write-a-scenario.md";
    let dir = fresh("walkthrough");
    let mut checked = 0;
    for b in blocks(&read(file)).iter().filter(|b| b.lang() == "yaml") {
        let mut yaml = b.body.join("\n");
        yaml.push('\n');
        if let Some(path) = b.attr("file") {
            assert_eq!(
                yaml,
                read(path),
                "{file}:{}: the block is not {path} as it stands",
                b.line
            );
        }
        let path = dir.join(format!("block-{}.yaml", b.line));
        std::fs::write(&path, &yaml).unwrap();
        let o = Command::new(env!("CARGO_BIN_EXE_ipamsim"))
            .arg("validate")
            .arg(&path)
            .output()
            .unwrap();
        let expected = if b.has_flag("invalid") { 2 } else { 0 };
        assert_eq!(
            o.status.code(),
            Some(expected),
            "{file}:{}: validate said\n{}",
            b.line,
            printed(&o)
        );
        checked += 1;
    }
    assert!(checked >= 3, "only {checked} YAML blocks in {file}");
}

/// GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// The anchors of a Markdown text's headings (outside code blocks).
fn anchors(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut in_code = false;
    for line in text.lines() {
        if matches!(fence(line), Some((_, _, info)) if !info.contains('`')) {
            in_code = !in_code;
            continue;
        }
        if in_code || !line.starts_with('#') {
            continue;
        }
        let base = slug(line.trim_start_matches('#'));
        let n = out
            .iter()
            .filter(|a| *a == &base || a.starts_with(&format!("{base}-")))
            .count();
        out.push(if n == 0 { base } else { format!("{base}-{n}") });
    }
    out
}

/// The targets of the inline links `[text](target)` of a text, outside code blocks.
fn links(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_code = false;
    for line in text.lines() {
        if matches!(fence(line), Some((_, _, info)) if !info.contains('`')) {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        let mut rest = line;
        while let Some(i) = rest.find("](") {
            let tail = &rest[i + 2..];
            let Some(end) = tail.find(')') else { break };
            out.push(tail[..end].to_string());
            rest = &tail[end..];
        }
    }
    out
}

#[test]
fn every_relative_link_resolves() {
    let mut broken = Vec::new();
    for file in doc_files() {
        let text = read(&file);
        let here = Path::new(&file).parent().unwrap_or(Path::new(""));
        for target in links(&text) {
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let (path, anchor) = match target.split_once('#') {
                Some((p, a)) => (p, Some(a)),
                None => (target.as_str(), None),
            };
            let rel = if path.is_empty() {
                file.clone()
            } else {
                normalize(&here.join(path))
            };
            if PENDING.contains(&rel.as_str()) && !root().join(&rel).exists() {
                continue;
            }
            if !root().join(&rel).exists() {
                broken.push(format!("{file}: ({target}): no file {rel}"));
                continue;
            }
            if let Some(a) = anchor {
                if rel.ends_with(".md") && !anchors(&read(&rel)).iter().any(|x| x == a) {
                    broken.push(format!("{file}: ({target}): no heading #{a} in {rel}"));
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

/// `docs/../README.md` → `README.md`.
fn normalize(p: &Path) -> String {
    let mut parts: Vec<String> = Vec::new();
    for c in p.components() {
        match c {
            std::path::Component::ParentDir => {
                parts.pop();
            }
            std::path::Component::Normal(s) => parts.push(s.to_string_lossy().into_owned()),
            _ => {}
        }
    }
    parts.join("/")
}

#[test]
fn readme_quick_start_summary_is_what_run_prints() {
    let out = fresh("quick-start");
    let o = Command::new(env!("CARGO_BIN_EXE_ipamsim"))
        .args(["run", "scenarios/three-t3-medium.yaml", "--out"])
        .arg(&out)
        .current_dir(root())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", printed(&o));
    let readme = read("README.md");
    let shown: Vec<&str> = readme.lines().collect();
    let stdout = String::from_utf8_lossy(&o.stdout);
    let lines: Vec<&str> = stdout.lines().filter(|l| !l.starts_with("run:")).collect();
    assert!(lines.len() >= 8, "{stdout}");
    for line in lines {
        assert!(
            shown.contains(&line),
            "README.md's quick start does not show this line of the summary:\n{line}"
        );
    }
}

/// docs/outputs.md shows three-t3-medium's files as they are: its `summary.json` example is
/// the golden copy byte for byte, and every line of the events.csv and waits.csv examples is
/// a line of the golden file (the golden copy is checked against a fresh run by
/// tests/golden.rs).
#[test]
fn outputs_md_examples_are_three_t3_medium_outputs() {
    let text = read("docs/outputs.md");
    let golden = |f: &str| read(&format!("tests/golden/three-t3-medium/{f}"));
    let bs = blocks(&text);
    let json = bs
        .iter()
        .find(|b| b.lang() == "json" && b.body.iter().any(|l| l.contains("\"scenario_sha256\"")))
        .expect("a summary.json example");
    let mut shown = json.body.join("\n");
    shown.push('\n');
    assert_eq!(
        shown,
        golden("summary.json"),
        "docs/outputs.md summary.json example"
    );
    for (file, header) in [
        ("events.csv", "time_s,node,kind,"),
        ("waits.csv", "pod,node,cause,"),
    ] {
        let want = golden(file);
        let lines: Vec<&str> = want.lines().collect();
        let b = bs
            .iter()
            .find(|b| b.lang() == "text" && b.body.first().is_some_and(|l| l.starts_with(header)))
            .unwrap_or_else(|| panic!("docs/outputs.md shows no {file} example"));
        for l in &b.body {
            assert!(
                lines.contains(&l.as_str()),
                "{file} example line not in the run: {l}"
            );
        }
    }
}
