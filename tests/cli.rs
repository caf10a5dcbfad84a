//! The binary's contract: exit codes, located messages, nothing half-written.
use crate::common;
use common::{fresh_dir, ipamsim};
use std::path::Path;
use std::process::Output;

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn every_shipped_scenario_validates() {
    for entry in std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")).unwrap()
    {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            let o = ipamsim(&["validate", path.to_str().unwrap()]);
            assert_eq!(
                o.status.code(),
                Some(0),
                "{}: {}",
                path.display(),
                stderr(&o)
            );
        }
    }
}

#[test]
fn run_writes_the_four_files_with_the_contract_headers() {
    let out = fresh_dir("cli", "run");
    let o = ipamsim(&[
        "run",
        "scenarios/three-t3-medium.yaml",
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(o.stdout.is_empty(), "--quiet prints nothing");
    let header = |f: &str| {
        std::fs::read_to_string(out.join(f))
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .to_string()
    };
    assert_eq!(header("timeline.csv"), "time_s,nodes,pods_total,pods_running,pods_unschedulable,pods_waiting_ip,enis,ips_total,ips_assigned,ips_cooldown,ips_available,prefixes,subnet_free_ips,ec2_calls,ec2_throttled");
    assert_eq!(header("nodes.csv"), "time_s,node,nodegroup,instance_type,ready,enis,ips_total,ips_assigned,ips_cooldown,ips_available,prefixes,pods");
    assert_eq!(header("pods.csv"), "pod,workload,node,host_network,created_s,scheduled_s,ip_assigned_s,deleted_s,ip,final_state");
    // the contract's four columns first, then the typed ones (README: events.csv)
    assert_eq!(
        header("events.csv"),
        "time_s,node,kind,detail,nodegroup,pod,cause,eni,action,count,subnet,until_s,network_card"
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["scenario"], "three-t3-medium");
    // 10 min at 1 s: samples at 0..=600 -> 601 rows + header
    let rows = std::fs::read_to_string(out.join("timeline.csv"))
        .unwrap()
        .lines()
        .count();
    assert_eq!(rows, 602);
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .filter_map(|e| {
            let n = e.unwrap().file_name().into_string().unwrap();
            n.starts_with('.').then_some(n)
        })
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn run_prints_a_summary() {
    let out = fresh_dir("cli", "summary");
    let o = ipamsim(&[
        "run",
        "scenarios/three-t3-medium.yaml",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0));
    let s = String::from_utf8_lossy(&o.stdout);
    // 3 nodes × 2 DaemonSet pods + 2 coredns + 50 nginx = 58 pods; 45 + 2 + 6 slots... see README
    for phrase in [
        "pods at end:",
        "time to IP:",
        "peak waiting:",
        "idle IPs:",
        "EC2 calls:",
    ] {
        assert!(s.contains(phrase), "summary lacks {phrase:?}:\n{s}");
    }
}

const BAD: &str = "duration: 10m
subnets:
  - name: a
    cidr: 10.0.0.0/24
nodegroups:
  - name: ng
    instance_type: m5.huge
    count: 2
    subnet: a
workloads:
  - name: web
    replicas: 5
    colour: blue
";

#[test]
fn invalid_scenario_exits_2_with_every_problem_located_and_writes_nothing() {
    let dir = fresh_dir("cli", "bad");
    let file = dir.join("bad.yaml");
    std::fs::write(&file, BAD).unwrap();
    let out = dir.join("out");
    let o = ipamsim(&[
        "run",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("bad.yaml:"), "{e}");
    assert!(e.contains("nodegroups[0].instance_type"), "{e}");
    assert!(e.contains("m5.large"), "suggests a near name: {e}");
    assert!(e.contains("colour"), "{e}");
    assert!(
        !out.exists() || std::fs::read_dir(&out).unwrap().next().is_none(),
        "nothing written"
    );
    let v = ipamsim(&["validate", file.to_str().unwrap()]);
    assert_eq!(v.status.code(), Some(2));
}

#[test]
fn yaml_syntax_error_gives_line_and_column() {
    let dir = fresh_dir("cli", "syntax");
    let file = dir.join("broken.yaml");
    std::fs::write(&file, "duration: 10m\nnodegroups:\n  - name: [unclosed\n").unwrap();
    let o = ipamsim(&["validate", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    // file:line:col:
    let located = e.lines().any(|l| {
        let rest = l.split("broken.yaml:").nth(1).unwrap_or("");
        let mut parts = rest.split(':');
        parts
            .next()
            .is_some_and(|p| p.trim().parse::<u32>().is_ok())
            && parts
                .next()
                .is_some_and(|p| p.trim().parse::<u32>().is_ok())
    });
    assert!(located, "{e}");
}

#[test]
fn missing_scenario_file_exits_2() {
    let o = ipamsim(&["validate", "no/such/file.yaml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no/such/file.yaml"));
}

#[test]
fn unwritable_output_exits_2_before_running() {
    let dir = fresh_dir("cli", "unwritable");
    let blocker = dir.join("a-file");
    std::fs::write(&blocker, "x").unwrap();
    let out = blocker.join("out");
    let o = ipamsim(&[
        "run",
        "scenarios/three-t3-medium.yaml",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    // a file where a parent directory should be: named, one line
    assert_eq!(
        stderr(&o),
        format!(
            "error: --out {}: {} is a file; give a directory (it is created if missing)\n",
            out.display(),
            blocker.display()
        )
    );
}

#[test]
fn bad_flags_exit_2_and_help_explains_flags() {
    assert_eq!(
        ipamsim(&["run", "scenarios/three-t3-medium.yaml"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        ipamsim(&["run", "x.yaml", "--out", "o", "--seed", "minus-one"])
            .status
            .code(),
        Some(2)
    );
    let help = ipamsim(&["run", "--help"]);
    let text = String::from_utf8_lossy(&help.stdout);
    for flag in ["--out", "--seed", "--quiet"] {
        assert!(text.contains(flag), "{text}");
    }
}

/// A second run into a directory another run is writing fails at once (exit 2, naming the
/// directory), and the first run's result is not disturbed.
#[test]
fn a_second_run_into_a_locked_directory_fails_at_once() {
    use std::io::{BufRead, BufReader};
    let out = fresh_dir("cli", "lock");
    let mut first = std::process::Command::new(env!("CARGO_BIN_EXE_ipamsim"))
        .args([
            "run",
            "scenarios/three-t3-medium.yaml",
            "-q",
            "--out",
            out.to_str().unwrap(),
        ])
        .env("IPAMSIM_TEST_HOLD", "run-end")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(first.stderr.take().unwrap());
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    assert!(line.contains("holding at run-end"), "{line}");
    // the first run holds the directory's lock while it waits
    let second = ipamsim(&[
        "run",
        "scenarios/three-t3-medium.yaml",
        "-q",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(second.status.code(), Some(2));
    let e = stderr(&second);
    assert!(
        e.contains("in use by another ipamsim run") && e.contains(out.to_str().unwrap()),
        "{e}"
    );
    std::process::Command::new("kill")
        .args(["-INT", &first.id().to_string()])
        .status()
        .unwrap();
    assert_eq!(first.wait().unwrap().code(), Some(130));
    // neither left anything behind
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 0);
}

/// N9: an empty `--outputs` entry is an error (exit 2, nothing run), and `--help` or
/// `--version` that cannot be written (a full disk) is exit 1, not a silent 0.
#[test]
fn empty_outputs_and_unwritable_help_are_failures() {
    for list in ["", ",,pods", "pods,"] {
        let out = fresh_dir("cli", "empty-outputs");
        let o = ipamsim(&[
            "run",
            "scenarios/three-t3-medium.yaml",
            "--out",
            out.to_str().unwrap(),
            "--outputs",
            list,
        ]);
        assert_eq!(o.status.code(), Some(2), "--outputs {list:?}");
        assert!(String::from_utf8_lossy(&o.stderr).contains("an empty output name"));
        assert!(!out.join("summary.json").exists());
    }
    if std::path::Path::new("/dev/full").exists() {
        for flag in ["--help", "--version"] {
            let full = std::fs::OpenOptions::new()
                .write(true)
                .open("/dev/full")
                .unwrap();
            let o = std::process::Command::new(env!("CARGO_BIN_EXE_ipamsim"))
                .arg(flag)
                .stdout(full)
                .output()
                .unwrap();
            assert_eq!(o.status.code(), Some(1), "{flag}");
            assert!(String::from_utf8_lossy(&o.stderr).contains("No space left"));
        }
    }
}
