//! Validation of a workload's pod source: which of `replicas`, `steps`, `arrivals` and
//! `trace` it uses, churn settings (`arrivals`, `lifetime`, `from`, `until`) and trace files.

use super::{Checker, FieldPath};
use crate::scenario::churn::{parse_rate, Arrivals, ChurnSpec, Lifetime, RATE_HINT};
use crate::scenario::raw::{self, RawArrivals, RawLogNormal, RawWorkload, Scalar};
use crate::scenario::source::read_text;
use crate::scenario::trace::parse_trace;
use crate::scenario::yaml::{Kind, Node};
use crate::scenario::WorkloadSource;
use crate::time::{SimDuration, SimTime};
use std::sync::Arc;

/// The ways to write a lifetime, for messages.
const LIFETIME_FORMS: &str = "a lifetime is a duration (90s), {exponential: 5m}, \
     {uniform: [1m, 3m]} or {lognormal: {mean: 2m, sd: 30s}}";

/// The four pod sources, for messages.
const SOURCES: &str = "exactly one of `replicas` (with an optional `at`) for a fixed count, \
     `steps` for a count that changes, `arrivals` (with `lifetime`) for churn, or `trace` \
     to replay a CSV file";

/// Trace problems reported per trace file; the rest are counted.
const MAX_TRACE_PROBLEMS: usize = 50;

impl Checker<'_> {
    /// A workload's steps and source: exactly one of `replicas`, `steps`, `arrivals` and
    /// `trace`, and no key that belongs to another source.
    pub(super) fn workload_source(
        &mut self,
        raw: &RawWorkload,
        at: &FieldPath,
    ) -> Option<(Vec<(SimTime, u32)>, WorkloadSource)> {
        let given: Vec<&str> = [
            ("replicas", raw.replicas.is_some()),
            ("steps", raw.steps.is_some()),
            ("arrivals", raw.arrivals.is_some()),
            ("trace", raw.trace.is_some()),
        ]
        .into_iter()
        .filter_map(|(key, present)| present.then_some(key))
        .collect();
        let churn = raw.arrivals.is_some();
        if !churn {
            for (key, present) in [
                ("lifetime", raw.lifetime.is_some()),
                ("from", raw.from.is_some()),
                ("until", raw.until.is_some()),
            ] {
                if present {
                    self.error(
                        &at.key(key),
                        format!("`{key}` only goes with `arrivals` (a churn workload)"),
                    );
                }
            }
        }
        if raw.trace.is_some() && raw.name.is_some() {
            self.error(
                &at.key("name"),
                "`name` does not go with `trace`: each row's `workload` column names the \
                 workload of its pod",
            );
        }
        if !churn && raw.trace.is_none() {
            // `replicas` or `steps` (or neither, or both): the original rules and messages.
            return self
                .workload_steps(raw, at)
                .map(|steps| (steps, WorkloadSource::Replicas));
        }
        if raw.at.is_some() {
            self.error(
                &at.key("at"),
                "`at` only goes with `replicas`; churn uses `from` and `until`",
            );
        }
        if given.len() > 1 {
            let listed = match given.as_slice() {
                [a, b] => format!("both `{a}` and `{b}`"),
                [rest @ .., last] => format!(
                    "`{}` and `{last}`",
                    rest.iter()
                        .map(|k| k.to_string())
                        .collect::<Vec<_>>()
                        .join("`, `")
                ),
                [] => String::new(),
            };
            self.error(at, format!("has {listed}; use {SOURCES}"));
            return None;
        }
        if let Some(trace) = &raw.trace {
            let trace = self.trace(trace, &at.key("trace"))?;
            return Some((Vec::new(), WorkloadSource::Trace(trace)));
        }
        self.churn(raw, at)
            .map(|c| (Vec::new(), WorkloadSource::Churn(c)))
    }

    /// `arrivals`, `lifetime`, `from` and `until` of a churn workload.
    fn churn(&mut self, raw: &RawWorkload, at: &FieldPath) -> Option<ChurnSpec> {
        let arrivals = raw
            .arrivals
            .as_ref()
            .and_then(|a| self.arrivals(a.value, &at.key("arrivals")));
        let lifetime = match &raw.lifetime {
            Some(l) => self.lifetime(l.value, &at.key("lifetime")),
            None => {
                self.error(
                    &at.key("lifetime"),
                    format!("required with `arrivals`; {LIFETIME_FORMS}"),
                );
                None
            }
        };
        let from = match &raw.from {
            Some(v) => self.duration(&at.key("from"), v),
            None => Some(SimDuration::ZERO),
        };
        let until = match &raw.until {
            Some(v) => self.duration(&at.key("until"), v).map(Some),
            None => Some(None),
        };
        if let (Some(from), Some(Some(until))) = (from, until) {
            if until <= from {
                let text = |v: &Option<Scalar>| v.as_ref().map(Scalar::text).unwrap_or_default();
                let (until_text, from_text) = (text(&raw.until), text(&raw.from));
                let from_text = if from_text.is_empty() {
                    "0s (the default)".to_string()
                } else {
                    from_text
                };
                self.error(
                    &at.key("until"),
                    format!(
                        "until {until_text} is not after from {from_text}; arrivals happen \
                         from `from` up to (not including) `until`"
                    ),
                );
                return None;
            }
        }
        Some(ChurnSpec {
            arrivals: arrivals?,
            lifetime: lifetime?,
            from: SimTime::ZERO + from?,
            until: until?.map(|u| SimTime::ZERO + u),
        })
    }

    /// `{rate: 2/s}` or `{every: 30s, count: 20}`.
    fn arrivals(&mut self, value: &Node, path: &FieldPath) -> Option<Arrivals> {
        let raw: RawArrivals = self.mapping(value, path)?;
        match (&raw.rate, &raw.every) {
            (Some(rate), None) => {
                if raw.count.is_some() {
                    self.error(
                        &path.key("count"),
                        "`count` only goes with `every` (batches); a `rate` gives one pod per \
                         arrival",
                    );
                }
                let at = path.key("rate");
                match rate {
                    Scalar::Str(text) => match parse_rate(text) {
                        Ok(rate_per_s) => Some(Arrivals::Poisson { rate_per_s }),
                        Err(message) => {
                            self.error(&at, message);
                            None
                        }
                    },
                    other => {
                        self.error(&at, format!("found {other}; expected {RATE_HINT}"));
                        None
                    }
                }
            }
            (None, Some(every)) => {
                let every_at = path.key("every");
                let every = if every.text().trim_start().starts_with('-') {
                    self.error(
                        &every_at,
                        format!("{every} is negative; `every` must be longer than 0"),
                    );
                    None
                } else {
                    self.positive_duration(&every_at, every)
                };
                let count = match &raw.count {
                    Some(v) => self.u32_at_least(&path.key("count"), v, 1, "a batch size"),
                    None => Some(1),
                };
                Some(Arrivals::Batches {
                    every: every?,
                    count: count?,
                })
            }
            (Some(_), Some(_)) => {
                self.error(
                    path,
                    "has both `rate` and `every`; use `rate` for Poisson arrivals or `every` \
                     (with `count`) for batches",
                );
                None
            }
            (None, None) => {
                self.error(
                    path,
                    "needs `rate` (Poisson arrivals, e.g. {rate: 2/s}) or `every` with `count` \
                     (batches, e.g. {every: 30s, count: 20})",
                );
                None
            }
        }
    }

    /// A lifetime in one of its four forms.
    fn lifetime(&mut self, value: &Node, path: &FieldPath) -> Option<Lifetime> {
        let mapping = match &value.kind {
            Kind::Map(m) => m,
            Kind::Null | Kind::Seq(_) => {
                self.error(
                    path,
                    format!("found {}; {LIFETIME_FORMS}", raw::kind_of(value)),
                );
                return None;
            }
            _ => {
                let v = Scalar::from_value(value);
                return self
                    .non_negative_duration(path, &v, "a lifetime")
                    .and_then(|d| self.longer_than_zero(path, &v, d))
                    .map(Lifetime::Fixed);
            }
        };
        let mut entries = mapping.iter();
        let (Some((key, inner)), None) = (entries.next(), entries.next()) else {
            self.error(
                path,
                format!("give exactly one lifetime form; {LIFETIME_FORMS}"),
            );
            return None;
        };
        const FORMS: [&str; 3] = ["exponential", "uniform", "lognormal"];
        let Some(form) = key.as_str() else {
            self.non_text_key(path, key, &FORMS);
            return None;
        };
        let at = path.key(form);
        match form {
            "exponential" => {
                let v = Scalar::from_value(inner);
                let mean = self.non_negative_duration(&at, &v, "the mean")?;
                self.longer_than_zero(&at, &v, mean)
                    .map(|mean| Lifetime::Exponential { mean })
            }
            "uniform" => {
                let bounds = match &inner.kind {
                    Kind::Seq(items) if items.len() == 2 => items,
                    other => {
                        self.error(
                            &at,
                            format!(
                                "expected a list of two durations [min, max] such as \
                                 [1m, 3m]; found {}",
                                match other {
                                    Kind::Seq(items) => format!(
                                        "a list of {}",
                                        crate::text::Count(items.len() as u64, "item", "items")
                                    ),
                                    _ => raw::kind_of(inner).to_string(),
                                }
                            ),
                        );
                        return None;
                    }
                };
                let (lo, hi) = (
                    Scalar::from_value(&bounds[0]),
                    Scalar::from_value(&bounds[1]),
                );
                let min = self.non_negative_duration(&at.index(0), &lo, "the minimum");
                let max = self.non_negative_duration(&at.index(1), &hi, "the maximum");
                let (min, max) = (min?, max?);
                if min > max {
                    self.error(
                        &at,
                        format!(
                            "min {} is greater than max {}; a uniform lifetime needs min <= max",
                            lo.text(),
                            hi.text()
                        ),
                    );
                    return None;
                }
                let max = self.longer_than_zero(&at.index(1), &hi, max)?;
                Some(Lifetime::Uniform { min, max })
            }
            "lognormal" => {
                let raw: RawLogNormal = self.mapping(inner, &at)?;
                let mean = self
                    .required(&raw.mean, &at, "mean", "the mean lifetime, e.g. 2m")
                    .and_then(|v| {
                        let d = self.non_negative_duration(&at.key("mean"), v, "the mean")?;
                        self.longer_than_zero(&at.key("mean"), v, d)
                    });
                let sd = self
                    .required(&raw.sd, &at, "sd", "the standard deviation, e.g. 30s")
                    .and_then(|v| {
                        self.non_negative_duration(&at.key("sd"), v, "the standard deviation")
                    });
                Some(Lifetime::LogNormal {
                    mean: mean?,
                    sd: sd?,
                })
            }
            other => {
                self.unknown_key(path, other, &FORMS, "lifetime form");
                None
            }
        }
    }

    /// A duration, with a clear message for a negative one (`noun` names it).
    fn non_negative_duration(
        &mut self,
        path: &FieldPath,
        value: &Scalar,
        noun: &str,
    ) -> Option<SimDuration> {
        let negative = match value {
            Scalar::Int(i) => *i < 0,
            Scalar::Float(f, _) => *f < 0.0,
            Scalar::Str(s) => s.trim_start().starts_with('-'),
            _ => false,
        };
        if negative {
            self.error(
                path,
                format!("{} is negative; {noun} must be 0 or more", value.text()),
            );
            return None;
        }
        self.duration(path, value)
    }

    /// `d` if it is longer than 0, else a diagnostic.
    fn longer_than_zero(
        &mut self,
        path: &FieldPath,
        value: &Scalar,
        d: SimDuration,
    ) -> Option<SimDuration> {
        if d == SimDuration::ZERO {
            self.error(path, format!("must be longer than 0; found {value}"));
            return None;
        }
        Some(d)
    }

    /// `trace: <path>`: read (relative to the scenario's directory) and check the file.
    /// Each problem in it is one diagnostic at the `trace` field, naming the file and line.
    fn trace(
        &mut self,
        value: &Scalar,
        path: &FieldPath,
    ) -> Option<Arc<crate::scenario::trace::Trace>> {
        let file = self.string(path, value)?;
        if file.trim().is_empty() {
            self.error(
                path,
                "the trace path is empty; give a CSV file such as traces/x.csv",
            );
            return None;
        }
        let resolved = self.base_dir.join(&file);
        let text = match read_text(&resolved, "trace file") {
            Ok(text) => text,
            Err(d) => {
                let at = match d.location {
                    Some((line, col)) => format!("{file}:{line}:{col}: "),
                    None => String::new(),
                };
                let message = d.message.strip_prefix("cannot read file: ").map_or_else(
                    || format!("{at}{}", d.message),
                    |reason| {
                        format!(
                            "cannot read trace file {}: {reason} (paths are relative to the \
                             scenario file's directory)",
                            resolved.display()
                        )
                    },
                );
                self.error(path, message);
                return None;
            }
        };
        match parse_trace(&text, &file) {
            Ok(trace) => Some(Arc::new(trace)),
            Err(problems) => {
                let total = problems.len();
                for p in problems.iter().take(MAX_TRACE_PROBLEMS) {
                    self.error(path, format!("{file}:{}: {}", p.line, p.message));
                }
                if total > MAX_TRACE_PROBLEMS {
                    self.error(
                        path,
                        format!(
                            "{file}: {} more {} not shown",
                            total - MAX_TRACE_PROBLEMS,
                            crate::text::noun(
                                (total - MAX_TRACE_PROBLEMS) as u64,
                                "problem",
                                "problems"
                            )
                        ),
                    );
                }
                None
            }
        }
    }
}
