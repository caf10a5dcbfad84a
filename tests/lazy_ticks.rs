//! Lazy ticking (idle nodes sleep through idle ticks) and dormant retries (pods whose CNI
//! ADD cannot succeed sleep through their kubelet's retries) write exactly the bytes the
//! eager loops write: on every shipped scenario and on random ones that mix prefix
//! delegation, warm-pool settings, cooldowns, churn, scale-in, small subnets, throttling,
//! faults, restarts, autoscaling and kubelet retry settings.
use ipamsim::model::world::ModelOptions;
use ipamsim::output::csv_files::{CsvRecorder, CsvWriters};
use ipamsim::scenario::{self, Scenario};
use ipamsim::sim::simulate_with;
use rand::{Rng, SeedableRng};
use std::path::Path;

/// Every CSV file of a run, in memory, and the number of events handled.
fn outputs(sc: Scenario, opts: ModelOptions) -> (Vec<Vec<u8>>, u64) {
    let w = || Some(Vec::new());
    let rec = CsvRecorder::new(CsvWriters {
        timeline: w(),
        nodes: w(),
        pods: w(),
        subnets: w(),
        events: w(),
        waits: w(),
    })
    .unwrap();
    let (world, stats) = simulate_with(sc, rec, &mut |_| true, opts);
    let CsvWriters {
        timeline,
        nodes,
        pods,
        subnets,
        events,
        waits,
    } = world.into_recorder().into_writers().unwrap();
    let files = [timeline, nodes, pods, subnets, events, waits];
    (
        files.into_iter().map(Option::unwrap).collect(),
        stats.events,
    )
}

/// Both loops lazy against ticks eager (`ticks`) or retries eager (`!ticks`).
fn same_bytes(sc: Scenario, label: &str) -> (u64, u64) {
    same_bytes_as(sc, label, true)
}

/// Panics, naming the file and line, unless the lazy loops write the eager loop's bytes;
/// the events each handled.
pub(crate) fn same_bytes_as(sc: Scenario, label: &str, ticks: bool) -> (u64, u64) {
    let all = ModelOptions::default();
    let reference = if ticks {
        ModelOptions {
            lazy_ticks: false,
            ..all
        }
    } else {
        ModelOptions {
            lazy_retries: false,
            ..all
        }
    };
    let (lazy, n_lazy) = outputs(sc.clone(), all);
    let (eager, n_eager) = outputs(sc, reference);
    for (i, f) in ["timeline", "nodes", "pods", "subnets", "events", "waits"]
        .iter()
        .enumerate()
    {
        if lazy[i] != eager[i] {
            let (a, b) = (
                String::from_utf8_lossy(&lazy[i]).into_owned(),
                String::from_utf8_lossy(&eager[i]).into_owned(),
            );
            let line = a.lines().zip(b.lines()).position(|(x, y)| x != y);
            let show = |t: &str| {
                line.and_then(|l| t.lines().nth(l))
                    .unwrap_or("")
                    .to_string()
            };
            panic!(
                "{label}: {f}.csv differs at line {line:?}:\n lazy:  {}\n eager: {}",
                show(&a),
                show(&b)
            );
        }
    }
    (n_lazy, n_eager)
}

/// Every shipped scenario through both loops (`ticks`: ticks eager in the reference, else
/// retries); the events the lazy loops saved in all.
fn shipped_saved(ticks: bool) -> u64 {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    names.sort();
    let mut saved = 0;
    for path in names {
        let sc = scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
        let (lazy, eager) = same_bytes_as(sc, &path.display().to_string(), ticks);
        assert!(
            lazy <= eager,
            "{}: lazy {lazy} > eager {eager} events",
            path.display()
        );
        saved += eager - lazy;
    }
    saved
}

#[test]
fn shipped_scenarios_lazy_equals_eager() {
    // idle ticks are most of the eager loop's events on the shipped scenarios
    let saved = shipped_saved(true);
    assert!(saved > 100_000, "{saved}");
}

/// Every shipped scenario gives the same bytes with every kubelet retry an event, with
/// fewer events.
#[test]
fn shipped_scenarios_dormant_retries_equal_eager() {
    // the throttled bursts' pods fail tens of thousands of retries between changes
    let saved = shipped_saved(false);
    assert!(saved > 10_000, "{saved}");
}

/// Random scenarios, throttled or not, with every kind of kubelet retry setting: the same
/// bytes with every retry an event.
#[test]
fn random_scenarios_dormant_retries_equal_eager() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2027);
    let (mut saved, mut throttled) = (0, 0);
    // IPAMSIM_LAZY_CASES=N tries more cases locally (CI runs 60)
    let cases = std::env::var("IPAMSIM_LAZY_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    for case in 0..cases {
        let yaml = random_scenario(&mut rng, case);
        throttled += u32::from(!yaml.contains("throttling: false"));
        let sc = match scenario::parse(&yaml, "random.yaml") {
            Ok(sc) => sc,
            Err(e) => panic!("case {case} is invalid:\n{e}\n{yaml}"),
        };
        let (lazy, eager) = same_bytes_as(sc, &format!("case {case}:\n{yaml}"), false);
        // a case may handle a few more events (retries scheduled, then moved earlier)
        saved += eager as i64 - lazy as i64;
    }
    // both kinds are among them (30 % are throttled: 18 of 60 expected)
    assert!(
        throttled >= 8 && cases - throttled >= 8,
        "{throttled} of {cases}"
    );
    assert!(saved > 1_000, "{saved}");
}

/// A random small scenario (duration 8–20 min, 2–5 nodes).
fn random_scenario(rng: &mut rand_chacha::ChaCha8Rng, case: u32) -> String {
    let pd = rng.gen_bool(0.35);
    let cooldown = [0, 5, 30, 30, -1][rng.gen_range(0..5)];
    let warm = [
        "",
        "  WARM_ENI_TARGET: 1",
        "  WARM_ENI_TARGET: 0",
        "  WARM_ENI_TARGET: 2",
        "  WARM_IP_TARGET: 3",
        "  WARM_IP_TARGET: 1\n  MINIMUM_IP_TARGET: 12",
        "  MINIMUM_IP_TARGET: 10",
        "  WARM_PREFIX_TARGET: 0",
        "  WARM_PREFIX_TARGET: 2",
        "  MAX_ENI: 2",
    ][rng.gen_range(0..10)];
    let placement = if rng.gen_bool(0.7) {
        "random"
    } else {
        "canonical"
    };
    let overhead = ["1ms", "0s", "3ms"][rng.gen_range(0..3)];
    let cidr = ["10.0.0.0/20", "10.0.0.0/24", "10.0.0.0/26"][rng.gen_range(0..3)];
    let used = rng.gen_range(0..20);
    let itype = ["m5.large", "t3.medium", "c5.xlarge", "m4.large"][rng.gen_range(0..4)];
    let count = rng.gen_range(2..6);
    let duration = rng.gen_range(8..21);
    let throttling = if rng.gen_bool(0.3) {
        format!(
            "  throttling: {{mutating: {{bucket: {}, refill: 1}}, describe: {{bucket: 5, refill: 2}}}}\n",
            rng.gen_range(2..10)
        )
    } else {
        "  throttling: false\n".to_string()
    };
    let faults = if rng.gen_bool(0.25) {
        format!(
            "  faults: {{AttachNetworkInterface: {:.2}, UnassignPrivateIpAddresses: {:.2}}}\n",
            rng.gen_range(0.0..0.3),
            rng.gen_range(0.0..0.3)
        )
    } else {
        String::new()
    };
    let restart = if rng.gen_bool(0.2) {
        format!(
            "faults:\n  aws_node_restarts: [{{at: {}s, node: ng-1}}]\n",
            rng.gen_range(30..400)
        )
    } else {
        String::new()
    };
    let autoscaling = if rng.gen_bool(0.25) {
        format!(
            "    autoscaling: {{min: {count}, max: {}, provision_time: 40s, scale_down_after: 3m}}\n",
            count + 3
        )
    } else {
        String::new()
    };
    let (a, b, c) = (
        rng.gen_range(5..60),
        rng.gen_range(0..30),
        rng.gen_range(10..80),
    );
    let kubelet = [
        "",
        "kubelet: {retry_jitter: 0}\n",
        "kubelet: {retry_interval: 1s}\n",
        "kubelet: {retry_interval: 3s, retry_jitter: 2}\n",
    ][rng.gen_range(0..4)];
    let churn = if rng.gen_bool(0.5) {
        format!(
            "  - name: jobs\n    arrivals: {{rate: {:.2}/s}}\n    lifetime: {{exponential: {}s}}\n",
            rng.gen_range(0.05..1.0),
            rng.gen_range(20..200)
        )
    } else {
        String::new()
    };
    format!(
        "name: random-{case}
seed: {}
duration: {duration}m
sample_interval: 5s
cni:
  ENABLE_PREFIX_DELEGATION: {pd}
  IP_COOLDOWN_PERIOD: {cooldown}
{warm}
ipamd: {{placement: {placement}, tick_overhead: {overhead}}}
{kubelet}ec2:
{throttling}{faults}{restart}subnets: [{{name: a, cidr: {cidr}, used: {used}}}]
nodegroups:
  - name: ng
    instance_type: {itype}
    count: {count}
    subnet: a
{autoscaling}daemonsets: [{{name: aws-node, host_network: true}}]
workloads:
  - name: web
    steps: [{{at: 20s, replicas: {a}}}, {{at: 3m, replicas: {b}}}, {{at: 6m, replicas: {c}}}]
{churn}",
        rng.gen_range(1..1000)
    )
}

#[test]
fn random_scenarios_lazy_equals_eager() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2026);
    let mut saved = 0;
    for case in 0..60 {
        let yaml = random_scenario(&mut rng, case);
        let sc = match scenario::parse(&yaml, "random.yaml") {
            Ok(sc) => sc,
            Err(e) => panic!("case {case} is invalid:\n{e}\n{yaml}"),
        };
        let (lazy, eager) = same_bytes(sc, &format!("case {case}:\n{yaml}"));
        saved += eager - lazy;
    }
    assert!(saved > 10_000, "{saved}");
}

/// A throttled cold start (the shape of `scenarios/ultra-scale/`, scaled down): thousands
/// of pods sleep for minutes behind the account's buckets, their streaks change cause as
/// the pools' calls are retried, and every file is the same bytes as with every retry an
/// event, with far fewer events.
#[test]
fn a_throttled_cold_start_is_the_same_with_dormant_retries() {
    // both runs take about 1 s in a release build, a few in a debug one
    let nodes = 1000;
    let yaml = format!(
        "name: cold-start
seed: 3
duration: 20m
sample_interval: 60s
allow_large: true
subnets:
  - {{name: s0, cidr: 10.0.0.0/16}}
nodegroups:
  - {{name: workers, instance_type: m5.xlarge, count: {nodes}, subnet: s0}}
daemonsets:
  - {{name: aws-node, host_network: true}}
  - {{name: kube-proxy, host_network: true}}
workloads:
  - {{name: web, at: 1m, replicas: {}}}
",
        nodes * 30
    );
    let sc = scenario::parse(&yaml, "cold-start.yaml").unwrap_or_else(|e| panic!("{e}"));
    let (lazy, eager) = same_bytes_as(sc, "throttled cold start", false);
    // 30 pods per node wait minutes for addresses, each retrying every 10–15 s when
    // eager, while the pools' own throttled calls are events either way: the dormant run
    // handles at most 60 % of the events (about half, measured)
    assert!(5 * lazy < 3 * eager, "dormant {lazy}, eager {eager}");
}

/// A node that is never idle (its pool always wants addresses the account's buckets
/// refuse) still saves its reconciles: each tick's reconcile, which finds no orphan ENI and
/// no unreleased address, is applied when the tick ends instead of being an event, and the
/// files are the same bytes as the eager loop's.
#[test]
fn a_throttled_node_passes_its_reconciles_without_events() {
    // One m5.xlarge, 20 pods at 1 min: 14 addresses on the primary ENI, so the pool wants
    // a new ENI. A mutating bucket of 1 token refilled at 1/s, of which other tenants use
    // 1/s on CreateNetworkInterface and AssignPrivateIpAddresses: after the first ENI
    // (63 s) every CreateNetworkInterface is refused, so every tick from then on makes a
    // call and the lazy loop never sleeps through.
    let yaml = "name: never-idle
seed: 4
duration: 10m
subnets:
  - {name: s0, cidr: 10.0.0.0/20}
nodegroups:
  - {name: workers, instance_type: m5.xlarge, count: 1, subnet: s0}
ec2:
  throttling:
    mutating: {bucket: 1, refill: 1}
    background: {AssignPrivateIpAddresses: 1, CreateNetworkInterface: 1}
workloads:
  - {name: web, at: 1m, replicas: 20}
";
    let sc = scenario::parse(yaml, "never-idle.yaml").unwrap_or_else(|e| panic!("{e}"));
    let (lazy, eager) = same_bytes(sc, "never idle");
    let saved = eager - lazy;
    // Before the pods (0.5 s to 60 s) the pool is full and idle: the eager loop runs
    // about 12 periods of 5.002 s, 2 events each, that the lazy loop sleeps through (at
    // most 24). From 63 s to 600 s each period is a tick whose call is refused (3
    // requests, at most 0.15 s + 2 s + 4 s of backoff, plus 0.05 s to the failed
    // increase), then two half-periods of 2.501 s: at most 11.21 s, so at least
    // 537 / 11.21 = 47 periods, each with one reconcile passed. Without passing them the
    // saving would be the idle ticks' alone.
    assert!(saved >= 24 + 47, "saved {saved} events of {eager}");
    // and at most every reconcile of the run: 600 / 5.002 = 120, plus the idle ticks
    assert!(saved <= 24 + 120, "saved {saved} events of {eager}");
}

/// Refused requests carried ahead of their wake (`src/model/ipamd/ahead.rs`) under a bucket
/// that refuses almost everything, with aws-node restarting on every node now and then:
/// the lazy loop skips most one-address retries of `tryAssignIPs` (and with them, when
/// nothing else is due, the end of the tick), puts a skipped wake back when a restart
/// comes before it, and writes the eager loop's bytes. Returns the requests counted ahead
/// and the wakes put back.
fn restarts_while_refused(cni: &str, replicas: u32) -> (u64, u64) {
    // 200 m5.xlarge, one mutating token a second, no SDK retries, 400 ms per refused
    // request: each tick's assignment is refused, and its one-address retry 400 ms later
    // falls in the same second (so is certain to be refused) when the first came in the
    // first 0.6 s of a second.
    let (nodes, restarts_each) = (200u32, 6u32);
    let mut yaml = format!(
        "name: restarts-while-refused
seed: 8
duration: 30m
sample_interval: 60s
subnets:
  - {{name: s0, cidr: 10.0.0.0/18}}
nodegroups:
  - {{name: workers, instance_type: m5.xlarge, count: {nodes}, subnet: s0}}
{cni}ec2:
  error_latency: 400ms
  throttling:
    mutating: {{bucket: 1, refill: 1}}
  retry: {{max_attempts: 1}}
workloads:
  - {{name: web, at: 1m, replicas: {replicas}}}
faults:
  aws_node_restarts:
"
    );
    // node n restarts at 70 s + (7.919 n mod 50) s, then every 283.3 s
    for n in 1..=nodes {
        for k in 0..restarts_each {
            let t = 70.0 + (7.919 * f64::from(n)) % 50.0 + 283.3 * f64::from(k);
            yaml.push_str(&format!("    - {{at: {t:.3}s, node: workers-{n}}}\n"));
        }
    }
    let sc = scenario::parse(&yaml, "restarts.yaml").unwrap_or_else(|e| panic!("{e}"));
    let (lazy, eager) = same_bytes(sc.clone(), "restarts while refused");
    let none = || None::<Vec<u8>>;
    let rec = CsvRecorder::new(CsvWriters {
        timeline: none(),
        nodes: none(),
        pods: none(),
        subnets: none(),
        events: none(),
        waits: none(),
    })
    .unwrap();
    let (world, _) = simulate_with(sc, rec, &mut |_| true, ModelOptions::default());
    let ip = &world.ipamd().nodes;
    let counted: u64 = ip.iter().map(|n| n.ahead_counted).sum();
    let put_back: u64 = ip.iter().map(|n| n.ahead_put_back).sum();
    // each request counted ahead is a wake fewer (two when the tick's end went with it)
    assert!(eager - lazy >= counted, "lazy {lazy}, eager {eager}");
    (counted, put_back)
}

/// With WARM_IP_TARGET 2 each tick asks `tryFreeENI` to look at the pool, so only the
/// one-address retry is carried, not the tick's end.
#[test]
fn refused_retries_carried_ahead_write_the_eager_bytes() {
    let (counted, put_back) = restarts_while_refused("cni: {WARM_IP_TARGET: 2}\n", 2000);
    assert!(counted > 1_000, "counted {counted}, put back {put_back}");
    // 1,200 restarts, each on a node that is refused in a 0.4 s window of its ~5.4 s
    // cycle about 60 % of the time: about 1,200 × 0.6 × 0.4 / 5.4 ≈ 50 restarts fall in a
    // window while the pools still grow (fewer once they are full); at least a few do.
    assert!(put_back >= 3, "counted {counted}, put back {put_back}");
}

/// With the default warm pool the tick's end is carried too: a restart can fall before
/// the retry or between it and the tick's end, and either wake is put back.
#[test]
fn refused_retries_and_tick_ends_carried_ahead_write_the_eager_bytes() {
    // 30 pods per node: the pools grow by assignments to ENIs with room for the whole run
    let (counted, put_back) = restarts_while_refused("", 6000);
    assert!(counted > 1_000, "counted {counted}, put back {put_back}");
    // the window is 0.8 s of each ~5.8 s cycle now (retry, then the tick's end)
    assert!(put_back >= 3, "counted {counted}, put back {put_back}");
}
