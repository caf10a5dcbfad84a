//! Service-level objectives: `METRIC<=VALUE` or `METRIC>=VALUE`, from a scenario's `slo:`
//! list and from `--slo` flags (the same strings).
//!
//! This module is the grammar and the judgement only; it knows nothing of runs. Each metric
//! names the `comparison.csv` column that holds its figure, so `run --slo` and
//! `compare --slo` judge the same number. A figure that does not exist (no pod was ever
//! bound, so there is no time to IP) never meets an objective.

use serde::{Serialize, Serializer};
use std::fmt;

/// What a metric's figure counts, which decides how its target is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Simulated seconds: the target is a duration (`10s`, `250ms`, `1m30s`) or a number of
    /// seconds.
    Seconds,
    /// Pods, requests or addresses: the target is a whole number.
    Count,
    /// A mean (IPs): the target is a number.
    Mean,
}

/// A metric an objective can bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    /// Median binding → IP time, censored (s).
    P50TimeToIp,
    /// 90th percentile binding → IP time, censored (s).
    P90TimeToIp,
    /// 99th percentile binding → IP time, censored (s).
    P99TimeToIp,
    /// Longest binding → IP time, censored (s).
    MaxTimeToIp,
    /// Median creation → running time, censored (s).
    P50TimeToRunning,
    /// 99th percentile creation → running time, censored (s).
    P99TimeToRunning,
    /// Pod-network pods bound to a node that never got an IP.
    PodsNeverIp,
    /// Workload pods never bound to a node.
    PodsNeverScheduled,
    /// Mean idle IPs (`ips_available`, cooldown included).
    IdleIpsMean,
    /// Every EC2 request.
    Ec2Calls,
    /// EC2 requests answered `RequestLimitExceeded`.
    Ec2Throttled,
    /// Lowest free addresses over all subnets.
    MinSubnetFreeIps,
    /// Pod-seconds waited `subnet_full` (the subnet had no address).
    SubnetFullWait,
    /// Pod-seconds waited `no_free_prefix` (no free aligned /28 in a subnet with addresses).
    NoFreePrefixWait,
    /// Nodes whose launch failed (no subnet address for the instance).
    NodesLaunchFailed,
}

impl Metric {
    /// Every metric, in the order the help lists them.
    pub const ALL: [Metric; 15] = [
        Metric::P50TimeToIp,
        Metric::P90TimeToIp,
        Metric::P99TimeToIp,
        Metric::MaxTimeToIp,
        Metric::P50TimeToRunning,
        Metric::P99TimeToRunning,
        Metric::PodsNeverIp,
        Metric::PodsNeverScheduled,
        Metric::IdleIpsMean,
        Metric::Ec2Calls,
        Metric::Ec2Throttled,
        Metric::MinSubnetFreeIps,
        Metric::SubnetFullWait,
        Metric::NoFreePrefixWait,
        Metric::NodesLaunchFailed,
    ];

    /// The name written in objectives, e.g. `p99_time_to_ip`.
    pub fn name(self) -> &'static str {
        match self {
            Metric::P50TimeToIp => "p50_time_to_ip",
            Metric::P90TimeToIp => "p90_time_to_ip",
            Metric::P99TimeToIp => "p99_time_to_ip",
            Metric::MaxTimeToIp => "max_time_to_ip",
            Metric::P50TimeToRunning => "p50_time_to_running",
            Metric::P99TimeToRunning => "p99_time_to_running",
            Metric::PodsNeverIp => "pods_never_ip",
            Metric::PodsNeverScheduled => "pods_never_scheduled",
            Metric::IdleIpsMean => "idle_ips_mean",
            Metric::Ec2Calls => "ec2_calls",
            Metric::Ec2Throttled => "ec2_throttled",
            Metric::MinSubnetFreeIps => "min_subnet_free_ips",
            Metric::SubnetFullWait => "subnet_full_wait",
            Metric::NoFreePrefixWait => "no_free_prefix_wait",
            Metric::NodesLaunchFailed => "nodes_launch_failed",
        }
    }

    /// The `comparison.csv` column holding the figure.
    pub fn column(self) -> &'static str {
        match self {
            Metric::P50TimeToIp => "time_to_ip_p50_s",
            Metric::P90TimeToIp => "time_to_ip_p90_s",
            Metric::P99TimeToIp => "time_to_ip_p99_s",
            Metric::MaxTimeToIp => "time_to_ip_max_s",
            Metric::P50TimeToRunning => "time_to_running_p50_s",
            Metric::P99TimeToRunning => "time_to_running_p99_s",
            Metric::PodsNeverIp => "pods_never_ip",
            Metric::PodsNeverScheduled => "pods_never_scheduled",
            Metric::IdleIpsMean => "idle_ips_mean",
            Metric::Ec2Calls => "ec2_calls_total",
            Metric::Ec2Throttled => "ec2_throttled",
            Metric::MinSubnetFreeIps => "min_subnet_free_ips",
            Metric::SubnetFullWait => "wait_subnet_full_s",
            Metric::NoFreePrefixWait => "wait_no_free_prefix_s",
            Metric::NodesLaunchFailed => "nodes_launch_failed",
        }
    }

    /// What the figure counts.
    pub fn unit(self) -> Unit {
        match self {
            Metric::P50TimeToIp
            | Metric::P90TimeToIp
            | Metric::P99TimeToIp
            | Metric::MaxTimeToIp
            | Metric::P50TimeToRunning
            | Metric::P99TimeToRunning
            | Metric::SubnetFullWait
            | Metric::NoFreePrefixWait => Unit::Seconds,
            Metric::IdleIpsMean => Unit::Mean,
            _ => Unit::Count,
        }
    }

    /// A wait in pod-seconds (summed over pods, so it may exceed the run's length).
    fn is_wait(self) -> bool {
        matches!(self, Metric::SubnetFullWait | Metric::NoFreePrefixWait)
    }

    /// The metric named `name`.
    pub fn from_name(name: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.name() == name)
    }

    /// A figure of this metric for people: `29.350 s`, `3`, `12.5`.
    pub fn show(self, v: f64) -> String {
        match self.unit() {
            Unit::Seconds => format!("{v:.3} s"),
            Unit::Count if v.fract() == 0.0 => format!("{v:.0}"),
            _ => format!("{v:.3}"),
        }
    }
}

impl Serialize for Metric {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// Every metric name, comma-separated (for messages).
pub fn metric_names() -> String {
    Metric::ALL.map(Metric::name).join(", ")
}

/// The comparison of an objective.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// The figure must be at most the target.
    AtMost,
    /// The figure must be at least the target.
    AtLeast,
}

impl Op {
    /// `<=` or `>=`.
    pub fn symbol(self) -> &'static str {
        match self {
            Op::AtMost => "<=",
            Op::AtLeast => ">=",
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

impl Serialize for Op {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.symbol())
    }
}

/// One objective, e.g. `p99_time_to_ip<=10s`.
#[derive(Clone, Debug, PartialEq)]
pub struct Objective {
    /// What is bounded.
    pub metric: Metric,
    /// How.
    pub op: Op,
    /// The bound, in the metric's unit (seconds for times).
    pub target: f64,
    /// The objective as written (trimmed), e.g. `p99_time_to_ip<=10s`.
    pub text: String,
}

const FORM: &str = "expected METRIC<=VALUE or METRIC>=VALUE, e.g. p99_time_to_ip<=10s";

/// Parses `METRIC<=VALUE` or `METRIC>=VALUE` (spaces allowed around the parts). Times take
/// a duration (`10s`, `250ms`, `1m30s`) or seconds as a number; counts a whole number;
/// `idle_ips_mean` a number. The message says what is allowed.
pub fn parse_objective(text: &str) -> Result<Objective, String> {
    let t = text.trim();
    let (at, op) = match (t.find("<="), t.find(">=")) {
        (Some(i), None) => (i, Op::AtMost),
        (None, Some(i)) => (i, Op::AtLeast),
        (Some(_), Some(_)) => return Err(format!("\"{t}\" has two comparisons; {FORM}")),
        (None, None) => {
            let hint = if t.contains(['<', '>', '=']) {
                " (only <= and >= are allowed)"
            } else {
                ""
            };
            return Err(format!("\"{t}\" has no <= or >={hint}; {FORM}"));
        }
    };
    let name = t[..at].trim();
    let value = t[at + 2..].trim();
    if name.is_empty() {
        return Err(format!(
            "\"{t}\" names no metric; {FORM}; metrics: {}",
            metric_names()
        ));
    }
    let metric = Metric::from_name(name).ok_or_else(|| {
        format!(
            "unknown metric \"{name}\"{}; allowed: {}",
            crate::text::did_you_mean(name, &Metric::ALL.map(Metric::name)),
            metric_names()
        )
    })?;
    if value.is_empty() {
        return Err(format!("\"{t}\" has no value after {op}; {FORM}"));
    }
    let target = match metric.unit() {
        Unit::Seconds => parse_seconds(value, metric.is_wait()).map_err(|why| {
            format!(
                "{name} takes a duration such as 10s, 250ms or 1m30s, or seconds as a \
                 number: {why}"
            )
        })?,
        Unit::Count => match value.parse::<u64>() {
            Ok(n) if n <= MAX_COUNT => n as f64,
            _ => {
                return Err(format!(
                    "{name} takes a whole number from 0 to {MAX_COUNT}, not \"{value}\""
                ))
            }
        },
        Unit::Mean => match value.parse::<f64>() {
            Ok(v) if v.is_finite() && v >= 0.0 => v,
            _ => {
                return Err(format!(
                    "{name} takes a number of at least 0, not \"{value}\""
                ))
            }
        },
    };
    Ok(Objective {
        metric,
        op,
        target,
        text: format!("{name}{op}{value}"),
    })
}

/// The largest time target: 31 days, the longest run (a target above it always holds).
pub const MAX_TIME_SECONDS: f64 = 31.0 * 86_400.0;

/// The largest count target: 2^53, the largest whole number a figure holds exactly.
pub const MAX_COUNT: u64 = 1 << 53;

/// The largest pod-seconds target (a wait summed over pods): 100 years, the longest
/// duration accepted.
pub const MAX_WAIT_SECONDS: f64 = 876_000.0 * 3_600.0;

/// A time target in seconds: at least 0, at most [`MAX_TIME_SECONDS`] ([`MAX_WAIT_SECONDS`]
/// for a `wait`), and a whole number of milliseconds (the figures' resolution), so that no
/// non-zero target becomes 0.
fn parse_seconds(value: &str, wait: bool) -> Result<f64, String> {
    let seconds = match value.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => v,
        Ok(_) => return Err(format!("\"{value}\" is not a time of at least 0")),
        Err(_) => match crate::time::parse_duration(value) {
            // Below the clock's microsecond a duration reads as 0: not whole milliseconds.
            Ok(d) if d.as_secs_f64() == 0.0 && value.contains(|c| ('1'..='9').contains(&c)) => {
                return Err(format!(
                    "\"{value}\" is not a whole number of milliseconds (the figures' resolution)"
                ))
            }
            Ok(d) => d.as_secs_f64(),
            // A duration shorter than the clock's microsecond: not whole milliseconds.
            Err(_) if value.ends_with("ms") || value.ends_with("us") => {
                return Err(format!(
                    "\"{value}\" is not a whole number of milliseconds (the figures' resolution)"
                ))
            }
            Err(e) => return Err(e),
        },
    };
    if wait && seconds > MAX_WAIT_SECONDS {
        return Err(format!(
            "\"{value}\" is longer than 100 years (876000h), the longest duration accepted"
        ));
    }
    if !wait && seconds > MAX_TIME_SECONDS {
        return Err(format!(
            "\"{value}\" is longer than 31 days (2678400 s), the longest run"
        ));
    }
    let ms = seconds * 1000.0;
    if (ms - ms.round()).abs() > 1e-6 * ms.max(1.0) || (seconds > 0.0 && ms.round() == 0.0) {
        return Err(format!(
            "\"{value}\" is not a whole number of milliseconds (the figures' resolution)"
        ));
    }
    Ok(seconds)
}

/// Parses a list of objectives (a scenario's `slo:`): every problem, each with its index.
pub fn parse_objectives<S: AsRef<str>>(
    texts: &[S],
) -> Result<Vec<Objective>, Vec<(usize, String)>> {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (i, t) in texts.iter().enumerate() {
        match parse_objective(t.as_ref()) {
            Ok(o) => out.push(o),
            Err(e) => problems.push((i, e)),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

impl Objective {
    /// Whether `value` meets the objective; a figure that does not exist never does.
    pub fn holds(&self, value: Option<f64>) -> bool {
        match (value, self.op) {
            (Some(v), Op::AtMost) => v <= self.target,
            (Some(v), Op::AtLeast) => v >= self.target,
            (None, _) => false,
        }
    }

    /// The target for people: `10 s`, `0`, `12.5`.
    pub fn show_target(&self) -> String {
        match self.metric.unit() {
            Unit::Seconds => format!("{} s", self.target),
            _ => format!("{}", self.target),
        }
    }

    /// The judgement of `value` (`judged_by` names which figure it is, for comparisons).
    pub fn outcome(&self, value: Option<f64>, judged_by: Option<&'static str>) -> Outcome {
        Outcome {
            metric: self.metric,
            op: self.op,
            target: self.target,
            value,
            met: self.holds(value),
            judged_by,
        }
    }
}

impl fmt::Display for Objective {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// How an objective fared: `summary.json`'s and `comparison.json`'s `slo` entries.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Outcome {
    /// The metric's name.
    pub metric: Metric,
    /// `<=` or `>=`.
    pub op: Op,
    /// The bound (seconds for times).
    pub target: f64,
    /// The figure judged; `null` when it does not exist (then the objective is missed).
    pub value: Option<f64>,
    /// Whether the objective holds.
    pub met: bool,
    /// In a comparison: `mean` (one replication), or the bound of the 95 % interval on the
    /// unfavourable side (`ci95_high` for `<=`, `ci95_low` for `>=`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub judged_by: Option<&'static str>,
}

impl Outcome {
    /// `p99_time_to_ip <= 5 s: 29.350 s` (with `(missed)` when it failed).
    pub fn describe(&self) -> String {
        let target = match self.metric.unit() {
            Unit::Seconds => format!("{} s", self.target),
            _ => format!("{}", self.target),
        };
        let value = self.value.map_or_else(
            || "no value (no pod to measure)".to_string(),
            |v| self.metric.show(v),
        );
        format!("{} {} {target}: {value}", self.metric.name(), self.op)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_durations_counts_and_means() {
        let o = parse_objective(" p99_time_to_ip <= 10s ").unwrap();
        assert_eq!(
            (o.metric, o.op, o.target),
            (Metric::P99TimeToIp, Op::AtMost, 10.0)
        );
        assert_eq!(o.text, "p99_time_to_ip<=10s");
        assert_eq!(
            parse_objective("max_time_to_ip<=1m30s").unwrap().target,
            90.0
        );
        assert_eq!(
            parse_objective("p50_time_to_ip<=250ms").unwrap().target,
            0.25
        );
        assert_eq!(parse_objective("p50_time_to_ip<=2.5").unwrap().target, 2.5);
        let o = parse_objective("min_subnet_free_ips>=100").unwrap();
        assert_eq!((o.op, o.target), (Op::AtLeast, 100.0));
        assert_eq!(parse_objective("idle_ips_mean<=12.5").unwrap().target, 12.5);
        // every metric has a column and a name that parses back
        for m in Metric::ALL {
            assert_eq!(Metric::from_name(m.name()), Some(m));
        }
    }

    #[test]
    fn errors_say_what_is_allowed() {
        let e = parse_objective("p99_time_to_ip<10s").unwrap_err();
        assert!(
            e.contains("only <= and >=") && e.contains("METRIC<=VALUE"),
            "{e}"
        );
        let e = parse_objective("p99_ip<=10s").unwrap_err();
        assert!(
            e.contains("unknown metric \"p99_ip\"") && e.contains("pods_never_ip"),
            "{e}"
        );
        let e = parse_objective("p99_time_to_ip<=10 parsecs").unwrap_err();
        assert!(e.contains("takes a duration"), "{e}");
        let e = parse_objective("pods_never_ip<=1.5").unwrap_err();
        assert!(e.contains("whole number"), "{e}");
        let e = parse_objective("idle_ips_mean>=-1").unwrap_err();
        assert!(e.contains("at least 0"), "{e}");
        assert!(parse_objective("pods_never_ip<=")
            .unwrap_err()
            .contains("no value"));
        assert!(parse_objective("<=3")
            .unwrap_err()
            .contains("names no metric"));
        let errs = parse_objectives(&["pods_never_ip<=0", "x>=1", "y"]).unwrap_err();
        assert_eq!(errs.iter().map(|e| e.0).collect::<Vec<_>>(), vec![1, 2]);
    }

    #[test]
    fn judgement_is_inclusive_and_a_missing_figure_misses() {
        let at_most = parse_objective("p99_time_to_ip<=29.35s").unwrap();
        // 29.35 s as the summary holds it: 29350 ms / 1000
        assert!(at_most.holds(Some(29_350.0 / 1000.0)));
        assert!(!at_most.holds(Some(29.351)));
        assert!(!at_most.holds(None));
        let at_least = parse_objective("min_subnet_free_ips>=10").unwrap();
        assert!(at_least.holds(Some(10.0)) && !at_least.holds(Some(9.0)));
        let o = at_most.outcome(Some(30.0), None);
        assert_eq!(o.describe(), "p99_time_to_ip <= 29.35 s: 30.000 s");
        assert_eq!(
            serde_json::to_string(&o).unwrap(),
            r#"{"metric":"p99_time_to_ip","op":"<=","target":29.35,"value":30.0,"met":false}"#
        );
    }

    #[test]
    fn targets_are_bounded_and_whole_milliseconds() {
        assert!(parse_objective("p99_time_to_ip<=1e300").is_err());
        assert!(parse_objective("p99_time_to_ip<=744h").is_ok());
        assert!(parse_objective("p99_time_to_ip<=0.0001ms").is_err());
        assert!(parse_objective("p99_time_to_ip<=0").is_ok());
        assert!(parse_objective("p99_time_to_ip<=0.1").is_ok());
        // pod-seconds sum over pods: longer than any run
        assert!(parse_objective("subnet_full_wait<=3000000").is_ok());
        assert!(parse_objective("subnet_full_wait<=1e300").is_err());
        assert!(parse_objective("ec2_calls<=9007199254740992").is_ok());
    }
}
