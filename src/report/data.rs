//! The run's time series: `timeline.csv`, `subnets.csv`, `nodes.csv` (Ready nodes per
//! sample) and the insufficient-address failures of `events.csv`; and the thinning of
//! long series for drawing.

use super::input::CsvIn;
use super::rows::{EventCause, EventKind, FailureIn, ReadyIn, SubnetIn, TimelineIn};
use super::ReportError;
use crate::model::ids::SubnetId;
use crate::model::record::{Ec2Error, Fact, InsufficientThen};
use crate::scenario::Ec2Action;
use std::collections::BTreeMap;
use std::path::Path;

/// The `timeline.csv` columns the report uses, in the order [`Timeline::columns`] holds them
/// (the fields of [`TimelineIn`]).
pub const TIMELINE_COLUMNS: [&str; 15] = [
    "time_s",
    "nodes",
    "pods_total",
    "pods_running",
    "pods_unschedulable",
    "pods_waiting_ip",
    "enis",
    "ips_total",
    "ips_assigned",
    "ips_cooldown",
    "ips_available",
    "prefixes",
    "subnet_free_ips",
    "ec2_calls",
    "ec2_throttled",
];

/// `timeline.csv`: one value per sample for each of [`TIMELINE_COLUMNS`].
#[derive(Debug, Default)]
pub struct Timeline {
    /// `columns[i]` holds the samples of `TIMELINE_COLUMNS[i]`; all have the same length.
    pub columns: Vec<Vec<f64>>,
}

impl Timeline {
    /// The samples of one named column (an empty slice for a name not in the list).
    pub fn get(&self, name: &str) -> &[f64] {
        TIMELINE_COLUMNS
            .iter()
            .position(|c| *c == name)
            .and_then(|i| self.columns.get(i))
            .map_or(&[], Vec::as_slice)
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.columns.first().map_or(0, Vec::len)
    }

    /// The last sample's time (s), 0 without samples.
    pub fn end_s(&self) -> f64 {
        self.get("time_s").last().copied().unwrap_or(0.0)
    }

    /// `(time_s, value)` pairs of one column.
    pub fn series(&self, name: &str) -> Vec<(f64, f64)> {
        self.get("time_s")
            .iter()
            .copied()
            .zip(self.get(name).iter().copied())
            .collect()
    }
}

/// One subnet's samples from `subnets.csv`.
#[derive(Debug, Default, Clone)]
pub struct Subnet {
    /// Its name.
    pub name: String,
    /// `(time_s, free_ips)`.
    pub free_ips: Vec<(f64, f64)>,
    /// `(time_s, free_prefix_blocks)`: aligned /28 blocks entirely free.
    pub free_blocks: Vec<(f64, f64)>,
}

/// The subnets in order of first appearance.
pub type Subnets = Vec<Subnet>;

/// Reads `timeline.csv`.
pub fn read_timeline(path: &Path) -> Result<Timeline, ReportError> {
    let mut input = CsvIn::open(path)?;
    let cols = input.columns_of::<TimelineIn>()?;
    let mut columns = vec![Vec::new(); TIMELINE_COLUMNS.len()];
    input.for_each(|row| {
        let sample: TimelineIn = row.read(&cols)?;
        for (col, v) in columns.iter_mut().zip(sample.values()) {
            col.push(v);
        }
        Ok(())
    })?;
    Ok(Timeline { columns })
}

/// Reads `subnets.csv` (`time_s,subnet,free_ips,free_prefix_blocks`) into one series pair
/// per subnet.
pub fn read_subnets(path: &Path) -> Result<Subnets, ReportError> {
    let mut input = CsvIn::open(path)?;
    let cols = input.columns_of::<SubnetIn<'_>>()?;
    let mut out: Subnets = Vec::new();
    input.for_each(|row| {
        let SubnetIn {
            time_s: t,
            subnet: name,
            free_ips: free,
            free_prefix_blocks: blocks,
        } = row.read(&cols)?;
        let s = match out.iter().position(|s| s.name == name) {
            Some(i) => &mut out[i],
            None => {
                out.push(Subnet {
                    name: name.to_string(),
                    ..Subnet::default()
                });
                out.last_mut().expect("just pushed")
            }
        };
        s.free_ips.push((t, free));
        s.free_blocks.push((t, blocks));
        Ok(())
    })?;
    Ok(out)
}

/// Reads `nodes.csv`: `(time_s, nodes Ready)` per sample time, in time order.
pub fn read_ready_nodes(path: &Path) -> Result<Vec<(f64, f64)>, ReportError> {
    let mut input = CsvIn::open(path)?;
    let cols = input.columns_of::<ReadyIn>()?;
    let mut by_time: BTreeMap<u64, u64> = BTreeMap::new();
    input.for_each(|row| {
        let ReadyIn { time_ms, ready } = row.read(&cols)?;
        *by_time.entry(time_ms).or_default() += u64::from(ready);
        Ok(())
    })?;
    Ok(by_time
        .into_iter()
        .map(|(ms, n)| (ms as f64 / 1000.0, n as f64))
        .collect())
}

/// The `events.csv` kind of an EC2 insufficient-address failure (the one row per failure
/// that names its subnet).
fn insufficient_kind() -> &'static str {
    Fact::InsufficientAddresses {
        action: Ec2Action::AssignPrivateIpAddresses,
        eni: None,
        count: 0,
        subnet: SubnetId(0),
        error: Ec2Error::InsufficientCidrBlocks,
        then: InsufficientThen::NextSubnet,
        prefixes: false,
    }
    .kind()
}

/// EC2's insufficient-address failures per subnet, from `events.csv`.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Failures {
    /// `(subnet, times_s)` of `InsufficientCidrBlocks` (no free aligned /28), in order of
    /// first appearance.
    pub cidr_blocks: Vec<(String, Vec<f64>)>,
    /// The same for `InsufficientFreeAddressesInSubnet`.
    pub free_addresses: Vec<(String, Vec<f64>)>,
}

impl Failures {
    /// The times of `error` in `subnet` (empty if none).
    pub fn of(&self, error: Ec2Error, subnet: &str) -> &[f64] {
        let list = match error {
            Ec2Error::InsufficientCidrBlocks => &self.cidr_blocks,
            Ec2Error::InsufficientFreeAddressesInSubnet => &self.free_addresses,
            _ => return &[],
        };
        list.iter()
            .find(|(s, _)| s == subnet)
            .map_or(&[], |(_, t)| t.as_slice())
    }
}

/// Reads the insufficient-address failures of `events.csv` (`time_s,kind,cause,subnet`).
pub fn read_failures(path: &Path) -> Result<Failures, ReportError> {
    let mut input = CsvIn::open(path)?;
    let cols = input.columns_of::<FailureIn<'_>>()?;
    let (kind_col, cause_col) = (
        input.columns_of::<EventKind<'_>>()?,
        input.columns_of::<EventCause<'_>>()?,
    );
    let kind = insufficient_kind();
    let (cidr, free) = (
        Ec2Error::InsufficientCidrBlocks.name(),
        Ec2Error::InsufficientFreeAddressesInSubnet.name(),
    );
    let mut out = Failures::default();
    input.for_each(|row| {
        if row.read::<EventKind<'_>>(&kind_col)?.kind != kind {
            return Ok(());
        }
        let cause = row.read::<EventCause<'_>>(&cause_col)?.cause;
        let list = if cause == cidr {
            &mut out.cidr_blocks
        } else if cause == free {
            &mut out.free_addresses
        } else {
            return Ok(());
        };
        let FailureIn {
            time_s: t, subnet, ..
        } = row.read(&cols)?;
        match list.iter_mut().find(|(s, _)| s == subnet) {
            Some((_, times)) => times.push(t),
            None => list.push((subnet.to_string(), vec![t])),
        }
        Ok(())
    })?;
    Ok(out)
}

/// Thins a series to at most `max` points (`max` ≥ 4) for drawing: the points are split into
/// equal buckets and each bucket keeps its lowest and highest point (in time order), so peaks
/// and dips survive; the first and last points are always kept.
pub fn downsample(points: &[(f64, f64)], max: usize) -> Vec<(f64, f64)> {
    let max = max.max(4);
    if points.len() <= max {
        return points.to_vec();
    }
    let inner = &points[1..points.len() - 1];
    let buckets = (max - 2) / 2;
    let size = inner.len().div_ceil(buckets);
    let mut out = Vec::with_capacity(max);
    out.push(points[0]);
    for chunk in inner.chunks(size) {
        let by_y = |a: &(usize, &(f64, f64)), b: &(usize, &(f64, f64))| a.1 .1.total_cmp(&b.1 .1);
        let lo = chunk.iter().enumerate().min_by(by_y).map_or(0, |(i, _)| i);
        let hi = chunk.iter().enumerate().max_by(by_y).map_or(0, |(i, _)| i);
        out.push(chunk[lo.min(hi)]);
        if lo != hi {
            out.push(chunk[lo.max(hi)]);
        }
    }
    out.push(points[points.len() - 1]);
    out
}

/// At most `max` of `times` (sorted), one per equal slice of `[0, end]` (the first time in
/// each), with how many each stands for.
pub fn thin_times(times: &[f64], end: f64, max: usize) -> Vec<(f64, usize)> {
    let mut sorted = times.to_vec();
    sorted.sort_by(f64::total_cmp);
    let width = if end > 0.0 {
        end / max.max(1) as f64
    } else {
        1.0
    };
    let mut out: Vec<(f64, usize)> = Vec::new();
    let mut last_slot = None;
    for t in sorted {
        let slot = (t / width).floor() as i64;
        match out.last_mut() {
            Some((_, n)) if last_slot == Some(slot) => *n += 1,
            _ => {
                out.push((t, 1));
                last_slot = Some(slot);
            }
        }
    }
    out
}

/// The value of a sampled step series at time `t`: the last sample at or before `t` (the
/// first sample before it starts).
pub fn value_at(points: &[(f64, f64)], t: f64) -> f64 {
    let i = points.partition_point(|p| p.0 <= t);
    points.get(i.saturating_sub(1)).map_or(0.0, |p| p.1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downsample_keeps_short_series_and_peaks() {
        let short: Vec<(f64, f64)> = (0..10).map(|i| (i as f64, 0.0)).collect();
        assert_eq!(downsample(&short, 2000), short);
        // 10,000 points with one spike at index 5000.
        let mut long: Vec<(f64, f64)> = (0..10_000).map(|i| (i as f64, 1.0)).collect();
        long[5000].1 = 99.0;
        let d = downsample(&long, 2000);
        assert!(d.len() <= 2000, "{}", d.len());
        assert!(d.contains(&(5000.0, 99.0)));
        assert_eq!((d[0], d[d.len() - 1]), (long[0], long[9999]));
        assert!(d.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn thinned_times_count_what_they_stand_for() {
        let t = thin_times(&[5.0, 0.1, 0.2, 9.9, 5.5], 10.0, 10);
        assert_eq!(t, [(0.1, 2), (5.0, 2), (9.9, 1)]);
    }

    #[test]
    fn insufficient_failures_are_the_subnet_naming_kind() {
        assert_eq!(insufficient_kind(), "insufficient_addresses");
        let pts = [(0.0, 5.0), (10.0, 3.0)];
        assert_eq!((value_at(&pts, 9.9), value_at(&pts, 10.0)), (5.0, 3.0));
    }
}
