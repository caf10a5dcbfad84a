//! The whole file: every section, assembled into a [`Scenario`].

use super::*;
use crate::scenario::{Escaped, OutputSet};

impl<'t> Checker<'t> {
    /// The whole file; `None` only when nothing could be read (a problem is recorded).
    pub(super) fn scenario(&mut self, root: &'t Node, default_name: &str) -> Option<Scenario> {
        let top = FieldPath::default();
        let raw: RawScenario = self.mapping(root, &top)?;

        let name = match &raw.name {
            Some(v) => self.name(&top.key("name"), v, false),
            None => Some(default_name.to_string()),
        };
        let seed = match &raw.seed {
            Some(v) => self.u64(&top.key("seed"), v, "the seed"),
            None => Some(1),
        };
        let duration = self
            .required(&raw.duration, &top, "duration", DURATION_HINT)
            .and_then(|v| self.positive_duration(&top.key("duration"), v));
        let sample_interval = match &raw.sample_interval {
            Some(v) => self.positive_duration(&top.key("sample_interval"), v),
            None => Some(SimDuration::from_secs(1)),
        };
        // outputs write times in milliseconds: a run length or sample period with a
        // fraction of a millisecond would write two samples at one printed time (below
        // 1 ms the work budget speaks)
        for (key, d) in [("duration", duration), ("sample_interval", sample_interval)] {
            if let Some(d) = d.filter(|d| d.micros() > 1000 && d.micros() % 1000 != 0) {
                self.error(
                    &top.key(key),
                    format!(
                        "{}us is not a whole number of milliseconds; outputs write times in \
                         milliseconds, so give it in ms or coarser (e.g. {}ms)",
                        d.micros(),
                        d.micros().div_ceil(1000)
                    ),
                );
            }
        }
        let cni = self.cni(raw.cni.as_ref(), &top.key("cni"));
        let ipam = self.ipam(raw.ipam.as_ref(), &top.key("ipam"));
        let subnets = self.subnets(raw.subnets.as_ref(), &top.key("subnets"));
        let no_subnets = match raw.subnets.as_ref().map(|s| &s.value.kind) {
            None | Some(Kind::Null) => true,
            Some(Kind::Seq(items)) => items.is_empty(),
            Some(_) => false,
        };
        let nodegroups = self.nodegroups(
            raw.nodegroups.as_ref(),
            &top.key("nodegroups"),
            &subnets,
            no_subnets,
            &cni,
            ipam.calico(),
        );
        let eniconfigs = self.eniconfigs(raw.eniconfigs.as_ref(), &top.key("eniconfigs"), &subnets);
        if cni.custom_network_cfg {
            self.check_eniconfig_coverage(&nodegroups, &subnets, &eniconfigs, &top);
        }
        self.check_discovery(&cni, &subnets, &nodegroups, &eniconfigs, &top);
        let sweep = self.sweep(raw.sweep.as_ref(), &top.key("sweep"));
        let faults = self.faults(raw.faults.as_ref(), &top.key("faults"), &nodegroups);
        let daemonsets = self.daemonsets(raw.daemonsets.as_ref(), &top.key("daemonsets"));
        let workloads = self.workloads(raw.workloads.as_ref(), &top.key("workloads"));
        let ec2 = self.ec2(raw.ec2.as_ref(), &top.key("ec2"));
        let kubelet = self.kubelet(raw.kubelet.as_ref(), &top.key("kubelet"));
        let ipamd = self.ipamd(raw.ipamd.as_ref(), &top.key("ipamd"));
        let scheduler = self.scheduler(raw.scheduler.as_ref(), &top.key("scheduler"));
        let resource_controller = self.resource_controller(
            raw.resource_controller.as_ref(),
            &top.key("resource_controller"),
        );

        let outputs = self.outputs(raw.outputs.as_ref(), &top.key("outputs"));
        let slo = self.slo(raw.slo.as_ref(), &top.key("slo"));
        let allow_large = match &raw.allow_large {
            Some(v) => self.boolean(&top.key("allow_large"), v)?,
            None => false,
        };
        let scenario = Scenario {
            name: name?,
            seed: seed?,
            duration: duration?,
            sample_interval: sample_interval?,
            cni,
            subnets: subnets.into_iter().map(|s| s.spec).collect::<Option<_>>()?,
            eniconfigs,
            sweep,
            nodegroups: nodegroups.into_iter().collect::<Option<_>>()?,
            daemonsets: daemonsets.into_iter().collect::<Option<_>>()?,
            workloads: workloads.into_iter().collect::<Option<_>>()?,
            ec2,
            faults,
            kubelet,
            ipamd,
            scheduler,
            resource_controller,
            ipam,
            outputs,
            slo,
            file: String::new(),
            warnings: Vec::new(),
        };
        self.check_modes(&scenario, &top);
        self.check_calico(&scenario, &top);
        self.check_placement(&scenario, &top);
        self.budget(&scenario, allow_large, raw.sample_interval.is_some());
        Some(scenario)
    }

    /// `slo`: a list of objectives in `--slo`'s grammar (`p99_time_to_ip<=10s`), each
    /// problem located at its item.
    fn slo(
        &mut self,
        section: Option<&Deferred<'t>>,
        path: &FieldPath,
    ) -> Vec<crate::scenario::slo::Objective> {
        let Some(d) = section else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, item) in self
            .list(d.value, path, "objectives such as \"p99_time_to_ip<=10s\"")
            .iter()
            .enumerate()
        {
            let p = path.index(i);
            let Some(text) = self.string(&p, &Scalar::from_value(item)) else {
                continue;
            };
            match crate::scenario::slo::parse_objective(&text) {
                Ok(o) => out.push(o),
                Err(e) => self.error(&p, e),
            }
        }
        out
    }

    /// `outputs`: a list of output file names (default every file).
    fn outputs(&mut self, section: Option<&Deferred<'t>>, path: &FieldPath) -> OutputSet {
        let Some(d) = section else {
            return OutputSet::default();
        };
        let mut set = OutputSet::NONE;
        for (i, item) in self
            .list(d.value, path, "output file names")
            .iter()
            .enumerate()
        {
            let p = path.index(i);
            let Some(name) = self.string(&p, &Scalar::from_value(item)) else {
                continue;
            };
            if !set.add(&name) {
                self.error(
                    &p,
                    format!(
                        "unknown output {:?}; allowed: {}, all (summary.json is always written)",
                        Escaped(&name).to_string(),
                        OutputSet::NAMES.join(", ")
                    ),
                );
            }
        }
        set
    }
}
