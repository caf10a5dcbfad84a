//! Scalar conversions: durations, whole numbers, booleans, strings, names and choices,
//! each recording a diagnostic at its field path when the value is wrong.

use super::*;

impl Checker<'_> {
    pub(super) fn duration(&mut self, path: &FieldPath, value: &Scalar) -> Option<SimDuration> {
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

    pub(super) fn positive_duration(
        &mut self,
        path: &FieldPath,
        value: &Scalar,
    ) -> Option<SimDuration> {
        let d = self.duration(path, value)?;
        if d == SimDuration::ZERO {
            self.error(path, format!("must be longer than 0; found {value}"));
            return None;
        }
        Some(d)
    }

    pub(super) fn whole_number(&mut self, path: &FieldPath, value: &Scalar) -> Option<i128> {
        let found = match value {
            Scalar::Int(i) => return Some(*i),
            Scalar::Float(_, text) if is_integer_literal(text) => {
                format!("{text}, which is too large for a whole number")
            }
            Scalar::Float(..) => format!("{value}, which is not a whole number"),
            Scalar::Str(_) => format!("the string {value}"),
            Scalar::Bool(_) => format!("{value}"),
            Scalar::Other(kind) => (*kind).to_string(),
        };
        self.error(path, format!("expected a whole number; found {found}"));
        None
    }

    /// A `u32` that must be at least `min`; `noun` names it in messages ("a node count").
    pub(super) fn u32_at_least(
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

    pub(super) fn u64(&mut self, path: &FieldPath, value: &Scalar, noun: &str) -> Option<u64> {
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

    pub(super) fn boolean(&mut self, path: &FieldPath, value: &Scalar) -> Option<bool> {
        if let Scalar::Bool(b) = value {
            return Some(*b);
        }
        self.error(path, format!("expected true or false; found {value}"));
        None
    }

    pub(super) fn float(&mut self, path: &FieldPath, value: &Scalar) -> Option<f64> {
        match value {
            Scalar::Int(i) => Some(*i as f64),
            Scalar::Float(f, _) if f.is_finite() => Some(*f),
            other => {
                self.error(path, format!("expected a number; found {other}"));
                None
            }
        }
    }

    pub(super) fn string(&mut self, path: &FieldPath, value: &Scalar) -> Option<String> {
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
    pub(super) fn name(
        &mut self,
        path: &FieldPath,
        value: &Scalar,
        dns_like: bool,
    ) -> Option<String> {
        let name = self.string(path, value)?;
        if name.is_empty() {
            self.error(path, "the name is empty; give a non-empty name");
            return None;
        }
        let max = if dns_like { MAX_DNS_NAME } else { MAX_NAME };
        if name.len() > max {
            let why = if dns_like {
                "a DNS label, as it becomes part of node and pod names"
            } else {
                "a Kubernetes object name"
            };
            self.error(
                path,
                format!(
                    "the name is {} bytes long; at most {max} are allowed, as for {why}",
                    name.len()
                ),
            );
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
    pub(super) fn choice<T: Copy>(
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
        let message = match value {
            Scalar::Other(_) => format!(
                "expected one of {} (as text); found {value}",
                names.join(", ")
            ),
            _ => format!("unknown value {value}; allowed: {}", names.join(", ")),
        };
        self.error(path, message);
        None
    }

    /// Records `name` in `seen`, reporting it if it was used before.
    pub(super) fn unique(
        &mut self,
        seen: &mut SeenNames,
        name: &str,
        path: &FieldPath,
        noun: &str,
    ) {
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

    /// An optional boolean, default false (a wrong value is reported).
    pub(super) fn optional_bool(&mut self, field: &Option<Scalar>, path: &FieldPath) -> bool {
        field
            .as_ref()
            .and_then(|v| self.boolean(path, v))
            .unwrap_or(false)
    }

    /// A number in [0, 1].
    pub(super) fn probability(&mut self, path: &FieldPath, value: &Node) -> Option<f64> {
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
}

/// Longest name (bytes): a Kubernetes object name (DNS subdomain, RFC 1123).
pub(super) const MAX_NAME: usize = 253;
/// Longest name that becomes part of node and pod names (bytes): a DNS label.
pub(super) const MAX_DNS_NAME: usize = 63;

/// Whether `text` is written as an integer (optional sign, decimal digits).
fn is_integer_literal(text: &str) -> bool {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}
