//! Messages say what is wrong, where, and echo user text escaped (review classes N8, N10).
use crate::common;
use common::{fresh_dir, ipamsim};
use std::process::Output;

const SCENARIO: &str = "scenarios/three-t3-medium.yaml";
/// An argument with an ANSI colour sequence and a newline in it.
const NASTY: &str = "x\u{1b}[31m\ny";
/// How [`NASTY`] is echoed.
const SHOWN: &str = "x\\u{1b}[31m\\ny";

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn fails_with(args: &[&str], expected: &str) {
    let o = ipamsim(args);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
    assert_eq!(stderr(&o), expected, "{args:?}");
}

#[test]
fn slo_time_targets_are_range_checked_and_whole_milliseconds() {
    let out = fresh_dir("messages", "slo");
    let out = out.to_str().unwrap();
    let why = "p99_time_to_ip takes a duration such as 10s, 250ms or 1m30s, or seconds as a number";
    for (target, problem) in [
        (
            "1e300",
            "is longer than 31 days (2678400 s), the longest run",
        ),
        (
            "745h",
            "is longer than 31 days (2678400 s), the longest run",
        ),
        (
            "0.0001ms",
            "is not a whole number of milliseconds (the figures' resolution)",
        ),
        (
            "1.5ms",
            "is not a whole number of milliseconds (the figures' resolution)",
        ),
        (
            "0.0005",
            "is not a whole number of milliseconds (the figures' resolution)",
        ),
    ] {
        let slo = format!("p99_time_to_ip<={target}");
        fails_with(
            &["run", SCENARIO, "--out", out, "--slo", &slo],
            &format!("error: --slo {slo}: {why}: \"{target}\" {problem}\n"),
        );
    }
    fails_with(
        &[
            "run",
            SCENARIO,
            "--out",
            out,
            "--slo",
            "ec2_calls<=9007199254740993",
        ],
        "error: --slo ec2_calls<=9007199254740993: ec2_calls takes a whole number from 0 to \
         9007199254740992, not \"9007199254740993\"\n",
    );
}

#[test]
fn a_provisioner_that_is_not_text_says_what_is_allowed() {
    let dir = fresh_dir("messages", "provisioner");
    let file = dir.join("p.yaml");
    std::fs::write(
        &file,
        "name: p\nduration: 10s\nsubnets:\n  - {name: a, cidr: 10.0.0.0/24}\nnodegroups:\n  \
         - name: g\n    instance_type: t3.medium\n    count: 0\n    subnet: a\n    \
         autoscaling:\n      provisioner: {}\n      max: 1\n",
    )
    .unwrap();
    let f = file.to_str().unwrap();
    fails_with(
        &["validate", f],
        &format!(
            "{f}:11:7: nodegroups[0].autoscaling.provisioner: expected one of \
             cluster-autoscaler, karpenter (as text); found a mapping\n{f}: 1 problem found\n"
        ),
    );
}

#[test]
fn a_missing_key_and_a_document_that_is_not_a_mapping_are_located() {
    let dir = fresh_dir("messages", "located");
    let file = dir.join("q.yaml");
    let f = file.to_str().unwrap();
    std::fs::write(&file, "name: x\n").unwrap();
    fails_with(
        &["validate", f],
        &format!(
            "{f}:1:1: duration: required key is missing; expected a duration like 250ms, 30s, \
             10m or 1h\n{f}: 1 problem found\n"
        ),
    );
    std::fs::write(&file, "- 1\n").unwrap();
    let o = ipamsim(&["validate", f]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).starts_with(&format!("{f}:1:1: expected a mapping with keys name, ")),
        "{}",
        stderr(&o)
    );
}

#[test]
fn merge_names_the_columns_when_the_version_is_the_same() {
    let dir = fresh_dir("messages", "merge");
    let part = dir.join("part");
    let o = ipamsim(&[
        "compare",
        SCENARIO,
        "--set",
        "WARM_IP_TARGET=0,2",
        "--shard",
        "1/1",
        "-q",
        "--out",
        part.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let file = part.join("shard.json");
    // A part of this version whose columns differ (a build with another column set).
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let first = json["columns"][0].as_str().unwrap().to_string();
    json["columns"][0] = "renamed".into();
    std::fs::write(&file, json.to_string()).unwrap();
    let o = ipamsim(&[
        "merge",
        "--out",
        dir.join("m").to_str().unwrap(),
        part.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(
        stderr(&o),
        format!(
            "error: {}: its columns differ from this version's (missing \"{first}\"; extra \
             \"renamed\"); the part was written by a different build of ipamsim {version}: \
             merge parts with the build that wrote them\nerror: 1 problem with the parts; \
             nothing was merged\n",
            part.display()
        )
    );
}

/// Runs `args` and checks that stderr has no raw ESC and exactly `expected`.
fn escaped(args: &[&str], expected: &str) {
    let o = ipamsim(args);
    let err = stderr(&o);
    assert!(!err.contains('\u{1b}'), "{args:?}: raw ESC in {err:?}");
    assert_eq!(err, expected, "{args:?}");
}

#[test]
fn arguments_are_echoed_escaped() {
    let out = fresh_dir("messages", "escaped");
    let o = out.to_str().unwrap();
    escaped(
        &["report", NASTY],
        &format!("error: {SHOWN}: no such directory\n"),
    );
    escaped(
        &["explain", NASTY],
        &format!(
            "error: {SHOWN}: no such directory; give the output directory of \
             `ipamsim run --out DIR`\n"
        ),
    );
    escaped(
        &["merge", "--out", o, NASTY],
        &format!(
            "error: {SHOWN}: cannot read: No such file or directory (os error 2)\n\
             error: 1 problem with the parts; nothing was merged\n"
        ),
    );
    let capacity = ipamsim(&["capacity", "-t", NASTY]);
    let err = stderr(&capacity);
    assert!(!err.contains('\u{1b}'), "{err:?}");
    assert!(
        err.starts_with(&format!("error: unknown instance type \"{SHOWN}\"")),
        "{err:?}"
    );
    assert_eq!(err.lines().count(), 1, "{err:?}");
    escaped(
        &["validate", NASTY],
        &format!(
            "{SHOWN}: cannot read file: No such file or directory\n{SHOWN}: 1 problem found\n"
        ),
    );
    escaped(
        &["compare", SCENARIO, "--out", o, "--set", NASTY],
        &format!("error: --set {SHOWN}: expected KEY=v1,v2,... such as WARM_IP_TARGET=0,2,5\n"),
    );
    escaped(
        &[
            "compare",
            SCENARIO,
            "--out",
            o,
            "--set",
            "WARM_IP_TARGET=1,2",
            "--slo",
            NASTY,
        ],
        &format!(
            "error: --slo {SHOWN}: \"{SHOWN}\" has no <= or >=; expected METRIC<=VALUE or \
             METRIC>=VALUE, e.g. p99_time_to_ip<=10s\n"
        ),
    );
    let set = format!("WARM_IP_TARGET=2{NASTY}");
    escaped(
        &["compare", SCENARIO, "--out", o, "--set", &set],
        &format!(
            "error: --set WARM_IP_TARGET=2{SHOWN}: WARM_IP_TARGET: \"2{SHOWN}\" is not an \
             integer\n"
        ),
    );
}

/// `plan` on an invalid scenario ends its problems with the same closing line as `run`:
/// `FILE: 1 problem found; nothing was run` (it once lacked the `; `).
#[test]
fn plan_closes_an_invalid_scenario_like_run() {
    let dir = fresh_dir("messages", "plan-invalid");
    let sc = dir.join("bad.yaml");
    std::fs::write(&sc, "duration: 1m\nsubnets: [{name: a}]\n").unwrap();
    let p = sc.to_str().unwrap();
    let o = ipamsim(&["plan", p, "--find", "max", "WARM_IP_TARGET"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(
        err.ends_with("bad.yaml: 1 problem found; nothing was run\n"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
