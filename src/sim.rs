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
    progress: &mut dyn FnMut(SimTime) -> bool,
) -> (World<R>, RunStats) {
    let mut queue = EventQueue::new();
    let end = SimTime(scenario.duration.micros());
    let interval = scenario.sample_interval;
    let mut world = World::new(scenario, recorder, &mut queue);
    let stats = engine::run(&mut world, &mut queue, end, interval, progress);
    (world, stats)
}

/// Runs `scenario` and writes `timeline.csv`, `nodes.csv`, `pods.csv`, `subnets.csv` and
/// `events.csv` into `out`. The files appear only if everything succeeded.
pub fn run_to_dir(
    scenario: Scenario,
    out: &Path,
    progress: &mut dyn FnMut(SimTime) -> bool,
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
    progress: &mut dyn FnMut(SimTime) -> bool,
) -> std::io::Result<(Summary, RunStats)> {
    let mut writers = dir.writers.into_iter();
    let mut next = || writers.next().expect("one writer per output file");
    let (timeline, nodes, mut pods, subnets, events) = (next(), next(), next(), next(), next());
    let recorder = CsvRecorder::new(timeline, nodes, subnets, events)?;
    let (world, stats) = simulate(scenario, recorder, progress);
    let summary = Summary::from_world(&world, &stats);
    write_pods_csv(&world, &mut pods)?;
    pods.flush()?;
    let World { recorder, .. } = world;
    recorder.finish()?;
    Ok((summary, stats))
}
