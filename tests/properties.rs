//! Property tests (proptest, fixed seed, no persistence, so CI is deterministic):
//!
//! - random valid scenarios (secondary IPs and prefix delegation, warm-pool settings,
//!   cooldowns, churn, steps, autoscaling and launches, EC2 throttling and faults, ENIs
//!   missing from IMDS, aws-node restarts, small and fragmented subnets that run out,
//!   reservations, subnet discovery, custom networking) keep the allocation invariants
//!   and the output contracts, and give byte-identical files when run again;
//! - random mutations of the shipped scenarios never panic, and end in a valid scenario
//!   (which then runs, shortened, under the same invariants) or in located one-line
//!   problems.
//!
//! Each case runs in milliseconds (a few nodes, minutes of simulated time). A failure
//! prints the shrunk scenario's YAML, ready to paste into a file.
use crate::common;

use ipamsim::catalog;
use ipamsim::engine::RunStats;
use ipamsim::model::ids::NodeId;
use ipamsim::model::lease::{Ipv4, Lease, Leased};
use ipamsim::model::record::{
    BlockRow, EventRecord, MemoryRecorder, NodeRow, PodRecord, PodState, Recorder, SubnetRow,
    TimelineRow, WaitCause, WaitRecord,
};
use ipamsim::model::World;
use ipamsim::output::csv_files::{CsvRecorder, CsvWriters};
use ipamsim::output::summary::Summary;
use ipamsim::scenario::churn::{Arrivals, Lifetime};
use ipamsim::scenario::discovery;
use ipamsim::scenario::{
    self, LoadOptions, OutputSet, Scenario, ScenarioErrors, Source, UsedSpec, WorkloadSource,
};
use ipamsim::time::{SimDuration, SimTime};
use proptest::prelude::*;
use proptest::sample::{select, Index};
use proptest::test_runner::TestCaseError;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use common::prop::{check_all, ensure, runner};

// ----- generated scenarios -----

/// A workload of a generated scenario (times in seconds).
#[derive(Clone, Debug)]
enum Work {
    Replicas {
        at: u32,
        n: u32,
        host: bool,
    },
    /// `(gap since the previous step, replicas)`; the first at its gap from 0.
    Steps(Vec<(u32, u32)>),
    Batches {
        every: u32,
        count: u32,
        life: u32,
        from: u32,
        until: Option<u32>,
    },
    Poisson {
        per_hour: u32,
        life: Life,
    },
    /// Trace rows `(gap in 100 ms since the previous row, pod number)`: each row creates
    /// the pod if it is not alive, else deletes it (so a name is created again after its
    /// delete, and some pods live to the end).
    Trace(Vec<(u32, u32)>),
}

#[derive(Clone, Debug)]
enum Life {
    Exp(u32),
    Uniform(u32, u32),
    LogNormal(u32, u32),
}

/// Addresses of the pod subnet taken at t = 0.
#[derive(Clone, Debug)]
enum Used {
    None,
    /// Scattered at random (a fragmented subnet): this many per 1,000 usable addresses.
    Count(u32),
    /// One range `base + 8 …= base + 8 + len`.
    Range(u32),
}

/// The cluster: instance type, nodes, subnets.
#[derive(Clone, Debug)]
struct Cluster {
    itype: &'static str,
    count: u32,
    max_pods: Option<u32>,
    /// Prefix length of subnet `a` (the nodes' subnet).
    prefix: u8,
    used: Used,
    /// A /26 prefix reservation at the top of subnet `a` (when it is /24 or larger).
    reservation: bool,
    /// Custom networking: the prefix length of the pod subnet 100.64.0.0/N.
    custom: Option<u8>,
    /// A second subnet `b` in the same AZ: `(role_cni, nodes round-robin over a and b)`.
    second: Option<(bool, bool)>,
    discovery: bool,
    /// `(extra max above count, provision s, scale_down_after s, scale_up_delay s)`.
    autoscaling: Option<(u32, u32, u32, u32)>,
    /// `(at s, count)`.
    launch: Option<(u32, u32)>,
    /// A DaemonSet whose pods need IPs, besides the host-network one.
    ip_daemonset: bool,
}

/// The aws-node settings.
#[derive(Clone, Debug)]
struct Cni {
    pd: bool,
    warm: &'static str,
    cooldown: i64,
    max_eni: Option<u32>,
    /// Security groups for pods: `ENABLE_POD_ENI`, and a SecurityGroupPolicy selecting
    /// workload 0 (not with Calico, which validate refuses).
    pod_eni: bool,
    /// `ENABLE_MULTI_NIC` on nodes of this multi-card type, and the last workload
    /// multi-homed (not with Calico, which validate refuses).
    multi_nic: Option<&'static str>,
}

/// EC2, faults, kubelet, ipamd and scheduler knobs.
#[derive(Clone, Debug)]
struct Knobs {
    /// `(mutating bucket, describe bucket)`, or no throttling.
    throttle: Option<(u32, u32)>,
    /// Per-mille fault rates of attach and unassign/assign/describe.
    faults: Option<(u32, u32)>,
    imds_missing: u32,
    /// `(at s, node number)`.
    restarts: Vec<(u32, u32)>,
    retry: &'static str,
    placement: &'static str,
    policy: &'static str,
    overhead: &'static str,
}

#[derive(Clone, Debug)]
struct Gen {
    seed: u32,
    duration: u32,
    sample: &'static str,
    cluster: Cluster,
    cni: Cni,
    knobs: Knobs,
    work: Vec<Work>,
    /// Calico IPAM: `(block size, strict affinity, pool = block size − this)`.
    calico: Option<(u8, bool, u8)>,
}

/// Types on both sides of the Nitro line (m4.large falls back to secondary IPs in
/// prefix mode), small and large ENI limits.
const TYPES: &[&str] = &[
    "t3.medium",
    "m5.large",
    "c5.large",
    "t3.small",
    "m4.large",
    "m5.xlarge",
];

const WARM: &[&str] = &[
    "",
    "  WARM_ENI_TARGET: 0\n",
    "  WARM_ENI_TARGET: 2\n",
    "  WARM_IP_TARGET: 2\n",
    "  WARM_IP_TARGET: 1\n  MINIMUM_IP_TARGET: 12\n",
    "  MINIMUM_IP_TARGET: 8\n",
    "  WARM_PREFIX_TARGET: 0\n",
    "  WARM_PREFIX_TARGET: 2\n",
    "  WARM_ENI_TARGET: 4294967295\n",
];

fn work() -> impl Strategy<Value = Work> {
    prop_oneof![
        (0u32..90, 0u32..50, prop::bool::weighted(0.1)).prop_map(|(at, n, host)| Work::Replicas {
            at,
            n,
            host
        }),
        prop::collection::vec((1u32..150, 0u32..50), 1..5).prop_map(Work::Steps),
        (
            5u32..120,
            1u32..6,
            5u32..240,
            0u32..90,
            prop::option::weighted(0.3, 60u32..400)
        )
            .prop_map(|(every, count, life, from, until)| Work::Batches {
                every,
                count,
                life,
                from,
                until: until.map(|u| u.max(from + 1)),
            }),
        (
            50u32..4000,
            prop_oneof![
                (5u32..300).prop_map(Life::Exp),
                (1u32..100, 0u32..200).prop_map(|(a, b)| Life::Uniform(a, a + b)),
                (5u32..300, 0u32..200).prop_map(|(m, s)| Life::LogNormal(m, s)),
            ]
        )
            .prop_map(|(per_hour, life)| Work::Poisson { per_hour, life }),
        prop::collection::vec((0u32..600, 0u32..8), 0..30).prop_map(Work::Trace),
    ]
}

fn cluster() -> impl Strategy<Value = Cluster> {
    (
        (
            select(TYPES),
            1u32..5,
            prop::option::weighted(0.2, 3u32..40),
            22u8..28,
            prop_oneof![
                Just(Used::None),
                (0u32..400).prop_map(Used::Count),
                (0u32..8).prop_map(Used::Range)
            ],
            prop::bool::weighted(0.3),
        ),
        (
            prop::option::weighted(0.15, 22u8..28),
            prop::option::weighted(0.25, (any::<bool>(), prop::bool::weighted(0.4))),
            prop::bool::weighted(0.8),
            prop::option::weighted(0.3, (1u32..4, 10u32..60, 30u32..180, 0u32..20)),
            prop::option::weighted(0.2, (5u32..300, 1u32..3)),
            prop::bool::weighted(0.3),
        ),
    )
        .prop_map(
            |(
                (itype, count, max_pods, prefix, used, reservation),
                (custom, second, discovery, autoscaling, launch, ip_daemonset),
            )| Cluster {
                itype,
                count,
                max_pods,
                prefix,
                used,
                reservation,
                custom,
                // custom networking has its own pod subnet
                second: second.filter(|_| custom.is_none()),
                discovery,
                autoscaling,
                launch,
                ip_daemonset,
            },
        )
}

/// Types with several network cards: 2 cards of 8 ENIs, 2 cards of 1 ENI (card 0 holds
/// only the primary), 32 cards of 2 ENIs.
const MULTI_CARD_TYPES: &[&str] = &["c6in.32xlarge", "hpc6id.32xlarge", "p5.48xlarge"];

fn cni() -> impl Strategy<Value = Cni> {
    (
        prop::bool::weighted(0.4),
        select(WARM),
        select(&[30i64, 0, 5, -1, 9_223_372_036][..]),
        prop::option::weighted(0.15, 1u32..4),
        prop::bool::weighted(0.2),
        prop::option::weighted(0.2, select(MULTI_CARD_TYPES)),
    )
        .prop_map(|(pd, warm, cooldown, max_eni, pod_eni, multi_nic)| Cni {
            pd,
            warm,
            cooldown,
            max_eni,
            pod_eni,
            multi_nic,
        })
}

fn knobs() -> impl Strategy<Value = Knobs> {
    (
        prop::option::weighted(0.4, (1u32..10, 1u32..10)),
        prop::option::weighted(0.3, (0u32..300, 0u32..300)),
        prop_oneof![3 => Just(0u32), 1 => 0u32..500],
        prop_oneof![2 => Just(Vec::new()), 1 => prop::collection::vec((10u32..500, 1u32..5), 1..3)],
        select(&["10s", "1s", "3500ms"][..]),
        select(&["random", "canonical"][..]),
        select(&["least-allocated", "most-allocated"][..]),
        select(&["1ms", "0s", "3ms"][..]),
    )
        .prop_map(
            |(throttle, faults, imds_missing, restarts, retry, placement, policy, overhead)| {
                Knobs {
                    throttle,
                    faults,
                    imds_missing,
                    restarts,
                    retry,
                    placement,
                    policy,
                    overhead,
                }
            },
        )
}

fn gen() -> impl Strategy<Value = Gen> {
    (
        1u32..10_000,
        60u32..900,
        select(&["1s", "5s", "7s", "1500ms", "30s"][..]),
        cluster(),
        cni(),
        knobs(),
        prop::collection::vec(work(), 1..4),
        prop::option::weighted(
            0.2,
            (select(&[24u8, 26, 28, 30, 32][..]), any::<bool>(), 0u8..4),
        ),
    )
        .prop_map(
            |(seed, duration, sample, cluster, cni, knobs, work, calico)| Gen {
                seed,
                duration,
                sample,
                cluster,
                cni,
                knobs,
                work,
                calico,
            },
        )
}

fn life_yaml(l: &Life) -> String {
    match l {
        Life::Exp(m) => format!("{{exponential: {m}s}}"),
        Life::Uniform(a, b) => format!("{{uniform: [{a}s, {b}s]}}"),
        Life::LogNormal(m, s) => format!("{{lognormal: {{mean: {m}s, sd: {s}s}}}}"),
    }
}

impl Gen {
    /// The multi-card type when `ENABLE_MULTI_NIC` is generated and allowed.
    fn multi_nic(&self) -> Option<&'static str> {
        self.cni.multi_nic.filter(|_| self.calico.is_none())
    }

    fn yaml(&self) -> String {
        let c = &self.cluster;
        let mut y = format!(
            "name: generated\nseed: {}\nduration: {}s\nsample_interval: {}\n",
            self.seed, self.duration, self.sample
        );
        // aws-node
        y += &format!(
            "cni:\n  ENABLE_PREFIX_DELEGATION: {}\n  IP_COOLDOWN_PERIOD: {}\n  ENABLE_SUBNET_DISCOVERY: {}\n{}",
            self.cni.pd, self.cni.cooldown, c.discovery, self.cni.warm
        );
        if let Some(m) = self.cni.max_eni {
            y += &format!("  MAX_ENI: {m}\n");
        }
        let pod_eni = self.cni.pod_eni && self.calico.is_none();
        if pod_eni {
            y += "  ENABLE_POD_ENI: true\n";
        }
        if c.custom.is_some() {
            y += "  AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG: true\n";
        }
        let multi = self.multi_nic();
        if multi.is_some() {
            y += "  ENABLE_MULTI_NIC: true\n";
        }
        // subnets: a is 10.0.0.0/N
        let size = 1u32 << (32 - c.prefix);
        y += &format!(
            "subnets:\n  - name: a\n    cidr: 10.0.0.0/{}\n    az: az1\n",
            c.prefix
        );
        match c.used {
            Used::None => {}
            Used::Count(per_mille) => {
                y += &format!("    used: {}\n", (size - 5) * per_mille / 1000);
            }
            Used::Range(len) => y += &format!("    used: [10.0.0.8-10.0.0.{}]\n", 8 + len),
        }
        if c.reservation && c.prefix <= 24 {
            // the last /26 of the subnet
            let top = size - 64;
            y += &format!("    reservations: [10.0.{}.{}/26]\n", top >> 8, top & 255);
        }
        if let Some(p) = c.custom {
            y += &format!(
                "  - name: pods\n    cidr: 100.64.0.0/{p}\n    az: az1\neniconfigs:\n  - {{az: az1, subnet: pods}}\n"
            );
        }
        if let Some((role, _)) = c.second {
            y +=
                &format!("  - name: b\n    cidr: 10.1.0.0/26\n    az: az1\n    role_cni: {role}\n");
        }
        // nodes
        let subnets = match c.second {
            Some((_, true)) => "subnets: [a, b]".to_string(),
            _ => "subnet: a".to_string(),
        };
        y += &format!(
            "nodegroups:\n  - name: ng\n    instance_type: {}\n    count: {}\n    {subnets}\n",
            multi.unwrap_or(c.itype),
            c.count
        );
        if let Some(m) = c.max_pods {
            y += &format!("    max_pods: {m}\n");
        }
        if let Some((extra, provision, down, delay)) = c.autoscaling {
            y += &format!(
                "    autoscaling: {{min: {}, max: {}, provision_time: {provision}s, scale_down_after: {down}s, scale_up_delay: {delay}s}}\n",
                c.count.saturating_sub(1),
                c.count + extra
            );
        }
        if let Some((at, n)) = c.launch {
            y += &format!("    launch: [{{at: {at}s, count: {n}, provision_time: 20s}}]\n");
        }
        y += "daemonsets:\n  - {name: dsh, host_network: true}\n";
        if c.ip_daemonset {
            y += "  - {name: dsp}\n";
        }
        // EC2 and faults
        y += "ec2:\n";
        match self.knobs.throttle {
            None => y += "  throttling: false\n",
            Some((m, d)) => {
                y += &format!(
                    "  throttling: {{mutating: {{bucket: {m}, refill: 1}}, describe: {{bucket: {d}, refill: 2}}}}\n"
                )
            }
        }
        if let Some((attach, other)) = self.knobs.faults {
            let (a, o) = (f64::from(attach) / 1000.0, f64::from(other) / 1000.0);
            y += &format!(
                "  faults: {{AttachNetworkInterface: {a}, AssignPrivateIpAddresses: {o}, UnassignPrivateIpAddresses: {o}, DescribeNetworkInterfaces: {o}, DeleteNetworkInterface: {o}}}\n"
            );
        }
        y += &format!(
            "faults:\n  eni_missing_from_imds: {}\n",
            f64::from(self.knobs.imds_missing) / 1000.0
        );
        let restarts: Vec<String> = self
            .knobs
            .restarts
            .iter()
            .map(|(at, n)| {
                format!(
                    "{{at: {}s, node: ng-{}}}",
                    at % self.duration,
                    1 + (n - 1) % c.count
                )
            })
            .collect();
        match self.calico {
            // no aws-node to restart with Calico
            Some((block, strict, extra)) => {
                y += &format!(
                    "ipam: {{plugin: calico, pool: 172.16.0.0/{}, block_size: {block}, strict_affinity: {strict}}}\n",
                    block - extra
                );
            }
            None => y += &format!("  aws_node_restarts: [{}]\n", restarts.join(", ")),
        }
        y += &format!(
            "kubelet: {{retry_interval: {}}}\nipamd: {{placement: {}, tick_overhead: {}}}\nscheduler: {{policy: {}}}\n",
            self.knobs.retry, self.knobs.placement, self.knobs.overhead, self.knobs.policy
        );
        // workloads w0, w1, …
        y += "workloads:\n";
        for (i, w) in self.work.iter().enumerate() {
            y += &format!("  - name: w{i}\n");
            if pod_eni && i == 0 {
                y += "    security_group_policy: true\n";
            }
            let homed = multi.is_some() && i + 1 == self.work.len();
            if homed {
                y += "    annotations: {k8s.amazonaws.com/nicConfig: multi-nic-attachment}\n";
            }
            match w {
                Work::Replicas { at, n, host } => {
                    y += &format!("    at: {at}s\n    replicas: {n}\n    host_network: {host}\n")
                }
                Work::Steps(steps) => {
                    let mut t = 0;
                    let list: Vec<String> = steps
                        .iter()
                        .map(|(gap, n)| {
                            t += gap;
                            format!("{{at: {t}s, replicas: {n}}}")
                        })
                        .collect();
                    y += &format!("    steps: [{}]\n", list.join(", "));
                }
                Work::Batches {
                    every,
                    count,
                    life,
                    from,
                    until,
                } => {
                    y += &format!(
                        "    arrivals: {{every: {every}s, count: {count}}}\n    lifetime: {life}s\n    from: {from}s\n"
                    );
                    if let Some(u) = until {
                        y += &format!("    until: {u}s\n");
                    }
                }
                Work::Poisson { per_hour, life } => {
                    y += &format!(
                        "    arrivals: {{rate: {per_hour}/h}}\n    lifetime: {}\n",
                        life_yaml(life)
                    )
                }
                Work::Trace(_) => {
                    // a trace entry has no name: replace the one written above
                    let sgp = if pod_eni && i == 0 {
                        "    security_group_policy: true\n"
                    } else {
                        ""
                    };
                    let ann = if homed {
                        "    annotations: {k8s.amazonaws.com/nicConfig: multi-nic-attachment}\n"
                    } else {
                        ""
                    };
                    y.truncate(y.len() - format!("  - name: w{i}\n{sgp}{ann}").len());
                    y += &format!("  - trace: trace{i}.csv\n{sgp}{ann}");
                }
            }
        }
        y
    }

    /// The trace files the scenario names, `(file name, CSV text)`.
    fn traces(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (i, w) in self.work.iter().enumerate() {
            let Work::Trace(rows) = w else { continue };
            let mut csv = String::from("time_s,action,pod,workload\n");
            let (mut t, mut alive) = (0u32, HashSet::new());
            for &(gap, pod) in rows {
                t += gap;
                let action = if alive.insert(pod) {
                    "create"
                } else {
                    alive.remove(&pod);
                    "delete"
                };
                csv += &format!(
                    "{}.{},{action},tr{i}-p{pod},tw{i}-{}\n",
                    t / 10,
                    t % 10,
                    pod % 2
                );
            }
            out.push((format!("trace{i}.csv"), csv));
        }
        out
    }

    /// The scenario and its traces, as a failure shows them.
    fn show(&self) -> String {
        let mut s = self.yaml();
        for (name, csv) in self.traces() {
            s += &format!("\n--- {name}\n{csv}");
        }
        s
    }
}

// ----- running a scenario: files on disk and typed records in memory -----

/// Forwards every record to the CSV writers and to the in-memory recorder (exact times).
struct Tee {
    csv: CsvRecorder<Vec<u8>>,
    mem: MemoryRecorder,
}

impl Recorder for Tee {
    fn timeline(&mut self, row: &TimelineRow) {
        self.csv.timeline(row);
        self.mem.timeline(row);
    }
    fn node(&mut self, row: &NodeRow<'_>) {
        self.csv.node(row);
        self.mem.node(row);
    }
    fn subnet(&mut self, row: &SubnetRow<'_>) {
        self.csv.subnet(row);
        self.mem.subnet(row);
    }
    fn event(&mut self, event: &EventRecord<'_>) {
        self.csv.event(event);
        self.mem.event(event);
    }
    fn pod(&mut self, pod: &PodRecord<'_>) {
        self.csv.pod(pod);
        self.mem.pod(pod);
    }
    fn wait(&mut self, wait: &WaitRecord<'_>) {
        self.csv.wait(wait);
        self.mem.wait(wait);
    }
    fn block(&mut self, row: &BlockRow<'_>) {
        self.csv.block(row);
        self.mem.block(row);
    }
}

const FILES: [&str; 7] = [
    "timeline.csv",
    "nodes.csv",
    "pods.csv",
    "subnets.csv",
    "events.csv",
    "waits.csv",
    "summary.json",
];

/// One scenario run twice: once into a directory as `ipamsim run` does, once into memory
/// with exact-time records; returns the directory's files.
struct Run {
    files: BTreeMap<&'static str, Vec<u8>>,
    world: World<Tee>,
}

static DIRS: AtomicU64 = AtomicU64::new(0);

fn run_twice(sc: &Scenario, sha: &str) -> Result<Run, TestCaseError> {
    let n = DIRS.fetch_add(1, Ordering::Relaxed);
    let dir = common::fresh_dir("props", &n.to_string());
    let ran = ipamsim::sim::run_to_dir(sc.clone(), &dir, sha, &mut |_| true);
    ensure!(ran.is_ok(), "run_to_dir failed: {:?}", ran.err());
    let mut files = BTreeMap::new();
    let blocks = sc.ipam.calico().then_some("blocks.csv");
    for f in FILES.into_iter().chain(blocks) {
        let bytes =
            std::fs::read(dir.join(f)).map_err(|e| TestCaseError::fail(format!("{f}: {e}")))?;
        files.insert(f, bytes);
    }
    let left: Vec<_> = std::fs::read_dir(&dir)
        .map_err(|e| TestCaseError::fail(e.to_string()))?
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !FILES.contains(&n.as_str()) && Some(n.as_str()) != blocks)
        .collect();
    ensure!(left.is_empty(), "files besides the results: {left:?}");
    let _ = std::fs::remove_dir_all(&dir);

    let w = || Some(Vec::new());
    let csv = CsvRecorder::new(CsvWriters {
        timeline: w(),
        nodes: w(),
        pods: w(),
        subnets: w(),
        events: w(),
        waits: w(),
    })
    .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let csv = if blocks.is_some() {
        csv.with_blocks(Vec::new())
            .map_err(|e| TestCaseError::fail(e.to_string()))?
    } else {
        csv
    };
    let tee = Tee {
        csv,
        mem: MemoryRecorder::default(),
    };
    let (mut world, stats): (World<Tee>, RunStats) =
        ipamsim::sim::simulate(sc.clone(), tee, &mut |_| true);
    // Determinism: the second run's bytes are the first run's, file by file.
    let summary = Summary::from_world(&world, &stats, sha).to_json();
    ensure!(
        summary.as_bytes() == files["summary.json"].as_slice(),
        "summary.json differs between two runs"
    );
    let none = CsvWriters {
        timeline: None,
        nodes: None,
        pods: None,
        subnets: None,
        events: None,
        waits: None,
    };
    let empty = CsvRecorder::new(none).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let mut second = std::mem::replace(&mut world.recorder_mut().csv, empty);
    let blocks_again = second
        .take_blocks()
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let again = second
        .into_writers()
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    if let Some(name) = blocks {
        ensure!(
            blocks_again.as_deref() == Some(files[name].as_slice()),
            "blocks.csv differs between two runs"
        );
    }
    for (name, bytes) in [
        ("timeline.csv", again.timeline),
        ("nodes.csv", again.nodes),
        ("pods.csv", again.pods),
        ("subnets.csv", again.subnets),
        ("events.csv", again.events),
        ("waits.csv", again.waits),
    ] {
        let bytes = bytes.unwrap_or_default();
        if bytes != files[name] {
            let (a, b) = (
                String::from_utf8_lossy(&files[name]).into_owned(),
                String::from_utf8_lossy(&bytes).into_owned(),
            );
            let line = a.lines().zip(b.lines()).position(|(x, y)| x != y);
            return Err(TestCaseError::fail(format!(
                "{name} differs between two runs at line {line:?}"
            )));
        }
    }
    Ok(Run { files, world })
}

// ----- reading the outputs by column name -----

type Row = HashMap<String, String>;

fn table(bytes: &[u8], name: &str) -> Result<Vec<Row>, TestCaseError> {
    csv::Reader::from_reader(bytes)
        .deserialize::<Row>()
        .collect::<Result<Vec<Row>, _>>()
        .map_err(|e| TestCaseError::fail(format!("{name}: {e}")))
}

fn cell<'a>(r: &'a Row, col: &str) -> &'a str {
    r.get(col)
        .map(String::as_str)
        .unwrap_or_else(|| panic!("no column {col}"))
}

fn num(r: &Row, col: &str) -> u64 {
    cell(r, col)
        .parse()
        .unwrap_or_else(|_| panic!("{col} = {:?} is not a count", cell(r, col)))
}

/// Milliseconds of a time cell (`12.345` → 12345); `None` when empty.
fn ms(r: &Row, col: &str) -> Option<u64> {
    let c = cell(r, col);
    if c.is_empty() {
        return None;
    }
    let (s, frac) = c
        .split_once('.')
        .unwrap_or_else(|| panic!("{col} = {c:?} has no decimals"));
    assert_eq!(frac.len(), 3, "{col} = {c:?}");
    Some(s.parse::<u64>().unwrap() * 1000 + frac.parse::<u64>().unwrap())
}

/// A time in µs as the files write it: milliseconds, rounded half up.
fn to_ms(t: SimTime) -> u64 {
    (t.0 + 500) / 1000
}

fn ipv4(s: &str) -> u32 {
    let o: Vec<u32> = s.split('.').map(|x| x.parse().unwrap()).collect();
    assert_eq!(o.len(), 4, "{s}");
    (o[0] << 24) | (o[1] << 16) | (o[2] << 8) | o[3]
}

// ----- what every run must satisfy -----

/// The pods each non-Poisson, non-trace workload creates over the run, derived from the
/// scenario: replica steps create the increases (from 0) of steps up to `duration` (the
/// run handles events at `duration` itself: a step then creates its pods in the final
/// sample); batches create `count` at `from`, `from + every`, … before `until`
/// (exclusive; by default the run's end) and no later than `duration`.
fn expected_created(sc: &Scenario) -> BTreeMap<String, u64> {
    let end = sc.duration.micros();
    let mut out = BTreeMap::new();
    for w in &sc.workloads {
        let n = match &w.source {
            WorkloadSource::Replicas => {
                let (mut now, mut made) = (0u64, 0u64);
                for &(at, r) in &w.steps {
                    if at.0 <= end {
                        made += u64::from(r).saturating_sub(now);
                        now = u64::from(r);
                    }
                }
                made
            }
            WorkloadSource::Churn(c) => match c.arrivals {
                Arrivals::Batches { every, count } => {
                    let (first, step) = (c.from.0, every.micros());
                    // the last instant a batch may come: before `until` (validated
                    // > `from` ≥ 0), and no later than the run's end, which the run
                    // handles; by default `until` is the end, exclusive
                    let last = match c.until {
                        Some(u) => (u.0 - 1).min(end),
                        None => end.saturating_sub(1),
                    };
                    let batches = if first <= last && (c.until.is_some() || end > 0) {
                        (last - first) / step + 1
                    } else {
                        0
                    };
                    batches * u64::from(count)
                }
                Arrivals::Poisson { .. } => continue,
            },
            WorkloadSource::Trace(_) => continue,
        };
        out.insert(w.name.clone(), n);
    }
    out
}

/// The trace pods a run shows: `(pod, workload, created ms, deleted ms)` for every create
/// row before `duration`, deleted by the pod's next delete row before `duration`; and the
/// names of the workloads the traces own.
#[allow(clippy::type_complexity)]
fn expected_trace_pods(
    sc: &Scenario,
) -> (HashSet<String>, Vec<(String, String, u64, Option<u64>)>) {
    let end = SimTime(sc.duration.micros());
    let (mut owners, mut out) = (HashSet::new(), Vec::new());
    for w in &sc.workloads {
        let WorkloadSource::Trace(trace) = &w.source else {
            continue;
        };
        owners.extend(trace.workloads.iter().cloned());
        let mut live: HashMap<u32, usize> = HashMap::new();
        for r in trace.rows.iter().filter(|r| r.at < end) {
            let pod = &trace.pods[r.pod as usize];
            match r.action {
                ipamsim::scenario::trace::TraceAction::Create => {
                    live.insert(r.pod, out.len());
                    let owner = trace.workloads[pod.workload as usize].clone();
                    out.push((pod.name.clone(), owner, to_ms(r.at), None));
                }
                ipamsim::scenario::trace::TraceAction::Delete => {
                    if let Some(k) = live.remove(&r.pod) {
                        out[k].3 = Some(to_ms(r.at));
                    }
                }
            }
        }
    }
    out.sort();
    (owners, out)
}

/// A node's primary subnet: `<group>-<n>` is in the group's subnets round-robin.
fn primary_subnet(sc: &Scenario, node: &str) -> usize {
    let (group, n) = node.rsplit_once('-').expect("node name <group>-<n>");
    let n: usize = n.parse().expect("node number");
    let g = sc
        .nodegroups
        .iter()
        .find(|g| g.name == group)
        .expect("node of a known group");
    g.subnets[(n - 1) % g.subnets.len()]
}

/// Every property of one run's outputs.
fn check_run(sc: &Scenario, run: &Run) -> Result<(), TestCaseError> {
    let f = &run.files;
    let timeline = table(&f["timeline.csv"], "timeline.csv")?;
    let nodes = table(&f["nodes.csv"], "nodes.csv")?;
    let pods = table(&f["pods.csv"], "pods.csv")?;
    let subnets = table(&f["subnets.csv"], "subnets.csv")?;
    let events = table(&f["events.csv"], "events.csv")?;
    let summary: serde_json::Value = serde_json::from_slice(&f["summary.json"])
        .map_err(|e| TestCaseError::fail(format!("summary.json: {e}")))?;
    let mem = &run.world.recorder().mem;

    // events.csv is in time order; each no_ip row names its pod's waits.csv cause at the
    // row's time (times are printed in ms: one of the intervals overlapping that ms); a
    // pod bound and failed at the instant its wait ends (deleted then, or the run's end)
    // has no interval on its node left to name
    let mut last = 0;
    for e in &events {
        let t = ms(e, "time_s").unwrap_or(0);
        ensure!(t >= last, "events.csv: a row at {t} ms after {last} ms");
        last = t;
        if cell(e, "kind") != "no_ip" {
            continue;
        }
        let (pod, cause) = (cell(e, "pod"), cell(e, "cause"));
        let ws: Vec<_> = mem
            .waits
            .iter()
            .filter(|w| w.pod == pod && to_ms(w.start) <= t && t <= to_ms(w.end))
            .collect();
        if ws.iter().all(|w| w.node.is_none() && to_ms(w.end) == t) {
            continue;
        }
        ensure!(
            ws.iter().any(|w| w.cause.word() == cause),
            "no_ip of {pod} at {t} ms says {cause}, waits.csv {ws:?}"
        );
    }

    // Samples at 0, every interval before `duration`, and at `duration`:
    // ceil(duration / interval) + 1 rows.
    let (d, i) = (sc.duration.micros(), sc.sample_interval.micros());
    let mut want: Vec<u64> = (0..d.div_ceil(i)).map(|k| to_ms(SimTime(k * i))).collect();
    want.push(to_ms(SimTime(d)));
    let got: Vec<u64> = timeline.iter().map(|r| ms(r, "time_s").unwrap()).collect();
    ensure!(got == want, "timeline times {got:?}, expected {want:?}");

    // Cluster rows.
    let groups_use_prefixes: Vec<bool> = sc
        .nodegroups
        .iter()
        .map(|g| {
            sc.cni.enable_prefix_delegation
                && catalog::lookup(&g.instance_type.name)
                    .is_some_and(|t| t.supports_prefix_delegation())
        })
        .collect();
    let mut last_calls = (0, 0);
    for r in &timeline {
        let t = cell(r, "time_s");
        let total = num(r, "pods_total");
        let parts =
            num(r, "pods_running") + num(r, "pods_unschedulable") + num(r, "pods_waiting_ip");
        ensure!(
            total == parts,
            "t={t}: pods_total {total} != running + unschedulable + waiting {parts}"
        );
        let (held, assigned) = (num(r, "ips_total"), num(r, "ips_assigned"));
        ensure!(assigned <= held, "t={t}: assigned {assigned} > held {held}");
        ensure!(
            num(r, "ips_available") == held - assigned,
            "t={t}: available != total - assigned"
        );
        ensure!(
            num(r, "ips_cooldown") <= held - assigned,
            "t={t}: cooling IPs are not free ones"
        );
        if sc.ipam.calico() {
            // Calico: no ENI, no /28; addresses are the pool's
            ensure!(
                num(r, "prefixes") == 0 && num(r, "enis") == 0,
                "t={t}: ENIs or /28 prefixes with Calico"
            );
        } else if sc.cni.enable_ipv6 {
            // IPv6 mode: the addresses of each node's /80 in ipamd's map, no /28s
            ensure!(num(r, "prefixes") == 0, "t={t}: /28 prefixes in IPv6 mode");
        } else if groups_use_prefixes.iter().all(|&p| p) {
            ensure!(
                held == 16 * num(r, "prefixes"),
                "t={t}: prefix mode holds 16 per prefix"
            );
        } else if groups_use_prefixes.iter().all(|&p| !p) {
            ensure!(
                num(r, "prefixes") == 0,
                "t={t}: prefixes in secondary-IP mode"
            );
        }
        let calls = (num(r, "ec2_calls"), num(r, "ec2_throttled"));
        ensure!(
            calls.1 <= calls.0 && calls.0 >= last_calls.0 && calls.1 >= last_calls.1,
            "t={t}: EC2 counters {calls:?} after {last_calls:?}"
        );
        last_calls = calls;
    }

    // nodes.csv and subnets.csv sum to the timeline at every sample time.
    let mut by_time: BTreeMap<&str, Vec<&Row>> = BTreeMap::new();
    for r in &nodes {
        by_time.entry(cell(r, "time_s")).or_default().push(r);
    }
    let mut subnets_at: BTreeMap<&str, Vec<&Row>> = BTreeMap::new();
    for r in &subnets {
        subnets_at.entry(cell(r, "time_s")).or_default().push(r);
    }
    let times: HashSet<&str> = timeline.iter().map(|r| cell(r, "time_s")).collect();
    ensure!(
        by_time.keys().all(|t| times.contains(t)),
        "nodes.csv has a time the timeline has not"
    );
    ensure!(
        subnets_at.keys().all(|t| times.contains(t)),
        "subnets.csv has a time the timeline has not"
    );
    let max_cards: u64 = if sc.cni.enable_multi_nic {
        sc.nodegroups
            .iter()
            .map(|g| g.instance_type.cards() as u64)
            .max()
            .unwrap_or(1)
    } else {
        1
    };
    let max_pods: HashMap<&str, u32> = sc
        .nodegroups
        .iter()
        .map(|g| (g.name.as_str(), g.max_pods))
        .collect();
    for r in &timeline {
        let t = cell(r, "time_s");
        let rows = by_time.get(t).map(Vec::as_slice).unwrap_or(&[]);
        ensure!(
            rows.len() as u64 == num(r, "nodes"),
            "t={t}: {} node rows for {} nodes",
            rows.len(),
            num(r, "nodes")
        );
        let names: HashSet<&str> = rows.iter().map(|n| cell(n, "node")).collect();
        ensure!(
            names.len() == rows.len(),
            "t={t}: a node twice in nodes.csv"
        );
        for col in [
            "enis",
            "ips_total",
            "ips_assigned",
            "ips_cooldown",
            "ips_available",
            "prefixes",
        ] {
            let sum: u64 = rows.iter().map(|n| num(n, col)).sum();
            ensure!(
                sum == num(r, col),
                "t={t}: nodes.csv {col} sums to {sum}, timeline {}",
                num(r, col)
            );
        }
        let bound: u64 = rows.iter().map(|n| num(n, "pods")).sum();
        let on_nodes = num(r, "pods_running") + num(r, "pods_waiting_ip");
        ensure!(
            bound == on_nodes,
            "t={t}: {bound} pods bound, {on_nodes} running or waiting"
        );
        for n in rows {
            let cap = max_pods[cell(n, "nodegroup")];
            ensure!(
                num(n, "pods") <= u64::from(cap),
                "t={t}: {} holds {} pods, max {cap}",
                cell(n, "node"),
                num(n, "pods")
            );
            ensure!(
                num(n, "ips_available") == num(n, "ips_total") - num(n, "ips_assigned"),
                "t={t}: node available"
            );
            // a multi-homed pod on a multi-card node holds one address per card
            ensure!(
                num(n, "ips_assigned") <= num(n, "pods") * max_cards,
                "t={t}: more IPs assigned than pods bound"
            );
        }
        let srows = subnets_at.get(t).map(Vec::as_slice).unwrap_or(&[]);
        ensure!(
            srows.len() == sc.subnets.len(),
            "t={t}: {} subnet rows",
            srows.len()
        );
        let free: u64 = srows.iter().map(|s| num(s, "free_ips")).sum();
        ensure!(
            free == num(r, "subnet_free_ips"),
            "t={t}: subnets.csv free {free}, timeline {}",
            num(r, "subnet_free_ips")
        );
        for s in srows {
            ensure!(
                16 * num(s, "free_prefix_blocks") <= num(s, "free_ips"),
                "t={t}: free /28 blocks need free addresses"
            );
        }
    }

    // pods.csv: every pod once, the right number per workload and DaemonSet.
    // (A trace may create a name again after its delete, and its names are not checked
    // against other traces: its pods are compared with its rows below.)
    let (owners, want) = expected_trace_pods(sc);
    let mut names = HashSet::new();
    for p in pods
        .iter()
        .filter(|p| !owners.contains(cell(p, "workload")))
    {
        ensure!(
            names.insert(cell(p, "pod")),
            "pod {} appears twice in pods.csv",
            cell(p, "pod")
        );
    }
    ensure!(
        summary["pods"]["created"].as_u64() == Some(pods.len() as u64),
        "summary pods.created {} != {} rows of pods.csv",
        summary["pods"]["created"],
        pods.len()
    );
    let mut per_owner: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for p in &pods {
        per_owner
            .entry(cell(p, "workload"))
            .or_default()
            .push(cell(p, "pod"));
    }
    for (w, n) in expected_created(sc) {
        let got = per_owner.get(w.as_str()).map(Vec::as_slice).unwrap_or(&[]);
        ensure!(
            got.len() as u64 == n,
            "workload {w}: {} pods created, expected {n}",
            got.len()
        );
        let mut want: Vec<String> = (1..=n).map(|k| format!("{w}-{k}")).collect();
        let mut have: Vec<String> = got.iter().map(|s| s.to_string()).collect();
        want.sort();
        have.sort();
        ensure!(have == want, "workload {w}: pods are not {w}-1 … {w}-{n}");
    }
    // A trace's pods are exactly its rows: names, workloads, create and delete times.
    let mut got: Vec<(String, String, u64, Option<u64>)> = pods
        .iter()
        .filter(|p| owners.contains(cell(p, "workload")))
        .map(|p| {
            (
                cell(p, "pod").to_string(),
                cell(p, "workload").to_string(),
                ms(p, "created_s").unwrap(),
                ms(p, "deleted_s"),
            )
        })
        .collect();
    got.sort();
    ensure!(got == want, "trace pods {got:?}, the trace says {want:?}");
    // A churn pod lives its drawn lifetime: exactly a fixed one, within a uniform one's
    // bounds (±1 ms: both times are rounded), or to the end.
    let end_ms = to_ms(SimTime(d));
    for w in &sc.workloads {
        let WorkloadSource::Churn(c) = &w.source else {
            continue;
        };
        let (lo, hi) = match c.lifetime {
            Lifetime::Fixed(l) => (l, l),
            Lifetime::Uniform { min, max } => (min, max),
            _ => (SimDuration(0), SimDuration(u64::MAX / 2)),
        };
        let (lo, hi) = ((lo.micros() + 500) / 1000, (hi.micros() + 500) / 1000);
        for p in per_owner
            .get(w.name.as_str())
            .map(Vec::as_slice)
            .unwrap_or(&[])
        {
            let row = pods.iter().find(|r| cell(r, "pod") == *p).expect("listed");
            let born = ms(row, "created_s").unwrap();
            match ms(row, "deleted_s") {
                Some(gone) => ensure!(
                    gone + 1 >= born + lo && gone <= born + hi + 1,
                    "{p}: lived {} ms, lifetime {lo}..={hi} ms",
                    gone - born
                ),
                None => ensure!(
                    born.saturating_add(hi) + 1 >= end_ms,
                    "{p}: alive at the end, born at {born} ms with a lifetime of at most {hi} ms"
                ),
            }
        }
    }
    let node_names: HashSet<&str> = nodes.iter().map(|n| cell(n, "node")).collect();
    for ds in &sc.daemonsets {
        let mut got: Vec<String> = per_owner
            .get(ds.name.as_str())
            .map(|v| v.iter().map(|s| s.to_string()).collect())
            .unwrap_or_default();
        let mut want: Vec<String> = node_names
            .iter()
            .map(|n| format!("{}-{n}", ds.name))
            .collect();
        got.sort();
        want.sort();
        ensure!(got == want, "DaemonSet {}: one pod per node", ds.name);
    }
    let states = |s: &str| pods.iter().filter(|p| cell(p, "final_state") == s).count() as u64;
    let last = timeline.last().expect("a final row");
    for (key, state, col) in [
        ("running_at_end", "running", "pods_running"),
        (
            "unschedulable_at_end",
            "unschedulable",
            "pods_unschedulable",
        ),
        ("waiting_ip_at_end", "waiting_ip", "pods_waiting_ip"),
    ] {
        ensure!(
            states(state) == num(last, col),
            "{state} pods at the end: pods.csv {} vs timeline {}",
            states(state),
            num(last, col)
        );
        ensure!(
            summary["pods"][key].as_u64() == Some(num(last, col)),
            "summary pods.{key}"
        );
    }
    ensure!(
        summary["pods"]["deleted"].as_u64() == Some(states("deleted")),
        "summary pods.deleted"
    );

    // Each pod's life in order; its IP inside a subnet its node may use, not reserved by
    // AWS, not taken at t = 0, never in a prefix reservation when it is a secondary IP.
    let cn = sc.cni.custom_network_cfg;
    for p in &pods {
        let name = cell(p, "pod");
        let times: Vec<Option<u64>> = ["created_s", "scheduled_s", "ip_assigned_s", "deleted_s"]
            .iter()
            .map(|c| ms(p, c))
            .collect();
        let present: Vec<u64> = times.iter().flatten().copied().collect();
        ensure!(
            present.windows(2).all(|w| w[0] <= w[1]),
            "{name}: times out of order {times:?}"
        );
        ensure!(
            present.iter().all(|&t| t <= to_ms(SimTime(d))),
            "{name}: a time after the end"
        );
        let state = cell(p, "final_state");
        ensure!(
            (state == "deleted") == times[3].is_some(),
            "{name}: {state} with deleted_s {:?}",
            times[3]
        );
        match state {
            "running" => ensure!(times[2].is_some(), "{name}: running without ip_assigned_s"),
            "waiting_ip" => ensure!(
                times[1].is_some() && times[2].is_none(),
                "{name}: waiting_ip"
            ),
            "unschedulable" => ensure!(times[1].is_none(), "{name}: unschedulable but bound"),
            "deleted" => {}
            other => ensure!(false, "{name}: final_state {other}"),
        }
        let host = cell(p, "host_network") == "true";
        let ip = cell(p, "ip");
        ensure!(
            !host || ip.is_empty(),
            "{name}: host-network pod with IP {ip}"
        );
        ensure!(
            host || ip.is_empty() == times[2].is_none(),
            "{name}: ip {ip:?} vs ip_assigned_s {:?}",
            times[2]
        );
        if ip.is_empty() {
            continue;
        }
        if sc.ipam.calico() {
            let pool = sc.ipam.pool;
            let a = ipv4(ip);
            ensure!(
                a >> (32 - pool.prefix_len) == pool.base >> (32 - pool.prefix_len),
                "{name}: {ip} outside the Calico pool {pool}"
            );
            continue;
        }
        if sc.cni.enable_ipv6 {
            // inside the /64 of the node's subnet (the /80 is checked at the end)
            let a = u128::from(
                ip.parse::<std::net::Ipv6Addr>()
                    .map_err(|_| TestCaseError::fail(format!("{name}: {ip} is not IPv6")))?,
            );
            let own = &sc.subnets[primary_subnet(sc, cell(p, "node"))];
            ensure!(
                own.ipv6_cidr.is_some_and(|b| a >> 64 == b >> 64),
                "{name}: {ip} outside its subnet's /64"
            );
            continue;
        }
        let a = ipv4(ip);
        let node = cell(p, "node");
        let own = primary_subnet(sc, node);
        let az = &sc.subnets[own].az;
        let allowed: Vec<usize> = if cn {
            sc.eniconfigs
                .iter()
                .filter(|e| &e.az == az)
                .map(|e| e.subnet)
                .collect()
        } else if sc.cni.enable_subnet_discovery {
            // the subnets discovery allows (the node's own only if not excluded: an
            // excluded primary ENI holds no pod IPs); branch ENIs of security groups for
            // pods use the node's own subnet whatever its tags
            let cluster = sc.cni.cluster_name.as_str();
            (0..sc.subnets.len())
                .filter(|&s| {
                    (s == own && sc.cni.enable_pod_eni)
                        || (&sc.subnets[s].az == az
                            && discovery::valid_for_eni(
                                discovery::Tags::of(&sc.subnets[s]),
                                s == own,
                                cluster,
                            ))
                })
                .collect()
        } else {
            vec![own]
        };
        let Some(&s) = allowed.iter().find(|&&s| {
            let c = sc.subnets[s].cidr;
            a >> (32 - c.prefix_len) == c.base >> (32 - c.prefix_len)
        }) else {
            return Err(TestCaseError::fail(format!(
                "{name} on {node}: {ip} is in none of its node's subnets"
            )));
        };
        let spec = &sc.subnets[s];
        let size = 1u32 << (32 - spec.cidr.prefix_len);
        let off = a - spec.cidr.base;
        ensure!(
            off > 3 && off < size - 1,
            "{name}: {ip} is AWS-reserved in {}",
            spec.name
        );
        if let UsedSpec::Ranges(ranges) = &spec.used {
            ensure!(
                !ranges.iter().any(|&(lo, hi)| lo <= a && a <= hi),
                "{name}: {ip} is in {}'s used range",
                spec.name
            );
        }
        let group = sc
            .nodegroups
            .iter()
            .position(|g| node.rsplit_once('-').is_some_and(|(n, _)| n == g.name));
        let secondary = group.is_some_and(|g| !groups_use_prefixes[g]);
        if secondary {
            ensure!(
                !spec
                    .reservations
                    .iter()
                    .any(|r| a >> (32 - r.prefix_len) == r.base >> (32 - r.prefix_len)),
                "{name}: secondary IP {ip} inside a prefix reservation"
            );
        }
    }

    // the workload names (a trace's own) of the pods a SecurityGroupPolicy selects
    let mut selected: HashSet<&str> = HashSet::new();
    for w in sc.workloads.iter().filter(|w| w.security_group_policy) {
        match &w.source {
            WorkloadSource::Trace(t) => selected.extend(t.workloads.iter().map(String::as_str)),
            _ => {
                selected.insert(w.name.as_str());
            }
        }
    }
    // the workload names of multi-homed pods, and the cards each then holds an address on
    let mut homed_workloads: HashSet<&str> = HashSet::new();
    for w in sc.workloads.iter().filter(|w| w.multi_nic) {
        match &w.source {
            WorkloadSource::Trace(t) => {
                homed_workloads.extend(t.workloads.iter().map(String::as_str))
            }
            _ => {
                homed_workloads.insert(w.name.as_str());
            }
        }
    }
    // (a mutated scenario may have no node group left: its nodes come from elsewhere)
    let cards = if sc.cni.enable_multi_nic {
        sc.nodegroups
            .iter()
            .map(|g| g.instance_type.cards() as u32)
            .max()
            .unwrap_or(1)
    } else {
        1
    };
    // No address held by two pods at once, and a released address cools for
    // IP_COOLDOWN_PERIOD before another pod gets it, unless it left the releasing node's
    // datastore in between: a decrease or ENI free (which release cooling addresses too,
    // model.md §c.11), a failed release and its reconcile, an aws-node restart (which
    // re-adopts every ENI as new), or the node's removal by scale-down.
    const LEAVES: [&str; 8] = [
        "scale_down",
        "unassign_ips",
        "unassign_prefixes",
        "free_eni",
        "release_failed",
        "reconcile",
        "eni_adopted",
        "aws_node_restart",
    ];
    let mut restarts: HashMap<&str, Vec<u64>> = HashMap::new();
    for e in &events {
        if LEAVES.contains(&cell(e, "kind")) {
            restarts
                .entry(cell(e, "node"))
                .or_default()
                .push(ms(e, "time_s").unwrap());
        }
    }
    // per address: (from ms, until ms, pod, node, a branch ENI's)
    type Holder<'a> = (u64, u64, &'a str, &'a str, bool);
    let mut by_ip: HashMap<&str, Vec<Holder>> = HashMap::new();
    for p in &pods {
        if let (false, Some(from)) = (cell(p, "ip").is_empty(), ms(p, "ip_assigned_s")) {
            let until = ms(p, "deleted_s").unwrap_or(u64::MAX);
            by_ip.entry(cell(p, "ip")).or_default().push((
                from,
                until,
                cell(p, "pod"),
                cell(p, "node"),
                selected.contains(cell(p, "workload")),
            ));
        }
    }
    // Calico has no cooldown: a freed address may go to the next pod at once
    let cooldown_s = if sc.ipam.calico() {
        0
    } else {
        sc.cni.ip_cooldown_period_s
    };
    let cooldown_ms = u64::try_from(cooldown_s.max(0))
        .unwrap_or(0)
        .saturating_mul(1000);
    for (ip, mut holders) in by_ip {
        holders.sort();
        for w in holders.windows(2) {
            let ((_, end, a, node, branch), (start, _, b, _, _)) = (w[0], w[1]);
            ensure!(
                end <= start,
                "{ip} held by {a} until {end} ms and by {b} from {start} ms"
            );
            let removed = restarts
                .get(node)
                .is_some_and(|ts| ts.iter().any(|&t| end <= t && t <= start));
            if branch {
                // a branch ENI's address comes back to the subnet only when the branch is
                // deleted, after its cooldown (or with its node)
                let cool = sc.resource_controller.branch_eni_cooldown.micros() / 1000;
                ensure!(removed || start + 1 >= end.saturating_add(cool),
                    "{ip}: branch of {a} deleted at {end} ms, given to {b} at {start} ms, within the {cool} ms branch cooldown");
                continue;
            }
            let left = removed;
            // ±1 ms: both times are rounded to the millisecond
            ensure!(left || start + 1 >= end.saturating_add(cooldown_ms),
                "{ip}: released by {a} at {end} ms, given to {b} at {start} ms, within the {cooldown_ms} ms cooldown");
        }
    }

    // Exact times: every sample counts exactly the pods alive, running, waiting and
    // unschedulable then, and ipamd assigns exactly one address per running pod-network pod
    // (but those with a branch ENI).
    ensure!(
        mem.timeline.len() == timeline.len(),
        "timeline rows in memory and on disk"
    );
    for row in &mem.timeline {
        let t = row.time;
        let (mut counted, mut holding) = ([0u32; 4], 0u32);
        for p in &mem.pods {
            if p.created > t || p.deleted.is_some_and(|x| x <= t) {
                continue;
            }
            let got_ip = p.ip_assigned.is_some_and(|x| x <= t);
            let bound = p.scheduled.is_some_and(|x| x <= t);
            counted[0] += 1;
            if got_ip {
                counted[1] += 1;
                // a pod selected for security groups holds its branch ENI's address, not
                // one of ipamd's
                let branch = selected.contains(p.workload.as_str());
                // a multi-homed pod on a multi-card node holds one address per card
                let addresses = if homed_workloads.contains(p.workload.as_str()) {
                    cards
                } else {
                    1
                };
                holding += u32::from(!p.host_network && !branch) * addresses;
            } else if bound {
                counted[2] += 1;
            } else {
                counted[3] += 1;
            }
        }
        let sampled = [
            row.pods_total,
            row.pods_running,
            row.pods_waiting_ip,
            row.pods_unschedulable,
        ];
        ensure!(
            counted == sampled && holding == row.ips_assigned,
            "t={t:?}: pods (total, running, waiting, unschedulable) {counted:?} and {holding} holding an IP, sampled {sampled:?} and {} assigned",
            row.ips_assigned
        );
    }
    ensure!(
        mem.pods
            .iter()
            .all(|p| p.state != PodState::Deleted || p.deleted.is_some()),
        "deleted without a time"
    );

    check_waits(sc, &run.world)?;
    if sc.ipam.calico() {
        return check_calico(sc, run, &timeline);
    }
    check_datastores(&run.world)
}

/// Calico: blocks.csv rows add up (in use + free = the block's size), at the timeline's
/// times, and the addresses in use over the blocks are the timeline's assigned ones; no
/// node holds more than 20 blocks; at the end each block's in-use count is the pods
/// holding one of its addresses; the subnets lose only the nodes' primaries.
fn check_calico(sc: &Scenario, run: &Run, timeline: &[Row]) -> Result<(), TestCaseError> {
    let size = sc.ipam.block_addresses();
    let blocks = table(&run.files["blocks.csv"], "blocks.csv")?;
    let mut in_use: BTreeMap<&str, u64> = BTreeMap::new();
    let mut per_node: BTreeMap<(&str, &str), u32> = BTreeMap::new();
    for b in &blocks {
        let t = cell(b, "time_s");
        ensure!(
            num(b, "in_use") + num(b, "free") == u64::from(size),
            "t={t}: block {} in use + free != {size}",
            cell(b, "block")
        );
        *in_use.entry(t).or_default() += num(b, "in_use");
        if !cell(b, "node").is_empty() {
            *per_node.entry((t, cell(b, "node"))).or_default() += 1;
        }
    }
    ensure!(
        per_node.values().all(|&n| n <= 20),
        "a node holds more than 20 blocks"
    );
    for r in timeline {
        let t = cell(r, "time_s");
        let used = in_use.get(t).copied().unwrap_or(0);
        ensure!(
            used == num(r, "ips_assigned"),
            "t={t}: blocks hold {used} addresses in use, timeline ips_assigned {}",
            num(r, "ips_assigned")
        );
    }
    let w = &run.world;
    let c = w.calico().expect("a Calico run");
    let mut seen = HashSet::new();
    let mut by_block: BTreeMap<u32, u32> = BTreeMap::new();
    let shift = 32 - u32::from(sc.ipam.block_size);
    for p in w.pods() {
        if let Some(Lease {
            addr: Leased::V4(Ipv4(a)),
            ..
        }) = p.ip
        {
            ensure!(seen.insert(a), "{a:#x} held by two pods");
            let index = a
                .wrapping_sub(sc.ipam.pool.base)
                .checked_shr(shift)
                .unwrap_or(0);
            *by_block.entry(index).or_default() += 1;
        }
    }
    for (index, b) in c.pool.blocks() {
        let held = by_block.remove(&index).unwrap_or(0);
        ensure!(
            held == b.in_use,
            "block {}: {} in use, {held} pods hold one",
            c.pool.block_cidr(index),
            b.in_use
        );
    }
    ensure!(
        by_block.is_empty(),
        "pods hold addresses of unclaimed blocks"
    );
    let primaries = w
        .node_views()
        .filter(|n| !n.removed && n.primary_ip.is_some())
        .count() as u64;
    ensure!(
        w.totals().last_row.subnet_free_ips + primaries == w.totals().subnet_free_before,
        "subnets: {} free at the end, {} before, {primaries} nodes' primaries",
        w.totals().last_row.subnet_free_ips,
        w.totals().subnet_free_before
    );
    Ok(())
}

/// Every pod's wait intervals are contiguous and cover exactly [created, end of wait): its
/// IP (its binding, on host network), its deletion, or the end of the run; unschedulable
/// intervals name no node, the others the pod's node; a bound pod's causes are never
/// `unschedulable`, an unbound one's always are; the totals by cause are their sums.
fn check_waits(sc: &Scenario, w: &World<Tee>) -> Result<(), TestCaseError> {
    let mem = &w.recorder().mem;
    let end = SimTime(sc.duration.micros());
    let mut by_pod: HashMap<(&str, SimTime), Vec<_>> = HashMap::new();
    // a pod's rows come together; a trace may create a name again, so key by creation
    let created: HashMap<&str, Vec<SimTime>> = mem.pods.iter().fold(HashMap::new(), |mut m, p| {
        m.entry(p.name.as_str()).or_default().push(p.created);
        m
    });
    for x in &mem.waits {
        let starts = &created[x.pod.as_str()];
        let c = starts
            .iter()
            .copied()
            .filter(|&c| c <= x.start)
            .max()
            .ok_or_else(|| TestCaseError::fail(format!("wait before creation: {x:?}")))?;
        by_pod.entry((x.pod.as_str(), c)).or_default().push(x);
    }
    let mut sums = [0u64; WaitCause::ALL.len()];
    for p in &mem.pods {
        let ran = if p.host_network {
            p.scheduled
        } else {
            p.ip_assigned
        };
        let stop = ran.or(p.deleted).unwrap_or(end);
        let Some(ws) = by_pod.get(&(p.name.as_str(), p.created)) else {
            ensure!(p.created == stop, "{} waited with no interval", p.name);
            continue;
        };
        ensure!(
            ws[0].start == p.created,
            "{}: first interval starts late",
            p.name
        );
        ensure!(
            ws[ws.len() - 1].end == stop,
            "{}: last interval ends wrong",
            p.name
        );
        for pair in ws.windows(2) {
            ensure!(pair[0].end == pair[1].start, "{}: a gap", p.name);
        }
        for x in ws {
            ensure!(x.end > x.start, "empty interval {x:?}");
            let unscheduled = x.cause == WaitCause::Unschedulable;
            ensure!(unscheduled == x.node.is_none(), "{x:?}");
            ensure!(unscheduled || x.node == p.node, "{x:?} not on {:?}", p.node);
            sums[x.cause.index()] += x.end.micros() - x.start.micros();
        }
    }
    for c in WaitCause::ALL {
        ensure!(
            w.kube().totals.waits.us[c.index()] == sums[c.index()],
            "{c:?}: totals {} vs intervals {}",
            w.kube().totals.waits.us[c.index()],
            sums[c.index()]
        );
    }
    Ok(())
}

/// At the end: every address a datastore holds is unique, inside its ENI's subnet and used
/// there; prefixes aligned; each assigned slot's pod holds exactly that address on that
/// node, and every pod with an address is in a slot.
fn check_datastores(w: &World<Tee>) -> Result<(), TestCaseError> {
    if w.scenario().cni.enable_ipv6 {
        // IPv6 mode: each pod's address lies in its node's /80, no two pods share one
        let mut seen = HashSet::new();
        for p in w.pods() {
            let (Some(ip), Some(node)) = (p.ip, p.node) else {
                continue;
            };
            let n = w.node(node.index());
            let prefix = n.ipamd.ipv6_prefix();
            let ipamsim::model::record::PodAddr::V6(a) = n.ipamd.address(ip) else {
                return Err(TestCaseError::fail("an IPv4 address in IPv6 mode"));
            };
            ensure!(
                prefix.is_some_and(|b| a >> 48 == b >> 48),
                "{a:#x} outside its /80"
            );
            ensure!(seen.insert(a), "{a:#x} held by two pods");
        }
        return Ok(());
    }
    let mut seen = HashSet::new();
    let mut pod_ips = HashSet::new();
    for (ni, n) in w.node_views().enumerate() {
        let ip = n.ipamd;
        let it =
            &w.scenario().nodegroups[w.nodes().get(NodeId(ni as u32)).group.index()].instance_type;
        let homed = ip.homed();
        // multi-homed pods on several cards: each holds one address on every card
        for (pod, _) in homed {
            let extra = homed.iter().filter(|(q, _)| q == pod).count();
            ensure!(
                extra + 1 == usize::from(ip.card_count()),
                "a multi-homed pod holds {} addresses on {} cards",
                extra + 1,
                ip.card_count()
            );
        }
        for (card, ds) in ip.datastores() {
            ensure!(
                usize::from(card) < it.cards(),
                "card {card} on a type with {} cards",
                it.cards()
            );
            ensure!(
                ds.enis().len() as u32 <= it.network_cards[usize::from(card)],
                "card {card} holds {} ENIs, its limit is {}",
                ds.enis().len(),
                it.network_cards[usize::from(card)]
            );
            for e in ds.enis() {
                let subnet = &w.subnets()[e.subnet.index()];
                let addrs = e.addresses();
                for a in addrs {
                    ensure!(seen.insert(a), "{a:#x} held twice at the end");
                    ensure!(
                        subnet.contains(a) && subnet.is_used(a),
                        "{a:#x} not used in its ENI's subnet"
                    );
                }
                for p in &e.prefixes {
                    ensure!(p.base % 16 == 0, "prefix {:#x} not aligned", p.base);
                }
                for s in e.slots() {
                    if let Some(pod) = s.pod() {
                        let p = &w.pods()[pod.index()];
                        let extra = homed.iter().any(|(q, h)| {
                            *q == pod && h.card == card && h.eni == e.id && h.addr == s.addr
                        });
                        ensure!(
                            p.ip == Some(Lease::v4(Some(e.id), Ipv4(s.addr)))
                                || (extra && p.multi_nic),
                            "slot and pod disagree on {:#x}",
                            s.addr
                        );
                        ensure!(
                            p.node == Some(NodeId(ni as u32)),
                            "a pod's slot on another node"
                        );
                        ensure!(pod_ips.insert(s.addr), "{:#x} in two slots", s.addr);
                    }
                }
            }
        }
    }
    // security groups for pods: the trunks' and branches' addresses are the controller's,
    // in the node's subnet and nobody else's
    for (ni, n) in w.controller().nodes.iter().enumerate() {
        let subnet = &w.subnets()[n.subnet.index()];
        let trunk = match n.trunk {
            ipamsim::model::podeni::Trunk::Attaching { addr, .. }
            | ipamsim::model::podeni::Trunk::AttachSent { addr }
            | ipamsim::model::podeni::Trunk::Attached { addr } => Some(addr),
            _ => None,
        };
        let cooling = n.cooling.iter().map(|c| c.addr);
        for a in trunk.into_iter().chain(cooling) {
            ensure!(
                seen.insert(a),
                "{a:#x} (node {ni}'s trunk or cooling branch) held twice"
            );
            ensure!(
                subnet.is_used(a),
                "{a:#x} of a trunk or branch not used in its subnet"
            );
        }
    }
    for p in w.pods() {
        if p.pod_eni && p.state != PodState::Deleted {
            let branch = p.branch.map(|b| b.lease);
            ensure!(
                p.ip.is_none() || p.ip == branch,
                "a pod with a pod ENI holds {:?}, not its branch {branch:?}",
                p.ip
            );
            if let (
                Some(Lease {
                    addr: Leased::V4(Ipv4(a)),
                    ..
                }),
                Some(node),
            ) = (branch, p.node)
            {
                let subnet = &w.subnets()[w.controller().nodes[node.index()].subnet.index()];
                ensure!(seen.insert(a), "branch address {a:#x} held twice");
                ensure!(
                    subnet.is_used(a),
                    "branch address {a:#x} not used in its subnet"
                );
            }
            continue;
        }
        if p.pod_eni {
            continue; // deleted: its branch is cooling (counted above) or deleted
        }
        if let Some(Lease {
            addr: Leased::V4(Ipv4(a)),
            ..
        }) = p.ip
        {
            ensure!(
                pod_ips.contains(&a),
                "a pod's IP {a:#x} is in no datastore slot"
            );
        }
    }
    Ok(())
}

#[test]
fn generated_scenarios_keep_the_invariants_and_are_deterministic() {
    check_all(runner(512, 64, 1), gen(), Gen::show, |g| {
        let yaml = g.yaml();
        let dir = common::fresh_dir(
            "props-traces",
            &DIRS.fetch_add(1, Ordering::Relaxed).to_string(),
        );
        for (name, csv) in g.traces() {
            std::fs::write(dir.join(name), csv).map_err(|e| TestCaseError::fail(e.to_string()))?;
        }
        let parsed = scenario::parse_in_dir(&yaml, "generated.yaml", &dir);
        let _ = std::fs::remove_dir_all(&dir);
        let sc = match parsed {
            Ok(sc) => sc,
            Err(e) => {
                return Err(TestCaseError::fail(format!(
                    "generated scenario is invalid:\n{e}"
                )))
            }
        };
        let run = run_twice(&sc, "generated")?;
        check_run(&sc, &run)
    });
}

// ----- mutated shipped scenarios -----

/// Values that stress every reader: signs, overflow, floats, empty and structured values,
/// aliases and tags, control characters, bidirectional overrides, huge names.
const TOKENS: &[&str] = &[
    "-1",
    "0",
    "1e400",
    "-1e400",
    "\"\"",
    "''",
    "[]",
    "{}",
    "~",
    "4294967295",
    "4294967296",
    "18446744073709551616",
    "99999999999999999999999999",
    "9223372036854775807",
    "0.5",
    "2.0",
    "1e3",
    ".nan",
    "-.inf",
    "true",
    "\"ü☃𝄞\"",
    "\"\\e[2J\"",
    "\"a\\nb\"",
    "\u{202e}x",
    "\u{1b}[2J",
    "\u{0}",
    "\u{7f}",
    "\t",
    "\u{feff}",
    "&a x",
    "*a",
    "*nope",
    "!!binary aGk=",
    "!foo 1",
    "<<: 5",
    "? x",
    "- -",
    "[[[[",
    "}",
    "'",
    "\"",
    "5e-324/s",
    "1e-310/s",
    "1us",
    "10m10m",
    "100000h",
    "-5s",
    "{every: 1us, count: 4294967295}",
    "{rate: 1000000/s}",
    "---",
    "#",
    "HUGE",
];

/// A long name: bounded hints and lengths, not quadratic work.
fn token(i: usize) -> String {
    match TOKENS[i] {
        "HUGE" => "n".repeat(70_000),
        t => t.to_string(),
    }
}

#[derive(Clone, Debug)]
enum Mutation {
    DeleteLine(Index),
    DuplicateLine(Index),
    SwapChars(Index),
    /// Replace the value after `key: ` (or `- `) of a line, or append the token.
    ReplaceValue(Index, usize),
    Insert(Index, usize),
    Truncate(Index),
    Indent(Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let tok = 0..TOKENS.len();
    prop_oneof![
        1 => any::<Index>().prop_map(Mutation::DeleteLine),
        1 => any::<Index>().prop_map(Mutation::DuplicateLine),
        1 => any::<Index>().prop_map(Mutation::SwapChars),
        4 => (any::<Index>(), tok.clone()).prop_map(|(i, t)| Mutation::ReplaceValue(i, t)),
        1 => (any::<Index>(), tok).prop_map(|(i, t)| Mutation::Insert(i, t)),
        1 => any::<Index>().prop_map(Mutation::Truncate),
        1 => any::<Index>().prop_map(Mutation::Indent),
    ]
}

fn apply(text: &str, m: &Mutation) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let chars: Vec<char> = text.chars().collect();
    let join = |lines: Vec<String>| lines.join("\n") + "\n";
    if lines.is_empty() || chars.is_empty() {
        return match m {
            Mutation::Insert(_, t) | Mutation::ReplaceValue(_, t) => token(*t),
            _ => String::new(),
        };
    }
    match m {
        Mutation::DeleteLine(i) => {
            lines.remove(i.index(lines.len()));
            join(lines)
        }
        Mutation::DuplicateLine(i) => {
            let k = i.index(lines.len());
            lines.insert(k, lines[k].clone());
            join(lines)
        }
        Mutation::SwapChars(i) => {
            let mut c = chars;
            let k = i.index(c.len());
            let j = (k + 1) % c.len();
            c.swap(k, j);
            c.into_iter().collect()
        }
        Mutation::ReplaceValue(i, t) => {
            let k = i.index(lines.len());
            let l = &lines[k];
            let cut = l
                .find(": ")
                .map(|p| p + 2)
                .or_else(|| l.find("- ").map(|p| p + 2));
            lines[k] = match cut {
                Some(p) => format!("{}{}", &l[..p], token(*t)),
                None => format!("{l} {}", token(*t)),
            };
            join(lines)
        }
        Mutation::Insert(i, t) => {
            let k = i.index(chars.len() + 1);
            let mut s: String = chars[..k].iter().collect();
            s += &token(*t);
            s.extend(&chars[k..]);
            s
        }
        Mutation::Truncate(i) => chars[..i.index(chars.len())].iter().collect(),
        Mutation::Indent(i) => {
            let k = i.index(lines.len());
            lines[k] = format!(" {}", lines[k]);
            join(lines)
        }
    }
}

fn shipped() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p.file_name().unwrap().to_string_lossy().into_owned(), text)
        })
        .collect();
    out.sort();
    out
}

/// Problems are never empty, each placed in the file (or, from `--set`, naming it), and
/// each shown as one line with no control character.
fn check_problems(e: &ScenarioErrors, text: &str, what: &str) -> Result<(), TestCaseError> {
    ensure!(!e.problems.is_empty(), "{what}: an error with no problem");
    let lines = text.lines().count().max(1);
    for p in &e.problems {
        match p.location {
            Some((line, col)) => {
                ensure!(
                    line >= 1 && line <= lines + 1 && col >= 1,
                    "{what}: {p:?} placed outside the file ({lines} lines)"
                )
            }
            // Problems of the whole file (not a mapping; a top-level key missing, such as
            // `duration`, or `subnets` when nodegroups need one) have no place to point
            // at; an overridden value names its --set instead.
            None => ensure!(
                p.message.contains("(from --set ") || !p.path.contains(['.', '[']),
                "{what}: no line:column in {p:?}"
            ),
        }
        ensure!(!p.message.is_empty(), "{what}: an empty message");
    }
    let shown = e.to_string();
    ensure!(
        shown.lines().count() == e.problems.len(),
        "{what}: {} problems on {} lines",
        e.problems.len(),
        shown.lines().count()
    );
    ensure!(
        !shown
            .chars()
            .any(|c| (c.is_control() && c != '\n') || ('\u{202a}'..='\u{202e}').contains(&c)),
        "{what}: a control character reaches the terminal: {shown:?}"
    );
    Ok(())
}

/// A valid scenario small enough to run in milliseconds once shortened.
fn small(sc: &Scenario) -> bool {
    let nodes: u64 = sc
        .nodegroups
        .iter()
        .map(|g| {
            u64::from(g.count.max(g.autoscaling.as_ref().map_or(0, |a| a.max)))
                + g.launches.iter().map(|l| u64::from(l.count)).sum::<u64>()
        })
        .sum();
    let pods: u64 = sc
        .workloads
        .iter()
        .map(|w| match &w.source {
            WorkloadSource::Replicas => w.steps.iter().map(|s| u64::from(s.1)).sum(),
            WorkloadSource::Churn(c) => match c.arrivals {
                Arrivals::Batches { every, count } => {
                    u64::from(count) * (300_000_000 / every.micros().max(1) + 1)
                }
                Arrivals::Poisson { rate_per_s } => (rate_per_s * 300.0) as u64 + 1,
            },
            WorkloadSource::Trace(_) => 100,
        })
        .sum();
    let fixed_ok = sc.workloads.iter().all(|w| match &w.source {
        WorkloadSource::Churn(c) => !matches!(c.lifetime, Lifetime::Fixed(d) if d.micros() == 0),
        _ => true,
    });
    nodes <= 40 && pods <= 3000 && fixed_ok
}

#[test]
fn mutated_shipped_scenarios_are_valid_or_rejected_with_located_problems() {
    let bases = shipped();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let strategy = (0..bases.len(), prop::collection::vec(mutation(), 1..4));
    let text_of =
        |(b, ms): &(usize, Vec<Mutation>)| ms.iter().fold(bases[*b].1.clone(), |t, m| apply(&t, m));
    let ran = AtomicU64::new(0);
    check_all(
        runner(3000, 500, 2),
        strategy,
        |v| format!("{} after {:?}:\n{}", bases[v.0].0, v.1, text_of(v)),
        |v| {
            let text = text_of(v);
            let what = &bases[v.0].0;
            let source = match Source::from_text(&text, what, &dir) {
                Ok(s) => s,
                Err(e) => return check_problems(&e, &text, what),
            };
            let overrides = [
                ("WARM_IP_TARGET".to_string(), "5".to_string()),
                ("nodegroups[0].count".to_string(), "2".to_string()),
            ];
            if let Err(e) = source.with_overrides(&overrides, &LoadOptions::default()) {
                check_problems(&e, &text, what)?;
            }
            let _ = source.scenario(&LoadOptions { allow_large: true });
            let mut sc = match source.scenario(&LoadOptions::default()) {
                Ok(sc) => sc,
                Err(e) => return check_problems(&e, &text, what),
            };
            for l in sc.warning_lines() {
                ensure!(
                    !l.contains('\n') && !l.contains('\u{1b}'),
                    "warning on two lines: {l:?}"
                );
            }
            if !small(&sc) {
                return Ok(());
            }
            // Shortened and sampled every second at least, it runs in milliseconds. Whole
            // milliseconds: a final sample less than 1 ms after the one before would print
            // the same time_s, and rows are matched by time_s.
            let d = sc.duration.micros().min(300_000_000) / 1000 * 1000;
            sc.duration = SimDuration(d.max(1000));
            sc.sample_interval = SimDuration(sc.sample_interval.micros().max(1_000_000));
            sc.kubelet.retry_interval =
                SimDuration(sc.kubelet.retry_interval.micros().max(1_000_000));
            sc.outputs = OutputSet::default();
            ran.fetch_add(1, Ordering::Relaxed);
            let run = run_twice(&sc, "mutated")?;
            check_run(&sc, &run)
        },
    );
    // The valid, small ones ran, shortened, under the invariants: about 300 of the 3,000
    // cases in release, 50 of the 500 in debug (most cases carry several mutations, and
    // the large benchmark scenarios never run here).
    let ran = ran.load(Ordering::Relaxed);
    assert!(
        ran > 10,
        "only {ran} mutated scenarios were valid and small enough to run"
    );
}

// ----- the checks themselves can fail -----

/// Rewrites the CSV `bytes` record by record (by column name) with `f`.
fn edit(bytes: &[u8], f: impl FnOnce(&csv::StringRecord, &mut Vec<csv::StringRecord>)) -> Vec<u8> {
    let mut r = csv::Reader::from_reader(bytes);
    let header = r.headers().unwrap().clone();
    let mut rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    f(&header, &mut rows);
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&header).unwrap();
    for row in &rows {
        w.write_record(row).unwrap();
    }
    w.into_inner().unwrap()
}

/// `row` with column `col` set to `value`.
fn set(
    header: &csv::StringRecord,
    row: &csv::StringRecord,
    col: &str,
    value: &str,
) -> csv::StringRecord {
    let i = header.iter().position(|h| h == col).unwrap();
    row.iter()
        .enumerate()
        .map(|(j, v)| if j == i { value } else { v })
        .collect()
}

fn col<'a>(header: &csv::StringRecord, row: &'a csv::StringRecord, col: &str) -> &'a str {
    &row[header.iter().position(|h| h == col).unwrap()]
}

/// One churn scenario's true outputs pass every check; each deliberate corruption of them
/// is caught, with the reason the check gives.
#[test]
fn the_checks_catch_corrupted_outputs() {
    // 1 × t3.medium; 2 pods every 10 s from 0 living 25 s, so up to 6 live pods and their
    // addresses reused after the 5 s cooldown.
    let yaml = "duration: 2m\nsample_interval: 5s\ncni: {IP_COOLDOWN_PERIOD: 5}\n\
                subnets: [{name: s, cidr: 10.0.0.0/24}]\n\
                nodegroups: [{name: ng, instance_type: t3.medium, count: 1, subnet: s}]\n\
                workloads:\n  - {name: j, arrivals: {every: 10s, count: 2}, lifetime: 25s}\n";
    let sc = scenario::parse(yaml, "check.yaml").unwrap_or_else(|e| panic!("{e}"));
    let run = run_twice(&sc, "check").unwrap_or_else(|e| panic!("{e}"));
    check_run(&sc, &run).unwrap_or_else(|e| panic!("the true outputs fail: {e}"));
    // batches at 0, 10, …, 110 s: 12 × 2 = 24 pods
    assert_eq!(expected_created(&sc)["j"], 24);
    let mut run = run;
    let pods = run.files["pods.csv"].clone();
    let timeline = run.files["timeline.csv"].clone();
    let nodes = run.files["nodes.csv"].clone();
    let corruptions: Vec<(&str, &str, Vec<u8>)> = vec![
        (
            "pods.csv",
            "appears twice",
            edit(&pods, |_, rows| rows.push(rows[0].clone())),
        ),
        (
            "pods.csv",
            "!= 23 rows of pods.csv",
            edit(&pods, |_, rows| {
                rows.pop();
            }),
        ),
        (
            "pods.csv",
            "AWS-reserved",
            edit(&pods, |h, rows| {
                let k = rows
                    .iter()
                    .position(|r| !col(h, r, "ip").is_empty())
                    .unwrap();
                rows[k] = set(h, &rows[k], "ip", "10.0.0.255");
            }),
        ),
        (
            "pods.csv",
            "is in none of its node's subnets",
            edit(&pods, |h, rows| {
                let k = rows
                    .iter()
                    .position(|r| !col(h, r, "ip").is_empty())
                    .unwrap();
                rows[k] = set(h, &rows[k], "ip", "10.0.1.9");
            }),
        ),
        (
            "pods.csv",
            "held by",
            edit(&pods, |h, rows| {
                // two pods alive together (created at 0 s, living 25 s) with one address
                let both: Vec<usize> = rows
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| col(h, r, "created_s") == "0.000")
                    .map(|(i, _)| i)
                    .collect();
                let ip = col(h, &rows[both[0]], "ip").to_string();
                rows[both[1]] = set(h, &rows[both[1]], "ip", &ip);
            }),
        ),
        (
            "pods.csv",
            "lifetime 25000..=25000 ms",
            edit(&pods, |h, rows| {
                let k = rows
                    .iter()
                    .position(|r| col(h, r, "deleted_s") == "25.000")
                    .unwrap();
                rows[k] = set(h, &rows[k], "deleted_s", "26.000");
            }),
        ),
        (
            "timeline.csv",
            "pods_total",
            edit(&timeline, |h, rows| {
                let n: u64 = col(h, &rows[3], "pods_running").parse().unwrap();
                rows[3] = set(h, &rows[3], "pods_running", &(n + 1).to_string());
            }),
        ),
        (
            "timeline.csv",
            "available != total - assigned",
            edit(&timeline, |h, rows| {
                let n: u64 = col(h, &rows[3], "ips_available").parse().unwrap();
                rows[3] = set(h, &rows[3], "ips_available", &(n + 1).to_string());
            }),
        ),
        (
            "timeline.csv",
            "timeline times",
            edit(&timeline, |_, rows| {
                rows.remove(2);
            }),
        ),
        (
            "nodes.csv",
            "node rows for",
            edit(&nodes, |_, rows| {
                rows.remove(5);
            }),
        ),
        (
            "nodes.csv",
            "sums to",
            edit(&nodes, |h, rows| {
                let n: u64 = col(h, &rows[5], "ips_cooldown").parse().unwrap();
                rows[5] = set(h, &rows[5], "ips_cooldown", &(n + 1).to_string());
            }),
        ),
    ];
    for (file, says, bytes) in corruptions {
        let good = std::mem::replace(run.files.get_mut(file).unwrap(), bytes);
        match check_run(&sc, &run) {
            Ok(()) => panic!("a corrupted {file} passed (expected: {says})"),
            Err(e) => assert!(
                e.to_string().contains(says),
                "{file}: expected {says:?}, got {e}"
            ),
        }
        run.files.insert(file, good);
    }
}
