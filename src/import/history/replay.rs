//! A replay of a cluster's history: the nodes present when the window starts form the
//! cluster at t = 0, later ones are launches at their creation, and the pods become one
//! trace file per workload (`traces/<workload>.csv`: creates and deletes, the pods'
//! own names). docs/import.md ("Replay your cluster") gives the rules.

use super::super::aws::SubnetInfo;
use super::super::build::{self, ms_duration, two_level, Cluster, NodeLaunch, PROVISION_MS};
use super::super::json::{Found, JsonPath};
use super::super::kube::{NodeInfo, Owner, PodInfo};
use super::super::names::{dns_label, unique, MAX_LABEL};
use super::super::out::{ScenarioOut, WorkloadOut};
use super::events::ScaleUps;
use super::pods::PodLife;
use super::stamp::{parse_stamp, Stamp};
use crate::scenario::trace::TRACE_HEADER;
use crate::scenario::CniConfig;
use crate::scenario::{MULTI_NIC_ATTACHMENT, NIC_CONFIG};
use serde::Serialize;
use std::collections::BTreeMap;

/// File index of `--nodes` (as in the parent modules).
const NODES: usize = 0;

/// Simulated time after the last change of the window, so that the last pods created can
/// start (s).
pub const TAIL_S: u64 = 120;

/// What a replay is made of.
pub struct ReplayInputs<'a> {
    /// The nodes (Fargate nodes left out).
    pub nodes: &'a [NodeInfo],
    /// The Fargate nodes' names: their pods are left out.
    pub skipped: &'a [String],
    /// `describe-subnets`' subnets, when given.
    pub subnets: Option<&'a [SubnetInfo]>,
    /// Every pod seen, merged over the files.
    pub pods: &'a [PodLife],
    /// The CNI settings written.
    pub cni: &'a CniConfig,
    /// Where the window starts, if given (`--since`); else the first pod's creation.
    pub since: Option<Stamp>,
    /// The autoscalers' scale-up events (`--events`), if given.
    pub scale_ups: Option<&'a ScaleUps>,
}

/// How long before a node's creation an autoscaler's decision may be its launch (µs): 5 min,
/// well above an EC2 instance's boot.
pub const SCALE_UP_WINDOW_US: i64 = 300_000_000;

/// A trace file of the replay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceFile {
    /// Its path relative to the scenario's directory (`traces/<workload>.csv`).
    pub path: String,
    /// Its bytes (CSV).
    pub bytes: Vec<u8>,
    /// Pods it creates.
    pub pods: usize,
}

/// A replay: the scenario and its traces.
#[derive(Clone, Debug)]
pub struct Replay {
    /// The scenario (traces referred to by path).
    pub scenario: ScenarioOut,
    /// The trace files, by path.
    pub traces: Vec<TraceFile>,
    /// When the window starts (t = 0).
    pub start: Stamp,
}

/// One trace row, as the `csv` crate writes it (`time_s,action,pod,workload`).
#[derive(Serialize)]
struct TraceRow<'a> {
    time_s: String,
    action: &'static str,
    pod: &'a str,
    workload: &'a str,
}

/// The name a pod has in a replay (and in the run's `pods.csv`): its own name, or
/// `<namespace>/<name>` when pods of several namespaces have that name. Indexed as `pods`.
pub fn replay_names(pods: &[PodLife]) -> Vec<String> {
    let mut namespaces: BTreeMap<&str, std::collections::BTreeSet<&str>> = BTreeMap::new();
    for p in pods {
        namespaces.entry(&p.name).or_default().insert(&p.namespace);
    }
    pods.iter()
        .map(|p| {
            if namespaces[p.name.as_str()].len() > 1 {
                format!("{}/{}", p.namespace, p.name)
            } else {
                p.name.clone()
            }
        })
        .collect()
}

/// Milliseconds from `start` to `t`, 0 before it.
fn offset_ms(t: Stamp, start: Stamp) -> u64 {
    u64::try_from(t.since(start).max(0) / 1000).unwrap_or(u64::MAX)
}

/// Milliseconds as seconds with three decimals (`12.345`).
fn secs_text(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

/// The replay, or `None` when there is nothing to replay (a problem recorded).
pub fn replay(r: &ReplayInputs<'_>, found: &mut Found) -> Option<Replay> {
    let on_fargate = |p: &PodLife| p.node.as_ref().is_some_and(|n| r.skipped.contains(n));
    let pods: Vec<(usize, &PodLife)> = r
        .pods
        .iter()
        .enumerate()
        .filter(|(_, p)| !on_fargate(p))
        .collect();
    let workload_pods = || {
        pods.iter()
            .map(|(_, p)| p)
            .filter(|p| !matches!(p.owner, Owner::DaemonSet(_)))
    };
    let first = workload_pods().map(|p| p.created).min();
    let Some(start) = r.since.or(first) else {
        found.error(
            2,
            JsonPath::root(),
            "no pod to replay: the --pods files hold no pod other than DaemonSet pods".to_string(),
        );
        return None;
    };
    let mut end = start;
    for (_, p) in &pods {
        end = end.max(p.created);
        for t in [p.scheduled, p.running.map(|r| r.0), p.ended]
            .into_iter()
            .flatten()
        {
            end = end.max(t);
        }
    }
    // the nodes: at t = 0, or launched when they registered
    let mut launches: Vec<Option<NodeLaunch>> = Vec::with_capacity(r.nodes.len());
    let mut ready_ms: Vec<u64> = Vec::new();
    let mut provision_ms: Vec<u64> = Vec::new();
    for node in r.nodes {
        let at = JsonPath::root()
            .key("items")
            .index(node.index)
            .key("metadata")
            .key("creationTimestamp");
        let created = match node.created.as_deref().map(parse_stamp) {
            Some(Ok(c)) => c,
            Some(Err(m)) => {
                found.error(NODES, at, m);
                launches.push(None);
                continue;
            }
            None => {
                found.warn(
                    NODES,
                    at,
                    format!(
                        "node {} has no creationTimestamp; it is there at t = 0",
                        node.name
                    ),
                );
                launches.push(None);
                continue;
            }
        };
        if created <= start {
            launches.push(None);
            continue;
        }
        end = end.max(created);
        let ready = node.ready.as_deref().and_then(|t| parse_stamp(t).ok());
        let ready_after_ms = ready
            .filter(|t| *t >= created)
            .map(|t| offset_ms(t, created));
        if let Some(m) = ready_after_ms {
            ready_ms.push(m);
        }
        let decided = r
            .scale_ups
            .and_then(|u| u.before(node.karpenter, created, SCALE_UP_WINDOW_US));
        let provision = decided.map(|t| offset_ms(created, t));
        provision_ms.extend(provision);
        launches.push(Some(NodeLaunch {
            registered_ms: offset_ms(created, start),
            ready_after_ms,
            provision_ms: provision,
        }));
    }
    // what the scenario's sections need of the pods: the DaemonSets, and the pods alive at
    // the end on their nodes (for the subnets' `used`)
    let infos: Vec<PodInfo> = pods
        .iter()
        .map(|(_, p)| p)
        .filter(|p| matches!(p.owner, Owner::DaemonSet(_)) || p.ended.is_none())
        .map(|p| PodInfo {
            namespace: p.namespace.clone(),
            owner: p.owner.clone(),
            host_network: p.host_network,
            node: p.node.clone(),
        })
        .collect();
    let cluster = Cluster {
        nodes: r.nodes,
        subnets: r.subnets,
        pods: &infos,
        cni: r.cni,
        launches: &launches,
    };
    let mut scenario = build::build(&cluster, found);
    let names = replay_names(r.pods);
    let traces = traces(r, &pods, &names, start, found);
    let total: usize = traces.iter().map(|(_, t)| t.pods).sum();
    scenario.workloads = traces.iter().map(|(w, _)| w.clone()).collect();
    let window_ms = offset_ms(end, start);
    let duration_s = window_ms.div_ceil(1000) + TAIL_S;
    scenario.duration = format!("{duration_s}s");
    scenario.notes = notes(start, end, total, &traces, &ready_ms, &provision_ms);
    Some(Replay {
        scenario,
        traces: traces.into_iter().map(|(_, t)| t).collect(),
        start,
    })
}

/// The scenario's comment lines: the window, the traces, the node start estimates.
fn notes(
    start: Stamp,
    end: Stamp,
    pods: usize,
    traces: &[(WorkloadOut, TraceFile)],
    ready_ms: &[u64],
    provision_ms: &[u64],
) -> Vec<String> {
    let mut notes = vec![
        format!(
            "A replay of {pods} pods in {} from {start} to {end} (t = 0 is {start}); each \
             workload's creates and deletes are in its trace file.",
            crate::text::Count(traces.len() as u64, "workload", "workloads")
        ),
        format!(
            "duration: the window, {} s, plus {TAIL_S} s for the last pods to start.",
            offset_ms(end, start).div_ceil(1000)
        ),
    ];
    if ready_ms.is_empty() {
        notes.push("No node joined during the window: every node is there at t = 0.".to_string());
        return notes;
    }
    let mut sorted = ready_ms.to_vec();
    sorted.sort_unstable();
    let median = sorted[(sorted.len() - 1) / 2];
    notes.push(format!(
        "Node start, estimated from the {} that joined during the window: registration → \
         Ready took {} (median; min {}, max {}); each group's median is its aws_node_start \
         (which also holds ipamd's init, about 0.5 s, so it is an upper bound).",
        crate::text::Count(sorted.len() as u64, "node", "nodes"),
        ms_duration(median),
        ms_duration(sorted[0]),
        ms_duration(sorted[sorted.len() - 1])
    ));
    if provision_ms.is_empty() {
        notes.push(format!(
            "provision_time: {} assumed (launch → registration is not in the node objects; \
             give --events for the autoscalers' scale-up events); each launch is written that \
             long before the node's creationTimestamp, so it registers then.",
            ms_duration(PROVISION_MS)
        ));
    } else {
        let mut sorted = provision_ms.to_vec();
        sorted.sort_unstable();
        notes.push(format!(
            "provision_time, estimated for {} from the autoscalers' events (TriggeredScaleUp, \
             Nominated; the earliest in the 5 min before each creation): {} (median; min {}, \
             max {}); each group's median is its launches' provision_time ({} for a group \
             without one), written that long before the nodes' creationTimestamp.",
            crate::text::Count(sorted.len() as u64, "node", "nodes"),
            ms_duration(sorted[(sorted.len() - 1) / 2]),
            ms_duration(sorted[0]),
            ms_duration(sorted[sorted.len() - 1]),
            ms_duration(PROVISION_MS)
        ));
    }
    notes
}

/// One trace per workload: (namespace, owner, host network, security groups for pods).
fn traces(
    r: &ReplayInputs<'_>,
    pods: &[(usize, &PodLife)],
    names: &[String],
    start: Stamp,
    found: &mut Found,
) -> Vec<(WorkloadOut, TraceFile)> {
    type Key = (String, String, String, bool, bool, bool);
    let mut groups: BTreeMap<Key, Vec<(usize, &PodLife)>> = BTreeMap::new();
    let mut warned_eni = false;
    for &(i, p) in pods {
        let (kind, owner) = match &p.owner {
            Owner::DaemonSet(_) => continue,
            Owner::Controller(kind, name) => (kind.clone(), name.clone()),
            Owner::Bare => (String::new(), String::new()),
        };
        if p.ended.is_some_and(|e| e <= start) {
            continue;
        }
        // a multi-homed pod is modelled when the CNI settings written have multi-NIC on
        let homed = p.multi_homed && r.cni.enable_multi_nic;
        if let (Some(annotation), false) = (&p.multi_nic, homed) {
            found.warn(
                p.file,
                p.at.key("metadata").key("annotations").key(annotation),
                format!(
                    "pod {}/{} asks for interfaces on several network cards ({annotation}); \
                     import replays it with one address (to model multi-NIC, give its \
                     workload `annotations:` with k8s.amazonaws.com/nicConfig: \
                     multi-nic-attachment and set cni.ENABLE_MULTI_NIC: true)",
                    p.namespace, p.name
                ),
            );
        }
        let sgp = p.pod_eni && r.cni.enable_pod_eni;
        if p.pod_eni && !r.cni.enable_pod_eni && !warned_eni {
            warned_eni = true;
            found.warn(
                p.file,
                p.at.key("metadata")
                    .key("annotations")
                    .key(super::pods::POD_ENI_ANNOTATION),
                format!(
                    "pod {}/{} has a branch ENI (security groups for pods), but ENABLE_POD_ENI \
                     is off in the CNI settings written (give --aws-node): such pods are \
                     replayed with addresses of the node's pool",
                    p.namespace, p.name
                ),
            );
        }
        let key = (p.namespace.clone(), kind, owner, p.host_network, sgp, homed);
        groups.entry(key).or_default().push((i, p));
    }
    let keys: Vec<(String, String)> = groups
        .keys()
        .map(|(ns, kind, name, _, _, _)| build::label_key(ns, kind, name))
        .collect();
    let labels = unique(two_level(&keys), MAX_LABEL);
    let mut out = Vec::new();
    for (((_, _, _, host, sgp, homed), members), workload) in groups.into_iter().zip(labels) {
        let workload = dns_label(&workload, "pods");
        // (name, create ms, delete ms), a name's lives in order, none overlapping
        let mut lives: Vec<(&str, u64, Option<u64>, &PodLife)> = members
            .iter()
            .map(|&(i, p)| {
                let name = names[i].as_str();
                let create = offset_ms(p.created, start);
                let delete = p.ended.map(|e| offset_ms(e, start).max(create + 1));
                (name, create, delete, p)
            })
            .collect();
        lives.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        for k in 1..lives.len() {
            let (prev, next) = (lives[k - 1], lives[k]);
            if prev.0 == next.0 && prev.2.is_none_or(|d| d > next.1) {
                found.warn(
                    next.3.file,
                    next.3.at.key("metadata").key("creationTimestamp"),
                    format!(
                        "pod {}/{} was created again before its earlier life ended; that one is \
                         deleted when this one is created",
                        next.3.namespace, next.3.name
                    ),
                );
                lives[k - 1].2 = Some(next.1);
            }
        }
        // rows in time order: deletes before creates at one instant, then by name
        let mut rows: Vec<(u64, u8, &str)> = Vec::new();
        for (name, create, delete, _) in &lives {
            rows.push((*create, 1, name));
            if let Some(d) = delete {
                rows.push((*d, 0, name));
            }
        }
        rows.sort_unstable();
        let mut w = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(Vec::new());
        let header: Vec<&str> = TRACE_HEADER.split(',').collect();
        let mut written = w.write_record(&header).is_ok();
        for (t, action, name) in rows {
            written &= w
                .serialize(TraceRow {
                    time_s: secs_text(t),
                    action: if action == 0 { "delete" } else { "create" },
                    pod: name,
                    workload: &workload,
                })
                .is_ok();
        }
        let bytes = w.into_inner().unwrap_or_default();
        debug_assert!(written, "writing to memory does not fail");
        let path = format!("traces/{workload}.csv");
        out.push((
            WorkloadOut {
                name: None,
                trace: Some(path.clone()),
                host_network: host,
                security_group_policy: sgp,
                annotations: if homed {
                    [(NIC_CONFIG.to_string(), MULTI_NIC_ATTACHMENT.to_string())].into()
                } else {
                    Default::default()
                },
                replicas: None,
            },
            TraceFile {
                path,
                bytes,
                pods: lives.len(),
            },
        ));
    }
    out.sort_by(|a, b| a.1.path.cmp(&b.1.path));
    out
}
