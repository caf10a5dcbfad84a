//! Validation of a nodegroup's `autoscaling` and `launch` keys.
//!
//! Rules: `autoscaling.max` is required and at least 1; `min` defaults to the group's
//! `count`; `min ≤ count ≤ max` (the nodes at t = 0 must already respect the bounds: the
//! autoscaler never has to repair them); durations may be 0. Each `launch` entry needs
//! `at` and `count ≥ 1`, with `at` non-decreasing down the list; explicit launches are not
//! bounded by `max` (they model someone launching instances by hand).

use super::{Checker, FieldPath, DURATION_HINT};
use crate::scenario::autoscaling::{
    AutoscalingSpec, LaunchSpec, Provisioner, RawAutoscaling, RawLaunch, DEFAULT_PROVISION_TIME,
    DEFAULT_SCALE_DOWN_AFTER, DEFAULT_SCALE_UP_DELAY,
};
use crate::scenario::raw::{Deferred, RawNodeGroup, Scalar};
use crate::scenario::yaml::Node;
use crate::time::{SimDuration, SimTime};

/// A nodegroup's autoscaling settings and explicit launches, validated.
pub(super) type Scaling = (Option<AutoscalingSpec>, Vec<LaunchSpec>);

impl Checker<'_> {
    /// The `autoscaling` and `launch` keys of nodegroup `at`, whose `count` is `count`
    /// (`None` if it was invalid). `None` when something is wrong (it is recorded).
    pub(super) fn nodegroup_scaling(
        &mut self,
        raw: &RawNodeGroup,
        at: &FieldPath,
        count: Option<u32>,
    ) -> Option<Scaling> {
        let autoscaling = match &raw.autoscaling {
            Some(section) => self
                .autoscaling(section, &at.key("autoscaling"), count)
                .map(Some),
            None => Some(None),
        };
        let group_boot = match &autoscaling {
            Some(Some(a)) => a.provision_time,
            _ => DEFAULT_PROVISION_TIME,
        };
        let launches = match &raw.launch {
            Some(list) => self.launches(list.value, &at.key("launch"), group_boot),
            None => Some(Vec::new()),
        };
        Some((autoscaling?, launches?))
    }

    /// `autoscaling`: bounds and timings.
    fn autoscaling(
        &mut self,
        section: &Deferred<'_>,
        path: &FieldPath,
        count: Option<u32>,
    ) -> Option<AutoscalingSpec> {
        let raw: RawAutoscaling = self.mapping(section.value, path)?;
        let max = self
            .required(
                &raw.max,
                path,
                "max",
                "the most nodes the group may have (1 or more)",
            )
            .and_then(|v| self.u32_at_least(&path.key("max"), v, 1, "max"));
        let min = match &raw.min {
            Some(v) => self.u32_at_least(&path.key("min"), v, 0, "min"),
            None => count,
        };
        let scale_up_delay = self.duration_or(
            &raw.scale_up_delay,
            path,
            "scale_up_delay",
            DEFAULT_SCALE_UP_DELAY,
        );
        let provision_time = self.duration_or(
            &raw.provision_time,
            path,
            "provision_time",
            DEFAULT_PROVISION_TIME,
        );
        let scale_down_after = self.duration_or(
            &raw.scale_down_after,
            path,
            "scale_down_after",
            DEFAULT_SCALE_DOWN_AFTER,
        );
        let provisioner = match &raw.provisioner {
            Some(v) => {
                let options = [
                    ("cluster-autoscaler", Provisioner::ClusterAutoscaler),
                    ("karpenter", Provisioner::Karpenter),
                ];
                self.choice(&path.key("provisioner"), v, &options)
            }
            None => Some(Provisioner::default()),
        };
        let bounds_ok = self.check_bounds(path, min, max, count, raw.min.is_some());
        if !bounds_ok {
            return None;
        }
        Some(AutoscalingSpec {
            provisioner: provisioner?,
            min: min?,
            max: max?,
            scale_up_delay: scale_up_delay?,
            provision_time: provision_time?,
            scale_down_after: scale_down_after?,
        })
    }

    /// `min ≤ max` and `min ≤ count ≤ max`; false if one fails (it is recorded).
    fn check_bounds(
        &mut self,
        path: &FieldPath,
        min: Option<u32>,
        max: Option<u32>,
        count: Option<u32>,
        min_given: bool,
    ) -> bool {
        let mut ok = true;
        if let (Some(min), Some(max)) = (min, max) {
            if max < min {
                self.error(
                    &path.key("max"),
                    format!("max {max} is below min {min}; max must be at least min"),
                );
                ok = false;
            }
        }
        if let (Some(min), Some(count), true) = (min, count, min_given) {
            if count < min {
                self.error(
                    &path.key("min"),
                    format!(
                        "min {min} is above the nodegroup's count {count}; start with at \
                         least min nodes (count is the nodes at t=0)"
                    ),
                );
                ok = false;
            }
        }
        if let (Some(max), Some(count)) = (max, count) {
            if count > max {
                self.error(
                    &path.key("max"),
                    format!(
                        "max {max} is below the nodegroup's count {count}; max must be at \
                         least count"
                    ),
                );
                ok = false;
            }
        }
        ok
    }

    /// An optional duration (0 allowed) with a default; `None` if it is invalid.
    fn duration_or(
        &mut self,
        field: &Option<Scalar>,
        parent: &FieldPath,
        key: &str,
        default: SimDuration,
    ) -> Option<SimDuration> {
        match field {
            Some(v) => self.duration(&parent.key(key), v),
            None => Some(default),
        }
    }

    /// `launch`: a list of `{at, count, provision_time}`, `at` non-decreasing.
    fn launches(
        &mut self,
        value: &Node,
        path: &FieldPath,
        group_boot: SimDuration,
    ) -> Option<Vec<LaunchSpec>> {
        let items = self.list(value, path, "launches");
        let mut out = Vec::new();
        let mut ok = true;
        let mut previous: Option<(SimDuration, String)> = None;
        for (i, item) in items.iter().enumerate() {
            let at = path.index(i);
            let Some(raw) = self.mapping::<RawLaunch>(item, &at) else {
                ok = false;
                continue;
            };
            let when_text = raw.at.as_ref().map(Scalar::text).unwrap_or_default();
            let when = self
                .required(&raw.at, &at, "at", DURATION_HINT)
                .and_then(|v| self.duration(&at.key("at"), v));
            let count = self
                .required(
                    &raw.count,
                    &at,
                    "count",
                    "the number of nodes to launch (1 or more)",
                )
                .and_then(|v| self.u32_at_least(&at.key("count"), v, 1, "a launch count"));
            let boot = self.duration_or(&raw.provision_time, &at, "provision_time", group_boot);
            if let (Some(when), Some((before, before_text))) = (when, &previous) {
                if when < *before {
                    self.error(
                        &at.key("at"),
                        format!(
                            "launch at {when_text} comes before the previous launch at \
                             {before_text}; launches must be in time order"
                        ),
                    );
                    ok = false;
                }
            }
            if let Some(when) = when {
                previous = Some((when, when_text));
            }
            match (when, count, boot) {
                (Some(when), Some(count), Some(provision_time)) => out.push(LaunchSpec {
                    at: SimTime::ZERO + when,
                    count,
                    provision_time,
                }),
                _ => ok = false,
            }
        }
        ok.then_some(out)
    }
}

#[cfg(test)]
mod tests {
    use crate::scenario::autoscaling::{RawAutoscaling, RawLaunch};
    use crate::scenario::raw::RawMapping;
    use crate::scenario::yaml::{Kind, Mark, Node};

    /// Every key in `KEYS` is taken (the lists match the structs).
    #[test]
    fn raw_key_lists_match_the_structs() {
        fn accepts_all<'a, T: RawMapping<'a>>(node: &'a Node) {
            let mut raw = T::default();
            for k in T::KEYS {
                assert!(raw.set(k, node), "{k}");
            }
            assert!(!raw.set("surely_unknown", node));
        }
        let node = Node::new(Kind::Int(1), Mark::default());
        accepts_all::<RawAutoscaling>(&node);
        accepts_all::<RawLaunch>(&node);
    }
}
