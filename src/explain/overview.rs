//! The overview: pod-seconds by cause over every pod, and the slowest pods.
//!
//! `waits.csv` is streamed once. `run` writes a pod's intervals together, contiguous, when
//! its wait ends, so consecutive rows of one pod whose intervals join up are one wait (one
//! life of the pod: a trace may create a name again after deleting it). Each finished wait
//! adds to the totals and competes for the slowest `N`; nothing else is kept. A second
//! pass over `pods.csv` counts the pods and looks up the slowest ones' outcomes.

use super::read::{check_dir, Table, OVERVIEW_FILES};
use super::rows::{PodCreated, SlowPodRow, WaitIn};
use super::{ExplainError, Ms};
use crate::model::record::WaitCause;
use serde::Serialize;
use std::collections::HashMap;
use std::path::Path;

const CAUSES: usize = WaitCause::ALL.len();

/// Pod-seconds of one cause over every pod.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CauseTotal {
    /// The cause word (`waits.csv`'s `cause`).
    pub cause: &'static str,
    /// Pod-seconds waited for it: the sum of its intervals' durations (s).
    pub seconds: Ms,
    /// Its share of all pod-seconds waited (%, 0 when nobody waited).
    pub share_pct: f64,
    /// Intervals with this cause.
    pub intervals: u64,
    /// Pod waits with at least one interval of this cause (pods; a re-created name counts
    /// once per life).
    pub pods: u64,
}

/// One of the slowest pods.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SlowPod {
    /// The pod's name.
    pub pod: String,
    /// Its workload or DaemonSet (`pods.csv`).
    pub workload: String,
    /// The node it was bound to; `None` if never bound.
    pub node: Option<String>,
    /// Creation (s).
    pub created_s: Ms,
    /// Its whole wait: the sum of its intervals (s).
    pub wait_s: Ms,
    /// The cause it waited longest for (ties: the first in `waits.csv`'s cause order).
    pub main_cause: &'static str,
    /// Seconds of the main cause (s).
    pub main_cause_s: Ms,
    /// `pods.csv`'s `final_state`: `running`, `unschedulable`, `waiting_ip` or `deleted`.
    pub final_state: String,
    /// When it got its IP (its binding, on host network), if it did (s).
    pub ip_assigned_s: Option<Ms>,
    /// Its deletion, if it was deleted (s).
    pub deleted_s: Option<Ms>,
}

/// What `explain DIR` shows.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Overview {
    /// Pods in `pods.csv` (every pod created; a re-created name once per life).
    pub pods: u64,
    /// Pod waits in `waits.csv` (pods that were not running at once).
    pub pods_waited: u64,
    /// All pod-seconds waited (s).
    pub wait_s: Ms,
    /// Every cause in `wait_by_cause_s` order, zeros included.
    pub by_cause: Vec<CauseTotal>,
    /// The slowest pods, longest wait first (ties by name, then creation).
    pub slowest: Vec<SlowPod>,
}

/// One pod's wait being summed.
#[derive(Clone, Debug)]
struct Wait {
    pod: String,
    node: String,
    created: Ms,
    end: Ms,
    by: [u64; CAUSES],
}

impl Wait {
    fn total(&self) -> u64 {
        self.by.iter().sum()
    }
}

/// The totals and the slowest waits so far.
struct Sums {
    top: usize,
    ms: [u64; CAUSES],
    intervals: [u64; CAUSES],
    pods: [u64; CAUSES],
    waits: u64,
    slowest: Vec<Wait>,
}

impl Sums {
    fn finish(&mut self, w: Wait) {
        self.waits += 1;
        for (i, &ms) in w.by.iter().enumerate() {
            self.ms[i] += ms;
            self.pods[i] += u64::from(ms > 0);
        }
        if self.top == 0 {
            return;
        }
        self.slowest.push(w);
        if self.slowest.len() >= 2 * self.top {
            self.trim();
        }
    }

    fn trim(&mut self) {
        self.slowest.sort_by(|a, b| {
            b.total()
                .cmp(&a.total())
                .then_with(|| a.pod.cmp(&b.pod))
                .then_with(|| a.created.cmp(&b.created))
        });
        self.slowest.truncate(self.top);
    }
}

/// Pod-seconds by cause and the `top` slowest pods of the run in `dir`.
pub fn overview(dir: &Path, top: usize) -> Result<Overview, ExplainError> {
    check_dir(dir)?;
    let mut t = Table::open(dir, "waits.csv", OVERVIEW_FILES)?;
    // pods.csv is needed too: say so before the long pass if it is missing.
    let pods_table = Table::open(dir, "pods.csv", OVERVIEW_FILES)?;
    let cols = t.columns::<WaitIn<'_>>()?;
    let mut sums = Sums {
        top,
        ms: [0; CAUSES],
        intervals: [0; CAUSES],
        pods: [0; CAUSES],
        waits: 0,
        slowest: Vec::new(),
    };
    let mut cur: Option<Wait> = None;
    while t.next()? {
        let WaitIn {
            pod,
            node,
            cause,
            start,
            end,
        } = t.row(&cols)?;
        if end < start {
            return Err(t.error(format!("end_s {end} is before start_s {start}")));
        }
        if pod.is_empty() {
            return Err(t.error("column pod is empty".to_string()));
        }
        let joins = cur.as_ref().is_some_and(|w| w.pod == pod && w.end == start);
        if !joins {
            if let Some(w) = cur.take() {
                sums.finish(w);
            }
            cur = Some(Wait {
                pod: pod.to_string(),
                node: String::new(),
                created: start,
                end: start,
                by: [0; CAUSES],
            });
        }
        if let Some(w) = cur.as_mut() {
            w.by[cause.index()] += end.since(start).0;
            w.end = end;
            if !node.is_empty() && w.node != node {
                node.clone_into(&mut w.node);
            }
        }
        sums.intervals[cause.index()] += 1;
    }
    if let Some(w) = cur.take() {
        sums.finish(w);
    }
    sums.trim();
    let (pods, slowest) = join_pods(pods_table, &sums.slowest)?;
    let all: u64 = sums.ms.iter().sum();
    let by_cause = WaitCause::ALL
        .iter()
        .map(|c| {
            let i = c.index();
            CauseTotal {
                cause: c.word(),
                seconds: Ms(sums.ms[i]),
                share_pct: if all == 0 {
                    0.0
                } else {
                    sums.ms[i] as f64 * 100.0 / all as f64
                },
                intervals: sums.intervals[i],
                pods: sums.pods[i],
            }
        })
        .collect();
    Ok(Overview {
        pods,
        pods_waited: sums.waits,
        wait_s: Ms(all),
        by_cause,
        slowest,
    })
}

/// Counts `pods.csv`'s rows and finds each slow wait's pod (by name and creation time).
fn join_pods(mut t: Table, slow: &[Wait]) -> Result<(u64, Vec<SlowPod>), ExplainError> {
    let cols = t.columns::<SlowPodRow<'_>>()?;
    let key = t.columns::<PodCreated<'_>>()?;
    let mut found: Vec<Option<SlowPod>> = vec![None; slow.len()];
    let mut wanted: HashMap<&str, Vec<usize>> = HashMap::new();
    for (k, w) in slow.iter().enumerate() {
        wanted.entry(w.pod.as_str()).or_default().push(k);
    }
    let mut rows = 0u64;
    while t.next()? {
        rows += 1;
        let PodCreated { pod, created_s } = t.row(&key)?;
        let Some(ks) = wanted.get(pod) else {
            continue;
        };
        for &k in ks {
            let w = &slow[k];
            if found[k].is_some() || w.created != created_s {
                continue;
            }
            let (main, main_ms) = main_cause(&w.by);
            let row: SlowPodRow<'_> = t.row(&cols)?;
            found[k] = Some(SlowPod {
                pod: row.pod.to_string(),
                workload: row.workload.to_string(),
                node: (!row.node.is_empty()).then(|| row.node.to_string()),
                created_s: row.created_s,
                wait_s: Ms(w.total()),
                main_cause: main.word(),
                main_cause_s: Ms(main_ms),
                final_state: row.final_state.to_string(),
                ip_assigned_s: row.ip_assigned_s,
                deleted_s: row.deleted_s,
            });
        }
    }
    let mut out = Vec::with_capacity(slow.len());
    for (w, f) in slow.iter().zip(found) {
        match f {
            Some(p) => out.push(p),
            None => {
                return Err(ExplainError::invalid(format!(
                    "waits.csv has pod {} created at {} s, but pods.csv has no such pod; \
                     are the files from one run?",
                    w.pod, w.created
                )))
            }
        }
    }
    Ok((rows, out))
}

/// The cause with the most milliseconds (ties: the first in [`WaitCause::ALL`]).
fn main_cause(by: &[u64; CAUSES]) -> (WaitCause, u64) {
    let mut best = (WaitCause::ALL[0], by[0]);
    for (c, &ms) in WaitCause::ALL.iter().zip(by.iter()) {
        if ms > best.1 {
            best = (*c, ms);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn main_cause_takes_the_most_time_and_the_first_on_ties() {
        let mut by = [0u64; CAUSES];
        by[WaitCause::PoolGrowing.index()] = 5;
        by[WaitCause::KubeletRetry.index()] = 5;
        by[WaitCause::PoolTick.index()] = 3;
        // kubelet_retry comes before pool_growing in the cause order
        assert_eq!(main_cause(&by), (WaitCause::KubeletRetry, 5));
    }
}
