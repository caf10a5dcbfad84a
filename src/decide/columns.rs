//! The figures a comparison keeps of each run, in `comparison.csv` column order. This list
//! is the one place to add a column: its name, its kind, whether it is a headline metric
//! (those get a mean, a 95 % interval and a paired difference against the baseline), and
//! how to read it from a run's [`Summary`].
//!
//! A run's figures are kept as integer thousandths of their unit (milliseconds for times),
//! rounded half away from zero: times are millisecond-exact already, and the means that
//! `comparison.csv` writes with 3 decimals (`idle_ips_mean`, `seconds_any_waiting`) lose
//! nothing more. So sums over replications are exact, and a shard's part file holds the
//! figures exactly (integers in JSON), whatever the platform's float parsing.

use crate::model::record::WaitCause;
use crate::output::summary::Summary;
use crate::scenario::Ec2Action;
use std::sync::OnceLock;

/// How a column's figures are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A count per run, written as an integer; a mean over replications is written as an
    /// integer when it is one, else with 3 decimals.
    Count,
    /// Seconds or a mean, written with up to 3 decimals; empty when the run had nothing to
    /// measure (no pod bound).
    Decimal,
    /// Not a run's figure: 1 when the setting is on the Pareto front, else 0.
    Pareto,
}

type Read = Box<dyn Fn(&Summary) -> Option<f64> + Send + Sync>;

/// One column after the setting's values.
pub struct Column {
    /// The column name.
    pub name: String,
    /// How its figures are written.
    pub kind: Kind,
    /// Gets `_mean`, `_ci95_low`, `_ci95_high` and `_diff_*` columns.
    pub headline: bool,
    read: Read,
}

impl Column {
    fn new(name: &str, kind: Kind, headline: bool, read: Read) -> Column {
        Column {
            name: name.to_string(),
            kind,
            headline,
            read,
        }
    }

    /// The column's figure for one run (`None` for the Pareto column).
    pub fn read(&self, s: &Summary) -> Option<f64> {
        (self.read)(s)
    }
}

fn count(name: &str, headline: bool, f: fn(&Summary) -> u64) -> Column {
    Column::new(
        name,
        Kind::Count,
        headline,
        Box::new(move |s| Some(f(s) as f64)),
    )
}

fn decimal(name: &str, headline: bool, f: fn(&Summary) -> Option<f64>) -> Column {
    Column::new(name, Kind::Decimal, headline, Box::new(f))
}

fn ec2_action(a: Ec2Action) -> Column {
    let name = a.name();
    Column::new(
        &format!("ec2_{name}"),
        Kind::Count,
        false,
        Box::new(move |s| Some(s.ec2.by_action.get(name).copied().unwrap_or(0) as f64)),
    )
}

/// Every column, in file order (the first ones as `comparison.csv` has always had them).
pub fn columns() -> &'static [Column] {
    static COLUMNS: OnceLock<Vec<Column>> = OnceLock::new();
    COLUMNS.get_or_init(|| {
        use Ec2Action as A;
        let mut c = vec![
            count("pods_never_ip", true, |s| s.pods.never_got_ip.into()),
            decimal("time_to_ip_p50_s", true, |s| s.time_to_ip_censored_s.p50),
            decimal("time_to_ip_p90_s", false, |s| s.time_to_ip_censored_s.p90),
            decimal("time_to_ip_p99_s", true, |s| s.time_to_ip_censored_s.p99),
            decimal("time_to_ip_max_s", false, |s| s.time_to_ip_censored_s.max),
            count("peak_waiting_ip", false, |s| s.peak.waiting_ip.into()),
            decimal("seconds_any_waiting", false, |s| {
                Some(s.seconds_any_waiting)
            }),
            decimal("idle_ips_mean", true, |s| Some(s.ips.idle_mean)),
            count("idle_ips_peak", false, |s| s.ips.idle_peak.into()),
            count("peak_ips_total", false, |s| s.ips.held_peak.into()),
            count("min_subnet_free_ips", false, |s| s.subnets.min_free_ips),
            count("enis_attached", false, |s| s.enis.attached),
            count("enis_freed", false, |s| s.enis.freed),
        ];
        // the per-action columns in their historical order
        for a in [
            A::AssignPrivateIpAddresses,
            A::UnassignPrivateIpAddresses,
            A::CreateNetworkInterface,
            A::AttachNetworkInterface,
            A::ModifyNetworkInterfaceAttribute,
            A::DetachNetworkInterface,
            A::DeleteNetworkInterface,
            A::DescribeNetworkInterfaces,
            A::DescribeInstances,
            A::DescribeSubnets,
        ] {
            c.push(ec2_action(a));
        }
        c.extend([
            count("ec2_calls_total", true, |s| s.ec2.calls),
            count("ec2_throttled", true, |s| s.ec2.throttled),
            Column::new("pareto", Kind::Pareto, false, Box::new(|_| None)),
            count("pods_never_scheduled", true, |s| {
                s.pods.never_scheduled.into()
            }),
            count("peak_unschedulable", false, |s| s.peak.unschedulable.into()),
            decimal("time_to_running_p50_s", false, |s| s.time_to_running_s.p50),
            decimal("time_to_running_p99_s", true, |s| s.time_to_running_s.p99),
        ]);
        // actions added later, after the historical columns
        c.push(ec2_action(A::AssignIpv6Addresses));
        c.push(ec2_action(A::AssociateTrunkInterface));
        // pod-seconds waited by cause (summary.json's wait_by_cause_s)
        for cause in WaitCause::ALL {
            c.push(Column::new(
                &format!("wait_{}_s", cause.word()),
                Kind::Decimal,
                false,
                Box::new(move |s| Some(s.wait_by_cause_s.get(cause))),
            ));
        }
        // VPC subnet addresses the cluster consumed at its peak (Calico vs the VPC CNI)
        c.push(count("vpc_ips_used_peak", false, |s| s.subnets.used_peak));
        // nodes whose instance got no subnet address
        c.push(count("nodes_launch_failed", false, |s| {
            s.nodes.launch_failed.into()
        }));
        c
    })
}

/// The index of the column named `name`.
pub fn index_of(name: &str) -> Option<usize> {
    columns().iter().position(|c| c.name == name)
}

/// One run's figures, one per column, in integer thousandths (`None`: nothing to measure,
/// and always for the Pareto column).
pub type Figures = Vec<Option<i64>>;

/// Thousandths of `v`, rounded half away from zero.
pub fn to_milli(v: f64) -> i64 {
    (v * 1000.0).round() as i64
}

/// The figures of one run.
pub fn figures(s: &Summary) -> Figures {
    columns().iter().map(|c| c.read(s).map(to_milli)).collect()
}

/// The figure of column `name` for one run, as `comparison.csv` would write it (thousandths
/// rounded); `None` for an unknown column or nothing to measure.
pub fn figure_of(name: &str, s: &Summary) -> Option<f64> {
    let c = &columns()[index_of(name)?];
    c.read(s).map(|v| to_milli(v) as f64 / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decide::slo::Metric;

    #[test]
    fn every_objective_metric_has_a_column() {
        for m in Metric::ALL {
            let i = index_of(m.column()).unwrap_or_else(|| panic!("{}", m.column()));
            assert_ne!(columns()[i].kind, Kind::Pareto);
        }
    }

    #[test]
    fn the_headline_metrics() {
        let h: Vec<&str> = columns()
            .iter()
            .filter(|c| c.headline)
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(
            h,
            [
                "pods_never_ip",
                "time_to_ip_p50_s",
                "time_to_ip_p99_s",
                "idle_ips_mean",
                "ec2_calls_total",
                "ec2_throttled",
                "pods_never_scheduled",
                "time_to_running_p99_s"
            ]
        );
    }

    #[test]
    fn thousandths_round_half_away_from_zero() {
        assert_eq!(to_milli(1.8868552412645592), 1887);
        assert_eq!(to_milli(29.35), 29_350);
        assert_eq!(to_milli(2.5), 2_500);
        assert_eq!(to_milli(-0.0016), -2);
    }
}
