//! Tests of the YAML reader: scalar resolution, positions, aliases, merges and limits.

use super::*;

fn one(text: &str) -> Node {
    let p = parse_documents(text, 0);
    assert!(p.problems.is_empty(), "{:?}", p.problems);
    p.documents
        .into_iter()
        .next()
        .unwrap_or_else(|| unreachable!())
}

fn at(line: u32, col: u32) -> Mark {
    Mark {
        origin: 0,
        line,
        col,
    }
}

#[test]
fn scalars_resolve_as_serde_yaml_did() {
    assert_eq!(resolve_plain("~"), Kind::Null);
    assert_eq!(resolve_plain("True"), Kind::Bool(true));
    assert_eq!(resolve_plain("yes"), Kind::Str("yes".into()));
    assert_eq!(resolve_plain("-12"), Kind::Int(-12));
    assert_eq!(resolve_plain("+4"), Kind::Int(4));
    assert_eq!(resolve_plain("0x1F"), Kind::Int(31));
    assert_eq!(resolve_plain("0o17"), Kind::Int(15));
    assert_eq!(resolve_plain("0b101"), Kind::Int(5));
    assert_eq!(resolve_plain("0123"), Kind::Str("0123".into()));
    assert_eq!(resolve_plain("2.0"), Kind::Float(2.0, "2.0".into()));
    assert_eq!(resolve_plain("1e3"), Kind::Float(1000.0, "1e3".into()));
    assert_eq!(resolve_plain("inf"), Kind::Str("inf".into()));
    assert_eq!(resolve_plain("1e400"), Kind::Str("1e400".into()));
    assert!(matches!(resolve_plain(".inf"), Kind::Float(f, _) if f == f64::INFINITY));
    // 2^127 does not fit i128: a float, as written.
    let big = "170141183460469231731687303715884105728";
    assert!(matches!(resolve_plain(big), Kind::Float(_, t) if t == big));
    assert_eq!(resolve_plain("5 minutes"), Kind::Str("5 minutes".into()));
}

#[test]
fn keys_values_and_dashes_have_positions() {
    let root = one("a: 1\nlist:\n  - x\n  -\n    k: v\n  - # c\n    k: w\nflow: [p, {q: r}]\n");
    let (k, v) = root.entry("a").unwrap_or_else(|| unreachable!());
    assert_eq!((k.mark, v.mark), (at(1, 1), at(1, 4)));
    let Kind::Seq(items) = &root.get("list").unwrap_or_else(|| unreachable!()).kind else {
        unreachable!()
    };
    let dashes: Vec<Option<Mark>> = items.iter().map(|i| i.dash).collect();
    assert_eq!(dashes, [Some(at(3, 3)), Some(at(4, 3)), Some(at(6, 3))]);
    assert_eq!(items[1].mark, at(5, 5));
    let Kind::Seq(flow) = &root.get("flow").unwrap_or_else(|| unreachable!()).kind else {
        unreachable!()
    };
    assert_eq!((flow[0].mark, flow[0].dash), (at(8, 8), None));
    assert_eq!(flow[1].get("q").map(|n| n.mark), Some(at(8, 15)));
}

#[test]
fn aliases_and_merges_expand() {
    let root = one("base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\n");
    let m = root.get("m").unwrap_or_else(|| unreachable!());
    assert_eq!(m.get("x").map(|n| &n.kind), Some(&Kind::Int(1)));
    assert_eq!(m.get("y").map(|n| &n.kind), Some(&Kind::Int(3)));
    // The merged `x` keeps the position where it is written, in the anchor.
    assert_eq!(m.entry("x").map(|(k, _)| k.mark), Some(at(1, 11)));
}

#[test]
fn problems_are_located() {
    let p = parse_documents("a: 1\nb: 2\na: 3\n", 0);
    assert_eq!(p.problems.len(), 1);
    assert_eq!(p.problems[0].mark, at(3, 1));
    assert!(p.problems[0].message.contains("duplicate key \"a\""));
    let p = parse_documents("a: [1\n", 0);
    assert!(p.fatal && p.problems[0].message.starts_with("cannot parse YAML"));
    // Flow nesting: saphyr's scanner stops at 255 levels, before the tree does.
    let deep = format!("a: {}", "[".repeat(10_000));
    let p = parse_documents(&deep, 0);
    assert!(p.fatal);
    assert_eq!(p.problems[0].mark.line, 1);
    assert!(p.problems[0].message.contains("at most 64 levels"));
    // Block nesting: the 65th level is refused where it starts (column 2 × 64 + 1).
    let deep = "- ".repeat(10_000) + "x";
    let p = parse_documents(&deep, 0);
    assert!(p.fatal);
    assert_eq!(p.problems[0].mark, at(1, 129));
    assert!(p.problems[0].message.contains("more than 64 levels"));
    let laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n";
    let p = parse_documents(laughs, 0);
    assert!(
        p.fatal
            && p.problems[0]
                .message
                .contains("more than 1000000 YAML values")
    );
    // 11, 111, 1,111, … nodes: `f` (line 6) would be 1,111,111.
    assert_eq!(p.problems[0].mark.line, 6);
    let p = parse_documents("a: !custom 1\nb: !!int x\n", 0);
    assert_eq!(p.problems.len(), 2, "{:?}", p.problems);
    assert_eq!(p.problems[0].mark, at(1, 4));
    assert_eq!(p.problems[1].mark, at(2, 4));
}

#[test]
fn documents_are_counted() {
    let p = parse_documents("a: 1\n---\nb: 2\n", 0);
    assert_eq!(p.documents.len(), 2);
    assert_eq!(p.document_starts, [at(2, 1)]);
    assert!(parse_documents("", 0).documents.is_empty());
    assert!(parse_documents("# only a comment\n", 0)
        .documents
        .is_empty());
}
