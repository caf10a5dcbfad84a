//! The run report's time axes zoomed to when pods waited, the whole run one click away.
//!
//! The window runs from the earliest start to the latest end of `waits.csv`'s intervals,
//! widened on each side by [`MARGIN`] of its span (at least [`MIN_MARGIN_S`]) and cut to
//! the run, `[0, end]`. Each chart over time is drawn twice: over the window, shown, and
//! over the whole run inside a `<details>` element ("whole run"), which the reader opens
//! with one click; no script. Without a wait, or when the window covers at least
//! [`WHOLE`] of the run, the charts show the whole run only.

use super::chart::tick;
use super::html::{Block, Section};
use super::view::TimeAxis;

/// The margin on each side of the wait window, as a fraction of its span.
pub const MARGIN: f64 = 0.05;
/// The least margin (s), so that a short or zero-length window still has room.
pub const MIN_MARGIN_S: f64 = 1.0;
/// A window covering at least this fraction of the run is not worth zooming to.
pub const WHOLE: f64 = 0.9;

/// The zoomed view `(lo_s, hi_s)` for waits spanning `span_ms` in a run ending at `end_s`,
/// or `None` when the whole run is to be shown.
pub fn wait_window(span_ms: Option<(u64, u64)>, end_s: f64) -> Option<(f64, f64)> {
    let (a, b) = span_ms?;
    let (a, b) = (a as f64 / 1000.0, b as f64 / 1000.0);
    let margin = (MARGIN * (b - a)).max(MIN_MARGIN_S);
    let end = if end_s.is_finite() && end_s > 0.0 {
        end_s
    } else {
        b + margin
    };
    let (lo, hi) = ((a - margin).max(0.0), (b + margin).min(end));
    (hi > lo && hi - lo < WHOLE * end).then_some((lo, hi))
}

/// `lo–hi unit` of a view, in its own unit.
pub fn span_text(t: &TimeAxis) -> String {
    let unit = match t.div {
        d if d >= 3600.0 => "h",
        d if d >= 60.0 => "min",
        _ => "s",
    };
    format!(
        "{}\u{2013}{} {unit}",
        tick(&(t.lo_s / t.div)),
        tick(&(t.hi_s / t.div))
    )
}

/// The zoomed chart `zoomed` with the whole run's `full` under a "whole run" disclosure.
pub fn with_full(zoomed: String, full: &str, whole: &TimeAxis) -> String {
    format!(
        "{zoomed}<details class=\"full\"><summary>whole run ({})</summary>\n{full}</details>\n",
        span_text(whole)
    )
}

/// The blocks drawn over the zoomed view, each section's chart followed by the same chart
/// over the whole run (`full`: the same blocks, drawn over the whole run).
pub fn merge(zoomed: Vec<Block>, full: Vec<Block>, whole: &TimeAxis) -> Vec<Block> {
    let mut full = full.into_iter();
    zoomed
        .into_iter()
        .map(|z| match (z, full.next()) {
            (Block::Section(s), Some(Block::Section(f))) => Block::Section(Section {
                body: with_full(s.body, &f.body, whole),
                ..s
            }),
            (z, _) => z,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_with_margins_cut_to_the_run() {
        // 20–40 s: a 1 s margin (5 % of 20 s) each side.
        assert_eq!(
            wait_window(Some((20_000, 40_000)), 100.0),
            Some((19.0, 41.0))
        );
        // 100–300 s of 1000: 10 s each side.
        assert_eq!(
            wait_window(Some((100_000, 300_000)), 1000.0),
            Some((90.0, 310.0))
        );
        // Zero length: the least margin.
        assert_eq!(wait_window(Some((5_000, 5_000)), 100.0), Some((4.0, 6.0)));
        // From the start: cut at 0.
        assert_eq!(wait_window(Some((0, 10_000)), 100.0), Some((0.0, 11.0)));
        // Nearly the whole run, or nothing waited: no zoom.
        assert_eq!(wait_window(Some((0, 9_500)), 10.0), None);
        assert_eq!(wait_window(None, 10.0), None);
    }
}
