//! The documentation tells the truth: every shell block of README.md and docs/*.md runs and
//! prints what the document shows, every `--help` text is in docs/commands.md, every file
//! named exists, every scenario of the walk-through validates, every relative link lands on
//! a file and heading that exist, and every document is in the indexes.
//!
//! The conventions (docs/development.md, "Documentation tests"):
//!
//! - Every ```` ```sh ```` block runs, in document order, with `bash -e -o pipefail` in a
//!   scratch directory of its own per document (a copy of `scenarios/`, `docs/examples/` and
//!   `tests/fixtures/`), `ipamsim` being the binary under test and `cargo run --release -- `
//!   read as `ipamsim `. Lines that run `cargo` otherwise (`cargo test`, `cargo install`,
//!   ...) are left out: the test itself runs under cargo. The block must exit 0, or N when
//!   its fence says `exit=N` (```` ```sh exit=2 ````).
//! - The ```` ```text ```` block right after it (only blank lines between) is what it
//!   printed: stdout and stderr as a terminal shows them, line for line. A line `...` stands
//!   for any number of lines left out. Masked before comparing: the number in ` in N s wall`
//!   and in ` on N threads` (both depend on the machine), and trailing spaces.
//! - A block without an output block says why, on the line before its fence:
//!   `<!-- doc-test: run-only REASON -->`; a block that cannot run here:
//!   `<!-- doc-test: skip REASON -->`. Nothing else is left out.
//! - `IPAMSIM_DOCS_UPDATE=1` rewrites the output blocks from what the commands printed,
//!   keeping lines whose only difference is a masked number, and the `...` excerpts.
//! - In docs/write-a-scenario.md every ```` ```yaml ```` block is a whole scenario that
//!   `ipamsim validate` accepts, or rejects with exit 2 when the info string says
//!   `invalid`; `file=PATH` says the block is exactly the file PATH.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Instant;

/// The environment variable that turns on the update mode.
const UPDATE: &str = "IPAMSIM_DOCS_UPDATE";

/// An output line standing for any number of lines left out.
const OMITTED: &str = "...";

/// How the docs run the binary from a checkout; read as `ipamsim `.
const CARGO_RUN: &str = "cargo run --release -- ";

/// What the docs' commands read, copied into each document's scratch directory.
const INPUTS: [&str; 3] = ["scenarios", "docs/examples", "tests/fixtures"];

/// Masked numbers: the digits and dots between `before` and `after` do not take part in
/// the comparison.
const MASKS: [(&str, &str); 2] = [
    // `run:` and `compare`'s last line: the wall time.
    (" in ", " s wall"),
    // `compare`: the threads, every core of the machine unless `--jobs` says.
    (" on ", " threads"),
];

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
    /// 1-based line of the closing fence.
    end: usize,
    /// The fence's indentation (a block inside a list item).
    indent: usize,
    /// The info string after the fence (`sh exit=2`).
    info: String,
    /// The lines inside.
    body: Vec<String>,
    /// Only blank lines separate it from the block before.
    follows_block: bool,
    /// The `<!-- doc-test: ... -->` right before it (only blank lines between), its words.
    directive: Option<String>,
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

/// The words of a `<!-- doc-test: ... -->` line.
fn directive(line: &str) -> Option<String> {
    let inner = line.trim().strip_prefix("<!--")?.strip_suffix("-->")?;
    Some(inner.trim().strip_prefix("doc-test:")?.trim().to_string())
}

/// The fenced blocks of a Markdown text: CommonMark backtick fences, possibly indented
/// (inside a list item); an opening fence's info string holds no backtick. Panics on an
/// unclosed block or a directive that no block follows.
fn blocks(file: &str, text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    // The open block, its fence's indentation and backtick count.
    let mut open: Option<(Block, usize)> = None;
    let mut only_blank_since_block = false;
    let mut pending: Option<(usize, String)> = None;
    for (i, line) in text.lines().enumerate() {
        match open.take() {
            Some((mut b, ticks)) => {
                if matches!(fence(line), Some((_, n, rest)) if n >= ticks && rest.trim().is_empty())
                {
                    b.end = i + 1;
                    out.push(b);
                    only_blank_since_block = true;
                } else {
                    let strip = line.len() - line.trim_start().len();
                    b.body.push(line[strip.min(b.indent)..].to_string());
                    open = Some((b, ticks));
                }
            }
            None => match fence(line) {
                Some((indent, ticks, info)) if !info.contains('`') => {
                    let b = Block {
                        line: i + 1,
                        end: 0,
                        indent,
                        info: info.trim().to_string(),
                        body: Vec::new(),
                        follows_block: only_blank_since_block && pending.is_none(),
                        directive: pending.take().map(|(_, d)| d),
                    };
                    open = Some((b, ticks));
                }
                _ if line.trim().is_empty() => {}
                _ => {
                    if let Some((at, d)) = &pending {
                        panic!("{file}:{at}: `<!-- doc-test: {d} -->` is not right before a code block");
                    }
                    pending = directive(line).map(|d| (i + 1, d));
                    only_blank_since_block = false;
                }
            },
        }
    }
    assert!(open.is_none(), "{file}: an unclosed code block");
    if let Some((at, d)) = pending {
        panic!("{file}:{at}: `<!-- doc-test: {d} -->` is not right before a code block");
    }
    out
}

/// A line that runs cargo for anything but `cargo run --release -- ` (after `VAR=value`
/// assignments): building, testing or installing the crate, which the test is inside of.
fn is_cargo_line(line: &str) -> bool {
    let words = line.split_whitespace().skip_while(|w| {
        w.split_once('=').is_some_and(|(name, _)| {
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        })
    });
    let rest: Vec<&str> = words.collect();
    rest.first() == Some(&"cargo") && !rest.join(" ").starts_with(CARGO_RUN.trim_end())
}

/// What the test does with one `sh` block.
#[derive(Debug)]
enum Plan {
    /// Not run, for this reason.
    Skip(String),
    /// Run `script`, expect exit `exit`, compare with the block at this index (or run only).
    Run {
        script: String,
        exit: i32,
        output: Option<usize>,
        cargo_lines: usize,
    },
}

/// The plan for the `sh` block `bs[i]`, or what is wrong with the block.
fn plan(bs: &[Block], i: usize) -> Result<Plan, String> {
    let b = &bs[i];
    let words = b.directive.clone().unwrap_or_default();
    let (verb, reason) = words.split_once(' ').unwrap_or((words.as_str(), ""));
    let reason = reason.trim().to_string();
    if !words.is_empty() && !matches!(verb, "skip" | "run-only") {
        return Err(format!(
            "unknown directive `{words}` (a `sh` block takes `skip REASON` or `run-only REASON`)"
        ));
    }
    if !words.is_empty() && reason.is_empty() {
        return Err(format!("`<!-- doc-test: {verb} -->` needs a reason"));
    }
    if verb == "skip" {
        return Ok(Plan::Skip(reason));
    }
    let mut script = String::from("exec 2>&1\n");
    let (mut cargo_lines, mut runnable) = (0, 0);
    let mut dropping = false;
    for line in &b.body {
        let continued = line.trim_end().ends_with('\\');
        if dropping || is_cargo_line(line) {
            dropping = continued;
            cargo_lines += 1;
            continue;
        }
        let t = line.trim();
        if !t.is_empty() && !t.starts_with('#') {
            runnable += 1;
        }
        script.push_str(&line.replace(CARGO_RUN, "ipamsim "));
        script.push('\n');
    }
    if runnable == 0 {
        return Ok(Plan::Skip(
            "only cargo commands (the test runs under cargo)".to_string(),
        ));
    }
    let output = bs
        .get(i + 1)
        .filter(|n| n.lang() == "text" && n.follows_block)
        .map(|_| i + 1);
    match (verb, output) {
        ("run-only", Some(_)) => return Err("`run-only`, yet an output block follows".into()),
        ("", None) => {
            return Err("no ```text block follows it: show the output, or say \
                        `<!-- doc-test: run-only REASON -->` before it"
                .into())
        }
        _ => {}
    }
    let exit = match b.attr("exit") {
        None => 0,
        Some(v) => v.parse().map_err(|_| format!("bad exit={v}"))?,
    };
    Ok(Plan::Run {
        script,
        exit,
        output,
        cargo_lines,
    })
}

/// `line` with the masked numbers replaced by `#` and trailing spaces removed.
fn mask(line: &str) -> String {
    let mut s = line.trim_end().to_string();
    for (before, after) in MASKS {
        let mut from = 0;
        while let Some(k) = s[from..].find(after).map(|k| k + from) {
            let digits = s[..k]
                .chars()
                .rev()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .count();
            let start = k - digits;
            if digits > 0 && s[..start].ends_with(before) {
                s.replace_range(start..k, "#");
                from = start + 1 + after.len();
            } else {
                from = k + after.len();
            }
        }
    }
    s
}

/// The parts of a documented output between its `...` lines, masked.
fn parts(want: &[String]) -> Vec<Vec<String>> {
    let mut out = vec![Vec::new()];
    for l in want {
        if l.trim() == OMITTED {
            out.push(Vec::new());
        } else {
            out.last_mut().unwrap().push(mask(l));
        }
    }
    out
}

/// Where the parts of `want` are in `got` (start of each part), or None if they are not:
/// the first part at the start, the last at the end, those between in order, each at its
/// leftmost place.
fn place(want: &[String], got: &[String]) -> Option<Vec<usize>> {
    let ps = parts(want);
    let got: Vec<String> = got.iter().map(|l| mask(l)).collect();
    if ps.len() == 1 {
        return (ps[0] == got).then(|| vec![0]);
    }
    let (first, last) = (&ps[0], &ps[ps.len() - 1]);
    if got.len() < first.len() + last.len()
        || got[..first.len()] != first[..]
        || got[got.len() - last.len()..] != last[..]
    {
        return None;
    }
    let mut at = vec![0];
    let mut pos = first.len();
    let end = got.len() - last.len();
    for p in &ps[1..ps.len() - 1] {
        let k = (pos..=end.checked_sub(p.len())?).find(|&k| got[k..k + p.len()] == p[..])?;
        at.push(k);
        pos = k + p.len();
    }
    at.push(end);
    Some(at)
}

/// The output block rewritten from `got`: a line that differs from the documented one only
/// in masked numbers stays as documented; `...` excerpts keep their shape, each part
/// replaced by the printed lines where it fits best. None when a part fits nowhere.
fn rewrite(want: &[String], got: &[String]) -> Option<Vec<String>> {
    // The documented lines, split at `...`.
    let mut raw: Vec<Vec<String>> = vec![Vec::new()];
    for l in want {
        if l.trim() == OMITTED {
            raw.push(Vec::new());
        } else {
            raw.last_mut().unwrap().push(l.clone());
        }
    }
    let keep = |doc: &[String], new: &[String]| -> Vec<String> {
        let mut j = 0;
        new.iter()
            .map(
                |g| match (j..doc.len()).find(|&k| mask(&doc[k]) == mask(g)) {
                    Some(k) => {
                        j = k + 1;
                        doc[k].clone()
                    }
                    None => g.trim_end().to_string(),
                },
            )
            .collect()
    };
    if raw.len() == 1 {
        return Some(keep(&raw[0], got));
    }
    let n = raw.len();
    let mut out: Vec<String> = Vec::new();
    let mut pos = 0;
    for (i, part) in raw.iter().enumerate() {
        if i > 0 {
            out.push(OMITTED.to_string());
        }
        let len = part.len();
        let at = if i == 0 {
            0
        } else if i == n - 1 {
            got.len().checked_sub(len).filter(|&a| a >= pos)?
        } else {
            // The place where most lines agree (masked, then with digits ignored, then by
            // their first word), leftmost on ties.
            let score = |k: usize| -> usize {
                part.iter()
                    .zip(&got[k..k + len])
                    .map(|(d, g)| {
                        let digitless = |s: &str| -> String {
                            mask(s).chars().filter(|c| !c.is_ascii_digit()).collect()
                        };
                        let first = |s: &str| s.split_whitespace().next().map(str::to_string);
                        if mask(d) == mask(g) {
                            4
                        } else if digitless(d) == digitless(g) {
                            2
                        } else if first(d) == first(g) {
                            1
                        } else {
                            0
                        }
                    })
                    .sum()
            };
            let last = got.len().checked_sub(len + raw[n - 1].len())?;
            let best = (pos..=last.max(pos))
                .filter(|&k| k + len <= got.len())
                .max_by_key(|&k| (score(k), std::cmp::Reverse(k)))?;
            if len > 0 && score(best) == 0 {
                return None;
            }
            best
        };
        if at + len > got.len() || at < pos {
            return None;
        }
        out.extend(keep(part, &got[at..at + len]));
        pos = at + len;
    }
    Some(out)
}

/// A line diff of documented against printed (masked), for failure messages.
fn diff(want: &[String], got: &[String]) -> String {
    let (a, b): (Vec<String>, Vec<String>) = (
        want.iter().map(|l| mask(l)).collect(),
        got.iter().map(|l| mask(l)).collect(),
    );
    // Longest common subsequence, then walk it.
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, String::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            out += &format!("    {}\n", want[i]);
            i += 1;
            j += 1;
        } else if j < b.len() && (i == a.len() || lcs[i][j + 1] >= lcs[i + 1][j]) {
            out += &format!("  + {}\n", got[j]);
            j += 1;
        } else {
            out += &format!("  - {}\n", want[i]);
            i += 1;
        }
    }
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

/// The scratch directories: `base/bin/ipamsim` (the binary under test) and one directory
/// per document.
struct Scratch {
    base: PathBuf,
    path: std::ffi::OsString,
}

impl Scratch {
    fn new() -> Scratch {
        let base = std::env::temp_dir().join(format!("ipamsim-docs-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let bin = base.join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_ipamsim"), bin.join("ipamsim")).unwrap();
        let mut dirs = vec![bin];
        dirs.extend(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        ));
        let path = std::env::join_paths(dirs).unwrap();
        Scratch { base, path }
    }

    /// A fresh working directory for `file` holding copies of [`INPUTS`].
    fn dir_for(&self, file: &str) -> PathBuf {
        let d = self.base.join(file.replace(['/', '.'], "-"));
        for input in INPUTS {
            copy_dir(&root().join(input), &d.join(input));
        }
        std::fs::create_dir_all(d.join(".tmp")).unwrap();
        d
    }

    /// Runs a block's script in `dir`, with nothing from the caller's environment but
    /// `PATH` (the binary under test first).
    fn run(&self, dir: &Path, script: &str) -> Output {
        Command::new("bash")
            .args(["-e", "-o", "pipefail", "-c", script])
            .current_dir(dir)
            .env_clear()
            .env("PATH", &self.path)
            .env("HOME", dir)
            .env("TMPDIR", dir.join(".tmp"))
            .env("LC_ALL", "C")
            .stdin(Stdio::null())
            .output()
            .expect("bash runs")
    }
}

/// What running one document's blocks found.
#[derive(Default)]
struct Report {
    compared: usize,
    run_only: usize,
    skipped: Vec<String>,
    cargo_lines: usize,
    failures: Vec<String>,
    /// Output blocks to rewrite in update mode: (block index, new body).
    updates: Vec<(usize, Vec<String>)>,
    slow: Vec<String>,
}

/// Runs every `sh` block of `file` in order in a fresh directory.
fn run_document(scratch: &Scratch, file: &str, update: bool) -> Report {
    let text = read(file);
    let bs = blocks(file, &text);
    let mut r = Report::default();
    let mut dir: Option<PathBuf> = None;
    for (i, b) in bs.iter().enumerate() {
        if b.lang() != "sh" {
            if b.directive.is_some() {
                r.failures.push(format!(
                    "{file}:{}: a doc-test directive before a `{}` block",
                    b.line,
                    b.lang()
                ));
            }
            continue;
        }
        let (script, exit, output, cargo_lines) = match plan(&bs, i) {
            Err(e) => {
                r.failures.push(format!("{file}:{}: {e}", b.line));
                continue;
            }
            Ok(Plan::Skip(reason)) => {
                r.skipped.push(format!("{file}:{}: {reason}", b.line));
                continue;
            }
            Ok(Plan::Run {
                script,
                exit,
                output,
                cargo_lines,
            }) => (script, exit, output, cargo_lines),
        };
        r.cargo_lines += cargo_lines;
        let d = dir.get_or_insert_with(|| scratch.dir_for(file));
        let started = Instant::now();
        let o = scratch.run(d, &script);
        let took = started.elapsed().as_secs_f64();
        if took > 2.0 {
            r.slow.push(format!("{file}:{}: {took:.1} s", b.line));
        }
        let printed = String::from_utf8_lossy(&o.stdout).into_owned();
        let got: Vec<String> = printed.lines().map(str::to_string).collect();
        if o.status.code() != Some(exit) {
            r.failures.push(format!(
                "{file}:{}: exited {:?}, the document says {exit}; it printed:\n{printed}",
                b.line,
                o.status.code()
            ));
            continue;
        }
        let Some(oi) = output else {
            r.run_only += 1;
            continue;
        };
        r.compared += 1;
        let want = &bs[oi].body;
        if place(want, &got).is_some() {
            continue;
        }
        if update {
            match rewrite(want, &got) {
                Some(new) if place(&new, &got).is_some() => r.updates.push((oi, new)),
                _ => r.failures.push(format!(
                    "{file}:{}: the excerpt cannot be updated: its parts are no longer in the output; edit it by hand. It printed:\n{printed}",
                    bs[oi].line
                )),
            }
            continue;
        }
        r.failures.push(format!(
            "{file}:{}: the output shown is not what the block printed (- shown, + printed):\n{}",
            bs[oi].line,
            diff(want, &got)
        ));
    }
    if update && !r.updates.is_empty() {
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        for (oi, new) in r.updates.iter().rev() {
            let b = &bs[*oi];
            let pad = " ".repeat(b.indent);
            let body = new.iter().map(|l| {
                if l.is_empty() {
                    String::new()
                } else {
                    format!("{pad}{l}")
                }
            });
            lines.splice(b.line..b.end - 1, body);
        }
        let mut out = lines.join("\n");
        if text.ends_with('\n') {
            out.push('\n');
        }
        std::fs::write(root().join(file), out).unwrap();
    }
    r
}

#[test]
fn every_shell_block_prints_what_the_docs_show() {
    let update = std::env::var_os(UPDATE).is_some();
    let started = Instant::now();
    let scratch = Scratch::new();
    let files = doc_files();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut reports: Vec<(usize, Report)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        let Some(file) = files.get(i) else { break };
                        done.push((i, run_document(&scratch, file, update)));
                    }
                    done
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("a document's run panicked"))
            .collect()
    });
    reports.sort_by_key(|(i, _)| *i);
    let all = |f: &dyn Fn(&Report) -> usize| reports.iter().map(|(_, r)| f(r)).sum::<usize>();
    let (compared, run_only) = (all(&|r| r.compared), all(&|r| r.run_only));
    let skipped: Vec<&String> = reports.iter().flat_map(|(_, r)| &r.skipped).collect();
    let failures: Vec<&String> = reports.iter().flat_map(|(_, r)| &r.failures).collect();
    let updated = all(&|r| r.updates.len());
    // Written past the test harness's capture: the counts are the point.
    let mut err = std::io::stderr().lock();
    let _ = writeln!(
        err,
        "docs: {compared} sh blocks run and compared, {run_only} run only, {} skipped \
         ({} cargo lines left out) in {:.1} s{}",
        skipped.len(),
        all(&|r| r.cargo_lines),
        started.elapsed().as_secs_f64(),
        if update {
            format!("; {updated} output blocks rewritten ({UPDATE})")
        } else {
            String::new()
        }
    );
    for s in &skipped {
        let _ = writeln!(err, "  skipped {s}");
    }
    for s in reports.iter().flat_map(|(_, r)| &r.slow) {
        let _ = writeln!(err, "  slow {s}");
    }
    drop(err);
    if failures.is_empty() {
        let _ = std::fs::remove_dir_all(&scratch.base);
    }
    assert!(
        failures.is_empty(),
        "{} problem(s) (scratch directories kept in {}; `{UPDATE}=1 cargo test --release --test main docs::` rewrites the outputs):\n\n{}",
        failures.len(),
        scratch.base.display(),
        failures.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n\n")
    );
    assert!(compared >= 40, "only {compared} blocks compared");
}

/// Runs the binary under test with `args`; its stdout.
fn ipamsim(args: &[&str]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_ipamsim"))
        .args(args)
        .output()
        .expect("the binary runs");
    assert!(o.status.success(), "ipamsim {args:?} failed");
    String::from_utf8(o.stdout).expect("UTF-8")
}

/// The subcommands `ipamsim --help` lists, `help` aside.
fn subcommands() -> Vec<String> {
    let help = ipamsim(&["--help"]);
    let list: Vec<String> = help
        .lines()
        .skip_while(|l| *l != "Commands:")
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .filter(|c| c != "help")
        .collect();
    assert!(
        list.len() >= 8,
        "no command list in ipamsim --help:\n{help}"
    );
    list
}

/// The long flags a `--help` text lists under `Options:`, `--help` and `--version` aside.
fn help_flags(help: &str) -> Vec<String> {
    let mut flags: Vec<String> = help
        .lines()
        .map(str::trim)
        .filter(|l| {
            l.starts_with("--") || l.starts_with('-') && l[1..].starts_with(char::is_alphabetic)
        })
        .filter_map(|l| l.split_whitespace().find(|w| w.starts_with("--")))
        .map(|w| w.trim_end_matches(',').to_string())
        .filter(|f| f != "--help" && f != "--version")
        .collect();
    flags.sort();
    flags.dedup();
    flags
}

/// The long flags (`--name`) written in `text`.
fn written_flags(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("--") {
        let tail = &rest[i + 2..];
        let end = tail
            .find(|c: char| !(c.is_ascii_lowercase() || c == '-'))
            .unwrap_or(tail.len());
        if end > 0 && tail.as_bytes()[0].is_ascii_lowercase() {
            out.push(format!("--{}", &tail[..end]));
        }
        rest = &tail[end..];
    }
    out.sort();
    out.dedup();
    out
}

/// docs/commands.md shows `ipamsim --help` and every `ipamsim COMMAND --help` as they are
/// (each an `sh` block with its output, compared line for line here and by
/// `every_shell_block_prints_what_the_docs_show`), lists every command in its first table,
/// and each command's section has a synopsis naming exactly the flags of its `--help` and
/// mentions each of them.
#[test]
fn every_help_text_is_in_commands_md() {
    let file = "docs/commands.md";
    let text = read(file);
    let bs = blocks(file, &text);
    let mut problems = Vec::new();
    let mut invocations = vec![vec!["--help".to_string()]];
    invocations.extend(
        subcommands()
            .into_iter()
            .map(|c| vec![c, "--help".to_string()]),
    );
    for args in &invocations {
        let cmd = format!("ipamsim {}", args.join(" "));
        let help = ipamsim(&args.iter().map(String::as_str).collect::<Vec<_>>());
        let shown = bs.iter().enumerate().find(|(_, b)| {
            b.lang() == "sh"
                && b.body
                    .iter()
                    .map(|l| l.trim())
                    .filter(|l| !l.is_empty())
                    .eq([cmd.as_str()])
        });
        let Some((i, b)) = shown else {
            problems.push(format!(
                "{file} has no ```sh block `{cmd}` (with its output after it)"
            ));
            continue;
        };
        let got: Vec<String> = help.lines().map(str::to_string).collect();
        match bs
            .get(i + 1)
            .filter(|n| n.lang() == "text" && n.follows_block)
        {
            Some(out) if out.body.iter().any(|l| l.trim() == OMITTED) => problems.push(format!(
                "{file}:{}: `{cmd}` is shown in part; show all of it",
                out.line
            )),
            Some(out) if place(&out.body, &got).is_none() => problems.push(format!(
                "{file}:{}: `{cmd}` prints otherwise (- shown, + printed):\n{}",
                out.line,
                diff(&out.body, &got)
            )),
            Some(_) => {}
            None => problems.push(format!("{file}:{}: no ```text block after `{cmd}`", b.line)),
        }
    }
    // Each command: in the table, and its section's synopsis and text name its flags.
    for c in subcommands() {
        if !text.contains(&format!("[`ipamsim {c}")) {
            problems.push(format!(
                "{file}: the command table does not list `ipamsim {c}`"
            ));
        }
        let heading = format!("## {c}\n");
        let Some(start) = text.find(&heading) else {
            problems.push(format!("{file}: no section `## {c}`"));
            continue;
        };
        let section = &text[start + heading.len()..];
        let section = &section[..section.find("\n## ").unwrap_or(section.len())];
        let flags = help_flags(&ipamsim(&[&c, "--help"]));
        let synopsis = section
            .lines()
            .find(|l| l.starts_with(&format!("`ipamsim {c}")))
            .unwrap_or_default();
        if written_flags(synopsis) != flags {
            problems.push(format!(
                "{file}: the synopsis of `{c}` names {:?}; its --help has {flags:?}:\n{synopsis}",
                written_flags(synopsis)
            ));
        }
        let prose: String = {
            let mut in_code = false;
            section
                .lines()
                .filter(|l| {
                    if fence(l).is_some() {
                        in_code = !in_code;
                    }
                    !in_code
                })
                .collect::<Vec<_>>()
                .join("\n")
        };
        for f in &flags {
            if !written_flags(&prose.replace(synopsis, "")).contains(f) {
                problems.push(format!("{file}: the section on `{c}` never explains `{f}`"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

/// `run --help` names every output file `--outputs` accepts, in the command's line and in
/// the flag's.
#[test]
fn run_help_names_every_output_file() {
    let help = ipamsim(&["run", "--help"]);
    let about = help.lines().next().unwrap_or_default();
    // The flag's line and the description lines under it (in a long help).
    let mut lines = help
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("--outputs"));
    let mut flag = lines.next().unwrap_or_default().to_string();
    for l in lines.take_while(|l| !l.trim().is_empty() && !l.trim_start().starts_with('-')) {
        flag.push_str(l);
    }
    for name in ipamsim::scenario::OutputSet::NAMES {
        // every output is a CSV file but metrics.om (OpenMetrics)
        let file = match name {
            "metrics" => "metrics.om".to_string(),
            _ => format!("{name}.csv"),
        };
        assert!(
            about.contains(&file),
            "run's description does not name {file}:\n{about}"
        );
        assert!(
            flag.split(|c: char| !c.is_ascii_alphanumeric())
                .any(|w| w == name),
            "--outputs does not list `{name}`:\n{flag}"
        );
    }
}

/// Every document is in the index of docs/README.md and in README.md's table.
#[test]
fn every_document_is_in_the_indexes() {
    let index = read("docs/README.md");
    let readme = read("README.md");
    let mut missing = Vec::new();
    for file in doc_files()
        .into_iter()
        .filter(|f| f.starts_with("docs/") && f != "docs/README.md")
    {
        let name = &file["docs/".len()..];
        if !links(&index)
            .iter()
            .any(|l| l.split('#').next() == Some(name))
        {
            missing.push(format!("docs/README.md does not link {name}"));
        }
        if !links(&readme)
            .iter()
            .any(|l| l.split('#').next() == Some(file.as_str()))
        {
            missing.push(format!("README.md does not link {file}"));
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

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
    for b in blocks(file, &read(file))
        .iter()
        .filter(|b| b.lang() == "yaml")
    {
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
    let _ = std::fs::remove_dir_all(&dir);
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

/// docs/outputs.md shows three-t3-medium's files as they are: its `summary.json` example is
/// the golden copy byte for byte, and every line of the events.csv and waits.csv examples is
/// a line of the golden file (the golden copy is checked against a fresh run by
/// tests/golden.rs).
#[test]
fn outputs_md_examples_are_three_t3_medium_outputs() {
    let text = read("docs/outputs.md");
    let golden = |f: &str| read(&format!("tests/golden/three-t3-medium/{f}"));
    let bs = blocks("docs/outputs.md", &text);
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

/// A fresh temporary directory for `name`.
fn fresh(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ipamsim-docs-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

fn printed(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The harness itself: masking, excerpts, the update mode's rewriting and the block rules.
#[test]
fn the_harness_compares_strictly_and_rewrites_faithfully() {
    let v = |s: &str| -> Vec<String> { s.lines().map(str::to_string).collect() };
    // Masks: only the wall time and the thread count, and trailing spaces.
    assert_eq!(
        mask("12 runs on 2 threads in 0.04 s wall; out/x  "),
        "12 runs on # threads in # s wall; out/x"
    );
    assert_eq!(
        mask("run:  138 events in 10.50 s wall"),
        "run:  138 events in # s wall"
    );
    assert_eq!(mask("p99 28.996 s, 4 threads"), "p99 28.996 s, 4 threads");
    // Exact comparison, and `...` for lines left out (anchored unless it starts or ends).
    let got = v("a\nb 1\nc\nd\ne\nrun: 5 events in 0.20 s wall");
    assert!(place(&v("a\nb 1\nc\nd\ne\nrun: 5 events in 0.01 s wall"), &got).is_some());
    assert!(place(&v("a\nb 1\nc\nd\ne"), &got).is_none());
    assert!(place(&v("a\nb 2\nc\nd\ne\nrun: 5 events in 0.01 s wall"), &got).is_none());
    assert!(place(&v("a\n...\nd\n..."), &got).is_some());
    assert!(place(&v("...\nc\nd\n...\nrun: 5 events in 9 s wall"), &got).is_some());
    assert!(
        place(&v("b 1\n..."), &got).is_none(),
        "the first part is anchored"
    );
    assert!(
        place(&v("...\nd\n...\nc\n..."), &got).is_none(),
        "parts keep their order"
    );
    assert!(place(&v("a\n...\nx\n..."), &got).is_none());
    // Update: changed lines replaced, lines equal but for masked numbers kept as written.
    let want = v("a\nb 2\nc\nd\ne\nrun: 5 events in 0.01 s wall");
    assert_eq!(
        rewrite(&want, &got),
        Some(v("a\nb 1\nc\nd\ne\nrun: 5 events in 0.01 s wall"))
    );
    // An excerpt keeps its shape: each part where it fits best.
    let got = v("head\ntime to IP: 5 s\nx\ny\nEC2 calls: 7\nz\nrun: in 0.1 s wall");
    assert_eq!(
        rewrite(&v("...\ntime to IP: 4 s\n...\nEC2 calls: 9\n..."), &got),
        Some(v("...\ntime to IP: 5 s\n...\nEC2 calls: 7\n..."))
    );
    assert_eq!(rewrite(&v("...\nnowhere\n..."), &got), None);
    // Block rules: a directive needs a known verb and a reason; an output or run-only.
    let doc = |text: &str| blocks("t.md", text);
    let first_plan = |text: &str| plan(&doc(text), 0);
    assert!(matches!(
        first_plan("<!-- doc-test: skip needs a cluster -->\n\n```sh\nkubectl get nodes\n```\n"),
        Ok(Plan::Skip(r)) if r == "needs a cluster"
    ));
    assert!(first_plan("<!-- doc-test: skip -->\n```sh\nx\n```\n").is_err());
    assert!(first_plan("<!-- doc-test: ignore it -->\n```sh\nx\n```\n").is_err());
    assert!(first_plan("```sh\nipamsim --version\n```\n").is_err());
    assert!(first_plan("```sh\nipamsim --version\n```\n\nSee:\n\n```text\nx\n```\n").is_err());
    assert!(
        first_plan("<!-- doc-test: run-only why -->\n```sh\nx\n```\n```text\ny\n```\n").is_err()
    );
    match first_plan(
        "```sh exit=2\ncargo run --release -- validate x\ncargo test\n```\n```text\n```\n",
    ) {
        Ok(Plan::Run {
            script,
            exit: 2,
            output: Some(1),
            cargo_lines: 1,
        }) => assert_eq!(script, "exec 2>&1\nipamsim validate x\n"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        first_plan("```sh\nUPDATE_GOLDEN=1 cargo test --release\ncargo install --path .\n```\n"),
        Ok(Plan::Skip(_))
    ));
    assert!(
        std::panic::catch_unwind(|| doc("<!-- doc-test: skip x -->\nprose\n```sh\nx\n```\n"))
            .is_err()
    );
}
