//! `cni` (the aws-node environment) and `sweep`, with Go's parsing rules for the values.

use super::*;

impl Checker<'_> {
    /// `cni`: the aws-node environment, with the real ipamd's rules for odd values.
    pub(super) fn cni(&mut self, section: Option<&Deferred<'_>>, path: &FieldPath) -> CniConfig {
        let mut cni = CniConfig::default();
        let Some(raw) = section.and_then(|s| self.mapping::<RawCni>(s.value, path)) else {
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
    pub(super) fn cni_u32(&mut self, parent: &FieldPath, key: &str, v: i64) -> u32 {
        u32::try_from(v).unwrap_or_else(|_| {
            self.error(
                &parent.key(key),
                format!("{v} is too large; at most {} is supported", u32::MAX),
            );
            0
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

/// CNI settings that are booleans; the others are integers.
pub(super) const CNI_BOOL_KEYS: [&str; 3] = [
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
