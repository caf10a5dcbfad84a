//! What lay behind one wait interval: the node's events in it, the ENI the pool grew by,
//! the earlier event that began the state, and the pods that released or took addresses.
//!
//! An interval `[start, end)` shows the node's rows with `start <= time_s < end`: the row
//! at `start` is what began it (an `eni_ready` that freed addresses, a `create_eni`, a
//! throttled retry), and the row at `end` belongs to the interval it began.

use super::inputs::{Events, WaitRow};
use super::rows::PodRow;
use super::steps::{EniGrowth, NodeEvent, Release, WaitStep, EVENTS_PER_WAIT, NAMES_PER_WAIT};
use super::{meaning, Ms};
use crate::model::record::WaitCause;

/// The `[from, to)` slice of a time-sorted event list.
pub(super) fn window(list: &[NodeEvent], from: Ms, to: Ms) -> &[NodeEvent] {
    let a = list.partition_point(|e| e.time_s < from);
    let b = list.partition_point(|e| e.time_s < to);
    &list[a..b.max(a)]
}

/// The last event at or before `t` that `pred` accepts.
pub(super) fn last_until(
    list: &[NodeEvent],
    t: Ms,
    pred: impl Fn(&NodeEvent) -> bool,
) -> Option<&NodeEvent> {
    let end = list.partition_point(|e| e.time_s <= t);
    list[..end].iter().rev().find(|e| pred(e))
}

/// Whether `e` is of one of `kinds`.
pub(super) fn is(e: &NodeEvent, kinds: &[&str]) -> bool {
    kinds.contains(&e.kind.as_str())
}

/// Kinds that bring usable addresses.
const BRINGS: [&str; 5] = [
    "eni_ready",
    "eni_adopted",
    "assign_ips",
    "assign_prefixes",
    "reconcile",
];
/// Kinds of a failed or retried EC2 call.
const THROTTLE: [&str; 4] = ["ec2_retry", "ec2_failed", "ec2_repeats", "increase_failed"];
/// Kinds of a node's start.
pub(super) const NODE_START: [&str; 5] = [
    "ipamd_start",
    "node_ready",
    "aws_node_restart",
    "pd_unsupported",
    "launch_failed",
];

/// Whether `e` tells about `cause` (such events are listed first when there are many).
fn tells(cause: WaitCause, e: &NodeEvent) -> bool {
    const GROWTH: [&str; 13] = [
        "create_eni",
        "no_subnet_for_eni",
        "eni_ready",
        "eni_adopted",
        "assign_ips",
        "assign_prefixes",
        "attach_failed",
        "eni_not_in_imds",
        "fault",
        "ec2_retry",
        "ec2_failed",
        "ec2_repeats",
        "increase_failed",
    ];
    match cause {
        WaitCause::Unschedulable => {
            e.node.is_none() || is(e, &["node_ready", "ipamd_start", "launch_failed"])
        }
        WaitCause::NodeNotReady | WaitCause::IpamdUnavailable => is(e, &NODE_START),
        WaitCause::KubeletRetry => is(e, &BRINGS),
        WaitCause::PoolGrowing | WaitCause::Ec2Throttled | WaitCause::PoolTick => is(e, &GROWTH),
        WaitCause::Cooldown => is(
            e,
            &[
                "unassign_ips",
                "unassign_prefixes",
                "free_eni",
                "release_failed",
            ],
        ),
        WaitCause::SubnetFull | WaitCause::NoFreePrefix => is(
            e,
            &[
                "insufficient_addresses",
                "insufficient_cooldown",
                "increase_failed",
            ],
        ),
        WaitCause::MaxEnis => is(e, &["max_eni", "free_eni", "eni_ready"]),
        WaitCause::PoolFrozen => false,
        WaitCause::IpamAssigning
        | WaitCause::PoolExhausted
        | WaitCause::StrictAffinity
        | WaitCause::BlockLimit => is(e, &["block_claimed", "no_ip"]),
        WaitCause::BranchEni => is(
            e,
            &[
                "trunk_attached",
                "branch_eni",
                "branch_eni_deleted",
                "pod_eni_failed",
            ],
        ),
    }
}

/// What every life's story reads.
pub(super) struct Ctx<'a> {
    /// The events kept.
    pub(super) ev: &'a Events,
    /// The pod-network pods of the story's nodes.
    pub(super) neighbours: &'a [PodRow],
    /// `IP_COOLDOWN_PERIOD`, from summary.json.
    pub(super) cooldown: Option<Ms>,
}

impl Ctx<'_> {
    /// The node's events (not `no_ip`), by time.
    pub(super) fn node_log(&self, node: &str) -> &[NodeEvent] {
        self.ev.by_node.get(node).map_or(&[], Vec::as_slice)
    }

    /// The wait step of interval `w` of pod `p`.
    pub(super) fn wait(&self, p: &PodRow, w: &WaitRow) -> WaitStep {
        let (s, e, cause) = (w.start, w.end, w.cause);
        let node = Some(w.node.clone()).filter(|n| !n.is_empty());
        let log = node.as_deref().map_or(&[][..], |n| self.node_log(n));
        let mut candidates: Vec<NodeEvent> = if cause == WaitCause::Unschedulable {
            let mut v: Vec<NodeEvent> = window(&self.ev.group, s, e).to_vec();
            v.extend(
                window(self.node_log(&p.node), s, e)
                    .iter()
                    .filter(|x| is(x, &NODE_START))
                    .cloned(),
            );
            v.sort_by_key(|x| x.time_s);
            v
        } else {
            window(log, s, e).to_vec()
        };
        let in_window = |kinds: &[&str]| candidates.iter().any(|x| is(x, kinds));
        let started_by = match cause {
            WaitCause::Ec2Throttled if !in_window(&THROTTLE) => {
                last_until(log, s, |x| is(x, &THROTTLE))
            }
            WaitCause::SubnetFull | WaitCause::NoFreePrefix
                if !in_window(&["insufficient_addresses", "insufficient_cooldown"]) =>
            {
                last_until(log, s, |x| {
                    is(x, &["insufficient_addresses", "insufficient_cooldown"])
                })
            }
            WaitCause::MaxEnis if !in_window(&["max_eni"]) => {
                last_until(log, s, |x| x.kind == "max_eni")
            }
            WaitCause::NodeNotReady | WaitCause::IpamdUnavailable
                if !in_window(&["ipamd_start", "aws_node_restart"]) =>
            {
                last_until(log, s, |x| is(x, &["ipamd_start", "aws_node_restart"]))
            }
            _ => None,
        }
        .cloned();
        let eni = matches!(cause, WaitCause::PoolGrowing | WaitCause::Ec2Throttled)
            .then(|| growth(log, s, e))
            .flatten();
        let (mut released, mut taken) = (Vec::new(), Vec::new());
        if cause == WaitCause::KubeletRetry {
            let brought = candidates.iter().any(|x| x.time_s == s && is(x, &BRINGS));
            if !brought {
                let cd = self.cooldown.unwrap_or_default();
                released = self.releases(|d| d == s || d.0 + cd.0 == s.0);
            }
            if p.ip_assigned != Some(e) {
                taken = self.takers(p, s, e);
            }
        } else if cause == WaitCause::Cooldown {
            if let Some(cd) = self.cooldown {
                released = self.releases(|d| d <= s && d.0 + cd.0 > s.0);
            }
        }
        let omitted = candidates.len().saturating_sub(EVENTS_PER_WAIT) as u64;
        if omitted > 0 {
            // keep those telling about the cause first, then the earliest
            let mut ranked: Vec<(bool, usize)> = candidates
                .iter()
                .enumerate()
                .map(|(i, x)| (!tells(cause, x), i))
                .collect();
            ranked.sort();
            let mut keep: Vec<usize> = ranked
                .into_iter()
                .take(EVENTS_PER_WAIT)
                .map(|(_, i)| i)
                .collect();
            keep.sort_unstable();
            candidates = keep.into_iter().map(|i| candidates[i].clone()).collect();
        }
        let released_count = released.len() as u64;
        released.truncate(NAMES_PER_WAIT);
        let taken_count = taken.len() as u64;
        taken.truncate(NAMES_PER_WAIT);
        WaitStep {
            cause: cause.word(),
            start_s: s,
            end_s: e,
            duration_s: e.since(s),
            meaning: meaning(cause),
            node,
            eni,
            started_by,
            released_by: released,
            released_count,
            taken_by: taken,
            taken_count,
            events: candidates,
            events_omitted: omitted,
        }
    }

    /// The node's pods with an IP whose deletion time `at` accepts, by deletion time.
    fn releases(&self, at: impl Fn(Ms) -> bool) -> Vec<Release> {
        let mut v: Vec<Release> = self
            .neighbours
            .iter()
            .filter(|q| q.ip_assigned.is_some())
            .filter_map(|q| q.deleted.filter(|&d| at(d)).map(|d| (q, d)))
            .map(|(q, d)| Release {
                pod: q.name.clone(),
                deleted_s: d,
            })
            .collect();
        v.sort_by(|a, b| a.deleted_s.cmp(&b.deleted_s).then(a.pod.cmp(&b.pod)));
        v
    }

    /// The other pods on `p`'s node that got an IP in `[s, e]`, by that time.
    fn takers(&self, p: &PodRow, s: Ms, e: Ms) -> Vec<String> {
        let mut v: Vec<(Ms, &str)> = self
            .neighbours
            .iter()
            .filter(|q| q.node == p.node && !(q.name == p.name && q.created == p.created))
            .filter_map(|q| {
                q.ip_assigned
                    .filter(|&t| s <= t && t <= e)
                    .map(|t| (t, &*q.name))
            })
            .collect();
        v.sort();
        v.into_iter().map(|(_, n)| n.to_string()).collect()
    }
}

/// The growth a `pool_growing` or `ec2_throttled` interval `[s, e)` waited on: the ENI
/// whose `create_eni` was in flight at `s` (or came first in the interval), else the first
/// fill (`assign_*`) completing by `e`.
fn growth(log: &[NodeEvent], s: Ms, e: Ms) -> Option<EniGrowth> {
    let create = last_until(log, s, |x| x.kind == "create_eni")
        .filter(|c| ending(log, c).is_none_or(|end| end.time_s > s))
        .or_else(|| window(log, s, e).iter().find(|x| x.kind == "create_eni"));
    if let Some(c) = create {
        let end = ending(log, c);
        let ready = end.filter(|x| is(x, &["eni_ready", "eni_adopted"]));
        return Some(EniGrowth {
            eni: c
                .eni
                .map_or_else(|| "eni-?".to_string(), |n| format!("eni-{n}")),
            action: "CreateNetworkInterface".to_string(),
            created_s: Some(c.time_s),
            ready_s: ready.map(|x| x.time_s),
            count: ready.and_then(|x| x.count).or(c.count),
            ended_by: end.filter(|_| ready.is_none()).cloned(),
        });
    }
    let from = log.partition_point(|x| x.time_s < s);
    log[from..]
        .iter()
        .take_while(|x| x.time_s <= e)
        .find(|x| is(x, &["assign_ips", "assign_prefixes"]))
        .map(|a| EniGrowth {
            eni: a
                .eni
                .map_or_else(|| "eni-?".to_string(), |n| format!("eni-{n}")),
            action: a
                .action
                .clone()
                .unwrap_or_else(|| "AssignPrivateIpAddresses".to_string()),
            created_s: None,
            ready_s: Some(a.time_s),
            count: a.count,
            ended_by: None,
        })
}

/// The event that ended the ENI creation `c`: its `eni_ready` or `eni_adopted`, or what
/// made it fail (`attach_failed`, `eni_not_in_imds`, `no_subnet_for_eni` of it, an
/// `increase_failed`, an
/// `insufficient_cooldown`, or the next `create_eni`). `c` is an element of `log`.
fn ending<'a>(log: &'a [NodeEvent], c: &NodeEvent) -> Option<&'a NodeEvent> {
    let at = log.iter().position(|x| std::ptr::eq(x, c))?;
    log[at + 1..].iter().find(|x| {
        let same = x.eni == c.eni;
        (same
            && is(
                x,
                &[
                    "eni_ready",
                    "eni_adopted",
                    "attach_failed",
                    "eni_not_in_imds",
                    "no_subnet_for_eni",
                ],
            ))
            || is(x, &["increase_failed", "insufficient_cooldown"])
            || x.kind == "create_eni"
    })
}
