//! Reading the output directory's CSV files. Columns are found by name; extra columns are
//! ignored; every problem is an error naming the file and line, never a panic.

use super::ReportError;
use std::path::Path;

/// The `timeline.csv` columns the report uses, in the order [`Timeline::columns`] holds them.
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

    /// `(time_s, value)` pairs of one column.
    pub fn series(&self, name: &str) -> Vec<(f64, f64)> {
        self.get("time_s")
            .iter()
            .copied()
            .zip(self.get(name).iter().copied())
            .collect()
    }
}

/// `subnets.csv` regrouped: one `(subnet, [(time_s, free_ips)])` per subnet, in order of
/// first appearance.
pub type SubnetSeries = Vec<(String, Vec<(f64, f64)>)>;

/// One setting of `comparison.csv`, as the scatter plot needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct ComparisonPoint {
    /// The setting's label, e.g. `WARM_IP_TARGET=2 MINIMUM_IP_TARGET=10`.
    pub setting: String,
    /// Mean idle IPs over the run (IPs); `None` if the cell is empty.
    pub idle_ips_mean: Option<f64>,
    /// p99 time from creation to running (s, censored); `None` if the cell is empty.
    pub time_to_running_p99_s: Option<f64>,
    /// On the Pareto front of (p99 time to running, mean idle IPs): the same two
    /// objectives the chart plots.
    pub pareto: bool,
}

/// `comparison.csv`: the raw table (for display) and the parsed points.
#[derive(Debug, Default)]
pub struct Comparison {
    /// Header cells, in file order.
    pub header: Vec<String>,
    /// Data rows, in file order, each as long as `header`.
    pub rows: Vec<Vec<String>>,
    /// One point per row.
    pub points: Vec<ComparisonPoint>,
}

/// Opens a CSV file with a header row.
fn open(path: &Path) -> Result<csv::Reader<std::fs::File>, ReportError> {
    let file = std::fs::File::open(path).map_err(|source| ReportError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(file))
}

fn csv_error(path: &Path, e: csv::Error) -> ReportError {
    let line = e.position().map_or(0, csv::Position::line);
    let message = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("{len} fields where the header has {expected_len}"),
        csv::ErrorKind::Utf8 { .. } => "not valid UTF-8".to_string(),
        _ => e.to_string(),
    };
    match e.into_kind() {
        csv::ErrorKind::Io(source) => ReportError::Io {
            path: path.to_path_buf(),
            source,
        },
        _ => ReportError::Malformed {
            file: path.to_path_buf(),
            line,
            message,
        },
    }
}

/// Indices of the named columns in the header; a missing one is an error on line 1.
fn find_columns(
    path: &Path,
    reader: &mut csv::Reader<std::fs::File>,
    names: &[&str],
) -> Result<Vec<usize>, ReportError> {
    let header = reader.headers().map_err(|e| csv_error(path, e))?.clone();
    names
        .iter()
        .map(|name| {
            header
                .iter()
                .position(|h| h == *name)
                .ok_or_else(|| ReportError::Malformed {
                    file: path.to_path_buf(),
                    line: 1,
                    message: format!("missing column \"{name}\""),
                })
        })
        .collect()
}

/// Iterates over the data records with their line numbers.
fn records(
    path: &Path,
    reader: csv::Reader<std::fs::File>,
) -> impl Iterator<Item = Result<(u64, csv::StringRecord), ReportError>> + '_ {
    reader.into_records().map(move |r| {
        let rec = r.map_err(|e| csv_error(path, e))?;
        let line = rec.position().map_or(0, csv::Position::line);
        Ok((line, rec))
    })
}

/// Parses one cell as a finite number.
fn number(path: &Path, line: u64, column: &str, cell: &str) -> Result<f64, ReportError> {
    match cell.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(ReportError::Malformed {
            file: path.to_path_buf(),
            line,
            message: format!("column \"{column}\": \"{cell}\" is not a number"),
        }),
    }
}

/// A possibly empty numeric cell.
fn optional_number(
    path: &Path,
    line: u64,
    column: &str,
    cell: &str,
) -> Result<Option<f64>, ReportError> {
    if cell.is_empty() {
        Ok(None)
    } else {
        number(path, line, column, cell).map(Some)
    }
}

/// Reads `timeline.csv`.
pub fn read_timeline(path: &Path) -> Result<Timeline, ReportError> {
    let mut reader = open(path)?;
    let idx = find_columns(path, &mut reader, &TIMELINE_COLUMNS)?;
    let mut columns = vec![Vec::new(); idx.len()];
    for r in records(path, reader) {
        let (line, rec) = r?;
        for ((col, &i), name) in columns.iter_mut().zip(&idx).zip(TIMELINE_COLUMNS) {
            col.push(number(path, line, name, rec.get(i).unwrap_or(""))?);
        }
    }
    Ok(Timeline { columns })
}

/// Reads `subnets.csv` (`time_s,subnet,free_ips,...`) into one series per subnet.
pub fn read_subnets(path: &Path) -> Result<SubnetSeries, ReportError> {
    let mut reader = open(path)?;
    let idx = find_columns(path, &mut reader, &["time_s", "subnet", "free_ips"])?;
    let mut out: SubnetSeries = Vec::new();
    for r in records(path, reader) {
        let (line, rec) = r?;
        let cell = |i: usize| rec.get(idx[i]).unwrap_or("");
        let t = number(path, line, "time_s", cell(0))?;
        let free = number(path, line, "free_ips", cell(2))?;
        let name = cell(1);
        match out.iter_mut().find(|(n, _)| n == name) {
            Some((_, pts)) => pts.push((t, free)),
            None => out.push((name.to_string(), vec![(t, free)])),
        }
    }
    Ok(out)
}

/// Reads `comparison.csv`: the whole table plus the scatter's columns.
pub fn read_comparison(path: &Path) -> Result<Comparison, ReportError> {
    let mut reader = open(path)?;
    let names = [
        "setting",
        "idle_ips_mean",
        "time_to_running_p99_s",
        "pareto",
    ];
    let idx = find_columns(path, &mut reader, &names)?;
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| csv_error(path, e))?
        .iter()
        .map(String::from)
        .collect();
    let mut out = Comparison {
        header,
        ..Comparison::default()
    };
    for r in records(path, reader) {
        let (line, rec) = r?;
        let cell = |i: usize| rec.get(idx[i]).unwrap_or("");
        out.points.push(ComparisonPoint {
            setting: cell(0).to_string(),
            idle_ips_mean: optional_number(path, line, names[1], cell(1))?,
            time_to_running_p99_s: optional_number(path, line, names[2], cell(2))?,
            pareto: flag(path, line, cell(3))?,
        });
        out.rows.push(rec.iter().map(String::from).collect());
    }
    Ok(out)
}

fn flag(path: &Path, line: u64, cell: &str) -> Result<bool, ReportError> {
    match cell {
        "1" | "true" => Ok(true),
        "0" | "false" | "" => Ok(false),
        _ => Err(ReportError::Malformed {
            file: path.to_path_buf(),
            line,
            message: format!("column \"pareto\": \"{cell}\" is not 1 or 0"),
        }),
    }
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
}
