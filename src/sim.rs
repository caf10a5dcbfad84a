//! Runs one scenario: builds the world, drives the engine, writes the outputs.

use crate::engine::{self, EventQueue, RunStats};
use crate::model::World;
use crate::output::files::OutputDir;
use crate::output::recorder::{CsvRecorder, Recorder};
use crate::output::summary::{write_pods_csv, Summary};
use crate::scenario::Scenario;
use crate::time::SimTime;
use std::io::Write;
use std::path::Path;

/// Simulates `scenario` into `recorder`; `progress` sees the simulated time now and then.
pub fn simulate<R: Recorder>(
    scenario: Scenario,
    recorder: R,
    progress: &mut dyn FnMut(SimTime),
) -> (World<R>, RunStats) {
    let mut queue = EventQueue::new();
    let end = SimTime(scenario.duration.micros());
    let interval = scenario.sample_interval;
    let mut world = World::new(scenario, recorder, &mut queue);
    let stats = engine::run(&mut world, &mut queue, end, interval, progress);
    (world, stats)
}

/// Runs `scenario` and writes `timeline.csv`, `nodes.csv`, `pods.csv` and `events.csv` into
/// `out`. The files appear only if everything succeeded.
pub fn run_to_dir(
    scenario: Scenario,
    out: &Path,
    progress: &mut dyn FnMut(SimTime),
) -> std::io::Result<(Summary, RunStats)> {
    let dir = OutputDir::create(out)?;
    let result = write_run(scenario, dir, progress);
    match result {
        Ok(r) => {
            OutputDir::commit(out)?;
            Ok(r)
        }
        Err(e) => {
            OutputDir::discard(out);
            Err(e)
        }
    }
}

fn write_run(
    scenario: Scenario,
    dir: OutputDir,
    progress: &mut dyn FnMut(SimTime),
) -> std::io::Result<(Summary, RunStats)> {
    let mut writers = dir.writers.into_iter();
    let timeline = writers.next().expect("4 writers");
    let nodes = writers.next().expect("4 writers");
    let mut pods = writers.next().expect("4 writers");
    let events = writers.next().expect("4 writers");
    let recorder = CsvRecorder::new(timeline, nodes, events)?;
    let (world, stats) = simulate(scenario, recorder, progress);
    let summary = Summary::from_world(&world, &stats);
    write_pods_csv(&world, &mut pods)?;
    pods.flush()?;
    let World { recorder, .. } = world;
    recorder.finish()?;
    Ok((summary, stats))
}

/// Scenario builders for unit tests (no YAML).
#[cfg(test)]
pub(crate) mod testkit {
    use crate::catalog;
    use crate::scenario::*;
    use crate::time::{SimDuration, SimTime};

    /// One nodegroup of `count` × `itype` in a /20, and one workload with `steps` (s, replicas).
    pub fn cluster(itype: &str, count: u32, steps: &[(u64, u32)], duration_s: u64) -> Scenario {
        let it = catalog::lookup(itype).unwrap().clone();
        Scenario {
            name: "t".into(),
            seed: 1,
            duration: SimDuration::from_secs(duration_s),
            sample_interval: SimDuration::from_secs(1),
            cni: CniConfig::default(),
            subnets: vec![SubnetSpec {
                name: "a".into(),
                cidr: Ipv4Cidr {
                    base: u32::from_be_bytes([10, 0, 0, 0]),
                    prefix_len: 20,
                },
            }],
            nodegroups: vec![NodeGroupSpec {
                name: "ng".into(),
                max_pods: it.default_max_pods(),
                instance_type: it,
                count,
                subnet: 0,
            }],
            daemonsets: vec![],
            workloads: vec![WorkloadSpec {
                name: "web".into(),
                host_network: false,
                steps: steps
                    .iter()
                    .map(|&(s, r)| (SimTime(s * 1_000_000), r))
                    .collect(),
            }],
            ec2: Ec2Config::default(),
            kubelet: KubeletConfig::default(),
            ipamd: IpamdConfig {
                placement: Placement::Canonical,
                ..IpamdConfig::default()
            },
            scheduler: SchedulerConfig::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testkit::cluster;
    use super::*;
    use crate::output::recorder::MemoryRecorder;

    #[test]
    fn smoke_default_m5_large() {
        let sc = cluster("m5.large", 1, &[(30, 5)], 120);
        let (world, _) = simulate(sc, MemoryRecorder::default(), &mut |_| {});
        let last = world.totals.last_row;
        // 5 pods: A = 9 - 5 = 4 < 9 -> a second ENI with 9: 2 ENIs, 18 IPs
        assert_eq!((last.enis, last.ips_total, last.pods_running), (2, 18, 5));
    }
}
