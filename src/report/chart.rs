//! SVG charts drawn with plotters' SVG backend into a `String`.
//!
//! Layout: a legend strip at the top (coloured swatch + name per series, wrapped to fit),
//! the plot below with labelled axes. Legend swatches are rectangles, so the only
//! `<polyline>`s with more than two points are data series and the only `<circle>`s are
//! scatter markers.

use super::ReportError;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Chart width and plot height (px); the SVG scales down with the page.
pub const WIDTH: u32 = 900;
const PLOT_HEIGHT: u32 = 320;
const LEGEND_ROW: u32 = 22;
const FONT: &str = "sans-serif";

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
    /// `(x, y)` points in x order, already downsampled.
    pub points: Vec<(f64, f64)>,
}

/// One point of the trade-off scatter.
pub struct ScatterPoint {
    /// Text drawn next to the marker.
    pub label: String,
    /// x (mean idle IPs).
    pub x: f64,
    /// y (p99 time to IP, s).
    pub y: f64,
    /// Pareto-optimal: highlighted and joined by the front line.
    pub pareto: bool,
}

fn chart_err<E: std::error::Error>(e: E) -> ReportError {
    ReportError::Chart(e.to_string())
}

/// Axis tick text: integers without decimals, others with up to two.
fn tick(v: &f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// `lo..hi` covering the values with some headroom; never empty.
fn range(values: impl Iterator<Item = f64>, headroom: f64) -> std::ops::Range<f64> {
    let (lo, hi) = values.fold((0.0f64, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let hi = if hi > lo {
        hi + (hi - lo) * headroom
    } else {
        lo + 1.0
    };
    lo..hi
}

/// Rough text width (px) at the legend font size, for laying the legend out.
fn text_width(s: &str) -> u32 {
    (s.chars().count() as u32) * 7
}

/// Legend rows: each item's (row, x offset), given the strip width.
fn legend_layout(names: &[&str]) -> (Vec<(u32, u32)>, u32) {
    let mut pos = Vec::with_capacity(names.len());
    let (mut row, mut x) = (0, 70);
    for n in names {
        let w = 22 + text_width(n) + 24;
        if x + w > WIDTH - 10 && x > 70 {
            row += 1;
            x = 70;
        }
        pos.push((row, x));
        x += w;
    }
    (pos, row + 1)
}

/// Legend swatch: a filled rectangle, or a marker for scatter entries.
enum Swatch {
    Line(RGBColor),
    Dot(RGBColor, bool),
}

fn draw_legend<DB: DrawingBackend>(
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
            Swatch::Dot(c, filled) => {
                let style = if *filled {
                    c.filled()
                } else {
                    c.stroke_width(2)
                };
                area.draw(&Rectangle::new([(x + 3, y + 3), (x + 13, y + 13)], style))
            }
        }
        .map_err(chart_err)?;
        let font = (FONT, 16).into_font().color(&BLACK);
        area.draw(&Text::new(name.to_string(), (x + 22, y), font))
            .map_err(chart_err)?;
    }
    Ok(())
}

/// Height (px) of the legend strip for these series names.
fn legend_height(names: &[&str]) -> u32 {
    let (_, rows) = legend_layout(names);
    10 + rows * LEGEND_ROW
}

/// Draws a line chart: x from 0 (or the smallest x) to the largest x, y from 0 with 8 %
/// headroom. `x_desc`/`y_desc` are the axis titles, units included.
pub fn line_chart(series: &[Series], x_desc: &str, y_desc: &str) -> Result<String, ReportError> {
    let names: Vec<&str> = series.iter().map(|s| s.name.as_str()).collect();
    let top = legend_height(&names);
    let mut svg = String::new();
    {
        let root =
            SVGBackend::with_string(&mut svg, (WIDTH, top + PLOT_HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_err)?;
        let (legend, plot) = root.split_vertically(top);
        let items: Vec<(&str, Swatch)> = series
            .iter()
            .map(|s| (s.name.as_str(), Swatch::Line(s.color)))
            .collect();
        draw_legend(&legend, &items)?;
        let all = || series.iter().flat_map(|s| s.points.iter());
        let xs = range(all().map(|p| p.0), 0.0);
        let ys = range(all().map(|p| p.1), 0.08);
        let mut chart = plot_area(&plot, xs, ys)?;
        mesh(&mut chart, x_desc, y_desc)?;
        for s in series {
            chart
                .draw_series(LineSeries::new(
                    s.points.iter().copied(),
                    s.color.stroke_width(2),
                ))
                .map_err(chart_err)?;
        }
        root.present().map_err(chart_err)?;
    }
    Ok(svg)
}

type Chart<'a, 'b> = ChartContext<
    'a,
    SVGBackend<'b>,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

/// The plotting area every chart uses: the same margins and label sizes, so charts line up.
fn plot_area<'a, 'b>(
    plot: &'a DrawingArea<SVGBackend<'b>, Shift>,
    xs: std::ops::Range<f64>,
    ys: std::ops::Range<f64>,
) -> Result<Chart<'a, 'b>, ReportError> {
    ChartBuilder::on(plot)
        .margin_right(25)
        .margin_bottom(8)
        .x_label_area_size(48)
        .y_label_area_size(72)
        .build_cartesian_2d(xs, ys)
        .map_err(chart_err)
}

fn mesh(chart: &mut Chart<'_, '_>, x_desc: &str, y_desc: &str) -> Result<(), ReportError> {
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .x_labels(12)
        .y_labels(8)
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
        .label_style((FONT, 15))
        .axis_desc_style((FONT, 17))
        .bold_line_style(RGBColor(220, 220, 220))
        .light_line_style(RGBColor(243, 243, 243))
        .draw()
        .map_err(chart_err)
}

/// Draws the trade-off scatter: one labelled marker per point, Pareto points filled and
/// joined by a line in x order, the others hollow.
pub fn scatter_chart(
    points: &[ScatterPoint],
    x_desc: &str,
    y_desc: &str,
) -> Result<String, ReportError> {
    let front_color = PALETTE[3];
    let other_color = PALETTE[0];
    let items = [
        (
            "Pareto-optimal (joined in x order)",
            Swatch::Dot(front_color, true),
        ),
        ("dominated", Swatch::Dot(other_color, false)),
    ];
    let names: Vec<&str> = items.iter().map(|(n, _)| *n).collect();
    let top = legend_height(&names);
    let mut svg = String::new();
    {
        let root =
            SVGBackend::with_string(&mut svg, (WIDTH, top + PLOT_HEIGHT + 60)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_err)?;
        let (legend, plot) = root.split_vertically(top);
        draw_legend(&legend, &items)?;
        let xs = range(points.iter().map(|p| p.x), 0.12);
        let ys = range(points.iter().map(|p| p.y), 0.12);
        let x_mid = (xs.start + xs.end) / 2.0;
        let mut chart = plot_area(&plot, xs, ys)?;
        mesh(&mut chart, x_desc, y_desc)?;
        let mut front: Vec<(f64, f64)> = points
            .iter()
            .filter(|p| p.pareto)
            .map(|p| (p.x, p.y))
            .collect();
        front.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
        if front.len() > 1 {
            chart
                .draw_series(LineSeries::new(front, front_color.mix(0.6).stroke_width(2)))
                .map_err(chart_err)?;
        }
        chart
            .draw_series(points.iter().map(|p| {
                let (color, style) = if p.pareto {
                    (front_color, front_color.filled())
                } else {
                    (other_color, other_color.stroke_width(2))
                };
                let (dx, h) = if p.x > x_mid {
                    (-9, HPos::Right)
                } else {
                    (9, HPos::Left)
                };
                let font = (FONT, 15)
                    .into_font()
                    .color(&color)
                    .pos(Pos::new(h, VPos::Bottom));
                EmptyElement::at((p.x, p.y))
                    + Circle::new((0, 0), 6, style)
                    + Text::new(p.label.clone(), (dx, -6), font)
            }))
            .map_err(chart_err)?;
        root.present().map_err(chart_err)?;
    }
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
    }

    #[test]
    fn legend_wraps() {
        let long = ["a very long series name"; 8];
        let (pos, rows) = legend_layout(&long);
        assert!(rows > 1);
        assert!(pos.iter().all(|&(_, x)| x < WIDTH));
    }
}
