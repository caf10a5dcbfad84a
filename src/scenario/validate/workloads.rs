//! `daemonsets` and `workloads` with `replicas` or `steps` (churn and traces are in
//! [`super::sources`]).

use super::*;

impl Checker<'_> {
    pub(super) fn daemonsets(
        &mut self,
        section: Option<&Deferred<'_>>,
        path: &FieldPath,
    ) -> Vec<Option<DaemonSetSpec>> {
        let Some(section) = section else {
            return Vec::new();
        };
        let mut seen = SeenNames::default();
        let mut out = Vec::new();
        for (i, item) in self
            .list(section.value, path, "daemonsets")
            .iter()
            .enumerate()
        {
            let at = path.index(i);
            let raw: RawDaemonSet = self.mapping(item, &at).unwrap_or_default();
            let name = self
                .required(&raw.name, &at, "name", "a DaemonSet name such as aws-node")
                .and_then(|v| self.name(&at.key("name"), v, false));
            if let Some(name) = &name {
                self.unique(&mut seen, name, &at.key("name"), "daemonset");
            }
            let host_network = self.optional_bool(&raw.host_network, &at.key("host_network"));
            out.push(name.map(|name| DaemonSetSpec { name, host_network }));
        }
        out
    }

    pub(super) fn workloads(
        &mut self,
        section: Option<&Deferred<'_>>,
        path: &FieldPath,
    ) -> Vec<Option<WorkloadSpec>> {
        let Some(section) = section else {
            return Vec::new();
        };
        let mut seen = SeenNames::default();
        let mut out = Vec::new();
        for (i, item) in self
            .list(section.value, path, "workloads")
            .iter()
            .enumerate()
        {
            let at = path.index(i);
            let raw: RawWorkload = self.mapping(item, &at).unwrap_or_default();
            let name = match (&raw.name, &raw.trace) {
                // A trace names each pod's workload itself; the entry goes by its file.
                (None, Some(trace)) => Some(trace.text()),
                _ => self
                    .required(
                        &raw.name,
                        &at,
                        "name",
                        "a name of lowercase letters, digits and '-'",
                    )
                    .and_then(|v| self.name(&at.key("name"), v, true)),
            };
            if let (Some(name), Some(_)) = (&name, &raw.name) {
                self.unique(&mut seen, name, &at.key("name"), "workload");
            }
            let host_network = self.optional_bool(&raw.host_network, &at.key("host_network"));
            let security_group_policy =
                self.optional_bool(&raw.security_group_policy, &at.key("security_group_policy"));
            let source = self.workload_source(&raw, &at);
            let annotations = self.annotations(raw.annotations.as_ref(), &at.key("annotations"));
            let multi_nic = annotations.iter().any(|(k, v)| {
                k == crate::scenario::NIC_CONFIG && v == crate::scenario::MULTI_NIC_ATTACHMENT
            });
            out.push(match (name, source) {
                (Some(name), Some((steps, source))) => Some(WorkloadSpec {
                    name,
                    host_network,
                    security_group_policy,
                    annotations,
                    multi_nic,
                    steps,
                    source,
                }),
                _ => None,
            });
        }
        self.trace_pod_names(&out, path);
        out
    }

    /// Two traces may not name the same pod (one pod per name, as in Kubernetes; outputs
    /// name pods): the first clash of each trace is an error at its `trace` key.
    fn trace_pod_names(&mut self, specs: &[Option<WorkloadSpec>], path: &FieldPath) {
        let mut owner: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        for (i, spec) in specs.iter().enumerate() {
            let Some(crate::scenario::WorkloadSource::Trace(t)) = spec.as_ref().map(|w| &w.source)
            else {
                continue;
            };
            let mut clash = None;
            for p in &t.pods {
                match owner.get(p.name.as_str()) {
                    Some(&j) if j != i => {
                        clash.get_or_insert((p.name.as_str(), j));
                    }
                    Some(_) => {}
                    None => {
                        owner.insert(p.name.as_str(), i);
                    }
                }
            }
            if let Some((name, j)) = clash {
                self.error(
                    &path.index(i).key("trace"),
                    format!(
                        "pod \"{}\" of this trace is also a pod of the trace of workloads[{j}]; \
                         pod names must be unique across traces (one pod per name, as in a \
                         namespace)",
                        super::super::Escaped(name)
                    ),
                );
            }
        }
    }

    /// A workload's `(time, replicas)` list, from `replicas` (+ `at`) or from `steps`.
    pub(super) fn workload_steps(
        &mut self,
        raw: &RawWorkload,
        at: &FieldPath,
    ) -> Option<Vec<(SimTime, u32)>> {
        if raw.at.is_some() && raw.replicas.is_none() {
            self.error(
                &at.key("at"),
                "`at` only goes with `replicas`; with `steps`, give each step its own `at`",
            );
        }
        match (&raw.replicas, &raw.steps) {
            (Some(replicas), None) => {
                let when = match &raw.at {
                    Some(v) => self.duration(&at.key("at"), v),
                    None => Some(SimDuration::ZERO),
                };
                let n = self.u32_at_least(&at.key("replicas"), replicas, 0, "a replica count");
                Some(vec![(SimTime::ZERO + when?, n?)])
            }
            (None, Some(steps)) => self.steps(steps.value, &at.key("steps")),
            (Some(_), Some(_)) => {
                self.error(
                    at,
                    "has both `replicas` and `steps`; use exactly one: `replicas` (with an \
                     optional `at`) for a fixed count, `steps` for a count that changes, \
                     `arrivals` (with `lifetime`) for churn, or `trace` to replay a CSV file",
                );
                None
            }
            (None, None) => {
                self.error(
                    at,
                    "needs `replicas` (with an optional `at`), `steps` (a list of \
                     {at, replicas}), `arrivals` (with `lifetime`) or `trace` (a CSV file)",
                );
                None
            }
        }
    }

    /// A `steps` list: each `{at, replicas}`, times strictly increasing.
    pub(super) fn steps(&mut self, value: &Node, path: &FieldPath) -> Option<Vec<(SimTime, u32)>> {
        let items = self.list(value, path, "steps");
        if items.is_empty() {
            self.error(
                path,
                "steps is empty; give at least one {at, replicas} step",
            );
            return None;
        }
        let mut steps = Vec::new();
        let mut ok = true;
        let mut previous: Option<(SimDuration, String)> = None;
        for (i, item) in items.iter().enumerate() {
            let at = path.index(i);
            let raw: RawStep = self.mapping(item, &at).unwrap_or_default();
            let when_text = raw.at.as_ref().map(Scalar::text).unwrap_or_default();
            let when = self
                .required(&raw.at, &at, "at", DURATION_HINT)
                .and_then(|v| self.duration(&at.key("at"), v));
            let replicas = self
                .required(
                    &raw.replicas,
                    &at,
                    "replicas",
                    "a replica count (0 or more)",
                )
                .and_then(|v| self.u32_at_least(&at.key("replicas"), v, 0, "a replica count"));
            if let (Some(when), Some((before, before_text))) = (when, &previous) {
                if when <= *before {
                    let relation = if when == *before {
                        "is at the same time as"
                    } else {
                        "comes before"
                    };
                    self.error(
                        &at.key("at"),
                        format!(
                            "step at {when_text} {relation} the previous step at {before_text}; \
                             steps must be in increasing time order"
                        ),
                    );
                    ok = false;
                }
            }
            if let Some(when) = when {
                previous = Some((when, when_text));
            }
            match (when, replicas) {
                (Some(when), Some(n)) => steps.push((SimTime::ZERO + when, n)),
                _ => ok = false,
            }
        }
        ok.then_some(steps)
    }
}
