//! Runs one scenario: builds the world, drives the engine, writes the outputs.

use crate::engine::{self, EventQueue, RunStats};
use crate::model::record::Recorder;
use crate::model::world::ModelOptions;
use crate::model::World;
use crate::output::csv_files::{CsvRecorder, CsvWriters};
use crate::output::files::{DirError, OutputDir, RESULT_FILES};
use crate::output::summary::Summary;
use crate::scenario::Scenario;
use crate::time::SimTime;
use std::io;
use std::path::Path;

/// Simulates `scenario` into `recorder`; `progress` sees the simulated time now and then
/// (returning `false` stops the run). The pods alive at the end are recorded then.
pub fn simulate<R: Recorder>(
    scenario: Scenario,
    recorder: R,
    progress: &mut dyn FnMut(SimTime) -> bool,
) -> (World<R>, RunStats) {
    simulate_with(scenario, recorder, progress, ModelOptions::default())
}

/// [`simulate`] with explicit model options (the eager loop, for equivalence tests).
pub fn simulate_with<R: Recorder>(
    scenario: Scenario,
    recorder: R,
    progress: &mut dyn FnMut(SimTime) -> bool,
    options: ModelOptions,
) -> (World<R>, RunStats) {
    let mut queue = EventQueue::new();
    let end = SimTime(scenario.duration.micros());
    let interval = scenario.sample_interval;
    let mut world = World::with_options(scenario, recorder, &mut queue, options);
    let stats = engine::run(&mut world, &mut queue, end, interval, progress);
    world.record_pods(end);
    (world, stats)
}

/// Runs a scenario writing no files, for its summary; `None` if cancelled.
pub fn summary_only(
    scenario: Scenario,
    sha256: &str,
    progress: &mut dyn FnMut(SimTime) -> bool,
) -> Option<Summary> {
    let (world, stats) = simulate(scenario, CsvRecorder::sink(), progress);
    (!stats.cancelled).then(|| Summary::from_world(&world, &stats, sha256))
}

/// Why a run into a directory did not finish.
#[derive(Debug)]
pub enum RunError {
    /// The output directory cannot be used (exit 2).
    Dir(DirError),
    /// Writing an output file failed (exit 1).
    Io(io::Error),
    /// The progress callback stopped the run (Ctrl-C); nothing was kept.
    Cancelled,
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Dir(e) => write!(f, "{e}"),
            RunError::Io(e) => write!(f, "writing outputs failed: {e}"),
            RunError::Cancelled => f.write_str("interrupted: no output was kept"),
        }
    }
}

impl From<io::Error> for RunError {
    fn from(e: io::Error) -> Self {
        RunError::Io(e)
    }
}

/// Runs `scenario` and writes the CSV files it chooses (`outputs`: by default
/// `timeline.csv`, `nodes.csv`, `pods.csv`, `subnets.csv`, `events.csv`, `waits.csv`, and
/// with Calico `blocks.csv`) and
/// `summary.json` into `out`; a result file it does not write is removed. The files appear only if everything
/// succeeded; `sha256` names the scenario file's bytes in `summary.json`.
pub fn run_to_dir(
    scenario: Scenario,
    out: &Path,
    sha256: &str,
    progress: &mut dyn FnMut(SimTime) -> bool,
) -> Result<(Summary, RunStats), RunError> {
    let mut dir = OutputDir::open(out).map_err(RunError::Dir)?;
    let chosen = scenario.outputs;
    let mut open = |on: bool, name| on.then(|| dir.create(name)).transpose();
    let writers = CsvWriters {
        timeline: open(chosen.timeline, "timeline.csv")?,
        nodes: open(chosen.nodes, "nodes.csv")?,
        pods: open(chosen.pods, "pods.csv")?,
        subnets: open(chosen.subnets, "subnets.csv")?,
        events: open(chosen.events, "events.csv")?,
        waits: open(chosen.waits, "waits.csv")?,
    };
    let mut recorder = CsvRecorder::new(writers)?;
    if chosen.blocks && scenario.ipam.calico() {
        recorder = recorder.with_blocks(dir.create("blocks.csv")?)?;
    }
    let end = SimTime(scenario.duration.micros());
    let (world, stats) = simulate(scenario, recorder, progress);
    if stats.cancelled {
        return Err(RunError::Cancelled);
    }
    let summary = Summary::from_world(&world, &stats, sha256);
    let World { recorder, .. } = world;
    recorder.finish()?;
    dir.write("summary.json", summary.to_json().as_bytes())?;
    // One last call right before anything is kept: a stop asked for now still discards
    // the run (dropping `dir` removes its temporary files).
    if !progress(end) {
        return Err(RunError::Cancelled);
    }
    dir.commit(&RESULT_FILES)?;
    Ok((summary, stats))
}
