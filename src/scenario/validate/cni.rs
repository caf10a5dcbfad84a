//! `cni` (the aws-node environment) and `sweep`, with Go's parsing rules for the values,
//! and the warnings about settings that behave surprisingly upstream.
//!
//! Citations are to aws/amazon-vpc-cni-k8s v1.23.1 and to the spec's cases
//! (`spec/ipamd-cases.md`).

use super::cni_env::{ignored_note, is_upstream_ignored, UPSTREAM_IGNORED};
use super::*;
use crate::scenario::PodSgEnforcingMode;

/// How aws-node reads one variable the simulator uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Form {
    /// Go `strconv.Atoi`: an optional sign and decimal digits, within `i64`.
    Int,
    /// Go `strconv.ParseBool`.
    Bool,
    /// `strict` or `standard`, exactly (`cmd/aws-vpc-cni/main.go`, validateEnvVars).
    PodSgMode,
    /// Any text, read as is (`os.Getenv`).
    Text,
}

/// How each variable of [`RawCni::KEYS`] is read.
fn form(key: &str) -> Option<Form> {
    Some(match key {
        "WARM_ENI_TARGET" | "WARM_IP_TARGET" | "MINIMUM_IP_TARGET" | "WARM_PREFIX_TARGET"
        | "MAX_ENI" | "IP_COOLDOWN_PERIOD" => Form::Int,
        "ENABLE_PREFIX_DELEGATION"
        | "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG"
        | "ENABLE_SUBNET_DISCOVERY"
        | "ENABLE_IPv4"
        | "ENABLE_IPv6"
        | "ENABLE_POD_ENI"
        | "ENABLE_MULTI_NIC" => Form::Bool,
        "POD_SECURITY_GROUP_ENFORCING_MODE" => Form::PodSgMode,
        "CLUSTER_NAME" => Form::Text,
        _ => return None,
    })
}

/// Largest `IP_COOLDOWN_PERIOD` (seconds): aws-node computes
/// `time.Duration(cooldownVal) * time.Second` in int64 nanoseconds
/// (`pkg/ipamd/datastore/data_store.go:248`), which wraps above
/// ⌊(2⁶³ − 1) / 10⁹⌋ = 9,223,372,036 s.
pub(super) const MAX_IP_COOLDOWN_S: i64 = i64::MAX / 1_000_000_000;

impl Checker<'_> {
    /// `cni`: the aws-node environment, with the real ipamd's rules for odd values. By now
    /// an env list and `cni_from` have been turned into one mapping ([`super::cni_env`]).
    pub(super) fn cni(&mut self, section: Option<&Deferred<'_>>, path: &FieldPath) -> CniConfig {
        let mut cni = CniConfig::default();
        let Some(raw) = section.and_then(|s| self.cni_mapping(s.value, path)) else {
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
            let at = path.key("IP_COOLDOWN_PERIOD");
            if v > MAX_IP_COOLDOWN_S {
                self.error(
                    &at,
                    format!(
                        "{v} seconds is too long: aws-node multiplies IP_COOLDOWN_PERIOD by \
                         time.Second in int64 nanoseconds (pkg/ipamd/datastore/data_store.go:248), \
                         which overflows above {MAX_IP_COOLDOWN_S} s; give at most \
                         {MAX_IP_COOLDOWN_S}"
                    ),
                );
            } else {
                if v < 0 {
                    self.warn(
                        &at,
                        format!(
                            "{v} is negative: aws-node v1.23.1 refuses to start (\"IP_COOLDOWN_PERIOD \
                             MUST be a valid positive integer\", validateEnvVars in \
                             cmd/aws-vpc-cni/main.go:367-370); the simulator runs it as no cooldown, \
                             as ipamd's datastore would"
                        ),
                    );
                }
                cni.ip_cooldown_period_s = v;
            }
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
        if let Some(b) = flag(self, &raw.enable_ipv4, "ENABLE_IPv4", true) {
            cni.enable_ipv4 = b;
        }
        if let Some(b) = flag(self, &raw.enable_ipv6, "ENABLE_IPv6", false) {
            cni.enable_ipv6 = b;
        }
        if let Some(b) = flag(self, &raw.enable_pod_eni, "ENABLE_POD_ENI", false) {
            cni.enable_pod_eni = b;
        }
        if let Some(b) = flag(self, &raw.enable_multi_nic, "ENABLE_MULTI_NIC", false) {
            cni.enable_multi_nic = b;
        }
        if let Some(v) = &raw.pod_security_group_enforcing_mode {
            let at = path.key("POD_SECURITY_GROUP_ENFORCING_MODE");
            match parse_pod_sg_mode(&v.text()) {
                Some(mode) if !matches!(v, Scalar::Other(_)) => {
                    cni.pod_security_group_enforcing_mode = mode
                }
                _ => self.error(
                    &at,
                    format!(
                        "{v} is not allowed; allowed: strict, standard (aws-node refuses to \
                         start with any other value when ENABLE_POD_ENI is true)"
                    ),
                ),
            }
        }
        if let Some(v) = &raw.cluster_name {
            // `os.Getenv(CLUSTER_NAME)` (pkg/awsutils/awsutils.go:427, 1298): any text;
            // empty means unset
            match v {
                Scalar::Other(found) => self.error(
                    &path.key("CLUSTER_NAME"),
                    format!("expected the cluster's name as text; found {found}"),
                ),
                _ => cni.cluster_name = v.text(),
            }
        }
        self.cni_warnings(&cni, path);
        cni
    }

    /// The `cni` mapping's known keys. A variable that upstream aws-node reads but that does
    /// not change IP address management gets a warning naming it; any other name is an
    /// error with a did-you-mean hint.
    fn cni_mapping<'v>(&mut self, value: &'v Node, path: &FieldPath) -> Option<RawCni<'v>> {
        let entries = match &value.kind {
            Kind::Null => return Some(RawCni::default()),
            Kind::Map(entries) => entries,
            _ => {
                self.error(
                    path,
                    format!(
                        "expected a mapping of aws-node variables (WARM_IP_TARGET: 5, …) or a \
                         DaemonSet env list (- name: WARM_IP_TARGET / value: \"5\"); found {}",
                        raw::kind_of(value)
                    ),
                );
                return None;
            }
        };
        let mut raw = RawCni::default();
        for (key, val) in entries {
            let Some(name) = key.as_str() else {
                self.non_text_key(path, key, RawCni::KEYS);
                continue;
            };
            if raw.set(name, val) {
                continue;
            }
            if is_upstream_ignored(name) {
                self.warn(&path.key(name), ignored_note(name));
                continue;
            }
            let mut known: Vec<&str> = RawCni::KEYS.to_vec();
            known.extend(UPSTREAM_IGNORED);
            let hint = match closest(name, &known) {
                Some(near) => format!(" (did you mean \"{near}\"?)"),
                None => String::new(),
            };
            let mark = locate_nearest(self.root, &path.key(name).0);
            self.rec.error_at(
                path,
                mark,
                format!(
                    "unknown key {}{hint}; allowed: {} (other aws-node v1.23.1 variables are \
                     accepted and ignored, with a warning)",
                    quoted(name),
                    RawCni::KEYS.join(", ")
                ),
            );
        }
        Some(raw)
    }

    /// Warnings for settings that are valid but behave surprisingly, each citing its rule,
    /// at the key concerned.
    fn cni_warnings(&mut self, cni: &CniConfig, path: &FieldPath) {
        let warm_ip_unset = cni.warm_ip_target == 0;
        if cni.minimum_ip_target > 0 && warm_ip_unset {
            let n = cni.minimum_ip_target;
            self.warn(
                &path.key("MINIMUM_IP_TARGET"),
                format!(
                    "MINIMUM_IP_TARGET is {n} and WARM_IP_TARGET is not set: once a node holds \
                     {} its pool never grows again, so pods beyond them wait for an IP \
                     until others leave. ipamd's shortfall is max(WARM_IP_TARGET − available, \
                     MINIMUM_IP_TARGET − total) = max(0 − available, {n} − total), which is 0 \
                     once total ≥ {n} (datastoreTargetState, pkg/ipamd/ipamd.go:2198-2201; spec \
                     case C40); set WARM_IP_TARGET as well",
                    crate::text::Count(n.into(), "IP", "IPs")
                ),
            );
        }
        if cni.warm_eni_target == 0
            && warm_ip_unset
            && cni.minimum_ip_target == 0
            && !cni.enable_prefix_delegation
        {
            self.warn(
                &path.key("WARM_ENI_TARGET"),
                "WARM_ENI_TARGET is 0 and neither WARM_IP_TARGET nor MINIMUM_IP_TARGET is set: \
                 a node whose IPs are all in use adds an ENI, frees it once it is 60 s old if no \
                 pod has taken an IP from it, then adds it again — the pool oscillates between \
                 adding and freeing an ENI (isDatastorePoolTooLow and shouldRemoveExtraENIs, \
                 pkg/ipamd/ipamd.go:2649, 1498-1504; spec case C41); use WARM_ENI_TARGET \
                 ≥ 1 or a WARM_IP_TARGET",
            );
        }
        if cni.enable_prefix_delegation
            && cni.warm_prefix_target == 0
            && warm_ip_unset
            && cni.minimum_ip_target == 0
        {
            self.warn(
                &path.key("WARM_PREFIX_TARGET"),
                "WARM_PREFIX_TARGET is 0 with ENABLE_PREFIX_DELEGATION and neither \
                 WARM_IP_TARGET nor MINIMUM_IP_TARGET set: not supported upstream — aws-node \
                 v1.23.1 refuses to start (\"Setting WARM_PREFIX_TARGET = 0 is not supported \
                 while WARM_IP_TARGET/MINIMUM_IP_TARGET is not set\", validateEnvVars in \
                 cmd/aws-vpc-cni/main.go:384-385; docs/prefix-and-ip-target.md; spec §a.3); the \
                 simulator runs ipamd's code as written: a prefix is added only when no IP is \
                 available",
            );
        }
    }

    /// An aws-node integer setting, as Go's `strconv.Atoi` reads it (optional sign, digits).
    /// `fallback` is what aws-node silently uses for a value it cannot parse.
    pub(super) fn cni_int(
        &mut self,
        path: &FieldPath,
        value: &Scalar,
        fallback: &str,
    ) -> Option<i64> {
        let parsed = match value {
            Scalar::Int(i) => i64::try_from(*i).ok(),
            Scalar::Str(s) => parse_go_int(s),
            _ => None,
        };
        if parsed.is_none() {
            let what = match value {
                Scalar::Other(kind) => format!("found {kind}, which is not an integer"),
                Scalar::Int(_) => format!("{value} is out of range for an integer"),
                Scalar::Str(s) if is_go_int_syntax(s) => format!(
                    "{value} is out of range: aws-node reads it with strconv.Atoi into a \
                     64-bit integer (from {} to {})",
                    i64::MIN,
                    i64::MAX
                ),
                other => format!("{other} is not an integer"),
            };
            self.error(
                path,
                format!("{what} (aws-node would silently treat it as {fallback})"),
            );
        }
        parsed
    }

    /// A non-negative aws-node integer for the model's `u32`: a larger value (up to
    /// `i64::MAX`, which aws-node accepts) is kept as `u32::MAX`, more than any node can
    /// hold, with a warning.
    pub(super) fn cni_u32(&mut self, parent: &FieldPath, key: &str, v: i64) -> u32 {
        u32::try_from(v).unwrap_or_else(|_| {
            self.warn(
                &parent.key(key),
                format!(
                    "{v} is more than any node can use; the simulator caps it at {} (aws-node \
                     keeps it and its arithmetic such as warmENITarget + 1, ipamd.go:1498, \
                     wraps near 2^63)",
                    u32::MAX
                ),
            );
            u32::MAX
        })
    }

    /// An aws-node boolean setting, as Go's `strconv.ParseBool` reads it.
    pub(super) fn cni_bool(
        &mut self,
        path: &FieldPath,
        value: &Scalar,
        fallback: bool,
    ) -> Option<bool> {
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

    /// `sweep`: a mapping from CNI setting names to non-empty lists of values.
    pub(super) fn sweep(
        &mut self,
        section: Option<&Deferred<'_>>,
        path: &FieldPath,
    ) -> Vec<(String, Vec<String>)> {
        let Some(section) = section else {
            return Vec::new();
        };
        let Kind::Map(map) = &section.value.kind else {
            self.error(path, format!("expected a mapping of CNI settings to lists of values, such as {{WARM_IP_TARGET: [0, 2, 5]}}; found {}", raw::kind_of(section.value)));
            return Vec::new();
        };
        let mut out = Vec::new();
        for (k, v) in map {
            let Some(key) = k.as_str().map(str::to_string) else {
                self.error_at(
                    path,
                    k.mark,
                    format!("setting names are strings; found {}", raw::kind_of(k)),
                );
                continue;
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
}

/// `strict` or `standard`.
fn parse_pod_sg_mode(text: &str) -> Option<PodSgEnforcingMode> {
    match text {
        "strict" => Some(PodSgEnforcingMode::Strict),
        "standard" => Some(PodSgEnforcingMode::Standard),
        _ => None,
    }
}

/// Checks one value for a CNI setting as aws-node would parse it (Go `Atoi` or
/// `ParseBool`, or one of the allowed words); the error says what is allowed. Unknown
/// names, and variables the simulator ignores, are errors too.
pub fn check_cni_value(key: &str, value: &str) -> Result<(), String> {
    normalize_cni_value(key, value).map(|_| ())
}

/// The canonical form of a CNI value, as aws-node reads it: integers without sign or
/// leading zeros (`01` → `1`, `+4` → `4`), booleans as `true` or `false` (`1`, `t`,
/// `True` → `true`). Two values with the same canonical form configure aws-node the same
/// way, so `compare` can refuse `--set WARM_IP_TARGET=1,01`. Errors as [`check_cni_value`].
pub fn normalize_cni_value(key: &str, value: &str) -> Result<String, String> {
    let Some(form) = form(key) else {
        if is_upstream_ignored(key) {
            return Err(format!(
                "{key} does not change IP address management; the simulator ignores it, so \
                 there is nothing to compare"
            ));
        }
        return Err(format!(
            "unknown CNI setting {}{}; allowed: {}",
            quoted(key),
            crate::text::did_you_mean(key, RawCni::KEYS),
            RawCni::KEYS.join(", ")
        ));
    };
    match form {
        Form::Bool => parse_go_bool(value).map(|b| b.to_string()).ok_or_else(|| {
            format!("{key}: {value:?} is not a boolean; allowed: true, false, 1, 0, t, f")
        }),
        Form::Int => {
            let n =
                parse_go_int(value).ok_or_else(|| format!("{key}: {value:?} is not an integer"))?;
            if key == "IP_COOLDOWN_PERIOD" && n > MAX_IP_COOLDOWN_S {
                return Err(format!(
                    "{key}: {n} overflows aws-node's int64 nanoseconds; at most \
                     {MAX_IP_COOLDOWN_S} seconds"
                ));
            }
            Ok(n.to_string())
        }
        Form::PodSgMode => parse_pod_sg_mode(value)
            .map(|_| value.to_string())
            .ok_or_else(|| format!("{key}: {value:?} is not allowed; allowed: strict, standard")),
        Form::Text => Ok(value.to_string()),
    }
}

/// Whether `text` has Go `Atoi` syntax (an optional sign and digits), whatever its size.
fn is_go_int_syntax(text: &str) -> bool {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Go's `strconv.Atoi`: an optional sign and decimal digits, within `i64`.
pub(super) fn parse_go_int(text: &str) -> Option<i64> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Go's `strconv.ParseBool`.
pub(super) fn parse_go_bool(text: &str) -> Option<bool> {
    match text {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}
