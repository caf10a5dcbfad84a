//! `ipamsim explain`: the overview and a pod's story, read back from a run's files.
use crate::common;

use common::{fresh_dir, ipamsim};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 temp path")
}

/// Runs `scenarios/<name>.yaml` into a fresh directory (with extra `run` flags).
fn run_into(name: &str, tag: &str, extra: &[&str]) -> PathBuf {
    let dir = fresh_dir("explain", tag);
    let scenario = format!("scenarios/{name}.yaml");
    let mut args = vec!["run", scenario.as_str(), "--out", s(&dir), "--quiet"];
    args.extend_from_slice(extra);
    let o = ipamsim(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    dir
}

/// One run of three-t3-medium shared by the tests that only read it.
fn three_t3() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| run_into("three-t3-medium", "three-t3", &[]))
}

/// `explain` with `args` after the directory; must exit 0.
fn explain(dir: &Path, args: &[&str]) -> String {
    let mut all = vec!["explain", s(dir)];
    all.extend_from_slice(args);
    let o = ipamsim(&all);
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
    stdout(&o)
}

fn explain_json(dir: &Path, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    serde_json::from_str(&explain(dir, &all)).expect("explain prints JSON")
}

/// `explain` that must fail with exit 2; its stderr.
fn explain_fails(dir: &Path, args: &[&str]) -> String {
    let mut all = vec!["explain", s(dir)];
    all.extend_from_slice(args);
    let o = ipamsim(&all);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
    assert!(o.stdout.is_empty(), "nothing on stdout when failing");
    stderr(&o)
}

/// A CSV file's rows as maps by header name.
fn rows(path: &Path) -> Vec<HashMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let head: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            head.iter()
                .cloned()
                .zip(rec.iter().map(str::to_string))
                .collect()
        })
        .collect()
}

/// `12.345` → 12345 (ms), exactly (the files write three decimals).
fn ms(v: &str) -> i64 {
    let (a, b) = v.split_once('.').expect("three decimals");
    a.parse::<i64>().unwrap() * 1000 + b.parse::<i64>().unwrap()
}

/// A JSON number of seconds as ms.
fn jms(v: &Value) -> i64 {
    (v.as_f64().expect("seconds") * 1000.0).round() as i64
}

fn steps(story: &Value) -> &Vec<Value> {
    story["lives"][0]["steps"].as_array().expect("steps")
}

fn waits_of(story: &Value) -> Vec<&Value> {
    steps(story)
        .iter()
        .filter(|x| x["step"] == "wait")
        .collect()
}

#[test]
fn slowest_nginx_pod_is_told_with_its_node_eni_and_kubelet_retry() {
    let dir = three_t3();
    // The nginx pod with the longest time from creation to IP, per pods.csv.
    let pods = rows(&dir.join("pods.csv"));
    let slow = pods
        .iter()
        .filter(|p| p["workload"] == "nginx" && !p["ip_assigned_s"].is_empty())
        .max_by_key(|p| ms(&p["ip_assigned_s"]) - ms(&p["created_s"]))
        .unwrap();
    let (name, node, ip) = (&slow["pod"], &slow["node"], &slow["ip"]);
    let got_ip = ms(&slow["ip_assigned_s"]);
    // The ENI it waited for last: its node's last eni_ready before its IP (events.csv).
    let events = rows(&dir.join("events.csv"));
    let ready = events
        .iter()
        .filter(|e| &e["node"] == node && e["kind"] == "eni_ready" && ms(&e["time_s"]) <= got_ip)
        .max_by_key(|e| ms(&e["time_s"]))
        .expect("an ENI became ready on its node before its IP");
    let eni = format!("eni-{}", ready["eni"]);

    let text = explain(dir, &["--pod", name]);
    assert!(text.contains(&format!("bound to node {node}")), "{text}");
    assert!(text.contains(&format!("({eni}: create_eni ")), "{text}");
    assert!(text.contains(&format!("eni_ready: {eni} ")), "{text}");
    assert!(text.contains("kubelet_retry"), "{text}");
    assert!(
        text.contains("the kubelet's retry, ") && text.contains(&format!("got IP {ip}")),
        "{text}"
    );

    let j = explain_json(dir, &["--pod", name]);
    let ws = waits_of(&j);
    let last = ws.last().unwrap();
    assert_eq!(last["cause"], "kubelet_retry");
    assert_eq!(jms(&last["end_s"]), got_ip);
    // the last kubelet_retry began when that ENI's addresses became usable
    assert_eq!(jms(&last["start_s"]), ms(&ready["time_s"]));
    let grew = ws
        .iter()
        .find(|w| w["cause"] == "pool_growing" && w["eni"]["eni"] == eni.as_str())
        .expect("a pool_growing wait names the ENI");
    assert_eq!(jms(&grew["eni"]["ready_s"]), ms(&ready["time_s"]));
    let end = steps(&j).last().unwrap();
    assert_eq!(end["step"], "got_ip");
    assert_eq!(end["by_kubelet_retry"], true);
    assert_eq!(end["ip"], ip.as_str());
}

#[test]
fn overview_totals_are_the_sums_of_waits_csv_and_match_summary_json() {
    let dir = three_t3();
    let j = explain_json(dir, &[]);
    // Independent sums of waits.csv, in ms, per cause.
    let mut sum: BTreeMap<String, (i64, u64)> = BTreeMap::new();
    for w in rows(&dir.join("waits.csv")) {
        let e = sum.entry(w["cause"].clone()).or_default();
        e.0 += ms(&w["end_s"]) - ms(&w["start_s"]);
        e.1 += 1;
    }
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    let by = j["by_cause"].as_array().unwrap();
    assert_eq!(by.len(), 17, "every cause, zeros included");
    let mut total = 0;
    let mut share = 0.0;
    for c in by {
        let cause = c["cause"].as_str().unwrap();
        let (want_ms, n) = sum.get(cause).copied().unwrap_or((0, 0));
        assert_eq!(jms(&c["seconds"]), want_ms, "{cause}");
        assert_eq!(c["intervals"].as_u64(), Some(n), "{cause}");
        // summary.json sums the simulator's µs; waits.csv rounds each interval's two ends
        // to the ms (≤ 0.5 ms each), so the two differ by at most 1 ms per interval.
        let exact = summary["wait_by_cause_s"][cause].as_f64().unwrap();
        let diff = (c["seconds"].as_f64().unwrap() - exact).abs();
        assert!(
            diff <= n as f64 * 0.001 + 1e-9,
            "{cause}: {diff} s over {n}"
        );
        total += want_ms;
        share += c["share_pct"].as_f64().unwrap();
    }
    assert_eq!(jms(&j["wait_s"]), total);
    assert!((share - 100.0).abs() < 1e-9, "{share}");
    // unschedulable: 7 nginx pods from 60 s to the end (600 s) = 3780 s, plus 2 coredns
    // pods from 0 to the first node's Ready at 0.525 s = 1.050 s → 3781.050 s; summary.json
    // has 3781.050664 (within 1 ms: these 9 intervals start or end on whole ms but 2).
    let unsched = by.iter().find(|c| c["cause"] == "unschedulable").unwrap();
    assert_eq!(jms(&unsched["seconds"]), 3_781_050);
    assert_eq!(unsched["pods"], 9);
    let exact = summary["wait_by_cause_s"]["unschedulable"]
        .as_f64()
        .unwrap();
    assert!((unsched["seconds"].as_f64().unwrap() - exact).abs() < 0.001);
    // the text shows the same figures
    let text = explain(dir, &[]);
    assert!(
        text.contains("unschedulable     3781.050  89.6 %     9"),
        "{text}"
    );
}

#[test]
fn top_limits_and_orders_the_slowest_pods() {
    let dir = three_t3();
    // Seven nginx pods never get a node: 600 − 60 = 540 s each, the longest waits; ties
    // go by name. Next is the slowest pod that got an IP, nginx-30 (bound at once at 60 s,
    // IP at 88.224 s: 28.224 s).
    let j = explain_json(dir, &["--top", "3"]);
    let names: Vec<&str> = j["slowest"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["pod"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["nginx-44", "nginx-45", "nginx-46"]);
    let ten = explain_json(dir, &[]);
    let ten = ten["slowest"].as_array().unwrap();
    assert_eq!(ten.len(), 10, "--top defaults to 10");
    let waits: Vec<i64> = ten.iter().map(|p| jms(&p["wait_s"])).collect();
    assert!(waits.windows(2).all(|w| w[0] >= w[1]), "{waits:?}");
    assert_eq!(waits[0], 540_000);
    assert_eq!(ten[7]["pod"], "nginx-30");
    assert_eq!(ten[7]["wait_s"].as_f64(), Some(28.224));
    assert_eq!(ten[7]["main_cause"], "kubelet_retry");
    assert_eq!(ten[7]["node"], "ng1-2");
    assert_eq!(ten[0]["node"], Value::Null);
    assert_eq!(ten[0]["final_state"], "unschedulable");
    // --top 0: totals only; a --top beyond the pods that waited lists each once.
    let none = explain(dir, &["--top", "0"]);
    assert!(!none.contains("slowest"), "{none}");
    let all = explain_json(dir, &["--top", "1000"]);
    assert_eq!(
        all["slowest"].as_array().unwrap().len() as u64,
        all["pods_waited"].as_u64().unwrap()
    );
    // --top is for the overview only
    let o = ipamsim(&["explain", s(dir), "--pod", "nginx-30", "--top", "3"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn json_has_the_documented_shape() {
    let dir = three_t3();
    let o = explain_json(dir, &[]);
    // 3 nodes × 2 DaemonSets + 2 coredns + 50 nginx = 58 pods (summary pods.created); 34
    // waited: 2 coredns and 7 nginx unschedulable, 25 nginx bound without a free IP.
    assert_eq!(o["pods"], 58);
    assert_eq!(o["pods_waited"], 34);
    let causes: Vec<&str> = o["by_cause"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["cause"].as_str().unwrap())
        .collect();
    assert_eq!(
        causes,
        [
            "unschedulable",
            "node_not_ready",
            "ipamd_unavailable",
            "kubelet_retry",
            "pool_growing",
            "ec2_throttled",
            "cooldown",
            "subnet_full",
            "max_enis",
            "pool_frozen",
            "pool_tick",
            "ipam_assigning",
            "pool_exhausted",
            "strict_affinity",
            "block_limit",
            "branch_eni",
            "no_free_prefix"
        ]
    );
    for key in [
        "pod",
        "workload",
        "node",
        "created_s",
        "wait_s",
        "main_cause",
        "main_cause_s",
        "final_state",
        "ip_assigned_s",
        "deleted_s",
    ] {
        assert!(o["slowest"][0].get(key).is_some(), "slowest[].{key}");
    }
    let st = explain_json(dir, &["--pod", "nginx-30"]);
    assert_eq!(st["pod"], "nginx-30");
    assert_eq!(st["lives"].as_array().unwrap().len(), 1);
    let life = &st["lives"][0];
    // steps in time order; the waits contiguous from creation to the IP, summing to wait_s
    let times: Vec<i64> = steps(&st)
        .iter()
        .map(|x| jms(x.get("time_s").or(x.get("start_s")).unwrap()))
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    let ws = waits_of(&st);
    assert_eq!(jms(&ws[0]["start_s"]), jms(&life["created_s"]));
    for pair in ws.windows(2) {
        assert_eq!(pair[0]["end_s"], pair[1]["start_s"]);
    }
    assert_eq!(
        jms(&ws.last().unwrap()["end_s"]),
        jms(&life["ip_assigned_s"])
    );
    let total: i64 = ws.iter().map(|w| jms(&w["duration_s"])).sum();
    assert_eq!(total, jms(&life["wait_s"]));
    // nginx-30's 2 failed CNI ADDs, at 60.000 s (pool_tick: nothing in flight yet) and
    // 74.088 s (pool_growing: eni-3 being created): two causes, two no_ip rows, each
    // naming the cause of the waits.csv interval it falls in
    assert_eq!(life["failed_cni_adds"], 2);
    let failed: Vec<(i64, i64, &str)> = steps(&st)
        .iter()
        .filter(|x| x["step"] == "cni_add_failed")
        .map(|x| {
            let cause = x["cause"].as_str().unwrap();
            (jms(&x["time_s"]), jms(&x["until_s"]), cause)
        })
        .collect();
    assert_eq!(
        failed,
        [
            (60_000, 60_000, "pool_tick"),
            (74_088, 74_088, "pool_growing")
        ]
    );
    for (t, _, cause) in &failed {
        let w = ws
            .iter()
            .find(|w| jms(&w["start_s"]) <= *t && *t < jms(&w["end_s"]))
            .unwrap();
        assert_eq!(w["cause"], *cause);
    }
    // an interval lists the node's rows in [start, end): the one at its start began it
    for w in &ws {
        for e in w["events"].as_array().unwrap() {
            let t = jms(&e["time_s"]);
            assert!(
                jms(&w["start_s"]) <= t && t < jms(&w["end_s"]),
                "{e} outside {w}"
            );
        }
    }
    // eni-2 brought 5 IPs to ng1-2 at 67.076 s; nginx-36, -33, -18, -39 and -15 (pods.csv:
    // IPs at 71.266 … 72.024 s on ng1-2) took them before nginx-30's kubelet retried
    let first_retry = ws.iter().find(|w| w["cause"] == "kubelet_retry").unwrap();
    assert_eq!(jms(&first_retry["start_s"]), 67_076);
    assert_eq!(first_retry["taken_count"], 5);
    assert_eq!(
        first_retry["taken_by"],
        serde_json::json!(["nginx-36", "nginx-33", "nginx-18"])
    );
    let ev = &ws.iter().find(|w| w["cause"] == "pool_growing").unwrap()["events"][0];
    for key in [
        "time_s",
        "node",
        "kind",
        "detail",
        "nodegroup",
        "pod",
        "cause",
        "eni",
        "action",
        "count",
        "subnet",
        "until_s",
    ] {
        assert!(ev.get(key).is_some(), "events[].{key}");
    }
    assert_eq!(ev["kind"], "create_eni");
    assert_eq!(ev["action"], "CreateNetworkInterface");
}

#[test]
fn a_copied_directory_with_only_the_files_read_gives_the_same_answers() {
    let dir = three_t3();
    let copy = fresh_dir("explain", "copy");
    for f in ["waits.csv", "pods.csv", "events.csv", "summary.json"] {
        std::fs::copy(dir.join(f), copy.join(f)).unwrap();
    }
    for args in [
        &["--format", "json"][..],
        &["--pod", "nginx-30"],
        &["--pod", "nginx-30", "--format", "json"],
    ] {
        assert_eq!(explain(dir, args), explain(&copy, args), "{args:?}");
    }
    let a = explain(dir, &[]).replace(s(dir), "DIR");
    let b = explain(&copy, &[]).replace(s(&copy), "DIR");
    assert_eq!(a, b);
    assert!(a.contains("ipamsim explain DIR --pod nginx-30"), "{a}");
}

#[test]
fn same_run_same_explanation() {
    let again = run_into("three-t3-medium", "again", &[]);
    let dir = three_t3();
    for args in [
        &[][..],
        &["--format", "json"],
        &["--pod", "nginx-39"],
        &["--pod", "nginx-43", "--format", "json"],
    ] {
        let a = explain(dir, args);
        assert_eq!(a, explain(dir, args), "{args:?} twice");
        assert_eq!(
            a.replace(s(dir), "DIR"),
            explain(&again, args).replace(s(&again), "DIR"),
            "{args:?} on a second run"
        );
    }
}

#[test]
fn missing_directory_and_files_are_exit_2_naming_what_is_needed() {
    let gone = std::env::temp_dir().join(format!("ipamsim-explain-{}-nowhere", std::process::id()));
    let e = explain_fails(&gone, &[]);
    assert!(
        e.contains("no such directory") && e.contains(s(&gone)),
        "{e}"
    );
    // a run that left waits.csv out
    let no_waits = run_into("three-t3-medium", "no-waits", &["--outputs", "pods,events"]);
    let e = explain_fails(&no_waits, &[]);
    assert!(e.contains("waits.csv: no such file"), "{e}");
    assert!(
        e.contains("must include waits") && e.contains("--outputs"),
        "{e}"
    );
    assert!(e.contains("waits.csv and pods.csv"), "{e}");
    let e = explain_fails(&no_waits, &["--pod", "nginx-39"]);
    assert!(e.contains("waits.csv, pods.csv and events.csv"), "{e}");
    // without events.csv the overview works, a story does not
    let no_events = run_into("three-t3-medium", "no-events", &["--outputs", "pods,waits"]);
    assert!(explain(&no_events, &[]).contains("34 of 58 pods waited"));
    let e = explain_fails(&no_events, &["--pod", "nginx-39"]);
    assert!(e.contains("events.csv: no such file"), "{e}");
}

#[test]
fn an_unknown_pod_is_exit_2_with_the_nearest_names() {
    let e = explain_fails(three_t3(), &["--pod", "ngnix-39"]);
    assert!(e.contains("no pod \"ngnix-39\" in pods.csv"), "{e}");
    assert!(e.contains("did you mean nginx-39,"), "nearest first: {e}");
    let long = "x".repeat(10_000);
    let e = explain_fails(three_t3(), &["--pod", &long]);
    assert!(!e.contains("did you mean"), "{e}");
}

/// A copy of the shared run with `file` rewritten by `edit`.
fn broken(tag: &str, file: &str, edit: impl Fn(&str) -> String) -> PathBuf {
    let dir = fresh_dir("explain", tag);
    for f in ["waits.csv", "pods.csv", "events.csv", "summary.json"] {
        std::fs::copy(three_t3().join(f), dir.join(f)).unwrap();
    }
    let text = std::fs::read_to_string(dir.join(file)).unwrap();
    std::fs::write(dir.join(file), edit(&text)).unwrap();
    dir
}

/// `text` with line `n` (1-based) replaced by `f(line)`.
fn on_line(text: &str, n: usize, f: impl Fn(&str) -> String) -> String {
    text.lines()
        .enumerate()
        .map(|(i, l)| if i + 1 == n { f(l) } else { l.to_string() })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

#[test]
fn malformed_files_are_exit_2_located_by_file_and_line() {
    // waits.csv line 3 is `coredns-2,,unschedulable,0.000,0.525`
    let d = broken("bad-time", "waits.csv", |t| {
        on_line(t, 3, |l| l.replace(",0.525", ",soon"))
    });
    for args in [&[][..], &["--pod", "nginx-39"]] {
        let e = explain_fails(&d, args);
        assert!(
            e.contains("waits.csv:3: column end_s: \"soon\" is not a time in seconds"),
            "{args:?}: {e}"
        );
    }
    let d = broken("bad-cause", "waits.csv", |t| {
        on_line(t, 4, |l| l.replace("pool_tick", "pool_tik"))
    });
    let e = explain_fails(&d, &[]);
    assert!(
        e.contains("waits.csv:4: column cause: unknown wait cause \"pool_tik\""),
        "{e}"
    );
    let d = broken("backwards", "waits.csv", |t| {
        on_line(t, 3, |_| "coredns-2,,unschedulable,0.525,0.000".into())
    });
    let e = explain_fails(&d, &[]);
    assert!(
        e.contains("waits.csv:3: end_s 0.000 is before start_s 0.525"),
        "{e}"
    );
    let d = broken("ragged", "pods.csv", |t| {
        on_line(t, 5, |l| l.rsplit_once(',').unwrap().0.to_string())
    });
    let e = explain_fails(&d, &["--pod", "nginx-39"]);
    assert!(
        e.contains("pods.csv:5: 9 fields where the header has 10"),
        "{e}"
    );
    let d = broken("no-column", "events.csv", |t| {
        on_line(t, 1, |l| l.replace(",kind,", ",sort,"))
    });
    let e = explain_fails(&d, &["--pod", "nginx-39"]);
    assert!(e.contains("events.csv:1: no column `kind`"), "{e}");
    let d = broken("bad-eni", "events.csv", |t| {
        t.lines()
            .map(|l| {
                if l.contains(",create_eni,") && l.contains("ng1-2") {
                    l.replace(",2,Create", ",two,Create")
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
            + "\n"
    });
    let e = explain_fails(&d, &["--pod", "nginx-39"]);
    assert!(
        e.contains("events.csv:") && e.contains("column eni: \"two\" is not a whole number"),
        "{e}"
    );
    let d = broken("empty", "waits.csv", |_| String::new());
    let e = explain_fails(&d, &[]);
    assert!(e.contains("waits.csv:1: empty file"), "{e}");
    // a pod in waits.csv that pods.csv does not have: files of two runs
    let d = broken("stranger", "waits.csv", |t| {
        format!("{t}ghost-1,,unschedulable,0.000,599.000\n")
    });
    let e = explain_fails(&d, &["--top", "1"]);
    assert!(
        e.contains("ghost-1") && e.contains("pods.csv has no such pod"),
        "{e}"
    );
}

#[test]
fn host_network_and_never_scheduled_pods_have_short_stories() {
    let dir = three_t3();
    let t = explain(dir, &["--pod", "aws-node-ng1-1"]);
    assert!(t.contains("running (host network: no IP needed)"), "{t}");
    assert!(t.contains("did not wait"), "{t}");
    let j = explain_json(dir, &["--pod", "nginx-44"]);
    let ws = waits_of(&j);
    assert_eq!(ws.len(), 1);
    assert_eq!(ws[0]["cause"], "unschedulable");
    // created at 60 s, the run ends at 600 s
    assert_eq!(jms(&ws[0]["duration_s"]), 540_000);
    let end = steps(&j).last().unwrap();
    assert_eq!(end["step"], "end_of_run");
    assert_eq!(jms(&end["time_s"]), 600_000);
    // coredns waited for the first node to be Ready: the node's start shows under it
    let t = explain(dir, &["--pod", "coredns-1"]);
    assert!(t.contains("ng1-1 ipamd_start: nodeInit"), "{t}");
    assert!(
        t.contains("bound to node ng1-1 (Ready since 0.525 s)"),
        "{t}"
    );
}

#[test]
fn throttled_calls_show_under_ec2_throttled_waits() {
    let dir = run_into("burst-200-nodes", "burst", &[]);
    let o = explain_json(&dir, &["--top", "1"]);
    assert_eq!(o["slowest"][0]["main_cause"], "ec2_throttled");
    let pod = o["slowest"][0]["pod"].as_str().unwrap().to_string();
    let st = explain_json(&dir, &["--pod", &pod]);
    let throttled: Vec<&Value> = waits_of(&st)
        .into_iter()
        .filter(|w| w["cause"] == "ec2_throttled")
        .collect();
    assert!(!throttled.is_empty());
    let retry = throttled
        .iter()
        .flat_map(|w| w["events"].as_array().unwrap())
        .find(|e| e["kind"] == "ec2_retry")
        .expect("a retried call under a throttled wait");
    assert_eq!(retry["cause"], "RequestLimitExceeded");
    assert!(retry["action"].is_string());
    let text = explain(&dir, &["--pod", &pod]);
    assert!(
        text.contains("ec2_throttled ") && text.contains("ec2_retry: "),
        "{text}"
    );
    // the failed CNI ADDs name the pod's wait cause at each failure
    assert!(text.contains("CNI ADD failed (pool_tick): "), "{text}");
    // a reader that goes away after one line (about 600 kB of JSON here) ends it quietly
    let o = std::process::Command::new("bash")
        .args(["-o", "pipefail", "-c"])
        .arg(format!(
            "'{}' explain '{}' --top 5000 --format json | head -1",
            env!("CARGO_BIN_EXE_ipamsim"),
            s(&dir)
        ))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "{\n");
    assert!(o.stderr.is_empty(), "{}", stderr(&o));
}

#[test]
fn no_free_prefix_waits_name_the_insufficient_address_error() {
    let dir = run_into("fragmented-subnet-pd", "fragmented", &[]);
    let o = explain_json(&dir, &["--top", "1"]);
    // about 419 free addresses, no free aligned /28: the wait is for a prefix
    assert_eq!(o["slowest"][0]["main_cause"], "no_free_prefix");
    let st = explain_json(&dir, &["--pod", o["slowest"][0]["pod"].as_str().unwrap()]);
    for w in waits_of(&st)
        .into_iter()
        .filter(|w| w["cause"] == "no_free_prefix")
    {
        // each names the error: in its events, or the earlier back-off that began it
        let mut named: Vec<&Value> = w["events"].as_array().unwrap().iter().collect();
        named.extend(w.get("started_by").filter(|v| !v.is_null()));
        assert!(
            named.iter().any(|e| e["kind"]
                .as_str()
                .is_some_and(|k| k.starts_with("insufficient_"))
                && e["cause"] == "InsufficientCidrBlocks"),
            "{w}"
        );
    }
}

#[test]
fn cooling_addresses_name_the_pods_that_released_them() {
    let dir = run_into("churn", "churn", &[]);
    // IP_COOLDOWN_PERIOD: the default, 30 s
    let cooldown_ms = 30_000;
    // the first pod whose wait has a cooldown interval followed by a kubelet_retry one
    let waits = rows(&dir.join("waits.csv"));
    let pair = waits
        .windows(2)
        .find(|w| {
            w[0]["pod"] == w[1]["pod"]
                && w[0]["cause"] == "cooldown"
                && w[1]["cause"] == "kubelet_retry"
        })
        .expect("churn has cooling waits");
    let st = explain_json(&dir, &["--pod", &pair[0]["pod"]]);
    let ws = waits_of(&st);
    let cool = ws.iter().find(|w| w["cause"] == "cooldown").unwrap();
    let start = jms(&cool["start_s"]);
    assert!(cool["released_count"].as_u64().unwrap() >= 1, "{cool}");
    for r in cool["released_by"].as_array().unwrap() {
        let d = jms(&r["deleted_s"]);
        assert!(
            start - cooldown_ms < d && d <= start,
            "{r} still cooling at {start}"
        );
    }
    // the retry interval after it began when one of them finished cooling
    let next = ws
        .iter()
        .find(|w| w["cause"] == "kubelet_retry" && w["start_s"] == cool["end_s"])
        .unwrap();
    let freed = &next["released_by"][0];
    assert_eq!(
        jms(&freed["deleted_s"]) + cooldown_ms,
        jms(&next["start_s"]),
        "{next}"
    );
}

#[test]
fn a_recreated_trace_pod_has_one_life_per_creation() {
    let dir = run_into("trace-replay", "trace", &[]);
    // scenarios/traces/example.csv deletes worker-3 and creates it again
    let st = explain_json(&dir, &["--pod", "worker-3"]);
    let lives = st["lives"].as_array().unwrap();
    assert_eq!(lives.len(), 2);
    assert!(jms(&lives[0]["created_s"]) < jms(&lives[1]["created_s"]));
    assert!(jms(&lives[0]["deleted_s"]) <= jms(&lives[1]["created_s"]));
    let text = explain(&dir, &["--pod", "worker-3"]);
    assert!(
        text.contains("life 1 of 2: worker-3") && text.contains("life 2 of 2: worker-3"),
        "{text}"
    );
}

#[test]
fn an_aws_node_restart_shows_under_ipamd_unavailable() {
    let dir = fresh_dir("explain", "restart");
    let yaml = dir.join("restart.yaml");
    std::fs::write(&yaml, common::RESTART_AT_60S).unwrap();
    let out = dir.join("out");
    let o = ipamsim(&["run", s(&yaml), "--out", s(&out), "--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let st = explain_json(&out, &["--pod", "web-1"]);
    let ws = waits_of(&st);
    // the restart at 60 s: aws-node is back (ipamd_start) after its 10 s CrashLoopBackOff
    assert_eq!(ws[0]["cause"], "ipamd_unavailable");
    let kinds: Vec<&str> = ws[0]["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["aws_node_restart", "ipamd_start"]);
    let text = explain(&out, &["--pod", "web-1"]);
    assert!(
        text.contains("CNI ADD failed (ipamd_unavailable): ipamd was not serving"),
        "{text}"
    );
}
