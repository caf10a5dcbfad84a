//! SVG charts drawn with plotters' SVG backend into a `String`: line charts (linear or log
//! axes, with optional event marks) and stacked areas over time.
//!
//! Layout: a legend strip at the top (coloured swatch + name per entry, wrapped to fit),
//! the plot below with labelled axes. Legend swatches are rectangles (but for the
//! scatter's ring), so the only `<polyline>`s with more than two points are data series,
//! the only `<circle>`s scatter markers (and that ring) and the only `<polygon>`s stacked
//! areas or event marks.

use super::ReportError;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::ops::Range;

/// Chart width and plot height (px); the SVG scales down with the page.
pub const WIDTH: u32 = 900;
/// Height of the plot below the legend (px).
pub const PLOT_HEIGHT: u32 = 320;
const LEGEND_ROW: u32 = 22;
/// The font family of every text.
pub const FONT: &str = "sans-serif";

/// Colours for series, in order (matplotlib's tab10).
pub const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// One line of a line chart.
pub struct Series {
    /// Legend text.
    pub name: String,
    /// Line colour.
    pub color: RGBColor,
    /// `(x, y)` points in x order, already thinned.
    pub points: Vec<(f64, f64)>,
    /// Stroke width (px).
    pub width: u32,
}

impl Series {
    /// A 2 px line.
    pub fn new(name: &str, color: RGBColor, points: Vec<(f64, f64)>) -> Series {
        Series {
            name: name.to_string(),
            color,
            points,
            width: 2,
        }
    }
}

/// Events drawn as small triangles at `(x, y)`.
pub struct Marks {
    /// Legend text.
    pub name: String,
    /// Colour.
    pub color: RGBColor,
    /// Where.
    pub points: Vec<(f64, f64)>,
}

/// One axis: its title (units included), its range and whether it is logarithmic.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    /// Title.
    pub title: String,
    /// Shown range (`start > 0` for a log axis).
    pub range: Range<f64>,
    /// Log scale.
    pub log: bool,
    /// Counts: ticks only at whole numbers.
    pub integers: bool,
}

impl Axis {
    /// A linear axis.
    pub fn linear(title: &str, range: Range<f64>) -> Axis {
        Axis {
            title: title.to_string(),
            range,
            log: false,
            integers: false,
        }
    }

    /// The same axis with ticks at whole numbers only.
    pub fn counts(self) -> Axis {
        Axis {
            integers: true,
            ..self
        }
    }

    /// A log axis over whole decades covering `lo..hi` (both > 0).
    pub fn log(title: &str, lo: f64, hi: f64) -> Axis {
        let a = 10f64.powf(lo.log10().floor());
        let mut b = 10f64.powf(hi.log10().ceil());
        if b <= a {
            b = a * 10.0;
        }
        Axis {
            title: format!("{title}, log scale"),
            range: a..b,
            log: true,
            integers: false,
        }
    }
}

/// A log scale suits values spanning more than this factor.
pub const LOG_SPAN: f64 = 50.0;

/// Whether `values` call for a log axis: all positive and the largest more than
/// [`LOG_SPAN`] times the smallest.
pub fn wants_log(values: &[f64]) -> bool {
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(0.0, f64::max);
    lo > 0.0 && hi > LOG_SPAN * lo
}

/// `lo..hi` covering the values from 0 (or below, for negatives) with some headroom;
/// never empty.
pub fn range_from_zero(values: impl Iterator<Item = f64>, headroom: f64) -> Range<f64> {
    let (lo, hi) = values.fold((0.0f64, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if hi > lo {
        lo..hi + (hi - lo) * headroom
    } else {
        lo..lo + 1.0
    }
}

pub(super) fn chart_err<E: std::error::Error>(e: E) -> ReportError {
    ReportError::Chart(e.to_string())
}

/// Axis tick text: integers without decimals, others with up to two.
pub fn tick(v: &f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// Tick text on a count axis: whole numbers only (others are left blank).
pub fn tick_count(v: &f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        String::new()
    }
}

/// A log axis's ticks over `range` (whole decades): labelled ones (1, 2 and 5 per decade
/// up to three decades, 1 beyond) and grid-only ones (1 to 9 per decade).
pub fn log_ticks(range: &Range<f64>) -> (Vec<f64>, Vec<f64>) {
    let (a, b) = (
        range.start.log10().round() as i32,
        range.end.log10().round() as i32,
    );
    let steps: &[f64] = if b - a <= 3 { &[1.0, 2.0, 5.0] } else { &[1.0] };
    let (mut bold, mut light) = (Vec::new(), Vec::new());
    for e in a..=b {
        let p = 10f64.powi(e);
        for m in 1..=9 {
            let v = m as f64 * p;
            if v > range.end * (1.0 + 1e-9) {
                break;
            }
            light.push(v);
            if steps.contains(&(m as f64)) {
                bold.push(v);
            }
        }
    }
    (bold, light)
}

/// Log-axis tick text: as many decimals as the value's magnitude needs (0.001, 0.02, 5, 300).
pub fn tick_log(v: &f64) -> String {
    if *v <= 0.0 {
        return "0".into();
    }
    let decimals = (-v.log10().floor()).max(0.0) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Rough text width (px) at the legend font size, for laying the legend out.
fn text_width(s: &str) -> u32 {
    (s.chars().count() as u32) * 8
}

/// Legend rows: each item's (row, x offset), given the strip width.
fn legend_layout(names: &[&str]) -> (Vec<(u32, u32)>, u32) {
    let mut pos = Vec::with_capacity(names.len());
    let (mut row, mut x) = (0, 70);
    for n in names {
        let w = 22 + text_width(n) + 20;
        if x + w > WIDTH - 10 && x > 70 {
            row += 1;
            x = 70;
        }
        pos.push((row, x));
        x += w;
    }
    (pos, row + 1)
}

/// Legend swatch: a bar for lines, a block for areas, a marker for points.
pub enum Swatch {
    /// A line series.
    Line(RGBColor),
    /// A filled area or bar.
    Area(RGBColor),
    /// A scatter point, filled or hollow.
    Dot(RGBColor, bool),
    /// An event mark.
    Mark(RGBColor),
    /// A ring around a scatter marker (the recommended setting).
    Ring(RGBColor),
    /// No swatch: a line of text (what the point labels are).
    None,
}

/// Draws the legend strip.
pub fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    items: &[(&str, Swatch)],
) -> Result<(), ReportError>
where
    DB::ErrorType: 'static,
{
    let names: Vec<&str> = items.iter().map(|(n, _)| *n).collect();
    let (pos, _) = legend_layout(&names);
    for ((name, swatch), (row, x)) in items.iter().zip(pos) {
        let (x, y) = (x as i32, (8 + row * LEGEND_ROW) as i32);
        match swatch {
            Swatch::Line(c) => {
                area.draw(&Rectangle::new([(x, y + 6), (x + 16, y + 10)], c.filled()))
            }
            Swatch::Area(c) => {
                area.draw(&Rectangle::new([(x, y + 1), (x + 16, y + 15)], c.filled()))
            }
            Swatch::Dot(c, filled) => {
                let style = if *filled {
                    c.filled()
                } else {
                    c.stroke_width(2)
                };
                area.draw(&Rectangle::new([(x + 3, y + 3), (x + 13, y + 13)], style))
            }
            Swatch::Mark(c) => area.draw(&TriangleMarker::new((x + 8, y + 9), 6, c.filled())),
            Swatch::Ring(c) => area.draw(&Circle::new((x + 8, y + 8), 6, c.stroke_width(3))),
            Swatch::None => Ok(()),
        }
        .map_err(chart_err)?;
        let font = (FONT, 16).into_font().color(&BLACK);
        area.draw(&Text::new(name.to_string(), (x + 22, y), font))
            .map_err(chart_err)?;
    }
    Ok(())
}

/// Height (px) of the legend strip for these names.
pub fn legend_height(names: &[&str]) -> u32 {
    let (_, rows) = legend_layout(names);
    10 + rows * LEGEND_ROW
}

/// Builds the chart on `$area` with axes `$x`, `$y` (linear or log each) and runs `$body`
/// with the chart bound to `$c`; the body is compiled once per coordinate combination.
macro_rules! on_axes {
    ($area:expr, $x:expr, $y:expr, |$c:ident| $body:block) => {{
        let mut builder = ChartBuilder::on($area);
        builder
            .margin_right(25)
            .margin_top(6)
            .margin_bottom(8)
            .x_label_area_size(48)
            .y_label_area_size(78);
        let (xr, yr) = ($x.range.clone(), $y.range.clone());
        let log = |r: std::ops::Range<f64>| {
            let (bold, light) = $crate::report::chart::log_ticks(&r);
            r.log_scale().with_key_points(bold).with_light_points(light)
        };
        match ($x.log, $y.log) {
            (false, false) => {
                let mut $c = builder.build_cartesian_2d(xr, yr).map_err(chart_err)?;
                $crate::report::chart::mesh(&mut $c, $x, $y)?;
                $body
            }
            (true, false) => {
                let mut $c = builder.build_cartesian_2d(log(xr), yr).map_err(chart_err)?;
                $crate::report::chart::mesh(&mut $c, $x, $y)?;
                $body
            }
            (false, true) => {
                let mut $c = builder.build_cartesian_2d(xr, log(yr)).map_err(chart_err)?;
                $crate::report::chart::mesh(&mut $c, $x, $y)?;
                $body
            }
            (true, true) => {
                let mut $c = builder
                    .build_cartesian_2d(log(xr), log(yr))
                    .map_err(chart_err)?;
                $crate::report::chart::mesh(&mut $c, $x, $y)?;
                $body
            }
        }
    }};
}
pub(super) use on_axes;

/// Grid, ticks and axis titles, the same on every chart.
pub fn mesh<X, Y>(
    chart: &mut ChartContext<'_, SVGBackend<'_>, Cartesian2d<X, Y>>,
    x: &Axis,
    y: &Axis,
) -> Result<(), ReportError>
where
    X: Ranged<ValueType = f64> + plotters::coord::ranged1d::ValueFormatter<f64>,
    Y: Ranged<ValueType = f64> + plotters::coord::ranged1d::ValueFormatter<f64>,
{
    let f = |a: &Axis| -> fn(&f64) -> String {
        match (a.log, a.integers) {
            (true, _) => tick_log,
            (false, true) => tick_count,
            (false, false) => tick,
        }
    };
    let (xf, yf) = (f(x), f(y));
    chart
        .configure_mesh()
        .x_desc(x.title.as_str())
        .y_desc(y.title.as_str())
        .x_labels(if x.log { 20 } else { 12 })
        .y_labels(if y.log { 12 } else { 8 })
        .x_label_formatter(&xf)
        .y_label_formatter(&yf)
        .label_style((FONT, 15))
        .axis_desc_style((FONT, 17))
        .bold_line_style(RGBColor(220, 220, 220))
        .light_line_style(RGBColor(243, 243, 243))
        .draw()
        .map_err(chart_err)
}

/// A canvas: the SVG text, its legend strip and its plot area.
fn canvas(
    svg: &mut String,
    legend: &[(&str, Swatch)],
    plot_height: u32,
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<(), ReportError>,
) -> Result<(), ReportError> {
    let names: Vec<&str> = legend.iter().map(|(n, _)| *n).collect();
    let top = legend_height(&names);
    let root = SVGBackend::with_string(svg, (WIDTH, top + plot_height)).into_drawing_area();
    root.fill(&WHITE).map_err(chart_err)?;
    let (strip, plot) = root.split_vertically(top);
    draw_legend(&strip, legend)?;
    draw(&plot)?;
    root.present().map_err(chart_err)
}

/// A line chart with optional event marks on the given axes.
pub fn line_chart(
    series: &[Series],
    marks: &[Marks],
    x: &Axis,
    y: &Axis,
) -> Result<String, ReportError> {
    let mut legend: Vec<(&str, Swatch)> = series
        .iter()
        .map(|s| (s.name.as_str(), Swatch::Line(s.color)))
        .collect();
    legend.extend(
        marks
            .iter()
            .map(|m| (m.name.as_str(), Swatch::Mark(m.color))),
    );
    let mut svg = String::new();
    canvas(&mut svg, &legend, PLOT_HEIGHT, |plot| {
        on_axes!(plot, x, y, |chart| {
            for s in series {
                chart
                    .draw_series(LineSeries::new(
                        s.points.iter().copied(),
                        s.color.stroke_width(s.width),
                    ))
                    .map_err(chart_err)?;
            }
            for m in marks {
                chart
                    .draw_series(
                        m.points
                            .iter()
                            .map(|&p| TriangleMarker::new(p, 6, m.color.filled())),
                    )
                    .map_err(chart_err)?;
            }
        });
        Ok(())
    })?;
    Ok(svg)
}

/// One layer of a stacked area chart.
pub struct Layer {
    /// Legend text.
    pub name: String,
    /// Fill colour.
    pub color: RGBColor,
    /// Height per bucket (same length in every layer).
    pub values: Vec<f64>,
}

/// Stacked areas over equal buckets `[start + i·width, start + (i+1)·width)` (the last one
/// ending at `end`), drawn as steps, the first layer at the bottom.
pub fn stacked_chart(
    layers: &[Layer],
    (start, width, end): (f64, f64, f64),
    x_title: &str,
    y_title: &str,
) -> Result<String, ReportError> {
    let n = layers.first().map_or(0, |l| l.values.len());
    let edges: Vec<f64> = (0..=n)
        .map(|i| (start + i as f64 * width).min(end))
        .collect();
    let mut below = vec![0.0; n];
    let mut shapes = Vec::new();
    for l in layers {
        let above: Vec<f64> = below.iter().zip(&l.values).map(|(b, v)| b + v).collect();
        let mut pts = Vec::with_capacity(4 * n);
        for (i, &h) in above.iter().enumerate() {
            pts.push((edges[i], h));
            pts.push((edges[i + 1], h));
        }
        for (i, &h) in below.iter().enumerate().rev() {
            pts.push((edges[i + 1], h));
            pts.push((edges[i], h));
        }
        shapes.push((pts, l.color));
        below = above;
    }
    let legend: Vec<(&str, Swatch)> = layers
        .iter()
        .map(|l| (l.name.as_str(), Swatch::Area(l.color)))
        .collect();
    let x = Axis::linear(x_title, start..if end > start { end } else { start + 1.0 });
    let y = Axis::linear(y_title, range_from_zero(below.iter().copied(), 0.08)).counts();
    let mut svg = String::new();
    canvas(&mut svg, &legend, PLOT_HEIGHT, |plot| {
        on_axes!(plot, &x, &y, |chart| {
            for (pts, color) in shapes {
                chart
                    .draw_series(std::iter::once(Polygon::new(pts, color.mix(0.85).filled())))
                    .map_err(chart_err)?;
            }
        });
        Ok(())
    })?;
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_short() {
        assert_eq!(tick(&120.0), "120");
        assert_eq!(tick(&2.5), "2.5");
        assert_eq!(tick(&0.126), "0.13");
        assert_eq!(tick_log(&0.001), "0.001");
        assert_eq!(tick_log(&0.02), "0.02");
        assert_eq!(tick_log(&300.0), "300");
    }

    #[test]
    fn legend_wraps() {
        let long = ["a very long series name"; 8];
        let (pos, rows) = legend_layout(&long);
        assert!(rows > 1);
        assert!(pos.iter().all(|&(_, x)| x < WIDTH));
    }

    #[test]
    fn log_only_past_fifty_times() {
        assert!(wants_log(&[1.0, 51.0]));
        assert!(!wants_log(&[1.0, 50.0]));
        assert!(!wants_log(&[0.0, 1000.0]));
        let a = Axis::log("t (s)", 0.3, 250.0);
        assert_eq!(a.range, 0.1..1000.0);
        let (bold, light) = log_ticks(&a.range);
        assert_eq!(bold, [0.1, 1.0, 10.0, 100.0, 1000.0]);
        assert_eq!(light.len(), 9 * 4 + 1);
    }
}
