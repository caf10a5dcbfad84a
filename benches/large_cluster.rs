//! Throughput benchmark, all in one process so that the machine's speed is shared: first a
//! bare binary-heap loop (pop + push with 10,000 live timers: the floor of any event loop),
//! then the benchmark scenarios, each as a full run writing every output file to a temporary
//! directory, as `ipamsim run` does. For each: wall time, events, events/s, wall time per
//! event as a multiple of the bare loop's time per pop + push, and peak memory (the
//! process's VmHWM, reset before each run).
//!
//! `cargo bench` runs in release mode. `IPAMSIM_BENCH=quick` runs only the 1,000-node
//! scenario and a 6-hour cut of the 24-hour one; `IPAMSIM_BENCH=full` adds the
//! 100,000-node cold start (minutes); `IPAMSIM_BENCH_SCENARIO=FILE` benches one file
//! instead.
//!
//! Each line gives the scenario's nodes and simulated hours, wall time, events, events per
//! second, the bare loop's time for the same number of events (and the run's wall time as
//! a multiple of it), peak memory, and the bytes the run wrote.

use ipamsim::scenario::{self, LoadOptions};
use ipamsim::sim;
use rand::{Rng, SeedableRng};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Peak resident memory of this process since the last reset (MiB).
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Resets the peak resident memory to the current one (Linux: `clear_refs` 5).
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The bare loop: 10,000 timers in a binary heap; each step pops the earliest and pushes it
/// back a random 1 ms–10 s later. Returns nanoseconds per step.
fn bare_heap_loop(steps: u64) -> f64 {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let mut heap: BinaryHeap<Reverse<(u64, u64)>> = BinaryHeap::with_capacity(10_000);
    for seq in 0..10_000u64 {
        heap.push(Reverse((rng.gen_range(0..10_000_000), seq)));
    }
    let start = Instant::now();
    let mut checksum = 0u64;
    for seq in 10_000..10_000 + steps {
        let Reverse((t, _)) = heap.pop().expect("never empty");
        checksum = checksum.wrapping_add(t);
        heap.push(Reverse((t + rng.gen_range(1_000..10_000_000), seq)));
    }
    let ns = start.elapsed().as_nanos() as f64 / steps as f64;
    std::hint::black_box(checksum);
    ns
}

fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// One full run of `path` (its duration cut to `duration` when given); prints its line.
fn bench(path: &Path, duration: Option<&str>, floor_ns: f64) {
    let opts = LoadOptions { allow_large: true };
    let mut sc = match scenario::load_with(path, &opts) {
        Ok(sc) => sc,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    if let Some(d) = duration {
        sc.duration = ipamsim::time::parse_duration(d).expect("a duration");
    }
    let simulated_h = sc.duration.as_secs_f64() / 3600.0;
    let nodes: u32 = sc.nodegroups.iter().map(|g| g.count).sum();
    let dir: PathBuf = std::env::temp_dir().join(format!("ipamsim-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    reset_peak_rss();
    let start = Instant::now();
    let (summary, stats) = sim::run_to_dir(sc, &dir, "", &mut |_| true).expect("run");
    let wall = start.elapsed().as_secs_f64();
    let peak = peak_rss_mib().unwrap_or(0.0);
    let bytes: u64 = std::fs::read_dir(&dir)
        .map(|d| {
            d.filter_map(|e| e.ok()?.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0);
    let _ = std::fs::remove_dir_all(&dir);
    let per_event_ns = wall * 1e9 / stats.events as f64;
    let bare_s = floor_ns * stats.events as f64 / 1e9;
    println!(
        "{:<34} {:>6} nodes {:>5.1} h  {:>7.2} s  {:>11} events  {:>5.2} M events/s  bare loop {:>6.2} s ({:>5.1}×)  {:>7.1} MiB peak  {:>8.1} MiB written  ({} pods)",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("?"),
        nodes,
        simulated_h,
        wall,
        stats.events,
        stats.events as f64 / wall / 1e6,
        bare_s,
        per_event_ns / floor_ns,
        peak,
        bytes as f64 / 1048576.0,
        summary.pods.created,
    );
}

fn main() {
    let floor = bare_heap_loop(20_000_000);
    println!(
        "bare binary-heap loop (10,000 timers): {floor:.1} ns per pop + push ({:.1} M/s)",
        1e3 / floor
    );
    let scenarios = manifest().join("benches/scenarios");
    if let Ok(p) = std::env::var("IPAMSIM_BENCH_SCENARIO") {
        return bench(Path::new(&p), None, floor);
    }
    let quick = std::env::var("IPAMSIM_BENCH").is_ok_and(|v| v == "quick");
    bench(&scenarios.join("steps-1k-30k.yaml"), None, floor);
    bench(
        &manifest().join("scenarios/large-1000-nodes.yaml"),
        None,
        floor,
    );
    if quick {
        bench(&scenarios.join("churn-10k-24h.yaml"), Some("6h"), floor);
        return;
    }
    for k in [10, 30] {
        let name = format!("cold-start-{k}k-throttled.yaml");
        bench(&scenarios.join(name), None, floor);
    }
    if std::env::var("IPAMSIM_BENCH").is_ok_and(|v| v == "full") {
        bench(
            &scenarios.join("cold-start-100k-throttled.yaml"),
            None,
            floor,
        );
    }
    // memory flat in simulated time: the same churn cut at 6 h, then the whole 24 h
    bench(&scenarios.join("churn-10k-24h.yaml"), Some("6h"), floor);
    bench(&scenarios.join("churn-10k-24h.yaml"), None, floor);
}
