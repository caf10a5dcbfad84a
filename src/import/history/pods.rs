//! Pods over time: every sighting of a pod in the `--pods` files (List snapshots, watch
//! lines, watch events) merged by `metadata.uid` into one [`PodLife`]: when it was
//! created, scheduled, started and deleted, how it is owned, what it asks of the network.

use super::super::json::{Found, JsonPath};
use super::super::kube::{owner_of, true_since, Condition, ObjectMeta, Owner};
use super::docs::{Came, Object, Read};
use super::stamp::{parse_stamp, Stamp};
use crate::scenario::{MULTI_NIC_ATTACHMENT, NIC_CONFIG};
use serde::de::MapAccess;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

/// The annotation the VPC resource controller puts on a pod that got a branch ENI
/// (security groups for pods).
pub const POD_ENI_ANNOTATION: &str = "vpc.amazonaws.com/pod-eni";

/// Annotations that ask for pod interfaces on several network cards (multi-NIC, or Multus),
/// which import replays with one address.
pub const MULTI_NIC_ANNOTATIONS: [&str; 2] = [NIC_CONFIG, "k8s.v1.cni.cncf.io/networks"];

/// A `Pod` with the fields a replay reads.
#[derive(Debug, Default, Deserialize)]
pub struct Pod {
    /// `Pod`.
    pub kind: Option<String>,
    /// Name, namespace, uid, timestamps, owners, annotations.
    pub metadata: Option<ObjectMeta>,
    /// Node and host network.
    pub spec: Option<PodSpec>,
    /// Phase, conditions, containers.
    pub status: Option<PodStatus>,
}

impl Object for Pod {
    fn field<'de, A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "metadata" => self.metadata = map.next_value()?,
            "spec" => self.spec = map.next_value()?,
            "status" => self.status = map.next_value()?,
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn set_kind(&mut self, kind: Option<String>) {
        self.kind = kind;
    }
}

/// A pod's `spec`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodSpec {
    /// The node it is bound to.
    pub node_name: Option<String>,
    /// `hostNetwork: true`.
    pub host_network: Option<bool>,
}

/// A pod's `status`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodStatus {
    /// `Pending`, `Running`, `Succeeded`, `Failed`, `Unknown`.
    pub phase: Option<String>,
    /// `PodScheduled`, `PodReadyToStartContainers`, `Initialized`, `ContainersReady`,
    /// `Ready`.
    pub conditions: Option<Vec<Condition>>,
    /// The containers' states.
    pub container_statuses: Option<Vec<ContainerStatus>>,
}

/// One `status.containerStatuses` entry.
#[derive(Debug, Default, Deserialize)]
pub struct ContainerStatus {
    /// `running`, `terminated` or `waiting`.
    pub state: Option<ContainerState>,
}

/// A container's state.
#[derive(Debug, Default, Deserialize)]
pub struct ContainerState {
    /// Running since.
    pub running: Option<Started>,
    /// Ended.
    pub terminated: Option<Terminated>,
}

/// `state.running`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Started {
    /// When the container started (RFC 3339).
    pub started_at: Option<String>,
}

/// `state.terminated`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Terminated {
    /// When the container started (RFC 3339).
    pub started_at: Option<String>,
    /// When it ended (RFC 3339).
    pub finished_at: Option<String>,
}

/// Which observed instant stands for "running" (the simulated IP assignment), the first
/// one a pod has, in this order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum RunningBy {
    /// `PodReadyToStartContainers` (Kubernetes 1.29+): the sandbox and its network are up.
    SandboxReady,
    /// The earliest container `startedAt`: also after image pulls and init containers.
    ContainerStarted,
    /// `ContainersReady`: also after readiness probes.
    ContainersReady,
    /// `Ready`.
    Ready,
}

impl RunningBy {
    /// The word used in messages and JSON.
    pub fn word(self) -> &'static str {
        match self {
            RunningBy::SandboxReady => "PodReadyToStartContainers",
            RunningBy::ContainerStarted => "startedAt",
            RunningBy::ContainersReady => "ContainersReady",
            RunningBy::Ready => "Ready",
        }
    }
}

/// One pod's life as the files show it.
#[derive(Clone, Debug)]
pub struct PodLife {
    /// `metadata.namespace` (default `default`).
    pub namespace: String,
    /// `metadata.name`.
    pub name: String,
    /// How it is owned.
    pub owner: Owner,
    /// `spec.hostNetwork`.
    pub host_network: bool,
    /// It has the branch-ENI annotation ([`POD_ENI_ANNOTATION`]).
    pub pod_eni: bool,
    /// The multi-NIC annotation it has, if any.
    pub multi_nic: Option<String>,
    /// It has `k8s.amazonaws.com/nicConfig: multi-nic-attachment`: the VPC CNI gives it
    /// one address per managed network card.
    pub multi_homed: bool,
    /// `spec.nodeName`, last seen.
    pub node: Option<String>,
    /// `metadata.creationTimestamp`.
    pub created: Stamp,
    /// `PodScheduled` True.
    pub scheduled: Option<Stamp>,
    /// The first instant of [`RunningBy`] it has, and which.
    pub running: Option<(Stamp, RunningBy)>,
    /// When it stopped holding its address: deleted (`deletionTimestamp`, a `DELETED`
    /// event, gone from a later snapshot) or finished (`Succeeded`/`Failed`: its last
    /// container's `finishedAt`), the earliest.
    pub ended: Option<Stamp>,
    /// Input file and path of its last sighting (for messages).
    pub file: usize,
    /// See `file`.
    pub at: JsonPath,
}

/// A List snapshot: when it was taken (its latest timestamp: a List says nothing of its
/// own time) and the pods in it.
struct Snapshot {
    time: Stamp,
    keys: BTreeSet<String>,
}

/// Merges every sighting of every pod; [`History::finish`] gives the pods.
#[derive(Default)]
pub struct History {
    pods: BTreeMap<String, PodLife>,
    snapshots: Vec<Snapshot>,
    /// The open List: (file, doc) and what it holds so far.
    open: Option<((usize, usize), Snapshot)>,
    /// The latest timestamp of each file so far (a `DELETED` event without a
    /// `deletionTimestamp` happened no earlier).
    clock: BTreeMap<usize, Stamp>,
}

/// A timestamp field, or a problem at its path.
fn stamp(
    text: Option<&str>,
    at: impl FnOnce() -> JsonPath,
    file: usize,
    found: &mut Found,
) -> Option<Stamp> {
    match parse_stamp(text?) {
        Ok(s) => Some(s),
        Err(message) => {
            found.error(file, at(), message);
            None
        }
    }
}

impl History {
    /// Takes one pod read from input `file`.
    pub fn take(&mut self, file: usize, read: Read<Pod>, found: &mut Found) {
        let Read {
            doc,
            came,
            at,
            object: pod,
        } = read;
        if let Some(k) = pod.kind.as_deref().filter(|k| *k != "Pod") {
            found.warn(
                file,
                at.key("kind"),
                format!(
                    "a {} where pods were expected (kubectl get pods -A -o json); skipped",
                    serde_json::Value::from(k)
                ),
            );
            return;
        }
        if came == Came::Event("BOOKMARK".to_string()) || came == Came::Event("ERROR".to_string()) {
            return;
        }
        let meta_at = at.key("metadata");
        let Some(meta) = pod.metadata else {
            found.error(file, meta_at, "missing `metadata`".to_string());
            return;
        };
        let Some(name) = meta.name.clone() else {
            found.error(file, meta_at.key("name"), "missing `name`".to_string());
            return;
        };
        let Some(created) = stamp(
            meta.creation_timestamp.as_deref(),
            || meta_at.key("creationTimestamp"),
            file,
            found,
        ) else {
            if meta.creation_timestamp.is_none() {
                found.error(
                    file,
                    meta_at.key("creationTimestamp"),
                    format!("pod {name} has no creationTimestamp; a replay needs it"),
                );
            }
            return;
        };
        let owner = match owner_of(&meta, &at) {
            Ok(o) => o,
            Err((path, message)) => {
                found.error(file, path, message);
                return;
            }
        };
        let namespace = meta
            .namespace
            .clone()
            .unwrap_or_else(|| "default".to_string());
        let key = meta
            .uid
            .clone()
            .unwrap_or_else(|| format!("{namespace}/{name}@{}", created.0));
        let status_at = at.key("status");
        let mut latest = created;
        let mut seen = |s: Option<Stamp>| {
            if let Some(s) = s {
                latest = latest.max(s);
            }
            s
        };
        let conditions = pod.status.as_ref().and_then(|s| s.conditions.as_deref());
        let cond = |kind: &str, found: &mut Found| {
            let text = true_since(conditions, kind);
            stamp(text, || status_at.key("conditions"), file, found)
        };
        let scheduled = seen(cond("PodScheduled", found));
        let sandbox = seen(cond("PodReadyToStartContainers", found));
        let containers_ready = seen(cond("ContainersReady", found));
        let ready = seen(cond("Ready", found));
        let statuses = pod
            .status
            .as_ref()
            .and_then(|s| s.container_statuses.as_deref())
            .unwrap_or_default();
        let (mut started, mut finished): (Option<Stamp>, Option<Stamp>) = (None, None);
        for (j, c) in statuses.iter().enumerate() {
            let c_at = || status_at.key("containerStatuses").index(j).key("state");
            let state = c.state.as_ref();
            let s_text = state.and_then(|s| {
                s.running
                    .as_ref()
                    .and_then(|r| r.started_at.as_deref())
                    .or(s.terminated.as_ref().and_then(|t| t.started_at.as_deref()))
            });
            if let Some(s) = seen(stamp(s_text, c_at, file, found)) {
                started = Some(started.map_or(s, |x| x.min(s)));
            }
            let f_text = state.and_then(|s| s.terminated.as_ref()?.finished_at.as_deref());
            if let Some(f) = seen(stamp(f_text, c_at, file, found)) {
                finished = Some(finished.map_or(f, |x| x.max(f)));
            }
        }
        let deletion = seen(stamp(
            meta.deletion_timestamp.as_deref(),
            || meta_at.key("deletionTimestamp"),
            file,
            found,
        ));
        let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
        let done = matches!(phase, Some("Succeeded" | "Failed"));
        let clock = self.clock.entry(file).or_insert(latest);
        *clock = (*clock).max(latest);
        // a finished pod gives its address back when its last container ends (or, without
        // a finishedAt, no later than this sighting shows it finished)
        let gave_back = finished.or(Some(latest)).filter(|_| done);
        let mut ended = [deletion, gave_back].into_iter().flatten().min();
        if came == Came::Event("DELETED".to_string()) && ended.is_none() {
            ended = Some(*clock);
        }
        let running = [
            (sandbox, RunningBy::SandboxReady),
            (started, RunningBy::ContainerStarted),
            (containers_ready, RunningBy::ContainersReady),
            (ready, RunningBy::Ready),
        ]
        .into_iter()
        .find_map(|(s, by)| s.map(|s| (s, by)));
        let annotations = meta.annotations.as_ref();
        let pod_eni = annotations.is_some_and(|a| a.contains_key(POD_ENI_ANNOTATION));
        let multi_homed = annotations
            .is_some_and(|a| a.get(NIC_CONFIG).map(String::as_str) == Some(MULTI_NIC_ATTACHMENT));
        let multi_nic = annotations.and_then(|a| {
            MULTI_NIC_ANNOTATIONS
                .iter()
                .find(|k| a.contains_key(**k))
                .map(|k| k.to_string())
        });
        if let Came::Item(_) = came {
            let snap = match &mut self.open {
                Some((at_doc, s)) if *at_doc == (file, doc) => s,
                _ => {
                    self.close_snapshot();
                    let fresh = Snapshot {
                        time: latest,
                        keys: BTreeSet::new(),
                    };
                    &mut self.open.insert(((file, doc), fresh)).1
                }
            };
            snap.time = snap.time.max(latest);
            snap.keys.insert(key.clone());
        }
        let node = pod.spec.as_ref().and_then(|s| s.node_name.clone());
        let host_network = pod
            .spec
            .as_ref()
            .and_then(|s| s.host_network)
            .unwrap_or(false);
        let life = self.pods.entry(key).or_insert_with(|| PodLife {
            namespace,
            name,
            owner,
            host_network,
            pod_eni,
            multi_nic: multi_nic.clone(),
            multi_homed,
            node: None,
            created,
            scheduled: None,
            running: None,
            ended: None,
            file,
            at: at.clone(),
        });
        // later sightings add what earlier ones did not have
        life.pod_eni |= pod_eni;
        life.multi_homed |= multi_homed;
        if life.multi_nic.is_none() {
            life.multi_nic = multi_nic;
        }
        if node.is_some() {
            life.node = node;
        }
        life.scheduled = life.scheduled.or(scheduled);
        life.running = match (life.running, running) {
            // the better instant (RunningBy's order), the earliest of one kind
            (Some(a), Some(b)) => Some(if (b.1, b.0) < (a.1, a.0) { b } else { a }),
            (a, b) => a.or(b),
        };
        life.ended = match (life.ended, ended) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        life.file = file;
        life.at = at;
    }

    /// Ends the List being read, if any.
    fn close_snapshot(&mut self) {
        if let Some((_, s)) = self.open.take() {
            self.snapshots.push(s);
        }
    }

    /// The pods, sorted by creation (then namespace and name); a pod missing from a
    /// snapshot taken after it was created, and not ended before, ended at that
    /// snapshot's time at the latest.
    pub fn finish(mut self) -> Vec<PodLife> {
        self.close_snapshot();
        self.snapshots.sort_by_key(|s| s.time);
        let mut out: Vec<PodLife> = Vec::with_capacity(self.pods.len());
        for (key, mut life) in self.pods {
            // the last snapshot that holds it; the next one does not
            let last_in = self.snapshots.iter().rposition(|s| s.keys.contains(&key));
            if let Some(next) = last_in.and_then(|l| self.snapshots.get(l + 1)) {
                let t = next.time;
                life.ended = Some(life.ended.map_or(t, |e| e.min(t)));
            }
            out.push(life);
        }
        out.sort_by(|a, b| {
            (a.created, &a.namespace, &a.name).cmp(&(b.created, &b.namespace, &b.name))
        });
        out
    }
}
