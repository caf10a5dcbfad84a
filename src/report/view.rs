//! What the run report's parts share: the inputs read from a run directory
//! ([`RunInputs`]), time axes over a view of the run ([`TimeAxis`]), and the blocks every
//! part builds ([`section`], [`over_time`]).

use super::chart::{self, Axis, Marks, Series};
use super::data::{self, Failures, Subnets, Timeline};
use super::html::{Block, Section};
use super::meta::RunMeta;
use super::pods::PodTimes;
use super::waits::WaitStack;
use super::{ReportError, MAX_POINTS_PER_SERIES};

/// What a run directory holds; `None` for a file that is absent.
#[derive(Default)]
pub struct RunInputs {
    /// `summary.json`.
    pub meta: Option<RunMeta>,
    /// `timeline.csv`.
    pub timeline: Option<Timeline>,
    /// `pods.csv`.
    pub pods: Option<PodTimes>,
    /// `waits.csv`.
    pub waits: Option<WaitStack>,
    /// `subnets.csv`.
    pub subnets: Option<Subnets>,
    /// `events.csv`'s insufficient-address failures.
    pub failures: Option<Failures>,
    /// `nodes.csv`: Ready nodes per sample.
    pub ready: Option<Vec<(f64, f64)>>,
    /// When pods waited, with margins (s): the view the time axes are zoomed to (`None`:
    /// the whole run only).
    pub window: Option<(f64, f64)>,
    /// `waits.csv` over [`Self::window`].
    pub waits_zoomed: Option<WaitStack>,
}

impl RunInputs {
    /// The run's end (s): summary.json's duration, else the last sample.
    pub fn end_s(&self) -> f64 {
        match (&self.meta, &self.timeline) {
            (Some(m), _) => m.duration_s,
            (None, Some(t)) => t.end_s(),
            _ => 0.0,
        }
    }

    /// A Calico run (its summary.json has a `calico` object).
    pub(super) fn calico(&self) -> bool {
        self.meta.as_ref().is_some_and(|m| m.calico.is_some())
    }

    pub(super) fn prefix_mode(&self) -> bool {
        self.meta
            .as_ref()
            .is_some_and(|m| m.cni.ENABLE_PREFIX_DELEGATION)
    }
}

/// A time axis over a view of the run, `[lo_s, hi_s]`: seconds when the view spans up to 20
/// minutes, minutes up to 3 hours, hours beyond.
pub struct TimeAxis {
    /// Seconds per unit.
    pub div: f64,
    /// The axis title.
    pub title: &'static str,
    /// The view's start (s).
    pub lo_s: f64,
    /// The view's end (s).
    pub hi_s: f64,
}

impl TimeAxis {
    /// The whole run, `[0, end_s]`.
    pub(super) fn for_end(end_s: f64) -> TimeAxis {
        TimeAxis::view(0.0, end_s)
    }

    /// The view `[lo_s, hi_s]`.
    pub(super) fn view(lo_s: f64, hi_s: f64) -> TimeAxis {
        let span = hi_s - lo_s;
        let (div, title) = if span > 3.0 * 3600.0 {
            (3600.0, "simulated time (h)")
        } else if span > 1200.0 {
            (60.0, "simulated time (min)")
        } else {
            (1.0, "simulated time (s)")
        };
        TimeAxis {
            div,
            title,
            lo_s,
            hi_s,
        }
    }

    pub(super) fn axis(&self) -> Axis {
        let (lo, hi) = (self.lo_s / self.div, self.hi_s / self.div);
        Axis::linear(
            self.title,
            lo..if hi > lo {
                hi
            } else {
                lo + 1e-9_f64.max(lo * 1e-9)
            },
        )
    }

    /// The points within the view (the line cut at its edges), in axis units, thinned.
    pub(super) fn scale(&self, points: &[(f64, f64)]) -> Vec<(f64, f64)> {
        let pts: Vec<(f64, f64)> = clip(points, self.lo_s, self.hi_s)
            .into_iter()
            .map(|(x, y)| (x / self.div, y))
            .collect();
        data::downsample(&pts, MAX_POINTS_PER_SERIES)
    }
}

/// The part of a polyline (x rising) within `[lo, hi]`: the points inside, plus the line's
/// crossings of `lo` and `hi` (linear interpolation) where it runs beyond them.
pub(super) fn clip(points: &[(f64, f64)], lo: f64, hi: f64) -> Vec<(f64, f64)> {
    let at = |t: f64| {
        let i = points.partition_point(|p| p.0 <= t);
        match (i.checked_sub(1).map(|j| points[j]), points.get(i)) {
            (Some(a), Some(b)) if b.0 > a.0 => a.1 + (b.1 - a.1) * (t - a.0) / (b.0 - a.0),
            (Some(a), _) => a.1,
            (None, b) => b.map_or(0.0, |b| b.1),
        }
    };
    let mut out = Vec::with_capacity(points.len().min(4096));
    let sampled = |t: f64| points.binary_search_by(|p| p.0.total_cmp(&t)).is_ok();
    let crosses = |t: f64| {
        points.first().is_some_and(|p| p.0 < t)
            && points.last().is_some_and(|p| p.0 > t)
            && !sampled(t)
    };
    if crosses(lo) {
        out.push((lo, at(lo)));
    }
    out.extend(points.iter().copied().filter(|p| p.0 >= lo && p.0 <= hi));
    if crosses(hi) {
        out.push((hi, at(hi)));
    }
    out
}

pub(super) fn section(heading: &str, description: String, body: String) -> Block {
    Block::Section(Section {
        heading: heading.into(),
        description,
        body,
    })
}

/// A line chart over time with y from 0.
pub(super) fn over_time(
    series: &[Series],
    marks: &[Marks],
    time: &TimeAxis,
    y_title: &str,
) -> Result<String, ReportError> {
    let ys = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .chain(marks.iter().flat_map(|m| m.points.iter().map(|p| p.1)));
    let y = Axis::linear(y_title, chart::range_from_zero(ys, 0.08)).counts();
    chart::line_chart(series, marks, &time.axis(), &y)
}
