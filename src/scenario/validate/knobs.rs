//! Top-level `faults`, and the `kubelet`, `ipamd` and `scheduler` knobs.

use super::*;

impl Checker<'_> {
    /// Top-level `faults`: `eni_missing_from_imds` (probability) and `aws_node_restarts`
    /// (`[{at, node}]`, node names as `<nodegroup>-<n>` of the nodes present at t = 0).
    pub(super) fn faults(
        &mut self,
        section: Option<&Deferred<'_>>,
        path: &FieldPath,
        nodegroups: &[Option<NodeGroupSpec>],
    ) -> FaultConfig {
        let mut f = FaultConfig::default();
        let Some(section) = section else {
            return f;
        };
        for (k, v, p) in self.entries(section.value, path) {
            match k.as_str() {
                "eni_missing_from_imds" => {
                    if let Some(x) = self.probability(&p, v) {
                        f.eni_missing_from_imds = x;
                    }
                }
                "aws_node_restarts" => {
                    for (i, item) in self.list(v, &p, "restarts").iter().enumerate() {
                        let at = p.index(i);
                        let mut time = None;
                        let mut node = None;
                        for (k2, v2, p2) in self.entries(item, &at) {
                            match k2.as_str() {
                                "at" => time = self.duration(&p2, &Scalar::from_value(v2)),
                                "node" => node = self.string(&p2, &Scalar::from_value(v2)),
                                other => {
                                    self.unknown_key(&at, other, &["at", "node"], "restart key")
                                }
                            }
                        }
                        let (Some(time), Some(node)) = (time, node) else {
                            self.error(
                                &at,
                                "expected {at: <duration>, node: <node name such as workers-1>}",
                            );
                            continue;
                        };
                        let exists = nodegroups.iter().flatten().any(|g| {
                            node.strip_prefix(&format!("{}-", g.name))
                                .and_then(|n| n.parse::<u32>().ok())
                                .is_some_and(|n| n >= 1 && n <= g.count)
                        });
                        if !exists {
                            self.error(&at.key("node"), format!("no node \"{node}\" at t=0; nodes are named <nodegroup>-<n>, n from 1 to the group's count"));
                            continue;
                        }
                        f.aws_node_restarts.push((SimTime(time.micros()), node));
                    }
                }
                other => self.unknown_key(
                    path,
                    other,
                    &["eni_missing_from_imds", "aws_node_restarts"],
                    "fault",
                ),
            }
        }
        f
    }

    pub(super) fn kubelet(
        &mut self,
        section: Option<&Deferred<'_>>,
        path: &FieldPath,
    ) -> KubeletConfig {
        let mut kubelet = KubeletConfig::default();
        let Some(raw) = section.and_then(|s| self.mapping::<RawKubelet>(s.value, path)) else {
            return kubelet;
        };
        if let Some(v) = &raw.retry_interval {
            if let Some(d) = self.positive_duration(&path.key("retry_interval"), v) {
                kubelet.retry_interval = d;
            }
        }
        if let Some(v) = &raw.retry_jitter {
            let at = path.key("retry_jitter");
            match self.float(&at, v) {
                Some(j) if (0.0..=10.0).contains(&j) => kubelet.retry_jitter = j,
                Some(j) => self.error(
                    &at,
                    format!("{j} is out of range; the jitter is a fraction of retry_interval from 0 to 10"),
                ),
                None => {}
            }
        }
        kubelet
    }

    pub(super) fn ipamd(
        &mut self,
        section: Option<&Deferred<'_>>,
        path: &FieldPath,
    ) -> IpamdConfig {
        let mut ipamd = IpamdConfig::default();
        let Some(raw) = section.and_then(|s| self.mapping::<RawIpamd>(s.value, path)) else {
            return ipamd;
        };
        if let Some(v) = &raw.placement {
            let options = [
                ("random", Placement::Random),
                ("canonical", Placement::Canonical),
            ];
            if let Some(p) = self.choice(&path.key("placement"), v, &options) {
                ipamd.placement = p;
            }
        }
        if let Some(v) = &raw.tick_overhead {
            if let Some(d) = self.duration(&path.key("tick_overhead"), v) {
                ipamd.tick_overhead = d;
            }
        }
        ipamd
    }

    /// `resource_controller`: the VPC resource controller's branch-ENI cooldown and EC2
    /// client rate. A cooldown below 30 s is raised to 30 s as the controller does
    /// (cooldown.go:74-79), with a warning.
    pub(super) fn resource_controller(
        &mut self,
        section: Option<&Deferred<'_>>,
        path: &FieldPath,
    ) -> ResourceControllerConfig {
        let mut rc = ResourceControllerConfig::default();
        let Some(raw) = section.and_then(|s| self.mapping::<RawResourceController>(s.value, path))
        else {
            return rc;
        };
        if let Some(v) = &raw.branch_eni_cooldown {
            let at = path.key("branch_eni_cooldown");
            if let Some(d) = self.duration(&at, v) {
                let min = SimDuration::from_secs(30);
                if d < min {
                    self.warn(
                        &at,
                        format!(
                            "{d} is below the controller's minimum cooldown; it uses 30s                              instead (MinimalCoolDownPeriod, pkg/provider/branch/cooldown/                             cooldown.go:74-79)"
                        ),
                    );
                }
                rc.branch_eni_cooldown = d.max(min);
            }
        }
        if let Some(v) = &raw.ec2_qps {
            let at = path.key("ec2_qps");
            if let Some(n) = self.u32_at_least(&at, v, 1, "a request rate per second") {
                rc.ec2_qps = n;
            }
        }
        if let Some(v) = &raw.ec2_burst {
            let at = path.key("ec2_burst");
            if let Some(n) = self.u32_at_least(&at, v, 1, "a burst of requests") {
                rc.ec2_burst = n;
            }
        }
        rc
    }

    pub(super) fn scheduler(
        &mut self,
        section: Option<&Deferred<'_>>,
        path: &FieldPath,
    ) -> SchedulerConfig {
        let mut scheduler = SchedulerConfig::default();
        let Some(raw) = section.and_then(|s| self.mapping::<RawScheduler>(s.value, path)) else {
            return scheduler;
        };
        if let Some(v) = &raw.policy {
            let options = [
                ("least-allocated", SchedulerPolicy::LeastAllocated),
                ("most-allocated", SchedulerPolicy::MostAllocated),
            ];
            if let Some(p) = self.choice(&path.key("policy"), v, &options) {
                scheduler.policy = p;
            }
        }
        scheduler
    }
}
