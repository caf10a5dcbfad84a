//! Pods waiting per cause over time, from `waits.csv`'s intervals.
//!
//! The run's time is cut into equal buckets (at most [`MAX_BUCKETS`], a round width); each
//! bucket holds, per cause, the pod-milliseconds of the intervals overlapping it, found by
//! one pass over the rows with a difference array over their start and end points (an
//! interval adds its partial first and last buckets directly and `+width`/`-width` at the
//! bounds of the buckets it covers whole; a prefix sum completes them). Divided by the
//! bucket's length this is the mean number of pods waiting for that cause in the bucket,
//! which is exactly the number of intervals covering any instant of it when no interval
//! starts or ends inside. Memory is one small array per cause, whatever the file's size.

use super::input::CsvIn;
use super::rows::{WaitEndIn, WaitPodIn, WaitSpanIn};
use super::ReportError;
use crate::model::record::WaitCause;
use std::path::Path;

/// Most buckets: about one per 2.5 px of the plot; drawn as steps, two points each, well
/// within [`super::MAX_POINTS_PER_SERIES`].
pub const MAX_BUCKETS: usize = 300;

/// Bucket widths (ms) tried in order: the first that needs at most [`MAX_BUCKETS`] wins.
const WIDTHS_MS: [u64; 19] = [
    100, 200, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000,
    900_000, 1_800_000, 3_600_000, 7_200_000, 21_600_000, 86_400_000,
];

const N: usize = WaitCause::ALL.len();

/// Per cause totals over the whole file.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CauseTotals {
    /// Pod-milliseconds.
    pub pod_ms: u64,
    /// Intervals (rows).
    pub intervals: u64,
    /// The longest interval (ms).
    pub longest_ms: u64,
}

/// `waits.csv` bucketed by time and cause.
#[derive(Debug, Clone)]
pub struct WaitStack {
    /// Start of the time axis (ms): 0 for the whole run, the window's start when zoomed.
    pub start_ms: u64,
    /// Bucket width (ms).
    pub bucket_ms: u64,
    /// End of the time axis (ms): the last bucket may be shorter.
    pub end_ms: u64,
    /// `pod_ms[cause index][bucket]`: pod-milliseconds of the cause in the bucket.
    pub pod_ms: [Vec<u64>; N],
    /// Totals per cause (indexed as [`WaitCause::ALL`]).
    pub totals: [CauseTotals; N],
    /// Distinct pods in the file (rows of one pod are contiguous; counted at each change).
    pub pods: u64,
    /// The earliest interval start and the latest interval end in the file (ms), `None`
    /// without intervals: the window in which pods waited.
    pub span_ms: Option<(u64, u64)>,
}

impl WaitStack {
    /// An empty stack over `[0, end_ms)`.
    pub fn new(end_ms: u64) -> WaitStack {
        WaitStack::over(0, end_ms)
    }

    /// An empty stack over `[start_ms, end_ms)` (at least 1 ms long).
    pub fn over(start_ms: u64, end_ms: u64) -> WaitStack {
        let end_ms = end_ms.max(start_ms.saturating_add(1));
        let len = end_ms - start_ms;
        let bucket_ms = WIDTHS_MS
            .into_iter()
            .find(|w| len.div_ceil(*w) as usize <= MAX_BUCKETS)
            .unwrap_or_else(|| len.div_ceil(MAX_BUCKETS as u64));
        let n = len.div_ceil(bucket_ms) as usize;
        WaitStack {
            start_ms,
            bucket_ms,
            end_ms,
            pod_ms: std::array::from_fn(|_| vec![0; n]),
            totals: [CauseTotals::default(); N],
            pods: 0,
            span_ms: None,
        }
    }

    /// Number of buckets.
    pub fn buckets(&self) -> usize {
        self.pod_ms[0].len()
    }

    /// Start and end (ms) of bucket `b`.
    pub fn bucket_span(&self, b: usize) -> (u64, u64) {
        let start = self.start_ms + b as u64 * self.bucket_ms;
        (start, (start + self.bucket_ms).min(self.end_ms))
    }

    /// Mean pods waiting for `cause` over the bucket holding time `t_s` (0 outside).
    pub fn pods_at(&self, cause: WaitCause, t_s: f64) -> f64 {
        if !(0.0..).contains(&t_s) || (t_s * 1000.0).round() < self.start_ms as f64 {
            return 0.0;
        }
        let b = (((t_s * 1000.0).round() as u64 - self.start_ms) / self.bucket_ms) as usize;
        self.mean(cause.index(), b)
    }

    /// Mean pods waiting for cause index `c` in bucket `b`.
    pub fn mean(&self, c: usize, b: usize) -> f64 {
        match self.pod_ms[c].get(b) {
            Some(&ms) => {
                let (s, e) = self.bucket_span(b);
                ms as f64 / (e - s).max(1) as f64
            }
            None => 0.0,
        }
    }

    /// The causes with any waiting, by pod-seconds (largest first; ties in
    /// [`WaitCause::ALL`] order).
    pub fn present(&self) -> Vec<WaitCause> {
        let mut c: Vec<WaitCause> = WaitCause::ALL
            .into_iter()
            .filter(|c| self.totals[c.index()].intervals > 0)
            .collect();
        c.sort_by_key(|c| std::cmp::Reverse(self.totals[c.index()].pod_ms));
        c
    }

    /// Pod-seconds of every cause.
    pub fn total_s(&self) -> f64 {
        self.totals.iter().map(|t| t.pod_ms).sum::<u64>() as f64 / 1000.0
    }

    /// Adds the interval `[start_ms, end_ms)` of `cause`, clipped to the axis.
    /// `diff` is the difference array of whole buckets (one longer than the buckets).
    fn add(&mut self, diff: &mut [Vec<i64>; N], cause: WaitCause, start: u64, end: u64) {
        let c = cause.index();
        let t = &mut self.totals[c];
        t.pod_ms += end - start;
        t.intervals += 1;
        t.longest_ms = t.longest_ms.max(end - start);
        self.span_ms = Some(match self.span_ms {
            Some((a, b)) => (a.min(start), b.max(end)),
            None => (start, end),
        });
        let clip = |t: u64| t.clamp(self.start_ms, self.end_ms) - self.start_ms;
        let (start, end) = (clip(start), clip(end));
        if start >= end {
            return;
        }
        let w = self.bucket_ms;
        let (first, last) = ((start / w) as usize, ((end - 1) / w) as usize);
        if first == last {
            self.pod_ms[c][first] += end - start;
            return;
        }
        self.pod_ms[c][first] += (first as u64 + 1) * w - start;
        self.pod_ms[c][last] += end - last as u64 * w;
        diff[c][first + 1] += w as i64;
        diff[c][last] -= w as i64;
    }

    /// Applies the difference arrays: each bucket gets the whole widths covering it.
    fn finish(&mut self, diff: &[Vec<i64>; N]) {
        for (c, d) in diff.iter().enumerate() {
            let mut run = 0i64;
            for (b, v) in self.pod_ms[c].iter_mut().enumerate() {
                run += d[b];
                *v += run as u64;
            }
        }
    }
}

/// Reads `waits.csv` (`pod,node,cause,start_s,end_s`, more columns ignored) into a
/// [`WaitStack`] over `[0, end_s]`; `end_s` ≤ 0 takes the latest `end_s` in the file (one
/// more pass over it).
pub fn read_waits(path: &Path, end_s: f64) -> Result<WaitStack, ReportError> {
    let end_ms = if end_s > 0.0 && end_s.is_finite() {
        (end_s * 1000.0).round() as u64
    } else {
        let mut input = CsvIn::open(path)?;
        let cols = input.columns_of::<WaitEndIn>()?;
        let mut latest = 0;
        input.for_each(|row| {
            latest = latest.max(row.read::<WaitEndIn>(&cols)?.end_ms);
            Ok(())
        })?;
        latest
    };
    read_waits_in(path, 0, end_ms)
}

/// Reads `waits.csv` into a [`WaitStack`] over `[start_ms, end_ms)` (a zoomed window:
/// intervals are clipped to it; the totals count them whole).
pub fn read_waits_in(path: &Path, start_ms: u64, end_ms: u64) -> Result<WaitStack, ReportError> {
    let mut stack = WaitStack::over(start_ms, end_ms);
    let mut diff: [Vec<i64>; N] = std::array::from_fn(|_| vec![0; stack.buckets() + 1]);
    let mut input = CsvIn::open(path)?;
    // The pod's column is looked for first, then the interval's: `pod,cause,start_s,end_s`.
    let pod = input.columns_of::<WaitPodIn<'_>>()?;
    let span = input.columns_of::<WaitSpanIn>()?;
    let mut last_pod: Vec<u8> = Vec::new();
    input.for_each(|row| {
        let WaitSpanIn {
            cause: c,
            start_ms: s,
            end_ms: e,
        } = row.read(&span)?;
        if e < s {
            return Err(row.error(format!(
                "end_s {:.3} is before start_s {:.3}",
                e as f64 / 1000.0,
                s as f64 / 1000.0
            )));
        }
        let name = row.read::<WaitPodIn<'_>>(&pod)?.pod.as_bytes();
        if stack.pods == 0 || name != last_pod.as_slice() {
            stack.pods += 1;
            last_pod.clear();
            last_pod.extend_from_slice(name);
        }
        stack.add(&mut diff, c, s, e);
        Ok(())
    })?;
    stack.finish(&diff);
    Ok(stack)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_are_round_and_bounded() {
        assert_eq!(WaitStack::new(600_000).bucket_ms, 2_000);
        assert_eq!(WaitStack::new(10_000).bucket_ms, 100);
        assert_eq!(WaitStack::new(86_400_000).bucket_ms, 300_000);
        for end in [1, 999, 100_000_000_000] {
            assert!(WaitStack::new(end).buckets() <= MAX_BUCKETS);
        }
    }

    #[test]
    fn intervals_fill_partial_and_whole_buckets() {
        // 10 s axis, 100 ms buckets; an interval from 0.05 s to 0.35 s covers half of
        // bucket 0, all of 1 and 2, half of 3.
        let mut s = WaitStack::new(10_000);
        let mut diff: [Vec<i64>; N] = std::array::from_fn(|_| vec![0; s.buckets() + 1]);
        s.add(&mut diff, WaitCause::PoolTick, 50, 350);
        s.add(&mut diff, WaitCause::PoolTick, 100, 200);
        s.finish(&diff);
        let c = WaitCause::PoolTick.index();
        assert_eq!(&s.pod_ms[c][..5], &[50, 200, 100, 50, 0]);
        assert_eq!(s.totals[c].pod_ms, 400);
        assert_eq!(s.totals[c].longest_ms, 300);
    }
}
