//! The HTML report from synthetic run and compare directories: well-formed, the expected
//! charts, one drawn point per sample or setting, and the error cases.
use ipamsim::report::{write_report, ReportError, MAX_POINTS_PER_SERIES};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

const TIMELINE_HEADER: &str = "time_s,nodes,pods_total,pods_running,pods_unschedulable,\
pods_waiting_ip,enis,ips_total,ips_assigned,ips_cooldown,ips_available,prefixes,\
subnet_free_ips,ec2_calls,ec2_throttled";

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ipamsim-report-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// `n` samples, 1 s apart: pods_running = i (rising), pods_waiting_ip peaks at 4 in the
/// middle, ENIs 3 then 4, prefixes all `prefixes`, ec2_calls = 2i; an extra column at the end
/// that the report must ignore.
fn timeline(n: usize, prefixes: u32) -> String {
    let mut s = format!("{TIMELINE_HEADER},extra_column\n");
    for i in 0..n {
        let waiting = if i == n / 2 { 4 } else { 0 };
        let enis = if i < n / 2 { 3 } else { 4 };
        writeln!(
            s,
            "{i}.000,3,{},{i},0,{waiting},{enis},{},{i},0,{},{prefixes},{},{},0,x",
            i + waiting,
            15 + i,
            15,
            1000usize.saturating_sub(i),
            2 * i
        )
        .unwrap();
    }
    s
}

/// Two subnets sampled `n` times each, rows interleaved by time.
fn subnets(n: usize) -> String {
    let mut s = String::from("time_s,subnet,free_ips,free_prefix_blocks\n");
    for i in 0..n {
        writeln!(s, "{i}.000,private-a,{},10", 500 - i).unwrap();
        writeln!(s, "{i}.000,private-b,{},12", 500).unwrap();
    }
    s
}

/// Six settings: three on the Pareto front (rows 1, 2, 4), one with no p99 (row 6, not
/// plotted), one with markup characters in its label (row 5).
const COMPARISON: &str =
    "setting,time_to_ip_p50_s,time_to_running_p99_s,idle_ips_mean,ec2_calls_total,pareto
WARM_ENI_TARGET=1,10.1,35.7,98.4,201,1
WARM_IP_TARGET=3 MINIMUM_IP_TARGET=10,10.6,64.1,55.5,302,1
WARM_IP_TARGET=5,10.2,70.0,80.0,250,0
WARM_IP_TARGET=1,12.0,90.0,20.0,400,1
A=<b>&amp;,11.0,95.0,99.0,100,0
WARM_IP_TARGET=0,,,10.0,50,0
";

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

fn report(dir: &Path) -> String {
    let path = write_report(dir).unwrap();
    assert_eq!(path, dir.join("report.html"));
    assert!(!dir.join("report.html.tmp").exists());
    std::fs::read_to_string(path).unwrap()
}

/// Checks the document is well-formed: every tag closed in order (void elements written as
/// `<x/>`), attribute values quoted, `&` only in entities, one `<html>` root.
fn check_well_formed(doc: &str) -> Result<(), String> {
    let body = doc.strip_prefix("<!DOCTYPE html>\n").ok_or("no doctype")?;
    let mut stack: Vec<&str> = Vec::new();
    let mut roots = 0;
    let mut rest = body;
    while let Some(open) = rest.find('<') {
        check_text(&rest[..open])?;
        let close = rest[open..].find('>').ok_or("unterminated tag")? + open;
        let tag = &rest[open + 1..close];
        if tag.matches('"').count() % 2 != 0 {
            return Err(format!("unbalanced quotes in <{tag}>"));
        }
        if let Some(name) = tag.strip_prefix('/') {
            let top = stack.pop().ok_or(format!("</{name}> without opening"))?;
            if top != name.trim() {
                return Err(format!("<{top}> closed by </{name}>"));
            }
        } else {
            let name = tag.split_whitespace().next().ok_or("empty tag")?;
            let name = name.trim_end_matches('/');
            if stack.is_empty() {
                roots += 1;
            }
            if !tag.ends_with('/') {
                stack.push(name);
            }
        }
        rest = &rest[close + 1..];
    }
    check_text(rest)?;
    match (stack.is_empty(), roots) {
        (true, 1) => Ok(()),
        _ => Err(format!("unclosed {stack:?} or {roots} roots")),
    }
}

fn check_text(text: &str) -> Result<(), String> {
    for (i, _) in text.match_indices('&') {
        let entity = &text[i..text[i..].find(';').map_or(text.len(), |e| i + e + 1)];
        let ok = ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#39;"].contains(&entity);
        if !ok {
            return Err(format!("bare & in {text:?}"));
        }
    }
    if text.contains('>') {
        return Err(format!("bare > in {text:?}"));
    }
    Ok(())
}

/// The inline SVG documents, in page order.
fn svgs(doc: &str) -> Vec<&str> {
    doc.match_indices("<svg")
        .map(|(i, _)| &doc[i..i + doc[i..].find("</svg>").unwrap()])
        .collect()
}

/// Point lists of the data polylines (axes are 2-point polylines, grid lines are <line>).
fn data_lines(svg: &str) -> Vec<Vec<(f64, f64)>> {
    svg.split("<polyline")
        .skip(1)
        .map(|p| {
            let start = p.find("points=\"").unwrap() + 8;
            let end = start + p[start..].find('"').unwrap();
            p[start..end]
                .split_whitespace()
                .map(|xy| {
                    let (x, y) = xy.split_once(',').unwrap();
                    (x.parse().unwrap(), y.parse().unwrap())
                })
                .collect::<Vec<_>>()
        })
        .filter(|pts| pts.len() > 2)
        .collect()
}

fn lengths(svg: &str) -> Vec<usize> {
    data_lines(svg).iter().map(Vec::len).collect()
}

#[test]
fn run_directory_gives_five_charts_with_a_point_per_sample() {
    let dir = tmp("run");
    write(&dir, "timeline.csv", &timeline(7, 0));
    write(&dir, "subnets.csv", &subnets(7));
    let doc = report(&dir);
    check_well_formed(&doc).unwrap();
    let charts = svgs(&doc);
    // pods, IPs, ENIs, subnets, EC2
    assert_eq!(charts.len(), 5);
    // 3 pod series, 4 IP series, ENIs only (prefixes all 0), 2 subnets, calls + throttled;
    // each with one point per sample (7).
    assert_eq!(lengths(charts[0]), [7, 7, 7]);
    assert_eq!(lengths(charts[1]), [7, 7, 7, 7]);
    assert_eq!(lengths(charts[2]), [7]);
    assert_eq!(lengths(charts[3]), [7, 7]);
    assert_eq!(lengths(charts[4]), [7, 7]);
    // pods_running = 0..6 rises, so its pixel y falls at every sample (SVG y points down);
    // pods_unschedulable is always 0: one flat line.
    let pods = data_lines(charts[0]);
    assert!(pods[0]
        .windows(2)
        .all(|w| w[1].1 < w[0].1 && w[1].0 > w[0].0));
    assert!(pods[2].windows(2).all(|w| w[1].1 == w[0].1));
    // Legend names the subnets from subnets.csv.
    assert!(charts[3].contains("private-a") && charts[3].contains("private-b"));
    // Summary: 7 samples over 6 s; waiting peaks at 4; ENIs end at 4; calls 2*6 = 12.
    assert!(doc.contains("7 samples over 6 s simulated"), "{doc}");
    assert!(doc.contains("Peaks over the samples: 4 pods waiting for an IP"));
    assert!(doc.contains("4 ENIs, 21 IPs held, 12 EC2 calls"));
    assert!(doc.contains("<title>ipamsim report: ipamsim-report-"));
    // Self-contained: no scripts, links or external resources.
    for bad in ["<script", "href=", "src=", "url("] {
        assert!(!doc.contains(bad), "{bad}");
    }
}

#[test]
fn prefixes_and_missing_subnets_file_change_the_charts() {
    let dir = tmp("prefixes");
    write(&dir, "timeline.csv", &timeline(5, 2));
    let doc = report(&dir);
    check_well_formed(&doc).unwrap();
    let charts = svgs(&doc);
    assert_eq!(charts.len(), 5);
    // ENIs and prefixes (non-zero) drawn; one total subnet line without subnets.csv.
    assert_eq!(lengths(charts[2]), [5, 5]);
    assert_eq!(lengths(charts[3]), [5]);
    assert!(charts[3].contains("all subnets"));
}

#[test]
fn long_timelines_are_thinned() {
    let dir = tmp("long");
    write(&dir, "timeline.csv", &timeline(10_000, 0));
    let doc = report(&dir);
    let charts = svgs(&doc);
    assert_eq!(charts.len(), 5);
    for chart in charts {
        for n in lengths(chart) {
            // Thinned to at most 2000 points; bucket extremes keep at least ~1000.
            assert!((1000..=MAX_POINTS_PER_SERIES).contains(&n), "{n}");
        }
    }
    // 10,000 samples over 9999 s: the time axis switches to minutes.
    assert!(doc.contains("simulated time (min)"));
}

#[test]
fn comparison_directory_gives_scatter_and_table() {
    let dir = tmp("compare");
    write(&dir, "comparison.csv", COMPARISON);
    let doc = report(&dir);
    check_well_formed(&doc).unwrap();
    let charts = svgs(&doc);
    assert_eq!(charts.len(), 1);
    let scatter = charts[0];
    // 6 settings, one without p99: 5 markers, the 3 Pareto ones filled.
    assert_eq!(scatter.matches("<circle").count(), 5);
    let filled = scatter
        .split("<circle")
        .skip(1)
        .filter(|c| !c.contains("fill=\"none\""))
        .count();
    assert_eq!(filled, 3);
    // The front joins the 3 Pareto points in x order: idle 20, 55.5, 98.4 -> pixel x rising,
    // and p99 90, 64.1, 35.7 falling -> pixel y rising.
    let front = data_lines(scatter);
    assert_eq!(front.len(), 1);
    assert_eq!(front[0].len(), 3);
    assert!(front[0]
        .windows(2)
        .all(|w| w[1].0 > w[0].0 && w[1].1 > w[0].1));
    // Labelled points (6 settings <= 8: number and setting), markup escaped.
    assert!(scatter.contains("1: WARM_ENI_TARGET=1"));
    assert!(scatter.contains("5: A=&lt;b&gt;&amp;amp;"));
    assert!(!scatter.contains("6: WARM_IP_TARGET=0"));
    // Table: header + 6 rows, 3 highlighted.
    assert_eq!(doc.matches("<tr").count(), 7);
    assert_eq!(doc.matches("<tr class=\"pareto\">").count(), 3);
    assert!(doc.contains("<td>A=&lt;b&gt;&amp;amp;</td>"));
    assert!(doc.contains("1 setting(s) without both values are not plotted"));
}

#[test]
fn run_and_comparison_together_give_six_charts() {
    let dir = tmp("both");
    write(&dir, "timeline.csv", &timeline(4, 0));
    write(&dir, "comparison.csv", COMPARISON);
    let doc = report(&dir);
    check_well_formed(&doc).unwrap();
    assert_eq!(svgs(&doc).len(), 6);
}

#[test]
fn missing_directory_is_a_user_error() {
    let dir = tmp("missing").join("nope");
    let e = write_report(&dir).unwrap_err();
    assert!(matches!(e, ReportError::NotADirectory(_)), "{e}");
    assert!(e.is_user_error());
}

#[test]
fn directory_without_csvs_has_nothing_to_report() {
    let dir = tmp("empty");
    write(&dir, "pods.csv", "pod\n");
    let e = write_report(&dir).unwrap_err();
    assert!(matches!(e, ReportError::NothingToReport(_)), "{e}");
    assert!(e.to_string().starts_with("nothing to report in "), "{e}");
    assert!(e.is_user_error());
    assert!(!dir.join("report.html").exists());
}

#[test]
fn malformed_csv_names_file_and_line() {
    let dir = tmp("bad");
    // Line 1 header, lines 2-3 good, line 4 has a non-number in pods_running.
    let mut t = timeline(2, 0);
    t.push_str("2.000,3,5,lots,0,0,3,15,2,0,13,0,998,4,0,x\n");
    write(&dir, "timeline.csv", &t);
    let e = write_report(&dir).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("timeline.csv:4: column \"pods_running\""),
        "{msg}"
    );
    assert!(e.is_user_error());

    // A short row (3 fields where the header has 16) on line 3.
    write(&dir, "timeline.csv", &format!("{}1,2,3\n", timeline(1, 0)));
    let msg = write_report(&dir).unwrap_err().to_string();
    assert!(
        msg.contains("timeline.csv:3: 3 fields where the header has 16"),
        "{msg}"
    );

    // A missing column is reported on the header line.
    write(&dir, "timeline.csv", "time_s,nodes\n0,1\n");
    let msg = write_report(&dir).unwrap_err().to_string();
    assert!(
        msg.contains("timeline.csv:1: missing column \"pods_total\""),
        "{msg}"
    );

    // comparison.csv: pareto must be 1 or 0.
    let dir = tmp("bad-compare");
    write(
        &dir,
        "comparison.csv",
        "setting,time_to_running_p99_s,idle_ips_mean,pareto\nX=1,1,2,yes\n",
    );
    let msg = write_report(&dir).unwrap_err().to_string();
    assert!(msg.contains("comparison.csv:2: column \"pareto\""), "{msg}");
    assert!(!dir.join("report.html").exists());
}

#[test]
fn checker_rejects_broken_markup() {
    let ok = "<!DOCTYPE html>\n<html><p a=\"1\">x &amp; y</p><br/></html>";
    assert!(check_well_formed(ok).is_ok());
    for bad in [
        "<!DOCTYPE html>\n<html><p></html>",
        "<!DOCTYPE html>\n<html><p>a & b</p></html>",
        "<!DOCTYPE html>\n<html><p a=\"1>x</p></html>",
        "<!DOCTYPE html>\n<html></html><html></html>",
    ] {
        assert!(check_well_formed(bad).is_err(), "{bad}");
    }
}
