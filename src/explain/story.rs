//! One pod's story: its steps in time order, each wait interval with the node events
//! behind it.
//!
//! Passes: `pods.csv` for the pod's rows (a trace may create a name again: one life each)
//! and then its node's pods; `waits.csv` for its intervals; `events.csv` for its node's
//! rows, its own `no_ip` rows and the group events (`launch`, `scale_up`) while it was
//! unschedulable. Only those rows are kept.
//!
//! What lies behind each interval is found in [`super::behind`]; the story's types are
//! [`super::steps`].

use super::behind::{last_until, Ctx};
use super::inputs::{find_lives, node_pods, pod_waits, read_events, WaitRow};
use super::read::{check_dir, cooldown_period, Table, STORY_FILES};
use super::rows::PodRow;
use super::steps::{Life, NodeEvent, PodStory, Step, WaitCauseSeconds};
use super::{ExplainError, Ms};
use crate::model::record::WaitCause;
use std::collections::BTreeSet;
use std::path::Path;

/// The story of pod `name` in the run in `dir`. An unknown name is an error with the
/// nearest names of `pods.csv`.
pub fn pod_story(dir: &Path, name: &str) -> Result<PodStory, ExplainError> {
    check_dir(dir)?;
    let waits_t = Table::open(dir, "waits.csv", STORY_FILES)?;
    let pods_t = Table::open(dir, "pods.csv", STORY_FILES)?;
    let events_t = Table::open(dir, "events.csv", STORY_FILES)?;
    let mut lives = find_lives(pods_t, name)?;
    lives.sort_by_key(|p| p.created);
    let nodes: BTreeSet<String> = lives
        .iter()
        .filter(|p| !p.node.is_empty())
        .map(|p| p.node.clone())
        .collect();
    let neighbours = if nodes.is_empty() {
        Vec::new()
    } else {
        node_pods(Table::open(dir, "pods.csv", STORY_FILES)?, &nodes)?
    };
    let waits = pod_waits(waits_t, name)?;
    let unschedulable: Vec<(Ms, Ms)> = waits
        .iter()
        .filter(|w| w.cause == WaitCause::Unschedulable)
        .map(|w| (w.start, w.end))
        .collect();
    let ev = read_events(events_t, name, &nodes, &unschedulable)?;
    let cooldown = cooldown_period(dir);
    let ctx = Ctx {
        ev: &ev,
        neighbours: &neighbours,
        cooldown,
    };
    let mut out = Vec::with_capacity(lives.len());
    for (k, life) in lives.iter().enumerate() {
        let next = lives.get(k + 1).map(|p| p.created);
        let mine = |t: Ms| t >= life.created && next.is_none_or(|n| t < n);
        let ws: Vec<&WaitRow> = waits.iter().filter(|w| mine(w.start)).collect();
        let no_ip: Vec<&NodeEvent> = ev.own.iter().filter(|e| mine(e.time_s)).collect();
        out.push(ctx.life(life, &ws, &no_ip));
    }
    Ok(PodStory {
        pod: name.to_string(),
        lives: out,
    })
}

impl Ctx<'_> {
    fn life(&self, p: &PodRow, waits: &[&WaitRow], no_ip: &[&NodeEvent]) -> Life {
        let mut by = [0u64; WaitCause::ALL.len()];
        for w in waits {
            by[w.cause.index()] += w.end.since(w.start).0;
        }
        let mut wait_by_cause: Vec<WaitCauseSeconds> = WaitCause::ALL
            .iter()
            .filter(|c| by[c.index()] > 0)
            .map(|c| WaitCauseSeconds {
                cause: c.word(),
                seconds: Ms(by[c.index()]),
            })
            .collect();
        wait_by_cause.sort_by_key(|c| std::cmp::Reverse(c.seconds));
        let mut steps = vec![Step::Created {
            time_s: p.created,
            workload: p.workload.clone(),
        }];
        if let Some(b) = p.scheduled {
            steps.push(Step::Bound {
                time_s: b,
                node: p.node.clone(),
                node_ready_s: last_until(self.node_log(&p.node), b, |e| e.kind == "node_ready")
                    .map(|e| e.time_s),
            });
        }
        for e in no_ip {
            steps.push(Step::CniAddFailed {
                time_s: e.time_s,
                until_s: e.until_s.unwrap_or(e.time_s),
                count: e.count.unwrap_or(1),
                cause: e.cause.clone(),
                network_card: e.network_card,
            });
        }
        for w in waits {
            steps.push(Step::Wait(Box::new(self.wait(p, w))));
        }
        let ran = if p.host_network {
            p.scheduled
        } else {
            p.ip_assigned
        };
        match ran {
            Some(t) if p.host_network => steps.push(Step::Running { time_s: t }),
            Some(t) => steps.push(Step::GotIp {
                time_s: t,
                ip: Some(p.ip.clone()).filter(|s| !s.is_empty()),
                after_creation_s: t.since(p.created),
                after_binding_s: p.scheduled.map(|b| t.since(b)),
                by_kubelet_retry: waits
                    .last()
                    .is_some_and(|w| w.cause == WaitCause::KubeletRetry && w.end == t),
                last_failed_add_s: no_ip
                    .iter()
                    .map(|e| e.until_s.unwrap_or(e.time_s))
                    .filter(|&f| f <= t)
                    .max(),
            }),
            None => {}
        }
        if let Some(d) = p.deleted {
            steps.push(Step::Deleted {
                time_s: d,
                had_run: ran.is_some(),
            });
        } else if ran.is_none() {
            steps.push(Step::EndOfRun {
                time_s: waits.last().map_or(p.created, |w| w.end),
                final_state: p.final_state.clone(),
            });
        }
        steps.sort_by_key(Step::time);
        Life {
            workload: p.workload.clone(),
            node: Some(p.node.clone()).filter(|s| !s.is_empty()),
            host_network: p.host_network,
            created_s: p.created,
            scheduled_s: p.scheduled,
            ip_assigned_s: p.ip_assigned,
            deleted_s: p.deleted,
            ip: Some(p.ip.clone()).filter(|s| !s.is_empty()),
            final_state: p.final_state.clone(),
            wait_s: Ms(by.iter().sum()),
            wait_by_cause,
            failed_cni_adds: no_ip.iter().map(|e| e.count.unwrap_or(1)).sum(),
            steps,
        }
    }
}
