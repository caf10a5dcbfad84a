//! Throughput benchmark: runs `scenarios/large-1000-nodes.yaml` (1,000 nodes, 30,000 pods,
//! one simulated hour) and `scenarios/scale-out-500-nodes.yaml` (50 → 500 autoscaled nodes,
//! 20,000 pods in 5 minutes, EC2 throttling) and prints events/s, simulated seconds per wall
//! second and peak memory. `cargo bench` runs it in release mode. Set
//! `IPAMSIM_BENCH_SCENARIO` to bench another file instead.
//!
//! Two measurements: the simulation alone (outputs to a sink) and a full run that writes
//! the CSV files to a temporary directory, as `ipamsim run` does.

use ipamsim::output::csv_files::CsvRecorder;
use ipamsim::scenario;
use ipamsim::sim;
use std::time::Instant;

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn main() {
    let scenarios: Vec<String> = match std::env::var("IPAMSIM_BENCH_SCENARIO") {
        Ok(p) => vec![p],
        Err(_) => ["large-1000-nodes.yaml", "scale-out-500-nodes.yaml"]
            .iter()
            .map(|f| format!("{}/scenarios/{f}", env!("CARGO_MANIFEST_DIR")))
            .collect(),
    };
    for path in scenarios {
        bench(&path);
    }
    if let Some(mib) = peak_rss_mib() {
        println!("peak memory (RSS) over all runs: {mib:.1} MiB");
    }
}

fn bench(path: &str) {
    let sc = match scenario::load(std::path::Path::new(path)) {
        Ok(sc) => sc,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let simulated_s = sc.duration.as_secs_f64();
    let nodes: u32 = sc.nodegroups.iter().map(|g| g.count).sum();

    let start = Instant::now();
    let rec = CsvRecorder::sink();
    let (world, stats) = sim::simulate(sc.clone(), rec, &mut |_| true);
    let wall = start.elapsed().as_secs_f64();
    let pods = world.pods().len();
    let peak_nodes = world.nodes.len();
    drop(world);
    println!("scenario:            {path}");
    println!("cluster:             {nodes} nodes at start, {peak_nodes} launched in all, {pods} pods created, {simulated_s:.0} s simulated");
    println!(
        "simulation only:     {:.2} s wall, {} events, {:.0} events/s, {:.0} simulated s per wall s",
        wall,
        stats.events,
        stats.events as f64 / wall,
        simulated_s / wall
    );

    let dir = std::env::temp_dir().join(format!("ipamsim-bench-{}", std::process::id()));
    let start = Instant::now();
    let (_summary, stats) = sim::run_to_dir(sc, &dir, "", &mut |_| true).expect("run");
    let wall = start.elapsed().as_secs_f64();
    let bytes: u64 = std::fs::read_dir(&dir)
        .map(|d| {
            d.filter_map(|e| e.ok()?.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0);
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "full run with CSVs:  {:.2} s wall, {:.0} events/s, {:.1} MiB written",
        wall,
        stats.events as f64 / wall,
        bytes as f64 / 1048576.0
    );
}
