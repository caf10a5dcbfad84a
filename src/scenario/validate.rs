//! Scenario text → validated [`Scenario`], reporting every problem at once.
//!
//! How problems are collected:
//!
//! 1. The text is parsed into a [`serde_yaml::Value`]. A syntax error stops here, as one
//!    [`Diagnostic`] carrying serde_yaml's line and column.
//! 2. Each mapping is checked against its raw type's [`Keys::KEYS`] (each unknown key is one
//!    diagnostic, with the allowed keys), then deserialized into that [`raw`] type. Leaves are
//!    [`Scalar`]s and nested parts are [`Deferred`], so this step judges shape only; every
//!    section and every list element is decoded on its own, under its own field path.
//! 3. Each value is converted and checked (types, ranges, references, ordering, overlaps),
//!    recording a diagnostic and carrying on with a placeholder when something is wrong.
//! 4. If anything was recorded, the result is [`ScenarioErrors`] with all of it, in file
//!    order; otherwise the [`Scenario`].
//!
//! serde_yaml's `Value` has no positions, so diagnostics are placed by the private `locate`
//! module: a best-effort search of the text for a field path (see its documentation).

use super::raw::{
    self, Deferred, Keys, RawCni, RawDaemonSet, RawEc2, RawEniConfig, RawIpamd, RawKubelet,
    RawLatency, RawLatencyDistribution, RawNodeGroup, RawScenario, RawScheduler, RawStep,
    RawSubnet, RawWorkload, Scalar,
};
use super::{
    BucketSpec, CniConfig, DaemonSetSpec, Diagnostic, Ec2Action, Ec2Config, EniConfigSpec,
    FaultConfig, IpamdConfig, Ipv4Cidr, KubeletConfig, Latency, NodeGroupSpec, Placement,
    RetryConfig, Scenario, ScenarioErrors, SchedulerConfig, SchedulerPolicy, SubnetSpec,
    ThrottlingConfig, UsedSpec, WorkloadSpec,
};
use crate::catalog;
use crate::time::{parse_duration, SimDuration, SimTime};
use serde::de::DeserializeOwned;
use serde_yaml::{Mapping, Value};
use std::fmt;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

mod sources;

mod autoscaling;

/// Reads a scenario file and validates it ([`parse`]). The file name in messages is
/// `path` as given; a read failure is a single diagnostic.
pub fn load(path: &Path) -> Result<Scenario, ScenarioErrors> {
    let file = path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(text) => parse_in_dir(&text, &file, path.parent().unwrap_or(Path::new(""))),
        Err(err) => Err(ScenarioErrors {
            file,
            problems: vec![Diagnostic {
                path: String::new(),
                location: None,
                message: format!("cannot read file: {}", io_message(&err)),
            }],
        }),
    }
}

/// Parses and validates scenario text. `file` names the file in messages, and its stem
/// (`scenarios/three-t3-medium.yaml` → `three-t3-medium`) is the default scenario name.
///
/// Trace files (`workloads[].trace`) are read relative to the directory part of `file`,
/// so `file` should be the scenario's path as the user named it (a bare name such as
/// `test.yaml` means the current directory); see [`parse_in_dir`] to give the directory.
///
/// Returns every problem found, never just the first; never panics.
pub fn parse(text: &str, file: &str) -> Result<Scenario, ScenarioErrors> {
    parse_in_dir(
        text,
        file,
        Path::new(file).parent().unwrap_or(Path::new("")),
    )
}

/// [`parse`], with trace paths resolved against `dir` (the scenario file's directory).
pub fn parse_in_dir(text: &str, file: &str, dir: &Path) -> Result<Scenario, ScenarioErrors> {
    let mut checker = Checker::new(text, dir);
    let scenario = checker.scenario(text, &file_stem(file));
    let mut problems = checker.problems;
    match scenario {
        Some(scenario) if problems.is_empty() => Ok(scenario),
        _ => {
            if problems.is_empty() {
                // Unreachable by construction: every `None` above records a problem.
                problems.push(Diagnostic {
                    path: String::new(),
                    location: None,
                    message: "the scenario is invalid".to_string(),
                });
            }
            problems.sort_by_key(|d| d.location.unwrap_or((usize::MAX, usize::MAX)));
            Err(ScenarioErrors {
                file: file.to_string(),
                problems,
            })
        }
    }
}

/// The file name without directories and extension, or `scenario`.
fn file_stem(file: &str) -> String {
    Path::new(file)
        .file_stem()
        .and_then(|s| s.to_str())
        .filter(|s| !s.is_empty())
        .unwrap_or("scenario")
        .to_string()
}

/// An I/O error's text without the trailing ` (os error N)`.
fn io_message(err: &std::io::Error) -> String {
    let text = err.to_string();
    match text.find(" (os error ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

/// What a duration looks like, for messages.
const DURATION_HINT: &str = "a duration like 250ms, 30s, 10m or 1h";
/// The three ways to write a latency.
const LATENCY_FORMS: &str = "a latency is a duration (100ms), {min: 300ms, max: 900ms} \
     (uniform) or {exponential: 300ms} (exponential with that mean)";

/// One step of a field path.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Seg {
    /// A mapping key.
    Key(String),
    /// A list index (0-based).
    Index(usize),
}

/// A field path such as `workloads[0].steps[2].at`; empty for the whole file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct FieldPath(Vec<Seg>);

impl FieldPath {
    fn key(&self, key: &str) -> FieldPath {
        let mut segs = self.0.clone();
        segs.push(Seg::Key(key.to_string()));
        FieldPath(segs)
    }

    fn index(&self, index: usize) -> FieldPath {
        let mut segs = self.0.clone();
        segs.push(Seg::Index(index));
        FieldPath(segs)
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Key(k) if i == 0 => f.write_str(k)?,
                Seg::Key(k) => write!(f, ".{k}")?,
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// Names already used in one list, to report duplicates.
#[derive(Default)]
struct SeenNames(Vec<(String, FieldPath)>);

/// Collects diagnostics while converting raw values.
struct Checker<'t> {
    locator: locate::Locator<'t>,
    problems: Vec<Diagnostic>,
    /// Directory that trace paths are relative to.
    base_dir: PathBuf,
}

impl<'t> Checker<'t> {
    fn new(text: &'t str, base_dir: &Path) -> Self {
        Checker {
            locator: locate::Locator::new(text),
            problems: Vec::new(),
            base_dir: base_dir.to_path_buf(),
        }
    }

    // ----- recording -----

    /// Records a problem with the value at `path`, placed at the path (or its nearest
    /// located parent).
    fn error(&mut self, path: &FieldPath, message: impl Into<String>) {
        let location = self.locator.locate_nearest(&path.0);
        self.problems.push(Diagnostic {
            path: path.to_string(),
            location,
            message: message.into(),
        });
    }

    /// Records an unknown key `key` in the mapping at `parent`, placed at the key.
    fn unknown_key(&mut self, parent: &FieldPath, key: &str, allowed: &[&str], noun: &str) {
        let location = self.locator.locate_nearest(&parent.key(key).0);
        let hint = match closest(key, allowed) {
            Some(near) => format!(" (did you mean \"{near}\"?)"),
            None => String::new(),
        };
        self.problems.push(Diagnostic {
            path: parent.to_string(),
            location,
            message: format!(
                "unknown {noun} \"{key}\"{hint}; allowed: {}",
                allowed.join(", ")
            ),
        });
    }

    // ----- structure -----

    /// Parses the text to a YAML tree; a syntax error is one diagnostic.
    fn yaml(&mut self, text: &str) -> Option<Value> {
        let parsed = serde_yaml::from_str::<Value>(text).and_then(|mut v| {
            v.apply_merge()?;
            Ok(v)
        });
        match parsed {
            Ok(value) => Some(value),
            Err(err) => {
                self.problems.push(Diagnostic {
                    path: String::new(),
                    location: err.location().map(|l| (l.line(), l.column())),
                    message: format!("cannot parse YAML: {}", strip_yaml_location(&err)),
                });
                None
            }
        }
    }

    /// Decodes the mapping at `path` into raw type `T`: each unknown or non-string key is
    /// reported, the rest is deserialized. Nothing (`key:` with no value) is an empty mapping.
    /// Returns `None` only when the value is not a mapping at all.
    fn mapping<T: DeserializeOwned + Default + Keys>(
        &mut self,
        value: &Value,
        path: &FieldPath,
    ) -> Option<T> {
        let mapping = match value {
            Value::Null => return Some(T::default()),
            Value::Mapping(m) => m,
            other => {
                self.error(
                    path,
                    format!(
                        "expected a mapping with keys {}; found {}",
                        T::KEYS.join(", "),
                        raw::kind_of(other)
                    ),
                );
                return None;
            }
        };
        let mut known = Mapping::new();
        for (key, val) in mapping {
            match key.as_str() {
                Some(name) if T::KEYS.contains(&name) => {
                    known.insert(key.clone(), val.clone());
                }
                Some(name) => self.unknown_key(path, name, T::KEYS, "key"),
                None => self.error(
                    path,
                    format!(
                        "keys must be text; found {} key {}; allowed keys: {}",
                        raw::kind_of(key),
                        Scalar::from_value(key),
                        T::KEYS.join(", ")
                    ),
                ),
            }
        }
        match serde_yaml::from_value::<T>(Value::Mapping(known)) {
            Ok(decoded) => Some(decoded),
            Err(err) => {
                // Leaves accept any value, so this should not happen; report it anyway.
                self.error(path, format!("cannot read this section: {err}"));
                None
            }
        }
    }

    /// The elements of the list at `path`; nothing is an empty list.
    fn list<'v>(&mut self, value: &'v Value, path: &FieldPath, noun: &str) -> &'v [Value] {
        match value {
            Value::Null => &[],
            Value::Sequence(items) => items,
            other => {
                self.error(
                    path,
                    format!(
                        "expected a list of {noun}; found {} (start each entry with \"- \")",
                        raw::kind_of(other)
                    ),
                );
                &[]
            }
        }
    }

    /// The value of a required key, or a "missing" diagnostic naming what is expected.
    fn required<'s>(
        &mut self,
        field: &'s Option<Scalar>,
        parent: &FieldPath,
        key: &str,
        expected: &str,
    ) -> Option<&'s Scalar> {
        if field.is_none() {
            self.error(
                &parent.key(key),
                format!("required key is missing; expected {expected}"),
            );
        }
        field.as_ref()
    }

    // ----- scalar conversions -----

    fn duration(&mut self, path: &FieldPath, value: &Scalar) -> Option<SimDuration> {
        if let Scalar::Other(kind) = value {
            self.error(path, format!("expected {DURATION_HINT}; found {kind}"));
            return None;
        }
        match parse_duration(&value.text()) {
            Ok(d) => Some(d),
            Err(message) => {
                self.error(path, message);
                None
            }
        }
    }

    fn positive_duration(&mut self, path: &FieldPath, value: &Scalar) -> Option<SimDuration> {
        let d = self.duration(path, value)?;
        if d == SimDuration::ZERO {
            self.error(path, format!("must be longer than 0; found {value}"));
            return None;
        }
        Some(d)
    }

    fn whole_number(&mut self, path: &FieldPath, value: &Scalar) -> Option<i128> {
        let found = match value {
            Scalar::Int(i) => return Some(*i),
            Scalar::Float(_) => format!("{value}, which is not a whole number"),
            Scalar::Str(_) => format!("the string {value}"),
            Scalar::Bool(_) => format!("{value}"),
            Scalar::Other(kind) => (*kind).to_string(),
        };
        self.error(path, format!("expected a whole number; found {found}"));
        None
    }

    /// A `u32` that must be at least `min`; `noun` names it in messages ("a node count").
    fn u32_at_least(
        &mut self,
        path: &FieldPath,
        value: &Scalar,
        min: u32,
        noun: &str,
    ) -> Option<u32> {
        let n = self.whole_number(path, value)?;
        let message = if n < 0 && min == 0 {
            format!("{n} is negative; {noun} must be 0 or more")
        } else if n < i128::from(min) {
            format!("{n} is too small; {noun} must be {min} or more")
        } else if n > i128::from(u32::MAX) {
            format!("{n} is too large; {noun} must be at most {}", u32::MAX)
        } else {
            return u32::try_from(n).ok();
        };
        self.error(path, message);
        None
    }

    fn u64(&mut self, path: &FieldPath, value: &Scalar, noun: &str) -> Option<u64> {
        let n = self.whole_number(path, value)?;
        match u64::try_from(n) {
            Ok(v) => Some(v),
            Err(_) => {
                self.error(
                    path,
                    format!("{n} is out of range; {noun} must be from 0 to {}", u64::MAX),
                );
                None
            }
        }
    }

    fn boolean(&mut self, path: &FieldPath, value: &Scalar) -> Option<bool> {
        if let Scalar::Bool(b) = value {
            return Some(*b);
        }
        self.error(path, format!("expected true or false; found {value}"));
        None
    }

    fn float(&mut self, path: &FieldPath, value: &Scalar) -> Option<f64> {
        match value {
            Scalar::Int(i) => Some(*i as f64),
            Scalar::Float(f) if f.is_finite() => Some(*f),
            other => {
                self.error(path, format!("expected a number; found {other}"));
                None
            }
        }
    }

    fn string(&mut self, path: &FieldPath, value: &Scalar) -> Option<String> {
        match value {
            Scalar::Str(s) => Some(s.clone()),
            Scalar::Other(kind) => {
                self.error(path, format!("expected a string; found {kind}"));
                None
            }
            other => {
                self.error(
                    path,
                    format!("expected a string; found {other} (quote it if you mean the text)"),
                );
                None
            }
        }
    }

    /// A non-empty name; with `dns_like`, only `[a-z0-9-]` (it becomes part of node or pod
    /// names).
    fn name(&mut self, path: &FieldPath, value: &Scalar, dns_like: bool) -> Option<String> {
        let name = self.string(path, value)?;
        if name.is_empty() {
            self.error(path, "the name is empty; give a non-empty name");
            return None;
        }
        let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
        if dns_like && !name.chars().all(allowed) {
            self.error(
                path,
                format!(
                    "{value} has characters that are not allowed; use only lowercase letters, \
                     digits and '-' (the name becomes part of node and pod names)"
                ),
            );
            return None;
        }
        Some(name)
    }

    /// One of `options`, by name.
    fn choice<T: Copy>(
        &mut self,
        path: &FieldPath,
        value: &Scalar,
        options: &[(&str, T)],
    ) -> Option<T> {
        let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
        if let Scalar::Str(s) = value {
            if let Some((_, v)) = options.iter().find(|(n, _)| n == s) {
                return Some(*v);
            }
        }
        self.error(
            path,
            format!("unknown value {value}; allowed: {}", names.join(", ")),
        );
        None
    }

    /// Records `name` in `seen`, reporting it if it was used before.
    fn unique(&mut self, seen: &mut SeenNames, name: &str, path: &FieldPath, noun: &str) {
        if let Some((_, first)) = seen.0.iter().find(|(n, _)| n == name) {
            let first = first.clone();
            self.error(
                path,
                format!(
                    "duplicate {noun} name \"{name}\" (also used at {first}); \
                     {noun} names must be unique"
                ),
            );
        } else {
            seen.0.push((name.to_string(), path.clone()));
        }
    }

    // ----- sections -----

    /// The whole file; `None` only when nothing could be read (a problem is recorded).
    fn scenario(&mut self, text: &str, default_name: &str) -> Option<Scenario> {
        let root = self.yaml(text)?;
        let top = FieldPath::default();
        let raw: RawScenario = self.mapping(&root, &top)?;

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
        let cni = self.cni(raw.cni.as_ref(), &top.key("cni"));
        let subnets = self.subnets(raw.subnets.as_ref(), &top.key("subnets"));
        let no_subnets = match raw.subnets.as_ref().map(|s| &s.value) {
            None | Some(Value::Null) => true,
            Some(Value::Sequence(items)) => items.is_empty(),
            Some(_) => false,
        };
        let nodegroups = self.nodegroups(
            raw.nodegroups.as_ref(),
            &top.key("nodegroups"),
            &subnets,
            no_subnets,
            &cni,
        );
        let eniconfigs = self.eniconfigs(raw.eniconfigs.as_ref(), &top.key("eniconfigs"), &subnets);
        if cni.custom_network_cfg {
            self.check_eniconfig_coverage(&nodegroups, &subnets, &eniconfigs, &top);
        }
        let sweep = self.sweep(raw.sweep.as_ref(), &top.key("sweep"));
        let faults = self.faults(raw.faults.as_ref(), &top.key("faults"), &nodegroups);
        let daemonsets = self.daemonsets(raw.daemonsets.as_ref(), &top.key("daemonsets"));
        let workloads = self.workloads(raw.workloads.as_ref(), &top.key("workloads"));
        let ec2 = self.ec2(raw.ec2.as_ref(), &top.key("ec2"));
        let kubelet = self.kubelet(raw.kubelet.as_ref(), &top.key("kubelet"));
        let ipamd = self.ipamd(raw.ipamd.as_ref(), &top.key("ipamd"));
        let scheduler = self.scheduler(raw.scheduler.as_ref(), &top.key("scheduler"));

        Some(Scenario {
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
        })
    }

    /// `cni`: the aws-node environment, with the real ipamd's rules for odd values.
    fn cni(&mut self, section: Option<&Deferred<RawCni>>, path: &FieldPath) -> CniConfig {
        let mut cni = CniConfig::default();
        let Some(raw) = section.and_then(|s| self.mapping::<RawCni>(&s.value, path)) else {
            return cni;
        };
        let int = |cx: &mut Self, field: &Option<Scalar>, key: &str, fallback: &str| {
            field
                .as_ref()
                .and_then(|v| cx.cni_int(&path.key(key), v, fallback))
        };
        if let Some(v) = int(self, &raw.warm_eni_target, "WARM_ENI_TARGET", "1") {
            cni.warm_eni_target = if v < 0 {
                1
            } else {
                self.cni_u32(path, "WARM_ENI_TARGET", v)
            };
        }
        if let Some(v) = int(self, &raw.warm_ip_target, "WARM_IP_TARGET", "0") {
            cni.warm_ip_target = self.cni_u32(path, "WARM_IP_TARGET", v.max(0));
        }
        if let Some(v) = int(self, &raw.minimum_ip_target, "MINIMUM_IP_TARGET", "0") {
            cni.minimum_ip_target = self.cni_u32(path, "MINIMUM_IP_TARGET", v.max(0));
        }
        if let Some(v) = int(self, &raw.warm_prefix_target, "WARM_PREFIX_TARGET", "0") {
            cni.warm_prefix_target = self.cni_u32(path, "WARM_PREFIX_TARGET", v.max(0));
        }
        if let Some(v) = int(self, &raw.max_eni, "MAX_ENI", "-1, meaning unset") {
            cni.max_eni = (v >= 1).then(|| self.cni_u32(path, "MAX_ENI", v));
        }
        if let Some(v) = int(self, &raw.ip_cooldown_period, "IP_COOLDOWN_PERIOD", "30") {
            cni.ip_cooldown_period_s = v;
        }
        let flag = |cx: &mut Self, field: &Option<Scalar>, key: &str, fallback: bool| {
            field
                .as_ref()
                .and_then(|v| cx.cni_bool(&path.key(key), v, fallback))
        };
        if let Some(b) = flag(
            self,
            &raw.enable_prefix_delegation,
            "ENABLE_PREFIX_DELEGATION",
            false,
        ) {
            cni.enable_prefix_delegation = b;
        }
        let custom_key = "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG";
        if let Some(b) = flag(self, &raw.custom_network_cfg, custom_key, false) {
            cni.custom_network_cfg = b;
        }
        if let Some(b) = flag(
            self,
            &raw.enable_subnet_discovery,
            "ENABLE_SUBNET_DISCOVERY",
            true,
        ) {
            cni.enable_subnet_discovery = b;
        }
        cni
    }

    /// An aws-node integer setting, as Go's `strconv.Atoi` reads it (optional sign, digits).
    /// `fallback` is what aws-node silently uses for a value it cannot parse.
    fn cni_int(&mut self, path: &FieldPath, value: &Scalar, fallback: &str) -> Option<i64> {
        let parsed = match value {
            Scalar::Int(i) => i64::try_from(*i).ok(),
            Scalar::Str(s) => parse_go_int(s),
            _ => None,
        };
        if parsed.is_none() {
            let what = match value {
                Scalar::Other(kind) => format!("found {kind}, which is not an integer"),
                Scalar::Int(_) => format!("{value} is out of range for an integer"),
                other => format!("{other} is not an integer"),
            };
            self.error(
                path,
                format!("{what} (aws-node would silently treat it as {fallback})"),
            );
        }
        parsed
    }

    /// A non-negative aws-node integer that must fit the model's `u32`.
    fn cni_u32(&mut self, parent: &FieldPath, key: &str, v: i64) -> u32 {
        u32::try_from(v).unwrap_or_else(|_| {
            self.error(
                &parent.key(key),
                format!("{v} is too large; at most {} is supported", u32::MAX),
            );
            0
        })
    }

    /// An aws-node boolean setting, as Go's `strconv.ParseBool` reads it.
    fn cni_bool(&mut self, path: &FieldPath, value: &Scalar, fallback: bool) -> Option<bool> {
        let parsed = match value {
            Scalar::Bool(b) => Some(*b),
            Scalar::Int(_) | Scalar::Str(_) => parse_go_bool(&value.text()),
            _ => None,
        };
        if parsed.is_none() {
            self.error(
                path,
                format!(
                    "{value} is not a boolean; allowed: 1, t, T, TRUE, true, True, 0, f, F, \
                     FALSE, false, False (aws-node would silently treat it as {fallback})"
                ),
            );
        }
        parsed
    }

    /// `subnets`: each entry's name (for references, even if its CIDR is bad) and spec.
    fn subnets(
        &mut self,
        section: Option<&Deferred<Vec<RawSubnet>>>,
        path: &FieldPath,
    ) -> Vec<SubnetEntry> {
        let Some(section) = section else {
            return Vec::new();
        };
        let mut entries = Vec::new();
        let mut seen = SeenNames::default();
        for (i, item) in self
            .list(&section.value, path, "subnets")
            .iter()
            .enumerate()
        {
            let at = path.index(i);
            let raw: RawSubnet = self.mapping(item, &at).unwrap_or_default();
            let name = self
                .required(&raw.name, &at, "name", "a subnet name such as private-a")
                .and_then(|v| self.name(&at.key("name"), v, false));
            if let Some(name) = &name {
                self.unique(&mut seen, name, &at.key("name"), "subnet");
            }
            let cidr = self
                .required(
                    &raw.cidr,
                    &at,
                    "cidr",
                    "an IPv4 CIDR such as 192.168.1.0/24",
                )
                .and_then(|v| self.cidr(&at.key("cidr"), v));
            let az = match &raw.az {
                Some(v) => self.name(&at.key("az"), v, false),
                None => Some("default".to_string()),
            };
            let role_cni = match &raw.role_cni {
                Some(v) => self.boolean(&at.key("role_cni"), v).map(Some),
                None => Some(None),
            };
            let reservations = match (&raw.reservations, cidr) {
                (Some(r), Some(c)) => self.reservations(&r.value, &at.key("reservations"), c),
                (Some(r), None) => {
                    let _ = self.list(&r.value, &at.key("reservations"), "CIDRs");
                    None
                }
                (None, _) => Some(Vec::new()),
            };
            let used = match (&raw.used, cidr, &reservations) {
                (Some(u), Some(c), Some(res)) => self.used(&u.value, &at.key("used"), c, res),
                (Some(_), _, _) => None,
                (None, _, _) => Some(UsedSpec::None),
            };
            let spec = match (&name, cidr, az, role_cni, used, reservations) {
                (
                    Some(name),
                    Some(cidr),
                    Some(az),
                    Some(role_cni),
                    Some(used),
                    Some(reservations),
                ) => Some(SubnetSpec {
                    name: name.clone(),
                    cidr,
                    az,
                    role_cni,
                    used,
                    reservations,
                }),
                _ => None,
            };
            entries.push(SubnetEntry { name, cidr, spec });
        }
        self.check_overlaps(&entries, path);
        entries
    }

    /// `reservations`: prefix-type CIDR reservations, inside the subnet, /28 or larger,
    /// not overlapping each other.
    fn reservations(
        &mut self,
        value: &Value,
        path: &FieldPath,
        subnet: Ipv4Cidr,
    ) -> Option<Vec<Ipv4Cidr>> {
        let mut out = Vec::new();
        let mut ok = true;
        for (i, item) in self.list(value, path, "CIDRs").iter().enumerate() {
            let at = path.index(i);
            let Some(text) = self.string(&at, &Scalar::from_value(item)) else {
                ok = false;
                continue;
            };
            let c = match parse_cidr_any(&text) {
                Ok(c) => c,
                Err(m) => {
                    self.error(&at, m);
                    ok = false;
                    continue;
                }
            };
            if c.prefix_len > 28 {
                self.error(&at, format!("reservation {c} is smaller than a /28 prefix; a prefix reservation must be /28 or larger"));
                ok = false;
            } else if !contains(subnet, c) {
                self.error(
                    &at,
                    format!(
                        "reservation {c} lies outside the subnet {subnet}; it must be inside it"
                    ),
                );
                ok = false;
            } else if let Some(prev) = out.iter().find(|p: &&Ipv4Cidr| overlaps(**p, c)) {
                self.error(&at, format!("reservation {c} overlaps reservation {prev}; reservations must not overlap"));
                ok = false;
            } else {
                out.push(c);
            }
        }
        ok.then_some(out)
    }

    /// `used`: a count of addresses scattered over the subnet, or a list of ranges
    /// (`10.0.0.16-10.0.0.40`, a CIDR, or one address).
    fn used(
        &mut self,
        value: &Value,
        path: &FieldPath,
        subnet: Ipv4Cidr,
        reservations: &[Ipv4Cidr],
    ) -> Option<UsedSpec> {
        let reserved: u64 = reservations.iter().map(|r| r.size()).sum();
        let usable = subnet.size().saturating_sub(5 + reserved);
        match value {
            Value::Number(_) => {
                let n = self.u32_at_least(
                    path,
                    &Scalar::from_value(value),
                    0,
                    "a count of used addresses",
                )?;
                if u64::from(n) > usable {
                    self.error(path, format!("{n} used addresses do not fit: subnet {subnet} has {usable} usable addresses outside AWS-reserved ones and reservations"));
                    return None;
                }
                Some(UsedSpec::Count(n))
            }
            Value::Sequence(items) => {
                let mut ranges = Vec::new();
                let mut ok = true;
                for (i, item) in items.iter().enumerate() {
                    let at = path.index(i);
                    let Some(text) = self.string(&at, &Scalar::from_value(item)) else {
                        ok = false;
                        continue;
                    };
                    match parse_range(&text) {
                        Ok((a, b)) if contains_range(subnet, a, b) => ranges.push((a, b)),
                        Ok(_) => {
                            self.error(
                                &at,
                                format!("range {text} lies outside the subnet {subnet}"),
                            );
                            ok = false;
                        }
                        Err(m) => {
                            self.error(&at, m);
                            ok = false;
                        }
                    }
                }
                ok.then_some(UsedSpec::Ranges(ranges))
            }
            other => {
                self.error(path, format!("expected a count of used addresses or a list of ranges such as [10.0.0.16-10.0.0.40, 10.0.1.0/26]; found {}", raw::kind_of(other)));
                None
            }
        }
    }

    /// `sweep`: a mapping from CNI setting names to non-empty lists of values.
    fn sweep(
        &mut self,
        section: Option<&Deferred<Value>>,
        path: &FieldPath,
    ) -> Vec<(String, Vec<String>)> {
        let Some(section) = section else {
            return Vec::new();
        };
        let Value::Mapping(map) = &section.value else {
            self.error(path, format!("expected a mapping of CNI settings to lists of values, such as {{WARM_IP_TARGET: [0, 2, 5]}}; found {}", raw::kind_of(&section.value)));
            return Vec::new();
        };
        let mut out = Vec::new();
        for (k, v) in map {
            let key = match k {
                Value::String(k) => k.clone(),
                other => {
                    self.error(
                        path,
                        format!("setting names are strings; found {}", raw::kind_of(other)),
                    );
                    continue;
                }
            };
            let at = path.key(&key);
            if !RawCni::KEYS.contains(&key.as_str()) {
                self.unknown_key(path, &key, RawCni::KEYS, "CNI setting");
                continue;
            }
            let items = self.list(v, &at, "values");
            if items.is_empty() {
                self.error(&at, "an empty list; give at least one value");
                continue;
            }
            let mut values = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let text = Scalar::from_value(item).text();
                match check_cni_value(&key, &text) {
                    Ok(()) => values.push(text),
                    Err(m) => self.error(&at.index(i), m),
                }
            }
            out.push((key, values));
        }
        out
    }

    /// `eniconfigs`: one per AZ, each naming a subnet in that AZ.
    fn eniconfigs(
        &mut self,
        section: Option<&Deferred<Vec<RawEniConfig>>>,
        path: &FieldPath,
        subnets: &[SubnetEntry],
    ) -> Vec<EniConfigSpec> {
        let Some(section) = section else {
            return Vec::new();
        };
        let mut out: Vec<EniConfigSpec> = Vec::new();
        for (i, item) in self
            .list(&section.value, path, "eniconfigs")
            .iter()
            .enumerate()
        {
            let at = path.index(i);
            let raw: RawEniConfig = self.mapping(item, &at).unwrap_or_default();
            let az = self
                .required(
                    &raw.az,
                    &at,
                    "az",
                    "an availability zone name such as us-east-1a",
                )
                .and_then(|v| self.name(&at.key("az"), v, false));
            let subnet = self
                .required(&raw.subnet, &at, "subnet", "the name of the pod subnet")
                .and_then(|v| self.subnet_ref(&at.key("subnet"), v, subnets));
            let (Some(az), Some(subnet)) = (az, subnet) else {
                continue;
            };
            if out.iter().any(|e| e.az == az) {
                self.error(
                    &at.key("az"),
                    format!("a second ENIConfig for AZ \"{az}\"; one per AZ"),
                );
                continue;
            }
            if let Some(spec) = &subnets[subnet].spec {
                if spec.az != az {
                    self.error(&at.key("subnet"), format!("subnet \"{}\" is in AZ \"{}\", not \"{az}\"; an ENIConfig's subnet must be in its AZ", spec.name, spec.az));
                    continue;
                }
            }
            out.push(EniConfigSpec { az, subnet });
        }
        out
    }

    /// With custom networking, every AZ a nodegroup launches into needs an ENIConfig.
    fn check_eniconfig_coverage(
        &mut self,
        nodegroups: &[Option<NodeGroupSpec>],
        subnets: &[SubnetEntry],
        eniconfigs: &[EniConfigSpec],
        top: &FieldPath,
    ) {
        for (i, ng) in nodegroups.iter().enumerate() {
            let Some(ng) = ng else { continue };
            for &sn in &ng.subnets {
                let Some(spec) = &subnets[sn].spec else {
                    continue;
                };
                if !eniconfigs.iter().any(|e| e.az == spec.az) {
                    let known: Vec<&str> = eniconfigs.iter().map(|e| e.az.as_str()).collect();
                    self.error(
                        &top.key("nodegroups").index(i),
                        format!(
                            "custom networking is on but subnet \"{}\" is in AZ \"{}\", which no ENIConfig lists (eniconfigs cover: {}); add eniconfigs: [{{az: {}, subnet: <pod subnet>}}]",
                            spec.name,
                            spec.az,
                            if known.is_empty() { "none".to_string() } else { known.join(", ") },
                            spec.az
                        ),
                    );
                }
            }
        }
    }

    fn cidr(&mut self, path: &FieldPath, value: &Scalar) -> Option<Ipv4Cidr> {
        let text = self.string(path, value)?;
        match parse_subnet_cidr(&text) {
            Ok(cidr) => Some(cidr),
            Err(message) => {
                self.error(path, message);
                None
            }
        }
    }

    /// Reports each subnet whose CIDR overlaps an earlier one.
    fn check_overlaps(&mut self, entries: &[SubnetEntry], path: &FieldPath) {
        for (j, later) in entries.iter().enumerate() {
            let Some(b) = later.cidr else { continue };
            let clash = entries[..j]
                .iter()
                .enumerate()
                .find(|(_, e)| e.cidr.is_some_and(|a| overlaps(a, b)));
            if let Some((i, earlier)) = clash {
                let a = earlier.cidr.map(|c| c.to_string()).unwrap_or_default();
                let named = earlier.name.as_deref().unwrap_or("?");
                self.error(
                    &path.index(j).key("cidr"),
                    format!(
                        "{b} overlaps {a} of subnet \"{named}\" (subnets[{i}]); \
                         subnets must not overlap"
                    ),
                );
            }
        }
    }

    /// `nodegroups`; `None` entries had a problem. `no_subnets`: the file defines none.
    fn nodegroups(
        &mut self,
        section: Option<&Deferred<Vec<RawNodeGroup>>>,
        path: &FieldPath,
        subnets: &[SubnetEntry],
        no_subnets: bool,
        cni: &CniConfig,
    ) -> Vec<Option<NodeGroupSpec>> {
        let Some(section) = section else {
            return Vec::new();
        };
        let items = self.list(&section.value, path, "nodegroups");
        if !items.is_empty() && no_subnets {
            self.error(
                &FieldPath::default().key("subnets"),
                "nodegroups need at least one subnet; add e.g. \
                 subnets: [{name: private-a, cidr: 192.168.0.0/16}]",
            );
        }
        let mut seen = SeenNames::default();
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let at = path.index(i);
            let raw: RawNodeGroup = self.mapping(item, &at).unwrap_or_default();
            out.push(self.nodegroup(&raw, &at, subnets, &mut seen, cni));
        }
        out
    }

    fn nodegroup(
        &mut self,
        raw: &RawNodeGroup,
        at: &FieldPath,
        subnets: &[SubnetEntry],
        seen: &mut SeenNames,
        cni: &CniConfig,
    ) -> Option<NodeGroupSpec> {
        let name = self
            .required(
                &raw.name,
                at,
                "name",
                "a name of lowercase letters, digits and '-'",
            )
            .and_then(|v| self.name(&at.key("name"), v, true));
        if let Some(name) = &name {
            self.unique(seen, name, &at.key("name"), "nodegroup");
        }
        let instance_type = self
            .required(
                &raw.instance_type,
                at,
                "instance_type",
                "an EC2 instance type such as t3.medium",
            )
            .and_then(|v| self.instance_type(&at.key("instance_type"), v));
        let count = self
            .required(
                &raw.count,
                at,
                "count",
                "the number of nodes at t=0 (0 or more)",
            )
            .and_then(|v| self.u32_at_least(&at.key("count"), v, 0, "a node count"));
        let subnet_list: Option<Vec<usize>> = match (&raw.subnet, &raw.subnets) {
            (Some(v), None) => self
                .subnet_ref(&at.key("subnet"), v, subnets)
                .map(|i| vec![i]),
            (None, Some(list)) => {
                let path = at.key("subnets");
                let items = self.list(&list.value, &path, "subnet names");
                if items.is_empty() {
                    self.error(&path, "an empty list; name at least one subnet");
                    None
                } else {
                    let mut found = Vec::new();
                    let mut ok = true;
                    for (i, item) in items.iter().enumerate() {
                        match self.subnet_ref(&path.index(i), &Scalar::from_value(item), subnets) {
                            Some(idx) => found.push(idx),
                            None => ok = false,
                        }
                    }
                    ok.then_some(found)
                }
            }
            (Some(_), Some(_)) => {
                self.error(
                    at,
                    "both `subnet` and `subnets`; give one subnet name or a list, not both",
                );
                None
            }
            (None, None) => {
                self.error(at, "missing key \"subnet\"; expected the name of a subnet (or `subnets:` with a list of names)");
                None
            }
        };
        let max_pods = match (&raw.max_pods, instance_type) {
            (Some(v), _) => self.u32_at_least(&at.key("max_pods"), v, 1, "max_pods"),
            (None, Some(t)) => {
                Some(t.kubelet_max_pods(cni.enable_prefix_delegation, cni.custom_network_cfg))
            }
            (None, None) => None,
        };
        let (autoscaling, launches) = self.nodegroup_scaling(raw, at, count)?;
        Some(NodeGroupSpec {
            name: name?,
            instance_type: instance_type?.clone(),
            count: count?,
            subnets: subnet_list?,
            max_pods: max_pods?,
            autoscaling,
            launches,
        })
    }

    fn instance_type(
        &mut self,
        path: &FieldPath,
        value: &Scalar,
    ) -> Option<&'static catalog::InstanceType> {
        let name = self.string(path, value)?;
        let found = catalog::lookup(&name);
        if found.is_none() {
            let near = catalog::suggest(&name);
            let hint = if near.is_empty() {
                String::new()
            } else {
                format!("; did you mean {}?", near.join(", "))
            };
            self.error(path, format!("unknown instance type \"{name}\"{hint}"));
        }
        found
    }

    /// The index of the subnet named by `value`. With no readable subnets at all, that is
    /// reported once elsewhere instead of at every reference.
    fn subnet_ref(
        &mut self,
        path: &FieldPath,
        value: &Scalar,
        subnets: &[SubnetEntry],
    ) -> Option<usize> {
        let name = self.string(path, value)?;
        if subnets.is_empty() {
            return None;
        }
        let found = subnets
            .iter()
            .position(|s| s.name.as_deref() == Some(&name));
        if found.is_none() {
            let mut known: Vec<&str> = Vec::new();
            for s in subnets.iter().filter_map(|s| s.name.as_deref()) {
                if !known.contains(&s) {
                    known.push(s);
                }
            }
            let known = if known.is_empty() {
                "none has a valid name".to_string()
            } else {
                known.join(", ")
            };
            self.error(
                path,
                format!("unknown subnet \"{name}\"; known subnets: {known}"),
            );
        }
        found
    }

    fn daemonsets(
        &mut self,
        section: Option<&Deferred<Vec<RawDaemonSet>>>,
        path: &FieldPath,
    ) -> Vec<Option<DaemonSetSpec>> {
        let Some(section) = section else {
            return Vec::new();
        };
        let mut seen = SeenNames::default();
        let mut out = Vec::new();
        for (i, item) in self
            .list(&section.value, path, "daemonsets")
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

    /// An optional boolean, default false (a wrong value is reported).
    fn optional_bool(&mut self, field: &Option<Scalar>, path: &FieldPath) -> bool {
        field
            .as_ref()
            .and_then(|v| self.boolean(path, v))
            .unwrap_or(false)
    }

    fn workloads(
        &mut self,
        section: Option<&Deferred<Vec<RawWorkload>>>,
        path: &FieldPath,
    ) -> Vec<Option<WorkloadSpec>> {
        let Some(section) = section else {
            return Vec::new();
        };
        let mut seen = SeenNames::default();
        let mut out = Vec::new();
        for (i, item) in self
            .list(&section.value, path, "workloads")
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
            let source = self.workload_source(&raw, &at);
            out.push(match (name, source) {
                (Some(name), Some((steps, source))) => Some(WorkloadSpec {
                    name,
                    host_network,
                    steps,
                    source,
                }),
                _ => None,
            });
        }
        out
    }

    /// A workload's `(time, replicas)` list, from `replicas` (+ `at`) or from `steps`.
    fn workload_steps(&mut self, raw: &RawWorkload, at: &FieldPath) -> Option<Vec<(SimTime, u32)>> {
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
            (None, Some(steps)) => self.steps(&steps.value, &at.key("steps")),
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
    fn steps(&mut self, value: &Value, path: &FieldPath) -> Option<Vec<(SimTime, u32)>> {
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

    fn ec2(&mut self, section: Option<&Deferred<RawEc2>>, path: &FieldPath) -> Ec2Config {
        let mut ec2 = Ec2Config::default();
        let Some(raw) = section.and_then(|s| self.mapping::<RawEc2>(&s.value, path)) else {
            return ec2;
        };
        if let Some(table) = &raw.latency {
            self.latency_table(&table.value, &path.key("latency"), &mut ec2.latency);
        }
        if let Some(delay) = &raw.imds_delay {
            if let Some(latency) = self.latency(&delay.value, &path.key("imds_delay")) {
                ec2.imds_delay = latency;
            }
        }
        if let Some(t) = &raw.throttling {
            self.throttling(&t.value, &path.key("throttling"), &mut ec2.throttling);
        }
        if let Some(r) = &raw.retry {
            self.retry(&r.value, &path.key("retry"), &mut ec2.retry);
        }
        if let Some(v) = &raw.error_latency {
            if let Some(d) = self.duration(&path.key("error_latency"), v) {
                ec2.error_latency = d;
            }
        }
        if let Some(f) = &raw.faults {
            let at = path.key("faults");
            for (key, value, p) in self.entries(&f.value, &at) {
                match Ec2Action::from_name(&key) {
                    Some(a) => {
                        if let Some(x) = self.probability(&p, &value) {
                            ec2.fault_rate[a as usize] = x;
                        }
                    }
                    None => self.unknown_key(&at, &key, &ACTION_NAMES, "EC2 action"),
                }
            }
        }
        ec2
    }

    /// The `(key, value, path)` entries of a mapping; anything else is reported.
    fn entries(&mut self, value: &Value, path: &FieldPath) -> Vec<(String, Value, FieldPath)> {
        match value {
            Value::Null => Vec::new(),
            Value::Mapping(m) => m
                .iter()
                .filter_map(|(k, v)| match k {
                    Value::String(k) => Some((k.clone(), v.clone(), path.key(k))),
                    other => {
                        self.error(
                            path,
                            format!("keys here are names; found {}", raw::kind_of(other)),
                        );
                        None
                    }
                })
                .collect(),
            other => {
                self.error(
                    path,
                    format!("expected a mapping; found {}", raw::kind_of(other)),
                );
                Vec::new()
            }
        }
    }

    /// A number in [0, 1].
    fn probability(&mut self, path: &FieldPath, value: &Value) -> Option<f64> {
        let x = self.float(path, &Scalar::from_value(value))?;
        if (0.0..=1.0).contains(&x) {
            Some(x)
        } else {
            self.error(
                path,
                format!("{x} is not a probability; expected a number from 0 to 1"),
            );
            None
        }
    }

    /// `ec2.throttling`: `false` turns it off; a mapping may set `enabled`, `mutating` and
    /// `describe` (defaults for the two action classes), any action by name, and
    /// `background` (other tenants' requests per second per action).
    fn throttling(&mut self, value: &Value, path: &FieldPath, t: &mut ThrottlingConfig) {
        if let Value::Bool(b) = value {
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
                                    &Scalar::from_value(&rate),
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
    fn bucket(&mut self, path: &FieldPath, value: &Value) -> Option<BucketSpec> {
        let mut capacity = None;
        let mut refill = None;
        for (k, v, p) in self.entries(value, path) {
            match k.as_str() {
                "bucket" => {
                    capacity = self.u32_at_least(&p, &Scalar::from_value(&v), 1, "a bucket size")
                }
                "refill" => {
                    refill = self.u32_at_least(
                        &p,
                        &Scalar::from_value(&v),
                        0,
                        "a refill rate per second",
                    )
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
    fn retry(&mut self, value: &Value, path: &FieldPath, r: &mut RetryConfig) {
        for (k, v, p) in self.entries(value, path) {
            let sv = Scalar::from_value(&v);
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

    /// Top-level `faults`: `eni_missing_from_imds` (probability) and `aws_node_restarts`
    /// (`[{at, node}]`, node names as `<nodegroup>-<n>` of the nodes present at t = 0).
    fn faults(
        &mut self,
        section: Option<&Deferred<Value>>,
        path: &FieldPath,
        nodegroups: &[Option<NodeGroupSpec>],
    ) -> FaultConfig {
        let mut f = FaultConfig::default();
        let Some(section) = section else {
            return f;
        };
        for (k, v, p) in self.entries(&section.value, path) {
            match k.as_str() {
                "eni_missing_from_imds" => {
                    if let Some(x) = self.probability(&p, &v) {
                        f.eni_missing_from_imds = x;
                    }
                }
                "aws_node_restarts" => {
                    for (i, item) in self.list(&v, &p, "restarts").iter().enumerate() {
                        let at = p.index(i);
                        let mut time = None;
                        let mut node = None;
                        for (k2, v2, p2) in self.entries(item, &at) {
                            match k2.as_str() {
                                "at" => time = self.duration(&p2, &Scalar::from_value(&v2)),
                                "node" => node = self.string(&p2, &Scalar::from_value(&v2)),
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

    /// `ec2.latency`: `default` applies to every action first, then named actions override.
    fn latency_table(&mut self, value: &Value, path: &FieldPath, table: &mut [Latency; 10]) {
        let mapping = match value {
            Value::Null => return,
            Value::Mapping(m) => m,
            other => {
                self.error(
                    path,
                    format!(
                        "expected a mapping from `default` or an EC2 action name to a latency; \
                         found {}",
                        raw::kind_of(other)
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
                self.error(
                    path,
                    format!("keys must be text; found {}", Scalar::from_value(key)),
                );
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
    fn latency(&mut self, value: &Value, path: &FieldPath) -> Option<Latency> {
        match self.raw_latency(value, path)? {
            RawLatency::Fixed(d) => self.duration(path, &d).map(Latency::Fixed),
            RawLatency::Distribution(d) => self.distribution(&d, path),
        }
    }

    /// Which form a latency is written in: a single value, or a mapping without unknown keys.
    fn raw_latency(&mut self, value: &Value, path: &FieldPath) -> Option<RawLatency> {
        match value {
            Value::Mapping(_) => {
                let before = self.problems.len();
                let d: RawLatencyDistribution = self.mapping(value, path)?;
                (self.problems.len() == before).then_some(RawLatency::Distribution(d))
            }
            Value::Null | Value::Sequence(_) | Value::Tagged(_) => {
                self.error(
                    path,
                    format!("found {}; {LATENCY_FORMS}", raw::kind_of(value)),
                );
                None
            }
            scalar => Some(RawLatency::Fixed(Scalar::from_value(scalar))),
        }
    }

    fn distribution(&mut self, d: &RawLatencyDistribution, path: &FieldPath) -> Option<Latency> {
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

    fn kubelet(
        &mut self,
        section: Option<&Deferred<RawKubelet>>,
        path: &FieldPath,
    ) -> KubeletConfig {
        let mut kubelet = KubeletConfig::default();
        let Some(raw) = section.and_then(|s| self.mapping::<RawKubelet>(&s.value, path)) else {
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

    fn ipamd(&mut self, section: Option<&Deferred<RawIpamd>>, path: &FieldPath) -> IpamdConfig {
        let mut ipamd = IpamdConfig::default();
        let Some(raw) = section.and_then(|s| self.mapping::<RawIpamd>(&s.value, path)) else {
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

    fn scheduler(
        &mut self,
        section: Option<&Deferred<RawScheduler>>,
        path: &FieldPath,
    ) -> SchedulerConfig {
        let mut scheduler = SchedulerConfig::default();
        let Some(raw) = section.and_then(|s| self.mapping::<RawScheduler>(&s.value, path)) else {
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

/// One `subnets` entry as far as it could be read.
struct SubnetEntry {
    /// Its name, if valid (nodegroups may refer to it even when its CIDR is bad).
    name: Option<String>,
    /// Its CIDR, if valid (for the overlap check).
    cidr: Option<Ipv4Cidr>,
    /// The whole entry, if valid.
    spec: Option<SubnetSpec>,
}

/// Parses `a.b.c.d/n` as a VPC subnet: prefix /16 to /28, host bits zero.
fn parse_subnet_cidr(text: &str) -> Result<Ipv4Cidr, String> {
    let not_cidr = || {
        format!("\"{text}\" is not an IPv4 CIDR; expected an address and prefix length such as 192.168.1.0/24")
    };
    let (addr, len) = text.split_once('/').ok_or_else(not_cidr)?;
    let addr: Ipv4Addr = addr.parse().map_err(|_| not_cidr())?;
    if len.is_empty() || len.len() > 2 || !len.bytes().all(|b| b.is_ascii_digit()) {
        return Err(not_cidr());
    }
    let prefix_len: u8 = len.parse().map_err(|_| not_cidr())?;
    if prefix_len > 32 {
        return Err(not_cidr());
    }
    if !(16..=28).contains(&prefix_len) {
        return Err(format!(
            "prefix length /{prefix_len} is not allowed for a VPC subnet; AWS allows /16 to /28"
        ));
    }
    let mask = u32::MAX << (32 - u32::from(prefix_len));
    let base = u32::from(addr);
    if base & !mask != 0 {
        let network = Ipv4Cidr {
            base: base & mask,
            prefix_len,
        };
        return Err(format!(
            "{text} has host bits set; the network address must end in zero bits: did you mean {network}?"
        ));
    }
    Ok(Ipv4Cidr { base, prefix_len })
}

/// EC2 action names, for messages.
const ACTION_NAMES: [&str; 10] = [
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
];

/// CNI settings that are booleans; the others are integers.
const CNI_BOOL_KEYS: [&str; 3] = [
    "ENABLE_PREFIX_DELEGATION",
    "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG",
    "ENABLE_SUBNET_DISCOVERY",
];

/// Checks one value for a CNI setting as aws-node would parse it (Go `Atoi` or
/// `ParseBool`); the error says what is allowed. Unknown names are errors too.
pub fn check_cni_value(key: &str, value: &str) -> Result<(), String> {
    if !RawCni::KEYS.contains(&key) {
        return Err(format!(
            "unknown CNI setting \"{key}\"; allowed: {}",
            RawCni::KEYS.join(", ")
        ));
    }
    if CNI_BOOL_KEYS.contains(&key) {
        parse_go_bool(value).map(|_| ()).ok_or_else(|| {
            format!("{key}: \"{value}\" is not a boolean; allowed: true, false, 1, 0, t, f")
        })
    } else {
        parse_go_int(value)
            .map(|_| ())
            .ok_or_else(|| format!("{key}: \"{value}\" is not an integer"))
    }
}

/// Parses any IPv4 CIDR `a.b.c.d/n` (n ≤ 32, host bits zero).
fn parse_cidr_any(text: &str) -> Result<Ipv4Cidr, String> {
    let bad = || format!("\"{text}\" is not an IPv4 CIDR such as 10.0.8.0/22");
    let (addr, len) = text.split_once('/').ok_or_else(bad)?;
    let addr: Ipv4Addr = addr.trim().parse().map_err(|_| bad())?;
    let prefix_len: u8 = len.trim().parse().map_err(|_| bad())?;
    if prefix_len > 32 {
        return Err(bad());
    }
    let mask = if prefix_len == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(prefix_len))
    };
    let base = u32::from(addr);
    if base & !mask != 0 {
        let net = Ipv4Cidr {
            base: base & mask,
            prefix_len,
        };
        return Err(format!("{text} has host bits set; did you mean {net}?"));
    }
    Ok(Ipv4Cidr { base, prefix_len })
}

/// Parses `a-b` (inclusive addresses), a CIDR, or one address into an inclusive range.
fn parse_range(text: &str) -> Result<(u32, u32), String> {
    let bad = || {
        format!("\"{text}\" is not an address range; expected 10.0.0.16-10.0.0.40, a CIDR such as 10.0.1.0/26, or one address")
    };
    if text.contains('/') {
        let c = parse_cidr_any(text)?;
        return Ok((c.base, (u64::from(c.base) + c.size() - 1) as u32));
    }
    if let Some((a, b)) = text.split_once('-') {
        let a: Ipv4Addr = a.trim().parse().map_err(|_| bad())?;
        let b: Ipv4Addr = b.trim().parse().map_err(|_| bad())?;
        let (a, b) = (u32::from(a), u32::from(b));
        if a > b {
            return Err(format!("range {text} ends before it starts"));
        }
        return Ok((a, b));
    }
    let a: Ipv4Addr = text.trim().parse().map_err(|_| bad())?;
    Ok((u32::from(a), u32::from(a)))
}

/// Whether `inner` lies entirely inside `outer`.
fn contains(outer: Ipv4Cidr, inner: Ipv4Cidr) -> bool {
    contains_range(
        outer,
        inner.base,
        (u64::from(inner.base) + inner.size() - 1) as u32,
    )
}

/// Whether the inclusive range `a..=b` lies inside `outer`.
fn contains_range(outer: Ipv4Cidr, a: u32, b: u32) -> bool {
    let end = u64::from(outer.base) + outer.size() - 1;
    u64::from(a) >= u64::from(outer.base) && u64::from(b) <= end
}

/// Whether two CIDR blocks share an address.
fn overlaps(a: Ipv4Cidr, b: Ipv4Cidr) -> bool {
    let end = |c: Ipv4Cidr| u64::from(c.base) + c.size() - 1;
    u64::from(a.base) <= end(b) && u64::from(b.base) <= end(a)
}

/// Go's `strconv.Atoi`: an optional sign and decimal digits, within `i64`.
fn parse_go_int(text: &str) -> Option<i64> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Go's `strconv.ParseBool`.
fn parse_go_bool(text: &str) -> Option<bool> {
    match text {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// serde_yaml's message without the ` at line L column C` it embeds (the location is kept
/// separately).
fn strip_yaml_location(err: &serde_yaml::Error) -> String {
    let text = err.to_string();
    let Some(start) = text.find(" at line ") else {
        return text;
    };
    let rest = &text[start + " at line ".len()..];
    let digits = |s: &str| s.len() - s.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let line_len = digits(rest);
    let Some(after_col) = rest[line_len..].strip_prefix(" column ") else {
        return text;
    };
    let col_len = digits(after_col);
    let end = text.len() - after_col.len() + col_len;
    format!("{}{}", &text[..start], &text[end..])
}

/// The allowed word closest to `word`, if it is a plausible typo (edit distance ≤ 2).
fn closest<'a>(word: &str, allowed: &[&'a str]) -> Option<&'a str> {
    allowed
        .iter()
        .map(|a| (edit_distance(word, a), *a))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, a)| a)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j + 1] + 1).min(cur[j] + 1).min(prev[j] + cost);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// A best-effort search for where a field path is written.
///
/// It understands block-style YAML (indented `key: value` mappings, `- ` list items,
/// including lists at the same indentation as their key), and one-line flow collections
/// (`{at: 0s, replicas: 10}`, `[a, b]`). It does not follow anchors, aliases or merge keys,
/// multi-line flow collections, or keys spelled with escapes; for those, the nearest
/// enclosing field it can find is used instead.
mod locate {
    use super::Seg;

    /// Where a value's text starts (0-based line and byte column).
    #[derive(Clone, Copy, Debug)]
    struct Node {
        line: usize,
        col: usize,
    }

    /// The source text, split into lines, ready for path searches.
    pub(super) struct Locator<'t> {
        lines: Vec<&'t str>,
    }

    impl<'t> Locator<'t> {
        pub(super) fn new(text: &'t str) -> Self {
            Locator {
                lines: text.lines().collect(),
            }
        }

        /// The 1-based (line, column) of `path`, or of its longest prefix that can be found.
        /// The empty path (the whole file) has no location.
        pub(super) fn locate_nearest(&self, path: &[Seg]) -> Option<(usize, usize)> {
            (1..=path.len()).rev().find_map(|n| self.locate(&path[..n]))
        }

        /// The 1-based (line, column) of the last key (or list item's `-`) of `path`.
        pub(super) fn locate(&self, path: &[Seg]) -> Option<(usize, usize)> {
            let mut node = self.root();
            let mut found = None;
            for seg in path {
                let here = node?;
                let (pos, value) = match seg {
                    Seg::Key(key) => self.find_key(here, key)?,
                    Seg::Index(i) => self.find_item(here, *i)?,
                };
                found = Some(pos);
                node = value;
            }
            let (line, col) = found?;
            let text = self.lines.get(line)?;
            let chars_before = text.get(..col)?.chars().count();
            Some((line + 1, chars_before + 1))
        }

        /// The first content line, where the top-level mapping starts.
        fn root(&self) -> Option<Node> {
            let line = (0..self.lines.len()).find(|&l| {
                let t = self.lines[l].trim();
                is_content(t) && t != "---" && !t.starts_with('%')
            })?;
            Some(Node {
                line,
                col: indent(self.lines[line]),
            })
        }

        fn text_at(&self, node: Node) -> Option<&'t str> {
            self.lines.get(node.line)?.get(node.col..)
        }

        /// Positions at `node.col` that belong to the block starting at `node`: the start
        /// itself, then each later line indented exactly as much, until a line indented less.
        fn block_entries(&self, node: Node) -> Vec<Node> {
            let mut out = vec![node];
            for line in node.line + 1..self.lines.len() {
                let text = self.lines[line];
                if !is_content(text.trim()) {
                    continue;
                }
                let ind = indent(text);
                if ind < node.col {
                    break;
                }
                if ind == node.col {
                    out.push(Node { line, col: ind });
                }
            }
            out
        }

        /// The key `key` in the mapping at `node`: its position and its value's start.
        fn find_key(&self, node: Node, key: &str) -> Option<((usize, usize), Option<Node>)> {
            if self.text_at(node)?.starts_with('{') {
                return self.find_flow_key(node, key);
            }
            for entry in self.block_entries(node) {
                let text = self.text_at(entry)?;
                if let Some(after) = match_key(text, key) {
                    let value = self.value_after(entry.line, entry.col + after, entry.col, true);
                    return Some(((entry.line, entry.col), value));
                }
            }
            None
        }

        /// Item `index` of the list at `node`: its `-` and its value's start.
        fn find_item(&self, node: Node, index: usize) -> Option<((usize, usize), Option<Node>)> {
            if self.text_at(node)?.starts_with('[') {
                return self.find_flow_item(node, index);
            }
            let entry = self
                .block_entries(node)
                .into_iter()
                .take_while(|e| self.text_at(*e).is_some_and(is_dash))
                .nth(index)?;
            let value = self.value_after(entry.line, entry.col + 1, entry.col, false);
            Some(((entry.line, entry.col), value))
        }

        /// Where the value that follows byte `from` of `line` starts: later on the same
        /// line, or on the next content line if that is indented more than `owner_col`
        /// (or, for a key, a `- ` list at the key's own indentation).
        fn value_after(
            &self,
            line: usize,
            from: usize,
            owner_col: usize,
            is_key: bool,
        ) -> Option<Node> {
            let after = self.lines.get(line)?.get(from..)?;
            let rest = after.trim_start();
            if !rest.is_empty() && !rest.starts_with('#') {
                return Some(Node {
                    line,
                    col: from + (after.len() - rest.len()),
                });
            }
            let next = (line + 1..self.lines.len()).find(|&l| is_content(self.lines[l].trim()))?;
            let ind = indent(self.lines[next]);
            let text = self.lines[next].get(ind..)?;
            (ind > owner_col || (is_key && ind == owner_col && is_dash(text))).then_some(Node {
                line: next,
                col: ind,
            })
        }

        /// `key` inside a one-line flow mapping starting at `node`.
        fn find_flow_key(&self, node: Node, key: &str) -> Option<((usize, usize), Option<Node>)> {
            let line = self.lines.get(node.line)?;
            let start = node.col;
            for (offset, _) in line.get(start..)?.match_indices(key) {
                let at = start + offset;
                let before = line.get(..at)?.trim_end();
                if !(before.ends_with('{') || before.ends_with(',')) {
                    continue;
                }
                if let Some(after) = match_key(line.get(at..)?, key) {
                    let value = self.value_after(node.line, at + after, usize::MAX, false);
                    return Some(((node.line, at), value));
                }
            }
            None
        }

        /// Element `index` of a one-line flow list starting at `node` (its `[`).
        fn find_flow_item(
            &self,
            node: Node,
            index: usize,
        ) -> Option<((usize, usize), Option<Node>)> {
            let line = self.lines.get(node.line)?;
            let mut depth = 0usize;
            let mut n = 0;
            let mut start = node.col + 1;
            for (offset, c) in line.get(node.col + 1..)?.char_indices() {
                let at = node.col + 1 + offset;
                match c {
                    '[' | '{' => depth += 1,
                    ']' | '}' if depth == 0 => break,
                    ']' | '}' => depth -= 1,
                    ',' if depth == 0 => {
                        if n == index {
                            break;
                        }
                        n += 1;
                        start = at + 1;
                    }
                    _ => {}
                }
            }
            if n != index {
                return None;
            }
            let item = line.get(start..)?;
            let col = start + (item.len() - item.trim_start().len());
            Some((
                (node.line, col),
                Some(Node {
                    line: node.line,
                    col,
                }),
            ))
        }
    }

    /// Whether `text` starts with `key` (plain or quoted) then `:`; returns the byte offset
    /// just after the colon.
    fn match_key(text: &str, key: &str) -> Option<usize> {
        let quoted = [format!("\"{key}\""), format!("'{key}'"), key.to_string()];
        let rest = quoted.iter().find_map(|k| text.strip_prefix(k.as_str()))?;
        let after_spaces = rest.trim_start_matches(' ');
        let after_colon = after_spaces.strip_prefix(':')?;
        let ends = after_colon.is_empty()
            || after_colon.starts_with([' ', '\t'])
            || after_colon.starts_with([',', '}']);
        ends.then_some(text.len() - after_colon.len())
    }

    /// Whether a trimmed line holds something other than a comment.
    fn is_content(trimmed: &str) -> bool {
        !trimmed.is_empty() && !trimmed.starts_with('#')
    }

    /// Whether `text` starts a block list item.
    fn is_dash(text: &str) -> bool {
        text == "-" || text.starts_with("- ") || text.starts_with("-\t")
    }

    fn indent(line: &str) -> usize {
        line.len() - line.trim_start_matches(' ').len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The documented example with every key.
    const FULL: &str = "\
name: three-t3-medium
seed: 7
duration: 10m
sample_interval: 2s
cni:
  WARM_ENI_TARGET: 1
  WARM_IP_TARGET: 5
  MINIMUM_IP_TARGET: 3
  WARM_PREFIX_TARGET: 1
  ENABLE_PREFIX_DELEGATION: false
  MAX_ENI: -1
  IP_COOLDOWN_PERIOD: -5
  AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG: false
  ENABLE_SUBNET_DISCOVERY: false
subnets:
  - name: private-a
    cidr: 192.168.1.0/24
  - name: private-b
    cidr: 192.168.2.0/24
nodegroups:
  - name: ng1
    instance_type: t3.medium
    count: 3
    subnet: private-b
    max_pods: 11
  - name: ng2
    instance_type: m5.large
    count: 0
    subnet: private-a
daemonsets:
  - name: aws-node
    host_network: true
  - name: kube-proxy
workloads:
  - name: nginx
    host_network: false
    at: 60s
    replicas: 50
  - name: web
    steps:
      - {at: 0s, replicas: 10}
      - {at: 5m, replicas: 300}
ec2:
  latency:
    CreateNetworkInterface: 400ms
    default: 100ms
    AttachNetworkInterface: {min: 300ms, max: 900ms}
    DeleteNetworkInterface: {exponential: 300ms}
  imds_delay: {min: 1s, max: 4s}
kubelet:
  retry_interval: 5s
  retry_jitter: 0.25
ipamd:
  placement: canonical
  tick_overhead: 0
scheduler:
  policy: most-allocated
";

    /// The smallest valid file.
    const MINIMAL: &str = "\
duration: 1m
subnets:
  - name: a
    cidr: 10.0.0.0/16
nodegroups:
  - name: ng
    instance_type: t3.medium
    count: 2
    subnet: a
";

    fn ms(m: u64) -> SimDuration {
        SimDuration::from_millis(m)
    }

    fn ok(text: &str) -> Scenario {
        match parse(text, "scenarios/test.yaml") {
            Ok(s) => s,
            Err(e) => panic!("expected Ok, got:\n{e}"),
        }
    }

    fn errors(text: &str) -> Vec<Diagnostic> {
        match parse(text, "scenarios/test.yaml") {
            Ok(_) => panic!("expected errors for:\n{text}"),
            Err(e) => {
                assert!(!e.problems.is_empty());
                e.problems
            }
        }
    }

    /// The only problem reported for `text`.
    fn one_error(text: &str) -> Diagnostic {
        let problems = errors(text);
        assert_eq!(problems.len(), 1, "expected one problem, got {problems:#?}");
        problems
            .into_iter()
            .next()
            .unwrap_or_else(|| unreachable!())
    }

    /// Asserts path, location and a phrase of the message.
    fn check(d: &Diagnostic, path: &str, location: Option<(usize, usize)>, phrase: &str) {
        assert_eq!(d.path, path, "path of {d:?}");
        assert_eq!(d.location, location, "location of {d:?}");
        assert!(
            d.message.contains(phrase),
            "{:?} should contain {phrase:?}",
            d.message
        );
    }

    /// MINIMAL with `extra` appended (top-level sections).
    fn minimal_plus(extra: &str) -> String {
        format!("{MINIMAL}{extra}")
    }

    #[test]
    fn full_example_parses_to_expected_values() {
        let s = ok(FULL);
        assert_eq!(s.name, "three-t3-medium");
        assert_eq!(s.seed, 7);
        assert_eq!(s.duration, SimDuration::from_secs(600));
        assert_eq!(s.sample_interval, SimDuration::from_secs(2));
        let cni = CniConfig {
            warm_eni_target: 1,
            warm_ip_target: 5,
            minimum_ip_target: 3,
            warm_prefix_target: 1,
            enable_prefix_delegation: false,
            max_eni: None,
            ip_cooldown_period_s: -5,
            custom_network_cfg: false,
            enable_subnet_discovery: false,
        };
        assert_eq!(s.cni, cni);
        assert_eq!(s.subnets.len(), 2);
        // 192.168.2.0 = 0xC0A80200
        assert_eq!(
            s.subnets[1].cidr,
            Ipv4Cidr {
                base: 0xC0A8_0200,
                prefix_len: 24
            }
        );
        assert_eq!(s.subnets[1].cidr.to_string(), "192.168.2.0/24");
        let ng1 = &s.nodegroups[0];
        assert_eq!(
            (ng1.name.as_str(), ng1.count, ng1.subnets[0], ng1.max_pods),
            ("ng1", 3, 1, 11)
        );
        assert_eq!(ng1.instance_type.name, "t3.medium");
        // m5.large: 3 ENIs x (10 - 1) + 2 = 29 pods by default.
        let ng2 = &s.nodegroups[1];
        assert_eq!((ng2.count, ng2.subnets[0], ng2.max_pods), (0, 0, 29));
        assert_eq!(s.daemonsets.len(), 2);
        assert!(s.daemonsets[0].host_network);
        assert!(!s.daemonsets[1].host_network);
        assert_eq!(s.workloads[0].steps, vec![(SimTime(60_000_000), 50)]);
        assert!(!s.workloads[0].host_network);
        assert_eq!(
            s.workloads[1].steps,
            vec![(SimTime(0), 10), (SimTime(300_000_000), 300)]
        );
        // `default` applies first even though it is written after an override.
        let lat = &s.ec2.latency;
        assert_eq!(
            lat[Ec2Action::CreateNetworkInterface as usize],
            Latency::Fixed(ms(400))
        );
        assert_eq!(
            lat[Ec2Action::AssignPrivateIpAddresses as usize],
            Latency::Fixed(ms(100))
        );
        assert_eq!(
            lat[Ec2Action::DescribeSubnets as usize],
            Latency::Fixed(ms(100))
        );
        assert_eq!(
            lat[Ec2Action::AttachNetworkInterface as usize],
            Latency::Uniform {
                min: ms(300),
                max: ms(900)
            }
        );
        assert_eq!(
            lat[Ec2Action::DeleteNetworkInterface as usize],
            Latency::Exponential { mean: ms(300) }
        );
        assert_eq!(
            s.ec2.imds_delay,
            Latency::Uniform {
                min: ms(1000),
                max: ms(4000)
            }
        );
        assert_eq!(s.kubelet.retry_interval, SimDuration::from_secs(5));
        assert_eq!(s.kubelet.retry_jitter, 0.25);
        assert_eq!(s.ipamd.placement, Placement::Canonical);
        assert_eq!(s.ipamd.tick_overhead, SimDuration::ZERO);
        assert_eq!(s.scheduler.policy, SchedulerPolicy::MostAllocated);
    }

    #[test]
    fn minimal_file_gets_defaults() {
        let s = ok(MINIMAL);
        assert_eq!(s.name, "test");
        assert_eq!(s.seed, 1);
        assert_eq!(s.duration, SimDuration::from_secs(60));
        assert_eq!(s.sample_interval, SimDuration::from_secs(1));
        assert_eq!(s.cni, CniConfig::default());
        assert_eq!(s.ec2, Ec2Config::default());
        assert_eq!(s.kubelet, KubeletConfig::default());
        assert_eq!(s.ipamd, IpamdConfig::default());
        assert_eq!(s.scheduler, SchedulerConfig::default());
        assert!(s.daemonsets.is_empty() && s.workloads.is_empty());
        // t3.medium: 3 x (6 - 1) + 2 = 17
        assert_eq!(s.nodegroups[0].max_pods, 17);
        assert_eq!(s.subnets[0].cidr.size(), 65536);
    }

    #[test]
    fn name_defaults_to_the_file_stem() {
        let s = parse(MINIMAL, "scenarios/three-t3-medium.yaml").map(|s| s.name);
        assert_eq!(s.ok().as_deref(), Some("three-t3-medium"));
        let s = parse(MINIMAL, "plain").map(|s| s.name);
        assert_eq!(s.ok().as_deref(), Some("plain"));
    }

    #[test]
    fn cni_accepts_manifest_strings() {
        let s = ok(&minimal_plus(
            "cni:\n  WARM_IP_TARGET: \"1\"\n  WARM_ENI_TARGET: \"-1\"\n  MAX_ENI: \"-1\"\n  \
             ENABLE_SUBNET_DISCOVERY: \"F\"\n  MINIMUM_IP_TARGET: \"+4\"\n  \
             WARM_PREFIX_TARGET: -2\n  IP_COOLDOWN_PERIOD: \"-1\"\n  \
             ENABLE_PREFIX_DELEGATION: \"false\"\n",
        ));
        assert_eq!(s.cni.warm_ip_target, 1);
        assert_eq!(s.cni.warm_eni_target, 1, "negative WARM_ENI_TARGET means 1");
        assert_eq!(s.cni.max_eni, None);
        assert!(!s.cni.enable_subnet_discovery);
        assert_eq!(s.cni.minimum_ip_target, 4);
        assert_eq!(
            s.cni.warm_prefix_target, 0,
            "negative WARM_PREFIX_TARGET means 0"
        );
        assert_eq!(s.cni.ip_cooldown_period_s, -1);

        let s = ok(&minimal_plus(
            "cni:\n  MAX_ENI: 2\n  ENABLE_SUBNET_DISCOVERY: \"true\"\n",
        ));
        assert_eq!(s.cni.max_eni, Some(2));
        assert!(s.cni.enable_subnet_discovery);
        let s = ok(&minimal_plus(
            "cni:\n  MAX_ENI: 0\n  WARM_ENI_TARGET: \"3\"\n",
        ));
        assert_eq!(s.cni.max_eni, None);
        assert_eq!(s.cni.warm_eni_target, 3);
    }

    #[test]
    fn cni_unparsable_values_are_errors() {
        // MINIMAL has 9 lines; `cni:` is line 10.
        let d = one_error(&minimal_plus("cni:\n  WARM_IP_TARGET: \"abc\"\n"));
        check(
            &d,
            "cni.WARM_IP_TARGET",
            Some((11, 3)),
            "\"abc\" is not an integer",
        );
        assert!(d.message.contains("aws-node would silently treat it as 0"));
        let d = one_error(&minimal_plus("cni:\n  ENABLE_SUBNET_DISCOVERY: \"yes\"\n"));
        check(
            &d,
            "cni.ENABLE_SUBNET_DISCOVERY",
            Some((11, 3)),
            "not a boolean",
        );
        assert!(d.message.contains("TRUE") && d.message.contains("as true"));
        let d = one_error(&minimal_plus("cni:\n  WARM_ENI_TARGET: 1.5\n"));
        check(
            &d,
            "cni.WARM_ENI_TARGET",
            Some((11, 3)),
            "1.5 is not an integer",
        );
    }

    #[test]
    fn syntax_error_has_serde_location() {
        let d = one_error("duration: 1m\nsubnets:\n  - name: a\n   cidr: x: y\n");
        assert_eq!(d.path, "");
        let (line, _) = d.location.unwrap_or_default();
        assert_eq!(line, 4, "{d:?}");
        assert!(d.message.starts_with("cannot parse YAML"), "{d:?}");
        // The problem's own position is not repeated; libyaml's context mark stays.
        assert!(!d.message.contains("at line 4"), "{d:?}");
    }

    #[test]
    fn unknown_top_level_key() {
        let d = one_error(&minimal_plus("durration: 5m\n"));
        check(
            &d,
            "",
            Some((10, 1)),
            "unknown key \"durration\" (did you mean \"duration\"?)",
        );
        assert!(d.message.contains("allowed: name, seed, duration"));
    }

    #[test]
    fn unknown_nested_key() {
        let text = MINIMAL.replace("    subnet: a\n", "    subnet: a\n    replica: 3\n");
        let d = one_error(&text);
        check(
            &d,
            "nodegroups[0]",
            Some((10, 5)),
            "unknown key \"replica\"",
        );
        assert!(d
            .message
            .contains("allowed: name, instance_type, count, subnet, subnets, max_pods"));

        // The typo also leaves the workload without `replicas`: both are reported.
        let problems = errors(&minimal_plus("workloads:\n  - name: w\n    replica: 3\n"));
        assert_eq!(problems.len(), 2, "{problems:#?}");
        check(
            &problems[0],
            "workloads[0]",
            Some((11, 3)),
            "needs `replicas`",
        );
        let d = &problems[1];
        check(
            d,
            "workloads[0]",
            Some((12, 5)),
            "unknown key \"replica\" (did you mean \"replicas\"?)",
        );
        assert!(d
            .message
            .contains("allowed: name, host_network, at, replicas, steps"));
    }

    #[test]
    fn wrong_types() {
        let d = one_error(&MINIMAL.replace("count: 2", "count: many"));
        check(
            &d,
            "nodegroups[0].count",
            Some((8, 5)),
            "expected a whole number; found the string \"many\"",
        );
        let d = one_error(&MINIMAL.replace("count: 2", "count: [1, 2]"));
        check(&d, "nodegroups[0].count", Some((8, 5)), "found a list");
        let d = one_error(&minimal_plus(
            "daemonsets:\n  - name: ds\n    host_network: yes\n",
        ));
        check(
            &d,
            "daemonsets[0].host_network",
            Some((12, 5)),
            "expected true or false",
        );
        let d = one_error("duration: 1m\nsubnets: 3\nnodegroups: []\n");
        check(
            &d,
            "subnets",
            Some((2, 1)),
            "expected a list of subnets; found a number",
        );
        let d = one_error("duration: 1m\nnodegroups: {a: 1}\n");
        check(
            &d,
            "nodegroups",
            Some((2, 1)),
            "expected a list of nodegroups; found a mapping",
        );
        let d = one_error("duration: 1m\nkubelet: [1]\n");
        check(
            &d,
            "kubelet",
            Some((2, 1)),
            "expected a mapping with keys retry_interval, retry_jitter",
        );
    }

    #[test]
    fn top_level_must_be_a_mapping() {
        let d = one_error("- a\n- b\n");
        check(&d, "", None, "found a list");
        let d = one_error("");
        check(&d, "duration", None, "required key is missing");
    }

    #[test]
    fn bad_durations() {
        let d = one_error(&MINIMAL.replace("duration: 1m", "duration: 5"));
        check(&d, "duration", Some((1, 1)), "number without a unit");
        let d = one_error(&MINIMAL.replace("duration: 1m", "duration: 0s"));
        check(&d, "duration", Some((1, 1)), "must be longer than 0");
        let text = minimal_plus("workloads:\n  - name: w\n    steps:\n      - {at: 0s, replicas: 1}\n      - {at: 5 minutes, replicas: 2}\n");
        let d = one_error(&text);
        check(
            &d,
            "workloads[0].steps[1].at",
            Some((14, 10)),
            "expected a duration like",
        );
    }

    #[test]
    fn bad_cidrs() {
        let cases = [
            (
                "10.0.0.1/16",
                "has host bits set",
                "did you mean 10.0.0.0/16?",
            ),
            ("10.0.0.0/30", "/30 is not allowed", "/16 to /28"),
            ("10.0.0.0/8", "/8 is not allowed", "/16 to /28"),
            ("banana", "is not an IPv4 CIDR", "such as 192.168.1.0/24"),
            ("10.0.0.0/33", "is not an IPv4 CIDR", "such as"),
            ("10.0.0/16", "is not an IPv4 CIDR", "such as"),
        ];
        for (cidr, phrase, allowed) in cases {
            let d = one_error(&MINIMAL.replace("10.0.0.0/16", cidr));
            check(&d, "subnets[0].cidr", Some((4, 5)), phrase);
            assert!(d.message.contains(allowed), "{d:?}");
        }
    }

    #[test]
    fn overlapping_subnets() {
        let text = MINIMAL.replace(
            "    cidr: 10.0.0.0/16\n",
            "    cidr: 10.0.0.0/16\n  - name: b\n    cidr: 10.1.0.0/16\n  - name: c\n    cidr: 10.0.128.0/24\n",
        );
        let d = one_error(&text);
        check(
            &d,
            "subnets[2].cidr",
            Some((8, 5)),
            "10.0.128.0/24 overlaps 10.0.0.0/16 of subnet \"a\"",
        );
    }

    #[test]
    fn unknown_instance_type_suggests_names() {
        let d = one_error(&MINIMAL.replace("t3.medium", "m5.huge"));
        check(
            &d,
            "nodegroups[0].instance_type",
            Some((7, 5)),
            "unknown instance type \"m5.huge\"; did you mean ",
        );
        let suggested = catalog::suggest("m5.huge");
        assert!(!suggested.is_empty());
        assert!(
            d.message.ends_with(&format!("{}?", suggested.join(", "))),
            "{d:?}"
        );
    }

    #[test]
    fn unknown_subnet_reference_lists_known_names() {
        let d = one_error(&MINIMAL.replace("subnet: a", "subnet: b"));
        check(
            &d,
            "nodegroups[0].subnet",
            Some((9, 5)),
            "unknown subnet \"b\"; known subnets: a",
        );
        let d = one_error("duration: 1m\nnodegroups:\n  - {name: n, instance_type: t3.small, count: 1, subnet: x}\n");
        check(&d, "subnets", None, "need at least one subnet");
    }

    #[test]
    fn negative_and_huge_counts() {
        let d = one_error(&MINIMAL.replace("count: 2", "count: -3"));
        check(
            &d,
            "nodegroups[0].count",
            Some((8, 5)),
            "-3 is negative; a node count must be 0 or more",
        );
        let d = one_error(&MINIMAL.replace("count: 2", "count: 99999999999"));
        check(&d, "nodegroups[0].count", Some((8, 5)), "too large");
        let d = one_error(&MINIMAL.replace("count: 2", "count: 2\n    max_pods: 0"));
        check(
            &d,
            "nodegroups[0].max_pods",
            Some((9, 5)),
            "must be 1 or more",
        );
        let d = one_error(&MINIMAL.replace("duration: 1m", "duration: 1m\nseed: -1"));
        check(
            &d,
            "seed",
            Some((2, 1)),
            "must be from 0 to 18446744073709551615",
        );
    }

    #[test]
    fn steps_out_of_order() {
        let text = minimal_plus(
            "workloads:\n  - name: web\n    steps:\n      - at: 10m\n        replicas: 1\n      - at: 5m\n        replicas: 2\n      - at: 5m\n        replicas: 3\n",
        );
        let problems = errors(&text);
        assert_eq!(problems.len(), 2, "{problems:#?}");
        check(
            &problems[0],
            "workloads[0].steps[1].at",
            Some((15, 9)),
            "step at 5m comes before the previous step at 10m; steps must be in increasing time order",
        );
        check(
            &problems[1],
            "workloads[0].steps[2].at",
            Some((17, 9)),
            "step at 5m is at the same time as the previous step at 5m",
        );
    }

    #[test]
    fn replicas_and_steps_rules() {
        let both = minimal_plus(
            "workloads:\n  - name: w\n    replicas: 1\n    steps: [{at: 0s, replicas: 1}]\n",
        );
        check(
            &one_error(&both),
            "workloads[0]",
            Some((11, 3)),
            "has both `replicas` and `steps`; use exactly one",
        );
        let neither = minimal_plus("workloads:\n  - name: w\n");
        check(
            &one_error(&neither),
            "workloads[0]",
            Some((11, 3)),
            "needs `replicas`",
        );
        let at_alone = minimal_plus(
            "workloads:\n  - name: w\n    at: 5s\n    steps:\n      - {at: 0s, replicas: 1}\n",
        );
        check(
            &one_error(&at_alone),
            "workloads[0].at",
            Some((12, 5)),
            "`at` only goes with `replicas`",
        );
        let empty = minimal_plus("workloads:\n  - name: w\n    steps: []\n");
        check(
            &one_error(&empty),
            "workloads[0].steps",
            Some((12, 5)),
            "at least one",
        );
    }

    #[test]
    fn duplicate_and_malformed_names() {
        let text = MINIMAL.replace(
            "nodegroups:\n",
            "  - name: a\n    cidr: 10.1.0.0/16\nnodegroups:\n  - {name: ng, instance_type: t3.small, count: 1, subnet: a}\n",
        );
        let problems = errors(&text);
        assert_eq!(problems.len(), 2, "{problems:#?}");
        check(
            &problems[0],
            "subnets[1].name",
            Some((5, 5)),
            "duplicate subnet name \"a\" (also used at subnets[0].name)",
        );
        check(
            &problems[1],
            "nodegroups[1].name",
            Some((9, 5)),
            "duplicate nodegroup name \"ng\"",
        );
        let d = one_error(&MINIMAL.replace("name: ng", "name: Node_Group"));
        check(
            &d,
            "nodegroups[0].name",
            Some((6, 5)),
            "only lowercase letters, digits and '-'",
        );
        let d = one_error(&minimal_plus("daemonsets:\n  - name: x\n  - name: x\n"));
        check(
            &d,
            "daemonsets[1].name",
            Some((12, 5)),
            "duplicate daemonset name",
        );
        let d = one_error(&minimal_plus(
            "workloads:\n  - {name: w, replicas: 1}\n  - {name: w, replicas: 1}\n",
        ));
        check(
            &d,
            "workloads[1].name",
            Some((12, 6)),
            "duplicate workload name \"w\"",
        );
    }

    #[test]
    fn ec2_latency_errors() {
        let d = one_error(&minimal_plus(
            "ec2:\n  latency:\n    CreateNetworkInterfaces: 1s\n",
        ));
        check(&d, "ec2.latency", Some((12, 5)), "unknown EC2 action \"CreateNetworkInterfaces\" (did you mean \"CreateNetworkInterface\"?)");
        assert!(d
            .message
            .contains("allowed: default, AssignPrivateIpAddresses"));
        let d = one_error(&minimal_plus(
            "ec2:\n  latency:\n    AttachNetworkInterface: {min: 900ms, max: 300ms}\n",
        ));
        check(
            &d,
            "ec2.latency.AttachNetworkInterface",
            Some((12, 5)),
            "min 900ms is greater than max 300ms",
        );
        let d = one_error(&minimal_plus("ec2:\n  imds_delay: {min: 1s}\n"));
        check(&d, "ec2.imds_delay", Some((11, 3)), "{exponential: 300ms}");
        let d = one_error(&minimal_plus("ec2:\n  imds_delay: [1s]\n"));
        check(
            &d,
            "ec2.imds_delay",
            Some((11, 3)),
            "found a list; a latency is a duration",
        );
        let d = one_error(&minimal_plus("ec2:\n  imds_delay:\n    mean: 1s\n"));
        check(&d, "ec2.imds_delay", Some((12, 5)), "unknown key \"mean\"");
        assert!(
            d.message.ends_with("allowed: min, max, exponential"),
            "{d:?}"
        );
    }

    #[test]
    fn other_section_errors() {
        let text = minimal_plus(
            "kubelet:\n  retry_interval: 0s\n  retry_jitter: 11\nipamd:\n  placement: sorted\nscheduler:\n  policy: 3\n",
        );
        let problems = errors(&text);
        assert_eq!(problems.len(), 4, "{problems:#?}");
        check(
            &problems[0],
            "kubelet.retry_interval",
            Some((11, 3)),
            "must be longer than 0",
        );
        check(
            &problems[1],
            "kubelet.retry_jitter",
            Some((12, 3)),
            "from 0 to 10",
        );
        check(
            &problems[2],
            "ipamd.placement",
            Some((14, 3)),
            "unknown value \"sorted\"; allowed: random, canonical",
        );
        check(
            &problems[3],
            "scheduler.policy",
            Some((16, 3)),
            "allowed: least-allocated, most-allocated",
        );
    }

    #[test]
    fn prefix_delegation_and_custom_networking_set_default_max_pods() {
        // t3.medium with prefix delegation: calculator 3·5·16+2 = 242, capped at 110.
        let sc = ok(&minimal_plus(
            "cni:\n  ENABLE_PREFIX_DELEGATION: \"true\"\n",
        ));
        assert!(sc.cni.enable_prefix_delegation);
        assert_eq!(sc.nodegroups[0].max_pods, 110);
        // Custom networking needs an ENIConfig for the nodes' AZ ("default" here).
        let d = one_error(&minimal_plus(
            "cni:\n  AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG: true\n",
        ));
        assert_eq!(d.path, "nodegroups[0]");
        assert!(d.message.contains("no ENIConfig lists"), "{}", d.message);
        let sc = ok(&minimal_plus(
            "cni:\n  AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG: true\neniconfigs:\n  - {az: default, subnet: a}\n",
        ));
        // t3.medium with custom networking: (3 − 1) × 5 + 2 = 12
        assert_eq!(sc.nodegroups[0].max_pods, 12);
        assert_eq!(
            sc.eniconfigs,
            vec![EniConfigSpec {
                az: "default".into(),
                subnet: 0
            }]
        );
    }

    #[test]
    fn subnet_extensions_parse_and_are_checked() {
        let base = "duration: 1m
subnets:
  - name: a
    cidr: 10.0.0.0/24
    az: us-east-1a
    role_cni: true
    used: 20
    reservations: [10.0.0.128/26]
  - name: b
    cidr: 10.0.1.0/24
    az: us-east-1a
    used: [10.0.1.16-10.0.1.40, 10.0.1.64/28, 10.0.1.200]
nodegroups:
  - {name: ng, instance_type: m5.large, count: 2, subnets: [a, b]}
";
        // path, a location, and a phrase
        let located = |d: &Diagnostic, path: &str, _: Option<()>, phrase: &str| {
            assert_eq!(d.path, path, "{d:?}");
            assert!(d.location.is_some(), "{d:?}");
            assert!(d.message.contains(phrase), "{d:?}");
        };
        let sc = ok(base);
        assert_eq!(sc.subnets[0].az, "us-east-1a");
        assert_eq!(sc.subnets[0].role_cni, Some(true));
        assert_eq!(sc.subnets[0].used, UsedSpec::Count(20));
        assert_eq!(sc.subnets[0].reservations[0].to_string(), "10.0.0.128/26");
        let ip = |s: &str| u32::from(s.parse::<Ipv4Addr>().unwrap());
        assert_eq!(
            sc.subnets[1].used,
            UsedSpec::Ranges(vec![
                (ip("10.0.1.16"), ip("10.0.1.40")),
                (ip("10.0.1.64"), ip("10.0.1.79")),
                (ip("10.0.1.200"), ip("10.0.1.200"))
            ])
        );
        assert_eq!(sc.nodegroups[0].subnets, vec![0, 1]);

        // reservation outside the subnet
        let d = one_error(&base.replace(
            "reservations: [10.0.0.128/26]",
            "reservations: [10.0.9.0/26]",
        ));
        located(
            &d,
            "subnets[0].reservations[0]",
            None,
            "lies outside the subnet 10.0.0.0/24",
        );
        // a reservation smaller than a prefix
        let d = one_error(&base.replace(
            "reservations: [10.0.0.128/26]",
            "reservations: [10.0.0.128/29]",
        ));
        located(&d, "subnets[0].reservations[0]", None, "smaller than a /28");
        // used larger than the subnet: 256 − 5 − 64 reserved = 187 usable
        let d = one_error(&base.replace("used: 20", "used: 200"));
        located(&d, "subnets[0].used", None, "187 usable addresses");
        // a used range outside the subnet
        let d = one_error(&base.replace("10.0.1.200]", "10.0.2.200]"));
        located(&d, "subnets[1].used[2]", None, "outside the subnet");
        // subnet and subnets together
        let d = one_error(&base.replace("subnets: [a, b]}", "subnet: a, subnets: [a, b]}"));
        located(&d, "nodegroups[0]", None, "both `subnet` and `subnets`");
        // an ENIConfig whose subnet is in another AZ
        let cn = base.replace("az: us-east-1a\n    used: [", "az: us-east-1b\n    used: [")
            + "cni:\n  AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG: true\neniconfigs:\n  - {az: us-east-1a, subnet: b}\n";
        let errs = errors(&cn);
        assert!(
            errs.iter().any(|d| d.path == "eniconfigs[0].subnet"
                && d.message.contains("is in AZ \"us-east-1b\"")),
            "{errs:?}"
        );
        // nodes in us-east-1b (subnet b) have no ENIConfig
        assert!(
            errs.iter()
                .any(|d| d.path == "nodegroups[0]" && d.message.contains("us-east-1b")),
            "{errs:?}"
        );
    }

    #[test]
    fn reports_every_problem_in_file_order() {
        let text = "\
duration: 10m
subnets:
  - name: a
    cidr: 10.0.0.0/16
nodegroups:
  - name: ng1
    instance_type: t3.medium
    count: 1
    subnet: a
    colour: blue
  - name: ng2
    instance_type: t3.small
    count: 1
    subnet: a
  - name: ng3
    instance_type: m5.huge
    count: 1
    subnet: a
workloads:
  - name: ok
    replicas: 1
  - name: web
    steps:
      - {at: soon, replicas: 10}
";
        let problems = errors(text);
        assert_eq!(problems.len(), 3, "{problems:#?}");
        check(
            &problems[0],
            "nodegroups[0]",
            Some((10, 5)),
            "unknown key \"colour\"",
        );
        check(
            &problems[1],
            "nodegroups[2].instance_type",
            Some((16, 5)),
            "unknown instance type",
        );
        check(
            &problems[2],
            "workloads[1].steps[0].at",
            Some((24, 10)),
            "\"soon\" is not a duration",
        );
        let shown = parse(text, "s.yaml")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            shown.starts_with("s.yaml:10:5: nodegroups[0]: unknown key"),
            "{shown}"
        );
        assert_eq!(shown.lines().count(), 3);
    }

    #[test]
    fn several_problems_inside_one_entry() {
        let d = errors(&MINIMAL.replace("count: 2", "count: -1\n    max_pods: x\n    zone: a"));
        let paths: Vec<&str> = d.iter().map(|d| d.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "nodegroups[0].count",
                "nodegroups[0].max_pods",
                "nodegroups[0]"
            ]
        );
    }

    #[test]
    fn missing_required_keys_point_at_the_entry() {
        let d = one_error(&MINIMAL.replace("    count: 2\n", ""));
        check(
            &d,
            "nodegroups[0].count",
            Some((6, 3)),
            "required key is missing",
        );
    }

    #[test]
    fn locator_handles_same_indent_lists_and_flow_lists() {
        let text = "duration: 1m\nsubnets:\n- name: a\n  cidr: 10.0.0.0/16\nnodegroups: [{name: n, instance_type: t9.nano, count: 1, subnet: a}]\n";
        let d = one_error(text);
        check(
            &d,
            "nodegroups[0].instance_type",
            Some((5, 24)),
            "unknown instance type",
        );
        let d = one_error("duration: 1m\nsubnets:\n- name: a\n  cidr: 10.0.0.1/16\n");
        check(&d, "subnets[0].cidr", Some((4, 3)), "host bits");
    }

    #[test]
    fn raw_key_lists_match_the_structs() {
        fn accepts_all<T: DeserializeOwned + Keys>() {
            let mut m = Mapping::new();
            for k in T::KEYS {
                m.insert(Value::from(*k), Value::Null);
            }
            assert!(serde_yaml::from_value::<T>(Value::Mapping(m.clone())).is_ok());
            m.insert(Value::from("surely_unknown"), Value::Null);
            assert!(serde_yaml::from_value::<T>(Value::Mapping(m)).is_err());
        }
        accepts_all::<RawScenario>();
        accepts_all::<RawCni>();
        accepts_all::<RawSubnet>();
        accepts_all::<RawNodeGroup>();
        accepts_all::<RawDaemonSet>();
        accepts_all::<RawWorkload>();
        accepts_all::<RawStep>();
        accepts_all::<RawEc2>();
        accepts_all::<RawLatencyDistribution>();
        accepts_all::<RawKubelet>();
        accepts_all::<RawIpamd>();
        accepts_all::<RawScheduler>();
        accepts_all::<raw::RawArrivals>();
        accepts_all::<raw::RawLogNormal>();
    }

    #[test]
    fn load_reports_unreadable_files() {
        let missing = Path::new("/nonexistent/dir/scenario.yaml");
        let e = load(missing).err().map(|e| e.problems).unwrap_or_default();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].message, "cannot read file: No such file or directory");

        let path = std::env::temp_dir().join(format!("ipamsim-load-{}.yaml", std::process::id()));
        std::fs::write(&path, MINIMAL).unwrap_or_else(|e| panic!("{e}"));
        let loaded = load(&path);
        let _ = std::fs::remove_file(&path);
        assert_eq!(
            loaded.map(|s| s.duration).ok(),
            Some(SimDuration::from_secs(60))
        );
    }

    #[test]
    fn odd_inputs_never_panic() {
        let odd = [
            "",
            "~",
            "---",
            "- 1",
            "duration: 5",
            "duration: [1]",
            "duration: {a: 1}",
            "duration: 1m\nseed: 1e400",
            "duration: 1m\nseed: 99999999999999999999",
            "duration: 1m\ncni: [1]",
            "duration: 1m\ncni:\n  MAX_ENI: 99999999999999999999",
            "duration: 1m\ncni:\n  WARM_IP_TARGET: \"99999999999999999999\"",
            "duration: 99999999999999h",
            "duration: 1m\nworkloads: [[1]]",
            "duration: 1m\n1: 2\n",
            "duration: 1m\nec2:\n  latency:\n    1: 1s\n",
            "duration: 1m\nec2:\n  latency: [1]\n",
            "duration: 1m\nsubnets: [{cidr: 1.2.3.4/x}]",
            "a: &x [1]\nb: *x\n",
            "duration: 1m\n<<: {seed: 3}\n",
            "!tag {}\n",
            "duration: 1m\nkubelet: {retry_jitter: .nan}",
            "\u{feff}duration: 1m",
            "duration: 1m\nnodegroups:\n  -\n  - \n",
            "duration: é\n  ü: 1",
        ];
        for text in odd {
            let _ = parse(text, "odd.yaml");
        }
    }

    #[test]
    fn mangled_examples_never_panic() {
        for base in [FULL, MINIMAL] {
            for cut in (0..base.len()).step_by(7) {
                if let Some(head) = base.get(..cut) {
                    let _ = parse(head, "cut.yaml");
                }
                // Drop one byte, which breaks indentation, keys and values in turn.
                let dropped: String = base
                    .char_indices()
                    .filter(|(i, _)| *i != cut)
                    .map(|(_, c)| c)
                    .collect();
                let _ = parse(&dropped, "dropped.yaml");
            }
        }
        // Every line deleted in turn, and indentation shifted.
        let lines: Vec<&str> = FULL.lines().collect();
        for skip in 0..lines.len() {
            let text: Vec<&str> = lines
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != skip)
                .map(|(_, l)| *l)
                .collect();
            let _ = parse(&text.join("\n"), "lines.yaml");
            let shifted: Vec<String> = lines
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    if i == skip {
                        format!(" {l}")
                    } else {
                        l.to_string()
                    }
                })
                .collect();
            let _ = parse(&shifted.join("\n"), "shifted.yaml");
        }
    }
}
