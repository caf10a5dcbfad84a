//! `kubectl get events -A -o json` (a List, or a `--watch` stream): the sandbox failures
//! for lack of an address, `FailedCreatePodSandBox` events whose message says "failed to
//! assign an IP address to container", as the kubelet records a failed CNI ADD of the VPC
//! CNI.

use super::super::json::Found;
use super::docs::{Object, Read};
use super::stamp::{parse_stamp, Stamp};
use serde::de::MapAccess;
use serde::Deserialize;

/// The event reason of a failed sandbox.
pub const REASON: &str = "FailedCreatePodSandBox";

/// The words of the VPC CNI's error when no address could be assigned.
pub const NO_ADDRESS: &str = "failed to assign an IP address to container";

/// A core/v1 `Event` (or events.k8s.io/v1 as kubectl prints it through core/v1), with
/// the fields read.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// `Event`.
    pub kind: Option<String>,
    /// What it is about.
    pub involved_object: Option<Involved>,
    /// `FailedCreatePodSandBox`, …
    pub reason: Option<String>,
    /// The kubelet's message.
    pub message: Option<String>,
    /// How many times it happened (core/v1; absent: once).
    pub count: Option<u64>,
    /// First occurrence (RFC 3339).
    pub first_timestamp: Option<String>,
    /// Last occurrence (RFC 3339).
    pub last_timestamp: Option<String>,
    /// When it was first observed (MicroTime), for events without `firstTimestamp`.
    pub event_time: Option<String>,
    /// Who reported it (`host` is the node).
    pub source: Option<Source>,
}

impl Object for Event {
    fn field<'de, A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "involvedObject" => self.involved_object = map.next_value()?,
            "reason" => self.reason = map.next_value()?,
            "message" => self.message = map.next_value()?,
            "count" => self.count = map.next_value()?,
            "firstTimestamp" => self.first_timestamp = map.next_value()?,
            "lastTimestamp" => self.last_timestamp = map.next_value()?,
            "eventTime" => self.event_time = map.next_value()?,
            "source" => self.source = map.next_value()?,
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn set_kind(&mut self, kind: Option<String>) {
        self.kind = kind;
    }
}

/// `involvedObject`.
#[derive(Debug, Default, Deserialize)]
pub struct Involved {
    /// `Pod`, `Node`, …
    pub kind: Option<String>,
    /// Its name.
    pub name: Option<String>,
    /// Its namespace.
    pub namespace: Option<String>,
}

/// `source`.
#[derive(Debug, Default, Deserialize)]
pub struct Source {
    /// The node.
    pub host: Option<String>,
}

/// Event reasons that mark an autoscaler's decision to launch nodes: the Cluster
/// Autoscaler's `TriggeredScaleUp` and Karpenter's `Nominated` (both on the pending pods).
pub const SCALE_UP_REASONS: [&str; 2] = ["TriggeredScaleUp", "Nominated"];

/// When autoscalers decided to launch nodes (their events' first times), by autoscaler.
#[derive(Default)]
pub struct ScaleUps {
    /// The Cluster Autoscaler's `TriggeredScaleUp` (managed and self-managed groups).
    pub cluster_autoscaler: Vec<Stamp>,
    /// Karpenter's `Nominated`.
    pub karpenter: Vec<Stamp>,
}

impl ScaleUps {
    /// Takes one event read from input `file`; other reasons are skipped.
    pub fn take(&mut self, file: usize, read: Read<Event>, found: &mut Found) {
        let Read { at, object: e, .. } = read;
        let list = match e.reason.as_deref() {
            Some("TriggeredScaleUp") => &mut self.cluster_autoscaler,
            Some("Nominated") => &mut self.karpenter,
            _ => return,
        };
        let (key, text) = match (&e.first_timestamp, &e.event_time) {
            (Some(t), _) => ("firstTimestamp", t),
            (None, Some(t)) => ("eventTime", t),
            (None, None) => return,
        };
        match parse_stamp(text) {
            Ok(s) => list.push(s),
            Err(m) => found.error(file, at.key(key), m),
        }
    }

    /// The earliest decision of the right autoscaler within `window_us` before `created`.
    pub fn before(&self, karpenter: bool, created: Stamp, window_us: i64) -> Option<Stamp> {
        let list = if karpenter {
            &self.karpenter
        } else {
            &self.cluster_autoscaler
        };
        list.iter()
            .copied()
            .filter(|t| *t <= created && created.since(*t) <= window_us)
            .min()
    }
}

/// One pod's sandbox failures for lack of an address, as one event counts them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddressFailure {
    /// The pod's namespace.
    pub namespace: String,
    /// The pod's name.
    pub pod: String,
    /// The node (`source.host`), if given.
    pub node: Option<String>,
    /// Failures counted (`count`, 1 without it).
    pub count: u64,
    /// First and last occurrence.
    pub first: Stamp,
    /// See `first`.
    pub last: Stamp,
}

/// Keeps the address failures among events; others are skipped.
#[derive(Default)]
pub struct Failures {
    /// The failures read, one per event (an event seen again in a later snapshot or
    /// watch line replaces its earlier sighting: kept by namespace, pod and first time).
    pub found: std::collections::BTreeMap<(String, String, Stamp), AddressFailure>,
}

impl Failures {
    /// Takes one event read from input `file`.
    pub fn take(&mut self, file: usize, read: Read<Event>, found: &mut Found) {
        let Read { at, object: e, .. } = read;
        if let Some(k) = e.kind.as_deref().filter(|k| *k != "Event") {
            found.warn(
                file,
                at.key("kind"),
                format!(
                    "a {} where events were expected (kubectl get events -A -o json); skipped",
                    serde_json::Value::from(k)
                ),
            );
            return;
        }
        if e.reason.as_deref() != Some(REASON)
            || !e.message.as_deref().is_some_and(|m| m.contains(NO_ADDRESS))
        {
            return;
        }
        let Some(obj) = e
            .involved_object
            .as_ref()
            .filter(|o| o.kind.as_deref() == Some("Pod"))
        else {
            return;
        };
        let Some(pod) = obj.name.clone() else {
            found.warn(
                file,
                at.key("involvedObject").key("name"),
                "a sandbox failure without the pod's name; skipped".to_string(),
            );
            return;
        };
        let parse = |text: Option<&String>, key: &str, found: &mut Found| {
            let text = text?;
            match parse_stamp(text) {
                Ok(s) => Some(s),
                Err(m) => {
                    found.error(file, at.key(key), m);
                    None
                }
            }
        };
        let first = parse(e.first_timestamp.as_ref(), "firstTimestamp", found)
            .or_else(|| parse(e.event_time.as_ref(), "eventTime", found));
        let Some(first) = first else {
            found.warn(
                file,
                at.clone(),
                format!(
                    "the sandbox failure of pod {pod} has no firstTimestamp or eventTime; skipped"
                ),
            );
            return;
        };
        let last = parse(e.last_timestamp.as_ref(), "lastTimestamp", found).unwrap_or(first);
        let namespace = obj
            .namespace
            .clone()
            .unwrap_or_else(|| "default".to_string());
        let failure = AddressFailure {
            namespace: namespace.clone(),
            pod: pod.clone(),
            node: e.source.and_then(|s| s.host),
            count: e.count.unwrap_or(1).max(1),
            first,
            last: last.max(first),
        };
        self.found.insert((namespace, pod, first), failure);
    }
}
