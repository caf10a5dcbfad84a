//! `ec2`: latencies, IMDS delay, throttling buckets, retries, error latency and faults.

use super::*;

impl Checker<'_> {
    pub(super) fn ec2(&mut self, section: Option<&Deferred<'_>>, path: &FieldPath) -> Ec2Config {
        let mut ec2 = Ec2Config::default();
        let Some(raw) = section.and_then(|s| self.mapping::<RawEc2>(s.value, path)) else {
            return ec2;
        };
        if let Some(table) = &raw.latency {
            self.latency_table(table.value, &path.key("latency"), &mut ec2.latency);
        }
        if let Some(delay) = &raw.imds_delay {
            if let Some(latency) = self.latency(delay.value, &path.key("imds_delay")) {
                ec2.imds_delay = latency;
            }
        }
        if let Some(t) = &raw.throttling {
            self.throttling(t.value, &path.key("throttling"), &mut ec2.throttling);
        }
        if let Some(r) = &raw.retry {
            self.retry(r.value, &path.key("retry"), &mut ec2.retry);
        }
        if let Some(v) = &raw.error_latency {
            if let Some(d) = self.duration(&path.key("error_latency"), v) {
                ec2.error_latency = d;
            }
        }
        if let Some(v) = &raw.address_choice {
            let options = [
                ("random", AddressChoice::Random),
                ("lowest", AddressChoice::Lowest),
            ];
            if let Some(c) = self.choice(&path.key("address_choice"), v, &options) {
                ec2.address_choice = c;
            }
        }
        if let Some(f) = &raw.faults {
            let at = path.key("faults");
            for (key, value, p) in self.entries(f.value, &at) {
                match Ec2Action::from_name(&key) {
                    Some(a) => {
                        if let Some(x) = self.probability(&p, value) {
                            ec2.fault_rate[a as usize] = x;
                        }
                    }
                    None => self.unknown_key(&at, &key, &ACTION_NAMES, "EC2 action"),
                }
            }
        }
        ec2
    }

    /// `ec2.throttling`: `false` turns it off; a mapping may set `enabled`, `mutating` and
    /// `describe` (defaults for the two action classes), any action by name, and
    /// `background` (other tenants' requests per second per action).
    pub(super) fn throttling(&mut self, value: &Node, path: &FieldPath, t: &mut ThrottlingConfig) {
        if let Kind::Bool(b) = &value.kind {
            t.enabled = *b;
            return;
        }
        let entries = self.entries(value, path);
        // class defaults first, then named actions
        for (key, v, p) in entries
            .iter()
            .filter(|(k, _, _)| k == "mutating" || k == "describe")
        {
            if let Some(b) = self.bucket(p, v) {
                for a in Ec2Action::ALL {
                    if a.is_mutating() == (key == "mutating") {
                        t.buckets[a as usize] = b;
                    }
                }
            }
        }
        for (key, v, p) in &entries {
            match key.as_str() {
                "mutating" | "describe" => {}
                "enabled" => {
                    if let Some(b) = self.boolean(p, &Scalar::from_value(v)) {
                        t.enabled = b;
                    }
                }
                "background" => {
                    for (action, rate, rp) in self.entries(v, p) {
                        match Ec2Action::from_name(&action) {
                            Some(a) => {
                                if let Some(r) = self.u32_at_least(
                                    &rp,
                                    &Scalar::from_value(rate),
                                    0,
                                    "a request rate per second",
                                ) {
                                    t.background_per_s[a as usize] = r;
                                }
                            }
                            None => self.unknown_key(p, &action, &ACTION_NAMES, "EC2 action"),
                        }
                    }
                }
                name => match Ec2Action::from_name(name) {
                    Some(a) => {
                        if let Some(b) = self.bucket(p, v) {
                            t.buckets[a as usize] = b;
                        }
                    }
                    None => {
                        let mut allowed: Vec<&str> =
                            vec!["enabled", "mutating", "describe", "background"];
                        allowed.extend(ACTION_NAMES);
                        self.unknown_key(path, name, &allowed, "throttling key");
                    }
                },
            }
        }
    }

    /// `{bucket: N, refill: N}`: capacity ≥ 1 tokens, refill ≥ 0 tokens per second.
    pub(super) fn bucket(&mut self, path: &FieldPath, value: &Node) -> Option<BucketSpec> {
        let mut capacity = None;
        let mut refill = None;
        for (k, v, p) in self.entries(value, path) {
            match k.as_str() {
                "bucket" => {
                    capacity = self.u32_at_least(&p, &Scalar::from_value(v), 1, "a bucket size")
                }
                "refill" => {
                    refill =
                        self.u32_at_least(&p, &Scalar::from_value(v), 0, "a refill rate per second")
                }
                other => self.unknown_key(path, other, &["bucket", "refill"], "bucket key"),
            }
        }
        match (capacity, refill) {
            (Some(capacity), Some(refill_per_s)) => Some(BucketSpec {
                capacity,
                refill_per_s,
            }),
            _ => {
                self.error(
                    path,
                    "expected {bucket: <tokens>, refill: <tokens per second>}",
                );
                None
            }
        }
    }

    /// `ec2.retry`: `max_attempts` (≥ 1), `max_backoff` (duration), `quota` (tokens).
    pub(super) fn retry(&mut self, value: &Node, path: &FieldPath, r: &mut RetryConfig) {
        for (k, v, p) in self.entries(value, path) {
            let sv = Scalar::from_value(v);
            match k.as_str() {
                "max_attempts" => {
                    if let Some(n) = self.u32_at_least(&p, &sv, 1, "max_attempts") {
                        r.max_attempts = n;
                    }
                }
                "max_backoff" => {
                    if let Some(d) = self.duration(&p, &sv) {
                        r.max_backoff = d;
                    }
                }
                "quota" => {
                    if let Some(n) = self.u32_at_least(&p, &sv, 0, "a retry quota") {
                        r.quota = n;
                    }
                }
                other => self.unknown_key(
                    path,
                    other,
                    &["max_attempts", "max_backoff", "quota"],
                    "retry key",
                ),
            }
        }
    }

    /// `ec2.latency`: `default` applies to every action first, then named actions override.
    pub(super) fn latency_table(
        &mut self,
        value: &Node,
        path: &FieldPath,
        table: &mut [Latency; crate::scenario::EC2_ACTIONS],
    ) {
        let mapping = match &value.kind {
            Kind::Null => return,
            Kind::Map(m) => m,
            _ => {
                self.error(
                    path,
                    format!(
                        "expected a mapping from `default` or an EC2 action name to a latency; \
                         found {}",
                        raw::kind_of(value)
                    ),
                );
                return;
            }
        };
        let mut allowed = vec!["default"];
        allowed.extend(Ec2Action::ALL.iter().map(|a| a.name()));
        let mut named = Vec::new();
        for (key, val) in mapping {
            let Some(name) = key.as_str() else {
                self.non_text_key(path, key, &[]);
                continue;
            };
            let action = match Ec2Action::from_name(name) {
                Some(action) => Some(action),
                None if name == "default" => None,
                None => {
                    self.unknown_key(path, name, &allowed, "EC2 action");
                    continue;
                }
            };
            let Some(latency) = self.latency(val, &path.key(name)) else {
                continue;
            };
            match action {
                Some(action) => named.push((action, latency)),
                None => table.fill(latency),
            }
        }
        for (action, latency) in named {
            table[action as usize] = latency;
        }
    }

    /// A latency in one of its three forms.
    pub(super) fn latency(&mut self, value: &Node, path: &FieldPath) -> Option<Latency> {
        match self.raw_latency(value, path)? {
            RawLatency::Fixed(d) => self.duration(path, &d).map(Latency::Fixed),
            RawLatency::Distribution(d) => self.distribution(&d, path),
        }
    }

    /// Which form a latency is written in: a single value, or a mapping without unknown keys.
    pub(super) fn raw_latency<'v>(
        &mut self,
        value: &'v Node,
        path: &FieldPath,
    ) -> Option<RawLatency<'v>> {
        match &value.kind {
            Kind::Map(_) => {
                let before = self.rec.problems.len();
                let d: RawLatencyDistribution = self.mapping(value, path)?;
                (self.rec.problems.len() == before).then_some(RawLatency::Distribution(d))
            }
            Kind::Null | Kind::Seq(_) => {
                self.error(
                    path,
                    format!("found {}; {LATENCY_FORMS}", raw::kind_of(value)),
                );
                None
            }
            _ => Some(RawLatency::Fixed(Scalar::from_value(value))),
        }
    }

    pub(super) fn distribution(
        &mut self,
        d: &RawLatencyDistribution,
        path: &FieldPath,
    ) -> Option<Latency> {
        match (&d.min, &d.max, &d.exponential) {
            (Some(min_v), Some(max_v), None) => {
                let min = self.duration(&path.key("min"), min_v);
                let max = self.duration(&path.key("max"), max_v);
                let (min, max) = (min?, max?);
                if min > max {
                    self.error(
                        path,
                        format!(
                            "min {} is greater than max {}; a uniform latency needs min <= max",
                            min_v.text(),
                            max_v.text()
                        ),
                    );
                    return None;
                }
                Some(Latency::Uniform { min, max })
            }
            (None, None, Some(mean)) => self
                .duration(&path.key("exponential"), mean)
                .map(|mean| Latency::Exponential { mean }),
            _ => {
                self.error(
                    path,
                    format!("this mix of keys is not a latency; {LATENCY_FORMS}"),
                );
                None
            }
        }
    }
}

/// EC2 action names, for messages.
pub(super) const ACTION_NAMES: [&str; crate::scenario::EC2_ACTIONS] = [
    "AssignPrivateIpAddresses",
    "UnassignPrivateIpAddresses",
    "CreateNetworkInterface",
    "AttachNetworkInterface",
    "ModifyNetworkInterfaceAttribute",
    "DetachNetworkInterface",
    "DeleteNetworkInterface",
    "DescribeNetworkInterfaces",
    "DescribeInstances",
    "DescribeSubnets",
    "AssignIpv6Addresses",
    "AssociateTrunkInterface",
];
