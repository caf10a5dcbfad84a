//! The rows a pod's story reads from `pods.csv`, `waits.csv` and `events.csv` ([`super::rows`]),
//! each file streamed once; only the pod's rows and its nodes' are kept.

use super::read::Table;
use super::rows::{EventCard, EventKey, EventRow, PodName, PodNode, PodRow, WaitIn};
use super::steps::NodeEvent;
use super::{ExplainError, Ms, Nearest};
use crate::model::record::WaitCause;
use std::collections::{BTreeSet, HashMap};

/// A `waits.csv` row of the pod.
#[derive(Clone, Debug)]
pub(super) struct WaitRow {
    pub(super) cause: WaitCause,
    pub(super) start: Ms,
    pub(super) end: Ms,
    pub(super) node: String,
}

/// The rows of `pods.csv` named `name`, or an error with suggestions.
pub(super) fn find_lives(mut t: Table, name: &str) -> Result<Vec<PodRow>, ExplainError> {
    let cols = t.columns::<PodRow>()?;
    let key = t.columns::<PodName<'_>>()?;
    let mut near = Nearest::new(name);
    let mut lives = Vec::new();
    while t.next()? {
        let pod = t.row::<PodName<'_>>(&key)?.pod;
        if pod == name {
            lives.push(t.row(&cols)?);
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
    let cols = t.columns::<PodRow>()?;
    let key = t.columns::<PodNode<'_>>()?;
    let mut out = Vec::new();
    while t.next()? {
        if nodes.contains(t.row::<PodNode<'_>>(&key)?.node) {
            let row: PodRow = t.row(&cols)?;
            if !row.host_network {
                out.push(row);
            }
        }
    }
    Ok(out)
}

/// The pod's `waits.csv` rows, every row checked.
pub(super) fn pod_waits(mut t: Table, name: &str) -> Result<Vec<WaitRow>, ExplainError> {
    let cols = t.columns::<WaitIn<'_>>()?;
    let mut out = Vec::new();
    while t.next()? {
        let w: WaitIn<'_> = t.row(&cols)?;
        if w.end < w.start {
            return Err(t.error(format!("end_s {} is before start_s {}", w.end, w.start)));
        }
        if w.pod == name {
            out.push(WaitRow {
                cause: w.cause,
                start: w.start,
                end: w.end,
                node: w.node.to_string(),
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
    let cols = t.columns::<EventRow>()?;
    let key = t.columns::<EventKey<'_>>()?;
    // a run written before multi-NIC has no `network_card` column
    let card = t.columns::<EventCard>().ok();
    let mut ev = Events::default();
    while t.next()? {
        let k: EventKey<'_> = t.row(&key)?;
        let own = k.kind == "no_ip" && k.pod == name;
        let on_node = k.kind != "no_ip" && nodes.contains(k.node);
        let group = k.node.is_empty()
            && unschedulable
                .iter()
                .any(|&(s, e)| s <= k.time_s && k.time_s < e);
        if !(own || on_node || group) {
            continue;
        }
        let mut e = NodeEvent::from(t.row::<EventRow>(&cols)?);
        if let Some(c) = &card {
            e.network_card = t.row::<EventCard>(c)?.network_card;
        }
        if own {
            ev.own.push(e);
        } else if on_node {
            ev.by_node.entry(k.node.to_string()).or_default().push(e);
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
