//! The rows a pod's story reads from `pods.csv`, `waits.csv` and `events.csv`, each file
//! streamed once and every row checked; only the pod's rows and its nodes' are kept.

use super::read::Table;
use super::steps::NodeEvent;
use super::{ExplainError, Ms, Nearest};
use crate::model::record::WaitCause;
use std::collections::{BTreeSet, HashMap};

/// A `pods.csv` row.
#[derive(Clone, Debug)]
pub(super) struct PodRow {
    pub(super) name: String,
    pub(super) workload: String,
    pub(super) node: String,
    pub(super) host_network: bool,
    pub(super) created: Ms,
    pub(super) scheduled: Option<Ms>,
    pub(super) ip_assigned: Option<Ms>,
    pub(super) deleted: Option<Ms>,
    pub(super) ip: String,
    pub(super) final_state: String,
}

/// A `waits.csv` row of the pod.
#[derive(Clone, Debug)]
pub(super) struct WaitRow {
    pub(super) cause: WaitCause,
    pub(super) start: Ms,
    pub(super) end: Ms,
    pub(super) node: String,
}

/// Columns of `pods.csv`.
struct PodCols([usize; 10]);

impl PodCols {
    fn of(t: &Table) -> Result<PodCols, ExplainError> {
        let names = [
            "pod",
            "workload",
            "node",
            "host_network",
            "created_s",
            "scheduled_s",
            "ip_assigned_s",
            "deleted_s",
            "ip",
            "final_state",
        ];
        let mut c = [0; 10];
        for (slot, name) in c.iter_mut().zip(names) {
            *slot = t.column(name)?;
        }
        Ok(PodCols(c))
    }

    fn row(&self, t: &Table) -> Result<PodRow, ExplainError> {
        let c = &self.0;
        let host = match t.get(c[3]) {
            "true" => true,
            "false" => false,
            v => {
                return Err(t.error(format!(
                    "column host_network: {v:?} is neither true nor false"
                )))
            }
        };
        Ok(PodRow {
            name: t.get(c[0]).to_string(),
            workload: t.get(c[1]).to_string(),
            node: t.get(c[2]).to_string(),
            host_network: host,
            created: t.time(c[4], "created_s")?,
            scheduled: t.opt_time(c[5], "scheduled_s")?,
            ip_assigned: t.opt_time(c[6], "ip_assigned_s")?,
            deleted: t.opt_time(c[7], "deleted_s")?,
            ip: t.get(c[8]).to_string(),
            final_state: t.get(c[9]).to_string(),
        })
    }
}

/// The rows of `pods.csv` named `name`, or an error with suggestions.
pub(super) fn find_lives(mut t: Table, name: &str) -> Result<Vec<PodRow>, ExplainError> {
    let cols = PodCols::of(&t)?;
    let mut near = Nearest::new(name);
    let mut lives = Vec::new();
    while t.next()? {
        let pod = t.get(cols.0[0]);
        if pod == name {
            lives.push(cols.row(&t)?);
        } else if lives.is_empty() {
            near.offer(pod);
        }
    }
    if lives.is_empty() {
        let names = near.into_names();
        let hint = if names.is_empty() {
            String::new()
        } else {
            format!("; did you mean {}?", names.join(", "))
        };
        return Err(ExplainError::invalid(format!(
            "no pod {name:?} in pods.csv{hint}"
        )));
    }
    Ok(lives)
}

/// The pod-network pods of `nodes` (for who took or released addresses).
pub(super) fn node_pods(
    mut t: Table,
    nodes: &BTreeSet<String>,
) -> Result<Vec<PodRow>, ExplainError> {
    let cols = PodCols::of(&t)?;
    let mut out = Vec::new();
    while t.next()? {
        if nodes.contains(t.get(cols.0[2])) {
            let row = cols.row(&t)?;
            if !row.host_network {
                out.push(row);
            }
        }
    }
    Ok(out)
}

/// The pod's `waits.csv` rows, every row checked.
pub(super) fn pod_waits(mut t: Table, name: &str) -> Result<Vec<WaitRow>, ExplainError> {
    let (ipod, inode, icause, istart, iend) = (
        t.column("pod")?,
        t.column("node")?,
        t.column("cause")?,
        t.column("start_s")?,
        t.column("end_s")?,
    );
    let mut out = Vec::new();
    while t.next()? {
        let cause = t.cause(icause)?;
        let start = t.time(istart, "start_s")?;
        let end = t.time(iend, "end_s")?;
        if end < start {
            return Err(t.error(format!("end_s {end} is before start_s {start}")));
        }
        if t.get(ipod) == name {
            out.push(WaitRow {
                cause,
                start,
                end,
                node: t.get(inode).to_string(),
            });
        }
    }
    out.sort_by_key(|w| w.start);
    Ok(out)
}

/// The events a story needs, each list sorted by time (equal times in file order).
#[derive(Debug, Default)]
pub(super) struct Events {
    /// Per node, its rows but `no_ip`.
    pub(super) by_node: HashMap<String, Vec<NodeEvent>>,
    /// Group events while the pod was unschedulable.
    pub(super) group: Vec<NodeEvent>,
    /// The pod's own `no_ip` rows.
    pub(super) own: Vec<NodeEvent>,
}

pub(super) fn read_events(
    mut t: Table,
    name: &str,
    nodes: &BTreeSet<String>,
    unschedulable: &[(Ms, Ms)],
) -> Result<Events, ExplainError> {
    let names = [
        "time_s",
        "node",
        "kind",
        "detail",
        "nodegroup",
        "pod",
        "cause",
        "eni",
        "action",
        "count",
        "subnet",
        "until_s",
    ];
    let mut c = [0; 12];
    for (slot, n) in c.iter_mut().zip(names) {
        *slot = t.column(n)?;
    }
    let mut ev = Events::default();
    while t.next()? {
        let time = t.time(c[0], "time_s")?;
        let node = t.get(c[1]);
        let kind = t.get(c[2]);
        let own = kind == "no_ip" && t.get(c[5]) == name;
        let on_node = kind != "no_ip" && nodes.contains(node);
        let group = node.is_empty() && unschedulable.iter().any(|&(s, e)| s <= time && time < e);
        if !(own || on_node || group) {
            continue;
        }
        let opt = |i: usize| Some(t.get(c[i]).to_string()).filter(|s| !s.is_empty());
        let e = NodeEvent {
            time_s: time,
            node: opt(1),
            kind: kind.to_string(),
            detail: t.get(c[3]).to_string(),
            nodegroup: opt(4),
            pod: opt(5),
            cause: opt(6),
            eni: t.opt_u64(c[7], "eni")?,
            action: opt(8),
            count: t.opt_u64(c[9], "count")?,
            subnet: opt(10),
            until_s: t.opt_time(c[11], "until_s")?,
        };
        if own {
            ev.own.push(e);
        } else if on_node {
            ev.by_node.entry(node.to_string()).or_default().push(e);
        } else {
            ev.group.push(e);
        }
    }
    ev.own.sort_by_key(|e| e.time_s);
    ev.group.sort_by_key(|e| e.time_s);
    for list in ev.by_node.values_mut() {
        list.sort_by_key(|e| e.time_s);
    }
    Ok(ev)
}
