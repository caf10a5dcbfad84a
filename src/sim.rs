//! Runs one scenario: builds the world, drives the engine, writes the outputs.

use crate::engine::{self, EventQueue, RunStats};
use crate::model::record::Recorder;
use crate::model::world::ModelOptions;
use crate::model::World;
use crate::output::csv_files::{CsvRecorder, CsvWriters};
use crate::output::files::{DirError, OutputDir, RESULT_FILES};
use crate::output::openmetrics::UnixMillis;
use crate::output::summary::Summary;
use crate::output::writer_thread::ThreadedRecorder;
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
    simulate_with(scenario, recorder, progress, ModelOptions::from_env())
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
    run_to_dir_with(scenario, out, sha256, progress, Writers::from_env())
}

/// Where the CSV rows are formatted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Writers {
    /// On the simulation thread, as each record is made.
    Inline,
    /// On a second thread, sent there in batches (`output::writer_thread`): formatting
    /// overlaps the simulation. The bytes written are the same.
    Thread,
}

impl Writers {
    /// The environment variable that chooses: `IPAMSIM_WRITER_THREAD=0` formats inline,
    /// anything else (or unset) on the writer thread.
    pub const ENV: &'static str = "IPAMSIM_WRITER_THREAD";

    /// The mode [`Writers::ENV`] chooses (read here only, once per run).
    pub fn from_env() -> Self {
        match std::env::var(Self::ENV) {
            Ok(v) if v == "0" => Writers::Inline,
            _ => Writers::Thread,
        }
    }
}

/// [`run_to_dir`] with the writers' thread chosen by the caller.
pub fn run_to_dir_with(
    scenario: Scenario,
    out: &Path,
    sha256: &str,
    progress: &mut dyn FnMut(SimTime) -> bool,
    writers_mode: Writers,
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
    if chosen.metrics {
        let start = UnixMillis(chosen.metrics_start_ms);
        recorder = recorder.with_metrics(dir.create("metrics.om")?, start);
    }
    match writers_mode {
        Writers::Inline => write_run(
            scenario,
            recorder,
            CsvRecorder::finish,
            dir,
            sha256,
            progress,
        ),
        Writers::Thread => {
            let threaded = ThreadedRecorder::spawn(recorder, scenario.nodegroups.clone())?;
            write_run(
                scenario,
                threaded,
                ThreadedRecorder::finish,
                dir,
                sha256,
                progress,
            )
        }
    }
}

/// Runs `scenario` into `recorder`, then finishes the files (`finish`), writes
/// `summary.json` and commits `dir`.
fn write_run<R: Recorder>(
    scenario: Scenario,
    recorder: R,
    finish: fn(R) -> io::Result<()>,
    mut dir: OutputDir,
    sha256: &str,
    progress: &mut dyn FnMut(SimTime) -> bool,
) -> Result<(Summary, RunStats), RunError> {
    let end = SimTime(scenario.duration.micros());
    let (world, stats) = simulate(scenario, recorder, progress);
    if stats.cancelled {
        return Err(RunError::Cancelled);
    }
    let summary = Summary::from_world(&world, &stats, sha256);
    let World { recorder, .. } = world;
    finish(recorder)?;
    dir.write("summary.json", summary.to_json().as_bytes())?;
    // One last call right before anything is kept: a stop asked for now still discards
    // the run (dropping `dir` removes its temporary files).
    if !progress(end) {
        return Err(RunError::Cancelled);
    }
    dir.commit(&RESULT_FILES)?;
    Ok((summary, stats))
}
