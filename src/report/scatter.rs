//! The trade-off scatter: one marker per setting, labelled with its setting's values
//! (`5 / 20`; see `super::labels`), Pareto points filled and joined, the recommended one
//! ringed, 95 % intervals as error bars on both axes (with replications) and the
//! objectives that bound an axis as dashed lines with their text. Labels are placed so that
//! none overlaps another label, a marker or an objective's text: each tries positions
//! around its marker, nearest first, and takes the first free one (with a thin leader line
//! when it had to move away); markers within a few pixels of each other share one label
//! (`5 / 20, 10 / 20`).

use super::chart::{self, chart_err, on_axes, Axis, Swatch, FONT, PALETTE, WIDTH};
use super::ReportError;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// One point of the trade-off scatter.
pub struct ScatterPoint {
    /// Its label (the setting's values, compactly; see `super::labels`).
    pub label: String,
    /// x (mean idle IPs).
    pub x: f64,
    /// y (p99 time to running, s).
    pub y: f64,
    /// Pareto-optimal: highlighted and joined by the front line.
    pub pareto: bool,
    /// The recommended setting: ringed.
    pub recommended: bool,
    /// 95 % interval of x, drawn as a horizontal error bar when wider than nothing.
    pub x_ci: Option<(f64, f64)>,
    /// 95 % interval of y, drawn as a vertical error bar when wider than nothing.
    pub y_ci: Option<(f64, f64)>,
}

/// An objective bounding one axis: a dashed line across the plot with its text.
pub struct Guide {
    /// The objective as written (`p99_time_to_running<=60s`).
    pub text: String,
    /// A bound on x (a vertical line) rather than on y (a horizontal one).
    pub on_x: bool,
    /// Where, in axis units.
    pub at: f64,
}

/// What the scatter draws beside its points.
#[derive(Default)]
pub struct Extras {
    /// Objective lines.
    pub guides: Vec<Guide>,
    /// A legend line naming what the labels are (`labels: WARM_IP_TARGET / MINIMUM_IP_TARGET`).
    pub key: Option<String>,
}

/// Colour of the recommended setting's ring (the table's outline colour).
pub const RECOMMENDED: RGBColor = RGBColor(34, 170, 119);
/// Colour of the error bars.
pub const ERROR_BAR: RGBColor = RGBColor(90, 90, 90);
/// Colour of the objective lines and their text.
pub const OBJECTIVE: RGBColor = RGBColor(120, 60, 170);

const LABEL_FONT: u32 = 14;
const MARKER_R: i32 = 6;
const RING_R: i32 = 11;
const PLOT_H: u32 = chart::PLOT_HEIGHT + 120;

/// A label's box in pixels: `(left, top, right, bottom)`.
pub type LabelBox = (i32, i32, i32, i32);

/// A label to place: its marker's pixel position and its `(width, height)`.
pub type Anchor = ((i32, i32), (i32, i32));

/// Estimated width (px) of label text at [`LABEL_FONT`] (digits and `#` are ~0.6 em;
/// capitals and `=` up to ~0.7 em, so those count more).
pub fn label_width(text: &str) -> i32 {
    let units: i32 = text
        .chars()
        .map(|c| {
            if c.is_ascii_uppercase() || "=_<>%mwMW".contains(c) {
                72
            } else {
                62
            }
        })
        .sum();
    (units * LABEL_FONT as i32 + 99) / 100
}

fn overlaps(a: LabelBox, b: LabelBox) -> bool {
    a.0 < b.2 && b.0 < a.2 && a.1 < b.3 && b.1 < a.3
}

/// Places labels of the given sizes next to their anchors (pixel positions) within
/// `bounds`, avoiding each other and every marker (`obstacles`). Returns each label's box.
pub fn place_labels(anchors: &[Anchor], obstacles: &[LabelBox], bounds: LabelBox) -> Vec<LabelBox> {
    let mut placed: Vec<LabelBox> = Vec::with_capacity(anchors.len());
    for &((ax, ay), (w, h)) in anchors {
        let mut chosen = None;
        'search: for r in [9, 16, 26, 40, 58, 80, 110] {
            // Right, left, above, below, then the diagonals.
            let candidates = [
                (ax + r, ay - h / 2),
                (ax - r - w, ay - h / 2),
                (ax - w / 2, ay - r - h),
                (ax - w / 2, ay + r),
                (ax + r * 3 / 4, ay - r * 3 / 4 - h),
                (ax - r * 3 / 4 - w, ay - r * 3 / 4 - h),
                (ax + r * 3 / 4, ay + r * 3 / 4),
                (ax - r * 3 / 4 - w, ay + r * 3 / 4),
            ];
            for (x, y) in candidates {
                let b = (x, y, x + w, y + h);
                let inside =
                    b.0 >= bounds.0 && b.1 >= bounds.1 && b.2 <= bounds.2 && b.3 <= bounds.3;
                if inside
                    && !placed.iter().any(|&p| overlaps(p, b))
                    && !obstacles.iter().any(|&o| overlaps(o, b))
                {
                    chosen = Some(b);
                    break 'search;
                }
            }
        }
        // Nowhere free (a crowded plot): right of the marker.
        placed.push(chosen.unwrap_or((ax + 9, ay - h / 2, ax + 9 + w, ay + h - h / 2)));
    }
    placed
}

/// Draws the scatter on the given axes (see [`wants_log`](chart::wants_log)), with the
/// objective lines, the recommended ring and the 95 % error bars of `extras` and `points`.
pub fn scatter_chart(
    points: &[ScatterPoint],
    x: &Axis,
    y: &Axis,
    extras: &Extras,
) -> Result<String, ReportError> {
    let front_color = PALETTE[3];
    let other_color = PALETTE[0];
    let bars = points.iter().any(|p| wide(p.x_ci) || wide(p.y_ci));
    let mut legend = vec![
        (
            "Pareto-optimal (joined in x order)",
            Swatch::Dot(front_color, true),
        ),
        ("dominated", Swatch::Dot(other_color, false)),
    ];
    if points.iter().any(|p| p.recommended) {
        legend.push(("recommended (ringed)", Swatch::Ring(RECOMMENDED)));
    }
    if bars {
        legend.push(("95 % interval", Swatch::Line(ERROR_BAR)));
    }
    if !extras.guides.is_empty() {
        legend.push(("objective (dashed)", Swatch::Line(OBJECTIVE)));
    }
    if let Some(k) = &extras.key {
        legend.push((k.as_str(), Swatch::None));
    }
    let names: Vec<&str> = legend.iter().map(|(n, _)| *n).collect();
    let top = chart::legend_height(&names);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, top + PLOT_H)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_err)?;
        let (strip, plot) = root.split_vertically(top);
        chart::draw_legend(&strip, &legend)?;
        on_axes!(&plot, x, y, |chart| {
            let (xr, yr) = chart.plotting_area().get_pixel_range();
            let bounds = (xr.start, yr.start, xr.end, yr.end);
            // Objective lines first, under everything else; their texts are obstacles.
            let mut obstacles: Vec<LabelBox> = Vec::new();
            for g in &extras.guides {
                let (a, b) = if g.on_x {
                    ((g.at, y.range.start), (g.at, y.range.end))
                } else {
                    ((x.range.start, g.at), (x.range.end, g.at))
                };
                chart
                    .draw_series(DashedLineSeries::new(
                        [a, b],
                        7,
                        5,
                        OBJECTIVE.stroke_width(2),
                    ))
                    .map_err(chart_err)?;
                let (w, h) = (label_width(&g.text), LABEL_FONT as i32 + 2);
                let (px, py) = chart.backend_coord(if g.on_x { &a } else { &b });
                let (left, top) = if g.on_x {
                    // Beside the line, at the top of the plot (left of it near the edge).
                    let left = if px + 4 + w <= bounds.2 {
                        px + 4
                    } else {
                        px - 4 - w
                    };
                    (left, bounds.1 + 3)
                } else {
                    // Above the line, at the right end (below it near the top).
                    let top = if py - 3 - h >= bounds.1 {
                        py - 3 - h
                    } else {
                        py + 3
                    };
                    (bounds.2 - 4 - w, top)
                };
                obstacles.push((left, top, left + w, top + h));
                let font = (FONT, LABEL_FONT)
                    .into_font()
                    .color(&OBJECTIVE)
                    .pos(Pos::new(HPos::Left, VPos::Top));
                root.draw(&Text::new(g.text.clone(), (left, top + 1), font))
                    .map_err(chart_err)?;
            }
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
            // Error bars: a line across each interval with short caps.
            for p in points {
                let clamp_x = |v: f64| v.clamp(x.range.start, x.range.end);
                let clamp_y = |v: f64| v.clamp(y.range.start, y.range.end);
                let bar = |a: (f64, f64), b: (f64, f64), vertical: bool| {
                    let (pa, pb) = (chart.backend_coord(&a), chart.backend_coord(&b));
                    let mut shapes = vec![vec![pa, pb]];
                    for e in [pa, pb] {
                        shapes.push(if vertical {
                            vec![(e.0 - 4, e.1), (e.0 + 4, e.1)]
                        } else {
                            vec![(e.0, e.1 - 4), (e.0, e.1 + 4)]
                        });
                    }
                    for s in shapes {
                        root.draw(&PathElement::new(s, ERROR_BAR.stroke_width(1)))
                            .map_err(chart_err)?;
                    }
                    Ok::<(), ReportError>(())
                };
                if let Some((lo, hi)) = p.y_ci.filter(|&c| wide(Some(c))) {
                    bar((p.x, clamp_y(lo)), (p.x, clamp_y(hi)), true)?;
                }
                if let Some((lo, hi)) = p.x_ci.filter(|&c| wide(Some(c))) {
                    bar((clamp_x(lo), p.y), (clamp_x(hi), p.y), false)?;
                }
            }
            chart
                .draw_series(points.iter().map(|p| {
                    let style = if p.pareto {
                        front_color.filled()
                    } else {
                        other_color.stroke_width(2)
                    };
                    Circle::new((p.x, p.y), MARKER_R, style)
                }))
                .map_err(chart_err)?;
            chart
                .draw_series(
                    points
                        .iter()
                        .filter(|p| p.recommended)
                        .map(|p| Circle::new((p.x, p.y), RING_R, RECOMMENDED.stroke_width(3))),
                )
                .map_err(chart_err)?;
            // Labels, in pixels of the whole SVG.
            let px: Vec<(i32, i32)> = points
                .iter()
                .map(|p| chart.backend_coord(&(p.x, p.y)))
                .collect();
            let groups = group_close(&px, 4);
            let texts: Vec<String> = groups
                .iter()
                .map(|g| {
                    g.iter()
                        .map(|&i| points[i].label.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .collect();
            let anchors: Vec<Anchor> = groups
                .iter()
                .zip(&texts)
                .map(|(g, t)| (px[g[0]], (label_width(t), LABEL_FONT as i32 + 2)))
                .collect();
            obstacles.extend(points.iter().zip(&px).map(|(p, &(x, y))| {
                let r = if p.recommended { RING_R + 1 } else { MARKER_R };
                (x - r - 1, y - r - 1, x + r + 1, y + r + 1)
            }));
            let boxes = place_labels(&anchors, &obstacles, bounds);
            for ((g, text), b) in groups.iter().zip(&texts).zip(&boxes) {
                let (ax, ay) = px[g[0]];
                let color = if points[g[0]].pareto {
                    front_color
                } else {
                    other_color
                };
                let (cx, cy) = ((b.0 + b.2) / 2, (b.1 + b.3) / 2);
                if (cx - ax).abs() > 30 + (b.2 - b.0) / 2 || (cy - ay).abs() > 24 {
                    let end = (cx.clamp(b.0, b.2), if cy > ay { b.1 } else { b.3 });
                    root.draw(&PathElement::new(
                        vec![(ax, ay), end],
                        RGBColor(150, 150, 150).stroke_width(1),
                    ))
                    .map_err(chart_err)?;
                }
                let font = (FONT, LABEL_FONT)
                    .into_font()
                    .color(&color)
                    .pos(Pos::new(HPos::Left, VPos::Top));
                root.draw(&Text::new(text.clone(), (b.0, b.1 + 1), font))
                    .map_err(chart_err)?;
            }
        });
        root.present().map_err(chart_err)?;
    }
    Ok(svg)
}

/// An interval wider than nothing.
fn wide(ci: Option<(f64, f64)>) -> bool {
    ci.is_some_and(|(lo, hi)| hi > lo)
}

/// Groups point indices whose pixels are within `d` of the group's first point, in input
/// order.
fn group_close(px: &[(i32, i32)], d: i32) -> Vec<Vec<usize>> {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (i, &(x, y)) in px.iter().enumerate() {
        match groups.iter_mut().find(|g| {
            let (gx, gy) = px[g[0]];
            (gx - x).abs() <= d && (gy - y).abs() <= d
        }) {
            Some(g) => g.push(i),
            None => groups.push(vec![i]),
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crowded_labels_do_not_overlap() {
        // Ten markers on a tight diagonal.
        let anchors: Vec<_> = (0..10)
            .map(|i| ((100 + 5 * i, 100 + 5 * i), (30, 16)))
            .collect();
        let obstacles: Vec<LabelBox> = anchors
            .iter()
            .map(|&((x, y), _)| (x - 7, y - 7, x + 7, y + 7))
            .collect();
        let boxes = place_labels(&anchors, &obstacles, (0, 0, 800, 400));
        for (i, a) in boxes.iter().enumerate() {
            for b in &boxes[i + 1..] {
                assert!(!overlaps(*a, *b), "{a:?} {b:?}");
            }
            assert!(!obstacles.iter().any(|o| overlaps(*a, *o)), "{a:?}");
        }
    }

    #[test]
    fn close_points_share_a_label() {
        let g = group_close(&[(10, 10), (12, 13), (40, 10)], 4);
        assert_eq!(g, [vec![0, 1], vec![2]]);
    }
}
