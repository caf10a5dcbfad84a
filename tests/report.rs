//! The HTML report from synthetic run and compare directories (and from real ones the
//! binary writes): well-formed, the expected sections, charts whose drawn points say what
//! the inputs say (read back from the SVG), notes for absent files, the terminal table's
//! numbering, log axes past 50×, labels that do not overlap, no stale report, the same
//! bytes for the same inputs, bounded pages, and located errors.
use ipamsim::model::record::WaitCause;
use ipamsim::report::pods::read_pods;
use ipamsim::report::waits::read_waits;
use ipamsim::report::{render_report, wants_log, write_report, ReportError, MAX_POINTS_PER_SERIES};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

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
        writeln!(s, "{i}.000,private-b,{},{}", 500, if i < 3 { 2 } else { 0 }).unwrap();
    }
    s
}

fn summary(prefix: bool, duration: f64) -> String {
    format!(
        r#"{{
  "ipamsim_version": "9.8.7",
  "scenario": "fixture-scenario",
  "scenario_sha256": "",
  "seed": 42,
  "duration_s": {duration:.1},
  "cni": {{
    "WARM_ENI_TARGET": 1, "WARM_IP_TARGET": 3, "MINIMUM_IP_TARGET": 0,
    "WARM_PREFIX_TARGET": 1, "ENABLE_PREFIX_DELEGATION": {prefix}, "MAX_ENI": -1,
    "IP_COOLDOWN_PERIOD": 30, "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG": false,
    "ENABLE_SUBNET_DISCOVERY": true
  }},
  "wait_by_cause_s": {{"unschedulable": 2.0, "pool_growing": 8.5, "pool_tick": 1.0}}
}}
"#
    )
}

/// `web`: 4 pods, 3 with an IP after 1, 2 and 4 s, one still waiting at the end; `db`: 2
/// pods with an IP after 0.5 s; one host-network pod.
const PODS: &str =
    "pod,workload,node,host_network,created_s,scheduled_s,ip_assigned_s,deleted_s,ip,final_state
ds-n1,ds,n1,true,0.000,0.000,0.000,,,running
web-1,web,n1,false,1.000,1.000,2.000,,10.0.0.1,running
web-2,web,n1,false,1.000,1.000,3.000,,10.0.0.2,running
web-3,web,n1,false,1.000,1.000,5.000,,10.0.0.3,running
web-4,web,n1,false,1.000,1.000,,,,waiting_ip
db-1,db,n1,false,0.000,0.000,0.500,,10.0.0.4,running
db-2,db,n1,false,0.000,0.000,0.500,,10.0.0.5,running
";

/// Wait intervals on 0.1 s boundaries (a 10 s run has 100 ms buckets).
const WAITS: [(&str, WaitCause, f64, f64); 6] = [
    ("a", WaitCause::Unschedulable, 0.0, 2.0),
    ("a", WaitCause::PoolGrowing, 2.0, 5.0),
    ("b", WaitCause::PoolGrowing, 1.0, 3.0),
    ("b", WaitCause::PoolTick, 3.0, 4.0),
    ("c", WaitCause::PoolGrowing, 2.5, 6.0),
    ("d", WaitCause::PoolGrowing, 9.5, 12.0),
];

fn waits_csv() -> String {
    let mut s = String::from("pod,node,cause,start_s,end_s\n");
    for (pod, c, a, b) in WAITS {
        writeln!(s, "{pod},n1,{},{a:.3},{b:.3}", c.word()).unwrap();
    }
    s
}

/// Three InsufficientCidrBlocks failures in private-b, one InsufficientFreeAddresses in
/// private-a, and rows the report must ignore (a no_ip with the same cause, a cooldown).
const EVENTS: &str = "time_s,node,kind,detail,nodegroup,pod,cause,eni,action,count,subnet,until_s
0.500,n1,insufficient_addresses,x,ng,,InsufficientCidrBlocks,1,AssignPrivateIpAddresses,1,private-b,
0.600,n1,insufficient_cooldown,x,ng,,InsufficientCidrBlocks,,AssignPrivateIpAddresses,,private-b,120.600
2.000,n1,no_ip,x,ng,web-4,InsufficientCidrBlocks,,,,,
3.000,n1,insufficient_addresses,x,ng,,InsufficientCidrBlocks,,CreateNetworkInterface,1,private-b,
5.000,n1,insufficient_addresses,x,ng,,InsufficientCidrBlocks,,CreateNetworkInterface,1,private-b,
4.000,n1,insufficient_addresses,x,ng,,InsufficientFreeAddressesInSubnet,,CreateNetworkInterface,1,private-a,
";

/// Three nodes sampled at 0..n s, the third Ready from 2 s.
fn nodes(n: usize) -> String {
    let mut s = String::from("time_s,node,nodegroup,instance_type,ready,enis,ips_total,ips_assigned,ips_cooldown,ips_available,prefixes,pods\n");
    for i in 0..n {
        for k in 1..=3 {
            let ready = u8::from(k < 3 || i >= 2);
            writeln!(s, "{i}.000,n{k},ng,m5.large,{ready},1,0,0,0,0,0,0").unwrap();
        }
    }
    s
}

/// A whole run directory: every file, secondary-IP or prefix mode.
fn run_dir(name: &str, prefix: bool) -> PathBuf {
    let dir = tmp(name);
    write(&dir, "summary.json", &summary(prefix, 10.0));
    write(
        &dir,
        "timeline.csv",
        &timeline(11, if prefix { 2 } else { 0 }),
    );
    write(&dir, "subnets.csv", &subnets(11));
    write(&dir, "pods.csv", PODS);
    write(&dir, "waits.csv", &waits_csv());
    write(&dir, "events.csv", EVENTS);
    write(&dir, "nodes.csv", &nodes(11));
    dir
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
    let left: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".partial"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    let doc = std::fs::read_to_string(path).unwrap();
    check_well_formed(&doc).unwrap();
    for bad in ["<script", "href=", "src=", "url("] {
        assert!(!doc.contains(bad), "{bad}");
    }
    doc
}

fn ipamsim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ipamsim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
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

/// The page's sections: `(heading, description, body)`.
fn sections(doc: &str) -> Vec<(String, String, &str)> {
    doc.split("<section>")
        .skip(1)
        .map(|s| {
            let s = &s[..s.find("</section>").unwrap()];
            let h = between(s, "<h3>", "</h3>");
            let d = between(s, "<p class=\"desc\">", "</p>");
            (h, d, s)
        })
        .collect()
}

fn between(s: &str, a: &str, b: &str) -> String {
    let i = s.find(a).unwrap() + a.len();
    s[i..i + s[i..].find(b).unwrap()].to_string()
}

fn section<'a>(doc: &'a str, heading: &str) -> (String, &'a str) {
    let all = sections(doc);
    let names: Vec<String> = all.iter().map(|s| s.0.clone()).collect();
    let (_, d, body) = all
        .into_iter()
        .find(|s| s.0 == heading)
        .unwrap_or_else(|| panic!("no section {heading:?} in {names:?}"));
    (d, body)
}

/// The paragraphs of class `note`.
fn notes(doc: &str) -> Vec<String> {
    doc.split("<p class=\"note\">")
        .skip(1)
        .map(|s| s[..s.find("</p>").unwrap()].to_string())
        .collect()
}

/// The inline SVG documents in a piece of the page.
fn svgs(doc: &str) -> Vec<&str> {
    doc.match_indices("<svg")
        .map(|(i, _)| &doc[i..i + doc[i..].find("</svg>").unwrap()])
        .collect()
}

fn points_attr(p: &str) -> Vec<(f64, f64)> {
    let start = p.find("points=\"").unwrap() + 8;
    let end = start + p[start..].find('"').unwrap();
    p[start..end]
        .split_whitespace()
        .map(|xy| {
            let (x, y) = xy.split_once(',').unwrap();
            (x.parse().unwrap(), y.parse().unwrap())
        })
        .collect()
}

/// Point lists of the data polylines (axes are 2-point polylines, grid lines are <line>).
fn data_lines(svg: &str) -> Vec<Vec<(f64, f64)>> {
    svg.split("<polyline")
        .skip(1)
        .map(points_attr)
        .filter(|pts| pts.len() > 2)
        .collect()
}

/// Point lists of the polygons (stacked areas, triangle marks).
fn polygons(svg: &str) -> Vec<Vec<(f64, f64)>> {
    svg.split("<polygon").skip(1).map(points_attr).collect()
}

fn lengths(svg: &str) -> Vec<usize> {
    data_lines(svg).iter().map(Vec::len).collect()
}

/// `(x, y, text)` of every `<text>` element.
fn texts(svg: &str) -> Vec<(f64, f64, String)> {
    text_elements(svg)
        .into_iter()
        .map(|t| (t.0, t.1, t.3))
        .collect()
}

/// `(x, y, text-anchor, text)` of every `<text>` element.
fn text_elements(svg: &str) -> Vec<(f64, f64, String, String)> {
    svg.split("<text")
        .skip(1)
        .map(|t| {
            let attr = |name: &str| between(t, &format!(" {name}=\""), "\"");
            let body = between(t, ">", "</text>");
            (
                attr("x").parse().unwrap(),
                attr("y").parse().unwrap(),
                attr("text-anchor"),
                body.trim().to_string(),
            )
        })
        .collect()
}

/// Texts of the legend, in order: the left-anchored ones that are not point labels (tick
/// labels are anchored at their end or middle, axis titles in the middle).
fn legend(svg: &str) -> Vec<String> {
    text_elements(svg)
        .into_iter()
        .filter(|t| t.2 == "start" && !t.3.starts_with('#'))
        .map(|t| t.3)
        .collect()
}

/// Table rows of a piece of the page: the text of each `<td>`, row by row.
fn table_rows(html: &str) -> Vec<Vec<String>> {
    let body = &html[html.find("<tbody>").unwrap()..];
    body.split("<tr")
        .skip(1)
        .map(|r| {
            r.split("<td")
                .skip(1)
                .map(|c| between(c, ">", "</td>"))
                .collect()
        })
        .collect()
}

#[test]
fn run_report_has_header_sections_and_one_point_per_sample() {
    let dir = run_dir("run", false);
    let doc = report(&dir);
    // Header: scenario, seed, version, the CNI settings.
    assert!(doc.contains("Run of scenario fixture-scenario, seed 42, ipamsim 9.8.7: 10 s simulated, in secondary-IP mode"), "{doc}");
    for s in [
        "<b>WARM_IP_TARGET</b> 3",
        "<b>MAX_ENI</b> unset",
        "<b>MINIMUM_IP_TARGET</b> 0 (unset)",
        "<b>ENABLE_PREFIX_DELEGATION</b> false",
    ] {
        assert!(doc.contains(s), "{s}");
    }
    assert!(doc.contains("11 samples over 10 s simulated"));
    assert!(doc.contains("4 ENIs, 25 IPs held, 20 EC2 calls"));
    let headings: Vec<String> = sections(&doc).into_iter().map(|s| s.0).collect();
    assert_eq!(
        headings,
        [
            "Time to running, per workload",
            "Pod-seconds by cause",
            "Pods waiting, by cause",
            "Pods",
            "Nodes",
            "Secondary IPs",
            "ENIs",
            "Subnet free IPs",
            "Subnet free /28 blocks",
            "EC2 API calls"
        ]
    );
    // The fixture's waits.csv names pods that pods.csv lacks: the slowest pods, which join
    // the two as explain does, are left out with explain's message.
    assert_eq!(
        notes(&doc),
        ["Slowest pods left out: waits.csv has pod a created at 0.000 s, but pods.csv has no such pod; are the files from one run?"]
    );
    // The wait window (0-12 s, cut to the 10 s run) is the whole run: no zoom.
    assert!(!doc.contains("<details"));
    // One point per sample in the timeline charts.
    let (_, pods) = section(&doc, "Pods");
    assert_eq!(lengths(svgs(pods)[0]), [11, 11, 11]);
    let lines = data_lines(svgs(pods)[0]);
    // pods_running rises: its pixel y falls at every sample (SVG y points down).
    assert!(lines[0]
        .windows(2)
        .all(|w| w[1].1 < w[0].1 && w[1].0 > w[0].0));
    let (_, ips) = section(&doc, "Secondary IPs");
    assert_eq!(lengths(svgs(ips)[0]), [11, 11, 11, 11]);
    let (_, enis) = section(&doc, "ENIs");
    assert_eq!(lengths(svgs(enis)[0]), [11], "prefixes all 0: ENIs only");
    // Nodes: all 3 exist; Ready from nodes.csv goes 2, 2, 3, ...
    let (_, n) = section(&doc, "Nodes");
    let svg = svgs(n)[0];
    assert_eq!(legend(svg), ["nodes", "Ready (taking pods)"]);
    let l = data_lines(svg);
    assert!(l[1][0].1 > l[1][2].1 && l[1][2].1 == l[0][2].1, "{l:?}");
    let (_, ec2) = section(&doc, "EC2 API calls");
    assert_eq!(lengths(svgs(ec2)[0]), [11, 11]);
}

#[test]
fn time_to_running_cdf_ends_at_the_fraction_that_got_an_ip() {
    let dir = run_dir("cdf", false);
    let doc = report(&dir);
    let (desc, body) = section(&doc, "Time to running, per workload");
    // one name, one definition: the CDF runs from creation (time to running), and says
    // that time to IP (the summary's) runs from binding
    assert!(
        desc.starts_with("Time to running (creation → running"),
        "{desc}"
    );
    assert!(desc.contains("Time to IP (binding → IP)"), "{desc}");
    assert!(desc.contains("5 of 6 pods got an IP; 1 never did (0 never scheduled, 1 still waiting at the end, 0 deleted first)"), "{desc}");
    assert!(
        desc.contains("1 host-network pods need no IP and are left out"),
        "{desc}"
    );
    let svg = svgs(body)[0];
    assert_eq!(legend(svg), ["db", "web", "all workloads"]);
    assert!(svg.contains("log scale"));
    let lines = data_lines(svg);
    assert_eq!(lines.len(), 3);
    // Each line starts at fraction 0 and ends flat at the axis's right end.
    let y0 = lines[0][0].1;
    assert!(lines.iter().all(|l| l[0].1 == y0));
    let right = lines[0].last().unwrap().0;
    assert!(lines.iter().all(|l| l.last().unwrap().0 == right));
    // db: every pod got one (fraction 1); web 3 of 4; all 5 of 6.
    let height = y0 - lines[0].last().unwrap().1;
    let frac = |l: &Vec<(f64, f64)>| (y0 - l.last().unwrap().1) / height;
    assert!((frac(&lines[1]) - 0.75).abs() < 0.01, "{}", frac(&lines[1]));
    assert!(
        (frac(&lines[2]) - 5.0 / 6.0).abs() < 0.01,
        "{}",
        frac(&lines[2])
    );
    // The table under it.
    let rows = table_rows(body);
    assert_eq!(rows[1][..4], ["web", "4", "3 (75.0 %)", "2.0"]);
    assert_eq!(rows[2][..3], ["all workloads", "6", "5 (83.3 %)"]);
    // The same from the library: the last CDF point is the fraction with an IP.
    let pods = read_pods(&dir.join("pods.csv")).unwrap();
    let web = &pods.workloads["web"];
    assert_eq!(web.cdf(100).last(), Some(&(4.0, 0.75)));
    assert_eq!(web.fraction_with_ip(), 0.75);
}

#[test]
fn stacked_waits_count_the_intervals_covering_each_time() {
    let dir = run_dir("stack", false);
    let stack = read_waits(&dir.join("waits.csv"), 10.0).unwrap();
    assert_eq!(stack.bucket_ms, 100);
    // By hand: at the middle of every 100 ms bucket, the intervals of each cause that
    // cover it (the run ends at 10 s, so d's interval is cut there).
    for k in 0..100 {
        let t = k as f64 / 10.0 + 0.05;
        for c in WaitCause::ALL {
            let covering = WAITS
                .iter()
                .filter(|w| w.1 == c && w.2 <= t && t < w.3)
                .count();
            assert_eq!(stack.pods_at(c, t), covering as f64, "{} at {t}", c.word());
        }
    }
    assert_eq!(stack.pods_at(WaitCause::PoolGrowing, 2.7), 3.0);
    assert_eq!(stack.pods, 4);
    // Totals are the whole intervals (d's 2.5 s included).
    let g = stack.totals[WaitCause::PoolGrowing.index()];
    assert_eq!((g.pod_ms, g.intervals, g.longest_ms), (11_000, 4, 3_500));

    let doc = report(&dir);
    let (desc, body) = section(&doc, "Pods waiting, by cause");
    assert!(desc.contains("the mean over each 0.1 s bucket"), "{desc}");
    let svg = svgs(body)[0];
    // One filled area per cause that has time, bottom first by pod-seconds: pool_growing
    // 11 s, unschedulable 2 s, pool_tick 1 s.
    assert_eq!(legend(svg), ["pool_growing", "unschedulable", "pool_tick"]);
    let areas = polygons(svg);
    assert_eq!(areas.len(), 3);
    // The top of the stack at 2.7 s is 3 pods, at 3.5 s 3 (2 growing + 1 tick), at 7 s 0:
    // the areas' highest point over the bucket, in pixels, relative to the base line.
    let base = areas[0].iter().map(|p| p.1).fold(f64::MIN, f64::max);
    let top_at = |k: usize| {
        // Polygon vertices come in pairs per bucket edge; the upper boundary first.
        let upper = &areas[2][..areas[2].len() / 2];
        base - upper[2 * k].1
    };
    let unit = top_at(27) / 3.0;
    assert!(unit > 10.0);
    assert!((top_at(35) - 3.0 * unit).abs() < 1.5);
    assert!(
        (top_at(15) - 2.0 * unit).abs() < 1.5,
        "a unschedulable + b growing"
    );
    assert_eq!(top_at(70), 0.0);
    // The pod-seconds table from waits.csv.
    let (_, table) = section(&doc, "Pod-seconds by cause");
    let rows = table_rows(table);
    let causes: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        causes,
        ["pool_growing", "unschedulable", "pool_tick", "all causes"],
        "largest share first"
    );
    assert_eq!(rows[0][2..], ["11.0", "78.6 %", "4", "3.5"]);
    assert_eq!(
        rows.last().unwrap()[..5],
        ["all causes", "", "14.0", "100 %", "6"]
    );
}

#[test]
fn missing_optional_files_leave_their_sections_out_with_a_note() {
    // timeline.csv alone: no header, no CDF, no waits, subnets from the timeline.
    let dir = tmp("only-timeline");
    write(&dir, "timeline.csv", &timeline(5, 0));
    let doc = report(&dir);
    let n = notes(&doc);
    assert!(
        n.iter().any(|s| s.starts_with("No summary.json here")),
        "{n:?}"
    );
    assert!(
        n.iter()
            .any(|s| s.starts_with("Time to running left out: this directory has no pods.csv")),
        "{n:?}"
    );
    assert!(
        n.iter()
            .any(|s| s.starts_with("Pod-seconds by cause left out")),
        "{n:?}"
    );
    assert!(
        n.iter()
            .any(|s| s
                .starts_with("Pods waiting by cause left out: this directory has no waits.csv")),
        "{n:?}"
    );
    assert!(
        n.iter()
            .any(|s| s.starts_with("Per-subnet free IPs and free /28 blocks left out")),
        "{n:?}"
    );
    let (_, subnet) = section(&doc, "Subnet free IPs");
    assert_eq!(legend(svgs(subnet)[0]), ["all subnets"]);
    assert_eq!(
        svgs(&doc).len(),
        6,
        "pods, nodes, IPs, ENIs, subnet total, EC2"
    );

    // Every file but waits.csv: the table comes from summary.json, the chart is left out.
    let dir = run_dir("no-waits", false);
    std::fs::remove_file(dir.join("waits.csv")).unwrap();
    let doc = report(&dir);
    let n = notes(&doc);
    assert_eq!(n.len(), 2, "{n:?}");
    assert!(n[0].starts_with("Pods waiting by cause left out: this directory has no waits.csv"));
    assert!(n[1].starts_with("Slowest pods left out: they need both waits.csv and pods.csv"));
    assert!(sections(&doc)
        .iter()
        .all(|s| s.0 != "Pods waiting, by cause"));
    let (desc, table) = section(&doc, "Pod-seconds by cause");
    assert!(desc.contains("summary.json"), "{desc}");
    let rows = table_rows(table);
    // By share: pool_growing 8.5, unschedulable 2.0, pool_tick 1.0.
    let causes: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        causes,
        ["pool_growing", "unschedulable", "pool_tick", "all causes"]
    );
    assert_eq!(
        rows[0][..4],
        [
            "pool_growing",
            "no free address; an IP or ENI request was in flight",
            "8.5",
            "73.9 %"
        ]
    );

    // summary.json alone is a run directory too.
    let dir = tmp("only-summary");
    write(&dir, "summary.json", &summary(false, 10.0));
    let doc = report(&dir);
    assert!(doc.contains("Run of scenario fixture-scenario"));
    assert!(notes(&doc).iter().any(|s| s.contains("no timeline.csv")));
}

#[test]
fn prefix_mode_titles_say_prefixes() {
    let doc = report(&run_dir("pd", true));
    let headings: Vec<String> = sections(&doc).into_iter().map(|s| s.0).collect();
    for h in [
        "Pod IPs from prefixes",
        "ENIs and prefixes",
        "Subnet free /28 blocks for prefixes",
    ] {
        assert!(headings.iter().any(|x| x == h), "{h} not in {headings:?}");
    }
    assert!(!headings.iter().any(|x| x == "Secondary IPs"));
    assert!(doc.contains("in prefix-delegation mode"));
    let (_, enis) = section(&doc, "ENIs and prefixes");
    assert_eq!(legend(svgs(enis)[0]), ["ENIs", "/28 prefixes"]);
    let doc = report(&run_dir("secondary", false));
    assert!(!doc.contains("for prefixes"));
}

#[test]
fn insufficient_cidr_blocks_failures_are_marked_on_their_subnet() {
    let doc = report(&run_dir("marks", true));
    let (desc, body) = section(&doc, "Subnet free /28 blocks for prefixes");
    assert!(
        desc.contains("Triangles mark EC2 answering InsufficientCidrBlocks"),
        "{desc}"
    );
    let svg = svgs(body)[0];
    assert_eq!(
        legend(svg),
        [
            "private-a",
            "private-b",
            "InsufficientCidrBlocks in private-b (3)"
        ]
    );
    // Three marks (the cooldown and no_ip rows are not failures of their own) plus the
    // legend's triangle; each mark sits on private-b's line at its time (0.5, 3, 5 s):
    // 2 free blocks at 0.5 s, 0 after.
    let marks = polygons(svg);
    assert_eq!(marks.len(), 4);
    let lines = data_lines(svg);
    let b = &lines[1];
    let centre = |m: &Vec<(f64, f64)>| {
        let n = m.len() as f64;
        (
            m.iter().map(|p| p.0).sum::<f64>() / n,
            m.iter().map(|p| p.1).sum::<f64>() / n,
        )
    };
    let on_line: Vec<(f64, f64)> = marks[1..].iter().map(centre).collect();
    assert!((on_line[0].1 - b[0].1).abs() < 4.0, "{on_line:?} {b:?}");
    assert!((on_line[1].1 - b[5].1).abs() < 4.0);
    assert!(on_line[0].0 < on_line[1].0 && on_line[1].0 < on_line[2].0);
    // Free IPs: private-a's one InsufficientFreeAddressesInSubnet.
    let (_, ips) = section(&doc, "Subnet free IPs");
    assert!(legend(svgs(ips)[0])
        .contains(&"InsufficientFreeAddressesInSubnet in private-a (1)".to_string()));
    assert_eq!(polygons(svgs(ips)[0]).len(), 2);
}

#[test]
fn same_inputs_give_the_same_bytes() {
    let dir = run_dir("det", true);
    write(&dir, "comparison.csv", COMPARISON);
    let a = render_report(&dir).unwrap();
    let b = render_report(&dir).unwrap();
    assert_eq!(a, b);
    write_report(&dir).unwrap();
    assert_eq!(std::fs::read_to_string(dir.join("report.html")).unwrap(), a);
}

#[test]
fn large_runs_give_a_bounded_page() {
    let dir = tmp("large");
    write(&dir, "timeline.csv", &timeline(20_000, 0));
    write(&dir, "summary.json", &summary(false, 20_000.0));
    let mut pods = String::from(PODS.lines().next().unwrap());
    let mut waits = String::from("pod,node,cause,start_s,end_s\n");
    pods.push('\n');
    for i in 0..100_000u64 {
        let (c, d) = (i % 19_000, i % 977 * 37 % 600);
        let w = ["web", "db", "batch"][(i % 3) as usize];
        writeln!(
            pods,
            "{w}-{i},{w},n1,false,{c}.000,{c}.000,{}.{:03},,,running",
            c + d,
            i % 1000
        )
        .unwrap();
        let cause = WaitCause::ALL[(i % 11) as usize].word();
        writeln!(waits, "{w}-{i},n1,{cause},{c}.000,{}.000", c + d).unwrap();
    }
    write(&dir, "pods.csv", &pods);
    write(&dir, "waits.csv", &waits);
    let doc = report(&dir);
    assert!(doc.len() < 2_000_000, "{} bytes", doc.len());
    assert!(doc.contains("simulated time (h)"), "20,000 s is in hours");
    for svg in svgs(&doc) {
        for n in lengths(svg) {
            assert!(n <= MAX_POINTS_PER_SERIES, "{n}");
        }
        for p in polygons(svg) {
            assert!(p.len() <= 4 * 300, "{}", p.len());
        }
    }
    let (_, cdf) = section(&doc, "Time to running, per workload");
    for n in lengths(svgs(cdf)[0]) {
        assert!(n <= 2 * 400 + 1, "{n}");
    }
    let (_, stack) = section(&doc, "Pods waiting, by cause");
    assert_eq!(polygons(svgs(stack)[0]).len(), 11);
}

/// Settings with p99 from 1 s to 100 s (100×) and idle IPs 10 to 99 (under 10×).
const SPREAD: &str = "setting,time_to_running_p99_s,idle_ips_mean,pareto
A=1,1.0,99.0,1
A=2,10.0,50.0,1
A=3,100.0,10.0,1
";

#[test]
fn log_axis_only_when_values_span_more_than_fifty_times() {
    assert!(wants_log(&[1.0, 100.0]));
    assert!(!wants_log(&[10.0, 99.0]));
    assert!(!wants_log(&[0.0, 100.0]), "a log axis cannot show 0");
    let dir = tmp("log");
    write(&dir, "comparison.csv", SPREAD);
    let doc = report(&dir);
    let (_, body) = section(&doc, "Trade-off: idle IPs vs. p99 time to running");
    let titles: Vec<String> = texts(svgs(body)[0]).into_iter().map(|t| t.2).collect();
    assert!(
        titles.contains(&"p99 time to running (s, log scale)".to_string()),
        "{titles:?}"
    );
    assert!(
        titles.contains(&"mean idle IPs (IPs)".to_string()),
        "{titles:?}"
    );
    // Decade ticks on the log axis.
    for t in ["1", "10", "100"] {
        assert!(titles.iter().any(|x| x == t), "{t}");
    }
    // 35.7 to 95 s, 10 to 99 IPs: both linear.
    let dir = tmp("linear");
    write(&dir, "comparison.csv", COMPARISON);
    let doc = report(&dir);
    assert!(!svgs(&doc)[0].contains("log scale"));
}

#[test]
fn comparison_table_is_numbered_as_the_terminal_table() {
    let dir = tmp("compare");
    write(&dir, "comparison.csv", COMPARISON);
    let doc = report(&dir);
    // Sorted by p99 time to running, an empty one as 0 (row 6 first), ties in grid order.
    let (desc, body) = section(&doc, "Settings compared");
    assert!(desc.contains("numbered as there"));
    let rows = table_rows(body);
    let order: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|r| (r[0].as_str(), r[1].as_str(), r[2].as_str()))
        .collect();
    assert_eq!(
        order,
        [
            ("1", "", "WARM_IP_TARGET=0"),
            ("2", "*", "WARM_ENI_TARGET=1"),
            ("3", "*", "WARM_IP_TARGET=3 MINIMUM_IP_TARGET=10"),
            ("4", "", "WARM_IP_TARGET=5"),
            ("5", "*", "WARM_IP_TARGET=1"),
            ("6", "", "A=&lt;b&gt;&amp;amp;"),
        ]
    );
    // Only the terminal's columns the file has, formatted as there ("-" when empty).
    assert!(
        body.contains("<th>IP p50</th><th>run p99</th><th>idle mean</th><th>EC2 calls</th></tr>"),
        "{body}"
    );
    assert_eq!(rows[0][3..], ["-", "-", "10.0", "50"]);
    assert_eq!(doc.matches("<tr class=\"pareto\">").count(), 3);
    // The scatter: five points (row 1 has no p99) labelled with their settings: the labels
    // have different keys, so each is whole, or its table number when longer than 24
    // characters (row 3's is 37).
    let (desc, body) = section(&doc, "Trade-off: idle IPs vs. p99 time to running");
    assert!(desc.contains("1 setting without both values is not plotted"));
    assert!(
        desc.contains("longer than 24 characters is replaced by #N"),
        "{desc}"
    );
    let svg = svgs(body)[0];
    assert_eq!(svg.matches("<circle").count(), 5);
    let mut labels: Vec<String> = texts(svg)
        .into_iter()
        .map(|t| t.2)
        .filter(|t| t.starts_with('#') || t.contains('='))
        .collect();
    labels.sort();
    assert_eq!(
        labels,
        [
            "#3",
            "A=&lt;b&gt;&amp;amp;",
            "WARM_ENI_TARGET=1",
            "WARM_IP_TARGET=1",
            "WARM_IP_TARGET=5"
        ]
    );
    // Without objectives, recommendation or replications: none of their marks.
    assert!(!svg.contains("recommended") && !svg.contains("95 % interval"));
    assert!(!svg.contains("objective"));
    // The front joins rows 2, 3 and 5 in x order: idle 20, 55.5, 98.4 -> pixel x rising.
    let front = data_lines(svg);
    assert_eq!(front.len(), 1);
    assert!(front[0]
        .windows(2)
        .all(|w| w[1].0 > w[0].0 && w[1].1 > w[0].1));
    assert!(notes(&doc)
        .iter()
        .any(|n| n.contains("no wait_&lt;cause&gt;_s columns")));
}

#[test]
fn compare_report_rows_match_the_terminal_table() {
    let dir = tmp("compare-real");
    let out = ipamsim(&[
        "compare",
        "scenarios/scale-out.yaml",
        "--set",
        "WARM_IP_TARGET=0,1,3",
        "--set",
        "MINIMUM_IP_TARGET=0,20",
        "--out",
        dir.to_str().unwrap(),
        "--report",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    // Rows: "{rank:>3} {P}  {label} {figures...}"; label tokens are KEY=VALUE pairs.
    let terminal: Vec<Vec<String>> = stdout
        .lines()
        .skip(1)
        .take_while(|l| l.len() > 7 && l[..3].trim().parse::<usize>().is_ok())
        .map(|l| {
            let (label, figures): (Vec<&str>, Vec<&str>) =
                l[7..].split_whitespace().partition(|t| t.contains('='));
            let mut row = vec![
                l[..3].trim().to_string(),
                l[4..5].trim().to_string(),
                label.join(" "),
            ];
            row.extend(figures.into_iter().map(String::from));
            row
        })
        .collect();
    assert_eq!(terminal.len(), 6);
    let doc = std::fs::read_to_string(dir.join("report.html")).unwrap();
    check_well_formed(&doc).unwrap();
    let (_, body) = section(&doc, "Settings compared");
    assert_eq!(table_rows(body), terminal);
    // Waits per setting, numbered the same way.
    let (_, waits) = section(&doc, "Why pods waited, per setting");
    let w = table_rows(waits);
    let names: Vec<(&str, &str)> = w.iter().map(|r| (r[0].as_str(), r[1].as_str())).collect();
    let expect: Vec<(&str, &str)> = terminal
        .iter()
        .map(|r| (r[0].as_str(), r[2].as_str()))
        .collect();
    assert_eq!(names, expect);
}

#[test]
fn scatter_labels_do_not_overlap() {
    // Twelve settings in a tight cluster, two of them at the same point.
    let mut csv = String::from("setting,time_to_running_p99_s,idle_ips_mean,pareto\n");
    for i in 0..12 {
        let (p, idle) = if i == 11 {
            (30.0, 50.0)
        } else {
            (30.0 + i as f64 * 0.4, 50.0 + (i % 4) as f64 * 0.5)
        };
        writeln!(csv, "K={i},{p},{idle},{}", u8::from(i % 3 == 0)).unwrap();
    }
    let dir = tmp("crowded");
    write(&dir, "comparison.csv", &csv);
    let doc = report(&dir);
    let svg = svgs(&doc)[0];
    let labels: Vec<(f64, f64, String)> = texts(svg)
        .into_iter()
        .filter(|t| t.2.starts_with("K="))
        .collect();
    // K=0 and K=11 share a point, so one label names both.
    assert!(labels.iter().any(|l| l.2 == "K=0, K=11"), "{labels:?}");
    let numbers: usize = labels.iter().map(|l| l.2.split(", ").count()).sum();
    assert_eq!(numbers, 12);
    let boxes: Vec<(f64, f64, f64, f64)> = labels
        .iter()
        .map(|(x, y, t)| {
            (
                *x,
                *y,
                x + (t.chars().count() as f64 * 14.0 * 0.62).ceil(),
                y + 15.0,
            )
        })
        .collect();
    let circles: Vec<(f64, f64, f64, f64)> = svg
        .split("<circle")
        .skip(1)
        .map(|c| {
            let a = |n: &str| -> f64 { between(c, &format!(" {n}=\""), "\"").parse().unwrap() };
            let (x, y, r) = (a("cx"), a("cy"), a("r"));
            (x - r, y - r, x + r, y + r)
        })
        .collect();
    let overlap = |a: &(f64, f64, f64, f64), b: &(f64, f64, f64, f64)| {
        a.0 < b.2 && b.0 < a.2 && a.1 < b.3 && b.1 < a.3
    };
    for (i, a) in boxes.iter().enumerate() {
        for b in &boxes[i + 1..] {
            assert!(!overlap(a, b), "{a:?} {b:?}");
        }
        for c in &circles {
            assert!(!overlap(a, c), "label {a:?} on marker {c:?}");
        }
    }
}

#[test]
fn a_rerun_never_leaves_a_stale_report() {
    let dir = tmp("stale");
    let d = dir.to_str().unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec!["run", "scenarios/three-t3-medium.yaml", "--out", d, "-q"];
        args.extend_from_slice(extra);
        let o = ipamsim(&args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    run(&["--report"]);
    let first = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(first.contains("Run of scenario three-t3-medium"));
    // Without --report the old report goes: it would describe another run.
    run(&[]);
    assert!(!dir.join("report.html").exists());
    // A report.html of something else entirely is removed too.
    write(&dir, "report.html", "<html>old</html>");
    run(&["--seed", "7"]);
    assert!(!dir.join("report.html").exists());
    // With --report it is replaced by this run's.
    write(&dir, "report.html", "<html>old</html>");
    run(&["--seed", "7", "--report"]);
    let now = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(now.contains("seed 7"), "replaced");
}

#[test]
fn missing_directory_is_a_user_error() {
    let dir = tmp("missing").join("nope");
    let e = write_report(&dir).unwrap_err();
    assert!(matches!(e, ReportError::NotADirectory(_)), "{e}");
    assert!(e.is_user_error());
}

#[test]
fn directory_without_run_or_comparison_has_nothing_to_report() {
    let dir = tmp("empty");
    write(&dir, "pods.csv", "pod\n");
    let e = write_report(&dir).unwrap_err();
    assert!(matches!(e, ReportError::NothingToReport(_)), "{e}");
    assert!(e.to_string().starts_with("nothing to report in "), "{e}");
    assert!(e.is_user_error());
    assert!(!dir.join("report.html").exists());
}

#[test]
fn malformed_inputs_name_file_and_line() {
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

    // waits.csv: an unknown cause on line 3, an interval ending before it starts on line 2.
    let dir = run_dir("bad-waits", false);
    write(
        &dir,
        "waits.csv",
        "pod,node,cause,start_s,end_s\na,n1,pool_tick,0,1\na,n1,sunspots,1,2\n",
    );
    let msg = write_report(&dir).unwrap_err().to_string();
    assert!(
        msg.contains("waits.csv:3: column \"cause\": unknown cause \"sunspots\""),
        "{msg}"
    );
    write(
        &dir,
        "waits.csv",
        "pod,node,cause,start_s,end_s\na,n1,pool_tick,5,1\n",
    );
    let msg = write_report(&dir).unwrap_err().to_string();
    assert!(
        msg.contains("waits.csv:2: end_s 1.000 is before start_s 5.000"),
        "{msg}"
    );
    // summary.json: a missing key is located; an unknown cause word too.
    write(&dir, "waits.csv", &waits_csv());
    write(&dir, "summary.json", "{\n  \"scenario\": \"x\"\n}\n");
    let msg = write_report(&dir).unwrap_err().to_string();
    assert!(msg.contains("summary.json:3: missing field"), "{msg}");
    write(
        &dir,
        "summary.json",
        &summary(false, 10.0).replace("\"pool_tick\"", "\"pool_tock\""),
    );
    let msg = write_report(&dir).unwrap_err().to_string();
    assert!(
        msg.contains("summary.json:") && msg.contains("unknown wait cause \"pool_tock\""),
        "{msg}"
    );
    // pods.csv: host_network must be true or false.
    write(&dir, "summary.json", &summary(false, 10.0));
    write(
        &dir,
        "pods.csv",
        &PODS.replace(
            "web,n1,false,1.000,1.000,2.000",
            "web,n1,maybe,1.000,1.000,2.000",
        ),
    );
    let msg = write_report(&dir).unwrap_err().to_string();
    assert!(msg.contains("pods.csv:3: column \"host_network\""), "{msg}");
    assert!(!dir.join("report.html").exists());

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

/// A Calico run's report names Calico's pool and blocks instead of aws-node's settings,
/// calls its address chart the pool's, and has no ENI chart (a Calico node has only its
/// primary ENI, outside the model's pods).
#[test]
fn a_calico_run_report_speaks_of_the_pool() {
    let dir = tmp("calico-run");
    let o = ipamsim(&[
        "run",
        "scenarios/calico.yaml",
        "-q",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let doc = report(&dir);
    assert!(
        doc.contains("with Calico block IPAM: pool 172.16.0.0/20, /26 blocks, strict affinity off")
    );
    assert!(!doc.contains("<b>WARM_ENI_TARGET</b>"));
    let headings: Vec<String> = sections(&doc).into_iter().map(|s| s.0).collect();
    assert!(
        headings.iter().any(|h| h == "Pool addresses (Calico)"),
        "{headings:?}"
    );
    assert!(
        !headings.iter().any(|h| h == "ENIs" || h == "Secondary IPs"),
        "{headings:?}"
    );
}

/// `(stroke colour, points)` of every `<polyline>` (series, segments, error bars).
fn polylines(svg: &str) -> Vec<(String, Vec<(f64, f64)>)> {
    svg.split("<polyline")
        .skip(1)
        .map(|p| (between(p, " stroke=\"", "\""), points_attr(p)))
        .collect()
}

/// `(cx, cy, r, stroke)` of every `<circle>`.
fn circles(svg: &str) -> Vec<(f64, f64, f64, String)> {
    svg.split("<circle")
        .skip(1)
        .map(|c| {
            let a = |n: &str| between(c, &format!(" {n}=\""), "\"");
            (
                a("cx").parse().unwrap(),
                a("cy").parse().unwrap(),
                a("r").parse().unwrap(),
                a("stroke"),
            )
        })
        .collect()
}

#[test]
fn compare_scatter_shows_settings_objectives_recommendation_and_intervals() {
    let compare = |name: &str, reps: &str| {
        let dir = tmp(name);
        let out = ipamsim(&[
            "compare",
            "scenarios/scale-out.yaml",
            "--set",
            "WARM_IP_TARGET=2,5,10",
            "--set",
            "MINIMUM_IP_TARGET=0,20",
            "--replications",
            reps,
            "--slo",
            "p99_time_to_running<=60s",
            "--slo",
            "idle_ips_mean<=80",
            "--slo",
            "p99_time_to_ip<=60s",
            "--out",
            dir.to_str().unwrap(),
            "--report",
            "-q",
        ]);
        assert!(
            out.status.code() == Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let doc = std::fs::read_to_string(dir.join("report.html")).unwrap();
        check_well_formed(&doc).unwrap();
        let json = std::fs::read_to_string(dir.join("comparison.json")).unwrap();
        let json: serde_json::Value = serde_json::from_str(&json).unwrap();
        (doc, json)
    };
    let (doc, json) = compare("decide-3", "3");
    let (desc, body) = section(&doc, "Trade-off: idle IPs vs. p99 time to running");
    let svg = svgs(body)[0];
    let all_texts: Vec<String> = texts(svg).into_iter().map(|t| t.2).collect();
    // 1. Labels: the swept values in axis order, the legend naming the axes.
    assert!(
        all_texts.contains(&"labels: WARM_IP_TARGET / MINIMUM_IP_TARGET".to_string()),
        "{all_texts:?}"
    );
    let labels: Vec<&String> = all_texts.iter().filter(|t| t.contains(" / ")).collect();
    let names: usize = labels.iter().map(|l| l.split(", ").count()).sum();
    assert_eq!(names, 6 + 1, "six settings and the legend line: {labels:?}");
    for v in ["2 / 0", "5 / 0", "10 / 0", "2 / 20"] {
        assert!(
            labels.iter().any(|l| l.split(", ").any(|x| x == v)),
            "{v} in {labels:?}"
        );
    }
    // 2. The two objectives on these axes as dashed lines with their text; the third listed.
    for t in ["p99_time_to_running&lt;=60s", "idle_ips_mean&lt;=80"] {
        assert!(all_texts.iter().any(|x| x == t), "{t} in {all_texts:?}");
    }
    let dashes: Vec<Vec<(f64, f64)>> = polylines(svg)
        .into_iter()
        .filter(|(c, _)| c == "#783CAA")
        .map(|(_, p)| p)
        .collect();
    let horizontal = dashes.iter().filter(|p| p[0].1 == p[1].1).count();
    let vertical = dashes.iter().filter(|p| p[0].0 == p[1].0).count();
    assert!(horizontal > 10 && vertical > 10, "{horizontal} {vertical}");
    assert!(desc.contains(
        "Not drawable on these axes (judged all the same; see the SLO column): p99_time_to_ip&lt;=60s."
    ), "{desc}");
    // 3. The recommended setting ringed, on its marker, and in the legend.
    let rec = json["recommended"]["setting"].as_str().unwrap();
    assert!(desc.contains(&format!(
        "The ringed point is the recommended setting, {rec}"
    )));
    assert!(all_texts.contains(&"recommended (ringed)".to_string()));
    let c = circles(svg);
    let rings: Vec<_> = c.iter().filter(|c| c.2 == 11.0).collect();
    assert_eq!(rings.len(), 1, "{c:?}");
    assert_eq!(rings[0].3, "#22AA77");
    assert!(
        c.iter()
            .any(|m| m.2 == 6.0 && (m.0, m.1) == (rings[0].0, rings[0].1)),
        "the ring is around a marker"
    );
    // 4. Error bars with replications: a bar and two caps per interval.
    let bars = polylines(svg)
        .into_iter()
        .filter(|(c, _)| c == "#5A5A5A")
        .count();
    assert!(bars > 0 && bars % 3 == 0, "{bars}");
    assert!(all_texts.contains(&"95 % interval".to_string()));
    assert!(desc.contains("Error bars span each mean&#39;s 95 % confidence interval"));

    // One replication: no error bars (the bounds equal the means).
    let (doc, _) = compare("decide-1", "1");
    let (desc, body) = section(&doc, "Trade-off: idle IPs vs. p99 time to running");
    let svg = svgs(body)[0];
    assert!(!svg.contains("#5A5A5A") && !svg.contains("95 % interval"));
    assert!(!desc.contains("Error bars"));
    assert!(svg.contains("p99_time_to_running&lt;=60s"));

    // The waits per setting: causes in order of their pod-seconds over all settings.
    let (_, waits) = section(&doc, "Why pods waited, per setting");
    let rows = table_rows(waits);
    let ncauses = rows[0].len() - 3;
    let sums: Vec<f64> = (0..ncauses)
        .map(|k| rows.iter().map(|r| r[2 + k].parse::<f64>().unwrap()).sum())
        .collect();
    assert!(
        ncauses > 1 && sums.windows(2).all(|w| w[0] >= w[1]),
        "{sums:?}"
    );
}

#[test]
fn run_charts_zoom_to_when_pods_waited_and_list_the_slowest_pods() {
    // A 100 s run (a sample a second); p1 waits 20-30 s, p2 25-40 s.
    let dir = tmp("zoom run");
    write(&dir, "summary.json", &summary(false, 100.0));
    write(&dir, "timeline.csv", &timeline(101, 0));
    write(&dir, "nodes.csv", &nodes(101));
    write(
        &dir,
        "events.csv",
        &EVENTS[..EVENTS.find('\n').unwrap() + 1],
    );
    write(
        &dir,
        "pods.csv",
        "pod,workload,node,host_network,created_s,scheduled_s,ip_assigned_s,deleted_s,ip,final_state
p1,web,n1,false,20.000,20.000,30.000,,10.0.0.1,running
p2,web,n1,false,25.000,25.000,40.000,,10.0.0.2,running
",
    );
    write(
        &dir,
        "waits.csv",
        "pod,node,cause,start_s,end_s
p1,n1,pool_growing,20.000,30.000
p2,n1,pool_growing,25.000,32.000
p2,n1,kubelet_retry,32.000,40.000
",
    );
    let doc = report(&dir);
    // By hand: the first wait starts at 20 s, the last ends at 40 s; the margin is 5 % of
    // those 20 s, 1 s (also the least margin), so the window is 19-41 s.
    assert!(
        doc.contains("Charts over time are zoomed to 19\u{2013}41 s: from the first pod wait"),
        "{doc}"
    );
    let (_, pods) = section(&doc, "Pods");
    let charts = svgs(pods);
    assert_eq!(charts.len(), 2, "zoomed, and the whole run");
    // Zoomed: the samples at 19, 20, ..., 41 s; whole: all 101.
    assert_eq!(lengths(charts[0]), [23, 23, 23]);
    assert_eq!(lengths(charts[1]), [101, 101, 101]);
    assert!(pods.contains("<details class=\"full\"><summary>whole run (0\u{2013}100 s)</summary>"));
    // The x ticks of the zoomed chart lie in the window, those of the whole run span it.
    let ticks = |svg: &str| -> Vec<f64> {
        let t = text_elements(svg);
        let bottom = t.iter().map(|t| t.1).fold(f64::MIN, f64::max);
        t.iter()
            .filter(|t| t.2 == "middle" && t.1 < bottom && t.1 > bottom - 40.0)
            .filter_map(|t| t.3.parse().ok())
            .collect()
    };
    let z = ticks(charts[0]);
    assert!(
        z.len() > 3 && z.iter().all(|&t| (19.0..=41.0).contains(&t)),
        "{z:?}"
    );
    let w = ticks(charts[1]);
    assert!(w.contains(&0.0) && w.contains(&100.0), "{w:?}");
    // The waits chart too, and every chart over time.
    let (_, stack) = section(&doc, "Pods waiting, by cause");
    assert_eq!(svgs(stack).len(), 2);
    assert!(ticks(svgs(stack)[0])
        .iter()
        .all(|&t| (19.0..=41.0).contains(&t)));
    for h in ["Nodes", "Secondary IPs", "ENIs", "EC2 API calls"] {
        assert_eq!(svgs(section(&doc, h).1).len(), 2, "{h}");
    }
    // The cause table by share: pool_growing 17 s, kubelet_retry 8 s.
    let (_, table) = section(&doc, "Pod-seconds by cause");
    let causes: Vec<String> = table_rows(table)
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    assert_eq!(causes, ["pool_growing", "kubelet_retry", "all causes"]);
    // The slowest pods, as explain lists them, with the command for each story (the
    // directory quoted: its name has a space).
    let (desc, slow) = section(&doc, "Slowest pods");
    assert!(desc.contains("as ipamsim explain"), "{desc}");
    let rows = table_rows(slow);
    let quoted = format!("&#39;{}&#39;", dir.display()); // '...', escaped
    assert_eq!(
        rows,
        [
            vec![
                "1".to_string(),
                "p2".into(),
                "n1".into(),
                "15.000".into(),
                "kubelet_retry 8.000 s".into(),
                "running at 40.000 s".into(),
                format!("<code>ipamsim explain {quoted} --pod p2</code>"),
            ],
            vec![
                "2".to_string(),
                "p1".into(),
                "n1".into(),
                "10.000".into(),
                "pool_growing 10.000 s".into(),
                "running at 30.000 s".into(),
                format!("<code>ipamsim explain {quoted} --pod p1</code>"),
            ],
        ]
    );
    // The command works.
    let out = ipamsim(&["explain", dir.to_str().unwrap(), "--pod", "p2"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Same inputs, same bytes.
    assert_eq!(render_report(&dir).unwrap(), doc);

    // No pod waited: the whole run only, and no slowest pods.
    write(&dir, "waits.csv", "pod,node,cause,start_s,end_s\n");
    let doc = report(&dir);
    assert!(!doc.contains("<details") && !doc.contains("zoomed"));
    assert_eq!(svgs(section(&doc, "Pods").1).len(), 1);
    assert!(notes(&doc).contains(&"Slowest pods left out: no pod waited.".to_string()));
    // A zero-length wait: a window of the least margin each side, 49-51 s.
    write(
        &dir,
        "waits.csv",
        "pod,node,cause,start_s,end_s\np1,n1,pool_tick,50.000,50.000\n",
    );
    let doc = render_report(&dir).unwrap();
    assert!(doc.contains("zoomed to 49\u{2013}51 s"));
}
