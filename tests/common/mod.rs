//! Shared helpers for integration tests: run a YAML scenario in memory.
#![allow(dead_code)]

pub mod prop;

use ipamsim::engine::RunStats;
use ipamsim::model::record::{MemoryRecorder, OwnedEvent};
use ipamsim::model::World;
use ipamsim::scenario;
use ipamsim::sim::simulate;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs the `ipamsim` binary with `args` from the crate root.
pub fn ipamsim(args: &[&str]) -> Output {
    ipamsim_in(Path::new(env!("CARGO_MANIFEST_DIR")), args)
}

/// Runs the `ipamsim` binary with `args` from `dir`.
pub fn ipamsim_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ipamsim"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("binary runs")
}

/// An empty directory `ipamsim-<tag>-<pid>-<name>` in the system temp dir.
pub fn fresh_dir(tag: &str, name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ipamsim-{tag}-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

/// Parses and runs `yaml`; panics with the diagnostics if it is invalid.
pub fn run_yaml(yaml: &str) -> (World<MemoryRecorder>, RunStats) {
    let sc = scenario::parse(yaml, "test.yaml")
        .unwrap_or_else(|e| panic!("invalid test scenario:\n{e}"));
    simulate(sc, MemoryRecorder::default(), &mut |_| true)
}

/// `(ENIs, IPs held, IPs assigned)` of node `i` at the end of the run.
pub fn node_pool(world: &World<MemoryRecorder>, i: usize) -> (u32, u32, u32) {
    let n = &world.node(i);
    let now = ipamsim::time::SimTime(world.scenario().duration.micros());
    let s = n.ds.stats(now);
    (n.ds.enis().len() as u32, s.total, s.assigned)
}

/// Times (s) of events of `kind` on any node.
pub fn event_times(world: &World<MemoryRecorder>, kind: &str) -> Vec<f64> {
    world
        .recorder()
        .of_kind(kind)
        .map(OwnedEvent::secs)
        .collect()
}

/// Events whose kind is `kind`, typed.
pub fn events_of<'a>(world: &'a World<MemoryRecorder>, kind: &'a str) -> Vec<&'a OwnedEvent> {
    world.recorder().of_kind(kind).collect()
}

/// A one-node scenario: `itype`, the `cni:` lines given, `pods` replicas created at 10 s,
/// canonical placement, run for `duration`.
pub fn one_node(itype: &str, cni: &str, pods: u32, duration: &str) -> String {
    format!(
        "duration: {duration}
cni:
{cni}
ipamd:
  placement: canonical
subnets:
  - name: a
    cidr: 10.0.0.0/20
nodegroups:
  - name: ng
    instance_type: {itype}
    count: 1
    subnet: a
workloads:
  - name: web
    at: 10s
    replicas: {pods}
"
    )
}

/// One m5.large whose aws-node restarts at 60 s (canonical placement), and 3 pods created
/// then: they are bound during the restart (tests/waits.rs, tests/explain.rs).
pub const RESTART_AT_60S: &str = "duration: 3m
ipamd:
  placement: canonical
subnets:
  - name: a
    cidr: 10.0.0.0/20
nodegroups:
  - name: ng
    instance_type: m5.large
    count: 1
    subnet: a
faults:
  aws_node_restarts:
    - at: 60s
      node: ng-1
workloads:
  - name: web
    at: 60s
    replicas: 3
";
